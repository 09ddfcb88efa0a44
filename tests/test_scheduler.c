/* scheduler: the group layout, and the master-worker protocol driven by a synthetic workload
 * (real MPI, real signals, no HDF5): every task reaches exactly one epoch, groups run the same task
 * on all their ranks, the hand-out order is kept, flush epochs happen on every rank together,
 * and a signal on rank 0, on one worker or on every rank stops the run with ERR_STOPPED on every
 * rank after a final epoch that holds only finished tasks.
 *
 * The clock and the stop source are injected: fakeclock runs on a clock that reads "tasks
 * completed" (flush every 2.5 of them: each epoch but the last holds >= 3 tasks, exactly
 * 3, 3, 3, 1 on one rank), frozenclock on a clock that never moves (no flush but the final one,
 * however long the run takes), fakestop on a stop source that reports SIGUSR1 on rank 0 once 5
 * tasks are done (no real signal).
 *
 * usage: test_scheduler SCENARIO GROUP_SIZE [noprefetch]
 *   complete | stop_rank0 | stop_worker | stop_all | stop_in_epoch (rank 0 gets the signal during
 *   its second flush epoch) | fakeclock | frozenclock | fakestop; noprefetch: leaders ask only
 *   when done */
#include "hopscan/scheduler.h"
#include "hopscan/signals.h"
#include "hopscan/util.h"

#include "testutil.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct work {
  MPI_Comm comm;
  int rank;
  int64_t n_tasks;
  int steps;     /* stop polls per task */
  long step_ns;  /* sleep per step */
  int64_t *held; /* leader: finished, not yet written */
  int64_t n_held;
  int64_t *order; /* rank 0: ids in the order epochs delivered them */
  int64_t n_order;
  int *written;        /* rank 0: times each id was written */
  int64_t epochs;      /* epochs seen by this rank */
  int64_t raise_at;    /* rank 0 raises SIGUSR1 inside its epoch number raise_at (0: never) */
  int64_t mismatches;  /* group ranks that ran different ids */
  int64_t *epoch_size; /* rank 0: tasks written by each epoch */
} work_t;

static int work_run(void *ctx, int64_t id, MPI_Comm group, bool is_leader, task_stop_fn stop,
                    void *stop_ctx, err_t *e) {
  work_t *w = ctx;
  int64_t mm[2] = {id, -id};
  MPI_Allreduce(MPI_IN_PLACE, mm, 2, MPI_INT64_T, MPI_MAX, group);
  if (mm[0] != -mm[1])
    w->mismatches++;
  for (int s = 0; s < w->steps; s++) {
    int want = stop(stop_ctx) ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &want, 1, MPI_INT, MPI_MAX, group);
    if (want)
      return ERR_STOPPED;
    struct timespec ts = {0, w->step_ns};
    nanosleep(&ts, NULL);
  }
  if (id < 0 || id >= w->n_tasks)
    return ERR(e, ERR_RUNTIME, "task id %lld out of range", (long long)id);
  if (is_leader)
    w->held[w->n_held++] = id;
  return 0;
}

/* Collective on the run's comm, like output_write_epoch. */
static int work_epoch(void *ctx, err_t *e) {
  (void)e;
  work_t *w = ctx;
  int size = 0;
  MPI_Comm_size(w->comm, &size);
  if (++w->epochs == w->raise_at && w->rank == 0)
    raise(SIGUSR1); /* a signal while every rank is in a flush epoch */
  int n = (int)w->n_held, *counts = NULL, *displs = NULL;
  int64_t *all = NULL;
  if (w->rank == 0) {
    counts = calloc((size_t)size, sizeof *counts);
    displs = calloc((size_t)size, sizeof *displs);
  }
  MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, w->comm);
  int total = 0;
  if (w->rank == 0) {
    for (int r = 0; r < size; r++) {
      displs[r] = total;
      total += counts[r];
    }
    all = malloc((size_t)(total > 0 ? total : 1) * sizeof *all);
  }
  MPI_Gatherv(w->held, n, MPI_INT64_T, all, counts, displs, MPI_INT64_T, 0, w->comm);
  if (w->rank == 0) {
    w->epoch_size[w->epochs - 1] = total;
    for (int i = 0; i < total; i++) {
      w->written[all[i]]++;
      w->order[w->n_order++] = all[i];
    }
  }
  w->n_held = 0;
  free(all);
  free(counts);
  free(displs);
  return 0;
}

static void test_layout(void) {
  for (int64_t ranks = 1; ranks <= 20; ranks++)
    for (int64_t g = 1; g <= 6; g++) {
      int64_t n = scheduler_groups(ranks, g);
      int64_t workers = ranks > 1 ? ranks - 1 : 1;
      T_EQ_I(n, workers / g);
      if (n == 0)
        continue;
      int64_t covered = 0;
      for (int64_t k = 0; k < n; k++) {
        int64_t size = scheduler_group_size(ranks, g, k);
        int64_t first = scheduler_group_first(ranks, g, k);
        T_CHECK(size >= g && size <= workers / n + 1);
        for (int64_t r = first; r < first + size; r++)
          T_EQ_I(scheduler_group_of(ranks, g, r), k);
        covered += size;
      }
      T_EQ_I(covered, workers); /* nobody idle, nobody twice */
      if (ranks > 1)
        T_EQ_I(scheduler_group_of(ranks, g, 0), -1);
      T_EQ_I(scheduler_group_first(ranks, g, 0), ranks > 1 ? 1 : 0);
    }
}

/* Fake clocks and stop source; ctx is the run's stats (rank 0's completed count is the master's).
 */
static double clock_completed(void *ctx) {
  return (double)((const scheduler_stats_t *)ctx)->completed;
}

static double clock_frozen(void *ctx) {
  (void)ctx;
  return 0.0;
}

static int rank0_stop_after_5(void *ctx) {
  const scheduler_stats_t *st = ctx;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank == 0 && st->completed >= 5 ? SIGUSR1 : 0;
}

/* Checks of the fake-clock and fake-stop scenarios (rank 0). */
static void check_injected(const char *scenario, const work_t *w, const scheduler_stats_t *st,
                           int rc, int size) {
  if (!strcmp(scenario, "fakeclock")) {
    T_EQ_I(rc, 0);
    T_CHECK(st->epochs >= 2); /* the real clock (every 2.5 s) would not have flushed */
    for (int64_t k = 0; k + 1 < st->epochs; k++)
      T_CHECK(w->epoch_size[k] >= 3);
    if (size == 1) {
      T_EQ_I(st->epochs, 4);
      T_EQ_I(w->epoch_size[0], 3);
      T_EQ_I(w->epoch_size[1], 3);
      T_EQ_I(w->epoch_size[2], 3);
      T_EQ_I(w->epoch_size[3], 1);
    }
  } else if (!strcmp(scenario, "frozenclock")) {
    T_EQ_I(rc, 0);
    T_EQ_I(st->epochs, 1); /* only the final epoch, although real time passed every */
    T_EQ_I(w->epoch_size[0], w->n_tasks);
  } else if (!strcmp(scenario, "fakestop")) {
    T_EQ_I(rc, ERR_STOPPED);
    T_CHECK(st->stopped);
    T_EQ_I(st->signal, SIGUSR1);
    T_CHECK(st->completed >= 5 && st->completed < w->n_tasks);
    if (size == 1)
      T_EQ_I(st->completed, 5);
  }
}

/* Arms a one-shot POSIX timer that sends SIGUSR1 to this process after `seconds`. */
static void arm_signal(double seconds) {
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  timer_t t;
  if (timer_create(CLOCK_MONOTONIC, &sev, &t) != 0) {
    perror("timer_create");
    test_failures++;
    return;
  }
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = (time_t)seconds;
  its.it_value.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9);
  timer_settime(t, 0, &its, NULL);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const char *scenario = argc > 1 ? argv[1] : "complete";
  int64_t g = argc > 2 ? atoll(argv[2]) : 1;
  bool injected = !strcmp(scenario, "fakeclock") || !strcmp(scenario, "frozenclock") ||
                  !strcmp(scenario, "fakestop");
  bool stopping = strcmp(scenario, "complete") != 0 && !injected;
  err_t e;
  if (rank == 0)
    test_layout();

  work_t w = {.comm = MPI_COMM_WORLD, .rank = rank};
  w.n_tasks = stopping ? 2000 : 60;
  w.steps = 5;
  w.step_ns = stopping ? 2000000L : 400000L; /* 10 ms or 2 ms per task */
  w.held = calloc((size_t)w.n_tasks, sizeof *w.held);
  w.order = calloc((size_t)w.n_tasks, sizeof *w.order);
  if (!strcmp(scenario, "fakeclock"))
    w.n_tasks = 10;
  w.written = calloc((size_t)w.n_tasks, sizeof *w.written);
  w.epoch_size = calloc((size_t)w.n_tasks + 1, sizeof *w.epoch_size);
  int64_t *tasks = calloc((size_t)w.n_tasks, sizeof *tasks);
  for (int64_t i = 0; i < w.n_tasks; i++) /* a hand-out order that is not the identity */
    tasks[i] = (i * 7 + 3) % w.n_tasks;
  if (w.n_tasks % 7 == 0)
    for (int64_t i = 0; i < w.n_tasks; i++)
      tasks[i] = w.n_tasks - 1 - i;

  int64_t group_id = scheduler_group_of(size, g, rank);
  MPI_Comm group;
  if (size == 1)
    MPI_Comm_dup(MPI_COMM_SELF, &group);
  else
    MPI_Comm_split(MPI_COMM_WORLD, group_id < 0 ? MPI_UNDEFINED : (int)group_id, rank, &group);

  T_OK(&e, signals_install(&e));
  if (!strcmp(scenario, "stop_rank0") && rank == 0)
    arm_signal(0.2);
  if (!strcmp(scenario, "stop_worker") && rank == size - 1)
    arm_signal(0.2);
  if (!strcmp(scenario, "stop_all"))
    arm_signal(0.2);
  if (!strcmp(scenario, "stop_in_epoch"))
    w.raise_at = 2;

  scheduler_stats_t st;
  scheduler_ops_t ops = {
      .run = work_run, .epoch = work_epoch, .ctx = &w, .stop_signal = signals_stop_signal};
  double every = stopping ? 0.05 : 0.01;
  if (!strcmp(scenario, "fakeclock")) {
    ops.clock = clock_completed;
    ops.clock_ctx = &st;
    every = 2.5;
  } else if (!strcmp(scenario, "frozenclock")) {
    ops.clock = clock_frozen;
    every = 1e-9;
  } else if (!strcmp(scenario, "fakestop")) {
    ops.stop_signal = rank0_stop_after_5;
    ops.stop_ctx = &st;
  }
  bool noprefetch = argc > 3 && !strcmp(argv[3], "noprefetch");
  if (noprefetch)
    ops.prefetch_seconds = -1;
  err_init(&e);
  double t0 = util_now();
  int rc = scheduler_run(MPI_COMM_WORLD, group, rank == 0 ? tasks : NULL, w.n_tasks, every, &ops,
                         NULL, &st, &e);
  double dt = util_now() - t0;

  /* Every rank returns the same status and ran the same number of epochs. */
  int rcs[2] = {rc, -rc};
  MPI_Allreduce(MPI_IN_PLACE, rcs, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  T_EQ_I(rcs[0], -rcs[1]);
  int64_t ep[2] = {st.epochs, -st.epochs};
  MPI_Allreduce(MPI_IN_PLACE, ep, 2, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
  T_EQ_I(ep[0], -ep[1]);
  int64_t mism = w.mismatches;
  MPI_Allreduce(MPI_IN_PLACE, &mism, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  T_EQ_I(mism, 0);
  T_EQ_I(w.n_held, 0); /* the final epoch took everything */

  if (rank == 0) {
    int64_t n_written = 0;
    for (int64_t i = 0; i < w.n_tasks; i++) {
      T_CHECK(w.written[i] == 0 || w.written[i] == 1);
      n_written += w.written[i];
    }
    T_EQ_I(n_written, st.completed);
    T_EQ_I(w.n_order, n_written);
    if (injected) {
      check_injected(scenario, &w, &st, rc, size);
    } else if (!stopping) {
      T_EQ_I(rc, 0);
      T_EQ_I(n_written, w.n_tasks);
      T_CHECK(!st.stopped);
      T_CHECK(st.epochs >= 2);            /* periodic flushes happened, plus the final one */
      if (scheduler_groups(size, g) == 1) /* one group: the file order is the hand-out order */
        for (int64_t i = 0; i < w.n_tasks; i++)
          T_EQ_I(w.order[i], tasks[i]);
    } else {
      T_EQ_I(rc, ERR_STOPPED);
      T_CHECK(st.stopped);
      T_CHECK(n_written < w.n_tasks);
      T_CHECK(st.signal == SIGUSR1 || (st.signal == 0 && !strcmp(scenario, "stop_worker")));
    }
    printf("test_scheduler %s%s np=%d g=%lld: rc %d, %lld of %lld tasks written, %lld abandoned, "
           "%lld epochs (%.3f s), %.3f s in all\n",
           scenario, noprefetch ? " noprefetch" : "", size, (long long)g, rc, (long long)n_written,
           (long long)w.n_tasks, (long long)st.abandoned, (long long)st.epochs, st.epoch_seconds,
           dt);
  } else if (stopping || !strcmp(scenario, "fakestop")) {
    T_EQ_I(rc, ERR_STOPPED);
  }
  signals_restore();
  if (group != MPI_COMM_NULL)
    MPI_Comm_free(&group);
  free(tasks);
  free(w.held);
  free(w.order);
  free(w.written);
  free(w.epoch_size);
  int failed = test_failures;
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  int status = rank == 0 ? (failed ? 1 : test_finish("test_scheduler")) : (test_failures ? 1 : 0);
  MPI_Finalize();
  return status;
}
