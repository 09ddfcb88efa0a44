/* output_schema: the scan file's variables as one table. See include/hopscan/output_schema.h. */
#include "hopscan/output_schema.h"

#include "hopscan/output.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- values of the coordinates -------------------------------------------------------------- */

static void values_alpha(const config_t *c, int kind, void *buf, int64_t n) {
  (void)kind;
  memcpy(buf, c->alpha, (size_t)n * sizeof(double));
}
static void values_alpha_D(const config_t *c, int kind, void *buf, int64_t n) {
  (void)kind;
  memcpy(buf, c->alpha_D, (size_t)n * sizeof(double));
}
static void values_L(const config_t *c, int kind, void *buf, int64_t n) {
  (void)kind;
  memcpy(buf, c->L, (size_t)n * sizeof(int32_t));
}
static void values_index(const config_t *c, int kind, void *buf, int64_t n) {
  (void)c;
  (void)kind;
  for (int64_t i = 0; i < n; i++)
    ((int32_t *)buf)[i] = (int32_t)i;
}
static void values_P(const config_t *c, int kind, void *buf, int64_t n) {
  (void)kind;
  for (int64_t i = 0; i < n; i++)
    ((int64_t *)buf)[i] = config_P(c, i);
}
static void values_D(const config_t *c, int kind, void *buf, int64_t n) {
  (void)kind;
  for (int64_t i = 0; i < n; i++)
    ((int64_t *)buf)[i] = config_D(c, i);
}

/* ---- the results' accessors: the only place that reads task_result_t fields ----------------- */

static const void *row_m(const task_result_t *r, int kind) {
  return r->m[kind];
}
static const void *row_sweeps(const task_result_t *r, int kind) {
  return r->sweeps[kind];
}
static const void *row_m_components(const task_result_t *r, int kind) {
  return r->m_components[kind];
}
static bool has_components(const probe_kind_t *k) {
  return k->components;
}

/* ---- the search report's accessors ------------------------------------------------------------
 */

static const void *rep_samples(const search_report_t *r) {
  return r->samples;
}
static const void *rep_stat(const search_report_t *r) {
  return r->stat;
}
static const void *rep_halfwidth(const search_report_t *r) {
  return r->halfwidth;
}
static const void *rep_line_done(const search_report_t *r) {
  return r->line_done;
}
static const void *rep_n_crossings(const search_report_t *r) {
  return r->n_crossings;
}
static const void *rep_lo(const search_report_t *r) {
  return r->lo;
}
static const void *rep_hi(const search_report_t *r) {
  return r->hi;
}
static const void *rep_value(const search_report_t *r) {
  return r->value;
}
static const void *rep_ci_lo(const search_report_t *r) {
  return r->ci_lo;
}
static const void *rep_ci_hi(const search_report_t *r) {
  return r->ci_hi;
}
static const void *rep_direction(const search_report_t *r) {
  return r->direction;
}

/* ---- the table ------------------------------------------------------------------------------ */

#define GRID DIM_ALPHA, DIM_ALPHA_D, DIM_L
#define SAMPLES GRID, DIM_SAMPLE
#define LINE DIM_LINE1, DIM_LINE2
#define SEARCH_GRID(n, t, f, ln, acc)                                                              \
  {                                                                                                \
    .name = n, .type = t, .rank = 3, .dims = {GRID}, .role = ROLE_SEARCH, .search = true,          \
    .has_fill = true, .fill = f, .long_name = ln, .report = acc                                    \
  }
#define SEARCH_LINE(n, t, f, ln, acc)                                                              \
  {                                                                                                \
    .name = n, .type = t, .rank = 2, .dims = {LINE}, .role = ROLE_SEARCH, .search = true,          \
    .has_fill = true, .fill = f, .long_name = ln, .report = acc                                    \
  }
#define SEARCH_CROSS(n, t, f, ln, acc)                                                             \
  {                                                                                                \
    .name = n, .type = t, .rank = 3, .dims = {LINE, DIM_CROSSING}, .role = ROLE_SEARCH,            \
    .search = true, .has_fill = true, .fill = f, .long_name = ln, .report = acc                    \
  }

/* clang-format off */
const output_var_def_t output_var_defs[] = {
  /* coordinates: one per dimension, same name as the dimension */
  {.name = "alpha", .type = OUT_F64, .rank = 1, .dims = {DIM_ALPHA}, .role = ROLE_AXIS,
   .long_name = "pattern load alpha = P/N", .units = "1", .values = values_alpha},
  {.name = "alpha_D", .type = OUT_F64, .rank = 1, .dims = {DIM_ALPHA_D}, .role = ROLE_AXIS,
   .long_name = "feature load alpha_D = D/N (0 for model hopfield)", .units = "1",
   .values = values_alpha_D},
  {.name = "L", .type = OUT_I32, .rank = 1, .dims = {DIM_L}, .role = ROLE_AXIS,
   .long_name = "non-zero features per example (0 = dense, L = D; 0 for model hopfield)",
   .values = values_L},
  {.name = "sample", .type = OUT_I32, .rank = 1, .dims = {DIM_SAMPLE}, .role = ROLE_AXIS,
   .long_name = "disorder sample index", .values = values_index},
  {.name = "probe_%s", .type = OUT_I32, .rank = 1, .dims = {DIM_PROBE}, .role = ROLE_AXIS,
   .per_kind = true, .long_name = "index of the %s probe", .values = values_index},
  /* auxiliary coordinates */
  {.name = "P", .type = OUT_I64, .rank = 1, .dims = {DIM_ALPHA}, .role = ROLE_AUX,
   .long_name = "stored patterns P = round(alpha N)", .values = values_P},
  {.name = "D", .type = OUT_I64, .rank = 1, .dims = {DIM_ALPHA_D}, .role = ROLE_AUX,
   .long_name = "features D = round(alpha_D N) (0 for model hopfield)", .values = values_D},
  /* per-probe results (NaN / -2 = not computed: trust only samples with done = 1) */
  {.name = "m_%s", .type = OUT_F32, .rank = 5, .dims = {SAMPLES, DIM_PROBE},
   .role = ROLE_RESULT, .per_kind = true, .has_fill = true, .fill = NAN,
   .long_name = "overlap m = s*.s(0)/N of the fixed point s* with the start s(0), %s probes",
   .units = "1", .row = row_m},
  {.name = "sweeps_%s", .type = OUT_I32, .rank = 5, .dims = {SAMPLES, DIM_PROBE},
   .role = ROLE_RESULT, .per_kind = true, .has_fill = true, .fill = -2,
   .long_name = "sweeps with a flip before the fixed point, %s probes (-1: max_sweeps hit)",
   .row = row_sweeps},
  {.name = "m_components_%s", .type = OUT_F32, .rank = 5, .dims = {SAMPLES, DIM_PROBE},
   .role = ROLE_RESULT, .per_kind = true, .applies = has_components, .has_fill = true,
   .fill = NAN,
   .long_name = "mean over the components of |overlap| of the fixed point with the component, "
                "%s probes",
   .units = "1", .row = row_m_components},
  /* bookkeeping */
  {.name = "done", .type = OUT_U8, .rank = 4, .dims = {SAMPLES}, .role = ROLE_DONE,
   .long_name = "1 once the values of this sample are final (others are recomputed on resume)"},
  /* summaries over the done samples of each grid point */
  {.name = "mean_%s", .type = OUT_F64, .rank = 3, .dims = {GRID}, .role = ROLE_SUMMARY,
   .per_kind = true, .has_fill = true, .fill = NAN, .stat = SUM_MEAN, .source = "m_%s",
   .long_name = "mean over done samples of the per-sample mean overlap, %s probes",
   .units = "1"},
  {.name = "sem_%s", .type = OUT_F64, .rank = 3, .dims = {GRID}, .role = ROLE_SUMMARY,
   .per_kind = true, .has_fill = true, .fill = NAN, .stat = SUM_SEM, .source = "m_%s",
   .long_name = "standard error of mean_%s (ddof 1; NaN below 2 done samples)", .units = "1"},
  {.name = "frac_retrieved_%s", .type = OUT_F64, .rank = 3, .dims = {GRID},
   .role = ROLE_SUMMARY, .per_kind = true, .has_fill = true, .fill = NAN, .stat = SUM_FRAC,
   .source = "m_%s",
   .long_name = "fraction of the %s probes of done samples with m > retrieval_threshold",
   .units = "1"},
  /* transition search (search files only; docs/output.md "Search files") */
  {.name = "crossing", .type = OUT_I32, .rank = 1, .dims = {DIM_CROSSING}, .role = ROLE_AXIS,
   .search = true, .long_name = "index of a located crossing of a search line",
   .values = values_index},
  SEARCH_GRID("search_samples", OUT_I32, 0,
              "samples the search requested at the point (0: not evaluated)", rep_samples),
  SEARCH_GRID("statistic", OUT_F64, NAN,
              "the search statistic over the point's requested samples, once all are done",
              rep_stat),
  SEARCH_GRID("statistic_halfwidth", OUT_F64, NAN,
              "half width of the 95 %% interval of statistic: Student t(0.975, n-1) standard errors (0 for "
              "min_sample_mean; NaN below 2 samples)",
              rep_halfwidth),
  SEARCH_LINE("line_done", OUT_U8, 0, "1 once the line's search is finished", rep_line_done),
  SEARCH_LINE("n_crossings", OUT_I32, 0, "crossings of the level located on the line",
              rep_n_crossings),
  SEARCH_CROSS("crossing_lo", OUT_F64, NAN,
               "lower end of the crossing's final bracket (the searched axis)", rep_lo),
  SEARCH_CROSS("crossing_hi", OUT_F64, NAN,
               "upper end of the crossing's final bracket (the searched axis)", rep_hi),
  SEARCH_CROSS("crossing_value", OUT_F64, NAN,
               "crossing of the level, log-linear between the bracket's statistics", rep_value),
  SEARCH_CROSS("crossing_ci_lo", OUT_F64, NAN,
               "lower end of the crossing's confidence interval", rep_ci_lo),
  SEARCH_CROSS("crossing_ci_hi", OUT_F64, NAN,
               "upper end of the crossing's confidence interval", rep_ci_hi),
  SEARCH_CROSS("crossing_direction", OUT_I32, 0,
               "+1: the statistic rises through the level along the axis; -1: it falls",
               rep_direction),
};
/* clang-format on */
const int output_n_var_defs = (int)(sizeof output_var_defs / sizeof output_var_defs[0]);

/* ---- expansion ------------------------------------------------------------------------------ */

void output_var_name(const output_var_def_t *d, const char *kind, char *buf, size_t len) {
  snprintf(buf, len, d->name, d->per_kind && kind ? kind : "");
}

static const output_var_def_t *probe_axis_def(void) {
  for (int i = 0; i < output_n_var_defs; i++)
    if (output_var_defs[i].role == ROLE_AXIS && output_var_defs[i].dims[0] == DIM_PROBE)
      return &output_var_defs[i];
  return NULL;
}

/* Length and name of dimension dim (for probe kind `kind`). */
static int64_t dim_info(const config_t *c, output_dim_t dim, int kind, char *name, size_t len) {
  static const char *const names[] = {"alpha", "alpha_D", "L", "sample", "", "crossing"};
  if (dim == DIM_PROBE) {
    output_var_name(probe_axis_def(), c->kinds[kind].name, name, len);
    return c->probes[kind];
  }
  if (dim == DIM_LINE1) /* the first axis not searched */
    dim = c->search.along == SEARCH_ALPHA ? DIM_ALPHA_D : DIM_ALPHA;
  if (dim == DIM_LINE2)
    dim = DIM_L;
  snprintf(name, len, "%s", names[dim]);
  const int64_t n[] = {c->n_alpha, c->n_alpha_D,        c->n_L, config_samples_dim(c),
                       0,          c->search.coarse - 1};
  return n[dim];
}

static int add_var(const config_t *c, const output_var_def_t *d, int kind, output_schema_t *s) {
  if (s->nvars >= OUTPUT_MAX_VARS)
    return -1;
  output_var_t *v = &s->var[s->nvars++];
  memset(v, 0, sizeof *v);
  v->def = d;
  v->kind = d->per_kind ? kind : -1;
  v->rank = d->rank;
  v->source = -1;
  if (d->per_kind)
    snprintf(v->kind_name, sizeof v->kind_name, "%s", c->kinds[kind].name);
  output_var_name(d, v->kind_name, v->name, sizeof v->name);
  for (int i = 0; i < d->rank; i++)
    v->shape[i] = dim_info(c, d->dims[i], kind, v->dim_names[i], sizeof v->dim_names[i]);
  if (d->role == ROLE_SUMMARY) {
    char src[64];
    snprintf(src, sizeof src, d->source, v->kind_name);
    v->source = output_schema_find(s, src);
    if (v->source < 0)
      return -1;
  }
  return 0;
}

int output_schema_build(const config_t *c, output_schema_t *s) {
  s->nvars = 0;
  for (int i = 0; i < output_n_var_defs; i++) {
    const output_var_def_t *d = &output_var_defs[i];
    for (int k = 0; k < (d->per_kind ? c->n_kinds : 1); k++) {
      if (d->per_kind && (c->probes[k] <= 0 || (d->applies && !d->applies(&c->kinds[k]))))
        continue; /* a kind with no probes has no variables */
      if (d->search && c->search.along == SEARCH_NONE)
        continue;
      if (add_var(c, d, k, s) != 0)
        return -1;
    }
  }
  return 0;
}

int output_schema_find(const output_schema_t *s, const char *name) {
  for (int i = 0; i < s->nvars; i++)
    if (!strcmp(s->var[i].name, name))
      return i;
  return -1;
}

int output_type_size(output_type_t t) {
  static const int size[] = {8, 4, 8, 4, 1};
  return size[t];
}

const char *output_type_name(output_type_t t) {
  static const char *const names[] = {"f64", "f32", "i64", "i32", "u8"};
  return names[t];
}

int64_t output_file_bytes(const config_t *c) {
  output_schema_t s;
  if (output_schema_build(c, &s) != 0)
    return INT64_MAX;
  double bytes = (double)(1 << 20); /* metadata allowance (about 100 KiB in practice) */
  for (int i = 0; i < s.nvars; i++) {
    double n = output_type_size(s.var[i].def->type);
    for (int d = 0; d < s.var[i].rank; d++)
      n *= (double)s.var[i].shape[d];
    bytes += n;
  }
  return bytes < 9.0e18 ? (int64_t)bytes : INT64_MAX;
}

/* ---- JSON for the tests' checker ------------------------------------------------------------ */

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fputc('\\', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

void output_schema_print_json(const output_schema_t *s, FILE *f) {
  static const char *const roles[] = {"axis", "aux", "result", "done", "summary", "search"};
  fprintf(f, "[\n");
  for (int i = 0; i < s->nvars; i++) {
    const output_var_t *v = &s->var[i];
    char lname[400];
    snprintf(lname, sizeof lname, v->def->long_name, v->kind_name);
    fprintf(f, "  {\"name\": ");
    json_str(f, v->name);
    fprintf(f, ", \"type\": \"%s\", \"role\": \"%s\", \"dims\": [", output_type_name(v->def->type),
            roles[v->def->role]);
    for (int d = 0; d < v->rank; d++) {
      fprintf(f, "%s", d ? ", " : "");
      json_str(f, v->dim_names[d]);
    }
    fprintf(f, "], \"shape\": [");
    for (int d = 0; d < v->rank; d++)
      fprintf(f, "%s%lld", d ? ", " : "", (long long)v->shape[d]);
    fprintf(f, "], \"long_name\": ");
    json_str(f, lname);
    fprintf(f, ", \"units\": ");
    if (v->def->units)
      json_str(f, v->def->units);
    else
      fprintf(f, "null");
    if (!v->def->has_fill)
      fprintf(f, ", \"fill\": null");
    else if (isnan(v->def->fill))
      fprintf(f, ", \"fill\": \"NaN\"");
    else
      fprintf(f, ", \"fill\": %.17g", v->def->fill);
    fprintf(f, "}%s\n", i + 1 < s->nvars ? "," : "");
  }
  fprintf(f, "]\n");
}
