/* The body of tsr_conv_fill_band_pad (conv_gemm.h), included by the
 * portable driver and by ISA files: compiled with AVX-512 it copies stride-2
 * rows with two-source permutes (16 output columns per phase per step), with
 * AVX2 with shuffles (8 per step). */
#ifndef TESSERA_KERNELS_CONV_FILL_H_
#define TESSERA_KERNELS_CONV_FILL_H_

#include <string.h>

#include "conv/conv_gemm.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

/* |pad| is a run-time value: the loop stays inline (no memset call for the
 * few columns of a row's padding). */
static inline void tsr_conv_fill_run(float *d, int64_t n, float pad) {
  for (int64_t i = 0; i < n; ++i) d[i] = pad;
}

/* d[t] = s[t] for t < n: inline vector moves where built for AVX-512 (rows
 * are short: a library call costs as much as the copy). */
static inline void tsr_conv_copy_row(float *d, const float *s, int64_t n) {
#if defined(__AVX512F__)
  int64_t t = 0;
  for (; t + 16 <= n; t += 16) _mm512_storeu_ps(d + t, _mm512_loadu_ps(s + t));
  if (t < n) {
    const __mmask16 m = (__mmask16)((1u << (n - t)) - 1u);
    _mm512_mask_storeu_ps(d + t, m, _mm512_maskz_loadu_ps(m, s + t));
  }
#else
  memcpy(d, s, sizeof(float) * (size_t)n);
#endif
}

/* d0[t] = s[2t], d1[t] = s[2t + 1] for t < n. */
static inline void tsr_conv_deinterleave2(const float *s, float *d0, float *d1, int64_t n) {
  int64_t t = 0;
#if defined(__AVX512F__)
  const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  for (; t + 16 <= n; t += 16) {
    const __m512 a = _mm512_loadu_ps(s + 2 * t), b = _mm512_loadu_ps(s + 2 * t + 16);
    _mm512_storeu_ps(d0 + t, _mm512_permutex2var_ps(a, ie, b));
    _mm512_storeu_ps(d1 + t, _mm512_permutex2var_ps(a, io, b));
  }
  if (t < n) {
    const int64_t left = 2 * (n - t); /* floats to read, <= 30 */
    const __mmask16 la = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
    const __mmask16 lb = left <= 16 ? (__mmask16)0 : (__mmask16)((1u << (left - 16)) - 1u);
    const __mmask16 st = (__mmask16)((1u << (n - t)) - 1u);
    const __m512 a = _mm512_maskz_loadu_ps(la, s + 2 * t), b = _mm512_maskz_loadu_ps(lb, s + 2 * t + 16);
    _mm512_mask_storeu_ps(d0 + t, st, _mm512_permutex2var_ps(a, ie, b));
    _mm512_mask_storeu_ps(d1 + t, st, _mm512_permutex2var_ps(a, io, b));
    return;
  }
#elif defined(__AVX2__)
  for (; t + 8 <= n; t += 8) { /* in-lane shuffles, then 64-bit lanes 0, 2, 1, 3 */
    const __m256 a = _mm256_loadu_ps(s + 2 * t), b = _mm256_loadu_ps(s + 2 * t + 8);
    _mm256_storeu_ps(d0 + t, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xd8)));
    _mm256_storeu_ps(d1 + t, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xdd)), 0xd8)));
  }
#endif
  for (; t < n; ++t) {
    d0[t] = s[2 * t];
    d1[t] = s[2 * t + 1];
  }
}

static inline void tsr_conv_fill_band_body(const tsr_conv_geom *g, int64_t channels, const float *x, int64_t oh0,
                                           int64_t rows, int64_t wq, int64_t rp, float pad, float *band) {
  const int64_t sh = g->sh, sw = g->sw, plane = rp * wq;
  const int64_t rows_in = (rows - 1) * sh + (g->kh - 1) * g->dh + 1;
  /* per column phase cp: padded column pc = t * sw + cp lands at t; the
   * input column iw = t * sw + cp - pl is inside for t in [lo, hi) */
  int64_t lo[8], hi[8];
  tsr_conv_col_phases(g, wq, lo, hi);
  /* stride 2 with a left pad of 0 or 1 (the usual): one deinterleave per
   * row */
  const bool two = sw == 2 && g->pl <= 1;
  for (int64_t c = 0; c < channels; ++c) {
    const float *xc = x + c * g->h * g->w;
    float *bc = band + c * sh * sw * plane;
    int64_t rph = 0, rrow = 0; /* r % sh, r / sh */
    for (int64_t r = 0; r < rp * sh; ++r) {
      float *rowbase = bc + rph * sw * plane + rrow * wq; /* column phase 0 */
      const int64_t ih = oh0 * sh + r - g->pt;
      if (++rph == sh) {
        rph = 0;
        ++rrow;
      }
      if (r >= rows_in || ih < 0 || ih >= g->h) {
        for (int64_t cp = 0; cp < sw; ++cp) tsr_conv_fill_run(rowbase + cp * plane, wq, pad);
        continue;
      }
      const float *src = xc + ih * g->w;
      if (sw == 1 && g->pl + g->w <= wq) {
        tsr_conv_fill_run(rowbase, g->pl, pad);
        tsr_conv_copy_row(rowbase + g->pl, src, g->w);
        tsr_conv_fill_run(rowbase + g->pl + g->w, wq - g->pl - g->w, pad);
        continue;
      }
      if (two) {
        /* pl == 0: phase 0 from column 0, phase 1 from column 1, both from
         * t = 0; pl == 1: phase 0 gets the pad at t = 0 and then column 1,
         * 3, ..; phase 1 gets columns 0, 2, .. from t = 0 */
        float *d0 = rowbase, *d1 = rowbase + plane;
        if (g->pl == 0) {
          const int64_t n = g->w / 2 < wq ? g->w / 2 : wq;
          tsr_conv_deinterleave2(src, d0, d1, n);
          int64_t h0 = n, h1 = n;
          if (g->w & 1 && n < wq) d0[h0++] = src[g->w - 1];
          tsr_conv_fill_run(d0 + h0, wq - h0, pad);
          tsr_conv_fill_run(d1 + h1, wq - h1, pad);
        } else {
          const int64_t n = g->w / 2 < wq - 1 ? g->w / 2 : wq - 1; /* pairs (2t, 2t + 1) */
          d0[0] = pad;
          tsr_conv_deinterleave2(src, d1, d0 + 1, n);
          int64_t h0 = 1 + n, h1 = n;
          if (2 * n < g->w && h1 < wq) d1[h1++] = src[2 * n];
          tsr_conv_fill_run(d0 + h0, wq - h0, pad);
          tsr_conv_fill_run(d1 + h1, wq - h1, pad);
        }
        continue;
      }
      for (int64_t cp = 0; cp < sw; ++cp) {
        float *d = rowbase + cp * plane;
        int64_t l = lo[cp < 8 ? cp : 7], h = hi[cp < 8 ? cp : 7];
        if (cp >= 8) { /* rare: strides above 8 */
          tsr_conv_col_phase(g, wq, cp, &l, &h);
        }
        tsr_conv_fill_run(d, l, pad);
        const float *s0 = src + l * sw + cp - g->pl;
        for (int64_t t = 0; t < h - l; ++t) d[l + t] = s0[t * sw];
        tsr_conv_fill_run(d + h, wq - h, pad);
      }
    }
  }
}

#endif /* TESSERA_KERNELS_CONV_FILL_H_ */
