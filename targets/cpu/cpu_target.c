/* The CPU target: every op through the best kernel of the registry for the
 * ISA it was created with, split over a persistent thread pool. */
#if defined(__linux__)
#define _DEFAULT_SOURCE 1 /* madvise */
#include <sys/mman.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal/backends.h"
#include "kernels/common/kernel.h"
#include "targets/cpu/cpu_cost.h"
#include "targets/cpu/threadpool.h"

/* One load-time packing of constant operands, shared by every step (of any
 * command list, e.g. the decode and prefill entries of an LLM) that runs the
 * same kernel on the same constant tensors. */
typedef struct cpu_pack {
  struct cpu_pack *next;
  const tsr_kernel *kernel;
  tsr_op key;  /* the op it was packed for (its constant sources matter) */
  size_t size;
  void *data;
  uint32_t refs;
} cpu_pack;

typedef struct cpu_target {
  tsr_target base;
  tsr_cpu_features features;
  uint32_t isa;          /* ISA bits the kernels may use */
  bool reference_only;
  bool capped;           /* thread count lowered by TESSERA_MAX_THREADS */
  int64_t min_split_ns;  /* least estimated work per thread of a split job (cpu_cost.h) */
  char name[32];
  tsr_pool pool;
  cpu_pack *packs;       /* live packings */
} cpu_target;

typedef struct cpu_step {
  tsr_op op;
  const tsr_kernel *kernel;
  void *packed;
  cpu_pack *pack; /* owner of |packed| */
  bool has_pre;  /* the kernel has a pre-pass and this op needs one (shared scratch > 0) */
  bool run_pre;  /* false: the shared scratch already holds this step's pre-pass */
  int32_t pre_src; /* the step whose pre-pass this step reads (-1: none) */
  int64_t grain; /* fewest units per chunk */
  int64_t pre_cost_ns; /* estimated time of the pre-pass (cpu_cost.h) */
  int32_t cost_scale;  /* times the estimate: reference kernels are slower */
} cpu_step;

/* Consecutive independent steps run as one pool job (one wait instead of
 * one per step): no step of a batch reads or writes what another writes,
 * and at most one pre-pass runs for the whole batch, before it. */
typedef struct cpu_batch {
  uint32_t first, count;
  int32_t pre; /* the step whose pre-pass runs first, or -1 */
} cpu_batch;

enum { kMaxBatch = 8 };

struct tsr_cmdlist {
  uint32_t n_steps;
  cpu_step *steps;
  uint32_t n_batches;
  cpu_batch *batches;
  uint8_t *scratch;          /* n_threads * scratch_stride bytes */
  size_t scratch_stride;
  uint8_t *shared;           /* the ops' shared scratch (largest of any step) */
};

/* What one pool job needs: a pre-pass of one step, or the runs of the
 * steps of a batch over their concatenated units. */
typedef struct cpu_job {
  const cpu_step *steps;
  uint32_t n;                  /* steps in the job */
  int64_t start[kMaxBatch + 1]; /* first unit of each step; start[n] = total */
  bool pre;                    /* run steps[0]'s pre-pass */
  const tsr_dyn_values *dyn;
  const struct tsr_cmdlist *list;
} cpu_job;

static cpu_target *cpu_cast(tsr_target *t) { return (cpu_target *)t; }

static void cpu_deinit(tsr_target *t) {
  cpu_target *c = cpu_cast(t);
  tsr_pool_deinit(&c->pool);
  const tsr_allocator *a = t->allocator;
  while (c->packs != NULL) { /* lists the caller never released */
    cpu_pack *p = c->packs;
    c->packs = p->next;
    tsr_free(a, p->data);
    tsr_free(a, p);
  }
  tsr_free(a, c);
}

/* TESSERA_MAX_THREADS caps every CPU target's thread count (0 or unset: no
 * cap). For hosts whose threads do not work (qemu-user on some kernels) and
 * for deployments that keep cores free; read once per target created. */
static uint32_t thread_cap(void) {
#ifdef TSR_NO_THREADS
  return 1;
#else
  const char *v = getenv("TESSERA_MAX_THREADS");
  if (v == NULL || *v == '\0') return 0;
  char *end = NULL;
  const unsigned long n = strtoul(v, &end, 10);
  if (end == v || *end != '\0' || n > 256) return 0;
  return (uint32_t)n;
#endif
}

static tsr_status cpu_get_caps(const tsr_target *t, tsr_target_caps *out) {
  const cpu_target *c = (const cpu_target *)t;
  memset(out, 0, sizeof(*out));
  snprintf(out->name, sizeof(out->name), "%s", c->name);
  snprintf(out->device, sizeof(out->device), "%s (%s, %u CPUs)",
           c->features.brand[0] ? c->features.brand : "CPU", c->features.arch,
           (unsigned)c->features.n_cpus);
  out->kind = TSR_TARGET_KIND_CPU;
  out->flags = TSR_CAP_HOST_MEMORY;
  out->isa = c->isa;
  out->n_threads = c->pool.n_threads;
  char isa[128], found[128];
  tsr_isa_format(c->reference_only ? 0 : c->isa, isa, sizeof(isa));
  tsr_isa_format(c->features.isa, found, sizeof(found));
  snprintf(out->features, sizeof(out->features), "kernels=%s%s cpu_isa=[%s] threads=%u%s", isa,
           c->reference_only ? "(reference)" : "", found, (unsigned)c->pool.n_threads,
           c->capped ? " (capped by TESSERA_MAX_THREADS)" : "");
  return TSR_OK;
}

static bool cpu_supports_op(const tsr_target *t, const tsr_op *op) {
  const cpu_target *c = (const cpu_target *)t;
  if (tsr_op_validate(op, NULL) != TSR_OK) return false;
  return tsr_kernel_select(op, c->isa, c->reference_only) != NULL;
}

static tsr_status cpu_buffer_alloc(tsr_target *t, uint64_t size, uint32_t usage, tsr_buffer *out) {
  (void)usage;
  void *p = tsr_alloc(t->allocator, size ? (size_t)size : 1, 64);
  if (p == NULL) return TSR_ERROR(&t->error, TSR_ERR_OUT_OF_MEMORY, "cpu: %llu-byte buffer", (unsigned long long)size);
  memset(out, 0, sizeof(*out));
  out->target = t;
  out->handle = p;
  out->host = p;
  out->size = size;
  return TSR_OK;
}

static void cpu_buffer_free(tsr_target *t, tsr_buffer *buf) {
  tsr_free(t->allocator, buf->handle);
  memset(buf, 0, sizeof(*buf));
}

static tsr_status cpu_buffer_map(tsr_target *t, tsr_buffer *buf, void **out) {
  (void)t;
  *out = buf->host;
  return TSR_OK;
}

static tsr_status cpu_upload(tsr_target *t, tsr_buffer *buf, uint64_t off, const void *src, uint64_t n) {
  (void)t;
  memcpy((uint8_t *)buf->host + off, src, (size_t)n);
  return TSR_OK;
}

static tsr_status cpu_download(tsr_target *t, const tsr_buffer *buf, uint64_t off, void *dst, uint64_t n) {
  (void)t;
  memcpy(dst, (const uint8_t *)buf->host + off, (size_t)n);
  return TSR_OK;
}

static void unref_pack(cpu_target *c, cpu_pack *p) {
  if (p == NULL || --p->refs > 0) return;
  for (cpu_pack **q = &c->packs; *q != NULL; q = &(*q)->next) {
    if (*q == p) {
      *q = p->next;
      break;
    }
  }
  tsr_free(c->base.allocator, p->data);
  tsr_free(c->base.allocator, p);
}

static void cpu_release(tsr_target *t, tsr_cmdlist *list) {
  if (list == NULL) return;
  const tsr_allocator *a = t->allocator;
  for (uint32_t i = 0; i < list->n_steps; ++i) unref_pack(cpu_cast(t), list->steps[i].pack);
  tsr_free(a, list->steps);
  tsr_free(a, list->batches);
  tsr_free(a, list->scratch);
  tsr_free(a, list->shared);
  tsr_free(a, list);
}

/* Packed weights: large ones 2 MiB aligned and, on Linux, in transparent
 * huge pages (decode streams them: fewer TLB misses). */
static void *alloc_packed(const tsr_allocator *a, size_t n) {
  const size_t huge = (size_t)2 << 20;
  if (n < 2 * huge) return tsr_alloc(a, n, 64);
  size_t rounded = (n + huge - 1) & ~(huge - 1);
  void *p = tsr_alloc(a, rounded, huge);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (p != NULL) (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return p;
}

static bool host_bound(const tsr_tensor *t) { return t->dtype == TSR_DTYPE_NONE || t->data != NULL; }

static bool same_tensor(const tsr_tensor *a, const tsr_tensor *b) {
  if (a->dtype != b->dtype || a->ndim != b->ndim || a->data != b->data || a->flags != b->flags) return false;
  for (int i = 0; i < a->ndim; ++i) {
    if (a->shape[i] != b->shape[i] || a->stride[i] != b->stride[i]) return false;
  }
  return true;
}

/* The packing of |op| by |k| (|size| bytes): an existing one with the same
 * kernel and the same constant sources, or a new one. NULL: out of memory. */
static cpu_pack *get_pack(cpu_target *c, const tsr_kernel *k, const tsr_op *op, size_t size) {
  for (cpu_pack *p = c->packs; p != NULL; p = p->next) {
    if (p->kernel != k || p->size != size || p->key.type != op->type || p->key.n_src != op->n_src) continue;
    bool same = true;
    for (uint32_t i = 0; i < op->n_src && same; ++i) {
      bool ca = (op->src[i].flags & TSR_TENSOR_FLAG_CONST) != 0, cb = (p->key.src[i].flags & TSR_TENSOR_FLAG_CONST) != 0;
      same = ca == cb && (!ca || same_tensor(&op->src[i], &p->key.src[i]));
    }
    if (same) {
      p->refs++;
      return p;
    }
  }
  const tsr_allocator *a = c->base.allocator;
  cpu_pack *p = tsr_alloc(a, sizeof(*p), 0);
  if (p == NULL) return NULL;
  p->data = alloc_packed(a, size);
  if (p->data == NULL) {
    tsr_free(a, p);
    return NULL;
  }
  k->pack(op, p->data);
  p->kernel = k;
  p->key = *op;
  p->size = size;
  p->refs = 1;
  p->next = c->packs;
  c->packs = p;
  return p;
}

/* The bytes [lo, hi) a host tensor's elements span. */
static void span_of(const tsr_tensor *t, uintptr_t *lo, uintptr_t *hi) {
  int64_t first = 0, last = 0;
  for (int i = 0; i < t->ndim; ++i) {
    if (t->shape[i] == 0) {
      *lo = *hi = (uintptr_t)t->data;
      return;
    }
    bool inner_block = tsr_dtype_is_quantized(t->dtype) && i == t->ndim - 1;
    if (inner_block) continue;
    int64_t ext = (t->shape[i] - 1) * t->stride[i];
    if (ext < 0) first += ext;
    else last += ext;
  }
  size_t inner = t->ndim > 0 && tsr_dtype_is_quantized(t->dtype)
                     ? tsr_dtype_row_bytes(t->dtype, t->shape[t->ndim - 1])
                     : tsr_dtype_block_bytes(t->dtype);
  *lo = (uintptr_t)t->data + (uintptr_t)first;
  *hi = (uintptr_t)t->data + (uintptr_t)last + inner;
}

static bool overlap(const tsr_tensor *a, const tsr_tensor *b) {
  uintptr_t alo, ahi, blo, bhi;
  span_of(a, &alo, &ahi);
  span_of(b, &blo, &bhi);
  return alo < bhi && blo < ahi;
}

static bool same_view(const tsr_tensor *a, const tsr_tensor *b) {
  if (a->data != b->data || a->dtype != b->dtype || a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; ++i) {
    if (a->shape[i] != b->shape[i] || a->stride[i] != b->stride[i]) return false;
  }
  return true;
}

/* Steps whose pre-pass would recompute the shared scratch a previous step
 * left there (same pre_key, same src[0], nothing written over src[0] since)
 * skip it: e.g. Q, K and V projections quantize their input once. */
static void share_pre_passes(struct tsr_cmdlist *list) {
  int64_t last = -1; /* the step whose pre-pass the shared scratch holds */
  for (uint32_t i = 0; i < list->n_steps; ++i) {
    cpu_step *s = &list->steps[i];
    const tsr_kernel *k = s->kernel;
    if (last >= 0 && overlap(&s->op.dst, &list->steps[last].op.src[0])) last = -1;
    s->pre_src = -1;
    if (!s->has_pre) continue;
    s->run_pre = true;
    if (last >= 0 && k->pre_key != NULL && k->pre_key == list->steps[last].kernel->pre_key &&
        same_view(&s->op.src[0], &list->steps[last].op.src[0])) {
      s->run_pre = false;
      s->pre_src = (int32_t)last;
      continue; /* the scratch still holds |last|'s pre-pass */
    }
    last = i;
    s->pre_src = (int32_t)i;
    if (overlap(&s->op.dst, &s->op.src[0])) last = -1;
  }
}

/* Does step |b| read or write what step |a| writes, or write what |a| reads? */
static bool depends(const cpu_step *a, const cpu_step *b) {
  if (overlap(&a->op.dst, &b->op.dst)) return true;
  for (uint32_t i = 0; i < b->op.n_src; ++i) {
    if (b->op.src[i].dtype != TSR_DTYPE_NONE && overlap(&a->op.dst, &b->op.src[i])) return true;
  }
  for (uint32_t i = 0; i < a->op.n_src; ++i) {
    if (a->op.src[i].dtype != TSR_DTYPE_NONE && overlap(&b->op.dst, &a->op.src[i])) return true;
  }
  return false;
}

/* Cuts the steps into batches of consecutive independent steps. Writes
 * list->batches (n_steps entries allocated). */
static void make_batches(struct tsr_cmdlist *list) {
  list->n_batches = 0;
  uint32_t i = 0;
  while (i < list->n_steps) {
    cpu_batch *b = &list->batches[list->n_batches++];
    b->first = i;
    b->count = 1;
    b->pre = list->steps[i].run_pre ? (int32_t)i : -1;
    int32_t src = list->steps[i].pre_src; /* the pre-pass the batch's readers share */
    for (uint32_t j = i + 1; j < list->n_steps && b->count < kMaxBatch; ++j) {
      const cpu_step *s = &list->steps[j];
      if (s->pre_src >= 0) {
        if (src >= 0 && s->pre_src != src) break;
        if (s->run_pre && b->pre >= 0) break;
      }
      bool dep = false;
      for (uint32_t k = i; k < j && !dep; ++k) dep = depends(&list->steps[k], s);
      if (dep) break;
      if (s->pre_src >= 0) src = s->pre_src;
      if (s->run_pre) b->pre = (int32_t)j;
      b->count++;
    }
    i += b->count;
  }
}

static tsr_status cpu_prepare(tsr_target *t, const tsr_op *ops, uint32_t n_ops, tsr_cmdlist **out) {
  cpu_target *c = cpu_cast(t);
  const tsr_allocator *a = t->allocator;
  tsr_cmdlist *list = tsr_alloc(a, sizeof(*list), 0);
  if (list == NULL) return TSR_ERROR(&t->error, TSR_ERR_OUT_OF_MEMORY, "cpu: command list");
  memset(list, 0, sizeof(*list));
  list->steps = tsr_alloc(a, sizeof(cpu_step) * (n_ops ? n_ops : 1), 0);
  if (list->steps == NULL) {
    cpu_release(t, list);
    return TSR_ERROR(&t->error, TSR_ERR_OUT_OF_MEMORY, "cpu: %u steps", (unsigned)n_ops);
  }
  size_t scratch = 0, shared = 0;
  for (uint32_t i = 0; i < n_ops; ++i) {
    const tsr_op *op = &ops[i];
    cpu_step *s = &list->steps[list->n_steps];
    tsr_status st = tsr_op_validate(op, &t->error);
    if (st != TSR_OK) {
      cpu_release(t, list);
      return st;
    }
    bool bound = host_bound(&op->dst);
    for (uint32_t j = 0; j < op->n_src; ++j) bound = bound && host_bound(&op->src[j]);
    if (!bound) {
      cpu_release(t, list);
      return TSR_ERROR(&t->error, TSR_ERR_INVALID_ARGUMENT, "cpu: %s has a tensor without host memory",
                       op->name ? op->name : tsr_op_type_name(op->type));
    }
    s->op = *op;
    s->packed = NULL;
    s->pack = NULL;
    s->run_pre = false;
    s->kernel = tsr_kernel_select(op, c->isa, c->reference_only);
    if (s->kernel == NULL) {
      cpu_release(t, list);
      return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "cpu: no kernel for %s (%s)",
                       op->name ? op->name : tsr_op_type_name(op->type), tsr_op_type_name(op->type));
    }
    list->n_steps++;
    if (s->kernel->packed_size && s->kernel->pack) {
      size_t n = s->kernel->packed_size(op);
      if (n > 0) {
        s->pack = get_pack(c, s->kernel, op, n);
        if (s->pack == NULL) {
          cpu_release(t, list);
          return TSR_ERROR(&t->error, TSR_ERR_OUT_OF_MEMORY, "cpu: %zu bytes of packed weights", n);
        }
        s->packed = s->pack->data;
      }
    }
    if (s->kernel->scratch) {
      size_t n = s->kernel->scratch(op);
      if (n > scratch) scratch = n;
    }
    s->has_pre = false;
    if (s->kernel->shared_scratch && s->kernel->pre) {
      size_t n = s->kernel->shared_scratch(op);
      if (n > shared) shared = n;
      s->has_pre = n > 0; /* nothing to write: no pre-pass, no barrier */
    }
    s->grain = s->kernel->grain ? s->kernel->grain(op) : 1;
    if (s->grain < 1) s->grain = 1;
    s->cost_scale = s->kernel->isa == 0 ? 4 : 1;
    /* A pre-pass reads about what it writes into the shared scratch. */
    s->pre_cost_ns = s->has_pre ? (int64_t)(s->kernel->shared_scratch(op) / 4) * s->cost_scale : 0;
  }
  share_pre_passes(list);
  list->batches = tsr_alloc(a, sizeof(cpu_batch) * (list->n_steps ? list->n_steps : 1), 0);
  if (list->batches == NULL) {
    cpu_release(t, list);
    return TSR_ERROR(&t->error, TSR_ERR_OUT_OF_MEMORY, "cpu: batches");
  }
  make_batches(list);
  if (shared > 0) {
    list->shared = tsr_alloc(a, shared, 64);
    if (list->shared == NULL) {
      cpu_release(t, list);
      return TSR_ERROR(&t->error, TSR_ERR_OUT_OF_MEMORY, "cpu: %zu bytes of shared scratch", shared);
    }
  }
  list->scratch_stride = (scratch + 63) & ~(size_t)63;
  if (list->scratch_stride > 0) {
    list->scratch = tsr_alloc(a, list->scratch_stride * c->pool.n_threads, 64);
    if (list->scratch == NULL) {
      cpu_release(t, list);
      return TSR_ERROR(&t->error, TSR_ERR_OUT_OF_MEMORY, "cpu: scratch");
    }
  }
  *out = list;
  return TSR_OK;
}

static void cpu_job_fn(void *arg, uint32_t thread, int64_t begin, int64_t end) {
  const cpu_job *job = arg;
  tsr_kernel_ctx ctx = {
      .op = NULL,
      .dyn = job->dyn,
      .scratch = job->list->scratch ? job->list->scratch + thread * job->list->scratch_stride : NULL,
      .packed = NULL,
      .thread = thread,
      .shared = job->list->shared,
  };
  if (job->pre) {
    ctx.op = &job->steps[0].op;
    ctx.packed = job->steps[0].packed;
    job->steps[0].kernel->pre(&ctx, begin, end);
    return;
  }
  for (uint32_t i = 0; i < job->n && begin < end; ++i) {
    const int64_t lo = job->start[i], hi = job->start[i + 1];
    if (begin >= hi) continue;
    const int64_t e = end < hi ? end : hi;
    ctx.op = &job->steps[i].op;
    ctx.packed = job->steps[i].packed;
    job->steps[i].kernel->run(&ctx, begin - lo, e - lo);
    begin = e;
  }
}

/* Chunk size for |units| units on |threads| threads: about 8 chunks per
 * thread for balance (a worker the OS deschedules holds back one small
 * chunk, not a share), never below the kernel's grain. */
static int64_t chunk_for(int64_t units, uint32_t threads, int64_t grain) {
  int64_t c = units / ((int64_t)threads * 8);
  return c < grain ? grain : c;
}

static tsr_status cpu_submit(tsr_target *t, tsr_cmdlist *list, const tsr_dyn_values *dyn) {
  cpu_target *c = cpu_cast(t);
  static const tsr_dyn_values kZero = {{0}};
  if (dyn == NULL) dyn = &kZero;
  const uint32_t nt = c->pool.n_threads;
  for (uint32_t bi = 0; bi < list->n_batches; ++bi) {
    const cpu_batch *b = &list->batches[bi];
    if (b->pre >= 0) {
      const cpu_step *s = &list->steps[b->pre];
      cpu_job pre = {.steps = s, .n = 1, .pre = true, .dyn = dyn, .list = list};
      int64_t units = s->kernel->pre_units(&s->op, dyn);
      uint32_t k = tsr_cpu_split_threads(s->pre_cost_ns, units, nt, c->min_split_ns);
      tsr_pool_run_on(&c->pool, cpu_job_fn, &pre, units, chunk_for(units, k, 1), k);
    }
    cpu_job job = {.steps = &list->steps[b->first], .n = b->count, .pre = false, .dyn = dyn, .list = list};
    int64_t total = 0, grain = 1, cost = 0;
    for (uint32_t i = 0; i < b->count; ++i) {
      const cpu_step *s = &job.steps[i];
      job.start[i] = total;
      total += s->kernel->units(&s->op, dyn);
      if (s->grain > grain) grain = s->grain;
      if (nt > 1) cost += tsr_cpu_op_cost_ns(&s->op, dyn) * s->cost_scale;
    }
    job.start[b->count] = total;
    /* Small jobs on fewer threads (the caller alone below the threshold):
     * only the split changes, never what a unit computes. */
    uint32_t k = tsr_cpu_split_threads(cost, total, nt, c->min_split_ns);
    tsr_pool_run_on(&c->pool, cpu_job_fn, &job, total, chunk_for(total, k, b->count == 1 ? grain : 1), k);
  }
  return TSR_OK;
}

static const tsr_target_vtable kCpuVtable = {
    .abi_version = TSR_TARGET_ABI_VERSION,
    .deinit = cpu_deinit,
    .get_caps = cpu_get_caps,
    .supports_op = cpu_supports_op,
    .buffer_alloc = cpu_buffer_alloc,
    .buffer_free = cpu_buffer_free,
    .buffer_map = cpu_buffer_map,
    .buffer_upload = cpu_upload,
    .buffer_download = cpu_download,
    .prepare = cpu_prepare,
    .submit = cpu_submit,
    .wait = NULL,
    .release = cpu_release,
    .get_profile = NULL,
};

tsr_status tsr_cpu_target_create(const tsr_target_options *opt, const tsr_allocator *a,
                                 tsr_target **out_target, tsr_error *err) {
  static const tsr_target_options kDefault = {0};
  if (out_target == NULL || a == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "cpu: NULL argument");
  if (opt == NULL) opt = &kDefault;
  cpu_target *c = tsr_alloc(a, sizeof(*c), 64);
  if (c == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "cpu: target object");
  memset(c, 0, sizeof(*c));
  c->base.vt = &kCpuVtable;
  c->base.allocator = a;
  tsr_cpu_detect(&c->features);
  c->isa = c->features.isa;
  if (opt->isa_mask != 0) c->isa &= opt->isa_mask;
  c->reference_only = opt->reference_only;
  c->min_split_ns = opt->min_split_ns == 0 ? TSR_CPU_MIN_SPLIT_NS : (int64_t)opt->min_split_ns;
  if (c->reference_only) c->isa = 0;
  snprintf(c->name, sizeof(c->name), "cpu");
  uint32_t n = opt->n_threads ? opt->n_threads : c->features.n_cpus;
  if (n > 256) n = 256;
  const uint32_t cap = thread_cap();
  if (cap != 0 && n > cap) {
    n = cap;
    c->capped = true;
  }
  tsr_status st = tsr_pool_init(&c->pool, n, a);
  if (st != TSR_OK) {
    tsr_free(a, c);
    return TSR_ERROR(err, st,
                     st == TSR_ERR_DEVICE ? "cpu: %u worker threads did not start within 10 s (a platform without "
                                            "working threads? TESSERA_MAX_THREADS=1 runs on the caller alone)"
                                          : "cpu: could not start %u threads",
                     (unsigned)(n - 1));
  }
  c->pool.adaptive = opt->min_split_ns != 1; /* tests: split every op, always */
  *out_target = &c->base;
  return TSR_OK;
}

/* Lets the registry name restricted variants ("cpu:avx2", "cpu:ref"). */
void tsr_cpu_target_set_name(tsr_target *t, const char *name) {
  snprintf(cpu_cast(t)->name, sizeof(cpu_cast(t)->name), "%s", name);
}

void tsr_cpu_target_restrict(tsr_target *t, uint32_t isa) { cpu_cast(t)->isa = isa; }
