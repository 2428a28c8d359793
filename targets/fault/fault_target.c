/* The fault-injection target: forwards every call to an inner target and
 * fails the n-th call of a chosen kind (targets/fault/fault_target.h).
 *
 * Built into the library always, but reachable only by the explicit name
 * "fault:<inner>" and inert until armed through the internal header: the
 * registry lives in the library, so the name is accepted the same way in
 * every build (tools, tests, tsr --target) and tests need no special
 * library; a production caller never names it. */
#include "targets/fault/fault_target.h"

#include <stdio.h>
#include <string.h>

typedef struct fault_target {
  tsr_target base;
  tsr_target *inner;
  char name[32];
  uint32_t count[TSR_FAULT_KIND_COUNT];
  uint32_t armed_at[TSR_FAULT_KIND_COUNT]; /* 0: not armed */
  uint32_t injected;
} fault_target;

static const char *const kKindNames[TSR_FAULT_KIND_COUNT] = {"submit", "wait", "alloc", "transfer"};

const char *tsr_fault_kind_name(tsr_fault_kind kind) {
  return (unsigned)kind < TSR_FAULT_KIND_COUNT ? kKindNames[kind] : "?";
}

static fault_target *ft(tsr_target *t) { return (fault_target *)t; }
static const fault_target *cft(const tsr_target *t) { return (const fault_target *)t; }

/* Counts a call of |kind|; TSR_ERR_DEVICE (with the detail) if it is the armed one. */
static tsr_status tick(fault_target *f, tsr_fault_kind kind, const char *call) {
  uint32_t n = ++f->count[kind];
  if (f->armed_at[kind] == 0 || n != f->armed_at[kind]) return TSR_OK;
  f->armed_at[kind] = 0;
  f->injected++;
  return TSR_ERROR(&f->base.error, TSR_ERR_DEVICE, "%s: injected fault: %s call %u (%s) failed", f->name,
                   kKindNames[kind], (unsigned)n, call);
}

/* The inner target's result, its error detail carried over on failure. */
static tsr_status pass(fault_target *f, tsr_status s) {
  if (s != TSR_OK) {
    tsr_error_copy(&f->base.error, &f->inner->error);
    if (f->base.error.code == TSR_OK) TSR_ERROR(&f->base.error, s, "%s: inner target call failed", f->name);
  }
  return s;
}

static void fault_deinit(tsr_target *t) {
  fault_target *f = ft(t);
  tsr_target_destroy(f->inner);
  tsr_free(t->allocator, f);
}

static tsr_status fault_get_caps(const tsr_target *t, tsr_target_caps *out) {
  const fault_target *f = cft(t);
  TSR_TRY(tsr_target_get_caps(f->inner, out));
  snprintf(out->name, sizeof(out->name), "%s", f->name);
  return TSR_OK;
}

static bool fault_supports_op(const tsr_target *t, const tsr_op *op) {
  return tsr_target_supports_op(cft(t)->inner, op);
}

/* Buffers stay the inner target's (buf->target is the inner target, which
 * its kernels check), so the engine frees them there directly. */
static tsr_status fault_buffer_alloc(tsr_target *t, uint64_t size, uint32_t usage, tsr_buffer *out) {
  fault_target *f = ft(t);
  TSR_TRY(tick(f, TSR_FAULT_ALLOC, "buffer_alloc"));
  return pass(f, tsr_target_buffer_alloc(f->inner, size, usage, out));
}

static void fault_buffer_free(tsr_target *t, tsr_buffer *buf) { tsr_target_buffer_free(ft(t)->inner, buf); }

static tsr_status fault_buffer_map(tsr_target *t, tsr_buffer *buf, void **out) {
  fault_target *f = ft(t);
  if (f->inner->vt->buffer_map == NULL) return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "%s: not mappable", f->name);
  return pass(f, f->inner->vt->buffer_map(f->inner, buf, out));
}

static tsr_status fault_upload(tsr_target *t, tsr_buffer *buf, uint64_t off, const void *src, uint64_t n) {
  fault_target *f = ft(t);
  TSR_TRY(tick(f, TSR_FAULT_TRANSFER, "buffer_upload"));
  return pass(f, tsr_target_upload(f->inner, buf, off, src, n));
}

static tsr_status fault_download(tsr_target *t, const tsr_buffer *buf, uint64_t off, void *dst, uint64_t n) {
  fault_target *f = ft(t);
  TSR_TRY(tick(f, TSR_FAULT_TRANSFER, "buffer_download"));
  return pass(f, tsr_target_download(f->inner, buf, off, dst, n));
}

static tsr_status fault_prepare(tsr_target *t, const tsr_op *ops, uint32_t n, tsr_cmdlist **out) {
  fault_target *f = ft(t);
  return pass(f, tsr_target_prepare(f->inner, ops, n, out));
}

static tsr_status fault_submit(tsr_target *t, tsr_cmdlist *list, const tsr_dyn_values *dyn) {
  fault_target *f = ft(t);
  TSR_TRY(tick(f, TSR_FAULT_SUBMIT, "submit"));
  return pass(f, tsr_target_submit(f->inner, list, dyn));
}

/* An injected wait failure still waits for the inner target first: the
 * device is idle afterwards, as after a real error reported at wait. */
static tsr_status fault_wait(tsr_target *t) {
  fault_target *f = ft(t);
  tsr_status s = pass(f, tsr_target_wait(f->inner));
  tsr_status inj = tick(f, TSR_FAULT_WAIT, "wait");
  return s != TSR_OK ? s : inj;
}

static void fault_release(tsr_target *t, tsr_cmdlist *list) { tsr_target_release(ft(t)->inner, list); }

static tsr_status fault_get_profile(tsr_target *t, tsr_cmdlist *list, tsr_op_timing *out, uint32_t cap,
                                    uint32_t *out_n) {
  fault_target *f = ft(t);
  if (f->inner->vt->get_profile == NULL)
    return TSR_ERROR(&t->error, TSR_ERR_UNSUPPORTED, "%s: no profiling", f->name);
  return pass(f, f->inner->vt->get_profile(f->inner, list, out, cap, out_n));
}

static const tsr_target_vtable kFaultVtable = {
    .abi_version = TSR_TARGET_ABI_VERSION,
    .deinit = fault_deinit,
    .get_caps = fault_get_caps,
    .supports_op = fault_supports_op,
    .buffer_alloc = fault_buffer_alloc,
    .buffer_free = fault_buffer_free,
    .buffer_map = fault_buffer_map,
    .buffer_upload = fault_upload,
    .buffer_download = fault_download,
    .prepare = fault_prepare,
    .submit = fault_submit,
    .wait = fault_wait,
    .release = fault_release,
    .get_profile = fault_get_profile,
};

tsr_status tsr_fault_target_create(const char *spec, const tsr_target_options *opt, const tsr_allocator *a,
                                   tsr_target **out, tsr_error *err) {
  if (spec == NULL || spec[0] == '\0')
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "fault: no inner target (fault:cpu, fault:vulkan:0, ...)");
  if (strncmp(spec, "fault", 5) == 0 && (spec[5] == '\0' || spec[5] == ':'))
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "fault: a fault target cannot wrap another ('%s')", spec);
  fault_target *f = tsr_alloc(a, sizeof(*f), 0);
  if (f == NULL) return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "fault: target object");
  memset(f, 0, sizeof(*f));
  tsr_status s = tsr_target_create(spec, opt, a, &f->inner, err);
  if (s != TSR_OK) {
    tsr_free(a, f);
    return s;
  }
  f->base.vt = &kFaultVtable;
  f->base.allocator = a;
  tsr_target_caps caps;
  if (tsr_target_get_caps(f->inner, &caps) != TSR_OK) snprintf(caps.name, sizeof(caps.name), "%s", spec);
  snprintf(f->name, sizeof(f->name), "fault:%.25s", caps.name);
  *out = &f->base;
  return TSR_OK;
}

bool tsr_fault_target_is(const tsr_target *t) { return t != NULL && t->vt == &kFaultVtable; }

tsr_status tsr_fault_target_arm(tsr_target *t, tsr_fault_kind kind, uint32_t n) {
  if (!tsr_fault_target_is(t) || (unsigned)kind >= TSR_FAULT_KIND_COUNT || n == 0) return TSR_ERR_INVALID_ARGUMENT;
  fault_target *f = ft(t);
  f->count[kind] = 0;
  f->armed_at[kind] = n;
  return TSR_OK;
}

void tsr_fault_target_disarm(tsr_target *t) {
  if (!tsr_fault_target_is(t)) return;
  memset(ft(t)->armed_at, 0, sizeof(ft(t)->armed_at));
}

uint32_t tsr_fault_target_count(const tsr_target *t, tsr_fault_kind kind) {
  if (!tsr_fault_target_is(t) || (unsigned)kind >= TSR_FAULT_KIND_COUNT) return 0;
  return cft(t)->count[kind];
}

void tsr_fault_target_reset_counts(tsr_target *t) {
  if (tsr_fault_target_is(t)) memset(ft(t)->count, 0, sizeof(ft(t)->count));
}

uint32_t tsr_fault_target_injected(const tsr_target *t) { return tsr_fault_target_is(t) ? cft(t)->injected : 0; }

tsr_target *tsr_fault_target_inner(tsr_target *t) { return tsr_fault_target_is(t) ? ft(t)->inner : NULL; }
