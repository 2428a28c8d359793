/* Fast RESIZE compiled for AVX-512 (gathers vectorized by the compiler). */
#define TSR_RESIZE_NAME tsr_resize_f32_ukernel_u16__avx512
#define TSR_RESIZE_STR "tsr_resize_f32_ukernel_u16__avx512"
#define TSR_RESIZE_ISA TSR_ISA_AVX512
#include "resize/resize_impl.h"
