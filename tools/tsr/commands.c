/* The table of tsr subcommands. */
#include <string.h>

#include "tools/tsr/commands.h"
#include "tools/tsr/cmd_net.h"

const tsr_command tsr_commands[] = {
    {"targets", tsr_cmd_targets},
    {"selftest", tsr_cmd_selftest},
    {"run", tsr_cmd_run},
    {"bench", tsr_cmd_bench},
    {"info", tsr_cmd_info},
    {"convert", tsr_cmd_convert},
    {"tokenize", tsr_cmd_tokenize},
    {"mkmodel", tsr_cmd_mkmodel},
    {NULL, NULL},
};

int tsr_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
  }
  return 0;
}
