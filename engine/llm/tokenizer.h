/* Tokenizers for the language models:
 * - llama2.c tokenizer.bin (SentencePiece BPE by scores, byte fallback);
 * - GGUF tokenizer.ggml.model = "llama": SentencePiece BPE with byte fallback
 *   (the ▁ dummy prefix as llama.cpp applies it);
 * - GGUF tokenizer.ggml.model = "gpt2": byte-level BPE with merges, split
 *   first by the pre-tokenizer regexes that tokenizer.ggml.pre names
 *   ("default", "gpt-2", "falcon", "mpt", ...).
 * BOS/EOS ids come from the metadata. Encoding reproduces llama.cpp's
 * tokenizer on its test vectors; decoding round-trips. */
#ifndef TESSERA_ENGINE_LLM_TOKENIZER_H_
#define TESSERA_ENGINE_LLM_TOKENIZER_H_

#include "engine/gguf/gguf.h"
#include "tessera/tessera.h"

typedef struct tsr_tokenizer tsr_tokenizer;

typedef enum tsr_tokenizer_kind {
  TSR_TOKENIZER_LLAMA2C = 0, /* tokenizer.bin */
  TSR_TOKENIZER_SPM,         /* GGUF "llama" */
  TSR_TOKENIZER_BPE,         /* GGUF "gpt2" */
} tsr_tokenizer_kind;

enum {
  TSR_TOKENIZE_ADD_BOS = 1u << 0,       /* prepend BOS */
  TSR_TOKENIZE_PARSE_SPECIAL = 1u << 1, /* recognise control tokens in the text ("<s>") */
  TSR_TOKENIZE_ADD_EOS = 1u << 2,       /* append EOS */
};

/* From a GGUF's tokenizer.ggml.* metadata. The GGUF must outlive the
 * tokenizer. Allocates through |a|. */
TSR_NODISCARD tsr_status tsr_tokenizer_from_gguf(const tsr_gguf *g, const tsr_allocator *a,
                                                 tsr_tokenizer **out, tsr_error *err);
/* From a llama2.c tokenizer.bin blob (|vocab_size| from the model header;
 * 0 counts the entries in the blob). The blob must outlive the tokenizer. */
TSR_NODISCARD tsr_status tsr_tokenizer_from_llama2c(const void *data, size_t size, int32_t vocab_size,
                                                    const tsr_allocator *a, tsr_tokenizer **out,
                                                    tsr_error *err);
void tsr_tokenizer_free(tsr_tokenizer *t);

tsr_tokenizer_kind tsr_tokenizer_get_kind(const tsr_tokenizer *t);
int32_t tsr_tokenizer_vocab_size(const tsr_tokenizer *t);
int32_t tsr_tokenizer_bos(const tsr_tokenizer *t); /* -1 if none */
int32_t tsr_tokenizer_eos(const tsr_tokenizer *t); /* -1 if none */
/* True for control tokens that end generation (EOS, EOT, ...). For llama2.c
 * tokenizers: EOS (2) and BOS (1), on which llama2.c's run stops. */
bool tsr_tokenizer_is_eog(const tsr_tokenizer *t, int32_t id);
/* True for control and unknown-type tokens (they decode to nothing). */
bool tsr_tokenizer_is_control(const tsr_tokenizer *t, int32_t id);
/* Whether the vocabulary asks for BOS at the start of a prompt
 * (tokenizer.ggml.add_bos_token, else llama.cpp's default for the type;
 * true for llama2.c). */
bool tsr_tokenizer_add_bos_default(const tsr_tokenizer *t);
/* The pre-tokenizer's name ("gpt-2", "default"; "llama2.c"). Static. */
const char *tsr_tokenizer_pre_name(const tsr_tokenizer *t);

/* Encodes |len| bytes of UTF-8 |text| into |out_ids| (capacity |cap|);
 * *out_n gets the count even when it exceeds |cap| (then
 * TSR_ERR_BUFFER_TOO_SMALL). May use working memory from the tokenizer's
 * allocator (prompt time, not the per-token path): TSR_ERR_OUT_OF_MEMORY if
 * it fails. Invalid UTF-8 is read as llama.cpp reads it (U+FFFD per bad
 * byte for BPE; bytes for SPM and llama2.c). Texts over 128 MiB:
 * TSR_ERR_INVALID_ARGUMENT. The tokenizer is not modified: calls from
 * several threads are safe if the allocator is. */
TSR_NODISCARD tsr_status tsr_tokenizer_encode(tsr_tokenizer *t, const char *text, size_t len,
                                              uint32_t flags, int32_t *out_ids, size_t cap,
                                              size_t *out_n);
/* The bytes token |id| decodes to, following token |prev| (-1 at the start):
 * the SPM dummy-prefix space after BOS (or at the start) is dropped and
 * byte tokens <0xNN> become the byte, as llama2.c and llama.cpp print them.
 * GGUF control tokens give nothing (llama.cpp's token_to_piece); llama2.c
 * tokens give run.c's decode() piece, "\n<s>\n" for BOS included. Writes at
 * most |cap| bytes, *out_len gets the full length (TSR_ERR_BUFFER_TOO_SMALL
 * if over |cap|). Never allocates. */
TSR_NODISCARD tsr_status tsr_tokenizer_decode_token(const tsr_tokenizer *t, int32_t prev, int32_t id,
                                                    char *out, size_t cap, size_t *out_len);
/* Decodes a whole sequence (as llama.cpp's detokenizer, no special tokens,
 * no clean-up of spaces): encode followed by decode gives the text back. */
TSR_NODISCARD tsr_status tsr_tokenizer_decode(const tsr_tokenizer *t, const int32_t *ids, size_t n,
                                              char *out, size_t cap, size_t *out_len);
/* The stored text of token |id| (raw vocabulary entry), or an empty string. */
tsr_gguf_str tsr_tokenizer_token_text(const tsr_tokenizer *t, int32_t id);

#endif /* TESSERA_ENGINE_LLM_TOKENIZER_H_ */
