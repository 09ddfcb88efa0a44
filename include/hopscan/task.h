/* task: one unit of scan work, a (grid point, sample) pair, and its results.
 * Plain data passed between scheduler, probes and output; task_result_init/free own the arrays.
 * Not collective. */
#ifndef HOPSCAN_TASK_H
#define HOPSCAN_TASK_H

#include "hopscan/config.h"
#include "hopscan/err.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct task {
  int64_t point;  /* flat grid index, see config_point_index */
  int64_t sample; /* 0 .. samples-1 */
} task_t;

/* Flat task id = point * samples + sample (the order of /samples/done). */
static inline int64_t task_id(const config_t *c, task_t t) {
  return t.point * c->samples + t.sample;
}

typedef struct task_result {
  task_t task;
  int64_t n[PROBE_KINDS];       /* probes per kind (config->probes) */
  float *m[PROBE_KINDS];        /* [n[k]] overlap m = s~ . s(0) / N of each probe */
  int32_t *sweeps[PROBE_KINDS]; /* [n[k]] sweeps with at least one flip; -1 if max_sweeps hit */
} task_result_t;

/* Allocates the arrays for config c (m = NaN, sweeps = -1). */
int task_result_init(task_result_t *r, const config_t *c, task_t t, err_t *e);
void task_result_free(task_result_t *r);

/* Asked between units of work (pattern chunks of the J build, probes) whether to abandon the task:
 * returns true when the calling rank wants to stop (a signal, an order from the master). */
typedef bool (*task_stop_fn)(void *ctx);

/* The group's decision: true when stop() (may be NULL) says so on any rank of group.
 * Collective on group. */
bool task_should_stop(MPI_Comm group, task_stop_fn stop, void *ctx);

#endif
