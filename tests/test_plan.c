/* plan: the memory model, the task cost, the automatic group size and its refusal, and the
 * memory detection (collective: run at 2 ranks, so both ranks share one node). */
#include "hopscan/config.h"
#include "hopscan/plan.h"
#include "testutil.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

/* N = 256 (4 blocks of 64), P = 13, 128; D = 13, 26; 12 probes per task. */
static const char *small = "N: 256\nalpha: [0.05, 0.5]\nalpha_D: [0.05, 0.1]\nL: [1, dense]\n"
                           "samples: 3\nprobes: {train: 4, test: 4, feature: 4}\n";

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
  const char *big = "N: 40000\nalpha: [0.8, 0.9]\nalpha_D: [0.1]\nL: [1]\n";
  T_OK(&e, config_load_string(&c, big, strlen(big), "big.yaml", &e));
  T_CHECK(plan_bytes_per_rank(&c, 0, 1) == model_bytes(40000, 40000, 32000, 4000, 24));
  T_CHECK(plan_bytes_per_rank(&c, 1, 1) == model_bytes(40000, 40000, 36000, 4000, 24));
  T_CHECK(plan_bytes_per_rank(&c, 1, 1) - plan_bytes_per_rank(&c, 0, 1) >
          40000.0 * 40000.0 * 2 - 1);
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
  c.mem_per_rank = 12345;
  T_CHECK(plan_detect_mem_per_rank(&c, comm) == 12345);
  c.mem_per_rank = 0;
  unsetenv("SLURM_MEM_PER_CPU");
  unsetenv("SLURM_MEM_PER_NODE");
  double avail = plan_detect_mem_per_rank(&c, comm);
  T_CHECK(avail > 0);
  setenv("SLURM_MEM_PER_NODE", "1000", 1);
  T_CHECK(plan_detect_mem_per_rank(&c, comm) == 1000.0 * 1048576 / local);
  setenv("SLURM_MEM_PER_CPU", "300", 1);
  T_CHECK(plan_detect_mem_per_rank(&c, comm) == 300.0 * 1048576);
  unsetenv("SLURM_MEM_PER_CPU");
  unsetenv("SLURM_MEM_PER_NODE");
  config_free(&c);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  test_model();
  test_group_size();
  test_detect(MPI_COMM_WORLD);
  int rc = test_finish("test_plan");
  MPI_Finalize();
  return rc;
}
