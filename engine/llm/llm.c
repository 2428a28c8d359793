/* The language-model runtime: loading (format detection, checks, graph,
 * placement, memory), evaluation in prefill chunks, and generation with
 * streaming and stop conditions. See tessera/llm.h. */
#include <stdio.h>
#include <string.h>

#include "engine/graph_internal.h"
#include "engine/gguf/gguf.h"
#include "engine/io/fileio.h"
#include "engine/llm/llm_internal.h"
#include "engine/llm/tokenizer.h"

/* Wraps the caller's allocator to know how much the model holds: every
 * block carries its size and the caller's pointer in a header. */
typedef struct counting_alloc {
  tsr_allocator inner;
  uint64_t cur, peak;
} counting_alloc;

struct tsr_llm {
  counting_alloc counter;
  tsr_allocator alloc; /* the counting allocator */
  tsr_error error;
#ifndef TSR_NO_FILEIO
  tsr_mapped_file model_file, tok_file;
  bool model_mapped, tok_mapped;
#endif
  struct tsr_gguf *gguf;
  tsr_llm_source src;
  tsr_target *own_cpu;
  void *engine_mem;
  tsr_engine *engine;
  tsr_graph *graph;
  tsr_program *prog;
  tsr_llm_graph_ids ids;
  int32_t *tok_in[TSR_LLM_MAX_ENTRIES]; /* host inputs of each entry */
  const float *logits;                  /* host output [vocab] */
  int32_t n_ctx;
  int32_t pos;
  int32_t *hist; /* [n_ctx + 1] tokens of the sequence */
  size_t n_hist;
  int32_t *const_ids; /* graph ids of the weight tensors */
  uint32_t n_const;
  tsr_tokenizer *tok;
  tsr_sampler *sampler;
  char *piece; /* [piece_cap] */
  size_t piece_cap;
  char *pending; /* [TSR_LLM_STOP_MAX + piece_cap]: text held back for the stop string */
  char fallback_note[TSR_ERROR_MESSAGE_MAX]; /* "" when nothing ran on the fallback */
  /* The runtime fallback (asked for, and some node off the fallback target):
   * the same graph prepared on the fallback alone. When a run fails on the
   * targets, the KV cache is copied over and the model goes on there, for
   * good (the two programs swap: |prog| is always the one that runs). */
  void *rescue_engine_mem;
  tsr_engine *rescue_engine;
  tsr_target *rescue_target; /* the caller's fallback */
  tsr_program *rescue;
  int32_t *rescue_tok_in[TSR_LLM_MAX_ENTRIES];
  const float *rescue_logits;
  bool rescued;
};

#define HDR 64u

static void *count_alloc(void *user, size_t size, size_t align) {
  counting_alloc *c = user;
  size_t al = align > HDR ? align : HDR;
  if (size > SIZE_MAX - al) return NULL;
  uint8_t *p = tsr_alloc(&c->inner, size + al, al);
  if (p == NULL) return NULL;
  uint8_t *u = p + al;
  uint64_t sz = size;
  memcpy(u - 16, &p, sizeof(p));
  memcpy(u - 8, &sz, sizeof(sz));
  c->cur += size;
  if (c->cur > c->peak) c->peak = c->cur;
  return u;
}

static void count_free(void *user, void *ptr) {
  counting_alloc *c = user;
  if (ptr == NULL) return;
  uint8_t *u = ptr, *p;
  uint64_t sz;
  memcpy(&p, u - 16, sizeof(p));
  memcpy(&sz, u - 8, sizeof(sz));
  c->cur -= sz;
  tsr_free(&c->inner, p);
}

static tsr_status fail_from(tsr_error *dst, const tsr_error *src, tsr_status s, const char *what) {
  if (src != NULL && src->code != TSR_OK) {
    tsr_error_copy(dst, src);
    if (dst != NULL) dst->code = s;
  } else {
    TSR_ERROR(dst, s, "llm: %s failed (%s)", what, tsr_status_string(s));
  }
  return s;
}

void tsr_llm_free(tsr_llm *m) {
  if (m == NULL) return;
  tsr_free(&m->alloc, m->pending);
  tsr_free(&m->alloc, m->piece);
  tsr_free(&m->alloc, m->sampler);
  tsr_tokenizer_free(m->tok);
  tsr_free(&m->alloc, m->const_ids);
  tsr_free(&m->alloc, m->hist);
  tsr_program_destroy(m->prog);
  tsr_program_destroy(m->rescue);
  tsr_graph_destroy(m->graph);
  if (m->engine) tsr_engine_deinit(m->engine);
  tsr_free(&m->alloc, m->engine_mem);
  if (m->rescue_engine) tsr_engine_deinit(m->rescue_engine);
  tsr_free(&m->alloc, m->rescue_engine_mem);
  if (m->own_cpu) tsr_target_destroy(m->own_cpu);
  tsr_free(&m->alloc, m->src.w.layers);
  if (m->gguf) tsr_gguf_free(m->gguf);
#ifndef TSR_NO_FILEIO
  if (m->tok_mapped) tsr_file_unmap(&m->tok_file);
  if (m->model_mapped) tsr_file_unmap(&m->model_file);
#endif
  tsr_allocator inner = m->counter.inner;
  tsr_free(&inner, m);
}

static tsr_status new_model(const tsr_llm_options *opt, tsr_llm **out, tsr_error *err) {
  tsr_allocator sys = tsr_allocator_system();
  const tsr_allocator *a = (opt && opt->allocator) ? opt->allocator : &sys;
  tsr_llm *m = tsr_alloc(a, sizeof(*m), 0);
  if (m == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "llm: model object");
  memset(m, 0, sizeof(*m));
  m->counter.inner = *a;
  m->counter.cur = m->counter.peak = sizeof(*m);
  m->alloc.alloc = count_alloc;
  m->alloc.free = count_free;
  m->alloc.user = &m->counter;
  *out = m;
  return TSR_OK;
}

/* Largest decoded piece over the vocabulary. */
static size_t max_piece(const tsr_tokenizer *t) {
  size_t mx = 16;
  int32_t n = tsr_tokenizer_vocab_size(t);
  char buf[8];
  for (int32_t id = 0; id < n; ++id) {
    size_t len = 0;
    if (tsr_tokenizer_decode_token(t, -1, id, buf, sizeof(buf), &len) == TSR_OK && len > mx) mx = len;
  }
  return mx + 1;
}

/* The graph prepared and bound on |fb| alone, for the runtime fallback. */
static tsr_status prepare_rescue(tsr_llm *m, tsr_target *fb, tsr_error *err) {
  tsr_engine_config c;
  memset(&c, 0, sizeof(c));
  c.allocator = &m->alloc;
  c.targets[0] = fb;
  c.n_targets = 1;
  c.fallback = fb;
  m->rescue_target = fb;
  size_t sz, al;
  TSR_TRY(tsr_engine_get_size(&c, &sz, &al));
  m->rescue_engine_mem = tsr_alloc(&m->alloc, sz, al);
  if (m->rescue_engine_mem == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "llm: fallback engine");
  tsr_status s = tsr_engine_init(&c, m->rescue_engine_mem, sz, &m->rescue_engine);
  if (s != TSR_OK) return fail_from(err, NULL, s, "fallback engine init");
  s = tsr_engine_prepare(m->rescue_engine, m->graph, &m->rescue);
  if (s != TSR_OK) return fail_from(err, tsr_engine_error(m->rescue_engine), s, "fallback prepare");
  s = tsr_program_bind_arena(m->rescue, NULL, 0);
  if (s != TSR_OK) return fail_from(err, tsr_program_error(m->rescue), s, "fallback bind arena");
  for (uint32_t e = 0; e < m->ids.n_entries; ++e) {
    void *p = NULL;
    s = tsr_program_tensor_data(m->rescue, m->ids.tokens[e], &p);
    if (s != TSR_OK) return fail_from(err, tsr_program_error(m->rescue), s, "fallback input binding");
    m->rescue_tok_in[e] = p;
  }
  void *lp = NULL;
  s = tsr_program_tensor_data(m->rescue, m->ids.logits, &lp);
  if (s != TSR_OK) return fail_from(err, tsr_program_error(m->rescue), s, "fallback output binding");
  m->rescue_logits = lp;
  return TSR_OK;
}

/* A run failed on the targets (|s|, detail in the program's error): copy the
 * KV cache to the fallback program and make it the one that runs. */
static tsr_status switch_to_rescue(tsr_llm *m, tsr_status s) {
  char why[200];
  snprintf(why, sizeof(why), "%.199s", tsr_program_error(m->prog)->message);
  tsr_status c = tsr_program_copy_state(m->rescue, m->prog);
  if (c != TSR_OK) {
    TSR_ERROR(&m->error, s, "llm: %s; the KV cache could not be carried to the fallback: %.200s", why,
              tsr_program_error(m->rescue)->message);
    return s;
  }
  tsr_program *p = m->prog;
  m->prog = m->rescue;
  m->rescue = p;
  for (uint32_t e = 0; e < TSR_LLM_MAX_ENTRIES; ++e) {
    int32_t *t = m->tok_in[e];
    m->tok_in[e] = m->rescue_tok_in[e];
    m->rescue_tok_in[e] = t;
  }
  const float *l = m->logits;
  m->logits = m->rescue_logits;
  m->rescue_logits = l;
  m->rescued = true;
  tsr_target_caps fc;
  if (tsr_target_get_caps(m->rescue_target, &fc) != TSR_OK)
    snprintf(fc.name, sizeof(fc.name), "the fallback");
  snprintf(m->fallback_note, sizeof(m->fallback_note),
           "fallback: a run failed at position %d (%.140s); the model continues on %.31s with its KV cache", (int)m->pos,
           why, fc.name);
  return TSR_OK;
}

/* Everything after the source is known: tokenizer, graph, engine, memory. */
static tsr_status finish_load(tsr_llm *m, const tsr_llm_options *opt, tsr_error *err) {
  const tsr_llm_options dflt = {0};
  if (opt == NULL) opt = &dflt;
  const tsr_llm_hparams *hp = &m->src.hp;
  TSR_TRY(tsr_llm_check_source(&m->src, err));
  /* Tokenizer. */
  if (hp->format == TSR_LLM_FORMAT_GGUF) {
    /* A GGUF without tokenizer metadata runs on token ids alone. */
    if (tsr_gguf_find(m->gguf, "tokenizer.ggml.model") >= 0)
      TSR_TRY(tsr_tokenizer_from_gguf(m->gguf, &m->alloc, &m->tok, err));
  } else if (opt->tokenizer_data != NULL) {
    TSR_TRY(tsr_tokenizer_from_llama2c(opt->tokenizer_data, opt->tokenizer_size, hp->vocab_size, &m->alloc, &m->tok,
                                       err));
  }
  if (m->tok != NULL) {
    /* tokenizer.ggml.add_bos_token, else llama.cpp's default for the vocabulary type. */
    if (hp->format == TSR_LLM_FORMAT_GGUF) m->src.add_bos = tsr_tokenizer_add_bos_default(m->tok);
    if (m->src.bos < 0) m->src.bos = tsr_tokenizer_bos(m->tok);
    if (m->src.eos < 0) m->src.eos = tsr_tokenizer_eos(m->tok);
  }
  /* Context and KV cache. */
  int32_t n_ctx = opt->n_ctx;
  if (n_ctx < 0) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "llm: negative context length %d", (int)n_ctx);
  if (n_ctx == 0) n_ctx = hp->train_ctx < 4096 ? hp->train_ctx : 4096;
  if (n_ctx > (1 << 24)) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "llm: context length %d is too large", (int)n_ctx);
  m->n_ctx = n_ctx;
  tsr_dtype kv = opt->kv_dtype == TSR_DTYPE_NONE ? TSR_DTYPE_F32 : opt->kv_dtype;
  /* Targets. */
  tsr_engine_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.allocator = &m->alloc;
  if (opt->n_targets == 0 && opt->fallback == NULL) {
    tsr_target_options to;
    memset(&to, 0, sizeof(to));
    to.n_threads = opt->n_threads;
    TSR_TRY(tsr_cpu_target_create(&to, &m->alloc, &m->own_cpu, err));
    cfg.targets[0] = m->own_cpu;
    cfg.n_targets = 1;
    cfg.fallback = m->own_cpu;
  } else {
    if (opt->n_targets > TSR_ENGINE_MAX_TARGETS)
      return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "llm: %u targets (at most %d)", (unsigned)opt->n_targets,
                       TSR_ENGINE_MAX_TARGETS);
    for (uint32_t i = 0; i < opt->n_targets; ++i) cfg.targets[i] = opt->targets[i];
    cfg.n_targets = opt->n_targets;
    cfg.fallback = opt->fallback;
  }
  size_t esz, eal;
  TSR_TRY(tsr_engine_get_size(&cfg, &esz, &eal));
  m->engine_mem = tsr_alloc(&m->alloc, esz, eal);
  if (m->engine_mem == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "llm: engine");
  tsr_status s = tsr_engine_init(&cfg, m->engine_mem, esz, &m->engine);
  if (s != TSR_OK) return fail_from(err, NULL, s, "engine init");
  /* Graph, plan, memory. */
  s = tsr_graph_create(&m->alloc, &m->graph);
  if (s != TSR_OK) return fail_from(err, NULL, s, "graph creation");
  TSR_TRY(tsr_llm_build_graph(m->graph, &m->src, n_ctx, kv, opt->max_batch, &m->ids, err));
  s = tsr_engine_prepare(m->engine, m->graph, &m->prog);
  bool fallback_asked = opt->fallback != NULL && m->own_cpu == NULL;
  bool fallback_listed = false, whole_on_fallback = false;
  for (uint32_t i = 0; i < cfg.n_targets; ++i) fallback_listed = fallback_listed || cfg.targets[i] == cfg.fallback;
  if (s == TSR_ERR_UNSUPPORTED && fallback_asked && !(cfg.n_targets == 1 && fallback_listed)) {
    /* The graph cannot be split across the targets and the fallback (e.g.
     * the KV cache's ops on different sides): the caller asked for the
     * fallback, so the whole model runs there, and that is reported. */
    char why[160];
    snprintf(why, sizeof(why), "%.159s", tsr_engine_error(m->engine)->message);
    tsr_engine_deinit(m->engine);
    m->engine = NULL;
    tsr_engine_config fb;
    memset(&fb, 0, sizeof(fb));
    fb.allocator = &m->alloc;
    fb.targets[0] = opt->fallback;
    fb.n_targets = 1;
    fb.fallback = opt->fallback;
    size_t fsz, fal;
    TSR_TRY(tsr_engine_get_size(&fb, &fsz, &fal));
    if (fsz > esz || fal > eal) return TSR_ERROR(err, TSR_ERR_STATE, "llm: fallback engine does not fit");
    s = tsr_engine_init(&fb, m->engine_mem, esz, &m->engine);
    if (s != TSR_OK) return fail_from(err, NULL, s, "fallback engine init");
    tsr_target_caps fc;
    if (tsr_target_get_caps(opt->fallback, &fc) != TSR_OK) snprintf(fc.name, sizeof(fc.name), "?");
    s = tsr_engine_prepare(m->engine, m->graph, &m->prog);
    whole_on_fallback = true;
    if (s == TSR_OK)
      snprintf(m->fallback_note, sizeof(m->fallback_note), "fallback: the model runs on %s alone (%s)", fc.name, why);
  }
  if (s != TSR_OK) return fail_from(err, tsr_engine_error(m->engine), s, "prepare");
  if (m->fallback_note[0] == '\0' && fallback_asked && !fallback_listed) {
    tsr_program_stats st;
    tsr_target_caps fc;
    if (tsr_program_get_stats(m->prog, &st) == TSR_OK && st.nodes_per_target[cfg.n_targets] > 0 &&
        tsr_target_get_caps(cfg.fallback, &fc) == TSR_OK)
      snprintf(m->fallback_note, sizeof(m->fallback_note), "fallback: %u of %u nodes on %s",
               (unsigned)st.nodes_per_target[cfg.n_targets], (unsigned)st.n_nodes, fc.name);
  }
  s = tsr_program_bind_arena(m->prog, NULL, 0);
  if (s != TSR_OK) return fail_from(err, tsr_program_error(m->prog), s, "bind arena");
  for (uint32_t e = 0; e < m->ids.n_entries; ++e) {
    void *p = NULL;
    s = tsr_program_tensor_data(m->prog, m->ids.tokens[e], &p);
    if (s != TSR_OK) return fail_from(err, tsr_program_error(m->prog), s, "input binding");
    m->tok_in[e] = p;
  }
  void *lp = NULL;
  s = tsr_program_tensor_data(m->prog, m->ids.logits, &lp);
  if (s != TSR_OK) return fail_from(err, tsr_program_error(m->prog), s, "output binding");
  m->logits = lp;
  /* The runtime fallback: only where some node runs off the fallback. */
  if (fallback_asked && !(cfg.n_targets == 1 && fallback_listed) && !whole_on_fallback)
    TSR_TRY(prepare_rescue(m, opt->fallback, err));
  /* Weight list for introspection. */
  uint32_t nt = tsr_graph_tensor_count(m->graph);
  m->const_ids = tsr_alloc(&m->alloc, sizeof(int32_t) * (nt ? nt : 1), 0);
  if (m->const_ids == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "llm: tensor list");
  for (uint32_t i = 0; i < nt; ++i) {
    tsr_tensor_kind k;
    if (tsr_graph_tensor_info(m->graph, (int32_t)i, &k, NULL) == TSR_OK && k == TSR_TENSOR_CONST)
      m->const_ids[m->n_const++] = (int32_t)i;
  }
  /* Generation buffers. */
  m->hist = tsr_alloc(&m->alloc, sizeof(int32_t) * ((size_t)n_ctx + 1), 0);
  size_t ssz, sal;
  TSR_TRY(tsr_sampler_get_size(hp->vocab_size, &ssz, &sal));
  void *smem = tsr_alloc(&m->alloc, ssz, sal);
  m->piece_cap = m->tok ? max_piece(m->tok) : 16;
  m->piece = tsr_alloc(&m->alloc, m->piece_cap, 0);
  m->pending = tsr_alloc(&m->alloc, TSR_LLM_STOP_MAX + m->piece_cap, 0);
  if (m->hist == NULL || smem == NULL || m->piece == NULL || m->pending == NULL) {
    tsr_free(&m->alloc, smem);
    return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "llm: generation buffers");
  }
  tsr_sampler_params sp;
  tsr_sampler_params_default(&sp);
  TSR_TRY(tsr_sampler_init(&sp, hp->vocab_size, smem, ssz, &m->sampler));
  return TSR_OK;
}

static tsr_status load_blob(tsr_llm *m, const void *data, size_t size, const tsr_llm_options *opt, tsr_error *err) {
  if (size >= 4 && memcmp(data, "GGUF", 4) == 0) {
    TSR_TRY(tsr_llm_parse_gguf(data, size, &m->alloc, &m->src, &m->gguf, err));
  } else {
    TSR_TRY(tsr_llm_parse_llama2c(data, size, &m->alloc, &m->src, err));
  }
  return finish_load(m, opt, err);
}

tsr_status tsr_llm_load_memory(const void *data, size_t size, const tsr_llm_options *opt, tsr_llm **out,
                               tsr_error *err) {
  if (data == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "llm: NULL data or out");
  tsr_llm *m = NULL;
  TSR_TRY(new_model(opt, &m, err));
  tsr_status s = load_blob(m, data, size, opt, err);
  if (s != TSR_OK) {
    tsr_llm_free(m);
    return s;
  }
  if (m->fallback_note[0]) TSR_ERROR(err, TSR_OK, "%s", m->fallback_note);
  *out = m;
  return TSR_OK;
}

#ifndef TSR_NO_FILEIO
tsr_status tsr_llm_load_file(const char *path, const tsr_llm_options *opt, tsr_llm **out, tsr_error *err) {
  if (path == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "llm: NULL path or out");
  tsr_llm *m = NULL;
  TSR_TRY(new_model(opt, &m, err));
  tsr_llm_options o;
  if (opt)
    o = *opt;
  else
    memset(&o, 0, sizeof(o));
  uint64_t max_model = o.max_model_bytes ? o.max_model_bytes : TSR_FILE_MAX_MODEL_DEFAULT;
  uint64_t max_tok = o.max_tokenizer_bytes ? o.max_tokenizer_bytes : TSR_FILE_MAX_TOKENIZER_DEFAULT;
  tsr_status s = tsr_file_map_limited(path, "model", max_model, &m->alloc, &m->model_file, err);
  if (s == TSR_OK) {
    m->model_mapped = true;
    if (o.tokenizer_path != NULL && o.tokenizer_data == NULL) {
      s = tsr_file_map_limited(o.tokenizer_path, "tokenizer", max_tok, &m->alloc, &m->tok_file, err);
      if (s == TSR_OK) {
        m->tok_mapped = true;
        o.tokenizer_data = m->tok_file.data;
        o.tokenizer_size = m->tok_file.size;
      }
    }
  }
  if (s == TSR_OK) s = load_blob(m, m->model_file.data, m->model_file.size, &o, err);
  if (s != TSR_OK) {
    tsr_llm_free(m);
    return s;
  }
  if (m->fallback_note[0]) TSR_ERROR(err, TSR_OK, "%s", m->fallback_note);
  *out = m;
  return TSR_OK;
}
#endif

const tsr_error *tsr_llm_error(const tsr_llm *m) { return m ? &m->error : NULL; }
const char *tsr_llm_fallback(const tsr_llm *m) { return (m && m->fallback_note[0]) ? m->fallback_note : NULL; }
const tsr_llm_hparams *tsr_llm_get_hparams(const tsr_llm *m) { return m ? &m->src.hp : NULL; }
int32_t tsr_llm_n_ctx(const tsr_llm *m) { return m ? m->n_ctx : 0; }

tsr_status tsr_llm_get_memory(const tsr_llm *m, tsr_llm_memory *out) {
  if (m == NULL || out == NULL) return TSR_ERR_INVALID_ARGUMENT;
  memset(out, 0, sizeof(*out));
  tsr_program_stats st;
  TSR_TRY(tsr_program_get_stats(m->prog, &st));
  uint64_t wb = 0;
  for (uint32_t i = 0; i < m->n_const; ++i) {
    tsr_tensor t;
    if (tsr_graph_tensor_info(m->graph, m->const_ids[i], NULL, &t) == TSR_OK) wb += tsr_tensor_nbytes(&t);
  }
  out->weight_bytes = wb;
  out->kv_bytes = m->ids.kv_bytes;
  out->arena_bytes = st.arena_bytes;
  out->scratch_bytes = st.arena_bytes - st.io_bytes - (st.state_bytes - 0);
  if (st.arena_bytes < st.io_bytes + st.state_bytes) out->scratch_bytes = 0;
  out->naive_bytes = st.naive_bytes;
  out->device_bytes = st.device_arena_bytes + st.device_const_bytes;
  out->load_bytes = m->counter.cur;
  out->n_entries = m->ids.n_entries;
  out->n_nodes = st.n_nodes;
  for (uint32_t e = 0; e < m->ids.n_entries && e < 8; ++e) out->batch_sizes[e] = m->ids.batch[e];
  return TSR_OK;
}

uint32_t tsr_llm_tensor_count(const tsr_llm *m) { return m ? m->n_const : 0; }

tsr_status tsr_llm_tensor_info(const tsr_llm *m, uint32_t i, const char **out_name, tsr_tensor *out_tensor) {
  if (m == NULL || i >= m->n_const) return TSR_ERR_INVALID_ARGUMENT;
  if (out_name) *out_name = tsr_graph_tensor_name(m->graph, m->const_ids[i]);
  if (out_tensor) TSR_TRY(tsr_graph_tensor_info(m->graph, m->const_ids[i], NULL, out_tensor));
  return TSR_OK;
}

const char *tsr_llm_node_target(const tsr_llm *m, uint32_t node) {
  return m ? tsr_program_node_target(m->prog, node) : NULL;
}

tsr_status tsr_llm_get_profile(tsr_llm *m, size_t n_tokens, tsr_op_timing *out, uint32_t cap, uint32_t *out_n) {
  if (m == NULL || out_n == NULL || n_tokens == 0) return TSR_ERR_INVALID_ARGUMENT;
  uint32_t e = m->ids.n_entries - 1;
  while (e > 0 && (size_t)m->ids.batch[e] > n_tokens) --e;
  tsr_status s = tsr_program_get_profile(m->prog, e, out, cap, out_n);
  if (s != TSR_OK) return fail_from(&m->error, tsr_program_error(m->prog), s, "profile");
  return TSR_OK;
}

/* ---- tokens ---- */

bool tsr_llm_has_tokenizer(const tsr_llm *m) { return m != NULL && m->tok != NULL; }
int32_t tsr_llm_bos(const tsr_llm *m) { return m ? m->src.bos : -1; }
int32_t tsr_llm_eos(const tsr_llm *m) { return m ? m->src.eos : -1; }

bool tsr_llm_is_eog(const tsr_llm *m, int32_t id) {
  if (m == NULL) return false;
  if (id == m->src.eos && id >= 0) return true;
  /* llama2.c stops at BOS: it delimits the training sequences. */
  if (m->src.hp.format == TSR_LLM_FORMAT_LLAMA2C && id == m->src.bos && id >= 0) return true;
  return m->tok != NULL && tsr_tokenizer_is_eog(m->tok, id);
}

tsr_status tsr_llm_tokenize(tsr_llm *m, const char *text, size_t len, bool add_bos, int32_t *out_ids, size_t cap,
                            size_t *out_n) {
  if (m == NULL || (text == NULL && len > 0) || out_n == NULL || (out_ids == NULL && cap > 0))
    return TSR_ERR_INVALID_ARGUMENT;
  if (m->tok == NULL) return TSR_ERROR(&m->error, TSR_ERR_STATE, "llm: the model has no tokenizer");
  tsr_status s = tsr_tokenizer_encode(m->tok, text ? text : "", len, add_bos ? TSR_TOKENIZE_ADD_BOS : 0u, out_ids,
                                      cap, out_n);
  if (s != TSR_OK && s != TSR_ERR_BUFFER_TOO_SMALL) TSR_ERROR(&m->error, s, "llm: tokenizing the prompt failed");
  return s;
}

tsr_status tsr_llm_token_piece(const tsr_llm *m, int32_t prev, int32_t id, char *out, size_t cap, size_t *out_len) {
  if (m == NULL || out_len == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (m->tok == NULL) return TSR_ERR_STATE;
  return tsr_tokenizer_decode_token(m->tok, prev, id, out, cap, out_len);
}

/* ---- evaluation ---- */

void tsr_llm_reset(tsr_llm *m) {
  if (m == NULL) return;
  m->pos = 0;
  m->n_hist = 0;
}

int32_t tsr_llm_position(const tsr_llm *m) { return m ? m->pos : 0; }

const int32_t *tsr_llm_tokens(const tsr_llm *m, size_t *out_n) {
  if (out_n) *out_n = m ? m->n_hist : 0;
  return m ? m->hist : NULL;
}

tsr_status tsr_llm_eval(tsr_llm *m, const int32_t *ids, size_t n, const float **out_logits) {
  if (m == NULL || (ids == NULL && n > 0)) return TSR_ERR_INVALID_ARGUMENT;
  if (n == 0) return TSR_ERROR(&m->error, TSR_ERR_INVALID_ARGUMENT, "llm: no tokens to evaluate");
  if (n > (size_t)(m->n_ctx - m->pos))
    return TSR_ERROR(&m->error, TSR_ERR_INVALID_ARGUMENT, "llm: %zu tokens at position %d overflow the context of %d",
                     n, (int)m->pos, (int)m->n_ctx);
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= m->src.hp.vocab_size)
      return TSR_ERROR(&m->error, TSR_ERR_INVALID_ARGUMENT, "llm: token %d is outside the vocabulary of %d", (int)ids[i],
                       (int)m->src.hp.vocab_size);
  }
  size_t done = 0;
  while (done < n) {
    uint32_t e = m->ids.n_entries - 1;
    while (e > 0 && (size_t)m->ids.batch[e] > n - done) --e;
    const size_t t = (size_t)m->ids.batch[e];
    memcpy(m->tok_in[e], ids + done, t * sizeof(int32_t));
    tsr_dyn_values dyn = {{m->pos, 0, 0, 0}};
    tsr_status s = tsr_program_run(m->prog, e, &dyn);
    if (s != TSR_OK && s != TSR_ERR_INVALID_ARGUMENT && m->rescue != NULL && !m->rescued) {
      /* The runtime fallback: the same chunk again, on the fallback. */
      if (switch_to_rescue(m, s) != TSR_OK) return s;
      memcpy(m->tok_in[e], ids + done, t * sizeof(int32_t));
      s = tsr_program_run(m->prog, e, &dyn);
    }
    if (s != TSR_OK) return fail_from(&m->error, tsr_program_error(m->prog), s, "run");
    /* The history follows the cache (|ids| may alias it: same slots). */
    for (size_t i = 0; i < t; ++i) m->hist[(size_t)m->pos + i] = ids[done + i];
    m->pos += (int32_t)t;
    m->n_hist = (size_t)m->pos;
    done += t;
  }
  if (out_logits) *out_logits = m->logits;
  return TSR_OK;
}

/* ---- generation ---- */

void tsr_llm_generate_params_default(tsr_llm_generate_params *p) {
  if (p == NULL) return;
  memset(p, 0, sizeof(*p));
  tsr_sampler_params_default(&p->sampler);
  p->sampler.temperature = 0.0f;
  p->max_tokens = 256;
}

typedef struct emitter {
  tsr_llm *m;
  const tsr_llm_generate_params *p;
  size_t stop_len;
  size_t n_pending;
} emitter;

static bool release(emitter *em, int32_t id, const char *text, size_t len) {
  return em->p->on_text == NULL || em->p->on_text(em->p->user, id, text, len);
}

/* Feeds one token's text. Returns the stop reason (NONE to go on). */
static int32_t emit(emitter *em, int32_t id, const char *piece, size_t len) {
  if (em->stop_len == 0) return release(em, id, piece, len) ? TSR_LLM_STOP_NONE : TSR_LLM_STOP_CALLBACK;
  char *buf = em->m->pending;
  const char *stop = em->p->stop;
  memcpy(buf + em->n_pending, piece, len);
  size_t n = em->n_pending + len;
  /* A complete match: release what precedes it. */
  for (size_t i = 0; i + em->stop_len <= n; ++i) {
    if (memcmp(buf + i, stop, em->stop_len) == 0) {
      em->n_pending = 0;
      if (!release(em, id, buf, i)) return TSR_LLM_STOP_CALLBACK;
      return TSR_LLM_STOP_STRING;
    }
  }
  /* Hold back the longest tail that could begin the stop string. */
  size_t keep = em->stop_len - 1 < n ? em->stop_len - 1 : n;
  while (keep > 0 && memcmp(buf + n - keep, stop, keep) != 0) --keep;
  bool go = release(em, id, buf, n - keep);
  memmove(buf, buf + n - keep, keep);
  em->n_pending = keep;
  return go ? TSR_LLM_STOP_NONE : TSR_LLM_STOP_CALLBACK;
}

tsr_status tsr_llm_generate(tsr_llm *m, const char *prompt, size_t len, const tsr_llm_generate_params *p,
                            tsr_llm_result *out) {
  if (m == NULL || p == NULL || (prompt == NULL && len > 0)) return TSR_ERR_INVALID_ARGUMENT;
  if (m->tok == NULL) return TSR_ERROR(&m->error, TSR_ERR_STATE, "llm: generation needs a tokenizer");
  TSR_TRY(tsr_sampler_params_check(&p->sampler, &m->error));
  size_t stop_len = p->stop ? strlen(p->stop) : 0;
  if (stop_len > TSR_LLM_STOP_MAX)
    return TSR_ERROR(&m->error, TSR_ERR_INVALID_ARGUMENT, "llm: stop string of %zu bytes (at most %d)", stop_len,
                     TSR_LLM_STOP_MAX);
  tsr_llm_reset(m);
  bool bos = !p->no_bos && m->src.add_bos && m->src.bos >= 0;
  size_t n_prompt = 0;
  tsr_status s = tsr_tokenizer_encode(m->tok, prompt ? prompt : "", len, bos ? TSR_TOKENIZE_ADD_BOS : 0u, m->hist,
                                      (size_t)m->n_ctx, &n_prompt);
  if (s == TSR_ERR_BUFFER_TOO_SMALL || (s == TSR_OK && n_prompt > (size_t)m->n_ctx))
    return TSR_ERROR(&m->error, TSR_ERR_INVALID_ARGUMENT, "llm: the prompt has %zu tokens, the context holds %d",
                     n_prompt, (int)m->n_ctx);
  if (s != TSR_OK) return TSR_ERROR(&m->error, s, "llm: tokenizing the prompt failed");
  if (n_prompt == 0) return TSR_ERROR(&m->error, TSR_ERR_INVALID_ARGUMENT, "llm: empty prompt and no BOS token");
  m->n_hist = 0; /* eval appends the prompt */
  const float *logits = NULL;
  /* hist doubles as the prompt buffer: eval copies each chunk to the input
   * before it records it, so reading and appending in place is safe. */
  TSR_TRY(tsr_llm_eval(m, m->hist, n_prompt, &logits));
  if (p->on_prompt) p->on_prompt(p->user, n_prompt);
  TSR_TRY(tsr_sampler_reset(m->sampler, &p->sampler));
  emitter em = {m, p, stop_len, 0};
  tsr_llm_result r = {(uint32_t)n_prompt, 0, TSR_LLM_STOP_NONE};
  int32_t prev = m->hist[n_prompt - 1];
  for (;;) {
    if (p->max_tokens > 0 && r.n_generated >= (uint32_t)p->max_tokens) {
      r.stop_reason = TSR_LLM_STOP_MAX_TOKENS;
      break;
    }
    int32_t next;
    TSR_TRY(tsr_sampler_sample(m->sampler, logits, m->hist, m->n_hist, &next));
    if (tsr_llm_is_eog(m, next)) {
      r.stop_reason = TSR_LLM_STOP_EOG;
      break;
    }
    r.n_generated++;
    m->hist[m->n_hist++] = next;
    size_t plen = 0;
    if (tsr_tokenizer_decode_token(m->tok, prev, next, m->piece, m->piece_cap, &plen) != TSR_OK) plen = 0;
    if (plen > m->piece_cap) plen = m->piece_cap;
    r.stop_reason = emit(&em, next, m->piece, plen);
    if (r.stop_reason != TSR_LLM_STOP_NONE) break;
    prev = next;
    if (p->max_tokens > 0 && r.n_generated >= (uint32_t)p->max_tokens) {
      r.stop_reason = TSR_LLM_STOP_MAX_TOKENS;
      break;
    }
    if (m->pos >= m->n_ctx) {
      r.stop_reason = TSR_LLM_STOP_CONTEXT;
      break;
    }
    TSR_TRY(tsr_llm_eval(m, &next, 1, &logits));
  }
  /* Text held back for a stop string that never came is output after all. */
  if (em.n_pending > 0 && r.stop_reason != TSR_LLM_STOP_STRING && r.stop_reason != TSR_LLM_STOP_CALLBACK)
    (void)release(&em, prev, m->pending, em.n_pending);
  if (out) *out = r;
  return TSR_OK;
}
