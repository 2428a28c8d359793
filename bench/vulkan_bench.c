/* Per-kernel benchmarks of the Vulkan target on LLM-shaped ops (decode and
 * prefill), and one whole decode layer recorded as a single command list.
 * Each iteration submits the list and waits; counters come from the device:
 *   gpu_us      device time per iteration (timestamp queries, get_profile)
 *   GFLOP/s, GB/s  computed from that time (weights / bytes touched)
 *   dispatches, barriers  of the recorded list: a change in either is a
 *               regression (or an improvement) in how lists are recorded
 * On lavapipe the times are CPU times and say nothing about a GPU; the
 * dispatch and barrier counts hold everywhere.
 * Run: tsr_bench_vulkan [--benchmark_filter=matmul] [--target vulkan:N] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/convert/convert.h"
#include "shim/gbench.h"
#include "targets/vulkan/vulkan_target.h"
#include "tessera/tessera.h"

#define MAX_OPS 32
#define MAX_BUFS 48

typedef struct vk_case {
  tsr_target *t;
  tsr_op ops[MAX_OPS];
  uint32_t n_ops;
  tsr_buffer buf[MAX_BUFS];
  uint32_t n_bufs;
  tsr_cmdlist *list;
  tsr_dyn_values dyn;
  double flops, bytes;
} vk_case;

static uint64_t g_seed = 7;
static vk_case *g_cases[64]; /* released before the target goes */
static int g_n_cases;

static float frand(void) {
  g_seed = g_seed * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((g_seed >> 40) * (2.0 / 16777216.0) - 1.0);
}

/* A contiguous |dt| tensor in a new device buffer of random values. */
static bool mk(vk_case *c, tsr_tensor *t, tsr_dtype dt, int nd, const int64_t *shape) {
  if (c->n_bufs == MAX_BUFS || tsr_tensor_init(t, dt, nd, shape, NULL) != TSR_OK) return false;
  size_t n = tsr_tensor_nbytes(t);
  tsr_buffer *b = &c->buf[c->n_bufs];
  if (tsr_target_buffer_alloc(c->t, n, TSR_BUFFER_WEIGHTS, b) != TSR_OK) return false;
  c->n_bufs++;
  int64_t cols = shape[nd - 1], rows = tsr_tensor_numel(t) / (cols ? cols : 1);
  uint8_t *host = malloc(n ? n : 1);
  float *row = malloc(sizeof(float) * (size_t)(cols ? cols : 1));
  size_t rb = tsr_dtype_row_bytes(dt, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < cols; ++i) row[i] = dt == TSR_DTYPE_I32 ? (float)(r % 7) : frand();
    tsr_quantize_row(dt, row, host + (size_t)r * rb, cols);
  }
  bool ok = tsr_target_upload(c->t, b, 0, host, n) == TSR_OK;
  free(row);
  free(host);
  t->buffer = b;
  return ok;
}

static bool mk1(vk_case *c, tsr_tensor *t, tsr_dtype dt, int64_t a) { return mk(c, t, dt, 1, (int64_t[]){a}); }
static bool mk2(vk_case *c, tsr_tensor *t, tsr_dtype dt, int64_t a, int64_t b) {
  return mk(c, t, dt, 2, (int64_t[]){a, b});
}
static bool mk3(vk_case *c, tsr_tensor *t, tsr_dtype dt, int64_t a, int64_t b, int64_t d) {
  return mk(c, t, dt, 3, (int64_t[]){a, b, d});
}

static tsr_op *add_op(vk_case *c, tsr_op_type type, uint32_t n_src, const char *name) {
  tsr_op *op = &c->ops[c->n_ops++];
  memset(op, 0, sizeof(*op));
  op->type = type;
  op->n_src = n_src;
  op->name = name;
  return op;
}

/* A view of an existing tensor with another shape (same buffer). */
static tsr_tensor reshape(const tsr_tensor *t, int nd, const int64_t *shape) {
  tsr_tensor v;
  if (tsr_tensor_init(&v, t->dtype, nd, shape, NULL) != TSR_OK) memset(&v, 0, sizeof(v));
  v.buffer = t->buffer;
  v.offset = t->offset;
  return v;
}

static void run_case(tsr_bench_state *st, void *arg) {
  vk_case *c = arg;
  if (c->list == NULL) {
    tsr_bench_skip(st, "not prepared");
    return;
  }
  double gpu_ms = 0.0;
  long iters = 0;
  tsr_op_timing tm[MAX_OPS];
  while (tsr_bench_keep_running(st)) {
    if (tsr_target_submit(c->t, c->list, &c->dyn) != TSR_OK || tsr_target_wait(c->t) != TSR_OK) {
      tsr_bench_skip(st, tsr_target_error(c->t)->message);
      return;
    }
    uint32_t n = 0;
    if (c->t->vt->get_profile && c->t->vt->get_profile(c->t, c->list, tm, MAX_OPS, &n) == TSR_OK) {
      for (uint32_t i = 0; i < n; ++i) gpu_ms += tm[i].ms;
    }
    iters++;
  }
  double us = iters ? gpu_ms * 1e3 / (double)iters : 0.0;
  tsr_bench_value(st, "gpu_us", us);
  if (us > 0 && c->flops > 0) tsr_bench_value(st, "GFLOP/s", c->flops / (us * 1e3));
  if (us > 0 && c->bytes > 0) tsr_bench_value(st, "GB/s", c->bytes / (us * 1e3));
  tsr_vulkan_list_stats ls;
  if (tsr_vulkan_list_stats_get(c->t, c->list, &ls) == TSR_OK) {
    tsr_bench_value(st, "dispatches", ls.dispatches);
    tsr_bench_value(st, "barriers", ls.barriers);
  }
}

static void finish(vk_case *c, const char *name) {
  if (tsr_target_prepare(c->t, c->ops, c->n_ops, &c->list) != TSR_OK) {
    fprintf(stderr, "%s: %s\n", name, tsr_target_error(c->t)->message);
    c->list = NULL;
  }
  char full[160];
  const char *v = c->list ? tsr_vulkan_list_variant(c->t, c->list, 0) : NULL;
  snprintf(full, sizeof(full), "%s%s%s", name, v && c->n_ops == 1 ? "/" : "", v && c->n_ops == 1 ? v : "");
  tsr_bench_register(full, run_case, c);
}

static vk_case *new_case(tsr_target *t) {
  vk_case *c = calloc(1, sizeof(*c));
  c->t = t;
  if (g_n_cases < 64) g_cases[g_n_cases++] = c;
  return c;
}

static void free_cases(void) {
  for (int i = 0; i < g_n_cases; ++i) {
    vk_case *c = g_cases[i];
    if (c->list) tsr_target_release(c->t, c->list);
    for (uint32_t b = 0; b < c->n_bufs; ++b) tsr_target_buffer_free(c->t, &c->buf[b]);
    free(c);
  }
  g_n_cases = 0;
}

static void add_matmul(tsr_target *t, tsr_dtype wt, int64_t m, int64_t n, int64_t k) {
  vk_case *c = new_case(t);
  tsr_op *op = add_op(c, TSR_OP_MATMUL, 2, "matmul");
  if (!mk2(c, &op->src[0], TSR_DTYPE_F32, m, k) || !mk2(c, &op->src[1], wt, n, k) ||
      !mk2(c, &op->dst, TSR_DTYPE_F32, m, n))
    return;
  op->src[1].flags = TSR_TENSOR_FLAG_CONST;
  c->flops = 2.0 * (double)m * (double)n * (double)k;
  c->bytes = (double)tsr_tensor_nbytes(&op->src[1]);
  char name[96];
  snprintf(name, sizeof(name), "matmul_%s/M%lld_N%lld_K%lld", tsr_dtype_name(wt), (long long)m, (long long)n,
           (long long)k);
  finish(c, name);
}

static void add_attention(tsr_target *t, tsr_dtype kv, int64_t tq, int64_t pos) {
  const int64_t hq = 32, hkv = 8, d = 128, s = 1024;
  vk_case *c = new_case(t);
  tsr_op *op = add_op(c, TSR_OP_ATTENTION, 3, "attention");
  if (!mk3(c, &op->src[0], TSR_DTYPE_F32, tq, hq, d) || !mk3(c, &op->src[1], kv, s, hkv, d) ||
      !mk3(c, &op->src[2], kv, s, hkv, d) || !mk3(c, &op->dst, TSR_DTYPE_F32, tq, hq, d))
    return;
  op->p.attention = (tsr_attention_params){0.0f, true, 0, TSR_DYN_SLOT(0, 0), TSR_DYN_SLOT(0, (int32_t)tq)};
  c->dyn.v[0] = pos;
  c->bytes = 2.0 * (double)(pos + tq) * (double)(hkv * d) * (double)tsr_dtype_block_bytes(kv);
  char name[96];
  snprintf(name, sizeof(name), "attention_%s/Tq%lld_kv%lld", tsr_dtype_name(kv), (long long)tq,
           (long long)(pos + tq));
  finish(c, name);
}

static void add_rowwise(tsr_target *t, tsr_op_type type, int64_t rows, int64_t n) {
  vk_case *c = new_case(t);
  tsr_op *op = add_op(c, type, type == TSR_OP_RMSNORM ? 2 : 1, tsr_op_type_name(type));
  if (!mk2(c, &op->src[0], TSR_DTYPE_F32, rows, n) || !mk2(c, &op->dst, TSR_DTYPE_F32, rows, n)) return;
  if (type == TSR_OP_RMSNORM) {
    if (!mk1(c, &op->src[1], TSR_DTYPE_F32, n)) return;
    op->p.norm.eps = 1e-5f;
  }
  if (type == TSR_OP_UNARY) op->p.unary.kind = TSR_UNARY_SILU;
  c->bytes = 2.0 * (double)rows * (double)n * 4.0;
  char name[96];
  snprintf(name, sizeof(name), "%s/%lldx%lld", tsr_op_type_name(type), (long long)rows, (long long)n);
  finish(c, name);
}

static void add_rope(tsr_target *t, int64_t tokens) {
  vk_case *c = new_case(t);
  tsr_op *op = add_op(c, TSR_OP_ROPE, 1, "rope");
  if (!mk3(c, &op->src[0], TSR_DTYPE_F32, tokens, 32, 128) || !mk3(c, &op->dst, TSR_DTYPE_F32, tokens, 32, 128)) return;
  op->p.rope = (tsr_rope_params){128, TSR_ROPE_NEOX, 10000.0f, 0.0f, TSR_DYN_SLOT(0, 0)};
  c->dyn.v[0] = 1000;
  c->bytes = 2.0 * (double)tokens * 32 * 128 * 4;
  char name[64];
  snprintf(name, sizeof(name), "rope/T%lld_H32_D128", (long long)tokens);
  finish(c, name);
}

static void add_get_rows(tsr_target *t, tsr_dtype dt) {
  vk_case *c = new_case(t);
  tsr_op *op = add_op(c, TSR_OP_GET_ROWS, 2, "get_rows");
  if (!mk2(c, &op->src[0], dt, 8000, 4096) || !mk1(c, &op->src[1], TSR_DTYPE_I32, 32) ||
      !mk2(c, &op->dst, TSR_DTYPE_F32, 32, 4096))
    return;
  c->bytes = 32.0 * 4096 * 4;
  char name[64];
  snprintf(name, sizeof(name), "get_rows_%s/T32_D4096", tsr_dtype_name(dt));
  finish(c, name);
}

static void add_set_rows(tsr_target *t, tsr_dtype dt, int64_t tokens) {
  vk_case *c = new_case(t);
  tsr_op *op = add_op(c, TSR_OP_SET_ROWS, 1, "set_rows");
  if (!mk3(c, &op->src[0], TSR_DTYPE_F32, tokens, 8, 128) || !mk3(c, &op->dst, dt, 1024, 8, 128)) return;
  op->p.set_rows.pos = TSR_DYN_SLOT(0, 0);
  c->dyn.v[0] = 100;
  c->bytes = (double)tokens * 8 * 128 * 4;
  char name[64];
  snprintf(name, sizeof(name), "set_rows_%s/T%lld", tsr_dtype_name(dt), (long long)tokens);
  finish(c, name);
}

/* One llama decode layer (dim 1024, 16 heads, 4 KV heads, head 64, hidden
 * 2816, Q8_0 weights, f16 cache of 512): the ops a decode step records per
 * layer, in one list. */
static void add_layer(tsr_target *t) {
  const int64_t D = 1024, H = 16, HKV = 4, HD = 64, F = 2816, S = 512;
  vk_case *c = new_case(t);
  tsr_tensor x, h, q, k, v, qr, kr, att, o, x2, h2, g, u, sw, dn, y, wa, wf, wq, wk, wv, wo, w1, w3, w2, kc, vc;
  bool ok = mk2(c, &x, TSR_DTYPE_F32, 1, D) && mk2(c, &h, TSR_DTYPE_F32, 1, D) && mk2(c, &q, TSR_DTYPE_F32, 1, H * HD) &&
            mk2(c, &k, TSR_DTYPE_F32, 1, HKV * HD) && mk2(c, &v, TSR_DTYPE_F32, 1, HKV * HD) &&
            mk3(c, &qr, TSR_DTYPE_F32, 1, H, HD) && mk3(c, &kr, TSR_DTYPE_F32, 1, HKV, HD) &&
            mk3(c, &att, TSR_DTYPE_F32, 1, H, HD) && mk2(c, &o, TSR_DTYPE_F32, 1, D) &&
            mk2(c, &x2, TSR_DTYPE_F32, 1, D) && mk2(c, &h2, TSR_DTYPE_F32, 1, D) && mk2(c, &g, TSR_DTYPE_F32, 1, F) &&
            mk2(c, &u, TSR_DTYPE_F32, 1, F) && mk2(c, &sw, TSR_DTYPE_F32, 1, F) && mk2(c, &dn, TSR_DTYPE_F32, 1, D) &&
            mk2(c, &y, TSR_DTYPE_F32, 1, D) && mk1(c, &wa, TSR_DTYPE_F32, D) && mk1(c, &wf, TSR_DTYPE_F32, D) &&
            mk2(c, &wq, TSR_DTYPE_Q8_0, H * HD, D) && mk2(c, &wk, TSR_DTYPE_Q8_0, HKV * HD, D) &&
            mk2(c, &wv, TSR_DTYPE_Q8_0, HKV * HD, D) && mk2(c, &wo, TSR_DTYPE_Q8_0, D, H * HD) &&
            mk2(c, &w1, TSR_DTYPE_Q8_0, F, D) && mk2(c, &w3, TSR_DTYPE_Q8_0, F, D) && mk2(c, &w2, TSR_DTYPE_Q8_0, D, F) &&
            mk3(c, &kc, TSR_DTYPE_F16, S, HKV, HD) && mk3(c, &vc, TSR_DTYPE_F16, S, HKV, HD);
  if (!ok) return;
  tsr_op *op = add_op(c, TSR_OP_RMSNORM, 2, "attn_norm");
  op->src[0] = x, op->src[1] = wa, op->dst = h, op->p.norm.eps = 1e-5f;
  tsr_tensor *ws[3] = {&wq, &wk, &wv}, *outs[3] = {&q, &k, &v};
  static const char *const names[3] = {"wq", "wk", "wv"};
  for (int i = 0; i < 3; ++i) {
    op = add_op(c, TSR_OP_MATMUL, 2, names[i]);
    op->src[0] = h, op->src[1] = *ws[i], op->dst = *outs[i];
  }
  tsr_rope_params rp = {HD, TSR_ROPE_NEOX, 10000.0f, 0.0f, TSR_DYN_SLOT(0, 0)};
  op = add_op(c, TSR_OP_ROPE, 1, "rope_q");
  op->src[0] = reshape(&q, 3, (int64_t[]){1, H, HD}), op->dst = qr, op->p.rope = rp;
  op = add_op(c, TSR_OP_ROPE, 1, "rope_k");
  op->src[0] = reshape(&k, 3, (int64_t[]){1, HKV, HD}), op->dst = kr, op->p.rope = rp;
  op = add_op(c, TSR_OP_SET_ROWS, 1, "k_cache");
  op->src[0] = kr, op->dst = kc, op->p.set_rows.pos = TSR_DYN_SLOT(0, 0);
  op = add_op(c, TSR_OP_SET_ROWS, 1, "v_cache");
  op->src[0] = reshape(&v, 3, (int64_t[]){1, HKV, HD}), op->dst = vc, op->p.set_rows.pos = TSR_DYN_SLOT(0, 0);
  op = add_op(c, TSR_OP_ATTENTION, 3, "attention");
  op->src[0] = qr, op->src[1] = kc, op->src[2] = vc, op->dst = att;
  op->p.attention = (tsr_attention_params){0.0f, true, 0, TSR_DYN_SLOT(0, 0), TSR_DYN_SLOT(0, 1)};
  op = add_op(c, TSR_OP_MATMUL, 2, "wo");
  op->src[0] = reshape(&att, 2, (int64_t[]){1, H * HD}), op->src[1] = wo, op->dst = o;
  op = add_op(c, TSR_OP_BINARY, 2, "residual1");
  op->src[0] = x, op->src[1] = o, op->dst = x2, op->p.binary.kind = TSR_BINARY_ADD;
  op = add_op(c, TSR_OP_RMSNORM, 2, "ffn_norm");
  op->src[0] = x2, op->src[1] = wf, op->dst = h2, op->p.norm.eps = 1e-5f;
  op = add_op(c, TSR_OP_MATMUL, 2, "w1");
  op->src[0] = h2, op->src[1] = w1, op->dst = g;
  op = add_op(c, TSR_OP_MATMUL, 2, "w3");
  op->src[0] = h2, op->src[1] = w3, op->dst = u;
  op = add_op(c, TSR_OP_BINARY, 2, "swiglu");
  op->src[0] = g, op->src[1] = u, op->dst = sw, op->p.binary.kind = TSR_BINARY_SWIGLU;
  op = add_op(c, TSR_OP_MATMUL, 2, "w2");
  op->src[0] = sw, op->src[1] = w2, op->dst = dn;
  op = add_op(c, TSR_OP_BINARY, 2, "residual2");
  op->src[0] = x2, op->src[1] = dn, op->dst = y, op->p.binary.kind = TSR_BINARY_ADD;
  c->dyn.v[0] = 300;
  c->bytes = (double)(tsr_tensor_nbytes(&wq) + tsr_tensor_nbytes(&wk) + tsr_tensor_nbytes(&wv) +
                      tsr_tensor_nbytes(&wo) + tsr_tensor_nbytes(&w1) + tsr_tensor_nbytes(&w3) + tsr_tensor_nbytes(&w2));
  finish(c, "decode_layer/q8_0_D1024_F2816");
}

int main(int argc, char **argv) {
  const char *target = "vulkan";
  int out = 1;
  for (int i = 1; i < argc; ++i) { /* --target NAME is ours; the rest go to Google Benchmark */
    if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) {
      target = argv[++i];
      continue;
    }
    argv[out++] = argv[i];
  }
  argc = out;
  tsr_allocator sys = tsr_allocator_system();
  tsr_target_options o = {.allow_cpu_device = true};
  tsr_target *t = NULL;
  tsr_error err;
  if (tsr_target_create(target, &o, &sys, &t, &err) != TSR_OK) {
    fprintf(stderr, "tsr_bench_vulkan: %s unavailable: %s\n", target, err.message);
    return 0; /* nothing to measure on this machine */
  }
  tsr_target_caps caps;
  if (tsr_target_get_caps(t, &caps) == TSR_OK) fprintf(stderr, "%s: %s\n", caps.name, caps.device);
  static const tsr_dtype kWeights[] = {TSR_DTYPE_F32, TSR_DTYPE_F16, TSR_DTYPE_Q8_0, TSR_DTYPE_Q4_0, TSR_DTYPE_Q4_K,
                                       TSR_DTYPE_Q6_K};
  for (size_t i = 0; i < sizeof(kWeights) / sizeof(kWeights[0]); ++i) add_matmul(t, kWeights[i], 1, 4096, 4096);
  add_matmul(t, TSR_DTYPE_F32, 32, 1024, 1024);
  add_matmul(t, TSR_DTYPE_Q8_0, 32, 1024, 1024);
  add_matmul(t, TSR_DTYPE_Q4_K, 32, 1024, 1024);
  add_attention(t, TSR_DTYPE_F16, 1, 1000);
  add_attention(t, TSR_DTYPE_F32, 1, 1000);
  add_attention(t, TSR_DTYPE_F16, 32, 0);
  add_rowwise(t, TSR_OP_RMSNORM, 32, 4096);
  add_rowwise(t, TSR_OP_SOFTMAX, 256, 1024);
  add_rowwise(t, TSR_OP_UNARY, 32, 11008);
  add_rope(t, 1);
  add_rope(t, 32);
  add_get_rows(t, TSR_DTYPE_Q8_0);
  add_set_rows(t, TSR_DTYPE_F16, 1);
  add_set_rows(t, TSR_DTYPE_F16, 32);
  add_layer(t);
  int rc = tsr_bench_main(argc, argv);
  free_cases();
  tsr_target_destroy(t);
  return rc;
}
