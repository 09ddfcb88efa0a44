/* scheduler: placeholder until its module lands. */
#ifndef HOPSCAN_SCHEDULER_H
#define HOPSCAN_SCHEDULER_H

#include "hopscan/err.h"

#include <mpi.h>

/* The `hopscan scheduler` subcommand (argv[0] is the subcommand name). Collective on comm. */
int scheduler_command(int argc, char **argv, MPI_Comm comm, err_t *e);

#endif
