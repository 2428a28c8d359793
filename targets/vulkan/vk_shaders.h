/* The SPIR-V variants embedded in the library (vk_shaders_gen.c, generated
 * from the kernels/<op>/vulkan compute shaders by targets/vulkan/CMakeLists.txt). */
#ifndef TESSERA_TARGETS_VULKAN_VK_SHADERS_H_
#define TESSERA_TARGETS_VULKAN_VK_SHADERS_H_

#include <stddef.h>
#include <stdint.h>

typedef struct tsr_vk_spirv {
  const char *name;     /* "matmul_q8_0_sg_s8": kernel, dtype, then _sg / _s16 / _s8 */
  const uint32_t *code; /* SPIR-V words */
  size_t size;          /* bytes */
  uint32_t features;    /* TSR_VK_FEAT_* the variant needs */
} tsr_vk_spirv;

/* Terminated by an entry with name NULL. */
extern const tsr_vk_spirv tsr_vk_spirv_table[];

#endif /* TESSERA_TARGETS_VULKAN_VK_SHADERS_H_ */
