#include "hopscan/rng.h"

#include <Random123/philox.h>
#include <stdlib.h>
#include <string.h>

/* Key word 1 would be free for future use; it carries the sample so that samples of one point
 * are independent streams even for equal counters. */
void rng_block(const rng_addr_t *a, uint64_t row, uint64_t sub, uint64_t word_block,
               uint64_t out[4]) {
  philox4x64_ctr_t ctr = {{word_block, row, sub, (a->point << 8) | (uint64_t)(a->stream & 0xffu)}};
  philox4x64_key_t key = {{a->seed, a->sample}};
  philox4x64_ctr_t r = philox4x64(ctr, key);
  memcpy(out, r.v, 4 * sizeof(uint64_t));
}

uint64_t rng_word(const rng_addr_t *a, uint64_t row, uint64_t sub, uint64_t idx) {
  uint64_t w[4];
  rng_block(a, row, sub, idx >> 2, w);
  return w[idx & 3];
}

int rng_bit(const rng_addr_t *a, uint64_t row, uint64_t sub, uint64_t idx) {
  uint64_t w[4];
  rng_block(a, row, sub, idx >> 8, w);
  return rng_word_bit(w, idx);
}

int rng_distinct(const rng_addr_t *a, uint64_t row, uint64_t sub, int64_t k, int64_t n,
                 int64_t *out) {
  uint8_t *seen = NULL;
  if (k > 64) {
    seen = calloc((size_t)n, 1);
    if (!seen)
      return -1;
  }
  uint64_t w[4];
  for (int64_t q = 0; q < k; q++) {
    int64_t j = n - k + q;
    if ((q & 3) == 0)
      rng_block(a, row, sub, (uint64_t)q >> 2, w);
    int64_t t = (int64_t)rng_below(w[q & 3], (uint64_t)j + 1);
    int taken = 0;
    if (seen)
      taken = seen[t];
    else
      for (int64_t u = 0; u < q && !taken; u++)
        taken = out[u] == t;
    int64_t pick = taken ? j : t;
    out[q] = pick;
    if (seen)
      seen[pick] = 1;
  }
  free(seen);
  return 0;
}
