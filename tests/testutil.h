/* Minimal assertion helpers for the C test programs: each failed check prints file:line and the
 * values, the program keeps going, and test_finish() returns the exit status for ctest. */
#ifndef HOPSCAN_TESTUTIL_H
#define HOPSCAN_TESTUTIL_H

#include "hopscan/err.h"

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

extern int test_failures; /* test programs only: counts failed checks */

#define T_CHECK(cond)                                                                              \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                     \
      test_failures++;                                                                             \
    }                                                                                              \
  } while (0)

#define T_EQ_I(a, b)                                                                               \
  do {                                                                                             \
    long long ta_ = (long long)(a), tb_ = (long long)(b);                                          \
    if (ta_ != tb_) {                                                                              \
      fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, ta_,   \
              tb_);                                                                                \
      test_failures++;                                                                             \
    }                                                                                              \
  } while (0)

#define T_OK(e, call)                                                                              \
  do {                                                                                             \
    err_init(e);                                                                                   \
    int trc_ = (call);                                                                             \
    if (trc_ != 0) {                                                                               \
      fprintf(stderr, "%s:%d: %s failed (%d): %s\n%s", __FILE__, __LINE__, #call, trc_, (e)->msg,  \
              (e)->trace);                                                                         \
      test_failures++;                                                                             \
    }                                                                                              \
  } while (0)

/* Prints a summary line and returns 0 when every check passed. */
int test_finish(const char *name);

/* MPI test programs: sums the failures of every rank of comm, rank 0 prints the summary, and
 * every rank returns the same exit status. Collective on comm; call before MPI_Finalize. */
int test_finish_mpi(const char *name, MPI_Comm comm);

#endif
