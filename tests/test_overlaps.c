/* overlaps kernels on explicit patterns, one rank, each SIMD variant the CPU runs:
 * - overlaps_field and overlaps_fields (blocks of 1..OVERLAPS_BLOCK rows, short blocks
 *   included) equal sum_nu xi_nu(i) M_nu - P s_i with M summed naively, before and after flips
 *   made through the engine (M and its byte split kept by the update, not recomputed);
 * - overlaps large enough to use every bit of the byte split: |M| = N = 2^15 - 1 (the largest N
 *   the split takes: high byte 127 and -128), patterns biased towards +-s (|M| ~ N), and random
 *   ones (M crossing 0, the low byte wrapping);
 * - N = 2^15, where M no longer fits the split: the 32-bit block kernels serve the VNNI level. */
#include "hopscan/overlaps.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static uint64_t next(uint64_t *z) {
  *z ^= *z << 13, *z ^= *z >> 7, *z ^= *z << 17;
  return *z;
}

/* Fields of every spin from the patterns xi[nu * N + i] and state s, naively. */
static void naive_fields(const int8_t *xi, const int8_t *s, int64_t N, int64_t P, int64_t *h) {
  int64_t *M = calloc((size_t)P, sizeof(int64_t));
  for (int64_t nu = 0; nu < P; nu++)
    for (int64_t i = 0; i < N; i++)
      M[nu] += xi[nu * N + i] * s[i];
  for (int64_t i = 0; i < N; i++) {
    h[i] = -P * s[i];
    for (int64_t nu = 0; nu < P; nu++)
      h[i] += xi[nu * N + i] * M[nu];
  }
  free(M);
}

/* Every field of the engine (single and in blocks of every size) against the naive ones;
 * returns the number that differ. */
static int64_t compare_fields(overlaps_t *o, const int8_t *xi, const int8_t *s, int64_t N,
                              int64_t P) {
  int64_t *h = malloc(sizeof(int64_t) * (size_t)N), bad = 0;
  naive_fields(xi, s, N, P, h);
  for (int64_t r = 0; r < N; r++)
    bad += overlaps_field(o, s, r) != h[r];
  int64_t rows[OVERLAPS_BLOCK], hb[OVERLAPS_BLOCK];
  for (int64_t r0 = 0, k = 0; r0 < N; k++) {
    int n = 1 + (int)(k % OVERLAPS_BLOCK);
    for (int b = 0; b < n; b++) /* scattered rows, as a random sweep order gives */
      rows[b] = (r0 + b) * 7919 % N;
    overlaps_fields(o, s, rows, n, hb);
    for (int b = 0; b < n; b++)
      bad += hb[b] != h[rows[b]];
    r0 += n;
  }
  free(h);
  return bad;
}

/* N spins, P patterns: pattern 0 = s (M = N), 1 = -s (M = -N), then `biased` patterns equal to
 * +-s on 7/8 of the spins, the rest random. Each kernel level: fields, 40 flips, fields. */
static void check_case(int64_t N, int64_t P, int64_t biased, uint64_t seed) {
  err_t e;
  layout_t lay;
  overlaps_t o;
  T_OK(&e, layout_init(&lay, N, 64, MPI_COMM_SELF, &e));
  T_OK(&e, overlaps_init(&o, &lay, P, &e));
  const overlaps_isa best = overlaps_best_isa();
  T_CHECK((o.Mb != NULL) == (best == OVERLAPS_VNNI && N < 32768));
  uint64_t z = seed;
  int8_t *xi = malloc((size_t)(N * P)), *s0 = malloc((size_t)N), *s = malloc((size_t)N);
  for (int64_t i = 0; i < N; i++)
    s0[i] = next(&z) >> 40 & 1 ? 1 : -1;
  for (int64_t nu = 0; nu < P; nu++)
    for (int64_t i = 0; i < N; i++) {
      int8_t v = next(&z) >> 33 & 1 ? 1 : -1;
      if (nu < 2)
        v = (int8_t)(nu == 0 ? s0[i] : -s0[i]);
      else if (nu < 2 + biased && (next(&z) >> 20 & 7) != 0)
        v = (int8_t)(nu & 1 ? s0[i] : -s0[i]);
      xi[nu * N + i] = v;
      if (v < 0)
        o.X[(size_t)i * (size_t)o.W + (size_t)(nu / 64)] |= UINT64_C(1) << (nu % 64);
    }
  dyn_engine_t eng = overlaps_engine(&o);
  for (int isa = OVERLAPS_PORTABLE; isa <= (int)best; isa++) {
    o.isa = (overlaps_isa)isa;
    memcpy(s, s0, (size_t)N);
    T_OK(&e, overlaps_set_state(&o, s, &e));
    int64_t bad = compare_fields(&o, xi, s, N, P);
    for (int f = 0; f < 40; f++) {
      int64_t j = (int64_t)(next(&z) % (uint64_t)N);
      s[j] = (int8_t)-s[j];
      T_OK(&e, eng.flip(eng.ctx, s, 0, j, &e));
    }
    bad += compare_fields(&o, xi, s, N, P);
    if (bad)
      fprintf(stderr, "overlaps N = %lld, P = %lld, %s: %lld fields differ\n", (long long)N,
              (long long)P, overlaps_isa_name(o.isa), (long long)bad);
    T_EQ_I(bad, 0);
  }
  free(xi);
  free(s0);
  free(s);
  overlaps_free(&o);
  layout_free(&lay);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  check_case(700, 150, 40, 1);
  check_case(13, 700, 3, 2);    /* rows of 16 words, a few spins */
  check_case(32767, 70, 20, 3); /* the largest N of the byte split */
  check_case(32768, 70, 20, 4); /* the smallest N without it */
  int rc = test_finish_mpi("test_overlaps", MPI_COMM_SELF);
  MPI_Finalize();
  return rc;
}
