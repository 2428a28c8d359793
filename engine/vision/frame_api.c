/* tsr_frame_preprocess and friends (tessera/vision.h): argument checks,
 * geometry, and the choice between the reference and the x86 kernels in
 * kernels/frame/. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "frame/frame.h"
#include "tessera/target.h"
#include "tessera/vision.h"

#define BAD(err, ...) TSR_ERROR((err), TSR_ERR_INVALID_ARGUMENT, __VA_ARGS__)

void tsr_preprocess_default(tsr_preprocess *pre, int32_t width, int32_t height) {
  memset(pre, 0, sizeof(*pre));
  pre->width = width;
  pre->height = height;
  pre->channels = 3;
  pre->resize = TSR_FRAME_BILINEAR;
  pre->fit = TSR_FIT_STRETCH;
  pre->pad_value = 114;
  pre->scale = 1.0f / 255.0f;
  for (int i = 0; i < 3; ++i) pre->std[i] = 1.0f;
  pre->layout = TSR_LAYOUT_NCHW;
  pre->dtype = TSR_DTYPE_F32;
  pre->q_scale = 1.0f;
}

static size_t elem_bytes(int32_t dtype) { return dtype == TSR_DTYPE_F32 ? 4 : 1; }

static tsr_status check_pre(const tsr_preprocess *pre, tsr_error *err) {
  if (pre == NULL) return BAD(err, "preprocess: NULL");
  if (pre->width <= 0 || pre->height <= 0 || pre->width > 32768 || pre->height > 32768)
    return BAD(err, "preprocess.width x height = %d x %d: each must be 1..32768", (int)pre->width, (int)pre->height);
  if (pre->channels != 1 && pre->channels != 3) return BAD(err, "preprocess.channels = %d: 1 or 3", (int)pre->channels);
  if (pre->resize < TSR_FRAME_BILINEAR || pre->resize > TSR_FRAME_NEAREST)
    return BAD(err, "preprocess.resize = %d: not a tsr_frame_resize", (int)pre->resize);
  if (pre->fit < TSR_FIT_STRETCH || pre->fit > TSR_FIT_LETTERBOX_CENTER)
    return BAD(err, "preprocess.fit = %d: not a tsr_frame_fit", (int)pre->fit);
  if (pre->layout != TSR_LAYOUT_NCHW && pre->layout != TSR_LAYOUT_NHWC)
    return BAD(err, "preprocess.layout = %d: NCHW or NHWC", (int)pre->layout);
  if (!isfinite(pre->scale)) return BAD(err, "preprocess.scale is not finite");
  for (int k = 0; k < pre->channels; ++k) {
    if (!isfinite(pre->mean[k])) return BAD(err, "preprocess.mean[%d] is not finite", k);
    if (!isfinite(pre->std[k]) || pre->std[k] == 0.0f) return BAD(err, "preprocess.std[%d] = %g: must be finite, not 0", k, (double)pre->std[k]);
  }
  if (pre->dtype == TSR_DTYPE_I8 || pre->dtype == TSR_DTYPE_U8) {
    if (!isfinite(pre->q_scale) || pre->q_scale <= 0.0f)
      return BAD(err, "preprocess.q_scale = %g: must be > 0", (double)pre->q_scale);
    const int lo = pre->dtype == TSR_DTYPE_I8 ? -128 : 0, hi = pre->dtype == TSR_DTYPE_I8 ? 127 : 255;
    if (pre->q_zero_point < lo || pre->q_zero_point > hi)
      return BAD(err, "preprocess.q_zero_point = %d: outside %s range", (int)pre->q_zero_point, tsr_dtype_name((tsr_dtype)pre->dtype));
  } else if (pre->dtype != TSR_DTYPE_F32) {
    return BAD(err, "preprocess.dtype = %s: f32, i8 or u8", tsr_dtype_name((tsr_dtype)pre->dtype));
  }
  return TSR_OK;
}

tsr_status tsr_preprocess_output_size(const tsr_preprocess *pre, size_t *out_bytes, tsr_error *err) {
  TSR_TRY(check_pre(pre, err));
  if (out_bytes == NULL) return BAD(err, "out_bytes: NULL");
  const uint64_t bytes = (uint64_t)pre->width * (uint64_t)pre->height * (uint64_t)pre->channels * elem_bytes(pre->dtype);
  if (bytes > (uint64_t)SIZE_MAX) return BAD(err, "preprocess: %llu bytes do not fit in size_t", (unsigned long long)bytes);
  *out_bytes = (size_t)bytes;
  return TSR_OK;
}

tsr_status tsr_letterbox_compute(int32_t fw, int32_t fh, const tsr_rect *crop, int32_t nw, int32_t nh, int32_t fit,
                                 tsr_letterbox *out_map, tsr_error *err) {
  if (fw <= 0 || fh <= 0) return BAD(err, "frame extent %d x %d: must be > 0", (int)fw, (int)fh);
  if (nw <= 0 || nh <= 0) return BAD(err, "network extent %d x %d: must be > 0", (int)nw, (int)nh);
  if (fit < TSR_FIT_STRETCH || fit > TSR_FIT_LETTERBOX_CENTER) return BAD(err, "fit = %d: not a tsr_frame_fit", (int)fit);
  if (out_map == NULL) return BAD(err, "out_map: NULL");
  tsr_rect r = {0, 0, fw, fh};
  if (crop != NULL && (crop->width != 0 || crop->height != 0)) {
    if (crop->width <= 0 || crop->height <= 0)
      return BAD(err, "crop.width x height = %d x %d: both > 0, or both 0 for the whole frame", (int)crop->width,
                 (int)crop->height);
    if (crop->x < 0 || crop->y < 0 || crop->x > fw - crop->width || crop->y > fh - crop->height)
      return BAD(err, "crop (%d,%d %dx%d) is not inside the %dx%d frame", (int)crop->x, (int)crop->y,
                 (int)crop->width, (int)crop->height, (int)fw, (int)fh);
    r = *crop;
  }
  tsr_letterbox m;
  memset(&m, 0, sizeof(m));
  m.source = r;
  if (fit == TSR_FIT_STRETCH) {
    m.content_width = nw;
    m.content_height = nh;
  } else {
    const double s = fmin((double)nw / r.width, (double)nh / r.height);
    m.content_width = (int32_t)(r.width * s);
    m.content_height = (int32_t)(r.height * s);
    if (m.content_width < 1) m.content_width = 1;
    if (m.content_height < 1) m.content_height = 1;
    if (m.content_width > nw) m.content_width = nw;
    if (m.content_height > nh) m.content_height = nh;
    if (fit == TSR_FIT_LETTERBOX_CENTER) {
      m.pad_x = (nw - m.content_width) / 2;
      m.pad_y = (nh - m.content_height) / 2;
    }
  }
  m.scale_x = (float)m.content_width / (float)r.width;
  m.scale_y = (float)m.content_height / (float)r.height;
  m.offset_x = (float)m.pad_x - (float)r.x * m.scale_x;
  m.offset_y = (float)m.pad_y - (float)r.y * m.scale_y;
  *out_map = m;
  return TSR_OK;
}

void tsr_letterbox_to_frame(const tsr_letterbox *map, float nx, float ny, float *out_x, float *out_y) {
  *out_x = (nx - map->offset_x) / map->scale_x;
  *out_y = (ny - map->offset_y) / map->scale_y;
}

static int bytes_per_pixel(int32_t format) {
  switch (format) {
    case TSR_PIXEL_RGB8:
    case TSR_PIXEL_BGR8: return 3;
    case TSR_PIXEL_RGBA8:
    case TSR_PIXEL_BGRA8: return 4;
    case TSR_PIXEL_YUYV: return 2;
    default: return 1; /* GRAY8, NV12's Y plane */
  }
}

/* Checks |f| and fills the source part of |kp|. */
static tsr_status check_frame(const tsr_frame *f, tsr_frame_kparams *kp, tsr_error *err) {
  if (f == NULL) return BAD(err, "frame: NULL");
  if (f->format < 0 || f->format >= TSR_PIXEL_FORMAT_COUNT) return BAD(err, "frame.format = %d: not a tsr_pixel_format", (int)f->format);
  if (f->width <= 0 || f->height <= 0) return BAD(err, "frame.width x height = %d x %d: must be > 0", (int)f->width, (int)f->height);
  if (f->data == NULL) return BAD(err, "frame.data: NULL");
  const int64_t row = (int64_t)f->width * bytes_per_pixel(f->format);
  if (f->stride < row) return BAD(err, "frame.stride = %d: smaller than a row (%lld bytes)", (int)f->stride, (long long)row);
  if ((f->format == TSR_PIXEL_NV12 || f->format == TSR_PIXEL_YUYV) && (f->width & 1))
    return BAD(err, "frame.width = %d: %s needs an even width", (int)f->width, f->format == TSR_PIXEL_NV12 ? "NV12" : "YUYV");
  if (f->format == TSR_PIXEL_NV12 && (f->height & 1)) return BAD(err, "frame.height = %d: NV12 needs an even height", (int)f->height);
  if ((f->format == TSR_PIXEL_NV12 || f->format == TSR_PIXEL_YUYV) && (f->matrix < 0 || f->matrix >= TSR_YUV_MATRIX_COUNT))
    return BAD(err, "frame.matrix = %d: not a tsr_yuv_matrix", (int)f->matrix);
  memset(kp, 0, sizeof(*kp));
  kp->format = f->format;
  kp->data = f->data;
  kp->stride = f->stride;
  if (f->format == TSR_PIXEL_NV12) {
    kp->uv_stride = f->uv_stride != 0 ? f->uv_stride : f->stride;
    if (kp->uv_stride < f->width) return BAD(err, "frame.uv_stride = %d: smaller than a UV row (%d bytes)", (int)kp->uv_stride, (int)f->width);
    kp->uv = f->uv != NULL ? f->uv : f->data + (size_t)f->stride * (size_t)f->height;
  }
  tsr_frame_yuv_coeffs(f->matrix, kp->yuv, &kp->y_offset);
  return TSR_OK;
}

tsr_status tsr_frame_preprocess(const tsr_frame *frame, const tsr_preprocess *pre, void *dst, size_t dst_size,
                                tsr_letterbox *out_map, tsr_error *err) {
  tsr_frame_kparams kp;
  TSR_TRY(check_frame(frame, &kp, err));
  TSR_TRY(check_pre(pre, err));
  if (dst == NULL) return BAD(err, "dst: NULL");
  if (pre->dtype == TSR_DTYPE_F32 && ((uintptr_t)dst & 3u) != 0) return BAD(err, "dst: f32 output needs 4-byte alignment");
  size_t need = 0;
  TSR_TRY(tsr_preprocess_output_size(pre, &need, err));
  if (dst_size < need)
    return TSR_ERROR(err, TSR_ERR_BUFFER_TOO_SMALL, "dst_size = %zu: the %dx%dx%d %s input needs %zu bytes", dst_size,
                     (int)pre->width, (int)pre->height, (int)pre->channels, tsr_dtype_name((tsr_dtype)pre->dtype), need);
  tsr_letterbox m;
  TSR_TRY(tsr_letterbox_compute(frame->width, frame->height, &pre->crop, pre->width, pre->height, pre->fit, &m, err));
  kp.crop_x = m.source.x;
  kp.crop_y = m.source.y;
  kp.crop_w = m.source.width;
  kp.crop_h = m.source.height;
  kp.out_w = pre->width;
  kp.out_h = pre->height;
  kp.out_c = pre->channels;
  kp.pad_x = m.pad_x;
  kp.pad_y = m.pad_y;
  kp.content_w = m.content_width;
  kp.content_h = m.content_height;
  kp.resize = pre->resize;
  kp.round_u8 = pre->round_u8;
  kp.bgr = pre->bgr;
  kp.pad_value = pre->pad_value;
  kp.scale = pre->scale;
  for (int k = 0; k < 3; ++k) {
    kp.mean[k] = pre->mean[k];
    kp.std[k] = pre->std[k] != 0.0f ? pre->std[k] : 1.0f;
  }
  kp.layout = pre->layout;
  kp.dtype = pre->dtype;
  kp.q_scale = pre->q_scale;
  kp.q_zero_point = pre->q_zero_point;
#if defined(TSR_FRAME_X86)
  if ((pre->isa & TSR_ISA_AVX2) && tsr_frame_avx2_supported(&kp)) {
    tsr_frame_preprocess_f32_ukernel_u8__avx2(&kp, dst, 0, kp.out_h);
    if (out_map) *out_map = m;
    return TSR_OK;
  }
#endif
  tsr_frame_preprocess_ref(&kp, dst, 0, kp.out_h);
  if (out_map) *out_map = m;
  return TSR_OK;
}

tsr_status tsr_frame_to_rgb(const tsr_frame *frame, uint8_t *dst, int32_t dst_stride, size_t dst_size, tsr_error *err) {
  tsr_frame_kparams kp;
  TSR_TRY(check_frame(frame, &kp, err));
  if (dst == NULL) return BAD(err, "dst: NULL");
  if (dst_stride < frame->width * 3) return BAD(err, "dst_stride = %d: smaller than a row (%d bytes)", (int)dst_stride, (int)frame->width * 3);
  const size_t need = (size_t)dst_stride * (size_t)(frame->height - 1) + (size_t)frame->width * 3;
  if (dst_size < need) return TSR_ERROR(err, TSR_ERR_BUFFER_TOO_SMALL, "dst_size = %zu: needs %zu bytes", dst_size, need);
  kp.crop_w = frame->width;
  kp.crop_h = frame->height;
  tsr_frame_to_rgb_ref(&kp, dst, dst_stride, 0, frame->height);
  return TSR_OK;
}
