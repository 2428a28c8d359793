/* libFuzzer target: the llama2.c checkpoint loader, then the graph built
 * from whatever it accepted, run for a few tokens. Every input must end in
 * TSR_OK or an error status, never in a crash or a sanitizer report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/tessera.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Exactly |size| bytes (reads past the end are reported), 16-aligned. */
  uint8_t *buf = malloc(size ? size : 1);
  if (buf == NULL) return 0;
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
  return 0;
}
