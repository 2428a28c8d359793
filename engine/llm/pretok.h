/* Pre-tokenizers of the byte-level BPE vocabularies: they split text (as
 * code points) into words before BPE, as the regexes that llama.cpp
 * associates with tokenizer.ggml.pre do. The regexes are implemented by
 * hand-written matchers over Unicode categories. */
#ifndef TESSERA_ENGINE_LLM_PRETOK_H_
#define TESSERA_ENGINE_LLM_PRETOK_H_

#include <stddef.h>
#include <stdint.h>

typedef enum tsr_pretok {
  /* "[\p{P}\$\+<=>\^~\|]+", GPT2, "\p{N}+", "[0-9][0-9][0-9]" */
  TSR_PRETOK_DEFAULT = 0,
  /* GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)" (gpt-2, mpt, ...) */
  TSR_PRETOK_GPT2,
  /* "[\p{P}\$\+<=>\^~\|`]+", GPT2, "[0-9][0-9][0-9]" */
  TSR_PRETOK_FALCON,
  /* "\p{N}", GPT2 (starcoder, refact, command-r, smollm, ...) */
  TSR_PRETOK_STARCODER,
  /* "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" */
  TSR_PRETOK_LLAMA3,
  /* LLAMA3 with \p{N} (one digit) instead of \p{N}{1,3} (qwen2, stablelm2) */
  TSR_PRETOK_QWEN2,
  TSR_PRETOK_COUNT
} tsr_pretok;

/* Splits the |n| code points |cpts| (with |flags| from tsr_unicode_flags)
 * into words: writes each word's length in code points to |out| and returns
 * the count. |out| and |tmp| hold |n| entries each. Allocates: never. */
size_t tsr_pretok_split(tsr_pretok kind, const uint32_t *cpts, const uint16_t *flags, size_t n, size_t *out,
                        size_t *tmp);

#endif /* TESSERA_ENGINE_LLM_PRETOK_H_ */
