/* The quantized-matmul driver shared by every ISA (see qmm.h): activation
 * records, P(nr) weight packing and the unit loop around a variant's ukernel. */
#include "matmul/qmm.h"

#include <math.h>
#include <string.h>

#include "convert/convert.h"
#include "hal/fp16.h"

/* Rows of a handled by one unit: a chunk of activation rows stays in L2
 * while the unit streams one weight group. */
enum { kRowsPerUnit = 64 };

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* ---- activation records ---- */

size_t tsr_qmm_act_bytes(int64_t k) {
  size_t nb = (size_t)k / 32;
  return align64((size_t)k) + align64(nb * sizeof(float)) + align64(nb * sizeof(int32_t)) +
         align64(2 * nb * sizeof(int32_t)) + 2 * align64(nb * sizeof(int32_t));
}

tsr_qmm_act tsr_qmm_act_view(const void *rec, int64_t k) {
  size_t nb = (size_t)k / 32;
  const uint8_t *p = rec;
  tsr_qmm_act a;
  a.qs = (const int8_t *)p;
  p += align64((size_t)k);
  a.d = (const float *)(const void *)p;
  p += align64(nb * sizeof(float));
  a.s = (const int32_t *)(const void *)p;
  p += align64(nb * sizeof(int32_t));
  a.s16 = (const int32_t *)(const void *)p;
  p += align64(2 * nb * sizeof(int32_t));
  a.n128 = (const int32_t *)(const void *)p;
  p += align64(nb * sizeof(int32_t));
  a.n136 = (const int32_t *)(const void *)p;
  return a;
}

void tsr_qmm_quant_row_scalar(const float *x, int64_t k, void *rec) {
  tsr_qmm_act a = tsr_qmm_act_view(rec, k);
  int8_t *qs = (int8_t *)a.qs;
  for (int64_t j = 0; j < k / 32; ++j) {
    const float *xb = x + 32 * j;
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = fmaxf(amax, fabsf(xb[i]));
    float dj = amax / 127.0f, id = dj != 0.0f ? 1.0f / dj : 0.0f;
    int32_t lo = 0, hi = 0;
    for (int i = 0; i < 32; ++i) {
      int32_t q = (int32_t)nearbyintf(xb[i] * id);
      qs[32 * j + i] = (int8_t)q;
      if (i < 16) lo += q;
      else hi += q;
    }
    tsr_qmm_act_set_block(&a, j, tsr_fp16_to_f32(tsr_f32_to_fp16(dj)), lo, hi); /* GGML stores Q8_0's d as f16 */
  }
}

/* GGML's Q8_K (quantize_row_q8_K_ref), spread over the 32-element record:
 * per 256 elements, max = the first x of largest |x|, iscale = -127 / max,
 * q = round_half_even(iscale * x) (at most 127), d = 1 / iscale for all
 * eight 32-blocks of the 256. */
void tsr_qmm_quant_row_k_scalar(const float *x, int64_t k, void *rec) {
  tsr_qmm_act a = tsr_qmm_act_view(rec, k);
  int8_t *qs = (int8_t *)a.qs;
  for (int64_t b = 0; b < k / 256; ++b) {
    const float *xb = x + 256 * b;
    float amax = 0.0f, mx = 0.0f;
    for (int i = 0; i < 256; ++i) {
      if (fabsf(xb[i]) > amax) {
        amax = fabsf(xb[i]);
        mx = xb[i];
      }
    }
    const float iscale = amax != 0.0f ? -127.0f / mx : 0.0f, db = amax != 0.0f ? 1.0f / iscale : 0.0f;
    for (int64_t j = 8 * b; j < 8 * b + 8; ++j) {
      int32_t lo = 0, hi = 0;
      for (int i = 0; i < 32; ++i) {
        int32_t q = (int32_t)nearbyintf(iscale * x[32 * j + i]);
        q = q < 127 ? q : 127;
        qs[32 * j + i] = (int8_t)q;
        if (i < 16) lo += q;
        else hi += q;
      }
      tsr_qmm_act_set_block(&a, j, db, lo, hi);
    }
  }
}

/* ---- weight packing ---- */

int64_t tsr_qmm_block(tsr_dtype t) { return tsr_dtype_block_size(t); }

size_t tsr_qmm_header_bytes(tsr_dtype t, int32_t nr) {
  switch (t) {
    case TSR_DTYPE_Q4_0:
    case TSR_DTYPE_Q8_0: return 2 * (size_t)nr;
    case TSR_DTYPE_Q4_K:
    case TSR_DTYPE_Q5_K: return 20 * (size_t)nr;
    case TSR_DTYPE_Q6_K: return 18 * (size_t)nr;
    default: return 0;
  }
}

size_t tsr_qmm_body_bytes(tsr_dtype t, int32_t nr) {
  switch (t) {
    case TSR_DTYPE_Q4_0: return 16 * (size_t)nr;
    case TSR_DTYPE_Q8_0: return 32 * (size_t)nr;
    case TSR_DTYPE_Q4_K: return 128 * (size_t)nr;
    case TSR_DTYPE_Q5_K: return 160 * (size_t)nr;
    case TSR_DTYPE_Q6_K: return 192 * (size_t)nr;
    default: return 0;
  }
}

size_t tsr_qmm_group_bytes(tsr_dtype t, int32_t nr, uint32_t flags, int64_t nblocks) {
  if (flags & TSR_QMM_PACK_INLINE) return (tsr_qmm_header_bytes(t, nr) + tsr_qmm_body_bytes(t, nr)) * (size_t)nblocks;
  return align64(tsr_qmm_header_bytes(t, nr) * (size_t)nblocks) + tsr_qmm_body_bytes(t, nr) * (size_t)nblocks;
}

/* 6-bit scale and min of sub-block |j| of a q4_K / q5_K block (as ggml). */
static void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

/* The integers of one block: q[] in element order, scales per sub-block. */
typedef struct block_ints {
  uint16_t d, dmin;
  uint8_t sc[16]; /* q4_k / q5_k: 8 scales; q6_k: 16 int8 scales */
  uint8_t m[8];
  int16_t q[256];
} block_ints;

static void extract(tsr_dtype t, const uint8_t *blk, block_ints *o) {
  memset(o, 0, sizeof(*o));
  switch (t) {
    case TSR_DTYPE_Q4_0: {
      const tsr_block_q4_0 *b = (const void *)blk;
      memcpy(&o->d, &b->d, 2);
      for (int i = 0; i < 16; ++i) {
        o->q[i] = b->qs[i] & 0x0F;
        o->q[i + 16] = b->qs[i] >> 4;
      }
      break;
    }
    case TSR_DTYPE_Q8_0: {
      const tsr_block_q8_0 *b = (const void *)blk;
      memcpy(&o->d, &b->d, 2);
      for (int i = 0; i < 32; ++i) o->q[i] = b->qs[i];
      break;
    }
    case TSR_DTYPE_Q4_K:
    case TSR_DTYPE_Q5_K: {
      const bool q5 = t == TSR_DTYPE_Q5_K;
      const tsr_block_q4_k *b4 = (const void *)blk;
      const tsr_block_q5_k *b5 = (const void *)blk;
      const uint8_t *scales = q5 ? b5->scales : b4->scales, *qs = q5 ? b5->qs : b4->qs;
      memcpy(&o->d, q5 ? &b5->d : &b4->d, 2);
      memcpy(&o->dmin, q5 ? &b5->dmin : &b4->dmin, 2);
      for (int j = 0; j < 8; ++j) scale_min_k4(j, scales, &o->sc[j], &o->m[j]);
      for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
          o->q[64 * c + l] = qs[32 * c + l] & 0x0F;
          o->q[64 * c + 32 + l] = qs[32 * c + l] >> 4;
        }
      }
      if (q5) {
        for (int j = 0; j < 8; ++j) {
          for (int l = 0; l < 32; ++l) o->q[32 * j + l] = (int16_t)(o->q[32 * j + l] + (((b5->qh[l] >> j) & 1) << 4));
        }
      }
      break;
    }
    case TSR_DTYPE_Q6_K: {
      const tsr_block_q6_k *b = (const void *)blk;
      memcpy(&o->d, &b->d, 2);
      memcpy(o->sc, b->scales, 16);
      for (int n = 0; n < 2; ++n) {
        const uint8_t *ql = b->ql + 64 * n, *qh = b->qh + 32 * n;
        int16_t *q = o->q + 128 * n;
        for (int l = 0; l < 32; ++l) {
          q[l] = (int16_t)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
          q[l + 32] = (int16_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
          q[l + 64] = (int16_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
          q[l + 96] = (int16_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
        }
      }
      break;
    }
    default: break;
  }
}

/* Writes nr lane words of low nibbles for 8 k starting at q + 8c:
 * byte b = q[8c + b] | q[8c + 4 + b] << 4. */
static void put_nibbles(uint8_t *out, int32_t j, const int16_t *q8) {
  for (int b = 0; b < 4; ++b) out[4 * j + b] = (uint8_t)((q8[b] & 0x0F) | ((q8[4 + b] & 0x0F) << 4));
}

void tsr_qmm_pack_group(tsr_dtype t, int32_t nr, uint32_t flags, const uint8_t *b, int64_t row_stride,
                        int64_t n_rows, int64_t k, uint8_t *out) {
  const int64_t bs = tsr_qmm_block(t), nb = k / bs;
  const size_t hb = tsr_qmm_header_bytes(t, nr), bb = tsr_qmm_body_bytes(t, nr), blk = tsr_dtype_block_bytes(t);
  memset(out, 0, tsr_qmm_group_bytes(t, nr, flags, nb));
  const bool inl = (flags & TSR_QMM_PACK_INLINE) != 0;
  uint8_t *body0 = out + align64(hb * (size_t)nb);
  block_ints bi;
  for (int64_t r = 0; r < nb; ++r) {
    uint8_t *h = inl ? out + (hb + bb) * (size_t)r : out + hb * (size_t)r;
    uint8_t *body = inl ? h + hb : body0 + bb * (size_t)r;
    for (int32_t j = 0; j < nr; ++j) {
      if (j < n_rows) {
        extract(t, b + j * row_stride + (size_t)r * blk, &bi);
      } else {
        memset(&bi, 0, sizeof(bi)); /* padding rows: zero weights, zero scales */
      }
      switch (t) {
        case TSR_DTYPE_Q4_0:
          memcpy(h + 2 * j, &bi.d, 2);
          if (flags & TSR_QMM_PACK_NIBPAIR) {
            const int32_t lanes = nr / 2, lane = j % lanes, shift = j < lanes ? 0 : 4;
            for (int c = 0; c < 8; ++c) {
              for (int bt = 0; bt < 4; ++bt) {
                body[(size_t)c * 4 * lanes + 4 * lane + bt] |= (uint8_t)((bi.q[4 * c + bt] & 0x0F) << shift);
              }
            }
          } else {
            for (int c = 0; c < 4; ++c) put_nibbles(body + (size_t)c * 4 * nr, j, bi.q + 8 * c);
          }
          break;
        case TSR_DTYPE_Q8_0:
          memcpy(h + 2 * j, &bi.d, 2);
          for (int g = 0; g < 8; ++g) {
            for (int e = 0; e < 4; ++e) {
              int v = bi.q[4 * g + e];
              body[(size_t)g * 4 * nr + 4 * j + e] =
                  (uint8_t)((flags & TSR_QMM_PACK_XOR128) ? (v + 128) : (v & 0xFF));
            }
          }
          break;
        case TSR_DTYPE_Q4_K:
        case TSR_DTYPE_Q5_K:
          memcpy(h + 2 * j, &bi.d, 2);
          memcpy(h + 2 * nr + 2 * j, &bi.dmin, 2);
          for (int s = 0; s < 8; ++s) {
            h[4 * nr + s * nr + j] = bi.sc[s];
            h[12 * nr + s * nr + j] = bi.m[s];
          }
          for (int s = 0; s < 8; ++s) {
            for (int c = 0; c < 4; ++c) put_nibbles(body + (size_t)(4 * s + c) * 4 * nr, j, bi.q + 32 * s + 8 * c);
          }
          if (t == TSR_DTYPE_Q5_K) {
            uint8_t *hi = body + (size_t)128 * nr;
            for (int s = 0; s < 8; ++s) {
              for (int bt = 0; bt < 4; ++bt) {
                uint8_t v = 0;
                for (int g = 0; g < 8; ++g) v = (uint8_t)(v | (((bi.q[32 * s + 4 * g + bt] >> 4) & 1) << g));
                hi[(size_t)s * 4 * nr + 4 * j + bt] = v;
              }
            }
          }
          break;
        case TSR_DTYPE_Q6_K:
          memcpy(h + 2 * j, &bi.d, 2);
          for (int s = 0; s < 16; ++s) h[2 * nr + s * nr + j] = bi.sc[s];
          for (int s = 0; s < 16; ++s) {
            uint8_t *sb = body + (size_t)s * 12 * nr;
            put_nibbles(sb, j, bi.q + 16 * s);
            put_nibbles(sb + 4 * nr, j, bi.q + 16 * s + 8);
            for (int bt = 0; bt < 4; ++bt) {
              uint8_t v = 0;
              for (int g = 0; g < 4; ++g) v = (uint8_t)(v | (((bi.q[16 * s + 4 * g + bt] >> 4) & 3) << (2 * g)));
              sb[8 * nr + 4 * j + bt] = v;
            }
          }
          break;
        default: break;
      }
    }
  }
}

/* ---- the driver ---- */

/* M: rows of a (all leading dimensions). */
static int64_t rows_of(const tsr_op *op) { return tsr_rows(&op->src[0]); }

static int64_t k_of(const tsr_op *op) { return op->src[0].shape[op->src[0].ndim - 1]; }

static int64_t n_of(const tsr_op *op) { return op->dst.shape[op->dst.ndim - 1]; }

bool tsr_qmm_match(const tsr_qmm_desc *d, const tsr_op *op) {
  const tsr_tensor *a = &op->src[0], *b = &op->src[1], *y = &op->dst;
  if (op->type != TSR_OP_MATMUL || op->n_src < 2) return false;
  if (a->dtype != TSR_DTYPE_F32 || b->dtype != d->wtype || y->dtype != TSR_DTYPE_F32) return false;
  if (tsr_op_has_src(op, 3) || tsr_op_has_src(op, 4)) return false;
  if (a->ndim < 2 || b->ndim < 2 || y->ndim != a->ndim) return false;
  for (int i = 0; i < b->ndim - 2; ++i) {
    if (b->shape[i] != 1) return false; /* one weight matrix for every row of a */
  }
  for (int i = 0; i < a->ndim - 1; ++i) {
    if (a->shape[i] != y->shape[i]) return false;
  }
  if (tsr_inner_stride(a) != 4 || tsr_inner_stride(y) != 4) return false;
  if (tsr_op_has_src(op, 2)) {
    const tsr_tensor *bias = &op->src[2];
    if (bias->dtype != TSR_DTYPE_F32 || bias->ndim != 1 || bias->stride[0] != 4) return false;
  }
  if (d->packed && !(b->flags & TSR_TENSOR_FLAG_CONST)) return false;
  return true;
}

static int64_t groups_of(const tsr_qmm_desc *d, const tsr_op *op) { return (n_of(op) + d->nr - 1) / d->nr; }

int64_t tsr_qmm_units(const tsr_qmm_desc *d, const tsr_op *op) {
  int64_t m = rows_of(op);
  return groups_of(d, op) * ((m + kRowsPerUnit - 1) / kRowsPerUnit);
}

size_t tsr_qmm_scratch(const tsr_qmm_desc *d, const tsr_op *op) {
  (void)d;
  (void)op;
  return 0;
}

size_t tsr_qmm_shared_scratch(const tsr_qmm_desc *d, const tsr_op *op) {
  (void)d;
  return (size_t)rows_of(op) * tsr_qmm_act_bytes(k_of(op));
}

int64_t tsr_qmm_pre_units(const tsr_qmm_desc *d, const tsr_op *op) {
  (void)d;
  return rows_of(op);
}

void tsr_qmm_pre(const tsr_qmm_desc *d, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *a = &op->src[0];
  const int64_t k = k_of(op);
  const size_t rb = tsr_qmm_act_bytes(k);
  for (int64_t r = begin; r < end; ++r) {
    const float *x = (const float *)(const void *)(tsr_cptr(a) + tsr_row_offset(a, r));
    d->quant_row(x, k, (uint8_t *)ctx->shared + (size_t)r * rb);
  }
}

size_t tsr_qmm_packed_size(const tsr_qmm_desc *d, const tsr_op *op) {
  if (!d->packed) return 0;
  int64_t nb = k_of(op) / tsr_qmm_block(d->wtype);
  return (size_t)groups_of(d, op) * tsr_qmm_group_bytes(d->wtype, d->nr, d->pack_flags, nb);
}

void tsr_qmm_pack(const tsr_qmm_desc *d, const tsr_op *op, void *out) {
  if (!d->packed) return;
  const tsr_tensor *b = &op->src[1];
  const int64_t k = k_of(op), n = n_of(op), nb = k / tsr_qmm_block(d->wtype);
  const size_t gb = tsr_qmm_group_bytes(d->wtype, d->nr, d->pack_flags, nb);
  const int64_t rs = b->stride[b->ndim - 2];
  for (int64_t g = 0; g < groups_of(d, op); ++g) {
    int64_t n0 = g * d->nr, rows = n - n0 < d->nr ? n - n0 : d->nr;
    tsr_qmm_pack_group(d->wtype, d->nr, d->pack_flags, tsr_cptr(b) + n0 * rs, rs, rows, k,
                       (uint8_t *)out + (size_t)g * gb);
  }
}

void tsr_qmm_run(const tsr_qmm_desc *d, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_tensor *b = &op->src[1], *y = &op->dst;
  const int64_t k = k_of(op), n = n_of(op), m_count = rows_of(op), ng = groups_of(d, op);
  const int64_t nb = k / tsr_qmm_block(d->wtype), nr = d->nr;
  const size_t rb = tsr_qmm_act_bytes(k), gb = tsr_qmm_group_bytes(d->wtype, d->nr, d->pack_flags, nb);
  const int64_t rs = b->stride[b->ndim - 2];
  const float alpha = op->p.matmul.alpha != 0.0f ? op->p.matmul.alpha : 1.0f;
  const float *bias = tsr_op_has_src(op, 2) ? (const float *)op->src[2].data : NULL;
  _Alignas(64) float tile[TSR_QMM_MAX_MR * TSR_QMM_MAX_NR];
  tsr_qmm_act act[TSR_QMM_MAX_MR];
  for (int64_t u = begin; u < end; ++u) {
    const int64_t g = u % ng, mc = u / ng;
    const int64_t n0 = g * nr, nv = n - n0 < nr ? n - n0 : nr;
    const uint8_t *w = d->packed ? (const uint8_t *)ctx->packed + (size_t)g * gb : tsr_cptr(b) + n0 * rs;
    const int64_t m_end = (mc + 1) * kRowsPerUnit < m_count ? (mc + 1) * kRowsPerUnit : m_count;
    for (int64_t m = mc * kRowsPerUnit; m < m_end; m += d->mr) {
      const int64_t mr = m_end - m < d->mr ? m_end - m : d->mr;
      for (int64_t i = 0; i < mr; ++i) act[i] = tsr_qmm_act_view((const uint8_t *)ctx->shared + (size_t)(m + i) * rb, k);
      d->ukernel(mr, nb, w, rs, nv, act, tile);
      for (int64_t i = 0; i < mr; ++i) {
        float *yr = (float *)(void *)(tsr_ptr(y) + tsr_row_offset(y, m + i)) + n0;
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
