/* See alloc_hook.h. glibc exports its allocator as __libc_* too; these
 * definitions take precedence over the shared C library's; mmap and munmap
 * go to the kernel directly. Under AddressSanitizer (which owns malloc and
 * maps memory of its own) the sanitizer's malloc hooks count instead, and
 * mmap is not counted (fw_alloc_hook_counts_mmap). */
#include "alloc_hook.h"

#include <stdatomic.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FW_ASAN 1
#endif
#endif

static atomic_long g_calls;
static atomic_bool g_armed;

static void hit(void) {
  if (atomic_load_explicit(&g_armed, memory_order_relaxed)) atomic_fetch_add(&g_calls, 1);
}

long fw_alloc_hook_count(void) { return atomic_load(&g_calls); }

#ifdef FW_ASAN
int fw_alloc_hook_counts_mmap(void) { return 0; }
#else
int fw_alloc_hook_counts_mmap(void) { return 1; }
#endif

#ifdef FW_ASAN
void __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
                                               void (*f)(const volatile void *));
static void on_malloc(const volatile void *p, size_t n) { (void)p, (void)n, hit(); }
static void on_free(const volatile void *p) { (void)p, hit(); }
void fw_alloc_hook_arm(void) {
  __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  atomic_store(&g_armed, 1);
}
#else
void fw_alloc_hook_arm(void) { atomic_store(&g_armed, 1); }

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

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

/* mmap and munmap count too, straight to the kernel. */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
extern long syscall(long number, ...);
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  hit();
#if defined(SYS_mmap)
  return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
#else
  return (void *)syscall(SYS_mmap2, addr, len, prot, flags, fd, (long)(off / 4096));
#endif
}
int munmap(void *addr, size_t len) {
  hit();
  return (int)syscall(SYS_munmap, addr, len);
}
#endif
