/* Fused attention, AVX2: 8-lane f32 vectors, online softmax (see attention_x86.h). */
#define VX_W 8
#define AX_NAME(x) attn_##x##_avx2
#include "attention/x86/attention_x86.h"

const tsr_kernel tsr_attention_f32_ukernel_u8__avx2 = {.name = "tsr_attention_f32_ukernel_u8__avx2",
                                                        .op = TSR_OP_ATTENTION,
                                                        .isa = TSR_ISA_AVX2,
                                                        .match = attn_match_avx2,
                                                        .units = attn_units_avx2,
                                                        .scratch = attn_scratch_avx2,
                                                        .run = attn_run_avx2};
