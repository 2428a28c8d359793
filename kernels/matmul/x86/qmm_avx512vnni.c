/* Quantized matmul, AVX-512 VNNI: vpdpbusd over K in lane words of 4 (see
 * qmm_x86.h). q8_0: 4x32 tiles over P(32), weights packed as uint8 q + 128;
 * q4_0: 4x32 tiles over P(32) with two rows per byte (NIBPAIR); k-quants:
 * 4x16 tiles over P(16). */
#define QX_W 16
#define QX_VNNI 1
#define QX_NAME(x) x##_avx512vnni
#include "matmul/x86/qmm_x86.h"

#include "matmul/matmul.h"

void tsr_qmm_quant_row_avx512(const float *x, int64_t k, void *rec);
void tsr_qmm_quant_row_k_avx512(const float *x, int64_t k, void *rec);

static const tsr_qmm_desc kQ8 = {TSR_DTYPE_Q8_0, 32, 4, 1, TSR_QMM_PACK_XOR128 | TSR_QMM_PACK_INLINE, tsr_qmm_quant_row_avx512, uk_q8_0w_avx512vnni};
static const tsr_qmm_desc kQ4 = {TSR_DTYPE_Q4_0, 32, 4, 1, TSR_QMM_PACK_NIBPAIR | TSR_QMM_PACK_INLINE, tsr_qmm_quant_row_avx512, uk_q4_0p_avx512vnni};
static const tsr_qmm_desc kQ4K = {TSR_DTYPE_Q4_K, 16, 4, 1, 0, tsr_qmm_quant_row_k_avx512, uk_q4_k_avx512vnni};
static const tsr_qmm_desc kQ5K = {TSR_DTYPE_Q5_K, 16, 4, 1, 0, tsr_qmm_quant_row_k_avx512, uk_q5_k_avx512vnni};
static const tsr_qmm_desc kQ6K = {TSR_DTYPE_Q6_K, 16, 4, 1, 0, tsr_qmm_quant_row_k_avx512, uk_q6_k_avx512vnni};

#define ISA (TSR_ISA_AVX2 | TSR_ISA_AVX512 | TSR_ISA_AVX512VNNI)
TSR_QMM_KERNEL(tsr_matmul_q8_0_f32_ukernel_4x32__avx512vnni, ISA, kQ8, tsr_qmm_quant_row_avx512);
TSR_QMM_KERNEL(tsr_matmul_q4_0_f32_ukernel_4x32__avx512vnni, ISA, kQ4, tsr_qmm_quant_row_avx512);
TSR_QMM_KERNEL(tsr_matmul_q4_k_f32_ukernel_4x16__avx512vnni, ISA, kQ4K, tsr_qmm_quant_row_k_avx512);
TSR_QMM_KERNEL(tsr_matmul_q5_k_f32_ukernel_4x16__avx512vnni, ISA, kQ5K, tsr_qmm_quant_row_k_avx512);
TSR_QMM_KERNEL(tsr_matmul_q6_k_f32_ukernel_4x16__avx512vnni, ISA, kQ6K, tsr_qmm_quant_row_k_avx512);
