/* DETECT kernels: network outputs -> detections, masks, classes.
 * Contract and formulas: include/tessera/vision.h. The kernels take arguments
 * already checked by engine/vision/detect_api.c. */
#ifndef TESSERA_KERNELS_DETECT_H_
#define TESSERA_KERNELS_DETECT_H_

#include <stdbool.h>
#include <stdint.h>

#include "tessera/vision.h"

/* A bounded list of candidates: when full, a better one replaces the worst
 * (score, then lower anchor, then lower class is better); the list stays in
 * (anchor, class) order. */
typedef struct tsr_det_list {
  tsr_detection *d;
  int32_t n, cap;
  int32_t total; /* candidates offered */
} tsr_det_list;

void tsr_det_list_push(tsr_det_list *l, const tsr_detection *det);

/* Network box (corners, network pixels) -> frame pixels through |map| (NULL:
 * kept, clipped to net_w x net_h), clipped to the map's source rectangle. */
void tsr_det_map_box(const tsr_letterbox *map, int32_t net_w, int32_t net_h, tsr_detection *d);

/* YOLO head -> candidates (p checked; strides resolved, n_anchors their total). */
void tsr_yolo_decode_ref(const float *head, const tsr_yolo_params *p, const int32_t *strides, int32_t n_strides,
                         int32_t n_anchors, const tsr_letterbox *map, tsr_det_list *out);

/* Prior boxes -> candidates. */
void tsr_prior_decode_ref(const float *loc, const float *scores, const tsr_prior_params *p, const tsr_letterbox *map,
                          tsr_det_list *out);

/* Greedy NMS in place; returns the number kept. */
int32_t tsr_nms_ref(tsr_detection *dets, int32_t n, const tsr_nms_params *p);

/* Top-k of |v| (n) into out (k <= n). */
void tsr_class_topk_ref(const float *v, int32_t n, int32_t k, bool softmax, tsr_class_score *out);

/* Argmax over channels -> mask; counts[c] pixels of class c (c < channels). */
void tsr_seg_argmax_ref(const float *logits, int32_t channels, int32_t height, int32_t width, int32_t layout,
                        uint8_t *mask, int32_t mask_stride, uint32_t *counts);

#endif /* TESSERA_KERNELS_DETECT_H_ */
