/* output_summary: the summaries (ROLE_SUMMARY variables of the schema) over the done samples of
 * each grid point, recomputed from the file's result rows. Collective. Computed in sample order
 * with Welford's update, so identical for any number of ranks. */
#include "output_internal.h"

#include "hopscan/util.h"

#include <math.h>
#include <stdlib.h>

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

/* One batch: for every result variable that has summaries, reads the rows of points
 * mine[0..cnt) and writes each of its summaries. m and vals hold cap points. */
static int output_summarize_batch(output_t *o, const int64_t *mine, int64_t cnt, float *m,
                                  double *vals, err_t *e) {
  const output_schema_t *s = &o->schema;
  for (int src = 0; src < s->nvars; src++) {
    bool has = false;
    for (int v = 0; v < s->nvars; v++)
      has = has || s->var[v].source == src;
    if (!has)
      continue; /* the same decision on every rank */
    int64_t n = s->var[src].shape[4];
    CHECK(e, output_xfer(o, false, src, 3, mine, cnt, m, e));
    for (int v = 0; v < s->nvars; v++) {
      if (s->var[v].source != src)
        continue;
      for (int64_t j = 0; j < cnt; j++)
        vals[j] = output_point_stat(m + j * o->S * n, o->done + mine[j] * o->S, o->S, n,
                                    o->threshold, s->var[v].def->stat);
      CHECK(e, output_xfer(o, true, v, 3, mine, cnt, vals, e));
    }
  }
  return 0;
}

int output_summarize(output_t *o, const int64_t *pts, int64_t npts, err_t *e) {
  int64_t nmax = 0;
  for (int k = 0; k < PROBE_KINDS_MAX; k++)
    if (o->n[k] > nmax)
      nmax = o->n[k];
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
  int64_t cap = nmine < batch ? nmine : batch;
  int64_t *mine = NULL;
  float *m = NULL;
  double *vals = NULL;
  int rc = util_alloc((void **)&mine, (size_t)(nmine ? nmine : 1), sizeof *mine, "summary", e);
  if (!rc)
    rc = util_alloc((void **)&m, (size_t)(cap ? cap : 1) * (size_t)per, sizeof *m, "summary", e);
  if (!rc)
    rc = util_alloc((void **)&vals, (size_t)(cap ? cap : 1), sizeof *vals, "summary", e);
  TRY(e, rc, agree_relay(o->comm, rc, e), done);
  /* Points are dealt round-robin over the ranks; batches bound the memory. */
  for (int64_t i = o->rank, j = 0; i < npts; i += o->size)
    mine[j++] = pts[i];
  for (int64_t b = 0; b < nb_all; b++) {
    int64_t lo = b * batch < nmine ? b * batch : nmine;
    int64_t cnt = nmine - lo < batch ? nmine - lo : batch;
    TRY(e, rc, output_summarize_batch(o, mine + lo, cnt, m, vals, e), done);
  }
done:
  free(vals);
  free(m);
  free(mine);
  return rc;
}

int output_summarize_all_done(output_t *o, err_t *e) {
  int64_t *pts = NULL, np = 0;
  int rc = util_alloc((void **)&pts, (size_t)o->points, sizeof *pts, "summary points", e);
  if (!rc)
    for (int64_t p = 0; p < o->points; p++)
      for (int64_t s = 0; s < o->S; s++)
        if (o->done[p * o->S + s]) {
          pts[np++] = p;
          break;
        }
  TRY(e, rc, agree_relay(o->comm, rc, e), done);
  TRY(e, rc, output_summarize(o, pts, np, e), done);
  TRY(e, rc, output_flush(o, e), done);
done:
  free(pts);
  return rc;
}
