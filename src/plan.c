/* plan: sizes, memory and cost model of a scan; the automatic group size; the plan summary.
 *
 * Memory model (bytes one rank of a group of g ranks needs at a grid point; the kernel allocates
 * within it):
 *   nb   = parallel.block_size
 *   rows = min(N, ceil(ceil(N / nb) / g) * nb)       upper bound of ScaLAPACK's numroc
 *   couplings engine: couplings_bytes(N, rows, P)    J float + integer J + pattern chunk, panel
 *         + rows*D                                   int8 features
 *         + n_probes*N*13                            probe states and int64 fields
 *   overlaps engine:  overlaps_bytes(rows, P)        packed rows, overlaps, row buffer
 *         + rows*D + n_probes*N*2                    features, probe start states and results
 * Cost of one sample: 2*N*N*P (J build) + n_probes*20*N*N (dynamics estimate) flops; its time
 * on each engine from engine.h's model at the reference constants (engine_costs_default). */
#include "hopscan/plan.h"

#include "hopscan/couplings.h"
#include "hopscan/engine.h"
#include "hopscan/output.h"
#include "hopscan/overlaps.h"
#include "hopscan/scheduler.h"
#include "hopscan/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t plan_total_probes(const config_t *c) {
  int64_t n = 0;
  for (int k = 0; k < c->n_kinds; k++)
    n += c->probes[k];
  return n;
}

int64_t plan_rows_per_rank(const config_t *c, int64_t g) {
  int64_t nb = c->block_size > 0 ? c->block_size : 64;
  if (g < 1)
    g = 1;
  int64_t nblocks = (c->N + nb - 1) / nb;
  int64_t rows = (nblocks + g - 1) / g * nb;
  return rows < c->N ? rows : c->N;
}

double plan_bytes_engine(const config_t *c, int64_t P, int64_t D, int64_t g, engine_kind engine) {
  const double N = (double)c->N, n = (double)plan_total_probes(c);
  const int64_t rows = plan_rows_per_rank(c, g);
  if (engine == ENGINE_COUPLINGS)
    return couplings_bytes(c->N, rows, P) + (double)rows * (double)D + n * N * 13.0;
  return overlaps_bytes(rows, P) + (double)rows * (double)D + n * N * 2.0;
}

/* The memory a run must allow: J's for the couplings engine; the overlaps engine's for auto (it
 * builds J only where J fits) and overlaps. */
static double plan_bytes_pd(const config_t *c, int64_t P, int64_t D, int64_t g) {
  return plan_bytes_engine(c, P, D, g,
                           c->engine == ENGINE_COUPLINGS ? ENGINE_COUPLINGS : ENGINE_OVERLAPS);
}

double plan_bytes_per_rank(const config_t *c, int64_t point, int64_t g) {
  int64_t ia, ib, ic;
  config_point_coords(c, point, &ia, &ib, &ic);
  return plan_bytes_pd(c, config_P(c, ia), config_D(c, ib), g);
}

/* The examples of grid point (., ib, ic), as pattern generation's cost depends on them. */
static engine_examples_t plan_examples(const config_t *c, int64_t ib, int64_t ic) {
  if (c->model != MODEL_RFHM)
    return (engine_examples_t){.pm1 = false, .L = 0, .D = 0};
  return (engine_examples_t){
      .pm1 = c->coefficients == COEF_PM1, .L = config_L_eff(c, ib, ic), .D = config_D(c, ib)};
}

engine_kind plan_task_engine(const config_t *c, int64_t point, int64_t g, double mem_per_rank,
                             double *seconds) {
  int64_t ia, ib, ic;
  config_point_coords(c, point, &ia, &ib, &ic);
  const int64_t P = config_P(c, ia), n = plan_total_probes(c);
  engine_costs_t k;
  engine_costs_default(&k);
  bool j_fits = !(mem_per_rank > 0) ||
                plan_bytes_engine(c, P, config_D(c, ib), g, ENGINE_COUPLINGS) <= mem_per_rank;
  engine_kind kind = engine_plan(&k, c->engine, c->N, P, g, n, j_fits);
  if (seconds) {
    const engine_examples_t x = plan_examples(c, ib, ic);
    *seconds = engine_task_seconds(&k, kind, c->N, P, g, n, &x);
  }
  return kind;
}

double plan_task_seconds(const config_t *c, int64_t point, int64_t g) {
  double sec = 0;
  plan_task_engine(c, point, g, 0, &sec);
  return sec;
}

double plan_task_flops(const config_t *c, int64_t point) {
  int64_t ia, ib, ic;
  config_point_coords(c, point, &ia, &ib, &ic);
  double N = (double)c->N;
  return 2.0 * N * N * (double)config_P(c, ia) + (double)plan_total_probes(c) * 20.0 * N * N;
}

/* Largest bytes per rank over the grid for group size g (L does not enter), and where. */
static double plan_peak_bytes(const config_t *c, int64_t g, int64_t *ia_max, int64_t *ib_max) {
  double peak = -1;
  for (int64_t ia = 0; ia < c->n_alpha; ia++)
    for (int64_t ib = 0; ib < c->n_alpha_D; ib++) {
      double b = plan_bytes_pd(c, config_P(c, ia), config_D(c, ib), g);
      if (b > peak) {
        peak = b;
        if (ia_max)
          *ia_max = ia;
        if (ib_max)
          *ib_max = ib;
      }
    }
  return peak;
}

static int64_t plan_workers(int64_t ranks) {
  return ranks > 1 ? ranks - 1 : 1;
}

int plan_group_size(const config_t *c, int64_t ranks, double mem_per_rank, int64_t *g, err_t *e) {
  int64_t workers = plan_workers(ranks);
  if (c->group_size > 0) {
    if (c->group_size > workers)
      return ERR(e, ERR_USAGE,
                 "parallel.group_size = %lld exceeds the %lld worker rank%s of %lld rank%s (rank 0 "
                 "is the master when there is more than one rank)",
                 (long long)c->group_size, (long long)workers, workers == 1 ? "" : "s",
                 (long long)ranks, ranks == 1 ? "" : "s");
    *g = c->group_size;
    return 0;
  }
  if (!(mem_per_rank > 0)) {
    *g = 1;
    return 0;
  }
  for (int64_t t = 1; t <= workers; t++)
    if (plan_peak_bytes(c, t, NULL, NULL) <= mem_per_rank) {
      *g = t;
      return 0;
    }
  /* Nothing fits: say what would. */
  int64_t ia = 0, ib = 0;
  double need = plan_peak_bytes(c, workers, &ia, &ib);
  char hneed[32], hhave[32], where[160];
  util_format_bytes(need, hneed, sizeof hneed);
  util_format_bytes(mem_per_rank, hhave, sizeof hhave);
  if (c->model == MODEL_RFHM)
    snprintf(where, sizeof where, "alpha = %g, alpha_D = %g (P = %lld, D = %lld)", c->alpha[ia],
             c->alpha_D[ib], (long long)config_P(c, ia), (long long)config_D(c, ib));
  else
    snprintf(where, sizeof where, "alpha = %g (P = %lld)", c->alpha[ia],
             (long long)config_P(c, ia));
  int64_t nb = c->block_size > 0 ? c->block_size : 64;
  int64_t gmax = (c->N + nb - 1) / nb;
  int64_t gfit = 0;
  for (int64_t t = workers + 1; t <= gmax; t++)
    if (plan_peak_bytes(c, t, NULL, NULL) <= mem_per_rank) {
      gfit = t;
      break;
    }
  char alt[256];
  if (gfit)
    snprintf(alt, sizeof alt,
             "it fits with groups of %lld ranks, i.e. --ranks %lld or more, or "
             "with %s per rank",
             (long long)gfit, (long long)gfit + 1, hneed);
  else {
    char hmin[32];
    util_format_bytes(plan_peak_bytes(c, gmax, NULL, NULL), hmin, sizeof hmin);
    snprintf(alt, sizeof alt,
             "more ranks cannot help enough (even %lld ranks per group need %s per rank); it "
             "fits with %s per rank",
             (long long)gmax, hmin, hneed);
  }
  return ERR(e, ERR_USAGE,
             "no worker-group size fits in %s per rank: the largest point, %s, needs %s (%.0f "
             "bytes) per rank even with %s; %s",
             hhave, where, hneed, need,
             workers == 1 ? "its one worker rank alone"
                          : "all worker "
                            "ranks in one group",
             alt);
}

double plan_memory_share(const plan_memory_t *m, int64_t ranks_on_node) {
  if (m->per_cpu || ranks_on_node < 1)
    return m->bytes;
  return m->bytes / (double)ranks_on_node;
}

double plan_detect_mem_per_rank(const config_t *c, const plan_memory_t *node, MPI_Comm comm) {
  if (c->mem_per_rank > 0)
    return c->mem_per_rank;
  MPI_Comm shared;
  int local = 1;
  if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &shared) == MPI_SUCCESS) {
    MPI_Comm_size(shared, &local);
    MPI_Comm_free(&shared);
  }
  double mem = plan_memory_share(node, local);
  /* Every rank must choose the same group size: agree on the smallest value. */
  double agreed = mem;
  MPI_Allreduce(&mem, &agreed, 1, MPI_DOUBLE, MPI_MIN, comm);
  return agreed;
}

void plan_layout(int64_t ranks, int64_t g, plan_layout_t *l) {
  memset(l, 0, sizeof *l);
  l->ranks = ranks;
  l->workers = plan_workers(ranks);
  l->group_size = g;
  l->groups = scheduler_groups(ranks, g);
  if (l->groups < 1) {
    l->idle = l->workers;
    return;
  }
  l->group_min = scheduler_group_size(ranks, g, l->groups - 1);
  l->group_max = scheduler_group_size(ranks, g, 0);
  int64_t in_groups = 0;
  for (int64_t k = 0; k < l->groups; k++) {
    int64_t size = scheduler_group_size(ranks, g, k);
    in_groups += size;
    l->n_max += size == l->group_max;
  }
  l->idle = l->workers - in_groups;
}

/* Largest P and D of the grid. */
static void plan_max_pd(const config_t *c, int64_t *Pmax, int64_t *Dmax) {
  *Pmax = 0;
  *Dmax = 0;
  for (int64_t i = 0; i < c->n_alpha; i++)
    if (config_P(c, i) > *Pmax)
      *Pmax = config_P(c, i);
  for (int64_t j = 0; j < c->n_alpha_D; j++)
    if (config_D(c, j) > *Dmax)
      *Dmax = config_D(c, j);
}

/* Engine, memory and time per alpha (the task classes), and the totals. */
static void plan_classes(const config_t *c, int64_t g, double mem_per_rank, plan_summary_t *s) {
  engine_costs_t k;
  engine_costs_default(&k);
  const int64_t n = plan_total_probes(c), per_alpha = c->n_alpha_D * c->n_L * c->samples;
  s->n_classes = c->n_alpha < PLAN_MAX_CLASSES ? c->n_alpha : PLAN_MAX_CLASSES;
  for (int64_t ia = 0; ia < c->n_alpha; ia++) {
    plan_class_t cl = {.alpha = c->alpha[ia], .P = config_P(c, ia)};
    for (int64_t ib = 0; ib < c->n_alpha_D; ib++) {
      engine_kind kind = ENGINE_COUPLINGS;
      for (int64_t ic = 0; ic < c->n_L; ic++) { /* L changes the time, not the engine */
        double sec = 0;
        kind = plan_task_engine(c, config_point_index(c, ia, ib, ic), g, mem_per_rank, &sec);
        const double per = (double)g * (double)c->samples / 3600.0;
        cl.core_hours += sec * per;
        const engine_examples_t x = plan_examples(c, ib, ic);
        s->core_hours_couplings +=
            engine_task_seconds(&k, ENGINE_COUPLINGS, c->N, cl.P, g, n, &x) * per;
      }
      double bytes = plan_bytes_engine(c, cl.P, config_D(c, ib), g, kind);
      cl.n_overlaps += kind == ENGINE_OVERLAPS;
      cl.bytes_per_rank = bytes > cl.bytes_per_rank ? bytes : cl.bytes_per_rank;
    }
    cl.engine = cl.n_overlaps == c->n_alpha_D ? ENGINE_OVERLAPS
                : cl.n_overlaps == 0          ? ENGINE_COUPLINGS
                                              : ENGINE_AUTO; /* mixed over alpha_D */
    cl.seconds_per_task = cl.core_hours * 3600.0 / (double)g / (double)per_alpha;
    s->core_hours += cl.core_hours;
    if (ia < PLAN_MAX_CLASSES)
      s->classes[ia] = cl;
  }
}

int plan_summarize(const config_t *c, int64_t ranks, double mem_per_rank, plan_summary_t *s,
                   err_t *e) {
  (void)e;
  memset(s, 0, sizeof *s);
  err_init(&s->group_err);
  double N = (double)c->N;
  s->points = config_points(c);
  s->tasks = s->points * c->samples;
  s->probes_per_task = plan_total_probes(c);
  plan_max_pd(c, &s->P_max, &s->D_max);
  s->j_int16 = s->P_max <= 32767;
  s->j_float_bytes = N * N * 4.0;
  s->j_int_bytes = N * N * (s->j_int16 ? 2.0 : 4.0);
  s->pattern_bytes = N * (double)s->P_max * 4.0;
  s->feature_bytes = N * (double)s->D_max;
  s->probe_bytes = (double)s->probes_per_task * N * 13.0;

  s->ranks = ranks;
  s->mem_per_rank = mem_per_rank;
  int64_t g = 0;
  s->group_rc = plan_group_size(c, ranks, mem_per_rank, &g, &s->group_err);
  if (s->group_rc == 0) {
    plan_layout(ranks, g, &s->layout);
    s->peak_bytes = plan_peak_bytes(c, g, &s->peak_ia, &s->peak_ib);
    s->rows_per_rank = plan_rows_per_rank(c, g);
  }

  if (s->group_rc == 0)
    plan_classes(c, g, mem_per_rank, s);
  s->file_bytes = output_file_bytes(c);
  s->probe_row_bytes = (double)s->tasks * (double)s->probes_per_task * 8.0;
  for (int64_t p = 0; p < s->points; p++) {
    int64_t ia, ib, ic;
    config_point_coords(c, p, &ia, &ib, &ic);
    s->build_flops += 2.0 * N * N * (double)config_P(c, ia) * (double)c->samples;
    s->dynamics_flops += (double)s->probes_per_task * 20.0 * N * N * (double)c->samples;
  }
  return 0;
}
