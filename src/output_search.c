/* output_search: what a search file adds — the root attributes of the search, the search's state
 * and crossings (ROLE_SEARCH variables, written whole by rank 0 at each epoch), and the read of a
 * probe kind's overlaps with which a resumed search replays its decisions. Collective unless
 * marked. See include/hopscan/output.h. */
#include "output_internal.h"

#include "hopscan/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int output_search_attrs(hid_t f, const config_t *c, const char *path, err_t *e) {
  static const char *const along[] = {"none", "alpha", "alpha_D"};
  static const char *const stat[] = {"mean", "frac_retrieved", "min_sample_mean"};
  const config_search_t *s = &c->search;
  int64_t coarse = s->coarse, max_samples = config_samples_dim(c);
  CHECK(e, output_put_str(f, "search_along", along[s->along], path, e));
  CHECK(e, output_put_str(f, "search_observable", c->kinds[s->observable].name, path, e));
  CHECK(e, output_put_str(f, "search_statistic", stat[s->statistic], path, e));
  CHECK(e,
        output_put_num(f, "search_level", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &s->level, path, e));
  CHECK(e, output_put_num(f, "search_tolerance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &s->tolerance,
                          path, e));
  CHECK(e, output_put_num(f, "search_coarse", H5T_STD_I64LE, H5T_NATIVE_INT64, &coarse, path, e));
  CHECK(e, output_put_num(f, "search_max_samples", H5T_STD_I64LE, H5T_NATIVE_INT64, &max_samples,
                          path, e));
  return 0;
}

int output_write_search(output_t *o, const search_report_t *r, err_t *e) {
  int64_t *units = NULL, max0 = 1;
  for (int v = 0; v < o->schema.nvars; v++)
    if (o->schema.var[v].def->role == ROLE_SEARCH && o->schema.var[v].shape[0] > max0)
      max0 = o->schema.var[v].shape[0];
  int rc = util_alloc((void **)&units, (size_t)max0, sizeof *units, "search rows", e);
  TRY(e, rc, agree_relay(o->comm, rc, e), done);
  for (int64_t i = 0; i < max0; i++)
    units[i] = i;
  for (int v = 0; v < o->schema.nvars; v++) {
    const output_var_t *var = &o->schema.var[v];
    if (var->def->role != ROLE_SEARCH)
      continue;
    /* rank 0 writes the whole variable (its leading rows), the others take part with nothing */
    int64_t count = r ? var->shape[0] : 0;
    TRY(e, rc,
        output_xfer(o, true, v, 1, units, count, count ? (void *)var->def->report(r) : NULL, e),
        done);
  }
  rc = output_flush(o, e);
done:
  free(units);
  return rc;
}

int output_read_m(output_t *o, int kind, const int64_t *ids, int64_t count, float *buf, err_t *e) {
  int v = -1;
  for (int i = 0; i < o->schema.nvars; i++)
    if (o->schema.var[i].kind == kind && !strcmp(o->schema.var[i].def->name, "m_%s"))
      v = i;
  int rc = v < 0 ? ERR(e, ERR_RUNTIME, "%s: no overlaps of probe kind %d", o->path, kind) : 0;
  CHECK(e, agree_relay(o->comm, rc, e));
  return output_xfer(o, false, v, 4, ids, count, buf, e);
}
