/* SOFTMAX on OpenCL: one work-group of TSR_WG work-items per row (max,
 * exponentials and their sum, normalise), fixed-order reductions. With |causal|,
 * element s of row r is masked when s > q_pos + (r mod R); a row with every
 * element masked is written as zeros. */

/* P: index space over the leading dimensions (x, y), then the inner
 * strides of x and y. */
kernel void tsr_softmax_f32(global const uchar *x, ulong xo, global uchar *y, ulong yo,
                            global const long *P, ulong po, long S, long R, float scale,
                            int causal, long q_pos) {
  local float red[TSR_WG];
  P += po;
  const long xs = P[TSR_SPACE_LONGS(2)], ys = P[TSR_SPACE_LONGS(2) + 1];
  const int lid = (int)get_local_id(0);
  const long r = (long)get_group_id(0);
  long off[2];
  tsr_unravel(P, r, 2, off);
  global const uchar *xr = x + xo + off[0];
  global uchar *yr = y + yo + off[1];
  long valid = S;
  if (causal) valid = clamp(q_pos + (r % R) + 1, (long)0, S);
  float mx = -INFINITY;
  for (long s = lid; s < valid; s += TSR_WG) mx = fmax(mx, tsr_ld_f32(xr + s * xs) * scale);
  mx = tsr_wg_max(red, mx);
  /* One exponential per element: written, summed, then rescaled in place
   * (each element is read and rewritten by the same work-item, so x == y
   * is fine). */
  float sum = 0.0f;
  for (long s = lid; s < S; s += TSR_WG) {
    const float e = s < valid ? exp(tsr_ld_f32(xr + s * xs) * scale - mx) : 0.0f;
    *(global float *)(yr + s * ys) = e;
    sum += e;
  }
  sum = tsr_wg_sum(red, sum);
  const float inv = 1.0f / sum;
  for (long s = lid; s < valid; s += TSR_WG) *(global float *)(yr + s * ys) *= inv;
}
