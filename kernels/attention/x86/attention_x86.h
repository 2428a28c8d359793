/* x86 fused attention (flash style): one unit per (query row t, kv head):
 * the kv head's G = Hq / Hkv query heads walk the visible keys in blocks of
 * kBlock with an online softmax (running max m, sum l, output accumulator
 * rescaled by e^(m_old - m_new)), so scores are never stored beyond a block
 * and K / V rows are read in place (f32 or f16, no copies, GQA without
 * duplication). Include after defining VX_W and AX_NAME(x). */
#include <math.h>

#include "attention/attention.h"
#include "common/x86/vec_x86.h"
#include "hal/fp16.h"

enum { kBlock = 64 };

static bool AX_NAME(match)(const tsr_op *op) {
  const tsr_tensor *q = &op->src[0], *k = &op->src[1], *v = &op->src[2], *y = &op->dst;
  if (q->dtype != TSR_DTYPE_F32 || y->dtype != TSR_DTYPE_F32 || k->dtype != v->dtype) return false;
  if (k->dtype != TSR_DTYPE_F32 && k->dtype != TSR_DTYPE_F16) return false;
  return tsr_inner_stride(q) == 4 && tsr_inner_stride(y) == 4 &&
         tsr_inner_stride(k) == (int64_t)tsr_dtype_block_bytes(k->dtype) &&
         tsr_inner_stride(v) == (int64_t)tsr_dtype_block_bytes(v->dtype);
}

static int64_t AX_NAME(units)(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  return op->dst.shape[0] * op->src[1].shape[1];
}

static size_t AX_NAME(scratch)(const tsr_op *op) {
  const int64_t g = op->src[0].shape[1] / op->src[1].shape[1];
  const int64_t d = op->src[0].shape[2], dv = op->src[2].shape[2];
  return (size_t)(g * (dv + 2) + d + kBlock + 4 * VX_W) * sizeof(float);
}

/* W values of a K / V row from element i (n valid, the rest zero). */
VX_INLINE vx_f AX_NAME(load)(const uint8_t *row, int f16, int64_t i, int n) {
  if (!f16) return n == VX_W ? vx_load((const float *)(const void *)row + i) : vx_load_n((const float *)(const void *)row + i, n);
  const uint16_t *h = (const uint16_t *)(const void *)row + i;
  if (n == VX_W) return vx_loadh(h);
  float t[VX_W];
  for (int k = 0; k < VX_W; ++k) t[k] = k < n ? tsr_fp16_to_f32(h[k]) : 0.0f;
  return vx_load(t);
}

static void AX_NAME(run)(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const tsr_attention_params *p = &op->p.attention;
  const tsr_tensor *q = &op->src[0], *k = &op->src[1], *v = &op->src[2], *y = &op->dst;
  const int64_t hq = q->shape[1], hkv = k->shape[1], d = q->shape[2], dv = v->shape[2], s_max = k->shape[0];
  const int64_t group = hq / hkv;
  const int f16 = k->dtype == TSR_DTYPE_F16;
  const float scale = p->scale != 0.0f ? p->scale : (float)(1.0 / sqrt((double)d));
  const int64_t q_pos = tsr_dyn_eval(p->q_pos, ctx->dyn);
  int64_t kv_len = tsr_dyn_eval(p->kv_len, ctx->dyn);
  kv_len = kv_len < 0 ? 0 : (kv_len > s_max ? s_max : kv_len);
  float *acc = ctx->scratch;          /* [group][dv] */
  float *mrow = acc + group * dv;     /* [group] running max */
  float *lrow = mrow + group;         /* [group] running sum */
  float *qs = lrow + group;           /* [d] scaled query */
  float *sc = qs + d;                 /* [kBlock] scores, then weights */
  for (int64_t u = begin; u < end; ++u) {
    const int64_t t = u / hkv, kvh = u % hkv, pos = q_pos + t;
    int64_t lo = 0, hi = kv_len;
    if (p->causal && pos + 1 < hi) hi = pos + 1;
    if (p->window > 0 && pos - p->window + 1 > lo) lo = pos - p->window + 1;
    for (int64_t g = 0; g < group; ++g) {
      const int64_t h = kvh * group + g;
      const float *qr = (const float *)(const void *)(tsr_cptr(q) + t * q->stride[0] + h * q->stride[1]);
      float *ac = acc + g * dv;
      float m = -INFINITY, l = 0.0f;
      for (int64_t i = 0; i < dv; ++i) ac[i] = 0.0f;
      for (int64_t i = 0; i < d; ++i) qs[i] = qr[i] * scale;
      for (int64_t s0 = lo; s0 < hi; s0 += kBlock) {
        const int64_t bn = hi - s0 < kBlock ? hi - s0 : kBlock;
        float bm = -INFINITY;
        for (int64_t j = 0; j < bn; ++j) {
          const uint8_t *kr = tsr_cptr(k) + (s0 + j) * k->stride[0] + kvh * k->stride[1];
          vx_f a = vx_zero();
          for (int64_t i = 0; i < d; i += VX_W) {
            const int n = d - i < VX_W ? (int)(d - i) : VX_W;
            a = vx_fma(n == VX_W ? vx_load(qs + i) : vx_load_n(qs + i, n), AX_NAME(load)(kr, f16, i, n), a);
          }
          sc[j] = vx_hsum(a);
          bm = sc[j] > bm ? sc[j] : bm;
        }
        const float m_new = bm > m ? bm : m;
        const float corr = expf(m - m_new);
        l *= corr;
        if (corr != 1.0f) {
          const vx_f vc = vx_set(corr);
          for (int64_t i = 0; i < dv; i += VX_W) {
            const int n = dv - i < VX_W ? (int)(dv - i) : VX_W;
            vx_store_n(ac + i, vx_mul(vx_load_n(ac + i, n), vc), n);
          }
        }
        const vx_f vm = vx_set(m_new);
        vx_f vl = vx_zero();
        for (int64_t j = 0; j < bn; j += VX_W) {
          const int n = bn - j < VX_W ? (int)(bn - j) : VX_W;
          vx_f e = vx_exp(vx_sub(vx_load_n(sc + j, n), vm));
          vx_store_n(sc + j, e, n);
          float tmp[VX_W];
          vx_store(tmp, e);
          for (int kk = n; kk < VX_W; ++kk) tmp[kk] = 0.0f;
          vl = vx_add(vl, vx_load(tmp));
        }
        l += vx_hsum(vl);
        m = m_new;
        for (int64_t j = 0; j < bn; ++j) {
          const uint8_t *vr = tsr_cptr(v) + (s0 + j) * v->stride[0] + kvh * v->stride[1];
          const vx_f pw = vx_set(sc[j]);
          for (int64_t i = 0; i < dv; i += VX_W) {
            const int n = dv - i < VX_W ? (int)(dv - i) : VX_W;
            if (n == VX_W) vx_store(ac + i, vx_fma(pw, AX_NAME(load)(vr, f16, i, n), vx_load(ac + i)));
            else vx_store_n(ac + i, vx_fma(pw, AX_NAME(load)(vr, f16, i, n), vx_load_n(ac + i, n)), n);
          }
        }
      }
      mrow[g] = m;
      lrow[g] = l;
      float *yr = (float *)(void *)(tsr_ptr(y) + t * y->stride[0] + h * y->stride[1]);
      const float inv = hi > lo ? 1.0f / l : 0.0f;
      for (int64_t i = 0; i < dv; ++i) yr[i] = hi > lo ? ac[i] * inv : 0.0f;
    }
  }
}
