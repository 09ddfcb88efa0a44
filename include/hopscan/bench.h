/* bench: `hopscan bench`, kernel benchmarks that print ratios against references measured in the
 * same run on the same sizes:
 *   - J build: GFLOP/s of the ScaLAPACK path (all ranks of the run as one group) and of one plain
 *     SGEMM call from the linked BLAS on the same N x P pattern matrix (rank 0), and their ratio;
 *   - dynamics (rank 0, J on one rank): ns per flip and per sweep, time per probe against one
 *     measured read of the J buffer, and the speedup over the textbook algorithm (each visited
 *     spin's field recomputed from J), with identical final states checked;
 *   - seconds per full sample (patterns + J + all probes) at N = 2000 and 4000, alpha = 0.5,
 *     alpha_D = 0.05, L = 3.
 * Collective on comm. Timings vary run to run; nothing here is asserted by tests. */
#ifndef HOPSCAN_BENCH_H
#define HOPSCAN_BENCH_H

#include "hopscan/err.h"

#include <mpi.h>

int bench_command(int argc, char **argv, MPI_Comm comm, err_t *e);

#endif
