// Reading any Tessera dtype from the uint[] binding QBUF (define it before
// including), bit-compatible with kernels/convert/convert_ref.c:
//   q_load(dt, addr)             one plain element at byte address addr
//   q_unit32(dt, blk, sub, v)    32 consecutive values: the whole block at
//                                byte address blk (Q8_0, Q4_0) or its 32-element
//                                sub-block |sub| (0..7) for the K formats
// With QBUF8 (an int8_t[] view of the same binding) and QBUF16 (a float16_t[]
// view) defined, Q8_0, Q4_0 and F16 use 8/16-bit storage loads instead of
// extracting bytes from words.

uint q_block_bytes(uint dt) {
  switch (dt) {
    case TSR_VK_Q8_0: return 34u;
    case TSR_VK_Q4_0: return 18u;
    case TSR_VK_Q4_K: return 144u;
    case TSR_VK_Q5_K: return 176u;
    case TSR_VK_Q6_K: return 210u;
    case TSR_VK_F16: case TSR_VK_BF16: return 2u;
    case TSR_VK_I8: case TSR_VK_U8: return 1u;
    case TSR_VK_I64: return 8u;
    default: return 4u;
  }
}

uint q_block_elems(uint dt) {
  if (dt == TSR_VK_Q8_0 || dt == TSR_VK_Q4_0) return 32u;
  if (dt == TSR_VK_Q4_K || dt == TSR_VK_Q5_K || dt == TSR_VK_Q6_K) return 256u;
  return 1u;
}

bool q_is_block(uint dt) { return dt >= TSR_VK_Q8_0; }

float q_f16(uint addr) {
#ifdef QBUF16
  return float(QBUF16[addr >> 1]);
#else
  return h2f(LD16(QBUF, addr));
#endif
}

// int64 -> float: exact when the value fits in 32 bits.
float i64_to_f(uint lo, uint hi) {
  if (hi == ((lo & 0x80000000u) != 0u ? 0xFFFFFFFFu : 0u)) return float(int(lo));
  return float(int(hi)) * 4294967296.0 + float(lo);
}

float q_load(uint dt, uint addr) {
  switch (dt) {
    case TSR_VK_F32: return LDF(QBUF, addr);
    case TSR_VK_F16: return q_f16(addr);
    case TSR_VK_BF16: return bf2f(LD16(QBUF, addr));
    case TSR_VK_I8: return float(LDI8(QBUF, addr));
    case TSR_VK_U8: return float(LD8(QBUF, addr));
    case TSR_VK_I32: return float(int(LD32(QBUF, addr)));
    case TSR_VK_I64: return i64_to_f(LD32(QBUF, addr), LD32(QBUF, addr + 4u));
    default: return 0.0;
  }
}

// 6-bit scale (x) and min (y) of sub-block j of a Q4_K / Q5_K block whose
// scales[12] start at byte address sa.
uvec2 q_scale_min_k4(uint j, uint sa) {
  if (j < 4u) return uvec2(LD8(QBUF, sa + j) & 63u, LD8(QBUF, sa + j + 4u) & 63u);
  uint a = LD8(QBUF, sa + j + 4u), b = LD8(QBUF, sa + j - 4u), c = LD8(QBUF, sa + j);
  return uvec2((a & 0xFu) | ((b >> 6) << 4), (a >> 4) | ((c >> 6) << 4));
}

void q_unit32(uint dt, uint blk, uint sub, out float v[32]) {
  if (dt == TSR_VK_Q8_0) {
    float d = q_f16(blk);
    for (uint l = 0u; l < 32u; ++l) {
#ifdef QBUF8
      v[l] = float(int(QBUF8[blk + 2u + l])) * d;
#else
      v[l] = float(LDI8(QBUF, blk + 2u + l)) * d;
#endif
    }
  } else if (dt == TSR_VK_Q4_0) {
    float d = q_f16(blk);
    for (uint l = 0u; l < 16u; ++l) {
#ifdef QBUF8
      uint q = uint(QBUF8[blk + 2u + l]) & 0xFFu;
#else
      uint q = LD8(QBUF, blk + 2u + l);
#endif
      v[l] = float(int(q & 0xFu) - 8) * d;
      v[l + 16u] = float(int(q >> 4) - 8) * d;
    }
  } else if (dt == TSR_VK_Q4_K || dt == TSR_VK_Q5_K) {
    float d = h2f(LD16(QBUF, blk)), dmin = h2f(LD16(QBUF, blk + 2u));
    uvec2 sm = q_scale_min_k4(sub, blk + 4u);
    float d1 = d * float(sm.x), m1 = dmin * float(sm.y);
    uint c = sub >> 1, hi = (sub & 1u) * 4u;
    uint qa = blk + (dt == TSR_VK_Q4_K ? 16u : 48u) + 32u * c;
    for (uint l = 0u; l < 32u; ++l) {
      uint q = (LD8(QBUF, qa + l) >> hi) & 0xFu;
      if (dt == TSR_VK_Q5_K) q += ((LD8(QBUF, blk + 16u + l) >> sub) & 1u) * 16u;
      v[l] = d1 * float(q) - m1;
    }
  } else if (dt == TSR_VK_Q6_K) {
    float d = h2f(LD16(QBUF, blk + 208u));
    uint half_ = sub >> 2, quarter = sub & 3u;
    uint ql = blk + 64u * half_ + ((quarter & 1u) != 0u ? 32u : 0u);
    uint qh = blk + 128u + 32u * half_;
    uint sc = blk + 192u + 8u * half_ + 2u * quarter;
    uint lshift = quarter >= 2u ? 4u : 0u, hshift = 2u * quarter;
    for (uint l = 0u; l < 32u; ++l) {
      int q = int(((LD8(QBUF, ql + l) >> lshift) & 0xFu) | (((LD8(QBUF, qh + l) >> hshift) & 3u) << 4)) - 32;
      float s = float(LDI8(QBUF, sc + (l >> 4)));
      v[l] = d * s * float(q);
    }
  } else {
    for (uint l = 0u; l < 32u; ++l) v[l] = 0.0;
  }
}
