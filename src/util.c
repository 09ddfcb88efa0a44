#include "hopscan/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool util_mul_size(size_t a, size_t b, size_t *out) {
  return !__builtin_mul_overflow(a, b, out);
}

bool util_mul_i64(int64_t a, int64_t b, int64_t *out) {
  return !__builtin_mul_overflow(a, b, out);
}

int util_to_int(int64_t v, int *out, const char *what, err_t *e) {
  if (v < INT_MIN || v > INT_MAX)
    return ERR(e, ERR_RUNTIME, "%s = %lld does not fit in an int (MPI/ScaLAPACK limit)", what,
               (long long)v);
  *out = (int)v;
  return 0;
}

static int alloc_common(void **p, size_t count, size_t size, const char *what, bool zero,
                        err_t *e) {
  size_t bytes;
  *p = NULL;
  if (!util_mul_size(count, size, &bytes))
    return ERR(e, ERR_RUNTIME, "%s: size %zu x %zu overflows", what, count, size);
  if (bytes == 0)
    bytes = 1;
  *p = zero ? calloc(1, bytes) : malloc(bytes);
  if (!*p) {
    char h[32];
    util_format_bytes((double)bytes, h, sizeof h);
    return ERR(e, ERR_RUNTIME, "%s: cannot allocate %s: %s", what, h, strerror(errno));
  }
  return 0;
}

int util_alloc(void **p, size_t count, size_t size, const char *what, err_t *e) {
  return alloc_common(p, count, size, what, false, e);
}

int util_calloc(void **p, size_t count, size_t size, const char *what, err_t *e) {
  return alloc_common(p, count, size, what, true, e);
}

double util_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void util_utc_iso(char *buf, size_t len) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void util_sha256_hex(const void *data, size_t len, char *hex) {
  struct sha256_ctx ctx;
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_init(&ctx);
  sha256_update(&ctx, len, data);
  sha256_digest(&ctx, sizeof digest, digest);
  for (size_t i = 0; i < sizeof digest; i++)
    snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

void strbuf_init(strbuf_t *b) {
  b->s = NULL;
  b->len = b->cap = 0;
  b->failed = false;
}

void strbuf_printf(strbuf_t *b, const char *fmt, ...) {
  if (b->failed)
    return;
  for (;;) {
    size_t room = b->cap - b->len;
    va_list ap;
    va_start(ap, fmt);
    int n = b->s ? vsnprintf(b->s + b->len, room, fmt, ap) : -1;
    va_end(ap);
    if (n >= 0 && (size_t)n < room) {
      b->len += (size_t)n;
      return;
    }
    size_t need = b->cap ? 2 * b->cap : 256;
    if (n >= 0 && need < b->len + (size_t)n + 1)
      need = b->len + (size_t)n + 1;
    char *s = realloc(b->s, need);
    if (!s) {
      b->failed = true;
      return;
    }
    if (!b->s)
      s[0] = '\0';
    b->s = s;
    b->cap = need;
  }
}

void strbuf_free(strbuf_t *b) {
  free(b->s);
  strbuf_init(b);
}

void util_format_bytes(double bytes, char *buf, size_t len) {
  static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 5) {
    bytes /= 1024.0;
    u++;
  }
  snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", bytes, unit[u]);
}

void util_format_seconds(double s, char *buf, size_t len) {
  if (s < 0 || s != s)
    snprintf(buf, len, "?");
  else if (s < 60)
    snprintf(buf, len, "%.0f s", s);
  else if (s < 3600)
    snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else if (s < 86400 * 99.0)
    snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
  else
    snprintf(buf, len, "%.0f d", s / 86400);
}

int util_read_file(const char *path, char **data, size_t *len, err_t *e) {
  *data = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return ERR(e, ERR_USAGE, "%s: cannot open: %s", path, strerror(errno));
  strbuf_t b;
  strbuf_init(&b);
  char chunk[65536];
  size_t n;
  int rc = 0;
  while ((n = fread(chunk, 1, sizeof chunk - 1, f)) > 0) {
    chunk[n] = '\0';
    strbuf_printf(&b, "%s", chunk); /* text files only; NUL bytes are rejected below */
    if (strlen(chunk) != n) {
      rc = ERR(e, ERR_USAGE, "%s: contains NUL bytes (not a text file)", path);
      break;
    }
  }
  if (!rc && ferror(f))
    rc = ERR(e, ERR_USAGE, "%s: read error: %s", path, strerror(errno));
  fclose(f);
  if (!rc && b.failed)
    rc = ERR(e, ERR_RUNTIME, "%s: out of memory reading file", path);
  if (rc) {
    strbuf_free(&b);
    return rc;
  }
  if (!b.s) {
    strbuf_printf(&b, "%s", "");
  }
  *data = b.s;
  *len = b.len;
  return 0;
}

/* ---- strict numbers (shared by config and the command line) ------------------------------- */

/* YAML 1.2 core-schema float syntax, decimal only: [-+]? (\.[0-9]+ | [0-9]+(\.[0-9]*)?)
 * ([eE][-+]?[0-9]+)?  -- no hex, inf, nan, underscores or trailing junk. */
static bool num_syntax(const char *s) {
  const char *p = s;
  if (*p == '+' || *p == '-')
    p++;
  int digits = 0;
  while (isdigit((unsigned char)*p)) {
    p++;
    digits++;
  }
  if (*p == '.') {
    p++;
    while (isdigit((unsigned char)*p)) {
      p++;
      digits++;
    }
  }
  if (!digits)
    return false;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-')
      p++;
    if (!isdigit((unsigned char)*p))
      return false;
    while (isdigit((unsigned char)*p))
      p++;
  }
  return *p == '\0';
}

bool util_parse_double(const char *s, double *v) {
  if (!num_syntax(s))
    return false;
  errno = 0;
  char *end;
  *v = strtod(s, &end);
  return *end == '\0' && isfinite(*v) && errno != ERANGE;
}

util_num_status util_parse_integer(const char *s, bool *neg, uint64_t *mag) {
  const char *p = s;
  *neg = false;
  if (*p == '+' || *p == '-')
    *neg = *p++ == '-';
  if (*p && strspn(p, "0123456789") == strlen(p)) {
    uint64_t m = 0;
    for (; *p; p++) {
      if (m > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
        return UTIL_NUM_RANGE;
      m = m * 10 + (uint64_t)(*p - '0');
    }
    *mag = m;
    return UTIL_NUM_OK;
  }
  double v;
  if (!num_syntax(s))
    return UTIL_NUM_SYNTAX;
  if (!util_parse_double(s, &v))
    return UTIL_NUM_RANGE;
  if (v != floor(v))
    return UTIL_NUM_FRACTION;
  if (fabs(v) >= 9007199254740992.0)
    return UTIL_NUM_RANGE;
  *neg = v < 0;
  *mag = (uint64_t)fabs(v);
  return UTIL_NUM_OK;
}

bool util_parse_bytes(const char *s, double *v) {
  char num[64];
  size_t n = strcspn(s, "kKmMgGtT");
  if (n >= sizeof num)
    return false;
  memcpy(num, s, n);
  num[n] = '\0';
  if (!util_parse_double(num, v))
    return false;
  const char *suf = s + n;
  if (!*suf)
    return true;
  static const char units[] = "KMGT";
  const char *u = strchr(units, toupper((unsigned char)suf[0]));
  if (!u)
    return false;
  for (const char *q = units; q <= u; q++)
    *v *= 1024.0;
  suf++;
  if (*suf == 'i')
    suf++;
  if (*suf == 'B')
    suf++;
  return *suf == '\0';
}

void util_format_double(char *buf, size_t len, double v) {
  if (v == floor(v) && fabs(v) < 1e15) { /* integers without an exponent: 30, not 3e+01 */
    snprintf(buf, len, "%.0f", v);
    return;
  }
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, len, "%.*g", prec, v);
    if (strtod(buf, NULL) == v)
      return;
  }
}

/* Optimal-string-alignment distance (Levenshtein + adjacent transposition), case-insensitive. */
int util_edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63)
    return 99;
  int d[64][64];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
      int best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < best)
        best = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
          tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}
