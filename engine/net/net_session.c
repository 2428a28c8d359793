/* Sessions: a network on a target, prepared and bound, ready to run. */
#include <stdio.h>
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

/* Engine on |targets|[0..n) with |fallback| (may be NULL), program prepared
 * and bound. On failure |err| has the detail and the engine is torn down. */
static tsr_status prepare_on(tsr_net_session *s, tsr_target *const *targets, uint32_t n, tsr_target *fallback,
                             tsr_error *err) {
  tsr_engine_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.allocator = &s->allocator;
  for (uint32_t i = 0; i < n; ++i) cfg.targets[i] = targets[i];
  cfg.n_targets = n;
  cfg.fallback = fallback;
  size_t size = 0, align = 0;
  tsr_status st = tsr_engine_get_size(&cfg, &size, &align);
  if (st == TSR_OK) {
    s->engine_mem = tsr_alloc(&s->allocator, size, align);
    if (s->engine_mem == NULL) st = TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "net: engine memory");
  }
  if (st == TSR_OK) {
    st = tsr_engine_init(&cfg, s->engine_mem, size, &s->engine);
    if (st != TSR_OK) tsr_error_copy(err, tsr_engine_error(s->engine));
  }
  if (st == TSR_OK) {
    st = tsr_engine_prepare(s->engine, s->net->graph, &s->program);
    if (st != TSR_OK) tsr_error_copy(err, tsr_engine_error(s->engine));
  }
  if (st == TSR_OK) {
    st = tsr_program_bind_arena(s->program, NULL, 0);
    if (st != TSR_OK) tsr_error_copy(err, tsr_program_error(s->program));
  }
  if (st != TSR_OK) {
    if (err && err->code == TSR_OK) TSR_ERROR(err, st, "net: cannot prepare the network");
    tsr_program_destroy(s->program);
    s->program = NULL;
    if (s->engine) tsr_engine_deinit(s->engine);
    s->engine = NULL;
    tsr_free(&s->allocator, s->engine_mem);
    s->engine_mem = NULL;
  }
  return st;
}

static bool is_host_cpu(tsr_target *t) {
  tsr_target_caps caps;
  return tsr_target_get_caps(t, &caps) == TSR_OK && caps.kind == TSR_TARGET_KIND_CPU &&
         (caps.flags & TSR_CAP_HOST_MEMORY);
}

tsr_status tsr_net_session_open_ex(const tsr_net *net, const tsr_net_session_options *opt, const tsr_allocator *a,
                                   tsr_net_session *s, tsr_error *err) {
  if (net == NULL || opt == NULL || a == NULL || s == NULL)
    return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "net: NULL argument");
  memset(s, 0, sizeof(*s));
  s->allocator = *a;
  s->net = net;
  const char *name = opt->target ? opt->target : "cpu";
  tsr_target_options o;
  memset(&o, 0, sizeof(o));
  o.n_threads = opt->n_threads;
  o.allow_cpu_device = true;
  tsr_error terr;
  tsr_error_clear(&terr);
  tsr_status st = tsr_target_create(name, &o, a, &s->target, &terr);
  if (st != TSR_OK) {
    /* An unknown name is the caller's mistake, fallback or not. */
    if (st == TSR_ERR_INVALID_ARGUMENT || !opt->fallback_cpu) {
      tsr_error_copy(err, &terr);
      memset(s, 0, sizeof(*s));
      return st;
    }
    s->target = NULL;
    st = tsr_target_create("cpu", &o, a, &s->target, err);
    if (st != TSR_OK) {
      memset(s, 0, sizeof(*s));
      return st;
    }
    snprintf(s->fallback_note, sizeof(s->fallback_note), "fallback: target %.32s unavailable (%.160s): ran on cpu",
             name, terr.message);
  }
  bool host_cpu = is_host_cpu(s->target);
  if (opt->fallback_cpu && !host_cpu) {
    st = tsr_target_create("cpu", &o, a, &s->fallback, err);
    if (st != TSR_OK) {
      tsr_net_session_close(s);
      return st;
    }
  }
  /* Without the fallback asked for, a CPU target is its own fallback and
   * any other target must run every node. */
  tsr_target *fb = s->fallback ? s->fallback : (host_cpu ? s->target : NULL);
  st = prepare_on(s, &s->target, 1, fb, err);
  if (st == TSR_ERR_UNSUPPORTED && s->fallback != NULL) {
    /* The caller asked for the fallback and the graph cannot be split: the
     * whole network on the CPU. */
    char why[160];
    snprintf(why, sizeof(why), "%.159s", err ? err->message : "");
    tsr_error_clear(err);
    st = prepare_on(s, &s->fallback, 1, s->fallback, err);
    if (st == TSR_OK)
      snprintf(s->fallback_note, sizeof(s->fallback_note), "fallback: the network runs on cpu alone (%s)", why);
  }
  if (st != TSR_OK) {
    tsr_net_session_close(s);
    return st;
  }
  tsr_program_stats ps;
  if (s->fallback_note[0] == '\0' && s->fallback != NULL && tsr_program_get_stats(s->program, &ps) == TSR_OK &&
      ps.nodes_per_target[1] > 0)
    snprintf(s->fallback_note, sizeof(s->fallback_note), "fallback: %u of %u nodes on cpu",
             (unsigned)ps.nodes_per_target[1], (unsigned)ps.n_nodes);
  if (s->fallback_note[0]) TSR_ERROR(err, TSR_OK, "%s", s->fallback_note);
  return TSR_OK;
}

tsr_status tsr_net_session_open(const tsr_net *net, const char *target_name, uint32_t n_threads, const tsr_allocator *a,
                                tsr_net_session *s, tsr_error *err) {
  tsr_net_session_options o;
  memset(&o, 0, sizeof(o));
  o.target = target_name;
  o.n_threads = n_threads;
  return tsr_net_session_open_ex(net, &o, a, s, err);
}
