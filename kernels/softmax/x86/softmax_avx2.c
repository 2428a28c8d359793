/* Softmax, AVX2: 8-lane f32 vectors, vector exp (see softmax_x86.h). */
#define VX_W 8
#define SX_NAME(x) softmax_##x##_avx2
#include "softmax/x86/softmax_x86.h"

const tsr_kernel tsr_softmax_f32_ukernel_u8__avx2 = {.name = "tsr_softmax_f32_ukernel_u8__avx2",
                                                      .op = TSR_OP_SOFTMAX,
                                                      .isa = TSR_ISA_AVX2,
                                                      .match = softmax_match_avx2,
                                                      .units = softmax_units_avx2,
                                                      .run = softmax_run_avx2};
