/* Loading the OpenCL ICD loader, and OpenCL error names. */
#include "targets/opencl/cl_api.h"

#include <dlfcn.h>
#include <string.h>

tsr_status tsr_cl_api_load(tsr_cl_api *api, tsr_error *err) {
  static const char *const kNames[] = {"libOpenCL.so.1", "libOpenCL.so"};
  memset(api, 0, sizeof(*api));
  /* RTLD_NODELETE: an ICD keeps worker threads alive after the last
   * reference, so the loader and the driver must never be unmapped. */
  for (size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]) && api->lib == NULL; ++i)
    api->lib = dlopen(kNames[i], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (api->lib == NULL)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "opencl: no OpenCL ICD loader (libOpenCL.so.1) on this machine");
#define TSR_CL_LOAD_(ret, name, params)                                                              \
  do {                                                                                             \
    void *sym = dlsym(api->lib, #name);                                                            \
    if (sym == NULL) {                                                                             \
      tsr_cl_api_unload(api);                                                                      \
      return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "opencl: the ICD loader lacks %s", #name);        \
    }                                                                                              \
    memcpy(&api->name, &sym, sizeof(sym));                                                         \
  } while (0);
  TSR_CL_FUNCTIONS(TSR_CL_LOAD_)
#undef TSR_CL_LOAD_
  return TSR_OK;
}

void tsr_cl_api_unload(tsr_cl_api *api) {
  if (api->lib != NULL) dlclose(api->lib);
  memset(api, 0, sizeof(*api));
}

const char *tsr_cl_error_name(cl_int code) {
  switch (code) {
#define E_(c) \
  case c: return #c;
    E_(CL_SUCCESS)
    E_(CL_DEVICE_NOT_FOUND)
    E_(CL_DEVICE_NOT_AVAILABLE)
    E_(CL_COMPILER_NOT_AVAILABLE)
    E_(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    E_(CL_OUT_OF_RESOURCES)
    E_(CL_OUT_OF_HOST_MEMORY)
    E_(CL_PROFILING_INFO_NOT_AVAILABLE)
    E_(CL_MEM_COPY_OVERLAP)
    E_(CL_IMAGE_FORMAT_MISMATCH)
    E_(CL_IMAGE_FORMAT_NOT_SUPPORTED)
    E_(CL_BUILD_PROGRAM_FAILURE)
    E_(CL_MAP_FAILURE)
    E_(CL_MISALIGNED_SUB_BUFFER_OFFSET)
    E_(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    E_(CL_COMPILE_PROGRAM_FAILURE)
    E_(CL_LINKER_NOT_AVAILABLE)
    E_(CL_LINK_PROGRAM_FAILURE)
    E_(CL_DEVICE_PARTITION_FAILED)
    E_(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
    E_(CL_INVALID_VALUE)
    E_(CL_INVALID_DEVICE_TYPE)
    E_(CL_INVALID_PLATFORM)
    E_(CL_INVALID_DEVICE)
    E_(CL_INVALID_CONTEXT)
    E_(CL_INVALID_QUEUE_PROPERTIES)
    E_(CL_INVALID_COMMAND_QUEUE)
    E_(CL_INVALID_HOST_PTR)
    E_(CL_INVALID_MEM_OBJECT)
    E_(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
    E_(CL_INVALID_IMAGE_SIZE)
    E_(CL_INVALID_SAMPLER)
    E_(CL_INVALID_BINARY)
    E_(CL_INVALID_BUILD_OPTIONS)
    E_(CL_INVALID_PROGRAM)
    E_(CL_INVALID_PROGRAM_EXECUTABLE)
    E_(CL_INVALID_KERNEL_NAME)
    E_(CL_INVALID_KERNEL_DEFINITION)
    E_(CL_INVALID_KERNEL)
    E_(CL_INVALID_ARG_INDEX)
    E_(CL_INVALID_ARG_VALUE)
    E_(CL_INVALID_ARG_SIZE)
    E_(CL_INVALID_KERNEL_ARGS)
    E_(CL_INVALID_WORK_DIMENSION)
    E_(CL_INVALID_WORK_GROUP_SIZE)
    E_(CL_INVALID_WORK_ITEM_SIZE)
    E_(CL_INVALID_GLOBAL_OFFSET)
    E_(CL_INVALID_EVENT_WAIT_LIST)
    E_(CL_INVALID_EVENT)
    E_(CL_INVALID_OPERATION)
    E_(CL_INVALID_GL_OBJECT)
    E_(CL_INVALID_BUFFER_SIZE)
    E_(CL_INVALID_MIP_LEVEL)
    E_(CL_INVALID_GLOBAL_WORK_SIZE)
    E_(CL_INVALID_PROPERTY)
    E_(CL_INVALID_IMAGE_DESCRIPTOR)
    E_(CL_INVALID_COMPILER_OPTIONS)
    E_(CL_INVALID_LINKER_OPTIONS)
    E_(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E_
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "CL_UNKNOWN_ERROR";
  }
}
