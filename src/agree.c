/* agree: collective agreement on a status (see agree.h). */
#include "hopscan/agree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void agree_abort(MPI_Comm comm, int rc, const err_t *e) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  fprintf(stderr, "hopscan: rank %d: %s\n", rank, e->msg[0] ? e->msg : "unknown error");
  const char *tr = getenv("HOPSCAN_TRACE");
  if (tr && tr[0] == '1')
    fputs(e->trace, stderr);
  fflush(stderr);
  MPI_Abort(comm, rc ? rc : ERR_RUNTIME);
  exit(rc ? rc : ERR_RUNTIME); /* not reached */
}

int agree_status(MPI_Comm comm, int rc, err_t *e, bool *unanimous) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  int mine[3] = {rc, rank == 0 ? rc : 0, -rc}, all[3];
  MPI_Allreduce(mine, all, 3, MPI_INT, MPI_MAX, comm);
  int worst = all[0], rank0 = all[1], best = -all[2];
  if (unanimous)
    *unanimous = worst == best;
  if (worst != 0 && rank0 == 0) {
    if (rc != 0 && rank != 0) {
      fprintf(stderr, "hopscan: rank %d: %s\n", rank, e->msg);
      fflush(stderr);
    }
    if (rank == 0 || rc == 0)
      ERR(e, worst, "a step failed on another rank (its message is printed above)");
  }
  return worst;
}

int agree_from_root(MPI_Comm comm, int root, int rc, err_t *e) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Bcast(&rc, 1, MPI_INT, root, comm);
  if (rc && rank != root && e->code == 0)
    ERR(e, rc, "the step failed on rank %d (its message is printed there)", root);
  return rc;
}

int agree_relay(MPI_Comm comm, int rc, err_t *e) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int mine = rc ? rank : size, first = size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size)
    return 0;
  int code = rc;
  char msg[sizeof e->msg];
  if (rank == first)
    memcpy(msg, e->msg, sizeof msg);
  MPI_Bcast(&code, 1, MPI_INT, first, comm);
  MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, comm);
  if (code == 0)
    code = ERR_RUNTIME;
  if (first != 0)
    snprintf(e->msg, sizeof e->msg, "rank %d: %.2000s", first, msg);
  else if (rank != first)
    memcpy(e->msg, msg, sizeof msg);
  e->code = code;
  err_push(e, __FILE__, __LINE__, __func__);
  return code;
}
