/* Instance (with the validation layer and a debug messenger on request),
 * physical device selection, logical device creation with the features the
 * shader variants use, and the objects every command list shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/vulkan/vk_internal.h"

#define VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"

/* ---- validation messages ---- */

static VKAPI_ATTR VkBool32 VKAPI_CALL debug_callback(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT type,
                                                     const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
  (void)type;
  vk_target *t = user;
  if (t == NULL || !(severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT)) return VK_FALSE;
  if (t->validation_errors == 0) {
    snprintf(t->validation_message, sizeof(t->validation_message), "%s",
             data && data->pMessage ? data->pMessage : "(no message)");
  }
  t->validation_errors++;
  t->validation_total++;
  return VK_FALSE;
}

tsr_status tsr_vk_check_validation(vk_target *t, const char *where) {
  if (t->validation_errors == 0) return TSR_OK;
  uint32_t n = t->validation_errors;
  t->validation_errors = 0;
  return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: %s: %u validation error%s: %s", where, (unsigned)n, n == 1 ? "" : "s",
                 t->validation_message);
}

/* ---- instance ---- */

static bool has_layer(vk_fns *f, const char *name, const tsr_allocator *a) {
  uint32_t n = 0;
  if (f->vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || n == 0) return false;
  VkLayerProperties *p = tsr_alloc(a, sizeof(*p) * n, 0);
  if (p == NULL) return false;
  bool found = false;
  if (f->vkEnumerateInstanceLayerProperties(&n, p) == VK_SUCCESS) {
    for (uint32_t i = 0; i < n; ++i) found = found || strcmp(p[i].layerName, name) == 0;
  }
  tsr_free(a, p);
  return found;
}

static bool has_instance_ext(vk_fns *f, const char *layer, const char *name, const tsr_allocator *a) {
  uint32_t n = 0;
  if (f->vkEnumerateInstanceExtensionProperties(layer, &n, NULL) != VK_SUCCESS || n == 0) return false;
  VkExtensionProperties *p = tsr_alloc(a, sizeof(*p) * n, 0);
  if (p == NULL) return false;
  bool found = false;
  if (f->vkEnumerateInstanceExtensionProperties(layer, &n, p) == VK_SUCCESS) {
    for (uint32_t i = 0; i < n; ++i) found = found || strcmp(p[i].extensionName, name) == 0;
  }
  tsr_free(a, p);
  return found;
}

static bool has_device_ext(vk_fns *f, VkPhysicalDevice pd, const char *name, const tsr_allocator *a) {
  uint32_t n = 0;
  if (f->vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL) != VK_SUCCESS || n == 0) return false;
  VkExtensionProperties *p = tsr_alloc(a, sizeof(*p) * n, 0);
  if (p == NULL) return false;
  bool found = false;
  if (f->vkEnumerateDeviceExtensionProperties(pd, NULL, &n, p) == VK_SUCCESS) {
    for (uint32_t i = 0; i < n; ++i) found = found || strcmp(p[i].extensionName, name) == 0;
  }
  tsr_free(a, p);
  return found;
}

/* Creates an instance on |f| (loaded). With |t|, validation follows t->validation
 * and messages go to t. */
static tsr_status create_instance(vk_fns *f, vk_target *t, const tsr_allocator *a, VkInstance *out,
                                  uint32_t *out_api, tsr_error *err) {
  uint32_t loader = VK_API_VERSION_1_0;
  if (f->vkEnumerateInstanceVersion) {
    if (f->vkEnumerateInstanceVersion(&loader) != VK_SUCCESS) loader = VK_API_VERSION_1_0;
  }
  if (loader < VK_API_VERSION_1_1)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: the loader supports Vulkan %u.%u; 1.1 is needed",
                     VK_API_VERSION_MAJOR(loader), VK_API_VERSION_MINOR(loader));
  uint32_t api = loader >= VK_API_VERSION_1_2 ? VK_API_VERSION_1_2 : VK_API_VERSION_1_1;
  VkApplicationInfo app = {
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .pApplicationName = "tessera",
      .applicationVersion = 1,
      .pEngineName = "tessera",
      .engineVersion = 1,
      .apiVersion = api,
  };
  const char *layers[1];
  const char *exts[2];
  uint32_t n_layers = 0, n_exts = 0;
  const void *chain = NULL;
  VkDebugUtilsMessengerCreateInfoEXT dbg = {0};
  VkValidationFeaturesEXT vfeat = {0};
  static const VkValidationFeatureEnableEXT kSync[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
  if (t != NULL && t->validation) {
    if (!has_layer(f, VALIDATION_LAYER, a))
      return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: validation requested but %s is not installed",
                       VALIDATION_LAYER);
    layers[n_layers++] = VALIDATION_LAYER;
    if (!has_instance_ext(f, NULL, VK_EXT_DEBUG_UTILS_EXTENSION_NAME, a) &&
        !has_instance_ext(f, VALIDATION_LAYER, VK_EXT_DEBUG_UTILS_EXTENSION_NAME, a))
      return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: validation requested but %s is missing",
                       VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    exts[n_exts++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    dbg.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
    dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT;
    dbg.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                      VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    dbg.pfnUserCallback = debug_callback;
    dbg.pUserData = t;
    chain = &dbg;
    if (has_instance_ext(f, VALIDATION_LAYER, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME, a)) {
      exts[n_exts++] = VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME;
      vfeat.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT;
      vfeat.pNext = &dbg;
      vfeat.enabledValidationFeatureCount = 1;
      vfeat.pEnabledValidationFeatures = kSync;
      chain = &vfeat;
    }
  }
  VkInstanceCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .pNext = chain,
      .pApplicationInfo = &app,
      .enabledLayerCount = n_layers,
      .ppEnabledLayerNames = n_layers ? layers : NULL,
      .enabledExtensionCount = n_exts,
      .ppEnabledExtensionNames = n_exts ? exts : NULL,
  };
  VkInstance inst = VK_NULL_HANDLE;
  VkResult r = f->vkCreateInstance(&ci, NULL, &inst);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: no Vulkan driver (vkCreateInstance: VK_ERROR_INCOMPATIBLE_DRIVER)");
  if (r != VK_SUCCESS)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: vkCreateInstance failed: %s", tsr_vk_result_name(r));
  tsr_status s = tsr_vk_load_instance(f, inst, err);
  if (s != TSR_OK) {
    PFN_vkDestroyInstance destroy = (PFN_vkDestroyInstance)f->vkGetInstanceProcAddr(inst, "vkDestroyInstance");
    if (destroy) destroy(inst, NULL);
    return s;
  }
  if (t != NULL && t->validation) {
    /* The validation layer does not release its state when the loader
     * unloads it at vkDestroyInstance, so each create/destroy cycle would
     * leak it again: keep it loaded for the rest of the process instead. */
    tsr_vk_pin_library("libVkLayer_khronos_validation.so");
    if (f->vkCreateDebugUtilsMessengerEXT == NULL ||
        f->vkCreateDebugUtilsMessengerEXT(inst, &dbg, NULL, &t->messenger) != VK_SUCCESS) {
      f->vkDestroyInstance(inst, NULL);
      return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: could not create the debug messenger");
    }
  }
  *out = inst;
  *out_api = api;
  return TSR_OK;
}

/* ---- device selection ---- */

static int type_rank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 4;
    default: return 3;
  }
}

const char *tsr_vk_device_type_name(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
  }
}

/* Compute queue family (timestamps preferred), or -1. */
static int32_t compute_family(vk_fns *f, VkPhysicalDevice pd, const tsr_allocator *a, uint32_t *out_ts_bits) {
  uint32_t n = 0;
  f->vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, NULL);
  if (n == 0) return -1;
  VkQueueFamilyProperties *q = tsr_alloc(a, sizeof(*q) * n, 0);
  if (q == NULL) return -1;
  f->vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, q);
  int32_t best = -1;
  for (uint32_t i = 0; i < n; ++i) {
    if (!(q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) || q[i].queueCount == 0) continue;
    if (best < 0 || (q[best].timestampValidBits == 0 && q[i].timestampValidBits > 0)) best = (int32_t)i;
  }
  if (best >= 0) *out_ts_bits = q[best].timestampValidBits;
  tsr_free(a, q);
  return best;
}

/* Why |pd| cannot run Tessera's shaders, or NULL. */
static const char *unsuitable(vk_fns *f, VkPhysicalDevice pd, uint32_t instance_api, const tsr_allocator *a) {
  VkPhysicalDeviceProperties p;
  f->vkGetPhysicalDeviceProperties(pd, &p);
  uint32_t ts;
  if ((p.apiVersion < instance_api ? p.apiVersion : instance_api) < VK_API_VERSION_1_1) return "Vulkan 1.1 needed";
  if (compute_family(f, pd, a, &ts) < 0) return "no compute queue";
  if (p.limits.maxPerStageDescriptorStorageBuffers < TSR_VK_MAX_BINDINGS) return "fewer than 7 storage buffers per stage";
  if (p.limits.maxComputeWorkGroupInvocations < 64) return "fewer than 64 invocations per workgroup";
  if (p.limits.maxPushConstantsSize < 4) return "no push constants";
  return NULL;
}

/* Parses "", NULL or a decimal index. */
static bool parse_index(const char *spec, int32_t *out) {
  if (spec == NULL || *spec == '\0') {
    *out = -1;
    return true;
  }
  char *end = NULL;
  long v = strtol(spec, &end, 10);
  if (end == spec || *end != '\0' || v < 0 || v > 1000) return false;
  *out = (int32_t)v;
  return true;
}

/* ---- features ---- */

static void query_features(vk_target *t, const tsr_allocator *a, bool *ext8, bool *ext16i8) {
  vk_fns *f = &t->fn;
  bool v12 = t->api_version >= VK_API_VERSION_1_2;
  *ext8 = !v12 && has_device_ext(f, t->phys, VK_KHR_8BIT_STORAGE_EXTENSION_NAME, a);
  *ext16i8 = !v12 && has_device_ext(f, t->phys, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME, a);
  VkPhysicalDevice16BitStorageFeatures s16 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  VkPhysicalDevice8BitStorageFeatures s8 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
  VkPhysicalDeviceShaderFloat16Int8Features f16i8 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
  VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &s16};
  void **tail = &s16.pNext;
  if (v12 || *ext8) {
    *tail = &s8;
    tail = &s8.pNext;
  }
  if (v12 || *ext16i8) {
    *tail = &f16i8;
    tail = &f16i8.pNext;
  }
  f->vkGetPhysicalDeviceFeatures2(t->phys, &f2);
  VkPhysicalDeviceSubgroupProperties sg = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &sg};
  f->vkGetPhysicalDeviceProperties2(t->phys, &p2);
  t->subgroup_size = sg.subgroupSize ? sg.subgroupSize : 1;
  uint32_t avail = 0;
  const VkSubgroupFeatureFlags need = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
  if ((sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) && (sg.supportedOperations & need) == need)
    avail |= TSR_VK_FEAT_SUBGROUP;
  if (s16.storageBuffer16BitAccess) avail |= TSR_VK_FEAT_STORAGE16;
  if ((v12 || *ext8) && s8.storageBuffer8BitAccess) avail |= TSR_VK_FEAT_STORAGE8;
  t->fp16_arith = (v12 || *ext16i8) && f16i8.shaderFloat16;
  t->int8_arith = (v12 || *ext16i8) && f16i8.shaderInt8;
  t->features_available = avail;
}

static void choose_memory(vk_target *t) {
  vk_fns *f = &t->fn;
  f->vkGetPhysicalDeviceMemoryProperties(t->phys, &t->mem_props);
  const VkMemoryPropertyFlags DL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, HV = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                              HC = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, CA = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
  int32_t dev = -1, dev_only = -1, host = -1, host_cached = -1, unified = -1;
  for (uint32_t i = 0; i < t->mem_props.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags fl = t->mem_props.memoryTypes[i].propertyFlags;
    if ((fl & DL) && dev < 0) dev = (int32_t)i;
    if ((fl & DL) && !(fl & HV) && dev_only < 0) dev_only = (int32_t)i;
    if ((fl & (HV | HC)) == (HV | HC) && host < 0) host = (int32_t)i;
    if ((fl & (HV | HC | CA)) == (HV | HC | CA) && host_cached < 0) host_cached = (int32_t)i;
    if ((fl & (DL | HV | HC)) == (DL | HV | HC) && unified < 0) unified = (int32_t)i;
  }
  t->device_memory = 0;
  for (uint32_t i = 0; i < t->mem_props.memoryHeapCount; ++i) {
    if ((t->mem_props.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
        t->mem_props.memoryHeaps[i].size > t->device_memory)
      t->device_memory = t->mem_props.memoryHeaps[i].size;
  }
  VkPhysicalDeviceType ty = t->props.deviceType;
  bool soc = ty == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU || ty == VK_PHYSICAL_DEVICE_TYPE_CPU;
  t->unified = soc && unified >= 0;
  t->type_host = (uint32_t)(host_cached >= 0 ? host_cached : host);
  if (t->unified) {
    t->type_device = (uint32_t)unified;
  } else {
    t->type_device = (uint32_t)(dev_only >= 0 ? dev_only : (dev >= 0 ? dev : host));
  }
}

/* ---- pipeline cache file ---- */

static void cache_file_name(vk_target *t, const char *dir) {
  t->cache_path[0] = '\0';
#ifndef TSR_NO_FILEIO
  if (dir == NULL || *dir == '\0') return;
  char uuid[2 * VK_UUID_SIZE + 1];
  for (unsigned i = 0; i < VK_UUID_SIZE; ++i) snprintf(uuid + 2 * i, 3, "%02x", t->props.pipelineCacheUUID[i]);
  int n = snprintf(t->cache_path, sizeof(t->cache_path), "%s/tessera-vk-%04x-%04x-%s.cache", dir,
                   (unsigned)t->props.vendorID, (unsigned)t->props.deviceID, uuid);
  if (n < 0 || (size_t)n >= sizeof(t->cache_path)) t->cache_path[0] = '\0';
#else
  (void)dir;
#endif
}

/* Reads a saved cache if its header matches this device; NULL otherwise. */
static void *cache_load(vk_target *t, size_t *out_size) {
  *out_size = 0;
#ifndef TSR_NO_FILEIO
  if (t->cache_path[0] == '\0') return NULL;
  FILE *fp = fopen(t->cache_path, "rb");
  if (fp == NULL) return NULL;
  void *data = NULL;
  if (fseek(fp, 0, SEEK_END) == 0) {
    long n = ftell(fp);
    if (n >= 16 + VK_UUID_SIZE && n < (64l << 20) && fseek(fp, 0, SEEK_SET) == 0) {
      data = tsr_alloc(t->base.allocator, (size_t)n, 0);
      if (data && fread(data, 1, (size_t)n, fp) == (size_t)n) {
        const uint8_t *h = data;
        uint32_t hlen, hver, vendor, device;
        memcpy(&hlen, h, 4);
        memcpy(&hver, h + 4, 4);
        memcpy(&vendor, h + 8, 4);
        memcpy(&device, h + 12, 4);
        if (hver == VK_PIPELINE_CACHE_HEADER_VERSION_ONE && vendor == t->props.vendorID &&
            device == t->props.deviceID && memcmp(h + 16, t->props.pipelineCacheUUID, VK_UUID_SIZE) == 0) {
          *out_size = (size_t)n;
        }
      }
      if (*out_size == 0) {
        tsr_free(t->base.allocator, data);
        data = NULL;
      }
    }
  }
  fclose(fp);
  return data;
#else
  (void)t;
  return NULL;
#endif
}

static void cache_save(vk_target *t) {
#ifndef TSR_NO_FILEIO
  if (t->cache_path[0] == '\0' || t->pipeline_cache == VK_NULL_HANDLE) return;
  size_t n = 0;
  if (t->fn.vkGetPipelineCacheData(t->device, t->pipeline_cache, &n, NULL) != VK_SUCCESS || n == 0) return;
  void *data = tsr_alloc(t->base.allocator, n, 0);
  if (data == NULL) return;
  if (t->fn.vkGetPipelineCacheData(t->device, t->pipeline_cache, &n, data) == VK_SUCCESS) {
    char tmp[sizeof(t->cache_path) + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", t->cache_path);
    FILE *fp = fopen(tmp, "wb");
    if (fp != NULL) {
      bool ok = fwrite(data, 1, n, fp) == n;
      ok = fclose(fp) == 0 && ok;
      if (!ok || rename(tmp, t->cache_path) != 0) remove(tmp);
    }
  }
  tsr_free(t->base.allocator, data);
#else
  (void)t;
#endif
}

/* ---- open / close ---- */

static tsr_status create_device(vk_target *t, tsr_error *err) {
  vk_fns *f = &t->fn;
  const tsr_allocator *a = t->base.allocator;
  uint32_t ts_bits = 0;
  t->queue_family = (uint32_t)compute_family(f, t->phys, a, &ts_bits);
  bool ext8 = false, ext16i8 = false;
  query_features(t, a, &ext8, &ext16i8);
  t->features = t->features_available;
  const float prio = 1.0f;
  VkDeviceQueueCreateInfo q = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
      .queueFamilyIndex = t->queue_family,
      .queueCount = 1,
      .pQueuePriorities = &prio,
  };
  /* Enable exactly what the variants use. */
  VkPhysicalDevice16BitStorageFeatures s16 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  VkPhysicalDevice8BitStorageFeatures s8 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
  VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &s16};
  s16.storageBuffer16BitAccess = (t->features & TSR_VK_FEAT_STORAGE16) ? VK_TRUE : VK_FALSE;
  const char *exts[2];
  uint32_t n_exts = 0;
  if (t->features & TSR_VK_FEAT_STORAGE8) {
    s8.storageBuffer8BitAccess = VK_TRUE;
    s16.pNext = &s8;
    if (ext8) exts[n_exts++] = VK_KHR_8BIT_STORAGE_EXTENSION_NAME;
  }
  VkDeviceCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
      .pNext = &f2,
      .queueCreateInfoCount = 1,
      .pQueueCreateInfos = &q,
      .enabledExtensionCount = n_exts,
      .ppEnabledExtensionNames = n_exts ? exts : NULL,
  };
  VkResult r = f->vkCreateDevice(t->phys, &ci, NULL, &t->device);
  if (r != VK_SUCCESS) {
    t->device = VK_NULL_HANDLE;
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: vkCreateDevice on %s failed: %s", t->device_name,
                     tsr_vk_result_name(r));
  }
  tsr_status s = tsr_vk_load_device(f, t->device, err);
  if (s != TSR_OK) {
    PFN_vkDestroyDevice destroy = (PFN_vkDestroyDevice)f->vkGetDeviceProcAddr(t->device, "vkDestroyDevice");
    if (destroy) destroy(t->device, NULL);
    t->device = VK_NULL_HANDLE;
    return s;
  }
  f->vkGetDeviceQueue(t->device, t->queue_family, 0, &t->queue);
  t->timestamps = ts_bits > 0;
  t->ns_per_tick = t->props.limits.timestampPeriod;
  t->ts_mask = ts_bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << ts_bits) - 1);
  return TSR_OK;
}

static tsr_status create_shared_objects(vk_target *t, const tsr_target_options *opt, tsr_error *err) {
  vk_fns *f = &t->fn;
  VkDescriptorSetLayoutBinding b[TSR_VK_MAX_BINDINGS];
  for (uint32_t i = 0; i < TSR_VK_MAX_BINDINGS; ++i) {
    b[i] = (VkDescriptorSetLayoutBinding){
        .binding = i,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .descriptorCount = 1,
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    };
  }
  VkDescriptorSetLayoutCreateInfo dl = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = TSR_VK_MAX_BINDINGS,
      .pBindings = b,
  };
  VkResult r = f->vkCreateDescriptorSetLayout(t->device, &dl, NULL, &t->set_layout);
  if (r != VK_SUCCESS) return TSR_ERROR(err, TSR_ERR_DEVICE, "vulkan: descriptor set layout: %s", tsr_vk_result_name(r));
  VkPushConstantRange pcr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = 4};
  VkPipelineLayoutCreateInfo pl = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
      .setLayoutCount = 1,
      .pSetLayouts = &t->set_layout,
      .pushConstantRangeCount = 1,
      .pPushConstantRanges = &pcr,
  };
  r = f->vkCreatePipelineLayout(t->device, &pl, NULL, &t->pipeline_layout);
  if (r != VK_SUCCESS) return TSR_ERROR(err, TSR_ERR_DEVICE, "vulkan: pipeline layout: %s", tsr_vk_result_name(r));
  cache_file_name(t, opt->cache_dir);
  size_t cache_n = 0;
  void *cache = cache_load(t, &cache_n);
  VkPipelineCacheCreateInfo pc = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
      .initialDataSize = cache_n,
      .pInitialData = cache,
  };
  r = f->vkCreatePipelineCache(t->device, &pc, NULL, &t->pipeline_cache);
  tsr_free(t->base.allocator, cache);
  t->cache_loaded = r == VK_SUCCESS ? cache_n : 0;
  if (r != VK_SUCCESS) return TSR_ERROR(err, TSR_ERR_DEVICE, "vulkan: pipeline cache: %s", tsr_vk_result_name(r));
  VkCommandPoolCreateInfo cp = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
      .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
      .queueFamilyIndex = t->queue_family,
  };
  r = f->vkCreateCommandPool(t->device, &cp, NULL, &t->cmd_pool);
  if (r != VK_SUCCESS) return TSR_ERROR(err, TSR_ERR_DEVICE, "vulkan: command pool: %s", tsr_vk_result_name(r));
  VkCommandBufferAllocateInfo cb = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
      .commandPool = t->cmd_pool,
      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
      .commandBufferCount = 1,
  };
  r = f->vkAllocateCommandBuffers(t->device, &cb, &t->xfer_cmd);
  if (r != VK_SUCCESS) return TSR_ERROR(err, TSR_ERR_DEVICE, "vulkan: command buffer: %s", tsr_vk_result_name(r));
  VkFenceCreateInfo fc = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  r = f->vkCreateFence(t->device, &fc, NULL, &t->fence);
  if (r == VK_SUCCESS) r = f->vkCreateFence(t->device, &fc, NULL, &t->xfer_fence);
  if (r != VK_SUCCESS) return TSR_ERROR(err, TSR_ERR_DEVICE, "vulkan: fence: %s", tsr_vk_result_name(r));
  t->n_spirv = 0;
  while (tsr_vk_spirv_table[t->n_spirv].name != NULL) t->n_spirv++;
  t->modules = tsr_alloc(t->base.allocator, sizeof(VkShaderModule) * t->n_spirv, 0);
  if (t->modules == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "vulkan: shader module table");
  for (uint32_t i = 0; i < t->n_spirv; ++i) t->modules[i] = VK_NULL_HANDLE;
  return TSR_OK;
}

tsr_status tsr_vk_device_open(vk_target *t, const char *spec, const tsr_target_options *opt, tsr_error *err) {
  const tsr_allocator *a = t->base.allocator;
  int32_t want = -1;
  if (!parse_index(spec, &want))
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "vulkan: bad device index '%s' (vulkan or vulkan:INDEX)", spec);
  t->validation = opt->validation;
  TSR_TRY(tsr_vk_load_library(&t->fn, err));
  uint32_t inst_api = 0;
  TSR_TRY(create_instance(&t->fn, t, a, &t->instance, &inst_api, err));
  vk_fns *f = &t->fn;
  uint32_t n = 0;
  VkResult r = f->vkEnumeratePhysicalDevices(t->instance, &n, NULL);
  if (r != VK_SUCCESS && r != VK_INCOMPLETE)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: vkEnumeratePhysicalDevices: %s", tsr_vk_result_name(r));
  if (n == 0) return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: no Vulkan device");
  VkPhysicalDevice *pds = tsr_alloc(a, sizeof(VkPhysicalDevice) * n, 0);
  if (pds == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "vulkan: device list");
  r = f->vkEnumeratePhysicalDevices(t->instance, &n, pds);
  int32_t chosen = -1;
  const char *why = NULL;
  if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
    why = tsr_vk_result_name(r);
  } else if (want >= 0) {
    if ((uint32_t)want >= n) {
      tsr_free(a, pds);
      return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan:%d: no such device (%u present)", (int)want, (unsigned)n);
    }
    why = unsuitable(f, pds[want], inst_api, a);
    if (why == NULL) chosen = want;
  } else {
    /* Best suitable device: discrete, integrated, virtual, other, then a CPU
     * implementation (lavapipe): that one is taken only when nothing ranks
     * higher, whether or not opt->allow_cpu_device is set. */
    int best_rank = 99;
    for (uint32_t i = 0; i < n; ++i) {
      const char *w = unsuitable(f, pds[i], inst_api, a);
      if (w != NULL) {
        why = w;
        continue;
      }
      VkPhysicalDeviceProperties p;
      f->vkGetPhysicalDeviceProperties(pds[i], &p);
      int rank = type_rank(p.deviceType);
      if (rank < best_rank) {
        best_rank = rank;
        chosen = (int32_t)i;
      }
    }
  }
  if (chosen < 0) {
    tsr_free(a, pds);
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: no usable device (%s)", why ? why : "none");
  }
  t->phys = pds[chosen];
  t->device_index = (uint32_t)chosen;
  tsr_free(a, pds);
  f->vkGetPhysicalDeviceProperties(t->phys, &t->props);
  t->api_version = t->props.apiVersion < inst_api ? t->props.apiVersion : inst_api;
  snprintf(t->device_name, sizeof(t->device_name), "%s", t->props.deviceName);
  snprintf(t->name, sizeof(t->name), "vulkan:%u", (unsigned)t->device_index);
  const VkPhysicalDeviceLimits *L = &t->props.limits;
  t->max_range = L->maxStorageBufferRange;
  VkPhysicalDeviceMaintenance3Properties m3 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
  VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &m3};
  f->vkGetPhysicalDeviceProperties2(t->phys, &p2);
  t->max_alloc = m3.maxMemoryAllocationSize ? m3.maxMemoryAllocationSize : ((uint64_t)1 << 30);
  for (int i = 0; i < 3; ++i) t->max_groups[i] = L->maxComputeWorkGroupCount[i];
  t->max_invocations = L->maxComputeWorkGroupInvocations;
  if (L->maxComputeWorkGroupSize[0] < t->max_invocations) t->max_invocations = L->maxComputeWorkGroupSize[0];
  t->shared_bytes = L->maxComputeSharedMemorySize;
  t->ssbo_align = (uint32_t)L->minStorageBufferOffsetAlignment;
  if (t->ssbo_align == 0) t->ssbo_align = 1;
  if (t->ssbo_align > TSR_VK_SUBALLOC_ALIGN)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "vulkan: minStorageBufferOffsetAlignment %u too large",
                     (unsigned)t->ssbo_align);
  choose_memory(t);
  TSR_TRY(create_device(t, err));
  TSR_TRY(create_shared_objects(t, opt, err));
  tsr_status ms = tsr_vk_memory_init(t);
  if (ms != TSR_OK) {
    tsr_error_copy(err, &t->base.error);
    return ms;
  }
  if (t->validation_errors > 0) {
    tsr_status s = tsr_vk_check_validation(t, "device creation");
    tsr_error_copy(err, &t->base.error);
    return s;
  }
  return TSR_OK;
}

void tsr_vk_device_close(vk_target *t) {
  vk_fns *f = &t->fn;
  if (t->device != VK_NULL_HANDLE) {
    f->vkDeviceWaitIdle(t->device);
    tsr_vk_pipelines_deinit(t);
    cache_save(t);
    tsr_vk_memory_deinit(t);
    if (t->pipeline_cache) f->vkDestroyPipelineCache(t->device, t->pipeline_cache, NULL);
    if (t->pipeline_layout) f->vkDestroyPipelineLayout(t->device, t->pipeline_layout, NULL);
    if (t->set_layout) f->vkDestroyDescriptorSetLayout(t->device, t->set_layout, NULL);
    if (t->fence) f->vkDestroyFence(t->device, t->fence, NULL);
    if (t->xfer_fence) f->vkDestroyFence(t->device, t->xfer_fence, NULL);
    /* Freed explicitly: the validation layer leaks the state of command
     * buffers that vkDestroyCommandPool frees implicitly. */
    if (t->xfer_cmd) f->vkFreeCommandBuffers(t->device, t->cmd_pool, 1, &t->xfer_cmd);
    if (t->cmd_pool) f->vkDestroyCommandPool(t->device, t->cmd_pool, NULL);
    f->vkDestroyDevice(t->device, NULL);
    t->device = VK_NULL_HANDLE;
  }
  tsr_free(t->base.allocator, t->modules);
  t->modules = NULL;
  if (t->instance != VK_NULL_HANDLE) {
    if (t->messenger != VK_NULL_HANDLE && f->vkDestroyDebugUtilsMessengerEXT)
      f->vkDestroyDebugUtilsMessengerEXT(t->instance, t->messenger, NULL);
    f->vkDestroyInstance(t->instance, NULL);
    t->instance = VK_NULL_HANDLE;
  }
  tsr_vk_unload_library(f);
}

uint32_t tsr_vk_enumerate(char (*out)[32], uint32_t cap) {
  vk_fns f;
  tsr_error err;
  tsr_allocator a = tsr_allocator_system();
  if (tsr_vk_load_library(&f, &err) != TSR_OK) return 0;
  VkInstance inst = VK_NULL_HANDLE;
  uint32_t api = 0, n = 0;
  if (create_instance(&f, NULL, &a, &inst, &api, &err) == TSR_OK) {
    if (f.vkEnumeratePhysicalDevices(inst, &n, NULL) != VK_SUCCESS) n = 0;
    for (uint32_t i = 0; i < n && i < cap; ++i) snprintf(out[i], 32, "vulkan:%u", (unsigned)i);
    f.vkDestroyInstance(inst, NULL);
  }
  tsr_vk_unload_library(&f);
  return n;
}
