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

#define GEN_SHIFT 44
#define N_SHIFT 22
#define FIELD_MASK ((1ull << 22) - 1)
#define MAX_CHUNKS ((int64_t)FIELD_MASK)

struct tsr_pool_worker {
  tsr_pool *pool;
  uint32_t index;
};

static uint64_t ticket_next(uint64_t t) { return t & FIELD_MASK; }
static uint64_t ticket_count(uint64_t t) { return (t >> N_SHIFT) & FIELD_MASK; }

/* Claims chunks of whatever job is current until none is left. Returns
 * whether it ran anything. The job's fields are read only after a claim:
 * the caller cannot replace the job while a claimed chunk is unfinished. */
static bool work(tsr_pool *p, uint32_t thread) {
  int64_t finished = 0; /* published once, when nothing is left to claim */
  uint64_t t = atomic_load_explicit(&p->ticket, memory_order_acquire);
  for (;;) {
    if (ticket_next(t) >= ticket_count(t)) {
      if (finished > 0) atomic_fetch_add_explicit(&p->done, finished, memory_order_release);
      return finished > 0;
    }
    if (!atomic_compare_exchange_weak_explicit(&p->ticket, &t, t + 1, memory_order_acq_rel,
                                               memory_order_acquire)) {
      continue; /* t was reloaded */
    }
    int64_t begin = (int64_t)ticket_next(t) * p->chunk;
    int64_t end = begin + p->chunk < p->units ? begin + p->chunk : p->units;
    p->fn(p->arg, thread, begin, end);
    finished += end - begin;
    t = atomic_load_explicit(&p->ticket, memory_order_acquire);
  }
}

#ifndef TSR_NO_THREADS
static bool has_work(tsr_pool *p) {
  uint64_t t = atomic_load(&p->ticket);
  return ticket_next(t) < ticket_count(t);
}

static void *worker_main(void *arg) {
  struct tsr_pool_worker *w = arg;
  tsr_pool *p = w->pool;
  atomic_fetch_add(&p->started, 1);
  int spins = 0;
  while (!atomic_load_explicit(&p->quit, memory_order_relaxed)) {
    if (work(p, w->index)) {
      spins = 0;
      continue;
    }
    if (++spins < kSpinIterations) {
      TSR_PAUSE();
      continue;
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    while (!has_work(p) && !atomic_load(&p->quit)) pthread_cond_wait(&p->cv, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    spins = 0;
  }
  return NULL;
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
  p->arg = NULL;
  p->units = 0;
  p->chunk = 1;
  p->gen = 0;
  atomic_init(&p->ticket, 0);
  atomic_init(&p->done, 0);
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
  int64_t n_chunks = (units + chunk - 1) / chunk;
  if (n_chunks > MAX_CHUNKS) {
    chunk = (units + MAX_CHUNKS - 1) / MAX_CHUNKS;
    n_chunks = (units + chunk - 1) / chunk;
  }
  /* No chunk of the previous job is claimed or running: safe to rewrite. */
  p->fn = fn;
  p->arg = arg;
  p->units = units;
  p->chunk = chunk;
  p->gen = (p->gen + 1) & 0xFFFFF;
  atomic_store_explicit(&p->done, 0, memory_order_relaxed);
  atomic_store_explicit(&p->ticket, ((uint64_t)p->gen << GEN_SHIFT) | ((uint64_t)n_chunks << N_SHIFT),
                        memory_order_seq_cst);
#ifndef TSR_NO_THREADS
  if (atomic_load(&p->sleepers) > 0) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
  }
#endif
  work(p, 0);
  while (atomic_load_explicit(&p->done, memory_order_acquire) != units) TSR_PAUSE();
}
