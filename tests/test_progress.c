/* progress: rate limiting with an injected clock (no waiting), the numbers on the lines, JSON
 * lines that a parser accepts field by field, and silence with --quiet. */
#include "hopscan/progress.h"

#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static double fake_clock(void *ctx) {
  return *(double *)ctx;
}

static int count_lines(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
    n++;
  return n;
}

static progress_banner_t banner(void) {
  return (progress_banner_t){.version = "hopscan test",
                             .config_sha256 =
                                 "0123456789abcdef0123456789abcdef0123456789abcdef01234567"
                                 "89abcdef",
                             .output = "out \"x\".h5",
                             .ranks = 4,
                             .groups = 1,
                             .group_min = 3,
                             .group_max = 3,
                             .total = 100,
                             .done = 20,
                             .checkpoint_every = 300};
}

static void test_rate_limit(void) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  double now = 1000.0;
  progress_t p;
  progress_init(&p, f, PROGRESS_TEXT, 5.0, fake_clock, &now);
  progress_banner_t b = banner();
  progress_start(&p, &b);
  /* 40 updates, one every 0.5 s: 20 s in all -> one line per 5 s = 4 lines. */
  int printed = 0;
  for (int i = 1; i <= 40; i++) {
    now += 0.5;
    printed += progress_update(&p, 20 + i) ? 1 : 0;
  }
  T_EQ_I(printed, 4);
  T_EQ_I(p.lines, 4);
  /* Rate: 40 samples in 20 s = 2/s; ETA: 40 left / 2 = 20 s. */
  T_CHECK(progress_rate(&p) > 1.999 && progress_rate(&p) < 2.001);
  T_CHECK(progress_eta(&p) > 19.99 && progress_eta(&p) < 20.01);
  T_CHECK(progress_elapsed(&p) > 19.99 && progress_elapsed(&p) < 20.01);
  /* Updates without time passing print nothing; completion always prints. */
  T_CHECK(!progress_update(&p, 61));
  T_CHECK(progress_update(&p, 100));
  T_CHECK(progress_eta(&p) == 0.0);
  /* A checkpoint always prints and resets the age. */
  now += 1.0;
  progress_checkpoint(&p, 100, 0.25);
  T_EQ_I(p.checkpoints, 1);
  T_EQ_I(p.written, 100);
  progress_end(&p, "complete", NULL);
  fclose(f);
  T_CHECK(strstr(buf, "hopscan test\n") == buf);
  T_CHECK(strstr(buf, "config 0123456789ab,") != NULL);
  T_CHECK(strstr(buf, "master + 1 group of 3") != NULL);
  T_CHECK(strstr(buf, "resuming: 20 of 100") != NULL);
  T_EQ_I(count_lines(buf, "samples/s, elapsed"), 5);
  T_CHECK(strstr(buf, "30/100 samples (30.0%), 2 samples/s, elapsed 5 s, ETA 35 s") != NULL);
  T_CHECK(strstr(buf, "checkpoint 1: 100/100 samples in the file") != NULL);
  T_CHECK(strstr(buf, "complete: 100/100 samples in the file; 80 computed") != NULL);
  free(buf);
}

static void test_json(void) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  double now = 0.0;
  progress_t p;
  progress_init(&p, f, PROGRESS_JSON, 2.0, fake_clock, &now);
  progress_banner_t b = banner();
  b.done = 0;
  progress_start(&p, &b);
  now = 1.0;
  T_CHECK(!progress_update(&p, 0));
  now = 2.0;
  T_CHECK(progress_update(&p, 0)); /* no rate yet: eta null */
  now = 4.0;
  T_CHECK(progress_update(&p, 10));
  progress_checkpoint_begin(&p);
  progress_checkpoint(&p, 10, 0.5);
  progress_end(&p, "stopped", "SIGUSR1");
  fclose(f);
  /* One JSON object per line. */
  int lines = 0;
  for (char *s = buf; *s; s++)
    lines += *s == '\n';
  T_EQ_I(lines, 6);
  T_CHECK(strstr(buf, "{\"event\":\"start\",") == buf);
  T_CHECK(strstr(buf, "\"output\":\"out \\\"x\\\".h5\"") != NULL);
  T_CHECK(strstr(buf, "\"eta\":null") != NULL);
  T_CHECK(strstr(buf, "\"done\":10,\"total\":100,\"rate\":2.5,\"elapsed\":4.000,\"eta\":36.000") !=
          NULL);
  T_CHECK(strstr(buf, "{\"event\":\"checkpoint_begin\"") != NULL);
  T_CHECK(strstr(buf, "{\"event\":\"checkpoint\",\"written\":10") != NULL);
  T_CHECK(strstr(buf, "{\"event\":\"end\",\"outcome\":\"stopped\",\"signal\":\"SIGUSR1\"") != NULL);
  /* Every line is an object. */
  for (char *s = buf; *s;) {
    char *nl = strchr(s, '\n');
    T_CHECK(s[0] == '{' && nl && nl[-1] == '}');
    if (!nl)
      break;
    s = nl + 1;
  }
  free(buf);
}

static void test_quiet(void) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  double now = 0.0;
  progress_t p;
  progress_init(&p, f, PROGRESS_QUIET, 0.0, fake_clock, &now);
  progress_banner_t b = banner();
  progress_start(&p, &b);
  for (int i = 0; i < 10; i++) {
    now += 10;
    T_CHECK(!progress_update(&p, 21 + i));
  }
  progress_checkpoint(&p, 30, 0.1);
  progress_end(&p, "complete", NULL);
  fclose(f);
  T_EQ_I(len, 0);
  T_EQ_I(p.done, 30); /* still counts */
  T_EQ_I(p.written, 30);
  free(buf);
}

int main(void) {
  test_rate_limit();
  test_json();
  test_quiet();
  return test_finish("test_progress");
}
