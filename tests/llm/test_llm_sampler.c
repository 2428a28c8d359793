/* The sampler: greedy, top-k, top-p, min-p, temperature, repetition
 * penalty, seeding, and that sampling allocates nothing. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/tessera.h"
#include "unit/alloc_counter.h"

#define V 64

typedef struct sampler_box {
  void *mem;
  tsr_sampler *s;
} sampler_box;

static tsr_sampler *make(sampler_box *b, const tsr_sampler_params *p, int32_t vocab) {
  size_t size, align;
  CU_ASSERT_EQUAL_FATAL(tsr_sampler_get_size(vocab, &size, &align), TSR_OK);
  b->mem = aligned_alloc(align, (size + align - 1) / align * align);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b->mem);
  CU_ASSERT_EQUAL(tsr_sampler_init(p, vocab, b->mem, size - 1, &b->s), TSR_ERR_BUFFER_TOO_SMALL);
  CU_ASSERT_EQUAL_FATAL(tsr_sampler_init(p, vocab, b->mem, size, &b->s), TSR_OK);
  return b->s;
}

static void fill_logits(float *l, int32_t n, uint32_t seed) {
  for (int32_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    l[i] = (float)((seed >> 8) & 0xffff) / 65536.0f * 8.0f - 4.0f;
  }
}

static int32_t argmax(const float *l, int32_t n) {
  int32_t b = 0;
  for (int32_t i = 1; i < n; ++i) b = l[i] > l[b] ? i : b;
  return b;
}

static void test_greedy(void) {
  tsr_sampler_params p;
  tsr_sampler_params_default(&p);
  p.temperature = 0.0f;
  sampler_box b;
  tsr_sampler *s = make(&b, &p, V);
  float l[V];
  fill_logits(l, V, 7);
  int32_t id = -1;
  CU_ASSERT_EQUAL(tsr_sampler_sample(s, l, NULL, 0, &id), TSR_OK);
  CU_ASSERT_EQUAL(id, argmax(l, V));
  /* Ties go to the lowest id; NaN never wins. */
  for (int i = 0; i < V; ++i) l[i] = 1.0f;
  l[3] = NAN;
  l[10] = 2.0f;
  l[20] = 2.0f;
  CU_ASSERT_EQUAL(tsr_sampler_sample(s, l, NULL, 0, &id), TSR_OK);
  CU_ASSERT_EQUAL(id, 10);
  /* The logits are not modified. */
  CU_ASSERT_EQUAL(l[20], 2.0f);
  CU_ASSERT_EQUAL(tsr_sampler_sample(NULL, l, NULL, 0, &id), TSR_ERR_INVALID_ARGUMENT);
  free(b.mem);
}

static void test_truncations_reduce_to_greedy(void) {
  float l[V];
  fill_logits(l, V, 11);
  const int32_t best = argmax(l, V);
  for (int which = 0; which < 3; ++which) {
    tsr_sampler_params p;
    tsr_sampler_params_default(&p);
    p.temperature = 1.5f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    if (which == 0) p.top_k = 1;
    if (which == 1) p.top_p = 1e-6f;
    if (which == 2) p.min_p = 1.0f;
    sampler_box b;
    tsr_sampler *s = make(&b, &p, V);
    for (int i = 0; i < 200; ++i) {
      int32_t id;
      CU_ASSERT_EQUAL(tsr_sampler_sample(s, l, NULL, 0, &id), TSR_OK);
      CU_ASSERT_EQUAL(id, best);
    }
    free(b.mem);
  }
}

/* Draws from a known distribution: frequencies within 4 sigma (fixed seed,
 * so the check is deterministic). */
static void test_distribution(void) {
  tsr_sampler_params p;
  tsr_sampler_params_default(&p);
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 1234;
  sampler_box b;
  tsr_sampler *s = make(&b, &p, 4);
  const float probs[4] = {0.1f, 0.2f, 0.3f, 0.4f};
  float l[4];
  for (int i = 0; i < 4; ++i) l[i] = logf(probs[i]) + 3.0f;
  int count[4] = {0};
  const int n = 40000;
  for (int i = 0; i < n; ++i) {
    int32_t id = -1;
    CU_ASSERT_EQUAL_FATAL(tsr_sampler_sample(s, l, NULL, 0, &id), TSR_OK);
    CU_ASSERT_FATAL(id >= 0 && id < 4);
    count[id]++;
  }
  for (int i = 0; i < 4; ++i) {
    double sigma = sqrt(n * probs[i] * (1 - probs[i]));
    CU_ASSERT(fabs(count[i] - n * probs[i]) < 4 * sigma);
  }
  /* Top-k 2 keeps only ids 3 and 2, in ratio 4:3. */
  p.top_k = 2;
  CU_ASSERT_EQUAL(tsr_sampler_reset(s, &p), TSR_OK);
  int c2[4] = {0};
  for (int i = 0; i < n; ++i) {
    int32_t id = -1;
    CU_ASSERT_EQUAL_FATAL(tsr_sampler_sample(s, l, NULL, 0, &id), TSR_OK);
    c2[id]++;
  }
  CU_ASSERT_EQUAL(c2[0] + c2[1], 0);
  double p3 = 0.4 / 0.7;
  CU_ASSERT(fabs(c2[3] - n * p3) < 4 * sqrt(n * p3 * (1 - p3)));
  /* Top-p 0.65: {0.4, 0.3} reach 0.7 >= 0.65, so id 1 and 0 never come. */
  p.top_k = 0;
  p.top_p = 0.65f;
  CU_ASSERT_EQUAL(tsr_sampler_reset(s, &p), TSR_OK);
  memset(c2, 0, sizeof(c2));
  for (int i = 0; i < 2000; ++i) {
    int32_t id = -1;
    CU_ASSERT_EQUAL_FATAL(tsr_sampler_sample(s, l, NULL, 0, &id), TSR_OK);
    c2[id]++;
  }
  CU_ASSERT_EQUAL(c2[0] + c2[1], 0);
  CU_ASSERT(c2[2] > 0 && c2[3] > 0);
  /* Min-p 0.5: p >= 0.5 * 0.4 keeps 0.4, 0.3, 0.2 and drops 0.1. */
  p.top_p = 1.0f;
  p.min_p = 0.5f;
  CU_ASSERT_EQUAL(tsr_sampler_reset(s, &p), TSR_OK);
  memset(c2, 0, sizeof(c2));
  for (int i = 0; i < 4000; ++i) {
    int32_t id = -1;
    CU_ASSERT_EQUAL_FATAL(tsr_sampler_sample(s, l, NULL, 0, &id), TSR_OK);
    c2[id]++;
  }
  CU_ASSERT_EQUAL(c2[0], 0);
  CU_ASSERT(c2[1] > 0 && c2[2] > 0 && c2[3] > 0);
  /* A low temperature sharpens: id 3 dominates. */
  p.min_p = 0.0f;
  p.temperature = 0.05f;
  CU_ASSERT_EQUAL(tsr_sampler_reset(s, &p), TSR_OK);
  memset(c2, 0, sizeof(c2));
  for (int i = 0; i < 1000; ++i) {
    int32_t id = -1;
    CU_ASSERT_EQUAL_FATAL(tsr_sampler_sample(s, l, NULL, 0, &id), TSR_OK);
    c2[id]++;
  }
  CU_ASSERT(c2[3] > 990);
  free(b.mem);
}

static void test_seed(void) {
  tsr_sampler_params p;
  tsr_sampler_params_default(&p);
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  sampler_box b1, b2;
  p.seed = 42;
  tsr_sampler *s1 = make(&b1, &p, V);
  tsr_sampler *s2 = make(&b2, &p, V);
  float l[V];
  fill_logits(l, V, 3);
  int32_t a[100], c[100];
  for (int i = 0; i < 100; ++i) {
    CU_ASSERT_EQUAL(tsr_sampler_sample(s1, l, NULL, 0, &a[i]), TSR_OK);
    CU_ASSERT_EQUAL(tsr_sampler_sample(s2, l, NULL, 0, &c[i]), TSR_OK);
  }
  CU_ASSERT(memcmp(a, c, sizeof(a)) == 0);
  /* A reset replays the same sequence; another seed gives another one. */
  CU_ASSERT_EQUAL(tsr_sampler_reset(s1, &p), TSR_OK);
  for (int i = 0; i < 100; ++i) {
    int32_t id;
    CU_ASSERT_EQUAL(tsr_sampler_sample(s1, l, NULL, 0, &id), TSR_OK);
    CU_ASSERT_EQUAL(id, a[i]);
  }
  p.seed = 43;
  CU_ASSERT_EQUAL(tsr_sampler_reset(s2, &p), TSR_OK);
  int same = 0;
  for (int i = 0; i < 100; ++i) {
    int32_t id;
    CU_ASSERT_EQUAL(tsr_sampler_sample(s2, l, NULL, 0, &id), TSR_OK);
    same += id == a[i];
  }
  CU_ASSERT(same < 60);
  free(b1.mem);
  free(b2.mem);
}

static void test_repeat_penalty(void) {
  tsr_sampler_params p;
  tsr_sampler_params_default(&p);
  p.temperature = 0.0f;
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  sampler_box b;
  tsr_sampler *s = make(&b, &p, 4);
  float l[4] = {1.0f, 3.0f, 2.5f, -1.0f};
  int32_t id;
  /* 3.0 / 2 = 1.5 < 2.5: id 2 wins once id 1 was seen. */
  const int32_t hist1[] = {1};
  CU_ASSERT_EQUAL(tsr_sampler_sample(s, l, hist1, 1, &id), TSR_OK);
  CU_ASSERT_EQUAL(id, 2);
  /* Repeats in the window are penalised once: 3.0 / 2 (not / 4) > 1.0. */
  const int32_t hist2[] = {2, 1, 1};
  CU_ASSERT_EQUAL(tsr_sampler_sample(s, l, hist2, 3, &id), TSR_OK);
  CU_ASSERT_EQUAL(id, 2); /* 2 is outside the window of 2: 2.5 beats 1.5 */
  const int32_t hist3[] = {1, 2};
  CU_ASSERT_EQUAL(tsr_sampler_sample(s, l, hist3, 2, &id), TSR_OK);
  CU_ASSERT_EQUAL(id, 1); /* 1.5 vs 1.25 vs 1.0 */
  /* Negative logits are multiplied: -1 * 2 = -2 stays below the rest. */
  float neg[4] = {-1.0f, -1.5f, -1.8f, -5.0f};
  const int32_t hist4[] = {0};
  CU_ASSERT_EQUAL(tsr_sampler_sample(s, neg, hist4, 1, &id), TSR_OK);
  CU_ASSERT_EQUAL(id, 1);
  /* Out-of-range history ids are ignored. */
  const int32_t hist5[] = {-3, 99};
  CU_ASSERT_EQUAL(tsr_sampler_sample(s, l, hist5, 2, &id), TSR_OK);
  CU_ASSERT_EQUAL(id, 1);
  free(b.mem);
}

static void test_no_allocation(void) {
  tsr_sampler_params p;
  tsr_sampler_params_default(&p);
  p.temperature = 0.9f;
  p.top_k = 0;
  p.repeat_penalty = 1.1f;
  sampler_box b;
  tsr_sampler *s = make(&b, &p, 4096);
  float *l = malloc(sizeof(float) * 4096);
  fill_logits(l, 4096, 5);
  int32_t hist[64];
  for (int i = 0; i < 64; ++i) hist[i] = i * 7;
  CU_ASSERT_EQUAL(alloc_counter_self_test(), 0); /* the hooks are live */
  alloc_counter_install();
  alloc_counter_arm();
  int32_t id = 0;
  for (int i = 0; i < 50; ++i) CU_ASSERT_EQUAL(tsr_sampler_sample(s, l, hist, 64, &id), TSR_OK);
  CU_ASSERT_EQUAL(alloc_counter_disarm(), 0);
  free(l);
  free(b.mem);
}

/* NaN and infinite parameters are refused by init, reset and the check,
 * naming the field; reset leaves the sampler as it was. */
static void test_non_finite(void) {
  tsr_sampler_params p;
  tsr_sampler_params_default(&p);
  sampler_box b;
  tsr_sampler *s = make(&b, &p, 8);
  size_t size, align;
  CU_ASSERT_EQUAL_FATAL(tsr_sampler_get_size(8, &size, &align), TSR_OK);
  static const char *const names[] = {"temperature", "top_p", "min_p", "repeat_penalty"};
  const float bad[] = {NAN, INFINITY, -INFINITY};
  for (int f = 0; f < 4; ++f) {
    for (int k = 0; k < 3; ++k) {
      tsr_sampler_params q = p;
      float *field = f == 0 ? &q.temperature : f == 1 ? &q.top_p : f == 2 ? &q.min_p : &q.repeat_penalty;
      *field = bad[k];
      tsr_error err;
      CU_ASSERT_EQUAL(tsr_sampler_params_check(&q, &err), TSR_ERR_INVALID_ARGUMENT);
      CU_ASSERT_PTR_NOT_NULL(strstr(err.message, names[f]));
      CU_ASSERT_EQUAL(tsr_sampler_reset(s, &q), TSR_ERR_INVALID_ARGUMENT);
      tsr_sampler *s2 = NULL;
      CU_ASSERT_EQUAL(tsr_sampler_init(&q, 8, b.mem, size, &s2), TSR_ERR_INVALID_ARGUMENT);
      CU_ASSERT_PTR_NULL(s2);
    }
  }
  CU_ASSERT_EQUAL(tsr_sampler_params_check(&p, NULL), TSR_OK);
  /* Still the greedy-capable sampler it was: defaults, valid draws. */
  float l[8];
  fill_logits(l, 8, 7);
  int32_t id = -1;
  CU_ASSERT_EQUAL(tsr_sampler_sample(s, l, NULL, 0, &id), TSR_OK);
  CU_ASSERT(id >= 0 && id < 8);
  free(b.mem);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("sampler", NULL, NULL);
  CU_add_test(s, "greedy and ties", test_greedy);
  CU_add_test(s, "top-k 1, tiny top-p, min-p 1 are greedy", test_truncations_reduce_to_greedy);
  CU_add_test(s, "distribution, top-k, top-p, min-p, temperature", test_distribution);
  CU_add_test(s, "seeded reproducibility", test_seed);
  CU_add_test(s, "repetition penalty", test_repeat_penalty);
  CU_add_test(s, "no allocation", test_no_allocation);
  CU_add_test(s, "non-finite parameters refused", test_non_finite);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
