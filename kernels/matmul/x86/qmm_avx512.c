/* Quantized matmul, AVX-512 (F/BW, no VNNI): 4x16 tiles over P(16),
 * pmaddubsw + pmaddwd over K in lane words of 4 (see qmm_x86.h); q8_0 as
 * |w| times sign(a, w). Also the AVX-512 activation quantizer. */
#define QX_W 16
#define QX_VNNI 0
#define QX_NAME(x) x##_avx512
#include "matmul/x86/qmm_x86.h"

#include "matmul/matmul.h"

/* Same bytes as tsr_qmm_quant_row_scalar: two vectors per 32-block. */
void tsr_qmm_quant_row_avx512(const float *x, int64_t k, void *rec);
void tsr_qmm_quant_row_avx512(const float *x, int64_t k, void *rec) {
  tsr_qmm_act a = tsr_qmm_act_view(rec, k);
  int8_t *qs = (int8_t *)a.qs;
  const __m512 sign = _mm512_set1_ps(-0.0f);
  for (int64_t j = 0; j < k / 32; ++j) {
    const __m512 x0 = _mm512_loadu_ps(x + 32 * j), x1 = _mm512_loadu_ps(x + 32 * j + 16);
    const __m512 ax = _mm512_max_ps(_mm512_andnot_ps(sign, x0), _mm512_andnot_ps(sign, x1));
    const float amax = _mm512_reduce_max_ps(ax);
    const float dj = amax / 127.0f, id = dj != 0.0f ? 1.0f / dj : 0.0f;
    const __m512 vid = _mm512_set1_ps(id);
    const __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, vid));
    const __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, vid));
    _mm_storeu_si128((__m128i *)(void *)(qs + 32 * j), _mm512_cvtepi32_epi8(q0));
    _mm_storeu_si128((__m128i *)(void *)(qs + 32 * j + 16), _mm512_cvtepi32_epi8(q1));
    const int32_t lo = _mm512_reduce_add_epi32(q0), hi = _mm512_reduce_add_epi32(q1);
    tsr_qmm_act_set_block(&a, j, _cvtsh_ss(_cvtss_sh(dj, _MM_FROUND_TO_NEAREST_INT)), lo, hi); /* GGML stores Q8_0's d as f16 (F16C, RNE) */
  }
}

/* Same bytes as tsr_qmm_quant_row_k_scalar (GGML's Q8_K). */
void tsr_qmm_quant_row_k_avx512(const float *x, int64_t k, void *rec);
void tsr_qmm_quant_row_k_avx512(const float *x, int64_t k, void *rec) {
  tsr_qmm_act a = tsr_qmm_act_view(rec, k);
  int8_t *qs = (int8_t *)a.qs;
  for (int64_t b = 0; b < k / 256; ++b) {
    const float *xb = x + 256 * b;
    __m512 ax = _mm512_setzero_ps();
    for (int i = 0; i < 16; ++i) ax = _mm512_max_ps(ax, _mm512_abs_ps(_mm512_loadu_ps(xb + 16 * i)));
    const float amax = _mm512_reduce_max_ps(ax);
    float mx = 0.0f; /* the first x of largest |x| */
    if (amax != 0.0f) {
      const __m512 va = _mm512_set1_ps(amax);
      for (int i = 0; i < 16; ++i) {
        const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(xb + 16 * i)), va, _CMP_EQ_OQ);
        if (hit) {
          mx = xb[16 * i + __builtin_ctz((unsigned)hit)];
          break;
        }
      }
    }
    const float iscale = amax != 0.0f ? -127.0f / mx : 0.0f, db = amax != 0.0f ? 1.0f / iscale : 0.0f;
    const __m512 vis = _mm512_set1_ps(iscale);
    const __m512i c127 = _mm512_set1_epi32(127);
    for (int64_t j = 8 * b; j < 8 * b + 8; ++j) {
      const __m512i q0 = _mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 32 * j), vis)), c127);
      const __m512i q1 = _mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 32 * j + 16), vis)), c127);
      _mm_storeu_si128((__m128i *)(void *)(qs + 32 * j), _mm512_cvtepi32_epi8(q0));
      _mm_storeu_si128((__m128i *)(void *)(qs + 32 * j + 16), _mm512_cvtepi32_epi8(q1));
      const int32_t lo = _mm512_reduce_add_epi32(q0), hi = _mm512_reduce_add_epi32(q1);
      tsr_qmm_act_set_block(&a, j, db, lo, hi);
    }
  }
}

static const tsr_qmm_desc kQ8 = {TSR_DTYPE_Q8_0, 16, 4, 1, 0, tsr_qmm_quant_row_avx512, uk_q8_0_avx512};
static const tsr_qmm_desc kQ4 = {TSR_DTYPE_Q4_0, 16, 4, 1, 0, tsr_qmm_quant_row_avx512, uk_q4_0_avx512};
static const tsr_qmm_desc kQ4K = {TSR_DTYPE_Q4_K, 16, 4, 1, 0, tsr_qmm_quant_row_k_avx512, uk_q4_k_avx512};
static const tsr_qmm_desc kQ5K = {TSR_DTYPE_Q5_K, 16, 4, 1, 0, tsr_qmm_quant_row_k_avx512, uk_q5_k_avx512};
static const tsr_qmm_desc kQ6K = {TSR_DTYPE_Q6_K, 16, 4, 1, 0, tsr_qmm_quant_row_k_avx512, uk_q6_k_avx512};

#define ISA (TSR_ISA_AVX2 | TSR_ISA_AVX512)
TSR_QMM_KERNEL(tsr_matmul_q8_0_f32_ukernel_4x16__avx512, ISA, kQ8, tsr_qmm_quant_row_avx512);
TSR_QMM_KERNEL(tsr_matmul_q4_0_f32_ukernel_4x16__avx512, ISA, kQ4, tsr_qmm_quant_row_avx512);
TSR_QMM_KERNEL(tsr_matmul_q4_k_f32_ukernel_4x16__avx512, ISA, kQ4K, tsr_qmm_quant_row_k_avx512);
TSR_QMM_KERNEL(tsr_matmul_q5_k_f32_ukernel_4x16__avx512, ISA, kQ5K, tsr_qmm_quant_row_k_avx512);
TSR_QMM_KERNEL(tsr_matmul_q6_k_f32_ukernel_4x16__avx512, ISA, kQ6K, tsr_qmm_quant_row_k_avx512);
