#include "hopscan/dynamics.h"

#include "hopscan/util.h"

#include <stdlib.h>
#include <string.h>

int dynamics_init(dynamics_t *d, const layout_t *lay, order_kind order, int64_t max_sweeps,
                  rng_addr_t addr, err_t *e) {
  memset(d, 0, sizeof *d);
  d->lay = lay;
  d->order = order;
  d->max_sweeps = max_sweeps;
  d->addr = addr;
  d->addr.stream = RNG_SWEEP;
  const size_t N = (size_t)lay->N, nl = (size_t)lay->lld;
  int rc = util_alloc((void **)&d->perm, N, sizeof(int64_t), "sweep order", e);
  if (!rc)
    rc = util_alloc((void **)&d->local_of, N, sizeof(int64_t), "row map", e);
  if (!rc)
    rc = util_alloc((void **)&d->lorder, nl, sizeof(int64_t), "local order", e);
  if (!rc)
    rc = util_alloc((void **)&d->lpos, nl, sizeof(int64_t), "local positions", e);
  if (rc) {
    dynamics_free(d);
    return rc;
  }
  for (size_t i = 0; i < N; i++)
    d->local_of[i] = -1;
  for (int64_t r = 0; r < lay->nloc; r++) {
    d->local_of[lay->rows[r]] = r;
    d->lpos[r] = r; /* one rank: positions are never remapped (see make_order) */
  }
  return 0;
}

void dynamics_free(dynamics_t *d) {
  free(d->perm);
  free(d->local_of);
  free(d->lorder);
  free(d->lpos);
  d->perm = d->local_of = d->lorder = d->lpos = NULL;
}

/* Sweep order of (probe, sweep): Fisher-Yates from the top with one random word per step, and
 * the local rows listed in that order. */
static void make_order(dynamics_t *d, uint64_t probe_id, int64_t sweep) {
  const int64_t N = d->lay->N;
  for (int64_t i = 0; i < N; i++)
    d->perm[i] = i;
  if (d->order == ORDER_RANDOM) {
    uint64_t w[4];
    for (int64_t i = N - 1, q = 0; i > 0; i--, q++) {
      if ((q & 3) == 0)
        rng_block(&d->addr, probe_id, (uint64_t)sweep, (uint64_t)q >> 2, w);
      int64_t k = (int64_t)rng_below(w[q & 3], (uint64_t)i + 1);
      int64_t tmp = d->perm[i];
      d->perm[i] = d->perm[k];
      d->perm[k] = tmp;
    }
  }
  if (d->lay->g == 1) { /* every spin is local, in its own position: lpos is 0..N-1 already */
    memcpy(d->lorder, d->perm, (size_t)N * sizeof(int64_t));
    return;
  }
  int64_t n = 0;
  for (int64_t pos = 0; pos < N; pos++) {
    int64_t r = d->local_of[d->perm[pos]];
    if (r >= 0) {
      d->lorder[n] = r;
      d->lpos[n++] = pos;
    }
  }
}

/* First index in the increasing array pos[0..n) whose value exceeds x (n when none). */
static int64_t first_after(const int64_t *pos, int64_t n, int64_t x) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (pos[mid] <= x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int dynamics_run(dynamics_t *d, const dyn_engine_t *eng, int8_t *s, int64_t q, uint64_t probe_id,
                 int64_t *sweeps, err_t *e) {
  const layout_t *lay = d->lay;
  const int64_t nloc = lay->nloc;
  for (int64_t sweep = 0; sweep < d->max_sweeps; sweep++) {
    make_order(d, probe_id, sweep);
    d->n_sweeps++;
    int64_t start = 0, flips = 0;
    for (;;) {
      int64_t cur = eng->scan(eng->ctx, d, s, q, start);
      int64_t best = cur < nloc ? d->lpos[cur] : INT64_MAX;
      if (lay->g > 1) {
        int mrc = MPI_Allreduce(MPI_IN_PLACE, &best, 1, MPI_INT64_T, MPI_MIN, lay->comm);
        if (mrc != MPI_SUCCESS)
          return ERR(e, ERR_RUNTIME, "MPI_Allreduce in the dynamics failed (%d)", mrc);
      }
      if (best == INT64_MAX)
        break;
      int64_t j = d->perm[best];
      s[j] = (int8_t)-s[j];
      CHECK(e, eng->flip(eng->ctx, s, q, j, e));
      flips++;
      d->n_flips++;
      /* Positions up to `best` are behind us in this sweep; rescan from the first local one
       * after it (a flip can make spins unstable that were stable when passed over). */
      start = first_after(d->lpos, nloc, best);
    }
    if (flips == 0) {
      *sweeps = sweep;
      return 0;
    }
  }
  *sweeps = -1;
  return 0;
}

int dynamics_run_textbook(dynamics_t *d, const couplings_t *cp, int8_t *s, uint64_t probe_id,
                          int64_t *sweeps, err_t *e) {
  const int64_t N = d->lay->N;
  if (d->lay->g != 1 || cp->lay->g != 1)
    return ERR(e, ERR_RUNTIME, "the textbook dynamics needs all of J on one rank");
  for (int64_t sweep = 0; sweep < d->max_sweeps; sweep++) {
    make_order(d, probe_id, sweep);
    int64_t flips = 0;
    for (int64_t pos = 0; pos < N; pos++) {
      int64_t i = d->perm[pos];
      int64_t hi = 0;
      for (int64_t j = 0; j < N; j++) /* row i = column i (J symmetric): contiguous */
        hi += (int64_t)couplings_at(cp, j, i) * s[j];
      if ((int64_t)s[i] * hi < 0) {
        s[i] = (int8_t)-s[i];
        flips++;
      }
    }
    if (flips == 0) {
      *sweeps = sweep;
      return 0;
    }
  }
  *sweeps = -1;
  return 0;
}
