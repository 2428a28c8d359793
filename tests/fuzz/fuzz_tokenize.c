/* libFuzzer target: arbitrary text through the real vocabularies (llama.cpp's
 * phi-3, gpt-2, falcon and mpt GGUFs, llama2.c's tok512.bin, found under
 * $TESSERA_MODELS). Every id must be in range, and decoding must give the
 * text back: for the GGUF vocabularies whenever the text is well-formed
 * UTF-8 made of characters the vocabulary can spell (falcon has no token for
 * some ASCII control bytes); for llama2.c always; except where the
 * vocabulary itself rewrites text (phi-3's "</s>" eats the spaces after it,
 * U+2581 reads as a space, llama2.c's BOS/EOS texts). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf/gguf.h"
#include "engine/io/fileio.h"
#include "engine/llm/tokenizer.h"
#include "engine/llm/unicode.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { N_VOCAB = 5 };
static const char *const kFiles[N_VOCAB] = {
    "tokenizers/llama.cpp/ggml-vocab-phi-3.gguf", "tokenizers/llama.cpp/ggml-vocab-gpt-2.gguf",
    "tokenizers/llama.cpp/ggml-vocab-falcon.gguf", "tokenizers/llama.cpp/ggml-vocab-mpt.gguf",
    "llm/llama2c/tok512.bin"};
/* Set once at start-up (the fuzzer's own state, not the library's). */
static tsr_mapped_file g_files[N_VOCAB];
static tsr_gguf *g_gguf[N_VOCAB];
static tsr_tokenizer *g_tok[N_VOCAB];
/* ASCII bytes that have a token of their own (falcon lacks some control
 * characters: llama.cpp, and so Tessera, drop those). */
static unsigned char g_ascii_ok[N_VOCAB][128];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *dir = getenv("TESSERA_MODELS");
  tsr_allocator a = tsr_allocator_system();
  for (int i = 0; i < N_VOCAB; ++i) {
    char path[1024];
    tsr_error err;
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "../shared/models", kFiles[i]);
    if (tsr_file_map(path, &a, &g_files[i], &err) != TSR_OK) {
      fprintf(stderr, "fuzz_tokenize: %s (set TESSERA_MODELS)\n", err.message);
      exit(1);
    }
    tsr_status s = i < 4 ? tsr_gguf_parse(g_files[i].data, g_files[i].size, &a, &g_gguf[i], &err) : TSR_OK;
    if (s == TSR_OK)
      s = i < 4 ? tsr_tokenizer_from_gguf(g_gguf[i], &a, &g_tok[i], &err)
                : tsr_tokenizer_from_llama2c(g_files[i].data, g_files[i].size, 512, &a, &g_tok[i], &err);
    if (s != TSR_OK) {
      fprintf(stderr, "fuzz_tokenize: %s: %s\n", path, err.message);
      exit(1);
    }
    for (int c = 0; c < 128; ++c) {
      char ch = (char)c;
      int32_t ids[4];
      size_t n = 0;
      g_ascii_ok[i][c] = tsr_tokenizer_encode(g_tok[i], &ch, 1, 0, ids, 4, &n) == TSR_OK && n > 0;
    }
  }
  return 0;
}

/* True if |s| decodes and re-encodes to the same bytes. */
static int well_formed(const uint8_t *s, size_t n) {
  size_t pos = 0;
  while (pos < n) {
    size_t start = pos;
    uint32_t c = tsr_utf8_decode(s, n, &pos);
    uint8_t u[4];
    size_t l = tsr_utf8_encode(c, u);
    if (l != pos - start || memcmp(u, s + start, l) != 0) return 0;
  }
  return 1;
}

static int contains(const uint8_t *s, size_t n, const char *needle) {
  size_t m = strlen(needle);
  for (size_t i = 0; i + m <= n; ++i) {
    if (memcmp(s + i, needle, m) == 0) return 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  /* Worst case: byte-level BPE reads a bad byte as U+FFFD, 3 byte tokens. */
  int32_t *ids = malloc((3 * size + 8) * sizeof(int32_t));
  char *back = malloc(size + 64);
  int wf = well_formed(data, size);
  for (int v = 0; v < N_VOCAB; ++v) {
    tsr_tokenizer *t = g_tok[v];
    size_t n = 0, len = 0;
    uint32_t flags = v == 4 ? TSR_TOKENIZE_ADD_BOS : 0;
    if (tsr_tokenizer_encode(t, (const char *)data, size, flags, ids, 3 * size + 8, &n) != TSR_OK) __builtin_trap();
    for (size_t i = 0; i < n; ++i) {
      if (ids[i] < 0 || ids[i] >= tsr_tokenizer_vocab_size(t)) __builtin_trap();
    }
    tsr_status s = tsr_tokenizer_decode(t, ids, n, back, size + 64, &len);
    if (s != TSR_OK && s != TSR_ERR_BUFFER_TOO_SMALL) __builtin_trap();
    int check;
    switch (v) {
      case 0: /* a bad UTF-8 lead byte swallows the bytes of the next U+2581 */
        check = wf && !contains(data, size, "</s>") && !contains(data, size, "\xe2\x96\x81");
        break;
      case 4: check = !contains(data, size, "<s>") && !contains(data, size, "</s>"); break;
      default:
        check = wf;
        for (size_t i = 0; i < size && check; ++i) check = data[i] >= 0x80 || g_ascii_ok[v][data[i]];
        break;
    }
    if (check && (s != TSR_OK || len != size || memcmp(back, data, size) != 0)) {
      fprintf(stderr, "round trip failed for vocabulary %s\n", kFiles[v]);
      __builtin_trap();
    }
  }
  free(ids);
  free(back);
  return 0;
}
