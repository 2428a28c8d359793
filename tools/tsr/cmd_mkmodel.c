/* tsr mkmodel: writes a random-weight Llama GGUF of a given shape and
 * tensor type, with the tokenizer (every tokenizer.* key) copied from a
 * vocab GGUF, so that Tessera and llama.cpp can run the very same file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf/gguf.h"
#include "engine/io/fileio.h"
#include "kernels/convert/convert.h"
#include "tools/tsr/cli_args.h"
#include "tessera/file.h"
#include "tools/tsr/commands.h"

typedef struct shape {
  const char *name;
  int32_t dim, layers, heads, kv_heads, ffn, ctx;
} shape;

static const shape kShapes[] = {
    {"stories15M", 288, 6, 6, 6, 768, 256},
    {"stories110M", 768, 12, 12, 12, 2048, 1024},
    {"smollm-135m", 576, 30, 9, 3, 1536, 2048},
    {"tinyllama-1.1b", 2048, 22, 32, 4, 5632, 2048},
};

static void usage(FILE *f) {
  fprintf(f,
          "usage: tsr mkmodel -o OUT.gguf --vocab VOCAB.gguf [--shape NAME | --dim D --layers L --heads H\n"
          "                   [--kv-heads H] --ffn F] [--type T] [--seed S] [--ctx N]\n\n"
          "Writes a Llama GGUF with random weights (uniform, std 0.02; norms 1) of the given shape.\n"
          "Every matrix (token embedding and output included) has type T (f32, f16, q8_0, q4_0,\n"
          "q4_k, q5_k, q6_k; default q8_0); norms are f32. The tokenizer is copied from VOCAB\n"
          "(e.g. ggml-vocab-phi-3.gguf), which also sets the vocabulary size.\n\n"
          "Shapes:");
  for (size_t i = 0; i < sizeof(kShapes) / sizeof(kShapes[0]); ++i) {
    fprintf(f, "\n  %-16s dim %d, %d layers, %d heads, %d kv heads, ffn %d", kShapes[i].name, kShapes[i].dim,
            kShapes[i].layers, kShapes[i].heads, kShapes[i].kv_heads, kShapes[i].ffn);
  }
  fprintf(f, "\n");
}

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* The tensor data of one matrix: rows of uniform values quantized to t. */
static void *random_matrix(tsr_dtype t, int64_t rows, int64_t cols, float amp, uint64_t *rng) {
  size_t rb = tsr_dtype_row_bytes(t, cols);
  uint8_t *out = malloc(rb * (size_t)rows);
  float *row = malloc(sizeof(float) * (size_t)cols);
  if (out == NULL || row == NULL) {
    free(out);
    free(row);
    return NULL;
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < cols; ++i) row[i] = amp * (float)((double)(splitmix(rng) >> 11) * (2.0 / 9007199254740992.0) - 1.0);
    tsr_quantize_row(t, row, out + (size_t)r * rb, cols);
  }
  free(row);
  return out;
}

static void *ones(int64_t n) {
  float *p = malloc(sizeof(float) * (size_t)n);
  if (p != NULL) {
    for (int64_t i = 0; i < n; ++i) p[i] = 1.0f;
  }
  return p;
}

static uint32_t file_type(tsr_dtype t) {
  switch (t) {
    case TSR_DTYPE_F32: return 0;
    case TSR_DTYPE_F16: return 1;
    case TSR_DTYPE_Q4_0: return 2;
    case TSR_DTYPE_Q8_0: return 7;
    case TSR_DTYPE_Q4_K: return 15; /* Q4_K_M */
    case TSR_DTYPE_Q5_K: return 17; /* Q5_K_M */
    case TSR_DTYPE_Q6_K: return 18;
    default: return 0;
  }
}

int tsr_cmd_mkmodel(int argc, char **argv) {
  if (tsr_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  const char *out = NULL, *vocab = NULL;
  shape s = {"custom", 0, 0, 0, 0, 0, 2048};
  tsr_dtype type = TSR_DTYPE_Q8_0;
  uint64_t seed = 42;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) {
      fprintf(stderr, "tsr mkmodel: %s needs a value\n", a);
      return 2;
    }
    ++i;
    if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) out = v;
    else if (strcmp(a, "--vocab") == 0) vocab = v;
    else if (strcmp(a, "--type") == 0) {
      type = tsr_dtype_from_name(v);
      if (type != TSR_DTYPE_F32 && type != TSR_DTYPE_F16 && !tsr_dtype_is_quantized(type)) {
        fprintf(stderr, "tsr mkmodel: unsupported --type %s\n", v);
        return 2;
      }
    } else if (strcmp(a, "--shape") == 0) {
      bool found = false;
      for (size_t k = 0; k < sizeof(kShapes) / sizeof(kShapes[0]); ++k) {
        if (strcmp(v, kShapes[k].name) == 0) s = kShapes[k], found = true;
      }
      if (!found) {
        fprintf(stderr, "tsr mkmodel: unknown --shape %s (see --help)\n", v);
        return 2;
      }
    } else if (strcmp(a, "--seed") == 0) {
      long long iv;
      if (!tsr_cli_int(v, 0, INT64_MAX, &iv)) return tsr_cli_bad_value("mkmodel", a, v);
      seed = (uint64_t)iv;
    } else if (strcmp(a, "--dim") == 0 || strcmp(a, "--layers") == 0 || strcmp(a, "--heads") == 0 ||
               strcmp(a, "--kv-heads") == 0 || strcmp(a, "--ffn") == 0 || strcmp(a, "--ctx") == 0) {
      long long iv;
      if (!tsr_cli_int(v, 1, 1 << 20, &iv)) return tsr_cli_bad_value("mkmodel", a, v);
      int *dst = strcmp(a, "--dim") == 0      ? &s.dim
                 : strcmp(a, "--layers") == 0 ? &s.layers
                 : strcmp(a, "--heads") == 0  ? &s.heads
                 : strcmp(a, "--kv-heads") == 0 ? &s.kv_heads
                 : strcmp(a, "--ffn") == 0    ? &s.ffn
                                              : &s.ctx;
      *dst = (int)iv;
    }
    else {
      fprintf(stderr, "tsr mkmodel: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (s.kv_heads == 0) s.kv_heads = s.heads;
  if (out == NULL || vocab == NULL || s.dim <= 0 || s.layers <= 0 || s.heads <= 0 || s.ffn <= 0 ||
      s.dim % s.heads != 0 || s.heads % s.kv_heads != 0 || s.ctx <= 0) {
    fprintf(stderr, "tsr mkmodel: need -o, --vocab and a valid shape (dim a multiple of heads, heads of kv heads)\n");
    return 2;
  }
  const int64_t bs = tsr_dtype_block_size(type);
  if (s.dim % bs != 0 || s.ffn % bs != 0) {
    fprintf(stderr, "tsr mkmodel: dim %d and ffn %d must be multiples of %s's block of %lld\n", s.dim, s.ffn,
            tsr_dtype_name(type), (long long)bs);
    return 2;
  }
  tsr_allocator sys = tsr_allocator_system();
  tsr_error err;
  tsr_mapped_file vmap;
  if (tsr_file_map(vocab, &sys, &vmap, &err) != TSR_OK) {
    fprintf(stderr, "tsr mkmodel: %s\n", err.message);
    return 1;
  }
  tsr_gguf *vg = NULL;
  if (tsr_gguf_parse_ex(vmap.data, vmap.size, &sys, TSR_GGUF_ALLOW_UNSUPPORTED, &vg, &err) != TSR_OK) {
    fprintf(stderr, "tsr mkmodel: %s: %s\n", vocab, err.message);
    tsr_file_unmap(&vmap);
    return 1;
  }
  uint64_t n_vocab = 0;
  const tsr_gguf_kv *tokens = tsr_gguf_get_kv(vg, "tokenizer.ggml.tokens");
  if (tokens == NULL || tokens->type != TSR_GGUF_ARRAY) {
    fprintf(stderr, "tsr mkmodel: %s has no tokenizer.ggml.tokens\n", vocab);
    tsr_gguf_free(vg);
    tsr_file_unmap(&vmap);
    return 1;
  }
  n_vocab = tokens->v.arr.n;

  tsr_gguf_writer *w = NULL;
  int rc = 1;
  void **bufs = calloc(16 + (size_t)s.layers * 9, sizeof(void *));
  size_t n_bufs = 0;
  char(*names)[64] = calloc((size_t)s.layers * 9 + 4, 64);
  if (bufs == NULL || names == NULL || tsr_gguf_writer_create(&sys, 0, &w) != TSR_OK) goto done;
  const int32_t head_dim = s.dim / s.heads;
  bool ok = tsr_gguf_writer_add_str(w, "general.architecture", "llama", 5) == TSR_OK;
  char gname[96];
  snprintf(gname, sizeof(gname), "%s random %s", s.name, tsr_dtype_name(type));
  ok = ok && tsr_gguf_writer_add_str(w, "general.name", gname, strlen(gname)) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_u32(w, "general.file_type", file_type(type)) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_u32(w, "general.quantization_version", 2) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_u32(w, "llama.context_length", (uint32_t)s.ctx) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_u32(w, "llama.embedding_length", (uint32_t)s.dim) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_u32(w, "llama.feed_forward_length", (uint32_t)s.ffn) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_u32(w, "llama.block_count", (uint32_t)s.layers) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_u32(w, "llama.attention.head_count", (uint32_t)s.heads) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_u32(w, "llama.attention.head_count_kv", (uint32_t)s.kv_heads) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_f32(w, "llama.rope.freq_base", 10000.0f) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_u32(w, "llama.rope.dimension_count", (uint32_t)head_dim) == TSR_OK;
  ok = ok && tsr_gguf_writer_add_u32(w, "llama.vocab_size", (uint32_t)n_vocab) == TSR_OK;
  for (uint64_t i = 0; ok && i < vg->n_kv; ++i) {
    const tsr_gguf_kv *kv = &vg->kv[i];
    if (kv->key.len >= 10 && memcmp(kv->key.data, "tokenizer.", 10) == 0) ok = tsr_gguf_writer_copy_kv(w, kv) == TSR_OK;
  }
  if (!ok) {
    fprintf(stderr, "tsr mkmodel: could not write the metadata\n");
    goto done;
  }
  uint64_t rng = seed;
  const float amp = 0.02f * sqrtf(3.0f); /* uniform [-amp, amp]: std 0.02 */
  int64_t shp[2];
  /* matrices: name, rows (outputs), cols (inputs) */
#define MATRIX(nm, rows, cols)                                                              \
  do {                                                                                      \
    void *d = random_matrix(type, (rows), (cols), amp, &rng);                               \
    if (d == NULL) goto oom;                                                                \
    bufs[n_bufs++] = d;                                                                     \
    shp[0] = (rows), shp[1] = (cols);                                                       \
    if (tsr_gguf_writer_add_tensor(w, (nm), type, 2, shp, d) != TSR_OK) goto bad_tensor;    \
  } while (0)
#define NORM(nm)                                                                            \
  do {                                                                                      \
    void *d = ones(s.dim);                                                                  \
    if (d == NULL) goto oom;                                                                \
    bufs[n_bufs++] = d;                                                                     \
    shp[0] = s.dim;                                                                         \
    if (tsr_gguf_writer_add_tensor(w, (nm), TSR_DTYPE_F32, 1, shp, d) != TSR_OK) goto bad_tensor; \
  } while (0)
  MATRIX("token_embd.weight", (int64_t)n_vocab, s.dim);
  NORM("output_norm.weight");
  MATRIX("output.weight", (int64_t)n_vocab, s.dim);
  size_t ni = 0;
  for (int32_t l = 0; l < s.layers; ++l) {
    static const char *const kParts[] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                         "ffn_norm",  "ffn_gate", "ffn_up", "ffn_down"};
    for (int p = 0; p < 9; ++p) {
      char *nm = names[ni++];
      snprintf(nm, 64, "blk.%d.%s.weight", l, kParts[p]);
      switch (p) {
        case 0:
        case 5: NORM(nm); break;
        case 1: MATRIX(nm, (int64_t)s.heads * head_dim, s.dim); break;
        case 2:
        case 3: MATRIX(nm, (int64_t)s.kv_heads * head_dim, s.dim); break;
        case 4: MATRIX(nm, s.dim, (int64_t)s.heads * head_dim); break;
        case 6:
        case 7: MATRIX(nm, s.ffn, s.dim); break;
        default: MATRIX(nm, s.dim, s.ffn); break;
      }
    }
  }
  {
    /* Beside the destination, renamed into place when complete. */
    tsr_out_file of;
    char oerr[512];
    if (!tsr_out_open(&of, out, oerr, sizeof(oerr))) {
      fprintf(stderr, "tsr mkmodel: %s\n", oerr);
      goto done;
    }
    tsr_status st = tsr_gguf_writer_write(w, of.f, &err);
    if (st != TSR_OK) snprintf(oerr, sizeof(oerr), "writing %s: %s", out, err.message);
    if (!tsr_out_close(&of, st == TSR_OK, oerr, sizeof(oerr))) {
      fprintf(stderr, "tsr mkmodel: %s\n", oerr);
      goto done;
    }
  }
  uint64_t size = 0;
  if (tsr_gguf_writer_get_size(w, &size) != TSR_OK) size = 0;
  printf("%s: %s, %s, dim %d, %d layers, %d/%d heads, ffn %d, vocab %llu, %.1f MiB\n", out, s.name,
         tsr_dtype_name(type), s.dim, s.layers, s.heads, s.kv_heads, s.ffn, (unsigned long long)n_vocab,
         (double)size / 1048576.0);
  rc = 0;
  goto done;
oom:
  fprintf(stderr, "tsr mkmodel: out of memory\n");
  goto done;
bad_tensor:
  fprintf(stderr, "tsr mkmodel: could not add a tensor\n");
done:
  tsr_gguf_writer_free(w);
  for (size_t i = 0; bufs != NULL && i < n_bufs; ++i) free(bufs[i]);
  free(bufs);
  free(names);
  tsr_gguf_free(vg);
  tsr_file_unmap(&vmap);
  return rc;
#undef MATRIX
#undef NORM
}
