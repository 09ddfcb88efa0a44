/* signals: the stop request of a scan (SIGTERM, SIGINT, SIGUSR1).
 *
 * A POSIX signal handler gets no context argument, so the handler can only record the signal in
 * a file-scope `volatile sig_atomic_t`: this is hopscan's one piece of global mutable state, and
 * it is justified by that constraint. Everything else reads it through signals_pending().
 *
 * Slurm sends SIGUSR1 (--signal=B:USR1@N, forwarded by the job script) or SIGTERM at the time
 * limit; Open MPI's mpirun forwards SIGUSR1 to every rank and turns SIGTERM/SIGINT into SIGTERM
 * to every rank (it then exits 1 itself, whatever the ranks return). A signal may also reach only
 * one rank (e.g. `kill -USR1` of rank 0): the scheduler makes rank 0 decide and tell the others.
 *
 * Not collective; rank-local. */
#ifndef HOPSCAN_SIGNALS_H
#define HOPSCAN_SIGNALS_H

#include "hopscan/err.h"

#include <stdbool.h>

/* Installs the recording handler for SIGTERM, SIGINT and SIGUSR1 (SA_RESTART, so interrupted
 * system calls inside MPI and HDF5 resume) and clears any earlier record. The previous handlers
 * are saved for signals_restore. ERR_RUNTIME with strerror when sigaction fails. */
int signals_install(err_t *e);

/* Puts back the handlers saved by signals_install (no-op when none are installed). */
void signals_restore(void);

/* The first stop signal received since signals_install (its number), or 0. Async-signal-safe to
 * read; cheap enough to poll between work units and inside wait loops. */
int signals_pending(void);

/* "SIGTERM", "SIGINT" or "SIGUSR1" (static strings); any other number is written as "signal N"
 * into buf (len bytes) and buf is returned. */
const char *signals_name(int sig, char *buf, int len);

/* task_stop_fn adapter: true when a stop signal is pending.
 * ctx is ignored. */
bool signals_stop_requested(void *ctx);

/* The same as a stop source for scheduler_ops_t.stop_signal: signals_pending(); ctx unused. */
int signals_stop_signal(void *ctx);

#endif
