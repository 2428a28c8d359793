/* Float matmul, AVX2 + FMA: 6x16 tiles over F(16), FMA per k (see gemm_x86.h). */
#define GX_W 8
#define GX_NAME(x) x##_avx2
#include "matmul/x86/gemm_x86.h"

#include "matmul/matmul.h"

static const tsr_gemm_desc kDesc = {16, 6, gemm_f32_avx2, gemm_f16_avx2, gemm_f32_out_avx2, gemm_f16_out_avx2};
TSR_GEMM_KERNEL(tsr_matmul_f32_f32_ukernel_6x16__avx2, TSR_ISA_AVX2, kDesc);
