/* Float matmul, AVX-512: 6x32 tiles over F(32), FMA per k (see gemm_x86.h). */
#define GX_W 16
#define GX_NAME(x) x##_avx512
#include "matmul/x86/gemm_x86.h"

#include "matmul/matmul.h"

static const tsr_gemm_desc kDesc = {32, 6, gemm_f32_avx512, gemm_f16_avx512, gemm_f32_out_avx512, gemm_f16_out_avx512};
TSR_GEMM_KERNEL(tsr_matmul_f32_f32_ukernel_6x32__avx512, TSR_ISA_AVX2 | TSR_ISA_AVX512, kDesc);
