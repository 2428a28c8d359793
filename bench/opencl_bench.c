/* Per-kernel benchmarks of the OpenCL target on LLM-shaped ops (decode and
 * prefill). Each iteration submits a one-op command list and waits; the
 * kernel's own time comes from the target's profiling events
 * (get_profile), so counters report device time, not launch overhead:
 *   kernel_us  mean kernel time per iteration (device timestamps)
 *   GFLOP/s, GB/s  computed from that time (weights / bytes touched)
 * Run: tsr_bench_opencl [--benchmark_filter=matmul] [--target opencl:P:D] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/convert/convert.h"
#include "shim/gbench.h"
#include "tessera/tessera.h"

typedef struct cl_case {
  tsr_target *t;
  tsr_op op;
  tsr_buffer buf[4];
  tsr_cmdlist *list;
  tsr_dyn_values dyn;
  double flops, bytes;
} cl_case;

static uint64_t g_seed = 99;

static float frand(void) {
  g_seed = g_seed * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((g_seed >> 40) * (2.0 / 16777216.0) - 1.0);
}

/* Sets tensor |slot| (TSR_OP_MAX_SRC: dst) of |c| to a contiguous |dt|
 * tensor in a new device buffer filled with random values. */
static bool mk(cl_case *c, int slot, int bi, tsr_dtype dt, int nd, const int64_t *shape) {
  tsr_tensor *t = slot == TSR_OP_MAX_SRC ? &c->op.dst : &c->op.src[slot];
  if (tsr_tensor_init(t, dt, nd, shape, NULL) != TSR_OK) return false;
  size_t n = tsr_tensor_nbytes(t);
  if (tsr_target_buffer_alloc(c->t, n, TSR_BUFFER_WEIGHTS, &c->buf[bi]) != TSR_OK) return false;
  int64_t cols = shape[nd - 1], rows = tsr_tensor_numel(t) / (cols ? cols : 1);
  uint8_t *host = malloc(n ? n : 1);
  float *row = malloc(sizeof(float) * (size_t)cols);
  size_t rb = tsr_dtype_row_bytes(dt, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < cols; ++i) row[i] = dt == TSR_DTYPE_I32 ? (float)((i * 97) % 32000) : frand();
    tsr_quantize_row(dt, row, host + rb * (size_t)r, cols);
  }
  bool ok = tsr_target_upload(c->t, &c->buf[bi], 0, host, n) == TSR_OK;
  free(row);
  free(host);
  t->buffer = &c->buf[bi];
  if (slot != TSR_OP_MAX_SRC && (uint32_t)slot + 1 > c->op.n_src) c->op.n_src = (uint32_t)slot + 1;
  return ok;
}

static void run_case(tsr_bench_state *st, void *arg) {
  cl_case *c = arg;
  double total_ms = 0.0;
  int64_t iters = 0;
  tsr_op_timing tm[1];
  while (tsr_bench_keep_running(st)) {
    uint32_t n = 0;
    if (tsr_target_submit(c->t, c->list, &c->dyn) != TSR_OK || tsr_target_wait(c->t) != TSR_OK ||
        c->t->vt->get_profile(c->t, c->list, tm, 1, &n) != TSR_OK) {
      tsr_bench_skip(st, c->t->error.message);
      return;
    }
    total_ms += n ? tm[0].ms : 0.0;
    iters++;
  }
  double us = iters ? total_ms * 1e3 / (double)iters : 0.0;
  tsr_bench_value(st, "kernel_us", us);
  if (us > 0 && c->flops > 0) tsr_bench_value(st, "GFLOP/s", c->flops / (us * 1e3));
  if (us > 0 && c->bytes > 0) tsr_bench_value(st, "GB/s", c->bytes / (us * 1e3));
}

static void add_case(cl_case *c, const char *name) {
  if (tsr_target_prepare(c->t, &c->op, 1, &c->list) != TSR_OK) {
    fprintf(stderr, "opencl bench: %s: %s\n", name, c->t->error.message);
    return;
  }
  tsr_bench_register(name, run_case, c);
}

static cl_case *new_case(tsr_target *t, tsr_op_type type) {
  cl_case *c = calloc(1, sizeof(*c));
  c->t = t;
  c->op.type = type;
  return c;
}

static void add_matmul(tsr_target *t, tsr_dtype wt, int64_t m, int64_t n, int64_t k) {
  cl_case *c = new_case(t, TSR_OP_MATMUL);
  int64_t sa[2] = {m, k}, sb[2] = {n, k}, sy[2] = {m, n};
  if (!mk(c, 0, 0, TSR_DTYPE_F32, 2, sa) || !mk(c, 1, 1, wt, 2, sb) || !mk(c, TSR_OP_MAX_SRC, 2, TSR_DTYPE_F32, 2, sy))
    return;
  c->op.src[1].flags = TSR_TENSOR_FLAG_CONST;
  c->flops = 2.0 * (double)m * (double)n * (double)k;
  c->bytes = (double)tsr_tensor_nbytes(&c->op.src[1]);
  char name[128];
  snprintf(name, sizeof(name), "opencl/matmul/f32_%s/M%lld_N%lld_K%lld", tsr_dtype_name(wt), (long long)m,
           (long long)n, (long long)k);
  add_case(c, name);
}

static void add_attention(tsr_target *t, tsr_dtype kv, int64_t tq, int64_t kv_len) {
  const int64_t hq = 32, hkv = 8, d = 64, s = 512;
  cl_case *c = new_case(t, TSR_OP_ATTENTION);
  int64_t sq[3] = {tq, hq, d}, sk[3] = {s, hkv, d};
  if (!mk(c, 0, 0, TSR_DTYPE_F32, 3, sq) || !mk(c, 1, 1, kv, 3, sk) || !mk(c, 2, 2, kv, 3, sk) ||
      !mk(c, TSR_OP_MAX_SRC, 3, TSR_DTYPE_F32, 3, sq))
    return;
  c->op.p.attention.causal = true;
  c->op.p.attention.q_pos = TSR_DYN_STATIC((int32_t)(kv_len - tq));
  c->op.p.attention.kv_len = TSR_DYN_STATIC((int32_t)kv_len);
  c->flops = 4.0 * (double)tq * (double)hq * (double)kv_len * (double)d;
  c->bytes = 2.0 * (double)kv_len * (double)hkv * (double)d * (double)tsr_dtype_block_bytes(kv);
  char name[128];
  snprintf(name, sizeof(name), "opencl/attention/%s/Tq%lld_Hq32_Hkv8_D64_kv%lld", tsr_dtype_name(kv),
           (long long)tq, (long long)kv_len);
  add_case(c, name);
}

static void add_rows_op(tsr_target *t, tsr_op_type type, int64_t rows, int64_t cols) {
  cl_case *c = new_case(t, type);
  int64_t s[2] = {rows, cols};
  if (!mk(c, 0, 0, TSR_DTYPE_F32, 2, s) || !mk(c, TSR_OP_MAX_SRC, 1, TSR_DTYPE_F32, 2, s)) return;
  if (type == TSR_OP_RMSNORM) c->op.p.norm.eps = 1e-5f;
  if (type == TSR_OP_UNARY) c->op.p.unary.kind = TSR_UNARY_SILU;
  c->bytes = 2.0 * (double)rows * (double)cols * 4.0;
  char name[128];
  snprintf(name, sizeof(name), "opencl/%s/%lldx%lld", tsr_op_type_name(type), (long long)rows, (long long)cols);
  add_case(c, name);
}

static void add_binary(tsr_target *t, int kind, int64_t rows, int64_t cols) {
  cl_case *c = new_case(t, TSR_OP_BINARY);
  int64_t s[2] = {rows, cols};
  if (!mk(c, 0, 0, TSR_DTYPE_F32, 2, s) || !mk(c, 1, 1, TSR_DTYPE_F32, 2, s) ||
      !mk(c, TSR_OP_MAX_SRC, 2, TSR_DTYPE_F32, 2, s))
    return;
  c->op.p.binary.kind = kind;
  c->bytes = 3.0 * (double)rows * (double)cols * 4.0;
  char name[128];
  snprintf(name, sizeof(name), "opencl/binary/%s/%lldx%lld", tsr_binary_kind_name(kind), (long long)rows,
           (long long)cols);
  add_case(c, name);
}

static void add_rope(tsr_target *t, int64_t tt) {
  cl_case *c = new_case(t, TSR_OP_ROPE);
  int64_t s[3] = {tt, 32, 64};
  if (!mk(c, 0, 0, TSR_DTYPE_F32, 3, s) || !mk(c, TSR_OP_MAX_SRC, 1, TSR_DTYPE_F32, 3, s)) return;
  c->op.p.rope = (tsr_rope_params){64, TSR_ROPE_INTERLEAVED, 10000.0f, 0.0f, TSR_DYN_STATIC(100)};
  c->bytes = 2.0 * (double)tt * 32 * 64 * 4;
  char name[128];
  snprintf(name, sizeof(name), "opencl/rope/%lldx32x64", (long long)tt);
  add_case(c, name);
}

static void add_softmax(tsr_target *t) {
  cl_case *c = new_case(t, TSR_OP_SOFTMAX);
  int64_t s[3] = {32, 32, 512};
  if (!mk(c, 0, 0, TSR_DTYPE_F32, 3, s) || !mk(c, TSR_OP_MAX_SRC, 1, TSR_DTYPE_F32, 3, s)) return;
  c->op.p.softmax.causal = true;
  c->op.p.softmax.q_pos = TSR_DYN_STATIC(480);
  c->bytes = 2.0 * 32 * 32 * 512 * 4;
  add_case(c, "opencl/softmax/32x32x512_causal");
}

static void add_get_rows(tsr_target *t, tsr_dtype dt, int64_t tt) {
  cl_case *c = new_case(t, TSR_OP_GET_ROWS);
  int64_t st[2] = {32000, 2048}, si[1] = {tt}, sy[2] = {tt, 2048};
  if (!mk(c, 0, 0, dt, 2, st) || !mk(c, 1, 1, TSR_DTYPE_I32, 1, si) || !mk(c, TSR_OP_MAX_SRC, 2, TSR_DTYPE_F32, 2, sy))
    return;
  c->bytes = (double)tt * 2048 * 4;
  char name[128];
  snprintf(name, sizeof(name), "opencl/get_rows/%s/T%lld_D2048", tsr_dtype_name(dt), (long long)tt);
  add_case(c, name);
}

static void add_set_rows(tsr_target *t, tsr_dtype dt, int64_t tt) {
  cl_case *c = new_case(t, TSR_OP_SET_ROWS);
  int64_t ss[3] = {tt, 8, 64}, sd[3] = {512, 8, 64};
  if (!mk(c, 0, 0, TSR_DTYPE_F32, 3, ss) || !mk(c, TSR_OP_MAX_SRC, 1, dt, 3, sd)) return;
  c->op.p.set_rows.pos = TSR_DYN_STATIC(100);
  c->bytes = (double)tt * 8 * 64 * 4;
  char name[128];
  snprintf(name, sizeof(name), "opencl/set_rows/%s/T%lld_8x64", tsr_dtype_name(dt), (long long)tt);
  add_case(c, name);
}

int main(int argc, char **argv) {
  const char *name = "opencl";
  for (int i = 1; i + 1 < argc; ++i) {
    if (strcmp(argv[i], "--target") == 0) {
      name = argv[i + 1];
      memmove(argv + i, argv + i + 2, sizeof(char *) * (size_t)(argc - i - 2));
      argc -= 2;
      break;
    }
  }
  static tsr_allocator a;
  a = tsr_allocator_system();
  tsr_target_options o = {0};
  o.allow_cpu_device = true;
  tsr_target *t = NULL;
  tsr_error err;
  if (tsr_target_create(name, &o, &a, &t, &err) != TSR_OK) {
    printf("opencl bench: %s unavailable: %s\n", name, err.message);
    return 0;
  }
  tsr_target_caps caps;
  if (tsr_target_get_caps(t, &caps) == TSR_OK) printf("opencl bench on %s: %s\n", caps.name, caps.device);
  static const tsr_dtype kTypes[] = {TSR_DTYPE_F32, TSR_DTYPE_F16, TSR_DTYPE_Q8_0, TSR_DTYPE_Q4_0,
                                     TSR_DTYPE_Q4_K, TSR_DTYPE_Q6_K};
  for (size_t i = 0; i < sizeof(kTypes) / sizeof(kTypes[0]); ++i) {
    add_matmul(t, kTypes[i], 1, 2048, 2048); /* decode: matrix-vector */
    add_matmul(t, kTypes[i], 32, 512, 2048); /* prefill: matrix-matrix */
  }
  add_attention(t, TSR_DTYPE_F16, 1, 512);
  add_attention(t, TSR_DTYPE_F32, 1, 512);
  add_attention(t, TSR_DTYPE_F16, 32, 512);
  add_rows_op(t, TSR_OP_RMSNORM, 32, 2048);
  add_rows_op(t, TSR_OP_UNARY, 32, 5632);
  add_binary(t, TSR_BINARY_ADD, 32, 2048);
  add_binary(t, TSR_BINARY_SWIGLU, 32, 5632);
  add_rope(t, 32);
  add_softmax(t);
  add_get_rows(t, TSR_DTYPE_Q8_0, 32);
  add_set_rows(t, TSR_DTYPE_F16, 32);
  add_set_rows(t, TSR_DTYPE_Q8_0, 32);
  return tsr_bench_main(argc, argv);
}
