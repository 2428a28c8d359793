/* Softmax, NEON: 4-lane f32 vectors and vector exp through the ISA-neutral
 * template softmax/x86/softmax_x86.h. aarch64 and 32-bit ARM. */
#include "common/arm/vec_neon.h"
#define SX_NAME(x) softmax_##x##_neon
#include "softmax/x86/softmax_x86.h"
#include "softmax/arm/softmax_arm.h"

const tsr_kernel tsr_softmax_f32_ukernel_u4__neon = {.name = "tsr_softmax_f32_ukernel_u4__neon",
                                                      .op = TSR_OP_SOFTMAX,
                                                      .isa = TSR_ISA_NEON,
                                                      .match = softmax_match_neon,
                                                      .units = softmax_units_neon,
                                                      .run = softmax_run_neon};
