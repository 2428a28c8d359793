/* CONV2D f32 GEMM microkernels for AVX2 + FMA: 6x16 tile (6 output channels
 * x 16 pixels, 12 ymm accumulators), weights broadcast from the packed
 * panel, pixels read from b + koff[k]; bias and the fused activation in the
 * epilogue; partial strips keep their lanes through a stack buffer. */
#include <immintrin.h>

#include "conv/conv_dw.h"
#include "conv/conv_fill.h"
#include "conv/conv_gemm.h"
#include "conv/conv_tgemm.h"
#include "conv/x86/vmath_avx2.h"

/* Register tiles: every loop over the tile's rows fully unrolled (a loop
 * left rolled makes the accumulator array addressable: GCC then stores it
 * to the stack on every k step). */
/* Sanitizer builds leave the unrolling to the compiler: forced unrolling
 * with ASan instrumentation took clang 14 minutes per file. */
#ifdef TSR_SANITIZE_BUILD
#define TSR_UNROLL
#else
#define TSR_UNROLL _Pragma("GCC unroll 8")
#endif

/* tsr_v8_act with ReLU and SiLU inlined where |act| is a constant. */
static inline __attribute__((always_inline)) __m256 act8(const int act, __m256 x, __m256 alpha, __m256 beta) {
  if (act == TSR_UNARY_RELU) return _mm256_max_ps(x, _mm256_setzero_ps());
  if (act == TSR_UNARY_SILU) return tsr_v8_silu(x);
  return tsr_v8_act(act, x, alpha, beta);
}

/* Stores the kept lanes of v (16 lanes, |mask|) contiguously from |c|. */
static inline __attribute__((always_inline)) void store_16(float *c, __m256 v0, __m256 v1, uint64_t mask) {
  if (mask == 0xffff) {
    _mm256_storeu_ps(c, v0);
    _mm256_storeu_ps(c + 8, v1);
    return;
  }
  if ((mask & (mask + 1)) == 0) { /* a prefix of n lanes: masked stores */
    const int n = __builtin_popcountll(mask);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_maskstore_ps(c, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane), v0);
    if (n > 8) _mm256_maskstore_ps(c + 8, _mm256_cmpgt_epi32(_mm256_set1_epi32(n - 8), lane), v1);
    return;
  }
  float tmp[16];
  _mm256_storeu_ps(tmp, v0);
  _mm256_storeu_ps(tmp + 8, v1);
  size_t o = 0;
  for (uint64_t m = mask & 0xffff; m; m &= m - 1) c[o++] = tmp[__builtin_ctzll(m)];
}

/* Activation |act| (a constant where inlined: that kind's code only) on the
 * accumulators, then the kept lanes stored. */
static inline __attribute__((always_inline)) void store_6x16(const int rows, const int act, __m256 lo[6], __m256 hi[6],
                                                             float *c, size_t ldc, uint64_t mask, const tsr_conv_ep *ep,
                                                             size_t m0) {
  const __m256 beta = _mm256_set1_ps(ep->beta);
  TSR_UNROLL
  for (int r = 0; r < rows; ++r) {
    __m256 v0 = lo[r], v1 = hi[r];
    if (act >= 0) {
      const __m256 alpha = _mm256_set1_ps(ep->slope ? ep->slope[m0 + r] : ep->alpha);
      v0 = act8(act, v0, alpha, beta);
      v1 = act8(act, v1, alpha, beta);
    }
    store_16(c + (size_t)r * ldc, v0, v1, mask);
  }
}

/* Accumulators start from the bias; row k + TSR_CONV_PREFETCH of B is
 * prefetched (koff carries those entries). */
static inline __attribute__((always_inline)) void gemm_6x16(const int rows, size_t kc, const float *a, const float *b,
                                                            const int64_t *koff, float *c, size_t ldc, uint64_t mask,
                                                            const tsr_conv_ep *ep, size_t m0) {
  __m256 lo[6], hi[6];
  TSR_UNROLL
  for (int r = 0; r < rows; ++r) lo[r] = hi[r] = _mm256_set1_ps(ep->bias ? ep->bias[m0 + r] : 0.0f);
  for (size_t k = 0; k < kc; ++k) {
    const float *bk = b + koff[k];
    const float *bp = b + koff[k + TSR_CONV_PREFETCH];
    _mm_prefetch((const char *)bp, _MM_HINT_T0);
    _mm_prefetch((const char *)(bp + 15), _MM_HINT_T0);
    const __m256 b0 = _mm256_loadu_ps(bk), b1 = _mm256_loadu_ps(bk + 8);
    TSR_UNROLL
  for (int r = 0; r < rows; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      lo[r] = _mm256_fmadd_ps(av, b0, lo[r]);
      hi[r] = _mm256_fmadd_ps(av, b1, hi[r]);
    }
    a += 6;
  }
  switch (ep->act) { /* the common kinds inlined */
    case -1: store_6x16(rows, -1, lo, hi, c, ldc, mask, ep, m0); break;
    case TSR_UNARY_SILU: store_6x16(rows, TSR_UNARY_SILU, lo, hi, c, ldc, mask, ep, m0); break;
    case TSR_UNARY_RELU: store_6x16(rows, TSR_UNARY_RELU, lo, hi, c, ldc, mask, ep, m0); break;
    default: store_6x16(rows, ep->act, lo, hi, c, ldc, mask, ep, m0); break; /* tsr_v8_act out of line */
  }
}

#define UK(R)                                                                                               \
  static void uk_##R(size_t kc, const float *a, const float *b, const int64_t *koff, float *c, size_t ldc,  \
                     uint64_t mask, const tsr_conv_ep *ep, size_t m0) {                                      \
    gemm_6x16(R, kc, a, b, koff, c, ldc, mask, ep, m0);                                                      \
  }
UK(1) UK(2) UK(3) UK(4) UK(5) UK(6)
#undef UK

/* The band copy built for AVX2. */
static void fill256(const tsr_conv_geom *g, int64_t channels, const float *x, int64_t oh0, int64_t rows, int64_t wq,
                    int64_t rp, float pad, float *band) {
  tsr_conv_fill_band_body(g, channels, x, oh0, rows, wq, rp, pad, band);
}

const tsr_conv_gemm_isa tsr_conv_gemm_isa_avx2 = {6, 16, {NULL, uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, NULL, NULL}, fill256, NULL};

TSR_CONV_GEMM_KERNEL(tsr_conv2d_f32_ukernel_6x16__avx2, tsr_conv_gemm_isa_avx2, TSR_ISA_AVX2)
TSR_CONV_TGEMM_KERNEL(tsr_conv_transpose2d_f32_ukernel_6x16__avx2, tsr_conv_gemm_isa_avx2, TSR_ISA_AVX2)

/* Stores the first min(left, 8) lanes of v at d. */
static inline __attribute__((always_inline)) void store_8(float *d, __m256 v, int64_t left) {
  if (left >= 8) {
    _mm256_storeu_ps(d, v);
  } else if (left > 0) {
    _mm256_maskstore_ps(d, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                        v);
  }
}

/* Depthwise rows: up to 4 output rows x 16 columns (8 ymm accumulators, 8
 * independent FMA chains) per pass over the taps; |act| and, when non-zero,
 * |ntaps| compile-time constants where inlined. */
static inline __attribute__((always_inline)) void dw_block(const int nr, const int act, const size_t ntaps,
                                                           const float *in, size_t ldi, const int64_t *toff,
                                                           const float *w, size_t taps, float *y, size_t ldy, size_t q,
                                                           size_t ow, __m256 bias, __m256 alpha, __m256 beta) {
  if (ntaps) taps = ntaps;
  __m256 a[4][2];
  TSR_UNROLL
  for (int r = 0; r < nr; ++r) a[r][0] = a[r][1] = bias;
  for (size_t t = 0; t < taps; ++t) {
    const __m256 wt = _mm256_broadcast_ss(w + t);
    const float *s = in + toff[t] + q;
    TSR_UNROLL
    for (int r = 0; r < nr; ++r) {
      a[r][0] = _mm256_fmadd_ps(wt, _mm256_loadu_ps(s + r * ldi), a[r][0]);
      a[r][1] = _mm256_fmadd_ps(wt, _mm256_loadu_ps(s + r * ldi + 8), a[r][1]);
    }
  }
  const int64_t left = (int64_t)(ow - q);
  TSR_UNROLL
  for (int r = 0; r < nr; ++r) {
    __m256 v0 = a[r][0], v1 = a[r][1];
    if (act >= 0) {
      v0 = act8(act, v0, alpha, beta);
      if (left > 8) v1 = act8(act, v1, alpha, beta);
    }
    store_8(y + r * ldy + q, v0, left);
    store_8(y + r * ldy + q + 8, v1, left - 8);
  }
}

static inline __attribute__((always_inline)) void dw_rows(const int act, const size_t ntaps, const float *in,
                                                          size_t ldi, const int64_t *toff, const float *w, size_t taps,
                                                          float *y, size_t ldy, size_t nrows, size_t ow,
                                                          const tsr_conv_ep *ep, size_t m) {
  const __m256 bias = _mm256_set1_ps(ep->bias ? ep->bias[m] : 0.0f);
  const __m256 alpha = _mm256_set1_ps(ep->slope ? ep->slope[m] : ep->alpha), beta = _mm256_set1_ps(ep->beta);
  for (size_t q = 0; q < ow; q += 16) {
    switch (nrows) {
      case 4: dw_block(4, act, ntaps, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta); break;
      case 3: dw_block(3, act, ntaps, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta); break;
      case 2: dw_block(2, act, ntaps, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta); break;
      default: dw_block(1, act, ntaps, in, ldi, toff, w, taps, y, ldy, q, ow, bias, alpha, beta); break;
    }
  }
}

/* 3x3 with no activation, SiLU or ReLU (the usual) unrolled and inlined. */
void tsr_conv_dw_rows_f32__avx2(const float *in, size_t ldi, const int64_t *toff, const float *w, size_t taps, float *y,
                                size_t ldy, size_t nrows, size_t ow, const tsr_conv_ep *ep, size_t m) {
  if (taps == 9 && ep->act == TSR_UNARY_SILU)
    dw_rows(TSR_UNARY_SILU, 9, in, ldi, toff, w, taps, y, ldy, nrows, ow, ep, m);
  else if (taps == 9 && ep->act == TSR_UNARY_RELU)
    dw_rows(TSR_UNARY_RELU, 9, in, ldi, toff, w, taps, y, ldy, nrows, ow, ep, m);
  else if (taps == 9 && ep->act < 0)
    dw_rows(-1, 9, in, ldi, toff, w, taps, y, ldy, nrows, ow, ep, m);
  else if (ep->act == TSR_UNARY_SILU)
    dw_rows(TSR_UNARY_SILU, 0, in, ldi, toff, w, taps, y, ldy, nrows, ow, ep, m);
  else
    dw_rows(ep->act, 0, in, ldi, toff, w, taps, y, ldy, nrows, ow, ep, m);
}

TSR_CONV_DW_KERNEL(tsr_conv2d_f32_ukernel_dw_4x16__avx2, tsr_conv_dw_rows_f32__avx2, fill256, TSR_ISA_AVX2)

/* Depthwise CONV2D at column stride 1 or 2 (any row stride), dilation 1,
 * read straight from x (no band copy): up to 4 output rows x 16 columns per
 * pass over the taps. Blocks whose loads all lie inside the row use plain
 * loads; the others (the plane's left and right edges) masked loads with
 * the columns outside the plane zero (the padding); input rows outside the
 * plane read a zero row. Stride 2 takes the even columns of two loads
 * (one in-lane shuffle and one permute). The taps are summed in the
 * reference order from the bias. Units: (n, m, band of output rows). */
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
  return (g.sw == 1 || g.sw == 2) && g.dh == 1 && g.dw == 1 && g.kw <= 16 && g.w < INT32_MAX / 2;
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
  return tsr_conv_grain_of(g->n * g->m * g->oh * g->ow * g->kh * g->kw, g->n * g->m * pl.bands);
}

/* Lanes l < 8 with 0 <= c0 + l < w, as a maskload mask. */
static inline __m256i dwd_cols(int64_t c0, int64_t w) {
  const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)c0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  return _mm256_and_si256(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(-1)), _mm256_cmpgt_epi32(_mm256_set1_epi32((int)w), idx));
}

/* The even lanes of (lo, hi): s[0], s[2], .., s[14]. */
static inline __m256 dwd_even(__m256 lo, __m256 hi) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xd8));
}

/* Rows outside the plane read zeros from here (reads reach 16 + 8 * sw * 2
 * floats past it at most). */
static const float kDwdZeros[64];

/* |kk| > 0: a kk x kk kernel (compile-time, unrolled); 0: g's. |edge|:
 * masked loads (cm: [kw][nv][sw] column masks). */
static inline __attribute__((always_inline)) void dwd_block(const int nr, const int nv, const int act, const int kk,
                                                            const int sw, const bool edge, const tsr_conv_geom *g,
                                                            const float *xp, const float *wm, int64_t oh, int64_t q,
                                                            float *yp, __m256 bias, __m256 alpha, __m256 beta) {
  const int64_t kh = kk ? kk : g->kh, kw = kk ? kk : g->kw;
  __m256 a[4][2];
  TSR_UNROLL
  for (int r = 0; r < nr; ++r) a[r][0] = a[r][1] = bias;
  __m256i cm[16][2][2];
  if (edge) {
    for (int64_t j = 0; j < kw; ++j) {
      for (int v = 0; v < nv; ++v) {
        for (int h = 0; h < sw; ++h) cm[j][v][h] = dwd_cols(sw * (q + 8 * v) + 8 * h + j - g->pl, g->w);
      }
    }
  }
  for (int64_t i = 0; i < kh; ++i) {
    const float *xr[4];
    TSR_UNROLL
    for (int r = 0; r < nr; ++r) {
      const int64_t ih = (oh + r) * g->sh + i - g->pt;
      xr[r] = ih >= 0 && ih < g->h ? xp + ih * g->w + sw * q - g->pl : kDwdZeros;
    }
    for (int64_t j = 0; j < kw; ++j) {
      const __m256 wt = _mm256_broadcast_ss(wm + i * kw + j);
      TSR_UNROLL
      for (int r = 0; r < nr; ++r) {
        TSR_UNROLL
        for (int v = 0; v < nv; ++v) {
          const float *s = xr[r] + j + sw * 8 * v;
          __m256 xv;
          if (sw == 1) {
            xv = edge ? _mm256_maskload_ps(s, cm[j][v][0]) : _mm256_loadu_ps(s);
          } else if (edge) {
            xv = dwd_even(_mm256_maskload_ps(s, cm[j][v][0]), _mm256_maskload_ps(s + 8, cm[j][v][1]));
          } else {
            xv = dwd_even(_mm256_loadu_ps(s), _mm256_loadu_ps(s + 8));
          }
          a[r][v] = _mm256_fmadd_ps(wt, xv, a[r][v]);
        }
      }
    }
  }
  const int64_t left = g->ow - q;
  TSR_UNROLL
  for (int r = 0; r < nr; ++r) {
    TSR_UNROLL
    for (int v = 0; v < nv; ++v) {
      __m256 o = a[r][v];
      if (act >= 0) o = act8(act, o, alpha, beta);
      store_8(yp + (oh + r) * g->ow + q + 8 * v, o, left - 8 * v);
    }
  }
}

static inline __attribute__((always_inline)) void dwd_rows(const int act, const int kk, const int sw,
                                                           const tsr_conv_geom *g, const float *xp, const float *wm,
                                                           int64_t oh0, int64_t rows, float *yp, __m256 bias,
                                                           __m256 alpha, __m256 beta) {
  for (int64_t r = 0; r < rows; r += 4) {
    const int64_t nr = rows - r < 4 ? rows - r : 4;
    for (int64_t q = 0; q < g->ow; q += 16) {
      const int nv = g->ow - q <= 8 ? 1 : 2;
      const int64_t c0 = sw * q - g->pl; /* first and last column the block reads */
      const bool edge = c0 < 0 || c0 + g->kw - 1 + 8 * sw * nv - 1 >= g->w;
#define DWD(NR, NV, E) dwd_block(NR, NV, act, kk, sw, E, g, xp, wm, oh0 + r, q, yp, bias, alpha, beta)
#define DWD_NR(NV, E)              \
  switch (nr) {                    \
    case 4: DWD(4, NV, E); break;  \
    case 3: DWD(3, NV, E); break;  \
    case 2: DWD(2, NV, E); break;  \
    default: DWD(1, NV, E); break; \
  }
      if (edge) {
        if (nv == 2) DWD_NR(2, true) else DWD_NR(1, true)
      } else {
        if (nv == 2) DWD_NR(2, false) else DWD_NR(1, false)
      }
#undef DWD_NR
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
  const __m256 beta = _mm256_set1_ps(p->act_beta);
  for (int64_t u = begin; u < end; ++u) {
    const int64_t bi = u % pl.bands, nm = u / pl.bands, n = nm / g->m, m = nm % g->m;
    const int64_t oh0 = bi * pl.band, rows = g->oh - oh0 < pl.band ? g->oh - oh0 : pl.band;
    const float *xp = x + (n * g->c + m / g->mg) * g->h * g->w;
    float *yp = y + (n * g->m + m) * g->oh * g->ow;
    const __m256 b = _mm256_set1_ps(bias ? bias[m] : 0.0f);
    const __m256 alpha = _mm256_set1_ps(slope ? slope[m] : p->act_alpha);
    const bool k3 = g->kh == 3 && g->kw == 3, silu = p->activation == TSR_UNARY_SILU;
    const bool relu = p->activation == TSR_UNARY_RELU, none = p->activation < 0;
    const float *wm = w + m * taps;
    if (g->sw == 1) {
      if (k3 && silu) dwd_rows(TSR_UNARY_SILU, 3, 1, g, xp, wm, oh0, rows, yp, b, alpha, beta);
      else if (k3 && relu) dwd_rows(TSR_UNARY_RELU, 3, 1, g, xp, wm, oh0, rows, yp, b, alpha, beta);
      else if (k3 && none) dwd_rows(-1, 3, 1, g, xp, wm, oh0, rows, yp, b, alpha, beta);
      else dwd_rows(p->activation, 0, 1, g, xp, wm, oh0, rows, yp, b, alpha, beta);
    } else {
      if (k3 && silu) dwd_rows(TSR_UNARY_SILU, 3, 2, g, xp, wm, oh0, rows, yp, b, alpha, beta);
      else if (k3 && relu) dwd_rows(TSR_UNARY_RELU, 3, 2, g, xp, wm, oh0, rows, yp, b, alpha, beta);
      else if (k3 && none) dwd_rows(-1, 3, 2, g, xp, wm, oh0, rows, yp, b, alpha, beta);
      else dwd_rows(p->activation, 0, 2, g, xp, wm, oh0, rows, yp, b, alpha, beta);
    }
  }
  TSR_FTZ_END();
}

const tsr_kernel tsr_conv2d_f32_ukernel_dw_direct_4x16__avx2 = {.name = "tsr_conv2d_f32_ukernel_dw_direct_4x16__avx2",
                                                                .op = TSR_OP_CONV2D,
                                                                .isa = TSR_ISA_AVX2,
                                                                .match = dwd_match,
                                                                .units = dwd_units,
                                                                .run = dwd_run,
                                                                .grain = dwd_grain};
