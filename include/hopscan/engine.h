/* engine: the cost model that picks the dynamics engine of a task (dynamics.engine: auto).
 *
 * The engines compute the same fields (results never depend on the choice); they differ in cost:
 *   couplings  build J, 2 N^2 P flop at the group's SGEMM rate, then O(N) per flip;
 *   overlaps   no J; per probe one pass over the packed rows to set M, then per sweep N visits of
 *              P/64 words each and per flip one pass of P/64 words.
 * Sweeps are unknown in advance, so `auto` runs the overlaps engine and switches to building J
 * (for the probes still to run) once the overlaps work spent reaches the estimated J build —
 * the ski-rental rule: never worse than about twice the better engine — unless a single sweep of
 * every probe already costs more than the build, in which case it builds J at once.
 * The decisions use counts every rank of a group shares (sweeps, flips), never clocks, so the
 * group agrees without communication.
 *
 * The constants are measured on the machine (engine_costs_measure, also printed by
 * `hopscan bench`); engine_costs_default holds values measured on the reference machine of
 * docs/benchmarks.md for `plan`. Not collective. */
#ifndef HOPSCAN_ENGINE_H
#define HOPSCAN_ENGINE_H

#include "hopscan/config.h"
#include "hopscan/err.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct engine_costs {
  double sgemm_flops;   /* flop/s of one rank's SGEMM (the J build runs at about this per rank) */
  double ns_word;       /* overlaps: ns per 64-pattern word of one visit's masked sum */
  double ns_flip;       /* overlaps: ns per word of one flip's (or one state row's) update */
  double ns_jrow;       /* couplings: ns per local row of one flip's field update and per N^2/g
                           entry of the initial fields */
  double ns_entry;      /* patterns, per-entry path: ns per (neuron, example) entry generated ... */
  double ns_nonzero;    /* ... plus this per coefficient of a sparse example (L) ... */
  double ns_dense_coef; /* ... or this per coefficient of a dense one (32-bit sums, vectorized) */
  double ns_bit_entry;  /* patterns, +-1 bit counts (packed train examples): ns per entry ... */
  double ns_bit_coef;   /* ... plus this per coefficient, sparse (bit-sliced over 64 rows) ... */
  double ns_bit_word;   /* ... or this per 64 coefficients, dense (popcount) */
} engine_costs_t;

/* The examples of a task, as pattern generation's cost depends on them: +-1 or Gaussian
 * coefficients, L per example (D when dense), D features (RFHM; classic Hopfield: L = D = 0). */
typedef struct engine_examples {
  bool pm1;
  int64_t L, D;
} engine_examples_t;

void engine_costs_default(engine_costs_t *k);
/* Measures the constants of the engines on this core (about 0.1 s); the pattern-generation
 * constants keep their defaults (they cost both engines the same). */
int engine_costs_measure(engine_costs_t *k, err_t *e);

/* Estimated seconds, for a group of g ranks and N neurons, P patterns, n_probes probes. */
double engine_couplings_build_seconds(const engine_costs_t *k, int64_t N, int64_t P, int64_t g,
                                      int64_t n_probes);
double engine_overlaps_seconds(const engine_costs_t *k, int64_t N, int64_t P, int64_t g,
                               int64_t n_states, int64_t sweeps, int64_t flips);
double engine_couplings_run_seconds(const engine_costs_t *k, int64_t N, int64_t g, int64_t flips);

/* The engine a task starts with under mode `mode` (auto decides, the others are kept). j_fits:
 * whether J fits the memory of a rank (auto never builds J when it does not). */
engine_kind engine_start(const engine_costs_t *k, engine_kind mode, int64_t N, int64_t P, int64_t g,
                         int64_t n_probes, bool j_fits);

/* Whether auto, having run `done` of n_probes probes on the overlaps engine with `sweeps` sweeps
 * and `flips` flips in all, builds J for the rest (never when J does not fit). */
bool engine_switch(const engine_costs_t *k, int64_t N, int64_t P, int64_t g, int64_t n_probes,
                   int64_t done, int64_t sweeps, int64_t flips, bool j_fits);

/* Planning assumptions (`hopscan plan`: sweeps and flips are unknown before a run): every probe
 * takes ENGINE_PLAN_SWEEPS sweeps and N / 2 flips. */
#define ENGINE_PLAN_SWEEPS 10

/* ns per example entry generated: packed (the overlaps engine's train examples: the +-1
 * bit-count paths for pm1) or as values (the couplings engine's float examples, and every
 * Gaussian example: a product per coefficient). Classic Hopfield: ns_entry. */
double engine_pattern_ns(const engine_costs_t *k, const engine_examples_t *x, bool packed);
/* Generating the N x P example entries of engine `kind` (couplings or overlaps). */
double engine_patterns_seconds(const engine_costs_t *k, engine_kind kind, int64_t N, int64_t P,
                               int64_t g, const engine_examples_t *x);

/* Estimated seconds of one task on engine `kind` (couplings or overlaps) under the planning
 * assumptions, pattern generation included, and the engine a task gets under mode `mode` by the
 * same estimate (auto: the cheaper one, overlaps when J does not fit). */
double engine_task_seconds(const engine_costs_t *k, engine_kind kind, int64_t N, int64_t P,
                           int64_t g, int64_t n_probes, const engine_examples_t *x);
engine_kind engine_plan(const engine_costs_t *k, engine_kind mode, int64_t N, int64_t P, int64_t g,
                        int64_t n_probes, bool j_fits);

const char *engine_name(engine_kind k);

#endif
