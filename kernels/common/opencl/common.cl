/* Helpers shared by every Tessera OpenCL program (OpenCL C 1.2, no
 * extension needed: halves are only loaded and stored with vload_half /
 * vstore_half_rte, never used in arithmetic).
 *
 * Build options set by the target (targets/opencl/opencl_target.c):
 *   TSR_WG      work-group size of the reduction kernels (a power of two)
 *   TSR_MM_WG   matmul work-items splitting K for one column (a power of two)
 *   TSR_MM_NT   matmul columns per work-group
 *   TSR_MM_MT   rows of a (the M dimension) one matmul work-group computes
 *   TSR_ATT_MAXD, TSR_ATT_DVPT  attention limits (kernels/attention/opencl)
 *
 * Tensors are passed as (global uchar *base, ulong offset) pairs and every
 * stride is in bytes, as in tsr_tensor. Static shapes and strides come in a
 * per-command-list parameter buffer of longs (P + po). */

/* tsr_dtype values (include/tessera/types.h; the host static-asserts them). */
#define TSR_DT_F32 1
#define TSR_DT_F16 2
#define TSR_DT_BF16 3
#define TSR_DT_I8 4
#define TSR_DT_U8 5
#define TSR_DT_I32 6
#define TSR_DT_I64 7
#define TSR_DT_Q8_0 8
#define TSR_DT_Q4_0 9
#define TSR_DT_Q4_K 10
#define TSR_DT_Q5_K 11
#define TSR_DT_Q6_K 12

#define TSR_CHUNK 32 /* elements per dequantization chunk (a q8_0/q4_0 block) */

/* ---- index spaces --------------------------------------------------------
 * An index space over up to 6 collapsed dimensions shared by |nt| tensors:
 * S[0] = ndim, S[1..6] = extents, S[7 + 6t + d] = byte stride of tensor t
 * along dimension d (0 where it broadcasts). 7 + 6 * nt longs. */
#define TSR_SPACE_LONGS(nt) (7 + 6 * (nt))

inline void tsr_unravel(global const long *S, long i, int nt, long *off) {
  const int nd = (int)S[0];
  for (int t = 0; t < nt; ++t) off[t] = 0;
  if (nd == 1) {
    for (int t = 0; t < nt; ++t) off[t] = i * S[7 + 6 * t];
    return;
  }
  for (int d = nd - 1; d >= 0; --d) {
    const long e = S[1 + d];
    const long c = i % e;
    i /= e;
    for (int t = 0; t < nt; ++t) off[t] += c * S[7 + 6 * t + d];
  }
}

/* ---- element access ------------------------------------------------------ */

inline float tsr_ld_f32(global const uchar *p) { return *(global const float *)p; }
inline float tsr_ld_f16(global const uchar *p) { return vload_half(0, (global const half *)p); }
inline float tsr_ld_bf16(global const uchar *p) {
  return as_float(((uint)*(global const ushort *)p) << 16);
}

/* One element of a plain dtype as f32 (integers rounded to nearest even). */
inline float tsr_ld_elem(int dt, global const uchar *p) {
  switch (dt) {
    case TSR_DT_F32: return tsr_ld_f32(p);
    case TSR_DT_F16: return tsr_ld_f16(p);
    case TSR_DT_BF16: return tsr_ld_bf16(p);
    case TSR_DT_I8: return convert_float(*(global const char *)p);
    case TSR_DT_U8: return convert_float(*p);
    case TSR_DT_I32: return convert_float(*(global const int *)p);
    case TSR_DT_I64: return convert_float(*(global const long *)p);
    default: return 0.0f;
  }
}

inline ushort tsr_f32_to_bf16(float v) {
  uint x = as_uint(v);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (ushort)((x >> 16) | 0x40u); /* quiet NaN */
  x += 0x7fffu + ((x >> 16) & 1u);
  return (ushort)(x >> 16);
}

/* Stores |v| as one element of a plain dtype (integers: nearest even,
 * saturated, NaN to 0). */
inline void tsr_st_elem(int dt, global uchar *p, float v) {
  switch (dt) {
    case TSR_DT_F32: *(global float *)p = v; break;
    case TSR_DT_F16: vstore_half_rte(v, 0, (global half *)p); break;
    case TSR_DT_BF16: *(global ushort *)p = tsr_f32_to_bf16(v); break;
    case TSR_DT_I8: *(global char *)p = convert_char_sat_rte(v); break;
    case TSR_DT_U8: *p = convert_uchar_sat_rte(v); break;
    case TSR_DT_I32: *(global int *)p = convert_int_sat_rte(v); break;
    case TSR_DT_I64: *(global long *)p = convert_long_sat_rte(v); break;
    default: break;
  }
}

inline int tsr_dt_bytes(int dt) {
  switch (dt) {
    case TSR_DT_F32: case TSR_DT_I32: return 4;
    case TSR_DT_F16: case TSR_DT_BF16: return 2;
    case TSR_DT_I8: case TSR_DT_U8: return 1;
    case TSR_DT_I64: return 8;
    default: return 0;
  }
}

/* ---- work-group reductions (fixed order: deterministic) ------------------ */

#ifdef TSR_WG
inline float tsr_wg_sum(local float *red, float v) {
  const int lid = (int)get_local_id(0);
  red[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int s = TSR_WG / 2; s > 0; s >>= 1) {
    if (lid < s) red[lid] += red[lid + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const float r = red[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

inline float tsr_wg_max(local float *red, float v) {
  const int lid = (int)get_local_id(0);
  red[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int s = TSR_WG / 2; s > 0; s >>= 1) {
    if (lid < s) red[lid] = fmax(red[lid], red[lid + s]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const float r = red[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}
#endif
