/* A firmware-style Tessera integration: the model and its tokenizer are
 * linked into the image (read-only data, as flash on a board: blob.S), all
 * memory comes from one static arena owned by the application (a bump
 * allocator over it), and after init the generation loop never allocates.
 *
 * The program generates greedily from BOS, as llama2.c's `run -t 0 -n 200`
 * does, and writes the text to stdout. It counts every malloc/calloc/
 * realloc/free of the whole process (alloc_hook.c) and exits non-zero if
 * any happens after init. Exit status: 0 ok, 1 allocation after init,
 * 2 Tessera error, 3 arena too small. */
#define _DEFAULT_SOURCE /* MAP_ANON */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc_hook.h"
#include "tessera/llm.h"
#include "tessera/tessera.h"

/* The blobs of blob.S. */
extern const uint8_t tsr_fw_model[], tsr_fw_model_end[];
extern const uint8_t tsr_fw_tokenizer[], tsr_fw_tokenizer_end[];

#ifndef FW_ARENA_BYTES
#define FW_ARENA_BYTES (3u << 20) /* what stories260K needs with 256 tokens of context, rounded up */
#endif
#define FW_STEPS 200
#define FW_CTX 256

static _Alignas(64) uint8_t g_arena[FW_ARENA_BYTES];
static char g_stdout_buf[4096]; /* stdio's buffer, so that printing never mallocs */

static int fail(const char *what, tsr_status s, const tsr_error *e) {
  fprintf(stderr, "firmware: %s: %s%s%s\n", what, tsr_status_string(s), e && e->message[0] ? ": " : "",
          e ? e->message : "");
  return 2;
}

int main(void) {
  setvbuf(stdout, g_stdout_buf, _IOFBF, sizeof(g_stdout_buf));
  fw_alloc_hook_arm(); /* from here on every allocator call of the process is counted */

  /* ---- init: everything below takes memory from g_arena only ---- */
  tsr_bump bump;
  tsr_bump_init(&bump, g_arena, sizeof(g_arena));
  const tsr_allocator arena = tsr_bump_allocator(&bump);
  tsr_error err = {0};
  tsr_target *cpu = NULL;
  const tsr_target_options topt = {.n_threads = 1}; /* no OS threads needed */
  tsr_status s = tsr_cpu_target_create(&topt, &arena, &cpu, &err);
  if (s != TSR_OK) return fail("cpu target", s, &err);

  tsr_llm_options opt = {0};
  opt.allocator = &arena;
  opt.targets[0] = cpu;
  opt.n_targets = 1;
  opt.fallback = cpu;
  opt.n_ctx = FW_CTX;
  opt.max_batch = 1; /* decode only: one graph entry */
  opt.tokenizer_data = tsr_fw_tokenizer;
  opt.tokenizer_size = (size_t)(tsr_fw_tokenizer_end - tsr_fw_tokenizer);
  tsr_llm *m = NULL;
  s = tsr_llm_load_memory(tsr_fw_model, (size_t)(tsr_fw_model_end - tsr_fw_model), &opt, &m, &err);
  if (s != TSR_OK) {
    if (s == TSR_ERR_OUT_OF_MEMORY) {
      fprintf(stderr, "firmware: the %u-byte arena is too small\n", (unsigned)sizeof(g_arena));
      return 3;
    }
    return fail("load", s, &err);
  }
  const long init_calls = fw_alloc_hook_count();
  const size_t used_after_init = bump.used;

  /* ---- run: greedy generation from BOS; no allocation from here on ---- */
  const int32_t vocab = tsr_llm_get_hparams(m)->vocab_size;
  int32_t token = tsr_llm_bos(m);
  for (int pos = 0; pos < FW_STEPS; ++pos) {
    const float *logits = NULL;
    s = tsr_llm_eval(m, &token, 1, &logits);
    if (s != TSR_OK) return fail("eval", s, tsr_llm_error(m));
    int32_t next = 0; /* argmax, lowest id on ties */
    for (int32_t i = 1; i < vocab; ++i) {
      if (logits[i] > logits[next]) next = i;
    }
    if (tsr_llm_is_eog(m, next)) break;
    char piece[64];
    size_t n = 0;
    s = tsr_llm_token_piece(m, token, next, piece, sizeof(piece), &n);
    if (s != TSR_OK) return fail("token piece", s, tsr_llm_error(m));
    fwrite(piece, 1, n < sizeof(piece) ? n : sizeof(piece), stdout);
    token = next;
  }
  fflush(stdout);
  const long run_calls = fw_alloc_hook_count() - init_calls;
  const size_t used_after_run = bump.used;

  tsr_llm_free(m);
  tsr_target_destroy(cpu);
  /* The hook must see a call, or "0 after init" would prove nothing. */
  const long before_probe = fw_alloc_hook_count();
  void *volatile probe = malloc(16); /* volatile: the pair must not be optimised away */
  free(probe);
  bool hook_live = fw_alloc_hook_count() - before_probe == 2;
  if (fw_alloc_hook_counts_mmap()) {
    const long before_map = fw_alloc_hook_count();
    void *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
    if (map != MAP_FAILED) munmap(map, 4096);
    hook_live = hook_live && map != MAP_FAILED && fw_alloc_hook_count() - before_map == 2;
  }
  fprintf(stderr,
          "firmware: arena %u bytes, %zu used at init (peak %zu), %zu after the run; allocator calls: %ld at init, "
          "%ld after init\n",
          (unsigned)sizeof(g_arena), used_after_init, bump.peak, used_after_run, init_calls, run_calls);
  if (!hook_live) fprintf(stderr, "firmware: the allocator hook counted nothing: not interposed\n");
  return run_calls == 0 && used_after_run == used_after_init && hook_live ? 0 : 1;
}
