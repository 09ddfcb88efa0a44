#include "kernel_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kt_config(config_t *c, const char *yaml) {
  err_t e;
  err_init(&e);
  config_init(c);
  if (config_load_string(c, yaml, strlen(yaml), "test.yaml", &e) != 0) {
    fprintf(stderr, "bad test config: %s\n%s\n", e.msg, yaml);
    MPI_Abort(MPI_COMM_WORLD, 3);
  }
}

MPI_Comm kt_group(MPI_Comm world, int g) {
  int rank;
  MPI_Comm_rank(world, &rank);
  MPI_Comm comm;
  MPI_Comm_split(world, rank < g ? 0 : MPI_UNDEFINED, rank, &comm);
  return comm;
}

int64_t *kt_naive_J(const config_t *c, task_t t) {
  const int64_t N = c->N;
  int64_t *rows = malloc(sizeof(int64_t) * (size_t)N);
  for (int64_t i = 0; i < N; i++)
    rows[i] = i;
  patterns_t p;
  err_t e;
  err_init(&e);
  if (task_patterns_init(&p, c, t, rows, N, &e) != 0) {
    fprintf(stderr, "%s\n", e.msg);
    MPI_Abort(MPI_COMM_WORLD, 3);
  }
  float *X = malloc(sizeof(float) * (size_t)(N * p.P));
  patterns_examples_f32(&p, EXAMPLES_TRAIN, 0, p.P, X, N, &e);
  int64_t *J = calloc((size_t)(N * N), sizeof(int64_t));
  for (int64_t i = 0; i < N; i++)
    for (int64_t j = 0; j < N; j++) {
      if (i == j)
        continue;
      int64_t s = 0;
      for (int64_t nu = 0; nu < p.P; nu++)
        s += (int64_t)X[i + nu * N] * (int64_t)X[j + nu * N];
      J[i * N + j] = s;
    }
  free(X);
  patterns_free(&p);
  free(rows);
  return J;
}

int kt_run_task(const config_t *c, task_t t, MPI_Comm comm, kt_engine engine, overlaps_isa isa,
                task_result_t *r, probes_stats_t *stats, err_t *e) {
  engine_costs_t k;
  engine_costs_default(&k);
  if (engine == KT_AUTO_SWITCH) {
    /* overlaps time = sweeps * rows * words ns; the J build = (n_probes + 0.5) sweeps' worth, so
     * auto starts on overlaps and switches once the probes so far took that many sweeps */
    int g;
    MPI_Comm_size(comm, &g);
    int64_t ia, ib, ic, n = 0;
    config_point_coords(c, t.point, &ia, &ib, &ic);
    for (int kk = 0; kk < c->n_kinds; kk++)
      n += c->probes[kk];
    const double N = (double)c->N, P = (double)config_P(c, ia), rows = N / g;
    const double words = (double)((config_P(c, ia) + 63) / 64);
    k = (engine_costs_t){.ns_word = 1.0};
    k.sgemm_flops = 2.0 * N * N * P / (g * ((double)n + 0.5) * rows * words * 1e-9);
  }
  static const engine_kind kinds[] = {ENGINE_COUPLINGS, ENGINE_OVERLAPS, ENGINE_AUTO, ENGINE_AUTO};
  probes_worker_t w;
  CHECK(e, probes_worker_init(&w, c, comm, &k, e));
  w.engine = kinds[engine];
  if (isa < w.isa)
    w.isa = isa;
  int rc = probes_run_task(&w, t, r, NULL, NULL, e);
  if (stats)
    *stats = w.last;
  probes_worker_free(&w);
  return rc;
}

const char *kt_engine_name(kt_engine k) {
  static const char *const names[] = {"couplings", "overlaps", "auto", "auto-switch"};
  return names[k];
}
