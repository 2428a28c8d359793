/* Internals of the language-model runtime shared by the loaders (llama2.c,
 * GGUF), the graph builder and the public API in engine/llm/llm.c. */
#ifndef TESSERA_ENGINE_LLM_INTERNAL_H_
#define TESSERA_ENGINE_LLM_INTERNAL_H_

#include "tessera/llm.h"
#include "tessera/tessera.h"

#define TSR_LLM_MAX_ENTRIES 5 /* batch sizes 1, 4, 16, 64, 256 */
#define TSR_LLM_MAX_LAYERS 4096
#define TSR_LLM_MAX_DIM (1 << 20)

/* One weight tensor used in place: Tessera shape (outermost first). An
 * absent optional weight has dtype TSR_DTYPE_NONE. */
typedef struct tsr_llm_weight {
  char name[48];
  tsr_dtype dtype;
  int32_t ndim;
  int64_t shape[2];
  const void *data;
  uint64_t nbytes;
} tsr_llm_weight;

/* The weights of one transformer block. Matmul weights are [out, in]. */
typedef struct tsr_llm_layer {
  tsr_llm_weight attn_norm; /* [dim] f32 */
  tsr_llm_weight wq;        /* [n_heads * head_dim, dim] */
  tsr_llm_weight wk;        /* [n_kv_heads * head_dim, dim] */
  tsr_llm_weight wv;        /* [n_kv_heads * head_dim, dim] */
  tsr_llm_weight wo;        /* [dim, n_heads * head_dim] */
  tsr_llm_weight ffn_norm;  /* [dim] f32 */
  tsr_llm_weight w_gate;    /* [hidden, dim] (llama2.c w1) */
  tsr_llm_weight w_up;      /* [hidden, dim] (llama2.c w3) */
  tsr_llm_weight w_down;    /* [dim, hidden] (llama2.c w2) */
} tsr_llm_layer;

typedef struct tsr_llm_weights {
  tsr_llm_weight tok_embd;    /* [vocab, dim] */
  tsr_llm_weight output_norm; /* [dim] f32 */
  tsr_llm_weight output;      /* [vocab, dim]; the embedding when tied */
  tsr_llm_weight rope_freqs;  /* [rope_dims / 2] f32, optional */
  tsr_llm_layer *layers;      /* [n_layers], from the model's allocator */
} tsr_llm_weights;

/* What a loader produces. The weights point into the blob. */
typedef struct tsr_llm_source {
  tsr_llm_hparams hp;
  tsr_llm_weights w;
  int32_t bos, eos;   /* from the file when it says; -1 otherwise */
  bool add_bos;       /* prepend BOS to prompts */
} tsr_llm_source;

/* llama2.c legacy checkpoint: the 7-int header (dim, hidden_dim, n_layers,
 * n_heads, n_kv_heads, vocab_size (negative: separate classifier),
 * seq_len), then f32 tensors token_embedding [vocab, dim], rms_att
 * [layers, dim], wq [layers, dim, dim], wk, wv [layers, kv_dim, dim], wo
 * [layers, dim, dim], rms_ffn [layers, dim], w1 [layers, hidden, dim], w2
 * [layers, dim, hidden], w3 [layers, hidden, dim], rms_final [dim],
 * freq_cis_real and freq_cis_imag [seq_len, head_dim / 2] (unused: RoPE is
 * computed), then wcls [vocab, dim] if the classifier is separate. The file
 * must be exactly that long. Allocates src->w.layers through |a|. */
TSR_NODISCARD tsr_status tsr_llm_parse_llama2c(const void *data, size_t size, const tsr_allocator *a,
                                               tsr_llm_source *src, tsr_error *err);

struct tsr_gguf;
/* GGUF with general.architecture = "llama": hyper-parameters from llama.*
 * metadata, tensors by their llama.cpp names (output absent: tied to
 * token_embd). Parses the blob into *out_gguf (owned by the caller, freed
 * with tsr_gguf_free; the tokenizer reads its metadata). Allocates
 * src->w.layers and the GGUF tables through |a|. */
TSR_NODISCARD tsr_status tsr_llm_parse_gguf(const void *data, size_t size, const tsr_allocator *a,
                                            tsr_llm_source *src, struct tsr_gguf **out_gguf, tsr_error *err);

/* Checks the hyper-parameters of |src| for consistency and every weight's
 * dtype and shape against them; TSR_ERR_FORMAT naming the tensor. */
TSR_NODISCARD tsr_status tsr_llm_check_source(const tsr_llm_source *src, tsr_error *err);

/* Graph-building result: tensor ids the runtime uses. */
typedef struct tsr_llm_graph_ids {
  uint32_t n_entries;
  int32_t batch[TSR_LLM_MAX_ENTRIES];  /* T of entry e */
  int32_t tokens[TSR_LLM_MAX_ENTRIES]; /* INPUT i32 [T] of entry e */
  int32_t logits;                      /* OUTPUT f32 [1, vocab], shared */
  uint64_t kv_bytes;
} tsr_llm_graph_ids;

/* Builds the forward pass of |src| into the empty graph |g| (see the top of
 * tessera/llm.h) with a KV cache of |n_ctx| rows of |kv_dtype| and batch
 * sizes 1, 4, ... up to |max_batch| (and n_ctx). */
TSR_NODISCARD tsr_status tsr_llm_build_graph(tsr_graph *g, const tsr_llm_source *src, int32_t n_ctx,
                                             tsr_dtype kv_dtype, int32_t max_batch,
                                             tsr_llm_graph_ids *ids, tsr_error *err);

#endif /* TESSERA_ENGINE_LLM_INTERNAL_H_ */
