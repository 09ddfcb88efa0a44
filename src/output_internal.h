/* output_internal: what the output module's parts share (not for other modules).
 *   output_h5.c      HDF5 error messages, attributes, whole-variable reads, opening a scan file
 * Ranks agree on every status with agree_relay (agree.h).
 *   output_file.c    directory check, lock, creation under a temporary name, resume check
 *   output_epoch.c   handle, parallel open, collective transfers, epochs, close
 *   output_summary.c summaries over the done samples
 *   output_search.c  search files: root attributes, the search's variables, overlaps for resume
 *   output_status.c  `hopscan status`
 *   output_schema.c  the variable table (include/hopscan/output_schema.h) */
#ifndef HOPSCAN_OUTPUT_INTERNAL_H
#define HOPSCAN_OUTPUT_INTERNAL_H

#include "hopscan/agree.h"
#include "hopscan/output.h"
#include "hopscan/output_schema.h"

#include <hdf5.h>

#include <stdbool.h>
#include <stdint.h>

struct output {
  MPI_Comm comm; /* the caller's communicator (not duplicated; must outlive the handle) */
  int rank, size;
  char *path;
  int64_t A, B, C, S, points, tasks;
  int64_t n[PROBE_KINDS_MAX]; /* probes per kind (0 beyond the config's kinds) */
  double threshold;
  output_schema_t schema;
  hid_t file, dxpl;
  hid_t dset[OUTPUT_MAX_VARS]; /* open datasets of schema.var (data variables only; else -1) */
  int v_done;                  /* schema index of the done flags */
  uint8_t *done;               /* [tasks], identical on every rank */
  int lock_fd;                 /* rank 0: the open lock file, -1 otherwise */
  bool romio;                  /* the MPI-IO component is ROMIO (see output_transfer) */
  output_io_stats_t stats;
};

/* ---- output_h5.c ---- */

/* Records an error whose cause is the HDF5 call that just failed: the caller's context, then
 * HDF5's innermost message. Must run before any other HDF5 call. */
int output_h5_fail(err_t *e, int code, const char *file, int line, const char *func,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define H5FAIL(e, code, ...) output_h5_fail((e), (code), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Whether the HDF5 error stack holds an error raised in HDF5's function `func` (e.g.
 * "H5FD__mpio_write") with a description starting with one of descs[] (NULL-terminated). Must
 * run before any other HDF5 call; leaves the stack as it is. */
bool output_h5_failed_at(const char *func, const char *const *descs);

/* In functions with `int rc`, `err_t *e` and a `done:` label: fail when an HDF5 call is < 0. */
#define H5TRY(expr, ...)                                                                           \
  do {                                                                                             \
    if ((expr) < 0) {                                                                              \
      rc = H5FAIL(e, ERR_RUNTIME, __VA_ARGS__);                                                    \
      goto done;                                                                                   \
    }                                                                                              \
  } while (0)

/* HDF5 file and native (memory) types of a schema type. */
hid_t output_h5_ftype(output_type_t t);
hid_t output_h5_mtype(output_type_t t);

/* Fixed-length string attribute (netCDF NC_CHAR). */
int output_put_str(hid_t obj, const char *name, const char *value, const char *path, err_t *e);
/* Scalar numeric attribute of file type ftype from *v in memory type mtype. */
int output_put_num(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v,
                   const char *path, err_t *e);
/* Reads a string attribute (variable or fixed length) into a malloc'd *out; -1 (no error
 * recorded) when missing or not a string. */
int output_get_str(hid_t obj, const char *name, char **out);
/* Reads a whole dataset of `len` elements (checked) into buf as mtype. Rank-local. */
int output_read_var(hid_t f, const char *name, hid_t mtype, int64_t len, void *buf,
                    const char *path, err_t *e);

/* Opens a file that must be a scan of the current format, read-only, without HDF5's file lock.
 * ERR_USAGE for a non-HDF5 or foreign file and for format 1 (with the reason). Rank-local. */
int output_open_scan_file(const char *path, hid_t *f, err_t *e);

char *output_strdup(const char *s);

/* ---- output_file.c (rank 0) ---- */

/* Directory check, lock, then the resume check of an existing file or the creation of a new
 * one (under a temporary name, renamed into place). Sets *resumed. */
int output_prepare(output_t *o, const config_t *c, bool overwrite, int *resumed, err_t *e);

/* ---- output_epoch.c ---- */

/* Collective read or write of whole leading-`lead`-coordinate blocks `units[0..count)` (sorted)
 * of schema variable v, from/to a packed buffer. Returns the agreed status. */
int output_xfer(output_t *o, bool write, int v, int lead, const int64_t *units, int64_t count,
                void *buf, err_t *e);
int output_flush(output_t *o, err_t *e);

/* ---- output_search.c ---- */

/* The search's root attributes (search files). Rank-local (creation, rank 0). */
int output_search_attrs(hid_t f, const config_t *c, const char *path, err_t *e);

/* ---- output_summary.c ---- */

/* Recomputes the summaries of grid points pts[0..npts) (sorted, the same on every rank). */
int output_summarize(output_t *o, const int64_t *pts, int64_t npts, err_t *e);
/* Every grid point with a done sample (after a resume), then a flush. */
int output_summarize_all_done(output_t *o, err_t *e);

#endif
