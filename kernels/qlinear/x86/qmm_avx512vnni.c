/* QLINEAR_MATMUL dot products for AVX-512 VNNI: 16 columns per vpdpbusd
 * (a's u8 quad broadcast against 16 packed s8 column quads). */
#include <immintrin.h>
#include <string.h>

#include "qlinear/qfast.h"

static void dot16(const uint8_t *a4, const int8_t *bp, size_t kq, int32_t *acc) {
  __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
  size_t k = 0;
  for (; k + 2 <= kq; k += 2) {
    int32_t q0, q1;
    memcpy(&q0, a4 + k * 4, 4);
    memcpy(&q1, a4 + k * 4 + 4, 4);
    s0 = _mm512_dpbusd_epi32(s0, _mm512_set1_epi32(q0), _mm512_loadu_si512(bp + k * 64));
    s1 = _mm512_dpbusd_epi32(s1, _mm512_set1_epi32(q1), _mm512_loadu_si512(bp + k * 64 + 64));
  }
  if (k < kq) {
    int32_t q0;
    memcpy(&q0, a4 + k * 4, 4);
    s0 = _mm512_dpbusd_epi32(s0, _mm512_set1_epi32(q0), _mm512_loadu_si512(bp + k * 64));
  }
  _mm512_storeu_si512(acc, _mm512_add_epi32(s0, s1));
}

static const tsr_qrow_isa kIsa = {NULL, NULL, NULL, dot16};
TSR_QMATMUL_KERNEL(tsr_qlinear_matmul_u8s8_ukernel_1x16__avx512vnni, kIsa, TSR_ISA_AVX512 | TSR_ISA_AVX512VNNI)
