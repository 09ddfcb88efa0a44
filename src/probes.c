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

/* ---- probe families: the table --------------------------------------------------------------
 * What the probes of one kind start from: for probe q, components idx[q * width + j] with signs
 * sign[q * width + j] (width 1 and sign +1 except for mixtures). */
typedef struct pick {
  int width;
  int64_t *idx;
  int8_t *sign;
} pick_t;

typedef struct family_def {
  /* Draws the n probes' components of kind k (addressed by the counter-based generator). */
  int (*pick)(const patterns_t *p, const probe_kind_t *k, int64_t n, pick_t *pk, err_t *e);
  /* Fills the local rows of the n start states S[q * N + i] and, for families with components,
   * of the n * width component vectors C[(q * width + j) * N + i]. */
  int (*start)(const patterns_t *p, const pick_t *pk, int64_t n, int8_t *S, int8_t *C, int64_t N,
               err_t *e);
} family_def_t;

static int pick_alloc(pick_t *pk, int64_t n, int width, err_t *e) {
  pk->width = width;
  CHECK(e, util_alloc((void **)&pk->idx, (size_t)n * (size_t)width, sizeof(int64_t),
                      "probe indices", e));
  CHECK(e, util_alloc((void **)&pk->sign, (size_t)n * (size_t)width, 1, "probe signs", e));
  memset(pk->sign, 1, (size_t)n * (size_t)width);
  return 0;
}

/* n distinct of `range` (stream RNG_PROBE_PICK, row = the kind's rng id). */
static int pick_distinct(const patterns_t *p, const probe_kind_t *k, int64_t n, int64_t range,
                         pick_t *pk, err_t *e) {
  CHECK(e, pick_alloc(pk, n, 1, e));
  if (n > range)
    return ERR(e, ERR_USAGE, "%lld %s probes but only %lld to choose from", (long long)n, k->name,
               (long long)range);
  rng_addr_t a = p->addr;
  a.stream = RNG_PROBE_PICK;
  if (rng_distinct(&a, k->rng_id, 0, n, range, pk->idx) != 0)
    return ERR(e, ERR_RUNTIME, "out of memory drawing probe indices");
  return 0;
}

static int pick_train(const patterns_t *p, const probe_kind_t *k, int64_t n, pick_t *pk, err_t *e) {
  return pick_distinct(p, k, n, p->P, pk, e);
}

static int pick_feature(const patterns_t *p, const probe_kind_t *k, int64_t n, pick_t *pk,
                        err_t *e) {
  return pick_distinct(p, k, n, p->D, pk, e);
}

/* Test probes: fresh examples 0..n-1. */
static int pick_test(const patterns_t *p, const probe_kind_t *k, int64_t n, pick_t *pk, err_t *e) {
  (void)p;
  (void)k;
  CHECK(e, pick_alloc(pk, n, 1, e));
  for (int64_t q = 0; q < n; q++)
    pk->idx[q] = q;
  return 0;
}

/* The components mixtures are made of: features for models with features, else stored patterns. */
static int64_t mixture_range(const patterns_t *p) {
  return model_defs[p->model].features ? p->D : p->P;
}

/* Mixture probe q of size n: n distinct components (stream RNG_MIXTURE, row q, sub 2n) with sign
 * bits (row q, sub 2n + 1). */
static int pick_mixture(const patterns_t *p, const probe_kind_t *k, int64_t n, pick_t *pk,
                        err_t *e) {
  const int w = k->size;
  const int64_t range = mixture_range(p);
  CHECK(e, pick_alloc(pk, n, w, e));
  if (w > range)
    return ERR(e, ERR_USAGE, "%s probes need %d components but only %lld exist", k->name, w,
               (long long)range);
  rng_addr_t a = p->addr;
  a.stream = RNG_MIXTURE;
  for (int64_t q = 0; q < n; q++) {
    if (rng_distinct(&a, (uint64_t)q, 2 * (uint64_t)w, w, range, pk->idx + q * w) != 0)
      return ERR(e, ERR_RUNTIME, "out of memory drawing mixture components");
    rng_bits_t bits;
    rng_bits_start(&bits, &a, (uint64_t)q, 2 * (uint64_t)w + 1);
    for (int j = 0; j < w; j++)
      pk->sign[q * w + j] = (int8_t)rng_bits_sign(&bits, (uint64_t)j);
  }
  return 0;
}

static int start_train(const patterns_t *p, const pick_t *pk, int64_t n, int8_t *S, int8_t *C,
                       int64_t N, err_t *e) {
  (void)C;
  return patterns_examples_i8(p, EXAMPLES_TRAIN, pk->idx, n, S, N, e);
}

static int start_test(const patterns_t *p, const pick_t *pk, int64_t n, int8_t *S, int8_t *C,
                      int64_t N, err_t *e) {
  (void)C;
  return patterns_examples_i8(p, EXAMPLES_TEST, pk->idx, n, S, N, e);
}

static int start_feature(const patterns_t *p, const pick_t *pk, int64_t n, int8_t *S, int8_t *C,
                         int64_t N, err_t *e) {
  (void)C;
  (void)e;
  patterns_features_i8(p, pk->idx, n, S, N);
  return 0;
}

/* sign(sum_j eps_j v_j) on the local rows; the sum of an odd number of +-1 is never 0. */
static int start_mixture(const patterns_t *p, const pick_t *pk, int64_t n, int8_t *S, int8_t *C,
                         int64_t N, err_t *e) {
  const int w = pk->width;
  if (model_defs[p->model].features)
    patterns_features_i8(p, pk->idx, n * w, C, N);
  else
    CHECK(e, patterns_examples_i8(p, EXAMPLES_TRAIN, pk->idx, n * w, C, N, e));
  for (int64_t q = 0; q < n; q++)
    for (int64_t r = 0; r < p->nloc; r++) {
      const int64_t i = p->rows[r];
      int sum = 0;
      for (int j = 0; j < w; j++)
        sum += pk->sign[q * w + j] * C[(q * w + j) * N + i];
      S[q * N + i] = (int8_t)(sum > 0 ? 1 : -1);
    }
  return 0;
}

static const family_def_t families[PROBE_FAMILIES] = {
    [PROBE_TRAIN] = {.pick = pick_train, .start = start_train},
    [PROBE_TEST] = {.pick = pick_test, .start = start_test},
    [PROBE_FEATURE] = {.pick = pick_feature, .start = start_feature},
    [PROBE_MIXTURE] = {.pick = pick_mixture, .start = start_mixture},
};

/* Full start states of every probe (ntot x N) and the component vectors of kinds with components
 * (after them, ncomp x N), kind by kind in the config's order: each rank fills its rows, a sum
 * over the group assembles them (every entry has exactly one owner). */
static int start_states(const config_t *c, const patterns_t *p, int8_t *S, int64_t ntot,
                        int64_t ncomp, MPI_Comm group, err_t *e) {
  const int64_t N = c->N;
  memset(S, 0, (size_t)(ntot + ncomp) * (size_t)N);
  int8_t *row = S, *comp = S + ntot * N;
  for (int k = 0; k < c->n_kinds; k++) {
    const int64_t n = c->probes[k];
    if (n <= 0)
      continue;
    const family_def_t *f = &families[c->kinds[k].family];
    pick_t pk = {0, NULL, NULL};
    int rc = f->pick(p, &c->kinds[k], n, &pk, e);
    if (!rc)
      rc = f->start(p, &pk, n, row, comp, N, e);
    free(pk.idx);
    free(pk.sign);
    CHECK(e, rc);
    row += n * N;
    if (c->kinds[k].components)
      comp += n * c->kinds[k].size * N;
  }
  int size;
  MPI_Comm_size(group, &size);
  if (size > 1) {
    int count;
    CHECK(e, util_to_int((ntot + ncomp) * N, &count, "probe states", e));
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
  if (costs) {
    w->costs = *costs;
    return 0;
  }
  engine_costs_default(&w->costs);
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
  int64_t ncomp;
  int8_t *S;      /* [ntot][N] start states, then [ncomp][N] component vectors */
  int8_t *s;      /* [N] running state */
  int *kind;      /* [ntot] probe kind of state q */
  int64_t *index; /* [ntot] probe index within its kind */
  int64_t *comp;  /* [ntot] row of the probe's first component in S (kinds with components) */
  dynamics_t d;
  kstop_t stop;
} run_t;

/* Mean over the probe's components of |overlap of s with the component|. */
static float components_overlap(const run_t *x, int64_t q) {
  const int64_t N = x->w->c->N;
  const int w = x->w->c->kinds[x->kind[q]].size;
  int64_t sum = 0;
  for (int j = 0; j < w; j++) {
    const int8_t *v = x->S + (x->comp[q] + j) * N;
    int64_t dot = 0;
    for (int64_t i = 0; i < N; i++)
      dot += (int64_t)x->s[i] * v[i];
    sum += dot < 0 ? -dot : dot;
  }
  return (float)((double)sum / ((double)N * (double)w));
}

/* Runs probe q from its start state on engine eng (its state q - q0), records m and sweeps. */
static int run_probe(run_t *x, const dyn_engine_t *eng, int64_t q, int64_t q0, err_t *e) {
  const int64_t N = x->w->c->N;
  const int8_t *s0 = x->S + q * N;
  memcpy(x->s, s0, (size_t)N);
  int64_t sweeps = 0, flips0 = x->d.n_flips;
  const probe_kind_t *kind = &x->w->c->kinds[x->kind[q]];
  uint64_t probe_id = ((uint64_t)kind->rng_id << 32) | (uint64_t)x->index[q];
  CHECK(e, dynamics_run(&x->d, eng, x->s, q - q0, probe_id, &sweeps, e));
  int64_t dot = 0;
  for (int64_t i = 0; i < N; i++)
    dot += (int64_t)x->s[i] * s0[i];
  x->r->m[x->kind[q]][x->index[q]] = (float)((double)dot / (double)N);
  x->r->sweeps[x->kind[q]][x->index[q]] = (int32_t)sweeps;
  if (kind->components)
    x->r->m_components[x->kind[q]][x->index[q]] = components_overlap(x, q);
  x->w->last.sweeps += sweeps < 0 ? x->w->c->max_sweeps : sweeps + 1;
  x->w->last.flips += x->d.n_flips - flips0;
  return 0;
}

/* Probes from *q on while auto's cost model (or a fixed choice of overlaps) keeps them on the
 * overlaps engine; *q is left at the first probe not run. */
static int run_overlaps(run_t *x, const patterns_t *p, bool auto_mode, bool j_fits, int64_t *q,
                        err_t *e) {
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
                                   w->last.flips - flips0, j_fits))
      break;
    if (kstop_agree(w->group, &x->stop)) {
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
  TRY(e, rc, couplings_build(&cp, p, &x->stop, e), out);
  w->last.t_build += util_now() - t0;
  TRY(e, rc, fields_set_states(&f, x->S + q0 * w->c->N, x->ntot - q0, e), out);
  dyn_engine_t eng = fields_engine(&f);
  for (int64_t q = q0; q < x->ntot; q++) {
    if (kstop_agree(w->group, &x->stop)) {
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
  free(x->comp);
}

static int run_setup(run_t *x, const patterns_t *p, err_t *e) {
  const config_t *c = x->w->c;
  const int64_t N = c->N;
  x->ntot = 0;
  x->ncomp = 0;
  for (int k = 0; k < c->n_kinds; k++) {
    x->ntot += c->probes[k];
    if (c->kinds[k].components)
      x->ncomp += c->probes[k] * c->kinds[k].size;
  }
  CHECK(e, util_alloc((void **)&x->S, (size_t)(x->ntot + x->ncomp), (size_t)N, "probe start states",
                      e));
  CHECK(e, util_alloc((void **)&x->s, (size_t)N, 1, "probe state", e));
  CHECK(e, util_alloc((void **)&x->kind, (size_t)x->ntot, sizeof(int), "probe kinds", e));
  CHECK(e, util_alloc((void **)&x->index, (size_t)x->ntot, sizeof(int64_t), "probe ids", e));
  CHECK(e, util_alloc((void **)&x->comp, (size_t)x->ntot, sizeof(int64_t), "probe components", e));
  CHECK(e, start_states(c, p, x->S, x->ntot, x->ncomp, x->w->group, e));
  int64_t q = 0, comp = x->ntot;
  for (int k = 0; k < c->n_kinds; k++)
    for (int64_t j = 0; j < c->probes[k]; j++, q++) {
      x->kind[q] = k;
      x->index[q] = j;
      x->comp[q] = c->kinds[k].components ? comp : -1;
      if (c->kinds[k].components)
        comp += c->kinds[k].size;
    }
  return 0;
}

int probes_run_task(probes_worker_t *w, task_t t, task_result_t *r, task_stop_fn stop,
                    void *stop_ctx, err_t *e) {
  const config_t *c = w->c;
  int rc = 0;
  double t0 = util_now();
  memset(&w->last, 0, sizeof w->last);
  run_t x = {.w = w, .r = r, .stop = {stop, stop_ctx}};
  patterns_t p;
  bool have_d = false;
  CHECK(e, task_patterns_init(&p, c, t, w->lay.rows, w->lay.nloc, e));
  TRY(e, rc, run_setup(&x, &p, e), out);
  rng_addr_t addr = {.seed = c->seed, .sample = (uint64_t)t.sample, .point = (uint64_t)t.point};
  TRY(e, rc, dynamics_init(&x.d, &w->lay, c->order, c->max_sweeps, addr, e), out);
  have_d = true;
  int64_t q = 0;
  /* J, its fields and the start states within the rank's memory */
  bool j_fits = !(w->mem_per_rank > 0) ||
                couplings_bytes(c->N, w->lay.nloc, p.P) +
                        (double)x.ntot * ((double)w->lay.nloc * 8.0 + (double)c->N) <=
                    w->mem_per_rank;
  engine_kind first = engine_start(&w->costs, w->engine, c->N, p.P, w->lay.g, x.ntot, j_fits);
  if (first == ENGINE_OVERLAPS)
    TRY(e, rc, run_overlaps(&x, &p, w->engine == ENGINE_AUTO, j_fits, &q, e), out);
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

int probes_start_states(probes_worker_t *w, task_t t, int8_t **S, int64_t *ntot, err_t *e) {
  run_t x = {.w = w};
  patterns_t p;
  *S = NULL;
  *ntot = 0;
  CHECK(e, task_patterns_init(&p, w->c, t, w->lay.rows, w->lay.nloc, e));
  int rc = run_setup(&x, &p, e);
  if (!rc) {
    *S = x.S; /* the start states come first; the component rows after them are not asked for */
    *ntot = x.ntot;
    x.S = NULL;
  }
  run_free(&x);
  patterns_free(&p);
  return rc;
}
