/* Reference unary and binary elementwise ops: one unit per row of y, every
 * function evaluated in double. */
#include <math.h>

#include "common/ref_util.h"
#include "elementwise/elementwise.h"

/* log(1 + exp(x)) without overflow for large x. */
static double softplus(double x) { return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* Nearest integer, halves to even, whatever the FPU rounding mode. */
static double round_even(double x) {
  double f = floor(x), d = x - f;
  if (d > 0.5 || (d == 0.5 && fmod(f, 2.0) != 0.0)) f += 1.0;
  return f;
}

double tsr_unary_eval(int kind, double x, double alpha, double beta) {
  switch (kind) {
    case TSR_UNARY_SILU: return x / (1.0 + exp(-x));
    case TSR_UNARY_GELU_TANH:
      return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case TSR_UNARY_GELU_ERF: return 0.5 * x * (1.0 + erf(x * 0.7071067811865476));
    case TSR_UNARY_RELU: return x > 0.0 ? x : 0.0;
    case TSR_UNARY_LEAKY_RELU: return x < 0.0 ? alpha * x : x;
    case TSR_UNARY_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case TSR_UNARY_HARD_SIGMOID: return fmax(0.0, fmin(1.0, alpha * x + beta));
    case TSR_UNARY_HARD_SWISH: return x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5));
    case TSR_UNARY_TANH: return tanh(x);
    case TSR_UNARY_ERF: return erf(x);
    case TSR_UNARY_SQRT: return sqrt(x);
    case TSR_UNARY_EXP: return exp(x);
    case TSR_UNARY_NEG: return -x;
    case TSR_UNARY_ABS: return fabs(x);
    case TSR_UNARY_CLIP: return fmin(fmax(x, alpha), beta);
    case TSR_UNARY_SCALE: return alpha * x + beta;
    case TSR_UNARY_SOFTPLUS: return softplus(x);
    case TSR_UNARY_LOG: return log(x);
    case TSR_UNARY_SIN: return sin(x);
    case TSR_UNARY_COS: return cos(x);
    case TSR_UNARY_MISH: return x * tanh(softplus(x));
    case TSR_UNARY_ELU: return x < 0.0 ? alpha * (exp(x) - 1.0) : x;
    case TSR_UNARY_SELU: return beta * (x <= 0.0 ? alpha * (exp(x) - 1.0) : x);
    case TSR_UNARY_ROUND: return round_even(x);
    case TSR_UNARY_FLOOR: return floor(x);
    case TSR_UNARY_CEIL: return ceil(x);
    case TSR_UNARY_RECIPROCAL: return 1.0 / x;
    case TSR_UNARY_NOT: return x == 0.0 ? 1.0 : 0.0;
    default: return 0.0;
  }
}

double tsr_binary_eval(int kind, double a, double b) {
  switch (kind) {
    case TSR_BINARY_ADD: return a + b;
    case TSR_BINARY_SUB: return a - b;
    case TSR_BINARY_MUL: return a * b;
    case TSR_BINARY_DIV: return a / b;
    case TSR_BINARY_POW: return pow(a, b);
    case TSR_BINARY_MAX: return fmax(a, b);
    case TSR_BINARY_MIN: return fmin(a, b);
    case TSR_BINARY_PRELU: return a < 0.0 ? a * b : a;
    case TSR_BINARY_SWIGLU: return a / (1.0 + exp(-a)) * b;
    case TSR_BINARY_FMOD: return fmod(a, b);
    case TSR_BINARY_EQUAL: return a == b ? 1.0 : 0.0;
    case TSR_BINARY_GREATER: return a > b ? 1.0 : 0.0;
    case TSR_BINARY_LESS: return a < b ? 1.0 : 0.0;
    case TSR_BINARY_GREATER_EQUAL: return a >= b ? 1.0 : 0.0;
    case TSR_BINARY_LESS_EQUAL: return a <= b ? 1.0 : 0.0;
    case TSR_BINARY_AND: return (a != 0.0 && b != 0.0) ? 1.0 : 0.0;
    case TSR_BINARY_OR: return (a != 0.0 || b != 0.0) ? 1.0 : 0.0;
    case TSR_BINARY_XOR: return ((a != 0.0) != (b != 0.0)) ? 1.0 : 0.0;
    case TSR_BINARY_SELECT: return b != 0.0 ? a : 0.0;
    case TSR_BINARY_SELECT_NOT: return b == 0.0 ? a : 0.0;
    default: return 0.0;
  }
}

static int64_t rows_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.ndim == 0 ? 1 : tsr_rows(&op->dst);
}

static void unary_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const tsr_unary_params *p = &op->p.unary;
  const int64_t n = y->ndim ? y->shape[y->ndim - 1] : 1;
  const int64_t xs = tsr_inner_stride(x), ys = tsr_inner_stride(y);
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *xr = tsr_cptr(x) + (x->ndim ? tsr_row_offset(x, r) : 0);
    uint8_t *yr = tsr_ptr(y) + (y->ndim ? tsr_row_offset(y, r) : 0);
    for (int64_t i = 0; i < n; ++i) {
      tsr_ref_st(yr + i * ys, (float)tsr_unary_eval(p->kind, tsr_ref_ld(xr + i * xs), p->alpha, p->beta));
    }
  }
}

/* Inner-dimension stride of |t| broadcast against |y|. */
static int64_t bcast_inner(const tsr_tensor *t, const tsr_tensor *y) {
  if (t->ndim == 0 || y->ndim == 0 || t->shape[t->ndim - 1] == 1) return 0;
  return t->stride[t->ndim - 1];
}

static void binary_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *a = &op->src[0], *b = &op->src[1], *y = &op->dst;
  const int64_t n = y->ndim ? y->shape[y->ndim - 1] : 1;
  const int64_t as = bcast_inner(a, y), bs = bcast_inner(b, y), ys = tsr_inner_stride(y);
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *ar = tsr_cptr(a), *br = tsr_cptr(b);
    uint8_t *yr = tsr_ptr(y);
    if (y->ndim > 0) {
      /* The row index is a batch index over y's leading dims. */
      ar += a->ndim > 0 ? tsr_ref_bcast_offset(a, y, 1, r) : 0;
      br += b->ndim > 0 ? tsr_ref_bcast_offset(b, y, 1, r) : 0;
      yr += tsr_row_offset(y, r);
    }
    for (int64_t i = 0; i < n; ++i) {
      double v = tsr_binary_eval(op->p.binary.kind, tsr_ref_ld(ar + i * as), tsr_ref_ld(br + i * bs));
      tsr_ref_st(yr + i * ys, (float)v);
    }
  }
}

const tsr_kernel tsr_unary_ref = {
    .name = "tsr_unary_ref", .op = TSR_OP_UNARY, .units = rows_units, .run = unary_run};
const tsr_kernel tsr_binary_ref = {
    .name = "tsr_binary_ref", .op = TSR_OP_BINARY, .units = rows_units, .run = binary_run};
