/* cli: version strings, the table-driven option parser and strict option values. */
#include "hopscan/cli.h"

#include "hopscan/util.h"
#include "version_info.h"

#include <stdbool.h>
#include <string.h>

const char *cli_git_commit(void) {
  return HOPSCAN_GIT_COMMIT;
}

const char *cli_build_flags(void) {
  return HOPSCAN_COMPILER " " HOPSCAN_CFLAGS;
}

const char *cli_version(void) {
  return "hopscan " HOPSCAN_VERSION " (git " HOPSCAN_GIT_COMMIT ", " HOPSCAN_COMPILER ")";
}

/* Table entry matching argument `a` (name, `name=value` or alias), or -1; *eq points past '='. */
static int cli_match(const cli_option_def_t *opts, int n, const char *a, const char **eq) {
  *eq = NULL;
  for (int i = 0; i < n; i++) {
    size_t len = strlen(opts[i].name);
    if (!strncmp(a, opts[i].name, len) && (a[len] == '\0' || a[len] == '=')) {
      *eq = a[len] == '=' ? a + len + 1 : NULL;
      return i;
    }
    if (opts[i].alias && !strcmp(a, opts[i].alias))
      return i;
  }
  return -1;
}

int cli_parse(const cli_option_def_t *opts, int n, unsigned command_bit, const char *command,
              int argc, char **argv, int max_positional, cli_args_t *a, err_t *e) {
  memset(a, 0, sizeof *a);
  if (n > CLI_MAX_OPTIONS)
    return ERR(e, ERR_RUNTIME, "internal error: %d options exceed CLI_MAX_OPTIONS", n);
  if (max_positional > CLI_MAX_POSITIONAL)
    max_positional = CLI_MAX_POSITIONAL;
  bool rest = false;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (!rest && !strcmp(arg, "--")) {
      rest = true;
      continue;
    }
    if (rest || arg[0] != '-' || arg[1] == '\0') {
      if (a->n_positional >= max_positional)
        return ERR(e, ERR_USAGE, "%s: unexpected argument '%s' (%s takes %d)", command, arg,
                   command, max_positional);
      a->positional[a->n_positional++] = arg;
      continue;
    }
    const char *eq;
    int k = cli_match(opts, n, arg, &eq);
    if (k < 0 || !(opts[k].commands & command_bit))
      return ERR(e, ERR_USAGE, "%s: unknown option '%s' (see hopscan %s --help)", command, arg,
                 command);
    if (!opts[k].value) {
      if (eq)
        return ERR(e, ERR_USAGE, "%s: option %s takes no value (got '%s')", command, opts[k].name,
                   arg);
      a->value[k] = "";
    } else if (eq) {
      a->value[k] = eq;
    } else if (i + 1 < argc) {
      a->value[k] = argv[++i];
    } else {
      return ERR(e, ERR_USAGE, "option %s needs a value", arg);
    }
  }
  return 0;
}

void cli_print_options(FILE *f, const cli_option_def_t *opts, int n, unsigned command_bit) {
  char left[64];
  for (int i = 0; i < n; i++) {
    const cli_option_def_t *o = &opts[i];
    if (!(o->commands & command_bit))
      continue;
    snprintf(left, sizeof left, "%s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "",
             o->name, o->value ? " " : "", o->value ? o->value : "");
    fprintf(f, "  %-24s", left);
    for (const char *h = o->help; *h;) {
      size_t len = strcspn(h, "\n");
      fprintf(f, "%.*s\n", (int)len, h);
      h += len;
      if (*h == '\n') {
        h++;
        fprintf(f, "  %-24s", "");
      }
    }
  }
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
