/* cli: the table-driven parser (names, aliases, --name=value, flags, options of another
 * subcommand, missing values, values given to flags, positional limits, "--"), the option list
 * printed from the table, and strict option values. */
#include "hopscan/cli.h"

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { A = 1u << 0, B = 1u << 1 };
enum { O_HELP, O_OUT, O_FLAG, O_RANKS, O_N };
static const cli_option_def_t opts[O_N] = {
    [O_HELP] = {"--help", "-h", NULL, A | B, "this help"},
    [O_OUT] = {"--output", "-o", "FILE", A, "output file\nsecond line"},
    [O_FLAG] = {"--overwrite", NULL, NULL, A, "start afresh"},
    [O_RANKS] = {"--ranks", NULL, "K", B, "ranks"},
};

static int parse(unsigned bit, int max_pos, cli_args_t *a, err_t *e, int argc, char **argv) {
  err_init(e);
  return cli_parse(opts, O_N, bit, bit == A ? "run" : "plan", argc, argv, max_pos, a, e);
}

static void test_parse(void) {
  cli_args_t a;
  err_t e;
  char *v1[] = {"run", "cfg.yaml", "-o", "x.h5", "--overwrite"};
  T_EQ_I(parse(A, 1, &a, &e, 5, v1), 0);
  T_CHECK(a.n_positional == 1 && !strcmp(a.positional[0], "cfg.yaml"));
  T_CHECK(a.value[O_OUT] && !strcmp(a.value[O_OUT], "x.h5"));
  T_CHECK(a.value[O_FLAG] && a.value[O_FLAG][0] == '\0');
  T_CHECK(a.value[O_HELP] == NULL && a.value[O_RANKS] == NULL);

  char *v2[] = {"run", "--output=y.h5", "--output", "z.h5", "c"};
  T_EQ_I(parse(A, 1, &a, &e, 5, v2), 0);
  T_CHECK(!strcmp(a.value[O_OUT], "z.h5")); /* the last one counts */

  char *v3[] = {"plan", "--ranks"};
  T_EQ_I(parse(B, 1, &a, &e, 2, v3), ERR_USAGE);
  T_CHECK(strstr(e.msg, "--ranks needs a value") != NULL);

  char *v4[] = {"plan", "--overwrite"}; /* an option of another subcommand */
  T_EQ_I(parse(B, 1, &a, &e, 2, v4), ERR_USAGE);
  T_CHECK(strstr(e.msg, "plan: unknown option '--overwrite'") != NULL);

  char *v5[] = {"run", "--overwrite=yes"};
  T_EQ_I(parse(A, 1, &a, &e, 2, v5), ERR_USAGE);
  T_CHECK(strstr(e.msg, "takes no value") != NULL);

  char *v6[] = {"run", "a.yaml", "b.yaml"};
  T_EQ_I(parse(A, 1, &a, &e, 3, v6), ERR_USAGE);
  T_CHECK(strstr(e.msg, "unexpected argument 'b.yaml'") != NULL);

  char *v7[] = {"run", "--outputx"}; /* a longer word is not the option */
  T_EQ_I(parse(A, 1, &a, &e, 2, v7), ERR_USAGE);
  T_CHECK(strstr(e.msg, "unknown option '--outputx'") != NULL);

  char *v8[] = {"run", "--", "-odd.yaml"};
  T_EQ_I(parse(A, 1, &a, &e, 3, v8), 0);
  T_CHECK(a.n_positional == 1 && !strcmp(a.positional[0], "-odd.yaml"));

  char *v9[] = {"plan", "-h", "-"};
  T_EQ_I(parse(B, 1, &a, &e, 3, v9), 0);
  T_CHECK(a.value[O_HELP] != NULL && a.n_positional == 1 && !strcmp(a.positional[0], "-"));
}

static void test_print(void) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  cli_print_options(f, opts, O_N, A);
  fclose(f);
  T_CHECK(strstr(text, "  -o, --output FILE       output file\n") != NULL);
  T_CHECK(strstr(text, "\n                          second line\n") != NULL);
  T_CHECK(strstr(text, "--overwrite") != NULL && strstr(text, "--ranks") == NULL);
  free(text);
}

static void test_values(void) {
  err_t e;
  int64_t i;
  double d;
  T_OK(&e, cli_parse_i64("--N", "4e3", &i, &e));
  T_EQ_I(i, 4000);
  T_OK(&e, cli_parse_i64("--N", "-7", &i, &e));
  T_EQ_I(i, -7);
  err_init(&e);
  T_EQ_I(cli_parse_i64("--N", "12x", &i, &e), ERR_USAGE);
  T_CHECK(strstr(e.msg, "--N: '12x' is not an integer") != NULL);
  err_init(&e);
  T_EQ_I(cli_parse_i64("--N", "0x10", &i, &e), ERR_USAGE); /* strtoll accepted hex before */
  err_init(&e);
  T_EQ_I(cli_parse_i64("--N", "9223372036854775808", &i, &e), ERR_USAGE);
  T_OK(&e, cli_parse_f64("--alpha", "0.25", &d, &e));
  T_CHECK(d == 0.25);
  err_init(&e);
  T_EQ_I(cli_parse_f64("--alpha", "inf", &d, &e), ERR_USAGE);
  err_init(&e);
  T_EQ_I(cli_parse_f64("--alpha", " 1", &d, &e), ERR_USAGE);
  T_OK(&e, cli_parse_bytes("--mem-per-rank", "300K", &d, &e));
  T_CHECK(d == 300.0 * 1024);
  err_init(&e);
  T_EQ_I(cli_parse_bytes("--mem-per-rank", "4Q", &d, &e), ERR_USAGE);
  T_CHECK(strstr(e.msg, "--mem-per-rank: '4Q' is not a byte count") != NULL);
  err_init(&e);
  T_EQ_I(cli_parse_bytes("--mem-per-rank", "-1G", &d, &e), ERR_USAGE);
  T_CHECK(strncmp(cli_version(), "hopscan ", 8) == 0);
  T_CHECK(strlen(cli_git_commit()) > 0);
}

int main(void) {
  test_parse();
  test_print();
  test_values();
  return test_finish("test_cli");
}
