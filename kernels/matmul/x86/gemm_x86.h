/* x86 float-matmul ukernels over F(2 * GX_W) (gemm.h): an MR x 2 vector
 * tile, one broadcast of a[m][k] and two FMAs per row per k; f16 weights
 * widened with vcvtph2ps. With MR = 1 (decode) four partial sums over k mod
 * 4 hide the FMA latency, added in a fixed order at the end.
 *
 * Included by one file per ISA after defining GX_W (16: AVX-512, 8: AVX2)
 * and GX_NAME(x). */
#include <immintrin.h>

#include "matmul/gemm.h"

#define GX_INLINE static inline __attribute__((always_inline))
#define GX_NR (2 * GX_W)

#if GX_W == 16
typedef __m512 gx_vf;
#define GLOAD(p) _mm512_loadu_ps(p)
#define GLOADH(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define GSET(x) _mm512_set1_ps(x)
#define GZERO() _mm512_setzero_ps()
#define GFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define GADD _mm512_add_ps
#define GSTORE _mm512_storeu_ps
#else
typedef __m256 gx_vf;
#define GLOAD(p) _mm256_loadu_ps(p)
#define GLOADH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define GSET(x) _mm256_set1_ps(x)
#define GZERO() _mm256_setzero_ps()
#define GFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define GADD _mm256_add_ps
#define GSTORE _mm256_storeu_ps
#endif

GX_INLINE void gx_load2(const void *w, int F16, int64_t k, gx_vf *b0, gx_vf *b1) {
  if (F16) {
    const uint16_t *p = (const uint16_t *)w + k * GX_NR;
    *b0 = GLOADH(p);
    *b1 = GLOADH(p + GX_W);
  } else {
    const float *p = (const float *)w + k * GX_NR;
    *b0 = GLOAD(p);
    *b1 = GLOAD(p + GX_W);
  }
}

GX_INLINE void gx_tile(const int MR, const int F16, int64_t kk, const void *w, const float *const *a, float *tile) {
  gx_vf c0[TSR_GEMM_MAX_MR], c1[TSR_GEMM_MAX_MR];
  for (int m = 0; m < MR; ++m) c0[m] = c1[m] = GZERO();
  for (int64_t k = 0; k < kk; ++k) {
    gx_vf b0, b1;
    gx_load2(w, F16, k, &b0, &b1);
    for (int m = 0; m < MR; ++m) {
      const gx_vf av = GSET(a[m][k]);
      c0[m] = GFMA(av, b0, c0[m]);
      c1[m] = GFMA(av, b1, c1[m]);
    }
  }
  for (int m = 0; m < MR; ++m) {
    GSTORE(tile + m * GX_NR, c0[m]);
    GSTORE(tile + m * GX_NR + GX_W, c1[m]);
  }
}

/* One row: partial sums over k mod 4. */
GX_INLINE void gx_row(const int F16, int64_t kk, const void *w, const float *a, float *tile) {
  gx_vf c0[4], c1[4];
  for (int i = 0; i < 4; ++i) c0[i] = c1[i] = GZERO();
  int64_t k = 0;
  for (; k + 4 <= kk; k += 4) {
    for (int i = 0; i < 4; ++i) {
      gx_vf b0, b1;
      gx_load2(w, F16, k + i, &b0, &b1);
      const gx_vf av = GSET(a[k + i]);
      c0[i] = GFMA(av, b0, c0[i]);
      c1[i] = GFMA(av, b1, c1[i]);
    }
  }
  for (int i = 0; k < kk; ++k, ++i) {
    gx_vf b0, b1;
    gx_load2(w, F16, k, &b0, &b1);
    const gx_vf av = GSET(a[k]);
    c0[i] = GFMA(av, b0, c0[i]);
    c1[i] = GFMA(av, b1, c1[i]);
  }
  GSTORE(tile, GADD(GADD(c0[0], c0[1]), GADD(c0[2], c0[3])));
  GSTORE(tile + GX_W, GADD(GADD(c1[0], c1[1]), GADD(c1[2], c1[3])));
}

#define GX_DISPATCH(F16)                                 \
  switch (mr) {                                          \
    case 1: gx_row(F16, k, w, a[0], tile); break;        \
    case 2: gx_tile(2, F16, k, w, a, tile); break;       \
    case 3: gx_tile(3, F16, k, w, a, tile); break;       \
    case 4: gx_tile(4, F16, k, w, a, tile); break;       \
    case 5: gx_tile(5, F16, k, w, a, tile); break;       \
    default: gx_tile(6, F16, k, w, a, tile); break;      \
  }

static void GX_NAME(gemm_f32)(int64_t mr, int64_t k, const void *w, const float *const *a, float *tile) {
  GX_DISPATCH(0)
}

static void GX_NAME(gemm_f16)(int64_t mr, int64_t k, const void *w, const float *const *a, float *tile) {
  GX_DISPATCH(1)
}
