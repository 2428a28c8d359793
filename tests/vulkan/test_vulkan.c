/* The Vulkan target beyond the conformance suite: unavailability handled
 * cleanly, every shader variant family (plain, subgroup, 8/16-bit storage)
 * against the reference, the staging path of discrete GPUs, barriers and
 * dispatch counts of recorded lists, timestamps, the pipeline cache, the
 * validation layer catching real errors (including a missing barrier), and a
 * transformer block run through the engine on the device against the CPU.
 * Tests that need a device report themselves skipped when there is none, and
 * the program then exits 77 (ctest: skipped) once the checks of the
 * unavailable path have passed. */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conformance/conformance.h"
#include "kernels/convert/convert.h"
#include "models_dir.h"
#include "targets/vulkan/vk_internal.h"
#include "targets/vulkan/vulkan_target.h"
#include "tessera/llm.h"
#include "tessera/tessera.h"

static tsr_allocator g_sys;
static bool g_have_device;
static bool g_validation;
static unsigned g_skipped;

/* An allocator that counts its calls (to show runs make none). */
typedef struct counting {
  long calls;
} counting;
static void *count_alloc(void *user, size_t n, size_t al) {
  ((counting *)user)->calls++;
  tsr_allocator s = tsr_allocator_system();
  return s.alloc(s.user, n, al);
}
static void count_free(void *user, void *p) {
  if (p) ((counting *)user)->calls++;
  tsr_allocator s = tsr_allocator_system();
  s.free(s.user, p);
}

#define NEED_DEVICE()                                                  \
  do {                                                                 \
    if (!g_have_device) {                                              \
      printf("\n  SKIPPED: no Vulkan device on this machine\n");       \
      g_skipped++;                                                     \
      return;                                                          \
    }                                                                  \
  } while (0)

static tsr_target *make_target(bool validation, const char *cache_dir) {
  tsr_target_options o = {0};
  o.allow_cpu_device = true;
  o.validation = validation;
  o.cache_dir = cache_dir;
  tsr_target *t = NULL;
  tsr_error err;
  tsr_status s = tsr_target_create("vulkan", &o, &g_sys, &t, &err);
  if (s != TSR_OK) printf("\n  vulkan: %s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  return t;
}

/* The profile slot of the vtable (no public wrapper yet). */
static tsr_status get_profile(tsr_target *t, tsr_cmdlist *l, tsr_op_timing *out, uint32_t cap, uint32_t *n) {
  return t->vt->get_profile ? t->vt->get_profile(t, l, out, cap, n) : TSR_ERR_UNSUPPORTED;
}

/* ---- availability ---- */

static void test_names(void) {
  tsr_error err;
  tsr_target *t = NULL;
  tsr_target_options o = {.allow_cpu_device = true};
  CU_ASSERT_EQUAL(tsr_target_create("vulkan:x", &o, &g_sys, &t, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(t);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "vulkan"));
  tsr_status s = tsr_target_create("vulkan:99", &o, &g_sys, &t, &err);
  CU_ASSERT_EQUAL(s, TSR_ERR_UNSUPPORTED);
  CU_ASSERT_PTR_NULL(t);
  printf("\n  vulkan:99 -> %s\n", err.message);
  NEED_DEVICE();
  char names[32][32];
  uint32_t n = tsr_target_enumerate(names, 32);
  bool listed = false;
  for (uint32_t i = 0; i < n && i < 32; ++i) listed = listed || strcmp(names[i], "vulkan:0") == 0;
  CU_ASSERT_TRUE(listed);
  CU_ASSERT_EQUAL_FATAL(tsr_target_create("vulkan:0", &o, &g_sys, &t, &err), TSR_OK);
  tsr_target_caps caps;
  CU_ASSERT_EQUAL(tsr_target_get_caps(t, &caps), TSR_OK);
  CU_ASSERT_STRING_EQUAL(caps.name, "vulkan:0");
  CU_ASSERT_EQUAL(caps.kind, TSR_TARGET_KIND_GPU);
  CU_ASSERT_PTR_NOT_NULL(strstr(caps.features, "max_storage_buffer_range="));
  CU_ASSERT_PTR_NOT_NULL(strstr(caps.features, "subgroup="));
  CU_ASSERT(caps.max_buffer_size > 0);
  printf("  %s: %s\n  %s\n", caps.name, caps.device, caps.features);
  tsr_target_destroy(t);
}

/* With the loader pointed at no driver, the target is unavailable with a
 * reason and nothing else fails. */
static void test_no_driver(void) {
  const char *old = getenv("VK_DRIVER_FILES");
  char *saved = old ? strdup(old) : NULL;
  const char *old_icd = getenv("VK_ICD_FILENAMES");
  char *saved_icd = old_icd ? strdup(old_icd) : NULL;
  setenv("VK_DRIVER_FILES", "/nonexistent/tessera_no_icd.json", 1);
  setenv("VK_ICD_FILENAMES", "/nonexistent/tessera_no_icd.json", 1);
  tsr_error err;
  tsr_target *t = NULL;
  tsr_target_options o = {.allow_cpu_device = true};
  tsr_status s = tsr_target_create("vulkan", &o, &g_sys, &t, &err);
  CU_ASSERT_EQUAL(s, TSR_ERR_UNSUPPORTED);
  CU_ASSERT_PTR_NULL(t);
  if (s != TSR_OK) printf("\n  without a driver: %s\n", err.message);
  char names[32][32];
  uint32_t n = tsr_target_enumerate(names, 32);
  bool listed = false, cpu = false;
  for (uint32_t i = 0; i < n && i < 32; ++i) {
    listed = listed || strncmp(names[i], "vulkan", 6) == 0;
    cpu = cpu || strcmp(names[i], "cpu") == 0;
  }
  CU_ASSERT_FALSE(listed);
  CU_ASSERT_TRUE(cpu);
  if (saved) setenv("VK_DRIVER_FILES", saved, 1);
  else unsetenv("VK_DRIVER_FILES");
  if (saved_icd) setenv("VK_ICD_FILENAMES", saved_icd, 1);
  else unsetenv("VK_ICD_FILENAMES");
  free(saved);
  free(saved_icd);
}

/* ---- every variant family against the reference ---- */

static void run_all_ops(tsr_target *t, const char *label, bool quick) {
  conf_options opt = {.quick = quick, .check_threads = false, .seed = 0xfea7, .log = stdout, .verbose = false};
  conf_counts c = {0};
  for (int op = 1; op < TSR_OP_COUNT; ++op) {
    if (conf_case_count((tsr_op_type)op, quick) > 0) conf_run_op(t, "vulkan", (tsr_op_type)op, &opt, &c);
  }
  printf("\n  %s: %u passed, %u failed, %u skipped\n", label, (unsigned)c.passed, (unsigned)c.failed,
         (unsigned)c.skipped);
  CU_ASSERT_EQUAL(c.failed, 0);
  CU_ASSERT(c.passed > 0);
}

static void test_variants(void) {
  NEED_DEVICE();
  tsr_target *t = make_target(g_validation, NULL);
  const uint32_t all = tsr_vulkan_features(t);
  static const struct { uint32_t mask; const char *label; } kMasks[] = {
      {0, "plain variants (no optional feature)"},
      {TSR_VK_FEAT_SUBGROUP, "subgroup arithmetic only"},
      {TSR_VK_FEAT_STORAGE16 | TSR_VK_FEAT_STORAGE8, "8/16-bit storage without subgroups"},
  };
  for (size_t i = 0; i < sizeof(kMasks) / sizeof(kMasks[0]); ++i) {
    if ((kMasks[i].mask & all) != kMasks[i].mask) {
      printf("\n  %s: SKIPPED (the device lacks the features)\n", kMasks[i].label);
      continue;
    }
    tsr_vulkan_restrict_features(t, kMasks[i].mask);
    CU_ASSERT_EQUAL(tsr_vulkan_features(t), kMasks[i].mask);
    run_all_ops(t, kMasks[i].label, false);
  }
  tsr_vulkan_restrict_features(t, all);
  CU_ASSERT_EQUAL(tsr_vulkan_validation_errors(t), 0);
  tsr_target_destroy(t);
}

/* Uploads and downloads through the staging buffer, as on a discrete GPU. */
static void test_staging(void) {
  NEED_DEVICE();
  tsr_target *t = make_target(g_validation, NULL);
  CU_ASSERT_EQUAL_FATAL(tsr_vulkan_force_staging(t), TSR_OK);
  tsr_buffer b;
  CU_ASSERT_EQUAL_FATAL(tsr_target_buffer_alloc(t, 1000, TSR_BUFFER_ARENA, &b), TSR_OK);
  CU_ASSERT_PTR_NULL(b.host);
  CU_ASSERT_EQUAL(tsr_vulkan_force_staging(t), TSR_ERR_STATE);
  uint8_t in[1000], out[1000];
  for (int i = 0; i < 1000; ++i) in[i] = (uint8_t)(i * 7 + 1);
  CU_ASSERT_EQUAL(tsr_target_upload(t, &b, 0, in, sizeof(in)), TSR_OK);
  memset(out, 0, sizeof(out));
  CU_ASSERT_EQUAL(tsr_target_download(t, &b, 13, out, 500), TSR_OK);
  CU_ASSERT_EQUAL(memcmp(out, in + 13, 500), 0);
  tsr_target_buffer_free(t, &b);
  run_all_ops(t, "staging path (quick cases)", true);
  CU_ASSERT_EQUAL(tsr_vulkan_validation_errors(t), 0);
  tsr_target_destroy(t);
}

/* Sub-allocation: many buffers share chunks, a large one gets its own, a
 * tensor wider than one binding can address is left to the CPU. */
static void test_memory(void) {
  NEED_DEVICE();
  tsr_target *t = make_target(false, NULL);
  tsr_buffer b[64];
  for (int i = 0; i < 64; ++i) CU_ASSERT_EQUAL_FATAL(tsr_target_buffer_alloc(t, 1000 + (uint64_t)i * 37, 0, &b[i]), TSR_OK);
  for (int i = 1; i < 64; ++i) {
    CU_ASSERT_PTR_EQUAL(b[i].handle, b[0].handle); /* one chunk */
    CU_ASSERT_EQUAL(b[i].handle_offset % 256, 0);
    CU_ASSERT(b[i].handle_offset >= b[i - 1].handle_offset + b[i - 1].size);
  }
  for (int i = 0; i < 64; i += 2) tsr_target_buffer_free(t, &b[i]);
  tsr_buffer big;
  CU_ASSERT_EQUAL_FATAL(tsr_target_buffer_alloc(t, (uint64_t)100 << 20, TSR_BUFFER_WEIGHTS, &big), TSR_OK);
  CU_ASSERT_PTR_NOT_EQUAL(big.handle, b[1].handle);
  tsr_target_buffer_free(t, &big);
  for (int i = 1; i < 64; i += 2) tsr_target_buffer_free(t, &b[i]);
  tsr_buffer again;
  CU_ASSERT_EQUAL(tsr_target_buffer_alloc(t, 64 * 1024, 0, &again), TSR_OK); /* freed space is reused */
  CU_ASSERT_EQUAL(again.handle_offset, 0);
  tsr_target_buffer_free(t, &again);
  /* A [40000, 1000] f32 table (160 MB) exceeds 128 MiB bindings on lavapipe. */
  tsr_target_caps caps;
  CU_ASSERT_EQUAL(tsr_target_get_caps(t, &caps), TSR_OK);
  tsr_op op = {.type = TSR_OP_GET_ROWS, .n_src = 2};
  int64_t st[2] = {(int64_t)(caps.max_buffer_size / 4000) + 1, 1000}, si[1] = {4}, sy[2] = {4, 1000};
  CU_ASSERT_EQUAL(tsr_tensor_init(&op.src[0], TSR_DTYPE_F32, 2, st, NULL), TSR_OK);
  CU_ASSERT_EQUAL(tsr_tensor_init(&op.src[1], TSR_DTYPE_I32, 1, si, NULL), TSR_OK);
  CU_ASSERT_EQUAL(tsr_tensor_init(&op.dst, TSR_DTYPE_F32, 2, sy, NULL), TSR_OK);
  CU_ASSERT_FALSE(tsr_target_supports_op(t, &op));
  st[0] = 1000;
  CU_ASSERT_EQUAL(tsr_tensor_init(&op.src[0], TSR_DTYPE_F32, 2, st, NULL), TSR_OK);
  CU_ASSERT_TRUE(tsr_target_supports_op(t, &op));
  tsr_target_destroy(t);
}

/* ---- recorded lists: barriers, dispatches, dynamic values, profile ---- */

typedef struct chain3 {
  tsr_buffer x, a, b, c, d;
  tsr_op ops[4];
} chain3;

/* b = x * 2 + 1; c = silu(b); d = a + a (independent of b and c); n floats. */
static void make_chain(tsr_target *t, chain3 *ch, int64_t n) {
  tsr_buffer *bufs[5] = {&ch->x, &ch->a, &ch->b, &ch->c, &ch->d};
  for (int i = 0; i < 5; ++i) CU_ASSERT_EQUAL_FATAL(tsr_target_buffer_alloc(t, (uint64_t)n * 4, 0, bufs[i]), TSR_OK);
  float *v = malloc(sizeof(float) * (size_t)n);
  for (int64_t i = 0; i < n; ++i) v[i] = (float)i * 0.01f - 1.0f;
  CU_ASSERT_EQUAL(tsr_target_upload(t, &ch->x, 0, v, (uint64_t)n * 4), TSR_OK);
  CU_ASSERT_EQUAL(tsr_target_upload(t, &ch->a, 0, v, (uint64_t)n * 4), TSR_OK);
  free(v);
  int64_t s[1] = {n};
  memset(ch->ops, 0, sizeof(ch->ops));
  tsr_buffer *src[3] = {&ch->x, &ch->b, &ch->a}, *dst[3] = {&ch->b, &ch->c, &ch->d};
  for (int i = 0; i < 3; ++i) {
    tsr_op *op = &ch->ops[i];
    op->type = i == 2 ? TSR_OP_BINARY : TSR_OP_UNARY;
    op->n_src = i == 2 ? 2 : 1;
    for (uint32_t j = 0; j < op->n_src; ++j) {
      CU_ASSERT_EQUAL(tsr_tensor_init(&op->src[j], TSR_DTYPE_F32, 1, s, NULL), TSR_OK);
      op->src[j].buffer = src[i];
    }
    CU_ASSERT_EQUAL(tsr_tensor_init(&op->dst, TSR_DTYPE_F32, 1, s, NULL), TSR_OK);
    op->dst.buffer = dst[i];
  }
  ch->ops[0].p.unary = (tsr_unary_params){TSR_UNARY_SCALE, 2.0f, 1.0f};
  ch->ops[0].name = "scale";
  ch->ops[1].p.unary = (tsr_unary_params){TSR_UNARY_SILU, 0, 0};
  ch->ops[1].name = "silu";
  ch->ops[2].p.binary.kind = TSR_BINARY_ADD;
  ch->ops[2].name = "add";
}

static void free_chain(tsr_target *t, chain3 *ch) {
  tsr_buffer *bufs[5] = {&ch->x, &ch->a, &ch->b, &ch->c, &ch->d};
  for (int i = 0; i < 5; ++i) tsr_target_buffer_free(t, bufs[i]);
}

static void test_list(void) {
  NEED_DEVICE();
  tsr_target *t = make_target(g_validation, NULL);
  chain3 ch;
  const int64_t n = 1000;
  make_chain(t, &ch, n);
  /* Order: scale, add (independent), silu (reads scale's output). */
  tsr_op ops[3] = {ch.ops[0], ch.ops[2], ch.ops[1]};
  tsr_cmdlist *list = NULL;
  tsr_status ps = tsr_target_prepare(t, ops, 3, &list);
  if (ps != TSR_OK) printf("\n  prepare: %s\n", tsr_target_error(t)->message);
  CU_ASSERT_EQUAL_FATAL(ps, TSR_OK);
  tsr_vulkan_list_stats st;
  CU_ASSERT_EQUAL(tsr_vulkan_list_stats_get(t, list, &st), TSR_OK);
  CU_ASSERT_EQUAL(st.ops, 3);
  CU_ASSERT_EQUAL(st.dispatches, 3);
  CU_ASSERT_EQUAL(st.barriers, 1); /* only before silu */
  printf("\n  3 ops: %u dispatches, %u barrier(s), variants %s %s %s\n", st.dispatches, st.barriers,
         tsr_vulkan_list_variant(t, list, 0), tsr_vulkan_list_variant(t, list, 1), tsr_vulkan_list_variant(t, list, 2));
  tsr_op_timing prof[3];
  uint32_t np = 0;
  CU_ASSERT_EQUAL(get_profile(t, list, prof, 3, &np), TSR_ERR_STATE); /* not run yet */
  for (int run = 0; run < 3; ++run) {
    CU_ASSERT_EQUAL(tsr_target_submit(t, list, NULL), TSR_OK);
    CU_ASSERT_EQUAL(tsr_target_wait(t), TSR_OK);
  }
  CU_ASSERT_EQUAL(tsr_vulkan_list_stats_get(t, list, &st), TSR_OK);
  CU_ASSERT_EQUAL(st.submits, 3);
  float *c = malloc(sizeof(float) * (size_t)n), *d = malloc(sizeof(float) * (size_t)n);
  CU_ASSERT_EQUAL(tsr_target_download(t, &ch.c, 0, c, (uint64_t)n * 4), TSR_OK);
  CU_ASSERT_EQUAL(tsr_target_download(t, &ch.d, 0, d, (uint64_t)n * 4), TSR_OK);
  double max_err = 0;
  for (int64_t i = 0; i < n; ++i) {
    double x = (double)((float)i * 0.01f - 1.0f), b = (double)(float)(2.0 * x + 1.0);
    double want = b / (1.0 + exp(-b));
    max_err = fmax(max_err, fabs(c[i] - want));
    CU_ASSERT_DOUBLE_EQUAL(d[i], 2.0 * x, 1e-6);
  }
  CU_ASSERT(max_err < 1e-5);
  CU_ASSERT_EQUAL(get_profile(t, list, prof, 3, &np), TSR_OK);
  CU_ASSERT_EQUAL(np, 3);
  for (uint32_t i = 0; i < np; ++i) {
    CU_ASSERT(prof[i].ms >= 0.0);
    printf("  %-6s %8.4f ms\n", prof[i].name, prof[i].ms);
  }
  CU_ASSERT_STRING_EQUAL(prof[2].name, "silu");
  CU_ASSERT_EQUAL(prof[1].type, TSR_OP_BINARY);
  tsr_target_release(t, list);
  free(c);
  free(d);
  free_chain(t, &ch);
  CU_ASSERT_EQUAL(tsr_vulkan_validation_errors(t), 0);
  tsr_target_destroy(t);
}

/* Dynamic values change between submits of one recorded list. */
static void test_dynamic(void) {
  NEED_DEVICE();
  tsr_target *t = make_target(g_validation, NULL);
  /* set_rows of 2 rows of 8 into a [6, 8] f16 cache at position dyn[1]. */
  tsr_buffer src, dst;
  CU_ASSERT_EQUAL_FATAL(tsr_target_buffer_alloc(t, 2 * 8 * 4, 0, &src), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_target_buffer_alloc(t, 6 * 8 * 2, 0, &dst), TSR_OK);
  float rows[16];
  for (int i = 0; i < 16; ++i) rows[i] = (float)(i + 1);
  uint16_t zero[48] = {0}, got[48];
  CU_ASSERT_EQUAL(tsr_target_upload(t, &src, 0, rows, sizeof(rows)), TSR_OK);
  CU_ASSERT_EQUAL(tsr_target_upload(t, &dst, 0, zero, sizeof(zero)), TSR_OK);
  tsr_op op = {.type = TSR_OP_SET_ROWS, .n_src = 1};
  int64_t ss[2] = {2, 8}, ds[2] = {6, 8};
  CU_ASSERT_EQUAL(tsr_tensor_init(&op.src[0], TSR_DTYPE_F32, 2, ss, NULL), TSR_OK);
  CU_ASSERT_EQUAL(tsr_tensor_init(&op.dst, TSR_DTYPE_F16, 2, ds, NULL), TSR_OK);
  op.src[0].buffer = &src;
  op.dst.buffer = &dst;
  op.p.set_rows.pos = TSR_DYN_SLOT(1, 0);
  tsr_cmdlist *list = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_target_prepare(t, &op, 1, &list), TSR_OK);
  const int64_t positions[3] = {0, 3, 5}; /* 5: the second row falls off the end */
  for (int k = 0; k < 3; ++k) {
    tsr_dyn_values dyn = {{0, positions[k], 0, 0}};
    CU_ASSERT_EQUAL(tsr_target_submit(t, list, &dyn), TSR_OK);
    CU_ASSERT_EQUAL(tsr_target_wait(t), TSR_OK);
  }
  CU_ASSERT_EQUAL(tsr_target_download(t, &dst, 0, got, sizeof(got)), TSR_OK);
  for (int r = 0; r < 6; ++r) {
    int srow = r == 0 || r == 3 || r == 5 ? 0 : (r == 1 || r == 4 ? 1 : -1);
    for (int i = 0; i < 8; ++i) {
      float want = srow < 0 ? 0.0f : rows[srow * 8 + i];
      float v;
      tsr_load_f32(TSR_DTYPE_F16, (const uint8_t *)&got[r * 8 + i], 2, &v, 1);
      CU_ASSERT_EQUAL(v, want);
    }
  }
  tsr_target_release(t, list);
  tsr_target_buffer_free(t, &src);
  tsr_target_buffer_free(t, &dst);
  CU_ASSERT_EQUAL(tsr_vulkan_validation_errors(t), 0);
  tsr_target_destroy(t);
}

/* ---- validation layer ---- */

static void test_validation_catches(void) {
  NEED_DEVICE();
  if (!g_validation) {
    printf("\n  SKIPPED: TESSERA_VALIDATION is not set (the layer is not under test)\n");
    g_skipped++;
    return;
  }
  tsr_target *t = make_target(true, NULL);
  vk_target *vt = tsr_vk_cast(t);
  /* An invalid call: a zero-sized buffer (VUID-VkBufferCreateInfo-size-00912). */
  VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                           .size = 0,
                           .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                           .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
  VkBuffer buf = VK_NULL_HANDLE;
  VkResult r = vt->fn.vkCreateBuffer(vt->device, &bi, NULL, &buf);
  if (r == VK_SUCCESS && buf != VK_NULL_HANDLE) vt->fn.vkDestroyBuffer(vt->device, buf, NULL);
  chain3 ch;
  make_chain(t, &ch, 256);
  tsr_cmdlist *list = NULL;
  tsr_status s = tsr_target_prepare(t, ch.ops, 2, &list);
  CU_ASSERT_EQUAL(s, TSR_ERR_DEVICE);
  printf("\n  prepare after an invalid call: %s\n", tsr_target_error(t)->message);
  CU_ASSERT_PTR_NOT_NULL(strstr(tsr_target_error(t)->message, "validation"));
  CU_ASSERT_EQUAL(tsr_target_prepare(t, ch.ops, 2, &list), TSR_OK); /* reported once */
  tsr_target_release(t, list);
  /* A missing barrier between dependent dispatches: synchronization validation. */
  tsr_vulkan_debug_skip_barriers(t, true);
  list = NULL;
  s = tsr_target_prepare(t, ch.ops, 2, &list);
  if (s == TSR_OK) s = tsr_target_submit(t, list, NULL);
  if (s == TSR_OK) s = tsr_target_wait(t);
  CU_ASSERT_EQUAL(s, TSR_ERR_DEVICE);
  printf("  without the barrier: %s\n", tsr_target_error(t)->message);
  CU_ASSERT_PTR_NOT_NULL(strstr(tsr_target_error(t)->message, "HAZARD"));
  tsr_target_release(t, list);
  tsr_vulkan_debug_skip_barriers(t, false);
  free_chain(t, &ch);
  tsr_target_destroy(t);
}

/* ---- pipeline cache ---- */

static void test_pipeline_cache(void) {
  NEED_DEVICE();
  char dir[] = "/tmp/tessera-vkcache-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  tsr_target *t = make_target(false, dir);
  CU_ASSERT_EQUAL(tsr_vulkan_pipeline_cache_loaded(t), 0);
  chain3 ch;
  make_chain(t, &ch, 64);
  tsr_cmdlist *list = NULL;
  CU_ASSERT_EQUAL(tsr_target_prepare(t, ch.ops, 3, &list), TSR_OK);
  tsr_target_release(t, list);
  free_chain(t, &ch);
  tsr_target_destroy(t); /* saves */
  t = make_target(false, dir);
  uint64_t loaded = tsr_vulkan_pipeline_cache_loaded(t);
  printf("\n  pipeline cache reloaded: %llu bytes\n", (unsigned long long)loaded);
  CU_ASSERT(loaded > 0);
  tsr_target_destroy(t);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  CU_ASSERT_EQUAL(system(cmd), 0);
}

/* ---- a transformer block through the engine ---- */

enum { V = 20, DIM = 32, HQ = 4, HKV = 2, HD = 8, HID = 64, SEQ = 16 };

typedef struct block_graph {
  tsr_graph *g;
  int32_t tokens[2], y[2];
} block_graph;

static float g_emb[V * DIM], g_watt[DIM], g_wffn[DIM], g_wq[DIM * DIM], g_wk[HKV * HD * DIM], g_wv[HKV * HD * DIM],
    g_wo[DIM * DIM], g_w1[HID * DIM], g_w3[HID * DIM], g_w2[DIM * HID];
static uint8_t g_wk16[HKV * HD * DIM * 2], g_wv8[HKV * HD * DIM / 32 * 34], g_wo4[DIM * DIM / 32 * 18],
    g_w3q[HID * DIM / 32 * 34], g_w2k[DIM * HID * 2], g_emb8[V * DIM / 32 * 34];

static void fill(float *v, int n, float scale, int seed) {
  for (int i = 0; i < n; ++i) v[i] = scale * sinf((float)(i * 7 + seed * 131) * 0.37f);
}

static int32_t tensor(tsr_graph *g, const char *name, tsr_tensor_kind k, tsr_dtype dt, int nd, int64_t a, int64_t b,
                      int64_t c, const void *data, uint32_t entry_mask) {
  tsr_tensor_desc d = {.name = name, .kind = k, .dtype = dt, .ndim = nd, .shape = {a, b, c}, .data = data,
                       .entry_mask = entry_mask};
  int32_t id = -1;
  CU_ASSERT_EQUAL_FATAL(tsr_graph_add_tensor(g, &d, &id), TSR_OK);
  return id;
}

static int32_t view3(tsr_graph *g, int32_t base, int64_t a, int64_t b, int64_t c) {
  int64_t s[3] = {a, b, c};
  int32_t id = -1;
  CU_ASSERT_EQUAL_FATAL(tsr_graph_add_view(g, base, NULL, 3, s, NULL, 0, &id), TSR_OK);
  return id;
}

static int32_t view2(tsr_graph *g, int32_t base, int64_t a, int64_t b) {
  int64_t s[2] = {a, b};
  int32_t id = -1;
  CU_ASSERT_EQUAL_FATAL(tsr_graph_add_view(g, base, NULL, 2, s, NULL, 0, &id), TSR_OK);
  return id;
}

static void node(tsr_graph *g, tsr_op_type ty, const tsr_op_params *p, const int32_t *src, uint32_t n, int32_t dst,
                 const char *name) {
  CU_ASSERT_EQUAL_FATAL(tsr_graph_add_node(g, ty, p, src, n, dst, name), TSR_OK);
}

static void build_entry(tsr_graph *g, uint32_t entry, int64_t T, const int32_t *w, int32_t kc, int32_t vc,
                        int32_t *out_tokens, int32_t *out_y) {
  CU_ASSERT_EQUAL_FATAL(tsr_graph_set_entry(g, entry), TSR_OK);
  uint32_t em = 1u << entry;
  int32_t tok = tensor(g, entry ? "tokens1" : "tokens0", TSR_TENSOR_INPUT, TSR_DTYPE_I32, 1, T, 0, 0, NULL, em);
  int32_t x = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, DIM, 0, NULL, 0);
  int32_t h = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, DIM, 0, NULL, 0);
  int32_t q = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, HQ * HD, 0, NULL, 0);
  int32_t k = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, HKV * HD, 0, NULL, 0);
  int32_t v = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, HKV * HD, 0, NULL, 0);
  int32_t qr = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 3, T, HQ, HD, NULL, 0);
  int32_t kr = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 3, T, HKV, HD, NULL, 0);
  int32_t att = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 3, T, HQ, HD, NULL, 0);
  int32_t o = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, DIM, 0, NULL, 0);
  int32_t x2 = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, DIM, 0, NULL, 0);
  int32_t h2 = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, DIM, 0, NULL, 0);
  int32_t gg = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, HID, 0, NULL, 0);
  int32_t uu = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, HID, 0, NULL, 0);
  int32_t sw = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, HID, 0, NULL, 0);
  int32_t dd = tensor(g, NULL, TSR_TENSOR_INTERNAL, TSR_DTYPE_F32, 2, T, DIM, 0, NULL, 0);
  int32_t y = tensor(g, entry ? "y1" : "y0", TSR_TENSOR_OUTPUT, TSR_DTYPE_F32, 2, T, DIM, 0, NULL, em);
  tsr_op_params p;
  memset(&p, 0, sizeof(p));
  node(g, TSR_OP_GET_ROWS, &p, (int32_t[]){w[0], tok}, 2, x, "embed");
  p.norm.eps = 1e-5f;
  node(g, TSR_OP_RMSNORM, &p, (int32_t[]){x, w[1]}, 2, h, "attn_norm");
  memset(&p, 0, sizeof(p));
  node(g, TSR_OP_MATMUL, &p, (int32_t[]){h, w[3]}, 2, q, "wq");
  node(g, TSR_OP_MATMUL, &p, (int32_t[]){h, w[4]}, 2, k, "wk");
  node(g, TSR_OP_MATMUL, &p, (int32_t[]){h, w[5]}, 2, v, "wv");
  p.rope = (tsr_rope_params){HD, TSR_ROPE_INTERLEAVED, 10000.0f, 0.0f, TSR_DYN_SLOT(0, 0)};
  node(g, TSR_OP_ROPE, &p, (int32_t[]){view3(g, q, T, HQ, HD)}, 1, qr, "rope_q");
  node(g, TSR_OP_ROPE, &p, (int32_t[]){view3(g, k, T, HKV, HD)}, 1, kr, "rope_k");
  memset(&p, 0, sizeof(p));
  p.set_rows.pos = TSR_DYN_SLOT(0, 0);
  node(g, TSR_OP_SET_ROWS, &p, (int32_t[]){kr}, 1, kc, "k_cache");
  node(g, TSR_OP_SET_ROWS, &p, (int32_t[]){view3(g, v, T, HKV, HD)}, 1, vc, "v_cache");
  memset(&p, 0, sizeof(p));
  p.attention.causal = true;
  p.attention.q_pos = TSR_DYN_SLOT(0, 0);
  p.attention.kv_len = TSR_DYN_SLOT(0, (int32_t)T);
  node(g, TSR_OP_ATTENTION, &p, (int32_t[]){qr, kc, vc}, 3, att, "attention");
  memset(&p, 0, sizeof(p));
  node(g, TSR_OP_MATMUL, &p, (int32_t[]){view2(g, att, T, DIM), w[6]}, 2, o, "wo");
  p.binary.kind = TSR_BINARY_ADD;
  node(g, TSR_OP_BINARY, &p, (int32_t[]){x, o}, 2, x2, "residual1");
  memset(&p, 0, sizeof(p));
  p.norm.eps = 1e-5f;
  node(g, TSR_OP_RMSNORM, &p, (int32_t[]){x2, w[2]}, 2, h2, "ffn_norm");
  memset(&p, 0, sizeof(p));
  node(g, TSR_OP_MATMUL, &p, (int32_t[]){h2, w[7]}, 2, gg, "w1");
  node(g, TSR_OP_MATMUL, &p, (int32_t[]){h2, w[8]}, 2, uu, "w3");
  p.binary.kind = TSR_BINARY_SWIGLU;
  node(g, TSR_OP_BINARY, &p, (int32_t[]){gg, uu}, 2, sw, "swiglu");
  memset(&p, 0, sizeof(p));
  node(g, TSR_OP_MATMUL, &p, (int32_t[]){sw, w[9]}, 2, dd, "w2");
  p.binary.kind = TSR_BINARY_ADD;
  node(g, TSR_OP_BINARY, &p, (int32_t[]){x2, dd}, 2, y, "residual2");
  *out_tokens = tok;
  *out_y = y;
}

static block_graph build_block(void) {
  static bool ready = false;
  if (!ready) {
    fill(g_emb, V * DIM, 1.0f, 1);
    for (int i = 0; i < DIM; ++i) g_watt[i] = 1.0f + 0.01f * (float)i;
    for (int i = 0; i < DIM; ++i) g_wffn[i] = 1.0f - 0.01f * (float)i;
    fill(g_wq, DIM * DIM, 0.2f, 2);
    fill(g_wk, HKV * HD * DIM, 0.2f, 3);
    fill(g_wv, HKV * HD * DIM, 0.2f, 4);
    fill(g_wo, DIM * DIM, 0.2f, 5);
    fill(g_w1, HID * DIM, 0.2f, 6);
    fill(g_w3, HID * DIM, 0.2f, 7);
    fill(g_w2, DIM * HID, 0.2f, 8);
    tsr_quantize_row(TSR_DTYPE_F16, g_wk, g_wk16, HKV * HD * DIM);
    tsr_quantize_row(TSR_DTYPE_Q8_0, g_wv, g_wv8, HKV * HD * DIM);
    tsr_quantize_row(TSR_DTYPE_Q4_0, g_wo, g_wo4, DIM * DIM);
    tsr_quantize_row(TSR_DTYPE_Q8_0, g_w3, g_w3q, HID * DIM);
    tsr_quantize_row(TSR_DTYPE_F16, g_w2, g_w2k, DIM * HID);
    tsr_quantize_row(TSR_DTYPE_Q8_0, g_emb, g_emb8, V * DIM);
    ready = true;
  }
  block_graph b;
  CU_ASSERT_EQUAL_FATAL(tsr_graph_create(&g_sys, &b.g), TSR_OK);
  tsr_graph *g = b.g;
  int32_t w[10];
  w[0] = tensor(g, "emb", TSR_TENSOR_CONST, TSR_DTYPE_Q8_0, 2, V, DIM, 0, g_emb8, 0);
  w[1] = tensor(g, "w_att", TSR_TENSOR_CONST, TSR_DTYPE_F32, 1, DIM, 0, 0, g_watt, 0);
  w[2] = tensor(g, "w_ffn", TSR_TENSOR_CONST, TSR_DTYPE_F32, 1, DIM, 0, 0, g_wffn, 0);
  w[3] = tensor(g, "wq", TSR_TENSOR_CONST, TSR_DTYPE_F32, 2, DIM, DIM, 0, g_wq, 0);
  w[4] = tensor(g, "wk", TSR_TENSOR_CONST, TSR_DTYPE_F16, 2, HKV * HD, DIM, 0, g_wk16, 0);
  w[5] = tensor(g, "wv", TSR_TENSOR_CONST, TSR_DTYPE_Q8_0, 2, HKV * HD, DIM, 0, g_wv8, 0);
  w[6] = tensor(g, "wo", TSR_TENSOR_CONST, TSR_DTYPE_Q4_0, 2, DIM, DIM, 0, g_wo4, 0);
  w[7] = tensor(g, "w1", TSR_TENSOR_CONST, TSR_DTYPE_F32, 2, HID, DIM, 0, g_w1, 0);
  w[8] = tensor(g, "w3", TSR_TENSOR_CONST, TSR_DTYPE_Q8_0, 2, HID, DIM, 0, g_w3q, 0);
  w[9] = tensor(g, "w2", TSR_TENSOR_CONST, TSR_DTYPE_F16, 2, DIM, HID, 0, g_w2k, 0);
  int32_t kc = tensor(g, "k_cache", TSR_TENSOR_STATE, TSR_DTYPE_F16, 3, SEQ, HKV, HD, NULL, 0);
  int32_t vc = tensor(g, "v_cache", TSR_TENSOR_STATE, TSR_DTYPE_F16, 3, SEQ, HKV, HD, NULL, 0);
  build_entry(g, 0, 3, w, kc, vc, &b.tokens[0], &b.y[0]); /* prefill 3 tokens */
  build_entry(g, 1, 1, w, kc, vc, &b.tokens[1], &b.y[1]); /* decode 1 token */
  CU_ASSERT_EQUAL_FATAL(tsr_graph_validate(g), TSR_OK);
  return b;
}

static _Alignas(64) uint8_t g_engine_mem[2][65536];

/* Runs prefill (tokens 5 11 2 at 0) and four decode steps on |targets|;
 * writes the 3 + 4 output rows into |out| [7][DIM]. */
static void run_block(tsr_target **targets, uint32_t n, tsr_target *fallback, int slot, float *out,
                      tsr_program_stats *st, const tsr_allocator *a, long *run_alloc_calls, counting *cnt) {
  block_graph b = build_block();
  tsr_engine_config cfg = {.allocator = a, .n_targets = n, .fallback = fallback};
  for (uint32_t i = 0; i < n; ++i) cfg.targets[i] = targets[i];
  size_t size, align;
  CU_ASSERT_EQUAL_FATAL(tsr_engine_get_size(&cfg, &size, &align), TSR_OK);
  tsr_engine *e = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_engine_init(&cfg, g_engine_mem[slot], size, &e), TSR_OK);
  tsr_program *p = NULL;
  tsr_status s = tsr_engine_prepare(e, b.g, &p);
  if (s != TSR_OK) printf("\n  prepare: %s\n", tsr_engine_error(e)->message);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  s = tsr_program_bind_arena(p, NULL, 0);
  if (s != TSR_OK) printf("\n  bind: %s\n", tsr_program_error(p)->message);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_get_stats(p, st), TSR_OK);
  int32_t prompt[3] = {5, 11, 2}, next[4] = {7, 19, 0, 3};
  long before = cnt ? cnt->calls : 0;
  CU_ASSERT_EQUAL(tsr_program_set_input(p, b.tokens[0], prompt, sizeof(prompt)), TSR_OK);
  tsr_dyn_values dyn = {{0}};
  s = tsr_program_run(p, 0, &dyn);
  if (s != TSR_OK) printf("\n  run: %s\n", tsr_program_error(p)->message);
  CU_ASSERT_EQUAL(s, TSR_OK);
  CU_ASSERT_EQUAL(tsr_program_get_output(p, b.y[0], out, sizeof(float) * 3 * DIM), TSR_OK);
  for (int i = 0; i < 4; ++i) {
    dyn.v[0] = 3 + i;
    CU_ASSERT_EQUAL(tsr_program_set_input(p, b.tokens[1], &next[i], sizeof(int32_t)), TSR_OK);
    CU_ASSERT_EQUAL(tsr_program_run(p, 1, &dyn), TSR_OK);
    CU_ASSERT_EQUAL(tsr_program_get_output(p, b.y[1], out + (3 + i) * DIM, sizeof(float) * DIM), TSR_OK);
  }
  if (cnt) *run_alloc_calls = cnt->calls - before;
  tsr_program_destroy(p);
  tsr_engine_deinit(e);
  tsr_graph_destroy(b.g);
}

static void test_transformer_block(void) {
  NEED_DEVICE();
  tsr_target *cpu = NULL;
  tsr_error err;
  tsr_target_options o = {.n_threads = 1};
  /* The reference kernels: the fast CPU kernels quantize activations. */
  CU_ASSERT_EQUAL_FATAL(tsr_target_create("cpu:ref", &o, &g_sys, &cpu, &err), TSR_OK);
  float want[7 * DIM], got[7 * DIM];
  tsr_program_stats st;
  run_block(&cpu, 1, cpu, 0, want, &st, &g_sys, NULL, NULL);
  counting cnt = {0};
  tsr_allocator ca = {count_alloc, count_free, &cnt};
  tsr_target_options vo = {.allow_cpu_device = true, .validation = g_validation};
  tsr_target *vk = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_target_create("vulkan", &vo, &ca, &vk, &err), TSR_OK);
  long run_calls = -1;
  run_block(&vk, 1, cpu, 1, got, &st, &ca, &run_calls, &cnt);
  printf("\n  engine on vulkan: %u nodes, %u on the device, %u command lists, %u copies, device arena %llu B, "
         "weights %llu B; allocator calls while running: %ld\n",
         st.n_nodes, st.nodes_per_target[0], st.n_segments, st.n_copies, (unsigned long long)st.device_arena_bytes,
         (unsigned long long)st.device_const_bytes, run_calls);
  CU_ASSERT_EQUAL(st.nodes_per_target[0], st.n_nodes); /* every op of the block runs on the device */
  CU_ASSERT_EQUAL(st.n_segments, 2);                   /* one command list per entry */
  CU_ASSERT_EQUAL(run_calls, 0);
  double max_err = 0, max_ref = 0;
  for (int i = 0; i < 7 * DIM; ++i) {
    max_err = fmax(max_err, fabs((double)got[i] - want[i]));
    max_ref = fmax(max_ref, fabs((double)want[i]));
  }
  printf("  max |vulkan - cpu| = %.3g (max |cpu| = %.3g)\n", max_err, max_ref);
  CU_ASSERT(max_err <= 1e-4 * fmax(1.0, max_ref));
  CU_ASSERT_EQUAL(tsr_vulkan_validation_errors(vk), 0);
  tsr_target_destroy(vk);
  tsr_target_destroy(cpu);
}

/* ---- stories260K: the whole model on the device ---- */

static void test_stories260k(void) {
  NEED_DEVICE();
  const char *dir = tsr_test_models_dir();
  static const char *const kFiles[2] = {"llm/gguf/stories260K.gguf", "llm/llama2c/stories260K.bin"};
  tsr_target *vk = make_target(g_validation, NULL);
  tsr_target *cpu = NULL;
  tsr_error err;
  tsr_target_options co = {.n_threads = 1};
  CU_ASSERT_EQUAL_FATAL(tsr_cpu_target_create(&co, &g_sys, &cpu, &err), TSR_OK);
  for (int f = 0; f < 2; ++f) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, kFiles[f]);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
      printf("\n  SKIPPED: fixture %s not found\n", path);
      if (tsr_test_models_required())
        CU_FAIL("fixture missing where fixtures are required (CI, TESSERA_REQUIRE_MODELS)");
      g_skipped++;
      continue;
    }
    fclose(fp);
    for (int kv = 0; kv < 2; ++kv) {
      tsr_llm_options o;
      memset(&o, 0, sizeof(o));
      o.targets[0] = vk;
      o.n_targets = 1;
      o.fallback = cpu;
      o.n_ctx = 64;
      o.kv_dtype = kv ? TSR_DTYPE_F16 : TSR_DTYPE_F32;
      tsr_llm *m = NULL;
      tsr_status s = tsr_llm_load_file(path, &o, &m, &err);
      if (s != TSR_OK) printf("\n  load: %s\n", err.message);
      CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
      tsr_llm_memory mem;
      CU_ASSERT_EQUAL(tsr_llm_get_memory(m, &mem), TSR_OK);
      uint32_t off = 0;
      for (uint32_t i = 0; i < mem.n_nodes; ++i) {
        const char *t = tsr_llm_node_target(m, i);
        if (t == NULL || strncmp(t, "vulkan", 6) != 0) {
          if (off < 5) printf("\n  node %u runs on %s", (unsigned)i, t ? t : "?");
          off++;
        }
      }
      CU_ASSERT(mem.n_nodes > 0);
      CU_ASSERT_EQUAL(off, 0);
      /* Two decode steps, then the per-op profile of the last one. */
      const int32_t ids[2] = {1, 403};
      const float *logits = NULL;
      CU_ASSERT_EQUAL(tsr_llm_eval(m, ids, 1, &logits), TSR_OK);
      CU_ASSERT_EQUAL(tsr_llm_eval(m, ids + 1, 1, &logits), TSR_OK);
      tsr_op_timing tm[512];
      uint32_t np = 0;
      CU_ASSERT_EQUAL(tsr_llm_get_profile(m, 1, tm, 512, &np), TSR_OK);
      double total = 0;
      for (uint32_t i = 0; i < np; ++i) total += tm[i].ms;
      printf("\n  %s (%s KV): %u nodes in %u entries, %u off the device; decode step: %u ops, %.3f ms device time",
             kFiles[f], kv ? "f16" : "f32", (unsigned)mem.n_nodes, (unsigned)mem.n_entries, (unsigned)off,
             (unsigned)np, total);
      CU_ASSERT(np > 0 && np < mem.n_nodes);
      tsr_llm_free(m);
    }
  }
  CU_ASSERT_EQUAL(tsr_vulkan_validation_errors(vk), 0);
  tsr_target_destroy(vk);
  tsr_target_destroy(cpu);
}

int main(void) {
  g_sys = tsr_allocator_system();
  g_validation = getenv("TESSERA_VALIDATION") != NULL && strcmp(getenv("TESSERA_VALIDATION"), "0") != 0;
  {
    tsr_target *t = NULL;
    tsr_error err;
    tsr_target_options o = {.allow_cpu_device = true};
    g_have_device = tsr_target_create("vulkan", &o, &g_sys, &t, &err) == TSR_OK;
    if (g_have_device) tsr_target_destroy(t);
    else printf("no Vulkan device: %s\n", err.message);
  }
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("vulkan", NULL, NULL);
  if (s == NULL) return 2;
  CU_add_test(s, "names, enumeration and caps", test_names);
  CU_add_test(s, "no driver: unavailable, nothing else fails", test_no_driver);
  CU_add_test(s, "sub-allocation and binding limits", test_memory);
  CU_add_test(s, "recorded list: barriers, dispatches, profile", test_list);
  CU_add_test(s, "dynamic values between submits", test_dynamic);
  CU_add_test(s, "staging path (discrete GPU memory)", test_staging);
  CU_add_test(s, "every variant family vs the reference", test_variants);
  CU_add_test(s, "validation layer catches errors and hazards", test_validation_catches);
  CU_add_test(s, "pipeline cache saved and reloaded", test_pipeline_cache);
  CU_add_test(s, "transformer block through the engine vs cpu", test_transformer_block);
  CU_add_test(s, "stories260K: every node on the device, profile of a step", test_stories260k);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  if (g_skipped) printf("\n%u test(s) SKIPPED\n", g_skipped);
  CU_cleanup_registry();
  if (failures != 0) return 1;
  return g_have_device ? 0 : 77; /* without a device only the unavailability checks ran */
}
