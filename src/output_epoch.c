/* output_epoch: the output handle, the parallel (MPI-IO) open, the collective transfers and the
 * flush epochs. See include/hopscan/output.h and docs/output.md.
 *
 * Every rank opens the file with the MPI-IO driver. Epochs write raw data only, with collective
 * transfers: result rows, flush, done flags, flush, summaries, flush. Every decision that can
 * differ between ranks is agreed (agree_relay) so that all ranks return the same status and
 * rank 0 can report it. */
#include "output_internal.h"

#include "hopscan/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- parallel open ------------------------------------------------------------------------- */

/* Opens schema variable v and checks its type and shape against the config. */
static int output_open_var(output_t *o, int v, err_t *e) {
  const output_var_t *var = &o->schema.var[v];
  hid_t d = o->dset[v] = H5Dopen2(o->file, var->name, H5P_DEFAULT);
  if (d < 0)
    return H5FAIL(e, ERR_USAGE, "%s: not a complete hopscan scan file: variable %s", o->path,
                  var->name);
  hid_t s = H5Dget_space(d), t = H5Dget_type(d);
  hsize_t dims[8];
  int got = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
  if (got == var->rank)
    H5Sget_simple_extent_dims(s, dims, NULL);
  bool ok = got == var->rank && t >= 0 && H5Tequal(t, output_h5_ftype(var->def->type)) > 0;
  for (int i = 0; ok && i < var->rank; i++)
    ok = dims[i] == (hsize_t)var->shape[i];
  if (s >= 0)
    H5Sclose(s);
  if (t >= 0)
    H5Tclose(t);
  if (!ok)
    return ERR(e, ERR_USAGE,
               "%s: variable %s does not have the type and shape the config implies (%s, %d "
               "dimensions; corrupt file?); use --overwrite to start afresh",
               o->path, var->name, output_type_name(var->def->type), var->rank);
  return 0;
}

/* Whether MPI-IO is ROMIO: in Open MPI when the io component chosen through OMPI_MCA_io (what
 * hopscan's main sets unless the user chose, and what `mpirun --mca io X` passes on) names romio
 * (its file info carries no hints that would tell); in every other MPI (MPICH and its derivatives)
 * always. A choice made in an MCA parameter file counts as OMPIO. The same on every rank. */
static bool output_is_romio(void) {
#ifdef OMPI_MAJOR_VERSION
  const char *io = getenv("OMPI_MCA_io");
  return io && strstr(io, "romio") != NULL;
#else
  return true;
#endif
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
  if (!rc)
    o->romio = output_is_romio();
  return rc;
}

/* Opens the variables the epochs write (results, done flags, summaries). */
static int output_open_vars(output_t *o, err_t *e) {
  for (int v = 0; v < o->schema.nvars; v++) {
    output_role_t role = o->schema.var[v].def->role;
    if (role == ROLE_RESULT || role == ROLE_DONE || role == ROLE_SUMMARY || role == ROLE_SEARCH)
      CHECK(e, output_open_var(o, v, e));
  }
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

/* HDF5 1.10.8's MPI-IO driver (H5FD__mpio_write/read) makes a collective transfer in three MPI
 * calls, each collective on the file's communicator: MPI_File_set_view (the selection), then
 * MPI_File_write_at_all/read_at_all, then MPI_File_set_view back to the default view. When the
 * middle call fails it returns at once: the default view is not put back (every later write
 * through the file, the superblock at close, would land at the failed transfer's offset) and this
 * rank skips the collective reset. ROMIO agrees on a write error only when it aggregates the
 * writes (two-phase I/O); when the ranks' pieces do not interleave it writes independently, so
 * the ranks that wrote get the error and the others (e.g. those that selected nothing) succeed
 * and wait in the reset for the ranks that failed: a deadlock, until these make the same reset.
 * Collective with the reset of the ranks whose transfer succeeded. */
static void output_reset_view(output_t *o) {
  void *h = NULL;
  if (H5Fget_vfd_handle(o->file, H5P_DEFAULT, &h) >= 0 && h)
    MPI_File_set_view(*(MPI_File *)h, 0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL);
}

static void output_count_write(output_t *o) {
  H5D_mpio_actual_io_mode_t mode = H5D_MPIO_NO_COLLECTIVE;
  uint32_t local = 0, global = 0;
  o->stats.writes++;
  if (H5Pget_mpio_actual_io_mode(o->dxpl, &mode) >= 0 && mode != H5D_MPIO_NO_COLLECTIVE)
    o->stats.collective_writes++;
  if (H5Pget_mpio_no_collective_cause(o->dxpl, &local, &global) >= 0)
    o->stats.no_collective_cause |= global | local;
}

/* One collective H5Dwrite/H5Dread of dataset v, entered by every rank. Every rank returns the same
 * status, never leaving another rank inside the transfer: a failure of the MPI-IO transfer itself
 * is completed with the view reset the driver skipped (see output_reset_view) and then agreed; a
 * failure anywhere else in the transfer (the other ranks may wait in a collective this rank
 * left) ends the run with MPI_Abort, an error exit instead of a hang. */
static int output_transfer(output_t *o, bool write, int v, hid_t ms, hid_t fs, void *buf,
                           err_t *e) {
  /* The driver's errors after its MPI-IO call and before its view reset: the call failed (ROMIO)
   * or returned a count that does not match (OMPIO reports a failed write so). */
  static const char *const after_w[] = {"MPI_File_write_at_all failed", "MPI_Get_elements failed",
                                        "file write failed", NULL};
  static const char *const after_r[] = {"MPI_File_read_at_all failed", "MPI_Get_elements failed",
                                        NULL};
  int rc = 0;
  hid_t mtype = output_h5_mtype(o->schema.var[v].def->type);
  herr_t st = write ? H5Dwrite(o->dset[v], mtype, ms, fs, o->dxpl, buf)
                    : H5Dread(o->dset[v], mtype, ms, fs, o->dxpl, buf);
  if (st >= 0 && write)
    output_count_write(o);
  if (st < 0) {
    bool in_mpiio = write ? output_h5_failed_at("H5FD__mpio_write", after_w)
                          : output_h5_failed_at("H5FD__mpio_read", after_r);
    rc = H5FAIL(e, ERR_RUNTIME, "%s: %s %s", o->path, write ? "writing" : "reading",
                o->schema.var[v].name);
    if (!in_mpiio)
      agree_abort(o->comm, rc, e);
    if (o->romio) /* before any other collective: the reset the ranks that succeeded made */
      output_reset_view(o);
  }
  rc = agree_relay(o->comm, rc, e);
  /* Other components (OMPIO): the reset after the agreement, on every rank, as before ROMIO was
   * the default; a 2-rank run gets the error so (at >= 3 ranks OMPIO itself deadlocks). */
  if (rc && !o->romio)
    output_reset_view(o);
  return rc;
}

int output_xfer(output_t *o, bool write, int v, int lead, const int64_t *units, int64_t count,
                void *buf, err_t *e) {
  int rc = 0;
  hid_t fs = -1, ms = -1, dset = o->dset[v];
  const char *name = o->schema.var[v].name;
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
done:
  /* Every rank enters the collective transfer, or none does. */
  rc = agree_relay(o->comm, rc, e);
  if (!rc)
    rc = output_transfer(o, write, v, ms, fs, count ? buf : dummy, e);
  if (ms >= 0)
    H5Sclose(ms);
  if (fs >= 0)
    H5Sclose(fs);
  return rc;
}

/* H5Fflush ends in MPI_File_sync, which ROMIO makes without communication (fsync): a rank whose
 * sync failed leaves no other rank waiting, and the status is agreed. Anything else that fails in
 * the flush (the metadata cache's collective steps; nothing is dirty after creation) may leave
 * the other ranks in a collective of HDF5's: MPI_Abort, as in output_transfer. */
int output_flush(output_t *o, err_t *e) {
  int rc = 0;
  if (H5Fflush(o->file, H5F_SCOPE_GLOBAL) < 0) {
    static const char *const sync[] = {"MPI_File_sync failed", NULL};
    bool in_sync = output_h5_failed_at("H5FD__mpio_flush", sync);
    rc = H5FAIL(e, ERR_RUNTIME, "%s: flushing", o->path);
    if (!in_sync)
      agree_abort(o->comm, rc, e);
  }
  return agree_relay(o->comm, rc, e);
}

/* ---- handle ---------------------------------------------------------------------------------- */

static void output_free(output_t *o, bool close_file) {
  if (!o)
    return;
  for (int v = 0; v < OUTPUT_MAX_VARS; v++)
    if (o->dset[v] >= 0)
      H5Dclose(o->dset[v]);
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
  o->file = o->dxpl = -1;
  for (int v = 0; v < OUTPUT_MAX_VARS; v++)
    o->dset[v] = -1;
  for (int k = 0; k < PROBE_KINDS_MAX; k++)
    o->n[k] = k < c->n_kinds ? c->probes[k] : 0;
  o->lock_fd = -1;
  o->A = c->n_alpha;
  o->B = c->n_alpha_D;
  o->C = c->n_L;
  o->S = config_samples_dim(c);
  o->threshold = c->retrieval_threshold;
  o->points = config_points(c);
  if (!path || !path[0])
    return ERR(e, ERR_USAGE, "no output path given");
  if (o->A < 1 || o->B < 1 || o->C < 1 || o->S < 1 || o->points != o->A * o->B * o->C)
    return ERR(e, ERR_RUNTIME, "%s: invalid grid %lld x %lld x %lld x %lld samples", path,
               (long long)o->A, (long long)o->B, (long long)o->C, (long long)o->S);
  if (!util_mul_i64(o->points, o->S, &o->tasks))
    return ERR(e, ERR_RUNTIME, "%s: too many tasks", path);
  if (output_schema_build(c, &o->schema) != 0)
    return ERR(e, ERR_RUNTIME, "%s: the output schema does not fit its table", path);
  o->v_done = -1;
  for (int v = 0; v < o->schema.nvars; v++)
    if (o->schema.var[v].def->role == ROLE_DONE)
      o->v_done = v;
  if (o->v_done < 0)
    return ERR(e, ERR_RUNTIME, "%s: the output schema has no done flags", path);
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
  TRY(e, rc, agree_relay(comm, rc, e), fail);
  if (o->rank == 0)
    rc = output_prepare(o, c, overwrite, &resumed, e);
  TRY(e, rc, agree_relay(comm, rc, e), fail);
  MPI_Bcast(&resumed, 1, MPI_INT, 0, comm);
  rc = output_open_parallel(o, e);
  TRY(e, rc, agree_relay(comm, rc, e), fail); /* on failure never call the collective close */
  file_open = true;
  rc = output_open_vars(o, e);
  TRY(e, rc, agree_relay(comm, rc, e), fail);
  /* Every rank reads all done flags (small: one byte per task). */
  TRY(e, rc, output_transfer(o, false, o->v_done, H5S_ALL, H5S_ALL, o->done, e), fail);
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

void output_get_io_stats(const output_t *o, output_io_stats_t *s) {
  *s = o->stats;
}

int output_close(output_t *o, err_t *e) {
  if (!o)
    return 0;
  int rc = 0;
  for (int v = 0; v < OUTPUT_MAX_VARS; v++) {
    if (o->dset[v] >= 0)
      H5Dclose(o->dset[v]);
    o->dset[v] = -1;
  }
  H5Pclose(o->dxpl);
  o->dxpl = -1;
  if (H5Fclose(o->file) < 0)
    rc = H5FAIL(e, ERR_RUNTIME, "%s: closing", o->path);
  o->file = -1;
  MPI_Comm comm = o->comm;
  output_free(o, false); /* releases the lock on rank 0 */
  return agree_relay(comm, rc, e);
}

/* ---- epochs ---------------------------------------------------------------------------------- */

static int output_cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Sort helper: (task id, index into results). */
typedef struct output_row {
  int64_t tid, idx;
} output_row_t;

static int output_cmp_row(const void *a, const void *b) {
  return output_cmp_i64(&((const output_row_t *)a)->tid, &((const output_row_t *)b)->tid);
}

/* Validates this rank's results against the schema and sorts them by task id (file order). */
static int output_epoch_rows(const output_t *o, const task_result_t *res, int64_t nres,
                             output_row_t *rows, err_t *e) {
  for (int64_t i = 0; i < nres; i++) {
    const task_result_t *r = &res[i];
    if (r->task.point < 0 || r->task.point >= o->points || r->task.sample < 0 ||
        r->task.sample >= o->S)
      return ERR(e, ERR_RUNTIME, "%s: result for task (point %lld, sample %lld) outside the grid",
                 o->path, (long long)r->task.point, (long long)r->task.sample);
    for (int v = 0; v < o->schema.nvars; v++) {
      const output_var_t *var = &o->schema.var[v];
      if (var->def->role != ROLE_RESULT)
        continue;
      int k = var->kind;
      if (r->n[k] != o->n[k] || !var->def->row(r, k))
        return ERR(e, ERR_RUNTIME,
                   "%s: result for task (point %lld, sample %lld) has %lld %s probes (%s %s), "
                   "the file %lld",
                   o->path, (long long)r->task.point, (long long)r->task.sample, (long long)r->n[k],
                   var->kind_name, var->name, var->def->row(r, k) ? "set" : "missing",
                   (long long)o->n[k]);
    }
    rows[i].tid = r->task.point * o->S + r->task.sample;
    rows[i].idx = i;
  }
  qsort(rows, (size_t)nres, sizeof *rows, output_cmp_row);
  return 0;
}

/* Every rank learns every task of this epoch, sorted, into *all (*total of them); duplicates are
 * refused. Collective. */
static int output_epoch_gather(output_t *o, const int64_t *tids, int mine, int64_t **all,
                               int64_t *total, err_t *e) {
  int *counts = NULL, *displs = NULL;
  *all = NULL;
  *total = 0;
  int rc = util_alloc((void **)&counts, (size_t)o->size, sizeof *counts, "epoch", e);
  if (!rc)
    rc = util_alloc((void **)&displs, (size_t)o->size, sizeof *displs, "epoch", e);
  TRY(e, rc, agree_relay(o->comm, rc, e), done);
  MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, o->comm);
  for (int r = 0; r < o->size; r++) {
    displs[r] = (int)*total;
    *total += counts[r];
  }
  if (*total > INT32_MAX)
    rc = ERR(e, ERR_RUNTIME, "too many results in one epoch (%lld)", (long long)*total);
  if (!rc)
    rc = util_alloc((void **)all, (size_t)(*total ? *total : 1), sizeof **all, "epoch tasks", e);
  TRY(e, rc, agree_relay(o->comm, rc, e), done);
  MPI_Allgatherv(tids, mine, MPI_INT64_T, *all, counts, displs, MPI_INT64_T, o->comm);
  qsort(*all, (size_t)*total, sizeof **all, output_cmp_i64);
  for (int64_t i = 1; i < *total; i++)
    if ((*all)[i] == (*all)[i - 1]) { /* identical data on every rank: no agreement needed */
      int64_t t = (*all)[i];
      rc = ERR(e, ERR_RUNTIME,
               "%s: task %lld (point %lld, sample %lld) was passed twice in one epoch", o->path,
               (long long)t, (long long)(t / o->S), (long long)(t % o->S));
      break;
    }
done:
  free(displs);
  free(counts);
  return rc;
}

/* Writes the result rows of every ROLE_RESULT variable: row task_id of each [A,B,C,S,n] variable
 * holds that task's n values. buf holds nres * max(n) * 8 bytes. */
static int output_write_results(output_t *o, const task_result_t *res, const output_row_t *rows,
                                const int64_t *tids, int64_t nres, char *buf, err_t *e) {
  for (int v = 0; v < o->schema.nvars; v++) {
    const output_var_t *var = &o->schema.var[v];
    if (var->def->role != ROLE_RESULT)
      continue;
    size_t bytes = (size_t)o->n[var->kind] * (size_t)output_type_size(var->def->type);
    for (int64_t i = 0; i < nres; i++)
      memcpy(buf + (size_t)i * bytes, var->def->row(&res[rows[i].idx], var->kind), bytes);
    CHECK(e, output_xfer(o, true, v, 4, tids, nres, buf, e));
  }
  return 0;
}

/* The grid points of the sorted tasks all[0..total) (sorted, distinct) into pts; returns them. */
static int64_t output_epoch_points(const output_t *o, const int64_t *all, int64_t total,
                                   int64_t *pts) {
  int64_t np = 0;
  for (int64_t i = 0; i < total; i++) {
    int64_t p = all[i] / o->S;
    if (np == 0 || pts[np - 1] != p)
      pts[np++] = p;
  }
  return np;
}

int output_write_epoch(output_t *o, const task_result_t *res, int64_t nres, err_t *e) {
  output_row_t *rows = NULL;
  int64_t *tids = NULL, *all = NULL, total = 0;
  char *buf = NULL;
  uint8_t *ones = NULL;
  int64_t nmax = 1;
  for (int k = 0; k < PROBE_KINDS_MAX; k++)
    if (o->n[k] > nmax)
      nmax = o->n[k];
  size_t nr = (size_t)(nres > 0 ? nres : 1);
  int rc = nres < 0 ? ERR(e, ERR_RUNTIME, "negative result count") : 0;
  if (!rc)
    rc = util_alloc((void **)&rows, nr, sizeof *rows, "epoch rows", e);
  if (!rc)
    rc = util_alloc((void **)&tids, nr, sizeof *tids, "epoch rows", e);
  if (!rc)
    rc = util_alloc((void **)&buf, nr * (size_t)nmax, 8, "epoch buffer", e);
  if (!rc)
    rc = util_alloc((void **)&ones, nr, 1, "epoch buffer", e);
  if (!rc)
    rc = output_epoch_rows(o, res, nres, rows, e);
  int mine = 0;
  if (!rc)
    rc = util_to_int(nres, &mine, "results per epoch", e);
  TRY(e, rc, agree_relay(o->comm, rc, e), done);
  for (int64_t i = 0; i < nres; i++) {
    tids[i] = rows[i].tid;
    ones[i] = 1;
  }
  TRY(e, rc, output_epoch_gather(o, tids, mine, &all, &total, e), done);
  if (total == 0)
    goto done;
  /* 1. result rows, flushed everywhere before any done flag (sync-barrier-sync). */
  TRY(e, rc, output_write_results(o, res, rows, tids, nres, buf, e), done);
  TRY(e, rc, output_flush(o, e), done);
  MPI_Barrier(o->comm);
  /* 2. done flags, only after the rows are flushed. */
  TRY(e, rc, output_xfer(o, true, o->v_done, 4, tids, nres, ones, e), done);
  for (int64_t i = 0; i < total; i++)
    o->done[all[i]] = 1;
  TRY(e, rc, output_flush(o, e), done);
  /* 3. summaries of the grid points touched in this epoch (all[] is reused for the points). */
  int64_t np = output_epoch_points(o, all, total, all);
  TRY(e, rc, output_summarize(o, all, np, e), done);
  TRY(e, rc, output_flush(o, e), done);
done:
  free(all);
  free(ones);
  free(buf);
  free(tids);
  free(rows);
  return rc;
}
