/* Drivers of the fast quantized elementwise ops and QLINEAR_MATMUL, and
 * their portable row functions; see qfast.h. */
#include "qlinear/qfast.h"

#include <string.h>

#include "qlinear/qlinear.h"

#define QE_CHUNK 4096

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static size_t r64(size_t n) { return (n + 63) & ~(size_t)63; }
static bool q8(tsr_dtype t) { return t == TSR_DTYPE_I8 || t == TSR_DTYPE_U8; }

/* Elements per channel run of a per-channel parameter along |axis|. */
static int64_t inner_of(const tsr_tensor *t, int axis) {
  int64_t n = 1;
  for (int d = axis + 1; d < t->ndim; ++d) n *= t->shape[d];
  return n;
}

/* b (dense) broadcasts against y (dense) as y's trailing dimensions (after
 * b's leading ones), so b[i % numel(b)] pairs with y[i]. */
static bool suffix_of(const tsr_tensor *b, const tsr_tensor *y) {
  if (tsr_tensor_numel(b) == 1) return true;
  int first = 0;
  while (first < b->ndim && b->shape[first] == 1) ++first;
  const int nb = b->ndim - first;
  if (nb > y->ndim) return false;
  for (int i = 0; i < nb; ++i) {
    if (b->shape[b->ndim - 1 - i] != y->shape[y->ndim - 1 - i]) return false;
  }
  return true;
}

bool tsr_qeltwise_match(const tsr_op *op) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  if (!tsr_tensor_is_contiguous(x) || !tsr_tensor_is_contiguous(y)) return false;
  switch (op->type) {
    case TSR_OP_QUANTIZE_LINEAR: return true;
    case TSR_OP_DEQUANTIZE_LINEAR: return q8(x->dtype);
    case TSR_OP_QLINEAR_BINARY: {
      const tsr_tensor *b = &op->src[3];
      if (!tsr_tensor_is_contiguous(b)) return false;
      const bool a_full = tsr_tensor_numel(x) == tsr_tensor_numel(y), b_full = tsr_tensor_numel(b) == tsr_tensor_numel(y);
      return (a_full && suffix_of(b, y)) || (b_full && suffix_of(x, y));
    }
    default: return false;
  }
}

int64_t tsr_qeltwise_units(const tsr_op *op) {
  const int64_t n = tsr_tensor_numel(&op->dst);
  return n == 0 ? 1 : cdiv(n, QE_CHUNK);
}

void tsr_qeltwise_run(const tsr_qrow_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const int64_t total = tsr_tensor_numel(&op->dst);
  const int64_t e0 = begin * QE_CHUNK, e1 = end * QE_CHUNK < total ? end * QE_CHUNK : total;
  if (e0 >= e1) return;
  if (op->type == TSR_OP_QLINEAR_BINARY) {
    /* a: the full-size operand, b: the broadcast one (swapped if needed) */
    const bool swap = tsr_tensor_numel(&op->src[0]) != total;
    const int ia = swap ? 3 : 0, ib = swap ? 0 : 3;
    const tsr_tensor *a = &op->src[ia], *b = &op->src[ib];
    const float s[3] = {tsr_q_scale(&op->src[ia + 1], 0), tsr_q_scale(&op->src[ib + 1], 0), tsr_q_scale(&op->src[6], 0)};
    const int32_t z[3] = {tsr_q_zp(op, (uint32_t)ia + 2, 0), tsr_q_zp(op, (uint32_t)ib + 2, 0), tsr_q_zp(op, 7, 0)};
    const int64_t nb = tsr_tensor_numel(b);
    const bool mul = op->p.qop.kind == TSR_BINARY_MUL;
    const uint8_t *ap = a->data, *bp = b->data;
    uint8_t *yp = op->dst.data;
    for (int64_t e = e0; e < e1;) {
      const int64_t n = nb == 1 ? e1 - e : (e1 - e < nb - e % nb ? e1 - e : nb - e % nb);
      isa->binary(ap + e, a->dtype == TSR_DTYPE_I8, nb == 1 ? bp : bp + e % nb, b->dtype == TSR_DTYPE_I8,
                  nb == 1 ? 0 : 1, yp + e, op->dst.dtype == TSR_DTYPE_I8, (size_t)n, s, z, mul);
      e += n;
    }
    return;
  }
  const tsr_tensor *x = &op->src[0], *sc = &op->src[1];
  const bool per = tsr_tensor_numel(sc) != 1;
  const int64_t inner = per ? inner_of(x, op->p.qlinear.axis) : total, ch = per ? x->shape[op->p.qlinear.axis] : 1;
  for (int64_t e = e0; e < e1;) {
    const int64_t c = per ? (e / inner) % ch : 0;
    const int64_t n = e1 - e < inner - e % inner ? e1 - e : inner - e % inner;
    const float scale = tsr_q_scale(sc, c);
    const int32_t zp = tsr_q_zp(op, 2, c);
    if (op->type == TSR_OP_QUANTIZE_LINEAR) {
      isa->quantize((const float *)x->data + e, (uint8_t *)op->dst.data + e, (size_t)n, scale, zp,
                    op->dst.dtype == TSR_DTYPE_I8);
    } else {
      isa->dequantize((const uint8_t *)x->data + e, x->dtype == TSR_DTYPE_I8, (float *)op->dst.data + e, (size_t)n,
                      scale, zp);
    }
    e += n;
  }
}

/* ---- QLINEAR_MATMUL ---- */

static bool is_const(const tsr_op *op, uint32_t i) { return (op->src[i].flags & TSR_TENSOR_FLAG_CONST) != 0; }

bool tsr_qmatmul_match(const tsr_op *op) {
  if (op->type != TSR_OP_QLINEAR_MATMUL || op->src[3].ndim != 2 || !tsr_tensor_is_contiguous(&op->src[0]) ||
      !tsr_tensor_is_contiguous(&op->dst))
    return false;
  for (uint32_t i = 1; i <= 6; ++i) {
    if (!is_const(op, i)) return false;
  }
  return true;
}

typedef struct qmm_dims {
  int64_t rows, m, n, k, n16, kq;
} qmm_dims;

static void qmm_dims_of(const tsr_op *op, qmm_dims *d) {
  const tsr_tensor *a = &op->src[0];
  d->k = a->shape[a->ndim - 1];
  d->m = op->dst.shape[op->dst.ndim - 2];
  d->n = op->dst.shape[op->dst.ndim - 1];
  d->rows = tsr_tensor_numel(&op->dst) / (d->n ? d->n : 1);
  d->n16 = cdiv(d->n, 16);
  d->kq = cdiv(d->k, 4);
}

int64_t tsr_qmatmul_units(const tsr_op *op) {
  qmm_dims d;
  qmm_dims_of(op, &d);
  return d.rows * cdiv(d.n16, 4);
}

size_t tsr_qmatmul_scratch(const tsr_op *op) {
  qmm_dims d;
  qmm_dims_of(op, &d);
  return r64((size_t)d.kq * 4);
}

/* Packed: bp [n16][kq][16][4] s8, corr [N] i32, bzp [N] i32, mult [N] f32. */
size_t tsr_qmatmul_packed_size(const tsr_op *op) {
  qmm_dims d;
  qmm_dims_of(op, &d);
  return r64((size_t)(d.n16 * d.kq * 64)) + 3 * r64((size_t)d.n * 4);
}

void tsr_qmatmul_pack(const tsr_op *op, void *out) {
  qmm_dims d;
  qmm_dims_of(op, &d);
  const tsr_tensor *b = &op->src[3];
  const int32_t flip = b->dtype == TSR_DTYPE_U8 ? -128 : 0;
  const int32_t az = tsr_q_zp(op, 2, 0) + (op->src[0].dtype == TSR_DTYPE_I8 ? 128 : 0);
  int8_t *bp = out;
  int32_t *corr = (int32_t *)((uint8_t *)out + r64((size_t)(d.n16 * d.kq * 64)));
  int32_t *bzp = (int32_t *)((uint8_t *)corr + r64((size_t)d.n * 4));
  float *mult = (float *)((uint8_t *)bzp + r64((size_t)d.n * 4));
  memset(bp, 0, (size_t)(d.n16 * d.kq * 64));
  const float as = tsr_q_scale(&op->src[1], 0), ys = tsr_q_scale(&op->src[6], 0);
  for (int64_t n = 0; n < d.n; ++n) {
    uint32_t colsum = 0;
    for (int64_t k = 0; k < d.k; ++k) {
      const uint8_t *p = (const uint8_t *)b->data + n * b->stride[0] + k * b->stride[1];
      const int32_t v = (b->dtype == TSR_DTYPE_I8 ? (int32_t)(int8_t)*p : (int32_t)*p) + flip;
      bp[(((n / 16) * d.kq + k / 4) * 16 + n % 16) * 4 + k % 4] = (int8_t)v;
      colsum += (uint32_t)v;
    }
    const int32_t bz = tsr_q_zp(op, 5, n) + flip;
    corr[n] = (int32_t)((uint32_t)d.k * (uint32_t)az * (uint32_t)bz - (uint32_t)az * colsum);
    bzp[n] = bz;
    mult[n] = tsr_q_mult(as, tsr_q_scale(&op->src[4], n), ys);
  }
}

void tsr_qmatmul_run(const tsr_qrow_isa *isa, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  qmm_dims d;
  qmm_dims_of(op, &d);
  const int8_t *bp = ctx->packed;
  const int32_t *corr = (const int32_t *)((const uint8_t *)ctx->packed + r64((size_t)(d.n16 * d.kq * 64)));
  const int32_t *bzp = (const int32_t *)((const uint8_t *)corr + r64((size_t)d.n * 4));
  const float *mult = (const float *)((const uint8_t *)bzp + r64((size_t)d.n * 4));
  const tsr_dtype yt = op->dst.dtype;
  const int32_t yz = tsr_q_zp(op, 7, 0);
  const uint8_t flip = op->src[0].dtype == TSR_DTYPE_I8 ? 0x80 : 0;
  const int64_t chunks = cdiv(d.n16, 4);
  uint8_t *au = ctx->scratch;
  int64_t prepared = -1;
  uint32_t rowsum = 0;
  for (int64_t u = begin; u < end; ++u) {
    const int64_t r = u / chunks, c = u % chunks;
    if (r != prepared) {
      const uint8_t *a = (const uint8_t *)op->src[0].data + r * d.k;
      rowsum = 0;
      for (int64_t k = 0; k < d.k; ++k) {
        au[k] = a[k] ^ flip;
        rowsum += au[k];
      }
      memset(au + d.k, 0, (size_t)(d.kq * 4 - d.k));
      prepared = r;
    }
    uint8_t *y = (uint8_t *)op->dst.data + r * d.n;
    for (int64_t nb = c * 4; nb < c * 4 + 4 && nb < d.n16; ++nb) {
      int32_t acc[16];
      isa->dot16(au, bp + nb * d.kq * 64, (size_t)d.kq, acc);
      for (int64_t j = 0; j < 16 && nb * 16 + j < d.n; ++j) {
        const int64_t n = nb * 16 + j;
        const uint32_t v = (uint32_t)acc[j] + (uint32_t)corr[n] - (uint32_t)bzp[n] * rowsum;
        tsr_q_store(yt, y + n, tsr_q_round((float)(int32_t)v * mult[n], yz, yt));
      }
    }
  }
}

/* ---- portable rows ---- */

static void quantize_s(const float *x, uint8_t *y, size_t n, float scale, int32_t zp, bool y_signed) {
  const tsr_dtype t = y_signed ? TSR_DTYPE_I8 : TSR_DTYPE_U8;
  for (size_t i = 0; i < n; ++i) tsr_q_store(t, y + i, tsr_q_round(x[i] / scale, zp, t));
}

static void dequantize_s(const uint8_t *x, bool x_signed, float *y, size_t n, float scale, int32_t zp) {
  for (size_t i = 0; i < n; ++i) y[i] = (float)((x_signed ? (int32_t)(int8_t)x[i] : (int32_t)x[i]) - zp) * scale;
}

static void binary_s(const uint8_t *a, bool a_signed, const uint8_t *b, bool b_signed, size_t b_inc, uint8_t *y,
                     bool y_signed, size_t n, const float *s, const int32_t *z, bool mul) {
  const tsr_dtype t = y_signed ? TSR_DTYPE_I8 : TSR_DTYPE_U8;
  for (size_t i = 0; i < n; ++i) {
    const int32_t av = a_signed ? (int8_t)a[i] : a[i], bv = b_signed ? (int8_t)b[i * b_inc] : b[i * b_inc];
    const float va = s[0] * (float)(av - z[0]), vb = s[1] * (float)(bv - z[1]);
    tsr_q_store(t, y + i, tsr_q_round((mul ? va * vb : va + vb) / s[2], z[2], t));
  }
}

static void dot16_s(const uint8_t *a4, const int8_t *bp, size_t kq, int32_t *acc) {
  uint32_t s[16] = {0};
  for (size_t k = 0; k < kq; ++k) {
    const uint8_t *a = a4 + k * 4;
    const int8_t *b = bp + k * 64;
    for (int j = 0; j < 16; ++j)
      s[j] += (uint32_t)(a[0] * b[j * 4] + a[1] * b[j * 4 + 1] + a[2] * b[j * 4 + 2] + a[3] * b[j * 4 + 3]);
  }
  for (int j = 0; j < 16; ++j) acc[j] = (int32_t)s[j];
}

static const tsr_qrow_isa kScalar = {quantize_s, dequantize_s, binary_s, dot16_s};
TSR_QELTWISE_KERNEL(tsr_quantize_linear_f32_q8_ukernel_u1__scalar, TSR_OP_QUANTIZE_LINEAR, kScalar, 0)
TSR_QELTWISE_KERNEL(tsr_dequantize_linear_q8_f32_ukernel_u1__scalar, TSR_OP_DEQUANTIZE_LINEAR, kScalar, 0)
TSR_QELTWISE_KERNEL(tsr_qlinear_binary_q8_ukernel_u1__scalar, TSR_OP_QLINEAR_BINARY, kScalar, 0)
TSR_QMATMUL_KERNEL(tsr_qlinear_matmul_u8s8_ukernel_1x16__scalar, kScalar, 0)
