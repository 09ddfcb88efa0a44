#include "hopscan/probes.h"

#include "hopscan/couplings.h"
#include "hopscan/dynamics.h"
#include "hopscan/patterns.h"
#include "hopscan/rng.h"
#include "hopscan/util.h"

#include <stdlib.h>
#include <string.h>

/* Which examples/features each probe starts from: train examples and features are drawn without
 * replacement (stream RNG_PROBE_PICK, row = kind); test probes use fresh examples 0..n-1. */
static int pick_probes(const config_t *c, const patterns_t *p, int64_t *idx[PROBE_KINDS],
                       err_t *e) {
  rng_addr_t a = p->addr;
  a.stream = RNG_PROBE_PICK;
  const int64_t range[PROBE_KINDS] = {p->P, 0, p->D};
  for (int k = 0; k < PROBE_KINDS; k++) {
    int64_t n = c->probes[k];
    CHECK(e, util_alloc((void **)&idx[k], (size_t)n, sizeof(int64_t), "probe indices", e));
    if (k == PROBE_TEST) {
      for (int64_t q = 0; q < n; q++)
        idx[k][q] = q;
    } else if (n > range[k]) {
      return ERR(e, ERR_USAGE, "%lld %s probes but only %lld to choose from", (long long)n,
                 config_probe_names[k], (long long)range[k]);
    } else if (rng_distinct(&a, (uint64_t)k, 0, n, range[k], idx[k]) != 0) {
      return ERR(e, ERR_RUNTIME, "out of memory drawing probe indices");
    }
  }
  return 0;
}

/* Full start states of every probe (n_total x N): each rank fills its rows, a sum over the group
 * assembles them (every entry has exactly one owner). */
static int start_states(const config_t *c, const patterns_t *p, int64_t *idx[PROBE_KINDS],
                        int8_t *S, int64_t ntot, MPI_Comm group, err_t *e) {
  const int64_t N = c->N;
  memset(S, 0, (size_t)ntot * (size_t)N);
  int8_t *row = S;
  CHECK(e, patterns_examples_i8(p, EXAMPLES_TRAIN, idx[PROBE_TRAIN], c->probes[PROBE_TRAIN], row, N,
                                e));
  row += c->probes[PROBE_TRAIN] * N;
  CHECK(e,
        patterns_examples_i8(p, EXAMPLES_TEST, idx[PROBE_TEST], c->probes[PROBE_TEST], row, N, e));
  row += c->probes[PROBE_TEST] * N;
  if (c->probes[PROBE_FEATURE] > 0)
    patterns_features_i8(p, idx[PROBE_FEATURE], c->probes[PROBE_FEATURE], row, N);
  int size;
  MPI_Comm_size(group, &size);
  if (size > 1) {
    int count;
    CHECK(e, util_to_int(ntot * N, &count, "probe states", e));
    if (MPI_Allreduce(MPI_IN_PLACE, S, count, MPI_INT8_T, MPI_SUM, group) != MPI_SUCCESS)
      return ERR(e, ERR_RUNTIME, "MPI_Allreduce of probe states failed");
  }
  return 0;
}

int probes_run_task(const config_t *c, task_t t, MPI_Comm group, task_result_t *r,
                    task_stop_fn stop, void *stop_ctx, err_t *e) {
  int rc = 0;
  couplings_t cp;
  patterns_t p;
  dynamics_t d;
  int64_t *idx[PROBE_KINDS] = {NULL, NULL, NULL};
  int8_t *S = NULL, *s = NULL;
  bool have_cp = false, have_p = false, have_d = false;
  const int64_t N = c->N;
  int64_t ntot = 0;
  for (int k = 0; k < PROBE_KINDS; k++)
    ntot += c->probes[k];

  TRY(e, rc, couplings_init(&cp, N, c->block_size, group, e), out);
  have_cp = true;
  TRY(e, rc, patterns_init(&p, c, t, cp.rows, cp.nloc, e), out);
  have_p = true;
  TRY(e, rc, couplings_build(&cp, &p, stop, stop_ctx, e), out);
  TRY(e, rc, pick_probes(c, &p, idx, e), out);
  TRY(e, rc, util_alloc((void **)&S, (size_t)ntot, (size_t)N, "probe start states", e), out);
  TRY(e, rc, util_alloc((void **)&s, (size_t)N, 1, "probe state", e), out);
  TRY(e, rc, start_states(c, &p, idx, S, ntot, group, e), out);
  TRY(e, rc, dynamics_init(&d, &cp, c, c->seed, (uint64_t)t.point, (uint64_t)t.sample, group, e),
      out);
  have_d = true;
  TRY(e, rc, dynamics_set_states(&d, S, ntot, e), out);

  int64_t q = 0;
  for (int k = 0; k < PROBE_KINDS; k++) {
    for (int64_t j = 0; j < c->probes[k]; j++, q++) {
      if (task_should_stop(group, stop, stop_ctx)) {
        rc = ERR_STOPPED;
        goto out;
      }
      const int8_t *s0 = S + q * N;
      memcpy(s, s0, (size_t)N);
      int64_t sweeps = 0;
      uint64_t probe_id = ((uint64_t)k << 32) | (uint64_t)j;
      TRY(e, rc, dynamics_run(&d, s, q, probe_id, &sweeps, e), out);
      int64_t dot = 0;
      for (int64_t i = 0; i < N; i++)
        dot += (int64_t)s[i] * s0[i];
      r->m[k][j] = (float)((double)dot / (double)N);
      r->sweeps[k][j] = (int32_t)sweeps;
    }
  }
out:
  if (have_d)
    dynamics_free(&d);
  if (have_p)
    patterns_free(&p);
  if (have_cp)
    couplings_free(&cp);
  for (int k = 0; k < PROBE_KINDS; k++)
    free(idx[k]);
  free(S);
  free(s);
  return rc;
}
