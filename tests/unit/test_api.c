/* Public API basics: status strings, error records, tensors, allocators,
 * the target registry, and two engines side by side. */
#include <CUnit/Basic.h>
#include <string.h>

#include "tessera/tessera.h"

static void test_status(void) {
  CU_ASSERT_STRING_EQUAL(tsr_status_string(TSR_OK), "TSR_OK");
  CU_ASSERT_STRING_EQUAL(tsr_status_string(TSR_ERR_FORMAT), "TSR_ERR_FORMAT");
  CU_ASSERT_STRING_EQUAL(tsr_status_string((tsr_status)1000), "TSR_ERR_UNKNOWN");
  tsr_error e;
  CU_ASSERT_EQUAL(TSR_ERROR(&e, TSR_ERR_FORMAT, "field %s at %d", "n_tensors", 42), TSR_ERR_FORMAT);
  CU_ASSERT_EQUAL(e.code, TSR_ERR_FORMAT);
  CU_ASSERT_STRING_EQUAL(e.message, "field n_tensors at 42");
  CU_ASSERT(e.line > 0);
  char longmsg[600];
  memset(longmsg, 'x', sizeof(longmsg) - 1);
  longmsg[sizeof(longmsg) - 1] = '\0';
  TSR_ERROR(&e, TSR_ERR_IO, "%s", longmsg);
  CU_ASSERT_EQUAL(strlen(e.message), TSR_ERROR_MESSAGE_MAX - 1);
  CU_ASSERT_EQUAL(TSR_ERROR(NULL, TSR_ERR_IO, "ignored"), TSR_ERR_IO);
}

static void test_tensor(void) {
  tsr_tensor t;
  int64_t s[3] = {2, 3, 64};
  CU_ASSERT_EQUAL(tsr_tensor_init(&t, TSR_DTYPE_F32, 3, s, NULL), TSR_OK);
  CU_ASSERT_EQUAL(t.stride[2], 4);
  CU_ASSERT_EQUAL(t.stride[0], 3 * 64 * 4);
  CU_ASSERT_EQUAL(tsr_tensor_numel(&t), 384);
  CU_ASSERT(tsr_tensor_is_contiguous(&t));
  CU_ASSERT_EQUAL(tsr_tensor_init(&t, TSR_DTYPE_Q4_0, 3, s, NULL), TSR_OK);
  CU_ASSERT_EQUAL(tsr_tensor_nbytes(&t), 6 * 2 * 18);
  CU_ASSERT_EQUAL(t.stride[1], 36);
  int64_t bad[2] = {2, 100};
  CU_ASSERT_EQUAL(tsr_tensor_init(&t, TSR_DTYPE_Q4_K, 2, bad, NULL), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_tensor_init(&t, TSR_DTYPE_F32, 7, s, NULL), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_dtype_row_bytes(TSR_DTYPE_Q6_K, 512), 420);
  CU_ASSERT_EQUAL(tsr_dtype_from_name("q5_k"), TSR_DTYPE_Q5_K);
  CU_ASSERT_EQUAL(tsr_dtype_from_name("nope"), TSR_DTYPE_NONE);
}

static void test_bump(void) {
  _Alignas(64) static uint8_t mem[1024];
  tsr_bump b;
  tsr_bump_init(&b, mem, sizeof(mem));
  tsr_allocator a = tsr_bump_allocator(&b);
  void *p1 = tsr_alloc(&a, 100, 64), *p2 = tsr_alloc(&a, 100, 64);
  CU_ASSERT_PTR_NOT_NULL(p1);
  CU_ASSERT_EQUAL((uintptr_t)p2 % 64, 0);
  CU_ASSERT_PTR_NULL(tsr_alloc(&a, 2000, 16));
  CU_ASSERT(b.peak >= 200 && b.peak <= 300);
}

static void test_registry(void) {
  tsr_allocator a = tsr_allocator_system();
  char names[32][32];
  uint32_t n = tsr_target_enumerate(names, 32);
  CU_ASSERT(n >= 3);
  CU_ASSERT_STRING_EQUAL(names[0], "cpu");
  tsr_target *t = NULL;
  tsr_error err;
  /* An unknown name is a usage error; a known one this build lacks is unavailable. */
  CU_ASSERT_EQUAL(tsr_target_create("bogus", NULL, &a, &t, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "bogus"));
  CU_ASSERT_EQUAL(tsr_target_check_name("bogus:0", &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_target_check_name("null:1", &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_target_check_name("", &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_target_check_name("cpu:avx2", &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_target_check_name("vulkan:3", &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_target_check_name("opencl", &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_target_check_name("null", &err), TSR_OK);
  CU_ASSERT_EQUAL(tsr_target_create("cpu:nonsense", NULL, &a, &t, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL_FATAL(tsr_target_create("cpu:ref", NULL, &a, &t, &err), TSR_OK);
  tsr_target_caps caps;
  CU_ASSERT_EQUAL(tsr_target_get_caps(t, &caps), TSR_OK);
  CU_ASSERT_STRING_EQUAL(caps.name, "cpu:ref");
  CU_ASSERT(caps.flags & TSR_CAP_HOST_MEMORY);
  tsr_target_destroy(t);
  CU_ASSERT_EQUAL_FATAL(tsr_target_create("null", NULL, &a, &t, &err), TSR_OK);
  tsr_buffer b;
  CU_ASSERT_EQUAL(tsr_target_buffer_alloc(t, 16, 0, &b), TSR_ERR_UNSUPPORTED);
  tsr_target_destroy(t);
}

/* Two engines in one process, each with its own targets, run the same graph
 * interleaved without sharing anything mutable. */
static void test_two_engines(void) {
  tsr_allocator a = tsr_allocator_system();
  tsr_target *t1, *t2;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_cpu_target_create(NULL, &a, &t1, &err), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_cpu_target_create(NULL, &a, &t2, &err), TSR_OK);
  _Alignas(64) static uint8_t m1[65536], m2[65536];
  tsr_engine_config c1 = {.allocator = &a, .targets = {t1}, .n_targets = 1}, c2 = {.allocator = &a, .targets = {t2}, .n_targets = 1};
  tsr_engine *e1, *e2;
  CU_ASSERT_EQUAL_FATAL(tsr_engine_init(&c1, m1, sizeof(m1), &e1), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_engine_init(&c2, m2, sizeof(m2), &e2), TSR_OK);
  CU_ASSERT_EQUAL(tsr_engine_init(&c2, m2, 8, &e2), TSR_ERR_BUFFER_TOO_SMALL);
  tsr_graph *g;
  CU_ASSERT_EQUAL_FATAL(tsr_graph_create(&a, &g), TSR_OK);
  tsr_tensor_desc dx = {.name = "x", .kind = TSR_TENSOR_INPUT, .dtype = TSR_DTYPE_F32, .ndim = 1, .shape = {3}};
  tsr_tensor_desc dy = {.name = "y", .kind = TSR_TENSOR_OUTPUT, .dtype = TSR_DTYPE_F32, .ndim = 1, .shape = {3}};
  int32_t x, y;
  CU_ASSERT_EQUAL(tsr_graph_add_tensor(g, &dx, &x), TSR_OK);
  CU_ASSERT_EQUAL(tsr_graph_add_tensor(g, &dy, &y), TSR_OK);
  tsr_op_params p = {.unary = {TSR_UNARY_SCALE, 3.0f, 1.0f}};
  CU_ASSERT_EQUAL(tsr_graph_add_node(g, TSR_OP_UNARY, &p, &x, 1, y, "affine"), TSR_OK);
  tsr_program *p1, *p2;
  CU_ASSERT_EQUAL_FATAL(tsr_engine_prepare(e1, g, &p1), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_engine_prepare(e2, g, &p2), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_program_bind_arena(p1, NULL, 0), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_program_bind_arena(p2, NULL, 0), TSR_OK);
  float a1[3] = {1, 2, 3}, a2[3] = {-1, -2, -3}, r1[3], r2[3];
  CU_ASSERT_EQUAL(tsr_program_set_input(p1, x, a1, sizeof(a1)), TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_set_input(p2, x, a2, sizeof(a2)), TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_run(p2, 0, NULL), TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_run(p1, 0, NULL), TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_get_output(p1, y, r1, sizeof(r1)), TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_get_output(p2, y, r2, sizeof(r2)), TSR_OK);
  CU_ASSERT(r1[0] == 4 && r1[2] == 10 && r2[0] == -2 && r2[2] == -8);
  tsr_program_destroy(p1);
  tsr_program_destroy(p2);
  tsr_graph_destroy(g);
  tsr_target_destroy(t1);
  tsr_target_destroy(t2);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("api", NULL, NULL);
  CU_add_test(s, "status and errors", test_status);
  CU_add_test(s, "tensors and dtypes", test_tensor);
  CU_add_test(s, "bump allocator", test_bump);
  CU_add_test(s, "target registry", test_registry);
  CU_add_test(s, "two engines", test_two_engines);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
