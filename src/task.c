#include "hopscan/task.h"

#include "hopscan/util.h"

#include <math.h>
#include <stdlib.h>

int task_result_init(task_result_t *r, const config_t *c, task_t t, err_t *e) {
  r->task = t;
  r->n_kinds = c->n_kinds;
  for (int k = 0; k < PROBE_KINDS_MAX; k++) {
    r->n[k] = k < c->n_kinds ? c->probes[k] : 0;
    r->m[k] = NULL;
    r->sweeps[k] = NULL;
    r->m_components[k] = NULL;
  }
  for (int k = 0; k < r->n_kinds; k++) {
    int rc = util_alloc((void **)&r->m[k], (size_t)r->n[k], sizeof(float), "probe overlaps", e);
    if (!rc)
      rc = util_alloc((void **)&r->sweeps[k], (size_t)r->n[k], sizeof(int32_t), "probe sweeps", e);
    if (!rc && c->kinds[k].components)
      rc = util_alloc((void **)&r->m_components[k], (size_t)r->n[k], sizeof(float),
                      "probe component overlaps", e);
    if (rc) {
      task_result_free(r);
      return rc;
    }
    for (int64_t j = 0; j < r->n[k]; j++) {
      r->m[k][j] = NAN;
      r->sweeps[k][j] = -1;
      if (r->m_components[k])
        r->m_components[k][j] = NAN;
    }
  }
  return 0;
}

void task_result_free(task_result_t *r) {
  for (int k = 0; k < PROBE_KINDS_MAX; k++) {
    free(r->m[k]);
    free(r->sweeps[k]);
    free(r->m_components[k]);
    r->m[k] = NULL;
    r->sweeps[k] = NULL;
    r->m_components[k] = NULL;
  }
}

patterns_spec_t task_patterns_spec(const config_t *c, task_t t) {
  int64_t ia, ib, ic;
  config_point_coords(c, t.point, &ia, &ib, &ic);
  return (patterns_spec_t){
      .model = c->model,
      .coef = c->coefficients,
      .N = c->N,
      .P = config_P(c, ia),
      .D = config_D(c, ib),
      .L = config_L_eff(c, ib, ic),
      .addr = {.seed = c->seed, .sample = (uint64_t)t.sample, .point = (uint64_t)t.point}};
}

int task_patterns_init(patterns_t *p, const config_t *c, task_t t, const int64_t *rows,
                       int64_t nloc, err_t *e) {
  patterns_spec_t spec = task_patterns_spec(c, t);
  return patterns_init(p, &spec, rows, nloc, e);
}
