/* The float-matmul driver shared by every ISA (see gemm.h). */
#include "matmul/gemm.h"

#include <string.h>

#include "common/ref_util.h"
#include "hal/fp16.h"

enum { kRowsPerUnit = 64 };

static int64_t k_of(const tsr_op *op) { return op->src[0].shape[op->src[0].ndim - 1]; }
static int64_t m_of(const tsr_op *op) { return op->dst.shape[op->dst.ndim - 2]; }
static int64_t n_of(const tsr_op *op) { return op->dst.shape[op->dst.ndim - 1]; }
static int64_t groups_of(const tsr_gemm_desc *d, const tsr_op *op) { return (n_of(op) + d->nr - 1) / d->nr; }

/* Constant b with no batch: packed once at load time. */
static bool load_time_pack(const tsr_op *op) {
  const tsr_tensor *b = &op->src[1];
  if (!(b->flags & TSR_TENSOR_FLAG_CONST)) return false;
  for (int i = 0; i < b->ndim - 2; ++i) {
    if (b->shape[i] != 1) return false;
  }
  return true;
}

bool tsr_gemm_match(const tsr_gemm_desc *d, const tsr_op *op) {
  (void)d;
  const tsr_tensor *a = &op->src[0], *b = &op->src[1], *y = &op->dst;
  if (op->type != TSR_OP_MATMUL || op->n_src < 2) return false;
  if (a->dtype != TSR_DTYPE_F32 || y->dtype != TSR_DTYPE_F32) return false;
  if (b->dtype != TSR_DTYPE_F32 && b->dtype != TSR_DTYPE_F16 && b->dtype != TSR_DTYPE_BF16) return false;
  if (tsr_op_has_src(op, 3) || tsr_op_has_src(op, 4)) return false;
  if (a->ndim < 2 || b->ndim < 2 || tsr_inner_stride(a) != 4 || tsr_inner_stride(y) != 4) return false;
  if (tsr_op_has_src(op, 2)) {
    const tsr_tensor *bias = &op->src[2];
    if (bias->dtype != TSR_DTYPE_F32 || bias->ndim != 1 || bias->stride[0] != 4) return false;
  }
  return true;
}

int64_t tsr_gemm_units(const tsr_gemm_desc *d, const tsr_op *op) {
  return tsr_ref_batch(&op->dst, 2) * groups_of(d, op) * ((m_of(op) + kRowsPerUnit - 1) / kRowsPerUnit);
}

size_t tsr_gemm_scratch(const tsr_gemm_desc *d, const tsr_op *op) {
  (void)d;
  (void)op;
  return 0;
}

/* Batches of b (its own leading dimensions; 1 when b broadcasts over y's). */
static int64_t b_batches(const tsr_op *op) { return tsr_ref_batch(&op->src[1], 2); }

/* Index among b's own batches of the b that y's batch |bi| reads. */
static int64_t b_batch_of(const tsr_op *op, int64_t bi) {
  const tsr_tensor *b = &op->src[1], *y = &op->dst;
  const int nb = y->ndim - 2, tb = b->ndim - 2;
  int64_t idx = 0, mult = 1;
  for (int i = nb - 1; i >= 0; --i) {
    const int64_t e = y->shape[i], at = bi % e;
    bi /= e;
    const int ti = i - (nb - tb);
    if (ti < 0) continue;
    if (b->shape[ti] != 1) idx += at * mult;
    mult *= b->shape[ti];
  }
  return idx;
}

static bool packs_f16(const tsr_op *op) { return op->src[1].dtype == TSR_DTYPE_F16 && load_time_pack(op); }

static size_t group_bytes(const tsr_gemm_desc *d, const tsr_op *op) {
  return (size_t)d->nr * (size_t)k_of(op) * (packs_f16(op) ? 2 : 4);
}

size_t tsr_gemm_packed_size(const tsr_gemm_desc *d, const tsr_op *op) {
  return load_time_pack(op) ? (size_t)groups_of(d, op) * group_bytes(d, op) : 0;
}

/* Packs columns n0 .. n0+nv-1 of the b matrix at |base| into F(nr): k
 * outer, so that reads walk nv rows side by side (or, for a transposed b,
 * one contiguous run) and writes are sequential. */
static void pack_group(const tsr_tensor *b, const uint8_t *base, int64_t n0, int64_t nv, int32_t nr, int64_t k,
                       bool as_f16, void *out) {
  const int64_t rs = b->stride[b->ndim - 2], cs = b->stride[b->ndim - 1];
  const uint8_t *first = base + n0 * rs;
  if (as_f16) {
    uint16_t *oh = out;
    for (int64_t i = 0; i < k; ++i, oh += nr) {
      const uint8_t *p = first + i * cs;
      for (int64_t j = 0; j < nv; ++j) memcpy(&oh[j], p + j * rs, 2);
      for (int64_t j = nv; j < nr; ++j) oh[j] = 0;
    }
    return;
  }
  float *of = out;
  for (int64_t i = 0; i < k; ++i, of += nr) {
    const uint8_t *p = first + i * cs;
    if (b->dtype == TSR_DTYPE_F32) {
      for (int64_t j = 0; j < nv; ++j) memcpy(&of[j], p + j * rs, 4);
    } else {
      const bool h16 = b->dtype == TSR_DTYPE_F16;
      for (int64_t j = 0; j < nv; ++j) {
        uint16_t h;
        memcpy(&h, p + j * rs, 2);
        of[j] = h16 ? tsr_fp16_to_f32(h) : tsr_bf16_to_f32(h);
      }
    }
    for (int64_t j = nv; j < nr; ++j) of[j] = 0.0f;
  }
}

/* A b that is not packed at load time is packed once per run, by the
 * pre-pass, into the op's shared scratch: one F(nr) group per (batch of b,
 * column group), read by every unit that uses it. */
size_t tsr_gemm_shared_scratch(const tsr_gemm_desc *d, const tsr_op *op) {
  return load_time_pack(op) ? 0 : (size_t)b_batches(op) * (size_t)groups_of(d, op) * group_bytes(d, op);
}

int64_t tsr_gemm_pre_units(const tsr_gemm_desc *d, const tsr_op *op) {
  return load_time_pack(op) ? 0 : b_batches(op) * groups_of(d, op);
}

void tsr_gemm_pre(const tsr_gemm_desc *d, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *b = &op->src[1];
  const int64_t n = n_of(op), ng = groups_of(d, op), k = k_of(op);
  const size_t gb = group_bytes(d, op);
  for (int64_t u = begin; u < end; ++u) {
    const int64_t pb = u / ng, g = u % ng, n0 = g * d->nr, nv = n - n0 < d->nr ? n - n0 : d->nr;
    pack_group(b, tsr_cptr(b) + tsr_ref_bcast_offset(b, b, 2, pb), n0, nv, d->nr, k, false,
               (uint8_t *)ctx->shared + (size_t)u * gb);
  }
}

void tsr_gemm_pack(const tsr_gemm_desc *d, const tsr_op *op, void *out) {
  if (!load_time_pack(op)) return;
  const int64_t n = n_of(op), gb = (int64_t)group_bytes(d, op);
  for (int64_t g = 0; g < groups_of(d, op); ++g) {
    int64_t n0 = g * d->nr, nv = n - n0 < d->nr ? n - n0 : d->nr;
    pack_group(&op->src[1], tsr_cptr(&op->src[1]), n0, nv, d->nr, k_of(op), packs_f16(op),
               (uint8_t *)out + g * gb);
  }
}

void tsr_gemm_run(const tsr_gemm_desc *d, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *a = &op->src[0], *y = &op->dst;
  const int64_t k = k_of(op), m_count = m_of(op), n = n_of(op), ng = groups_of(d, op), nr = d->nr;
  const int64_t nmc = (m_count + kRowsPerUnit - 1) / kRowsPerUnit;
  const bool pre = load_time_pack(op), f16 = packs_f16(op);
  const size_t gb = group_bytes(d, op);
  const float alpha = op->p.matmul.alpha != 0.0f ? op->p.matmul.alpha : 1.0f;
  const float *bias = tsr_op_has_src(op, 2) ? (const float *)op->src[2].data : NULL;
  const int64_t ars = a->stride[a->ndim - 2], yrs = y->stride[y->ndim - 2];
  _Alignas(64) float tile[TSR_GEMM_MAX_MR * TSR_GEMM_MAX_NR];
  const float *rows[TSR_GEMM_MAX_MR];
  for (int64_t u = begin; u < end; ++u) {
    const int64_t bi = u / (ng * nmc), rem = u % (ng * nmc), mc = rem / ng, g = rem % ng;
    const int64_t n0 = g * nr, nv = n - n0 < nr ? n - n0 : nr;
    const void *w = pre ? (const uint8_t *)ctx->packed + (size_t)g * gb
                        : (const uint8_t *)ctx->shared + (size_t)(b_batch_of(op, bi) * ng + g) * gb;
    const uint8_t *ab = tsr_cptr(a) + tsr_ref_bcast_offset(a, y, 2, bi);
    uint8_t *yb = tsr_ptr(y) + tsr_ref_bcast_offset(y, y, 2, bi);
    const int64_t m_end = (mc + 1) * kRowsPerUnit < m_count ? (mc + 1) * kRowsPerUnit : m_count;
    const tsr_gemm_ukernel_out_fn out_fn = f16 ? d->f16_out : d->f32_out;
    for (int64_t m = mc * kRowsPerUnit; m < m_end; m += d->mr) {
      const int64_t mr = m_end - m < d->mr ? m_end - m : d->mr;
      for (int64_t i = 0; i < mr; ++i) rows[i] = (const float *)(const void *)(ab + (m + i) * ars);
      if (out_fn != NULL) {
        const tsr_gemm_out o = {(float *)(void *)(yb + m * yrs) + n0, yrs, nv, alpha, bias ? bias + n0 : NULL};
        out_fn(mr, k, w, rows, &o);
        continue;
      }
      (f16 ? d->f16 : d->f32)(mr, k, w, rows, tile);
      for (int64_t i = 0; i < mr; ++i) {
        float *yr = (float *)(void *)(yb + (m + i) * yrs) + n0;
        const float *t = tile + i * nr;
        if (bias) {
          for (int64_t j = 0; j < nv; ++j) yr[j] = t[j] * alpha + bias[n0 + j];
        } else if (alpha != 1.0f) {
          for (int64_t j = 0; j < nv; ++j) yr[j] = t[j] * alpha;
        } else {
          memcpy(yr, t, (size_t)nv * sizeof(float));
        }
      }
    }
  }
}
