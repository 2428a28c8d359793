#version 450
// CONVERT with a GGML block format on either side: one invocation per run of
// CB_BS elements of a row (32 or 256, the larger block size of the two
// dtypes): read (dequantize or strided plain loads), then write (quantize or
// strided plain stores). DST_Q (compile-time) names a GGML destination
// format; without it the destination is a plain dtype (the source then is a
// GGML format) chosen at run time.
#include "common.glsl"

TENSOR_RW(1, Y)
TENSOR_RO(2, X)
#define QBUF X
#include "dequant.glsl"
float cv[256]; // the values of one block
#define SBUF Y
#ifndef DST_Q
#define QUANT_PLAIN_ONLY 1
#endif
#include "quant.glsl"


void main() {
#ifdef DST_Q
  const uint yt = DST_Q;
#else
  const uint yt = PU(CB_YT);
#endif
  const uint rows = PU(CB_ROWS), n = PU(CB_N), xt = PU(CB_XT), bs = PU(CB_BS);
  const uint units = n / bs;
  const uint gi = global_index();
  if (gi >= rows * units) return;
  const uint r = gi / units, u = gi % units;
  const uint xa = PU(CB_X_BASE) + row_offset(CB_RD, 1u, r), xs = PU(CB_X_SK);
  const uint ya = PU(CB_Y_BASE) + row_offset(CB_RD, 0u, r), ys = PU(CB_Y_SK);
  const uint e0 = u * bs; // first element of this run
  if (q_is_block(xt)) {
    const uint per = q_block_elems(xt);
    [[dont_unroll]] for (uint c = 0u; c < bs; c += 32u) {
      const uint e = e0 + c;
      float v[32];
      q_unit32(xt, xa + (e / per) * q_block_bytes(xt), (e % per) / 32u, v);
      [[dont_unroll]] for (uint l = 0u; l < 32u; ++l) cv[c + l] = v[l];
    }
  } else {
    [[dont_unroll]] for (uint l = 0u; l < bs; ++l) cv[l] = q_load(xt, xa + (e0 + l) * xs);
  }
#ifdef DST_Q
  const uint per = q_block_elems(yt);
  [[dont_unroll]] for (uint c = 0u; c < bs; c += per) s_quant(yt, ya + ((e0 + c) / per) * q_block_bytes(yt), c);
#else
  [[dont_unroll]] for (uint l = 0u; l < bs; ++l) s_store(yt, ya + (e0 + l) * ys, cv[l]);
#endif
}
