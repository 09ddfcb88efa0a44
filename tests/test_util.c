/* util: checked arithmetic and conversions, allocation, SHA-256 against FIPS 180-2 vectors, the
 * text buffer, byte/seconds formatting, the strict number and byte-size grammar shared by config
 * and the command line, and util_read_file on a text file, an empty file, a missing one and one
 * with a NUL byte. */
#include "hopscan/util.h"

#include "testutil.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_arith(void) {
  size_t s;
  T_CHECK(util_mul_size(3, 5, &s) && s == 15);
  T_CHECK(!util_mul_size(SIZE_MAX / 2 + 1, 2, &s));
  int64_t v;
  T_CHECK(util_mul_i64(-4, 5, &v) && v == -20);
  T_CHECK(!util_mul_i64(INT64_MAX / 2 + 1, 2, &v));
  err_t e;
  int out = 0;
  T_OK(&e, util_to_int(INT_MAX, &out, "x", &e));
  T_EQ_I(out, INT_MAX);
  err_init(&e);
  T_EQ_I(util_to_int((int64_t)INT_MAX + 1, &out, "rows", &e), ERR_RUNTIME);
  T_CHECK(strstr(e.msg, "rows = 2147483648") != NULL);
}

static void test_alloc(void) {
  err_t e;
  int *p = NULL;
  T_OK(&e, util_calloc((void **)&p, 4, sizeof *p, "ints", &e));
  T_CHECK(p && p[0] == 0 && p[3] == 0);
  free(p);
  err_init(&e);
  T_EQ_I(util_alloc((void **)&p, SIZE_MAX / 2, 4, "huge", &e), ERR_RUNTIME);
  T_CHECK(p == NULL && strstr(e.msg, "huge") && strstr(e.msg, "overflows"));
}

static void test_sha256(void) {
  char hex[65];
  util_sha256_hex("abc", 3, hex);
  T_CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  util_sha256_hex("", 0, hex);
  T_CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

static void test_strbuf(void) {
  strbuf_t b;
  strbuf_init(&b);
  T_CHECK(b.s == NULL && b.len == 0);
  for (int i = 0; i < 1000; i++)
    strbuf_printf(&b, "%d,", i % 10);
  T_EQ_I(b.len, 2000);
  T_EQ_I(strlen(b.s), 2000);
  T_CHECK(!strncmp(b.s, "0,1,2,", 6) && !b.failed);
  strbuf_free(&b);
  T_CHECK(b.s == NULL);
}

static void test_format(void) {
  char buf[32];
  util_format_bytes(512, buf, sizeof buf);
  T_CHECK(!strcmp(buf, "512 B"));
  util_format_bytes(1536, buf, sizeof buf);
  T_CHECK(!strcmp(buf, "1.5 KiB"));
  util_format_bytes(4.0 * 1024 * 1024 * 1024, buf, sizeof buf);
  T_CHECK(!strcmp(buf, "4.0 GiB"));
  util_format_seconds(35, buf, sizeof buf);
  T_CHECK(!strcmp(buf, "35 s"));
  util_format_seconds(3720, buf, sizeof buf);
  T_CHECK(!strcmp(buf, "1h02m"));
  util_format_seconds(-1, buf, sizeof buf);
  T_CHECK(!strcmp(buf, "?"));
  util_format_double(buf, sizeof buf, 30);
  T_CHECK(!strcmp(buf, "30"));
  util_format_double(buf, sizeof buf, 0.1);
  T_CHECK(!strcmp(buf, "0.1"));
  util_format_double(buf, sizeof buf, 1.0 / 3.0);
  T_CHECK(strtod(buf, NULL) == 1.0 / 3.0);
}

static void test_numbers(void) {
  double v;
  T_CHECK(util_parse_double("2.5e3", &v) && v == 2500);
  T_CHECK(util_parse_double("-.5", &v) && v == -0.5);
  static const char *const bad[] = {"",   " 1", "1 ", "0x10",  "inf", "nan",  "1_000",
                                    "1e", "e3", ".",  "1e999", "--1", "1.2.3"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (util_parse_double(bad[i], &v)) {
      fprintf(stderr, "util_parse_double accepted '%s'\n", bad[i]);
      test_failures++;
    }
  bool neg;
  uint64_t mag;
  T_EQ_I(util_parse_integer("4e3", &neg, &mag), UTIL_NUM_OK);
  T_EQ_I(mag, 4000);
  T_EQ_I(util_parse_integer("-12", &neg, &mag), UTIL_NUM_OK);
  T_CHECK(neg && mag == 12);
  T_EQ_I(util_parse_integer("18446744073709551615", &neg, &mag), UTIL_NUM_OK);
  T_CHECK(mag == UINT64_MAX);
  T_EQ_I(util_parse_integer("18446744073709551616", &neg, &mag), UTIL_NUM_RANGE);
  T_EQ_I(util_parse_integer("2.5", &neg, &mag), UTIL_NUM_FRACTION);
  T_EQ_I(util_parse_integer("1e30", &neg, &mag), UTIL_NUM_RANGE);
  T_EQ_I(util_parse_integer("12abc", &neg, &mag), UTIL_NUM_SYNTAX);
  /* Byte sizes: one grammar for parallel.mem_per_rank and --mem-per-rank. */
  T_CHECK(util_parse_bytes("4G", &v) && v == 4.0 * 1024 * 1024 * 1024);
  T_CHECK(util_parse_bytes("4GiB", &v) && v == 4.0 * 1024 * 1024 * 1024);
  T_CHECK(util_parse_bytes("512k", &v) && v == 512.0 * 1024);
  T_CHECK(util_parse_bytes("1.5T", &v) && v == 1.5 * 1024 * 1024 * 1024 * 1024);
  T_CHECK(util_parse_bytes("300000", &v) && v == 300000);
  static const char *const badb[] = {"4Q", "4GG", "G", "", "0x10K", "4 G", "4Gb", "inf", "4P"};
  for (size_t i = 0; i < sizeof badb / sizeof badb[0]; i++)
    if (util_parse_bytes(badb[i], &v)) {
      fprintf(stderr, "util_parse_bytes accepted '%s'\n", badb[i]);
      test_failures++;
    }
}

static void test_read_file(void) {
  char dir[] = "/tmp/hopscan-test-util-XXXXXX";
  T_CHECK(mkdtemp(dir) != NULL);
  char path[256];
  err_t e;
  char *text = NULL;
  size_t len = 0;
  snprintf(path, sizeof path, "%s/a.txt", dir);
  FILE *f = fopen(path, "w");
  fputs("N: 4\n", f);
  fclose(f);
  T_OK(&e, util_read_file(path, &text, &len, &e));
  T_CHECK(text && len == 5 && !strcmp(text, "N: 4\n"));
  free(text);
  f = fopen(path, "w");
  fclose(f);
  T_OK(&e, util_read_file(path, &text, &len, &e));
  T_CHECK(text && len == 0 && text[0] == '\0');
  free(text);
  f = fopen(path, "wb");
  fwrite("a\0b", 1, 3, f);
  fclose(f);
  err_init(&e);
  T_EQ_I(util_read_file(path, &text, &len, &e), ERR_USAGE);
  T_CHECK(strstr(e.msg, "NUL") != NULL && text == NULL);
  unlink(path);
  err_init(&e);
  T_EQ_I(util_read_file(path, &text, &len, &e), ERR_USAGE);
  T_CHECK(strstr(e.msg, path) && strstr(e.msg, "No such file"));
  rmdir(dir);
}

int main(void) {
  test_arith();
  test_alloc();
  test_sha256();
  test_strbuf();
  test_format();
  test_numbers();
  test_read_file();
  return test_finish("test_util");
}
