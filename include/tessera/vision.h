/* Camera frames in, detections and masks out: the plain C ends of a
 * perception pipeline around a network.
 *
 * Frames in: a camera frame (packed RGB/BGR/RGBA/BGRA/GRAY 8-bit with a row
 * stride, NV12, YUYV) is converted, cropped, resized (bilinear, area,
 * nearest), stretched or letterboxed, normalised and laid out (NCHW or NHWC,
 * f32 or quantised int8/uint8) as a network input, in one pass, into memory
 * the caller owns. The geometry is reported back (tsr_letterbox) so results
 * map back to frame pixels.
 *
 * Results out: anchor-free YOLO heads (YOLOX rows, YOLOv8 columns) and
 * SSD/UltraFace prior boxes decoded to boxes in frame pixels; class-wise
 * non-maximum suppression; top-k classification; segmentation argmax to a u8
 * mask with per-class coverage; one regression value.
 *
 * Every function here: allocates never, keeps no state (thread-safe for
 * distinct output memory), writes its out_ parameters only on success, and
 * returns TSR_ERR_INVALID_ARGUMENT (or TSR_ERR_BUFFER_TOO_SMALL for output
 * memory smaller than needed) with the offending field named in |err| (which
 * may be NULL). Kernels: kernels/frame/ and kernels/detect/ (plain C
 * references, x86 variants checked against them). */
#ifndef TESSERA_VISION_H_
#define TESSERA_VISION_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/status.h"
#include "tessera/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- frames ---------------------------------------------------------------- */

typedef enum tsr_pixel_format {
  TSR_PIXEL_RGB8 = 0, /* packed R, G, B bytes */
  TSR_PIXEL_BGR8,     /* packed B, G, R (OpenCV) */
  TSR_PIXEL_RGBA8,    /* packed R, G, B, A; alpha ignored */
  TSR_PIXEL_BGRA8,    /* packed B, G, R, A; alpha ignored */
  TSR_PIXEL_GRAY8,    /* one byte per pixel */
  TSR_PIXEL_NV12,     /* Y plane, then a plane of interleaved U, V at half
                         resolution in both axes (4:2:0); even width and height */
  TSR_PIXEL_YUYV,     /* packed Y0 U Y1 V per two pixels (YUY2, 4:2:2); even width */
  TSR_PIXEL_FORMAT_COUNT
} tsr_pixel_format;

/* YUV -> RGB matrices. Limited range: Y in 16..235, U/V in 16..240:
 *   BT.601: R = 1.164383 (Y-16) + 1.596027 (V-128)
 *           G = 1.164383 (Y-16) - 0.391762 (U-128) - 0.812968 (V-128)
 *           B = 1.164383 (Y-16) + 2.017232 (U-128)
 *   BT.709: R = 1.164383 (Y-16) + 1.792741 (V-128)
 *           G = 1.164383 (Y-16) - 0.213249 (U-128) - 0.532909 (V-128)
 *           B = 1.164383 (Y-16) + 2.112402 (U-128)
 * Full range BT.601 (JPEG): R = Y + 1.402 (V-128),
 *   G = Y - 0.344136 (U-128) - 0.714136 (V-128), B = Y + 1.772 (U-128).
 * Each result is rounded to nearest (ties to even) and clamped to 0..255,
 * computed in f32. Chroma is taken from the sample that covers the pixel
 * (no chroma interpolation). */
typedef enum tsr_yuv_matrix {
  TSR_YUV_BT601_LIMITED = 0, /* the default: SD/most camera ISPs */
  TSR_YUV_BT601_FULL,        /* JPEG / full-swing */
  TSR_YUV_BT709_LIMITED,     /* HD */
  TSR_YUV_MATRIX_COUNT
} tsr_yuv_matrix;

/* A frame as the camera delivers it. Not owned: the caller keeps the memory
 * alive for the call. */
typedef struct tsr_frame {
  int32_t format;       /* tsr_pixel_format */
  int32_t width, height;/* pixels, > 0 */
  int32_t stride;       /* bytes per row of |data| (the Y plane for NV12);
                           >= width * bytes per pixel (YUYV: 2, NV12 Y: 1) */
  const uint8_t *data;  /* packed pixels, or the Y plane */
  const uint8_t *uv;    /* NV12 only: the interleaved U, V plane, height / 2
                           rows; NULL: it follows the Y plane at
                           data + stride * height */
  int32_t uv_stride;    /* NV12 only: bytes per UV row; 0: |stride| */
  int32_t matrix;       /* tsr_yuv_matrix (NV12, YUYV) */
} tsr_frame;

/* Pixel rectangle: x, y of the top-left corner, width, height. */
typedef struct tsr_rect {
  int32_t x, y, width, height;
} tsr_rect;

typedef enum tsr_frame_resize {
  TSR_FRAME_BILINEAR = 0, /* half-pixel centres, edge clamped (OpenCV INTER_LINEAR) */
  TSR_FRAME_AREA,         /* box filter over the covered area when shrinking
                             (OpenCV INTER_AREA); bilinear when enlarging */
  TSR_FRAME_NEAREST,      /* floor((x + 0.5) * in / out) */
} tsr_frame_resize;

typedef enum tsr_frame_fit {
  TSR_FIT_STRETCH = 0,       /* fill the input, aspect ratio not kept */
  TSR_FIT_LETTERBOX,         /* keep the aspect ratio, content at the top left (YOLOX) */
  TSR_FIT_LETTERBOX_CENTER,  /* keep the aspect ratio, content centred (YOLOv5/v8) */
} tsr_frame_fit;

typedef enum tsr_tensor_layout {
  TSR_LAYOUT_NCHW = 0, /* [1, C, H, W] */
  TSR_LAYOUT_NHWC,     /* [1, H, W, C] */
} tsr_tensor_layout;

/* How a frame becomes a network input:
 *   frame -> crop -> RGB (or gray) u8 -> resize to content size -> [round to
 *   u8] -> pad to width x height -> value = (pixel * scale - mean[c]) / std[c]
 *   -> [quantise: q = clamp(round(value / q_scale) + q_zero_point)] -> layout.
 * "scale/offset" normalisation is the same formula with std = 1 and
 * mean = -offset. Gray output uses OpenCV's fixed-point weights
 * (4899 R + 9617 G + 1868 B + 8192) >> 14 on the u8 RGB of each source pixel. */
typedef struct tsr_preprocess {
  int32_t width, height;  /* network input extent, pixels, > 0 */
  int32_t channels;       /* 3 (colour) or 1 (gray) */
  bool bgr;               /* output channel order B, G, R instead of R, G, B */
  int32_t resize;         /* tsr_frame_resize */
  int32_t fit;            /* tsr_frame_fit */
  uint8_t pad_value;      /* letterbox border, as a 0..255 pixel (YOLOX: 114) */
  bool round_u8;          /* round the resized pixel to 8 bits before
                             normalising, as image libraries do */
  tsr_rect crop;          /* region of the frame; width or height 0: whole frame */
  float scale;            /* pixel (0..255) multiplier */
  float mean[3], std[3];  /* per output channel; std != 0 */
  int32_t layout;         /* tsr_tensor_layout */
  int32_t dtype;          /* TSR_DTYPE_F32, TSR_DTYPE_I8 or TSR_DTYPE_U8 */
  float q_scale;          /* I8/U8 output: value = (q - q_zero_point) * q_scale */
  int32_t q_zero_point;
  uint32_t isa;           /* TSR_ISA_* bits the caller allows (tsr_cpu_detect's
                             isa); 0: plain C reference only */
} tsr_preprocess;

/* Where the frame landed in the network input:
 *   net_x = frame_x * scale_x + offset_x (same for y),
 * with the content (the resized crop) covering [pad_x, pad_x + content_width)
 * x [pad_y, pad_y + content_height) of the input. */
typedef struct tsr_letterbox {
  float scale_x, scale_y;    /* network pixels per frame pixel */
  float offset_x, offset_y;  /* network position of frame pixel coordinate 0 */
  int32_t pad_x, pad_y;
  int32_t content_width, content_height;
  tsr_rect source;           /* the frame region that was used (the crop) */
} tsr_letterbox;

/* Defaults for a |width| x |height| network input: 3 channels RGB, bilinear,
 * stretch, pad 114, no rounding, whole frame, scale 1/255, mean 0, std 1, NCHW,
 * f32, q_scale 1, reference only. Pure. */
void tsr_preprocess_default(tsr_preprocess *pre, int32_t width, int32_t height);

/* Bytes of the network input |pre| describes (width * height * channels *
 * element size). Pure. */
TSR_NODISCARD tsr_status tsr_preprocess_output_size(const tsr_preprocess *pre, size_t *out_bytes, tsr_error *err);

/* The geometry tsr_frame_preprocess uses: |crop| (width 0: the whole
 * frame_width x frame_height) fitted into net_width x net_height by |fit|.
 * Letterbox: r = min(net_w / crop_w, net_h / crop_h), content
 * floor(crop_w * r) x floor(crop_h * r) (at least 1), scale_x =
 * content_width / crop_w. Pure. */
TSR_NODISCARD tsr_status tsr_letterbox_compute(int32_t frame_width, int32_t frame_height, const tsr_rect *crop,
                                               int32_t net_width, int32_t net_height, int32_t fit,
                                               tsr_letterbox *out_map, tsr_error *err);

/* Network pixel coordinates -> frame pixel coordinates (the inverse map). Pure. */
void tsr_letterbox_to_frame(const tsr_letterbox *map, float net_x, float net_y, float *out_x, float *out_y);

/* Converts |frame| into the network input |pre| describes, writing
 * tsr_preprocess_output_size bytes to |dst| (|dst_size| bytes; F32 output
 * needs 4-byte alignment). |out_map| (may be NULL) receives the geometry.
 * Picks an x86 AVX2 kernel where |pre->isa| allows and one exists (NV12,
 * YUYV or packed 3/4-byte colour, bilinear, f32, 3 channels, no rounding);
 * its results equal the reference's. Allocates never. */
TSR_NODISCARD tsr_status tsr_frame_preprocess(const tsr_frame *frame, const tsr_preprocess *pre, void *dst,
                                              size_t dst_size, tsr_letterbox *out_map, tsr_error *err);

/* Converts |frame| (whole) to packed 8-bit RGB: |dst| holds height rows of
 * |dst_stride| >= width * 3 bytes (|dst_size| >= dst_stride * (height - 1) +
 * width * 3). Allocates never. */
TSR_NODISCARD tsr_status tsr_frame_to_rgb(const tsr_frame *frame, uint8_t *dst, int32_t dst_stride, size_t dst_size,
                                          tsr_error *err);

/* ---- results ----------------------------------------------------------------- */

/* One detection in frame pixels (network pixels if no map was given). */
typedef struct tsr_detection {
  float x0, y0, x1, y1;  /* corners; x0 <= x1, y0 <= y1 */
  float score;           /* 0..1 */
  int32_t class_id;
  int32_t anchor;        /* row of the head output / index of the prior */
} tsr_detection;

typedef enum tsr_yolo_layout {
  TSR_YOLO_ROWS = 0, /* [N, K] one row per anchor (YOLOX [1, 3549, 85]) */
  TSR_YOLO_COLUMNS,  /* [K, N] one column per anchor (YOLOv8 [1, 84, 8400]) */
} tsr_yolo_layout;

/* An anchor-free YOLO head. Each anchor holds cx, cy, w, h, [objectness],
 * n_classes class scores; anchors run over the strides in order, each a
 * ceil(net_height / s) x ceil(net_width / s) grid in row-major order.
 * raw_boxes (YOLOX as exported without decoding): cx = (v0 + gx) * s,
 * cy = (v1 + gy) * s, w = exp(v2) * s, h = exp(v3) * s; otherwise the values
 * are already network pixels. score = objectness * class score (after the
 * sigmoid if sigmoid is set). Each anchor yields at most one detection: its
 * best class, if score >= score_threshold. */
typedef struct tsr_yolo_params {
  int32_t net_width, net_height; /* network input, pixels */
  int32_t n_classes;             /* > 0 */
  const int32_t *strides;        /* NULL: {8, 16, 32} */
  int32_t n_strides;             /* with |strides| */
  int32_t layout;                /* tsr_yolo_layout */
  bool has_objectness;           /* YOLOX: yes; YOLOv8: no */
  bool raw_boxes;                /* see above */
  bool sigmoid;                  /* scores are logits */
  float score_threshold;
} tsr_yolo_params;

/* Number of anchors the head of |p| has (sum of the grid sizes). Pure. */
TSR_NODISCARD tsr_status tsr_yolo_anchor_count(const tsr_yolo_params *p, int32_t *out_count, tsr_error *err);

/* Decodes |head| (f32, n_anchors x (4 + objectness + n_classes) values in
 * p->layout; |head_count| elements, which must match) into |out| (capacity
 * |max_out|), mapped through |map| (NULL: network pixels) and clipped to the
 * map's source rectangle. When more anchors pass than fit, the highest scores
 * are kept (ties: lower anchor). *out_n: detections written, *out_total (may
 * be NULL): how many passed the threshold. Order: anchor order. */
TSR_NODISCARD tsr_status tsr_yolo_decode(const float *head, int64_t head_count, const tsr_yolo_params *p,
                                         const tsr_letterbox *map, tsr_detection *out, int32_t max_out,
                                         int32_t *out_n, int32_t *out_total, tsr_error *err);

/* SSD / UltraFace prior boxes. Prior i: cx, cy, w, h in 0..1 of the network
 * input. loc [n_priors, 4]: cx = pcx + l0 * center_variance * pw,
 * cy = pcy + l1 * center_variance * ph, w = pw * exp(l2 * size_variance),
 * h = ph * exp(l3 * size_variance) (boxes_are_corners: loc already holds
 * x0, y0, x1, y1 in 0..1). scores [n_priors, n_classes], softmaxed if
 * |softmax|; classes below first_class (background) are not reported. */
typedef struct tsr_prior_params {
  int32_t net_width, net_height;
  const float *priors;        /* [n_priors, 4] cx, cy, w, h, 0..1 */
  int32_t n_priors;
  int32_t n_classes;          /* incl. background */
  int32_t first_class;        /* 1: class 0 is background */
  float center_variance;      /* 0.1 */
  float size_variance;        /* 0.2 */
  bool boxes_are_corners;
  bool softmax;
  float score_threshold;
} tsr_prior_params;

/* UltraFace/SSD grid priors: for each stride s, a ceil(net_h / s) x
 * ceil(net_w / s) grid (rows, then columns) and at each cell one prior per
 * size of that stride: cx = (i + 0.5) * s / net_w, w = size / net_w, clamped
 * to 0..1. sizes: n_sizes[k] sizes per stride, concatenated (UltraFace 320:
 * strides 8,16,32,64; sizes {10,16,24}, {32,48}, {64,96}, {128,192,256}).
 * Writes n x 4 floats to |out| (capacity |max_priors| priors). Pure. */
TSR_NODISCARD tsr_status tsr_priors_grid(int32_t net_width, int32_t net_height, const int32_t *strides,
                                         int32_t n_strides, const int32_t *n_sizes, const float *sizes, float *out,
                                         int32_t max_priors, int32_t *out_n, tsr_error *err);

/* Decodes prior-box outputs |loc| (n_priors x 4 f32) and |scores| (n_priors x
 * n_classes f32): one detection per prior and class above the threshold,
 * mapped and kept as tsr_yolo_decode does. Allocates never. */
TSR_NODISCARD tsr_status tsr_prior_decode(const float *loc, const float *scores, const tsr_prior_params *p,
                                          const tsr_letterbox *map, tsr_detection *out, int32_t max_out,
                                          int32_t *out_n, int32_t *out_total, tsr_error *err);

typedef struct tsr_nms_params {
  float iou_threshold;   /* suppress a box whose IoU with a kept box is > this */
  float score_threshold; /* drop boxes below this */
  int32_t max_boxes;     /* keep at most this many (> 0) */
  bool class_agnostic;   /* false: only boxes of the same class suppress */
} tsr_nms_params;

/* Non-maximum suppression in place: sorts |dets| (n) by score, descending,
 * ties by class then anchor then corners (a total order: the result does not
 * depend on the input order), and keeps the survivors at the front, in that
 * order. *out_n: how many. Greedy (keep the best, drop what overlaps it).
 * Allocates never; O(n log n + n * kept). */
TSR_NODISCARD tsr_status tsr_nms(tsr_detection *dets, int32_t n, const tsr_nms_params *p, int32_t *out_n,
                                 tsr_error *err);

/* Intersection over union of two boxes (0 when either is empty). Pure. */
float tsr_box_iou(const tsr_detection *a, const tsr_detection *b);

typedef struct tsr_class_score {
  int32_t class_id;
  float score;
} tsr_class_score;

/* The |k| best of |logits| (n f32) by value, descending, ties to the lower
 * index; scores are softmax probabilities over all n if |softmax|, else the
 * values. Writes min(k, n) entries to |out|; *out_n says how many. */
TSR_NODISCARD tsr_status tsr_topk(const float *logits, int32_t n, int32_t k, bool softmax, tsr_class_score *out,
                                  int32_t *out_n, tsr_error *err);

/* Segmentation: |logits| f32 [C, H, W] (NCHW, batch 1) or [H, W, C]
 * (layout NHWC) -> |mask| u8 [H, W] (row stride |mask_stride| >= W) holding
 * the argmax channel (ties to the lower channel; C <= 255). |coverage| (may be
 * NULL, C floats) receives the fraction of pixels of each class.
 * TwinLiteNet: drivable area and lanes are each a C = 2 output; class 1 is
 * the drivable / lane pixel. */
TSR_NODISCARD tsr_status tsr_seg_argmax(const float *logits, int32_t channels, int32_t height, int32_t width,
                                        int32_t layout, uint8_t *mask, int32_t mask_stride, size_t mask_size,
                                        float *coverage, tsr_error *err);

/* One regression value (steering angle, distance): element |index| of an
 * output of |count| elements of |dtype| (F32, or I8/U8 dequantised with
 * q_scale, q_zero_point), as value * scale + offset. */
typedef struct tsr_regression_params {
  int64_t index;
  int32_t dtype;        /* TSR_DTYPE_F32, TSR_DTYPE_I8, TSR_DTYPE_U8 */
  float q_scale;
  int32_t q_zero_point;
  float scale, offset;  /* applied after dequantisation; 1, 0 to read as is */
} tsr_regression_params;

TSR_NODISCARD tsr_status tsr_regression_value(const void *data, int64_t count, const tsr_regression_params *p,
                                              float *out_value, tsr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_VISION_H_ */
