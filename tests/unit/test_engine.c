/* The graph engine: validation, placement with fallback and cross-target
 * copies, the memory planner, multi-entry programs with shared state, and
 * the no-allocation guarantee of run. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_counter.h"
#include "kernels/common/kernel.h"
#include "tessera/tessera.h"

static tsr_allocator g_sys;

static int32_t add(tsr_graph *g, const char *name, tsr_tensor_kind kind, tsr_dtype dt, int nd, int64_t a,
                   int64_t b, const void *data) {
  tsr_tensor_desc d = {.name = name, .kind = kind, .dtype = dt, .ndim = nd, .shape = {a, b}, .data = data};
  int32_t id = -1;
  CU_ASSERT_EQUAL_FATAL(tsr_graph_add_tensor(g, &d, &id), TSR_OK);
  return id;
}

static void node(tsr_graph *g, tsr_op_type t, const tsr_op_params *p, const int32_t *src, uint32_t n, int32_t dst) {
  tsr_status s = tsr_graph_add_node(g, t, p, src, n, dst, NULL);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
}

/* x [4, 8] -> rmsnorm(w) -> matmul W[6, 8] -> silu -> add x2 -> y [4, 6];
 * a long enough chain that the planner can reuse memory. */
enum { R = 4, C = 8, N = 6 };
static float g_w[C], g_W[N * C], g_x[R * C];

typedef struct chain { tsr_graph *g; int32_t x, y; } chain;

static chain build_chain(void) {
  chain c;
  CU_ASSERT_EQUAL_FATAL(tsr_graph_create(&g_sys, &c.g), TSR_OK);
  for (int i = 0; i < C; ++i) g_w[i] = 1.0f + 0.1f * (float)i;
  for (int i = 0; i < N * C; ++i) g_W[i] = sinf((float)i);
  for (int i = 0; i < R * C; ++i) g_x[i] = cosf((float)i * 0.3f);
  c.x = add(c.g, "x", TSR_TENSOR_INPUT, TSR_DTYPE_F32, 2, R, C, NULL);
  int32_t w = add(c.g, "w", TSR_TENSOR_CONST, TSR_DTYPE_F32, 1, C, 0, g_w);
  int32_t W = add(c.g, "W", TSR_TENSOR_CONST, TSR_DTYPE_F32, 2, N, C, g_W);
  int32_t h1 = add(c.g, "h1", TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, R, C, NULL);
  int32_t h2 = add(c.g, "h2", TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, R, N, NULL);
  int32_t h3 = add(c.g, "h3", TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, R, N, NULL);
  int32_t h4 = add(c.g, "h4", TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, R, N, NULL);
  c.y = add(c.g, "y", TSR_TENSOR_OUTPUT, TSR_DTYPE_F32, 2, R, N, NULL);
  tsr_op_params p = {0};
  p.norm.eps = 1e-5f;
  node(c.g, TSR_OP_RMSNORM, &p, (int32_t[]){c.x, w}, 2, h1);
  memset(&p, 0, sizeof(p));
  node(c.g, TSR_OP_MATMUL, &p, (int32_t[]){h1, W}, 2, h2);
  p.unary.kind = TSR_UNARY_SILU;
  node(c.g, TSR_OP_UNARY, &p, (int32_t[]){h2}, 1, h3);
  p.unary.kind = TSR_UNARY_SCALE;
  p.unary.alpha = 2.0f;
  node(c.g, TSR_OP_UNARY, &p, (int32_t[]){h3}, 1, h4);
  memset(&p, 0, sizeof(p));
  p.binary.kind = TSR_BINARY_ADD;
  node(c.g, TSR_OP_BINARY, &p, (int32_t[]){h4, h2}, 2, c.y);
  return c;
}

static void expected_chain(float *y) {
  for (int r = 0; r < R; ++r) {
    double ss = 0;
    for (int i = 0; i < C; ++i) ss += (double)g_x[r * C + i] * g_x[r * C + i];
    double inv = 1.0 / sqrt(ss / C + 1e-5);
    for (int n = 0; n < N; ++n) {
      double acc = 0;
      for (int i = 0; i < C; ++i) acc += (double)(float)(g_x[r * C + i] * inv * g_w[i]) * g_W[n * C + i];
      float h2 = (float)acc;
      float h3 = (float)(h2 / (1.0 + exp(-(double)h2)));
      y[r * N + n] = (float)(2.0 * h3) + h2;
    }
  }
}

static tsr_engine *make_engine(void *mem, tsr_target **targets, uint32_t n, tsr_target *fallback) {
  tsr_engine_config cfg = {.allocator = &g_sys, .n_targets = n, .fallback = fallback};
  for (uint32_t i = 0; i < n; ++i) cfg.targets[i] = targets[i];
  size_t size, align;
  CU_ASSERT_EQUAL_FATAL(tsr_engine_get_size(&cfg, &size, &align), TSR_OK);
  CU_ASSERT_FATAL(size <= 65536 && align <= 64);
  tsr_engine *e = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_engine_init(&cfg, mem, size, &e), TSR_OK);
  return e;
}

static _Alignas(64) uint8_t g_engine_mem[65536];

static void test_chain_cpu(void) {
  tsr_target *cpu = NULL;
  tsr_error err;
  tsr_target_options o = {.n_threads = 2};
  CU_ASSERT_EQUAL_FATAL(tsr_cpu_target_create(&o, &g_sys, &cpu, &err), TSR_OK);
  tsr_engine *e = make_engine(g_engine_mem, &cpu, 1, cpu);
  chain c = build_chain();
  tsr_program *p = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_engine_prepare(e, c.g, &p), TSR_OK);
  size_t need, align;
  CU_ASSERT_EQUAL(tsr_program_get_arena_size(p, &need, &align), TSR_OK);
  void *arena = aligned_alloc(align, need);
  CU_ASSERT_EQUAL(tsr_program_bind_arena(p, arena, need - 1 > 0 ? need - 1 : 0), TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL_FATAL(tsr_program_bind_arena(p, arena, need), TSR_OK);
  tsr_program_stats st;
  CU_ASSERT_EQUAL(tsr_program_get_stats(p, &st), TSR_OK);
  printf("\n  arena %llu bytes (intermediates reused), naive sum of intermediates %llu bytes, io %llu\n",
         (unsigned long long)st.arena_bytes, (unsigned long long)st.naive_bytes, (unsigned long long)st.io_bytes);
  CU_ASSERT(st.arena_bytes - st.io_bytes < st.naive_bytes); /* reuse happened */
  CU_ASSERT_EQUAL(st.n_copies, 0);
  CU_ASSERT_EQUAL(tsr_program_set_input(p, c.x, g_x, sizeof(g_x)), TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_set_input(p, c.x, g_x, 3), TSR_ERR_INVALID_ARGUMENT);
  alloc_counter_install();
  alloc_counter_arm();
  tsr_status s1 = tsr_program_run(p, 0, NULL);
  tsr_status s2 = tsr_program_run(p, 0, NULL);
  long calls = alloc_counter_disarm();
  CU_ASSERT_EQUAL(s1, TSR_OK);
  CU_ASSERT_EQUAL(s2, TSR_OK);
  CU_ASSERT_EQUAL(calls, 0);
  printf("  allocator calls during 2 runs: %ld\n", calls);
  float y[R * N], want[R * N];
  CU_ASSERT_EQUAL(tsr_program_get_output(p, c.y, y, sizeof(y)), TSR_OK);
  expected_chain(want);
  for (int i = 0; i < R * N; ++i) CU_ASSERT_DOUBLE_EQUAL(y[i], want[i], 1e-4);
  tsr_program_destroy(p);
  free(arena);
  tsr_graph_destroy(c.g);
  tsr_engine_deinit(e);
  tsr_target_destroy(cpu);
}

/* ---- a second memory space: a target whose memory the host cannot use
 * directly and that runs only UNARY ops, so the planner must copy. ---- */

typedef struct side_target { tsr_target base; int prepared; } side_target;
struct tsr_cmdlist { tsr_op op[16]; uint32_t n; };

static void side_deinit(tsr_target *t) { free(t); }
static tsr_status side_caps(const tsr_target *t, tsr_target_caps *c) {
  (void)t;
  memset(c, 0, sizeof(*c));
  snprintf(c->name, sizeof(c->name), "side");
  c->kind = TSR_TARGET_KIND_GPU;
  return TSR_OK;
}
static bool side_supports(const tsr_target *t, const tsr_op *op) {
  (void)t;
  return op->type == TSR_OP_UNARY;
}
static tsr_status side_alloc(tsr_target *t, uint64_t size, uint32_t usage, tsr_buffer *out) {
  (void)usage;
  memset(out, 0, sizeof(*out));
  out->target = t;
  out->handle = calloc(1, size ? size : 1);
  out->size = size;
  return TSR_OK;
}
static void side_free(tsr_target *t, tsr_buffer *b) { (void)t; free(b->handle); }
static tsr_status side_up(tsr_target *t, tsr_buffer *b, uint64_t off, const void *src, uint64_t n) {
  (void)t;
  memcpy((uint8_t *)b->handle + off, src, n);
  return TSR_OK;
}
static tsr_status side_down(tsr_target *t, const tsr_buffer *b, uint64_t off, void *dst, uint64_t n) {
  (void)t;
  memcpy(dst, (const uint8_t *)b->handle + off, n);
  return TSR_OK;
}
static tsr_status side_prepare(tsr_target *t, const tsr_op *ops, uint32_t n, tsr_cmdlist **out) {
  side_target *s = (side_target *)t;
  tsr_cmdlist *l = calloc(1, sizeof(*l));
  for (uint32_t i = 0; i < n; ++i) {
    l->op[i] = ops[i];
    CU_ASSERT_PTR_NULL(ops[i].src[0].data); /* device memory: no host pointer */
    CU_ASSERT_PTR_NOT_NULL(ops[i].src[0].buffer);
    l->op[i].src[0].data = (uint8_t *)ops[i].src[0].buffer->handle + ops[i].src[0].offset;
    l->op[i].dst.data = (uint8_t *)ops[i].dst.buffer->handle + ops[i].dst.offset;
  }
  l->n = n;
  s->prepared++;
  *out = l;
  return TSR_OK;
}
static tsr_status side_submit(tsr_target *t, tsr_cmdlist *l, const tsr_dyn_values *dyn) {
  (void)t;
  for (uint32_t i = 0; i < l->n; ++i) tsr_kernel_run_serial(tsr_kernel_reference(&l->op[i]), &l->op[i], dyn, NULL, NULL);
  return TSR_OK;
}
static void side_release(tsr_target *t, tsr_cmdlist *l) { (void)t; free(l); }
static const tsr_target_vtable kSide = {TSR_TARGET_ABI_VERSION, side_deinit, side_caps, side_supports, side_alloc,
                                        side_free, NULL, side_up, side_down, side_prepare, side_submit, NULL,
                                        side_release, NULL};

static void test_two_spaces(void) {
  tsr_target *cpu = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_cpu_target_create(NULL, &g_sys, &cpu, &err), TSR_OK);
  side_target *side = calloc(1, sizeof(*side));
  side->base.vt = &kSide;
  side->base.allocator = &g_sys;
  tsr_target *targets[1] = {&side->base};
  tsr_engine *e = make_engine(g_engine_mem, targets, 1, cpu);
  chain c = build_chain();
  tsr_program *p = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_engine_prepare(e, c.g, &p), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_program_bind_arena(p, NULL, 0), TSR_OK);
  tsr_program_stats st;
  CU_ASSERT_EQUAL(tsr_program_get_stats(p, &st), TSR_OK);
  /* rmsnorm, matmul on cpu; 2 unary on side; add on cpu: h2 up, h4 down. */
  CU_ASSERT_STRING_EQUAL(tsr_program_node_target(p, 0), "cpu");
  CU_ASSERT_STRING_EQUAL(tsr_program_node_target(p, 2), "side");
  CU_ASSERT_STRING_EQUAL(tsr_program_node_target(p, 3), "side");
  CU_ASSERT_STRING_EQUAL(tsr_program_node_target(p, 4), "cpu");
  CU_ASSERT_EQUAL(st.n_copies, 2);
  CU_ASSERT_EQUAL(st.n_segments, 3);
  CU_ASSERT_EQUAL(side->prepared, 1); /* both unary ops in one command list */
  CU_ASSERT_EQUAL(tsr_program_set_input(p, c.x, g_x, sizeof(g_x)), TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_run(p, 0, NULL), TSR_OK);
  float y[R * N], want[R * N];
  CU_ASSERT_EQUAL(tsr_program_get_output(p, c.y, y, sizeof(y)), TSR_OK);
  expected_chain(want);
  for (int i = 0; i < R * N; ++i) CU_ASSERT_DOUBLE_EQUAL(y[i], want[i], 1e-4);
  tsr_program_destroy(p);
  tsr_graph_destroy(c.g);
  tsr_target_destroy(&side->base);
  tsr_target_destroy(cpu);
}

/* Two entries share a state tensor: entry 0 appends a row, entry 1 sums
 * the rows written so far (through a matmul with a ones vector). */
static void test_entries_and_state(void) {
  tsr_target *cpu = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_cpu_target_create(NULL, &g_sys, &cpu, &err), TSR_OK);
  tsr_engine *e = make_engine(g_engine_mem, &cpu, 1, NULL);
  tsr_graph *g;
  CU_ASSERT_EQUAL_FATAL(tsr_graph_create(&g_sys, &g), TSR_OK);
  static const float ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  int32_t row = add(g, "row", TSR_TENSOR_INPUT, TSR_DTYPE_F32, 2, 1, 4, NULL);
  int32_t cache = add(g, "cache", TSR_TENSOR_STATE, TSR_DTYPE_F32, 2, 8, 4, NULL);
  int32_t one = add(g, "ones", TSR_TENSOR_CONST, TSR_DTYPE_F32, 2, 1, 8, ones);
  int32_t sum = add(g, "sum", TSR_TENSOR_OUTPUT, TSR_DTYPE_F32, 2, 1, 4, NULL);
  int64_t vs[2] = {4, 8}, vst[2] = {4, 16};
  int32_t cache_t = -1; /* transposed view [4, 8] of the cache */
  CU_ASSERT_EQUAL_FATAL(tsr_graph_add_view(g, cache, "cache^T", 2, vs, vst, 0, &cache_t), TSR_OK);
  tsr_op_params p = {0};
  p.set_rows.pos = TSR_DYN_SLOT(0, 0);
  node(g, TSR_OP_SET_ROWS, &p, (int32_t[]){row}, 1, cache);
  CU_ASSERT_EQUAL(tsr_graph_set_entry(g, 1), TSR_OK);
  memset(&p, 0, sizeof(p));
  node(g, TSR_OP_MATMUL, &p, (int32_t[]){one, cache_t}, 2, sum);
  tsr_program *prog;
  CU_ASSERT_EQUAL_FATAL(tsr_engine_prepare(e, g, &prog), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_program_bind_arena(prog, NULL, 0), TSR_OK);
  for (int i = 0; i < 3; ++i) {
    float r[4] = {(float)i, 1, 2, 3};
    tsr_dyn_values dyn = {{i}};
    CU_ASSERT_EQUAL(tsr_program_set_input(prog, row, r, sizeof(r)), TSR_OK);
    CU_ASSERT_EQUAL(tsr_program_run(prog, 0, &dyn), TSR_OK);
  }
  float s[4];
  CU_ASSERT_EQUAL(tsr_program_run(prog, 1, NULL), TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_get_output(prog, sum, s, sizeof(s)), TSR_OK);
  CU_ASSERT(s[0] == 3 && s[1] == 3 && s[2] == 6 && s[3] == 9);
  CU_ASSERT_EQUAL(tsr_program_reset_state(prog), TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_run(prog, 1, NULL), TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_get_output(prog, sum, s, sizeof(s)), TSR_OK);
  CU_ASSERT(s[0] == 0 && s[3] == 0);
  CU_ASSERT_EQUAL(tsr_program_run(prog, 2, NULL), TSR_ERR_INVALID_ARGUMENT);
  tsr_program_destroy(prog);
  tsr_graph_destroy(g);
  tsr_target_destroy(cpu);
}

static void test_errors(void) {
  tsr_target *null = NULL, *cpu = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_null_target_create(&g_sys, &null, &err), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_cpu_target_create(NULL, &g_sys, &cpu, &err), TSR_OK);
  /* Only the null target and no fallback: nothing can run. */
  tsr_engine *e = make_engine(g_engine_mem, &null, 1, NULL);
  chain c = build_chain();
  tsr_program *p = NULL;
  CU_ASSERT_EQUAL(tsr_engine_prepare(e, c.g, &p), TSR_ERR_UNSUPPORTED);
  CU_ASSERT_PTR_NOT_NULL(strstr(tsr_engine_error(e)->message, "no target supports it"));
  /* Null first, CPU as fallback: everything lands on the CPU. */
  e = make_engine(g_engine_mem, &null, 1, cpu);
  CU_ASSERT_EQUAL_FATAL(tsr_engine_prepare(e, c.g, &p), TSR_OK);
  CU_ASSERT_STRING_EQUAL(tsr_program_node_target(p, 1), "cpu");
  CU_ASSERT_EQUAL(tsr_program_run(p, 0, NULL), TSR_ERR_STATE); /* not bound */
  tsr_program_destroy(p);
  tsr_graph_destroy(c.g);
  /* A node that reads a tensor nothing wrote. */
  tsr_graph *g;
  CU_ASSERT_EQUAL_FATAL(tsr_graph_create(&g_sys, &g), TSR_OK);
  int32_t a = add(g, "a", TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 1, 4, 0, NULL);
  int32_t b = add(g, "b", TSR_TENSOR_OUTPUT, TSR_DTYPE_F32, 1, 4, 0, NULL);
  tsr_op_params prm = {0};
  node(g, TSR_OP_UNARY, &prm, (int32_t[]){a}, 1, b);
  CU_ASSERT_EQUAL(tsr_engine_prepare(e, g, &p), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(tsr_engine_error(e)->message, "read before"));
  /* Shape errors are caught at validation and name the node. */
  int32_t w = add(g, "w", TSR_TENSOR_OUTPUT, TSR_DTYPE_F32, 1, 5, 0, NULL);
  CU_ASSERT_EQUAL(tsr_graph_add_node(g, TSR_OP_UNARY, &prm, (int32_t[]){b}, 1, w, "bad_unary"), TSR_OK);
  CU_ASSERT_EQUAL(tsr_graph_validate(g), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(tsr_graph_error(g)->message, "bad_unary"));
  /* Views must stay inside their base. */
  int64_t big[1] = {5};
  int32_t v;
  CU_ASSERT_EQUAL(tsr_graph_add_view(g, a, "v", 1, big, NULL, 0, &v), TSR_ERR_INVALID_ARGUMENT);
  tsr_graph_destroy(g);
  tsr_target_destroy(null);
  tsr_target_destroy(cpu);
}

int main(void) {
  g_sys = tsr_allocator_system();
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("engine", NULL, NULL);
  CU_add_test(s, "chain on the CPU, planner reuse, no allocation in run", test_chain_cpu);
  CU_add_test(s, "two memory spaces: placement, fallback and copies", test_two_spaces);
  CU_add_test(s, "entries sharing state", test_entries_and_state);
  CU_add_test(s, "errors", test_errors);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
