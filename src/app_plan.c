/* app_plan: `hopscan plan` — loads the config on rank 0, asks plan for its summary (layout from
 * the scheduler's functions, file size from the output module) and prints it. Writes nothing. */
#include "hopscan/agree.h"
#include "hopscan/app.h"
#include "hopscan/config.h"
#include "hopscan/plan.h"
#include "hopscan/search.h"
#include "hopscan/util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_flops(double f, char *buf, size_t len) {
  static const char *unit[] = {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP", "EFLOP"};
  int u = 0;
  while (f >= 1000.0 && u < 6) {
    f /= 1000.0;
    u++;
  }
  snprintf(buf, len, u ? "%.2f %s" : "%.0f %s", f, unit[u]);
}

/* One row of cells [from, to) after a 14-column label. */
static void print_cells(const char *label, const char *const *cells, int64_t from, int64_t to,
                        int width) {
  printf("  %-12s", label);
  for (int64_t i = from; i < to; i++)
    printf(" %*s", width, cells[i]);
  printf("\n");
}

/* Prints values of an axis and a derived integer row (P or D) in aligned columns. */
static int print_axis(const char *name, const char *dname, const double *v, const int64_t *d,
                      int64_t n, err_t *e) {
  char(*cells)[24];
  const char **ptr;
  CHECK(e, util_alloc((void **)&cells, (size_t)n * 2, sizeof *cells, "plan output", e));
  int rc = util_alloc((void **)&ptr, (size_t)n * 2, sizeof *ptr, "plan output", e);
  if (rc) {
    free(cells);
    CHECK(e, rc);
  }
  int width = 1;
  for (int64_t i = 0; i < n; i++) {
    snprintf(cells[i], sizeof cells[i], "%.6g", v[i]);
    if (d)
      snprintf(cells[n + i], sizeof cells[n + i], "%lld", (long long)d[i]);
    else
      cells[n + i][0] = '\0';
    for (int k = 0; k < 2; k++) {
      int w = (int)strlen(cells[k * n + i]);
      if (w > width)
        width = w;
    }
    ptr[i] = cells[i];
    ptr[n + i] = cells[n + i];
  }
  /* Values and their P or D in pairs of rows, wrapped at 100 columns. */
  int64_t per_line = (100 - 14) / (width + 1);
  if (per_line < 1)
    per_line = 1;
  for (int64_t from = 0; from < n; from += per_line) {
    int64_t to = from + per_line < n ? from + per_line : n;
    print_cells(from ? "" : name, ptr, from, to, width);
    if (d)
      print_cells(dname, ptr + n, from, to, width);
  }
  free(ptr);
  free(cells);
  return 0;
}

/* Grid, axes with their P and D, and L. */
static int plan_print_grid(const config_t *c, const plan_summary_t *s, err_t *e) {
  char sha[65];
  CHECK(e, config_sha256(c, sha, e));
  bool rfhm = c->model == MODEL_RFHM;
  int64_t A = c->n_alpha, B = c->n_alpha_D, C = c->n_L;
  printf("config      %s (sha256 %.16s)\n", c->path, sha);
  if (rfhm)
    printf("model       rfhm, N = %lld, coefficients %s, seed %llu\n", (long long)c->N,
           c->coefficients == COEF_PM1 ? "pm1" : "gaussian", (unsigned long long)c->seed);
  else
    printf("model       hopfield, N = %lld, seed %llu\n", (long long)c->N,
           (unsigned long long)c->seed);
  printf("grid        A x B x C = %lld x %lld x %lld = %lld points\n", (long long)A, (long long)B,
         (long long)C, (long long)s->points);
  printf("tasks       %lld points x %lld samples = %lld tasks%s\n", (long long)s->points,
         (long long)c->samples, (long long)s->tasks,
         c->search.along != SEARCH_NONE ? " (the whole lattice: a search computes part of it, "
                                          "see `search` below)"
                                        : "");
  printf("probes      per task: train %lld, test %lld, feature %lld; dynamics %s order, at most "
         "%lld sweeps; retrieved when m > %g\n\n",
         (long long)c->probes[PROBE_TRAIN], (long long)c->probes[PROBE_TEST],
         (long long)c->probes[PROBE_FEATURE], c->order == ORDER_RANDOM ? "random" : "cyclic",
         (long long)c->max_sweeps, c->retrieval_threshold);

  int64_t *P, *D;
  CHECK(e, util_alloc((void **)&P, (size_t)A, sizeof *P, "plan", e));
  int rc = util_alloc((void **)&D, (size_t)B, sizeof *D, "plan", e);
  if (rc) {
    free(P);
    CHECK(e, rc);
  }
  for (int64_t i = 0; i < A; i++)
    P[i] = config_P(c, i);
  for (int64_t j = 0; j < B; j++)
    D[j] = config_D(c, j);
  char label[32];
  snprintf(label, sizeof label, "alpha[%lld]", (long long)A);
  rc = print_axis(label, "P", c->alpha, P, A, e);
  if (!rc && rfhm) {
    snprintf(label, sizeof label, "alpha_D[%lld]", (long long)B);
    rc = print_axis(label, "D", c->alpha_D, D, B, e);
    if (!rc) {
      printf("  %-12s", "L");
      for (int64_t k = 0; k < C; k++)
        if (c->L[k] == 0)
          printf(" dense");
        else
          printf(" %d", (int)c->L[k]);
      printf("\n");
    }
  }
  free(P);
  free(D);
  CHECK(e, rc);
  return 0;
}

/* Memory of one whole task (all rows on one rank), at the largest P and D. */
static void plan_print_task_memory(const config_t *c, const plan_summary_t *s) {
  char b[32];
  bool rfhm = c->model == MODEL_RFHM;
  if (rfhm)
    printf("\nmemory per task at the largest P = %lld and D = %lld (whole matrices, before "
           "splitting over a group):\n",
           (long long)s->P_max, (long long)s->D_max);
  else
    printf("\nmemory per task at the largest P = %lld (whole matrices, before splitting over a "
           "group):\n",
           (long long)s->P_max);
  util_format_bytes(s->j_float_bytes, b, sizeof b);
  printf("  %-34s %12s\n", "J float32 (N x N, ScaLAPACK)", b);
  util_format_bytes(s->j_int_bytes, b, sizeof b);
  printf("  %-34s %12s\n", s->j_int16 ? "J int16 (N x N, dynamics)" : "J int32 (N x N, dynamics)",
         b);
  util_format_bytes(s->pattern_bytes, b, sizeof b);
  printf("  %-34s %12s\n", "patterns float32 (N x P, all chunks)", b);
  if (rfhm) {
    util_format_bytes(s->feature_bytes, b, sizeof b);
    printf("  %-34s %12s\n", "features int8 (N x D)", b);
  }
  util_format_bytes(s->probe_bytes, b, sizeof b);
  printf("  %-34s %12s\n", "probe states and fields", b);
}

/* The worker groups of the planned run (or why there are none). */
static void plan_print_parallel(const config_t *c, const plan_summary_t *s, const char *source) {
  char b1[32], b2[32];
  const plan_layout_t *l = &s->layout;
  int64_t workers = s->ranks > 1 ? s->ranks - 1 : 1;
  util_format_bytes(s->mem_per_rank, b1, sizeof b1);
  if (!(s->mem_per_rank > 0))
    snprintf(b1, sizeof b1, "unknown memory");
  if (s->ranks > 1)
    printf("\nparallel     %lld ranks = 1 master + %lld worker%s, %s per rank (%s)\n",
           (long long)s->ranks, (long long)workers, workers == 1 ? "" : "s", b1, source);
  else
    printf("\nparallel     1 rank (master and worker), %s per rank (%s)\n", b1, source);
  if (s->group_rc != 0) {
    printf("  group size   %s (see the error below)\n",
           c->group_size > 0 ? "invalid" : "none fits");
    return;
  }
  printf("  group size   %lld (%s), %lld group%s", (long long)l->group_size,
         c->group_size > 0 ? "parallel.group_size" : "automatic: smallest that fits",
         (long long)l->groups, l->groups == 1 ? "" : "s");
  if (l->group_max != l->group_min)
    printf(" (%lld of %lld ranks, %lld of %lld: leftover workers are folded in)",
           (long long)l->n_max, (long long)l->group_max, (long long)(l->groups - l->n_max),
           (long long)l->group_min);
  if (l->idle)
    printf(", %lld worker rank%s idle", (long long)l->idle, l->idle == 1 ? "" : "s");
  util_format_bytes(s->peak_bytes, b2, sizeof b2);
  printf("\n  peak memory  %s per rank at P = %lld", b2, (long long)config_P(c, s->peak_ia));
  if (c->model == MODEL_RFHM)
    printf(", D = %lld", (long long)config_D(c, s->peak_ib));
  printf(" (%lld of %lld neuron rows per rank, block %lld)\n", (long long)s->rows_per_rank,
         (long long)c->N, (long long)c->block_size);
  if (s->peak_bytes > s->mem_per_rank && s->mem_per_rank > 0)
    printf("  WARNING      parallel.group_size = %lld needs more than the %s per rank\n",
           (long long)l->group_size, b1);
}

/* The engine each task class gets, its memory and time, and the scan's core-hours. */
static void plan_print_engines(const config_t *c, const plan_summary_t *s) {
  if (s->group_rc != 0)
    return;
  char b[32], h[32];
  printf("\nengines      dynamics.engine = %s; times at the reference constants of "
         "docs/benchmarks.md,\n             assuming %d sweeps and N/2 flips per probe\n",
         engine_name(c->engine), ENGINE_PLAN_SWEEPS);
  printf("  %10s %8s  %-10s %12s %12s %12s\n", "alpha", "P", "engine", "memory/rank", "s/task",
         "core-hours");
  for (int64_t i = 0; i < s->n_classes; i++) {
    const plan_class_t *cl = &s->classes[i];
    util_format_bytes(cl->bytes_per_rank, b, sizeof b);
    util_format_seconds(cl->seconds_per_task, h, sizeof h);
    printf("  %10.4g %8lld  %-10s %12s %12s %12.3g\n", cl->alpha, (long long)cl->P,
           cl->engine == ENGINE_AUTO ? "mixed" : engine_name(cl->engine), b, h, cl->core_hours);
  }
  if (c->n_alpha > s->n_classes)
    printf("  (%lld more alpha values not listed)\n", (long long)(c->n_alpha - s->n_classes));
  printf("  total        %.3g core-hours (%.3g with J built for every task: %.1fx)\n",
         s->core_hours, s->core_hours_couplings,
         s->core_hours > 0 ? s->core_hours_couplings / s->core_hours : 0.0);
}

/* A search: its lines and lattice, and its estimated cost against the grid of the same
 * resolution (the whole lattice at `samples` per point). */
static void plan_print_search(const config_t *c, const plan_summary_t *s) {
  if (c->search.along == SEARCH_NONE)
    return;
  double one, most, grid;
  search_estimate(c, 1.0, &one, &grid);
  search_estimate(c, (double)(c->search.coarse - 1), &most, &grid);
  if (most > grid * (double)config_samples_dim(c) / (double)c->samples)
    most = grid * (double)config_samples_dim(c) / (double)c->samples;
  double per_sample = s->tasks > 0 ? s->core_hours / (double)s->tasks : 0.0;
  const bool min = c->search.statistic == STAT_MIN_SAMPLE_MEAN;
  char batches[160];
  snprintf(batches, sizeof batches, "first %lld samples, %s %lld %s %g",
           (long long)config_first_samples(c), min ? "doubled up to" : "up to",
           (long long)config_samples_dim(c),
           min ? "at a bracket's end with every sample above" : "where the interval straddles",
           c->search.level);
  printf("\nsearch       along %s: %lld lines x %lld lattice points (spacing %g in log10, coarse "
         "pass %lld points), %s\n",
         c->search.along == SEARCH_ALPHA ? "alpha" : "alpha_D", (long long)search_lines(c),
         (long long)search_lattice_size(c), c->search.tolerance / 2, (long long)c->search.coarse,
         batches);
  printf(
      "  estimate   %.0f samples with one crossing per line (at most %.0f), against %.0f for the "
      "grid of the same resolution: %.2f of it\n",
      one, most, grid, grid > 0 ? one / grid : 0.0);
  printf("  cost       ~%.3g core-hours (the grid: %.3g; at the mean cost per sample of the "
         "lattice)\n",
         one * per_sample, grid * per_sample);
}

/* Everything `plan` prints; rank 0 only. Returns the group-size verdict. */
static int plan_print(const config_t *c, const plan_summary_t *s, const char *source,
                      bool canonical, err_t *e) {
  char b1[32], b2[32], b3[32];
  CHECK(e, plan_print_grid(c, s, e));
  plan_print_task_memory(c, s);
  plan_print_parallel(c, s, source);
  plan_print_engines(c, s);
  plan_print_search(c, s);
  util_format_bytes((double)s->file_bytes, b1, sizeof b1);
  util_format_bytes(s->probe_row_bytes, b2, sizeof b2);
  printf("\noutput file  <= %s (probe rows %s: m f32 + sweeps i32 for %lld x %lld probes; done "
         "flags, summaries, metadata)\n",
         b1, b2, (long long)s->tasks, (long long)s->probes_per_task);
  fmt_flops(s->build_flops, b1, sizeof b1);
  fmt_flops(s->dynamics_flops, b2, sizeof b2);
  fmt_flops(s->build_flops + s->dynamics_flops, b3, sizeof b3);
  printf("work         %s in all: J builds %s (2 N^2 P per task), dynamics ~%s (estimate)\n", b3,
         b1, b2);
  if (canonical) {
    char *text;
    CHECK(e, config_canonical(c, &text, e));
    printf("\ncanonical config:\n%s", text);
    free(text);
  }
  fflush(stdout);
  if (s->group_rc) {
    *e = s->group_err;
    return s->group_rc;
  }
  return 0;
}

/* Rank 0's part: options, config, memory, summary, report. */
static int plan_rank0(const cli_args_t *a, int64_t ranks, err_t *e) {
  double mem = 0;
  bool canonical = a->value[APP_OPT_CANONICAL] != NULL;
  if (a->value[APP_OPT_RANKS]) {
    CHECK(e, cli_parse_i64("--ranks", a->value[APP_OPT_RANKS], &ranks, e));
    if (ranks < 1)
      return ERR(e, ERR_USAGE, "--ranks: %lld is out of range (must be >= 1)", (long long)ranks);
  }
  const char *mv = a->value[APP_OPT_MEM_PER_RANK];
  if (mv) {
    CHECK(e, cli_parse_bytes("--mem-per-rank", mv, &mem, e));
    if (!(mem > 0))
      return ERR(e, ERR_USAGE, "--mem-per-rank: '%s' must be > 0", mv);
  }
  if (a->n_positional == 0)
    return ERR(e, ERR_USAGE, "plan: no config file given (see hopscan plan --help)");
  config_t c;
  CHECK(e, config_load_file(&c, a->positional[0], e));
  char srcbuf[160];
  const char *src = "--mem-per-rank";
  if (!(mem > 0) && c.mem_per_rank > 0) {
    mem = c.mem_per_rank;
    src = "parallel.mem_per_rank";
  } else if (!(mem > 0)) {
    /* The planned run's ranks are assumed to share this node, as a run on it would. */
    plan_memory_t m;
    app_node_memory(&m);
    mem = plan_memory_share(&m, ranks);
    if (m.per_cpu)
      snprintf(srcbuf, sizeof srcbuf, "%s; use --mem-per-rank for another machine", m.source);
    else
      snprintf(srcbuf, sizeof srcbuf, "%s / %lld rank%s; use --mem-per-rank for another machine",
               m.source, (long long)ranks, ranks == 1 ? "" : "s");
    src = srcbuf;
  }
  plan_summary_t s;
  int rc = plan_summarize(&c, ranks, mem, &s, e);
  if (!rc)
    rc = plan_print(&c, &s, src, canonical, e);
  config_free(&c);
  return rc;
}

int app_plan(const cli_args_t *a, MPI_Comm comm, err_t *e) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int rc = rank == 0 ? plan_rank0(a, size, e) : 0;
  /* Every rank returns the same status; rank 0 alone holds (and prints) the message. */
  return agree_from_root(comm, 0, rc, e);
}
