/* Portable float matmul: 4x16 tiles over F(16), one multiply-add per k in
 * order (see gemm.h); plain C the compiler may vectorise. */
#include "hal/fp16.h"
#include "matmul/gemm.h"
#include "matmul/matmul.h"

#define NR 16

static void tile_f32(int64_t mr, int64_t k, const void *w, const float *const *a, float *tile) {
  const float *b = w;
  for (int64_t m = 0; m < mr; ++m) {
    float c[NR] = {0};
    for (int64_t i = 0; i < k; ++i) {
      const float av = a[m][i];
      for (int j = 0; j < NR; ++j) c[j] += av * b[i * NR + j];
    }
    for (int j = 0; j < NR; ++j) tile[m * NR + j] = c[j];
  }
}

static void tile_f16(int64_t mr, int64_t k, const void *w, const float *const *a, float *tile) {
  const uint16_t *b = w;
  for (int64_t m = 0; m < mr; ++m) {
    float c[NR] = {0};
    for (int64_t i = 0; i < k; ++i) {
      const float av = a[m][i];
      for (int j = 0; j < NR; ++j) c[j] += av * tsr_fp16_to_f32(b[i * NR + j]);
    }
    for (int j = 0; j < NR; ++j) tile[m * NR + j] = c[j];
  }
}

static const tsr_gemm_desc kDesc = {NR, 4, tile_f32, tile_f16, NULL, NULL};
TSR_GEMM_KERNEL(tsr_matmul_f32_f32_ukernel_4x16__scalar, 0, kDesc);
