/* GGML block formats on OpenCL: dequantization of 32-element chunks (a
 * q8_0/q4_0 block, or one sub-block of a K-quant super-block) and the
 * q8_0/q4_0 quantizers. Bit-compatible with kernels/convert/convert_ref.c;
 * the arithmetic is evaluated in the same order, without contraction. */

inline float tsr_ld_half_at(global const uchar *p) { return vload_half(0, (global const half *)p); }

/* 6-bit scale and min of sub-block |j| of a q4_K / q5_K block. */
inline void tsr_scale_min_k4(int j, global const uchar *q, float *d, float *m) {
  if (j < 4) {
    *d = (float)(q[j] & 63);
    *m = (float)(q[j + 4] & 63);
  } else {
    *d = (float)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = (float)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

/* Elements [32c, 32c + n) of a row of dtype |dt| starting at |row| into
 * w[0 .. n). Plain types: element stride |es| bytes, n <= 32. Block formats:
 * n == 32 (rows are a whole number of blocks). */
inline void tsr_load_chunk(int dt, global const uchar *row, long c, long es, int n, float *w) {
#pragma OPENCL FP_CONTRACT OFF
  switch (dt) {
    case TSR_DT_F32: {
      global const uchar *p = row + c * TSR_CHUNK * es;
      for (int i = 0; i < n; ++i) w[i] = tsr_ld_f32(p + i * es);
      return;
    }
    case TSR_DT_F16: {
      global const uchar *p = row + c * TSR_CHUNK * es;
      for (int i = 0; i < n; ++i) w[i] = tsr_ld_f16(p + i * es);
      return;
    }
    case TSR_DT_BF16: {
      global const uchar *p = row + c * TSR_CHUNK * es;
      for (int i = 0; i < n; ++i) w[i] = tsr_ld_bf16(p + i * es);
      return;
    }
    case TSR_DT_Q8_0: { /* f16 d, i8 qs[32]: 34 bytes */
      global const uchar *b = row + c * 34;
      const float d = tsr_ld_half_at(b);
      global const char *qs = (global const char *)(b + 2);
      for (int i = 0; i < 32; ++i) w[i] = (float)qs[i] * d;
      return;
    }
    case TSR_DT_Q4_0: { /* f16 d, u8 qs[16]: 18 bytes */
      global const uchar *b = row + c * 18;
      const float d = tsr_ld_half_at(b);
      global const uchar *qs = b + 2;
      for (int i = 0; i < 16; ++i) {
        w[i] = (float)((int)(qs[i] & 0x0F) - 8) * d;
        w[i + 16] = (float)((int)(qs[i] >> 4) - 8) * d;
      }
      return;
    }
    case TSR_DT_Q4_K: { /* f16 d, f16 dmin, u8 scales[12], u8 qs[128]: 144 bytes */
      global const uchar *b = row + (c >> 3) * 144;
      const int j = (int)(c & 7);
      float sc, mn;
      tsr_scale_min_k4(j, b + 4, &sc, &mn);
      const float d = tsr_ld_half_at(b) * sc, m = tsr_ld_half_at(b + 2) * mn;
      global const uchar *q = b + 16 + 32 * (j >> 1);
      const int sh = (j & 1) * 4;
      for (int i = 0; i < 32; ++i) w[i] = d * (float)((q[i] >> sh) & 0xF) - m;
      return;
    }
    case TSR_DT_Q5_K: { /* f16 d, dmin, scales[12], qh[32], qs[128]: 176 bytes */
      global const uchar *b = row + (c >> 3) * 176;
      const int j = (int)(c & 7);
      float sc, mn;
      tsr_scale_min_k4(j, b + 4, &sc, &mn);
      const float d = tsr_ld_half_at(b) * sc, m = tsr_ld_half_at(b + 2) * mn;
      global const uchar *qh = b + 16;
      global const uchar *ql = b + 48 + 32 * (j >> 1);
      const int sh = (j & 1) * 4;
      const uchar hb = (uchar)(1u << j);
      for (int i = 0; i < 32; ++i)
        w[i] = d * (float)(((ql[i] >> sh) & 0xF) + ((qh[i] & hb) ? 16 : 0)) - m;
      return;
    }
    case TSR_DT_Q6_K: { /* ql[128], qh[64], i8 scales[16], f16 d: 210 bytes */
      global const uchar *b = row + (c >> 3) * 210;
      const int j = (int)(c & 7), half_ = j >> 2, quarter = j & 3;
      const float d = tsr_ld_half_at(b + 208);
      global const uchar *ql = b + 64 * half_ + ((quarter & 1) ? 32 : 0);
      global const uchar *qh = b + 128 + 32 * half_;
      global const char *scl = (global const char *)(b + 192) + 8 * half_ + 2 * quarter;
      const int lsh = (quarter >> 1) * 4, hsh = quarter * 2;
      for (int i = 0; i < 32; ++i) {
        const int q = (int)(((ql[i] >> lsh) & 0xF) | (((qh[i] >> hsh) & 3) << 4)) - 32;
        w[i] = d * (float)scl[i >> 4] * (float)q;
      }
      return;
    }
    default:
      for (int i = 0; i < n; ++i) w[i] = 0.0f;
      return;
  }
}

/* Quantizes 32 values into one q8_0 block at |blk|. */
inline void tsr_quant_q8_0(const float *x, global uchar *blk) {
#pragma OPENCL FP_CONTRACT OFF
  float amax = 0.0f;
  for (int i = 0; i < 32; ++i) amax = fmax(amax, fabs(x[i]));
  const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
  vstore_half_rte(d, 0, (global half *)blk);
  global char *qs = (global char *)(blk + 2);
  for (int i = 0; i < 32; ++i) qs[i] = (char)round(x[i] * id);
}

/* Quantizes 32 values into one q4_0 block at |blk|. */
inline void tsr_quant_q4_0(const float *x, global uchar *blk) {
#pragma OPENCL FP_CONTRACT OFF
  float amax = 0.0f, mx = 0.0f;
  for (int i = 0; i < 32; ++i) {
    if (amax < fabs(x[i])) {
      amax = fabs(x[i]);
      mx = x[i];
    }
  }
  const float d = mx / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
  vstore_half_rte(d, 0, (global half *)blk);
  global uchar *qs = blk + 2;
  for (int i = 0; i < 16; ++i) {
    int x0 = (int)(x[i] * id + 8.5f), x1 = (int)(x[i + 16] * id + 8.5f);
    x0 = clamp(x0, 0, 15);
    x1 = clamp(x1, 0, 15);
    qs[i] = (uchar)(x0 | (x1 << 4));
  }
}
