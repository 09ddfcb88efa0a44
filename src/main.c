/* hopscan entry point: MPI start-up, one place that reports errors, exit status. */
#include "hopscan/app.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  err_t e;
  err_init(&e);
  int rc = app_main(argc, argv, MPI_COMM_WORLD, &e);
  /* Subcommands agree on rc across ranks, so rank 0 speaks for all. */
  if (rc != 0 && rank == 0 && e.msg[0]) {
    fprintf(stderr, "hopscan: %s\n", e.msg);
    const char *tr = getenv("HOPSCAN_TRACE");
    if (tr && tr[0] == '1')
      fputs(e.trace, stderr);
  }
  fflush(stdout);
  fflush(stderr);
  MPI_Finalize();
  return rc;
}
