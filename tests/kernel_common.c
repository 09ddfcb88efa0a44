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
  if (patterns_init(&p, c, t, rows, N, &e) != 0) {
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
