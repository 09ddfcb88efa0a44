/* cli: the `hopscan` command line. Parses the subcommand and hands argc/argv (starting at the
 * subcommand name) to its module's *_command function. Collective on comm: every rank calls it
 * with the same arguments. Returns an exit status (see err.h); e holds the message. */
#ifndef HOPSCAN_CLI_H
#define HOPSCAN_CLI_H

#include "hopscan/err.h"

#include <mpi.h>
#include <stdint.h>

int cli_main(int argc, char **argv, MPI_Comm comm, err_t *e);

/* Version line: "hopscan 0.1.0 (git abc123, gcc-12.2.0)". */
const char *cli_version(void);
const char *cli_git_commit(void);
const char *cli_build_flags(void);

/* Shared option helpers for subcommands: parse "--key=value" or "--key value" at argv[*i].
 * Returns 1 and sets *value when argv[*i] is that option (advancing *i past a separate value),
 * 0 when it is not, ERR_USAGE when the value is missing. */
int cli_option(int argc, char **argv, int *i, const char *name, const char **value, err_t *e);
/* Strict number parsing for option values (the grammar of util_parse_*, shared with config);
 * ERR_USAGE naming the option on junk. */
int cli_parse_i64(const char *opt, const char *s, int64_t *out, err_t *e);
int cli_parse_f64(const char *opt, const char *s, double *out, err_t *e);
/* Byte counts >= 0 through util_parse_bytes, e.g. "4G" (the same grammar as config's
 * parallel.mem_per_rank). */
int cli_parse_bytes(const char *opt, const char *s, double *out, err_t *e);

#endif
