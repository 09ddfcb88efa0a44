/* Kernel correctness under MPI (run with 3 or 4 ranks):
 * - J from ScaLAPACK equals the naive triple loop for awkward N, P, block sizes, group sizes 1-4;
 * - probes give bit-identical results for group sizes 1..size and two block sizes;
 * - the distributed dynamics equals the textbook algorithm; energy never increases; final states
 *   are fixed points of the explicitly built J;
 * - a hand-checkable N = 4, P = 1 case. */
#include "hopscan/couplings.h"
#include "hopscan/dynamics.h"
#include "hopscan/probes.h"
#include "hopscan/util.h"
#include "kernel_common.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define REGRESSION_PIN "126159a330539b0c35b448eb1883558aba83793e8dcb1a71e453bd0ed47b556b"

static void check_couplings(MPI_Comm world, int64_t N, int64_t P, int64_t nb, const char *model) {
  int size, wrank;
  MPI_Comm_size(world, &size);
  MPI_Comm_rank(world, &wrank);
  char yaml[512];
  if (!strcmp(model, "hopfield"))
    snprintf(yaml, sizeof yaml,
             "model: hopfield\nN: %lld\nalpha: [%.17g]\nprobes: {train: 0, test: 1}\n"
             "parallel: {block_size: %lld}\n",
             (long long)N, (double)P / (double)N, (long long)nb);
  else
    snprintf(yaml, sizeof yaml,
             "N: %lld\nalpha: [%.17g]\nalpha_D: [%.17g]\nL: [2]\ncoefficients: %s\n"
             "probes: {train: 0, test: 1, feature: 0}\nparallel: {block_size: %lld}\n",
             (long long)N, (double)P / (double)N, 3.0 / (double)N, model, (long long)nb);
  config_t c;
  kt_config(&c, yaml);
  task_t t = {0, 1};
  int64_t *Jn = kt_naive_J(&c, t);
  for (int g = 1; g <= size && g <= 4; g++) {
    MPI_Comm comm = kt_group(world, g);
    if (comm == MPI_COMM_NULL)
      continue;
    couplings_t cp;
    patterns_t p;
    err_t e;
    T_OK(&e, couplings_init(&cp, N, nb, comm, &e));
    T_OK(&e, patterns_init(&p, &c, t, cp.rows, cp.nloc, &e));
    T_OK(&e, couplings_build(&cp, &p, NULL, NULL, &e));
    int64_t bad = 0;
    for (int64_t r = 0; r < cp.nloc; r++)
      for (int64_t j = 0; j < N; j++)
        bad += couplings_at(&cp, r, j) != Jn[cp.rows[r] * N + j];
    if (bad)
      fprintf(stderr, "J mismatch: N=%lld P=%lld nb=%lld g=%d model=%s: %lld entries\n",
              (long long)N, (long long)P, (long long)nb, g, model, (long long)bad);
    T_EQ_I(bad, 0);
    T_EQ_I(cp.elem, P <= 32767 ? 2 : 4);
    patterns_free(&p);
    couplings_free(&cp);
    MPI_Comm_free(&comm);
  }
  free(Jn);
  config_free(&c);
}

/* Runs task t on groups of size 1..size (block sizes nb1, nb2) and checks identical results. */
static void check_probes_identical(MPI_Comm world, const char *yaml_fmt, int64_t nb1, int64_t nb2) {
  int size, rank;
  MPI_Comm_size(world, &size);
  MPI_Comm_rank(world, &rank);
  task_result_t ref;
  bool have_ref = false;
  const int64_t nbs[2] = {nb1, nb2};
  for (int b = 0; b < 2; b++) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, yaml_fmt, (long long)nbs[b]);
    config_t c;
    kt_config(&c, yaml);
    task_t t = {config_points(&c) - 1, 1};
    for (int g = 1; g <= size; g++) {
      MPI_Comm comm = kt_group(world, g);
      task_result_t r;
      err_t e;
      T_OK(&e, task_result_init(&r, &c, t, &e));
      if (comm != MPI_COMM_NULL) {
        T_OK(&e, probes_run_task(&c, t, comm, &r, NULL, NULL, &e));
        MPI_Comm_free(&comm);
      }
      /* rank 0 is in every group: it compares */
      if (rank == 0) {
        if (!have_ref) {
          ref = r;
          have_ref = true;
          continue;
        }
        for (int k = 0; k < PROBE_KINDS; k++)
          for (int64_t j = 0; j < r.n[k]; j++) {
            if (memcmp(&r.m[k][j], &ref.m[k][j], sizeof(float)) != 0 ||
                r.sweeps[k][j] != ref.sweeps[k][j]) {
              fprintf(stderr, "g=%d nb=%lld kind %d probe %lld: m %g/%g sweeps %d/%d\n", g,
                      (long long)nbs[b], k, (long long)j, r.m[k][j], ref.m[k][j], r.sweeps[k][j],
                      ref.sweeps[k][j]);
              test_failures++;
            }
          }
      }
      task_result_free(&r);
    }
    config_free(&c);
  }
  if (rank == 0 && have_ref) {
    /* the runs did something: not every probe trivially at its start */
    int64_t moved = 0;
    for (int k = 0; k < PROBE_KINDS; k++)
      for (int64_t j = 0; j < ref.n[k]; j++)
        moved += ref.sweeps[k][j] != 0;
    T_CHECK(moved > 0);
    task_result_free(&ref);
  }
}

/* One rank: distributed algorithm vs textbook, energy monotone, fixed points of dense J. */
static void check_dynamics_single(const char *yaml) {
  config_t c;
  kt_config(&c, yaml);
  task_t t = {0, 0};
  const int64_t N = c.N;
  int64_t *Jn = kt_naive_J(&c, t);
  couplings_t cp;
  patterns_t p;
  dynamics_t d;
  err_t e;
  T_OK(&e, couplings_init(&cp, N, c.block_size, MPI_COMM_SELF, &e));
  T_OK(&e, patterns_init(&p, &c, t, cp.rows, cp.nloc, &e));
  T_OK(&e, couplings_build(&cp, &p, NULL, NULL, &e));
  T_OK(&e, dynamics_init(&d, &cp, &c, c.seed, 0, 0, MPI_COMM_SELF, &e));
  int8_t *s0 = malloc((size_t)N), *s = malloc((size_t)N), *s2 = malloc((size_t)N);
  int64_t runs = 0, flipped = 0;
  for (uint64_t probe = 0; probe < 12; probe++) {
    /* random start, or a train example */
    rng_addr_t a = {.seed = 99, .sample = probe, .point = 0, .stream = RNG_FEATURES};
    if (probe < 6) {
      for (int64_t i = 0; i < N; i++)
        s0[i] = rng_bit(&a, 0, 0, (uint64_t)i) ? 1 : -1;
    } else {
      int64_t nu = (int64_t)probe;
      T_OK(&e, patterns_examples_i8(&p, EXAMPLES_TRAIN, &nu, 1, s0, N, &e));
    }
    memcpy(s, s0, (size_t)N);
    T_OK(&e, dynamics_set_states(&d, s, 1, &e));
    int64_t sweeps = 0, sweeps_tb = 0;
    T_OK(&e, dynamics_run(&d, s, 0, probe, &sweeps, &e));
    memcpy(s2, s0, (size_t)N);
    T_OK(&e, dynamics_run_textbook(&d, s2, probe, &sweeps_tb, &e));
    T_CHECK(memcmp(s, s2, (size_t)N) == 0);
    T_EQ_I(sweeps, sweeps_tb);
    /* fields kept incrementally equal fields recomputed from scratch */
    int64_t *h = malloc(sizeof(int64_t) * (size_t)N);
    for (int64_t r = 0; r < N; r++)
      h[r] = dynamics_field(&d, 0, r);
    T_OK(&e, dynamics_set_states(&d, s, 1, &e));
    int64_t bad = 0;
    for (int64_t r = 0; r < N; r++)
      bad += h[r] != dynamics_field(&d, 0, r);
    T_EQ_I(bad, 0);
    free(h);
    /* fixed point of the dense J: s_i h_i >= 0 or h_i == 0 */
    if (sweeps >= 0) {
      int64_t unstable = 0;
      for (int64_t i = 0; i < N; i++) {
        int64_t hi = 0;
        for (int64_t j = 0; j < N; j++)
          hi += Jn[i * N + j] * s[j];
        unstable += (int64_t)s[i] * hi < 0;
      }
      T_EQ_I(unstable, 0);
    }
    /* energy never increases: runs cut after k sweeps are prefixes of the full run */
    int64_t prev = dynamics_energy(&d, s0);
    int64_t kmax = sweeps < 0 ? c.max_sweeps : sweeps + 1;
    dynamics_t dk = d;
    for (int64_t k = 1; k <= kmax; k++) {
      dk.max_sweeps = k;
      memcpy(s2, s0, (size_t)N);
      int64_t sw;
      T_OK(&e, dynamics_run_textbook(&dk, s2, probe, &sw, &e));
      int64_t en = dynamics_energy(&d, s2);
      T_CHECK(en <= prev);
      if (en < prev)
        flipped++;
      prev = en;
    }
    runs++;
  }
  T_CHECK(flipped > 0);
  T_EQ_I(runs, 12);
  free(s0);
  free(s);
  free(s2);
  dynamics_free(&d);
  patterns_free(&p);
  couplings_free(&cp);
  free(Jn);
  config_free(&c);
}

/* The one-rank couplings of a single stored pattern, J_ij = xi_i xi_j off the diagonal, built by
 * hand into the caller's J[n * n] and rows[n] (no BLACS grid). */
static couplings_t hebb_one_pattern(int n, const int8_t *xi, int16_t *J, int64_t *rows) {
  for (int i = 0; i < n; i++) {
    rows[i] = i;
    for (int j = 0; j < n; j++)
      J[i + n * j] = (int16_t)(i == j ? 0 : xi[i] * xi[j]);
  }
  return (couplings_t){.N = n,
                       .nb = n,
                       .P = 1,
                       .g = 1,
                       .rank = 0,
                       .ctxt = -1,
                       .nloc = n,
                       .lld = n,
                       .rows = rows,
                       .elem = 2,
                       .J = J};
}

/* N = 4, P = 1, xi = (1, -1, 1, 1): J_ij = xi_i xi_j off the diagonal. From s0 = (1, -1, 1, -1)
 * the field of spin 3 is 3 > 0, so it flips, and the state is xi after one sweep with a flip;
 * xi is a fixed point with energy -6. */
static void check_hand_case(void) {
  config_t c;
  kt_config(&c, "model: hopfield\nN: 4\nalpha: [0.25]\nprobes: {train: 1, test: 0}\n"
                "dynamics: {order: cyclic}\n");
  const int8_t xi[4] = {1, -1, 1, 1};
  int16_t J[16];
  int64_t rows[4];
  couplings_t cp = hebb_one_pattern(4, xi, J, rows);
  dynamics_t d;
  err_t e;
  T_OK(&e, dynamics_init(&d, &cp, &c, 1, 0, 0, MPI_COMM_SELF, &e));
  int8_t s[4] = {1, -1, 1, -1};
  int64_t sweeps = -5;
  T_OK(&e, dynamics_set_states(&d, s, 1, &e));
  T_EQ_I(dynamics_field(&d, 0, 3), 3);
  T_EQ_I(dynamics_field(&d, 0, 0), 1 + 1 - 1); /* xi_0 (xi_1 s_1 + xi_2 s_2 + xi_3 s_3): stable */
  T_EQ_I(dynamics_energy(&d, s), 0);
  T_OK(&e, dynamics_run(&d, s, 0, 0, &sweeps, &e));
  T_CHECK(memcmp(s, xi, 4) == 0);
  T_EQ_I(sweeps, 1);
  T_EQ_I(dynamics_energy(&d, s), -6);
  /* a fixed point is fixed: zero sweeps */
  T_OK(&e, dynamics_run(&d, s, 0, 0, &sweeps, &e));
  T_EQ_I(sweeps, 0);
  T_CHECK(memcmp(s, xi, 4) == 0);
  /* an unstable first spin (ties, h = 0, are checked in check_tie_case) */
  int8_t z[4] = {-1, 1, 1, 1}; /* h_0 = xi_0 (-1 + 1 + 1) = 1 > 0 and s_0 = -1: unstable */
  T_OK(&e, dynamics_set_states(&d, z, 1, &e));
  T_EQ_I(dynamics_field(&d, 0, 0), 1);
  T_OK(&e, dynamics_run(&d, z, 0, 0, &sweeps, &e));
  /* cyclic order: spin 0 flips to +1 first; then spin 1 sees field -3 with s_1 = +1 -> flips */
  T_CHECK(memcmp(z, xi, 4) == 0);
  dynamics_free(&d);
  config_free(&c);
}

/* Ties: N = 3, P = 1, xi = (1, 1, 1), so h_i = s_j + s_k can be 0, and a spin with h = 0 keeps
 * its value. Cyclic order from (1, 1, -1): spins 0 and 1 see h = 0 and stay, spin 2 sees h = 2
 * and flips: (1, 1, 1). Mirror image from (-1, -1, 1): (-1, -1, -1). A rule that flipped on
 * h = 0 (either sign) would end elsewhere. */
static void check_tie_case(void) {
  config_t c;
  kt_config(&c, "model: hopfield\nN: 3\nalpha: [0.34]\nprobes: {train: 1, test: 0}\n"
                "dynamics: {order: cyclic}\n");
  const int8_t xi[3] = {1, 1, 1};
  int16_t J[9];
  int64_t rows[3];
  couplings_t cp = hebb_one_pattern(3, xi, J, rows);
  dynamics_t d;
  err_t e;
  T_OK(&e, dynamics_init(&d, &cp, &c, 1, 0, 0, MPI_COMM_SELF, &e));
  const int8_t start[2][3] = {{1, 1, -1}, {-1, -1, 1}}, want[2][3] = {{1, 1, 1}, {-1, -1, -1}};
  for (int k = 0; k < 2; k++) {
    int8_t s[3], s2[3];
    memcpy(s, start[k], 3);
    memcpy(s2, start[k], 3);
    int64_t sweeps = -5, sweeps_tb = -5;
    T_OK(&e, dynamics_set_states(&d, s, 1, &e));
    T_EQ_I(dynamics_field(&d, 0, 0), 0);
    T_OK(&e, dynamics_run(&d, s, 0, 0, &sweeps, &e));
    T_CHECK(memcmp(s, want[k], 3) == 0);
    T_EQ_I(sweeps, 1);
    T_OK(&e, dynamics_run_textbook(&d, s2, 0, &sweeps_tb, &e));
    T_CHECK(memcmp(s2, want[k], 3) == 0);
    T_EQ_I(sweeps_tb, 1);
  }
  dynamics_free(&d);
  config_free(&c);
}

/* Regression pin: the probe results of fixed tasks (both models, both coefficient kinds, random
 * and cyclic order) hashed with SHA-256. Any change to the random-number addressing, pattern
 * generation, couplings or dynamics changes this hash: if the change is intended, it changes
 * every published result, so update the pin deliberately and say so. Prints the hash. */
static void check_regression_pin(MPI_Comm world) {
  static const char *const yamls[] = {
      "N: 150\nalpha: [0.1, 0.4]\nalpha_D: [0.05, 0.1]\nL: [1, 3, dense]\nsamples: 2\n"
      "probes: {train: 4, test: 4, feature: 4}\nseed: 7\n",
      "N: 140\nalpha: [0.3]\nalpha_D: [0.05]\nL: [2, dense]\ncoefficients: gaussian\n"
      "dynamics: {order: cyclic}\nsamples: 2\nprobes: {train: 3, test: 3, feature: 3}\n",
      "model: hopfield\nN: 160\nalpha: [0.08, 0.2]\nsamples: 2\nprobes: {train: 5, test: 3}\n"};
  strbuf_t all;
  strbuf_init(&all);
  for (size_t y = 0; y < sizeof yamls / sizeof yamls[0]; y++) {
    config_t c;
    kt_config(&c, yamls[y]);
    for (int64_t point = 0; point < config_points(&c); point++) {
      task_t t = {point, 1};
      task_result_t r;
      err_t e;
      T_OK(&e, task_result_init(&r, &c, t, &e));
      T_OK(&e, probes_run_task(&c, t, world, &r, NULL, NULL, &e));
      for (int k = 0; k < PROBE_KINDS; k++)
        for (int64_t j = 0; j < r.n[k]; j++)
          strbuf_printf(&all, "%zu %lld %d %lld %a %d\n", y, (long long)point, k, (long long)j,
                        (double)r.m[k][j], r.sweeps[k][j]);
      task_result_free(&r);
    }
    config_free(&c);
  }
  char hex[65];
  util_sha256_hex(all.s, all.len, hex);
  int rank;
  MPI_Comm_rank(world, &rank);
  if (rank == 0)
    printf("regression pin: %s (%zu bytes of results)\n", hex, all.len);
  T_CHECK(strcmp(hex, REGRESSION_PIN) == 0);
  strbuf_free(&all);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm world = MPI_COMM_WORLD;
  int rank;
  MPI_Comm_rank(world, &rank);
  const int64_t cases[][3] = {{3, 1, 2},   {2, 1, 2},    {2, 2, 1},   {7, 3, 2},    {13, 5, 4},
                              {37, 11, 8}, {50, 17, 64}, {65, 40, 8}, {101, 33, 16}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    if (cases[k][0] >= 4) /* RFHM needs D = 3 <= N */
      check_couplings(world, cases[k][0], cases[k][1], cases[k][2], "pm1");
    check_couplings(world, cases[k][0], cases[k][1], cases[k][2], "hopfield");
  }
  check_couplings(world, 45, 20, 4, "gaussian");
  check_couplings(world, 30, 2100, 8, "hopfield"); /* several PSGEMM chunks */

  check_probes_identical(world,
                         "N: 157\nalpha: [0.05, 0.3]\nalpha_D: [0.04]\nL: [3]\nsamples: 2\n"
                         "probes: {train: 5, test: 5, feature: 4}\nparallel: {block_size: %lld}\n",
                         3, 64);
  check_probes_identical(world,
                         "N: 120\nalpha: [0.2]\nalpha_D: [0.05]\nL: [2, dense]\nsamples: 2\n"
                         "coefficients: gaussian\ndynamics: {order: cyclic}\n"
                         "probes: {train: 4, test: 4, feature: 3}\nparallel: {block_size: %lld}\n",
                         5, 7);
  check_probes_identical(world,
                         "model: hopfield\nN: 131\nalpha: [0.2]\nsamples: 2\n"
                         "probes: {train: 6, test: 3}\nparallel: {block_size: %lld}\n",
                         4, 32);
  check_regression_pin(world);
  if (rank == 0) {
    check_dynamics_single("model: hopfield\nN: 90\nalpha: [0.3]\nprobes: {train: 0, test: 1}\n");
    check_dynamics_single("N: 80\nalpha: [0.5]\nalpha_D: [0.1]\nL: [4]\n"
                          "probes: {train: 0, test: 1, feature: 0}\n");
    check_hand_case();
    check_tie_case();
  }
  int rc = test_finish_mpi("test_kernel", world);
  MPI_Finalize();
  return rc;
}
