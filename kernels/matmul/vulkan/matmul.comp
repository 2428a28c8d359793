#version 450
// y[.., M, N] = alpha * a[.., M, K] @ b[.., N, K]^T (+ bias[N]).
// One workgroup computes an MT x NR tile of y (MT rows of a, NR rows of b)
// for one batch: its invocations stride over K in units (one element for
// plain weights, one 32-element block or sub-block for GGML formats; the
// weight unit is dequantized once and dotted with the MT rows of a), then
// the MT*NR partial sums are reduced in a fixed order.
// Compile-time: WTYPE (dtype id of b; TSR_VK_I8 with an i8 a gives the
// integer path), USE_SUBGROUP, USE_STORAGE8 / USE_STORAGE16 (8/16-bit
// storage loads of the weights).
#if USE_STORAGE8
#extension GL_EXT_shader_8bit_storage : require
#endif
#if USE_STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"

layout(constant_id = 1) const uint MT = 1; // rows of a per workgroup
layout(constant_id = 2) const uint NR = 1; // rows of b per workgroup

TENSOR_RW(1, Y)
TENSOR_RO(2, A)
TENSOR_RO(3, B)
TENSOR_RO(4, BIAS)
TENSOR_RO(5, ASCALE)
TENSOR_RO(6, BSCALE)
#if USE_STORAGE8
layout(std430, set = 0, binding = 3) readonly buffer B8_buf { int8_t B8[]; };
layout(std430, set = 0, binding = 2) readonly buffer A8_buf { int8_t A8[]; };
#define QBUF8 B8
#endif
#if USE_STORAGE16
layout(std430, set = 0, binding = 3) readonly buffer B16_buf { float16_t B16[]; };
#define QBUF16 B16
#endif
#define QBUF B
#include "dequant.glsl"

#if WTYPE == TSR_VK_I8
#define ACC_T int
#define ACC_ZERO 0
shared int sh[MT * NR * WG];
#else
#define ACC_T float
#define ACC_ZERO 0.0
shared float sh[MT * NR * WG];
#endif

#if WTYPE == TSR_VK_I8
int ld_i8a(uint addr) {
#if USE_STORAGE8
  return int(A8[addr]);
#else
  return LDI8(A, addr);
#endif
}
int ld_i8b(uint addr) {
#if USE_STORAGE8
  return int(B8[addr]);
#else
  return LDI8(B, addr);
#endif
}
#endif

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint M = PU(MM_M), N = PU(MM_N), K = PU(MM_K);
  const uint n_groups = (N + NR - 1u) / NR;
  const uint g = group_index();
  const uint m0 = (g / n_groups) * MT, n0 = (g % n_groups) * NR;
  if (m0 >= M) return; // whole workgroup

  // Batch offsets (numpy broadcasting: stride 0 on broadcast dimensions).
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

  ACC_T acc[MT * NR];
  for (uint p = 0u; p < MT * NR; ++p) acc[p] = ACC_ZERO;

#if WTYPE == TSR_VK_I8
  for (uint k = tid; k < K; k += WG) {
    for (uint r = 0u; r < NR; ++r) {
      uint n = min(n0 + r, N - 1u);
      int w = ld_i8b(bo + n * b_sn + k * b_sk);
      for (uint m = 0u; m < MT; ++m) {
        uint mm = min(m0 + m, M - 1u);
        acc[m * NR + r] += ld_i8a(ao + mm * a_sm + k * a_sk) * w;
      }
    }
  }
#elif WTYPE >= TSR_VK_Q8_0
  // Units of 32 weights: a whole Q8_0/Q4_0 block or a K-format sub-block.
  const uint subs = q_block_elems(WTYPE) / 32u;
  const uint units = K / 32u;
  for (uint u = tid; u < units; u += WG) {
    const uint blk = u / subs, sub = u % subs;
    for (uint r = 0u; r < NR; ++r) {
      uint n = min(n0 + r, N - 1u);
      float w[32];
      q_unit32(WTYPE, bo + n * b_sn + blk * q_block_bytes(WTYPE), sub, w);
      for (uint m = 0u; m < MT; ++m) {
        uint aa = ao + min(m0 + m, M - 1u) * a_sm + u * 32u * a_sk;
        float s = 0.0;
        for (uint l = 0u; l < 32u; ++l) s += LDF(A, aa + l * a_sk) * w[l];
        acc[m * NR + r] += s;
      }
    }
  }
#else
  for (uint k = tid; k < K; k += WG) {
    for (uint r = 0u; r < NR; ++r) {
      uint n = min(n0 + r, N - 1u);
      float w = q_load(WTYPE, bo + n * b_sn + k * b_sk);
      for (uint m = 0u; m < MT; ++m) {
        uint mm = min(m0 + m, M - 1u);
        acc[m * NR + r] += LDF(A, ao + mm * a_sm + k * a_sk) * w;
      }
    }
  }
#endif

  // Reduce the MT*NR partial sums over the workgroup, fixed order.
#if USE_SUBGROUP
  for (uint p = 0u; p < MT * NR; ++p) {
    ACC_T s = subgroupAdd(acc[p]);
    if (subgroupElect()) sh[p * WG + gl_SubgroupID] = s;
  }
  barrier();
  const uint parts = gl_NumSubgroups;
#else
  for (uint p = 0u; p < MT * NR; ++p) sh[p * WG + tid] = acc[p];
  barrier();
  for (uint s = WG / 2u; s > 1u; s >>= 1) {
    if (tid < s) {
      for (uint p = 0u; p < MT * NR; ++p) sh[p * WG + tid] += sh[p * WG + tid + s];
    }
    barrier();
  }
  const uint parts = min(WG, 2u);
#endif
  for (uint p = tid; p < MT * NR; p += WG) {
    const uint m = m0 + p / NR, n = n0 + p % NR;
    if (m >= M || n >= N) continue;
    ACC_T t = ACC_ZERO;
    for (uint i = 0u; i < parts; ++i) t += sh[p * WG + i];
    const uint ya = yo + m * PU(MM_Y_SM) + n * 4u;
    const float alpha = PF(MM_ALPHA);
#if WTYPE == TSR_VK_I8
    if (P(MM_SCALED) == 0) { // i32 destination: the raw sums
      ST32(Y, ya, uint(t));
      continue;
    }
    float v = float(t) * (alpha != 0.0 ? alpha : 1.0);
    if (P(MM_SCALED) != 0) v *= LDF(ASCALE, PU(MM_AS_BASE) + m * 4u) * LDF(BSCALE, PU(MM_BS_BASE) + n * 4u);
#else
    float v = t * (alpha != 0.0 ? alpha : 1.0);
#endif
    if (P(MM_HAS_BIAS) != 0) v += LDF(BIAS, PU(MM_BIAS_BASE) + n * 4u);
    STF(Y, ya, v);
  }
}
