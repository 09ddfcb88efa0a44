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

/* Reads a whole file into a NUL-terminated buffer (caller frees). */
int util_read_file(const char *path, char **data, size_t *len, err_t *e);

#endif
