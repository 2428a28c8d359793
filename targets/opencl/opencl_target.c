/* The OpenCL target: device selection, memory, programs built once from the
 * embedded kernel sources (with an on-disk binary cache), command lists of
 * kernel launches recorded at prepare, one in-order queue.
 *
 * Run path: submit sets the dynamic scalar arguments (positions, lengths) of
 * the recorded kernels, enqueues them and flushes once; wait is clFinish.
 * Nothing is allocated by Tessera on that path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "targets/opencl/cl_sources.h"
#include "targets/opencl/opencl_internal.h"

_Static_assert(TSR_DTYPE_F32 == 1 && TSR_DTYPE_F16 == 2 && TSR_DTYPE_BF16 == 3 && TSR_DTYPE_I8 == 4 &&
                   TSR_DTYPE_U8 == 5 && TSR_DTYPE_I32 == 6 && TSR_DTYPE_I64 == 7 && TSR_DTYPE_Q8_0 == 8 &&
                   TSR_DTYPE_Q4_0 == 9 && TSR_DTYPE_Q4_K == 10 && TSR_DTYPE_Q5_K == 11 && TSR_DTYPE_Q6_K == 12,
               "kernels/common/opencl/common.cl hard-codes the tsr_dtype values");

#define CL(o) (&(o)->api)

static ocl_target *ocl_cast(tsr_target *t) { return (ocl_target *)t; }

tsr_status ocl_fail(ocl_target *o, const char *call, cl_int err) {
  return TSR_ERROR(&o->base.error, TSR_ERR_DEVICE, "opencl: %s: %s (%d)", call, tsr_cl_error_name(err), (int)err);
}

void ocl_params_push(ocl_params *p, int64_t v) {
  if (p->oom) return;
  if (p->n == p->cap) {
    size_t nc = p->cap ? p->cap * 2 : 256;
    int64_t *n = tsr_alloc(p->a, nc * sizeof(int64_t), 0);
    if (n == NULL) {
      p->oom = true;
      return;
    }
    if (p->v) memcpy(n, p->v, p->n * sizeof(int64_t));
    tsr_free(p->a, p->v);
    p->v = n;
    p->cap = nc;
  }
  p->v[p->n++] = v;
}

/* ---- device discovery ---- */

/* Parses "P:D" or "P" (NULL or "": default). */
static tsr_status parse_spec(const char *spec, int *out_p, int *out_d, tsr_error *err) {
  *out_p = -1;
  *out_d = -1;
  if (spec == NULL || *spec == '\0') return TSR_OK;
  char *end = NULL;
  long p = strtol(spec, &end, 10);
  long d = 0;
  if (end == spec || p < 0 || p > 64) goto bad;
  if (*end == ':') {
    const char *ds = end + 1;
    d = strtol(ds, &end, 10);
    if (end == ds || d < 0 || d > 64) goto bad;
  }
  if (*end != '\0') goto bad;
  *out_p = (int)p;
  *out_d = (int)d;
  return TSR_OK;
bad:
  return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "opencl: bad device '%s' (expected opencl:PLATFORM:DEVICE)", spec);
}

enum { kMaxPlatforms = 8, kMaxDevices = 8 };

static tsr_status list_platforms(const tsr_cl_api *api, cl_platform_id *ids, cl_uint *n, tsr_error *err) {
  cl_uint np = 0;
  cl_int e = api->clGetPlatformIDs(kMaxPlatforms, ids, &np);
  if (e == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (e == CL_SUCCESS && np == 0))
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "opencl: no OpenCL platform installed (no ICD registered in /etc/OpenCL/vendors)");
  if (e != CL_SUCCESS)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "opencl: clGetPlatformIDs: %s (%d)", tsr_cl_error_name(e), (int)e);
  *n = np < kMaxPlatforms ? np : kMaxPlatforms;
  return TSR_OK;
}

static cl_uint list_devices(const tsr_cl_api *api, cl_platform_id p, cl_device_id *ids) {
  cl_uint nd = 0;
  if (api->clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, kMaxDevices, ids, &nd) != CL_SUCCESS) return 0;
  return nd < kMaxDevices ? nd : kMaxDevices;
}

uint32_t tsr_opencl_backend_enumerate(char (*out)[32], uint32_t cap);
uint32_t tsr_opencl_backend_enumerate(char (*out)[32], uint32_t cap) {
  tsr_cl_api api;
  if (tsr_cl_api_load(&api, NULL) != TSR_OK) return 0;
  cl_platform_id plats[kMaxPlatforms];
  cl_uint np = 0;
  uint32_t n = 0;
  if (list_platforms(&api, plats, &np, NULL) == TSR_OK) {
    for (cl_uint p = 0; p < np; ++p) {
      cl_device_id devs[kMaxDevices];
      cl_uint nd = list_devices(&api, plats[p], devs);
      for (cl_uint d = 0; d < nd; ++d) {
        if (n < cap) snprintf(out[n], 32, "opencl:%u:%u", (unsigned)p, (unsigned)d);
        n++;
      }
    }
  }
  tsr_cl_api_unload(&api);
  return n < cap ? n : cap;
}

static void dev_str(const ocl_target *o, cl_device_info what, char *buf, size_t n) {
  buf[0] = '\0';
  if (CL(o)->clGetDeviceInfo(o->device, what, n, buf, NULL) != CL_SUCCESS) buf[0] = '\0';
  buf[n - 1] = '\0';
}

static uint64_t dev_u64(const ocl_target *o, cl_device_info what) {
  cl_ulong v = 0;
  if (CL(o)->clGetDeviceInfo(o->device, what, sizeof(v), &v, NULL) != CL_SUCCESS) return 0;
  return v;
}

static cl_uint dev_uint(const ocl_target *o, cl_device_info what) {
  cl_uint v = 0;
  if (CL(o)->clGetDeviceInfo(o->device, what, sizeof(v), &v, NULL) != CL_SUCCESS) return 0;
  return v;
}

static bool has_word(const char *list, const char *word) {
  size_t l = strlen(word);
  for (const char *p = strstr(list, word); p; p = strstr(p + 1, word)) {
    if ((p == list || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0')) return true;
  }
  return false;
}

static uint32_t pow2_floor(size_t v) {
  uint32_t p = 1;
  while ((size_t)p * 2 <= v && p < (1u << 30)) p *= 2;
  return p;
}

/* The clBuildProgram options: the launch geometry the kernels are compiled
 * for, and what the device offers. The reductions keep TSR_WG floats and
 * attention TSR_ATT_MAXD floats in local memory: tiny next to the 32 KiB
 * every device offers. */
static void make_options(ocl_target *o) {
  snprintf(o->options, sizeof(o->options),
           "%s-DTSR_WG=%u -DTSR_MM_WG=%u -DTSR_MM_NT=%u -DTSR_MM_MT=%u -DTSR_ATT_MAXD=%d "
           "-DTSR_ATT_DVPT=%d%s",
           o->cl12 ? "-cl-std=CL1.2 " : "", (unsigned)o->wg, (unsigned)o->mm_wg, (unsigned)o->mm_nt,
           (unsigned)o->mm_mt, OCL_ATT_MAXD, OCL_ATT_DVPT,
           o->correct_div ? " -cl-fp32-correctly-rounded-divide-sqrt" : "");
}

/* Reads the device's facts and derives the build options. Allocates (and
 * frees) a copy of the extension list, whatever its length. */
static tsr_status describe_device(ocl_target *o, tsr_error *err) {
  char name[128], vendor[64], cver[64], dver[64], drv[64], pver[128];
  dev_str(o, CL_DEVICE_NAME, name, sizeof(name));
  dev_str(o, CL_DEVICE_VENDOR, vendor, sizeof(vendor));
  dev_str(o, CL_DEVICE_OPENCL_C_VERSION, cver, sizeof(cver));
  dev_str(o, CL_DEVICE_VERSION, dver, sizeof(dver));
  dev_str(o, CL_DRIVER_VERSION, drv, sizeof(drv));
  pver[0] = '\0';
  if (CL(o)->clGetPlatformInfo(o->platform, CL_PLATFORM_VERSION, sizeof(pver), pver, NULL) != CL_SUCCESS) pver[0] = '\0';
  pver[sizeof(pver) - 1] = '\0';
  size_t ext_n = 0;
  if (CL(o)->clGetDeviceInfo(o->device, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_n) != CL_SUCCESS) ext_n = 0;
  char *ext = tsr_alloc(o->base.allocator, ext_n + 1, 0);
  if (ext == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "opencl: device extension list");
  if (ext_n == 0 || CL(o)->clGetDeviceInfo(o->device, CL_DEVICE_EXTENSIONS, ext_n, ext, NULL) != CL_SUCCESS) ext_n = 0;
  ext[ext_n] = '\0';
  char profile[64];
  dev_str(o, CL_DEVICE_PROFILE, profile, sizeof(profile));
  o->no_int64 = strstr(profile, "EMBEDDED") != NULL && !has_word(ext, "cles_khr_int64");
  CL(o)->clGetDeviceInfo(o->device, CL_DEVICE_TYPE, sizeof(o->type), &o->type, NULL);
  cl_bool unified = CL_FALSE;
  CL(o)->clGetDeviceInfo(o->device, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof(unified), &unified, NULL);
  o->unified = unified == CL_TRUE;
  o->max_alloc = dev_u64(o, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
  o->global_mem = dev_u64(o, CL_DEVICE_GLOBAL_MEM_SIZE);
  o->local_mem = dev_u64(o, CL_DEVICE_LOCAL_MEM_SIZE);
  o->max_wg = 0;
  CL(o)->clGetDeviceInfo(o->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof(o->max_wg), &o->max_wg, NULL);
  o->vec_float = dev_uint(o, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT);
  cl_uint cus = dev_uint(o, CL_DEVICE_MAX_COMPUTE_UNITS);
  cl_device_fp_config fpc = 0;
  CL(o)->clGetDeviceInfo(o->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof(fpc), &fpc, NULL);
  o->correct_div = (fpc & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
  o->fp16 = has_word(ext, "cl_khr_fp16");
  o->fp64 = has_word(ext, "cl_khr_fp64");
  o->subgroups = has_word(ext, "cl_khr_subgroups") || has_word(ext, "cl_intel_subgroups");
  o->int_dot = has_word(ext, "cl_khr_integer_dot_product");
  const bool cpu = (o->type & CL_DEVICE_TYPE_CPU) != 0;
  /* Work-group sizes: 64 for reductions (two waves on most GPUs). Matmul
   * on GPUs: 64 items split K for one column. On CPU devices a group runs
   * on one core with its items as SIMD lanes: each item takes whole
   * columns, as many per group as the preferred float vector width (4 to
   * 16 lanes). */
  uint32_t cap = pow2_floor(o->max_wg ? o->max_wg : 1);
  uint32_t lanes = pow2_floor(o->vec_float ? o->vec_float : 4);
  lanes = lanes < 4 ? 4 : (lanes > 16 ? 16 : lanes);
  o->wg = cap < 64 ? cap : 64;
  o->mm_wg = cpu ? 1 : o->wg;
  o->mm_nt = cpu ? (cap < lanes ? cap : lanes) : 1;
  o->mm_mt = cpu ? 8 : 4;
  o->rows = cpu;
  o->cus = cus ? cus : 1;
  /* Grid-stride launches: on GPUs enough groups to fill every compute unit,
   * each item looping; on CPU devices one element per item (the driver
   * vectorizes a group's items into SIMD lanes, not an item's loop). */
  o->max_groups = cpu ? ((size_t)1 << 40) : (size_t)o->cus * 64;
  o->cl12 = strstr(cver, "OpenCL C 1.0") == NULL && strstr(cver, "OpenCL C 1.1") == NULL;
  make_options(o);
  snprintf(o->build_key, sizeof(o->build_key), "%s|%s|%s|%s|%s", name, vendor, dver, drv, pver);
  snprintf(o->device_desc, sizeof(o->device_desc), "%s (%s, %s, %s device)", name, vendor, cver,
           cpu ? "CPU" : ((o->type & CL_DEVICE_TYPE_GPU) ? "GPU" : "accelerator"));
  int n = snprintf(o->features, sizeof(o->features),
                   "type=%s cu=%u wg_max=%zu local=%lluK max_alloc=%lluM unified=%d vec_float=%u "
                   "fp16=%d fp64=%d subgroups=%d int_dot=%d ext=[",
                   cpu ? "cpu" : ((o->type & CL_DEVICE_TYPE_GPU) ? "gpu" : "accel"), (unsigned)cus, o->max_wg,
                   (unsigned long long)(o->local_mem >> 10), (unsigned long long)(o->max_alloc >> 20),
                   o->unified ? 1 : 0, (unsigned)o->vec_float, o->fp16, o->fp64, o->subgroups, o->int_dot);
  /* The extension list, single-spaced, cut with "..." if it does not fit
   * (o->features leaves room for the launch geometry get_caps puts in
   * front). */
  const size_t limit = sizeof(o->features);
  size_t pos = n > 0 && (size_t)n < limit ? (size_t)n : limit;
  bool first = true, cut = false;
  for (const char *p = ext; *p && !cut;) {
    while (*p == ' ') ++p;
    size_t len = strcspn(p, " ");
    if (len == 0) break;
    if (pos + len + 1 + 5 >= limit) {
      cut = true;
      break;
    }
    if (!first) o->features[pos++] = ' ';
    memcpy(o->features + pos, p, len);
    pos += len;
    first = false;
    p += len;
  }
  snprintf(o->features + pos, sizeof(o->features) - pos, "%s", cut ? " ...]" : "]");
  tsr_free(o->base.allocator, ext);
  return TSR_OK;
}

/* ---- target object ---- */

static void ocl_deinit(tsr_target *t) {
  ocl_target *o = ocl_cast(t);
  const tsr_allocator *a = t->allocator;
  if (o->queue) {
    CL(o)->clFinish(o->queue);
    CL(o)->clReleaseCommandQueue(o->queue);
  }
  for (int i = 0; i < OCL_PROG_COUNT; ++i) {
    if (o->prog[i]) CL(o)->clReleaseProgram(o->prog[i]);
  }
  if (o->ctx) CL(o)->clReleaseContext(o->ctx);
  tsr_cl_api_unload(&o->api);
  tsr_free(a, o);
}

static tsr_status ocl_get_caps(const tsr_target *t, tsr_target_caps *out) {
  const ocl_target *o = (const ocl_target *)t;
  memset(out, 0, sizeof(*out));
  snprintf(out->name, sizeof(out->name), "%s", o->name);
  snprintf(out->device, sizeof(out->device), "%s", o->device_desc);
  out->kind = TSR_TARGET_KIND_GPU;
  out->flags = TSR_CAP_ASYNC | TSR_CAP_PROFILING | (o->unified ? TSR_CAP_UNIFIED_MEMORY : 0u);
  out->max_buffer_size = o->max_alloc;
  out->memory_size = o->global_mem;
  snprintf(out->features, sizeof(out->features), "wg=%u mm=%ux%ux%u att=%s %s", (unsigned)o->wg,
           (unsigned)o->mm_wg, (unsigned)o->mm_nt, (unsigned)o->mm_mt, o->rows ? "row" : "group", o->features);
  return TSR_OK;
}

static bool ocl_supports(const tsr_target *t, const tsr_op *op) {
  return ocl_supports_op((const ocl_target *)t, op);
}

/* ---- buffers ----
 * Devices that share memory with the host get buffers in host-accessible
 * memory (CL_MEM_ALLOC_HOST_PTR) and uploads/downloads through a map: one
 * memcpy, no staging copy in the driver. Others use read/write commands. */

static tsr_status ocl_buffer_alloc(tsr_target *t, uint64_t size, uint32_t usage, tsr_buffer *out) {
  ocl_target *o = ocl_cast(t);
  (void)usage;
  if (o->max_alloc && size > o->max_alloc)
    return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED,
                     "opencl: a %llu-byte buffer exceeds the device's largest allocation (%llu bytes)",
                     (unsigned long long)size, (unsigned long long)o->max_alloc);
  cl_mem_flags f = CL_MEM_READ_WRITE | (o->unified ? CL_MEM_ALLOC_HOST_PTR : 0);
  cl_int e = CL_SUCCESS;
  cl_mem m = CL(o)->clCreateBuffer(o->ctx, f, (size_t)(size ? size : 4), NULL, &e);
  if (m == NULL || e != CL_SUCCESS) return ocl_fail(o, "clCreateBuffer", e);
  memset(out, 0, sizeof(*out));
  out->target = t;
  out->handle = m;
  out->size = size;
  return TSR_OK;
}

static void ocl_buffer_free(tsr_target *t, tsr_buffer *buf) {
  ocl_target *o = ocl_cast(t);
  if (buf->handle) CL(o)->clReleaseMemObject((cl_mem)buf->handle);
  memset(buf, 0, sizeof(*buf));
}

static tsr_status ocl_buffer_map(tsr_target *t, tsr_buffer *buf, void **out) {
  (void)buf, (void)out;
  return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED,
                   "opencl: buffers are not persistently mapped (use upload/download)");
}

static tsr_status ocl_upload(tsr_target *t, tsr_buffer *buf, uint64_t off, const void *src, uint64_t n) {
  ocl_target *o = ocl_cast(t);
  cl_mem m = (cl_mem)buf->handle;
  cl_int e = CL_SUCCESS;
  if (o->unified) {
    void *p = CL(o)->clEnqueueMapBuffer(o->queue, m, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION, (size_t)off,
                                        (size_t)n, 0, NULL, NULL, &e);
    if (p == NULL || e != CL_SUCCESS) return ocl_fail(o, "clEnqueueMapBuffer", e);
    memcpy(p, src, (size_t)n);
    e = CL(o)->clEnqueueUnmapMemObject(o->queue, m, p, 0, NULL, NULL);
    if (e != CL_SUCCESS) return ocl_fail(o, "clEnqueueUnmapMemObject", e);
    return TSR_OK;
  }
  e = CL(o)->clEnqueueWriteBuffer(o->queue, m, CL_TRUE, (size_t)off, (size_t)n, src, 0, NULL, NULL);
  return e == CL_SUCCESS ? TSR_OK : ocl_fail(o, "clEnqueueWriteBuffer", e);
}

static tsr_status ocl_download(tsr_target *t, const tsr_buffer *buf, uint64_t off, void *dst, uint64_t n) {
  ocl_target *o = ocl_cast(t);
  cl_mem m = (cl_mem)buf->handle;
  cl_int e = CL_SUCCESS;
  if (o->unified) {
    void *p = CL(o)->clEnqueueMapBuffer(o->queue, m, CL_TRUE, CL_MAP_READ, (size_t)off, (size_t)n, 0, NULL, NULL, &e);
    if (p == NULL || e != CL_SUCCESS) return ocl_fail(o, "clEnqueueMapBuffer", e);
    memcpy(dst, p, (size_t)n);
    e = CL(o)->clEnqueueUnmapMemObject(o->queue, m, p, 0, NULL, NULL);
    if (e != CL_SUCCESS) return ocl_fail(o, "clEnqueueUnmapMemObject", e);
    return TSR_OK;
  }
  e = CL(o)->clEnqueueReadBuffer(o->queue, m, CL_TRUE, (size_t)off, (size_t)n, dst, 0, NULL, NULL);
  return e == CL_SUCCESS ? TSR_OK : ocl_fail(o, "clEnqueueReadBuffer", e);
}

/* ---- programs ---- */

typedef struct prog_desc {
  const char *name;
  const char *parts[3]; /* embedded sources, concatenated in this order */
} prog_desc;

static const prog_desc kProgs[OCL_PROG_COUNT] = {
    [OCL_PROG_ELEMENTWISE] = {"elementwise", {"common", "elementwise", NULL}},
    [OCL_PROG_NORM] = {"norm", {"common", "norm", NULL}},
    [OCL_PROG_SOFTMAX] = {"softmax", {"common", "softmax", NULL}},
    [OCL_PROG_ROPE] = {"rope", {"common", "rope", NULL}},
    [OCL_PROG_ATTENTION] = {"attention", {"common", "attention", NULL}},
    [OCL_PROG_MATMUL] = {"matmul", {"common", "blocks", "matmul"}},
    [OCL_PROG_ROWS] = {"rows", {"common", "blocks", "rows"}},
    [OCL_PROG_CONVERT] = {"convert", {"common", "blocks", "convert"}},
};

static const tsr_cl_source *find_source(const char *name) {
  for (size_t i = 0; i < tsr_cl_source_count; ++i) {
    if (strcmp(tsr_cl_sources[i].name, name) == 0) return &tsr_cl_sources[i];
  }
  return NULL;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const uint8_t *p = data;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

#define CACHE_MAGIC 0x314c4352534554ull /* "TESRCL1" */

typedef struct cache_header {
  uint64_t magic;
  uint64_t key;  /* hash of sources, options and device */
  uint64_t size; /* binary bytes that follow */
  uint64_t sum;  /* fnv1a of the binary */
} cache_header;

#ifndef TSR_NO_FILEIO
static void cache_path(const ocl_target *o, uint64_t key, char *out, size_t n) {
  snprintf(out, n, "%s/tessera-cl-%016llx.bin", o->cache_dir, (unsigned long long)key);
}

/* Loads a cached binary into a new program; false if absent or unusable. */
static bool cache_load(ocl_target *o, uint64_t key, cl_program *out) {
  char path[320];
  cache_path(o, key, path, sizeof(path));
  FILE *f = fopen(path, "rb");
  if (f == NULL) return false;
  cache_header h;
  bool ok = fread(&h, sizeof(h), 1, f) == 1 && h.magic == CACHE_MAGIC && h.key == key && h.size > 0 &&
            h.size < ((uint64_t)1 << 31);
  unsigned char *bin = ok ? tsr_alloc(o->base.allocator, (size_t)h.size, 0) : NULL;
  ok = ok && bin != NULL && fread(bin, 1, (size_t)h.size, f) == (size_t)h.size &&
       fnv1a(0xcbf29ce484222325ull, bin, (size_t)h.size) == h.sum;
  fclose(f);
  cl_program p = NULL;
  if (ok) {
    size_t len = (size_t)h.size;
    const unsigned char *bins[1] = {bin};
    cl_int status = CL_SUCCESS, e = CL_SUCCESS;
    p = CL(o)->clCreateProgramWithBinary(o->ctx, 1, &o->device, &len, bins, &status, &e);
    ok = p != NULL && e == CL_SUCCESS && status == CL_SUCCESS &&
         CL(o)->clBuildProgram(p, 1, &o->device, o->options, NULL, NULL) == CL_SUCCESS;
    if (!ok && p != NULL) CL(o)->clReleaseProgram(p);
  }
  tsr_free(o->base.allocator, bin);
  if (ok) *out = p;
  return ok;
}

/* Stores the binary of |p| (best effort: a cache that cannot be written is
 * no error). Written to a temporary name and renamed: concurrent processes
 * never see a partial file. */
static void cache_store(ocl_target *o, uint64_t key, cl_program p) {
  size_t size = 0;
  if (CL(o)->clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof(size), &size, NULL) != CL_SUCCESS || size == 0)
    return;
  unsigned char *bin = tsr_alloc(o->base.allocator, size, 0);
  if (bin == NULL) return;
  unsigned char *bins[1] = {bin};
  if (CL(o)->clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof(bins), bins, NULL) == CL_SUCCESS) {
    cache_header h = {CACHE_MAGIC, key, size, fnv1a(0xcbf29ce484222325ull, bin, size)};
    char path[320], tmp[352];
    cache_path(o, key, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.%llx.tmp", path,
             (unsigned long long)((uintptr_t)o ^ (uint64_t)time(NULL) ^ (uint64_t)clock()));
    FILE *f = fopen(tmp, "wb");
    if (f != NULL) {
      bool ok = fwrite(&h, sizeof(h), 1, f) == 1 && fwrite(bin, 1, size, f) == size;
      ok = fclose(f) == 0 && ok;
      if (!ok || rename(tmp, path) != 0) remove(tmp);
    }
  }
  tsr_free(o->base.allocator, bin);
}
#endif

tsr_status ocl_program(ocl_target *o, ocl_prog_id id, cl_program *out) {
  if (o->prog[id] != NULL) {
    *out = o->prog[id];
    return TSR_OK;
  }
  const prog_desc *d = &kProgs[id];
  const char *texts[3];
  size_t lens[3];
  cl_uint n = 0;
  uint64_t key = fnv1a(0xcbf29ce484222325ull, o->build_key, strlen(o->build_key));
  key = fnv1a(key, o->options, strlen(o->options) + 1);
  for (int i = 0; i < 3 && d->parts[i]; ++i) {
    const tsr_cl_source *s = find_source(d->parts[i]);
    if (s == NULL)
      return TSR_ERROR(&o->base.error, TSR_ERR_STATE, "opencl: kernel source '%s' is not embedded", d->parts[i]);
    texts[n] = s->text;
    lens[n] = s->size;
    key = fnv1a(key, s->text, s->size);
    n++;
  }
  cl_program p = NULL;
#ifndef TSR_NO_FILEIO
  if (o->cache_dir[0] && cache_load(o, key, &p)) {
    o->prog[id] = p;
    o->n_loaded++;
    *out = p;
    return TSR_OK;
  }
#endif
  cl_int e = CL_SUCCESS;
  p = CL(o)->clCreateProgramWithSource(o->ctx, n, texts, lens, &e);
  if (p == NULL || e != CL_SUCCESS) return ocl_fail(o, "clCreateProgramWithSource", e);
  e = CL(o)->clBuildProgram(p, 1, &o->device, o->options, NULL, NULL);
  if (e != CL_SUCCESS) {
    char log[200] = "";
    size_t got = 0;
    if (CL(o)->clGetProgramBuildInfo(p, o->device, CL_PROGRAM_BUILD_LOG, sizeof(log) - 1, log, &got) != CL_SUCCESS)
      log[0] = '\0';
    log[sizeof(log) - 1] = '\0';
    for (char *c = log; *c; ++c) {
      if (*c == '\n') *c = ' ';
    }
    CL(o)->clReleaseProgram(p);
    return TSR_ERROR(&o->base.error, TSR_ERR_DEVICE, "opencl: clBuildProgram(%s): %s (%d): %s", d->name,
                     tsr_cl_error_name(e), (int)e, log);
  }
#ifndef TSR_NO_FILEIO
  if (o->cache_dir[0]) cache_store(o, key, p);
#endif
  o->prog[id] = p;
  o->n_built++;
  *out = p;
  return TSR_OK;
}

tsr_status tsr_opencl_target_set_geometry(tsr_target *t, const tsr_opencl_geometry *g) {
  ocl_target *o = ocl_cast(t);
  for (int i = 0; i < OCL_PROG_COUNT; ++i) {
    if (o->prog[i] != NULL)
      return TSR_ERROR(&t->error, TSR_ERR_STATE, "opencl: launch geometry set after programs were built");
  }
  const uint32_t v[4] = {g->wg, g->mm_wg, g->mm_nt, g->mm_mt};
  for (int i = 0; i < 4; ++i) {
    if (v[i] == 0 || (v[i] & (v[i] - 1)) != 0 || v[i] > 1024)
      return TSR_ERROR(&t->error, TSR_ERR_INVALID_ARGUMENT, "opencl: geometry values must be powers of two");
  }
  if (g->wg > o->max_wg || (size_t)g->mm_wg * g->mm_nt > o->max_wg || g->max_groups == 0)
    return TSR_ERROR(&t->error, TSR_ERR_INVALID_ARGUMENT, "opencl: geometry exceeds the device's work-group size");
  o->wg = g->wg;
  o->mm_wg = g->mm_wg;
  o->mm_nt = g->mm_nt;
  o->mm_mt = g->mm_mt;
  o->max_groups = g->max_groups;
  o->rows = g->rows;
  make_options(o);
  return TSR_OK;
}

void tsr_opencl_target_program_stats(const tsr_target *t, uint32_t *out_built, uint32_t *out_loaded) {
  const ocl_target *o = (const ocl_target *)t;
  *out_built = o->n_built;
  *out_loaded = o->n_loaded;
}

/* ---- command lists ---- */

static void release_events(ocl_target *o, tsr_cmdlist *list) {
  if (list->events == NULL) return;
  for (uint32_t i = 0; i < list->n_steps; ++i) {
    if (list->events[i]) CL(o)->clReleaseEvent(list->events[i]);
    list->events[i] = NULL;
  }
}

static void ocl_release(tsr_target *t, tsr_cmdlist *list) {
  ocl_target *o = ocl_cast(t);
  const tsr_allocator *a = t->allocator;
  if (list == NULL) return;
  release_events(o, list);
  if (list->steps) {
    for (uint32_t i = 0; i < list->n_steps; ++i) {
      if (list->steps[i].kernel) CL(o)->clReleaseKernel(list->steps[i].kernel);
    }
  }
  if (list->params) CL(o)->clReleaseMemObject(list->params);
  tsr_free(a, list->steps);
  tsr_free(a, list->events);
  tsr_free(a, list);
}

static tsr_status ocl_prepare(tsr_target *t, const tsr_op *ops, uint32_t n_ops, tsr_cmdlist **out) {
  ocl_target *o = ocl_cast(t);
  const tsr_allocator *a = t->allocator;
  tsr_cmdlist *list = tsr_alloc(a, sizeof(*list), 0);
  if (list == NULL) return TSR_ERROR(&t->error, TSR_ERR_OUT_OF_MEMORY, "opencl: command list");
  memset(list, 0, sizeof(*list));
  size_t n = n_ops ? n_ops : 1;
  list->steps = tsr_alloc(a, sizeof(ocl_step) * n, 0);
  list->events = tsr_alloc(a, sizeof(cl_event) * n, 0);
  if (list->steps == NULL || list->events == NULL) {
    ocl_release(t, list);
    return TSR_ERROR(&t->error, TSR_ERR_OUT_OF_MEMORY, "opencl: %u steps", (unsigned)n_ops);
  }
  memset(list->steps, 0, sizeof(ocl_step) * n);
  memset(list->events, 0, sizeof(cl_event) * n);
  ocl_params params = {a, NULL, 0, 0, false};
  tsr_status st = TSR_OK;
  for (uint32_t i = 0; i < n_ops && st == TSR_OK; ++i) {
    ocl_step *s = &list->steps[i];
    list->n_steps = i + 1;
    const tsr_op *op = &ops[i];
    snprintf(s->name, sizeof(s->name), "%s", op->name ? op->name : tsr_op_type_name(op->type));
    s->type = op->type;
    st = tsr_op_validate(op, &t->error);
    if (st == TSR_OK && !ocl_supports_op(o, op))
      st = TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "opencl: %s (%s) is not supported on this target", s->name,
                     tsr_op_type_name(op->type));
    if (st == TSR_OK) st = ocl_record_op(o, op, s, &params);
    if (st == TSR_OK && params.oom) st = TSR_ERROR(&t->error, TSR_ERR_OUT_OF_MEMORY, "opencl: kernel parameters");
  }
  if (st == TSR_OK && params.n > 0) {
    cl_int e = CL_SUCCESS;
    list->params = CL(o)->clCreateBuffer(o->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                         params.n * sizeof(int64_t), params.v, &e);
    if (list->params == NULL || e != CL_SUCCESS) {
      list->params = NULL;
      st = ocl_fail(o, "clCreateBuffer(parameters)", e);
    }
    for (uint32_t i = 0; i < list->n_steps && st == TSR_OK; ++i) {
      ocl_step *s = &list->steps[i];
      if (s->skip) continue;
      cl_ulong base = s->param_base;
      e = CL(o)->clSetKernelArg(s->kernel, s->param_arg, sizeof(cl_mem), &list->params);
      if (e == CL_SUCCESS) e = CL(o)->clSetKernelArg(s->kernel, s->param_arg + 1, sizeof(base), &base);
      if (e != CL_SUCCESS) st = ocl_fail(o, "clSetKernelArg(parameters)", e);
    }
  }
  tsr_free(a, params.v);
  if (st != TSR_OK) {
    ocl_release(t, list);
    return st;
  }
  *out = list;
  return TSR_OK;
}

static tsr_status ocl_submit(tsr_target *t, tsr_cmdlist *list, const tsr_dyn_values *dyn) {
  ocl_target *o = ocl_cast(t);
  static const tsr_dyn_values kZero = {{0}};
  if (dyn == NULL) dyn = &kZero;
  release_events(o, list);
  for (uint32_t i = 0; i < list->n_steps; ++i) {
    ocl_step *s = &list->steps[i];
    if (s->skip) continue;
    for (uint32_t j = 0; j < s->n_dyn; ++j) {
      cl_long v = (cl_long)tsr_dyn_eval(s->dyn[j].value, dyn);
      cl_int e = CL(o)->clSetKernelArg(s->kernel, s->dyn[j].index, sizeof(v), &v);
      if (e != CL_SUCCESS) return ocl_fail(o, "clSetKernelArg(dynamic value)", e);
    }
    cl_int e = CL(o)->clEnqueueNDRangeKernel(o->queue, s->kernel, s->dim, NULL, s->gws, s->lws, 0, NULL,
                                             &list->events[i]);
    if (e != CL_SUCCESS) {
      list->events[i] = NULL;
      tsr_status st = ocl_fail(o, "clEnqueueNDRangeKernel", e);
      size_t l = strlen(t->error.message);
      snprintf(t->error.message + l, sizeof(t->error.message) - l, " for %s", s->name);
      return st;
    }
  }
  cl_int e = CL(o)->clFlush(o->queue);
  return e == CL_SUCCESS ? TSR_OK : ocl_fail(o, "clFlush", e);
}

static tsr_status ocl_wait(tsr_target *t) {
  ocl_target *o = ocl_cast(t);
  cl_int e = CL(o)->clFinish(o->queue);
  return e == CL_SUCCESS ? TSR_OK : ocl_fail(o, "clFinish", e);
}

static tsr_status ocl_get_profile(tsr_target *t, tsr_cmdlist *list, tsr_op_timing *out, uint32_t cap,
                                  uint32_t *out_n) {
  ocl_target *o = ocl_cast(t);
  if (list == NULL || out_n == NULL || (out == NULL && cap > 0)) return TSR_ERR_INVALID_ARGUMENT;
  uint32_t n = 0;
  for (uint32_t i = 0; i < list->n_steps && n < cap; ++i) {
    if (list->events[i] == NULL) continue;
    cl_ulong start = 0, end = 0;
    cl_int e = CL(o)->clGetEventProfilingInfo(list->events[i], CL_PROFILING_COMMAND_START, sizeof(start), &start, NULL);
    if (e == CL_SUCCESS)
      e = CL(o)->clGetEventProfilingInfo(list->events[i], CL_PROFILING_COMMAND_END, sizeof(end), &end, NULL);
    if (e == CL_PROFILING_INFO_NOT_AVAILABLE)
      return TSR_ERROR(&t->error, TSR_ERR_STATE, "opencl: profile requested before the list completed (call wait)");
    if (e != CL_SUCCESS) return ocl_fail(o, "clGetEventProfilingInfo", e);
    out[n].type = list->steps[i].type;
    out[n].name = list->steps[i].name;
    out[n].ms = end > start ? (double)(end - start) * 1e-6 : 0.0;
    n++;
  }
  *out_n = n;
  return TSR_OK;
}

static const tsr_target_vtable kOpenclVtable = {
    .abi_version = TSR_TARGET_ABI_VERSION,
    .deinit = ocl_deinit,
    .get_caps = ocl_get_caps,
    .supports_op = ocl_supports,
    .buffer_alloc = ocl_buffer_alloc,
    .buffer_free = ocl_buffer_free,
    .buffer_map = ocl_buffer_map,
    .buffer_upload = ocl_upload,
    .buffer_download = ocl_download,
    .prepare = ocl_prepare,
    .submit = ocl_submit,
    .wait = ocl_wait,
    .release = ocl_release,
    .get_profile = ocl_get_profile,
};

/* Picks the device: "P:D" exactly, else the first GPU or accelerator, else
 * (software devices allowed) the first device. */
static tsr_status pick_device(ocl_target *o, const char *spec, bool allow_cpu, tsr_error *err) {
  int want_p, want_d;
  TSR_TRY(parse_spec(spec, &want_p, &want_d, err));
  cl_platform_id plats[kMaxPlatforms];
  cl_uint np = 0;
  TSR_TRY(list_platforms(CL(o), plats, &np, err));
  int best_p = -1, best_d = -1, cpu_p = -1, cpu_d = -1;
  cl_device_id best = NULL, cpu = NULL;
  for (cl_uint p = 0; p < np; ++p) {
    cl_device_id devs[kMaxDevices];
    cl_uint nd = list_devices(CL(o), plats[p], devs);
    if (want_p >= 0) {
      if ((int)p != want_p) continue;
      if (want_d >= (int)nd)
        return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "opencl: platform %d has %u device(s), no device %d", want_p,
                         (unsigned)nd, want_d);
      best = devs[want_d];
      best_p = want_p;
      best_d = want_d;
      break;
    }
    for (cl_uint d = 0; d < nd; ++d) {
      cl_device_type type = 0;
      CL(o)->clGetDeviceInfo(devs[d], CL_DEVICE_TYPE, sizeof(type), &type, NULL);
      if (!(type & CL_DEVICE_TYPE_CPU) && best == NULL) {
        best = devs[d];
        best_p = (int)p;
        best_d = (int)d;
      } else if ((type & CL_DEVICE_TYPE_CPU) && cpu == NULL) {
        cpu = devs[d];
        cpu_p = (int)p;
        cpu_d = (int)d;
      }
    }
  }
  if (want_p >= (int)np)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "opencl: %u platform(s), no platform %d", (unsigned)np, want_p);
  if (best == NULL && want_p < 0) {
    best = cpu;
    best_p = cpu_p;
    best_d = cpu_d;
  }
  if (best == NULL) return TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "opencl: no OpenCL device found");
  cl_device_type type = 0;
  CL(o)->clGetDeviceInfo(best, CL_DEVICE_TYPE, sizeof(type), &type, NULL);
  if ((type & CL_DEVICE_TYPE_CPU) && !allow_cpu)
    return TSR_ERROR(err, TSR_ERR_UNSUPPORTED,
                     "opencl: device %d:%d is a CPU (software) device and allow_cpu_device is not set", best_p,
                     best_d);
  o->platform = plats[best_p];
  o->device = best;
  snprintf(o->name, sizeof(o->name), "opencl:%d:%d", best_p, best_d);
  return TSR_OK;
}

tsr_status tsr_opencl_backend_create(const char *spec, const tsr_target_options *opt, const tsr_allocator *a,
                                     tsr_target **out, tsr_error *err);
tsr_status tsr_opencl_backend_create(const char *spec, const tsr_target_options *opt, const tsr_allocator *a,
                                     tsr_target **out, tsr_error *err) {
  static const tsr_target_options kDefault = {0};
  if (a == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "opencl: NULL argument");
  if (opt == NULL) opt = &kDefault;
  ocl_target *o = tsr_alloc(a, sizeof(*o), 0);
  if (o == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "opencl: target object");
  memset(o, 0, sizeof(*o));
  o->base.vt = &kOpenclVtable;
  o->base.allocator = a;
  tsr_status st = tsr_cl_api_load(&o->api, err);
  if (st != TSR_OK) {
    tsr_free(a, o);
    return st;
  }
  st = pick_device(o, spec, opt->allow_cpu_device, err);
  if (st != TSR_OK) {
    ocl_deinit(&o->base);
    return st;
  }
  st = describe_device(o, err);
  if (st != TSR_OK) {
    ocl_deinit(&o->base);
    return st;
  }
  /* The kernels index with 64-bit integers: an embedded-profile device
   * without cles_khr_int64 cannot build them. */
  if (o->no_int64) {
    TSR_ERROR(err, TSR_ERR_UNSUPPORTED, "opencl: %s is an embedded-profile device without 64-bit integers",
              o->device_desc);
    ocl_deinit(&o->base);
    return TSR_ERR_UNSUPPORTED;
  }
  if (opt->cache_dir != NULL && opt->cache_dir[0] != '\0') {
    if (strlen(opt->cache_dir) >= sizeof(o->cache_dir)) {
      ocl_deinit(&o->base);
      return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "opencl: cache directory path too long");
    }
    snprintf(o->cache_dir, sizeof(o->cache_dir), "%s", opt->cache_dir);
  }
  cl_int e = CL_SUCCESS;
  cl_context_properties props[3] = {CL_CONTEXT_PLATFORM, (cl_context_properties)o->platform, 0};
  o->ctx = CL(o)->clCreateContext(props, 1, &o->device, NULL, NULL, &e);
  if (o->ctx == NULL || e != CL_SUCCESS) {
    o->ctx = NULL;
    TSR_ERROR(err, TSR_ERR_DEVICE, "opencl: clCreateContext: %s (%d)", tsr_cl_error_name(e), (int)e);
    ocl_deinit(&o->base);
    return TSR_ERR_DEVICE;
  }
  o->queue = CL(o)->clCreateCommandQueue(o->ctx, o->device, CL_QUEUE_PROFILING_ENABLE, &e);
  if (o->queue == NULL || e != CL_SUCCESS) {
    o->queue = NULL;
    TSR_ERROR(err, TSR_ERR_DEVICE, "opencl: clCreateCommandQueue: %s (%d)", tsr_cl_error_name(e), (int)e);
    ocl_deinit(&o->base);
    return TSR_ERR_DEVICE;
  }
  *out = &o->base;
  return TSR_OK;
}
