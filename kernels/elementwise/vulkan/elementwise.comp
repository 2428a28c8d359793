#version 450
// Elementwise ops over a strided, broadcasting index space (one invocation
// per element of y): UNARY (OP_UNARY), BINARY (OP_BINARY) and CONVERT between
// plain dtypes (OP_CONVERT). Functions evaluated in f32; erf by a rational
// approximation (|error| < 1.2e-7). The kind (UNARY, BINARY) or the source
// and destination dtypes (CONVERT) are specialisation constants, so each
// pipeline holds one function and no per-element branch.
#include "common.glsl"

layout(constant_id = 1) const int SC_KIND = 0; // unary / binary kind; CONVERT: source dtype
layout(constant_id = 2) const int SC_DST = 0;  // CONVERT: destination dtype

TENSOR_RW(1, Y)
TENSOR_RO(2, XA)
TENSOR_RO(3, XB)

#if OP_CONVERT
#define QBUF XA
#include "dequant.glsl"
#define SBUF Y
#define QUANT_PLAIN_ONLY 1
#include "quant.glsl"
#endif

// erf(x), |error| < 1.2e-7 (W. J. Cody's rational approximations, as in
// Numerical Recipes' erfc with a Chebyshev fit).
float erf_f(float x) {
  float z = abs(x);
  float t = 1.0 / (1.0 + 0.5 * z);
  float r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
            t * (-0.82215223 + t * 0.17087277)))))))));
  float e = 1.0 - r;
  return x >= 0.0 ? e : -e;
}

float tanh_f(float x) {
  // tanh via exp of -2|x| (accurate near 0 and for large |x|).
  float z = abs(x);
  if (z < 0.0004) return x;
  float e = exp(-2.0 * z);
  float r = (1.0 - e) / (1.0 + e);
  return x >= 0.0 ? r : -r;
}

float unary_f(int kind, float x, float alpha, float beta) {
  switch (kind) {
    case 0: return x / (1.0 + exp(-x));                                     // silu
    case 1: return 0.5 * x * (1.0 + tanh_f(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case 2: return 0.5 * x * (1.0 + erf_f(x * 0.7071067811865476));        // gelu_erf
    case 3: return x > 0.0 ? x : 0.0;                                       // relu
    case 4: return x < 0.0 ? alpha * x : x;                                 // leaky_relu
    case 5: return 1.0 / (1.0 + exp(-x));                                   // sigmoid
    case 6: return max(0.0, min(1.0, alpha * x + beta));                    // hard_sigmoid
    case 7: return x * max(0.0, min(1.0, x / 6.0 + 0.5));                   // hard_swish
    case 8: return tanh_f(x);
    case 9: return erf_f(x);
    case 10: return sqrt(x);
    case 11: return exp(x);
    case 12: return -x;
    case 13: return abs(x);
    case 14: return min(max(x, alpha), beta);                               // clip
    case 15: return alpha * x + beta;                                       // scale
    default: return 0.0;
  }
}

float pow_f(float a, float b) {
  if (b == 0.0) return 1.0;
  if (a == 0.0) return b > 0.0 ? 0.0 : uintBitsToFloat(0x7F800000u);
  if (a < 0.0) {
    if (b != floor(b)) return uintBitsToFloat(0x7FC00000u); // NaN
    float r = exp2(b * log2(-a));
    return mod(b, 2.0) == 1.0 ? -r : r;
  }
  return exp2(b * log2(a));
}

float binary_f(int kind, float a, float b) {
  switch (kind) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return pow_f(a, b);
    case 5: return isnan(a) ? b : (isnan(b) ? a : max(a, b));  // fmax
    case 6: return isnan(a) ? b : (isnan(b) ? a : min(a, b));  // fmin
    case 7: return a < 0.0 ? a * b : a;                         // prelu
    case 8: return a / (1.0 + exp(-a)) * b;                     // swiglu
    default: return 0.0;
  }
}

void main() {
  const uint gi = global_index();
  if (gi >= PU(EW_N)) return;
  uint oy = PU(EW_T(0)), oa = PU(EW_T(1)), ob = PU(EW_T(2));
  const int nd = P(EW_NDIM);
  if (nd <= 1) { // one dimension (contiguous or evenly strided): no division
    const uint d = TSR_VK_ND - 1;
    oy += gi * PU(EW_T(0) + 1u + d);
    oa += gi * PU(EW_T(1) + 1u + d);
    ob += gi * PU(EW_T(2) + 1u + d);
  } else {
    uint rem = gi;
    for (int d = TSR_VK_ND - 1; d >= TSR_VK_ND - nd; --d) {
      uint e = PU(EW_SHAPE + uint(d));
      uint i = rem % e;
      rem /= e;
      oy += i * PU(EW_T(0) + 1u + uint(d));
      oa += i * PU(EW_T(1) + 1u + uint(d));
      ob += i * PU(EW_T(2) + 1u + uint(d));
    }
  }
#if OP_UNARY
  STF(Y, oy, unary_f(SC_KIND, LDF(XA, oa), PF(EW_ALPHA), PF(EW_BETA)));
#elif OP_BINARY
  STF(Y, oy, binary_f(SC_KIND, LDF(XA, oa), LDF(XB, ob)));
#elif OP_CONVERT
  const uint xt = uint(SC_KIND), yt = uint(SC_DST);
  if (xt == yt && (xt == TSR_VK_I32 || xt == TSR_VK_I64 || xt == TSR_VK_F32)) { // exact copy
    ST32(Y, oy, LD32(XA, oa));
    if (xt == TSR_VK_I64) ST32(Y, oy + 4u, LD32(XA, oa + 4u));
    return;
  }
  s_store(yt, oy, q_load(xt, oa));
#endif
}
