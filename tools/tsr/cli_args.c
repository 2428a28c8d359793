/* Shared command-line helpers for tsr (see cli_args.h). */
#include "tools/tsr/cli_args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool tsr_cli_int(const char *s, long long lo, long long hi, long long *out) {
  if (s == NULL || *s == '\0') return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool tsr_cli_double(const char *s, double lo, double hi, double *out) {
  if (s == NULL || *s == '\0') return false;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi) return false;
  *out = v;
  return true;
}

int tsr_cli_int_list(const char *s, long long lo, long long hi, long long *out, int cap) {
  if (s == NULL || *s == '\0') return -1;
  int n = 0;
  const char *p = s;
  for (;;) {
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (errno != 0 || end == p || v < lo || v > hi || n == cap) return -1;
    /* strtoll skips leading blanks and signs: only digits (and '-' where lo < 0) may start an item */
    if (!(*p >= '0' && *p <= '9') && !(*p == '-' && lo < 0)) return -1;
    out[n++] = v;
    if (*end == '\0') return n;
    if (*end != ',') return -1;
    p = end + 1;
  }
}

int tsr_cli_bad_value(const char *cmd, const char *opt, const char *v) {
  fprintf(stderr, "tsr %s: invalid value '%s' for %s\n", cmd, v ? v : "", opt);
  return 2;
}

char *tsr_cli_next_item(char **cursor, char sep) {
  char *p = *cursor;
  if (p == NULL) return NULL;
  char *e = strchr(p, sep);
  if (e != NULL) {
    *e = '\0';
    *cursor = e + 1;
  } else {
    *cursor = NULL;
  }
  return p;
}

int tsr_cli_split_eq(int argc, char **argv, char **out) {
  int n = 0;
  bool rest = false;
  for (int i = 0; i < argc; ++i) {
    char *a = argv[i];
    char *eq = (!rest && i > 0 && a[0] == '-' && a[1] == '-' && a[2] != '\0') ? strchr(a, '=') : NULL;
    if (!rest && strcmp(a, "--") == 0) rest = true;
    if (eq != NULL && eq > a + 2) {
      *eq = '\0';
      out[n++] = a;
      out[n++] = eq + 1;
    } else {
      out[n++] = a;
    }
  }
  out[n] = NULL;
  return n;
}
