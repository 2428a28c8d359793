/* Hooks of the Vulkan target for Tessera's own tests and benchmarks. Not
 * part of the public API (include/tessera): names and behaviour may change.
 * Every function checks that |t| is a Vulkan target and does nothing (or
 * returns TSR_ERR_INVALID_ARGUMENT) otherwise. */
#ifndef TESSERA_TARGETS_VULKAN_VULKAN_TARGET_H_
#define TESSERA_TARGETS_VULKAN_VULKAN_TARGET_H_

#include "tessera/tessera.h"

/* True if |t| was made by the Vulkan backend. */
bool tsr_vulkan_is_target(const tsr_target *t);

/* Restricts the shader variants to those needing only the TSR_VK_FEAT_* bits
 * in |mask| (0: the plain fallbacks, which every device runs). Affects
 * command lists prepared afterwards. */
void tsr_vulkan_restrict_features(tsr_target *t, uint32_t mask);
/* The TSR_VK_FEAT_* bits the variants may use now. */
uint32_t tsr_vulkan_features(const tsr_target *t);

/* Makes buffers avoid host-visible device memory, so uploads and downloads
 * go through the staging buffer as on a discrete GPU. Only before the first
 * buffer_alloc; TSR_ERR_STATE after. */
TSR_NODISCARD tsr_status tsr_vulkan_force_staging(tsr_target *t);

typedef struct tsr_vulkan_list_stats {
  uint32_t ops;        /* ops recorded */
  uint32_t dispatches; /* vkCmdDispatch calls */
  uint32_t barriers;   /* pipeline barriers between dispatches */
  uint32_t submits;    /* vkQueueSubmit calls so far */
} tsr_vulkan_list_stats;

/* Counts of a prepared command list. */
TSR_NODISCARD tsr_status tsr_vulkan_list_stats_get(const tsr_target *t, const tsr_cmdlist *list,
                                                   tsr_vulkan_list_stats *out);
/* Name of the SPIR-V variant op |i| of |list| runs ("matmul_q8_0_sg_s8"), or
 * NULL. */
const char *tsr_vulkan_list_variant(const tsr_target *t, const tsr_cmdlist *list, uint32_t i);
/* Validation-layer messages at error severity since the target was created. */
uint32_t tsr_vulkan_validation_errors(const tsr_target *t);

/* Records command lists prepared afterwards without the barriers between
 * dependent dispatches: wrong on purpose, so tests can show that the
 * validation layer's synchronization checks catch a missing barrier. */
void tsr_vulkan_debug_skip_barriers(tsr_target *t, bool skip);

/* Bytes of pipeline cache loaded from tsr_target_options.cache_dir when the
 * target was created (0: none or not matching this device and driver). */
uint64_t tsr_vulkan_pipeline_cache_loaded(const tsr_target *t);

#endif /* TESSERA_TARGETS_VULKAN_VULKAN_TARGET_H_ */
