/* tsr tokenize: prints the token ids of a text, like llama.cpp's tokenize
 * tool with --ids (space-separated, one line, no BOS unless asked). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf/gguf.h"
#include "engine/io/fileio.h"
#include "engine/llm/tokenizer.h"
#include "tools/tsr/commands.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: tsr tokenize -m MODEL [-z TOKENIZER] [--bos] [--special] [--pieces] [--file PATH | TEXT]\n"
          "  -m MODEL      a GGUF with tokenizer.ggml.* metadata (vocabulary-only files too),\n"
          "                or with -z a llama2.c model.bin (its header gives the vocabulary size)\n"
          "  -z TOKENIZER  a llama2.c tokenizer.bin (without -m: all of its entries)\n"
          "  --bos         prepend BOS\n"
          "  --special     parse control tokens written in the text (\"<s>\")\n"
          "  --pieces      one 'id -> piece' line per token instead of the ids\n"
          "  --file PATH   read the text from PATH (else TEXT, or -p TEXT)\n");
}

/* The vocabulary size in a llama2.c checkpoint header (7 x int32). */
static int llama2c_vocab(const char *path, int32_t *out) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return 0;
  unsigned char h[28];
  size_t n = fread(h, 1, sizeof(h), f);
  fclose(f);
  if (n != sizeof(h) || memcmp(h, "GGUF", 4) == 0) return 0;
  int32_t v = (int32_t)((uint32_t)h[20] | (uint32_t)h[21] << 8 | (uint32_t)h[22] << 16 | (uint32_t)h[23] << 24);
  if (v == INT32_MIN) return 0;
  *out = v < 0 ? -v : v;
  return *out > 0;
}

int tsr_cmd_tokenize(int argc, char **argv) {
  const char *model = NULL, *tok_path = NULL, *file = NULL, *text = NULL;
  uint32_t flags = 0;
  int pieces = 0;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if ((strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) && i + 1 < argc) {
      model = argv[++i];
    } else if ((strcmp(a, "-z") == 0 || strcmp(a, "--tokenizer") == 0) && i + 1 < argc) {
      tok_path = argv[++i];
    } else if (strcmp(a, "--file") == 0 && i + 1 < argc) {
      file = argv[++i];
    } else if ((strcmp(a, "-p") == 0 || strcmp(a, "--prompt") == 0) && i + 1 < argc) {
      text = argv[++i];
    } else if (strcmp(a, "--bos") == 0) {
      flags |= TSR_TOKENIZE_ADD_BOS;
    } else if (strcmp(a, "--special") == 0) {
      flags |= TSR_TOKENIZE_PARSE_SPECIAL;
    } else if (strcmp(a, "--pieces") == 0) {
      pieces = 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "tsr tokenize: unknown option %s\n", a);
      usage(stderr);
      return 2;
    } else if (text == NULL) {
      text = a;
    } else {
      fprintf(stderr, "tsr tokenize: one TEXT only (quote it)\n");
      return 2;
    }
  }
  if ((model == NULL && tok_path == NULL) || (file != NULL && text != NULL)) {
    usage(stderr);
    return 2;
  }
  if (file == NULL && text == NULL) {
    fprintf(stderr, "tsr tokenize: no text given (TEXT, -p TEXT or --file PATH)\n");
    return 2;
  }

  tsr_allocator a = tsr_allocator_system();
  tsr_error err;
  tsr_error_clear(&err);
  tsr_mapped_file mf = {0}, tf = {0}, xf = {0};
  tsr_gguf *g = NULL;
  tsr_tokenizer *t = NULL;
  int32_t *ids = NULL;
  int rc = 1;
  tsr_status s;
  if (tok_path != NULL) {
    int32_t vocab = 0;
    if (model != NULL && !llama2c_vocab(model, &vocab)) {
      fprintf(stderr, "tsr tokenize: %s is not a llama2.c checkpoint (needed with -z)\n", model);
      return 1;
    }
    s = tsr_file_map(tok_path, &a, &tf, &err);
    if (s == TSR_OK) s = tsr_tokenizer_from_llama2c(tf.data, tf.size, vocab, &a, &t, &err);
  } else {
    s = tsr_file_map(model, &a, &mf, &err);
    if (s == TSR_OK) s = tsr_gguf_parse_ex(mf.data, mf.size, &a, TSR_GGUF_ALLOW_UNSUPPORTED, &g, &err);
    if (s == TSR_OK) s = tsr_tokenizer_from_gguf(g, &a, &t, &err);
  }
  size_t len = text != NULL ? strlen(text) : 0;
  if (s == TSR_OK && file != NULL) {
    s = tsr_file_map(file, &a, &xf, &err);
    text = (const char *)xf.data;
    len = xf.size;
  }
  if (s != TSR_OK) {
    fprintf(stderr, "tsr tokenize: %s: %s\n", tsr_status_string(s), err.message);
    goto done;
  }
  size_t n = 0, cap = len + 16;
  ids = malloc(cap * sizeof(int32_t));
  if (ids == NULL) {
    fprintf(stderr, "tsr tokenize: out of memory\n");
    goto done;
  }
  s = tsr_tokenizer_encode(t, text, len, flags, ids, cap, &n);
  if (s == TSR_ERR_BUFFER_TOO_SMALL) {
    free(ids);
    cap = n;
    ids = malloc(cap * sizeof(int32_t));
    s = ids ? tsr_tokenizer_encode(t, text, len, flags, ids, cap, &n) : TSR_ERR_OUT_OF_MEMORY;
  }
  if (s != TSR_OK) {
    fprintf(stderr, "tsr tokenize: encoding failed: %s\n", tsr_status_string(s));
    goto done;
  }
  if (pieces) {
    for (size_t i = 0; i < n; ++i) {
      char buf[512];
      size_t pl = 0;
      s = tsr_tokenizer_decode_token(t, i > 0 ? ids[i - 1] : -1, ids[i], buf, sizeof(buf), &pl);
      if (s != TSR_OK) pl = 0;
      printf("%6d -> '%.*s'\n", ids[i], (int)pl, buf);
    }
  } else {
    for (size_t i = 0; i < n; ++i) printf(i ? " %d" : "%d", ids[i]);
    printf("\n");
  }
  rc = 0;
done:
  free(ids);
  tsr_tokenizer_free(t);
  tsr_gguf_free(g);
  tsr_file_unmap(&xf);
  tsr_file_unmap(&tf);
  tsr_file_unmap(&mf);
  return rc;
}
