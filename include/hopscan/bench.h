/* bench: placeholder until its module lands. */
#ifndef HOPSCAN_BENCH_H
#define HOPSCAN_BENCH_H

#include "hopscan/err.h"

#include <mpi.h>

/* The `hopscan bench` subcommand (argv[0] is the subcommand name). Collective on comm. */
int bench_command(int argc, char **argv, MPI_Comm comm, err_t *e);

#endif
