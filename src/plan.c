/* plan: sizes, memory and cost model of a scan; the automatic group size; `hopscan plan`.
 *
 * Memory model (bytes one rank of a group of g ranks needs at a grid point; the kernel allocates
 * within it):
 *   nb   = parallel.block_size
 *   rows = min(N, ceil(ceil(N / nb) / g) * nb)       upper bound of ScaLAPACK's numroc
 *   Pc   = min(P, 2048)                              pattern chunk
 *   bytes = rows*N*4                                 float J from ScaLAPACK
 *         + rows*N*(P <= 32767 ? 2 : 4)              integer J for the dynamics
 *         + N*Pc*4 + rows*Pc*4                       pattern chunk and gathered panel
 *         + rows*D                                   int8 features
 *         + n_probes*N*13                            probe states and int64 fields
 * Cost of one sample: 2*N*N*P (J build) + n_probes*20*N*N (dynamics estimate) flops. */
#include "hopscan/plan.h"

#include "hopscan/cli.h"
#include "hopscan/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t plan_total_probes(const config_t *c) {
  int64_t n = 0;
  for (int k = 0; k < PROBE_KINDS; k++)
    n += c->probes[k];
  return n;
}

int64_t plan_rows_per_rank(const config_t *c, int64_t g) {
  int64_t nb = c->block_size > 0 ? c->block_size : 64;
  if (g < 1)
    g = 1;
  int64_t nblocks = (c->N + nb - 1) / nb;
  int64_t rows = (nblocks + g - 1) / g * nb;
  return rows < c->N ? rows : c->N;
}

/* The memory model above for given P and D. */
static double plan_bytes_pd(const config_t *c, int64_t P, int64_t D, int64_t g) {
  double N = (double)c->N;
  double rows = (double)plan_rows_per_rank(c, g);
  double Pc = (double)(P < 2048 ? P : 2048);
  double jint = P <= 32767 ? 2.0 : 4.0;
  return rows * N * 4.0 + rows * N * jint + N * Pc * 4.0 + rows * Pc * 4.0 + rows * (double)D +
         (double)plan_total_probes(c) * N * 13.0;
}

double plan_bytes_per_rank(const config_t *c, int64_t point, int64_t g) {
  int64_t ia, ib, ic;
  config_point_coords(c, point, &ia, &ib, &ic);
  return plan_bytes_pd(c, config_P(c, ia), config_D(c, ib), g);
}

double plan_task_flops(const config_t *c, int64_t point) {
  int64_t ia, ib, ic;
  config_point_coords(c, point, &ia, &ib, &ic);
  double N = (double)c->N;
  return 2.0 * N * N * (double)config_P(c, ia) + (double)plan_total_probes(c) * 20.0 * N * N;
}

/* Largest bytes per rank over the grid for group size g (L does not enter), and where. */
static double plan_peak_bytes(const config_t *c, int64_t g, int64_t *ia_max, int64_t *ib_max) {
  double peak = -1;
  for (int64_t ia = 0; ia < c->n_alpha; ia++)
    for (int64_t ib = 0; ib < c->n_alpha_D; ib++) {
      double b = plan_bytes_pd(c, config_P(c, ia), config_D(c, ib), g);
      if (b > peak) {
        peak = b;
        if (ia_max)
          *ia_max = ia;
        if (ib_max)
          *ib_max = ib;
      }
    }
  return peak;
}

static int64_t plan_workers(int64_t ranks) {
  return ranks > 1 ? ranks - 1 : 1;
}

int plan_group_size(const config_t *c, int64_t ranks, double mem_per_rank, int64_t *g, err_t *e) {
  int64_t workers = plan_workers(ranks);
  if (c->group_size > 0) {
    if (c->group_size > workers)
      return ERR(e, ERR_USAGE,
                 "parallel.group_size = %lld exceeds the %lld worker rank%s of %lld rank%s (rank 0 "
                 "is the master when there is more than one rank)",
                 (long long)c->group_size, (long long)workers, workers == 1 ? "" : "s",
                 (long long)ranks, ranks == 1 ? "" : "s");
    *g = c->group_size;
    return 0;
  }
  if (!(mem_per_rank > 0)) {
    *g = 1;
    return 0;
  }
  for (int64_t t = 1; t <= workers; t++)
    if (plan_peak_bytes(c, t, NULL, NULL) <= mem_per_rank) {
      *g = t;
      return 0;
    }
  /* Nothing fits: say what would. */
  int64_t ia = 0, ib = 0;
  double need = plan_peak_bytes(c, workers, &ia, &ib);
  char hneed[32], hhave[32], where[160];
  util_format_bytes(need, hneed, sizeof hneed);
  util_format_bytes(mem_per_rank, hhave, sizeof hhave);
  if (c->model == MODEL_RFHM)
    snprintf(where, sizeof where, "alpha = %g, alpha_D = %g (P = %lld, D = %lld)", c->alpha[ia],
             c->alpha_D[ib], (long long)config_P(c, ia), (long long)config_D(c, ib));
  else
    snprintf(where, sizeof where, "alpha = %g (P = %lld)", c->alpha[ia],
             (long long)config_P(c, ia));
  int64_t nb = c->block_size > 0 ? c->block_size : 64;
  int64_t gmax = (c->N + nb - 1) / nb;
  int64_t gfit = 0;
  for (int64_t t = workers + 1; t <= gmax; t++)
    if (plan_peak_bytes(c, t, NULL, NULL) <= mem_per_rank) {
      gfit = t;
      break;
    }
  char alt[256];
  if (gfit)
    snprintf(alt, sizeof alt,
             "it fits with groups of %lld ranks, i.e. --ranks %lld or more, or "
             "with %s per rank",
             (long long)gfit, (long long)gfit + 1, hneed);
  else {
    char hmin[32];
    util_format_bytes(plan_peak_bytes(c, gmax, NULL, NULL), hmin, sizeof hmin);
    snprintf(alt, sizeof alt,
             "more ranks cannot help enough (even %lld ranks per group need %s per rank); it "
             "fits with %s per rank",
             (long long)gmax, hmin, hneed);
  }
  return ERR(e, ERR_USAGE,
             "no worker-group size fits in %s per rank: the largest point, %s, needs %s (%.0f "
             "bytes) per rank even with %s; %s",
             hhave, where, hneed, need,
             workers == 1 ? "its one worker rank alone"
                          : "all worker "
                            "ranks in one group",
             alt);
}

/* Memory of this node (or per CPU) from Slurm or /proc/meminfo; *per_cpu says whether the value
 * is already per CPU (SLURM_MEM_PER_CPU). Returns 0 when nothing is known. */
static double plan_node_memory(bool *per_cpu, const char **source) {
  *per_cpu = false;
  const char *s = getenv("SLURM_MEM_PER_CPU");
  char *end;
  if (s && *s) {
    errno = 0;
    double v = strtod(s, &end);
    if (!errno && end != s && v > 0) {
      *per_cpu = true;
      *source = "SLURM_MEM_PER_CPU";
      return v * 1048576.0;
    }
  }
  s = getenv("SLURM_MEM_PER_NODE");
  if (s && *s) {
    errno = 0;
    double v = strtod(s, &end);
    if (!errno && end != s && v > 0) {
      *source = "SLURM_MEM_PER_NODE";
      return v * 1048576.0;
    }
  }
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f)
    return 0;
  char line[256];
  double kb = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
      break;
  fclose(f);
  *source = "MemAvailable in /proc/meminfo";
  return kb * 1024.0;
}

double plan_detect_mem_per_rank(const config_t *c, MPI_Comm comm) {
  if (c->mem_per_rank > 0)
    return c->mem_per_rank;
  MPI_Comm node;
  int local = 1;
  if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
    MPI_Comm_size(node, &local);
    MPI_Comm_free(&node);
  }
  bool per_cpu;
  const char *src = "";
  double mem = plan_node_memory(&per_cpu, &src);
  if (!per_cpu && local > 0)
    mem /= local;
  /* Every rank must choose the same group size: agree on the smallest value. */
  double agreed = mem;
  MPI_Allreduce(&mem, &agreed, 1, MPI_DOUBLE, MPI_MIN, comm);
  return agreed;
}

/* ---- `hopscan plan` -------------------------------------------------------------------------- */

static void plan_usage(FILE *f) {
  fprintf(f,
          "usage: hopscan plan CONFIG.yaml [--ranks K] [--mem-per-rank BYTES] [--canonical]\n\n"
          "Validates CONFIG and prints the grid, the number of tasks, P and D per axis value, the\n"
          "memory one task needs, the worker-group size a run with K ranks would choose, the\n"
          "output file size and the work. Writes nothing.\n\n"
          "  --ranks K             ranks of the planned run, master included (default: the\n"
          "                        ranks plan runs on, normally 1)\n"
          "  --mem-per-rank BYTES  memory per rank, e.g. 4G (default: parallel.mem_per_rank,\n"
          "                        else Slurm's or this node's available memory / K)\n"
          "  --canonical           also print the canonical config (defaults filled in)\n");
}

static void fmt_flops(double f, char *buf, size_t len) {
  static const char *unit[] = {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP", "EFLOP"};
  int u = 0;
  while (f >= 1000.0 && u < 6) {
    f /= 1000.0;
    u++;
  }
  snprintf(buf, len, u ? "%.2f %s" : "%.0f %s", f, unit[u]);
}

/* One row of cells [from, to) after a 14-column label. */
static void print_cells(const char *label, const char *const *cells, int64_t from, int64_t to,
                        int width) {
  printf("  %-12s", label);
  for (int64_t i = from; i < to; i++)
    printf(" %*s", width, cells[i]);
  printf("\n");
}

/* Prints values of an axis and a derived integer row (P or D) in aligned columns. */
static int print_axis(const char *name, const char *dname, const double *v, const int64_t *d,
                      int64_t n, err_t *e) {
  char(*cells)[24];
  const char **ptr;
  CHECK(e, util_alloc((void **)&cells, (size_t)n * 2, sizeof *cells, "plan output", e));
  int rc = util_alloc((void **)&ptr, (size_t)n * 2, sizeof *ptr, "plan output", e);
  if (rc) {
    free(cells);
    CHECK(e, rc);
  }
  int width = 1;
  for (int64_t i = 0; i < n; i++) {
    snprintf(cells[i], sizeof cells[i], "%.6g", v[i]);
    if (d)
      snprintf(cells[n + i], sizeof cells[n + i], "%lld", (long long)d[i]);
    else
      cells[n + i][0] = '\0';
    for (int k = 0; k < 2; k++) {
      int w = (int)strlen(cells[k * n + i]);
      if (w > width)
        width = w;
    }
    ptr[i] = cells[i];
    ptr[n + i] = cells[n + i];
  }
  /* Values and their P or D in pairs of rows, wrapped at 100 columns. */
  int64_t per_line = (100 - 14) / (width + 1);
  if (per_line < 1)
    per_line = 1;
  for (int64_t from = 0; from < n; from += per_line) {
    int64_t to = from + per_line < n ? from + per_line : n;
    print_cells(from ? "" : name, ptr, from, to, width);
    if (d)
      print_cells(dname, ptr + n, from, to, width);
  }
  free(ptr);
  free(cells);
  return 0;
}

/* Everything `plan` prints; rank 0 only. */
static int plan_report(const config_t *c, int64_t ranks, double mem, const char *mem_source,
                       bool canonical, err_t *e) {
  char sha[65], b1[32], b2[32], b3[32], b4[32];
  CHECK(e, config_sha256(c, sha, e));
  bool rfhm = c->model == MODEL_RFHM;
  int64_t A = c->n_alpha, B = c->n_alpha_D, C = c->n_L;
  int64_t points = config_points(c), tasks = points * c->samples, nprobes = plan_total_probes(c);
  double N = (double)c->N;

  printf("config      %s (sha256 %.16s)\n", c->path, sha);
  if (rfhm)
    printf("model       rfhm, N = %lld, coefficients %s, seed %llu\n", (long long)c->N,
           c->coefficients == COEF_PM1 ? "pm1" : "gaussian", (unsigned long long)c->seed);
  else
    printf("model       hopfield, N = %lld, seed %llu\n", (long long)c->N,
           (unsigned long long)c->seed);
  printf("grid        A x B x C = %lld x %lld x %lld = %lld points\n", (long long)A, (long long)B,
         (long long)C, (long long)points);
  printf("tasks       %lld points x %lld samples = %lld tasks\n", (long long)points,
         (long long)c->samples, (long long)tasks);
  printf("probes      per task: train %lld, test %lld, feature %lld; dynamics %s order, at most "
         "%lld sweeps; retrieved when m > %g\n\n",
         (long long)c->probes[PROBE_TRAIN], (long long)c->probes[PROBE_TEST],
         (long long)c->probes[PROBE_FEATURE], c->order == ORDER_RANDOM ? "random" : "cyclic",
         (long long)c->max_sweeps, c->retrieval_threshold);

  int64_t *P, *D;
  CHECK(e, util_alloc((void **)&P, (size_t)A, sizeof *P, "plan", e));
  int rc = util_alloc((void **)&D, (size_t)B, sizeof *D, "plan", e);
  if (rc) {
    free(P);
    CHECK(e, rc);
  }
  for (int64_t i = 0; i < A; i++)
    P[i] = config_P(c, i);
  for (int64_t j = 0; j < B; j++)
    D[j] = config_D(c, j);
  char label[32];
  snprintf(label, sizeof label, "alpha[%lld]", (long long)A);
  rc = print_axis(label, "P", c->alpha, P, A, e);
  if (!rc && rfhm) {
    snprintf(label, sizeof label, "alpha_D[%lld]", (long long)B);
    rc = print_axis(label, "D", c->alpha_D, D, B, e);
    if (!rc) {
      printf("  %-12s", "L");
      for (int64_t k = 0; k < C; k++)
        if (c->L[k] == 0)
          printf(" dense");
        else
          printf(" %d", (int)c->L[k]);
      printf("\n");
    }
  }
  int64_t Pmax = 0, Dmax = 0;
  for (int64_t i = 0; i < A; i++)
    Pmax = P[i] > Pmax ? P[i] : Pmax;
  for (int64_t j = 0; j < B; j++)
    Dmax = D[j] > Dmax ? D[j] : Dmax;
  free(P);
  free(D);
  CHECK(e, rc);

  /* Memory of one whole task (all rows on one rank), at the largest P and D. */
  if (rfhm)
    printf("\nmemory per task at the largest P = %lld and D = %lld (whole matrices, before "
           "splitting over a group):\n",
           (long long)Pmax, (long long)Dmax);
  else
    printf("\nmemory per task at the largest P = %lld (whole matrices, before splitting over a "
           "group):\n",
           (long long)Pmax);
  util_format_bytes(N * N * 4.0, b1, sizeof b1);
  util_format_bytes(N * N * (Pmax <= 32767 ? 2.0 : 4.0), b2, sizeof b2);
  util_format_bytes(N * (double)Pmax * 4.0, b3, sizeof b3);
  util_format_bytes(N * (double)Dmax, b4, sizeof b4);
  printf("  %-34s %12s\n", "J float32 (N x N, ScaLAPACK)", b1);
  printf("  %-34s %12s\n",
         Pmax <= 32767 ? "J int16 (N x N, dynamics)" : "J int32 (N x N, dynamics)", b2);
  printf("  %-34s %12s\n", "patterns float32 (N x P, all chunks)", b3);
  if (rfhm)
    printf("  %-34s %12s\n", "features int8 (N x D)", b4);
  util_format_bytes((double)nprobes * N * 13.0, b1, sizeof b1);
  printf("  %-34s %12s\n", "probe states and fields", b1);

  /* Group size for the requested ranks. */
  int64_t workers = plan_workers(ranks), g = 0;
  util_format_bytes(mem, b1, sizeof b1);
  if (!(mem > 0))
    snprintf(b1, sizeof b1, "unknown memory");
  if (ranks > 1)
    printf("\nparallel     %lld ranks = 1 master + %lld worker%s, %s per rank (%s)\n",
           (long long)ranks, (long long)workers, workers == 1 ? "" : "s", b1, mem_source);
  else
    printf("\nparallel     1 rank (master and worker), %s per rank (%s)\n", b1, mem_source);
  err_t ge;
  err_init(&ge);
  int grc = plan_group_size(c, ranks, mem, &g, &ge);
  if (grc == 0) {
    int64_t ia = 0, ib = 0;
    double peak = plan_peak_bytes(c, g, &ia, &ib);
    util_format_bytes(peak, b2, sizeof b2);
    printf("  group size   %lld (%s), %lld group%s", (long long)g,
           c->group_size > 0 ? "parallel.group_size" : "automatic: smallest that fits",
           (long long)(workers / g), workers / g == 1 ? "" : "s");
    if (workers % g)
      printf(", %lld worker rank%s idle", (long long)(workers % g), workers % g == 1 ? "" : "s");
    printf("\n  peak memory  %s per rank at P = %lld", b2, (long long)config_P(c, ia));
    if (rfhm)
      printf(", D = %lld", (long long)config_D(c, ib));
    printf(" (%lld of %lld rows of J per rank, block %lld)\n", (long long)plan_rows_per_rank(c, g),
           (long long)c->N, (long long)c->block_size);
    if (peak > mem && mem > 0)
      printf("  WARNING      parallel.group_size = %lld needs more than the %s per rank\n",
             (long long)g, b1);
  } else {
    printf("  group size   %s (see the error below)\n",
           c->group_size > 0 ? "invalid" : "none fits");
  }

  /* Output file and work. */
  double probe_bytes = (double)tasks * (double)nprobes * 8.0;
  double file = probe_bytes + (double)tasks + (double)points * PROBE_KINDS * 3 * 8.0 +
                (double)(A + B) * 16.0 + (double)C * 4.0 + 100.0 * 1024.0;
  double build = 0, dyn = 0;
  for (int64_t p = 0; p < points; p++) {
    int64_t ia, ib, ic;
    config_point_coords(c, p, &ia, &ib, &ic);
    build += 2.0 * N * N * (double)config_P(c, ia) * (double)c->samples;
    dyn += (double)nprobes * 20.0 * N * N * (double)c->samples;
  }
  util_format_bytes(file, b1, sizeof b1);
  util_format_bytes(probe_bytes, b2, sizeof b2);
  printf("\noutput file  ~%s (probe rows %s: m f32 + sweeps i32 for %lld x %lld probes; done "
         "flags, summaries, ~100 KiB metadata)\n",
         b1, b2, (long long)tasks, (long long)nprobes);
  fmt_flops(build, b1, sizeof b1);
  fmt_flops(dyn, b2, sizeof b2);
  fmt_flops(build + dyn, b3, sizeof b3);
  printf("work         %s in all: J builds %s (2 N^2 P per task), dynamics ~%s (estimate)\n", b3,
         b1, b2);

  if (canonical) {
    char *text;
    CHECK(e, config_canonical(c, &text, e));
    printf("\ncanonical config:\n%s", text);
    free(text);
  }
  fflush(stdout);
  if (grc) {
    *e = ge;
    return grc;
  }
  return 0;
}

int plan_command(int argc, char **argv, MPI_Comm comm, err_t *e) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int rc = 0;
  if (rank == 0) {
    const char *path = NULL, *v;
    int64_t ranks = size;
    double mem = 0;
    bool canonical = false, help = false;
    for (int i = 1; i < argc && !rc; i++) {
      int o;
      if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
        help = true;
      } else if (!strcmp(argv[i], "--canonical")) {
        canonical = true;
      } else if ((o = cli_option(argc, argv, &i, "--ranks", &v, e)) != 0) {
        rc = o == 1 ? cli_parse_i64("--ranks", v, &ranks, e) : o;
        if (!rc && ranks < 1)
          rc = ERR(e, ERR_USAGE, "--ranks: %lld is out of range (must be >= 1)", (long long)ranks);
      } else if ((o = cli_option(argc, argv, &i, "--mem-per-rank", &v, e)) != 0) {
        rc = o == 1 ? cli_parse_bytes("--mem-per-rank", v, &mem, e) : o;
        if (!rc && !(mem > 0))
          rc = ERR(e, ERR_USAGE, "--mem-per-rank: '%s' must be > 0", v);
      } else if (argv[i][0] == '-' && argv[i][1]) {
        rc = ERR(e, ERR_USAGE, "plan: unknown option '%s' (see hopscan plan --help)", argv[i]);
      } else if (path) {
        rc = ERR(e, ERR_USAGE, "plan: more than one config given ('%s' and '%s')", path, argv[i]);
      } else {
        path = argv[i];
      }
    }
    if (!rc && help) {
      plan_usage(stdout);
    } else if (!rc && !path) {
      plan_usage(stderr);
      rc = ERR(e, ERR_USAGE, "plan: no config file given");
    } else if (!rc) {
      char srcbuf[128];
      config_t c;
      rc = config_load_file(&c, path, e);
      if (!rc) {
        const char *src = "--mem-per-rank";
        if (!(mem > 0) && c.mem_per_rank > 0) {
          mem = c.mem_per_rank;
          src = "parallel.mem_per_rank";
        } else if (!(mem > 0)) {
          bool per_cpu;
          const char *s = "";
          mem = plan_node_memory(&per_cpu, &s);
          if (!per_cpu)
            mem /= (double)ranks;
          if (per_cpu)
            snprintf(srcbuf, sizeof srcbuf, "%s; use --mem-per-rank for another machine", s);
          else
            snprintf(srcbuf, sizeof srcbuf,
                     "%s / %lld rank%s; use --mem-per-rank for another "
                     "machine",
                     s, (long long)ranks, ranks == 1 ? "" : "s");
          src = srcbuf;
        }
        rc = plan_report(&c, ranks, mem, src, canonical, e);
      }
      config_free(&c);
    }
  }
  /* Every rank returns the same status; rank 0 alone holds (and prints) the message. */
  MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
  if (rc && rank != 0)
    e->code = rc;
  return rc;
}
