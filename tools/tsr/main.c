/* tsr: the Tessera command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tsr/cli_args.h"
#include "tools/tsr/commands.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: tsr <command> [options]\n"
          "\n"
          "commands:\n"
          "  targets     list the targets on this machine with their capabilities\n"
          "  selftest    run a short conformance pass on every available target\n"
          "  run         run a model (-m MODEL): generate text, or run a network on inputs\n"
          "  bench       benchmark a model (-m MODEL)\n"
          "  info        describe a model: shapes, tensor types, memory needed\n"
          "  convert     convert a network (ONNX) to Tessera's .tsr file (-o OUT.tsr)\n"
          "  tokenize    print the token ids of a text (-m MODEL [--bos] [--special] TEXT)\n"
          "  mkmodel     write a random-weight Llama GGUF of a given shape and type\n"
          "\n"
          "Run 'tsr <command> --help' for the options of a command. Options take\n"
          "their value as '--opt VALUE' or '--opt=VALUE'.\n"
          "\n"
          "exit status: 0 ok, 1 runtime failure (a model that cannot be read or run),\n"
          "2 usage error (unknown option, bad or missing value).\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0) {
    printf("tsr %s\n", tsr_version_string());
    return 0;
  }
  for (const tsr_command *c = tsr_commands; c->name != NULL; ++c) {
    if (strcmp(cmd, c->name) != 0) continue;
    /* --opt=value becomes --opt value for every subcommand */
    char **args = malloc(sizeof(char *) * (2 * (size_t)argc + 1));
    if (args == NULL) {
      fprintf(stderr, "tsr: out of memory\n");
      return 1;
    }
    int n = tsr_cli_split_eq(argc - 1, argv + 1, args);
    int rc = c->run(n, args);
    free(args);
    return rc;
  }
  fprintf(stderr, "tsr: unknown command '%s' (try 'tsr --help')\n", cmd);
  return 2;
}
