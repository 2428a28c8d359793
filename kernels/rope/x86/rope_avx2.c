/* RoPE, AVX2: 8-lane f32 vectors (see rope_x86.h). */
#define VX_W 8
#define RX_NAME(x) rope_##x##_avx2
#include "rope/x86/rope_x86.h"

const tsr_kernel tsr_rope_f32_ukernel_u8__avx2 = {.name = "tsr_rope_f32_ukernel_u8__avx2",
                                                   .op = TSR_OP_ROPE,
                                                   .isa = TSR_ISA_AVX2,
                                                   .match = rope_match_avx2,
                                                   .units = rope_units_avx2,
                                                   .scratch = rope_scratch_avx2,
                                                   .run = rope_run_avx2};
