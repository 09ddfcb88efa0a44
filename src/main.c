/* hopscan entry point: MPI start-up, one place that reports errors, exit status. */
#include "hopscan/app.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

/* Open MPI's default MPI-IO component (ompio, fcoll vulcan) deadlocks when a collective write
 * fails at 3 or more ranks: the run hangs until its time limit instead of exiting with the
 * error. ROMIO (romio321) returns the error on every rank, so it is the default unless the user
 * chose a component (OMPI_MCA_io set, even to ompio). Open MPI reads MCA parameters from the
 * environment in MPI_Init, so this must come before it. Other MPI libraries ignore the name. */
static void main_select_mpi_io(void) {
  if (!getenv("OMPI_MCA_io"))
    setenv("OMPI_MCA_io", "romio321", 0);
}

int main(int argc, char **argv) {
  main_select_mpi_io();
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
