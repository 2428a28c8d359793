/* Fused attention, NEON: 4-lane f32 vectors, online softmax over blocks of
 * keys, K / V read in place as f32 or f16, GQA without copies, through the
 * ISA-neutral template attention/x86/attention_x86.h. aarch64 and 32-bit ARM. */
#include "common/arm/vec_neon.h"
#define AX_NAME(x) attn_##x##_neon
#include "attention/x86/attention_x86.h"
#include "attention/arm/attention_arm.h"

const tsr_kernel tsr_attention_f32_ukernel_u4__neon = {.name = "tsr_attention_f32_ukernel_u4__neon",
                                                        .op = TSR_OP_ATTENTION,
                                                        .isa = TSR_ISA_NEON,
                                                        .match = attn_match_neon,
                                                        .units = attn_units_neon,
                                                        .scratch = attn_scratch_neon,
                                                        .run = attn_run_neon};
