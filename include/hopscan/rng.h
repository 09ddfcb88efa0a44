/* rng: counter-based random numbers (Random123 Philox4x64-10). Not collective, no state.
 *
 * Addressing scheme (contract: changing it changes every result; tests pin values):
 *   key     = { seed, sample }
 *   counter = { word_block, row, sub, (point << 8) | stream }
 * One Philox call returns 4 x 64 random bits: the words 4*word_block .. 4*word_block+3 of the
 * sequence addressed by (seed, sample, point, stream, row, sub). `row` is the neuron or example
 * index the numbers belong to, `sub` a second index (probe id, sweep). Any rank can therefore
 * generate exactly the numbers of the rows it owns, in any order, with no communication.
 * point < 2^56 and stream < 256. */
#ifndef HOPSCAN_RNG_H
#define HOPSCAN_RNG_H

#include <stdint.h>

/* Streams: one per kind of random quantity. */
typedef enum {
  RNG_FEATURES = 1,      /* F[i][k]: row = neuron i, bit k */
  RNG_COEF_TRAIN = 2,    /* coefficients of train example nu: row = nu */
  RNG_COEF_TEST = 3,     /* coefficients of test example t: row = t */
  RNG_TIE_TRAIN = 4,     /* sign(0) coins of train examples: row = neuron i, bit nu */
  RNG_TIE_TEST = 5,      /* sign(0) coins of test examples: row = neuron i, bit t */
  RNG_PATTERN_TRAIN = 6, /* classic Hopfield train patterns: row = neuron i, bit nu */
  RNG_PATTERN_TEST = 7,  /* classic Hopfield test patterns: row = neuron i, bit t */
  RNG_PROBE_PICK = 8,    /* which train examples / features are probed: row = probe kind */
  RNG_SWEEP = 9,         /* sweep order: row = probe id, sub = sweep */
  RNG_MIXTURE = 10       /* mixture probe q of size n: row = q, sub 2n components, 2n+1 signs */
} rng_stream;

typedef struct rng_addr {
  uint64_t seed;
  uint64_t sample;
  uint64_t point;
  uint32_t stream;
} rng_addr_t;

/* The 4 words of block `word_block` of sequence (a, row, sub). */
void rng_block(const rng_addr_t *a, uint64_t row, uint64_t sub, uint64_t word_block,
               uint64_t out[4]);

/* Word `idx` of sequence (a, row, sub). */
uint64_t rng_word(const rng_addr_t *a, uint64_t row, uint64_t sub, uint64_t idx);

/* Bit `idx` of sequence (a, row, sub): 0 or 1. Bit idx is bit (idx % 64) of word idx / 64, so
 * word k of the sequence holds bits 64k .. 64k+63 (the one place this addressing is written). */
static inline int rng_word_bit(const uint64_t w[4], uint64_t idx) {
  return (int)((w[(idx >> 6) & 3] >> (idx & 63)) & 1u);
}
int rng_bit(const rng_addr_t *a, uint64_t row, uint64_t sub, uint64_t idx);

/* The bits of one sequence (a, row, sub) with the last Philox block kept, so that runs of
 * nearby indices cost one call per 256 bits. a must outlive the reader. */
typedef struct rng_bits {
  const rng_addr_t *a;
  uint64_t row, sub, block;
  uint64_t w[4];
} rng_bits_t;

static inline void rng_bits_start(rng_bits_t *b, const rng_addr_t *a, uint64_t row, uint64_t sub) {
  b->a = a;
  b->row = row;
  b->sub = sub;
  b->block = UINT64_MAX;
}

/* Bit idx of the sequence as a sign: +1 for 1, -1 for 0. */
static inline int rng_bits_sign(rng_bits_t *b, uint64_t idx) {
  if ((idx >> 8) != b->block) {
    b->block = idx >> 8;
    rng_block(b->a, b->row, b->sub, b->block, b->w);
  }
  return rng_word_bit(b->w, idx) ? 1 : -1;
}

/* Maps a random word to [0, n) (Lemire's multiply-high; bias below n / 2^64). n >= 1. */
static inline uint64_t rng_below(uint64_t word, uint64_t n) {
  return (uint64_t)(((unsigned __int128)word * n) >> 64);
}

/* Maps a random word to a double uniform in (0, 1) (53 bits, never 0). */
static inline double rng_open01(uint64_t word) {
  return ((double)(word >> 11) + 0.5) * 0x1.0p-53;
}

/* k distinct values from [0, n) in selection order (Floyd's algorithm), using the words of
 * sequence (a, row, sub). out[k]; requires k <= n. Deterministic; O(k^2) membership test for
 * k <= 64, hashed otherwise. Returns 0, or -1 when a work buffer cannot be allocated. */
int rng_distinct(const rng_addr_t *a, uint64_t row, uint64_t sub, int64_t k, int64_t n,
                 int64_t *out);

#endif
