/* Counts every malloc/free made by the process while armed: by interposing
 * the C library's allocator, or through the sanitizer's hooks under ASan.
 * mmap and munmap count too (outside ASan, whose runtime maps memory of its
 * own): alloc_counter_counts_mmap() says whether they are. The positive
 * control (alloc_counter_self_test) proves the hooks are live, so that "0
 * allocations" means something. */
#ifndef TESSERA_TESTS_ALLOC_COUNTER_H_
#define TESSERA_TESTS_ALLOC_COUNTER_H_

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS 0x20 /* Linux; hidden by strict C11 */
#endif

static atomic_long g_alloc_calls;
static atomic_bool g_alloc_armed;

static inline void alloc_counter_arm(void) {
  atomic_store(&g_alloc_calls, 0);
  atomic_store(&g_alloc_armed, 1);
}
static inline long alloc_counter_disarm(void) {
  atomic_store(&g_alloc_armed, 0);
  return atomic_load(&g_alloc_calls);
}
static inline void alloc_counter_hit(void) {
  if (atomic_load_explicit(&g_alloc_armed, memory_order_relaxed)) atomic_fetch_add(&g_alloc_calls, 1);
}
static inline long alloc_counter_peek(void) { return atomic_load(&g_alloc_calls); }

/* Under ASan or TSan (whose runtimes own malloc) the sanitizer's hooks
 * count instead of interposing. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TSR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TSR_ASAN 1
#endif
#endif

#ifdef TSR_ASAN
void __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t), void (*f)(const volatile void *));
static void hook_malloc(const volatile void *p, size_t n) { (void)p, (void)n; alloc_counter_hit(); }
static void hook_free(const volatile void *p) { (void)p; alloc_counter_hit(); }
static inline void alloc_counter_install(void) { __sanitizer_install_malloc_and_free_hooks(hook_malloc, hook_free); }
static inline int alloc_counter_counts_mmap(void) { return 0; }
#else
#include <sys/syscall.h>
extern long syscall(long number, ...);
/* Straight to the kernel: the C library's mmap would be this function. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  alloc_counter_hit();
#if defined(SYS_mmap)
  return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
#else
  return (void *)syscall(SYS_mmap2, addr, len, prot, flags, fd, (long)(off / 4096));
#endif
}
int munmap(void *addr, size_t len) {
  alloc_counter_hit();
  return (int)syscall(SYS_munmap, addr, len);
}
static inline int alloc_counter_counts_mmap(void) { return 1; }
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
void *malloc(size_t n) { alloc_counter_hit(); return __libc_malloc(n); }
void free(void *p) { if (p) alloc_counter_hit(); __libc_free(p); }
void *calloc(size_t a, size_t b) { alloc_counter_hit(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { alloc_counter_hit(); return __libc_realloc(p, n); }
void *aligned_alloc(size_t al, size_t n) { alloc_counter_hit(); return __libc_memalign(al, n); }
void *memalign(size_t al, size_t n);
int posix_memalign(void **out, size_t al, size_t n);
void *memalign(size_t al, size_t n) { alloc_counter_hit(); return __libc_memalign(al, n); }
int posix_memalign(void **out, size_t al, size_t n) {
  alloc_counter_hit();
  void *p = __libc_memalign(al, n);
  if (!p) return 12;
  *out = p;
  return 0;
}
static inline void alloc_counter_install(void) {}
#endif

/* Positive control: a deliberate malloc/free pair, and (where counted) an
 * mmap/munmap pair, must each be seen. Returns 0 when they are; else which
 * was missed (1: malloc, 2: mmap). Disarms the counter. */
static inline int alloc_counter_self_test(void) {
  alloc_counter_install();
  alloc_counter_arm();
  void *volatile p = malloc(24); /* volatile: the pair must not be optimised away */
  free(p);
  long after_malloc = alloc_counter_peek();
  /* At least the pair (under TSan a sanitizer thread may allocate too). */
  int bad = after_malloc >= 2 ? 0 : 1;
  if (alloc_counter_counts_mmap()) {
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
      ((volatile char *)m)[0] = 1;
      munmap(m, 4096);
    }
    if (m == MAP_FAILED || alloc_counter_peek() - after_malloc != 2) bad |= 2;
  }
  alloc_counter_disarm();
  return bad;
}

#endif /* TESSERA_TESTS_ALLOC_COUNTER_H_ */
