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
#define GMUL _mm512_mul_ps
typedef __mmask16 gx_mask;
GX_INLINE gx_mask gx_mask_of(int64_t n) {
  return n >= 16 ? (gx_mask)0xFFFF : n <= 0 ? (gx_mask)0 : (gx_mask)((1u << n) - 1u);
}
#define GLOADM(p, m) _mm512_maskz_loadu_ps(m, p)
#define GSTOREM(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#else
typedef __m256 gx_vf;
#define GLOAD(p) _mm256_loadu_ps(p)
#define GLOADH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define GSET(x) _mm256_set1_ps(x)
#define GZERO() _mm256_setzero_ps()
#define GFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define GADD _mm256_add_ps
#define GSTORE _mm256_storeu_ps
#define GMUL _mm256_mul_ps
typedef __m256i gx_mask;
GX_INLINE gx_mask gx_mask_of(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 0 ? 0 : n > 8 ? 8 : n)), lanes);
}
#define GLOADM(p, m) _mm256_maskload_ps(p, m)
#define GSTOREM(p, m, v) _mm256_maskstore_ps(p, m, v)
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

/* The MR x GX_NR products of a k-panel into c0/c1 (registers once inlined). */
GX_INLINE void gx_acc(const int MR, const int F16, int64_t kk, const void *w, const float *const *a, gx_vf *c0,
                      gx_vf *c1) {
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
}

GX_INLINE void gx_tile(const int MR, const int F16, int64_t kk, const void *w, const float *const *a, float *tile) {
  gx_vf c0[TSR_GEMM_MAX_MR], c1[TSR_GEMM_MAX_MR];
  gx_acc(MR, F16, kk, w, a, c0, c1);
  for (int m = 0; m < MR; ++m) {
    GSTORE(tile + m * GX_NR, c0[m]);
    GSTORE(tile + m * GX_NR + GX_W, c1[m]);
  }
}

/* Stores row |m| of a tile (two vectors) to out->y: times alpha, plus bias. */
GX_INLINE void gx_put(const tsr_gemm_out *o, int m, gx_vf v0, gx_vf v1) {
  float *y = (float *)(void *)((uint8_t *)o->y + m * o->yrs);
  if (o->alpha != 1.0f || o->bias != NULL) {
    const gx_vf al = GSET(o->alpha);
    v0 = GMUL(v0, al);
    v1 = GMUL(v1, al);
  }
  if (o->nv == GX_NR) {
    if (o->bias != NULL) {
      v0 = GADD(v0, GLOAD(o->bias));
      v1 = GADD(v1, GLOAD(o->bias + GX_W));
    }
    GSTORE(y, v0);
    GSTORE(y + GX_W, v1);
    return;
  }
  const gx_mask m0 = gx_mask_of(o->nv), m1 = gx_mask_of(o->nv - GX_W);
  if (o->bias != NULL) {
    v0 = GADD(v0, GLOADM(o->bias, m0));
    v1 = GADD(v1, GLOADM(o->bias + GX_W, m1));
  }
  GSTOREM(y, m0, v0);
  GSTOREM(y + GX_W, m1, v1);
}

GX_INLINE void gx_tile_out(const int MR, const int F16, int64_t kk, const void *w, const float *const *a,
                           const tsr_gemm_out *o) {
  gx_vf c0[TSR_GEMM_MAX_MR], c1[TSR_GEMM_MAX_MR];
  gx_acc(MR, F16, kk, w, a, c0, c1);
  for (int m = 0; m < MR; ++m) gx_put(o, m, c0[m], c1[m]);
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

GX_INLINE void gx_row_out(const int F16, int64_t kk, const void *w, const float *a, const tsr_gemm_out *o) {
  _Alignas(64) float t[GX_NR];
  gx_row(F16, kk, w, a, t);
  gx_put(o, 0, GLOAD(t), GLOAD(t + GX_W));
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

#define GX_DISPATCH_OUT(F16)                                 \
  switch (mr) {                                              \
    case 1: gx_row_out(F16, k, w, a[0], o); break;           \
    case 2: gx_tile_out(2, F16, k, w, a, o); break;          \
    case 3: gx_tile_out(3, F16, k, w, a, o); break;          \
    case 4: gx_tile_out(4, F16, k, w, a, o); break;          \
    case 5: gx_tile_out(5, F16, k, w, a, o); break;          \
    default: gx_tile_out(6, F16, k, w, a, o); break;         \
  }

static void GX_NAME(gemm_f32_out)(int64_t mr, int64_t k, const void *w, const float *const *a,
                                  const tsr_gemm_out *o) {
  GX_DISPATCH_OUT(0)
}

static void GX_NAME(gemm_f16_out)(int64_t mr, int64_t k, const void *w, const float *const *a,
                                  const tsr_gemm_out *o) {
  GX_DISPATCH_OUT(1)
}
