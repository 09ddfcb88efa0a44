/* search: the transition search's state machine. See include/hopscan/search.h. */
#include "hopscan/search.h"

#include "hopscan/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

search_digest_t search_digest_of(const config_t *c, const float *m, int64_t n) {
  double sum = 0;
  int64_t ret = 0;
  for (int64_t j = 0; j < n; j++) {
    sum += (double)m[j];
    ret += (double)m[j] > c->retrieval_threshold ? 1 : 0;
  }
  return (search_digest_t){.mean = sum / (double)n, .frac = (double)ret / (double)n};
}

search_digest_t search_digest(const config_t *c, const task_result_t *r) {
  int k = c->search.observable;
  return search_digest_of(c, r->m[k], r->n[k]);
}

int64_t search_lattice_size(const config_t *c) {
  return c->search.along == SEARCH_ALPHA ? c->n_alpha : c->n_alpha_D;
}

int64_t search_lines(const config_t *c) {
  return config_points(c) / search_lattice_size(c);
}

int64_t search_point(const search_t *s, int64_t line, int64_t k) {
  const config_t *c = s->c;
  int64_t ic = line % c->n_L, other = line / c->n_L;
  if (c->search.along == SEARCH_ALPHA)
    return config_point_index(c, k, other, ic);
  return config_point_index(c, other, k, ic);
}

int64_t search_line_of(const config_t *c, int64_t point) {
  int64_t ia, ib, ic;
  config_point_coords(c, point, &ia, &ib, &ic);
  int64_t other = c->search.along == SEARCH_ALPHA ? ib : ia;
  return other * c->n_L + ic;
}

static double lattice_value(const search_t *s, int64_t k) {
  return s->c->search.along == SEARCH_ALPHA ? s->c->alpha[k] : s->c->alpha_D[k];
}

/* ---- state ----------------------------------------------------------------------------------- */

void search_free(search_t *s) {
  free(s->req);
  free(s->have);
  free(s->d);
  free(s->missing);
  free(s->line_done);
  free(s->queue);
  memset(s, 0, sizeof *s);
}

/* Requests samples [req[point], upto) of a point: queued unless recorded already. */
static int search_request(search_t *s, int64_t point, int64_t upto, err_t *e) {
  int64_t line = search_line_of(s->c, point);
  for (int64_t smp = s->req[point]; smp < upto; smp++) {
    int64_t id = point * s->S_max + smp;
    s->requested++;
    if (s->have[id]) {
      s->recorded++;
      continue;
    }
    s->missing[line]++;
    if (s->q_head + s->q_len == s->q_cap) {
      if (s->q_head > 0) { /* reuse the consumed front */
        memmove(s->queue, s->queue + s->q_head, (size_t)s->q_len * sizeof *s->queue);
        s->q_head = 0;
      } else {
        int64_t cap = s->q_cap ? 2 * s->q_cap : 256;
        int64_t *q = realloc(s->queue, (size_t)cap * sizeof *q);
        if (!q)
          return ERR(e, ERR_RUNTIME, "out of memory queueing %lld search tasks", (long long)cap);
        s->queue = q;
        s->q_cap = cap;
      }
    }
    s->queue[s->q_head + s->q_len++] = id;
  }
  s->req[point] = upto;
  return 0;
}

/* Coarse lattice index j of n_coarse. */
static int64_t coarse_index(const search_t *s, int64_t j, int64_t n_coarse) {
  return (int64_t)llround((double)j * (double)(s->n_lat - 1) / (double)(n_coarse - 1));
}

int search_init(search_t *s, const config_t *c, err_t *e) {
  memset(s, 0, sizeof *s);
  s->c = c;
  s->n_lat = search_lattice_size(c);
  s->n_lines = search_lines(c);
  s->S = config_first_samples(c);
  s->S_max = config_samples_dim(c);
  s->points = config_points(c);
  size_t tasks = (size_t)(s->points * s->S_max);
  int rc = util_calloc((void **)&s->req, (size_t)s->points, sizeof *s->req, "search state", e);
  if (!rc)
    rc = util_calloc((void **)&s->have, tasks, 1, "search state", e);
  if (!rc)
    rc = util_calloc((void **)&s->d, tasks, sizeof *s->d, "search digests", e);
  if (!rc)
    rc = util_calloc((void **)&s->missing, (size_t)s->n_lines, sizeof *s->missing, "search", e);
  if (!rc)
    rc = util_calloc((void **)&s->line_done, (size_t)s->n_lines, 1, "search state", e);
  int64_t n_coarse = c->search.coarse < s->n_lat ? c->search.coarse : s->n_lat;
  for (int64_t l = 0; !rc && l < s->n_lines; l++)
    for (int64_t j = 0; !rc && j < n_coarse; j++)
      rc = search_request(s, search_point(s, l, coarse_index(s, j, n_coarse)), s->S, e);
  if (rc)
    search_free(s);
  return rc;
}

void search_record(search_t *s, int64_t id, const search_digest_t *d) {
  if (id < 0 || id >= s->points * s->S_max || s->have[id])
    return;
  s->have[id] = 1;
  s->d[id] = *d;
  int64_t point = id / s->S_max;
  if (id % s->S_max < s->req[point]) { /* requested: the line waits for it */
    s->missing[search_line_of(s->c, point)]--;
    s->recorded++;
  }
}

int64_t search_next(search_t *s) {
  while (s->q_len > 0) {
    int64_t id = s->queue[s->q_head++];
    s->q_len--;
    if (!s->have[id])
      return id;
  }
  return -1;
}

bool search_finished(const search_t *s) {
  for (int64_t l = 0; l < s->n_lines; l++)
    if (!s->line_done[l])
      return false;
  return true;
}

/* ---- decisions ------------------------------------------------------------------------------- */

double search_t95(int64_t n) {
  /* t(0.975, df) for df = 1 .. 30; beyond, the expansion 1.96 + 2.4 / df (within 0.002) */
  static const double t[30] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                               2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                               2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                               2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  int64_t df = n - 1;
  if (df < 1)
    return NAN;
  return df <= 30 ? t[df - 1] : 1.959964 + 2.4 / (double)df;
}

bool search_statistic(const search_t *s, int64_t point, double *stat, double *halfwidth) {
  *stat = NAN;
  *halfwidth = NAN;
  int64_t n = s->req[point];
  if (n == 0)
    return false;
  const search_digest_t *d = &s->d[point * s->S_max];
  for (int64_t i = 0; i < n; i++)
    if (!s->have[point * s->S_max + i])
      return false;
  const search_stat st = s->c->search.statistic;
  if (st == STAT_MIN_SAMPLE_MEAN) {
    double m = d[0].mean;
    for (int64_t i = 1; i < n; i++)
      m = d[i].mean < m ? d[i].mean : m;
    *stat = m;
    *halfwidth = 0;
    return true;
  }
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < n; i++)
    sum += st == STAT_MEAN ? d[i].mean : d[i].frac;
  double mean = sum / (double)n;
  for (int64_t i = 0; i < n; i++) {
    double v = (st == STAT_MEAN ? d[i].mean : d[i].frac) - mean;
    sq += v * v;
  }
  *stat = mean;
  if (n >= 2)
    *halfwidth = search_t95(n) * sqrt(sq / (double)(n - 1) / (double)n);
  return true;
}

static bool search_above(const search_t *s, double stat) {
  return stat > s->c->search.level;
}

/* The level inside the point's interval (a top-up may still move it across). */
static bool search_ambiguous(const search_t *s, double stat, double hw) {
  return !isnan(hw) && fabs(stat - s->c->search.level) < hw;
}

/* min_sample_mean: every sample so far above the level, fewer than samples (the point counts as
 * above in bisection until its bracket is narrow; the verify pass of search_brackets then adds
 * samples). */
static bool search_provisional(const search_t *s, int64_t pt, double st) {
  return s->c->search.statistic == STAT_MIN_SAMPLE_MEAN && s->req[pt] < s->S_max &&
         search_above(s, st);
}

/* mean, frac_retrieved: the point needs more samples before it is decided (the level inside
 * its interval, or no interval yet). min_sample_mean has no top-ups (search_brackets verifies). */
static bool search_needs_more(const search_t *s, int64_t pt, double st, double hw) {
  if (s->req[pt] >= s->S_max || s->c->search.statistic == STAT_MIN_SAMPLE_MEAN)
    return false;
  return isnan(hw) || search_ambiguous(s, st, hw);
}

/* Every bracket of the line (consecutive evaluated points on opposite sides of the level):
 * refine (verify false): the midpoint of each one wider than the tolerance and not adjacent, with
 * F samples; verify (true): each provisional end gets twice its samples, up to samples.
 * *changed when it requested any. */
static int search_brackets(search_t *s, int64_t line, bool verify, bool *changed, err_t *e) {
  int64_t prev = -1, prev_pt = -1, doubled = -1;
  double prev_st = NAN, st, hw; /* the statistics as the pass found them */
  for (int64_t k = 0; k < s->n_lat; k++) {
    int64_t pt = search_point(s, line, k);
    if (s->req[pt] == 0)
      continue;
    search_statistic(s, pt, &st, &hw);
    if (prev >= 0 && search_above(s, st) != search_above(s, prev_st)) {
      if (!verify && k - prev > 1 &&
          log10(lattice_value(s, k) / lattice_value(s, prev)) > s->c->search.tolerance) {
        int64_t mid = search_point(s, line, (prev + k) / 2);
        if (s->req[mid] == 0) {
          CHECK(e, search_request(s, mid, s->S, e));
          *changed = true;
        }
      }
      const int64_t ends[2] = {prev_pt, pt};
      const double stats[2] = {prev_st, st};
      for (int i = 0; verify && i < 2; i++) {
        if (ends[i] == doubled || !search_provisional(s, ends[i], stats[i]))
          continue; /* an end of two brackets is doubled once */
        doubled = ends[i];
        int64_t upto = 2 * s->req[ends[i]] < s->S_max ? 2 * s->req[ends[i]] : s->S_max;
        CHECK(e, search_request(s, ends[i], upto, e));
        *changed = true;
      }
    }
    prev = k;
    prev_pt = pt;
    prev_st = st;
  }
  return 0;
}

/* Decides one line whose requests are all recorded; *changed when it requested more. */
static int search_decide(search_t *s, int64_t line, bool *changed, err_t *e) {
  *changed = false;
  double st, hw;
  for (int64_t k = 0; k < s->n_lat; k++) { /* 1. top-ups */
    int64_t pt = search_point(s, line, k);
    if (s->req[pt] == 0 || !search_statistic(s, pt, &st, &hw) || !search_needs_more(s, pt, st, hw))
      continue;
    int64_t upto = s->req[pt] + s->S < s->S_max ? s->req[pt] + s->S : s->S_max;
    CHECK(e, search_request(s, pt, upto, e));
    *changed = true;
  }
  if (!*changed) /* 2. bisection */
    CHECK(e, search_brackets(s, line, false, changed, e));
  if (!*changed) /* 3. min_sample_mean: verify the narrow brackets' provisional ends */
    CHECK(e, search_brackets(s, line, true, changed, e));
  if (!*changed)
    s->line_done[line] = 1; /* 4. */
  return 0;
}

int search_advance(search_t *s, err_t *e) {
  for (bool again = true; again;) {
    again = false;
    for (int64_t l = 0; l < s->n_lines; l++) {
      if (s->line_done[l] || s->missing[l] > 0)
        continue;
      bool changed = false;
      CHECK(e, search_decide(s, l, &changed, e));
      again = again || changed;
    }
  }
  return 0;
}

/* ---- the report ------------------------------------------------------------------------------ */

void search_report_free(search_report_t *r) {
  free(r->samples);
  free(r->stat);
  free(r->halfwidth);
  free(r->line_done);
  free(r->n_crossings);
  free(r->lo);
  free(r->hi);
  free(r->value);
  free(r->ci_lo);
  free(r->ci_hi);
  free(r->direction);
  memset(r, 0, sizeof *r);
}

int search_report_init(search_report_t *r, const config_t *c, err_t *e) {
  memset(r, 0, sizeof *r);
  r->points = config_points(c);
  r->n_lines = search_lines(c);
  r->n_cross = c->search.coarse - 1;
  size_t np = (size_t)r->points, nl = (size_t)r->n_lines, nc = nl * (size_t)r->n_cross;
  int rc = util_alloc((void **)&r->samples, np, sizeof *r->samples, "search report", e);
  rc = rc ? rc : util_alloc((void **)&r->stat, np, sizeof(double), "search report", e);
  rc = rc ? rc : util_alloc((void **)&r->halfwidth, np, sizeof(double), "search report", e);
  rc = rc ? rc : util_alloc((void **)&r->line_done, nl, 1, "search report", e);
  rc = rc ? rc : util_alloc((void **)&r->n_crossings, nl, sizeof(int32_t), "search report", e);
  double **f64[] = {&r->lo, &r->hi, &r->value, &r->ci_lo, &r->ci_hi};
  for (int i = 0; i < 5; i++)
    rc = rc ? rc : util_alloc((void **)f64[i], nc, sizeof(double), "search report", e);
  rc = rc ? rc : util_alloc((void **)&r->direction, nc, sizeof(int32_t), "search report", e);
  if (rc)
    search_report_free(r);
  return rc;
}

/* The evaluated lattice indices of a line whose statistic is final, with it. */
typedef struct search_eval {
  int64_t k;
  double stat, hw;
} search_eval_t;

static int64_t search_evals(const search_t *s, int64_t line, search_eval_t *ev) {
  int64_t n = 0;
  for (int64_t k = 0; k < s->n_lat; k++) {
    double st, hw;
    if (search_statistic(s, search_point(s, line, k), &st, &hw))
      ev[n++] = (search_eval_t){k, st, hw};
  }
  return n;
}

/* Crossing between evaluations i and i+1 of ev[0..n): slot j of line l. */
static void search_crossing(const search_t *s, const search_eval_t *ev, int64_t n, int64_t i,
                            search_report_t *r, int64_t slot) {
  const double lvl = s->c->search.level;
  double xa = lattice_value(s, ev[i].k), xb = lattice_value(s, ev[i + 1].k);
  double t = (lvl - ev[i].stat) / (ev[i + 1].stat - ev[i].stat);
  int64_t lo = i, hi = i + 1;
  while (lo > 0 && search_ambiguous(s, ev[lo].stat, ev[lo].hw))
    lo--;
  while (hi < n - 1 && search_ambiguous(s, ev[hi].stat, ev[hi].hw))
    hi++;
  bool lo_end = search_ambiguous(s, ev[lo].stat, ev[lo].hw);
  bool hi_end = search_ambiguous(s, ev[hi].stat, ev[hi].hw);
  r->lo[slot] = xa;
  r->hi[slot] = xb;
  r->value[slot] = exp(log(xa) + t * (log(xb) - log(xa)));
  r->ci_lo[slot] = lo_end ? lattice_value(s, 0) : lattice_value(s, ev[lo].k);
  r->ci_hi[slot] = hi_end ? lattice_value(s, s->n_lat - 1) : lattice_value(s, ev[hi].k);
  r->direction[slot] = search_above(s, ev[i + 1].stat) ? 1 : -1;
}

void search_report_fill(const search_t *s, search_report_t *r) {
  for (int64_t p = 0; p < s->points; p++) {
    r->samples[p] = (int32_t)s->req[p];
    search_statistic(s, p, &r->stat[p], &r->halfwidth[p]);
  }
  search_eval_t *ev = malloc((size_t)s->n_lat * sizeof *ev);
  for (int64_t l = 0; l < s->n_lines; l++) {
    r->line_done[l] = s->line_done[l];
    int64_t nc = 0, base = l * r->n_cross;
    for (int64_t j = 0; j < r->n_cross; j++) {
      r->lo[base + j] = r->hi[base + j] = r->value[base + j] = NAN;
      r->ci_lo[base + j] = r->ci_hi[base + j] = NAN;
      r->direction[base + j] = 0;
    }
    int64_t n = ev ? search_evals(s, l, ev) : 0;
    for (int64_t i = 0; i + 1 < n && nc < r->n_cross; i++)
      if (search_above(s, ev[i].stat) != search_above(s, ev[i + 1].stat))
        search_crossing(s, ev, n, i, r, base + nc++);
    r->n_crossings[l] = (int32_t)nc;
  }
  free(ev);
}

/* ---- the estimate for `plan` ----------------------------------------------------------------- */

void search_estimate(const config_t *c, double crossings, double *tasks, double *grid) {
  double n_lat = (double)search_lattice_size(c), lines = (double)search_lines(c);
  double F = (double)config_first_samples(c), S = (double)config_samples_dim(c);
  double coarse = (double)c->search.coarse < n_lat ? (double)c->search.coarse : n_lat;
  double gap = (n_lat - 1) / (coarse - 1); /* lattice steps per coarse interval */
  double rounds = gap > 1 ? ceil(log2(gap)) : 0;
  /* mean, frac_retrieved: the first batch and, near the level, one top-up; min_sample_mean:
   * the first batch, and the bracket's end above verified with every sample */
  bool min = c->search.statistic == STAT_MIN_SAMPLE_MEAN;
  double per_refined = min ? F : 2 * F, verify = min ? S - F : 0;
  *tasks = lines * (coarse * F + crossings * (rounds * per_refined + verify));
  *grid = lines * n_lat * (double)c->samples;
}
