/* output_summary: the summaries (ROLE_SUMMARY variables of the schema) over the done samples of
 * each grid point, recomputed from the file's result rows. Collective. Computed in sample order
 * with Welford's update, so identical for any number of ranks. */
#include "output_internal.h"

#include "hopscan/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Floats read per rank and batch when summaries are recomputed (bounds memory on resume). */
#define OUTPUT_SUMMARY_BATCH_FLOATS ((int64_t)1 << 22)

/* Statistic `stat` (SUM_*) of one grid point from its [S][n] overlaps and [S] done flags. */
static double output_point_stat(const float *m, const uint8_t *done, int64_t S, int64_t n,
                                double thr, int stat) {
  int64_t d = 0, retrieved = 0;
  double mean = 0.0, m2 = 0.0; /* Welford over the per-sample means, in sample order */
  for (int64_t s = 0; s < S; s++) {
    if (!done[s])
      continue;
    double acc = 0.0;
    for (int64_t j = 0; j < n; j++) {
      acc += (double)m[s * n + j];
      retrieved += (double)m[s * n + j] > thr;
    }
    double ms = acc / (double)n;
    d++;
    double delta = ms - mean;
    mean += delta / (double)d;
    m2 += delta * (ms - mean);
  }
  if (stat == SUM_MEAN)
    return d ? mean : NAN;
  if (stat == SUM_SEM)
    return d >= 2 ? sqrt(m2 / (double)(d - 1)) / sqrt((double)d) : NAN;
  return d ? (double)retrieved / ((double)d * (double)n) : NAN;
}

/* Work space of one summary pass: this rank's points, and per batch their rows, the new values,
 * and (repair only) the stored values and the points whose value changed. */
typedef struct output_sum_ws {
  int64_t *mine, *changed;
  float *m;
  double *vals, *stored;
  bool repair;     /* write only the values that differ from the stored ones */
  int64_t written; /* values written, summed over the ranks */
} output_sum_ws_t;

/* Stored and recomputed summary equal: the same bits, or both NaN (no done sample). */
static bool output_same_value(double a, double b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Writes summary variable v of points mine[0..cnt) from vals. In repair mode it first reads the
 * stored values, keeps the points whose value differs and writes nothing when no rank has one
 * (the same decision on every rank). */
static int output_summary_write(output_t *o, int v, const int64_t *mine, int64_t cnt,
                                output_sum_ws_t *w, err_t *e) {
  if (!w->repair) {
    CHECK(e, output_xfer(o, true, v, 3, mine, cnt, w->vals, e));
    return 0;
  }
  CHECK(e, output_xfer(o, false, v, 3, mine, cnt, w->stored, e));
  int64_t n = 0, all = 0;
  for (int64_t j = 0; j < cnt; j++)
    if (!output_same_value(w->stored[j], w->vals[j])) {
      w->changed[n] = mine[j];
      w->vals[n++] = w->vals[j];
    }
  MPI_Allreduce(&n, &all, 1, MPI_INT64_T, MPI_SUM, o->comm);
  if (all == 0)
    return 0;
  w->written += all;
  return output_xfer(o, true, v, 3, w->changed, n, w->vals, e);
}

/* One batch: for every result variable that has summaries, reads the rows of points
 * mine[0..cnt) and writes each of its summaries. The work space holds cap points. */
static int output_summarize_batch(output_t *o, const int64_t *mine, int64_t cnt, output_sum_ws_t *w,
                                  err_t *e) {
  const output_schema_t *s = &o->schema;
  for (int src = 0; src < s->nvars; src++) {
    bool has = false;
    for (int v = 0; v < s->nvars; v++)
      has = has || s->var[v].source == src;
    if (!has)
      continue; /* the same decision on every rank */
    int64_t n = s->var[src].shape[4];
    CHECK(e, output_xfer(o, false, src, 3, mine, cnt, w->m, e));
    for (int v = 0; v < s->nvars; v++) {
      if (s->var[v].source != src)
        continue;
      for (int64_t j = 0; j < cnt; j++)
        w->vals[j] = output_point_stat(w->m + j * o->S * n, o->done + mine[j] * o->S, o->S, n,
                                       o->threshold, s->var[v].def->stat);
      CHECK(e, output_summary_write(o, v, mine, cnt, w, e));
    }
  }
  return 0;
}

/* The summaries of points pts[0..npts); repair: only those that differ from the stored ones,
 * *written (may be NULL) gets how many values were written over all ranks. */
static int output_summarize_pass(output_t *o, const int64_t *pts, int64_t npts, bool repair,
                                 int64_t *written, err_t *e) {
  int64_t nmax = 0;
  for (int k = 0; k < PROBE_KINDS_MAX; k++)
    if (o->n[k] > nmax)
      nmax = o->n[k];
  if (written)
    *written = 0;
  if (npts == 0 || nmax == 0)
    return 0; /* the same on every rank */
  int64_t per = o->S * nmax;
  int64_t batch = OUTPUT_SUMMARY_BATCH_FLOATS / per;
  if (batch < 1)
    batch = 1;
  int64_t nmine = 0;
  for (int64_t i = o->rank; i < npts; i += o->size)
    nmine++;
  int64_t nb = (nmine + batch - 1) / batch, nb_all = 0;
  MPI_Allreduce(&nb, &nb_all, 1, MPI_INT64_T, MPI_MAX, o->comm);
  size_t cap = (size_t)(nmine < batch ? nmine : batch) + 1;
  output_sum_ws_t w = {.repair = repair};
  int rc = util_alloc((void **)&w.mine, (size_t)nmine + 1, sizeof *w.mine, "summary", e);
  if (!rc)
    rc = util_alloc((void **)&w.m, cap * (size_t)per, sizeof *w.m, "summary", e);
  if (!rc)
    rc = util_alloc((void **)&w.vals, cap, sizeof *w.vals, "summary", e);
  if (!rc)
    rc = util_alloc((void **)&w.stored, cap, sizeof *w.stored, "summary", e);
  if (!rc)
    rc = util_alloc((void **)&w.changed, cap, sizeof *w.changed, "summary", e);
  TRY(e, rc, agree_relay(o->comm, rc, e), done);
  /* Points are dealt round-robin over the ranks; batches bound the memory. */
  for (int64_t i = o->rank, j = 0; i < npts; i += o->size)
    w.mine[j++] = pts[i];
  for (int64_t b = 0; b < nb_all; b++) {
    int64_t lo = b * batch < nmine ? b * batch : nmine;
    int64_t cnt = nmine - lo < batch ? nmine - lo : batch;
    TRY(e, rc, output_summarize_batch(o, w.mine + lo, cnt, &w, e), done);
  }
  if (written)
    *written = w.written;
done:
  free(w.changed);
  free(w.stored);
  free(w.vals);
  free(w.m);
  free(w.mine);
  return rc;
}

int output_summarize(output_t *o, const int64_t *pts, int64_t npts, err_t *e) {
  return output_summarize_pass(o, pts, npts, false, NULL, e);
}

/* A kill between an epoch's done flags and its summaries leaves the summaries of its points
 * behind the done flags. The resume recomputes every point with a done sample and writes only
 * the values that differ: after a clean stop nothing, so a resume on a full or failing disk does
 * not write before its first epoch. */
int output_summarize_all_done(output_t *o, err_t *e) {
  int64_t *pts = NULL, np = 0, written = 0;
  int rc = util_alloc((void **)&pts, (size_t)o->points, sizeof *pts, "summary points", e);
  if (!rc)
    for (int64_t p = 0; p < o->points; p++)
      for (int64_t s = 0; s < o->S; s++)
        if (o->done[p * o->S + s]) {
          pts[np++] = p;
          break;
        }
  TRY(e, rc, agree_relay(o->comm, rc, e), done);
  TRY(e, rc, output_summarize_pass(o, pts, np, true, &written, e), done);
  if (written > 0) /* the same on every rank */
    TRY(e, rc, output_flush(o, e), done);
done:
  free(pts);
  return rc;
}
