/* dynamics: exact zero-temperature sequential dynamics over a worker group, whatever computes the
 * fields (the engine: fields.h keeps them from J, overlaps.h evaluates them from the patterns).
 *
 * s_i <- sign(h_i), h_i = sum_{j != i} J_ij s_j, a spin with h_i = 0 keeps its value, in the
 * sweep order of a random permutation addressed by (seed, point, sample, probe id, sweep)
 * (stream RNG_SWEEP, row = probe id, sub = sweep; Fisher-Yates from the top) or cyclic.
 * A run stops after the first sweep without a flip, or after max_sweeps sweeps (-1).
 *
 * Distributed algorithm (bit-identical to one rank visiting every spin in order): every rank
 * holds the full state s; the spins of the rows it owns (layout.h) are its visits. The next spin
 * that flips is the first unstable spin (s_i h_i < 0) after the current position in sweep order:
 * each rank asks its engine for its first local one, one MPI_Allreduce(MIN) over positions picks
 * it, everyone flips it and tells its engine. One collective per flip, none per visit; with one
 * rank no MPI at all. Collective on the layout's group unless noted. */
#ifndef HOPSCAN_DYNAMICS_H
#define HOPSCAN_DYNAMICS_H

#include "hopscan/config.h"
#include "hopscan/couplings.h"
#include "hopscan/err.h"
#include "hopscan/layout.h"
#include "hopscan/rng.h"

#include <mpi.h>
#include <stdint.h>

typedef struct dynamics {
  const layout_t *lay; /* not owned */
  order_kind order;
  int64_t max_sweeps;
  rng_addr_t addr;   /* stream RNG_SWEEP */
  int64_t *perm;     /* [N] sweep order: perm[position] = spin */
  int64_t *local_of; /* [N] local row of a spin, -1 if not local */
  int64_t *lorder;   /* [nloc] local rows in sweep order */
  int64_t *lpos;     /* [nloc] their positions */
  int64_t n_flips;   /* statistics since init: flips and sweeps performed (for bench) */
  int64_t n_sweeps;
} dynamics_t;

/* How an engine serves the dynamics. q is the engine's state index (the probe's row in the
 * engine's states; engines that hold one state get 0). */
typedef struct dyn_engine {
  /* First index c >= cur of d->lorder whose spin is unstable in state q, or lay->nloc when none.
   * Rank-local. */
  int64_t (*scan)(void *ctx, const dynamics_t *d, const int8_t *s, int64_t q, int64_t cur);
  /* Spin j was flipped (s[j] holds its new value): update what the engine keeps. Collective on
   * the group for engines that exchange data (overlaps with g > 1), else rank-local. */
  int (*flip)(void *ctx, const int8_t *s, int64_t q, int64_t j, err_t *e);
  void *ctx;
} dyn_engine_t;

/* Work buffers for runs on layout lay; addr = (seed, point, sample) of the task (its stream is
 * set to RNG_SWEEP here). Rank-local. */
int dynamics_init(dynamics_t *d, const layout_t *lay, order_kind order, int64_t max_sweeps,
                  rng_addr_t addr, err_t *e);
void dynamics_free(dynamics_t *d);

/* Runs s (full length N, identical on every rank, state q of engine eng) to a fixed point,
 * updating it in place. *sweeps = sweeps that flipped at least one spin, or -1 when max_sweeps
 * was reached. probe_id addresses the sweep orders. */
int dynamics_run(dynamics_t *d, const dyn_engine_t *eng, int8_t *s, int64_t q, uint64_t probe_id,
                 int64_t *sweeps, err_t *e);

/* The textbook algorithm (each visited spin's field recomputed from J, O(N) per visit), one rank
 * holding all of J: the reference for tests and `hopscan bench`. Same sweep orders and result.
 * Rank-local; the group must be one rank. */
int dynamics_run_textbook(dynamics_t *d, const couplings_t *cp, int8_t *s, uint64_t probe_id,
                          int64_t *sweeps, err_t *e);

#endif
