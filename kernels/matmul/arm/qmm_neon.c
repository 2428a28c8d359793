/* Quantized matmul, NEON (no dot product instructions): MRx8 tiles over
 * P(8), sdot emulated with vmull_s8 + pairwise adds (see qmm_arm.h). Builds
 * for aarch64 (4x8) and for 32-bit ARM with NEON (2x8). */
#define QA_MODE 0
#if defined(__aarch64__)
#define QA_MR 4
#else
#define QA_MR 2
#endif
#define QA_NAME(x) x##_neon
#include "matmul/arm/qmm_arm.h"

#include "matmul/matmul.h"

QA_DESCS(QA_MR)

#if defined(__aarch64__)
TSR_QMM_KERNEL(tsr_matmul_q8_0_f32_ukernel_4x8__neon, TSR_ISA_NEON, kQ8, tsr_qmm_quant_row_scalar);
TSR_QMM_KERNEL(tsr_matmul_q4_0_f32_ukernel_4x8__neon, TSR_ISA_NEON, kQ4, tsr_qmm_quant_row_scalar);
TSR_QMM_KERNEL(tsr_matmul_q4_k_f32_ukernel_4x8__neon, TSR_ISA_NEON, kQ4K, tsr_qmm_quant_row_k_scalar);
TSR_QMM_KERNEL(tsr_matmul_q5_k_f32_ukernel_4x8__neon, TSR_ISA_NEON, kQ5K, tsr_qmm_quant_row_k_scalar);
TSR_QMM_KERNEL(tsr_matmul_q6_k_f32_ukernel_4x8__neon, TSR_ISA_NEON, kQ6K, tsr_qmm_quant_row_k_scalar);
#else
TSR_QMM_KERNEL(tsr_matmul_q8_0_f32_ukernel_2x8__neon, TSR_ISA_NEON, kQ8, tsr_qmm_quant_row_scalar);
TSR_QMM_KERNEL(tsr_matmul_q4_0_f32_ukernel_2x8__neon, TSR_ISA_NEON, kQ4, tsr_qmm_quant_row_scalar);
TSR_QMM_KERNEL(tsr_matmul_q4_k_f32_ukernel_2x8__neon, TSR_ISA_NEON, kQ4K, tsr_qmm_quant_row_k_scalar);
TSR_QMM_KERNEL(tsr_matmul_q5_k_f32_ukernel_2x8__neon, TSR_ISA_NEON, kQ5K, tsr_qmm_quant_row_k_scalar);
TSR_QMM_KERNEL(tsr_matmul_q6_k_f32_ukernel_2x8__neon, TSR_ISA_NEON, kQ6K, tsr_qmm_quant_row_k_scalar);
#endif
