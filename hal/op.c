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
      "hard_swish", "tanh", "erf", "sqrt", "exp", "neg", "abs", "clip", "scale"};
  return (unsigned)k < TSR_UNARY_COUNT ? names[k] : "?";
}

const char *tsr_binary_kind_name(tsr_binary_kind k) {
  static const char *const names[TSR_BINARY_COUNT] = {"add", "sub", "mul", "div", "pow",
                                                      "max", "min", "prelu", "swiglu"};
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
    default: break;
  }
  if ((unsigned)op->type < TSR_OP_COUNT && op->type != TSR_OP_NONE)
    FAIL(TSR_ERR_UNSUPPORTED, "%s: op %s has no implementation", OPNAME(op),
         tsr_op_type_name(op->type));
  FAIL(TSR_ERR_INVALID_ARGUMENT, "unknown op type %d", (int)op->type);
}
