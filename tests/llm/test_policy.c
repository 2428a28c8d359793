/* One failure policy for both workloads: an unknown target name is
 * TSR_ERR_INVALID_ARGUMENT; a target that cannot run the model is an error
 * unless the caller asked for the fallback, and then the fallback is
 * reported (tsr_llm_fallback / the session's note, and the load's error
 * detail with code TSR_OK) and gives the same results as the CPU. The null
 * target (runs nothing) stands for a target that cannot. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#include "engine/net/net.h"
#include "llm/fixture.h"
#include "tessera/tessera.h"

static void test_names(void) {
  tsr_allocator a = tsr_allocator_system();
  tsr_target *t = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL(tsr_target_create("bogus", NULL, &a, &t, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "bogus"));
  CU_ASSERT_EQUAL(tsr_target_create("cpu:bogus", NULL, &a, &t, &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(t);
}

/* Greedy tokens of the model on |targets| with |fallback|. */
static tsr_status greedy(const char *path, tsr_target *target, tsr_target *fallback, int32_t *ids, size_t n,
                         char *note, size_t note_cap, tsr_error *err) {
  tsr_llm_options o;
  memset(&o, 0, sizeof(o));
  o.targets[0] = target;
  o.n_targets = 1;
  o.fallback = fallback;
  o.n_ctx = 64;
  tsr_llm *m = NULL;
  tsr_error_clear(err);
  tsr_status s = tsr_llm_load_file(path, &o, &m, err);
  if (s != TSR_OK) return s;
  snprintf(note, note_cap, "%s", tsr_llm_fallback(m) ? tsr_llm_fallback(m) : "");
  int32_t tok = tsr_llm_bos(m);
  for (size_t i = 0; i < n && s == TSR_OK; ++i) {
    const float *logits = NULL;
    s = tsr_llm_eval(m, &tok, 1, &logits);
    if (s != TSR_OK) break;
    int32_t best = 0;
    for (int32_t v = 1; v < tsr_llm_get_hparams(m)->vocab_size; ++v) best = logits[v] > logits[best] ? v : best;
    ids[i] = tok = best;
  }
  tsr_llm_free(m);
  return s;
}

static void test_llm(void) {
  char path[512];
  if (!fixture_path("llm/gguf/stories260K.gguf", "llm policy", path, sizeof(path))) return;
  tsr_allocator a = tsr_allocator_system();
  tsr_target *cpu = NULL, *null = NULL;
  tsr_error err;
  tsr_target_options to;
  memset(&to, 0, sizeof(to));
  to.n_threads = 1;
  CU_ASSERT_EQUAL_FATAL(tsr_cpu_target_create(&to, &a, &cpu, &err), TSR_OK);
  CU_ASSERT_EQUAL_FATAL(tsr_target_create("null", NULL, &a, &null, &err), TSR_OK);
  int32_t want[8], got[8];
  char note[TSR_ERROR_MESSAGE_MAX];
  /* The CPU, its own fallback: nothing to report. */
  CU_ASSERT_EQUAL_FATAL(greedy(path, cpu, cpu, want, 8, note, sizeof(note), &err), TSR_OK);
  CU_ASSERT_STRING_EQUAL(note, "");
  /* The null target and no fallback: an error naming a node, never the CPU. */
  CU_ASSERT_EQUAL(greedy(path, null, NULL, got, 8, note, sizeof(note), &err), TSR_ERR_UNSUPPORTED);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no target supports it"));
  /* Asked for: reported, and the same tokens. */
  CU_ASSERT_EQUAL_FATAL(greedy(path, null, cpu, got, 8, note, sizeof(note), &err), TSR_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(note, "fallback"));
  CU_ASSERT_PTR_NOT_NULL(strstr(note, "nodes on cpu"));
  CU_ASSERT_EQUAL(err.code, TSR_OK);
  CU_ASSERT_STRING_EQUAL(err.message, note);
  CU_ASSERT_EQUAL(memcmp(want, got, sizeof(want)), 0);
  tsr_target_destroy(null);
  tsr_target_destroy(cpu);
}

#if defined(TSR_HAVE_ONNX)
static tsr_status net_output(const tsr_net *net, const tsr_net_session_options *so, float *out, char *note,
                             size_t note_cap, tsr_error *err) {
  tsr_allocator a = tsr_allocator_system();
  tsr_net_session s;
  tsr_error_clear(err);
  tsr_status st = tsr_net_session_open_ex(net, so, &a, &s, err);
  if (st != TSR_OK) return st;
  snprintf(note, note_cap, "%s", s.fallback_note);
  tsr_tensor t;
  st = tsr_graph_tensor_info(net->graph, net->inputs[0].tensor, NULL, &t);
  void *in = NULL;
  if (st == TSR_OK) st = tsr_program_tensor_data(s.program, net->inputs[0].tensor, &in);
  if (st == TSR_OK) {
    float *x = in;
    for (int64_t i = 0; i < tsr_tensor_numel(&t); ++i) x[i] = (float)((i * 37) % 101) / 101.0f;
    st = tsr_program_run(s.program, 0, NULL);
  }
  if (st == TSR_OK) st = tsr_program_get_output(s.program, net->outputs[0].tensor, out, sizeof(float));
  tsr_net_session_close(&s);
  return st;
}

static void test_net(void) {
  char path[512];
  if (!fixture_path("onnx/pilotnet/nvidia_pilotnet.onnx", "net policy", path, sizeof(path))) return;
  tsr_allocator a = tsr_allocator_system();
  tsr_net *net = NULL;
  tsr_error err;
  CU_ASSERT_EQUAL_FATAL(tsr_net_open(path, NULL, &a, &net, &err), TSR_OK);
  tsr_net_session_options so;
  memset(&so, 0, sizeof(so));
  so.n_threads = 1;
  float want = 0, got = 1;
  char note[TSR_ERROR_MESSAGE_MAX];
  so.target = "cpu";
  CU_ASSERT_EQUAL_FATAL(net_output(net, &so, &want, note, sizeof(note), &err), TSR_OK);
  CU_ASSERT_STRING_EQUAL(note, "");
  so.target = "bogus";
  so.fallback_cpu = true; /* an unknown name fails even so */
  CU_ASSERT_EQUAL(net_output(net, &so, &got, note, sizeof(note), &err), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "bogus"));
  so.target = "null";
  so.fallback_cpu = false;
  CU_ASSERT_EQUAL(net_output(net, &so, &got, note, sizeof(note), &err), TSR_ERR_UNSUPPORTED);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no target supports it"));
  so.fallback_cpu = true;
  CU_ASSERT_EQUAL_FATAL(net_output(net, &so, &got, note, sizeof(note), &err), TSR_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(note, "fallback: 12 of 12 nodes on cpu"));
  CU_ASSERT_EQUAL(err.code, TSR_OK);
  CU_ASSERT_STRING_EQUAL(err.message, note);
  CU_ASSERT_EQUAL(memcmp(&want, &got, sizeof(float)), 0);
  tsr_net_destroy(net);
}
#endif

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("failure policy", NULL, NULL);
  CU_add_test(s, "target names", test_names);
  CU_add_test(s, "LM: no silent fallback; reported when asked", test_llm);
#if defined(TSR_HAVE_ONNX)
  CU_add_test(s, "network: the same policy", test_net);
#endif
  return fixture_run_all();
}
