#version 450
// RMSNorm and LayerNorm over the last dimension: one workgroup per row.
// LayerNorm: mean first, then the variance of (x - mean), as the reference;
// each sum strided over the invocations, then reduced in a fixed order.
#include "common.glsl"

TENSOR_RW(1, Y)
TENSOR_RO(2, X)
TENSOR_RO(3, W)
TENSOR_RO(4, BIAS)

void main() {
  const uint row = group_index();
  if (row >= PU(NM_ROWS)) return; // whole workgroup
  const uint tid = gl_LocalInvocationID.x, n = PU(NM_N);
  const uint xa = PU(NM_X_BASE) + row_offset(NM_RD, 1u, row), xs = PU(NM_X_SK);
  const uint ya = PU(NM_Y_BASE) + row_offset(NM_RD, 0u, row), ys = PU(NM_Y_SK);
  float mean = 0.0;
  if (P(NM_LAYER) != 0) {
    float s = 0.0;
    for (uint i = tid; i < n; i += WG) s += LDF(X, xa + i * xs);
    mean = wg_sum(s) / float(n);
  }
  float s2 = 0.0;
  for (uint i = tid; i < n; i += WG) {
    float d = LDF(X, xa + i * xs) - mean;
    s2 += d * d;
  }
  const float inv = 1.0 / sqrt(wg_sum(s2) / float(n) + PF(NM_EPS));
  const bool has_w = P(NM_HAS_W) != 0, has_b = P(NM_HAS_B) != 0;
  const uint wa = PU(NM_W_BASE), ba = PU(NM_B_BASE);
  for (uint i = tid; i < n; i += WG) {
    float v = (LDF(X, xa + i * xs) - mean) * inv;
    if (has_w) v *= LDF(W, wa + i * 4u);
    if (has_b) v += LDF(BIAS, ba + i * 4u);
    STF(Y, ya + i * ys, v);
  }
}
