/* Fused ATTENTION on OpenCL: one work-group of TSR_WG work-items per query
 * row (t, h), online softmax over the KV cache in chunks of TSR_WG keys.
 * Per chunk: each work-item scores one key (q in local memory), the group
 * reduces the chunk maximum and sum, rescales its running accumulator and
 * adds the chunk's weighted values for the output dimensions it owns
 * (d = lid + j * TSR_WG). Grouped-query: head h reads kv head h / group.
 * K and V are f32 or f16 (vload_half: no half arithmetic needed). All
 * reductions are fixed-order: the output is deterministic. */

#ifndef TSR_ATT_MAXD
#define TSR_ATT_MAXD 512 /* largest head size (q in local memory) */
#endif
#ifndef TSR_ATT_DVPT
#define TSR_ATT_DVPT 8 /* output dimensions per work-item: Dv <= TSR_ATT_DVPT * TSR_WG */
#endif

/* P: Tq, Hq, D, Dv, S, group, q strides [0], [1], k [0], [1], v [0], [1],
 * y [0], [1]. */
#define TSR_ATTENTION_KERNEL(NAME, LOAD, LOAD4)                                                       \
  kernel void NAME(global const uchar *q, ulong qo, global const uchar *k, ulong ko,             \
                   global const uchar *v, ulong vo, global uchar *y, ulong yo,                   \
                   global const long *P, ulong po, float scale, int causal, int window,          \
                   long q_pos, long kv_len) {                                                    \
    local float qv[TSR_ATT_MAXD];                                                                \
    local float sc[TSR_WG];                                                                      \
    local float red[TSR_WG];                                                                     \
    P += po;                                                                                     \
    const long Hq = P[1], D = P[2], Dv = P[3], S = P[4], group = P[5];                           \
    const int lid = (int)get_local_id(0);                                                        \
    const long u = (long)get_group_id(0), t = u / Hq, h = u % Hq, kvh = h / group;               \
    const long pos = q_pos + t;                                                                  \
    global const float *qr = (global const float *)(q + qo + t * P[6] + h * P[7]);               \
    for (long i = lid; i < D; i += TSR_WG) qv[i] = qr[i];                                        \
    barrier(CLK_LOCAL_MEM_FENCE);                                                                \
    const long len = clamp(kv_len, (long)0, S);                                                  \
    long lo = 0, hi = len;                                                                       \
    if (causal && pos + 1 < hi) hi = pos + 1;                                                    \
    if (window > 0 && pos - window + 1 > lo) lo = pos - window + 1;                              \
    global const uchar *kb = k + ko + kvh * P[9];                                                \
    global const uchar *vb = v + vo + kvh * P[11];                                               \
    float acc[TSR_ATT_DVPT];                                                                     \
    for (int j = 0; j < TSR_ATT_DVPT; ++j) acc[j] = 0.0f;                                        \
    float m = -INFINITY, l = 0.0f;                                                               \
    for (long s0 = lo; s0 < hi; s0 += TSR_WG) {                                                  \
      const long s = s0 + lid;                                                                   \
      float score = -INFINITY;                                                                   \
      if (s < hi) {                                                                              \
        global const uchar *kr = kb + s * P[8];                                                  \
        float dot = 0.0f;                                                                        \
        if ((D & 3) == 0) {                                                                      \
          float4 d4 = (float4)(0.0f);                                                            \
          for (long i = 0; i < D / 4; ++i) d4 += vload4(i, qv) * LOAD4(kr, i);                   \
          dot = (d4.x + d4.y) + (d4.z + d4.w);                                                   \
        } else {                                                                                 \
          for (long i = 0; i < D; ++i) dot += qv[i] * LOAD(kr, i);                               \
        }                                                                                        \
        score = dot * scale;                                                                     \
      }                                                                                          \
      const float nm = fmax(m, tsr_wg_max(red, score));                                          \
      const float p = s < hi ? exp(score - nm) : 0.0f;                                           \
      sc[lid] = p;                                                                               \
      const float cs = tsr_wg_sum(red, p); /* its barriers publish sc[] too */                   \
      const float corr = exp(m - nm);                                                            \
      l = l * corr + cs;                                                                         \
      const int cnt = (int)min((long)TSR_WG, hi - s0);                                           \
      for (int j = 0; j < TSR_ATT_DVPT; ++j) {                                                   \
        const long d = lid + (long)j * TSR_WG;                                                   \
        if (d >= Dv) break;                                                                      \
        float a = acc[j] * corr;                                                                 \
        global const uchar *vr = vb + s0 * P[10];                                                \
        for (int c = 0; c < cnt; ++c) a += sc[c] * LOAD(vr + c * P[10], d);                      \
        acc[j] = a;                                                                              \
      }                                                                                          \
      m = nm;                                                                                    \
      barrier(CLK_LOCAL_MEM_FENCE); /* sc[] is rewritten by the next chunk */                    \
    }                                                                                            \
    global float *yr = (global float *)(y + yo + t * P[12] + h * P[13]);                         \
    for (int j = 0; j < TSR_ATT_DVPT; ++j) {                                                     \
      const long d = lid + (long)j * TSR_WG;                                                     \
      if (d >= Dv) break;                                                                        \
      yr[d] = hi > lo ? acc[j] / l : 0.0f;                                                       \
    }                                                                                            \
  }

#define TSR_LD_KV_F32(p, i) (((global const float *)(p))[i])
#define TSR_LD_KV_F16(p, i) vload_half((i), (global const half *)(p))
#define TSR_LD4_KV_F32(p, i) vload4((i), (global const float *)(p))
#define TSR_LD4_KV_F16(p, i) vload_half4((i), (global const half *)(p))

TSR_ATTENTION_KERNEL(tsr_attention_f32, TSR_LD_KV_F32, TSR_LD4_KV_F32)
TSR_ATTENTION_KERNEL(tsr_attention_f16, TSR_LD_KV_F16, TSR_LD4_KV_F16)

/* The CPU-device form (geometry att_rows): one work-item per query row,
 * online softmax over every key in turn, no local memory and no barriers
 * (a CPU device runs a group's items as a loop on one core, where barriers
 * and tree reductions cost more than the arithmetic). q and the
 * accumulator live in private arrays; float4 dot products when D is a
 * multiple of 4. Launched over Tq * Hq items. */
#define TSR_ATTENTION_ROWS_KERNEL(NAME, LOAD, LOAD4)                                             \
  kernel void NAME(global const uchar *q, ulong qo, global const uchar *k, ulong ko,             \
                   global const uchar *v, ulong vo, global uchar *y, ulong yo,                   \
                   global const long *P, ulong po, float scale, int causal, int window,          \
                   long q_pos, long kv_len) {                                                    \
    P += po;                                                                                     \
    const long Tq = P[0], Hq = P[1], D = P[2], Dv = P[3], S = P[4], group = P[5];                \
    const long u = get_global_id(0);                                                             \
    if (u >= Tq * Hq) return;                                                                    \
    const long t = u / Hq, h = u % Hq, kvh = h / group, pos = q_pos + t;                         \
    float qv[TSR_ATT_MAXD], acc[TSR_ATT_MAXD];                                                   \
    global const float *qr = (global const float *)(q + qo + t * P[6] + h * P[7]);               \
    for (long i = 0; i < D; ++i) qv[i] = qr[i];                                                  \
    for (long i = 0; i < Dv; ++i) acc[i] = 0.0f;                                                 \
    const long len = clamp(kv_len, (long)0, S);                                                  \
    long lo = 0, hi = len;                                                                       \
    if (causal && pos + 1 < hi) hi = pos + 1;                                                    \
    if (window > 0 && pos - window + 1 > lo) lo = pos - window + 1;                              \
    global const uchar *kb = k + ko + kvh * P[9], *vb = v + vo + kvh * P[11];                    \
    float m = -INFINITY, l = 0.0f;                                                               \
    for (long s = lo; s < hi; ++s) {                                                             \
      global const uchar *kr = kb + s * P[8];                                                    \
      float dot = 0.0f;                                                                          \
      if ((D & 3) == 0) {                                                                        \
        float4 d4 = (float4)(0.0f);                                                              \
        for (long i = 0; i < D / 4; ++i) d4 += vload4(i, qv) * LOAD4(kr, i);                     \
        dot = (d4.x + d4.y) + (d4.z + d4.w);                                                     \
      } else {                                                                                   \
        for (long i = 0; i < D; ++i) dot += qv[i] * LOAD(kr, i);                                 \
      }                                                                                          \
      const float score = dot * scale;                                                           \
      float corr = 1.0f, p = 1.0f; /* one exponential per key */                                 \
      if (score > m) {                                                                           \
        corr = exp(m - score);                                                                   \
        m = score;                                                                               \
      } else {                                                                                   \
        p = exp(score - m);                                                                      \
      }                                                                                          \
      l = l * corr + p;                                                                          \
      global const uchar *vr = vb + s * P[10];                                                   \
      for (long i = 0; i < Dv; ++i) acc[i] = acc[i] * corr + p * LOAD(vr, i);                    \
    }                                                                                            \
    global float *yr = (global float *)(y + yo + t * P[12] + h * P[13]);                         \
    for (long i = 0; i < Dv; ++i) yr[i] = hi > lo ? acc[i] / l : 0.0f;                           \
  }

TSR_ATTENTION_ROWS_KERNEL(tsr_attention_rows_f32, TSR_LD_KV_F32, TSR_LD4_KV_F32)
TSR_ATTENTION_ROWS_KERNEL(tsr_attention_rows_f16, TSR_LD_KV_F16, TSR_LD4_KV_F16)
