/* Counts every malloc/free made by the process while armed: by interposing
 * the C library's allocator, or through the sanitizer's hooks under ASan. */
#ifndef TESSERA_TESTS_ALLOC_COUNTER_H_
#define TESSERA_TESTS_ALLOC_COUNTER_H_

#include <stdatomic.h>
#include <stddef.h>

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

#if defined(__SANITIZE_ADDRESS__)
#define TSR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TSR_ASAN 1
#endif
#endif

#ifdef TSR_ASAN
void __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t), void (*f)(const volatile void *));
static void hook_malloc(const volatile void *p, size_t n) { (void)p, (void)n; alloc_counter_hit(); }
static void hook_free(const volatile void *p) { (void)p; alloc_counter_hit(); }
static inline void alloc_counter_install(void) { __sanitizer_install_malloc_and_free_hooks(hook_malloc, hook_free); }
#else
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

#endif /* TESSERA_TESTS_ALLOC_COUNTER_H_ */
