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
 * pattern chunks, features, probe states). The kernel allocates within this bound. */
double plan_bytes_per_rank(const config_t *c, int64_t point, int64_t g);

/* Estimated cost of one sample at a grid point, in flops (J build + dynamics): the scheduler's
 * ordering key and the plan's work estimate. */
double plan_task_flops(const config_t *c, int64_t point);

/* Group size for `ranks` ranks in all (rank 0 is the master when ranks > 1): c->group_size if set,
 * else the smallest g whose plan_bytes_per_rank fits mem_per_rank for every point. ERR_USAGE
 * with a message saying what would fit when nothing does. */
int plan_group_size(const config_t *c, int64_t ranks, double mem_per_rank, int64_t *g, err_t *e);

/* Memory available per rank: c->mem_per_rank when set, else Slurm's SLURM_MEM_PER_CPU /
 * SLURM_MEM_PER_NODE, else MemAvailable of /proc/meminfo, divided by the ranks sharing the node.
 * Collective on comm. */
double plan_detect_mem_per_rank(const config_t *c, MPI_Comm comm);

/* The `hopscan plan CONFIG [--ranks K] [--mem-per-rank BYTES]` subcommand. */
int plan_command(int argc, char **argv, MPI_Comm comm, err_t *e);

#endif
