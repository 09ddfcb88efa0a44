/* cli: command-line primitives below the app layer: the version strings, a parser driven by a
 * declarative option table, and strict number parsing of option values. Knows no subcommand:
 * the table itself lives in the app layer (app.c). Not collective, prints nothing except
 * cli_print_options. */
#ifndef HOPSCAN_CLI_H
#define HOPSCAN_CLI_H

#include "hopscan/err.h"

#include <stdint.h>
#include <stdio.h>

/* Version line: "hopscan 0.1.0 (git abc123, gcc-12.2.0)". */
const char *cli_version(void);
const char *cli_git_commit(void);
const char *cli_build_flags(void);

/* One option of the table: `--name VALUE`, `--name=VALUE` or (alias) `-o VALUE`; a flag when
 * `value` is NULL. `commands` is a bit mask of the subcommands that accept it. */
typedef struct cli_option_def {
  const char *name;  /* "--ranks" */
  const char *alias; /* "-o", or NULL */
  const char *value; /* metavariable in the help ("K"); NULL for a flag */
  unsigned commands; /* bit i: accepted by subcommand i */
  const char *help;  /* one line; "\n" starts a continuation line */
} cli_option_def_t;

enum { CLI_MAX_OPTIONS = 32, CLI_MAX_POSITIONAL = 8 };

/* What one command line gave: value[i] for table entry i (the value text, "" for a flag, NULL
 * when absent; a repeated option keeps its last value), and the positional arguments in order.
 * Points into argv: no ownership. */
typedef struct cli_args {
  const char *value[CLI_MAX_OPTIONS];
  const char *positional[CLI_MAX_POSITIONAL];
  int n_positional;
} cli_args_t;

/* Parses argv[1..argc-1] (argv[0] is the subcommand `command`, whose bit is `command_bit`)
 * against the n options of `opts`. ERR_USAGE naming the argument for an unknown option (or one
 * of another subcommand), a missing value, a value given to a flag, or more than max_positional
 * positional arguments. "-" alone and everything after "--" are positional. */
int cli_parse(const cli_option_def_t *opts, int n, unsigned command_bit, const char *command,
              int argc, char **argv, int max_positional, cli_args_t *a, err_t *e);

/* Prints the options of one subcommand as an aligned list (name, alias, value, help). */
void cli_print_options(FILE *f, const cli_option_def_t *opts, int n, unsigned command_bit);

/* Strict number parsing for option values (the grammar of util_parse_*, shared with config);
 * ERR_USAGE naming the option on junk. */
int cli_parse_i64(const char *opt, const char *s, int64_t *out, err_t *e);
int cli_parse_f64(const char *opt, const char *s, double *out, err_t *e);
/* Byte counts >= 0 through util_parse_bytes, e.g. "4G" (the same grammar as config's
 * parallel.mem_per_rank). */
int cli_parse_bytes(const char *opt, const char *s, double *out, err_t *e);

#endif
