#version 450
// y[.., M, N] = alpha * a[.., M, K] @ b[.., N, K]^T (+ bias[N]) for larger M
// (prefill): one workgroup of 64 invocations computes a 32 x 32 tile of y,
// 4 x 4 outputs per invocation, stepping over K in slices of 32: the slice
// of a (32 rows) and of b (32 rows, dequantized once: one GGML block or
// K-format sub-block per row) go to shared memory, then every invocation
// accumulates its 16 outputs. Each output is a serial sum over K in a fixed
// order. Same parameter block as matmul.comp; WTYPE is the dtype of b.
#include "common.glsl"

TENSOR_RW(1, Y)
TENSOR_RO(2, A)
TENSOR_RO(3, B)
TENSOR_RO(4, BIAS)
#define QBUF B
#include "dequant.glsl"

#define TM 32u
#define TN 32u
#define TK 32u

shared float a_sh[TK][TM + 1u]; // [k][m], padded against bank conflicts
shared float b_sh[TK][TN + 1u]; // [k][n]

void main() {
  const uint tid = gl_LocalInvocationID.x; // 0 .. 63
  const uint M = PU(MM_M), N = PU(MM_N), K = PU(MM_K);
  const uint n_tiles = (N + TN - 1u) / TN;
  const uint g = group_index();
  const uint m0 = (g / n_tiles) * TM, n0 = (g % n_tiles) * TN;
  if (m0 >= M) return; // whole workgroup

  uint yo = PU(MM_Y_BASE), ao = PU(MM_A_BASE), bo = PU(MM_B_BASE);
  uint rem = gl_WorkGroupID.z;
  for (int d = 3; d >= 0; --d) {
    uint e = PU(MM_BSHAPE + uint(d));
    uint i = rem % e;
    rem /= e;
    yo += i * PU(MM_BSTRIDE(0) + uint(d));
    ao += i * PU(MM_BSTRIDE(1) + uint(d));
    bo += i * PU(MM_BSTRIDE(2) + uint(d));
  }
  const uint a_sm = PU(MM_A_SM), a_sk = PU(MM_A_SK), b_sn = PU(MM_B_SN), b_sk = PU(MM_B_SK);
  const uint tm = (tid / 8u) * 4u, tn = (tid % 8u) * 4u; // this invocation's 4 x 4 outputs

  float acc[4][4];
  for (uint i = 0u; i < 4u; ++i)
    for (uint j = 0u; j < 4u; ++j) acc[i][j] = 0.0;

  for (uint k0 = 0u; k0 < K; k0 += TK) {
    // a: 32 x 32 floats, 16 per invocation (zeros past M and K).
    for (uint e = tid; e < TM * TK; e += 64u) {
      const uint r = e / TK, c = e % TK;
      const uint m = m0 + r, k = k0 + c;
      a_sh[c][r] = (m < M && k < K) ? LDF(A, ao + m * a_sm + k * a_sk) : 0.0;
    }
#if WTYPE >= TSR_VK_Q8_0
    // b: row n's 32-weight unit of this slice, dequantized by one invocation.
    if (tid < TN) {
      const uint n = min(n0 + tid, N - 1u);
      const uint u = k0 / 32u, subs = q_block_elems(WTYPE) / 32u;
      float w[32];
      q_unit32(WTYPE, bo + n * b_sn + (u / subs) * q_block_bytes(WTYPE), u % subs, w);
      for (uint l = 0u; l < 32u; ++l) b_sh[l][tid] = w[l];
    }
#else
    for (uint e = tid; e < TN * TK; e += 64u) {
      const uint r = e / TK, c = e % TK;
      const uint n = n0 + r, k = k0 + c;
      b_sh[c][r] = (n < N && k < K) ? q_load(WTYPE, bo + n * b_sn + k * b_sk) : 0.0;
    }
#endif
    barrier();
    for (uint k = 0u; k < TK; ++k) {
      float av[4], bv[4];
      for (uint i = 0u; i < 4u; ++i) av[i] = a_sh[k][tm + i];
      for (uint j = 0u; j < 4u; ++j) bv[j] = b_sh[k][tn + j];
      for (uint i = 0u; i < 4u; ++i)
        for (uint j = 0u; j < 4u; ++j) acc[i][j] += av[i] * bv[j];
    }
    barrier();
  }

  const float alpha = PF(MM_ALPHA) != 0.0 ? PF(MM_ALPHA) : 1.0;
  const bool has_bias = P(MM_HAS_BIAS) != 0;
  const uint y_sm = PU(MM_Y_SM), bias_base = PU(MM_BIAS_BASE);
  for (uint i = 0u; i < 4u; ++i) {
    const uint m = m0 + tm + i;
    if (m >= M) break;
    for (uint j = 0u; j < 4u; ++j) {
      const uint n = n0 + tn + j;
      if (n >= N) break;
      float v = acc[i][j] * alpha;
      if (has_bias) v += LDF(BIAS, bias_base + n * 4u);
      STF(Y, yo + m * y_sm + n * 4u, v);
    }
  }
}
