/* Fused attention, AVX-512: 16-lane f32 vectors, online softmax (see attention_x86.h). */
#define VX_W 16
#define AX_NAME(x) attn_##x##_avx512
#include "attention/x86/attention_x86.h"

const tsr_kernel tsr_attention_f32_ukernel_u16__avx512 = {.name = "tsr_attention_f32_ukernel_u16__avx512",
                                                        .op = TSR_OP_ATTENTION,
                                                        .isa = TSR_ISA_AVX2 | TSR_ISA_AVX512,
                                                        .match = attn_match_avx512,
                                                        .units = attn_units_avx512,
                                                        .scratch = attn_scratch_avx512,
                                                        .run = attn_run_avx512};
