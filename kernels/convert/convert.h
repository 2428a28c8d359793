/* Dtype conversion and GGML block quantize / dequantize, reference. */
#ifndef TESSERA_KERNELS_CONVERT_H_
#define TESSERA_KERNELS_CONVERT_H_

#include "tessera/tessera.h"

/* GGML block layouts (bit-compatible with ggml / GGUF). */
#define TSR_QK4_0 32
#define TSR_QK8_0 32
#define TSR_QK_K 256
#define TSR_K_SCALE_SIZE 12

typedef struct { uint16_t d; uint8_t qs[TSR_QK4_0 / 2]; } tsr_block_q4_0;
typedef struct { uint16_t d; int8_t qs[TSR_QK8_0]; } tsr_block_q8_0;
typedef struct { uint16_t d, dmin; uint8_t scales[TSR_K_SCALE_SIZE]; uint8_t qs[TSR_QK_K / 2]; } tsr_block_q4_k;
typedef struct { uint16_t d, dmin; uint8_t scales[TSR_K_SCALE_SIZE]; uint8_t qh[TSR_QK_K / 8]; uint8_t qs[TSR_QK_K / 2]; } tsr_block_q5_k;
typedef struct { uint8_t ql[TSR_QK_K / 2]; uint8_t qh[TSR_QK_K / 4]; int8_t scales[TSR_QK_K / 16]; uint16_t d; } tsr_block_q6_k;

_Static_assert(sizeof(tsr_block_q4_0) == 18, "q4_0 block");
_Static_assert(sizeof(tsr_block_q8_0) == 34, "q8_0 block");
_Static_assert(sizeof(tsr_block_q4_k) == 144, "q4_k block");
_Static_assert(sizeof(tsr_block_q5_k) == 176, "q5_k block");
_Static_assert(sizeof(tsr_block_q6_k) == 210, "q6_k block");

/* Dequantizes one contiguous row of |n| elements of |type| (any float type or
 * block format) into f32. n must be a multiple of the block size. */
void tsr_dequantize_row(tsr_dtype type, const void *src, float *dst, int64_t n);
/* Quantizes / converts |n| f32 values into one contiguous row of |type|. */
void tsr_quantize_row(tsr_dtype type, const float *src, void *dst, int64_t n);

/* Reads |n| elements at |src| spaced |stride| bytes (plain types; block
 * formats must be contiguous) into f32. */
void tsr_load_f32(tsr_dtype type, const uint8_t *src, int64_t stride, float *dst, int64_t n);
/* Writes |n| f32 values to |dst| spaced |stride| bytes as |type| (plain
 * types: rounded to nearest even and saturated for integers; block formats
 * contiguous). */
void tsr_store_f32(tsr_dtype type, const float *src, uint8_t *dst, int64_t stride, int64_t n);

#endif /* TESSERA_KERNELS_CONVERT_H_ */
