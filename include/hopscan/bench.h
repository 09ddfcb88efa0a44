/* bench: `hopscan bench`, kernel benchmarks that print ratios against references measured in the
 * same run on the same sizes:
 *   - J build: GFLOP/s of the ScaLAPACK path (all ranks of the run as one group) and of one plain
 *     SGEMM call from the linked BLAS on the same N x P pattern matrix (rank 0), and their ratio;
 *   - dynamics (rank 0, J on one rank): ns per flip and per sweep, time per probe against one
 *     measured read of the J buffer, and the speedup over the textbook algorithm (each visited
 *     spin's field recomputed from J), with identical final states checked;
 *   - overlaps engine (rank 0): ns per visit and per flip, one sweep against one streaming read
 *     of the packed patterns; the cost model's constants (engine.h);
 *   - seconds per full sample (patterns + engine + all probes) at N = 2000 and 4000,
 *     alpha = 0.5, alpha_D = 0.05, L = 3;
 *   - full samples with the couplings engine, the overlaps engine and auto side by side at
 *     N = 8000, alpha = 0.05, 0.5, 2, alpha_D = 0.005, L = 3 (results checked identical);
 *   - one sample at N = 32000, alpha = 0.5 on the overlaps engine (measured) beside the couplings
 *     engine (estimated from the measured SGEMM rate and the run's flips).
 * Collective on comm. Timings vary run to run; nothing here is asserted by tests. */
#ifndef HOPSCAN_BENCH_H
#define HOPSCAN_BENCH_H

#include "hopscan/err.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

/* What to measure (the app layer parses `hopscan bench` options into it). */
typedef struct bench_opts {
  int64_t N;
  double alpha, alpha_D;
  int64_t L, probes;   /* L = 0: dense */
  bool textbook;       /* also time the textbook dynamics reference */
  int64_t sample_N[4]; /* N of the full-sample timings */
  int n_sample_N;
  int64_t engine_N;       /* full samples with both engines and auto side by side (0: skip) */
  double engine_alpha[4]; /* ... at these alpha */
  int n_engine_alpha;
  int64_t big_N;      /* one overlaps sample at this N beside the couplings estimate (0: skip) */
  int64_t overlaps_N; /* N of the overlaps engine section (0: --N) */
} bench_opts_t;

/* Defaults: N 4000, alpha 1, alpha_D 0.05, L 3, probes 8, textbook on, sample N 2000 and 4000,
 * engines at N 8000 and alpha 0.05, 0.5, 2, the large sample at N 32000. */
void bench_opts_default(bench_opts_t *o);

/* Runs the benchmarks and prints them (rank 0). Collective on comm. */
int bench_run(const bench_opts_t *o, MPI_Comm comm, err_t *e);

#endif
