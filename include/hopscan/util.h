/* util: physics-free helpers (checked arithmetic, clocks, hashing, text buffers, files).
 * Nothing here knows about MPI or the models. */
#ifndef HOPSCAN_UTIL_H
#define HOPSCAN_UTIL_H

#include "hopscan/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Checked products and conversions: return false on overflow. */
bool util_mul_size(size_t a, size_t b, size_t *out);
bool util_mul_i64(int64_t a, int64_t b, int64_t *out);
/* int64 -> int at an MPI/ScaLAPACK boundary; fails with a message naming `what`. */
int util_to_int(int64_t v, int *out, const char *what, err_t *e);

/* Allocation that fails with context instead of returning NULL. Free with free(). */
int util_alloc(void **p, size_t count, size_t size, const char *what, err_t *e);
int util_calloc(void **p, size_t count, size_t size, const char *what, err_t *e);

/* Seconds from a monotonic clock. */
double util_now(void);
/* UTC time as ISO 8601 ("2026-11-23T14:56:03Z") into buf (>= 21 bytes). */
void util_utc_iso(char *buf, size_t len);

/* SHA-256 of data as 64 lowercase hex digits plus NUL (hex must hold 65 bytes). */
void util_sha256_hex(const void *data, size_t len, char *hex);

/* Growable text buffer, caller-owned: init, append, free. */
typedef struct strbuf {
  char *s;
  size_t len, cap;
  bool failed; /* an allocation failed; s holds what fit */
} strbuf_t;
void strbuf_init(strbuf_t *b);
void strbuf_printf(strbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_free(strbuf_t *b);

/* Human-readable byte count ("1.5 GiB") into buf. */
void util_format_bytes(double bytes, char *buf, size_t len);
/* Human-readable duration ("1h02m", "35 s") into buf. */
void util_format_seconds(double s, char *buf, size_t len);

/* Strict numbers, one grammar for config values and command-line options. A number is YAML 1.2
 * core-schema decimal float syntax, [-+]? (.D+ | D+(.D*)?) ([eE][-+]?D+)?, finite: no hex, inf,
 * nan, underscores, spaces or trailing junk. */
bool util_parse_double(const char *s, double *v);
typedef enum { UTIL_NUM_OK, UTIL_NUM_SYNTAX, UTIL_NUM_FRACTION, UTIL_NUM_RANGE } util_num_status;
/* Integer as sign + magnitude: plain decimal digits, or a number with an exact integer value
 * below 2^53 (so `4e3` is 4000 but `2.5` is UTIL_NUM_FRACTION and `1e30` UTIL_NUM_RANGE). */
util_num_status util_parse_integer(const char *s, bool *neg, uint64_t *mag);
/* Byte count: a number with an optional K, M, G or T suffix (powers of 1024, either case),
 * optionally followed by `i` and/or `B` ("4G", "4GiB", "512k", "1.5T"). No sign check: callers
 * apply their own range. */
bool util_parse_bytes(const char *s, double *v);
/* Shortest %g text that reads back to the same double (integers below 1e15 without exponent). */
void util_format_double(char *buf, size_t len, double v);

/* Reads a whole file into a NUL-terminated buffer (caller frees). */
int util_read_file(const char *path, char **data, size_t *len, err_t *e);

/* Optimal-string-alignment distance (Levenshtein plus adjacent transposition), case-insensitive;
 * 99 for strings longer than 63 characters ("did you mean" suggestions). */
int util_edit_distance(const char *a, const char *b);

#endif
