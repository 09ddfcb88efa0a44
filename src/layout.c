#include "hopscan/layout.h"

#include "hopscan/util.h"

#include <stdlib.h>
#include <string.h>

int layout_init(layout_t *l, int64_t N, int64_t nb, MPI_Comm comm, err_t *e) {
  memset(l, 0, sizeof *l);
  l->N = N;
  l->nb = nb;
  l->comm = comm;
  MPI_Comm_size(comm, &l->g);
  MPI_Comm_rank(comm, &l->rank);
  int64_t n = 0;
  for (int64_t blk = l->rank; blk * nb < N; blk += l->g)
    n += (blk + 1) * nb < N ? nb : N - blk * nb;
  l->nloc = n;
  l->lld = n > 1 ? n : 1;
  CHECK(e, util_alloc((void **)&l->rows, (size_t)l->lld, sizeof(int64_t), "row list", e));
  int64_t r = 0;
  for (int64_t blk = l->rank; blk * nb < N; blk += l->g)
    for (int64_t i = blk * nb; i < (blk + 1) * nb && i < N; i++)
      l->rows[r++] = i;
  return 0;
}

void layout_free(layout_t *l) {
  free(l->rows);
  l->rows = NULL;
  l->nloc = 0;
}
