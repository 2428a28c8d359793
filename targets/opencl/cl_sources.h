/* The OpenCL C sources of the kernels, embedded at build time
 * (targets/opencl/embed_cl.cmake generates the table). */
#ifndef TESSERA_TARGETS_OPENCL_CL_SOURCES_H_
#define TESSERA_TARGETS_OPENCL_CL_SOURCES_H_

#include <stddef.h>

typedef struct tsr_cl_source {
  const char *name; /* file name without ".cl": "common", "matmul" */
  const char *text; /* NUL-terminated */
  size_t size;      /* bytes, without the NUL */
} tsr_cl_source;

extern const tsr_cl_source tsr_cl_sources[];
extern const size_t tsr_cl_source_count;

#endif /* TESSERA_TARGETS_OPENCL_CL_SOURCES_H_ */
