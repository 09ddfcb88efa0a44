/* output: placeholder until its module lands. */
#ifndef HOPSCAN_OUTPUT_H
#define HOPSCAN_OUTPUT_H

#include "hopscan/err.h"

#include <mpi.h>

/* The `hopscan output` subcommand (argv[0] is the subcommand name). Collective on comm. */
int output_status_command(int argc, char **argv, MPI_Comm comm, err_t *e);

#endif
