/* Model-format handlers: `tsr run`, `tsr bench` and `tsr info` pick the
 * handler whose match() accepts the -m path (language models, networks). */
#ifndef TESSERA_TOOLS_TSR_HANDLERS_H_
#define TESSERA_TOOLS_TSR_HANDLERS_H_

#include <stdbool.h>

typedef struct tsr_model_handler {
  const char *name;                      /* "llm", "net" */
  const char *formats;                   /* for messages: ".gguf, .bin" */
  bool (*match)(const char *path);       /* by extension or magic */
  int (*run)(int argc, char **argv);     /* argv[0] is the subcommand name */
  int (*bench)(int argc, char **argv);   /* NULL: not supported */
  int (*info)(int argc, char **argv);    /* NULL: not supported */
} tsr_model_handler;

/* NULL-terminated table (tools/tsr/handlers.c). */
extern const tsr_model_handler tsr_model_handlers[];

/* The value of "-m PATH" / "--model PATH" in argv, or NULL. With positional,
 * the first argument a handler matches (else the first non-option argument)
 * counts too. */
const char *tsr_find_model_arg(int argc, char **argv, bool positional);

#endif
