/* Op names and the op contracts (shape, dtype and parameter checks). */
#include <string.h>

#include "tessera/tessera.h"

static const char *const kOpNames[TSR_OP_COUNT] = {
    [TSR_OP_NONE] = "none",
#define TSR_OP_NAME_(id, name) [TSR_OP_##id] = name,
    TSR_OP_LIST(TSR_OP_NAME_)
#undef TSR_OP_NAME_
};

const char *tsr_op_type_name(tsr_op_type t) {
  return (unsigned)t < TSR_OP_COUNT ? kOpNames[t] : "?";
}

const char *tsr_unary_kind_name(tsr_unary_kind k) {
  static const char *const names[TSR_UNARY_COUNT] = {
      "silu", "gelu_tanh", "gelu_erf", "relu", "leaky_relu", "sigmoid", "hard_sigmoid",
      "hard_swish", "tanh", "erf", "sqrt", "exp", "neg", "abs", "clip", "scale",
      "softplus", "log", "sin", "cos", "mish", "elu", "selu", "round", "floor", "ceil", "reciprocal", "not"};
  return (unsigned)k < TSR_UNARY_COUNT ? names[k] : "?";
}

const char *tsr_binary_kind_name(tsr_binary_kind k) {
  static const char *const names[TSR_BINARY_COUNT] = {"add", "sub", "mul", "div", "pow",
                                                      "max", "min", "prelu", "swiglu",
                                                      "fmod", "equal", "greater", "less", "greater_equal",
                                                      "less_equal", "and", "or", "xor", "select", "select_not"};
  return (unsigned)k < TSR_BINARY_COUNT ? names[k] : "?";
}

#define OPNAME(op) ((op)->name ? (op)->name : tsr_op_type_name((op)->type))
#define FAIL(code, ...) return TSR_ERROR(err, code, __VA_ARGS__)

static bool is_float(tsr_dtype t) {
  return t == TSR_DTYPE_F32 || t == TSR_DTYPE_F16 || t == TSR_DTYPE_BF16;
}

static bool is_weight_dtype(tsr_dtype t) { return is_float(t) || tsr_dtype_is_quantized(t); }

static bool is_int(tsr_dtype t) {
  return t == TSR_DTYPE_I8 || t == TSR_DTYPE_U8 || t == TSR_DTYPE_I32 || t == TSR_DTYPE_I64;
}

/* Innermost dimension densely packed (always true for block formats). */
static bool inner_contiguous(const tsr_tensor *t) {
  if (t->ndim == 0 || tsr_dtype_is_quantized(t->dtype)) return true;
  return t->shape[t->ndim - 1] <= 1 ||
         t->stride[t->ndim - 1] == (int64_t)tsr_dtype_block_bytes(t->dtype);
}

static tsr_status check_tensor(const tsr_op *op, const tsr_tensor *t, const char *what,
                               tsr_error *err) {
  if ((unsigned)t->dtype >= TSR_DTYPE_COUNT || t->dtype == TSR_DTYPE_NONE)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s has no valid dtype", OPNAME(op), what);
  if (t->ndim < 0 || t->ndim > TSR_MAX_DIMS)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s has %d dimensions (max %d)", OPNAME(op), what,
         (int)t->ndim, TSR_MAX_DIMS);
  for (int i = 0; i < t->ndim; ++i) {
    if (t->shape[i] < 0)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s has a negative extent", OPNAME(op), what);
  }
  if (tsr_dtype_is_quantized(t->dtype) &&
      (t->ndim == 0 || t->shape[t->ndim - 1] % tsr_dtype_block_size(t->dtype) != 0))
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s row length is not a multiple of the %s block (%lld)",
         OPNAME(op), what, tsr_dtype_name(t->dtype), (long long)tsr_dtype_block_size(t->dtype));
  return TSR_OK;
}

static tsr_status need_src(const tsr_op *op, uint32_t min, uint32_t max, tsr_error *err) {
  if (op->n_src < min || op->n_src > max)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %u sources, expected %u to %u", OPNAME(op),
         (unsigned)op->n_src, (unsigned)min, (unsigned)max);
  for (uint32_t i = 0; i < min; ++i) {
    if (op->src[i].dtype == TSR_DTYPE_NONE)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: source %u is required", OPNAME(op), (unsigned)i);
  }
  for (uint32_t i = 0; i < op->n_src; ++i) {
    if (op->src[i].dtype == TSR_DTYPE_NONE) continue;
    char what[16] = "source 0";
    what[7] = (char)('0' + i);
    TSR_TRY(check_tensor(op, &op->src[i], what, err));
  }
  return check_tensor(op, &op->dst, "destination", err);
}

static tsr_status need_dtype(const tsr_op *op, const tsr_tensor *t, const char *what, bool ok,
                             tsr_error *err) {
  if (!ok)
    FAIL(TSR_ERR_UNSUPPORTED, "%s: %s dtype %s is not supported", OPNAME(op), what,
         tsr_dtype_name(t->dtype));
  return TSR_OK;
}

static tsr_status need_same_shape(const tsr_op *op, const tsr_tensor *a, const tsr_tensor *b,
                                  const char *what, tsr_error *err) {
  if (!tsr_tensor_same_shape(a, b))
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s shape differs from the source", OPNAME(op), what);
  return TSR_OK;
}

static tsr_status need_vector(const tsr_op *op, const tsr_tensor *t, int64_t n, const char *what,
                              tsr_error *err) {
  if (t->dtype != TSR_DTYPE_F32 || t->ndim != 1 || t->shape[0] != n || !inner_contiguous(t))
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s must be a contiguous f32 vector of %lld", OPNAME(op),
         what, (long long)n);
  return TSR_OK;
}

/* numpy broadcasting of |a| and |b| must give |y|. */
static tsr_status need_broadcast(const tsr_op *op, const tsr_tensor *a, const tsr_tensor *b,
                                 const tsr_tensor *y, int skip_inner, tsr_error *err) {
  int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
  if (y->ndim != nd)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination has %d dimensions, broadcast gives %d",
         OPNAME(op), (int)y->ndim, nd);
  for (int i = 0; i < nd - skip_inner; ++i) {
    int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
    int64_t ea = ia >= 0 ? a->shape[ia] : 1, eb = ib >= 0 ? b->shape[ib] : 1;
    if (ea != eb && ea != 1 && eb != 1)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: dimension %d does not broadcast (%lld vs %lld)",
           OPNAME(op), i, (long long)ea, (long long)eb);
    int64_t e = ea == 1 ? eb : ea;
    if (y->shape[i] != e)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination dimension %d is %lld, expected %lld",
           OPNAME(op), i, (long long)y->shape[i], (long long)e);
  }
  return TSR_OK;
}

static tsr_status validate_matmul(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 2, 5, err));
  const tsr_tensor *a = &op->src[0], *b = &op->src[1], *y = &op->dst;
  if (a->ndim < 2 || b->ndim < 2)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: a and b need at least 2 dimensions", OPNAME(op));
  int64_t k = a->shape[a->ndim - 1];
  if (b->shape[b->ndim - 1] != k)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: inner dimensions differ (a K=%lld, b K=%lld)", OPNAME(op),
         (long long)k, (long long)b->shape[b->ndim - 1]);
  TSR_TRY(need_broadcast(op, a, b, y, 2, err));
  int64_t m = a->shape[a->ndim - 2], n = b->shape[b->ndim - 2];
  if (y->shape[y->ndim - 2] != m || y->shape[y->ndim - 1] != n)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination must be [.., %lld, %lld]", OPNAME(op),
         (long long)m, (long long)n);
  if (a->dtype == TSR_DTYPE_I8) {
    TSR_TRY(need_dtype(op, b, "b", b->dtype == TSR_DTYPE_I8, err));
    bool scaled = tsr_op_has_src(op, 3) || tsr_op_has_src(op, 4);
    if (scaled) {
      if (!tsr_op_has_src(op, 3) || !tsr_op_has_src(op, 4) || y->dtype != TSR_DTYPE_F32)
        FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: scaled i8 matmul needs a_scale, b_scale and f32 y",
             OPNAME(op));
      TSR_TRY(need_vector(op, &op->src[3], m, "a_scale", err));
      TSR_TRY(need_vector(op, &op->src[4], n, "b_scale", err));
      if (a->ndim != 2 || b->ndim != 2)
        FAIL(TSR_ERR_UNSUPPORTED, "%s: scaled i8 matmul is 2-D only", OPNAME(op));
    } else {
      TSR_TRY(need_dtype(op, y, "destination", y->dtype == TSR_DTYPE_I32, err));
    }
  } else {
    TSR_TRY(need_dtype(op, a, "a", a->dtype == TSR_DTYPE_F32, err));
    TSR_TRY(need_dtype(op, b, "b", is_weight_dtype(b->dtype), err));
    TSR_TRY(need_dtype(op, y, "destination", y->dtype == TSR_DTYPE_F32, err));
    if (tsr_op_has_src(op, 3) || tsr_op_has_src(op, 4))
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: scales apply to i8 matmul only", OPNAME(op));
  }
  if (tsr_op_has_src(op, 2)) TSR_TRY(need_vector(op, &op->src[2], n, "bias", err));
  if (!inner_contiguous(y))
    FAIL(TSR_ERR_UNSUPPORTED, "%s: destination rows must be contiguous", OPNAME(op));
  return TSR_OK;
}

static tsr_status validate_norm(const tsr_op *op, tsr_error *err) {
  bool ln = op->type == TSR_OP_LAYERNORM;
  TSR_TRY(need_src(op, 1, ln ? 3 : 2, err));
  const tsr_tensor *x = &op->src[0];
  TSR_TRY(need_dtype(op, x, "x", x->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, &op->dst, "destination", op->dst.dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_same_shape(op, &op->dst, x, "destination", err));
  if (x->ndim < 1) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x needs a dimension", OPNAME(op));
  int64_t n = x->shape[x->ndim - 1];
  if (tsr_op_has_src(op, 1)) TSR_TRY(need_vector(op, &op->src[1], n, "weight", err));
  if (ln && tsr_op_has_src(op, 2)) TSR_TRY(need_vector(op, &op->src[2], n, "bias", err));
  if (!(op->p.norm.eps >= 0.0f))
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: eps must be >= 0", OPNAME(op));
  return TSR_OK;
}

static tsr_status validate_softmax(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 1, 1, err));
  const tsr_tensor *x = &op->src[0];
  TSR_TRY(need_dtype(op, x, "x", x->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, &op->dst, "destination", op->dst.dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_same_shape(op, &op->dst, x, "destination", err));
  if (x->ndim < 1) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x needs a dimension", OPNAME(op));
  if (op->p.softmax.causal && x->ndim < 2)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: a causal mask needs [.., R, S]", OPNAME(op));
  return TSR_OK;
}

static tsr_status validate_rope(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 1, 2, err));
  const tsr_tensor *x = &op->src[0];
  const tsr_rope_params *p = &op->p.rope;
  TSR_TRY(need_dtype(op, x, "x", x->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, &op->dst, "destination", op->dst.dtype == TSR_DTYPE_F32, err));
  if (x->ndim != 3) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x must be [T, H, D]", OPNAME(op));
  TSR_TRY(need_same_shape(op, &op->dst, x, "destination", err));
  if (p->n_dims <= 0 || (p->n_dims & 1) || p->n_dims > x->shape[2])
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: n_dims %d must be even and in (0, D=%lld]", OPNAME(op),
         (int)p->n_dims, (long long)x->shape[2]);
  if (p->mode != TSR_ROPE_INTERLEAVED && p->mode != TSR_ROPE_NEOX)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: unknown rope mode %d", OPNAME(op), (int)p->mode);
  if (!(p->freq_base > 0.0f)) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: freq_base must be > 0", OPNAME(op));
  if (tsr_op_has_src(op, 1)) TSR_TRY(need_vector(op, &op->src[1], p->n_dims / 2, "freq_factors", err));
  if (!inner_contiguous(x) || !inner_contiguous(&op->dst))
    FAIL(TSR_ERR_UNSUPPORTED, "%s: the head dimension must be contiguous", OPNAME(op));
  return TSR_OK;
}

static tsr_status validate_attention(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 3, 3, err));
  const tsr_tensor *q = &op->src[0], *k = &op->src[1], *v = &op->src[2], *y = &op->dst;
  TSR_TRY(need_dtype(op, q, "q", q->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, k, "k", k->dtype == TSR_DTYPE_F32 || k->dtype == TSR_DTYPE_F16, err));
  TSR_TRY(need_dtype(op, v, "v", v->dtype == k->dtype, err));
  TSR_TRY(need_dtype(op, y, "destination", y->dtype == TSR_DTYPE_F32, err));
  if (q->ndim != 3 || k->ndim != 3 || v->ndim != 3 || y->ndim != 3)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: q, k, v and y must be 3-D [T, H, D]", OPNAME(op));
  if (k->shape[2] != q->shape[2])
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: q and k head sizes differ", OPNAME(op));
  if (v->shape[0] != k->shape[0] || v->shape[1] != k->shape[1])
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: k and v must have the same [S, Hkv]", OPNAME(op));
  if (k->shape[1] == 0 || q->shape[1] % k->shape[1] != 0)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: query heads %lld not a multiple of kv heads %lld",
         OPNAME(op), (long long)q->shape[1], (long long)k->shape[1]);
  if (y->shape[0] != q->shape[0] || y->shape[1] != q->shape[1] || y->shape[2] != v->shape[2])
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination must be [Tq, Hq, Dv]", OPNAME(op));
  if (!inner_contiguous(q) || !inner_contiguous(k) || !inner_contiguous(v) || !inner_contiguous(y))
    FAIL(TSR_ERR_UNSUPPORTED, "%s: the head dimension must be contiguous", OPNAME(op));
  if (op->p.attention.window < 0)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: negative window", OPNAME(op));
  return TSR_OK;
}

static tsr_status validate_unary(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 1, 1, err));
  if ((unsigned)op->p.unary.kind >= TSR_UNARY_COUNT)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: unknown unary kind %d", OPNAME(op), (int)op->p.unary.kind);
  TSR_TRY(need_dtype(op, &op->src[0], "x", op->src[0].dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, &op->dst, "destination", op->dst.dtype == TSR_DTYPE_F32, err));
  return need_same_shape(op, &op->dst, &op->src[0], "destination", err);
}

static tsr_status validate_binary(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 2, 2, err));
  if ((unsigned)op->p.binary.kind >= TSR_BINARY_COUNT)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: unknown binary kind %d", OPNAME(op), (int)op->p.binary.kind);
  TSR_TRY(need_dtype(op, &op->src[0], "a", op->src[0].dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, &op->src[1], "b", op->src[1].dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, &op->dst, "destination", op->dst.dtype == TSR_DTYPE_F32, err));
  return need_broadcast(op, &op->src[0], &op->src[1], &op->dst, 0, err);
}

static tsr_status validate_get_rows(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 2, 2, err));
  const tsr_tensor *tab = &op->src[0], *ids = &op->src[1], *y = &op->dst;
  TSR_TRY(need_dtype(op, tab, "table", is_weight_dtype(tab->dtype), err));
  TSR_TRY(need_dtype(op, ids, "ids", ids->dtype == TSR_DTYPE_I32 || ids->dtype == TSR_DTYPE_I64, err));
  TSR_TRY(need_dtype(op, y, "destination", y->dtype == TSR_DTYPE_F32, err));
  if (tab->ndim != 2 || ids->ndim != 1 || y->ndim != 2 || y->shape[0] != ids->shape[0] ||
      y->shape[1] != tab->shape[1])
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: expected table [V, D], ids [T], y [T, D]", OPNAME(op));
  return TSR_OK;
}

static tsr_status validate_set_rows(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 1, 1, err));
  const tsr_tensor *s = &op->src[0], *d = &op->dst;
  TSR_TRY(need_dtype(op, s, "source", s->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, d, "destination", is_weight_dtype(d->dtype), err));
  if (s->ndim < 1 || s->ndim != d->ndim)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: source and destination ranks differ", OPNAME(op));
  for (int i = 1; i < s->ndim; ++i) {
    if (s->shape[i] != d->shape[i])
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: trailing dimension %d differs", OPNAME(op), i);
  }
  return TSR_OK;
}

static tsr_status validate_convert(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 1, 1, err));
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  TSR_TRY(need_same_shape(op, y, x, "destination", err));
  bool xf = is_weight_dtype(x->dtype), yf = is_weight_dtype(y->dtype);
  bool ok = (xf && yf) || (is_int(x->dtype) && y->dtype == TSR_DTYPE_F32) ||
            (x->dtype == TSR_DTYPE_F32 && is_int(y->dtype)) || (x->dtype == y->dtype);
  if (!ok)
    FAIL(TSR_ERR_UNSUPPORTED, "%s: no conversion from %s to %s", OPNAME(op),
         tsr_dtype_name(x->dtype), tsr_dtype_name(y->dtype));
  return TSR_OK;
}

/* ---- perception ops ---- */

/* Plain (non-block) dtypes that CONCAT and GATHER move as bytes. */
static bool is_plain(tsr_dtype t) { return is_float(t) || is_int(t); }

static bool is_q8(tsr_dtype t) { return t == TSR_DTYPE_I8 || t == TSR_DTYPE_U8; }

/* One element, any rank (ONNX scalars come as [] or [1]). */
static bool is_scalar(const tsr_tensor *t) { return tsr_tensor_numel(t) == 1; }

/* A scalar, or a contiguous vector [n] (per channel). */
static tsr_status need_scalar_or_vector(const tsr_op *op, const tsr_tensor *t, int64_t n, tsr_dtype dt,
                                        const char *what, tsr_error *err) {
  if (t->dtype != dt)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s must be %s, not %s", OPNAME(op), what, tsr_dtype_name(dt),
         tsr_dtype_name(t->dtype));
  if (is_scalar(t)) return TSR_OK;
  if (t->ndim != 1 || t->shape[0] != n || !inner_contiguous(t))
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s must be a scalar or a contiguous vector of %lld", OPNAME(op), what,
         (long long)n);
  return TSR_OK;
}

static tsr_status need_scalar(const tsr_op *op, const tsr_tensor *t, tsr_dtype dt, const char *what,
                              tsr_error *err) {
  if (t->dtype != dt || !is_scalar(t))
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s must be a %s scalar", OPNAME(op), what, tsr_dtype_name(dt));
  return TSR_OK;
}

static tsr_status validate_concat(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, op->n_src ? op->n_src : 1, TSR_OP_MAX_SRC, err));
  const tsr_tensor *y = &op->dst;
  const int axis = op->p.concat.axis;
  TSR_TRY(need_dtype(op, y, "destination", is_plain(y->dtype), err));
  if (y->ndim < 1 || axis < 0 || axis >= y->ndim)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: axis %d outside [0, %d)", OPNAME(op), axis, (int)y->ndim);
  int64_t sum = 0;
  for (uint32_t i = 0; i < op->n_src; ++i) {
    const tsr_tensor *x = &op->src[i];
    if (x->dtype != y->dtype)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: source %u is %s, destination %s", OPNAME(op), (unsigned)i,
           tsr_dtype_name(x->dtype), tsr_dtype_name(y->dtype));
    if (x->ndim != y->ndim)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: source %u has rank %d, destination %d", OPNAME(op), (unsigned)i,
           (int)x->ndim, (int)y->ndim);
    for (int d = 0; d < y->ndim; ++d) {
      if (d != axis && x->shape[d] != y->shape[d])
        FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: source %u dimension %d is %lld, destination %lld", OPNAME(op),
             (unsigned)i, d, (long long)x->shape[d], (long long)y->shape[d]);
    }
    sum += x->shape[axis];
  }
  if (sum != y->shape[axis])
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: sources add up to %lld on axis %d, destination has %lld", OPNAME(op),
         (long long)sum, axis, (long long)y->shape[axis]);
  return TSR_OK;
}

static int64_t or_one(int32_t v) { return v == 0 ? 1 : v; }

/* Checks the geometry in |p| against x [N, C, H, W], w and y, for CONV2D and
 * QLINEAR_CONV (w [M, C/g, KH, KW]) or CONV_TRANSPOSE2D (w [C, M/g, KH, KW]). */
static tsr_status check_conv_geometry(const tsr_op *op, const tsr_conv2d_params *p, bool transpose,
                                      tsr_error *err) {
  const tsr_tensor *x = &op->src[0], *w = &op->src[op->type == TSR_OP_QLINEAR_CONV ? 3 : 1], *y = &op->dst;
  if (x->ndim != 4 || w->ndim != 4 || y->ndim != 4)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x, w and y must be 4-D (NCHW; w %s)", OPNAME(op),
         transpose ? "[C, M/groups, KH, KW]" : "[M, C/groups, KH, KW]");
  for (int i = 0; i < 4; ++i) {
    if (x->shape[i] < 1 || w->shape[i] < 1 || y->shape[i] < 1)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x, w and y extents must be >= 1", OPNAME(op));
  }
  if (p->groups < 0) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: groups %d < 0", OPNAME(op), (int)p->groups);
  const int64_t g = or_one(p->groups);
  const int64_t n = x->shape[0], c = x->shape[1], kh = w->shape[2], kw = w->shape[3];
  int64_t m;
  if (c % g != 0) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %lld input channels not divisible by %lld groups",
                       OPNAME(op), (long long)c, (long long)g);
  if (transpose) {
    if (w->shape[0] != c)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: w has %lld input channels, x has %lld", OPNAME(op),
           (long long)w->shape[0], (long long)c);
    m = w->shape[1] * g;
  } else {
    m = w->shape[0];
    if (m % g != 0)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %lld output channels not divisible by %lld groups", OPNAME(op),
           (long long)m, (long long)g);
    if (w->shape[1] != c / g)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: w has %lld channels per group, x gives %lld", OPNAME(op),
           (long long)w->shape[1], (long long)(c / g));
  }
  if (y->shape[0] != n || y->shape[1] != m)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination must be [%lld, %lld, OH, OW]", OPNAME(op), (long long)n,
         (long long)m);
  if ((p->kernel[0] != 0 && p->kernel[0] != kh) || (p->kernel[1] != 0 && p->kernel[1] != kw))
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: kernel %dx%d differs from w's %lldx%lld", OPNAME(op), (int)p->kernel[0],
         (int)p->kernel[1], (long long)kh, (long long)kw);
  for (int i = 0; i < 2; ++i) {
    if (p->stride[i] < 0 || p->dilation[i] < 0)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: negative stride or dilation", OPNAME(op));
  }
  for (int i = 0; i < 4; ++i) {
    if (p->pad[i] < 0) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: negative pad", OPNAME(op));
  }
  for (int i = 0; i < 2; ++i) {
    const int64_t in = x->shape[2 + i], k = i ? kw : kh, s = or_one(p->stride[i]), d = or_one(p->dilation[i]);
    const int64_t pads = (int64_t)p->pad[i] + p->pad[i + 2];
    int64_t out;
    if (transpose) {
      if (p->output_padding[i] < 0 || (p->output_padding[i] >= s && p->output_padding[i] >= d))
        FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: output_padding %d must be in [0, max(stride, dilation))", OPNAME(op),
             (int)p->output_padding[i]);
      out = s * (in - 1) + p->output_padding[i] + d * (k - 1) + 1 - pads;
    } else {
      if (p->output_padding[i] != 0)
        FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: output_padding applies to transposed convolutions only", OPNAME(op));
      const int64_t span = in + pads - d * (k - 1) - 1;
      out = span < 0 ? 0 : span / s + 1;
    }
    if (out < 1)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: the %s window does not fit (output extent %lld)", OPNAME(op),
           i ? "horizontal" : "vertical", (long long)out);
    if (y->shape[2 + i] != out)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination %s is %lld, the geometry gives %lld", OPNAME(op),
           i ? "width" : "height", (long long)y->shape[2 + i], (long long)out);
  }
  return TSR_OK;
}

static tsr_status validate_conv(const tsr_op *op, tsr_error *err) {
  const bool transpose = op->type == TSR_OP_CONV_TRANSPOSE2D;
  const tsr_conv2d_params *p = &op->p.conv2d;
  TSR_TRY(need_src(op, 2, 4, err));
  TSR_TRY(need_dtype(op, &op->src[0], "x", op->src[0].dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, &op->src[1], "w", op->src[1].dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, &op->dst, "destination", op->dst.dtype == TSR_DTYPE_F32, err));
  TSR_TRY(check_conv_geometry(op, p, transpose, err));
  const int64_t m = op->dst.shape[1];
  if (tsr_op_has_src(op, 2)) TSR_TRY(need_vector(op, &op->src[2], m, "bias", err));
  if (p->activation != -1 && (p->activation < 0 || p->activation >= TSR_UNARY_COUNT))
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: unknown activation %d", OPNAME(op), (int)p->activation);
  if (p->activation > TSR_UNARY_SCALE) /* the kinds after SCALE exist as UNARY only */
    FAIL(TSR_ERR_UNSUPPORTED, "%s: activation %s cannot be fused", OPNAME(op), tsr_unary_kind_name(p->activation));
  if (tsr_op_has_src(op, 3)) {
    TSR_TRY(need_vector(op, &op->src[3], m, "slope", err));
    if (p->activation != TSR_UNARY_LEAKY_RELU)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: a per-channel slope needs activation leaky_relu", OPNAME(op));
  }
  return TSR_OK;
}

/* Output extent of a pooling window along one axis (tsr_pool2d_params). */
static int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, bool ceil_mode) {
  const int64_t span = in + pb + pe - d * (k - 1) - 1;
  if (span < 0) return 0;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + pb) --out;
  return out;
}

static tsr_status validate_pool(const tsr_op *op, tsr_error *err) {
  const tsr_pool2d_params *p = &op->p.pool2d;
  TSR_TRY(need_src(op, 1, 1, err));
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  TSR_TRY(need_dtype(op, x, "x", x->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, y, "destination", y->dtype == TSR_DTYPE_F32, err));
  if (x->ndim != 4 || y->ndim != 4)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x and y must be 4-D (NCHW)", OPNAME(op));
  for (int i = 0; i < 4; ++i) {
    if (x->shape[i] < 1) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x extents must be >= 1", OPNAME(op));
  }
  if (y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1])
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination must be [%lld, %lld, OH, OW]", OPNAME(op),
         (long long)x->shape[0], (long long)x->shape[1]);
  if (p->kind == TSR_POOL_GLOBAL_AVG || p->kind == TSR_POOL_GLOBAL_MAX) {
    if (y->shape[2] != 1 || y->shape[3] != 1)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: global pooling gives [N, C, 1, 1]", OPNAME(op));
    return TSR_OK;
  }
  if (p->kind != TSR_POOL_MAX && p->kind != TSR_POOL_AVG)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: unknown pool kind %d", OPNAME(op), (int)p->kind);
  for (int i = 0; i < 2; ++i) {
    if (p->kernel[i] < 1) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: kernel extents must be >= 1", OPNAME(op));
    if (p->stride[i] < 0 || p->dilation[i] < 0)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: negative stride or dilation", OPNAME(op));
  }
  for (int i = 0; i < 4; ++i) {
    if (p->pad[i] < 0) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: negative pad", OPNAME(op));
  }
  for (int i = 0; i < 2; ++i) {
    int64_t out = pool_out(x->shape[2 + i], p->kernel[i], or_one(p->stride[i]), or_one(p->dilation[i]), p->pad[i],
                           p->pad[i + 2], p->ceil_mode);
    if (out < 1)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: the %s window does not fit", OPNAME(op), i ? "horizontal" : "vertical");
    if (y->shape[2 + i] != out)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination %s is %lld, the geometry gives %lld", OPNAME(op),
           i ? "width" : "height", (long long)y->shape[2 + i], (long long)out);
  }
  return TSR_OK;
}

static tsr_status validate_resize(const tsr_op *op, tsr_error *err) {
  const tsr_resize_params *p = &op->p.resize;
  TSR_TRY(need_src(op, 1, 1, err));
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  TSR_TRY(need_dtype(op, x, "x", x->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, y, "destination", y->dtype == TSR_DTYPE_F32, err));
  if (x->ndim != 4 || y->ndim != 4)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x and y must be 4-D (NCHW)", OPNAME(op));
  for (int i = 0; i < 4; ++i) {
    if (x->shape[i] < 1 || y->shape[i] < 1)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x and y extents must be >= 1", OPNAME(op));
  }
  if (y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1])
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: N and C must not change", OPNAME(op));
  if (p->mode != TSR_RESIZE_NEAREST && p->mode != TSR_RESIZE_LINEAR && p->mode != TSR_RESIZE_CUBIC)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: unknown resize mode %d", OPNAME(op), (int)p->mode);
  if (p->coord < TSR_RESIZE_HALF_PIXEL || p->coord > TSR_RESIZE_TF_HALF_PIXEL_FOR_NN)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: unknown coordinate mode %d", OPNAME(op), (int)p->coord);
  if (p->mode == TSR_RESIZE_NEAREST && (p->nearest < TSR_NEAREST_ROUND_PREFER_FLOOR || p->nearest > TSR_NEAREST_CEIL))
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: unknown nearest mode %d", OPNAME(op), (int)p->nearest);
  for (int i = 0; i < 2; ++i) {
    if (!(p->scale[i] >= 0.0f) || p->scale[i] > 1e9f)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: scale %g must be > 0 (or 0: from the shapes)", OPNAME(op),
           (double)p->scale[i]);
  }
  return TSR_OK;
}

static tsr_status validate_reduce(const tsr_op *op, tsr_error *err) {
  const tsr_reduce_params *p = &op->p.reduce;
  TSR_TRY(need_src(op, 1, 1, err));
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  TSR_TRY(need_dtype(op, x, "x", x->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, y, "destination", y->dtype == TSR_DTYPE_F32, err));
  if (p->kind < TSR_REDUCE_MEAN || p->kind > TSR_REDUCE_MIN)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: unknown reduce kind %d", OPNAME(op), (int)p->kind);
  if (x->ndim < 1 || y->ndim != x->ndim)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x and y must have the same rank >= 1 (keepdims)", OPNAME(op));
  if (p->axes == 0 || (x->ndim < 32 && (p->axes >> x->ndim) != 0))
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: axes mask 0x%x is empty or names dimensions past %d", OPNAME(op),
         (unsigned)p->axes, (int)x->ndim);
  for (int i = 0; i < x->ndim; ++i) {
    bool r = (p->axes >> i) & 1u;
    if (r && x->shape[i] < 1)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: reduced dimension %d is empty", OPNAME(op), i);
    if (y->shape[i] != (r ? 1 : x->shape[i]))
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination dimension %d is %lld, expected %lld", OPNAME(op), i,
           (long long)y->shape[i], (long long)(r ? 1 : x->shape[i]));
  }
  return TSR_OK;
}

static tsr_status validate_gather(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 2, 2, err));
  const tsr_tensor *x = &op->src[0], *idx = &op->src[1], *y = &op->dst;
  const int axis = op->p.gather.axis;
  TSR_TRY(need_dtype(op, x, "x", is_plain(x->dtype), err));
  TSR_TRY(need_dtype(op, idx, "indices", idx->dtype == TSR_DTYPE_I32 || idx->dtype == TSR_DTYPE_I64, err));
  if (y->dtype != x->dtype)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination must be %s like x", OPNAME(op), tsr_dtype_name(x->dtype));
  if (x->ndim < 1 || axis < 0 || axis >= x->ndim)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: axis %d outside [0, %d)", OPNAME(op), axis, (int)x->ndim);
  if (y->ndim != x->ndim - 1 + idx->ndim)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination rank %d, expected %d", OPNAME(op), (int)y->ndim,
         (int)(x->ndim - 1 + idx->ndim));
  for (int i = 0; i < y->ndim; ++i) {
    int64_t e = i < axis ? x->shape[i] : (i < axis + idx->ndim ? idx->shape[i - axis] : x->shape[i - idx->ndim + 1]);
    if (y->shape[i] != e)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination dimension %d is %lld, expected %lld", OPNAME(op), i,
           (long long)y->shape[i], (long long)e);
  }
  return TSR_OK;
}

static tsr_status validate_topk(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 1, 1, err));
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  TSR_TRY(need_dtype(op, x, "x", x->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, y, "destination", y->dtype == TSR_DTYPE_F32 || y->dtype == TSR_DTYPE_I64, err));
  if (x->ndim < 1 || y->ndim != x->ndim)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x and destination must have one rank >= 1", OPNAME(op));
  const int64_t len = x->shape[x->ndim - 1], k = op->p.topk.k;
  if (k < 1 || k > len)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: k = %lld outside [1, %lld]", OPNAME(op), (long long)k, (long long)len);
  for (int i = 0; i < y->ndim; ++i) {
    int64_t e = i == y->ndim - 1 ? k : x->shape[i];
    if (y->shape[i] != e)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination dimension %d is %lld, expected %lld", OPNAME(op), i,
           (long long)y->shape[i], (long long)e);
  }
  return TSR_OK;
}

static tsr_status need_index(const tsr_op *op, const tsr_tensor *t, tsr_error *err) {
  return need_dtype(op, t, "indices", t->dtype == TSR_DTYPE_I32 || t->dtype == TSR_DTYPE_I64, err);
}

static tsr_status validate_gather_more(const tsr_op *op, tsr_error *err) {
  const bool scatter = op->type == TSR_OP_SCATTER_ND;
  TSR_TRY(need_src(op, scatter ? 3 : 2, scatter ? 3 : 2, err));
  const tsr_tensor *x = &op->src[0], *ix = &op->src[1], *y = &op->dst;
  TSR_TRY(need_dtype(op, x, "x", is_plain(x->dtype), err));
  TSR_TRY(need_index(op, ix, err));
  if (y->dtype != x->dtype)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination must be %s like x", OPNAME(op), tsr_dtype_name(x->dtype));
  if (op->type == TSR_OP_GATHER_ELEMENTS) {
    const int axis = op->p.gather.axis;
    if (x->ndim < 1 || axis < 0 || axis >= x->ndim || ix->ndim != x->ndim || y->ndim != x->ndim)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: x, indices and destination must share a rank, axis %d", OPNAME(op), axis);
    for (int i = 0; i < x->ndim; ++i) {
      if (y->shape[i] != ix->shape[i] || (i != axis && ix->shape[i] > x->shape[i]))
        FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: dimension %d of indices / destination", OPNAME(op), i);
    }
    return TSR_OK;
  }
  const int64_t m = ix->ndim >= 1 ? ix->shape[ix->ndim - 1] : 0;
  if (ix->ndim < 1 || m < 1 || m > x->ndim)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: indices [.., m] with 1 <= m <= rank(x)", OPNAME(op));
  const tsr_tensor *u = scatter ? &op->src[2] : y; /* the [indices.., slab..] tensor */
  if (scatter) {
    if (u->dtype != x->dtype) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: updates must be %s", OPNAME(op), tsr_dtype_name(x->dtype));
    if (y->ndim != x->ndim) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination must have data's shape", OPNAME(op));
    for (int i = 0; i < x->ndim; ++i) {
      if (y->shape[i] != x->shape[i]) FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination must have data's shape", OPNAME(op));
    }
  }
  if (u->ndim != ix->ndim - 1 + x->ndim - m)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s rank %d", OPNAME(op), scatter ? "updates" : "destination", (int)u->ndim);
  for (int i = 0; i < u->ndim; ++i) {
    int64_t e = i < ix->ndim - 1 ? ix->shape[i] : x->shape[m + i - (ix->ndim - 1)];
    if (u->shape[i] != e)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %s dimension %d is %lld, expected %lld", OPNAME(op),
           scatter ? "updates" : "destination", i, (long long)u->shape[i], (long long)e);
  }
  return TSR_OK;
}

static tsr_status validate_grid_sample(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 2, 2, err));
  const tsr_tensor *x = &op->src[0], *g = &op->src[1], *y = &op->dst;
  TSR_TRY(need_dtype(op, x, "x", x->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, g, "grid", g->dtype == TSR_DTYPE_F32, err));
  TSR_TRY(need_dtype(op, y, "destination", y->dtype == TSR_DTYPE_F32, err));
  if (x->ndim != 4 || g->ndim != 4 || y->ndim != 4 || g->shape[3] != 2 || g->shape[0] != x->shape[0] ||
      y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1] || y->shape[2] != g->shape[1] ||
      y->shape[3] != g->shape[2])
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: expected x [N,C,H,W], grid [N,OH,OW,2], destination [N,C,OH,OW]", OPNAME(op));
  const tsr_grid_sample_params *p = &op->p.grid_sample;
  if (p->mode < TSR_GRID_BILINEAR || p->mode > TSR_GRID_BICUBIC || p->padding < TSR_GRID_ZEROS ||
      p->padding > TSR_GRID_REFLECTION)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: mode %d / padding %d", OPNAME(op), (int)p->mode, (int)p->padding);
  return TSR_OK;
}

/* scale / zero point of QUANTIZE_LINEAR and DEQUANTIZE_LINEAR. */
static tsr_status check_qparams(const tsr_op *op, const tsr_tensor *x, tsr_dtype zp_dtype, tsr_error *err) {
  const tsr_tensor *scale = &op->src[1];
  const int axis = op->p.qlinear.axis;
  int64_t n = 1;
  if (!is_scalar(scale)) {
    if (axis < 0 || axis >= x->ndim)
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: per-channel axis %d outside [0, %d)", OPNAME(op), axis, (int)x->ndim);
    n = x->shape[axis];
  }
  TSR_TRY(need_scalar_or_vector(op, scale, n, TSR_DTYPE_F32, "scale", err));
  if (tsr_op_has_src(op, 2)) {
    const tsr_tensor *zp = &op->src[2];
    TSR_TRY(need_scalar_or_vector(op, zp, n, zp_dtype, "zero_point", err));
    if (tsr_tensor_numel(zp) != tsr_tensor_numel(scale))
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: zero_point and scale differ in shape", OPNAME(op));
  }
  return TSR_OK;
}

static tsr_status validate_quantize(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 2, 3, err));
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  if (op->type == TSR_OP_QUANTIZE_LINEAR) {
    TSR_TRY(need_dtype(op, x, "x", x->dtype == TSR_DTYPE_F32, err));
    TSR_TRY(need_dtype(op, y, "destination", is_q8(y->dtype), err));
    TSR_TRY(check_qparams(op, x, y->dtype, err));
  } else {
    TSR_TRY(need_dtype(op, x, "x", is_q8(x->dtype) || x->dtype == TSR_DTYPE_I32, err));
    TSR_TRY(need_dtype(op, y, "destination", y->dtype == TSR_DTYPE_F32, err));
    TSR_TRY(check_qparams(op, x, x->dtype, err));
  }
  return need_same_shape(op, y, x, "destination", err);
}

static tsr_status validate_qlinear_conv(const tsr_op *op, tsr_error *err) {
  const tsr_conv2d_params *p = &op->p.qop.conv;
  TSR_TRY(need_src(op, 8, 9, err));
  const tsr_tensor *x = &op->src[0], *w = &op->src[3], *y = &op->dst;
  TSR_TRY(need_dtype(op, x, "x", is_q8(x->dtype), err));
  TSR_TRY(need_dtype(op, w, "w", is_q8(w->dtype), err));
  TSR_TRY(need_dtype(op, y, "destination", is_q8(y->dtype), err));
  TSR_TRY(check_conv_geometry(op, p, false, err));
  const int64_t m = y->shape[1];
  TSR_TRY(need_scalar(op, &op->src[1], TSR_DTYPE_F32, "x_scale", err));
  TSR_TRY(need_scalar(op, &op->src[2], x->dtype, "x_zero_point", err));
  TSR_TRY(need_scalar_or_vector(op, &op->src[4], m, TSR_DTYPE_F32, "w_scale", err));
  TSR_TRY(need_scalar_or_vector(op, &op->src[5], m, w->dtype, "w_zero_point", err));
  TSR_TRY(need_scalar(op, &op->src[6], TSR_DTYPE_F32, "y_scale", err));
  TSR_TRY(need_scalar(op, &op->src[7], y->dtype, "y_zero_point", err));
  if (tsr_op_has_src(op, 8)) {
    const tsr_tensor *b = &op->src[8];
    if (b->dtype != TSR_DTYPE_I32 || b->ndim != 1 || b->shape[0] != m || !inner_contiguous(b))
      FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: bias must be a contiguous i32 vector of %lld", OPNAME(op), (long long)m);
  }
  if (p->activation != -1)
    FAIL(TSR_ERR_UNSUPPORTED, "%s: no fused activation on quantized convolutions", OPNAME(op));
  return TSR_OK;
}

static tsr_status validate_qlinear_matmul(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 8, 8, err));
  const tsr_tensor *a = &op->src[0], *b = &op->src[3], *y = &op->dst;
  TSR_TRY(need_dtype(op, a, "a", is_q8(a->dtype), err));
  TSR_TRY(need_dtype(op, b, "b", is_q8(b->dtype), err));
  TSR_TRY(need_dtype(op, y, "destination", is_q8(y->dtype), err));
  if (a->ndim < 2 || b->ndim < 2)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: a and b need at least 2 dimensions", OPNAME(op));
  const int64_t k = a->shape[a->ndim - 1], m = a->shape[a->ndim - 2], n = b->shape[b->ndim - 2];
  if (b->shape[b->ndim - 1] != k)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: inner dimensions differ (a K=%lld, b [.., N, K] K=%lld)", OPNAME(op),
         (long long)k, (long long)b->shape[b->ndim - 1]);
  TSR_TRY(need_broadcast(op, a, b, y, 2, err));
  if (y->shape[y->ndim - 2] != m || y->shape[y->ndim - 1] != n)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: destination must be [.., %lld, %lld]", OPNAME(op), (long long)m,
         (long long)n);
  TSR_TRY(need_scalar(op, &op->src[1], TSR_DTYPE_F32, "a_scale", err));
  TSR_TRY(need_scalar(op, &op->src[2], a->dtype, "a_zero_point", err));
  TSR_TRY(need_scalar_or_vector(op, &op->src[4], n, TSR_DTYPE_F32, "b_scale", err));
  TSR_TRY(need_scalar_or_vector(op, &op->src[5], n, b->dtype, "b_zero_point", err));
  TSR_TRY(need_scalar(op, &op->src[6], TSR_DTYPE_F32, "y_scale", err));
  TSR_TRY(need_scalar(op, &op->src[7], y->dtype, "y_zero_point", err));
  return TSR_OK;
}

static tsr_status validate_qlinear_binary(const tsr_op *op, tsr_error *err) {
  TSR_TRY(need_src(op, 8, 8, err));
  const tsr_tensor *a = &op->src[0], *b = &op->src[3], *y = &op->dst;
  if (op->p.qop.kind != TSR_BINARY_ADD && op->p.qop.kind != TSR_BINARY_MUL)
    FAIL(TSR_ERR_UNSUPPORTED, "%s: quantized binary kind %d (only add and mul)", OPNAME(op), (int)op->p.qop.kind);
  TSR_TRY(need_dtype(op, a, "a", is_q8(a->dtype), err));
  TSR_TRY(need_dtype(op, b, "b", is_q8(b->dtype), err));
  TSR_TRY(need_dtype(op, y, "destination", is_q8(y->dtype), err));
  TSR_TRY(need_broadcast(op, a, b, y, 0, err));
  TSR_TRY(need_scalar(op, &op->src[1], TSR_DTYPE_F32, "a_scale", err));
  TSR_TRY(need_scalar(op, &op->src[2], a->dtype, "a_zero_point", err));
  TSR_TRY(need_scalar(op, &op->src[4], TSR_DTYPE_F32, "b_scale", err));
  TSR_TRY(need_scalar(op, &op->src[5], b->dtype, "b_zero_point", err));
  TSR_TRY(need_scalar(op, &op->src[6], TSR_DTYPE_F32, "y_scale", err));
  TSR_TRY(need_scalar(op, &op->src[7], y->dtype, "y_zero_point", err));
  return TSR_OK;
}

tsr_status tsr_op_validate(const tsr_op *op, tsr_error *err) {
  if (op == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "NULL op");
  if (op->n_src > TSR_OP_MAX_SRC)
    FAIL(TSR_ERR_INVALID_ARGUMENT, "%s: %u sources (max %d)", OPNAME(op), (unsigned)op->n_src,
         TSR_OP_MAX_SRC);
  switch (op->type) {
    case TSR_OP_MATMUL: return validate_matmul(op, err);
    case TSR_OP_RMSNORM:
    case TSR_OP_LAYERNORM: return validate_norm(op, err);
    case TSR_OP_SOFTMAX: return validate_softmax(op, err);
    case TSR_OP_ROPE: return validate_rope(op, err);
    case TSR_OP_ATTENTION: return validate_attention(op, err);
    case TSR_OP_UNARY: return validate_unary(op, err);
    case TSR_OP_BINARY: return validate_binary(op, err);
    case TSR_OP_GET_ROWS: return validate_get_rows(op, err);
    case TSR_OP_SET_ROWS: return validate_set_rows(op, err);
    case TSR_OP_CONVERT: return validate_convert(op, err);
    case TSR_OP_CONCAT: return validate_concat(op, err);
    case TSR_OP_CONV2D:
    case TSR_OP_CONV_TRANSPOSE2D: return validate_conv(op, err);
    case TSR_OP_POOL2D: return validate_pool(op, err);
    case TSR_OP_RESIZE: return validate_resize(op, err);
    case TSR_OP_REDUCE: return validate_reduce(op, err);
    case TSR_OP_GATHER: return validate_gather(op, err);
    case TSR_OP_QUANTIZE_LINEAR:
    case TSR_OP_DEQUANTIZE_LINEAR: return validate_quantize(op, err);
    case TSR_OP_QLINEAR_CONV: return validate_qlinear_conv(op, err);
    case TSR_OP_QLINEAR_MATMUL: return validate_qlinear_matmul(op, err);
    case TSR_OP_QLINEAR_BINARY: return validate_qlinear_binary(op, err);
    case TSR_OP_TOPK: return validate_topk(op, err);
    case TSR_OP_GRID_SAMPLE: return validate_grid_sample(op, err);
    case TSR_OP_GATHER_ELEMENTS:
    case TSR_OP_GATHER_ND:
    case TSR_OP_SCATTER_ND: return validate_gather_more(op, err);
    default: break;
  }
  if ((unsigned)op->type < TSR_OP_COUNT && op->type != TSR_OP_NONE)
    FAIL(TSR_ERR_UNSUPPORTED, "%s: op %s has no implementation", OPNAME(op),
         tsr_op_type_name(op->type));
  FAIL(TSR_ERR_INVALID_ARGUMENT, "unknown op type %d", (int)op->type);
}
