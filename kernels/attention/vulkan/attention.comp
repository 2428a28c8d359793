#version 450
// Fused attention over a KV cache: y[t, h] = softmax(q[t, h] . k[s, h/g] *
// scale) v[s, h/g] for the keys s a query may see (kv_len, causal, window).
// One workgroup per (t, h); keys in chunks of WG (one key per invocation),
// online softmax (running max and sum, accumulator rescaled per chunk), the
// accumulator of the Dv outputs in shared memory. Fixed-order reductions.
// Compile-time: KV_F16 (f16 cache), USE_SUBGROUP, USE_STORAGE16.
#if USE_STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"

TENSOR_RW(1, Y)
TENSOR_RO(2, Q)
TENSOR_RO(3, KC)
TENSOR_RO(4, VC)
#if USE_STORAGE16
layout(std430, set = 0, binding = 3) readonly buffer K16_buf { float16_t K16[]; };
layout(std430, set = 0, binding = 4) readonly buffer V16_buf { float16_t V16[]; };
#endif

shared float q_sh[AT_MAX_D];
shared float acc_sh[AT_MAX_D];
shared float p_sh[WG];

float ld_k(uint addr) {
#if KV_F16
#if USE_STORAGE16
  return float(K16[addr >> 1]);
#else
  return h2f(LD16(KC, addr));
#endif
#else
  return LDF(KC, addr);
#endif
}

float ld_v(uint addr) {
#if KV_F16
#if USE_STORAGE16
  return float(V16[addr >> 1]);
#else
  return h2f(LD16(VC, addr));
#endif
#else
  return LDF(VC, addr);
#endif
}

void main() {
  const uint Tq = PU(AT_TQ), Hq = PU(AT_HQ), D = PU(AT_D), Dv = PU(AT_DV);
  const uint g = group_index();
  if (g >= Tq * Hq) return; // whole workgroup
  const uint tid = gl_LocalInvocationID.x;
  const uint t = g / Hq, h = g % Hq, kvh = h / PU(AT_GROUP);
#if KV_F16
  const uint es = 2u;
#else
  const uint es = 4u;
#endif
  const int pos = PDYN(AT_QPOS) + int(t);
  const int S = int(PU(AT_S));
  int lo = 0, hi = clamp(PDYN(AT_KVLEN), 0, S);
  if (P(AT_CAUSAL) != 0 && pos + 1 < hi) hi = pos + 1;
  const int window = P(AT_WINDOW);
  if (window > 0 && pos - window + 1 > lo) lo = pos - window + 1;
  const float scale = PF(AT_SCALE);

  const uint qa = PU(AT_Q_BASE) + t * PU(AT_Q_S0) + h * PU(AT_Q_S1);
  for (uint i = tid; i < D; i += WG) q_sh[i] = LDF(Q, qa + i * 4u);
  for (uint i = tid; i < Dv; i += WG) acc_sh[i] = 0.0;
  barrier();

  const uint ka = PU(AT_K_BASE) + kvh * PU(AT_K_S1), ks = PU(AT_K_S0);
  const uint va = PU(AT_V_BASE) + kvh * PU(AT_V_S1), vs = PU(AT_V_S0);
  float m = uintBitsToFloat(0xFF800000u); // -inf
  float l = 0.0;
  for (int s0 = lo; s0 < hi; s0 += int(WG)) {
    const int s = s0 + int(tid);
    float score = uintBitsToFloat(0xFF800000u);
    if (s < hi) {
      const uint kr = ka + uint(s) * ks;
      float dot = 0.0;
      for (uint i = 0u; i < D; ++i) dot += q_sh[i] * ld_k(kr + i * es);
      score = dot * scale;
    }
    const float m_new = max(m, wg_max(score));
    const float corr = exp(m - m_new);
    const float p = s < hi ? exp(score - m_new) : 0.0;
    p_sh[tid] = p;
    l = l * corr + wg_sum(p); // wg_sum's barriers publish p_sh
    const uint nv = uint(min(int(WG), hi - s0));
    for (uint i = tid; i < Dv; i += WG) {
      float a = acc_sh[i] * corr;
      const uint vr = va + uint(s0) * vs + i * es;
      for (uint j = 0u; j < nv; ++j) a += p_sh[j] * ld_v(vr + j * vs);
      acc_sh[i] = a;
    }
    m = m_new;
    barrier(); // p_sh is rewritten by the next chunk
  }
  const uint ya = PU(AT_Y_BASE) + t * PU(AT_Y_S0) + h * PU(AT_Y_S1);
  for (uint i = tid; i < Dv; i += WG) STF(Y, ya + i * 4u, hi > lo ? acc_sh[i] / l : 0.0);
}
