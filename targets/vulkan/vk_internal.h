/* Internals of the Vulkan target, shared by its source files.
 *
 * Object model: one vk_target per device (instance, device, queue, the
 * function table, memory chunks, shader modules, pipelines); command lists
 * (struct tsr_cmdlist) hold one pre-recorded command buffer each. Nothing
 * lives in process globals: the loader library handle and every function
 * pointer are members of the target (or of a short-lived probe in
 * enumerate). Not thread-safe: one thread drives a target at a time. */
#ifndef TESSERA_TARGETS_VULKAN_VK_INTERNAL_H_
#define TESSERA_TARGETS_VULKAN_VK_INTERNAL_H_

#define VK_NO_PROTOTYPES 1
#include <vulkan/vulkan.h>

#include "kernels/common/vulkan/params.h"
#include "targets/vulkan/vk_shaders.h"
#include "targets/vulkan/vulkan_target.h"
#include "tessera/tessera.h"

/* Device features the shader variants may need (vk_shaders.h features). */
enum {
  TSR_VK_FEAT_SUBGROUP = 1u << 0,  /* subgroup basic + arithmetic in compute */
  TSR_VK_FEAT_STORAGE16 = 1u << 1, /* storageBuffer16BitAccess */
  TSR_VK_FEAT_STORAGE8 = 1u << 2,  /* storageBuffer8BitAccess */
};

/* ---- the function table ---------------------------------------------- */

#define TSR_VK_GLOBAL_FNS(X)                 \
  X(vkCreateInstance)                        \
  X(vkEnumerateInstanceLayerProperties)      \
  X(vkEnumerateInstanceExtensionProperties)

#define TSR_VK_INSTANCE_FNS(X)                     \
  X(vkDestroyInstance)                             \
  X(vkEnumeratePhysicalDevices)                    \
  X(vkGetPhysicalDeviceProperties)                 \
  X(vkGetPhysicalDeviceProperties2)                \
  X(vkGetPhysicalDeviceFeatures2)                  \
  X(vkGetPhysicalDeviceMemoryProperties)           \
  X(vkGetPhysicalDeviceQueueFamilyProperties)      \
  X(vkEnumerateDeviceExtensionProperties)          \
  X(vkCreateDevice)                                \
  X(vkGetDeviceProcAddr)

#define TSR_VK_DEBUG_FNS(X)             \
  X(vkCreateDebugUtilsMessengerEXT)     \
  X(vkDestroyDebugUtilsMessengerEXT)

#define TSR_VK_DEVICE_FNS(X)              \
  X(vkDestroyDevice)                      \
  X(vkGetDeviceQueue)                     \
  X(vkAllocateMemory)                     \
  X(vkFreeMemory)                         \
  X(vkMapMemory)                          \
  X(vkUnmapMemory)                        \
  X(vkCreateBuffer)                       \
  X(vkDestroyBuffer)                      \
  X(vkGetBufferMemoryRequirements)        \
  X(vkBindBufferMemory)                   \
  X(vkCreateShaderModule)                 \
  X(vkDestroyShaderModule)                \
  X(vkCreatePipelineCache)                \
  X(vkDestroyPipelineCache)               \
  X(vkGetPipelineCacheData)               \
  X(vkCreateDescriptorSetLayout)          \
  X(vkDestroyDescriptorSetLayout)         \
  X(vkCreatePipelineLayout)               \
  X(vkDestroyPipelineLayout)              \
  X(vkCreateComputePipelines)             \
  X(vkDestroyPipeline)                    \
  X(vkCreateDescriptorPool)               \
  X(vkDestroyDescriptorPool)              \
  X(vkAllocateDescriptorSets)             \
  X(vkUpdateDescriptorSets)               \
  X(vkCreateCommandPool)                  \
  X(vkDestroyCommandPool)                 \
  X(vkAllocateCommandBuffers)             \
  X(vkFreeCommandBuffers)                 \
  X(vkBeginCommandBuffer)                 \
  X(vkEndCommandBuffer)                   \
  X(vkResetCommandBuffer)                 \
  X(vkCmdBindPipeline)                    \
  X(vkCmdBindDescriptorSets)              \
  X(vkCmdPushConstants)                   \
  X(vkCmdDispatch)                        \
  X(vkCmdPipelineBarrier)                 \
  X(vkCmdCopyBuffer)                      \
  X(vkCmdFillBuffer)                      \
  X(vkCmdWriteTimestamp)                  \
  X(vkCmdResetQueryPool)                  \
  X(vkCreateQueryPool)                    \
  X(vkDestroyQueryPool)                   \
  X(vkGetQueryPoolResults)                \
  X(vkCreateFence)                        \
  X(vkDestroyFence)                       \
  X(vkResetFences)                        \
  X(vkWaitForFences)                      \
  X(vkQueueSubmit)                        \
  X(vkQueueWaitIdle)                      \
  X(vkDeviceWaitIdle)

#define TSR_VK_FN_MEMBER_(name) PFN_##name name;

typedef struct vk_fns {
  void *lib; /* dlopen handle of the loader */
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
  PFN_vkEnumerateInstanceVersion vkEnumerateInstanceVersion; /* NULL: a 1.0 loader */
  TSR_VK_GLOBAL_FNS(TSR_VK_FN_MEMBER_)
  TSR_VK_INSTANCE_FNS(TSR_VK_FN_MEMBER_)
  TSR_VK_DEBUG_FNS(TSR_VK_FN_MEMBER_)
  TSR_VK_DEVICE_FNS(TSR_VK_FN_MEMBER_)
} vk_fns;

/* Opens the loader and resolves the global functions. */
TSR_NODISCARD tsr_status tsr_vk_load_library(vk_fns *f, tsr_error *err);
/* Resolves the instance-level functions (debug ones may stay NULL). */
TSR_NODISCARD tsr_status tsr_vk_load_instance(vk_fns *f, VkInstance inst, tsr_error *err);
TSR_NODISCARD tsr_status tsr_vk_load_device(vk_fns *f, VkDevice dev, tsr_error *err);
void tsr_vk_unload_library(vk_fns *f);
/* Marks an already loaded library (by soname) never to be unloaded; no-op if
 * it is not loaded. */
void tsr_vk_pin_library(const char *soname);
/* "VK_ERROR_OUT_OF_DEVICE_MEMORY" etc. */
const char *tsr_vk_result_name(VkResult r);

/* ---- memory ------------------------------------------------------------ */

typedef struct vk_range {
  uint64_t offset, size;
} vk_range;

/* One device allocation with one VkBuffer over all of it; tsr_buffers are
 * ranges of a chunk (tsr_buffer.handle = chunk, .handle_offset = offset). */
typedef struct vk_chunk {
  VkDeviceMemory memory;
  VkBuffer buffer;
  uint64_t size;
  uint8_t *host;          /* persistently mapped, or NULL */
  uint32_t type_index;
  bool host_visible;
  bool dedicated;         /* made for one large request: freed when empty */
  uint64_t used;
  vk_range *free;         /* sorted, coalesced free ranges */
  uint32_t n_free, cap_free;
} vk_chunk;

#define TSR_VK_SUBALLOC_ALIGN 256u /* >= any minStorageBufferOffsetAlignment */

/* ---- pipelines ----------------------------------------------------------- */

typedef struct vk_pipeline {
  uint32_t spirv;   /* index into tsr_vk_spirv_table */
  uint32_t spec[3]; /* WG, then kernel-specific tile constants */
  VkPipeline pipeline;
} vk_pipeline;

/* ---- the target ---------------------------------------------------------- */

typedef struct vk_target {
  tsr_target base;
  vk_fns fn;
  VkInstance instance;
  VkDebugUtilsMessengerEXT messenger;
  VkPhysicalDevice phys;
  VkDevice device;
  VkQueue queue;
  uint32_t queue_family;
  uint32_t device_index;
  uint32_t api_version;      /* effective: min(instance, device) */
  VkPhysicalDeviceProperties props;
  VkPhysicalDeviceMemoryProperties mem_props;
  uint32_t features_available; /* TSR_VK_FEAT_* the device offers */
  uint32_t features;           /* TSR_VK_FEAT_* the variants may use (enabled) */
  bool fp16_arith, int8_arith; /* reported only */
  uint32_t subgroup_size;
  uint64_t max_range;          /* maxStorageBufferRange */
  uint64_t max_alloc;          /* maxMemoryAllocationSize */
  uint64_t device_memory;      /* largest device-local heap */
  uint32_t max_groups[3];
  uint32_t max_invocations;
  uint32_t shared_bytes;
  uint32_t ssbo_align;         /* minStorageBufferOffsetAlignment */
  bool unified;                /* device-local memory is host-visible */
  bool force_staging;          /* test hook: never map device memory */
  bool skip_barriers;          /* test hook: record hazards on purpose */
  uint64_t cache_loaded;       /* pipeline cache bytes read at creation */
  uint32_t type_device;        /* memory type for weights, arenas, state */
  uint32_t type_host;          /* host-visible coherent type (staging, control) */
  bool timestamps;
  double ns_per_tick;
  uint64_t ts_mask;
  char name[32];
  char device_name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
  /* Pipelines. */
  VkDescriptorSetLayout set_layout;
  VkPipelineLayout pipeline_layout;
  VkPipelineCache pipeline_cache;
  char cache_path[512];        /* empty: no persistent cache */
  VkShaderModule *modules;     /* per tsr_vk_spirv_table entry, lazily */
  uint32_t n_spirv;
  vk_pipeline *pipelines;
  uint32_t n_pipelines, cap_pipelines;
  /* Submission. */
  VkCommandPool cmd_pool;
  VkCommandBuffer xfer_cmd;
  VkFence fence;               /* command lists */
  VkFence xfer_fence;          /* staging copies */
  struct tsr_cmdlist *pending; /* submitted, not waited for */
  /* Memory. */
  vk_chunk **chunks;
  uint32_t n_chunks, cap_chunks;
  vk_chunk *staging;           /* host-visible bounce buffer, NULL when unified */
  uint64_t chunk_size;
  /* Validation. */
  bool validation;
  uint32_t validation_errors;  /* since last reported */
  uint32_t validation_total;
  char validation_message[200];
} vk_target;

static inline vk_target *tsr_vk_cast(tsr_target *t) { return (vk_target *)t; }
static inline const vk_target *tsr_vk_ccast(const tsr_target *t) { return (const vk_target *)t; }

#define VK_FAIL(vt, code, ...) TSR_ERROR(&(vt)->base.error, code, __VA_ARGS__)

/* Reports (once) and clears validation errors recorded since the last call:
 * TSR_ERR_DEVICE quoting the first message. */
TSR_NODISCARD tsr_status tsr_vk_check_validation(vk_target *t, const char *where);

/* Entry points named in hal/backends.c. */
tsr_status tsr_vulkan_backend_create(const char *spec, const tsr_target_options *opt, const tsr_allocator *a,
                                     tsr_target **out, tsr_error *err);
uint32_t tsr_vulkan_backend_enumerate(char (*out)[32], uint32_t cap);

/* vk_device.c: instance, device selection and creation, teardown. */
TSR_NODISCARD tsr_status tsr_vk_device_open(vk_target *t, const char *spec, const tsr_target_options *opt,
                                            tsr_error *err);
void tsr_vk_device_close(vk_target *t);
uint32_t tsr_vk_enumerate(char (*out)[32], uint32_t cap);
const char *tsr_vk_device_type_name(VkPhysicalDeviceType type);

/* vk_memory.c */
TSR_NODISCARD tsr_status tsr_vk_memory_init(vk_target *t);
void tsr_vk_memory_deinit(vk_target *t);
TSR_NODISCARD tsr_status tsr_vk_buffer_alloc(tsr_target *t, uint64_t size, uint32_t usage, tsr_buffer *out);
void tsr_vk_buffer_free(tsr_target *t, tsr_buffer *buf);
TSR_NODISCARD tsr_status tsr_vk_buffer_map(tsr_target *t, tsr_buffer *buf, void **out);
TSR_NODISCARD tsr_status tsr_vk_upload(tsr_target *t, tsr_buffer *buf, uint64_t off, const void *src, uint64_t n);
TSR_NODISCARD tsr_status tsr_vk_download(tsr_target *t, const tsr_buffer *buf, uint64_t off, void *dst, uint64_t n);

/* vk_ops.c: what each op needs from the device. */
typedef struct vk_op_plan {
  char kernel[32];          /* base variant name ("matmul_q8_0") */
  uint32_t spec[3];         /* specialisation constants */
  uint32_t groups[3];       /* workgroups, x and y already split to the limits */
  uint32_t n_tensors;       /* bindings 1.. (destination first) */
  const tsr_tensor *tensors[TSR_VK_MAX_BINDINGS - 1];
  uint32_t n_words;
  uint32_t *words;          /* parameter block, n_words (caller's storage) */
} vk_op_plan;

/* Words the parameter block of |op| needs (upper bound). */
uint32_t tsr_vk_op_words(const tsr_op *op);
bool tsr_vk_supports_op(const vk_target *t, const tsr_op *op);
/* Fills |plan| (plan->words must hold tsr_vk_op_words(op) words). Tensors
 * must be bound to buffers of this target. */
TSR_NODISCARD tsr_status tsr_vk_plan_op(vk_target *t, const tsr_op *op, vk_op_plan *plan);
/* Byte offset of |tt| inside its chunk, and the part of it below the
 * descriptor alignment (the tensor's base inside its binding). */
uint64_t tsr_vk_tensor_offset(const tsr_tensor *tt);
uint32_t tsr_vk_tensor_base(const vk_target *t, const tsr_tensor *tt);
/* Bytes spanned by |tt| from its first element. */
uint64_t tsr_vk_tensor_span(const tsr_tensor *tt);

/* vk_cmdlist.c */
TSR_NODISCARD tsr_status tsr_vk_prepare(tsr_target *t, const tsr_op *ops, uint32_t n_ops, tsr_cmdlist **out);
TSR_NODISCARD tsr_status tsr_vk_submit(tsr_target *t, tsr_cmdlist *list, const tsr_dyn_values *dyn);
TSR_NODISCARD tsr_status tsr_vk_wait(tsr_target *t);
void tsr_vk_release(tsr_target *t, tsr_cmdlist *list);
TSR_NODISCARD tsr_status tsr_vk_get_profile(tsr_target *t, tsr_cmdlist *list, tsr_op_timing *out, uint32_t cap,
                                            uint32_t *out_n);
/* Pipelines and shader modules, freed with the target. */
TSR_NODISCARD tsr_status tsr_vk_pipeline_get(vk_target *t, const char *kernel, const uint32_t spec[3],
                                             VkPipeline *out, const char **out_variant);
void tsr_vk_pipelines_deinit(vk_target *t);

#endif /* TESSERA_TARGETS_VULKAN_VK_INTERNAL_H_ */
