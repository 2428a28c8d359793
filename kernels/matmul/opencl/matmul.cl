/* MATMUL on OpenCL: y[.., M, N] = alpha * a[.., M, K] @ b[.., N, K]^T + bias.
 *
 * Float a, any weight dtype b: one work-group of TSR_MM_WG work-items per
 * (column n, TSR_MM_MT rows of a, batch). Work-item l takes the 32-element
 * chunks l, l + WG, ... of row n of b, dequantizes each once into registers
 * (blocks decoded in the kernel: q8_0, q4_0, q4_K, q5_K, q6_K, f16 through
 * vload_half, bf16) and dots it with the same chunk of each of its MT rows of
 * a. The MT partial sums are then reduced over the group in a fixed-order
 * tree: deterministic. One kernel per weight dtype (the dtype is a
 * compile-time constant, so the decode switch folds away).
 *
 * i8 a, i8 b: the same shape of work with exact integer sums (i32 y, or f32
 * y scaled by a_scale[m] * b_scale[n]). */

#define TSR_MM_SPACE 3 /* P[3 ..]: index space over the batch dims (a, b, y) */
#define TSR_MM_TAIL (3 + TSR_SPACE_LONGS(3))

/* P: M, N, K, batch space (a, b, y), a row stride, b row stride, b element
 * stride (plain types), y row stride. a rows are contiguous. */
#define TSR_MATMUL_KERNEL(NAME, DT)                                                              \
  kernel void NAME(global const uchar *a, ulong ao, global const uchar *b, ulong bo,             \
                   global uchar *y, ulong yo, global const uchar *bias, ulong biaso,             \
                   global const long *P, ulong po, float alpha, int has_bias) {                  \
    local float red[TSR_MM_MT * TSR_MM_WG];                                                      \
    P += po;                                                                                     \
    const long M = P[0], K = P[2];                                                               \
    const long as_m = P[TSR_MM_TAIL], bs_n = P[TSR_MM_TAIL + 1], bs_k = P[TSR_MM_TAIL + 2];      \
    const long ys_m = P[TSR_MM_TAIL + 3];                                                        \
    const int lid = (int)get_local_id(0);                                                        \
    const long n = (long)get_group_id(0), m0 = (long)get_group_id(1) * TSR_MM_MT;                \
    long off[3];                                                                                 \
    tsr_unravel(P + TSR_MM_SPACE, (long)get_group_id(2), 3, off);                                \
    global const uchar *brow = b + bo + off[1] + n * bs_n;                                       \
    global const uchar *abase = a + ao + off[0] + m0 * as_m;                                     \
    const int mc = (int)min((long)TSR_MM_MT, M - m0);                                            \
    float acc[TSR_MM_MT];                                                                        \
    for (int r = 0; r < TSR_MM_MT; ++r) acc[r] = 0.0f;                                           \
    const long nch = (K + TSR_CHUNK - 1) / TSR_CHUNK;                                            \
    for (long c = lid; c < nch; c += TSR_MM_WG) {                                                \
      const int cnt = (int)min((long)TSR_CHUNK, K - c * TSR_CHUNK);                              \
      float w[TSR_CHUNK];                                                                        \
      tsr_load_chunk(DT, brow, c, bs_k, cnt, w);                                                 \
      for (int r = 0; r < TSR_MM_MT; ++r) {                                                      \
        if (r >= mc) break;                                                                      \
        global const float *ar = (global const float *)(abase + r * as_m) + c * TSR_CHUNK;       \
        float d = 0.0f;                                                                          \
        if (cnt == TSR_CHUNK) {                                                                  \
          for (int i = 0; i < TSR_CHUNK; ++i) d += ar[i] * w[i];                                 \
        } else {                                                                                 \
          for (int i = 0; i < cnt; ++i) d += ar[i] * w[i];                                       \
        }                                                                                        \
        acc[r] += d;                                                                             \
      }                                                                                          \
    }                                                                                            \
    for (int r = 0; r < TSR_MM_MT; ++r) red[r * TSR_MM_WG + lid] = acc[r];                      \
    barrier(CLK_LOCAL_MEM_FENCE);                                                                \
    for (int s = TSR_MM_WG / 2; s > 0; s >>= 1) {                                                \
      if (lid < s) {                                                                             \
        for (int r = 0; r < TSR_MM_MT; ++r) red[r * TSR_MM_WG + lid] += red[r * TSR_MM_WG + lid + s]; \
      }                                                                                          \
      barrier(CLK_LOCAL_MEM_FENCE);                                                              \
    }                                                                                            \
    if (lid < mc) {                                                                              \
      float v = red[lid * TSR_MM_WG] * alpha;                                                    \
      if (has_bias) v += ((global const float *)(bias + biaso))[n];                              \
      *(global float *)(y + yo + off[2] + (m0 + lid) * ys_m + n * 4) = v;                        \
    }                                                                                            \
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
