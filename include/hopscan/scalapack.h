/* scalapack: prototypes of the BLACS, PBLAS, ScaLAPACK-tool and BLAS routines hopscan calls.
 * No Debian header declares them (TOOLCHAIN.md): Cblacs_* take ints by value; numroc_, descinit_
 * and the PBLAS routines take pointers and plain `char *`; genuine Fortran routines (sgemm_) take
 * hidden string lengths at the end. Only the couplings module (and the toolchain test) include
 * this header. */
#ifndef HOPSCAN_SCALAPACK_H
#define HOPSCAN_SCALAPACK_H

#include <mpi.h>
#include <stddef.h>

int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *ctxt, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int ctxt);
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
               const int *irsrc, const int *icsrc, const int *ictxt, const int *lld, int *info);
void psgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
             const float *alpha, const float *a, const int *ia, const int *ja, const int *desca,
             const float *b, const int *ib, const int *jb, const int *descb, const float *beta,
             float *c, const int *ic, const int *jc, const int *descc);
void pdgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja, const int *desca,
             const double *b, const int *ib, const int *jb, const int *descb, const double *beta,
             double *c, const int *ic, const int *jc, const int *descc);
/* PBLAS's panel width query; couplings.c defines it to tune PBLAS (see there). */
int pilaenv_(const int *ictxt, const char *prec);
void sgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
            const float *alpha, const float *a, const int *lda, const float *b, const int *ldb,
            const float *beta, float *c, const int *ldc, size_t la, size_t lb);

#endif
