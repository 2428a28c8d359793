/* Per-op knowledge of the Vulkan target: which ops, dtypes and layouts the
 * shaders handle (supports_op), and for a bound op its shader, parameter
 * block (kernels/common/vulkan/params.h), specialisation constants and
 * workgroup counts. */
#include <math.h>
#include <string.h>

#include "kernels/common/kernel.h"
#include "targets/vulkan/vk_internal.h"

/* ---- tensors ---- */

static bool present(const tsr_tensor *tt) { return tt->dtype != TSR_DTYPE_NONE; }

/* Alignment the shaders need for element addresses of |dt|. */
static uint32_t elem_align(tsr_dtype dt) {
  switch (dt) {
    case TSR_DTYPE_F32:
    case TSR_DTYPE_I32:
    case TSR_DTYPE_I64: return 4;
    case TSR_DTYPE_I8:
    case TSR_DTYPE_U8: return 1;
    default: return 2;
  }
}

uint64_t tsr_vk_tensor_span(const tsr_tensor *tt) {
  if (tt->ndim == 0) return tsr_dtype_block_bytes(tt->dtype);
  bool q = tsr_dtype_is_quantized(tt->dtype);
  uint64_t last = 0;
  for (int i = 0; i < tt->ndim; ++i) {
    if (tt->shape[i] == 0) return 0;
    if (q && i == tt->ndim - 1) continue;
    last += (uint64_t)(tt->shape[i] - 1) * (uint64_t)tt->stride[i];
  }
  return last + (q ? tsr_dtype_row_bytes(tt->dtype, tt->shape[tt->ndim - 1]) : tsr_dtype_block_bytes(tt->dtype));
}

uint64_t tsr_vk_tensor_offset(const tsr_tensor *tt) { return tt->buffer->handle_offset + tt->offset; }

uint32_t tsr_vk_tensor_base(const vk_target *t, const tsr_tensor *tt) {
  return (uint32_t)(tsr_vk_tensor_offset(tt) % t->ssbo_align);
}

/* Layout checks every shader relies on: non-negative strides that keep
 * element alignment, and a span one binding can address. */
static bool layout_ok(const vk_target *t, const tsr_tensor *tt) {
  if (!present(tt)) return true;
  uint32_t al = elem_align(tt->dtype);
  bool q = tsr_dtype_is_quantized(tt->dtype);
  for (int i = 0; i < tt->ndim; ++i) {
    if (q && i == tt->ndim - 1) continue;
    if (tt->stride[i] < 0 || (tt->stride[i] % al) != 0 || tt->stride[i] > (int64_t)UINT32_MAX) return false;
  }
  uint64_t lim = t->max_range < UINT32_MAX ? t->max_range : UINT32_MAX;
  return tsr_vk_tensor_span(tt) + t->ssbo_align <= lim;
}

static int64_t numel(const tsr_tensor *tt) { return tsr_tensor_numel(tt); }

/* Product of all dimensions but the last two. */
static int64_t batch_count(const tsr_tensor *tt) {
  int64_t n = 1;
  for (int i = 0; i < tt->ndim - 2; ++i) n *= tt->shape[i];
  return n;
}

/* ---- workgroup geometry ---- */

static uint32_t pow2_floor(uint32_t v) {
  uint32_t p = 1;
  while (p * 2 <= v) p *= 2;
  return p;
}

/* Workgroup size of the elementwise kernels. */
static uint32_t wg_elementwise(const vk_target *t) {
  uint32_t w = t->max_invocations < 128 ? t->max_invocations : 128;
  return pow2_floor(w);
}

/* Workgroup size of the reduction kernels: 64, or a whole subgroup if wider. */
static uint32_t wg_reduce(const vk_target *t) {
  uint32_t w = t->subgroup_size > 64 ? t->subgroup_size : 64;
  if (w > t->max_invocations) w = t->max_invocations;
  return pow2_floor(w);
}

static bool split_groups(const vk_target *t, uint64_t g, uint32_t out[3]) {
  if (g == 0) g = 1;
  uint64_t x = g < t->max_groups[0] ? g : t->max_groups[0];
  uint64_t y = (g + x - 1) / x;
  if (y > t->max_groups[1]) return false;
  out[0] = (uint32_t)x;
  out[1] = (uint32_t)y;
  out[2] = 1;
  return true;
}

static uint32_t matmul_mt(int64_t m) { return m <= 1 ? 1u : (m == 2 ? 2u : (m <= 4 ? 4u : 8u)); }
#define MATMUL_NR 2u
/* From this many rows of a, the tiled (shared-memory) kernel: 32 x 32 tiles
 * of y by 64 invocations. */
#define MATMUL_TILED_M 16
#define MATMUL_TILE 32u
#define MATMUL_TILED_SHARED (2u * 32u * 33u * 4u)

static bool matmul_tiled(const vk_target *t, const tsr_op *op) {
  const tsr_tensor *a = &op->src[0];
  return a->dtype != TSR_DTYPE_I8 && a->shape[a->ndim - 2] >= MATMUL_TILED_M &&
         MATMUL_TILED_SHARED + 64u * 4u <= t->shared_bytes;
}

/* ---- parameter words ---- */

typedef struct words {
  uint32_t *w;
  uint32_t n;
} words;

static void put(words *b, uint32_t i, uint32_t v) {
  if (i < b->n) b->w[i] = v;
}
static void put_i(words *b, uint32_t i, int32_t v) { put(b, i, (uint32_t)v); }
static void put_f(words *b, uint32_t i, float v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  put(b, i, u);
}
static void put_dyn(words *b, uint32_t i, tsr_dyn d) {
  put_i(b, i, d.slot);
  put_i(b, i + 1, d.offset);
}
static uint32_t u32(int64_t v) { return (uint32_t)v; }

/* Row descriptor at word |o|: the leading dims of |ref| (all but its last),
 * padded to TSR_VK_RD; tensor j's strides from |tj|. */
static void put_rows(words *b, uint32_t o, const tsr_tensor *ref, const tsr_tensor *const *tj, uint32_t nt) {
  int lead = ref->ndim - 1;
  for (int d = 0; d < TSR_VK_RD; ++d) {
    int src = d - (TSR_VK_RD - lead);
    put(b, RD_SHAPE(o) + (uint32_t)d, src >= 0 ? u32(ref->shape[src]) : 1u);
    for (uint32_t j = 0; j < nt; ++j) put(b, RD_STRIDE(o, j) + (uint32_t)d, src >= 0 ? u32(tj[j]->stride[src]) : 0u);
  }
}

/* ---- elementwise index space ---- */

typedef struct ew_space {
  int64_t shape[TSR_VK_ND];
  int64_t stride[3][TSR_VK_ND];
} ew_space;

/* y's index space with the strides of up to two sources broadcast into it,
 * size-1 dimensions dropped and mergeable neighbours merged. */
static void ew_build(const tsr_tensor *y, const tsr_tensor *a, const tsr_tensor *b, ew_space *out) {
  int64_t shape[TSR_VK_ND], stride[3][TSR_VK_ND];
  const tsr_tensor *ts[3] = {y, a, b};
  for (int d = 0; d < TSR_VK_ND; ++d) {
    int yd = d - (TSR_VK_ND - y->ndim);
    shape[d] = yd >= 0 ? y->shape[yd] : 1;
    for (int j = 0; j < 3; ++j) {
      const tsr_tensor *tj = ts[j];
      stride[j][d] = 0;
      if (tj == NULL || yd < 0) continue;
      int td = d - (TSR_VK_ND - tj->ndim);
      if (td >= 0 && tj->shape[td] != 1) stride[j][d] = tj->stride[td];
    }
  }
  /* Collapse, innermost first. */
  int64_t cs[TSR_VK_ND], cst[3][TSR_VK_ND];
  int n = 0;
  for (int d = TSR_VK_ND - 1; d >= 0; --d) {
    if (shape[d] == 1) continue;
    if (n > 0) {
      bool merge = true;
      for (int j = 0; j < 3; ++j) merge = merge && stride[j][d] == cst[j][n - 1] * cs[n - 1];
      if (merge) {
        cs[n - 1] *= shape[d];
        continue;
      }
    }
    cs[n] = shape[d];
    for (int j = 0; j < 3; ++j) cst[j][n] = stride[j][d];
    n++;
  }
  for (int d = 0; d < TSR_VK_ND; ++d) { /* back to outermost-first, padded */
    int k = TSR_VK_ND - 1 - d;
    out->shape[d] = k < n ? cs[k] : 1;
    for (int j = 0; j < 3; ++j) out->stride[j][d] = k < n ? cst[j][k] : 0;
  }
}

static void put_ew(const vk_target *t, words *b, const ew_space *s, const tsr_tensor *const ts[3]) {
  uint32_t nd = 1;
  for (int d = 0; d < TSR_VK_ND; ++d) {
    put(b, EW_SHAPE + (uint32_t)d, u32(s->shape[d]));
    if (s->shape[d] != 1 && (uint32_t)(TSR_VK_ND - d) > nd) nd = (uint32_t)(TSR_VK_ND - d);
  }
  put(b, EW_NDIM, nd);
  for (uint32_t j = 0; j < 3; ++j) {
    put(b, EW_T(j), ts[j] ? tsr_vk_tensor_base(t, ts[j]) : 0u);
    for (int d = 0; d < TSR_VK_ND; ++d) put(b, EW_T(j) + 1u + (uint32_t)d, u32(s->stride[j][d]));
  }
}

/* ---- support ---- */

static const char *weight_name(tsr_dtype dt) {
  switch (dt) {
    case TSR_DTYPE_F32: return "f32";
    case TSR_DTYPE_F16: return "f16";
    case TSR_DTYPE_BF16: return "bf16";
    case TSR_DTYPE_Q8_0: return "q8_0";
    case TSR_DTYPE_Q4_0: return "q4_0";
    case TSR_DTYPE_Q4_K: return "q4_k";
    case TSR_DTYPE_Q5_K: return "q5_k";
    case TSR_DTYPE_Q6_K: return "q6_k";
    case TSR_DTYPE_I8: return "i8";
    default: return NULL;
  }
}

static bool dyn_ok(tsr_dyn d) { return d.slot < TSR_MAX_DYN; }

uint32_t tsr_vk_op_words(const tsr_op *op) {
  switch (op->type) {
    case TSR_OP_MATMUL: return MM_WORDS;
    case TSR_OP_RMSNORM:
    case TSR_OP_LAYERNORM: return NM_WORDS;
    case TSR_OP_SOFTMAX: return SM_WORDS;
    case TSR_OP_ROPE: return RP_WORDS((uint32_t)(op->p.rope.n_dims > 0 ? op->p.rope.n_dims : 0));
    case TSR_OP_ATTENTION: return AT_WORDS;
    case TSR_OP_GET_ROWS: return GR_WORDS;
    case TSR_OP_SET_ROWS: return SR_WORDS;
    case TSR_OP_CONVERT: return EW_WORDS > CB_WORDS ? EW_WORDS : CB_WORDS;
    default: return EW_WORDS;
  }
}

bool tsr_vk_supports_op(const vk_target *t, const tsr_op *op) {
  if (tsr_op_validate(op, NULL) != TSR_OK) return false;
  for (uint32_t i = 0; i < op->n_src; ++i) {
    if (!layout_ok(t, &op->src[i])) return false;
  }
  if (!layout_ok(t, &op->dst)) return false;
  if ((uint64_t)numel(&op->dst) > UINT32_MAX) return false;
  const tsr_tensor *y = &op->dst;
  switch (op->type) {
    case TSR_OP_MATMUL: {
      const tsr_tensor *a = &op->src[0], *b = &op->src[1];
      if (weight_name(b->dtype) == NULL) return false;
      if ((a->dtype == TSR_DTYPE_I8) != (b->dtype == TSR_DTYPE_I8)) return false;
      if (y->ndim > 6 || batch_count(y) > t->max_groups[2]) return false;
      uint32_t wg = wg_reduce(t);
      if ((8u * MATMUL_NR * wg + wg) * 4u > t->shared_bytes) return false;
      uint64_t groups = (uint64_t)((y->shape[y->ndim - 1] + MATMUL_NR - 1) / MATMUL_NR) *
                        (uint64_t)((y->shape[y->ndim - 2] + 7) / 8);
      return groups <= (uint64_t)t->max_groups[0] * t->max_groups[1];
    }
    case TSR_OP_RMSNORM:
    case TSR_OP_LAYERNORM:
    case TSR_OP_SOFTMAX:
      if (op->type == TSR_OP_SOFTMAX && !dyn_ok(op->p.softmax.q_pos)) return false;
      return tsr_rows(y) <= (int64_t)t->max_groups[0] * t->max_groups[1];
    case TSR_OP_ROPE:
      return dyn_ok(op->p.rope.pos) && op->p.rope.n_dims <= 4096;
    case TSR_OP_ATTENTION: {
      const tsr_tensor *q = &op->src[0], *v = &op->src[2];
      uint32_t wg = wg_reduce(t);
      if ((2u * AT_MAX_D + 2u * wg) * 4u > t->shared_bytes) return false;
      return dyn_ok(op->p.attention.q_pos) && dyn_ok(op->p.attention.kv_len) && q->shape[2] <= AT_MAX_D &&
             v->shape[2] <= AT_MAX_D && q->shape[0] * q->shape[1] <= (int64_t)t->max_groups[0] * t->max_groups[1];
    }
    case TSR_OP_UNARY: return op->p.unary.kind <= TSR_UNARY_SCALE; /* later kinds: CPU reference only */
    case TSR_OP_BINARY: return op->p.binary.kind <= TSR_BINARY_SWIGLU;
    case TSR_OP_GET_ROWS: return true;
    case TSR_OP_SET_ROWS: return dyn_ok(op->p.set_rows.pos) && op->src[0].ndim >= 2;
    case TSR_OP_CONVERT: {
      const tsr_tensor *x = &op->src[0];
      if (tsr_dtype_is_quantized(x->dtype) || tsr_dtype_is_quantized(y->dtype)) return x->ndim >= 1;
      return true;
    }
    default: return false;
  }
}

/* ---- plans ---- */

static void set_kernel(vk_op_plan *p, const char *name, const char *suffix) {
  size_t n = strlen(name);
  if (n >= sizeof(p->kernel)) n = sizeof(p->kernel) - 1;
  memcpy(p->kernel, name, n);
  p->kernel[n] = '\0';
  if (suffix) {
    size_t m = strlen(suffix);
    if (n + m >= sizeof(p->kernel)) m = sizeof(p->kernel) - 1 - n;
    memcpy(p->kernel + n, suffix, m);
    p->kernel[n + m] = '\0';
  }
}

static tsr_status plan_matmul(vk_target *t, const tsr_op *op, vk_op_plan *p, words *w) {
  const tsr_tensor *a = &op->src[0], *b = &op->src[1], *y = &op->dst;
  const int nd = y->ndim, nb = nd - 2;
  const int64_t M = a->shape[a->ndim - 2], K = a->shape[a->ndim - 1], N = b->shape[b->ndim - 2];
  const bool tiled = matmul_tiled(t, op);
  const uint32_t mt = tiled ? MATMUL_TILE : matmul_mt(M), nr = tiled ? MATMUL_TILE : MATMUL_NR;
  set_kernel(p, tiled ? "matmul_tiled_" : "matmul_", weight_name(b->dtype));
  p->spec[0] = tiled ? 64u : wg_reduce(t);
  p->spec[1] = tiled ? 1u : mt;
  p->spec[2] = tiled ? 1u : nr;
  put(w, MM_M, u32(M));
  put(w, MM_N, u32(N));
  put(w, MM_K, u32(K));
  put_f(w, MM_ALPHA, op->p.matmul.alpha);
  bool bias = tsr_op_has_src(op, 2), scaled = tsr_op_has_src(op, 3);
  put(w, MM_HAS_BIAS, bias);
  put(w, MM_SCALED, scaled);
  put(w, MM_Y_BASE, tsr_vk_tensor_base(t, y));
  put(w, MM_Y_SM, u32(y->stride[nd - 2]));
  put(w, MM_A_BASE, tsr_vk_tensor_base(t, a));
  put(w, MM_A_SM, u32(a->stride[a->ndim - 2]));
  put(w, MM_A_SK, u32(a->stride[a->ndim - 1]));
  put(w, MM_B_BASE, tsr_vk_tensor_base(t, b));
  put(w, MM_B_SN, u32(b->stride[b->ndim - 2]));
  put(w, MM_B_SK, tsr_dtype_is_quantized(b->dtype) ? 0u : u32(b->stride[b->ndim - 1]));
  put(w, MM_BIAS_BASE, bias ? tsr_vk_tensor_base(t, &op->src[2]) : 0u);
  put(w, MM_AS_BASE, scaled ? tsr_vk_tensor_base(t, &op->src[3]) : 0u);
  put(w, MM_BS_BASE, scaled ? tsr_vk_tensor_base(t, &op->src[4]) : 0u);
  const tsr_tensor *ts[3] = {y, a, b};
  int64_t batch = 1;
  for (int d = 0; d < 4; ++d) {
    int yd = d - (4 - nb);
    int64_t e = yd >= 0 ? y->shape[yd] : 1;
    batch *= e;
    put(w, MM_BSHAPE + (uint32_t)d, u32(e));
    for (uint32_t j = 0; j < 3; ++j) {
      const tsr_tensor *tj = ts[j];
      int tb = tj->ndim - 2, td = yd - (nb - tb);
      uint32_t s = (yd >= 0 && td >= 0 && tj->shape[td] != 1) ? u32(tj->stride[td]) : 0u;
      put(w, MM_BSTRIDE(j) + (uint32_t)d, s);
    }
  }
  uint64_t groups = (uint64_t)((N + nr - 1) / nr) * (uint64_t)((M + mt - 1) / mt);
  if (!split_groups(t, groups, p->groups) || batch > (int64_t)t->max_groups[2])
    return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: matmul too large to dispatch");
  p->groups[2] = (uint32_t)(batch > 0 ? batch : 1);
  p->n_tensors = 6;
  p->tensors[0] = y;
  for (uint32_t i = 0; i < 5; ++i) p->tensors[1 + i] = tsr_op_has_src(op, i) ? &op->src[i] : NULL;
  return TSR_OK;
}

static tsr_status plan_norm(vk_target *t, const tsr_op *op, vk_op_plan *p, words *w) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  set_kernel(p, "norm", NULL);
  p->spec[0] = wg_reduce(t);
  int64_t rows = tsr_rows(y);
  put(w, NM_ROWS, u32(rows));
  put(w, NM_N, u32(x->shape[x->ndim - 1]));
  put_f(w, NM_EPS, op->p.norm.eps);
  bool hw = tsr_op_has_src(op, 1), hb = op->type == TSR_OP_LAYERNORM && tsr_op_has_src(op, 2);
  put(w, NM_HAS_W, hw);
  put(w, NM_HAS_B, hb);
  put(w, NM_LAYER, op->type == TSR_OP_LAYERNORM);
  put(w, NM_Y_BASE, tsr_vk_tensor_base(t, y));
  put(w, NM_Y_SK, u32(tsr_inner_stride(y)));
  put(w, NM_X_BASE, tsr_vk_tensor_base(t, x));
  put(w, NM_X_SK, u32(tsr_inner_stride(x)));
  put(w, NM_W_BASE, hw ? tsr_vk_tensor_base(t, &op->src[1]) : 0u);
  put(w, NM_B_BASE, hb ? tsr_vk_tensor_base(t, &op->src[2]) : 0u);
  const tsr_tensor *tj[2] = {y, x};
  put_rows(w, NM_RD, y, tj, 2);
  if (!split_groups(t, (uint64_t)rows, p->groups)) return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: too many rows");
  p->n_tensors = 4;
  p->tensors[0] = y;
  p->tensors[1] = x;
  p->tensors[2] = hw ? &op->src[1] : NULL;
  p->tensors[3] = hb ? &op->src[2] : NULL;
  return TSR_OK;
}

static tsr_status plan_softmax(vk_target *t, const tsr_op *op, vk_op_plan *p, words *w) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  set_kernel(p, "softmax", NULL);
  p->spec[0] = wg_reduce(t);
  int64_t rows = tsr_rows(y);
  put(w, SM_ROWS, u32(rows));
  put(w, SM_S, u32(x->shape[x->ndim - 1]));
  put(w, SM_R, x->ndim >= 2 ? u32(x->shape[x->ndim - 2]) : 1u);
  put_f(w, SM_SCALE, op->p.softmax.scale);
  put(w, SM_CAUSAL, op->p.softmax.causal);
  put_dyn(w, SM_QPOS, op->p.softmax.q_pos);
  put(w, SM_Y_BASE, tsr_vk_tensor_base(t, y));
  put(w, SM_Y_SK, u32(tsr_inner_stride(y)));
  put(w, SM_X_BASE, tsr_vk_tensor_base(t, x));
  put(w, SM_X_SK, u32(tsr_inner_stride(x)));
  const tsr_tensor *tj[2] = {y, x};
  put_rows(w, SM_RD, y, tj, 2);
  if (!split_groups(t, (uint64_t)rows, p->groups)) return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: too many rows");
  p->n_tensors = 2;
  p->tensors[0] = y;
  p->tensors[1] = x;
  return TSR_OK;
}

static tsr_status plan_rope(vk_target *t, const tsr_op *op, vk_op_plan *p, words *w) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const tsr_rope_params *rp = &op->p.rope;
  set_kernel(p, "rope", NULL);
  p->spec[0] = wg_elementwise(t);
  const int64_t T = x->shape[0], H = x->shape[1], D = x->shape[2], nd = rp->n_dims;
  bool ff = tsr_op_has_src(op, 1);
  put(w, RP_T, u32(T));
  put(w, RP_H, u32(H));
  put(w, RP_D, u32(D));
  put(w, RP_NDIMS, u32(nd));
  put(w, RP_MODE, u32(rp->mode));
  put_dyn(w, RP_POS, rp->pos);
  put(w, RP_HAS_FF, ff);
  put(w, RP_Y_BASE, tsr_vk_tensor_base(t, y));
  put(w, RP_Y_S0, u32(y->stride[0]));
  put(w, RP_Y_S1, u32(y->stride[1]));
  put(w, RP_X_BASE, tsr_vk_tensor_base(t, x));
  put(w, RP_X_S0, u32(x->stride[0]));
  put(w, RP_X_S1, u32(x->stride[1]));
  put(w, RP_FF_BASE, ff ? tsr_vk_tensor_base(t, &op->src[1]) : 0u);
  const double fscale = rp->freq_scale != 0.0f ? rp->freq_scale : 1.0;
  for (int64_t i = 0; i < nd / 2; ++i) { /* frequency as a float pair */
    double f = fscale * pow((double)rp->freq_base, -2.0 * (double)i / (double)nd);
    float hi = (float)f, lo = (float)(f - (double)hi);
    put_f(w, RP_FREQ + 2u * (uint32_t)i, hi);
    put_f(w, RP_FREQ + 2u * (uint32_t)i + 1u, lo);
  }
  uint64_t threads = (uint64_t)(T * H) * (uint64_t)(nd / 2 + (D - nd));
  if (!split_groups(t, (threads + p->spec[0] - 1) / p->spec[0], p->groups))
    return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: rope too large");
  p->n_tensors = 3;
  p->tensors[0] = y;
  p->tensors[1] = x;
  p->tensors[2] = ff ? &op->src[1] : NULL;
  return TSR_OK;
}

static tsr_status plan_attention(vk_target *t, const tsr_op *op, vk_op_plan *p, words *w) {
  const tsr_tensor *q = &op->src[0], *k = &op->src[1], *v = &op->src[2], *y = &op->dst;
  const tsr_attention_params *ap = &op->p.attention;
  set_kernel(p, k->dtype == TSR_DTYPE_F16 ? "attention_f16" : "attention_f32", NULL);
  p->spec[0] = wg_reduce(t);
  put(w, AT_TQ, u32(q->shape[0]));
  put(w, AT_HQ, u32(q->shape[1]));
  put(w, AT_D, u32(q->shape[2]));
  put(w, AT_DV, u32(v->shape[2]));
  put(w, AT_S, u32(k->shape[0]));
  put(w, AT_GROUP, u32(q->shape[1] / k->shape[1]));
  float scale = ap->scale != 0.0f ? ap->scale : (float)(1.0 / sqrt((double)q->shape[2]));
  put_f(w, AT_SCALE, scale);
  put(w, AT_CAUSAL, ap->causal);
  put_i(w, AT_WINDOW, ap->window);
  put_dyn(w, AT_QPOS, ap->q_pos);
  put_dyn(w, AT_KVLEN, ap->kv_len);
  const tsr_tensor *ts[4] = {y, q, k, v};
  for (uint32_t j = 0; j < 4; ++j) {
    put(w, AT_Y_BASE + 3u * j, tsr_vk_tensor_base(t, ts[j]));
    put(w, AT_Y_BASE + 3u * j + 1u, u32(ts[j]->stride[0]));
    put(w, AT_Y_BASE + 3u * j + 2u, u32(ts[j]->stride[1]));
  }
  if (!split_groups(t, (uint64_t)(q->shape[0] * q->shape[1]), p->groups))
    return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: attention too large");
  p->n_tensors = 4;
  for (uint32_t j = 0; j < 4; ++j) p->tensors[j] = ts[j];
  return TSR_OK;
}

static tsr_status plan_elementwise(vk_target *t, const tsr_op *op, vk_op_plan *p, words *w) {
  const tsr_tensor *y = &op->dst, *a = &op->src[0], *b = op->type == TSR_OP_BINARY ? &op->src[1] : NULL;
  ew_space s;
  ew_build(y, a, b, &s);
  const tsr_tensor *ts[3] = {y, a, b};
  put_ew(t, w, &s, ts);
  put(w, EW_N, u32(numel(y)));
  if (op->type == TSR_OP_UNARY) {
    set_kernel(p, "unary", NULL);
    p->spec[1] = (uint32_t)op->p.unary.kind;
    put_i(w, EW_KIND, op->p.unary.kind);
    put_f(w, EW_ALPHA, op->p.unary.alpha);
    put_f(w, EW_BETA, op->p.unary.beta);
  } else if (op->type == TSR_OP_BINARY) {
    set_kernel(p, "binary", NULL);
    p->spec[1] = (uint32_t)op->p.binary.kind;
    put_i(w, EW_KIND, op->p.binary.kind);
  } else {
    set_kernel(p, "convert_plain", NULL);
    p->spec[1] = (uint32_t)a->dtype;
    p->spec[2] = (uint32_t)y->dtype;
    put(w, EW_KIND, (uint32_t)a->dtype);
    put(w, EW_ALPHA, (uint32_t)y->dtype);
  }
  p->spec[0] = wg_elementwise(t);
  uint64_t n = (uint64_t)numel(y);
  if (!split_groups(t, (n + p->spec[0] - 1) / p->spec[0], p->groups))
    return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: too many elements");
  p->n_tensors = b ? 3 : 2;
  p->tensors[0] = y;
  p->tensors[1] = a;
  p->tensors[2] = b;
  return TSR_OK;
}

static tsr_status plan_convert_block(vk_target *t, const tsr_op *op, vk_op_plan *p, words *w) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  set_kernel(p, tsr_dtype_is_quantized(y->dtype) ? "convert_" : "convert",
             tsr_dtype_is_quantized(y->dtype) ? weight_name(y->dtype) : NULL);
  p->spec[0] = wg_elementwise(t);
  int64_t bx = tsr_dtype_block_size(x->dtype), by = tsr_dtype_block_size(y->dtype);
  int64_t bs = bx > by ? bx : by;
  if (bs < 32) bs = 32;
  int64_t rows = tsr_rows(y), n = y->shape[y->ndim - 1];
  put(w, CB_ROWS, u32(rows));
  put(w, CB_N, u32(n));
  put(w, CB_XT, (uint32_t)x->dtype);
  put(w, CB_YT, (uint32_t)y->dtype);
  put(w, CB_BS, u32(bs));
  put(w, CB_Y_BASE, tsr_vk_tensor_base(t, y));
  put(w, CB_Y_SK, tsr_dtype_is_quantized(y->dtype) ? 0u : u32(tsr_inner_stride(y)));
  put(w, CB_X_BASE, tsr_vk_tensor_base(t, x));
  put(w, CB_X_SK, tsr_dtype_is_quantized(x->dtype) ? 0u : u32(tsr_inner_stride(x)));
  const tsr_tensor *tj[2] = {y, x};
  put_rows(w, CB_RD, y, tj, 2);
  uint64_t threads = (uint64_t)rows * (uint64_t)(n / bs);
  if (!split_groups(t, (threads + p->spec[0] - 1) / p->spec[0], p->groups))
    return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: convert too large");
  p->n_tensors = 2;
  p->tensors[0] = y;
  p->tensors[1] = x;
  return TSR_OK;
}

static tsr_status plan_get_rows(vk_target *t, const tsr_op *op, vk_op_plan *p, words *w) {
  const tsr_tensor *tab = &op->src[0], *ids = &op->src[1], *y = &op->dst;
  set_kernel(p, "get_rows", NULL);
  p->spec[0] = wg_elementwise(t);
  const int64_t T = ids->shape[0], D = tab->shape[1];
  bool q = tsr_dtype_is_quantized(tab->dtype);
  put(w, GR_T, u32(T));
  put(w, GR_D, u32(D));
  put(w, GR_V, u32(tab->shape[0] < INT32_MAX ? tab->shape[0] : INT32_MAX));
  put(w, GR_DTYPE, (uint32_t)tab->dtype);
  put(w, GR_IDS64, ids->dtype == TSR_DTYPE_I64);
  put(w, GR_Y_BASE, tsr_vk_tensor_base(t, y));
  put(w, GR_Y_S0, u32(y->stride[0]));
  put(w, GR_Y_SK, u32(y->stride[1]));
  put(w, GR_TAB_BASE, tsr_vk_tensor_base(t, tab));
  put(w, GR_TAB_S0, u32(tab->stride[0]));
  put(w, GR_TAB_SK, q ? 0u : u32(tab->stride[1]));
  put(w, GR_IDS_BASE, tsr_vk_tensor_base(t, ids));
  put(w, GR_IDS_S0, u32(ids->stride[0]));
  uint64_t threads = (uint64_t)T * (uint64_t)(q ? D / 32 : D);
  if (!split_groups(t, (threads + p->spec[0] - 1) / p->spec[0], p->groups))
    return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: get_rows too large");
  p->n_tensors = 3;
  p->tensors[0] = y;
  p->tensors[1] = tab;
  p->tensors[2] = ids;
  return TSR_OK;
}

static tsr_status plan_set_rows(vk_target *t, const tsr_op *op, vk_op_plan *p, words *w) {
  const tsr_tensor *s = &op->src[0], *d = &op->dst;
  set_kernel(p, tsr_dtype_is_quantized(d->dtype) ? "set_rows_" : "set_rows",
             tsr_dtype_is_quantized(d->dtype) ? weight_name(d->dtype) : NULL);
  p->spec[0] = wg_elementwise(t);
  const int64_t rows = tsr_rows(s), T = s->shape[0], n = s->shape[s->ndim - 1];
  const int64_t sub = T > 0 ? rows / T : 1;
  put(w, SR_ROWS, u32(rows));
  put(w, SR_SUB, u32(sub > 0 ? sub : 1));
  put(w, SR_N, u32(n));
  put(w, SR_S, u32(d->shape[0]));
  put(w, SR_DTYPE, (uint32_t)d->dtype);
  put_dyn(w, SR_POS, op->p.set_rows.pos);
  put(w, SR_D_BASE, tsr_vk_tensor_base(t, d));
  put(w, SR_D_SK, tsr_dtype_is_quantized(d->dtype) ? 0u : u32(tsr_inner_stride(d)));
  put(w, SR_S_BASE, tsr_vk_tensor_base(t, s));
  put(w, SR_S_SK, u32(tsr_inner_stride(s)));
  /* Row descriptor over dimensions 1 .. ndim-2 (equal in both), plus the
   * stride of dimension 0 of each. */
  const int lead = s->ndim - 2; /* dims 1 .. ndim-2 */
  for (int k = 0; k < TSR_VK_RD; ++k) {
    int dim = 1 + k - (TSR_VK_RD - lead);
    bool in = k >= TSR_VK_RD - lead;
    put(w, RD_SHAPE(SR_RD) + (uint32_t)k, in ? u32(s->shape[dim]) : 1u);
    put(w, RD_STRIDE(SR_RD, 0) + (uint32_t)k, in ? u32(d->stride[dim]) : 0u);
    put(w, RD_STRIDE(SR_RD, 1) + (uint32_t)k, in ? u32(s->stride[dim]) : 0u);
  }
  put(w, SR_S_S0, u32(s->stride[0]));
  put(w, SR_D_S0, u32(d->stride[0]));
  int64_t be = tsr_dtype_block_size(d->dtype);
  uint64_t threads = (uint64_t)rows * (uint64_t)(n / be);
  if (!split_groups(t, (threads + p->spec[0] - 1) / p->spec[0], p->groups))
    return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: set_rows too large");
  p->n_tensors = 2;
  p->tensors[0] = d;
  p->tensors[1] = s;
  return TSR_OK;
}

tsr_status tsr_vk_plan_op(vk_target *t, const tsr_op *op, vk_op_plan *p) {
  const char *name = op->name ? op->name : tsr_op_type_name(op->type);
  if (!tsr_vk_supports_op(t, op))
    return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: %s (%s) is not supported by this target", name,
                   tsr_op_type_name(op->type));
  for (uint32_t i = 0; i <= op->n_src; ++i) {
    const tsr_tensor *tt = i < op->n_src ? &op->src[i] : &op->dst;
    if (!present(tt)) continue;
    if (tt->buffer == NULL || tt->buffer->target != &t->base || tt->buffer->handle == NULL)
      return VK_FAIL(t, TSR_ERR_INVALID_ARGUMENT, "vulkan: %s: a tensor is not in this target's memory", name);
    if (tsr_vk_tensor_offset(tt) % elem_align(tt->dtype) != 0)
      return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: %s: a %s tensor at a misaligned offset", name,
                     tsr_dtype_name(tt->dtype));
    if (tt->offset + tsr_vk_tensor_span(tt) > tt->buffer->size)
      return VK_FAIL(t, TSR_ERR_INVALID_ARGUMENT, "vulkan: %s: a tensor extends past its buffer", name);
  }
  words w = {p->words, tsr_vk_op_words(op)};
  memset(p->words, 0, sizeof(uint32_t) * w.n);
  p->n_words = w.n;
  p->spec[0] = 64;
  p->spec[1] = p->spec[2] = 1;
  p->groups[0] = p->groups[1] = p->groups[2] = 1;
  for (uint32_t i = 0; i < TSR_VK_MAX_BINDINGS - 1; ++i) p->tensors[i] = NULL;
  switch (op->type) {
    case TSR_OP_MATMUL: return plan_matmul(t, op, p, &w);
    case TSR_OP_RMSNORM:
    case TSR_OP_LAYERNORM: return plan_norm(t, op, p, &w);
    case TSR_OP_SOFTMAX: return plan_softmax(t, op, p, &w);
    case TSR_OP_ROPE: return plan_rope(t, op, p, &w);
    case TSR_OP_ATTENTION: return plan_attention(t, op, p, &w);
    case TSR_OP_UNARY:
    case TSR_OP_BINARY: return plan_elementwise(t, op, p, &w);
    case TSR_OP_GET_ROWS: return plan_get_rows(t, op, p, &w);
    case TSR_OP_SET_ROWS: return plan_set_rows(t, op, p, &w);
    case TSR_OP_CONVERT:
      if (tsr_dtype_is_quantized(op->src[0].dtype) || tsr_dtype_is_quantized(op->dst.dtype))
        return plan_convert_block(t, op, p, &w);
      return plan_elementwise(t, op, p, &w);
    default: return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: %s has no shader", name);
  }
}
