/* Unary / binary elementwise, AVX-512: 16-lane f32 vectors, vector exp (see elementwise_x86.h). */
#define VX_W 16
#define EX_NAME(x) ew_##x##_avx512
#include "elementwise/x86/elementwise_x86.h"

#define ISA (TSR_ISA_AVX2 | TSR_ISA_AVX512)
const tsr_kernel tsr_unary_f32_ukernel_u16__avx512 = {.name = "tsr_unary_f32_ukernel_u16__avx512",
                                                    .op = TSR_OP_UNARY,
                                                    .isa = ISA,
                                                    .match = ew_unary_match_avx512,
                                                    .units = ew_units_avx512,
                                                    .run = ew_unary_run_avx512};
const tsr_kernel tsr_binary_f32_ukernel_u16__avx512 = {.name = "tsr_binary_f32_ukernel_u16__avx512",
                                                     .op = TSR_OP_BINARY,
                                                     .isa = ISA,
                                                     .match = ew_binary_match_avx512,
                                                     .units = ew_units_avx512,
                                                     .run = ew_binary_run_avx512};
