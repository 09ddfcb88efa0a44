/* agree: the one way ranks agree on the outcome of a step (issue 10: there were five).
 *
 * An error every rank sees is reported once, by rank 0; an error only some ranks see is printed
 * by those ranks with their rank number, and rank 0's message points at them. Every function
 * here is collective on its communicator and returns the same status on every rank. */
#ifndef HOPSCAN_AGREE_H
#define HOPSCAN_AGREE_H

#include "hopscan/err.h"

#include <mpi.h>
#include <stdbool.h>

/* Agrees on the status of a step every rank ran: returns the largest status of any rank
 * (ERR_STOPPED > ERR_USAGE > ERR_RUNTIME > 0). When rank 0 has no message of its own, the ranks
 * that failed print theirs ("hopscan: rank R: ...") and every rank's e says where to look.
 * *unanimous (may be NULL) tells whether every rank had the same status. */
int agree_status(MPI_Comm comm, int rc, err_t *e, bool *unanimous);

/* A step only `root` ran (e.g. rank 0 parsed the command line or printed a report): every rank
 * returns root's status; the others' e gets the code and a pointer to root's message. */
int agree_from_root(MPI_Comm comm, int root, int rc, err_t *e);

/* A step every rank ran whose failure is best told in the failing rank's own words (the output
 * module's I/O errors): every rank returns the status and the message of the lowest failing
 * rank, prefixed "rank R: " when R is not 0, so rank 0 reports the real cause once. */
int agree_relay(MPI_Comm comm, int rc, err_t *e);

/* An error only this rank sees, in the middle of a protocol the other ranks cannot leave: prints
 * it with the rank (and the trace when HOPSCAN_TRACE=1) and ends the whole run with MPI_Abort.
 * Not collective. */
_Noreturn void agree_abort(MPI_Comm comm, int rc, const err_t *e);

#endif
