/* tessera/vision.h: frame preprocessing and detection post-processing against
 * hand-computed cases and against independent straightforward computations
 * (double precision, written from the header's formulas) on odd sizes; the
 * x86 variants against the reference. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/tessera.h"

/* ---- helpers ---------------------------------------------------------------- */

static uint32_t g_rng = 12345u;
static uint32_t rnd(void) {
  g_rng = g_rng * 1664525u + 1013904223u;
  return g_rng >> 8;
}
static float rndf(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xffff) / 65535.0f; }

static bool has(const tsr_error *e, const char *s) { return strstr(e->message, s) != NULL; }

/* Independent YUV -> RGB, straight from the header's table, in double. */
static void yuv_rgb(int matrix, int y, int u, int v, double rgb[3]) {
  double yy, uu = u - 128.0, vv = v - 128.0;
  double r, g, b;
  if (matrix == TSR_YUV_BT601_FULL) {
    yy = y;
    r = yy + 1.402 * vv, g = yy - 0.344136 * uu - 0.714136 * vv, b = yy + 1.772 * uu;
  } else if (matrix == TSR_YUV_BT709_LIMITED) {
    yy = 1.164383 * (y - 16);
    r = yy + 1.792741 * vv, g = yy - 0.213249 * uu - 0.532909 * vv, b = yy + 2.112402 * uu;
  } else {
    yy = 1.164383 * (y - 16);
    r = yy + 1.596027 * vv, g = yy - 0.391762 * uu - 0.812968 * vv, b = yy + 2.017232 * uu;
  }
  double c[3] = {r, g, b};
  for (int k = 0; k < 3; ++k) rgb[k] = c[k] < 0 ? 0 : (c[k] > 255 ? 255 : floor(c[k] + 0.5));
}

/* A random frame of |fmt| in a buffer with stride padding (filled with
 * garbage that must never be read into the result). */
typedef struct test_frame {
  tsr_frame f;
  uint8_t *buf;
} test_frame;

static int bpp(int fmt) {
  return fmt == TSR_PIXEL_RGB8 || fmt == TSR_PIXEL_BGR8 ? 3 : fmt == TSR_PIXEL_RGBA8 || fmt == TSR_PIXEL_BGRA8 ? 4 : fmt == TSR_PIXEL_YUYV ? 2 : 1;
}

static test_frame make_frame(int fmt, int w, int h, int pad, int matrix) {
  test_frame t;
  memset(&t, 0, sizeof(t));
  int stride = w * bpp(fmt) + pad;
  size_t size = (size_t)stride * (size_t)h + (fmt == TSR_PIXEL_NV12 ? (size_t)stride * (size_t)(h / 2) : 0);
  t.buf = malloc(size);
  for (size_t i = 0; i < size; ++i) t.buf[i] = (uint8_t)(rnd() & 0xff);
  t.f.format = fmt;
  t.f.width = w;
  t.f.height = h;
  t.f.stride = stride;
  t.f.data = t.buf;
  t.f.matrix = matrix;
  return t;
}

/* Independent: RGB of frame pixel (x, y) in double. */
static void ind_rgb(const tsr_frame *f, int x, int y, double rgb[3]) {
  const uint8_t *row = f->data + (size_t)y * (size_t)f->stride;
  switch (f->format) {
    case TSR_PIXEL_RGB8: for (int k = 0; k < 3; ++k) rgb[k] = row[3 * x + k]; break;
    case TSR_PIXEL_BGR8: for (int k = 0; k < 3; ++k) rgb[k] = row[3 * x + 2 - k]; break;
    case TSR_PIXEL_RGBA8: for (int k = 0; k < 3; ++k) rgb[k] = row[4 * x + k]; break;
    case TSR_PIXEL_BGRA8: for (int k = 0; k < 3; ++k) rgb[k] = row[4 * x + 2 - k]; break;
    case TSR_PIXEL_GRAY8: for (int k = 0; k < 3; ++k) rgb[k] = row[x]; break;
    case TSR_PIXEL_NV12: {
      const uint8_t *uvp = (f->uv ? f->uv : f->data + (size_t)f->stride * (size_t)f->height) +
                           (size_t)(y / 2) * (size_t)(f->uv_stride ? f->uv_stride : f->stride);
      yuv_rgb(f->matrix, row[x], uvp[2 * (x / 2)], uvp[2 * (x / 2) + 1], rgb);
      break;
    }
    default: { /* YUYV */
      const uint8_t *q = row + 4 * (x / 2);
      yuv_rgb(f->matrix, q[x % 2 == 0 ? 0 : 2], q[1], q[3], rgb);
      break;
    }
  }
}

/* ---- argument checks ------------------------------------------------------- */

static void test_frame_errors(void) {
  uint8_t px[64 * 64 * 4];
  float out[16 * 16 * 3];
  memset(px, 0, sizeof(px));
  tsr_frame f = {TSR_PIXEL_NV12, 15, 8, 16, px, NULL, 0, 0};
  tsr_preprocess pre;
  tsr_preprocess_default(&pre, 16, 16);
  tsr_error e;
  tsr_letterbox lb;
  memset(&lb, 0xab, sizeof(lb));
  const tsr_letterbox lb0 = lb;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "frame.width") && has(&e, "NV12"));
  CU_ASSERT(memcmp(&lb, &lb0, sizeof(lb)) == 0); /* out_ written only on success */
  f.width = 16, f.height = 7;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "frame.height"));
  f.format = TSR_PIXEL_YUYV, f.width = 9, f.stride = 18;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "frame.width") && has(&e, "YUYV"));
  f.width = 8, f.stride = 15; /* YUYV row is 16 bytes */
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "frame.stride"));
  f.format = TSR_PIXEL_RGB8, f.width = 0, f.stride = 64;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "frame.width x height"));
  f.width = 8, f.height = 8, f.stride = 23;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "frame.stride"));
  f.stride = 24, f.data = NULL;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "frame.data"));
  f.data = px, f.format = 99;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "frame.format"));
  f.format = TSR_PIXEL_RGB8;
  pre.crop = (tsr_rect){4, 4, 5, 2};
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "crop"));
  pre.crop = (tsr_rect){0, 0, 0, 0};
  pre.std[1] = 0.0f;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "std[1]"));
  pre.std[1] = 1.0f;
  pre.width = 0;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "preprocess.width"));
  pre.width = 16, pre.channels = 2;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "preprocess.channels"));
  pre.channels = 3, pre.dtype = TSR_DTYPE_I8, pre.q_zero_point = 200;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "q_zero_point"));
  pre.dtype = TSR_DTYPE_F16;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "preprocess.dtype"));
  pre.dtype = TSR_DTYPE_F32;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out) - 4, &lb, &e), TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT(has(&e, "dst_size"));
  CU_ASSERT(memcmp(&lb, &lb0, sizeof(lb)) == 0);
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, out, sizeof(out), &lb, &e), TSR_OK);
  uint8_t rgb[8 * 8 * 3];
  CU_ASSERT_EQUAL(tsr_frame_to_rgb(&f, rgb, 23, sizeof(rgb), &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "dst_stride"));
  CU_ASSERT_EQUAL(tsr_frame_to_rgb(&f, rgb, 24, sizeof(rgb) - 1, &e), TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(tsr_frame_to_rgb(&f, rgb, 24, sizeof(rgb), &e), TSR_OK);
}

/* ---- colour conversion ----------------------------------------------------- */

/* Every format, odd sizes (even where the format needs it), stride padding:
 * tsr_frame_to_rgb against the per-pixel formula. */
static void test_to_rgb_formula(void) {
  static const int fmts[] = {TSR_PIXEL_RGB8, TSR_PIXEL_BGR8, TSR_PIXEL_RGBA8, TSR_PIXEL_BGRA8,
                             TSR_PIXEL_GRAY8, TSR_PIXEL_NV12, TSR_PIXEL_YUYV};
  for (size_t fi = 0; fi < sizeof(fmts) / sizeof(fmts[0]); ++fi) {
    for (int matrix = 0; matrix < TSR_YUV_MATRIX_COUNT; ++matrix) {
      const int fmt = fmts[fi];
      const bool yuv = fmt == TSR_PIXEL_NV12 || fmt == TSR_PIXEL_YUYV;
      if (!yuv && matrix > 0) continue;
      const int w = yuv ? 38 : 37, h = fmt == TSR_PIXEL_NV12 ? 22 : 21;
      test_frame t = make_frame(fmt, w, h, 5, matrix);
      const int ds = w * 3 + 2;
      uint8_t *rgb = malloc((size_t)ds * (size_t)h);
      tsr_error e;
      CU_ASSERT_EQUAL_FATAL(tsr_frame_to_rgb(&t.f, rgb, ds, (size_t)ds * (size_t)h, &e), TSR_OK);
      int bad = 0, exact = 0, n = 0;
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          double ref[3];
          ind_rgb(&t.f, x, y, ref);
          for (int k = 0; k < 3; ++k, ++n) {
            const double d = fabs(rgb[(size_t)y * ds + 3 * (size_t)x + (size_t)k] - ref[k]);
            bad += d > 1.0;
            exact += d == 0.0;
          }
        }
      }
      if (bad || exact < n - n / 100)
        printf("\n    format %d matrix %d: %d off by > 1, %d of %d exact", fmt, matrix, bad, exact, n);
      CU_ASSERT_EQUAL(bad, 0);
      CU_ASSERT(exact >= n - n / 100);
      free(rgb);
      free(t.buf);
    }
  }
  /* NV12 with a separate UV plane and its own stride; known values: Y 16 U V
   * 128 is black, Y 235 is white, Y 81 U 90 V 240 is BT.601 red. */
  uint8_t yp[2 * 4] = {16, 235, 81, 81, 16, 235, 81, 81}, uvp[6] = {128, 128, 90, 240, 0, 0};
  tsr_frame f = {TSR_PIXEL_NV12, 4, 2, 4, yp, uvp, 6, TSR_YUV_BT601_LIMITED};
  uint8_t rgb[2 * 12];
  tsr_error e;
  CU_ASSERT_EQUAL_FATAL(tsr_frame_to_rgb(&f, rgb, 12, sizeof(rgb), &e), TSR_OK);
  CU_ASSERT(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0);
  CU_ASSERT(rgb[3] == 255 && rgb[4] == 255 && rgb[5] == 255);
  CU_ASSERT(rgb[6] >= 254 && rgb[7] <= 1 && rgb[8] <= 1); /* red */
}

/* ---- preprocessing: hand-computed ------------------------------------------ */

static void test_preprocess_hand(void) {
  tsr_error e;
  tsr_letterbox lb;
  /* 2x1 gray [0, 100] -> 4x1 bilinear, half-pixel centres: 0, 25, 75, 100. */
  uint8_t g2[2] = {0, 100};
  tsr_frame f = {TSR_PIXEL_GRAY8, 2, 1, 2, g2, NULL, 0, 0};
  tsr_preprocess pre;
  tsr_preprocess_default(&pre, 4, 1);
  pre.channels = 1;
  pre.scale = 1.0f;
  float o[64];
  CU_ASSERT_EQUAL_FATAL(tsr_frame_preprocess(&f, &pre, o, sizeof(o), &lb, &e), TSR_OK);
  CU_ASSERT(o[0] == 0.0f && o[1] == 25.0f && o[2] == 75.0f && o[3] == 100.0f);
  /* Area 4 -> 2: 15, 35; nearest 4 -> 2: 10, 30. */
  uint8_t g4[4] = {10, 20, 30, 40};
  f = (tsr_frame){TSR_PIXEL_GRAY8, 4, 1, 4, g4, NULL, 0, 0};
  pre.width = 2, pre.resize = TSR_FRAME_AREA;
  CU_ASSERT_EQUAL_FATAL(tsr_frame_preprocess(&f, &pre, o, sizeof(o), &lb, &e), TSR_OK);
  CU_ASSERT(o[0] == 15.0f && o[1] == 35.0f);
  pre.resize = TSR_FRAME_NEAREST;
  CU_ASSERT_EQUAL_FATAL(tsr_frame_preprocess(&f, &pre, o, sizeof(o), &lb, &e), TSR_OK);
  CU_ASSERT(o[0] == 10.0f && o[1] == 30.0f);
  /* 4x2 RGB into a 4x4 letterbox: rows 0-1 the image, 2-3 pad 114; centred:
   * rows 1-2. Normalised (p / 255 - 0.5) / 0.25; NHWC; BGR order. */
  uint8_t rgb[4 * 2 * 3];
  for (int i = 0; i < 24; ++i) rgb[i] = (uint8_t)(i * 10);
  f = (tsr_frame){TSR_PIXEL_RGB8, 4, 2, 12, rgb, NULL, 0, 0};
  tsr_preprocess_default(&pre, 4, 4);
  pre.fit = TSR_FIT_LETTERBOX;
  pre.mean[0] = pre.mean[1] = pre.mean[2] = 0.5f;
  pre.std[0] = pre.std[1] = pre.std[2] = 0.25f;
  pre.layout = TSR_LAYOUT_NHWC;
  pre.bgr = true;
  CU_ASSERT_EQUAL_FATAL(tsr_frame_preprocess(&f, &pre, o, sizeof(o), &lb, &e), TSR_OK);
  CU_ASSERT(lb.pad_x == 0 && lb.pad_y == 0 && lb.content_width == 4 && lb.content_height == 2);
  CU_ASSERT(lb.scale_x == 1.0f && lb.scale_y == 1.0f);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      for (int k = 0; k < 3; ++k) {
        const float px = y < 2 ? (float)rgb[(y * 4 + x) * 3 + (2 - k)] : 114.0f;
        const float want = (px * (1.0f / 255.0f) - 0.5f) / 0.25f;
        CU_ASSERT(fabsf(o[(y * 4 + x) * 3 + k] - want) < 1e-6f);
      }
    }
  }
  pre.fit = TSR_FIT_LETTERBOX_CENTER;
  pre.layout = TSR_LAYOUT_NCHW;
  pre.bgr = false;
  CU_ASSERT_EQUAL_FATAL(tsr_frame_preprocess(&f, &pre, o, sizeof(o), &lb, &e), TSR_OK);
  CU_ASSERT(lb.pad_y == 1 && lb.offset_y == 1.0f);
  CU_ASSERT(fabsf(o[0 * 16 + 1 * 4 + 2] - ((float)rgb[2 * 3] / 255.0f - 0.5f) / 0.25f) < 1e-6f);  /* R (1,2) */
  CU_ASSERT(fabsf(o[2 * 16 + 2 * 4 + 3] - ((float)rgb[7 * 3 + 2] / 255.0f - 0.5f) / 0.25f) < 1e-6f); /* B (2,3) */
  CU_ASSERT(fabsf(o[1 * 16 + 0 * 4 + 0] - (114.0f / 255.0f - 0.5f) / 0.25f) < 1e-6f);
  /* Quantised: u8 with scale 1 (identity), and i8 with value/0.5 - 3. */
  tsr_preprocess_default(&pre, 4, 2);
  pre.scale = 1.0f;
  pre.dtype = TSR_DTYPE_U8;
  uint8_t q[32];
  CU_ASSERT_EQUAL_FATAL(tsr_frame_preprocess(&f, &pre, q, sizeof(q), &lb, &e), TSR_OK);
  for (int i = 0; i < 8; ++i) CU_ASSERT_EQUAL(q[i], rgb[3 * i]); /* channel R plane */
  pre.dtype = TSR_DTYPE_I8;
  pre.q_scale = 2.0f;
  pre.q_zero_point = -3;
  CU_ASSERT_EQUAL_FATAL(tsr_frame_preprocess(&f, &pre, q, sizeof(q), &lb, &e), TSR_OK);
  for (int i = 0; i < 24; ++i) {
    const int c = i / 8, p = i % 8;
    float want = nearbyintf((float)rgb[3 * p + c] / 2.0f) - 3.0f;
    want = want > 127.0f ? 127.0f : want;
    CU_ASSERT_EQUAL((int)(int8_t)q[i], (int)want);
  }
}

/* ---- preprocessing: independent computation on odd sizes ------------------- */

/* Independent whole-pipeline value of output pixel (x, y) channel k, in
 * double (before quantisation). */
static double ind_pixel(const tsr_frame *f, const tsr_preprocess *pre, const tsr_letterbox *lb, int x, int y, int k) {
  const tsr_rect c = lb->source;
  const int cx = x - lb->pad_x, cy = y - lb->pad_y;
  double v;
  /* source value of crop pixel (sx, sy), channel k */
#define SRC(sx, sy, out)                                                                                  \
  do {                                                                                                    \
    double rgb_[3];                                                                                       \
    ind_rgb(f, c.x + (sx), c.y + (sy), rgb_);                                                             \
    if (pre->channels == 1)                                                                               \
      out = (f->format == TSR_PIXEL_GRAY8) ? rgb_[0]                                                     \
                                           : (double)(((unsigned)rgb_[0] * 4899u + (unsigned)rgb_[1] * 9617u + \
                                                       (unsigned)rgb_[2] * 1868u + 8192u) >> 14);          \
    else                                                                                                  \
      out = rgb_[pre->bgr ? 2 - k : k];                                                                   \
  } while (0)
  if (cx < 0 || cy < 0 || cx >= lb->content_width || cy >= lb->content_height) {
    v = pre->pad_value;
  } else if (pre->resize == TSR_FRAME_NEAREST) {
    int sx = (int)floor((double)cx * c.width / lb->content_width), sy = (int)floor((double)cy * c.height / lb->content_height);
    SRC(sx, sy, v);
  } else if (pre->resize == TSR_FRAME_AREA && c.width >= lb->content_width && c.height >= lb->content_height) {
    const double sx = (double)c.width / lb->content_width, sy = (double)c.height / lb->content_height;
    double acc = 0, ws = 0;
    for (int iy = 0; iy < c.height; ++iy) {
      for (int ix = 0; ix < c.width; ++ix) {
        const double wx = fmax(0.0, fmin(cx * sx + sx, ix + 1.0) - fmax(cx * sx, (double)ix));
        const double wy = fmax(0.0, fmin(cy * sy + sy, iy + 1.0) - fmax(cy * sy, (double)iy));
        if (wx * wy > 0) {
          double s;
          SRC(ix, iy, s);
          acc += wx * wy * s;
          ws += wx * wy;
        }
      }
    }
    v = acc / ws;
  } else {
    const double fx = (cx + 0.5) * c.width / lb->content_width - 0.5, fy = (cy + 0.5) * c.height / lb->content_height - 0.5;
    const double gx = fmin(fmax(fx, 0.0), c.width - 1.0), gy = fmin(fmax(fy, 0.0), c.height - 1.0);
    const int x0 = (int)floor(gx), y0 = (int)floor(gy);
    const int x1 = x0 + 1 < c.width ? x0 + 1 : x0, y1 = y0 + 1 < c.height ? y0 + 1 : y0;
    const double ax = gx - x0, ay = gy - y0;
    double p00, p01, p10, p11;
    SRC(x0, y0, p00);
    SRC(x1, y0, p01);
    SRC(x0, y1, p10);
    SRC(x1, y1, p11);
    v = (1 - ay) * ((1 - ax) * p00 + ax * p01) + ay * ((1 - ax) * p10 + ax * p11);
  }
#undef SRC
  if (pre->round_u8) v = floor(v + 0.5);
  return (v * pre->scale - pre->mean[k]) / pre->std[k];
}

/* Compares tsr_frame_preprocess with ind_pixel over a sweep of formats,
 * resize modes, fits, crops, layouts and dtypes. |isa| selects variants. */
static void sweep(uint32_t isa, bool vs_reference) {
  static const int fmts[] = {TSR_PIXEL_RGB8, TSR_PIXEL_BGR8, TSR_PIXEL_RGBA8, TSR_PIXEL_BGRA8,
                             TSR_PIXEL_GRAY8, TSR_PIXEL_NV12, TSR_PIXEL_YUYV};
  int cases = 0, worst_case = -1;
  double worst = 0;
  for (size_t fi = 0; fi < sizeof(fmts) / sizeof(fmts[0]); ++fi) {
    for (int mode = 0; mode < 3; ++mode) {
      for (int fit = 0; fit < 3; ++fit) {
        for (int variant = 0; variant < 5; ++variant, ++cases) {
          const int fmt = fmts[fi];
          const bool yuv = fmt == TSR_PIXEL_NV12 || fmt == TSR_PIXEL_YUYV;
          const int fw = yuv ? 46 : 45, fh = fmt == TSR_PIXEL_NV12 ? 30 : 29;
          test_frame t = make_frame(fmt, fw, fh, 3, (int)(rnd() % TSR_YUV_MATRIX_COUNT));
          tsr_preprocess pre;
          /* variant 0: enlarge 61x37; 1: shrink 19x13 NHWC; 2: crop 7,5 27x17
           * -> 23x11, u8 quantised; 3: gray 17x31, i8, rounded to 8 bits;
           * 4: crop 5,3 33x21 (odd offsets, chroma pairs split) -> 29x19 f32
           * NHWC */
          static const int ow[5] = {61, 19, 23, 17, 29}, oh[5] = {37, 13, 11, 31, 19};
          tsr_preprocess_default(&pre, ow[variant], oh[variant]);
          pre.resize = mode;
          pre.fit = fit;
          pre.bgr = (cases & 1) != 0;
          pre.pad_value = 77;
          pre.mean[0] = 0.4f, pre.mean[1] = 0.5f, pre.mean[2] = 0.6f;
          pre.std[0] = 0.2f, pre.std[1] = 0.25f, pre.std[2] = 0.3f;
          pre.isa = isa;
          if (variant == 1) pre.layout = TSR_LAYOUT_NHWC;
          if (variant == 2) {
            pre.crop = (tsr_rect){7, 5, 27, 17};
            pre.dtype = TSR_DTYPE_U8;
            pre.q_scale = 0.02f;
            pre.q_zero_point = 128;
          }
          if (variant == 4) {
            pre.crop = (tsr_rect){5, 3, 33, 21};
            pre.layout = TSR_LAYOUT_NHWC;
          }
          if (variant == 3) {
            pre.channels = 1;
            pre.dtype = TSR_DTYPE_I8;
            pre.q_scale = 0.03f;
            pre.q_zero_point = 5;
            pre.round_u8 = true;
          }
          size_t bytes = 0;
          tsr_error e;
          CU_ASSERT_EQUAL_FATAL(tsr_preprocess_output_size(&pre, &bytes, &e), TSR_OK);
          float *out = malloc(bytes + 4), *ref = malloc(bytes + 4);
          tsr_letterbox lb, lb2;
          tsr_status st = tsr_frame_preprocess(&t.f, &pre, out, bytes, &lb, &e);
          if (st != TSR_OK) printf("\n    %s", e.message);
          CU_ASSERT_EQUAL_FATAL(st, TSR_OK);
          const int n = pre.width * pre.height * pre.channels;
          double dmax = 0;
          if (vs_reference) {
            tsr_preprocess p0 = pre;
            p0.isa = 0;
            CU_ASSERT_EQUAL_FATAL(tsr_frame_preprocess(&t.f, &p0, ref, bytes, &lb2, &e), TSR_OK);
            for (int i = 0; i < n; ++i) {
              const double a = pre.dtype == TSR_DTYPE_F32 ? out[i] : pre.dtype == TSR_DTYPE_U8 ? ((uint8_t *)out)[i] : ((int8_t *)out)[i];
              const double b = pre.dtype == TSR_DTYPE_F32 ? ref[i] : pre.dtype == TSR_DTYPE_U8 ? ((uint8_t *)ref)[i] : ((int8_t *)ref)[i];
              dmax = fmax(dmax, fabs(a - b));
            }
            /* the same f32 operations in the same order (no FMA contraction):
             * identical results */
            if (dmax > 0.0) {
              printf("\n    variant vs reference: format %d mode %d fit %d variant %d: max |d| %g", fmt, mode, fit,
                     variant, dmax);
              CU_FAIL("variant differs from the reference");
            }
          } else {
            for (int i = 0; i < n; ++i) {
              int x, y, k;
              if (pre.layout == TSR_LAYOUT_NHWC) k = i % pre.channels, x = (i / pre.channels) % pre.width, y = i / pre.channels / pre.width;
              else x = i % pre.width, y = (i / pre.width) % pre.height, k = i / pre.width / pre.height;
              const double want = ind_pixel(&t.f, &pre, &lb, x, y, k);
              double got, d;
              if (pre.dtype == TSR_DTYPE_F32) {
                got = out[i];
                d = fabs(got - want) * pre.std[k] / pre.scale; /* in 8-bit levels */
              } else {
                got = pre.dtype == TSR_DTYPE_U8 ? ((uint8_t *)out)[i] : ((int8_t *)out)[i];
                double q = floor(want / pre.q_scale + 0.5) + pre.q_zero_point;
                q = pre.dtype == TSR_DTYPE_U8 ? fmin(fmax(q, 0), 255) : fmin(fmax(q, -128), 127);
                d = fabs(got - q);
              }
              dmax = fmax(dmax, d);
            }
            /* f32: 1e-3 of a level (f32 vs double coordinates), but a YUV colour
             * or a rounded pixel may flip one level at a tie; quantised: 1 step */
            const double tol = pre.dtype == TSR_DTYPE_F32 ? (yuv ? 1.001 : 5e-3) : 1.0;
            if (dmax > tol) {
              printf("\n    format %d mode %d fit %d variant %d: max |d| %g (tolerance %g)", fmt, mode, fit, variant, dmax, tol);
              CU_FAIL("preprocess differs from the independent computation");
            }
          }
          if (dmax > worst) worst = dmax, worst_case = cases;
          free(out);
          free(ref);
          free(t.buf);
        }
      }
    }
  }
  printf("\n    %d cases, worst max |d| %g (case %d) ", cases, worst, worst_case);
}

static void test_preprocess_independent(void) { sweep(0, false); }

static void test_preprocess_avx2(void) {
  tsr_cpu_features cpu;
  tsr_cpu_detect(&cpu);
  if (!(cpu.isa & TSR_ISA_AVX2)) {
    printf("\n    SKIPPED: no AVX2 on this CPU ");
    return;
  }
  sweep(TSR_ISA_AVX2, true);
  sweep(TSR_ISA_AVX2, false);
}

/* ---- letterbox and decoding -------------------------------------------------- */

static void test_letterbox_roundtrip(void) {
  tsr_letterbox m;
  tsr_error e;
  /* YOLOX: 640x480 -> 416x416, r = 0.65, top left. */
  CU_ASSERT_EQUAL_FATAL(tsr_letterbox_compute(640, 480, NULL, 416, 416, TSR_FIT_LETTERBOX, &m, &e), TSR_OK);
  CU_ASSERT(m.content_width == 416 && m.content_height == 312 && m.pad_x == 0 && m.pad_y == 0);
  CU_ASSERT(fabsf(m.scale_x - 0.65f) < 1e-6f && fabsf(m.scale_y - 0.65f) < 1e-6f);
  /* A box at network (65, 130)-(130, 195) is frame (100, 200)-(200, 300):
   * decode a one-anchor head with it and read it back. */
  const int32_t strides[1] = {416};
  float head[4 + 1 + 2] = {65.0f + 32.5f, 130.0f + 32.5f, 65.0f, 65.0f, 0.9f, 0.1f, 0.8f};
  tsr_yolo_params yp = {416, 416, 2, strides, 1, TSR_YOLO_ROWS, true, false, false, 0.5f};
  tsr_detection d[2];
  int32_t n = 0, total = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_yolo_decode(head, 7, &yp, &m, d, 2, &n, &total, &e), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT(fabsf(d[0].x0 - 100.0f) < 1e-3f && fabsf(d[0].y0 - 200.0f) < 1e-3f);
  CU_ASSERT(fabsf(d[0].x1 - 200.0f) < 1e-3f && fabsf(d[0].y1 - 300.0f) < 1e-3f);
  CU_ASSERT(d[0].class_id == 1 && fabsf(d[0].score - 0.72f) < 1e-6f);
  /* Centred with a crop: frame 1000x600, crop (100, 50) 400x200 -> 320x320:
   * content 320x160 at pad_y 80; scale 0.8. Frame (300, 150) is net
   * ((300-100)*0.8, (150-50)*0.8 + 80) = (160, 160). */
  tsr_rect crop = {100, 50, 400, 200};
  CU_ASSERT_EQUAL_FATAL(tsr_letterbox_compute(1000, 600, &crop, 320, 320, TSR_FIT_LETTERBOX_CENTER, &m, &e), TSR_OK);
  CU_ASSERT(m.pad_x == 0 && m.pad_y == 80 && m.content_width == 320 && m.content_height == 160);
  float fx, fy;
  tsr_letterbox_to_frame(&m, 160.0f, 160.0f, &fx, &fy);
  CU_ASSERT(fabsf(fx - 300.0f) < 1e-3f && fabsf(fy - 150.0f) < 1e-3f);
  /* Boxes are clipped to the crop. */
  float h2[7] = {10.0f, 10.0f, 100.0f, 100.0f, 1.0f, 0.9f, 0.0f};
  tsr_yolo_params yp2 = {320, 320, 2, (const int32_t[]){320}, 1, TSR_YOLO_ROWS, true, false, false, 0.5f};
  CU_ASSERT_EQUAL_FATAL(tsr_yolo_decode(h2, 7, &yp2, &m, d, 2, &n, NULL, &e), TSR_OK);
  CU_ASSERT(n == 1 && d[0].x0 == 100.0f && d[0].y0 == 50.0f);
  /* The letterbox of tsr_frame_preprocess is the same geometry. */
  uint8_t px[1000 * 3];
  memset(px, 0, sizeof(px));
  tsr_frame f = {TSR_PIXEL_RGB8, 1000, 600, 0, px, NULL, 0, 0};
  f.stride = 0; /* a stride of 0 is smaller than a row */
  tsr_preprocess pre;
  tsr_preprocess_default(&pre, 320, 320);
  pre.crop = crop;
  pre.fit = TSR_FIT_LETTERBOX_CENTER;
  float *o = malloc(320 * 320 * 3 * sizeof(float));
  tsr_letterbox m2;
  CU_ASSERT_EQUAL(tsr_frame_preprocess(&f, &pre, o, 320 * 320 * 3 * sizeof(float), &m2, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "frame.stride"));
  free(o);
}

static void test_yolo_decode(void) {
  /* 64x32 input, strides 8/16/32: 8x4 + 4x2 + 2x1 = 42 anchors, 3 classes. */
  enum { NA = 42, K = 8 };
  float head[NA * K], cols[NA * K];
  for (int i = 0; i < NA * K; ++i) head[i] = 0.0f; /* obj 0: no detections */
  /* anchor 37 = stride 16, gx 1, gy 1: raw (0.5, 0.5, ln 2, ln 2) ->
   * cx = cy = 24, w = h = 32 -> (8, 8, 40, 40); score 0.9 * 0.8. */
  float *a = head + 37 * K;
  a[0] = 0.5f, a[1] = 0.5f, a[2] = logf(2.0f), a[3] = logf(2.0f), a[4] = 0.9f, a[5] = 0.1f, a[6] = 0.8f, a[7] = 0.2f;
  /* anchor 3 = stride 8, gx 3, gy 0: score 0.3 (below 0.5) */
  head[3 * K + 4] = 0.5f, head[3 * K + 5] = 0.6f;
  for (int r = 0; r < NA; ++r)
    for (int j = 0; j < K; ++j) cols[j * NA + r] = head[r * K + j];
  tsr_yolo_params p = {64, 32, 3, NULL, 0, TSR_YOLO_ROWS, true, true, false, 0.5f};
  tsr_detection d[4];
  int32_t n = 0, total = 0, count = 0;
  tsr_error e;
  CU_ASSERT_EQUAL(tsr_yolo_anchor_count(&p, &count, &e), TSR_OK);
  CU_ASSERT_EQUAL(count, NA);
  CU_ASSERT_EQUAL_FATAL(tsr_yolo_decode(head, NA * K, &p, NULL, d, 4, &n, &total, &e), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT(d[0].anchor == 37 && d[0].class_id == 1 && fabsf(d[0].score - 0.72f) < 1e-6f);
  CU_ASSERT(fabsf(d[0].x0 - 8.0f) < 1e-4f && fabsf(d[0].y0 - 8.0f) < 1e-4f && fabsf(d[0].x1 - 40.0f) < 1e-4f &&
            fabsf(d[0].y1 - 32.0f) < 1e-4f); /* y1 56 clipped to the 32-pixel input */
  p.layout = TSR_YOLO_COLUMNS;
  tsr_detection d2[4];
  CU_ASSERT_EQUAL_FATAL(tsr_yolo_decode(cols, NA * K, &p, NULL, d2, 4, &n, &total, &e), TSR_OK);
  CU_ASSERT(n == 1 && memcmp(&d[0], &d2[0], sizeof(d[0])) == 0);
  /* Threshold 0.2: both; capacity 1 keeps the better one. */
  p.layout = TSR_YOLO_ROWS;
  p.score_threshold = 0.2f;
  CU_ASSERT_EQUAL_FATAL(tsr_yolo_decode(head, NA * K, &p, NULL, d, 4, &n, &total, &e), TSR_OK);
  CU_ASSERT(n == 2 && total == 2 && d[0].anchor == 3 && d[1].anchor == 37);
  CU_ASSERT_EQUAL_FATAL(tsr_yolo_decode(head, NA * K, &p, NULL, d, 1, &n, &total, &e), TSR_OK);
  CU_ASSERT(n == 1 && total == 2 && d[0].anchor == 37);
  /* Sigmoid logits: obj 0 and class 0 -> 0.25. No objectness (YOLOv8). */
  memset(head, 0, sizeof(head));
  p.sigmoid = true;
  CU_ASSERT_EQUAL_FATAL(tsr_yolo_decode(head, NA * K, &p, NULL, d, 4, &n, &total, &e), TSR_OK);
  CU_ASSERT(total == NA && n == 4 && fabsf(d[0].score - 0.25f) < 1e-6f && d[0].anchor == 0 && d[3].anchor == 3);
  p.has_objectness = false;
  CU_ASSERT_EQUAL(tsr_yolo_decode(head, NA * K, &p, NULL, d, 4, &n, &total, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "head_count"));
  CU_ASSERT_EQUAL_FATAL(tsr_yolo_decode(head, NA * 7, &p, NULL, d, 4, &n, &total, &e), TSR_OK);
  CU_ASSERT(fabsf(d[0].score - 0.5f) < 1e-6f);
  p.n_classes = 0;
  CU_ASSERT_EQUAL(tsr_yolo_decode(head, NA * 7, &p, NULL, d, 4, &n, &total, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "n_classes"));
}

/* Random YOLOX-style heads on an odd input (100x76: grids 13x10, 7x5, 4x3)
 * against a straightforward decode. */
static void test_yolo_decode_independent(void) {
  const int W = 100, H = 76, C = 5, K = 4 + 1 + C;
  const int NA = 13 * 10 + 7 * 5 + 4 * 3;
  float *head = malloc(sizeof(float) * (size_t)NA * (size_t)K);
  for (int i = 0; i < NA * K; ++i) head[i] = rndf(-2.0f, 2.0f);
  tsr_letterbox m;
  tsr_error e;
  CU_ASSERT_EQUAL_FATAL(tsr_letterbox_compute(333, 211, NULL, W, H, TSR_FIT_LETTERBOX_CENTER, &m, &e), TSR_OK);
  tsr_yolo_params p = {W, H, C, NULL, 0, TSR_YOLO_ROWS, true, true, true, 0.3f};
  tsr_detection *d = malloc(sizeof(tsr_detection) * (size_t)NA);
  int32_t n = 0, total = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_yolo_decode(head, (int64_t)NA * K, &p, &m, d, NA, &n, &total, &e), TSR_OK);
  int a = 0, j = 0, mism = 0;
  const int strides[3] = {8, 16, 32};
  for (int s = 0; s < 3; ++s) {
    for (int gy = 0; gy < (H + strides[s] - 1) / strides[s]; ++gy) {
      for (int gx = 0; gx < (W + strides[s] - 1) / strides[s]; ++gx, ++a) {
        const float *r = head + (size_t)a * K;
        int best = 0;
        for (int c = 1; c < C; ++c) best = r[5 + c] > r[5 + best] ? c : best;
        const double score = 1.0 / (1.0 + exp(-r[4])) / (1.0 + exp(-r[5 + best]));
        if (score < 0.3) continue;
        const double cx = (r[0] + gx) * strides[s], cy = (r[1] + gy) * strides[s];
        const double w = exp(r[2]) * strides[s], h = exp(r[3]) * strides[s];
        double b[4] = {(cx - w / 2 - m.pad_x) / m.scale_x, (cy - h / 2 - m.pad_y) / m.scale_y,
                       (cx + w / 2 - m.pad_x) / m.scale_x, (cy + h / 2 - m.pad_y) / m.scale_y};
        b[0] = fmin(fmax(b[0], 0), 333), b[2] = fmin(fmax(b[2], 0), 333);
        b[1] = fmin(fmax(b[1], 0), 211), b[3] = fmin(fmax(b[3], 0), 211);
        if (j >= n || d[j].anchor != a || d[j].class_id != best || fabs(d[j].score - score) > 1e-5 ||
            fabs(d[j].x0 - b[0]) > 1e-3 || fabs(d[j].y0 - b[1]) > 1e-3 || fabs(d[j].x1 - b[2]) > 1e-3 ||
            fabs(d[j].y1 - b[3]) > 1e-3)
          mism++;
        j++;
      }
    }
  }
  printf("\n    %d anchors, %d detections (independent: %d), %d mismatches ", NA, n, j, mism);
  CU_ASSERT(j > 10 && j < NA);
  CU_ASSERT_EQUAL(n, j);
  CU_ASSERT_EQUAL(total, j);
  CU_ASSERT_EQUAL(mism, 0);
  free(head);
  free(d);
}

static void test_priors(void) {
  /* UltraFace-320x240: 4420 priors. */
  static const int32_t strides[4] = {8, 16, 32, 64}, ns[4] = {3, 2, 2, 3};
  static const float sizes[10] = {10, 16, 24, 32, 48, 64, 96, 128, 192, 256};
  float *pr = malloc(sizeof(float) * 4 * 4420);
  int32_t n = 0;
  tsr_error e;
  CU_ASSERT_EQUAL(tsr_priors_grid(320, 240, strides, 4, ns, sizes, pr, 4419, &n, &e), TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL_FATAL(tsr_priors_grid(320, 240, strides, 4, ns, sizes, pr, 4420, &n, &e), TSR_OK);
  CU_ASSERT_EQUAL(n, 4420);
  /* prior 4 = cell (1, 0) of stride 8, size 16: cx 12/320, cy 4/240. */
  CU_ASSERT(fabsf(pr[16] - 12.0f / 320.0f) < 1e-7f && fabsf(pr[17] - 4.0f / 240.0f) < 1e-7f);
  CU_ASSERT(fabsf(pr[18] - 16.0f / 320.0f) < 1e-7f && fabsf(pr[19] - 16.0f / 240.0f) < 1e-7f);
  CU_ASSERT(pr[4 * 4419 + 2] == 0.8f && pr[4 * 4419 + 3] == 1.0f); /* 256/320; 256/240 clamped */
  /* Decode prior 4 with loc (1, -1, ln(2)/0.2, 0): cx = 12/320 + 0.1 * 16/320,
   * w doubles; 2 classes softmaxed: [0, ln 3] -> face 0.75. Frame 640x480
   * stretched to 320x240: x2. */
  float loc[4 * 4420], sc[2 * 4420];
  memset(loc, 0, sizeof(loc));
  for (int i = 0; i < 4420; ++i) sc[2 * i] = 5.0f, sc[2 * i + 1] = 0.0f;
  loc[16] = 1.0f, loc[17] = -1.0f, loc[18] = logf(2.0f) / 0.2f;
  sc[8] = 0.0f, sc[9] = logf(3.0f);
  tsr_letterbox m;
  CU_ASSERT_EQUAL_FATAL(tsr_letterbox_compute(640, 480, NULL, 320, 240, TSR_FIT_STRETCH, &m, &e), TSR_OK);
  tsr_prior_params p = {320, 240, pr, 4420, 2, 1, 0.1f, 0.2f, false, true, 0.7f};
  tsr_detection d[4];
  int32_t total = 0;
  CU_ASSERT_EQUAL_FATAL(tsr_prior_decode(loc, sc, &p, &m, d, 4, &n, &total, &e), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  const float cx = (12.0f + 1.6f) * 2.0f, cy = (4.0f - 1.6f) * 2.0f;
  CU_ASSERT(d[0].anchor == 4 && d[0].class_id == 1 && fabsf(d[0].score - 0.75f) < 1e-5f);
  CU_ASSERT(fabsf(d[0].x0 - 0.0f) < 1e-3f && fabsf(d[0].x1 - (cx + 32.0f)) < 1e-3f); /* x0 -4.8 clipped */
  CU_ASSERT(fabsf(d[0].y0 - 0.0f) < 1e-3f && fabsf(d[0].y1 - (cy + 16.0f)) < 1e-3f); /* y0 -11.2 clipped */
  CU_ASSERT(cx - 32.0f < 0.0f && cx + 32.0f < 640.0f);
  p.first_class = 2;
  CU_ASSERT_EQUAL(tsr_prior_decode(loc, sc, &p, &m, d, 4, &n, &total, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "first_class"));
  free(pr);
}

/* ---- NMS, top-k, masks, regression ------------------------------------------ */

static tsr_detection box(float x0, float y0, float x1, float y1, float s, int c, int a) {
  tsr_detection d = {x0, y0, x1, y1, s, c, a};
  return d;
}

static void test_nms_crafted(void) {
  /* A and B overlap with IoU 81/119 = 0.68; C is B in class 1; D is apart;
   * E is below the score threshold; F equals A's score, class 0, apart. */
  const tsr_detection in[6] = {box(1, 1, 11, 11, 0.8f, 0, 1), box(0, 0, 10, 10, 0.9f, 0, 0), box(1, 1, 11, 11, 0.8f, 1, 2),
                               box(50, 50, 60, 60, 0.7f, 0, 3), box(0, 0, 10, 10, 0.05f, 2, 4), box(100, 0, 110, 10, 0.9f, 0, 5)};
  tsr_detection d[6];
  CU_ASSERT(fabsf(tsr_box_iou(&in[0], &in[1]) - 81.0f / 119.0f) < 1e-6f);
  tsr_nms_params p = {0.5f, 0.1f, 10, false};
  int32_t n = 0;
  tsr_error e;
  /* Every rotation of the input gives the same answer. */
  for (int rot = 0; rot < 6; ++rot) {
    for (int i = 0; i < 6; ++i) d[i] = in[(i + rot) % 6];
    CU_ASSERT_EQUAL_FATAL(tsr_nms(d, 6, &p, &n, &e), TSR_OK);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT(d[0].anchor == 0 && d[1].anchor == 5 && d[2].anchor == 2 && d[3].anchor == 3);
  }
  for (int i = 0; i < 6; ++i) d[i] = in[i];
  p.class_agnostic = true;
  CU_ASSERT_EQUAL_FATAL(tsr_nms(d, 6, &p, &n, &e), TSR_OK);
  CU_ASSERT(n == 3 && d[0].anchor == 0 && d[1].anchor == 5 && d[2].anchor == 3);
  for (int i = 0; i < 6; ++i) d[i] = in[i];
  p.class_agnostic = false;
  p.max_boxes = 2;
  CU_ASSERT_EQUAL_FATAL(tsr_nms(d, 6, &p, &n, &e), TSR_OK);
  CU_ASSERT(n == 2 && d[0].anchor == 0 && d[1].anchor == 5);
  p.max_boxes = 10;
  p.iou_threshold = 0.7f; /* 0.68 is not above 0.7: B survives */
  for (int i = 0; i < 6; ++i) d[i] = in[i];
  CU_ASSERT_EQUAL_FATAL(tsr_nms(d, 6, &p, &n, &e), TSR_OK);
  CU_ASSERT_EQUAL(n, 5);
  p.max_boxes = 0;
  CU_ASSERT_EQUAL(tsr_nms(d, 6, &p, &n, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "max_boxes"));
  p.max_boxes = 1;
  CU_ASSERT_EQUAL(tsr_nms(NULL, 0, &p, &n, &e), TSR_OK);
  CU_ASSERT_EQUAL(n, 0);
}

static int cmp_desc(const void *a, const void *b) {
  const tsr_detection *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  if (x->class_id != y->class_id) return x->class_id < y->class_id ? -1 : 1;
  return x->anchor < y->anchor ? -1 : (x->anchor > y->anchor);
}

/* Random boxes (many overlaps, 3 classes, tied scores) against qsort + greedy. */
static void test_nms_independent(void) {
  enum { N = 301 };
  tsr_detection in[N], d[N], r[N];
  for (int i = 0; i < N; ++i) {
    const float x = rndf(0, 200), y = rndf(0, 100), w = rndf(5, 60), h = rndf(5, 60);
    in[i] = box(x, y, x + w, y + h, (float)(rnd() % 50) / 50.0f, (int)(rnd() % 3), i);
  }
  memcpy(d, in, sizeof(in));
  tsr_nms_params p = {0.45f, 0.2f, 40, false};
  int32_t n = 0;
  tsr_error e;
  CU_ASSERT_EQUAL_FATAL(tsr_nms(d, N, &p, &n, &e), TSR_OK);
  memcpy(r, in, sizeof(in));
  qsort(r, N, sizeof(r[0]), cmp_desc);
  int kept = 0, mism = 0;
  tsr_detection k[N];
  for (int i = 0; i < N && kept < 40; ++i) {
    if (r[i].score < 0.2f) continue;
    bool drop = false;
    for (int j = 0; j < kept; ++j) {
      if (k[j].class_id != r[i].class_id) continue;
      const double iw = fmin(k[j].x1, r[i].x1) - fmax(k[j].x0, r[i].x0), ih = fmin(k[j].y1, r[i].y1) - fmax(k[j].y0, r[i].y0);
      const double inter = iw > 0 && ih > 0 ? iw * ih : 0;
      const double u = (double)(k[j].x1 - k[j].x0) * (k[j].y1 - k[j].y0) + (double)(r[i].x1 - r[i].x0) * (r[i].y1 - r[i].y0) - inter;
      if (inter / u > 0.45) drop = true;
    }
    if (!drop) k[kept++] = r[i];
  }
  for (int i = 0; i < kept && i < n; ++i) mism += d[i].anchor != k[i].anchor;
  printf("\n    %d boxes -> %d kept (independent %d), %d mismatches ", N, n, kept, mism);
  CU_ASSERT_EQUAL(n, kept);
  CU_ASSERT_EQUAL(mism, 0);
  CU_ASSERT(kept > 10);
}

static void test_topk(void) {
  const float v[5] = {1.0f, 3.0f, 3.0f, 2.0f, -1.0f};
  tsr_class_score o[8];
  int32_t n = 0;
  tsr_error e;
  CU_ASSERT_EQUAL_FATAL(tsr_topk(v, 5, 3, false, o, &n, &e), TSR_OK);
  CU_ASSERT(n == 3 && o[0].class_id == 1 && o[1].class_id == 2 && o[2].class_id == 3 && o[2].score == 2.0f);
  CU_ASSERT_EQUAL_FATAL(tsr_topk(v, 5, 8, true, o, &n, &e), TSR_OK);
  CU_ASSERT_EQUAL(n, 5);
  double sum = 0, z = exp(1) + 2 * exp(3) + exp(2) + exp(-1);
  for (int i = 0; i < n; ++i) sum += o[i].score;
  CU_ASSERT(fabs(sum - 1.0) < 1e-6 && fabs(o[0].score - exp(3) / z) < 1e-6 && o[4].class_id == 4);
  CU_ASSERT_EQUAL(tsr_topk(v, 5, 0, false, o, &n, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "k = 0"));
  /* 1001 random logits with ties, k = 17: against a full selection. */
  enum { N = 1001 };
  float r[N];
  for (int i = 0; i < N; ++i) r[i] = (float)(rnd() % 200);
  tsr_class_score t[17];
  CU_ASSERT_EQUAL_FATAL(tsr_topk(r, N, 17, false, t, &n, &e), TSR_OK);
  bool used[N] = {false};
  int mism = 0;
  for (int j = 0; j < 17; ++j) {
    int b = -1;
    for (int i = 0; i < N; ++i)
      if (!used[i] && (b < 0 || r[i] > r[b])) b = i;
    used[b] = true;
    mism += t[j].class_id != b;
  }
  CU_ASSERT_EQUAL(mism, 0);
}

static void test_seg_argmax(void) {
  /* 2 channels, 2x3, NCHW: ties go to channel 0. */
  const float l[12] = {0, 1, 2, 3, 4, 5, /* c0 */ 1, 1, 1, 4, 4, 4 /* c1 */};
  uint8_t mask[2 * 4];
  memset(mask, 0xee, sizeof(mask));
  float cov[2];
  tsr_error e;
  CU_ASSERT_EQUAL_FATAL(tsr_seg_argmax(l, 2, 2, 3, TSR_LAYOUT_NCHW, mask, 4, sizeof(mask), cov, &e), TSR_OK);
  const uint8_t want[8] = {1, 0, 0, 0xee, 1, 0, 0, 0xee};
  CU_ASSERT(memcmp(mask, want, 7) == 0 && mask[3] == 0xee); /* padding untouched */
  CU_ASSERT(fabsf(cov[0] - 4.0f / 6.0f) < 1e-6f && fabsf(cov[1] - 2.0f / 6.0f) < 1e-6f);
  CU_ASSERT_EQUAL(tsr_seg_argmax(l, 2, 2, 3, TSR_LAYOUT_NCHW, mask, 4, 6, cov, &e), TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL(tsr_seg_argmax(l, 2, 2, 3, TSR_LAYOUT_NCHW, mask, 2, 8, cov, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "mask_stride"));
  /* Odd size 37x23, 5 channels: NCHW and NHWC against a direct argmax. */
  enum { C = 5, H = 23, W = 37 };
  float *nchw = malloc(sizeof(float) * C * H * W), *nhwc = malloc(sizeof(float) * C * H * W);
  for (int i = 0; i < C * H * W; ++i) nchw[i] = (float)(rnd() % 7);
  for (int c = 0; c < C; ++c)
    for (int p = 0; p < H * W; ++p) nhwc[p * C + c] = nchw[c * H * W + p];
  uint8_t m1[H * W], m2[H * W];
  float c1[C], c2[C];
  CU_ASSERT_EQUAL_FATAL(tsr_seg_argmax(nchw, C, H, W, TSR_LAYOUT_NCHW, m1, W, sizeof(m1), c1, &e), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_seg_argmax(nhwc, C, H, W, TSR_LAYOUT_NHWC, m2, W, sizeof(m2), c2, &e), TSR_OK);
  int mism = 0, cnt[C] = {0};
  for (int p = 0; p < H * W; ++p) {
    int b = 0;
    for (int c = 1; c < C; ++c) b = nchw[c * H * W + p] > nchw[b * H * W + p] ? c : b;
    mism += m1[p] != b || m2[p] != b;
    cnt[b]++;
  }
  CU_ASSERT_EQUAL(mism, 0);
  for (int c = 0; c < C; ++c) CU_ASSERT(c1[c] == c2[c] && fabs(c1[c] - cnt[c] / (double)(H * W)) < 1e-7);
  free(nchw);
  free(nhwc);
}

static void test_regression(void) {
  const float f[3] = {0.5f, -2.0f, 7.0f};
  const int8_t q[2] = {-128, 27};
  tsr_regression_params p = {1, TSR_DTYPE_F32, 1.0f, 0, 90.0f, 0.0f};
  float v = 0;
  tsr_error e;
  CU_ASSERT_EQUAL(tsr_regression_value(f, 3, &p, &v, &e), TSR_OK);
  CU_ASSERT(v == -180.0f);
  p = (tsr_regression_params){1, TSR_DTYPE_I8, 0.5f, -3, 1.0f, 1.0f};
  CU_ASSERT_EQUAL(tsr_regression_value(q, 2, &p, &v, &e), TSR_OK);
  CU_ASSERT(v == 16.0f); /* (27 + 3) * 0.5 + 1 */
  p.index = 2;
  CU_ASSERT_EQUAL(tsr_regression_value(q, 2, &p, &v, &e), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(has(&e, "params.index"));
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("vision", NULL, NULL);
  CU_add_test(s, "frame argument checks name the field", test_frame_errors);
  CU_add_test(s, "to_rgb: every format vs the per-pixel formula", test_to_rgb_formula);
  CU_add_test(s, "preprocess: hand-computed resize, letterbox, normalise, quantise", test_preprocess_hand);
  CU_add_test(s, "preprocess: reference vs independent computation, odd sizes", test_preprocess_independent);
  CU_add_test(s, "preprocess: AVX2 vs reference and independent", test_preprocess_avx2);
  CU_add_test(s, "letterbox round trip through a decoded box", test_letterbox_roundtrip);
  CU_add_test(s, "yolo decode: hand-computed", test_yolo_decode);
  CU_add_test(s, "yolo decode: independent, odd input", test_yolo_decode_independent);
  CU_add_test(s, "priors: UltraFace grid and decode", test_priors);
  CU_add_test(s, "nms: crafted overlaps, order independence", test_nms_crafted);
  CU_add_test(s, "nms: independent on random boxes", test_nms_independent);
  CU_add_test(s, "topk", test_topk);
  CU_add_test(s, "segmentation argmax and coverage", test_seg_argmax);
  CU_add_test(s, "regression value", test_regression);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  const unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
