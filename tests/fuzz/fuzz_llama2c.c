/* libFuzzer target: the llama2.c checkpoint loader, then the graph built
 * from whatever it accepted, run for a few tokens. Every input must end in
 * TSR_OK or an error status, never in a crash or a sanitizer report.
 *
 * Each input is tried twice: as it is (the loader's checks), and "repaired"
 * to exactly the size its header describes when that is small (the payload
 * repeated), so that mutated headers reach graph building and the kernels
 * with arbitrary shapes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/tessera.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_blob(const uint8_t *data, size_t size) {
  /* Exactly |size| bytes (reads past the end are reported), 16-aligned. */
  uint8_t *buf = malloc(size ? size : 1);
  if (buf == NULL) return;
  if (size) memcpy(buf, data, size);
  /* Not GGUF: this target is for the llama2.c path. */
  if (size >= 4 && memcmp(buf, "GGUF", 4) == 0) buf[0] = 'g';
  tsr_llm_options o;
  memset(&o, 0, sizeof(o));
  o.n_threads = 1;
  o.n_ctx = 8;
  o.max_batch = 4;
  tsr_llm *m = NULL;
  tsr_error err;
  if (tsr_llm_load_memory(buf, size, &o, &m, &err) == TSR_OK) {
    const int32_t vocab = tsr_llm_get_hparams(m)->vocab_size;
    int32_t ids[5] = {0, 1 % vocab, 2 % vocab, vocab - 1, 0};
    const float *lg = NULL;
    if (tsr_llm_eval(m, ids, 5, &lg) == TSR_OK && tsr_llm_eval(m, ids, 1, &lg) == TSR_OK) {
      volatile float sink = lg[vocab - 1];
      (void)sink;
    }
    tsr_llm_free(m);
  }
  free(buf);
}

/* Floats a legacy checkpoint with header |h| holds, or 0 if the header is
 * not one the loader accepts or the model is large. */
static uint64_t described_floats(const int32_t h[7]) {
  const int64_t dim = h[0], hid = h[1], L = h[2], nh = h[3], nkv = h[4], v = h[5], seq = h[6];
  if (dim <= 0 || dim > 256 || hid <= 0 || hid > 256 || L <= 0 || L > 4 || nh <= 0 || nkv <= 0 || nkv > nh ||
      v == 0 || v > 256 || v < -256 || seq <= 0 || seq > 64 || dim % nh != 0 || nh % nkv != 0)
    return 0;
  const int64_t hd = dim / nh, kv = nkv * hd, vocab = v < 0 ? -v : v;
  uint64_t n = (uint64_t)(vocab * dim + L * (2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * hid * dim) + dim +
                          seq * (hd / 2) * 2 + (v < 0 ? vocab * dim : 0));
  return n <= (1u << 16) ? n : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try_blob(data, size);
  if (size < 28) return 0;
  int32_t h[7];
  memcpy(h, data, sizeof(h));
  uint64_t n = described_floats(h);
  if (n == 0) return 0;
  size_t total = 28 + (size_t)n * 4;
  if (total == size) return 0;
  uint8_t *fixed = malloc(total);
  if (fixed == NULL) return 0;
  memcpy(fixed, data, 28);
  const size_t payload = size - 28;
  for (size_t i = 28; i < total; ++i) fixed[i] = payload ? data[28 + (i - 28) % payload] : 0;
  try_blob(fixed, total);
  free(fixed);
  return 0;
}
