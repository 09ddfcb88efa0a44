/* layout: which neuron rows each rank of a worker group holds.
 *
 * Rows are block-cyclic over the g ranks of the group with block nb (ScaLAPACK's row
 * distribution, numroc): global row i lives on rank (i / nb) % g. Both engines use it: the
 * couplings engine keeps those rows of J, the overlaps engine those rows of the bit-packed
 * patterns; the dynamics visits spins in sweep order and each rank owns the visits of its rows.
 * layout_init/layout_free own the row list. layout_init is rank-local (it reads the size and
 * rank of comm). */
#ifndef HOPSCAN_LAYOUT_H
#define HOPSCAN_LAYOUT_H

#include "hopscan/err.h"

#include <mpi.h>
#include <stdint.h>

typedef struct layout {
  int64_t N, nb;
  int g, rank;   /* group size and rank in the group */
  MPI_Comm comm; /* the group (not owned) */
  int64_t nloc;  /* local rows */
  int64_t lld;   /* leading dimension of local column-major arrays, max(1, nloc) */
  int64_t *rows; /* [nloc] global index of each local row, increasing */
} layout_t;

int layout_init(layout_t *l, int64_t N, int64_t nb, MPI_Comm comm, err_t *e);
void layout_free(layout_t *l);

/* Rank of the group that holds global row i. */
static inline int layout_owner(const layout_t *l, int64_t i) {
  return (int)((i / l->nb) % l->g);
}

/* Local row index of global row i on the rank that holds it (layout_owner): its block's place
 * among that rank's blocks, then its place in the block. */
static inline int64_t layout_local(const layout_t *l, int64_t i) {
  return i / l->nb / l->g * l->nb + i % l->nb;
}

#endif
