/* kstop: how the kernel is told to abandon a task. The caller (the scan layer, a bench, a test)
 * passes a stop source in; the kernel asks it between units of work (pattern chunks of a J build,
 * probes) and the group agrees here, with one collective of its own, so the kernel never reaches
 * up into the scheduler or the signal handling. */
#ifndef HOPSCAN_KSTOP_H
#define HOPSCAN_KSTOP_H

#include <mpi.h>
#include <stdbool.h>

/* True when the calling rank wants to stop (a signal, an order from the master). */
typedef bool (*kstop_fn)(void *ctx);

typedef struct kstop {
  kstop_fn fn; /* NULL: never stop */
  void *ctx;
} kstop_t;

/* The group's decision: true when stop (may be NULL, or have fn NULL) says so on any rank of
 * group. Collective on group. */
bool kstop_agree(MPI_Comm group, const kstop_t *stop);

#endif
