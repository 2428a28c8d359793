/* Fast same-dtype CONVERT, AVX-512 hooks: 32-bit tiles transposed 16 x 16 in
 * registers (masked loads and stores for the tails); step-2 rows as two
 * loads and one two-source permute per 16 outputs. */
#include <immintrin.h>

#include "copy/copy.h"

static inline __mmask16 m16(size_t n) { return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u); }

static void gather2(const uint8_t *x, uint8_t *y, size_t n) {
  const float *s = (const float *)(const void *)x;
  float *d = (float *)(void *)y;
  const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  size_t j = 0;
  for (; j + 16 <= n; j += 16) {
    /* the last output reads s[2 j + 30]: the second load ends at s[2 j + 31], one past it */
    const __m512 a = _mm512_loadu_ps(s + 2 * j);
    const __m512 b = j + 16 < n ? _mm512_loadu_ps(s + 2 * j + 16) : _mm512_maskz_loadu_ps((__mmask16)0x7fff, s + 2 * j + 16);
    _mm512_storeu_ps(d + j, _mm512_permutex2var_ps(a, idx, b));
  }
  if (j < n) {
    const size_t r = n - j, need = 2 * r - 1; /* elements read: s[2 j .. 2 j + need) */
    const __m512 a = _mm512_maskz_loadu_ps(m16(need), s + 2 * j);
    const __m512 b = _mm512_maskz_loadu_ps(need > 16 ? m16(need - 16) : 0, s + 2 * j + 16);
    _mm512_mask_storeu_ps(d + j, m16(r), _mm512_permutex2var_ps(a, idx, b));
  }
}

/* r[j] (j < 16): 16 elements of source row j; on return r[c] holds column c. */
static inline __attribute__((always_inline)) void tr16(__m512 r[16]) {
  __m512 t[16];
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
  }
  for (int q = 0; q < 4; ++q) { /* rows 4q..4q+3: columns 4k+m in lane k of r[4q+m] */
    const __m512d t0 = _mm512_castps_pd(t[4 * q]), t1 = _mm512_castps_pd(t[4 * q + 1]);
    const __m512d t2 = _mm512_castps_pd(t[4 * q + 2]), t3 = _mm512_castps_pd(t[4 * q + 3]);
    r[4 * q] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    r[4 * q + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    r[4 * q + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    r[4 * q + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  for (int m = 0; m < 4; ++m) {
    const __m512 a = _mm512_shuffle_f32x4(r[m], r[4 + m], 0x88), b = _mm512_shuffle_f32x4(r[m], r[4 + m], 0xdd);
    const __m512 c = _mm512_shuffle_f32x4(r[8 + m], r[12 + m], 0x88), d = _mm512_shuffle_f32x4(r[8 + m], r[12 + m], 0xdd);
    t[m] = _mm512_shuffle_f32x4(a, c, 0x88);      /* column m      (lane 0 of each group) */
    t[8 + m] = _mm512_shuffle_f32x4(a, c, 0xdd);  /* column 8 + m  (lane 2) */
    t[4 + m] = _mm512_shuffle_f32x4(b, d, 0x88);  /* column 4 + m  (lane 1) */
    t[12 + m] = _mm512_shuffle_f32x4(b, d, 0xdd); /* column 12 + m (lane 3) */
  }
  for (int c = 0; c < 16; ++c) r[c] = t[c];
}

static void transpose32(const uint32_t *x, size_t ldx, uint32_t *y, size_t ldy, size_t ni, size_t nj) {
  for (size_t j0 = 0; j0 < nj; j0 += 16) {
    const size_t bj = nj - j0 < 16 ? nj - j0 : 16;
    const __mmask16 mj = m16(bj);
    for (size_t i0 = 0; i0 < ni; i0 += 16) {
      const size_t bi = ni - i0 < 16 ? ni - i0 : 16;
      const __mmask16 mi = m16(bi);
      __m512 r[16];
      for (size_t j = 0; j < 16; ++j) {
        r[j] = j < bj ? _mm512_maskz_loadu_ps(mi, x + (j0 + j) * ldx + i0) : _mm512_setzero_ps();
      }
      tr16(r);
      for (size_t i = 0; i < bi; ++i) _mm512_mask_storeu_ps(y + (i0 + i) * ldy + j0, mj, r[i]);
    }
  }
}

static void cp_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  static const tsr_copy_isa kIsa = {gather2, transpose32};
  tsr_copy_run(&kIsa, ctx, begin, end);
}

const tsr_kernel tsr_convert_copy_ukernel_t32__avx512 = {.name = "tsr_convert_copy_ukernel_t32__avx512",
                                                         .op = TSR_OP_CONVERT,
                                                         .isa = TSR_ISA_AVX512,
                                                         .match = tsr_copy_match,
                                                         .units = tsr_copy_units,
                                                         .run = cp_run};
