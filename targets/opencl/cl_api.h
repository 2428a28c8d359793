/* The OpenCL entry points the target uses, loaded from the ICD loader
 * (libOpenCL.so.1) with dlopen into a table that lives in the target object:
 * no link-time dependency on OpenCL, no process-wide state of ours. A
 * machine without an ICD loader simply has no OpenCL target. */
#ifndef TESSERA_TARGETS_OPENCL_CL_API_H_
#define TESSERA_TARGETS_OPENCL_CL_API_H_

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <stdbool.h>

#include "tessera/status.h"

/* X(return type, name, parameter list) for every entry point used. */
#define TSR_CL_FUNCTIONS(X)                                                                        \
  X(cl_int, clGetPlatformIDs, (cl_uint, cl_platform_id *, cl_uint *))                              \
  X(cl_int, clGetPlatformInfo, (cl_platform_id, cl_platform_info, size_t, void *, size_t *))       \
  X(cl_int, clGetDeviceIDs, (cl_platform_id, cl_device_type, cl_uint, cl_device_id *, cl_uint *))  \
  X(cl_int, clGetDeviceInfo, (cl_device_id, cl_device_info, size_t, void *, size_t *))             \
  X(cl_context, clCreateContext,                                                                   \
    (const cl_context_properties *, cl_uint, const cl_device_id *,                                 \
     void(CL_CALLBACK *)(const char *, const void *, size_t, void *), void *, cl_int *))           \
  X(cl_int, clReleaseContext, (cl_context))                                                        \
  X(cl_command_queue, clCreateCommandQueue,                                                        \
    (cl_context, cl_device_id, cl_command_queue_properties, cl_int *))                             \
  X(cl_int, clReleaseCommandQueue, (cl_command_queue))                                             \
  X(cl_mem, clCreateBuffer, (cl_context, cl_mem_flags, size_t, void *, cl_int *))                  \
  X(cl_int, clReleaseMemObject, (cl_mem))                                                          \
  X(cl_int, clEnqueueWriteBuffer,                                                                  \
    (cl_command_queue, cl_mem, cl_bool, size_t, size_t, const void *, cl_uint, const cl_event *,   \
     cl_event *))                                                                                  \
  X(cl_int, clEnqueueReadBuffer,                                                                   \
    (cl_command_queue, cl_mem, cl_bool, size_t, size_t, void *, cl_uint, const cl_event *,         \
     cl_event *))                                                                                  \
  X(void *, clEnqueueMapBuffer,                                                                    \
    (cl_command_queue, cl_mem, cl_bool, cl_map_flags, size_t, size_t, cl_uint, const cl_event *,   \
     cl_event *, cl_int *))                                                                        \
  X(cl_int, clEnqueueUnmapMemObject,                                                               \
    (cl_command_queue, cl_mem, void *, cl_uint, const cl_event *, cl_event *))                     \
  X(cl_program, clCreateProgramWithSource,                                                         \
    (cl_context, cl_uint, const char **, const size_t *, cl_int *))                                \
  X(cl_program, clCreateProgramWithBinary,                                                         \
    (cl_context, cl_uint, const cl_device_id *, const size_t *, const unsigned char **, cl_int *,  \
     cl_int *))                                                                                    \
  X(cl_int, clBuildProgram,                                                                        \
    (cl_program, cl_uint, const cl_device_id *, const char *,                                      \
     void(CL_CALLBACK *)(cl_program, void *), void *))                                             \
  X(cl_int, clGetProgramBuildInfo,                                                                 \
    (cl_program, cl_device_id, cl_program_build_info, size_t, void *, size_t *))                   \
  X(cl_int, clGetProgramInfo, (cl_program, cl_program_info, size_t, void *, size_t *))             \
  X(cl_int, clReleaseProgram, (cl_program))                                                        \
  X(cl_kernel, clCreateKernel, (cl_program, const char *, cl_int *))                               \
  X(cl_int, clReleaseKernel, (cl_kernel))                                                          \
  X(cl_int, clSetKernelArg, (cl_kernel, cl_uint, size_t, const void *))                            \
  X(cl_int, clGetKernelWorkGroupInfo,                                                              \
    (cl_kernel, cl_device_id, cl_kernel_work_group_info, size_t, void *, size_t *))                \
  X(cl_int, clEnqueueNDRangeKernel,                                                                \
    (cl_command_queue, cl_kernel, cl_uint, const size_t *, const size_t *, const size_t *,         \
     cl_uint, const cl_event *, cl_event *))                                                       \
  X(cl_int, clFlush, (cl_command_queue))                                                           \
  X(cl_int, clFinish, (cl_command_queue))                                                          \
  X(cl_int, clGetEventProfilingInfo, (cl_event, cl_profiling_info, size_t, void *, size_t *))      \
  X(cl_int, clReleaseEvent, (cl_event))

typedef struct tsr_cl_api {
  void *lib; /* dlopen handle */
#define TSR_CL_FN_(ret, name, params) ret(CL_API_CALL *name) params;
  TSR_CL_FUNCTIONS(TSR_CL_FN_)
#undef TSR_CL_FN_
} tsr_cl_api;

/* Loads the ICD loader and every entry point into |api|. TSR_ERR_UNSUPPORTED
 * with the reason in |err| when the loader or a symbol is missing. */
TSR_NODISCARD tsr_status tsr_cl_api_load(tsr_cl_api *api, tsr_error *err);
/* Drops the reference taken by tsr_cl_api_load (the loader stays resident:
 * drivers keep threads running). */
void tsr_cl_api_unload(tsr_cl_api *api);

/* Static name of an OpenCL error code ("CL_OUT_OF_RESOURCES"), or
 * "CL_UNKNOWN_ERROR". */
const char *tsr_cl_error_name(cl_int code);

#endif /* TESSERA_TARGETS_OPENCL_CL_API_H_ */
