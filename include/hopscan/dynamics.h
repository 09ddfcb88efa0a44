/* dynamics: exact zero-temperature sequential dynamics on a J distributed over a worker group.
 *
 * s_i <- sign(h_i), h_i = sum_{j != i} J_ij s_j, a spin with h_i = 0 keeps its value, in the
 * sweep order of a random permutation addressed by (seed, point, sample, probe id, sweep)
 * (stream RNG_SWEEP, row = probe id, sub = sweep; Fisher-Yates from the top) or cyclic.
 * A run stops after the first sweep without a flip, or after max_sweeps sweeps (-1).
 *
 * Distributed algorithm (bit-identical to one rank visiting every spin in order): every rank
 * holds the full state s and the fields of its own rows. The next spin that flips is the first
 * unstable spin (s_i h_i < 0) after the current position in sweep order: each rank proposes its
 * first local one, one MPI_Allreduce(MIN) over positions picks it, everyone flips it and each
 * rank adds 2 s_j J_ij to its fields (column j, contiguous in the local layout). One collective
 * per flip, none per visit; with one rank no MPI at all. Fields and energies are exact integers.
 * Collective on the group communicator unless noted. */
#ifndef HOPSCAN_DYNAMICS_H
#define HOPSCAN_DYNAMICS_H

#include "hopscan/config.h"
#include "hopscan/couplings.h"
#include "hopscan/err.h"
#include "hopscan/rng.h"

#include <mpi.h>
#include <stdint.h>

typedef struct dynamics {
  const couplings_t *cp; /* not owned */
  MPI_Comm comm;
  order_kind order;
  int64_t max_sweeps;
  rng_addr_t addr;   /* stream RNG_SWEEP */
  int64_t *perm;     /* [N] sweep order: perm[position] = spin */
  int64_t *local_of; /* [N] local row of a spin, -1 if not local */
  int64_t *lorder;   /* [nloc] local rows in sweep order */
  int64_t *lpos;     /* [nloc] their positions */
  int hbytes;        /* bytes per field: 4 when |h| <= P (N - 1) fits int32, else 8 */
  int64_t n_states;  /* states whose fields are held */
  void *H;           /* [n_states][nloc] local fields, int32 or int64 */
  int64_t n_flips;   /* statistics since init: flips and sweeps performed (for bench) */
  int64_t n_sweeps;
} dynamics_t;

/* Work buffers for runs on cp's layout with the sweep orders of task t. */
int dynamics_init(dynamics_t *d, const couplings_t *cp, const config_t *c, uint64_t seed,
                  uint64_t point, uint64_t sample, MPI_Comm comm, err_t *e);
void dynamics_free(dynamics_t *d);

/* Computes and keeps the local fields of n full states S[q * N + j]:
 * h_q[r] = sum_j J[r][j] S[q][j], one blocked pass over J for all states (an integer matrix
 * product). Rank-local. */
int dynamics_set_states(dynamics_t *d, const int8_t *S, int64_t n, err_t *e);

/* Field of local row r for state q (as kept, i.e. updated by runs). Rank-local. */
int64_t dynamics_field(const dynamics_t *d, int64_t q, int64_t r);

/* Runs state q of dynamics_set_states, passed as s (full length N, identical on every rank;
 * updated in place), to a fixed point, updating its fields. *sweeps = sweeps that flipped at
 * least one spin, or -1 when max_sweeps was reached. probe_id addresses the sweep orders. */
int dynamics_run(dynamics_t *d, int8_t *s, int64_t q, uint64_t probe_id, int64_t *sweeps, err_t *e);

/* The textbook algorithm (each visited spin's field recomputed from J, O(N) per visit), one rank
 * holding all of J: the reference for tests and `hopscan bench`. Same sweep orders and result. */
int dynamics_run_textbook(dynamics_t *d, int8_t *s, uint64_t probe_id, int64_t *sweeps, err_t *e);

/* Energy H = -1/2 sum_{i != j} J_ij s_i s_j of a full state from the local rows, summed over the
 * group (exact integer). */
int64_t dynamics_energy(const dynamics_t *d, const int8_t *s);

#endif
