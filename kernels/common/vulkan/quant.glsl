// Writing any Tessera dtype into the uint[] binding SBUF (define it before
// including), following kernels/convert/convert_ref.c:
//   s_store(dt, addr, v)     one plain element (integers rounded to nearest
//                            even and saturated, NaN -> 0)
//   s_quant(dt, addr, o)     one block from the private array cv[o .. o + 32)
//                            (Q8_0, Q4_0) or cv[o .. o + 256) (K formats)
// The including shader declares `float cv[256];` at global scope, or
// defines QUANT_PLAIN_ONLY to get s_store alone. The quantizers are a cold
// path: their loops stay rolled so pipelines compile fast.

// C roundf: half away from zero.
float round_away(float x) {
  float t = trunc(x);
  if (abs(x - t) >= 0.5) t += sign(x);
  return t;
}

float sat_round(float v, float lo, float hi) {
  if (isnan(v)) return 0.0;
  return clamp(roundEven(v), lo, hi);
}

void s_store(uint dt, uint addr, float v) {
  switch (dt) {
    case TSR_VK_F32: STF(SBUF, addr, v); break;
    case TSR_VK_F16: ST16(SBUF, addr, f2h(v)); break;
    case TSR_VK_BF16: ST16(SBUF, addr, f2bf(v)); break;
    case TSR_VK_I8: ST8(SBUF, addr, uint(int(sat_round(v, -128.0, 127.0)))); break;
    case TSR_VK_U8: ST8(SBUF, addr, uint(sat_round(v, 0.0, 255.0))); break;
    case TSR_VK_I32: {
      float r = isnan(v) ? 0.0 : roundEven(v);
      int q = r >= 2147483648.0 ? 0x7FFFFFFF : (r <= -2147483648.0 ? int(0x80000000u) : int(r));
      ST32(SBUF, addr, uint(q));
      break;
    }
    case TSR_VK_I64: {
      float r = isnan(v) ? 0.0 : roundEven(v);
      uint lo, hi;
      if (r >= 9223372036854775808.0) {
        lo = 0xFFFFFC00u;
        hi = 0x7FFFFFFFu;
      } else if (r <= -9223372036854775808.0) {
        lo = 0u;
        hi = 0x80000000u;
      } else if (abs(r) < 2147483648.0) {
        int q = int(r);
        lo = uint(q);
        hi = q < 0 ? 0xFFFFFFFFu : 0u;
      } else {
        float h = floor(r * (1.0 / 4294967296.0));
        lo = uint(r - h * 4294967296.0);
        hi = uint(int(h));
      }
      ST32(SBUF, addr, lo);
      ST32(SBUF, addr + 4u, hi);
      break;
    }
    default: break;
  }
}

#ifndef QUANT_PLAIN_ONLY
void s_quant_q8_0(uint addr, uint o) {
  float amax = 0.0;
  [[dont_unroll]] for (uint j = 0u; j < 32u; ++j) amax = max(amax, abs(cv[o + j]));
  float d = amax / 127.0, id = d != 0.0 ? 1.0 / d : 0.0;
  ST16(SBUF, addr, f2h(d));
  [[dont_unroll]] for (uint j = 0u; j < 32u; ++j) ST8(SBUF, addr + 2u + j, uint(int(round_away(cv[o + j] * id))));
}

void s_quant_q4_0(uint addr, uint o) {
  float amax = 0.0, mx = 0.0;
  [[dont_unroll]] for (uint j = 0u; j < 32u; ++j) {
    if (amax < abs(cv[o + j])) {
      amax = abs(cv[o + j]);
      mx = cv[o + j];
    }
  }
  float d = mx / -8.0, id = d != 0.0 ? 1.0 / d : 0.0;
  ST16(SBUF, addr, f2h(d));
  [[dont_unroll]] for (uint j = 0u; j < 16u; ++j) {
    int x0 = clamp(int(cv[o + j] * id + 8.5), 0, 15), x1 = clamp(int(cv[o + j + 16u] * id + 8.5), 0, 15);
    ST8(SBUF, addr + 2u + j, uint(x0 | (x1 << 4)));
  }
}

uint q_scales_k[12];
uint q_levels[256];

// Affine 6-bit scales and mins per 32-element sub-block (Q4_K nmax 15, Q5_K
// 31); fills q_scales_k, q_levels and returns (d, dmin) as halves.
uvec2 s_quant_affine_k(uint o, int nmax) {
  float sc[8], mn[8], max_sc = 0.0, max_mn = 0.0;
  [[dont_unroll]] for (uint j = 0u; j < 8u; ++j) {
    float lo = 0.0, hi = 0.0;
    [[dont_unroll]] for (uint l = 0u; l < 32u; ++l) {
      lo = min(lo, cv[o + 32u * j + l]);
      hi = max(hi, cv[o + 32u * j + l]);
    }
    sc[j] = (hi - lo) / float(nmax);
    mn[j] = -lo;
    max_sc = max(max_sc, sc[j]);
    max_mn = max(max_mn, mn[j]);
  }
  float inv_sc = max_sc > 0.0 ? 63.0 / max_sc : 0.0;
  float inv_mn = max_mn > 0.0 ? 63.0 / max_mn : 0.0;
  [[dont_unroll]] for (uint j = 0u; j < 12u; ++j) q_scales_k[j] = 0u;
  [[dont_unroll]] for (uint j = 0u; j < 8u; ++j) {
    uint ls = uint(min(int(roundEven(inv_sc * sc[j])), 63));
    uint lm = uint(min(int(roundEven(inv_mn * mn[j])), 63));
    if (j < 4u) {
      q_scales_k[j] = ls;
      q_scales_k[j + 4u] = lm;
    } else {
      q_scales_k[j + 4u] = (ls & 0xFu) | ((lm & 0xFu) << 4);
      q_scales_k[j - 4u] |= (ls >> 4) << 6;
      q_scales_k[j] |= (lm >> 4) << 6;
    }
  }
  uint hd = f2h(max_sc / 63.0), hdmin = f2h(max_mn / 63.0);
  float d = h2f(hd), dmin = h2f(hdmin);
  [[dont_unroll]] for (uint j = 0u; j < 8u; ++j) {
    uint s, m;
    if (j < 4u) {
      s = q_scales_k[j] & 63u;
      m = q_scales_k[j + 4u] & 63u;
    } else {
      s = (q_scales_k[j + 4u] & 0xFu) | ((q_scales_k[j - 4u] >> 6) << 4);
      m = (q_scales_k[j + 4u] >> 4) | ((q_scales_k[j] >> 6) << 4);
    }
    float de = d * float(s), me = dmin * float(m);
    [[dont_unroll]] for (uint l = 0u; l < 32u; ++l) {
      int q = de != 0.0 ? int(roundEven((cv[o + 32u * j + l] + me) / de)) : 0;
      q_levels[32u * j + l] = uint(clamp(q, 0, nmax));
    }
  }
  return uvec2(hd, hdmin);
}

void s_quant_q4_k(uint addr, uint o) {
  uvec2 dd = s_quant_affine_k(o, 15);
  ST16(SBUF, addr, dd.x);
  ST16(SBUF, addr + 2u, dd.y);
  [[dont_unroll]] for (uint j = 0u; j < 12u; ++j) ST8(SBUF, addr + 4u + j, q_scales_k[j]);
  [[dont_unroll]] for (uint c = 0u; c < 4u; ++c) {
    [[dont_unroll]] for (uint l = 0u; l < 32u; ++l)
      ST8(SBUF, addr + 16u + 32u * c + l, q_levels[64u * c + l] | (q_levels[64u * c + l + 32u] << 4));
  }
}

void s_quant_q5_k(uint addr, uint o) {
  uvec2 dd = s_quant_affine_k(o, 31);
  ST16(SBUF, addr, dd.x);
  ST16(SBUF, addr + 2u, dd.y);
  [[dont_unroll]] for (uint j = 0u; j < 12u; ++j) ST8(SBUF, addr + 4u + j, q_scales_k[j]);
  [[dont_unroll]] for (uint l = 0u; l < 32u; ++l) {
    uint h = 0u;
    [[dont_unroll]] for (uint c = 0u; c < 4u; ++c) {
      if (q_levels[64u * c + l] > 15u) h |= 1u << (2u * c);
      if (q_levels[64u * c + l + 32u] > 15u) h |= 2u << (2u * c);
    }
    ST8(SBUF, addr + 16u + l, h);
  }
  [[dont_unroll]] for (uint c = 0u; c < 4u; ++c) {
    [[dont_unroll]] for (uint l = 0u; l < 32u; ++l)
      ST8(SBUF, addr + 48u + 32u * c + l, (q_levels[64u * c + l] & 0xFu) | ((q_levels[64u * c + l + 32u] & 0xFu) << 4));
  }
}

void s_quant_q6_k(uint addr, uint o) {
  float sc[16], max_sc = 0.0;
  [[dont_unroll]] for (uint j = 0u; j < 16u; ++j) {
    float amax = 0.0;
    [[dont_unroll]] for (uint l = 0u; l < 16u; ++l) amax = max(amax, abs(cv[o + 16u * j + l]));
    sc[j] = amax / 31.0;
    max_sc = max(max_sc, sc[j]);
  }
  float iscale = max_sc > 0.0 ? 127.0 / max_sc : 0.0;
  uint hd = f2h(iscale != 0.0 ? 1.0 / iscale : 0.0);
  float d = h2f(hd);
  [[dont_unroll]] for (uint j = 0u; j < 16u; ++j) {
    int s = min(int(roundEven(iscale * sc[j])), 127);
    ST8(SBUF, addr + 192u + j, uint(s));
    float de = d * float(s);
    [[dont_unroll]] for (uint l = 0u; l < 16u; ++l) {
      int q = de != 0.0 ? int(roundEven(cv[o + 16u * j + l] / de)) : 0;
      q_levels[16u * j + l] = uint(clamp(q, -32, 31) + 32);
    }
  }
  [[dont_unroll]] for (uint h = 0u; h < 2u; ++h) {
    uint j = 128u * h;
    [[dont_unroll]] for (uint l = 0u; l < 32u; ++l) {
      uint q1 = q_levels[j + l], q2 = q_levels[j + l + 32u], q3 = q_levels[j + l + 64u], q4 = q_levels[j + l + 96u];
      ST8(SBUF, addr + 64u * h + l, (q1 & 0xFu) | ((q3 & 0xFu) << 4));
      ST8(SBUF, addr + 64u * h + l + 32u, (q2 & 0xFu) | ((q4 & 0xFu) << 4));
      ST8(SBUF, addr + 128u + 32u * h + l, (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
  ST16(SBUF, addr + 208u, hd);
}

void s_quant(uint dt, uint addr, uint o) {
  switch (dt) {
    case TSR_VK_Q8_0: s_quant_q8_0(addr, o); break;
    case TSR_VK_Q4_0: s_quant_q4_0(addr, o); break;
    case TSR_VK_Q4_K: s_quant_q4_k(addr, o); break;
    case TSR_VK_Q5_K: s_quant_q5_k(addr, o); break;
    case TSR_VK_Q6_K: s_quant_q6_k(addr, o); break;
    default: break;
  }
}
#endif // QUANT_PLAIN_ONLY
