/* Machine probes; see probe.h. */
#define _GNU_SOURCE
#include "probe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tessera/tessera.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

size_t tsr_probe_llc_bytes(void) {
#if defined(_SC_LEVEL3_CACHE_SIZE)
  long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (l3 > 0) return (size_t)l3;
#endif
#if defined(_SC_LEVEL2_CACHE_SIZE)
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l2 > 0) return (size_t)l2;
#endif
  return 0;
}

/* ---- bandwidth ---- */

typedef struct bw_arg {
  const uint64_t *p;
  size_t n; /* uint64 words */
  uint64_t sink;
} bw_arg;

#if defined(__x86_64__)
__attribute__((target("avx2"))) static uint64_t read_avx2(const uint64_t *p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm_prefetch((const char *)(p + i) + 4096, _MM_HINT_T0); /* as the kernels do */
    _mm_prefetch((const char *)(p + i) + 4096 + 64, _MM_HINT_T0);
    a0 = _mm256_xor_si256(a0, _mm256_load_si256((const __m256i *)(const void *)(p + i)));
    a1 = _mm256_xor_si256(a1, _mm256_load_si256((const __m256i *)(const void *)(p + i + 4)));
    a2 = _mm256_xor_si256(a2, _mm256_load_si256((const __m256i *)(const void *)(p + i + 8)));
    a3 = _mm256_xor_si256(a3, _mm256_load_si256((const __m256i *)(const void *)(p + i + 12)));
  }
  __m256i a = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  uint64_t out[4];
  _mm256_storeu_si256((__m256i *)(void *)out, a);
  return out[0] ^ out[1] ^ out[2] ^ out[3];
}
#endif

static uint64_t read_words(const uint64_t *p, size_t n) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) return read_avx2(p, n);
#endif
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (size_t i = 0; i + 4 <= n; i += 4) {
    a0 ^= p[i];
    a1 ^= p[i + 1];
    a2 ^= p[i + 2];
    a3 ^= p[i + 3];
  }
  return a0 ^ a1 ^ a2 ^ a3;
}

static void *bw_thread(void *arg) {
  bw_arg *a = arg;
  a->sink = read_words(a->p, a->n);
  return NULL;
}

double tsr_probe_read_gbs(unsigned threads, size_t bytes) {
  if (threads == 0) threads = 1;
  if (threads > 64) threads = 64;
  bytes &= ~(size_t)4095;
  uint64_t *buf = aligned_alloc(4096, bytes);
  if (buf == NULL) return 0.0;
  memset(buf, 1, bytes);
  const size_t words = bytes / 8, per = (words / threads) & ~(size_t)15;
  double best = 0.0;
  for (int rep = 0; rep < 5; ++rep) {
    pthread_t th[64];
    bw_arg args[64];
    double t0 = now_s();
    for (unsigned i = 0; i < threads; ++i) {
      args[i] = (bw_arg){buf + i * per, per, 0};
      if (i > 0) pthread_create(&th[i], NULL, bw_thread, &args[i]);
    }
    bw_thread(&args[0]);
    for (unsigned i = 1; i < threads; ++i) pthread_join(th[i], NULL);
    double dt = now_s() - t0;
    double gbs = (double)(per * threads * 8) / dt * 1e-9;
    if (gbs > best) best = gbs;
  }
  free(buf);
  return best;
}

/* ---- clock ---- */

double tsr_probe_clock_ghz(void) {
#if defined(__x86_64__) || defined(__aarch64__)
  double best = 0.0;
  for (int rep = 0; rep < 5; ++rep) {
    const uint64_t iters = 20000000;
    uint64_t x = 0, one = 1;
    __asm__ volatile("" : "+r"(one));
    double t0 = now_s();
    for (uint64_t i = 0; i < iters; ++i) {
#if defined(__x86_64__)
      /* register operands: some cores fold chains of immediate adds */
      __asm__ volatile("add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
                       "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
                       : "+r"(x)
                       : "r"(one));
#else
      __asm__ volatile("add %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1\n\t"
                       "add %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1\n\tadd %0, %0, %1"
                       : "+r"(x)
                       : "r"(one));
#endif
    }
    double dt = now_s() - t0;
    double ghz = (double)(iters * 8) / dt * 1e-9;
    if (ghz > best) best = ghz;
  }
  return best;
#else
  return 0.0;
#endif
}

/* ---- arithmetic peaks ---- */

#if defined(__x86_64__)
#define PEAK_ITERS 4000000

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static double vnni_once(void) {
  __m512i a[12];
  const __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(5);
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_epi32(i);
  double t0 = now_s();
  for (int it = 0; it < PEAK_ITERS; ++it) {
    for (int i = 0; i < 12; ++i) a[i] = _mm512_dpbusd_epi32(a[i], u, s);
  }
  double dt = now_s() - t0;
  int sink = 0;
  for (int i = 0; i < 12; ++i) sink ^= _mm512_reduce_add_epi32(a[i]);
  __asm__ volatile("" ::"r"(sink));
  return (double)PEAK_ITERS * 12 * 64 * 2 / dt * 1e-9;
}

__attribute__((target("avx512f,avx512bw"))) static double avx512_int8_once(void) {
  __m512i a[8];
  const __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(5), one = _mm512_set1_epi16(1);
  __m512i uu = u, ss = s;
  for (int i = 0; i < 8; ++i) a[i] = _mm512_set1_epi32(i);
  double t0 = now_s();
  for (int it = 0; it < PEAK_ITERS; ++it) {
    __asm__ volatile("" : "+v"(uu), "+v"(ss)); /* keep the products in the loop */
    for (int i = 0; i < 8; ++i) a[i] = _mm512_add_epi32(a[i], _mm512_madd_epi16(_mm512_maddubs_epi16(uu, ss), one));
  }
  double dt = now_s() - t0;
  int sink = 0;
  for (int i = 0; i < 8; ++i) sink ^= _mm512_reduce_add_epi32(a[i]);
  __asm__ volatile("" ::"r"(sink));
  return (double)PEAK_ITERS * 8 * 64 * 2 / dt * 1e-9;
}

__attribute__((target("avx2"))) static double avx2_int8_once(void) {
  __m256i a[8];
  const __m256i one = _mm256_set1_epi16(1);
  __m256i u = _mm256_set1_epi8(3), s = _mm256_set1_epi8(5);
  for (int i = 0; i < 8; ++i) a[i] = _mm256_set1_epi32(i);
  double t0 = now_s();
  for (int it = 0; it < PEAK_ITERS; ++it) {
    __asm__ volatile("" : "+x"(u), "+x"(s));
    for (int i = 0; i < 8; ++i) a[i] = _mm256_add_epi32(a[i], _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), one));
  }
  double dt = now_s() - t0;
  int sink = 0;
  for (int i = 0; i < 8; ++i) sink ^= _mm256_extract_epi32(a[i], 0);
  __asm__ volatile("" ::"r"(sink));
  return (double)PEAK_ITERS * 8 * 32 * 2 / dt * 1e-9;
}

__attribute__((target("avx512f"))) static double avx512_fma_once(void) {
  __m512 a[12];
  const __m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps((float)i);
  double t0 = now_s();
  for (int it = 0; it < PEAK_ITERS; ++it) {
    for (int i = 0; i < 12; ++i) a[i] = _mm512_fmadd_ps(a[i], x, y);
  }
  double dt = now_s() - t0;
  float sink = 0;
  for (int i = 0; i < 12; ++i) sink += _mm512_reduce_add_ps(a[i]);
  __asm__ volatile("" ::"x"(sink));
  return (double)PEAK_ITERS * 12 * 16 * 2 / dt * 1e-9;
}

__attribute__((target("avx2,fma"))) static double avx2_fma_once(void) {
  __m256 a[12];
  __m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
  for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps((float)i);
  double t0 = now_s();
  for (int it = 0; it < PEAK_ITERS; ++it) {
    __asm__ volatile("" : "+x"(x), "+x"(y));
    for (int i = 0; i < 12; ++i) a[i] = _mm256_fmadd_ps(a[i], x, y);
  }
  double dt = now_s() - t0;
  float out[8], sink = 0;
  for (int i = 0; i < 12; ++i) {
    _mm256_storeu_ps(out, a[i]);
    sink += out[0];
  }
  __asm__ volatile("" ::"x"(sink));
  return (double)PEAK_ITERS * 12 * 8 * 2 / dt * 1e-9;
}

static double best_of(double (*fn)(void)) {
  double best = 0.0;
  for (int i = 0; i < 3; ++i) {
    double v = fn();
    if (v > best) best = v;
  }
  return best;
}
#endif

double tsr_probe_int8_gops(uint32_t isa) {
#if defined(__x86_64__)
  if (isa & TSR_ISA_AVX512VNNI) return best_of(vnni_once);
  if (isa & TSR_ISA_AVX512) return best_of(avx512_int8_once);
  if (isa & TSR_ISA_AVX2) return best_of(avx2_int8_once);
#endif
  (void)isa;
  return 0.0;
}

double tsr_probe_f32_gflops(uint32_t isa) {
#if defined(__x86_64__)
  if (isa & TSR_ISA_AVX512) return best_of(avx512_fma_once);
  if (isa & TSR_ISA_AVX2) return best_of(avx2_fma_once);
#endif
  (void)isa;
  return 0.0;
}
