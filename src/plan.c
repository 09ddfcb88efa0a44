#include "hopscan/plan.h"

int plan_command(int argc, char **argv, MPI_Comm comm, err_t *e) {
  (void)argc;
  (void)argv;
  (void)comm;
  return ERR(e, ERR_USAGE, "'%s' is not implemented yet", argv[0]);
}
