#include "hopscan/patterns.h"

#include "hopscan/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int rfhm_init_rows(patterns_t *p, err_t *e) {
  CHECK(e, util_alloc((void **)&p->F, (size_t)p->nloc, (size_t)p->D, "feature rows", e));
  rng_addr_t a = p->addr;
  a.stream = RNG_FEATURES;
  for (int64_t r = 0; r < p->nloc; r++) {
    int8_t *f = p->F + r * p->D;
    rng_bits_t bits;
    rng_bits_start(&bits, &a, (uint64_t)p->rows[r], 0);
    for (int64_t k = 0; k < p->D; k++)
      f[k] = (int8_t)rng_bits_sign(&bits, (uint64_t)k);
  }
  return 0;
}

static int hopfield_init_rows(patterns_t *p, err_t *e) {
  (void)p;
  (void)e;
  return 0;
}

int patterns_init(patterns_t *p, const patterns_spec_t *spec, const int64_t *rows, int64_t nloc,
                  err_t *e) {
  p->model = spec->model;
  p->coef = spec->coef;
  p->N = spec->N;
  p->P = spec->P;
  p->D = model_defs[spec->model].features ? spec->D : 0;
  p->L = model_defs[spec->model].features ? spec->L : 0;
  p->addr = spec->addr;
  p->nloc = nloc;
  p->rows = rows;
  p->F = NULL;
  return model_defs[p->model].init_rows(p, e);
}

void patterns_free(patterns_t *p) {
  free(p->F);
  p->F = NULL;
}

/* Coefficients of `cnt` examples: pos[q*L + l] (NULL when dense: positions 0..D-1) and
 * val[q*L + l] integers (+-1, or Gaussian in fixed point). */
typedef struct coefs {
  int64_t cnt, L;
  int64_t *pos;
  int32_t *val;
} coefs_t;

static void coefs_free(coefs_t *cf) {
  free(cf->pos);
  free(cf->val);
}

static int coefs_make(const patterns_t *p, examples_kind kind, const int64_t *idx, int64_t nu0,
                      int64_t cnt, coefs_t *cf, err_t *e) {
  cf->cnt = cnt;
  cf->L = p->L;
  cf->pos = NULL;
  cf->val = NULL;
  bool dense = p->L == p->D;
  rng_addr_t a = p->addr;
  a.stream = kind == EXAMPLES_TRAIN ? RNG_COEF_TRAIN : RNG_COEF_TEST;
  size_t n = (size_t)cnt * (size_t)p->L;
  int rc = util_alloc((void **)&cf->val, n, sizeof(int32_t), "coefficients", e);
  if (!rc && !dense)
    rc = util_alloc((void **)&cf->pos, n, sizeof(int64_t), "coefficient positions", e);
  if (rc) {
    coefs_free(cf);
    return rc;
  }
  for (int64_t q = 0; q < cnt; q++) {
    uint64_t nu = (uint64_t)(idx ? idx[q] : nu0 + q);
    int32_t *v = cf->val + q * p->L;
    if (!dense && rng_distinct(&a, nu, 0, p->L, p->D, cf->pos + q * p->L) != 0) {
      coefs_free(cf);
      return ERR(e, ERR_RUNTIME, "out of memory drawing coefficient positions");
    }
    if (p->coef == COEF_PM1) {
      rng_bits_t signs;
      rng_bits_start(&signs, &a, nu, 1);
      for (int64_t l = 0; l < p->L; l++)
        v[l] = rng_bits_sign(&signs, (uint64_t)l);
    } else {
      uint64_t w[4];
      for (int64_t l = 0; l < p->L; l++) {
        if ((l & 1) == 0)
          rng_block(&a, nu, 2, (uint64_t)l >> 1, w);
        uint64_t w1 = w[2 * (l & 1)], w2 = w[2 * (l & 1) + 1];
        double g = sqrt(-2.0 * log(rng_open01(w1))) * cos(2.0 * M_PI * rng_open01(w2));
        v[l] = (int32_t)llround(g * PATTERNS_GAUSS_SCALE);
      }
    }
  }
  return 0;
}

/* sign(F[r] . c_q) for local row r, with a coin on 0. */
/* Dense examples with at most this many coefficients sum in 32 bits (it vectorizes): a
 * coefficient is at most |round(g 2^16)| <= 561738 (|g| <= 8.57 for a uniform > 2^-53), so
 * the sum stays below 2^31 and is exact. */
#define PATTERNS_I32_MAX_L 3800

static inline int64_t example_field(const patterns_t *p, const coefs_t *cf, int64_t q, int64_t r) {
  const int8_t *f = p->F + r * p->D;
  const int32_t *v = cf->val + q * cf->L;
  int64_t x = 0;
  if (cf->pos) {
    const int64_t *pos = cf->pos + q * cf->L;
    for (int64_t l = 0; l < cf->L; l++)
      x += (int64_t)f[pos[l]] * v[l];
  } else if (cf->L <= PATTERNS_I32_MAX_L) {
    int32_t x32 = 0;
    for (int64_t l = 0; l < cf->L; l++)
      x32 += (int32_t)f[l] * v[l];
    x = x32;
  } else {
    for (int64_t l = 0; l < cf->L; l++)
      x += (int64_t)f[l] * v[l];
  }
  return x;
}

static inline int example_value(const patterns_t *p, const coefs_t *cf, int64_t q, int64_t r,
                                rng_bits_t *tie, uint64_t nu) {
  const int64_t x = example_field(p, cf, q, r);
  if (x > 0)
    return 1;
  if (x < 0)
    return -1;
  return rng_bits_sign(tie, nu);
}

/* Calls emit(ctx, r, q, value) for every local row r and example q of the list/range. */
typedef void (*emit_fn)(void *ctx, int64_t r, int64_t q, int value);

static int hopfield_examples(const patterns_t *p, bool test, const int64_t *idx, int64_t nu0,
                             int64_t cnt, emit_fn emit, void *ctx, err_t *e) {
  (void)e;
  rng_addr_t a = p->addr;
  a.stream = test ? RNG_PATTERN_TEST : RNG_PATTERN_TRAIN;
  for (int64_t r = 0; r < p->nloc; r++) {
    rng_bits_t bits;
    rng_bits_start(&bits, &a, (uint64_t)p->rows[r], 0);
    for (int64_t q = 0; q < cnt; q++)
      emit(ctx, r, q, rng_bits_sign(&bits, (uint64_t)(idx ? idx[q] : nu0 + q)));
  }
  return 0;
}

static int rfhm_examples(const patterns_t *p, bool test, const int64_t *idx, int64_t nu0,
                         int64_t cnt, emit_fn emit, void *ctx, err_t *e) {
  examples_kind kind = test ? EXAMPLES_TEST : EXAMPLES_TRAIN;
  coefs_t cf;
  CHECK(e, coefs_make(p, kind, idx, nu0, cnt, &cf, e));
  rng_addr_t tie = p->addr;
  tie.stream = kind == EXAMPLES_TRAIN ? RNG_TIE_TRAIN : RNG_TIE_TEST;
  for (int64_t r = 0; r < p->nloc; r++) {
    rng_bits_t coins;
    rng_bits_start(&coins, &tie, (uint64_t)p->rows[r], 0);
    for (int64_t q = 0; q < cnt; q++)
      emit(ctx, r, q, example_value(p, &cf, q, r, &coins, (uint64_t)(idx ? idx[q] : nu0 + q)));
  }
  coefs_free(&cf);
  return 0;
}

static int examples_each(const patterns_t *p, examples_kind kind, const int64_t *idx, int64_t nu0,
                         int64_t cnt, emit_fn emit, void *ctx, err_t *e) {
  return model_defs[p->model].examples(p, kind == EXAMPLES_TEST, idx, nu0, cnt, emit, ctx, e);
}

typedef struct {
  float *out;
  int64_t ld;
} f32_sink;

static void emit_f32(void *ctx, int64_t r, int64_t q, int value) {
  f32_sink *s = ctx;
  s->out[r + q * s->ld] = (float)value;
}

int patterns_examples_f32(const patterns_t *p, examples_kind kind, int64_t nu0, int64_t cnt,
                          float *out, int64_t ld, err_t *e) {
  f32_sink s = {out, ld};
  CHECK(e, examples_each(p, kind, NULL, nu0, cnt, emit_f32, &s, e));
  return 0;
}

typedef struct {
  int8_t *out;
  int64_t ld;
  const int64_t *rows;
} i8_sink;

static void emit_i8(void *ctx, int64_t r, int64_t q, int value) {
  i8_sink *s = ctx;
  s->out[q * s->ld + s->rows[r]] = (int8_t)value;
}

int patterns_examples_i8(const patterns_t *p, examples_kind kind, const int64_t *idx, int64_t n,
                         int8_t *out, int64_t ldo, err_t *e) {
  i8_sink s = {out, ldo, p->rows};
  CHECK(e, examples_each(p, kind, idx, 0, n, emit_i8, &s, e));
  return 0;
}

void patterns_features_i8(const patterns_t *p, const int64_t *k, int64_t n, int8_t *out,
                          int64_t ldo) {
  for (int64_t q = 0; q < n; q++)
    for (int64_t r = 0; r < p->nloc; r++)
      out[q * ldo + p->rows[r]] = p->F[r * p->D + k[q]];
}

/* Hopfield: bit nu of the packed row is the complement of bit nu of the row's random sequence
 * (rng_bits_sign: bit 1 is +1), so whole words are copied. */
static void pack_hopfield(const patterns_t *p, uint64_t *X, int64_t W) {
  rng_addr_t a = p->addr;
  a.stream = RNG_PATTERN_TRAIN;
  const int64_t words = (p->P + 63) / 64;
  for (int64_t r = 0; r < p->nloc; r++) {
    uint64_t *x = X + (size_t)r * (size_t)W, w[4];
    for (int64_t k = 0; k < words; k++) {
      if ((k & 3) == 0)
        rng_block(&a, (uint64_t)p->rows[r], 0, (uint64_t)k >> 2, w);
      x[k] = ~w[k & 3];
    }
    if (p->P & 63)
      x[words - 1] &= (UINT64_C(1) << (p->P & 63)) - 1;
  }
}

/* sign(0) at examples nu0 + i for the set bits i of ties: the row's coin (`coins`, started at
 * its row) sets bit i of w where it says -1. */
static uint64_t tie_bits(rng_bits_t *coins, uint64_t w, uint64_t ties, int64_t nu0) {
  for (; ties; ties &= ties - 1) {
    int i = __builtin_ctzll(ties);
    w |= (uint64_t)(rng_bits_sign(coins, (uint64_t)(nu0 + i)) < 0) << i;
  }
  return w;
}

/* RFHM, any coefficients: the sign bits of sign(F c) for examples [nu0, nu0 + cf->cnt) of every
 * local row, built a word at a time (the same example_value as every other path, inlined).
 * nu0 % 64 == 0. */
static inline __attribute__((always_inline)) void
pack_rfhm_rows(const patterns_t *p, const coefs_t *cf, int64_t nu0, uint64_t *X, int64_t W) {
  rng_addr_t tie = p->addr;
  tie.stream = RNG_TIE_TRAIN;
  for (int64_t r = 0; r < p->nloc; r++) {
    rng_bits_t coins;
    rng_bits_start(&coins, &tie, (uint64_t)p->rows[r], 0);
    uint64_t *x = X + (size_t)r * (size_t)W + (nu0 >> 6);
    for (int64_t q0 = 0; q0 < cf->cnt; q0 += 64) {
      const int n = (int)(q0 + 64 < cf->cnt ? 64 : cf->cnt - q0);
      int64_t h[64];
      for (int i = 0; i < n; i++) /* pure arithmetic first: the compiler keeps it in registers */
        h[i] = example_field(p, cf, q0 + i, r);
      uint64_t w = 0, ties = 0;
      for (int i = 0; i < n; i++) {
        w |= (uint64_t)(h[i] < 0) << i;
        ties |= (uint64_t)(h[i] == 0) << i;
      }
      x[q0 >> 6] = tie_bits(&coins, w, ties, nu0 + q0); /* sign(0): rare */
    }
  }
}

static void pack_rfhm_plain(const patterns_t *p, const coefs_t *cf, int64_t nu0, uint64_t *X,
                            int64_t W) {
  pack_rfhm_rows(p, cf, nu0, X, W);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* the same compiled for AVX2: dense dot products in 8 lanes (the same integers) */
__attribute__((target("avx2"))) static void pack_rfhm_avx2(const patterns_t *p, const coefs_t *cf,
                                                           int64_t nu0, uint64_t *X, int64_t W) {
  pack_rfhm_rows(p, cf, nu0, X, W);
}
#endif

static void pack_rfhm_chunk(const patterns_t *p, const coefs_t *cf, int64_t nu0, uint64_t *X,
                            int64_t W) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) {
    pack_rfhm_avx2(p, cf, nu0, X, W);
    return;
  }
#endif
  pack_rfhm_plain(p, cf, nu0, X, W);
}

/* ---- +-1 coefficients: sign(F c) from bit counts -----------------------------------------------
 * With +-1 features and coefficients F[r] . c_q = L - 2 n, n the number of terms f v = -1, so the
 * example is -1 where n > L/2 and a coin where n = L/2 (L even): the same values as
 * pack_rfhm_chunk, from XOR and bit counts instead of a product per term. */

/* Transposes the 64 x 64 bit matrix a in place: bit j of a[i] becomes bit i of a[j]. */
static void transpose64(uint64_t a[64]) {
  static const uint64_t m[6] = {0x00000000FFFFFFFFull, 0x0000FFFF0000FFFFull,
                                0x00FF00FF00FF00FFull, 0x0F0F0F0F0F0F0F0Full,
                                0x3333333333333333ull, 0x5555555555555555ull};
  for (int s = 0, j = 32; j; s++, j >>= 1)
    for (int k = 0; k < 64; k++)
      if (!(k & j)) { /* swap a[k]'s upper j-bit halves with a[k + j]'s lower ones */
        const uint64_t t = ((a[k] >> j) ^ a[k + j]) & m[s];
        a[k] ^= t << j;
        a[k + j] ^= t;
      }
}

/* Sparse (L < D): 64 local rows at a time, bit-sliced. Fb[(r / 64) D + k] has bit r % 64 set
 * where F[r][k] = -1. */
static int feature_slices(const patterns_t *p, uint64_t **Fb, err_t *e) {
  const int64_t blocks = (p->nloc + 63) / 64;
  CHECK(e, util_calloc((void **)Fb, (size_t)(blocks * p->D), sizeof **Fb, "feature slices", e));
  for (int64_t r = 0; r < p->nloc; r++) {
    const int8_t *f = p->F + r * p->D;
    uint64_t *sl = *Fb + (r / 64) * p->D, bit = UINT64_C(1) << (r % 64);
    for (int64_t k = 0; k < p->D; k++)
      sl[k] |= f[k] < 0 ? bit : 0;
  }
  return 0;
}

/* Per example q and 64 rows: n counted in B bit planes (a ripple adder per term), compared with
 * L/2 plane by plane from the top; then 64 examples x 64 rows transposed into the rows' words. */
static void pack_sparse_pm1_chunk(const patterns_t *p, const coefs_t *cf, const uint64_t *Fb,
                                  int64_t nu0, uint64_t *X, int64_t W) {
  const int64_t L = cf->L, half = L / 2;
  const int B = 64 - __builtin_clzll((uint64_t)L); /* planes: n <= L < 2^B */
  rng_addr_t tie = p->addr;
  tie.stream = RNG_TIE_TRAIN;
  for (int64_t rb = 0; rb < p->nloc; rb += 64) {
    const uint64_t *fb = Fb + (rb / 64) * p->D;
    const int nr = (int)(p->nloc - rb < 64 ? p->nloc - rb : 64);
    for (int64_t q0 = 0; q0 < cf->cnt; q0 += 64) {
      const int n = (int)(q0 + 64 < cf->cnt ? 64 : cf->cnt - q0);
      uint64_t neg[64], ties[64], any_tie = 0;
      for (int i = 0; i < 64; i++) {
        uint64_t c[64], gt = 0, eq = ~UINT64_C(0);
        for (int b = 0; b < B; b++)
          c[b] = 0;
        const int64_t *pos = cf->pos + (q0 + i) * L;
        const int32_t *v = cf->val + (q0 + i) * L;
        for (int64_t l = 0; i < n && l < L; l++) {
          uint64_t t = fb[pos[l]] ^ (v[l] < 0 ? ~UINT64_C(0) : 0); /* rows with f v = -1 */
          for (int b = 0; b < B; b++) {
            const uint64_t carry = c[b] & t;
            c[b] ^= t;
            t = carry;
          }
        }
        for (int b = B - 1; b >= 0; b--) {
          if ((half >> b) & 1) {
            eq &= c[b];
          } else {
            gt |= eq & c[b];
            eq &= ~c[b];
          }
        }
        neg[i] = i < n ? gt : 0;
        ties[i] = i < n && !(L & 1) ? eq : 0;
        any_tie |= ties[i];
      }
      transpose64(neg);
      if (any_tie)
        transpose64(ties);
      for (int j = 0; j < nr; j++) {
        uint64_t w = neg[j];
        if (any_tie && ties[j]) {
          rng_bits_t coins;
          rng_bits_start(&coins, &tie, (uint64_t)p->rows[rb + j], 0);
          w = tie_bits(&coins, w, ties[j], nu0 + q0);
        }
        X[(size_t)(rb + j) * (size_t)W + (size_t)((nu0 + q0) >> 6)] = w;
      }
    }
  }
}

/* Dense (L = D): n = popcount(row's feature sign bits XOR the example's coefficient sign bits),
 * over WD = ceil(D / 64) words; Fr[r WD ..] the rows', V[q WD ..] the chunk's examples'. */
static inline __attribute__((always_inline)) void
pack_dense_rows(const patterns_t *p, const coefs_t *cf, const uint64_t *Fr, const uint64_t *V,
                int64_t WD, int64_t nu0, uint64_t *X, int64_t W) {
  const int64_t L = cf->L;
  rng_addr_t tie = p->addr;
  tie.stream = RNG_TIE_TRAIN;
  for (int64_t r = 0; r < p->nloc; r++) {
    const uint64_t *f = Fr + r * WD;
    uint64_t *x = X + (size_t)r * (size_t)W + (nu0 >> 6);
    rng_bits_t coins;
    rng_bits_start(&coins, &tie, (uint64_t)p->rows[r], 0);
    for (int64_t q0 = 0; q0 < cf->cnt; q0 += 64) {
      const int n = (int)(q0 + 64 < cf->cnt ? 64 : cf->cnt - q0);
      uint64_t w = 0, ties = 0;
      for (int i = 0; i < n; i++) {
        const uint64_t *v = V + (q0 + i) * WD;
        int64_t cnt = 0;
        for (int64_t k = 0; k < WD; k++)
          cnt += __builtin_popcountll(f[k] ^ v[k]);
        w |= (uint64_t)(2 * cnt > L) << i;
        ties |= (uint64_t)(2 * cnt == L) << i;
      }
      x[q0 >> 6] = tie_bits(&coins, w, ties, nu0 + q0);
    }
  }
}

static void pack_dense_plain(const patterns_t *p, const coefs_t *cf, const uint64_t *Fr,
                             const uint64_t *V, int64_t WD, int64_t nu0, uint64_t *X, int64_t W) {
  pack_dense_rows(p, cf, Fr, V, WD, nu0, X, W);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* the same with the popcnt instruction (without it gcc calls libgcc once per word) */
__attribute__((target("popcnt"))) static void
pack_dense_popcnt(const patterns_t *p, const coefs_t *cf, const uint64_t *Fr, const uint64_t *V,
                  int64_t WD, int64_t nu0, uint64_t *X, int64_t W) {
  pack_dense_rows(p, cf, Fr, V, WD, nu0, X, W);
}
#endif

static void pack_dense_pm1_chunk(const patterns_t *p, const coefs_t *cf, const uint64_t *Fr,
                                 uint64_t *V, int64_t WD, int64_t nu0, uint64_t *X, int64_t W) {
  memset(V, 0, (size_t)(cf->cnt * WD) * sizeof *V);
  for (int64_t q = 0; q < cf->cnt; q++)
    for (int64_t l = 0; l < cf->L; l++)
      V[q * WD + l / 64] |= (uint64_t)(cf->val[q * cf->L + l] < 0) << (l % 64);
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("popcnt")) {
    pack_dense_popcnt(p, cf, Fr, V, WD, nu0, X, W);
    return;
  }
#endif
  pack_dense_plain(p, cf, Fr, V, WD, nu0, X, W);
}

/* Examples per pass, a multiple of 64: their coefficients (512 L * 12 bytes) stay in L1/L2 while
 * every local row reads them. */
#define PACK_CHUNK 512

/* RFHM train examples, packed: the bit-count paths for +-1 coefficients unless `generic`. */
static int pack_rfhm(const patterns_t *p, uint64_t *X, int64_t W, bool generic, err_t *e) {
  const bool pm1 = p->coef == COEF_PM1 && !generic, dense = p->L == p->D;
  const int64_t WD = (p->D + 63) / 64;
  uint64_t *tab = NULL, *V = NULL; /* feature slices (sparse) or sign rows (dense); V: dense */
  int rc = 0;
  if (pm1 && !dense)
    rc = feature_slices(p, &tab, e);
  if (pm1 && dense) {
    rc = util_calloc((void **)&tab, (size_t)(p->nloc * WD), sizeof *tab, "feature signs", e);
    if (!rc)
      rc = util_alloc((void **)&V, (size_t)(PACK_CHUNK * WD), sizeof *V, "coefficient signs", e);
    for (int64_t r = 0; !rc && r < p->nloc; r++)
      for (int64_t k = 0; k < p->D; k++)
        tab[r * WD + k / 64] |= (uint64_t)(p->F[r * p->D + k] < 0) << (k % 64);
  }
  for (int64_t nu0 = 0; !rc && nu0 < p->P; nu0 += PACK_CHUNK) {
    int64_t cnt = p->P - nu0 < PACK_CHUNK ? p->P - nu0 : PACK_CHUNK;
    coefs_t cf;
    rc = coefs_make(p, EXAMPLES_TRAIN, NULL, nu0, cnt, &cf, e);
    if (rc)
      break;
    if (!pm1)
      pack_rfhm_chunk(p, &cf, nu0, X, W);
    else if (dense)
      pack_dense_pm1_chunk(p, &cf, tab, V, WD, nu0, X, W);
    else
      pack_sparse_pm1_chunk(p, &cf, tab, nu0, X, W);
    coefs_free(&cf);
  }
  free(tab);
  free(V);
  return rc;
}

static int train_packed(const patterns_t *p, uint64_t *X, int64_t W, bool generic, err_t *e) {
  memset(X, 0, (size_t)p->nloc * (size_t)W * sizeof(uint64_t));
  if (model_defs[p->model].pack_train) {
    model_defs[p->model].pack_train(p, X, W);
    return 0;
  }
  return pack_rfhm(p, X, W, generic, e);
}

int patterns_train_packed(const patterns_t *p, uint64_t *X, int64_t W, err_t *e) {
  return train_packed(p, X, W, false, e);
}

int patterns_train_packed_generic(const patterns_t *p, uint64_t *X, int64_t W, err_t *e) {
  return train_packed(p, X, W, true, e);
}

/* The model table (model.h): each model's axes, allowed probe families and pattern generator. */
const model_def_t model_defs[MODEL_COUNT] = {
    [MODEL_RFHM] = {.name = "rfhm",
                    .features = true,
                    .kinds = 1u << PROBE_TRAIN | 1u << PROBE_TEST | 1u << PROBE_FEATURE |
                             1u << PROBE_MIXTURE,
                    .init_rows = rfhm_init_rows,
                    .examples = rfhm_examples,
                    .pack_train = NULL},
    [MODEL_HOPFIELD] = {.name = "hopfield",
                        .features = false,
                        .kinds = 1u << PROBE_TRAIN | 1u << PROBE_TEST | 1u << PROBE_MIXTURE,
                        .init_rows = hopfield_init_rows,
                        .examples = hopfield_examples,
                        .pack_train = pack_hopfield},
};
