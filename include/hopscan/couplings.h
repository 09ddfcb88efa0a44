/* couplings: J = xi^T xi (Hebb rule, integer, zero diagonal, never divided by N), built by a worker
 * group with ScaLAPACK/PBLAS and kept in the layout the dynamics needs.
 *
 * Layout: a g x 1 BLACS grid on the group communicator, rows block-cyclic with block nb as in
 * layout.h (global row i lives on rank (i / nb) % g). Each rank holds full rows of J for its rows,
 * stored
 * column-major with leading dimension lld (ScaLAPACK's local layout): element (local row r,
 * column j) at J[r + j * lld]. Since J is symmetric, column j restricted to the local rows —
 * what a flip of spin j changes in the local fields — is contiguous.
 *
 * Build: X (N x P, X[i][nu] = xi_nu(i)) is generated in chunks of COUPLINGS_CHUNK columns,
 * each rank generating its own rows; C += X_chunk X_chunk^T by PSGEMM. Entries are integers
 * |J_ij| <= P < 2^24, exact in float32; they are stored as int16 when P <= 32767, else int32.
 * The only module that calls BLACS/PBLAS/BLAS. */
#ifndef HOPSCAN_COUPLINGS_H
#define HOPSCAN_COUPLINGS_H

#include "hopscan/err.h"
#include "hopscan/layout.h"
#include "hopscan/patterns.h"
#include "hopscan/kstop.h"

#include <mpi.h>
#include <stdint.h>

#define COUPLINGS_CHUNK 2048 /* pattern columns per PSGEMM update (see plan.h memory model) */
#define COUPLINGS_PANEL 512  /* PBLAS panel width (PILAENV) of the rank-k updates */

typedef struct couplings {
  const layout_t *lay; /* row layout (not owned) */
  int ctxt;            /* BLACS context of the group's g x 1 grid (not owned) */
  int64_t P;           /* patterns J was built from (bounds |J_ij| <= P) */
  int elem;            /* bytes per entry: 2 (int16) or 4 (int32) */
  void *J;             /* [lld * N] column-major, zero diagonal; NULL until built */
  double t_gemm;       /* seconds spent in PSGEMM (for bench) */
} couplings_t;

/* The g x 1 BLACS grid of a group, made once per group and reused for every J it builds.
 * Collective on comm. couplings_grid_free is collective on the same group. */
int couplings_grid_init(int *ctxt, MPI_Comm comm, err_t *e);
void couplings_grid_free(int ctxt);

/* Sets up an empty J on layout lay (block lay->nb) and BLACS grid ctxt. Rank-local. */
void couplings_init(couplings_t *cp, const layout_t *lay, int ctxt);
/* Frees J. Rank-local. */
void couplings_free(couplings_t *cp);

/* Builds J from the train examples of p (p must have been set up on cp->rows). Before each
 * pattern chunk the group decides with kstop_agree (stop may be NULL) and returns
 * ERR_STOPPED, J unbuilt, when any rank wants to stop. Collective on lay->comm. */
int couplings_build(couplings_t *cp, const patterns_t *p, const kstop_t *stop, err_t *e);

/* Entry (local row r, global column j). */
static inline int32_t couplings_at(const couplings_t *cp, int64_t r, int64_t j) {
  size_t k = (size_t)r + (size_t)j * (size_t)cp->lay->lld;
  return cp->elem == 2 ? ((const int16_t *)cp->J)[k] : ((const int32_t *)cp->J)[k];
}

/* Peak bytes one rank holds while building J for `rows` local rows of N and P patterns: the
 * float J from ScaLAPACK, the integer J (int16 when P <= 32767, else int32), one pattern chunk
 * (COUPLINGS_CHUNK columns) and PBLAS's gathered panel of it:
 *   rows*N*4 + rows*N*(2 or 4) + N*Pc*4 + rows*Pc*4,  Pc = min(P, COUPLINGS_CHUNK). */
double couplings_bytes(int64_t N, int64_t rows, int64_t P);

/* Energy H = -1/2 sum_{i != j} J_ij s_i s_j of a full state from the local rows, summed over the
 * group (exact integer). Collective on lay->comm. */
int64_t couplings_energy(const couplings_t *cp, const int8_t *s);

/* Plain single-call SGEMM C = A A^T (A is n x k column-major, C n x n) from the BLAS hopscan
 * links: the reference the ScaLAPACK build is measured against in `hopscan bench`. */
void couplings_sgemm_reference(int64_t n, int64_t k, const float *A, float *C);

#endif
