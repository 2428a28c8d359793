/* Matmul kernels. Contract (see tessera/op.h, TSR_OP_MATMUL):
 * a [.., M, K] f32 | i8, b [.., N, K] weight dtype | i8, bias? f32 [N],
 * a_scale? f32 [M], b_scale? f32 [N]; y [.., M, N] f32 | i32.
 *
 * Quantized weights (q8_0, q4_0, q4_k, q5_k, q6_k) go through the QMM driver
 * (qmm.h): activations quantized once per run, weights packed at load.
 * f32 / f16 / bf16 weights go through the GEMM driver (gemm.h). */
#ifndef TESSERA_KERNELS_MATMUL_H_
#define TESSERA_KERNELS_MATMUL_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_matmul_ref;

/* Portable (kernels/matmul/qmm_scalar.c). */
extern const tsr_kernel tsr_matmul_q8_0_f32_ukernel_1x4__scalar;
extern const tsr_kernel tsr_matmul_q4_0_f32_ukernel_1x4__scalar;
extern const tsr_kernel tsr_matmul_q4_k_f32_ukernel_1x4__scalar;
extern const tsr_kernel tsr_matmul_q5_k_f32_ukernel_1x4__scalar;
extern const tsr_kernel tsr_matmul_q6_k_f32_ukernel_1x4__scalar;
extern const tsr_kernel tsr_matmul_f32_f32_ukernel_4x16__scalar;

#if defined(TSR_KERNELS_X86)
/* kernels/matmul/x86/ */
extern const tsr_kernel tsr_matmul_q8_0_f32_ukernel_4x32__avx512vnni;
extern const tsr_kernel tsr_matmul_q4_0_f32_ukernel_4x32__avx512vnni;
extern const tsr_kernel tsr_matmul_q4_k_f32_ukernel_4x16__avx512vnni;
extern const tsr_kernel tsr_matmul_q5_k_f32_ukernel_4x16__avx512vnni;
extern const tsr_kernel tsr_matmul_q6_k_f32_ukernel_4x16__avx512vnni;
extern const tsr_kernel tsr_matmul_q8_0_f32_ukernel_4x16__avx512;
extern const tsr_kernel tsr_matmul_q4_0_f32_ukernel_4x16__avx512;
extern const tsr_kernel tsr_matmul_q4_k_f32_ukernel_4x16__avx512;
extern const tsr_kernel tsr_matmul_q5_k_f32_ukernel_4x16__avx512;
extern const tsr_kernel tsr_matmul_q6_k_f32_ukernel_4x16__avx512;
extern const tsr_kernel tsr_matmul_q8_0_f32_ukernel_4x16__avxvnni;
extern const tsr_kernel tsr_matmul_q4_0_f32_ukernel_4x16__avxvnni;
extern const tsr_kernel tsr_matmul_q4_k_f32_ukernel_4x8__avxvnni;
extern const tsr_kernel tsr_matmul_q5_k_f32_ukernel_4x8__avxvnni;
extern const tsr_kernel tsr_matmul_q6_k_f32_ukernel_4x8__avxvnni;
extern const tsr_kernel tsr_matmul_q8_0_f32_ukernel_4x8__avx2;
extern const tsr_kernel tsr_matmul_q4_0_f32_ukernel_4x8__avx2;
extern const tsr_kernel tsr_matmul_q4_k_f32_ukernel_4x8__avx2;
extern const tsr_kernel tsr_matmul_q5_k_f32_ukernel_4x8__avx2;
extern const tsr_kernel tsr_matmul_q6_k_f32_ukernel_4x8__avx2;
extern const tsr_kernel tsr_matmul_f32_f32_ukernel_6x32__avx512;
extern const tsr_kernel tsr_matmul_f32_f32_ukernel_6x16__avx2;
#endif
#include "matmul/arm/matmul_arm.h"
#endif
