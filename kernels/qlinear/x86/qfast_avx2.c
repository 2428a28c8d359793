/* Quantize, dequantize, quantized add / mul rows (8 elements per step) and
 * QLINEAR_MATMUL dot products (widened vpmaddwd, exact) for AVX2. */
#include <immintrin.h>
#include <string.h>

#include "qlinear/qfast.h"

static inline __m256i load8_q8(const uint8_t *p, bool is_signed) {
  const __m128i v = _mm_loadl_epi64((const __m128i *)p);
  return is_signed ? _mm256_cvtepi8_epi32(v) : _mm256_cvtepu8_epi32(v);
}

static inline void store8_q(uint8_t *y, __m256 v, __m256 lo, __m256 hi, __m256i zp, bool y_signed) {
  v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
  const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  _mm_storel_epi64((__m128i *)y, y_signed ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w));
}

static void quantize_tail(const float *x, uint8_t *y, size_t n, float scale, int32_t zp, bool y_signed) {
  const int32_t lo = y_signed ? -128 : 0, hi = y_signed ? 127 : 255;
  for (size_t i = 0; i < n; ++i) {
    float v = x[i] / scale;
    const float fl = (float)(lo - zp), fh = (float)(hi - zp);
    v = v > fl ? v : fl;
    v = v < fh ? v : fh;
    const int32_t q = (int32_t)_mm_cvtss_si32(_mm_set_ss(v)) + zp;
    y[i] = (uint8_t)q;
  }
}

static void quantize(const float *x, uint8_t *y, size_t n, float scale, int32_t zp, bool y_signed) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256 lo = _mm256_set1_ps((float)((y_signed ? -128 : 0) - zp)), hi = _mm256_set1_ps((float)((y_signed ? 127 : 255) - zp));
  const __m256i z = _mm256_set1_epi32(zp);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) store8_q(y + i, _mm256_div_ps(_mm256_loadu_ps(x + i), s), lo, hi, z, y_signed);
  quantize_tail(x + i, y + i, n - i, scale, zp, y_signed);
}

static void dequantize(const uint8_t *x, bool x_signed, float *y, size_t n, float scale, int32_t zp) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i z = _mm256_set1_epi32(zp);
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(load8_q8(x + i, x_signed), z)), s));
  for (; i < n; ++i) y[i] = (float)((x_signed ? (int32_t)(int8_t)x[i] : (int32_t)x[i]) - zp) * scale;
}

static void binary(const uint8_t *a, bool a_signed, const uint8_t *b, bool b_signed, size_t b_inc, uint8_t *y,
                   bool y_signed, size_t n, const float *s, const int32_t *z, bool mul) {
  const __m256 sa = _mm256_set1_ps(s[0]), sb = _mm256_set1_ps(s[1]), sy = _mm256_set1_ps(s[2]);
  const __m256i za = _mm256_set1_epi32(z[0]), zb = _mm256_set1_epi32(z[1]), zy = _mm256_set1_epi32(z[2]);
  const __m256 lo = _mm256_set1_ps((float)((y_signed ? -128 : 0) - z[2])), hi = _mm256_set1_ps((float)((y_signed ? 127 : 255) - z[2]));
  const float vb0 = s[1] * (float)((b_signed ? (int32_t)(int8_t)b[0] : (int32_t)b[0]) - z[1]);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 va = _mm256_mul_ps(sa, _mm256_cvtepi32_ps(_mm256_sub_epi32(load8_q8(a + i, a_signed), za)));
    const __m256 vb = b_inc ? _mm256_mul_ps(sb, _mm256_cvtepi32_ps(_mm256_sub_epi32(load8_q8(b + i, b_signed), zb)))
                            : _mm256_set1_ps(vb0);
    store8_q(y + i, _mm256_div_ps(mul ? _mm256_mul_ps(va, vb) : _mm256_add_ps(va, vb), sy), lo, hi, zy, y_signed);
  }
  const float lf = (float)((y_signed ? -128 : 0) - z[2]), hf = (float)((y_signed ? 127 : 255) - z[2]);
  for (; i < n; ++i) {
    const int32_t av = a_signed ? (int8_t)a[i] : a[i], bv = b_signed ? (int8_t)b[i * b_inc] : b[i * b_inc];
    const float va = s[0] * (float)(av - z[0]), vb = s[1] * (float)(bv - z[1]);
    float v = (mul ? va * vb : va + vb) / s[2];
    v = v > lf ? v : lf;
    v = v < hf ? v : hf;
    y[i] = (uint8_t)(_mm_cvtss_si32(_mm_set_ss(v)) + z[2]);
  }
}

/* 16 columns: each k-quad of a (s16 x4, broadcast) against 4 columns' s16
 * quads per ymm; lanes hold (column, k pair) sums folded at the end. */
static void dot16(const uint8_t *a4, const int8_t *bp, size_t kq, int32_t *acc) {
  __m256i s[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
  for (size_t k = 0; k < kq; ++k) {
    int32_t q;
    memcpy(&q, a4 + k * 4, 4);
    const __m256i av = _mm256_broadcastq_epi64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(q)));
    for (int c = 0; c < 4; ++c) {
      const __m256i bv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(bp + k * 64 + c * 16)));
      s[c] = _mm256_add_epi32(s[c], _mm256_madd_epi16(bv, av));
    }
  }
  /* s[c] lanes: (col 4c, pair0), (4c, pair1), (4c+1, p0), ... */
  const __m256i h01 = _mm256_hadd_epi32(s[0], s[1]), h23 = _mm256_hadd_epi32(s[2], s[3]);
  /* h01 = [c0 c1 c4 c5 | c2 c3 c6 c7] */
  _mm256_storeu_si256((__m256i *)acc, _mm256_permute4x64_epi64(h01, 0xd8));
  _mm256_storeu_si256((__m256i *)(acc + 8), _mm256_permute4x64_epi64(h23, 0xd8));
}

static const tsr_qrow_isa kIsa = {quantize, dequantize, binary, dot16};
TSR_QELTWISE_KERNEL(tsr_quantize_linear_f32_q8_ukernel_u32__avx2, TSR_OP_QUANTIZE_LINEAR, kIsa, TSR_ISA_AVX2)
TSR_QELTWISE_KERNEL(tsr_dequantize_linear_q8_f32_ukernel_u32__avx2, TSR_OP_DEQUANTIZE_LINEAR, kIsa, TSR_ISA_AVX2)
TSR_QELTWISE_KERNEL(tsr_qlinear_binary_q8_ukernel_u8__avx2, TSR_OP_QLINEAR_BINARY, kIsa, TSR_ISA_AVX2)
TSR_QMATMUL_KERNEL(tsr_qlinear_matmul_u8s8_ukernel_1x16__avx2, kIsa, TSR_ISA_AVX2)
