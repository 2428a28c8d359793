/* tsr run / bench / info / convert for networks: ONNX models and Tessera's
 * own .tsr files, on images or raw tensors. Results go to stdout; errors to
 * stderr with the failing call's detail. */
#define _POSIX_C_SOURCE 200809L
#include "tools/tsr/cmd_net.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/graph_internal.h"
#include "engine/net/net.h"
#include "engine/onnx/onnx.h"
#include "tools/tsr/commands.h"
#include "tools/tsr/net_input.h"
#include "tools/tsr/out_file.h"

#define MAX_IN TSR_NET_MAX_IO

static bool ends_with_ci(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  if (a < b) return false;
  for (size_t i = 0; i < b; ++i) {
    char c = s[a - b + i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

bool tsr_net_match(const char *path) { return ends_with_ci(path, ".onnx") || ends_with_ci(path, ".tsr"); }

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double peak_rss_mib(void) {
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0.0;
}

/* ---- options ---- */

typedef struct input_spec {
  const char *name; /* NULL: by position */
  char name_buf[256];
  const char *path;
  char path_buf[1024];
  int32_t ndim;     /* -1: no shape given */
  int64_t shape[TSR_MAX_DIMS];
} input_spec;

typedef struct net_opts {
  const char *model, *target, *out_dir, *output;
  uint32_t threads;
  const char *thread_list;
  int repeat, warmup, iters;
  double seconds;
  input_spec in[MAX_IN];
  int n_in;
  tsr_onnx_shape shapes[MAX_IN];
  char shape_names[MAX_IN][256];
  int n_shapes;
  tsr_pre pre;
  uint32_t onnx_flags;
  bool verbose;
  bool dump_times;
  bool fallback_cpu; /* --fallback cpu */
} net_opts;

static bool parse_shape(const char *s, int32_t *nd, int64_t *shape) {
  int k = 0;
  const char *p = s;
  while (*p) {
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p || v <= 0 || k == TSR_MAX_DIMS) return false;
    shape[k++] = v;
    if (*end == 'x' || *end == 'X') p = end + 1;
    else if (*end == '\0') p = end;
    else return false;
  }
  *nd = k;
  return k > 0;
}

/* [NAME=]PATH[:SHAPE] */
static bool parse_input(const char *arg, input_spec *in) {
  memset(in, 0, sizeof(*in));
  in->ndim = -1;
  const char *eq = strchr(arg, '=');
  const char *rest = arg;
  if (eq != NULL) {
    snprintf(in->name_buf, sizeof(in->name_buf), "%.*s", (int)(eq - arg), arg);
    in->name = in->name_buf;
    rest = eq + 1;
  }
  snprintf(in->path_buf, sizeof(in->path_buf), "%s", rest);
  char *colon = strrchr(in->path_buf, ':');
  if (colon != NULL && colon[1] != '\0' && parse_shape(colon + 1, &in->ndim, in->shape)) *colon = '\0';
  else in->ndim = -1;
  in->path = in->path_buf;
  return in->path[0] != '\0';
}

static int usage_error(const char *cmd, const char *msg, const char *arg) {
  fprintf(stderr, "tsr %s: %s%s%s\n", cmd, msg, arg ? ": " : "", arg ? arg : "");
  return 2;
}

static int parse_opts(const char *cmd, int argc, char **argv, net_opts *o) {
  memset(o, 0, sizeof(*o));
  tsr_pre_default(&o->pre);
  o->repeat = 1;
  o->warmup = 1;
  o->seconds = 2.0;
  o->thread_list = "1,2";
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if ((strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) && v) {
      o->model = v;
      ++i;
    } else if ((strcmp(a, "-i") == 0 || strcmp(a, "--input") == 0) && v) {
      if (o->n_in == MAX_IN) return usage_error(cmd, "too many inputs", v);
      if (!parse_input(v, &o->in[o->n_in++])) return usage_error(cmd, "bad --input", v);
      ++i;
    } else if (strcmp(a, "--shape") == 0 && v) {
      if (o->n_shapes == MAX_IN) return usage_error(cmd, "too many shapes", v);
      const char *eq = strchr(v, '=');
      tsr_onnx_shape *s = &o->shapes[o->n_shapes];
      memset(s, 0, sizeof(*s));
      if (eq) snprintf(o->shape_names[o->n_shapes], 256, "%.*s", (int)(eq - v), v);
      s->name = eq ? o->shape_names[o->n_shapes] : NULL;
      if (!parse_shape(eq ? eq + 1 : v, &s->ndim, s->shape)) return usage_error(cmd, "bad --shape (NAME=1x3x224x224)", v);
      o->n_shapes++;
      ++i;
    } else if ((strcmp(a, "--preprocess") == 0 || strcmp(a, "-p") == 0) && v) {
      char err[256];
      if (!tsr_pre_parse(v, &o->pre, err, sizeof(err))) return usage_error(cmd, err, NULL);
      ++i;
    } else if (strcmp(a, "--out") == 0 && v) {
      o->out_dir = v;
      ++i;
    } else if (strcmp(a, "-o") == 0 && v) {
      o->output = v;
      ++i;
    } else if (strcmp(a, "--target") == 0 && v) {
      tsr_error nerr;
      if (tsr_target_check_name(v, &nerr) != TSR_OK) return usage_error(cmd, nerr.message, NULL);
      o->target = v;
      ++i;
    } else if (strcmp(a, "--fallback") == 0 && v) {
      if (strcmp(v, "cpu") != 0 && strcmp(v, "none") != 0) return usage_error(cmd, "--fallback takes cpu or none", v);
      o->fallback_cpu = strcmp(v, "cpu") == 0;
      ++i;
    } else if ((strcmp(a, "--threads") == 0 || strcmp(a, "-t") == 0) && v) {
      o->thread_list = v;
      o->threads = (uint32_t)atoi(v);
      ++i;
    } else if (strcmp(a, "--repeat") == 0 && v) {
      o->repeat = atoi(v);
      if (o->repeat < 1) return usage_error(cmd, "--repeat must be >= 1", v);
      ++i;
    } else if (strcmp(a, "--iters") == 0 && v) {
      o->iters = atoi(v);
      ++i;
    } else if (strcmp(a, "--seconds") == 0 && v) {
      char *end;
      o->seconds = strtod(v, &end);
      if (end == v || *end != '\0' || !isfinite(o->seconds) || o->seconds < 0)
        return usage_error(cmd, "--seconds needs a finite number >= 0", v);
      ++i;
    } else if (strcmp(a, "--warmup") == 0 && v) {
      o->warmup = atoi(v);
      ++i;
    } else if (strcmp(a, "--no-fusion") == 0) {
      o->onnx_flags |= TSR_ONNX_NO_FUSION;
    } else if (strcmp(a, "--qdq-float") == 0) {
      o->onnx_flags |= TSR_ONNX_QDQ_FLOAT;
    } else if (strcmp(a, "--times") == 0) {
      o->dump_times = true;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      o->verbose = true;
    } else if (a[0] != '-' && o->model == NULL) {
      o->model = a;
    } else {
      return usage_error(cmd, "unknown option", a);
    }
  }
  if (o->model == NULL) return usage_error(cmd, "no model given (-m MODEL)", NULL);
  return 0;
}

/* The session options of --target, --fallback and |threads|. */
static tsr_net_session_options session_opts(const net_opts *o, uint32_t threads) {
  tsr_net_session_options so;
  memset(&so, 0, sizeof(so));
  so.target = o->target;
  so.n_threads = threads;
  so.fallback_cpu = o->fallback_cpu;
  return so;
}

/* Opens the network, with input shapes from --shape and shaped --input. */
static int open_net(const char *cmd, net_opts *o, const tsr_allocator *a, tsr_net **out, double *load_ms) {
  tsr_onnx_shape shapes[2 * MAX_IN];
  int ns = 0;
  for (int i = 0; i < o->n_shapes; ++i) shapes[ns++] = o->shapes[i];
  for (int i = 0; i < o->n_in; ++i) {
    if (o->in[i].ndim < 0) continue;
    bool dup = false;
    for (int k = 0; k < ns; ++k) dup = dup || (shapes[k].name && o->in[i].name && strcmp(shapes[k].name, o->in[i].name) == 0);
    if (dup) continue;
    tsr_onnx_shape s;
    memset(&s, 0, sizeof(s));
    s.name = o->in[i].name;
    s.ndim = o->in[i].ndim;
    memcpy(s.shape, o->in[i].shape, sizeof(s.shape));
    shapes[ns++] = s;
  }
  tsr_onnx_options oo;
  memset(&oo, 0, sizeof(oo));
  oo.shapes = shapes;
  oo.n_shapes = (uint32_t)ns;
  oo.flags = o->onnx_flags;
  tsr_error err;
  tsr_error_clear(&err);
  double t0 = now_ms();
  tsr_status s = tsr_net_open(o->model, &oo, a, out, &err);
  if (load_ms) *load_ms = now_ms() - t0;
  if (s != TSR_OK) {
    fprintf(stderr, "tsr %s: %s: %s (%s)\n", cmd, o->model, err.message, tsr_status_string(s));
    return 1;
  }
  return 0;
}

static void shape_str(const tsr_tensor *t, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "%s[", tsr_dtype_name(t->dtype));
  for (int i = 0; i < t->ndim && k < n; ++i) k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)t->shape[i]);
  if (k < n) snprintf(buf + k, n - k, "]");
}

/* Fills every input from the --input specs (or, with |synthetic|, with a
 * fixed pseudo-random pattern when none is given). */
static int set_inputs(const char *cmd, const net_opts *o, const tsr_net *net, tsr_program *prog, bool synthetic) {
  bool given[MAX_IN] = {false};
  for (int i = 0; i < o->n_in; ++i) {
    const input_spec *sp = &o->in[i];
    int32_t idx = -1;
    if (sp->name != NULL) {
      idx = tsr_net_find_io(net, true, sp->name);
      if (idx < 0) {
        fprintf(stderr, "tsr %s: the network has no input '%s'; its inputs:", cmd, sp->name);
        for (uint32_t k = 0; k < net->n_inputs; ++k) fprintf(stderr, " %s", net->inputs[k].name);
        fprintf(stderr, "\n");
        return 2;
      }
    } else {
      idx = i;
      if ((uint32_t)i >= net->n_inputs) {
        fprintf(stderr, "tsr %s: %d inputs given, the network has %u\n", cmd, o->n_in, (unsigned)net->n_inputs);
        return 2;
      }
      if (net->n_inputs > 1 && o->n_in != (int)net->n_inputs) {
        fprintf(stderr, "tsr %s: the network has %u inputs; name them (--input NAME=PATH)\n", cmd, (unsigned)net->n_inputs);
        return 2;
      }
    }
    given[idx] = true;
    int32_t tid = net->inputs[idx].tensor;
    tsr_tensor t;
    if (tsr_graph_tensor_info(net->graph, tid, NULL, &t) != TSR_OK) return 1;
    char sh[128];
    shape_str(&t, sh, sizeof(sh));
    int64_t numel = tsr_tensor_numel(&t);
    if (sp->ndim >= 0) {
      bool same = sp->ndim == t.ndim;
      for (int k = 0; same && k < t.ndim; ++k) same = sp->shape[k] == t.shape[k];
      if (!same) {
        fprintf(stderr, "tsr %s: input %s is %s in this network, not the shape given%s\n", cmd, net->inputs[idx].name, sh,
                strcmp(net->format, "tsr") == 0 ? " (a .tsr keeps the shapes it was converted with)" : "");
        return 2;
      }
    }
    void *data;
    if (tsr_program_tensor_data(prog, tid, &data) != TSR_OK) return 1;
    char err[512];
    if (tsr_pre_is_image(sp->path)) {
      float *tmp = malloc(sizeof(float) * (size_t)numel);
      if (tmp == NULL) return 1;
      bool ok = tsr_pre_image(sp->path, &o->pre, t.ndim, t.shape, tmp, err, sizeof(err));
      if (ok && t.dtype == TSR_DTYPE_F32) memcpy(data, tmp, sizeof(float) * (size_t)numel);
      else if (ok) {
        fprintf(stderr, "tsr %s: input %s is %s; images give f32\n", cmd, net->inputs[idx].name, sh);
        free(tmp);
        return 2;
      }
      free(tmp);
      if (!ok) {
        fprintf(stderr, "tsr %s: %s\n", cmd, err);
        return 2;
      }
    } else {
      tsr_dtype ft = tsr_raw_dtype(sp->path);
      if (ft == TSR_DTYPE_NONE) {
        fprintf(stderr, "tsr %s: %s: unknown input kind (images: .png .jpg .bmp .ppm; tensors: .f32 .u8 .i8 .i32 .i64)\n",
                cmd, sp->path);
        return 2;
      }
      if (!tsr_raw_read(sp->path, ft, numel, t.dtype, data, err, sizeof(err))) {
        fprintf(stderr, "tsr %s: input %s (%s): %s\n", cmd, net->inputs[idx].name, sh, err);
        return 2;
      }
    }
  }
  for (uint32_t i = 0; i < net->n_inputs; ++i) {
    if (given[i]) continue;
    tsr_tensor t;
    if (tsr_graph_tensor_info(net->graph, net->inputs[i].tensor, NULL, &t) != TSR_OK) return 1;
    char sh[128];
    shape_str(&t, sh, sizeof(sh));
    if (!synthetic) {
      fprintf(stderr, "tsr %s: no value for input %s %s (--input %s=PATH)\n", cmd, net->inputs[i].name, sh,
              net->inputs[i].name);
      return 2;
    }
    void *data;
    if (tsr_program_tensor_data(prog, net->inputs[i].tensor, &data) != TSR_OK) return 1;
    uint32_t r = 12345u + i;
    size_t es = tsr_dtype_block_bytes(t.dtype);
    for (int64_t k = 0; k < tsr_tensor_numel(&t); ++k) {
      r = r * 1664525u + 1013904223u;
      float f = (float)(r >> 8) / 16777216.0f;
      uint8_t *p = (uint8_t *)data + (size_t)k * es;
      if (t.dtype == TSR_DTYPE_F32) memcpy(p, &f, 4);
      else memset(p, (int)(r >> 24) & 0x7f, es);
    }
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y ? 1 : 0);
}

static double percentile(double *v, int n, double p) {
  if (n <= 0) return 0;
  int k = (int)ceil(p / 100.0 * n) - 1;
  if (k < 0) k = 0;
  if (k >= n) k = n - 1;
  return v[k];
}

/* Element |i| of a host tensor as double. */
static double elem(const tsr_tensor *t, const void *data, int64_t i) {
  const uint8_t *p = (const uint8_t *)data + (size_t)i * tsr_dtype_block_bytes(t->dtype);
  switch (t->dtype) {
    case TSR_DTYPE_F32: { float f; memcpy(&f, p, 4); return f; }
    case TSR_DTYPE_U8: return *p;
    case TSR_DTYPE_I8: return (int8_t)*p;
    case TSR_DTYPE_I32: { int32_t v; memcpy(&v, p, 4); return v; }
    case TSR_DTYPE_I64: { int64_t v; memcpy(&v, p, 8); return (double)v; }
    default: return 0;
  }
}

/* One line per output: shape and a summary fitting what it looks like. */
static void summarize(const char *name, const tsr_tensor *t, const void *data) {
  char sh[128];
  shape_str(t, sh, sizeof(sh));
  int64_t n = tsr_tensor_numel(t);
  printf("output %s %s", name, sh);
  if (n <= 8) {
    printf(" value");
    for (int64_t i = 0; i < n; ++i) printf(" %.6g", elem(t, data, i));
    printf("\n");
    return;
  }
  int64_t last = t->ndim ? t->shape[t->ndim - 1] : 1, rows = n / (last ? last : 1);
  bool classifier = t->ndim >= 1 && last >= 10 && rows <= 8;
  for (int i = 1; classifier && i < t->ndim - 1; ++i) classifier = false;
  if (t->ndim == 4 && t->shape[2] == 1 && t->shape[3] == 1 && t->shape[1] >= 10 && t->shape[0] <= 8) {
    classifier = true;
    last = t->shape[1];
    rows = t->shape[0];
  }
  if (classifier) {
    for (int64_t r = 0; r < rows; ++r) {
      int64_t top[5];
      int nt = 0;
      for (int k = 0; k < 5 && k < last; ++k) {
        int64_t best = -1;
        for (int64_t j = 0; j < last; ++j) {
          bool used = false;
          for (int q = 0; q < nt; ++q) used = used || top[q] == j;
          if (!used && (best < 0 || elem(t, data, r * last + j) > elem(t, data, r * last + best))) best = j;
        }
        top[nt++] = best;
      }
      printf("%s argmax %lld top-5", rows > 1 ? (r ? "\n  " : " row 0") : "", (long long)top[0]);
      if (rows > 1 && r) printf(" row %lld", (long long)r);
      for (int q = 0; q < nt; ++q) printf(" %lld:%.4g", (long long)top[q], elem(t, data, r * last + top[q]));
    }
    printf("\n");
    return;
  }
  double mn = INFINITY, mx = -INFINITY, sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    double v = elem(t, data, i);
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
    sum += v;
  }
  printf(" min %.5g max %.5g mean %.5g", mn, mx, sum / (double)n);
  if (t->ndim == 4 && t->shape[1] >= 2 && t->shape[1] <= 32) {
    /* Segmentation-like: share of pixels whose channel argmax is each class. */
    int64_t c = t->shape[1], hw = t->shape[2] * t->shape[3], cnt[32] = {0};
    for (int64_t b = 0; b < t->shape[0]; ++b) {
      for (int64_t p = 0; p < hw; ++p) {
        int64_t best = 0;
        for (int64_t k = 1; k < c; ++k) {
          if (elem(t, data, (b * c + k) * hw + p) > elem(t, data, (b * c + best) * hw + p)) best = k;
        }
        cnt[best]++;
      }
    }
    printf(" argmax-share");
    for (int64_t k = 0; k < c; ++k) printf(" %lld:%.2f%%", (long long)k, 100.0 * (double)cnt[k] / (double)(hw * t->shape[0]));
  }
  printf("\n");
}

/* "/" and ":" become "_", as the reference cases name their files. */
static void sanitize(const char *in, char *out, size_t n) {
  size_t k = 0;
  for (; in[k] && k + 1 < n; ++k) out[k] = (in[k] == '/' || in[k] == ':' || in[k] == '\\') ? '_' : in[k];
  out[k] = '\0';
}

static int write_output(const char *dir, const char *name, const tsr_tensor *t, const void *data) {
  char fn[512], path[1024];
  sanitize(name, fn, sizeof(fn));
  snprintf(path, sizeof(path), "%s/%s.f32", dir, fn);
  tsr_out_file of;
  char oerr[1280];
  if (!tsr_out_open(&of, path, oerr, sizeof(oerr))) {
    fprintf(stderr, "tsr run: %s\n", oerr);
    return 1;
  }
  int64_t n = tsr_tensor_numel(t);
  bool ok = true;
  for (int64_t i = 0; i < n && ok; ++i) {
    float v = (float)elem(t, data, i);
    ok = fwrite(&v, 4, 1, of.f) == 1;
  }
  if (!ok) snprintf(oerr, sizeof(oerr), "write failed: %s", path);
  if (!tsr_out_close(&of, ok, oerr, sizeof(oerr))) {
    fprintf(stderr, "tsr run: %s\n", oerr);
    return 1;
  }
  return 0;
}

static void print_help_run(void) {
  printf("usage: tsr run -m NET.onnx|NET.tsr --input [NAME=]PATH[:SHAPE] ... [options]\n\n"
         "Runs a network on images or raw tensors and prints each output's shape and a\n"
         "summary (the value of small outputs, argmax/top-5 of classifiers, range and\n"
         "class shares of the rest), then latency per frame and peak memory.\n\n"
         "  --input [NAME=]PATH[:SHAPE]  an image (.png .jpg .bmp .ppm) or a raw little-endian\n"
         "                    tensor (.f32 .u8 .i8 .i32 .i64); SHAPE like 1x3x320x320 also\n"
         "                    sets the input's shape when importing ONNX. NAME may be left\n"
         "                    out for a single input (or given in model order).\n"
         "  --preprocess SPEC  image preprocessing, comma-separated: a preset (pilotnet,\n"
         "                    yolox, imagenet, vittrack, twinlitenet, raw) and/or gray, rgb,\n"
         "                    bgr, resize=linear|area|nearest, letterbox[=V], scale=F,\n"
         "                    mean=A/B/C, std=A/B/C, nchw, nhwc. Default: RGB, linear\n"
         "                    resize to the input's size, x/255, layout from the shape.\n"
         "  --shape NAME=DIMS  input shape for ONNX import (symbolic dimensions are 1)\n"
         "  --out DIR          write each output as DIR/<name>.f32 ('/' and ':' -> '_')\n"
         "  --target NAME      target (tsr targets), default cpu; an unavailable target or an op\n"
         "                    it cannot run is an error unless --fallback cpu\n"
         "  --fallback cpu|none  run on the CPU what the target cannot (reported; default none)\n"
         "  --threads N        CPU threads (default: all)\n"
         "  --repeat N         time N runs (after one untimed run), report the median\n"
         "  --no-fusion        ONNX: lower node by node; --qdq-float: QDQ in float\n");
}

int tsr_net_cmd_run(int argc, char **argv) {
  if (tsr_wants_help(argc, argv)) {
    print_help_run();
    return 0;
  }
  net_opts o;
  int rc = parse_opts("run", argc, argv, &o);
  if (rc) return rc;
  tsr_allocator a = tsr_allocator_system();
  tsr_net *net = NULL;
  double load_ms = 0;
  if ((rc = open_net("run", &o, &a, &net, &load_ms)) != 0) return rc;
  tsr_net_session s;
  tsr_error err;
  tsr_error_clear(&err);
  double t0 = now_ms();
  tsr_net_session_options so = session_opts(&o, o.threads);
  if (tsr_net_session_open_ex(net, &so, &a, &s, &err) != TSR_OK) {
    fprintf(stderr, "tsr run: %s\n", err.message);
    tsr_net_destroy(net);
    return 1;
  }
  double prep_ms = now_ms() - t0;
  rc = set_inputs("run", &o, net, s.program, false);
  double *lat = calloc((size_t)o.repeat, sizeof(double));
  /* One untimed run first: the first frame pays for page faults and caches. */
  if (rc == 0 && tsr_program_run(s.program, 0, NULL) != TSR_OK) {
    fprintf(stderr, "tsr run: %s\n", tsr_program_error(s.program)->message);
    rc = 1;
  }
  for (int i = 0; rc == 0 && i < o.repeat; ++i) {
    double t1 = now_ms();
    tsr_status st = tsr_program_run(s.program, 0, NULL);
    lat[i] = now_ms() - t1;
    if (st != TSR_OK) {
      fprintf(stderr, "tsr run: %s\n", tsr_program_error(s.program)->message);
      rc = 1;
    }
  }
  if (rc == 0 && o.out_dir != NULL) {
    if (mkdir(o.out_dir, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "tsr run: cannot create %s: %s\n", o.out_dir, strerror(errno));
      rc = 1;
    }
  }
  for (uint32_t i = 0; rc == 0 && i < net->n_outputs; ++i) {
    tsr_tensor t;
    void *data;
    if (tsr_graph_tensor_info(net->graph, net->outputs[i].tensor, NULL, &t) != TSR_OK ||
        tsr_program_tensor_data(s.program, net->outputs[i].tensor, &data) != TSR_OK) {
      rc = 1;
      break;
    }
    summarize(net->outputs[i].name, &t, data);
    if (o.out_dir != NULL) rc = write_output(o.out_dir, net->outputs[i].name, &t, data);
  }
  if (rc == 0) {
    qsort(lat, (size_t)o.repeat, sizeof(double), cmp_double);
    tsr_program_stats ps;
    tsr_target_caps caps;
    if (tsr_program_get_stats(s.program, &ps) != TSR_OK) memset(&ps, 0, sizeof(ps));
    if (tsr_target_get_caps(s.target, &caps) != TSR_OK) memset(&caps, 0, sizeof(caps));
    printf("run: %s (%s), %u nodes on %s with %u threads; latency %.3f ms/frame (median of %d); load %.1f ms, "
           "prepare %.1f ms; arena %.2f MiB, peak RSS %.1f MiB%s%s\n",
           o.model, net->format, (unsigned)ps.n_nodes, caps.name, (unsigned)caps.n_threads, percentile(lat, o.repeat, 50),
           o.repeat, load_ms, prep_ms, (double)ps.arena_bytes / 1048576.0, peak_rss_mib(), s.fallback_note[0] ? "; " : "",
           s.fallback_note);
  }
  free(lat);
  tsr_net_session_close(&s);
  tsr_net_destroy(net);
  return rc;
}

int tsr_net_cmd_bench(int argc, char **argv) {
  if (tsr_wants_help(argc, argv)) {
    printf("usage: tsr bench -m NET.onnx|NET.tsr [--threads 1,2] [--seconds S] [--iters N] [--warmup N]\n"
           "                 [--input ...] [--target NAME]\n\n"
           "Frames per second and latency percentiles at each thread count (inputs from\n"
           "--input, else a fixed pseudo-random pattern). Each count runs --iters frames,\n"
           "or for --seconds (default 2) and at least 10 frames. --times also prints\n"
           "every frame's latency in ms.\n");
    return 0;
  }
  net_opts o;
  int rc = parse_opts("bench", argc, argv, &o);
  if (rc) return rc;
  tsr_allocator a = tsr_allocator_system();
  tsr_net *net = NULL;
  double load_ms = 0;
  if ((rc = open_net("bench", &o, &a, &net, &load_ms)) != 0) return rc;
  printf("bench: %s (%s), load %.1f ms\n", o.model, net->format, load_ms);
  char list[128];
  snprintf(list, sizeof(list), "%s", o.thread_list);
  for (char *tok = strtok(list, ","); tok != NULL && rc == 0; tok = strtok(NULL, ",")) {
    uint32_t nt = (uint32_t)atoi(tok);
    tsr_net_session s;
    tsr_error err;
    tsr_error_clear(&err);
    tsr_net_session_options so = session_opts(&o, nt);
    if (tsr_net_session_open_ex(net, &so, &a, &s, &err) != TSR_OK) {
      fprintf(stderr, "tsr bench: %s\n", err.message);
      rc = 1;
      break;
    }
    rc = set_inputs("bench", &o, net, s.program, true);
    for (int i = 0; rc == 0 && i < o.warmup; ++i) {
      if (tsr_program_run(s.program, 0, NULL) != TSR_OK) rc = 1;
    }
    int cap = o.iters > 0 ? o.iters : 100000, n = 0;
    double *lat = malloc(sizeof(double) * (size_t)cap);
    double start = now_ms();
    while (rc == 0 && lat != NULL && n < cap) {
      double t1 = now_ms();
      if (tsr_program_run(s.program, 0, NULL) != TSR_OK) {
        fprintf(stderr, "tsr bench: %s\n", tsr_program_error(s.program)->message);
        rc = 1;
        break;
      }
      double t2 = now_ms();
      lat[n++] = t2 - t1;
      if (o.iters <= 0 && n >= 10 && t2 - start >= o.seconds * 1000.0) break;
    }
    if (rc == 0 && n > 0 && o.dump_times) {
      printf("times %u:", (unsigned)nt);
      for (int i = 0; i < n; ++i) printf(" %.4f", lat[i]);
      printf("\n");
    }
    if (rc == 0 && n > 0) {
      double total = 0;
      for (int i = 0; i < n; ++i) total += lat[i];
      qsort(lat, (size_t)n, sizeof(double), cmp_double);
      tsr_target_caps caps;
      if (tsr_target_get_caps(s.target, &caps) != TSR_OK) memset(&caps, 0, sizeof(caps));
      printf("threads %u: %.2f frames/s, latency p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, min %.3f ms (%d frames, %s%s%s)\n",
             (unsigned)caps.n_threads, 1000.0 * n / total, percentile(lat, n, 50), percentile(lat, n, 90),
             percentile(lat, n, 99), lat[0], n, caps.name, s.fallback_note[0] ? "; " : "", s.fallback_note);
    }
    free(lat);
    tsr_net_session_close(&s);
  }
  if (rc == 0) printf("peak RSS %.1f MiB\n", peak_rss_mib());
  tsr_net_destroy(net);
  return rc;
}

int tsr_net_cmd_info(int argc, char **argv) {
  if (tsr_wants_help(argc, argv)) {
    printf("usage: tsr info NET.onnx|NET.tsr [--shape NAME=DIMS] [-v]\n\n"
           "Inputs, outputs, the nodes after import (by op), constants and the memory\n"
           "plan on the CPU. -v lists every node.\n");
    return 0;
  }
  net_opts o;
  int rc = parse_opts("info", argc, argv, &o);
  if (rc) return rc;
  tsr_allocator a = tsr_allocator_system();
  tsr_net *net = NULL;
  double load_ms = 0;
  if ((rc = open_net("info", &o, &a, &net, &load_ms)) != 0) return rc;
  const tsr_graph *g = net->graph;
  printf("model: %s\nformat: %s%s%s, opset %lld, %u source nodes, loaded in %.1f ms\n", o.model, net->format,
         net->producer[0] ? ", producer " : "", net->producer, (long long)net->opset, (unsigned)net->source_nodes, load_ms);
  for (int io = 0; io < 2; ++io) {
    uint32_t n = io ? net->n_outputs : net->n_inputs;
    const tsr_net_io *l = io ? net->outputs : net->inputs;
    for (uint32_t i = 0; i < n; ++i) {
      tsr_tensor t;
      if (tsr_graph_tensor_info(g, l[i].tensor, NULL, &t) != TSR_OK) continue;
      char sh[128];
      shape_str(&t, sh, sizeof(sh));
      printf("%s %s %s\n", io ? "output" : "input", l[i].name, sh);
    }
  }
  uint32_t count[TSR_OP_COUNT] = {0};
  for (uint32_t i = 0; i < g->n_nodes; ++i) count[g->nodes[i].type]++;
  uint64_t cbytes = 0;
  uint32_t nconst = 0, nview = 0;
  for (uint32_t i = 0; i < g->n_tensors; ++i) {
    if (g->tensors[i].kind == TSR_TENSOR_CONST) {
      cbytes += g->tensors[i].nbytes;
      nconst++;
    }
    nview += g->tensors[i].kind == TSR_TENSOR_VIEW;
  }
  printf("graph: %u nodes, %u tensors (%u constants, %.2f MiB; %u views)\nops:", (unsigned)g->n_nodes,
         (unsigned)g->n_tensors, (unsigned)nconst, (double)cbytes / 1048576.0, (unsigned)nview);
  for (int t = 1; t < TSR_OP_COUNT; ++t) {
    if (count[t]) printf(" %s x%u", tsr_op_type_name((tsr_op_type)t), (unsigned)count[t]);
  }
  printf("\n");
  if (o.verbose) {
    for (uint32_t i = 0; i < g->n_nodes; ++i) {
      const tsr_gnode *n = &g->nodes[i];
      tsr_tensor t;
      tsr_graph_describe(g, n->dst, &t);
      char sh[128];
      shape_str(&t, sh, sizeof(sh));
      printf("  %4u %-16s %-40s -> %s %s\n", (unsigned)i, tsr_op_type_name(n->type), n->name, g->tensors[n->dst].name, sh);
    }
  }
  tsr_net_session s;
  tsr_error err;
  tsr_error_clear(&err);
  tsr_net_session_options so = session_opts(&o, 1);
  if (tsr_net_session_open_ex(net, &so, &a, &s, &err) == TSR_OK) {
    if (s.fallback_note[0]) printf("%s\n", s.fallback_note);
    tsr_program_stats ps;
    if (tsr_program_get_stats(s.program, &ps) == TSR_OK)
      printf("memory: arena %.2f MiB (intermediates without reuse %.2f MiB), inputs+outputs %.2f MiB\n",
             (double)ps.arena_bytes / 1048576.0, (double)ps.naive_bytes / 1048576.0, (double)ps.io_bytes / 1048576.0);
    tsr_net_session_close(&s);
  } else {
    printf("memory: cannot prepare on %s: %s\n", o.target ? o.target : "cpu", err.message);
    rc = 1;
  }
  tsr_net_destroy(net);
  return rc;
}

int tsr_cmd_convert(int argc, char **argv) {
  if (tsr_wants_help(argc, argv)) {
    printf("usage: tsr convert MODEL.onnx -o MODEL.tsr [--shape NAME=DIMS] [--no-fusion] [--qdq-float]\n\n"
           "Imports an ONNX model (shapes fixed, constants folded, ops fused) and writes\n"
           "Tessera's flat model file: a GGUF container holding the graph in its metadata\n"
           "and every constant as an aligned tensor, loaded with no protobuf and no copy.\n"
           "Running the .tsr gives bit-identical outputs to running the .onnx.\n");
    return 0;
  }
  net_opts o;
  int rc = parse_opts("convert", argc, argv, &o);
  if (rc) return rc;
  if (o.output == NULL) return usage_error("convert", "no output file (-o MODEL.tsr)", NULL);
  tsr_allocator a = tsr_allocator_system();
  tsr_net *net = NULL;
  if ((rc = open_net("convert", &o, &a, &net, NULL)) != 0) return rc;
  /* Written beside the destination and renamed into place: a failed write
   * never removes or truncates what is there. */
  tsr_out_file of;
  char oerr[512];
  if (!tsr_out_open(&of, o.output, oerr, sizeof(oerr))) {
    fprintf(stderr, "tsr convert: %s\n", oerr);
    tsr_net_destroy(net);
    return 1;
  }
  tsr_error err;
  tsr_error_clear(&err);
  tsr_status s = tsr_net_write_tsr(net, of.f, &err);
  long size = ftell(of.f);
  if (s != TSR_OK) snprintf(oerr, sizeof(oerr), "%s: %s", o.output, err.message[0] ? err.message : tsr_status_string(s));
  if (!tsr_out_close(&of, s == TSR_OK, oerr, sizeof(oerr))) {
    fprintf(stderr, "tsr convert: %s\n", oerr);
    tsr_net_destroy(net);
    return 1;
  }
  printf("convert: %s -> %s: %u nodes, %u tensors, %ld bytes\n", o.model, o.output, (unsigned)tsr_graph_node_count(net->graph),
         (unsigned)tsr_graph_tensor_count(net->graph), size);
  tsr_net_destroy(net);
  return 0;
}
