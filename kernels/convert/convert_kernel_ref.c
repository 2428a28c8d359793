/* Reference CONVERT op: one unit per row; the row goes through f32. */
#include "common/ref_util.h"

static int64_t convert_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.ndim == 0 ? 1 : tsr_rows(&op->dst);
}

static size_t convert_scratch(const tsr_op *op) {
  const tsr_tensor *t = &op->src[0];
  return (size_t)(t->ndim ? t->shape[t->ndim - 1] : 1) * sizeof(float);
}

static void convert_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const int64_t n = x->ndim ? x->shape[x->ndim - 1] : 1;
  float *row = ctx->scratch;
  for (int64_t r = begin; r < end; ++r) {
    const uint8_t *xr = tsr_cptr(x) + (x->ndim ? tsr_row_offset(x, r) : 0);
    uint8_t *yr = tsr_ptr(y) + (y->ndim ? tsr_row_offset(y, r) : 0);
    if (x->dtype == y->dtype && !tsr_dtype_is_quantized(x->dtype) &&
        (x->dtype == TSR_DTYPE_I32 || x->dtype == TSR_DTYPE_I64)) {
      /* Exact integer copy (f32 would round large values). */
      size_t es = tsr_dtype_block_bytes(x->dtype);
      for (int64_t i = 0; i < n; ++i) memcpy(yr + i * tsr_inner_stride(y), xr + i * tsr_inner_stride(x), es);
      continue;
    }
    tsr_load_f32(x->dtype, xr, tsr_inner_stride(x), row, n);
    tsr_store_f32(y->dtype, row, yr, tsr_inner_stride(y), n);
  }
}

const tsr_kernel tsr_convert_ref = {.name = "tsr_convert_ref", .op = TSR_OP_CONVERT,
                                    .units = convert_units, .scratch = convert_scratch,
                                    .run = convert_run};
