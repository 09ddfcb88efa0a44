#include "hopscan/overlaps.h"

#include "hopscan/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define OVERLAPS_X86 1
#include <immintrin.h>
#else
#define OVERLAPS_X86 0
#endif

/* ---- kernels ---------------------------------------------------------------------------------
 * msum:  sum of M[nu] over the set bits nu of a packed row x[0..W).
 * axpy:  M[nu] += (bit nu of x set ? -c : c) for every nu < P (the SIMD versions also touch the
 *        padding entries up to 64 W, which are never read with a set bit; their int32 lanes wrap,
 *        which the vector instructions define).
 * Each accumulation block of `flush` words adds at most 64 flush values of magnitude <= N to one
 * int32 lane, and flush is chosen so that this stays below 2^31. */

static int64_t msum_portable(const uint64_t *x, const int32_t *M, int64_t W, int64_t flush) {
  int64_t total = 0;
  for (int64_t k0 = 0; k0 < W; k0 += flush) {
    int64_t k1 = k0 + flush < W ? k0 + flush : W;
    int32_t acc = 0;
    for (int64_t k = k0; k < k1; k++) {
      const uint64_t b = x[k];
      const int32_t *m = M + 64 * k;
      for (int t = 0; t < 64; t++)
        acc += m[t] & -(int32_t)((b >> t) & 1u);
    }
    total += acc;
  }
  return total;
}

static void axpy_portable(int32_t *M, const uint64_t *x, int64_t P, int32_t c) {
  for (int64_t nu = 0; nu < P; nu++)
    M[nu] += ((x[nu >> 6] >> (nu & 63)) & 1u) ? -c : c;
}

#if OVERLAPS_X86
__attribute__((target("avx2"))) static int64_t msum_avx2(const uint64_t *x, const int32_t *M,
                                                         int64_t W, int64_t flush) {
  /* lane t of a group of 8 tests bit t: shift it to the sign bit, then arithmetic-shift it out */
  const __m256i shl = _mm256_setr_epi32(31, 30, 29, 28, 27, 26, 25, 24);
  int64_t total = 0;
  for (int64_t k0 = 0; k0 < W; k0 += flush) {
    int64_t k1 = k0 + flush < W ? k0 + flush : W;
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    for (int64_t k = k0; k < k1; k++) {
      const uint64_t b = x[k];
      const int32_t *m = M + 64 * k;
      for (int g = 0; g < 8; g += 2) {
        __m256i v0 = _mm256_set1_epi32((int32_t)((b >> (8 * g)) & 0xffu));
        __m256i v1 = _mm256_set1_epi32((int32_t)((b >> (8 * g + 8)) & 0xffu));
        __m256i k0m = _mm256_srai_epi32(_mm256_sllv_epi32(v0, shl), 31);
        __m256i k1m = _mm256_srai_epi32(_mm256_sllv_epi32(v1, shl), 31);
        a0 = _mm256_add_epi32(
            a0, _mm256_and_si256(k0m, _mm256_loadu_si256((const __m256i *)(m + 8 * g))));
        a1 = _mm256_add_epi32(
            a1, _mm256_and_si256(k1m, _mm256_loadu_si256((const __m256i *)(m + 8 * g + 8))));
      }
    }
    __m256i s = _mm256_add_epi32(a0, a1);
    __m256i lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(s));
    __m256i hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(s, 1));
    __m256i w = _mm256_add_epi64(lo, hi);
    int64_t q[4];
    _mm256_storeu_si256((__m256i *)q, w);
    total += q[0] + q[1] + q[2] + q[3];
  }
  return total;
}

__attribute__((target("avx2"))) static void axpy_avx2(int32_t *M, const uint64_t *x, int64_t W,
                                                      int32_t c) {
  const __m256i shl = _mm256_setr_epi32(31, 30, 29, 28, 27, 26, 25, 24);
  const __m256i vc = _mm256_set1_epi32(c), v2c = _mm256_set1_epi32(2 * c);
  for (int64_t k = 0; k < W; k++) {
    const uint64_t b = x[k];
    int32_t *m = M + 64 * k;
    for (int g = 0; g < 8; g++) {
      __m256i v = _mm256_set1_epi32((int32_t)((b >> (8 * g)) & 0xffu));
      __m256i km = _mm256_srai_epi32(_mm256_sllv_epi32(v, shl), 31);
      __m256i mm = _mm256_loadu_si256((const __m256i *)(m + 8 * g));
      mm = _mm256_sub_epi32(_mm256_add_epi32(mm, vc), _mm256_and_si256(km, v2c));
      _mm256_storeu_si256((__m256i *)(m + 8 * g), mm);
    }
  }
}

__attribute__((target("avx512f"))) static int64_t msum_avx512(const uint64_t *x, const int32_t *M,
                                                              int64_t W, int64_t flush) {
  /* the row read as 16-bit masks straight from memory (kmovw k, m16: no shifts through
   * general registers); x86 is little-endian, so mask j of word k holds bits 16 j .. 16 j + 15 */
  const uint16_t *x16 = (const uint16_t *)x;
  int64_t total = 0;
  for (int64_t k0 = 0; k0 < W; k0 += flush) {
    int64_t k1 = k0 + flush < W ? k0 + flush : W;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t k = k0; k < k1; k++) {
      const int32_t *m = M + 64 * k;
      const uint16_t *b = x16 + 4 * k;
      a0 = _mm512_mask_add_epi32(a0, (__mmask16)b[0], a0, _mm512_loadu_si512(m));
      a1 = _mm512_mask_add_epi32(a1, (__mmask16)b[1], a1, _mm512_loadu_si512(m + 16));
      a2 = _mm512_mask_add_epi32(a2, (__mmask16)b[2], a2, _mm512_loadu_si512(m + 32));
      a3 = _mm512_mask_add_epi32(a3, (__mmask16)b[3], a3, _mm512_loadu_si512(m + 48));
    }
    __m512i s = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
    __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(s));
    __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(s, 1));
    total += _mm512_reduce_add_epi64(_mm512_add_epi64(lo, hi));
  }
  return total;
}

/* Mb (when not NULL): M's byte split (split_avx512) written in the same pass. */
__attribute__((target("avx512f"))) static void axpy_avx512(int32_t *M, const uint64_t *x, int64_t W,
                                                           int32_t c, uint8_t *Mb) {
  const __m512i vc = _mm512_set1_epi32(c), v2c = _mm512_set1_epi32(2 * c);
  for (int64_t k = 0; k < W; k++) {
    const uint64_t b = x[k];
    int32_t *m = M + 64 * k;
    for (int g = 0; g < 4; g++) {
      __m512i mm = _mm512_add_epi32(_mm512_loadu_si512(m + 16 * g), vc);
      mm = _mm512_mask_sub_epi32(mm, (__mmask16)(b >> (16 * g)), mm, v2c);
      _mm512_storeu_si512(m + 16 * g, mm);
      if (Mb) {
        _mm_store_si128((__m128i *)(Mb + 64 * k + 16 * g), _mm512_cvtepi32_epi8(mm));
        _mm_store_si128((__m128i *)(Mb + 64 * (W + k) + 16 * g),
                        _mm512_cvtepi32_epi8(_mm512_srai_epi32(mm, 8)));
      }
    }
  }
}

/* M[nu] += sum_b (bit nu of x[b] set ? -c[b] : c[b]) for OVERLAPS_BLOCK rows (setting a state):
 * each line of M is loaded and stored once for all of them. */
__attribute__((target("avx512f"))) static void
axpy_block_avx512(int32_t *M, const uint64_t *const *x, const int32_t *c, int64_t W) {
  int32_t sum = 0;
  __m512i v2c[OVERLAPS_BLOCK];
  for (int b = 0; b < OVERLAPS_BLOCK; b++) {
    sum += c[b];
    v2c[b] = _mm512_set1_epi32(2 * c[b]);
  }
  const __m512i vsum = _mm512_set1_epi32(sum);
  for (int64_t k = 0; k < W; k++) {
    int32_t *m = M + 64 * k;
    for (int g = 0; g < 4; g++) {
      __m512i mm = _mm512_add_epi32(_mm512_load_si512(m + 16 * g), vsum);
      for (int b = 0; b < OVERLAPS_BLOCK; b++)
        mm = _mm512_mask_sub_epi32(mm, (__mmask16)(x[b][k] >> (16 * g)), mm, v2c[b]);
      _mm512_store_si512(m + 16 * g, mm);
    }
  }
}

/* The 16 int32 lanes of a summed to int64 (no lane sum can overflow). */
__attribute__((target("avx512f"))) static int64_t reduce_epi32_avx512(__m512i a) {
  __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(a));
  __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(a, 1));
  return _mm512_reduce_add_epi64(_mm512_add_epi64(lo, hi));
}

/* msum of OVERLAPS_BLOCK rows at once: each 64-entry line of M is loaded once for all of them
 * (from L2: M is 256 KiB at P = 64000) and used from registers; one accumulator per row takes 4
 * masked adds per word, so `flush` (<= 2^31 / (64 N) words) keeps every lane exact. */
__attribute__((target("avx512f"))) static void msum_block_avx512(const uint64_t *const *x,
                                                                 const int32_t *M, int64_t W,
                                                                 int64_t flush, int64_t *out) {
  for (int b = 0; b < OVERLAPS_BLOCK; b++)
    out[b] = 0;
  for (int64_t k0 = 0; k0 < W; k0 += flush) {
    int64_t k1 = k0 + flush < W ? k0 + flush : W;
    __m512i a[OVERLAPS_BLOCK];
    for (int b = 0; b < OVERLAPS_BLOCK; b++)
      a[b] = _mm512_setzero_si512();
    for (int64_t k = k0; k < k1; k++) {
      const int32_t *m = M + 64 * k;
      const __m512i m0 = _mm512_load_si512(m), m1 = _mm512_load_si512(m + 16);
      const __m512i m2 = _mm512_load_si512(m + 32), m3 = _mm512_load_si512(m + 48);
      for (int b = 0; b < OVERLAPS_BLOCK; b++) {
        const uint16_t *w = (const uint16_t *)(x[b] + k);
        a[b] = _mm512_mask_add_epi32(a[b], (__mmask16)w[0], a[b], m0);
        a[b] = _mm512_mask_add_epi32(a[b], (__mmask16)w[1], a[b], m1);
        a[b] = _mm512_mask_add_epi32(a[b], (__mmask16)w[2], a[b], m2);
        a[b] = _mm512_mask_add_epi32(a[b], (__mmask16)w[3], a[b], m3);
      }
    }
    for (int b = 0; b < OVERLAPS_BLOCK; b++)
      out[b] += reduce_epi32_avx512(a[b]);
  }
}

/* The same on M split into bytes, M = 256 hi + lo (lo unsigned, hi signed: |M| <= N < 2^15):
 * a row word becomes 64 bytes of 0/1 (one masked move), and two VNNI byte dot products
 * (vpdpbusd: 4 adjacent u8 x s8 products summed into an int32 lane) add its lo and hi sums.
 * Per row word 4 instructions instead of 8, and half the bytes of M per line. A lane gains at
 * most 4 * 255 per word, so blocks of 2^20 words keep it exact. */
#define VNNI_FLUSH (INT64_C(1) << 20)
/* acc += the byte dot products of a (u8) and b (s8), in place: gcc 12 copies every accumulator
 * of the intrinsic _mm512_dpbusd_epi32 once per word (and spills some), 1.5x slower. */
#define DPBUSD(acc, a, b) __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b))
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
msum_block_vnni(const uint64_t *const *x, const uint8_t *Mb, int64_t W, int64_t *out) {
  const uint8_t *Ml = Mb, *Mh = Mb + 64 * W;
  const __m512i ones = _mm512_set1_epi8(1);
  for (int b = 0; b < OVERLAPS_BLOCK; b++)
    out[b] = 0;
  for (int64_t k0 = 0; k0 < W; k0 += VNNI_FLUSH) {
    int64_t k1 = k0 + VNNI_FLUSH < W ? k0 + VNNI_FLUSH : W;
    __m512i lo[OVERLAPS_BLOCK], hi[OVERLAPS_BLOCK];
    for (int b = 0; b < OVERLAPS_BLOCK; b++)
      lo[b] = hi[b] = _mm512_setzero_si512();
    for (int64_t k = k0; k < k1; k++) {
      const __m512i ml = _mm512_load_si512(Ml + 64 * k), mh = _mm512_load_si512(Mh + 64 * k);
      if ((k & 7) == 0 && k + 64 < W) /* 8 rows at random places: each one's lines 512 B ahead */
        for (int b = 0; b < OVERLAPS_BLOCK; b++)
          __builtin_prefetch(x[b] + k + 64);
      for (int b = 0; b < OVERLAPS_BLOCK; b++) {
        const __m512i v = _mm512_maskz_mov_epi8(_load_mask64((__mmask64 *)(x[b] + k)), ones);
        DPBUSD(lo[b], ml, v);
        DPBUSD(hi[b], v, mh);
      }
    }
    for (int b = 0; b < OVERLAPS_BLOCK; b++)
      out[b] += 256 * reduce_epi32_avx512(hi[b]) + reduce_epi32_avx512(lo[b]);
  }
}

/* Mb = M split into bytes (low bytes, then high bytes of M >> 8) for every entry < 64 W. */
__attribute__((target("avx512f"))) static void split_avx512(uint8_t *Mb, const int32_t *M,
                                                            int64_t W) {
  for (int64_t n = 0; n < 64 * W; n += 16) {
    const __m512i m = _mm512_load_si512(M + n);
    _mm_store_si128((__m128i *)(Mb + n), _mm512_cvtepi32_epi8(m));
    _mm_store_si128((__m128i *)(Mb + 64 * W + n), _mm512_cvtepi32_epi8(_mm512_srai_epi32(m, 8)));
  }
}
#endif

overlaps_isa overlaps_best_isa(void) {
#if OVERLAPS_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vnni"))
    return OVERLAPS_VNNI;
  if (__builtin_cpu_supports("avx512f"))
    return OVERLAPS_AVX512;
  if (__builtin_cpu_supports("avx2"))
    return OVERLAPS_AVX2;
#endif
  return OVERLAPS_PORTABLE;
}

const char *overlaps_isa_name(overlaps_isa isa) {
  static const char *const names[] = {"portable", "avx2", "avx512", "avx512vnni"};
  return names[isa];
}

static int64_t msum(const overlaps_t *o, const uint64_t *x) {
#if OVERLAPS_X86
  if (o->isa >= OVERLAPS_AVX512)
    return msum_avx512(x, o->M, o->W, o->flush);
  if (o->isa == OVERLAPS_AVX2)
    return msum_avx2(x, o->M, o->W, o->flush);
#endif
  return msum_portable(x, o->M, o->W, o->flush);
}

/* msum of the rows x[0..OVERLAPS_BLOCK). */
static void msum_block(const overlaps_t *o, const uint64_t *const *x, int64_t *out) {
#if OVERLAPS_X86
  if (o->isa == OVERLAPS_VNNI && o->Mb) {
    msum_block_vnni(x, o->Mb, o->W, out);
    return;
  }
  if (o->isa >= OVERLAPS_AVX512) {
    msum_block_avx512(x, o->M, o->W, o->flush, out);
    return;
  }
#endif
  for (int b = 0; b < OVERLAPS_BLOCK; b++)
    out[b] = msum(o, x[b]);
}

/* Brings the byte split of M (when kept) up to date after M changed. */
static void split(overlaps_t *o) {
#if OVERLAPS_X86
  if (o->Mb)
    split_avx512(o->Mb, o->M, o->W);
#else
  (void)o;
#endif
}

/* The update of M; with `bytes`, of its byte split too (else the caller splits later). */
static void axpy(overlaps_t *o, const uint64_t *x, int32_t c, bool bytes) {
#if OVERLAPS_X86
  if (o->isa >= OVERLAPS_AVX512) {
    axpy_avx512(o->M, x, o->W, c, bytes ? o->Mb : NULL);
    return;
  }
  if (o->isa == OVERLAPS_AVX2)
    axpy_avx2(o->M, x, o->W, c);
  else
#endif
    axpy_portable(o->M, x, o->P, c);
  if (bytes)
    split(o);
}

/* ---- engine ------------------------------------------------------------------------------- */

static int64_t words_per_row(int64_t P) {
  return ((P + 63) / 64 + 7) / 8 * 8;
}

double overlaps_bytes(int64_t nloc, int64_t P) {
  double W = (double)words_per_row(P);
  return (double)nloc * W * 8.0 + W * 64.0 * (4.0 + 2.0) + W * 8.0;
}

/* 64-byte aligned zeroed array of n * size bytes. */
static int alloc_aligned(void **p, size_t n, size_t size, const char *what, err_t *e) {
  size_t bytes;
  if (!util_mul_size(n, size, &bytes))
    return ERR(e, ERR_RUNTIME, "%s: size overflow", what);
  bytes = (bytes + 63) / 64 * 64;
  *p = aligned_alloc(64, bytes ? bytes : 64);
  if (!*p)
    return ERR(e, ERR_RUNTIME, "out of memory for %s (%zu bytes)", what, bytes);
  memset(*p, 0, bytes);
  return 0;
}

int overlaps_init(overlaps_t *o, const layout_t *lay, int64_t P, err_t *e) {
  memset(o, 0, sizeof *o);
  if (lay->N > OVERLAPS_MAX_N)
    return ERR(e, ERR_USAGE, "the overlaps engine supports N <= %lld (N = %lld)",
               (long long)OVERLAPS_MAX_N, (long long)lay->N);
  o->lay = lay;
  o->P = P;
  o->W = words_per_row(P);
  o->flush = (INT64_C(2147483647) / (64 * lay->N));
  o->isa = overlaps_best_isa();
  int rc = alloc_aligned((void **)&o->X, (size_t)lay->lld * (size_t)o->W, sizeof(uint64_t),
                         "packed patterns", e);
  if (!rc)
    rc = alloc_aligned((void **)&o->M, (size_t)o->W * 64, sizeof(int32_t), "overlaps", e);
  if (!rc)
    rc = alloc_aligned((void **)&o->row, (size_t)o->W, sizeof(uint64_t), "pattern row", e);
  if (!rc && overlaps_best_isa() == OVERLAPS_VNNI && lay->N < (INT64_C(1) << 15))
    rc = alloc_aligned((void **)&o->Mb, (size_t)o->W * 64, 2, "overlaps bytes", e);
  if (rc)
    overlaps_free(o);
  return rc;
}

void overlaps_free(overlaps_t *o) {
  free(o->X);
  free(o->M);
  free(o->row);
  free(o->Mb);
  o->X = o->row = NULL;
  o->M = NULL;
  o->Mb = NULL;
}

int overlaps_build(overlaps_t *o, const patterns_t *p, err_t *e) {
  if (p->P != o->P || p->nloc != o->lay->nloc)
    return ERR(e, ERR_RUNTIME, "overlaps_build: patterns for P = %lld, engine for P = %lld",
               (long long)p->P, (long long)o->P);
  CHECK(e, patterns_train_packed(p, o->X, o->W, e));
  return 0;
}

/* Set bits of x (y == NULL) or of x ^ y. */
static int64_t popcount_row(const uint64_t *x, const uint64_t *y, int64_t W) {
  int64_t n = 0;
  for (int64_t k = 0; k < W; k++)
    n += __builtin_popcountll(y ? x[k] ^ y[k] : x[k]);
  return n;
}

#if OVERLAPS_X86
/* The same with the popcnt instruction (every AVX2 CPU has it; without it gcc calls libgcc's
 * __popcountdi2 once per word, which cost more than the update of M). */
__attribute__((target("popcnt"))) static int64_t popcount_row_popcnt(const uint64_t *x,
                                                                     const uint64_t *y, int64_t W) {
  int64_t n = 0;
  for (int64_t k = 0; k < W; k++)
    n += __builtin_popcountll(y ? x[k] ^ y[k] : x[k]);
  return n;
}
#endif

static int64_t popcount(const overlaps_t *o, const uint64_t *x, const uint64_t *y) {
#if OVERLAPS_X86
  if (o->isa >= OVERLAPS_AVX2)
    return popcount_row_popcnt(x, y, o->W);
#endif
  return popcount_row(x, y, o->W);
}

int overlaps_set_state(overlaps_t *o, const int8_t *s, err_t *e) {
  const layout_t *lay = o->lay;
  memset(o->M, 0, (size_t)o->W * 64 * sizeof(int32_t));
  int64_t r = 0;
#if OVERLAPS_X86
  if (o->isa >= OVERLAPS_AVX512) /* rows by blocks; a short last block adds rows with c = 0 */
    for (; r < lay->nloc; r += OVERLAPS_BLOCK) {
      const uint64_t *x[OVERLAPS_BLOCK];
      int32_t c[OVERLAPS_BLOCK];
      for (int b = 0; b < OVERLAPS_BLOCK; b++) {
        x[b] = o->X + (size_t)(r + b < lay->nloc ? r + b : r) * (size_t)o->W;
        c[b] = r + b < lay->nloc ? s[lay->rows[r + b]] : 0;
      }
      axpy_block_avx512(o->M, x, c, o->W);
    }
#endif
  for (; r < lay->nloc; r++)
    axpy(o, o->X + (size_t)r * (size_t)o->W, s[lay->rows[r]], false);
  if (lay->g > 1) {
    int count;
    CHECK(e, util_to_int(o->P, &count, "patterns", e));
    if (MPI_Allreduce(MPI_IN_PLACE, o->M, count, MPI_INT32_T, MPI_SUM, lay->comm) != MPI_SUCCESS)
      return ERR(e, ERR_RUNTIME, "MPI_Allreduce of the overlaps failed");
  }
  /* the padding entries hold junk on ranks with no rows' worth of updates or after the sum;
   * only nu < P enters T, and no set bit reads the rest */
  o->T = 0;
  for (int64_t nu = 0; nu < o->P; nu++)
    o->T += o->M[nu];
  split(o);
  o->kept_n = 0;
  return 0;
}

int64_t overlaps_field(overlaps_t *o, const int8_t *s, int64_t r) {
  const int64_t i = o->lay->rows[r];
  o->n_visits++;
  return o->T - 2 * msum(o, o->X + (size_t)r * (size_t)o->W) - o->P * (int64_t)s[i];
}

void overlaps_fields(overlaps_t *o, const int8_t *s, const int64_t *r, int n, int64_t *h) {
  const uint64_t *x[OVERLAPS_BLOCK];
  int64_t sum[OVERLAPS_BLOCK];
  for (int b = 0; b < OVERLAPS_BLOCK; b++) /* a short block repeats its last row */
    x[b] = o->X + (size_t)r[b < n ? b : n - 1] * (size_t)o->W;
  msum_block(o, x, sum);
  for (int b = 0; b < n; b++)
    h[b] = o->T - 2 * sum[b] - o->P * (int64_t)s[o->lay->rows[r[b]]];
  o->n_visits += n;
}

/* Keeps the n fields h of rows r (the rest of a block after the row a scan stops at). */
static void keep(overlaps_t *o, const int64_t *r, const int64_t *h, int n) {
  memmove(o->kept_r, r, (size_t)n * sizeof(int64_t));
  memmove(o->kept_h, h, (size_t)n * sizeof(int64_t));
  o->kept_n = n;
}

/* Visits go by blocks of OVERLAPS_BLOCK rows in sweep order, evaluated together against the
 * current M (M does not change during a scan). A scan stops at the first unstable row; the
 * fields of the rest of its block are kept, and each flip adds J_ij (2 s_j) to them (J_ij from
 * the two rows, O(P / 64)), so the next scan uses them while they are the next rows in sweep
 * order: every field used is the sequential one, the same integer. */
static int64_t engine_scan(void *ctx, const dynamics_t *d, const int8_t *s, int64_t q,
                           int64_t cur) {
  (void)q;
  overlaps_t *o = ctx;
  const int64_t nloc = o->lay->nloc, *rows = o->lay->rows;
  const int kept = o->kept_n;
  o->kept_n = 0;
  for (int k = 0; k < kept && cur < nloc && d->lorder[cur] == o->kept_r[k]; k++, cur++)
    if (s[rows[o->kept_r[k]]] > 0 ? o->kept_h[k] < 0 : o->kept_h[k] > 0) {
      keep(o, o->kept_r + k + 1, o->kept_h + k + 1, kept - k - 1);
      return cur;
    }
  int64_t h[OVERLAPS_BLOCK];
  while (cur < nloc) {
    const int n = nloc - cur < OVERLAPS_BLOCK ? (int)(nloc - cur) : OVERLAPS_BLOCK;
    overlaps_fields(o, s, d->lorder + cur, n, h);
    for (int b = 0; b < n; b++, cur++)
      if (s[rows[d->lorder[cur]]] > 0 ? h[b] < 0 : h[b] > 0) {
        keep(o, d->lorder + cur + 1, h + b + 1, n - b - 1);
        return cur;
      }
  }
  return cur;
}

static int engine_flip(void *ctx, const int8_t *s, int64_t q, int64_t j, err_t *e) {
  (void)q;
  overlaps_t *o = ctx;
  const layout_t *lay = o->lay;
  const int owner = layout_owner(lay, j);
  /* the owner's own row; the other ranks receive it (one rank: always the owner) */
  uint64_t *x = owner == lay->rank ? o->X + (size_t)layout_local(lay, j) * (size_t)o->W : o->row;
  if (lay->g > 1) {
    int count;
    CHECK(e, util_to_int(o->W, &count, "pattern row words", e));
    if (MPI_Bcast(x, count, MPI_UINT64_T, owner, lay->comm) != MPI_SUCCESS)
      return ERR(e, ERR_RUNTIME, "MPI_Bcast of a flipped spin's pattern row failed");
  }
  /* xi_nu(j) s_j changed by 2 s_j xi_nu(j) (s_j the new value) */
  const int32_t c = 2 * (int32_t)s[j];
  axpy(o, x, c, true);
  o->T += (int64_t)c * (o->P - 2 * popcount(o, x, NULL));
  /* kept fields: h_i += J_ij c, J_ij = sum_nu xi_nu(i) xi_nu(j) = P - 2 |x_i ^ x_j| (i != j; a
   * spin's own field does not depend on it) */
  for (int k = 0; k < o->kept_n; k++)
    if (lay->rows[o->kept_r[k]] != j)
      o->kept_h[k] +=
          (int64_t)c * (o->P - 2 * popcount(o, o->X + (size_t)o->kept_r[k] * (size_t)o->W, x));
  o->n_flips++;
  return 0;
}

dyn_engine_t overlaps_engine(overlaps_t *o) {
  return (dyn_engine_t){.scan = engine_scan, .flip = engine_flip, .ctx = o};
}

int overlaps_measure(double *ns_word, double *ns_flip, err_t *e) {
  const int64_t W = 512, rows = 64; /* 32768 patterns: M (128 KiB) in L2, rows streamed */
  uint64_t *X = NULL;
  int32_t *M = NULL;
  uint8_t *Mb = NULL;
  const overlaps_isa isa = overlaps_best_isa();
  int rc = alloc_aligned((void **)&X, (size_t)(W * rows), sizeof(uint64_t), "bench rows", e);
  if (!rc)
    rc = alloc_aligned((void **)&M, (size_t)(W * 64), sizeof(int32_t), "bench overlaps", e);
  if (!rc && isa == OVERLAPS_VNNI)
    rc = alloc_aligned((void **)&Mb, (size_t)(W * 64), 2, "bench overlaps bytes", e);
  if (rc) {
    free(X);
    free(M);
    return rc;
  }
  uint64_t z = 0x9e3779b97f4a7c15u;
  for (int64_t k = 0; k < W * rows; k++) {
    z ^= z << 13, z ^= z >> 7, z ^= z << 17;
    X[k] = z;
  }
  overlaps_t o = {.P = W * 64, .W = W, .flush = 1024, .X = X, .M = M, .Mb = Mb, .isa = isa};
  volatile int64_t sink = 0;
  double best_v = 1e30, best_f = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = util_now();
    for (int64_t r = 0; r < rows * 4; r += OVERLAPS_BLOCK) { /* as a scan visits */
      const uint64_t *x[OVERLAPS_BLOCK];
      int64_t sum[OVERLAPS_BLOCK];
      for (int b = 0; b < OVERLAPS_BLOCK; b++)
        x[b] = X + (size_t)((r + b) % rows) * (size_t)W;
      msum_block(&o, x, sum);
      sink += sum[0];
    }
    double t1 = util_now();
    for (int64_t r = 0; r < rows; r++) { /* as a flip updates */
      axpy(&o, X + (size_t)r * (size_t)W, (r & 1) ? 2 : -2, true);
    }
    double t2 = util_now();
    best_v = (t1 - t0) < best_v ? t1 - t0 : best_v;
    best_f = (t2 - t1) < best_f ? t2 - t1 : best_f;
  }
  (void)sink;
  *ns_word = best_v * 1e9 / (double)(rows * 4 * W);
  *ns_flip = best_f * 1e9 / (double)(rows * W);
  free(X);
  free(M);
  free(Mb);
  return 0;
}
