/* The table of optional backends built into this library. */
#include "hal/backends.h"

#ifdef TSR_HAVE_VULKAN
tsr_status tsr_vulkan_backend_create(const char *spec, const tsr_target_options *opt,
                                     const tsr_allocator *a, tsr_target **out, tsr_error *err);
uint32_t tsr_vulkan_backend_enumerate(char (*out)[32], uint32_t cap);
#endif
#ifdef TSR_HAVE_OPENCL
tsr_status tsr_opencl_backend_create(const char *spec, const tsr_target_options *opt,
                                     const tsr_allocator *a, tsr_target **out, tsr_error *err);
uint32_t tsr_opencl_backend_enumerate(char (*out)[32], uint32_t cap);
#endif

const tsr_backend tsr_backends[] = {
#ifdef TSR_HAVE_VULKAN
    {"vulkan", tsr_vulkan_backend_create, tsr_vulkan_backend_enumerate},
#endif
#ifdef TSR_HAVE_OPENCL
    {"opencl", tsr_opencl_backend_create, tsr_opencl_backend_enumerate},
#endif
    {NULL, NULL, NULL},
};

const size_t tsr_backend_count = sizeof(tsr_backends) / sizeof(tsr_backends[0]) - 1;

const char tsr_backend_names[] = ""
#ifdef TSR_HAVE_VULKAN
                                 "vulkan "
#endif
#ifdef TSR_HAVE_OPENCL
                                 "opencl "
#endif
    ;
