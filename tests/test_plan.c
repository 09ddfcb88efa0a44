/* plan: the memory model, the task cost, the automatic group size and its refusal, the memory
 * detection (collective: run at 2 ranks, so both ranks share one node), and the agreement of
 * plan's layout with the run's (every rank placed by scheduler_group_of) for 1-300 ranks and
 * every group size, and of the summary with the output's own file size. */
#include "hopscan/app.h"
#include "hopscan/config.h"
#include "hopscan/output.h"
#include "hopscan/plan.h"
#include "hopscan/scheduler.h"
#include "testutil.h"

#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

/* N = 256 (4 blocks of 64), P = 13, 128; D = 13, 26; 12 probes per task; J's memory model. */
static const char *small = "N: 256\nalpha: [0.05, 0.5]\nalpha_D: [0.05, 0.1]\nL: [1, dense]\n"
                           "samples: 3\nprobes: {train: 4, test: 4, feature: 4}\n"
                           "dynamics: {engine: couplings}\n";

/* The documented formula, written out independently. */
static double model_bytes(double N, double rows, double P, double D, double probes) {
  double Pc = P < 2048 ? P : 2048;
  return rows * N * 4 + rows * N * (P <= 32767 ? 2 : 4) + N * Pc * 4 + rows * Pc * 4 + rows * D +
         probes * N * 13;
}

static void test_model(void) {
  config_t c;
  err_t e;
  T_OK(&e, config_load_string(&c, small, strlen(small), "small.yaml", &e));
  T_EQ_I(plan_rows_per_rank(&c, 1), 256);
  T_EQ_I(plan_rows_per_rank(&c, 2), 128);
  T_EQ_I(plan_rows_per_rank(&c, 3), 128); /* 4 blocks over 3 ranks: 2 blocks on the first */
  T_EQ_I(plan_rows_per_rank(&c, 4), 64);
  T_EQ_I(plan_rows_per_rank(&c, 9), 64);
  /* Point (alpha 0.5, alpha_D 0.1, L dense) = index (1*2 + 1)*2 + 1 = 7. */
  int64_t pt = config_point_index(&c, 1, 1, 1);
  T_EQ_I(pt, 7);
  T_CHECK(plan_bytes_per_rank(&c, pt, 1) == 701952.0);
  T_CHECK(plan_bytes_per_rank(&c, pt, 2) == 436480.0);
  T_CHECK(plan_bytes_per_rank(&c, pt, 4) == 303744.0);
  T_CHECK(plan_bytes_per_rank(&c, 0, 2) == model_bytes(256, 128, 13, 13, 12));
  T_CHECK(plan_task_flops(&c, pt) == 2.0 * 256 * 256 * 128 + 12 * 20.0 * 256 * 256);
  T_CHECK(plan_task_flops(&c, 0) == 2.0 * 256 * 256 * 13 + 12 * 20.0 * 256 * 256);
  /* N not a multiple of the block: rows capped at N. */
  config_free(&c);
  const char *odd = "N: 100\nalpha: [0.1]\nalpha_D: [0.1]\nL: [1]\nparallel: {block_size: 32}\n";
  T_OK(&e, config_load_string(&c, odd, strlen(odd), "odd.yaml", &e));
  T_EQ_I(plan_rows_per_rank(&c, 1), 100);
  T_EQ_I(plan_rows_per_rank(&c, 2), 64);
  T_EQ_I(plan_rows_per_rank(&c, 3), 64);
  T_EQ_I(plan_rows_per_rank(&c, 4), 32);
  /* Integer J switches to int32 above P = 32767. */
  config_free(&c);
  const char *big = "N: 40000\nalpha: [0.8, 0.9]\nalpha_D: [0.1]\nL: [1]\n"
                    "dynamics: {engine: couplings}\n";
  T_OK(&e, config_load_string(&c, big, strlen(big), "big.yaml", &e));
  T_CHECK(plan_bytes_per_rank(&c, 0, 1) == model_bytes(40000, 40000, 32000, 4000, 24));
  T_CHECK(plan_bytes_per_rank(&c, 1, 1) == model_bytes(40000, 40000, 36000, 4000, 24));
  T_CHECK(plan_bytes_per_rank(&c, 1, 1) - plan_bytes_per_rank(&c, 0, 1) >
          40000.0 * 40000.0 * 2 - 1);
  config_free(&c);
}

/* The overlaps engine's memory (auto and overlaps): packed rows of W words, W = ceil(P / 64)
 * rounded up to 8, the overlaps M (64 W int32, and split in 2 bytes) and a row buffer, features,
 * probe states. */
static double model_overlaps(double rows, double N, double P, double D, double probes) {
  double W = ceil(ceil(P / 64) / 8) * 8;
  return rows * W * 8 + W * 64 * 6 + W * 8 + rows * D + probes * N * 2;
}

static void test_engines(void) {
  static const char *const modes[] = {"auto", "overlaps"};
  for (int m = 0; m < 2; m++) {
    char yaml[256];
    snprintf(yaml, sizeof yaml,
             "N: 256\nalpha: [0.05, 0.5]\nalpha_D: [0.05, 0.1]\nL: [1, dense]\nsamples: 3\n"
             "probes: {train: 4, test: 4, feature: 4}\ndynamics: {engine: %s}\n",
             modes[m]);
    config_t c;
    err_t e;
    T_OK(&e, config_load_string(&c, yaml, strlen(yaml), "eng.yaml", &e));
    int64_t pt = config_point_index(&c, 1, 1, 1);
    T_CHECK(plan_bytes_per_rank(&c, pt, 1) == model_overlaps(256, 256, 128, 26, 12));
    T_CHECK(plan_bytes_per_rank(&c, pt, 2) == model_overlaps(128, 256, 128, 26, 12));
    T_CHECK(plan_bytes_per_rank(&c, 0, 1) == model_overlaps(256, 256, 13, 13, 12));
    /* J's memory does not decide the group size: one rank fits what J would need 4 for */
    int64_t g = -1;
    T_OK(&e, plan_group_size(&c, 5, 303744, &g, &e));
    T_EQ_I(g, 1);
    /* where J does not fit, a task stays on the overlaps engine */
    T_EQ_I(plan_task_engine(&c, pt, 1, 303744, NULL), ENGINE_OVERLAPS);
    config_free(&c);
  }
  /* At N = 32000, alpha = 2 a task fits in 1 GiB on one rank (issue 11's target), and the
   * overlaps engine is chosen; the scan's estimated core-hours drop >= 10x against J. */
  const char *fig = "N: 32000\nalpha: [0.05, 0.5, 2]\nalpha_D: [0.005]\nL: [3]\nsamples: 2\n"
                    "probes: {train: 8, test: 8, feature: 8}\n";
  config_t c;
  err_t e;
  T_OK(&e, config_load_string(&c, fig, strlen(fig), "fig.yaml", &e));
  T_CHECK(plan_bytes_per_rank(&c, config_point_index(&c, 2, 0, 0), 1) <= 1024.0 * 1048576);
  for (int64_t ia = 0; ia < 3; ia++)
    T_EQ_I(plan_task_engine(&c, config_point_index(&c, ia, 0, 0), 1, 4e9, NULL), ENGINE_OVERLAPS);
  plan_summary_t s;
  T_OK(&e, plan_summarize(&c, 8, 4e9, &s, &e));
  T_EQ_I(s.group_rc, 0);
  T_EQ_I(s.layout.group_size, 1);
  T_EQ_I(s.n_classes, 3);
  T_CHECK(s.core_hours > 0 && s.core_hours_couplings >= 10 * s.core_hours);
  T_EQ_I(s.classes[2].P, 64000);
  T_EQ_I(s.classes[2].engine, ENGINE_OVERLAPS);
  config_free(&c);
  /* Pattern generation: the overlaps engine's packed +-1 examples come from bit counts (sparse:
   * a fraction of a ns per coefficient; dense: per 64 coefficients), far below the per-entry
   * product of J's float examples and of Gaussian coefficients; Hopfield costs ns_entry. */
  engine_costs_t k;
  engine_costs_default(&k);
  const engine_examples_t sp = {true, 3, 160}, de = {true, 161, 161}, ga = {false, 161, 161};
  T_CHECK(engine_pattern_ns(&k, &sp, true) < engine_pattern_ns(&k, &sp, false) / 4);
  T_CHECK(engine_pattern_ns(&k, &de, true) < engine_pattern_ns(&k, &de, false) / 3);
  T_CHECK(engine_pattern_ns(&k, &ga, false) == k.ns_entry + 161 * k.ns_dense_coef);
  T_CHECK(engine_pattern_ns(&k, &de, true) == k.ns_bit_entry + 3 * k.ns_bit_word);
  T_CHECK(engine_pattern_ns(&k, &ga, true) == engine_pattern_ns(&k, &ga, false));
  T_CHECK(engine_pattern_ns(&k, &(engine_examples_t){false, 0, 0}, true) == k.ns_entry);
  T_CHECK(engine_patterns_seconds(&k, ENGINE_OVERLAPS, 1000, 2000, 2, &sp) ==
          1000.0 * 2000 / 2 * engine_pattern_ns(&k, &sp, true) * 1e-9);
  /* A small N with many sweeps' worth of probes: J is the cheaper engine for auto. */
  const char *tiny = "N: 64\nalpha: [30]\nalpha_D: [0.1]\nL: [1]\nsamples: 1\n"
                     "probes: {train: 64, test: 200, feature: 6}\n";
  T_OK(&e, config_load_string(&c, tiny, strlen(tiny), "tiny.yaml", &e));
  T_EQ_I(plan_task_engine(&c, 0, 1, 0, NULL), ENGINE_COUPLINGS);
  config_free(&c);
}

static void test_group_size(void) {
  config_t c;
  err_t e;
  int64_t g = -1;
  T_OK(&e, config_load_string(&c, small, strlen(small), "small.yaml", &e));
  /* Smallest group that fits at every point. */
  T_OK(&e, plan_group_size(&c, 5, 1e9, &g, &e));
  T_EQ_I(g, 1);
  T_OK(&e, plan_group_size(&c, 5, 701952, &g, &e));
  T_EQ_I(g, 1);
  T_OK(&e, plan_group_size(&c, 5, 701951, &g, &e));
  T_EQ_I(g, 2);
  T_OK(&e, plan_group_size(&c, 5, 500000, &g, &e));
  T_EQ_I(g, 2);
  T_OK(&e, plan_group_size(&c, 5, 303744, &g, &e));
  T_EQ_I(g, 4);
  T_OK(&e, plan_group_size(&c, 1, 1e9, &g, &e)); /* one rank: master and worker */
  T_EQ_I(g, 1);
  /* Nothing fits: 2 workers at 400 kB; groups of 4 (--ranks 5) would. */
  err_init(&e);
  T_EQ_I(plan_group_size(&c, 3, 400000, &g, &e), ERR_USAGE);
  T_CHECK(strstr(e.msg, "no worker-group size fits"));
  T_CHECK(strstr(e.msg, "436480 bytes"));
  T_CHECK(strstr(e.msg, "--ranks 5"));
  /* Nothing fits even with one block per rank: say what memory would. */
  err_init(&e);
  T_EQ_I(plan_group_size(&c, 5, 300000, &g, &e), ERR_USAGE);
  T_CHECK(strstr(e.msg, "303744 bytes"));
  T_CHECK(strstr(e.msg, "more ranks cannot help"));
  /* An explicit group size is used as given, and must not exceed the workers. */
  config_free(&c);
  const char *fixed = "N: 256\nalpha: [0.05, 0.5]\nalpha_D: [0.05, 0.1]\nL: [1, dense]\n"
                      "probes: {train: 4, test: 4, feature: 4}\nparallel: {group_size: 3}\n";
  T_OK(&e, config_load_string(&c, fixed, strlen(fixed), "fixed.yaml", &e));
  T_OK(&e, plan_group_size(&c, 4, 1e9, &g, &e));
  T_EQ_I(g, 3);
  err_init(&e);
  T_EQ_I(plan_group_size(&c, 3, 1e9, &g, &e), ERR_USAGE);
  T_CHECK(strstr(e.msg, "parallel.group_size = 3 exceeds the 2 worker ranks"));
  config_free(&c);
}

static void test_detect(MPI_Comm comm) {
  config_t c;
  err_t e;
  int local = 0;
  MPI_Comm_size(comm, &local); /* mpirun on one node: every rank shares it */
  T_OK(&e, config_load_string(&c, small, strlen(small), "small.yaml", &e));
  plan_memory_t node = {1000.0 * 1048576, false, "test"};
  c.mem_per_rank = 12345;
  T_CHECK(plan_detect_mem_per_rank(&c, &node, comm) == 12345);
  c.mem_per_rank = 0;
  T_CHECK(plan_detect_mem_per_rank(&c, &node, comm) == 1000.0 * 1048576 / local);
  node.per_cpu = true;
  T_CHECK(plan_detect_mem_per_rank(&c, &node, comm) == 1000.0 * 1048576);
  /* Ranks that see different memory agree on the smallest. */
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  node.bytes = rank == 0 ? 2e9 : 1e9;
  T_CHECK(plan_detect_mem_per_rank(&c, &node, comm) == (local > 1 ? 1e9 : 2e9));
  T_CHECK(plan_memory_share(&node, 4) == node.bytes); /* per CPU: not divided */
  node.per_cpu = false;
  T_CHECK(plan_memory_share(&node, 4) == node.bytes / 4);

  /* Where the app layer finds the node's memory. */
  plan_memory_t m;
  unsetenv("SLURM_MEM_PER_CPU");
  unsetenv("SLURM_MEM_PER_NODE");
  app_node_memory(&m);
  T_CHECK(m.bytes > 0 && !m.per_cpu && strstr(m.source, "meminfo"));
  setenv("SLURM_MEM_PER_NODE", "1000", 1);
  app_node_memory(&m);
  T_CHECK(m.bytes == 1000.0 * 1048576 && !m.per_cpu && !strcmp(m.source, "SLURM_MEM_PER_NODE"));
  setenv("SLURM_MEM_PER_CPU", "300", 1);
  app_node_memory(&m);
  T_CHECK(m.bytes == 300.0 * 1048576 && m.per_cpu && !strcmp(m.source, "SLURM_MEM_PER_CPU"));
  setenv("SLURM_MEM_PER_CPU", "junk", 1); /* unusable: the next source counts */
  app_node_memory(&m);
  T_CHECK(m.bytes == 1000.0 * 1048576 && !m.per_cpu);
  unsetenv("SLURM_MEM_PER_CPU");
  unsetenv("SLURM_MEM_PER_NODE");
  config_free(&c);
}

/* The layout a run makes, counted rank by rank as app_run places them (scheduler_group_of). */
static void run_layout(int64_t ranks, int64_t g, plan_layout_t *l) {
  memset(l, 0, sizeof *l);
  int64_t *size = calloc((size_t)ranks + 1, sizeof *size);
  int64_t workers = ranks > 1 ? ranks - 1 : 1, in_groups = 0;
  for (int64_t r = 0; r < ranks; r++) {
    int64_t k = scheduler_group_of(ranks, g, r);
    T_CHECK(k >= -1 && k < ranks);
    if (k < 0)
      continue;
    size[k]++;
    in_groups++;
    if (k + 1 > l->groups)
      l->groups = k + 1;
  }
  l->group_min = l->groups ? INT64_MAX : 0;
  for (int64_t k = 0; k < l->groups; k++) {
    T_CHECK(size[k] >= 1); /* group ids are dense */
    l->group_min = size[k] < l->group_min ? size[k] : l->group_min;
    l->group_max = size[k] > l->group_max ? size[k] : l->group_max;
  }
  for (int64_t k = 0; k < l->groups; k++)
    l->n_max += size[k] == l->group_max;
  l->idle = workers - in_groups;
  free(size);
}

static void test_layout_agreement(void) {
  int64_t cases = 0;
  for (int64_t ranks = 1; ranks <= 300; ranks++) {
    int64_t workers = ranks > 1 ? ranks - 1 : 1;
    for (int64_t g = 1; g <= workers; g++) {
      plan_layout_t p, r;
      plan_layout(ranks, g, &p);
      run_layout(ranks, g, &r);
      int bad = test_failures;
      T_EQ_I(p.groups, r.groups);
      T_EQ_I(p.group_min, r.group_min);
      T_EQ_I(p.group_max, r.group_max);
      T_EQ_I(p.n_max, r.n_max);
      T_EQ_I(p.idle, r.idle);
      T_EQ_I(p.idle, 0); /* leftover workers are folded into groups, never idle */
      T_CHECK(p.group_min >= g && p.group_max <= p.group_min + 1);
      if (test_failures != bad) {
        fprintf(stderr, "layout disagrees at %lld ranks, group size %lld\n", (long long)ranks,
                (long long)g);
        return;
      }
      cases++;
    }
  }
  T_EQ_I(cases, 299 * 300 / 2 + 1);
  /* The case of issue 10: 257 ranks, groups of 3 -> 85 groups, one of them of 4. */
  plan_layout_t l;
  plan_layout(257, 3, &l);
  T_EQ_I(l.groups, 85);
  T_EQ_I(l.group_max, 4);
  T_EQ_I(l.n_max, 1);
  T_EQ_I(l.idle, 0);
}

/* The summary's layout and file size are the run's and the output's own. */
static void test_summary(void) {
  static const char *text = "N: 300\nalpha: [0.1]\nalpha_D: [0.1]\nL: [2]\n"
                            "parallel: {group_size: 3}\n";
  config_t c;
  err_t e;
  T_OK(&e, config_load_string(&c, text, strlen(text), "s.yaml", &e));
  plan_summary_t s;
  T_OK(&e, plan_summarize(&c, 257, 1e9, &s, &e));
  T_EQ_I(s.group_rc, 0);
  T_EQ_I(s.layout.groups, scheduler_groups(257, 3));
  T_EQ_I(s.layout.group_max, scheduler_group_size(257, 3, 0));
  T_EQ_I(s.layout.idle, 0);
  T_EQ_I(s.file_bytes, output_file_bytes(&c));
  T_EQ_I(s.tasks, 10);
  T_OK(&e, plan_summarize(&c, 3, 1e9, &s, &e)); /* group_size 3 > 2 workers: refused, as data */
  T_EQ_I(s.group_rc, ERR_USAGE);
  T_CHECK(strstr(s.group_err.msg, "parallel.group_size = 3 exceeds") != NULL);
  config_free(&c);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  test_model();
  test_group_size();
  test_engines();
  test_layout_agreement();
  test_summary();
  test_detect(MPI_COMM_WORLD);
  int rc = test_finish("test_plan");
  MPI_Finalize();
  return rc;
}
