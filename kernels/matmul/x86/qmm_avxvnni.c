/* Quantized matmul, AVX2 + AVX-VNNI (VEX vpdpbusd, e.g. client cores without
 * AVX-512; see qmm_x86.h). q8_0: 4x16 tiles over P(16), weights packed as
 * uint8 q + 128; q4_0: 4x16 tiles over P(16) with two rows per byte
 * (NIBPAIR); k-quants: 4x8 tiles over P(8). Uses the AVX2 activation
 * quantizer. */
#define QX_W 8
#define QX_VNNI 1
#define QX_NAME(x) x##_avxvnni
#include "matmul/x86/qmm_x86.h"

#include "matmul/matmul.h"

void tsr_qmm_quant_row_avx2(const float *x, int64_t k, void *rec);
void tsr_qmm_quant_row_k_avx2(const float *x, int64_t k, void *rec);

static const tsr_qmm_desc kQ8 = {TSR_DTYPE_Q8_0, 16, 4, 1, TSR_QMM_PACK_XOR128 | TSR_QMM_PACK_INLINE, tsr_qmm_quant_row_avx2, uk_q8_0w_avxvnni};
static const tsr_qmm_desc kQ4 = {TSR_DTYPE_Q4_0, 16, 4, 1, TSR_QMM_PACK_NIBPAIR | TSR_QMM_PACK_INLINE, tsr_qmm_quant_row_avx2, uk_q4_0p_avxvnni};
static const tsr_qmm_desc kQ4K = {TSR_DTYPE_Q4_K, 8, 4, 1, 0, tsr_qmm_quant_row_k_avx2, uk_q4_k_avxvnni};
static const tsr_qmm_desc kQ5K = {TSR_DTYPE_Q5_K, 8, 4, 1, 0, tsr_qmm_quant_row_k_avx2, uk_q5_k_avxvnni};
static const tsr_qmm_desc kQ6K = {TSR_DTYPE_Q6_K, 8, 4, 1, 0, tsr_qmm_quant_row_k_avx2, uk_q6_k_avxvnni};

#define ISA (TSR_ISA_AVX2 | TSR_ISA_AVXVNNI)
TSR_QMM_KERNEL(tsr_matmul_q8_0_f32_ukernel_4x16__avxvnni, ISA, kQ8, tsr_qmm_quant_row_avx2);
TSR_QMM_KERNEL(tsr_matmul_q4_0_f32_ukernel_4x16__avxvnni, ISA, kQ4, tsr_qmm_quant_row_avx2);
TSR_QMM_KERNEL(tsr_matmul_q4_k_f32_ukernel_4x8__avxvnni, ISA, kQ4K, tsr_qmm_quant_row_k_avx2);
TSR_QMM_KERNEL(tsr_matmul_q5_k_f32_ukernel_4x8__avxvnni, ISA, kQ5K, tsr_qmm_quant_row_k_avx2);
TSR_QMM_KERNEL(tsr_matmul_q6_k_f32_ukernel_4x8__avxvnni, ISA, kQ6K, tsr_qmm_quant_row_k_avx2);
