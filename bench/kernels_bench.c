/* Per-kernel benchmarks: every CPU kernel variant of the registry (the same
 * .inc lists the tests expand) that this CPU can run, on LLM decode- and
 * prefill-like shapes, on 1 and 2 threads of the CPU target's thread pool,
 * run exactly as the target runs them (pack once, pre-pass, units).
 *
 * Counters: GB/s of the bytes an op must touch, GOP/s (2 per multiply-add)
 * for matmul, and "frac": matrix-vector GB/s over the measured read
 * bandwidth (weights stream from memory: the benchmark cycles through
 * copies of the weights larger than the last-level cache), matrix-matrix
 * GOP/s over the measured peak of the variant's ISA (one core's peak x
 * threads), other ops GB/s over the measured bandwidth. The probes run once
 * at start and are printed. Extra flags: --tsr_quick (fewer shapes),
 * --tsr_probe (print the probes as one JSON line and exit). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/common/kernel.h"
#include "kernels/convert/convert.h"
#include "probe.h"
#include "shim/gbench.h"
#include "targets/cpu/threadpool.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct machine {
  double bw[3];        /* read GB/s with 1, 2 threads (index = threads) */
  double ghz;
  double int8_peak[4]; /* per core GOP/s: [0] avx2, [1] avx512, [2] vnni */
  double f32_peak[2];  /* per core GFLOP/s: [0] avx2, [1] avx512 */
  size_t llc;
} machine;

static machine g_m;

typedef struct bench_case {
  const tsr_kernel *kernel;
  tsr_op_type type;
  tsr_dtype wt;          /* matmul weights / attention kv */
  int64_t dims[4];       /* op-specific shape */
  unsigned threads;
  bool stream;           /* cycle weight copies larger than the LLC */
  double bytes, ops;     /* per iteration */
  double peak_ops;       /* ops/s the frac counter divides by (0: bandwidth) */
} bench_case;

/* The case currently set up (kept across Google Benchmark's calls of the
 * same benchmark; freed when another case needs memory). */
typedef struct setup {
  const bench_case *c;
  tsr_op op;
  void *mem[TSR_OP_MAX_SRC + 1];
  uint8_t *copies;       /* stream: n_copies packed weight copies */
  size_t copy_bytes;
  int64_t n_copies;
  void *packed;
  uint8_t *scratch;      /* per thread */
  size_t scratch_stride;
  void *shared;
  tsr_pool pool;
  bool pool_ok;
} setup;

static setup g_s;

static void *xalloc(size_t n) {
  void *p = aligned_alloc(64, (n + 63) & ~(size_t)63);
  if (p == NULL) {
    fprintf(stderr, "out of memory (%zu bytes)\n", n);
    exit(1);
  }
  return p;
}

static void teardown(void) {
  for (int i = 0; i <= TSR_OP_MAX_SRC; ++i) free(g_s.mem[i]);
  free(g_s.copies);
  free(g_s.packed);
  free(g_s.scratch);
  free(g_s.shared);
  if (g_s.pool_ok) tsr_pool_deinit(&g_s.pool);
  memset(&g_s, 0, sizeof(g_s));
}

static void fill(tsr_tensor *t, void **mem, float lo, float hi, uint64_t seed) {
  size_t n = tsr_tensor_nbytes(t);
  *mem = xalloc(n + 64);
  t->data = *mem;
  int64_t rows = tsr_rows(t), len = t->shape[t->ndim - 1];
  float *row = xalloc(sizeof(float) * (size_t)len);
  uint64_t s = seed;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < len; ++i) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      row[i] = lo + (hi - lo) * (float)((s >> 40) & 0xffffff) / 16777216.0f;
    }
    tsr_store_f32(t->dtype, row, (uint8_t *)t->data + tsr_row_offset(t, r), tsr_inner_stride(t), len);
  }
  free(row);
}

static void tensor(tsr_tensor *t, tsr_dtype dt, int nd, int64_t a, int64_t b, int64_t c) {
  int64_t s[3] = {a, b, c};
  if (tsr_tensor_init(t, dt, nd, s, NULL) != TSR_OK) {
    fprintf(stderr, "bad bench shape\n");
    exit(1);
  }
}

/* The op of a case, with unbound tensors. */
static tsr_op make_op(const bench_case *c) {
  tsr_op op;
  memset(&op, 0, sizeof(op));
  op.type = c->type;
  const int64_t *d = c->dims;
  switch (c->type) {
    case TSR_OP_MATMUL: /* d: M N K */
      op.n_src = 2;
      tensor(&op.src[0], TSR_DTYPE_F32, 2, d[0], d[2], 0);
      tensor(&op.src[1], c->wt, 2, d[1], d[2], 0);
      op.src[1].flags = TSR_TENSOR_FLAG_CONST;
      tensor(&op.dst, TSR_DTYPE_F32, 2, d[0], d[1], 0);
      break;
    case TSR_OP_RMSNORM: /* d: rows n */
      op.n_src = 2;
      tensor(&op.src[0], TSR_DTYPE_F32, 2, d[0], d[1], 0);
      tensor(&op.src[1], TSR_DTYPE_F32, 1, d[1], 0, 0);
      tensor(&op.dst, TSR_DTYPE_F32, 2, d[0], d[1], 0);
      op.p.norm.eps = 1e-5f;
      break;
    case TSR_OP_SOFTMAX: /* d: rows n */
      op.n_src = 1;
      tensor(&op.src[0], TSR_DTYPE_F32, 2, d[0], d[1], 0);
      tensor(&op.dst, TSR_DTYPE_F32, 2, d[0], d[1], 0);
      break;
    case TSR_OP_ROPE: /* d: T H D */
      op.n_src = 1;
      tensor(&op.src[0], TSR_DTYPE_F32, 3, d[0], d[1], d[2]);
      tensor(&op.dst, TSR_DTYPE_F32, 3, d[0], d[1], d[2]);
      op.p.rope = (tsr_rope_params){(int32_t)d[2], TSR_ROPE_INTERLEAVED, 10000.0f, 0.0f, TSR_DYN_STATIC(100)};
      break;
    case TSR_OP_ATTENTION: /* d: Tq Hq S Hkv ; D = 64 */
      op.n_src = 3;
      tensor(&op.src[0], TSR_DTYPE_F32, 3, d[0], d[1], 64);
      tensor(&op.src[1], c->wt, 3, d[2], d[3], 64);
      tensor(&op.src[2], c->wt, 3, d[2], d[3], 64);
      tensor(&op.dst, TSR_DTYPE_F32, 3, d[0], d[1], 64);
      op.p.attention.causal = true;
      op.p.attention.q_pos = TSR_DYN_STATIC((int32_t)(d[2] - d[0]));
      op.p.attention.kv_len = TSR_DYN_STATIC((int32_t)d[2]);
      break;
    case TSR_OP_UNARY: /* d: rows n */
      op.n_src = 1;
      tensor(&op.src[0], TSR_DTYPE_F32, 2, d[0], d[1], 0);
      tensor(&op.dst, TSR_DTYPE_F32, 2, d[0], d[1], 0);
      op.p.unary.kind = TSR_UNARY_SILU;
      break;
    case TSR_OP_BINARY: /* d: rows n */
      op.n_src = 2;
      tensor(&op.src[0], TSR_DTYPE_F32, 2, d[0], d[1], 0);
      tensor(&op.src[1], TSR_DTYPE_F32, 2, d[0], d[1], 0);
      tensor(&op.dst, TSR_DTYPE_F32, 2, d[0], d[1], 0);
      op.p.binary.kind = (int32_t)d[2];
      break;
    default: break;
  }
  return op;
}

static void do_setup(const bench_case *c) {
  if (g_s.c == c) return;
  teardown();
  g_s.c = c;
  g_s.op = make_op(c);
  tsr_op *op = &g_s.op;
  for (uint32_t i = 0; i < op->n_src; ++i) fill(&op->src[i], &g_s.mem[i], -1.0f, 1.0f, 1234 + i);
  fill(&op->dst, &g_s.mem[TSR_OP_MAX_SRC], 0.0f, 0.0f, 1);
  const tsr_kernel *k = c->kernel;
  size_t pn = k->packed_size && k->pack ? k->packed_size(op) : 0;
  if (pn > 0) {
    g_s.packed = xalloc(pn);
    k->pack(op, g_s.packed);
  }
  if (c->stream) { /* copies of whatever the kernel reads as weights */
    const void *w = pn > 0 ? g_s.packed : op->src[1].data;
    size_t wb = pn > 0 ? pn : tsr_tensor_nbytes(&op->src[1]);
    g_s.copy_bytes = (wb + 4095) & ~(size_t)4095;
    g_s.n_copies = (int64_t)((2 * g_m.llc) / g_s.copy_bytes) + 2;
    g_s.copies = xalloc(g_s.copy_bytes * (size_t)g_s.n_copies);
    for (int64_t i = 0; i < g_s.n_copies; ++i) memcpy(g_s.copies + (size_t)i * g_s.copy_bytes, w, wb);
  }
  size_t ss = k->scratch ? k->scratch(op) : 0, sh = k->shared_scratch ? k->shared_scratch(op) : 0;
  g_s.scratch_stride = (ss + 63) & ~(size_t)63;
  g_s.scratch = xalloc(g_s.scratch_stride * c->threads + 64);
  g_s.shared = sh ? xalloc(sh) : NULL;
  tsr_allocator sys = tsr_allocator_system();
  static tsr_allocator s_alloc;
  s_alloc = sys;
  g_s.pool_ok = tsr_pool_init(&g_s.pool, c->threads, &s_alloc) == TSR_OK;
}

typedef struct job {
  tsr_kernel_fn fn;
  const tsr_op *op;
  const void *packed;
} job;

static void job_fn(void *arg, uint32_t thread, int64_t b, int64_t e) {
  const job *j = arg;
  static const tsr_dyn_values kDyn = {{0}};
  tsr_kernel_ctx ctx = {j->op, &kDyn, g_s.scratch + thread * g_s.scratch_stride, j->packed, thread, g_s.shared};
  j->fn(&ctx, b, e);
}

static int64_t chunk_for(int64_t units, unsigned threads, const tsr_kernel *k, const tsr_op *op) {
  int64_t c = units / ((int64_t)threads * 8), g = k->grain ? k->grain(op) : 1;
  return c < g ? g : (c < 1 ? 1 : c);
}

static void run_case(tsr_bench_state *st, void *arg) {
  const bench_case *c = arg;
  do_setup(c);
  if (!g_s.pool_ok) {
    tsr_bench_skip(st, "thread pool");
    return;
  }
  const tsr_kernel *k = c->kernel;
  static const tsr_dyn_values kDyn = {{0}};
  int64_t copy = 0;
  tsr_op op = g_s.op;
  int64_t iters = 0;
  double t0 = now_s();
  while (tsr_bench_keep_running(st)) {
    ++iters;
    const void *packed = g_s.packed;
    if (c->stream) {
      uint8_t *w = g_s.copies + (size_t)copy * g_s.copy_bytes;
      if (g_s.packed) packed = w;
      else op.src[1].data = w;
      copy = (copy + 1) % g_s.n_copies;
    }
    if (k->pre) {
      job pj = {k->pre, &op, packed};
      int64_t u = k->pre_units(&op, &kDyn);
      tsr_pool_run(&g_s.pool, job_fn, &pj, u, chunk_for(u, c->threads, k, &op));
    }
    job rj = {k->run, &op, packed};
    int64_t u = k->units(&op, &kDyn);
    tsr_pool_run(&g_s.pool, job_fn, &rj, u, chunk_for(u, c->threads, k, &op));
  }
  /* rates from the loop's own wall time (the counters then print as plain
   * numbers: GB/s, GOP/s and the fraction of the peak) */
  const double dt = now_s() - t0;
  if (iters == 0 || dt <= 0) return;
  const double gbs = c->bytes * (double)iters / dt * 1e-9, gops = c->ops * (double)iters / dt * 1e-9;
  tsr_bench_value(st, "GB/s", gbs);
  if (c->ops > 0) tsr_bench_value(st, "GOP/s", gops);
  const double peak = c->peak_ops > 0 ? c->peak_ops * 1e-9 : g_m.bw[c->threads > 2 ? 2 : c->threads];
  if (peak > 0) tsr_bench_value(st, "frac", (c->peak_ops > 0 ? gops : gbs) / peak);
}

/* ---- registration ---- */

static double int8_peak(uint32_t isa) {
  if (isa & TSR_ISA_AVX512VNNI) return g_m.int8_peak[2];
  if (isa & TSR_ISA_AVX512) return g_m.int8_peak[1];
  if (isa & TSR_ISA_AVX2) return g_m.int8_peak[0];
  return 0.0;
}

static double f32_peak(uint32_t isa) {
  if (isa & TSR_ISA_AVX512) return g_m.f32_peak[1];
  if (isa & TSR_ISA_AVX2) return g_m.f32_peak[0];
  return 0.0;
}

static void add(const tsr_kernel *k, bench_case proto) {
  proto.kernel = k;
  tsr_op op = make_op(&proto);
  if (tsr_op_validate(&op, NULL) != TSR_OK || (k->match && !k->match(&op))) return;
  for (unsigned t = 1; t <= 2; ++t) {
    bench_case *c = xalloc(sizeof(*c));
    *c = proto;
    c->threads = t;
    const int64_t *d = c->dims;
    char shape[96];
    switch (c->type) {
      case TSR_OP_MATMUL: {
        double wb = (double)tsr_dtype_row_bytes(c->wt, d[2]) * (double)d[1];
        c->bytes = wb + 4.0 * (double)(d[0] * d[2] + d[0] * d[1]);
        c->ops = 2.0 * (double)d[0] * (double)d[1] * (double)d[2];
        c->stream = c->stream || (d[0] == 1 && d[1] * d[2] >= 4096 * 4096);
        bool quant = tsr_dtype_is_quantized(c->wt);
        c->peak_ops = c->stream ? 0.0 : 1e9 * t * (quant ? int8_peak(k->isa) : f32_peak(k->isa));
        snprintf(shape, sizeof(shape), "%s/M%lld_N%lld_K%lld", tsr_dtype_name(c->wt), (long long)d[0],
                 (long long)d[1], (long long)d[2]);
        break;
      }
      case TSR_OP_ATTENTION: {
        double kvb = 2.0 * (double)tsr_dtype_block_bytes(c->wt) * (double)(d[2] * d[3] * 64);
        c->bytes = kvb + 8.0 * (double)(d[0] * d[1] * 64);
        c->ops = 4.0 * (double)(d[0] * d[1] * d[2] * 64);
        snprintf(shape, sizeof(shape), "%s/Tq%lld_Hq%lld_S%lld_Hkv%lld", tsr_dtype_name(c->wt), (long long)d[0],
                 (long long)d[1], (long long)d[2], (long long)d[3]);
        break;
      }
      case TSR_OP_ROPE:
        c->bytes = 8.0 * (double)(d[0] * d[1] * d[2]);
        snprintf(shape, sizeof(shape), "T%lld_H%lld_D%lld", (long long)d[0], (long long)d[1], (long long)d[2]);
        break;
      case TSR_OP_BINARY:
        c->bytes = 12.0 * (double)(d[0] * d[1]);
        snprintf(shape, sizeof(shape), "%s/%lldx%lld", tsr_binary_kind_name((int)d[2]), (long long)d[0],
                 (long long)d[1]);
        break;
      default:
        c->bytes = 8.0 * (double)(d[0] * d[1]);
        snprintf(shape, sizeof(shape), "%lldx%lld", (long long)d[0], (long long)d[1]);
        break;
    }
    char name[256];
    snprintf(name, sizeof(name), "%s/%s/threads:%u", k->name, shape, t);
    tsr_bench_register(name, run_case, c);
  }
}

static bool is_ref(const tsr_kernel *k) {
  size_t l = strlen(k->name);
  return k->isa == 0 && l >= 4 && strcmp(k->name + l - 4, "_ref") == 0;
}

int main(int argc, char **argv) {
  bool quick = false, probe_only = false;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--tsr_probe") == 0) probe_only = true;
    if (strcmp(argv[i], "--tsr_quick") == 0) {
      quick = true;
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      argc--;
      i--;
    }
  }
  tsr_cpu_features f;
  tsr_cpu_detect(&f);
  g_m.llc = tsr_probe_llc_bytes();
  size_t probe_bytes = g_m.llc ? 4 * g_m.llc : (size_t)1 << 30;
  if (probe_bytes < ((size_t)256 << 20)) probe_bytes = (size_t)256 << 20;
  if (probe_bytes > ((size_t)2 << 30)) probe_bytes = (size_t)2 << 30;
  g_m.bw[1] = tsr_probe_read_gbs(1, probe_bytes);
  g_m.bw[2] = tsr_probe_read_gbs(2, probe_bytes);
  g_m.ghz = tsr_probe_clock_ghz();
  g_m.int8_peak[0] = tsr_probe_int8_gops(f.isa & TSR_ISA_AVX2);
  g_m.int8_peak[1] = tsr_probe_int8_gops(f.isa & (TSR_ISA_AVX2 | TSR_ISA_AVX512));
  g_m.int8_peak[2] = tsr_probe_int8_gops(f.isa);
  g_m.f32_peak[0] = tsr_probe_f32_gflops(f.isa & TSR_ISA_AVX2);
  g_m.f32_peak[1] = tsr_probe_f32_gflops(f.isa);
  printf("probe: read bandwidth %.1f GB/s (1 thread), %.1f GB/s (2 threads) over %zu MiB; clock %.2f GHz; "
         "LLC %zu MiB\n",
         g_m.bw[1], g_m.bw[2], probe_bytes >> 20, g_m.ghz, g_m.llc >> 20);
  printf("probe: one core int8 dot peak %.0f (avx2) %.0f (avx512) %.0f (best) GOP/s; f32 FMA peak %.0f (avx2) "
         "%.0f (best) GFLOP/s\n",
         g_m.int8_peak[0], g_m.int8_peak[1], g_m.int8_peak[2], g_m.f32_peak[0], g_m.f32_peak[1]);
  fflush(stdout);
  if (probe_only) {
    printf("{\"read_gbs_1\": %.2f, \"read_gbs_2\": %.2f, \"clock_ghz\": %.3f, \"int8_gops\": %.1f, "
           "\"f32_gflops\": %.1f}\n",
           g_m.bw[1], g_m.bw[2], g_m.ghz, g_m.int8_peak[2], g_m.f32_peak[1]);
    return 0;
  }

  static const tsr_dtype kTypes[] = {TSR_DTYPE_Q8_0, TSR_DTYPE_Q4_0, TSR_DTYPE_Q4_K, TSR_DTYPE_Q5_K,
                                     TSR_DTYPE_Q6_K, TSR_DTYPE_F32,  TSR_DTYPE_F16};
  uint32_t n;
  const tsr_kernel *const *table = tsr_kernel_table(&n);
  for (uint32_t i = 0; i < n; ++i) {
    const tsr_kernel *k = table[i];
    if ((k->isa & ~f.isa) != 0) continue;
    bench_case p;
    memset(&p, 0, sizeof(p));
    p.type = k->op;
    switch (k->op) {
      case TSR_OP_MATMUL:
        if (is_ref(k)) break;
        for (size_t t = 0; t < sizeof(kTypes) / sizeof(kTypes[0]); ++t) {
          p.wt = kTypes[t];
          p.dims[0] = 1, p.dims[1] = 4096, p.dims[2] = 4096; /* decode: matrix-vector from memory */
          add(k, p);
          p.dims[0] = 1, p.dims[1] = 512, p.dims[2] = 2048; /* the same from L2: compute bound */
          add(k, p);
          if (tsr_dtype_is_quantized(p.wt) && !quick) {
            /* TinyLlama-1.1B decode (N x K): q/o, gate/up, down, k/v, output; weights
             * stream from memory as in a model larger than the LLC */
            static const int64_t kTiny[][2] = {{2048, 2048}, {5632, 2048}, {2048, 5632}, {256, 2048}, {32000, 2048}};
            p.stream = true;
            for (size_t s = 0; s < sizeof(kTiny) / sizeof(kTiny[0]); ++s) {
              p.dims[0] = 1, p.dims[1] = kTiny[s][0], p.dims[2] = kTiny[s][1];
              add(k, p);
            }
            p.stream = false;
          }
          if (quick) continue;
          p.dims[0] = 128, p.dims[1] = 2048, p.dims[2] = 2048; /* prefill: matrix-matrix */
          add(k, p);
        }
        break;
      case TSR_OP_RMSNORM:
      case TSR_OP_SOFTMAX:
      case TSR_OP_UNARY:
        p.dims[0] = 1, p.dims[1] = k->op == TSR_OP_UNARY ? 5632 : 4096;
        add(k, p);
        p.dims[0] = 128;
        add(k, p);
        break;
      case TSR_OP_BINARY:
        p.dims[0] = 128, p.dims[1] = 5632, p.dims[2] = TSR_BINARY_SWIGLU;
        add(k, p);
        p.dims[2] = TSR_BINARY_ADD;
        add(k, p);
        break;
      case TSR_OP_ROPE:
        p.dims[0] = 1, p.dims[1] = 32, p.dims[2] = 64;
        add(k, p);
        p.dims[0] = 128;
        add(k, p);
        break;
      case TSR_OP_ATTENTION:
        for (int kv = 0; kv < 2; ++kv) {
          p.wt = kv ? TSR_DTYPE_F16 : TSR_DTYPE_F32;
          p.dims[0] = 1, p.dims[1] = 32, p.dims[2] = 1024, p.dims[3] = 4; /* decode */
          add(k, p);
          p.dims[0] = 128, p.dims[2] = 128; /* prefill */
          add(k, p);
        }
        break;
      default: break;
    }
  }
  int rc = tsr_bench_main(argc, argv);
  teardown();
  return rc;
}
