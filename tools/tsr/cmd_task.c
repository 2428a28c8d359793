/* tsr run --image FRAME --task detect|segment|classify|regress: a perception
 * network on a photo, end to end, with the public frame preprocessing and
 * result decoding (tessera/vision.h): boxes in the photo's pixels, mask
 * coverage, top-5, a regression value; --save draws them over the photo.
 * The network's recipe (input size, colour order, normalisation, decoder,
 * labels) comes from a built-in preset picked by the model's file name or
 * --preset. */
#define _POSIX_C_SOURCE 200809L
#include "tools/tsr/cmd_task.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stb/stb_image.h>

#include "tessera/tessera.h"
#include "tools/tsr/draw_stb.h"

enum { TASK_DETECT = 0, TASK_SEGMENT, TASK_CLASSIFY, TASK_REGRESS, TASK_COUNT };
static const char *const task_names[TASK_COUNT] = {"detect", "segment", "classify", "regress"};

enum { DEC_NONE = 0, DEC_YOLO, DEC_PRIORS, DEC_YUNET };

static const char *const coco_labels[80] = {
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush"};
static const char *const person_labels[1] = {"person"};
static const char *const face_labels[2] = {"background", "face"};
static const char *const twin_labels[4] = {"background", "drivable", "background", "lane"};
static const char *const road_labels[4] = {"background", "road", "curb", "lane mark"};

/* A network's recipe. */
typedef struct preset {
  const char *name;
  const char *match[3]; /* substrings of the model file name that pick it */
  int task;
  const char *what;
  /* input */
  int32_t width, height, channels;
  bool bgr, round_u8, nhwc, center_crop; /* center_crop: the central 87.5 % square (resize 256, crop 224) */
  int32_t resize, fit;
  float scale, mean[3], std[3];
  /* detect */
  int decoder;
  int32_t n_classes; /* YOLO: classes; priors: with the background */
  float score_threshold, iou_threshold;
  /* labels: detect/classify by class id; segment: per output, 2 (or n) classes each */
  const char *const *labels;
  int32_t n_labels;
} preset;

static const preset presets[] = {
    {"yolox_nano", {"yolox_nano", "yolox", NULL}, TASK_DETECT, "YOLOX-Nano, 80 COCO classes",
     416, 416, 3, true, true, false, false, TSR_FRAME_BILINEAR, TSR_FIT_LETTERBOX, 1.0f, {0, 0, 0}, {1, 1, 1},
     DEC_YOLO, 80, 0.35f, 0.45f, coco_labels, 80},
    {"person", {"lightweight_person", "person_detector", NULL}, TASK_DETECT, "light-weight person detector (YOLOX head)",
     192, 192, 3, true, true, false, false, TSR_FRAME_BILINEAR, TSR_FIT_LETTERBOX, 1.0f, {0, 0, 0}, {1, 1, 1},
     DEC_YOLO, 1, 0.3f, 0.45f, person_labels, 1},
    {"ultraface", {"ultraface", "version-rfb", "rfb-320"}, TASK_DETECT, "UltraFace RFB-320 face detector",
     320, 240, 3, false, true, false, false, TSR_FRAME_BILINEAR, TSR_FIT_STRETCH, 1.0f, {127, 127, 127},
     {128, 128, 128}, DEC_PRIORS, 2, 0.7f, 0.3f, face_labels, 2},
    {"yunet", {"yunet", NULL, NULL}, TASK_DETECT, "YuNet face detector (cv::FaceDetectorYN)",
     640, 640, 3, true, true, false, false, TSR_FRAME_BILINEAR, TSR_FIT_LETTERBOX, 1.0f, {0, 0, 0}, {1, 1, 1},
     DEC_YUNET, 1, 0.6f, 0.3f, face_labels + 1, 1},
    {"twinlitenet", {"twinlitenet", NULL, NULL}, TASK_SEGMENT, "TwinLiteNet drivable area + lane lines",
     320, 320, 3, false, true, false, false, TSR_FRAME_BILINEAR, TSR_FIT_STRETCH, 1.0f / 255.0f, {0, 0, 0},
     {1, 1, 1}, DEC_NONE, 0, 0, 0, twin_labels, 4},
    {"road_segmentation_adas", {"road_segmentation_adas", "road-segmentation-adas", NULL}, TASK_SEGMENT,
     "OpenVINO road-segmentation-adas-0001 (BG, road, curb, lane mark)", 896, 512, 3, true, true, true, false,
     TSR_FRAME_BILINEAR, TSR_FIT_STRETCH, 1.0f, {0, 0, 0}, {1, 1, 1}, DEC_NONE, 0, 0, 0, road_labels, 4},
    {"pilotnet", {"pilotnet", NULL, NULL}, TASK_REGRESS, "PilotNet steering angle", 200, 66, 1, false, true, false,
     false, TSR_FRAME_AREA, TSR_FIT_STRETCH, 1.0f / 127.5f, {1, 1, 1}, {1, 1, 1}, DEC_NONE, 0, 0, 0, NULL, 0},
    {"shufflenet", {"shufflenet", NULL, NULL}, TASK_CLASSIFY, "ShuffleNet-v2 ImageNet classifier (1000 classes)",
     224, 224, 3, false, true, false, true, TSR_FRAME_BILINEAR, TSR_FIT_STRETCH, 1.0f / 255.0f,
     {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, DEC_NONE, 0, 0, 0, NULL, 0},
};
#define N_PRESETS ((int)(sizeof(presets) / sizeof(presets[0])))

#define MAX_DETS 4096
#define MAX_SEG_OUT 4

typedef struct task_opts {
  const char *model, *image, *task, *preset, *labels, *save;
  bool json;
  uint32_t threads;
} task_opts;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int usage(const char *msg, const char *arg) {
  fprintf(stderr, "tsr run: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  return 2;
}

bool tsr_task_wanted(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--image") == 0 || strcmp(argv[i], "--task") == 0) return true;
    if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc && strcmp(argv[i + 1], "none") != 0) return true;
  }
  return false;
}

static bool contains_ci(const char *s, const char *sub) {
  size_t n = strlen(sub);
  for (; *s; ++s) {
    size_t k = 0;
    while (k < n && s[k] && (s[k] | 0x20) == (sub[k] | 0x20)) ++k;
    if (k == n) return true;
  }
  return false;
}

static const preset *find_preset(const char *name) {
  for (int i = 0; i < N_PRESETS; ++i) {
    if (strcmp(presets[i].name, name) == 0) return &presets[i];
  }
  return NULL;
}

static const preset *match_preset(const char *model) {
  const char *base = strrchr(model, '/');
  base = base ? base + 1 : model;
  for (int i = 0; i < N_PRESETS; ++i) {
    for (int k = 0; k < 3 && presets[i].match[k]; ++k) {
      if (contains_ci(base, presets[i].match[k])) return &presets[i];
    }
  }
  return NULL;
}

static void list_presets(FILE *f) {
  for (int i = 0; i < N_PRESETS; ++i) fprintf(f, "%s%s", i ? ", " : "", presets[i].name);
}

/* JSON string with ", \ and control characters escaped; other bytes as is
 * (labels are UTF-8). */
static void json_str(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p == '\n') printf("\\n");
    else if (*p == '\t') printf("\\t");
    else if (*p == '\r') printf("\\r");
    else if (*p < 0x20 || *p == 0x7f) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

/* JSON has no NaN or infinity: those print as null. */
static void json_num(double v) {
  if (isfinite(v)) printf("%.6g", v);
  else printf("null");
}

/* ---- labels file: one label a line ---- */

typedef struct label_set {
  char *buf;
  const char **names;
  int32_t n;
} label_set;

static bool labels_load(const char *path, label_set *ls, char *err, size_t n) {
  memset(ls, 0, sizeof(*ls));
  tsr_allocator sys = tsr_allocator_system();
  tsr_mapped_file mf;
  tsr_error ferr;
  tsr_error_clear(&ferr);
  if (tsr_file_map_limited(path, "label file", UINT64_C(1) << 24, &sys, &mf, &ferr) != TSR_OK) {
    snprintf(err, n, "%s", ferr.message);
    return false;
  }
  ls->buf = malloc(mf.size + 1);
  size_t lines = 1;
  for (size_t i = 0; i < mf.size; ++i) lines += ((const char *)mf.data)[i] == '\n';
  ls->names = calloc(lines, sizeof(char *));
  if (ls->buf == NULL || ls->names == NULL) {
    tsr_file_unmap(&mf);
    snprintf(err, n, "%s: out of memory", path);
    return false;
  }
  memcpy(ls->buf, mf.data, mf.size);
  ls->buf[mf.size] = '\0';
  tsr_file_unmap(&mf);
  for (char *line = ls->buf; line != NULL && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r') line[len - 1] = '\0';
    ls->names[ls->n++] = line;
    line = nl ? nl + 1 : NULL;
  }
  return true;
}

static void labels_free(label_set *ls) {
  free(ls->buf);
  free((void *)ls->names);
}

static const char *label_of(const label_set *file, const preset *p, int32_t id, char *tmp, size_t n) {
  if (file->n > 0) {
    if (id >= 0 && id < file->n) return file->names[id];
  } else if (p->labels != NULL && id >= 0 && id < p->n_labels) {
    return p->labels[id];
  }
  snprintf(tmp, n, "class %d", (int)id);
  return tmp;
}

/* ---- drawing on packed RGB ---- */

typedef struct canvas {
  uint8_t *rgb;
  int32_t w, h;
} canvas;

static void fill_rect(canvas *c, int x0, int y0, int x1, int y1, const uint8_t col[3]) {
  x0 = x0 < 0 ? 0 : x0;
  y0 = y0 < 0 ? 0 : y0;
  x1 = x1 > c->w ? c->w : x1;
  y1 = y1 > c->h ? c->h : y1;
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) memcpy(c->rgb + ((size_t)y * (size_t)c->w + (size_t)x) * 3, col, 3);
  }
}

static void draw_box(canvas *c, float fx0, float fy0, float fx1, float fy1, int t, const uint8_t col[3]) {
  const int x0 = (int)lrintf(fx0), y0 = (int)lrintf(fy0), x1 = (int)lrintf(fx1), y1 = (int)lrintf(fy1);
  fill_rect(c, x0, y0, x1 + 1, y0 + t, col);
  fill_rect(c, x0, y1 - t + 1, x1 + 1, y1 + 1, col);
  fill_rect(c, x0, y0, x0 + t, y1 + 1, col);
  fill_rect(c, x1 - t + 1, y0, x1 + 1, y1 + 1, col);
}

/* |text| at (x, y) at twice stb_easy_font's size, on a filled background. */
static void draw_text(canvas *c, int x, int y, const char *text, const uint8_t fg[3], const uint8_t bg[3]) {
  static const int S = 2;
  float vb[4 * 4 * 600]; /* 600 quads: ~60 characters */
  const int nq = tsr_font_quads(0.0f, 0.0f, text, vb, (int)sizeof(vb));
  float wmax = 0;
  for (int q = 0; q < nq * 4; ++q) wmax = vb[q * 4] > wmax ? vb[q * 4] : wmax;
  if (y < 0) y = 0;
  fill_rect(c, x, y, x + (int)wmax * S + 2 * S, y + 9 * S, bg);
  for (int q = 0; q < nq; ++q) {
    const float *v = vb + q * 16; /* 4 vertices of x, y, z, rgba */
    const int qx0 = (int)v[0], qy0 = (int)v[1], qx1 = (int)v[8], qy1 = (int)v[9];
    fill_rect(c, x + S + qx0 * S, y + S + qy0 * S, x + S + qx1 * S, y + S + qy1 * S, fg);
  }
}

typedef struct png_out {
  FILE *f;
  bool failed;
} png_out;

static void png_sink(void *ctx, void *data, int size) {
  png_out *po = ctx;
  if (size > 0 && fwrite(data, 1, (size_t)size, po->f) != (size_t)size) po->failed = true;
}

static int save_png(const char *path, const canvas *c) {
  tsr_out_file of;
  char err[1280];
  if (!tsr_out_open(&of, path, err, sizeof(err))) {
    fprintf(stderr, "tsr run: %s\n", err);
    return 1;
  }
  png_out po = {of.f, false};
  const bool ok = tsr_png_write(png_sink, &po, c->w, c->h, c->rgb, c->w * 3) != 0 && !po.failed && !ferror(of.f);
  if (!ok) snprintf(err, sizeof(err), "%s: cannot write the PNG", path);
  if (!tsr_out_close(&of, ok, err, sizeof(err))) {
    fprintf(stderr, "tsr run: %s\n", err);
    return 1;
  }
  return 0;
}

static const uint8_t palette[8][3] = {{255, 56, 56},  {56, 200, 56}, {56, 120, 255}, {255, 200, 0},
                                      {255, 0, 200}, {0, 220, 220}, {255, 128, 0},  {160, 80, 255}};

/* ---- the command ---- */

static int parse(int argc, char **argv, task_opts *o) {
  memset(o, 0, sizeof(*o));
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if ((strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) && v) o->model = v, ++i;
    else if (strcmp(a, "--image") == 0 && v) o->image = v, ++i;
    else if (strcmp(a, "--task") == 0 && v) o->task = v, ++i;
    else if (strcmp(a, "--preset") == 0 && v) o->preset = v, ++i;
    else if (strcmp(a, "--labels") == 0 && v) o->labels = v, ++i;
    else if (strcmp(a, "--save") == 0 && v) o->save = v, ++i;
    else if ((strcmp(a, "--threads") == 0 || strcmp(a, "-t") == 0) && v) {
      char *end;
      long t = strtol(v, &end, 10);
      if (end == v || *end != '\0' || t < 0 || t > 1024) return usage("--threads needs a count 0..1024", v);
      o->threads = (uint32_t)t;
      ++i;
    } else if (strcmp(a, "--json") == 0) o->json = true;
    else if (a[0] != '-' && o->model == NULL) o->model = a;
    else return usage("unknown option (with --image/--task)", a);
  }
  if (o->model == NULL) return usage("no model given (-m MODEL)", NULL);
  if (o->image == NULL) return usage("no image given (--image FRAME.jpg)", NULL);
  return 0;
}

/* Decoded frame, network, session and the memory they need. */
typedef struct task_run {
  uint8_t *img;
  int32_t w, h;
  tsr_network *net;
  void *mem;
  tsr_network_session *s;
  tsr_detection *dets;
  float *priors;
  uint8_t *masks[MAX_SEG_OUT];
  label_set lf;
} task_run;

static void task_close(task_run *r) {
  for (int i = 0; i < MAX_SEG_OUT; ++i) free(r->masks[i]);
  free(r->priors);
  free(r->dets);
  tsr_network_session_deinit(r->s);
  free(r->mem);
  tsr_network_free(r->net);
  if (r->img) stbi_image_free(r->img);
  labels_free(&r->lf);
}

static int load_image(const char *path, task_run *r) {
  tsr_allocator sys = tsr_allocator_system();
  tsr_mapped_file mf;
  tsr_error ferr;
  tsr_error_clear(&ferr);
  if (tsr_file_map_limited(path, "image", TSR_FILE_MAX_IMAGE_DEFAULT, &sys, &mf, &ferr) != TSR_OK) {
    fprintf(stderr, "tsr run: %s\n", ferr.message);
    return 1;
  }
  int w = 0, h = 0, comp = 0;
  r->img = mf.size > (size_t)INT32_MAX ? NULL : stbi_load_from_memory(mf.data, (int)mf.size, &w, &h, &comp, 3);
  tsr_file_unmap(&mf);
  if (r->img == NULL) {
    fprintf(stderr, "tsr run: %s: cannot decode the image (%s)\n", path, stbi_failure_reason());
    return 1;
  }
  r->w = w;
  r->h = h;
  return 0;
}

static int open_session(const task_opts *o, task_run *r) {
  tsr_error err;
  tsr_error_clear(&err);
  tsr_status st = tsr_network_load_file(o->model, NULL, &r->net, &err);
  if (st != TSR_OK) {
    fprintf(stderr, "tsr run: %s: %s (%s)\n", o->model, err.message, tsr_status_string(st));
    return 1;
  }
  tsr_network_session_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.n_threads = o->threads;
  size_t size = 0, align = 0;
  st = tsr_network_session_get_size(r->net, &cfg, &size, &align);
  if (st == TSR_OK) {
    r->mem = aligned_alloc(align, (size + align - 1) / align * align);
    st = r->mem ? tsr_network_session_init(r->net, &cfg, r->mem, size, &r->s) : TSR_ERR_OUT_OF_MEMORY;
  }
  if (st == TSR_OK) st = tsr_network_session_prepare(r->s);
  if (st == TSR_OK) st = tsr_network_session_bind_arena(r->s, NULL, 0);
  if (st != TSR_OK) {
    fprintf(stderr, "tsr run: %s: %s\n", o->model,
            r->s ? tsr_network_session_error(r->s)->message : tsr_status_string(st));
    return 1;
  }
  return 0;
}

/* Output |name| (or, if absent, output |fallback|) as f32 data and count. */
static int output_f32(task_run *r, const char *name, uint32_t fallback, const float **data, int64_t *count,
                      tsr_network_io_info *info) {
  uint32_t n = tsr_network_output_count(r->net), idx = fallback;
  for (uint32_t i = 0; name && i < n; ++i) {
    tsr_network_io_info oi;
    if (tsr_network_session_output_info(r->s, i, &oi) == TSR_OK && strcmp(oi.name, name) == 0) idx = i;
  }
  const void *d;
  if (idx >= n || tsr_network_session_output_info(r->s, idx, info) != TSR_OK ||
      tsr_network_session_output_data(r->s, idx, &d) != TSR_OK) {
    fprintf(stderr, "tsr run: the network has no output %s (%u outputs)\n", name ? name : "", (unsigned)n);
    return 1;
  }
  if (info->dtype != TSR_DTYPE_F32) {
    fprintf(stderr, "tsr run: output %s is %s, the preset reads f32\n", info->name, tsr_dtype_name(info->dtype));
    return 1;
  }
  int64_t c = 1;
  for (int k = 0; k < info->ndim; ++k) c *= info->shape[k];
  *data = d;
  *count = c;
  return 0;
}

/* YuNet (cv::FaceDetectorYN): per stride s in 8, 16, 32 a (640 / s)^2 grid,
 * outputs cls_s, obj_s (sigmoided) and bbox_s (dx, dy, log w, log h in
 * stride units); score = sqrt(cls * obj); cx = (col + dx) * s, w = exp(lw) * s.
 * Boxes go through |map| to frame pixels, clipped to the frame. */
static int yunet_decode(task_run *r, const preset *p, const tsr_letterbox *map, int32_t *out_n, int32_t *out_total) {
  static const int32_t strides[3] = {8, 16, 32};
  int32_t n = 0, total = 0, anchor = 0;
  for (int k = 0; k < 3; ++k) {
    const int32_t s = strides[k], gw = (p->width + s - 1) / s, gh = (p->height + s - 1) / s;
    char name[16];
    const float *cls, *obj, *box;
    int64_t nc, no, nb;
    tsr_network_io_info oi;
    snprintf(name, sizeof(name), "cls_%d", (int)s);
    if (output_f32(r, name, UINT32_MAX, &cls, &nc, &oi) != 0) return 1;
    snprintf(name, sizeof(name), "obj_%d", (int)s);
    if (output_f32(r, name, UINT32_MAX, &obj, &no, &oi) != 0) return 1;
    snprintf(name, sizeof(name), "bbox_%d", (int)s);
    if (output_f32(r, name, UINT32_MAX, &box, &nb, &oi) != 0) return 1;
    if (nc != (int64_t)gw * gh || no != nc || nb != 4 * nc) {
      fprintf(stderr, "tsr run: YuNet stride %d outputs do not hold a %dx%d grid\n", (int)s, (int)gw, (int)gh);
      return 1;
    }
    for (int32_t i = 0; i < gw * gh; ++i, ++anchor) {
      const float c = cls[i] < 0 ? 0 : (cls[i] > 1 ? 1 : cls[i]), o = obj[i] < 0 ? 0 : (obj[i] > 1 ? 1 : obj[i]);
      const float score = sqrtf(c * o);
      if (!(score >= p->score_threshold)) continue;
      ++total;
      if (n == MAX_DETS) continue;
      const float *b = box + 4 * (size_t)i;
      const float cx = ((float)(i % gw) + b[0]) * (float)s, cy = ((float)(i / gw) + b[1]) * (float)s;
      const float w = expf(b[2]) * (float)s, h = expf(b[3]) * (float)s;
      tsr_detection d = {0, 0, 0, 0, score, 0, anchor};
      tsr_letterbox_to_frame(map, cx - 0.5f * w, cy - 0.5f * h, &d.x0, &d.y0);
      tsr_letterbox_to_frame(map, cx + 0.5f * w, cy + 0.5f * h, &d.x1, &d.y1);
      d.x0 = fmaxf(d.x0, 0.0f), d.y0 = fmaxf(d.y0, 0.0f);
      d.x1 = fminf(d.x1, (float)r->w), d.y1 = fminf(d.y1, (float)r->h);
      r->dets[n++] = d;
    }
  }
  *out_n = n;
  *out_total = total;
  return 0;
}

static void print_help(void) {
  printf("usage: tsr run -m NET --image FRAME.jpg [--task detect|segment|classify|regress]\n"
         "               [--preset NAME|none] [--labels FILE] [--save OUT.png] [--json] [--threads N]\n\n"
         "Runs a perception network on a photo (PNG, JPEG, BMP, PPM) with the network's own\n"
         "preprocessing and prints its results: boxes (class, score, corners in the photo's\n"
         "pixels), mask coverage per class, top-5 classes, or the regression value. --save\n"
         "writes the photo with the boxes drawn or the mask blended. --json prints one JSON\n"
         "object instead. The recipe is a preset chosen by the model's file name or --preset:\n  ");
  list_presets(stdout);
  printf(".\n--preset none: the raw-tensor mode (tsr run --input).\n");
}

int tsr_task_cmd_run(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      print_help();
      return 0;
    }
  }
  task_opts o;
  int rc = parse(argc, argv, &o);
  if (rc) return rc;
  int task = -1;
  if (o.task) {
    for (int t = 0; t < TASK_COUNT; ++t) task = strcmp(o.task, task_names[t]) == 0 ? t : task;
    if (task < 0) return usage("--task takes detect, segment, classify or regress", o.task);
  }
  const preset *p = NULL;
  if (o.preset && strcmp(o.preset, "none") != 0) {
    p = find_preset(o.preset);
    if (p == NULL) {
      fprintf(stderr, "tsr run: unknown preset '%s'; presets: ", o.preset);
      list_presets(stderr);
      fprintf(stderr, "\n");
      return 2;
    }
  } else if (o.preset == NULL) {
    p = match_preset(o.model);
  }
  if (p == NULL) {
    fprintf(stderr, "tsr run: %s: no preset %s; name one with --preset (", o.model,
            o.preset ? "(--preset none)" : "matches the file name");
    list_presets(stderr);
    fprintf(stderr, "), or feed tensors with --input\n");
    return 2;
  }
  if (task >= 0 && task != p->task) {
    fprintf(stderr, "tsr run: --task %s does not fit %s: preset %s is a %s network (%s)\n", o.task, o.model, p->name,
            task_names[p->task], p->what);
    return 2;
  }
  task = p->task;

  task_run r;
  memset(&r, 0, sizeof(r));
  char err[512];
  if (o.labels && !labels_load(o.labels, &r.lf, err, sizeof(err))) {
    fprintf(stderr, "tsr run: %s\n", err);
    return 1;
  }
  if ((rc = load_image(o.image, &r)) != 0 || (rc = open_session(&o, &r)) != 0) {
    task_close(&r);
    return rc;
  }

  /* The input: the preset's extent must be the network's. */
  tsr_network_io_info ii;
  void *in_data = NULL;
  if (tsr_network_input_count(r.net) != 1 || tsr_network_session_input_info(r.s, 0, &ii) != TSR_OK ||
      tsr_network_session_input_data(r.s, 0, &in_data) != TSR_OK) {
    fprintf(stderr, "tsr run: %s: preset %s wants a network with one image input\n", o.model, p->name);
    task_close(&r);
    return 1;
  }
  const int64_t want[4] = {1, p->nhwc ? p->height : p->channels, p->nhwc ? p->width : p->height,
                           p->nhwc ? p->channels : p->width};
  bool fits = ii.ndim == 4 && ii.dtype == TSR_DTYPE_F32;
  for (int k = 0; fits && k < 4; ++k) fits = ii.shape[k] == want[k];
  if (!fits) {
    fprintf(stderr, "tsr run: %s: input %s is not the f32 [%lld,%lld,%lld,%lld] preset %s expects\n", o.model,
            ii.name, (long long)want[0], (long long)want[1], (long long)want[2], (long long)want[3], p->name);
    task_close(&r);
    return 1;
  }
  tsr_preprocess pre;
  tsr_preprocess_default(&pre, p->width, p->height);
  tsr_cpu_features cpu;
  tsr_cpu_detect(&cpu);
  pre.isa = cpu.isa;
  pre.channels = p->channels;
  pre.bgr = p->bgr;
  pre.resize = p->resize;
  pre.fit = p->fit;
  pre.pad_value = 114;
  pre.round_u8 = p->round_u8;
  pre.scale = p->scale;
  for (int k = 0; k < 3; ++k) pre.mean[k] = p->mean[k], pre.std[k] = p->std[k];
  pre.layout = p->nhwc ? TSR_LAYOUT_NHWC : TSR_LAYOUT_NCHW;
  if (p->center_crop) {
    const int32_t side = (int32_t)((double)(r.w < r.h ? r.w : r.h) * 0.875);
    pre.crop = (tsr_rect){(r.w - side) / 2, (r.h - side) / 2, side > 0 ? side : 1, side > 0 ? side : 1};
  }
  const tsr_frame frame = {TSR_PIXEL_RGB8, r.w, r.h, r.w * 3, r.img, NULL, 0, TSR_YUV_BT601_LIMITED};
  tsr_letterbox map;
  tsr_error e;
  tsr_error_clear(&e);
  if (tsr_frame_preprocess(&frame, &pre, in_data, ii.nbytes, &map, &e) != TSR_OK) {
    fprintf(stderr, "tsr run: %s: preprocessing: %s\n", o.image, e.message);
    task_close(&r);
    return 1;
  }
  const double t0 = now_ms();
  if (tsr_network_session_run(r.s) != TSR_OK) {
    fprintf(stderr, "tsr run: %s\n", tsr_network_session_error(r.s)->message);
    task_close(&r);
    return 1;
  }
  const double run_ms = now_ms() - t0;

  canvas cv = {r.img, r.w, r.h};
  char tmp[32], text[96];
  if (o.json) {
    printf("{\"model\":");
    json_str(o.model);
    printf(",\"preset\":");
    json_str(p->name);
    printf(",\"task\":\"%s\",\"image\":{\"path\":", task_names[task]);
    json_str(o.image);
    printf(",\"width\":%d,\"height\":%d},\"latency_ms\":", (int)r.w, (int)r.h);
    json_num(run_ms);
  } else {
    printf("%s: %s on %s (%dx%d), preset %s (%s); %.2f ms\n", task_names[task], o.model, o.image, (int)r.w, (int)r.h,
           p->name, p->what, run_ms);
  }

  if (task == TASK_DETECT) {
    r.dets = malloc(sizeof(tsr_detection) * MAX_DETS);
    int32_t n = 0, total = 0;
    tsr_status st = r.dets ? TSR_OK : TSR_ERR_OUT_OF_MEMORY;
    tsr_network_io_info oi;
    const float *head = NULL, *loc = NULL;
    int64_t count = 0, loc_count = 0;
    if (p->decoder == DEC_YOLO) {
      rc = output_f32(&r, NULL, 0, &head, &count, &oi);
      tsr_yolo_params yp;
      memset(&yp, 0, sizeof(yp));
      yp.net_width = p->width;
      yp.net_height = p->height;
      yp.n_classes = p->n_classes;
      yp.layout = TSR_YOLO_ROWS;
      yp.has_objectness = true;
      yp.raw_boxes = true;
      yp.score_threshold = p->score_threshold;
      if (rc == 0 && st == TSR_OK) st = tsr_yolo_decode(head, count, &yp, &map, r.dets, MAX_DETS, &n, &total, &e);
    } else if (p->decoder == DEC_YUNET) {
      rc = r.dets ? yunet_decode(&r, p, &map, &n, &total) : 1;
    } else {
      static const int32_t strides[4] = {8, 16, 32, 64}, n_sizes[4] = {3, 2, 2, 3};
      static const float sizes[10] = {10, 16, 24, 32, 48, 64, 96, 128, 192, 256};
      rc = output_f32(&r, "scores", 0, &head, &count, &oi);
      if (rc == 0) rc = output_f32(&r, "boxes", 1, &loc, &loc_count, &oi);
      int32_t n_priors = 0;
      r.priors = malloc(sizeof(float) * 4 * 8192);
      if (rc == 0 && st == TSR_OK)
        st = r.priors ? tsr_priors_grid(p->width, p->height, strides, 4, n_sizes, sizes, r.priors, 8192, &n_priors, &e)
                      : TSR_ERR_OUT_OF_MEMORY;
      if (rc == 0 && st == TSR_OK && ((int64_t)n_priors * 4 != loc_count || (int64_t)n_priors * p->n_classes != count)) {
        fprintf(stderr, "tsr run: %s: %lld box values and %lld scores do not fit %d priors\n", o.model,
                (long long)loc_count, (long long)count, (int)n_priors);
        rc = 1;
      }
      tsr_prior_params pp;
      memset(&pp, 0, sizeof(pp));
      pp.net_width = p->width;
      pp.net_height = p->height;
      pp.priors = r.priors;
      pp.n_priors = n_priors;
      pp.n_classes = p->n_classes;
      pp.first_class = 1;
      pp.center_variance = 0.1f;
      pp.size_variance = 0.2f;
      pp.boxes_are_corners = true; /* the export decodes the boxes in the graph */
      pp.softmax = false;          /* and ends with the softmax */
      pp.score_threshold = p->score_threshold;
      if (rc == 0 && st == TSR_OK) st = tsr_prior_decode(loc, head, &pp, &map, r.dets, MAX_DETS, &n, &total, &e);
    }
    tsr_nms_params np = {p->iou_threshold, p->score_threshold, 100, false};
    if (rc == 0 && st == TSR_OK) st = tsr_nms(r.dets, n, &np, &n, &e);
    if (rc == 0 && st != TSR_OK) {
      fprintf(stderr, "\ntsr run: decoding: %s\n", e.message[0] ? e.message : tsr_status_string(st));
      rc = 1;
    }
    if (rc == 0) {
      if (o.json) printf(",\"candidates\":%d,\"detections\":[", (int)total);
      else printf("%d detections (%d candidates above %.2f before NMS)\n", (int)n, (int)total, p->score_threshold);
      for (int32_t i = 0; i < n; ++i) {
        const tsr_detection *d = &r.dets[i];
        const char *lab = label_of(&r.lf, p, d->class_id, tmp, sizeof(tmp));
        if (o.json) {
          printf("%s{\"class_id\":%d,\"label\":", i ? "," : "", (int)d->class_id);
          json_str(lab);
          printf(",\"score\":");
          json_num(d->score);
          printf(",\"box\":[");
          json_num(d->x0);
          putchar(',');
          json_num(d->y0);
          putchar(',');
          json_num(d->x1);
          putchar(',');
          json_num(d->y1);
          printf("]}");
        } else {
          printf("  %-14s %.3f  x0 %.1f y0 %.1f x1 %.1f y1 %.1f\n", lab, d->score, d->x0, d->y0, d->x1, d->y1);
        }
      }
      if (o.json) printf("]");
      const int t = (r.w > r.h ? r.w : r.h) / 250 + 2;
      for (int32_t i = n - 1; i >= 0; --i) {
        const tsr_detection *d = &r.dets[i];
        const uint8_t *col = palette[(size_t)d->class_id % 8];
        static const uint8_t black[3] = {0, 0, 0};
        draw_box(&cv, d->x0, d->y0, d->x1, d->y1, t, col);
        snprintf(text, sizeof(text), "%.40s %.2f", label_of(&r.lf, p, d->class_id, tmp, sizeof(tmp)), d->score);
        draw_text(&cv, (int)d->x0, (int)d->y0 - 18, text, black, col);
      }
    }
  } else if (task == TASK_SEGMENT) {
    const uint32_t n_out = tsr_network_output_count(r.net);
    if (o.json) printf(",\"outputs\":[");
    int lab_base = 0;
    for (uint32_t k = 0; rc == 0 && k < n_out && k < MAX_SEG_OUT; ++k) {
      tsr_network_io_info oi;
      const float *logits;
      int64_t count;
      if ((rc = output_f32(&r, NULL, k, &logits, &count, &oi)) != 0) break;
      if (oi.ndim != 4 || oi.shape[0] != 1) {
        fprintf(stderr, "tsr run: output %s is not a [1, ...] mask\n", oi.name);
        rc = 1;
        break;
      }
      const int32_t c = (int32_t)(p->nhwc ? oi.shape[3] : oi.shape[1]), mh = (int32_t)(p->nhwc ? oi.shape[1] : oi.shape[2]),
                    mw = (int32_t)(p->nhwc ? oi.shape[2] : oi.shape[3]);
      float cov[255];
      r.masks[k] = malloc((size_t)mh * (size_t)mw);
      if (r.masks[k] == NULL || c > 255 ||
          tsr_seg_argmax(logits, c, mh, mw, p->nhwc ? TSR_LAYOUT_NHWC : TSR_LAYOUT_NCHW, r.masks[k], mw,
                         (size_t)mh * (size_t)mw, cov, &e) != TSR_OK) {
        fprintf(stderr, "tsr run: output %s: %s\n", oi.name, e.message);
        rc = 1;
        break;
      }
      if (o.json) {
        printf("%s{\"name\":", k ? "," : "");
        json_str(oi.name);
        printf(",\"width\":%d,\"height\":%d,\"coverage\":[", (int)mw, (int)mh);
      } else {
        printf("  %s [%dx%d]:", oi.name, (int)mw, (int)mh);
      }
      for (int32_t j = 0; j < c; ++j) {
        const int32_t id = lab_base + j;
        const char *lab = label_of(&r.lf, p, id, tmp, sizeof(tmp));
        if (o.json) {
          printf("%s{\"class_id\":%d,\"label\":", j ? "," : "", (int)j);
          json_str(lab);
          printf(",\"fraction\":");
          json_num(cov[j]);
          printf("}");
        } else {
          printf(" %s %.2f%%", lab, 100.0 * cov[j]);
        }
      }
      printf(o.json ? "]}" : "\n");
      /* Blend: each non-background class of this output in its colour, over
       * the photo, through the inverse of the preprocessing's map. */
      for (int32_t y = 0; y < r.h; ++y) {
        for (int32_t x = 0; x < r.w; ++x) {
          const float nx = ((float)x + 0.5f) * map.scale_x + map.offset_x, ny = ((float)y + 0.5f) * map.scale_y + map.offset_y;
          int32_t mx = (int32_t)(nx * (float)mw / (float)p->width), my = (int32_t)(ny * (float)mh / (float)p->height);
          mx = mx < 0 ? 0 : (mx >= mw ? mw - 1 : mx);
          my = my < 0 ? 0 : (my >= mh ? mh - 1 : my);
          const int32_t cls = r.masks[k][(size_t)my * (size_t)mw + (size_t)mx];
          if (cls == 0) continue;
          const uint8_t *col = palette[(size_t)(lab_base + cls) % 8];
          uint8_t *px = r.img + ((size_t)y * (size_t)r.w + (size_t)x) * 3;
          for (int q = 0; q < 3; ++q) px[q] = (uint8_t)((px[q] * 2 + col[q] * 3 + 2) / 5);
        }
      }
      lab_base += c;
    }
    if (o.json) printf("]");
  } else if (task == TASK_CLASSIFY) {
    tsr_network_io_info oi;
    const float *logits;
    int64_t count;
    tsr_class_score top[5];
    int32_t nt = 0;
    rc = output_f32(&r, NULL, 0, &logits, &count, &oi);
    if (rc == 0 && (count > INT32_MAX || tsr_topk(logits, (int32_t)count, 5, true, top, &nt, &e) != TSR_OK)) {
      fprintf(stderr, "tsr run: top-k: %s\n", e.message);
      rc = 1;
    }
    if (rc == 0) {
      if (o.json) printf(",\"top\":[");
      for (int32_t i = 0; i < nt; ++i) {
        const char *lab = label_of(&r.lf, p, top[i].class_id, tmp, sizeof(tmp));
        if (o.json) {
          printf("%s{\"class_id\":%d,\"label\":", i ? "," : "", (int)top[i].class_id);
          json_str(lab);
          printf(",\"probability\":");
          json_num(top[i].score);
          printf("}");
        } else {
          printf("  %d. %-24s %.4f\n", (int)i + 1, lab, top[i].score);
        }
        static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
        snprintf(text, sizeof(text), "%d. %.40s %.3f", (int)i + 1, lab, top[i].score);
        draw_text(&cv, 4, 4 + 20 * i, text, white, black);
      }
      if (o.json) printf("]");
      if (r.lf.n == 0 && !o.json) printf("  (class ids: no label file given, --labels FILE)\n");
    }
  } else {
    tsr_network_io_info oi;
    const float *out;
    int64_t count;
    float value = 0;
    tsr_regression_params rp = {0, TSR_DTYPE_F32, 1.0f, 0, 1.0f, 0.0f};
    rc = output_f32(&r, NULL, 0, &out, &count, &oi);
    if (rc == 0 && tsr_regression_value(out, count, &rp, &value, &e) != TSR_OK) {
      fprintf(stderr, "tsr run: %s\n", e.message);
      rc = 1;
    }
    if (rc == 0) {
      if (o.json) {
        printf(",\"output\":");
        json_str(oi.name);
        printf(",\"value\":");
        json_num(value);
      } else {
        printf("  %s = %.6g\n", oi.name, value);
      }
      static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0}, red[3] = {255, 56, 56};
      snprintf(text, sizeof(text), "value %.4f", value);
      draw_text(&cv, 2, 2, text, white, black);
      /* A steering needle from the bottom centre, |value| radians off vertical. */
      const float cx = (float)r.w * 0.5f, cy = (float)r.h - 1.0f, len = (float)r.h * 0.6f;
      for (int i = 0; i < (int)len; ++i) {
        const float px = cx + sinf(value) * (float)i, py = cy - cosf(value) * (float)i;
        fill_rect(&cv, (int)px - 1, (int)py - 1, (int)px + 1, (int)py + 1, red);
      }
    }
  }
  if (o.json) printf("}\n");
  if (rc == 0 && o.save) {
    rc = save_png(o.save, &cv);
    if (rc == 0 && !o.json) printf("saved %s\n", o.save);
  }
  task_close(&r);
  return rc;
}
