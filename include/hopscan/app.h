/* app: the `hopscan` program's front end — the one option table of the subcommands run, plan,
 * status and bench, their usage texts, argument conversion and everything they print. Library
 * modules below return data; only this layer (and progress, the reporter it drives) prints to
 * stdout. Signals and Slurm variables are touched from here.
 *
 * Files: app.c (table, dispatch, help, status, bench), app_run.c (`run`), app_plan.c (`plan`).
 * Every function is collective on comm (every rank, same arguments) and returns the same exit
 * status on every rank (err.h); e holds the message on rank 0. */
#ifndef HOPSCAN_APP_H
#define HOPSCAN_APP_H

#include "hopscan/cli.h"
#include "hopscan/err.h"
#include "hopscan/plan.h"

#include <mpi.h>

/* Entry point: argv[0] is the program, argv[1] the subcommand (or --version, --help,
 * --help-config). */
int app_main(int argc, char **argv, MPI_Comm comm, err_t *e);

/* Indices of the option table (app.c) into cli_args_t.value. */
enum app_option {
  APP_OPT_HELP,
  APP_OPT_OUTPUT,
  APP_OPT_OVERWRITE,
  APP_OPT_QUIET,
  APP_OPT_PROGRESS,
  APP_OPT_RANKS,
  APP_OPT_MEM_PER_RANK,
  APP_OPT_CANONICAL,
  APP_OPT_BENCH_N,
  APP_OPT_BENCH_ALPHA,
  APP_OPT_BENCH_ALPHA_D,
  APP_OPT_BENCH_L,
  APP_OPT_BENCH_PROBES,
  APP_OPT_BENCH_NO_TEXTBOOK,
  APP_OPT_BENCH_SAMPLE_N,
  APP_OPT_BENCH_ENGINE_N,
  APP_OPT_BENCH_ENGINE_ALPHA,
  APP_OPT_BENCH_BIG_N,
  APP_OPT_BENCH_OVERLAPS_N,
  APP_N_OPTIONS
};

/* This node's memory for the automatic group size: SLURM_MEM_PER_CPU (per CPU), else
 * SLURM_MEM_PER_NODE, else MemAvailable of /proc/meminfo (both for the node); bytes 0 when
 * nothing is known. Rank-local. (Slurm variables are read here, in the app layer only.) */
void app_node_memory(plan_memory_t *m);

/* The subcommands behind app_main, given their parsed command line. */
int app_run(const cli_args_t *a, MPI_Comm comm, err_t *e);
int app_plan(const cli_args_t *a, MPI_Comm comm, err_t *e);

#endif
