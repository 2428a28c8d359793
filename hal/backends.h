/* Optional backends (GPU, NPU) compiled into the library. Each one adds an
 * entry to hal/backends.c. */
#ifndef TESSERA_HAL_BACKENDS_H_
#define TESSERA_HAL_BACKENDS_H_

#include "tessera/tessera.h"

typedef struct tsr_backend {
  const char *name; /* "vulkan", "opencl" */
  /* Creates device |spec| ("1", "0:1", or NULL for the default). */
  tsr_status (*create)(const char *spec, const tsr_target_options *opt, const tsr_allocator *a,
                       tsr_target **out, tsr_error *err);
  /* Names of the devices present ("vulkan:0"); 0 if none or no driver. */
  uint32_t (*enumerate)(char (*out)[32], uint32_t cap);
} tsr_backend;

extern const tsr_backend tsr_backends[];
extern const size_t tsr_backend_count;
extern const char tsr_backend_names[]; /* "vulkan, opencl" */

/* CPU target internals used by the registry. */
void tsr_cpu_target_set_name(tsr_target *t, const char *name);
void tsr_cpu_target_restrict(tsr_target *t, uint32_t isa);

#endif /* TESSERA_HAL_BACKENDS_H_ */
