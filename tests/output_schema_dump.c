/* output_schema_dump CONFIG.yaml|-: prints the variables of the scan file of a config (the
 * output schema table expanded, include/hopscan/output_schema.h) as JSON. The tests' checker
 * (tests/output_check.py) compares a file with it, so the checker derives from the same table as
 * the writer. "-" reads the config text from stdin (e.g. a file's config_yaml attribute). */
#include "hopscan/config.h"
#include "hopscan/output_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(FILE *f, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *b = realloc(buf, cap *= 2);
      if (!b)
        free(buf);
      buf = b;
    }
  }
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: output_schema_dump CONFIG.yaml|-\n");
    return 2;
  }
  config_t c;
  config_init(&c);
  err_t e;
  err_init(&e);
  int rc = 0;
  if (!strcmp(argv[1], "-")) {
    size_t len = 0;
    char *text = read_all(stdin, &len);
    rc =
        text ? config_load_string(&c, text, len, "<stdin>", &e) : ERR(&e, ERR_RUNTIME, "no memory");
    free(text);
  } else {
    rc = config_load_file(&c, argv[1], &e);
  }
  output_schema_t s;
  if (!rc && output_schema_build(&c, &s) != 0)
    rc = ERR(&e, ERR_RUNTIME, "the schema does not fit OUTPUT_MAX_VARS");
  if (rc) {
    fprintf(stderr, "output_schema_dump: %s\n", e.msg);
    config_free(&c);
    return rc;
  }
  output_schema_print_json(&s, stdout);
  config_free(&c);
  return 0;
}
