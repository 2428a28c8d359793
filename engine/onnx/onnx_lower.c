/* ONNX import, pass 3: the remaining run-time nodes become graph nodes.
 *
 * Before lowering, uses are recounted for run time (folded nodes read
 * nothing), int8 QDQ patterns are found (DequantizeLinear -> Conv ->
 * QuantizeLinear becomes QLINEAR_CONV, DequantizeLinear x2 -> Add/Mul ->
 * QuantizeLinear becomes QLINEAR_BINARY) and nodes whose results nobody
 * reads are dropped. Then nodes are lowered in order; a node heading a
 * pattern (Conv + BatchNorm + bias + activation, MatMul + bias, Sigmoid x Mul,
 * the LayerNorm and GELU sub-graphs) consumes the nodes after it. Layout
 * changes are views wherever the data need not move; an op that needs a
 * dense input gets one copy (cached per tensor). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/graph_internal.h"
#include "engine/onnx/onnx_ir.h"

#define MAXD TSR_MAX_DIMS

typedef enum plan_kind { PLAN_QCONV = 1, PLAN_QBINARY } plan_kind;

/* An int8 pattern: the values the fused op reads, and the value it writes. */
typedef struct ox_plan {
  plan_kind kind;
  int32_t src[9]; /* QCONV: xq xs xzp wq ws wzp ys yzp bq; QBINARY: aq as azp bq bs bzp ys yzp */
  int32_t out;    /* the QuantizeLinear output the fused op produces */
  int32_t binary; /* tsr_binary_kind for QBINARY */
} ox_plan;

/* ---- graph helpers ---- */

static tsr_status gfail(ox_ctx *c, tsr_status s) {
  if (s != TSR_OK) tsr_error_copy(c->err, tsr_graph_error(c->g));
  return s;
}

static tsr_status new_root(ox_ctx *c, const char *name, tsr_tensor_kind kind, tsr_dtype dt, int32_t nd,
                           const int64_t *shape, const void *data, int32_t *out) {
  for (int i = 0; i < nd && kind != TSR_TENSOR_CONST; ++i) {
    if (shape[i] == 0) return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: %s would be an empty tensor", name);
  }
  tsr_tensor_desc d;
  memset(&d, 0, sizeof(d));
  d.name = name;
  d.kind = kind;
  d.dtype = dt;
  d.ndim = nd;
  for (int i = 0; i < nd; ++i) d.shape[i] = shape[i];
  d.data = data;
  return gfail(c, tsr_graph_add_tensor(c->g, &d, out));
}

static const char *mkname(char *buf, const char *base, const char *suffix) {
  snprintf(buf, TSR_NAME_MAX, "%s:%s", base, suffix);
  return buf;
}

static void describe(ox_ctx *c, int32_t tid, tsr_tensor *t) { tsr_graph_describe(c->g, tid, t); }

static tsr_status emit(ox_ctx *c, tsr_op_type type, const tsr_op_params *p, const int32_t *src, uint32_t n,
                       int32_t dst, const char *name) {
  return gfail(c, tsr_graph_add_node(c->g, type, p, src, n, dst, name));
}

static tsr_status view(ox_ctx *c, int32_t base, const char *name, int32_t nd, const int64_t *shape,
                       const int64_t *stride, uint64_t offset, int32_t *out) {
  return gfail(c, tsr_graph_add_view(c->g, base, name, nd, shape, stride, offset, out));
}

/* A constant tensor holding a copy of |data|. */
static tsr_status new_const(ox_ctx *c, const char *name, tsr_dtype dt, int32_t nd, const int64_t *shape,
                            const void *data, int32_t *out) {
  int64_t numel = 1;
  for (int i = 0; i < nd; ++i) numel *= shape[i];
  size_t nb = (size_t)numel * tsr_dtype_block_bytes(dt);
  void *p = tsr_net_alloc(c->net, nb ? nb : 1, 64);
  if (p == NULL) return OX_FAIL(c, TSR_ERR_OUT_OF_MEMORY, "onnx: %zu bytes for constant %s", nb, name);
  if (nb) memcpy(p, data, nb);
  return new_root(c, name, TSR_TENSOR_CONST, dt, nd, shape, p, out);
}

/* The tensor of value |v|: lowered already, or a constant made now. */
static tsr_status tid_of(ox_ctx *c, ox_value *v, int32_t *out) {
  if (v->tid >= 0) {
    *out = v->tid;
    return TSR_OK;
  }
  if (v->cdata == NULL) return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: value %s is read before it is computed", v->name);
  TSR_TRY(new_const(c, v->name, v->dtype, v->ndim, v->shape, v->cdata, &v->tid));
  *out = v->tid;
  return TSR_OK;
}

static bool is_contig(ox_ctx *c, int32_t tid) {
  tsr_tensor t;
  describe(c, tid, &t);
  return tsr_tensor_is_contiguous(&t);
}

/* |tid| itself if dense, else a dense copy of it (made once per tensor). */
static tsr_status contig(ox_ctx *c, int32_t tid, int32_t *out) {
  if (is_contig(c, tid)) {
    *out = tid;
    return TSR_OK;
  }
  if ((uint32_t)tid >= c->contig_cap) {
    uint32_t cap = c->contig_cap ? c->contig_cap : 256;
    while (cap <= (uint32_t)tid) cap *= 2;
    int32_t *a = ox_alloc(c, sizeof(int32_t) * cap);
    if (a == NULL) return TSR_ERR_OUT_OF_MEMORY;
    memset(a, 0xff, sizeof(int32_t) * cap);
    if (c->contig) memcpy(a, c->contig, sizeof(int32_t) * c->contig_cap);
    c->contig = a;
    c->contig_cap = cap;
  }
  if (c->contig[tid] >= 0) {
    *out = c->contig[tid];
    return TSR_OK;
  }
  tsr_tensor t;
  describe(c, tid, &t);
  char nm[TSR_NAME_MAX];
  int32_t d = 0;
  TSR_TRY(new_root(c, mkname(nm, tsr_graph_tensor_name(c->g, tid), "dense"), TSR_TENSOR_INTERNAL, t.dtype, t.ndim,
                   t.shape, NULL, &d));
  tsr_op_params p;
  memset(&p, 0, sizeof(p));
  TSR_TRY(emit(c, TSR_OP_CONVERT, &p, &tid, 1, d, nm));
  c->contig[tid] = d;
  *out = d;
  return TSR_OK;
}

/* Dense tensor of input |v|. */
static tsr_status dense_in(ox_ctx *c, ox_value *v, int32_t *out) {
  int32_t t = 0;
  TSR_TRY(tid_of(c, v, &t));
  return contig(c, t, out);
}

static bool same_shape(int32_t na, const int64_t *a, int32_t nb, const int64_t *b) {
  if (na != nb) return false;
  for (int i = 0; i < na; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

/* The root tensor an op writes for value |v|, with the op's own shape: an
 * OUTPUT when |v| is a graph output of exactly that shape. */
static tsr_status value_out(ox_ctx *c, ox_value *v, int32_t *out);

static int32_t concat_axis(ox_ctx *c, const ox_node *n) {
  int64_t axis = 1;
  if (ox_attr_int(c, n, "axis", 1, &axis) != TSR_OK) return -1;
  const ox_value *y = ox_out(c, n, 0);
  return (int32_t)(axis < 0 ? axis + y->ndim : axis);
}

/* The window of a Concat's output that value |v| is written into in place. */
static tsr_status placed_window(ox_ctx *c, ox_value *v, int32_t *out) {
  const ox_node *cn = &c->nodes[v->place_concat];
  ox_value *y = ox_out(c, cn, 0);
  int32_t yt = y->tid;
  if (yt < 0) TSR_TRY(value_out(c, y, &yt));
  tsr_tensor d;
  describe(c, yt, &d);
  int32_t axis = concat_axis(c, cn);
  TSR_TRY(view(c, yt, v->name, v->ndim, v->shape, d.stride, (uint64_t)(v->place_offset * d.stride[axis]), out));
  v->placed = true;
  return TSR_OK;
}

static tsr_status value_root(ox_ctx *c, ox_value *v, tsr_dtype dt, int32_t nd, const int64_t *shape, int32_t *out) {
  bool exact = dt == v->dtype && same_shape(nd, shape, v->ndim, v->shape);
  if (exact && v->place_concat >= 0) return placed_window(c, v, out);
  char nm[TSR_NAME_MAX];
  const char *name = exact ? v->name : mkname(nm, v->name, "raw");
  return new_root(c, name, (exact && v->graph_output) ? TSR_TENSOR_OUTPUT : TSR_TENSOR_INTERNAL, dt, nd, shape, NULL,
                  out);
}

/* Strides viewing |t| as |s|, when the two shapes differ only by extents
 * of 1 (any strides work then); false otherwise. */
static bool unit_reshape(const tsr_tensor *t, int32_t nd, const int64_t *s, int64_t *st) {
  int j = 0;
  for (int i = 0; i < nd; ++i) {
    st[i] = -1;
    if (s[i] == 1) continue;
    while (j < t->ndim && t->shape[j] == 1) ++j;
    if (j >= t->ndim || t->shape[j] != s[i]) return false;
    st[i] = t->stride[j++];
  }
  while (j < t->ndim && t->shape[j] == 1) ++j;
  if (j != t->ndim) return false;
  for (int i = nd - 1; i >= 0; --i) {
    if (st[i] < 0) st[i] = i == nd - 1 ? (int64_t)tsr_dtype_block_bytes(t->dtype) : st[i + 1] * s[i + 1];
  }
  return true;
}

/* Gives |v| the tensor |tid| (reshaped to v's shape by a view if needed). */
static tsr_status bind_value(ox_ctx *c, ox_value *v, int32_t tid) {
  tsr_tensor t;
  describe(c, tid, &t);
  if (same_shape(t.ndim, t.shape, v->ndim, v->shape)) {
    v->tid = tid;
    return TSR_OK;
  }
  int64_t st[MAXD];
  if (!tsr_tensor_is_contiguous(&t) && unit_reshape(&t, v->ndim, v->shape, st))
    return view(c, tid, v->name, v->ndim, v->shape, st, 0, &v->tid);
  if (!tsr_tensor_is_contiguous(&t)) TSR_TRY(contig(c, tid, &tid));
  return view(c, tid, v->name, v->ndim, v->shape, NULL, 0, &v->tid);
}

static tsr_status value_out(ox_ctx *c, ox_value *v, int32_t *out) {
  TSR_TRY(value_root(c, v, v->dtype, v->ndim, v->shape, out));
  v->tid = *out;
  return TSR_OK;
}

static void init_params(tsr_op_params *p) { memset(p, 0, sizeof(*p)); }

/* ---- pattern helpers ---- */

static int32_t vid(const ox_ctx *c, const ox_value *v) { return (int32_t)(v - c->values); }

/* The one node still to run that reads |v|, if |v| has exactly one reader
 * at run time and is not a graph output. */
static ox_node *sole_user(ox_ctx *c, const ox_value *v) {
  if ((c->flags & TSR_ONNX_NO_FUSION) || v == NULL || v->graph_output || v->n_uses != 1) return NULL;
  int32_t id = vid(c, v);
  if ((uint32_t)id >= c->csr_values) return NULL;
  for (uint32_t k = c->use_start[id]; k < c->use_start[id + 1]; ++k) {
    ox_node *u = &c->nodes[c->use_node[k]];
    if (!u->done) return u;
  }
  return NULL;
}

/* The run-time readers of |v| (at most |cap|); -1 if there are more. */
static int users(ox_ctx *c, const ox_value *v, ox_node **out, int cap) {
  if ((c->flags & TSR_ONNX_NO_FUSION) || v->graph_output) return -1;
  int32_t id = vid(c, v);
  if ((uint32_t)id >= c->csr_values) return -1;
  int n = 0;
  for (uint32_t k = c->use_start[id]; k < c->use_start[id + 1]; ++k) {
    ox_node *u = &c->nodes[c->use_node[k]];
    if (u->done) continue;
    bool dup = false;
    for (int i = 0; i < n; ++i) dup = dup || out[i] == u;
    if (dup) continue;
    if (n == cap) return -1;
    out[n++] = u;
  }
  return n;
}

static bool is_scalar_const(const ox_value *v) { return v != NULL && v->cdata != NULL && ox_numel(v) == 1 && v->dtype == TSR_DTYPE_F32; }

static float scalar_of(const ox_value *v) { return (float)ox_get_f64(v, 0); }

/* The input of binary node |n| that is not |v|, or NULL. */
static ox_value *other_input(ox_ctx *c, const ox_node *n, const ox_value *v) {
  if (n->n_in != 2) return NULL;
  ox_value *a = ox_in(c, n, 0), *b = ox_in(c, n, 1);
  if (a == v) return b;
  if (b == v) return a;
  return NULL;
}

/* An activation the conv can fuse: |v|'s only reader is one of them. */
typedef struct act_match {
  int32_t kind;
  float alpha, beta;
  ox_value *out;
  ox_node *nodes[2];
  int n_nodes;
} act_match;

static tsr_status clip_bounds(ox_ctx *c, const ox_node *n, float *lo, float *hi, bool *ok) {
  *lo = -INFINITY;
  *hi = INFINITY;
  *ok = true;
  if (c->opset < 11) {
    TSR_TRY(ox_attr_float(c, n, "min", -INFINITY, lo));
    TSR_TRY(ox_attr_float(c, n, "max", INFINITY, hi));
    return TSR_OK;
  }
  ox_value *a = ox_in(c, n, 1), *b = ox_in(c, n, 2);
  if ((a && !is_scalar_const(a)) || (b && !is_scalar_const(b))) {
    *ok = false;
    return TSR_OK;
  }
  if (a) *lo = scalar_of(a);
  if (b) *hi = scalar_of(b);
  return TSR_OK;
}

/* A PRelu slope that is one value for every channel. */
static bool uniform_slope(const ox_value *s, float *alpha) {
  if (s == NULL || s->cdata == NULL || s->dtype != TSR_DTYPE_F32) return false;
  float a0 = (float)ox_get_f64(s, 0);
  for (int64_t i = 1; i < ox_numel(s); ++i) {
    if ((float)ox_get_f64(s, i) != a0) return false;
  }
  *alpha = a0;
  return true;
}

/* The unary kind of a standalone activation node (its params too), or -1. */
static tsr_status unary_kind(ox_ctx *c, const ox_node *u, int32_t *kind, float *alpha, float *beta) {
  *kind = -1;
  *alpha = *beta = 0;
  switch (u->op) {
    case OX_RELU: *kind = TSR_UNARY_RELU; break;
    case OX_SIGMOID: *kind = TSR_UNARY_SIGMOID; break;
    case OX_TANH: *kind = TSR_UNARY_TANH; break;
    case OX_HARD_SWISH: *kind = TSR_UNARY_HARD_SWISH; break;
    case OX_ERF: *kind = TSR_UNARY_ERF; break;
    case OX_SQRT: *kind = TSR_UNARY_SQRT; break;
    case OX_EXP: *kind = TSR_UNARY_EXP; break;
    case OX_NEG: *kind = TSR_UNARY_NEG; break;
    case OX_ABS: *kind = TSR_UNARY_ABS; break;
    case OX_LEAKY_RELU:
      *kind = TSR_UNARY_LEAKY_RELU;
      TSR_TRY(ox_attr_float(c, u, "alpha", 0.01f, alpha));
      break;
    case OX_HARD_SIGMOID:
      *kind = TSR_UNARY_HARD_SIGMOID;
      TSR_TRY(ox_attr_float(c, u, "alpha", 0.2f, alpha));
      TSR_TRY(ox_attr_float(c, u, "beta", 0.5f, beta));
      break;
    case OX_CLIP: {
      bool ok;
      TSR_TRY(clip_bounds(c, u, alpha, beta, &ok));
      if (ok) *kind = TSR_UNARY_CLIP;
      break;
    }
    case OX_PRELU: {
      float a;
      if (uniform_slope(ox_in(c, u, 1), &a) && ox_numel(ox_in(c, u, 1)) >= 1) {
        *kind = TSR_UNARY_LEAKY_RELU;
        *alpha = a;
      }
      break;
    }
    default: break;
  }
  return TSR_OK;
}

/* x * sigmoid(x): |s| is a Sigmoid of |x| whose only reader multiplies it by x. */
static ox_node *silu_mul(ox_ctx *c, const ox_node *s, const ox_value *x) {
  if (s->op != OX_SIGMOID || ox_in(c, s, 0) != x) return NULL;
  ox_node *m = sole_user(c, ox_out(c, s, 0));
  if (m == NULL || m->op != OX_MUL || other_input(c, m, ox_out(c, s, 0)) != x) return NULL;
  return m;
}

static tsr_status match_act(ox_ctx *c, ox_value *v, act_match *m) {
  memset(m, 0, sizeof(*m));
  m->kind = -1;
  if (c->flags & TSR_ONNX_NO_FUSION) return TSR_OK;
  ox_node *us[3];
  int nu = users(c, v, us, 3);
  if (nu == 1 && v->n_uses == 1) {
    ox_node *u = us[0];
    if (ox_in(c, u, 0) != v || u->op == OX_ERF || u->op == OX_SQRT || u->op == OX_EXP || u->op == OX_NEG ||
        u->op == OX_ABS)
      return TSR_OK;
    if (u->op == OX_PRELU && ox_in(c, u, 1) == v) return TSR_OK;
    TSR_TRY(unary_kind(c, u, &m->kind, &m->alpha, &m->beta));
    if (m->kind < 0) return TSR_OK;
    m->out = ox_out(c, u, 0);
    m->nodes[0] = u;
    m->n_nodes = 1;
    return TSR_OK;
  }
  if (nu == 2 && v->n_uses == 2) {
    for (int i = 0; i < 2; ++i) {
      ox_node *mul = silu_mul(c, us[i], v);
      if (mul != NULL && mul == us[1 - i]) {
        m->kind = TSR_UNARY_SILU;
        m->out = ox_out(c, mul, 0);
        m->nodes[0] = us[i];
        m->nodes[1] = mul;
        m->n_nodes = 2;
        return TSR_OK;
      }
    }
  }
  return TSR_OK;
}

static void take(act_match *m) {
  for (int i = 0; i < m->n_nodes; ++i) m->nodes[i]->done = true;
}

/* ---- convolution ---- */

static void set_window(tsr_conv2d_params *p, const ox_window *w) {
  for (int i = 0; i < 2; ++i) {
    p->kernel[i] = (int32_t)w->kernel[i];
    p->stride[i] = (int32_t)w->stride[i];
    p->dilation[i] = (int32_t)w->dilation[i];
  }
  for (int i = 0; i < 4; ++i) p->pad[i] = (int32_t)w->pad[i];
}

/* 4-D shape of a model tensor whose spatial part may be 1-D. */
static void as_4d(const ox_value *v, int64_t *s) {
  s[0] = v->shape[0];
  s[1] = v->shape[1];
  if (v->ndim == 4) {
    s[2] = v->shape[2];
    s[3] = v->shape[3];
  } else {
    s[2] = 1;
    s[3] = v->shape[2];
  }
}

/* Dense 4-D tensor of a conv/pool input. */
static tsr_status input_4d(ox_ctx *c, ox_value *x, int32_t *out) {
  int32_t t = 0;
  TSR_TRY(dense_in(c, x, &t));
  if (x->ndim == 4) {
    *out = t;
    return TSR_OK;
  }
  int64_t s[4];
  as_4d(x, s);
  char nm[TSR_NAME_MAX];
  return view(c, t, mkname(nm, x->name, "4d"), 4, s, NULL, 0, out);
}

/* Output |v| of a 4-D op whose model shape may be 3-D. */
static tsr_status output_4d(ox_ctx *c, ox_value *v, int64_t n, int64_t ch, const ox_window *w, tsr_dtype dt,
                            int32_t *out) {
  int64_t s[4] = {n, ch, w->out[0], w->out[1]};
  TSR_TRY(value_root(c, v, dt, 4, s, out));
  return bind_value(c, v, *out);
}

static tsr_status lower_conv(ox_ctx *c, ox_node *n) {
  bool tr = n->op == OX_CONV_TRANSPOSE;
  ox_value *x = ox_in(c, n, 0), *w = ox_in(c, n, 1), *b = ox_in(c, n, 2), *y = ox_out(c, n, 0);
  if (w->cdata == NULL) return OX_UNSUPPORTED(c, n, "run-time weights");
  if (w->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "weight dtype %s", tsr_dtype_name(w->dtype));
  if (b != NULL && (b->cdata == NULL || b->dtype != TSR_DTYPE_F32 || ox_numel(b) != y->shape[1]))
    return OX_UNSUPPORTED(c, n, "a run-time or mis-shaped bias");
  int64_t group = 1;
  TSR_TRY(ox_attr_int(c, n, "group", 1, &group));
  int32_t nsp = x->ndim - 2;
  int64_t op[2] = {0, 0};
  if (tr) {
    int64_t v[4];
    int nv;
    TSR_TRY(ox_attr_ints(c, n, "output_padding", v, 4, &nv));
    for (int i = 0; i < nv; ++i) op[2 - nsp + i] = v[i];
  }
  ox_window win;
  TSR_TRY(ox_window_params(c, n, x->shape + 2, nsp, w->shape + 2, tr, tr ? op : NULL, &win));
  const int64_t m = y->shape[1];
  const int64_t wn = ox_numel(w);
  /* Folded weights and bias, in scratch until made constants. */
  float *wf = NULL, *bf = NULL;
  bool wmod = false, bmod = false;
  ox_value *cur = y;
  if (!(c->flags & TSR_ONNX_NO_FUSION)) {
    ox_node *u = sole_user(c, cur);
    if (!tr && u != NULL && u->op == OX_BATCH_NORM && ox_in(c, u, 0) == cur) {
      /* y' = (y - mean) * gamma / sqrt(var + eps) + beta, folded per output channel. */
      float eps;
      TSR_TRY(ox_attr_float(c, u, "epsilon", 1e-5f, &eps));
      wf = ox_alloc(c, sizeof(float) * (size_t)wn);
      bf = ox_alloc(c, sizeof(float) * (size_t)m);
      if (!wf || !bf) return TSR_ERR_OUT_OF_MEMORY;
      memcpy(wf, w->cdata, sizeof(float) * (size_t)wn);
      for (int64_t k = 0; k < m; ++k) bf[k] = b ? (float)ox_get_f64(b, k) : 0.0f;
      ox_value *ga = ox_in(c, u, 1), *be = ox_in(c, u, 2), *mu = ox_in(c, u, 3), *va = ox_in(c, u, 4);
      int64_t per = wn / m;
      for (int64_t k = 0; k < m; ++k) {
        float s = (float)ox_get_f64(ga, k) / sqrtf((float)ox_get_f64(va, k) + eps);
        for (int64_t i = 0; i < per; ++i) wf[k * per + i] *= s;
        bf[k] = (bf[k] - (float)ox_get_f64(mu, k)) * s + (float)ox_get_f64(be, k);
      }
      wmod = bmod = true;
      u->done = true;
      cur = ox_out(c, u, 0);
    }
    u = sole_user(c, cur);
    if (u != NULL && u->op == OX_ADD) {
      /* A per-channel constant added to the output is bias. */
      ox_value *o = other_input(c, u, cur);
      bool ok = o != NULL && o->cdata != NULL && o->dtype == TSR_DTYPE_F32 && ox_numel(o) == m && o->ndim <= cur->ndim;
      for (int i = 0; ok && i < o->ndim; ++i) {
        int d = i + (cur->ndim - o->ndim);
        ok = (d == 1) ? o->shape[i] == m : o->shape[i] == 1;
      }
      if (ok && same_shape(ox_out(c, u, 0)->ndim, ox_out(c, u, 0)->shape, cur->ndim, cur->shape)) {
        if (bf == NULL) {
          bf = ox_alloc(c, sizeof(float) * (size_t)m);
          if (bf == NULL) return TSR_ERR_OUT_OF_MEMORY;
          for (int64_t k = 0; k < m; ++k) bf[k] = b ? (float)ox_get_f64(b, k) : 0.0f;
        }
        for (int64_t k = 0; k < m; ++k) bf[k] += (float)ox_get_f64(o, k);
        bmod = true;
        u->done = true;
        cur = ox_out(c, u, 0);
      }
    }
  }
  /* PRelu with one slope per output channel: the conv's slope operand. */
  ox_value *slope = NULL;
  {
    ox_node *u = sole_user(c, cur);
    float ua;
    if (u != NULL && u->op == OX_PRELU && ox_in(c, u, 0) == cur && !uniform_slope(ox_in(c, u, 1), &ua)) {
      ox_value *sl = ox_in(c, u, 1);
      bool ok = sl->cdata != NULL && sl->dtype == TSR_DTYPE_F32 && ox_numel(sl) == m && sl->ndim <= cur->ndim &&
                same_shape(ox_out(c, u, 0)->ndim, ox_out(c, u, 0)->shape, cur->ndim, cur->shape);
      for (int i = 0; ok && i < sl->ndim; ++i) {
        int d = i + (cur->ndim - sl->ndim);
        ok = (d == 1) ? sl->shape[i] == m : sl->shape[i] == 1;
      }
      if (ok) {
        slope = sl;
        u->done = true;
        cur = ox_out(c, u, 0);
      }
    }
  }
  act_match am;
  if (slope == NULL) {
    TSR_TRY(match_act(c, cur, &am));
  } else {
    memset(&am, 0, sizeof(am));
    am.kind = -1;
  }
  tsr_op_params p;
  init_params(&p);
  set_window(&p.conv2d, &win);
  p.conv2d.groups = (int32_t)group;
  p.conv2d.output_padding[0] = (int32_t)op[0];
  p.conv2d.output_padding[1] = (int32_t)op[1];
  p.conv2d.activation = -1;
  if (am.kind >= 0) {
    p.conv2d.activation = am.kind;
    p.conv2d.act_alpha = am.alpha;
    p.conv2d.act_beta = am.beta;
    take(&am);
    cur = am.out;
  }
  if (slope != NULL) p.conv2d.activation = TSR_UNARY_LEAKY_RELU;
  int32_t src[4] = {-1, -1, -1, -1};
  TSR_TRY(input_4d(c, x, &src[0]));
  if (slope != NULL) {
    TSR_TRY(tid_of(c, slope, &src[3]));
    if (slope->ndim != 1) TSR_TRY(view(c, src[3], slope->name, 1, &m, NULL, 0, &src[3]));
  }
  int64_t ws[4];
  as_4d(w, ws);
  char nm[TSR_NAME_MAX];
  if (wmod || nsp == 1) {
    TSR_TRY(new_const(c, wmod ? mkname(nm, w->name, "folded") : w->name, TSR_DTYPE_F32, 4, ws, wmod ? (void *)wf : w->cdata,
                      &src[1]));
  } else {
    TSR_TRY(tid_of(c, w, &src[1]));
  }
  if (bmod) {
    TSR_TRY(new_const(c, mkname(nm, n->name, "bias"), TSR_DTYPE_F32, 1, &m, bf, &src[2]));
  } else if (b != NULL) {
    TSR_TRY(tid_of(c, b, &src[2]));
    if (b->ndim != 1) TSR_TRY(view(c, src[2], b->name, 1, &m, NULL, 0, &src[2]));
  }
  int32_t dst = 0;
  TSR_TRY(output_4d(c, cur, y->shape[0], m, &win, TSR_DTYPE_F32, &dst));
  return emit(c, tr ? TSR_OP_CONV_TRANSPOSE2D : TSR_OP_CONV2D, &p, src, src[3] >= 0 ? 4 : (src[2] >= 0 ? 3 : 2), dst,
              n->name);
}

/* A constant zero point of |dt| when the model leaves it out. */
static tsr_status zp_or_zero(ox_ctx *c, ox_value *zp, tsr_dtype dt, const char *base, int32_t *out) {
  if (zp != NULL) return tid_of(c, zp, out);
  uint8_t zero[8] = {0};
  char nm[TSR_NAME_MAX];
  return new_const(c, mkname(nm, base, "zero_point"), dt, 0, NULL, zero, out);
}

static tsr_status lower_qlinear_conv(ox_ctx *c, ox_node *n, const ox_plan *plan) {
  /* src: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias? */
  ox_value *v[9];
  ox_value *y = NULL;
  if (plan != NULL) {
    for (int i = 0; i < 9; ++i) v[i] = plan->src[i] >= 0 ? &c->values[plan->src[i]] : NULL;
    y = &c->values[plan->out];
  } else {
    for (int i = 0; i < 9; ++i) v[i] = ox_in(c, n, (uint32_t)i);
    y = ox_out(c, n, 0);
  }
  ox_value *x = v[0], *w = v[3];
  if (w->cdata == NULL) return OX_UNSUPPORTED(c, n, "run-time weights");
  if (v[8] != NULL && (v[8]->cdata == NULL || v[8]->dtype != TSR_DTYPE_I32)) return OX_UNSUPPORTED(c, n, "a non-int32 bias");
  int64_t group = 1;
  TSR_TRY(ox_attr_int(c, n, "group", 1, &group));
  ox_window win;
  TSR_TRY(ox_window_params(c, n, x->shape + 2, x->ndim - 2, w->shape + 2, false, NULL, &win));
  tsr_op_params p;
  init_params(&p);
  set_window(&p.qop.conv, &win);
  p.qop.conv.groups = (int32_t)group;
  p.qop.conv.activation = -1;
  int32_t src[9];
  TSR_TRY(input_4d(c, x, &src[0]));
  TSR_TRY(tid_of(c, v[1], &src[1]));
  TSR_TRY(zp_or_zero(c, v[2], x->dtype, x->name, &src[2]));
  if (w->ndim == 4) {
    TSR_TRY(tid_of(c, w, &src[3]));
  } else {
    int64_t ws[4];
    as_4d(w, ws);
    TSR_TRY(new_const(c, w->name, w->dtype, 4, ws, w->cdata, &src[3]));
  }
  TSR_TRY(tid_of(c, v[4], &src[4]));
  TSR_TRY(zp_or_zero(c, v[5], w->dtype, w->name, &src[5]));
  TSR_TRY(tid_of(c, v[6], &src[6]));
  TSR_TRY(zp_or_zero(c, v[7], y->dtype, y->name, &src[7]));
  uint32_t ns = 8;
  if (v[8] != NULL) {
    TSR_TRY(tid_of(c, v[8], &src[8]));
    ns = 9;
  }
  int32_t dst = 0;
  TSR_TRY(output_4d(c, y, x->shape[0], y->shape[1], &win, y->dtype, &dst));
  return emit(c, TSR_OP_QLINEAR_CONV, &p, src, ns, dst, n->name);
}

/* ---- pooling ---- */

static tsr_status lower_pool(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  tsr_op_params p;
  init_params(&p);
  ox_window win;
  memset(&win, 0, sizeof(win));
  if (n->op == OX_GLOBAL_AVERAGE_POOL || n->op == OX_GLOBAL_MAX_POOL) {
    if (x->ndim != 4 && x->ndim != 3) return OX_UNSUPPORTED(c, n, "input rank %d", (int)x->ndim);
    p.pool2d.kind = n->op == OX_GLOBAL_AVERAGE_POOL ? TSR_POOL_GLOBAL_AVG : TSR_POOL_GLOBAL_MAX;
    win.out[0] = win.out[1] = 1;
  } else {
    int64_t k0[2] = {0, 0};
    TSR_TRY(ox_window_params(c, n, x->shape + 2, x->ndim - 2, k0, false, NULL, &win));
    p.pool2d.kind = n->op == OX_MAX_POOL ? TSR_POOL_MAX : TSR_POOL_AVG;
    for (int i = 0; i < 2; ++i) {
      p.pool2d.kernel[i] = (int32_t)win.kernel[i];
      p.pool2d.stride[i] = (int32_t)win.stride[i];
      p.pool2d.dilation[i] = (int32_t)win.dilation[i];
    }
    for (int i = 0; i < 4; ++i) p.pool2d.pad[i] = (int32_t)win.pad[i];
    int64_t cip = 0;
    TSR_TRY(ox_attr_int(c, n, "count_include_pad", 0, &cip));
    p.pool2d.count_include_pad = cip != 0;
    p.pool2d.ceil_mode = win.ceil_mode;
  }
  int32_t src = 0, dst = 0;
  TSR_TRY(input_4d(c, x, &src));
  TSR_TRY(output_4d(c, y, x->shape[0], x->shape[1], &win, y->dtype, &dst));
  if (x->dtype == TSR_DTYPE_F32) return emit(c, TSR_OP_POOL2D, &p, &src, 1, dst, n->name);
  /* Max pooling of int8 values: max commutes with the exact widening to
   * float (scale 1, zero point 0), so widen, pool in f32, narrow back. */
  if (p.pool2d.kind != TSR_POOL_MAX && p.pool2d.kind != TSR_POOL_GLOBAL_MAX)
    return OX_UNSUPPORTED(c, n, "average pooling of %s values", tsr_dtype_name(x->dtype));
  char nm[TSR_NAME_MAX];
  float one = 1.0f;
  int32_t sc = 0, zp = 0, wide = 0, pooled = 0;
  tsr_tensor tx, ty;
  describe(c, src, &tx);
  describe(c, dst, &ty);
  TSR_TRY(new_const(c, mkname(nm, n->name, "unit_scale"), TSR_DTYPE_F32, 0, NULL, &one, &sc));
  TSR_TRY(zp_or_zero(c, NULL, x->dtype, n->name, &zp));
  TSR_TRY(new_root(c, mkname(nm, n->name, "wide"), TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 4, tx.shape, NULL, &wide));
  TSR_TRY(new_root(c, mkname(nm, n->name, "pooled"), TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 4, ty.shape, NULL, &pooled));
  tsr_op_params q;
  init_params(&q);
  int32_t s1[3] = {src, sc, zp}, s2[3] = {pooled, sc, zp};
  TSR_TRY(emit(c, TSR_OP_DEQUANTIZE_LINEAR, &q, s1, 3, wide, mkname(nm, n->name, "widen")));
  TSR_TRY(emit(c, TSR_OP_POOL2D, &p, &wide, 1, pooled, n->name));
  return emit(c, TSR_OP_QUANTIZE_LINEAR, &q, s2, 3, dst, mkname(nm, n->name, "narrow"));
}

/* ---- elementwise ---- */

static tsr_status emit_unary(ox_ctx *c, ox_node *n, ox_value *x, ox_value *y, int32_t kind, float alpha, float beta) {
  tsr_op_params p;
  init_params(&p);
  p.unary.kind = kind;
  p.unary.alpha = alpha;
  p.unary.beta = beta;
  int32_t src = 0, dst = 0;
  TSR_TRY(dense_in(c, x, &src));
  TSR_TRY(value_out(c, y, &dst));
  return emit(c, TSR_OP_UNARY, &p, &src, 1, dst, n->name);
}

/* GELU written out: x / sqrt(2) -> Erf -> + 1 -> * x -> * 0.5, headed by the Div
 * (or a Mul by 1/sqrt(2)). Returns the final node, or NULL. */
static ox_node *match_gelu(ox_ctx *c, ox_node *n, ox_value **x_out) {
  if (c->flags & TSR_ONNX_NO_FUSION) return NULL;
  if (n->op != OX_DIV && n->op != OX_MUL) return NULL;
  ox_value *x = ox_in(c, n, 0), *k = ox_in(c, n, 1);
  if (n->op == OX_MUL && is_scalar_const(x)) {
    ox_value *t = x;
    x = k;
    k = t;
  }
  if (x == NULL || !is_scalar_const(k) || x->cdata != NULL) return NULL;
  float kv = scalar_of(k);
  if (n->op == OX_DIV ? fabsf(kv - 1.41421356f) > 1e-4f : fabsf(kv - 0.70710678f) > 1e-4f) return NULL;
  ox_node *e = sole_user(c, ox_out(c, n, 0));
  if (e == NULL || e->op != OX_ERF) return NULL;
  ox_node *a = sole_user(c, ox_out(c, e, 0));
  if (a == NULL || a->op != OX_ADD) return NULL;
  ox_value *one = other_input(c, a, ox_out(c, e, 0));
  if (!is_scalar_const(one) || scalar_of(one) != 1.0f) return NULL;
  ox_node *m1 = sole_user(c, ox_out(c, a, 0));
  if (m1 == NULL || m1->op != OX_MUL || other_input(c, m1, ox_out(c, a, 0)) != x) return NULL;
  ox_node *m2 = sole_user(c, ox_out(c, m1, 0));
  if (m2 == NULL || m2->op != OX_MUL) return NULL;
  ox_value *half = other_input(c, m2, ox_out(c, m1, 0));
  if (!is_scalar_const(half) || scalar_of(half) != 0.5f) return NULL;
  e->done = a->done = m1->done = m2->done = true;
  *x_out = x;
  return m2;
}

/* x (of rank r) is a stride-0 broadcast of a smaller tensor that |other|
 * broadcasts against to the same result: use the small one. */
static ox_value *unexpand(ox_ctx *c, ox_value *x, const ox_value *other, const ox_value *y) {
  if (x->producer < 0 || c->nodes[x->producer].op != OX_EXPAND || c->nodes[x->producer].done) return x;
  ox_value *src = ox_in(c, &c->nodes[x->producer], 0);
  /* broadcast(src, other) must equal y. */
  int32_t r = src->ndim > other->ndim ? src->ndim : other->ndim;
  if (r != y->ndim) return x;
  for (int i = 0; i < r; ++i) {
    int ia = i - (r - src->ndim), ib = i - (r - other->ndim);
    int64_t ea = ia >= 0 ? src->shape[ia] : 1, eb = ib >= 0 ? other->shape[ib] : 1;
    if (ea != eb && ea != 1 && eb != 1) return x;
    if ((ea == 1 ? eb : ea) != y->shape[i]) return x;
  }
  return src;
}

static tsr_status lower_binary(ox_ctx *c, ox_node *n) {
  ox_value *gx = NULL;
  ox_node *gelu = match_gelu(c, n, &gx);
  if (gelu != NULL) return emit_unary(c, n, gx, ox_out(c, gelu, 0), TSR_UNARY_GELU_ERF, 0, 0);
  ox_value *a = ox_in(c, n, 0), *b = ox_in(c, n, 1), *y = ox_out(c, n, 0);
  /* A scalar constant operand: one affine unary. */
  if (n->op == OX_MUL || n->op == OX_ADD || n->op == OX_SUB) {
    bool sa = is_scalar_const(a) && b->cdata == NULL && same_shape(b->ndim, b->shape, y->ndim, y->shape);
    bool sb = is_scalar_const(b) && a->cdata == NULL && same_shape(a->ndim, a->shape, y->ndim, y->shape);
    if (sa || sb) {
      ox_value *x = sa ? b : a;
      float k = scalar_of(sa ? a : b);
      float alpha = 1.0f, beta = 0.0f;
      if (n->op == OX_MUL) alpha = k;
      else if (n->op == OX_ADD) beta = k;
      else if (sb) beta = -k;
      else {
        alpha = -1.0f;
        beta = k;
      }
      /* x * k read only as a MatMul's left operand: the matmul scales. */
      ox_node *mm = sole_user(c, y);
      if (n->op == OX_MUL && mm != NULL && mm->op == OX_MATMUL && ox_in(c, mm, 0) == y && ox_in(c, mm, 1) != y &&
          x->ndim >= 2 && x->mm_alpha == 0.0f) {
        int32_t xt = 0;
        TSR_TRY(tid_of(c, x, &xt));
        y->tid = xt;
        y->mm_alpha = alpha;
        return TSR_OK;
      }
      return emit_unary(c, n, x, y, TSR_UNARY_SCALE, alpha, beta);
    }
  }
  if (n->op == OX_POW && is_scalar_const(b) && a->cdata == NULL) {
    float e = scalar_of(b);
    if (e == 1.0f) return emit_unary(c, n, a, y, TSR_UNARY_SCALE, 1.0f, 0.0f);
    if (e == 0.5f) return emit_unary(c, n, a, y, TSR_UNARY_SQRT, 0, 0);
  }
  tsr_op_params p;
  init_params(&p);
  switch (n->op) {
    case OX_ADD: p.binary.kind = TSR_BINARY_ADD; break;
    case OX_SUB: p.binary.kind = TSR_BINARY_SUB; break;
    case OX_MUL: p.binary.kind = TSR_BINARY_MUL; break;
    case OX_DIV: p.binary.kind = TSR_BINARY_DIV; break;
    case OX_POW: p.binary.kind = TSR_BINARY_POW; break;
    case OX_MAX: p.binary.kind = TSR_BINARY_MAX; break;
    case OX_MIN: p.binary.kind = TSR_BINARY_MIN; break;
    default: return OX_UNSUPPORTED(c, n, "binary op");
  }
  if (n->op == OX_POW && is_scalar_const(b) && scalar_of(b) == 2.0f) {
    p.binary.kind = TSR_BINARY_MUL; /* x^2 as x*x */
    b = a;
  }
  if (b->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "exponent dtype %s", tsr_dtype_name(b->dtype));
  a = unexpand(c, a, b, y);
  b = unexpand(c, b, a, y);
  int32_t src[2], dst = 0;
  TSR_TRY(dense_in(c, a, &src[0]));
  TSR_TRY(dense_in(c, b, &src[1]));
  TSR_TRY(value_out(c, y, &dst));
  return emit(c, TSR_OP_BINARY, &p, src, 2, dst, n->name);
}

static tsr_status lower_unary(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  if (n->op == OX_SIGMOID) {
    ox_node *m = silu_mul(c, n, x);
    if (m != NULL && x->n_uses >= 2) {
      m->done = true;
      return emit_unary(c, n, x, ox_out(c, m, 0), TSR_UNARY_SILU, 0, 0);
    }
  }
  int32_t kind;
  float alpha, beta;
  TSR_TRY(unary_kind(c, n, &kind, &alpha, &beta));
  if (kind < 0) {
    if (n->op == OX_CLIP) return OX_UNSUPPORTED(c, n, "run-time clip bounds");
    return OX_UNSUPPORTED(c, n, "op %s on run-time values", ox_op_name(n));
  }
  return emit_unary(c, n, x, y, kind, alpha, beta);
}

static tsr_status lower_prelu(ox_ctx *c, ox_node *n) {
  int32_t kind;
  float alpha, beta;
  TSR_TRY(unary_kind(c, n, &kind, &alpha, &beta));
  ox_value *x = ox_in(c, n, 0), *s = ox_in(c, n, 1), *y = ox_out(c, n, 0);
  if (kind >= 0 && same_shape(x->ndim, x->shape, y->ndim, y->shape)) return emit_unary(c, n, x, y, kind, alpha, beta);
  tsr_op_params p;
  init_params(&p);
  p.binary.kind = TSR_BINARY_PRELU;
  int32_t src[2], dst = 0;
  TSR_TRY(dense_in(c, x, &src[0]));
  TSR_TRY(dense_in(c, s, &src[1]));
  TSR_TRY(value_out(c, y, &dst));
  return emit(c, TSR_OP_BINARY, &p, src, 2, dst, n->name);
}

/* Standalone BatchNormalization: y = x * scale + shift per channel. */
static tsr_status lower_batch_norm(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  float eps;
  TSR_TRY(ox_attr_float(c, n, "epsilon", 1e-5f, &eps));
  int64_t ch = x->shape[1];
  float *sc = ox_alloc(c, sizeof(float) * (size_t)ch), *sh = ox_alloc(c, sizeof(float) * (size_t)ch);
  if (!sc || !sh) return TSR_ERR_OUT_OF_MEMORY;
  ox_value *ga = ox_in(c, n, 1), *be = ox_in(c, n, 2), *mu = ox_in(c, n, 3), *va = ox_in(c, n, 4);
  for (int64_t k = 0; k < ch; ++k) {
    sc[k] = (float)ox_get_f64(ga, k) / sqrtf((float)ox_get_f64(va, k) + eps);
    sh[k] = (float)ox_get_f64(be, k) - (float)ox_get_f64(mu, k) * sc[k];
  }
  if (!(c->flags & TSR_ONNX_NO_FUSION) && (x->ndim == 4 || x->ndim == 3)) {
    /* One pass: a depthwise 1x1 convolution (weight = scale, bias = shift),
     * which also takes the activation after it (PRelu per channel too). */
    ox_value *cur = y, *slope = NULL;
    ox_node *u = sole_user(c, cur);
    float ua;
    if (u != NULL && u->op == OX_PRELU && ox_in(c, u, 0) == cur && !uniform_slope(ox_in(c, u, 1), &ua)) {
      ox_value *sl = ox_in(c, u, 1);
      bool ok = sl->cdata != NULL && sl->dtype == TSR_DTYPE_F32 && ox_numel(sl) == ch && sl->ndim <= cur->ndim &&
                same_shape(ox_out(c, u, 0)->ndim, ox_out(c, u, 0)->shape, cur->ndim, cur->shape);
      for (int i = 0; ok && i < sl->ndim; ++i) ok = (i + (cur->ndim - sl->ndim) == 1) ? sl->shape[i] == ch : sl->shape[i] == 1;
      if (ok) {
        slope = sl;
        u->done = true;
        cur = ox_out(c, u, 0);
      }
    }
    act_match am;
    memset(&am, 0, sizeof(am));
    am.kind = -1;
    if (slope == NULL) TSR_TRY(match_act(c, cur, &am));
    tsr_op_params p;
    init_params(&p);
    p.conv2d.kernel[0] = p.conv2d.kernel[1] = 1;
    p.conv2d.stride[0] = p.conv2d.stride[1] = 1;
    p.conv2d.dilation[0] = p.conv2d.dilation[1] = 1;
    p.conv2d.groups = (int32_t)ch;
    p.conv2d.activation = slope ? TSR_UNARY_LEAKY_RELU : -1;
    if (am.kind >= 0) {
      p.conv2d.activation = am.kind;
      p.conv2d.act_alpha = am.alpha;
      p.conv2d.act_beta = am.beta;
      take(&am);
      cur = am.out;
    }
    char nm[TSR_NAME_MAX];
    int64_t ws[4] = {ch, 1, 1, 1};
    int32_t src[4] = {-1, -1, -1, -1}, dst = 0;
    TSR_TRY(input_4d(c, x, &src[0]));
    TSR_TRY(new_const(c, mkname(nm, n->name, "scale"), TSR_DTYPE_F32, 4, ws, sc, &src[1]));
    TSR_TRY(new_const(c, mkname(nm, n->name, "shift"), TSR_DTYPE_F32, 1, &ch, sh, &src[2]));
    if (slope != NULL) {
      TSR_TRY(tid_of(c, slope, &src[3]));
      if (slope->ndim != 1) TSR_TRY(view(c, src[3], slope->name, 1, &ch, NULL, 0, &src[3]));
    }
    ox_window win;
    memset(&win, 0, sizeof(win));
    int64_t s4[4];
    as_4d(x, s4);
    win.out[0] = s4[2];
    win.out[1] = s4[3];
    TSR_TRY(output_4d(c, cur, s4[0], ch, &win, TSR_DTYPE_F32, &dst));
    return emit(c, TSR_OP_CONV2D, &p, src, slope ? 4 : 3, dst, n->name);
  }
  int64_t s[MAXD];
  int32_t nd = x->ndim - 1;
  s[0] = ch;
  for (int i = 1; i < nd; ++i) s[i] = 1;
  char nm[TSR_NAME_MAX];
  int32_t src[2], tmp = 0, dst = 0, kshift = 0;
  TSR_TRY(dense_in(c, x, &src[0]));
  TSR_TRY(new_const(c, mkname(nm, n->name, "scale"), TSR_DTYPE_F32, nd, s, sc, &src[1]));
  TSR_TRY(new_const(c, mkname(nm, n->name, "shift"), TSR_DTYPE_F32, nd, s, sh, &kshift));
  TSR_TRY(new_root(c, mkname(nm, n->name, "scaled"), TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, x->ndim, x->shape, NULL, &tmp));
  tsr_op_params p;
  init_params(&p);
  p.binary.kind = TSR_BINARY_MUL;
  TSR_TRY(emit(c, TSR_OP_BINARY, &p, src, 2, tmp, nm));
  TSR_TRY(value_out(c, y, &dst));
  p.binary.kind = TSR_BINARY_ADD;
  int32_t src2[2] = {tmp, kshift};
  return emit(c, TSR_OP_BINARY, &p, src2, 2, dst, n->name);
}

/* ---- matmul ---- */

/* A constant [.., K, N] as [.., N, K]. */
static tsr_status transposed_const(ox_ctx *c, const ox_value *b, int32_t *out) {
  int32_t nd = b->ndim;
  int64_t k = b->shape[nd - 2], nn = b->shape[nd - 1], batch = ox_numel(b) / (k * nn > 0 ? k * nn : 1);
  size_t es = tsr_dtype_block_bytes(b->dtype);
  uint8_t *t = ox_alloc(c, (size_t)ox_numel(b) * es + 1);
  if (t == NULL) return TSR_ERR_OUT_OF_MEMORY;
  const uint8_t *s = b->cdata;
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < nn; ++j)
        memcpy(t + (size_t)((bi * nn + j) * k + i) * es, s + (size_t)((bi * k + i) * nn + j) * es, es);
  int64_t shape[MAXD];
  memcpy(shape, b->shape, sizeof(shape));
  shape[nd - 2] = nn;
  shape[nd - 1] = k;
  char nm[TSR_NAME_MAX];
  return new_const(c, mkname(nm, b->name, "T"), b->dtype, nd, shape, t, out);
}

/* Tensor |t| [.., K, N] seen as [.., N, K] (a strided view; dense if |t| was
 * itself a transposed view of a dense tensor). */
static tsr_status swap_last2(ox_ctx *c, int32_t t, int32_t *out) {
  tsr_tensor d;
  describe(c, t, &d);
  int nd = d.ndim;
  int64_t s[MAXD], st[MAXD];
  memcpy(s, d.shape, sizeof(s));
  memcpy(st, d.stride, sizeof(st));
  s[nd - 2] = d.shape[nd - 1];
  s[nd - 1] = d.shape[nd - 2];
  st[nd - 2] = d.stride[nd - 1];
  st[nd - 1] = d.stride[nd - 2];
  char nm[TSR_NAME_MAX];
  return view(c, t, mkname(nm, tsr_graph_tensor_name(c->g, t), "T"), nd, s, st, 0, out);
}

/* A bias the matmul can take: a constant Add operand of N elements spread
 * along the last dimension only. */
static ox_value *matmul_bias(ox_ctx *c, ox_node *add, ox_value *y) {
  if (add == NULL || add->op != OX_ADD) return NULL;
  ox_value *o = other_input(c, add, y);
  int64_t nn = y->shape[y->ndim - 1];
  if (o == NULL || o->cdata == NULL || o->dtype != TSR_DTYPE_F32 || ox_numel(o) != nn || o->ndim > y->ndim) return NULL;
  if (o->ndim >= 1 && o->shape[o->ndim - 1] != nn) return NULL;
  if (!same_shape(ox_out(c, add, 0)->ndim, ox_out(c, add, 0)->shape, y->ndim, y->shape)) return NULL;
  return o;
}

static tsr_status emit_matmul(ox_ctx *c, ox_node *n, int32_t a, int32_t b, ox_value *bias, const float *bias_data,
                              float alpha, ox_value *y) {
  /* y may be 1-D promoted; the op writes [.., M, N]. */
  tsr_tensor ta, tb;
  describe(c, a, &ta);
  describe(c, b, &tb);
  int64_t s[MAXD];
  int32_t nd = ta.ndim > tb.ndim ? ta.ndim : tb.ndim;
  for (int i = 0; i < nd - 2; ++i) {
    int ia = i - (nd - ta.ndim), ib = i - (nd - tb.ndim);
    int64_t ea = ia >= 0 ? ta.shape[ia] : 1, eb = ib >= 0 ? tb.shape[ib] : 1;
    s[i] = ea == 1 ? eb : ea;
  }
  s[nd - 2] = ta.shape[ta.ndim - 2];
  s[nd - 1] = tb.shape[tb.ndim - 2];
  tsr_op_params p;
  init_params(&p);
  p.matmul.alpha = alpha == 1.0f ? 0.0f : alpha;
  int32_t src[3] = {a, b, -1}, dst;
  char nm[TSR_NAME_MAX];
  if (bias_data != NULL) {
    TSR_TRY(new_const(c, mkname(nm, n->name, "bias"), TSR_DTYPE_F32, 1, &s[nd - 1], bias_data, &src[2]));
  } else if (bias != NULL) {
    TSR_TRY(tid_of(c, bias, &src[2]));
    if (bias->ndim != 1) TSR_TRY(view(c, src[2], bias->name, 1, &s[nd - 1], NULL, 0, &src[2]));
  }
  TSR_TRY(value_root(c, y, TSR_DTYPE_F32, nd, s, &dst));
  TSR_TRY(bind_value(c, y, dst));
  return emit(c, TSR_OP_MATMUL, &p, src, src[2] >= 0 ? 3 : 2, dst, n->name);
}

/* |v| promoted to at least 2-D: a 1-D a is [1, K]; a 1-D b is [K, 1].
 * Rows may be strided (matmul takes a row stride) but not their elements. */
static tsr_status matmul_operand(ox_ctx *c, ox_value *v, bool is_b, int32_t *out) {
  int32_t t = 0;
  TSR_TRY(tid_of(c, v, &t));
  tsr_tensor d;
  describe(c, t, &d);
  if (v->ndim < 2 || (d.ndim > 0 && d.stride[d.ndim - 1] != (int64_t)tsr_dtype_block_bytes(d.dtype)))
    TSR_TRY(contig(c, t, &t));
  if (v->ndim >= 2) {
    *out = t;
    return TSR_OK;
  }
  int64_t s[2] = {is_b ? v->shape[0] : 1, is_b ? 1 : v->shape[0]};
  char nm[TSR_NAME_MAX];
  return view(c, t, mkname(nm, v->name, "2d"), 2, s, NULL, 0, out);
}

static tsr_status lower_matmul(ox_ctx *c, ox_node *n) {
  ox_value *a = ox_in(c, n, 0), *b = ox_in(c, n, 1), *y = ox_out(c, n, 0);
  int32_t ta = 0, tb = 0;
  TSR_TRY(matmul_operand(c, a, false, &ta));
  if (b->cdata != NULL) {
    ox_value b2 = *b;
    if (b->ndim == 1) {
      b2.ndim = 2;
      b2.shape[0] = b->shape[0];
      b2.shape[1] = 1;
    }
    TSR_TRY(transposed_const(c, &b2, &tb));
  } else {
    /* MatMul(x, Transpose(k)) reads k itself. */
    int32_t t = 0;
    TSR_TRY(tid_of(c, b, &t));
    if (b->ndim == 1) TSR_TRY(matmul_operand(c, b, true, &t));
    /* Rows of b may be strided (matmul packs b from strides), but a b whose
     * rows are not contiguous packs slowly: make those dense. */
    TSR_TRY(swap_last2(c, t, &tb));
    tsr_tensor bd;
    describe(c, tb, &bd);
    if (bd.stride[bd.ndim - 1] != (int64_t)tsr_dtype_block_bytes(bd.dtype)) TSR_TRY(contig(c, tb, &tb));
  }
  ox_value *bias = NULL;
  ox_node *add = sole_user(c, y);
  if (y->ndim >= 1 && (bias = matmul_bias(c, add, y)) != NULL) {
    add->done = true;
    y = ox_out(c, add, 0);
  }
  return emit_matmul(c, n, ta, tb, bias, NULL, a->mm_alpha != 0.0f ? a->mm_alpha : 1.0f, y);
}

static tsr_status lower_gemm(ox_ctx *c, ox_node *n) {
  ox_value *a = ox_in(c, n, 0), *b = ox_in(c, n, 1), *cc = ox_in(c, n, 2), *y = ox_out(c, n, 0);
  int64_t ta = 0, tb = 0;
  float alpha = 1.0f, beta = 1.0f;
  TSR_TRY(ox_attr_int(c, n, "transA", 0, &ta));
  TSR_TRY(ox_attr_int(c, n, "transB", 0, &tb));
  TSR_TRY(ox_attr_float(c, n, "alpha", 1.0f, &alpha));
  TSR_TRY(ox_attr_float(c, n, "beta", 1.0f, &beta));
  if (alpha == 0.0f) return OX_UNSUPPORTED(c, n, "attribute 'alpha' = 0");
  int32_t at = 0, bt = 0;
  TSR_TRY(tid_of(c, a, &at));
  if (ta) TSR_TRY(swap_last2(c, at, &at));
  TSR_TRY(contig(c, at, &at));
  if (b->cdata != NULL && !tb) {
    TSR_TRY(transposed_const(c, b, &bt));
  } else {
    TSR_TRY(tid_of(c, b, &bt));
    if (!tb) TSR_TRY(swap_last2(c, bt, &bt));
    TSR_TRY(contig(c, bt, &bt));
  }
  int64_t nn = y->shape[1];
  float *bias = NULL;
  bool separate = false;
  if (cc != NULL) {
    bool vec = cc->cdata != NULL && cc->dtype == TSR_DTYPE_F32 && ox_numel(cc) == nn &&
               (cc->ndim == 1 || (cc->ndim == 2 && cc->shape[0] == 1));
    if (vec) {
      bias = ox_alloc(c, sizeof(float) * (size_t)nn);
      if (bias == NULL) return TSR_ERR_OUT_OF_MEMORY;
      for (int64_t k = 0; k < nn; ++k) bias[k] = beta * (float)ox_get_f64(cc, k);
    } else {
      separate = beta != 0.0f;
    }
  }
  if (!separate) return emit_matmul(c, n, at, bt, NULL, bias, alpha, y);
  if (beta != 1.0f) return OX_UNSUPPORTED(c, n, "attribute 'beta' != 1 with a full-size C");
  char nm[TSR_NAME_MAX];
  int64_t s[2] = {y->shape[0], y->shape[1]};
  int32_t mm = 0, cs = 0, dst = 0;
  TSR_TRY(new_root(c, mkname(nm, n->name, "ab"), TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, s, NULL, &mm));
  tsr_op_params p;
  init_params(&p);
  p.matmul.alpha = alpha == 1.0f ? 0.0f : alpha;
  int32_t src[2] = {at, bt};
  TSR_TRY(emit(c, TSR_OP_MATMUL, &p, src, 2, mm, nm));
  TSR_TRY(dense_in(c, cc, &cs));
  TSR_TRY(value_out(c, y, &dst));
  init_params(&p);
  p.binary.kind = TSR_BINARY_ADD;
  int32_t src2[2] = {mm, cs};
  return emit(c, TSR_OP_BINARY, &p, src2, 2, dst, n->name);
}

static tsr_status lower_qlinear_matmul(ox_ctx *c, ox_node *n) {
  /* src: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp */
  ox_value *v[8];
  for (int i = 0; i < 8; ++i) v[i] = ox_in(c, n, (uint32_t)i);
  ox_value *y = ox_out(c, n, 0);
  if (v[0]->ndim < 2 || v[3]->ndim < 2) return OX_UNSUPPORTED(c, n, "1-D operands");
  int32_t src[8];
  TSR_TRY(dense_in(c, v[0], &src[0]));
  TSR_TRY(tid_of(c, v[1], &src[1]));
  TSR_TRY(zp_or_zero(c, v[2], v[0]->dtype, v[0]->name, &src[2]));
  /* b as [.., N, K], as MATMUL takes it. */
  if (v[3]->cdata != NULL) {
    TSR_TRY(transposed_const(c, v[3], &src[3]));
  } else {
    int32_t t = 0;
    TSR_TRY(tid_of(c, v[3], &t));
    TSR_TRY(swap_last2(c, t, &src[3]));
    TSR_TRY(contig(c, src[3], &src[3]));
  }
  TSR_TRY(tid_of(c, v[4], &src[4]));
  TSR_TRY(zp_or_zero(c, v[5], v[3]->dtype, v[3]->name, &src[5]));
  TSR_TRY(tid_of(c, v[6], &src[6]));
  TSR_TRY(zp_or_zero(c, v[7], y->dtype, y->name, &src[7]));
  int32_t dst = 0;
  TSR_TRY(value_out(c, y, &dst));
  tsr_op_params p;
  init_params(&p);
  p.qop.conv.activation = -1;
  return emit(c, TSR_OP_QLINEAR_MATMUL, &p, src, 8, dst, n->name);
}

static tsr_status lower_qlinear_binary(ox_ctx *c, ox_node *n, const ox_plan *plan) {
  ox_value *v[8], *y = NULL;
  int32_t kind;
  if (plan != NULL) {
    for (int i = 0; i < 8; ++i) v[i] = plan->src[i] >= 0 ? &c->values[plan->src[i]] : NULL;
    y = &c->values[plan->out];
    kind = plan->binary;
  } else {
    for (int i = 0; i < 8; ++i) v[i] = ox_in(c, n, (uint32_t)i);
    y = ox_out(c, n, 0);
    kind = n->op == OX_QLINEAR_ADD ? TSR_BINARY_ADD : TSR_BINARY_MUL;
  }
  int32_t src[8];
  TSR_TRY(dense_in(c, v[0], &src[0]));
  TSR_TRY(tid_of(c, v[1], &src[1]));
  TSR_TRY(zp_or_zero(c, v[2], v[0]->dtype, v[0]->name, &src[2]));
  TSR_TRY(dense_in(c, v[3], &src[3]));
  TSR_TRY(tid_of(c, v[4], &src[4]));
  TSR_TRY(zp_or_zero(c, v[5], v[3]->dtype, v[3]->name, &src[5]));
  TSR_TRY(tid_of(c, v[6], &src[6]));
  TSR_TRY(zp_or_zero(c, v[7], y->dtype, y->name, &src[7]));
  int32_t dst = 0;
  TSR_TRY(value_out(c, y, &dst));
  tsr_op_params p;
  init_params(&p);
  p.qop.kind = kind;
  p.qop.conv.activation = -1;
  return emit(c, TSR_OP_QLINEAR_BINARY, &p, src, 8, dst, n->name);
}

/* ---- normalization, softmax, reductions ---- */

/* LayerNorm written out over the last axis:
 *   m = ReduceMean(x); d = x - m; v = ReduceMean(d^2); y = d / sqrt(v + eps)
 *   [* gamma] [+ beta]
 * headed by the first ReduceMean. Returns true when matched and emitted. */
static bool last_axis_mean(ox_ctx *c, const ox_node *r, const ox_value *x) {
  if (r == NULL || r->op != OX_REDUCE_MEAN || ox_in(c, r, 0) != x) return false;
  uint32_t mask;
  bool keep;
  if (ox_reduce_axes(c, r, x, &mask, &keep) != TSR_OK) return false;
  return keep && mask == (1u << (x->ndim - 1));
}

static tsr_status match_layernorm(ox_ctx *c, ox_node *r1, bool *done) {
  *done = false;
  if (c->flags & TSR_ONNX_NO_FUSION) return TSR_OK;
  ox_value *x = ox_in(c, r1, 0);
  if (x->cdata != NULL || x->dtype != TSR_DTYPE_F32 || x->ndim < 1 || !last_axis_mean(c, r1, x)) return TSR_OK;
  ox_node *sub = sole_user(c, ox_out(c, r1, 0));
  if (sub == NULL || sub->op != OX_SUB || ox_in(c, sub, 0) != x || ox_in(c, sub, 1) != ox_out(c, r1, 0)) return TSR_OK;
  ox_value *d = ox_out(c, sub, 0);
  ox_node *us[2];
  if (users(c, d, us, 2) != 2 || d->n_uses != 2) return TSR_OK;
  ox_node *sq = NULL, *div = NULL, *cast = NULL;
  for (int i = 0; i < 2; ++i) {
    if (us[i]->op == OX_DIV && ox_in(c, us[i], 0) == d) div = us[i];
    else sq = us[i];
  }
  if (sq == NULL || div == NULL) return TSR_OK;
  ox_value *dd = d;
  if (sq->op == OX_CAST) {
    if (ox_out(c, sq, 0)->dtype != TSR_DTYPE_F32) return TSR_OK;
    cast = sq;
    dd = ox_out(c, cast, 0);
    sq = sole_user(c, dd);
    if (sq == NULL) return TSR_OK;
  }
  bool square = (sq->op == OX_POW && ox_in(c, sq, 0) == dd && is_scalar_const(ox_in(c, sq, 1)) &&
                 scalar_of(ox_in(c, sq, 1)) == 2.0f) ||
                (sq->op == OX_MUL && ox_in(c, sq, 0) == dd && ox_in(c, sq, 1) == dd);
  if (!square) return TSR_OK;
  ox_node *r2 = sole_user(c, ox_out(c, sq, 0));
  if (!last_axis_mean(c, r2, ox_out(c, sq, 0))) return TSR_OK;
  ox_node *add = sole_user(c, ox_out(c, r2, 0));
  if (add == NULL || add->op != OX_ADD) return TSR_OK;
  ox_value *eps = other_input(c, add, ox_out(c, r2, 0));
  if (!is_scalar_const(eps) || !(scalar_of(eps) >= 0)) return TSR_OK;
  ox_node *rt = sole_user(c, ox_out(c, add, 0));
  if (rt == NULL || rt->op != OX_SQRT) return TSR_OK;
  if (sole_user(c, ox_out(c, rt, 0)) != div || ox_in(c, div, 1) != ox_out(c, rt, 0)) return TSR_OK;
  ox_value *y = ox_out(c, div, 0), *gamma = NULL, *beta = NULL;
  int64_t nn = x->shape[x->ndim - 1];
  ox_node *mul = sole_user(c, y), *badd = NULL;
  if (mul != NULL && mul->op == OX_MUL) {
    ox_value *g = other_input(c, mul, y);
    if (g != NULL && g->cdata != NULL && g->dtype == TSR_DTYPE_F32 && ox_numel(g) == nn && g->shape[g->ndim - 1] == nn &&
        same_shape(ox_out(c, mul, 0)->ndim, ox_out(c, mul, 0)->shape, y->ndim, y->shape)) {
      gamma = g;
      badd = sole_user(c, ox_out(c, mul, 0));
      if (badd != NULL && badd->op == OX_ADD) {
        ox_value *bb = other_input(c, badd, ox_out(c, mul, 0));
        if (bb != NULL && bb->cdata != NULL && bb->dtype == TSR_DTYPE_F32 && ox_numel(bb) == nn &&
            bb->shape[bb->ndim - 1] == nn && same_shape(ox_out(c, badd, 0)->ndim, ox_out(c, badd, 0)->shape, y->ndim, y->shape))
          beta = bb;
      }
    }
  }
  sub->done = sq->done = r2->done = add->done = rt->done = div->done = true;
  if (cast) cast->done = true;
  ox_value *out = y;
  if (gamma) {
    mul->done = true;
    out = ox_out(c, mul, 0);
  }
  if (beta) {
    badd->done = true;
    out = ox_out(c, badd, 0);
  }
  tsr_op_params p;
  init_params(&p);
  p.norm.eps = scalar_of(eps);
  int32_t src[3] = {-1, -1, -1}, dst;
  TSR_TRY(dense_in(c, x, &src[0]));
  if (gamma) {
    TSR_TRY(tid_of(c, gamma, &src[1]));
    if (gamma->ndim != 1) TSR_TRY(view(c, src[1], gamma->name, 1, &nn, NULL, 0, &src[1]));
  }
  if (beta) {
    TSR_TRY(tid_of(c, beta, &src[2]));
    if (beta->ndim != 1) TSR_TRY(view(c, src[2], beta->name, 1, &nn, NULL, 0, &src[2]));
  }
  TSR_TRY(value_out(c, out, &dst));
  *done = true;
  return emit(c, TSR_OP_LAYERNORM, &p, src, 3, dst, r1->name);
}

static tsr_status lower_reduce(ox_ctx *c, ox_node *n) {
  if (n->op == OX_REDUCE_MEAN) {
    bool done;
    TSR_TRY(match_layernorm(c, n, &done));
    if (done) return TSR_OK;
  }
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  uint32_t mask;
  bool keep;
  TSR_TRY(ox_reduce_axes(c, n, x, &mask, &keep));
  tsr_op_params p;
  init_params(&p);
  p.reduce.axes = mask;
  switch (n->op) {
    case OX_REDUCE_MEAN: p.reduce.kind = TSR_REDUCE_MEAN; break;
    case OX_REDUCE_SUM: p.reduce.kind = TSR_REDUCE_SUM; break;
    case OX_REDUCE_MAX: p.reduce.kind = TSR_REDUCE_MAX; break;
    default: p.reduce.kind = TSR_REDUCE_MIN; break;
  }
  int64_t s[MAXD];
  for (int i = 0; i < x->ndim; ++i) s[i] = (mask & (1u << i)) ? 1 : x->shape[i];
  int32_t src = 0, dst = 0;
  TSR_TRY(dense_in(c, x, &src));
  TSR_TRY(value_root(c, y, TSR_DTYPE_F32, x->ndim, s, &dst));
  TSR_TRY(bind_value(c, y, dst));
  return emit(c, TSR_OP_REDUCE, &p, &src, 1, dst, n->name);
}

static tsr_status lower_softmax(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  int64_t axis = 0;
  TSR_TRY(ox_attr_int(c, n, "axis", c->opset < 13 ? 1 : -1, &axis));
  if (axis < 0) axis += x->ndim;
  if (axis < 0 || axis >= x->ndim) return OX_BAD(c, n, "axis out of range");
  int32_t src = 0, dst = 0;
  TSR_TRY(dense_in(c, x, &src));
  tsr_op_params p;
  init_params(&p);
  if (axis == x->ndim - 1) {
    TSR_TRY(value_out(c, y, &dst));
    return emit(c, TSR_OP_SOFTMAX, &p, &src, 1, dst, n->name);
  }
  if (c->opset >= 13) return OX_UNSUPPORTED(c, n, "attribute 'axis' = %lld (only the last axis)", (long long)axis);
  /* Opset < 13: softmax over everything from |axis| on, as a 2-D view. */
  int64_t s[2] = {1, 1};
  for (int i = 0; i < x->ndim; ++i) s[i < axis ? 0 : 1] *= x->shape[i];
  char nm[TSR_NAME_MAX];
  TSR_TRY(view(c, src, mkname(nm, x->name, "2d"), 2, s, NULL, 0, &src));
  TSR_TRY(value_root(c, y, TSR_DTYPE_F32, 2, s, &dst));
  TSR_TRY(bind_value(c, y, dst));
  return emit(c, TSR_OP_SOFTMAX, &p, &src, 1, dst, n->name);
}

static tsr_status lower_layer_norm(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *sc = ox_in(c, n, 1), *bi = ox_in(c, n, 2), *y = ox_out(c, n, 0);
  int64_t axis = 0;
  float eps;
  TSR_TRY(ox_attr_int(c, n, "axis", -1, &axis));
  TSR_TRY(ox_attr_float(c, n, "epsilon", 1e-5f, &eps));
  if (axis < 0) axis += x->ndim;
  if (axis != x->ndim - 1) return OX_UNSUPPORTED(c, n, "attribute 'axis' = %lld (only the last axis)", (long long)axis);
  int64_t nn = x->shape[x->ndim - 1];
  int32_t src[3] = {-1, -1, -1}, dst;
  TSR_TRY(dense_in(c, x, &src[0]));
  ox_value *pv[2] = {sc, bi};
  for (int i = 0; i < 2; ++i) {
    if (pv[i] == NULL) continue;
    if (pv[i]->cdata == NULL || ox_numel(pv[i]) != nn || pv[i]->dtype != TSR_DTYPE_F32)
      return OX_UNSUPPORTED(c, n, "a run-time or mis-shaped scale/bias");
    TSR_TRY(tid_of(c, pv[i], &src[1 + i]));
    if (pv[i]->ndim != 1) TSR_TRY(view(c, src[1 + i], pv[i]->name, 1, &nn, NULL, 0, &src[1 + i]));
  }
  tsr_op_params p;
  init_params(&p);
  p.norm.eps = eps;
  TSR_TRY(value_out(c, y, &dst));
  return emit(c, TSR_OP_LAYERNORM, &p, src, 3, dst, n->name);
}

/* ---- resize ---- */

static tsr_status lower_resize(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  if (x->ndim != 4) return OX_UNSUPPORTED(c, n, "input rank %d (4-D NCHW only)", (int)x->ndim);
  if (y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1]) return OX_UNSUPPORTED(c, n, "resizing N or C");
  char mode[32], coord[40], nearest[40];
  TSR_TRY(ox_attr_str(c, n, "mode", "nearest", mode, sizeof(mode)));
  bool legacy = n->op == OX_UPSAMPLE || c->opset < 11;
  TSR_TRY(ox_attr_str(c, n, "coordinate_transformation_mode", legacy ? "asymmetric" : "half_pixel", coord, sizeof(coord)));
  TSR_TRY(ox_attr_str(c, n, "nearest_mode", legacy ? "floor" : "round_prefer_floor", nearest, sizeof(nearest)));
  int64_t aa = 0;
  TSR_TRY(ox_attr_int(c, n, "antialias", 0, &aa));
  if (aa) return OX_UNSUPPORTED(c, n, "attribute 'antialias' = 1");
  char pol[32];
  TSR_TRY(ox_attr_str(c, n, "keep_aspect_ratio_policy", "stretch", pol, sizeof(pol)));
  if (strcmp(pol, "stretch") != 0) return OX_UNSUPPORTED(c, n, "attribute 'keep_aspect_ratio_policy' = %s", pol);
  tsr_op_params p;
  init_params(&p);
  if (strcmp(mode, "nearest") == 0) p.resize.mode = TSR_RESIZE_NEAREST;
  else if (strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0) p.resize.mode = TSR_RESIZE_LINEAR;
  else if (strcmp(mode, "cubic") == 0 && !legacy) p.resize.mode = TSR_RESIZE_CUBIC;
  else return OX_UNSUPPORTED(c, n, "attribute 'mode' = %s", mode);
  if (p.resize.mode == TSR_RESIZE_CUBIC) {
    float a = -0.75f;
    int64_t ex = 0;
    TSR_TRY(ox_attr_float(c, n, "cubic_coeff_a", -0.75f, &a));
    TSR_TRY(ox_attr_int(c, n, "exclude_outside", 0, &ex));
    if (a != -0.75f) return OX_UNSUPPORTED(c, n, "attribute 'cubic_coeff_a' = %g (only -0.75)", (double)a);
    if (ex != 0) return OX_UNSUPPORTED(c, n, "attribute 'exclude_outside' = %lld", (long long)ex);
  }
  if (strcmp(coord, "half_pixel") == 0) p.resize.coord = TSR_RESIZE_HALF_PIXEL;
  else if (strcmp(coord, "asymmetric") == 0) p.resize.coord = TSR_RESIZE_ASYMMETRIC;
  else if (strcmp(coord, "align_corners") == 0) p.resize.coord = TSR_RESIZE_ALIGN_CORNERS;
  else if (strcmp(coord, "pytorch_half_pixel") == 0) p.resize.coord = TSR_RESIZE_PYTORCH_HALF_PIXEL;
  else if (strcmp(coord, "half_pixel_symmetric") == 0) p.resize.coord = TSR_RESIZE_HALF_PIXEL_SYMMETRIC;
  else if (strcmp(coord, "tf_half_pixel_for_nn") == 0) p.resize.coord = TSR_RESIZE_TF_HALF_PIXEL_FOR_NN;
  else return OX_UNSUPPORTED(c, n, "attribute 'coordinate_transformation_mode' = %s", coord);
  if (strcmp(nearest, "round_prefer_floor") == 0) p.resize.nearest = TSR_NEAREST_ROUND_PREFER_FLOOR;
  else if (strcmp(nearest, "round_prefer_ceil") == 0) p.resize.nearest = TSR_NEAREST_ROUND_PREFER_CEIL;
  else if (strcmp(nearest, "floor") == 0) p.resize.nearest = TSR_NEAREST_FLOOR;
  else if (strcmp(nearest, "ceil") == 0) p.resize.nearest = TSR_NEAREST_CEIL;
  else return OX_UNSUPPORTED(c, n, "attribute 'nearest_mode' = %s", nearest);
  int64_t s[MAXD];
  float sc[MAXD];
  TSR_TRY(ox_resize_sizes(c, n, x, s, sc));
  if (sc[0] != 0 && (sc[0] != 1.0f || sc[1] != 1.0f)) return OX_UNSUPPORTED(c, n, "resizing N or C");
  p.resize.scale[0] = sc[2];
  p.resize.scale[1] = sc[3];
  int32_t src = 0, dst = 0;
  TSR_TRY(dense_in(c, x, &src));
  TSR_TRY(value_out(c, y, &dst));
  return emit(c, TSR_OP_RESIZE, &p, &src, 1, dst, n->name);
}

/* ---- quantization ---- */

static tsr_status lower_qdq(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *s = ox_in(c, n, 1), *zp = ox_in(c, n, 2), *y = ox_out(c, n, 0);
  tsr_op_params p;
  init_params(&p);
  int64_t axis = 1;
  TSR_TRY(ox_attr_int(c, n, "axis", x->ndim == 1 ? 0 : 1, &axis));
  if (axis < 0) axis += x->ndim;
  p.qlinear.axis = ox_numel(s) == 1 ? 0 : (int32_t)axis;
  bool q = n->op == OX_QUANTIZE_LINEAR;
  int32_t src[3], dst = 0;
  TSR_TRY(dense_in(c, x, &src[0]));
  TSR_TRY(tid_of(c, s, &src[1]));
  TSR_TRY(zp_or_zero(c, zp, q ? y->dtype : x->dtype, n->name, &src[2]));
  TSR_TRY(value_out(c, y, &dst));
  return emit(c, q ? TSR_OP_QUANTIZE_LINEAR : TSR_OP_DEQUANTIZE_LINEAR, &p, src, 3, dst, n->name);
}

/* ---- data movement ---- */

static tsr_status lower_alias(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  int32_t t = 0;
  TSR_TRY(tid_of(c, x, &t));
  if (n->op == OX_CAST && x->dtype != y->dtype) {
    int32_t dst = 0;
    TSR_TRY(value_out(c, y, &dst));
    tsr_op_params p;
    init_params(&p);
    return emit(c, TSR_OP_CONVERT, &p, &t, 1, dst, n->name);
  }
  return bind_value(c, y, t);
}

static tsr_status lower_transpose(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  int32_t perm[MAXD], t = 0;
  TSR_TRY(ox_transpose_perm(c, n, x->ndim, perm));
  TSR_TRY(tid_of(c, x, &t));
  tsr_tensor d;
  describe(c, t, &d);
  int64_t s[MAXD], st[MAXD];
  for (int i = 0; i < x->ndim; ++i) {
    s[i] = d.shape[perm[i]];
    st[i] = d.stride[perm[i]];
  }
  return view(c, t, y->name, x->ndim, s, st, 0, &y->tid);
}

static tsr_status gather_chain_from(ox_ctx *c, ox_node *n, int32_t cur, ox_value *y, int64_t *const *idx);

static tsr_status lower_slice(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  ox_slice sl;
  TSR_TRY(ox_slice_params(c, n, x, &sl));
  int32_t t = 0;
  TSR_TRY(tid_of(c, x, &t));
  tsr_tensor d;
  describe(c, t, &d);
  int64_t st[MAXD], cnt[MAXD], *idx[MAXD] = {0};
  uint64_t off = 0;
  bool reversed = false;
  for (int i = 0; i < x->ndim; ++i) {
    if (sl.count[i] == 0) return OX_UNSUPPORTED(c, n, "an empty slice");
    if (sl.step[i] < 0) {
      /* The whole axis in the view; a GATHER picks start, start + step, ... */
      reversed = true;
      idx[i] = ox_alloc(c, sizeof(int64_t) * (size_t)sl.count[i]);
      if (idx[i] == NULL) return TSR_ERR_OUT_OF_MEMORY;
      for (int64_t j = 0; j < sl.count[i]; ++j) idx[i][j] = sl.start[i] + j * sl.step[i];
      cnt[i] = x->shape[i];
      st[i] = d.stride[i];
      continue;
    }
    off += (uint64_t)(sl.start[i] * d.stride[i]);
    st[i] = d.stride[i] * sl.step[i];
    cnt[i] = sl.count[i];
  }
  if (!reversed) return view(c, t, y->name, x->ndim, sl.count, st, off, &y->tid);
  int32_t v = 0;
  char nm[TSR_NAME_MAX];
  TSR_TRY(view(c, t, mkname(nm, n->name, "fwd"), x->ndim, cnt, st, off, &v));
  return gather_chain_from(c, n, v, y, idx);
}

static tsr_status lower_split(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0);
  int32_t ax = 0, t = 0;
  int64_t sizes[64];
  TSR_TRY(ox_split_params(c, n, x, &ax, sizes));
  TSR_TRY(tid_of(c, x, &t));
  tsr_tensor d;
  describe(c, t, &d);
  int64_t off = 0;
  for (uint32_t k = 0; k < n->n_out; ++k) {
    ox_value *y = ox_out(c, n, k);
    if (y != NULL && y->n_uses > 0) {
      if (sizes[k] == 0) return OX_UNSUPPORTED(c, n, "an empty split");
      TSR_TRY(view(c, t, y->name, x->ndim, y->shape, d.stride, (uint64_t)(off * d.stride[ax]), &y->tid));
    }
    off += sizes[k];
  }
  return TSR_OK;
}

static tsr_status lower_gather(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *ix = ox_in(c, n, 1), *y = ox_out(c, n, 0);
  int64_t axis = 0;
  TSR_TRY(ox_attr_int(c, n, "axis", 0, &axis));
  if (axis < 0) axis += x->ndim;
  int32_t t = 0;
  TSR_TRY(tid_of(c, x, &t));
  if (ix->cdata != NULL && x->cdata == NULL) {
    /* Constant indices that pick a range: a view. */
    int64_t m = ox_numel(ix), k0 = ox_get_i64(ix, 0);
    if (k0 < 0) k0 += x->shape[axis];
    bool range = ix->ndim <= 1 && m >= 1;
    for (int64_t i = 1; range && i < m; ++i) {
      int64_t k = ox_get_i64(ix, i);
      if (k < 0) k += x->shape[axis];
      range = k == k0 + i;
    }
    if (range) {
      tsr_tensor d;
      describe(c, t, &d);
      int64_t s[MAXD], st[MAXD];
      int32_t nd = 0;
      for (int i = 0; i < x->ndim; ++i) {
        if (i == axis && ix->ndim == 0) continue;
        s[nd] = i == axis ? m : x->shape[i];
        st[nd++] = d.stride[i];
      }
      return view(c, t, y->name, nd, s, st, (uint64_t)(k0 * d.stride[axis]), &y->tid);
    }
  }
  tsr_op_params p;
  init_params(&p);
  p.gather.axis = (int32_t)axis;
  int32_t src[2], dst = 0;
  TSR_TRY(contig(c, t, &src[0]));
  TSR_TRY(dense_in(c, ix, &src[1]));
  TSR_TRY(value_out(c, y, &dst));
  return emit(c, TSR_OP_GATHER, &p, src, 2, dst, n->name);
}

static tsr_status lower_expand(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  int32_t t = 0;
  TSR_TRY(tid_of(c, x, &t));
  tsr_tensor d;
  describe(c, t, &d);
  int64_t st[MAXD];
  for (int i = 0; i < y->ndim; ++i) {
    int xi = i - (y->ndim - x->ndim);
    st[i] = (xi >= 0 && x->shape[xi] == y->shape[i]) ? d.stride[xi] : 0;
  }
  return view(c, t, y->name, y->ndim, y->shape, st, 0, &y->tid);
}

static tsr_status lower_concat(ox_ctx *c, ox_node *n) {
  ox_value *y = ox_out(c, n, 0);
  int64_t axis = concat_axis(c, n);
  tsr_op_params p;
  init_params(&p);
  bool any_placed = false;
  for (uint32_t i = 0; i < n->n_in; ++i) any_placed = any_placed || ox_in(c, n, i)->placed;
  ox_node *tr = any_placed ? NULL : sole_user(c, y);
  if (tr != NULL && tr->op == OX_TRANSPOSE && ox_in(c, tr, 0) == y) {
    /* Concat then Transpose: each input is copied, permuted, straight into
     * its window of the transposed result (one pass instead of two). */
    int32_t perm[MAXD], zt = 0, p_axis = -1;
    TSR_TRY(ox_transpose_perm(c, tr, y->ndim, perm));
    for (int k = 0; k < y->ndim; ++k) p_axis = perm[k] == axis ? k : p_axis;
    ox_value *z = ox_out(c, tr, 0);
    TSR_TRY(value_out(c, z, &zt));
    tsr_tensor zd;
    describe(c, zt, &zd);
    int64_t off = 0;
    for (uint32_t i = 0; i < n->n_in; ++i) {
      ox_value *x = ox_in(c, n, i);
      int32_t src = 0, psrc = 0, win = 0;
      TSR_TRY(tid_of(c, x, &src));
      tsr_tensor xd;
      describe(c, src, &xd);
      int64_t s[MAXD], st[MAXD];
      for (int k = 0; k < y->ndim; ++k) {
        s[k] = xd.shape[perm[k]];
        st[k] = xd.stride[perm[k]];
      }
      char nm[TSR_NAME_MAX];
      snprintf(nm, sizeof(nm), "%s:part%u", n->name, (unsigned)i);
      TSR_TRY(view(c, src, mkname(nm, x->name, "T"), y->ndim, s, st, 0, &psrc));
      snprintf(nm, sizeof(nm), "%s:part%u", n->name, (unsigned)i);
      TSR_TRY(view(c, zt, nm, y->ndim, s, zd.stride, (uint64_t)(off * zd.stride[p_axis]), &win));
      TSR_TRY(emit(c, TSR_OP_CONVERT, &p, &psrc, 1, win, nm));
      off += x->shape[axis];
    }
    tr->done = true;
    return TSR_OK;
  }
  int32_t dst = y->tid;
  if (dst < 0) TSR_TRY(value_out(c, y, &dst));
  /* Inputs written in place already; copy the others (any strides: a
   * strided slice is copied once) into their windows. */
  tsr_tensor d;
  describe(c, dst, &d);
  int64_t off = 0;
  for (uint32_t i = 0; i < n->n_in; ++i) {
    ox_value *x = ox_in(c, n, i);
    if (x->placed) {
      off += x->shape[axis];
      continue;
    }
    int32_t src = 0, win = 0;
    TSR_TRY(tid_of(c, x, &src));
    char nm[TSR_NAME_MAX];
    snprintf(nm, sizeof(nm), "%s:part%u", n->name, (unsigned)i);
    TSR_TRY(view(c, dst, nm, y->ndim, x->shape, d.stride, (uint64_t)(off * d.stride[axis]), &win));
    TSR_TRY(emit(c, TSR_OP_CONVERT, &p, &src, 1, win, nm));
    off += x->shape[axis];
  }
  return TSR_OK;
}

/* ---- pre-passes ---- */

static void drop_uses(ox_ctx *c, const ox_node *n) {
  for (uint32_t k = 0; k < n->n_in; ++k) {
    if (n->in[k] >= 0) c->values[n->in[k]].n_uses--;
  }
}

/* Run-time DequantizeLinear with a scalar scale: its input, scale, zero point. */
static bool runtime_dq(ox_ctx *c, const ox_value *v, int32_t *q, int32_t *s, int32_t *zp) {
  if (v == NULL || v->cdata != NULL || v->producer < 0) return false;
  const ox_node *d = &c->nodes[v->producer];
  if (d->op != OX_DEQUANTIZE_LINEAR || d->done) return false;
  ox_value *x = ox_in(c, d, 0), *sc = ox_in(c, d, 1), *z = ox_in(c, d, 2);
  if (x->cdata != NULL || (x->dtype != TSR_DTYPE_I8 && x->dtype != TSR_DTYPE_U8) || ox_numel(sc) != 1) return false;
  *q = d->in[0];
  *s = d->in[1];
  *zp = z ? d->in[2] : -1;
  return true;
}

/* A constant that a folded DequantizeLinear made: its quantized source. */
static const ox_node *folded_dq(ox_ctx *c, const ox_value *v) {
  if (v == NULL || v->cdata == NULL || v->producer < 0) return NULL;
  const ox_node *d = &c->nodes[v->producer];
  if (d->op != OX_DEQUANTIZE_LINEAR || !d->done) return NULL;
  return d;
}

/* The run-time QuantizeLinear (scalar scale) that alone reads |v|. */
static ox_node *sole_quantize(ox_ctx *c, const ox_value *v) {
  ox_node *q = sole_user(c, v);
  if (q == NULL || q->op != OX_QUANTIZE_LINEAR || ox_in(c, q, 0) != v || ox_numel(ox_in(c, q, 1)) != 1) return NULL;
  return q;
}

static tsr_status plan_qdq(ox_ctx *c) {
  if (c->flags & (TSR_ONNX_NO_FUSION | TSR_ONNX_QDQ_FLOAT)) return TSR_OK;
  c->plans = ox_alloc(c, sizeof(ox_plan) * (c->n_nodes + 1));
  if (c->plans == NULL) return TSR_ERR_OUT_OF_MEMORY;
  for (uint32_t i = 0; i < c->n_nodes; ++i) {
    ox_node *n = &c->nodes[i];
    if (n->done) continue;
    ox_plan pl;
    memset(&pl, 0, sizeof(pl));
    for (int k = 0; k < 9; ++k) pl.src[k] = -1;
    if (n->op == OX_CONV && n->n_in >= 2) {
      ox_value *x = ox_in(c, n, 0), *w = ox_in(c, n, 1), *b = ox_in(c, n, 2), *y = ox_out(c, n, 0);
      if (x->ndim != 4 || !runtime_dq(c, x, &pl.src[0], &pl.src[1], &pl.src[2])) continue;
      const ox_node *dw = folded_dq(c, w);
      if (dw == NULL) continue;
      ox_value *wq = ox_in(c, dw, 0), *ws = ox_in(c, dw, 1), *wz = ox_in(c, dw, 2);
      int64_t wax = 1;
      if (ox_attr_int(c, dw, "axis", 1, &wax) != TSR_OK) continue;
      if (wq->dtype != TSR_DTYPE_I8 || (ox_numel(ws) != 1 && (wax != 0 || ws->ndim != 1))) continue;
      ox_node *q = sole_quantize(c, y);
      if (q == NULL) continue;
      const ox_value *xs = &c->values[pl.src[1]];
      if (b != NULL) {
        /* The bias must be int32 at scale x_scale * w_scale, zero point 0. */
        const ox_node *db = folded_dq(c, b);
        if (db == NULL) continue;
        ox_value *bq = ox_in(c, db, 0), *bs = ox_in(c, db, 1), *bz = ox_in(c, db, 2);
        if (bq->dtype != TSR_DTYPE_I32 || (ox_numel(bs) != ox_numel(ws) && ox_numel(bs) != 1)) continue;
        bool ok = true;
        for (int64_t k = 0; ok && k < ox_numel(bq); ++k) {
          int64_t wi = ox_numel(ws) == 1 ? 0 : k, bi = ox_numel(bs) == 1 ? 0 : k;
          float want = (float)ox_get_f64(xs, 0) * (float)ox_get_f64(ws, wi), got = (float)ox_get_f64(bs, bi);
          ok = fabsf(want - got) <= 1e-6f * fabsf(want) && (bz == NULL || ox_get_i64(bz, bi) == 0);
        }
        if (!ok) continue;
        pl.src[8] = db->in[0];
      }
      pl.kind = PLAN_QCONV;
      pl.src[3] = dw->in[0];
      pl.src[4] = dw->in[1];
      pl.src[5] = wz ? dw->in[2] : -1;
      pl.src[6] = q->in[1];
      pl.src[7] = q->n_in > 2 ? q->in[2] : -1;
      pl.out = q->out[0];
      q->done = true;
      drop_uses(c, q);        /* y is no longer read */
      x->n_uses--;            /* the conv reads the int8 tensor instead */
      c->values[pl.src[0]].n_uses++;
    } else if ((n->op == OX_ADD || n->op == OX_MUL) && n->n_in == 2) {
      ox_value *a = ox_in(c, n, 0), *b = ox_in(c, n, 1), *y = ox_out(c, n, 0);
      if (!runtime_dq(c, a, &pl.src[0], &pl.src[1], &pl.src[2])) continue;
      if (!runtime_dq(c, b, &pl.src[3], &pl.src[4], &pl.src[5])) continue;
      if (c->values[pl.src[0]].dtype != c->values[pl.src[3]].dtype) continue;
      ox_node *q = sole_quantize(c, y);
      if (q == NULL || ox_out(c, q, 0)->dtype != c->values[pl.src[0]].dtype) continue;
      pl.kind = PLAN_QBINARY;
      pl.binary = n->op == OX_ADD ? TSR_BINARY_ADD : TSR_BINARY_MUL;
      pl.src[6] = q->in[1];
      pl.src[7] = q->n_in > 2 ? q->in[2] : -1;
      pl.out = q->out[0];
      q->done = true;
      drop_uses(c, q);
      a->n_uses--;
      b->n_uses--;
      c->values[pl.src[0]].n_uses++;
      c->values[pl.src[3]].n_uses++;
    } else {
      continue;
    }
    c->plan_of[i] = (int32_t)c->n_plans;
    c->plans[c->n_plans++] = pl;
  }
  return TSR_OK;
}

/* Concat inputs are written by their producers straight into their window
 * of its output (when the windows are dense: the dimensions before the axis
 * all have extent 1), so the Concat moves nothing; other readers of an input
 * read its window. */
static void plan_concats(ox_ctx *c) {
  if (c->flags & TSR_ONNX_NO_FUSION) return;
  for (uint32_t i = 0; i < c->n_nodes; ++i) {
    ox_node *n = &c->nodes[i];
    if (n->done || n->op != OX_CONCAT) continue;
    ox_value *y = ox_out(c, n, 0);
    int32_t axis = concat_axis(c, n);
    if (y == NULL || axis < 0 || axis >= y->ndim) continue;
    int64_t outer = 1;
    for (int d = 0; d < axis; ++d) outer *= y->shape[d];
    if (outer != 1) continue;
    int64_t off = 0;
    for (uint32_t k = 0; k < n->n_in; ++k) {
      ox_value *x = ox_in(c, n, k);
      if (x == NULL) break;
      /* Other readers of x read the window (a dense tensor) instead. */
      bool twice = false;
      for (uint32_t j = 0; j < n->n_in; ++j) twice = twice || (j != k && n->in[j] == n->in[k]);
      if (x->cdata == NULL && !x->graph_input && !x->graph_output && x->producer >= 0 && !twice &&
          x->place_concat < 0 && !c->nodes[x->producer].done) {
        x->place_concat = (int32_t)i;
        x->place_offset = off;
      }
      off += x->shape[axis];
    }
  }
}

/* Drops nodes nobody reads (last to first, so chains go at once). */
static void drop_dead(ox_ctx *c) {
  for (uint32_t i = c->n_nodes; i-- > 0;) {
    ox_node *n = &c->nodes[i];
    if (n->done) continue;
    bool live = false;
    for (uint32_t k = 0; k < n->n_out && !live; ++k) {
      ox_value *v = ox_out(c, n, k);
      live = v != NULL && v->n_uses > 0;
    }
    /* A fused int8 pattern writes its QuantizeLinear's output instead. */
    if (c->plan_of[i] >= 0) live = c->values[c->plans[c->plan_of[i]].out].n_uses > 0;
    if (!live) {
      n->done = true;
      drop_uses(c, n);
    }
  }
}


/* ---- ops beyond the fused set: booleans as f32 0 / 1 ---- */

/* Dense f32 tensor of |v|: booleans (u8) and other plain dtypes converted. */
static tsr_status f32_in(ox_ctx *c, ox_value *v, int32_t *out) {
  int32_t t = 0;
  TSR_TRY(dense_in(c, v, &t));
  tsr_tensor d;
  describe(c, t, &d);
  if (d.dtype == TSR_DTYPE_F32) {
    *out = t;
    return TSR_OK;
  }
  char nm[TSR_NAME_MAX];
  TSR_TRY(new_root(c, mkname(nm, v->name, "f32"), TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, d.ndim, d.shape, NULL, out));
  tsr_op_params p;
  init_params(&p);
  return emit(c, TSR_OP_CONVERT, &p, &t, 1, *out, nm);
}

/* The tensor an op writes for value |v|: f32, whatever v's dtype (a bool
 * value is held as f32 0 / 1; the graph output, if it is one, gets a
 * converting copy). */
static tsr_status f32_out(ox_ctx *c, ox_value *v, int32_t *out) {
  TSR_TRY(value_root(c, v, TSR_DTYPE_F32, v->ndim, v->shape, out));
  v->tid = *out;
  return TSR_OK;
}

/* Unary kinds that only the plain lowering uses (never fused into a conv). */
static tsr_status extra_unary_kind(ox_ctx *c, const ox_node *n, int32_t *kind, float *alpha, float *beta) {
  *kind = -1;
  *alpha = *beta = 0;
  switch (n->op) {
    case OX_SOFTPLUS: *kind = TSR_UNARY_SOFTPLUS; break;
    case OX_LOG: *kind = TSR_UNARY_LOG; break;
    case OX_SIN: *kind = TSR_UNARY_SIN; break;
    case OX_COS: *kind = TSR_UNARY_COS; break;
    case OX_MISH: *kind = TSR_UNARY_MISH; break;
    case OX_ROUND: *kind = TSR_UNARY_ROUND; break;
    case OX_FLOOR: *kind = TSR_UNARY_FLOOR; break;
    case OX_CEIL: *kind = TSR_UNARY_CEIL; break;
    case OX_RECIPROCAL: *kind = TSR_UNARY_RECIPROCAL; break;
    case OX_NOT: *kind = TSR_UNARY_NOT; break;
    case OX_ELU:
      *kind = TSR_UNARY_ELU;
      TSR_TRY(ox_attr_float(c, n, "alpha", 1.0f, alpha));
      break;
    case OX_SELU:
      *kind = TSR_UNARY_SELU;
      TSR_TRY(ox_attr_float(c, n, "alpha", 1.67326319217681884765625f, alpha));
      TSR_TRY(ox_attr_float(c, n, "gamma", 1.05070102214813232421875f, beta));
      break;
    case OX_GELU: {
      char ap[16];
      TSR_TRY(ox_attr_str(c, n, "approximate", "none", ap, sizeof(ap)));
      if (strcmp(ap, "none") == 0) *kind = TSR_UNARY_GELU_ERF;
      else if (strcmp(ap, "tanh") == 0) *kind = TSR_UNARY_GELU_TANH;
      else return OX_UNSUPPORTED(c, n, "attribute 'approximate' = %s", ap);
      break;
    }
    default: break;
  }
  return TSR_OK;
}

static tsr_status lower_extra_unary(ox_ctx *c, ox_node *n) {
  int32_t kind;
  float alpha, beta;
  TSR_TRY(extra_unary_kind(c, n, &kind, &alpha, &beta));
  if (kind < 0) return OX_UNSUPPORTED(c, n, "op %s on run-time values", ox_op_name(n));
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  tsr_op_params p;
  init_params(&p);
  p.unary.kind = kind;
  p.unary.alpha = alpha;
  p.unary.beta = beta;
  int32_t src = 0, dst = 0;
  TSR_TRY(f32_in(c, x, &src));
  TSR_TRY(n->op == OX_NOT ? f32_out(c, y, &dst) : value_out(c, y, &dst));
  return emit(c, TSR_OP_UNARY, &p, &src, 1, dst, n->name);
}

/* Comparisons, logic and Mod: one BINARY on f32 (booleans as 0 / 1). */
static tsr_status lower_logical(ox_ctx *c, ox_node *n) {
  ox_value *a = ox_in(c, n, 0), *b = ox_in(c, n, 1), *y = ox_out(c, n, 0);
  tsr_op_params p;
  init_params(&p);
  switch (n->op) {
    case OX_MOD: p.binary.kind = TSR_BINARY_FMOD; break;
    case OX_EQUAL: p.binary.kind = TSR_BINARY_EQUAL; break;
    case OX_GREATER: p.binary.kind = TSR_BINARY_GREATER; break;
    case OX_LESS: p.binary.kind = TSR_BINARY_LESS; break;
    case OX_GREATER_OR_EQUAL: p.binary.kind = TSR_BINARY_GREATER_EQUAL; break;
    case OX_LESS_OR_EQUAL: p.binary.kind = TSR_BINARY_LESS_EQUAL; break;
    case OX_AND: p.binary.kind = TSR_BINARY_AND; break;
    case OX_OR: p.binary.kind = TSR_BINARY_OR; break;
    case OX_XOR: p.binary.kind = TSR_BINARY_XOR; break;
    default: return OX_UNSUPPORTED(c, n, "op %s on run-time values", ox_op_name(n));
  }
  int32_t src[2], dst = 0;
  TSR_TRY(f32_in(c, a, &src[0]));
  TSR_TRY(f32_in(c, b, &src[1]));
  TSR_TRY(n->op == OX_MOD ? value_out(c, y, &dst) : f32_out(c, y, &dst));
  return emit(c, TSR_OP_BINARY, &p, src, 2, dst, n->name);
}

static void bcast_shape(int32_t na, const int64_t *a, int32_t nb, const int64_t *b, int32_t *nd, int64_t *s) {
  int32_t r = na > nb ? na : nb;
  for (int i = 0; i < r; ++i) {
    int ia = i - (r - na), ib = i - (r - nb);
    int64_t ea = ia >= 0 ? a[ia] : 1, eb = ib >= 0 ? b[ib] : 1;
    s[i] = ea == 1 ? eb : ea;
  }
  *nd = r;
}

/* Min / Max of three or more inputs: a chain of BINARYs. */
static tsr_status lower_variadic(ox_ctx *c, ox_node *n) {
  ox_value *y = ox_out(c, n, 0);
  tsr_op_params p;
  init_params(&p);
  p.binary.kind = n->op == OX_MAX ? TSR_BINARY_MAX : TSR_BINARY_MIN;
  int32_t acc = 0, nd = 0;
  int64_t s[MAXD];
  ox_value *a = ox_in(c, n, 0);
  TSR_TRY(dense_in(c, a, &acc));
  nd = a->ndim;
  memcpy(s, a->shape, sizeof(s));
  for (uint32_t i = 1; i < n->n_in; ++i) {
    ox_value *b = ox_in(c, n, i);
    int32_t src[2] = {acc, 0}, dst = 0;
    TSR_TRY(dense_in(c, b, &src[1]));
    bcast_shape(nd, s, b->ndim, b->shape, &nd, s);
    char nm[TSR_NAME_MAX];
    snprintf(nm, sizeof(nm), "%s:%u", n->name, (unsigned)i);
    if (i + 1 == n->n_in) TSR_TRY(value_out(c, y, &dst));
    else TSR_TRY(new_root(c, nm, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, nd, s, NULL, &dst));
    TSR_TRY(emit(c, TSR_OP_BINARY, &p, src, 2, dst, nm));
    acc = dst;
  }
  return TSR_OK;
}

/* Where(cond, x, y) on run-time values: SELECT(x, cond) + SELECT_NOT(y, cond),
 * exact (one of the two terms is 0). */
static tsr_status lower_where(ox_ctx *c, ox_node *n) {
  ox_value *cv = ox_in(c, n, 0), *x = ox_in(c, n, 1), *z = ox_in(c, n, 2), *y = ox_out(c, n, 0);
  int32_t ct = 0, part[2];
  TSR_TRY(f32_in(c, cv, &ct));
  tsr_tensor cd;
  describe(c, ct, &cd);
  ox_value *vs[2] = {x, z};
  for (int k = 0; k < 2; ++k) {
    int32_t src[2] = {0, ct}, nd = 0;
    int64_t s[MAXD];
    TSR_TRY(dense_in(c, vs[k], &src[0]));
    bcast_shape(vs[k]->ndim, vs[k]->shape, cd.ndim, cd.shape, &nd, s);
    char nm[TSR_NAME_MAX];
    snprintf(nm, sizeof(nm), "%s:%s", n->name, k ? "else" : "then");
    TSR_TRY(new_root(c, nm, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, nd, s, NULL, &part[k]));
    tsr_op_params p;
    init_params(&p);
    p.binary.kind = k ? TSR_BINARY_SELECT_NOT : TSR_BINARY_SELECT;
    TSR_TRY(emit(c, TSR_OP_BINARY, &p, src, 2, part[k], nm));
  }
  int32_t dst = 0;
  TSR_TRY(value_out(c, y, &dst));
  tsr_op_params p;
  init_params(&p);
  p.binary.kind = TSR_BINARY_ADD;
  return emit(c, TSR_OP_BINARY, &p, part, 2, dst, n->name);
}

/* One GATHER per dimension d with idx[d] (NULL: dimension untouched), from
 * |x| to |y|: Tile, and Pad in reflect and edge modes. */
static tsr_status gather_chain_from(ox_ctx *c, ox_node *n, int32_t cur, ox_value *y, int64_t *const *idx) {
  tsr_tensor d;
  describe(c, cur, &d);
  int32_t nd = d.ndim, last = -1;
  int64_t s[MAXD];
  memcpy(s, d.shape, sizeof(s));
  for (int k = 0; k < nd; ++k) last = idx[k] != NULL ? k : last;
  if (last < 0) return bind_value(c, y, cur);
  TSR_TRY(contig(c, cur, &cur));
  for (int k = 0; k <= last; ++k) {
    if (idx[k] == NULL) continue;
    char nm[TSR_NAME_MAX];
    snprintf(nm, sizeof(nm), "%s:idx%d", n->name, k);
    int32_t it = 0, dst = 0, src[2];
    TSR_TRY(new_const(c, nm, TSR_DTYPE_I64, 1, &y->shape[k], idx[k], &it));
    s[k] = y->shape[k];
    snprintf(nm, sizeof(nm), "%s:%d", n->name, k);
    if (k == last) TSR_TRY(value_out(c, y, &dst));
    else TSR_TRY(new_root(c, nm, TSR_TENSOR_INTERNAL, d.dtype, nd, s, NULL, &dst));
    tsr_op_params p;
    init_params(&p);
    p.gather.axis = k;
    src[0] = cur;
    src[1] = it;
    TSR_TRY(emit(c, TSR_OP_GATHER, &p, src, 2, dst, nm));
    cur = dst;
  }
  return TSR_OK;
}

/* One GATHER per dimension d with idx[d] (NULL: dimension untouched), from
 * |x| to |y| (same rank): Tile, Pad in reflect and edge modes, Slice with
 * negative steps. */
static tsr_status gather_chain(ox_ctx *c, ox_node *n, ox_value *x, ox_value *y, int64_t *const *idx) {
  int32_t cur = 0;
  TSR_TRY(tid_of(c, x, &cur));
  return gather_chain_from(c, n, cur, y, idx);
}

static tsr_status lower_tile(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  int64_t *idx[MAXD] = {0};
  for (int d = 0; d < x->ndim; ++d) {
    if (y->shape[d] == x->shape[d]) continue;
    idx[d] = ox_alloc(c, sizeof(int64_t) * (size_t)y->shape[d]);
    if (idx[d] == NULL) return TSR_ERR_OUT_OF_MEMORY;
    for (int64_t o = 0; o < y->shape[d]; ++o) idx[d][o] = o % x->shape[d];
  }
  return gather_chain(c, n, x, y, idx);
}

/* Pad: constant mode writes x into its window of y and fills the border
 * slabs (disjoint) from a broadcast scalar; reflect and edge gather. */
static tsr_status lower_pad(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  int64_t pads[2 * MAXD];
  float value;
  int mode;
  TSR_TRY(ox_pad_params(c, n, x, pads, &value, &mode));
  const int nd = x->ndim;
  if (mode != 0) {
    int64_t *idx[MAXD] = {0};
    for (int d = 0; d < nd; ++d) {
      if (pads[d] == 0 && pads[nd + d] == 0) continue;
      idx[d] = ox_alloc(c, sizeof(int64_t) * (size_t)y->shape[d]);
      if (idx[d] == NULL) return TSR_ERR_OUT_OF_MEMORY;
      const int64_t m = x->shape[d];
      for (int64_t o = 0; o < y->shape[d]; ++o) {
        int64_t i = o - pads[d];
        if (mode == 2) i = i < 0 ? 0 : (i >= m ? m - 1 : i);
        else if (i < 0) i = -i;
        else if (i >= m) i = 2 * (m - 1) - i;
        idx[d][o] = i;
      }
    }
    return gather_chain(c, n, x, y, idx);
  }
  int32_t xt = 0, yt = 0, win = 0, kt = 0;
  TSR_TRY(tid_of(c, x, &xt));
  TSR_TRY(value_out(c, y, &yt));
  tsr_tensor yd;
  describe(c, yt, &yd);
  tsr_op_params p;
  init_params(&p);
  char nm[TSR_NAME_MAX];
  uint64_t off = 0;
  for (int d = 0; d < nd; ++d) off += (uint64_t)(pads[d] * yd.stride[d]);
  TSR_TRY(view(c, yt, mkname(nm, n->name, "inner"), nd, x->shape, yd.stride, off, &win));
  TSR_TRY(emit(c, TSR_OP_CONVERT, &p, &xt, 1, win, nm));
  const int64_t one = 1;
  TSR_TRY(new_const(c, mkname(nm, n->name, "value"), TSR_DTYPE_F32, 1, &one, &value, &kt));
  for (int d = 0; d < nd; ++d) {
    for (int e = 0; e < 2; ++e) {
      int64_t w = pads[e * nd + d];
      if (w == 0) continue;
      int64_t s[MAXD], zst[MAXD] = {0};
      uint64_t o = 0;
      for (int k = 0; k < nd; ++k) {
        s[k] = k < d ? x->shape[k] : y->shape[k];
        if (k < d) o += (uint64_t)(pads[k] * yd.stride[k]);
      }
      s[d] = w;
      if (e) o += (uint64_t)((pads[d] + x->shape[d]) * yd.stride[d]);
      int32_t slab = 0, src = 0;
      snprintf(nm, sizeof(nm), "%s:border%d%c", n->name, d, e ? 'e' : 'b');
      TSR_TRY(view(c, yt, nm, nd, s, yd.stride, o, &slab));
      TSR_TRY(view(c, kt, nm, nd, s, zst, 0, &src));
      TSR_TRY(emit(c, TSR_OP_CONVERT, &p, &src, 1, slab, nm));
    }
  }
  return TSR_OK;
}

/* DepthToSpace / SpaceToDepth: one strided 6-D copy of x into y viewed as 6-D. */
static tsr_status lower_depth_space(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  int64_t b = 0;
  TSR_TRY(ox_attr_int(c, n, "blocksize", 0, &b));
  int32_t xt = 0, yt = 0, src = 0, dst = 0;
  TSR_TRY(tid_of(c, x, &xt));
  tsr_tensor d;
  describe(c, xt, &d);
  const int64_t *st = d.stride;
  int64_t s6[6], st6[6];
  if (n->op == OX_DEPTH_TO_SPACE) {
    char mode[8];
    TSR_TRY(ox_attr_str(c, n, "mode", "DCR", mode, sizeof(mode)));
    bool crd = strcmp(mode, "CRD") == 0;
    if (!crd && strcmp(mode, "DCR") != 0) return OX_UNSUPPORTED(c, n, "attribute 'mode' = %s", mode);
    const int64_t co = y->shape[1];
    /* y viewed as [N, C', H, b1, W, b2]; x channel = DCR (b1 b + b2) C' + c', CRD c' b b + b1 b + b2. */
    int64_t v[6] = {x->shape[0], co, x->shape[2], b, x->shape[3], b};
    int64_t w[6] = {st[0], crd ? b * b * st[1] : st[1], st[2], crd ? b * st[1] : b * co * st[1], st[3],
                    crd ? st[1] : co * st[1]};
    memcpy(s6, v, sizeof(v));
    memcpy(st6, w, sizeof(w));
  } else {
    /* y channel = (b1 b + b2) C + c: y viewed as [N, b1, b2, C, H/b, W/b]. */
    int64_t v[6] = {x->shape[0], b, b, x->shape[1], y->shape[2], y->shape[3]};
    int64_t w[6] = {st[0], st[2], st[3], st[1], b * st[2], b * st[3]};
    memcpy(s6, v, sizeof(v));
    memcpy(st6, w, sizeof(w));
  }
  char nm[TSR_NAME_MAX];
  TSR_TRY(view(c, xt, mkname(nm, n->name, "src6"), 6, s6, st6, 0, &src));
  TSR_TRY(value_out(c, y, &yt));
  TSR_TRY(view(c, yt, mkname(nm, n->name, "dst6"), 6, s6, NULL, 0, &dst));
  tsr_op_params p;
  init_params(&p);
  return emit(c, TSR_OP_CONVERT, &p, &src, 1, dst, n->name);
}

/* InstanceNormalization / GroupNormalization: LAYERNORM over [N, G, rest]
 * (G = C for instance norm), then per-channel scale and bias on [N, C, S]. */
static tsr_status lower_group_norm(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *sc = ox_in(c, n, 1), *bi = ox_in(c, n, 2), *y = ox_out(c, n, 0);
  float eps;
  TSR_TRY(ox_attr_float(c, n, "epsilon", 1e-5f, &eps));
  const int64_t nb = x->shape[0], ch = x->shape[1];
  int64_t sp = 1;
  for (int i = 2; i < x->ndim; ++i) sp *= x->shape[i];
  int64_t g = ch;
  if (n->op == OX_GROUP_NORM) {
    TSR_TRY(ox_attr_int(c, n, "num_groups", 0, &g));
    if (g < 1 || ch % g != 0) return OX_BAD(c, n, "attribute 'num_groups' = %lld for %lld channels", (long long)g, (long long)ch);
  }
  /* Per-channel scale and bias [C, 1] (opset 18 GroupNormalization gives one per group). */
  float *cw = ox_alloc(c, sizeof(float) * 2 * (size_t)ch);
  if (cw == NULL) return TSR_ERR_OUT_OF_MEMORY;
  ox_value *pv[2] = {sc, bi};
  for (int k = 0; k < 2; ++k) {
    int64_t m = ox_numel(pv[k]);
    if (m != ch && m != g) return OX_BAD(c, n, "%s has %lld values for %lld channels", k ? "bias" : "scale", (long long)m, (long long)ch);
    for (int64_t i = 0; i < ch; ++i) cw[k * ch + i] = (float)ox_get_f64(pv[k], m == ch ? i : i / (ch / g));
  }
  int32_t xt = 0, xv = 0, nt = 0, nv = 0, mt = 0, yt = 0, yv = 0, wt[2];
  char nm[TSR_NAME_MAX];
  TSR_TRY(dense_in(c, x, &xt));
  const int64_t gs[3] = {nb, g, ch / g * sp}, cs[3] = {nb, ch, sp}, ws[2] = {ch, 1};
  TSR_TRY(view(c, xt, mkname(nm, n->name, "groups"), 3, gs, NULL, 0, &xv));
  TSR_TRY(new_root(c, mkname(nm, n->name, "norm"), TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 3, gs, NULL, &nt));
  tsr_op_params p;
  init_params(&p);
  p.norm.eps = eps;
  int32_t lsrc[3] = {xv, -1, -1};
  TSR_TRY(emit(c, TSR_OP_LAYERNORM, &p, lsrc, 3, nt, nm));
  TSR_TRY(view(c, nt, mkname(nm, n->name, "chan"), 3, cs, NULL, 0, &nv));
  TSR_TRY(new_const(c, mkname(nm, n->name, "scale"), TSR_DTYPE_F32, 2, ws, cw, &wt[0]));
  TSR_TRY(new_const(c, mkname(nm, n->name, "bias"), TSR_DTYPE_F32, 2, ws, cw + ch, &wt[1]));
  TSR_TRY(new_root(c, mkname(nm, n->name, "scaled"), TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 3, cs, NULL, &mt));
  init_params(&p);
  p.binary.kind = TSR_BINARY_MUL;
  int32_t msrc[2] = {nv, wt[0]};
  TSR_TRY(emit(c, TSR_OP_BINARY, &p, msrc, 2, mt, nm));
  TSR_TRY(value_out(c, y, &yt));
  TSR_TRY(view(c, yt, mkname(nm, n->name, "out"), 3, cs, NULL, 0, &yv));
  p.binary.kind = TSR_BINARY_ADD;
  int32_t asrc[2] = {mt, wt[1]};
  return emit(c, TSR_OP_BINARY, &p, asrc, 2, yv, n->name);
}

/* ---- ArgMax, ArgMin, TopK, CumSum, reductions written out, LpNormalization ---- */

/* x's dimensions with |axis| moved last: shape and strides of |t|. */
static void axis_last(const tsr_tensor *t, int32_t axis, int64_t *s, int64_t *st) {
  int k = 0;
  for (int i = 0; i < t->ndim; ++i) {
    if (i == axis) continue;
    s[k] = t->shape[i];
    st[k++] = t->stride[i];
  }
  s[k] = t->shape[axis];
  st[k] = t->stride[axis];
}

/* One TOPK writing value |v| (f32 values or i64 indices). */
static tsr_status emit_topk(ox_ctx *c, ox_node *n, int32_t xt, const ox_topk *t, ox_value *v, bool indices) {
  const char *name = indices ? v->name : n->name;
  tsr_tensor xd, yd;
  describe(c, xt, &xd);
  int64_t s[MAXD], st[MAXD], ys[MAXD], yst[MAXD];
  axis_last(&xd, t->axis, s, st);
  int32_t src = 0, yt = 0, dst = 0;
  char nm[TSR_NAME_MAX];
  TSR_TRY(view(c, xt, mkname(nm, name, "rows"), xd.ndim, s, st, 0, &src));
  TSR_TRY(value_out(c, v, &yt));
  describe(c, yt, &yd);
  /* y's strides in the same order; without keepdims the reduced axis (k = 1) has none. */
  int k = 0;
  for (int i = 0, j = 0; i < xd.ndim; ++i) {
    if (i == t->axis) {
      if (t->keep) ++j;
      continue;
    }
    ys[k] = yd.shape[j];
    yst[k++] = yd.stride[j++];
  }
  ys[k] = t->k;
  yst[k] = t->keep ? yd.stride[t->axis] : (int64_t)tsr_dtype_block_bytes(yd.dtype);
  TSR_TRY(view(c, yt, mkname(nm, name, "best"), xd.ndim, ys, yst, 0, &dst));
  tsr_op_params p;
  init_params(&p);
  p.topk.k = (int32_t)t->k;
  p.topk.largest = t->largest;
  p.topk.last_index = t->last_index;
  return emit(c, TSR_OP_TOPK, &p, &src, 1, dst, name);
}

static tsr_status lower_topk(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0);
  ox_topk t;
  TSR_TRY(ox_topk_params(c, n, x, &t));
  if (t.k > INT32_MAX) return OX_UNSUPPORTED(c, n, "k = %lld", (long long)t.k);
  int32_t xt = 0;
  TSR_TRY(tid_of(c, x, &xt));
  for (uint32_t k = 0; k < n->n_out && k < 2; ++k) {
    ox_value *v = ox_out(c, n, k);
    if (v == NULL || (v->n_uses == 0 && !v->graph_output)) continue;
    TSR_TRY(emit_topk(c, n, xt, &t, v, k == 1 || n->op != OX_TOPK));
  }
  return TSR_OK;
}

/* A new internal f32 tensor. */
static tsr_status tmp_f32(ox_ctx *c, const char *base, const char *what, int32_t nd, const int64_t *s, int32_t *out) {
  char nm[TSR_NAME_MAX];
  return new_root(c, mkname(nm, base, what), TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, nd, s, NULL, out);
}

static tsr_status emit_un(ox_ctx *c, int32_t kind, int32_t src, int32_t dst, const char *name) {
  tsr_op_params p;
  init_params(&p);
  p.unary.kind = kind;
  return emit(c, TSR_OP_UNARY, &p, &src, 1, dst, name);
}

static tsr_status emit_bin(ox_ctx *c, int32_t kind, int32_t a, int32_t b, int32_t dst, const char *name) {
  tsr_op_params p;
  init_params(&p);
  p.binary.kind = kind;
  int32_t src[2] = {a, b};
  return emit(c, TSR_OP_BINARY, &p, src, 2, dst, name);
}

static tsr_status emit_red(ox_ctx *c, int32_t kind, uint32_t mask, int32_t src, int32_t dst, const char *name) {
  tsr_op_params p;
  init_params(&p);
  p.reduce.kind = kind;
  p.reduce.axes = mask;
  return emit(c, TSR_OP_REDUCE, &p, &src, 1, dst, name);
}

/* ReduceL1, L2, SumSquare, LogSum, LogSumExp as elementwise ops around a
 * REDUCE (LogSumExp subtracts the maximum first, as ONNX Runtime). */
static tsr_status lower_reduce_composite(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  uint32_t mask;
  bool keep;
  TSR_TRY(ox_reduce_axes(c, n, x, &mask, &keep));
  int64_t s[MAXD];
  for (int i = 0; i < x->ndim; ++i) s[i] = (mask & (1u << i)) ? 1 : x->shape[i];
  const int32_t nd = x->ndim;
  int32_t xt = 0, out = 0, a = 0, b = 0;
  TSR_TRY(dense_in(c, x, &xt));
  TSR_TRY(value_root(c, y, TSR_DTYPE_F32, nd, s, &out));
  TSR_TRY(bind_value(c, y, out));
  const char *nm = n->name;
  switch (n->op) {
    case OX_REDUCE_L1:
      TSR_TRY(tmp_f32(c, nm, "abs", nd, x->shape, &a));
      TSR_TRY(emit_un(c, TSR_UNARY_ABS, xt, a, nm));
      return emit_red(c, TSR_REDUCE_SUM, mask, a, out, nm);
    case OX_REDUCE_SUM_SQUARE:
    case OX_REDUCE_L2:
      TSR_TRY(tmp_f32(c, nm, "sq", nd, x->shape, &a));
      TSR_TRY(emit_bin(c, TSR_BINARY_MUL, xt, xt, a, nm));
      if (n->op == OX_REDUCE_SUM_SQUARE) return emit_red(c, TSR_REDUCE_SUM, mask, a, out, nm);
      TSR_TRY(tmp_f32(c, nm, "sum", nd, s, &b));
      TSR_TRY(emit_red(c, TSR_REDUCE_SUM, mask, a, b, nm));
      return emit_un(c, TSR_UNARY_SQRT, b, out, nm);
    case OX_REDUCE_LOG_SUM:
      TSR_TRY(tmp_f32(c, nm, "sum", nd, s, &b));
      TSR_TRY(emit_red(c, TSR_REDUCE_SUM, mask, xt, b, nm));
      return emit_un(c, TSR_UNARY_LOG, b, out, nm);
    default: { /* LogSumExp: log(sum(exp(x - m))) + m */
      int32_t m = 0, e = 0, l = 0;
      TSR_TRY(tmp_f32(c, nm, "max", nd, s, &m));
      TSR_TRY(emit_red(c, TSR_REDUCE_MAX, mask, xt, m, nm));
      TSR_TRY(tmp_f32(c, nm, "shifted", nd, x->shape, &a));
      TSR_TRY(emit_bin(c, TSR_BINARY_SUB, xt, m, a, nm));
      TSR_TRY(tmp_f32(c, nm, "exp", nd, x->shape, &e));
      TSR_TRY(emit_un(c, TSR_UNARY_EXP, a, e, nm));
      TSR_TRY(tmp_f32(c, nm, "sum", nd, s, &b));
      TSR_TRY(emit_red(c, TSR_REDUCE_SUM, mask, e, b, nm));
      TSR_TRY(tmp_f32(c, nm, "log", nd, s, &l));
      TSR_TRY(emit_un(c, TSR_UNARY_LOG, b, l, nm));
      return emit_bin(c, TSR_BINARY_ADD, l, m, out, nm);
    }
  }
}

/* LpNormalization: x / (sum |x|^p)^(1/p) along the axis, p 1 or 2. */
static tsr_status lower_lp_norm(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  int64_t pn = 2, axis = -1;
  TSR_TRY(ox_attr_int(c, n, "p", 2, &pn));
  TSR_TRY(ox_attr_int(c, n, "axis", -1, &axis));
  if (axis < 0) axis += x->ndim;
  const int32_t nd = x->ndim;
  int64_t s[MAXD];
  for (int i = 0; i < nd; ++i) s[i] = i == axis ? 1 : x->shape[i];
  int32_t xt = 0, a = 0, b = 0, r = 0, out = 0;
  const char *nm = n->name;
  TSR_TRY(dense_in(c, x, &xt));
  TSR_TRY(tmp_f32(c, nm, "abs", nd, x->shape, &a));
  if (pn == 1) TSR_TRY(emit_un(c, TSR_UNARY_ABS, xt, a, nm));
  else TSR_TRY(emit_bin(c, TSR_BINARY_MUL, xt, xt, a, nm));
  TSR_TRY(tmp_f32(c, nm, "sum", nd, s, &b));
  TSR_TRY(emit_red(c, TSR_REDUCE_SUM, 1u << axis, a, b, nm));
  if (pn == 2) {
    TSR_TRY(tmp_f32(c, nm, "norm", nd, s, &r));
    TSR_TRY(emit_un(c, TSR_UNARY_SQRT, b, r, nm));
    b = r;
  }
  TSR_TRY(value_out(c, y, &out));
  return emit_bin(c, TSR_BINARY_DIV, xt, b, out, nm);
}

/* CumSum as a MATMUL of the rows (axis last) with a 0/1 triangle
 * T[n, k] = 1 where x[k] counts towards y[n] (exclusive, reverse). */
static tsr_status lower_cumsum(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *y = ox_out(c, n, 0);
  int32_t axis = 0;
  int64_t ex = 0, rev = 0;
  TSR_TRY(ox_cumsum_axis(c, n, x, &axis));
  TSR_TRY(ox_attr_int(c, n, "exclusive", 0, &ex));
  TSR_TRY(ox_attr_int(c, n, "reverse", 0, &rev));
  const int64_t len = x->shape[axis];
  if (len > 4096) return OX_UNSUPPORTED(c, n, "a cumulative sum over %lld elements (at most 4096)", (long long)len);
  float *tri = ox_alloc(c, sizeof(float) * (size_t)(len * len));
  if (tri == NULL) return TSR_ERR_OUT_OF_MEMORY;
  for (int64_t r = 0; r < len; ++r) {
    for (int64_t k = 0; k < len; ++k) {
      bool in = rev ? (ex ? k > r : k >= r) : (ex ? k < r : k <= r);
      tri[r * len + k] = in ? 1.0f : 0.0f;
    }
  }
  const char *nm = n->name;
  char buf[TSR_NAME_MAX];
  int32_t xt = 0, rows = 0, dense = 0, tt = 0, yt = 0, prod = 0, back = 0;
  TSR_TRY(tid_of(c, x, &xt));
  tsr_tensor xd;
  describe(c, xt, &xd);
  int64_t s[MAXD], st[MAXD];
  axis_last(&xd, axis, s, st);
  TSR_TRY(view(c, xt, mkname(buf, nm, "rows"), x->ndim, s, st, 0, &rows));
  TSR_TRY(contig(c, rows, &dense));
  const int64_t ts[2] = {len, len};
  TSR_TRY(new_const(c, mkname(buf, nm, "triangle"), TSR_DTYPE_F32, 2, ts, tri, &tt));
  tsr_op_params p;
  init_params(&p);
  int32_t src[2] = {dense, tt};
  if (axis == x->ndim - 1) {
    TSR_TRY(value_out(c, y, &yt));
    return emit(c, TSR_OP_MATMUL, &p, src, 2, yt, nm);
  }
  TSR_TRY(tmp_f32(c, nm, "sums", x->ndim, s, &prod));
  TSR_TRY(emit(c, TSR_OP_MATMUL, &p, src, 2, prod, nm));
  /* Back to y's order: y viewed with the axis last. */
  TSR_TRY(value_out(c, y, &yt));
  tsr_tensor yd;
  describe(c, yt, &yd);
  axis_last(&yd, axis, s, st);
  TSR_TRY(view(c, yt, mkname(buf, nm, "out"), x->ndim, s, st, 0, &back));
  init_params(&p);
  return emit(c, TSR_OP_CONVERT, &p, &prod, 1, back, nm);
}

/* ---- GridSample ---- */

static tsr_status lower_grid_sample(ox_ctx *c, ox_node *n) {
  ox_value *x = ox_in(c, n, 0), *g = ox_in(c, n, 1), *y = ox_out(c, n, 0);
  char mode[16], pad[16];
  int64_t ac = 0;
  TSR_TRY(ox_attr_str(c, n, "mode", c->opset >= 20 ? "linear" : "bilinear", mode, sizeof(mode)));
  TSR_TRY(ox_attr_str(c, n, "padding_mode", "zeros", pad, sizeof(pad)));
  TSR_TRY(ox_attr_int(c, n, "align_corners", 0, &ac));
  tsr_op_params p;
  init_params(&p);
  if (strcmp(mode, "bilinear") == 0 || strcmp(mode, "linear") == 0) p.grid_sample.mode = TSR_GRID_BILINEAR;
  else if (strcmp(mode, "nearest") == 0) p.grid_sample.mode = TSR_GRID_NEAREST;
  else if (strcmp(mode, "bicubic") == 0 || strcmp(mode, "cubic") == 0) p.grid_sample.mode = TSR_GRID_BICUBIC;
  else return OX_UNSUPPORTED(c, n, "attribute 'mode' = %s", mode);
  if (strcmp(pad, "zeros") == 0) p.grid_sample.padding = TSR_GRID_ZEROS;
  else if (strcmp(pad, "border") == 0) p.grid_sample.padding = TSR_GRID_BORDER;
  else if (strcmp(pad, "reflection") == 0) p.grid_sample.padding = TSR_GRID_REFLECTION;
  else return OX_UNSUPPORTED(c, n, "attribute 'padding_mode' = %s", pad);
  p.grid_sample.align_corners = ac != 0;
  int32_t src[2], dst = 0;
  TSR_TRY(tid_of(c, x, &src[0]));
  TSR_TRY(tid_of(c, g, &src[1]));
  TSR_TRY(value_out(c, y, &dst));
  return emit(c, TSR_OP_GRID_SAMPLE, &p, src, 2, dst, n->name);
}

/* ---- GatherElements, GatherND, ScatterND ---- */

static tsr_status lower_gather_more(ox_ctx *c, ox_node *n) {
  ox_value *y = ox_out(c, n, 0);
  tsr_op_params p;
  init_params(&p);
  tsr_op_type type = TSR_OP_GATHER_ND;
  if (n->op == OX_GATHER_ELEMENTS) {
    int64_t axis = 0;
    TSR_TRY(ox_attr_int(c, n, "axis", 0, &axis));
    if (axis < 0) axis += y->ndim;
    p.gather.axis = (int32_t)axis;
    type = TSR_OP_GATHER_ELEMENTS;
  } else if (n->op == OX_SCATTER_ND) {
    type = TSR_OP_SCATTER_ND;
  }
  const uint32_t ns = type == TSR_OP_SCATTER_ND ? 3 : 2;
  int32_t src[3], dst = 0;
  for (uint32_t i = 0; i < ns; ++i) {
    ox_value *v = ox_in(c, n, i);
    if (v == NULL) return OX_BAD(c, n, "input %u is missing", (unsigned)i);
    TSR_TRY(tid_of(c, v, &src[i]));
  }
  TSR_TRY(value_out(c, y, &dst));
  return emit(c, type, &p, src, ns, dst, n->name);
}

/* ---- MatMulInteger ---- */

/* In f32, exactly: A - a_zp (exact small integers) times the constant
 * (B - b_zp)^T, every partial sum an integer below 2^24 (checked here from
 * B's values), converted to i32. */
static tsr_status lower_matmul_integer(ox_ctx *c, ox_node *n) {
  ox_value *a = ox_in(c, n, 0), *b = ox_in(c, n, 1), *az = ox_in(c, n, 2), *bz = ox_in(c, n, 3), *y = ox_out(c, n, 0);
  const int64_t k = b->shape[0], nn = b->shape[1];
  const double azp = az != NULL ? ox_get_f64(az, 0) : 0.0;
  const double amax = fmax(fabs((a->dtype == TSR_DTYPE_U8 ? 255.0 : 127.0) - azp),
                           fabs((a->dtype == TSR_DTYPE_U8 ? 0.0 : -128.0) - azp));
  float *bt = ox_alloc(c, sizeof(float) * (size_t)(k * nn));
  if (bt == NULL) return TSR_ERR_OUT_OF_MEMORY;
  double worst = 0.0;
  for (int64_t j = 0; j < nn; ++j) {
    const double zp = bz != NULL ? ox_get_f64(bz, ox_numel(bz) == 1 ? 0 : j) : 0.0;
    double sum = 0.0;
    for (int64_t i = 0; i < k; ++i) {
      const double v = ox_get_f64(b, i * nn + j) - zp;
      bt[j * k + i] = (float)v;
      sum += fabs(v);
    }
    worst = fmax(worst, sum);
  }
  if (worst * amax >= 16777216.0)
    return OX_UNSUPPORTED(c, n, "sums up to %.0f (exact only below 2^24 in f32)", worst * amax);
  char nm[TSR_NAME_MAX];
  int32_t at = 0, af = 0, bt_id = 0, prod = 0, yt = 0;
  TSR_TRY(f32_in(c, a, &at));
  tsr_tensor ad;
  describe(c, at, &ad);
  af = at;
  if (azp != 0.0) {
    const float zf = (float)azp;
    const int64_t one = 1;
    int32_t zt = 0;
    TSR_TRY(new_const(c, mkname(nm, n->name, "a_zp"), TSR_DTYPE_F32, 1, &one, &zf, &zt));
    TSR_TRY(tmp_f32(c, n->name, "a", ad.ndim, ad.shape, &af));
    TSR_TRY(emit_bin(c, TSR_BINARY_SUB, at, zt, af, n->name));
  }
  const int64_t bs[2] = {nn, k};
  TSR_TRY(new_const(c, mkname(nm, n->name, "b"), TSR_DTYPE_F32, 2, bs, bt, &bt_id));
  TSR_TRY(tmp_f32(c, n->name, "sums", y->ndim, y->shape, &prod));
  tsr_op_params p;
  init_params(&p);
  int32_t src[2] = {af, bt_id};
  TSR_TRY(emit(c, TSR_OP_MATMUL, &p, src, 2, prod, n->name));
  TSR_TRY(value_out(c, y, &yt));
  return emit(c, TSR_OP_CONVERT, &p, &prod, 1, yt, n->name);
}

/* ---- LSTM, GRU: unrolled over the (static) sequence ---- */

/* Name "<node>:d<dir>t<step>:<what>" in |buf|. */
static const char *rnn_name(char *buf, const ox_node *n, int d, int64_t t, const char *what) {
  snprintf(buf, TSR_NAME_MAX, "%s:d%dt%lld:%s", n->name, d, (long long)t, what);
  return buf;
}

/* [rows, cols] view of |t| at byte |off| with row stride |rs| (elements). */
static tsr_status rnn_view(ox_ctx *c, int32_t t, const char *name, int64_t rows, int64_t cols, int64_t rs, int64_t off,
                           int32_t *out) {
  const int64_t s[2] = {rows, cols}, st[2] = {rs * 4, 4};
  return view(c, t, name, 2, s, st, (uint64_t)(off * 4), out);
}

static tsr_status rnn_tmp(ox_ctx *c, const char *name, int64_t rows, int64_t cols, int32_t *out) {
  const int64_t s[2] = {rows, cols};
  return new_root(c, name, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, s, NULL, out);
}

static tsr_status rnn_matmul(ox_ctx *c, int32_t a, int32_t b, int32_t bias, int32_t dst, const char *name) {
  tsr_op_params p;
  init_params(&p);
  int32_t src[3] = {a, b, bias};
  return emit(c, TSR_OP_MATMUL, &p, src, bias >= 0 ? 3 : 2, dst, name);
}

/* The initial state of direction |d|: input |v| [D, B, H] or zeros. */
static tsr_status rnn_initial(ox_ctx *c, ox_node *n, ox_value *v, int d, int64_t b, int64_t h, const char *what,
                              int32_t *out) {
  char nm[TSR_NAME_MAX];
  if (v == NULL) {
    float *z = ox_alloc(c, sizeof(float) * (size_t)(b * h));
    if (z == NULL) return TSR_ERR_OUT_OF_MEMORY;
    const int64_t s[2] = {b, h};
    return new_const(c, rnn_name(nm, n, d, 0, what), TSR_DTYPE_F32, 2, s, z, out);
  }
  int32_t t = 0;
  TSR_TRY(dense_in(c, v, &t));
  return rnn_view(c, t, rnn_name(nm, n, d, 0, what), b, h, h, d * b * h, out);
}

static tsr_status lower_rnn(ox_ctx *c, ox_node *n) {
  ox_rnn r;
  TSR_TRY(ox_rnn_params(c, n, &r));
  const bool lstm = n->op == OX_LSTM;
  const int64_t H = r.hidden, B = r.batch, T = r.steps, I = r.input, G = r.gates * H;
  if (T * r.dirs > 4096) return OX_UNSUPPORTED(c, n, "%lld steps to unroll (at most 4096)", (long long)(T * r.dirs));
  ox_value *x = ox_in(c, n, 0), *w = ox_in(c, n, 1), *rw = ox_in(c, n, 2), *bv = ox_in(c, n, 3);
  ox_value *yv = ox_out(c, n, 0), *yh = ox_out(c, n, 1), *yc = lstm ? ox_out(c, n, 2) : NULL;
  char nm[TSR_NAME_MAX];
  int32_t xt = 0, x2 = 0, yt = 0, yht = -1, yct = -1;
  TSR_TRY(dense_in(c, x, &xt));
  TSR_TRY(rnn_view(c, xt, rnn_name(nm, n, 0, 0, "x"), T * B, I, I, 0, &x2));
  const int64_t ys[4] = {T, r.dirs, B, H};
  if (yv != NULL && (yv->n_uses > 0 || yv->graph_output)) TSR_TRY(value_out(c, yv, &yt));
  else TSR_TRY(new_root(c, rnn_name(nm, n, 0, 0, "Y"), TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 4, ys, NULL, &yt));
  if (yh != NULL && (yh->n_uses > 0 || yh->graph_output)) TSR_TRY(value_out(c, yh, &yht));
  if (yc != NULL && (yc->n_uses > 0 || yc->graph_output)) TSR_TRY(value_out(c, yc, &yct));
  const float *wd = (const float *)w->cdata, *rd = (const float *)rw->cdata;
  const float *bd = bv != NULL ? (const float *)bv->cdata : NULL;
  tsr_op_params p;
  for (int d = 0; d < r.dirs; ++d) {
    /* X W^T + (Wb + Rb, except GRU's Rbh when the reset comes first) for every step at once. */
    float *bias = ox_alloc(c, sizeof(float) * (size_t)(2 * G));
    if (bias == NULL) return TSR_ERR_OUT_OF_MEMORY;
    float *rbh = bias + G;
    for (int64_t k = 0; k < G && bd != NULL; ++k) {
      const float wb = bd[d * 2 * G + k], rb = bd[d * 2 * G + G + k];
      const bool inside = !lstm && r.linear_before_reset && k >= 2 * H;
      bias[k] = inside ? wb : wb + rb;
      if (k >= 2 * H) rbh[k - 2 * H] = rb;
    }
    const int64_t ws[2] = {G, I}, rs[2] = {G, H}, bs[1] = {G};
    int32_t wt = 0, rt = 0, bt = 0, xw = 0, rzr = 0, rh = 0, rbt = -1;
    TSR_TRY(new_const(c, rnn_name(nm, n, d, 0, "W"), TSR_DTYPE_F32, 2, ws, wd + d * G * I, &wt));
    TSR_TRY(new_const(c, rnn_name(nm, n, d, 0, "R"), TSR_DTYPE_F32, 2, rs, rd + d * G * H, &rt));
    TSR_TRY(new_const(c, rnn_name(nm, n, d, 0, "bias"), TSR_DTYPE_F32, 1, bs, bias, &bt));
    TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, 0, "xw"), T * B, G, &xw));
    TSR_TRY(rnn_matmul(c, x2, wt, bt, xw, nm));
    if (!lstm) {
      TSR_TRY(rnn_view(c, rt, rnn_name(nm, n, d, 0, "Rzr"), 2 * H, H, H, 0, &rzr));
      TSR_TRY(rnn_view(c, rt, rnn_name(nm, n, d, 0, "Rh"), H, H, H, 2 * H * H, &rh));
      if (r.linear_before_reset && bd != NULL) TSR_TRY(new_const(c, rnn_name(nm, n, d, 0, "Rbh"), TSR_DTYPE_F32, 1, &H, rbh, &rbt));
    }
    int32_t hp = 0, cp = -1;
    TSR_TRY(rnn_initial(c, n, ox_in(c, n, 5), d, B, H, "h0", &hp));
    if (lstm) TSR_TRY(rnn_initial(c, n, ox_in(c, n, 6), d, B, H, "c0", &cp));
    TSR_TRY(contig(c, hp, &hp));
    if (lstm) TSR_TRY(contig(c, cp, &cp));
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = (r.reverse || d == 1) ? T - 1 - s : s;
      int32_t xwt = 0, hslot = 0;
      TSR_TRY(rnn_view(c, xw, rnn_name(nm, n, d, t, "xw"), B, G, G, t * B * G, &xwt));
      TSR_TRY(rnn_view(c, yt, rnn_name(nm, n, d, t, "h"), B, H, H, (t * r.dirs + d) * B * H, &hslot));
      if (lstm) {
        int32_t hr = 0, g = 0, gs = 0, sg = 0, gc = 0, ct = 0, sf = 0, si = 0, so = 0, fc = 0, ic = 0, cn = 0, tc = 0;
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "hr"), B, G, &hr));
        TSR_TRY(rnn_matmul(c, hp, rt, -1, hr, nm));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "gates"), B, G, &g));
        TSR_TRY(emit_bin(c, TSR_BINARY_ADD, xwt, hr, g, nm));
        TSR_TRY(rnn_view(c, g, rnn_name(nm, n, d, t, "iof"), B, 3 * H, G, 0, &gs));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "sig"), B, 3 * H, &sg));
        init_params(&p);
        TSR_TRY(emit_un(c, TSR_UNARY_SIGMOID, gs, sg, nm));
        TSR_TRY(rnn_view(c, g, rnn_name(nm, n, d, t, "cand"), B, H, G, 3 * H, &gc));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "tanh"), B, H, &ct));
        TSR_TRY(emit_un(c, TSR_UNARY_TANH, gc, ct, nm));
        TSR_TRY(rnn_view(c, sg, rnn_name(nm, n, d, t, "i"), B, H, 3 * H, 0, &si));
        TSR_TRY(rnn_view(c, sg, rnn_name(nm, n, d, t, "o"), B, H, 3 * H, H, &so));
        TSR_TRY(rnn_view(c, sg, rnn_name(nm, n, d, t, "f"), B, H, 3 * H, 2 * H, &sf));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "fc"), B, H, &fc));
        TSR_TRY(emit_bin(c, TSR_BINARY_MUL, sf, cp, fc, nm));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "ic"), B, H, &ic));
        TSR_TRY(emit_bin(c, TSR_BINARY_MUL, si, ct, ic, nm));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "c"), B, H, &cn));
        TSR_TRY(emit_bin(c, TSR_BINARY_ADD, fc, ic, cn, nm));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "tc"), B, H, &tc));
        TSR_TRY(emit_un(c, TSR_UNARY_TANH, cn, tc, nm));
        TSR_TRY(emit_bin(c, TSR_BINARY_MUL, so, tc, hslot, nm));
        cp = cn;
      } else {
        int32_t hr = 0, xzr = 0, zrp = 0, zr = 0, z = 0, rg = 0, hh = 0, rhh = 0, xh = 0, hpre = 0, hc = 0, dl = 0, zd = 0;
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "hr"), B, 2 * H, &hr));
        TSR_TRY(rnn_matmul(c, hp, rzr, -1, hr, nm));
        TSR_TRY(rnn_view(c, xwt, rnn_name(nm, n, d, t, "xzr"), B, 2 * H, G, 0, &xzr));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "zr_pre"), B, 2 * H, &zrp));
        TSR_TRY(emit_bin(c, TSR_BINARY_ADD, xzr, hr, zrp, nm));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "zr"), B, 2 * H, &zr));
        TSR_TRY(emit_un(c, TSR_UNARY_SIGMOID, zrp, zr, nm));
        TSR_TRY(rnn_view(c, zr, rnn_name(nm, n, d, t, "z"), B, H, 2 * H, 0, &z));
        TSR_TRY(rnn_view(c, zr, rnn_name(nm, n, d, t, "r"), B, H, 2 * H, H, &rg));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "rh"), B, H, &rhh));
        if (r.linear_before_reset) { /* r * (h Rh^T + Rbh) */
          TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "hh"), B, H, &hh));
          TSR_TRY(rnn_matmul(c, hp, rh, rbt, hh, nm));
          TSR_TRY(emit_bin(c, TSR_BINARY_MUL, rg, hh, rhh, nm));
        } else { /* (r * h) Rh^T */
          TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "rhp"), B, H, &hh));
          TSR_TRY(emit_bin(c, TSR_BINARY_MUL, rg, hp, hh, nm));
          TSR_TRY(rnn_matmul(c, hh, rh, -1, rhh, nm));
        }
        TSR_TRY(rnn_view(c, xwt, rnn_name(nm, n, d, t, "xh"), B, H, G, 2 * H, &xh));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "h_pre"), B, H, &hpre));
        TSR_TRY(emit_bin(c, TSR_BINARY_ADD, xh, rhh, hpre, nm));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "h_cand"), B, H, &hc));
        TSR_TRY(emit_un(c, TSR_UNARY_TANH, hpre, hc, nm));
        /* h = (1 - z) hc + z hp = hc + z (hp - hc) */
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "delta"), B, H, &dl));
        TSR_TRY(emit_bin(c, TSR_BINARY_SUB, hp, hc, dl, nm));
        TSR_TRY(rnn_tmp(c, rnn_name(nm, n, d, t, "zd"), B, H, &zd));
        TSR_TRY(emit_bin(c, TSR_BINARY_MUL, z, dl, zd, nm));
        TSR_TRY(emit_bin(c, TSR_BINARY_ADD, hc, zd, hslot, nm));
      }
      hp = hslot;
    }
    init_params(&p);
    if (yht >= 0) {
      int32_t win = 0;
      TSR_TRY(rnn_view(c, yht, rnn_name(nm, n, d, T, "Y_h"), B, H, H, d * B * H, &win));
      TSR_TRY(emit(c, TSR_OP_CONVERT, &p, &hp, 1, win, nm));
    }
    if (yct >= 0) {
      int32_t win = 0;
      TSR_TRY(rnn_view(c, yct, rnn_name(nm, n, d, T, "Y_c"), B, H, H, d * B * H, &win));
      TSR_TRY(emit(c, TSR_OP_CONVERT, &p, &cp, 1, win, nm));
    }
  }
  return TSR_OK;
}

/* ---- Einsum ---- */

static int letter_at(const char *ls, int n, char l) {
  for (int i = 0; i < n; ++i) {
    if (ls[i] == l) return i;
  }
  return -1;
}

/* |t| (an operand with letters |ls|) viewed in the order |order|. */
static tsr_status einsum_view(ox_ctx *c, int32_t t, const char *ls, const char *order, int n, const char *name,
                              int32_t *out) {
  tsr_tensor d;
  describe(c, t, &d);
  int64_t s[MAXD], st[MAXD];
  for (int i = 0; i < n; ++i) {
    int j = letter_at(ls, d.ndim, order[i]);
    s[i] = d.shape[j];
    st[i] = d.stride[j];
  }
  return view(c, t, name, n, s, st, 0, out);
}

/* One operand: a transpose (a view). Two: a MATMUL of A [batch, M, K] and
 * B [batch, N, K] (letters grouped; each group's extents multiplied), whose
 * result is copied into the output order when that differs. */
static tsr_status lower_einsum(ox_ctx *c, ox_node *n) {
  ox_value *y = ox_out(c, n, 0);
  ox_einsum e;
  TSR_TRY(ox_einsum_parse(c, n, &e));
  char nm[TSR_NAME_MAX];
  if (e.n_in == 1) {
    if (e.nd_out != e.nd[0]) return OX_UNSUPPORTED(c, n, "a one-operand equation that sums (a reduction)");
    int32_t t = 0;
    TSR_TRY(tid_of(c, ox_in(c, n, 0), &t));
    int32_t v = 0;
    TSR_TRY(einsum_view(c, t, e.in[0], e.out, e.nd_out, mkname(nm, n->name, "perm"), &v));
    return bind_value(c, y, v);
  }
  char bt[MAXD], m[MAXD], nn[MAXD], k[MAXD];
  int nb = 0, nm_ = 0, nn_ = 0, nk = 0;
  for (int i = 0; i < e.nd_out; ++i) {
    char l = e.out[i];
    bool ia = letter_at(e.in[0], e.nd[0], l) >= 0, ib = letter_at(e.in[1], e.nd[1], l) >= 0;
    if (ia && ib) bt[nb++] = l;
    else if (ia) m[nm_++] = l;
    else nn[nn_++] = l;
  }
  for (int i = 0; i < e.nd[0]; ++i) {
    char l = e.in[0][i];
    if (letter_at(e.out, e.nd_out, l) >= 0) continue;
    if (letter_at(e.in[1], e.nd[1], l) < 0) return OX_UNSUPPORTED(c, n, "index %c summed within one operand", 'a' + l);
    k[nk++] = l;
  }
  for (int i = 0; i < e.nd[1]; ++i) {
    char l = e.in[1][i];
    if (letter_at(e.out, e.nd_out, l) < 0 && letter_at(e.in[0], e.nd[0], l) < 0)
      return OX_UNSUPPORTED(c, n, "index %c summed within one operand", 'a' + l);
  }
  if (nb + 2 > MAXD) return OX_UNSUPPORTED(c, n, "%d batch indices", nb);
  int64_t msz = 1, nsz = 1, ksz = 1;
  for (int i = 0; i < nm_; ++i) msz *= e.size[(int)m[i]];
  for (int i = 0; i < nn_; ++i) nsz *= e.size[(int)nn[i]];
  for (int i = 0; i < nk; ++i) ksz *= e.size[(int)k[i]];
  /* Operands as [batch.., M, K] and [batch.., N, K]. */
  int32_t op[2];
  for (int w = 0; w < 2; ++w) {
    char order[2 * MAXD];
    int no = 0;
    for (int i = 0; i < nb; ++i) order[no++] = bt[i];
    const char *g = w ? nn : m;
    for (int i = 0; i < (w ? nn_ : nm_); ++i) order[no++] = g[i];
    for (int i = 0; i < nk; ++i) order[no++] = k[i];
    ox_value *x = ox_in(c, n, (uint32_t)w);
    int32_t t = 0, v = 0, d = 0;
    TSR_TRY(tid_of(c, x, &t));
    snprintf(nm, sizeof(nm), "%s:op%d", n->name, w);
    TSR_TRY(einsum_view(c, t, e.in[w], order, no, nm, &v));
    TSR_TRY(contig(c, v, &d));
    tsr_tensor dd;
    describe(c, d, &dd);
    int64_t s[MAXD];
    for (int i = 0; i < nb; ++i) s[i] = dd.shape[i];
    s[nb] = w ? nsz : msz;
    s[nb + 1] = ksz;
    TSR_TRY(view(c, d, nm, nb + 2, s, NULL, 0, &op[w]));
  }
  tsr_tensor ad, bd;
  describe(c, op[0], &ad);
  describe(c, op[1], &bd);
  int64_t ps[MAXD];
  for (int i = 0; i < nb; ++i) {
    if (ad.shape[i] != bd.shape[i] && ad.shape[i] == 1)
      return OX_UNSUPPORTED(c, n, "batch index %c broadcast from the first operand", 'a' + bt[i]);
    ps[i] = ad.shape[i];
  }
  ps[nb] = msz;
  ps[nb + 1] = nsz;
  /* The output in product order (batch, m, n): y itself when that is its order. */
  char porder[MAXD];
  int np = 0;
  for (int i = 0; i < nb; ++i) porder[np++] = bt[i];
  for (int i = 0; i < nm_; ++i) porder[np++] = m[i];
  for (int i = 0; i < nn_; ++i) porder[np++] = nn[i];
  bool direct = memcmp(porder, e.out, (size_t)np) == 0;
  int32_t yt = 0, prod = 0;
  TSR_TRY(value_out(c, y, &yt));
  tsr_op_params p;
  init_params(&p);
  if (direct) {
    TSR_TRY(view(c, yt, mkname(nm, n->name, "mm"), nb + 2, ps, NULL, 0, &prod));
    return emit(c, TSR_OP_MATMUL, &p, op, 2, prod, n->name);
  }
  TSR_TRY(tmp_f32(c, n->name, "mm", nb + 2, ps, &prod));
  TSR_TRY(emit(c, TSR_OP_MATMUL, &p, op, 2, prod, n->name));
  /* prod viewed with one dimension per letter, copied into y's order. */
  int64_t ls[MAXD];
  for (int i = 0; i < np; ++i) ls[i] = i < nb ? ps[i] : e.size[(int)porder[i]];
  int32_t pl = 0, yl = 0;
  TSR_TRY(view(c, prod, mkname(nm, n->name, "letters"), np, ls, NULL, 0, &pl));
  TSR_TRY(einsum_view(c, yt, e.out, porder, np, mkname(nm, n->name, "out"), &yl));
  init_params(&p);
  return emit(c, TSR_OP_CONVERT, &p, &pl, 1, yl, n->name);
}

/* ---- the pass ---- */

static tsr_status lower_node(ox_ctx *c, ox_node *n, uint32_t index) {
  const ox_plan *plan = c->plan_of[index] >= 0 ? &c->plans[c->plan_of[index]] : NULL;
  if (plan != NULL && plan->kind == PLAN_QCONV) return lower_qlinear_conv(c, n, plan);
  if (plan != NULL && plan->kind == PLAN_QBINARY) return lower_qlinear_binary(c, n, plan);
  switch (n->op) {
    case OX_CONV: case OX_CONV_TRANSPOSE: return lower_conv(c, n);
    case OX_QLINEAR_CONV: return lower_qlinear_conv(c, n, NULL);
    case OX_MAX_POOL: case OX_AVERAGE_POOL: case OX_GLOBAL_AVERAGE_POOL: case OX_GLOBAL_MAX_POOL: return lower_pool(c, n);
    case OX_ADD: case OX_SUB: case OX_MUL: case OX_DIV: case OX_POW: case OX_MAX: case OX_MIN:
      if (n->n_in == 1) return lower_alias(c, n);
      if (n->n_in > 2) return lower_variadic(c, n);
      return lower_binary(c, n);
    case OX_SOFTPLUS: case OX_LOG: case OX_SIN: case OX_COS: case OX_MISH: case OX_ROUND: case OX_FLOOR: case OX_CEIL:
    case OX_RECIPROCAL: case OX_NOT: case OX_ELU: case OX_SELU: case OX_GELU:
      return lower_extra_unary(c, n);
    case OX_MOD: case OX_EQUAL: case OX_GREATER: case OX_LESS: case OX_GREATER_OR_EQUAL: case OX_LESS_OR_EQUAL:
    case OX_AND: case OX_OR: case OX_XOR:
      return lower_logical(c, n);
    case OX_WHERE: return lower_where(c, n);
    case OX_TILE: return lower_tile(c, n);
    case OX_PAD: return lower_pad(c, n);
    case OX_DEPTH_TO_SPACE: case OX_SPACE_TO_DEPTH: return lower_depth_space(c, n);
    case OX_INSTANCE_NORM: case OX_GROUP_NORM: return lower_group_norm(c, n);
    case OX_ARG_MAX: case OX_ARG_MIN: case OX_TOPK: return lower_topk(c, n);
    case OX_CUMSUM: return lower_cumsum(c, n);
    case OX_EINSUM: return lower_einsum(c, n);
    case OX_LSTM: case OX_GRU: return lower_rnn(c, n);
    case OX_MATMUL_INTEGER: return lower_matmul_integer(c, n);
    case OX_GRID_SAMPLE: return lower_grid_sample(c, n);
    case OX_GATHER_ELEMENTS: case OX_GATHER_ND: case OX_SCATTER_ND: return lower_gather_more(c, n);
    case OX_LP_NORM: return lower_lp_norm(c, n);
    case OX_REDUCE_L1: case OX_REDUCE_L2: case OX_REDUCE_SUM_SQUARE: case OX_REDUCE_LOG_SUM: case OX_REDUCE_LOG_SUM_EXP:
      return lower_reduce_composite(c, n);
    case OX_RELU: case OX_SIGMOID: case OX_TANH: case OX_ERF: case OX_SQRT: case OX_EXP: case OX_NEG: case OX_ABS:
    case OX_LEAKY_RELU: case OX_HARD_SIGMOID: case OX_HARD_SWISH: case OX_CLIP:
      return lower_unary(c, n);
    case OX_PRELU: return lower_prelu(c, n);
    case OX_BATCH_NORM: return lower_batch_norm(c, n);
    case OX_MATMUL: return lower_matmul(c, n);
    case OX_GEMM: return lower_gemm(c, n);
    case OX_QLINEAR_MATMUL: return lower_qlinear_matmul(c, n);
    case OX_QLINEAR_ADD: case OX_QLINEAR_MUL: return lower_qlinear_binary(c, n, NULL);
    case OX_REDUCE_MEAN: case OX_REDUCE_SUM: case OX_REDUCE_MAX: case OX_REDUCE_MIN: return lower_reduce(c, n);
    case OX_SOFTMAX: return lower_softmax(c, n);
    case OX_LAYER_NORM: return lower_layer_norm(c, n);
    case OX_RESIZE: case OX_UPSAMPLE: return lower_resize(c, n);
    case OX_QUANTIZE_LINEAR: case OX_DEQUANTIZE_LINEAR: return lower_qdq(c, n);
    case OX_IDENTITY: case OX_DROPOUT: case OX_CAST: case OX_RESHAPE: case OX_FLATTEN: case OX_SQUEEZE:
    case OX_UNSQUEEZE:
      return lower_alias(c, n);
    case OX_TRANSPOSE: return lower_transpose(c, n);
    case OX_SLICE: return lower_slice(c, n);
    case OX_SPLIT: return lower_split(c, n);
    case OX_GATHER: return lower_gather(c, n);
    case OX_EXPAND: return lower_expand(c, n);
    case OX_CONCAT: return lower_concat(c, n);
    default: return OX_UNSUPPORTED(c, n, "op %s on run-time values", ox_op_name(n));
  }
}

tsr_status ox_lower(ox_ctx *c) {
  c->plan_of = ox_alloc(c, sizeof(int32_t) * (c->n_nodes + 1));
  if (c->plan_of == NULL) return TSR_ERR_OUT_OF_MEMORY;
  memset(c->plan_of, 0xff, sizeof(int32_t) * (c->n_nodes + 1));
  /* Folded nodes read nothing at run time. */
  for (uint32_t i = 0; i < c->n_nodes; ++i) {
    if (c->nodes[i].done) drop_uses(c, &c->nodes[i]);
  }
  TSR_TRY(plan_qdq(c));
  drop_dead(c);
  plan_concats(c);
  /* Inputs. */
  for (uint32_t i = 0; i < c->n_values; ++i) {
    ox_value *v = &c->values[i];
    if (!v->graph_input) continue;
    if (c->net->n_inputs >= TSR_NET_MAX_IO) return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: more than %d inputs", TSR_NET_MAX_IO);
    TSR_TRY(new_root(c, v->name, TSR_TENSOR_INPUT, v->dtype, v->ndim, v->shape, NULL, &v->tid));
    TSR_TRY(tsr_net_add_io(c->net, true, v->name, v->tid, c->err));
  }
  for (uint32_t i = 0; i < c->n_nodes; ++i) {
    ox_node *n = &c->nodes[i];
    if (n->done) continue;
    n->done = true;
    TSR_TRY(lower_node(c, n, i));
  }
  /* Outputs: each must be an OUTPUT root; copy views, inputs and constants. */
  const Onnx__GraphProto *g = c->model->graph;
  for (size_t i = 0; i < g->n_output; ++i) {
    ox_value *v = &c->values[ox_find(c, g->output[i]->name)];
    if (c->net->n_outputs >= TSR_NET_MAX_IO) return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: more than %d outputs", TSR_NET_MAX_IO);
    int32_t t = 0;
    TSR_TRY(tid_of(c, v, &t));
    const tsr_gtensor *gt = &c->g->tensors[t];
    if (gt->kind != TSR_TENSOR_OUTPUT) {
      int32_t dst = 0;
      TSR_TRY(new_root(c, v->name, TSR_TENSOR_OUTPUT, v->dtype, v->ndim, v->shape, NULL, &dst));
      tsr_op_params p;
      init_params(&p);
      TSR_TRY(emit(c, TSR_OP_CONVERT, &p, &t, 1, dst, v->name));
      t = dst;
    }
    TSR_TRY(tsr_net_add_io(c->net, false, v->name, t, c->err));
  }
  return TSR_OK;
}
