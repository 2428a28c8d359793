/* RMSNORM and LAYERNORM on OpenCL: one work-group of TSR_WG work-items per
 * row; sums in f32 per work-item, then a fixed-order tree (deterministic).
 * LayerNorm takes the variance around the mean in a second pass, as the
 * reference does. */

/* P: index space over the leading dimensions (x, y), then the inner
 * strides of x and y. flags: 1 layer norm, 2 has weight, 4 has bias. */
kernel void tsr_norm_f32(global const uchar *x, ulong xo, global uchar *y, ulong yo,
                         global const uchar *w, ulong wo, global const uchar *b, ulong bo,
                         global const long *P, ulong po, long n, float eps, int flags) {
  local float red[TSR_WG];
  P += po;
  const long xs = P[TSR_SPACE_LONGS(2)], ys = P[TSR_SPACE_LONGS(2) + 1];
  const int lid = (int)get_local_id(0);
  long off[2];
  tsr_unravel(P, (long)get_group_id(0), 2, off);
  global const uchar *xr = x + xo + off[0];
  global uchar *yr = y + yo + off[1];
  float mean = 0.0f;
  if (flags & 1) {
    float s = 0.0f;
    for (long i = lid; i < n; i += TSR_WG) s += tsr_ld_f32(xr + i * xs);
    mean = tsr_wg_sum(red, s) / (float)n;
  }
  float ss = 0.0f;
  for (long i = lid; i < n; i += TSR_WG) {
    const float d = tsr_ld_f32(xr + i * xs) - mean;
    ss += d * d;
  }
  const float var = tsr_wg_sum(red, ss) / (float)n;
  const float inv = 1.0f / sqrt(var + eps);
  global const float *wf = (global const float *)(w + wo);
  global const float *bf = (global const float *)(b + bo);
  for (long i = lid; i < n; i += TSR_WG) {
    float v = (tsr_ld_f32(xr + i * xs) - mean) * inv;
    if (flags & 2) v *= wf[i];
    if (flags & 4) v += bf[i];
    *(global float *)(yr + i * ys) = v;
  }
}
