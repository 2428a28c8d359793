/* Unicode helpers for the tokenizers: code point category flags (llama.cpp's
 * unicode_cpt_flags bit values, from the generated unicode_tables.c) and
 * UTF-8 decoding with llama.cpp's rules for invalid input. */
#ifndef TESSERA_ENGINE_LLM_UNICODE_H_
#define TESSERA_ENGINE_LLM_UNICODE_H_

#include <stddef.h>
#include <stdint.h>

enum {
  TSR_UCF_UNDEFINED = 0x0001,   /* Cn */
  TSR_UCF_NUMBER = 0x0002,      /* \p{N} */
  TSR_UCF_LETTER = 0x0004,      /* \p{L} */
  TSR_UCF_SEPARATOR = 0x0008,   /* \p{Z} */
  TSR_UCF_MARK = 0x0010,        /* \p{M} */
  TSR_UCF_PUNCTUATION = 0x0020, /* \p{P} */
  TSR_UCF_SYMBOL = 0x0040,      /* \p{S} */
  TSR_UCF_CONTROL = 0x0080,     /* \p{C} */
  TSR_UCF_WHITESPACE = 0x0100,  /* \s: the White_Space property */
};

typedef struct tsr_unicode_range {
  uint32_t first;
  uint16_t flags;
} tsr_unicode_range;

/* Generated tables (engine/llm/unicode_tables.c). */
extern const tsr_unicode_range tsr_unicode_ranges[];
extern const uint32_t tsr_unicode_n_ranges;
extern const uint32_t tsr_unicode_whitespace[];
extern const uint32_t tsr_unicode_n_whitespace;

/* Category flags of |cpt| plus TSR_UCF_WHITESPACE; 0 past U+10FFFF. Pure. */
uint16_t tsr_unicode_flags(uint32_t cpt);

/* Length of the UTF-8 sequence that |lead| starts, from its top 4 bits
 * (1 for continuation bytes), as llama.cpp's unicode_len_utf8. */
static inline size_t tsr_utf8_len(uint8_t lead) {
  static const uint8_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return lookup[lead >> 4];
}

/* Decodes the code point at s[*pos] (< n) and advances *pos. Invalid or
 * truncated sequences give U+FFFD and advance one byte (llama.cpp's
 * unicode_cpts_from_utf8); values past U+10FFFF also give U+FFFD. */
uint32_t tsr_utf8_decode(const uint8_t *s, size_t n, size_t *pos);

/* Writes the UTF-8 of |cpt| (<= U+10FFFF) to |out|; returns 1..4. */
size_t tsr_utf8_encode(uint32_t cpt, uint8_t out[4]);

#endif /* TESSERA_ENGINE_LLM_UNICODE_H_ */
