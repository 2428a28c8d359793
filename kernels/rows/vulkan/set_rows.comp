#version 450
// SET_ROWS (KV-cache write): dst[pos + t, ...] = src[t, ...] converted to the
// destination dtype; rows outside [0, S) are skipped. One invocation per
// (source row, destination unit): a block of a GGML format or one element.
// DST_Q (compile-time) names a GGML destination format; without it the
// destination is a plain dtype chosen at run time. One quantizer per
// variant keeps each pipeline small to compile.
#include "common.glsl"

TENSOR_RW(1, DST)
TENSOR_RO(2, SRC)
#define SBUF DST
#ifdef DST_Q
float cv[256]; // the values of one block
#else
#define QUANT_PLAIN_ONLY 1
#endif
#include "quant.glsl"


void main() {
  const uint rows = PU(SR_ROWS), sub = PU(SR_SUB), n = PU(SR_N);
#ifdef DST_Q
  const uint dt = DST_Q, be = dt <= TSR_VK_Q4_0 ? 32u : 256u;
#else
  const uint dt = PU(SR_DTYPE), be = 1u;
#endif
  const uint units = n / be;
  const uint gi = global_index();
  if (gi >= rows * units) return;
  const uint r = gi / units, u = gi % units;
  const int dr0 = PDYN(SR_POS) + int(r / sub);
  if (dr0 < 0 || dr0 >= int(PU(SR_S))) return;
  const uint j = r % sub;
  const uint sa = PU(SR_S_BASE) + (r / sub) * PU(SR_S_S0) + row_offset(SR_RD, 1u, j), ss = PU(SR_S_SK);
  const uint da = PU(SR_D_BASE) + uint(dr0) * PU(SR_D_S0) + row_offset(SR_RD, 0u, j), ds = PU(SR_D_SK);
#ifdef DST_Q
  [[dont_unroll]] for (uint l = 0u; l < be; ++l) cv[l] = LDF(SRC, sa + (u * be + l) * ss);
  const uint bb = dt == TSR_VK_Q8_0 ? 34u : (dt == TSR_VK_Q4_0 ? 18u : (dt == TSR_VK_Q4_K ? 144u : (dt == TSR_VK_Q5_K ? 176u : 210u)));
  s_quant(dt, da + u * bb, 0u);
#else
  s_store(dt, da + u * ds, LDF(SRC, sa + u * ss));
#endif
}
