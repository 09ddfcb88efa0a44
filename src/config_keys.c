/* config_keys: the declarative key table (see config_keys.h) and the helpers that read it. */
#include "hopscan/config_keys.h"

#include <math.h>
#include <string.h>

static const char *const model_choices[] = {"rfhm", "hopfield", NULL};
static const char *const coef_choices[] = {"pm1", "gaussian", NULL};
static const char *const order_choices[] = {"random", "cyclic", NULL};
static const char *const engine_choices[] = {"auto", "couplings", "overlaps", NULL};
static const char *const along_choices[] = {"none", "alpha", "alpha_D", NULL};
static const char *const observable_choices[] = {"train", "test", "feature", NULL};
static const char *const statistic_choices[] = {"mean", "frac_retrieved", "min_sample_mean", NULL};
static const char *const bool_choices[] = {"false", "true", NULL};

#define OFF(f) offsetof(config_t, f)

const key_def config_keys[CONFIG_N_KEYS] = {
    {.name = "model",
     .type = KT_ENUM,
     .def = "rfhm",
     .choices = model_choices,
     .off = OFF(model),
     .type_text = "rfhm or hopfield",
     .range_text = "",
     .help = "model family: rfhm (random-features Hopfield model) or hopfield (classic, iid "
             "+-1 patterns)"},
    {.name = "N",
     .type = KT_INT,
     .flags = K_REQUIRED,
     .imin = 2,
     .imax = CONFIG_I31,
     .off = OFF(N),
     .type_text = "integer",
     .default_text = "required",
     .range_text = "2 .. 2^31-1",
     .help = "number of neurons"},
    {.name = "alpha",
     .type = KT_AXIS,
     .flags = K_REQUIRED,
     .off = OFF(alpha),
     .off_n = OFF(n_alpha),
     .type_text = "list or range",
     .default_text = "required",
     .range_text = "> 0; 1 <= round(alpha*N) < 2^24",
     .help = "pattern loads P/N: explicit list [a, b, ...] or {start, stop, num, spacing: "
             "lin or log}"},
    {.name = "alpha_D",
     .type = KT_AXIS,
     .flags = K_REQUIRED | K_RFHM_ONLY,
     .off = OFF(alpha_D),
     .off_n = OFF(n_alpha_D),
     .type_text = "list or range",
     .default_text = "required (rfhm)",
     .range_text = "> 0; round(alpha_D*N) >= 1",
     .help = "feature loads D/N, same forms as alpha (rfhm only)"},
    {.name = "L",
     .type = KT_LLIST,
     .flags = K_REQUIRED | K_RFHM_ONLY,
     .off = OFF(L),
     .off_n = OFF(n_L),
     .type_text = "list of int or dense",
     .default_text = "required (rfhm)",
     .range_text = "1 <= L <= D",
     .help = "non-zero features per example; dense means L = D (rfhm only)"},
    {.name = "coefficients",
     .type = KT_ENUM,
     .flags = K_RFHM_ONLY,
     .def = "pm1",
     .choices = coef_choices,
     .off = OFF(coefficients),
     .type_text = "pm1 or gaussian",
     .range_text = "",
     .help = "feature coefficients: +-1 or Gaussian (rfhm only)"},
    {.name = "samples",
     .type = KT_INT,
     .def = "10",
     .imin = 1,
     .imax = CONFIG_I31,
     .off = OFF(samples),
     .type_text = "integer",
     .range_text = ">= 1",
     .help = "disorder samples per grid point"},
    {.name = "probes.train",
     .type = KT_INT,
     .def = "8",
     .imin = 0,
     .imax = 1048576,
     .off = OFF(probes[PROBE_TRAIN]),
     .type_text = "integer",
     .range_text = "0 .. P",
     .help = "probes started at stored patterns (examples)"},
    {.name = "probes.test",
     .type = KT_INT,
     .def = "8",
     .imin = 0,
     .imax = 1048576,
     .off = OFF(probes[PROBE_TEST]),
     .type_text = "integer",
     .range_text = "0 .. 2^20",
     .help = "probes started at fresh examples (hopfield: fresh random patterns)"},
    {.name = "probes.feature",
     .type = KT_INT,
     .flags = K_ZERO_HOPFIELD,
     .def = "8",
     .imin = 0,
     .imax = 1048576,
     .off = OFF(probes[PROBE_FEATURE]),
     .type_text = "integer",
     .default_text = "8 (hopfield: 0)",
     .range_text = "0 .. D (hopfield: 0)",
     .help = "probes started at features"},
    {.name = "probes.mixture.count",
     .type = KT_INT,
     .flags = K_MIXTURE,
     .def = "8",
     .imin = 0,
     .imax = 1048576,
     .off = OFF(mixture_count),
     .type_text = "integer",
     .range_text = "0 .. 2^20",
     .help = "probes per mixture size (with probes.mixture.sizes)"},
    {.name = "probes.mixture.sizes",
     .type = KT_ILIST,
     .flags = K_MIXTURE,
     .imin = 3,
     .imax = 999,
     .off = OFF(mixture_sizes),
     .off_n = OFF(n_mixture_sizes),
     .type_text = "list of int",
     .default_text = "none",
     .range_text = "odd, 3 .. D (hopfield: P); at most 13",
     .help = "mixture probes: sign of a random signed sum of n features (hopfield: stored "
             "patterns), one kind mixtureN per size n"},
    {.name = "dynamics.order",
     .type = KT_ENUM,
     .def = "random",
     .choices = order_choices,
     .off = OFF(order),
     .type_text = "random or cyclic",
     .range_text = "",
     .help = "sequential update order: a fresh random permutation per sweep, or 0..N-1"},
    {.name = "dynamics.max_sweeps",
     .type = KT_INT,
     .def = "200",
     .imin = 1,
     .imax = CONFIG_I31,
     .off = OFF(max_sweeps),
     .type_text = "integer",
     .range_text = ">= 1",
     .help = "sweeps before a probe is given up (sweeps = -1)"},
    {.name = "dynamics.engine",
     .type = KT_ENUM,
     .flags = K_RUNTIME,
     .def = "auto",
     .choices = engine_choices,
     .off = OFF(engine),
     .type_text = "auto, couplings or overlaps",
     .range_text = "",
     .help = "how fields are computed, never what they are: from J (couplings), from the "
             "patterns without J (overlaps), or chosen per task by a measured cost model (auto)"},
    {.name = "retrieval_threshold",
     .type = KT_NUM,
     .def = "0.9",
     .dmin = -1,
     .dmax = 1,
     .dmin_open = true,
     .off = OFF(retrieval_threshold),
     .type_text = "number",
     .range_text = "(-1, 1]",
     .help = "overlap m above which a probe counts as retrieved"},
    {.name = "seed",
     .type = KT_SEED,
     .def = "1",
     .off = OFF(seed),
     .type_text = "integer",
     .range_text = "0 .. 2^64-1",
     .help = "seed of every random number in the scan"},
    {.name = "checkpoint.every_seconds",
     .type = KT_NUM,
     .flags = K_RUNTIME,
     .def = "300",
     .dmin = 0,
     .dmax = INFINITY,
     .dmin_open = true,
     .off = OFF(checkpoint_every_seconds),
     .type_text = "number",
     .range_text = "> 0",
     .help = "seconds between checkpoint flushes"},
    {.name = "parallel.group_size",
     .type = KT_AUTO_INT,
     .flags = K_RUNTIME,
     .def = "auto",
     .imin = 1,
     .imax = CONFIG_I31,
     .off = OFF(group_size),
     .type_text = "auto or integer",
     .range_text = ">= 1",
     .help = "ranks per worker group; auto: smallest that fits memory"},
    {.name = "parallel.block_size",
     .type = KT_INT,
     .flags = K_RUNTIME,
     .def = "64",
     .imin = 1,
     .imax = 65536,
     .off = OFF(block_size),
     .type_text = "integer",
     .range_text = "1 .. 65536",
     .help = "ScaLAPACK row block size"},
    {.name = "parallel.mem_per_rank",
     .type = KT_BYTES,
     .flags = K_RUNTIME,
     .def = "auto",
     .dmin = 0,
     .dmax = INFINITY,
     .dmin_open = true,
     .off = OFF(mem_per_rank),
     .type_text = "auto or bytes",
     .range_text = "> 0, suffix K/M/G/T",
     .help = "memory per rank for the automatic group size; auto: Slurm or /proc/meminfo"},
    {.name = "search.along",
     .type = KT_ENUM,
     .flags = K_SEARCH,
     .def = "none",
     .choices = along_choices,
     .off = OFF(search.along),
     .type_text = "none, alpha or alpha_D",
     .range_text = "",
     .help = "transition search along this axis (its key is then absent: the search makes its "
             "values); none: a grid scan"},
    {.name = "search.range",
     .type = KT_AXIS,
     .flags = K_SEARCH | K_REQUIRED,
     .off = OFF(search.range),
     .off_n = OFF(search.n_range),
     .type_text = "[lo, hi]",
     .default_text = "required (search)",
     .range_text = "0 < lo < hi",
     .help = "range of the searched axis, searched in log space"},
    {.name = "search.observable",
     .type = KT_ENUM,
     .flags = K_SEARCH,
     .def = "test",
     .choices = observable_choices,
     .off = OFF(search.observable),
     .type_text = "train, test or feature",
     .range_text = "its probes >= 1",
     .help = "probe kind whose overlaps decide"},
    {.name = "search.statistic",
     .type = KT_ENUM,
     .flags = K_SEARCH,
     .def = "mean",
     .choices = statistic_choices,
     .off = OFF(search.statistic),
     .type_text = "mean, frac_retrieved or min_sample_mean",
     .range_text = "",
     .help = "per point: mean overlap, fraction of probes retrieved, or the smallest per-sample "
             "mean (above the level = every sample above: D_gen)"},
    {.name = "search.level",
     .type = KT_NUM,
     .flags = K_SEARCH,
     .def = "0.9",
     .dmin = -1,
     .dmax = 1,
     .off = OFF(search.level),
     .type_text = "number",
     .range_text = "[-1, 1]",
     .help = "the level the statistic crosses at a transition"},
    {.name = "search.tolerance",
     .type = KT_NUM,
     .flags = K_SEARCH,
     .def = "0.02",
     .dmin = 0,
     .dmax = 1,
     .dmin_open = true,
     .off = OFF(search.tolerance),
     .type_text = "number",
     .range_text = "(0, 1]",
     .help = "final bracket width in log10 units (the lattice spacing is half of it)"},
    {.name = "search.coarse",
     .type = KT_INT,
     .flags = K_SEARCH,
     .def = "8",
     .imin = 2,
     .imax = 4096,
     .off = OFF(search.coarse),
     .type_text = "integer",
     .range_text = "2 .. 4096",
     .help = "log-spaced points of the first pass over the range"},
    {.name = "search.max_samples",
     .type = KT_AUTO_INT,
     .flags = K_SEARCH,
     .def = "auto",
     .imin = 1,
     .imax = CONFIG_I31,
     .off = OFF(search.max_samples),
     .type_text = "auto or integer",
     .range_text = ">= samples",
     .help = "samples at a point whose confidence interval straddles the level; auto: 2 * "
             "samples (min_sample_mean: samples)"},
    {.name = "search.first_samples",
     .type = KT_AUTO_INT,
     .flags = K_SEARCH,
     .def = "auto",
     .imin = 1,
     .imax = CONFIG_I31,
     .off = OFF(search.first_samples),
     .type_text = "auto or integer",
     .range_text = "1 .. samples",
     .help = "samples of a point's first batch and of each top-up; points decided early stop "
             "there (mean, frac_retrieved: interval clear of the level; min_sample_mean: a "
             "sample below it; a bracket's end with every sample above is verified, doubling "
             "its samples up to samples); auto: samples"},
    {.name = "search.odd",
     .type = KT_ENUM,
     .flags = K_SEARCH,
     .def = "false",
     .choices = bool_choices,
     .off = OFF(search.odd),
     .type_text = "false or true",
     .range_text = "",
     .help = "true: the searched integer (P or D) takes odd values only (dense examples without "
             "ties)"},
};
_Static_assert(sizeof config_keys / sizeof config_keys[0] == CONFIG_N_KEYS,
               "CONFIG_N_KEYS must equal the number of entries in config_keys[]");
_Static_assert(sizeof(model_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(coef_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(engine_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(order_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(search_axis) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(search_stat) == sizeof(int), "enums are stored as int");

bool config_key_searched(const key_def *k, const config_t *c) {
  return (c->search.along == SEARCH_ALPHA && k->off == OFF(alpha)) ||
         (c->search.along == SEARCH_ALPHA_D && k->off == OFF(alpha_D));
}

int config_key_index(const char *name) {
  for (int k = 0; k < CONFIG_N_KEYS; k++)
    if (!strcmp(config_keys[k].name, name))
      return k;
  return -1;
}

bool config_key_used(const key_def *k, const config_t *c) {
  if ((k->flags & K_MIXTURE) && c->n_mixture_sizes == 0)
    return false; /* absent means none; configs without mixtures dump as before */
  if ((k->flags & K_SEARCH) && c->search.along == SEARCH_NONE)
    return false; /* grid scans dump as before */
  if (config_key_searched(k, c))
    return false; /* the search makes the searched axis' values */
  return !(!model_defs[c->model].features && (k->flags & K_RFHM_ONLY));
}

void config_key_format(strbuf_t *b, const key_def *k, const config_t *c) {
  char num[40];
  switch (k->type) {
  case KT_ENUM:
    strbuf_printf(b, "%s", k->choices[*CFIELD(c, k->off, int)]);
    break;
  case KT_INT:
    strbuf_printf(b, "%lld", (long long)*CFIELD(c, k->off, int64_t));
    break;
  case KT_AUTO_INT: {
    int64_t v = *CFIELD(c, k->off, int64_t);
    if (v == 0)
      strbuf_printf(b, "auto");
    else
      strbuf_printf(b, "%lld", (long long)v);
    break;
  }
  case KT_SEED:
    strbuf_printf(b, "%llu", (unsigned long long)*CFIELD(c, k->off, uint64_t));
    break;
  case KT_NUM:
    util_format_double(num, sizeof num, *CFIELD(c, k->off, double));
    strbuf_printf(b, "%s", num);
    break;
  case KT_BYTES: {
    double v = *CFIELD(c, k->off, double);
    if (v == 0) {
      strbuf_printf(b, "auto");
    } else {
      util_format_double(num, sizeof num, v);
      strbuf_printf(b, "%s", num);
    }
    break;
  }
  case KT_AXIS: {
    const double *v = *CFIELD(c, k->off, double *);
    int64_t n = *CFIELD(c, k->off_n, int64_t);
    strbuf_printf(b, "[");
    for (int64_t i = 0; i < n; i++) {
      util_format_double(num, sizeof num, v[i]);
      strbuf_printf(b, "%s%s", i ? ", " : "", num);
    }
    strbuf_printf(b, "]");
    break;
  }
  case KT_ILIST:
  case KT_LLIST: {
    const int32_t *v = *CFIELD(c, k->off, int32_t *);
    int64_t n = *CFIELD(c, k->off_n, int64_t);
    strbuf_printf(b, "[");
    for (int64_t i = 0; i < n; i++) {
      if (v[i] == 0)
        strbuf_printf(b, "%sdense", i ? ", " : "");
      else
        strbuf_printf(b, "%s%d", i ? ", " : "", (int)v[i]);
    }
    strbuf_printf(b, "]");
    break;
  }
  }
}
