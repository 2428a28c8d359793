/* POOL2D f32 rows for AVX2: up to 4 output rows x 16 columns per pass over
 * the window taps (max or sum); plane reductions with 4 accumulators. */
#include <immintrin.h>
#include <math.h>

#include "pool/pool_fast.h"

static inline __attribute__((always_inline)) void block(const int nr, const float *in, size_t ldi, const int64_t *toff,
                                                        size_t taps, float *y, size_t ldy, size_t q, size_t ow,
                                                        bool is_max) {
  const __m256 init = _mm256_set1_ps(is_max ? -INFINITY : 0.0f);
  __m256 a[4][2];
  for (int r = 0; r < nr; ++r) a[r][0] = a[r][1] = init;
  for (size_t t = 0; t < taps; ++t) {
    const float *s = in + toff[t] + q;
    for (int r = 0; r < nr; ++r) {
      const __m256 v0 = _mm256_loadu_ps(s + r * ldi), v1 = _mm256_loadu_ps(s + r * ldi + 8);
      if (is_max) {
        a[r][0] = _mm256_max_ps(v0, a[r][0]);
        a[r][1] = _mm256_max_ps(v1, a[r][1]);
      } else {
        a[r][0] = _mm256_add_ps(a[r][0], v0);
        a[r][1] = _mm256_add_ps(a[r][1], v1);
      }
    }
  }
  const size_t left = ow - q;
  for (int r = 0; r < nr; ++r) {
    float *d = y + r * ldy + q;
    if (left >= 16) {
      _mm256_storeu_ps(d, a[r][0]);
      _mm256_storeu_ps(d + 8, a[r][1]);
    } else {
      float tmp[16];
      _mm256_storeu_ps(tmp, a[r][0]);
      _mm256_storeu_ps(tmp + 8, a[r][1]);
      for (size_t i = 0; i < left; ++i) d[i] = tmp[i];
    }
  }
}

static void rows(const float *in, size_t ldi, const int64_t *toff, size_t taps, float *y, size_t ldy, size_t nrows,
                 size_t ow, bool is_max) {
  for (size_t q = 0; q < ow; q += 16) {
    switch (nrows) {
      case 4: block(4, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
      case 3: block(3, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
      case 2: block(2, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
      default: block(1, in, ldi, toff, taps, y, ldy, q, ow, is_max); break;
    }
  }
}

static float reduce(const float *x, size_t n, bool is_max) {
  const __m256 init = _mm256_set1_ps(is_max ? -INFINITY : 0.0f);
  __m256 a0 = init, a1 = init, a2 = init, a3 = init;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    if (is_max) {
      a0 = _mm256_max_ps(_mm256_loadu_ps(x + i), a0);
      a1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), a1);
      a2 = _mm256_max_ps(_mm256_loadu_ps(x + i + 16), a2);
      a3 = _mm256_max_ps(_mm256_loadu_ps(x + i + 24), a3);
    } else {
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
      a2 = _mm256_add_ps(a2, _mm256_loadu_ps(x + i + 16));
      a3 = _mm256_add_ps(a3, _mm256_loadu_ps(x + i + 24));
    }
  }
  a0 = is_max ? _mm256_max_ps(_mm256_max_ps(a0, a1), _mm256_max_ps(a2, a3))
              : _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
  float t[8];
  _mm256_storeu_ps(t, a0);
  float v = t[0];
  for (int j = 1; j < 8; ++j) v = is_max ? (t[j] > v ? t[j] : v) : v + t[j];
  for (; i < n; ++i) v = is_max ? (x[i] > v ? x[i] : v) : v + x[i];
  return v;
}

static const tsr_pool_isa kIsa = {rows, reduce};
TSR_POOL_KERNEL(tsr_pool2d_f32_ukernel_4x16__avx2, kIsa, TSR_ISA_AVX2)
