/* The Llama forward pass as a graph of HAL ops (see tessera/llm.h for the
 * op sequence). Nothing here computes: it only declares tensors and nodes;
 * every bit of math runs in the targets' kernels. */
#include <stdio.h>
#include <string.h>

#include "engine/llm/llm_internal.h"

#define FMT(...) TSR_ERROR(err, TSR_ERR_FORMAT, __VA_ARGS__)

static bool is_matmul_dtype(tsr_dtype t) {
  switch (t) {
    case TSR_DTYPE_F32:
    case TSR_DTYPE_F16:
    case TSR_DTYPE_BF16:
    case TSR_DTYPE_Q8_0:
    case TSR_DTYPE_Q4_0:
    case TSR_DTYPE_Q4_K:
    case TSR_DTYPE_Q5_K:
    case TSR_DTYPE_Q6_K: return true;
    default: return false;
  }
}

static tsr_status check_w(const tsr_llm_weight *w, int32_t ndim, int64_t d0, int64_t d1, bool f32_only,
                          tsr_error *err) {
  if (w->data == NULL || w->dtype == TSR_DTYPE_NONE) return FMT("model: tensor %s is missing", w->name);
  bool shape_ok = w->ndim == ndim && w->shape[0] == d0 && (ndim == 1 || w->shape[1] == d1);
  if (!shape_ok) {
    if (ndim == 1)
      return FMT("model: tensor %s has shape [%lld%s], expected [%lld]", w->name, (long long)w->shape[0],
                 w->ndim > 1 ? ", ..." : "", (long long)d0);
    return FMT("model: tensor %s has shape [%lld, %lld], expected [%lld, %lld]", w->name, (long long)w->shape[0],
               (long long)(w->ndim > 1 ? w->shape[1] : 1), (long long)d0, (long long)d1);
  }
  if (f32_only ? w->dtype != TSR_DTYPE_F32 : !is_matmul_dtype(w->dtype))
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "model: tensor %s has type %s, %s", w->name, tsr_dtype_name(w->dtype),
                     f32_only ? "only f32 is supported for it" : "which matmul does not take");
  if (tsr_dtype_is_quantized(w->dtype) && w->shape[w->ndim - 1] % tsr_dtype_block_size(w->dtype) != 0)
    return FMT("model: tensor %s: row length %lld is not a multiple of the %s block", w->name,
               (long long)w->shape[w->ndim - 1], tsr_dtype_name(w->dtype));
  return TSR_OK;
}

tsr_status tsr_llm_check_source(const tsr_llm_source *src, tsr_error *err) {
  const tsr_llm_hparams *hp = &src->hp;
  const tsr_llm_weights *w = &src->w;
  if (hp->dim <= 0 || hp->hidden_dim <= 0 || hp->n_layers <= 0 || hp->n_heads <= 0 || hp->n_kv_heads <= 0 ||
      hp->head_dim <= 0 || hp->vocab_size <= 0)
    return FMT("model: non-positive dimension (dim %d, hidden %d, layers %d, heads %d, kv heads %d, head_dim %d, "
               "vocab %d)",
               (int)hp->dim, (int)hp->hidden_dim, (int)hp->n_layers, (int)hp->n_heads, (int)hp->n_kv_heads,
               (int)hp->head_dim, (int)hp->vocab_size);
  if (hp->n_heads % hp->n_kv_heads != 0)
    return FMT("model: n_heads %d is not a multiple of n_kv_heads %d", (int)hp->n_heads, (int)hp->n_kv_heads);
  if (hp->rope_dims <= 0 || hp->rope_dims > hp->head_dim || hp->rope_dims % 2 != 0)
    return FMT("model: rope dimension count %d must be even and in [2, head_dim = %d]", (int)hp->rope_dims,
               (int)hp->head_dim);
  if (!(hp->rope_base > 0.0f)) return FMT("model: rope frequency base %g must be > 0", (double)hp->rope_base);
  if (!(hp->rope_freq_scale > 0.0f)) return FMT("model: rope frequency scale %g must be > 0", (double)hp->rope_freq_scale);
  if (!(hp->norm_eps >= 0.0f)) return FMT("model: RMSNorm epsilon %g must be >= 0", (double)hp->norm_eps);
  if (hp->train_ctx <= 0) return FMT("model: context length %d must be > 0", (int)hp->train_ctx);
  const int64_t q_dim = (int64_t)hp->n_heads * hp->head_dim, kv_dim = (int64_t)hp->n_kv_heads * hp->head_dim;
  TSR_TRY(check_w(&w->tok_embd, 2, hp->vocab_size, hp->dim, false, err));
  TSR_TRY(check_w(&w->output_norm, 1, hp->dim, 1, true, err));
  TSR_TRY(check_w(&w->output, 2, hp->vocab_size, hp->dim, false, err));
  if (hp->rope_freq_factors) TSR_TRY(check_w(&w->rope_freqs, 1, hp->rope_dims / 2, 1, true, err));
  for (int32_t l = 0; l < hp->n_layers; ++l) {
    const tsr_llm_layer *y = &w->layers[l];
    TSR_TRY(check_w(&y->attn_norm, 1, hp->dim, 1, true, err));
    TSR_TRY(check_w(&y->wq, 2, q_dim, hp->dim, false, err));
    TSR_TRY(check_w(&y->wk, 2, kv_dim, hp->dim, false, err));
    TSR_TRY(check_w(&y->wv, 2, kv_dim, hp->dim, false, err));
    TSR_TRY(check_w(&y->wo, 2, hp->dim, q_dim, false, err));
    TSR_TRY(check_w(&y->ffn_norm, 1, hp->dim, 1, true, err));
    TSR_TRY(check_w(&y->w_gate, 2, hp->hidden_dim, hp->dim, false, err));
    TSR_TRY(check_w(&y->w_up, 2, hp->hidden_dim, hp->dim, false, err));
    TSR_TRY(check_w(&y->w_down, 2, hp->dim, hp->hidden_dim, false, err));
  }
  return TSR_OK;
}

/* ---- graph building ---- */

typedef struct builder {
  tsr_graph *g;
  tsr_error *err;
  char name[TSR_NAME_MAX];
} builder;

static tsr_status gfail(builder *b, tsr_status s) {
  if (s != TSR_OK) tsr_error_copy(b->err, tsr_graph_error(b->g));
  return s;
}

static tsr_status add_tensor(builder *b, tsr_tensor_kind kind, tsr_dtype dt, int32_t ndim, int64_t d0, int64_t d1,
                             int64_t d2, const void *data, const char *name, int32_t *out) {
  tsr_tensor_desc d;
  memset(&d, 0, sizeof(d));
  d.name = name;
  d.kind = kind;
  d.dtype = dt;
  d.ndim = ndim;
  d.shape[0] = d0;
  d.shape[1] = d1;
  d.shape[2] = d2;
  d.data = data;
  return gfail(b, tsr_graph_add_tensor(b->g, &d, out));
}

/* An intermediate f32 tensor named "<what>.<layer>.<T>". */
static tsr_status tmp(builder *b, const char *what, int32_t layer, int32_t t, int32_t ndim, int64_t d0, int64_t d1,
                      int64_t d2, int32_t *out) {
  if (layer >= 0)
    snprintf(b->name, sizeof(b->name), "%s.%d.t%d", what, (int)layer, (int)t);
  else
    snprintf(b->name, sizeof(b->name), "%s.t%d", what, (int)t);
  return add_tensor(b, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, ndim, d0, d1, d2, NULL, b->name, out);
}

static tsr_status view(builder *b, int32_t base, const char *what, int32_t ndim, int64_t d0, int64_t d1, int64_t d2,
                       uint64_t offset, int32_t *out) {
  int64_t shape[3] = {d0, d1, d2};
  snprintf(b->name, sizeof(b->name), "%s.view", what);
  return gfail(b, tsr_graph_add_view(b->g, base, b->name, ndim, shape, NULL, offset, out));
}

static tsr_status node(builder *b, tsr_op_type type, const tsr_op_params *p, int32_t s0, int32_t s1, int32_t s2,
                       uint32_t n_src, int32_t dst) {
  int32_t srcs[3] = {s0, s1, s2};
  return gfail(b, tsr_graph_add_node(b->g, type, p, srcs, n_src, dst, tsr_graph_tensor_name(b->g, dst)));
}

static tsr_status weight(builder *b, const tsr_llm_weight *w, int32_t *out) {
  return add_tensor(b, TSR_TENSOR_CONST, w->dtype, w->ndim, w->shape[0], w->shape[1], 1, w->data, w->name, out);
}

typedef struct layer_ids {
  int32_t attn_norm, wq, wk, wv, wo, ffn_norm, w_gate, w_up, w_down, kcache, vcache;
} layer_ids;

tsr_status tsr_llm_build_graph(tsr_graph *g, const tsr_llm_source *src, int32_t n_ctx, tsr_dtype kv_dtype,
                               int32_t max_batch, tsr_llm_graph_ids *ids, tsr_error *err) {
  const tsr_llm_hparams *hp = &src->hp;
  const tsr_llm_weights *w = &src->w;
  builder bb = {g, err, {0}}, *b = &bb;
  if (n_ctx <= 0) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "llm: context length %d", (int)n_ctx);
  if (kv_dtype != TSR_DTYPE_F32 && kv_dtype != TSR_DTYPE_F16)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "llm: KV cache type %s (f32 or f16)", tsr_dtype_name(kv_dtype));
  memset(ids, 0, sizeof(*ids));
  const int64_t dim = hp->dim, hd = hp->head_dim, nh = hp->n_heads, nkv = hp->n_kv_heads;
  const int64_t q_dim = nh * hd, kv_dim = nkv * hd, ff = hp->hidden_dim, vocab = hp->vocab_size;

  /* Weights, shared by every entry. */
  int32_t tok_embd, out_norm, output, rope_freqs = -1;
  TSR_TRY(weight(b, &w->tok_embd, &tok_embd));
  if (w->output.data == w->tok_embd.data && w->output.dtype == w->tok_embd.dtype)
    output = tok_embd;
  else
    TSR_TRY(weight(b, &w->output, &output));
  TSR_TRY(weight(b, &w->output_norm, &out_norm));
  if (hp->rope_freq_factors) TSR_TRY(weight(b, &w->rope_freqs, &rope_freqs));
  /* Per layer: 9 weights and 2 caches, added in this order (so layer l's
   * tensors start at layer0 + 11 * l). */
  int32_t layer0 = -1;
  for (int32_t l = 0; l < hp->n_layers; ++l) {
    const tsr_llm_layer *y = &w->layers[l];
    layer_ids li;
    TSR_TRY(weight(b, &y->attn_norm, &li.attn_norm));
    if (l == 0) layer0 = li.attn_norm;
    TSR_TRY(weight(b, &y->wq, &li.wq));
    TSR_TRY(weight(b, &y->wk, &li.wk));
    TSR_TRY(weight(b, &y->wv, &li.wv));
    TSR_TRY(weight(b, &y->wo, &li.wo));
    TSR_TRY(weight(b, &y->ffn_norm, &li.ffn_norm));
    TSR_TRY(weight(b, &y->w_gate, &li.w_gate));
    TSR_TRY(weight(b, &y->w_up, &li.w_up));
    TSR_TRY(weight(b, &y->w_down, &li.w_down));
    char nm[48];
    snprintf(nm, sizeof(nm), "cache_k.%d", (int)l);
    TSR_TRY(add_tensor(b, TSR_TENSOR_STATE, kv_dtype, 3, n_ctx, nkv, hd, NULL, nm, &li.kcache));
    snprintf(nm, sizeof(nm), "cache_v.%d", (int)l);
    TSR_TRY(add_tensor(b, TSR_TENSOR_STATE, kv_dtype, 3, n_ctx, nkv, hd, NULL, nm, &li.vcache));
    if (li.vcache != li.attn_norm + 10)
      return TSR_ERROR(err, TSR_ERR_STATE, "llm: unexpected tensor numbering in layer %d", (int)l);
  }
  ids->kv_bytes = 2u * (uint64_t)hp->n_layers * (uint64_t)n_ctx * (uint64_t)kv_dim * tsr_dtype_block_bytes(kv_dtype);
  TSR_TRY(add_tensor(b, TSR_TENSOR_OUTPUT, TSR_DTYPE_F32, 2, 1, vocab, 1, NULL, "logits", &ids->logits));

  /* Batch sizes: 1, 4, 16, ... */
  if (max_batch <= 0) max_batch = 64;
  int32_t t = 1;
  while (ids->n_entries < TSR_LLM_MAX_ENTRIES && t <= max_batch && t <= n_ctx) {
    ids->batch[ids->n_entries++] = t;
    if (t > INT32_MAX / 4) break;
    t *= 4;
  }

  for (uint32_t e = 0; e < ids->n_entries; ++e) {
    const int32_t T = ids->batch[e];
    TSR_TRY(gfail(b, tsr_graph_set_entry(g, e)));
    char nm[48];
    snprintf(nm, sizeof(nm), "tokens.t%d", (int)T);
    tsr_tensor_desc d;
    memset(&d, 0, sizeof(d));
    d.name = nm;
    d.kind = TSR_TENSOR_INPUT;
    d.dtype = TSR_DTYPE_I32;
    d.ndim = 1;
    d.shape[0] = T;
    d.entry_mask = 1u << e;
    TSR_TRY(gfail(b, tsr_graph_add_tensor(g, &d, &ids->tokens[e])));

    tsr_op_params p;
    int32_t x;
    TSR_TRY(tmp(b, "embd", -1, T, 2, T, dim, 1, &x));
    memset(&p, 0, sizeof(p));
    TSR_TRY(node(b, TSR_OP_GET_ROWS, &p, tok_embd, ids->tokens[e], -1, 2, x));

    for (int32_t l = 0; l < hp->n_layers; ++l) {
      const int32_t base = layer0 + l * 11;
      const layer_ids li = {base, base + 1, base + 2, base + 3, base + 4, base + 5,
                            base + 6, base + 7, base + 8, base + 9, base + 10};
      int32_t h, q, k, v, q3, k3, v3, qr, kr, att, att2, o, x2, h2, gt, up, act, down, x3;
      /* Attention block. */
      TSR_TRY(tmp(b, "attn_in", l, T, 2, T, dim, 1, &h));
      memset(&p, 0, sizeof(p));
      p.norm.eps = hp->norm_eps;
      TSR_TRY(node(b, TSR_OP_RMSNORM, &p, x, li.attn_norm, -1, 2, h));
      memset(&p, 0, sizeof(p));
      TSR_TRY(tmp(b, "q", l, T, 2, T, q_dim, 1, &q));
      TSR_TRY(node(b, TSR_OP_MATMUL, &p, h, li.wq, -1, 2, q));
      TSR_TRY(tmp(b, "k", l, T, 2, T, kv_dim, 1, &k));
      TSR_TRY(node(b, TSR_OP_MATMUL, &p, h, li.wk, -1, 2, k));
      TSR_TRY(tmp(b, "v", l, T, 2, T, kv_dim, 1, &v));
      TSR_TRY(node(b, TSR_OP_MATMUL, &p, h, li.wv, -1, 2, v));
      TSR_TRY(view(b, q, "q", 3, T, nh, hd, 0, &q3));
      TSR_TRY(view(b, k, "k", 3, T, nkv, hd, 0, &k3));
      TSR_TRY(view(b, v, "v", 3, T, nkv, hd, 0, &v3));
      memset(&p, 0, sizeof(p));
      p.rope.n_dims = hp->rope_dims;
      p.rope.mode = hp->rope_mode;
      p.rope.freq_base = hp->rope_base;
      p.rope.freq_scale = hp->rope_freq_scale;
      p.rope.pos = TSR_DYN_SLOT(0, 0);
      TSR_TRY(tmp(b, "q_rope", l, T, 3, T, nh, hd, &qr));
      TSR_TRY(node(b, TSR_OP_ROPE, &p, q3, rope_freqs, -1, rope_freqs >= 0 ? 2 : 1, qr));
      TSR_TRY(tmp(b, "k_rope", l, T, 3, T, nkv, hd, &kr));
      TSR_TRY(node(b, TSR_OP_ROPE, &p, k3, rope_freqs, -1, rope_freqs >= 0 ? 2 : 1, kr));
      memset(&p, 0, sizeof(p));
      p.set_rows.pos = TSR_DYN_SLOT(0, 0);
      TSR_TRY(node(b, TSR_OP_SET_ROWS, &p, kr, -1, -1, 1, li.kcache));
      TSR_TRY(node(b, TSR_OP_SET_ROWS, &p, v3, -1, -1, 1, li.vcache));
      memset(&p, 0, sizeof(p));
      p.attention.causal = true;
      p.attention.q_pos = TSR_DYN_SLOT(0, 0);
      p.attention.kv_len = TSR_DYN_SLOT(0, T);
      TSR_TRY(tmp(b, "attn", l, T, 3, T, nh, hd, &att));
      TSR_TRY(node(b, TSR_OP_ATTENTION, &p, qr, li.kcache, li.vcache, 3, att));
      TSR_TRY(view(b, att, "attn", 2, T, q_dim, 1, 0, &att2));
      memset(&p, 0, sizeof(p));
      TSR_TRY(tmp(b, "attn_out", l, T, 2, T, dim, 1, &o));
      TSR_TRY(node(b, TSR_OP_MATMUL, &p, att2, li.wo, -1, 2, o));
      p.binary.kind = TSR_BINARY_ADD;
      TSR_TRY(tmp(b, "resid_attn", l, T, 2, T, dim, 1, &x2));
      TSR_TRY(node(b, TSR_OP_BINARY, &p, x, o, -1, 2, x2));
      /* Feed-forward block. */
      memset(&p, 0, sizeof(p));
      p.norm.eps = hp->norm_eps;
      TSR_TRY(tmp(b, "ffn_in", l, T, 2, T, dim, 1, &h2));
      TSR_TRY(node(b, TSR_OP_RMSNORM, &p, x2, li.ffn_norm, -1, 2, h2));
      memset(&p, 0, sizeof(p));
      TSR_TRY(tmp(b, "ffn_gate", l, T, 2, T, ff, 1, &gt));
      TSR_TRY(node(b, TSR_OP_MATMUL, &p, h2, li.w_gate, -1, 2, gt));
      TSR_TRY(tmp(b, "ffn_up", l, T, 2, T, ff, 1, &up));
      TSR_TRY(node(b, TSR_OP_MATMUL, &p, h2, li.w_up, -1, 2, up));
      p.binary.kind = TSR_BINARY_SWIGLU;
      TSR_TRY(tmp(b, "ffn_act", l, T, 2, T, ff, 1, &act));
      TSR_TRY(node(b, TSR_OP_BINARY, &p, gt, up, -1, 2, act));
      memset(&p, 0, sizeof(p));
      TSR_TRY(tmp(b, "ffn_down", l, T, 2, T, dim, 1, &down));
      TSR_TRY(node(b, TSR_OP_MATMUL, &p, act, li.w_down, -1, 2, down));
      p.binary.kind = TSR_BINARY_ADD;
      TSR_TRY(tmp(b, "resid_ffn", l, T, 2, T, dim, 1, &x3));
      TSR_TRY(node(b, TSR_OP_BINARY, &p, x2, down, -1, 2, x3));
      x = x3;
    }
    /* Only the last row goes through the classifier. */
    int32_t last, xn;
    TSR_TRY(view(b, x, "last", 2, 1, dim, 1, (uint64_t)(T - 1) * (uint64_t)dim * 4u, &last));
    memset(&p, 0, sizeof(p));
    p.norm.eps = hp->norm_eps;
    TSR_TRY(tmp(b, "out_norm", -1, T, 2, 1, dim, 1, &xn));
    TSR_TRY(node(b, TSR_OP_RMSNORM, &p, last, out_norm, -1, 2, xn));
    memset(&p, 0, sizeof(p));
    TSR_TRY(node(b, TSR_OP_MATMUL, &p, xn, output, -1, 2, ids->logits));
  }
  return gfail(b, tsr_graph_set_entry(g, 0));
}
