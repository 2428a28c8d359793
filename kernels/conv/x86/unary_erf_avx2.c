/* UNARY erf / GELU-erf for AVX2 (see unary_erf_x86.h). */
#include <immintrin.h>
#include <string.h>

#include "common/kernel.h"
#include "conv/x86/vmath_avx2.h"

static inline __m256 ue256_loadn(const float *p, int64_t n) {
  if (n >= 8) return _mm256_loadu_ps(p);
  float t[8] = {0};
  memcpy(t, p, (size_t)n * sizeof(float));
  return _mm256_loadu_ps(t);
}

static inline void ue256_storen(float *p, __m256 v, int64_t n) {
  if (n >= 8) {
    _mm256_storeu_ps(p, v);
    return;
  }
  float t[8];
  _mm256_storeu_ps(t, v);
  memcpy(p, t, (size_t)n * sizeof(float));
}

#define UE_NAME(x) ue256_##x
#define UE_VEC __m256
#define UE_W 8
#define UE_ZERO() _mm256_setzero_ps()
#define UE_LOADN(p, n) ue256_loadn((p), (n))
#define UE_STOREN(p, v, n) ue256_storen((p), (v), (n))
#define UE_ACT tsr_v8_act
#include "conv/x86/unary_erf_x86.h"

const tsr_kernel tsr_unary_erf_f32_ukernel_u8__avx2 = {.name = "tsr_unary_erf_f32_ukernel_u8__avx2",
                                                       .op = TSR_OP_UNARY,
                                                       .isa = TSR_ISA_AVX2,
                                                       .match = ue256_match,
                                                       .units = ue256_units,
                                                       .run = ue256_run};
