/* Persistent thread pool; see threadpool.h. */
#include "targets/cpu/threadpool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TSR_PAUSE() _mm_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define TSR_PAUSE() __asm__ volatile("yield")
#else
#define TSR_PAUSE() ((void)0)
#endif

enum { kSpinIterations = 1 << 15 };

struct tsr_pool_worker {
  tsr_pool *pool;
  uint32_t index;
};

/* Claims chunks until the job's units are exhausted. */
static void work(tsr_pool *p, uint32_t thread) {
  for (;;) {
    int64_t c = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    int64_t begin = c * p->chunk;
    if (begin >= p->units) return;
    int64_t end = begin + p->chunk < p->units ? begin + p->chunk : p->units;
    p->fn(p->arg, thread, begin, end);
  }
}

#ifndef TSR_NO_THREADS
static void *worker_main(void *arg) {
  struct tsr_pool_worker *w = arg;
  tsr_pool *p = w->pool;
  unsigned seen = 0; /* the generation at tsr_pool_init, before any job */
  atomic_fetch_add(&p->started, 1);
  for (;;) {
    unsigned gen;
    int spins = 0;
    while ((gen = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen &&
           !atomic_load_explicit(&p->quit, memory_order_relaxed)) {
      if (++spins < kSpinIterations) {
        TSR_PAUSE();
        continue;
      }
      pthread_mutex_lock(&p->mu);
      atomic_fetch_add(&p->sleepers, 1);
      while (atomic_load(&p->generation) == seen && !atomic_load(&p->quit)) {
        pthread_cond_wait(&p->cv, &p->mu);
      }
      atomic_fetch_sub(&p->sleepers, 1);
      pthread_mutex_unlock(&p->mu);
      spins = 0;
    }
    if (atomic_load(&p->quit)) return NULL;
    seen = gen;
    work(p, w->index);
    atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
  }
}
#endif

tsr_status tsr_pool_init(tsr_pool *p, uint32_t n_threads, const tsr_allocator *a) {
  if (n_threads == 0) n_threads = 1;
#ifdef TSR_NO_THREADS
  n_threads = 1;
#endif
  p->n_threads = n_threads;
  p->allocator = a;
  p->fn = NULL;
  atomic_init(&p->next, 0);
  atomic_init(&p->pending, 0);
  atomic_init(&p->generation, 0);
  atomic_init(&p->sleepers, 0);
  atomic_init(&p->quit, false);
  atomic_init(&p->started, 0);
#ifndef TSR_NO_THREADS
  p->threads = NULL;
  p->workers = NULL;
  if (n_threads == 1) return TSR_OK;
  p->threads = tsr_alloc(a, sizeof(pthread_t) * (n_threads - 1), 0);
  p->workers = tsr_alloc(a, sizeof(struct tsr_pool_worker) * (n_threads - 1), 0);
  if (p->threads == NULL || p->workers == NULL) {
    tsr_free(a, p->threads);
    tsr_free(a, p->workers);
    return TSR_ERR_OUT_OF_MEMORY;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  for (uint32_t i = 0; i + 1 < n_threads; ++i) {
    p->workers[i].pool = p;
    p->workers[i].index = i + 1;
    if (pthread_create(&p->threads[i], NULL, worker_main, &p->workers[i]) != 0) {
      p->n_threads = i + 1;
      tsr_pool_deinit(p);
      return TSR_ERR_DEVICE;
    }
  }
  /* Wait until every worker runs: thread start-up (and whatever the C
   * library allocates for it) belongs to init, not to the first job. */
  while (atomic_load(&p->started) != n_threads - 1) TSR_PAUSE();
#endif
  return TSR_OK;
}

void tsr_pool_deinit(tsr_pool *p) {
#ifndef TSR_NO_THREADS
  if (p->n_threads > 1 && p->threads != NULL) {
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, true);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (uint32_t i = 0; i + 1 < p->n_threads; ++i) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
  }
  tsr_free(p->allocator, p->threads);
  tsr_free(p->allocator, p->workers);
  p->threads = NULL;
  p->workers = NULL;
#endif
  p->n_threads = 0;
}

void tsr_pool_run(tsr_pool *p, tsr_pool_fn fn, void *arg, int64_t units, int64_t chunk) {
  if (units <= 0) return;
  if (chunk <= 0) {
    chunk = units / ((int64_t)p->n_threads * 8);
    if (chunk < 1) chunk = 1;
  }
  if (p->n_threads <= 1 || units <= chunk) {
    fn(arg, 0, 0, units);
    return;
  }
  p->fn = fn;
  p->arg = arg;
  p->units = units;
  p->chunk = chunk;
  atomic_store_explicit(&p->next, 0, memory_order_relaxed);
  atomic_store_explicit(&p->pending, p->n_threads - 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&p->generation, 1, memory_order_seq_cst);
#ifndef TSR_NO_THREADS
  if (atomic_load(&p->sleepers) > 0) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
  }
#endif
  work(p, 0);
  while (atomic_load_explicit(&p->pending, memory_order_acquire) != 0) TSR_PAUSE();
}
