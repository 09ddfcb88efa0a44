#include "hopscan/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void err_init(err_t *e) {
  e->code = 0;
  e->msg[0] = '\0';
  e->trace[0] = '\0';
}

void err_push(err_t *e, const char *file, int line, const char *func) {
  size_t used = strlen(e->trace);
  if (used + 1 >= sizeof e->trace)
    return;
  const char *base = strrchr(file, '/');
  snprintf(e->trace + used, sizeof e->trace - used, "  at %s:%d (%s)\n", base ? base + 1 : file,
           line, func);
}

int err_set(err_t *e, int code, const char *file, int line, const char *func, const char *fmt,
            ...) {
  if (e->code == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
  }
  err_push(e, file, line, func);
  return code;
}

void err_prefix(err_t *e, const char *fmt, ...) {
  char head[512], old[sizeof e->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(head, sizeof head, fmt, ap);
  va_end(ap);
  memcpy(old, e->msg, sizeof old);
  size_t n = strlen(head);
  if (n >= sizeof e->msg)
    n = sizeof e->msg - 1;
  memcpy(e->msg, head, n);
  size_t rest = strlen(old);
  if (rest > sizeof e->msg - 1 - n)
    rest = sizeof e->msg - 1 - n;
  memcpy(e->msg + n, old, rest);
  e->msg[n + rest] = '\0';
}
