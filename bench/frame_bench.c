/* Frame preprocessing and detection post-processing (tessera/vision.h): the
 * reference against the kernels the CPU allows, on camera-sized frames.
 * Public headers only. Counter "px/s": network-input pixels written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/gbench.h"
#include "tessera/tessera.h"

typedef struct frame_case {
  const char *name;
  int32_t format, width, height, bpp_num, bpp_den; /* row bytes = width * num / den */
  int32_t out_w, out_h, channels, resize, fit;
  uint32_t isa;
} frame_case;

static void run_frame(tsr_bench_state *st, void *arg) {
  const frame_case *c = arg;
  const size_t stride = (size_t)c->width * (size_t)c->bpp_num / (size_t)c->bpp_den;
  const size_t bytes = stride * (size_t)c->height * (c->format == TSR_PIXEL_NV12 ? 3 : 2) / 2;
  uint8_t *px = malloc(bytes);
  tsr_preprocess pre;
  tsr_preprocess_default(&pre, c->out_w, c->out_h);
  pre.channels = c->channels;
  pre.resize = c->resize;
  pre.fit = c->fit;
  pre.isa = c->isa;
  size_t out_bytes = 0;
  tsr_error e;
  float *out = NULL;
  if (px == NULL || tsr_preprocess_output_size(&pre, &out_bytes, &e) != TSR_OK || (out = malloc(out_bytes)) == NULL) {
    free(px);
    tsr_bench_skip(st, "setup failed");
    return;
  }
  for (size_t i = 0; i < bytes; ++i) px[i] = (uint8_t)(i * 131u >> 3);
  const tsr_frame f = {c->format, c->width, c->height, (int32_t)stride, px, NULL, 0, TSR_YUV_BT601_LIMITED};
  while (tsr_bench_keep_running(st)) {
    if (tsr_frame_preprocess(&f, &pre, out, out_bytes, NULL, &e) != TSR_OK) {
      tsr_bench_skip(st, e.message);
      break;
    }
  }
  tsr_bench_rate(st, "px/s", (double)c->out_w * c->out_h);
  free(out);
  free(px);
}

/* YOLOX-Nano-shaped head (3549 x 85, a few hundred candidates) -> NMS. */
static void run_decode(tsr_bench_state *st, void *arg) {
  (void)arg;
  enum { NA = 3549, K = 85 };
  float *head = malloc(sizeof(float) * NA * K);
  tsr_detection *d = malloc(sizeof(tsr_detection) * NA);
  if (head == NULL || d == NULL) {
    free(head);
    free(d);
    tsr_bench_skip(st, "out of memory");
    return;
  }
  uint32_t r = 1;
  for (int i = 0; i < NA * K; ++i) {
    r = r * 1664525u + 1013904223u;
    head[i] = (float)(r >> 8) / 16777216.0f;
  }
  tsr_letterbox m;
  tsr_error e;
  int32_t n = 0, kept = 0;
  if (tsr_letterbox_compute(1280, 720, NULL, 416, 416, TSR_FIT_LETTERBOX, &m, &e) != TSR_OK) {
    tsr_bench_skip(st, e.message);
  } else {
    const tsr_yolo_params p = {416, 416, 80, NULL, 0, TSR_YOLO_ROWS, true, true, false, 0.9f};
    const tsr_nms_params np = {0.45f, 0.9f, 100, false};
    while (tsr_bench_keep_running(st)) {
      if (tsr_yolo_decode(head, (int64_t)NA * K, &p, &m, d, NA, &n, NULL, &e) != TSR_OK ||
          tsr_nms(d, n, &np, &kept, &e) != TSR_OK) {
        tsr_bench_skip(st, e.message);
        break;
      }
    }
    tsr_bench_value(st, "candidates", n);
    tsr_bench_value(st, "kept", kept);
  }
  free(head);
  free(d);
}

int main(int argc, char **argv) {
  tsr_cpu_features cpu;
  tsr_cpu_detect(&cpu);
  static const frame_case base[] = {
      {"nv12_1280x720_to_416x416_letterbox", TSR_PIXEL_NV12, 1280, 720, 1, 1, 416, 416, 3, TSR_FRAME_BILINEAR, TSR_FIT_LETTERBOX, 0},
      {"yuyv_640x480_to_320x320", TSR_PIXEL_YUYV, 640, 480, 2, 1, 320, 320, 3, TSR_FRAME_BILINEAR, TSR_FIT_STRETCH, 0},
      {"rgb_1920x1080_to_640x640_letterbox", TSR_PIXEL_RGB8, 1920, 1080, 3, 1, 640, 640, 3, TSR_FRAME_BILINEAR, TSR_FIT_LETTERBOX, 0},
      {"bgr_1280x720_to_200x66_gray_area", TSR_PIXEL_BGR8, 1280, 720, 3, 1, 200, 66, 1, TSR_FRAME_AREA, TSR_FIT_STRETCH, 0},
  };
  enum { NB = sizeof(base) / sizeof(base[0]) };
  static frame_case cases[2 * NB];
  char name[160];
  for (int i = 0; i < NB; ++i) {
    for (int v = 0; v < 2; ++v) {
      cases[2 * i + v] = base[i];
      cases[2 * i + v].isa = v ? cpu.isa : 0;
      snprintf(name, sizeof(name), "frame/%s/%s", base[i].name, v ? "best" : "ref");
      tsr_bench_register(name, run_frame, &cases[2 * i + v]);
    }
  }
  tsr_bench_register("detect/yolox_3549x85_decode_nms", run_decode, NULL);
  return tsr_bench_main(argc, argv);
}
