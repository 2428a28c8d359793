/* QLINEAR_CONV u8 x s8 microkernel in portable C: 4x16 tile, int32 sums,
 * the requantization of qlinear.h. */
#include "qlinear/qconv.h"
#include "qlinear/qlinear.h"

static inline void q8_4x16(const int rows, size_t kq, const void *av, const uint8_t *b, const int64_t *koff, void *cv,
                           size_t ldc, uint64_t mask, const tsr_qconv_ep *ep, size_t m0) {
  const int8_t *a = av;
  uint32_t acc[4][16] = {{0}};
  for (size_t k = 0; k < kq; ++k) {
    const uint8_t *bk = b + koff[k];
    for (int r = 0; r < rows; ++r) {
      const int8_t *w = a + r * 4;
      for (int q = 0; q < 16; ++q) {
        const uint8_t *x = bk + q * 4;
        acc[r][q] += (uint32_t)(x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + x[3] * w[3]);
      }
    }
    a += 4 * 4;
  }
  if (ep->raw) {
    for (int q = 0; q < 16; ++q) ((int32_t *)cv)[q] = (int32_t)acc[0][q];
    return;
  }
  const tsr_dtype yt = ep->y_signed ? TSR_DTYPE_I8 : TSR_DTYPE_U8;
  for (int r = 0; r < rows; ++r) {
    const size_t m = m0 + (size_t)r;
    uint8_t *cr = (uint8_t *)cv + (size_t)r * ldc;
    size_t o = 0;
    for (int q = 0; q < 16; ++q) {
      if (!((mask >> q) & 1u)) continue;
      uint32_t v = acc[r][q] + (uint32_t)ep->corr[m];
      if (ep->colsum) v -= (uint32_t)ep->wzp[m] * (uint32_t)ep->colsum[q];
      tsr_q_store(yt, cr + o++, tsr_q_round((float)(int32_t)v * ep->mult[m], ep->yz, yt));
    }
  }
}

#define UK(R)                                                                                                 \
  static void uk_##R(size_t kq, const void *a, const uint8_t *b, const int64_t *koff, void *c, size_t ldc,    \
                     uint64_t mask, const tsr_qconv_ep *ep, size_t m0) {                                       \
    q8_4x16(R, kq, a, b, koff, c, ldc, mask, ep, m0);                                                          \
  }
UK(1) UK(2) UK(3) UK(4)
#undef UK

static const tsr_qconv_isa kIsa = {4, 16, 1, {NULL, uk_1, uk_2, uk_3, uk_4, NULL, NULL, NULL, NULL}, tsr_qconv_quad__scalar};

TSR_QCONV_KERNEL(tsr_qlinear_conv_u8s8_ukernel_4x16__scalar, kIsa, 0)
