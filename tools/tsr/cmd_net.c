/* tsr run / bench / info / convert for networks: ONNX models and Tessera's
 * own .tsr files, on images or raw tensors. Results go to stdout; errors to
 * stderr with the failing call's detail. */
#define _POSIX_C_SOURCE 200809L
#include "tools/tsr/cmd_net.h"
#include "tools/tsr/cli_args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "tessera/tessera.h"
#include "tools/tsr/cmd_task.h"
#include "tools/tsr/commands.h"
#include "tools/tsr/net_input.h"

#define MAX_IN 16

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
  uint32_t thread_counts[16]; /* --threads, parsed whole */
  int n_thread_counts;
  int repeat, warmup, iters;
  double seconds;
  input_spec in[MAX_IN];
  int n_in;
  tsr_network_shape shapes[MAX_IN];
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
  o->thread_counts[0] = 1;
  o->thread_counts[1] = 2;
  o->n_thread_counts = 2;
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
      tsr_network_shape *s = &o->shapes[o->n_shapes];
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
      long long tl[16];
      int n = tsr_cli_int_list(v, 1, 4096, tl, 16);
      if (n < 0 || (n > 1 && strcmp(cmd, "bench") != 0)) return tsr_cli_bad_value(cmd, a, v);
      for (int k = 0; k < n; ++k) o->thread_counts[k] = (uint32_t)tl[k];
      o->n_thread_counts = n;
      o->thread_list = v;
      o->threads = o->thread_counts[0];
      ++i;
    } else if (strcmp(a, "--repeat") == 0 && v) {
      long long iv;
      if (!tsr_cli_int(v, 1, 1 << 30, &iv)) return tsr_cli_bad_value(cmd, a, v);
      o->repeat = (int)iv;
      ++i;
    } else if (strcmp(a, "--iters") == 0 && v) {
      long long iv;
      if (!tsr_cli_int(v, 1, 100000, &iv)) return tsr_cli_bad_value(cmd, a, v);
      o->iters = (int)iv;
      ++i;
    } else if (strcmp(a, "--seconds") == 0 && v) {
      char *end;
      o->seconds = strtod(v, &end);
      if (end == v || *end != '\0' || !isfinite(o->seconds) || o->seconds < 0)
        return usage_error(cmd, "--seconds needs a finite number >= 0", v);
      ++i;
    } else if (strcmp(a, "--warmup") == 0 && v) {
      long long iv;
      if (!tsr_cli_int(v, 0, 1 << 20, &iv)) return tsr_cli_bad_value(cmd, a, v);
      o->warmup = (int)iv;
      ++i;
    } else if (strcmp(a, "--preset") == 0 && v && strcmp(v, "none") == 0) {
      ++i; /* the raw-tensor mode, asked for by name (tools/tsr/cmd_task.c has the presets) */
    } else if (strcmp(a, "--no-fusion") == 0) {
      o->onnx_flags |= TSR_NETWORK_NO_FUSION;
    } else if (strcmp(a, "--qdq-float") == 0) {
      o->onnx_flags |= TSR_NETWORK_QDQ_FLOAT;
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

/* Opens the network, with input shapes from --shape and shaped --input. */
static int open_net(const char *cmd, net_opts *o, const tsr_allocator *a, tsr_network **out, double *load_ms) {
  tsr_network_shape shapes[2 * MAX_IN];
  int ns = 0;
  for (int i = 0; i < o->n_shapes; ++i) shapes[ns++] = o->shapes[i];
  for (int i = 0; i < o->n_in; ++i) {
    if (o->in[i].ndim < 0) continue;
    bool dup = false;
    for (int k = 0; k < ns; ++k) dup = dup || (shapes[k].name && o->in[i].name && strcmp(shapes[k].name, o->in[i].name) == 0);
    if (dup) continue;
    tsr_network_shape s;
    memset(&s, 0, sizeof(s));
    s.name = o->in[i].name;
    s.ndim = o->in[i].ndim;
    memcpy(s.shape, o->in[i].shape, sizeof(s.shape));
    shapes[ns++] = s;
  }
  tsr_network_options oo;
  memset(&oo, 0, sizeof(oo));
  oo.allocator = a;
  oo.shapes = shapes;
  oo.n_shapes = (uint32_t)ns;
  oo.flags = o->onnx_flags;
  tsr_error err;
  tsr_error_clear(&err);
  double t0 = now_ms();
  tsr_status s = tsr_network_load_file(o->model, &oo, out, &err);
  if (load_ms) *load_ms = now_ms() - t0;
  if (s != TSR_OK) {
    fprintf(stderr, "tsr %s: %s: %s (%s)\n", cmd, o->model, err.message, tsr_status_string(s));
    return 1;
  }
  return 0;
}

static const char *format_name(const tsr_network *net) {
  tsr_network_info info;
  if (tsr_network_get_info(net, &info) != TSR_OK) return "?";
  return info.format == TSR_NETWORK_FORMAT_TSR ? "tsr" : "onnx";
}

/* A session on its targets: |target_name| (NULL: cpu) and, only when
 * --fallback cpu asks for it, a CPU target for what that target cannot run
 * (the failure policy: an unknown name is a usage error, caught while
 * parsing; an unavailable target, or one that cannot run every node, is an
 * error unless the fallback was asked for, and then it is reported in
 * |fallback_note|). A CPU target is its own fallback. */
typedef struct net_run {
  tsr_target *target, *fallback;
  void *mem;
  tsr_network_session *s;
  char fallback_note[256];
} net_run;

static void session_close(net_run *r) {
  tsr_network_session_deinit(r->s);
  free(r->mem);
  if (r->fallback) tsr_target_destroy(r->fallback);
  if (r->target) tsr_target_destroy(r->target);
  memset(r, 0, sizeof(*r));
}

/* Places and prepares the session on |target| with |fallback| (may be NULL). */
static tsr_status session_prepare(const tsr_network *net, net_run *r, tsr_target *target, tsr_target *fallback,
                                  const tsr_allocator *a, tsr_error *err) {
  tsr_network_session_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.allocator = a;
  cfg.targets[0] = target;
  cfg.n_targets = 1;
  cfg.fallback = fallback;
  size_t size = 0, align = 0;
  tsr_status st = tsr_network_session_get_size(net, &cfg, &size, &align);
  if (st == TSR_OK) {
    r->mem = aligned_alloc(align, (size + align - 1) / align * align);
    if (r->mem == NULL) st = TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "net: session memory");
  }
  if (st == TSR_OK) st = tsr_network_session_init(net, &cfg, r->mem, size, &r->s);
  if (st == TSR_OK) {
    st = tsr_network_session_prepare(r->s);
    if (st == TSR_OK) st = tsr_network_session_bind_arena(r->s, NULL, 0);
    if (st != TSR_OK) tsr_error_copy(err, tsr_network_session_error(r->s));
  }
  if (st != TSR_OK) {
    tsr_network_session_deinit(r->s);
    r->s = NULL;
    free(r->mem);
    r->mem = NULL;
    if (err && err->code == TSR_OK) TSR_ERROR(err, st, "net: cannot prepare the network");
  }
  return st;
}

/* Returns 0, or 1 with the error in |err|. */
static int session_open(const tsr_network *net, const char *target_name, uint32_t n_threads, bool fallback_cpu,
                        const tsr_allocator *a, net_run *r, tsr_error *err) {
  memset(r, 0, sizeof(*r));
  tsr_target_options to;
  memset(&to, 0, sizeof(to));
  to.n_threads = n_threads;
  to.allow_cpu_device = true;
  const char *name = target_name ? target_name : "cpu";
  tsr_error terr;
  tsr_error_clear(&terr);
  tsr_status st = tsr_target_create(name, &to, a, &r->target, &terr);
  if (st != TSR_OK) {
    if (st == TSR_ERR_INVALID_ARGUMENT || !fallback_cpu) {
      tsr_error_copy(err, &terr);
      return 1;
    }
    r->target = NULL;
    if (tsr_target_create("cpu", &to, a, &r->target, err) != TSR_OK) return 1;
    snprintf(r->fallback_note, sizeof(r->fallback_note), "fallback: target %.32s unavailable (%.160s): ran on cpu",
             name, terr.message);
  }
  tsr_target_caps caps;
  st = tsr_target_get_caps(r->target, &caps);
  const bool host_cpu = st == TSR_OK && caps.kind == TSR_TARGET_KIND_CPU && (caps.flags & TSR_CAP_HOST_MEMORY);
  if (st == TSR_OK && fallback_cpu && !host_cpu) st = tsr_target_create("cpu", &to, a, &r->fallback, err);
  if (st == TSR_OK) {
    tsr_target *fb = r->fallback ? r->fallback : (host_cpu ? r->target : NULL);
    st = session_prepare(net, r, r->target, fb, a, err);
    if (st == TSR_ERR_UNSUPPORTED && r->fallback != NULL) {
      /* Asked for the fallback, and the graph cannot be split: all on the CPU. */
      char why[160];
      snprintf(why, sizeof(why), "%.159s", err ? err->message : "");
      tsr_error_clear(err);
      st = session_prepare(net, r, r->fallback, r->fallback, a, err);
      if (st == TSR_OK)
        snprintf(r->fallback_note, sizeof(r->fallback_note), "fallback: the network runs on cpu alone (%s)", why);
    }
  }
  if (st != TSR_OK) {
    session_close(r);
    return 1;
  }
  tsr_program_stats ps;
  if (r->fallback_note[0] == '\0' && r->fallback != NULL && tsr_network_session_get_stats(r->s, &ps) == TSR_OK &&
      ps.nodes_per_target[1] > 0)
    snprintf(r->fallback_note, sizeof(r->fallback_note), "fallback: %u of %u nodes on cpu",
             (unsigned)ps.nodes_per_target[1], (unsigned)ps.n_nodes);
  return 0;
}

static void shape_str(const tsr_tensor *t, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "%s[", tsr_dtype_name(t->dtype));
  for (int i = 0; i < t->ndim && k < n; ++i) k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)t->shape[i]);
  if (k < n) snprintf(buf + k, n - k, "]");
}

/* Fills every input from the --input specs (or, with |synthetic|, with a
 * fixed pseudo-random pattern when none is given). */
static int set_inputs(const char *cmd, const net_opts *o, const tsr_network *net, tsr_network_session *ses,
                      bool synthetic) {
  bool given[MAX_IN] = {false};
  const uint32_t n_inputs = tsr_network_input_count(net);
  for (int i = 0; i < o->n_in; ++i) {
    const input_spec *sp = &o->in[i];
    int32_t idx = -1;
    if (sp->name != NULL) {
      idx = tsr_network_find_input(net, sp->name);
      if (idx < 0) {
        fprintf(stderr, "tsr %s: the network has no input '%s'; its inputs:", cmd, sp->name);
        for (uint32_t k = 0; k < n_inputs; ++k) {
          tsr_network_io_info ki;
          if (tsr_network_input_info(net, k, &ki) == TSR_OK) fprintf(stderr, " %s", ki.name);
        }
        fprintf(stderr, "\n");
        return 2;
      }
    } else {
      idx = i;
      if ((uint32_t)i >= n_inputs) {
        fprintf(stderr, "tsr %s: %d inputs given, the network has %u\n", cmd, o->n_in, (unsigned)n_inputs);
        return 2;
      }
      if (n_inputs > 1 && o->n_in != (int)n_inputs) {
        fprintf(stderr, "tsr %s: the network has %u inputs; name them (--input NAME=PATH)\n", cmd, (unsigned)n_inputs);
        return 2;
      }
    }
    given[idx] = true;
    tsr_network_io_info ii;
    if (tsr_network_session_input_info(ses, (uint32_t)idx, &ii) != TSR_OK) return 1;
    tsr_tensor t;
    if (tsr_tensor_init(&t, ii.dtype, ii.ndim, ii.shape, NULL) != TSR_OK) return 1;
    char sh[128];
    shape_str(&t, sh, sizeof(sh));
    int64_t numel = tsr_tensor_numel(&t);
    if (sp->ndim >= 0) {
      bool same = sp->ndim == t.ndim;
      for (int k = 0; same && k < t.ndim; ++k) same = sp->shape[k] == t.shape[k];
      if (!same) {
        fprintf(stderr, "tsr %s: input %s is %s in this network, not the shape given%s\n", cmd, ii.name, sh,
                strcmp(format_name(net), "tsr") == 0 ? " (a .tsr keeps the shapes it was converted with)" : "");
        return 2;
      }
    }
    void *data;
    if (tsr_network_session_input_data(ses, (uint32_t)idx, &data) != TSR_OK) return 1;
    char err[512];
    if (tsr_pre_is_image(sp->path)) {
      float *tmp = malloc(sizeof(float) * (size_t)numel);
      if (tmp == NULL) return 1;
      bool ok = tsr_pre_image(sp->path, &o->pre, t.ndim, t.shape, tmp, err, sizeof(err));
      if (ok && t.dtype == TSR_DTYPE_F32) memcpy(data, tmp, sizeof(float) * (size_t)numel);
      else if (ok) {
        fprintf(stderr, "tsr %s: input %s is %s; images give f32\n", cmd, ii.name, sh);
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
        fprintf(stderr, "tsr %s: input %s (%s): %s\n", cmd, ii.name, sh, err);
        return 2;
      }
    }
  }
  for (uint32_t i = 0; i < n_inputs; ++i) {
    if (given[i]) continue;
    tsr_network_io_info ii;
    tsr_tensor t;
    if (tsr_network_session_input_info(ses, i, &ii) != TSR_OK ||
        tsr_tensor_init(&t, ii.dtype, ii.ndim, ii.shape, NULL) != TSR_OK)
      return 1;
    char sh[128];
    shape_str(&t, sh, sizeof(sh));
    if (!synthetic) {
      fprintf(stderr, "tsr %s: no value for input %s %s (--input %s=PATH)\n", cmd, ii.name, sh, ii.name);
      return 2;
    }
    void *data;
    if (tsr_network_session_input_data(ses, i, &data) != TSR_OK) return 1;
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
         "  --no-fusion        ONNX: lower node by node; --qdq-float: QDQ in float\n\n"
         "Perception mode: tsr run -m NET --image FRAME.jpg [--task detect|segment|classify|\n"
         "regress] [--preset NAME|none] [--labels FILE] [--save OUT.png] [--json] decodes the\n"
         "results with the network's preset (tsr run -m NET --image x --help lists them).\n");
}

int tsr_net_cmd_run(int argc, char **argv) {
  if (tsr_task_wanted(argc, argv)) return tsr_task_cmd_run(argc, argv);
  if (tsr_wants_help(argc, argv)) {
    print_help_run();
    return 0;
  }
  net_opts o;
  int rc = parse_opts("run", argc, argv, &o);
  if (rc) return rc;
  tsr_allocator a = tsr_allocator_system();
  tsr_network *net = NULL;
  double load_ms = 0;
  if ((rc = open_net("run", &o, &a, &net, &load_ms)) != 0) return rc;
  net_run s;
  tsr_error err;
  tsr_error_clear(&err);
  double t0 = now_ms();
  if (session_open(net, o.target, o.threads, o.fallback_cpu, &a, &s, &err) != 0) {
    fprintf(stderr, "tsr run: %s\n", err.message);
    tsr_network_free(net);
    return 1;
  }
  double prep_ms = now_ms() - t0;
  rc = set_inputs("run", &o, net, s.s, false);
  double *lat = calloc((size_t)o.repeat, sizeof(double));
  /* One untimed run first: the first frame pays for page faults and caches. */
  if (rc == 0 && tsr_network_session_run(s.s) != TSR_OK) {
    fprintf(stderr, "tsr run: %s\n", tsr_network_session_error(s.s)->message);
    rc = 1;
  }
  for (int i = 0; rc == 0 && i < o.repeat; ++i) {
    double t1 = now_ms();
    tsr_status st = tsr_network_session_run(s.s);
    lat[i] = now_ms() - t1;
    if (st != TSR_OK) {
      fprintf(stderr, "tsr run: %s\n", tsr_network_session_error(s.s)->message);
      rc = 1;
    }
  }
  if (rc == 0 && o.out_dir != NULL) {
    if (mkdir(o.out_dir, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "tsr run: cannot create %s: %s\n", o.out_dir, strerror(errno));
      rc = 1;
    }
  }
  for (uint32_t i = 0; rc == 0 && i < tsr_network_output_count(net); ++i) {
    tsr_network_io_info oi;
    tsr_tensor t;
    const void *data;
    if (tsr_network_session_output_info(s.s, i, &oi) != TSR_OK ||
        tsr_tensor_init(&t, oi.dtype, oi.ndim, oi.shape, NULL) != TSR_OK ||
        tsr_network_session_output_data(s.s, i, &data) != TSR_OK) {
      rc = 1;
      break;
    }
    summarize(oi.name, &t, data);
    if (o.out_dir != NULL) rc = write_output(o.out_dir, oi.name, &t, data);
  }
  if (rc == 0) {
    qsort(lat, (size_t)o.repeat, sizeof(double), cmp_double);
    tsr_program_stats ps;
    tsr_target_caps caps;
    if (tsr_network_session_get_stats(s.s, &ps) != TSR_OK) memset(&ps, 0, sizeof(ps));
    if (tsr_target_get_caps(s.target, &caps) != TSR_OK) memset(&caps, 0, sizeof(caps));
    printf("run: %s (%s), %u nodes on %s with %u threads; latency %.3f ms/frame (median of %d); load %.1f ms, "
           "prepare %.1f ms; arena %.2f MiB, peak RSS %.1f MiB%s%s\n",
           o.model, format_name(net), (unsigned)ps.n_nodes, caps.name, (unsigned)caps.n_threads, percentile(lat, o.repeat, 50),
           o.repeat, load_ms, prep_ms, (double)ps.arena_bytes / 1048576.0, peak_rss_mib(), s.fallback_note[0] ? "; " : "",
           s.fallback_note);
  }
  free(lat);
  session_close(&s);
  tsr_network_free(net);
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
  tsr_network *net = NULL;
  double load_ms = 0;
  if ((rc = open_net("bench", &o, &a, &net, &load_ms)) != 0) return rc;
  printf("bench: %s (%s), load %.1f ms\n", o.model, format_name(net), load_ms);
  for (int ti = 0; ti < o.n_thread_counts && rc == 0; ++ti) {
    uint32_t nt = o.thread_counts[ti];
    net_run s;
    tsr_error err;
    tsr_error_clear(&err);
    if (session_open(net, o.target, nt, o.fallback_cpu, &a, &s, &err) != 0) {
      fprintf(stderr, "tsr bench: %s\n", err.message);
      rc = 1;
      break;
    }
    rc = set_inputs("bench", &o, net, s.s, true);
    for (int i = 0; rc == 0 && i < o.warmup; ++i) {
      if (tsr_network_session_run(s.s) != TSR_OK) rc = 1;
    }
    int cap = o.iters > 0 ? o.iters : 100000, n = 0;
    double *lat = malloc(sizeof(double) * (size_t)cap);
    double start = now_ms();
    while (rc == 0 && lat != NULL && n < cap) {
      double t1 = now_ms();
      if (tsr_network_session_run(s.s) != TSR_OK) {
        fprintf(stderr, "tsr bench: %s\n", tsr_network_session_error(s.s)->message);
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
             (unsigned)(caps.n_threads ? caps.n_threads : nt), 1000.0 * n / total, percentile(lat, n, 50), percentile(lat, n, 90),
             percentile(lat, n, 99), lat[0], n, caps.name, s.fallback_note[0] ? "; " : "", s.fallback_note);
    }
    free(lat);
    session_close(&s);
  }
  if (rc == 0) printf("peak RSS %.1f MiB\n", peak_rss_mib());
  tsr_network_free(net);
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
  tsr_network *net = NULL;
  double load_ms = 0;
  if ((rc = open_net("info", &o, &a, &net, &load_ms)) != 0) return rc;
  const tsr_graph *g = tsr_network_graph(net);
  tsr_network_info info;
  if (tsr_network_get_info(net, &info) != TSR_OK) memset(&info, 0, sizeof(info));
  printf("model: %s\nformat: %s%s%s, opset %lld, %u source nodes, loaded in %.1f ms\n", o.model, format_name(net),
         info.producer[0] ? ", producer " : "", info.producer, (long long)info.opset, (unsigned)info.source_nodes, load_ms);
  for (int io = 0; io < 2; ++io) {
    uint32_t n = io ? info.n_outputs : info.n_inputs;
    for (uint32_t i = 0; i < n; ++i) {
      tsr_network_io_info ii;
      tsr_tensor t;
      if ((io ? tsr_network_output_info(net, i, &ii) : tsr_network_input_info(net, i, &ii)) != TSR_OK ||
          tsr_tensor_init(&t, ii.dtype, ii.ndim, ii.shape, NULL) != TSR_OK)
        continue;
      char sh[128];
      shape_str(&t, sh, sizeof(sh));
      printf("%s %s %s", io ? "output" : "input", ii.name, sh);
      if (ii.dynamic_dims) {
        printf(" (symbolic:");
        for (int d = 0; d < ii.ndim; ++d) {
          if (ii.dynamic_dims & (1u << d)) printf(" %d", d);
        }
        printf(")");
      }
      if (ii.has_quant) printf(" scale %.6g zero_point %d", ii.scale, (int)ii.zero_point);
      printf("\n");
    }
  }
  uint32_t count[TSR_OP_COUNT] = {0};
  for (uint32_t i = 0; i < info.n_nodes; ++i) {
    tsr_graph_node nd;
    if (tsr_graph_node_info(g, i, &nd) == TSR_OK && nd.type < TSR_OP_COUNT) count[nd.type]++;
  }
  printf("graph: %u nodes, %u tensors (%u constants, %.2f MiB; %u views)\nops:", (unsigned)info.n_nodes,
         (unsigned)info.n_tensors, (unsigned)info.n_consts, (double)info.const_bytes / 1048576.0, (unsigned)info.n_views);
  for (int t = 1; t < TSR_OP_COUNT; ++t) {
    if (count[t]) printf(" %s x%u", tsr_op_type_name((tsr_op_type)t), (unsigned)count[t]);
  }
  printf("\n");
  if (o.verbose) {
    for (uint32_t i = 0; i < info.n_nodes; ++i) {
      tsr_graph_node nd;
      tsr_tensor t;
      if (tsr_graph_node_info(g, i, &nd) != TSR_OK || tsr_graph_tensor_info(g, nd.dst, NULL, &t) != TSR_OK) continue;
      char sh[128];
      shape_str(&t, sh, sizeof(sh));
      printf("  %4u %-16s %-40s -> %s %s\n", (unsigned)i, tsr_op_type_name(nd.type), nd.name,
             tsr_graph_tensor_name(g, nd.dst), sh);
    }
  }
  net_run s;
  tsr_error err;
  tsr_error_clear(&err);
  if (session_open(net, o.target, 1, o.fallback_cpu, &a, &s, &err) == 0) {
    tsr_program_stats ps;
    if (tsr_network_session_get_stats(s.s, &ps) == TSR_OK)
      printf("memory: arena %.2f MiB (intermediates without reuse %.2f MiB), inputs+outputs %.2f MiB\n",
             (double)ps.arena_bytes / 1048576.0, (double)ps.naive_bytes / 1048576.0, (double)ps.io_bytes / 1048576.0);
    session_close(&s);
  } else {
    printf("memory: cannot prepare on %s: %s\n", o.target ? o.target : "cpu", err.message);
    rc = 1;
  }
  tsr_network_free(net);
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
  tsr_network *net = NULL;
  if ((rc = open_net("convert", &o, &a, &net, NULL)) != 0) return rc;
  /* Written beside the destination and renamed into place: a failed write
   * never removes or truncates what is there. */
  tsr_out_file of;
  char oerr[512];
  if (!tsr_out_open(&of, o.output, oerr, sizeof(oerr))) {
    fprintf(stderr, "tsr convert: %s\n", oerr);
    tsr_network_free(net);
    return 1;
  }
  tsr_error err;
  tsr_error_clear(&err);
  tsr_status s = tsr_network_write_tsr(net, of.f, &err);
  long size = ftell(of.f);
  if (s != TSR_OK) snprintf(oerr, sizeof(oerr), "%s: %s", o.output, err.message[0] ? err.message : tsr_status_string(s));
  if (!tsr_out_close(&of, s == TSR_OK, oerr, sizeof(oerr))) {
    fprintf(stderr, "tsr convert: %s\n", oerr);
    tsr_network_free(net);
    return 1;
  }
  tsr_network_info info;
  if (tsr_network_get_info(net, &info) != TSR_OK) memset(&info, 0, sizeof(info));
  printf("convert: %s -> %s: %u nodes, %u tensors, %ld bytes\n", o.model, o.output, (unsigned)info.n_nodes,
         (unsigned)info.n_tensors, size);
  tsr_network_free(net);
  return 0;
}
