/* GGML block formats on OpenCL: dequantization of 32-element chunks (a
 * q8_0/q4_0 block, or one sub-block of a K-quant super-block) and the
 * quantizers (q8_0, q4_0 per 32-element block; q4_K, q5_K, q6_K per
 * 256-element super-block). Bit-compatible with kernels/convert/convert_ref.c;
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

/* q4_K (nmax 15) and q5_K (nmax 31) share this: per 32-element sub-block
 * an affine scale and min, both stored as 6-bit multiples of d and dmin. */
inline void tsr_quant_affine_k(const float *x, int nmax, global uchar *dp, global uchar *scales,
                               uchar *L) {
#pragma OPENCL FP_CONTRACT OFF
  float sc[8], mn[8], max_sc = 0.0f, max_mn = 0.0f;
  for (int j = 0; j < 8; ++j) {
    float lo = 0.0f, hi = 0.0f;
    for (int l = 0; l < 32; ++l) {
      lo = fmin(lo, x[32 * j + l]);
      hi = fmax(hi, x[32 * j + l]);
    }
    sc[j] = (hi - lo) / (float)nmax;
    mn[j] = -lo;
    max_sc = fmax(max_sc, sc[j]);
    max_mn = fmax(max_mn, mn[j]);
  }
  const float inv_sc = max_sc > 0.0f ? 63.0f / max_sc : 0.0f;
  const float inv_mn = max_mn > 0.0f ? 63.0f / max_mn : 0.0f;
  uchar s12[12];
  for (int i = 0; i < 12; ++i) s12[i] = 0;
  for (int j = 0; j < 8; ++j) {
    int ls = min((int)rint(inv_sc * sc[j]), 63), lm = min((int)rint(inv_mn * mn[j]), 63);
    if (j < 4) {
      s12[j] = (uchar)ls;
      s12[j + 4] = (uchar)lm;
    } else {
      s12[j + 4] = (uchar)((ls & 0xF) | ((lm & 0xF) << 4));
      s12[j - 4] |= (uchar)((ls >> 4) << 6);
      s12[j] |= (uchar)((lm >> 4) << 6);
    }
  }
  for (int i = 0; i < 12; ++i) scales[i] = s12[i];
  vstore_half_rte(max_sc / 63.0f, 0, (global half *)dp);
  vstore_half_rte(max_mn / 63.0f, 0, (global half *)(dp + 2));
  const float d = vload_half(0, (global const half *)dp), dmin = vload_half(0, (global const half *)(dp + 2));
  for (int j = 0; j < 8; ++j) {
    float s, m;
    tsr_scale_min_k4(j, scales, &s, &m);
    const float de = d * s, me = dmin * m;
    for (int l = 0; l < 32; ++l) {
      const int q = de != 0.0f ? (int)rint((x[32 * j + l] + me) / de) : 0;
      L[32 * j + l] = (uchar)clamp(q, 0, nmax);
    }
  }
}

/* Quantizes 256 values into one K-quant block (q4_K, q5_K, q6_K). */
inline void tsr_quant_k(int dt, const float *x, global uchar *blk) {
#pragma OPENCL FP_CONTRACT OFF
  uchar L[256];
  if (dt == TSR_DT_Q4_K) {
    tsr_quant_affine_k(x, 15, blk, blk + 4, L);
    global uchar *q = blk + 16;
    for (int j = 0; j < 256; j += 64, q += 32) {
      for (int l = 0; l < 32; ++l) q[l] = (uchar)(L[j + l] | (L[j + l + 32] << 4));
    }
    return;
  }
  if (dt == TSR_DT_Q5_K) {
    tsr_quant_affine_k(x, 31, blk, blk + 4, L);
    uchar qh[32];
    for (int i = 0; i < 32; ++i) qh[i] = 0;
    global uchar *ql = blk + 48;
    uchar m1 = 1, m2 = 2;
    for (int n = 0; n < 256; n += 64, ql += 32) {
      for (int j = 0; j < 32; ++j) {
        int l1 = L[n + j], l2 = L[n + j + 32];
        if (l1 > 15) {
          l1 -= 16;
          qh[j] |= m1;
        }
        if (l2 > 15) {
          l2 -= 16;
          qh[j] |= m2;
        }
        ql[j] = (uchar)(l1 | (l2 << 4));
      }
      m1 = (uchar)(m1 << 2);
      m2 = (uchar)(m2 << 2);
    }
    for (int i = 0; i < 32; ++i) blk[16 + i] = qh[i];
    return;
  }
  /* q6_K: ql[128], qh[64], i8 scales[16], f16 d */
  float sc[16], max_sc = 0.0f;
  for (int j = 0; j < 16; ++j) {
    float amax = 0.0f;
    for (int l = 0; l < 16; ++l) amax = fmax(amax, fabs(x[16 * j + l]));
    sc[j] = amax / 31.0f;
    max_sc = fmax(max_sc, sc[j]);
  }
  const float iscale = max_sc > 0.0f ? 127.0f / max_sc : 0.0f;
  vstore_half_rte(iscale != 0.0f ? 1.0f / iscale : 0.0f, 0, (global half *)(blk + 208));
  const float d = vload_half(0, (global const half *)(blk + 208));
  global char *scales = (global char *)(blk + 192);
  for (int j = 0; j < 16; ++j) {
    const int s = min((int)rint(iscale * sc[j]), 127);
    scales[j] = (char)s;
    const float de = d * (float)s;
    for (int l = 0; l < 16; ++l) {
      const int q = de != 0.0f ? (int)rint(x[16 * j + l] / de) : 0;
      L[16 * j + l] = (uchar)(clamp(q, -32, 31) + 32);
    }
  }
  global uchar *ql = blk, *qh = blk + 128;
  for (int j = 0; j < 256; j += 128, ql += 64, qh += 32) {
    for (int l = 0; l < 32; ++l) {
      const uchar q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF;
      const uchar q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
      ql[l] = (uchar)(q1 | (q3 << 4));
      ql[l + 32] = (uchar)(q2 | (q4 << 4));
      qh[l] = (uchar)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                      ((L[j + l + 96] >> 4) << 6));
    }
  }
}

inline int tsr_k_block_bytes(int dt) {
  return dt == TSR_DT_Q4_K ? 144 : (dt == TSR_DT_Q5_K ? 176 : 210);
}

/* Chunk c (32 elements) of a contiguous row of dtype |dt| as 8 float4
 * (w[q] holds elements 4q .. 4q + 3), with vector loads. Same values as
 * tsr_load_chunk. */
inline void tsr_load_chunk4(int dt, global const uchar *row, long c, float4 *w) {
#pragma OPENCL FP_CONTRACT OFF
  switch (dt) {
    case TSR_DT_F32: {
      global const float *p = (global const float *)row + c * TSR_CHUNK;
      for (int q = 0; q < 8; ++q) w[q] = vload4(q, p);
      return;
    }
    case TSR_DT_F16: {
      global const half *p = (global const half *)row + c * TSR_CHUNK;
      for (int q = 0; q < 8; ++q) w[q] = vload_half4(q, p);
      return;
    }
    case TSR_DT_BF16: {
      global const ushort *p = (global const ushort *)row + c * TSR_CHUNK;
      for (int q = 0; q < 8; ++q) w[q] = as_float4(convert_uint4(vload4(q, p)) << (uint4)16);
      return;
    }
    case TSR_DT_Q8_0: {
      global const uchar *b = row + c * 34;
      const float d = tsr_ld_half_at(b);
      global const char *qs = (global const char *)(b + 2);
      for (int q = 0; q < 8; ++q) w[q] = convert_float4(vload4(q, qs)) * d;
      return;
    }
    case TSR_DT_Q4_0: {
      global const uchar *b = row + c * 18;
      const float d = tsr_ld_half_at(b);
      global const uchar *qs = b + 2;
      for (int q = 0; q < 4; ++q) {
        const int4 v = convert_int4(vload4(q, qs));
        w[q] = convert_float4((v & 0xF) - 8) * d;
        w[q + 4] = convert_float4((v >> 4) - 8) * d;
      }
      return;
    }
    case TSR_DT_Q4_K: {
      global const uchar *b = row + (c >> 3) * 144;
      const int j = (int)(c & 7);
      float sc, mn;
      tsr_scale_min_k4(j, b + 4, &sc, &mn);
      const float d = tsr_ld_half_at(b) * sc, m = tsr_ld_half_at(b + 2) * mn;
      global const uchar *qs = b + 16 + 32 * (j >> 1);
      const int sh = (j & 1) * 4;
      for (int q = 0; q < 8; ++q) w[q] = d * convert_float4((convert_int4(vload4(q, qs)) >> sh) & 0xF) - m;
      return;
    }
    case TSR_DT_Q5_K: {
      global const uchar *b = row + (c >> 3) * 176;
      const int j = (int)(c & 7);
      float sc, mn;
      tsr_scale_min_k4(j, b + 4, &sc, &mn);
      const float d = tsr_ld_half_at(b) * sc, m = tsr_ld_half_at(b + 2) * mn;
      global const uchar *qh = b + 16, *ql = b + 48 + 32 * (j >> 1);
      const int sh = (j & 1) * 4, hb = 1 << j;
      for (int q = 0; q < 8; ++q) {
        const int4 lo = (convert_int4(vload4(q, ql)) >> sh) & 0xF;
        const int4 hi = (convert_int4(vload4(q, qh)) & hb) != 0; /* -1 where set */
        w[q] = d * convert_float4(lo + (hi & 16)) - m;
      }
      return;
    }
    case TSR_DT_Q6_K: {
      global const uchar *b = row + (c >> 3) * 210;
      const int j = (int)(c & 7), half_ = j >> 2, quarter = j & 3;
      const float d = tsr_ld_half_at(b + 208);
      global const uchar *ql = b + 64 * half_ + ((quarter & 1) ? 32 : 0);
      global const uchar *qh = b + 128 + 32 * half_;
      global const char *scl = (global const char *)(b + 192) + 8 * half_ + 2 * quarter;
      const int lsh = (quarter >> 1) * 4, hsh = quarter * 2;
      const float d0 = d * (float)scl[0], d1 = d * (float)scl[1];
      for (int q = 0; q < 8; ++q) {
        const int4 v = (((convert_int4(vload4(q, ql)) >> lsh) & 0xF) | (((convert_int4(vload4(q, qh)) >> hsh) & 3) << 4)) - 32;
        w[q] = (q < 4 ? d0 : d1) * convert_float4(v);
      }
      return;
    }
    default:
      for (int q = 0; q < 8; ++q) w[q] = (float4)(0.0f);
      return;
  }
}
