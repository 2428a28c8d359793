/* Portable quantized matmul: GGML blocks read in place (no packing, so b
 * need not be constant), integer dot per 32-element block against the
 * 8-bit activation record, f32 accumulation over blocks. 4 rows per group. */
#include <string.h>

#include "convert/convert.h"
#include "hal/fp16.h"
#include "matmul/matmul.h"
#include "matmul/qmm.h"

static int32_t dot32(const int8_t *a, const int16_t *q, int n) {
  int32_t s = 0;
  for (int i = 0; i < n; ++i) s += (int32_t)a[i] * q[i];
  return s;
}

static void scale_min_k4(int j, const uint8_t *q, int *d, int *m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

/* One row of b (nb records) . one activation record. */
static float row_dot(tsr_dtype t, const uint8_t *w, int64_t nb, const tsr_qmm_act *a) {
  float acc = 0.0f;
  int16_t q[256];
  for (int64_t r = 0; r < nb; ++r) {
    switch (t) {
      case TSR_DTYPE_Q8_0: {
        const tsr_block_q8_0 *b = (const tsr_block_q8_0 *)(const void *)w + r;
        for (int i = 0; i < 32; ++i) q[i] = b->qs[i];
        int32_t s = dot32(a->qs + 32 * r, q, 32);
        acc += (tsr_fp16_to_f32(b->d) * a->d[r]) * (float)s;
        break;
      }
      case TSR_DTYPE_Q4_0: {
        const tsr_block_q4_0 *b = (const tsr_block_q4_0 *)(const void *)w + r;
        for (int i = 0; i < 16; ++i) {
          q[i] = b->qs[i] & 0x0F;
          q[i + 16] = b->qs[i] >> 4;
        }
        int32_t s = dot32(a->qs + 32 * r, q, 32) - 8 * a->s[r];
        acc += (tsr_fp16_to_f32(b->d) * a->d[r]) * (float)s;
        break;
      }
      case TSR_DTYPE_Q4_K:
      case TSR_DTYPE_Q5_K: {
        const bool q5 = t == TSR_DTYPE_Q5_K;
        const tsr_block_q4_k *b4 = (const tsr_block_q4_k *)(const void *)w + r;
        const tsr_block_q5_k *b5 = (const tsr_block_q5_k *)(const void *)w + r;
        const uint8_t *scales = q5 ? b5->scales : b4->scales, *qs = q5 ? b5->qs : b4->qs;
        const float d = tsr_fp16_to_f32(q5 ? b5->d : b4->d), dmin = tsr_fp16_to_f32(q5 ? b5->dmin : b4->dmin);
        for (int j = 0; j < 8; ++j) {
          const uint8_t *src = qs + 32 * (j / 2);
          for (int l = 0; l < 32; ++l) {
            int v = (j & 1) ? src[l] >> 4 : src[l] & 0x0F;
            if (q5) v += ((b5->qh[l] >> j) & 1) << 4;
            q[l] = (int16_t)v;
          }
          int sc, m;
          scale_min_k4(j, scales, &sc, &m);
          const int64_t jb = 8 * r + j;
          int32_t s = dot32(a->qs + 32 * jb, q, 32);
          acc += a->d[jb] * ((d * (float)sc) * (float)s - (dmin * (float)m) * (float)a->s[jb]);
        }
        break;
      }
      case TSR_DTYPE_Q6_K: {
        const tsr_block_q6_k *b = (const tsr_block_q6_k *)(const void *)w + r;
        const float d = tsr_fp16_to_f32(b->d);
        for (int n = 0; n < 2; ++n) {
          const uint8_t *ql = b->ql + 64 * n, *qh = b->qh + 32 * n;
          int16_t *o = q + 128 * n;
          for (int l = 0; l < 32; ++l) {
            o[l] = (int16_t)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
            o[l + 32] = (int16_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
            o[l + 64] = (int16_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
            o[l + 96] = (int16_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
          }
        }
        for (int j = 0; j < 8; ++j) {
          const int64_t jb = 8 * r + j;
          int32_t lo = dot32(a->qs + 32 * jb, q + 32 * j, 16) - 32 * a->s16[2 * jb];
          int32_t hi = dot32(a->qs + 32 * jb + 16, q + 32 * j + 16, 16) - 32 * a->s16[2 * jb + 1];
          int32_t s = lo * b->scales[2 * j] + hi * b->scales[2 * j + 1];
          acc += (d * a->d[jb]) * (float)s;
        }
        break;
      }
      default: break;
    }
  }
  return acc;
}

#define SCALAR_UKERNEL(tag, dtype, quant)                                                                   \
  static void ukernel_##tag(int64_t mr, int64_t nb, const uint8_t *w, int64_t w_stride, int64_t nr_valid, \
                            const tsr_qmm_act *act, float *tile) {                                     \
    for (int64_t m = 0; m < mr; ++m) {                                                                 \
      for (int64_t j = 0; j < nr_valid; ++j) tile[m * 4 + j] = row_dot(dtype, w + j * w_stride, nb, &act[m]); \
    }                                                                                                  \
  }                                                                                                    \
  static const tsr_qmm_desc k##tag = {dtype, 4, 1, 0, 0, quant, ukernel_##tag};

SCALAR_UKERNEL(q8_0, TSR_DTYPE_Q8_0, tsr_qmm_quant_row_scalar)
SCALAR_UKERNEL(q4_0, TSR_DTYPE_Q4_0, tsr_qmm_quant_row_scalar)
SCALAR_UKERNEL(q4_k, TSR_DTYPE_Q4_K, tsr_qmm_quant_row_k_scalar)
SCALAR_UKERNEL(q5_k, TSR_DTYPE_Q5_K, tsr_qmm_quant_row_k_scalar)
SCALAR_UKERNEL(q6_k, TSR_DTYPE_Q6_K, tsr_qmm_quant_row_k_scalar)

TSR_QMM_KERNEL(tsr_matmul_q8_0_f32_ukernel_1x4__scalar, 0, kq8_0, tsr_qmm_quant_row_scalar);
TSR_QMM_KERNEL(tsr_matmul_q4_0_f32_ukernel_1x4__scalar, 0, kq4_0, tsr_qmm_quant_row_scalar);
TSR_QMM_KERNEL(tsr_matmul_q4_k_f32_ukernel_1x4__scalar, 0, kq4_k, tsr_qmm_quant_row_k_scalar);
TSR_QMM_KERNEL(tsr_matmul_q5_k_f32_ukernel_1x4__scalar, 0, kq5_k, tsr_qmm_quant_row_k_scalar);
TSR_QMM_KERNEL(tsr_matmul_q6_k_f32_ukernel_1x4__scalar, 0, kq6_k, tsr_qmm_quant_row_k_scalar);
