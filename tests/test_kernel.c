/* Kernel correctness under MPI (run with 3 or 4 ranks):
 * - J from ScaLAPACK equals the naive triple loop for awkward N, P, block sizes, group sizes 1-4;
 * - probes give bit-identical results for group sizes 1..size and two block sizes;
 * - the distributed dynamics equals the textbook algorithm; energy never increases; final states
 *   are fixed points of the explicitly built J;
 * - a hand-checkable N = 4, P = 1 case and an N = 3 tie case;
 * - every check of the dynamics also for the J-free overlaps engine (each SIMD variant the CPU
 *   runs): the same fields, states, sweeps and probe results bit for bit. */
#include "hopscan/couplings.h"
#include "hopscan/dynamics.h"
#include "hopscan/fields.h"
#include "hopscan/overlaps.h"
#include "hopscan/probes.h"
#include "hopscan/util.h"
#include "kernel_common.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define REGRESSION_PIN "126159a330539b0c35b448eb1883558aba83793e8dcb1a71e453bd0ed47b556b"

static void check_couplings(MPI_Comm world, int64_t N, int64_t P, int64_t nb, const char *model) {
  int size, wrank;
  MPI_Comm_size(world, &size);
  MPI_Comm_rank(world, &wrank);
  char yaml[512];
  if (!strcmp(model, "hopfield"))
    snprintf(yaml, sizeof yaml,
             "model: hopfield\nN: %lld\nalpha: [%.17g]\nprobes: {train: 0, test: 1}\n"
             "parallel: {block_size: %lld}\n",
             (long long)N, (double)P / (double)N, (long long)nb);
  else
    snprintf(yaml, sizeof yaml,
             "N: %lld\nalpha: [%.17g]\nalpha_D: [%.17g]\nL: [2]\ncoefficients: %s\n"
             "probes: {train: 0, test: 1, feature: 0}\nparallel: {block_size: %lld}\n",
             (long long)N, (double)P / (double)N, 3.0 / (double)N, model, (long long)nb);
  config_t c;
  kt_config(&c, yaml);
  task_t t = {0, 1};
  int64_t *Jn = kt_naive_J(&c, t);
  for (int g = 1; g <= size && g <= 4; g++) {
    MPI_Comm comm = kt_group(world, g);
    if (comm == MPI_COMM_NULL)
      continue;
    layout_t lay;
    couplings_t cp;
    patterns_t p;
    err_t e;
    int ctxt;
    T_OK(&e, layout_init(&lay, N, nb, comm, &e));
    T_OK(&e, couplings_grid_init(&ctxt, comm, &e));
    couplings_init(&cp, &lay, ctxt);
    T_OK(&e, task_patterns_init(&p, &c, t, lay.rows, lay.nloc, &e));
    T_OK(&e, couplings_build(&cp, &p, NULL, &e));
    int64_t bad = 0;
    for (int64_t r = 0; r < lay.nloc; r++)
      for (int64_t j = 0; j < N; j++)
        bad += couplings_at(&cp, r, j) != Jn[lay.rows[r] * N + j];
    if (bad)
      fprintf(stderr, "J mismatch: N=%lld P=%lld nb=%lld g=%d model=%s: %lld entries\n",
              (long long)N, (long long)P, (long long)nb, g, model, (long long)bad);
    T_EQ_I(bad, 0);
    T_EQ_I(cp.elem, P <= 32767 ? 2 : 4);
    patterns_free(&p);
    couplings_free(&cp);
    couplings_grid_free(ctxt);
    layout_free(&lay);
    MPI_Comm_free(&comm);
  }
  free(Jn);
  config_free(&c);
}

/* The engines every check runs: couplings, overlaps with each SIMD variant this CPU has, auto. */
typedef struct engine_case {
  kt_engine engine;
  overlaps_isa isa;
} engine_case_t;

static int engine_cases(engine_case_t cases[OVERLAPS_VNNI + 4]) {
  int n = 0;
  overlaps_isa best = overlaps_best_isa();
  cases[n++] = (engine_case_t){KT_COUPLINGS, best};
  for (int isa = OVERLAPS_PORTABLE; isa <= (int)best; isa++)
    cases[n++] = (engine_case_t){KT_OVERLAPS, (overlaps_isa)isa};
  cases[n++] = (engine_case_t){KT_AUTO, best};
  cases[n++] = (engine_case_t){KT_AUTO_SWITCH, best};
  return n;
}

/* Runs task t on groups of size 1..size (block sizes nb1, nb2) with every engine and checks
 * identical results. */
static void check_probes_identical(MPI_Comm world, const char *yaml_fmt, int64_t nb1, int64_t nb2) {
  int size, rank;
  MPI_Comm_size(world, &size);
  MPI_Comm_rank(world, &rank);
  task_result_t ref;
  bool have_ref = false;
  const int64_t nbs[2] = {nb1, nb2};
  engine_case_t ec[OVERLAPS_VNNI + 4];
  const int n_ec = engine_cases(ec);
  for (int b = 0; b < 2; b++) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, yaml_fmt, (long long)nbs[b]);
    config_t c;
    kt_config(&c, yaml);
    task_t t = {config_points(&c) - 1, 1};
    for (int g = 1; g <= size; g++)
      for (int k = 0; k < n_ec; k++) {
        MPI_Comm comm = kt_group(world, g);
        task_result_t r;
        err_t e;
        T_OK(&e, task_result_init(&r, &c, t, &e));
        if (comm != MPI_COMM_NULL) {
          T_OK(&e, kt_run_task(&c, t, comm, ec[k].engine, ec[k].isa, &r, NULL, &e));
          MPI_Comm_free(&comm);
        }
        /* rank 0 is in every group: it compares */
        if (rank == 0) {
          if (!have_ref) {
            ref = r;
            have_ref = true;
            continue;
          }
          for (int kk = 0; kk < r.n_kinds; kk++)
            for (int64_t j = 0; j < r.n[kk]; j++) {
              if (memcmp(&r.m[kk][j], &ref.m[kk][j], sizeof(float)) != 0 ||
                  r.sweeps[kk][j] != ref.sweeps[kk][j]) {
                fprintf(stderr,
                        "g=%d nb=%lld engine %s/%s kind %d probe %lld: m %g/%g sweeps "
                        "%d/%d\n",
                        g, (long long)nbs[b], kt_engine_name(ec[k].engine),
                        overlaps_isa_name(ec[k].isa), kk, (long long)j, r.m[kk][j], ref.m[kk][j],
                        r.sweeps[kk][j], ref.sweeps[kk][j]);
                test_failures++;
              }
            }
        }
        task_result_free(&r);
      }
    config_free(&c);
  }
  if (rank == 0 && have_ref) {
    /* the runs did something: not every probe trivially at its start */
    int64_t moved = 0;
    for (int k = 0; k < ref.n_kinds; k++)
      for (int64_t j = 0; j < ref.n[k]; j++)
        moved += ref.sweeps[k][j] != 0;
    T_CHECK(moved > 0);
    task_result_free(&ref);
  }
}

/* Runs s (state q of eng) and checks it against the textbook result s_tb / sweeps_tb. */
static void check_engine_run(dynamics_t *d, const dyn_engine_t *eng, int8_t *s, const int8_t *s0,
                             uint64_t probe, const int8_t *s_tb, int64_t sweeps_tb, int64_t N,
                             const char *what) {
  err_t e;
  int64_t sweeps = -7;
  memcpy(s, s0, (size_t)N);
  T_OK(&e, dynamics_run(d, eng, s, 0, probe, &sweeps, &e));
  if (memcmp(s, s_tb, (size_t)N) != 0 || sweeps != sweeps_tb) {
    fprintf(stderr, "%s: probe %llu differs from the textbook dynamics (sweeps %lld vs %lld)\n",
            what, (unsigned long long)probe, (long long)sweeps, (long long)sweeps_tb);
    test_failures++;
  }
}

/* One rank: both engines vs textbook, energy monotone, fixed points of dense J, and the overlaps
 * engine's fields equal J s at the start and the end of every run. */
static void check_dynamics_single(const char *yaml) {
  config_t c;
  kt_config(&c, yaml);
  task_t t = {0, 0};
  const int64_t N = c.N;
  int64_t *Jn = kt_naive_J(&c, t);
  layout_t lay;
  couplings_t cp;
  fields_t f;
  overlaps_t o;
  patterns_t p;
  dynamics_t d;
  err_t e;
  int ctxt;
  T_OK(&e, layout_init(&lay, N, c.block_size, MPI_COMM_SELF, &e));
  T_OK(&e, couplings_grid_init(&ctxt, MPI_COMM_SELF, &e));
  couplings_init(&cp, &lay, ctxt);
  T_OK(&e, task_patterns_init(&p, &c, t, lay.rows, lay.nloc, &e));
  T_OK(&e, couplings_build(&cp, &p, NULL, &e));
  T_OK(&e, overlaps_init(&o, &lay, p.P, &e));
  T_OK(&e, overlaps_build(&o, &p, &e));
  fields_init(&f, &cp);
  rng_addr_t addr = {.seed = c.seed};
  T_OK(&e, dynamics_init(&d, &lay, c.order, c.max_sweeps, addr, &e));
  dyn_engine_t feng = fields_engine(&f), oeng = overlaps_engine(&o);
  const overlaps_isa best = overlaps_best_isa();
  int8_t *s0 = malloc((size_t)N), *s = malloc((size_t)N), *s2 = malloc((size_t)N);
  int64_t runs = 0, flipped = 0;
  for (uint64_t probe = 0; probe < 12; probe++) {
    /* random start, or a train example */
    rng_addr_t a = {.seed = 99, .sample = probe, .point = 0, .stream = RNG_FEATURES};
    if (probe < 6) {
      for (int64_t i = 0; i < N; i++)
        s0[i] = rng_bit(&a, 0, 0, (uint64_t)i) ? 1 : -1;
    } else {
      int64_t nu = (int64_t)probe;
      T_OK(&e, patterns_examples_i8(&p, EXAMPLES_TRAIN, &nu, 1, s0, N, &e));
    }
    memcpy(s, s0, (size_t)N);
    T_OK(&e, fields_set_states(&f, s, 1, &e));
    int64_t sweeps = 0, sweeps_tb = 0;
    T_OK(&e, dynamics_run(&d, &feng, s, 0, probe, &sweeps, &e));
    memcpy(s2, s0, (size_t)N);
    T_OK(&e, dynamics_run_textbook(&d, &cp, s2, probe, &sweeps_tb, &e));
    T_CHECK(memcmp(s, s2, (size_t)N) == 0);
    T_EQ_I(sweeps, sweeps_tb);
    /* fields kept incrementally equal fields recomputed from scratch */
    int64_t *h = malloc(sizeof(int64_t) * (size_t)N);
    for (int64_t r = 0; r < N; r++)
      h[r] = fields_at(&f, 0, r);
    T_OK(&e, fields_set_states(&f, s, 1, &e));
    int64_t bad = 0;
    for (int64_t r = 0; r < N; r++)
      bad += h[r] != fields_at(&f, 0, r);
    T_EQ_I(bad, 0);
    /* the overlaps engine, each SIMD variant: the same fields at the start, the same run, the
     * same fields at the end (M kept by flips equals M recomputed) */
    for (int isa = OVERLAPS_PORTABLE; isa <= (int)best; isa++) {
      o.isa = (overlaps_isa)isa;
      T_OK(&e, fields_set_states(&f, s0, 1, &e));
      T_OK(&e, overlaps_set_state(&o, s0, &e));
      int64_t obad = 0;
      for (int64_t r = 0; r < N; r++)
        obad += overlaps_field(&o, s0, r) != fields_at(&f, 0, r);
      check_engine_run(&d, &oeng, s, s0, probe, s2, sweeps_tb, N, overlaps_isa_name(o.isa));
      int64_t hend[3] = {overlaps_field(&o, s, 0), overlaps_field(&o, s, N / 2),
                         overlaps_field(&o, s, N - 1)};
      T_OK(&e, overlaps_set_state(&o, s, &e));
      obad += hend[0] != overlaps_field(&o, s, 0) || hend[1] != overlaps_field(&o, s, N / 2) ||
              hend[2] != overlaps_field(&o, s, N - 1);
      if (obad)
        fprintf(stderr, "overlaps %s: %lld fields differ from J s\n", overlaps_isa_name(o.isa),
                (long long)obad);
      T_EQ_I(obad, 0);
    }
    free(h);
    /* fixed point of the dense J: s_i h_i >= 0 or h_i == 0 */
    if (sweeps >= 0) {
      int64_t unstable = 0;
      for (int64_t i = 0; i < N; i++) {
        int64_t hi = 0;
        for (int64_t j = 0; j < N; j++)
          hi += Jn[i * N + j] * s2[j];
        unstable += (int64_t)s2[i] * hi < 0;
      }
      T_EQ_I(unstable, 0);
    }
    /* energy never increases: runs cut after k sweeps are prefixes of the full run */
    int64_t prev = couplings_energy(&cp, s0);
    int64_t kmax = sweeps < 0 ? c.max_sweeps : sweeps + 1;
    dynamics_t dk = d;
    for (int64_t k = 1; k <= kmax; k++) {
      dk.max_sweeps = k;
      memcpy(s2, s0, (size_t)N);
      int64_t sw;
      T_OK(&e, dynamics_run_textbook(&dk, &cp, s2, probe, &sw, &e));
      int64_t en = couplings_energy(&cp, s2);
      T_CHECK(en <= prev);
      if (en < prev)
        flipped++;
      prev = en;
    }
    runs++;
  }
  T_CHECK(flipped > 0);
  T_EQ_I(runs, 12);
  free(s0);
  free(s);
  free(s2);
  dynamics_free(&d);
  fields_free(&f);
  overlaps_free(&o);
  patterns_free(&p);
  couplings_free(&cp);
  couplings_grid_free(ctxt);
  layout_free(&lay);
  free(Jn);
  config_free(&c);
}

/* One stored pattern xi on one rank, J_ij = xi_i xi_j off the diagonal, built by hand into the
 * caller's J[n * n] and rows[n] (no BLACS grid), and the overlaps engine's packed rows. */
typedef struct hebb1 {
  layout_t lay;
  couplings_t cp;
  fields_t f;
  overlaps_t o;
} hebb1_t;

static void hebb_one_pattern(hebb1_t *h, int n, const int8_t *xi, int16_t *J, int64_t *rows) {
  for (int i = 0; i < n; i++) {
    rows[i] = i;
    for (int j = 0; j < n; j++)
      J[i + n * j] = (int16_t)(i == j ? 0 : xi[i] * xi[j]);
  }
  h->lay =
      (layout_t){.N = n, .nb = n, .g = 1, .comm = MPI_COMM_SELF, .nloc = n, .lld = n, .rows = rows};
  h->cp = (couplings_t){.lay = &h->lay, .ctxt = -1, .P = 1, .elem = 2, .J = J};
  fields_init(&h->f, &h->cp);
  err_t e;
  T_OK(&e, overlaps_init(&h->o, &h->lay, 1, &e));
  for (int i = 0; i < n; i++)
    h->o.X[(size_t)i * (size_t)h->o.W] = xi[i] < 0 ? 1u : 0u;
}

static void hebb_free(hebb1_t *h) {
  fields_free(&h->f);
  overlaps_free(&h->o);
}

/* Sets state s on both engines (fields, overlaps with kernels isa) and returns them. */
static void hebb_set(hebb1_t *h, const int8_t *s, int isa, dyn_engine_t eng[2]) {
  err_t e;
  T_OK(&e, fields_set_states(&h->f, s, 1, &e));
  h->o.isa = (overlaps_isa)isa;
  T_OK(&e, overlaps_set_state(&h->o, s, &e));
  eng[0] = fields_engine(&h->f);
  eng[1] = overlaps_engine(&h->o);
}

/* N = 4, P = 1, xi = (1, -1, 1, 1): J_ij = xi_i xi_j off the diagonal. From s0 = (1, -1, 1, -1)
 * the field of spin 3 is 3 > 0, so it flips, and the state is xi after one sweep with a flip;
 * xi is a fixed point with energy -6. Both engines, every SIMD variant. */
static void check_hand_case(void) {
  config_t c;
  kt_config(&c, "model: hopfield\nN: 4\nalpha: [0.25]\nprobes: {train: 1, test: 0}\n"
                "dynamics: {order: cyclic}\n");
  const int8_t xi[4] = {1, -1, 1, 1};
  int16_t J[16];
  int64_t rows[4];
  hebb1_t h;
  hebb_one_pattern(&h, 4, xi, J, rows);
  dynamics_t d;
  err_t e;
  T_OK(&e, dynamics_init(&d, &h.lay, c.order, c.max_sweeps, (rng_addr_t){.seed = 1}, &e));
  for (int isa = OVERLAPS_PORTABLE; isa <= (int)overlaps_best_isa(); isa++)
    for (int k = 0; k < 2; k++) {
      dyn_engine_t eng[2];
      int8_t s[4] = {1, -1, 1, -1};
      int64_t sweeps = -5;
      hebb_set(&h, s, isa, eng);
      T_EQ_I(fields_at(&h.f, 0, 3), 3);
      T_EQ_I(overlaps_field(&h.o, s, 3), 3);
      T_EQ_I(fields_at(&h.f, 0, 0), 1 + 1 - 1); /* xi_0 (xi_1 s_1 + xi_2 s_2 + xi_3 s_3) */
      T_EQ_I(overlaps_field(&h.o, s, 0), 1);
      T_EQ_I(couplings_energy(&h.cp, s), 0);
      T_OK(&e, dynamics_run(&d, &eng[k], s, 0, 0, &sweeps, &e));
      T_CHECK(memcmp(s, xi, 4) == 0);
      T_EQ_I(sweeps, 1);
      T_EQ_I(couplings_energy(&h.cp, s), -6);
      /* a fixed point is fixed: zero sweeps */
      T_OK(&e, dynamics_run(&d, &eng[k], s, 0, 0, &sweeps, &e));
      T_EQ_I(sweeps, 0);
      T_CHECK(memcmp(s, xi, 4) == 0);
      /* an unstable first spin (ties, h = 0, are checked in check_tie_case) */
      int8_t z[4] = {-1, 1, 1, 1}; /* h_0 = xi_0 (-1 + 1 + 1) = 1 > 0 and s_0 = -1: unstable */
      hebb_set(&h, z, isa, eng);
      T_EQ_I(fields_at(&h.f, 0, 0), 1);
      T_EQ_I(overlaps_field(&h.o, z, 0), 1);
      T_OK(&e, dynamics_run(&d, &eng[k], z, 0, 0, &sweeps, &e));
      /* cyclic order: spin 0 flips to +1 first; then spin 1 sees field -3 with s_1 = +1 */
      T_CHECK(memcmp(z, xi, 4) == 0);
    }
  dynamics_free(&d);
  hebb_free(&h);
  config_free(&c);
}

/* Ties: N = 3, P = 1, xi = (1, 1, 1), so h_i = s_j + s_k can be 0, and a spin with h = 0 keeps
 * its value. Cyclic order from (1, 1, -1): spins 0 and 1 see h = 0 and stay, spin 2 sees h = 2
 * and flips: (1, 1, 1). Mirror image from (-1, -1, 1): (-1, -1, -1). A rule that flipped on
 * h = 0 (either sign) would end elsewhere. Both engines, every SIMD variant, and the textbook. */
static void check_tie_case(void) {
  config_t c;
  kt_config(&c, "model: hopfield\nN: 3\nalpha: [0.34]\nprobes: {train: 1, test: 0}\n"
                "dynamics: {order: cyclic}\n");
  const int8_t xi[3] = {1, 1, 1};
  int16_t J[9];
  int64_t rows[3];
  hebb1_t h;
  hebb_one_pattern(&h, 3, xi, J, rows);
  dynamics_t d;
  err_t e;
  T_OK(&e, dynamics_init(&d, &h.lay, c.order, c.max_sweeps, (rng_addr_t){.seed = 1}, &e));
  const int8_t start[2][3] = {{1, 1, -1}, {-1, -1, 1}}, want[2][3] = {{1, 1, 1}, {-1, -1, -1}};
  for (int isa = OVERLAPS_PORTABLE; isa <= (int)overlaps_best_isa(); isa++)
    for (int k = 0; k < 2; k++)
      for (int eg = 0; eg < 2; eg++) {
        int8_t s[3], s2[3];
        memcpy(s, start[k], 3);
        memcpy(s2, start[k], 3);
        int64_t sweeps = -5, sweeps_tb = -5;
        dyn_engine_t eng[2];
        hebb_set(&h, s, isa, eng);
        T_EQ_I(fields_at(&h.f, 0, 0), 0);
        T_EQ_I(overlaps_field(&h.o, s, 0), 0);
        T_OK(&e, dynamics_run(&d, &eng[eg], s, 0, 0, &sweeps, &e));
        T_CHECK(memcmp(s, want[k], 3) == 0);
        T_EQ_I(sweeps, 1);
        T_OK(&e, dynamics_run_textbook(&d, &h.cp, s2, 0, &sweeps_tb, &e));
        T_CHECK(memcmp(s2, want[k], 3) == 0);
        T_EQ_I(sweeps_tb, 1);
      }
  dynamics_free(&d);
  hebb_free(&h);
  config_free(&c);
}

/* Regression pin: the probe results of fixed tasks (both models, both coefficient kinds, random
 * and cyclic order) hashed with SHA-256. Any change to the random-number addressing, pattern
 * generation, couplings or dynamics changes this hash: if the change is intended, it changes
 * every published result, so update the pin deliberately and say so. Prints the hash. */
static void check_regression_pin(MPI_Comm world, kt_engine engine) {
  static const char *const yamls[] = {
      "N: 150\nalpha: [0.1, 0.4]\nalpha_D: [0.05, 0.1]\nL: [1, 3, dense]\nsamples: 2\n"
      "probes: {train: 4, test: 4, feature: 4}\nseed: 7\n",
      "N: 140\nalpha: [0.3]\nalpha_D: [0.05]\nL: [2, dense]\ncoefficients: gaussian\n"
      "dynamics: {order: cyclic}\nsamples: 2\nprobes: {train: 3, test: 3, feature: 3}\n",
      "model: hopfield\nN: 160\nalpha: [0.08, 0.2]\nsamples: 2\nprobes: {train: 5, test: 3}\n"};
  strbuf_t all;
  strbuf_init(&all);
  for (size_t y = 0; y < sizeof yamls / sizeof yamls[0]; y++) {
    config_t c;
    kt_config(&c, yamls[y]);
    for (int64_t point = 0; point < config_points(&c); point++) {
      task_t t = {point, 1};
      task_result_t r;
      err_t e;
      T_OK(&e, task_result_init(&r, &c, t, &e));
      T_OK(&e, kt_run_task(&c, t, world, engine, overlaps_best_isa(), &r, NULL, &e));
      for (int k = 0; k < r.n_kinds; k++)
        for (int64_t j = 0; j < r.n[k]; j++)
          strbuf_printf(&all, "%zu %lld %d %lld %a %d\n", y, (long long)point, k, (long long)j,
                        (double)r.m[k][j], r.sweeps[k][j]);
      task_result_free(&r);
    }
    config_free(&c);
  }
  char hex[65];
  util_sha256_hex(all.s, all.len, hex);
  int rank;
  MPI_Comm_rank(world, &rank);
  if (rank == 0)
    printf("regression pin (engine %s): %s (%zu bytes of results)\n", kt_engine_name(engine), hex,
           all.len);
  T_CHECK(strcmp(hex, REGRESSION_PIN) == 0);
  strbuf_free(&all);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm world = MPI_COMM_WORLD;
  int rank;
  MPI_Comm_rank(world, &rank);
  const int64_t cases[][3] = {{3, 1, 2},   {2, 1, 2},    {2, 2, 1},   {7, 3, 2},    {13, 5, 4},
                              {37, 11, 8}, {50, 17, 64}, {65, 40, 8}, {101, 33, 16}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    if (cases[k][0] >= 4) /* RFHM needs D = 3 <= N */
      check_couplings(world, cases[k][0], cases[k][1], cases[k][2], "pm1");
    check_couplings(world, cases[k][0], cases[k][1], cases[k][2], "hopfield");
  }
  check_couplings(world, 45, 20, 4, "gaussian");
  check_couplings(world, 30, 2100, 8, "hopfield"); /* several PSGEMM chunks */

  check_probes_identical(world,
                         "N: 157\nalpha: [0.05, 0.3]\nalpha_D: [0.04]\nL: [3]\nsamples: 2\n"
                         "probes: {train: 5, test: 5, feature: 4}\nparallel: {block_size: %lld}\n",
                         3, 64);
  check_probes_identical(world,
                         "N: 120\nalpha: [0.2]\nalpha_D: [0.05]\nL: [2, dense]\nsamples: 2\n"
                         "coefficients: gaussian\ndynamics: {order: cyclic}\n"
                         "probes: {train: 4, test: 4, feature: 3}\nparallel: {block_size: %lld}\n",
                         5, 7);
  check_probes_identical(world,
                         "model: hopfield\nN: 131\nalpha: [0.2]\nsamples: 2\n"
                         "probes: {train: 6, test: 3}\nparallel: {block_size: %lld}\n",
                         4, 32);
  for (int k = KT_COUPLINGS; k <= KT_AUTO_SWITCH; k++)
    check_regression_pin(world, (kt_engine)k);
  if (rank == 0) {
    check_dynamics_single("model: hopfield\nN: 90\nalpha: [0.3]\nprobes: {train: 0, test: 1}\n");
    check_dynamics_single("N: 80\nalpha: [0.5]\nalpha_D: [0.1]\nL: [4]\n"
                          "probes: {train: 0, test: 1, feature: 0}\n");
    check_hand_case();
    check_tie_case();
  }
  int rc = test_finish_mpi("test_kernel", world);
  MPI_Finalize();
  return rc;
}
