/* GGUF models of architecture "llama": hyper-parameters from the llama.*
 * metadata, weights by their llama.cpp tensor names, used in place. The
 * GGUF reader has already checked every offset and extent against the blob;
 * this checks that the model is complete and consistent. Q and K are stored
 * for ggml's RoPE mode 0 (interleaved pairs), which is what the graph uses. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/gguf/gguf.h"
#include "engine/llm/llm_internal.h"

#define FMT(...) TSR_ERROR(err, TSR_ERR_FORMAT, __VA_ARGS__)

static bool has_key(const tsr_gguf *g, const char *key) { return tsr_gguf_find(g, key) >= 0; }

/* Integer |key| (prefix "llama."), or |dflt| when absent and |dflt| >= 0. */
static tsr_status get_int(const tsr_gguf *g, const char *key, int64_t dflt, int64_t lo, int64_t hi, int32_t *out,
                          tsr_error *err) {
  char full[96];
  snprintf(full, sizeof(full), "llama.%s", key);
  int64_t v = dflt;
  if (has_key(g, full)) {
    TSR_TRY(tsr_gguf_get_i64(g, full, &v, err));
  } else if (dflt < 0) {
    return FMT("gguf: metadata key %s is missing", full);
  }
  if (v < lo || v > hi)
    return FMT("gguf: %s = %lld is out of range [%lld, %lld]", full, (long long)v, (long long)lo, (long long)hi);
  *out = (int32_t)v;
  return TSR_OK;
}

static tsr_status get_float(const tsr_gguf *g, const char *key, double dflt, float *out, tsr_error *err) {
  char full[96];
  snprintf(full, sizeof(full), "llama.%s", key);
  double v = dflt;
  if (has_key(g, full)) TSR_TRY(tsr_gguf_get_f64(g, full, &v, err));
  if (!isfinite(v)) return FMT("gguf: %s is not a finite number", full);
  *out = (float)v;
  return TSR_OK;
}

/* Tensor |name| as a Tessera [rows, cols] (or [n]) weight; absent: dtype NONE. */
static tsr_status get_tensor(const tsr_gguf *g, const char *name, int32_t ndim, bool required, tsr_llm_weight *w,
                             tsr_error *err) {
  memset(w, 0, sizeof(*w));
  snprintf(w->name, sizeof(w->name), "%s", name);
  const tsr_gguf_tensor *t = tsr_gguf_find_tensor(g, name);
  if (t == NULL) {
    if (required) return FMT("gguf: tensor %s is missing", name);
    return TSR_OK;
  }
  if (t->dtype == TSR_DTYPE_NONE)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "gguf: tensor %s has type %s, which Tessera does not load", name,
                     tsr_gguf_ggml_type_name(t->ggml_type));
  for (uint32_t i = (uint32_t)ndim; i < t->n_dims && i < 4; ++i) {
    if (t->ne[i] != 1)
      return FMT("gguf: tensor %s has %u dimensions, expected %d", name, (unsigned)t->n_dims, (int)ndim);
  }
  if (t->ne[0] > INT64_MAX / 2 || (ndim > 1 && t->ne[1] > INT64_MAX / 2))
    return FMT("gguf: tensor %s: extent out of range", name);
  w->dtype = t->dtype;
  w->ndim = ndim;
  w->shape[0] = ndim == 1 ? (int64_t)t->ne[0] : (int64_t)t->ne[1];
  w->shape[1] = ndim == 1 ? 1 : (int64_t)t->ne[0];
  w->data = t->data;
  w->nbytes = t->nbytes;
  size_t al = tsr_dtype_is_quantized(t->dtype) ? 2u : tsr_dtype_block_bytes(t->dtype);
  if (al > 4) al = 4;
  if (al > 0 && (uintptr_t)t->data % al != 0)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "gguf: tensor %s data is not %zu-byte aligned (general.alignment)",
                     name, al);
  return TSR_OK;
}

/* The block index of tensor name "blk.N....", or -1. */
static int64_t block_of(tsr_gguf_str name) {
  if (name.len < 5 || memcmp(name.data, "blk.", 4) != 0) return -1;
  int64_t v = 0;
  uint64_t i = 4;
  for (; i < name.len && name.data[i] >= '0' && name.data[i] <= '9' && v < (INT64_C(1) << 40); ++i)
    v = v * 10 + (name.data[i] - '0');
  return (i > 4 && i < name.len && name.data[i] == '.') ? v : -1;
}

/* llama.block_count against the blocks whose tensors the file holds, both
 * ways: more blocks than it says would be silently ignored, fewer fail later
 * on a missing tensor. */
static tsr_status check_blocks(const tsr_gguf *g, int32_t n_layers, tsr_error *err) {
  int64_t top = -1;
  uint64_t top_i = 0;
  for (uint64_t i = 0; i < g->n_tensors; ++i) {
    int64_t b = block_of(g->tensors[i].name);
    if (b > top) {
      top = b;
      top_i = i;
    }
  }
  if (top >= n_layers) {
    const tsr_gguf_str nm = g->tensors[top_i].name;
    return FMT("gguf: llama.block_count = %d, but the file holds tensors of block %lld (%.*s)", (int)n_layers,
               (long long)top, (int)(nm.len > 64 ? 64 : nm.len), nm.data);
  }
  if (top + 1 < n_layers)
    return FMT("gguf: llama.block_count = %d, but the file holds tensors of %lld blocks", (int)n_layers,
               (long long)(top + 1));
  return TSR_OK;
}

/* Metadata against the tensors present, each mismatch naming the key: the
 * head counts and lengths against the shapes of block 0 (check_source then
 * checks every block against the same numbers), the vocabulary against
 * token_embd and output, and every special token id against the vocabulary. */
static tsr_status check_metadata(const tsr_gguf *g, const tsr_llm_source *src, tsr_error *err) {
  const tsr_llm_hparams *hp = &src->hp;
  const tsr_llm_weights *w = &src->w;
  if (w->tok_embd.shape[1] != hp->dim)
    return FMT("gguf: llama.embedding_length = %d, but token_embd.weight rows have %lld elements", (int)hp->dim,
               (long long)w->tok_embd.shape[1]);
  if (hp->n_layers > 0) {
    const tsr_llm_layer *y = &w->layers[0];
    if (y->wq.shape[0] != (int64_t)hp->n_heads * hp->head_dim)
      return FMT("gguf: llama.attention.head_count = %d (head length %d) does not match blk.0.attn_q.weight with "
                 "%lld rows",
                 (int)hp->n_heads, (int)hp->head_dim, (long long)y->wq.shape[0]);
    if (y->wk.shape[0] != (int64_t)hp->n_kv_heads * hp->head_dim)
      return FMT("gguf: llama.attention.head_count_kv = %d and llama.attention.head_count = %d (head length %d) do "
                 "not match blk.0.attn_k.weight with %lld rows",
                 (int)hp->n_kv_heads, (int)hp->n_heads, (int)hp->head_dim, (long long)y->wk.shape[0]);
    if (y->w_gate.shape[0] != hp->hidden_dim)
      return FMT("gguf: llama.feed_forward_length = %d, but blk.0.ffn_gate.weight has %lld rows", (int)hp->hidden_dim,
                 (long long)y->w_gate.shape[0]);
  }
  int64_t nv = 0;
  if (has_key(g, "llama.vocab_size")) {
    TSR_TRY(tsr_gguf_get_i64(g, "llama.vocab_size", &nv, err));
    if (nv != hp->vocab_size)
      return FMT("gguf: llama.vocab_size = %lld, but token_embd.weight has %d rows", (long long)nv,
                 (int)hp->vocab_size);
  }
  const tsr_gguf_kv *toks = tsr_gguf_get_kv(g, "tokenizer.ggml.tokens");
  if (toks != NULL && toks->type == TSR_GGUF_ARRAY && toks->v.arr.n != (uint64_t)hp->vocab_size)
    return FMT("gguf: tokenizer.ggml.tokens has %llu entries, but token_embd.weight has %d rows",
               (unsigned long long)toks->v.arr.n, (int)hp->vocab_size);
  if (!hp->tied_output && w->output.shape[0] != hp->vocab_size)
    return FMT("gguf: output.weight has %lld rows, token_embd.weight %d (the vocabulary)",
               (long long)w->output.shape[0], (int)hp->vocab_size);
  /* tokenizer.ggml.*_token_id: in the vocabulary, or -1 (none). */
  static const char kPre[] = "tokenizer.ggml.", kSuf[] = "_token_id";
  const uint64_t pl = sizeof(kPre) - 1, sl = sizeof(kSuf) - 1;
  for (uint64_t i = 0; i < g->n_kv; ++i) {
    const tsr_gguf_kv *kv = &g->kv[i];
    if (kv->key.len <= pl + sl || memcmp(kv->key.data, kPre, pl) != 0 ||
        memcmp(kv->key.data + kv->key.len - sl, kSuf, sl) != 0)
      continue;
    const int kl = (int)(kv->key.len > 80 ? 80 : kv->key.len);
    int64_t id;
    switch (kv->type) {
      case TSR_GGUF_UINT8:
      case TSR_GGUF_UINT16:
      case TSR_GGUF_UINT32:
        id = kv->v.u64 == UINT32_MAX ? -1 : (int64_t)kv->v.u64;
        break;
      case TSR_GGUF_UINT64:
        id = kv->v.u64 == UINT64_MAX ? -1 : (kv->v.u64 > INT32_MAX ? INT64_MAX : (int64_t)kv->v.u64);
        break;
      case TSR_GGUF_INT8:
      case TSR_GGUF_INT16:
      case TSR_GGUF_INT32:
      case TSR_GGUF_INT64:
        id = kv->v.i64;
        break;
      default:
        return FMT("gguf: %.*s has type %s, not an integer", kl, kv->key.data, tsr_gguf_type_name(kv->type));
    }
    if (id != -1 && (id < 0 || id >= hp->vocab_size))
      return FMT("gguf: %.*s = %lld is outside the vocabulary of %d tokens", kl, kv->key.data, (long long)id,
                 (int)hp->vocab_size);
  }
  return TSR_OK;
}

static tsr_status parse(const tsr_gguf *g, tsr_llm_source *src, const tsr_allocator *a, tsr_error *err) {
  tsr_gguf_str arch;
  TSR_TRY(tsr_gguf_get_str(g, "general.architecture", &arch, err));
  if (!tsr_gguf_str_eq(arch, "llama")) {
    char buf[32];
    size_t n = arch.len < sizeof(buf) - 1 ? (size_t)arch.len : sizeof(buf) - 1;
    memcpy(buf, arch.data, n);
    buf[n] = '\0';
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "gguf: architecture \"%s\" (only \"llama\" runs as a language model)",
                     buf);
  }
  tsr_llm_hparams *hp = &src->hp;
  hp->format = TSR_LLM_FORMAT_GGUF;
  snprintf(hp->arch, sizeof(hp->arch), "llama");
  tsr_gguf_str name;
  if (has_key(g, "general.name") && tsr_gguf_get_str(g, "general.name", &name, NULL) == TSR_OK) {
    size_t n = name.len < sizeof(hp->name) - 1 ? (size_t)name.len : sizeof(hp->name) - 1;
    memcpy(hp->name, name.data, n);
    hp->name[n] = '\0';
  }
  int32_t experts = 0;
  TSR_TRY(get_int(g, "expert_count", 0, 0, INT32_MAX, &experts, err));
  if (experts > 0)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "gguf: llama.expert_count = %d (mixture of experts is not supported)",
                     (int)experts);
  TSR_TRY(get_int(g, "embedding_length", -1, 1, TSR_LLM_MAX_DIM, &hp->dim, err));
  /* Before anything is derived from it. */
  const tsr_gguf_tensor *te = tsr_gguf_find_tensor(g, "token_embd.weight");
  if (te != NULL && te->ne[0] != (uint64_t)hp->dim)
    return FMT("gguf: llama.embedding_length = %d, but token_embd.weight rows have %llu elements", (int)hp->dim,
               (unsigned long long)te->ne[0]);
  TSR_TRY(get_int(g, "block_count", -1, 1, TSR_LLM_MAX_LAYERS, &hp->n_layers, err));
  TSR_TRY(get_int(g, "feed_forward_length", -1, 1, TSR_LLM_MAX_DIM, &hp->hidden_dim, err));
  TSR_TRY(get_int(g, "attention.head_count", -1, 1, hp->dim, &hp->n_heads, err));
  TSR_TRY(get_int(g, "attention.head_count_kv", hp->n_heads, 1, hp->n_heads, &hp->n_kv_heads, err));
  if (hp->n_heads % hp->n_kv_heads != 0)
    return FMT("gguf: llama.attention.head_count %d is not a multiple of head_count_kv %d", (int)hp->n_heads,
               (int)hp->n_kv_heads);
  int32_t hd_default = hp->dim % hp->n_heads == 0 ? hp->dim / hp->n_heads : -1;
  int32_t kl = 0, vl = 0;
  TSR_TRY(get_int(g, "attention.key_length", hd_default, 1, TSR_LLM_MAX_DIM, &kl, err));
  TSR_TRY(get_int(g, "attention.value_length", kl, 1, TSR_LLM_MAX_DIM, &vl, err));
  if (kl != vl)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "gguf: key_length %d differs from value_length %d", (int)kl, (int)vl);
  hp->head_dim = kl;
  TSR_TRY(get_int(g, "context_length", 2048, 1, INT32_MAX, &hp->train_ctx, err));
  TSR_TRY(get_int(g, "rope.dimension_count", hp->head_dim, 2, hp->head_dim, &hp->rope_dims, err));
  if (hp->rope_dims % 2 != 0) return FMT("gguf: llama.rope.dimension_count %d is odd", (int)hp->rope_dims);
  TSR_TRY(get_float(g, "rope.freq_base", 10000.0, &hp->rope_base, err));
  TSR_TRY(get_float(g, "attention.layer_norm_rms_epsilon", 1e-5, &hp->norm_eps, err));
  hp->rope_mode = TSR_ROPE_INTERLEAVED;
  /* RoPE scaling: linear (factor), or per-frequency factors (llama3). */
  float factor = 1.0f;
  if (has_key(g, "llama.rope.scaling.type")) {
    tsr_gguf_str st;
    TSR_TRY(tsr_gguf_get_str(g, "llama.rope.scaling.type", &st, err));
    if (tsr_gguf_str_eq(st, "linear")) {
      TSR_TRY(get_float(g, "rope.scaling.factor", 1.0, &factor, err));
    } else if (!tsr_gguf_str_eq(st, "none")) {
      char buf[32];
      size_t n = st.len < sizeof(buf) - 1 ? (size_t)st.len : sizeof(buf) - 1;
      memcpy(buf, st.data, n);
      buf[n] = '\0';
      return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "gguf: llama.rope.scaling.type \"%s\" (none and linear are supported)",
                       buf);
    }
  } else if (has_key(g, "llama.rope.scale_linear")) {
    TSR_TRY(get_float(g, "rope.scale_linear", 1.0, &factor, err));
  }
  if (factor == 0.0f) factor = 1.0f;
  if (!(factor > 0.0f)) return FMT("gguf: rope scaling factor %g must be > 0", (double)factor);
  hp->rope_freq_scale = 1.0f / factor;
  /* Special tokens (the tokenizer reads them too; the model needs BOS/EOS). */
  src->bos = -1;
  src->eos = -1;
  src->add_bos = true;
  uint64_t u;
  if (has_key(g, "tokenizer.ggml.bos_token_id") && tsr_gguf_get_u64(g, "tokenizer.ggml.bos_token_id", &u, NULL) == TSR_OK &&
      u < INT32_MAX)
    src->bos = (int32_t)u;
  if (has_key(g, "tokenizer.ggml.eos_token_id") && tsr_gguf_get_u64(g, "tokenizer.ggml.eos_token_id", &u, NULL) == TSR_OK &&
      u < INT32_MAX)
    src->eos = (int32_t)u;

  /* Tensors. */
  TSR_TRY(check_blocks(g, hp->n_layers, err));
  tsr_llm_weights *w = &src->w;
  TSR_TRY(get_tensor(g, "token_embd.weight", 2, true, &w->tok_embd, err));
  TSR_TRY(get_tensor(g, "output_norm.weight", 1, true, &w->output_norm, err));
  TSR_TRY(get_tensor(g, "output.weight", 2, false, &w->output, err));
  if (w->output.dtype == TSR_DTYPE_NONE) {
    w->output = w->tok_embd;
    hp->tied_output = true;
  }
  TSR_TRY(get_tensor(g, "rope_freqs.weight", 1, false, &w->rope_freqs, err));
  hp->rope_freq_factors = w->rope_freqs.dtype != TSR_DTYPE_NONE;
  if (w->tok_embd.shape[0] > INT32_MAX) return FMT("gguf: token_embd.weight has too many rows");
  hp->vocab_size = (int32_t)w->tok_embd.shape[0];
  hp->weight_dtype = w->tok_embd.dtype;
  w->layers = tsr_alloc(a, sizeof(tsr_llm_layer) * (size_t)hp->n_layers, 0);
  if (w->layers == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "gguf: %d layer tables", (int)hp->n_layers);
  memset(w->layers, 0, sizeof(tsr_llm_layer) * (size_t)hp->n_layers);
  for (int32_t l = 0; l < hp->n_layers; ++l) {
    tsr_llm_layer *y = &w->layers[l];
    char nm[64];
#define LT(field, suffix, ndim)                                      \
  snprintf(nm, sizeof(nm), "blk.%d.%s", (int)l, suffix);             \
  TSR_TRY(get_tensor(g, nm, ndim, true, &y->field, err))
    LT(attn_norm, "attn_norm.weight", 1);
    LT(wq, "attn_q.weight", 2);
    LT(wk, "attn_k.weight", 2);
    LT(wv, "attn_v.weight", 2);
    LT(wo, "attn_output.weight", 2);
    LT(ffn_norm, "ffn_norm.weight", 1);
    LT(w_gate, "ffn_gate.weight", 2);
    LT(w_up, "ffn_up.weight", 2);
    LT(w_down, "ffn_down.weight", 2);
#undef LT
  }
  /* The matmul weights' dominant type, for tsr info. */
  if (hp->n_layers > 0) hp->weight_dtype = w->layers[0].w_gate.dtype;
  return check_metadata(g, src, err);
}

tsr_status tsr_llm_parse_gguf(const void *data, size_t size, const tsr_allocator *a, tsr_llm_source *src,
                              struct tsr_gguf **out_gguf, tsr_error *err) {
  if (data == NULL || a == NULL || src == NULL || out_gguf == NULL)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "gguf: NULL argument");
  tsr_gguf *g = NULL;
  TSR_TRY(tsr_gguf_parse(data, size, a, &g, err));
  memset(src, 0, sizeof(*src));
  tsr_status s = parse(g, src, a, err);
  if (s != TSR_OK) {
    tsr_free(a, src->w.layers);
    src->w.layers = NULL;
    tsr_gguf_free(g);
    return s;
  }
  *out_gguf = g;
  return TSR_OK;
}
