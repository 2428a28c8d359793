/* DETECT reference: box decoding (anchor-free YOLO heads, SSD priors), greedy
 * class-wise NMS, top-k, segmentation argmax. Straight loops, no scratch. */
#include <math.h>
#include <string.h>

#include "detect/detect.h"

/* True if |a| ranks before |b| as a candidate (score, anchor, class). */
static bool cand_better(const tsr_detection *a, const tsr_detection *b) {
  if (a->score != b->score) return a->score > b->score;
  if (a->anchor != b->anchor) return a->anchor < b->anchor;
  return a->class_id < b->class_id;
}

void tsr_det_list_push(tsr_det_list *l, const tsr_detection *det) {
  l->total++;
  if (l->cap <= 0) return;
  if (l->n < l->cap) {
    l->d[l->n++] = *det;
    return;
  }
  int32_t w = 0;
  for (int32_t i = 1; i < l->n; ++i) {
    if (cand_better(&l->d[w], &l->d[i])) w = i;
  }
  if (!cand_better(det, &l->d[w])) return;
  memmove(&l->d[w], &l->d[w + 1], sizeof(*det) * (size_t)(l->n - 1 - w));
  l->d[l->n - 1] = *det; /* offered in (anchor, class) order: goes last */
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

void tsr_det_map_box(const tsr_letterbox *map, int32_t net_w, int32_t net_h, tsr_detection *d) {
  if (map == NULL) {
    d->x0 = clampf(d->x0, 0.0f, (float)net_w);
    d->x1 = clampf(d->x1, 0.0f, (float)net_w);
    d->y0 = clampf(d->y0, 0.0f, (float)net_h);
    d->y1 = clampf(d->y1, 0.0f, (float)net_h);
    return;
  }
  tsr_letterbox_to_frame(map, d->x0, d->y0, &d->x0, &d->y0);
  tsr_letterbox_to_frame(map, d->x1, d->y1, &d->x1, &d->y1);
  const float sx0 = (float)map->source.x, sx1 = (float)(map->source.x + map->source.width);
  const float sy0 = (float)map->source.y, sy1 = (float)(map->source.y + map->source.height);
  d->x0 = clampf(d->x0, sx0, sx1);
  d->x1 = clampf(d->x1, sx0, sx1);
  d->y0 = clampf(d->y0, sy0, sy1);
  d->y1 = clampf(d->y1, sy0, sy1);
}

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

void tsr_yolo_decode_ref(const float *head, const tsr_yolo_params *p, const int32_t *strides, int32_t n_strides,
                         int32_t n_anchors, const tsr_letterbox *map, tsr_det_list *out) {
  const int32_t k = 4 + (p->has_objectness ? 1 : 0) + p->n_classes, c0 = 4 + (p->has_objectness ? 1 : 0);
  int32_t a = 0;
  for (int32_t si = 0; si < n_strides; ++si) {
    const int32_t s = strides[si], gh = (p->net_height + s - 1) / s, gw = (p->net_width + s - 1) / s;
    for (int32_t gy = 0; gy < gh; ++gy) {
      for (int32_t gx = 0; gx < gw; ++gx, ++a) {
        /* anchor a's value j */
#define V(j) (p->layout == TSR_YOLO_COLUMNS ? head[(size_t)(j) * (size_t)n_anchors + (size_t)a] \
                                            : head[(size_t)a * (size_t)k + (size_t)(j)])
        int32_t best = 0;
        float bv = V(c0);
        for (int32_t c = 1; c < p->n_classes; ++c) {
          const float v = V(c0 + c);
          if (v > bv) bv = v, best = c;
        }
        float obj = p->has_objectness ? V(4) : 1.0f;
        if (p->sigmoid) {
          bv = sigmoid(bv);
          if (p->has_objectness) obj = sigmoid(obj);
        }
        const float score = obj * bv;
        if (!(score >= p->score_threshold)) continue;
        float cx = V(0), cy = V(1), w = V(2), h = V(3);
#undef V
        if (p->raw_boxes) {
          cx = (cx + (float)gx) * (float)s;
          cy = (cy + (float)gy) * (float)s;
          w = expf(w) * (float)s;
          h = expf(h) * (float)s;
        }
        tsr_detection d = {cx - 0.5f * w, cy - 0.5f * h, cx + 0.5f * w, cy + 0.5f * h, score, best, a};
        tsr_det_map_box(map, p->net_width, p->net_height, &d);
        tsr_det_list_push(out, &d);
      }
    }
  }
}

void tsr_prior_decode_ref(const float *loc, const float *scores, const tsr_prior_params *p, const tsr_letterbox *map,
                          tsr_det_list *out) {
  const float nw = (float)p->net_width, nh = (float)p->net_height;
  for (int32_t i = 0; i < p->n_priors; ++i) {
    const float *l = loc + 4 * (size_t)i, *pr = p->priors + 4 * (size_t)i, *sc = scores + (size_t)i * (size_t)p->n_classes;
    float mx = sc[0], sum = 0.0f;
    if (p->softmax) {
      for (int32_t c = 1; c < p->n_classes; ++c) mx = sc[c] > mx ? sc[c] : mx;
      for (int32_t c = 0; c < p->n_classes; ++c) sum += expf(sc[c] - mx);
    }
    float x0, y0, x1, y1;
    if (p->boxes_are_corners) {
      x0 = l[0], y0 = l[1], x1 = l[2], y1 = l[3];
    } else {
      const float cx = pr[0] + l[0] * p->center_variance * pr[2], cy = pr[1] + l[1] * p->center_variance * pr[3];
      const float w = pr[2] * expf(l[2] * p->size_variance), h = pr[3] * expf(l[3] * p->size_variance);
      x0 = cx - 0.5f * w, y0 = cy - 0.5f * h, x1 = cx + 0.5f * w, y1 = cy + 0.5f * h;
    }
    for (int32_t c = p->first_class; c < p->n_classes; ++c) {
      const float score = p->softmax ? expf(sc[c] - mx) / sum : sc[c];
      if (!(score >= p->score_threshold)) continue;
      tsr_detection d = {x0 * nw, y0 * nh, x1 * nw, y1 * nh, score, c, i};
      tsr_det_map_box(map, p->net_width, p->net_height, &d);
      tsr_det_list_push(out, &d);
    }
  }
}

float tsr_box_iou(const tsr_detection *a, const tsr_detection *b) {
  const float aw = a->x1 - a->x0, ah = a->y1 - a->y0, bw = b->x1 - b->x0, bh = b->y1 - b->y0;
  if (!(aw > 0.0f && ah > 0.0f && bw > 0.0f && bh > 0.0f)) return 0.0f;
  const float iw = fminf(a->x1, b->x1) - fmaxf(a->x0, b->x0), ih = fminf(a->y1, b->y1) - fmaxf(a->y0, b->y0);
  if (iw <= 0.0f || ih <= 0.0f) return 0.0f;
  const float inter = iw * ih;
  return inter / (aw * ah + bw * bh - inter);
}

/* Total order for NMS: score desc, class, anchor, corners. */
static bool nms_before(const tsr_detection *a, const tsr_detection *b) {
  if (a->score != b->score) return a->score > b->score;
  if (a->class_id != b->class_id) return a->class_id < b->class_id;
  if (a->anchor != b->anchor) return a->anchor < b->anchor;
  if (a->x0 != b->x0) return a->x0 < b->x0;
  if (a->y0 != b->y0) return a->y0 < b->y0;
  if (a->x1 != b->x1) return a->x1 < b->x1;
  return a->y1 < b->y1;
}

static void sift(tsr_detection *d, int32_t i, int32_t n) {
  for (;;) {
    int32_t c = 2 * i + 1;
    if (c >= n) return;
    /* heap of the "last" element at the root: max-heap under !before */
    if (c + 1 < n && nms_before(&d[c], &d[c + 1])) c++;
    if (!nms_before(&d[i], &d[c])) return;
    const tsr_detection t = d[i];
    d[i] = d[c];
    d[c] = t;
    i = c;
  }
}

int32_t tsr_nms_ref(tsr_detection *dets, int32_t n, const tsr_nms_params *p) {
  int32_t m = 0; /* keep finite scores at or above the threshold */
  for (int32_t i = 0; i < n; ++i) {
    if (dets[i].score >= p->score_threshold && isfinite(dets[i].score)) dets[m++] = dets[i];
  }
  /* heap sort: root = the element that goes last */
  for (int32_t i = m / 2 - 1; i >= 0; --i) sift(dets, i, m);
  for (int32_t e = m - 1; e > 0; --e) {
    const tsr_detection t = dets[0];
    dets[0] = dets[e];
    dets[e] = t;
    sift(dets, 0, e);
  }
  int32_t kept = 0;
  for (int32_t i = 0; i < m && kept < p->max_boxes; ++i) {
    bool drop = false;
    for (int32_t j = 0; j < kept && !drop; ++j) {
      if (!p->class_agnostic && dets[j].class_id != dets[i].class_id) continue;
      drop = tsr_box_iou(&dets[j], &dets[i]) > p->iou_threshold;
    }
    if (!drop) dets[kept++] = dets[i];
  }
  return kept;
}

void tsr_class_topk_ref(const float *v, int32_t n, int32_t k, bool softmax, tsr_class_score *out) {
  int32_t m = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (m == k && !(v[i] > out[m - 1].score)) continue;
    int32_t j = m < k ? m++ : k - 1; /* insertion: later index loses ties */
    while (j > 0 && v[i] > out[j - 1].score) {
      out[j] = out[j - 1];
      --j;
    }
    out[j].class_id = i;
    out[j].score = v[i];
  }
  if (softmax) {
    float mx = v[0];
    for (int32_t i = 1; i < n; ++i) mx = v[i] > mx ? v[i] : mx;
    double sum = 0.0;
    for (int32_t i = 0; i < n; ++i) sum += exp((double)v[i] - (double)mx);
    for (int32_t j = 0; j < k; ++j) out[j].score = (float)(exp((double)out[j].score - (double)mx) / sum);
  }
}

void tsr_seg_argmax_ref(const float *logits, int32_t channels, int32_t height, int32_t width, int32_t layout,
                        uint8_t *mask, int32_t mask_stride, uint32_t *counts) {
  const size_t hw = (size_t)height * (size_t)width;
  for (int32_t c = 0; c < channels; ++c) counts[c] = 0;
  for (int32_t y = 0; y < height; ++y) {
    for (int32_t x = 0; x < width; ++x) {
      const size_t px = (size_t)y * (size_t)width + (size_t)x;
      const float *v = layout == TSR_LAYOUT_NHWC ? logits + px * (size_t)channels : logits + px;
      const size_t step = layout == TSR_LAYOUT_NHWC ? 1 : hw;
      int32_t best = 0;
      float bv = v[0];
      for (int32_t c = 1; c < channels; ++c) {
        const float t = v[(size_t)c * step];
        if (t > bv) bv = t, best = c;
      }
      mask[(size_t)y * (size_t)mask_stride + (size_t)x] = (uint8_t)best;
      counts[best]++;
    }
  }
}
