/* Per-kernel benchmarks: every CPU kernel of the registry that this CPU can
 * run, on decode- and prefill-like shapes, on one thread. Counters: FLOP/s
 * and weight bytes/s (matmul), bytes/s (memory-bound ops). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/common/kernel.h"
#include "kernels/convert/convert.h"
#include "shim/gbench.h"

typedef struct bench_case {
  const tsr_kernel *kernel;
  tsr_op op;
  void *mem[4];
  void *scratch;
  const void *packed;
  double flops, bytes;
} bench_case;

static void *filled(size_t n, tsr_dtype dt, int64_t rows, int64_t cols) {
  void *p = aligned_alloc(64, (n + 63) & ~(size_t)63);
  float *row = malloc(sizeof(float) * (size_t)cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < cols; ++i) row[i] = (float)((r * 131 + i * 7) % 97) / 97.0f - 0.5f;
    tsr_quantize_row(dt, row, (uint8_t *)p + (size_t)r * tsr_dtype_row_bytes(dt, cols), cols);
  }
  free(row);
  return p;
}

static void run_case(tsr_bench_state *st, void *arg) {
  bench_case *c = arg;
  tsr_dyn_values dyn = {{0}};
  int64_t units = c->kernel->units(&c->op, &dyn);
  tsr_kernel_ctx ctx = {&c->op, &dyn, c->scratch, c->packed, 0, NULL};
  while (tsr_bench_keep_running(st)) c->kernel->run(&ctx, 0, units);
  if (c->flops > 0) tsr_bench_rate(st, "FLOP/s", c->flops);
  tsr_bench_rate(st, "bytes/s", c->bytes);
}

static void add_matmul(const tsr_kernel *k, tsr_dtype wt, int64_t m, int64_t n, int64_t kk) {
  bench_case *c = calloc(1, sizeof(*c));
  c->kernel = k;
  c->op.type = TSR_OP_MATMUL;
  c->op.n_src = 2;
  int64_t sa[2] = {m, kk}, sb[2] = {n, kk}, sy[2] = {m, n};
  if (tsr_tensor_init(&c->op.src[0], TSR_DTYPE_F32, 2, sa, NULL) || tsr_tensor_init(&c->op.src[1], wt, 2, sb, NULL) ||
      tsr_tensor_init(&c->op.dst, TSR_DTYPE_F32, 2, sy, NULL)) {
    free(c);
    return;
  }
  c->op.src[0].data = c->mem[0] = filled(tsr_tensor_nbytes(&c->op.src[0]), TSR_DTYPE_F32, m, kk);
  c->op.src[1].data = c->mem[1] = filled(tsr_tensor_nbytes(&c->op.src[1]), wt, n, kk);
  c->op.src[1].flags = TSR_TENSOR_FLAG_CONST;
  c->op.dst.data = c->mem[2] = aligned_alloc(64, tsr_tensor_nbytes(&c->op.dst) + 64);
  if (k->match && !k->match(&c->op)) {
    free(c);
    return;
  }
  c->scratch = aligned_alloc(64, (k->scratch ? k->scratch(&c->op) : 0) + 64);
  if (k->packed_size && k->pack) {
    void *pk = aligned_alloc(64, k->packed_size(&c->op) + 64);
    k->pack(&c->op, pk);
    c->packed = pk;
  }
  c->flops = 2.0 * (double)m * (double)n * (double)kk;
  c->bytes = (double)tsr_tensor_nbytes(&c->op.src[1]);
  char name[160];
  snprintf(name, sizeof(name), "%s/%s/M%lld_N%lld_K%lld", k->name, tsr_dtype_name(wt), (long long)m, (long long)n,
           (long long)kk);
  tsr_bench_register(name, run_case, c);
}

int main(int argc, char **argv) {
  tsr_cpu_features f;
  tsr_cpu_detect(&f);
  uint32_t n;
  const tsr_kernel *const *table = tsr_kernel_table(&n);
  static const tsr_dtype kTypes[] = {TSR_DTYPE_F32, TSR_DTYPE_F16, TSR_DTYPE_Q8_0, TSR_DTYPE_Q4_0,
                                     TSR_DTYPE_Q4_K, TSR_DTYPE_Q5_K, TSR_DTYPE_Q6_K};
  for (uint32_t i = 0; i < n; ++i) {
    const tsr_kernel *k = table[i];
    if ((k->isa & ~f.isa) != 0 || k->op != TSR_OP_MATMUL) continue;
    for (size_t t = 0; t < sizeof(kTypes) / sizeof(kTypes[0]); ++t) {
      add_matmul(k, kTypes[t], 1, 2048, 2048);  /* decode: matrix-vector */
      add_matmul(k, kTypes[t], 32, 512, 2048);  /* prefill: matrix-matrix */
    }
  }
  return tsr_bench_main(argc, argv);
}
