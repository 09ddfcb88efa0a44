#include "hopscan/bench.h"

#include "hopscan/cli.h"
#include "hopscan/config.h"
#include "hopscan/couplings.h"
#include "hopscan/dynamics.h"
#include "hopscan/fields.h"
#include "hopscan/overlaps.h"
#include "hopscan/patterns.h"
#include "hopscan/probes.h"
#include "hopscan/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void bench_opts_default(bench_opts_t *o) {
  *o = (bench_opts_t){.N = 4000,
                      .alpha = 1.0,
                      .alpha_D = 0.05,
                      .L = 3,
                      .probes = 8,
                      .textbook = true,
                      .sample_N = {2000, 4000},
                      .n_sample_N = 2,
                      .engine_N = 8000,
                      .engine_alpha = {0.05, 0.5, 2.0},
                      .n_engine_alpha = 3,
                      .big_N = 32000};
}

static int make_config(config_t *c, int64_t N, double alpha, double alpha_D, int64_t L,
                       int64_t probes, err_t *e) {
  char yaml[512], l[32] = "dense"; /* L = 0: dense */
  if (L > 0)
    snprintf(l, sizeof l, "%lld", (long long)L);
  snprintf(yaml, sizeof yaml,
           "N: %lld\nalpha: [%.17g]\nalpha_D: [%.17g]\nL: [%s]\nsamples: 1\n"
           "probes: {train: %lld, test: %lld, feature: %lld}\n",
           (long long)N, alpha, alpha_D, l, (long long)probes, (long long)probes,
           (long long)probes);
  config_init(c);
  CHECK(e, config_load_string(c, yaml, strlen(yaml), "bench", e));
  return 0;
}

static void machine_line(int ranks) {
  char host[256] = "?", cpu[256] = "?";
  gethostname(host, sizeof host);
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f) {
    char line[512];
    while (fgets(line, sizeof line, f))
      if (!strncmp(line, "model name", 10)) {
        char *p = strchr(line, ':');
        if (p) {
          snprintf(cpu, sizeof cpu, "%s", p + 2);
          cpu[strcspn(cpu, "\n")] = '\0';
        }
        break;
      }
    fclose(f);
  }
  const char *thr = getenv("OPENBLAS_NUM_THREADS");
  printf("machine: %s, %s, %ld cores online, %d MPI ranks, OPENBLAS_NUM_THREADS=%s\n", host, cpu,
         sysconf(_SC_NPROCESSORS_ONLN), ranks, thr ? thr : "(unset)");
  printf("%s\n\n", cli_version());
}

/* Section 1: ScaLAPACK J build on comm vs one SGEMM call on rank 0. */
static int bench_build(const config_t *c, MPI_Comm comm, err_t *e) {
  int rank, size, rc = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int64_t N = c->N, P = config_P(c, 0);
  const double flops = 2.0 * (double)N * (double)N * (double)P;
  task_t t = {0, 0};
  layout_t lay;
  couplings_t cp;
  patterns_t p;
  int ctxt = -1;
  CHECK(e, layout_init(&lay, N, c->block_size, comm, e));
  TRY(e, rc, couplings_grid_init(&ctxt, comm, e), out_cp);
  couplings_init(&cp, &lay, ctxt);
  TRY(e, rc, task_patterns_init(&p, c, t, lay.rows, lay.nloc, e), out_cp);
  MPI_Barrier(comm);
  double t0 = util_now();
  TRY(e, rc, couplings_build(&cp, &p, NULL, e), out_p);
  double t_build = util_now() - t0, t_gemm = cp.t_gemm;
  MPI_Allreduce(MPI_IN_PLACE, &t_build, 1, MPI_DOUBLE, MPI_MAX, comm);
  MPI_Allreduce(MPI_IN_PLACE, &t_gemm, 1, MPI_DOUBLE, MPI_MAX, comm);
  if (rank == 0) {
    float *X = NULL, *C = NULL;
    int64_t *rows = NULL;
    patterns_t pa;
    TRY(e, rc, util_alloc((void **)&rows, (size_t)N, sizeof(int64_t), "rows", e), ref_out);
    for (int64_t i = 0; i < N; i++)
      rows[i] = i;
    TRY(e, rc, task_patterns_init(&pa, c, t, rows, N, e), ref_out);
    rc = util_alloc((void **)&X, (size_t)N, (size_t)P * sizeof(float), "bench X", e);
    if (!rc)
      rc = util_alloc((void **)&C, (size_t)N, (size_t)N * sizeof(float), "bench C", e);
    if (!rc)
      rc = patterns_examples_f32(&pa, EXAMPLES_TRAIN, 0, P, X, N, e);
    patterns_free(&pa);
    if (rc)
      goto ref_out;
    double r0 = util_now();
    couplings_sgemm_reference(N, P, X, C);
    double t_ref = util_now() - r0;
    double g_ours = flops / t_gemm * 1e-9, g_ref = flops / t_ref * 1e-9;
    printf("J build  N = %lld, P = %lld, block %lld, %d rank(s) in the group\n", (long long)N,
           (long long)P, (long long)c->block_size, size);
    printf("  ScaLAPACK PSGEMM (chunks of %d)  %8.3f s  %8.1f GFLOP/s  (%.1f per rank)\n",
           COUPLINGS_CHUNK, t_gemm, g_ours, g_ours / size);
    printf("  whole build incl. patterns      %8.3f s  %8.1f GFLOP/s\n", t_build,
           flops / t_build * 1e-9);
    printf("  plain SGEMM, one call, 1 rank   %8.3f s  %8.1f GFLOP/s\n", t_ref, g_ref);
    printf("  ratio per rank: PSGEMM / SGEMM = %.2f   (whole build: %.2f)   target >= 0.70\n\n",
           g_ours / size / g_ref, flops / t_build * 1e-9 / size / g_ref);
  ref_out:
    free(rows);
    free(X);
    free(C);
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
out_p:
  patterns_free(&p);
out_cp:
  couplings_free(&cp);
  couplings_grid_free(ctxt);
  layout_free(&lay);
  return rc;
}

/* Start states q = 0 .. n-1: train examples q, with 20 % of the spins flipped from index
 * `noisy` on (work for the dynamics). S[n][N] and idx[n] are the caller's. */
static int bench_starts(const patterns_t *p, int64_t n, int64_t noisy, int8_t *S, int64_t *idx,
                        err_t *e) {
  const int64_t N = p->N;
  for (int64_t q = 0; q < n; q++)
    idx[q] = q;
  CHECK(e, patterns_examples_i8(p, EXAMPLES_TRAIN, idx, n, S, N, e));
  rng_addr_t a = {.seed = 7, .sample = 0, .point = 0, .stream = RNG_FEATURES};
  for (int64_t q = noisy; q < n; q++)
    for (int64_t i = 0; i < N; i++)
      if (rng_below(rng_word(&a, (uint64_t)q, 0, (uint64_t)i), 5) == 0)
        S[q * N + i] = (int8_t)-S[q * N + i];
  return 0;
}

/* The textbook dynamics from the same nst starts S: its time against ours (t_ours) and whether
 * every final state and sweep count (finals, sw) is identical. s2: an N-spin work state. */
static int bench_textbook(dynamics_t *d, const couplings_t *cp, const int8_t *S, int64_t nst,
                          const int64_t *sw, const int8_t *finals, int8_t *s2, double t_ours,
                          err_t *e) {
  const int64_t N = cp->lay->N;
  double b0 = util_now();
  int64_t same = 0;
  for (int64_t q = 0; q < nst; q++) {
    memcpy(s2, S + q * N, (size_t)N);
    int64_t swt;
    CHECK(e, dynamics_run_textbook(d, cp, s2, (uint64_t)q, &swt, e));
    same += swt == sw[q] && memcmp(s2, finals + q * N, (size_t)N) == 0;
  }
  double t_tb = util_now() - b0;
  printf("  textbook (field recomputed per visit) %.4f s vs ours %.4f s: speedup %.1fx; "
         "identical results %lld/%lld\n",
         t_tb, t_ours, t_tb / t_ours, (long long)same, (long long)nst);
  if (same != nst)
    return ERR(e, ERR_RUNTIME, "bench: textbook and fast dynamics disagree");
  return 0;
}

/* Section 2: dynamics on one rank: ours vs the J read bound and the textbook algorithm. */
static int bench_dynamics(const config_t *c, bool textbook, err_t *e) {
  int rc = 0;
  const int64_t N = c->N, n = c->probes[PROBE_TRAIN];
  task_t t = {0, 0};
  layout_t lay;
  couplings_t cp;
  fields_t f;
  patterns_t p;
  dynamics_t d;
  int ctxt = -1;
  int8_t *S = NULL, *s = NULL, *s2 = NULL;
  int64_t *idx = NULL;
  CHECK(e, layout_init(&lay, N, c->block_size, MPI_COMM_SELF, e));
  TRY(e, rc, couplings_grid_init(&ctxt, MPI_COMM_SELF, e), out_cp);
  couplings_init(&cp, &lay, ctxt);
  fields_init(&f, &cp);
  TRY(e, rc, task_patterns_init(&p, c, t, lay.rows, lay.nloc, e), out_cp);
  TRY(e, rc, couplings_build(&cp, &p, NULL, e), out_p);
  rng_addr_t addr = {.seed = c->seed};
  TRY(e, rc, dynamics_init(&d, &lay, c->order, c->max_sweeps, addr, e), out_p);
  /* Starts: n train examples with 20% of the spins flipped (work for the dynamics). */
  const int64_t nst = 2 * n;
  TRY(e, rc, util_alloc((void **)&S, (size_t)nst, (size_t)N, "starts", e), out);
  TRY(e, rc, util_alloc((void **)&s, (size_t)N, 1, "state", e), out);
  TRY(e, rc, util_alloc((void **)&s2, (size_t)N, 1, "state", e), out);
  TRY(e, rc, util_alloc((void **)&idx, (size_t)nst, sizeof(int64_t), "idx", e), out);
  TRY(e, rc, bench_starts(&p, nst, n, S, idx, e), out);
  /* one read of J (the bandwidth bound of a GEMV) */
  double r0 = util_now();
  int64_t sum = 0;
  for (int64_t j = 0; j < N; j++)
    for (int64_t r = 0; r < N; r++)
      sum += couplings_at(&cp, r, j);
  double t_read = util_now() - r0;
  double f0 = util_now();
  TRY(e, rc, fields_set_states(&f, S, nst, e), out);
  dyn_engine_t eng = fields_engine(&f);
  double t_fields = util_now() - f0;
  int64_t *sw = NULL;
  TRY(e, rc, util_alloc((void **)&sw, (size_t)nst, sizeof(int64_t), "sweeps", e), out);
  int8_t *finals = NULL;
  rc = util_alloc((void **)&finals, (size_t)nst, (size_t)N, "finals", e);
  if (rc) {
    free(sw);
    goto out;
  }
  /* Two classes of starts, timed apart: train examples (the retrieval probes of a scan) and
   * the same with 20% of the spins flipped (many flips and sweeps). */
  static const char *const cls_name[2] = {"train examples", "20%-noise starts"};
  double t_dyn = 0;
  printf("dynamics  N = %lld, P = %lld, one rank; initial fields of all %lld probes: one pass "
         "over J, %.4f s\n",
         (long long)N, (long long)config_P(c, 0), (long long)nst, t_fields);
  printf("  one read of the J buffer (%s, %.0f MiB): %.5f s   [checksum %lld, fields int%d]\n",
         cp.elem == 2 ? "int16" : "int32", (double)N * (double)N * cp.elem / 1048576.0, t_read,
         (long long)sum, 8 * f.hbytes);
  for (int cl = 0; cl < 2; cl++) {
    int64_t f0n = d.n_flips, s0n = d.n_sweeps;
    double d0 = util_now();
    for (int64_t q = cl * n; q < (cl + 1) * n; q++) {
      memcpy(s, S + q * N, (size_t)N);
      TRY(e, rc, dynamics_run(&d, &eng, s, q, (uint64_t)q, &sw[q], e), out2);
      memcpy(finals + q * N, s, (size_t)N);
    }
    double dt = util_now() - d0;
    t_dyn += dt;
    int64_t fl = d.n_flips - f0n, swp = d.n_sweeps - s0n;
    double per_probe = (dt + t_fields * (double)n / (double)nst) / (double)n;
    printf("  %-16s %3lld probes: %6.1f flips, %5.1f sweeps per probe; %6.1f ns per flip, "
           "%6.1f us per sweep (amortized)\n"
           "  %-16s per probe (its share of the fields + dynamics) %.5f s = %.2f reads of J "
           "(target <= 2)\n",
           cls_name[cl], (long long)n, (double)fl / (double)n, (double)swp / (double)n,
           fl ? dt / (double)fl * 1e9 : 0.0, swp ? dt / (double)swp * 1e6 : 0.0, "", per_probe,
           per_probe / t_read);
  }
  if (textbook)
    rc = bench_textbook(&d, &cp, S, nst, sw, finals, s2, t_dyn + t_fields, e);
  printf("\n");
out2:
  free(sw);
  free(finals);
out:
  dynamics_free(&d);
  free(S);
  free(s);
  free(s2);
  free(idx);
out_p:
  patterns_free(&p);
out_cp:
  fields_free(&f);
  couplings_free(&cp);
  couplings_grid_free(ctxt);
  layout_free(&lay);
  return rc;
}

/* Section 3: the overlaps engine on one rank: per visit, per flip, one sweep against one read of
 * the packed patterns, and probes from noisy starts. */
static int bench_overlaps(const config_t *c, err_t *e) {
  int rc = 0;
  const int64_t N = c->N, n = c->probes[PROBE_TRAIN];
  task_t t = {0, 0};
  layout_t lay;
  patterns_t p;
  overlaps_t o;
  dynamics_t d;
  bool have_p = false, have_o = false, have_d = false;
  int8_t *S = NULL, *s = NULL;
  int64_t *idx = NULL;
  CHECK(e, layout_init(&lay, N, c->block_size, MPI_COMM_SELF, e));
  TRY(e, rc, task_patterns_init(&p, c, t, lay.rows, lay.nloc, e), out);
  have_p = true;
  TRY(e, rc, overlaps_init(&o, &lay, p.P, e), out);
  have_o = true;
  double t0 = util_now();
  TRY(e, rc, overlaps_build(&o, &p, e), out);
  double t_pack = util_now() - t0;
  /* the per-entry path on the same examples: the reference of the +-1 bit-count paths */
  uint64_t *Xg = NULL;
  size_t words = (size_t)lay.nloc * (size_t)o.W;
  TRY(e, rc, util_alloc((void **)&Xg, words, sizeof *Xg, "reference patterns", e), out);
  t0 = util_now();
  rc = patterns_train_packed_generic(&p, Xg, o.W, e);
  double t_generic = util_now() - t0;
  bool same = !rc && !memcmp(Xg, o.X, words * sizeof *Xg);
  free(Xg);
  if (!rc && !same)
    rc = ERR(e, ERR_RUNTIME, "bench: the packed patterns differ from the per-entry path");
  if (rc)
    goto out;
  TRY(e, rc, dynamics_init(&d, &lay, c->order, c->max_sweeps, (rng_addr_t){.seed = c->seed}, e),
      out);
  have_d = true;
  TRY(e, rc, util_alloc((void **)&S, (size_t)n, (size_t)N, "starts", e), out);
  TRY(e, rc, util_alloc((void **)&s, (size_t)N, 1, "state", e), out);
  TRY(e, rc, util_alloc((void **)&idx, (size_t)n, sizeof(int64_t), "idx", e), out);
  TRY(e, rc, bench_starts(&p, n, 0, S, idx, e), out);
  /* one streaming read of the packed rows: the bandwidth bound of a sweep */
  double t_read = 1e30;
  uint64_t acc = 0;
  for (int rep = 0; rep < 3; rep++) {
    double r0 = util_now();
    for (int64_t k = 0; k < lay.nloc * o.W; k++)
      acc += o.X[k];
    double dt = util_now() - r0;
    t_read = dt < t_read ? dt : t_read;
  }
  /* probes from 20%-noise starts, then one sweep from each fixed point (N visits, no flip) */
  dyn_engine_t eng = overlaps_engine(&o);
  int64_t visits0 = o.n_visits, flips0 = d.n_flips, sweeps0 = d.n_sweeps;
  double d0 = util_now();
  for (int64_t q = 0; q < n; q++) {
    int64_t sw;
    memcpy(s, S + q * N, (size_t)N);
    TRY(e, rc, overlaps_set_state(&o, s, e), out);
    TRY(e, rc, dynamics_run(&d, &eng, s, 0, (uint64_t)q, &sw, e), out);
  }
  double t_dyn = util_now() - d0;
  int64_t visits = o.n_visits - visits0, flips = d.n_flips - flips0, sweeps = d.n_sweeps - sweeps0;
  double t_sweep = 1e30;
  for (int rep = 0; rep < 3; rep++) { /* s is a fixed point (or was cut at max_sweeps) */
    int64_t sw;
    double s0 = util_now();
    TRY(e, rc, dynamics_run(&d, &eng, s, 0, 999, &sw, e), out);
    double dt = util_now() - s0;
    t_sweep = dt < t_sweep ? dt : t_sweep;
  }
  /* per flip: flip a spin and back, 2 * N / 4 updates */
  double f0 = util_now();
  for (int64_t j = 0; j < N; j += 4)
    for (int b = 0; b < 2; b++) {
      s[j] = (int8_t)-s[j];
      TRY(e, rc, eng.flip(eng.ctx, s, 0, j, e), out);
    }
  double t_flip = (util_now() - f0) / (double)(2 * ((N + 3) / 4));
  double mib = (double)lay.nloc * (double)o.W * 8.0 / 1048576.0;
  printf("overlaps engine  N = %lld, P = %lld, one rank, kernels %s\n", (long long)N,
         (long long)p.P, overlaps_isa_name(o.isa));
  printf("  packed patterns %.1f MiB, generated in %.3f s (%.2f ns per entry; the per-entry path "
         "%.3f s: %.1fx); one streaming read %.5f s [%llx]\n",
         mib, t_pack, t_pack / ((double)N * (double)p.P) * 1e9, t_generic, t_generic / t_pack,
         t_read, (unsigned long long)(acc & 0xfff));
  printf("  one sweep (N visits, no flip) %.5f s = %.2f reads of the packed patterns (target <= "
         "2); %.1f ns per visit\n",
         t_sweep, t_sweep / t_read, t_sweep / (double)N * 1e9);
  printf("  %.1f ns per flip (update of M, %lld words)\n", t_flip * 1e9, (long long)o.W);
  printf("  %lld probes from 20%%-noise starts: %.1f flips, %.1f sweeps, %.0f visits per probe; "
         "%.5f s per probe\n\n",
         (long long)n, (double)flips / (double)n, (double)sweeps / (double)n,
         (double)visits / (double)n, t_dyn / (double)n);
out:
  if (have_d)
    dynamics_free(&d);
  if (have_o)
    overlaps_free(&o);
  if (have_p)
    patterns_free(&p);
  layout_free(&lay);
  free(S);
  free(s);
  free(idx);
  return rc;
}

static void print_costs(const engine_costs_t *k) {
  printf("cost model constants (engine_costs_measure, this core): SGEMM %.1f GFLOP/s, overlaps "
         "%.3f ns per word visited and %.3f ns per word updated, couplings %.3f ns per row "
         "updated\n\n",
         k->sgemm_flops * 1e-9, k->ns_word, k->ns_flip, k->ns_jrow);
}

/* One task of c on comm with engine `engine`: seconds, and the result into r. */
static int timed_task(const config_t *c, MPI_Comm comm, engine_kind engine, const engine_costs_t *k,
                      task_result_t *r, double *seconds, probes_stats_t *st, err_t *e) {
  task_t t = {0, 0};
  probes_worker_t w;
  CHECK(e, probes_worker_init(&w, c, comm, k, e));
  w.engine = engine;
  int rc = task_result_init(r, c, t, e);
  if (!rc) {
    MPI_Barrier(comm);
    double t0 = util_now();
    rc = probes_run_task(&w, t, r, NULL, NULL, e);
    *seconds = util_now() - t0;
    MPI_Allreduce(MPI_IN_PLACE, seconds, 1, MPI_DOUBLE, MPI_MAX, comm);
    *st = w.last;
  }
  probes_worker_free(&w);
  return rc;
}

static bool same_results(const task_result_t *a, const task_result_t *b) {
  for (int k = 0; k < a->n_kinds; k++)
    if (memcmp(a->m[k], b->m[k], (size_t)a->n[k] * sizeof(float)) != 0 ||
        memcmp(a->sweeps[k], b->sweeps[k], (size_t)a->n[k] * sizeof(int32_t)) != 0)
      return false;
  return true;
}

/* Section 5: full samples with the couplings engine, the overlaps engine and auto side by side. */
static int bench_engines(const bench_opts_t *o, const engine_costs_t *k, MPI_Comm comm, err_t *e) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (rank == 0)
    printf("full samples by engine  N = %lld, alpha_D = 0.005, L = 3, %lld+%lld+%lld probes, %d "
           "rank(s):\n"
           "  alpha      P   couplings    overlaps        auto   couplings/overlaps   "
           "auto/best  identical\n",
           (long long)o->engine_N, (long long)o->probes, (long long)o->probes, (long long)o->probes,
           size);
  for (int i = 0; i < o->n_engine_alpha; i++) {
    config_t c;
    CHECK(e, make_config(&c, o->engine_N, o->engine_alpha[i], 0.005, 3, o->probes, e));
    task_result_t r[3] = {0};
    double sec[3] = {0, 0, 0};
    probes_stats_t st[3];
    static const engine_kind kinds[3] = {ENGINE_COUPLINGS, ENGINE_OVERLAPS, ENGINE_AUTO};
    int rc = 0, made = 0;
    for (; made < 3 && !rc; made++)
      rc = timed_task(&c, comm, kinds[made], k, &r[made], &sec[made], &st[made], e);
    if (!rc && rank == 0) {
      double best = sec[0] < sec[1] ? sec[0] : sec[1];
      bool same = same_results(&r[0], &r[1]) && same_results(&r[0], &r[2]);
      printf("  %5.3g %6lld %10.3f s %9.3f s %9.3f s %12.1fx %15.2f   %s (auto: %lld "
             "overlaps + %lld J probes)\n",
             o->engine_alpha[i], (long long)config_P(&c, 0), sec[0], sec[1], sec[2],
             sec[0] / sec[1], sec[2] / best, same ? "yes" : "NO", (long long)st[2].overlaps_probes,
             (long long)st[2].couplings_probes);
      if (!same)
        rc = ERR(e, ERR_RUNTIME, "bench: the engines disagree at alpha = %g", o->engine_alpha[i]);
    }
    for (int j = 0; j < made; j++)
      task_result_free(&r[j]);
    config_free(&c);
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    CHECK(e, rc);
  }
  if (rank == 0)
    printf("\n");
  return 0;
}

/* Section 6: one sample at a large N on the overlaps engine, beside the couplings engine's time
 * estimated from the measured SGEMM rate and the same run's flips. */
static int bench_big(const bench_opts_t *o, const engine_costs_t *k, MPI_Comm comm, err_t *e) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  config_t c;
  CHECK(e, make_config(&c, o->big_N, 0.5, 0.005, 3, o->probes, e));
  task_result_t r = {0};
  double sec = 0;
  probes_stats_t st;
  int rc = timed_task(&c, comm, ENGINE_OVERLAPS, k, &r, &sec, &st, e);
  if (!rc && rank == 0) {
    const int64_t N = c.N, P = config_P(&c, 0), n = 3 * o->probes;
    double est = engine_couplings_build_seconds(k, N, P, size, n) +
                 engine_couplings_run_seconds(k, N, size, st.flips);
    printf("one sample at N = %lld, alpha = 0.5 (P = %lld), alpha_D = 0.005, L = 3, %lld probes, "
           "%d rank(s):\n"
           "  overlaps engine (measured)  %.2f s: patterns %.2f s, %lld sweeps, %lld flips; "
           "%.0f MiB per rank\n"
           "  couplings engine (estimated from the measured SGEMM rate and these flips)  %.1f s\n"
           "  ratio couplings / overlaps = %.0fx (target >= 30)\n\n",
           (long long)N, (long long)P, (long long)n, size, sec, st.t_patterns, (long long)st.sweeps,
           (long long)st.flips, overlaps_bytes((N + size - 1) / size, P) / 1048576.0, est,
           est / sec);
  }
  task_result_free(&r);
  config_free(&c);
  return rc;
}

/* Section 3: seconds per full sample on comm. */
static int bench_samples(const bench_opts_t *o, MPI_Comm comm, err_t *e) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (rank == 0)
    printf("full samples (patterns + J + %lld probes of each kind), alpha = 0.5, alpha_D = 0.05, "
           "L = 3, %d rank(s):\n",
           (long long)o->probes, size);
  for (int k = 0; k < o->n_sample_N; k++) {
    config_t c;
    CHECK(e, make_config(&c, o->sample_N[k], 0.5, 0.05, 3, o->probes, e));
    task_t t = {0, 0};
    task_result_t r;
    probes_worker_t w;
    int rc = probes_worker_init(&w, &c, comm, NULL, e);
    if (!rc) {
      rc = task_result_init(&r, &c, t, e);
      if (!rc) {
        MPI_Barrier(comm);
        double t0 = util_now();
        rc = probes_run_task(&w, t, &r, NULL, NULL, e);
        double dt = util_now() - t0;
        if (!rc && rank == 0)
          printf("  N = %5lld  P = %5lld  D = %4lld: %.3f s per sample\n", (long long)c.N,
                 (long long)config_P(&c, 0), (long long)config_D(&c, 0), dt);
        task_result_free(&r);
      }
      probes_worker_free(&w);
    }
    config_free(&c);
    CHECK(e, rc);
  }
  return 0;
}

int bench_run(const bench_opts_t *opts, MPI_Comm comm, err_t *e) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  bench_opts_t o = *opts;
  config_t c;
  CHECK(e, make_config(&c, o.N, o.alpha, o.alpha_D, o.L, o.probes, e));
  if (rank == 0)
    machine_line(size);
  int rc = bench_build(&c, comm, e);
  if (!rc) {
    if (rank == 0)
      rc = bench_dynamics(&c, o.textbook, e);
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
  }
  config_free(&c);
  if (!rc && o.overlaps_N > 0 && o.overlaps_N != o.N)
    rc = make_config(&c, o.overlaps_N, o.alpha, o.alpha_D, o.L, o.probes, e);
  else if (!rc)
    rc = make_config(&c, o.N, o.alpha, o.alpha_D, o.L, o.probes, e);
  if (!rc) {
    if (rank == 0)
      rc = bench_overlaps(&c, e);
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    config_free(&c);
  }
  CHECK(e, rc);
  engine_costs_t k;
  engine_costs_default(&k);
  if (rank == 0) {
    rc = engine_costs_measure(&k, e);
    if (!rc)
      print_costs(&k);
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
  CHECK(e, rc);
  MPI_Bcast(&k, (int)sizeof k, MPI_BYTE, 0, comm);
  CHECK(e, bench_samples(&o, comm, e));
  if (o.engine_N > 0)
    CHECK(e, bench_engines(&o, &k, comm, e));
  if (o.big_N > 0)
    CHECK(e, bench_big(&o, &k, comm, e));
  return 0;
}
