#include "hopscan/bench.h"

#include "hopscan/cli.h"
#include "hopscan/config.h"
#include "hopscan/couplings.h"
#include "hopscan/dynamics.h"
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
                      .n_sample_N = 2};
}

static int make_config(config_t *c, int64_t N, double alpha, double alpha_D, int64_t L,
                       int64_t probes, err_t *e) {
  char yaml[512];
  snprintf(yaml, sizeof yaml,
           "N: %lld\nalpha: [%.17g]\nalpha_D: [%.17g]\nL: [%lld]\nsamples: 1\n"
           "probes: {train: %lld, test: %lld, feature: %lld}\n",
           (long long)N, alpha, alpha_D, (long long)L, (long long)probes, (long long)probes,
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
  couplings_t cp;
  patterns_t p;
  CHECK(e, couplings_init(&cp, N, c->block_size, comm, e));
  TRY(e, rc, patterns_init(&p, c, t, cp.rows, cp.nloc, e), out_cp);
  MPI_Barrier(comm);
  double t0 = util_now();
  TRY(e, rc, couplings_build(&cp, &p, NULL, NULL, e), out_p);
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
    TRY(e, rc, patterns_init(&pa, c, t, rows, N, e), ref_out);
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
  return rc;
}

/* Section 2: dynamics on one rank: ours vs the J read bound and the textbook algorithm. */
static int bench_dynamics(const config_t *c, bool textbook, err_t *e) {
  int rc = 0;
  const int64_t N = c->N, n = c->probes[PROBE_TRAIN];
  task_t t = {0, 0};
  couplings_t cp;
  patterns_t p;
  dynamics_t d;
  int8_t *S = NULL, *s = NULL, *s2 = NULL;
  int64_t *idx = NULL;
  CHECK(e, couplings_init(&cp, N, c->block_size, MPI_COMM_SELF, e));
  TRY(e, rc, patterns_init(&p, c, t, cp.rows, cp.nloc, e), out_cp);
  TRY(e, rc, couplings_build(&cp, &p, NULL, NULL, e), out_p);
  TRY(e, rc, dynamics_init(&d, &cp, c, c->seed, 0, 0, MPI_COMM_SELF, e), out_p);
  /* Starts: n train examples with 20% of the spins flipped (work for the dynamics). */
  const int64_t nst = 2 * n;
  TRY(e, rc, util_alloc((void **)&S, (size_t)nst, (size_t)N, "starts", e), out);
  TRY(e, rc, util_alloc((void **)&s, (size_t)N, 1, "state", e), out);
  TRY(e, rc, util_alloc((void **)&s2, (size_t)N, 1, "state", e), out);
  TRY(e, rc, util_alloc((void **)&idx, (size_t)nst, sizeof(int64_t), "idx", e), out);
  for (int64_t q = 0; q < nst; q++)
    idx[q] = q;
  TRY(e, rc, patterns_examples_i8(&p, EXAMPLES_TRAIN, idx, nst, S, N, e), out);
  rng_addr_t a = {.seed = 7, .sample = 0, .point = 0, .stream = RNG_FEATURES};
  for (int64_t q = n; q < nst; q++)
    for (int64_t i = 0; i < N; i++)
      if (rng_below(rng_word(&a, (uint64_t)q, 0, (uint64_t)i), 5) == 0)
        S[q * N + i] = (int8_t)-S[q * N + i];
  /* one read of J (the bandwidth bound of a GEMV) */
  double r0 = util_now();
  int64_t sum = 0;
  for (int64_t j = 0; j < N; j++)
    for (int64_t r = 0; r < N; r++)
      sum += couplings_at(&cp, r, j);
  double t_read = util_now() - r0;
  double f0 = util_now();
  TRY(e, rc, dynamics_set_states(&d, S, nst, e), out);
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
         (long long)sum, 8 * d.hbytes);
  for (int cl = 0; cl < 2; cl++) {
    int64_t f0n = d.n_flips, s0n = d.n_sweeps;
    double d0 = util_now();
    for (int64_t q = cl * n; q < (cl + 1) * n; q++) {
      memcpy(s, S + q * N, (size_t)N);
      TRY(e, rc, dynamics_run(&d, s, q, (uint64_t)q, &sw[q], e), out2);
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
  if (textbook) {
    double b0 = util_now();
    int64_t same = 0;
    for (int64_t q = 0; q < nst; q++) {
      memcpy(s2, S + q * N, (size_t)N);
      int64_t swt;
      TRY(e, rc, dynamics_run_textbook(&d, s2, (uint64_t)q, &swt, e), out2);
      same += swt == sw[q] && memcmp(s2, finals + q * N, (size_t)N) == 0;
    }
    double t_tb = util_now() - b0;
    printf("  textbook (field recomputed per visit) %.4f s vs ours %.4f s: speedup %.1fx; "
           "identical results %lld/%lld\n",
           t_tb, t_dyn + t_fields, t_tb / (t_dyn + t_fields), (long long)same, (long long)nst);
    if (same != nst)
      rc = ERR(e, ERR_RUNTIME, "bench: textbook and fast dynamics disagree");
  }
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
  couplings_free(&cp);
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
    int rc = task_result_init(&r, &c, t, e);
    if (!rc) {
      MPI_Barrier(comm);
      double t0 = util_now();
      rc = probes_run_task(&c, t, comm, &r, NULL, NULL, e);
      double dt = util_now() - t0;
      if (!rc && rank == 0)
        printf("  N = %5lld  P = %5lld  D = %4lld: %.3f s per sample\n", (long long)c.N,
               (long long)config_P(&c, 0), (long long)config_D(&c, 0), dt);
      task_result_free(&r);
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
  CHECK(e, rc);
  CHECK(e, bench_samples(&o, comm, e));
  return 0;
}
