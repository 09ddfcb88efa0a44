#include "hopscan/task.h"

#include "hopscan/util.h"

#include <math.h>
#include <stdlib.h>

int task_result_init(task_result_t *r, const config_t *c, task_t t, err_t *e) {
  r->task = t;
  for (int k = 0; k < PROBE_KINDS; k++) {
    r->n[k] = c->probes[k];
    r->m[k] = NULL;
    r->sweeps[k] = NULL;
  }
  for (int k = 0; k < PROBE_KINDS; k++) {
    int rc = util_alloc((void **)&r->m[k], (size_t)r->n[k], sizeof(float), "probe overlaps", e);
    if (!rc)
      rc = util_alloc((void **)&r->sweeps[k], (size_t)r->n[k], sizeof(int32_t), "probe sweeps", e);
    if (rc) {
      task_result_free(r);
      return rc;
    }
    for (int64_t j = 0; j < r->n[k]; j++) {
      r->m[k][j] = NAN;
      r->sweeps[k][j] = -1;
    }
  }
  return 0;
}

void task_result_free(task_result_t *r) {
  for (int k = 0; k < PROBE_KINDS; k++) {
    free(r->m[k]);
    free(r->sweeps[k]);
    r->m[k] = NULL;
    r->sweeps[k] = NULL;
  }
}

bool task_should_stop(MPI_Comm group, task_stop_fn stop, void *ctx) {
  int local = stop && stop(ctx) ? 1 : 0, any = local;
  MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, group);
  return any != 0;
}
