/* probes: one task of the scan on one worker group: patterns, couplings J, and the dynamics
 * from every probe start (train examples, fresh test examples, features).
 * Collective on the group communicator; the result is complete on every rank of the group. */
#ifndef HOPSCAN_PROBES_H
#define HOPSCAN_PROBES_H

#include "hopscan/config.h"
#include "hopscan/err.h"
#include "hopscan/task.h"

#include <mpi.h>
#include <stdbool.h>

/* Runs task t of config c on `group` and fills r (task_result_init'ed by the caller).
 * stop (may be NULL) is polled collectively (task_should_stop) between pattern chunks of the J
 * build and between probes, so a stop abandons the task within one chunk or probe.
 * Returns ERR_STOPPED, with r incomplete, when stop() said so on any rank of the group. */
int probes_run_task(const config_t *c, task_t t, MPI_Comm group, task_result_t *r,
                    task_stop_fn stop, void *stop_ctx, err_t *e);

#endif
