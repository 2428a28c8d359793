/* Fast RESIZE compiled for AVX2 (gathers vectorized by the compiler). */
#define TSR_RESIZE_NAME tsr_resize_f32_ukernel_u8__avx2
#define TSR_RESIZE_STR "tsr_resize_f32_ukernel_u8__avx2"
#define TSR_RESIZE_ISA TSR_ISA_AVX2
#include "resize/resize_impl.h"
