#version 450
// Softmax over the last dimension, optionally causal (element (r, s) of each
// [R, S] slice masked when s > q_pos + r): one workgroup per row, three passes
// (max, sum of exponentials, normalised write). A fully masked row is zeros.
#include "common.glsl"

TENSOR_RW(1, Y)
TENSOR_RO(2, X)

void main() {
  const uint row = group_index();
  if (row >= PU(SM_ROWS)) return; // whole workgroup
  const uint tid = gl_LocalInvocationID.x, S = PU(SM_S);
  const uint xa = PU(SM_X_BASE) + row_offset(SM_RD, 1u, row), xs = PU(SM_X_SK);
  const uint ya = PU(SM_Y_BASE) + row_offset(SM_RD, 0u, row), ys = PU(SM_Y_SK);
  const float scale = PF(SM_SCALE) != 0.0 ? PF(SM_SCALE) : 1.0;
  uint valid = S;
  if (P(SM_CAUSAL) != 0) {
    int lim = PDYN(SM_QPOS) + int(row % PU(SM_R)) + 1;
    valid = uint(clamp(lim, 0, int(S)));
  }
  float mx = uintBitsToFloat(0xFF800000u); // -inf
  for (uint s = tid; s < valid; s += WG) mx = max(mx, LDF(X, xa + s * xs) * scale);
  mx = wg_max(mx);
  float sum = 0.0;
  for (uint s = tid; s < valid; s += WG) sum += exp(LDF(X, xa + s * xs) * scale - mx);
  sum = wg_sum(sum);
  const float inv = 1.0 / sum;
  for (uint s = tid; s < S; s += WG) {
    float v = s < valid ? exp(LDF(X, xa + s * xs) * scale - mx) * inv : 0.0;
    STF(Y, ya + s * ys, v);
  }
}
