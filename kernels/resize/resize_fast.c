/* Fast RESIZE, portable build (resize_impl.h). */
#define TSR_RESIZE_NAME tsr_resize_f32_ukernel_u1__scalar
#define TSR_RESIZE_STR "tsr_resize_f32_ukernel_u1__scalar"
#define TSR_RESIZE_ISA 0
#include "resize/resize_impl.h"
