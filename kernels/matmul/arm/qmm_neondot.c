/* Quantized matmul, NEON dotprod (armv8.2-a+dotprod): 4x8 tiles over P(8),
 * one sdot by element per lane-word vector and activation row (see
 * qmm_arm.h). */
#define QA_MODE 1
#define QA_MR 4
#define QA_NAME(x) x##_neondot
#include "matmul/arm/qmm_arm.h"

#include "matmul/matmul.h"

QA_DESCS(4)

TSR_QMM_KERNEL(tsr_matmul_q8_0_f32_ukernel_4x8__neondot, TSR_ISA_NEON | TSR_ISA_NEONDOT, kQ8, tsr_qmm_quant_row_scalar);
TSR_QMM_KERNEL(tsr_matmul_q4_0_f32_ukernel_4x8__neondot, TSR_ISA_NEON | TSR_ISA_NEONDOT, kQ4, tsr_qmm_quant_row_scalar);
TSR_QMM_KERNEL(tsr_matmul_q4_k_f32_ukernel_4x8__neondot, TSR_ISA_NEON | TSR_ISA_NEONDOT, kQ4K, tsr_qmm_quant_row_k_scalar);
TSR_QMM_KERNEL(tsr_matmul_q5_k_f32_ukernel_4x8__neondot, TSR_ISA_NEON | TSR_ISA_NEONDOT, kQ5K, tsr_qmm_quant_row_k_scalar);
TSR_QMM_KERNEL(tsr_matmul_q6_k_f32_ukernel_4x8__neondot, TSR_ISA_NEON | TSR_ISA_NEONDOT, kQ6K, tsr_qmm_quant_row_k_scalar);
