/* overlaps: the J-free engine of the dynamics (dynamics.h). J is never built: the engine keeps
 * the overlaps M_nu = xi_nu . s of the running state exactly (O(P) per flip) and evaluates a
 * visited spin's field from its bit-packed pattern row,
 *   h_i = sum_{j != i} J_ij s_j = sum_nu xi_nu(i) M_nu - P s_i = T - 2 sum_{nu: xi_nu(i) = -1} M_nu
 *         - P s_i,   T = sum_nu M_nu,
 * an O(P) masked sum. The fields are the same integers as J s, so results equal the couplings
 * engine bit for bit. A probe costs O(sweeps N P) instead of the O(N^2 P) build of J, and memory
 * is N P / 8 bytes instead of 2-4 N^2.
 *
 * Groups: each rank holds the packed rows of the neurons it owns (layout.h) and a full copy of
 * M; after a flip the owner of the flipped spin broadcasts its row (P bits) and every rank
 * updates M. Setting a state sums the ranks' partial overlaps (MPI_Allreduce of integers).
 *
 * Visits in blocks: a scan evaluates the fields of OVERLAPS_BLOCK rows, the next ones in sweep
 * order, in one pass over M (which no visit changes); the fields after the first unstable one
 * are kept and moved with each flip by J_ij 2 s_j (J_ij = P - 2 popcount(x_i ^ x_j), exact), so
 * every field used is the sequential one.
 *
 * SIMD: the masked sum and the update are written for AVX-512 with VNNI (M also kept split in
 * bytes, M = 256 hi + lo, when N < 2^15: a row word expands to 64 bytes of 0/1 and two byte dot
 * products add its sums), AVX-512F (one masked add per 16 patterns), AVX2 and portable C; the
 * best level the CPU supports is chosen at run time (__builtin_cpu_supports), so one binary runs
 * on any x86-64 node; tests compare all levels. Accumulation is in int32 lanes flushed to int64
 * often enough that no lane can overflow.
 * overlaps_init/overlaps_free own every array. */
#ifndef HOPSCAN_OVERLAPS_H
#define HOPSCAN_OVERLAPS_H

#include "hopscan/dynamics.h"
#include "hopscan/err.h"
#include "hopscan/layout.h"
#include "hopscan/patterns.h"

#include <stdint.h>

typedef enum {
  OVERLAPS_PORTABLE = 0,
  OVERLAPS_AVX2 = 1,
  OVERLAPS_AVX512 = 2, /* AVX-512F */
  OVERLAPS_VNNI = 3    /* AVX-512F, BW and VNNI: byte dot products on M split in bytes (N < 2^15) */
} overlaps_isa;

/* Rows whose fields a scan evaluates together (overlaps_fields). */
#define OVERLAPS_BLOCK 8

/* Largest N the engine accepts (M and its int32 lanes stay far from overflow). */
#define OVERLAPS_MAX_N (INT64_C(1) << 24)

typedef struct overlaps {
  const layout_t *lay; /* not owned */
  int64_t P;
  int64_t W;        /* 64-bit words per packed row: ceil(P / 64) rounded up to a multiple of 8 */
  int64_t flush;    /* words per int32 accumulation block of the masked sum */
  uint64_t *X;      /* [nloc][W] local rows: bit set where xi_nu(i) = -1; padding bits 0 */
  int32_t *M;       /* [64 W] overlaps of the current state (entries >= P: never read) */
  int64_t T;        /* sum_{nu < P} M_nu */
  uint8_t *Mb;      /* [2][64 W] M in bytes: M & 255, then M >> 8 (signed); only where the CPU runs
                       OVERLAPS_VNNI and N < 2^15 (|M| <= N), else NULL; kept whatever isa is */
  uint64_t *row;    /* [W] the flipped spin's row (g > 1) */
  overlaps_isa isa; /* kernels in use (may be set lower by tests) */
  int kept_n;       /* fields of the current state kept from a scan's last block: local rows */
  int64_t kept_r[OVERLAPS_BLOCK]; /* (the next ones in that sweep order) and their fields */
  int64_t kept_h[OVERLAPS_BLOCK];
  int64_t n_visits; /* statistics since init: fields evaluated, flips applied */
  int64_t n_flips;
} overlaps_t;

/* The best kernels this CPU runs, and their names ("avx512", "avx2", "portable"). */
overlaps_isa overlaps_best_isa(void);
const char *overlaps_isa_name(overlaps_isa isa);

/* Measures the kernels in use on this core: ns per 64-pattern word of a visit's masked sum and
 * of a flip's update (about 20 ms). */
int overlaps_measure(double *ns_word, double *ns_flip, err_t *e);

/* Bytes one rank holds for nloc rows and P patterns (packed rows, M and its byte split, row
 * buffer). */
double overlaps_bytes(int64_t nloc, int64_t P);

/* Allocates for P patterns on layout lay. Rank-local. ERR_USAGE when N > OVERLAPS_MAX_N. */
int overlaps_init(overlaps_t *o, const layout_t *lay, int64_t P, err_t *e);
void overlaps_free(overlaps_t *o);

/* Generates the packed rows of the local neurons from p's train examples (p set up on
 * lay->rows; p->P == o->P). Rank-local. */
int overlaps_build(overlaps_t *o, const patterns_t *p, err_t *e);

/* Makes s (full length N, identical on every rank) the current state: M = xi s. Collective on the
 * group when g > 1. */
int overlaps_set_state(overlaps_t *o, const int8_t *s, err_t *e);

/* Field of local row r in the current state s. Rank-local. */
int64_t overlaps_field(overlaps_t *o, const int8_t *s, int64_t r);

/* Fields h[0..n) of local rows r[0..n), 1 <= n <= OVERLAPS_BLOCK, in the current state s, the
 * same integers as overlaps_field; M is read once for all of them. Rank-local. */
void overlaps_fields(overlaps_t *o, const int8_t *s, const int64_t *r, int n, int64_t *h);

/* The engine that runs the dynamics on the current state (state index 0). */
dyn_engine_t overlaps_engine(overlaps_t *o);

#endif
