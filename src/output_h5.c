/* output_h5: the output module's HDF5 helpers: error messages, attributes, whole-variable reads
 * and the opening of an existing scan file. */
#include "output_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *output_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

/* ---- error handling ------------------------------------------------------------------------ */

typedef struct output_h5msg {
  char text[700];
} output_h5msg_t;

/* HDF5's file-driver messages are long ("file write failed: time = ..., filename = ..., errno =
 * 27, error message = 'File too large', buf = ..."): keep the head and the system's words. */
static void output_h5_tidy(const char *desc, char *out, size_t len) {
  const char *em = strstr(desc, "error message = '");
  const char *colon = strchr(desc, ':');
  if (em && colon && colon < em) {
    em += strlen("error message = '");
    size_t n = strcspn(em, "'");
    snprintf(out, len, "%.*s: %.*s", (int)(colon - desc), desc, (int)n, em);
  } else {
    snprintf(out, len, "%s", desc);
  }
  for (char *p = out; *p; p++)
    if (*p == '\n')
      *p = ' ';
}

/* H5E_WALK_UPWARD starts at the innermost (most specific) error: keep that one. */
static herr_t output_h5_walk_cb(unsigned n, const H5E_error2_t *err, void *data) {
  output_h5msg_t *m = data;
  if (n == 0) {
    char minor[160] = "";
    if (H5Eget_msg(err->min_num, NULL, minor, sizeof minor) < 0)
      minor[0] = '\0';
    char desc[600];
    output_h5_tidy(err->desc ? err->desc : "", desc, sizeof desc);
    /* precisions bound the parts so the sum fits m->text (700): 520 + 2 + 159 + 1 */
    snprintf(m->text, sizeof m->text, "%.520s%s%.159s%s", desc, minor[0] ? " (" : "", minor,
             minor[0] ? ")" : "");
  }
  return 0;
}

int output_h5_fail(err_t *e, int code, const char *file, int line, const char *func,
                   const char *fmt, ...) {
  output_h5msg_t m = {.text = ""};
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, output_h5_walk_cb, &m);
  char ctx[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx, sizeof ctx, fmt, ap);
  va_end(ap);
  return err_set(e, code, file, line, func, "%s: %s", ctx, m.text[0] ? m.text : "HDF5 error");
}
/* Whether the HDF5 error stack holds an error raised in HDF5 function `func` whose description
 * starts with one of descs[] (NULL-terminated). Leaves the stack as it is. */
typedef struct output_h5find {
  const char *func;
  const char *const *descs;
  bool found;
} output_h5find_t;

static herr_t output_h5_find_cb(unsigned n, const H5E_error2_t *err, void *data) {
  (void)n;
  output_h5find_t *f = data;
  if (!err->func_name || strcmp(err->func_name, f->func) != 0 || !err->desc)
    return 0;
  for (const char *const *d = f->descs; *d; d++)
    if (!strncmp(err->desc, *d, strlen(*d)))
      f->found = true;
  return 0;
}

bool output_h5_failed_at(const char *func, const char *const *descs) {
  output_h5find_t f = {.func = func, .descs = descs, .found = false};
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, output_h5_find_cb, &f);
  return f.found;
}

/* ---- types and attributes ------------------------------------------------------------------ */

hid_t output_h5_ftype(output_type_t t) {
  switch (t) {
  case OUT_F64:
    return H5T_IEEE_F64LE;
  case OUT_F32:
    return H5T_IEEE_F32LE;
  case OUT_I64:
    return H5T_STD_I64LE;
  case OUT_I32:
    return H5T_STD_I32LE;
  default:
    return H5T_STD_U8LE;
  }
}

hid_t output_h5_mtype(output_type_t t) {
  switch (t) {
  case OUT_F64:
    return H5T_NATIVE_DOUBLE;
  case OUT_F32:
    return H5T_NATIVE_FLOAT;
  case OUT_I64:
    return H5T_NATIVE_INT64;
  case OUT_I32:
    return H5T_NATIVE_INT32;
  default:
    return H5T_NATIVE_UINT8;
  }
}

/* Fixed-length, NUL-terminated: netCDF-4 reads it as a text (NC_CHAR) attribute, which every
 * netCDF version and tool understands (variable-length strings are netCDF-4-only NC_STRING). */
int output_put_str(hid_t obj, const char *name, const char *value, const char *path, err_t *e) {
  int rc = 0;
  hid_t t = -1, s = -1, a = -1;
  size_t len = strlen(value);
  H5TRY(t = H5Tcopy(H5T_C_S1), "%s: attribute %s", path, name);
  H5TRY(H5Tset_size(t, len ? len : 1), "%s: attribute %s", path, name);
  H5TRY(H5Tset_strpad(t, H5T_STR_NULLTERM), "%s: attribute %s", path, name);
  H5TRY(H5Tset_cset(t, H5T_CSET_UTF8), "%s: attribute %s", path, name);
  H5TRY(s = H5Screate(H5S_SCALAR), "%s: attribute %s", path, name);
  H5TRY(a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT), "%s: creating attribute %s",
        path, name);
  H5TRY(H5Awrite(a, t, len ? value : ""), "%s: writing attribute %s", path, name);
done:
  if (a >= 0)
    H5Aclose(a);
  if (s >= 0)
    H5Sclose(s);
  if (t >= 0)
    H5Tclose(t);
  return rc;
}

int output_put_num(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v,
                   const char *path, err_t *e) {
  int rc = 0;
  hid_t s = -1, a = -1;
  H5TRY(s = H5Screate(H5S_SCALAR), "%s: attribute %s", path, name);
  H5TRY(a = H5Acreate2(obj, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT), "%s: creating attribute %s",
        path, name);
  H5TRY(H5Awrite(a, mtype, v), "%s: writing attribute %s", path, name);
done:
  if (a >= 0)
    H5Aclose(a);
  if (s >= 0)
    H5Sclose(s);
  return rc;
}

/* Reads a string attribute (variable or fixed length). Returns 0 and a malloc'd *out, or -1 when
 * the attribute is missing or not a string (no error recorded). */
int output_get_str(hid_t obj, const char *name, char **out) {
  *out = NULL;
  if (H5Aexists(obj, name) <= 0)
    return -1;
  int rc = -1;
  hid_t a = -1, ft = -1, mt = -1;
  if ((a = H5Aopen(obj, name, H5P_DEFAULT)) < 0 || (ft = H5Aget_type(a)) < 0 ||
      H5Tget_class(ft) != H5T_STRING || (mt = H5Tcopy(H5T_C_S1)) < 0 ||
      H5Tset_cset(mt, H5Tget_cset(ft)) < 0) /* HDF5 does not convert between ASCII and UTF-8 */
    goto done;
  if (H5Tis_variable_str(ft) > 0) {
    char *p = NULL;
    if (H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Aread(a, mt, &p) < 0)
      goto done;
    *out = output_strdup(p ? p : "");
    H5free_memory(p);
  } else {
    size_t n = H5Tget_size(ft);
    char *buf = calloc(n + 1, 1);
    if (!buf || H5Tset_size(mt, n + 1) < 0 || H5Aread(a, mt, buf) < 0) {
      free(buf);
      goto done;
    }
    *out = buf;
  }
  rc = *out ? 0 : -1;
done:
  if (mt >= 0)
    H5Tclose(mt);
  if (ft >= 0)
    H5Tclose(ft);
  if (a >= 0)
    H5Aclose(a);
  return rc;
}

int output_read_var(hid_t f, const char *name, hid_t mtype, int64_t len, void *buf,
                    const char *path, err_t *e) {
  int rc = 0;
  hid_t d = -1, s = -1;
  H5TRY(d = H5Dopen2(f, name, H5P_DEFAULT), "%s: not a complete hopscan scan file: variable %s",
        path, name);
  H5TRY(s = H5Dget_space(d), "%s: %s", path, name);
  hssize_t n = H5Sget_simple_extent_npoints(s);
  H5TRY(n, "%s: %s", path, name);
  if ((int64_t)n != len) {
    rc = ERR(e, ERR_USAGE, "%s: variable %s has %lld values, its config implies %lld (corrupt?)",
             path, name, (long long)n, (long long)len);
    goto done;
  }
  if (n > 0)
    H5TRY(H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), "%s: reading %s", path, name);
done:
  if (s >= 0)
    H5Sclose(s);
  if (d >= 0)
    H5Dclose(d);
  return rc;
}

/* ---- opening an existing file ------------------------------------------------------------ */

/* Opens a file that must be a hopscan scan; *f is open on success. Rank-local. */
int output_open_scan_file(const char *path, hid_t *f, err_t *e) {
  int rc = 0;
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  /* Our own lock protects writers; never wait on or take HDF5's flock. */
  *f = fapl < 0 || H5Pset_file_locking(fapl, false, true) < 0 ? -1
                                                              : H5Fopen(path, H5F_ACC_RDONLY, fapl);
  if (*f < 0) /* before H5Pclose, which would clear HDF5's error stack */
    rc = H5FAIL(e, ERR_USAGE,
                "%s: not a hopscan scan file (cannot be read as HDF5); use --overwrite to "
                "replace it or choose another path. HDF5 says",
                path);
  if (fapl >= 0)
    H5Pclose(fapl);
  if (rc)
    return rc;
  char *fmt = NULL;
  if (output_get_str(*f, "format", &fmt) == 0 && !strcmp(fmt, OUTPUT_FORMAT_1)) {
    rc = ERR(e, ERR_USAGE,
             "%s: this file is format %s (written by an earlier hopscan); this version writes "
             "%s and cannot resume it: re-run with --overwrite or choose another output (-o)",
             path, OUTPUT_FORMAT_1, OUTPUT_FORMAT);
  } else if (!fmt || strcmp(fmt, OUTPUT_FORMAT) != 0) {
    rc = ERR(e, ERR_USAGE,
             "%s: not a hopscan scan file (format attribute is %s%s%s, expected '%s'); use "
             "--overwrite to replace it or choose another path",
             path, fmt ? "'" : "", fmt ? fmt : "missing", fmt ? "'" : "", OUTPUT_FORMAT);
  }
  if (rc) {
    free(fmt);
    H5Fclose(*f);
    *f = -1;
    return rc;
  }
  free(fmt);
  return 0;
}
