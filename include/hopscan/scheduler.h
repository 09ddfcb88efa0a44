/* scheduler: master–worker scheduling (the engine behind `hopscan run`, app_run.c) of the scan's
 * tasks over worker groups, flush epochs, stop on signals, progress.
 *
 * Layout: rank 0 is the master; ranks 1..K-1 form worker groups (MPI_Comm_split) of the size
 * plan_group_size chose. The W = K-1 workers make n = W / g groups; leftover ranks are folded in
 * rather than left idle: the W workers are spread evenly, so group sizes differ by at most one and
 * are all >= g (a larger group only needs less memory per rank). With K = 1 the single rank is
 * master and worker (one group of 1, the same kernel path).
 *
 * Protocol (scheduler_run): a group leader sends the master requests that report the task it
 * finished (or abandoned) and/or ask for an order; the master answers each ask with one order:
 * TASK id, FLUSH, FINISH or STOP. The leader broadcasts each order to its group. While its tasks
 * are short (< 0.5 s) a leader asks for the next task when it starts one (prefetch), so the
 * round trip to the master is hidden. The master keeps the tasks sorted by estimated cost
 * (largest first). Every `every_seconds` (rank 0's clock) the master stops handing out work;
 * when every leader is idle it orders FLUSH and all ranks, master included, run one collective
 * epoch. On a stop signal (the stop source on rank 0, or reported by a group that abandoned its
 * task because one of its ranks saw it) the master sends STOP to every leader at once (its probes'
 * stop callback sees the message and the group abandons the task in flight; a prefetched task is
 * given back unrun); each leader answers BYE as its last message, then every rank runs the final
 * epoch. The clock and the stop source are injected (scheduler_ops_t), so the protocol is tested
 * with a fake clock and a fake stop. All waits sleep (MPI_Improbe/MPI_Test + naps backing off to 1
 * ms): no rank spins a core while it waits.
 *
 * Every rank returns the same status: 0 complete, ERR_STOPPED after the final epoch of a stopped
 * scan, or an error every rank agreed on; an error only one worker sees is printed with its rank
 * and ends the run with MPI_Abort (the file keeps its last consistent checkpoint). */
#ifndef HOPSCAN_SCHEDULER_H
#define HOPSCAN_SCHEDULER_H

#include "hopscan/err.h"
#include "hopscan/progress.h"
#include "hopscan/task.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- layout (pure functions; exposed for tests and `plan`) ---------------------------------- */

/* Worker groups for `ranks` ranks in all and group size g: their number (0 when not even one group
 * fits: ranks - 1 < g, or ranks == 1 and g > 1). */
int64_t scheduler_groups(int64_t ranks, int64_t g);
/* Group of world rank `rank` (-1 for the master when ranks > 1), its first world rank (the
 * leader) and its size. */
int64_t scheduler_group_of(int64_t ranks, int64_t g, int64_t rank);
int64_t scheduler_group_first(int64_t ranks, int64_t g, int64_t group);
int64_t scheduler_group_size(int64_t ranks, int64_t g, int64_t group);

/* ---- the protocol, independent of the model (tests drive it with their own work) ------------ */

/* Where the master's tasks come from when they are not a fixed list: an adaptive search decides
 * new tasks from the results of finished ones. Called on rank 0 only (the master, or the single
 * rank), in the order the master sees the events. */
#define SCHEDULER_DIGEST_LEN 2 /* doubles a finished task reports to the master */
typedef struct scheduler_source {
  /* The next task to hand out, or -1 when none is available now. */
  int64_t (*next)(void *ctx);
  /* Task id finished; digest: what ops->digest made of its result on the group leader. */
  int (*done)(void *ctx, int64_t id, const double *digest, err_t *e);
  /* No task will ever come again (asked only while none is in flight). */
  bool (*finished)(void *ctx);
  /* Tasks known so far (the progress total; it may grow). */
  int64_t (*total)(void *ctx);
  void *ctx;
} scheduler_source_t;

typedef struct scheduler_ops {
  /* Runs task `id` collectively on `group` (every rank of the group calls it). On success the
   * leader (is_leader) keeps the result for the next epoch. Returns 0, ERR_STOPPED when the task
   * was abandoned because stop() returned true on some rank of the group (nothing kept), or an
   * error. */
  int (*run)(void *ctx, int64_t id, MPI_Comm group, bool is_leader, task_stop_fn stop,
             void *stop_ctx, err_t *e);
  /* One flush epoch, collective on the run's comm: writes the results this rank keeps (leaders)
   * and drops them. Every rank of the run calls it at the same point of the protocol. */
  int (*epoch)(void *ctx, err_t *e);
  void *ctx;
  /* A leader asks for its next task when it starts one while its tasks take less than this many
   * seconds (hides the request round trip for small tasks). 0: default (0.5 s); < 0: never. */
  double prefetch_seconds;
  /* The clock of the flush period: seconds, non-decreasing, read on rank 0 (the master, or the
   * single rank). NULL: util_now (monotonic). Tests inject a fake one (MP-Gadget style). */
  double (*clock)(void *clock_ctx);
  void *clock_ctx;
  /* The stop source: the number of a pending stop signal, 0 while none. Every rank reads it: the
   * master between steps, leaders and group ranks inside tasks (through the task's stop
   * callback). NULL: never stop. `hopscan run` passes signals_stop_signal. */
  int (*stop_signal)(void *stop_ctx);
  void *stop_ctx;
  /* Optional. source: the tasks come from it (tasks/n_tasks of scheduler_run are ignored).
   * digest: on a group leader, after a task succeeded, the SCHEDULER_DIGEST_LEN numbers the
   * source's done() receives (zeros when NULL). */
  const scheduler_source_t *source;
  void (*digest)(void *ctx, int64_t id, double *out);
} scheduler_ops_t;

typedef struct scheduler_stats {
  int64_t completed; /* tasks finished in this run (rank 0: all groups) */
  int64_t abandoned; /* tasks abandoned by a stop (rank 0) */
  int64_t epochs;    /* epochs run, final one included */
  double epoch_seconds;
  int signal; /* the stop signal (0 when unknown or none) */
  bool stopped;
} scheduler_stats_t;

/* Runs the scan's tasks. Collective on comm. group: this rank's worker-group communicator
 * (MPI_COMM_NULL on the master when the comm has more than one rank; any one-rank comm when
 * it has one). tasks/n_tasks: the work in hand-out order (read on rank 0 only). every_seconds:
 * flush period (<= 0: only the final epoch). progress: rank 0's reporter or NULL; its done count
 * advances by one per finished task. Returns 0 or ERR_STOPPED (the final epoch done) or an error
 * every rank returns. */
int scheduler_run(MPI_Comm comm, MPI_Comm group, const int64_t *tasks, int64_t n_tasks,
                  double every_seconds, const scheduler_ops_t *ops, progress_t *progress,
                  scheduler_stats_t *stats, err_t *e);

#endif
