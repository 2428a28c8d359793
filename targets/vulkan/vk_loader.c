/* Run-time loading of the Vulkan loader (libvulkan.so.1) and of every entry
 * point into a vk_fns table owned by the caller. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "targets/vulkan/vk_internal.h"

/* dlsym returns an object pointer; converting it to a function pointer by
 * memcpy keeps ISO C (-Wpedantic) quiet. */
static PFN_vkVoidFunction as_fn(void *p) {
  PFN_vkVoidFunction f;
  memcpy(&f, &p, sizeof(f));
  return f;
}

tsr_status tsr_vk_load_library(vk_fns *f, tsr_error *err) {
  memset(f, 0, sizeof(*f));
  static const char *const kNames[] = {"libvulkan.so.1", "libvulkan.so"};
  const char *why = "";
  for (size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]) && f->lib == NULL; ++i) {
    f->lib = dlopen(kNames[i], RTLD_NOW | RTLD_LOCAL);
    if (f->lib == NULL && i == 0) {
      const char *e = dlerror();
      why = e ? e : "";
    }
  }
  if (f->lib == NULL)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: no Vulkan loader (libvulkan.so.1: %s)", why);
  PFN_vkVoidFunction gipa = as_fn(dlsym(f->lib, "vkGetInstanceProcAddr"));
  if (gipa == NULL) {
    tsr_vk_unload_library(f);
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: the loader has no vkGetInstanceProcAddr");
  }
  memcpy(&f->vkGetInstanceProcAddr, &gipa, sizeof(gipa));
#define LOAD_GLOBAL_(name)                                                          \
  {                                                                                 \
    PFN_vkVoidFunction p_ = f->vkGetInstanceProcAddr(VK_NULL_HANDLE, #name);        \
    if (p_ == NULL) {                                                               \
      tsr_vk_unload_library(f);                                                     \
      return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: the loader lacks " #name); \
    }                                                                               \
    memcpy(&f->name, &p_, sizeof(p_));                                              \
  }
  TSR_VK_GLOBAL_FNS(LOAD_GLOBAL_)
#undef LOAD_GLOBAL_
  PFN_vkVoidFunction v = f->vkGetInstanceProcAddr(VK_NULL_HANDLE, "vkEnumerateInstanceVersion");
  if (v) memcpy(&f->vkEnumerateInstanceVersion, &v, sizeof(v));
  return TSR_OK;
}

tsr_status tsr_vk_load_instance(vk_fns *f, VkInstance inst, tsr_error *err) {
#define LOAD_INSTANCE_(name)                                                            \
  {                                                                                     \
    PFN_vkVoidFunction p_ = f->vkGetInstanceProcAddr(inst, #name);                      \
    if (p_ == NULL) return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: no " #name);    \
    memcpy(&f->name, &p_, sizeof(p_));                                                  \
  }
  TSR_VK_INSTANCE_FNS(LOAD_INSTANCE_)
#undef LOAD_INSTANCE_
#define LOAD_OPTIONAL_(name)                                       \
  {                                                                \
    PFN_vkVoidFunction p_ = f->vkGetInstanceProcAddr(inst, #name); \
    if (p_ != NULL) memcpy(&f->name, &p_, sizeof(p_));             \
  }
  TSR_VK_DEBUG_FNS(LOAD_OPTIONAL_)
#undef LOAD_OPTIONAL_
  return TSR_OK;
}

tsr_status tsr_vk_load_device(vk_fns *f, VkDevice dev, tsr_error *err) {
#define LOAD_DEVICE_(name)                                                           \
  {                                                                                  \
    PFN_vkVoidFunction p_ = f->vkGetDeviceProcAddr(dev, #name);                      \
    if (p_ == NULL) return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: no " #name); \
    memcpy(&f->name, &p_, sizeof(p_));                                               \
  }
  TSR_VK_DEVICE_FNS(LOAD_DEVICE_)
#undef LOAD_DEVICE_
  return TSR_OK;
}

void tsr_vk_pin_library(const char *soname) {
  void *h = dlopen(soname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
  if (h != NULL) dlclose(h); /* the NODELETE flag stays */
}

void tsr_vk_unload_library(vk_fns *f) {
  if (f->lib) dlclose(f->lib);
  memset(f, 0, sizeof(*f));
}

const char *tsr_vk_result_name(VkResult r) {
  switch (r) {
#define R_(x) \
  case x: return #x;
    R_(VK_SUCCESS) R_(VK_NOT_READY) R_(VK_TIMEOUT) R_(VK_INCOMPLETE)
    R_(VK_ERROR_OUT_OF_HOST_MEMORY) R_(VK_ERROR_OUT_OF_DEVICE_MEMORY) R_(VK_ERROR_INITIALIZATION_FAILED)
    R_(VK_ERROR_DEVICE_LOST) R_(VK_ERROR_MEMORY_MAP_FAILED) R_(VK_ERROR_LAYER_NOT_PRESENT)
    R_(VK_ERROR_EXTENSION_NOT_PRESENT) R_(VK_ERROR_FEATURE_NOT_PRESENT) R_(VK_ERROR_INCOMPATIBLE_DRIVER)
    R_(VK_ERROR_TOO_MANY_OBJECTS) R_(VK_ERROR_FORMAT_NOT_SUPPORTED) R_(VK_ERROR_FRAGMENTED_POOL)
    R_(VK_ERROR_OUT_OF_POOL_MEMORY) R_(VK_ERROR_INVALID_SHADER_NV) R_(VK_PIPELINE_COMPILE_REQUIRED)
#undef R_
    default: return "VK_ERROR_UNKNOWN";
  }
}
