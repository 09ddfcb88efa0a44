/* output: the scan's parallel-HDF5 file, format "hopscan-scan/2" (netCDF-4 compatible; layout:
 * ../shared/DESIGN.md "Output file", the variables: output_schema.h, docs/output.md).
 *
 * The only module that calls HDF5 (src/output_*.c). All functions are collective on the
 * communicator given to output_open (every rank of the run, master included) unless marked
 * "rank-local". Life cycle: output_open -> output_read_done -> (output_write_epoch)* ->
 * output_close.
 *
 * Kill safety: the file and every dataset are created at open with early allocation and a fixed
 * layout (a fresh file is built under a temporary name and renamed into place), so later epochs
 * touch raw data only. An epoch writes the result rows (m_KIND, sweeps_KIND), flushes, then sets
 * their `done` flags, recomputes the summaries from the done samples and flushes again: a kill at
 * any moment leaves a readable file in which every sample marked done is final. */
#ifndef HOPSCAN_OUTPUT_H
#define HOPSCAN_OUTPUT_H

#include "hopscan/config.h"
#include "hopscan/err.h"
#include "hopscan/search.h"
#include "hopscan/task.h"

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct output output_t; /* opaque */

/* Upper bound of the size in bytes of the output file of a scan of config c: the raw data of
 * every dataset plus a 1 MiB allowance for metadata (about 100 KiB in practice). Pure, not
 * collective. The creation reserves this much disk space; `hopscan plan` reports it. */
int64_t output_file_bytes(const config_t *c);

/* Opens `path` for a scan of config c (canonical text and hash from config.h).
 * - path absent, or overwrite: create afresh (all datasets, early allocation, NaN fill).
 * - path present: must be a hopscan-scan/2 file whose stored config equals c, else ERR_USAGE
 *   naming each differing key with both values (or saying the file is foreign/corrupt, or of
 *   the superseded format hopscan-scan/1).
 * Also takes an exclusive lock (path + ".lock", fcntl, held by rank 0 until output_close, so a
 * lock left by a killed run never blocks): a second scan on the same output gets ERR_USAGE.
 * Directory missing or read-only: ERR_RUNTIME with the path and strerror. */
int output_open(output_t **o, const char *path, const config_t *c, bool overwrite, MPI_Comm comm,
                err_t *e);

/* Fills done[task_id] (length points*samples) with the file's done flags. */
int output_read_done(output_t *o, uint8_t *done, err_t *e);

/* One flush epoch: each rank passes the results it holds (possibly none; group leaders only);
 * collective raw-data writes of the result rows, flush, done flags, summaries, flush. */
int output_write_epoch(output_t *o, const task_result_t *results, int64_t n_results, err_t *e);

/* Search files: writes the search's state and crossings (the ROLE_SEARCH variables) from r,
 * which rank 0 passes (the others pass NULL), then flushes. */
int output_write_search(output_t *o, const search_report_t *r, err_t *e);

/* Reads the overlaps m of probe kind `kind` of tasks ids[0..count) (ascending task ids; each rank
 * its own, possibly none) into buf[count][probes of the kind]. A resumed search replays its
 * decisions from them. */
int output_read_m(output_t *o, int kind, const int64_t *ids, int64_t count, float *buf, err_t *e);

/* Rank-local I/O diagnostics (not collective): the raw-data writes this rank took part in, how
 * many of them HDF5 actually performed collectively (H5Pget_mpio_actual_io_mode), and the OR of
 * every H5Pget_mpio_no_collective_cause seen (0 = always collective). */
typedef struct output_io_stats {
  int64_t writes;
  int64_t collective_writes;
  uint32_t no_collective_cause;
} output_io_stats_t;
void output_get_io_stats(const output_t *o, output_io_stats_t *s);

/* Closes the file and releases the lock; o is freed. Safe with o == NULL. */
int output_close(output_t *o, err_t *e);

/* The progress of a scan file, as data (`hopscan status` prints it: src/app.c). */
typedef struct output_status {
  char format[32], model[16], created_utc[40], hopscan_version[64], config_sha256[80];
  char *config_yaml; /* the stored config text */
  bool sha_ok;       /* config_sha256 matches config_yaml */
  bool hopfield;
  int64_t A, B, C, S;
  int64_t done, total;      /* samples */
  double *alpha_D;          /* [B] */
  int32_t *L;               /* [C], 0 = dense */
  int64_t *done_by_L;       /* [C] done samples per L (of A*B*S) */
  int64_t *done_by_alpha_D; /* [B] done samples per alpha_D (of A*C*S) */
  /* search files (search_along[0] != 0): per line (the two axes not searched, file order) */
  char search_along[16], search_what[160]; /* "alpha"; "mean of the test overlaps crosses 0.9" */
  int64_t n_lines, n_cross, requested;     /* requested: samples the search asked for */
  double *line_axis;                       /* [n_lines] alpha_D (along alpha) or alpha */
  int32_t *line_L;                         /* [n_lines] */
  int64_t *line_points, *line_requested, *line_done_samples; /* [n_lines] */
  uint8_t *line_done;                                        /* [n_lines] */
  int32_t *n_crossings;                                      /* [n_lines] */
  double *cross_value, *cross_ci_lo, *cross_ci_hi;           /* [n_lines * n_cross] */
  int32_t *cross_direction;                                  /* [n_lines * n_cross] */
} output_status_t;

/* Reads the progress of the scan file at path; works on a running, interrupted or finished scan
 * (no lock taken). ERR_USAGE for a missing, foreign, format-1 or corrupt file. Rank-local.
 * output_status_free releases st (also safe after a failure). */
int output_status_read(const char *path, output_status_t *st, err_t *e);
void output_status_free(output_status_t *st);

#endif
