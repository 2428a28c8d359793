/* Sessions: a network on a target, prepared and bound, ready to run. */
#include <string.h>

#include "engine/net/net.h"

void tsr_net_session_close(tsr_net_session *s) {
  if (s == NULL) return;
  tsr_program_destroy(s->program);
  if (s->engine) tsr_engine_deinit(s->engine);
  tsr_free(&s->allocator, s->engine_mem);
  if (s->fallback) tsr_target_destroy(s->fallback);
  if (s->target) tsr_target_destroy(s->target);
  memset(s, 0, sizeof(*s));
}

tsr_status tsr_net_session_open(const tsr_net *net, const char *target_name, uint32_t n_threads, const tsr_allocator *a,
                                tsr_net_session *s, tsr_error *err) {
  if (net == NULL || a == NULL || s == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: NULL argument");
  memset(s, 0, sizeof(*s));
  s->allocator = *a;
  s->net = net;
  tsr_target_options o;
  memset(&o, 0, sizeof(o));
  o.n_threads = n_threads;
  o.allow_cpu_device = true;
  tsr_status st = tsr_target_create(target_name ? target_name : "cpu", &o, a, &s->target, err);
  if (st != TSR_OK) return st;
  tsr_target_caps caps;
  st = tsr_target_get_caps(s->target, &caps);
  if (st == TSR_OK && !(caps.flags & TSR_CAP_HOST_MEMORY)) st = tsr_target_create("cpu", &o, a, &s->fallback, err);
  tsr_engine_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.allocator = &s->allocator;
  cfg.targets[0] = s->target;
  cfg.n_targets = 1;
  cfg.fallback = s->fallback ? s->fallback : s->target;
  size_t size = 0, align = 0;
  if (st == TSR_OK) st = tsr_engine_get_size(&cfg, &size, &align);
  if (st == TSR_OK) {
    s->engine_mem = tsr_alloc(a, size, align);
    if (s->engine_mem == NULL) st = TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "net: engine memory");
  }
  if (st == TSR_OK) {
    st = tsr_engine_init(&cfg, s->engine_mem, size, &s->engine);
    if (st != TSR_OK) tsr_error_copy(err, tsr_engine_error(s->engine));
  }
  if (st == TSR_OK) {
    st = tsr_engine_prepare(s->engine, net->graph, &s->program);
    if (st != TSR_OK) tsr_error_copy(err, tsr_engine_error(s->engine));
  }
  if (st == TSR_OK) {
    st = tsr_program_bind_arena(s->program, NULL, 0);
    if (st != TSR_OK) tsr_error_copy(err, tsr_program_error(s->program));
  }
  if (st != TSR_OK) {
    if (err && err->code == TSR_OK) TSR_ERROR(err, st, "net: cannot prepare the network");
    tsr_net_session_close(s);
  }
  return st;
}

