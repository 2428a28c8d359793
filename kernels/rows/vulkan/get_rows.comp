#version 450
// GET_ROWS: y[t, :] = table[ids[t], :] dequantized to f32 (zeros for an id
// outside [0, V)). One invocation per (t, unit): a 32-element block or
// sub-block of a GGML format, or one element of a plain dtype.
#include "common.glsl"

TENSOR_RW(1, Y)
TENSOR_RO(2, TAB)
TENSOR_RO(3, IDS)
#define QBUF TAB
#include "dequant.glsl"

void main() {
  const uint T = PU(GR_T), D = PU(GR_D), dt = PU(GR_DTYPE);
  const bool blocks = q_is_block(dt);
  const uint units = blocks ? D / 32u : D;
  const uint gi = global_index();
  if (gi >= T * units) return;
  const uint t = gi / units, u = gi % units;
  const uint ia = PU(GR_IDS_BASE) + t * PU(GR_IDS_S0);
  const uint id = LD32(IDS, ia);
  bool ok = int(id) >= 0 && id < PU(GR_V);
  if (P(GR_IDS64) != 0 && LD32(IDS, ia + 4u) != 0u) ok = false; // high word of an i64 id
  const uint ya = PU(GR_Y_BASE) + t * PU(GR_Y_S0), ys = PU(GR_Y_SK);
  const uint ra = PU(GR_TAB_BASE) + (ok ? id : 0u) * PU(GR_TAB_S0);
  if (blocks) {
    const uint subs = q_block_elems(dt) / 32u;
    float v[32];
    q_unit32(dt, ra + (u / subs) * q_block_bytes(dt), u % subs, v);
    for (uint l = 0u; l < 32u; ++l) STF(Y, ya + (u * 32u + l) * ys, ok ? v[l] : 0.0);
  } else {
    STF(Y, ya + u * ys, ok ? q_load(dt, ra + u * PU(GR_TAB_SK)) : 0.0);
  }
}
