#include "testutil.h"

int test_failures = 0;

int test_finish(const char *name) {
  if (test_failures)
    fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
  else
    printf("%s: all checks passed\n", name);
  return test_failures ? 1 : 0;
}

int test_finish_mpi(const char *name, MPI_Comm comm) {
  int rank = 0, all = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Allreduce(&test_failures, &all, 1, MPI_INT, MPI_SUM, comm);
  test_failures = all;
  if (rank == 0)
    return test_finish(name);
  return all ? 1 : 0;
}
