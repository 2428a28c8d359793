/* Shared command-line helpers for tsr: strict numbers, comma lists, and
 * --opt=value splitting. Exit codes: 0 ok, 1 runtime failure, 2 usage. */
#ifndef TESSERA_TOOLS_TSR_CLI_ARGS_H_
#define TESSERA_TOOLS_TSR_CLI_ARGS_H_

#include <stdbool.h>
#include <stdint.h>

/* Whole-string base-10 integer in [lo, hi]; false on anything else
 * (empty, trailing characters, overflow). */
bool tsr_cli_int(const char *s, long long lo, long long hi, long long *out);

/* Whole-string finite number in [lo, hi]. */
bool tsr_cli_double(const char *s, double lo, double hi, double *out);

/* A comma-separated list of integers in [lo, hi], every element checked
 * (no empty element, at most cap). Returns the count, or -1 if bad. */
int tsr_cli_int_list(const char *s, long long lo, long long hi, long long *out, int cap);

/* Prints "tsr CMD: invalid value 'V' for OPT" and returns 2. */
int tsr_cli_bad_value(const char *cmd, const char *opt, const char *v);

/* Re-entrant tokenizer: returns the next sep-separated item of *cursor
 * (NUL-terminating it in place) and advances *cursor; NULL at the end.
 * Empty items are returned as "". */
char *tsr_cli_next_item(char **cursor, char sep);

/* Rewrites argv so that every "--opt=value" becomes "--opt" "value" (the
 * '=' is overwritten in place). out must hold 2 * argc + 1 pointers.
 * Arguments after a bare "--" are left alone. Returns the new argc. */
int tsr_cli_split_eq(int argc, char **argv, char **out);

#endif
