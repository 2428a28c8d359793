/* ONNX import, pass 2: static shapes for every value, constants folded.
 *
 * Nodes are visited in file order (ONNX requires a topological order). Every
 * node's attributes are checked against the list the importer knows for its
 * op (anything else is TSR_ERR_UNSUPPORTED naming the attribute), its output
 * shapes and dtypes are computed, and when every input is a constant and the
 * op is one the importer can evaluate, the outputs become constants and the
 * node is marked done. Shape sub-graphs (Shape -> Gather -> Concat ->
 * Reshape), Constant nodes and DequantizeLinear of weights all disappear
 * here. Float arithmetic is done as ONNX Runtime does it, in float32. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/onnx/onnx_ir.h"

#define MAXD TSR_MAX_DIMS

/* ---- attribute lists ---- */

typedef struct op_attrs {
  ox_op op;
  const char *names[12];
} op_attrs;

/* "consumed_inputs" (opset 1 legacy) is accepted and ignored everywhere. */
static const op_attrs kAttrs[] = {
    {OX_ADD, {"broadcast", "axis"}},
    {OX_SUB, {"broadcast", "axis"}},
    {OX_MUL, {"broadcast", "axis"}},
    {OX_DIV, {"broadcast", "axis"}},
    {OX_POW, {"broadcast", "axis"}},
    {OX_AVERAGE_POOL, {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides", "dilations"}},
    {OX_MAX_POOL, {"auto_pad", "ceil_mode", "kernel_shape", "pads", "strides", "dilations", "storage_order"}},
    {OX_BATCH_NORM, {"epsilon", "momentum", "spatial", "is_test", "training_mode"}},
    {OX_CAST, {"to", "saturate"}},
    {OX_CLIP, {"min", "max"}},
    {OX_CONCAT, {"axis"}},
    {OX_CONSTANT, {"value", "value_float", "value_floats", "value_int", "value_ints"}},
    {OX_CONSTANT_OF_SHAPE, {"value"}},
    {OX_CONV, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}},
    {OX_CONV_TRANSPOSE, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", "output_padding", "output_shape"}},
    {OX_QLINEAR_CONV, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}},
    {OX_DEQUANTIZE_LINEAR, {"axis"}},
    {OX_QUANTIZE_LINEAR, {"axis", "saturate"}},
    {OX_DROPOUT, {"ratio", "is_test", "seed"}},
    {OX_FLATTEN, {"axis"}},
    {OX_GATHER, {"axis"}},
    {OX_GEMM, {"alpha", "beta", "transA", "transB", "broadcast"}},
    {OX_HARD_SIGMOID, {"alpha", "beta"}},
    {OX_LAYER_NORM, {"axis", "epsilon", "stash_type"}},
    {OX_LEAKY_RELU, {"alpha"}},
    {OX_REDUCE_MAX, {"axes", "keepdims", "noop_with_empty_axes"}},
    {OX_REDUCE_MEAN, {"axes", "keepdims", "noop_with_empty_axes"}},
    {OX_REDUCE_MIN, {"axes", "keepdims", "noop_with_empty_axes"}},
    {OX_REDUCE_SUM, {"axes", "keepdims", "noop_with_empty_axes"}},
    {OX_RESHAPE, {"shape", "allowzero"}},
    {OX_RESIZE, {"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside",
                 "extrapolation_value", "antialias", "keep_aspect_ratio_policy", "axes"}},
    {OX_UPSAMPLE, {"mode", "scales", "height_scale", "width_scale"}},
    {OX_SHAPE, {"start", "end"}},
    {OX_SLICE, {"starts", "ends", "axes"}},
    {OX_SOFTMAX, {"axis"}},
    {OX_SPLIT, {"axis", "split", "num_outputs"}},
    {OX_SQUEEZE, {"axes"}},
    {OX_UNSQUEEZE, {"axes"}},
    {OX_TRANSPOSE, {"perm"}},
    {OX_MAX, {"broadcast"}},
    {OX_MIN, {"broadcast"}},
    {OX_ELU, {"alpha"}},
    {OX_SELU, {"alpha", "gamma"}},
    {OX_GELU, {"approximate"}},
    {OX_MOD, {"fmod"}},
    {OX_PAD, {"mode", "pads", "value", "paddings"}},
    {OX_DEPTH_TO_SPACE, {"blocksize", "mode"}},
    {OX_SPACE_TO_DEPTH, {"blocksize"}},
    {OX_INSTANCE_NORM, {"epsilon"}},
    {OX_GROUP_NORM, {"epsilon", "num_groups", "stash_type"}},
    {OX_ARG_MAX, {"axis", "keepdims", "select_last_index"}},
    {OX_ARG_MIN, {"axis", "keepdims", "select_last_index"}},
    {OX_TOPK, {"axis", "k", "largest", "sorted"}},
    {OX_CUMSUM, {"exclusive", "reverse"}},
    {OX_REDUCE_L1, {"axes", "keepdims", "noop_with_empty_axes"}},
    {OX_REDUCE_L2, {"axes", "keepdims", "noop_with_empty_axes"}},
    {OX_REDUCE_SUM_SQUARE, {"axes", "keepdims", "noop_with_empty_axes"}},
    {OX_REDUCE_LOG_SUM, {"axes", "keepdims", "noop_with_empty_axes"}},
    {OX_REDUCE_LOG_SUM_EXP, {"axes", "keepdims", "noop_with_empty_axes"}},
    {OX_LP_NORM, {"axis", "p"}},
    {OX_EINSUM, {"equation"}},
    {OX_GRID_SAMPLE, {"mode", "padding_mode", "align_corners"}},
    {OX_GATHER_ELEMENTS, {"axis"}},
    {OX_GATHER_ND, {"batch_dims"}},
    {OX_SCATTER_ND, {"reduction"}},
    {OX_LSTM, {"hidden_size", "direction", "layout", "input_forget", "activations", "clip"}},
    {OX_GRU, {"hidden_size", "direction", "layout", "linear_before_reset", "activations", "clip"}},
};

static tsr_status check_attrs(ox_ctx *c, const ox_node *n) {
  const op_attrs *list = NULL;
  for (size_t i = 0; i < sizeof(kAttrs) / sizeof(kAttrs[0]); ++i) {
    if (kAttrs[i].op == n->op) list = &kAttrs[i];
  }
  for (size_t i = 0; i < n->pb->n_attribute; ++i) {
    const char *an = n->pb->attribute[i]->name ? n->pb->attribute[i]->name : "";
    if (strcmp(an, "consumed_inputs") == 0) continue;
    bool ok = false;
    for (int k = 0; list != NULL && k < 12 && list->names[k] != NULL; ++k) ok = ok || strcmp(list->names[k], an) == 0;
    if (!ok) return OX_UNSUPPORTED(c, n, "attribute '%s' is not supported", an);
  }
  return TSR_OK;
}

/* ---- helpers ---- */

static bool is_const(const ox_value *v) { return v != NULL && v->cdata != NULL; }

static tsr_status need(ox_ctx *c, const ox_node *n, uint32_t i, ox_value **out) {
  ox_value *v = ox_in(c, n, i);
  if (v == NULL) return OX_BAD(c, n, "input %u is missing", (unsigned)i);
  if (v->ndim < 0 || v->dtype == TSR_DTYPE_NONE) return OX_BAD(c, n, "input %u (%s) has no known shape", (unsigned)i, v->name);
  *out = v;
  return TSR_OK;
}

static tsr_status set_out(ox_ctx *c, const ox_node *n, uint32_t k, tsr_dtype dt, int32_t ndim, const int64_t *shape) {
  ox_value *v = ox_out(c, n, k);
  if (v == NULL) return TSR_OK;
  if (ndim > MAXD) return OX_UNSUPPORTED(c, n, "output %s would have %d dimensions (at most %d)", v->name, (int)ndim, MAXD);
  int64_t numel = 1; /* zero extents count as 1: the other extents still multiply into strides */
  for (int i = 0; i < ndim; ++i) {
    if (shape[i] < 0) return OX_BAD(c, n, "output %s gets a negative extent", v->name);
    if (shape[i] > 0 && numel > ((int64_t)1 << 40) / shape[i]) return OX_BAD(c, n, "output %s is impossibly large", v->name);
    numel *= shape[i] > 0 ? shape[i] : 1;
  }
  v->dtype = dt;
  v->ndim = ndim;
  for (int i = 0; i < MAXD; ++i) v->shape[i] = i < ndim ? shape[i] : 0;
  return TSR_OK;
}

static tsr_status same_as_input(ox_ctx *c, const ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  return set_out(c, n, 0, x->dtype, x->ndim, x->shape);
}

/* Allocates the constant contents of output |k| (after set_out). Folded
 * constants are limited to 256 Mi elements. */
static void *make_const(ox_ctx *c, const ox_node *n, uint32_t k) {
  ox_value *v = ox_out(c, n, k);
  if (v == NULL) return NULL;
  if (ox_numel(v) > ((int64_t)1 << 28)) {
    OX_UNSUPPORTED(c, n, "a folded constant of %lld elements", (long long)ox_numel(v));
    return NULL;
  }
  v->cdata = ox_alloc(c, (size_t)ox_numel(v) * tsr_dtype_block_bytes(v->dtype) + 1);
  return v->cdata;
}

static tsr_status norm_axis(ox_ctx *c, const ox_node *n, int64_t axis, int32_t ndim, int32_t *out) {
  if (axis < -(int64_t)ndim || axis >= ndim) return OX_BAD(c, n, "axis %lld out of range for rank %d", (long long)axis, (int)ndim);
  *out = (int32_t)(axis < 0 ? axis + ndim : axis);
  return TSR_OK;
}

/* An integer list from a constant 1-D (or scalar) input |i|. */
static tsr_status const_ints(ox_ctx *c, const ox_node *n, uint32_t i, const char *what, int64_t *out, int cap, int *out_n) {
  ox_value *v = ox_in(c, n, i);
  if (v == NULL) {
    *out_n = -1;
    return TSR_OK;
  }
  if (!is_const(v)) return OX_UNSUPPORTED(c, n, "input '%s' (%s) must be a constant", what, v->name);
  if (v->dtype != TSR_DTYPE_I64 && v->dtype != TSR_DTYPE_I32)
    return OX_BAD(c, n, "input '%s' must be int64", what);
  int64_t m = ox_numel(v);
  if (v->ndim > 1 || m > cap) return OX_UNSUPPORTED(c, n, "input '%s' has %lld values", what, (long long)m);
  for (int64_t k = 0; k < m; ++k) out[k] = ox_get_i64(v, k);
  *out_n = (int)m;
  return TSR_OK;
}

/* numpy broadcast of two shapes. */
static tsr_status broadcast(ox_ctx *c, const ox_node *n, const ox_value *a, const ox_value *b, int32_t *nd, int64_t *shape) {
  int32_t r = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int i = 0; i < r; ++i) {
    int ia = i - (r - a->ndim), ib = i - (r - b->ndim);
    int64_t ea = ia >= 0 ? a->shape[ia] : 1, eb = ib >= 0 ? b->shape[ib] : 1;
    if (ea != eb && ea != 1 && eb != 1)
      return OX_BAD(c, n, "shapes of %s and %s do not broadcast (dimension %d: %lld vs %lld)", a->name, b->name, i,
                    (long long)ea, (long long)eb);
    shape[i] = ea == 1 ? eb : ea;
  }
  *nd = r;
  return TSR_OK;
}

/* Element offset in |v| (right-aligned, broadcast) of flat index |i| of a
 * tensor with shape |ys|/|yn|. */
static int64_t bcast_index(const ox_value *v, const int64_t *ys, int32_t yn, int64_t i) {
  int64_t off = 0, mul = 1;
  for (int d = yn - 1; d >= 0; --d) {
    int64_t idx = i % ys[d];
    i /= ys[d];
    int vd = d - (yn - v->ndim);
    if (vd >= 0) {
      if (v->shape[vd] != 1) off += idx * mul;
      mul *= v->shape[vd];
    }
  }
  return off;
}

static void store_f32(void *p, int64_t i, float x) { memcpy((uint8_t *)p + 4 * i, &x, 4); }
static void store_i64(void *p, int64_t i, int64_t x) { memcpy((uint8_t *)p + 8 * i, &x, 8); }
static float load_f32(const ox_value *v, int64_t i) { return (float)ox_get_f64(v, i); }

/* double -> int64 without undefined behaviour: NaN is 0, the rest clamped. */
static int64_t sat_i64(double x) {
  if (!(x == x)) return 0;
  if (x >= 9.2e18) return INT64_MAX;
  if (x <= -9.2e18) return INT64_MIN;
  return (int64_t)x;
}

/* Stores |x| converted to |dt| (wrapping like a C cast for the narrow types). */
static void store_as(tsr_dtype dt, void *p, int64_t i, double x, int64_t xi, bool exact_int) {
  switch (dt) {
    case TSR_DTYPE_F32: store_f32(p, i, exact_int ? (float)xi : (float)x); break;
    case TSR_DTYPE_I64: store_i64(p, i, exact_int ? xi : sat_i64(x)); break;
    case TSR_DTYPE_I32: {
      int32_t y = (int32_t)(uint32_t)(uint64_t)(exact_int ? xi : sat_i64(x));
      memcpy((uint8_t *)p + 4 * i, &y, 4);
      break;
    }
    case TSR_DTYPE_I8: ((uint8_t *)p)[i] = (uint8_t)(uint64_t)(exact_int ? xi : sat_i64(x)); break;
    case TSR_DTYPE_U8: ((uint8_t *)p)[i] = (uint8_t)(uint64_t)(exact_int ? xi : sat_i64(x)); break;
    default: break;
  }
}

/* Advances a multi-index; false at the end. */
static bool next_index(int64_t *idx, const int64_t *shape, int32_t nd) {
  for (int d = nd - 1; d >= 0; --d) {
    if (++idx[d] < shape[d]) return true;
    idx[d] = 0;
  }
  return false;
}

static bool is_float_dt(tsr_dtype t) { return t == TSR_DTYPE_F32; }
static bool is_int_dt(tsr_dtype t) { return t == TSR_DTYPE_I64 || t == TSR_DTYPE_I32 || t == TSR_DTYPE_I8 || t == TSR_DTYPE_U8; }

/* ---- elementwise ---- */

static tsr_status infer_binary(ox_ctx *c, ox_node *n) {
  ox_value *a = NULL, *b = NULL;
  TSR_TRY(need(c, n, 0, &a));
  TSR_TRY(need(c, n, 1, &b));
  if (n->n_in != 2) return OX_UNSUPPORTED(c, n, "%u inputs (2 supported)", (unsigned)n->n_in);
  int64_t bc = 0;
  TSR_TRY(ox_attr_int(c, n, "broadcast", 0, &bc));
  if (bc != 0 && b->ndim < a->ndim) {
    /* Opset < 7 broadcasting: b's dimensions align with a's from |axis|. */
    int64_t axis = -1;
    TSR_TRY(ox_attr_int(c, n, "axis", -1, &axis));
    int32_t ax = axis < 0 ? a->ndim - b->ndim : 0;
    if (axis >= 0) TSR_TRY(norm_axis(c, n, axis, a->ndim, &ax));
    if (ax + b->ndim > a->ndim) return OX_BAD(c, n, "legacy broadcast axis %d does not fit", (int)ax);
    if (!is_const(b)) return OX_UNSUPPORTED(c, n, "legacy (opset < 7) broadcasting of a non-constant input");
    /* Re-shape b as [1.., b.., 1..] through a new constant value. */
    int32_t id = (int32_t)c->n_values;
    if (c->n_values >= c->cap_values) return OX_BAD(c, n, "too many values");
    c->n_values++;
    ox_value *nb = &c->values[id];
    *nb = *b;
    nb->name = b->name;
    nb->ndim = a->ndim - ax;
    for (int i = 0; i < nb->ndim; ++i) nb->shape[i] = i < b->ndim ? b->shape[i] : 1;
    nb->n_uses = 1;
    nb->producer = -1;
    nb->graph_input = nb->graph_output = false;
    nb->tid = -1;
    nb->place_concat = -1;
    b->n_uses--;
    n->in[1] = id;
    b = nb;
  }
  int32_t nd = 0;
  int64_t shape[MAXD];
  TSR_TRY(broadcast(c, n, a, b, &nd, shape));
  tsr_dtype dt = a->dtype;
  const bool logical = ox_is_logical(n->op);
  if (logical) dt = TSR_DTYPE_U8;
  else if (a->dtype != b->dtype && !(n->op == OX_POW))
    return OX_BAD(c, n, "inputs have different dtypes (%s and %s)", tsr_dtype_name(a->dtype), tsr_dtype_name(b->dtype));
  TSR_TRY(set_out(c, n, 0, dt, nd, shape));
  int64_t fm = 0;
  if (n->op == OX_MOD) TSR_TRY(ox_attr_int(c, n, "fmod", 0, &fm));
  if (n->op == OX_MOD && is_float_dt(a->dtype) && fm == 0) return OX_BAD(c, n, "attribute 'fmod' = 0 on float inputs");
  if (!is_const(a) || !is_const(b)) {
    /* At run time: f32 arithmetic, comparisons of f32, logic on booleans. */
    if (logical && (is_float_dt(a->dtype) || a->dtype == TSR_DTYPE_U8)) return TSR_OK;
    if (!is_float_dt(a->dtype)) return OX_UNSUPPORTED(c, n, "arithmetic on run-time %s values", tsr_dtype_name(a->dtype));
    return TSR_OK;
  }
  ox_value *y = ox_out(c, n, 0);
  void *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  int64_t m = ox_numel(y);
  bool fl = is_float_dt(a->dtype);
  for (int64_t i = 0; i < m; ++i) {
    int64_t ia = bcast_index(a, shape, nd, i), ib = bcast_index(b, shape, nd, i);
    if (logical) {
      int cmp = fl ? (ox_get_f64(a, ia) > ox_get_f64(b, ib)) - (ox_get_f64(a, ia) < ox_get_f64(b, ib))
                   : (ox_get_i64(a, ia) > ox_get_i64(b, ib)) - (ox_get_i64(a, ia) < ox_get_i64(b, ib));
      bool eq = fl ? ox_get_f64(a, ia) == ox_get_f64(b, ib) : ox_get_i64(a, ia) == ox_get_i64(b, ib);
      bool ta = ox_get_f64(a, ia) != 0, tb = ox_get_f64(b, ib) != 0, r = false;
      switch (n->op) {
        case OX_EQUAL: r = eq; break;
        case OX_GREATER: r = cmp > 0 && !eq; break;
        case OX_LESS: r = cmp < 0 && !eq; break;
        case OX_GREATER_OR_EQUAL: r = cmp > 0 || eq; break;
        case OX_LESS_OR_EQUAL: r = cmp < 0 || eq; break;
        case OX_AND: r = ta && tb; break;
        case OX_OR: r = ta || tb; break;
        case OX_XOR: r = ta != tb; break;
        default: break;
      }
      ((uint8_t *)p)[i] = r;
      continue;
    }
    if (fl) {
      float x = load_f32(a, ia), z = load_f32(b, ib), r = 0;
      switch (n->op) {
        case OX_ADD: r = x + z; break;
        case OX_SUB: r = x - z; break;
        case OX_MUL: r = x * z; break;
        case OX_DIV: r = x / z; break;
        case OX_POW: r = powf(x, z); break;
        case OX_MAX: r = x > z ? x : z; break;
        case OX_MIN: r = x < z ? x : z; break;
        case OX_MOD: r = fmodf(x, z); break;
        default: break;
      }
      store_f32(p, i, r);
    } else {
      int64_t x = ox_get_i64(a, ia), z = ox_get_i64(b, ib), r = 0;
      switch (n->op) {
        case OX_ADD: r = (int64_t)((uint64_t)x + (uint64_t)z); break;
        case OX_SUB: r = (int64_t)((uint64_t)x - (uint64_t)z); break;
        case OX_MUL: r = (int64_t)((uint64_t)x * (uint64_t)z); break;
        case OX_DIV:
          if (z == 0 || (x == INT64_MIN && z == -1)) return OX_BAD(c, n, "integer division by zero");
          r = x / z;
          break;
        case OX_POW: r = sat_i64(pow((double)x, ox_get_f64(b, ib))); break;
        case OX_MAX: r = x > z ? x : z; break;
        case OX_MIN: r = x < z ? x : z; break;
        case OX_MOD:
          if (z == 0 || (x == INT64_MIN && z == -1)) return OX_BAD(c, n, "integer modulo by zero");
          r = x % z;
          if (fm == 0 && r != 0 && ((r < 0) != (z < 0))) r += z; /* the sign of the divisor */
          break;
        default: break;
      }
      store_as(y->dtype, p, i, 0, r, true);
    }
  }
  n->done = true;
  return TSR_OK;
}

static tsr_status infer_unary(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  TSR_TRY(set_out(c, n, 0, x->dtype, x->ndim, x->shape));
  bool int_ok = n->op == OX_NEG || n->op == OX_ABS || n->op == OX_IDENTITY || n->op == OX_RELU;
  if (n->op == OX_NOT) {
    if (x->dtype != TSR_DTYPE_U8) return OX_BAD(c, n, "input dtype %s (bool expected)", tsr_dtype_name(x->dtype));
    if (!is_const(x)) return TSR_OK;
    uint8_t *p = make_const(c, n, 0);
    if (p == NULL) return c->err->code;
    for (int64_t i = 0; i < ox_numel(x); ++i) p[i] = ox_get_i64(x, i) == 0;
    n->done = true;
    return TSR_OK;
  }
  if (!is_float_dt(x->dtype) && !(int_ok && is_const(x)))
    return OX_UNSUPPORTED(c, n, "input dtype %s is not supported", tsr_dtype_name(x->dtype));
  if (!is_const(x)) return TSR_OK;
  /* Only cheap, exactly specified functions are folded. */
  if (n->op != OX_NEG && n->op != OX_ABS && n->op != OX_SQRT && n->op != OX_FLOOR && n->op != OX_RELU) return TSR_OK;
  ox_value *y = ox_out(c, n, 0);
  void *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  for (int64_t i = 0; i < ox_numel(y); ++i) {
    if (!is_float_dt(x->dtype)) {
      int64_t v = ox_get_i64(x, i);
      int64_t r = n->op == OX_NEG ? -v : (n->op == OX_ABS ? (v < 0 ? -v : v) : (v < 0 ? 0 : v));
      store_as(y->dtype, p, i, 0, r, true);
      continue;
    }
    float v = load_f32(x, i), r = v;
    switch (n->op) {
      case OX_NEG: r = -v; break;
      case OX_ABS: r = fabsf(v); break;
      case OX_SQRT: r = sqrtf(v); break;
      case OX_FLOOR: r = floorf(v); break;
      case OX_RELU: r = v > 0 ? v : 0; break;
      default: break;
    }
    store_f32(p, i, r);
  }
  n->done = true;
  return TSR_OK;
}

/* ---- data movement ---- */

static tsr_status infer_cast(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t to = 0;
  TSR_TRY(ox_attr_int(c, n, "to", 0, &to));
  tsr_dtype dt = TSR_DTYPE_NONE;
  switch (to) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: dt = TSR_DTYPE_F32; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: dt = TSR_DTYPE_I64; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: dt = TSR_DTYPE_I32; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: dt = TSR_DTYPE_I8; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: dt = TSR_DTYPE_U8; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: dt = TSR_DTYPE_U8; break;
    default: return OX_UNSUPPORTED(c, n, "attribute 'to' = %lld (cast target dtype) is not supported", (long long)to);
  }
  TSR_TRY(set_out(c, n, 0, dt, x->ndim, x->shape));
  if (!is_const(x)) return TSR_OK;
  ox_value *y = ox_out(c, n, 0);
  void *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  for (int64_t i = 0; i < ox_numel(y); ++i) {
    if (to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL) {
      ((uint8_t *)p)[i] = ox_get_f64(x, i) != 0.0;
    } else if (is_float_dt(x->dtype)) {
      store_as(dt, p, i, ox_get_f64(x, i), 0, false);
    } else {
      store_as(dt, p, i, 0, ox_get_i64(x, i), true);
    }
  }
  n->done = true;
  return TSR_OK;
}

/* Outputs that reuse the input's bytes with another shape. */
static tsr_status alias_out(ox_ctx *c, ox_node *n, const ox_value *x, int32_t nd, const int64_t *shape) {
  TSR_TRY(set_out(c, n, 0, x->dtype, nd, shape));
  if (is_const(x)) {
    ox_out(c, n, 0)->cdata = x->cdata;
    n->done = true;
  }
  return TSR_OK;
}

static tsr_status infer_reshape(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t s[16];
  int ns = -1;
  if (c->opset < 5 || n->n_in < 2) {
    TSR_TRY(ox_attr_ints(c, n, "shape", s, 16, &ns));
  } else {
    TSR_TRY(const_ints(c, n, 1, "shape", s, 16, &ns));
  }
  if (ns < 0) return OX_BAD(c, n, "no target shape");
  if (ns > MAXD) return OX_UNSUPPORTED(c, n, "target shape has %d dimensions", ns);
  int64_t allowzero = 0;
  TSR_TRY(ox_attr_int(c, n, "allowzero", 0, &allowzero));
  int64_t known = 1, total = ox_numel(x);
  int infer = -1;
  for (int i = 0; i < ns; ++i) {
    if (s[i] == 0 && !allowzero) {
      if (i >= x->ndim) return OX_BAD(c, n, "shape entry %d copies a dimension the input lacks", i);
      s[i] = x->shape[i];
    }
    if (s[i] == -1) {
      if (infer >= 0) return OX_BAD(c, n, "two -1 entries in the target shape");
      infer = i;
      continue;
    }
    if (s[i] < 0 || s[i] > ((int64_t)1 << 40)) return OX_BAD(c, n, "target shape entry %lld", (long long)s[i]);
    if (s[i] > 0 && known > ((int64_t)1 << 40) / s[i]) return OX_BAD(c, n, "target shape too large");
    known *= s[i];
  }
  if (infer >= 0) {
    if (known == 0 || total % known != 0) return OX_BAD(c, n, "cannot infer the -1 dimension");
    s[infer] = total / known;
  } else if (known != total) {
    return OX_BAD(c, n, "reshape of %lld elements to %lld", (long long)total, (long long)known);
  }
  return alias_out(c, n, x, ns, s);
}

static tsr_status infer_flatten(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t axis = 1;
  TSR_TRY(ox_attr_int(c, n, "axis", 1, &axis));
  if (axis < 0) axis += x->ndim;
  if (axis < 0 || axis > x->ndim) return OX_BAD(c, n, "axis out of range");
  int64_t s[2] = {1, 1};
  for (int i = 0; i < x->ndim; ++i) s[i < axis ? 0 : 1] *= x->shape[i];
  return alias_out(c, n, x, 2, s);
}

static tsr_status read_axes(ox_ctx *c, ox_node *n, int64_t *axes, int *na) {
  if (c->opset >= 13 || (n->n_in >= 2 && ox_in(c, n, 1) != NULL)) {
    TSR_TRY(const_ints(c, n, 1, "axes", axes, 16, na));
    if (*na >= 0) return TSR_OK;
  }
  return ox_attr_ints(c, n, "axes", axes, 16, na);
}

static tsr_status infer_squeeze(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t axes[16];
  int na;
  TSR_TRY(read_axes(c, n, axes, &na));
  bool drop[MAXD] = {false};
  if (na < 0) {
    for (int i = 0; i < x->ndim; ++i) drop[i] = x->shape[i] == 1;
  } else {
    for (int i = 0; i < na; ++i) {
      int32_t a = 0;
      TSR_TRY(norm_axis(c, n, axes[i], x->ndim, &a));
      if (x->shape[a] != 1) return OX_BAD(c, n, "squeezes dimension %d of extent %lld", (int)a, (long long)x->shape[a]);
      drop[a] = true;
    }
  }
  int64_t s[MAXD];
  int32_t nd = 0;
  for (int i = 0; i < x->ndim; ++i) {
    if (!drop[i]) s[nd++] = x->shape[i];
  }
  return alias_out(c, n, x, nd, s);
}

static tsr_status infer_unsqueeze(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t axes[16];
  int na;
  TSR_TRY(read_axes(c, n, axes, &na));
  if (na < 0) return OX_BAD(c, n, "no axes");
  int32_t nd = x->ndim + na;
  if (nd > MAXD) return OX_UNSUPPORTED(c, n, "output would have %d dimensions", (int)nd);
  bool ins[MAXD] = {false};
  for (int i = 0; i < na; ++i) {
    int32_t a = 0;
    TSR_TRY(norm_axis(c, n, axes[i], nd, &a));
    if (ins[a]) return OX_BAD(c, n, "repeated axis");
    ins[a] = true;
  }
  int64_t s[MAXD];
  for (int i = 0, k = 0; i < nd; ++i) s[i] = ins[i] ? 1 : x->shape[k++];
  return alias_out(c, n, x, nd, s);
}

static tsr_status infer_shape(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t start = 0, end = x->ndim;
  TSR_TRY(ox_attr_int(c, n, "start", 0, &start));
  TSR_TRY(ox_attr_int(c, n, "end", x->ndim, &end));
  if (start < 0) start += x->ndim;
  if (end < 0) end += x->ndim;
  start = start < 0 ? 0 : (start > x->ndim ? x->ndim : start);
  end = end < start ? start : (end > x->ndim ? x->ndim : end);
  int64_t len = end - start;
  TSR_TRY(set_out(c, n, 0, TSR_DTYPE_I64, 1, &len));
  void *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  for (int64_t i = 0; i < len; ++i) store_i64(p, i, x->shape[start + i]);
  n->done = true;
  return TSR_OK;
}

static tsr_status infer_constant(ox_ctx *c, ox_node *n) {
  ox_value *y = ox_out(c, n, 0);
  if (y == NULL) return OX_BAD(c, n, "no output");
  const Onnx__AttributeProto *a;
  if ((a = ox_attr(n, "value")) != NULL) {
    if (a->t == NULL) return OX_BAD(c, n, "attribute 'value' holds no tensor");
    TSR_TRY(ox_decode_tensor(c, a->t, y->name, y));
  } else if ((a = ox_attr(n, "value_float")) != NULL || (a = ox_attr(n, "value_int")) != NULL) {
    bool f = strcmp(a->name, "value_float") == 0;
    y->dtype = f ? TSR_DTYPE_F32 : TSR_DTYPE_I64;
    y->ndim = 0;
    y->cdata = ox_alloc(c, 8);
    if (y->cdata == NULL) return TSR_ERR_OUT_OF_MEMORY;
    if (f) store_f32(y->cdata, 0, a->f);
    else store_i64(y->cdata, 0, a->i);
  } else if ((a = ox_attr(n, "value_floats")) != NULL || (a = ox_attr(n, "value_ints")) != NULL) {
    bool f = strcmp(a->name, "value_floats") == 0;
    size_t m = f ? a->n_floats : a->n_ints;
    y->dtype = f ? TSR_DTYPE_F32 : TSR_DTYPE_I64;
    y->ndim = 1;
    y->shape[0] = (int64_t)m;
    y->cdata = ox_alloc(c, 8 * m + 8);
    if (y->cdata == NULL) return TSR_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; i < m; ++i) {
      if (f) store_f32(y->cdata, (int64_t)i, a->floats[i]);
      else store_i64(y->cdata, (int64_t)i, a->ints[i]);
    }
  } else {
    return OX_UNSUPPORTED(c, n, "a Constant without a 'value' attribute (sparse or string constants)");
  }
  n->done = true;
  return TSR_OK;
}

static tsr_status infer_constant_of_shape(ox_ctx *c, ox_node *n) {
  int64_t s[16];
  int ns;
  TSR_TRY(const_ints(c, n, 0, "input", s, 16, &ns));
  if (ns < 0) return OX_BAD(c, n, "no shape");
  ox_value fill = {0};
  fill.dtype = TSR_DTYPE_F32;
  float zero = 0;
  fill.cdata = &zero;
  const Onnx__AttributeProto *a = ox_attr(n, "value");
  if (a != NULL) {
    if (a->t == NULL) return OX_BAD(c, n, "attribute 'value' holds no tensor");
    TSR_TRY(ox_decode_tensor(c, a->t, "value", &fill));
    if (ox_numel(&fill) != 1) return OX_BAD(c, n, "attribute 'value' must hold one element");
  }
  TSR_TRY(set_out(c, n, 0, fill.dtype, ns, s));
  ox_value *y = ox_out(c, n, 0);
  uint8_t *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  size_t es = tsr_dtype_block_bytes(fill.dtype);
  for (int64_t i = 0; i < ox_numel(y); ++i) memcpy(p + (size_t)i * es, fill.cdata, es);
  n->done = true;
  return TSR_OK;
}

static tsr_status infer_gather(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL, *ix = NULL;
  TSR_TRY(need(c, n, 0, &x));
  TSR_TRY(need(c, n, 1, &ix));
  int64_t axis = 0;
  TSR_TRY(ox_attr_int(c, n, "axis", 0, &axis));
  int32_t ax = 0;
  TSR_TRY(norm_axis(c, n, axis, x->ndim, &ax));
  if (!is_int_dt(ix->dtype) || ix->dtype == TSR_DTYPE_U8) return OX_BAD(c, n, "indices must be integers");
  int64_t s[2 * MAXD];
  int32_t nd = 0;
  for (int i = 0; i < ax; ++i) s[nd++] = x->shape[i];
  for (int i = 0; i < ix->ndim; ++i) s[nd++] = ix->shape[i];
  for (int i = ax + 1; i < x->ndim; ++i) s[nd++] = x->shape[i];
  TSR_TRY(set_out(c, n, 0, x->dtype, nd, s));
  if (is_const(ix)) {
    for (int64_t i = 0; i < ox_numel(ix); ++i) {
      int64_t k = ox_get_i64(ix, i);
      if (k < -x->shape[ax] || k >= x->shape[ax]) return OX_BAD(c, n, "index %lld out of range", (long long)k);
    }
  }
  if (!is_const(x) || !is_const(ix)) return TSR_OK;
  ox_value *y = ox_out(c, n, 0);
  uint8_t *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  int64_t outer = 1, inner = 1, ni = ox_numel(ix);
  for (int i = 0; i < ax; ++i) outer *= x->shape[i];
  for (int i = ax + 1; i < x->ndim; ++i) inner *= x->shape[i];
  size_t es = tsr_dtype_block_bytes(x->dtype);
  const uint8_t *src = x->cdata;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < ni; ++j) {
      int64_t k = ox_get_i64(ix, j);
      if (k < 0) k += x->shape[ax];
      memcpy(p + ((o * ni + j) * inner) * (int64_t)es, src + ((o * x->shape[ax] + k) * inner) * (int64_t)es,
             (size_t)inner * es);
    }
  }
  (void)y;
  n->done = true;
  return TSR_OK;
}

static tsr_status infer_concat(ox_ctx *c, ox_node *n) {
  if (n->n_in == 0) return OX_BAD(c, n, "no inputs");
  ox_value *x0 = NULL;
  TSR_TRY(need(c, n, 0, &x0));
  int64_t axis = 1;
  TSR_TRY(ox_attr_int(c, n, "axis", c->opset < 4 ? 1 : INT64_MIN, &axis));
  if (axis == INT64_MIN) return OX_BAD(c, n, "attribute 'axis' is required");
  int32_t ax = 0;
  TSR_TRY(norm_axis(c, n, axis, x0->ndim, &ax));
  int64_t s[MAXD];
  memcpy(s, x0->shape, sizeof(s));
  s[ax] = 0;
  bool all = true;
  for (uint32_t i = 0; i < n->n_in; ++i) {
    ox_value *x = NULL;
    TSR_TRY(need(c, n, i, &x));
    if (x->ndim != x0->ndim || x->dtype != x0->dtype) return OX_BAD(c, n, "inputs differ in rank or dtype");
    for (int d = 0; d < x->ndim; ++d) {
      if (d != ax && x->shape[d] != x0->shape[d]) return OX_BAD(c, n, "input %s differs in dimension %d", x->name, d);
    }
    s[ax] += x->shape[ax];
    all = all && is_const(x);
  }
  TSR_TRY(set_out(c, n, 0, x0->dtype, x0->ndim, s));
  if (!all) return TSR_OK;
  uint8_t *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < ax; ++i) outer *= s[i];
  for (int i = ax + 1; i < x0->ndim; ++i) inner *= s[i];
  size_t es = tsr_dtype_block_bytes(x0->dtype);
  for (int64_t o = 0; o < outer; ++o) {
    for (uint32_t i = 0; i < n->n_in; ++i) {
      ox_value *x = ox_in(c, n, i);
      size_t chunk = (size_t)(x->shape[ax] * inner) * es;
      memcpy(p, (const uint8_t *)x->cdata + (size_t)o * chunk, chunk);
      p += chunk;
    }
  }
  n->done = true;
  return TSR_OK;
}

tsr_status ox_slice_params(ox_ctx *c, const ox_node *n, const ox_value *x, ox_slice *sl) {
  int64_t st[16], en[16], ax[16], sp[16];
  int nst, nen, nax, nsp = -1;
  if (c->opset < 10) {
    TSR_TRY(ox_attr_ints(c, n, "starts", st, 16, &nst));
    TSR_TRY(ox_attr_ints(c, n, "ends", en, 16, &nen));
    TSR_TRY(ox_attr_ints(c, n, "axes", ax, 16, &nax));
  } else {
    TSR_TRY(const_ints(c, n, 1, "starts", st, 16, &nst));
    TSR_TRY(const_ints(c, n, 2, "ends", en, 16, &nen));
    TSR_TRY(const_ints(c, n, 3, "axes", ax, 16, &nax));
    TSR_TRY(const_ints(c, n, 4, "steps", sp, 16, &nsp));
  }
  if (nst < 0 || nen < 0 || nst != nen) return OX_BAD(c, n, "starts and ends differ in length");
  if (nax >= 0 && nax != nst) return OX_BAD(c, n, "axes and starts differ in length");
  if (nsp >= 0 && nsp != nst) return OX_BAD(c, n, "steps and starts differ in length");
  for (int d = 0; d < x->ndim; ++d) {
    sl->start[d] = 0;
    sl->step[d] = 1;
    sl->count[d] = x->shape[d];
  }
  bool seen[MAXD] = {false};
  for (int i = 0; i < nst; ++i) {
    int32_t a = 0;
    TSR_TRY(norm_axis(c, n, nax >= 0 ? ax[i] : i, x->ndim, &a));
    if (seen[a]) return OX_BAD(c, n, "axis %d sliced twice", (int)a);
    seen[a] = true;
    int64_t dim = x->shape[a], step = nsp >= 0 ? sp[i] : 1;
    if (step == 0) return OX_BAD(c, n, "step 0");
    int64_t s = st[i], e = en[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = s < 0 ? 0 : (s > dim ? dim : s);
      e = e < 0 ? 0 : (e > dim ? dim : e);
      sl->count[a] = e > s ? (e - s - 1) / step + 1 : 0;
    } else {
      s = s < 0 ? -1 : (s > dim - 1 ? dim - 1 : s);
      e = e < -1 ? -1 : (e > dim - 1 ? dim - 1 : e);
      sl->count[a] = s > e ? (s - e - 1) / (step == INT64_MIN ? INT64_MAX : -step) + 1 : 0;
    }
    sl->start[a] = s;
    sl->step[a] = step;
  }
  return TSR_OK;
}

static tsr_status infer_slice(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  ox_slice sl;
  TSR_TRY(ox_slice_params(c, n, x, &sl));
  TSR_TRY(set_out(c, n, 0, x->dtype, x->ndim, sl.count));
  if (!is_const(x)) {
    return TSR_OK; /* negative steps: lowered as a view and a GATHER per reversed axis */
  }
  ox_value *y = ox_out(c, n, 0);
  uint8_t *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  size_t es = tsr_dtype_block_bytes(x->dtype);
  if (ox_numel(y) == 0) {
    n->done = true;
    return TSR_OK;
  }
  int64_t idx[MAXD] = {0}, k = 0;
  do {
    int64_t off = 0;
    for (int d = 0; d < x->ndim; ++d) off = off * x->shape[d] + sl.start[d] + idx[d] * sl.step[d];
    memcpy(p + (size_t)k++ * es, (const uint8_t *)x->cdata + (size_t)off * es, es);
  } while (next_index(idx, sl.count, x->ndim));
  n->done = true;
  return TSR_OK;
}

tsr_status ox_split_params(ox_ctx *c, const ox_node *n, const ox_value *x, int32_t *axis, int64_t *sizes) {
  int64_t a = 0;
  TSR_TRY(ox_attr_int(c, n, "axis", 0, &a));
  TSR_TRY(norm_axis(c, n, a, x->ndim, axis));
  if (n->n_out > 64) return OX_UNSUPPORTED(c, n, "%u outputs", (unsigned)n->n_out);
  int64_t sp[64];
  int ns = -1;
  if (n->n_in >= 2 && ox_in(c, n, 1) != NULL) {
    TSR_TRY(const_ints(c, n, 1, "split", sp, 64, &ns));
  } else {
    TSR_TRY(ox_attr_ints(c, n, "split", sp, 64, &ns));
  }
  int64_t dim = x->shape[*axis];
  if (ns < 0) {
    int64_t parts = n->n_out;
    int64_t num = 0;
    TSR_TRY(ox_attr_int(c, n, "num_outputs", 0, &num));
    if (num > 0) parts = num;
    if (parts <= 0) return OX_BAD(c, n, "no outputs");
    int64_t each = (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i) {
      int64_t rest = dim - i * each;
      sizes[i] = rest < 0 ? 0 : (rest < each ? rest : each);
    }
    return TSR_OK;
  }
  if (ns != (int)n->n_out) return OX_BAD(c, n, "split has %d sizes for %u outputs", ns, (unsigned)n->n_out);
  int64_t sum = 0;
  for (int i = 0; i < ns; ++i) {
    if (sp[i] < 0 || sp[i] > dim) return OX_BAD(c, n, "split size %lld for an axis of %lld", (long long)sp[i], (long long)dim);
    sizes[i] = sp[i];
    sum += sp[i];
  }
  if (sum != dim) return OX_BAD(c, n, "split sizes add up to %lld, the axis has %lld", (long long)sum, (long long)dim);
  return TSR_OK;
}

static tsr_status infer_split(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int32_t ax = 0;
  int64_t sizes[64];
  TSR_TRY(ox_split_params(c, n, x, &ax, sizes));
  int64_t off = 0;
  for (uint32_t k = 0; k < n->n_out; ++k) {
    int64_t s[MAXD];
    memcpy(s, x->shape, sizeof(s));
    s[ax] = sizes[k];
    TSR_TRY(set_out(c, n, k, x->dtype, x->ndim, s));
    if (is_const(x) && ox_out(c, n, k) != NULL) {
      uint8_t *p = make_const(c, n, k);
      if (p == NULL) return c->err->code;
      int64_t outer = 1, inner = 1;
      for (int i = 0; i < ax; ++i) outer *= x->shape[i];
      for (int i = ax + 1; i < x->ndim; ++i) inner *= x->shape[i];
      size_t es = tsr_dtype_block_bytes(x->dtype);
      for (int64_t o = 0; o < outer; ++o)
        memcpy(p + (size_t)(o * sizes[k] * inner) * es,
               (const uint8_t *)x->cdata + (size_t)((o * x->shape[ax] + off) * inner) * es, (size_t)(sizes[k] * inner) * es);
    }
    off += sizes[k];
  }
  if (is_const(x)) n->done = true;
  return TSR_OK;
}

tsr_status ox_transpose_perm(ox_ctx *c, const ox_node *n, int32_t ndim, int32_t *perm) {
  int64_t p[16];
  int np;
  TSR_TRY(ox_attr_ints(c, n, "perm", p, 16, &np));
  if (np < 0) {
    for (int i = 0; i < ndim; ++i) perm[i] = ndim - 1 - i;
    return TSR_OK;
  }
  if (np != ndim) return OX_BAD(c, n, "perm has %d entries for rank %d", np, (int)ndim);
  bool seen[MAXD] = {false};
  for (int i = 0; i < np; ++i) {
    if (p[i] < 0 || p[i] >= ndim || seen[p[i]]) return OX_BAD(c, n, "perm is not a permutation");
    seen[p[i]] = true;
    perm[i] = (int32_t)p[i];
  }
  return TSR_OK;
}

static tsr_status infer_transpose(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int32_t perm[MAXD];
  TSR_TRY(ox_transpose_perm(c, n, x->ndim, perm));
  int64_t s[MAXD];
  for (int i = 0; i < x->ndim; ++i) s[i] = x->shape[perm[i]];
  TSR_TRY(set_out(c, n, 0, x->dtype, x->ndim, s));
  if (!is_const(x)) return TSR_OK;
  ox_value *y = ox_out(c, n, 0);
  uint8_t *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  size_t es = tsr_dtype_block_bytes(x->dtype);
  int64_t xstr[MAXD], acc = 1;
  for (int d = x->ndim - 1; d >= 0; --d) {
    xstr[d] = acc;
    acc *= x->shape[d];
  }
  if (ox_numel(y) > 0) {
    int64_t idx[MAXD] = {0}, k = 0;
    do {
      int64_t off = 0;
      for (int d = 0; d < x->ndim; ++d) off += idx[d] * xstr[perm[d]];
      memcpy(p + (size_t)k++ * es, (const uint8_t *)x->cdata + (size_t)off * es, es);
    } while (next_index(idx, s, x->ndim));
  }
  n->done = true;
  return TSR_OK;
}

static tsr_status infer_expand(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t s[16];
  int ns;
  TSR_TRY(const_ints(c, n, 1, "shape", s, 16, &ns));
  if (ns < 0) return OX_BAD(c, n, "no shape");
  if (ns > MAXD) return OX_UNSUPPORTED(c, n, "shape has %d dimensions", ns);
  ox_value t = {0};
  t.ndim = ns;
  for (int i = 0; i < ns; ++i) t.shape[i] = s[i];
  t.name = "shape";
  int32_t nd = 0;
  int64_t out[MAXD];
  TSR_TRY(broadcast(c, n, x, &t, &nd, out));
  TSR_TRY(set_out(c, n, 0, x->dtype, nd, out));
  if (!is_const(x)) return TSR_OK;
  ox_value *y = ox_out(c, n, 0);
  uint8_t *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  size_t es = tsr_dtype_block_bytes(x->dtype);
  for (int64_t i = 0; i < ox_numel(y); ++i)
    memcpy(p + (size_t)i * es, (const uint8_t *)x->cdata + (size_t)bcast_index(x, out, nd, i) * es, es);
  n->done = true;
  return TSR_OK;
}

static tsr_status infer_range(ox_ctx *c, ox_node *n) {
  ox_value *s = NULL, *l = NULL, *d = NULL;
  TSR_TRY(need(c, n, 0, &s));
  TSR_TRY(need(c, n, 1, &l));
  TSR_TRY(need(c, n, 2, &d));
  if (!is_const(s) || !is_const(l) || !is_const(d)) return OX_UNSUPPORTED(c, n, "Range of run-time values");
  double st = ox_get_f64(s, 0), li = ox_get_f64(l, 0), de = ox_get_f64(d, 0);
  if (de == 0) return OX_BAD(c, n, "delta 0");
  double cnt = ceil((li - st) / de);
  int64_t m = cnt > 0 ? (int64_t)cnt : 0;
  if (m > ((int64_t)1 << 30)) return OX_BAD(c, n, "range too long");
  TSR_TRY(set_out(c, n, 0, s->dtype, 1, &m));
  void *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  for (int64_t i = 0; i < m; ++i) {
    if (is_float_dt(s->dtype)) store_f32(p, i, (float)(st + (double)i * de));
    else store_as(s->dtype, p, i, 0, ox_get_i64(s, 0) + i * ox_get_i64(d, 0), true);
  }
  n->done = true;
  return TSR_OK;
}

static tsr_status infer_where(ox_ctx *c, ox_node *n) {
  ox_value *cond = NULL, *a = NULL, *b = NULL;
  TSR_TRY(need(c, n, 0, &cond));
  TSR_TRY(need(c, n, 1, &a));
  TSR_TRY(need(c, n, 2, &b));
  int32_t nd = 0, nd2 = 0;
  int64_t s1[MAXD], s2[MAXD];
  TSR_TRY(broadcast(c, n, a, b, &nd, s1));
  ox_value t = {0};
  t.ndim = nd;
  memcpy(t.shape, s1, sizeof(s1));
  t.name = "broadcast";
  TSR_TRY(broadcast(c, n, cond, &t, &nd2, s2));
  if (a->dtype != b->dtype) return OX_BAD(c, n, "inputs differ in dtype");
  TSR_TRY(set_out(c, n, 0, a->dtype, nd2, s2));
  if (!is_const(cond) || !is_const(a) || !is_const(b)) {
    if (a->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "Where on run-time %s values", tsr_dtype_name(a->dtype));
    return TSR_OK; /* lowered as two selects and an add */
  }
  ox_value *y = ox_out(c, n, 0);
  uint8_t *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  size_t es = tsr_dtype_block_bytes(a->dtype);
  for (int64_t i = 0; i < ox_numel(y); ++i) {
    bool k = ox_get_i64(cond, bcast_index(cond, s2, nd2, i)) != 0;
    const ox_value *src = k ? a : b;
    memcpy(p + (size_t)i * es, (const uint8_t *)src->cdata + (size_t)bcast_index(src, s2, nd2, i) * es, es);
  }
  n->done = true;
  return TSR_OK;
}

/* ---- quantization ---- */

static tsr_status check_qparams(ox_ctx *c, const ox_node *n, const ox_value *x, const ox_value *scale,
                                const ox_value *zp, int32_t *axis) {
  if (scale->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "scale dtype %s", tsr_dtype_name(scale->dtype));
  int64_t a = 1;
  /* Per-channel scales of a 1-D tensor (a bias) are along axis 0 when the
   * attribute is left at its default. */
  TSR_TRY(ox_attr_int(c, n, "axis", x->ndim == 1 ? 0 : 1, &a));
  *axis = -1;
  if (ox_numel(scale) != 1 || scale->ndim == 1) {
    if (scale->ndim > 1) return OX_UNSUPPORTED(c, n, "blocked quantization (scale of rank %d)", (int)scale->ndim);
    if (ox_numel(scale) != 1 || x->ndim > 0) {
      TSR_TRY(norm_axis(c, n, a, x->ndim > 0 ? x->ndim : 1, axis));
      if (ox_numel(scale) != 1 && x->shape[*axis] != ox_numel(scale))
        return OX_BAD(c, n, "%lld scales for an axis of %lld", (long long)ox_numel(scale), (long long)x->shape[*axis]);
      if (ox_numel(scale) == 1) *axis = -1;
    }
  }
  if (zp != NULL && ox_numel(zp) != ox_numel(scale)) return OX_BAD(c, n, "zero point and scale differ in size");
  if (!is_const(scale) || (zp != NULL && !is_const(zp)))
    return OX_UNSUPPORTED(c, n, "run-time quantization parameters");
  return TSR_OK;
}

static tsr_status infer_dequantize(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL, *s = NULL, *zp = ox_in(c, n, 2);
  TSR_TRY(need(c, n, 0, &x));
  TSR_TRY(need(c, n, 1, &s));
  if (x->dtype != TSR_DTYPE_I8 && x->dtype != TSR_DTYPE_U8 && x->dtype != TSR_DTYPE_I32)
    return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
  if (zp != NULL && zp->dtype != x->dtype) return OX_BAD(c, n, "zero point dtype differs from the input's");
  int32_t axis = 0;
  TSR_TRY(check_qparams(c, n, x, s, zp, &axis));
  TSR_TRY(set_out(c, n, 0, TSR_DTYPE_F32, x->ndim, x->shape));
  if (!is_const(x)) return TSR_OK;
  ox_value *y = ox_out(c, n, 0);
  void *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  int64_t inner = 1;
  for (int d = axis + 1; axis >= 0 && d < x->ndim; ++d) inner *= x->shape[d];
  for (int64_t i = 0; i < ox_numel(y); ++i) {
    int64_t ch = axis >= 0 ? (i / inner) % x->shape[axis] : 0;
    int64_t q = ox_get_i64(x, i) - (zp ? ox_get_i64(zp, ch) : 0);
    float sc = load_f32(s, ch);
    store_f32(p, i, (float)q * sc);
  }
  n->done = true;
  return TSR_OK;
}

static tsr_status infer_quantize(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL, *s = NULL, *zp = ox_in(c, n, 2);
  TSR_TRY(need(c, n, 0, &x));
  TSR_TRY(need(c, n, 1, &s));
  if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
  tsr_dtype dt = zp ? zp->dtype : TSR_DTYPE_U8;
  if (dt != TSR_DTYPE_U8 && dt != TSR_DTYPE_I8) return OX_UNSUPPORTED(c, n, "output dtype %s", tsr_dtype_name(dt));
  int32_t axis = 0;
  TSR_TRY(check_qparams(c, n, x, s, zp, &axis));
  TSR_TRY(set_out(c, n, 0, dt, x->ndim, x->shape));
  if (!is_const(x)) return TSR_OK;
  ox_value *y = ox_out(c, n, 0);
  uint8_t *p = make_const(c, n, 0);
  if (p == NULL) return c->err->code;
  int64_t inner = 1;
  for (int d = axis + 1; axis >= 0 && d < x->ndim; ++d) inner *= x->shape[d];
  double lo = dt == TSR_DTYPE_U8 ? 0 : -128, hi = dt == TSR_DTYPE_U8 ? 255 : 127;
  for (int64_t i = 0; i < ox_numel(y); ++i) {
    int64_t ch = axis >= 0 ? (i / inner) % x->shape[axis] : 0;
    float q = nearbyintf(load_f32(x, i) / load_f32(s, ch));
    double v = (double)q + (double)(zp ? ox_get_i64(zp, ch) : 0);
    v = !(v == v) ? 0 : (v < lo ? lo : (v > hi ? hi : v));
    store_as(dt, p, i, 0, (int64_t)v, true);
  }
  n->done = true;
  return TSR_OK;
}

/* ---- convolution and pooling geometry ---- */

tsr_status ox_window_params(ox_ctx *c, const ox_node *n, const int64_t *in_sp, int32_t nsp, const int64_t *kernel,
                            bool transposed, const int64_t *out_pad, ox_window *w) {
  if (nsp < 1 || nsp > 2) return OX_UNSUPPORTED(c, n, "%d spatial dimensions (1 or 2 supported)", (int)nsp);
  memset(w, 0, sizeof(*w));
  w->nsp = nsp;
  int64_t v[8];
  int nv;
  for (int i = 0; i < 2; ++i) {
    w->kernel[i] = 1;
    w->stride[i] = 1;
    w->dilation[i] = 1;
  }
  int off = 2 - nsp; /* 1-D ops fill the width */
  for (int i = 0; i < nsp; ++i) w->kernel[off + i] = kernel[i];
  TSR_TRY(ox_attr_ints(c, n, "kernel_shape", v, 8, &nv));
  if (nv >= 0) {
    if (nv != nsp) return OX_BAD(c, n, "kernel_shape has %d entries", nv);
    for (int i = 0; i < nsp; ++i) {
      if (kernel[i] > 0 && v[i] != kernel[i]) return OX_BAD(c, n, "kernel_shape differs from the weights");
      w->kernel[off + i] = v[i];
    }
  }
  TSR_TRY(ox_attr_ints(c, n, "strides", v, 8, &nv));
  if (nv >= 0 && nv != nsp) return OX_BAD(c, n, "strides has %d entries", nv);
  for (int i = 0; i < nv; ++i) w->stride[off + i] = v[i];
  TSR_TRY(ox_attr_ints(c, n, "dilations", v, 8, &nv));
  if (nv >= 0 && nv != nsp) return OX_BAD(c, n, "dilations has %d entries", nv);
  for (int i = 0; i < nv; ++i) w->dilation[off + i] = v[i];
  TSR_TRY(ox_attr_ints(c, n, "pads", v, 8, &nv));
  if (nv >= 0 && nv != 2 * nsp) return OX_BAD(c, n, "pads has %d entries", nv);
  for (int i = 0; i < nsp && nv >= 0; ++i) {
    w->pad[off + i] = v[i];
    w->pad[2 + off + i] = v[nsp + i];
  }
  int64_t ceil = 0;
  TSR_TRY(ox_attr_int(c, n, "ceil_mode", 0, &ceil));
  w->ceil_mode = ceil != 0;
  for (int i = 0; i < 2; ++i) {
    if (w->kernel[i] < 1 || w->stride[i] < 1 || w->dilation[i] < 1 || w->pad[i] < 0 || w->pad[i + 2] < 0 ||
        w->kernel[i] > 65536 || w->stride[i] > 65536 || w->dilation[i] > 65536 || w->pad[i] > 65536 || w->pad[i + 2] > 65536)
      return OX_BAD(c, n, "invalid kernel, stride, dilation or pad");
  }
  char ap[32];
  TSR_TRY(ox_attr_str(c, n, "auto_pad", "NOTSET", ap, sizeof(ap)));
  int64_t in[2] = {1, 1};
  for (int i = 0; i < nsp; ++i) in[off + i] = in_sp[i];
  bool same = strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0;
  if (same) {
    for (int i = 0; i < 2; ++i) {
      int64_t ek = (w->kernel[i] - 1) * w->dilation[i] + 1;
      int64_t total = 0;
      if (transposed) {
        total = w->stride[i] * (in[i] - 1) + (out_pad ? out_pad[i] : 0) + ek - in[i] * w->stride[i];
      } else {
        int64_t o = (in[i] + w->stride[i] - 1) / w->stride[i];
        total = (o - 1) * w->stride[i] + ek - in[i];
      }
      if (total < 0) total = 0;
      bool upper = strcmp(ap, "SAME_UPPER") == 0;
      w->pad[i] = upper ? total / 2 : total - total / 2;
      w->pad[i + 2] = total - w->pad[i];
    }
  } else if (strcmp(ap, "VALID") == 0) {
    memset(w->pad, 0, sizeof(w->pad));
  } else if (strcmp(ap, "NOTSET") != 0 && ap[0] != '\0') {
    return OX_UNSUPPORTED(c, n, "attribute 'auto_pad' = %s", ap);
  }
  for (int i = 0; i < 2; ++i) {
    int64_t ek = (w->kernel[i] - 1) * w->dilation[i] + 1;
    if (transposed) {
      w->out[i] = w->stride[i] * (in[i] - 1) + (out_pad ? out_pad[i] : 0) + ek - w->pad[i] - w->pad[i + 2];
    } else {
      int64_t span = in[i] + w->pad[i] + w->pad[i + 2] - ek;
      if (span < 0) return OX_BAD(c, n, "the window is larger than the padded input");
      w->out[i] = (w->ceil_mode ? (span + w->stride[i] - 1) / w->stride[i] : span / w->stride[i]) + 1;
      /* ceil mode: the last window must start inside the input or left pad */
      if (w->ceil_mode && (w->out[i] - 1) * w->stride[i] >= in[i] + w->pad[i]) w->out[i]--;
    }
    if (w->out[i] <= 0) return OX_BAD(c, n, "empty output");
  }
  return TSR_OK;
}

static tsr_status infer_conv(ox_ctx *c, ox_node *n) {
  bool q = n->op == OX_QLINEAR_CONV, tr = n->op == OX_CONV_TRANSPOSE;
  ox_value *x = NULL, *wt = NULL;
  TSR_TRY(need(c, n, 0, &x));
  TSR_TRY(need(c, n, q ? 3 : 1, &wt));
  if (x->ndim < 3 || x->ndim != wt->ndim) return OX_BAD(c, n, "input rank %d, weight rank %d", (int)x->ndim, (int)wt->ndim);
  int32_t nsp = x->ndim - 2;
  int64_t group = 1;
  TSR_TRY(ox_attr_int(c, n, "group", 1, &group));
  if (group < 1 || x->shape[1] % group != 0) return OX_BAD(c, n, "group %lld does not divide %lld channels", (long long)group, (long long)x->shape[1]);
  int64_t op[8] = {0, 0};
  if (tr) {
    int64_t v[8];
    int nv;
    TSR_TRY(ox_attr_ints(c, n, "output_padding", v, 8, &nv));
    if (nv >= 0 && nv != nsp) return OX_BAD(c, n, "output_padding has %d entries", nv);
    for (int i = 0; i < nv; ++i) op[2 - nsp + i] = v[i];
    TSR_TRY(ox_attr_ints(c, n, "output_shape", v, 8, &nv));
    if (nv >= 0) return OX_UNSUPPORTED(c, n, "attribute 'output_shape' (give pads instead)");
    if (wt->shape[0] != x->shape[1]) return OX_BAD(c, n, "weights have %lld input channels, x has %lld", (long long)wt->shape[0], (long long)x->shape[1]);
  } else if (wt->shape[1] * group != x->shape[1]) {
    return OX_BAD(c, n, "weights have %lld channels per group, x has %lld channels", (long long)wt->shape[1], (long long)x->shape[1]);
  }
  ox_window w;
  TSR_TRY(ox_window_params(c, n, x->shape + 2, nsp, wt->shape + 2, tr, op, &w));
  int64_t s[MAXD];
  s[0] = x->shape[0];
  s[1] = tr ? wt->shape[1] * group : wt->shape[0];
  if (nsp == 2) {
    s[2] = w.out[0];
    s[3] = w.out[1];
  } else {
    s[2] = w.out[1];
  }
  tsr_dtype dt = TSR_DTYPE_F32;
  if (q) {
    ox_value *yzp = ox_in(c, n, 7);
    dt = yzp ? yzp->dtype : TSR_DTYPE_U8;
  } else if (x->dtype != TSR_DTYPE_F32) {
    return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
  }
  return set_out(c, n, 0, dt, x->ndim, s);
}

static tsr_status infer_pool(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  if (x->ndim < 3) return OX_BAD(c, n, "input rank %d", (int)x->ndim);
  if (n->op == OX_GLOBAL_AVERAGE_POOL || n->op == OX_GLOBAL_MAX_POOL) {
    int64_t s[MAXD];
    for (int i = 0; i < x->ndim; ++i) s[i] = i < 2 ? x->shape[i] : 1;
    return set_out(c, n, 0, x->dtype, x->ndim, s);
  }
  if (n->n_out > 1 && ox_out(c, n, 1) != NULL && ox_out(c, n, 1)->n_uses > 0)
    return OX_UNSUPPORTED(c, n, "the Indices output");
  int64_t so = 0;
  TSR_TRY(ox_attr_int(c, n, "storage_order", 0, &so));
  if (so != 0) return OX_UNSUPPORTED(c, n, "attribute 'storage_order' = %lld", (long long)so);
  int64_t k0[2] = {0, 0};
  ox_window w;
  TSR_TRY(ox_window_params(c, n, x->shape + 2, x->ndim - 2, k0, false, NULL, &w));
  int64_t s[MAXD] = {x->shape[0], x->shape[1], w.out[0], w.out[1]};
  if (x->ndim == 3) s[2] = w.out[1];
  return set_out(c, n, 0, x->dtype, x->ndim, s);
}

/* ---- matmul ---- */

static tsr_status matmul_shape(ox_ctx *c, const ox_node *n, const ox_value *a, const ox_value *b, int32_t *nd, int64_t *s) {
  if (a->ndim < 1 || b->ndim < 1) return OX_BAD(c, n, "matmul of a scalar");
  ox_value ta = *a, tb = *b;
  /* 1-D operands are promoted and the added dimension removed afterwards. */
  if (a->ndim == 1) {
    ta.ndim = 2;
    ta.shape[0] = 1;
    ta.shape[1] = a->shape[0];
  }
  if (b->ndim == 1) {
    tb.ndim = 2;
    tb.shape[0] = b->shape[0];
    tb.shape[1] = 1;
  }
  if (ta.shape[ta.ndim - 1] != tb.shape[tb.ndim - 2])
    return OX_BAD(c, n, "inner dimensions differ (%lld vs %lld)", (long long)ta.shape[ta.ndim - 1], (long long)tb.shape[tb.ndim - 2]);
  ox_value ba = ta, bb = tb;
  ba.ndim -= 2;
  bb.ndim -= 2;
  int32_t r = 0;
  int64_t bs[MAXD];
  TSR_TRY(broadcast(c, n, &ba, &bb, &r, bs));
  if (r + 2 > MAXD) return OX_UNSUPPORTED(c, n, "too many batch dimensions");
  int32_t k = 0;
  for (int i = 0; i < r; ++i) s[k++] = bs[i];
  if (a->ndim > 1) s[k++] = ta.shape[ta.ndim - 2];
  if (b->ndim > 1) s[k++] = tb.shape[tb.ndim - 1];
  *nd = k;
  return TSR_OK;
}

static tsr_status infer_matmul(ox_ctx *c, ox_node *n) {
  bool q = n->op == OX_QLINEAR_MATMUL;
  ox_value *a = NULL, *b = NULL;
  TSR_TRY(need(c, n, 0, &a));
  TSR_TRY(need(c, n, q ? 3 : 1, &b));
  int32_t nd = 0;
  int64_t s[MAXD];
  TSR_TRY(matmul_shape(c, n, a, b, &nd, s));
  tsr_dtype dt = TSR_DTYPE_F32;
  if (q) {
    ox_value *yzp = ox_in(c, n, 7);
    dt = yzp ? yzp->dtype : TSR_DTYPE_U8;
  } else if (a->dtype != TSR_DTYPE_F32 || b->dtype != TSR_DTYPE_F32) {
    return OX_UNSUPPORTED(c, n, "dtypes %s x %s", tsr_dtype_name(a->dtype), tsr_dtype_name(b->dtype));
  }
  return set_out(c, n, 0, dt, nd, s);
}

static tsr_status infer_gemm(ox_ctx *c, ox_node *n) {
  ox_value *a = NULL, *b = NULL;
  TSR_TRY(need(c, n, 0, &a));
  TSR_TRY(need(c, n, 1, &b));
  int64_t ta = 0, tb = 0;
  TSR_TRY(ox_attr_int(c, n, "transA", 0, &ta));
  TSR_TRY(ox_attr_int(c, n, "transB", 0, &tb));
  if (a->ndim != 2 || b->ndim != 2) return OX_BAD(c, n, "Gemm operands must be 2-D");
  int64_t m = ta ? a->shape[1] : a->shape[0], k = ta ? a->shape[0] : a->shape[1];
  int64_t kb = tb ? b->shape[1] : b->shape[0], nn = tb ? b->shape[0] : b->shape[1];
  if (k != kb) return OX_BAD(c, n, "inner dimensions differ (%lld vs %lld)", (long long)k, (long long)kb);
  if (a->dtype != TSR_DTYPE_F32 || b->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "non-float Gemm");
  int64_t s[2] = {m, nn};
  return set_out(c, n, 0, TSR_DTYPE_F32, 2, s);
}

/* ---- reductions ---- */

tsr_status ox_reduce_axes(ox_ctx *c, const ox_node *n, const ox_value *x, uint32_t *mask, bool *keep) {
  int64_t axes[16];
  int na = -1;
  if (n->n_in >= 2 && ox_in(c, n, 1) != NULL) {
    TSR_TRY(const_ints(c, n, 1, "axes", axes, 16, &na));
  } else {
    TSR_TRY(ox_attr_ints(c, n, "axes", axes, 16, &na));
  }
  int64_t kd = 1, noop = 0;
  TSR_TRY(ox_attr_int(c, n, "keepdims", 1, &kd));
  TSR_TRY(ox_attr_int(c, n, "noop_with_empty_axes", 0, &noop));
  *keep = kd != 0;
  *mask = 0;
  if (na <= 0) {
    if (noop) return OX_UNSUPPORTED(c, n, "noop_with_empty_axes");
    for (int i = 0; i < x->ndim; ++i) *mask |= 1u << i;
    return TSR_OK;
  }
  for (int i = 0; i < na; ++i) {
    int32_t a = 0;
    TSR_TRY(norm_axis(c, n, axes[i], x->ndim, &a));
    *mask |= 1u << a;
  }
  return TSR_OK;
}

static tsr_status infer_reduce(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
  uint32_t mask;
  bool keep;
  TSR_TRY(ox_reduce_axes(c, n, x, &mask, &keep));
  int64_t s[MAXD];
  int32_t nd = 0;
  for (int i = 0; i < x->ndim; ++i) {
    if (mask & (1u << i)) {
      if (keep) s[nd++] = 1;
    } else {
      s[nd++] = x->shape[i];
    }
  }
  return set_out(c, n, 0, TSR_DTYPE_F32, nd, s);
}

/* ---- resize ---- */

tsr_status ox_resize_sizes(ox_ctx *c, const ox_node *n, const ox_value *x, int64_t *out, float *scales) {
  const ox_value *sc = NULL, *sz = NULL;
  float attr_sc[MAXD];
  int nattr = 0;
  if (n->op == OX_UPSAMPLE) {
    if (n->n_in >= 2) {
      sc = ox_in(c, n, 1);
    } else {
      const Onnx__AttributeProto *a = ox_attr(n, "scales");
      if (a == NULL) return OX_BAD(c, n, "no scales");
      if (a->n_floats > MAXD) return OX_BAD(c, n, "too many scales");
      for (size_t i = 0; i < a->n_floats; ++i) attr_sc[nattr++] = a->floats[i];
    }
  } else if (c->opset < 11) {
    sc = ox_in(c, n, 1);
  } else {
    sc = ox_in(c, n, 2);
    sz = ox_in(c, n, 3);
    if (sc != NULL && ox_numel(sc) == 0) sc = NULL;
  }
  if (ox_attr(n, "axes") != NULL) return OX_UNSUPPORTED(c, n, "attribute 'axes'");
  for (int i = 0; i < x->ndim; ++i) scales[i] = 0;
  if (sz != NULL && ox_numel(sz) > 0) {
    if (!is_const(sz)) return OX_UNSUPPORTED(c, n, "run-time sizes");
    if (ox_numel(sz) != x->ndim) return OX_BAD(c, n, "sizes has %lld entries for rank %d", (long long)ox_numel(sz), (int)x->ndim);
    for (int i = 0; i < x->ndim; ++i) out[i] = ox_get_i64(sz, i);
    return TSR_OK;
  }
  if (sc != NULL) {
    if (!is_const(sc)) return OX_UNSUPPORTED(c, n, "run-time scales");
    if (ox_numel(sc) != x->ndim) return OX_BAD(c, n, "scales has %lld entries for rank %d", (long long)ox_numel(sc), (int)x->ndim);
    for (int i = 0; i < x->ndim; ++i) attr_sc[i] = (float)ox_get_f64(sc, i);
    nattr = x->ndim;
  }
  if (nattr != x->ndim) return OX_BAD(c, n, "neither scales nor sizes");
  for (int i = 0; i < x->ndim; ++i) {
    if (!(attr_sc[i] > 0) || attr_sc[i] > 65536) return OX_BAD(c, n, "scale %g", (double)attr_sc[i]);
    out[i] = (int64_t)floor((double)x->shape[i] * (double)attr_sc[i]);
    scales[i] = attr_sc[i];
  }
  return TSR_OK;
}

static tsr_status infer_resize(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t s[MAXD];
  float sc[MAXD];
  TSR_TRY(ox_resize_sizes(c, n, x, s, sc));
  return set_out(c, n, 0, x->dtype, x->ndim, s);
}

/* ---- Min / Max of several inputs, Pad, Tile, DepthToSpace ---- */

static tsr_status infer_variadic(ox_ctx *c, ox_node *n) {
  ox_value *a = NULL;
  TSR_TRY(need(c, n, 0, &a));
  ox_value t = *a;
  for (uint32_t i = 1; i < n->n_in; ++i) {
    ox_value *b = NULL;
    TSR_TRY(need(c, n, i, &b));
    if (b->dtype != a->dtype) return OX_BAD(c, n, "inputs have different dtypes");
    int32_t nd = 0;
    int64_t s[MAXD];
    TSR_TRY(broadcast(c, n, &t, b, &nd, s));
    t.ndim = nd;
    memcpy(t.shape, s, sizeof(s));
  }
  if (!is_float_dt(a->dtype)) return OX_UNSUPPORTED(c, n, "%u inputs of dtype %s", (unsigned)n->n_in, tsr_dtype_name(a->dtype));
  return set_out(c, n, 0, a->dtype, t.ndim, t.shape);
}

tsr_status ox_pad_params(ox_ctx *c, const ox_node *n, const ox_value *x, int64_t *pads, float *value, int *mode) {
  char m[16];
  TSR_TRY(ox_attr_str(c, n, "mode", "constant", m, sizeof(m)));
  if (strcmp(m, "constant") == 0) *mode = 0;
  else if (strcmp(m, "reflect") == 0) *mode = 1;
  else if (strcmp(m, "edge") == 0) *mode = 2;
  else return OX_UNSUPPORTED(c, n, "attribute 'mode' = %s", m);
  const int nd = x->ndim;
  int64_t raw[2 * MAXD];
  int np = -1;
  *value = 0.0f;
  if (c->opset < 11) {
    TSR_TRY(ox_attr_ints(c, n, c->opset < 2 ? "paddings" : "pads", raw, 2 * MAXD, &np));
    TSR_TRY(ox_attr_float(c, n, "value", 0.0f, value));
  } else {
    TSR_TRY(const_ints(c, n, 1, "pads", raw, 2 * MAXD, &np));
    ox_value *cv = ox_in(c, n, 2);
    if (cv != NULL) {
      if (!is_const(cv) || ox_numel(cv) != 1) return OX_UNSUPPORTED(c, n, "input 'constant_value' at run time");
      *value = (float)ox_get_f64(cv, 0);
    }
  }
  if (np < 0) return OX_BAD(c, n, "no pads");
  /* Opset 18: optional axes (input 3) say which dimensions the pads cover. */
  int64_t axes[MAXD];
  int na = -1;
  if (c->opset >= 18) TSR_TRY(const_ints(c, n, 3, "axes", axes, MAXD, &na));
  if (na < 0) {
    na = nd;
    for (int i = 0; i < nd; ++i) axes[i] = i;
  }
  if (np != 2 * na) return OX_BAD(c, n, "%d pads for %d axes", np, na);
  for (int i = 0; i < 2 * nd; ++i) pads[i] = 0;
  for (int i = 0; i < na; ++i) {
    int32_t ax = 0;
    TSR_TRY(norm_axis(c, n, axes[i], nd, &ax));
    pads[ax] = raw[i];
    pads[nd + ax] = raw[na + i];
  }
  for (int i = 0; i < 2 * nd; ++i) {
    if (pads[i] < 0) return OX_UNSUPPORTED(c, n, "negative pads (cropping)");
    int d = i % nd;
    if (*mode == 1 && pads[i] >= x->shape[d]) return OX_BAD(c, n, "reflect pad %lld not below extent %lld", (long long)pads[i], (long long)x->shape[d]);
  }
  return TSR_OK;
}

static tsr_status infer_pad(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t pads[2 * MAXD], s[MAXD];
  float v;
  int mode;
  TSR_TRY(ox_pad_params(c, n, x, pads, &v, &mode));
  for (int i = 0; i < x->ndim; ++i) s[i] = x->shape[i] + pads[i] + pads[x->ndim + i];
  if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
  return set_out(c, n, 0, x->dtype, x->ndim, s);
}

static tsr_status infer_tile(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t r[MAXD], s[MAXD];
  int nr = 0;
  TSR_TRY(const_ints(c, n, 1, "repeats", r, MAXD, &nr));
  if (nr != x->ndim) return OX_BAD(c, n, "%d repeats for rank %d", nr, (int)x->ndim);
  for (int i = 0; i < x->ndim; ++i) {
    if (r[i] < 1) return OX_UNSUPPORTED(c, n, "repeats %lld (an empty result)", (long long)r[i]);
    s[i] = x->shape[i] * r[i];
  }
  if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
  return set_out(c, n, 0, x->dtype, x->ndim, s);
}

static tsr_status infer_depth_space(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  int64_t b = 0;
  TSR_TRY(ox_attr_int(c, n, "blocksize", 0, &b));
  if (x->ndim != 4) return OX_UNSUPPORTED(c, n, "input rank %d (4-D NCHW only)", (int)x->ndim);
  if (b < 1 || b > 4096) return OX_BAD(c, n, "attribute 'blocksize' = %lld", (long long)b);
  int64_t s[4] = {x->shape[0], x->shape[1], x->shape[2], x->shape[3]};
  if (n->op == OX_DEPTH_TO_SPACE) {
    if (s[1] % (b * b) != 0) return OX_BAD(c, n, "channels %lld not a multiple of blocksize^2", (long long)s[1]);
    s[1] /= b * b;
    s[2] *= b;
    s[3] *= b;
  } else {
    if (s[2] % b != 0 || s[3] % b != 0) return OX_BAD(c, n, "H and W must be multiples of blocksize %lld", (long long)b);
    s[1] *= b * b;
    s[2] /= b;
    s[3] /= b;
  }
  if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
  return set_out(c, n, 0, x->dtype, 4, s);
}

/* ---- ArgMax, ArgMin, TopK, CumSum ---- */

tsr_status ox_topk_params(ox_ctx *c, const ox_node *n, const ox_value *x, ox_topk *t) {
  int64_t axis = 0, v = 0;
  memset(t, 0, sizeof(*t));
  t->largest = n->op != OX_ARG_MIN;
  t->keep = true;
  if (x->ndim < 1) return OX_UNSUPPORTED(c, n, "a scalar input");
  if (n->op == OX_TOPK) {
    TSR_TRY(ox_attr_int(c, n, "axis", -1, &axis));
    TSR_TRY(ox_attr_int(c, n, "largest", 1, &v));
    t->largest = v != 0;
    if (c->opset < 10) {
      TSR_TRY(ox_attr_int(c, n, "k", -1, &t->k));
    } else {
      const ox_value *kv = ox_in(c, n, 1);
      if (kv == NULL) return OX_BAD(c, n, "input 'K' is missing");
      if (!is_const(kv) || ox_numel(kv) != 1) return OX_UNSUPPORTED(c, n, "input 'K' at run time");
      t->k = ox_get_i64(kv, 0);
    }
  } else {
    TSR_TRY(ox_attr_int(c, n, "axis", 0, &axis));
    TSR_TRY(ox_attr_int(c, n, "keepdims", 1, &v));
    t->keep = v != 0;
    TSR_TRY(ox_attr_int(c, n, "select_last_index", 0, &v));
    t->last_index = v != 0;
    t->k = 1;
  }
  TSR_TRY(norm_axis(c, n, axis, x->ndim, &t->axis));
  if (t->k < 1 || t->k > x->shape[t->axis])
    return t->k == 0 ? OX_UNSUPPORTED(c, n, "k = 0 (an empty result)")
                     : OX_BAD(c, n, "k = %lld outside [1, %lld]", (long long)t->k, (long long)x->shape[t->axis]);
  return TSR_OK;
}

static tsr_status infer_topk(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  ox_topk t;
  TSR_TRY(ox_topk_params(c, n, x, &t));
  if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
  int64_t s[MAXD];
  int32_t nd = 0;
  for (int i = 0; i < x->ndim; ++i) {
    if (i != t.axis) s[nd++] = x->shape[i];
    else if (t.keep) s[nd++] = t.k;
  }
  if (n->op != OX_TOPK) return set_out(c, n, 0, TSR_DTYPE_I64, nd, s);
  TSR_TRY(set_out(c, n, 0, x->dtype, nd, s));
  return set_out(c, n, 1, TSR_DTYPE_I64, nd, s);
}

tsr_status ox_cumsum_axis(ox_ctx *c, const ox_node *n, const ox_value *x, int32_t *axis) {
  const ox_value *a = ox_in(c, n, 1);
  if (a == NULL) return OX_BAD(c, n, "input 'axis' is missing");
  if (!is_const(a) || ox_numel(a) != 1) return OX_UNSUPPORTED(c, n, "input 'axis' at run time");
  return norm_axis(c, n, ox_get_i64(a, 0), x->ndim, axis);
}

/* ---- GatherElements, GatherND, ScatterND ---- */

static tsr_status infer_gather_more(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL, *ix = NULL;
  TSR_TRY(need(c, n, 0, &x));
  TSR_TRY(need(c, n, 1, &ix));
  if (ix->dtype != TSR_DTYPE_I64 && ix->dtype != TSR_DTYPE_I32) return OX_BAD(c, n, "indices dtype %s", tsr_dtype_name(ix->dtype));
  if (x->dtype != TSR_DTYPE_F32 && x->dtype != TSR_DTYPE_I64 && x->dtype != TSR_DTYPE_I32)
    return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
  if (n->op == OX_GATHER_ELEMENTS) {
    int64_t axis = 0;
    int32_t ax = 0;
    TSR_TRY(ox_attr_int(c, n, "axis", 0, &axis));
    TSR_TRY(norm_axis(c, n, axis, x->ndim, &ax));
    if (ix->ndim != x->ndim) return OX_BAD(c, n, "indices rank %d, data rank %d", (int)ix->ndim, (int)x->ndim);
    return set_out(c, n, 0, x->dtype, ix->ndim, ix->shape);
  }
  if (n->op == OX_GATHER_ND) {
    int64_t b = 0;
    TSR_TRY(ox_attr_int(c, n, "batch_dims", 0, &b));
    if (b != 0) return OX_UNSUPPORTED(c, n, "attribute 'batch_dims' = %lld", (long long)b);
  } else {
    char red[16];
    TSR_TRY(ox_attr_str(c, n, "reduction", "none", red, sizeof(red)));
    if (strcmp(red, "none") != 0) return OX_UNSUPPORTED(c, n, "attribute 'reduction' = %s", red);
  }
  const int64_t m = ix->ndim >= 1 ? ix->shape[ix->ndim - 1] : 0;
  if (ix->ndim < 1 || m < 1 || m > x->ndim) return OX_BAD(c, n, "indices [.., %lld] for data of rank %d", (long long)m, (int)x->ndim);
  if (n->op == OX_SCATTER_ND) return set_out(c, n, 0, x->dtype, x->ndim, x->shape);
  int64_t s[2 * MAXD];
  int32_t nd = 0;
  for (int i = 0; i < ix->ndim - 1; ++i) s[nd++] = ix->shape[i];
  for (int i = (int)m; i < x->ndim; ++i) s[nd++] = x->shape[i];
  return set_out(c, n, 0, x->dtype, nd, s);
}

/* ---- LSTM, GRU ---- */

tsr_status ox_rnn_params(ox_ctx *c, const ox_node *n, ox_rnn *r) {
  memset(r, 0, sizeof(*r));
  const bool lstm = n->op == OX_LSTM;
  r->gates = lstm ? 4 : 3;
  char dir[16];
  int64_t v = 0;
  TSR_TRY(ox_attr_str(c, n, "direction", "forward", dir, sizeof(dir)));
  if (strcmp(dir, "forward") == 0) r->dirs = 1;
  else if (strcmp(dir, "reverse") == 0) r->dirs = 1, r->reverse = true;
  else if (strcmp(dir, "bidirectional") == 0) r->dirs = 2;
  else return OX_BAD(c, n, "attribute 'direction' = %s", dir);
  TSR_TRY(ox_attr_int(c, n, "layout", 0, &v));
  if (v != 0) return OX_UNSUPPORTED(c, n, "attribute 'layout' = %lld (batch-first)", (long long)v);
  if (ox_attr(n, "activations") != NULL) return OX_UNSUPPORTED(c, n, "attribute 'activations' (only the defaults)");
  if (ox_attr(n, "clip") != NULL) return OX_UNSUPPORTED(c, n, "attribute 'clip'");
  if (lstm) {
    TSR_TRY(ox_attr_int(c, n, "input_forget", 0, &v));
    if (v != 0) return OX_UNSUPPORTED(c, n, "attribute 'input_forget' = %lld", (long long)v);
    if (ox_in(c, n, 7) != NULL) return OX_UNSUPPORTED(c, n, "input 'P' (peepholes)");
  } else {
    TSR_TRY(ox_attr_int(c, n, "linear_before_reset", 0, &v));
    r->linear_before_reset = v != 0;
  }
  TSR_TRY(ox_attr_int(c, n, "hidden_size", 0, &r->hidden));
  const ox_value *x = ox_in(c, n, 0), *w = ox_in(c, n, 1), *rr = ox_in(c, n, 2), *b = ox_in(c, n, 3);
  if (x == NULL || w == NULL || rr == NULL) return OX_BAD(c, n, "inputs X, W and R are required");
  if (x->ndim != 3) return OX_BAD(c, n, "X must be [T, B, I]");
  r->steps = x->shape[0];
  r->batch = x->shape[1];
  r->input = x->shape[2];
  const int64_t gh = r->gates * r->hidden;
  if (r->hidden < 1 || w->ndim != 3 || w->shape[0] != r->dirs || w->shape[1] != gh || w->shape[2] != r->input)
    return OX_BAD(c, n, "W must be [%d, %lld, %lld]", r->dirs, (long long)gh, (long long)r->input);
  if (rr->ndim != 3 || rr->shape[0] != r->dirs || rr->shape[1] != gh || rr->shape[2] != r->hidden)
    return OX_BAD(c, n, "R must be [%d, %lld, %lld]", r->dirs, (long long)gh, (long long)r->hidden);
  if (!is_const(w) || !is_const(rr) || w->dtype != TSR_DTYPE_F32 || rr->dtype != TSR_DTYPE_F32)
    return OX_UNSUPPORTED(c, n, "input 'W' / 'R' at run time or not f32");
  if (b != NULL && (!is_const(b) || b->dtype != TSR_DTYPE_F32 || ox_numel(b) != r->dirs * 2 * gh))
    return OX_UNSUPPORTED(c, n, "input 'B' at run time or mis-shaped");
  const ox_value *sl = ox_in(c, n, 4);
  if (sl != NULL) {
    if (!is_const(sl)) return OX_UNSUPPORTED(c, n, "input 'sequence_lens' at run time");
    for (int64_t i = 0; i < ox_numel(sl); ++i) {
      if (ox_get_i64(sl, i) != r->steps) return OX_UNSUPPORTED(c, n, "input 'sequence_lens' shorter than the sequence");
    }
  }
  for (uint32_t k = 5; k < (lstm ? 7u : 6u); ++k) {
    const ox_value *h = ox_in(c, n, k);
    if (h != NULL && (h->dtype != TSR_DTYPE_F32 || h->ndim != 3 || h->shape[0] != r->dirs || h->shape[1] != r->batch ||
                      h->shape[2] != r->hidden))
      return OX_BAD(c, n, "input %u must be [%d, %lld, %lld]", (unsigned)k, r->dirs, (long long)r->batch, (long long)r->hidden);
  }
  if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
  return TSR_OK;
}

static tsr_status infer_rnn(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  TSR_TRY(need(c, n, 0, &x));
  ox_rnn r;
  TSR_TRY(ox_rnn_params(c, n, &r));
  const int64_t y[4] = {r.steps, r.dirs, r.batch, r.hidden}, h[3] = {r.dirs, r.batch, r.hidden};
  TSR_TRY(set_out(c, n, 0, TSR_DTYPE_F32, 4, y));
  TSR_TRY(set_out(c, n, 1, TSR_DTYPE_F32, 3, h));
  if (n->op == OX_LSTM) TSR_TRY(set_out(c, n, 2, TSR_DTYPE_F32, 3, h));
  return TSR_OK;
}

/* ---- Einsum ---- */

tsr_status ox_einsum_parse(ox_ctx *c, const ox_node *n, ox_einsum *e) {
  char eq[128];
  memset(e, 0, sizeof(*e));
  TSR_TRY(ox_attr_str(c, n, "equation", "", eq, sizeof(eq)));
  if (strstr(eq, "...") != NULL) return OX_UNSUPPORTED(c, n, "attribute 'equation' = %s (an ellipsis)", eq);
  if (n->n_in < 1 || n->n_in > 2) return OX_UNSUPPORTED(c, n, "%u operands (1 or 2)", (unsigned)n->n_in);
  e->n_in = (int)n->n_in;
  int op = 0, count[26] = {0};
  bool arrow = false, seen[2][26] = {{false}};
  for (const char *p = eq; *p; ++p) {
    if (*p == ' ') continue;
    if (*p == ',' && !arrow) {
      if (++op >= e->n_in) return OX_BAD(c, n, "attribute 'equation' = %s has more operands than inputs", eq);
      continue;
    }
    if (p[0] == '-' && p[1] == '>' && !arrow) {
      arrow = true;
      ++p;
      continue;
    }
    int l = (*p >= 'a' && *p <= 'z') ? *p - 'a' : -1;
    if (l < 0) return OX_UNSUPPORTED(c, n, "attribute 'equation' = %s (letters a-z only)", eq);
    if (arrow) {
      if (e->nd_out >= MAXD) return OX_UNSUPPORTED(c, n, "attribute 'equation' = %s (output rank)", eq);
      e->out[e->nd_out++] = (char)l;
    } else {
      if (seen[op][l]) return OX_UNSUPPORTED(c, n, "attribute 'equation' = %s (a repeated index)", eq);
      if (e->nd[op] >= MAXD) return OX_BAD(c, n, "attribute 'equation' = %s: operand %d rank", eq, op);
      seen[op][l] = true;
      count[l]++;
      e->in[op][e->nd[op]++] = (char)l;
    }
  }
  if (op + 1 != e->n_in) return OX_BAD(c, n, "attribute 'equation' = %s names %d operands", eq, op + 1);
  if (!arrow) { /* implicit output: letters seen once, in alphabetical order */
    for (int l = 0; l < 26; ++l) {
      if (count[l] == 1) {
        if (e->nd_out >= MAXD) return OX_UNSUPPORTED(c, n, "attribute 'equation' = %s (output rank)", eq);
        e->out[e->nd_out++] = (char)l;
      }
    }
  }
  for (int k = 0; k < e->n_in; ++k) {
    const ox_value *x = ox_in(c, n, (uint32_t)k);
    if (x == NULL || x->ndim != e->nd[k])
      return OX_BAD(c, n, "attribute 'equation' = %s: operand %d has rank %d", eq, k, x ? (int)x->ndim : -1);
    for (int i = 0; i < x->ndim; ++i) {
      int64_t *sz = &e->size[(int)e->in[k][i]];
      if (*sz > 1 && x->shape[i] > 1 && *sz != x->shape[i])
        return OX_BAD(c, n, "index %c has extents %lld and %lld", 'a' + e->in[k][i], (long long)*sz, (long long)x->shape[i]);
      if (x->shape[i] > *sz) *sz = x->shape[i];
    }
  }
  for (int i = 0; i < e->nd_out; ++i) {
    if (count[(int)e->out[i]] == 0) return OX_BAD(c, n, "output index %c is in no operand", 'a' + e->out[i]);
  }
  return TSR_OK;
}

static tsr_status infer_einsum(ox_ctx *c, ox_node *n) {
  ox_value *x = NULL;
  for (uint32_t i = 0; i < n->n_in; ++i) TSR_TRY(need(c, n, i, &x));
  ox_einsum e;
  TSR_TRY(ox_einsum_parse(c, n, &e));
  for (uint32_t i = 0; i < n->n_in; ++i) {
    if (ox_in(c, n, i)->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(ox_in(c, n, i)->dtype));
  }
  int64_t s[MAXD];
  for (int i = 0; i < e.nd_out; ++i) s[i] = e.size[(int)e.out[i]];
  return set_out(c, n, 0, TSR_DTYPE_F32, e.nd_out, s);
}

/* ---- the pass ---- */

static tsr_status infer_node(ox_ctx *c, ox_node *n) {
  TSR_TRY(check_attrs(c, n));
  switch (n->op) {
    case OX_ADD: case OX_SUB: case OX_MUL: case OX_DIV: case OX_POW: case OX_EQUAL: case OX_MOD: case OX_GREATER:
    case OX_LESS: case OX_GREATER_OR_EQUAL: case OX_LESS_OR_EQUAL: case OX_AND: case OX_OR: case OX_XOR:
      return infer_binary(c, n);
    case OX_MAX: case OX_MIN:
      if (n->n_in == 1) return same_as_input(c, n);
      if (n->n_in > 2) return infer_variadic(c, n);
      return infer_binary(c, n);
    case OX_ABS: case OX_NEG: case OX_SQRT: case OX_EXP: case OX_ERF: case OX_FLOOR: case OX_RELU: case OX_SIGMOID:
    case OX_TANH: case OX_LEAKY_RELU: case OX_HARD_SIGMOID: case OX_HARD_SWISH: case OX_SOFTPLUS: case OX_LOG:
    case OX_SIN: case OX_COS: case OX_MISH: case OX_ELU: case OX_SELU: case OX_GELU: case OX_ROUND: case OX_CEIL:
    case OX_RECIPROCAL: case OX_NOT:
      return infer_unary(c, n);
    case OX_PAD: return infer_pad(c, n);
    case OX_TILE: return infer_tile(c, n);
    case OX_DEPTH_TO_SPACE: case OX_SPACE_TO_DEPTH: return infer_depth_space(c, n);
    case OX_INSTANCE_NORM: case OX_GROUP_NORM: {
      ox_value *x = NULL;
      TSR_TRY(need(c, n, 0, &x));
      if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
      if (x->ndim < 3) return OX_UNSUPPORTED(c, n, "input rank %d (at least 3)", (int)x->ndim);
      for (uint32_t k = 1; k < 3; ++k) {
        ox_value *p = NULL;
        TSR_TRY(need(c, n, k, &p));
        if (!is_const(p) || p->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "run-time or non-f32 scale/bias (input %u)", (unsigned)k);
      }
      return same_as_input(c, n);
    }
    case OX_IDENTITY: {
      ox_value *x = NULL;
      TSR_TRY(need(c, n, 0, &x));
      return alias_out(c, n, x, x->ndim, x->shape);
    }
    case OX_DROPOUT: {
      ox_value *x = NULL;
      TSR_TRY(need(c, n, 0, &x));
      if (n->n_out > 1 && ox_out(c, n, 1) != NULL && ox_out(c, n, 1)->n_uses > 0)
        return OX_UNSUPPORTED(c, n, "the mask output");
      return alias_out(c, n, x, x->ndim, x->shape);
    }
    case OX_CLIP: {
      ox_value *x = NULL;
      TSR_TRY(need(c, n, 0, &x));
      for (uint32_t i = 1; i < n->n_in && i < 3; ++i) {
        ox_value *b = ox_in(c, n, i);
        if (b != NULL && (!is_const(b) || ox_numel(b) != 1)) return OX_UNSUPPORTED(c, n, "run-time clip bounds");
      }
      if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
      return same_as_input(c, n);
    }
    case OX_PRELU: {
      ox_value *x = NULL, *sl = NULL;
      TSR_TRY(need(c, n, 0, &x));
      TSR_TRY(need(c, n, 1, &sl));
      int32_t nd = 0;
      int64_t s[MAXD];
      TSR_TRY(broadcast(c, n, x, sl, &nd, s));
      if (nd != x->ndim) return OX_BAD(c, n, "slope broadcasts beyond the input");
      return set_out(c, n, 0, TSR_DTYPE_F32, nd, s);
    }
    case OX_CAST: return infer_cast(c, n);
    case OX_RESHAPE: return infer_reshape(c, n);
    case OX_FLATTEN: return infer_flatten(c, n);
    case OX_SQUEEZE: return infer_squeeze(c, n);
    case OX_UNSQUEEZE: return infer_unsqueeze(c, n);
    case OX_SHAPE: return infer_shape(c, n);
    case OX_CONSTANT: return infer_constant(c, n);
    case OX_CONSTANT_OF_SHAPE: return infer_constant_of_shape(c, n);
    case OX_GATHER: return infer_gather(c, n);
    case OX_CONCAT: return infer_concat(c, n);
    case OX_SLICE: return infer_slice(c, n);
    case OX_SPLIT: return infer_split(c, n);
    case OX_TRANSPOSE: return infer_transpose(c, n);
    case OX_EXPAND: return infer_expand(c, n);
    case OX_RANGE: return infer_range(c, n);
    case OX_WHERE: return infer_where(c, n);
    case OX_DEQUANTIZE_LINEAR: return infer_dequantize(c, n);
    case OX_QUANTIZE_LINEAR: return infer_quantize(c, n);
    case OX_CONV: case OX_CONV_TRANSPOSE: case OX_QLINEAR_CONV: return infer_conv(c, n);
    case OX_MAX_POOL: case OX_AVERAGE_POOL: case OX_GLOBAL_AVERAGE_POOL: case OX_GLOBAL_MAX_POOL: return infer_pool(c, n);
    case OX_MATMUL: case OX_QLINEAR_MATMUL: return infer_matmul(c, n);
    case OX_GEMM: return infer_gemm(c, n);
    case OX_REDUCE_MAX: case OX_REDUCE_MEAN: case OX_REDUCE_MIN: case OX_REDUCE_SUM: case OX_REDUCE_L1:
    case OX_REDUCE_L2: case OX_REDUCE_SUM_SQUARE: case OX_REDUCE_LOG_SUM: case OX_REDUCE_LOG_SUM_EXP:
      return infer_reduce(c, n);
    case OX_ARG_MAX: case OX_ARG_MIN: case OX_TOPK: return infer_topk(c, n);
    case OX_EINSUM: return infer_einsum(c, n);
    case OX_LSTM: case OX_GRU: return infer_rnn(c, n);
    case OX_MATMUL_INTEGER: {
      ox_value *a = NULL, *b = NULL;
      TSR_TRY(need(c, n, 0, &a));
      TSR_TRY(need(c, n, 1, &b));
      if ((a->dtype != TSR_DTYPE_U8 && a->dtype != TSR_DTYPE_I8) || (b->dtype != TSR_DTYPE_U8 && b->dtype != TSR_DTYPE_I8))
        return OX_BAD(c, n, "inputs must be int8 or uint8");
      if (a->ndim < 2 || b->ndim != 2 || a->shape[a->ndim - 1] != b->shape[0])
        return OX_UNSUPPORTED(c, n, "shapes (A [.., M, K] and a 2-D B [K, N] only)");
      if (!is_const(b)) return OX_UNSUPPORTED(c, n, "input 'B' at run time");
      for (uint32_t k = 2; k < 4; ++k) {
        const ox_value *z = ox_in(c, n, k);
        if (z != NULL && !is_const(z)) return OX_UNSUPPORTED(c, n, "run-time zero point (input %u)", (unsigned)k);
        if (z != NULL && k == 2 && ox_numel(z) != 1) return OX_UNSUPPORTED(c, n, "input 'a_zero_point' per row");
        if (z != NULL && k == 3 && ox_numel(z) != 1 && ox_numel(z) != b->shape[1])
          return OX_BAD(c, n, "input 'b_zero_point' has %lld values", (long long)ox_numel(z));
      }
      int64_t s[MAXD];
      for (int i = 0; i < a->ndim; ++i) s[i] = a->shape[i];
      s[a->ndim - 1] = b->shape[1];
      return set_out(c, n, 0, TSR_DTYPE_I32, a->ndim, s);
    }
    case OX_GATHER_ELEMENTS: case OX_GATHER_ND: case OX_SCATTER_ND: return infer_gather_more(c, n);
    case OX_GRID_SAMPLE: {
      ox_value *x = NULL, *g = NULL;
      TSR_TRY(need(c, n, 0, &x));
      TSR_TRY(need(c, n, 1, &g));
      if (x->ndim != 4) return OX_UNSUPPORTED(c, n, "input rank %d (4-D NCHW only)", (int)x->ndim);
      if (x->dtype != TSR_DTYPE_F32 || g->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "non-f32 input or grid");
      if (g->ndim != 4 || g->shape[0] != x->shape[0] || g->shape[3] != 2) return OX_BAD(c, n, "grid must be [N, OH, OW, 2]");
      int64_t s[4] = {x->shape[0], x->shape[1], g->shape[1], g->shape[2]};
      return set_out(c, n, 0, TSR_DTYPE_F32, 4, s);
    }
    case OX_CUMSUM: {
      ox_value *x = NULL;
      TSR_TRY(need(c, n, 0, &x));
      int32_t ax = 0;
      TSR_TRY(ox_cumsum_axis(c, n, x, &ax));
      if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
      return same_as_input(c, n);
    }
    case OX_LP_NORM: {
      ox_value *x = NULL;
      TSR_TRY(need(c, n, 0, &x));
      int64_t pn = 2, axis = -1;
      int32_t ax = 0;
      TSR_TRY(ox_attr_int(c, n, "p", 2, &pn));
      TSR_TRY(ox_attr_int(c, n, "axis", -1, &axis));
      TSR_TRY(norm_axis(c, n, axis, x->ndim, &ax));
      if (pn != 1 && pn != 2) return OX_UNSUPPORTED(c, n, "attribute 'p' = %lld (1 or 2)", (long long)pn);
      if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
      return same_as_input(c, n);
    }
    case OX_RESIZE: case OX_UPSAMPLE: return infer_resize(c, n);
    case OX_SOFTMAX: {
      ox_value *x = NULL;
      TSR_TRY(need(c, n, 0, &x));
      if (x->dtype != TSR_DTYPE_F32) return OX_UNSUPPORTED(c, n, "input dtype %s", tsr_dtype_name(x->dtype));
      return same_as_input(c, n);
    }
    case OX_BATCH_NORM: {
      ox_value *x = NULL;
      TSR_TRY(need(c, n, 0, &x));
      int64_t tm = 0;
      TSR_TRY(ox_attr_int(c, n, "training_mode", 0, &tm));
      if (tm != 0) return OX_UNSUPPORTED(c, n, "attribute 'training_mode' = 1");
      for (uint32_t k = 1; k < n->n_out; ++k) {
        if (ox_out(c, n, k) != NULL && ox_out(c, n, k)->n_uses > 0) return OX_UNSUPPORTED(c, n, "training outputs");
      }
      if (x->ndim < 2) return OX_BAD(c, n, "input rank %d", (int)x->ndim);
      for (uint32_t k = 1; k < 5; ++k) {
        ox_value *p = NULL;
        TSR_TRY(need(c, n, k, &p));
        if (!is_const(p)) return OX_UNSUPPORTED(c, n, "run-time statistics (input %u)", (unsigned)k);
        if (p->dtype != TSR_DTYPE_F32 || ox_numel(p) != x->shape[1]) return OX_BAD(c, n, "parameter %u has the wrong size", (unsigned)k);
      }
      return same_as_input(c, n);
    }
    case OX_LAYER_NORM: {
      ox_value *x = NULL;
      TSR_TRY(need(c, n, 0, &x));
      for (uint32_t k = 1; k < n->n_out; ++k) {
        if (ox_out(c, n, k) != NULL && ox_out(c, n, k)->n_uses > 0) return OX_UNSUPPORTED(c, n, "the Mean/InvStdDev outputs");
      }
      return same_as_input(c, n);
    }
    case OX_QLINEAR_ADD: case OX_QLINEAR_MUL: {
      ox_value *a = NULL, *b = NULL, *yzp = ox_in(c, n, 7);
      TSR_TRY(need(c, n, 0, &a));
      TSR_TRY(need(c, n, 3, &b));
      int32_t nd = 0;
      int64_t s[MAXD];
      TSR_TRY(broadcast(c, n, a, b, &nd, s));
      return set_out(c, n, 0, yzp ? yzp->dtype : TSR_DTYPE_U8, nd, s);
    }
    default:
      return OX_UNSUPPORTED(c, n, "op %s is not supported", ox_op_name(n));
  }
}

tsr_status ox_infer(ox_ctx *c) {
  for (uint32_t i = 0; i < c->n_nodes; ++i) {
    ox_node *n = &c->nodes[i];
    TSR_TRY(infer_node(c, n));
    for (uint32_t k = 0; k < n->n_out; ++k) {
      ox_value *v = ox_out(c, n, k);
      if (v != NULL && v->dtype == TSR_DTYPE_NONE && v->n_uses > 0)
        return OX_BAD(c, n, "output %s has no inferred shape", v->name);
    }
  }
  return TSR_OK;
}
