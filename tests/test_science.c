/* Science checks with safe margins (run under mpirun, any rank count; all ranks form one group):
 * - classic Hopfield, N = 2000: retrieval at alpha = 0.05 (mean m_train > 0.97), failure at
 *   alpha = 0.25 (mean m_train < 0.6);
 * - RFHM with L = 1 and P >> D: the features are retrieved like classic Hopfield storing D
 *   patterns while alpha_D < 0.138 (mu > 0.95 at alpha_D = 0.05) and not at alpha_D = 0.25;
 * - sign(0) coins (L = 2) are fair and every other example entry is sign(F c). */
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
