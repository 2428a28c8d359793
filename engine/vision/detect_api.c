/* Results out (tessera/vision.h): argument checks around kernels/detect/. */
#include <math.h>
#include <string.h>

#include "detect/detect.h"
#include "tessera/vision.h"

#define BAD(err, ...) TSR_ERROR((err), TSR_ERR_INVALID_ARGUMENT, __VA_ARGS__)

static const int32_t kDefaultStrides[3] = {8, 16, 32};

static tsr_status check_map(const tsr_letterbox *map, tsr_error *err) {
  if (map == NULL) return TSR_OK;
  if (!(map->scale_x > 0.0f) || !(map->scale_y > 0.0f) || !isfinite(map->scale_x) || !isfinite(map->scale_y))
    return BAD(err, "map.scale_x/scale_y = %g/%g: must be > 0 (use tsr_letterbox_compute)", (double)map->scale_x,
               (double)map->scale_y);
  if (map->source.width <= 0 || map->source.height <= 0)
    return BAD(err, "map.source %d x %d: must be > 0", (int)map->source.width, (int)map->source.height);
  return TSR_OK;
}

static tsr_status check_out(const void *out, int32_t max_out, const int32_t *out_n, tsr_error *err) {
  if (out_n == NULL) return BAD(err, "out_n: NULL");
  if (max_out < 0) return BAD(err, "max_out = %d: must be >= 0", (int)max_out);
  if (max_out > 0 && out == NULL) return BAD(err, "out: NULL with max_out %d", (int)max_out);
  return TSR_OK;
}

static tsr_status yolo_check(const tsr_yolo_params *p, const int32_t **strides, int32_t *n_strides, int32_t *n_anchors,
                             tsr_error *err) {
  if (p == NULL) return BAD(err, "params: NULL");
  if (p->net_width <= 0 || p->net_height <= 0)
    return BAD(err, "params.net_width x net_height = %d x %d: must be > 0", (int)p->net_width, (int)p->net_height);
  if (p->n_classes <= 0) return BAD(err, "params.n_classes = %d: must be > 0", (int)p->n_classes);
  if (p->layout != TSR_YOLO_ROWS && p->layout != TSR_YOLO_COLUMNS) return BAD(err, "params.layout = %d: not a tsr_yolo_layout", (int)p->layout);
  if (!(p->score_threshold >= 0.0f) && !(p->score_threshold < 0.0f)) return BAD(err, "params.score_threshold is NaN");
  *strides = p->strides != NULL ? p->strides : kDefaultStrides;
  *n_strides = p->strides != NULL ? p->n_strides : 3;
  if (*n_strides <= 0 || *n_strides > 16) return BAD(err, "params.n_strides = %d: 1..16", (int)*n_strides);
  int64_t total = 0;
  for (int32_t i = 0; i < *n_strides; ++i) {
    const int32_t s = (*strides)[i];
    if (s <= 0) return BAD(err, "params.strides[%d] = %d: must be > 0", (int)i, (int)s);
    total += (int64_t)((p->net_height + s - 1) / s) * ((p->net_width + s - 1) / s);
  }
  if (total > INT32_MAX / 2) return BAD(err, "the head has %lld anchors: too many", (long long)total);
  *n_anchors = (int32_t)total;
  return TSR_OK;
}

tsr_status tsr_yolo_anchor_count(const tsr_yolo_params *p, int32_t *out_count, tsr_error *err) {
  const int32_t *strides;
  int32_t ns, na;
  TSR_TRY(yolo_check(p, &strides, &ns, &na, err));
  if (out_count == NULL) return BAD(err, "out_count: NULL");
  *out_count = na;
  return TSR_OK;
}

tsr_status tsr_yolo_decode(const float *head, int64_t head_count, const tsr_yolo_params *p, const tsr_letterbox *map,
                           tsr_detection *out, int32_t max_out, int32_t *out_n, int32_t *out_total, tsr_error *err) {
  const int32_t *strides;
  int32_t ns, na;
  TSR_TRY(yolo_check(p, &strides, &ns, &na, err));
  if (head == NULL) return BAD(err, "head: NULL");
  const int64_t k = 4 + (p->has_objectness ? 1 : 0) + p->n_classes;
  if (head_count != (int64_t)na * k)
    return BAD(err, "head_count = %lld: %d anchors (strides over %dx%d) x %lld values = %lld", (long long)head_count,
               (int)na, (int)p->net_width, (int)p->net_height, (long long)k, (long long)(na * k));
  TSR_TRY(check_map(map, err));
  TSR_TRY(check_out(out, max_out, out_n, err));
  tsr_det_list l = {out, 0, max_out, 0};
  tsr_yolo_decode_ref(head, p, strides, ns, na, map, &l);
  *out_n = l.n;
  if (out_total) *out_total = l.total;
  return TSR_OK;
}

tsr_status tsr_priors_grid(int32_t nw, int32_t nh, const int32_t *strides, int32_t n_strides, const int32_t *n_sizes,
                           const float *sizes, float *out, int32_t max_priors, int32_t *out_n, tsr_error *err) {
  if (nw <= 0 || nh <= 0) return BAD(err, "net_width x net_height = %d x %d: must be > 0", (int)nw, (int)nh);
  if (strides == NULL || n_sizes == NULL || sizes == NULL) return BAD(err, "strides, n_sizes, sizes: NULL");
  if (n_strides <= 0) return BAD(err, "n_strides = %d: must be > 0", (int)n_strides);
  if (out_n == NULL) return BAD(err, "out_n: NULL");
  int64_t total = 0;
  for (int32_t k = 0; k < n_strides; ++k) {
    if (strides[k] <= 0) return BAD(err, "strides[%d] = %d: must be > 0", (int)k, (int)strides[k]);
    if (n_sizes[k] <= 0) return BAD(err, "n_sizes[%d] = %d: must be > 0", (int)k, (int)n_sizes[k]);
    total += (int64_t)((nh + strides[k] - 1) / strides[k]) * ((nw + strides[k] - 1) / strides[k]) * n_sizes[k];
  }
  if (total > max_priors)
    return TSR_ERROR(err, TSR_ERR_BUFFER_TOO_SMALL, "max_priors = %d: the grid has %lld priors", (int)max_priors, (long long)total);
  if (out == NULL) return BAD(err, "out: NULL");
  int32_t n = 0, si = 0;
  for (int32_t k = 0; k < n_strides; ++k) {
    const int32_t s = strides[k], gh = (nh + s - 1) / s, gw = (nw + s - 1) / s;
    for (int32_t j = 0; j < gh; ++j) {
      for (int32_t i = 0; i < gw; ++i) {
        for (int32_t z = 0; z < n_sizes[k]; ++z, ++n) {
          float v[4] = {((float)i + 0.5f) * (float)s / (float)nw, ((float)j + 0.5f) * (float)s / (float)nh,
                        sizes[si + z] / (float)nw, sizes[si + z] / (float)nh};
          for (int q = 0; q < 4; ++q) out[4 * (size_t)n + (size_t)q] = v[q] < 0.0f ? 0.0f : (v[q] > 1.0f ? 1.0f : v[q]);
        }
      }
    }
    si += n_sizes[k];
  }
  *out_n = n;
  return TSR_OK;
}

tsr_status tsr_prior_decode(const float *loc, const float *scores, const tsr_prior_params *p, const tsr_letterbox *map,
                            tsr_detection *out, int32_t max_out, int32_t *out_n, int32_t *out_total, tsr_error *err) {
  if (p == NULL) return BAD(err, "params: NULL");
  if (p->net_width <= 0 || p->net_height <= 0)
    return BAD(err, "params.net_width x net_height = %d x %d: must be > 0", (int)p->net_width, (int)p->net_height);
  if (p->n_priors <= 0) return BAD(err, "params.n_priors = %d: must be > 0", (int)p->n_priors);
  if (p->priors == NULL && !p->boxes_are_corners) return BAD(err, "params.priors: NULL");
  if (p->n_classes <= 0) return BAD(err, "params.n_classes = %d: must be > 0", (int)p->n_classes);
  if (p->first_class < 0 || p->first_class >= p->n_classes)
    return BAD(err, "params.first_class = %d: 0..n_classes-1 (%d)", (int)p->first_class, (int)p->n_classes - 1);
  if (!p->boxes_are_corners && (!isfinite(p->center_variance) || !isfinite(p->size_variance)))
    return BAD(err, "params.center_variance/size_variance: not finite");
  if (loc == NULL || scores == NULL) return BAD(err, "loc, scores: NULL");
  TSR_TRY(check_map(map, err));
  TSR_TRY(check_out(out, max_out, out_n, err));
  tsr_det_list l = {out, 0, max_out, 0};
  tsr_prior_decode_ref(loc, scores, p, map, &l);
  *out_n = l.n;
  if (out_total) *out_total = l.total;
  return TSR_OK;
}

tsr_status tsr_nms(tsr_detection *dets, int32_t n, const tsr_nms_params *p, int32_t *out_n, tsr_error *err) {
  if (p == NULL) return BAD(err, "params: NULL");
  if (n < 0) return BAD(err, "n = %d: must be >= 0", (int)n);
  if (n > 0 && dets == NULL) return BAD(err, "dets: NULL");
  if (out_n == NULL) return BAD(err, "out_n: NULL");
  if (p->max_boxes <= 0) return BAD(err, "params.max_boxes = %d: must be > 0", (int)p->max_boxes);
  if (!isfinite(p->iou_threshold)) return BAD(err, "params.iou_threshold: not finite");
  if (!(p->score_threshold >= 0.0f) && !(p->score_threshold < 0.0f)) return BAD(err, "params.score_threshold is NaN");
  *out_n = tsr_nms_ref(dets, n, p);
  return TSR_OK;
}

tsr_status tsr_topk(const float *logits, int32_t n, int32_t k, bool softmax, tsr_class_score *out, int32_t *out_n,
                    tsr_error *err) {
  if (logits == NULL) return BAD(err, "logits: NULL");
  if (n <= 0) return BAD(err, "n = %d: must be > 0", (int)n);
  if (k <= 0) return BAD(err, "k = %d: must be > 0", (int)k);
  if (out == NULL || out_n == NULL) return BAD(err, "out, out_n: NULL");
  const int32_t m = k < n ? k : n;
  tsr_class_topk_ref(logits, n, m, softmax, out);
  *out_n = m;
  return TSR_OK;
}

tsr_status tsr_seg_argmax(const float *logits, int32_t channels, int32_t height, int32_t width, int32_t layout,
                          uint8_t *mask, int32_t mask_stride, size_t mask_size, float *coverage, tsr_error *err) {
  if (logits == NULL) return BAD(err, "logits: NULL");
  if (channels <= 0 || channels > 255) return BAD(err, "channels = %d: 1..255", (int)channels);
  if (height <= 0 || width <= 0) return BAD(err, "height x width = %d x %d: must be > 0", (int)height, (int)width);
  if (layout != TSR_LAYOUT_NCHW && layout != TSR_LAYOUT_NHWC) return BAD(err, "layout = %d: NCHW or NHWC", (int)layout);
  if (mask == NULL) return BAD(err, "mask: NULL");
  if (mask_stride < width) return BAD(err, "mask_stride = %d: smaller than the width %d", (int)mask_stride, (int)width);
  const size_t need = (size_t)mask_stride * (size_t)(height - 1) + (size_t)width;
  if (mask_size < need) return TSR_ERROR(err, TSR_ERR_BUFFER_TOO_SMALL, "mask_size = %zu: needs %zu bytes", mask_size, need);
  uint32_t counts[255];
  tsr_seg_argmax_ref(logits, channels, height, width, layout, mask, mask_stride, counts);
  if (coverage != NULL) {
    const double npx = (double)height * (double)width;
    for (int32_t c = 0; c < channels; ++c) coverage[c] = (float)(counts[c] / npx);
  }
  return TSR_OK;
}

tsr_status tsr_regression_value(const void *data, int64_t count, const tsr_regression_params *p, float *out_value,
                                tsr_error *err) {
  if (data == NULL || p == NULL || out_value == NULL) return BAD(err, "data, params, out_value: NULL");
  if (count <= 0) return BAD(err, "count = %lld: must be > 0", (long long)count);
  if (p->index < 0 || p->index >= count)
    return BAD(err, "params.index = %lld: outside 0..%lld", (long long)p->index, (long long)count - 1);
  float v;
  switch (p->dtype) {
    case TSR_DTYPE_F32: v = ((const float *)data)[p->index]; break;
    case TSR_DTYPE_I8: v = (float)(((const int8_t *)data)[p->index] - p->q_zero_point) * p->q_scale; break;
    case TSR_DTYPE_U8: v = (float)(((const uint8_t *)data)[p->index] - p->q_zero_point) * p->q_scale; break;
    default: return BAD(err, "params.dtype = %s: f32, i8 or u8", tsr_dtype_name((tsr_dtype)p->dtype));
  }
  *out_value = v * p->scale + p->offset;
  return TSR_OK;
}
