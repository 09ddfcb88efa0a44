/* Helpers shared by the kernel tests: configs from YAML text, sub-communicators of a given size,
 * and a naive dense J built from all rows on one rank. */
#ifndef HOPSCAN_KERNEL_COMMON_H
#define HOPSCAN_KERNEL_COMMON_H

#include "hopscan/config.h"
#include "hopscan/patterns.h"
#include "hopscan/probes.h"

#include <mpi.h>
#include <stdint.h>

/* Parses YAML text into c; aborts the test program on failure. */
void kt_config(config_t *c, const char *yaml);

/* Communicator of ranks 0..g-1 of world (MPI_COMM_NULL on the others). Free with MPI_Comm_free. */
MPI_Comm kt_group(MPI_Comm world, int g);

/* Dense J (N x N, row-major, zero diagonal) of task t computed by triple loop from examples
 * generated for all rows. Caller frees. */
int64_t *kt_naive_J(const config_t *c, task_t t);

/* Engine choices of kt_run_task: a fixed engine, or auto with cost constants that make it switch
 * from the overlaps engine to J part way through a task whose probes take a few sweeps. */
typedef enum { KT_COUPLINGS, KT_OVERLAPS, KT_AUTO, KT_AUTO_SWITCH } kt_engine;

/* Runs task t of c on comm (collective) with the given engine and overlaps kernels, into r
 * (task_result_init'ed by the caller); stats (may be NULL) gets what the task did. Uses fixed
 * cost constants (engine_costs_default), so no measurement runs. Returns probes_run_task's
 * status. */
int kt_run_task(const config_t *c, task_t t, MPI_Comm comm, kt_engine engine, overlaps_isa isa,
                task_result_t *r, probes_stats_t *stats, err_t *e);
const char *kt_engine_name(kt_engine k);

#endif
