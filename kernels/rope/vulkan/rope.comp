#version 450
// Rotary position embedding on x[T, H, D]: one invocation per rotated pair
// (t, h, i < n_dims/2) and per passed-through element (n_dims <= j < D).
// theta = (pos + t) * f_i / ff_i with f_i = freq_scale * base^(-2i/n_dims)
// given by the host as a float pair (hi + lo). The angle is carried as a
// float pair, reduced modulo pi/2 with exact products (Veltkamp splitting;
// Vulkan's fma may be unfused), and sin/cos are evaluated by polynomials,
// so large positions keep ~1e-7 accuracy on any device.
#include "common.glsl"

TENSOR_RW(1, Y)
TENSOR_RO(2, X)
TENSOR_RO(3, FF)

// Exact product a * b = p + e (round-to-nearest add and mul, no contraction).
void two_prod(float a, float b, out float p, out float e) {
  precise float ca = 4097.0 * a;
  precise float ah = ca - (ca - a);
  precise float al = a - ah;
  precise float cb = 4097.0 * b;
  precise float bh = cb - (cb - b);
  precise float bl = b - bh;
  precise float pp = a * b;
  precise float ee = ((ah * bh - pp) + ah * bl + al * bh) + al * bl;
  p = pp;
  e = ee;
}

// sin and cos of r in [-pi/4, pi/4] (Cephes single-precision polynomials).
vec2 sincos_reduced(float r) {
  precise float z = r * r;
  precise float s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
  precise float c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
  return vec2(s, c);
}

// (sin, cos) of the float pair th + tl.
vec2 sincos_pair(float th, float tl) {
  const float C1 = 1.57079637050628662109375;        // float(pi/2)
  const float C2 = -4.37113900018624283e-8;          // float(pi/2 - C1)
  const float C3 = -1.7151245100059144e-15;          // pi/2 - C1 - C2
  precise float k = roundEven(th * 0.636619772367581343);
  float p1, e1, p2, e2;
  two_prod(k, C1, p1, e1);
  two_prod(k, C2, p2, e2);
  precise float r = th - p1; // exact (Sterbenz)
  r = r - e1;
  r = r + tl;
  r = r - p2;
  r = r - e2;
  r = r - k * C3;
  vec2 sc = sincos_reduced(r);
  int q = int(k) & 3;
  if (q == 0) return sc;
  if (q == 1) return vec2(sc.y, -sc.x);
  if (q == 2) return vec2(-sc.x, -sc.y);
  return vec2(-sc.y, sc.x);
}

void main() {
  const uint T = PU(RP_T), H = PU(RP_H), D = PU(RP_D), nd = PU(RP_NDIMS), half_ = nd / 2u;
  const uint per_row = half_ + (D - nd);
  const uint gi = global_index();
  if (gi >= T * H * per_row) return;
  const uint row = gi / per_row, j = gi % per_row;
  const uint t = row / H, h = row % H;
  const uint xa = PU(RP_X_BASE) + t * PU(RP_X_S0) + h * PU(RP_X_S1);
  const uint ya = PU(RP_Y_BASE) + t * PU(RP_Y_S0) + h * PU(RP_Y_S1);
  if (j >= half_) { // passed through
    const uint e = nd + (j - half_);
    STF(Y, ya + e * 4u, LDF(X, xa + e * 4u));
    return;
  }
  const uint i = j;
  const float pos = float(PDYN(RP_POS) + int(t));
  float th, tl;
  two_prod(pos, PF(RP_FREQ + 2u * i), th, tl);
  precise float lo = tl + pos * PF(RP_FREQ + 2u * i + 1u);
  if (P(RP_HAS_FF) != 0) { // divide the pair by ff[i]
    const float f = LDF(FF, PU(RP_FF_BASE) + i * 4u);
    precise float q = th / f;
    float qp, qe;
    two_prod(q, f, qp, qe);
    precise float rem = ((th - qp) - qe) + lo;
    precise float ql = rem / f;
    th = q + ql;
    lo = ql - (th - q);
  } else {
    precise float s = th + lo;
    lo = lo - (s - th);
    th = s;
  }
  const vec2 sc = sincos_pair(th, lo);
  const bool neox = P(RP_MODE) == 1;
  const uint i0 = neox ? i : 2u * i, i1 = neox ? i + half_ : 2u * i + 1u;
  const float x0 = LDF(X, xa + i0 * 4u), x1 = LDF(X, xa + i1 * 4u);
  STF(Y, ya + i0 * 4u, x0 * sc.y - x1 * sc.x);
  STF(Y, ya + i1 * 4u, x0 * sc.x + x1 * sc.y);
}
