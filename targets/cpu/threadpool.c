/* Persistent thread pool; see threadpool.h. */
#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 199309L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#endif
#include "targets/cpu/threadpool.h"

#ifndef TSR_NO_THREADS
#include <sched.h>
#include <time.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TSR_PAUSE() _mm_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define TSR_PAUSE() __asm__ volatile("yield")
#else
#define TSR_PAUSE() ((void)0)
#endif

enum { kSpinIterations = 1 << 15 };

/* Contention backoff (see threadpool.h): savings are credited at most
 * kCreditNs ahead; a net loss beyond kLossNs starts a period of kSerialMinNs
 * on the caller alone, doubled (up to kSerialMaxNs) when the previous one
 * ended less than 4 periods before. */
#define kCreditNs 1000000LL
#define kLossNs 200000LL
#define kSerialMinNs 20000000LL
#define kSerialMaxNs 1000000000LL

/* The ticket: gen:20 | threads-1:8 | n_chunks:18 | next:18. */
#define GEN_SHIFT 44
#define ACTIVE_SHIFT 36
#define N_SHIFT 18
#define FIELD_MASK ((1ull << 18) - 1)
#define MAX_CHUNKS ((int64_t)FIELD_MASK)
#define MAX_ACTIVE 256u

/* A worker's start handshake: the worker moves kNew to kRunning as its
 * first act; a pool whose start wait ran out moves kNew to kAbandoned, and
 * a worker that then starts after all returns at once without touching the
 * pool (which its creator may have freed by then). */
enum { kWorkerNew = 0, kWorkerRunning = 1, kWorkerAbandoned = 2 };

/* How long init waits for every worker to reach its loop. A thread the
 * platform cannot start (seen: qemu-user 7.2 on a 6.18 host kernel) must
 * end in a clear error, not a hang. */
#define kStartTimeoutNs 10000000000LL

struct tsr_pool_worker {
  tsr_pool *pool;
  uint32_t index;
  atomic_int state;
  struct tsr_pool_worker *first; /* the array's first record */
  /* Used in the first record only, once workers are abandoned: references
   * to the array (one per abandoned worker, one for the pool) and the
   * allocator it came from; the last reference frees it. */
  atomic_uint refs;
  tsr_allocator allocator;
};

#ifndef TSR_NO_THREADS
static void worker_record_release(struct tsr_pool_worker *first, unsigned n) {
  if (atomic_fetch_sub(&first->refs, n) != n) return;
  const tsr_allocator a = first->allocator;
  tsr_free(&a, first);
}
#endif

static uint64_t ticket_next(uint64_t t) { return t & FIELD_MASK; }
static uint64_t ticket_count(uint64_t t) { return (t >> N_SHIFT) & FIELD_MASK; }
/* Threads (indices 0 .. n-1) that may take chunks of the job. */
static uint32_t ticket_active(uint64_t t) { return (uint32_t)((t >> ACTIVE_SHIFT) & 0xFF) + 1; }

/* Claims chunks of whatever job is current until none is left. Returns
 * whether it ran anything. The job's fields are read only after a claim:
 * the caller cannot replace the job while a claimed chunk is unfinished. */
static int64_t work(tsr_pool *p, uint32_t thread) {
  int64_t finished = 0; /* published once, when nothing is left to claim */
  uint64_t t = atomic_load_explicit(&p->ticket, memory_order_acquire);
  for (;;) {
    if (ticket_next(t) >= ticket_count(t) || thread >= ticket_active(t)) {
      if (finished > 0) atomic_fetch_add_explicit(&p->done, finished, memory_order_release);
      return finished;
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

static int64_t now_ns(void) {
#ifdef TSR_NO_THREADS
  return 0;
#else
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
#endif
}

#ifndef TSR_NO_THREADS
static bool has_work(tsr_pool *p, uint32_t thread) {
  uint64_t t = atomic_load(&p->ticket);
  return ticket_next(t) < ticket_count(t) && thread < ticket_active(t);
}

static void *worker_main(void *arg) {
  struct tsr_pool_worker *w = arg;
  int expected = kWorkerNew;
  if (!atomic_compare_exchange_strong(&w->state, &expected, kWorkerRunning)) { /* abandoned */
    worker_record_release(w->first, 1);
    return NULL;
  }
  tsr_pool *p = w->pool;
  atomic_fetch_add(&p->started, 1);
  int spins = 0;
  while (!atomic_load_explicit(&p->quit, memory_order_relaxed)) {
    if (work(p, w->index) > 0) {
      spins = 0;
      continue;
    }
    if (++spins < kSpinIterations) {
      TSR_PAUSE();
      continue;
    }
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    while (!has_work(p, w->index) && !atomic_load(&p->quit)) pthread_cond_wait(&p->cv, &p->mu);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
    spins = 0;
  }
  return NULL;
}
#endif

#ifndef TSR_NO_THREADS
/* The start wait ran out: stop the workers that run, abandon the others.
 * An abandoned worker may still start later and reads its own record, so
 * the records stay allocated until the last abandoned worker has started
 * and left (worker_record_release), instead of a use after free. */
static tsr_status abandon_start(tsr_pool *p, uint32_t n_threads) {
  const uint32_t n_workers = n_threads - 1;
  struct tsr_pool_worker *first = &p->workers[0];
  first->allocator = *p->allocator;
  atomic_store(&first->refs, n_workers + 1); /* at most: trimmed below */
  uint32_t abandoned = 0;
  for (uint32_t i = 0; i < n_workers; ++i) {
    int expected = kWorkerNew;
    if (atomic_compare_exchange_strong(&p->workers[i].state, &expected, kWorkerAbandoned)) {
      pthread_detach(p->threads[i]);
      ++abandoned;
    }
  }
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->quit, true);
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (uint32_t i = 0; i < n_workers; ++i) {
    if (atomic_load(&p->workers[i].state) == kWorkerRunning) pthread_join(p->threads[i], NULL);
  }
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  tsr_free(p->allocator, p->threads);
  /* Drop the references no abandoned worker holds (and the pool's). */
  worker_record_release(first, n_workers - abandoned + 1);
  p->threads = NULL;
  p->workers = NULL;
  p->n_threads = 0;
  return TSR_ERR_DEVICE;
}
#endif

tsr_status tsr_pool_init(tsr_pool *p, uint32_t n_threads, const tsr_allocator *a) {
  return tsr_pool_init_bounded(p, n_threads, a, kStartTimeoutNs);
}

tsr_status tsr_pool_init_bounded(tsr_pool *p, uint32_t n_threads, const tsr_allocator *a, int64_t start_timeout_ns) {
  if (n_threads == 0) n_threads = 1;
#ifdef TSR_NO_THREADS
  n_threads = 1;
  (void)start_timeout_ns;
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
  p->adaptive = true;
  p->net_ns = 0;
  p->serial_until_ns = 0;
  p->serial_ns = 0;
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
    atomic_init(&p->workers[i].state, kWorkerNew);
    p->workers[i].first = &p->workers[0];
    atomic_init(&p->workers[i].refs, 0);
    if (pthread_create(&p->threads[i], NULL, worker_main, &p->workers[i]) != 0) {
      p->n_threads = i + 1;
      tsr_pool_deinit(p);
      return TSR_ERR_DEVICE;
    }
  }
  /* Wait until every worker runs: thread start-up (and whatever the C
   * library allocates for it) belongs to init, not to the first job. The
   * wait is bounded: past |start_timeout_ns| the workers that have not started
   * are abandoned (see worker_main), the others stopped, and init fails. */
  const int64_t deadline = now_ns() + start_timeout_ns;
  uint32_t spins = 0;
  while (atomic_load(&p->started) != n_threads - 1) {
    if ((++spins & 1023u) != 0) {
      TSR_PAUSE();
      continue;
    }
    if (now_ns() > deadline) return abandon_start(p, n_threads);
    sched_yield();
  }
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

/* After a split job: the caller ran |mine| of |units| units in |work_ns|
 * (wall time from publishing the job), then waited |wait_ns| for the
 * workers. Wall time, not the thread's CPU time: valuing the workers' share
 * at the caller's CPU-time pace made the backoff start far more often, and
 * PilotNet at 2 threads on a loaded machine got slower (p50 0.9-1.7 ms
 * against 0.7-0.76 ms). */
static void observe(tsr_pool *p, int64_t units, int64_t mine, int64_t work_ns, int64_t wait_ns, int64_t now) {
  /* What the workers saved: their units at the caller's pace. */
  const int64_t saved =
      mine > 0 ? (int64_t)((double)work_ns * (double)(units - mine) / (double)mine) : wait_ns;
  p->net_ns += saved - wait_ns;
  if (p->net_ns > kCreditNs) p->net_ns = kCreditNs;
  if (p->net_ns >= -kLossNs) return;
  const bool recent = p->serial_ns > 0 && now - p->serial_until_ns < 4 * p->serial_ns;
  p->serial_ns = recent ? (2 * p->serial_ns < kSerialMaxNs ? 2 * p->serial_ns : kSerialMaxNs) : kSerialMinNs;
  p->serial_until_ns = now + p->serial_ns;
  p->net_ns = 0;
}

void tsr_pool_run(tsr_pool *p, tsr_pool_fn fn, void *arg, int64_t units, int64_t chunk) {
  tsr_pool_run_on(p, fn, arg, units, chunk, p->n_threads);
}

void tsr_pool_run_on(tsr_pool *p, tsr_pool_fn fn, void *arg, int64_t units, int64_t chunk, uint32_t threads) {
  if (units <= 0) return;
  if (threads > p->n_threads) threads = p->n_threads;
  if (threads > MAX_ACTIVE) threads = MAX_ACTIVE;
  if (chunk <= 0) {
    chunk = units / ((int64_t)(threads ? threads : 1) * 8);
    if (chunk < 1) chunk = 1;
  }
  if (threads <= 1 || units <= chunk) {
    fn(arg, 0, 0, units);
    return;
  }
  const int64_t t0 = p->adaptive ? now_ns() : 0;
  if (p->adaptive && t0 < p->serial_until_ns) {
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
  atomic_store_explicit(&p->ticket,
                        ((uint64_t)p->gen << GEN_SHIFT) | ((uint64_t)(threads - 1) << ACTIVE_SHIFT) |
                            ((uint64_t)n_chunks << N_SHIFT),
                        memory_order_seq_cst);
#ifndef TSR_NO_THREADS
  if (atomic_load(&p->sleepers) > 0) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
  }
#endif
  const int64_t mine = work(p, 0);
  if (!p->adaptive || mine == units) {
    while (atomic_load_explicit(&p->done, memory_order_acquire) != units) TSR_PAUSE();
    return;
  }
  const int64_t t1 = now_ns();
  while (atomic_load_explicit(&p->done, memory_order_acquire) != units) TSR_PAUSE();
  const int64_t t2 = now_ns();
  observe(p, units, mine, t1 - t0, t2 - t1, t2);
}
