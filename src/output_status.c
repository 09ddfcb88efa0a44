/* output_status: `hopscan status`: the progress of a scan file as data (output_status_read) and
 * its report (output_status_print). Rank-local reads; the file is never locked. */
#include "output_internal.h"

#include "hopscan/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void output_status_free(output_status_t *st) {
  free(st->config_yaml);
  free(st->alpha_D);
  free(st->L);
  free(st->done_by_L);
  free(st->done_by_alpha_D);
  free(st->line_axis);
  free(st->line_L);
  free(st->line_points);
  free(st->line_requested);
  free(st->line_done_samples);
  free(st->line_done);
  free(st->n_crossings);
  free(st->cross_value);
  free(st->cross_ci_lo);
  free(st->cross_ci_hi);
  free(st->cross_direction);
  memset(st, 0, sizeof *st);
}

static void output_status_attr(hid_t f, const char *name, char *out, size_t len) {
  char *v = NULL;
  snprintf(out, len, "?");
  if (output_get_str(f, name, &v) == 0)
    snprintf(out, len, "%s", v);
  free(v);
}

/* Every variable of the schema of the stored config is present with its shape. */
static int output_status_check_vars(hid_t f, const output_schema_t *s, const char *path, err_t *e) {
  for (int v = 0; v < s->nvars; v++) {
    int64_t len = 1;
    for (int d = 0; d < s->var[v].rank; d++)
      len *= s->var[v].shape[d];
    hid_t d = H5Dopen2(f, s->var[v].name, H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0)
      H5Sclose(sp);
    if (d >= 0)
      H5Dclose(d);
    if (n != (hssize_t)len)
      return ERR(e, ERR_USAGE, "%s: variable %s is %s (corrupt file?)", path, s->var[v].name,
                 n < 0 ? "missing" : "not of the shape its stored config implies");
  }
  return 0;
}

/* Counts done samples overall, per L and per alpha_D. */
static void output_status_count(output_status_t *st, const uint8_t *done) {
  int64_t A = st->A, B = st->B, C = st->C, S = st->S;
  for (int64_t ia = 0; ia < A; ia++)
    for (int64_t ib = 0; ib < B; ib++)
      for (int64_t ic = 0; ic < C; ic++)
        for (int64_t s = 0; s < S; s++) {
          int d = done[((ia * B + ib) * C + ic) * S + s] != 0;
          st->done += d;
          st->done_by_L[ic] += d;
          st->done_by_alpha_D[ib] += d;
        }
}

/* Reads everything but the done flags (stored config, attributes, axes). */
static int output_status_meta(hid_t f, const char *path, output_status_t *st, config_t *c,
                              output_schema_t *s, err_t *e) {
  output_status_attr(f, "model", st->model, sizeof st->model);
  output_status_attr(f, "created_utc", st->created_utc, sizeof st->created_utc);
  output_status_attr(f, "hopscan_version", st->hopscan_version, sizeof st->hopscan_version);
  output_status_attr(f, "config_sha256", st->config_sha256, sizeof st->config_sha256);
  if (output_get_str(f, "config_yaml", &st->config_yaml) != 0)
    return ERR(e, ERR_USAGE, "%s: not a usable hopscan scan file (no config_yaml attribute)", path);
  char hex[65];
  util_sha256_hex(st->config_yaml, strlen(st->config_yaml), hex);
  st->sha_ok = !strcmp(hex, st->config_sha256);
  char name[4200];
  snprintf(name, sizeof name, "%s:config_yaml", path);
  CHECK(e, config_load_string(c, st->config_yaml, strlen(st->config_yaml), name, e));
  if (output_schema_build(c, s) != 0)
    return ERR(e, ERR_RUNTIME, "%s: the output schema does not fit its table", path);
  CHECK(e, output_status_check_vars(f, s, path, e));
  st->hopfield = !model_defs[c->model].features; /* no feature axes */
  st->A = c->n_alpha;
  st->B = c->n_alpha_D;
  st->C = c->n_L;
  st->S = config_samples_dim(c);
  st->total = st->A * st->B * st->C * st->S;
  CHECK(e, util_calloc((void **)&st->alpha_D, (size_t)st->B, sizeof *st->alpha_D, "status", e));
  CHECK(e, util_calloc((void **)&st->L, (size_t)st->C, sizeof *st->L, "status", e));
  CHECK(e, util_calloc((void **)&st->done_by_L, (size_t)st->C, sizeof(int64_t), "status", e));
  CHECK(e, util_calloc((void **)&st->done_by_alpha_D, (size_t)st->B, sizeof(int64_t), "status", e));
  CHECK(e, output_read_var(f, "alpha_D", H5T_NATIVE_DOUBLE, st->B, st->alpha_D, path, e));
  CHECK(e, output_read_var(f, "L", H5T_NATIVE_INT32, st->C, st->L, path, e));
  return 0;
}

/* Search files: per line, the points evaluated, the samples requested and done, and the
 * crossings located. */
static int output_status_alloc_lines(output_status_t *st, err_t *e) {
  size_t nl = (size_t)st->n_lines, nc = nl * (size_t)st->n_cross;
  void **arr[] = {(void **)&st->line_axis,         (void **)&st->line_L,
                  (void **)&st->line_points,       (void **)&st->line_requested,
                  (void **)&st->line_done_samples, (void **)&st->line_done,
                  (void **)&st->n_crossings,       (void **)&st->cross_value,
                  (void **)&st->cross_ci_lo,       (void **)&st->cross_ci_hi,
                  (void **)&st->cross_direction};
  size_t size[] = {8, 4, 8, 8, 8, 1, 4, 8, 8, 8, 4};
  for (size_t i = 0; i < sizeof size / sizeof size[0]; i++)
    CHECK(e, util_calloc(arr[i], i < 7 ? nl : nc, size[i], "status", e));
  return 0;
}

static int output_status_search(hid_t f, const char *path, const config_t *c, const uint8_t *done,
                                output_status_t *st, err_t *e) {
  static const char *const stat[] = {"mean", "fraction retrieved", "smallest sample mean"};
  const bool along_alpha = c->search.along == SEARCH_ALPHA;
  snprintf(st->search_along, sizeof st->search_along, "%s", along_alpha ? "alpha" : "alpha_D");
  snprintf(st->search_what, sizeof st->search_what, "%s of the %s overlaps crossing %g",
           stat[c->search.statistic], c->kinds[c->search.observable].name, c->search.level);
  st->n_lines = (along_alpha ? st->B : st->A) * st->C;
  st->n_cross = c->search.coarse - 1;
  CHECK(e, output_status_alloc_lines(st, e));
  int64_t nc = st->n_lines * st->n_cross;
  CHECK(e, output_read_var(f, "line_done", H5T_NATIVE_UINT8, st->n_lines, st->line_done, path, e));
  CHECK(e,
        output_read_var(f, "n_crossings", H5T_NATIVE_INT32, st->n_lines, st->n_crossings, path, e));
  CHECK(e, output_read_var(f, "crossing_value", H5T_NATIVE_DOUBLE, nc, st->cross_value, path, e));
  CHECK(e, output_read_var(f, "crossing_ci_lo", H5T_NATIVE_DOUBLE, nc, st->cross_ci_lo, path, e));
  CHECK(e, output_read_var(f, "crossing_ci_hi", H5T_NATIVE_DOUBLE, nc, st->cross_ci_hi, path, e));
  CHECK(e, output_read_var(f, "crossing_direction", H5T_NATIVE_INT32, nc, st->cross_direction, path,
                           e));
  int32_t *req = NULL;
  CHECK(e, util_alloc((void **)&req, (size_t)(st->A * st->B * st->C), sizeof *req, "status", e));
  int rc =
      output_read_var(f, "search_samples", H5T_NATIVE_INT32, st->A * st->B * st->C, req, path, e);
  for (int64_t p = 0; !rc && p < st->A * st->B * st->C; p++) {
    int64_t ia, ib, ic;
    config_point_coords(c, p, &ia, &ib, &ic);
    int64_t l = search_line_of(c, p);
    st->line_axis[l] = along_alpha ? c->alpha_D[ib] : c->alpha[ia];
    st->line_L[l] = c->L[ic];
    st->line_points[l] += req[p] > 0;
    st->line_requested[l] += req[p];
    st->requested += req[p];
    for (int64_t smp = 0; smp < st->S; smp++)
      st->line_done_samples[l] += done[p * st->S + smp] != 0;
  }
  free(req);
  return rc;
}

int output_status_read(const char *path, output_status_t *st, err_t *e) {
  memset(st, 0, sizeof *st);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  struct stat sb;
  if (stat(path, &sb) != 0)
    return ERR(e, ERR_USAGE, "%s: %s", path, strerror(errno));
  hid_t f = -1;
  CHECK(e, output_open_scan_file(path, &f, e));
  config_t c;
  config_init(&c);
  output_schema_t s;
  uint8_t *done = NULL;
  int rc = 0;
  snprintf(st->format, sizeof st->format, "%s", OUTPUT_FORMAT);
  TRY(e, rc, output_status_meta(f, path, st, &c, &s, e), done);
  TRY(e, rc, util_alloc((void **)&done, (size_t)st->total, 1, "done flags", e), done);
  int v = -1;
  for (int i = 0; i < s.nvars; i++)
    if (s.var[i].def->role == ROLE_DONE)
      v = i;
  TRY(e, rc, output_read_var(f, s.var[v].name, H5T_NATIVE_UINT8, st->total, done, path, e), done);
  output_status_count(st, done);
  if (c.search.along != SEARCH_NONE)
    TRY(e, rc, output_status_search(f, path, &c, done, st, e), done);
done:
  free(done);
  config_free(&c);
  H5Fclose(f);
  if (rc)
    output_status_free(st);
  return rc;
}
