/* See alloc_hook.h. glibc exports its allocator as __libc_* too; these
 * definitions take precedence over the shared C library's. */
#include "alloc_hook.h"

#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_long g_calls;
static atomic_bool g_armed;

void fw_alloc_hook_arm(void) { atomic_store(&g_armed, 1); }
long fw_alloc_hook_count(void) { return atomic_load(&g_calls); }

static void hit(void) {
  if (atomic_load_explicit(&g_armed, memory_order_relaxed)) atomic_fetch_add(&g_calls, 1);
}

void *malloc(size_t n);
void free(void *p);
void *calloc(size_t a, size_t b);
void *realloc(void *p, size_t n);
void *aligned_alloc(size_t al, size_t n);
void *memalign(size_t al, size_t n);
int posix_memalign(void **out, size_t al, size_t n);

void *malloc(size_t n) {
  hit();
  return __libc_malloc(n);
}
void free(void *p) {
  if (p) hit();
  __libc_free(p);
}
void *calloc(size_t a, size_t b) {
  hit();
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
  hit();
  return __libc_realloc(p, n);
}
void *aligned_alloc(size_t al, size_t n) {
  hit();
  return __libc_memalign(al, n);
}
void *memalign(size_t al, size_t n) {
  hit();
  return __libc_memalign(al, n);
}
int posix_memalign(void **out, size_t al, size_t n) {
  hit();
  void *p = __libc_memalign(al, n);
  if (p == NULL) return 12; /* ENOMEM */
  *out = p;
  return 0;
}
