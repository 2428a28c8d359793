#version 450
// SET_ROWS (KV-cache write): dst[pos + t, ...] = src[t, ...] converted to the
// destination dtype; rows outside [0, S) are skipped. One invocation per
// (source row, destination unit): a block of a GGML format or one element.
#include "common.glsl"

TENSOR_RW(1, DST)
TENSOR_RO(2, SRC)
float cv[256]; // the values of one block
#define SBUF DST
#include "quant.glsl"


void main() {
  const uint rows = PU(SR_ROWS), sub = PU(SR_SUB), n = PU(SR_N), dt = PU(SR_DTYPE);
  const uint be = dt >= TSR_VK_Q8_0 ? (dt <= TSR_VK_Q4_0 ? 32u : 256u) : 1u;
  const uint units = n / be;
  const uint gi = global_index();
  if (gi >= rows * units) return;
  const uint r = gi / units, u = gi % units;
  const int dr0 = PDYN(SR_POS) + int(r / sub);
  if (dr0 < 0 || dr0 >= int(PU(SR_S))) return;
  const uint j = r % sub;
  const uint sa = PU(SR_S_BASE) + (r / sub) * PU(SR_S_S0) + row_offset(SR_RD, 1u, j), ss = PU(SR_S_SK);
  const uint da = PU(SR_D_BASE) + uint(dr0) * PU(SR_D_S0) + row_offset(SR_RD, 0u, j), ds = PU(SR_D_SK);
  if (be == 1u) {
    s_store(dt, da + u * ds, LDF(SRC, sa + u * ss));
    return;
  }
  for (uint l = 0u; l < be; ++l) cv[l] = LDF(SRC, sa + (u * be + l) * ss);
  const uint bb = dt == TSR_VK_Q8_0 ? 34u : (dt == TSR_VK_Q4_0 ? 18u : (dt == TSR_VK_Q4_K ? 144u : (dt == TSR_VK_Q5_K ? 176u : 210u)));
  s_quant(dt, da + u * bb, 0u);
}
