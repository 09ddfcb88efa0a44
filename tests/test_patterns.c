/* patterns: the packed train examples of the +-1 bit-count paths (sparse: bit-sliced over 64
 * rows and transposed; dense: popcount of sign bits) against the per-entry reference path, bit
 * for bit, padding included — odd and even L (even L has ties, decided by each row's coin),
 * L = 1, dense D below, at and above 64, P and local row counts not multiples of 64, rows a
 * scattered subset of the N neurons, several chunks of examples; Gaussian coefficients (the
 * reference path itself: 32-bit dense sums, vectorized in the packer) as a control. Also every
 * packed bit against patterns_examples_i8. */
#include "hopscan/patterns.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* Packs examples of spec for every third neuron (from `first`) both ways; returns the number of
 * words that differ, and checks the bits against the int8 examples of a few columns. */
static int64_t compare(model_kind model, coef_kind coef, int64_t N, int64_t P, int64_t D, int64_t L,
                       int64_t first, uint64_t seed) {
  patterns_spec_t spec = {.model = model,
                          .coef = coef,
                          .N = N,
                          .P = P,
                          .D = D,
                          .L = L,
                          .addr = {.seed = seed, .sample = 3, .point = 7}};
  int64_t nloc = (N - first + 2) / 3, W = (P + 63) / 64 + 1; /* a spare word: padding */
  int64_t *rows = malloc((size_t)nloc * sizeof *rows);
  for (int64_t r = 0; r < nloc; r++)
    rows[r] = first + 3 * r;
  patterns_t p;
  err_t e;
  T_OK(&e, patterns_init(&p, &spec, rows, nloc, &e));
  uint64_t *a = malloc((size_t)(nloc * W) * sizeof *a), *b = malloc((size_t)(nloc * W) * sizeof *b);
  memset(a, 0xa5, (size_t)(nloc * W) * sizeof *a); /* both must clear what they do not set */
  memset(b, 0x5a, (size_t)(nloc * W) * sizeof *b);
  T_OK(&e, patterns_train_packed(&p, a, W, &e));
  T_OK(&e, patterns_train_packed_generic(&p, b, W, &e));
  int64_t bad = 0, ones = 0;
  for (int64_t k = 0; k < nloc * W; k++) {
    bad += a[k] != b[k];
    ones += __builtin_popcountll(a[k]);
  }
  T_CHECK(ones > nloc * P / 4 && ones < 3 * nloc * P / 4); /* about half the entries are -1 */
  /* the int8 examples (example_value, compiled without the packers' AVX2 clone) agree */
  int64_t *idx = malloc((size_t)P * sizeof *idx);
  for (int64_t q = 0; q < P; q++)
    idx[q] = q;
  int8_t *x8 = calloc((size_t)(P * N), 1);
  T_OK(&e, patterns_examples_i8(&p, EXAMPLES_TRAIN, idx, P, x8, N, &e));
  for (int64_t q = 0; q < P; q++)
    for (int64_t r = 0; r < nloc; r++)
      bad += ((a[r * W + q / 64] >> (q % 64)) & 1) != (x8[q * N + rows[r]] < 0);
  free(x8);
  free(idx);
  free(a);
  free(b);
  patterns_free(&p);
  free(rows);
  return bad;
}

int main(void) {
  struct {
    coef_kind coef;
    int64_t N, P, D, L, first;
  } cases[] = {
      {COEF_PM1, 300, 1000, 30, 3, 0},    /* sparse, odd L: no ties */
      {COEF_PM1, 301, 777, 30, 2, 1},     /* even L: ties at n = 1, half the entries */
      {COEF_PM1, 250, 1100, 40, 4, 2},    /* even L = 4 */
      {COEF_PM1, 200, 513, 12, 1, 0},     /* L = 1: the feature's sign times the coefficient */
      {COEF_PM1, 400, 1030, 200, 7, 1},   /* D > 64 */
      {COEF_PM1, 260, 700, 99, 98, 0},    /* sparse with L near D (7 planes) */
      {COEF_PM1, 300, 1000, 31, 31, 0},   /* dense, odd D < 64 */
      {COEF_PM1, 300, 1000, 64, 64, 2},   /* dense, even D: ties */
      {COEF_PM1, 350, 600, 161, 161, 1},  /* dense over 3 words */
      {COEF_PM1, 190, 1500, 130, 130, 0}, /* dense, even, 3 words */
      {COEF_GAUSSIAN, 200, 700, 30, 3, 0},    {COEF_GAUSSIAN, 200, 700, 31, 31, 1},
      {COEF_GAUSSIAN, 150, 600, 141, 141, 2}, /* dense: 8-lane dot products and a tail */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int64_t bad = compare(MODEL_RFHM, cases[i].coef, cases[i].N, cases[i].P, cases[i].D, cases[i].L,
                          cases[i].first, 11 + i);
    if (bad)
      printf("case %zu (N %lld P %lld D %lld L %lld): %lld words/bits differ\n", i,
             (long long)cases[i].N, (long long)cases[i].P, (long long)cases[i].D,
             (long long)cases[i].L, (long long)bad);
    T_EQ_I(bad, 0);
  }
  T_EQ_I(compare(MODEL_HOPFIELD, COEF_PM1, 300, 1000, 0, 0, 1, 5), 0);
  return test_finish("test_patterns");
}
