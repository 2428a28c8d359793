/* CONVERT on OpenCL: one work-item per 32-element chunk of a row. Values go
 * through f32 (blocks dequantized, block destinations quantized per block:
 * K-quant super-blocks by the work-item of their first chunk); equal plain dtypes are copied bit for bit. */

/* P: rows, n (row length), index space over the leading dims (x, y), x
 * element stride, y element stride. */
kernel void tsr_convert(global const uchar *x, ulong xo, global uchar *y, ulong yo,
                        global const long *P, ulong po, int xdt, int ydt) {
  P += po;
  const long rows = P[0], n = P[1];
  const long xes = P[2 + TSR_SPACE_LONGS(2)], yes = P[3 + TSR_SPACE_LONGS(2)];
  const long nch = (n + TSR_CHUNK - 1) / TSR_CHUNK;
  const long g = get_global_id(0);
  if (g >= rows * nch) return;
  const long r = g / nch, c = g % nch;
  long off[2];
  tsr_unravel(P + 2, r, 2, off);
  global const uchar *xr = x + xo + off[0];
  global uchar *yr = y + yo + off[1];
  const int cnt = (int)min((long)TSR_CHUNK, n - c * TSR_CHUNK);
  if (xdt == ydt && ydt < TSR_DT_Q8_0) { /* equal plain dtypes: exact copy */
    const int es = tsr_dt_bytes(xdt);
    global const uchar *xp = xr + c * TSR_CHUNK * xes;
    global uchar *yp = yr + c * TSR_CHUNK * yes;
    for (int i = 0; i < cnt; ++i) {
      for (int k = 0; k < es; ++k) yp[i * yes + k] = xp[i * xes + k];
    }
    return;
  }
  if (ydt >= TSR_DT_Q4_K) { /* a K-quant super-block: its first chunk's item does it */
    if (c % 8 != 0) return;
    float xs[256];
    for (int k = 0; k < 8; ++k) {
      if (xdt >= TSR_DT_Q8_0 || xdt == TSR_DT_F32 || xdt == TSR_DT_F16 || xdt == TSR_DT_BF16) {
        tsr_load_chunk(xdt, xr, c + k, xes, TSR_CHUNK, xs + TSR_CHUNK * k);
      } else {
        global const uchar *xp = xr + (c + k) * TSR_CHUNK * xes;
        for (int i = 0; i < TSR_CHUNK; ++i) xs[TSR_CHUNK * k + i] = tsr_ld_elem(xdt, xp + i * xes);
      }
    }
    tsr_quant_k(ydt, xs, yr + (c / 8) * tsr_k_block_bytes(ydt));
    return;
  }
  float w[TSR_CHUNK];
  if (xdt >= TSR_DT_Q8_0 || xdt == TSR_DT_F32 || xdt == TSR_DT_F16 || xdt == TSR_DT_BF16) {
    tsr_load_chunk(xdt, xr, c, xes, cnt, w);
  } else {
    global const uchar *xp = xr + c * TSR_CHUNK * xes;
    for (int i = 0; i < cnt; ++i) w[i] = tsr_ld_elem(xdt, xp + i * xes);
  }
  if (ydt == TSR_DT_Q8_0) {
    tsr_quant_q8_0(w, yr + c * 34);
  } else if (ydt == TSR_DT_Q4_0) {
    tsr_quant_q4_0(w, yr + c * 18);
  } else {
    global uchar *yp = yr + c * TSR_CHUNK * yes;
    for (int i = 0; i < cnt; ++i) tsr_st_elem(ydt, yp + i * yes, w[i]);
  }
}
