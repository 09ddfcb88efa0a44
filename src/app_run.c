/* app_run: `hopscan run` — config, worker groups, the output file, the scheduler, progress and
 * the final message. The scheduler (scheduler.c) knows nothing of configs or files: it gets
 * task ids and the two callbacks below. */
#include "hopscan/agree.h"
#include "hopscan/app.h"
#include "hopscan/config.h"
#include "hopscan/output.h"
#include "hopscan/plan.h"
#include "hopscan/probes.h"
#include "hopscan/progress.h"
#include "hopscan/scheduler.h"
#include "hopscan/search.h"
#include "hopscan/signals.h"
#include "hopscan/task.h"
#include "hopscan/util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Results a group leader holds between epochs, and what a task needs. */
typedef struct run_scan {
  const config_t *c;
  output_t *out;
  probes_worker_t worker; /* made by the group's first task (collective on the group) */
  bool have_worker;
  double mem_per_rank; /* what auto may use for J */
  task_result_t *held;
  int64_t n_held, cap_held;
  /* search files: the search (rank 0, the master) and its report; NULL elsewhere */
  search_t *search;
  search_report_t *report;
  bool searching;
} run_scan_t;

static int run_scan_run(void *ctx, int64_t id, MPI_Comm group, bool is_leader, task_stop_fn stop,
                        void *stop_ctx, err_t *e) {
  run_scan_t *s = ctx;
  const int64_t S = config_samples_dim(s->c);
  task_t t = {.point = id / S, .sample = id % S};
  if (is_leader && s->n_held == s->cap_held) {
    int64_t cap = s->cap_held ? 2 * s->cap_held : 16;
    task_result_t *h = realloc(s->held, (size_t)cap * sizeof *h);
    if (!h)
      return ERR(e, ERR_RUNTIME, "out of memory holding %lld task results", (long long)s->n_held);
    s->held = h;
    s->cap_held = cap;
  }
  if (!s->have_worker) {
    CHECK(e, probes_worker_init(&s->worker, s->c, group, NULL, e));
    s->worker.mem_per_rank = s->mem_per_rank;
    s->have_worker = true;
  }
  task_result_t r;
  CHECK(e, task_result_init(&r, s->c, t, e));
  int rc = probes_run_task(&s->worker, t, &r, stop, stop_ctx, e);
  if (rc == 0 && is_leader) {
    s->held[s->n_held++] = r;
    return 0;
  }
  task_result_free(&r);
  if (rc && rc != ERR_STOPPED)
    err_push(e, __FILE__, __LINE__, __func__);
  return rc;
}

static void run_scan_drop(run_scan_t *s) {
  for (int64_t i = 0; i < s->n_held; i++)
    task_result_free(&s->held[i]);
  s->n_held = 0;
}

/* The search's digest of the task this leader just finished (scheduler_ops_t.digest). */
static void run_scan_digest(void *ctx, int64_t id, double *out) {
  run_scan_t *s = ctx;
  const int64_t S = config_samples_dim(s->c);
  for (int64_t i = s->n_held - 1; i >= 0; i--)
    if (s->held[i].task.point * S + s->held[i].task.sample == id) {
      search_digest_t d = search_digest(s->c, &s->held[i]);
      out[0] = d.mean;
      out[1] = d.frac;
      return;
    }
}

static int run_scan_epoch(void *ctx, err_t *e) {
  run_scan_t *s = ctx;
  int rc = output_write_epoch(s->out, s->held, s->n_held, e);
  run_scan_drop(s);
  if (!rc && s->searching) {
    if (s->search)
      search_report_fill(s->search, s->report);
    rc = output_write_search(s->out, s->search ? s->report : NULL, e);
  }
  if (rc)
    err_push(e, __FILE__, __LINE__, __func__);
  return rc;
}

typedef struct run_options {
  const char *config;
  const char *output;
  bool overwrite;
  progress_mode mode;
} run_options_t;

static int run_options(const cli_args_t *a, run_options_t *o, err_t *e) {
  memset(o, 0, sizeof *o);
  o->mode = PROGRESS_TEXT;
  o->overwrite = a->value[APP_OPT_OVERWRITE] != NULL;
  o->output = a->value[APP_OPT_OUTPUT];
  if (a->value[APP_OPT_QUIET])
    o->mode = PROGRESS_QUIET;
  const char *v = a->value[APP_OPT_PROGRESS];
  if (v) {
    if (!strcmp(v, "json"))
      o->mode = PROGRESS_JSON;
    else if (!strcmp(v, "text"))
      o->mode = PROGRESS_TEXT;
    else if (!strcmp(v, "none"))
      o->mode = PROGRESS_QUIET;
    else
      return ERR(e, ERR_USAGE, "--progress: '%s' is not one of text, json, none", v);
  }
  if (a->n_positional == 0)
    return ERR(e, ERR_USAGE, "run: no CONFIG.yaml given (see hopscan run --help)");
  o->config = a->positional[0];
  return 0;
}

/* CONFIG's basename with .yaml/.yml replaced by .h5 (caller frees). */
static int run_default_output(const char *config, char **out, err_t *e) {
  const char *base = strrchr(config, '/');
  base = base ? base + 1 : config;
  size_t n = strlen(base);
  const char *dot = strrchr(base, '.');
  if (dot && dot != base && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
    n = (size_t)(dot - base);
  CHECK(e, util_alloc((void **)out, n + 4, 1, "output name", e));
  memcpy(*out, base, n);
  memcpy(*out + n, ".h5", 4);
  return 0;
}

/* Rank 0 reads and validates CONFIG; every rank parses the same canonical text. */
static int run_load_config(const char *path, config_t *c, MPI_Comm comm, err_t *e) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  char *text = NULL;
  int64_t len = 0;
  int rc = 0;
  if (rank == 0) {
    config_t c0;
    config_init(&c0);
    rc = config_load_file(&c0, path, e);
    if (!rc)
      rc = config_canonical(&c0, &text, e);
    config_free(&c0);
    if (!rc)
      len = (int64_t)strlen(text);
  }
  rc = agree_from_root(comm, 0, rc, e);
  if (rc) {
    free(text);
    return rc;
  }
  MPI_Bcast(&len, 1, MPI_INT64_T, 0, comm);
  int n = 0;
  rc = util_to_int(len + 1, &n, "canonical config length", e);
  if (!rc && rank != 0)
    rc = util_alloc((void **)&text, (size_t)len + 1, 1, "canonical config", e);
  if (rc)
    agree_abort(comm, rc, e);
  if (rank == 0)
    text[len] = '\0';
  MPI_Bcast(text, n, MPI_CHAR, 0, comm);
  rc = config_load_string(c, text, (size_t)len, path, e);
  free(text);
  return agree_status(comm, rc, e, NULL);
}

typedef struct run_cost {
  double flops;
  int64_t id;
} run_cost_t;

static int run_cost_cmp(const void *a, const void *b) {
  const run_cost_t *x = a, *y = b;
  if (x->flops != y->flops)
    return x->flops > y->flops ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

/* The tasks not done yet, largest estimated cost first (ties by task id). */
static int run_task_list(const config_t *c, int64_t g, const uint8_t *done, int64_t n_all,
                         int64_t **tasks, int64_t *n_tasks, err_t *e) {
  int64_t n = 0;
  for (int64_t i = 0; i < n_all; i++)
    n += done[i] ? 0 : 1;
  run_cost_t *cost = NULL;
  CHECK(e, util_alloc((void **)&cost, (size_t)(n > 0 ? n : 1), sizeof *cost, "task list", e));
  int64_t points = config_points(c);
  double *flops = NULL;
  int rc = util_alloc((void **)&flops, (size_t)points, sizeof *flops, "task costs", e);
  if (rc) {
    free(cost);
    return rc;
  }
  for (int64_t pt = 0; pt < points; pt++)
    flops[pt] = plan_task_seconds(c, pt, g);
  int64_t k = 0;
  for (int64_t i = 0; i < n_all; i++)
    if (!done[i])
      cost[k++] = (run_cost_t){flops[i / config_samples_dim(c)], i};
  free(flops);
  qsort(cost, (size_t)n, sizeof *cost, run_cost_cmp);
  rc = util_alloc((void **)tasks, (size_t)(n > 0 ? n : 1), sizeof **tasks, "task list", e);
  if (!rc)
    for (int64_t i = 0; i < n; i++)
      (*tasks)[i] = cost[i].id;
  free(cost);
  *n_tasks = n;
  return rc;
}

/* Everything one run holds; freed by run_free. */
typedef struct run_state {
  int rank, size;
  run_options_t opt;
  config_t c;
  char *out_path;
  int64_t g, n_groups;
  MPI_Comm group;
  output_t *out;
  uint8_t *done;
  int64_t *tasks, n_tasks, n_all, n_done;
  run_scan_t scan;
  search_t search; /* rank 0 of a search */
  search_report_t report;
  scheduler_source_t src;
  progress_t prog;
  progress_t *p; /* rank 0's reporter */
  scheduler_stats_t st;
  double t_begin;
} run_state_t;

/* Config, output name and worker groups; refused before anything is written when J would not
 * fit. */
static int run_setup(run_state_t *s, MPI_Comm comm, err_t *e) {
  CHECK(e, run_load_config(s->opt.config, &s->c, comm, e));
  if (s->opt.output) {
    CHECK(e, util_alloc((void **)&s->out_path, strlen(s->opt.output) + 1, 1, "output name", e));
    strcpy(s->out_path, s->opt.output);
  } else {
    CHECK(e, run_default_output(s->opt.config, &s->out_path, e));
  }
  plan_memory_t node;
  app_node_memory(&node);
  double mem = plan_detect_mem_per_rank(&s->c, &node, comm);
  CHECK(e, plan_group_size(&s->c, s->size, mem, &s->g, e));
  s->scan.mem_per_rank = mem;
  s->n_groups = scheduler_groups(s->size, s->g);
  if (s->n_groups < 1)
    return ERR(e, ERR_USAGE,
               "parallel.group_size: groups of %lld ranks need at least %lld ranks (the master "
               "and one group), this run has %d",
               (long long)s->g, (long long)s->g + 1, s->size);
  int64_t my_group = scheduler_group_of(s->size, s->g, s->rank);
  if (s->size == 1) {
    MPI_Comm_dup(MPI_COMM_SELF, &s->group);
  } else {
    int color = my_group < 0 ? MPI_UNDEFINED : (int)my_group;
    MPI_Comm_split(comm, color, s->rank, &s->group);
  }
  return 0;
}

/* ---- search: the source of the master's tasks --------------------------------------------------
 */

static int64_t run_src_next(void *ctx) {
  return search_next(ctx);
}
static int run_src_done(void *ctx, int64_t id, const double *digest, err_t *e) {
  search_digest_t d = {.mean = digest[0], .frac = digest[1]};
  search_record(ctx, id, &d);
  return search_advance(ctx, e);
}
static bool run_src_finished(void *ctx) {
  return search_finished(ctx);
}
static int64_t run_src_total(void *ctx) {
  return ((search_t *)ctx)->requested;
}

/* Rank 0 records the done tasks of the file (their observable's overlaps) and replays the
 * search's decisions from them. */
static int run_search_replay(run_state_t *s, int64_t *ids, int64_t n, float *m, err_t *e) {
  const config_t *c = &s->c;
  int64_t np = c->probes[c->search.observable];
  CHECK(e, search_init(&s->search, c, e));
  for (int64_t i = 0; i < n; i++) {
    search_digest_t d = search_digest_of(c, m + i * np, np);
    search_record(&s->search, ids[i], &d);
  }
  CHECK(e, search_advance(&s->search, e));
  CHECK(e, search_report_init(&s->report, c, e));
  s->n_done = s->search.recorded;
  s->n_all = s->search.requested;
  return 0;
}

/* A search: every rank takes part in reading the done tasks' overlaps (rank 0 reads them all),
 * rank 0 sets up the search as the scheduler's task source. */
static int run_search_open(run_state_t *s, MPI_Comm comm, err_t *e) {
  const config_t *c = &s->c;
  bool master = s->rank == 0;
  int64_t n = 0, np = c->probes[c->search.observable], *ids = NULL;
  float *m = NULL;
  for (int64_t i = 0; master && i < s->n_all; i++)
    n += s->done[i];
  int rc = util_alloc((void **)&ids, (size_t)(n ? n : 1), sizeof *ids, "done tasks", e);
  if (!rc)
    rc = util_alloc((void **)&m, (size_t)(n ? n : 1) * (size_t)np, sizeof *m, "overlaps", e);
  TRY(e, rc, agree_status(comm, rc, e, NULL), done);
  for (int64_t i = 0, k = 0; master && i < s->n_all; i++)
    if (s->done[i])
      ids[k++] = i;
  TRY(e, rc, output_read_m(s->out, c->search.observable, ids, n, m, e), done);
  if (master)
    rc = run_search_replay(s, ids, n, m, e);
  TRY(e, rc, agree_status(comm, rc, e, NULL), done);
  s->scan.searching = true;
  if (master) {
    s->scan.search = &s->search;
    s->scan.report = &s->report;
    s->src = (scheduler_source_t){.next = run_src_next,
                                  .done = run_src_done,
                                  .finished = run_src_finished,
                                  .total = run_src_total,
                                  .ctx = &s->search};
  }
done:
  free(m);
  free(ids);
  return rc;
}

/* The file (created or reopened for resume, collective), its done flags and the task list. */
static int run_open(run_state_t *s, MPI_Comm comm, err_t *e) {
  bool same = true;
  int rc = output_open(&s->out, s->out_path, &s->c, s->opt.overwrite, comm, e);
  rc = agree_status(comm, rc, e, &same);
  if (rc && !same) /* some ranks hold an open file, others not: no clean way back */
    agree_abort(comm, rc, e);
  CHECK(e, rc);
  s->n_all = config_points(&s->c) * config_samples_dim(&s->c);
  CHECK(e, util_alloc((void **)&s->done, (size_t)s->n_all, 1, "done flags", e));
  rc = output_read_done(s->out, s->done, e);
  CHECK(e, agree_status(comm, rc, e, NULL));
  for (int64_t i = 0; i < s->n_all; i++)
    s->n_done += s->done[i] ? 1 : 0;
  if (s->c.search.along != SEARCH_NONE)
    return run_search_open(s, comm, e);
  rc = 0;
  if (s->rank == 0 || s->size == 1)
    rc = run_task_list(&s->c, s->g, s->done, s->n_all, &s->tasks, &s->n_tasks, e);
  CHECK(e, agree_status(comm, rc, e, NULL));
  return 0;
}

/* Rank 0: the progress reporter and its start banner. */
static void run_banner(run_state_t *s, err_t *e) {
  char sha[65] = "";
  if (config_sha256(&s->c, sha, e) != 0) {
    err_init(e);
    sha[0] = '\0';
  }
  progress_init(&s->prog, stdout, s->opt.mode, 5.0, NULL, NULL);
  progress_banner_t b = {.version = cli_version(),
                         .config_sha256 = sha,
                         .output = s->out_path,
                         .ranks = s->size,
                         .groups = s->n_groups,
                         .group_min = scheduler_group_size(s->size, s->g, s->n_groups - 1),
                         .group_max = scheduler_group_size(s->size, s->g, 0),
                         .total = s->n_all,
                         .done = s->n_done,
                         .checkpoint_every = s->c.checkpoint_every_seconds};
  progress_start(&s->prog, &b);
  s->p = &s->prog;
}

/* Closes the file (its error wins over a clean or stopped run) and says how the run ended. */
static int run_finish(run_state_t *s, int rc, MPI_Comm comm, err_t *e) {
  err_t ce;
  err_init(&ce);
  int crc = output_close(s->out, &ce);
  s->out = NULL;
  crc = agree_status(comm, crc, &ce, NULL);
  if (crc && (rc == 0 || rc == ERR_STOPPED)) {
    *e = ce;
    rc = crc;
  }
  if (s->rank == 0 && s->p) {
    char nb[32];
    const char *sig = s->st.signal ? signals_name(s->st.signal, nb, (int)sizeof nb) : NULL;
    if (rc == 0) {
      progress_end(s->p, "complete", NULL);
    } else if (rc == ERR_STOPPED) {
      progress_end(s->p, "stopped", sig);
      /* p->total: a search's grows with its requests (n_all is its count at the start) */
      ERR(e, ERR_STOPPED,
          "stopped by %s after %.1f s: %lld of %lld samples%s are saved in %s; run the same "
          "command again to resume",
          sig ? sig : "a signal", util_now() - s->t_begin, (long long)s->p->written,
          (long long)s->p->total, s->scan.searching ? " requested so far" : "", s->out_path);
    } else {
      progress_end(s->p, "failed", NULL);
    }
  } else if (rc == ERR_STOPPED) {
    ERR(e, ERR_STOPPED, "stopped by a signal");
  }
  return rc;
}

static void run_free(run_state_t *s) {
  if (s->group != MPI_COMM_NULL)
    MPI_Comm_free(&s->group);
  run_scan_drop(&s->scan);
  free(s->scan.held);
  free(s->tasks);
  free(s->done);
  if (s->scan.search) {
    search_free(&s->search);
    search_report_free(&s->report);
  }
  free(s->out_path);
  config_free(&s->c);
}

int app_run(const cli_args_t *a, MPI_Comm comm, err_t *e) {
  run_state_t s;
  memset(&s, 0, sizeof s);
  s.group = MPI_COMM_NULL;
  config_init(&s.c);
  MPI_Comm_rank(comm, &s.rank);
  MPI_Comm_size(comm, &s.size);
  CHECK(e, run_options(a, &s.opt, e));
  s.t_begin = util_now();
  /* Handlers first: a signal during start-up is kept and stops the scan at its first step. */
  CHECK(e, signals_install(e));
  int rc = run_setup(&s, comm, e);
  if (!rc) {
    rc = run_open(&s, comm, e);
    if (!rc) {
      if (s.rank == 0)
        run_banner(&s, e);
      s.scan.c = &s.c;
      s.scan.out = s.out;
      scheduler_ops_t ops = {.run = run_scan_run,
                             .epoch = run_scan_epoch,
                             .ctx = &s.scan,
                             .stop_signal = signals_stop_signal};
      if (s.scan.searching) {
        ops.digest = run_scan_digest;
        ops.source = s.scan.search ? &s.src : NULL;
      }
      rc = scheduler_run(comm, s.group, s.tasks, s.n_tasks, s.c.checkpoint_every_seconds, &ops, s.p,
                         &s.st, e);
      run_scan_drop(&s.scan);
      if (s.scan.have_worker)
        probes_worker_free(&s.scan.worker);
    }
    if (s.out)
      rc = run_finish(&s, rc, comm, e);
  }
  run_free(&s);
  signals_restore();
  return rc;
}
