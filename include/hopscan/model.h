/* model: the models and probe kinds the kernel knows, as tables.
 *
 * A model entry (model_defs[], defined in patterns.c beside its pattern generator) says which
 * axes the model uses (the feature axes alpha_D, L and coefficients, or none), which probe
 * families it allows, and how its patterns are generated. A probe family (train, test, feature,
 * mixture) is one entry of probes.c's table: its start-state function and its extra per-probe
 * outputs. The probe KINDS of a scan are derived from the config (probe_kind_t): train, test,
 * feature always, then one mixtureN kind per mixture size. Adding a model: one entry here and
 * its generator; adding a probe family: one entry in probes.c plus its start-state function.
 * Plain data; no MPI. */
#ifndef HOPSCAN_MODEL_H
#define HOPSCAN_MODEL_H

#include "hopscan/err.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum { MODEL_RFHM = 0, MODEL_HOPFIELD = 1, MODEL_COUNT = 2 } model_kind;
typedef enum { COEF_PM1 = 0, COEF_GAUSSIAN = 1 } coef_kind;

/* Probe families. The first three are also the indices of the always-present kinds train, test
 * and feature in a scan's kind list. */
typedef enum {
  PROBE_TRAIN = 0,   /* stored patterns (examples) */
  PROBE_TEST = 1,    /* fresh examples (hopfield: fresh random patterns) */
  PROBE_FEATURE = 2, /* features (columns of F) */
  PROBE_MIXTURE = 3, /* sign of a signed sum of n components (features; hopfield: patterns) */
  PROBE_FAMILIES = 4
} probe_family;

#define PROBE_KINDS_MAX 16

/* One probe kind of a scan. */
typedef struct probe_kind {
  char name[16];       /* "train", "test", "feature", "mixture3", ... (output names) */
  probe_family family; /* how its start states are made */
  int size;            /* mixture: components n (odd, >= 3); else 1 */
  uint32_t rng_id;     /* high word of the probe id that addresses its sweep orders */
  bool components;     /* has m_components (per-probe mean |overlap| with the components) */
} probe_kind_t;

struct patterns;

typedef struct model_def {
  const char *name;
  bool features;  /* uses the feature axes alpha_D, L and coefficients (else D = L = 0) */
  unsigned kinds; /* probe families it allows, bit (1u << family) */
  /* Pattern generator (patterns.c): sets up the task's local rows (features for rfhm). */
  int (*init_rows)(struct patterns *p, err_t *e);
  /* Calls emit(ctx, r, q, +-1) for every local row r and example q of idx[0..cnt) (or
   * nu0 + q when idx is NULL), train (test = false) or test examples. */
  int (*examples)(const struct patterns *p, bool test, const int64_t *idx, int64_t nu0, int64_t cnt,
                  void (*emit)(void *ctx, int64_t r, int64_t q, int value), void *ctx, err_t *e);
  /* Optional fast path for the bit-packed train patterns (NULL: via examples). */
  void (*pack_train)(const struct patterns *p, uint64_t *X, int64_t W);
} model_def_t;

extern const model_def_t model_defs[MODEL_COUNT];

static inline bool model_allows(model_kind m, probe_family f) {
  return (model_defs[m].kinds >> f) & 1u;
}

#endif
