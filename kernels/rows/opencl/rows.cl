/* GET_ROWS and SET_ROWS on OpenCL: one work-item per 32-element chunk of a
 * row. GET_ROWS dequantizes table rows of any weight dtype to f32 (an id
 * outside [0, V) gives zeros); SET_ROWS converts f32 rows to the
 * destination's dtype (f32, f16, bf16 or any block format) at rows pos + t. */

/* P: T, V, D, table row stride, table element stride, ids stride, y row
 * stride, y element stride. */
kernel void tsr_get_rows(global const uchar *tab, ulong tabo, global const uchar *ids, ulong idso,
                         global uchar *y, ulong yo, global const long *P, ulong po, int tdt,
                         int ids64) {
  P += po;
  const long T = P[0], V = P[1], D = P[2];
  const long nch = (D + TSR_CHUNK - 1) / TSR_CHUNK;
  const long g = get_global_id(0);
  if (g >= T * nch) return;
  const long t = g / nch, c = g % nch;
  global const uchar *ip = ids + idso + t * P[5];
  const long id = ids64 ? *(global const long *)ip : (long)*(global const int *)ip;
  const int cnt = (int)min((long)TSR_CHUNK, D - c * TSR_CHUNK);
  float w[TSR_CHUNK];
  if (id < 0 || id >= V) {
    for (int i = 0; i < cnt; ++i) w[i] = 0.0f;
  } else {
    tsr_load_chunk(tdt, tab + tabo + id * P[3], c, P[4], cnt, w);
  }
  global uchar *yr = y + yo + t * P[6] + c * TSR_CHUNK * P[7];
  for (int i = 0; i < cnt; ++i) *(global float *)(yr + i * P[7]) = w[i];
}

/* P: T, sub (rows per t), n (row length), S (dst extent 0), source space
 * over its leading dims (src), destination space over its leading dims
 * (dst), src element stride, dst element stride. */
kernel void tsr_set_rows(global const uchar *src, ulong so, global uchar *dst, ulong dso,
                         global const long *P, ulong po, int ddt, long pos) {
  P += po;
  const long T = P[0], sub = P[1], n = P[2], S = P[3];
  global const long *ss = P + 4, *ds = P + 4 + TSR_SPACE_LONGS(1);
  const long ses = P[4 + 2 * TSR_SPACE_LONGS(1)], des = P[5 + 2 * TSR_SPACE_LONGS(1)];
  const long nch = (n + TSR_CHUNK - 1) / TSR_CHUNK;
  const long g = get_global_id(0);
  if (g >= T * sub * nch) return;
  const long r = g / nch, c = g % nch, t = r / sub, j = r % sub, dr = pos + t;
  if (dr < 0 || dr >= S) return;
  long so_r, do_r;
  tsr_unravel(ss, r, 1, &so_r);
  tsr_unravel(ds, dr * sub + j, 1, &do_r);
  global uchar *dr_p = dst + dso + do_r;
  if (ddt >= TSR_DT_Q4_K) { /* a K-quant super-block: its first chunk's item does it */
    if (c % 8 != 0) return;
    float xs[256];
    for (int k = 0; k < 8; ++k) tsr_load_chunk(TSR_DT_F32, src + so + so_r, c + k, ses, TSR_CHUNK, xs + TSR_CHUNK * k);
    tsr_quant_k(ddt, xs, dr_p + (c / 8) * tsr_k_block_bytes(ddt));
    return;
  }
  const int cnt = (int)min((long)TSR_CHUNK, n - c * TSR_CHUNK);
  float w[TSR_CHUNK];
  tsr_load_chunk(TSR_DT_F32, src + so + so_r, c, ses, cnt, w);
  if (ddt == TSR_DT_Q8_0) {
    tsr_quant_q8_0(w, dr_p + c * 34);
  } else if (ddt == TSR_DT_Q4_0) {
    tsr_quant_q4_0(w, dr_p + c * 18);
  } else {
    global uchar *p = dr_p + c * TSR_CHUNK * des;
    for (int i = 0; i < cnt; ++i) tsr_st_elem(ddt, p + i * des, w[i]);
  }
}
