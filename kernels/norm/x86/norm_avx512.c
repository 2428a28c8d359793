/* RMSNorm / LayerNorm, AVX-512: 16-lane f32 vectors (see norm_x86.h). */
#define VX_W 16
#define NX_NAME(x) norm_##x##_avx512
#include "norm/x86/norm_x86.h"

#define ISA (TSR_ISA_AVX2 | TSR_ISA_AVX512)
const tsr_kernel tsr_rmsnorm_f32_ukernel_u16__avx512 = {.name = "tsr_rmsnorm_f32_ukernel_u16__avx512",
                                                      .op = TSR_OP_RMSNORM,
                                                      .isa = ISA,
                                                      .match = norm_match_avx512,
                                                      .units = norm_units_avx512,
                                                      .run = norm_run_avx512};
const tsr_kernel tsr_layernorm_f32_ukernel_u16__avx512 = {.name = "tsr_layernorm_f32_ukernel_u16__avx512",
                                                        .op = TSR_OP_LAYERNORM,
                                                        .isa = ISA,
                                                        .match = norm_match_avx512,
                                                        .units = norm_units_avx512,
                                                        .run = norm_run_avx512};
