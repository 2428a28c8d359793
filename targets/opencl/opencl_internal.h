/* Internals of the OpenCL target shared by opencl_target.c (device, memory,
 * programs, queue) and opencl_ops.c (which ops run, and how each one is
 * recorded as a kernel launch). */
#ifndef TESSERA_TARGETS_OPENCL_INTERNAL_H_
#define TESSERA_TARGETS_OPENCL_INTERNAL_H_

#include "targets/opencl/cl_api.h"
#include "tessera/tessera.h"

/* The programs, each built once per target from embedded sources. */
typedef enum ocl_prog_id {
  OCL_PROG_ELEMENTWISE = 0,
  OCL_PROG_NORM,
  OCL_PROG_SOFTMAX,
  OCL_PROG_ROPE,
  OCL_PROG_ATTENTION,
  OCL_PROG_MATMUL,
  OCL_PROG_ROWS,
  OCL_PROG_CONVERT,
  OCL_PROG_COUNT
} ocl_prog_id;

/* Limits baked into the kernels (see kernels/attention/opencl). */
#define OCL_ATT_MAXD 512
#define OCL_ATT_DVPT 8

typedef struct ocl_target {
  tsr_target base;
  tsr_cl_api api;
  cl_platform_id platform;
  cl_device_id device;
  cl_context ctx;
  cl_command_queue queue; /* in-order, profiling enabled */
  char name[32];
  char device_desc[128];
  char features[448];    /* device part of caps.features */
  char cache_dir[256];   /* program binary cache ("" : none) */
  char build_key[384];   /* device, driver and platform versions */
  char options[256];     /* clBuildProgram options */
  /* Device facts. */
  cl_device_type type;
  bool unified;          /* shares memory with the host */
  bool fp16, fp64, subgroups, int_dot, correct_div;
  bool cl12;             /* OpenCL C 1.2 or later */
  bool no_int64;         /* embedded profile without 64-bit integers */
  uint64_t max_alloc, global_mem, local_mem;
  size_t max_wg;
  cl_uint vec_float;
  uint32_t wg;           /* reduction work-group size */
  uint32_t cus;          /* compute units */
  size_t max_groups;     /* groups of grid-stride (elementwise) launches */
  uint32_t mm_wg, mm_nt, mm_mt; /* matmul group: K split, columns, rows of a */
  bool rows;             /* attention: one work-item per query row (CPU devices) */
  cl_program prog[OCL_PROG_COUNT];
  uint32_t n_built, n_loaded; /* programs built from source / from the cache */
} ocl_target;

/* A dynamic scalar kernel argument: a long set at submit. */
typedef struct ocl_dyn_arg {
  cl_uint index;
  tsr_dyn value;
} ocl_dyn_arg;

typedef struct ocl_step {
  cl_kernel kernel;
  cl_uint dim;
  size_t gws[3], lws[3];
  bool skip; /* nothing to compute (an empty tensor) */
  uint32_t n_dyn;
  ocl_dyn_arg dyn[2];
  cl_uint param_arg; /* index of the parameter buffer argument */
  uint64_t param_base; /* its offset, in longs */
  tsr_op_type type;
  char name[48];
} ocl_step;

struct tsr_cmdlist {
  uint32_t n_steps;
  ocl_step *steps;
  cl_mem params;     /* every step's static parameters (longs) */
  cl_event *events;  /* per step, of the last submit (profiling) */
};

/* Growing array of parameter longs collected while preparing a list. */
typedef struct ocl_params {
  const tsr_allocator *a;
  int64_t *v;
  size_t n, cap;
  bool oom;
} ocl_params;

void ocl_params_push(ocl_params *p, int64_t v);

/* Sets TSR_ERR_DEVICE with the OpenCL error name and the call. */
tsr_status ocl_fail(ocl_target *o, const char *call, cl_int err);
/* The program |id|, built (or loaded from the binary cache) on first use. */
TSR_NODISCARD tsr_status ocl_program(ocl_target *o, ocl_prog_id id, cl_program *out);

/* supports_op: types, shapes and parameters only. */
bool ocl_supports_op(const ocl_target *o, const tsr_op *op);
/* Records |op| as one kernel launch into |s|; parameters go to |params|.
 * The op's tensors are bound to this target's buffers. */
TSR_NODISCARD tsr_status ocl_record_op(ocl_target *o, const tsr_op *op, ocl_step *s,
                                       ocl_params *params);

/* The launch geometry the kernels are compiled for (chosen from the device
 * type at creation: GPUs split reductions over 64 work-items, CPU devices
 * give work-items whole matmul columns). Tests set the other one to cover
 * both code paths on any device. Before any prepare only. */
typedef struct tsr_opencl_geometry {
  uint32_t wg;              /* reduction work-group size */
  uint32_t mm_wg, mm_nt, mm_mt; /* matmul: K split, columns, rows of a per group */
  size_t max_groups;        /* grid-stride launches */
  bool rows;                /* attention: one work-item per query row, else a work-group */
} tsr_opencl_geometry;
TSR_NODISCARD tsr_status tsr_opencl_target_set_geometry(tsr_target *t, const tsr_opencl_geometry *g);

/* Counters for tests: programs built from source and loaded from the cache. */
void tsr_opencl_target_program_stats(const tsr_target *t, uint32_t *out_built,
                                     uint32_t *out_loaded);

#endif /* TESSERA_TARGETS_OPENCL_INTERNAL_H_ */
