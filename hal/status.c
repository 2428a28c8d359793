/* Status strings and error records. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tessera/tessera.h"

const char *tsr_status_string(tsr_status s) {
  static const char *const names[TSR_STATUS_COUNT] = {
      "TSR_OK",          "TSR_ERR_INVALID_ARGUMENT", "TSR_ERR_BUFFER_TOO_SMALL",
      "TSR_ERR_UNSUPPORTED", "TSR_ERR_FORMAT",       "TSR_ERR_DEVICE",
      "TSR_ERR_STATE",   "TSR_ERR_OUT_OF_MEMORY",    "TSR_ERR_IO",
  };
  if ((unsigned)s >= TSR_STATUS_COUNT) return "TSR_ERR_UNKNOWN";
  return names[s];
}

tsr_status tsr_error_set(tsr_error *err, tsr_status code, const char *file, int line,
                         const char *fmt, ...) {
  if (err == NULL) return code;
  err->code = code;
  err->file = file;
  err->line = line;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  if (n < 0) err->message[0] = '\0';
  return code;
}

void tsr_error_copy(tsr_error *dst, const tsr_error *src) {
  if (dst == NULL || src == NULL || dst == src) return;
  memcpy(dst, src, sizeof(*dst));
}

void tsr_error_clear(tsr_error *err) {
  if (err == NULL) return;
  err->code = TSR_OK;
  err->file = NULL;
  err->line = 0;
  err->message[0] = '\0';
}

const char *tsr_version_string(void) { return "0.1.0"; }
