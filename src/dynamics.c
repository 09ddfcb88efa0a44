#include "hopscan/dynamics.h"

#include "hopscan/util.h"

#include <stdlib.h>
#include <string.h>

int dynamics_init(dynamics_t *d, const couplings_t *cp, const config_t *c, uint64_t seed,
                  uint64_t point, uint64_t sample, MPI_Comm comm, err_t *e) {
  memset(d, 0, sizeof *d);
  d->cp = cp;
  d->comm = comm;
  d->order = c->order;
  d->max_sweeps = c->max_sweeps;
  d->addr = (rng_addr_t){.seed = seed, .sample = sample, .point = point, .stream = RNG_SWEEP};
  const size_t N = (size_t)cp->N, nl = (size_t)cp->lld;
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
  for (int64_t r = 0; r < cp->nloc; r++)
    d->local_of[cp->rows[r]] = r;
  return 0;
}

void dynamics_free(dynamics_t *d) {
  free(d->perm);
  free(d->local_of);
  free(d->lorder);
  free(d->lpos);
  d->perm = d->local_of = d->lorder = d->lpos = NULL;
}

#define FIELD_TILE 256

void dynamics_fields(const dynamics_t *d, const int8_t *S, int64_t n, int64_t *H) {
  const couplings_t *cp = d->cp;
  const int64_t N = cp->N, nloc = cp->nloc;
  memset(H, 0, (size_t)n * (size_t)nloc * sizeof(int64_t));
  for (int64_t r0 = 0; r0 < nloc; r0 += FIELD_TILE) {
    int64_t r1 = r0 + FIELD_TILE < nloc ? r0 + FIELD_TILE : nloc;
    for (int64_t j = 0; j < N; j++) {
      size_t col = (size_t)j * (size_t)cp->lld;
      for (int64_t q = 0; q < n; q++) {
        int64_t *h = H + q * nloc;
        const int64_t sj = S[q * N + j];
        if (cp->elem == 2) {
          const int16_t *Jc = (const int16_t *)cp->J + col;
          for (int64_t r = r0; r < r1; r++)
            h[r] += sj * Jc[r];
        } else {
          const int32_t *Jc = (const int32_t *)cp->J + col;
          for (int64_t r = r0; r < r1; r++)
            h[r] += sj * Jc[r];
        }
      }
    }
  }
}

/* Sweep order of (probe, sweep): Fisher-Yates from the top with one random word per step, and
 * the local rows listed in that order. */
static void make_order(dynamics_t *d, uint64_t probe_id, int64_t sweep) {
  const int64_t N = d->cp->N;
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
  int64_t n = 0;
  for (int64_t pos = 0; pos < N; pos++) {
    int64_t r = d->local_of[d->perm[pos]];
    if (r >= 0) {
      d->lorder[n] = r;
      d->lpos[n++] = pos;
    }
  }
}

/* h_r += 2 s_j J[r][j] for the local rows after spin j took the value sj. */
static void apply_flip(const couplings_t *cp, int64_t *h, int64_t j, int64_t sj) {
  const size_t col = (size_t)j * (size_t)cp->lld;
  const int64_t two_s = 2 * sj;
  if (cp->elem == 2) {
    const int16_t *Jc = (const int16_t *)cp->J + col;
    for (int64_t r = 0; r < cp->nloc; r++)
      h[r] += two_s * Jc[r];
  } else {
    const int32_t *Jc = (const int32_t *)cp->J + col;
    for (int64_t r = 0; r < cp->nloc; r++)
      h[r] += two_s * Jc[r];
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

int dynamics_run(dynamics_t *d, int8_t *s, int64_t *h, uint64_t probe_id, int64_t *sweeps,
                 err_t *e) {
  const couplings_t *cp = d->cp;
  const int64_t nloc = cp->nloc;
  for (int64_t sweep = 0; sweep < d->max_sweeps; sweep++) {
    make_order(d, probe_id, sweep);
    int64_t start = 0, flips = 0;
    for (;;) {
      int64_t cur = start;
      while (cur < nloc) {
        int64_t r = d->lorder[cur];
        if ((int64_t)s[cp->rows[r]] * h[r] < 0)
          break;
        cur++;
      }
      int64_t best = cur < nloc ? d->lpos[cur] : INT64_MAX;
      if (cp->g > 1) {
        int mrc = MPI_Allreduce(MPI_IN_PLACE, &best, 1, MPI_INT64_T, MPI_MIN, d->comm);
        if (mrc != MPI_SUCCESS)
          return ERR(e, ERR_RUNTIME, "MPI_Allreduce in the dynamics failed (%d)", mrc);
      }
      if (best == INT64_MAX)
        break;
      int64_t j = d->perm[best];
      s[j] = (int8_t)-s[j];
      apply_flip(cp, h, j, s[j]);
      flips++;
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

int dynamics_run_textbook(dynamics_t *d, int8_t *s, uint64_t probe_id, int64_t *sweeps, err_t *e) {
  const couplings_t *cp = d->cp;
  const int64_t N = cp->N;
  if (cp->g != 1)
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

int64_t dynamics_energy(const dynamics_t *d, const int8_t *s) {
  const couplings_t *cp = d->cp;
  int64_t local = 0;
  for (int64_t r = 0; r < cp->nloc; r++) {
    int64_t hr = 0;
    for (int64_t j = 0; j < cp->N; j++)
      hr += (int64_t)couplings_at(cp, r, j) * s[j];
    local += hr * s[cp->rows[r]];
  }
  int64_t total = local;
  if (cp->g > 1)
    MPI_Allreduce(&local, &total, 1, MPI_INT64_T, MPI_SUM, d->comm);
  return -total / 2;
}
