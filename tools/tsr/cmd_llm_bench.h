/* tsr bench for language models (the llm handler's bench slot). */
#ifndef TESSERA_TOOLS_TSR_CMD_LLM_BENCH_H_
#define TESSERA_TOOLS_TSR_CMD_LLM_BENCH_H_

int tsr_llm_cmd_bench(int argc, char **argv);

#endif
