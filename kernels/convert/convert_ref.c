/* Reference dtype conversion and GGML block quantize / dequantize.
 * Block layouts and dequantization follow ggml bit for bit; the quantizers
 * are straightforward (round to nearest) and produce valid ggml blocks. */
#include "convert/convert.h"

#include <math.h>
#include <string.h>

#include "hal/fp16.h"

static float fp16(uint16_t h) { return tsr_fp16_to_f32(h); }

/* 6-bit scale and min of sub-block |j| of a q4_K / q5_K block. */
static void get_scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

static void dequant_q8_0(const tsr_block_q8_0 *b, float *y) {
  float d = fp16(b->d);
  for (int j = 0; j < TSR_QK8_0; ++j) y[j] = (float)b->qs[j] * d;
}

static void dequant_q4_0(const tsr_block_q4_0 *b, float *y) {
  float d = fp16(b->d);
  for (int j = 0; j < TSR_QK4_0 / 2; ++j) {
    y[j] = (float)((b->qs[j] & 0x0F) - 8) * d;
    y[j + TSR_QK4_0 / 2] = (float)((b->qs[j] >> 4) - 8) * d;
  }
}

static void dequant_q4_k(const tsr_block_q4_k *b, float *y) {
  const uint8_t *q = b->qs;
  float d = fp16(b->d), min = fp16(b->dmin);
  for (int j = 0, is = 0; j < TSR_QK_K; j += 64, is += 2, q += 32) {
    uint8_t sc, m;
    get_scale_min_k4(is + 0, b->scales, &sc, &m);
    float d1 = d * sc, m1 = min * m;
    get_scale_min_k4(is + 1, b->scales, &sc, &m);
    float d2 = d * sc, m2 = min * m;
    for (int l = 0; l < 32; ++l) *y++ = d1 * (float)(q[l] & 0xF) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * (float)(q[l] >> 4) - m2;
  }
}

static void dequant_q5_k(const tsr_block_q5_k *b, float *y) {
  const uint8_t *ql = b->qs, *qh = b->qh;
  float d = fp16(b->d), min = fp16(b->dmin);
  uint8_t u1 = 1, u2 = 2;
  for (int j = 0, is = 0; j < TSR_QK_K; j += 64, is += 2, ql += 32) {
    uint8_t sc, m;
    get_scale_min_k4(is + 0, b->scales, &sc, &m);
    float d1 = d * sc, m1 = min * m;
    get_scale_min_k4(is + 1, b->scales, &sc, &m);
    float d2 = d * sc, m2 = min * m;
    for (int l = 0; l < 32; ++l) *y++ = d1 * (float)((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * (float)((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
    u1 = (uint8_t)(u1 << 2);
    u2 = (uint8_t)(u2 << 2);
  }
}

static void dequant_q6_k(const tsr_block_q6_k *b, float *y) {
  float d = fp16(b->d);
  const uint8_t *ql = b->ql, *qh = b->qh;
  const int8_t *sc = b->scales;
  for (int n = 0; n < TSR_QK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
    for (int l = 0; l < 32; ++l) {
      int is = l / 16;
      int q1 = (int)((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      int q3 = (int)((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l + 0] = d * (float)sc[is + 0] * (float)q1;
      y[l + 32] = d * (float)sc[is + 2] * (float)q2;
      y[l + 64] = d * (float)sc[is + 4] * (float)q3;
      y[l + 96] = d * (float)sc[is + 6] * (float)q4;
    }
  }
}

void tsr_dequantize_row(tsr_dtype type, const void *src, float *dst, int64_t n) {
  const uint8_t *s = src;
  switch (type) {
    case TSR_DTYPE_Q8_0:
      for (int64_t i = 0; i < n / TSR_QK8_0; ++i) dequant_q8_0((const tsr_block_q8_0 *)s + i, dst + i * TSR_QK8_0);
      return;
    case TSR_DTYPE_Q4_0:
      for (int64_t i = 0; i < n / TSR_QK4_0; ++i) dequant_q4_0((const tsr_block_q4_0 *)s + i, dst + i * TSR_QK4_0);
      return;
    case TSR_DTYPE_Q4_K:
      for (int64_t i = 0; i < n / TSR_QK_K; ++i) dequant_q4_k((const tsr_block_q4_k *)s + i, dst + i * TSR_QK_K);
      return;
    case TSR_DTYPE_Q5_K:
      for (int64_t i = 0; i < n / TSR_QK_K; ++i) dequant_q5_k((const tsr_block_q5_k *)s + i, dst + i * TSR_QK_K);
      return;
    case TSR_DTYPE_Q6_K:
      for (int64_t i = 0; i < n / TSR_QK_K; ++i) dequant_q6_k((const tsr_block_q6_k *)s + i, dst + i * TSR_QK_K);
      return;
    default:
      tsr_load_f32(type, s, (int64_t)tsr_dtype_block_bytes(type), dst, n);
      return;
  }
}

/* ---- quantizers ---- */

static int nearest_int(float x) { return (int)lrintf(x); }

static void quant_q8_0(const float *x, tsr_block_q8_0 *b) {
  float amax = 0.0f;
  for (int j = 0; j < TSR_QK8_0; ++j) amax = fmaxf(amax, fabsf(x[j]));
  float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
  b->d = tsr_f32_to_fp16(d);
  for (int j = 0; j < TSR_QK8_0; ++j) b->qs[j] = (int8_t)roundf(x[j] * id);
}

static void quant_q4_0(const float *x, tsr_block_q4_0 *b) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < TSR_QK4_0; ++j) {
    if (amax < fabsf(x[j])) {
      amax = fabsf(x[j]);
      max = x[j];
    }
  }
  float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
  b->d = tsr_f32_to_fp16(d);
  for (int j = 0; j < TSR_QK4_0 / 2; ++j) {
    int x0 = (int)(x[j] * id + 8.5f), x1 = (int)(x[j + TSR_QK4_0 / 2] * id + 8.5f);
    x0 = x0 < 0 ? 0 : (x0 > 15 ? 15 : x0);
    x1 = x1 < 0 ? 0 : (x1 > 15 ? 15 : x1);
    b->qs[j] = (uint8_t)(x0 | (x1 << 4));
  }
}

/* Shared by q4_K (nmax 15) and q5_K (nmax 31): per 32-element sub-block an
 * affine scale and min, both stored as 6-bit multiples of d and dmin. */
static void quant_affine_k(const float *x, int nmax, uint16_t *out_d, uint16_t *out_dmin,
                           uint8_t scales[TSR_K_SCALE_SIZE], uint8_t L[TSR_QK_K]) {
  float sc[8], mn[8], max_sc = 0.0f, max_mn = 0.0f;
  for (int j = 0; j < 8; ++j) {
    float lo = 0.0f, hi = 0.0f;
    for (int l = 0; l < 32; ++l) {
      lo = fminf(lo, x[32 * j + l]);
      hi = fmaxf(hi, x[32 * j + l]);
    }
    sc[j] = (hi - lo) / (float)nmax;
    mn[j] = -lo;
    max_sc = fmaxf(max_sc, sc[j]);
    max_mn = fmaxf(max_mn, mn[j]);
  }
  float inv_sc = max_sc > 0.0f ? 63.0f / max_sc : 0.0f;
  float inv_mn = max_mn > 0.0f ? 63.0f / max_mn : 0.0f;
  memset(scales, 0, TSR_K_SCALE_SIZE);
  for (int j = 0; j < 8; ++j) {
    int ls = nearest_int(inv_sc * sc[j]), lm = nearest_int(inv_mn * mn[j]);
    ls = ls > 63 ? 63 : ls;
    lm = lm > 63 ? 63 : lm;
    if (j < 4) {
      scales[j] = (uint8_t)ls;
      scales[j + 4] = (uint8_t)lm;
    } else {
      scales[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
      scales[j - 4] |= (uint8_t)((ls >> 4) << 6);
      scales[j] |= (uint8_t)((lm >> 4) << 6);
    }
  }
  *out_d = tsr_f32_to_fp16(max_sc / 63.0f);
  *out_dmin = tsr_f32_to_fp16(max_mn / 63.0f);
  float d = fp16(*out_d), dmin = fp16(*out_dmin);
  for (int j = 0; j < 8; ++j) {
    uint8_t s, m;
    get_scale_min_k4(j, scales, &s, &m);
    float de = d * s, me = dmin * m;
    for (int l = 0; l < 32; ++l) {
      int q = de != 0.0f ? nearest_int((x[32 * j + l] + me) / de) : 0;
      L[32 * j + l] = (uint8_t)(q < 0 ? 0 : (q > nmax ? nmax : q));
    }
  }
}

static void quant_q4_k(const float *x, tsr_block_q4_k *b) {
  uint8_t L[TSR_QK_K];
  quant_affine_k(x, 15, &b->d, &b->dmin, b->scales, L);
  uint8_t *q = b->qs;
  for (int j = 0; j < TSR_QK_K; j += 64, q += 32) {
    for (int l = 0; l < 32; ++l) q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
  }
}

static void quant_q5_k(const float *x, tsr_block_q5_k *b) {
  uint8_t L[TSR_QK_K];
  quant_affine_k(x, 31, &b->d, &b->dmin, b->scales, L);
  memset(b->qh, 0, sizeof(b->qh));
  uint8_t *ql = b->qs;
  uint8_t m1 = 1, m2 = 2;
  for (int n = 0; n < TSR_QK_K; n += 64, ql += 32) {
    for (int j = 0; j < 32; ++j) {
      int l1 = L[n + j], l2 = L[n + j + 32];
      if (l1 > 15) {
        l1 -= 16;
        b->qh[j] |= m1;
      }
      if (l2 > 15) {
        l2 -= 16;
        b->qh[j] |= m2;
      }
      ql[j] = (uint8_t)(l1 | (l2 << 4));
    }
    m1 = (uint8_t)(m1 << 2);
    m2 = (uint8_t)(m2 << 2);
  }
}

static void quant_q6_k(const float *x, tsr_block_q6_k *b) {
  float sc[16], max_sc = 0.0f;
  for (int j = 0; j < 16; ++j) {
    float amax = 0.0f;
    for (int l = 0; l < 16; ++l) amax = fmaxf(amax, fabsf(x[16 * j + l]));
    sc[j] = amax / 31.0f;
    max_sc = fmaxf(max_sc, sc[j]);
  }
  float iscale = max_sc > 0.0f ? 127.0f / max_sc : 0.0f;
  b->d = tsr_f32_to_fp16(iscale != 0.0f ? 1.0f / iscale : 0.0f);
  float d = fp16(b->d);
  uint8_t L[TSR_QK_K];
  for (int j = 0; j < 16; ++j) {
    int s = nearest_int(iscale * sc[j]);
    b->scales[j] = (int8_t)(s > 127 ? 127 : s);
    float de = d * (float)b->scales[j];
    for (int l = 0; l < 16; ++l) {
      int q = de != 0.0f ? nearest_int(x[16 * j + l] / de) : 0;
      q = q < -32 ? -32 : (q > 31 ? 31 : q);
      L[16 * j + l] = (uint8_t)(q + 32);
    }
  }
  uint8_t *ql = b->ql, *qh = b->qh;
  for (int j = 0; j < TSR_QK_K; j += 128, ql += 64, qh += 32) {
    for (int l = 0; l < 32; ++l) {
      uint8_t q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF;
      uint8_t q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
      ql[l] = (uint8_t)(q1 | (q3 << 4));
      ql[l + 32] = (uint8_t)(q2 | (q4 << 4));
      qh[l] = (uint8_t)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) |
                        ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
    }
  }
}

void tsr_quantize_row(tsr_dtype type, const float *src, void *dst, int64_t n) {
  uint8_t *d = dst;
  switch (type) {
    case TSR_DTYPE_Q8_0:
      for (int64_t i = 0; i < n / TSR_QK8_0; ++i) quant_q8_0(src + i * TSR_QK8_0, (tsr_block_q8_0 *)d + i);
      return;
    case TSR_DTYPE_Q4_0:
      for (int64_t i = 0; i < n / TSR_QK4_0; ++i) quant_q4_0(src + i * TSR_QK4_0, (tsr_block_q4_0 *)d + i);
      return;
    case TSR_DTYPE_Q4_K:
      for (int64_t i = 0; i < n / TSR_QK_K; ++i) quant_q4_k(src + i * TSR_QK_K, (tsr_block_q4_k *)d + i);
      return;
    case TSR_DTYPE_Q5_K:
      for (int64_t i = 0; i < n / TSR_QK_K; ++i) quant_q5_k(src + i * TSR_QK_K, (tsr_block_q5_k *)d + i);
      return;
    case TSR_DTYPE_Q6_K:
      for (int64_t i = 0; i < n / TSR_QK_K; ++i) quant_q6_k(src + i * TSR_QK_K, (tsr_block_q6_k *)d + i);
      return;
    default:
      tsr_store_f32(type, src, d, (int64_t)tsr_dtype_block_bytes(type), n);
      return;
  }
}

/* ---- plain types ---- */

void tsr_load_f32(tsr_dtype type, const uint8_t *src, int64_t stride, float *dst, int64_t n) {
  if (tsr_dtype_is_quantized(type)) {
    tsr_dequantize_row(type, src, dst, n);
    return;
  }
  for (int64_t i = 0; i < n; ++i, src += stride) {
    switch (type) {
      case TSR_DTYPE_F32: { float v; memcpy(&v, src, 4); dst[i] = v; break; }
      case TSR_DTYPE_F16: { uint16_t h; memcpy(&h, src, 2); dst[i] = tsr_fp16_to_f32(h); break; }
      case TSR_DTYPE_BF16: { uint16_t h; memcpy(&h, src, 2); dst[i] = tsr_bf16_to_f32(h); break; }
      case TSR_DTYPE_I8: dst[i] = (float)*(const int8_t *)src; break;
      case TSR_DTYPE_U8: dst[i] = (float)*src; break;
      case TSR_DTYPE_I32: { int32_t v; memcpy(&v, src, 4); dst[i] = (float)v; break; }
      case TSR_DTYPE_I64: { int64_t v; memcpy(&v, src, 8); dst[i] = (float)v; break; }
      default: dst[i] = 0.0f; break;
    }
  }
}

static double saturate(double v, double lo, double hi) {
  if (v != v) return 0.0; /* NaN */
  return v < lo ? lo : (v > hi ? hi : v);
}

void tsr_store_f32(tsr_dtype type, const float *src, uint8_t *dst, int64_t stride, int64_t n) {
  if (tsr_dtype_is_quantized(type)) {
    tsr_quantize_row(type, src, dst, n);
    return;
  }
  for (int64_t i = 0; i < n; ++i, dst += stride) {
    float v = src[i];
    switch (type) {
      case TSR_DTYPE_F32: memcpy(dst, &v, 4); break;
      case TSR_DTYPE_F16: { uint16_t h = tsr_f32_to_fp16(v); memcpy(dst, &h, 2); break; }
      case TSR_DTYPE_BF16: { uint16_t h = tsr_f32_to_bf16(v); memcpy(dst, &h, 2); break; }
      case TSR_DTYPE_I8: *(int8_t *)dst = (int8_t)saturate(nearbyint(v), -128, 127); break;
      case TSR_DTYPE_U8: *dst = (uint8_t)saturate(nearbyint(v), 0, 255); break;
      case TSR_DTYPE_I32: {
        int32_t q = (int32_t)saturate(nearbyint(v), -2147483648.0, 2147483647.0);
        memcpy(dst, &q, 4);
        break;
      }
      case TSR_DTYPE_I64: {
        int64_t q = (int64_t)saturate(nearbyint(v), -9223372036854775808.0, 9223372036854774784.0);
        memcpy(dst, &q, 8);
        break;
      }
      default: break;
    }
  }
}
