/* Science checks with safe margins (run under mpirun, any rank count; all ranks form one group):
 * - classic Hopfield, N = 2000: retrieval at alpha = 0.05 (mean m_train > 0.97), failure at
 *   alpha = 0.25 (mean m_train < 0.6);
 * - RFHM with L = 1 and P >> D: the features are retrieved like classic Hopfield storing D
 *   patterns while alpha_D < 0.138 (mu > 0.95 at alpha_D = 0.05) and not at alpha_D = 0.25;
 * - sign(0) coins (L = 2) are fair and every other example entry is sign(F c);
 * - mixture probes, classic Hopfield N = 2000 (AGS, T = 0: symmetric 3-mixtures stable up to
 *   alpha = 0.0299, 5-mixtures up to 0.0163): a 3-mixture start stays (mean m >= 0.95) at
 *   alpha = 0.01 and 0.02 and not (mean m <= 0.6) at 0.05; a 5-mixture stays at 0.01, not at
 *   0.04. Where it stays, m_components is its start value 1/2 (n = 3), 3/8 (n = 5): a fixed point
 *   with overlap m with the start differs from it in (1 - m) N / 2 spins, so each component
 *   overlap moved by at most 1 - m;
 * - RFHM pm1 with L = n: a test example IS a symmetric n-mixture of features, so test and
 *   mixture-n probes agree statistically;
 * - mixture start states follow the documented addressing (rng.h RNG_MIXTURE: components from
 *   rng_distinct at row q, sub 2n; signs bit j of row q, sub 2n + 1; features for rfhm, stored
 *   patterns for hopfield), recomputed here from scratch, whatever the group's rank count. */
#include "hopscan/patterns.h"
#include "hopscan/probes.h"
#include "kernel_common.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Mean of kind k's overlaps over `samples` samples of the single grid point of yaml. */
static double mean_overlap(MPI_Comm comm, const char *yaml, int k) {
  config_t c;
  kt_config(&c, yaml);
  double sum = 0;
  int64_t n = 0;
  for (int64_t smp = 0; smp < c.samples; smp++) {
    task_t t = {0, smp};
    task_result_t r;
    err_t e;
    T_OK(&e, task_result_init(&r, &c, t, &e));
    T_OK(&e, kt_run_task(&c, t, comm, KT_AUTO, OVERLAPS_AVX512, &r, NULL, &e));
    for (int64_t j = 0; j < r.n[k]; j++, n++)
      sum += r.m[k][j];
    task_result_free(&r);
  }
  config_free(&c);
  return n ? sum / (double)n : NAN;
}

/* Mean m, its standard error over probes, and mean m_components of the probe kind called `name`
 * over the samples of the single grid point of yaml, on the overlaps engine. */
typedef struct kind_stats {
  double m, sem, mc;
  int64_t n;
} kind_stats_t;

static kind_stats_t kind_stats(MPI_Comm comm, const char *yaml, const char *name) {
  config_t c;
  kt_config(&c, yaml);
  int k = -1;
  for (int i = 0; i < c.n_kinds; i++)
    if (!strcmp(c.kinds[i].name, name))
      k = i;
  T_CHECK(k >= 0);
  double sum = 0, sum2 = 0, sumc = 0;
  int64_t n = 0;
  for (int64_t smp = 0; smp < c.samples && k >= 0; smp++) {
    task_t t = {0, smp};
    task_result_t r;
    err_t e;
    T_OK(&e, task_result_init(&r, &c, t, &e));
    T_OK(&e, kt_run_task(&c, t, comm, KT_OVERLAPS, OVERLAPS_AVX512, &r, NULL, &e));
    for (int64_t j = 0; j < r.n[k]; j++, n++) {
      sum += r.m[k][j];
      sum2 += (double)r.m[k][j] * r.m[k][j];
      sumc += r.m_components[k] ? r.m_components[k][j] : NAN;
    }
    task_result_free(&r);
  }
  config_free(&c);
  kind_stats_t st = {NAN, NAN, NAN, n};
  if (n > 1) {
    st.m = sum / (double)n;
    st.mc = sumc / (double)n;
    st.sem = sqrt(fmax(0.0, (sum2 - sum * sum / (double)n) / (double)(n - 1)) / (double)n);
  }
  return st;
}

static kind_stats_t hopfield_mixture(MPI_Comm comm, double alpha, int n) {
  char yaml[256];
  snprintf(yaml, sizeof yaml,
           "model: hopfield\nN: 2000\nalpha: [%g]\nsamples: 2\n"
           "probes: {train: 0, test: 0, mixture: {count: 12, sizes: [%d]}}\n",
           alpha, n);
  char name[16];
  snprintf(name, sizeof name, "mixture%d", n);
  kind_stats_t st = kind_stats(comm, yaml, name);
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0)
    printf("Hopfield N=2000 %d-mixtures at alpha = %g: mean m = %.4f, m_components = %.4f\n", n,
           alpha, st.m, st.mc);
  return st;
}

static void check_mixtures(MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  kind_stats_t m3a = hopfield_mixture(comm, 0.01, 3), m3b = hopfield_mixture(comm, 0.02, 3),
               m3c = hopfield_mixture(comm, 0.05, 3), m5a = hopfield_mixture(comm, 0.01, 5),
               m5b = hopfield_mixture(comm, 0.04, 5);
  /* pm1, L = 3: test examples and 3-mixtures of features are the same random object */
  const char *rf = "N: 1000\nalpha: [0.3]\nalpha_D: [0.03]\nL: [3]\nsamples: 3\n"
                   "probes: {train: 0, test: 24, feature: 0, mixture: {count: 24, sizes: [3]}}\n";
  kind_stats_t te = kind_stats(comm, rf, "test"), mx = kind_stats(comm, rf, "mixture3");
  if (rank != 0)
    return;
  printf("RFHM pm1 L=3: test m = %.4f +- %.4f, mixture3 m = %.4f +- %.4f\n", te.m, te.sem, mx.m,
         mx.sem);
  T_CHECK(m3a.m >= 0.95 && m3b.m >= 0.95 && m3c.m <= 0.6);
  T_CHECK(m5a.m >= 0.95 && m5b.m <= 0.6);
  T_CHECK(fabs(m3a.mc - 0.5) <= 0.02 + (1 - m3a.m));
  T_CHECK(fabs(m5a.mc - 0.375) <= 0.02 + (1 - m5a.m));
  T_CHECK(fabs(te.m - mx.m) <= 4 * sqrt(te.sem * te.sem + mx.sem * mx.sem) + 0.01);
}

/* Start states of the mixture kinds of yaml's task (0, 1) against a recomputation on one rank. */
static void check_mixture_starts(MPI_Comm comm, const char *yaml) {
  config_t c;
  kt_config(&c, yaml);
  task_t t = {0, 1};
  engine_costs_t k;
  engine_costs_default(&k);
  probes_worker_t w;
  err_t e;
  T_OK(&e, probes_worker_init(&w, &c, comm, &k, &e));
  int8_t *S = NULL;
  int64_t ntot = 0;
  T_OK(&e, probes_start_states(&w, t, &S, &ntot, &e));
  probes_worker_free(&w);
  int rank;
  MPI_Comm_rank(comm, &rank);
  const int64_t N = c.N;
  int64_t *rows = malloc(sizeof(int64_t) * (size_t)N);
  for (int64_t i = 0; i < N; i++)
    rows[i] = i;
  patterns_t p;
  T_OK(&e, task_patterns_init(&p, &c, t, rows, N, &e));
  const bool feat = model_defs[c.model].features;
  rng_addr_t a = p.addr, pat = p.addr;
  a.stream = RNG_MIXTURE;
  pat.stream = RNG_PATTERN_TRAIN;
  int64_t q0 = 0, checked = 0, bad = 0;
  for (int kk = 0; kk < c.n_kinds && S && rank == 0; q0 += c.probes[kk], kk++) {
    if (c.kinds[kk].family != PROBE_MIXTURE)
      continue;
    const int n = c.kinds[kk].size;
    for (int64_t q = 0; q < c.probes[kk]; q++) {
      int64_t idx[16];
      T_CHECK(rng_distinct(&a, (uint64_t)q, 2 * (uint64_t)n, n, feat ? p.D : p.P, idx) == 0);
      for (int64_t i = 0; i < N; i++) {
        int sum = 0;
        for (int j = 0; j < n; j++) {
          int eps = rng_bit(&a, (uint64_t)q, 2 * (uint64_t)n + 1, (uint64_t)j) ? 1 : -1;
          int v = feat ? p.F[i * p.D + idx[j]]
                       : (rng_bit(&pat, (uint64_t)i, 0, (uint64_t)idx[j]) ? 1 : -1);
          sum += eps * v;
        }
        bad += S[(q0 + q) * N + i] != (sum > 0 ? 1 : -1);
        checked++;
      }
    }
  }
  if (rank == 0) {
    T_EQ_I(bad, 0);
    T_CHECK(checked > 0);
  }
  free(S);
  free(rows);
  patterns_free(&p);
  config_free(&c);
}

static void check_ties(void) {
  config_t c;
  kt_config(&c, "N: 400\nalpha: [1.0]\nalpha_D: [0.1]\nL: [2]\nprobes: {train: 1, test: 1}\n");
  task_t t = {0, 0};
  const int64_t N = c.N, P = config_P(&c, 0), D = config_D(&c, 0);
  int64_t *rows = malloc(sizeof(int64_t) * (size_t)N);
  for (int64_t i = 0; i < N; i++)
    rows[i] = i;
  patterns_t p;
  err_t e;
  T_OK(&e, task_patterns_init(&p, &c, t, rows, N, &e));
  float *X = malloc(sizeof(float) * (size_t)(N * P));
  T_OK(&e, patterns_examples_f32(&p, EXAMPLES_TRAIN, 0, P, X, N, &e));
  /* Recompute the coefficients from the documented addressing scheme. */
  rng_addr_t a = p.addr;
  a.stream = RNG_COEF_TRAIN;
  int64_t ties = 0, plus = 0, wrong = 0;
  for (int64_t nu = 0; nu < P; nu++) {
    int64_t pos[2];
    rng_distinct(&a, (uint64_t)nu, 0, 2, D, pos);
    int c0 = rng_bit(&a, (uint64_t)nu, 1, 0) ? 1 : -1,
        c1 = rng_bit(&a, (uint64_t)nu, 1, 1) ? 1 : -1;
    for (int64_t i = 0; i < N; i++) {
      int x = p.F[i * D + pos[0]] * c0 + p.F[i * D + pos[1]] * c1;
      float v = X[i + nu * N];
      if (x == 0) {
        ties++;
        plus += v > 0;
      } else {
        wrong += (x > 0) != (v > 0);
      }
    }
  }
  T_EQ_I(wrong, 0);
  T_CHECK(fabs((double)ties - N * P / 2.0) < 5 * sqrt(N * P / 4.0));
  T_CHECK(fabs((double)plus - ties / 2.0) < 5 * sqrt(ties / 4.0));
  printf("ties: %lld of %lld entries, %lld coins +1\n", (long long)ties, (long long)(N * P),
         (long long)plus);
  free(X);
  free(rows);
  patterns_free(&p);
  config_free(&c);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm comm = MPI_COMM_WORLD;
  int rank;
  MPI_Comm_rank(comm, &rank);
  double m_low = mean_overlap(comm,
                              "model: hopfield\nN: 2000\nalpha: [0.05]\nsamples: 2\n"
                              "probes: {train: 10, test: 0}\n",
                              PROBE_TRAIN);
  double m_high = mean_overlap(comm,
                               "model: hopfield\nN: 2000\nalpha: [0.25]\nsamples: 2\n"
                               "probes: {train: 10, test: 0}\n",
                               PROBE_TRAIN);
  double mu_low = mean_overlap(comm,
                               "N: 2000\nalpha: [4.0]\nalpha_D: [0.05]\nL: [1]\nsamples: 1\n"
                               "probes: {train: 10, test: 0, feature: 10}\n",
                               PROBE_FEATURE);
  double mu_high = mean_overlap(comm,
                                "N: 2000\nalpha: [4.0]\nalpha_D: [0.25]\nL: [1]\nsamples: 1\n"
                                "probes: {train: 10, test: 0, feature: 10}\n",
                                PROBE_FEATURE);
  check_mixtures(comm);
  check_mixture_starts(comm, "N: 301\nalpha: [0.2]\nalpha_D: [0.05]\nL: [3]\nsamples: 2\n"
                             "probes: {train: 2, test: 1, feature: 2, "
                             "mixture: {count: 5, sizes: [7, 3]}}\n");
  check_mixture_starts(comm, "model: hopfield\nN: 301\nalpha: [0.05]\nsamples: 2\n"
                             "probes: {train: 2, test: 1, mixture: {count: 4, sizes: [5]}}\n");
  if (rank == 0) {
    printf("Hopfield N=2000: m_train(0.05) = %.4f, m_train(0.25) = %.4f\n", m_low, m_high);
    printf("RFHM L=1, alpha=4: mu(alpha_D=0.05) = %.4f, mu(alpha_D=0.25) = %.4f\n", mu_low,
           mu_high);
    T_CHECK(m_low > 0.97);
    T_CHECK(m_high < 0.6);
    T_CHECK(mu_low > 0.95);
    T_CHECK(mu_high < 0.6);
    check_ties();
  }
  int rc = test_finish_mpi("test_science", comm);
  MPI_Finalize();
  return rc;
}
