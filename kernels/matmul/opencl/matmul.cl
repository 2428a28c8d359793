/* MATMUL on OpenCL: y[.., M, N] = alpha * a[.., M, K] @ b[.., N, K]^T + bias.
 *
 * Float a, any weight dtype b: a work-group of (TSR_MM_WG, TSR_MM_NT)
 * work-items covers TSR_MM_NT columns n and TSR_MM_MT rows of a of one
 * batch. Work-item (l, j) takes the 32-element chunks l, l + WG, ... of row
 * n of b, dequantizes each once into registers with vector loads (blocks
 * decoded in the kernel: q8_0, q4_0, q4_K, q5_K, q6_K; f16 through
 * vload_half4; bf16) and dots it with the same chunk of each of its MT rows
 * of a in float4 lanes. The partial sums are reduced over l in a fixed-order
 * tree: deterministic. GPUs split K over 64 items (WG 64, NT 1); CPU devices
 * give each item whole columns (WG 1, NT 16), no reduction at all. One
 * kernel per weight dtype (a compile-time constant: the switch folds).
 *
 * i8 a, i8 b: the same shape of work with exact integer sums (i32 y, or f32
 * y scaled by a_scale[m] * b_scale[n]). */

#define TSR_MM_SPACE 3 /* P[3 ..]: index space over the batch dims (a, b, y) */
#define TSR_MM_TAIL (3 + TSR_SPACE_LONGS(3))

/* Dot of chunk c of MT rows of a with the dequantized chunk w, added to
 * acc[r] (float4 lanes, summed at the end in a fixed order). */
#define TSR_MM_DOT(AB, W)                                                                          \
  for (int r = 0; r < TSR_MM_MT; ++r) {                                                          \
    if (r >= mc) break;                                                                          \
    global const float *ar = (global const float *)(abase + r * as_m) + c * TSR_CHUNK;           \
    float4 s = (float4)(0.0f);                                                                   \
    for (int q = 0; q < 8; ++q) s += AB * W[q];                                                  \
    acc[r] += s;                                                                                 \
  }

/* P: M, N, K, batch space (a, b, y), a row stride, b row stride, b element
 * stride (plain types), y row stride. a rows are contiguous. Work-item
 * (l, j) of a (TSR_MM_WG, TSR_MM_NT) group takes column
 * n = group(0) * TSR_MM_NT + j and the chunks l, l + TSR_MM_WG, ... */
#define TSR_MATMUL_KERNEL(NAME, DT)                                                              \
  kernel void NAME(global const uchar *a, ulong ao, global const uchar *b, ulong bo,             \
                   global uchar *y, ulong yo, global const uchar *bias, ulong biaso,             \
                   global const long *P, ulong po, float alpha, int has_bias) {                  \
    local float red[TSR_MM_NT][TSR_MM_MT][TSR_MM_WG];                                            \
    P += po;                                                                                     \
    const long M = P[0], N = P[1], K = P[2];                                                     \
    const long as_m = P[TSR_MM_TAIL], bs_n = P[TSR_MM_TAIL + 1], bs_k = P[TSR_MM_TAIL + 2];      \
    const long ys_m = P[TSR_MM_TAIL + 3];                                                        \
    const int lid = (int)get_local_id(0), jn = (int)get_local_id(1);                             \
    const long n_real = (long)get_group_id(0) * TSR_MM_NT + jn;                                  \
    const long n = min(n_real, N - 1); /* out-of-range items compute a copy, store nothing */    \
    const long m0 = (long)get_group_id(1) * TSR_MM_MT;                                           \
    long off[3];                                                                                 \
    tsr_unravel(P + TSR_MM_SPACE, (long)get_group_id(2), 3, off);                                \
    global const uchar *brow = b + bo + off[1] + n * bs_n;                                       \
    global const uchar *abase = a + ao + off[0] + m0 * as_m;                                     \
    const int mc = (int)min((long)TSR_MM_MT, M - m0);                                            \
    float4 acc[TSR_MM_MT];                                                                       \
    for (int r = 0; r < TSR_MM_MT; ++r) acc[r] = (float4)(0.0f);                                 \
    const long nfull = K / TSR_CHUNK, nch = (K + TSR_CHUNK - 1) / TSR_CHUNK;                     \
    const bool dense = DT >= TSR_DT_Q8_0 || bs_k == tsr_dt_bytes(DT);                            \
    long c = lid;                                                                                \
    if (dense) {                                                                                 \
      for (; c < nfull; c += TSR_MM_WG) {                                                        \
        float4 w[8];                                                                             \
        tsr_load_chunk4(DT, brow, c, w);                                                         \
        TSR_MM_DOT(vload4(q, ar), w)                                                             \
      }                                                                                          \
    }                                                                                            \
    for (; c < nch; c += TSR_MM_WG) { /* strided b, or the tail of K */                          \
      const int cnt = (int)min((long)TSR_CHUNK, K - c * TSR_CHUNK);                              \
      float wf[TSR_CHUNK];                                                                       \
      tsr_load_chunk(DT, brow, c, bs_k, cnt, wf);                                                \
      float4 w[8];                                                                               \
      for (int q = 0; q < 8; ++q) {                                                              \
        float4 v;                                                                                \
        v.x = 4 * q + 0 < cnt ? wf[4 * q + 0] : 0.0f;                                            \
        v.y = 4 * q + 1 < cnt ? wf[4 * q + 1] : 0.0f;                                            \
        v.z = 4 * q + 2 < cnt ? wf[4 * q + 2] : 0.0f;                                            \
        v.w = 4 * q + 3 < cnt ? wf[4 * q + 3] : 0.0f;                                            \
        w[q] = v;                                                                                \
      }                                                                                          \
      TSR_MM_DOT(tsr_mm_load_a4(ar, q, cnt), w)                                                  \
    }                                                                                            \
    for (int r = 0; r < TSR_MM_MT; ++r)                                                          \
      red[jn][r][lid] = (acc[r].x + acc[r].y) + (acc[r].z + acc[r].w);                           \
    barrier(CLK_LOCAL_MEM_FENCE);                                                                \
    for (int s = TSR_MM_WG / 2; s > 0; s >>= 1) {                                                \
      if (lid < s) {                                                                             \
        for (int r = 0; r < TSR_MM_MT; ++r) red[jn][r][lid] += red[jn][r][lid + s];              \
      }                                                                                          \
      barrier(CLK_LOCAL_MEM_FENCE);                                                              \
    }                                                                                            \
    if (n_real < N) {                                                                            \
      for (int r = lid; r < mc; r += TSR_MM_WG) {                                                \
        float v = red[jn][r][0] * alpha;                                                         \
        if (has_bias) v += ((global const float *)(bias + biaso))[n];                            \
        *(global float *)(y + yo + off[2] + (m0 + r) * ys_m + n * 4) = v;                        \
      }                                                                                          \
    }                                                                                            \
  }

/* Elements 4q .. 4q + 3 of a (zero past |cnt|). */
inline float4 tsr_mm_load_a4(global const float *ar, int q, int cnt) {
  float4 v;
  v.x = 4 * q + 0 < cnt ? ar[4 * q + 0] : 0.0f;
  v.y = 4 * q + 1 < cnt ? ar[4 * q + 1] : 0.0f;
  v.z = 4 * q + 2 < cnt ? ar[4 * q + 2] : 0.0f;
  v.w = 4 * q + 3 < cnt ? ar[4 * q + 3] : 0.0f;
  return v;
}

TSR_MATMUL_KERNEL(tsr_matmul_f32_f32, TSR_DT_F32)
TSR_MATMUL_KERNEL(tsr_matmul_f32_f16, TSR_DT_F16)
TSR_MATMUL_KERNEL(tsr_matmul_f32_bf16, TSR_DT_BF16)
TSR_MATMUL_KERNEL(tsr_matmul_f32_q8_0, TSR_DT_Q8_0)
TSR_MATMUL_KERNEL(tsr_matmul_f32_q4_0, TSR_DT_Q4_0)
TSR_MATMUL_KERNEL(tsr_matmul_f32_q4_k, TSR_DT_Q4_K)
TSR_MATMUL_KERNEL(tsr_matmul_f32_q5_k, TSR_DT_Q5_K)
TSR_MATMUL_KERNEL(tsr_matmul_f32_q6_k, TSR_DT_Q6_K)

/* i8 x i8. P as above plus a element stride; flags: 1 bias, 2 scaled (f32 y
 * = sum * alpha * a_scale[m] * b_scale[n]), 4 i32 y (raw sums). One output
 * per work-group; exact 64-bit sums reduced in a fixed order. */
kernel void tsr_matmul_i8_i8(global const uchar *a, ulong ao, global const uchar *b, ulong bo,
                             global uchar *y, ulong yo, global const uchar *bias, ulong biaso,
                             global const uchar *as, ulong aso, global const uchar *bs, ulong bso,
                             global const long *P, ulong po, float alpha, int flags) {
  local long red[TSR_MM_WG];
  P += po;
  const long M = P[0], K = P[2];
  const long as_m = P[TSR_MM_TAIL], bs_n = P[TSR_MM_TAIL + 1], bs_k = P[TSR_MM_TAIL + 2];
  const long ys_m = P[TSR_MM_TAIL + 3], as_k = P[TSR_MM_TAIL + 4];
  const int lid = (int)get_local_id(0);
  const long n = (long)get_group_id(0), m = (long)get_group_id(1);
  if (m >= M) return; /* uniform over the group */
  long off[3];
  tsr_unravel(P + TSR_MM_SPACE, (long)get_group_id(2), 3, off);
  global const char *br = (global const char *)(b + bo + off[1] + n * bs_n);
  global const char *ar = (global const char *)(a + ao + off[0] + m * as_m);
  long acc = 0;
  for (long i = lid; i < K; i += TSR_MM_WG) acc += (long)ar[i * as_k] * (long)br[i * bs_k];
  red[lid] = acc;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int s = TSR_MM_WG / 2; s > 0; s >>= 1) {
    if (lid < s) red[lid] += red[lid + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid != 0) return;
  global uchar *yp = y + yo + off[2] + m * ys_m + n * 4;
  if (flags & 4) {
    *(global int *)yp = (int)red[0];
    return;
  }
  float v = (float)red[0] * alpha;
  if (flags & 2) v *= ((global const float *)(as + aso))[m] * ((global const float *)(bs + bso))[n];
  if (flags & 1) v += ((global const float *)(bias + biaso))[n];
  *(global float *)yp = v;
}
