/* Networks and the .tsr file (see net.h for the format). */
#include <stdio.h>
#include <string.h>

#include "engine/gguf/gguf.h"
#include "engine/graph_internal.h"
#include "engine/net/net.h"

#define TSR_NET_FORMAT_VERSION 1u
#define TSR_NET_ALIGN 64u

/* ---- the network object ---- */

struct tsr_net_block {
  tsr_net_block *next;
  uint8_t pad[56];
  /* data follows, 64-byte aligned from the block start */
};

tsr_status tsr_net_create(const tsr_allocator *a, tsr_net **out, tsr_error *err) {
  if (a == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: NULL argument");
  tsr_net *n = tsr_alloc(a, sizeof(*n), 0);
  if (n == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "net: out of memory");
  memset(n, 0, sizeof(*n));
  n->allocator = *a;
  tsr_status s = tsr_graph_create(&n->allocator, &n->graph);
  if (s != TSR_OK) {
    tsr_free(a, n);
    return TSR_ERROR(err, s, "net: cannot create the graph");
  }
  *out = n;
  return TSR_OK;
}

void tsr_net_destroy(tsr_net *net) {
  if (net == NULL) return;
  tsr_allocator a = net->allocator;
  tsr_graph_destroy(net->graph);
  tsr_net_block *b = net->blocks;
  while (b != NULL) {
    tsr_net_block *nx = b->next;
    tsr_free(&a, b);
    b = nx;
  }
  if (net->gguf) tsr_gguf_free(net->gguf);
#ifndef TSR_NO_FILEIO
  if (net->has_file) tsr_file_unmap(&net->file);
#endif
  tsr_free(&a, net);
}

void *tsr_net_alloc(tsr_net *net, size_t size, size_t align) {
  if (net == NULL || align > 4096) return NULL;
  size_t hdr = sizeof(tsr_net_block);
  size_t al = align < 64 ? 64 : align;
  size_t off = (hdr + al - 1) & ~(al - 1);
  if (size > SIZE_MAX - off) return NULL;
  tsr_net_block *b = tsr_alloc(&net->allocator, off + size, al);
  if (b == NULL) return NULL;
  b->next = net->blocks;
  net->blocks = b;
  uint8_t *p = (uint8_t *)b + off;
  memset(p, 0, size);
  return p;
}

tsr_status tsr_net_add_io(tsr_net *net, bool input, const char *name, int32_t tensor, tsr_error *err) {
  uint32_t *n = input ? &net->n_inputs : &net->n_outputs;
  tsr_net_io *io = input ? net->inputs : net->outputs;
  if (*n >= TSR_NET_MAX_IO)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "net: more than %d %s", TSR_NET_MAX_IO, input ? "inputs" : "outputs");
  size_t len = strlen(name);
  char *copy = tsr_net_alloc(net, len + 1, 64);
  if (copy == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "net: out of memory");
  memcpy(copy, name, len + 1);
  io[*n].name = copy;
  io[*n].tensor = tensor;
  (*n)++;
  return TSR_OK;
}

int32_t tsr_net_find_io(const tsr_net *net, bool input, const char *name) {
  uint32_t n = input ? net->n_inputs : net->n_outputs;
  const tsr_net_io *io = input ? net->inputs : net->outputs;
  for (uint32_t i = 0; i < n; ++i) {
    if (strcmp(io[i].name, name) == 0) return (int32_t)i;
  }
  return -1;
}

/* ---- parameter encoding ---- */

/* One routine walks the fields of each op's parameters; encoding writes the
 * words, decoding reads them, so the two cannot drift apart. */
typedef struct pwalk {
  uint32_t *w;
  int n, cap;
  bool decode, overflow;
} pwalk;

static void w_u32(pwalk *v, uint32_t *x) {
  if (v->n >= v->cap) {
    v->overflow = true;
    return;
  }
  if (v->decode) *x = v->w[v->n];
  else v->w[v->n] = *x;
  v->n++;
}

static void w_i32(pwalk *v, int32_t *x) {
  uint32_t u = (uint32_t)*x;
  w_u32(v, &u);
  if (v->decode) *x = (int32_t)u;
}

static void w_f32(pwalk *v, float *x) {
  uint32_t u;
  memcpy(&u, x, 4);
  w_u32(v, &u);
  if (v->decode) memcpy(x, &u, 4);
}

static void w_bool(pwalk *v, bool *x) {
  uint32_t u = *x ? 1u : 0u;
  w_u32(v, &u);
  if (v->decode) *x = u != 0;
}

static void w_dyn(pwalk *v, tsr_dyn *d) {
  w_i32(v, &d->slot);
  w_i32(v, &d->offset);
}

static void w_conv(pwalk *v, tsr_conv2d_params *c) {
  for (int i = 0; i < 2; ++i) w_i32(v, &c->kernel[i]);
  for (int i = 0; i < 2; ++i) w_i32(v, &c->stride[i]);
  for (int i = 0; i < 2; ++i) w_i32(v, &c->dilation[i]);
  for (int i = 0; i < 4; ++i) w_i32(v, &c->pad[i]);
  w_i32(v, &c->groups);
  for (int i = 0; i < 2; ++i) w_i32(v, &c->output_padding[i]);
  w_i32(v, &c->activation);
  w_f32(v, &c->act_alpha);
  w_f32(v, &c->act_beta);
}

static bool walk_params(tsr_op_type type, tsr_op_params *p, pwalk *v) {
  switch (type) {
    case TSR_OP_MATMUL: w_f32(v, &p->matmul.alpha); break;
    case TSR_OP_RMSNORM:
    case TSR_OP_LAYERNORM: w_f32(v, &p->norm.eps); break;
    case TSR_OP_SOFTMAX:
      w_f32(v, &p->softmax.scale);
      w_bool(v, &p->softmax.causal);
      w_dyn(v, &p->softmax.q_pos);
      break;
    case TSR_OP_ROPE:
      w_i32(v, &p->rope.n_dims);
      w_i32(v, &p->rope.mode);
      w_f32(v, &p->rope.freq_base);
      w_f32(v, &p->rope.freq_scale);
      w_dyn(v, &p->rope.pos);
      break;
    case TSR_OP_ATTENTION:
      w_f32(v, &p->attention.scale);
      w_bool(v, &p->attention.causal);
      w_i32(v, &p->attention.window);
      w_dyn(v, &p->attention.q_pos);
      w_dyn(v, &p->attention.kv_len);
      break;
    case TSR_OP_UNARY:
      w_i32(v, &p->unary.kind);
      w_f32(v, &p->unary.alpha);
      w_f32(v, &p->unary.beta);
      break;
    case TSR_OP_BINARY: w_i32(v, &p->binary.kind); break;
    case TSR_OP_GET_ROWS: w_i32(v, &p->get_rows.reserved); break;
    case TSR_OP_SET_ROWS: w_dyn(v, &p->set_rows.pos); break;
    case TSR_OP_CONVERT: w_i32(v, &p->convert.reserved); break;
    case TSR_OP_CONCAT: w_i32(v, &p->concat.axis); break;
    case TSR_OP_CONV2D:
    case TSR_OP_CONV_TRANSPOSE2D: w_conv(v, &p->conv2d); break;
    case TSR_OP_POOL2D:
      w_i32(v, &p->pool2d.kind);
      for (int i = 0; i < 2; ++i) w_i32(v, &p->pool2d.kernel[i]);
      for (int i = 0; i < 2; ++i) w_i32(v, &p->pool2d.stride[i]);
      for (int i = 0; i < 2; ++i) w_i32(v, &p->pool2d.dilation[i]);
      for (int i = 0; i < 4; ++i) w_i32(v, &p->pool2d.pad[i]);
      w_bool(v, &p->pool2d.count_include_pad);
      w_bool(v, &p->pool2d.ceil_mode);
      break;
    case TSR_OP_RESIZE:
      w_i32(v, &p->resize.mode);
      w_i32(v, &p->resize.coord);
      w_i32(v, &p->resize.nearest);
      w_f32(v, &p->resize.scale[0]);
      w_f32(v, &p->resize.scale[1]);
      break;
    case TSR_OP_REDUCE:
      w_i32(v, &p->reduce.kind);
      w_u32(v, &p->reduce.axes);
      break;
    case TSR_OP_GATHER:
    case TSR_OP_GATHER_ELEMENTS:
    case TSR_OP_GATHER_ND:
    case TSR_OP_SCATTER_ND: w_i32(v, &p->gather.axis); break;
    case TSR_OP_TOPK:
      w_i32(v, &p->topk.k);
      w_bool(v, &p->topk.largest);
      w_bool(v, &p->topk.last_index);
      break;
    case TSR_OP_GRID_SAMPLE:
      w_i32(v, &p->grid_sample.mode);
      w_i32(v, &p->grid_sample.padding);
      w_bool(v, &p->grid_sample.align_corners);
      break;
    case TSR_OP_QUANTIZE_LINEAR:
    case TSR_OP_DEQUANTIZE_LINEAR: w_i32(v, &p->qlinear.axis); break;
    case TSR_OP_QLINEAR_CONV:
    case TSR_OP_QLINEAR_MATMUL:
    case TSR_OP_QLINEAR_BINARY:
      w_conv(v, &p->qop.conv);
      w_i32(v, &p->qop.kind);
      break;
    default: return false;
  }
  return !v->overflow;
}

int tsr_net_params_encode(tsr_op_type type, const tsr_op_params *p, uint32_t *words, int cap) {
  tsr_op_params copy = *p;
  pwalk v = {words, 0, cap, false, false};
  return walk_params(type, &copy, &v) ? v.n : -1;
}

tsr_status tsr_net_params_decode(tsr_op_type type, const uint32_t *words, int n, tsr_op_params *out) {
  tsr_op_params p;
  memset(&p, 0, sizeof(p));
  pwalk v = {(uint32_t *)(uintptr_t)words, 0, n, true, false};
  if (!walk_params(type, &p, &v) || v.n != n) return TSR_ERR_FORMAT;
  *out = p;
  return TSR_OK;
}

/* ---- writing ---- */

#define K_PREFIX "tsr.net."

static tsr_op_type op_from_name(const char *s, size_t len) {
  for (int t = 1; t < TSR_OP_COUNT; ++t) {
    const char *nm = tsr_op_type_name((tsr_op_type)t);
    if (strlen(nm) == len && memcmp(nm, s, len) == 0) return (tsr_op_type)t;
  }
  return TSR_OP_NONE;
}

static tsr_gguf_str gstr(const char *s) {
  tsr_gguf_str r = {s, s ? strlen(s) : 0};
  return r;
}

/* Temporary arrays the writer refers to until it has written the file. */
typedef struct wtmp {
  const tsr_allocator *a;
  void *p[32];
  int n;
} wtmp;

static void *talloc(wtmp *t, size_t size) {
  if (t->n == 32) return NULL;
  void *p = tsr_alloc(t->a, size ? size : 8, 64);
  if (p != NULL) {
    memset(p, 0, size ? size : 8);
    t->p[t->n++] = p;
  }
  return p;
}

static void tfree(wtmp *t) {
  for (int i = 0; i < t->n; ++i) tsr_free(t->a, t->p[i]);
}

#define WTRY(expr)                                                        \
  do {                                                                    \
    tsr_status s_ = (expr);                                               \
    if (s_ != TSR_OK) {                                                   \
      if (err && err->code == TSR_OK) TSR_ERROR(err, s_, "tsr: writing %s failed", #expr); \
      goto done;                                                          \
    }                                                                     \
  } while (0)

tsr_status tsr_net_write_tsr(const tsr_net *net, FILE *f, tsr_error *err) {
  if (net == NULL || f == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "tsr: NULL argument");
  if (err) tsr_error_clear(err);
  const tsr_graph *g = net->graph;
  const uint32_t nt = g->n_tensors, nn = g->n_nodes;
  wtmp tmp = {&net->allocator, {0}, 0};
  tsr_gguf_writer *w = NULL;
  tsr_status st = TSR_OK;
  tsr_gguf_str *tnames = talloc(&tmp, sizeof(tsr_gguf_str) * nt), *tdtype = talloc(&tmp, sizeof(tsr_gguf_str) * nt);
  int32_t *tkind = talloc(&tmp, sizeof(int32_t) * nt), *tndim = talloc(&tmp, sizeof(int32_t) * nt);
  int32_t *tbase = talloc(&tmp, sizeof(int32_t) * nt);
  uint32_t *tentry = talloc(&tmp, sizeof(uint32_t) * nt);
  int64_t *tshape = talloc(&tmp, sizeof(int64_t) * TSR_MAX_DIMS * nt), *tstride = talloc(&tmp, sizeof(int64_t) * TSR_MAX_DIMS * nt);
  uint64_t *toff = talloc(&tmp, sizeof(uint64_t) * nt);
  tsr_gguf_str *nop = talloc(&tmp, sizeof(tsr_gguf_str) * nn), *nname = talloc(&tmp, sizeof(tsr_gguf_str) * nn);
  int32_t *nsrc = talloc(&tmp, sizeof(int32_t) * TSR_OP_MAX_SRC * nn), *nnsrc = talloc(&tmp, sizeof(int32_t) * nn);
  int32_t *ndst = talloc(&tmp, sizeof(int32_t) * nn);
  uint32_t *nentry = talloc(&tmp, sizeof(uint32_t) * nn), *npoff = talloc(&tmp, sizeof(uint32_t) * (nn + 1));
  uint32_t *pwords = talloc(&tmp, sizeof(uint32_t) * 64 * (nn + 1));
  char *cnames = talloc(&tmp, (size_t)16 * nt);
  tsr_gguf_str ionames[2][TSR_NET_MAX_IO];
  int32_t iotensor[2][TSR_NET_MAX_IO];
  if (!tnames || !tdtype || !tkind || !tndim || !tbase || !tentry || !tshape || !tstride || !toff || !nop || !nname ||
      !nsrc || !nnsrc || !ndst || !nentry || !npoff || !pwords || !cnames) {
    st = TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "tsr: out of memory");
    goto done;
  }
  WTRY(tsr_gguf_writer_create(&net->allocator, TSR_NET_ALIGN, &w));
  WTRY(tsr_gguf_writer_add_str(w, "general.architecture", "tessera.net", strlen("tessera.net")));
  WTRY(tsr_gguf_writer_add_u32(w, K_PREFIX "version", TSR_NET_FORMAT_VERSION));
  WTRY(tsr_gguf_writer_add_str(w, K_PREFIX "source", net->format, strlen(net->format)));
  WTRY(tsr_gguf_writer_add_str(w, K_PREFIX "producer", net->producer, strlen(net->producer)));
  WTRY(tsr_gguf_writer_add_u64(w, K_PREFIX "opset", (uint64_t)net->opset));
  WTRY(tsr_gguf_writer_add_u32(w, K_PREFIX "source_nodes", net->source_nodes));
  WTRY(tsr_gguf_writer_add_u32(w, K_PREFIX "entries", g->n_entries));
  for (uint32_t i = 0; i < nt; ++i) {
    const tsr_gtensor *t = &g->tensors[i];
    tnames[i] = gstr(t->name);
    tdtype[i] = gstr(tsr_dtype_name(t->dtype));
    tkind[i] = (int32_t)t->kind;
    tndim[i] = t->ndim;
    tbase[i] = t->kind == TSR_TENSOR_VIEW ? t->base : -1;
    toff[i] = t->kind == TSR_TENSOR_VIEW ? t->offset : 0;
    tentry[i] = t->entry_mask;
    for (int d = 0; d < TSR_MAX_DIMS; ++d) {
      tshape[i * TSR_MAX_DIMS + d] = t->shape[d];
      tstride[i * TSR_MAX_DIMS + d] = t->kind == TSR_TENSOR_VIEW ? t->stride[d] : 0;
    }
    if (t->kind == TSR_TENSOR_CONST) {
      /* One 1-D GGUF tensor per constant, in its own type where GGML has one
       * (u8 is stored as i8: the metadata has the real dtype). */
      char *nm = cnames + (size_t)16 * i;
      snprintf(nm, 16, "c%u", (unsigned)i);
      tsr_dtype dt = t->dtype == TSR_DTYPE_U8 ? TSR_DTYPE_I8 : t->dtype;
      uint32_t gt = tsr_gguf_ggml_from_dtype(dt);
      if (gt == UINT32_MAX) {
        st = TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "tsr: constant %s of dtype %s cannot be stored", t->name,
                       tsr_dtype_name(t->dtype));
        goto done;
      }
      uint64_t ne = t->nbytes / tsr_dtype_block_bytes(dt) * (uint64_t)tsr_dtype_block_size(dt);
      if (ne == 0) ne = 1;
      WTRY(tsr_gguf_writer_add_tensor_ggml(w, nm, gt, 1, &ne, t->data));
    }
  }
  uint32_t pw = 0;
  for (uint32_t i = 0; i < nn; ++i) {
    const tsr_gnode *n = &g->nodes[i];
    nop[i] = gstr(tsr_op_type_name(n->type));
    nname[i] = gstr(n->name);
    nnsrc[i] = (int32_t)n->n_src;
    ndst[i] = n->dst;
    nentry[i] = n->entry;
    for (int k = 0; k < TSR_OP_MAX_SRC; ++k) nsrc[i * TSR_OP_MAX_SRC + k] = k < (int)n->n_src ? n->src[k] : -1;
    int np = tsr_net_params_encode(n->type, &n->p, pwords + pw, 64);
    if (np < 0) {
      st = TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "tsr: parameters of op %s cannot be stored", tsr_op_type_name(n->type));
      goto done;
    }
    npoff[i] = pw;
    pw += (uint32_t)np;
  }
  npoff[nn] = pw;
  WTRY(tsr_gguf_writer_add_arr_str(w, K_PREFIX "tensor.name", tnames, nt));
  WTRY(tsr_gguf_writer_add_arr_str(w, K_PREFIX "tensor.dtype", tdtype, nt));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "tensor.kind", TSR_GGUF_INT32, tkind, nt));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "tensor.ndim", TSR_GGUF_INT32, tndim, nt));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "tensor.shape", TSR_GGUF_INT64, tshape, (uint64_t)nt * TSR_MAX_DIMS));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "tensor.stride", TSR_GGUF_INT64, tstride, (uint64_t)nt * TSR_MAX_DIMS));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "tensor.base", TSR_GGUF_INT32, tbase, nt));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "tensor.offset", TSR_GGUF_UINT64, toff, nt));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "tensor.entry_mask", TSR_GGUF_UINT32, tentry, nt));
  WTRY(tsr_gguf_writer_add_arr_str(w, K_PREFIX "node.op", nop, nn));
  WTRY(tsr_gguf_writer_add_arr_str(w, K_PREFIX "node.name", nname, nn));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "node.n_src", TSR_GGUF_INT32, nnsrc, nn));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "node.src", TSR_GGUF_INT32, nsrc, (uint64_t)nn * TSR_OP_MAX_SRC));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "node.dst", TSR_GGUF_INT32, ndst, nn));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "node.entry", TSR_GGUF_UINT32, nentry, nn));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "node.params_offset", TSR_GGUF_UINT32, npoff, (uint64_t)nn + 1));
  WTRY(tsr_gguf_writer_add_arr(w, K_PREFIX "node.params", TSR_GGUF_UINT32, pwords, pw));
  for (int io = 0; io < 2; ++io) {
    uint32_t n = io == 0 ? net->n_inputs : net->n_outputs;
    const tsr_net_io *l = io == 0 ? net->inputs : net->outputs;
    for (uint32_t i = 0; i < n; ++i) {
      ionames[io][i] = gstr(l[i].name);
      iotensor[io][i] = l[i].tensor;
    }
    WTRY(tsr_gguf_writer_add_arr_str(w, io == 0 ? K_PREFIX "input.name" : K_PREFIX "output.name", ionames[io], n));
    WTRY(tsr_gguf_writer_add_arr(w, io == 0 ? K_PREFIX "input.tensor" : K_PREFIX "output.tensor", TSR_GGUF_INT32,
                                 iotensor[io], n));
  }
  st = tsr_gguf_writer_write(w, f, err);
  if (st == TSR_OK && fflush(f) != 0) st = TSR_ERROR(err, TSR_ERR_IO, "tsr: write failed");
done:
  if (st == TSR_OK && err && err->code != TSR_OK) st = err->code;
  tsr_gguf_writer_free(w);
  tfree(&tmp);
  return st;
}

/* ---- loading ---- */

bool tsr_net_is_tsr(const void *data, size_t size) { return data != NULL && size >= 4 && memcmp(data, "GGUF", 4) == 0; }

#define FMT(...) TSR_ERROR(err, TSR_ERR_FORMAT, __VA_ARGS__)

/* Array |key| of |n| elements of an integer type. */
static tsr_status get_int_arr(const tsr_gguf *g, const char *key, uint64_t n, const tsr_gguf_kv **out, tsr_error *err) {
  const tsr_gguf_kv *kv = tsr_gguf_get_kv(g, key);
  if (kv == NULL || kv->type != TSR_GGUF_ARRAY) return FMT("tsr: missing array %s", key);
  tsr_gguf_type t = kv->v.arr.type;
  if (t == TSR_GGUF_STRING || t == TSR_GGUF_FLOAT32 || t == TSR_GGUF_FLOAT64 || t == TSR_GGUF_BOOL)
    return FMT("tsr: array %s has elements of type %s", key, tsr_gguf_type_name(t));
  if (kv->v.arr.n != n) return FMT("tsr: array %s has %llu elements, %llu expected", key, (unsigned long long)kv->v.arr.n,
                                   (unsigned long long)n);
  *out = kv;
  return TSR_OK;
}

static tsr_status get_str_arr(const tsr_gguf *g, const char *key, uint64_t n, const tsr_gguf_kv **out, tsr_error *err) {
  const tsr_gguf_kv *kv = tsr_gguf_get_kv(g, key);
  if (kv == NULL || kv->type != TSR_GGUF_ARRAY || kv->v.arr.type != TSR_GGUF_STRING)
    return FMT("tsr: missing string array %s", key);
  if (kv->v.arr.n != n) return FMT("tsr: array %s has %llu elements, %llu expected", key, (unsigned long long)kv->v.arr.n,
                                   (unsigned long long)n);
  *out = kv;
  return TSR_OK;
}

/* Copies a blob string into a NUL-terminated buffer. */
static void cstr(tsr_gguf_str s, char *buf, size_t cap) {
  size_t n = s.len < cap - 1 ? (size_t)s.len : cap - 1;
  if (n) memcpy(buf, s.data, n);
  buf[n] = '\0';
}

static const char *kind_name(tsr_tensor_kind k) {
  static const char *const names[] = {"INTERNAL", "INPUT", "OUTPUT", "CONST", "STATE", "VIEW"};
  return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

/* Every tensor kind against the rest of the file: constant data exists for
 * exactly the CONST tensors, no node writes an INPUT or a CONST, and the
 * input and output lists name every INPUT and OUTPUT tensor. (A weight
 * re-marked as an input would otherwise run on whatever the caller wrote.) */
static tsr_status cross_check(const tsr_net *net, const tsr_gguf *gg, tsr_error *err) {
  const tsr_graph *g = net->graph;
  for (uint64_t i = 0; i < gg->n_tensors; ++i) {
    const tsr_gguf_str nm = gg->tensors[i].name;
    const int nl = (int)(nm.len > 32 ? 32 : nm.len);
    uint64_t id = 0, k = 1;
    for (; k < nm.len && nm.data[k] >= '0' && nm.data[k] <= '9' && id < (1u << 24); ++k) id = id * 10 + (uint64_t)(nm.data[k] - '0');
    if (nm.len < 2 || nm.data[0] != 'c' || k != nm.len || id >= g->n_tensors)
      return FMT("tsr: data tensor %.*s belongs to no tensor of the graph", nl, nm.data);
    if (g->tensors[id].kind != TSR_TENSOR_CONST)
      return FMT("tsr: tensor %s is marked %s, but the file holds constant data for it (%.*s)", g->tensors[id].name,
                 kind_name(g->tensors[id].kind), nl, nm.data);
  }
  for (uint32_t i = 0; i < g->n_nodes; ++i) {
    int32_t r = tsr_graph_root(g, g->nodes[i].dst);
    tsr_tensor_kind k = g->tensors[r].kind;
    if (k == TSR_TENSOR_INPUT || k == TSR_TENSOR_CONST)
      return FMT("tsr: node %s writes %s, an %s tensor", g->nodes[i].name, g->tensors[r].name, kind_name(k));
  }
  for (uint32_t t = 0; t < g->n_tensors; ++t) {
    tsr_tensor_kind k = g->tensors[t].kind;
    if (k != TSR_TENSOR_INPUT && k != TSR_TENSOR_OUTPUT) continue;
    bool in = k == TSR_TENSOR_INPUT;
    uint32_t n = in ? net->n_inputs : net->n_outputs, listed = 0;
    const tsr_net_io *l = in ? net->inputs : net->outputs;
    for (uint32_t j = 0; j < n; ++j) listed += l[j].tensor == (int32_t)t;
    if (listed == 0)
      return FMT("tsr: %s tensor %s is not listed in " K_PREFIX "%s.tensor", kind_name(k), g->tensors[t].name,
                 in ? "input" : "output");
  }
  return TSR_OK;
}

static tsr_status load_graph(tsr_net *net, const tsr_gguf *gg, tsr_error *err) {
  tsr_graph *g = net->graph;
  uint64_t ver = 0;
  TSR_TRY(tsr_gguf_get_u64(gg, K_PREFIX "version", &ver, err));
  if (ver != TSR_NET_FORMAT_VERSION)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "tsr: format version %llu (this build reads %u)", (unsigned long long)ver,
                     TSR_NET_FORMAT_VERSION);
  tsr_gguf_str s;
  if (tsr_gguf_get_str(gg, K_PREFIX "producer", &s, NULL) == TSR_OK) cstr(s, net->producer, sizeof(net->producer));
  uint64_t u = 0;
  if (tsr_gguf_get_u64(gg, K_PREFIX "opset", &u, NULL) == TSR_OK) net->opset = (int64_t)u;
  if (tsr_gguf_get_u64(gg, K_PREFIX "source_nodes", &u, NULL) == TSR_OK) net->source_nodes = (uint32_t)u;
  const tsr_gguf_kv *tn = NULL, *tdt = NULL, *tk = NULL, *tnd = NULL, *tsh = NULL, *tst = NULL, *tb = NULL, *to = NULL,
                    *te = NULL;
  const tsr_gguf_kv *kv = tsr_gguf_get_kv(gg, K_PREFIX "tensor.kind");
  if (kv == NULL || kv->type != TSR_GGUF_ARRAY) return FMT("tsr: missing array " K_PREFIX "tensor.kind");
  uint64_t nt = kv->v.arr.n;
  if (nt > (1u << 24)) return FMT("tsr: %llu tensors", (unsigned long long)nt);
  TSR_TRY(get_str_arr(gg, K_PREFIX "tensor.name", nt, &tn, err));
  TSR_TRY(get_str_arr(gg, K_PREFIX "tensor.dtype", nt, &tdt, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "tensor.kind", nt, &tk, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "tensor.ndim", nt, &tnd, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "tensor.shape", nt * TSR_MAX_DIMS, &tsh, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "tensor.stride", nt * TSR_MAX_DIMS, &tst, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "tensor.base", nt, &tb, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "tensor.offset", nt, &to, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "tensor.entry_mask", nt, &te, err));
  for (uint64_t i = 0; i < nt; ++i) {
    char name[TSR_NAME_MAX], dts[16];
    cstr(tsr_gguf_arr_str(tn, i), name, sizeof(name));
    cstr(tsr_gguf_arr_str(tdt, i), dts, sizeof(dts));
    int64_t kind = tsr_gguf_arr_i64(tk, i), nd = tsr_gguf_arr_i64(tnd, i);
    tsr_dtype dt = tsr_dtype_from_name(dts);
    if (dt == TSR_DTYPE_NONE) return FMT("tsr: tensor %s has unknown dtype '%s'", name, dts);
    if (nd < 0 || nd > TSR_MAX_DIMS) return FMT("tsr: tensor %s has %lld dimensions", name, (long long)nd);
    if (kind < TSR_TENSOR_INTERNAL || kind > TSR_TENSOR_VIEW) return FMT("tsr: tensor %s has kind %lld", name, (long long)kind);
    int64_t shape[TSR_MAX_DIMS], stride[TSR_MAX_DIMS], numel = 1;
    for (int d = 0; d < TSR_MAX_DIMS; ++d) {
      shape[d] = tsr_gguf_arr_i64(tsh, i * TSR_MAX_DIMS + (uint64_t)d);
      stride[d] = tsr_gguf_arr_i64(tst, i * TSR_MAX_DIMS + (uint64_t)d);
      if (d >= nd) continue;
      /* (Zero extents count as 1: the strides of the other dimensions still multiply.) */
      if (shape[d] < 0 || shape[d] > ((int64_t)1 << 40) || (shape[d] > 0 && numel > ((int64_t)1 << 40) / shape[d]))
        return FMT("tsr: tensor %s has extent %lld", name, (long long)shape[d]);
      numel *= shape[d] > 0 ? shape[d] : 1;
      if (stride[d] < -((int64_t)1 << 48) || stride[d] > ((int64_t)1 << 48))
        return FMT("tsr: tensor %s has stride %lld", name, (long long)stride[d]);
    }
    int32_t id = -1;
    tsr_status st;
    if (kind == TSR_TENSOR_VIEW) {
      int64_t base = tsr_gguf_arr_i64(tb, i);
      if (base < 0 || (uint64_t)base >= i) return FMT("tsr: view %s has base %lld", name, (long long)base);
      if (g->tensors[base].dtype != dt) return FMT("tsr: view %s differs in dtype from its base", name);
      /* Keep the graph's extent check free of overflow. */
      uint64_t off = (uint64_t)tsr_gguf_arr_i64(to, i);
      if (off > ((uint64_t)1 << 56)) return FMT("tsr: view %s has offset %llu", name, (unsigned long long)off);
      for (int d = 0; d < nd; ++d) {
        if (shape[d] > 0 && stride[d] > 0 && (shape[d] - 1) > (((int64_t)1 << 56) / stride[d]))
          return FMT("tsr: view %s spans too far", name);
      }
      st = tsr_graph_add_view(g, (int32_t)base, name, (int32_t)nd, shape, stride, (uint64_t)tsr_gguf_arr_i64(to, i), &id);
    } else {
      tsr_tensor_desc d;
      memset(&d, 0, sizeof(d));
      d.name = name;
      d.kind = (tsr_tensor_kind)kind;
      d.dtype = dt;
      d.ndim = (int32_t)nd;
      memcpy(d.shape, shape, sizeof(shape));
      d.entry_mask = (uint32_t)tsr_gguf_arr_i64(te, i);
      if (kind == TSR_TENSOR_CONST) {
        char cn[16];
        snprintf(cn, sizeof(cn), "c%llu", (unsigned long long)i);
        const tsr_gguf_tensor *gt = tsr_gguf_find_tensor(gg, cn);
        if (gt == NULL) return FMT("tsr: constant %s has no data (tensor %s)", name, cn);
        tsr_tensor t;
        if (tsr_tensor_init(&t, dt, (int32_t)nd, shape, NULL) != TSR_OK) return FMT("tsr: constant %s has a bad shape", name);
        size_t need = tsr_tensor_nbytes(&t);
        tsr_dtype sd = dt == TSR_DTYPE_U8 ? TSR_DTYPE_I8 : dt;
        if (gt->dtype != sd || gt->nbytes != (need ? need : tsr_dtype_block_bytes(dt)))
          return FMT("tsr: constant %s holds %llu bytes of %s, %zu bytes of %s expected", name,
                     (unsigned long long)gt->nbytes, tsr_dtype_name(gt->dtype), need, tsr_dtype_name(dt));
        d.data = gt->data;
      }
      st = tsr_graph_add_tensor(g, &d, &id);
    }
    if (st != TSR_OK) {
      tsr_error_copy(err, tsr_graph_error(g));
      return st == TSR_ERR_OUT_OF_MEMORY ? st : TSR_ERR_FORMAT;
    }
  }
  /* Nodes. */
  kv = tsr_gguf_get_kv(gg, K_PREFIX "node.dst");
  if (kv == NULL || kv->type != TSR_GGUF_ARRAY) return FMT("tsr: missing array " K_PREFIX "node.dst");
  uint64_t nn = kv->v.arr.n;
  if (nn > (1u << 24)) return FMT("tsr: %llu nodes", (unsigned long long)nn);
  const tsr_gguf_kv *nop = NULL, *nnm = NULL, *nns = NULL, *nsrc = NULL, *ndst = NULL, *nen = NULL, *npo = NULL,
                    *npw = NULL;
  TSR_TRY(get_str_arr(gg, K_PREFIX "node.op", nn, &nop, err));
  TSR_TRY(get_str_arr(gg, K_PREFIX "node.name", nn, &nnm, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "node.n_src", nn, &nns, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "node.src", nn * TSR_OP_MAX_SRC, &nsrc, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "node.dst", nn, &ndst, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "node.entry", nn, &nen, err));
  TSR_TRY(get_int_arr(gg, K_PREFIX "node.params_offset", nn + 1, &npo, err));
  kv = tsr_gguf_get_kv(gg, K_PREFIX "node.params");
  if (kv == NULL || kv->type != TSR_GGUF_ARRAY) return FMT("tsr: missing array " K_PREFIX "node.params");
  TSR_TRY(get_int_arr(gg, K_PREFIX "node.params", kv->v.arr.n, &npw, err));
  uint64_t total = npw->v.arr.n;
  for (uint64_t i = 0; i < nn; ++i) {
    char name[TSR_NAME_MAX];
    cstr(tsr_gguf_arr_str(nnm, i), name, sizeof(name));
    tsr_gguf_str ops = tsr_gguf_arr_str(nop, i);
    tsr_op_type type = op_from_name(ops.data, (size_t)ops.len);
    if (type == TSR_OP_NONE) return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "tsr: node %s has op '%.*s', unknown to this build", name, (int)(ops.len > 32 ? 32 : ops.len), ops.data);
    int64_t n_src = tsr_gguf_arr_i64(nns, i), dst = tsr_gguf_arr_i64(ndst, i), entry = tsr_gguf_arr_i64(nen, i);
    if (n_src < 0 || n_src > TSR_OP_MAX_SRC) return FMT("tsr: node %s has %lld sources", name, (long long)n_src);
    if (dst < 0 || (uint64_t)dst >= nt) return FMT("tsr: node %s writes tensor %lld", name, (long long)dst);
    if (entry < 0 || entry >= 8) return FMT("tsr: node %s has entry %lld", name, (long long)entry);
    int32_t src[TSR_OP_MAX_SRC];
    for (int k = 0; k < n_src; ++k) {
      int64_t si = tsr_gguf_arr_i64(nsrc, i * TSR_OP_MAX_SRC + (uint64_t)k);
      if (si < -1 || si >= (int64_t)nt) return FMT("tsr: node %s reads tensor %lld", name, (long long)si);
      src[k] = (int32_t)si;
    }
    int64_t p0 = tsr_gguf_arr_i64(npo, i), p1 = tsr_gguf_arr_i64(npo, i + 1);
    if (p0 < 0 || p1 < p0 || (uint64_t)p1 > total || p1 - p0 > 64) return FMT("tsr: node %s has bad parameter offsets", name);
    uint32_t words[64];
    for (int64_t k = p0; k < p1; ++k) words[k - p0] = (uint32_t)tsr_gguf_arr_i64(npw, (uint64_t)k);
    tsr_op_params p;
    if (tsr_net_params_decode(type, words, (int)(p1 - p0), &p) != TSR_OK)
      return FMT("tsr: node %s (%s) has %lld parameter words, which this build does not read", name,
                 tsr_op_type_name(type), (long long)(p1 - p0));
    tsr_status st = tsr_graph_set_entry(g, (uint32_t)entry);
    if (st == TSR_OK) st = tsr_graph_add_node(g, type, &p, src, (uint32_t)n_src, (int32_t)dst, name);
    if (st != TSR_OK) {
      tsr_error_copy(err, tsr_graph_error(g));
      return st == TSR_ERR_OUT_OF_MEMORY ? st : TSR_ERR_FORMAT;
    }
  }
  /* Inputs and outputs. */
  for (int io = 0; io < 2; ++io) {
    const char *kn = io == 0 ? K_PREFIX "input.name" : K_PREFIX "output.name";
    kv = tsr_gguf_get_kv(gg, kn);
    if (kv == NULL || kv->type != TSR_GGUF_ARRAY) return FMT("tsr: missing array %s", kn);
    uint64_t n = kv->v.arr.n;
    if (n > TSR_NET_MAX_IO || (io == 1 && n == 0)) return FMT("tsr: %llu %s", (unsigned long long)n, io ? "outputs" : "inputs");
    const tsr_gguf_kv *names = NULL, *tens = NULL;
    TSR_TRY(get_str_arr(gg, kn, n, &names, err));
    TSR_TRY(get_int_arr(gg, io == 0 ? K_PREFIX "input.tensor" : K_PREFIX "output.tensor", n, &tens, err));
    for (uint64_t i = 0; i < n; ++i) {
      char name[512];
      cstr(tsr_gguf_arr_str(names, i), name, sizeof(name));
      int64_t t = tsr_gguf_arr_i64(tens, i);
      tsr_tensor_kind want = io == 0 ? TSR_TENSOR_INPUT : TSR_TENSOR_OUTPUT;
      if (t < 0 || (uint64_t)t >= nt || g->tensors[t].kind != want)
        return FMT("tsr: %s %s is not an %s tensor", io ? "output" : "input", name, io ? "OUTPUT" : "INPUT");
      TSR_TRY(tsr_net_add_io(net, io == 0, name, (int32_t)t, err));
    }
  }
  TSR_TRY(cross_check(net, gg, err));
  tsr_status st = tsr_graph_validate(g);
  if (st != TSR_OK) {
    tsr_error_copy(err, tsr_graph_error(g));
    return st;
  }
  return TSR_OK;
}

tsr_status tsr_net_load_tsr(const void *data, size_t size, const tsr_allocator *a, tsr_net **out, tsr_error *err) {
  if (data == NULL || a == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "tsr: NULL argument");
  tsr_gguf *gg = NULL;
  TSR_TRY(tsr_gguf_parse(data, size, a, &gg, err));
  tsr_gguf_str arch;
  if (tsr_gguf_get_str(gg, "general.architecture", &arch, NULL) != TSR_OK || !tsr_gguf_str_eq(arch, "tessera.net")) {
    tsr_gguf_free(gg);
    return TSR_ERROR(err, TSR_ERR_FORMAT, "tsr: not a Tessera network file (general.architecture is not tessera.net)");
  }
  tsr_net *net = NULL;
  tsr_status s = tsr_net_create(a, &net, err);
  if (s != TSR_OK) {
    tsr_gguf_free(gg);
    return s;
  }
  net->gguf = gg;
  snprintf(net->format, sizeof(net->format), "tsr");
  s = load_graph(net, gg, err);
  if (s != TSR_OK) {
    tsr_net_destroy(net);
    return s;
  }
  *out = net;
  return TSR_OK;
}
