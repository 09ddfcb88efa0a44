/* plan: sizes, memory and cost of a scan, the automatic worker-group size, and the
 * `hopscan plan` subcommand. Pure functions of the config unless noted. */
#ifndef HOPSCAN_PLAN_H
#define HOPSCAN_PLAN_H

#include "hopscan/config.h"
#include "hopscan/err.h"

#include <mpi.h>
#include <stdint.h>

/* Rows of J and patterns one rank holds in a group of g ranks: upper bound of ScaLAPACK's
 * numroc for N rows in blocks of c->block_size. */
int64_t plan_rows_per_rank(const config_t *c, int64_t g);

/* Peak bytes one rank of a group of g needs for grid point `point` (J float + integer J,
 * pattern chunks, features, probe states). The kernel allocates within this bound:
 *   rows  = plan_rows_per_rank(c, g) = min(N, ceil(ceil(N / nb) / g) * nb), nb = block_size
 *   Pc    = min(P, 2048)                        (pattern chunk)
 *   bytes = rows*N*4                            float J from ScaLAPACK
 *         + rows*N*(P <= 32767 ? 2 : 4)         integer J (int16 or int32)
 *         + N*Pc*4 + rows*Pc*4                  pattern chunk and gathered panel
 *         + rows*D                              int8 features
 *         + n_probes*N*13                       probe states and int64 fields
 * with n_probes the probes of all kinds per task. */
double plan_bytes_per_rank(const config_t *c, int64_t point, int64_t g);

/* Estimated cost of one sample at a grid point, in flops (J build + dynamics): the scheduler's
 * ordering key and the plan's work estimate: 2*N*N*P + n_probes*20*N*N. */
double plan_task_flops(const config_t *c, int64_t point);

/* Group size for `ranks` ranks in all (rank 0 is the master when ranks > 1): c->group_size if set,
 * else the smallest g whose plan_bytes_per_rank fits mem_per_rank for every point. ERR_USAGE
 * with a message saying what would fit when nothing does. */
int plan_group_size(const config_t *c, int64_t ranks, double mem_per_rank, int64_t *g, err_t *e);

/* Memory available per rank: c->mem_per_rank when set, else Slurm's SLURM_MEM_PER_CPU /
 * SLURM_MEM_PER_NODE, else MemAvailable of /proc/meminfo, divided by the ranks sharing the node.
 * Collective on comm. */
double plan_detect_mem_per_rank(const config_t *c, MPI_Comm comm);

/* The `hopscan plan CONFIG [--ranks K] [--mem-per-rank BYTES] [--canonical]` subcommand.
 * Collective on comm: rank 0 loads the config and prints; every rank returns the same status
 * (ERR_USAGE for a bad config or when no group size fits). --ranks defaults to the size of comm.
 * Writes no file. */
int plan_command(int argc, char **argv, MPI_Comm comm, err_t *e);

#endif
