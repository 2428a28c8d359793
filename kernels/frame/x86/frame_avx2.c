/* FRAME x86 AVX2: NV12, YUYV or packed 8-bit colour -> bilinear -> normalise -> f32,
 * 8 output pixels per step. Tap indices and weights, the YUV -> RGB matrix
 * (rounded and clamped to 8 bits as the reference does), the blend and the
 * normalisation run in f32 vectors; the 4 taps x 8 lanes are loaded per lane.
 * Compiled with -ffp-contract=off so that it rounds as frame_ref.c does.
 * Generates: tsr_frame_preprocess_f32_ukernel_u8__avx2, tsr_frame_avx2_supported. */
#include <immintrin.h>
#include <string.h>

#include "frame/frame.h"

bool tsr_frame_avx2_supported(const tsr_frame_kparams *p) {
  const bool fmt = p->format == TSR_PIXEL_NV12 || p->format == TSR_PIXEL_YUYV || p->format == TSR_PIXEL_RGB8 || p->format == TSR_PIXEL_BGR8 ||
                   p->format == TSR_PIXEL_RGBA8 || p->format == TSR_PIXEL_BGRA8;
  const bool linear = p->resize == TSR_FRAME_BILINEAR ||
                      (p->resize == TSR_FRAME_AREA && (p->crop_w < p->content_w || p->crop_h < p->content_h));
  return fmt && linear && p->dtype == TSR_DTYPE_F32 && p->out_c == 3 && !p->round_u8;
}

/* One colour plane of 8 YUV samples -> 8-bit values as f32. */
static inline __m256 to_u8(__m256 v) {
  v = _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
  return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* The 4 taps of 8 lanes as R, G, B f32 vectors: tap[t][c], t = 00, 01, 10, 11. */
static void fetch_taps(const tsr_frame_kparams *p, const int32_t *xi0, const int32_t *xi1, int sy0, int sy1,
                       __m256 tap[4][3]) {
  const int ys[2] = {sy0, sy1};
  if (p->format == TSR_PIXEL_NV12 || p->format == TSR_PIXEL_YUYV) {
    int32_t Y[4][8], U[4][8], V[4][8];
    for (int r = 0; r < 2 && p->format == TSR_PIXEL_YUYV; ++r) {
      const uint8_t *row = p->data + (size_t)ys[r] * (size_t)p->stride;
      for (int l = 0; l < 8; ++l) {
        const uint8_t *a = row + 4 * (size_t)(xi0[l] >> 1), *b = row + 4 * (size_t)(xi1[l] >> 1);
        Y[2 * r][l] = a[(xi0[l] & 1) ? 2 : 0], U[2 * r][l] = a[1], V[2 * r][l] = a[3];
        Y[2 * r + 1][l] = b[(xi1[l] & 1) ? 2 : 0], U[2 * r + 1][l] = b[1], V[2 * r + 1][l] = b[3];
      }
    }
    for (int r = 0; r < 2 && p->format == TSR_PIXEL_NV12; ++r) {
      const uint8_t *row = p->data + (size_t)ys[r] * (size_t)p->stride;
      const uint8_t *uv = p->uv + (size_t)(ys[r] >> 1) * (size_t)p->uv_stride;
      for (int l = 0; l < 8; ++l) {
        const int a = xi0[l], b = xi1[l];
        Y[2 * r][l] = row[a];
        U[2 * r][l] = uv[(a & ~1)];
        V[2 * r][l] = uv[(a & ~1) + 1];
        Y[2 * r + 1][l] = row[b];
        U[2 * r + 1][l] = uv[(b & ~1)];
        V[2 * r + 1][l] = uv[(b & ~1) + 1];
      }
    }
    const __m256 c0 = _mm256_set1_ps(p->yuv[0]), c1 = _mm256_set1_ps(p->yuv[1]), c2 = _mm256_set1_ps(p->yuv[2]);
    const __m256 c3 = _mm256_set1_ps(p->yuv[3]), c4 = _mm256_set1_ps(p->yuv[4]);
    const __m256 yo = _mm256_set1_ps(p->y_offset), h = _mm256_set1_ps(128.0f);
    for (int t = 0; t < 4; ++t) {
      const __m256 yv = _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)Y[t]));
      const __m256 uu = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)U[t])), h);
      const __m256 vv = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)V[t])), h);
      const __m256 yy = _mm256_mul_ps(c0, _mm256_sub_ps(yv, yo));
      tap[t][0] = to_u8(_mm256_add_ps(yy, _mm256_mul_ps(c1, vv)));
      tap[t][1] = to_u8(_mm256_sub_ps(_mm256_sub_ps(yy, _mm256_mul_ps(c2, uu)), _mm256_mul_ps(c3, vv)));
      tap[t][2] = to_u8(_mm256_add_ps(yy, _mm256_mul_ps(c4, uu)));
    }
  } else {
    const int bpp = p->format == TSR_PIXEL_RGB8 || p->format == TSR_PIXEL_BGR8 ? 3 : 4;
    const int rr = p->format == TSR_PIXEL_BGR8 || p->format == TSR_PIXEL_BGRA8 ? 2 : 0;
    int32_t C[4][3][8];
    for (int r = 0; r < 2; ++r) {
      const uint8_t *row = p->data + (size_t)ys[r] * (size_t)p->stride;
      for (int l = 0; l < 8; ++l) {
        const uint8_t *a = row + (size_t)xi0[l] * (size_t)bpp, *b = row + (size_t)xi1[l] * (size_t)bpp;
        C[2 * r][0][l] = a[rr], C[2 * r][1][l] = a[1], C[2 * r][2][l] = a[2 - rr];
        C[2 * r + 1][0][l] = b[rr], C[2 * r + 1][1][l] = b[1], C[2 * r + 1][2][l] = b[2 - rr];
      }
    }
    for (int t = 0; t < 4; ++t)
      for (int c = 0; c < 3; ++c) tap[t][c] = _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)C[t][c]));
  }
}

void tsr_frame_preprocess_f32_ukernel_u8__avx2(const tsr_frame_kparams *p, void *dst, int32_t row_begin,
                                               int32_t row_end) {
  float *out = (float *)dst;
  const float s = (float)p->crop_w / (float)p->content_w;
  const __m256 vs = _mm256_set1_ps(s), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), zero = _mm256_setzero_si256();
  const __m256i last = _mm256_set1_epi32(p->crop_w - 1);
  __m256 vscale = _mm256_set1_ps(p->scale), vmean[3], vstd[3];
  for (int k = 0; k < 3; ++k) {
    vmean[k] = _mm256_set1_ps(p->mean[k]);
    vstd[k] = _mm256_set1_ps(p->std[k]);
  }
  const size_t plane = (size_t)p->out_h * (size_t)p->out_w;
  for (int y = row_begin; y < row_end; ++y) {
    const int cy = y - p->pad_y;
    int xv = 0, xe = 0; /* output columns [xv, xe) go through the vector path */
    int sy0 = 0, sy1 = 0;
    float ay = 0.0f;
    if (cy >= 0 && cy < p->content_h) {
      int y0, y1;
      tsr_frame_linear_tap(cy, p->content_h, p->crop_h, &y0, &y1, &ay);
      sy0 = p->crop_y + y0;
      sy1 = p->crop_y + y1;
      xv = p->pad_x;
      xe = p->pad_x + (p->content_w & ~7);
    }
    for (int x = 0; x < p->out_w; ++x) {
      if (x == xv && xv < xe) x = xe; /* the vector span is done below */
      if (x >= p->out_w) break;
      float v[3];
      tsr_frame_pixel_ref(p, x, y, v);
      tsr_frame_store_ref(p, dst, x, y, v);
    }
    const __m256 vay = _mm256_set1_ps(ay), vay1 = _mm256_sub_ps(one, vay);
    for (int x = xv; x < xe; x += 8) {
      const int cx = x - p->pad_x;
      /* tsr_frame_linear_tap for 8 columns */
      const __m256 o = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_set1_epi32(cx), lane));
      const __m256 f = _mm256_sub_ps(_mm256_mul_ps(_mm256_add_ps(o, half), vs), half);
      const __m256 fl = _mm256_floor_ps(f);
      __m256i i0 = _mm256_cvtps_epi32(fl);
      __m256 ax = _mm256_sub_ps(f, fl);
      const __m256i lo = _mm256_cmpgt_epi32(zero, i0), hi = _mm256_cmpgt_epi32(i0, _mm256_sub_epi32(last, _mm256_set1_epi32(1)));
      const __m256i clamp = _mm256_or_si256(lo, hi);
      ax = _mm256_andnot_ps(_mm256_castsi256_ps(clamp), ax);
      i0 = _mm256_blendv_epi8(i0, zero, lo);
      i0 = _mm256_blendv_epi8(i0, last, hi);
      const __m256i i1 = _mm256_min_epi32(_mm256_add_epi32(i0, _mm256_set1_epi32(1)), last);
      int32_t xi0[8], xi1[8];
      _mm256_storeu_si256((__m256i *)xi0, _mm256_add_epi32(i0, _mm256_set1_epi32(p->crop_x)));
      _mm256_storeu_si256((__m256i *)xi1, _mm256_add_epi32(i1, _mm256_set1_epi32(p->crop_x)));
      __m256 tap[4][3];
      fetch_taps(p, xi0, xi1, sy0, sy1, tap);
      const __m256 ax1 = _mm256_sub_ps(one, ax);
      __m256 r[3];
      for (int k = 0; k < 3; ++k) {
        const int c = p->bgr ? 2 - k : k;
        const __m256 top = _mm256_add_ps(_mm256_mul_ps(ax1, tap[0][c]), _mm256_mul_ps(ax, tap[1][c]));
        const __m256 bot = _mm256_add_ps(_mm256_mul_ps(ax1, tap[2][c]), _mm256_mul_ps(ax, tap[3][c]));
        const __m256 v = _mm256_add_ps(_mm256_mul_ps(vay1, top), _mm256_mul_ps(vay, bot));
        r[k] = _mm256_div_ps(_mm256_sub_ps(_mm256_mul_ps(v, vscale), vmean[k]), vstd[k]);
      }
      if (p->layout == TSR_LAYOUT_NCHW) {
        for (int k = 0; k < 3; ++k) _mm256_storeu_ps(out + (size_t)k * plane + (size_t)y * (size_t)p->out_w + (size_t)x, r[k]);
      } else {
        float t[3][8];
        for (int k = 0; k < 3; ++k) _mm256_storeu_ps(t[k], r[k]);
        float *q = out + ((size_t)y * (size_t)p->out_w + (size_t)x) * 3;
        for (int l = 0; l < 8; ++l) q[3 * l] = t[0][l], q[3 * l + 1] = t[1][l], q[3 * l + 2] = t[2][l];
      }
    }
  }
}
