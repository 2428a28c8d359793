/* The conformance harness; see conformance.h. */
#include "conformance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/common/kernel.h"
#include "kernels/convert/convert.h"
#include "hal/fp16.h"

/* ---- tolerances: the one table ---- */

conf_tolerance conf_tolerance_for(tsr_op_type op, tsr_dtype dt) {
  const bool q4 = dt == TSR_DTYPE_Q4_0 || dt == TSR_DTYPE_Q4_K || dt == TSR_DTYPE_Q5_K;
  const bool q8 = dt == TSR_DTYPE_Q8_0 || dt == TSR_DTYPE_Q6_K;
  switch (op) {
    case TSR_OP_MATMUL:
      if (dt == TSR_DTYPE_I8 || dt == TSR_DTYPE_I32) return (conf_tolerance){1e-12, 1e-6};
      if (dt == TSR_DTYPE_F16) return (conf_tolerance){5e-6, 5e-3};
      if (dt == TSR_DTYPE_BF16) return (conf_tolerance){5e-5, 3e-2};
      /* GGML weights: against the nearer of two references (see
       * act_scheme): the exact product, or the product over activations
       * quantized as llama.cpp does for the type (Q8_0 per 32 for q8_0 /
       * q4_0, Q8_K per 256 for the k-quants). Either way only f32 rounding
       * is left (about 1e-6 of the outputs' scale, measured), so the bound
       * is tight: a fast path that quantizes its activations any other way
       * fails (measured on these cases: nmse 1.4e-8 with an f32 instead of
       * f16 Q8_0 scale, 2e-6 .. 4e-5 with per-32 blocks for k-quants). */
      if (dt == TSR_DTYPE_Q8_0) return (conf_tolerance){1e-9, 1e-4};
      if (dt == TSR_DTYPE_Q4_0) return (conf_tolerance){1e-9, 1e-4};
      if (dt == TSR_DTYPE_Q4_K) return (conf_tolerance){1e-9, 1e-4};
      if (dt == TSR_DTYPE_Q5_K) return (conf_tolerance){1e-9, 1e-4};
      if (dt == TSR_DTYPE_Q6_K) return (conf_tolerance){1e-9, 1e-4};
      return (conf_tolerance){1e-10, 1e-4};
    case TSR_OP_ATTENTION:
      if (dt == TSR_DTYPE_F16) return (conf_tolerance){5e-6, 5e-3};
      return (conf_tolerance){1e-9, 1e-4};
    case TSR_OP_SET_ROWS:
    case TSR_OP_CONVERT:
      if (q4) return (conf_tolerance){1e-2, 3e-1};
      if (q8) return (conf_tolerance){1e-4, 5e-2};
      if (dt == TSR_DTYPE_F16) return (conf_tolerance){1e-7, 1e-3};
      if (dt == TSR_DTYPE_BF16) return (conf_tolerance){1e-5, 1e-2};
      return (conf_tolerance){1e-12, 1e-6};
    case TSR_OP_GET_ROWS: return (conf_tolerance){1e-12, 1e-6};
    case TSR_OP_UNARY:
    case TSR_OP_SOFTMAX:
    case TSR_OP_ROPE: return (conf_tolerance){1e-9, 1e-4};
    /* perception ops: f32 convolutions like f32 matmul; moves and int8 ops exact */
    case TSR_OP_CONV2D:
    case TSR_OP_CONV_TRANSPOSE2D: return (conf_tolerance){1e-10, 1e-4};
    case TSR_OP_CONCAT:
    case TSR_OP_GATHER:
    case TSR_OP_QUANTIZE_LINEAR:
    case TSR_OP_DEQUANTIZE_LINEAR:
    case TSR_OP_QLINEAR_CONV:
    case TSR_OP_QLINEAR_MATMUL:
    case TSR_OP_QLINEAR_BINARY:
    case TSR_OP_TOPK:
    case TSR_OP_GATHER_ELEMENTS:
    case TSR_OP_GATHER_ND:
    case TSR_OP_SCATTER_ND: return (conf_tolerance){0.0, 0.0};
    case TSR_OP_POOL2D:
    case TSR_OP_RESIZE:
    case TSR_OP_REDUCE: return (conf_tolerance){1e-12, 1e-6};
    default: return (conf_tolerance){1e-10, 1e-5};
  }
}

/* ---- random data ---- */

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static float urand(uint64_t *s) { return (float)((splitmix(s) >> 40) * (2.0 / 16777216.0) - 1.0); }

/* ---- cases ---- */

typedef struct conf_case {
  char desc[160];
  tsr_op op;
  size_t bytes[TSR_OP_MAX_SRC + 1]; /* per tensor (last: dst) */
  void *mem[TSR_OP_MAX_SRC + 1];
  tsr_dyn_values dyn;
  tsr_dtype tol_dtype;
} conf_case;

static void case_free(conf_case *c) {
  for (int i = 0; i <= TSR_OP_MAX_SRC; ++i) free(c->mem[i]);
  memset(c, 0, sizeof(*c));
}

static tsr_tensor *slot_tensor(conf_case *c, int slot) {
  return slot == TSR_OP_MAX_SRC ? &c->op.dst : &c->op.src[slot];
}

/* Bytes a (possibly strided) tensor spans. */
static size_t span_bytes(const tsr_tensor *t) {
  if (t->ndim == 0) return tsr_dtype_block_bytes(t->dtype);
  size_t last = 0;
  for (int i = 0; i < t->ndim; ++i) {
    if (t->shape[i] == 0) return 0;
    bool inner_block = tsr_dtype_is_quantized(t->dtype) && i == t->ndim - 1;
    if (!inner_block) last += (size_t)(t->shape[i] - 1) * (size_t)t->stride[i];
  }
  size_t inner = tsr_dtype_is_quantized(t->dtype) ? tsr_dtype_row_bytes(t->dtype, t->shape[t->ndim - 1])
                                                   : tsr_dtype_block_bytes(t->dtype);
  return last + inner;
}

/* Allocates slot |slot| as a tensor (contiguous unless |stride|) and fills it
 * with random values in [lo, hi) (integers: rounded). */
static void mk(conf_case *c, int slot, tsr_dtype dt, int nd, const int64_t *shape, const int64_t *stride,
               float lo, float hi, uint64_t *rng) {
  tsr_tensor *t = slot_tensor(c, slot);
  if (tsr_tensor_init(t, dt, nd, shape, NULL) != TSR_OK) abort();
  if (stride) memcpy(t->stride, stride, sizeof(int64_t) * (size_t)nd);
  size_t n = span_bytes(t);
  c->bytes[slot] = n;
  c->mem[slot] = calloc(n ? n : 1, 1);
  t->data = c->mem[slot];
  if (slot != TSR_OP_MAX_SRC && (uint32_t)slot + 1 > c->op.n_src) c->op.n_src = (uint32_t)slot + 1;
  /* Fill: for contiguous block formats quantize random rows; for plain types
   * write every addressable byte position through a random f32 row. */
  int64_t rows = 1;
  for (int i = 0; i < nd - 1; ++i) rows *= shape[i];
  int64_t len = nd ? shape[nd - 1] : 1;
  float *row = malloc(sizeof(float) * (size_t)(len ? len : 1));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < len; ++i) {
      float v = lo + (hi - lo) * (urand(rng) * 0.5f + 0.5f);
      row[i] = (dt == TSR_DTYPE_I8 || dt == TSR_DTYPE_U8 || dt == TSR_DTYPE_I32 || dt == TSR_DTYPE_I64) ? roundf(v) : v;
    }
    uint8_t *dst = (uint8_t *)t->data + (nd ? tsr_row_offset(t, r) : 0);
    tsr_store_f32(dt, row, dst, tsr_inner_stride(t), len);
  }
  free(row);
}

static void mk1(conf_case *c, int slot, tsr_dtype dt, int64_t a, uint64_t *rng) {
  int64_t s[1] = {a};
  mk(c, slot, dt, 1, s, NULL, -1.0f, 1.0f, rng);
}

static void mk2(conf_case *c, int slot, tsr_dtype dt, int64_t a, int64_t b, uint64_t *rng) {
  int64_t s[2] = {a, b};
  mk(c, slot, dt, 2, s, NULL, -1.0f, 1.0f, rng);
}

static void mk3(conf_case *c, int slot, tsr_dtype dt, int64_t a, int64_t b, int64_t d, uint64_t *rng) {
  int64_t s[3] = {a, b, d};
  mk(c, slot, dt, 3, s, NULL, -1.0f, 1.0f, rng);
}

#define DST TSR_OP_MAX_SRC

static const tsr_dtype kWeightTypes[] = {TSR_DTYPE_F32, TSR_DTYPE_F16, TSR_DTYPE_BF16, TSR_DTYPE_Q8_0,
                                         TSR_DTYPE_Q4_0, TSR_DTYPE_Q4_K, TSR_DTYPE_Q5_K, TSR_DTYPE_Q6_K};
#define N_WEIGHT_TYPES 8

/* Matmul shapes per weight block size (M, N, K): 1, primes, tails, large K. */
static const int64_t kMmPlain[][3] = {{1, 1, 1}, {1, 37, 53}, {7, 67, 131}, {16, 64, 64}, {3, 29, 4096}, {33, 5, 17}};
static const int64_t kMm32[][3] = {{1, 1, 32}, {1, 37, 96}, {7, 67, 160}, {17, 33, 64}, {3, 13, 4096}, {33, 5, 32}};
static const int64_t kMm256[][3] = {{1, 1, 256}, {1, 37, 512}, {7, 19, 768}, {2, 5, 4096}};
#define N_MM_PLAIN 6
#define N_MM_32 6
#define N_MM_256 4
#define N_MM_EXTRA 11

static int mm_shapes(tsr_dtype dt) {
  int64_t bs = tsr_dtype_block_size(dt);
  return bs == 1 ? N_MM_PLAIN : (bs == 32 ? N_MM_32 : N_MM_256);
}

static uint32_t matmul_count(bool quick) {
  uint32_t n = 0;
  for (int i = 0; i < N_WEIGHT_TYPES; ++i) n += quick ? 2 : (uint32_t)mm_shapes(kWeightTypes[i]);
  return n + (quick ? 2 : N_MM_EXTRA);
}

static void make_matmul(conf_case *c, uint32_t idx, bool quick, uint64_t *rng) {
  c->op.type = TSR_OP_MATMUL;
  for (int w = 0; w < N_WEIGHT_TYPES; ++w) {
    tsr_dtype dt = kWeightTypes[w];
    uint32_t n = quick ? 2u : (uint32_t)mm_shapes(dt);
    if (idx < n) {
      int64_t bs = tsr_dtype_block_size(dt);
      const int64_t *s = bs == 1 ? kMmPlain[idx] : (bs == 32 ? kMm32[idx] : kMm256[idx]);
      if (quick && idx == 1) s = bs == 1 ? kMmPlain[2] : (bs == 32 ? kMm32[2] : kMm256[2]);
      mk2(c, 0, TSR_DTYPE_F32, s[0], s[2], rng);
      mk2(c, 1, dt, s[1], s[2], rng);
      mk2(c, DST, TSR_DTYPE_F32, s[0], s[1], rng);
      c->op.src[1].flags |= TSR_TENSOR_FLAG_CONST; /* weights: targets may repack them */
      c->tol_dtype = dt;
      snprintf(c->desc, sizeof(c->desc), "f32 x %s M=%lld N=%lld K=%lld", tsr_dtype_name(dt), (long long)s[0],
               (long long)s[1], (long long)s[2]);
      return;
    }
    idx -= n;
  }
  c->tol_dtype = TSR_DTYPE_F32;
  switch (quick ? idx * 3 : idx) {
    case 0: { /* batched with broadcast: a [2,3,5,17] @ b [1,3,11,17]^T */
      int64_t sa[4] = {2, 3, 5, 17}, sb[4] = {1, 3, 11, 17}, sy[4] = {2, 3, 5, 11};
      mk(c, 0, TSR_DTYPE_F32, 4, sa, NULL, -1, 1, rng);
      mk(c, 1, TSR_DTYPE_F32, 4, sb, NULL, -1, 1, rng);
      mk(c, DST, TSR_DTYPE_F32, 4, sy, NULL, -1, 1, rng);
      snprintf(c->desc, sizeof(c->desc), "batched broadcast [2,3,5,17] x [1,3,11,17]");
      return;
    }
    case 1: { /* b as a transposed view: memory [K=23][N=13], viewed [N][K] */
      int64_t sb[2] = {13, 23}, st[2] = {4, 13 * 4};
      mk2(c, 0, TSR_DTYPE_F32, 6, 23, rng);
      mk(c, 1, TSR_DTYPE_F32, 2, sb, st, -1, 1, rng);
      mk2(c, DST, TSR_DTYPE_F32, 6, 13, rng);
      snprintf(c->desc, sizeof(c->desc), "f32 transposed b view M=6 N=13 K=23");
      return;
    }
    case 2: /* bias and alpha */
      mk2(c, 0, TSR_DTYPE_F32, 3, 40, rng);
      mk2(c, 1, TSR_DTYPE_F32, 19, 40, rng);
      mk1(c, 2, TSR_DTYPE_F32, 19, rng);
      mk2(c, DST, TSR_DTYPE_F32, 3, 19, rng);
      c->op.p.matmul.alpha = 0.5f;
      snprintf(c->desc, sizeof(c->desc), "f32 with bias, alpha 0.5, M=3 N=19 K=40");
      return;
    case 3: { /* i8 x i8 -> i32 */
      int64_t sa[2] = {7, 131}, sb[2] = {67, 131};
      mk(c, 0, TSR_DTYPE_I8, 2, sa, NULL, -128, 127, rng);
      mk(c, 1, TSR_DTYPE_I8, 2, sb, NULL, -128, 127, rng);
      mk2(c, DST, TSR_DTYPE_I32, 7, 67, rng);
      c->tol_dtype = TSR_DTYPE_I32;
      snprintf(c->desc, sizeof(c->desc), "i8 x i8 -> i32 M=7 N=67 K=131");
      return;
    }
    case 4: { /* i8 x i8 with per-row / per-channel scales -> f32 */
      int64_t sa[2] = {5, 64}, sb[2] = {13, 64};
      mk(c, 0, TSR_DTYPE_I8, 2, sa, NULL, -128, 127, rng);
      mk(c, 1, TSR_DTYPE_I8, 2, sb, NULL, -128, 127, rng);
      c->op.src[2].dtype = TSR_DTYPE_NONE;
      int64_t s3[1] = {5}, s4[1] = {13};
      mk(c, 3, TSR_DTYPE_F32, 1, s3, NULL, 0.001f, 0.01f, rng);
      mk(c, 4, TSR_DTYPE_F32, 1, s4, NULL, 0.001f, 0.01f, rng);
      mk2(c, DST, TSR_DTYPE_F32, 5, 13, rng);
      c->tol_dtype = TSR_DTYPE_I8;
      snprintf(c->desc, sizeof(c->desc), "i8 x i8 scaled -> f32 M=5 N=13 K=64");
      return;
    }
    case 6: /* quantized weights that are not constant: no load-time packing */
      mk2(c, 0, TSR_DTYPE_F32, 5, 96, rng);
      mk2(c, 1, TSR_DTYPE_Q4_0, 20, 96, rng);
      mk2(c, DST, TSR_DTYPE_F32, 5, 20, rng);
      c->tol_dtype = TSR_DTYPE_Q4_0;
      snprintf(c->desc, sizeof(c->desc), "f32 x q4_0 (not const) M=5 N=20 K=96");
      return;
    case 7: { /* LLM prefill: a [2, 3, K] rows, 2-D constant weights, bias, alpha */
      int64_t sa[3] = {2, 3, 64}, sy[3] = {2, 3, 21};
      mk(c, 0, TSR_DTYPE_F32, 3, sa, NULL, -1, 1, rng);
      mk2(c, 1, TSR_DTYPE_Q8_0, 21, 64, rng);
      mk1(c, 2, TSR_DTYPE_F32, 21, rng);
      mk(c, DST, TSR_DTYPE_F32, 3, sy, NULL, -1, 1, rng);
      c->op.src[1].flags |= TSR_TENSOR_FLAG_CONST;
      c->op.p.matmul.alpha = 0.25f;
      c->tol_dtype = TSR_DTYPE_Q8_0;
      snprintf(c->desc, sizeof(c->desc), "f32 [2,3,64] x q8_0 [21,64] const, bias, alpha 0.25");
      return;
    }
    case 8: /* more rows than one work unit holds */
      mk2(c, 0, TSR_DTYPE_F32, 70, 256, rng);
      mk2(c, 1, TSR_DTYPE_Q4_K, 19, 256, rng);
      mk2(c, DST, TSR_DTYPE_F32, 70, 19, rng);
      c->op.src[1].flags |= TSR_TENSOR_FLAG_CONST;
      c->tol_dtype = TSR_DTYPE_Q4_K;
      snprintf(c->desc, sizeof(c->desc), "f32 x q4_k const M=70 N=19 K=256");
      return;
    case 9: /* f32 weights, constant, prefill-sized */
      mk2(c, 0, TSR_DTYPE_F32, 37, 200, rng);
      mk2(c, 1, TSR_DTYPE_F32, 45, 200, rng);
      mk2(c, DST, TSR_DTYPE_F32, 37, 45, rng);
      c->op.src[1].flags |= TSR_TENSOR_FLAG_CONST;
      snprintf(c->desc, sizeof(c->desc), "f32 x f32 const M=37 N=45 K=200");
      return;
    case 10: { /* run-time f16 b (packed per run), batched, two row blocks, N tail, bias, alpha */
      int64_t sa[3] = {2, 70, 33}, sb[3] = {2, 40, 33}, sy[3] = {2, 70, 40};
      mk(c, 0, TSR_DTYPE_F32, 3, sa, NULL, -1, 1, rng);
      mk(c, 1, TSR_DTYPE_F16, 3, sb, NULL, -1, 1, rng);
      mk1(c, 2, TSR_DTYPE_F32, 40, rng);
      mk(c, DST, TSR_DTYPE_F32, 3, sy, NULL, -1, 1, rng);
      c->op.p.matmul.alpha = 0.5f;
      c->tol_dtype = TSR_DTYPE_F16;
      snprintf(c->desc, sizeof(c->desc), "f32 [2,70,33] x f16 [2,40,33] run-time b, bias, alpha 0.5");
      return;
    }
    default: { /* a strided: rows of a padded buffer */
      int64_t sa[2] = {4, 30}, st[2] = {48 * 4, 4};
      mk(c, 0, TSR_DTYPE_F32, 2, sa, st, -1, 1, rng);
      mk2(c, 1, TSR_DTYPE_F32, 9, 30, rng);
      mk2(c, DST, TSR_DTYPE_F32, 4, 9, rng);
      snprintf(c->desc, sizeof(c->desc), "f32 strided a rows M=4 N=9 K=30");
      return;
    }
  }
}

static const int64_t kNormShapes[][2] = {{1, 1}, {3, 7}, {5, 257}, {2, 4096}, {9, 64}};
#define N_NORM 5

static void make_norm(conf_case *c, tsr_op_type type, uint32_t idx, uint64_t *rng) {
  const int64_t *s = kNormShapes[idx % N_NORM];
  bool weights = idx < N_NORM;
  c->op.type = type;
  mk2(c, 0, TSR_DTYPE_F32, s[0], s[1], rng);
  if (weights) {
    mk1(c, 1, TSR_DTYPE_F32, s[1], rng);
    if (type == TSR_OP_LAYERNORM) mk1(c, 2, TSR_DTYPE_F32, s[1], rng);
  }
  mk2(c, DST, TSR_DTYPE_F32, s[0], s[1], rng);
  c->op.p.norm.eps = idx % 2 ? 1e-5f : 1e-6f;
  c->tol_dtype = TSR_DTYPE_F32;
  snprintf(c->desc, sizeof(c->desc), "[%lld, %lld] %s", (long long)s[0], (long long)s[1],
           weights ? "with weights" : "no weights");
}

static void make_softmax(conf_case *c, uint32_t idx, uint64_t *rng) {
  static const int64_t shapes[][3] = {{1, 1, 1}, {1, 3, 17}, {2, 5, 129}, {1, 4, 1000}, {3, 7, 33}};
  const int64_t *s = shapes[idx % 5];
  c->op.type = TSR_OP_SOFTMAX;
  mk3(c, 0, TSR_DTYPE_F32, s[0], s[1], s[2], rng);
  mk3(c, DST, TSR_DTYPE_F32, s[0], s[1], s[2], rng);
  c->op.p.softmax.scale = idx % 2 ? 0.7f : 0.0f;
  c->op.p.softmax.causal = idx >= 5;
  c->op.p.softmax.q_pos = TSR_DYN_SLOT(0, 0);
  c->dyn.v[0] = idx >= 5 ? (int64_t)(idx % 3) : 0;
  c->tol_dtype = TSR_DTYPE_F32;
  snprintf(c->desc, sizeof(c->desc), "[%lld, %lld, %lld]%s", (long long)s[0], (long long)s[1], (long long)s[2],
           c->op.p.softmax.causal ? " causal" : "");
}

static void make_rope(conf_case *c, uint32_t idx, uint64_t *rng) {
  static const struct { int64_t t, h, d; int nd, mode; float scale; bool ff; int pos; } k[] = {
      {1, 1, 2, 2, TSR_ROPE_INTERLEAVED, 0, false, 0},  {3, 5, 16, 8, TSR_ROPE_NEOX, 0, false, 7},
      {7, 3, 64, 64, TSR_ROPE_INTERLEAVED, 0, false, 11}, {5, 2, 128, 128, TSR_ROPE_NEOX, 0.5f, true, 100},
      {2, 8, 8, 8, TSR_ROPE_INTERLEAVED, 0, false, 500}, {4, 3, 96, 32, TSR_ROPE_INTERLEAVED, 0, true, 3},
  };
  const int n = (int)(sizeof(k) / sizeof(k[0]));
  int i = (int)idx % n;
  c->op.type = TSR_OP_ROPE;
  mk3(c, 0, TSR_DTYPE_F32, k[i].t, k[i].h, k[i].d, rng);
  if (k[i].ff) {
    int64_t s[1] = {k[i].nd / 2};
    mk(c, 1, TSR_DTYPE_F32, 1, s, NULL, 0.5f, 4.0f, rng);
  }
  mk3(c, DST, TSR_DTYPE_F32, k[i].t, k[i].h, k[i].d, rng);
  c->op.p.rope = (tsr_rope_params){k[i].nd, k[i].mode, 10000.0f, k[i].scale, TSR_DYN_SLOT(0, 0)};
  if (i == 4) c->op.p.rope.freq_base = 500000.0f;
  c->dyn.v[0] = k[i].pos;
  c->tol_dtype = TSR_DTYPE_F32;
  snprintf(c->desc, sizeof(c->desc), "[%lld, %lld, %lld] n_dims %d %s pos %d%s", (long long)k[i].t,
           (long long)k[i].h, (long long)k[i].d, k[i].nd, k[i].mode ? "neox" : "interleaved", k[i].pos,
           k[i].ff ? " freq_factors" : "");
}

static void make_attention(conf_case *c, uint32_t idx, uint64_t *rng) {
  static const struct { int64_t tq, hq, d, s, hkv, dv; bool causal; int window, pos, kv_len; tsr_dtype kv; } k[] = {
      {1, 8, 8, 32, 4, 8, true, 0, 9, -1, TSR_DTYPE_F32},    /* decode, GQA 2 */
      {5, 4, 16, 13, 2, 16, true, 0, 3, -1, TSR_DTYPE_F32},  /* prefill chunk */
      {7, 3, 24, 7, 3, 24, false, 0, 0, 7, TSR_DTYPE_F32},   /* ViT, non-causal */
      {6, 6, 32, 40, 1, 32, true, 4, 20, -1, TSR_DTYPE_F32}, /* MQA, sliding window */
      {1, 9, 64, 100, 3, 64, true, 0, 77, -1, TSR_DTYPE_F16},/* f16 cache */
      {3, 2, 20, 11, 1, 12, false, 0, 0, 11, TSR_DTYPE_F16}, /* Dv != D */
      {1, 1, 1, 1, 1, 1, true, 0, 0, -1, TSR_DTYPE_F32},     /* smallest */
  };
  const int n = (int)(sizeof(k) / sizeof(k[0]));
  int i = (int)idx % n;
  c->op.type = TSR_OP_ATTENTION;
  mk3(c, 0, TSR_DTYPE_F32, k[i].tq, k[i].hq, k[i].d, rng);
  mk3(c, 1, k[i].kv, k[i].s, k[i].hkv, k[i].d, rng);
  mk3(c, 2, k[i].kv, k[i].s, k[i].hkv, k[i].dv, rng);
  mk3(c, DST, TSR_DTYPE_F32, k[i].tq, k[i].hq, k[i].dv, rng);
  c->op.p.attention.causal = k[i].causal;
  c->op.p.attention.window = k[i].window;
  c->op.p.attention.scale = i == 2 ? 0.3f : 0.0f;
  c->op.p.attention.q_pos = TSR_DYN_SLOT(0, 0);
  c->op.p.attention.kv_len = k[i].kv_len >= 0 ? TSR_DYN_STATIC(k[i].kv_len) : TSR_DYN_SLOT(0, (int32_t)k[i].tq);
  c->dyn.v[0] = k[i].pos;
  c->tol_dtype = k[i].kv;
  snprintf(c->desc, sizeof(c->desc), "q [%lld,%lld,%lld] kv [%lld,%lld,%lld/%lld] %s %s window %d pos %d",
           (long long)k[i].tq, (long long)k[i].hq, (long long)k[i].d, (long long)k[i].s, (long long)k[i].hkv,
           (long long)k[i].d, (long long)k[i].dv, tsr_dtype_name(k[i].kv), k[i].causal ? "causal" : "full",
           k[i].window, k[i].pos);
}

static void make_unary(conf_case *c, uint32_t idx, uint64_t *rng) {
  int kind = (int)(idx % TSR_UNARY_COUNT);
  bool strided = idx >= TSR_UNARY_COUNT;
  c->op.type = TSR_OP_UNARY;
  c->op.p.unary.kind = kind;
  c->op.p.unary.alpha = kind == TSR_UNARY_CLIP ? -0.5f : (kind == TSR_UNARY_HARD_SIGMOID ? 0.2f : 0.1f);
  c->op.p.unary.beta = kind == TSR_UNARY_CLIP ? 0.6f : (kind == TSR_UNARY_SELU ? 1.0507f : 0.5f);
  if (kind == TSR_UNARY_ELU || kind == TSR_UNARY_SELU) c->op.p.unary.alpha = 1.6733f;
  float lo = kind == TSR_UNARY_SQRT ? 0.0f : (kind == TSR_UNARY_LOG || kind == TSR_UNARY_RECIPROCAL ? 0.25f : -6.0f),
        hi = 6.0f;
  if (strided) { /* x is a transposed view of a [37, 3] buffer */
    int64_t s[2] = {3, 37}, st[2] = {4, 3 * 4};
    mk(c, 0, TSR_DTYPE_F32, 2, s, st, lo, hi, rng);
  } else {
    int64_t s[2] = {5, 257};
    mk(c, 0, TSR_DTYPE_F32, 2, s, NULL, lo, hi, rng);
  }
  mk2(c, DST, TSR_DTYPE_F32, strided ? 3 : 5, strided ? 37 : 257, rng);
  c->tol_dtype = TSR_DTYPE_F32;
  snprintf(c->desc, sizeof(c->desc), "%s %s", tsr_unary_kind_name(kind), strided ? "[3,37] strided" : "[5,257]");
}

static void make_binary(conf_case *c, uint32_t idx, uint64_t *rng) {
  static const struct { int na, nb, ny; int64_t a[4], b[4], y[4]; } k[] = {
      {2, 2, 2, {5, 131}, {5, 131}, {5, 131}},
      {3, 2, 3, {2, 3, 17}, {3, 1}, {2, 3, 17}},
      {3, 3, 3, {4, 1, 7}, {1, 6, 1}, {4, 6, 7}},
      {1, 4, 4, {1}, {2, 3, 4, 5}, {2, 3, 4, 5}},
  };
  int kind = (int)(idx % TSR_BINARY_COUNT);
  int s = (int)(idx / TSR_BINARY_COUNT) % 4;
  c->op.type = TSR_OP_BINARY;
  c->op.p.binary.kind = kind;
  float lo = kind == TSR_BINARY_POW ? 0.1f : -2.0f;
  mk(c, 0, TSR_DTYPE_F32, k[s].na, k[s].a, NULL, lo, 2.0f, rng);
  mk(c, 1, TSR_DTYPE_F32, k[s].nb, k[s].b, NULL, kind == TSR_BINARY_DIV || kind == TSR_BINARY_FMOD ? 0.5f : -2.0f,
     2.0f, rng);
  mk(c, DST, TSR_DTYPE_F32, k[s].ny, k[s].y, NULL, -1, 1, rng);
  c->tol_dtype = TSR_DTYPE_F32;
  snprintf(c->desc, sizeof(c->desc), "%s broadcast case %d", tsr_binary_kind_name(kind), s);
}

static void make_get_rows(conf_case *c, uint32_t idx, uint64_t *rng) {
  tsr_dtype dt = kWeightTypes[idx % N_WEIGHT_TYPES];
  bool i64 = idx >= N_WEIGHT_TYPES;
  int64_t bs = tsr_dtype_block_size(dt);
  int64_t d = bs == 1 ? 33 : (bs == 32 ? 96 : 256), v = 37, t = 6;
  c->op.type = TSR_OP_GET_ROWS;
  mk2(c, 0, dt, v, d, rng);
  int64_t st[1] = {t};
  mk(c, 1, i64 ? TSR_DTYPE_I64 : TSR_DTYPE_I32, 1, st, NULL, 0, (float)v - 1, rng);
  int64_t bad = i64 ? -1 : v; /* one id out of range: a row of zeros */
  if (i64) memcpy((int64_t *)c->op.src[1].data + 2, &bad, 8);
  else { int32_t b32 = (int32_t)bad; memcpy((int32_t *)c->op.src[1].data + 2, &b32, 4); }
  mk2(c, DST, TSR_DTYPE_F32, t, d, rng);
  c->tol_dtype = dt;
  snprintf(c->desc, sizeof(c->desc), "table [%lld, %lld] %s, %s ids", (long long)v, (long long)d,
           tsr_dtype_name(dt), i64 ? "i64" : "i32");
}

static void make_set_rows(conf_case *c, uint32_t idx, uint64_t *rng) {
  static const tsr_dtype types[] = {TSR_DTYPE_F32, TSR_DTYPE_F16, TSR_DTYPE_BF16, TSR_DTYPE_Q8_0};
  tsr_dtype dt = types[idx % 4];
  int pos = idx >= 4 ? 14 : 5; /* 14: the last row falls off the end */
  c->op.type = TSR_OP_SET_ROWS;
  mk3(c, 0, TSR_DTYPE_F32, 3, 2, 32, rng);
  mk3(c, DST, dt, 16, 2, 32, rng);
  c->op.p.set_rows.pos = TSR_DYN_SLOT(0, 0);
  c->dyn.v[0] = pos;
  c->tol_dtype = dt;
  snprintf(c->desc, sizeof(c->desc), "[3,2,32] f32 into [16,2,32] %s at %d", tsr_dtype_name(dt), pos);
}

static void make_convert(conf_case *c, uint32_t idx, uint64_t *rng) {
  static const struct { tsr_dtype x, y; } k[] = {
      {TSR_DTYPE_F32, TSR_DTYPE_F16},  {TSR_DTYPE_F32, TSR_DTYPE_BF16}, {TSR_DTYPE_F32, TSR_DTYPE_Q8_0},
      {TSR_DTYPE_F32, TSR_DTYPE_Q4_0}, {TSR_DTYPE_F32, TSR_DTYPE_Q4_K}, {TSR_DTYPE_F32, TSR_DTYPE_Q5_K},
      {TSR_DTYPE_F32, TSR_DTYPE_Q6_K}, {TSR_DTYPE_F16, TSR_DTYPE_F32},  {TSR_DTYPE_BF16, TSR_DTYPE_F32},
      {TSR_DTYPE_Q8_0, TSR_DTYPE_F32}, {TSR_DTYPE_Q4_0, TSR_DTYPE_F32}, {TSR_DTYPE_Q4_K, TSR_DTYPE_F32},
      {TSR_DTYPE_Q5_K, TSR_DTYPE_F32}, {TSR_DTYPE_Q6_K, TSR_DTYPE_F32}, {TSR_DTYPE_I8, TSR_DTYPE_F32},
      {TSR_DTYPE_U8, TSR_DTYPE_F32},   {TSR_DTYPE_I32, TSR_DTYPE_F32},  {TSR_DTYPE_I64, TSR_DTYPE_F32},
      {TSR_DTYPE_F32, TSR_DTYPE_I8},   {TSR_DTYPE_F32, TSR_DTYPE_U8},   {TSR_DTYPE_F32, TSR_DTYPE_I32},
      {TSR_DTYPE_F32, TSR_DTYPE_F32},  /* strided copy (transpose materialised) */
  };
  const uint32_t n = (uint32_t)(sizeof(k) / sizeof(k[0]));
  uint32_t i = idx % n;
  c->op.type = TSR_OP_CONVERT;
  bool quant = tsr_dtype_is_quantized(k[i].x) || tsr_dtype_is_quantized(k[i].y);
  int64_t rows = 3, cols = quant ? 512 : 45;
  bool ints = k[i].x == TSR_DTYPE_I8 || k[i].x == TSR_DTYPE_U8 || k[i].x == TSR_DTYPE_I32 || k[i].x == TSR_DTYPE_I64;
  float lo = ints ? (k[i].x == TSR_DTYPE_U8 ? 0.0f : -100.0f) : -3.0f, hi = ints ? 100.0f : 3.0f;
  if (k[i].y == TSR_DTYPE_I8 || k[i].y == TSR_DTYPE_U8 || k[i].y == TSR_DTYPE_I32) { lo = -300.0f; hi = 300.0f; }
  if (i == n - 1) {
    int64_t s[2] = {rows, cols}, st[2] = {4, rows * 4};
    mk(c, 0, TSR_DTYPE_F32, 2, s, st, lo, hi, rng);
  } else {
    int64_t s[2] = {rows, cols};
    mk(c, 0, k[i].x, 2, s, NULL, lo, hi, rng);
  }
  mk2(c, DST, k[i].y, rows, cols, rng);
  c->tol_dtype = k[i].y == TSR_DTYPE_F32 ? k[i].x : k[i].y;
  if (ints && k[i].y == TSR_DTYPE_F32) c->tol_dtype = TSR_DTYPE_F32;
  snprintf(c->desc, sizeof(c->desc), "%s -> %s [%lld, %lld]%s", tsr_dtype_name(k[i].x), tsr_dtype_name(k[i].y),
           (long long)rows, (long long)cols, i == n - 1 ? " strided source" : "");
}

#include "conformance_vision.inc"

uint32_t conf_case_count(tsr_op_type op, bool quick) {
  switch (op) {
    case TSR_OP_MATMUL: return matmul_count(quick);
    case TSR_OP_RMSNORM:
    case TSR_OP_LAYERNORM: return quick ? 3 : 2 * N_NORM;
    case TSR_OP_SOFTMAX: return quick ? 3 : 10;
    case TSR_OP_ROPE: return quick ? 3 : 6;
    case TSR_OP_ATTENTION: return quick ? 4 : 7;
    case TSR_OP_UNARY: return quick ? TSR_UNARY_COUNT : 2 * TSR_UNARY_COUNT;
    case TSR_OP_BINARY: return quick ? TSR_BINARY_COUNT : 4 * TSR_BINARY_COUNT;
    case TSR_OP_GET_ROWS: return quick ? N_WEIGHT_TYPES : 2 * N_WEIGHT_TYPES;
    case TSR_OP_SET_ROWS: return quick ? 4 : 8;
    case TSR_OP_CONVERT: return quick ? 11 : 22 + N_COPY_CASES; /* + same-dtype copies (conformance_vision.inc) */
    default: return conf_vision_count(op, quick);
  }
}

static void make_case(tsr_op_type op, uint32_t idx, bool quick, uint64_t seed, conf_case *c) {
  memset(c, 0, sizeof(*c));
  uint64_t rng = seed ^ ((uint64_t)op << 32) ^ (uint64_t)idx * 0x9e3779b97f4a7c15ull;
  switch (op) {
    case TSR_OP_MATMUL: make_matmul(c, idx, quick, &rng); break;
    case TSR_OP_RMSNORM:
    case TSR_OP_LAYERNORM: make_norm(c, op, quick ? idx * 3 : idx, &rng); break;
    case TSR_OP_SOFTMAX: make_softmax(c, quick ? idx * 3 : idx, &rng); break;
    case TSR_OP_ROPE: make_rope(c, quick ? idx * 2 + 1 : idx, &rng); break;
    case TSR_OP_ATTENTION: make_attention(c, idx, &rng); break;
    case TSR_OP_UNARY: make_unary(c, idx, &rng); break;
    case TSR_OP_BINARY: make_binary(c, quick ? idx + TSR_BINARY_COUNT : idx, &rng); break;
    case TSR_OP_GET_ROWS: make_get_rows(c, idx, &rng); break;
    case TSR_OP_SET_ROWS: make_set_rows(c, quick ? idx + (idx % 2) * 4 : idx, &rng); break;
    case TSR_OP_CONVERT:
      if (!quick && idx >= 22) make_copy(c, idx - 22, &rng);
      else make_convert(c, quick ? idx * 2 + (idx % 2) : idx, &rng);
      break;
    default: conf_vision_make(c, op, idx, quick, &rng); break;
  }
}

/* ---- running a case on a target ---- */

typedef struct bound {
  tsr_buffer buf[TSR_OP_MAX_SRC + 1];
  tsr_op op;
} bound;

static void unbind(tsr_target *t, bound *b) {
  for (int i = 0; i <= TSR_OP_MAX_SRC; ++i) {
    if (b->buf[i].target) tsr_target_buffer_free(t, &b->buf[i]);
  }
}

/* Allocates target buffers for every tensor and uploads the case's data. */
static tsr_status bind_case(tsr_target *t, const conf_case *c, bound *b, char *why, size_t why_n) {
  memset(b, 0, sizeof(*b));
  b->op = c->op;
  for (int i = 0; i <= TSR_OP_MAX_SRC; ++i) {
    tsr_tensor *tt = i == TSR_OP_MAX_SRC ? &b->op.dst : &b->op.src[i];
    if (tt->dtype == TSR_DTYPE_NONE || c->mem[i] == NULL) continue;
    tsr_status s = tsr_target_buffer_alloc(t, c->bytes[i] ? c->bytes[i] : 1, 0, &b->buf[i]);
    if (s == TSR_OK) s = tsr_target_upload(t, &b->buf[i], 0, c->mem[i], c->bytes[i]);
    if (s != TSR_OK) {
      snprintf(why, why_n, "buffer: %s: %s", tsr_status_string(s), t->error.message);
      unbind(t, b);
      return s;
    }
    tt->buffer = &b->buf[i];
    tt->offset = 0;
    tt->data = b->buf[i].host;
  }
  return TSR_OK;
}

static tsr_status run_bound(tsr_target *t, bound *b, const conf_case *c, void *out, char *why, size_t why_n) {
  tsr_cmdlist *list = NULL;
  tsr_status s = tsr_target_upload(t, &b->buf[TSR_OP_MAX_SRC], 0, c->mem[TSR_OP_MAX_SRC], c->bytes[TSR_OP_MAX_SRC]);
  if (s == TSR_OK) s = tsr_target_prepare(t, &b->op, 1, &list);
  if (s == TSR_OK) s = tsr_target_submit(t, list, &c->dyn);
  if (s == TSR_OK) s = tsr_target_wait(t);
  if (s == TSR_OK) s = tsr_target_download(t, &b->buf[TSR_OP_MAX_SRC], 0, out, c->bytes[TSR_OP_MAX_SRC]);
  if (list) tsr_target_release(t, list);
  if (s != TSR_OK) snprintf(why, why_n, "%s: %s", tsr_status_string(s), t->error.message);
  return s;
}

/* Converts dst-shaped bytes to f32 for comparison. */
static float *to_f32(const tsr_tensor *d, const void *bytes, int64_t *out_n) {
  int64_t rows = tsr_rows(d), n = d->ndim ? d->shape[d->ndim - 1] : 1;
  float *f = malloc(sizeof(float) * (size_t)(rows * n + 1));
  for (int64_t r = 0; r < rows; ++r) {
    if (d->dtype == TSR_DTYPE_I32) { /* exact for the i8 matmul sums */
      for (int64_t i = 0; i < n; ++i) {
        int32_t v;
        memcpy(&v, (const uint8_t *)bytes + tsr_row_offset(d, r) + i * tsr_inner_stride(d), 4);
        f[r * n + i] = (float)v;
      }
      continue;
    }
    tsr_load_f32(d->dtype, (const uint8_t *)bytes + (d->ndim ? tsr_row_offset(d, r) : 0), tsr_inner_stride(d),
                 f + r * n, n);
  }
  *out_n = rows * n;
  return f;
}

/* ---- activation quantization as llama.cpp does it ---- */

/* The block of the 8-bit activation scheme llama.cpp (GGML's CPU backend)
 * dots weights of the case's type with: 32 (Q8_0: d = amax / 127, q
 * rounded with 1 / d, d then stored as f16), 256 (Q8_K, for the k-quants),
 * or 0 (none: the exact product is the only reference). */
static int act_scheme(const conf_case *c) {
  const tsr_tensor *a = &c->op.src[0];
  if (c->op.type != TSR_OP_MATMUL || a->dtype != TSR_DTYPE_F32 || tsr_inner_stride(a) != 4) return 0;
  switch (c->op.src[1].dtype) {
    case TSR_DTYPE_Q8_0:
    case TSR_DTYPE_Q4_0: return 32;
    case TSR_DTYPE_Q4_K:
    case TSR_DTYPE_Q5_K:
    case TSR_DTYPE_Q6_K: return 256;
    default: return 0;
  }
}

/* |x| (n elements) replaced by its 8-bit quantization under |scheme|, read
 * back (q * d). Written plainly, apart from the kernels' quantizers. */
static void act_roundtrip(int scheme, float *x, int64_t n) {
  for (int64_t b = 0; b + scheme <= n; b += scheme) {
    float *xb = x + b, amax = 0.0f, mx = 0.0f;
    for (int i = 0; i < scheme; ++i) {
      if (fabsf(xb[i]) > amax) {
        amax = fabsf(xb[i]);
        mx = xb[i];
      }
    }
    if (amax == 0.0f) continue;
    if (scheme == 32) { /* Q8_0 */
      const float d = amax / 127.0f, id = 1.0f / d, d16 = tsr_fp16_to_f32(tsr_f32_to_fp16(d));
      for (int i = 0; i < 32; ++i) xb[i] = nearbyintf(xb[i] * id) * d16;
    } else { /* Q8_K */
      const float iscale = -127.0f / mx, d = 1.0f / iscale;
      for (int i = 0; i < 256; ++i) xb[i] = fminf(127.0f, nearbyintf(iscale * xb[i])) * d;
    }
  }
}

/* The reference output over the case's activations quantized under
 * act_scheme (NULL if none): malloc'd, dst-sized. */
static void *act_reference(const conf_case *c) {
  const int scheme = act_scheme(c);
  const tsr_kernel *rk = tsr_kernel_reference(&c->op);
  if (scheme == 0 || rk == NULL) return NULL;
  const tsr_tensor *a = &c->op.src[0];
  const int64_t k = a->shape[a->ndim - 1], rows = tsr_rows(a);
  float *aq = malloc(c->bytes[0] ? c->bytes[0] : 1);
  void *out = malloc(c->bytes[TSR_OP_MAX_SRC]);
  memcpy(aq, c->mem[0], c->bytes[0]);
  memcpy(out, c->mem[TSR_OP_MAX_SRC], c->bytes[TSR_OP_MAX_SRC]);
  for (int64_t r = 0; r < rows; ++r) act_roundtrip(scheme, (float *)(void *)((uint8_t *)aq + tsr_row_offset(a, r)), k);
  tsr_op op = c->op;
  op.src[0].data = aq;
  op.dst.data = out;
  void *scratch = malloc((rk->scratch ? rk->scratch(&op) : 0) + 64);
  tsr_kernel_run_serial(rk, &op, &c->dyn, scratch, NULL);
  free(scratch);
  free(aq);
  return out;
}

static bool compare1(const conf_case *c, const void *ref, const void *got, char *why, size_t why_n) {
  int64_t n;
  float *r = to_f32(&c->op.dst, ref, &n), *g = to_f32(&c->op.dst, got, &n);
  double se = 0.0, sr = 0.0, max_err = 0.0, max_ref = 0.0;
  int64_t worst = 0;
  bool nan = false;
  for (int64_t i = 0; i < n; ++i) {
    if (isnan(g[i]) != isnan(r[i])) nan = true;
    double d = (double)g[i] - (double)r[i];
    if (isnan(d)) continue;
    se += d * d;
    sr += (double)r[i] * r[i];
    if (fabs(d) > max_err) { max_err = fabs(d); worst = i; }
    if (fabs(r[i]) > max_ref) max_ref = fabs(r[i]);
  }
  conf_tolerance tol = conf_tolerance_for(c->op.type, c->tol_dtype);
  double nmse = sr > 0 ? se / sr : se;
  double rel = max_err / (max_ref > 1.0 ? max_ref : 1.0);
  bool ok = !nan && nmse <= tol.nmse && rel <= tol.max_abs;
  if (!ok) {
    snprintf(why, why_n, "nmse %.3g (max %.3g), max abs err %.3g (max %.3g) at %lld: got %.7g want %.7g%s", nmse,
             tol.nmse, rel, tol.max_abs, (long long)worst, (double)g[worst], (double)r[worst], nan ? ", NaN mismatch" : "");
  }
  free(r);
  free(g);
  return ok;
}

/* |got| against |ref| and, where the case has one, against the reference
 * over llama.cpp-quantized activations (act_reference, |aref|): passes if
 * within tolerance of either. */
static bool compare(const conf_case *c, const void *ref, const void *aref, const void *got, char *why, size_t why_n) {
  if (compare1(c, ref, got, why, why_n)) return true;
  if (aref == NULL) return false;
  char why2[256];
  if (compare1(c, aref, got, why2, sizeof(why2))) return true;
  size_t l = strlen(why);
  snprintf(why + l, why_n - l, "; against llama.cpp's %s activations: %s",
           act_scheme(c) == 32 ? "Q8_0" : "Q8_K", why2);
  return false;
}

tsr_status conf_create_target(const char *name, uint32_t n_threads, const tsr_allocator *a, tsr_target **out,
                              tsr_error *err) {
  tsr_target_options o = {0};
  o.n_threads = n_threads;
  o.min_split_ns = 1; /* CPU: split every op over the threads, however small */
  o.validation = getenv("TESSERA_VALIDATION") != NULL && strcmp(getenv("TESSERA_VALIDATION"), "0") != 0;
  o.allow_cpu_device = true;
  return tsr_target_create(name, &o, a, out, err);
}

bool conf_run_op(tsr_target *target, const char *target_name, tsr_op_type op, const conf_options *opt,
                 conf_counts *counts) {
  bool all_ok = true;
  uint32_t n = conf_case_count(op, opt->quick);
  tsr_target_caps caps;
  if (tsr_target_get_caps(target, &caps) != TSR_OK) return false;
  tsr_allocator sys = tsr_allocator_system();
  tsr_target *single = NULL;
  if (opt->check_threads && caps.kind == TSR_TARGET_KIND_CPU && caps.n_threads > 1) {
    tsr_error err;
    if (conf_create_target(target_name, 1, &sys, &single, &err) != TSR_OK) single = NULL;
  }
  for (uint32_t i = 0; i < n; ++i) {
    conf_case c;
    make_case(op, i, opt->quick, opt->seed, &c);
    char why[512] = "";
    tsr_error e;
    if (tsr_op_validate(&c.op, &e) != TSR_OK) {
      if (opt->log) fprintf(opt->log, "  INVALID CASE %s %s: %s\n", tsr_op_type_name(op), c.desc, e.message);
      counts->failed++;
      all_ok = false;
      case_free(&c);
      continue;
    }
    if (!tsr_target_supports_op(target, &c.op)) {
      counts->skipped++;
      if (opt->log && opt->verbose) fprintf(opt->log, "  skip %s on %s: %s\n", tsr_op_type_name(op), caps.name, c.desc);
      case_free(&c);
      continue;
    }
    /* Reference on the host. */
    const tsr_kernel *rk = tsr_kernel_reference(&c.op);
    size_t dbytes = c.bytes[TSR_OP_MAX_SRC];
    void *ref = malloc(dbytes), *got = malloc(dbytes), *again = malloc(dbytes);
    memcpy(ref, c.mem[TSR_OP_MAX_SRC], dbytes);
    tsr_op rop = c.op;
    rop.dst.data = ref;
    void *scratch = malloc((rk && rk->scratch ? rk->scratch(&rop) : 0) + 64);
    bool ok = rk != NULL;
    if (!ok) snprintf(why, sizeof(why), "no reference kernel");
    if (ok) tsr_kernel_run_serial(rk, &rop, &c.dyn, scratch, NULL);
    void *aref = ok ? act_reference(&c) : NULL;
    bound b;
    if (ok && bind_case(target, &c, &b, why, sizeof(why)) == TSR_OK) {
      ok = run_bound(target, &b, &c, got, why, sizeof(why)) == TSR_OK && compare(&c, ref, aref, got, why, sizeof(why));
      if (ok) { /* determinism: a second run is bitwise identical */
        ok = run_bound(target, &b, &c, again, why, sizeof(why)) == TSR_OK;
        if (ok && memcmp(got, again, dbytes) != 0) {
          ok = false;
          snprintf(why, sizeof(why), "second run differs bitwise");
        }
      }
      unbind(target, &b);
    } else {
      ok = false;
    }
    if (ok && single != NULL) { /* determinism: 1 thread == N threads */
      bound b1;
      ok = bind_case(single, &c, &b1, why, sizeof(why)) == TSR_OK;
      if (ok) {
        ok = run_bound(single, &b1, &c, again, why, sizeof(why)) == TSR_OK;
        if (ok && memcmp(got, again, dbytes) != 0) {
          ok = false;
          snprintf(why, sizeof(why), "1 thread and %u threads differ bitwise", (unsigned)caps.n_threads);
        }
        unbind(single, &b1);
      }
    }
    if (ok) {
      counts->passed++;
      if (opt->log && opt->verbose) fprintf(opt->log, "  ok   %s on %s: %s\n", tsr_op_type_name(op), caps.name, c.desc);
    } else {
      counts->failed++;
      all_ok = false;
      if (opt->log) fprintf(opt->log, "  FAIL %s on %s: %s: %s\n", tsr_op_type_name(op), caps.name, c.desc, why);
    }
    free(ref);
    free(aref);
    free(got);
    free(again);
    free(scratch);
    case_free(&c);
  }
  if (single) tsr_target_destroy(single);
  return all_ok;
}

/* ---- one kernel on its own ---- */

bool conf_run_kernel(const tsr_kernel *k, const conf_options *opt, conf_counts *counts) {
  bool all_ok = true;
  uint32_t n = conf_case_count(k->op, opt->quick);
  for (uint32_t i = 0; i < n; ++i) {
    conf_case c;
    make_case(k->op, i, opt->quick, opt->seed, &c);
    if (tsr_op_validate(&c.op, NULL) != TSR_OK || (k->match && !k->match(&c.op))) {
      counts->skipped++;
      case_free(&c);
      continue;
    }
    const tsr_kernel *rk = tsr_kernel_reference(&c.op);
    size_t dbytes = c.bytes[TSR_OP_MAX_SRC];
    void *ref = malloc(dbytes), *got = malloc(dbytes), *again = malloc(dbytes);
    memcpy(ref, c.mem[TSR_OP_MAX_SRC], dbytes);
    memcpy(got, c.mem[TSR_OP_MAX_SRC], dbytes);
    memcpy(again, c.mem[TSR_OP_MAX_SRC], dbytes);
    tsr_op rop = c.op;
    rop.dst.data = ref;
    size_t rs = rk ? tsr_kernel_serial_scratch(rk, &rop) : 0, ks = tsr_kernel_serial_scratch(k, &c.op);
    void *rscratch = aligned_alloc(64, (rs + 64 + 63) & ~(size_t)63);
    void *kscratch = aligned_alloc(64, (ks + 64 + 63) & ~(size_t)63);
    void *packed = NULL;
    if (k->packed_size && k->pack) {
      size_t pn = k->packed_size(&c.op);
      if (pn > 0) {
        packed = aligned_alloc(64, (pn + 63) & ~(size_t)63);
        k->pack(&c.op, packed);
      }
    }
    char why[512] = "";
    void *aref = NULL;
    bool ok = rk != NULL;
    if (!ok) snprintf(why, sizeof(why), "no reference kernel");
    if (ok) {
      tsr_kernel_run_serial(rk, &rop, &c.dyn, rscratch, NULL);
      tsr_op kop = c.op;
      kop.dst.data = got;
      tsr_kernel_run_serial(k, &kop, &c.dyn, kscratch, packed);
      kop.dst.data = again;
      tsr_kernel_run_chunked(k, &kop, &c.dyn, kscratch, packed, 1);
      aref = act_reference(&c);
      ok = compare(&c, ref, aref, got, why, sizeof(why));
      if (ok && memcmp(got, again, dbytes) != 0) {
        ok = false;
        snprintf(why, sizeof(why), "serial and chunked runs differ bitwise");
      }
    }
    if (ok) {
      counts->passed++;
      if (opt->log && opt->verbose) fprintf(opt->log, "  ok   %s: %s\n", k->name, c.desc);
    } else {
      counts->failed++;
      all_ok = false;
      if (opt->log) fprintf(opt->log, "  FAIL %s: %s: %s\n", k->name, c.desc, why);
    }
    free(ref);
    free(aref);
    free(got);
    free(again);
    free(rscratch);
    free(kscratch);
    free(packed);
    case_free(&c);
  }
  return all_ok;
}
