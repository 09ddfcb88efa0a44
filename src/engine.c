#include "hopscan/engine.h"

#include "hopscan/couplings.h"
#include "hopscan/overlaps.h"
#include "hopscan/util.h"

#include <stdlib.h>

void engine_costs_default(engine_costs_t *k) {
  /* measured by engine_costs_measure on the reference machine of docs/benchmarks.md (the
   * AVX-512 VNNI block kernel; `hopscan bench` prints them); the pattern constants from its
   * pattern-generation timings */
  *k = (engine_costs_t){.sgemm_flops = 9.6e10,
                        .ns_word = 0.35,
                        .ns_flip = 3.3,
                        .ns_jrow = 0.36,
                        .ns_entry = 1.0,
                        .ns_nonzero = 0.65,
                        .ns_dense_coef = 0.07,
                        .ns_bit_entry = 0.15,
                        .ns_bit_coef = 0.08,
                        .ns_bit_word = 0.9};
}

/* ns per entry of the couplings engine's flip update (h[r] += 2 J[r], int16 -> int32), over
 * columns of a 16 MiB J taken in a scattered order (as after random flips: not in cache). */
static double measure_jrow(err_t *e) {
  const int64_t n = 4096, cols = 2048;
  int16_t *J = NULL;
  int32_t *h = NULL;
  CHECK(e, util_calloc((void **)&J, (size_t)(n * cols), sizeof(int16_t), "bench J", e));
  if (util_calloc((void **)&h, (size_t)n, sizeof(int32_t), "bench fields", e)) {
    free(J);
    return -1;
  }
  for (int64_t i = 0; i < n * cols; i++)
    J[i] = (int16_t)((i * 7919) % 61 - 30);
  double best = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = util_now();
    for (int64_t c = 0; c < cols; c++) {
      const int16_t *Jc = J + (size_t)((c * 997) % cols) * (size_t)n;
      for (int64_t r = 0; r < n; r++)
        h[r] += 2 * (int32_t)Jc[r];
    }
    double t = util_now() - t0;
    best = t < best ? t : best;
  }
  volatile int32_t sink = h[n / 2];
  (void)sink;
  free(J);
  free(h);
  return best * 1e9 / (double)(n * cols);
}

int engine_costs_measure(engine_costs_t *k, err_t *e) {
  const int64_t n = 512, kk = 512;
  engine_costs_default(k);
  float *A = NULL, *C = NULL;
  CHECK(e, util_alloc((void **)&A, (size_t)(n * kk), sizeof(float), "bench matrix", e));
  if (util_alloc((void **)&C, (size_t)(n * n), sizeof(float), "bench matrix", e)) {
    free(A);
    return ERR_RUNTIME;
  }
  for (int64_t i = 0; i < n * kk; i++)
    A[i] = (i * 2654435761u) & 1u ? 1.0f : -1.0f;
  double best = 1e30;
  for (int rep = 0; rep < 4; rep++) {
    double t0 = util_now();
    couplings_sgemm_reference(n, kk, A, C);
    double t = util_now() - t0;
    best = t < best ? t : best;
  }
  free(A);
  free(C);
  k->sgemm_flops = 2.0 * (double)n * (double)n * (double)kk / (best > 1e-9 ? best : 1e-9);
  CHECK(e, overlaps_measure(&k->ns_word, &k->ns_flip, e));
  k->ns_jrow = measure_jrow(e);
  if (k->ns_jrow < 0)
    return ERR_RUNTIME;
  return 0;
}

static double words(int64_t P) {
  return (double)((P + 63) / 64);
}

double engine_couplings_build_seconds(const engine_costs_t *k, int64_t N, int64_t P, int64_t g,
                                      int64_t n_probes) {
  double n = (double)N, rows = n / (double)g;
  return 2.0 * n * n * (double)P / ((double)g * k->sgemm_flops) +
         (double)n_probes * rows * n * k->ns_jrow * 1e-9;
}

double engine_overlaps_seconds(const engine_costs_t *k, int64_t N, int64_t P, int64_t g,
                               int64_t n_states, int64_t sweeps, int64_t flips) {
  double rows = (double)N / (double)g, w = words(P);
  return ((double)n_states * rows * w * k->ns_flip + (double)sweeps * rows * w * k->ns_word +
          (double)flips * w * k->ns_flip) *
         1e-9;
}

double engine_couplings_run_seconds(const engine_costs_t *k, int64_t N, int64_t g, int64_t flips) {
  return (double)flips * ((double)N / (double)g) * k->ns_jrow * 1e-9;
}

/* The choices that need no estimate: a fixed mode, N beyond the overlaps engine, J too large.
 * Returns true and sets *kind when one applies. */
static bool engine_forced(engine_kind mode, int64_t N, bool j_fits, engine_kind *kind) {
  *kind = mode != ENGINE_AUTO  ? mode
          : N > OVERLAPS_MAX_N ? ENGINE_COUPLINGS
          : !j_fits            ? ENGINE_OVERLAPS
                               : ENGINE_AUTO;
  return *kind != ENGINE_AUTO;
}

engine_kind engine_start(const engine_costs_t *k, engine_kind mode, int64_t N, int64_t P, int64_t g,
                         int64_t n_probes, bool j_fits) {
  engine_kind kind;
  if (engine_forced(mode, N, j_fits, &kind))
    return kind;
  /* every probe needs at least one sweep */
  double least = engine_overlaps_seconds(k, N, P, g, n_probes, n_probes, 0);
  return least >= engine_couplings_build_seconds(k, N, P, g, n_probes) ? ENGINE_COUPLINGS
                                                                       : ENGINE_OVERLAPS;
}

bool engine_switch(const engine_costs_t *k, int64_t N, int64_t P, int64_t g, int64_t n_probes,
                   int64_t done, int64_t sweeps, int64_t flips, bool j_fits) {
  int64_t left = n_probes - done;
  if (done <= 0 || left <= 0 || !j_fits)
    return false;
  double spent = engine_overlaps_seconds(k, N, P, g, done, sweeps, flips);
  double build = engine_couplings_build_seconds(k, N, P, g, left);
  /* ski rental: the overlaps work spent has paid for a J build, and at the rate seen so far the
   * probes left would cost more than the build too */
  return spent >= build && spent / (double)done * (double)left >= build;
}

double engine_pattern_ns(const engine_costs_t *k, const engine_examples_t *x, bool packed) {
  if (x->D == 0)
    return k->ns_entry;
  if ((!packed || !x->pm1) && x->L == x->D)
    return k->ns_entry + k->ns_dense_coef * (double)x->L;
  if (!packed || !x->pm1)
    return k->ns_entry + k->ns_nonzero * (double)x->L;
  if (x->L < x->D)
    return k->ns_bit_entry + k->ns_bit_coef * (double)x->L;
  return k->ns_bit_entry + k->ns_bit_word * (double)((x->D + 63) / 64);
}

double engine_patterns_seconds(const engine_costs_t *k, engine_kind kind, int64_t N, int64_t P,
                               int64_t g, const engine_examples_t *x) {
  return (double)N * (double)P / (double)g * engine_pattern_ns(k, x, kind == ENGINE_OVERLAPS) *
         1e-9;
}

double engine_task_seconds(const engine_costs_t *k, engine_kind kind, int64_t N, int64_t P,
                           int64_t g, int64_t n_probes, const engine_examples_t *x) {
  const int64_t flips = n_probes * (N / 2);
  const double gen = engine_patterns_seconds(k, kind, N, P, g, x);
  if (kind == ENGINE_COUPLINGS)
    return gen + engine_couplings_build_seconds(k, N, P, g, n_probes) +
           engine_couplings_run_seconds(k, N, g, flips);
  return gen + engine_overlaps_seconds(k, N, P, g, n_probes, n_probes * ENGINE_PLAN_SWEEPS, flips);
}

engine_kind engine_plan(const engine_costs_t *k, engine_kind mode, int64_t N, int64_t P, int64_t g,
                        int64_t n_probes, bool j_fits) {
  /* pattern generation does not enter the choice, as at run time (engine_start): examples
   * without features cost both engines the same */
  const engine_examples_t none = {.pm1 = false, .L = 0, .D = 0};
  engine_kind kind;
  if (engine_forced(mode, N, j_fits, &kind))
    return kind;
  return engine_task_seconds(k, ENGINE_COUPLINGS, N, P, g, n_probes, &none) <
                 engine_task_seconds(k, ENGINE_OVERLAPS, N, P, g, n_probes, &none)
             ? ENGINE_COUPLINGS
             : ENGINE_OVERLAPS;
}

const char *engine_name(engine_kind k) {
  static const char *const names[] = {"auto", "couplings", "overlaps"};
  return names[k];
}
