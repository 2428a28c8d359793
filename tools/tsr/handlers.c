/* The table of model handlers. Each model family adds one line. */
#include "tools/tsr/handlers.h"

#include "tools/tsr/cmd_llm.h"
#include "tools/tsr/cmd_llm_bench.h"

#include <stddef.h>
#include <string.h>

#include "tools/tsr/cmd_net.h"

const tsr_model_handler tsr_model_handlers[] = {
    {"llm", ".gguf (llama), .bin (llama2.c)", tsr_llm_match, tsr_llm_cmd_run, tsr_llm_cmd_bench, tsr_llm_cmd_info},
    {"net", ".onnx, .tsr", tsr_net_match, tsr_net_cmd_run, tsr_net_cmd_bench, tsr_net_cmd_info},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

const char *tsr_find_model_arg(int argc, char **argv, bool positional) {
  for (int i = 1; i < argc; ++i) {
    if ((strcmp(argv[i], "-m") == 0 || strcmp(argv[i], "--model") == 0) && i + 1 < argc) return argv[i + 1];
  }
  if (positional) {
    /* the first argument a handler recognises (by extension): an option's
     * value such as "-n 1" is not taken for the model */
    for (int i = 1; i < argc; ++i) {
      if (argv[i][0] == '-') continue;
      for (const tsr_model_handler *h = tsr_model_handlers; h->name != NULL; ++h) {
        if (h->match(argv[i])) return argv[i];
      }
    }
    for (int i = 1; i < argc; ++i) {
      if (argv[i][0] != '-' && argv[i][0] != '\0') return argv[i];
    }
  }
  return NULL;
}
