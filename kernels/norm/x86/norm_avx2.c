/* RMSNorm / LayerNorm, AVX2: 8-lane f32 vectors (see norm_x86.h). */
#define VX_W 8
#define NX_NAME(x) norm_##x##_avx2
#include "norm/x86/norm_x86.h"

#define ISA (TSR_ISA_AVX2)
const tsr_kernel tsr_rmsnorm_f32_ukernel_u8__avx2 = {.name = "tsr_rmsnorm_f32_ukernel_u8__avx2",
                                                      .op = TSR_OP_RMSNORM,
                                                      .isa = ISA,
                                                      .match = norm_match_avx2,
                                                      .units = norm_units_avx2,
                                                      .run = norm_run_avx2};
const tsr_kernel tsr_layernorm_f32_ukernel_u8__avx2 = {.name = "tsr_layernorm_f32_ukernel_u8__avx2",
                                                        .op = TSR_OP_LAYERNORM,
                                                        .isa = ISA,
                                                        .match = norm_match_avx2,
                                                        .units = norm_units_avx2,
                                                        .run = norm_run_avx2};
