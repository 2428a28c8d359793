/* Attention over a KV cache: q [Tq, Hq, D] f32, k [S, Hkv, D], v [S, Hkv, Dv]
 * (f32 or f16), y [Tq, Hq, Dv] f32. Head h reads kv head h / (Hq / Hkv);
 * keys 0 .. kv_len-1, causal / sliding-window masked against q_pos + t. */
#ifndef TESSERA_KERNELS_ATTENTION_H_
#define TESSERA_KERNELS_ATTENTION_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_attention_ref;
#if defined(TSR_KERNELS_X86)
extern const tsr_kernel tsr_attention_f32_ukernel_u16__avx512;
extern const tsr_kernel tsr_attention_f32_ukernel_u8__avx2;
#endif
#include "attention/arm/attention_arm.h"
#endif
