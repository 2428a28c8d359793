/* Status codes and error detail records. */
#ifndef TESSERA_STATUS_H_
#define TESSERA_STATUS_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TSR_NODISCARD __attribute__((warn_unused_result))
#define TSR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TSR_NODISCARD
#define TSR_PRINTF(f, a)
#endif

typedef enum tsr_status {
  TSR_OK = 0,
  TSR_ERR_INVALID_ARGUMENT, /* the same call always fails */
  TSR_ERR_BUFFER_TOO_SMALL, /* memory smaller than the *_get_size answer */
  TSR_ERR_UNSUPPORTED,      /* op, dtype, shape or ISA not available here */
  TSR_ERR_FORMAT,           /* model file malformed or truncated */
  TSR_ERR_DEVICE,           /* the target's API failed; detail in tsr_error */
  TSR_ERR_STATE,            /* wrong point in the lifecycle */
  TSR_ERR_OUT_OF_MEMORY,    /* the caller's allocator returned NULL */
  TSR_ERR_IO,               /* a file could not be opened or read */
  TSR_STATUS_COUNT
} tsr_status;

/* Static string naming |s| ("TSR_ERR_FORMAT"). Never NULL. Pure. */
const char *tsr_status_string(tsr_status s);

#define TSR_ERROR_MESSAGE_MAX 256

/* Fixed-size error detail. Owned by the object that failed (engine, program,
 * loader, target); overwritten by the next failure of that object. */
typedef struct tsr_error {
  tsr_status code;
  int32_t line;                         /* source line that raised it */
  const char *file;                     /* static source file name */
  char message[TSR_ERROR_MESSAGE_MAX];  /* NUL-terminated, truncated if long */
} tsr_error;

/* Fills |err| (may be NULL) and returns |code|. printf-style message.
 * Allocates: never. */
tsr_status tsr_error_set(tsr_error *err, tsr_status code, const char *file, int line,
                         const char *fmt, ...) TSR_PRINTF(5, 6);

/* Copies |src| into |dst| (either may be NULL). */
void tsr_error_copy(tsr_error *dst, const tsr_error *src);

/* Clears |err| to TSR_OK with an empty message. */
void tsr_error_clear(tsr_error *err);

#define TSR_ERROR(err, code, ...) tsr_error_set((err), (code), __FILE__, __LINE__, __VA_ARGS__)

/* Propagates a non-OK status. */
#define TSR_TRY(expr)                  \
  do {                                 \
    tsr_status tsr_try_s_ = (expr);    \
    if (tsr_try_s_ != TSR_OK) return tsr_try_s_; \
  } while (0)

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_STATUS_H_ */
