/* Language models of the Llama family (llama2.c checkpoints, GGUF arch
 * "llama"): loading, evaluation through the graph engine, sampling and
 * generation.
 *
 * Lifecycle: tsr_llm_load_memory / tsr_llm_load_file (reads the config from
 * the file, builds the forward pass as a graph of HAL ops, places it on the
 * targets, plans its memory and binds it: every allocation happens here,
 * through the caller's allocator), then tsr_llm_eval / tsr_llm_generate any
 * number of times (never allocate, never plan), then tsr_llm_free.
 *
 * Weights are used in place: the blob (or the mapped file) must outlive the
 * model, and no weight is copied on host-memory targets.
 *
 * The forward pass. One graph entry per batch size T in {1, 4, 16, 64, ...}
 * up to |max_batch| (entry 0 is the T = 1 decode step); all entries share
 * the weights (CONST tensors) and the KV cache (STATE tensors
 * [n_ctx, n_kv_heads, head_dim] per layer, K and V). Each entry is
 *   x = GET_ROWS(token_embd, tokens[T])
 *   per layer: h = RMSNORM(x); q, k, v = MATMUL(h, wq|wk|wv); ROPE(q), ROPE(k)
 *     at positions pos..pos+T-1; SET_ROWS k, v into the cache at pos;
 *     a = ATTENTION(q, kcache, vcache, causal, q_pos = pos, kv_len = pos + T);
 *     x += MATMUL(a, wo); x += MATMUL(SWIGLU(MATMUL(h2, w_gate), MATMUL(h2, w_up)), w_down)
 *     with h2 = RMSNORM(x)
 *   logits[1, vocab] = MATMUL(RMSNORM(last row of x), output)
 * with the position as dynamic value slot 0. A prompt of P tokens is fed as
 * the largest chunks first (P = 64a + 16b + 4c + d): every token goes
 * through a matmul batch of its chunk, with no padding and no wasted rows. */
#ifndef TESSERA_LLM_H_
#define TESSERA_LLM_H_

#include "tessera/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsr_llm_format {
  TSR_LLM_FORMAT_GGUF = 1,    /* GGUF v2/v3, general.architecture = "llama" */
  TSR_LLM_FORMAT_LLAMA2C = 2, /* llama2.c legacy checkpoint (.bin, 7-int header) */
} tsr_llm_format;

/* The model's configuration, as read from the file. */
typedef struct tsr_llm_hparams {
  int32_t format;         /* tsr_llm_format */
  char arch[32];          /* "llama" */
  char name[64];          /* general.name, or "" */
  int32_t vocab_size;     /* rows of the token embedding (logits per token) */
  int32_t dim;            /* embedding length */
  int32_t hidden_dim;     /* feed-forward length */
  int32_t n_layers;
  int32_t n_heads;
  int32_t n_kv_heads;     /* grouped-query attention: n_heads is a multiple */
  int32_t head_dim;       /* per head, for q, k and v */
  int32_t train_ctx;      /* context length the model was trained with */
  int32_t rope_dims;      /* rotated dimensions of each head */
  int32_t rope_mode;      /* tsr_rope_mode (interleaved for both formats) */
  float rope_base;        /* theta */
  float rope_freq_scale;  /* 1 / linear scaling factor; 1: none */
  bool rope_freq_factors; /* per-frequency factors (llama3 rope_freqs) */
  float norm_eps;         /* RMSNorm epsilon */
  bool tied_output;       /* the classifier is the token embedding */
  tsr_dtype weight_dtype; /* the type of most matmul weights */
} tsr_llm_hparams;

typedef struct tsr_llm_options {
  /* Load-time memory for everything the model holds (tables, graph, plan,
   * arena with the KV cache, command lists). NULL: the C library. Must
   * outlive the model. */
  const tsr_allocator *allocator;
  /* Targets in order of preference and the fallback, as tsr_engine_config;
   * they stay owned by the caller and must outlive the model. None at all:
   * the model creates a CPU target of its own (n_threads threads).
   * The failure policy: with |fallback| NULL, every node must run on
   * targets[] (else TSR_ERR_UNSUPPORTED naming the node); nothing is ever
   * replaced silently. A non-NULL |fallback| is the caller asking for it: it
   * runs the nodes targets[] cannot, or, if the graph cannot be split across
   * them, the whole model; either is reported by tsr_llm_fallback and in
   * the load's |err| detail (with code TSR_OK). */
  tsr_target *targets[TSR_ENGINE_MAX_TARGETS];
  uint32_t n_targets;
  tsr_target *fallback;
  uint32_t n_threads;  /* for the model's own CPU target; 0: every CPU */
  /* KV cache length in tokens: 0 means min(train_ctx, 4096). */
  int32_t n_ctx;
  /* KV cache element type: TSR_DTYPE_NONE or F32 (default), or F16. */
  tsr_dtype kv_dtype;
  /* Largest prefill batch (rounded down to a power of 4, at least 1); 0: 64. */
  int32_t max_batch;
  /* llama2.c models: the tokenizer.bin blob (must outlive the model), or
   * NULL for a model without a tokenizer (token ids only). GGUF models take
   * their tokenizer from the metadata and ignore this. */
  const void *tokenizer_data;
  size_t tokenizer_size;
  /* tsr_llm_load_file only: path of the llama2.c tokenizer.bin to map. */
  const char *tokenizer_path;
  /* tsr_llm_load_file only: the largest model and tokenizer files accepted,
   * in bytes (checked before reading); 0: TSR_FILE_MAX_MODEL_DEFAULT and
   * TSR_FILE_MAX_TOKENIZER_DEFAULT (tessera/file.h). */
  uint64_t max_model_bytes;
  uint64_t max_tokenizer_bytes;
} tsr_llm_options;

typedef struct tsr_llm tsr_llm;

/* Loads a model from |data|[0..size) (GGUF if it starts with "GGUF", else a
 * llama2.c checkpoint). |data| must stay valid and unchanged until
 * tsr_llm_free: weights are used in place. It must be at least 4-byte
 * aligned (a GGUF tensor whose data is not aligned for its type is
 * refused). |opt| may be NULL (defaults). On failure *out is untouched and
 * |err| (may be NULL) names the problem: TSR_ERR_FORMAT for
 * a malformed or truncated file (naming the field or tensor),
 * TSR_ERR_UNSUPPORTED for an architecture, tensor type or feature Tessera
 * does not run. Allocates through opt->allocator. Not thread-safe with
 * respect to the targets it uses. */
TSR_NODISCARD tsr_status tsr_llm_load_memory(const void *data, size_t size, const tsr_llm_options *opt,
                                             tsr_llm **out, tsr_error *err);
#ifndef TSR_NO_FILEIO
/* As tsr_llm_load_memory on the memory-mapped file |path| (and
 * opt->tokenizer_path for llama2.c models); the mappings are owned by the
 * model. Both must be regular files (links followed) within the size limits
 * of |opt| (see tsr_file_map_limited): TSR_ERR_IO if a file cannot be read
 * or is a directory, FIFO or device, TSR_ERR_INVALID_ARGUMENT if it is over
 * its limit, the detail naming the path. */
TSR_NODISCARD tsr_status tsr_llm_load_file(const char *path, const tsr_llm_options *opt, tsr_llm **out,
                                           tsr_error *err);
#endif
/* Releases everything the model holds (the caller's targets excepted). */
void tsr_llm_free(tsr_llm *m);
/* The model's last error. */
const tsr_error *tsr_llm_error(const tsr_llm *m);
/* What ran on the caller's fallback target ("fallback: 12 of 352 nodes on
 * cpu", "fallback: the model runs on cpu alone (reason)"), or NULL if
 * nothing did. Valid while the model lives. Pure. */
const char *tsr_llm_fallback(const tsr_llm *m);

/* ---- introspection (pure) ---------------------------------------------- */

const tsr_llm_hparams *tsr_llm_get_hparams(const tsr_llm *m);
/* The KV cache length. */
int32_t tsr_llm_n_ctx(const tsr_llm *m);

typedef struct tsr_llm_memory {
  uint64_t weight_bytes;    /* weights, used in place from the file */
  uint64_t kv_bytes;        /* the KV cache (all layers, K and V) */
  uint64_t arena_bytes;     /* host arena: inputs, outputs, state, intermediates */
  uint64_t scratch_bytes;   /* intermediates alone, after liveness planning */
  uint64_t naive_bytes;     /* intermediates without reuse, summed over entries */
  uint64_t device_bytes;    /* arenas, state and weights on non-host targets */
  uint64_t load_bytes;      /* everything taken from the allocator (arena included) */
  uint32_t n_entries;       /* graph entries (batch sizes) */
  uint32_t n_nodes;         /* graph nodes over all entries */
  int32_t batch_sizes[8];   /* T of each entry */
} tsr_llm_memory;

TSR_NODISCARD tsr_status tsr_llm_get_memory(const tsr_llm *m, tsr_llm_memory *out);

/* The model's weight tensors, in file order of use: name ("blk.0.attn_q.weight"
 * for both formats), dtype and Tessera shape (outermost first). */
uint32_t tsr_llm_tensor_count(const tsr_llm *m);
TSR_NODISCARD tsr_status tsr_llm_tensor_info(const tsr_llm *m, uint32_t i, const char **out_name,
                                             tsr_tensor *out_tensor);
/* Name of the target node |node| runs on (see tsr_program_node_target). */
const char *tsr_llm_node_target(const tsr_llm *m, uint32_t node);
/* Per-op device times (tsr_program_get_profile) of the last run of the graph
 * entry that evaluates |n_tokens| tokens at once (1: the decode step; else the
 * largest batch entry not above it, as tsr_llm_eval picks). Only ops on
 * targets with TSR_CAP_PROFILING are listed. Allocates: never. */
TSR_NODISCARD tsr_status tsr_llm_get_profile(tsr_llm *m, size_t n_tokens, tsr_op_timing *out, uint32_t cap,
                                             uint32_t *out_n);

/* ---- tokens ------------------------------------------------------------- */

/* False if the model has no tokenizer (a llama2.c model loaded without
 * one): then only tsr_llm_eval and the sampler are usable. */
bool tsr_llm_has_tokenizer(const tsr_llm *m);
int32_t tsr_llm_bos(const tsr_llm *m); /* -1 if none */
int32_t tsr_llm_eos(const tsr_llm *m); /* -1 if none */
/* True if generation stops at |id| (EOS, EOT, ...; BOS too for llama2.c
 * models, as llama2.c does). */
bool tsr_llm_is_eog(const tsr_llm *m, int32_t id);
/* Encodes UTF-8 |text| (|len| bytes) as the model's tokenizer does, with
 * BOS first if |add_bos|. *out_n gets the count even when it exceeds |cap|
 * (then TSR_ERR_BUFFER_TOO_SMALL). May use working memory from the
 * model's allocator. */
TSR_NODISCARD tsr_status tsr_llm_tokenize(tsr_llm *m, const char *text, size_t len, bool add_bos,
                                          int32_t *out_ids, size_t cap, size_t *out_n);
/* The bytes token |id| prints as after token |prev| (-1 at the start).
 * *out_len gets the full length; at most |cap| bytes are written. Never
 * allocates. */
TSR_NODISCARD tsr_status tsr_llm_token_piece(const tsr_llm *m, int32_t prev, int32_t id, char *out,
                                             size_t cap, size_t *out_len);

/* ---- evaluation ------------------------------------------------------- */

/* Forgets the sequence: the next eval starts at position 0. */
void tsr_llm_reset(tsr_llm *m);
/* Tokens in the KV cache (the position of the next token). */
int32_t tsr_llm_position(const tsr_llm *m);
/* Runs tokens |ids|[0..n) at the current position (batched in prefill
 * chunks, see the top of this file) and advances it by n. *out_logits (may
 * be NULL) points at the logits after the last token ([vocab_size] f32),
 * valid until the next eval. TSR_ERR_INVALID_ARGUMENT if the context would
 * overflow (nothing runs) or an id is out of range. Never allocates. */
TSR_NODISCARD tsr_status tsr_llm_eval(tsr_llm *m, const int32_t *ids, size_t n, const float **out_logits);

/* ---- sampling ----------------------------------------------------------- */

typedef struct tsr_sampler_params {
  float temperature;    /* <= 0: greedy (argmax, lowest id on ties) */
  int32_t top_k;        /* keep the k most likely; <= 0: all */
  float top_p;          /* keep the smallest set with this mass; >= 1 or <= 0: all */
  float min_p;          /* drop tokens below min_p * p(best); <= 0: none */
  float repeat_penalty; /* on the last repeat_last_n tokens, as llama.cpp; <= 0 or 1: none */
  int32_t repeat_last_n;/* window of the repetition penalty; 0: 64, < 0: the whole history */
  uint64_t seed;        /* the same seed and inputs give the same tokens */
} tsr_sampler_params;

/* Defaults: temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, no
 * repetition penalty (1.0, window 64), seed 0. */
void tsr_sampler_params_default(tsr_sampler_params *p);

typedef struct tsr_sampler tsr_sampler;

/* Bytes and alignment a sampler over |vocab_size| tokens needs. Pure. */
TSR_NODISCARD tsr_status tsr_sampler_get_size(int32_t vocab_size, size_t *out_size, size_t *out_align);
/* Places a sampler in caller memory |mem| (owned by the caller while the
 * sampler is used). Invalid |p| (tsr_sampler_params_check):
 * TSR_ERR_INVALID_ARGUMENT. Allocates: never. */
TSR_NODISCARD tsr_status tsr_sampler_init(const tsr_sampler_params *p, int32_t vocab_size, void *mem,
                                          size_t mem_size, tsr_sampler **out);
/* TSR_ERR_INVALID_ARGUMENT, |err| (may be NULL) naming the field, if a
 * float parameter of |p| is NaN or infinite; else TSR_OK. Pure. */
TSR_NODISCARD tsr_status tsr_sampler_params_check(const tsr_sampler_params *p, tsr_error *err);
/* Re-seeds the random generator and replaces the parameters (NULL: keeps
 * them). Invalid |p| (tsr_sampler_params_check): TSR_ERR_INVALID_ARGUMENT
 * and the sampler is unchanged. */
TSR_NODISCARD tsr_status tsr_sampler_reset(tsr_sampler *s, const tsr_sampler_params *p);
/* Picks the next token from |logits| ([vocab_size], not modified) given the
 * tokens so far |history|[0..n_history) (for the repetition penalty; may be
 * NULL). The steps: repetition penalty, then greedy if temperature <= 0,
 * else top-k, softmax at the temperature, min-p, top-p, and a draw from
 * the generator (xorshift64*, state in the sampler). Never allocates. */
TSR_NODISCARD tsr_status tsr_sampler_sample(tsr_sampler *s, const float *logits, const int32_t *history,
                                            size_t n_history, int32_t *out_id);

/* ---- generation --------------------------------------------------------- */

typedef enum tsr_llm_stop_reason {
  TSR_LLM_STOP_NONE = 0,
  TSR_LLM_STOP_EOG,        /* the model produced an end-of-generation token */
  TSR_LLM_STOP_MAX_TOKENS, /* max_tokens tokens generated */
  TSR_LLM_STOP_STRING,     /* the stop string appeared */
  TSR_LLM_STOP_CONTEXT,    /* the KV cache is full */
  TSR_LLM_STOP_CALLBACK,   /* on_text returned false */
} tsr_llm_stop_reason;

/* Streams text: |text|[0..len) is the output released at token |id| (the
 * token's piece, plus text held back earlier while it could have begun the
 * stop string; len may be 0). Return false to stop. */
typedef bool (*tsr_llm_text_fn)(void *user, int32_t id, const char *text, size_t len);
/* Called once the prompt has been evaluated, before the first token is
 * sampled (for timing). */
typedef void (*tsr_llm_prompt_fn)(void *user, size_t n_prompt_tokens);

#define TSR_LLM_STOP_MAX 128 /* longest stop string, bytes */

typedef struct tsr_llm_generate_params {
  tsr_sampler_params sampler;
  int32_t max_tokens;  /* tokens to generate; <= 0: until EOG or a full context */
  bool no_bos;         /* do not prepend BOS (default: as the model's tokenizer says) */
  const char *stop;    /* NUL-terminated stop string (not printed), or NULL */
  tsr_llm_text_fn on_text;
  tsr_llm_prompt_fn on_prompt;
  void *user;
} tsr_llm_generate_params;

typedef struct tsr_llm_result {
  uint32_t n_prompt;     /* prompt tokens evaluated (BOS included) */
  uint32_t n_generated;  /* tokens sampled (an EOG token is not counted) */
  int32_t stop_reason;   /* tsr_llm_stop_reason */
} tsr_llm_result;

/* Greedy defaults (temperature 0), max_tokens 256, no stop string. */
void tsr_llm_generate_params_default(tsr_llm_generate_params *p);

/* Starts a new sequence (tsr_llm_reset), tokenizes |prompt|[0..len) (BOS
 * first unless no_bos or the tokenizer has none), evaluates it, then samples
 * and evaluates one token at a time until a stop condition, streaming the
 * text through on_text. The token ids of the sequence are readable with
 * tsr_llm_tokens afterwards. The prompt must leave room in the context for
 * one token, and the sampler parameters must pass tsr_sampler_params_check
 * (TSR_ERR_INVALID_ARGUMENT otherwise, before anything runs). Allocates only in the
 * tokenizer's prompt encoding; nothing per token. */
TSR_NODISCARD tsr_status tsr_llm_generate(tsr_llm *m, const char *prompt, size_t len,
                                          const tsr_llm_generate_params *p, tsr_llm_result *out);
/* The token ids of the current sequence (prompt, then generated tokens that
 * were evaluated or sampled); *out_n gets the count. Valid until the next
 * generate, eval or reset. */
const int32_t *tsr_llm_tokens(const tsr_llm *m, size_t *out_n);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_LLM_H_ */
