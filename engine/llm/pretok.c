/* BPE pre-tokenizers. Each pass refines a list of fragments (lengths in code
 * points) as llama.cpp's unicode_regex_split does: every regex splits every
 * fragment into its matches and the gaps between them, and a fragment
 * boundary is an end of text for the matchers (nothing looks across it).
 *
 * The two large regexes (GPT-2's and Llama 3's) follow llama.cpp's
 * hand-written equivalents (unicode_regex_split_custom_gpt2/_llama3) step by
 * step, so the splits agree exactly, including on code points that are not
 * assigned (flags UNDEFINED, which count as "other" characters). */
#include "engine/llm/pretok.h"

#include "engine/llm/unicode.h"

#define OUT_OF_RANGE 0xffffffffu

typedef struct frag_ctx {
  const uint32_t *cpts;
  const uint16_t *flags;
  size_t ini, end;     /* the current fragment */
  size_t prev_end;
  size_t *out;
  size_t n_out;
} frag_ctx;

static uint32_t cpt_at(const frag_ctx *c, size_t pos) {
  return (pos >= c->ini && pos < c->end) ? c->cpts[pos] : OUT_OF_RANGE;
}

static uint16_t flags_at(const frag_ctx *c, size_t pos) {
  return (pos >= c->ini && pos < c->end) ? c->flags[pos] : 0;
}

/* Ends a word at |end|; returns its length (0 adds nothing). */
static size_t add_word(frag_ctx *c, size_t end) {
  size_t len = end - c->prev_end;
  if (len > 0) c->out[c->n_out++] = len;
  c->prev_end = end;
  return len;
}

#define WS TSR_UCF_WHITESPACE
#define LET TSR_UCF_LETTER
#define NUM TSR_UCF_NUMBER

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static void split_gpt2(frag_ctx *c) {
  size_t pos = c->ini;
  while (pos < c->end) {
    uint32_t cpt = cpt_at(c, pos);
    uint16_t f = flags_at(c, pos);
    if (cpt == '\'' && pos + 1 < c->end) {
      uint32_t nx = cpt_at(c, pos + 1);
      if (nx == 's' || nx == 't' || nx == 'm' || nx == 'd') {
        pos += add_word(c, pos + 2);
        continue;
      }
      if (pos + 2 < c->end) {
        uint32_t nn = cpt_at(c, pos + 2);
        if ((nx == 'r' && nn == 'e') || (nx == 'v' && nn == 'e') || (nx == 'l' && nn == 'l')) {
          pos += add_word(c, pos + 3);
          continue;
        }
      }
    }
    uint16_t f2 = cpt == ' ' ? flags_at(c, pos + 1) : f;
    if (f2 & LET) { /* <space>?\p{L}+ */
      pos += cpt == ' ';
      while (f2 & LET) f2 = flags_at(c, ++pos);
      add_word(c, pos);
      continue;
    }
    if (f2 & NUM) { /* <space>?\p{N}+ */
      pos += cpt == ' ';
      while (f2 & NUM) f2 = flags_at(c, ++pos);
      add_word(c, pos);
      continue;
    }
    if (!(f2 & (WS | LET | NUM)) && f2) { /* <space>?[^\s\p{L}\p{N}]+ */
      pos += cpt == ' ';
      while (!(f2 & (WS | LET | NUM)) && f2) f2 = flags_at(c, ++pos);
      add_word(c, pos);
      continue;
    }
    size_t nws = 0;
    while (flags_at(c, pos + nws) & WS) ++nws;
    if (nws > 1 && cpt_at(c, pos + nws) != OUT_OF_RANGE) { /* \s+(?!\S) */
      pos += nws - 1;
      add_word(c, pos);
      continue;
    }
    if (nws > 0) { /* \s+ */
      pos += nws;
      add_word(c, pos);
      continue;
    }
    add_word(c, ++pos); /* no match */
  }
}

static uint32_t ascii_lower(uint32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}|
 *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * (Only ASCII letters lower-case to the letters of the contractions.) */
static void split_llama3(frag_ctx *c, size_t max_digits) {
  size_t pos = c->ini;
  while (pos < c->end) {
    uint32_t cpt = cpt_at(c, pos);
    uint16_t f = flags_at(c, pos);
    if (cpt == '\'' && pos + 1 < c->end) {
      uint32_t nx = ascii_lower(cpt_at(c, pos + 1));
      if (nx == 's' || nx == 't' || nx == 'm' || nx == 'd') {
        pos += add_word(c, pos + 2);
        continue;
      }
      if (pos + 2 < c->end) {
        uint32_t nn = ascii_lower(cpt_at(c, pos + 2));
        if ((nx == 'r' && nn == 'e') || (nx == 'v' && nn == 'e') || (nx == 'l' && nn == 'l')) {
          pos += add_word(c, pos + 3);
          continue;
        }
      }
    }
    if (!(cpt == '\r' || cpt == '\n' || (f & NUM))) { /* [^\r\n\p{L}\p{N}]?\p{L}+ */
      if ((f & LET) || (flags_at(c, pos + 1) & LET)) {
        ++pos;
        while (flags_at(c, pos) & LET) ++pos;
        add_word(c, pos);
        continue;
      }
    }
    if (f & NUM) { /* \p{N}{1,max_digits} */
      size_t ini = pos;
      while (flags_at(c, pos) & NUM) {
        if (++pos - ini >= max_digits) {
          add_word(c, pos);
          ini = pos;
        }
      }
      add_word(c, pos);
      continue;
    }
    uint16_t f2 = cpt == ' ' ? flags_at(c, pos + 1) : f;
    if (!(f2 & (WS | LET | NUM)) && f) { /* <space>?[^\s\p{L}\p{N}]+[\r\n]* */
      pos += cpt == ' ';
      while (!(f2 & (WS | LET | NUM)) && f2) f2 = flags_at(c, ++pos);
      uint32_t c2 = cpt_at(c, pos);
      while (c2 == '\r' || c2 == '\n') c2 = cpt_at(c, ++pos);
      add_word(c, pos);
      continue;
    }
    size_t nws = 0, last_rn = 0;
    while (flags_at(c, pos + nws) & WS) {
      uint32_t c2 = cpt_at(c, pos + nws);
      if (c2 == '\r' || c2 == '\n') last_rn = pos + nws + 1;
      ++nws;
    }
    if (last_rn > 0) { /* \s*[\r\n]+ */
      pos = last_rn;
      add_word(c, pos);
      continue;
    }
    if (nws > 1 && cpt_at(c, pos + nws) != OUT_OF_RANGE) { /* \s+(?!\S) */
      pos += nws - 1;
      add_word(c, pos);
      continue;
    }
    if (nws > 0) { /* \s+ */
      pos += nws;
      add_word(c, pos);
      continue;
    }
    add_word(c, ++pos);
  }
}

/* Character classes of the simple regexes. */
typedef enum cls {
  CLS_PUNCT_DEFAULT, /* [\p{P}\$\+<=>\^~\|] */
  CLS_PUNCT_FALCON,  /* [\p{P}\$\+<=>\^~\|`] */
  CLS_NUMBER,        /* \p{N} */
} cls;

static int in_class(cls k, uint32_t cpt, uint16_t f) {
  switch (k) {
    case CLS_PUNCT_DEFAULT:
      return (f & TSR_UCF_PUNCTUATION) || cpt == '$' || cpt == '+' || cpt == '<' || cpt == '=' || cpt == '>' ||
             cpt == '^' || cpt == '~' || cpt == '|';
    case CLS_PUNCT_FALCON:
      return in_class(CLS_PUNCT_DEFAULT, cpt, f) || cpt == '`';
    case CLS_NUMBER:
      return (f & TSR_UCF_NUMBER) != 0;
  }
  return 0;
}

/* [class]+ (|runs|) or [class] (each character alone): matches and the gaps
 * between them. */
static void split_class(frag_ctx *c, cls k, int runs) {
  size_t i = c->ini;
  while (i < c->end) {
    size_t j = i;
    if (in_class(k, c->cpts[i], c->flags[i])) {
      ++j;
      if (runs) {
        while (j < c->end && in_class(k, c->cpts[j], c->flags[j])) ++j;
      }
    } else {
      while (j < c->end && !in_class(k, c->cpts[j], c->flags[j])) ++j;
    }
    add_word(c, j);
    i = j;
  }
}

/* [0-9][0-9][0-9]: leftmost non-overlapping matches. */
static void split_digits3(frag_ctx *c) {
  size_t i = c->ini;
  while (i + 3 <= c->end) {
    const uint32_t *p = c->cpts + i;
    if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9') {
      add_word(c, i);     /* the gap before, if any */
      add_word(c, i + 3); /* the match */
      i += 3;
    } else {
      ++i;
    }
  }
  add_word(c, c->end);
}

typedef enum pass {
  PASS_GPT2,
  PASS_LLAMA3,
  PASS_QWEN2,
  PASS_PUNCT_DEFAULT,
  PASS_PUNCT_FALCON,
  PASS_NUMBERS,     /* \p{N}+ */
  PASS_NUMBER_EACH, /* \p{N} */
  PASS_DIGITS3,
  PASS_END
} pass;

static const pass kPasses[TSR_PRETOK_COUNT][5] = {
    [TSR_PRETOK_DEFAULT] = {PASS_PUNCT_DEFAULT, PASS_GPT2, PASS_NUMBERS, PASS_DIGITS3, PASS_END},
    [TSR_PRETOK_GPT2] = {PASS_GPT2, PASS_END},
    [TSR_PRETOK_FALCON] = {PASS_PUNCT_FALCON, PASS_GPT2, PASS_DIGITS3, PASS_END},
    [TSR_PRETOK_STARCODER] = {PASS_NUMBER_EACH, PASS_GPT2, PASS_END},
    [TSR_PRETOK_LLAMA3] = {PASS_LLAMA3, PASS_END},
    [TSR_PRETOK_QWEN2] = {PASS_QWEN2, PASS_END},
};

size_t tsr_pretok_split(tsr_pretok kind, const uint32_t *cpts, const uint16_t *flags, size_t n, size_t *out,
                        size_t *tmp) {
  if (n == 0) return 0;
  if ((unsigned)kind >= TSR_PRETOK_COUNT) kind = TSR_PRETOK_DEFAULT;
  /* Passes alternate between the two buffers, ending in |out|. */
  int n_pass = 0;
  while (kPasses[kind][n_pass] != PASS_END) ++n_pass;
  size_t *cur = (n_pass % 2) ? tmp : out, *nxt = (n_pass % 2) ? out : tmp;
  cur[0] = n;
  size_t n_cur = 1;
  for (int p = 0; p < n_pass; ++p) {
    frag_ctx c = {cpts, flags, 0, 0, 0, nxt, 0};
    size_t start = 0;
    for (size_t f = 0; f < n_cur; ++f) {
      c.ini = c.prev_end = start;
      c.end = start + cur[f];
      switch (kPasses[kind][p]) {
        case PASS_GPT2: split_gpt2(&c); break;
        case PASS_LLAMA3: split_llama3(&c, 3); break;
        case PASS_QWEN2: split_llama3(&c, 1); break;
        case PASS_PUNCT_DEFAULT: split_class(&c, CLS_PUNCT_DEFAULT, 1); break;
        case PASS_PUNCT_FALCON: split_class(&c, CLS_PUNCT_FALCON, 1); break;
        case PASS_NUMBERS: split_class(&c, CLS_NUMBER, 1); break;
        case PASS_NUMBER_EACH: split_class(&c, CLS_NUMBER, 0); break;
        case PASS_DIGITS3: split_digits3(&c); break;
        case PASS_END: break;
      }
      start = c.end;
    }
    n_cur = c.n_out;
    size_t *t = cur;
    cur = nxt;
    nxt = t;
  }
  return n_cur;
}
