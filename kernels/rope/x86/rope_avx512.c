/* RoPE, AVX-512: 16-lane f32 vectors (see rope_x86.h). */
#define VX_W 16
#define RX_NAME(x) rope_##x##_avx512
#include "rope/x86/rope_x86.h"

const tsr_kernel tsr_rope_f32_ukernel_u16__avx512 = {.name = "tsr_rope_f32_ukernel_u16__avx512",
                                                   .op = TSR_OP_ROPE,
                                                   .isa = TSR_ISA_AVX2 | TSR_ISA_AVX512,
                                                   .match = rope_match_avx512,
                                                   .units = rope_units_avx512,
                                                   .scratch = rope_scratch_avx512,
                                                   .run = rope_run_avx512};
