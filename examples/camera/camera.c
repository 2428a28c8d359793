/* A camera-style perception loop on the installed Tessera package: a
 * detection network linked into the image (read-only data, as a board keeps
 * it in flash: blob.S), every byte of memory from one static arena owned by
 * the application, then per frame
 *   NV12 frame -> tsr_frame_preprocess (letterbox into the network input, in
 *   place) -> tsr_network_session_run -> tsr_yolo_decode -> tsr_nms -> boxes
 * with no allocation after init: every malloc/calloc/realloc/free of the
 * process is counted (alloc_hook.c) and any after init fails the program.
 *
 * The network is YOLOX (an [1, 3, H, W] BGR 0..255 input, one [1, N, 5 + C]
 * head output, strides 8/16/32) as .onnx or .tsr; the frame is a raw NV12
 * file (Y plane, then interleaved U, V at half resolution; BT.601 limited
 * range), as a camera driver delivers it.
 *
 *   tsr_camera FRAME.nv12 WIDTH HEIGHT [FRAMES] [THREADS]
 *
 * Prints the network's inputs and outputs, then each frame's detections in
 * frame pixels: "frame F box CLASS SCORE x0 y0 x1 y1". Exit status: 0 ok,
 * 1 allocation after init, 2 Tessera error, 3 arena too small, 4 usage. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_hook.h"
#include "tessera/tessera.h"

/* The blob of blob.S. */
extern const uint8_t tsr_cam_model[], tsr_cam_model_end[];

#ifndef CAM_ARENA_BYTES
#define CAM_ARENA_BYTES (96u << 20) /* ONNX import of YOLOX-Nano included; a .tsr needs ~12 MiB */
#endif
#define CAM_MAX_FRAME (1920 * 1088 * 3 / 2)
#define CAM_MAX_DETS 256

static _Alignas(64) uint8_t g_arena[CAM_ARENA_BYTES];
static _Alignas(64) uint8_t g_frame[CAM_MAX_FRAME];
static tsr_detection g_dets[CAM_MAX_DETS];
static char g_stdout_buf[8192]; /* stdio's buffer, so that printing never mallocs */

static int fail(const char *what, tsr_status s, const tsr_error *e) {
  fprintf(stderr, "camera: %s: %s%s%s\n", what, tsr_status_string(s), e && e->message[0] ? ": " : "",
          e ? e->message : "");
  return s == TSR_ERR_OUT_OF_MEMORY ? 3 : 2;
}

static void print_io(const char *kind, const tsr_network_io_info *io) {
  printf("%s %s %s[", kind, io->name, tsr_dtype_name(io->dtype));
  for (int32_t d = 0; d < io->ndim; ++d) printf("%s%lld", d ? "," : "", (long long)io->shape[d]);
  printf("]");
  if (io->has_quant) printf(" scale %g zero_point %d", io->scale, (int)io->zero_point);
  printf("\n");
}

int main(int argc, char **argv) {
  setvbuf(stdout, g_stdout_buf, _IOFBF, sizeof(g_stdout_buf));
  if (argc < 4) {
    fprintf(stderr, "usage: tsr_camera FRAME.nv12 WIDTH HEIGHT [FRAMES] [THREADS]\n");
    return 4;
  }
  const int32_t width = atoi(argv[2]), height = atoi(argv[3]);
  const int frames = argc > 4 ? atoi(argv[4]) : 3;
  const uint32_t threads = argc > 5 ? (uint32_t)atoi(argv[5]) : 1;
  const size_t frame_bytes = (size_t)width * (size_t)height * 3 / 2;
  if (width <= 0 || height <= 0 || (width | height) & 1 || frame_bytes > sizeof(g_frame) || frames < 1) {
    fprintf(stderr, "camera: bad frame size %dx%d (even, at most %d bytes of NV12) or frame count\n", (int)width,
            (int)height, (int)sizeof(g_frame));
    return 4;
  }
  fw_alloc_hook_arm(); /* from here on every allocator call of the process is counted */

  /* ---- init: the frame source, the network, the session ---- */
  FILE *f = fopen(argv[1], "rb");
  size_t got = f ? fread(g_frame, 1, frame_bytes, f) : 0;
  if (f) fclose(f);
  if (got != frame_bytes) {
    fprintf(stderr, "camera: %s: cannot read %zu bytes of NV12\n", argv[1], frame_bytes);
    return 4;
  }
  tsr_bump bump;
  tsr_bump_init(&bump, g_arena, sizeof(g_arena));
  const tsr_allocator arena = tsr_bump_allocator(&bump);
  tsr_error err = {0};
  tsr_network_options nopt = {0};
  nopt.allocator = &arena;
  tsr_network *net = NULL;
  tsr_status s = tsr_network_load_memory(tsr_cam_model, (size_t)(tsr_cam_model_end - tsr_cam_model), &nopt, &net, &err);
  if (s != TSR_OK) return fail("load", s, &err);
  tsr_network_info info;
  s = tsr_network_get_info(net, &info);
  if (s != TSR_OK) return fail("info", s, NULL);
  printf("network: %s, %u nodes, %.2f MiB of constants\n", info.format == TSR_NETWORK_FORMAT_TSR ? "tsr" : "onnx",
         (unsigned)info.n_nodes, (double)info.const_bytes / 1048576.0);

  tsr_target *cpu = NULL;
  const tsr_target_options topt = {.n_threads = threads};
  s = tsr_cpu_target_create(&topt, &arena, &cpu, &err);
  if (s != TSR_OK) return fail("cpu target", s, &err);
  tsr_network_session_config cfg = {0};
  cfg.allocator = &arena;
  cfg.targets[0] = cpu;
  cfg.n_targets = 1;
  cfg.fallback = cpu;
  size_t size = 0, align = 0;
  s = tsr_network_session_get_size(net, &cfg, &size, &align);
  if (s != TSR_OK) return fail("session size", s, NULL);
  void *smem = tsr_alloc(&arena, size, align);
  if (smem == NULL) return fail("session memory", TSR_ERR_OUT_OF_MEMORY, NULL);
  tsr_network_session *ses = NULL;
  s = tsr_network_session_init(net, &cfg, smem, size, &ses);
  if (s != TSR_OK) return fail("session init", s, NULL);
  s = tsr_network_session_prepare(ses);
  if (s != TSR_OK) return fail("prepare", s, tsr_network_session_error(ses));
  tsr_network_io_info in, out;
  if (tsr_network_session_input_info(ses, 0, &in) != TSR_OK || tsr_network_session_output_info(ses, 0, &out) != TSR_OK)
    return fail("io", TSR_ERR_STATE, NULL);
  print_io("input", &in);
  print_io("output", &out);
  if (in.dtype != TSR_DTYPE_F32 || in.ndim != 4 || in.shape[1] != 3 || out.dtype != TSR_DTYPE_F32 || out.ndim != 3 ||
      out.shape[2] <= 5) {
    fprintf(stderr, "camera: not a YOLOX-shaped network (f32 [1,3,H,W] in, f32 [1,N,5+C] out)\n");
    return 4;
  }
  size_t arena_size = 0, arena_align = 0;
  s = tsr_network_session_get_arena_size(ses, &arena_size, &arena_align);
  void *amem = s == TSR_OK ? tsr_alloc(&arena, arena_size, arena_align) : NULL;
  if (amem == NULL) return fail("arena", s != TSR_OK ? s : TSR_ERR_OUT_OF_MEMORY, NULL);
  s = tsr_network_session_bind_arena(ses, amem, arena_size);
  if (s != TSR_OK) return fail("bind", s, tsr_network_session_error(ses));
  void *input = NULL;
  const void *head = NULL;
  if (tsr_network_session_input_data(ses, 0, &input) != TSR_OK || tsr_network_session_output_data(ses, 0, &head) != TSR_OK)
    return fail("io data", TSR_ERR_STATE, NULL);

  /* Preprocessing (YOLOX: letterbox at the top left, grey 114 border, BGR,
   * 0..255 with no normalisation) and the head's decoding. */
  tsr_target_caps caps;
  if (tsr_target_get_caps(cpu, &caps) != TSR_OK) memset(&caps, 0, sizeof(caps));
  tsr_preprocess pre;
  tsr_preprocess_default(&pre, (int32_t)in.shape[3], (int32_t)in.shape[2]);
  pre.bgr = true;
  pre.fit = TSR_FIT_LETTERBOX;
  pre.pad_value = 114;
  pre.scale = 1.0f;
  pre.isa = caps.isa;
  tsr_yolo_params yp = {0};
  yp.net_width = (int32_t)in.shape[3];
  yp.net_height = (int32_t)in.shape[2];
  yp.n_classes = (int32_t)out.shape[2] - 5;
  yp.layout = TSR_YOLO_ROWS;
  yp.has_objectness = true;
  yp.raw_boxes = true;
  yp.score_threshold = 0.3f;
  tsr_nms_params np = {0.45f, 0.3f, 100, false};
  tsr_frame frame = {0};
  frame.format = TSR_PIXEL_NV12;
  frame.width = width;
  frame.height = height;
  frame.stride = width;
  frame.data = g_frame;
  frame.matrix = TSR_YUV_BT601_LIMITED;
  const long init_calls = fw_alloc_hook_count();
  const size_t used_after_init = bump.used;

  /* ---- per frame: no allocation from here on ---- */
  int rc = 0;
  for (int fi = 0; fi < frames && rc == 0; ++fi) {
    tsr_letterbox map;
    s = tsr_frame_preprocess(&frame, &pre, input, in.nbytes, &map, &err);
    if (s != TSR_OK) {
      rc = fail("preprocess", s, &err);
      break;
    }
    s = tsr_network_session_run(ses);
    if (s != TSR_OK) {
      rc = fail("run", s, tsr_network_session_error(ses));
      break;
    }
    int32_t n = 0, total = 0, kept = 0;
    s = tsr_yolo_decode(head, (int64_t)(out.nbytes / sizeof(float)), &yp, &map, g_dets, CAM_MAX_DETS, &n, &total, &err);
    if (s == TSR_OK) s = tsr_nms(g_dets, n, &np, &kept, &err);
    if (s != TSR_OK) {
      rc = fail("decode", s, &err);
      break;
    }
    printf("frame %d: %d anchors above %.2f, %d boxes after NMS\n", fi, (int)total, yp.score_threshold, (int)kept);
    for (int32_t i = 0; i < kept; ++i) {
      const tsr_detection *d = &g_dets[i];
      printf("frame %d box %d %.3f %.1f %.1f %.1f %.1f\n", fi, (int)d->class_id, d->score, d->x0, d->y0, d->x1, d->y1);
    }
  }
  const long run_calls = fw_alloc_hook_count() - init_calls;
  fprintf(stderr, "camera: arena %zu of %zu bytes used after init, %ld allocator calls in init, %ld after init\n",
          used_after_init, sizeof(g_arena), init_calls, run_calls);
  fflush(stdout);
  if (rc == 0 && run_calls != 0) {
    fprintf(stderr, "camera: FAILED: %ld allocator calls after init\n", run_calls);
    rc = 1;
  }
  tsr_network_session_deinit(ses);
  tsr_target_destroy(cpu);
  tsr_network_free(net);
  return rc;
}
