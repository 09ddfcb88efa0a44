/* task: one unit of scan work, a (grid point, sample) pair, and its results.
 * Plain data passed between scheduler, probes and output; task_result_init/free own the arrays.
 * Not collective. */
#ifndef HOPSCAN_TASK_H
#define HOPSCAN_TASK_H

#include "hopscan/config.h"
#include "hopscan/err.h"
#include "hopscan/kstop.h"
#include "hopscan/patterns.h"

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

/* The results of one task, per probe kind k < n_kinds (config->kinds). */
typedef struct task_result {
  task_t task;
  int n_kinds;
  int64_t n[PROBE_KINDS_MAX];       /* probes per kind (config->probes) */
  float *m[PROBE_KINDS_MAX];        /* [n[k]] overlap m = s~ . s(0) / N of each probe */
  int32_t *sweeps[PROBE_KINDS_MAX]; /* [n[k]] sweeps with at least one flip; -1 if max_sweeps hit */
  float *m_components[PROBE_KINDS_MAX]; /* [n[k]] kinds with components (mixtures): mean over
                                         * the components of |overlap|; NULL for other kinds */
} task_result_t;

/* Allocates the arrays for config c (m = NaN, sweeps = -1). */
int task_result_init(task_result_t *r, const config_t *c, task_t t, err_t *e);
void task_result_free(task_result_t *r);

/* Asked between units of work (pattern chunks of the J build, probes) whether to abandon the task:
 * returns true when the calling rank wants to stop (a signal, an order from the master). The
 * kernel's stop source (kstop.h); the group agrees in the kernel. */
typedef kstop_fn task_stop_fn;

/* The kernel's plain description of task t's disorder under config c. */
patterns_spec_t task_patterns_spec(const config_t *c, task_t t);
/* patterns_init for task t of config c. */
int task_patterns_init(patterns_t *p, const config_t *c, task_t t, const int64_t *rows,
                       int64_t nloc, err_t *e);

#endif
