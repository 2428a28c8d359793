/* tsr targets, tsr selftest. */
#include <stdio.h>
#include <string.h>

#include "hal/backends.h"
#include "tests/conformance/conformance.h"
#include "tools/tsr/commands.h"

int tsr_cmd_targets(int argc, char **argv) {
  if (tsr_wants_help(argc, argv)) {
    printf("usage: tsr targets\n\nLists every target this build can create on this machine, with its\n"
           "device, capabilities and (for the CPU) the ISA features found.\n");
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "tsr targets: unexpected argument '%s'\n", argv[1]);
    return 2;
  }
  tsr_allocator a = tsr_allocator_system();
  tsr_cpu_features f;
  tsr_cpu_detect(&f);
  char isa[256];
  tsr_isa_format(f.isa, isa, sizeof(isa));
  printf("cpu: %s, %s, %u CPUs, ISA: %s\n", f.brand[0] ? f.brand : "unknown", f.arch, (unsigned)f.n_cpus, isa);
  char names[32][32];
  uint32_t n = tsr_target_enumerate(names, 32);
  for (uint32_t i = 0; i < n && i < 32; ++i) {
    tsr_target *t = NULL;
    tsr_error err;
    tsr_target_options o = {0};
    o.allow_cpu_device = true;
    if (tsr_target_create(names[i], &o, &a, &t, &err) != TSR_OK) {
      printf("%-16s unavailable: %s\n", names[i], err.message);
      continue;
    }
    tsr_target_caps caps;
    if (tsr_target_get_caps(t, &caps) == TSR_OK) {
      static const char *kinds[] = {"cpu", "gpu", "npu", "null"};
      printf("%-16s %-4s %s\n", names[i], (unsigned)caps.kind < 4 ? kinds[caps.kind] : "?", caps.device);
      if (caps.features[0]) printf("%-16s      %s\n", "", caps.features);
    }
    tsr_target_destroy(t);
  }
  /* Built-in backends with no device here: say why. */
  for (size_t b = 0; b < tsr_backend_count; ++b) {
    size_t l = strlen(tsr_backends[b].name);
    bool listed = false;
    for (uint32_t i = 0; i < n && i < 32; ++i) listed = listed || (strncmp(names[i], tsr_backends[b].name, l) == 0);
    if (listed) continue;
    tsr_target *t = NULL;
    tsr_error err;
    tsr_target_options o = {0};
    o.allow_cpu_device = true;
    if (tsr_target_create(tsr_backends[b].name, &o, &a, &t, &err) == TSR_OK) {
      tsr_target_destroy(t);
      continue;
    }
    printf("%-16s unavailable: %s\n", tsr_backends[b].name, err.message);
  }
  return 0;
}

int tsr_cmd_selftest(int argc, char **argv) {
  if (tsr_wants_help(argc, argv)) {
    printf("usage: tsr selftest [--target NAME] [-v]\n\nRuns a short conformance pass (every op, a few shapes per dtype) on\n"
           "every available target, or only on NAME, against the reference kernels.\n");
    return 0;
  }
  const char *only = NULL;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (strcmp(argv[i], "-v") == 0) {
      verbose = true;
    } else {
      fprintf(stderr, "tsr selftest: unknown option '%s'\n", argv[i]);
      return 2;
    }
  }
  tsr_allocator a = tsr_allocator_system();
  char names[32][32];
  uint32_t n = tsr_target_enumerate(names, 32);
  conf_options opt = {.quick = true, .check_threads = true, .seed = 1, .log = stdout, .verbose = verbose};
  conf_counts total = {0};
  uint32_t targets = 0;
  for (uint32_t i = 0; i < n && i < 32; ++i) {
    if (only && strcmp(only, names[i]) != 0) continue;
    tsr_target *t = NULL;
    tsr_error err;
    if (conf_create_target(names[i], 0, &a, &t, &err) != TSR_OK) {
      printf("%-16s unavailable: %s\n", names[i], err.message);
      continue;
    }
    targets++;
    conf_counts c = {0};
    for (int op = 1; op < TSR_OP_COUNT; ++op) {
      if (conf_case_count((tsr_op_type)op, true) > 0) conf_run_op(t, names[i], (tsr_op_type)op, &opt, &c);
    }
    printf("%-16s %u passed, %u failed, %u skipped (unsupported)\n", names[i], (unsigned)c.passed,
           (unsigned)c.failed, (unsigned)c.skipped);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
    tsr_target_destroy(t);
  }
  if (only && targets == 0) {
    fprintf(stderr, "tsr selftest: no target named '%s' (see 'tsr targets')\n", only);
    return 2;
  }
  printf("selftest: %u targets, %u passed, %u failed, %u skipped\n", (unsigned)targets, (unsigned)total.passed,
         (unsigned)total.failed, (unsigned)total.skipped);
  return total.failed ? 1 : 0;
}
