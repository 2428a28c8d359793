/* The null target: every slot answers TSR_ERR_UNSUPPORTED (supports_op
 * false). It is the template a new target starts from. */
#include <stdio.h>
#include <string.h>

#include "tessera/tessera.h"

typedef struct null_target {
  tsr_target base;
} null_target;

static void null_deinit(tsr_target *t) { tsr_free(t->allocator, t); }

static tsr_status null_get_caps(const tsr_target *t, tsr_target_caps *out) {
  (void)t;
  memset(out, 0, sizeof(*out));
  snprintf(out->name, sizeof(out->name), "null");
  snprintf(out->device, sizeof(out->device), "no device: every op unsupported");
  out->kind = TSR_TARGET_KIND_NULL;
  return TSR_OK;
}

static bool null_supports_op(const tsr_target *t, const tsr_op *op) {
  (void)t;
  (void)op;
  return false;
}

static tsr_status null_buffer_alloc(tsr_target *t, uint64_t size, uint32_t usage, tsr_buffer *out) {
  (void)size, (void)usage, (void)out;
  return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "null: no memory");
}

static void null_buffer_free(tsr_target *t, tsr_buffer *buf) { (void)t, (void)buf; }

static tsr_status null_buffer_map(tsr_target *t, tsr_buffer *buf, void **out) {
  (void)buf, (void)out;
  return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "null: no memory");
}

static tsr_status null_upload(tsr_target *t, tsr_buffer *buf, uint64_t off, const void *src, uint64_t n) {
  (void)buf, (void)off, (void)src, (void)n;
  return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "null: no memory");
}

static tsr_status null_download(tsr_target *t, const tsr_buffer *buf, uint64_t off, void *dst, uint64_t n) {
  (void)buf, (void)off, (void)dst, (void)n;
  return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "null: no memory");
}

static tsr_status null_prepare(tsr_target *t, const tsr_op *ops, uint32_t n, tsr_cmdlist **out) {
  (void)ops, (void)n, (void)out;
  return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "null: runs no op");
}

static tsr_status null_submit(tsr_target *t, tsr_cmdlist *list, const tsr_dyn_values *dyn) {
  (void)list, (void)dyn;
  return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "null: runs no op");
}

static tsr_status null_wait(tsr_target *t) {
  return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "null: runs no op");
}

static void null_release(tsr_target *t, tsr_cmdlist *list) { (void)t, (void)list; }

static tsr_status null_get_profile(tsr_target *t, tsr_cmdlist *list, tsr_op_timing *out,
                                   uint32_t cap, uint32_t *out_n) {
  (void)list, (void)out, (void)cap, (void)out_n;
  return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "null: no profiling");
}

static const tsr_target_vtable kNullVtable = {
    .abi_version = TSR_TARGET_ABI_VERSION,
    .deinit = null_deinit,
    .get_caps = null_get_caps,
    .supports_op = null_supports_op,
    .buffer_alloc = null_buffer_alloc,
    .buffer_free = null_buffer_free,
    .buffer_map = null_buffer_map,
    .buffer_upload = null_upload,
    .buffer_download = null_download,
    .prepare = null_prepare,
    .submit = null_submit,
    .wait = null_wait,
    .release = null_release,
    .get_profile = null_get_profile,
};

tsr_status tsr_null_target_create(const tsr_allocator *a, tsr_target **out_target, tsr_error *err) {
  if (a == NULL || out_target == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "null: NULL argument");
  null_target *n = tsr_alloc(a, sizeof(*n), 0);
  if (n == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "null: target object");
  memset(n, 0, sizeof(*n));
  n->base.vt = &kNullVtable;
  n->base.allocator = a;
  *out_target = &n->base;
  return TSR_OK;
}
