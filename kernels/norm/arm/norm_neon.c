/* RMSNorm / LayerNorm, NEON: 4-lane f32 vectors through the ISA-neutral
 * template norm/x86/norm_x86.h (sums in 4 vector accumulators in a fixed
 * order, then one scaling pass). aarch64 and 32-bit ARM. */
#include "common/arm/vec_neon.h"
#define NX_NAME(x) norm_##x##_neon
#include "norm/x86/norm_x86.h"
#include "norm/arm/norm_arm.h"

const tsr_kernel tsr_rmsnorm_f32_ukernel_u4__neon = {.name = "tsr_rmsnorm_f32_ukernel_u4__neon",
                                                      .op = TSR_OP_RMSNORM,
                                                      .isa = TSR_ISA_NEON,
                                                      .match = norm_match_neon,
                                                      .units = norm_units_neon,
                                                      .run = norm_run_neon};
const tsr_kernel tsr_layernorm_f32_ukernel_u4__neon = {.name = "tsr_layernorm_f32_ukernel_u4__neon",
                                                        .op = TSR_OP_LAYERNORM,
                                                        .isa = TSR_ISA_NEON,
                                                        .match = norm_match_neon,
                                                        .units = norm_units_neon,
                                                        .run = norm_run_neon};
