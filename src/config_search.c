/* config_search: the search section's derived values — the lattice of the searched axis and the
 * sample slots — and its cross-key checks (called by config_parse.c). See config.h. */
#include "hopscan/config.h"

#include "hopscan/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int64_t config_samples_dim(const config_t *c) {
  if (c->search.along == SEARCH_NONE)
    return c->samples;
  if (c->search.max_samples > 0)
    return c->search.max_samples;
  return c->search.statistic == STAT_MIN_SAMPLE_MEAN ? c->samples : 2 * c->samples;
}

int64_t config_first_samples(const config_t *c) {
  int64_t f = c->search.first_samples > 0 ? c->search.first_samples : c->samples;
  return f < config_samples_dim(c) ? f : config_samples_dim(c);
}

/* The integer nearest to y (odd: the odd integer nearest to y, ties down), at least 1. */
static int64_t lattice_integer(double y, int odd) {
  int64_t v = odd ? 2 * (int64_t)ceil((y - 1.0) / 2.0 - 0.5) + 1 : llround(y);
  return v < 1 ? 1 : v;
}

int config_search_lattice(const config_t *c, double **vals, int64_t *n, char *msg, size_t len) {
  *vals = NULL;
  *n = 0;
  const double lo = c->search.range[0], hi = c->search.range[1], N = (double)c->N;
  const double width = log10(hi / lo), h = c->search.tolerance / 2.0;
  const double steps = ceil(width / h - 1e-9);
  if (!(steps >= 1) || steps > 1e7 || hi * N >= 2147483647.0) {
    snprintf(msg, len,
             "[%g, %g] at tolerance %g gives %.0f lattice steps (need 1 .. 10^7) or "
             "values >= 2^31 at N = %lld",
             lo, hi, c->search.tolerance, steps, (long long)c->N);
    return -1;
  }
  int64_t m = (int64_t)steps, cnt = 0;
  double *v = malloc((size_t)(m + 1) * sizeof *v);
  if (!v) {
    snprintf(msg, len, "out of memory for %lld lattice points", (long long)m + 1);
    return -1;
  }
  int64_t last = 0;
  for (int64_t i = 0; i <= m; i++) {
    double x = i == m ? hi : lo * pow(10.0, width * (double)i / (double)m);
    int64_t k = lattice_integer(x * N, c->search.odd);
    if (k <= last)
      continue; /* distinct integers only */
    last = k;
    v[cnt++] = (double)k / N;
  }
  if (cnt < 2) {
    snprintf(msg, len,
             "[%g, %g] holds only %lld distinct %sinteger value(s) of round(x N) at "
             "N = %lld (need >= 2: widen the range)",
             lo, hi, (long long)cnt, c->search.odd ? "odd " : "", (long long)c->N);
    free(v);
    return -1;
  }
  *vals = v;
  *n = cnt;
  return 0;
}
