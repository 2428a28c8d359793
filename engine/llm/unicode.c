/* Unicode lookups over the generated tables. */
#include "engine/llm/unicode.h"

uint16_t tsr_unicode_flags(uint32_t cpt) {
  if (cpt >= 0x110000) return 0;
  /* Last range whose first code point is <= cpt. */
  uint32_t lo = 0, hi = tsr_unicode_n_ranges;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (tsr_unicode_ranges[mid].first <= cpt) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  uint16_t f = tsr_unicode_ranges[lo].flags;
  uint32_t a = 0, b = tsr_unicode_n_whitespace;
  while (a < b) {
    uint32_t mid = a + (b - a) / 2;
    if (tsr_unicode_whitespace[mid] < cpt) {
      a = mid + 1;
    } else {
      b = mid;
    }
  }
  if (a < tsr_unicode_n_whitespace && tsr_unicode_whitespace[a] == cpt) f |= TSR_UCF_WHITESPACE;
  return f;
}

uint32_t tsr_utf8_decode(const uint8_t *s, size_t n, size_t *pos) {
  size_t i = *pos;
  uint8_t c = s[i];
  uint32_t cpt;
  size_t len;
  if (!(c & 0x80)) {
    *pos = i + 1;
    return c;
  }
  if (!(c & 0x40)) goto invalid;
  if (!(c & 0x20)) {
    len = 2;
    cpt = c & 0x1f;
  } else if (!(c & 0x10)) {
    len = 3;
    cpt = c & 0x0f;
  } else if (!(c & 0x08)) {
    len = 4;
    cpt = c & 0x07;
  } else {
    goto invalid;
  }
  if (i + len > n) goto invalid;
  for (size_t k = 1; k < len; ++k) {
    if ((s[i + k] & 0xc0) != 0x80) goto invalid;
    cpt = (cpt << 6) | (s[i + k] & 0x3f);
  }
  if (cpt > 0x10ffff) goto invalid;
  *pos = i + len;
  return cpt;
invalid:
  *pos = i + 1;
  return 0xfffd;
}

size_t tsr_utf8_encode(uint32_t cpt, uint8_t out[4]) {
  if (cpt <= 0x7f) {
    out[0] = (uint8_t)cpt;
    return 1;
  }
  if (cpt <= 0x7ff) {
    out[0] = (uint8_t)(0xc0 | (cpt >> 6));
    out[1] = (uint8_t)(0x80 | (cpt & 0x3f));
    return 2;
  }
  if (cpt <= 0xffff) {
    out[0] = (uint8_t)(0xe0 | (cpt >> 12));
    out[1] = (uint8_t)(0x80 | ((cpt >> 6) & 0x3f));
    out[2] = (uint8_t)(0x80 | (cpt & 0x3f));
    return 3;
  }
  out[0] = (uint8_t)(0xf0 | ((cpt >> 18) & 0x07));
  out[1] = (uint8_t)(0x80 | ((cpt >> 12) & 0x3f));
  out[2] = (uint8_t)(0x80 | ((cpt >> 6) & 0x3f));
  out[3] = (uint8_t)(0x80 | (cpt & 0x3f));
  return 4;
}
