/* ROPE on OpenCL: one work-item per rotated pair or passed-through element
 * of x[T, H, D]. The frequencies fscale * base^(-2i/n_dims) are computed on
 * the host in double and read from P as f32 bits; theta = pos * freq[i] /
 * freq_factors[i]. */

/* P: T, H, D, n_dims, mode (0 interleaved, 1 neox), x strides [0], [1],
 * y strides [0], [1], then n_dims/2 frequencies (f32 bits). */
kernel void tsr_rope_f32(global const uchar *x, ulong xo, global uchar *y, ulong yo,
                         global const uchar *ff, ulong ffo, global const long *P, ulong po,
                         int has_ff, long pos0) {
  P += po;
  const long T = P[0], H = P[1], D = P[2], nd = P[3];
  const int neox = (int)P[4];
  const long half_ = nd / 2, W = half_ + (D - nd);
  const long g = get_global_id(0);
  if (g >= T * H * W) return;
  const long i = g % W, th = g / W, t = th / H, h = th % H;
  global const float *xr = (global const float *)(x + xo + t * P[5] + h * P[6]);
  global float *yr = (global float *)(y + yo + t * P[7] + h * P[8]);
  if (i >= half_) { /* dimensions >= n_dims pass through */
    const long e = nd + (i - half_);
    yr[e] = xr[e];
    return;
  }
  float theta = (float)(pos0 + t) * as_float((uint)P[9 + i]);
  if (has_ff) theta /= ((global const float *)(ff + ffo))[i];
  const float c = cos(theta), s = sin(theta);
  const long i0 = neox ? i : 2 * i, i1 = neox ? i + half_ : 2 * i + 1;
  const float x0 = xr[i0], x1 = xr[i1];
  yr[i0] = x0 * c - x1 * s;
  yr[i1] = x0 * s + x1 * c;
}
