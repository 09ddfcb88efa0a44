/* config: table of bad configs (each with the exact FILE:LINE:COL and key of its error), good
 * configs (defaults, ranges, dense, hopfield axes), canonical round trip, sha and diff. */
#include "hopscan/config.h"
#include "hopscan/util.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A valid rfhm core (lines 1-4) that bad cases extend. */
#define CORE "N: 100\nalpha: [0.1, 0.2]\nalpha_D: [0.1, 0.2]\nL: [1, 3]\n"

static const struct bad {
  const char *yaml;
  const char *where; /* expected "LINE:COL: key" right after the name */
  const char *also;  /* another expected fragment of the message, or NULL */
} bad_cases[] = {
    /* wrong types and strict numbers */
    {"N: abc\n", "1:4: N", "not an integer"},
    {"N: 2.5\n", "1:4: N", "2.5 is not an integer"},
    {"N: 1\n", "1:4: N", "out of range"},
    {"N: [100, 200]\n", "1:4: N", "got a list"},
    {"N: \"400\"\n", "1:4: N", "quoted string"},
    {"N: 100x\n", "1:4: N", "not an integer"},
    {"N: 0x64\n", "1:4: N", "not an integer"},
    {"N: {a: 1}\n", "1:4: N", "got a mapping"},
    {"# a comment\nN:\nalpha: [0.1]\n", "2:3: N", "missing value"},
    {CORE "samples: 0\n", "5:10: samples", "out of range (must be >= 1"},
    {CORE "retrieval_threshold: 1.5\n", "5:22: retrieval_threshold", "(-1, 1]"},
    {CORE "retrieval_threshold: -1\n", "5:22: retrieval_threshold", "out of range"},
    {CORE "retrieval_threshold: .nan\n", "5:22: retrieval_threshold", "not a number"},
    {CORE "seed: -1\n", "5:7: seed", "out of range"},
    {CORE "seed: 18446744073709551616\n", "5:7: seed", "2^64-1"},
    {CORE "model: rfm\n", "5:8: model", "not one of: rfhm, hopfield"},
    {CORE "coefficients: gauss\n", "5:15: coefficients", "pm1, gaussian"},
    /* unknown and duplicate keys */
    {CORE "sample: 3\n", "5:1: sample", "did you mean 'samples'"},
    {"N: 100\nalpha: [0.1]\nalpha_d: [0.1]\nL: [1]\n", "3:1: alpha_d", "did you mean 'alpha_D'"},
    {CORE "probes: {trian: 3}\n", "5:10: probes.trian", "did you mean 'train'"},
    {CORE "dynamics:\n  order: random\n  max_sweep: 10\n", "7:3: dynamics.max_sweep",
     "did you mean 'max_sweeps'"},
    {CORE "colour: blue\n", "5:1: colour", "expected one of: model, N, alpha"},
    {CORE "N: 200\n", "5:1: N", "duplicate key (first given on line 1)"},
    {CORE "probes:\n  train: 1\n  train: 2\n", "7:3: probes.train", "duplicate key"},
    /* sections */
    {CORE "dynamics: 5\n", "5:11: dynamics", "expected a mapping"},
    {CORE "dynamics: {order: backward}\n", "5:19: dynamics.order", "random, cyclic"},
    {CORE "dynamics: {max_sweeps: 0}\n", "5:24: dynamics.max_sweeps", "out of range"},
    {CORE "checkpoint: {every_seconds: 0}\n", "5:29: checkpoint.every_seconds", "must be > 0"},
    {CORE "parallel: {group_size: 0}\n", "5:24: parallel.group_size", "out of range"},
    {CORE "parallel: {block_size: 2.5}\n", "5:24: parallel.block_size", "not an integer"},
    {CORE "parallel: {mem_per_rank: 4X}\n", "5:26: parallel.mem_per_rank", "not a byte count"},
    {CORE "parallel: {mem_per_rank: 0}\n", "5:26: parallel.mem_per_rank", "must be > 0"},
    /* axes */
    {"N: 100\nalpha: []\n", "2:8: alpha", "empty list"},
    {"N: 100\nalpha: 0.1\n", "2:8: alpha", "expected a list"},
    {"N: 100\nalpha: [0.1, -0.2]\n", "2:14: alpha[1]", "-0.2 is out of range (must be > 0)"},
    {"N: 100\nalpha: [0.1, [0.2]]\n", "2:14: alpha[1]", "got a list"},
    {"N: 100\nalpha: [0.1, 0.2, 0.1]\n", "2:19: alpha[2]", "repeats alpha[0]"},
    {"N: 100\nalpha:\n  - 0.1\n  - zero\n", "4:5: alpha[1]", "'zero' is not a number"},
    {"N: 100\nalpha: {start: 0.1, stop: 1, num: 0}\n", "2:35: alpha.num", "out of range"},
    {"N: 100\nalpha: {start: 0.1, num: 3}\n", "2:8: alpha", "missing: stop"},
    {"N: 100\nalpha: {start: 0.1, stop: 1, num: 3, spacing: cubic}\n", "2:47: alpha.spacing",
     "lin, log"},
    {"N: 100\nalpha: {start: 0.1, stop: 1, steps: 3}\n", "2:30: alpha.steps", "did you mean"},
    {"N: 100\nalpha: {start: 0, stop: 1, num: 3, spacing: log}\n", "2:16: alpha.start",
     "must be > 0"},
    {"N: 100\nalpha: {start: 0.1, stop: 1, num: 1}\n", "2:35: alpha.num", "start == stop"},
    {"N: 100\nalpha: {start: 0.1, stop: 1, num: 2.5}\n", "2:35: alpha.num", "not an integer"},
    {"N: 100\nalpha: [0.1]\nalpha_D: [0.05, -0.1]\nL: [1]\n", "3:17: alpha_D[1]",
     "-0.1 is out of range (must be > 0)"},
    {"N: 100\nalpha: [0.1]\nalpha_D: [0.1]\nL: []\n", "4:4: L", "empty list"},
    {"N: 100\nalpha: [0.1]\nalpha_D: [0.1]\nL: [0]\n", "4:5: L[0]", "out of range"},
    {"N: 100\nalpha: [0.1]\nalpha_D: [0.1]\nL: [1, sparse]\n", "4:8: L[1]", "nor dense"},
    {"N: 100\nalpha: [0.1]\nalpha_D: [0.1]\nL: 3\n", "4:4: L", "expected a list"},
    {"N: 100\nalpha: [0.1]\nalpha_D: [0.1]\nL: [dense, 3, dense]\n", "4:15: L[2]", "repeats"},
    /* model hopfield */
    {"model: hopfield\nN: 100\nalpha: [0.1]\nalpha_D: [0.1]\n", "4:1: alpha_D",
     "not used by model hopfield"},
    {"model: hopfield\nN: 100\nalpha: [0.1]\ncoefficients: pm1\n", "4:1: coefficients",
     "not used by model hopfield"},
    {"model: hopfield\nN: 100\nalpha: [0.1]\nprobes: {feature: 2}\n", "4:19: probes.feature",
     "must be 0 for model hopfield"},
    /* missing keys */
    {"alpha: [0.1]\nalpha_D: [0.1]\nL: [1]\n", "1:1: N", "missing required key"},
    {"N: 100\nalpha: [0.1]\n", "1:1: alpha_D", "also missing: L"},
    {"model: hopfield\nN: 100\n", "1:1: alpha", "missing required key"},
    /* cross-key checks */
    {"N: 100\nalpha: [0.1]\nalpha_D: [0.05]\nL: [1, 7]\n", "4:8: L[1]",
     "7 exceeds D = round(alpha_D*N) = 5"},
    {"N: 100\nalpha: [0.05, 0.2]\nalpha_D: [0.1]\nL: [1]\nprobes: {train: 8}\n",
     "5:17: probes.train", "exceeds P = 5"},
    {"N: 100\nalpha: [0.1]\nalpha_D: [0.1, 0.05]\nL: [1]\n", "3:16: probes.feature",
     "exceeds D = 5"},
    {"N: 100\nalpha: [0.1, 0.001]\nalpha_D: [0.1]\nL: [1]\n", "2:14: alpha[1]", "P = round"},
    {"N: 100\nalpha: {start: 0.001, stop: 0.1, num: 3, spacing: log}\nalpha_D: [0.1]\nL: [1]\n",
     "2:8: alpha[0]", "P = round"},
    {"N: 100\nalpha: [0.1]\nalpha_D: [0.1, 0.001]\nL: [1]\n", "3:16: alpha_D[1]", "D = round"},
    {"N: 100000\nalpha: [0.1, 200]\nalpha_D: [0.1]\nL: [1]\n", "2:14: alpha[1]", "2^24"},
    {"N: 2000000000\nalpha: [0.001]\nalpha_D: [0.1]\nL: [1]\n", "2:9: alpha[0]", "2^62"},
    {CORE "probes: {train: 0, test: 0, feature: 0}\n", "5:17: probes", "no probes"},
    /* mixture probes */
    {CORE "probes: {mixture: {sizes: [3, 4]}}\n", "5:31: probes.mixture.sizes[1]", "4 is even"},
    {CORE "probes: {mixture: {sizes: [1]}}\n", "5:28: probes.mixture.sizes[0]", "out of range"},
    {CORE "probes: {mixture: {sizes: [3, 3]}}\n", "5:31: probes.mixture.sizes[1]", "repeats"},
    {CORE "probes: {mixture: {sizes: 3}}\n", "5:27: probes.mixture.sizes", "expected a list"},
    {CORE "probes: {mixture: {sizes: [dense]}}\n", "5:28: probes.mixture.sizes[0]",
     "not an integer"},
    {CORE "probes: {mixture: {sizes: [3, 15]}}\n", "5:31: probes.mixture.sizes[1]",
     "exceeds D = 10"},
    {CORE "probes: {mixture: {count: 4}}\n", "5:20: probes.mixture.count", "without"},
    {CORE "probes: {mixture: {count: -1, sizes: [3]}}\n", "5:27: probes.mixture.count",
     "out of range"},
    {CORE "probes: {mixture: {size: [3]}}\n", "5:20: probes.mixture.size", "did you mean 'sizes'"},
    {CORE "probes: {mixture: 3}\n", "5:19: probes.mixture", "expected a mapping"},
    {"model: hopfield\nN: 100\nalpha: [0.05]\nprobes: {train: 2, mixture: {sizes: [7]}}\n",
     "4:38: probes.mixture.sizes[0]", "exceeds P = 5"},
/* search */
#define SRCH "N: 100\nalpha_D: [0.1, 0.2]\nL: [1, 3]\n"
    {CORE "search: {along: alpha, range: [0.1, 1]}\n", "2:1: alpha", "not used with search.along"},
    {SRCH "search: {along: alpha}\n", "1:1: search.range", "missing required key"},
    {SRCH "search: {level: 0.5}\n", "4:10: search.level", "given without search.along"},
    {SRCH "search: {along: alpha, range: [1, 0.1]}\n", "4:31: search.range", "0 < lo < hi"},
    {SRCH "search: {along: alpha, range: [0.1]}\n", "4:31: search.range", "[lo, hi]"},
    {SRCH "search: {along: alpha, range: [0.100, 0.104]}\n", "4:31: search.range",
     "only 1 distinct"},
    {SRCH "search: {along: alpha, range: [0.1, 1], statistic: median}\n", "4:52: search.statistic",
     "'median' is not one of"},
    {SRCH "probes: {test: 0}\nsearch: {along: alpha, range: [0.1, 1]}\n", "1:1: search.observable",
     "test has no probes"},
    {SRCH "search: {along: alpha, range: [0.1, 1], max_samples: 3}\n", "4:54: search.max_samples",
     "must be >= samples = 10"},
    {SRCH "search: {along: alpha, range: [0.1, 1], statistic: min_sample_mean, max_samples: 20}\n",
     "4:82: search.max_samples", "min_sample_mean"},
    {SRCH "search: {along: alpha, range: [0.1, 1], tolerance: 0}\n", "4:52: search.tolerance",
     "out of range"},
    {"N: 100\nalpha: [0.5]\nL: [1]\nsearch: {along: alpha_D, range: [0.01, 0.2]}\n"
     "probes: {feature: 4}\n",
     "5:19: probes.feature", "exceeds D = 1"},
#undef SRCH
    /* documents */
    {"", "1:1: empty config", NULL},
    {"# only a comment\n", "1:1: empty config", NULL},
    {"- N: 100\n", "1:1: the config must be a mapping", "got a list"},
    {"just text\n", "1:1: the config must be a mapping", "got a scalar"},
    {CORE "---\nN: 200\n", "6:1: only one YAML document", NULL},
    {"N: [100, 200\nalpha: [0.1]\n", "2:6: invalid YAML", "did not find expected ',' or ']'"},
    {"N: 100\n\talpha: [0.1]\n", "2:1: invalid YAML", "tab character"},
    {"N: 100\nalpha: [0.1]\n  L: 3\n", "3:3: invalid YAML", "did not find expected key"},
    {"N: 100\n[1]: 2\n", "2:1: keys must be names", "got a list"},
};

static void test_bad(void) {
  int n = (int)(sizeof bad_cases / sizeof bad_cases[0]);
  T_CHECK(n >= 25);
  for (int i = 0; i < n; i++) {
    const struct bad *b = &bad_cases[i];
    config_t c;
    err_t e;
    err_init(&e);
    int rc = config_load_string(&c, b->yaml, strlen(b->yaml), "t.yaml", &e);
    char want[256];
    snprintf(want, sizeof want, "t.yaml:%s", b->where);
    bool ok = rc == ERR_USAGE && e.code == ERR_USAGE && strncmp(e.msg, want, strlen(want)) == 0 &&
              (!b->also || strstr(e.msg, b->also));
    if (!ok) {
      fprintf(stderr, "bad case %d:\n---\n%s---\n  rc %d, message: %s\n  wanted: %s ... %s\n", i,
              b->yaml, rc, e.msg, want, b->also ? b->also : "");
      test_failures++;
    }
    /* On error the struct is left empty. */
    T_CHECK(c.alpha == NULL && c.alpha_D == NULL && c.L == NULL && c.path == NULL);
    config_free(&c);
  }
  /* Keys that name a position other than the first column: DESIGN.md's example shape. */
  const char *design = "model: rfhm\nN: 200\nalpha: [0.1]\n# features\n\n\nalpha_D:  [-0.1]\n"
                       "L: [1]\n";
  config_t c;
  err_t e;
  err_init(&e);
  T_EQ_I(config_load_string(&c, design, strlen(design), "demo.yaml", &e), ERR_USAGE);
  T_CHECK(strstr(e.msg, "demo.yaml:7:12: alpha_D[0]: -0.1 is out of range (must be > 0)"));
}

static int load(config_t *c, const char *yaml, err_t *e) {
  err_init(e);
  int rc = config_load_string(c, yaml, strlen(yaml), "good.yaml", e);
  if (rc)
    fprintf(stderr, "unexpected error: %s\n", e->msg);
  return rc;
}

static void test_defaults(void) {
  config_t c;
  err_t e;
  T_EQ_I(load(&c, "N: 100\nalpha: [0.1, 0.125]\nalpha_D: [0.1]\nL: [1, dense]\n", &e), 0);
  T_EQ_I(c.model, MODEL_RFHM);
  T_EQ_I(c.N, 100);
  T_EQ_I(c.n_alpha, 2);
  T_CHECK(c.alpha[0] == 0.1 && c.alpha[1] == 0.125);
  T_EQ_I(c.n_alpha_D, 1);
  T_EQ_I(c.n_L, 2);
  T_EQ_I(c.L[0], 1);
  T_EQ_I(c.L[1], 0);
  T_EQ_I(c.coefficients, COEF_PM1);
  T_EQ_I(c.samples, 10);
  T_EQ_I(c.probes[PROBE_TRAIN], 8);
  T_EQ_I(c.probes[PROBE_TEST], 8);
  T_EQ_I(c.probes[PROBE_FEATURE], 8);
  T_EQ_I(c.order, ORDER_RANDOM);
  T_EQ_I(c.max_sweeps, 200);
  T_CHECK(c.retrieval_threshold == 0.9);
  T_CHECK(c.seed == 1);
  T_CHECK(c.checkpoint_every_seconds == 300);
  T_EQ_I(c.group_size, 0);
  T_EQ_I(c.block_size, 64);
  T_CHECK(c.mem_per_rank == 0);
  T_CHECK(strcmp(c.path, "good.yaml") == 0);
  /* Derived sizes: P = llround(alpha N) (12.5 rounds away from zero), dense L = D. */
  T_EQ_I(config_P(&c, 0), 10);
  T_EQ_I(config_P(&c, 1), 13);
  T_EQ_I(config_D(&c, 0), 10);
  T_EQ_I(config_L_eff(&c, 0, 0), 1);
  T_EQ_I(config_L_eff(&c, 0, 1), 10);
  T_EQ_I(config_points(&c), 4);
  config_free(&c);
}

static void test_fixture_values(void) {
  /* probes.feature default with a small D: explicit value accepted when <= D. */
  config_t c;
  err_t e;
  T_EQ_I(load(&c, "N: 100\nalpha: [0.1]\nalpha_D: [0.05]\nL: [1]\nprobes: {feature: 5}\n", &e), 0);
  T_EQ_I(c.probes[PROBE_FEATURE], 5);
  config_free(&c);
  /* Every other key given, in block style, with integer forms and byte suffixes. */
  const char *all = "model: rfhm\n"
                    "N: 1e3\n"
                    "alpha: [0.5]\n"
                    "alpha_D: [0.01]\n"
                    "L: [dense]\n"
                    "coefficients: gaussian\n"
                    "samples: 3\n"
                    "probes:\n  train: 1\n  test: 0\n  feature: 2\n"
                    "dynamics:\n  order: cyclic\n  max_sweeps: 7\n"
                    "retrieval_threshold: -0.5\n"
                    "seed: 18446744073709551615\n"
                    "checkpoint: {every_seconds: 0.25}\n"
                    "parallel: {group_size: 3, block_size: 32, mem_per_rank: 1.5K}\n";
  T_EQ_I(load(&c, all, &e), 0);
  T_EQ_I(c.N, 1000);
  T_EQ_I(c.coefficients, COEF_GAUSSIAN);
  T_EQ_I(c.samples, 3);
  T_EQ_I(c.probes[PROBE_TRAIN], 1);
  T_EQ_I(c.probes[PROBE_TEST], 0);
  T_EQ_I(c.probes[PROBE_FEATURE], 2);
  T_EQ_I(c.order, ORDER_CYCLIC);
  T_EQ_I(c.max_sweeps, 7);
  T_CHECK(c.retrieval_threshold == -0.5);
  T_CHECK(c.seed == UINT64_MAX);
  T_CHECK(c.checkpoint_every_seconds == 0.25);
  T_EQ_I(c.group_size, 3);
  T_EQ_I(c.block_size, 32);
  T_CHECK(c.mem_per_rank == 1536);
  T_EQ_I(config_L_eff(&c, 0, 0), 10);
  config_free(&c);
  T_EQ_I(load(&c, CORE "parallel: {mem_per_rank: 4GiB}\n", &e), 0);
  T_CHECK(c.mem_per_rank == 4.0 * 1024 * 1024 * 1024);
  config_free(&c);
}

static void test_ranges(void) {
  config_t c;
  err_t e;
  T_EQ_I(load(&c,
              "N: 1000\nalpha: {start: 0.1, stop: 0.5, num: 5}\n"
              "alpha_D: {start: 0.01, stop: 1, num: 3, spacing: log}\nL: [1]\n",
              &e),
         0);
  T_EQ_I(c.n_alpha, 5);
  for (int i = 0; i < 5; i++)
    T_CHECK(fabs(c.alpha[i] - 0.1 * (i + 1)) < 1e-15);
  T_CHECK(c.alpha[0] == 0.1 && c.alpha[4] == 0.5); /* endpoints exact */
  T_EQ_I(c.n_alpha_D, 3);
  T_CHECK(c.alpha_D[0] == 0.01 && c.alpha_D[2] == 1.0);
  T_CHECK(fabs(c.alpha_D[1] - 0.1) < 1e-15);
  T_EQ_I(config_D(&c, 1), 100);
  config_free(&c);
  /* One-point range, decreasing range. */
  T_EQ_I(load(&c,
              "N: 100\nalpha: {start: 0.2, stop: 0.2, num: 1}\n"
              "alpha_D: {start: 0.3, stop: 0.1, num: 3, spacing: lin}\nL: [1]\n",
              &e),
         0);
  T_EQ_I(c.n_alpha, 1);
  T_CHECK(c.alpha[0] == 0.2);
  T_CHECK(c.alpha_D[0] == 0.3 && c.alpha_D[2] == 0.1 && fabs(c.alpha_D[1] - 0.2) < 1e-15);
  config_free(&c);
}

static void test_hopfield(void) {
  config_t c;
  err_t e;
  T_EQ_I(load(&c, "model: hopfield\nN: 200\nalpha: [0.05, 0.1, 0.15]\nprobes: {train: 4}\n", &e),
         0);
  T_EQ_I(c.model, MODEL_HOPFIELD);
  T_EQ_I(c.n_alpha_D, 1);
  T_CHECK(c.alpha_D[0] == 0);
  T_EQ_I(c.n_L, 1);
  T_EQ_I(c.L[0], 0);
  T_EQ_I(c.probes[PROBE_FEATURE], 0);
  T_EQ_I(c.probes[PROBE_TRAIN], 4);
  T_EQ_I(config_D(&c, 0), 0);
  T_EQ_I(config_L_eff(&c, 0, 0), 0);
  T_EQ_I(config_points(&c), 3);
  T_EQ_I(config_P(&c, 2), 30);
  char *text;
  T_OK(&e, config_canonical(&c, &text, &e));
  T_CHECK(!strstr(text, "alpha_D") && !strstr(text, "\nL:") && !strstr(text, "coefficients"));
  free(text);
  config_free(&c);
  /* probes.feature: 0 given explicitly is fine. */
  T_EQ_I(load(&c, "model: hopfield\nN: 200\nalpha: [0.1]\nprobes: {feature: 0}\n", &e), 0);
  config_free(&c);
}

static void test_points(void) {
  config_t c;
  err_t e;
  T_EQ_I(load(&c, "N: 100\nalpha: [0.1, 0.2, 0.3]\nalpha_D: [0.1, 0.2]\nL: [1, 2, 3, dense]\n", &e),
         0);
  T_EQ_I(config_points(&c), 24);
  int64_t k = 0;
  for (int64_t ia = 0; ia < 3; ia++)
    for (int64_t ib = 0; ib < 2; ib++)
      for (int64_t ic = 0; ic < 4; ic++, k++) {
        T_EQ_I(config_point_index(&c, ia, ib, ic), k);
        int64_t a, b, d;
        config_point_coords(&c, k, &a, &b, &d);
        T_CHECK(a == ia && b == ib && d == ic);
      }
  config_free(&c);
}

/* Canonical text parses back to the identical struct, and is a fixed point. */
static void roundtrip(const char *yaml) {
  config_t a, b;
  err_t e;
  if (load(&a, yaml, &e)) {
    test_failures++;
    return;
  }
  char *t1 = NULL, *t2 = NULL;
  T_OK(&e, config_canonical(&a, &t1, &e));
  err_init(&e);
  int rc = config_load_string(&b, t1, strlen(t1), "<canonical>", &e);
  if (rc) {
    fprintf(stderr, "canonical text does not load: %s\n%s", e.msg, t1);
    test_failures++;
    free(t1);
    config_free(&a);
    return;
  }
  T_OK(&e, config_canonical(&b, &t2, &e));
  T_CHECK(strcmp(t1, t2) == 0);
  /* Field by field, arrays bit for bit. */
  T_CHECK(a.model == b.model && a.N == b.N && a.coefficients == b.coefficients &&
          a.samples == b.samples && a.order == b.order && a.max_sweeps == b.max_sweeps &&
          a.seed == b.seed && a.group_size == b.group_size && a.block_size == b.block_size);
  T_CHECK(!memcmp(&a.retrieval_threshold, &b.retrieval_threshold, sizeof(double)));
  T_CHECK(!memcmp(&a.checkpoint_every_seconds, &b.checkpoint_every_seconds, sizeof(double)));
  T_CHECK(!memcmp(&a.mem_per_rank, &b.mem_per_rank, sizeof(double)));
  T_CHECK(!memcmp(a.probes, b.probes, sizeof a.probes));
  T_CHECK(a.n_alpha == b.n_alpha && a.n_alpha_D == b.n_alpha_D && a.n_L == b.n_L);
  if (a.n_alpha == b.n_alpha)
    T_CHECK(!memcmp(a.alpha, b.alpha, (size_t)a.n_alpha * sizeof(double)));
  if (a.n_alpha_D == b.n_alpha_D)
    T_CHECK(!memcmp(a.alpha_D, b.alpha_D, (size_t)a.n_alpha_D * sizeof(double)));
  if (a.n_L == b.n_L)
    T_CHECK(!memcmp(a.L, b.L, (size_t)a.n_L * sizeof(int32_t)));
  char *diff = NULL;
  err_init(&e);
  T_EQ_I(config_diff(&a, &b, &diff, &e), 0);
  T_CHECK(diff == NULL);
  char h1[65], h2[65];
  T_OK(&e, config_sha256(&a, h1, &e));
  T_OK(&e, config_sha256(&b, h2, &e));
  T_CHECK(strcmp(h1, h2) == 0 && strlen(h1) == 64);
  free(diff);
  free(t1);
  free(t2);
  config_free(&a);
  config_free(&b);
}

/* probes.mixture: one kind per size after train, test, feature; nested canonical text. */
static void test_mixture_kinds(void) {
  config_t c;
  err_t e;
  T_EQ_I(load(&c, CORE "probes: {test: 2, mixture: {sizes: [5, 3]}}\n", &e), 0);
  T_EQ_I(c.n_kinds, 5);
  T_CHECK(!strcmp(c.kinds[3].name, "mixture5") && !strcmp(c.kinds[4].name, "mixture3"));
  T_EQ_I(c.kinds[3].family, PROBE_MIXTURE);
  T_EQ_I(c.kinds[3].size, 5);
  T_CHECK(c.kinds[3].components && !c.kinds[0].components);
  T_EQ_I(c.probes[3], 8); /* count defaults to 8 */
  T_EQ_I(c.probes[4], 8);
  T_EQ_I(c.probes[PROBE_TEST], 2);
  char *text;
  T_OK(&e, config_canonical(&c, &text, &e));
  T_CHECK(strstr(text, "probes:\n  train: 8\n  test: 2\n  feature: 8\n  mixture:\n    count: 8\n"
                       "    sizes: [5, 3]\ndynamics:\n") != NULL);
  free(text);
  config_free(&c);
  T_EQ_I(load(&c, CORE, &e), 0);
  T_EQ_I(c.n_kinds, 3);
  config_free(&c);
}

static void test_canonical(void) {
  roundtrip(CORE);
  roundtrip("N: 777\nalpha: {start: 0.013, stop: 1.7, num: 11, spacing: log}\n"
            "alpha_D: {start: 0.01, stop: 0.3, num: 7}\nL: [1, 3, dense]\nprobes: {feature: 4}\n"
            "retrieval_threshold: 0.1\n");
  roundtrip("model: hopfield\nN: 1000\nalpha: [0.05, 0.138, 0.3333333333333333]\nseed: "
            "18446744073709551615\ncheckpoint: {every_seconds: 1e-3}\n"
            "parallel: {group_size: 2, mem_per_rank: 1.5G}\n");
  roundtrip("N: 100\nalpha: [1e-1, 2.5e-1]\nalpha_D: [0.1]\nL: [dense]\ncoefficients: gaussian\n"
            "dynamics: {order: cyclic, max_sweeps: 1}\nretrieval_threshold: -0.0\n");
  roundtrip(CORE "probes: {mixture: {count: 3, sizes: [7, 3]}}\n");
  roundtrip("model: hopfield\nN: 100\nalpha: [0.1]\nprobes: {mixture: {sizes: [5]}}\n");
  test_mixture_kinds();

  /* The canonical text itself: every key, defaults filled in, ranges expanded, table order. */
  config_t c;
  err_t e;
  T_EQ_I(load(&c,
              "# comment\nL: [2, dense]\nalpha_D: [0.1]\nalpha: {start: 0.1, stop: 0.3, num: 3}\n"
              "N: 100\nprobes: {test: 2}\n",
              &e),
         0);
  char *text;
  T_OK(&e, config_canonical(&c, &text, &e));
  const char *want = "model: rfhm\n"
                     "N: 100\n"
                     "alpha: [0.1, 0.2, 0.3]\n"
                     "alpha_D: [0.1]\n"
                     "L: [2, dense]\n"
                     "coefficients: pm1\n"
                     "samples: 10\n"
                     "probes:\n  train: 8\n  test: 2\n  feature: 8\n"
                     "dynamics:\n  order: random\n  max_sweeps: 200\n  engine: auto\n"
                     "retrieval_threshold: 0.9\n"
                     "seed: 1\n"
                     "checkpoint:\n  every_seconds: 300\n"
                     "parallel:\n  group_size: auto\n  block_size: 64\n  mem_per_rank: auto\n";
  if (strcmp(text, want) != 0) {
    fprintf(stderr, "canonical text differs:\n%s---\nwanted:\n%s", text, want);
    test_failures++;
  }
  /* The same scan written differently has the same hash; a changed value does not. */
  char h1[65], h2[65], h3[65];
  T_OK(&e, config_sha256(&c, h1, &e));
  config_t d;
  T_EQ_I(load(&d,
              "model: rfhm\nN: 1e2\nalpha: [0.1, 0.2, 0.3]\nalpha_D: {start: 0.1, stop: 0.1, num: "
              "1}\nL:\n  - 2\n  - dense\nsamples: 10\nprobes:\n  test: 2\n  train: 8\n",
              &e),
         0);
  T_OK(&e, config_sha256(&d, h2, &e));
  T_CHECK(strcmp(h1, h2) == 0);
  config_free(&d);
  T_EQ_I(load(&d,
              "N: 100\nalpha: [0.1, 0.2, 0.3]\nalpha_D: [0.1]\nL: [2, dense]\nseed: 2\n"
              "probes: {test: 2}\n",
              &e),
         0);
  T_OK(&e, config_sha256(&d, h3, &e));
  T_CHECK(strcmp(h1, h3) != 0);
  free(text);
  config_free(&c);
  config_free(&d);
}

static void test_diff(void) {
  config_t a, b;
  err_t e;
  T_EQ_I(load(&a, CORE, &e), 0);
  T_EQ_I(load(&b,
              "N: 200\nalpha: [0.1, 0.3]\nalpha_D: [0.1, 0.2]\nL: [1, 3]\nsamples: 3\n"
              "probes: {test: 8}\nparallel: {block_size: 32, group_size: 2}\n"
              "checkpoint: {every_seconds: 5}\ndynamics: {engine: couplings}\n",
              &e),
         0);
  char *diff = NULL;
  err_init(&e);
  T_EQ_I(config_diff(&a, &b, &diff, &e), 3);
  T_CHECK(diff && strstr(diff, "N: 100 != 200\n"));
  T_CHECK(diff && strstr(diff, "alpha: [0.1, 0.2] != [0.1, 0.3]\n"));
  T_CHECK(diff && strstr(diff, "samples: 10 != 3\n"));
  /* how the scan runs (group and block size, checkpoint period, engine) may change on resume */
  T_CHECK(diff && !strstr(diff, "parallel") && !strstr(diff, "checkpoint"));
  T_CHECK(diff && !strstr(diff, "engine"));
  T_CHECK(diff && !strstr(diff, "probes"));
  free(diff);
  config_free(&b);
  T_EQ_I(load(&b, "model: hopfield\nN: 100\nalpha: [0.1, 0.2]\n", &e), 0);
  err_init(&e);
  T_EQ_I(config_diff(&a, &b, &diff, &e), 5); /* model, alpha_D, L, coefficients, feature */
  T_CHECK(diff && strstr(diff, "model: rfhm != hopfield\n"));
  T_CHECK(diff && strstr(diff, "alpha_D: [0.1, 0.2] != (absent)\n"));
  T_CHECK(diff && strstr(diff, "probes.feature: 8 != 0\n"));
  free(diff);
  config_free(&a);
  config_free(&b);
}

static void test_files(void) {
  config_t c;
  err_t e;
  err_init(&e);
  T_EQ_I(config_load_file(&c, "/nonexistent/dir/none.yaml", &e), ERR_USAGE);
  T_CHECK(strstr(e.msg, "/nonexistent/dir/none.yaml: cannot open: No such file or directory"));
  config_free(&c);
  const char *src = getenv("HOPSCAN_SOURCE_DIR");
  if (src) {
    char path[4096];
    snprintf(path, sizeof path, "%s/configs/demo.yaml", src);
    T_OK(&e, config_load_file(&c, path, &e));
    T_CHECK(c.path && strcmp(c.path, path) == 0);
    T_EQ_I(c.N, 400);
    T_EQ_I(c.n_alpha, 8);
    config_free(&c);
  }
}

int main(void) {
  test_bad();
  test_defaults();
  test_fixture_values();
  test_ranges();
  test_hopfield();
  test_points();
  test_canonical();
  test_diff();
  test_files();
  return test_finish("test_config");
}
