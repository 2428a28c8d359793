/* UNARY erf / GELU-erf for AVX-512 (see unary_erf_x86.h). */
#include <immintrin.h>

#include "common/kernel.h"
#include "conv/x86/vmath_avx512.h"

#define UE_NAME(x) ue512_##x
#define UE_VEC __m512
#define UE_W 16
#define UE_ZERO() _mm512_setzero_ps()
#define UE_MASK(n) ((n) >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n)) - 1u))
#define UE_LOADN(p, n) _mm512_maskz_loadu_ps(UE_MASK(n), (p))
#define UE_STOREN(p, v, n) _mm512_mask_storeu_ps((p), UE_MASK(n), (v))
#define UE_ACT tsr_v16_act
#include "conv/x86/unary_erf_x86.h"

const tsr_kernel tsr_unary_erf_f32_ukernel_u16__avx512 = {.name = "tsr_unary_erf_f32_ukernel_u16__avx512",
                                                          .op = TSR_OP_UNARY,
                                                          .isa = TSR_ISA_AVX512,
                                                          .match = ue512_match,
                                                          .units = ue512_units,
                                                          .run = ue512_run};
