#include "hopscan/scheduler.h"

#include "hopscan/agree.h"
#include "hopscan/task.h"
#include "hopscan/util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- layout ---------------------------------------------------------------------------------- */

static int64_t sched_workers(int64_t ranks) {
  return ranks > 1 ? ranks - 1 : 1;
}

int64_t scheduler_groups(int64_t ranks, int64_t g) {
  if (ranks < 1 || g < 1)
    return 0;
  return sched_workers(ranks) / g;
}

/* The W workers are spread evenly over n = W / g groups: groups 0..extra-1 have base+1 ranks,
 * the others base (base = W / n >= g), so leftover workers are folded in, never idle. */
static void sched_split(int64_t ranks, int64_t g, int64_t *base, int64_t *extra) {
  int64_t n = scheduler_groups(ranks, g);
  *base = n > 0 ? sched_workers(ranks) / n : 0;
  *extra = n > 0 ? sched_workers(ranks) % n : 0;
}

int64_t scheduler_group_size(int64_t ranks, int64_t g, int64_t group) {
  int64_t n = scheduler_groups(ranks, g), base, extra;
  if (group < 0 || group >= n)
    return 0;
  sched_split(ranks, g, &base, &extra);
  return group < extra ? base + 1 : base;
}

int64_t scheduler_group_first(int64_t ranks, int64_t g, int64_t group) {
  int64_t base, extra;
  sched_split(ranks, g, &base, &extra);
  int64_t w = group < extra ? group * (base + 1) : extra * (base + 1) + (group - extra) * base;
  return ranks > 1 ? w + 1 : w;
}

int64_t scheduler_group_of(int64_t ranks, int64_t g, int64_t rank) {
  int64_t n = scheduler_groups(ranks, g), base, extra;
  if (n == 0 || rank < 0 || rank >= ranks)
    return -1;
  if (ranks > 1 && rank == 0)
    return -1;
  sched_split(ranks, g, &base, &extra);
  int64_t w = ranks > 1 ? rank - 1 : 0;
  if (w < extra * (base + 1))
    return w / (base + 1);
  return extra + (w - extra * (base + 1)) / base;
}

/* ---- waiting without spinning a core --------------------------------------------------------- */

/* Open MPI 4.1 busy-polls inside blocking receives and collectives (TOOLCHAIN.md): every wait of
 * the protocol tests a non-blocking operation and naps between tests. The nap starts at 20 us and
 * doubles up to 1 ms, so an answer that comes quickly (the usual case: the master replies at once)
 * costs microseconds, and a long wait costs about one wake-up per millisecond (1-2 % of a core). */
enum { NAP_MIN_NS = 20000, NAP_MAX_NS = 1000000 };
/* The master's naps start higher: with prefetch its answers are rarely on a critical path, and
 * after each message a fast back-off from 20 us would cost it several wake-ups per message. */
enum { NAP_MASTER_MIN_NS = 250000 };

static void sched_nap(long *ns) {
  struct timespec ts = {0, *ns};
  nanosleep(&ts, NULL);
  *ns = *ns * 2 > NAP_MAX_NS ? NAP_MAX_NS : *ns * 2;
}

static void sched_wait(MPI_Request *req) {
  int done = 0;
  long nap = NAP_MIN_NS;
  for (;;) {
    MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (done)
      return;
    sched_nap(&nap);
  }
}

/* ---- messages -------------------------------------------------------------------------------- */

enum { TAG_REQUEST = 101, TAG_ORDER = 102, TAG_STOP = 103 };

/* Request (leader -> master): {task id or -1, status of that task, ask, signal seen by the
 * leader, the finished task's digest (SCHEDULER_DIGEST_LEN doubles, bit-copied)}. ask = 1 asks
 * for one order; each ask gets exactly one answer (an order on TAG_ORDER, or the STOP on
 * TAG_STOP), and a leader has at most one ask open. */
enum { REQ_NONE = 0, REQ_DONE = 1, REQ_ABANDONED = 2, REQ_BYE = 3 /* answer to STOP, the last */ };
#define REQ_HEAD 4
#define REQ_LEN (REQ_HEAD + SCHEDULER_DIGEST_LEN)

/* Order (master -> leader -> group): {kind, task id or signal}. STOP travels on TAG_STOP so that
 * a leader can see it (MPI_Iprobe) while a prefetched TASK waits on TAG_ORDER. */
enum { ORDER_TASK = 1, ORDER_FLUSH = 2, ORDER_FINISH = 3, ORDER_STOP = 4 };
#define ORDER_LEN 2

/* A leader prefetches (asks for its next task when it starts one, so that the answer is waiting
 * when it finishes) while its tasks take less than this: that hides the request/order round trip
 * (~1 ms with the naps) for small tasks, and costs a flush drain at most one such task more. */
#define PREFETCH_SECONDS 0.5

typedef struct sched_leader {
  int rank;
  int inflight;   /* tasks sent and not reported back */
  bool ask;       /* an ask waits for its order */
  bool stop_sent; /* STOP sent (it answers any open ask) */
  bool gone;      /* FINISH sent, or BYE received after a STOP: it sends nothing more */
} sched_leader_t;

static void sched_send_order(MPI_Comm comm, int dest, int64_t kind, int64_t arg) {
  int64_t order[ORDER_LEN] = {kind, arg};
  MPI_Send(order, ORDER_LEN, MPI_INT64_T, dest, kind == ORDER_STOP ? TAG_STOP : TAG_ORDER, comm);
}

/* The injected clock (flush period) and stop source (NULL: util_now, never). */
static double sched_clock(const scheduler_ops_t *ops) {
  return ops->clock ? ops->clock(ops->clock_ctx) : util_now();
}

static int sched_signal(const scheduler_ops_t *ops) {
  return ops->stop_signal ? ops->stop_signal(ops->stop_ctx) : 0;
}

/* The digest of a task this leader finished (zeros without ops->digest). */
static void sched_digest(const scheduler_ops_t *ops, int64_t id, double *out) {
  memset(out, 0, SCHEDULER_DIGEST_LEN * sizeof *out);
  if (ops->digest)
    ops->digest(ops->ctx, id, out);
}

static void sched_send_request(MPI_Comm comm, const scheduler_ops_t *ops, int64_t id,
                               int64_t status, bool ask) {
  int64_t msg[REQ_LEN] = {id, status, ask ? 1 : 0, sched_signal(ops)};
  if (status == REQ_DONE) {
    double d[SCHEDULER_DIGEST_LEN];
    sched_digest(ops, id, d);
    memcpy(msg + REQ_HEAD, d, sizeof d);
  }
  MPI_Send(msg, REQ_LEN, MPI_INT64_T, 0, TAG_REQUEST, comm);
}

/* ---- the fixed task list as a source --------------------------------------------------------- */

typedef struct sched_list {
  const int64_t *tasks;
  int64_t n, next;
} sched_list_t;

static int64_t sched_list_next(void *ctx) {
  sched_list_t *l = ctx;
  return l->next < l->n ? l->tasks[l->next++] : -1;
}
static int sched_list_done(void *ctx, int64_t id, const double *digest, err_t *e) {
  (void)ctx, (void)id, (void)digest, (void)e;
  return 0;
}
static bool sched_list_finished(void *ctx) {
  sched_list_t *l = ctx;
  return l->next == l->n;
}

/* A finished task reported to the source (rank 0), and the progress total it may have grown. */
static int sched_source_done(const scheduler_source_t *src, progress_t *p, int64_t id,
                             const double *digest, err_t *e) {
  CHECK(e, src->done(src->ctx, id, digest, e));
  if (p && src->total)
    p->total = src->total(src->ctx);
  return 0;
}

/* Nothing in flight, nothing to hand out, and yet not finished: the source is stuck. */
static int sched_stalled(err_t *e) {
  return ERR(e, ERR_RUNTIME,
             "internal error: the task source has nothing to hand out, nothing in "
             "flight, and is not finished");
}

/* Leader's stop callback: a local signal, or a STOP from the master waiting to be received. */
typedef struct sched_leader_stop {
  MPI_Comm comm;
  const scheduler_ops_t *ops;
} sched_leader_stop_t;

static bool sched_stop_pending(MPI_Comm comm) {
  int flag = 0;
  MPI_Iprobe(0, TAG_STOP, comm, &flag, MPI_STATUS_IGNORE);
  return flag != 0;
}

static bool sched_leader_stop(void *ctx) {
  sched_leader_stop_t *s = ctx;
  return sched_signal(s->ops) != 0 || sched_stop_pending(s->comm);
}

/* Stop callback of the other group ranks (and of the single rank): the stop source alone. */
static bool sched_local_stop(void *ctx) {
  sched_leader_stop_t *s = ctx;
  return sched_signal(s->ops) != 0;
}

/* One epoch with timing and progress. Collective on the run's comm. */
static int sched_epoch(MPI_Comm comm, const scheduler_ops_t *ops, progress_t *p,
                       scheduler_stats_t *st, err_t *e) {
  if (p)
    progress_checkpoint_begin(p);
  double t0 = util_now();
  int rc = ops->epoch(ops->ctx, e);
  rc = agree_status(comm, rc, e, NULL);
  double dt = util_now() - t0;
  st->epochs++;
  st->epoch_seconds += dt;
  if (!rc && p)
    progress_checkpoint(p, p->done, dt);
  return rc;
}

/* ---- the three roles ------------------------------------------------------------------------- */

/* K = 1: the one rank is master and worker. */
static int sched_run_serial(MPI_Comm comm, MPI_Comm group, const scheduler_source_t *src,
                            double every, const scheduler_ops_t *ops, progress_t *p,
                            scheduler_stats_t *st, err_t *e) {
  double t_epoch = sched_clock(ops);
  int64_t pending = 0;
  sched_leader_stop_t lstop = {comm, ops};
  for (;;) {
    int64_t id = src->next(src->ctx);
    if (id < 0) {
      if (!src->finished(src->ctx))
        return sched_stalled(e);
      break;
    }
    int sig = sched_signal(ops);
    if (sig) {
      st->stopped = true;
      st->signal = sig;
      break;
    }
    if (every > 0 && pending > 0 && sched_clock(ops) - t_epoch >= every) {
      CHECK(e, sched_epoch(comm, ops, p, st, e));
      pending = 0;
      t_epoch = sched_clock(ops);
    }
    int rc = ops->run(ops->ctx, id, group, true, sched_local_stop, &lstop, e);
    if (rc == ERR_STOPPED) {
      err_init(e);
      st->abandoned++;
      st->stopped = true;
      st->signal = sched_signal(ops);
      break;
    }
    if (rc)
      return rc;
    double d[SCHEDULER_DIGEST_LEN];
    sched_digest(ops, id, d);
    CHECK(e, sched_source_done(src, p, id, d, e));
    st->completed++;
    pending++;
    if (p)
      progress_update(p, p->done + 1);
  }
  return 0;
}

/* The master's view of the run. */
typedef struct sched_master {
  MPI_Comm comm;
  const scheduler_ops_t *ops;
  const scheduler_source_t *src;
  progress_t *p;
  scheduler_stats_t *st;
  sched_leader_t *leaders;
  int *leader_of_rank; /* world rank -> leader index, or -1 */
  int64_t n_leaders, n_gone, pending;
  bool stop;
} sched_master_t;

/* Leader ranks, gathered so the master knows whom to tell (FLUSH, STOP) before they ask. */
static void sched_master_init(sched_master_t *m, err_t *e) {
  int size = 0;
  MPI_Comm_size(m->comm, &size);
  int *is_leader = NULL; /* world rank -> 1 when it leads a group */
  int rc = util_calloc((void **)&is_leader, (size_t)size, sizeof(int), "leader flags", e);
  if (!rc)
    rc = util_alloc((void **)&m->leader_of_rank, (size_t)size, sizeof(int), "leader table", e);
  if (!rc)
    rc = util_calloc((void **)&m->leaders, (size_t)size, sizeof *m->leaders, "leader states", e);
  if (rc)
    agree_abort(m->comm, rc, e); /* the workers are already in the gather below */
  int zero = 0;
  MPI_Gather(&zero, 1, MPI_INT, is_leader, 1, MPI_INT, 0, m->comm);
  for (int r = 0; r < size; r++) {
    m->leader_of_rank[r] = -1;
    if (is_leader[r]) {
      m->leaders[m->n_leaders].rank = r;
      m->leader_of_rank[r] = (int)m->n_leaders++;
    }
  }
  free(is_leader);
}

/* Receives every request that has arrived; returns how many. A request that breaks the
 * protocol ends the run. */
static int sched_master_receive(sched_master_t *m, err_t *e) {
  int got = 0;
  for (;;) {
    int flag = 0;
    MPI_Message msg;
    MPI_Status status;
    MPI_Improbe(MPI_ANY_SOURCE, TAG_REQUEST, m->comm, &flag, &msg, &status);
    if (!flag)
      return got;
    int64_t req[REQ_LEN];
    MPI_Mrecv(req, REQ_LEN, MPI_INT64_T, &msg, MPI_STATUS_IGNORE);
    got++;
    int li = m->leader_of_rank[status.MPI_SOURCE];
    sched_leader_t *L = li < 0 ? NULL : &m->leaders[li];
    bool bad = !L || L->gone || (req[2] && L->ask);
    if (L && req[1] == REQ_BYE)
      bad = bad || !L->stop_sent || L->inflight != 0;
    else if (L && req[1] != REQ_NONE)
      bad = bad || L->inflight < 1;
    if (bad) {
      int rc =
          ERR(e, ERR_RUNTIME, "protocol error: unexpected request {%lld, %lld, %lld} from rank %d",
              (long long)req[0], (long long)req[1], (long long)req[2], status.MPI_SOURCE);
      agree_abort(m->comm, rc, e);
    }
    if (req[1] == REQ_DONE) {
      double d[SCHEDULER_DIGEST_LEN];
      memcpy(d, req + REQ_HEAD, sizeof d);
      int rc = sched_source_done(m->src, m->p, req[0], d, e);
      if (rc)
        agree_abort(m->comm, rc, e);
      L->inflight--;
      m->st->completed++;
      m->pending++;
      if (m->p)
        progress_update(m->p, m->p->done + 1);
    } else if (req[1] == REQ_ABANDONED) {
      L->inflight--;
      m->st->abandoned++;
      if (!m->stop) {
        m->stop = true;
        m->st->signal = (int)req[3];
      }
    } else if (req[1] == REQ_BYE) {
      L->gone = true;
      m->n_gone++;
    }
    if (req[2] && !L->stop_sent) /* after a STOP, the STOP is the answer */
      L->ask = true;
  }
}

/* STOP to every leader that has not had it. */
static void sched_master_send_stop(sched_master_t *m) {
  for (int64_t l = 0; l < m->n_leaders; l++) {
    sched_leader_t *L = &m->leaders[l];
    if (!L->gone && !L->stop_sent) {
      sched_send_order(m->comm, L->rank, ORDER_STOP, m->st->signal);
      L->stop_sent = true;
      L->ask = false;
    }
  }
}

static int sched_run_master(MPI_Comm comm, const scheduler_source_t *src, double every,
                            const scheduler_ops_t *ops, progress_t *p, scheduler_stats_t *st,
                            err_t *e) {
  sched_master_t m = {.comm = comm, .ops = ops, .src = src, .p = p, .st = st};
  sched_master_init(&m, e);
  sched_leader_t *leaders = m.leaders;
  int rc = 0;
  int64_t held = -1; /* a task taken from the source and not handed out yet */
  bool flush_pending = false;
  double t_epoch = sched_clock(ops);
  long nap = NAP_MASTER_MIN_NS;
  while (m.n_gone < m.n_leaders) {
    /* 1. Decide. A leader is idle when nothing is in flight and its ask is open. */
    int64_t n_idle = 0;
    for (int64_t l = 0; l < m.n_leaders; l++)
      n_idle += !leaders[l].gone && leaders[l].inflight == 0 && leaders[l].ask;
    if (held < 0)
      held = src->next(src->ctx);
    bool all_idle = n_idle == m.n_leaders - m.n_gone;
    bool complete = held < 0 && all_idle && src->finished(src->ctx);
    if (held < 0 && all_idle && !complete && !m.stop) {
      rc = sched_stalled(e);
      agree_abort(comm, rc, e);
    }
    int sig = sched_signal(ops);
    if (!m.stop && sig && !complete) {
      m.stop = true;
      st->signal = sig;
    }
    if (m.stop) {
      sched_master_send_stop(&m);
      if (m.n_gone == m.n_leaders)
        break;
    } else {
      if (complete) {
        for (int64_t l = 0; l < m.n_leaders; l++)
          sched_send_order(comm, leaders[l].rank, ORDER_FINISH, 0);
        m.n_gone = m.n_leaders;
        break;
      }
      if (!flush_pending && every > 0 && m.pending > 0 && sched_clock(ops) - t_epoch >= every)
        flush_pending = true;
      if (flush_pending && n_idle == m.n_leaders) {
        for (int64_t l = 0; l < m.n_leaders; l++) {
          sched_send_order(comm, leaders[l].rank, ORDER_FLUSH, 0);
          leaders[l].ask = false;
        }
        rc = sched_epoch(comm, ops, p, st, e);
        if (rc)
          break;
        m.pending = 0;
        flush_pending = false;
        t_epoch = sched_clock(ops);
        continue;
      }
      if (!flush_pending)
        for (int64_t l = 0; l < m.n_leaders && held >= 0; l++)
          if (leaders[l].ask) {
            sched_send_order(comm, leaders[l].rank, ORDER_TASK, held);
            leaders[l].ask = false;
            leaders[l].inflight++;
            held = src->next(src->ctx);
          }
    }
    /* 2. Receive every request that has arrived; nap when there was none. */
    if (sched_master_receive(&m, e))
      nap = NAP_MASTER_MIN_NS;
    else if (m.n_gone < m.n_leaders)
      sched_nap(&nap);
  }
  free(m.leader_of_rank);
  free(m.leaders);
  if (rc)
    return rc;
  st->stopped = m.stop;
  return 0;
}

/* Group ranks (leader and members) when K > 1. */
static int sched_run_worker(MPI_Comm comm, MPI_Comm group, const scheduler_ops_t *ops,
                            progress_t *p, scheduler_stats_t *st, err_t *e) {
  int grank = 0, gsize = 1;
  MPI_Comm_rank(group, &grank);
  MPI_Comm_size(group, &gsize);
  bool leader = grank == 0;
  int flag = leader ? 1 : 0;
  MPI_Gather(&flag, 1, MPI_INT, NULL, 0, MPI_INT, 0, comm);
  sched_leader_stop_t lstop = {comm, ops};
  double prefetch_below = ops->prefetch_seconds > 0   ? ops->prefetch_seconds
                          : ops->prefetch_seconds < 0 ? 0.0
                                                      : PREFETCH_SECONDS;
  double last_task = -1; /* seconds the last finished task took; -1 before the first */
  if (leader)
    sched_send_request(comm, ops, -1, REQ_NONE, true);
  for (;;) {
    int64_t order[ORDER_LEN] = {0, 0};
    MPI_Request req;
    if (leader) {
      MPI_Irecv(order, ORDER_LEN, MPI_INT64_T, 0, MPI_ANY_TAG, comm, &req);
      sched_wait(&req);
      /* A prefetched task behind which a STOP waits is given back without being run. */
      if (order[0] == ORDER_TASK && sched_stop_pending(comm)) {
        sched_send_request(comm, ops, order[1], REQ_ABANDONED, false);
        continue;
      }
    }
    if (gsize > 1) {
      MPI_Ibcast(order, ORDER_LEN, MPI_INT64_T, 0, group, &req);
      sched_wait(&req);
    }
    if (order[0] == ORDER_TASK) {
      bool prefetch = leader && last_task >= 0 && last_task < prefetch_below;
      if (prefetch)
        sched_send_request(comm, ops, -1, REQ_NONE, true);
      double t0 = util_now();
      int rc = ops->run(ops->ctx, order[1], group, leader,
                        leader ? sched_leader_stop : sched_local_stop, &lstop, e);
      int64_t status = REQ_DONE;
      if (rc == ERR_STOPPED) {
        err_init(e);
        status = REQ_ABANDONED;
      } else if (rc) {
        agree_abort(comm, rc, e);
      } else {
        st->completed++;
        last_task = util_now() - t0;
      }
      if (leader)
        sched_send_request(comm, ops, order[1], status, !prefetch);
    } else if (order[0] == ORDER_FLUSH) {
      CHECK(e, sched_epoch(comm, ops, p, st, e));
      if (leader)
        sched_send_request(comm, ops, -1, REQ_NONE, true);
    } else if (order[0] == ORDER_FINISH) {
      return 0;
    } else if (order[0] == ORDER_STOP) {
      st->stopped = true;
      st->signal = (int)order[1];
      if (leader) /* everything this leader will ever send has been sent */
        sched_send_request(comm, ops, -1, REQ_BYE, false);
      return 0;
    } else {
      int rc = ERR(e, ERR_RUNTIME, "protocol error: unknown order %lld", (long long)order[0]);
      agree_abort(comm, rc, e);
    }
  }
}

int scheduler_run(MPI_Comm comm, MPI_Comm group, const int64_t *tasks, int64_t n_tasks,
                  double every_seconds, const scheduler_ops_t *ops, progress_t *progress,
                  scheduler_stats_t *stats, err_t *e) {
  memset(stats, 0, sizeof *stats);
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  MPI_Comm sched;
  MPI_Comm_dup(comm, &sched); /* private tag space for the protocol */
  sched_list_t list = {.tasks = tasks, .n = n_tasks};
  const scheduler_source_t list_src = {.next = sched_list_next,
                                       .done = sched_list_done,
                                       .finished = sched_list_finished,
                                       .ctx = &list};
  const scheduler_source_t *src = ops->source ? ops->source : &list_src;
  int rc;
  if (size == 1)
    rc = sched_run_serial(sched, group, src, every_seconds, ops, progress, stats, e);
  else if (rank == 0)
    rc = sched_run_master(sched, src, every_seconds, ops, progress, stats, e);
  else
    rc = sched_run_worker(sched, group, ops, NULL, stats, e);
  /* An epoch failure is agreed inside sched_epoch, so rc is the same everywhere here. */
  if (!rc)
    rc = sched_epoch(sched, ops, progress, stats, e);
  /* Every rank learns the outcome from rank 0 (a worker may have left on FINISH while the
   * master saw a late signal: the master's word counts). */
  int out[2] = {stats->stopped ? 1 : 0, stats->signal};
  if (!rc)
    MPI_Bcast(out, 2, MPI_INT, 0, sched);
  MPI_Comm_free(&sched);
  if (rc)
    return rc;
  stats->stopped = out[0] != 0;
  stats->signal = out[1];
  return stats->stopped ? ERR_STOPPED : 0;
}
