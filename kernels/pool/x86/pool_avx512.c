/* POOL2D f32 rows for AVX-512: up to 4 output rows x 32 columns per pass
 * over the window taps (max or sum), masked tail stores; plane reductions
 * with 4 accumulators. */
#include <immintrin.h>
#include <math.h>

#include "pool/pool_fast.h"

/* nr rows x nv vectors of 16 columns from column q. */
static inline __attribute__((always_inline)) void block(const int nr, const int nv, const float *in, size_t ldi,
                                                        const int64_t *toff, size_t taps, float *y, size_t ldy,
                                                        size_t q, size_t ow, bool is_max) {
  const __m512 init = _mm512_set1_ps(is_max ? -INFINITY : 0.0f);
  __m512 a[4][2];
  for (int r = 0; r < nr; ++r) a[r][0] = a[r][1] = init;
  for (size_t t = 0; t < taps; ++t) {
    const float *s = in + toff[t] + q;
    for (int r = 0; r < nr; ++r) {
      for (int v = 0; v < nv; ++v) {
        const __m512 x = _mm512_loadu_ps(s + r * ldi + 16 * v);
        a[r][v] = is_max ? _mm512_max_ps(x, a[r][v]) : _mm512_add_ps(a[r][v], x);
      }
    }
  }
  const size_t left = ow - q;
  const __mmask16 m0 = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
  const __mmask16 m1 = left >= 32 ? (__mmask16)0xffff : (left <= 16 ? (__mmask16)0 : (__mmask16)((1u << (left - 16)) - 1u));
  for (int r = 0; r < nr; ++r) {
    _mm512_mask_storeu_ps(y + r * ldy + q, m0, a[r][0]);
    if (nv > 1 && m1) _mm512_mask_storeu_ps(y + r * ldy + q + 16, m1, a[r][1]);
  }
}

static void rows(const float *in, size_t ldi, const int64_t *toff, size_t taps, float *y, size_t ldy, size_t nrows,
                 size_t ow, bool is_max) {
  for (size_t q = 0; q < ow; q += 32) {
    if (ow - q <= 16) { /* one vector per row (13-wide SPP planes) */
      switch (nrows) {
        case 4: block(4, 1, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
        case 3: block(3, 1, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
        case 2: block(2, 1, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
        default: block(1, 1, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
      }
      continue;
    }
    switch (nrows) {
      case 4: block(4, 2, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
      case 3: block(3, 2, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
      case 2: block(2, 2, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
      default: block(1, 2, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
    }
  }
}

static float reduce(const float *x, size_t n, bool is_max) {
  const __m512 init = _mm512_set1_ps(is_max ? -INFINITY : 0.0f);
  __m512 a0 = init, a1 = init, a2 = init, a3 = init;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    if (is_max) {
      a0 = _mm512_max_ps(_mm512_loadu_ps(x + i), a0);
      a1 = _mm512_max_ps(_mm512_loadu_ps(x + i + 16), a1);
      a2 = _mm512_max_ps(_mm512_loadu_ps(x + i + 32), a2);
      a3 = _mm512_max_ps(_mm512_loadu_ps(x + i + 48), a3);
    } else {
      a0 = _mm512_add_ps(a0, _mm512_loadu_ps(x + i));
      a1 = _mm512_add_ps(a1, _mm512_loadu_ps(x + i + 16));
      a2 = _mm512_add_ps(a2, _mm512_loadu_ps(x + i + 32));
      a3 = _mm512_add_ps(a3, _mm512_loadu_ps(x + i + 48));
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 mk = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1u);
    const __m512 v = _mm512_mask_loadu_ps(init, mk, x + i);
    a0 = is_max ? _mm512_max_ps(v, a0) : _mm512_add_ps(a0, v);
  }
  if (is_max) return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(a0, a1), _mm512_max_ps(a2, a3)));
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

static const tsr_pool_isa kIsa = {rows, reduce};
TSR_POOL_KERNEL(tsr_pool2d_f32_ukernel_4x32__avx512, kIsa, TSR_ISA_AVX512)
