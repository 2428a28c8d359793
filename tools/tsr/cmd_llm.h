/* tsr run / info for language models (GGUF llama, llama2.c checkpoints). */
#ifndef TESSERA_TOOLS_TSR_CMD_LLM_H_
#define TESSERA_TOOLS_TSR_CMD_LLM_H_

#include <stdbool.h>

/* True for a .gguf file (unless its first key names another architecture)
 * or a .bin file whose llama2.c header describes exactly its size. */
bool tsr_llm_match(const char *path);
int tsr_llm_cmd_run(int argc, char **argv);
int tsr_llm_cmd_info(int argc, char **argv);

#endif
