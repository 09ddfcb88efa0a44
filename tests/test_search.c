/* search: the transition search's decisions on synthetic statistics with known crossings —
 * located within the tolerance, every crossing of a reentrant curve found, top-ups only where the
 * interval straddles the level and never past max_samples — and their independence of the order
 * in which tasks finish and of a kill and resume (the same requests and the same report bits);
 * min_sample_mean: provisional points, verified bracket ends.
 * Also the lattice (distinct, odd, ends) and the canonical round trip of a search config. */
#include "hopscan/config.h"
#include "hopscan/search.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 3 lines (alpha_D x L = 1 x 3) along alpha over [0.01, 4] at N = 2000. */
static const char *cfg_text = "N: 2000\nalpha_D: [0.02]\nL: [1, 3, dense]\nsamples: 4\n"
                              "probes: {train: 8, test: 8, feature: 8}\n"
                              "search: {along: alpha, range: [0.01, 4], observable: test,\n"
                              "         statistic: %s, level: 0.5, tolerance: 0.02, coarse: 8}\n";

typedef enum { CURVE_STEP, CURVE_REENTRANT } curve_t;

typedef struct world {
  curve_t curve;
  double noise; /* per-sample noise amplitude */
} world_t;

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

/* Crossing of line l's curve: 0.05, 0.2, 0.8 (step down), or a dip below the level between
 * 0.1 and 0.4 times (l + 1) (reentrant). */
static double truth(const world_t *w, int64_t line, double x) {
  double x0 = 0.05 * pow(4.0, (double)line);
  if (w->curve == CURVE_STEP)
    return 0.5 - 0.5 * tanh(3.0 * log10(x / x0));
  double a = 0.1 * (double)(line + 1), b = 0.4 * (double)(line + 1);
  return x > a && x < b ? 0.2 : 0.9;
}

static search_digest_t digest(const world_t *w, const search_t *s, int64_t id) {
  int64_t point = id / s->S_max, line = search_line_of(s->c, point);
  int64_t ia, ib, ic;
  config_point_coords(s->c, point, &ia, &ib, &ic);
  double u = (double)(mix64((uint64_t)id * 2654435761u + 7) >> 11) / 9007199254740992.0;
  double m = truth(w, line, s->c->alpha[ia]) + w->noise * (2 * u - 1);
  return (search_digest_t){.mean = m, .frac = m > 0.5 ? 1.0 : 0.0};
}

/* Runs the search to the end, W tasks in flight, finishing them in a pseudo-random order
 * (W = 1: in order). Stops after `stop_after` recorded tasks when >= 0 (a kill): the recorded
 * ids are returned in done[]. */
static int64_t drive(search_t *s, const world_t *w, int W, uint64_t seed, int64_t stop_after,
                     int64_t *done) {
  err_t e;
  int64_t inflight[64], n_in = 0, n_done = 0;
  T_OK(&e, search_advance(s, &e));
  for (;;) {
    while (n_in < W) {
      int64_t id = search_next(s);
      if (id < 0)
        break;
      inflight[n_in++] = id;
    }
    if (n_in == 0)
      break;
    int64_t pick = W == 1 ? 0 : (int64_t)(mix64(seed++) % (uint64_t)n_in);
    int64_t id = inflight[pick];
    inflight[pick] = inflight[--n_in];
    search_digest_t d = digest(w, s, id);
    search_record(s, id, &d);
    if (done)
      done[n_done] = id;
    n_done++;
    if (stop_after >= 0 && n_done == stop_after)
      return n_done;
    T_OK(&e, search_advance(s, &e));
  }
  T_CHECK(search_finished(s));
  return n_done;
}

static void load(config_t *c, const char *stat) {
  char text[1024];
  snprintf(text, sizeof text, cfg_text, stat);
  err_t e;
  T_OK(&e, config_load_string(c, text, strlen(text), "search.yaml", &e));
}

/* Equal requests and equal report bits. */
static bool same(const search_t *a, const search_t *b, const config_t *c) {
  err_t e;
  search_report_t ra, rb;
  T_OK(&e, search_report_init(&ra, c, &e));
  T_OK(&e, search_report_init(&rb, c, &e));
  search_report_fill(a, &ra);
  search_report_fill(b, &rb);
  size_t nc = (size_t)(ra.n_lines * ra.n_cross);
  bool eq = !memcmp(a->req, b->req, (size_t)a->points * sizeof *a->req) &&
            !memcmp(ra.stat, rb.stat, (size_t)ra.points * sizeof(double)) &&
            !memcmp(ra.halfwidth, rb.halfwidth, (size_t)ra.points * sizeof(double)) &&
            !memcmp(ra.n_crossings, rb.n_crossings, (size_t)ra.n_lines * sizeof(int32_t)) &&
            !memcmp(ra.value, rb.value, nc * sizeof(double)) &&
            !memcmp(ra.ci_lo, rb.ci_lo, nc * sizeof(double)) &&
            !memcmp(ra.ci_hi, rb.ci_hi, nc * sizeof(double));
  search_report_free(&ra);
  search_report_free(&rb);
  return eq;
}

static void test_lattice(void) {
  config_t c;
  load(&c, "mean");
  T_CHECK(c.n_alpha > 200 && c.n_alpha < 262); /* 2.6 decades / 0.01, duplicates removed */
  T_CHECK(fabs(c.alpha[0] - 0.01) < 1e-12 && fabs(c.alpha[c.n_alpha - 1] - 4.0) < 1e-12);
  for (int64_t i = 1; i < c.n_alpha; i++) {
    T_CHECK(config_P(&c, i) > config_P(&c, i - 1));
    /* spacing tolerance / 2, widened by the rounding to integers */
    T_CHECK(log10(c.alpha[i] / c.alpha[i - 1]) <=
            0.0101 + log10(1.0 + 1.0 / (double)config_P(&c, i - 1)));
  }
  T_EQ_I(config_samples_dim(&c), 8); /* auto: 2 * samples */
  /* canonical round trip: no alpha key, the same lattice */
  err_t e;
  char *t1 = NULL, *t2 = NULL;
  T_OK(&e, config_canonical(&c, &t1, &e));
  T_CHECK(t1 && !strstr(t1, "\nalpha:") && strstr(t1, "search:"));
  config_t c2;
  T_OK(&e, config_load_string(&c2, t1, strlen(t1), "<canonical>", &e));
  T_EQ_I(c2.n_alpha, c.n_alpha);
  T_CHECK(!memcmp(c2.alpha, c.alpha, (size_t)c.n_alpha * sizeof(double)));
  T_OK(&e, config_canonical(&c2, &t2, &e));
  T_CHECK(t1 && t2 && !strcmp(t1, t2));
  free(t1);
  free(t2);
  config_free(&c2);
  config_free(&c);
  /* odd integers along alpha_D */
  const char *odd = "N: 1000\nalpha: [4]\nL: [dense]\nsamples: 10\nprobes: {feature: 4}\n"
                    "search: {along: alpha_D, range: [0.005, 0.05], odd: true, "
                    "statistic: min_sample_mean}\n";
  T_OK(&e, config_load_string(&c, odd, strlen(odd), "odd.yaml", &e));
  T_EQ_I(config_D(&c, 0), 5);
  T_EQ_I(config_D(&c, c.n_alpha_D - 1), 49);
  T_EQ_I(c.n_alpha_D, 23); /* 5, 7, ..., 49 */
  for (int64_t i = 0; i < c.n_alpha_D; i++)
    T_EQ_I(config_D(&c, i) % 2, 1);
  T_EQ_I(config_samples_dim(&c), 10);
  config_free(&c);
}

static void test_step(void) {
  config_t c;
  load(&c, "mean");
  world_t w = {CURVE_STEP, 0.0};
  search_t s;
  err_t e;
  T_OK(&e, search_init(&s, &c, &e));
  int64_t n = drive(&s, &w, 1, 1, -1, NULL);
  search_report_t r;
  T_OK(&e, search_report_init(&r, &c, &e));
  search_report_fill(&s, &r);
  for (int64_t l = 0; l < 3; l++) {
    double x0 = 0.05 * pow(4.0, (double)l), *v = &r.value[l * r.n_cross];
    T_EQ_I(r.n_crossings[l], 1);
    T_EQ_I(r.line_done[l], 1);
    T_EQ_I(r.direction[l * r.n_cross], -1);
    T_CHECK(fabs(log10(v[0] / x0)) < 0.02);
    T_CHECK(r.lo[l * r.n_cross] <= x0 && r.hi[l * r.n_cross] >= x0);
    T_CHECK(log10(r.hi[l * r.n_cross] / r.lo[l * r.n_cross]) <= 0.02 + 1e-9);
    T_CHECK(isnan(r.value[l * r.n_cross + 1]));
  }
  /* no noise: no top-ups; the cost is far below the grid of the same resolution */
  for (int64_t p = 0; p < s.points; p++)
    T_CHECK(s.req[p] == 0 || s.req[p] == 4);
  double est, grid;
  search_estimate(&c, 1.0, &est, &grid);
  T_CHECK(n < grid / 3 && fabs((double)n - est) < 0.5 * est);
  search_report_free(&r);
  search_free(&s);
  config_free(&c);
}

static void test_reentrant(void) {
  config_t c;
  load(&c, "frac_retrieved");
  world_t w = {CURVE_REENTRANT, 0.0};
  search_t s;
  err_t e;
  T_OK(&e, search_init(&s, &c, &e));
  drive(&s, &w, 3, 5, -1, NULL);
  search_report_t r;
  T_OK(&e, search_report_init(&r, &c, &e));
  search_report_fill(&s, &r);
  for (int64_t l = 0; l < 3; l++) {
    const int64_t b = l * r.n_cross;
    T_EQ_I(r.n_crossings[l], 2);
    T_EQ_I(r.direction[b], -1);
    T_EQ_I(r.direction[b + 1], 1);
    T_CHECK(r.lo[b] <= 0.1 * (l + 1) && r.hi[b] >= 0.1 * (l + 1));
    T_CHECK(r.lo[b + 1] <= 0.4 * (l + 1) && r.hi[b + 1] >= 0.4 * (l + 1));
  }
  search_report_free(&r);
  search_free(&s);
  config_free(&c);
}

/* Runs the search of c in order into *a (the caller frees it) and checks that it makes the same
 * requests and report whatever the finishing order, and after a kill and resume (the resumed
 * search records what the file holds, in any order). Returns the tasks of the search. */
static int64_t check_order_and_resume(const config_t *c, const world_t *w, search_t *a_out) {
  err_t e;
  search_t a, b, k, rs;
  T_OK(&e, search_init(&a, c, &e));
  int64_t n = drive(&a, w, 1, 1, -1, NULL);
  T_OK(&e, search_init(&b, c, &e));
  drive(&b, w, 7, 99, -1, NULL);
  T_CHECK(same(&a, &b, c));
  /* kill after a third of the tasks, resume from the recorded ones in reverse order */
  int64_t *done = malloc((size_t)n * sizeof *done);
  T_OK(&e, search_init(&k, c, &e));
  int64_t got = drive(&k, w, 5, 3, n / 3, done);
  T_OK(&e, search_init(&rs, c, &e));
  for (int64_t i = got - 1; i >= 0; i--) {
    search_digest_t d = digest(w, &rs, done[i]);
    search_record(&rs, done[i], &d);
  }
  int64_t more = drive(&rs, w, 4, 11, -1, NULL);
  T_CHECK(same(&a, &rs, c));
  T_CHECK(got + more <= n + 4); /* at most the tasks in flight at the kill again */
  free(done);
  *a_out = a;
  search_free(&b);
  search_free(&k);
  search_free(&rs);
  return n;
}

/* Noisy mean: top-ups (F more, up to max_samples), order and resume independence. */
static void test_order_and_resume(void) {
  config_t c;
  load(&c, "mean");
  world_t w = {CURVE_STEP, 0.3};
  search_t a;
  check_order_and_resume(&c, &w, &a);
  int64_t topped = 0;
  for (int64_t p = 0; p < a.points; p++) {
    T_CHECK(a.req[p] <= 8);
    topped += a.req[p] > 4;
  }
  T_CHECK(topped > 0);
  search_free(&a);
  config_free(&c);
}

/* min_sample_mean, 6 samples, first batch 2: bisection counts a point whose samples so far are
 * all above as above; once its bracket is narrow, such an end is verified (2, 4, 6 samples) and
 * the bracket reopens if it fails. Every crossing ends between a point with all 6 samples above
 * and one with a sample below, within the tolerance or adjacent, for fewer samples than all 6 at
 * every point; the same bits for any finishing order and across kill and resume. */
static void test_first_samples(void) {
  const char *fmt = "N: 2000\nalpha_D: [0.02]\nL: [1, 3, dense]\nsamples: 6\n"
                    "probes: {test: 8}\nsearch: {along: alpha, range: [0.01, 4], "
                    "statistic: min_sample_mean, level: 0.5, coarse: 6%s}\n";
  char t1[512], t2[512];
  snprintf(t1, sizeof t1, fmt, "");
  snprintf(t2, sizeof t2, fmt, ", first_samples: 2");
  config_t c1, c2;
  err_t e;
  T_OK(&e, config_load_string(&c1, t1, strlen(t1), "all.yaml", &e));
  T_OK(&e, config_load_string(&c2, t2, strlen(t2), "first.yaml", &e));
  T_EQ_I(config_first_samples(&c2), 2);
  world_t w = {CURVE_STEP, 0.35};
  search_t a, b;
  T_OK(&e, search_init(&a, &c1, &e));
  int64_t na = drive(&a, &w, 1, 1, -1, NULL), nb = check_order_and_resume(&c2, &w, &b);
  search_report_t rb;
  T_OK(&e, search_report_init(&rb, &c2, &e));
  search_report_fill(&b, &rb);
  for (int64_t l = 0; l < rb.n_lines; l++) {
    T_EQ_I(rb.n_crossings[l], 1);
    const int64_t j = l * rb.n_cross;
    T_EQ_I(rb.direction[j], -1);
    int64_t klo = -1, khi = -1;
    for (int64_t k = 0; k < b.n_lat; k++) {
      klo = c2.alpha[k] == rb.lo[j] ? k : klo;
      khi = c2.alpha[k] == rb.hi[j] ? k : khi;
    }
    T_CHECK(klo >= 0 && khi > klo);
    int64_t lo = search_point(&b, l, klo), hi = search_point(&b, l, khi);
    double st, hw;
    T_CHECK(search_statistic(&b, lo, &st, &hw) && b.req[lo] == 6 && st > 0.5);
    T_CHECK(search_statistic(&b, hi, &st, &hw) && st <= 0.5);
    T_CHECK(khi == klo + 1 || log10(rb.hi[j] / rb.lo[j]) <= 0.02 + 1e-9);
  }
  T_CHECK(nb < na);
  int64_t provisional = 0, verified = 0; /* above with 2 samples: never verified, not needed */
  for (int64_t p = 0; p < b.points; p++) {
    double st, hw;
    T_CHECK(b.req[p] == 0 || b.req[p] == 2 || b.req[p] == 4 || b.req[p] == 6);
    provisional += b.req[p] == 2 && search_statistic(&b, p, &st, &hw) && st > 0.5;
    verified += b.req[p] > 2;
  }
  printf("min_sample_mean: %lld points provisional, %lld verified\n", (long long)provisional,
         (long long)verified);
  T_CHECK(provisional > 0 && verified >= 3);
  printf("min_sample_mean: %lld samples with all 6 at every point, %lld with a first batch of 2\n",
         (long long)na, (long long)nb);
  search_report_free(&rb);
  search_free(&a);
  search_free(&b);
  config_free(&c1);
  config_free(&c2);
}

int main(void) {
  test_first_samples();
  test_lattice();
  test_step();
  test_reentrant();
  test_order_and_resume();
  return test_finish("test_search");
}
