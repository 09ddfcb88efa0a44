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
  int64_t hmax;
  d->hbytes = util_mul_i64(cp->P, cp->N - 1, &hmax) && hmax <= INT32_MAX ? 4 : 8;
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
  for (int64_t r = 0; r < cp->nloc; r++) {
    d->local_of[cp->rows[r]] = r;
    d->lpos[r] = r; /* one rank: positions are never remapped (see make_order) */
  }
  return 0;
}

void dynamics_free(dynamics_t *d) {
  free(d->perm);
  free(d->local_of);
  free(d->lorder);
  free(d->lpos);
  free(d->H);
  d->perm = d->local_of = d->lorder = d->lpos = NULL;
  d->H = NULL;
  d->n_states = 0;
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
  if (d->cp->g == 1) { /* every spin is local, in its own position: lpos is 0..N-1 already */
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

#define FIELD_TILE 256

/* The hot loops, generated for each (J entry type, field type): fields of n states (tiled over
 * rows so the tile's fields stay in cache while J streams once), the update after a flip, and the
 * scan for the next unstable local spin in sweep order. */
#define DYN_KERNELS(SUF, JT, HT)                                                                   \
  static void fields_##SUF(const couplings_t *cp, const int8_t *S, int64_t n, HT *H) {             \
    const int64_t N = cp->N, nloc = cp->nloc;                                                      \
    const JT *J = (const JT *)cp->J;                                                               \
    for (int64_t r0 = 0; r0 < nloc; r0 += FIELD_TILE) {                                            \
      int64_t r1 = r0 + FIELD_TILE < nloc ? r0 + FIELD_TILE : nloc;                                \
      int64_t j = 0;                                                                               \
      /* four columns per pass: a quarter of the field loads and stores; s J = (J ^ m) - m with */ \
      /* m = 0 for s = +1 and m = -1 for s = -1 */                                                 \
      for (; j + 4 <= N; j += 4) {                                                                 \
        const JT *c0 = J + (size_t)j * (size_t)cp->lld, *c1 = c0 + cp->lld, *c2 = c1 + cp->lld,    \
                 *c3 = c2 + cp->lld;                                                               \
        for (int64_t q = 0; q < n; q++) {                                                          \
          const int8_t *sq = S + q * N + j;                                                        \
          const HT m0 = -(HT)(sq[0] < 0), m1 = -(HT)(sq[1] < 0), m2 = -(HT)(sq[2] < 0),            \
                   m3 = -(HT)(sq[3] < 0);                                                          \
          HT *restrict h = H + q * nloc;                                                           \
          for (int64_t r = r0; r < r1; r++)                                                        \
            h[r] += (((HT)c0[r] ^ m0) - m0) + (((HT)c1[r] ^ m1) - m1) + (((HT)c2[r] ^ m2) - m2) +  \
                    (((HT)c3[r] ^ m3) - m3);                                                       \
        }                                                                                          \
      }                                                                                            \
      for (; j < N; j++) {                                                                         \
        const JT *c0 = J + (size_t)j * (size_t)cp->lld;                                            \
        for (int64_t q = 0; q < n; q++) {                                                          \
          const HT m0 = -(HT)(S[q * N + j] < 0);                                                   \
          HT *restrict h = H + q * nloc;                                                           \
          for (int64_t r = r0; r < r1; r++)                                                        \
            h[r] += ((HT)c0[r] ^ m0) - m0;                                                         \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
  }                                                                                                \
  static void flip_##SUF(const couplings_t *cp, HT *restrict h, int64_t j, int sj) {               \
    const JT *restrict Jc = (const JT *)cp->J + (size_t)j * (size_t)cp->lld;                       \
    const int64_t nloc = cp->nloc;                                                                 \
    if (sj > 0)                                                                                    \
      for (int64_t r = 0; r < nloc; r++)                                                           \
        h[r] += (HT)(2 * (HT)Jc[r]);                                                               \
    else                                                                                           \
      for (int64_t r = 0; r < nloc; r++)                                                           \
        h[r] -= (HT)(2 * (HT)Jc[r]);                                                               \
  }                                                                                                \
  static int64_t scan_##SUF(const dynamics_t *d, const int8_t *s, const HT *h, int64_t cur) {      \
    const int64_t nloc = d->cp->nloc;                                                              \
    const int64_t *rows = d->cp->rows;                                                             \
    while (cur < nloc) {                                                                           \
      int64_t r = d->lorder[cur];                                                                  \
      if ((s[rows[r]] > 0) ? h[r] < 0 : h[r] > 0)                                                  \
        break;                                                                                     \
      cur++;                                                                                       \
    }                                                                                              \
    return cur;                                                                                    \
  }

DYN_KERNELS(j16h32, int16_t, int32_t)
DYN_KERNELS(j16h64, int16_t, int64_t)
DYN_KERNELS(j32h32, int32_t, int32_t)
DYN_KERNELS(j32h64, int32_t, int64_t)

/* Index of the (J type, field type) variant: 0..3 in the order above. */
static int variant(const dynamics_t *d) {
  return (d->cp->elem == 4 ? 2 : 0) + (d->hbytes == 8 ? 1 : 0);
}

int dynamics_set_states(dynamics_t *d, const int8_t *S, int64_t n, err_t *e) {
  const couplings_t *cp = d->cp;
  free(d->H);
  d->H = NULL;
  d->n_states = 0;
  CHECK(e, util_calloc(&d->H, (size_t)n * (size_t)cp->lld, (size_t)d->hbytes, "fields", e));
  d->n_states = n;
  switch (variant(d)) {
  case 0:
    fields_j16h32(cp, S, n, d->H);
    break;
  case 1:
    fields_j16h64(cp, S, n, d->H);
    break;
  case 2:
    fields_j32h32(cp, S, n, d->H);
    break;
  default:
    fields_j32h64(cp, S, n, d->H);
  }
  return 0;
}

int64_t dynamics_field(const dynamics_t *d, int64_t q, int64_t r) {
  size_t k = (size_t)q * (size_t)d->cp->nloc + (size_t)r;
  return d->hbytes == 4 ? ((const int32_t *)d->H)[k] : ((const int64_t *)d->H)[k];
}

/* Next unstable local position index from cur, and the flip update, for state q. */
static int64_t scan(const dynamics_t *d, const int8_t *s, int64_t q, int64_t cur) {
  size_t off = (size_t)q * (size_t)d->cp->nloc;
  switch (variant(d)) {
  case 0:
    return scan_j16h32(d, s, (const int32_t *)d->H + off, cur);
  case 1:
    return scan_j16h64(d, s, (const int64_t *)d->H + off, cur);
  case 2:
    return scan_j32h32(d, s, (const int32_t *)d->H + off, cur);
  default:
    return scan_j32h64(d, s, (const int64_t *)d->H + off, cur);
  }
}

static void flip(dynamics_t *d, int64_t q, int64_t j, int sj) {
  size_t off = (size_t)q * (size_t)d->cp->nloc;
  switch (variant(d)) {
  case 0:
    flip_j16h32(d->cp, (int32_t *)d->H + off, j, sj);
    break;
  case 1:
    flip_j16h64(d->cp, (int64_t *)d->H + off, j, sj);
    break;
  case 2:
    flip_j32h32(d->cp, (int32_t *)d->H + off, j, sj);
    break;
  default:
    flip_j32h64(d->cp, (int64_t *)d->H + off, j, sj);
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

int dynamics_run(dynamics_t *d, int8_t *s, int64_t q, uint64_t probe_id, int64_t *sweeps,
                 err_t *e) {
  const couplings_t *cp = d->cp;
  const int64_t nloc = cp->nloc;
  if (q < 0 || q >= d->n_states)
    return ERR(e, ERR_RUNTIME, "dynamics_run: state %lld has no fields", (long long)q);
  for (int64_t sweep = 0; sweep < d->max_sweeps; sweep++) {
    make_order(d, probe_id, sweep);
    d->n_sweeps++;
    int64_t start = 0, flips = 0;
    for (;;) {
      int64_t cur = scan(d, s, q, start);
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
      flip(d, q, j, s[j]);
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
