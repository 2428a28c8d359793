/* Quantized matmul, AVX2: 4x8 tiles over P(8), pmaddubsw + pmaddwd over K
 * in lane words of 4 (see qmm_x86.h); q8_0 as |w| times sign(a, w). Also
 * the AVX2 activation quantizer. */
#define QX_W 8
#define QX_VNNI 0
#define QX_NAME(x) x##_avx2
#include "matmul/x86/qmm_x86.h"

#include "matmul/matmul.h"

static float hmax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

static int32_t hsum8(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

/* Stores one 32-block's int32 quants |q| as int8 in order (the packs
 * interleave 128-bit lanes; a permute restores the order) and returns the
 * sums of the first and last 16. */
static inline void store_block(const __m256i q[4], int8_t *dst, int32_t *lo, int32_t *hi) {
  const __m256i p01 = _mm256_packs_epi32(q[0], q[1]), p23 = _mm256_packs_epi32(q[2], q[3]);
  const __m256i p = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p01, p23), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256((__m256i *)(void *)dst, p);
  *lo = hsum8(_mm256_add_epi32(q[0], q[1]));
  *hi = hsum8(_mm256_add_epi32(q[2], q[3]));
}

/* Same bytes as tsr_qmm_quant_row_scalar: four vectors per 32-block. */
void tsr_qmm_quant_row_avx2(const float *x, int64_t k, void *rec);
void tsr_qmm_quant_row_avx2(const float *x, int64_t k, void *rec) {
  tsr_qmm_act a = tsr_qmm_act_view(rec, k);
  int8_t *qs = (int8_t *)a.qs;
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t j = 0; j < k / 32; ++j) {
    __m256 v[4];
    __m256 ax = _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
      v[i] = _mm256_loadu_ps(x + 32 * j + 8 * i);
      ax = _mm256_max_ps(ax, _mm256_andnot_ps(sign, v[i]));
    }
    const float amax = hmax8(ax);
    const float dj = amax / 127.0f, id = dj != 0.0f ? 1.0f / dj : 0.0f;
    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4];
    for (int i = 0; i < 4; ++i) q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], vid));
    int32_t lo, hi;
    store_block(q, qs + 32 * j, &lo, &hi);
    tsr_qmm_act_set_block(&a, j, _cvtsh_ss(_cvtss_sh(dj, _MM_FROUND_TO_NEAREST_INT)), lo, hi); /* GGML stores Q8_0's d as f16 (F16C, RNE) */
  }
}

/* Same bytes as tsr_qmm_quant_row_k_scalar (GGML's Q8_K). */
void tsr_qmm_quant_row_k_avx2(const float *x, int64_t k, void *rec);
void tsr_qmm_quant_row_k_avx2(const float *x, int64_t k, void *rec) {
  tsr_qmm_act a = tsr_qmm_act_view(rec, k);
  int8_t *qs = (int8_t *)a.qs;
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < k / 256; ++b) {
    const float *xb = x + 256 * b;
    __m256 ax = _mm256_setzero_ps();
    for (int i = 0; i < 32; ++i) ax = _mm256_max_ps(ax, _mm256_andnot_ps(sign, _mm256_loadu_ps(xb + 8 * i)));
    const float amax = hmax8(ax);
    float mx = 0.0f; /* the first x of largest |x| */
    if (amax != 0.0f) {
      const __m256 va = _mm256_set1_ps(amax);
      for (int i = 0; i < 32; ++i) {
        const int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(xb + 8 * i)), va, _CMP_EQ_OQ));
        if (hit) {
          mx = xb[8 * i + __builtin_ctz((unsigned)hit)];
          break;
        }
      }
    }
    const float iscale = amax != 0.0f ? -127.0f / mx : 0.0f, db = amax != 0.0f ? 1.0f / iscale : 0.0f;
    const __m256 vis = _mm256_set1_ps(iscale);
    const __m256i c127 = _mm256_set1_epi32(127);
    for (int64_t j = 8 * b; j < 8 * b + 8; ++j) {
      __m256i q[4];
      for (int i = 0; i < 4; ++i) {
        q[i] = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * j + 8 * i), vis)), c127);
      }
      int32_t lo, hi;
      store_block(q, qs + 32 * j, &lo, &hi);
      tsr_qmm_act_set_block(&a, j, db, lo, hi);
    }
  }
}

static const tsr_qmm_desc kQ8 = {TSR_DTYPE_Q8_0, 8, 4, 1, 0, tsr_qmm_quant_row_avx2, uk_q8_0_avx2};
static const tsr_qmm_desc kQ4 = {TSR_DTYPE_Q4_0, 8, 4, 1, 0, tsr_qmm_quant_row_avx2, uk_q4_0_avx2};
static const tsr_qmm_desc kQ4K = {TSR_DTYPE_Q4_K, 8, 4, 1, 0, tsr_qmm_quant_row_k_avx2, uk_q4_k_avx2};
static const tsr_qmm_desc kQ5K = {TSR_DTYPE_Q5_K, 8, 4, 1, 0, tsr_qmm_quant_row_k_avx2, uk_q5_k_avx2};
static const tsr_qmm_desc kQ6K = {TSR_DTYPE_Q6_K, 8, 4, 1, 0, tsr_qmm_quant_row_k_avx2, uk_q6_k_avx2};

TSR_QMM_KERNEL(tsr_matmul_q8_0_f32_ukernel_4x8__avx2, TSR_ISA_AVX2, kQ8, tsr_qmm_quant_row_avx2);
TSR_QMM_KERNEL(tsr_matmul_q4_0_f32_ukernel_4x8__avx2, TSR_ISA_AVX2, kQ4, tsr_qmm_quant_row_avx2);
TSR_QMM_KERNEL(tsr_matmul_q4_k_f32_ukernel_4x8__avx2, TSR_ISA_AVX2, kQ4K, tsr_qmm_quant_row_k_avx2);
TSR_QMM_KERNEL(tsr_matmul_q5_k_f32_ukernel_4x8__avx2, TSR_ISA_AVX2, kQ5K, tsr_qmm_quant_row_k_avx2);
TSR_QMM_KERNEL(tsr_matmul_q6_k_f32_ukernel_4x8__avx2, TSR_ISA_AVX2, kQ6K, tsr_qmm_quant_row_k_avx2);
