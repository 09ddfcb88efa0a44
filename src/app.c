/* app: the one option table, dispatch, help texts, and the small subcommands (status, bench).
 * `run` is in app_run.c, `plan` in app_plan.c. */
#include "hopscan/app.h"

#include "hopscan/agree.h"
#include "hopscan/bench.h"
#include "hopscan/config.h"
#include "hopscan/output.h"
#include "hopscan/plan.h"

#include <errno.h>
#include <stdlib.h>

#include <stdio.h>
#include <string.h>

enum { CMD_RUN = 1u << 0, CMD_PLAN = 1u << 1, CMD_STATUS = 1u << 2, CMD_BENCH = 1u << 3 };
#define CMD_ALL (CMD_RUN | CMD_PLAN | CMD_STATUS | CMD_BENCH)

/* The one option table: every option of every subcommand, in enum app_option order. */
static const cli_option_def_t app_options[APP_N_OPTIONS] = {
    [APP_OPT_HELP] = {"--help", "-h", NULL, CMD_ALL, "this help"},
    [APP_OPT_OUTPUT] = {"--output", "-o", "OUT.h5", CMD_RUN,
                        "output file (default: CONFIG's name with .h5, in the current\n"
                        "directory)"},
    [APP_OPT_OVERWRITE] = {"--overwrite", NULL, NULL, CMD_RUN,
                           "start afresh even if OUT.h5 exists (its results are lost)"},
    [APP_OPT_QUIET] = {"--quiet", "-q", NULL, CMD_RUN,
                       "no progress output (errors are still printed)"},
    [APP_OPT_PROGRESS] = {"--progress", NULL, "MODE", CMD_RUN,
                          "text (default), none, or json: one JSON object per line (events\n"
                          "start, progress, checkpoint_begin, checkpoint, end)"},
    [APP_OPT_RANKS] = {"--ranks", NULL, "K", CMD_PLAN,
                       "ranks of the planned run, master included (default: the\n"
                       "ranks plan runs on, normally 1)"},
    [APP_OPT_MEM_PER_RANK] = {"--mem-per-rank", NULL, "BYTES", CMD_PLAN,
                              "memory per rank, e.g. 4G (default: parallel.mem_per_rank,\n"
                              "else Slurm's or this node's available memory / K)"},
    [APP_OPT_CANONICAL] = {"--canonical", NULL, NULL, CMD_PLAN,
                           "also print the canonical config (defaults filled in)"},
    [APP_OPT_BENCH_N] = {"--N", NULL, "n", CMD_BENCH, "neurons of the J and dynamics runs (4000)"},
    [APP_OPT_BENCH_ALPHA] = {"--alpha", NULL, "a", CMD_BENCH, "load P/N (1)"},
    [APP_OPT_BENCH_ALPHA_D] = {"--alpha-D", NULL, "d", CMD_BENCH, "feature load D/N (0.05)"},
    [APP_OPT_BENCH_L] = {"--L", NULL, "l", CMD_BENCH, "features per example, or dense (3)"},
    [APP_OPT_BENCH_PROBES] = {"--probes", NULL, "n", CMD_BENCH, "probes per kind (8)"},
    [APP_OPT_BENCH_NO_TEXTBOOK] = {"--no-textbook", NULL, NULL, CMD_BENCH,
                                   "skip the textbook dynamics reference"},
    [APP_OPT_BENCH_SAMPLE_N] = {"--sample-N", NULL, "n1,n2,...", CMD_BENCH,
                                "N of the full-sample timings, at most 4 (2000,4000)"},
    [APP_OPT_BENCH_ENGINE_N] = {"--engine-N", NULL, "n", CMD_BENCH,
                                "N of the engines side by side, 0 skips them (8000)"},
    [APP_OPT_BENCH_ENGINE_ALPHA] = {"--engine-alpha", NULL, "a1,a2,...", CMD_BENCH,
                                    "alpha of the engines side by side, at most 4 (0.05,0.5,2)"},
    [APP_OPT_BENCH_OVERLAPS_N] = {"--overlaps-N", NULL, "n", CMD_BENCH,
                                  "N of the overlaps engine section (default: --N)"},
    [APP_OPT_BENCH_BIG_N] = {"--big-N", NULL, "n", CMD_BENCH,
                             "N of the overlaps sample beside the couplings estimate, 0 skips it\n"
                             "(32000)"},
};

typedef int (*app_command_fn)(const cli_args_t *a, MPI_Comm comm, err_t *e);

static int app_status(const cli_args_t *a, MPI_Comm comm, err_t *e);
static int app_bench(const cli_args_t *a, MPI_Comm comm, err_t *e);

static const struct app_command {
  const char *name;
  unsigned bit;
  int max_positional;
  app_command_fn fn;
  const char *summary;
  const char *synopsis;
  const char *text;
} app_commands[] = {
    {"run", CMD_RUN, 1, app_run, "run or resume a scan (see run --help)",
     "usage: mpirun -np K hopscan run CONFIG.yaml [-o OUT.h5] [--overwrite] [--quiet]\n"
     "                                [--progress=text|json|none]\n",
     "Runs the scan CONFIG.yaml, or resumes it when OUT.h5 already holds part of it.\n"
     "Rank 0 hands (grid point, sample) tasks to worker groups of parallel.group_size\n"
     "ranks; results are written every checkpoint.every_seconds and at the end.\n"
     "SIGTERM, SIGINT or SIGUSR1 stop the scan after a last checkpoint (exit 75); running\n"
     "the same command again resumes it. With Open MPI, MPI-IO uses ROMIO (romio321) unless\n"
     "OMPI_MCA_io is set: the default ompio hangs when a collective write fails.\n\n"
     "exit status: 0 complete, 1 runtime error, 2 invalid usage or config (nothing\n"
     "             written), 75 stopped by a signal after a consistent checkpoint\n"},
    {"plan", CMD_PLAN, 1, app_plan, "validate a config and print grid, tasks, memory and cost",
     "usage: hopscan plan CONFIG.yaml [--ranks K] [--mem-per-rank BYTES] [--canonical]\n",
     "Validates CONFIG and prints the grid, the number of tasks, P and D per axis value, the\n"
     "memory one task needs, the worker groups a run with K ranks would make, the output\n"
     "file size and the work. Writes nothing.\n"},
    {"status", CMD_STATUS, CLI_MAX_POSITIONAL, app_status,
     "progress of a running, interrupted or finished scan", "usage: hopscan status OUT.h5\n",
     "Prints done/total, completion per L and per alpha_D, and the stored config of a scan\n"
     "file, whether its run is running, interrupted or finished.\n"},
    {"bench", CMD_BENCH, 0, app_bench,
     "kernel benchmarks (J build, dynamics, samples) against references",
     "usage: [mpirun -np K] hopscan bench [--N n] [--alpha a] [--alpha-D d] [--L l]\n"
     "                    [--probes n] [--no-textbook] [--sample-N n1,n2,...]\n"
     "                    [--engine-N n] [--engine-alpha a1,a2,...] [--big-N n]\n"
     "                    [--overlaps-N n]\n",
     "Measures in one run: the ScaLAPACK J build (all K ranks as one group) against one\n"
     "plain SGEMM call on the same matrix; the couplings engine's dynamics (J on rank 0) per\n"
     "flip, per sweep, per probe against one read of J, and against the textbook algorithm;\n"
     "the overlaps engine per visit and per flip, one sweep against one read of the packed\n"
     "patterns; the cost model's constants; seconds per full sample (alpha 0.5 there); full\n"
     "samples with both engines and auto side by side (alpha_D 0.005, L 3); one overlaps\n"
     "sample at --big-N beside the couplings engine's estimate from the measured SGEMM rate.\n"
     "Set OPENBLAS_NUM_THREADS=1.\n"},
};
#define APP_N_COMMANDS ((int)(sizeof app_commands / sizeof app_commands[0]))

static void app_usage(FILE *f) {
  fprintf(f, "usage: hopscan <command> [options]\n"
             "       mpirun -np K hopscan run CONFIG.yaml [-o OUT.h5] [--overwrite] [--quiet]\n"
             "                                [--progress=json]\n\n"
             "commands:\n");
  for (int i = 0; i < APP_N_COMMANDS; i++)
    fprintf(f, "  %-8s %s\n", app_commands[i].name, app_commands[i].summary);
  fprintf(f, "\n  --version       print version and git commit\n"
             "  --help-config   list every config key with type, default and meaning\n"
             "  COMMAND --help  options of one command\n\n"
             "exit status: 0 done, 1 runtime error, 2 invalid usage or config,\n"
             "             75 stopped by a signal after a consistent checkpoint (resumable)\n");
}

static void app_command_help(FILE *f, const struct app_command *c) {
  fprintf(f, "%s\n%s\noptions:\n", c->synopsis, c->text);
  cli_print_options(f, app_options, APP_N_OPTIONS, c->bit);
}

/* The report of `hopscan status` from the output module's data. */
static void app_pct(FILE *out, const char *label, int64_t done, int64_t total) {
  fprintf(out, "  %-18s %8lld / %-8lld %5.1f %%\n", label, (long long)done, (long long)total,
          total ? 100.0 * (double)done / (double)total : 0.0);
}

/* Search files: one line per search line, its progress and crossings. */
static void app_status_search(const output_status_t *st, FILE *out) {
  int64_t lines_done = 0;
  for (int64_t l = 0; l < st->n_lines; l++)
    lines_done += st->line_done[l];
  fprintf(out,
          "search along %s (%s): %lld / %lld lines done, %lld / %lld requested samples done "
          "(%lld slots of the lattice grid): %s\n",
          st->search_along, st->search_what, (long long)lines_done, (long long)st->n_lines,
          (long long)st->done, (long long)st->requested, (long long)st->total,
          lines_done == st->n_lines ? "complete"
                                    : "incomplete (a running search, or resume it with the same "
                                      "`hopscan run` command)");
  for (int64_t l = 0; l < st->n_lines; l++) {
    char L[16];
    if (st->line_L[l] == 0)
      snprintf(L, sizeof L, "dense");
    else
      snprintf(L, sizeof L, "%d", (int)st->line_L[l]);
    fprintf(out, "  %s = %-10.6g L = %-6s %-8s %3lld points, %5lld / %-5lld samples;",
            st->search_along[5] ? "alpha" : "alpha_D", st->line_axis[l], L,
            st->line_done[l] ? "done" : "running", (long long)st->line_points[l],
            (long long)st->line_done_samples[l], (long long)st->line_requested[l]);
    if (st->n_crossings[l] == 0)
      fprintf(out, " no crossing located");
    for (int32_t k = 0; k < st->n_crossings[l]; k++) {
      int64_t i = l * st->n_cross + k;
      fprintf(out, " crossing %s %.4g [%.4g, %.4g]", st->cross_direction[i] > 0 ? "up" : "down",
              st->cross_value[i], st->cross_ci_lo[i], st->cross_ci_hi[i]);
    }
    fprintf(out, "\n");
  }
}

static void app_status_print(const output_status_t *st, const char *path, FILE *out) {
  fprintf(out, "%s: %s scan, model %s, grid %lld alpha x %lld alpha_D x %lld L x %lld samples\n",
          path, st->format, st->model, (long long)st->A, (long long)st->B, (long long)st->C,
          (long long)st->S);
  fprintf(out, "created %s by %s\n", st->created_utc, st->hopscan_version);
  if (!st->search_along[0])
    fprintf(out, "samples done: %lld / %lld (%.1f %%): %s\n", (long long)st->done,
            (long long)st->total, st->total ? 100.0 * (double)st->done / (double)st->total : 0.0,
            st->done == st->total ? "complete"
                                  : "incomplete (a running scan, or resume it with the same "
                                    "`hopscan run` command)");
  if (st->search_along[0])
    app_status_search(st, out);
  else if (!st->hopfield) {
    fprintf(out, "by L:\n");
    for (int64_t ic = 0; ic < st->C; ic++) {
      char label[64];
      if (st->L[ic] == 0)
        snprintf(label, sizeof label, "L = dense");
      else
        snprintf(label, sizeof label, "L = %d", (int)st->L[ic]);
      app_pct(out, label, st->done_by_L[ic], st->A * st->B * st->S);
    }
    fprintf(out, "by alpha_D:\n");
    for (int64_t ib = 0; ib < st->B; ib++) {
      char label[64];
      snprintf(label, sizeof label, "alpha_D = %.6g", st->alpha_D[ib]);
      app_pct(out, label, st->done_by_alpha_D[ib], st->A * st->C * st->S);
    }
  }
  if (!st->sha_ok)
    fprintf(out, "warning: config_sha256 does not match the stored config text (corrupt?)\n");
  fprintf(out, "config (sha256 %s):\n", st->config_sha256);
  for (const char *p = st->config_yaml; *p;) {
    size_t n = strcspn(p, "\n");
    fprintf(out, "  %.*s\n", (int)n, p);
    p += n;
    if (*p)
      p++;
  }
  fflush(out);
}

/* `status`: rank 0 reads the file (output_status_read) and prints the report. */
static int app_status(const cli_args_t *a, MPI_Comm comm, err_t *e) {
  int rank = 0, rc = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) {
    if (a->n_positional == 0)
      rc = ERR(e, ERR_USAGE, "status: give the output file: hopscan status OUT.h5");
    else if (a->n_positional > 1)
      rc = ERR(e, ERR_USAGE, "status: one output file only ('%s' and '%s' given)", a->positional[0],
               a->positional[1]);
    output_status_t st;
    if (!rc)
      rc = output_status_read(a->positional[0], &st, e);
    if (!rc) {
      app_status_print(&st, a->positional[0], stdout);
      output_status_free(&st);
    }
  }
  return agree_from_root(comm, 0, rc, e);
}

/* Up to 4 comma-separated numbers of option opt (integers when integer) into out; *n of them. */
static int app_number_list(const char *opt, const char *text, bool integer, double out[4], int *n,
                           err_t *e) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", text);
  *n = 0;
  for (char *tok = strtok(buf, ","); tok && *n < 4; tok = strtok(NULL, ",")) {
    if (integer) {
      int64_t i;
      CHECK(e, cli_parse_i64(opt, tok, &i, e));
      out[(*n)++] = (double)i;
    } else {
      CHECK(e, cli_parse_f64(opt, tok, &out[(*n)++], e));
    }
  }
  return 0;
}

static int app_bench(const cli_args_t *a, MPI_Comm comm, err_t *e) {
  bench_opts_t o;
  bench_opts_default(&o);
  const char *const *v = a->value;
  if (v[APP_OPT_BENCH_N])
    CHECK(e, cli_parse_i64("--N", v[APP_OPT_BENCH_N], &o.N, e));
  if (v[APP_OPT_BENCH_ALPHA])
    CHECK(e, cli_parse_f64("--alpha", v[APP_OPT_BENCH_ALPHA], &o.alpha, e));
  if (v[APP_OPT_BENCH_ALPHA_D])
    CHECK(e, cli_parse_f64("--alpha-D", v[APP_OPT_BENCH_ALPHA_D], &o.alpha_D, e));
  if (v[APP_OPT_BENCH_L] && !strcmp(v[APP_OPT_BENCH_L], "dense"))
    o.L = 0;
  else if (v[APP_OPT_BENCH_L])
    CHECK(e, cli_parse_i64("--L", v[APP_OPT_BENCH_L], &o.L, e));
  if (v[APP_OPT_BENCH_PROBES])
    CHECK(e, cli_parse_i64("--probes", v[APP_OPT_BENCH_PROBES], &o.probes, e));
  if (v[APP_OPT_BENCH_NO_TEXTBOOK])
    o.textbook = false;
  if (v[APP_OPT_BENCH_SAMPLE_N]) {
    double x[4];
    CHECK(e, app_number_list("--sample-N", v[APP_OPT_BENCH_SAMPLE_N], true, x, &o.n_sample_N, e));
    for (int i = 0; i < o.n_sample_N; i++)
      o.sample_N[i] = (int64_t)x[i];
  }
  if (v[APP_OPT_BENCH_ENGINE_N])
    CHECK(e, cli_parse_i64("--engine-N", v[APP_OPT_BENCH_ENGINE_N], &o.engine_N, e));
  if (v[APP_OPT_BENCH_ENGINE_ALPHA])
    CHECK(e, app_number_list("--engine-alpha", v[APP_OPT_BENCH_ENGINE_ALPHA], false, o.engine_alpha,
                             &o.n_engine_alpha, e));
  if (v[APP_OPT_BENCH_OVERLAPS_N])
    CHECK(e, cli_parse_i64("--overlaps-N", v[APP_OPT_BENCH_OVERLAPS_N], &o.overlaps_N, e));
  if (v[APP_OPT_BENCH_BIG_N])
    CHECK(e, cli_parse_i64("--big-N", v[APP_OPT_BENCH_BIG_N], &o.big_N, e));
  return bench_run(&o, comm, e);
}

void app_node_memory(plan_memory_t *m) {
  m->bytes = 0;
  m->per_cpu = false;
  m->source = "unknown";
  static const char *const vars[2] = {"SLURM_MEM_PER_CPU", "SLURM_MEM_PER_NODE"};
  for (int i = 0; i < 2; i++) {
    const char *s = getenv(vars[i]);
    char *end;
    if (!s || !*s)
      continue;
    errno = 0;
    double v = strtod(s, &end); /* Slurm's MiB */
    if (!errno && end != s && v > 0) {
      m->bytes = v * 1048576.0;
      m->per_cpu = i == 0;
      m->source = vars[i];
      return;
    }
  }
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f)
    return;
  char line[256];
  double kb = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
      break;
  fclose(f);
  m->bytes = kb * 1024.0;
  m->source = "MemAvailable in /proc/meminfo";
}

int app_main(int argc, char **argv, MPI_Comm comm, err_t *e) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const char *cmd = argc >= 2 ? argv[1] : NULL;
  if (!cmd) {
    if (rank == 0)
      app_usage(stderr);
    return ERR(e, ERR_USAGE, "no command given");
  }
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
    if (rank == 0)
      printf("%s\n", cli_version());
    return 0;
  }
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    if (rank == 0)
      app_usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--help-config")) {
    if (rank == 0)
      config_print_help(stdout);
    return 0;
  }
  for (int i = 0; i < APP_N_COMMANDS; i++) {
    const struct app_command *c = &app_commands[i];
    if (strcmp(cmd, c->name) != 0)
      continue;
    cli_args_t a;
    /* Every rank parses the same argv, so every rank reaches the same verdict. */
    CHECK(e, cli_parse(app_options, APP_N_OPTIONS, c->bit, c->name, argc - 1, argv + 1,
                       c->max_positional, &a, e));
    if (a.value[APP_OPT_HELP]) {
      if (rank == 0)
        app_command_help(stdout, c);
      return 0;
    }
    return c->fn(&a, comm, e);
  }
  if (rank == 0)
    app_usage(stderr);
  return ERR(e, ERR_USAGE, "unknown command '%s'", cmd);
}
