#include "hopscan/cli.h"

#include "hopscan/bench.h"
#include "hopscan/config.h"
#include "hopscan/output.h"
#include "hopscan/plan.h"
#include "hopscan/scheduler.h"
#include "hopscan/util.h"
#include "version_info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*command_fn)(int argc, char **argv, MPI_Comm comm, err_t *e);

static const struct command {
  const char *name;
  command_fn fn;
  const char *summary;
} commands[] = {
    {"run", scheduler_command, "run or resume a scan (see run --help)"},
    {"plan", plan_command, "validate a config and print grid, tasks, memory and cost"},
    {"status", output_status_command, "progress of a running, interrupted or finished scan"},
    {"bench", bench_command, "kernel benchmarks (J build, dynamics, samples) against references"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

const char *cli_git_commit(void) {
  return HOPSCAN_GIT_COMMIT;
}

const char *cli_build_flags(void) {
  return HOPSCAN_COMPILER " " HOPSCAN_CFLAGS;
}

const char *cli_version(void) {
  return "hopscan " HOPSCAN_VERSION " (git " HOPSCAN_GIT_COMMIT ", " HOPSCAN_COMPILER ")";
}

static void print_usage(FILE *f) {
  fprintf(f, "usage: hopscan <command> [options]\n"
             "       mpirun -np K hopscan run CONFIG.yaml [-o OUT.h5] [--overwrite] [--quiet]\n"
             "                                [--progress=json]\n\n"
             "commands:\n");
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\n  --version       print version and git commit\n"
             "  --help-config   list every config key with type, default and meaning\n"
             "  COMMAND --help  options of one command\n\n"
             "exit status: 0 done, 1 runtime error, 2 invalid usage or config,\n"
             "             75 stopped by a signal after a consistent checkpoint (resumable)\n");
}

int cli_main(int argc, char **argv, MPI_Comm comm, err_t *e) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (argc < 2) {
    if (rank == 0)
      print_usage(stderr);
    return ERR(e, ERR_USAGE, "no command given");
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
    if (rank == 0)
      printf("%s\n", cli_version());
    return 0;
  }
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    if (rank == 0)
      print_usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--help-config")) {
    if (rank == 0)
      config_print_help(stdout);
    return 0;
  }
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (!strcmp(cmd, commands[i].name))
      return commands[i].fn(argc - 1, argv + 1, comm, e);
  if (rank == 0)
    print_usage(stderr);
  return ERR(e, ERR_USAGE, "unknown command '%s'", cmd);
}

int cli_option(int argc, char **argv, int *i, const char *name, const char **value, err_t *e) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0)
    return 0;
  if (a[n] == '=') {
    *value = a + n + 1;
    return 1;
  }
  if (a[n] != '\0')
    return 0;
  if (*i + 1 >= argc)
    return ERR(e, ERR_USAGE, "option %s needs a value", name);
  *value = argv[++*i];
  return 1;
}

int cli_parse_i64(const char *opt, const char *s, int64_t *out, err_t *e) {
  bool neg;
  uint64_t mag;
  util_num_status st = util_parse_integer(s, &neg, &mag);
  if (st == UTIL_NUM_SYNTAX || st == UTIL_NUM_FRACTION)
    return ERR(e, ERR_USAGE, "%s: '%s' is not an integer", opt, s);
  if (st == UTIL_NUM_RANGE || mag > (uint64_t)INT64_MAX)
    return ERR(e, ERR_USAGE, "%s: '%s' is out of range", opt, s);
  *out = neg ? -(int64_t)mag : (int64_t)mag;
  return 0;
}

int cli_parse_f64(const char *opt, const char *s, double *out, err_t *e) {
  if (!util_parse_double(s, out))
    return ERR(e, ERR_USAGE, "%s: '%s' is not a number", opt, s);
  return 0;
}

int cli_parse_bytes(const char *opt, const char *s, double *out, err_t *e) {
  double v;
  if (!util_parse_bytes(s, &v) || v < 0)
    return ERR(e, ERR_USAGE,
               "%s: '%s' is not a byte count (expected a number with an optional K, M, G or T "
               "suffix such as 4G)",
               opt, s);
  *out = v;
  return 0;
}
