/* Target wrappers and the registry of built-in targets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal/backends.h"
#include "targets/fault/fault_target.h"
#include "tessera/tessera.h"

tsr_status tsr_target_get_caps(const tsr_target *t, tsr_target_caps *out_caps) {
  if (t == NULL || out_caps == NULL) return TSR_ERR_INVALID_ARGUMENT;
  return t->vt->get_caps(t, out_caps);
}

bool tsr_target_supports_op(const tsr_target *t, const tsr_op *op) {
  return t != NULL && op != NULL && t->vt->supports_op(t, op);
}

tsr_status tsr_target_buffer_alloc(tsr_target *t, uint64_t size, uint32_t usage, tsr_buffer *out) {
  if (t == NULL || out == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (t->vt->buffer_alloc == NULL) return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "target has no memory");
  return t->vt->buffer_alloc(t, size, usage, out);
}

void tsr_target_buffer_free(tsr_target *t, tsr_buffer *buf) {
  if (t == NULL || buf == NULL || buf->target == NULL || t->vt->buffer_free == NULL) return;
  t->vt->buffer_free(t, buf);
}

tsr_status tsr_target_upload(tsr_target *t, tsr_buffer *buf, uint64_t offset, const void *src, uint64_t size) {
  if (t == NULL || buf == NULL || (src == NULL && size > 0)) return TSR_ERR_INVALID_ARGUMENT;
  if (offset > buf->size || size > buf->size - offset)
    return TSR_ERROR(&t->error, TSR_ERR_INVALID_ARGUMENT, "upload of %llu bytes at %llu past a %llu-byte buffer",
                     (unsigned long long)size, (unsigned long long)offset, (unsigned long long)buf->size);
  if (size == 0) return TSR_OK;
  return t->vt->buffer_upload(t, buf, offset, src, size);
}

tsr_status tsr_target_download(tsr_target *t, const tsr_buffer *buf, uint64_t offset, void *dst, uint64_t size) {
  if (t == NULL || buf == NULL || (dst == NULL && size > 0)) return TSR_ERR_INVALID_ARGUMENT;
  if (offset > buf->size || size > buf->size - offset)
    return TSR_ERROR(&t->error, TSR_ERR_INVALID_ARGUMENT, "download of %llu bytes at %llu past a %llu-byte buffer",
                     (unsigned long long)size, (unsigned long long)offset, (unsigned long long)buf->size);
  if (size == 0) return TSR_OK;
  return t->vt->buffer_download(t, buf, offset, dst, size);
}

tsr_status tsr_target_prepare(tsr_target *t, const tsr_op *ops, uint32_t n_ops, tsr_cmdlist **out_list) {
  if (t == NULL || (ops == NULL && n_ops > 0) || out_list == NULL) return TSR_ERR_INVALID_ARGUMENT;
  return t->vt->prepare(t, ops, n_ops, out_list);
}

tsr_status tsr_target_submit(tsr_target *t, tsr_cmdlist *list, const tsr_dyn_values *dyn) {
  if (t == NULL || list == NULL) return TSR_ERR_INVALID_ARGUMENT;
  return t->vt->submit(t, list, dyn);
}

tsr_status tsr_target_wait(tsr_target *t) {
  if (t == NULL) return TSR_ERR_INVALID_ARGUMENT;
  return t->vt->wait ? t->vt->wait(t) : TSR_OK;
}

void tsr_target_release(tsr_target *t, tsr_cmdlist *list) {
  if (t != NULL && list != NULL) t->vt->release(t, list);
}

void tsr_target_destroy(tsr_target *t) {
  if (t != NULL) t->vt->deinit(t);
}

const tsr_error *tsr_target_error(const tsr_target *t) { return t ? &t->error : NULL; }

/* ---- registry ---- */

/* CPU ISA levels, each a superset of the one before. */
typedef struct isa_level {
  const char *name;
  uint32_t need; /* bits that must be present */
  uint32_t mask; /* bits kernels may use at this level */
} isa_level;

static const isa_level kLevels[] = {
    {"avx2", TSR_ISA_AVX2, TSR_ISA_AVX2},
    {"avx512", TSR_ISA_AVX512, TSR_ISA_AVX2 | TSR_ISA_AVX512},
    {"avx512vnni", TSR_ISA_AVX512VNNI, TSR_ISA_AVX2 | TSR_ISA_AVX512 | TSR_ISA_AVX512VNNI | TSR_ISA_AVX512BF16},
    {"neon", TSR_ISA_NEON, TSR_ISA_NEON},
    {"neondot", TSR_ISA_NEONDOT, TSR_ISA_NEON | TSR_ISA_NEONDOT | TSR_ISA_NEONFP16},
    {"neoni8mm", TSR_ISA_NEONI8MM, TSR_ISA_NEON | TSR_ISA_NEONDOT | TSR_ISA_NEONFP16 | TSR_ISA_NEONI8MM | TSR_ISA_NEONBF16},
};

static tsr_status create_cpu(const char *variant, const tsr_target_options *opt, const tsr_allocator *a,
                             tsr_target **out, tsr_error *err) {
  tsr_target_options o = opt ? *opt : (tsr_target_options){0};
  char name[32];
  snprintf(name, sizeof(name), "cpu");
  if (variant != NULL) {
    snprintf(name, sizeof(name), "cpu:%s", variant);
    if (strcmp(variant, "ref") == 0) {
      o.reference_only = true;
    } else if (strcmp(variant, "scalar") == 0) {
      o.isa_mask = 0;
      o.reference_only = false;
    } else {
      const isa_level *lv = NULL;
      for (size_t i = 0; i < sizeof(kLevels) / sizeof(kLevels[0]); ++i) {
        if (strcmp(variant, kLevels[i].name) == 0) lv = &kLevels[i];
      }
      if (lv == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "unknown CPU variant '%s'", variant);
      tsr_cpu_features f;
      tsr_cpu_detect(&f);
      if ((f.isa & lv->need) != lv->need)
        return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "this CPU lacks %s", variant);
      o.isa_mask = lv->mask;
    }
  }
  tsr_target *t = NULL;
  TSR_TRY(tsr_cpu_target_create(&o, a, &t, err));
  if (variant != NULL && strcmp(variant, "scalar") == 0) {
    /* isa_mask 0 means "all" to the CPU target; scalar means none. */
    tsr_cpu_target_restrict(t, 0);
  }
  tsr_cpu_target_set_name(t, name);
  *out = t;
  return TSR_OK;
}

/* Every target family Tessera has, whether this build has it or not. */
static const char *const kKnownTargets[] = {"cpu", "null", "vulkan", "opencl"};

tsr_status tsr_target_check_name(const char *name, tsr_error *err) {
  if (name == NULL || name[0] == '\0') return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "empty target name");
  const char *colon = strchr(name, ':');
  size_t base_len = colon ? (size_t)(colon - name) : strlen(name);
  const char *rest = colon ? colon + 1 : NULL;
  if (base_len == 3 && strncmp(name, "cpu", 3) == 0) {
    if (rest == NULL || strcmp(rest, "ref") == 0 || strcmp(rest, "scalar") == 0) return TSR_OK;
    for (size_t i = 0; i < sizeof(kLevels) / sizeof(kLevels[0]); ++i) {
      if (strcmp(rest, kLevels[i].name) == 0) return TSR_OK;
    }
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "unknown CPU variant '%s' in target '%s'", rest, name);
  }
  if (base_len == 5 && strncmp(name, "fault", 5) == 0) {
    /* The fault-injection wrapper (tests): "fault:<inner target name>". */
    if (rest == NULL || (strncmp(rest, "fault", 5) == 0 && (rest[5] == '\0' || rest[5] == ':')))
      return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "target '%s': fault wraps one other target (fault:cpu)", name);
    return tsr_target_check_name(rest, err);
  }
  if (base_len == 4 && strncmp(name, "null", 4) == 0) {
    if (rest == NULL) return TSR_OK;
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "unknown target '%s' (null takes no suffix)", name);
  }
  for (size_t i = 0; i < sizeof(kKnownTargets) / sizeof(kKnownTargets[0]); ++i) {
    if (strlen(kKnownTargets[i]) == base_len && strncmp(name, kKnownTargets[i], base_len) == 0) return TSR_OK;
  }
  for (size_t i = 0; i < tsr_backend_count; ++i) {
    if (strlen(tsr_backends[i].name) == base_len && strncmp(name, tsr_backends[i].name, base_len) == 0) return TSR_OK;
  }
  return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "unknown target '%s' (targets: cpu, null, vulkan, opencl)", name);
}

tsr_status tsr_target_create(const char *name, const tsr_target_options *opt, const tsr_allocator *a,
                             tsr_target **out_target, tsr_error *err) {
  if (name == NULL || a == NULL || out_target == NULL)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "tsr_target_create: NULL argument");
  TSR_TRY(tsr_target_check_name(name, err));
  const char *colon = strchr(name, ':');
  size_t base_len = colon ? (size_t)(colon - name) : strlen(name);
  const char *rest = colon ? colon + 1 : NULL;
  if (base_len == 3 && strncmp(name, "cpu", 3) == 0) return create_cpu(rest, opt, a, out_target, err);
  if (base_len == 4 && strncmp(name, "null", 4) == 0) return tsr_null_target_create(a, out_target, err);
  if (base_len == 5 && strncmp(name, "fault", 5) == 0) return tsr_fault_target_create(rest, opt, a, out_target, err);
  for (size_t i = 0; i < tsr_backend_count; ++i) {
    const tsr_backend *b = &tsr_backends[i];
    if (strlen(b->name) == base_len && strncmp(name, b->name, base_len) == 0)
      return b->create(rest, opt, a, out_target, err);
  }
  return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "target '%s' is not built in (built in: cpu, null%s%s)", name,
                   tsr_backend_count ? ", " : "", tsr_backend_names);
}

uint32_t tsr_target_enumerate(char (*out)[32], uint32_t cap) {
  uint32_t n = 0;
  tsr_cpu_features f;
  tsr_cpu_detect(&f);
  if (n < cap) snprintf(out[n], 32, "cpu");
  n++;
  if (n < cap) snprintf(out[n], 32, "cpu:ref");
  n++;
  /* Every ISA level below the top one (the top one is "cpu" itself). */
  int top = -1;
  for (int i = 0; i < (int)(sizeof(kLevels) / sizeof(kLevels[0])); ++i) {
    if ((f.isa & kLevels[i].need) == kLevels[i].need) top = i;
  }
  if (top >= 0) {
    if (n < cap) snprintf(out[n], 32, "cpu:scalar");
    n++;
  }
  for (int i = 0; i < top; ++i) {
    if ((f.isa & kLevels[i].need) != kLevels[i].need) continue;
    if (n < cap) snprintf(out[n], 32, "cpu:%s", kLevels[i].name);
    n++;
  }
  for (size_t i = 0; i < tsr_backend_count; ++i) {
    char names[8][32];
    uint32_t k = tsr_backends[i].enumerate(names, 8);
    for (uint32_t j = 0; j < k && j < 8; ++j) {
      if (n < cap) memcpy(out[n], names[j], 32);
      n++;
    }
  }
  if (n < cap) snprintf(out[n], 32, "null");
  n++;
  return n;
}
