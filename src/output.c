/* output: the scan's parallel-HDF5 file. See include/hopscan/output.h and docs/output.md.
 *
 * How the file is made kill-safe:
 * - Rank 0 builds the whole file (attributes, groups, every dataset with early allocation,
 *   contiguous layout and its fill value written, dimension scales) serially under a temporary
 *   name in the output's directory, fsyncs it, renames it into place and fsyncs the directory.
 *   A kill during creation leaves at most a stray "OUT.tmp-PID"; --overwrite keeps the old file
 *   until the new one is complete. Afterwards no metadata is ever modified.
 * - Every rank then opens the file with the MPI-IO driver. Epochs write raw data only, with
 *   collective transfers: probe rows, flush, done flags, flush, summaries, flush.
 * - Rank 0 holds an fcntl lock on OUT.lock from open to close. fcntl locks vanish with their
 *   process, so a lock file left by a killed run never blocks. HDF5's own file locking is turned
 *   off (our lock replaces it), so readers such as h5py or `hopscan status` are never blocked.
 * Every decision that can differ between ranks is agreed (output_agree) so that all ranks return
 * the same status and rank 0 can report it. */
#define _GNU_SOURCE /* fallocate (Linux) for the space reservation at creation */
#include "hopscan/output.h"

#include "hopscan/cli.h"
#include "hopscan/util.h"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define OUTPUT_FORMAT "hopscan-scan/1"

enum { SUM_MEAN = 0, SUM_SEM = 1, SUM_FRAC = 2, SUM_KINDS = 3 };
static const char *const output_sum_names[SUM_KINDS] = {"mean", "sem", "frac_retrieved"};

/* Floats read per rank and batch when summaries are recomputed (bounds memory on resume). */
#define OUTPUT_SUMMARY_BATCH_FLOATS ((int64_t)1 << 22)

struct output {
  MPI_Comm comm; /* the caller's communicator (not duplicated; must outlive the handle) */
  int rank, size;
  char *path;
  int64_t A, B, C, S, points, tasks;
  int64_t n[PROBE_KINDS];
  double threshold;
  hid_t file, dxpl;
  hid_t d_m[PROBE_KINDS], d_sweeps[PROBE_KINDS], d_done, d_sum[PROBE_KINDS][SUM_KINDS];
  uint8_t *done; /* [tasks], identical on every rank */
  int lock_fd;   /* rank 0: the open lock file, -1 otherwise */
  output_io_stats_t stats;
};

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

/* Records an error whose cause is the HDF5 call that just failed: the caller's context (path and
 * object), then HDF5's innermost message. Must run before any other HDF5 call. */
static int output_h5_fail(err_t *e, int code, const char *file, int line, const char *func,
                          const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int output_h5_fail(err_t *e, int code, const char *file, int line, const char *func,
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
#define H5FAIL(e, code, ...) output_h5_fail((e), (code), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* In functions with `int rc`, `err_t *e` and a `done:` label: fail when an HDF5 call is < 0. */
#define H5TRY(expr, ...)                                                                           \
  do {                                                                                             \
    if ((expr) < 0) {                                                                              \
      rc = H5FAIL(e, ERR_RUNTIME, __VA_ARGS__);                                                    \
      goto done;                                                                                   \
    }                                                                                              \
  } while (0)

/* Makes every rank of comm return the same status: the error of the lowest failing rank (its
 * message, prefixed with its rank when that is not rank 0) is given to all. Collective. */
static int output_agree(MPI_Comm comm, int rc, err_t *e) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int mine = rc ? rank : size, first = size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size)
    return 0;
  int code = rc;
  char msg[sizeof e->msg];
  if (rank == first)
    memcpy(msg, e->msg, sizeof msg);
  MPI_Bcast(&code, 1, MPI_INT, first, comm);
  MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, comm);
  if (code == 0)
    code = ERR_RUNTIME;
  if (first != 0)
    snprintf(e->msg, sizeof e->msg, "rank %d: %.2000s", first, msg);
  else if (rank != first)
    memcpy(e->msg, msg, sizeof msg);
  e->code = code;
  err_push(e, __FILE__, __LINE__, __func__);
  return code;
}

/* ---- small helpers ------------------------------------------------------------------------- */

static int output_cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static char *output_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

/* Directory part of path ("." when there is none). */
static void output_dirname(const char *path, char *dir, size_t len) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(dir, len, ".");
  else if (slash == path)
    snprintf(dir, len, "/");
  else
    snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* The output's directory must exist and be writable, and the path must not be a directory. */
static int output_check_dir(const char *path, err_t *e) {
  char dir[4096];
  output_dirname(path, dir, sizeof dir);
  struct stat st;
  if (stat(dir, &st) != 0)
    return ERR(e, ERR_RUNTIME, "%s: cannot write the output: directory '%s': %s", path, dir,
               strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return ERR(e, ERR_RUNTIME, "%s: cannot write the output: '%s': %s", path, dir,
               strerror(ENOTDIR));
  if (access(dir, W_OK | X_OK) != 0)
    return ERR(e, ERR_RUNTIME, "%s: cannot write the output: directory '%s': %s", path, dir,
               strerror(errno));
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return ERR(e, ERR_USAGE, "%s: is a directory; give a file name for the output", path);
  return 0;
}

/* ---- lock (rank 0) -------------------------------------------------------------------------- */

static int output_lock(const char *path, int *fd_out, err_t *e) {
  *fd_out = -1;
  char lp[4200];
  snprintf(lp, sizeof lp, "%s.lock", path);
  int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return ERR(e, ERR_RUNTIME, "%s: cannot open lock file: %s", lp, strerror(errno));
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  if (fcntl(fd, F_SETLK, &fl) != 0) {
    int err = errno;
    if (err == EACCES || err == EAGAIN) {
      char buf[300] = "";
      ssize_t got = pread(fd, buf, sizeof buf - 1, 0);
      buf[got > 0 ? got : 0] = '\0';
      long pid = -1;
      char host[256] = "?";
      if (sscanf(buf, "%ld %255s", &pid, host) < 1) {
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        if (fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK)
          pid = (long)q.l_pid;
      }
      close(fd);
      return ERR(e, ERR_USAGE,
                 "%s is in use by another hopscan run (pid %ld on host %s); wait for it to end, "
                 "stop it, or choose another output path",
                 path, pid, host);
    }
    close(fd);
    if (err == ENOLCK || err == ENOSYS || err == EOPNOTSUPP || err == EINVAL) {
      /* File systems mounted without lock support (e.g. Lustre -o noflock): run unlocked. */
      fprintf(stderr, "hopscan: warning: cannot lock %s (%s); make sure no other run writes %s\n",
              lp, strerror(err), path);
      return 0;
    }
    return ERR(e, ERR_RUNTIME, "%s: cannot lock: %s", lp, strerror(err));
  }
  char host[256] = "unknown";
  if (gethostname(host, sizeof host) != 0)
    snprintf(host, sizeof host, "unknown");
  host[sizeof host - 1] = '\0';
  char line[400];
  int len = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(), host);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != (ssize_t)len) {
    int err = errno;
    close(fd);
    return ERR(e, ERR_RUNTIME, "%s: cannot write lock file: %s", lp, strerror(err));
  }
  *fd_out = fd;
  return 0;
}

/* ---- attributes ---------------------------------------------------------------------------- */

static int output_put_str(hid_t obj, const char *name, const char *value, const char *path,
                          err_t *e) {
  int rc = 0;
  hid_t t = -1, s = -1, a = -1;
  H5TRY(t = H5Tcopy(H5T_C_S1), "%s: attribute %s", path, name);
  H5TRY(H5Tset_size(t, H5T_VARIABLE), "%s: attribute %s", path, name);
  H5TRY(H5Tset_cset(t, H5T_CSET_UTF8), "%s: attribute %s", path, name);
  H5TRY(s = H5Screate(H5S_SCALAR), "%s: attribute %s", path, name);
  H5TRY(a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT), "%s: creating attribute %s",
        path, name);
  H5TRY(H5Awrite(a, t, &value), "%s: writing attribute %s", path, name);
done:
  if (a >= 0)
    H5Aclose(a);
  if (s >= 0)
    H5Sclose(s);
  if (t >= 0)
    H5Tclose(t);
  return rc;
}

static int output_put_num(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v,
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
static int output_get_str(hid_t obj, const char *name, char **out) {
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

/* ---- creation (rank 0, serial, under a temporary name) -------------------------------------- */

int64_t output_file_bytes(const config_t *c) {
  int64_t probes = 0;
  for (int k = 0; k < PROBE_KINDS; k++)
    probes += c->probes[k];
  double points = (double)c->n_alpha * (double)c->n_alpha_D * (double)c->n_L;
  double tasks = points * (double)c->samples;
  double bytes = tasks * (double)(8 * probes + 1) + points * SUM_KINDS * PROBE_KINDS * 8.0 +
                 (double)(16 * (c->n_alpha + c->n_alpha_D) + 4 * (c->n_L + c->samples)) +
                 (double)(1 << 20);
  return bytes < 9.0e18 ? (int64_t)bytes : INT64_MAX;
}

/* Reserves the new file's disk space before HDF5 writes it, so that a full disk, a quota or a
 * file-size limit gives a clean error here instead of a failed HDF5 write (after a write error
 * during creation, HDF5 1.10.8 crashes when it cleans up at exit). The reservation lies beyond
 * the end of the file (FALLOC_FL_KEEP_SIZE); output_unreserve returns what HDF5 did not use. */
static int output_reserve(const char *path, const char *tmp, int64_t bytes, err_t *e) {
  char need[32];
  util_format_bytes((double)bytes, need, sizeof need);
  struct rlimit lim;
  if (getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
      (uint64_t)bytes > (uint64_t)lim.rlim_cur) {
    char have[32];
    util_format_bytes((double)lim.rlim_cur, have, sizeof have);
    return ERR(e, ERR_RUNTIME,
               "%s: cannot create the output: it needs up to %s but the file-size limit (ulimit "
               "-f) is %s: %s",
               path, need, have, strerror(EFBIG));
  }
  int fd = open(tmp, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return ERR(e, ERR_RUNTIME, "%s: cannot open: %s", tmp, strerror(errno));
  int rc = 0;
  if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)bytes) != 0) {
    int err = errno;
    if (err == ENOSPC || err == EDQUOT || err == EFBIG || err == EIO) {
      rc = ERR(e, ERR_RUNTIME, "%s: cannot create the output (needs up to %s): %s", path, need,
               strerror(err));
    } else {
      /* No fallocate here (EOPNOTSUPP, ...): fall back to a free-space check. */
      struct statvfs sv;
      if (fstatvfs(fd, &sv) == 0 && (double)sv.f_bavail * (double)sv.f_frsize < (double)bytes)
        rc = ERR(e, ERR_RUNTIME, "%s: cannot create the output (needs up to %s): %s", path, need,
                 strerror(ENOSPC));
    }
  }
  close(fd);
  return rc;
}

static void output_unreserve(const char *tmp, int64_t bytes) {
  int fd = open(tmp, O_WRONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0)
    return;
  if (fstat(fd, &st) == 0 && st.st_size < bytes)
    (void)fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size,
                    (off_t)bytes - st.st_size);
  close(fd);
}

/* One dataset: contiguous, allocated at creation, fill value written; `description` attribute
 * (and `units` when given). */
static int output_make_dataset(hid_t loc, const char *name, hid_t ftype, int nd,
                               const hsize_t *dims, hid_t fill_type, const void *fill,
                               const char *desc, const char *units, hid_t *out, const char *path,
                               err_t *e) {
  int rc = 0;
  hid_t s = -1, dcpl = -1, d = -1;
  H5TRY(s = H5Screate_simple(nd, dims, NULL), "%s: dataspace of %s", path, name);
  H5TRY(dcpl = H5Pcreate(H5P_DATASET_CREATE), "%s: %s", path, name);
  H5TRY(H5Pset_layout(dcpl, H5D_CONTIGUOUS), "%s: layout of %s", path, name);
  H5TRY(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), "%s: allocation of %s", path, name);
  H5TRY(H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC), "%s: fill time of %s", path, name);
  if (fill)
    H5TRY(H5Pset_fill_value(dcpl, fill_type, fill), "%s: fill value of %s", path, name);
  H5TRY(d = H5Dcreate2(loc, name, ftype, s, H5P_DEFAULT, dcpl, H5P_DEFAULT),
        "%s: creating dataset %s", path, name);
  TRY(e, rc, output_put_str(d, "description", desc, path, e), done);
  if (units)
    TRY(e, rc, output_put_str(d, "units", units, path, e), done);
done:
  if (dcpl >= 0)
    H5Pclose(dcpl);
  if (s >= 0)
    H5Sclose(s);
  if (rc && d >= 0) {
    H5Dclose(d);
    d = -1;
  }
  *out = d;
  return rc;
}

static int output_write_all(hid_t d, hid_t mtype, const void *buf, const char *name,
                            const char *path, err_t *e) {
  if (H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
    return H5FAIL(e, ERR_RUNTIME, "%s: writing %s", path, name);
  return 0;
}

static int output_group(hid_t loc, const char *name, const char *desc, hid_t *g, const char *path,
                        err_t *e) {
  *g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (*g < 0)
    return H5FAIL(e, ERR_RUNTIME, "%s: creating group %s", path, name);
  return desc ? output_put_str(*g, "description", desc, path, e) : 0;
}

static int output_provenance(hid_t file, int nranks, const char *path, err_t *e) {
  int rc = 0;
  hid_t g = -1;
  TRY(e, rc, output_group(file, "provenance", "how and where this file was made", &g, path, e),
      done);
  TRY(e, rc, output_put_str(g, "hopscan_version", cli_version(), path, e), done);
  TRY(e, rc, output_put_str(g, "git_commit", cli_git_commit(), path, e), done);
  TRY(e, rc, output_put_str(g, "compiler_flags", cli_build_flags(), path, e), done);
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  char buf[MPI_MAX_LIBRARY_VERSION_STRING + 64];
  snprintf(buf, sizeof buf, "%u.%u.%u (parallel)", maj, min, rel);
  TRY(e, rc, output_put_str(g, "hdf5_version", buf, path, e), done);
  int len = 0;
  MPI_Get_library_version(buf, &len);
  buf[strcspn(buf, "\n,")] = '\0'; /* first line / clause is enough */
  TRY(e, rc, output_put_str(g, "mpi_library", buf, path, e), done);
  int mv = 0, ms = 0;
  MPI_Get_version(&mv, &ms);
  snprintf(buf, sizeof buf, "%d.%d", mv, ms);
  TRY(e, rc, output_put_str(g, "mpi_standard", buf, path, e), done);
  char host[256] = "unknown";
  if (gethostname(host, sizeof host) != 0)
    snprintf(host, sizeof host, "unknown");
  host[sizeof host - 1] = '\0';
  TRY(e, rc, output_put_str(g, "hostname", host, path, e), done);
  const char *job = getenv("SLURM_JOB_ID");
  if (job && job[0])
    TRY(e, rc, output_put_str(g, "slurm_job_id", job, path, e), done);
  int64_t nr = nranks;
  TRY(e, rc, output_put_num(g, "mpi_ranks", H5T_STD_I64LE, H5T_NATIVE_INT64, &nr, path, e), done);
done:
  if (g >= 0)
    H5Gclose(g);
  return rc;
}

static int output_build(const output_t *o, const config_t *c, const char *tmp, err_t *e) {
  int rc = 0;
  hid_t fapl = -1, f = -1;
  hid_t g_grid = -1, g_probes = -1, g_kind = -1, g_samples = -1, g_sum = -1, g_skind = -1;
  hid_t sc_alpha = -1, sc_alpha_D = -1, sc_L = -1, sc_sample = -1, tmpd = -1;
  hid_t targets[2 * PROBE_KINDS + 1 + PROBE_KINDS * SUM_KINDS];
  int n_targets = 0;
  char *yaml = NULL;
  void *buf = NULL;
  const char *path = o->path;

  H5TRY(fapl = H5Pcreate(H5P_FILE_ACCESS), "%s", tmp);
  H5TRY(f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl), "%s: cannot create", tmp);
  TRY(e, rc, output_reserve(path, tmp, output_file_bytes(c), e), done);

  /* Root attributes (contract). */
  char hex[65];
  TRY(e, rc, config_canonical(c, &yaml, e), done);
  TRY(e, rc, config_sha256(c, hex, e), done);
  char utc[32];
  util_utc_iso(utc, sizeof utc);
  int64_t N = c->N;
  uint64_t seed = c->seed;
  TRY(e, rc, output_put_str(f, "format", OUTPUT_FORMAT, path, e), done);
  TRY(e, rc, output_put_str(f, "hopscan_version", cli_version(), path, e), done);
  TRY(e, rc, output_put_str(f, "config_yaml", yaml, path, e), done);
  TRY(e, rc, output_put_str(f, "config_sha256", hex, path, e), done);
  TRY(e, rc, output_put_str(f, "model", c->model == MODEL_HOPFIELD ? "hopfield" : "rfhm", path, e),
      done);
  TRY(e, rc, output_put_num(f, "N", H5T_STD_I64LE, H5T_NATIVE_INT64, &N, path, e), done);
  TRY(e, rc, output_put_num(f, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &seed, path, e), done);
  TRY(e, rc, output_put_str(f, "created_utc", utc, path, e), done);
  TRY(e, rc, output_provenance(f, o->size, path, e), done);

  /* Grid axes. */
  int64_t maxlen = o->A > o->B ? o->A : o->B;
  if (o->C > maxlen)
    maxlen = o->C;
  if (o->S > maxlen)
    maxlen = o->S;
  TRY(e, rc, util_alloc(&buf, (size_t)maxlen, 8, "grid axis", e), done);
  TRY(e, rc,
      output_group(f, "grid", "axes of the scan grid (dimension scales) and derived sizes", &g_grid,
                   path, e),
      done);
  hsize_t dA = (hsize_t)o->A, dB = (hsize_t)o->B, dC = (hsize_t)o->C, dS = (hsize_t)o->S;
  double nan = NAN;
  TRY(e, rc,
      output_make_dataset(g_grid, "alpha", H5T_IEEE_F64LE, 1, &dA, H5T_NATIVE_DOUBLE, &nan,
                          "pattern load alpha = P/N (axis 0 of /probes, /samples, /summary)", "P/N",
                          &sc_alpha, path, e),
      done);
  TRY(e, rc, output_write_all(sc_alpha, H5T_NATIVE_DOUBLE, c->alpha, "/grid/alpha", path, e), done);
  TRY(e, rc,
      output_make_dataset(g_grid, "alpha_D", H5T_IEEE_F64LE, 1, &dB, H5T_NATIVE_DOUBLE, &nan,
                          "feature load alpha_D = D/N (axis 1); 0 for model hopfield", "D/N",
                          &sc_alpha_D, path, e),
      done);
  TRY(e, rc, output_write_all(sc_alpha_D, H5T_NATIVE_DOUBLE, c->alpha_D, "/grid/alpha_D", path, e),
      done);
  int32_t zero32 = 0;
  TRY(e, rc,
      output_make_dataset(g_grid, "L", H5T_STD_I32LE, 1, &dC, H5T_NATIVE_INT32, &zero32,
                          "non-zero features per example (axis 2); 0 means dense (L = D), and 0 "
                          "for model hopfield",
                          "features", &sc_L, path, e),
      done);
  TRY(e, rc, output_write_all(sc_L, H5T_NATIVE_INT32, c->L, "/grid/L", path, e), done);
  int32_t *samp = buf;
  for (int64_t s = 0; s < o->S; s++)
    samp[s] = (int32_t)s;
  TRY(e, rc,
      output_make_dataset(g_grid, "sample", H5T_STD_I32LE, 1, &dS, H5T_NATIVE_INT32, &zero32,
                          "disorder sample index (axis 3)", NULL, &sc_sample, path, e),
      done);
  TRY(e, rc, output_write_all(sc_sample, H5T_NATIVE_INT32, samp, "/grid/sample", path, e), done);
  int64_t *v = buf, zero64 = 0;
  for (int64_t i = 0; i < o->A; i++)
    v[i] = config_P(c, i);
  TRY(e, rc,
      output_make_dataset(g_grid, "P", H5T_STD_I64LE, 1, &dA, H5T_NATIVE_INT64, &zero64,
                          "stored patterns per alpha: P = round(alpha N)", "patterns", &tmpd, path,
                          e),
      done);
  TRY(e, rc, output_write_all(tmpd, H5T_NATIVE_INT64, v, "/grid/P", path, e), done);
  H5Dclose(tmpd);
  tmpd = -1;
  for (int64_t i = 0; i < o->B; i++)
    v[i] = config_D(c, i);
  TRY(e, rc,
      output_make_dataset(g_grid, "D", H5T_STD_I64LE, 1, &dB, H5T_NATIVE_INT64, &zero64,
                          "features per alpha_D: D = round(alpha_D N); 0 for model hopfield",
                          "features", &tmpd, path, e),
      done);
  TRY(e, rc, output_write_all(tmpd, H5T_NATIVE_INT64, v, "/grid/D", path, e), done);
  H5Dclose(tmpd);
  tmpd = -1;
  H5TRY(H5DSset_scale(sc_alpha, "alpha"), "%s: dimension scale /grid/alpha", path);
  H5TRY(H5DSset_scale(sc_alpha_D, "alpha_D"), "%s: dimension scale /grid/alpha_D", path);
  H5TRY(H5DSset_scale(sc_L, "L"), "%s: dimension scale /grid/L", path);
  H5TRY(H5DSset_scale(sc_sample, "sample"), "%s: dimension scale /grid/sample", path);

  /* Probes. */
  float fnan = NAN;
  int32_t not_computed = -2;
  TRY(e, rc,
      output_group(f, "probes", "per-probe results of every (alpha, alpha_D, L, sample)", &g_probes,
                   path, e),
      done);
  for (int k = 0; k < PROBE_KINDS; k++) {
    const char *kn = config_probe_names[k];
    char desc[400];
    snprintf(desc, sizeof desc, "probes started from %s",
             k == PROBE_TRAIN  ? "stored training patterns"
             : k == PROBE_TEST ? "unseen test examples (fresh random patterns for hopfield)"
                               : "single features (columns of F)");
    TRY(e, rc, output_group(g_probes, kn, desc, &g_kind, path, e), done);
    hsize_t dims[5] = {dA, dB, dC, dS, (hsize_t)o->n[k]};
    snprintf(desc, sizeof desc,
             "overlap m = s*.s(0)/N of the fixed point s* reached from %s probe s(0); NaN = not "
             "computed (see /samples/done)",
             kn);
    TRY(e, rc,
        output_make_dataset(g_kind, "m", H5T_IEEE_F32LE, 5, dims, H5T_NATIVE_FLOAT, &fnan, desc,
                            "dimensionless, -1..1", &targets[n_targets], path, e),
        done);
    n_targets++;
    snprintf(desc, sizeof desc,
             "sweeps with at least one flip before the %s probe reached its fixed point; -1 = "
             "max_sweeps hit, -2 = not computed",
             kn);
    TRY(e, rc,
        output_make_dataset(g_kind, "sweeps", H5T_STD_I32LE, 5, dims, H5T_NATIVE_INT32,
                            &not_computed, desc, "sweeps", &targets[n_targets], path, e),
        done);
    n_targets++;
    H5Gclose(g_kind);
    g_kind = -1;
  }

  /* Done flags. */
  uint8_t zero8 = 0;
  TRY(e, rc, output_group(f, "samples", "per-sample bookkeeping", &g_samples, path, e), done);
  hsize_t ddims[4] = {dA, dB, dC, dS};
  TRY(e, rc,
      output_make_dataset(g_samples, "done", H5T_STD_U8LE, 4, ddims, H5T_NATIVE_UINT8, &zero8,
                          "1 once every probe row of this (alpha, alpha_D, L, sample) is final; "
                          "rows of samples with 0 are recomputed on resume",
                          NULL, &targets[n_targets], path, e),
      done);
  n_targets++;

  /* Summaries. */
  TRY(e, rc,
      output_group(f, "summary", "statistics over the done samples of each grid point", &g_sum,
                   path, e),
      done);
  hsize_t sdims[3] = {dA, dB, dC};
  for (int k = 0; k < PROBE_KINDS; k++) {
    TRY(e, rc, output_group(g_sum, config_probe_names[k], NULL, &g_skind, path, e), done);
    static const char *const sdesc[SUM_KINDS] = {
        "mean over done samples of each sample's mean overlap m; NaN where no sample is done",
        "standard error of that mean: sample standard deviation (ddof = 1) of the per-sample "
        "means / sqrt(done samples); NaN with fewer than 2 done samples",
        "fraction of all probes of the done samples with m > retrieval_threshold; NaN where "
        "no sample is done"};
    for (int q = 0; q < SUM_KINDS; q++) {
      TRY(e, rc,
          output_make_dataset(
              g_skind, output_sum_names[q], H5T_IEEE_F64LE, 3, sdims, H5T_NATIVE_DOUBLE, &nan,
              sdesc[q], q == SUM_FRAC ? "fraction" : "dimensionless", &targets[n_targets], path, e),
          done);
      n_targets++;
    }
    H5Gclose(g_skind);
    g_skind = -1;
  }

  /* Attach the axes to dims 0..3 of every grid-shaped dataset. */
  for (int t = 0; t < n_targets; t++) {
    hid_t sp = H5Dget_space(targets[t]);
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (sp >= 0)
      H5Sclose(sp);
    H5TRY(nd, "%s: dataspace", path);
    hid_t scales[4] = {sc_alpha, sc_alpha_D, sc_L, sc_sample};
    for (int dim = 0; dim < nd && dim < 4; dim++)
      H5TRY(H5DSattach_scale(targets[t], scales[dim], (unsigned)dim),
            "%s: attaching dimension scale %d", path, dim);
  }

  H5TRY(H5Fflush(f, H5F_SCOPE_GLOBAL), "%s: flushing", tmp);
done:
  free(buf);
  free(yaml);
  if (fapl >= 0)
    H5Pclose(fapl);
  /* Close every object explicitly before the file (after a failed write, close degree
   * "strong" left HDF5 in a state that crashed a later H5Fclose). */
  for (int t = 0; t < n_targets; t++)
    H5Dclose(targets[t]);
  hid_t objs[] = {tmpd,  sc_sample, sc_L,   sc_alpha_D, sc_alpha, g_skind,
                  g_sum, g_samples, g_kind, g_probes,   g_grid};
  for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++)
    if (objs[i] >= 0)
      H5Oclose(objs[i]);
  if (f >= 0 && H5Fclose(f) < 0 && !rc)
    rc = H5FAIL(e, ERR_RUNTIME, "%s: closing", tmp);
  return rc;
}

/* fsync a file or directory by path. */
static int output_fsync_path(const char *p, bool dir, err_t *e) {
  int fd = open(p, O_RDONLY | (dir ? O_DIRECTORY : 0) | O_CLOEXEC);
  if (fd < 0)
    return ERR(e, ERR_RUNTIME, "%s: cannot open for fsync: %s", p, strerror(errno));
  if (fsync(fd) != 0 && !(dir && (errno == EINVAL || errno == EBADF))) {
    int err = errno;
    close(fd);
    return ERR(e, ERR_RUNTIME, "%s: fsync: %s", p, strerror(err));
  }
  close(fd);
  return 0;
}

/* Builds the file under OUT.tmp-PID and renames it into place (Redis-style replace). */
static int output_create(const output_t *o, const config_t *c, err_t *e) {
  char tmp[4200], dir[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp-%ld", o->path, (long)getpid());
  output_dirname(o->path, dir, sizeof dir);
  int rc = output_build(o, c, tmp, e);
  if (rc && !strstr(e->msg, "cannot create the output"))
    err_prefix(e, "%s: cannot create the output: ", o->path);
  if (!rc)
    output_unreserve(tmp, output_file_bytes(c));
  if (!rc)
    rc = output_fsync_path(tmp, false, e);
  if (!rc && rename(tmp, o->path) != 0)
    rc = ERR(e, ERR_RUNTIME, "%s: cannot rename %s into place: %s", o->path, tmp, strerror(errno));
  if (rc) {
    unlink(tmp);
    return rc;
  }
  return output_fsync_path(dir, true, e);
}

/* ---- resume checks (rank 0) ----------------------------------------------------------------- */

/* Opens a file that must be a hopscan scan; *f is open on success. Rank-local. */
static int output_open_scan_file(const char *path, hid_t *f, err_t *e) {
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
  if (output_get_str(*f, "format", &fmt) != 0 || strcmp(fmt, OUTPUT_FORMAT) != 0) {
    rc = ERR(e, ERR_USAGE,
             "%s: not a hopscan scan file (format attribute is %s%s%s, expected '%s'); use "
             "--overwrite to replace it or choose another path",
             path, fmt ? "'" : "", fmt ? fmt : "missing", fmt ? "'" : "", OUTPUT_FORMAT);
    free(fmt);
    H5Fclose(*f);
    *f = -1;
    return rc;
  }
  free(fmt);
  return 0;
}

static int output_check_existing(const char *path, const config_t *c, err_t *e) {
  hid_t f = -1;
  CHECK(e, output_open_scan_file(path, &f, e));
  char *yaml = NULL, *diff = NULL;
  config_t stored;
  config_init(&stored);
  int rc = 0;
  if (output_get_str(f, "config_yaml", &yaml) != 0) {
    rc = ERR(e, ERR_USAGE,
             "%s: not a usable hopscan scan file (no config_yaml attribute); use --overwrite to "
             "replace it or choose another path",
             path);
    goto done;
  }
  char name[4200];
  snprintf(name, sizeof name, "%s:config_yaml", path);
  if (config_load_string(&stored, yaml, strlen(yaml), name, e) != 0) {
    err_prefix(e,
               "%s: the stored config cannot be read (written by another hopscan version?); "
               "use --overwrite to start afresh or choose another path: ",
               path);
    rc = ERR_USAGE;
    e->code = ERR_USAGE;
    goto done;
  }
  int nd = config_diff(&stored, c, &diff, e);
  if (nd < 0) {
    rc = ERR_RUNTIME;
    goto done;
  }
  if (nd > 0) {
    rc = ERR(e, ERR_USAGE,
             "%s holds a scan of a different config; %d key%s differ (stored != requested):\n"
             "%s\nuse --overwrite to discard it and start afresh, or choose another output path",
             path, nd, nd == 1 ? "" : "s", diff ? diff : "");
    goto done;
  }
done:
  free(diff);
  free(yaml);
  config_free(&stored);
  H5Fclose(f);
  return rc;
}

/* Removes OUT.tmp-* files left by runs killed while creating OUT. Called with the lock held, so
 * no other hopscan is creating OUT now. Best effort: failures are ignored. */
static void output_remove_stale_temps(const char *path) {
  char dir[4096], prefix[1024];
  output_dirname(path, dir, sizeof dir);
  const char *slash = strrchr(path, '/');
  snprintf(prefix, sizeof prefix, "%s.tmp-", slash ? slash + 1 : path);
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *de;
  size_t n = strlen(prefix);
  while ((de = readdir(d)) != NULL) {
    if (strncmp(de->d_name, prefix, n) != 0 || !de->d_name[n])
      continue;
    char full[8192];
    snprintf(full, sizeof full, "%s/%s", dir, de->d_name);
    if (unlink(full) == 0)
      fprintf(stderr, "hopscan: removed %s (left by a run killed while creating %s)\n", full, path);
  }
  closedir(d);
}

/* Rank 0: directory check, lock, resume check or creation. Sets *resumed. */
static int output_prepare(output_t *o, const config_t *c, bool overwrite, int *resumed, err_t *e) {
  *resumed = 0;
  CHECK(e, output_check_dir(o->path, e));
  CHECK(e, output_lock(o->path, &o->lock_fd, e));
  output_remove_stale_temps(o->path);
  struct stat st;
  bool exists = stat(o->path, &st) == 0;
  if (!exists && errno != ENOENT)
    return ERR(e, ERR_RUNTIME, "%s: %s", o->path, strerror(errno));
  if (exists && !S_ISREG(st.st_mode))
    return ERR(e, ERR_USAGE, "%s: not a regular file", o->path);
  if (exists && !overwrite) {
    CHECK(e, output_check_existing(o->path, c, e));
    *resumed = 1;
    return 0;
  }
  CHECK(e, output_create(o, c, e));
  return 0;
}

/* ---- parallel open --------------------------------------------------------------------------- */

static int output_open_dset(output_t *o, const char *name, int nd, const hsize_t *want, hid_t *out,
                            err_t *e) {
  *out = H5Dopen2(o->file, name, H5P_DEFAULT);
  if (*out < 0)
    return H5FAIL(e, ERR_USAGE, "%s: not a complete hopscan scan file: dataset %s", o->path, name);
  hid_t s = H5Dget_space(*out);
  hsize_t dims[8];
  int got = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
  if (got == nd)
    H5Sget_simple_extent_dims(s, dims, NULL);
  if (s >= 0)
    H5Sclose(s);
  bool ok = got == nd;
  for (int i = 0; ok && i < nd; i++)
    ok = dims[i] == want[i];
  if (!ok)
    return ERR(e, ERR_USAGE,
               "%s: dataset %s does not have the shape the config implies (corrupt file?); use "
               "--overwrite to start afresh",
               o->path, name);
  return 0;
}

static int output_open_parallel(output_t *o, err_t *e) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0 || H5Pset_fapl_mpio(fapl, o->comm, MPI_INFO_NULL) < 0 ||
      H5Pset_file_locking(fapl, false, true) < 0 || H5Pset_all_coll_metadata_ops(fapl, true) < 0) {
    int rc = H5FAIL(e, ERR_RUNTIME, "%s: MPI-IO file access", o->path);
    if (fapl >= 0)
      H5Pclose(fapl);
    return rc;
  }
  o->file = H5Fopen(o->path, H5F_ACC_RDWR, fapl);
  int rc = o->file < 0 ? H5FAIL(e, ERR_RUNTIME, "%s: cannot open with MPI-IO", o->path) : 0;
  H5Pclose(fapl);
  return rc;
}

static int output_open_datasets(output_t *o, err_t *e) {
  hsize_t g[5] = {(hsize_t)o->A, (hsize_t)o->B, (hsize_t)o->C, (hsize_t)o->S, 0};
  char name[128];
  for (int k = 0; k < PROBE_KINDS; k++) {
    g[4] = (hsize_t)o->n[k];
    snprintf(name, sizeof name, "/probes/%s/m", config_probe_names[k]);
    CHECK(e, output_open_dset(o, name, 5, g, &o->d_m[k], e));
    snprintf(name, sizeof name, "/probes/%s/sweeps", config_probe_names[k]);
    CHECK(e, output_open_dset(o, name, 5, g, &o->d_sweeps[k], e));
    for (int q = 0; q < SUM_KINDS; q++) {
      snprintf(name, sizeof name, "/summary/%s/%s", config_probe_names[k], output_sum_names[q]);
      CHECK(e, output_open_dset(o, name, 3, g, &o->d_sum[k][q], e));
    }
  }
  CHECK(e, output_open_dset(o, "/samples/done", 4, g, &o->d_done, e));
  o->dxpl = H5Pcreate(H5P_DATASET_XFER);
  if (o->dxpl < 0 || H5Pset_dxpl_mpio(o->dxpl, H5FD_MPIO_COLLECTIVE) < 0)
    return H5FAIL(e, ERR_RUNTIME, "%s: collective transfer property", o->path);
  return 0;
}

/* ---- collective transfers -------------------------------------------------------------------- */

/* Selects in `space` the union over units u[0..count) (sorted ascending) of the blocks whose
 * leading `lead` coordinates are the row-major decomposition of u and whose trailing coordinates
 * span their whole extent. */
static int output_select(hid_t space, int nd, const hsize_t *dims, int lead, const int64_t *u,
                         int64_t count) {
  if (count == 0)
    return H5Sselect_none(space) < 0 ? -1 : 0;
  hsize_t start[8], one[8], block[8];
  for (int d = 0; d < nd; d++) {
    one[d] = 1;
    start[d] = 0;
    block[d] = d < lead ? 1 : dims[d];
  }
  for (int64_t i = 0; i < count; i++) {
    uint64_t v = (uint64_t)u[i];
    for (int d = lead - 1; d >= 0; d--) {
      start[d] = v % dims[d];
      v /= dims[d];
    }
    if (H5Sselect_hyperslab(space, i == 0 ? H5S_SELECT_SET : H5S_SELECT_OR, start, NULL, one,
                            block) < 0)
      return -1;
  }
  return 0;
}

/* HDF5 1.10.8's MPI-IO driver sets a file view for a collective transfer and, when the transfer
 * fails, returns without resetting it: every later write through the file (the superblock at
 * close) then lands at the failed transfer's offset and overwrites finished rows (seen with ROMIO
 * in test_output_write_error_np3). Collective: puts the default view back. */
static void output_reset_view(output_t *o) {
  void *h = NULL;
  if (H5Fget_vfd_handle(o->file, H5P_DEFAULT, &h) >= 0 && h)
    MPI_File_set_view(*(MPI_File *)h, 0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL);
}

/* Collective read or write of the blocks of `units` (see output_select) between dset and a packed
 * buffer in unit order. Every rank calls it; count may be 0. Returns the agreed status. */
static int output_xfer(output_t *o, bool write, hid_t dset, const char *name, hid_t mtype, int lead,
                       const int64_t *units, int64_t count, void *buf, err_t *e) {
  int rc = 0;
  hid_t fs = -1, ms = -1;
  hsize_t dims[8];
  static uint8_t dummy[16];
  H5TRY(fs = H5Dget_space(dset), "%s: %s", o->path, name);
  int nd = H5Sget_simple_extent_ndims(fs);
  H5TRY(nd, "%s: %s", o->path, name);
  H5TRY(H5Sget_simple_extent_dims(fs, dims, NULL), "%s: %s", o->path, name);
  hsize_t per = 1;
  for (int d = lead; d < nd; d++)
    per *= dims[d];
  if (per == 0)
    count = 0;
  H5TRY(output_select(fs, nd, dims, lead, units, count), "%s: selecting rows of %s", o->path, name);
  hsize_t mdim = count ? (hsize_t)count * per : 1;
  H5TRY(ms = H5Screate_simple(1, &mdim, NULL), "%s: %s", o->path, name);
  if (!count)
    H5TRY(H5Sselect_none(ms), "%s: %s", o->path, name);
  void *p = count ? buf : dummy;
  if (write)
    H5TRY(H5Dwrite(dset, mtype, ms, fs, o->dxpl, p), "%s: writing %s", o->path, name);
  else
    H5TRY(H5Dread(dset, mtype, ms, fs, o->dxpl, p), "%s: reading %s", o->path, name);
  if (write) {
    H5D_mpio_actual_io_mode_t mode = H5D_MPIO_NO_COLLECTIVE;
    uint32_t local = 0, global = 0;
    o->stats.writes++;
    if (H5Pget_mpio_actual_io_mode(o->dxpl, &mode) >= 0 && mode != H5D_MPIO_NO_COLLECTIVE)
      o->stats.collective_writes++;
    if (H5Pget_mpio_no_collective_cause(o->dxpl, &local, &global) >= 0)
      o->stats.no_collective_cause |= global | local;
  }
done:
  if (ms >= 0)
    H5Sclose(ms);
  if (fs >= 0)
    H5Sclose(fs);
  rc = output_agree(o->comm, rc, e);
  if (rc)
    output_reset_view(o);
  return rc;
}

static int output_flush(output_t *o, err_t *e) {
  int rc = 0;
  if (H5Fflush(o->file, H5F_SCOPE_GLOBAL) < 0)
    rc = H5FAIL(e, ERR_RUNTIME, "%s: flushing", o->path);
  return output_agree(o->comm, rc, e);
}

/* ---- summaries ------------------------------------------------------------------------------ */

/* Statistics of one grid point from its [S][n] overlaps and [S] done flags. */
static void output_point_summary(const float *m, const uint8_t *done, int64_t S, int64_t n,
                                 double thr, double out[SUM_KINDS]) {
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
  out[SUM_MEAN] = d ? mean : NAN;
  out[SUM_SEM] = d >= 2 ? sqrt(m2 / (double)(d - 1)) / sqrt((double)d) : NAN;
  out[SUM_FRAC] = d ? (double)retrieved / ((double)d * (double)n) : NAN;
}

/* Recomputes /summary of the grid points pts[0..npts) (sorted, identical on every rank) from the
 * done samples in the file. Points are dealt round-robin over the ranks; each reads its points'
 * rows and writes their summaries, collectively, in bounded batches. */
static int output_summarize(output_t *o, const int64_t *pts, int64_t npts, err_t *e) {
  int64_t nmax = 0;
  for (int k = 0; k < PROBE_KINDS; k++)
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
    rc =
        util_alloc((void **)&vals, (size_t)(cap ? cap : 1) * SUM_KINDS, sizeof *vals, "summary", e);
  TRY(e, rc, output_agree(o->comm, rc, e), done);
  for (int64_t i = o->rank, j = 0; i < npts; i += o->size)
    mine[j++] = pts[i];
  for (int64_t b = 0; b < nb_all; b++) {
    int64_t lo = b * batch < nmine ? b * batch : nmine;
    int64_t cnt = nmine - lo < batch ? nmine - lo : batch;
    for (int k = 0; k < PROBE_KINDS; k++) {
      int64_t n = o->n[k];
      if (n == 0)
        continue; /* its summaries stay NaN; same decision on every rank */
      char name[96];
      snprintf(name, sizeof name, "/probes/%s/m", config_probe_names[k]);
      TRY(e, rc, output_xfer(o, false, o->d_m[k], name, H5T_NATIVE_FLOAT, 3, mine + lo, cnt, m, e),
          done);
      for (int64_t j = 0; j < cnt; j++) {
        double out[SUM_KINDS];
        output_point_summary(m + j * o->S * n, o->done + mine[lo + j] * o->S, o->S, n, o->threshold,
                             out);
        for (int q = 0; q < SUM_KINDS; q++)
          vals[q * cap + j] = out[q];
      }
      for (int q = 0; q < SUM_KINDS; q++) {
        snprintf(name, sizeof name, "/summary/%s/%s", config_probe_names[k], output_sum_names[q]);
        TRY(e, rc,
            output_xfer(o, true, o->d_sum[k][q], name, H5T_NATIVE_DOUBLE, 3, mine + lo, cnt,
                        vals + q * cap, e),
            done);
      }
    }
  }
done:
  free(vals);
  free(m);
  free(mine);
  return rc;
}

/* Every grid point with at least one done sample (used after a resume, where a kill between the
 * done flags and the summaries may have left summaries behind). */
static int output_summarize_all_done(output_t *o, err_t *e) {
  int64_t *pts = NULL, np = 0;
  int rc = util_alloc((void **)&pts, (size_t)o->points, sizeof *pts, "summary points", e);
  if (!rc)
    for (int64_t p = 0; p < o->points; p++)
      for (int64_t s = 0; s < o->S; s++)
        if (o->done[p * o->S + s]) {
          pts[np++] = p;
          break;
        }
  TRY(e, rc, output_agree(o->comm, rc, e), done);
  TRY(e, rc, output_summarize(o, pts, np, e), done);
  TRY(e, rc, output_flush(o, e), done);
done:
  free(pts);
  return rc;
}

/* ---- public API ----------------------------------------------------------------------------- */

static void output_free(output_t *o, bool close_file) {
  if (!o)
    return;
  for (int k = 0; k < PROBE_KINDS; k++) {
    if (o->d_m[k] >= 0)
      H5Dclose(o->d_m[k]);
    if (o->d_sweeps[k] >= 0)
      H5Dclose(o->d_sweeps[k]);
    for (int q = 0; q < SUM_KINDS; q++)
      if (o->d_sum[k][q] >= 0)
        H5Dclose(o->d_sum[k][q]);
  }
  if (o->d_done >= 0)
    H5Dclose(o->d_done);
  if (o->dxpl >= 0)
    H5Pclose(o->dxpl);
  if (close_file && o->file >= 0)
    H5Fclose(o->file);
  if (o->lock_fd >= 0)
    close(o->lock_fd); /* releases the fcntl lock; the file stays (unlinking it would race) */
  free(o->done);
  free(o->path);
  free(o);
}

static int output_handle_init(output_t *o, const char *path, const config_t *c, MPI_Comm comm,
                              err_t *e) {
  o->comm = comm;
  MPI_Comm_rank(comm, &o->rank);
  MPI_Comm_size(comm, &o->size);
  o->file = o->dxpl = o->d_done = -1;
  for (int k = 0; k < PROBE_KINDS; k++) {
    o->d_m[k] = o->d_sweeps[k] = -1;
    for (int q = 0; q < SUM_KINDS; q++)
      o->d_sum[k][q] = -1;
    o->n[k] = c->probes[k];
  }
  o->lock_fd = -1;
  o->A = c->n_alpha;
  o->B = c->n_alpha_D;
  o->C = c->n_L;
  o->S = c->samples;
  o->threshold = c->retrieval_threshold;
  o->points = config_points(c);
  if (!path || !path[0])
    return ERR(e, ERR_USAGE, "no output path given");
  if (o->A < 1 || o->B < 1 || o->C < 1 || o->S < 1 || o->points != o->A * o->B * o->C)
    return ERR(e, ERR_RUNTIME, "%s: invalid grid %lld x %lld x %lld x %lld samples", path,
               (long long)o->A, (long long)o->B, (long long)o->C, (long long)o->S);
  if (!util_mul_i64(o->points, o->S, &o->tasks))
    return ERR(e, ERR_RUNTIME, "%s: too many tasks", path);
  o->path = output_strdup(path);
  if (!o->path)
    return ERR(e, ERR_RUNTIME, "out of memory");
  return util_calloc((void **)&o->done, (size_t)o->tasks, 1, "done flags", e);
}

int output_open(output_t **out, const char *path, const config_t *c, bool overwrite, MPI_Comm comm,
                err_t *e) {
  *out = NULL;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  output_t *o = NULL;
  bool file_open = false;
  int resumed = 0;
  int rc = util_calloc((void **)&o, 1, sizeof *o, "output handle", e);
  if (!rc)
    rc = output_handle_init(o, path, c, comm, e);
  else
    o = NULL;
  TRY(e, rc, output_agree(comm, rc, e), fail);
  if (o->rank == 0)
    rc = output_prepare(o, c, overwrite, &resumed, e);
  TRY(e, rc, output_agree(comm, rc, e), fail);
  MPI_Bcast(&resumed, 1, MPI_INT, 0, comm);
  rc = output_open_parallel(o, e);
  TRY(e, rc, output_agree(comm, rc, e), fail); /* on failure never call the collective close */
  file_open = true;
  rc = output_open_datasets(o, e);
  TRY(e, rc, output_agree(comm, rc, e), fail);
  /* Every rank reads all done flags (small: one byte per task). */
  if (H5Dread(o->d_done, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, o->dxpl, o->done) < 0)
    rc = H5FAIL(e, ERR_RUNTIME, "%s: reading /samples/done", o->path);
  rc = output_agree(comm, rc, e);
  if (rc) {
    output_reset_view(o);
    goto fail;
  }
  if (resumed)
    TRY(e, rc, output_summarize_all_done(o, e), fail);
  *out = o;
  return 0;
fail:
  output_free(o, file_open);
  return rc;
}

int output_read_done(output_t *o, uint8_t *done, err_t *e) {
  (void)e;
  memcpy(done, o->done, (size_t)o->tasks);
  return 0;
}

/* Sort helper: (task id, index into results). */
typedef struct output_row {
  int64_t tid, idx;
} output_row_t;

static int output_cmp_row(const void *a, const void *b) {
  return output_cmp_i64(&((const output_row_t *)a)->tid, &((const output_row_t *)b)->tid);
}

/* Validates this rank's results and sorts them by task id (file order). */
static int output_epoch_rows(const output_t *o, const task_result_t *res, int64_t nres,
                             output_row_t *rows, err_t *e) {
  for (int64_t i = 0; i < nres; i++) {
    const task_result_t *r = &res[i];
    if (r->task.point < 0 || r->task.point >= o->points || r->task.sample < 0 ||
        r->task.sample >= o->S)
      return ERR(e, ERR_RUNTIME, "%s: result for task (point %lld, sample %lld) outside the grid",
                 o->path, (long long)r->task.point, (long long)r->task.sample);
    for (int k = 0; k < PROBE_KINDS; k++)
      if (r->n[k] != o->n[k] || (o->n[k] > 0 && (!r->m[k] || !r->sweeps[k])))
        return ERR(e, ERR_RUNTIME,
                   "%s: result for task (point %lld, sample %lld) has %lld %s "
                   "probes, the file %lld",
                   o->path, (long long)r->task.point, (long long)r->task.sample, (long long)r->n[k],
                   config_probe_names[k], (long long)o->n[k]);
    rows[i].tid = r->task.point * o->S + r->task.sample;
    rows[i].idx = i;
  }
  qsort(rows, (size_t)nres, sizeof *rows, output_cmp_row);
  return 0;
}

int output_write_epoch(output_t *o, const task_result_t *res, int64_t nres, err_t *e) {
  output_row_t *rows = NULL;
  int64_t *tids = NULL, *all = NULL, *pts = NULL;
  int *counts = NULL, *displs = NULL;
  void *buf = NULL;
  uint8_t *ones = NULL;
  int64_t nmax = 1;
  for (int k = 0; k < PROBE_KINDS; k++)
    if (o->n[k] > nmax)
      nmax = o->n[k];
  size_t nr = (size_t)(nres > 0 ? nres : 1);
  int rc = nres < 0 ? ERR(e, ERR_RUNTIME, "negative result count") : 0;
  if (!rc)
    rc = util_alloc((void **)&rows, nr, sizeof *rows, "epoch rows", e);
  if (!rc)
    rc = util_alloc((void **)&tids, nr, sizeof *tids, "epoch rows", e);
  if (!rc)
    rc = util_alloc(&buf, nr * (size_t)nmax, 4, "epoch buffer", e);
  if (!rc)
    rc = util_alloc((void **)&ones, nr, 1, "epoch buffer", e);
  if (!rc)
    rc = util_alloc((void **)&counts, (size_t)o->size, sizeof *counts, "epoch", e);
  if (!rc)
    rc = util_alloc((void **)&displs, (size_t)o->size, sizeof *displs, "epoch", e);
  if (!rc)
    rc = output_epoch_rows(o, res, nres, rows, e);
  int mine = 0;
  if (!rc)
    rc = util_to_int(nres, &mine, "results per epoch", e);
  TRY(e, rc, output_agree(o->comm, rc, e), done);
  for (int64_t i = 0; i < nres; i++) {
    tids[i] = rows[i].tid;
    ones[i] = 1;
  }

  /* Every rank learns every task of this epoch (for the done copy and the summaries). */
  MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, o->comm);
  int64_t total = 0;
  for (int r = 0; r < o->size; r++) {
    displs[r] = (int)total;
    total += counts[r];
  }
  if (total > INT32_MAX)
    rc = ERR(e, ERR_RUNTIME, "too many results in one epoch (%lld)", (long long)total);
  if (!rc)
    rc = util_alloc((void **)&all, (size_t)(total ? total : 1), sizeof *all, "epoch tasks", e);
  if (!rc)
    rc = util_alloc((void **)&pts, (size_t)(total ? total : 1), sizeof *pts, "epoch points", e);
  TRY(e, rc, output_agree(o->comm, rc, e), done);
  if (total == 0)
    goto done;
  MPI_Allgatherv(tids, mine, MPI_INT64_T, all, counts, displs, MPI_INT64_T, o->comm);
  qsort(all, (size_t)total, sizeof *all, output_cmp_i64);
  for (int64_t i = 1; i < total; i++)
    if (all[i] == all[i - 1]) { /* identical data on every rank: no agreement needed */
      rc = ERR(e, ERR_RUNTIME,
               "%s: task %lld (point %lld, sample %lld) was passed twice in one "
               "epoch",
               o->path, (long long)all[i], (long long)(all[i] / o->S), (long long)(all[i] % o->S));
      goto done;
    }

  /* 1. probe rows: row task_id of each [A,B,C,S,n] dataset holds that task's n values. */
  for (int k = 0; k < PROBE_KINDS; k++) {
    int64_t n = o->n[k];
    if (n == 0)
      continue;
    char name[96];
    float *fb = buf;
    for (int64_t i = 0; i < nres; i++)
      memcpy(fb + i * n, res[rows[i].idx].m[k], (size_t)n * sizeof *fb);
    snprintf(name, sizeof name, "/probes/%s/m", config_probe_names[k]);
    TRY(e, rc, output_xfer(o, true, o->d_m[k], name, H5T_NATIVE_FLOAT, 4, tids, nres, buf, e),
        done);
    int32_t *ib = buf;
    for (int64_t i = 0; i < nres; i++)
      memcpy(ib + i * n, res[rows[i].idx].sweeps[k], (size_t)n * sizeof *ib);
    snprintf(name, sizeof name, "/probes/%s/sweeps", config_probe_names[k]);
    TRY(e, rc, output_xfer(o, true, o->d_sweeps[k], name, H5T_NATIVE_INT32, 4, tids, nres, buf, e),
        done);
  }
  TRY(e, rc, output_flush(o, e), done);
  MPI_Barrier(o->comm); /* sync-barrier-sync: rows are on disk everywhere before any done flag */

  /* 2. done flags, only after the rows are flushed. */
  TRY(e, rc,
      output_xfer(o, true, o->d_done, "/samples/done", H5T_NATIVE_UINT8, 4, tids, nres, ones, e),
      done);
  for (int64_t i = 0; i < total; i++)
    o->done[all[i]] = 1;
  TRY(e, rc, output_flush(o, e), done);

  /* 3. summaries of the grid points touched in this epoch. */
  int64_t np = 0;
  for (int64_t i = 0; i < total; i++) {
    int64_t p = all[i] / o->S;
    if (np == 0 || pts[np - 1] != p)
      pts[np++] = p;
  }
  TRY(e, rc, output_summarize(o, pts, np, e), done);
  TRY(e, rc, output_flush(o, e), done);
done:
  free(pts);
  free(all);
  free(displs);
  free(counts);
  free(ones);
  free(buf);
  free(tids);
  free(rows);
  return rc;
}

void output_get_io_stats(const output_t *o, output_io_stats_t *s) {
  *s = o->stats;
}

int output_close(output_t *o, err_t *e) {
  if (!o)
    return 0;
  int rc = 0;
  for (int k = 0; k < PROBE_KINDS; k++) {
    H5Dclose(o->d_m[k]);
    H5Dclose(o->d_sweeps[k]);
    o->d_m[k] = o->d_sweeps[k] = -1;
    for (int q = 0; q < SUM_KINDS; q++) {
      H5Dclose(o->d_sum[k][q]);
      o->d_sum[k][q] = -1;
    }
  }
  H5Dclose(o->d_done);
  H5Pclose(o->dxpl);
  o->d_done = o->dxpl = -1;
  if (H5Fclose(o->file) < 0)
    rc = H5FAIL(e, ERR_RUNTIME, "%s: closing", o->path);
  o->file = -1;
  MPI_Comm comm = o->comm;
  output_free(o, false); /* releases the lock on rank 0 */
  return output_agree(comm, rc, e);
}

/* ---- hopscan status ------------------------------------------------------------------------- */

static int output_read_1d(hid_t f, const char *name, hid_t mtype, size_t esize, void **data,
                          int64_t *len, const char *path, err_t *e) {
  int rc = 0;
  hid_t d = -1, s = -1;
  *data = NULL;
  H5TRY(d = H5Dopen2(f, name, H5P_DEFAULT), "%s: not a complete hopscan scan file: %s", path, name);
  H5TRY(s = H5Dget_space(d), "%s: %s", path, name);
  hssize_t n = H5Sget_simple_extent_npoints(s);
  H5TRY(n, "%s: %s", path, name);
  *len = (int64_t)n;
  TRY(e, rc, util_alloc(data, (size_t)(n ? n : 1), esize, name, e), done);
  H5TRY(H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data), "%s: reading %s", path, name);
done:
  if (s >= 0)
    H5Sclose(s);
  if (d >= 0)
    H5Dclose(d);
  if (rc) {
    free(*data);
    *data = NULL;
  }
  return rc;
}

static void output_pct(FILE *out, const char *label, int64_t done, int64_t total) {
  fprintf(out, "  %-18s %8lld / %-8lld %5.1f %%\n", label, (long long)done, (long long)total,
          total ? 100.0 * (double)done / (double)total : 0.0);
}

/* Rank 0: prints the status report of one file. */
static int output_status_print(const char *path, FILE *out, err_t *e) {
  struct stat st;
  if (stat(path, &st) != 0)
    return ERR(e, ERR_USAGE, "%s: %s", path, strerror(errno));
  hid_t f = -1;
  CHECK(e, output_open_scan_file(path, &f, e));
  int rc = 0;
  double *alpha_D = NULL;
  int32_t *L = NULL;
  double *alpha = NULL;
  uint8_t *done = NULL;
  char *a_model = NULL, *a_created = NULL, *a_version = NULL, *a_sha = NULL, *a_yaml = NULL;
  int64_t A = 0, B = 0, C = 0, T = 0;
  TRY(e, rc,
      output_read_1d(f, "/grid/alpha", H5T_NATIVE_DOUBLE, sizeof *alpha, (void **)&alpha, &A, path,
                     e),
      done);
  TRY(e, rc,
      output_read_1d(f, "/grid/alpha_D", H5T_NATIVE_DOUBLE, sizeof *alpha_D, (void **)&alpha_D, &B,
                     path, e),
      done);
  TRY(e, rc, output_read_1d(f, "/grid/L", H5T_NATIVE_INT32, sizeof *L, (void **)&L, &C, path, e),
      done);
  TRY(e, rc, output_read_1d(f, "/samples/done", H5T_NATIVE_UINT8, 1, (void **)&done, &T, path, e),
      done);
  int64_t pts = A * B * C;
  if (pts == 0 || T % pts != 0) {
    rc = ERR(e, ERR_USAGE, "%s: /samples/done does not match the grid (corrupt file?)", path);
    goto done;
  }
  int64_t S = T / pts, ndone = 0;
  for (int64_t t = 0; t < T; t++)
    ndone += done[t] != 0;
  output_get_str(f, "model", &a_model);
  output_get_str(f, "created_utc", &a_created);
  output_get_str(f, "hopscan_version", &a_version);
  output_get_str(f, "config_sha256", &a_sha);
  output_get_str(f, "config_yaml", &a_yaml);
  bool hopfield = a_model && !strcmp(a_model, "hopfield");

  fprintf(out, "%s: %s scan, model %s, grid %lld alpha x %lld alpha_D x %lld L x %lld samples\n",
          path, OUTPUT_FORMAT, a_model ? a_model : "?", (long long)A, (long long)B, (long long)C,
          (long long)S);
  fprintf(out, "created %s by %s\n", a_created ? a_created : "?", a_version ? a_version : "?");
  fprintf(out, "samples done: %lld / %lld (%.1f %%): %s\n", (long long)ndone, (long long)T,
          100.0 * (double)ndone / (double)T,
          ndone == T ? "complete"
                     : "incomplete (a running scan, or resume it with the same `hopscan run` "
                       "command)");
  if (!hopfield) {
    fprintf(out, "by L:\n");
    for (int64_t ic = 0; ic < C; ic++) {
      int64_t d = 0;
      for (int64_t ia = 0; ia < A; ia++)
        for (int64_t ib = 0; ib < B; ib++)
          for (int64_t s = 0; s < S; s++)
            d += done[((ia * B + ib) * C + ic) * S + s] != 0;
      char label[64];
      if (L[ic] == 0)
        snprintf(label, sizeof label, "L = dense");
      else
        snprintf(label, sizeof label, "L = %d", (int)L[ic]);
      output_pct(out, label, d, A * B * S);
    }
    fprintf(out, "by alpha_D:\n");
    for (int64_t ib = 0; ib < B; ib++) {
      int64_t d = 0;
      for (int64_t ia = 0; ia < A; ia++)
        for (int64_t ic = 0; ic < C; ic++)
          for (int64_t s = 0; s < S; s++)
            d += done[((ia * B + ib) * C + ic) * S + s] != 0;
      char label[64];
      snprintf(label, sizeof label, "alpha_D = %.6g", alpha_D[ib]);
      output_pct(out, label, d, A * C * S);
    }
  }
  if (a_sha && a_yaml) {
    char hex[65];
    util_sha256_hex(a_yaml, strlen(a_yaml), hex);
    if (strcmp(hex, a_sha) != 0)
      fprintf(out, "warning: config_sha256 does not match the stored config text (corrupt?)\n");
  }
  fprintf(out, "config (sha256 %s):\n", a_sha ? a_sha : "?");
  if (a_yaml) {
    const char *p = a_yaml;
    while (*p) {
      size_t n = strcspn(p, "\n");
      fprintf(out, "  %.*s\n", (int)n, p);
      p += n;
      if (*p)
        p++;
    }
  } else {
    fprintf(out, "  (missing)\n");
  }
  fflush(out);
done:
  free(a_model);
  free(a_created);
  free(a_version);
  free(a_sha);
  free(a_yaml);
  free(alpha);
  free(alpha_D);
  free(L);
  free(done);
  H5Fclose(f);
  return rc;
}

int output_status_command(int argc, char **argv, MPI_Comm comm, err_t *e) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  const char *path = NULL;
  bool help = false;
  int rc = 0;
  for (int i = 1; i < argc && !rc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
      help = true;
    else if (argv[i][0] == '-' && argv[i][1] != '\0')
      rc = ERR(e, ERR_USAGE, "status: unknown option '%s' (see hopscan status --help)", argv[i]);
    else if (path)
      rc = ERR(e, ERR_USAGE, "status: one output file only ('%s' and '%s' given)", path, argv[i]);
    else
      path = argv[i];
  }
  if (!rc && help) {
    if (rank == 0)
      printf("usage: hopscan status OUT.h5\n\n"
             "Prints the progress of a scan file: samples done/total, completion per L and per\n"
             "alpha_D, whether the scan is complete, and the config it holds. Reads the file\n"
             "without locking it, so it works while a scan is writing it and after a kill.\n");
    return 0;
  }
  if (!rc && !path)
    rc = ERR(e, ERR_USAGE, "status: give the output file: hopscan status OUT.h5");
  if (!rc && rank == 0)
    rc = output_status_print(path, stdout, e);
  return output_agree(comm, rc, e);
}
