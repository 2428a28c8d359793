/* Unary / binary elementwise, AVX2: 8-lane f32 vectors, vector exp (see elementwise_x86.h). */
#define VX_W 8
#define EX_NAME(x) ew_##x##_avx2
#include "elementwise/x86/elementwise_x86.h"

#define ISA (TSR_ISA_AVX2)
const tsr_kernel tsr_unary_f32_ukernel_u8__avx2 = {.name = "tsr_unary_f32_ukernel_u8__avx2",
                                                    .op = TSR_OP_UNARY,
                                                    .isa = ISA,
                                                    .match = ew_unary_match_avx2,
                                                    .units = ew_units_avx2,
                                                    .run = ew_unary_run_avx2};
const tsr_kernel tsr_binary_f32_ukernel_u8__avx2 = {.name = "tsr_binary_f32_ukernel_u8__avx2",
                                                     .op = TSR_OP_BINARY,
                                                     .isa = ISA,
                                                     .match = ew_binary_match_avx2,
                                                     .units = ew_units_avx2,
                                                     .run = ew_binary_run_avx2};
