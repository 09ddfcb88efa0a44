/* plan: placeholder until its module lands. */
#ifndef HOPSCAN_PLAN_H
#define HOPSCAN_PLAN_H

#include "hopscan/err.h"

#include <mpi.h>

/* The `hopscan plan` subcommand (argv[0] is the subcommand name). Collective on comm. */
int plan_command(int argc, char **argv, MPI_Comm comm, err_t *e);

#endif
