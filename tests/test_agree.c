/* agree: every rank returns the same status. agree_status takes the worst one and says whether
 * all ranks agreed; when rank 0 has no message of its own, its e points at the failing rank's
 * (printed there). agree_from_root hands root's status to every rank. Run at 1 and 3 ranks. */
#include "hopscan/agree.h"

#include "testutil.h"

#include <string.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  err_t e;
  bool same = false;

  err_init(&e);
  T_EQ_I(agree_status(MPI_COMM_WORLD, 0, &e, &same), 0);
  T_CHECK(same && e.code == 0);

  /* Every rank fails alike: no extra message, unanimous. */
  err_init(&e);
  ERR(&e, ERR_USAGE, "bad config on every rank");
  T_EQ_I(agree_status(MPI_COMM_WORLD, ERR_USAGE, &e, &same), ERR_USAGE);
  T_CHECK(same && !strcmp(e.msg, "bad config on every rank"));

  /* Only the last rank fails: everybody returns its status; rank 0's e says where to look. */
  int last = size - 1;
  err_init(&e);
  int rc = rank == last ? ERR(&e, ERR_RUNTIME, "disk error on rank %d", rank) : 0;
  T_EQ_I(agree_status(MPI_COMM_WORLD, rc, &e, &same), ERR_RUNTIME);
  T_CHECK(same == (size == 1));
  if (rank == 0 && size > 1)
    T_CHECK(strstr(e.msg, "failed on another rank") != NULL);
  if (rank == last)
    T_CHECK(strstr(e.msg, "disk error") != NULL);

  /* Different statuses: the largest wins (ERR_USAGE 2 over ERR_RUNTIME 1). */
  err_init(&e);
  rc = rank == 0 ? ERR(&e, ERR_RUNTIME, "rank 0 runtime") : ERR(&e, ERR_USAGE, "usage");
  T_EQ_I(agree_status(MPI_COMM_WORLD, rc, &e, NULL), size > 1 ? ERR_USAGE : ERR_RUNTIME);
  if (rank == 0)
    T_CHECK(!strcmp(e.msg, "rank 0 runtime")); /* rank 0's own message is kept */

  /* Root alone ran the step. */
  err_init(&e);
  rc = rank == 0 ? ERR(&e, ERR_USAGE, "plan: no config file given") : 0;
  T_EQ_I(agree_from_root(MPI_COMM_WORLD, 0, rc, &e), ERR_USAGE);
  T_EQ_I(e.code, ERR_USAGE);
  if (rank == 0)
    T_CHECK(!strcmp(e.msg, "plan: no config file given"));
  else
    T_CHECK(strstr(e.msg, "rank 0") != NULL);
  err_init(&e);
  T_EQ_I(agree_from_root(MPI_COMM_WORLD, 0, 0, &e), 0);
  T_EQ_I(e.code, 0);

  int status = test_finish_mpi("test_agree", MPI_COMM_WORLD);
  MPI_Finalize();
  return status;
}
