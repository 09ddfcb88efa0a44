/* The two dynamics engines give the same results bit for bit (run with 3 ranks; test_kernel at 4
 * ranks compares them on groups of 1-4):
 * - the first, middle and last grid point of every shipped config, each as a one-point config at
 *   N = 400 with the point's alpha, D (at most 200), L, coefficients, order and probes;
 * - random small configs (both models, both coefficient kinds, L sparse and dense, both orders,
 *   max_sweeps 1-3 so that runs are cut, odd block sizes, mixture probes in half of them);
 * each with the couplings engine, the overlaps engine (every SIMD variant the CPU runs), auto, and
 * auto with costs that make it switch engines within a task, on groups of 1 .. size ranks. */
#include "hopscan/overlaps.h"
#include "hopscan/probes.h"
#include "hopscan/util.h"
#include "kernel_common.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs task t of c with every engine on every group size; all results must equal the first.
 * Returns the number of probes that moved (sweeps != 0) in the reference. */
static int64_t compare_engines(MPI_Comm world, const config_t *c, task_t t, const char *what,
                               int g_hi, bool full, int64_t *switched) {
  int size, rank;
  MPI_Comm_size(world, &size);
  MPI_Comm_rank(world, &rank);
  const overlaps_isa best = overlaps_best_isa();
  struct {
    kt_engine engine;
    overlaps_isa isa;
  } cases[OVERLAPS_VNNI + 4];
  int n_cases = 0;
  cases[n_cases].engine = KT_COUPLINGS, cases[n_cases++].isa = best;
  for (int isa = OVERLAPS_PORTABLE; isa <= (int)best; isa++)
    cases[n_cases].engine = KT_OVERLAPS, cases[n_cases++].isa = (overlaps_isa)isa;
  cases[n_cases].engine = KT_AUTO, cases[n_cases++].isa = best;
  cases[n_cases].engine = KT_AUTO_SWITCH, cases[n_cases++].isa = best;
  task_result_t ref;
  bool have_ref = false;
  int64_t moved = 0;
  if (!full) { /* couplings, and overlaps with the best kernels */
    cases[1] = cases[n_cases - 3];
    n_cases = 2;
  }
  for (int g = 1; g <= size && g <= g_hi; g++)
    for (int k = 0; k < n_cases; k++) {
      MPI_Comm comm = kt_group(world, g);
      task_result_t r;
      err_t e;
      T_OK(&e, task_result_init(&r, c, t, &e));
      if (comm != MPI_COMM_NULL) {
        probes_stats_t st;
        T_OK(&e, kt_run_task(c, t, comm, cases[k].engine, cases[k].isa, &r, &st, &e));
        if (cases[k].engine == KT_AUTO_SWITCH && st.overlaps_probes > 0 && st.couplings_probes > 0)
          (*switched)++;
        MPI_Comm_free(&comm);
      }
      if (rank != 0) {
        task_result_free(&r);
        continue;
      }
      if (!have_ref) {
        ref = r;
        have_ref = true;
        continue;
      }
      int64_t bad = 0;
      for (int kk = 0; kk < r.n_kinds; kk++)
        for (int64_t j = 0; j < r.n[kk]; j++)
          bad += memcmp(&r.m[kk][j], &ref.m[kk][j], sizeof(float)) != 0 ||
                 r.sweeps[kk][j] != ref.sweeps[kk][j] ||
                 (r.m_components[kk] &&
                  memcmp(&r.m_components[kk][j], &ref.m_components[kk][j], sizeof(float)) != 0);
      if (bad) {
        fprintf(stderr, "%s point %lld: engine %s/%s on %d rank(s): %lld probes differ\n", what,
                (long long)t.point, kt_engine_name(cases[k].engine),
                overlaps_isa_name(cases[k].isa), g, (long long)bad);
        test_failures++;
      }
      task_result_free(&r);
    }
  if (have_ref) {
    for (int kk = 0; kk < ref.n_kinds; kk++)
      for (int64_t j = 0; j < ref.n[kk]; j++)
        moved += ref.sweeps[kk][j] != 0;
    task_result_free(&ref);
  }
  return moved;
}

/* Grid point `point` of c0 as a one-point config at N = 400: the same alpha, the same number of
 * features D (at most 200) and L, coefficients, order, max_sweeps and probes (at most P or D). */
static void small_point(const config_t *c0, int64_t point, config_t *c) {
  const int64_t N = 400;
  int64_t ia, ib, ic;
  config_point_coords(c0, point, &ia, &ib, &ic);
  const int64_t P = (int64_t)(c0->alpha[ia] * (double)N + 0.5);
  char yaml[1024];
  int len = snprintf(yaml, sizeof yaml,
                     "N: %lld\nalpha: [%.17g]\nsamples: 1\nseed: %llu\n"
                     "dynamics: {order: %s, max_sweeps: %lld}\n",
                     (long long)N, c0->alpha[ia], (unsigned long long)c0->seed,
                     c0->order == ORDER_RANDOM ? "random" : "cyclic", (long long)c0->max_sweeps);
  int64_t ntrain = c0->probes[PROBE_TRAIN] < P ? c0->probes[PROBE_TRAIN] : P;
  /* mixture sizes that fit (components: D features, hopfield: P patterns), 2 probes each */
  char mix[128] = "";
  int64_t comps =
      c0->model == MODEL_HOPFIELD ? P : (config_D(c0, ib) < 200 ? config_D(c0, ib) : 200);
  for (int64_t i = 0, m = 0; i < c0->n_mixture_sizes; i++)
    if (c0->mixture_sizes[i] <= comps)
      snprintf(mix + strlen(mix), sizeof mix - strlen(mix), "%s%d", m++ ? ", " : "",
               (int)c0->mixture_sizes[i]);
  char mixture[160] = "";
  if (mix[0])
    snprintf(mixture, sizeof mixture, ", mixture: {count: 2, sizes: [%s]}", mix);
  if (c0->model == MODEL_HOPFIELD) {
    snprintf(yaml + len, sizeof yaml - (size_t)len,
             "model: hopfield\nprobes: {train: %lld, test: %lld%s}\n", (long long)ntrain,
             (long long)c0->probes[PROBE_TEST], mixture);
  } else {
    int64_t D = config_D(c0, ib) < 200 ? config_D(c0, ib) : 200;
    int64_t nfeat = c0->probes[PROBE_FEATURE] < D ? c0->probes[PROBE_FEATURE] : D;
    char Ltext[32] = "dense";
    if (c0->L[ic] != 0)
      snprintf(Ltext, sizeof Ltext, "%lld", (long long)(c0->L[ic] < D ? c0->L[ic] : D));
    snprintf(yaml + len, sizeof yaml - (size_t)len,
             "alpha_D: [%.17g]\nL: [%s]\ncoefficients: %s\n"
             "probes: {train: %lld, test: %lld, feature: %lld%s}\n",
             (double)D / (double)N, Ltext, c0->coefficients == COEF_PM1 ? "pm1" : "gaussian",
             (long long)ntrain, (long long)c0->probes[PROBE_TEST], (long long)nfeat, mixture);
  }
  kt_config(c, yaml);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_shipped_configs(MPI_Comm world) {
  const char *src = getenv("HOPSCAN_SOURCE_DIR");
  char dir[900];
  snprintf(dir, sizeof dir, "%s/configs", src ? src : ".");
  DIR *d = opendir(dir);
  T_CHECK(d != NULL);
  if (!d)
    return;
  char *names[256];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < 256)
    if (strstr(de->d_name, ".yaml"))
      names[n++] = strdup(de->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp_str);
  int tried = 0;
  int64_t switched = 0;
  for (int i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    char *text = NULL;
    size_t len;
    err_t e;
    T_OK(&e, util_read_file(path, &text, &len, &e));
    config_t c0;
    config_init(&c0);
    err_init(&e);
    T_OK(&e, config_load_string(&c0, text, len, names[i], &e));
    free(text);
    /* every engine on one rank at three points; on groups of 1-4 ranks at the last point (a
     * distributed run pays two collectives per flip: oversubscribed, that is the slow part) */
    const int64_t pts = config_points(&c0), pick[3] = {0, pts / 2, pts - 1};
    for (int k = 0; k < 3; k++) {
      if (k > 0 && pick[k] == pick[k - 1])
        continue;
      config_t c;
      small_point(&c0, pick[k], &c);
      compare_engines(world, &c, (task_t){0, 0}, names[i], k == 2 ? 4 : 1, k != 2, &switched);
      config_free(&c);
    }
    config_free(&c0);
    tried++;
    free(names[i]);
  }
  T_CHECK(tried >= 10);
  int rank;
  MPI_Comm_rank(world, &rank);
  if (rank == 0)
    T_CHECK(switched > 0); /* auto switched from overlaps to J within a task somewhere */
}

/* xorshift64: the test's own reproducible choices. */
static uint64_t next(uint64_t *z) {
  *z ^= *z << 13;
  *z ^= *z >> 7;
  *z ^= *z << 17;
  return *z;
}

static void check_random_configs(MPI_Comm world) {
  uint64_t z = 0x2545f4914f6cdd1du;
  int64_t moved = 0, cut = 0, switched = 0, mixtures = 0;
  for (int k = 0; k < 24; k++) {
    char yaml[1024];
    int64_t N = 16 + (int64_t)(next(&z) % 150);
    double alpha = 0.02 + (double)(next(&z) % 1000) / 700.0;
    int64_t sweeps = (k % 3 == 0) ? 1 + (int64_t)(next(&z) % 3) : 200;
    int64_t nb = (int64_t[]){1, 3, 16, 64}[next(&z) % 4];
    const char *order = next(&z) % 2 ? "random" : "cyclic";
    int64_t P = (int64_t)(alpha * (double)N + 0.5);
    int64_t ntrain = P < 4 ? P : 1 + (int64_t)(next(&z) % 4);
    if (k % 4 == 3) {
      snprintf(yaml, sizeof yaml,
               "model: hopfield\nN: %lld\nalpha: [%.6g]\nsamples: 1\nseed: %llu\n"
               "probes: {train: %lld, test: 2%s}\ndynamics: {order: %s, max_sweeps: %lld}\n"
               "parallel: {block_size: %lld}\n",
               (long long)N, alpha, (unsigned long long)(next(&z) % 1000), (long long)ntrain,
               k % 2 && P >= 5 ? ", mixture: {count: 2, sizes: [5, 3]}" : "", order,
               (long long)sweeps, (long long)nb);
    } else {
      int64_t D = 2 + (int64_t)(next(&z) % 12);
      if (D > N / 2)
        D = N / 2;
      int64_t L = 1 + (int64_t)(next(&z) % (uint64_t)D);
      char Ltext[32];
      if (next(&z) % 3 == 0)
        snprintf(Ltext, sizeof Ltext, "dense");
      else
        snprintf(Ltext, sizeof Ltext, "%lld", (long long)L);
      snprintf(yaml, sizeof yaml,
               "N: %lld\nalpha: [%.6g]\nalpha_D: [%.17g]\nL: [%s]\ncoefficients: %s\n"
               "samples: 1\nseed: %llu\nprobes: {train: %lld, test: 2, feature: %lld%s}\n"
               "dynamics: {order: %s, max_sweeps: %lld}\nparallel: {block_size: %lld}\n",
               (long long)N, alpha, (double)D / (double)N, Ltext, next(&z) % 2 ? "gaussian" : "pm1",
               (unsigned long long)(next(&z) % 1000), (long long)ntrain, (long long)(D < 2 ? D : 2),
               k % 2 == 0 && D >= 3 ? (D >= 7 ? ", mixture: {count: 3, sizes: [3, 7]}"
                                              : ", mixture: {count: 3, sizes: [3]}")
                                    : "",
               order, (long long)sweeps, (long long)nb);
    }
    config_t c;
    kt_config(&c, yaml);
    char what[64];
    snprintf(what, sizeof what, "random config %d", k);
    moved +=
        compare_engines(world, &c, (task_t){0, (int64_t)(next(&z) % 4)}, what, 4, true, &switched);
    cut += c.max_sweeps <= 3;
    mixtures += c.n_kinds > 3;
    config_free(&c);
  }
  int rank;
  MPI_Comm_rank(world, &rank);
  if (rank == 0) {
    T_CHECK(moved > 0);
    T_CHECK(cut > 0);
    T_CHECK(switched > 0);
    T_CHECK(mixtures >= 6); /* mixture kinds were compared too */
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm world = MPI_COMM_WORLD;
  check_random_configs(world);
  check_shipped_configs(world);
  int rc = test_finish_mpi("test_engines", world);
  MPI_Finalize();
  return rc;
}
