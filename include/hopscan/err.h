/* err: error values that carry their context up to the one place that reports them.
 *
 * Every fallible function takes `err_t *e` as its last parameter and returns 0 on success or one
 * of the exit codes below. The first failure fills e->msg (the user-facing text: path or key,
 * value, and the library's own words); every function it passes through appends a frame to
 * e->trace (file:line:function), printed only with HOPSCAN_TRACE=1. main reports once and exits
 * with e->code. Not collective; no global state. */
#ifndef HOPSCAN_ERR_H
#define HOPSCAN_ERR_H

#include <stddef.h>

enum {
  ERR_OK = 0,
  ERR_RUNTIME = 1, /* I/O, library or resource failure */
  ERR_USAGE = 2,   /* invalid command line or config; nothing was written */
  ERR_STOPPED = 75 /* stopped by a signal after a consistent checkpoint (EX_TEMPFAIL) */
};

typedef struct err {
  int code;
  char msg[2048];
  char trace[1024];
} err_t;

/* Clears e (code 0, empty texts). */
void err_init(err_t *e);

/* Records the first error (later calls only add a trace frame) and returns code. */
int err_set(err_t *e, int code, const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Appends one traceback frame; used by CHECK and TRY. */
void err_push(err_t *e, const char *file, int line, const char *func);

/* Prefixes context to the message ("while writing OUT.h5: ..."). */
void err_prefix(err_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fail with a code and a printf-style message: `return ERR(e, ERR_USAGE, "...", ...);` */
#define ERR(e, code, ...) err_set((e), (code), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Propagate: return the callee's status with a trace frame added. */
#define CHECK(e, call)                                                                             \
  do {                                                                                             \
    int check_rc_ = (call);                                                                        \
    if (check_rc_ != 0) {                                                                          \
      err_push((e), __FILE__, __LINE__, __func__);                                                 \
      return check_rc_;                                                                            \
    }                                                                                              \
  } while (0)

/* Propagate to a cleanup label: sets rc, adds a frame, jumps. */
#define TRY(e, rc, call, label)                                                                    \
  do {                                                                                             \
    (rc) = (call);                                                                                 \
    if ((rc) != 0) {                                                                               \
      err_push((e), __FILE__, __LINE__, __func__);                                                 \
      goto label;                                                                                  \
    }                                                                                              \
  } while (0)

#endif
