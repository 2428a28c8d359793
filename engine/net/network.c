/* The public network API (tessera/net.h) over the internal network
 * (net.h), the importers (net_open.c) and the engine. */
#include <stdio.h>
#include <string.h>

#include "engine/graph_internal.h"
#include "engine/net/net.h"
#include "tessera/file.h"
#include "tessera/net.h"
#if defined(TSR_HAVE_ONNX)
#include "engine/onnx/onnx.h"
#endif

struct tsr_network {
  tsr_allocator allocator;
  tsr_net *net;
  const void *data; /* the source (ONNX: re-imported for other shapes) */
  size_t size;
  uint32_t flags;   /* TSR_NETWORK_* */
  int32_t format;   /* tsr_network_format */
#ifndef TSR_NO_FILEIO
  tsr_mapped_file file;
  bool has_file;
#endif
};

#define SESSION_NAME_MAX 256

struct tsr_network_session {
  const tsr_network *network;
  tsr_allocator allocator;
  tsr_engine_config ecfg;
  uint32_t n_threads;
  tsr_network_shape shapes[TSR_NET_MAX_IO];
  char shape_names[TSR_NET_MAX_IO][SESSION_NAME_MAX];
  uint32_t n_shapes;
  tsr_target *own_target; /* created when the config has no target */
  tsr_net *own_net;       /* re-imported for other input shapes */
  const tsr_net *net;     /* the one that runs: the network's or own_net */
  tsr_engine *engine;
  tsr_program *program;
  bool prepared, bound;
  tsr_error error;
  void *engine_mem;       /* inside the caller's block, after this struct */
  size_t engine_size;
  /* The runtime fallback (a fallback in the config, and some node off it):
   * the graph prepared on the fallback alone; a frame whose run fails on
   * the targets is re-run there (tsr_network_session_fallback_runs). */
  void *rescue_engine_mem;
  tsr_engine *rescue_engine;
  tsr_program *rescue;
  uint32_t n_rescued;
};

#define SFAIL(s, code, ...) TSR_ERROR(&(s)->error, code, __VA_ARGS__)

static size_t align_up_sz(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/* "f32[1,3,416,416]" */
static void shape_str(tsr_dtype dt, int32_t ndim, const int64_t *shape, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "%s[", tsr_dtype_name(dt));
  for (int32_t i = 0; i < ndim && k < n; ++i)
    k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)shape[i]);
  if (k < n) snprintf(buf + k, n - k, "]");
}

/* ---- networks ---- */

#if defined(TSR_HAVE_ONNX)
static tsr_status to_onnx_shapes(const tsr_network_shape *in, uint32_t n, tsr_onnx_shape *out, tsr_error *err) {
  if (n > TSR_NET_MAX_IO) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: %u shapes (at most %d)", (unsigned)n, TSR_NET_MAX_IO);
  for (uint32_t i = 0; i < n; ++i) {
    memset(&out[i], 0, sizeof(out[i]));
    out[i].name = in[i].name;
    out[i].ndim = in[i].ndim;
    if (in[i].ndim < 0 || in[i].ndim > TSR_MAX_DIMS)
      return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: shape for input '%s' has %d dimensions",
                       in[i].name ? in[i].name : "(the only input)", (int)in[i].ndim);
    memcpy(out[i].shape, in[i].shape, sizeof(out[i].shape));
  }
  return TSR_OK;
}
#endif

/* Index of the input a shape is for; -1 with |err| set if none. */
static int32_t shape_input(const tsr_net *net, const tsr_network_shape *sh, tsr_error *err) {
  if (sh->name == NULL) {
    if (net->n_inputs == 1) return 0;
    TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: a shape without a name, and the network has %u inputs",
              (unsigned)net->n_inputs);
    return -1;
  }
  int32_t k = tsr_net_find_io(net, true, sh->name);
  if (k < 0) TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: the network has no input named '%s'", sh->name);
  return k;
}

/* OK if |sh| is the shape input |k| already has; else the reason a .tsr
 * cannot take it. */
static bool same_shape(const tsr_net *net, int32_t k, const tsr_network_shape *sh) {
  const tsr_gtensor *t = &net->graph->tensors[net->inputs[k].tensor];
  if (t->ndim != sh->ndim) return false;
  for (int32_t d = 0; d < t->ndim; ++d) {
    if (t->shape[d] != sh->shape[d]) return false;
  }
  return true;
}

static tsr_status tsr_shapes_unsupported(const tsr_net *net, int32_t k, tsr_error *err) {
  const tsr_gtensor *t = &net->graph->tensors[net->inputs[k].tensor];
  char sh[128];
  shape_str(t->dtype, t->ndim, t->shape, sh, sizeof(sh));
  return TSR_ERROR(err, TSR_ERR_UNSUPPORTED,
                   "net: input '%s' is %s in this .tsr, which keeps the shapes it was converted with (convert "
                   "again with the shape, or load the .onnx)",
                   net->inputs[k].name, sh);
}

static tsr_status load_common(tsr_network *nw, const tsr_network_options *opt, tsr_error *err) {
  uint32_t ns = opt ? opt->n_shapes : 0;
  if (ns > 0 && opt->shapes == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: n_shapes without shapes");
  bool tsr = tsr_net_is_tsr(nw->data, nw->size);
  nw->format = tsr ? TSR_NETWORK_FORMAT_TSR : TSR_NETWORK_FORMAT_ONNX;
  if (tsr && (uintptr_t)nw->data % TSR_NETWORK_TSR_ALIGN != 0)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT,
                     "net: a .tsr in memory must be %d-byte aligned (its constants are used in place); it is at "
                     "address %% %d = %d",
                     TSR_NETWORK_TSR_ALIGN, TSR_NETWORK_TSR_ALIGN, (int)((uintptr_t)nw->data % TSR_NETWORK_TSR_ALIGN));
#if defined(TSR_HAVE_ONNX)
  tsr_onnx_shape shapes[TSR_NET_MAX_IO];
  TSR_TRY(to_onnx_shapes(ns ? opt->shapes : NULL, ns, shapes, err));
  tsr_onnx_options oo;
  memset(&oo, 0, sizeof(oo));
  oo.shapes = shapes;
  oo.n_shapes = ns;
  oo.flags = (nw->flags & TSR_NETWORK_NO_FUSION ? TSR_ONNX_NO_FUSION : 0u) |
             (nw->flags & TSR_NETWORK_QDQ_FLOAT ? TSR_ONNX_QDQ_FLOAT : 0u);
  TSR_TRY(tsr_net_load(nw->data, nw->size, &oo, &nw->allocator, &nw->net, err));
#else
  TSR_TRY(tsr_net_load(nw->data, nw->size, NULL, &nw->allocator, &nw->net, err));
#endif
  if (tsr) {
    for (uint32_t i = 0; i < ns; ++i) {
      int32_t k = shape_input(nw->net, &opt->shapes[i], err);
      if (k < 0) return TSR_ERR_INVALID_ARGUMENT;
      if (!same_shape(nw->net, k, &opt->shapes[i])) return tsr_shapes_unsupported(nw->net, k, err);
    }
  }
  return TSR_OK;
}

static tsr_status network_new(const tsr_network_options *opt, tsr_network **out, tsr_error *err) {
  tsr_allocator a = (opt && opt->allocator) ? *opt->allocator : tsr_allocator_system();
  tsr_network *nw = tsr_alloc(&a, sizeof(*nw), 0);
  if (nw == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "net: out of memory");
  memset(nw, 0, sizeof(*nw));
  nw->allocator = a;
  nw->flags = opt ? opt->flags : 0;
  *out = nw;
  return TSR_OK;
}

void tsr_network_free(tsr_network *n) {
  if (n == NULL) return;
  tsr_net_destroy(n->net);
#ifndef TSR_NO_FILEIO
  if (n->has_file) tsr_file_unmap(&n->file);
#endif
  tsr_allocator a = n->allocator;
  tsr_free(&a, n);
}

tsr_status tsr_network_load_memory(const void *data, size_t size, const tsr_network_options *opt, tsr_network **out,
                                   tsr_error *err) {
  if (data == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: NULL argument");
  if (err) tsr_error_clear(err);
  tsr_network *nw = NULL;
  TSR_TRY(network_new(opt, &nw, err));
  nw->data = data;
  nw->size = size;
  tsr_status s = load_common(nw, opt, err);
  if (s != TSR_OK) {
    tsr_network_free(nw);
    return s;
  }
  *out = nw;
  return TSR_OK;
}

#ifndef TSR_NO_FILEIO
tsr_status tsr_network_load_file(const char *path, const tsr_network_options *opt, tsr_network **out, tsr_error *err) {
  if (path == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: NULL argument");
  if (err) tsr_error_clear(err);
  tsr_network *nw = NULL;
  TSR_TRY(network_new(opt, &nw, err));
  const uint64_t limit = opt != NULL && opt->max_file_bytes != 0 ? opt->max_file_bytes : TSR_FILE_MAX_MODEL_DEFAULT;
  tsr_status s = tsr_file_map_limited(path, "model", limit, &nw->allocator, &nw->file, err);
  if (s == TSR_OK) {
    nw->has_file = true;
    nw->data = nw->file.data;
    nw->size = nw->file.size;
    s = load_common(nw, opt, err);
  }
  if (s != TSR_OK) {
    tsr_network_free(nw);
    return s;
  }
  *out = nw;
  return TSR_OK;
}

tsr_status tsr_network_write_tsr(const tsr_network *n, FILE *f, tsr_error *err) {
  if (n == NULL || f == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: NULL argument");
  return tsr_net_write_tsr(n->net, f, err);
}

tsr_status tsr_network_save_tsr(const tsr_network *n, const char *path, tsr_error *err) {
  if (n == NULL || path == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: NULL argument");
  /* Beside the destination, renamed into place (tessera/file.h): a failed
   * write never removes or truncates what is there. */
  tsr_out_file of;
  char msg[512];
  if (!tsr_out_open(&of, path, msg, sizeof(msg))) return TSR_ERROR(err, TSR_ERR_IO, "net: %s", msg);
  tsr_status s = tsr_net_write_tsr(n->net, of.f, err);
  if (!tsr_out_close(&of, s == TSR_OK, msg, sizeof(msg)) && s == TSR_OK) s = TSR_ERROR(err, TSR_ERR_IO, "net: %s", msg);
  return s;
}
#endif

/* ---- introspection ---- */

tsr_status tsr_network_get_info(const tsr_network *n, tsr_network_info *out) {
  if (n == NULL || out == NULL) return TSR_ERR_INVALID_ARGUMENT;
  const tsr_net *net = n->net;
  const tsr_graph *g = net->graph;
  memset(out, 0, sizeof(*out));
  out->format = n->format;
  snprintf(out->producer, sizeof(out->producer), "%s", net->producer);
  out->opset = net->opset;
  out->source_nodes = net->source_nodes;
  out->n_inputs = net->n_inputs;
  out->n_outputs = net->n_outputs;
  out->n_nodes = g->n_nodes;
  out->n_tensors = g->n_tensors;
  for (uint32_t i = 0; i < g->n_tensors; ++i) {
    if (g->tensors[i].kind == TSR_TENSOR_CONST) {
      out->n_consts++;
      out->const_bytes += g->tensors[i].nbytes;
    }
    out->n_views += g->tensors[i].kind == TSR_TENSOR_VIEW;
  }
  return TSR_OK;
}

/* A scalar f32 / i8 / u8 constant's value. */
static bool const_scalar(const tsr_graph *g, int32_t id, double *out) {
  if (id < 0) return false;
  const tsr_gtensor *t = &g->tensors[tsr_graph_root(g, id)];
  if (t->kind != TSR_TENSOR_CONST || t->data == NULL) return false;
  int64_t numel = 1;
  for (int32_t d = 0; d < t->ndim; ++d) numel *= t->shape[d];
  if (numel != 1) return false;
  const uint8_t *p = (const uint8_t *)t->data + (g->tensors[id].kind == TSR_TENSOR_VIEW ? g->tensors[id].offset : 0);
  switch (t->dtype) {
    case TSR_DTYPE_F32: {
      float f;
      memcpy(&f, p, 4);
      *out = f;
      return true;
    }
    case TSR_DTYPE_I8: *out = (int8_t)*p; return true;
    case TSR_DTYPE_U8: *out = *p; return true;
    case TSR_DTYPE_I32: {
      int32_t v;
      memcpy(&v, p, 4);
      *out = v;
      return true;
    }
    default: return false;
  }
}

/* Scale and zero point of an i8/u8 input (from the op reading it) or output
 * (from the op writing it), when scalar constants. */
static bool io_quant(const tsr_graph *g, int32_t tid, bool input, float *scale, int32_t *zp) {
  for (uint32_t i = 0; i < g->n_nodes; ++i) {
    const tsr_gnode *n = &g->nodes[i];
    int32_t s_idx = -1, z_idx = -1;
    if (input) {
      for (uint32_t k = 0; k < n->n_src && s_idx < 0; ++k) {
        if (n->src[k] < 0 || tsr_graph_root(g, n->src[k]) != tid) continue;
        if (n->type == TSR_OP_DEQUANTIZE_LINEAR && k == 0) s_idx = 1;
        else if ((n->type == TSR_OP_QLINEAR_CONV || n->type == TSR_OP_QLINEAR_MATMUL ||
                  n->type == TSR_OP_QLINEAR_BINARY) && (k == 0 || k == 3))
          s_idx = (int32_t)k + 1;
      }
    } else if (n->dst == tid) {
      if (n->type == TSR_OP_QUANTIZE_LINEAR) s_idx = 1;
      else if (n->type == TSR_OP_QLINEAR_CONV || n->type == TSR_OP_QLINEAR_MATMUL || n->type == TSR_OP_QLINEAR_BINARY)
        s_idx = 6;
    }
    if (s_idx < 0) continue;
    z_idx = s_idx + 1;
    double s = 0, z = 0;
    if ((uint32_t)s_idx >= n->n_src || !const_scalar(g, n->src[s_idx], &s)) return false;
    if ((uint32_t)z_idx < n->n_src && n->src[z_idx] >= 0 && !const_scalar(g, n->src[z_idx], &z)) return false;
    *scale = (float)s;
    *zp = (int32_t)z;
    return true;
  }
  return false;
}

static tsr_status io_info(const tsr_net *net, bool input, uint32_t i, tsr_network_io_info *out) {
  if (net == NULL || out == NULL || i >= (input ? net->n_inputs : net->n_outputs)) return TSR_ERR_INVALID_ARGUMENT;
  const tsr_net_io *io = input ? &net->inputs[i] : &net->outputs[i];
  const tsr_gtensor *t = &net->graph->tensors[io->tensor];
  memset(out, 0, sizeof(*out));
  out->name = io->name;
  out->dtype = t->dtype;
  out->ndim = t->ndim;
  memcpy(out->shape, t->shape, sizeof(out->shape));
  out->nbytes = (size_t)t->nbytes;
  out->dynamic_dims = input ? io->dynamic_dims : 0;
  if (t->dtype == TSR_DTYPE_I8 || t->dtype == TSR_DTYPE_U8)
    out->has_quant = io_quant(net->graph, io->tensor, input, &out->scale, &out->zero_point);
  return TSR_OK;
}

uint32_t tsr_network_input_count(const tsr_network *n) { return n ? n->net->n_inputs : 0; }
uint32_t tsr_network_output_count(const tsr_network *n) { return n ? n->net->n_outputs : 0; }

tsr_status tsr_network_input_info(const tsr_network *n, uint32_t i, tsr_network_io_info *out) {
  return n ? io_info(n->net, true, i, out) : TSR_ERR_INVALID_ARGUMENT;
}

tsr_status tsr_network_output_info(const tsr_network *n, uint32_t i, tsr_network_io_info *out) {
  return n ? io_info(n->net, false, i, out) : TSR_ERR_INVALID_ARGUMENT;
}

int32_t tsr_network_find_input(const tsr_network *n, const char *name) {
  return (n && name) ? tsr_net_find_io(n->net, true, name) : -1;
}

int32_t tsr_network_find_output(const tsr_network *n, const char *name) {
  return (n && name) ? tsr_net_find_io(n->net, false, name) : -1;
}

const tsr_graph *tsr_network_graph(const tsr_network *n) { return n ? n->net->graph : NULL; }

/* ---- sessions ---- */

#define ENGINE_ALIGN 64u

tsr_status tsr_network_session_get_size(const tsr_network *n, const tsr_network_session_config *cfg, size_t *out_size,
                                        size_t *out_align) {
  if (n == NULL || cfg == NULL || out_size == NULL || out_align == NULL) return TSR_ERR_INVALID_ARGUMENT;
  tsr_engine_config ec;
  memset(&ec, 0, sizeof(ec));
  size_t es = 0, ea = 0;
  TSR_TRY(tsr_engine_get_size(&ec, &es, &ea));
  size_t al = ea > ENGINE_ALIGN ? ea : ENGINE_ALIGN;
  *out_size = align_up_sz(sizeof(tsr_network_session), al) + es;
  *out_align = al;
  return TSR_OK;
}

tsr_status tsr_network_session_init(const tsr_network *n, const tsr_network_session_config *cfg, void *mem,
                                    size_t mem_size, tsr_network_session **out) {
  if (n == NULL || cfg == NULL || mem == NULL || out == NULL) return TSR_ERR_INVALID_ARGUMENT;
  size_t need = 0, al = 0;
  TSR_TRY(tsr_network_session_get_size(n, cfg, &need, &al));
  if (mem_size < need) return TSR_ERR_BUFFER_TOO_SMALL;
  if ((uintptr_t)mem % al != 0) return TSR_ERR_INVALID_ARGUMENT;
  if (cfg->n_targets > TSR_ENGINE_MAX_TARGETS || cfg->n_shapes > TSR_NET_MAX_IO ||
      (cfg->n_shapes > 0 && cfg->shapes == NULL))
    return TSR_ERR_INVALID_ARGUMENT;
  for (uint32_t i = 0; i < cfg->n_targets; ++i) {
    if (cfg->targets[i] == NULL) return TSR_ERR_INVALID_ARGUMENT;
  }
  for (uint32_t i = 0; i < cfg->n_shapes; ++i) {
    if (cfg->shapes[i].name != NULL && strlen(cfg->shapes[i].name) >= SESSION_NAME_MAX) return TSR_ERR_INVALID_ARGUMENT;
    if (cfg->shapes[i].ndim < 0 || cfg->shapes[i].ndim > TSR_MAX_DIMS) return TSR_ERR_INVALID_ARGUMENT;
  }
  tsr_network_session *s = mem;
  memset(s, 0, sizeof(*s));
  s->network = n;
  s->allocator = cfg->allocator ? *cfg->allocator : n->allocator;
  memcpy(s->ecfg.targets, cfg->targets, sizeof(s->ecfg.targets));
  s->ecfg.n_targets = cfg->n_targets;
  s->ecfg.fallback = cfg->fallback;
  s->ecfg.allocator = &s->allocator;
  s->n_threads = cfg->n_threads;
  s->n_shapes = cfg->n_shapes;
  for (uint32_t i = 0; i < cfg->n_shapes; ++i) {
    s->shapes[i] = cfg->shapes[i];
    if (cfg->shapes[i].name != NULL) {
      snprintf(s->shape_names[i], SESSION_NAME_MAX, "%s", cfg->shapes[i].name);
      s->shapes[i].name = s->shape_names[i];
    }
  }
  s->engine_mem = (uint8_t *)mem + align_up_sz(sizeof(tsr_network_session), al);
  s->engine_size = need - align_up_sz(sizeof(tsr_network_session), al);
  s->net = n->net;
  *out = s;
  return TSR_OK;
}

/* Picks the graph: the network's when every shape asked for is the loaded
 * one, else a re-import of the ONNX source with the shapes. */
static tsr_status resolve_shapes(tsr_network_session *s) {
  const tsr_network *nw = s->network;
  const tsr_net *net = nw->net;
  bool differs = false;
  for (uint32_t i = 0; i < s->n_shapes; ++i) {
    int32_t k = shape_input(net, &s->shapes[i], &s->error);
    if (k < 0) return TSR_ERR_INVALID_ARGUMENT;
    const tsr_gtensor *t = &net->graph->tensors[net->inputs[k].tensor];
    if (s->shapes[i].ndim != t->ndim)
      return SFAIL(s, TSR_ERR_INVALID_ARGUMENT, "net: input '%s' has %d dimensions, the shape given has %d",
                   net->inputs[k].name, (int)t->ndim, (int)s->shapes[i].ndim);
    for (int32_t d = 0; d < t->ndim; ++d) {
      if (s->shapes[i].shape[d] <= 0)
        return SFAIL(s, TSR_ERR_INVALID_ARGUMENT, "net: shape for input '%s' has extent %lld", net->inputs[k].name,
                     (long long)s->shapes[i].shape[d]);
    }
    if (same_shape(net, k, &s->shapes[i])) continue;
    differs = true;
    if (nw->format == TSR_NETWORK_FORMAT_TSR) return tsr_shapes_unsupported(net, k, &s->error);
    for (int32_t d = 0; d < t->ndim; ++d) {
      if (s->shapes[i].shape[d] != t->shape[d] && !(net->inputs[k].dynamic_dims & (1u << d)))
        return SFAIL(s, TSR_ERR_INVALID_ARGUMENT, "net: input '%s' dimension %d is fixed at %lld in the model, not %lld",
                     net->inputs[k].name, (int)d, (long long)t->shape[d], (long long)s->shapes[i].shape[d]);
    }
  }
  if (!differs) {
    s->net = net;
    return TSR_OK;
  }
#if defined(TSR_HAVE_ONNX)
  /* Every input: the loaded shape unless the session names another. */
  tsr_onnx_shape shapes[TSR_NET_MAX_IO];
  for (uint32_t k = 0; k < net->n_inputs; ++k) {
    const tsr_gtensor *t = &net->graph->tensors[net->inputs[k].tensor];
    memset(&shapes[k], 0, sizeof(shapes[k]));
    shapes[k].name = net->inputs[k].name;
    shapes[k].ndim = t->ndim;
    memcpy(shapes[k].shape, t->shape, sizeof(shapes[k].shape));
  }
  for (uint32_t i = 0; i < s->n_shapes; ++i) {
    int32_t k = shape_input(net, &s->shapes[i], &s->error);
    memcpy(shapes[k].shape, s->shapes[i].shape, sizeof(shapes[k].shape));
  }
  tsr_onnx_options oo;
  memset(&oo, 0, sizeof(oo));
  oo.shapes = shapes;
  oo.n_shapes = net->n_inputs;
  oo.flags = (nw->flags & TSR_NETWORK_NO_FUSION ? TSR_ONNX_NO_FUSION : 0u) |
             (nw->flags & TSR_NETWORK_QDQ_FLOAT ? TSR_ONNX_QDQ_FLOAT : 0u);
  tsr_net *own = NULL;
  tsr_status st = tsr_onnx_import(nw->data, nw->size, &oo, &s->allocator, &own, &s->error);
  if (st != TSR_OK) return st;
  s->own_net = own;
  s->net = own;
  return TSR_OK;
#else
  return SFAIL(s, TSR_ERR_UNSUPPORTED, "net: other input shapes need the ONNX importer, not in this build");
#endif
}

/* The runtime fallback's program, where some node runs off the fallback. */
static tsr_status prepare_rescue(tsr_network_session *s) {
  tsr_target *fb = s->ecfg.fallback;
  if (fb == NULL || fb == s->own_target) return TSR_OK;
  tsr_program_stats st;
  TSR_TRY(tsr_program_get_stats(s->program, &st));
  uint32_t off_fb = 0;
  for (uint32_t i = 0; i < s->ecfg.n_targets; ++i) off_fb += s->ecfg.targets[i] != fb ? st.nodes_per_target[i] : 0u;
  if (off_fb == 0) return TSR_OK;
  tsr_engine_config c;
  memset(&c, 0, sizeof(c));
  c.allocator = &s->allocator;
  c.targets[0] = fb;
  c.n_targets = 1;
  c.fallback = fb;
  size_t sz, al;
  TSR_TRY(tsr_engine_get_size(&c, &sz, &al));
  s->rescue_engine_mem = tsr_alloc(&s->allocator, sz, al);
  if (s->rescue_engine_mem == NULL) return SFAIL(s, TSR_ERR_OUT_OF_MEMORY, "net: fallback engine");
  tsr_status r = tsr_engine_init(&c, s->rescue_engine_mem, sz, &s->rescue_engine);
  if (r != TSR_OK) return SFAIL(s, r, "net: fallback engine configuration refused");
  r = tsr_engine_prepare(s->rescue_engine, s->net->graph, &s->rescue);
  if (r != TSR_OK) {
    tsr_error_copy(&s->error, tsr_engine_error(s->rescue_engine));
    if (s->error.code == TSR_OK) SFAIL(s, r, "net: cannot prepare the network on the fallback");
  }
  return r;
}

tsr_status tsr_network_session_prepare(tsr_network_session *s) {
  if (s == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (s->prepared) return SFAIL(s, TSR_ERR_STATE, "net: session already prepared");
  tsr_error_clear(&s->error);
  tsr_status st = resolve_shapes(s);
  if (st == TSR_OK && s->ecfg.n_targets == 0 && s->ecfg.fallback == NULL) {
    tsr_target_options to;
    memset(&to, 0, sizeof(to));
    to.n_threads = s->n_threads;
    st = tsr_cpu_target_create(&to, &s->allocator, &s->own_target, &s->error);
    if (st == TSR_OK) {
      s->ecfg.targets[0] = s->own_target;
      s->ecfg.n_targets = 1;
      s->ecfg.fallback = s->own_target;
    }
  }
  if (st == TSR_OK) {
    st = tsr_engine_init(&s->ecfg, s->engine_mem, s->engine_size, &s->engine);
    if (st != TSR_OK) {
      if (s->engine) tsr_error_copy(&s->error, tsr_engine_error(s->engine));
      if (s->error.code == TSR_OK) SFAIL(s, st, "net: engine configuration refused (targets, fallback)");
    }
  }
  if (st == TSR_OK) {
    st = tsr_engine_prepare(s->engine, s->net->graph, &s->program);
    if (st != TSR_OK) tsr_error_copy(&s->error, tsr_engine_error(s->engine));
  }
  if (st == TSR_OK) st = prepare_rescue(s);
  if (st != TSR_OK) {
    tsr_program_destroy(s->rescue);
    s->rescue = NULL;
    if (s->rescue_engine) tsr_engine_deinit(s->rescue_engine);
    s->rescue_engine = NULL;
    tsr_free(&s->allocator, s->rescue_engine_mem);
    s->rescue_engine_mem = NULL;
    tsr_program_destroy(s->program);
    s->program = NULL;
    if (s->error.code == TSR_OK) SFAIL(s, st, "net: cannot prepare the network");
    /* Undo, keeping the error and the configuration. */
    tsr_error e = s->error;
    tsr_net_destroy(s->own_net);
    s->own_net = NULL;
    s->net = s->network->net;
    if (s->engine) tsr_engine_deinit(s->engine);
    s->engine = NULL;
    if (s->own_target) {
      if (s->ecfg.targets[0] == s->own_target) {
        s->ecfg.targets[0] = NULL;
        s->ecfg.n_targets = 0;
        s->ecfg.fallback = NULL;
      }
      tsr_target_destroy(s->own_target);
      s->own_target = NULL;
    }
    s->error = e;
    return st;
  }
  s->prepared = true;
  return TSR_OK;
}

tsr_status tsr_network_session_input_info(const tsr_network_session *s, uint32_t i, tsr_network_io_info *out) {
  if (s == NULL) return TSR_ERR_INVALID_ARGUMENT;
  TSR_TRY(io_info(s->net, true, i, out));
  out->dynamic_dims = s->network->net->inputs[i].dynamic_dims;
  return TSR_OK;
}

tsr_status tsr_network_session_output_info(const tsr_network_session *s, uint32_t i, tsr_network_io_info *out) {
  return s ? io_info(s->net, false, i, out) : TSR_ERR_INVALID_ARGUMENT;
}

/* Checks that |t| has the dtype and shape of input/output |i| and is
 * contiguous; *out_id is its tensor. */
static tsr_status check_io(tsr_network_session *s, bool input, uint32_t i, const tsr_tensor *t, bool need_data,
                           int32_t *out_id) {
  if (!s->prepared) return SFAIL(s, TSR_ERR_STATE, "net: session not prepared (tsr_network_session_prepare)");
  const tsr_net *net = s->net;
  uint32_t n = input ? net->n_inputs : net->n_outputs;
  const char *kind = input ? "input" : "output";
  if (i >= n) return SFAIL(s, TSR_ERR_INVALID_ARGUMENT, "net: %s %u out of range (%u %ss)", kind, (unsigned)i, (unsigned)n, kind);
  const tsr_net_io *io = input ? &net->inputs[i] : &net->outputs[i];
  const tsr_gtensor *g = &net->graph->tensors[io->tensor];
  *out_id = io->tensor;
  if (t == NULL) return TSR_OK;
  bool same = t->dtype == g->dtype && t->ndim == g->ndim;
  for (int32_t d = 0; same && d < g->ndim; ++d) same = t->shape[d] == g->shape[d];
  if (!same) {
    char want[128], got[128];
    shape_str(g->dtype, g->ndim, g->shape, want, sizeof(want));
    shape_str(t->dtype, t->ndim, t->shape, got, sizeof(got));
    return SFAIL(s, TSR_ERR_INVALID_ARGUMENT, "net: %s '%s' is %s, the tensor given is %s", kind, io->name, want, got);
  }
  if (!tsr_tensor_is_contiguous(t))
    return SFAIL(s, TSR_ERR_INVALID_ARGUMENT, "net: the tensor given for %s '%s' is not contiguous", kind, io->name);
  if (need_data && t->data == NULL)
    return SFAIL(s, TSR_ERR_INVALID_ARGUMENT, "net: the tensor given for %s '%s' has no data", kind, io->name);
  return TSR_OK;
}

static tsr_status bind_io(tsr_network_session *s, bool input, uint32_t i, const tsr_tensor *t) {
  if (s == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (s->bound) return SFAIL(s, TSR_ERR_STATE, "net: bind %ss before tsr_network_session_bind_arena", input ? "input" : "output");
  int32_t id = -1;
  TSR_TRY(check_io(s, input, i, t, true, &id));
  const tsr_gtensor *g = &s->net->graph->tensors[id];
  tsr_status st = tsr_program_bind_io(s->program, id, t ? t->data : NULL, t ? (size_t)g->nbytes : 0);
  if (st != TSR_OK) tsr_error_copy(&s->error, tsr_program_error(s->program));
  if (st == TSR_OK && s->rescue != NULL) {
    st = tsr_program_bind_io(s->rescue, id, t ? t->data : NULL, t ? (size_t)g->nbytes : 0);
    if (st != TSR_OK) tsr_error_copy(&s->error, tsr_program_error(s->rescue));
  }
  return st;
}

tsr_status tsr_network_session_bind_input(tsr_network_session *s, uint32_t i, const tsr_tensor *t) {
  return bind_io(s, true, i, t);
}

tsr_status tsr_network_session_bind_output(tsr_network_session *s, uint32_t i, const tsr_tensor *t) {
  return bind_io(s, false, i, t);
}

tsr_status tsr_network_session_get_arena_size(const tsr_network_session *s, size_t *out_size, size_t *out_align) {
  if (s == NULL || !s->prepared) return TSR_ERR_STATE;
  return tsr_program_get_arena_size(s->program, out_size, out_align);
}

tsr_status tsr_network_session_bind_arena(tsr_network_session *s, void *mem, size_t mem_size) {
  if (s == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (!s->prepared) return SFAIL(s, TSR_ERR_STATE, "net: session not prepared (tsr_network_session_prepare)");
  if (s->bound) return SFAIL(s, TSR_ERR_STATE, "net: arena already bound");
  tsr_status st = TSR_OK;
  if (s->rescue != NULL) {
    st = tsr_program_bind_arena(s->rescue, NULL, 0); /* the fallback's own arena */
    if (st != TSR_OK) {
      tsr_error_copy(&s->error, tsr_program_error(s->rescue));
      return st;
    }
  }
  st = tsr_program_bind_arena(s->program, mem, mem_size);
  if (st != TSR_OK) {
    tsr_error_copy(&s->error, tsr_program_error(s->program));
    return st;
  }
  s->bound = true;
  return TSR_OK;
}

tsr_status tsr_network_session_set_input(tsr_network_session *s, uint32_t i, const tsr_tensor *t) {
  if (s == NULL || t == NULL) return TSR_ERR_INVALID_ARGUMENT;
  int32_t id = -1;
  TSR_TRY(check_io(s, true, i, t, true, &id));
  tsr_status st = tsr_program_set_input(s->program, id, t->data, tsr_tensor_nbytes(t));
  if (st != TSR_OK) tsr_error_copy(&s->error, tsr_program_error(s->program));
  return st;
}

tsr_status tsr_network_session_get_output(tsr_network_session *s, uint32_t i, tsr_tensor *t) {
  if (s == NULL || t == NULL) return TSR_ERR_INVALID_ARGUMENT;
  int32_t id = -1;
  TSR_TRY(check_io(s, false, i, t, true, &id));
  tsr_status st = tsr_program_get_output(s->program, id, t->data, tsr_tensor_nbytes(t));
  if (st != TSR_OK) tsr_error_copy(&s->error, tsr_program_error(s->program));
  return st;
}

static tsr_status io_data(tsr_network_session *s, bool input, uint32_t i, void **out) {
  if (s == NULL || out == NULL) return TSR_ERR_INVALID_ARGUMENT;
  int32_t id = -1;
  TSR_TRY(check_io(s, input, i, NULL, false, &id));
  tsr_status st = tsr_program_tensor_data(s->program, id, out);
  if (st != TSR_OK) tsr_error_copy(&s->error, tsr_program_error(s->program));
  return st;
}

tsr_status tsr_network_session_input_data(tsr_network_session *s, uint32_t i, void **out_data) {
  return io_data(s, true, i, out_data);
}

tsr_status tsr_network_session_output_data(tsr_network_session *s, uint32_t i, const void **out_data) {
  void *p = NULL;
  TSR_TRY(io_data(s, false, i, &p));
  if (out_data == NULL) return TSR_ERR_INVALID_ARGUMENT;
  *out_data = p;
  return TSR_OK;
}

tsr_status tsr_network_session_run(tsr_network_session *s) {
  if (s == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (!s->bound) return SFAIL(s, TSR_ERR_STATE, "net: session has no arena yet (tsr_network_session_bind_arena)");
  tsr_status st = tsr_program_run(s->program, 0, NULL);
  if (st != TSR_OK) tsr_error_copy(&s->error, tsr_program_error(s->program));
  if (st != TSR_OK && st != TSR_ERR_INVALID_ARGUMENT && s->rescue != NULL) {
    /* The runtime fallback: this frame again on the fallback, inputs in,
     * outputs back where the caller reads them. */
    const tsr_net *net = s->net;
    for (uint32_t i = 0; i < net->n_inputs + net->n_outputs; ++i) {
      bool in = i < net->n_inputs;
      int32_t id = in ? net->inputs[i].tensor : net->outputs[i - net->n_inputs].tensor;
      void *a = NULL, *b = NULL;
      if (tsr_program_tensor_data(s->program, id, &a) != TSR_OK || tsr_program_tensor_data(s->rescue, id, &b) != TSR_OK)
        return st;
      if (!in || a == b) continue;
      memcpy(b, a, (size_t)net->graph->tensors[id].nbytes);
    }
    tsr_status r = tsr_program_run(s->rescue, 0, NULL);
    if (r != TSR_OK) {
      tsr_error_copy(&s->error, tsr_program_error(s->rescue));
      return r;
    }
    for (uint32_t i = 0; i < net->n_outputs; ++i) {
      int32_t id = net->outputs[i].tensor;
      void *a = NULL, *b = NULL;
      if (tsr_program_tensor_data(s->program, id, &a) != TSR_OK || tsr_program_tensor_data(s->rescue, id, &b) != TSR_OK)
        return st;
      if (a != b) memcpy(a, b, (size_t)net->graph->tensors[id].nbytes);
    }
    s->n_rescued++;
    TSR_ERROR(&s->error, TSR_OK, "fallback: frame re-run on the fallback after: %.200s", tsr_program_error(s->program)->message);
    st = TSR_OK;
  }
  return st;
}

uint32_t tsr_network_session_fallback_runs(const tsr_network_session *s) { return s ? s->n_rescued : 0; }

tsr_status tsr_network_session_get_stats(const tsr_network_session *s, tsr_program_stats *out) {
  if (s == NULL || out == NULL || !s->prepared) return s == NULL || out == NULL ? TSR_ERR_INVALID_ARGUMENT : TSR_ERR_STATE;
  return tsr_program_get_stats(s->program, out);
}

const tsr_graph *tsr_network_session_graph(const tsr_network_session *s) { return s ? s->net->graph : NULL; }

const char *tsr_network_session_node_target(const tsr_network_session *s, uint32_t node) {
  return (s && s->prepared) ? tsr_program_node_target(s->program, node) : NULL;
}

tsr_status tsr_network_session_get_profile(tsr_network_session *s, tsr_op_timing *out, uint32_t cap, uint32_t *out_n) {
  if (s == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (!s->bound) return SFAIL(s, TSR_ERR_STATE, "net: session has no arena yet (tsr_network_session_bind_arena)");
  tsr_status st = tsr_program_get_profile(s->program, 0, out, cap, out_n);
  if (st != TSR_OK) tsr_error_copy(&s->error, tsr_program_error(s->program));
  return st;
}

tsr_target *tsr_network_session_target(const tsr_network_session *s) {
  if (s == NULL) return NULL;
  return s->ecfg.n_targets > 0 ? s->ecfg.targets[0] : s->ecfg.fallback;
}

const tsr_error *tsr_network_session_error(const tsr_network_session *s) { return s ? &s->error : NULL; }

void tsr_network_session_deinit(tsr_network_session *s) {
  if (s == NULL) return;
  tsr_program_destroy(s->program);
  if (s->engine) tsr_engine_deinit(s->engine);
  tsr_program_destroy(s->rescue);
  if (s->rescue_engine) tsr_engine_deinit(s->rescue_engine);
  tsr_free(&s->allocator, s->rescue_engine_mem);
  if (s->own_target) tsr_target_destroy(s->own_target);
  tsr_net_destroy(s->own_net);
  memset(s, 0, sizeof(*s));
}
