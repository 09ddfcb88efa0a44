/* patterns: the disorder of one task — features F, coefficient vectors c, and examples
 * xi = sign(F c) (RFHM), or iid +-1 patterns (classic Hopfield) — for the neuron rows a rank owns.
 *
 * Every value is a function of (seed, point, sample, index) through rng.h, so ranks generate
 * their own rows with no communication and results do not depend on the layout:
 *   F[i][k]            bit k of (RNG_FEATURES, row i)                 -> +1 / -1
 *   train example nu   coefficients from (RNG_COEF_TRAIN, row nu), test example t from
 *                      (RNG_COEF_TEST, row t): sub 0 = distinct positions (Floyd), sub 1 = sign
 *                      bits, sub 2 = Gaussian words (Box-Muller, two words per value)
 *   sign(0)            bit nu of (RNG_TIE_TRAIN / RNG_TIE_TEST, row i)   (fair coin)
 *   Hopfield pattern   bit nu of (RNG_PATTERN_TRAIN / RNG_PATTERN_TEST, row i)
 * Gaussian coefficients are quantized to integers round(g * 2^16), so F c is an exact integer
 * and its sign does not depend on summation order.
 * Not collective. patterns_init/patterns_free own the local feature rows. */
#ifndef HOPSCAN_PATTERNS_H
#define HOPSCAN_PATTERNS_H

#include "hopscan/err.h"
#include "hopscan/model.h"
#include "hopscan/rng.h"

#include <stdint.h>

#define PATTERNS_GAUSS_SCALE 65536.0 /* fixed-point scale of Gaussian coefficients */

typedef enum { EXAMPLES_TRAIN = 0, EXAMPLES_TEST = 1 } examples_kind;

/* What one task's disorder is: plain parameters (the scan layer derives them from its config,
 * task_patterns_spec in task.h). */
typedef struct patterns_spec {
  model_kind model;
  coef_kind coef;
  int64_t N, P, D, L; /* L effective: dense -> D; models without features: D = L = 0 */
  rng_addr_t addr;    /* seed, sample, point; the stream is set per use */
} patterns_spec_t;

typedef struct patterns {
  model_kind model;
  coef_kind coef;
  int64_t N, P, D, L;  /* L effective: dense -> D; Hopfield: D = L = 0 */
  rng_addr_t addr;     /* seed, sample, point; the stream is set per use */
  int64_t nloc;        /* local rows */
  const int64_t *rows; /* [nloc] global neuron index of each local row (not owned) */
  int8_t *F;           /* [nloc][D] local feature rows, +-1 (NULL for Hopfield) */
} patterns_t;

/* Sets up the task described by spec for the given local rows and generates their feature rows
 * (the model's generator, model_defs[spec->model]). */
int patterns_init(patterns_t *p, const patterns_spec_t *spec, const int64_t *rows, int64_t nloc,
                  err_t *e);
void patterns_free(patterns_t *p);

/* Examples [nu0, nu0 + cnt) of one kind for the local rows as floats +-1, column-major:
 * out[r + (nu - nu0) * ld] (ScaLAPACK's local layout). */
int patterns_examples_f32(const patterns_t *p, examples_kind kind, int64_t nu0, int64_t cnt,
                          float *out, int64_t ld, err_t *e);

/* Examples idx[0..n) of one kind for the local rows as int8 +-1 into full-length vectors:
 * out[q * ldo + rows[r]] (other entries untouched). */
int patterns_examples_i8(const patterns_t *p, examples_kind kind, const int64_t *idx, int64_t n,
                         int8_t *out, int64_t ldo, err_t *e);

/* All P train examples for the local rows, bit-packed: bit nu % 64 of word X[r * W + nu / 64] is
 * 1 where example nu is -1 at row rows[r], 0 where it is +1 (and in the padding bits nu >= P).
 * W >= ceil(P / 64). No float matrix is formed. */
int patterns_train_packed(const patterns_t *p, uint64_t *X, int64_t W, err_t *e);
/* The same through the per-entry path that every coefficient kind takes (a product per term),
 * which the +-1 bit-count paths of patterns_train_packed equal bit for bit: the reference of
 * tests and `hopscan bench`. */
int patterns_train_packed_generic(const patterns_t *p, uint64_t *X, int64_t W, err_t *e);

/* Feature columns k[0..n) for the local rows: out[q * ldo + rows[r]] = F[r][k[q]]. */
void patterns_features_i8(const patterns_t *p, const int64_t *k, int64_t n, int8_t *out,
                          int64_t ldo);

#endif
