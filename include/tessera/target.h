/* The hardware abstraction layer: targets and the vtable they implement.
 *
 * A target owns device memory (buffers) and runs ops. The engine places each
 * graph node on a target, records the ops of consecutive nodes on one target
 * into a command list at prepare time (tsr_target_vtable.prepare), and at run
 * time submits that list and waits for it. A new target starts as a copy of
 * targets/null/, where every slot answers TSR_ERR_UNSUPPORTED. */
#ifndef TESSERA_TARGET_H_
#define TESSERA_TARGET_H_

#include "tessera/op.h"
#include "tessera/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ISA features, as a bit set. */
enum {
  TSR_ISA_NONE = 0,
  TSR_ISA_AVX2 = 1u << 0,       /* AVX2 + FMA + F16C */
  TSR_ISA_AVX512 = 1u << 1,     /* AVX-512 F, BW, DQ, VL */
  TSR_ISA_AVX512VNNI = 1u << 2, /* AVX-512 VNNI */
  TSR_ISA_AVX512BF16 = 1u << 3,
  TSR_ISA_AVXVNNI = 1u << 4,    /* VEX-encoded VNNI */
  TSR_ISA_NEON = 1u << 8,       /* AdvSIMD (aarch64, or armv7 with NEON) */
  TSR_ISA_NEONDOT = 1u << 9,    /* SDOT/UDOT */
  TSR_ISA_NEONI8MM = 1u << 10,  /* SMMLA */
  TSR_ISA_NEONFP16 = 1u << 11,  /* FP16 arithmetic */
  TSR_ISA_NEONBF16 = 1u << 12,
  TSR_ISA_SVE = 1u << 13,
};

/* What the CPU offers, detected once and passed by value. */
typedef struct tsr_cpu_features {
  uint32_t isa;          /* TSR_ISA_* bits */
  uint32_t n_cpus;       /* online logical CPUs */
  char arch[16];         /* "x86_64", "aarch64", "arm" */
  char brand[64];        /* CPU brand string if known */
} tsr_cpu_features;

/* Detects the features of the CPU this runs on (x86 CPUID + XGETBV,
 * aarch64/arm getauxval hwcaps). Pure apart from reading the CPU. */
void tsr_cpu_detect(tsr_cpu_features *out);
/* Writes the ISA names of |isa| space-separated ("avx2 avx512 ..."). */
void tsr_isa_format(uint32_t isa, char *out, size_t out_size);
/* Parses one ISA name ("avx2", "neondot", "scalar"); 0 if unknown or scalar,
 * *out_ok tells which. */
uint32_t tsr_isa_parse(const char *name, bool *out_ok);

typedef enum tsr_target_kind {
  TSR_TARGET_KIND_CPU = 0,
  TSR_TARGET_KIND_GPU,
  TSR_TARGET_KIND_NPU,
  TSR_TARGET_KIND_NULL,
} tsr_target_kind;

enum {
  /* Buffers are plain host memory: tensors may point at host data (weights in
   * a memory-mapped file, the caller's arena) without a buffer. */
  TSR_CAP_HOST_MEMORY = 1u << 0,
  /* Device memory is host-visible (unified memory SoC). */
  TSR_CAP_UNIFIED_MEMORY = 1u << 1,
  /* submit is asynchronous: call wait. */
  TSR_CAP_ASYNC = 1u << 2,
  /* Per-op timings available (tsr_target_vtable.get_profile). */
  TSR_CAP_PROFILING = 1u << 3,
};

typedef struct tsr_target_caps {
  char name[32];           /* "cpu", "vulkan:0", "opencl:0:0", "null" */
  char device[128];        /* human-readable device description */
  int32_t kind;            /* tsr_target_kind */
  uint32_t flags;          /* TSR_CAP_* */
  uint32_t isa;            /* CPU targets: the ISA kernels may use */
  uint32_t n_threads;      /* CPU targets: worker count */
  uint64_t max_buffer_size;   /* largest single buffer, bytes (0: no limit) */
  uint64_t memory_size;       /* device memory, bytes (0: unknown) */
  char features[512];      /* space-separated feature and limit list */
} tsr_target_caps;

/* Buffer usage hints for buffer_alloc. */
enum {
  TSR_BUFFER_WEIGHTS = 1u << 0, /* written once at prepare */
  TSR_BUFFER_ARENA = 1u << 1,   /* intermediates, rewritten every run */
  TSR_BUFFER_STATE = 1u << 2,   /* persistent across runs (KV cache) */
  TSR_BUFFER_HOST_VISIBLE = 1u << 3, /* request a host-mapped buffer */
};

/* A per-op timing sample, for profiling targets. */
typedef struct tsr_op_timing {
  tsr_op_type type;
  const char *name;
  double ms;
} tsr_op_timing;

typedef struct tsr_target tsr_target;
typedef struct tsr_cmdlist tsr_cmdlist; /* target-defined */

#define TSR_TARGET_ABI_VERSION 1u

typedef struct tsr_target_vtable {
  uint32_t abi_version; /* TSR_TARGET_ABI_VERSION */
  /* Releases everything the target holds. Required. */
  void (*deinit)(tsr_target *t);
  /* Required. */
  tsr_status (*get_caps)(const tsr_target *t, tsr_target_caps *out_caps);
  /* false: the engine places the op elsewhere (CPU fallback). Must only look
   * at types, shapes and parameters. Required. */
  bool (*supports_op)(const tsr_target *t, const tsr_op *op);
  /* Allocates |size| bytes of target memory into *out_buf. Load time only. */
  tsr_status (*buffer_alloc)(tsr_target *t, uint64_t size, uint32_t usage, tsr_buffer *out_buf);
  void (*buffer_free)(tsr_target *t, tsr_buffer *buf);
  /* Host address of the buffer (NULL slot or error: not mappable). */
  tsr_status (*buffer_map)(tsr_target *t, tsr_buffer *buf, void **out_ptr);
  /* Copies host -> buffer, and buffer -> host. Synchronous. */
  tsr_status (*buffer_upload)(tsr_target *t, tsr_buffer *buf, uint64_t offset, const void *src,
                              uint64_t size);
  tsr_status (*buffer_download)(tsr_target *t, const tsr_buffer *buf, uint64_t offset, void *dst,
                                uint64_t size);
  /* Records |ops| (all supported, tensors bound to this target's memory) into
   * a command list: kernels chosen, pipelines built, weights repacked,
   * scratch reserved. Load time only; may allocate. The ops array is only
   * borrowed during the call. */
  tsr_status (*prepare)(tsr_target *t, const tsr_op *ops, uint32_t n_ops, tsr_cmdlist **out_list);
  /* Runs a prepared list with the dynamic values |dyn|. Never allocates. */
  tsr_status (*submit)(tsr_target *t, tsr_cmdlist *list, const tsr_dyn_values *dyn);
  /* Waits for every submitted list. NULL: submit is synchronous. */
  tsr_status (*wait)(tsr_target *t);
  /* Frees a command list. */
  void (*release)(tsr_target *t, tsr_cmdlist *list);
  /* Optional (NULL: no profiling). Per-op times of the last submitted list. */
  tsr_status (*get_profile)(tsr_target *t, tsr_cmdlist *list, tsr_op_timing *out, uint32_t cap,
                            uint32_t *out_n);
} tsr_target_vtable;

/* The header every target object starts with. */
struct tsr_target {
  const tsr_target_vtable *vt;
  tsr_error error; /* detail of the target's last failure */
  const tsr_allocator *allocator;
};

/* Thin wrappers that check the slot and the arguments. */
TSR_NODISCARD tsr_status tsr_target_get_caps(const tsr_target *t, tsr_target_caps *out_caps);
bool tsr_target_supports_op(const tsr_target *t, const tsr_op *op);
TSR_NODISCARD tsr_status tsr_target_buffer_alloc(tsr_target *t, uint64_t size, uint32_t usage,
                                                 tsr_buffer *out_buf);
void tsr_target_buffer_free(tsr_target *t, tsr_buffer *buf);
TSR_NODISCARD tsr_status tsr_target_upload(tsr_target *t, tsr_buffer *buf, uint64_t offset,
                                           const void *src, uint64_t size);
TSR_NODISCARD tsr_status tsr_target_download(tsr_target *t, const tsr_buffer *buf, uint64_t offset,
                                             void *dst, uint64_t size);
TSR_NODISCARD tsr_status tsr_target_prepare(tsr_target *t, const tsr_op *ops, uint32_t n_ops,
                                            tsr_cmdlist **out_list);
TSR_NODISCARD tsr_status tsr_target_submit(tsr_target *t, tsr_cmdlist *list,
                                           const tsr_dyn_values *dyn);
TSR_NODISCARD tsr_status tsr_target_wait(tsr_target *t);
void tsr_target_release(tsr_target *t, tsr_cmdlist *list);
/* Destroys a target made by one of the create functions. */
void tsr_target_destroy(tsr_target *t);
/* The target's last error. */
const tsr_error *tsr_target_error(const tsr_target *t);

/* ---- Creating targets ------------------------------------------------- */

typedef struct tsr_target_options {
  uint32_t n_threads;   /* CPU: worker threads including the caller; 0 = all CPUs */
  uint32_t isa_mask;    /* CPU: restrict kernels to these ISA bits; 0 = all found */
  bool reference_only;  /* CPU: use only the reference kernels */
  bool validation;      /* GPU: enable the API validation layer */
  bool allow_cpu_device;/* GPU: accept a software device (lavapipe, PoCL) */
  const char *cache_dir;/* GPU: pipeline/program cache directory, or NULL */
  uint32_t min_split_ns;/* CPU: least estimated work (ns) per thread before an op is split over
                           threads (smaller ops run on the calling thread); 0 = default (20 us);
                           1 = split every op over all threads its units allow, and never
                           fall back to the calling thread on a busy machine (tests) */
} tsr_target_options;

/* TSR_OK if |name| names a target Tessera has (built into this library or
 * not): "cpu", "cpu:<variant>", "null", "vulkan[:...]", "opencl[:...]";
 * else TSR_ERR_INVALID_ARGUMENT with |err| naming it (a usage error: the
 * same name always fails). Pure, never allocates. */
TSR_NODISCARD tsr_status tsr_target_check_name(const char *name, tsr_error *err);

/* Creates a target from a name: "cpu", "cpu:scalar", "cpu:avx2", "cpu:ref",
 * "null", "vulkan", "vulkan:1", "opencl", "opencl:0:1". Allocates its
 * memory through |a| (which must outlive the target). An unknown name
 * (tsr_target_check_name) gives TSR_ERR_INVALID_ARGUMENT; an unavailable
 * target (no driver, no device, not built in) TSR_ERR_UNSUPPORTED, with the
 * reason in |err|. */
TSR_NODISCARD tsr_status tsr_target_create(const char *name, const tsr_target_options *opt,
                                           const tsr_allocator *a, tsr_target **out_target,
                                           tsr_error *err);

/* Lists the names of targets that can be created on this machine (for
 * `tsr targets` and the conformance suite): writes up to |cap| names of at
 * most 32 bytes each. CPU variants for each ISA level found are included
 * ("cpu:ref", "cpu:avx2", ...), then "cpu", GPU devices, and "null". */
uint32_t tsr_target_enumerate(char (*out_names)[32], uint32_t cap);

/* Creation entry points of the built-in targets. */
TSR_NODISCARD tsr_status tsr_cpu_target_create(const tsr_target_options *opt,
                                               const tsr_allocator *a, tsr_target **out_target,
                                               tsr_error *err);
TSR_NODISCARD tsr_status tsr_null_target_create(const tsr_allocator *a, tsr_target **out_target,
                                                tsr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_TARGET_H_ */
