/* Softmax, AVX-512: 16-lane f32 vectors, vector exp (see softmax_x86.h). */
#define VX_W 16
#define SX_NAME(x) softmax_##x##_avx512
#include "softmax/x86/softmax_x86.h"

const tsr_kernel tsr_softmax_f32_ukernel_u16__avx512 = {.name = "tsr_softmax_f32_ukernel_u16__avx512",
                                                      .op = TSR_OP_SOFTMAX,
                                                      .isa = TSR_ISA_AVX2 | TSR_ISA_AVX512,
                                                      .match = softmax_match_avx512,
                                                      .units = softmax_units_avx512,
                                                      .run = softmax_run_avx512};
