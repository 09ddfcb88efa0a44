#include "hopscan/couplings.h"

#include "hopscan/scalapack.h"
#include "hopscan/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* PBLAS asks PILAENV for the panel width of its rank-k updates; the reference returns 32, which
 * turns each PSGEMM into rank-32 SGEMMs at half the BLAS peak. ScaLAPACK documents PILAENV as the
 * routine a user tunes; this definition takes precedence over the library's (dynamic symbol
 * interposition) and is measured by `hopscan bench`. */
int pilaenv_(const int *ictxt, const char *prec) {
  (void)ictxt;
  (void)prec;
  return COUPLINGS_PANEL;
}

int couplings_grid_init(int *ctxt, MPI_Comm comm, err_t *e) {
  int g;
  MPI_Comm_size(comm, &g);
  int handle = Csys2blacs_handle(comm);
  *ctxt = handle; /* in: the system handle; out: the grid context */
  Cblacs_gridinit(ctxt, "R", g, 1);
  Cfree_blacs_system_handle(handle);
  if (*ctxt < 0)
    return ERR(e, ERR_RUNTIME, "BLACS grid of %d ranks could not be made", g);
  return 0;
}

void couplings_grid_free(int ctxt) {
  if (ctxt >= 0)
    Cblacs_gridexit(ctxt);
}

void couplings_init(couplings_t *cp, const layout_t *lay, int ctxt) {
  memset(cp, 0, sizeof *cp);
  cp->lay = lay;
  cp->ctxt = ctxt;
}

void couplings_free(couplings_t *cp) {
  free(cp->J);
  cp->J = NULL;
}

int couplings_build(couplings_t *cp, const patterns_t *p, const kstop_t *stop, err_t *e) {
  int rc = 0;
  float *C = NULL, *X = NULL;
  const layout_t *lay = cp->lay;
  const int64_t N = lay->N, P = p->P;
  const int64_t chunk = P < COUPLINGS_CHUNK ? P : COUPLINGS_CHUNK;
  int n, nb, kc, lld, info, zero = 0, one = 1;
  int descC[9], descX[9];
  TRY(e, rc, util_to_int(N, &n, "N", e), out);
  TRY(e, rc, util_to_int(lay->nb, &nb, "block size", e), out);
  TRY(e, rc, util_to_int(lay->lld, &lld, "local rows", e), out);
  TRY(e, rc, util_to_int(chunk, &kc, "pattern chunk", e), out);
  TRY(e, rc, util_calloc((void **)&C, (size_t)lay->lld, (size_t)N * sizeof(float), "float J", e),
      out);
  TRY(e, rc,
      util_alloc((void **)&X, (size_t)lay->lld, (size_t)chunk * sizeof(float), "pattern chunk", e),
      out);
  descinit_(descC, &n, &n, &nb, &nb, &zero, &zero, &cp->ctxt, &lld, &info);
  if (info != 0) {
    rc = ERR(e, ERR_RUNTIME, "descinit for J failed (info %d)", info);
    goto out;
  }
  cp->t_gemm = 0;
  cp->P = P;
  for (int64_t nu0 = 0; nu0 < P; nu0 += chunk) {
    if (kstop_agree(lay->comm, stop)) {
      rc = ERR_STOPPED;
      goto out;
    }
    int64_t cnt = P - nu0 < chunk ? P - nu0 : chunk;
    int k = (int)cnt;
    TRY(e, rc, patterns_examples_f32(p, EXAMPLES_TRAIN, nu0, cnt, X, lay->lld, e), out);
    descinit_(descX, &n, &k, &nb, &k, &zero, &zero, &cp->ctxt, &lld, &info);
    if (info != 0) {
      rc = ERR(e, ERR_RUNTIME, "descinit for patterns failed (info %d)", info);
      goto out;
    }
    const float alpha = 1.0f, beta = 1.0f;
    double t0 = util_now();
    psgemm_("N", "T", &n, &n, &k, &alpha, X, &one, &one, descX, X, &one, &one, descX, &beta, C,
            &one, &one, descC);
    cp->t_gemm += util_now() - t0;
  }
  free(X);
  X = NULL;
  /* Exact integers -> int16/int32, zero diagonal, same column-major layout. */
  cp->elem = P <= 32767 ? 2 : 4;
  TRY(e, rc, util_alloc(&cp->J, (size_t)lay->lld * (size_t)N, (size_t)cp->elem, "integer J", e),
      out);
  for (int64_t j = 0; j < N; j++) {
    const float *cj = C + (size_t)j * (size_t)lay->lld;
    if (cp->elem == 2) {
      int16_t *jj = (int16_t *)cp->J + (size_t)j * (size_t)lay->lld;
      for (int64_t r = 0; r < lay->nloc; r++)
        jj[r] = (int16_t)lrintf(cj[r]);
    } else {
      int32_t *jj = (int32_t *)cp->J + (size_t)j * (size_t)lay->lld;
      for (int64_t r = 0; r < lay->nloc; r++)
        jj[r] = (int32_t)lrintf(cj[r]);
    }
  }
  for (int64_t r = 0; r < lay->nloc; r++) {
    size_t k = (size_t)r + (size_t)lay->rows[r] * (size_t)lay->lld;
    if (cp->elem == 2)
      ((int16_t *)cp->J)[k] = 0;
    else
      ((int32_t *)cp->J)[k] = 0;
  }
out:
  free(X);
  free(C);
  return rc;
}

void couplings_sgemm_reference(int64_t n, int64_t k, const float *A, float *C) {
  int nn = (int)n, kk = (int)k;
  const float alpha = 1.0f, beta = 0.0f;
  sgemm_("N", "T", &nn, &nn, &kk, &alpha, A, &nn, A, &nn, &beta, C, &nn, 1, 1);
}

int64_t couplings_energy(const couplings_t *cp, const int8_t *s) {
  const layout_t *lay = cp->lay;
  int64_t local = 0;
  for (int64_t r = 0; r < lay->nloc; r++) {
    int64_t hr = 0;
    for (int64_t j = 0; j < lay->N; j++)
      hr += (int64_t)couplings_at(cp, r, j) * s[j];
    local += hr * s[lay->rows[r]];
  }
  int64_t total = local;
  if (lay->g > 1)
    MPI_Allreduce(&local, &total, 1, MPI_INT64_T, MPI_SUM, lay->comm);
  return -total / 2;
}

double couplings_bytes(int64_t N, int64_t rows, int64_t P) {
  const double n = (double)N, r = (double)rows;
  const double Pc = (double)(P < COUPLINGS_CHUNK ? P : COUPLINGS_CHUNK);
  return r * n * 4.0 + r * n * (P <= 32767 ? 2.0 : 4.0) + n * Pc * 4.0 + r * Pc * 4.0;
}
