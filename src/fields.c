#include "hopscan/fields.h"

#include "hopscan/util.h"

#include <stdlib.h>
#include <string.h>

#define FIELD_TILE 256

/* The hot loops, generated for each (J entry type, field type): fields of n states (tiled over
 * rows so the tile's fields stay in cache while J streams once), the update after a flip, and the
 * scan for the next unstable local spin in sweep order. */
#define DYN_KERNELS(SUF, JT, HT)                                                                   \
  static void fields_##SUF(const couplings_t *cp, const int8_t *S, int64_t n, HT *H) {             \
    const int64_t N = cp->lay->N, nloc = cp->lay->nloc, lld = cp->lay->lld;                        \
    const JT *J = (const JT *)cp->J;                                                               \
    for (int64_t r0 = 0; r0 < nloc; r0 += FIELD_TILE) {                                            \
      int64_t r1 = r0 + FIELD_TILE < nloc ? r0 + FIELD_TILE : nloc;                                \
      int64_t j = 0;                                                                               \
      /* four columns per pass: a quarter of the field loads and stores; s J = (J ^ m) - m with */ \
      /* m = 0 for s = +1 and m = -1 for s = -1 */                                                 \
      for (; j + 4 <= N; j += 4) {                                                                 \
        const JT *c0 = J + (size_t)j * (size_t)lld, *c1 = c0 + lld, *c2 = c1 + lld,                \
                 *c3 = c2 + lld;                                                                   \
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
        const JT *c0 = J + (size_t)j * (size_t)lld;                                                \
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
    const JT *restrict Jc = (const JT *)cp->J + (size_t)j * (size_t)cp->lay->lld;                  \
    const int64_t nloc = cp->lay->nloc;                                                            \
    if (sj > 0)                                                                                    \
      for (int64_t r = 0; r < nloc; r++)                                                           \
        h[r] += (HT)(2 * (HT)Jc[r]);                                                               \
    else                                                                                           \
      for (int64_t r = 0; r < nloc; r++)                                                           \
        h[r] -= (HT)(2 * (HT)Jc[r]);                                                               \
  }                                                                                                \
  static int64_t scan_##SUF(const dynamics_t *d, const int8_t *s, const HT *h, int64_t cur) {      \
    const int64_t nloc = d->lay->nloc;                                                             \
    const int64_t *rows = d->lay->rows;                                                            \
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
static int variant(const fields_t *f) {
  return (f->cp->elem == 4 ? 2 : 0) + (f->hbytes == 8 ? 1 : 0);
}

void fields_init(fields_t *f, const couplings_t *cp) {
  memset(f, 0, sizeof *f);
  f->cp = cp;
  int64_t hmax;
  f->hbytes = util_mul_i64(cp->P, cp->lay->N - 1, &hmax) && hmax <= INT32_MAX ? 4 : 8;
}

void fields_free(fields_t *f) {
  free(f->H);
  f->H = NULL;
  f->n_states = 0;
}

int fields_set_states(fields_t *f, const int8_t *S, int64_t n, err_t *e) {
  const couplings_t *cp = f->cp;
  fields_free(f);
  CHECK(e, util_calloc(&f->H, (size_t)n * (size_t)cp->lay->lld, (size_t)f->hbytes, "fields", e));
  f->n_states = n;
  switch (variant(f)) {
  case 0:
    fields_j16h32(cp, S, n, f->H);
    break;
  case 1:
    fields_j16h64(cp, S, n, f->H);
    break;
  case 2:
    fields_j32h32(cp, S, n, f->H);
    break;
  default:
    fields_j32h64(cp, S, n, f->H);
  }
  return 0;
}

int64_t fields_at(const fields_t *f, int64_t q, int64_t r) {
  size_t k = (size_t)q * (size_t)f->cp->lay->nloc + (size_t)r;
  return f->hbytes == 4 ? ((const int32_t *)f->H)[k] : ((const int64_t *)f->H)[k];
}

/* Next unstable local position index from cur, for state q. */
static int64_t engine_scan(void *ctx, const dynamics_t *d, const int8_t *s, int64_t q,
                           int64_t cur) {
  const fields_t *f = ctx;
  size_t off = (size_t)q * (size_t)f->cp->lay->nloc;
  switch (variant(f)) {
  case 0:
    return scan_j16h32(d, s, (const int32_t *)f->H + off, cur);
  case 1:
    return scan_j16h64(d, s, (const int64_t *)f->H + off, cur);
  case 2:
    return scan_j32h32(d, s, (const int32_t *)f->H + off, cur);
  default:
    return scan_j32h64(d, s, (const int64_t *)f->H + off, cur);
  }
}

static int engine_flip(void *ctx, const int8_t *s, int64_t q, int64_t j, err_t *e) {
  (void)e;
  fields_t *f = ctx;
  size_t off = (size_t)q * (size_t)f->cp->lay->nloc;
  switch (variant(f)) {
  case 0:
    flip_j16h32(f->cp, (int32_t *)f->H + off, j, s[j]);
    break;
  case 1:
    flip_j16h64(f->cp, (int64_t *)f->H + off, j, s[j]);
    break;
  case 2:
    flip_j32h32(f->cp, (int32_t *)f->H + off, j, s[j]);
    break;
  default:
    flip_j32h64(f->cp, (int64_t *)f->H + off, j, s[j]);
  }
  return 0;
}

dyn_engine_t fields_engine(fields_t *f) {
  return (dyn_engine_t){.scan = engine_scan, .flip = engine_flip, .ctx = f};
}
