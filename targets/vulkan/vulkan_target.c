/* The Vulkan target: the tsr_target vtable over vk_device.c (instance and
 * device), vk_memory.c (buffers), vk_ops.c (what runs) and vk_cmdlist.c
 * (recorded command lists). Registered in hal/backends.c as "vulkan". */
#include <stdio.h>
#include <string.h>

#include "targets/vulkan/vk_internal.h"

static void vk_deinit(tsr_target *tt) {
  vk_target *t = tsr_vk_cast(tt);
  tsr_vk_device_close(t);
  tsr_free(tt->allocator, t);
}

static void human_bytes(uint64_t v, char *out, size_t n) {
  if (v >= ((uint64_t)1 << 30) && v % ((uint64_t)1 << 30) == 0)
    snprintf(out, n, "%lluG", (unsigned long long)(v >> 30));
  else if (v >= ((uint64_t)1 << 20))
    snprintf(out, n, "%lluM", (unsigned long long)(v >> 20));
  else if (v >= 1024)
    snprintf(out, n, "%lluK", (unsigned long long)(v >> 10));
  else
    snprintf(out, n, "%llu", (unsigned long long)v);
}

static tsr_status vk_get_caps(const tsr_target *tt, tsr_target_caps *out) {
  const vk_target *t = tsr_vk_ccast(tt);
  memset(out, 0, sizeof(*out));
  snprintf(out->name, sizeof(out->name), "%s", t->name);
  uint32_t v = t->props.apiVersion;
  snprintf(out->device, sizeof(out->device), "%.80s (%s, Vulkan %u.%u.%u)", t->device_name,
           tsr_vk_device_type_name(t->props.deviceType), VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v),
           VK_API_VERSION_PATCH(v));
  out->kind = TSR_TARGET_KIND_GPU;
  out->flags = TSR_CAP_ASYNC | (t->unified && !t->force_staging ? TSR_CAP_UNIFIED_MEMORY : 0u) |
               (t->timestamps ? TSR_CAP_PROFILING : 0u);
  out->max_buffer_size = t->max_range;
  out->memory_size = t->device_memory;
  char range[16], alloc[16], mem[16], shared[16];
  human_bytes(t->max_range, range, sizeof(range));
  human_bytes(t->max_alloc, alloc, sizeof(alloc));
  human_bytes(t->device_memory, mem, sizeof(mem));
  human_bytes(t->shared_bytes, shared, sizeof(shared));
  snprintf(out->features, sizeof(out->features),
           "memory=%s%s max_storage_buffer_range=%s max_allocation=%s shared=%s workgroup_invocations=%u "
           "subgroup=%u%s storage16=%s storage8=%s fp16=%s int8=%s timestamps=%s validation=%s variants=%s%s%s",
           mem, t->unified ? "(unified)" : "", range, alloc, shared, (unsigned)t->max_invocations,
           (unsigned)t->subgroup_size, (t->features_available & TSR_VK_FEAT_SUBGROUP) ? "(arithmetic)" : "",
           (t->features_available & TSR_VK_FEAT_STORAGE16) ? "yes" : "no",
           (t->features_available & TSR_VK_FEAT_STORAGE8) ? "yes" : "no", t->fp16_arith ? "yes" : "no",
           t->int8_arith ? "yes" : "no", t->timestamps ? "yes" : "no", t->validation ? "on" : "off",
           (t->features & TSR_VK_FEAT_SUBGROUP) ? "[subgroup]" : "[plain]",
           (t->features & TSR_VK_FEAT_STORAGE16) ? "[16-bit storage]" : "",
           (t->features & TSR_VK_FEAT_STORAGE8) ? "[8-bit storage]" : "");
  return TSR_OK;
}

static bool vk_supports_op(const tsr_target *tt, const tsr_op *op) {
  return tsr_vk_supports_op(tsr_vk_ccast(tt), op);
}

static const tsr_target_vtable kVulkanVtable = {
    .abi_version = TSR_TARGET_ABI_VERSION,
    .deinit = vk_deinit,
    .get_caps = vk_get_caps,
    .supports_op = vk_supports_op,
    .buffer_alloc = tsr_vk_buffer_alloc,
    .buffer_free = tsr_vk_buffer_free,
    .buffer_map = tsr_vk_buffer_map,
    .buffer_upload = tsr_vk_upload,
    .buffer_download = tsr_vk_download,
    .prepare = tsr_vk_prepare,
    .submit = tsr_vk_submit,
    .wait = tsr_vk_wait,
    .release = tsr_vk_release,
    .get_profile = tsr_vk_get_profile,
};

bool tsr_vulkan_is_target(const tsr_target *t) { return t != NULL && t->vt == &kVulkanVtable; }

void tsr_vulkan_restrict_features(tsr_target *tt, uint32_t mask) {
  if (!tsr_vulkan_is_target(tt)) return;
  vk_target *t = tsr_vk_cast(tt);
  t->features = t->features_available & mask;
}

uint32_t tsr_vulkan_features(const tsr_target *tt) {
  return tsr_vulkan_is_target(tt) ? tsr_vk_ccast(tt)->features : 0u;
}

uint32_t tsr_vulkan_validation_errors(const tsr_target *tt) {
  return tsr_vulkan_is_target(tt) ? tsr_vk_ccast(tt)->validation_total : 0u;
}

void tsr_vulkan_debug_skip_barriers(tsr_target *tt, bool skip) {
  if (tsr_vulkan_is_target(tt)) tsr_vk_cast(tt)->skip_barriers = skip;
}

uint64_t tsr_vulkan_pipeline_cache_loaded(const tsr_target *tt) {
  return tsr_vulkan_is_target(tt) ? tsr_vk_ccast(tt)->cache_loaded : 0u;
}

tsr_status tsr_vulkan_backend_create(const char *spec, const tsr_target_options *opt, const tsr_allocator *a,
                                     tsr_target **out, tsr_error *err) {
  static const tsr_target_options kDefault = {0};
  if (a == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "vulkan: NULL argument");
  if (opt == NULL) opt = &kDefault;
  vk_target *t = tsr_alloc(a, sizeof(*t), 0);
  if (t == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "vulkan: target object");
  memset(t, 0, sizeof(*t));
  t->base.vt = &kVulkanVtable;
  t->base.allocator = a;
  tsr_status s = tsr_vk_device_open(t, spec, opt, err);
  if (s != TSR_OK) {
    tsr_vk_device_close(t);
    tsr_free(a, t);
    return s;
  }
  *out = &t->base;
  return TSR_OK;
}

uint32_t tsr_vulkan_backend_enumerate(char (*out)[32], uint32_t cap) { return tsr_vk_enumerate(out, cap); }
