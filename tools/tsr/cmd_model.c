/* tsr run / bench / info: dispatch on the model file to its handler. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tools/tsr/commands.h"
#include "tools/tsr/handlers.h"

enum { RUN, BENCH, INFO };

static void list_formats(FILE *f) {
  for (const tsr_model_handler *h = tsr_model_handlers; h->name != NULL; ++h) fprintf(f, " %s", h->formats);
}

static int dispatch(int which, int argc, char **argv) {
  static const char *const names[] = {"run", "bench", "info"};
  const char *model = tsr_find_model_arg(argc, argv, true);
  bool known = false;
  for (const tsr_model_handler *h = tsr_model_handlers; model != NULL && h->name != NULL; ++h) known = known || h->match(model);
  if (model == NULL || !known) {
    if (tsr_wants_help(argc, argv)) {
      /* every handler's full options, whichever kind of model comes */
      printf("usage: tsr %s [-m] MODEL [options]\n\nModel formats built in:", names[which]);
      list_formats(stdout);
      printf("\nOptions take '--opt VALUE' or '--opt=VALUE'. Exit status: 0 ok, 1 runtime failure, 2 usage.\n");
      for (const tsr_model_handler *h = tsr_model_handlers; h->name != NULL; ++h) {
        int (*fn)(int, char **) = which == RUN ? h->run : (which == BENCH ? h->bench : h->info);
        if (fn == NULL) continue;
        printf("\n=== %s models (%s) ===\n", h->name, h->formats);
        fflush(stdout);
        char *help_argv[] = {(char *)names[which], (char *)"--help", NULL};
        fn(2, help_argv);
        fflush(stdout);
      }
      return 0;
    }
  }
  if (model == NULL) {
    fprintf(stderr, "tsr %s: no model given (-m MODEL or MODEL)\n", names[which]);
    return 2;
  }
  for (const tsr_model_handler *h = tsr_model_handlers; h->name != NULL; ++h) {
    if (!h->match(model)) continue;
    int (*fn)(int, char **) = which == RUN ? h->run : (which == BENCH ? h->bench : h->info);
    if (fn == NULL) {
      fprintf(stderr, "tsr %s: not available for %s models\n", names[which], h->name);
      return 2;
    }
    return fn(argc, argv);
  }
  fprintf(stderr, "tsr %s: unsupported model format: %s (formats built in:", names[which], model);
  list_formats(stderr);
  fprintf(stderr, ")\n");
  return 2;
}

int tsr_cmd_run(int argc, char **argv) { return dispatch(RUN, argc, argv); }
int tsr_cmd_bench(int argc, char **argv) { return dispatch(BENCH, argc, argv); }
int tsr_cmd_info(int argc, char **argv) { return dispatch(INFO, argc, argv); }
