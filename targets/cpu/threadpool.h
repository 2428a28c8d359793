/* A persistent thread pool: N-1 workers plus the calling thread.
 *
 * A job is a range of units cut into fixed chunks. One atomic 64-bit word
 * holds (job generation, chunk count, next chunk); a thread claims a chunk
 * with one compare-and-swap on it, and only then reads the job (which cannot
 * change while one of its chunks is unfinished). The caller works on its own
 * job too and returns once every chunk is done: it never waits for a worker
 * that has not claimed anything, so a worker the OS has not scheduled yet
 * costs nothing. Workers spin briefly, then sleep on a condition variable.
 * No allocation per job, no barrier per row: one wait per job.
 *
 * Contention backoff (|adaptive|, the default): on a machine shared with
 * other work, a worker the OS deschedules while it holds a chunk keeps the
 * caller waiting for a scheduler time slice, far longer than the chunk.
 * After each split job the caller weighs what the workers saved it (their
 * units at its own pace) against how long it then waited for them; when the
 * waits outweigh the savings, the pool runs jobs on the caller alone for a
 * while (20 ms, doubling up to 1 s while it keeps happening), then splits
 * again. Results never depend on it: a job's units are independent. */
#ifndef TESSERA_TARGETS_CPU_THREADPOOL_H_
#define TESSERA_TARGETS_CPU_THREADPOOL_H_

#include <stdatomic.h>
#include <stdint.h>

#include "tessera/tessera.h"

#ifndef TSR_NO_THREADS
#include <pthread.h>
#endif

typedef void (*tsr_pool_fn)(void *arg, uint32_t thread, int64_t begin, int64_t end);

typedef struct tsr_pool {
  uint32_t n_threads; /* including the caller */
  /* The current job; written by the caller only while no chunk is claimed. */
  tsr_pool_fn fn;
  void *arg;
  int64_t units;
  int64_t chunk;
  uint32_t gen;               /* generation of the current job */
  _Atomic uint64_t ticket;    /* gen:20 | threads-1:8 | n_chunks:18 | next:18 */
  atomic_llong done;          /* units finished in the current job */
  atomic_uint sleepers;
  atomic_bool quit;
  atomic_uint started; /* workers that reached their loop */
#ifndef TSR_NO_THREADS
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t *threads;  /* n_threads - 1 */
  struct tsr_pool_worker *workers;
#endif
  const tsr_allocator *allocator;
  /* Contention backoff; the caller's thread only. */
  bool adaptive;           /* default true; false: always split (tests) */
  int64_t net_ns;          /* recent savings minus waits, capped */
  int64_t serial_until_ns; /* until then, jobs run on the caller alone */
  int64_t serial_ns;       /* length of the last such period */
} tsr_pool;

/* Starts n_threads-1 workers. Allocates their handles through |a|. Waits
 * at most 10 s for every worker to start: past that (a platform that cannot
 * run threads) the pool stops the workers that did start and returns
 * TSR_ERR_DEVICE, with |p| deinitialised. */
TSR_NODISCARD tsr_status tsr_pool_init(tsr_pool *p, uint32_t n_threads, const tsr_allocator *a);
/* The same with the start wait bounded by |start_timeout_ns| (tests). */
TSR_NODISCARD tsr_status tsr_pool_init_bounded(tsr_pool *p, uint32_t n_threads, const tsr_allocator *a,
                                               int64_t start_timeout_ns);
void tsr_pool_deinit(tsr_pool *p);
/* Runs fn over [0, units) in chunks of |chunk| units (0: automatic) on every
 * thread, returning when all are done. Never allocates. Not reentrant: one
 * caller thread at a time. */
void tsr_pool_run(tsr_pool *p, tsr_pool_fn fn, void *arg, int64_t units, int64_t chunk);
/* The same on at most |threads| threads (the caller and workers 1 ..
 * threads-1; 0 or 1: the caller alone, inline), for jobs too small to be
 * worth every thread. Chunks of 0: about 8 per thread used. */
void tsr_pool_run_on(tsr_pool *p, tsr_pool_fn fn, void *arg, int64_t units, int64_t chunk, uint32_t threads);

#endif /* TESSERA_TARGETS_CPU_THREADPOOL_H_ */
