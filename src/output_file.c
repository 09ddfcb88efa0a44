/* output_file: the scan file as a file (rank 0): the directory check, the lock, the creation of
 * a new file from the schema under a temporary name (renamed into place), and the check of an
 * existing file before a resume.
 *
 * Kill safety of the creation: rank 0 builds the whole file (attributes, every variable with early
 * allocation, contiguous layout and its fill value written, dimension scales) serially under
 * "OUT.tmp-PID" in the output's directory, fsyncs it, renames it into place and fsyncs the
 * directory. A kill during creation leaves at most a stray temporary; --overwrite keeps the old
 * file until the new one is complete. Afterwards no metadata is ever modified.
 * The lock: rank 0 holds an fcntl lock on OUT.lock from open to close; fcntl locks vanish with
 * their process, so a lock file left by a killed run never blocks. */
#define _GNU_SOURCE /* fallocate (Linux) for the space reservation at creation */
#include "output_internal.h"

#include "hopscan/cli.h"
#include "hopscan/util.h"

#include <hdf5_hl.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

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

/* ---- creation (rank 0, serial, under a temporary name) -------------------------------------- */

/* netCDF-4 needs creation-order tracking (and its index) on groups and attributes. */
static int output_group(hid_t loc, const char *name, const char *desc, hid_t *g, const char *path,
                        err_t *e) {
  int rc = 0;
  hid_t gcpl = -1;
  *g = -1;
  H5TRY(gcpl = H5Pcreate(H5P_GROUP_CREATE), "%s: group %s", path, name);
  H5TRY(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
        "%s: group %s", path, name);
  H5TRY(H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
        "%s: group %s", path, name);
  H5TRY(*g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT), "%s: creating group %s", path,
        name);
  TRY(e, rc, output_put_str(*g, "long_name", desc, path, e), done);
done:
  if (gcpl >= 0)
    H5Pclose(gcpl);
  return rc;
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

/* The CF `coordinates` attribute of a data variable: the auxiliary coordinates (P, D) along its
 * dimensions, so that xarray shows them as coordinates. Empty for coordinates themselves. */
static void output_aux_coords(const output_schema_t *s, const output_var_t *v, char *buf,
                              size_t len) {
  buf[0] = '\0';
  if (v->def->role == ROLE_AXIS || v->def->role == ROLE_AUX)
    return;
  for (int i = 0; i < s->nvars; i++) {
    if (s->var[i].def->role != ROLE_AUX)
      continue;
    for (int d = 0; d < v->rank; d++)
      if (!strcmp(v->dim_names[d], s->var[i].dim_names[0])) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", used ? " " : "", s->var[i].name);
        break;
      }
  }
}

/* long_name, units, coordinates and _FillValue (of the variable's own type, as netCDF
 * requires). */
static int output_var_attrs(hid_t d, const output_schema_t *s, const output_var_t *v,
                            const char *path, err_t *e) {
  char text[400];
  snprintf(text, sizeof text, v->def->long_name, v->kind_name);
  CHECK(e, output_put_str(d, "long_name", text, path, e));
  if (v->def->units)
    CHECK(e, output_put_str(d, "units", v->def->units, path, e));
  output_aux_coords(s, v, text, sizeof text);
  if (text[0])
    CHECK(e, output_put_str(d, "coordinates", text, path, e));
  if (v->def->has_fill)
    CHECK(e, output_put_num(d, "_FillValue", output_h5_ftype(v->def->type), H5T_NATIVE_DOUBLE,
                            &v->def->fill, path, e));
  return 0;
}

/* One variable: contiguous, allocated at creation with its fill value written, attributes; the
 * coordinates get their values. buf holds at least the longest coordinate. */
static int output_make_var(hid_t f, const output_schema_t *sc, const output_var_t *v,
                           const config_t *c, void *buf, hid_t *out, const char *path, err_t *e) {
  int rc = 0;
  hid_t s = -1, dcpl = -1, d = -1;
  hsize_t dims[5];
  for (int i = 0; i < v->rank; i++)
    dims[i] = (hsize_t)v->shape[i];
  hid_t mtype = output_h5_mtype(v->def->type);
  H5TRY(s = H5Screate_simple(v->rank, dims, NULL), "%s: dataspace of %s", path, v->name);
  H5TRY(dcpl = H5Pcreate(H5P_DATASET_CREATE), "%s: %s", path, v->name);
  H5TRY(H5Pset_layout(dcpl, H5D_CONTIGUOUS), "%s: layout of %s", path, v->name);
  H5TRY(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), "%s: allocation of %s", path, v->name);
  H5TRY(H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC), "%s: fill time of %s", path, v->name);
  H5TRY(H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
        "%s: attribute order of %s", path, v->name);
  if (v->def->has_fill)
    H5TRY(H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &v->def->fill), "%s: fill value of %s", path,
          v->name);
  H5TRY(
      d = H5Dcreate2(f, v->name, output_h5_ftype(v->def->type), s, H5P_DEFAULT, dcpl, H5P_DEFAULT),
      "%s: creating variable %s", path, v->name);
  TRY(e, rc, output_var_attrs(d, sc, v, path, e), done);
  if (v->def->values) {
    v->def->values(c, v->kind, buf, v->shape[0]);
    H5TRY(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), "%s: writing %s", path, v->name);
  }
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

/* Root attributes of the contract, then the provenance group. */
static int output_root_attrs(hid_t f, const config_t *c, int nranks, const char *path, err_t *e) {
  char hex[65], utc[32];
  char *yaml = NULL;
  CHECK(e, config_canonical(c, &yaml, e));
  int rc = config_sha256(c, hex, e);
  util_utc_iso(utc, sizeof utc);
  int64_t N = c->N;
  uint64_t seed = c->seed;
  if (!rc)
    rc = output_put_str(f, "format", OUTPUT_FORMAT, path, e);
  if (!rc)
    rc = output_put_str(f, "hopscan_version", cli_version(), path, e);
  if (!rc)
    rc = output_put_str(f, "config_yaml", yaml, path, e);
  if (!rc)
    rc = output_put_str(f, "config_sha256", hex, path, e);
  if (!rc)
    rc = output_put_str(f, "model", model_defs[c->model].name, path, e);
  if (!rc)
    rc = output_put_num(f, "N", H5T_STD_I64LE, H5T_NATIVE_INT64, &N, path, e);
  if (!rc)
    rc = output_put_num(f, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &seed, path, e);
  if (!rc)
    rc = output_put_str(f, "created_utc", utc, path, e);
  free(yaml);
  if (!rc && c->search.along != SEARCH_NONE)
    rc = output_search_attrs(f, c, path, e);
  if (!rc)
    rc = output_provenance(f, nranks, path, e);
  return rc;
}

/* Marks every coordinate as a dimension scale and attaches them to every other variable. */
static int output_attach_scales(const output_schema_t *s, const hid_t *ds, const char *path,
                                err_t *e) {
  int rc = 0;
  for (int i = 0; i < s->nvars; i++)
    if (s->var[i].def->role == ROLE_AXIS)
      H5TRY(H5DSset_scale(ds[i], s->var[i].name), "%s: dimension scale %s", path, s->var[i].name);
  for (int i = 0; i < s->nvars; i++) {
    const output_var_t *v = &s->var[i];
    if (v->def->role == ROLE_AXIS)
      continue;
    for (int d = 0; d < v->rank; d++) {
      int a = output_schema_find(s, v->dim_names[d]);
      if (a < 0 || s->var[a].def->role != ROLE_AXIS) {
        rc = ERR(e, ERR_RUNTIME, "%s: no coordinate for dimension %s of %s", path, v->dim_names[d],
                 v->name);
        goto done;
      }
      H5TRY(H5DSattach_scale(ds[i], ds[a], (unsigned)d), "%s: attaching %s to %s", path,
            s->var[a].name, v->name);
    }
  }
done:
  return rc;
}

static int output_build(const output_t *o, const config_t *c, const char *tmp, err_t *e) {
  int rc = 0;
  hid_t fcpl = -1, fapl = -1, f = -1;
  hid_t ds[OUTPUT_MAX_VARS];
  const output_schema_t *s = &o->schema;
  void *buf = NULL;
  const char *path = o->path;
  for (int i = 0; i < OUTPUT_MAX_VARS; i++)
    ds[i] = -1;
  int64_t maxlen = 1;
  for (int i = 0; i < s->nvars; i++)
    if (s->var[i].rank == 1 && s->var[i].shape[0] > maxlen)
      maxlen = s->var[i].shape[0];
  TRY(e, rc, util_alloc(&buf, (size_t)maxlen, 8, "coordinates", e), done);
  H5TRY(fcpl = H5Pcreate(H5P_FILE_CREATE), "%s", tmp);
  H5TRY(H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "%s", tmp);
  H5TRY(H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "%s", tmp);
  H5TRY(fapl = H5Pcreate(H5P_FILE_ACCESS), "%s", tmp);
  /* The 1.8 file format: readable by every netCDF-4 and HDF5 >= 1.8 reader. */
  H5TRY(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18), "%s", tmp);
  H5TRY(f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl), "%s: cannot create", tmp);
  TRY(e, rc, output_reserve(path, tmp, output_file_bytes(c), e), done);
  TRY(e, rc, output_root_attrs(f, c, o->size, path, e), done);
  for (int i = 0; i < s->nvars; i++)
    TRY(e, rc, output_make_var(f, s, &s->var[i], c, buf, &ds[i], path, e), done);
  TRY(e, rc, output_attach_scales(s, ds, path, e), done);
  H5TRY(H5Fflush(f, H5F_SCOPE_GLOBAL), "%s: flushing", tmp);
done:
  free(buf);
  if (fapl >= 0)
    H5Pclose(fapl);
  if (fcpl >= 0)
    H5Pclose(fcpl);
  /* Close every object explicitly before the file (after a failed write, close degree
   * "strong" left HDF5 in a state that crashed a later H5Fclose). */
  for (int i = 0; i < OUTPUT_MAX_VARS; i++)
    if (ds[i] >= 0)
      H5Dclose(ds[i]);
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
int output_prepare(output_t *o, const config_t *c, bool overwrite, int *resumed, err_t *e) {
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
