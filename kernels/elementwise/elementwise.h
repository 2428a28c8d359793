/* Elementwise kernels.
 * UNARY: x f32 (any strides) -> y f32 same shape; kind in tsr_unary_kind.
 * BINARY: a, b f32 with numpy broadcasting -> y f32; kind in tsr_binary_kind. */
#ifndef TESSERA_KERNELS_ELEMENTWISE_H_
#define TESSERA_KERNELS_ELEMENTWISE_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_unary_ref;
extern const tsr_kernel tsr_binary_ref;
/* The scalar functions themselves, in double (shared with tests). */
double tsr_unary_eval(int kind, double x, double alpha, double beta);
double tsr_binary_eval(int kind, double a, double b);
#if defined(TSR_KERNELS_X86)
extern const tsr_kernel tsr_unary_f32_ukernel_u16__avx512;
extern const tsr_kernel tsr_binary_f32_ukernel_u16__avx512;
extern const tsr_kernel tsr_unary_f32_ukernel_u8__avx2;
extern const tsr_kernel tsr_binary_f32_ukernel_u8__avx2;
#endif
#endif
