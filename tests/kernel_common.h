/* Helpers shared by the kernel tests: configs from YAML text, sub-communicators of a given size,
 * and a naive dense J built from all rows on one rank. */
#ifndef HOPSCAN_KERNEL_COMMON_H
#define HOPSCAN_KERNEL_COMMON_H

#include "hopscan/config.h"
#include "hopscan/patterns.h"

#include <mpi.h>
#include <stdint.h>

/* Parses YAML text into c; aborts the test program on failure. */
void kt_config(config_t *c, const char *yaml);

/* Communicator of ranks 0..g-1 of world (MPI_COMM_NULL on the others). Free with MPI_Comm_free. */
MPI_Comm kt_group(MPI_Comm world, int g);

/* Dense J (N x N, row-major, zero diagonal) of task t computed by triple loop from examples
 * generated for all rows. Caller frees. */
int64_t *kt_naive_J(const config_t *c, task_t t);

#endif
