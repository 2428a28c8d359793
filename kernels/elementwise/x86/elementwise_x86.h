/* x86 unary and binary elementwise ops on f32. Fully contiguous tensors are
 * one flat array cut into units of kFlat elements; otherwise one unit per
 * row, with each operand's inner stride 4 bytes or 0 (broadcast).
 * Include after defining VX_W and EX_NAME(x). */
#include <math.h>

#include "common/ref_util.h"
#include "common/x86/vec_x86.h"
#include "elementwise/elementwise.h"

enum { kFlat = 4096 };

static bool EX_NAME(unary_kind_ok)(int k) { return k != TSR_UNARY_GELU_ERF && k != TSR_UNARY_ERF && k >= 0 && k <= TSR_UNARY_SCALE; }

VX_INLINE vx_f EX_NAME(unary1)(int kind, vx_f x, float alpha, float beta) {
  const vx_f one = vx_set(1.0f), zero = vx_zero();
  switch (kind) {
    case TSR_UNARY_SILU: return vx_silu(x);
    case TSR_UNARY_GELU_TANH: {
      vx_f u = vx_mul(vx_set(0.7978845608028654f), vx_fma(vx_mul(vx_set(0.044715f), x), vx_mul(x, x), x));
      return vx_mul(vx_mul(vx_set(0.5f), x), vx_add(one, vx_tanh(u)));
    }
    case TSR_UNARY_RELU: return vx_max(x, zero);
    case TSR_UNARY_LEAKY_RELU: return vx_select_lt(x, zero, vx_mul(x, vx_set(alpha)), x);
    case TSR_UNARY_SIGMOID: return vx_div(one, vx_add(one, vx_exp(vx_sub(zero, x))));
    case TSR_UNARY_HARD_SIGMOID: return vx_max(zero, vx_min(one, vx_fma(vx_set(alpha), x, vx_set(beta))));
    case TSR_UNARY_HARD_SWISH:
      return vx_mul(x, vx_max(zero, vx_min(one, vx_fma(x, vx_set(1.0f / 6.0f), vx_set(0.5f)))));
    case TSR_UNARY_TANH: return vx_tanh(x);
    case TSR_UNARY_SQRT:
#if VX_W == 16
      return _mm512_sqrt_ps(x);
#else
      return _mm256_sqrt_ps(x);
#endif
    case TSR_UNARY_EXP: return vx_exp(x);
    case TSR_UNARY_NEG: return vx_sub(zero, x);
    case TSR_UNARY_ABS: return vx_andnot(vx_set(-0.0f), x);
    case TSR_UNARY_CLIP: return vx_min(vx_max(x, vx_set(alpha)), vx_set(beta));
    case TSR_UNARY_SCALE: return vx_fma(vx_set(alpha), x, vx_set(beta));
    default: return x;
  }
}

VX_INLINE vx_f EX_NAME(binary1)(int kind, vx_f a, vx_f b) {
  switch (kind) {
    case TSR_BINARY_ADD: return vx_add(a, b);
    case TSR_BINARY_SUB: return vx_sub(a, b);
    case TSR_BINARY_MUL: return vx_mul(a, b);
    case TSR_BINARY_DIV: return vx_div(a, b);
    case TSR_BINARY_MAX: return vx_max(a, b);
    case TSR_BINARY_MIN: return vx_min(a, b);
    case TSR_BINARY_PRELU: return vx_select_lt(a, vx_zero(), vx_mul(a, b), a);
    case TSR_BINARY_SWIGLU: return vx_mul(vx_silu(a), b);
    default: return a;
  }
}

static bool EX_NAME(flat)(const tsr_op *op) {
  if (!tsr_tensor_is_contiguous(&op->dst)) return false;
  for (uint32_t i = 0; i < op->n_src; ++i) {
    if (!tsr_tensor_is_contiguous(&op->src[i]) || !tsr_tensor_same_shape(&op->src[i], &op->dst)) return false;
  }
  return true;
}

static int64_t EX_NAME(units)(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  if (EX_NAME(flat)(op)) return (tsr_tensor_numel(&op->dst) + kFlat - 1) / kFlat;
  return op->dst.ndim == 0 ? 1 : tsr_rows(&op->dst);
}

static bool EX_NAME(unary_match)(const tsr_op *op) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  if (x->dtype != TSR_DTYPE_F32 || y->dtype != TSR_DTYPE_F32 || !EX_NAME(unary_kind_ok)(op->p.unary.kind)) return false;
  return EX_NAME(flat)(op) || (x->ndim >= 1 && tsr_inner_stride(x) == 4 && tsr_inner_stride(y) == 4);
}

static int64_t EX_NAME(inner)(const tsr_tensor *t) {
  if (t->ndim == 0 || t->shape[t->ndim - 1] == 1) return 0;
  return t->stride[t->ndim - 1];
}

static bool EX_NAME(binary_match)(const tsr_op *op) {
  const tsr_tensor *a = &op->src[0], *b = &op->src[1], *y = &op->dst;
  if (a->dtype != TSR_DTYPE_F32 || b->dtype != TSR_DTYPE_F32 || y->dtype != TSR_DTYPE_F32) return false;
  if (op->p.binary.kind == TSR_BINARY_POW || op->p.binary.kind < 0 || op->p.binary.kind > TSR_BINARY_SWIGLU) return false;
  if (EX_NAME(flat)(op)) return true;
  if (y->ndim == 0 || tsr_inner_stride(y) != 4) return false;
  int64_t ia = EX_NAME(inner)(a), ib = EX_NAME(inner)(b);
  return (ia == 0 || ia == 4) && (ib == 0 || ib == 4);
}

/* y[i] = f(x[i]) over n elements */
static void EX_NAME(unary_span)(const tsr_unary_params *p, const float *x, float *y, int64_t n) {
  int64_t i = 0;
  for (; i + VX_W <= n; i += VX_W) vx_store(y + i, EX_NAME(unary1)(p->kind, vx_load(x + i), p->alpha, p->beta));
  if (i < n) vx_store_n(y + i, EX_NAME(unary1)(p->kind, vx_load_n(x + i, (int)(n - i)), p->alpha, p->beta), (int)(n - i));
}

static void EX_NAME(unary_run)(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  if (EX_NAME(flat)(op)) {
    const int64_t total = tsr_tensor_numel(y);
    for (int64_t u = begin; u < end; ++u) {
      int64_t lo = u * kFlat, n = total - lo < kFlat ? total - lo : kFlat;
      EX_NAME(unary_span)(&op->p.unary, (const float *)x->data + lo, (float *)y->data + lo, n);
    }
    return;
  }
  const int64_t n = y->shape[y->ndim - 1];
  for (int64_t r = begin; r < end; ++r) {
    EX_NAME(unary_span)(&op->p.unary, (const float *)(const void *)(tsr_cptr(x) + tsr_row_offset(x, r)),
                        (float *)(void *)(tsr_ptr(y) + tsr_row_offset(y, r)), n);
  }
}

/* y[i] = f(a[i*sa], b[i*sb]) with sa, sb in {0, 1} */
static void EX_NAME(binary_span)(int kind, const float *a, int sa, const float *b, int sb, float *y, int64_t n) {
  int64_t i = 0;
  const vx_f a0 = vx_set(a[0]), b0 = vx_set(b[0]);
  for (; i + VX_W <= n; i += VX_W) {
    vx_f va = sa ? vx_load(a + i) : a0, vb = sb ? vx_load(b + i) : b0;
    vx_store(y + i, EX_NAME(binary1)(kind, va, vb));
  }
  if (i < n) {
    int r = (int)(n - i);
    vx_f va = sa ? vx_load_n(a + i, r) : a0, vb = sb ? vx_load_n(b + i, r) : b0;
    vx_store_n(y + i, EX_NAME(binary1)(kind, va, vb), r);
  }
}

static void EX_NAME(binary_run)(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *a = &op->src[0], *b = &op->src[1], *y = &op->dst;
  const int kind = op->p.binary.kind;
  if (EX_NAME(flat)(op)) {
    const int64_t total = tsr_tensor_numel(y);
    for (int64_t u = begin; u < end; ++u) {
      int64_t lo = u * kFlat, n = total - lo < kFlat ? total - lo : kFlat;
      EX_NAME(binary_span)(kind, (const float *)a->data + lo, 1, (const float *)b->data + lo, 1, (float *)y->data + lo, n);
    }
    return;
  }
  const int64_t n = y->shape[y->ndim - 1];
  const int sa = EX_NAME(inner)(a) != 0, sb = EX_NAME(inner)(b) != 0;
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *ar = tsr_cptr(a) + (a->ndim > 0 ? tsr_ref_bcast_offset(a, y, 1, r) : 0);
    const uint8_t *br = tsr_cptr(b) + (b->ndim > 0 ? tsr_ref_bcast_offset(b, y, 1, r) : 0);
    EX_NAME(binary_span)(kind, (const float *)(const void *)ar, sa, (const float *)(const void *)br, sb,
                         (float *)(void *)(tsr_ptr(y) + tsr_row_offset(y, r)), n);
  }
}
