/* Reference GATHER_ELEMENTS, GATHER_ND and SCATTER_ND, element by element
 * (any strides). GatherElements: one unit per row of y; GatherND: one unit
 * per index tuple; ScatterND: one unit (copies data, then writes the
 * updates in order, so that the last of repeated tuples wins). */
#include <string.h>

#include "gather/gather.h"

static int64_t load_index(const tsr_tensor *ix, int64_t off) {
  if (ix->dtype == TSR_DTYPE_I64) {
    int64_t v;
    memcpy(&v, tsr_cptr(ix) + off, 8);
    return v;
  }
  int32_t v;
  memcpy(&v, tsr_cptr(ix) + off, 4);
  return v;
}

/* Byte offset in |t| of flat index |i| over its first |nd| dims (of shape |s|). */
static int64_t offset_of(const tsr_tensor *t, const int64_t *s, int nd, int first, int64_t i) {
  int64_t off = 0;
  for (int d = nd - 1; d >= 0; --d) {
    off += (i % s[d]) * t->stride[first + d];
    i /= s[d];
  }
  return off;
}

static int64_t ge_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  const tsr_tensor *y = &op->dst;
  return tsr_tensor_numel(y) / y->shape[y->ndim - 1];
}

static void ge_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *ix = &op->src[1], *y = &op->dst;
  const int nd = y->ndim, axis = op->p.gather.axis;
  const size_t es = tsr_dtype_block_bytes(x->dtype);
  const int64_t len = x->shape[axis], n = y->shape[nd - 1];
  for (int64_t r = begin; r < end; ++r) {
    for (int64_t j = 0; j < n; ++j) {
      int64_t q = r * n + j, xo = 0, io = 0, yo = 0, idx = 0;
      int64_t pos[TSR_MAX_DIMS];
      for (int d = nd - 1; d >= 0; --d) {
        pos[d] = q % y->shape[d];
        q /= y->shape[d];
        io += pos[d] * ix->stride[d];
        yo += pos[d] * y->stride[d];
      }
      idx = load_index(ix, io);
      if (idx < 0) idx += len;
      uint8_t *dst = tsr_ptr(y) + yo;
      if (idx < 0 || idx >= len) {
        memset(dst, 0, es);
        continue;
      }
      for (int d = 0; d < nd; ++d) xo += (d == axis ? idx : pos[d]) * x->stride[d];
      memcpy(dst, tsr_cptr(x) + xo, es);
    }
  }
}

/* Byte offset in x of tuple |t| (indices row at |io|), or -1 if outside. */
static int64_t tuple_offset(const tsr_tensor *x, const tsr_tensor *ix, int64_t io, int64_t m) {
  int64_t off = 0;
  for (int64_t k = 0; k < m; ++k) {
    int64_t v = load_index(ix, io + k * ix->stride[ix->ndim - 1]);
    if (v < 0) v += x->shape[k];
    if (v < 0 || v >= x->shape[k]) return -1;
    off += v * x->stride[k];
  }
  return off;
}

static int64_t gnd_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  const tsr_tensor *ix = &op->src[1];
  return tsr_tensor_numel(ix) / ix->shape[ix->ndim - 1];
}

/* Copies the slab x.shape[m:] at |xo| (or zeros) to |u| from dimension |first|. */
static void copy_slab(const tsr_tensor *x, int64_t xo, int64_t m, const tsr_tensor *u, int64_t uo, int first,
                      bool to_x) {
  const size_t es = tsr_dtype_block_bytes(x->dtype);
  const int rest = x->ndim - (int)m;
  int64_t slab = 1;
  for (int d = 0; d < rest; ++d) slab *= x->shape[m + d];
  for (int64_t e = 0; e < slab; ++e) {
    const int64_t xe = offset_of(x, x->shape + m, rest, (int)m, e), ue = offset_of(u, u->shape + first, rest, first, e);
    if (to_x) memcpy((uint8_t *)x->data + xo + xe, tsr_cptr(u) + uo + ue, es);
    else if (xo < 0) memset(tsr_ptr(u) + uo + ue, 0, es);
    else memcpy(tsr_ptr(u) + uo + ue, tsr_cptr(x) + xo + xe, es);
  }
}

static void gnd_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *ix = &op->src[1], *y = &op->dst;
  const int q = ix->ndim - 1;
  const int64_t m = ix->shape[q];
  for (int64_t t = begin; t < end; ++t) {
    const int64_t io = offset_of(ix, ix->shape, q, 0, t), yo = offset_of(y, ix->shape, q, 0, t);
    copy_slab(x, tuple_offset(x, ix, io, m), m, y, yo, q, false);
  }
}

static int64_t snd_units(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)op;
  (void)dyn;
  return 1;
}

static void snd_run(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *x = &op->src[0], *ix = &op->src[1], *u = &op->src[2], *y = &op->dst;
  if (begin >= end) return;
  const size_t es = tsr_dtype_block_bytes(x->dtype);
  const int64_t total = tsr_tensor_numel(x);
  for (int64_t e = 0; e < total; ++e) {
    memcpy(tsr_ptr(y) + offset_of(y, y->shape, y->ndim, 0, e), tsr_cptr(x) + offset_of(x, x->shape, x->ndim, 0, e),
           es);
  }
  const int q = ix->ndim - 1;
  const int64_t m = ix->shape[q], tuples = tsr_tensor_numel(ix) / m;
  for (int64_t t = 0; t < tuples; ++t) {
    const int64_t io = offset_of(ix, ix->shape, q, 0, t), uo = offset_of(u, ix->shape, q, 0, t);
    const int64_t yo = tuple_offset(y, ix, io, m);
    if (yo >= 0) copy_slab(y, yo, m, u, uo, q, true);
  }
}

const tsr_kernel tsr_gather_elements_ref = {
    .name = "tsr_gather_elements_ref", .op = TSR_OP_GATHER_ELEMENTS, .units = ge_units, .run = ge_run};
const tsr_kernel tsr_gather_nd_ref = {
    .name = "tsr_gather_nd_ref", .op = TSR_OP_GATHER_ND, .units = gnd_units, .run = gnd_run};
const tsr_kernel tsr_scatter_nd_ref = {
    .name = "tsr_scatter_nd_ref", .op = TSR_OP_SCATTER_ND, .units = snd_units, .run = snd_run};
