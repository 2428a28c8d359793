/* CONV2D f32 GEMM microkernels for AVX-512: 8x48 tile (8 output channels x
 * 48 grid pixels, 24 zmm accumulators), weights broadcast from the packed
 * panel, pixels loaded as three vectors per tap from b + koff[k] (row k + 8
 * prefetched); accumulators start from the bias; the fused activation (SiLU
 * and ReLU inlined) in the epilogue; kept lanes
 * compressed and stored. 8x48 measured ahead of 8x32 on the fixture shapes
 * (fewer loads and loop steps per FMA). */
#include <immintrin.h>

#include "conv/conv_dw.h"
#include "conv/conv_fill.h"
#include "conv/conv_gemm.h"
#include "conv/conv_tgemm.h"
#include "conv/x86/vmath_avx512.h"

#ifndef TSR_AVX512_NV
#define TSR_AVX512_NV 3
#endif

#define NV TSR_AVX512_NV /* vectors of 16 pixels per row */

/* Activation |act| (a constant where inlined: the kind's code only) on the
 * accumulators, then the kept lanes stored. */
static inline __attribute__((always_inline)) void store_8xn(const int rows, const int nv, const int act, __m512 acc[8][NV], float *c,
                                                            size_t ldc, uint64_t mask, const tsr_conv_ep *ep,
                                                            size_t m0) {
  __mmask16 mk[NV], st[NV];
  int off[NV];
  bool full = true;
  int o = 0;
  for (int v = 0; v < nv; ++v) {
    mk[v] = (__mmask16)((mask >> (16 * v)) & 0xffff);
    full = full && mk[v] == 0xffff;
    const int n = __builtin_popcount(mk[v]);
    st[v] = (__mmask16)((1u << n) - 1u);
    off[v] = o;
    o += n;
  }
  const __m512 beta = _mm512_set1_ps(ep->beta);
  for (int r = 0; r < rows; ++r) {
    const __m512 alpha = _mm512_set1_ps(ep->slope ? ep->slope[m0 + r] : ep->alpha);
    for (int v = 0; v < nv; ++v) {
      if (act >= 0) acc[r][v] = tsr_v16_act(act, acc[r][v], alpha, beta);
    }
  }
  for (int r = 0; r < rows; ++r) {
    float *cr = c + (size_t)r * ldc;
    for (int v = 0; v < nv; ++v) {
      if (full) _mm512_storeu_ps(cr + 16 * v, acc[r][v]);
      else if (mk[v]) _mm512_mask_storeu_ps(cr + off[v], st[v], _mm512_maskz_compress_ps(mk[v], acc[r][v]));
    }
  }
}

static inline __attribute__((always_inline)) void gemm_8xn(const int rows, const int nv, size_t kc, const float *a, const float *b,
                                                           const int64_t *koff, float *c, size_t ldc, uint64_t mask,
                                                           const tsr_conv_ep *ep, size_t m0) {
  __m512 acc[8][NV]; /* start from the bias */
  for (int r = 0; r < rows; ++r) {
    const __m512 bias = _mm512_set1_ps(ep->bias ? ep->bias[m0 + r] : 0.0f);
    for (int v = 0; v < nv; ++v) acc[r][v] = bias;
  }
  for (size_t k = 0; k < kc; ++k) {
    const float *bk = b + koff[k];
    const float *bp = b + koff[k + TSR_CONV_PREFETCH];
    for (int v = 0; v < nv; ++v) _mm_prefetch((const char *)(bp + 16 * v), _MM_HINT_T0);
    __m512 bv[NV];
    for (int v = 0; v < nv; ++v) bv[v] = _mm512_loadu_ps(bk + 16 * v);
    for (int r = 0; r < rows; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      for (int v = 0; v < nv; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += 8;
  }
  switch (ep->act) { /* the common kinds inlined, the rest through the switch */
    case -1: store_8xn(rows, nv, -1, acc, c, ldc, mask, ep, m0); break;
    case TSR_UNARY_SILU: store_8xn(rows, nv, TSR_UNARY_SILU, acc, c, ldc, mask, ep, m0); break;
    case TSR_UNARY_RELU: store_8xn(rows, nv, TSR_UNARY_RELU, acc, c, ldc, mask, ep, m0); break;
    default: store_8xn(rows, nv, ep->act, acc, c, ldc, mask, ep, m0); break;
  }
}

#define UK(R)                                                                                               \
  static void uk_##R(size_t kc, const float *a, const float *b, const int64_t *koff, float *c, size_t ldc,  \
                     uint64_t mask, const tsr_conv_ep *ep, size_t m0) {                                      \
    gemm_8xn(R, NV, kc, a, b, koff, c, ldc, mask, ep, m0);                                                  \
  }                                                                                                         \
  static void uk2_##R(size_t kc, const float *a, const float *b, const int64_t *koff, float *c, size_t ldc, \
                      uint64_t mask, const tsr_conv_ep *ep, size_t m0) {                                     \
    gemm_8xn(R, 2, kc, a, b, koff, c, ldc, mask, ep, m0);                                                   \
  }
UK(1) UK(2) UK(3) UK(4) UK(5) UK(6) UK(7) UK(8)
#undef UK

/* The band copy built for AVX-512 (stride-2 rows by permutes). */
static void fill512(const tsr_conv_geom *g, int64_t channels, const float *x, int64_t oh0, int64_t rows, int64_t wq,
                    int64_t rp, float pad, float *band) {
  tsr_conv_fill_band_body(g, channels, x, oh0, rows, wq, rp, pad, band);
}

/* 8x32 for planes whose bands fill 48-pixel strips badly (small outputs). */
static const tsr_conv_gemm_isa isa_avx512_8x32 = {
    8, 32, {NULL, uk2_1, uk2_2, uk2_3, uk2_4, uk2_5, uk2_6, uk2_7, uk2_8}, fill512, NULL};

const tsr_conv_gemm_isa tsr_conv_gemm_isa_avx512 = {
    8, 16 * NV, {NULL, uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, uk_7, uk_8}, fill512, &isa_avx512_8x32};

TSR_CONV_GEMM_KERNEL(tsr_conv2d_f32_ukernel_8x48__avx512, tsr_conv_gemm_isa_avx512, TSR_ISA_AVX512)
TSR_CONV_TGEMM_KERNEL(tsr_conv_transpose2d_f32_ukernel_8x48__avx512, tsr_conv_gemm_isa_avx512, TSR_ISA_AVX512)

/* Depthwise rows: up to 4 output rows x 32 columns (8 zmm accumulators, 8
 * independent FMA chains) per pass over the taps; masked tail stores. */
static inline __attribute__((always_inline)) void dw_block(const int nr, const float *in, size_t ldi, const int64_t *toff,
                                                           const float *w, size_t taps, float *y, size_t ldy, size_t q,
                                                           size_t ow, __m512 bias, __m512 alpha, __m512 beta, int act) {
  __m512 a[4][2];
  for (int r = 0; r < nr; ++r) a[r][0] = a[r][1] = bias;
  for (size_t t = 0; t < taps; ++t) {
    const __m512 wt = _mm512_set1_ps(w[t]);
    const float *s = in + toff[t] + q;
    for (int r = 0; r < nr; ++r) {
      a[r][0] = _mm512_fmadd_ps(wt, _mm512_loadu_ps(s + r * ldi), a[r][0]);
      a[r][1] = _mm512_fmadd_ps(wt, _mm512_loadu_ps(s + r * ldi + 16), a[r][1]);
    }
  }
  const size_t left = ow - q;
  const __mmask16 m0 = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
  const __mmask16 m1 = left >= 32 ? (__mmask16)0xffff : (left <= 16 ? (__mmask16)0 : (__mmask16)((1u << (left - 16)) - 1u));
  for (int r = 0; r < nr; ++r) {
    __m512 v0 = a[r][0], v1 = a[r][1];
    if (act >= 0) {
      v0 = tsr_v16_act(act, v0, alpha, beta);
      if (m1) v1 = tsr_v16_act(act, v1, alpha, beta);
    }
    _mm512_mask_storeu_ps(y + r * ldy + q, m0, v0);
    if (m1) _mm512_mask_storeu_ps(y + r * ldy + q + 16, m1, v1);
  }
}

/* The same for up to 16 columns (one vector per row). */
static inline __attribute__((always_inline)) void dw_block1(const int nr, const float *in, size_t ldi,
                                                            const int64_t *toff, const float *w, size_t taps, float *y,
                                                            size_t ldy, size_t q, size_t ow, __m512 bias, __m512 alpha,
                                                            __m512 beta, int act) {
  __m512 a[4];
  for (int r = 0; r < nr; ++r) a[r] = bias;
  for (size_t t = 0; t < taps; ++t) {
    const __m512 wt = _mm512_set1_ps(w[t]);
    const float *s = in + toff[t] + q;
    for (int r = 0; r < nr; ++r) a[r] = _mm512_fmadd_ps(wt, _mm512_loadu_ps(s + r * ldi), a[r]);
  }
  const size_t left = ow - q;
  const __mmask16 m0 = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
  for (int r = 0; r < nr; ++r) {
    __m512 v = a[r];
    if (act >= 0) v = tsr_v16_act(act, v, alpha, beta);
    _mm512_mask_storeu_ps(y + r * ldy + q, m0, v);
  }
}

/* All rows' columns in blocks of 32 (one vector for a tail of <= 16), with
 * |act| and, when non-zero, |ntaps| compile-time constants where inlined. */
static inline __attribute__((always_inline)) void dw_rows(const int act, const size_t ntaps, const float *in, size_t ldi,
                                                          const int64_t *toff, const float *w, size_t taps, float *y,
                                                          size_t ldy, size_t nrows, size_t ow, const tsr_conv_ep *ep,
                                                          size_t m) {
  const __m512 bias = _mm512_set1_ps(ep->bias ? ep->bias[m] : 0.0f);
  const __m512 alpha = _mm512_set1_ps(ep->slope ? ep->slope[m] : ep->alpha), beta = _mm512_set1_ps(ep->beta);
  if (ntaps) taps = ntaps;
  for (size_t q = 0; q < ow; q += 32) {
    if (ow - q <= 16) { /* a tail of one vector */
      switch (nrows) {
        case 4: dw_block1(4, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, act); break;
        case 3: dw_block1(3, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, act); break;
        case 2: dw_block1(2, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, act); break;
        default: dw_block1(1, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, act); break;
      }
      break;
    }
    switch (nrows) {
      case 4: dw_block(4, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, act); break;
      case 3: dw_block(3, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, act); break;
      case 2: dw_block(2, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, act); break;
      default: dw_block(1, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta, act); break;
    }
  }
}

/* 3x3 with no activation or SiLU (the usual) unrolled and inlined. */
void tsr_conv_dw_rows_f32__avx512(const float *in, size_t ldi, const int64_t *toff, const float *w, size_t taps,
                                  float *y, size_t ldy, size_t nrows, size_t ow, const tsr_conv_ep *ep, size_t m) {
  if (taps == 9 && ep->act == TSR_UNARY_SILU)
    dw_rows(TSR_UNARY_SILU, 9, in, ldi, toff, w, taps, y, ldy, nrows, ow, ep, m);
  else if (taps == 9 && ep->act < 0)
    dw_rows(-1, 9, in, ldi, toff, w, taps, y, ldy, nrows, ow, ep, m);
  else if (ep->act == TSR_UNARY_SILU)
    dw_rows(TSR_UNARY_SILU, 0, in, ldi, toff, w, taps, y, ldy, nrows, ow, ep, m);
  else
    dw_rows(ep->act, 0, in, ldi, toff, w, taps, y, ldy, nrows, ow, ep, m);
}

TSR_CONV_DW_KERNEL(tsr_conv2d_f32_ukernel_dw_4x32__avx512, tsr_conv_dw_rows_f32__avx512, fill512, TSR_ISA_AVX512)

/* Depthwise CONV2D at column stride 1 or 2 (any row stride), dilation 1,
 * read straight from x (no band copy): up to 4 output rows x 32 columns per
 * pass over the taps, input rows outside the plane read from a zero row,
 * columns outside it masked to zero at the load (the padding); stride 2
 * takes the even columns of two loads by a permute. The taps are summed in
 * the reference order from the bias. Units: (n, m, band of output rows). */
typedef struct dwd_plan {
  tsr_conv_geom g;
  int64_t band, bands;
} dwd_plan;

static void dwd_plan_of(const tsr_op *op, dwd_plan *pl) {
  tsr_conv_geom_of(op, &pl->g);
  const tsr_conv_geom *g = &pl->g;
  pl->band = g->oh;
  pl->bands = 1;
  while (pl->band > 4 && g->n * g->m * pl->bands < 8) {
    pl->band = (pl->band + 1) / 2;
    pl->bands = (g->oh + pl->band - 1) / pl->band;
  }
}

static bool dwd_match(const tsr_op *op) {
  if (!tsr_conv_dw_match(op)) return false;
  tsr_conv_geom g;
  tsr_conv_geom_of(op, &g);
  return (g.sw == 1 || g.sw == 2) && g.dh == 1 && g.dw == 1 && g.kw <= 16;
}

static int64_t dwd_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  dwd_plan pl;
  dwd_plan_of(op, &pl);
  return pl.g.n * pl.g.m * pl.bands;
}

static int64_t dwd_grain(const tsr_op *op) {
  dwd_plan pl;
  dwd_plan_of(op, &pl);
  const tsr_conv_geom *g = &pl.g;
  return tsr_conv_grain_of(g->n * g->m * (g->oh * g->ow * g->kh * g->kw + g->h * g->w), g->n * g->m * pl.bands);
}

/* Lanes l < 16 with 0 <= c0 + l < w. */
static inline __mmask16 dwd_cols(int64_t c0, int64_t w) {
  const int64_t lo = c0 < 0 ? -c0 : 0, hi = w - c0 > 16 ? 16 : w - c0;
  if (hi <= lo) return 0;
  return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/* Rows outside the plane read zeros from here (masked like the others). */
static const float kDwdZeros[96];

/* |kk| > 0: a kk x kk kernel (compile-time, unrolled); 0: g's. */
static inline __attribute__((always_inline)) void dwd_block(const int nr, const int nv, const int act, const int kk,
                                                            const int sw, const tsr_conv_geom *g, const float *xp, const float *wm,
                                                            int64_t oh, int64_t q, float *yp, __m512 bias,
                                                            __m512 alpha, __m512 beta) {
  const int64_t kh = kk ? kk : g->kh, kw = kk ? kk : g->kw;
  __m512 a[4][2];
  for (int r = 0; r < nr; ++r) a[r][0] = a[r][1] = bias;
  __mmask16 cm[16][2][2]; /* per column tap and vector: the valid lanes of its (sw) loads */
  for (int64_t j = 0; j < kw; ++j) {
    for (int v = 0; v < nv; ++v) {
      for (int h = 0; h < sw; ++h) cm[j][v][h] = dwd_cols(sw * (q + 16 * v) + 16 * h + j - g->pl, g->w);
    }
  }
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  for (int64_t i = 0; i < kh; ++i) {
    const float *xr[4];
    for (int r = 0; r < nr; ++r) {
      const int64_t ih = (oh + r) * g->sh + i - g->pt;
      xr[r] = ih >= 0 && ih < g->h ? xp + ih * g->w + sw * q - g->pl : kDwdZeros;
    }
    for (int64_t j = 0; j < kw; ++j) {
      const __m512 wt = _mm512_set1_ps(wm[i * kw + j]);
      for (int r = 0; r < nr; ++r) {
        for (int v = 0; v < nv; ++v) {
          const float *s = xr[r] + j + sw * 16 * v;
          __m512 xv;
          if (sw == 1) {
            xv = _mm512_maskz_loadu_ps(cm[j][v][0], s);
          } else {
            xv = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(cm[j][v][0], s), even,
                                        _mm512_maskz_loadu_ps(cm[j][v][1], s + 16));
          }
          a[r][v] = _mm512_fmadd_ps(wt, xv, a[r][v]);
        }
      }
    }
  }
  const int64_t left = g->ow - q;
  const __mmask16 m0 = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
  const __mmask16 m1 = left >= 32 ? (__mmask16)0xffff : (left <= 16 ? (__mmask16)0 : (__mmask16)((1u << (left - 16)) - 1u));
  for (int r = 0; r < nr; ++r) {
    for (int v = 0; v < nv; ++v) {
      __m512 o = a[r][v];
      if (act >= 0) o = tsr_v16_act(act, o, alpha, beta);
      _mm512_mask_storeu_ps(yp + (oh + r) * g->ow + q + 16 * v, v ? m1 : m0, o);
    }
  }
}

static inline __attribute__((always_inline)) void dwd_rows(const int act, const int kk, const int sw,
                                                           const tsr_conv_geom *g,
                                                           const float *xp, const float *wm, int64_t oh0, int64_t rows,
                                                           float *yp, __m512 bias, __m512 alpha, __m512 beta) {
  for (int64_t r = 0; r < rows; r += 4) {
    const int64_t nr = rows - r < 4 ? rows - r : 4;
    for (int64_t q = 0; q < g->ow; q += 32) {
      const int nv = g->ow - q <= 16 ? 1 : 2;
#define DWD(NR, NV) dwd_block(NR, NV, act, kk, sw, g, xp, wm, oh0 + r, q, yp, bias, alpha, beta)
      if (nv == 2) {
        switch (nr) {
          case 4: DWD(4, 2); break;
          case 3: DWD(3, 2); break;
          case 2: DWD(2, 2); break;
          default: DWD(1, 2); break;
        }
      } else {
        switch (nr) {
          case 4: DWD(4, 1); break;
          case 3: DWD(3, 1); break;
          case 2: DWD(2, 1); break;
          default: DWD(1, 1); break;
        }
      }
#undef DWD
    }
  }
}

static void dwd_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  TSR_FTZ_BEGIN();
  const tsr_op *op = ctx->op;
  dwd_plan pl;
  dwd_plan_of(op, &pl);
  const tsr_conv_geom *g = &pl.g;
  const tsr_conv2d_params *p = &op->p.conv2d;
  const float *bias = tsr_op_has_src(op, 2) ? op->src[2].data : NULL;
  const float *slope = tsr_op_has_src(op, 3) ? op->src[3].data : NULL;
  const float *x = op->src[0].data, *w = op->src[1].data;
  float *y = op->dst.data;
  const int64_t taps = g->kh * g->kw;
  const __m512 beta = _mm512_set1_ps(p->act_beta);
  for (int64_t u = begin; u < end; ++u) {
    const int64_t bi = u % pl.bands, nm = u / pl.bands, n = nm / g->m, m = nm % g->m;
    const int64_t oh0 = bi * pl.band, rows = g->oh - oh0 < pl.band ? g->oh - oh0 : pl.band;
    const float *xp = x + (n * g->c + m / g->mg) * g->h * g->w;
    float *yp = y + (n * g->m + m) * g->oh * g->ow;
    const __m512 b = _mm512_set1_ps(bias ? bias[m] : 0.0f);
    const __m512 alpha = _mm512_set1_ps(slope ? slope[m] : p->act_alpha);
    const bool k3 = g->kh == 3 && g->kw == 3, silu = p->activation == TSR_UNARY_SILU, none = p->activation < 0;
    const float *wm = w + m * taps;
    if (g->sw == 1) {
      if (k3 && silu) dwd_rows(TSR_UNARY_SILU, 3, 1, g, xp, wm, oh0, rows, yp, b, alpha, beta);
      else if (k3 && none) dwd_rows(-1, 3, 1, g, xp, wm, oh0, rows, yp, b, alpha, beta);
      else dwd_rows(p->activation, 0, 1, g, xp, wm, oh0, rows, yp, b, alpha, beta);
    } else {
      if (k3 && silu) dwd_rows(TSR_UNARY_SILU, 3, 2, g, xp, wm, oh0, rows, yp, b, alpha, beta);
      else if (k3 && none) dwd_rows(-1, 3, 2, g, xp, wm, oh0, rows, yp, b, alpha, beta);
      else dwd_rows(p->activation, 0, 2, g, xp, wm, oh0, rows, yp, b, alpha, beta);
    }
  }
  TSR_FTZ_END();
}

const tsr_kernel tsr_conv2d_f32_ukernel_dw_direct_4x32__avx512 = {.name = "tsr_conv2d_f32_ukernel_dw_direct_4x32__avx512",
                                                                  .op = TSR_OP_CONV2D,
                                                                  .isa = TSR_ISA_AVX512,
                                                                  .match = dwd_match,
                                                                  .units = dwd_units,
                                                                  .run = dwd_run,
                                                                  .grain = dwd_grain};
