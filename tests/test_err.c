/* err: the first error wins, later ones only add trace frames; CHECK and TRY propagate with a
 * frame naming file:line (function); err_prefix adds context and truncates safely; long
 * messages and deep traces never overflow. */
#include "hopscan/err.h"

#include "testutil.h"

#include <string.h>

static int leaf(int code, err_t *e) {
  if (code)
    return ERR(e, code, "leaf failed with %d", code);
  return 0;
}

static int middle(int code, err_t *e) {
  CHECK(e, leaf(code, e));
  return 0;
}

static int with_cleanup(int code, int *cleaned, err_t *e) {
  int rc = 0;
  TRY(e, rc, middle(code, e), out);
out:
  *cleaned = 1;
  return rc;
}

int main(void) {
  err_t e;
  err_init(&e);
  T_EQ_I(e.code, 0);
  T_CHECK(e.msg[0] == '\0' && e.trace[0] == '\0');

  T_EQ_I(middle(0, &e), 0);
  T_EQ_I(e.code, 0);
  T_CHECK(e.trace[0] == '\0');

  T_EQ_I(middle(ERR_USAGE, &e), ERR_USAGE);
  T_EQ_I(e.code, ERR_USAGE);
  T_CHECK(!strcmp(e.msg, "leaf failed with 2"));
  T_CHECK(strstr(e.trace, "test_err.c:") && strstr(e.trace, "(leaf)") &&
          strstr(e.trace, "(middle)"));
  T_CHECK(strstr(e.trace, "(leaf)") < strstr(e.trace, "(middle)")); /* innermost first */

  /* The first error wins: a later ERR keeps msg and code, adds a frame. */
  ERR(&e, ERR_RUNTIME, "second");
  T_EQ_I(e.code, ERR_USAGE);
  T_CHECK(!strcmp(e.msg, "leaf failed with 2"));

  err_init(&e);
  int cleaned = 0;
  T_EQ_I(with_cleanup(ERR_RUNTIME, &cleaned, &e), ERR_RUNTIME);
  T_EQ_I(cleaned, 1);
  T_CHECK(strstr(e.trace, "(with_cleanup)") != NULL);

  err_prefix(&e, "while writing %s: ", "out.h5");
  T_CHECK(!strcmp(e.msg, "while writing out.h5: leaf failed with 1"));

  /* Overlong texts are cut, never overflow. */
  err_init(&e);
  char big[4096];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  ERR(&e, ERR_RUNTIME, "%s", big);
  T_EQ_I(strlen(e.msg), sizeof e.msg - 1);
  err_prefix(&e, "ctx: ");
  T_EQ_I(strlen(e.msg), sizeof e.msg - 1);
  T_CHECK(!strncmp(e.msg, "ctx: xxx", 8));
  for (int i = 0; i < 200; i++)
    err_push(&e, __FILE__, __LINE__, __func__);
  T_CHECK(strlen(e.trace) < sizeof e.trace);
  return test_finish("test_err");
}
