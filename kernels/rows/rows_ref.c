/* Reference GET_ROWS and SET_ROWS: one unit per row t. */
#include "common/ref_util.h"
#include "rows/rows.h"

static int64_t t_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->src[op->type == TSR_OP_GET_ROWS ? 1 : 0].shape[0];
}

static size_t row_scratch(const tsr_op *op) {
  const tsr_tensor *t = &op->src[0];
  return (size_t)t->shape[t->ndim - 1] * sizeof(float);
}

static void get_rows_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *tab = &op->src[0], *ids = &op->src[1], *y = &op->dst;
  const int64_t d = tab->shape[1], v = tab->shape[0];
  float *row = ctx->scratch;
  for (int64_t t = begin; t < end; ++t) {
    const uint8_t *ip = tsr_cptr(ids) + t * ids->stride[0];
    int64_t id;
    if (ids->dtype == TSR_DTYPE_I32) {
      int32_t v32;
      memcpy(&v32, ip, 4);
      id = v32;
    } else {
      memcpy(&id, ip, 8);
    }
    if (id < 0 || id >= v) {
      for (int64_t i = 0; i < d; ++i) row[i] = 0.0f;
    } else {
      tsr_load_f32(tab->dtype, tsr_cptr(tab) + id * tab->stride[0], tsr_inner_stride(tab), row, d);
    }
    tsr_store_f32(TSR_DTYPE_F32, row, tsr_ptr(y) + t * y->stride[0], tsr_inner_stride(y), d);
  }
}

static void set_rows_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *s = &op->src[0], *d = &op->dst;
  const int64_t pos = tsr_dyn_eval(op->p.set_rows.pos, ctx->dyn);
  const int64_t n = s->shape[s->ndim - 1], sub = tsr_rows(s) / (s->shape[0] ? s->shape[0] : 1);
  float *row = ctx->scratch;
  for (int64_t t = begin; t < end; ++t) {
    int64_t dr = pos + t;
    if (dr < 0 || dr >= d->shape[0]) continue;
    for (int64_t j = 0; j < sub; ++j) {
      tsr_load_f32(s->dtype, tsr_cptr(s) + tsr_row_offset(s, t * sub + j), tsr_inner_stride(s), row, n);
      tsr_store_f32(d->dtype, row, tsr_ptr(d) + tsr_row_offset(d, dr * sub + j), tsr_inner_stride(d), n);
    }
  }
}

const tsr_kernel tsr_get_rows_ref = {.name = "tsr_get_rows_ref", .op = TSR_OP_GET_ROWS,
                                     .units = t_units, .scratch = row_scratch, .run = get_rows_run};
const tsr_kernel tsr_set_rows_ref = {.name = "tsr_set_rows_ref", .op = TSR_OP_SET_ROWS,
                                     .units = t_units, .scratch = row_scratch, .run = set_rows_run};
