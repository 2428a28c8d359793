/* The tsr subcommands: each takes argv starting at its own name. */
#ifndef TESSERA_TOOLS_TSR_COMMANDS_H_
#define TESSERA_TOOLS_TSR_COMMANDS_H_

#include "tessera/tessera.h"

typedef struct tsr_command {
  const char *name;
  int (*run)(int argc, char **argv);
} tsr_command;

extern const tsr_command tsr_commands[];

int tsr_cmd_targets(int argc, char **argv);
int tsr_cmd_selftest(int argc, char **argv);
int tsr_cmd_run(int argc, char **argv);
int tsr_cmd_bench(int argc, char **argv);
int tsr_cmd_info(int argc, char **argv);
int tsr_cmd_tokenize(int argc, char **argv);
int tsr_cmd_mkmodel(int argc, char **argv);

/* True if argv has --help or -h. */
int tsr_wants_help(int argc, char **argv);

#endif
