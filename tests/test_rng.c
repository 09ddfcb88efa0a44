/* rng: pinned values (the addressing scheme is part of the output contract), independence of
 * streams, fairness of bits, Floyd sampling. */
#include "hopscan/rng.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

int main(void) {
  rng_addr_t a = {.seed = 1, .sample = 0, .point = 0, .stream = RNG_FEATURES};
  /* Pinned: changing any of these changes every published result. */
  T_CHECK(rng_word(&a, 0, 0, 0) == 0x8047f8778e0c2a18ull);
  uint64_t w[4];
  rng_block(&a, 0, 0, 0, w);
  T_CHECK(w[0] == rng_word(&a, 0, 0, 0) && w[3] == rng_word(&a, 0, 0, 3));
  T_CHECK(rng_word(&a, 0, 0, 4) != w[0]);
  /* bit idx is bit (idx % 64) of word idx / 64 */
  for (uint64_t i = 0; i < 512; i += 37)
    T_EQ_I(rng_bit(&a, 5, 0, i), (rng_word(&a, 5, 0, i / 64) >> (i % 64)) & 1);
  /* every address component changes the numbers */
  rng_addr_t b = a;
  b.seed = 2;
  T_CHECK(rng_word(&b, 0, 0, 0) != w[0]);
  b = a;
  b.sample = 1;
  T_CHECK(rng_word(&b, 0, 0, 0) != w[0]);
  b = a;
  b.point = 1;
  T_CHECK(rng_word(&b, 0, 0, 0) != w[0]);
  b = a;
  b.stream = RNG_SWEEP;
  T_CHECK(rng_word(&b, 0, 0, 0) != w[0]);
  T_CHECK(rng_word(&a, 1, 0, 0) != w[0]);
  T_CHECK(rng_word(&a, 0, 1, 0) != w[0]);
  /* pinned values of other streams used by patterns and the sweep order */
  b = (rng_addr_t){.seed = 42, .sample = 3, .point = 7, .stream = RNG_SWEEP};
  T_CHECK(rng_word(&b, (1ull << 32) | 2, 5, 9) == 0xb9460ccf435f8134ull);

  /* fairness of bits: 2^20 bits within 5 sigma of half */
  int64_t ones = 0, n = 1 << 20;
  for (int64_t i = 0; i < n; i++)
    ones += rng_bit(&a, 9, 0, (uint64_t)i);
  T_CHECK(fabs((double)ones - n / 2.0) < 5 * sqrt(n / 4.0));

  /* rng_below maps to the range, roughly uniformly */
  int64_t hist[10] = {0};
  for (int64_t i = 0; i < 100000; i++)
    hist[rng_below(rng_word(&a, 11, 0, (uint64_t)i), 10)]++;
  for (int k = 0; k < 10; k++)
    T_CHECK(fabs(hist[k] - 10000.0) < 5 * sqrt(9000.0));

  /* Floyd: distinct, in range, deterministic, both small and hashed paths */
  int64_t ks[] = {1, 5, 64, 65, 300}, ns[] = {1, 5, 100, 65, 1000};
  for (int t = 0; t < 5; t++) {
    int64_t *out = malloc(sizeof(int64_t) * (size_t)ks[t]);
    int64_t *again = malloc(sizeof(int64_t) * (size_t)ks[t]);
    T_EQ_I(rng_distinct(&a, 3, 0, ks[t], ns[t], out), 0);
    T_EQ_I(rng_distinct(&a, 3, 0, ks[t], ns[t], again), 0);
    char *seen = calloc((size_t)ns[t], 1);
    for (int64_t i = 0; i < ks[t]; i++) {
      T_CHECK(out[i] >= 0 && out[i] < ns[t]);
      T_CHECK(!seen[out[i]]);
      seen[out[i]] = 1;
      T_EQ_I(out[i], again[i]);
    }
    free(seen);
    free(out);
    free(again);
  }
  /* Floyd picks every element with probability k/n */
  int64_t cnt[20] = {0};
  for (uint64_t row = 0; row < 20000; row++) {
    int64_t out[5];
    rng_distinct(&a, row, 7, 5, 20, out);
    for (int i = 0; i < 5; i++)
      cnt[out[i]]++;
  }
  for (int k = 0; k < 20; k++)
    T_CHECK(fabs(cnt[k] - 5000.0) < 5 * sqrt(5000.0 * 0.75));
  return test_finish("test_rng");
}
