/* Quantized matmul, NEON i8mm (armv8.6-a+i8mm): 4x8 tiles over P(8), smmla
 * on pairs of activation rows x pairs of weight rows, 8 k per instruction
 * (see qmm_arm.h). */
#define QA_MODE 2
#define QA_MR 4
#define QA_NAME(x) x##_neoni8mm
#include "matmul/arm/qmm_arm.h"

#include "matmul/matmul.h"

QA_DESCS(4)

#define QA_ISA (TSR_ISA_NEON | TSR_ISA_NEONI8MM)
TSR_QMM_KERNEL(tsr_matmul_q8_0_f32_ukernel_4x8__neoni8mm, QA_ISA, kQ8, tsr_qmm_quant_row_scalar);
TSR_QMM_KERNEL(tsr_matmul_q4_0_f32_ukernel_4x8__neoni8mm, QA_ISA, kQ4, tsr_qmm_quant_row_scalar);
TSR_QMM_KERNEL(tsr_matmul_q4_k_f32_ukernel_4x8__neoni8mm, QA_ISA, kQ4K, tsr_qmm_quant_row_k_scalar);
TSR_QMM_KERNEL(tsr_matmul_q5_k_f32_ukernel_4x8__neoni8mm, QA_ISA, kQ5K, tsr_qmm_quant_row_k_scalar);
TSR_QMM_KERNEL(tsr_matmul_q6_k_f32_ukernel_4x8__neoni8mm, QA_ISA, kQ6K, tsr_qmm_quant_row_k_scalar);
