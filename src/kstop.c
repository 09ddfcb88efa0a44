/* kstop: the kernel's stop agreement. See include/hopscan/kstop.h. */
#include "hopscan/kstop.h"

bool kstop_agree(MPI_Comm group, const kstop_t *stop) {
  int local = stop && stop->fn && stop->fn(stop->ctx) ? 1 : 0, any = local;
  MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, group);
  return any != 0;
}
