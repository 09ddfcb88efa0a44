#include "hopscan/probes.h"

#include "hopscan/couplings.h"
#include "hopscan/dynamics.h"
#include "hopscan/fields.h"
#include "hopscan/overlaps.h"
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

int probes_worker_init(probes_worker_t *w, const config_t *c, MPI_Comm group,
                       const engine_costs_t *costs, err_t *e) {
  memset(w, 0, sizeof *w);
  w->c = c;
  w->group = group;
  w->engine = c->engine;
  w->isa = overlaps_best_isa();
  w->ctxt = -1;
  int rank, rc = 0;
  MPI_Comm_rank(group, &rank);
  CHECK(e, layout_init(&w->lay, c->N, c->block_size, group, e));
  TRY(e, rc, couplings_grid_init(&w->ctxt, group, e), fail);
  /* only the first rank measures; a failure there (out of memory) falls back to the defaults */
  engine_costs_default(&w->costs);
  if (costs) {
    w->costs = *costs;
    return 0;
  }
  if (rank == 0) {
    err_t ignored;
    engine_costs_t k;
    if (engine_costs_measure(&k, &ignored) == 0)
      w->costs = k;
  }
  if (MPI_Bcast(&w->costs, (int)sizeof w->costs, MPI_BYTE, 0, group) != MPI_SUCCESS) {
    rc = ERR(e, ERR_RUNTIME, "MPI_Bcast of the engine costs failed");
    goto fail;
  }
  return 0;
fail:
  probes_worker_free(w);
  return rc;
}

void probes_worker_free(probes_worker_t *w) {
  couplings_grid_free(w->ctxt);
  w->ctxt = -1;
  layout_free(&w->lay);
}

/* One task in flight: its probes' start states, and where each result goes. */
typedef struct run {
  probes_worker_t *w;
  task_result_t *r;
  int64_t ntot;
  int8_t *S;      /* [ntot][N] start states */
  int8_t *s;      /* [N] running state */
  int *kind;      /* [ntot] probe kind of state q */
  int64_t *index; /* [ntot] probe index within its kind */
  dynamics_t d;
  task_stop_fn stop;
  void *stop_ctx;
} run_t;

/* Runs probe q from its start state on engine eng (its state q - q0), records m and sweeps. */
static int run_probe(run_t *x, const dyn_engine_t *eng, int64_t q, int64_t q0, err_t *e) {
  const int64_t N = x->w->c->N;
  const int8_t *s0 = x->S + q * N;
  memcpy(x->s, s0, (size_t)N);
  int64_t sweeps = 0, flips0 = x->d.n_flips;
  uint64_t probe_id = ((uint64_t)x->kind[q] << 32) | (uint64_t)x->index[q];
  CHECK(e, dynamics_run(&x->d, eng, x->s, q - q0, probe_id, &sweeps, e));
  int64_t dot = 0;
  for (int64_t i = 0; i < N; i++)
    dot += (int64_t)x->s[i] * s0[i];
  x->r->m[x->kind[q]][x->index[q]] = (float)((double)dot / (double)N);
  x->r->sweeps[x->kind[q]][x->index[q]] = (int32_t)sweeps;
  x->w->last.sweeps += sweeps < 0 ? x->w->c->max_sweeps : sweeps + 1;
  x->w->last.flips += x->d.n_flips - flips0;
  return 0;
}

/* Probes from *q on while auto's cost model (or a fixed choice of overlaps) keeps them on the
 * overlaps engine; *q is left at the first probe not run. */
static int run_overlaps(run_t *x, const patterns_t *p, bool auto_mode, int64_t *q, err_t *e) {
  probes_worker_t *w = x->w;
  const int64_t N = w->c->N, g = w->lay.g;
  overlaps_t o;
  CHECK(e, overlaps_init(&o, &w->lay, p->P, e));
  if (w->isa < o.isa)
    o.isa = w->isa;
  int rc = 0;
  double t0 = util_now();
  TRY(e, rc, overlaps_build(&o, p, e), out);
  w->last.t_patterns += util_now() - t0;
  dyn_engine_t eng = overlaps_engine(&o);
  int64_t sweeps0 = w->last.sweeps, flips0 = w->last.flips;
  for (int64_t done = 0; *q < x->ntot; (*q)++, done++) {
    if (auto_mode && engine_switch(&w->costs, N, p->P, g, x->ntot, done, w->last.sweeps - sweeps0,
                                   w->last.flips - flips0))
      break;
    if (task_should_stop(w->group, x->stop, x->stop_ctx)) {
      rc = ERR_STOPPED;
      goto out;
    }
    TRY(e, rc, overlaps_set_state(&o, x->S + *q * N, e), out);
    TRY(e, rc, run_probe(x, &eng, *q, 0, e), out);
    w->last.overlaps_probes++;
  }
out:
  overlaps_free(&o);
  return rc;
}

/* Probes q0.. on J. */
static int run_couplings(run_t *x, const patterns_t *p, int64_t q0, err_t *e) {
  probes_worker_t *w = x->w;
  couplings_t cp;
  fields_t f;
  couplings_init(&cp, &w->lay, w->ctxt);
  fields_init(&f, &cp);
  int rc = 0;
  double t0 = util_now();
  TRY(e, rc, couplings_build(&cp, p, x->stop, x->stop_ctx, e), out);
  w->last.t_build += util_now() - t0;
  TRY(e, rc, fields_set_states(&f, x->S + q0 * w->c->N, x->ntot - q0, e), out);
  dyn_engine_t eng = fields_engine(&f);
  for (int64_t q = q0; q < x->ntot; q++) {
    if (task_should_stop(w->group, x->stop, x->stop_ctx)) {
      rc = ERR_STOPPED;
      goto out;
    }
    TRY(e, rc, run_probe(x, &eng, q, q0, e), out);
    w->last.couplings_probes++;
  }
out:
  fields_free(&f);
  couplings_free(&cp);
  return rc;
}

static void run_free(run_t *x) {
  free(x->S);
  free(x->s);
  free(x->kind);
  free(x->index);
}

static int run_setup(run_t *x, const patterns_t *p, err_t *e) {
  const config_t *c = x->w->c;
  const int64_t N = c->N;
  int64_t *idx[PROBE_KINDS] = {NULL, NULL, NULL};
  int rc = 0;
  x->ntot = 0;
  for (int k = 0; k < PROBE_KINDS; k++)
    x->ntot += c->probes[k];
  TRY(e, rc, pick_probes(c, p, idx, e), out);
  TRY(e, rc, util_alloc((void **)&x->S, (size_t)x->ntot, (size_t)N, "probe start states", e), out);
  TRY(e, rc, util_alloc((void **)&x->s, (size_t)N, 1, "probe state", e), out);
  TRY(e, rc, util_alloc((void **)&x->kind, (size_t)x->ntot, sizeof(int), "probe kinds", e), out);
  TRY(e, rc, util_alloc((void **)&x->index, (size_t)x->ntot, sizeof(int64_t), "probe ids", e), out);
  TRY(e, rc, start_states(c, p, idx, x->S, x->ntot, x->w->group, e), out);
  for (int k = 0, q = 0; k < PROBE_KINDS; k++)
    for (int64_t j = 0; j < c->probes[k]; j++, q++) {
      x->kind[q] = k;
      x->index[q] = j;
    }
out:
  for (int k = 0; k < PROBE_KINDS; k++)
    free(idx[k]);
  return rc;
}

int probes_run_task(probes_worker_t *w, task_t t, task_result_t *r, task_stop_fn stop,
                    void *stop_ctx, err_t *e) {
  const config_t *c = w->c;
  int rc = 0;
  double t0 = util_now();
  memset(&w->last, 0, sizeof w->last);
  run_t x = {.w = w, .r = r, .stop = stop, .stop_ctx = stop_ctx};
  patterns_t p;
  bool have_d = false;
  CHECK(e, patterns_init(&p, c, t, w->lay.rows, w->lay.nloc, e));
  TRY(e, rc, run_setup(&x, &p, e), out);
  rng_addr_t addr = {.seed = c->seed, .sample = (uint64_t)t.sample, .point = (uint64_t)t.point};
  TRY(e, rc, dynamics_init(&x.d, &w->lay, c->order, c->max_sweeps, addr, e), out);
  have_d = true;
  int64_t q = 0;
  engine_kind first = engine_start(&w->costs, w->engine, c->N, p.P, w->lay.g, x.ntot);
  if (first == ENGINE_OVERLAPS)
    TRY(e, rc, run_overlaps(&x, &p, w->engine == ENGINE_AUTO, &q, e), out);
  if (q < x.ntot)
    TRY(e, rc, run_couplings(&x, &p, q, e), out);
out:
  if (have_d)
    dynamics_free(&x.d);
  run_free(&x);
  patterns_free(&p);
  w->last.t_total = util_now() - t0;
  return rc;
}
