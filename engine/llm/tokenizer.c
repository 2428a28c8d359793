/* Tokenizers: llama2.c tokenizer.bin, GGUF "llama" (SentencePiece BPE) and
 * GGUF "gpt2" (byte-level BPE).
 *
 * - llama2.c: run.c's encode (dummy-prefix " " token, UTF-8 characters
 *   looked up whole or as bytes + 3, then repeatedly the best-scoring merge
 *   of adjacent tokens, leftmost on ties) and decode.
 * - SPM: llama.cpp's llm_tokenizer_spm: text partitioned on special tokens,
 *   " " prefix when the fragment starts the text or follows a special
 *   token, spaces as U+2581, characters merged by best vocabulary score,
 *   leftovers as <0xNN> byte tokens.
 * - BPE: llama.cpp's llm_tokenizer_bpe: special tokens, the pre-tokenizer
 *   (pretok.c), bytes mapped to GPT-2's printable code points, merges by
 *   rank, leftovers as single-byte tokens where they exist.
 * The merge loops use a binary heap with lazy invalidation, which picks the
 * same merge at every step as a rescan would (best score or rank first, then
 * the leftmost pair). */
#include "engine/llm/tokenizer.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/llm/pretok.h"
#include "engine/llm/unicode.h"

/* Token attributes (llama.cpp's llama_token_attr subset). */
enum {
  ATTR_NORMAL = 1u << 0,
  ATTR_UNKNOWN = 1u << 1,
  ATTR_CONTROL = 1u << 2,
  ATTR_USER_DEFINED = 1u << 3,
  ATTR_UNUSED = 1u << 4,
  ATTR_BYTE = 1u << 5,
  ATTR_LSTRIP = 1u << 6,
  ATTR_RSTRIP = 1u << 7,
  ATTR_EOG = 1u << 8,
};

/* Texts are at most this long, and encode takes at most this many bytes:
 * indices fit int32 with room for the 8x growth of byte-level encoding. */
#define MAX_TEXT ((size_t)1 << 27)

typedef struct bpe_merge {
  const char *left, *right;
  uint32_t left_len, right_len;
} bpe_merge;

struct tsr_tokenizer {
  tsr_allocator a;
  tsr_tokenizer_kind kind;
  int32_t n_vocab;
  tsr_gguf_str *text; /* per token, in the blob */
  float *score;
  uint16_t *attr;
  int32_t *hash; /* token text -> id, open addressing, -1 empty */
  uint32_t hash_mask;
  bpe_merge *merges; /* index = rank */
  int32_t n_merges;
  int32_t *merge_hash;
  uint32_t merge_mask;
  int32_t *special; /* CONTROL/USER_DEFINED/UNKNOWN ids, longest text first */
  int32_t n_special;
  int32_t bos, eos, unk;
  bool add_bos, add_eos, add_space_prefix, ignore_merges;
  tsr_pretok pretok;
  const char *pre_name;
  size_t max_token_len;
  uint16_t byte_cpt[256];  /* GPT-2 bytes_to_unicode */
  int16_t cpt_byte[324];   /* its inverse, -1 where none */
};

/* ---- hashing ---- */

static uint64_t fnv1a(const void *p, size_t n, uint64_t h) {
  const uint8_t *s = p;
  for (size_t i = 0; i < n; ++i) {
    h ^= s[i];
    h *= 0x100000001b3ull;
  }
  return h;
}
#define FNV_SEED 0xcbf29ce484222325ull

static int32_t find_token(const tsr_tokenizer *t, const void *s, size_t n) {
  uint32_t i = (uint32_t)fnv1a(s, n, FNV_SEED) & t->hash_mask;
  for (;;) {
    int32_t id = t->hash[i];
    if (id < 0) return -1;
    if (t->text[id].len == n && memcmp(t->text[id].data, s, n) == 0) return id;
    i = (i + 1) & t->hash_mask;
  }
}

/* |last_wins|: a duplicate text maps to the later id (llama.cpp's
 * token_to_id[text] = id), else to the first (llama2.c's sorted lookup). */
static tsr_status build_token_hash(tsr_tokenizer *t, bool last_wins) {
  uint32_t cap = 16;
  while (cap < 2u * (uint32_t)t->n_vocab) cap <<= 1;
  t->hash = tsr_alloc(&t->a, (size_t)cap * sizeof(int32_t), 0);
  if (t->hash == NULL) return TSR_ERR_OUT_OF_MEMORY;
  memset(t->hash, 0xff, (size_t)cap * sizeof(int32_t));
  t->hash_mask = cap - 1;
  for (int32_t id = 0; id < t->n_vocab; ++id) {
    tsr_gguf_str s = t->text[id];
    if (s.len == 0) continue; /* llama.cpp renames empty tokens: never matched */
    uint32_t i = (uint32_t)fnv1a(s.data, (size_t)s.len, FNV_SEED) & t->hash_mask;
    for (;;) {
      int32_t o = t->hash[i];
      if (o < 0) {
        t->hash[i] = id;
        break;
      }
      if (t->text[o].len == s.len && memcmp(t->text[o].data, s.data, (size_t)s.len) == 0) {
        if (last_wins) t->hash[i] = id;
        break;
      }
      i = (i + 1) & t->hash_mask;
    }
  }
  return TSR_OK;
}

static uint64_t merge_hash(const void *l, size_t ln, const void *r, size_t rn) {
  uint64_t h = fnv1a(l, ln, FNV_SEED);
  h = fnv1a("\xff", 1, h); /* 0xff never occurs in UTF-8 */
  return fnv1a(r, rn, h);
}

static int32_t find_merge(const tsr_tokenizer *t, const void *l, size_t ln, const void *r, size_t rn) {
  if (t->merge_hash == NULL) return -1;
  uint32_t i = (uint32_t)merge_hash(l, ln, r, rn) & t->merge_mask;
  for (;;) {
    int32_t k = t->merge_hash[i];
    if (k < 0) return -1;
    const bpe_merge *m = &t->merges[k];
    if (m->left_len == ln && m->right_len == rn && memcmp(m->left, l, ln) == 0 && memcmp(m->right, r, rn) == 0)
      return k;
    i = (i + 1) & t->merge_mask;
  }
}

/* ---- creation helpers ---- */

static tsr_tokenizer *tok_new(const tsr_allocator *a, tsr_tokenizer_kind kind) {
  tsr_tokenizer *t = tsr_alloc(a, sizeof(*t), 0);
  if (t == NULL) return NULL;
  memset(t, 0, sizeof(*t));
  t->a = *a;
  t->kind = kind;
  t->bos = t->eos = t->unk = -1;
  t->pre_name = "";
  /* GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the
   * others to 256, 257, ... in byte order. */
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    bool keep = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae);
    t->byte_cpt[b] = (uint16_t)(keep ? b : 256 + n++);
  }
  for (int c = 0; c < 324; ++c) t->cpt_byte[c] = -1;
  for (int b = 0; b < 256; ++b) t->cpt_byte[t->byte_cpt[b]] = (int16_t)b;
  return t;
}

void tsr_tokenizer_free(tsr_tokenizer *t) {
  if (t == NULL) return;
  tsr_allocator a = t->a;
  tsr_free(&a, t->text);
  tsr_free(&a, t->score);
  tsr_free(&a, t->attr);
  tsr_free(&a, t->hash);
  tsr_free(&a, t->merges);
  tsr_free(&a, t->merge_hash);
  tsr_free(&a, t->special);
  tsr_free(&a, t);
}

static tsr_status alloc_tables(tsr_tokenizer *t, int32_t n) {
  t->n_vocab = n;
  t->text = tsr_alloc(&t->a, (size_t)n * sizeof(tsr_gguf_str), 0);
  t->score = tsr_alloc(&t->a, (size_t)n * sizeof(float), 0);
  t->attr = tsr_alloc(&t->a, (size_t)n * sizeof(uint16_t), 0);
  if (t->text == NULL || t->score == NULL || t->attr == NULL) return TSR_ERR_OUT_OF_MEMORY;
  memset(t->score, 0, (size_t)n * sizeof(float));
  return TSR_OK;
}

static bool str_is(tsr_gguf_str s, const char *c) { return tsr_gguf_str_eq(s, c); }

/* Sorts |special| by text length, longest first, then by id. */
static void sort_specials(tsr_tokenizer *t) {
  /* Insertion sort is stable; the lists are short (tens to hundreds). */
  for (int32_t i = 1; i < t->n_special; ++i) {
    int32_t id = t->special[i];
    uint64_t len = t->text[id].len;
    int32_t j = i - 1;
    while (j >= 0 && t->text[t->special[j]].len < len) {
      t->special[j + 1] = t->special[j];
      --j;
    }
    t->special[j + 1] = id;
  }
}

/* ---- llama2.c ---- */

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

tsr_status tsr_tokenizer_from_llama2c(const void *data, size_t size, int32_t vocab_size, const tsr_allocator *a,
                                      tsr_tokenizer **out, tsr_error *err) {
  if ((data == NULL && size > 0) || a == NULL || out == NULL)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "tokenizer.bin: NULL argument");
  const uint8_t *p = data;
  if (size < 4) return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer.bin: %zu bytes, too short for max_token_length", size);
  /* Count the entries when the model does not say. */
  if (vocab_size <= 0) {
    size_t pos = 4;
    int64_t n = 0;
    while (pos < size) {
      if (size - pos < 8) return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer.bin: token %" PRId64 " header truncated", n);
      uint32_t len = rd32(p + pos + 4);
      if (len > size - pos - 8)
        return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer.bin: token %" PRId64 " length %" PRIu32 " runs past the end",
                         n, len);
      pos += 8 + (size_t)len;
      if (++n > INT32_MAX / 2) return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer.bin: too many tokens");
    }
    vocab_size = (int32_t)n;
  }
  if (vocab_size < 3)
    return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer.bin: vocabulary of %" PRId32 " tokens (needs <unk>, <s>, </s>)",
                     vocab_size);
  if ((size_t)vocab_size > (size - 4) / 8)
    return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer.bin: %zu bytes cannot hold %" PRId32 " tokens", size, vocab_size);
  tsr_tokenizer *t = tok_new(a, TSR_TOKENIZER_LLAMA2C);
  if (t == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "tokenizer.bin: no memory");
  tsr_status s = alloc_tables(t, vocab_size);
  size_t pos = 4;
  for (int32_t i = 0; i < vocab_size && s == TSR_OK; ++i) {
    if (size - pos < 8) {
      s = TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer.bin: token %" PRId32 " of %" PRId32 ": score/length truncated", i,
                    vocab_size);
      break;
    }
    uint32_t bits = rd32(p + pos), len = rd32(p + pos + 4);
    if (len > size - pos - 8 || len > MAX_TEXT) {
      s = TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer.bin: token %" PRId32 ": length %" PRIu32 " runs past the end", i,
                    len);
      break;
    }
    memcpy(&t->score[i], &bits, 4);
    t->text[i].data = (const char *)p + pos + 8;
    t->text[i].len = len;
    t->attr[i] = ATTR_NORMAL;
    if (len > t->max_token_len) t->max_token_len = len;
    pos += 8 + (size_t)len;
  }
  if (s == TSR_OK && build_token_hash(t, false) != TSR_OK)
    s = TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "tokenizer.bin: no memory for the lookup table");
  if (s != TSR_OK) {
    if (s == TSR_ERR_OUT_OF_MEMORY && err != NULL && err->code != TSR_ERR_OUT_OF_MEMORY)
      TSR_ERROR(err, s, "tokenizer.bin: no memory");
    tsr_tokenizer_free(t);
    return s;
  }
  t->bos = 1;
  t->eos = 2;
  t->unk = 0;
  t->add_bos = true;
  t->add_space_prefix = true;
  /* run.c stops generating at BOS (1), which delimits sequences; EOS too. */
  t->attr[1] |= ATTR_EOG | ATTR_CONTROL;
  t->attr[2] |= ATTR_EOG | ATTR_CONTROL;
  t->pre_name = "llama2.c";
  *out = t;
  return TSR_OK;
}

/* ---- GGUF ---- */

/* Reads an optional token id key: keeps *id if absent or out of range. */
static tsr_status opt_id(const tsr_gguf *g, const char *key, int32_t n_vocab, int32_t *id, tsr_error *err) {
  if (tsr_gguf_find(g, key) < 0) return TSR_OK;
  int64_t v;
  if (tsr_gguf_get_i64(g, key, &v, NULL) != TSR_OK && tsr_gguf_get_kv(g, key)->type != TSR_GGUF_UINT64)
    return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer: %s is not an integer", key);
  if (tsr_gguf_get_kv(g, key)->type == TSR_GGUF_UINT64 && tsr_gguf_get_kv(g, key)->v.u64 > (uint64_t)INT64_MAX) return TSR_OK;
  if (v >= 0 && v < (int64_t)n_vocab) *id = (int32_t)v; /* else the default stays, as llama.cpp */
  return TSR_OK;
}

static tsr_status opt_bool(const tsr_gguf *g, const char *key, bool *b, tsr_error *err) {
  if (tsr_gguf_find(g, key) < 0) return TSR_OK;
  uint64_t v;
  TSR_TRY(tsr_gguf_get_u64(g, key, &v, err));
  *b = v != 0;
  return TSR_OK;
}

typedef struct pre_entry {
  const char *name;
  tsr_pretok kind;
  uint8_t ignore_merges, add_bos, no_bos;
} pre_entry;

/* tokenizer.ggml.pre names whose regexes this build implements, as llama.cpp
 * maps them (llama_vocab::impl::load). */
static const pre_entry kPre[] = {
    {"default", TSR_PRETOK_DEFAULT, 0, 0, 0},      {"gpt-2", TSR_PRETOK_GPT2, 0, 0, 0},
    {"phi-2", TSR_PRETOK_GPT2, 0, 0, 0},           {"jina-es", TSR_PRETOK_GPT2, 0, 0, 0},
    {"jina-de", TSR_PRETOK_GPT2, 0, 0, 0},         {"gigachat", TSR_PRETOK_GPT2, 0, 0, 0},
    {"jina-v1-en", TSR_PRETOK_GPT2, 0, 0, 0},      {"jina-v2-es", TSR_PRETOK_GPT2, 0, 0, 0},
    {"jina-v2-de", TSR_PRETOK_GPT2, 0, 0, 0},      {"jina-v2-code", TSR_PRETOK_GPT2, 0, 0, 0},
    {"roberta-bpe", TSR_PRETOK_GPT2, 0, 0, 0},     {"mpt", TSR_PRETOK_GPT2, 0, 0, 0},
    {"olmo", TSR_PRETOK_GPT2, 0, 0, 0},            {"jais", TSR_PRETOK_GPT2, 0, 0, 0},
    {"falcon", TSR_PRETOK_FALCON, 0, 0, 0},        {"starcoder", TSR_PRETOK_STARCODER, 0, 0, 0},
    {"refact", TSR_PRETOK_STARCODER, 0, 0, 0},     {"command-r", TSR_PRETOK_STARCODER, 0, 0, 0},
    {"smollm", TSR_PRETOK_STARCODER, 0, 0, 0},     {"codeshell", TSR_PRETOK_STARCODER, 0, 0, 0},
    {"exaone", TSR_PRETOK_STARCODER, 0, 0, 0},     {"minerva-7b", TSR_PRETOK_STARCODER, 0, 0, 0},
    {"llama3", TSR_PRETOK_LLAMA3, 1, 1, 0},        {"llama-v3", TSR_PRETOK_LLAMA3, 1, 1, 0},
    {"llama-bpe", TSR_PRETOK_LLAMA3, 1, 1, 0},     {"falcon3", TSR_PRETOK_LLAMA3, 1, 1, 0},
    {"dbrx", TSR_PRETOK_LLAMA3, 0, 0, 0},          {"smaug-bpe", TSR_PRETOK_LLAMA3, 0, 0, 0},
    {"chatglm-bpe", TSR_PRETOK_LLAMA3, 0, 0, 1},   {"qwen2", TSR_PRETOK_QWEN2, 0, 0, 0},
    {"deepseek-r1-qwen", TSR_PRETOK_QWEN2, 0, 0, 0}, {"megrez", TSR_PRETOK_QWEN2, 0, 0, 0},
    {"stablelm2", TSR_PRETOK_QWEN2, 0, 0, 0},
};

/* Texts that llama.cpp treats as end of generation (and as control). */
static const char *const kEogTexts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                                        "<|endoftext|>", "<|eom_id|>", "<EOT>"};

static tsr_status load_gguf(tsr_tokenizer *t, const tsr_gguf *g, tsr_error *err) {
  tsr_gguf_str model;
  TSR_TRY(tsr_gguf_get_str(g, "tokenizer.ggml.model", &model, err));
  bool spm = str_is(model, "llama"), bpe = str_is(model, "gpt2");
  if (!spm && !bpe) {
    char m[48];
    size_t n = model.len < 40 ? (size_t)model.len : 40;
    memcpy(m, model.data, n);
    m[n] = '\0';
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "tokenizer: tokenizer.ggml.model '%s' is not supported (llama, gpt2)",
                     m);
  }
  t->kind = spm ? TSR_TOKENIZER_SPM : TSR_TOKENIZER_BPE;

  const tsr_gguf_kv *tokens = tsr_gguf_get_kv(g, "tokenizer.ggml.tokens");
  if (tokens == NULL) return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer: tokenizer.ggml.tokens is missing");
  if (tokens->type != TSR_GGUF_ARRAY || tokens->v.arr.type != TSR_GGUF_STRING)
    return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer: tokenizer.ggml.tokens is not an array of strings");
  uint64_t n = tokens->v.arr.n;
  if (n == 0 || n > (uint64_t)INT32_MAX / 4)
    return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer: tokenizer.ggml.tokens has %" PRIu64 " entries", n);
  if (alloc_tables(t, (int32_t)n) != TSR_OK) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "tokenizer: no memory");

  const tsr_gguf_kv *scores = tsr_gguf_get_kv(g, "tokenizer.ggml.scores");
  if (scores != NULL && (scores->type != TSR_GGUF_ARRAY ||
                         (scores->v.arr.type != TSR_GGUF_FLOAT32 && scores->v.arr.type != TSR_GGUF_FLOAT64) ||
                         scores->v.arr.n != n))
    return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer: tokenizer.ggml.scores is not %" PRIu64 " floats", n);
  const tsr_gguf_kv *types = tsr_gguf_get_kv(g, "tokenizer.ggml.token_type");
  if (types != NULL && (types->type != TSR_GGUF_ARRAY || tsr_gguf_type_size(types->v.arr.type) == 0 ||
                        types->v.arr.type == TSR_GGUF_FLOAT32 || types->v.arr.type == TSR_GGUF_FLOAT64 ||
                        types->v.arr.n != n))
    return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer: tokenizer.ggml.token_type is not %" PRIu64 " integers", n);
  for (uint64_t i = 0; i < n; ++i) {
    t->text[i] = tsr_gguf_arr_str(tokens, i);
    if (t->text[i].len > MAX_TEXT) return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer: token %" PRIu64 " too long", i);
    if (t->text[i].len > t->max_token_len) t->max_token_len = (size_t)t->text[i].len;
    t->score[i] = scores ? (float)tsr_gguf_arr_f64(scores, i) : 0.0f;
    uint16_t attr = ATTR_NORMAL;
    if (types != NULL) {
      switch (tsr_gguf_arr_i64(types, i)) {
        case 1: attr = ATTR_NORMAL; break;
        case 2: attr = ATTR_UNKNOWN; break;
        case 3: attr = ATTR_CONTROL; break;
        case 4: attr = ATTR_USER_DEFINED; break;
        case 5: attr = ATTR_UNUSED; break;
        case 6: attr = ATTR_BYTE; break;
        default: attr = 0; break; /* undefined */
      }
    }
    t->attr[i] = attr;
  }
  if (build_token_hash(t, true) != TSR_OK) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "tokenizer: no memory");

  /* Type defaults, as llama.cpp. */
  int32_t nv = t->n_vocab;
  if (spm) {
    t->bos = 1;
    t->eos = 2;
    t->unk = 0;
    t->add_bos = true;
    t->add_space_prefix = true;
    t->pre_name = "default";
  } else {
    t->bos = 11;
    t->eos = 11;
    t->unk = -1;
    tsr_gguf_str pre = {"default", 7};
    if (tsr_gguf_find(g, "tokenizer.ggml.pre") >= 0) TSR_TRY(tsr_gguf_get_str(g, "tokenizer.ggml.pre", &pre, err));
    const pre_entry *pe = NULL;
    for (size_t i = 0; i < sizeof(kPre) / sizeof(kPre[0]); ++i) {
      if (str_is(pre, kPre[i].name)) pe = &kPre[i];
    }
    if (pe == NULL) {
      char m[48];
      size_t k = pre.len < 40 ? (size_t)pre.len : 40;
      memcpy(m, pre.data, k);
      m[k] = '\0';
      return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "tokenizer: pre-tokenizer tokenizer.ggml.pre = '%s' is not supported", m);
    }
    t->pretok = pe->kind;
    t->pre_name = pe->name;
    t->ignore_merges = pe->ignore_merges;
    t->add_bos = pe->add_bos;
    if (pe->no_bos) t->bos = -1;

    const tsr_gguf_kv *merges = tsr_gguf_get_kv(g, "tokenizer.ggml.merges");
    if (merges == NULL) return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer: tokenizer.ggml.merges is missing");
    if (merges->type != TSR_GGUF_ARRAY || merges->v.arr.type != TSR_GGUF_STRING || merges->v.arr.n > (uint64_t)INT32_MAX / 4)
      return TSR_ERROR(err, TSR_ERR_FORMAT, "tokenizer: tokenizer.ggml.merges is not an array of strings");
    int32_t nm = (int32_t)merges->v.arr.n;
    uint32_t cap = 16;
    while (cap < 2u * (uint32_t)nm) cap <<= 1;
    t->merges = tsr_alloc(&t->a, (size_t)(nm > 0 ? nm : 1) * sizeof(bpe_merge), 0);
    t->merge_hash = tsr_alloc(&t->a, (size_t)cap * sizeof(int32_t), 0);
    if (t->merges == NULL || t->merge_hash == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "tokenizer: no memory");
    memset(t->merge_hash, 0xff, (size_t)cap * sizeof(int32_t));
    t->merge_mask = cap - 1;
    t->n_merges = nm;
    for (int32_t r = 0; r < nm; ++r) {
      tsr_gguf_str m = tsr_gguf_arr_str(merges, (uint64_t)r);
      bpe_merge *bm = &t->merges[r];
      memset(bm, 0, sizeof(*bm));
      /* "left right", split at the first space after the first byte. */
      const char *sp = m.len > 1 ? memchr(m.data + 1, ' ', (size_t)m.len - 1) : NULL;
      if (sp == NULL || m.len > MAX_TEXT) continue; /* llama.cpp keeps ("",""): never matches */
      bm->left = m.data;
      bm->left_len = (uint32_t)(sp - m.data);
      bm->right = sp + 1;
      bm->right_len = (uint32_t)(m.len - bm->left_len - 1);
      uint32_t i = (uint32_t)merge_hash(bm->left, bm->left_len, bm->right, bm->right_len) & t->merge_mask;
      for (;;) {
        int32_t k = t->merge_hash[i];
        if (k < 0) {
          t->merge_hash[i] = r;
          break;
        }
        const bpe_merge *o = &t->merges[k];
        if (o->left_len == bm->left_len && o->right_len == bm->right_len &&
            memcmp(o->left, bm->left, bm->left_len) == 0 && memcmp(o->right, bm->right, bm->right_len) == 0)
          break; /* the first rank stays */
        i = (i + 1) & t->merge_mask;
      }
    }
  }
  if (t->bos >= nv) t->bos = -1;
  if (t->eos >= nv) t->eos = -1;
  if (t->unk >= nv) t->unk = -1;
  TSR_TRY(opt_bool(g, "tokenizer.ggml.add_space_prefix", &t->add_space_prefix, err));

  int32_t eot = -1, eom = -1, fim_pad = -1, fim_rep = -1, fim_sep = -1;
  TSR_TRY(opt_id(g, "tokenizer.ggml.bos_token_id", nv, &t->bos, err));
  TSR_TRY(opt_id(g, "tokenizer.ggml.eos_token_id", nv, &t->eos, err));
  TSR_TRY(opt_id(g, "tokenizer.ggml.eot_token_id", nv, &eot, err));
  TSR_TRY(opt_id(g, "tokenizer.ggml.eom_token_id", nv, &eom, err));
  TSR_TRY(opt_id(g, "tokenizer.ggml.unknown_token_id", nv, &t->unk, err));
  TSR_TRY(opt_id(g, "tokenizer.ggml.fim_pad_token_id", nv, &fim_pad, err));
  TSR_TRY(opt_id(g, "tokenizer.ggml.fim_rep_token_id", nv, &fim_rep, err));
  TSR_TRY(opt_id(g, "tokenizer.ggml.fim_sep_token_id", nv, &fim_sep, err));
  TSR_TRY(opt_bool(g, "tokenizer.ggml.add_bos_token", &t->add_bos, err));
  TSR_TRY(opt_bool(g, "tokenizer.ggml.add_eos_token", &t->add_eos, err));
  if (t->bos < 0) t->add_bos = false;
  if (t->eos < 0) t->add_eos = false;

  /* End of generation: EOS, EOT, EOM, FIM pad/repo/sep, and the tokens
   * llama.cpp recognises by text (which it also makes control tokens). */
  const int32_t eog_ids[] = {t->eos, eot, eom, fim_pad, fim_rep, fim_sep};
  for (size_t i = 0; i < sizeof(eog_ids) / sizeof(eog_ids[0]); ++i) {
    if (eog_ids[i] >= 0) t->attr[eog_ids[i]] |= ATTR_EOG;
  }
  for (size_t i = 0; i < sizeof(kEogTexts) / sizeof(kEogTexts[0]) + 1; ++i) {
    const char *txt = i < sizeof(kEogTexts) / sizeof(kEogTexts[0]) ? kEogTexts[i] : NULL;
    if (txt == NULL) {
      if (eot >= 0) break;
      txt = "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"; /* DeepSeek's EOT */
    }
    int32_t id = find_token(t, txt, strlen(txt));
    if (id >= 0) t->attr[id] = (uint16_t)((t->attr[id] & ~(ATTR_NORMAL | ATTR_USER_DEFINED)) | ATTR_CONTROL | ATTR_EOG);
  }

  /* Special tokens for the partitioning, longest text first. */
  int32_t ns = 0;
  for (int32_t i = 0; i < nv; ++i) {
    if ((t->attr[i] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) && t->text[i].len > 0) ++ns;
  }
  if (ns > 0) {
    t->special = tsr_alloc(&t->a, (size_t)ns * sizeof(int32_t), 0);
    if (t->special == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "tokenizer: no memory");
    for (int32_t i = 0; i < nv; ++i) {
      if ((t->attr[i] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) && t->text[i].len > 0)
        t->special[t->n_special++] = i;
    }
    sort_specials(t);
  }

  /* Per-model strip attributes that llama.cpp sets by name. */
  tsr_gguf_str name = {"", 0};
  if (tsr_gguf_find(g, "general.name") >= 0 && tsr_gguf_get_kv(g, "general.name")->type == TSR_GGUF_STRING)
    name = tsr_gguf_get_kv(g, "general.name")->v.str;
  char lname[128];
  size_t ln = name.len < sizeof(lname) - 1 ? (size_t)name.len : sizeof(lname) - 1;
  for (size_t i = 0; i < ln; ++i) {
    char ch = name.data[i];
    lname[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : (ch == '\0' ? ' ' : ch);
  }
  lname[ln] = '\0';
  bool phi3 = strstr(lname, "phi-3") != NULL || strstr(lname, "phi3") != NULL;
  if (!bpe && phi3) {
    for (int32_t i = 0; i < t->n_special; ++i) t->attr[t->special[i]] |= ATTR_RSTRIP;
    int32_t id = find_token(t, "</s>", 4);
    if (id >= 0) t->attr[id] |= ATTR_RSTRIP;
    static const char *const keep[] = {"<unk>", "<s>", "<|endoftext|>"};
    for (int k = 0; k < 3; ++k) {
      id = find_token(t, keep[k], strlen(keep[k]));
      if (id >= 0) t->attr[id] &= (uint16_t)~ATTR_RSTRIP;
    }
  }
  if (bpe && (strcmp(t->pre_name, "jina-v2-de") == 0 || strcmp(t->pre_name, "jina-v2-es") == 0 ||
              strcmp(t->pre_name, "jina-v2-code") == 0)) {
    int32_t id = find_token(t, "<mask>", 6);
    if (id >= 0) t->attr[id] |= ATTR_LSTRIP;
  }
  return TSR_OK;
}

tsr_status tsr_tokenizer_from_gguf(const tsr_gguf *g, const tsr_allocator *a, tsr_tokenizer **out, tsr_error *err) {
  if (g == NULL || a == NULL || out == NULL)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "tokenizer: NULL argument");
  tsr_tokenizer *t = tok_new(a, TSR_TOKENIZER_SPM);
  if (t == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "tokenizer: no memory");
  tsr_status s = load_gguf(t, g, err);
  if (s != TSR_OK) {
    tsr_tokenizer_free(t);
    return s;
  }
  *out = t;
  return TSR_OK;
}

/* ---- queries ---- */

tsr_tokenizer_kind tsr_tokenizer_get_kind(const tsr_tokenizer *t) { return t->kind; }
int32_t tsr_tokenizer_vocab_size(const tsr_tokenizer *t) { return t ? t->n_vocab : 0; }
int32_t tsr_tokenizer_bos(const tsr_tokenizer *t) { return t ? t->bos : -1; }
int32_t tsr_tokenizer_eos(const tsr_tokenizer *t) { return t ? t->eos : -1; }
bool tsr_tokenizer_add_bos_default(const tsr_tokenizer *t) { return t && t->add_bos; }
const char *tsr_tokenizer_pre_name(const tsr_tokenizer *t) { return t ? t->pre_name : ""; }

bool tsr_tokenizer_is_eog(const tsr_tokenizer *t, int32_t id) {
  return t && id >= 0 && id < t->n_vocab && (t->attr[id] & ATTR_EOG) != 0;
}

bool tsr_tokenizer_is_control(const tsr_tokenizer *t, int32_t id) {
  return t && id >= 0 && id < t->n_vocab && (t->attr[id] & (ATTR_CONTROL | ATTR_UNKNOWN)) != 0;
}

tsr_gguf_str tsr_tokenizer_token_text(const tsr_tokenizer *t, int32_t id) {
  tsr_gguf_str s = {"", 0};
  if (t == NULL || id < 0 || id >= t->n_vocab) return s;
  return t->text[id];
}

/* ---- encoding ---- */

typedef struct outbuf {
  int32_t *ids;
  size_t cap;
  size_t n;
} outbuf;

static void emit(outbuf *o, int32_t id) {
  if (o->n < o->cap) o->ids[o->n] = id;
  ++o->n;
}

/* A merge candidate between adjacent symbols |left| and |right|. */
typedef struct bigram {
  float score;  /* SPM, llama2.c: higher first */
  int32_t rank; /* BPE: lower first */
  int32_t left, right;
  int32_t id;   /* llama2.c: the merged token */
  uint32_t size; /* bytes of the merged text (SPM/BPE), or right's id (llama2.c) */
  int32_t left_id;
} bigram;

typedef struct heap {
  bigram *b;
  size_t n, cap;
  bool by_rank;
} heap;

static bool better(const heap *h, const bigram *x, const bigram *y) {
  if (h->by_rank) return x->rank < y->rank || (x->rank == y->rank && x->left < y->left);
  return x->score > y->score || (x->score == y->score && x->left < y->left);
}

static void heap_push(heap *h, bigram v) {
  if (h->n >= h->cap) return; /* sized for the worst case: cannot happen */
  size_t i = h->n++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!better(h, &v, &h->b[p])) break;
    h->b[i] = h->b[p];
    i = p;
  }
  h->b[i] = v;
}

static bigram heap_pop(heap *h) {
  bigram top = h->b[0], last = h->b[--h->n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= h->n) break;
    if (c + 1 < h->n && better(h, &h->b[c + 1], &h->b[c])) ++c;
    if (!better(h, &h->b[c], &last)) break;
    h->b[i] = h->b[c];
    i = c;
  }
  if (h->n > 0) h->b[i] = last;
  return top;
}

typedef struct sym {
  int32_t off; /* into the text being merged */
  int32_t n;   /* bytes; 0 once merged away */
  int32_t prev, next;
  int32_t id; /* llama2.c: the token */
} sym;

/* Splits |text| into symbols of one UTF-8 character each (by lead byte,
 * clipped at the end). Returns the count. */
static int32_t utf8_symbols(const uint8_t *text, size_t len, sym *s) {
  int32_t n = 0;
  size_t off = 0;
  while (off < len) {
    size_t l = tsr_utf8_len(text[off]);
    if (l > len - off) l = len - off;
    s[n].off = (int32_t)off;
    s[n].n = (int32_t)l;
    s[n].prev = n - 1;
    off += l;
    s[n].next = off == len ? -1 : n + 1;
    s[n].id = -1;
    ++n;
  }
  return n;
}

/* Working memory for one merge run over |n| bytes. */
typedef struct work {
  sym *s;
  bigram *h;
  size_t cap_sym, cap_heap;
} work;

static tsr_status work_reserve(const tsr_tokenizer *t, work *w, size_t n) {
  if (n <= w->cap_sym) return TSR_OK;
  tsr_free(&t->a, w->s);
  tsr_free(&t->a, w->h);
  w->cap_sym = w->cap_heap = 0;
  w->s = tsr_alloc(&t->a, (n + 1) * sizeof(sym), 0);
  w->h = tsr_alloc(&t->a, (3 * n + 3) * sizeof(bigram), 0);
  if (w->s == NULL || w->h == NULL) return TSR_ERR_OUT_OF_MEMORY;
  w->cap_sym = n + 1;
  w->cap_heap = 3 * n + 3;
  return TSR_OK;
}

static void work_free(const tsr_tokenizer *t, work *w) {
  tsr_free(&t->a, w->s);
  tsr_free(&t->a, w->h);
}

/* ---- SPM ---- */

static void spm_try_add(const tsr_tokenizer *t, const uint8_t *text, sym *s, heap *h, int32_t l, int32_t r) {
  if (l < 0 || r < 0) return;
  uint32_t size = (uint32_t)(s[l].n + s[r].n);
  int32_t id = find_token(t, text + s[l].off, size);
  if (id < 0) return;
  bigram b = {t->score[id], 0, l, r, id, size, 0};
  heap_push(h, b);
}

static int32_t spm_byte_token(const tsr_tokenizer *t, uint8_t c) {
  static const char hex[] = "0123456789ABCDEF";
  char buf[6] = {'<', '0', 'x', hex[c >> 4], hex[c & 15], '>'};
  int32_t id = find_token(t, buf, 6);
  if (id >= 0) return id;
  id = find_token(t, &c, 1);
  return id >= 0 ? id : t->unk; /* llama.cpp throws here */
}

/* llm_tokenizer_spm_session::tokenize over escaped |text|. */
static tsr_status spm_session(const tsr_tokenizer *t, const uint8_t *text, size_t len, work *w, outbuf *o) {
  if (len == 0) return TSR_OK;
  TSR_TRY(work_reserve(t, w, len));
  sym *s = w->s;
  int32_t n = utf8_symbols(text, len, s);
  heap h = {w->h, 0, w->cap_heap, false};
  for (int32_t i = 1; i < n; ++i) spm_try_add(t, text, s, &h, i - 1, i);
  while (h.n > 0) {
    bigram b = heap_pop(&h);
    sym *L = &s[b.left], *R = &s[b.right];
    if (L->n == 0 || R->n == 0 || (uint32_t)(L->n + R->n) != b.size) continue;
    L->n += R->n;
    R->n = 0;
    L->next = R->next;
    if (R->next >= 0) s[R->next].prev = b.left;
    spm_try_add(t, text, s, &h, L->prev, b.left);
    spm_try_add(t, text, s, &h, b.left, L->next);
  }
  for (int32_t i = 0; i != -1; i = s[i].next) {
    int32_t id = find_token(t, text + s[i].off, (size_t)s[i].n);
    if (id >= 0) {
      emit(o, id);
      continue;
    }
    for (int32_t j = 0; j < s[i].n; ++j) {
      int32_t b = spm_byte_token(t, text[s[i].off + j]);
      if (b >= 0) emit(o, b);
    }
  }
  return TSR_OK;
}

/* ---- BPE ---- */

static void bpe_try_add(const tsr_tokenizer *t, const uint8_t *text, sym *s, heap *h, int32_t l, int32_t r) {
  if (l < 0 || r < 0) return;
  int32_t rank = find_merge(t, text + s[l].off, (size_t)s[l].n, text + s[r].off, (size_t)s[r].n);
  if (rank < 0) return;
  bigram b = {0.0f, rank, l, r, -1, (uint32_t)(s[l].n + s[r].n), 0};
  heap_push(h, b);
}

/* llm_tokenizer_bpe_session::tokenize for one byte-encoded word. */
static tsr_status bpe_word(const tsr_tokenizer *t, const uint8_t *word, size_t len, work *w, outbuf *o) {
  if (len == 0) return TSR_OK;
  if (t->ignore_merges) {
    int32_t id = find_token(t, word, len);
    if (id >= 0) {
      emit(o, id);
      return TSR_OK;
    }
  }
  TSR_TRY(work_reserve(t, w, len));
  sym *s = w->s;
  int32_t n = utf8_symbols(word, len, s);
  heap h = {w->h, 0, w->cap_heap, true};
  for (int32_t i = 1; i < n; ++i) bpe_try_add(t, word, s, &h, i - 1, i);
  while (h.n > 0) {
    bigram b = heap_pop(&h);
    sym *L = &s[b.left], *R = &s[b.right];
    if (L->n == 0 || R->n == 0 || (uint32_t)(L->n + R->n) != b.size) continue;
    L->n += R->n;
    R->n = 0;
    L->next = R->next;
    if (R->next >= 0) s[R->next].prev = b.left;
    bpe_try_add(t, word, s, &h, L->prev, b.left);
    bpe_try_add(t, word, s, &h, b.left, L->next);
  }
  for (int32_t i = 0; i != -1; i = s[i].next) {
    int32_t id = find_token(t, word + s[i].off, (size_t)s[i].n);
    if (id >= 0) {
      emit(o, id);
      continue;
    }
    for (int32_t j = 0; j < s[i].n; ++j) {
      int32_t b = find_token(t, word + s[i].off + j, 1);
      if (b >= 0) emit(o, b);
    }
  }
  return TSR_OK;
}

/* Pre-tokenizes a raw fragment and runs BPE on each word. */
static tsr_status bpe_fragment(const tsr_tokenizer *t, const uint8_t *text, size_t len, work *w, outbuf *o) {
  if (len == 0) return TSR_OK;
  uint32_t *cpts = tsr_alloc(&t->a, len * sizeof(uint32_t), 0);
  uint16_t *flags = tsr_alloc(&t->a, len * sizeof(uint16_t), 0);
  size_t *offs = tsr_alloc(&t->a, len * sizeof(size_t), 0);
  size_t *tmp = tsr_alloc(&t->a, len * sizeof(size_t), 0);
  uint8_t *word = tsr_alloc(&t->a, 8 * len, 0);
  tsr_status s = TSR_OK;
  if (cpts == NULL || flags == NULL || offs == NULL || tmp == NULL || word == NULL) s = TSR_ERR_OUT_OF_MEMORY;
  if (s == TSR_OK) {
    size_t n = 0, pos = 0;
    while (pos < len) {
      cpts[n] = tsr_utf8_decode(text, len, &pos);
      flags[n] = tsr_unicode_flags(cpts[n]);
      ++n;
    }
    size_t nw = tsr_pretok_split(t->pretok, cpts, flags, n, offs, tmp);
    size_t start = 0;
    for (size_t k = 0; k < nw && s == TSR_OK; ++k) {
      /* The word's UTF-8 (rebuilt from code points), each byte mapped to
       * its GPT-2 code point. */
      size_t wl = 0;
      for (size_t i = start; i < start + offs[k]; ++i) {
        uint8_t u[4];
        size_t ul = tsr_utf8_encode(cpts[i], u);
        for (size_t j = 0; j < ul; ++j) wl += tsr_utf8_encode(t->byte_cpt[u[j]], word + wl);
      }
      start += offs[k];
      s = bpe_word(t, word, wl, w, o);
    }
  }
  tsr_free(&t->a, cpts);
  tsr_free(&t->a, flags);
  tsr_free(&t->a, offs);
  tsr_free(&t->a, tmp);
  tsr_free(&t->a, word);
  return s;
}

/* ---- special-token partitioning ---- */

typedef struct frag {
  int32_t token; /* -1: raw text */
  size_t off, len;
} frag;

typedef struct frags {
  frag *f;
  size_t n, cap;
} frags;

static tsr_status frags_push(const tsr_tokenizer *t, frags *v, int32_t token, size_t off, size_t len) {
  if (v->n == v->cap) {
    size_t nc = v->cap ? 2 * v->cap : 16;
    frag *nf = tsr_alloc(&t->a, nc * sizeof(frag), 0);
    if (nf == NULL) return TSR_ERR_OUT_OF_MEMORY;
    if (v->n) memcpy(nf, v->f, v->n * sizeof(frag));
    tsr_free(&t->a, v->f);
    v->f = nf;
    v->cap = nc;
  }
  v->f[v->n].token = token;
  v->f[v->n].off = off;
  v->f[v->n].len = len;
  ++v->n;
  return TSR_OK;
}

static bool c_isspace(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static const uint8_t *find_bytes(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m) {
  if (m == 0 || m > n) return NULL;
  const uint8_t *end = hay + (n - m) + 1;
  for (const uint8_t *p = hay; p < end;) {
    p = memchr(p, needle[0], (size_t)(end - p));
    if (p == NULL) return NULL;
    if (memcmp(p, needle, m) == 0) return p;
    ++p;
  }
  return NULL;
}

/* llama.cpp's tokenizer_st_partition: each special token in turn (longest
 * first) splits the raw fragments at its occurrences, left to right. User
 * defined tokens always; control and unknown ones with |parse_special|. */
static tsr_status partition(const tsr_tokenizer *t, const uint8_t *text, size_t len, bool parse_special, frags *out) {
  frags cur = {NULL, 0, 0}, nxt = {NULL, 0, 0};
  tsr_status s = TSR_OK;
  if (len > 0) s = frags_push(t, &cur, -1, 0, len);
  for (int32_t k = 0; k < t->n_special && s == TSR_OK; ++k) {
    int32_t id = t->special[k];
    uint16_t attr = t->attr[id];
    if (!parse_special && (attr & (ATTR_CONTROL | ATTR_UNKNOWN))) continue;
    const uint8_t *tt = (const uint8_t *)t->text[id].data;
    size_t tl = (size_t)t->text[id].len;
    nxt.n = 0;
    for (size_t i = 0; i < cur.n && s == TSR_OK; ++i) {
      frag f = cur.f[i];
      if (f.token >= 0) {
        s = frags_push(t, &nxt, f.token, 0, 0);
        continue;
      }
      size_t pos = f.off, end = f.off + f.len;
      for (;;) {
        const uint8_t *m = find_bytes(text + pos, end - pos, tt, tl);
        if (m == NULL) {
          if (end > pos) s = frags_push(t, &nxt, -1, pos, end - pos);
          break;
        }
        size_t mo = (size_t)(m - text), left = mo - pos;
        if (attr & ATTR_LSTRIP) {
          while (left > 0 && c_isspace(text[pos + left - 1])) --left;
        }
        if (left > 0 && (s = frags_push(t, &nxt, -1, pos, left)) != TSR_OK) break;
        if ((s = frags_push(t, &nxt, id, 0, 0)) != TSR_OK) break;
        pos = mo + tl;
        if (attr & ATTR_RSTRIP) {
          while (pos < end && c_isspace(text[pos])) ++pos;
        }
      }
    }
    frags sw = cur;
    cur = nxt;
    nxt = sw;
  }
  tsr_free(&t->a, nxt.f);
  if (s != TSR_OK) {
    tsr_free(&t->a, cur.f);
    return s;
  }
  *out = cur;
  return TSR_OK;
}

/* ---- llama2.c ---- */

static void l2c_try_add(const tsr_tokenizer *t, sym *s, heap *h, uint8_t *buf, int32_t l, int32_t r) {
  if (l < 0 || r < 0) return;
  tsr_gguf_str a = t->text[s[l].id], b = t->text[s[r].id];
  memcpy(buf, a.data, (size_t)a.len);
  memcpy(buf + a.len, b.data, (size_t)b.len);
  int32_t id = find_token(t, buf, (size_t)(a.len + b.len));
  /* run.c: best_score starts at -1e10 and only a strictly higher score wins. */
  if (id < 0 || !(t->score[id] > -1e10f)) return;
  bigram g = {t->score[id], 0, l, r, id, (uint32_t)s[r].id, s[l].id};
  heap_push(h, g);
}

static tsr_status llama2c_encode(const tsr_tokenizer *t, const uint8_t *text, size_t len, uint32_t flags, outbuf *o) {
  size_t cap = len + 3;
  sym *s = tsr_alloc(&t->a, cap * sizeof(sym), 0);
  bigram *hb = tsr_alloc(&t->a, 3 * cap * sizeof(bigram), 0);
  uint8_t *buf = tsr_alloc(&t->a, 2 * t->max_token_len + 1, 0);
  if (s == NULL || hb == NULL || buf == NULL) {
    tsr_free(&t->a, s);
    tsr_free(&t->a, hb);
    tsr_free(&t->a, buf);
    return TSR_ERR_OUT_OF_MEMORY;
  }
  int32_t n = 0;
#define PUSH_ID(x)     \
  do {                 \
    s[n].id = (x);     \
    s[n].n = 1;        \
    ++n;               \
  } while (0)
  if (flags & TSR_TOKENIZE_ADD_BOS) PUSH_ID(1);
  if (len > 0) {
    int32_t dummy = find_token(t, " ", 1);
    if (dummy >= 0) PUSH_ID(dummy);
  }
  /* UTF-8 characters (up to 4 bytes) looked up whole, else as bytes + 3. */
  size_t str_len = 0;
  uint8_t cb[4];
  for (size_t i = 0; i < len; ++i) {
    uint8_t c = text[i];
    if ((c & 0xc0) != 0x80) str_len = 0;
    cb[str_len++] = c;
    uint8_t next = i + 1 < len ? text[i + 1] : 0;
    if ((next & 0xc0) == 0x80 && str_len < 4) continue;
    int32_t id = find_token(t, cb, str_len);
    if (id >= 0) {
      PUSH_ID(id);
    } else {
      for (size_t j = 0; j < str_len; ++j) {
        int32_t b = (int32_t)cb[j] + 3;
        PUSH_ID(b < t->n_vocab ? b : t->unk);
      }
    }
    str_len = 0;
  }
#undef PUSH_ID
  for (int32_t i = 0; i < n; ++i) {
    s[i].prev = i - 1;
    s[i].next = i + 1 < n ? i + 1 : -1;
  }
  heap h = {hb, 0, 3 * cap, false};
  for (int32_t i = 1; i < n; ++i) l2c_try_add(t, s, &h, buf, i - 1, i);
  while (h.n > 0) {
    bigram b = heap_pop(&h);
    sym *L = &s[b.left], *R = &s[b.right];
    if (L->n == 0 || R->n == 0 || L->next != b.right || L->id != b.left_id || R->id != (int32_t)b.size) continue;
    L->id = b.id;
    R->n = 0;
    L->next = R->next;
    if (R->next >= 0) s[R->next].prev = b.left;
    l2c_try_add(t, s, &h, buf, L->prev, b.left);
    l2c_try_add(t, s, &h, buf, b.left, L->next);
  }
  for (int32_t i = n > 0 ? 0 : -1; i != -1; i = s[i].next) emit(o, s[i].id);
  if (flags & TSR_TOKENIZE_ADD_EOS) emit(o, 2);
  tsr_free(&t->a, s);
  tsr_free(&t->a, hb);
  tsr_free(&t->a, buf);
  return TSR_OK;
}

tsr_status tsr_tokenizer_encode(tsr_tokenizer *t, const char *text, size_t len, uint32_t flags, int32_t *out_ids,
                                size_t cap, size_t *out_n) {
  if (t == NULL || (text == NULL && len > 0) || (out_ids == NULL && cap > 0) || out_n == NULL)
    return TSR_ERR_INVALID_ARGUMENT;
  if (len > MAX_TEXT) return TSR_ERR_INVALID_ARGUMENT;
  const uint8_t *u = (const uint8_t *)text;
  outbuf o = {out_ids, cap, 0};
  tsr_status s = TSR_OK;
  if (t->kind == TSR_TOKENIZER_LLAMA2C) {
    s = llama2c_encode(t, u, len, flags, &o);
  } else {
    if ((flags & TSR_TOKENIZE_ADD_BOS) && t->bos >= 0) emit(&o, t->bos);
    frags fr = {NULL, 0, 0};
    s = partition(t, u, len, (flags & TSR_TOKENIZE_PARSE_SPECIAL) != 0, &fr);
    work w = {NULL, NULL, 0, 0};
    bool prev_special = true;
    uint8_t *esc = NULL;
    for (size_t i = 0; i < fr.n && s == TSR_OK; ++i) {
      const frag *f = &fr.f[i];
      if (f->token >= 0) {
        emit(&o, f->token);
        prev_special = true;
        continue;
      }
      if (t->kind == TSR_TOKENIZER_BPE) {
        s = bpe_fragment(t, u + f->off, f->len, &w, &o);
        continue;
      }
      /* SPM: optional " " prefix, then spaces escaped as U+2581. */
      esc = tsr_alloc(&t->a, 3 * (f->len + 1), 0);
      if (esc == NULL) {
        s = TSR_ERR_OUT_OF_MEMORY;
        break;
      }
      size_t el = 0;
      if (t->add_space_prefix && prev_special) {
        memcpy(esc, "\xe2\x96\x81", 3);
        el = 3;
      }
      for (size_t j = 0; j < f->len; ++j) {
        if (u[f->off + j] == ' ') {
          memcpy(esc + el, "\xe2\x96\x81", 3);
          el += 3;
        } else {
          esc[el++] = u[f->off + j];
        }
      }
      s = spm_session(t, esc, el, &w, &o);
      tsr_free(&t->a, esc);
      esc = NULL;
      prev_special = false;
    }
    work_free(t, &w);
    tsr_free(&t->a, fr.f);
    if (s == TSR_OK && (flags & TSR_TOKENIZE_ADD_EOS) && t->eos >= 0) emit(&o, t->eos);
  }
  if (s != TSR_OK) return s;
  *out_n = o.n;
  return o.n > cap ? TSR_ERR_BUFFER_TOO_SMALL : TSR_OK;
}

/* ---- decoding ---- */

typedef struct sink {
  char *out;
  size_t cap, n;
} sink;

static void put(sink *k, const void *p, size_t n) {
  if (k->n < k->cap) {
    size_t m = k->cap - k->n < n ? k->cap - k->n : n;
    memcpy(k->out + k->n, p, m);
  }
  k->n += n;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* llama2.c's byte tokens: sscanf(piece, "<0x%02hhX>") succeeds on "<0x"
 * and one or two hex digits. The byte, or -1. */
static int byte_of(tsr_gguf_str s) {
  if (s.len < 4 || memcmp(s.data, "<0x", 3) != 0) return -1;
  int h = hexval(s.data[3]);
  if (h < 0) return -1;
  int l = s.len > 4 ? hexval(s.data[4]) : -1;
  return l >= 0 ? h * 16 + l : h;
}

/* One token's bytes. |seq|: part of tsr_tokenizer_decode, where llama2.c's
 * BOS/EOS give nothing (token by token they print as llama2.c prints). */
static void decode_one(const tsr_tokenizer *t, int32_t prev, int32_t id, bool seq, sink *k) {
  tsr_gguf_str s = t->text[id];
  uint16_t attr = t->attr[id];
  if (t->kind == TSR_TOKENIZER_LLAMA2C) {
    if (seq && (attr & ATTR_CONTROL)) return;
    const char *p = s.data;
    size_t n = (size_t)s.len;
    if (prev == 1 && n > 0 && p[0] == ' ') {
      ++p;
      --n;
    }
    tsr_gguf_str rest = {p, n};
    int b = byte_of(rest);
    if (b >= 0) {
      uint8_t c = (uint8_t)b;
      put(k, &c, 1);
    } else {
      put(k, p, n);
    }
    return;
  }
  if (attr & (ATTR_CONTROL | ATTR_UNKNOWN)) return;
  bool strip = t->add_space_prefix && (prev < 0 || prev == t->bos);
  if (attr & ATTR_USER_DEFINED) {
    size_t skip = strip && s.len > 0 && s.data[0] == ' ';
    put(k, s.data + skip, (size_t)s.len - skip);
    return;
  }
  if (t->kind == TSR_TOKENIZER_SPM) {
    if (attr & ATTR_NORMAL) {
      for (uint64_t i = 0; i < s.len;) {
        if (s.len - i >= 3 && memcmp(s.data + i, "\xe2\x96\x81", 3) == 0) {
          if (!strip) put(k, " ", 1);
          i += 3;
        } else {
          put(k, s.data + i, 1);
          ++i;
        }
        strip = false;
      }
    } else if (attr & ATTR_BYTE) {
      /* llama.cpp: strtol(text.substr(3, 2), 16). */
      int h = s.len > 3 ? hexval(s.data[3]) : -1, l = s.len > 4 ? hexval(s.data[4]) : -1;
      uint8_t c = (uint8_t)(h < 0 ? 0 : (l < 0 ? h : h * 16 + l));
      if (!(strip && c == ' ')) put(k, &c, 1);
    }
    return;
  }
  /* BPE: each code point of the text back to its byte. */
  if (!(attr & ATTR_NORMAL)) return;
  size_t pos = 0;
  const uint8_t *u = (const uint8_t *)s.data;
  while (pos < s.len) {
    size_t start = pos;
    uint32_t c = tsr_utf8_decode(u, (size_t)s.len, &pos);
    if (c < 324 && t->cpt_byte[c] >= 0) {
      uint8_t b = (uint8_t)t->cpt_byte[c];
      if (!(strip && b == ' ')) put(k, &b, 1);
    } else {
      put(k, u + start, pos - start);
    }
    strip = false;
  }
}

tsr_status tsr_tokenizer_decode_token(const tsr_tokenizer *t, int32_t prev, int32_t id, char *out, size_t cap,
                                      size_t *out_len) {
  if (t == NULL || (out == NULL && cap > 0) || out_len == NULL || id < 0 || id >= t->n_vocab)
    return TSR_ERR_INVALID_ARGUMENT;
  sink k = {out, cap, 0};
  decode_one(t, prev, id, false, &k);
  *out_len = k.n;
  return k.n > cap ? TSR_ERR_BUFFER_TOO_SMALL : TSR_OK;
}

tsr_status tsr_tokenizer_decode(const tsr_tokenizer *t, const int32_t *ids, size_t n, char *out, size_t cap,
                                size_t *out_len) {
  if (t == NULL || (ids == NULL && n > 0) || (out == NULL && cap > 0) || out_len == NULL)
    return TSR_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= t->n_vocab) return TSR_ERR_INVALID_ARGUMENT;
  }
  sink k = {out, cap, 0};
  for (size_t i = 0; i < n; ++i) decode_one(t, i > 0 ? ids[i - 1] : -1, ids[i], true, &k);
  *out_len = k.n;
  return k.n > cap ? TSR_ERR_BUFFER_TOO_SMALL : TSR_OK;
}
