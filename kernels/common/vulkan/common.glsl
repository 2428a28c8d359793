// Shared by every Tessera compute shader: the control buffer (dynamic values
// and per-op parameters), tensor bindings as uint arrays with byte-addressed
// access, workgroup reductions (subgroup arithmetic when USE_SUBGROUP), and
// exact half / bfloat16 conversions.
//
// Every tensor is bound as a plain uint[] (any device can run it); sub-word
// stores use atomicAnd/atomicOr on the containing word so invocations that
// write neighbouring bytes never race.
#extension GL_GOOGLE_include_directive : enable
#extension GL_EXT_control_flow_attributes : enable
#if USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

#include "params.h"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64; // workgroup size, a power of two

layout(push_constant) uniform PushConstants { uint po; } pc;
layout(std430, set = 0, binding = 0) readonly buffer Ctl { int ctl[]; };

#define TENSOR_RO(B, NAME) layout(std430, set = 0, binding = B) readonly buffer NAME##_buf { uint NAME[]; };
#define TENSOR_RW(B, NAME) layout(std430, set = 0, binding = B) buffer NAME##_buf { uint NAME[]; };

int P(uint i) { return ctl[pc.po + i]; }
uint PU(uint i) { return uint(ctl[pc.po + i]); }
float PF(uint i) { return intBitsToFloat(ctl[pc.po + i]); }
// A dynamic value: words i (slot) and i + 1 (offset).
int PDYN(uint i) {
  int slot = P(i);
  return P(i + 1) + (slot >= 0 ? ctl[slot] : 0);
}

// Linear workgroup index over a 2-D grid (the host splits large counts).
uint group_index() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }
uint global_index() { return group_index() * WG + gl_LocalInvocationID.x; }

// Byte-addressed loads from a uint[] binding (b: byte address; LD16 needs b
// even, LD32/LDF need b a multiple of 4).
#define LD32(A, b) (A[(b) >> 2])
#define LDF(A, b) uintBitsToFloat(A[(b) >> 2])
#define LD16(A, b) bitfieldExtract(A[(b) >> 2], int(((b) & 2u) << 3), 16)
#define LD8(A, b) bitfieldExtract(A[(b) >> 2], int(((b) & 3u) << 3), 8)
#define LDI8(A, b) bitfieldExtract(int(A[(b) >> 2]), int(((b) & 3u) << 3), 8)

// Stores: whole words directly, halves and bytes atomically on their word.
#define ST32(A, b, v) A[(b) >> 2] = (v)
#define STF(A, b, v) A[(b) >> 2] = floatBitsToUint(v)
#define ST16(A, b, v)                                              \
  {                                                                \
    uint st_sh_ = ((b) & 2u) << 3;                                 \
    atomicAnd(A[(b) >> 2], ~(0xFFFFu << st_sh_));                  \
    atomicOr(A[(b) >> 2], (uint(v) & 0xFFFFu) << st_sh_);          \
  }
#define ST8(A, b, v)                                               \
  {                                                                \
    uint st_sh_ = ((b) & 3u) << 3;                                 \
    atomicAnd(A[(b) >> 2], ~(0xFFu << st_sh_));                    \
    atomicOr(A[(b) >> 2], (uint(v) & 0xFFu) << st_sh_);            \
  }

// IEEE half -> float, exact for every input (subnormals included).
float h2f(uint h) {
  uint s = (h & 0x8000u) << 16;
  uint e = (h >> 10) & 0x1Fu;
  uint m = h & 0x3FFu;
  if (e == 0u) {
    float v = float(m) * (1.0 / 16777216.0); // m * 2^-24: a normal float
    return s != 0u ? -v : v;
  }
  if (e == 31u) return uintBitsToFloat(s | 0x7F800000u | (m << 13));
  return uintBitsToFloat(s | ((e + 112u) << 23) | (m << 13));
}

// float -> half, round to nearest even (bit-identical to hal/fp16.h).
uint f2h(float f) {
  uint x = floatBitsToUint(f);
  uint sign = (x >> 16) & 0x8000u;
  uint absx = x & 0x7FFFFFFFu;
  if (absx >= 0x7F800000u) return sign | 0x7C00u | (absx > 0x7F800000u ? 0x200u : 0u);
  if (absx >= 0x477FF000u) return sign | 0x7C00u;
  if (absx < 0x38800000u) {
    if (absx < 0x33000000u) return sign;
    uint e = absx >> 23;
    uint m = (absx & 0x7FFFFFu) | 0x800000u;
    uint shift = 126u - e;
    uint half_m = m >> shift;
    uint rem = m & ((1u << shift) - 1u);
    uint halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (half_m & 1u) != 0u)) half_m++;
    return sign | half_m;
  }
  uint h = (absx >> 13) - (112u << 10);
  uint rem = absx & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u)) h++;
  return sign | h;
}

float bf2f(uint h) { return uintBitsToFloat(h << 16); }

uint f2bf(float f) {
  uint x = floatBitsToUint(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (x >> 16) | 0x40u;
  x += 0x7FFFu + ((x >> 16) & 1u);
  return x >> 16;
}

// ---- workgroup reductions (every invocation gets the same result) ----
#if USE_SUBGROUP
shared float red_f[WG];
float wg_sum(float v) {
  v = subgroupAdd(v);
  if (subgroupElect()) red_f[gl_SubgroupID] = v;
  barrier();
  float s = 0.0;
  for (uint i = 0u; i < gl_NumSubgroups; ++i) s += red_f[i];
  barrier();
  return s;
}
float wg_max(float v) {
  v = subgroupMax(v);
  if (subgroupElect()) red_f[gl_SubgroupID] = v;
  barrier();
  float s = red_f[0];
  for (uint i = 1u; i < gl_NumSubgroups; ++i) s = max(s, red_f[i]);
  barrier();
  return s;
}
#else
shared float red_f[WG];
float wg_sum(float v) {
  uint tid = gl_LocalInvocationID.x;
  red_f[tid] = v;
  barrier();
  for (uint s = WG / 2u; s > 0u; s >>= 1) {
    if (tid < s) red_f[tid] += red_f[tid + s];
    barrier();
  }
  float r = red_f[0];
  barrier();
  return r;
}
float wg_max(float v) {
  uint tid = gl_LocalInvocationID.x;
  red_f[tid] = v;
  barrier();
  for (uint s = WG / 2u; s > 0u; s >>= 1) {
    if (tid < s) red_f[tid] = max(red_f[tid], red_f[tid + s]);
    barrier();
  }
  float r = red_f[0];
  barrier();
  return r;
}
#endif

// Byte offset of row |r| for tensor |j| of a row descriptor at word |o|.
uint row_offset(uint o, uint j, uint r) {
  uint off = 0u;
  for (int d = TSR_VK_RD - 1; d >= 0; --d) {
    uint e = PU(RD_SHAPE(o) + uint(d));
    off += (r % e) * PU(RD_STRIDE(o, j) + uint(d));
    r /= e;
  }
  return off;
}
