/* The llama2.c legacy checkpoint (export.py --version 0, the stories*.bin
 * files): a 7 x int32 header, then float32 tensors in a fixed order. Every
 * header field is range-checked and every tensor's extent checked against
 * the blob before the tensor is used. */
#include <stdio.h>
#include <string.h>

#include "engine/llm/llm_internal.h"

#define FMT(...) TSR_ERROR(err, TSR_ERR_FORMAT, __VA_ARGS__)

static int32_t rd_i32(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof(v));
  return v;
}

/* Takes |count| f32 elements at *off as field |field|. */
static tsr_status take(const char *field, uint64_t count, size_t size, uint64_t *off,
                       uint64_t *out_off, tsr_error *err) {
  uint64_t bytes = count * 4u;
  if (*off > size || bytes > (uint64_t)size - *off)
    return FMT("llama2.c: the file ends inside %s (needs bytes %llu..%llu, the file has %llu)", field,
               (unsigned long long)*off, (unsigned long long)(*off + bytes), (unsigned long long)size);
  *out_off = *off;
  *off += bytes;
  return TSR_OK;
}

static void set_weight(tsr_llm_weight *w, const char *name, const uint8_t *base, uint64_t off,
                       int32_t ndim, int64_t d0, int64_t d1) {
  memset(w, 0, sizeof(*w));
  snprintf(w->name, sizeof(w->name), "%s", name);
  w->dtype = TSR_DTYPE_F32;
  w->ndim = ndim;
  w->shape[0] = d0;
  w->shape[1] = ndim > 1 ? d1 : 1;
  w->data = base + off;
  w->nbytes = (uint64_t)d0 * (uint64_t)(ndim > 1 ? d1 : 1) * 4u;
}

static tsr_status check_range(const char *field, int64_t v, int64_t lo, int64_t hi, tsr_error *err) {
  if (v < lo || v > hi)
    return FMT("llama2.c header: %s = %lld is out of range [%lld, %lld]", field, (long long)v, (long long)lo,
               (long long)hi);
  return TSR_OK;
}

tsr_status tsr_llm_parse_llama2c(const void *data, size_t size, const tsr_allocator *a, tsr_llm_source *src,
                                 tsr_error *err) {
  if (data == NULL || a == NULL || src == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "llama2.c: NULL argument");
  if ((uintptr_t)data % 4u != 0)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "llama2.c: the blob must be 4-byte aligned");
  const uint8_t *b = data;
  if (size < 28) return FMT("llama2.c header: the file has %llu bytes, the 7-int header needs 28", (unsigned long long)size);
  uint32_t magic;
  memcpy(&magic, b, 4);
  if (magic == 0x616b3432u)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED,
                     "llama2.c: checkpoint version %d (magic \"ak42\"): only the legacy format (export --version 0) "
                     "is supported",
                     size >= 8 ? (int)rd_i32(b + 4) : -1);
  const int32_t dim = rd_i32(b), hidden = rd_i32(b + 4), n_layers = rd_i32(b + 8), n_heads = rd_i32(b + 12),
                n_kv = rd_i32(b + 16), vocab_raw = rd_i32(b + 20), seq_len = rd_i32(b + 24);
  TSR_TRY(check_range("dim", dim, 1, TSR_LLM_MAX_DIM, err));
  TSR_TRY(check_range("hidden_dim", hidden, 1, TSR_LLM_MAX_DIM, err));
  TSR_TRY(check_range("n_layers", n_layers, 1, TSR_LLM_MAX_LAYERS, err));
  TSR_TRY(check_range("n_heads", n_heads, 1, dim, err));
  TSR_TRY(check_range("n_kv_heads", n_kv, 1, n_heads, err));
  TSR_TRY(check_range("seq_len", seq_len, 1, 1 << 24, err));
  if (vocab_raw == 0 || vocab_raw < -(1 << 24) || vocab_raw > (1 << 24))
    return FMT("llama2.c header: vocab_size = %d is out of range [1, %d] (negative: separate classifier)",
               (int)vocab_raw, 1 << 24);
  if (dim % n_heads != 0) return FMT("llama2.c header: dim = %d is not a multiple of n_heads = %d", (int)dim, (int)n_heads);
  if (n_heads % n_kv != 0)
    return FMT("llama2.c header: n_heads = %d is not a multiple of n_kv_heads = %d", (int)n_heads, (int)n_kv);
  const int32_t head = dim / n_heads;
  if (head % 2 != 0) return FMT("llama2.c header: head size dim / n_heads = %d is odd (RoPE needs pairs)", (int)head);
  const bool shared = vocab_raw > 0;
  const int64_t vocab = shared ? vocab_raw : -(int64_t)vocab_raw;
  const int64_t kv_dim = (int64_t)n_kv * head, L = n_layers;

  /* Offsets of every field, each checked against the file. */
  uint64_t off = 28, o_emb = 0, o_rms_att = 0, o_wq = 0, o_wk = 0, o_wv = 0, o_wo = 0, o_rms_ffn = 0, o_w1 = 0,
           o_w2 = 0, o_w3 = 0, o_rms_final = 0, o_fr = 0, o_fi = 0, o_wcls = 0;
  TSR_TRY(take("token_embedding_table", (uint64_t)vocab * dim, size, &off, &o_emb, err));
  TSR_TRY(take("rms_att_weight", (uint64_t)L * dim, size, &off, &o_rms_att, err));
  TSR_TRY(take("wq", (uint64_t)L * dim * dim, size, &off, &o_wq, err));
  TSR_TRY(take("wk", (uint64_t)L * kv_dim * dim, size, &off, &o_wk, err));
  TSR_TRY(take("wv", (uint64_t)L * kv_dim * dim, size, &off, &o_wv, err));
  TSR_TRY(take("wo", (uint64_t)L * dim * dim, size, &off, &o_wo, err));
  TSR_TRY(take("rms_ffn_weight", (uint64_t)L * dim, size, &off, &o_rms_ffn, err));
  TSR_TRY(take("w1", (uint64_t)L * hidden * dim, size, &off, &o_w1, err));
  TSR_TRY(take("w2", (uint64_t)L * dim * hidden, size, &off, &o_w2, err));
  TSR_TRY(take("w3", (uint64_t)L * hidden * dim, size, &off, &o_w3, err));
  TSR_TRY(take("rms_final_weight", (uint64_t)dim, size, &off, &o_rms_final, err));
  TSR_TRY(take("freq_cis_real", (uint64_t)seq_len * (head / 2), size, &off, &o_fr, err));
  TSR_TRY(take("freq_cis_imag", (uint64_t)seq_len * (head / 2), size, &off, &o_fi, err));
  if (!shared) TSR_TRY(take("wcls", (uint64_t)vocab * dim, size, &off, &o_wcls, err));
  if (off != size)
    return FMT("llama2.c: %llu bytes follow the last tensor (%s): the header (dim %d, hidden_dim %d, n_layers %d, "
               "n_heads %d, n_kv_heads %d, vocab_size %d, seq_len %d) describes a %llu-byte file",
               (unsigned long long)(size - off), shared ? "freq_cis_imag" : "wcls", (int)dim, (int)hidden,
               (int)n_layers, (int)n_heads, (int)n_kv, (int)vocab_raw, (int)seq_len, (unsigned long long)off);
  (void)o_fr;
  (void)o_fi;

  tsr_llm_layer *layers = tsr_alloc(a, sizeof(tsr_llm_layer) * (size_t)L, 0);
  if (layers == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "llama2.c: %d layer tables", (int)n_layers);
  memset(src, 0, sizeof(*src));
  tsr_llm_hparams *hp = &src->hp;
  hp->format = TSR_LLM_FORMAT_LLAMA2C;
  snprintf(hp->arch, sizeof(hp->arch), "llama");
  hp->vocab_size = (int32_t)vocab;
  hp->dim = dim;
  hp->hidden_dim = hidden;
  hp->n_layers = n_layers;
  hp->n_heads = n_heads;
  hp->n_kv_heads = n_kv;
  hp->head_dim = head;
  hp->train_ctx = seq_len;
  hp->rope_dims = head;
  hp->rope_mode = TSR_ROPE_INTERLEAVED;
  hp->rope_base = 10000.0f;
  hp->rope_freq_scale = 1.0f;
  hp->norm_eps = 1e-5f;
  hp->tied_output = shared;
  hp->weight_dtype = TSR_DTYPE_F32;
  src->bos = 1; /* llama2.c's convention (SentencePiece): 1 = BOS, 2 = EOS */
  src->eos = 2;
  src->add_bos = true;

  tsr_llm_weights *w = &src->w;
  w->layers = layers;
  set_weight(&w->tok_embd, "token_embd.weight", b, o_emb, 2, vocab, dim);
  set_weight(&w->output_norm, "output_norm.weight", b, o_rms_final, 1, dim, 1);
  if (shared) {
    w->output = w->tok_embd;
  } else {
    set_weight(&w->output, "output.weight", b, o_wcls, 2, vocab, dim);
  }
  const uint64_t f = 4;
  for (int64_t l = 0; l < L; ++l) {
    tsr_llm_layer *y = &layers[l];
    char nm[48];
#define LW(field, suffix, o, ndim, d0, d1)                              \
  snprintf(nm, sizeof(nm), "blk.%lld.%s", (long long)l, suffix);        \
  set_weight(&y->field, nm, b, (o) + (uint64_t)l * (uint64_t)(d0) * (uint64_t)(d1) * f, ndim, d0, d1)
    LW(attn_norm, "attn_norm.weight", o_rms_att, 1, dim, 1);
    LW(wq, "attn_q.weight", o_wq, 2, dim, dim);
    LW(wk, "attn_k.weight", o_wk, 2, kv_dim, dim);
    LW(wv, "attn_v.weight", o_wv, 2, kv_dim, dim);
    LW(wo, "attn_output.weight", o_wo, 2, dim, dim);
    LW(ffn_norm, "ffn_norm.weight", o_rms_ffn, 1, dim, 1);
    LW(w_gate, "ffn_gate.weight", o_w1, 2, hidden, dim);
    LW(w_down, "ffn_down.weight", o_w2, 2, dim, hidden);
    LW(w_up, "ffn_up.weight", o_w3, 2, hidden, dim);
#undef LW
  }
  return TSR_OK;
}
