/* probes: one task of the scan on one worker group: patterns, the dynamics engine (J from
 * couplings, or the J-free overlaps engine, see engine.h) and the dynamics from every probe
 * start. The probe kinds come from the config (config_t.kinds); each kind's family (train
 * examples, fresh test examples, features, mixtures of features or patterns) is one entry of the
 * family table in probes.c: how its probes are picked and its start states made.
 *
 * A worker (probes_worker_init/free) is made once per group and serves every task the group
 * runs: it owns the row layout, the group's BLACS grid and the engine cost constants.
 * Collective on the group communicator; the result is complete on every rank of the group. */
#ifndef HOPSCAN_PROBES_H
#define HOPSCAN_PROBES_H

#include "hopscan/config.h"
#include "hopscan/engine.h"
#include "hopscan/err.h"
#include "hopscan/layout.h"
#include "hopscan/overlaps.h"
#include "hopscan/task.h"

#include <mpi.h>
#include <stdbool.h>

/* What the last task did (the same on every rank of the group; for bench and logs). */
typedef struct probes_stats {
  int64_t overlaps_probes;  /* probes run on the overlaps engine */
  int64_t couplings_probes; /* probes run on J */
  int64_t sweeps, flips;    /* over all probes */
  double t_patterns;        /* seconds: generating patterns (packed rows, or J's chunks) */
  double t_build;           /* seconds in the J build (0 when J was not built) */
  double t_total;
} probes_stats_t;

typedef struct probes_worker {
  const config_t *c; /* not owned */
  MPI_Comm group;    /* not owned */
  layout_t lay;
  int ctxt;             /* BLACS grid of the group (couplings_grid_init) */
  engine_kind engine;   /* c->engine unless changed (bench, tests) */
  overlaps_isa isa;     /* overlaps kernels: overlaps_best_isa() unless lowered (bench, tests) */
  double mem_per_rank;  /* bytes a rank may use; auto builds J only within it (<= 0: no limit) */
  engine_costs_t costs; /* measured by the group's first rank at init, the same on all ranks */
  probes_stats_t last;
} probes_worker_t;

/* Sets up the worker of `group` for config c with the engine cost constants `costs`, or, when
 * costs is NULL, the constants the group's first rank measures now (about 0.1 s, broadcast).
 * Collective on group. */
int probes_worker_init(probes_worker_t *w, const config_t *c, MPI_Comm group,
                       const engine_costs_t *costs, err_t *e);
/* Collective on the group. */
void probes_worker_free(probes_worker_t *w);

/* Runs task t and fills r (task_result_init'ed by the caller). stop (may be NULL) is polled
 * collectively (kstop_agree) between pattern chunks of a J build and between probes, so a
 * stop abandons the task within one chunk or probe. Returns ERR_STOPPED, with r incomplete, when
 * stop() said so on any rank of the group. */
int probes_run_task(probes_worker_t *w, task_t t, task_result_t *r, task_stop_fn stop,
                    void *stop_ctx, err_t *e);

/* The full start states of task t's probes, kind by kind in the config's order (as the probes
 * run): *S = [ntot][N] int8 +-1 (caller frees; component rows of mixtures may follow). For tests
 * of the start-state addressing. Collective on the group. */
int probes_start_states(probes_worker_t *w, task_t t, int8_t **S, int64_t *ntot, err_t *e);

#endif
