#include "testutil.h"

int test_failures = 0;

int test_finish(const char *name) {
  if (test_failures)
    fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
  else
    printf("%s: all checks passed\n", name);
  return test_failures ? 1 : 0;
}
