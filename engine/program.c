/* The engine: placement, memory planning and execution of graphs.
 *
 * Memory spaces: space 0 is host memory (every target with
 * TSR_CAP_HOST_MEMORY shares it); every other target has a space of its own.
 * A tensor is valid in a set of spaces; a node needs its sources valid in its
 * target's space, and the planner inserts copies (through the host between
 * two devices) where they are not. Per entry, every intermediate allocation
 * (tensor, space) lives from its first write to its last read, and is placed
 * at an offset of its space's arena by greedy best-fit over those lifetimes.
 * Host arena layout: [inputs and outputs][host state][host intermediates]. */
#include <stdio.h>
#include <string.h>

#include "engine/graph_internal.h"

#define MAX_SLOTS (TSR_ENGINE_MAX_TARGETS + 1)
#define ALIGN 256u
#define NONE UINT64_MAX

struct tsr_engine {
  tsr_allocator allocator;
  tsr_target *slot[MAX_SLOTS];
  uint32_t n_slots;      /* targets in order, then the fallback if not among them */
  int32_t fallback_slot; /* -1: none */
  uint32_t slot_space[MAX_SLOTS];
  tsr_target *space_target[MAX_SLOTS]; /* space 0: NULL (host) */
  uint32_t n_spaces;
  char slot_name[MAX_SLOTS][32];
  tsr_error error;
};

typedef enum step_kind { STEP_COPY = 0, STEP_SEGMENT = 1 } step_kind;

typedef struct step {
  uint8_t kind;
  uint8_t from, to; /* COPY: spaces */
  int32_t tensor;   /* COPY: root tensor */
  uint32_t seg;     /* SEGMENT: index */
} step;

typedef struct segment {
  uint32_t slot;
  uint32_t first, count; /* into program.order */
  tsr_cmdlist *list;
} segment;

typedef struct entry_plan {
  uint32_t first_step, n_steps;
  uint32_t first_node, n_nodes; /* into program.order */
} entry_plan;

/* An allocation in an arena (one entry, one space). */
typedef struct interval {
  int32_t tensor;
  uint32_t space;
  uint32_t start, end; /* step-clock indices, inclusive */
  uint64_t size;
  uint64_t offset;
} interval;

struct tsr_program {
  tsr_engine *engine;
  const tsr_graph *graph;
  tsr_error error;
  uint32_t nt, ns, n_entries;
  uint32_t *node_slot;     /* per graph node */
  uint32_t *order;         /* node indices grouped by entry */
  entry_plan entries[8];
  step *steps;
  uint32_t n_steps, cap_steps;
  segment *segs;
  uint32_t n_segs, cap_segs;
  uint64_t *arena_off;     /* [entry][tensor][space]: offset in the space's arena, or NONE */
  uint64_t *fixed_off;     /* [tensor][space]: io / state offset, or NONE */
  int32_t *state_home;     /* per tensor: home space of a STATE root, -1 unset */
  uint64_t arena_size[MAX_SLOTS];
  uint64_t state_size[MAX_SLOTS];
  uint64_t io_size;
  uint64_t naive_bytes;
  uint8_t **io_ext;        /* per tensor: caller memory of a bound INPUT/OUTPUT root, or NULL */
  /* Bound memory. */
  bool bound;
  uint8_t *host;           /* host arena */
  bool host_owned;
  size_t host_size;
  tsr_buffer dev_arena[MAX_SLOTS];
  tsr_buffer dev_state[MAX_SLOTS];
  tsr_buffer *const_buf;   /* [tensor][space] for device spaces (size 0: none) */
  uint64_t device_const_bytes;
  tsr_op *op_scratch;      /* prepare-time op array */
};

#define FAIL(obj, code, ...) TSR_ERROR(&(obj)->error, code, __VA_ARGS__)

static uint64_t align_up(uint64_t v) { return (v + ALIGN - 1) & ~(uint64_t)(ALIGN - 1); }

/* ---- engine ---- */

tsr_status tsr_engine_get_size(const tsr_engine_config *cfg, size_t *out_size, size_t *out_align) {
  if (cfg == NULL || out_size == NULL || out_align == NULL) return TSR_ERR_INVALID_ARGUMENT;
  *out_size = sizeof(tsr_engine);
  *out_align = _Alignof(tsr_engine);
  return TSR_OK;
}

tsr_status tsr_engine_init(const tsr_engine_config *cfg, void *mem, size_t mem_size, tsr_engine **out_engine) {
  if (cfg == NULL || mem == NULL || out_engine == NULL || cfg->allocator == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (mem_size < sizeof(tsr_engine)) return TSR_ERR_BUFFER_TOO_SMALL;
  if (((uintptr_t)mem % _Alignof(tsr_engine)) != 0) return TSR_ERR_INVALID_ARGUMENT;
  if (cfg->n_targets > TSR_ENGINE_MAX_TARGETS || (cfg->n_targets == 0 && cfg->fallback == NULL))
    return TSR_ERR_INVALID_ARGUMENT;
  tsr_engine *e = mem;
  memset(e, 0, sizeof(*e));
  e->allocator = *cfg->allocator;
  e->fallback_slot = -1;
  for (uint32_t i = 0; i < cfg->n_targets; ++i) {
    if (cfg->targets[i] == NULL) return TSR_ERR_INVALID_ARGUMENT;
    e->slot[e->n_slots++] = cfg->targets[i];
    if (cfg->targets[i] == cfg->fallback) e->fallback_slot = (int32_t)i;
  }
  if (cfg->fallback != NULL && e->fallback_slot < 0) {
    e->fallback_slot = (int32_t)e->n_slots;
    e->slot[e->n_slots++] = cfg->fallback;
  }
  e->n_spaces = 1;
  for (uint32_t i = 0; i < e->n_slots; ++i) {
    tsr_target_caps caps;
    tsr_status s = tsr_target_get_caps(e->slot[i], &caps);
    if (s != TSR_OK) return TSR_ERROR(&e->error, s, "engine: target %u has no capabilities", (unsigned)i);
    snprintf(e->slot_name[i], sizeof(e->slot_name[i]), "%s", caps.name);
    if (caps.flags & TSR_CAP_HOST_MEMORY) {
      e->slot_space[i] = 0;
    } else {
      e->slot_space[i] = e->n_spaces;
      e->space_target[e->n_spaces++] = e->slot[i];
    }
    if ((int32_t)i == e->fallback_slot && e->slot_space[i] != 0)
      return TSR_ERROR(&e->error, TSR_ERR_INVALID_ARGUMENT, "engine: fallback target %s is not a host-memory target", caps.name);
  }
  *out_engine = e;
  return TSR_OK;
}

void tsr_engine_deinit(tsr_engine *e) {
  if (e != NULL) memset(e, 0, sizeof(*e));
}

const tsr_error *tsr_engine_error(const tsr_engine *e) { return e ? &e->error : NULL; }

/* ---- planning ---- */

static tsr_status push_step(tsr_program *p, step s) {
  if (p->n_steps == p->cap_steps) {
    uint32_t nc = p->cap_steps ? p->cap_steps * 2 : 64;
    step *n = tsr_alloc(&p->engine->allocator, sizeof(step) * nc, 0);
    if (n == NULL) return FAIL(p, TSR_ERR_OUT_OF_MEMORY, "plan: steps");
    if (p->steps) memcpy(n, p->steps, sizeof(step) * p->n_steps);
    tsr_free(&p->engine->allocator, p->steps);
    p->steps = n;
    p->cap_steps = nc;
  }
  p->steps[p->n_steps++] = s;
  return TSR_OK;
}

static tsr_status push_seg(tsr_program *p, segment s) {
  if (p->n_segs == p->cap_segs) {
    uint32_t nc = p->cap_segs ? p->cap_segs * 2 : 16;
    segment *n = tsr_alloc(&p->engine->allocator, sizeof(segment) * nc, 0);
    if (n == NULL) return FAIL(p, TSR_ERR_OUT_OF_MEMORY, "plan: segments");
    if (p->segs) memcpy(n, p->segs, sizeof(segment) * p->n_segs);
    tsr_free(&p->engine->allocator, p->segs);
    p->segs = n;
    p->cap_segs = nc;
  }
  p->segs[p->n_segs++] = s;
  return TSR_OK;
}

static tsr_gtensor *gt(const tsr_program *p, int32_t id) { return &p->graph->tensors[id]; }

/* Places node |ni|: first slot that supports it, else the fallback; nodes
 * touching a state tensor go where that state lives. */
static tsr_status place_node(tsr_program *p, uint32_t ni) {
  tsr_engine *e = p->engine;
  const tsr_graph *g = p->graph;
  const tsr_gnode *n = &g->nodes[ni];
  tsr_op op;
  tsr_graph_node_op(g, n, &op);
  int32_t home = -1, state = -1;
  for (uint32_t i = 0; i <= n->n_src; ++i) {
    int32_t id = i < n->n_src ? n->src[i] : n->dst;
    if (id < 0) continue;
    int32_t r = tsr_graph_root(g, id);
    if (gt(p, r)->kind == TSR_TENSOR_STATE && p->state_home[r] >= 0) {
      home = p->state_home[r];
      state = r;
    }
  }
  int32_t chosen = -1;
  for (uint32_t s = 0; s < e->n_slots && chosen < 0; ++s) {
    if (home >= 0 && (int32_t)e->slot_space[s] != home) continue;
    if ((int32_t)s == e->fallback_slot && home < 0) continue; /* the fallback is tried last */
    if (tsr_target_supports_op(e->slot[s], &op)) chosen = (int32_t)s;
  }
  if (chosen < 0 && e->fallback_slot >= 0 && (home < 0 || e->slot_space[e->fallback_slot] == (uint32_t)home) &&
      tsr_target_supports_op(e->slot[e->fallback_slot], &op))
    chosen = e->fallback_slot;
  if (chosen < 0) {
    if (state >= 0)
      return FAIL(p, TSR_ERR_UNSUPPORTED, "node %s (%s): no target in the memory space of state %s supports it",
                  n->name, tsr_op_type_name(n->type), gt(p, state)->name);
    return FAIL(p, TSR_ERR_UNSUPPORTED, "node %s (%s): no target supports it", n->name, tsr_op_type_name(n->type));
  }
  p->node_slot[ni] = (uint32_t)chosen;
  uint32_t space = e->slot_space[chosen];
  for (uint32_t i = 0; i <= n->n_src; ++i) {
    int32_t id = i < n->n_src ? n->src[i] : n->dst;
    if (id < 0) continue;
    int32_t r = tsr_graph_root(g, id);
    if (gt(p, r)->kind == TSR_TENSOR_STATE && p->state_home[r] < 0) p->state_home[r] = (int32_t)space;
  }
  return TSR_OK;
}

typedef struct plan_ctx {
  uint32_t *valid;      /* per tensor: bit set of spaces holding it */
  int32_t *ival_of;     /* [tensor][space] -> interval index or -1 */
  interval *ivals;
  uint32_t n_ivals, cap_ivals;
  uint32_t clock;
} plan_ctx;

static bool needs_interval(const tsr_program *p, int32_t t, uint32_t space) {
  tsr_tensor_kind k = gt(p, t)->kind;
  if (k == TSR_TENSOR_CONST || k == TSR_TENSOR_STATE) return false;
  if (space == 0 && (k == TSR_TENSOR_INPUT || k == TSR_TENSOR_OUTPUT)) return false;
  return true;
}

/* Marks (t, space) live at the current clock. */
static tsr_status touch(tsr_program *p, plan_ctx *c, int32_t t, uint32_t space) {
  if (!needs_interval(p, t, space)) return TSR_OK;
  int32_t *slot = &c->ival_of[(size_t)t * p->ns + space];
  if (*slot < 0) {
    if (c->n_ivals == c->cap_ivals) {
      uint32_t nc = c->cap_ivals ? c->cap_ivals * 2 : 256;
      interval *n = tsr_alloc(&p->engine->allocator, sizeof(interval) * nc, 0);
      if (n == NULL) return FAIL(p, TSR_ERR_OUT_OF_MEMORY, "plan: intervals");
      if (c->ivals) memcpy(n, c->ivals, sizeof(interval) * c->n_ivals);
      tsr_free(&p->engine->allocator, c->ivals);
      c->ivals = n;
      c->cap_ivals = nc;
    }
    *slot = (int32_t)c->n_ivals;
    c->ivals[c->n_ivals++] = (interval){t, space, c->clock, c->clock, align_up(gt(p, t)->nbytes), 0};
  }
  c->ivals[*slot].end = c->clock;
  return TSR_OK;
}

static int lowest_valid(uint32_t mask) {
  for (int i = 0; i < 32; ++i) {
    if (mask & (1u << i)) return i;
  }
  return -1;
}

/* Makes root |t| valid in |space|, adding copies (through the host). */
static tsr_status ensure_valid(tsr_program *p, plan_ctx *c, int32_t t, uint32_t space) {
  if (c->valid[t] & (1u << space)) return TSR_OK;
  if (c->valid[t] == 0) {
    tsr_tensor_kind k = gt(p, t)->kind;
    if (k == TSR_TENSOR_INTERNAL || k == TSR_TENSOR_OUTPUT)
      return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "tensor %s is read before any node writes it", gt(p, t)->name);
    return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "tensor %s has no valid copy", gt(p, t)->name);
  }
  if (!(c->valid[t] & 1u) && space != 0) {
    TSR_TRY(ensure_valid(p, c, t, 0)); /* device -> host first */
  }
  uint32_t from = (c->valid[t] & 1u) ? 0u : (uint32_t)lowest_valid(c->valid[t]);
  TSR_TRY(touch(p, c, t, from));
  TSR_TRY(touch(p, c, t, space));
  TSR_TRY(push_step(p, (step){STEP_COPY, (uint8_t)from, (uint8_t)space, t, 0}));
  c->clock++;
  c->valid[t] |= 1u << space;
  return TSR_OK;
}

/* Greedy placement of one entry's intervals of one space; returns the size. */
static uint64_t assign_offsets(interval *iv, uint32_t n, uint32_t space, uint32_t *order_buf) {
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (iv[i].space == space) order_buf[m++] = i;
  }
  /* Largest first (insertion sort: stable and allocation-free). */
  for (uint32_t i = 1; i < m; ++i) {
    uint32_t x = order_buf[i];
    uint32_t j = i;
    while (j > 0 && iv[order_buf[j - 1]].size < iv[x].size) {
      order_buf[j] = order_buf[j - 1];
      --j;
    }
    order_buf[j] = x;
  }
  uint64_t total = 0;
  for (uint32_t i = 0; i < m; ++i) {
    interval *a = &iv[order_buf[i]];
    uint64_t off = 0;
    bool moved = true;
    while (moved) {
      moved = false;
      for (uint32_t j = 0; j < i; ++j) {
        const interval *b = &iv[order_buf[j]];
        bool overlap_time = a->start <= b->end && b->start <= a->end;
        bool overlap_mem = off < b->offset + b->size && b->offset < off + a->size;
        if (overlap_time && overlap_mem) {
          off = b->offset + b->size;
          moved = true;
        }
      }
    }
    a->offset = off;
    if (off + a->size > total) total = off + a->size;
  }
  return total;
}

static tsr_status plan_entry(tsr_program *p, plan_ctx *c, uint32_t e) {
  tsr_engine *eng = p->engine;
  const tsr_graph *g = p->graph;
  entry_plan *ep = &p->entries[e];
  ep->first_step = p->n_steps;
  for (uint32_t t = 0; t < p->nt; ++t) {
    tsr_tensor_kind k = gt(p, t)->kind;
    c->valid[t] = 0;
    if (k == TSR_TENSOR_INPUT) c->valid[t] = 1u;
    if (k == TSR_TENSOR_CONST) c->valid[t] = (1u << p->ns) - 1u;
    if (k == TSR_TENSOR_STATE && p->state_home[t] >= 0) c->valid[t] = 1u << p->state_home[t];
    for (uint32_t s = 0; s < p->ns; ++s) c->ival_of[(size_t)t * p->ns + s] = -1;
  }
  c->n_ivals = 0;
  c->clock = 0;
  uint32_t i = 0;
  while (i < ep->n_nodes) {
    uint32_t slot = p->node_slot[p->order[ep->first_node + i]];
    uint32_t space = eng->slot_space[slot];
    uint32_t j = i;
    while (j < ep->n_nodes && p->node_slot[p->order[ep->first_node + j]] == slot) ++j;
    /* Copies this segment needs, simulated in node order. */
    uint32_t saved_clock = c->clock;
    for (uint32_t k = i; k < j; ++k) {
      const tsr_gnode *n = &g->nodes[p->order[ep->first_node + k]];
      for (uint32_t s = 0; s < n->n_src; ++s) {
        if (n->src[s] < 0) continue;
        int32_t r = tsr_graph_root(g, n->src[s]);
        if (!(c->valid[r] & (1u << space))) TSR_TRY(ensure_valid(p, c, r, space));
      }
      int32_t d = tsr_graph_root(g, n->dst);
      bool partial = g->tensors[n->dst].kind == TSR_TENSOR_VIEW || n->type == TSR_OP_SET_ROWS;
      if (partial && c->valid[d] != 0 && !(c->valid[d] & (1u << space))) TSR_TRY(ensure_valid(p, c, d, space));
      c->valid[d] = 1u << space; /* provisional: written by this segment */
    }
    (void)saved_clock;
    TSR_TRY(push_seg(p, (segment){slot, ep->first_node + i, j - i, NULL}));
    TSR_TRY(push_step(p, (step){STEP_SEGMENT, 0, 0, -1, p->n_segs - 1}));
    /* Liveness of the segment's nodes: one clock tick per node. */
    for (uint32_t k = i; k < j; ++k) {
      const tsr_gnode *n = &g->nodes[p->order[ep->first_node + k]];
      for (uint32_t s = 0; s < n->n_src; ++s) {
        if (n->src[s] >= 0) TSR_TRY(touch(p, c, tsr_graph_root(g, n->src[s]), space));
      }
      TSR_TRY(touch(p, c, tsr_graph_root(g, n->dst), space));
      c->clock++;
    }
    i = j;
  }
  /* Outputs written by this entry end up on the host. */
  for (uint32_t t = 0; t < p->nt; ++t) {
    if (gt(p, t)->kind == TSR_TENSOR_OUTPUT && c->valid[t] != 0 && !(c->valid[t] & 1u)) TSR_TRY(ensure_valid(p, c, t, 0));
  }
  ep->n_steps = p->n_steps - ep->first_step;
  /* Offsets, per space. */
  uint32_t *order_buf = tsr_alloc(&eng->allocator, sizeof(uint32_t) * (c->n_ivals + 1), 0);
  if (order_buf == NULL) return FAIL(p, TSR_ERR_OUT_OF_MEMORY, "plan: offsets");
  for (uint32_t s = 0; s < p->ns; ++s) {
    uint64_t size = assign_offsets(c->ivals, c->n_ivals, s, order_buf);
    if (size > p->arena_size[s]) p->arena_size[s] = size;
  }
  tsr_free(&eng->allocator, order_buf);
  for (uint32_t k = 0; k < c->n_ivals; ++k) {
    const interval *iv = &c->ivals[k];
    p->arena_off[((size_t)e * p->nt + (size_t)iv->tensor) * p->ns + iv->space] = iv->offset;
    p->naive_bytes += iv->size;
  }
  return TSR_OK;
}

static void free_plan_ctx(tsr_program *p, plan_ctx *c) {
  tsr_free(&p->engine->allocator, c->valid);
  tsr_free(&p->engine->allocator, c->ival_of);
  tsr_free(&p->engine->allocator, c->ivals);
}

/* Offsets of the inputs and outputs at the start of the host arena; those
 * bound to caller memory (tsr_program_bind_io) take no room there. */
static void layout_io(tsr_program *p) {
  uint64_t io = 0;
  for (uint32_t t = 0; t < p->nt; ++t) {
    tsr_tensor_kind kd = gt(p, t)->kind;
    if (kd != TSR_TENSOR_INPUT && kd != TSR_TENSOR_OUTPUT) continue;
    if (p->io_ext != NULL && p->io_ext[t] != NULL) {
      p->fixed_off[(size_t)t * p->ns] = NONE;
      continue;
    }
    p->fixed_off[(size_t)t * p->ns] = io;
    io += align_up(gt(p, t)->nbytes);
  }
  p->io_size = io;
}

tsr_status tsr_engine_prepare(tsr_engine *e, const tsr_graph *g, tsr_program **out_program) {
  if (e == NULL || g == NULL || out_program == NULL) return TSR_ERR_INVALID_ARGUMENT;
  tsr_status st = tsr_graph_validate((tsr_graph *)g);
  if (st != TSR_OK) {
    tsr_error_copy(&e->error, &g->error);
    return st;
  }
  const tsr_allocator *a = &e->allocator;
  tsr_program *p = tsr_alloc(a, sizeof(*p), 0);
  if (p == NULL) return TSR_ERROR(&e->error, TSR_ERR_OUT_OF_MEMORY, "prepare: program");
  memset(p, 0, sizeof(*p));
  p->engine = e;
  p->graph = g;
  p->nt = g->n_tensors;
  p->ns = e->n_spaces;
  p->n_entries = g->n_entries;
  size_t nt = p->nt ? p->nt : 1, nn = g->n_nodes ? g->n_nodes : 1;
  p->node_slot = tsr_alloc(a, sizeof(uint32_t) * nn, 0);
  p->order = tsr_alloc(a, sizeof(uint32_t) * nn, 0);
  p->arena_off = tsr_alloc(a, sizeof(uint64_t) * nt * p->ns * p->n_entries, 0);
  p->fixed_off = tsr_alloc(a, sizeof(uint64_t) * nt * p->ns, 0);
  p->state_home = tsr_alloc(a, sizeof(int32_t) * nt, 0);
  p->const_buf = tsr_alloc(a, sizeof(tsr_buffer) * nt * p->ns, 0);
  plan_ctx c = {0};
  c.valid = tsr_alloc(a, sizeof(uint32_t) * nt, 0);
  c.ival_of = tsr_alloc(a, sizeof(int32_t) * nt * p->ns, 0);
  /* Zeroed first: tsr_program_destroy reads it on the failure path below. */
  if (p->const_buf) memset(p->const_buf, 0, sizeof(tsr_buffer) * nt * p->ns);
  if (!p->node_slot || !p->order || !p->arena_off || !p->fixed_off || !p->state_home || !p->const_buf ||
      !c.valid || !c.ival_of) {
    free_plan_ctx(p, &c);
    tsr_program_destroy(p);
    return TSR_ERROR(&e->error, TSR_ERR_OUT_OF_MEMORY, "prepare: plan tables");
  }
  for (size_t i = 0; i < nt * p->ns * p->n_entries; ++i) p->arena_off[i] = NONE;
  for (size_t i = 0; i < nt * p->ns; ++i) p->fixed_off[i] = NONE;
  for (size_t i = 0; i < nt; ++i) p->state_home[i] = -1;
  memset(p->const_buf, 0, sizeof(tsr_buffer) * nt * p->ns);
  /* Order nodes by entry, keeping insertion order within each. */
  uint32_t k = 0;
  for (uint32_t en = 0; en < p->n_entries; ++en) {
    p->entries[en].first_node = k;
    for (uint32_t i = 0; i < g->n_nodes; ++i) {
      if (g->nodes[i].entry == en) p->order[k++] = i;
    }
    p->entries[en].n_nodes = k - p->entries[en].first_node;
  }
  for (uint32_t i = 0; i < k && st == TSR_OK; ++i) st = place_node(p, p->order[i]);
  for (uint32_t en = 0; en < p->n_entries && st == TSR_OK; ++en) st = plan_entry(p, &c, en);
  free_plan_ctx(p, &c);
  if (st != TSR_OK) {
    tsr_error_copy(&e->error, &p->error);
    tsr_program_destroy(p);
    return st;
  }
  /* Fixed regions: host io, then state per space. */
  layout_io(p);
  for (uint32_t t = 0; t < p->nt; ++t) {
    if (gt(p, t)->kind != TSR_TENSOR_STATE) continue;
    uint32_t s = p->state_home[t] >= 0 ? (uint32_t)p->state_home[t] : 0u;
    p->state_home[t] = (int32_t)s;
    p->fixed_off[(size_t)t * p->ns + s] = p->state_size[s];
    p->state_size[s] += align_up(gt(p, t)->nbytes);
  }
  *out_program = p;
  return TSR_OK;
}

tsr_status tsr_program_get_arena_size(const tsr_program *p, size_t *out_size, size_t *out_align) {
  if (p == NULL || out_size == NULL || out_align == NULL) return TSR_ERR_INVALID_ARGUMENT;
  *out_size = (size_t)(p->io_size + p->state_size[0] + p->arena_size[0]);
  if (*out_size == 0) *out_size = ALIGN;
  *out_align = ALIGN;
  return TSR_OK;
}

/* ---- binding ---- */

static uint8_t *host_addr(tsr_program *p, uint32_t e, int32_t r) {
  const tsr_gtensor *t = gt(p, r);
  if (t->kind == TSR_TENSOR_CONST) return (uint8_t *)(uintptr_t)t->data;
  if (t->kind == TSR_TENSOR_INPUT || t->kind == TSR_TENSOR_OUTPUT)
    return (p->io_ext != NULL && p->io_ext[r] != NULL) ? p->io_ext[r] : p->host + p->fixed_off[(size_t)r * p->ns];
  if (t->kind == TSR_TENSOR_STATE) return p->host + p->io_size + p->fixed_off[(size_t)r * p->ns];
  uint64_t off = p->arena_off[((size_t)e * p->nt + (size_t)r) * p->ns];
  return off == NONE ? NULL : p->host + p->io_size + p->state_size[0] + off;
}

/* Where root |r| lives in device space |s| during entry |e|. */
static tsr_buffer *dev_loc(tsr_program *p, uint32_t e, int32_t r, uint32_t s, uint64_t *out_off) {
  const tsr_gtensor *t = gt(p, r);
  if (t->kind == TSR_TENSOR_CONST) {
    *out_off = 0;
    tsr_buffer *b = &p->const_buf[(size_t)r * p->ns + s];
    return b->target ? b : NULL;
  }
  if (t->kind == TSR_TENSOR_STATE) {
    *out_off = p->fixed_off[(size_t)r * p->ns + s];
    return *out_off == NONE ? NULL : &p->dev_state[s];
  }
  *out_off = p->arena_off[((size_t)e * p->nt + (size_t)r) * p->ns + s];
  return *out_off == NONE ? NULL : &p->dev_arena[s];
}

static tsr_status bind_tensor(tsr_program *p, uint32_t e, int32_t id, uint32_t space, tsr_tensor *out) {
  tsr_graph_describe(p->graph, id, out);
  if (id < 0) return TSR_OK;
  int32_t r = tsr_graph_root(p->graph, id);
  uint64_t view_off = gt(p, id)->kind == TSR_TENSOR_VIEW ? gt(p, id)->offset : 0;
  if (space == 0) {
    uint8_t *base = host_addr(p, e, r);
    if (base == NULL) return FAIL(p, TSR_ERR_STATE, "tensor %s has no host location", gt(p, r)->name);
    out->data = base + view_off;
    return TSR_OK;
  }
  uint64_t off = 0;
  tsr_buffer *b = dev_loc(p, e, r, space, &off);
  if (b == NULL) return FAIL(p, TSR_ERR_STATE, "tensor %s has no location on %s", gt(p, r)->name,
                             p->engine->slot_name[0]);
  out->buffer = b;
  out->offset = off + view_off;
  out->data = b->host ? (uint8_t *)b->host + out->offset : NULL;
  return TSR_OK;
}

static tsr_status check_target(tsr_program *p, tsr_target *t, tsr_status s) {
  if (s != TSR_OK) {
    tsr_error_copy(&p->error, &t->error);
    if (p->error.code == TSR_OK) FAIL(p, s, "target call failed");
  }
  return s;
}

tsr_status tsr_program_bind_arena(tsr_program *p, void *mem, size_t mem_size) {
  if (p == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (p->bound) return FAIL(p, TSR_ERR_STATE, "program already bound");
  tsr_engine *e = p->engine;
  size_t need, align;
  TSR_TRY(tsr_program_get_arena_size(p, &need, &align));
  if (mem == NULL) {
    mem = tsr_alloc(&e->allocator, need, align);
    if (mem == NULL) return FAIL(p, TSR_ERR_OUT_OF_MEMORY, "host arena of %zu bytes", need);
    p->host_owned = true;
    mem_size = need;
  }
  if (mem_size < need) return FAIL(p, TSR_ERR_BUFFER_TOO_SMALL, "host arena of %zu bytes, %zu needed", mem_size, need);
  if ((uintptr_t)mem % align != 0) return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "host arena not %zu-byte aligned", align);
  p->host = mem;
  p->host_size = mem_size;
  p->bound = true; /* from here, tsr_program_destroy undoes partial work */
  memset(p->host, 0, need);
  /* Device memory: arenas, state, constants. */
  for (uint32_t s = 1; s < p->ns; ++s) {
    tsr_target *t = e->space_target[s];
    if (p->arena_size[s] > 0)
      TSR_TRY(check_target(p, t, tsr_target_buffer_alloc(t, p->arena_size[s], TSR_BUFFER_ARENA, &p->dev_arena[s])));
    if (p->state_size[s] > 0) {
      TSR_TRY(check_target(p, t, tsr_target_buffer_alloc(t, p->state_size[s], TSR_BUFFER_STATE, &p->dev_state[s])));
    }
  }
  TSR_TRY(tsr_program_reset_state(p));
  for (uint32_t i = 0; i < p->graph->n_nodes; ++i) {
    const tsr_gnode *n = &p->graph->nodes[i];
    uint32_t s = e->slot_space[p->node_slot[i]];
    if (s == 0) continue;
    tsr_target *t = e->space_target[s];
    for (uint32_t j = 0; j < n->n_src; ++j) {
      if (n->src[j] < 0) continue;
      int32_t r = tsr_graph_root(p->graph, n->src[j]);
      tsr_buffer *b = &p->const_buf[(size_t)r * p->ns + s];
      if (gt(p, r)->kind != TSR_TENSOR_CONST || b->target != NULL) continue;
      TSR_TRY(check_target(p, t, tsr_target_buffer_alloc(t, gt(p, r)->nbytes, TSR_BUFFER_WEIGHTS, b)));
      TSR_TRY(check_target(p, t, tsr_target_upload(t, b, 0, gt(p, r)->data, gt(p, r)->nbytes)));
      p->device_const_bytes += gt(p, r)->nbytes;
    }
  }
  /* Command lists. */
  uint32_t max_nodes = 1;
  for (uint32_t i = 0; i < p->n_segs; ++i) max_nodes = p->segs[i].count > max_nodes ? p->segs[i].count : max_nodes;
  p->op_scratch = tsr_alloc(&e->allocator, sizeof(tsr_op) * max_nodes, 0);
  if (p->op_scratch == NULL) return FAIL(p, TSR_ERR_OUT_OF_MEMORY, "prepare: ops");
  for (uint32_t en = 0; en < p->n_entries; ++en) {
    const entry_plan *ep = &p->entries[en];
    for (uint32_t si = ep->first_step; si < ep->first_step + ep->n_steps; ++si) {
      if (p->steps[si].kind != STEP_SEGMENT) continue;
      segment *sg = &p->segs[p->steps[si].seg];
      uint32_t space = e->slot_space[sg->slot];
      for (uint32_t k = 0; k < sg->count; ++k) {
        const tsr_gnode *n = &p->graph->nodes[p->order[sg->first + k]];
        tsr_op *op = &p->op_scratch[k];
        tsr_graph_node_op(p->graph, n, op);
        for (uint32_t j = 0; j < n->n_src; ++j) TSR_TRY(bind_tensor(p, en, n->src[j], space, &op->src[j]));
        TSR_TRY(bind_tensor(p, en, n->dst, space, &op->dst));
      }
      tsr_target *t = e->slot[sg->slot];
      TSR_TRY(check_target(p, t, tsr_target_prepare(t, p->op_scratch, sg->count, &sg->list)));
    }
  }
  tsr_free(&e->allocator, p->op_scratch);
  p->op_scratch = NULL;
  return TSR_OK;
}

tsr_status tsr_program_bind_io(tsr_program *p, int32_t id, void *mem, size_t size) {
  if (p == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (p->bound) return FAIL(p, TSR_ERR_STATE, "tsr_program_bind_io after tsr_program_bind_arena");
  if (id < 0 || (uint32_t)id >= p->nt) return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "tensor id %d out of range", (int)id);
  const tsr_gtensor *t = gt(p, id);
  if (t->kind != TSR_TENSOR_INPUT && t->kind != TSR_TENSOR_OUTPUT)
    return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "tensor %s is not an input or output", t->name);
  if (mem != NULL && size != t->nbytes)
    return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "tensor %s holds %llu bytes, not %zu", t->name,
                (unsigned long long)t->nbytes, size);
  if (mem != NULL && (uintptr_t)mem % TSR_PROGRAM_IO_ALIGN != 0)
    return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "memory bound to tensor %s is not %d-byte aligned", t->name,
                TSR_PROGRAM_IO_ALIGN);
  if (p->io_ext == NULL) {
    if (mem == NULL) return TSR_OK;
    p->io_ext = tsr_alloc(&p->engine->allocator, sizeof(uint8_t *) * p->nt, 0);
    if (p->io_ext == NULL) return FAIL(p, TSR_ERR_OUT_OF_MEMORY, "bind io: table");
    memset(p->io_ext, 0, sizeof(uint8_t *) * p->nt);
  }
  p->io_ext[id] = mem;
  layout_io(p);
  return TSR_OK;
}

/* ---- running ---- */

static tsr_status io_check(tsr_program *p, int32_t id, size_t size, bool input) {
  if (!p->bound) return FAIL(p, TSR_ERR_STATE, "program has no arena yet (tsr_program_bind_arena)");
  if (id < 0 || (uint32_t)id >= p->nt) return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "tensor id %d out of range", (int)id);
  tsr_tensor_kind k = gt(p, id)->kind;
  if (input ? k != TSR_TENSOR_INPUT : (k != TSR_TENSOR_OUTPUT && k != TSR_TENSOR_INPUT))
    return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "tensor %s is not an %s", gt(p, id)->name, input ? "input" : "output");
  if (size != gt(p, id)->nbytes)
    return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "tensor %s holds %llu bytes, not %zu", gt(p, id)->name,
                (unsigned long long)gt(p, id)->nbytes, size);
  return TSR_OK;
}

tsr_status tsr_program_set_input(tsr_program *p, int32_t id, const void *src, size_t size) {
  if (p == NULL || src == NULL) return TSR_ERR_INVALID_ARGUMENT;
  TSR_TRY(io_check(p, id, size, true));
  memcpy(host_addr(p, 0, id), src, size);
  return TSR_OK;
}

tsr_status tsr_program_get_output(tsr_program *p, int32_t id, void *dst, size_t size) {
  if (p == NULL || dst == NULL) return TSR_ERR_INVALID_ARGUMENT;
  TSR_TRY(io_check(p, id, size, false));
  memcpy(dst, host_addr(p, 0, id), size);
  return TSR_OK;
}

tsr_status tsr_program_tensor_data(tsr_program *p, int32_t id, void **out_data) {
  if (p == NULL || out_data == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (id >= 0 && (uint32_t)id < p->nt) TSR_TRY(io_check(p, id, gt(p, id)->nbytes, false));
  else return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "tensor id %d out of range", (int)id);
  *out_data = host_addr(p, 0, id);
  return TSR_OK;
}

tsr_status tsr_program_reset_state(tsr_program *p) {
  if (p == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (!p->bound) return FAIL(p, TSR_ERR_STATE, "program has no arena yet");
  if (p->state_size[0] > 0) memset(p->host + p->io_size, 0, (size_t)p->state_size[0]);
  /* Devices: upload zeros from the (zeroed) start of the host state region
   * or, if it is smaller, in chunks from a zero page. */
  static const uint8_t kZeros[4096] = {0};
  for (uint32_t s = 1; s < p->ns; ++s) {
    if (p->state_size[s] == 0) continue;
    tsr_target *t = p->engine->space_target[s];
    for (uint64_t off = 0; off < p->state_size[s]; off += sizeof(kZeros)) {
      uint64_t n = p->state_size[s] - off < sizeof(kZeros) ? p->state_size[s] - off : sizeof(kZeros);
      TSR_TRY(check_target(p, t, tsr_target_upload(t, &p->dev_state[s], off, kZeros, n)));
    }
  }
  return TSR_OK;
}

tsr_status tsr_program_copy_state(tsr_program *dst, tsr_program *src) {
  if (dst == NULL || src == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (dst->graph != src->graph) return FAIL(dst, TSR_ERR_INVALID_ARGUMENT, "copy state: programs of different graphs");
  if (!dst->bound || !src->bound) return FAIL(dst, TSR_ERR_STATE, "copy state: program has no arena yet");
  for (uint32_t r = 0; r < dst->nt; ++r) {
    const tsr_gtensor *t = gt(dst, (int32_t)r);
    if (t->kind != TSR_TENSOR_STATE) continue;
    int32_t hs = src->state_home[r], hd = dst->state_home[r];
    if (hs < 0 || hd < 0) continue; /* used by no node */
    uint64_t n = t->nbytes, off = 0;
    if (hd != 0 && hs != 0)
      return FAIL(dst, TSR_ERR_UNSUPPORTED, "copy state: %s is on a device in both programs", t->name);
    if (hs == 0 && hd == 0) {
      memcpy(host_addr(dst, 0, (int32_t)r), host_addr(src, 0, (int32_t)r), (size_t)n);
    } else if (hs != 0) {
      tsr_target *tg = src->engine->space_target[hs];
      tsr_buffer *b = dev_loc(src, 0, (int32_t)r, (uint32_t)hs, &off);
      if (b == NULL) return FAIL(dst, TSR_ERR_STATE, "copy state: %s has no location", t->name);
      tsr_status s = tsr_target_download(tg, b, off, host_addr(dst, 0, (int32_t)r), n);
      if (s != TSR_OK) return check_target(dst, tg, s);
    } else {
      tsr_target *tg = dst->engine->space_target[hd];
      tsr_buffer *b = dev_loc(dst, 0, (int32_t)r, (uint32_t)hd, &off);
      if (b == NULL) return FAIL(dst, TSR_ERR_STATE, "copy state: %s has no location", t->name);
      tsr_status s = tsr_target_upload(tg, b, off, host_addr(src, 0, (int32_t)r), n);
      if (s != TSR_OK) return check_target(dst, tg, s);
    }
  }
  return TSR_OK;
}

tsr_status tsr_program_run(tsr_program *p, uint32_t entry, const tsr_dyn_values *dyn) {
  if (p == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (!p->bound) return FAIL(p, TSR_ERR_STATE, "program has no arena yet (tsr_program_bind_arena)");
  if (entry >= p->n_entries) return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "entry %u out of range (%u entries)",
                                         (unsigned)entry, (unsigned)p->n_entries);
  tsr_engine *e = p->engine;
  const entry_plan *ep = &p->entries[entry];
  for (uint32_t i = ep->first_step; i < ep->first_step + ep->n_steps; ++i) {
    const step *s = &p->steps[i];
    if (s->kind == STEP_SEGMENT) {
      segment *sg = &p->segs[s->seg];
      tsr_target *t = e->slot[sg->slot];
      TSR_TRY(check_target(p, t, tsr_target_submit(t, sg->list, dyn)));
      TSR_TRY(check_target(p, t, tsr_target_wait(t)));
      continue;
    }
    uint64_t n = gt(p, s->tensor)->nbytes, off = 0;
    if (s->from == 0) {
      tsr_target *t = e->space_target[s->to];
      tsr_buffer *b = dev_loc(p, entry, s->tensor, s->to, &off);
      const uint8_t *src = host_addr(p, entry, s->tensor);
      if (b == NULL || src == NULL) return FAIL(p, TSR_ERR_STATE, "copy of %s has no location", gt(p, s->tensor)->name);
      TSR_TRY(check_target(p, t, tsr_target_upload(t, b, off, src, n)));
    } else {
      tsr_target *t = e->space_target[s->from];
      tsr_buffer *b = dev_loc(p, entry, s->tensor, s->from, &off);
      uint8_t *dst = host_addr(p, entry, s->tensor);
      if (b == NULL || dst == NULL) return FAIL(p, TSR_ERR_STATE, "copy of %s has no location", gt(p, s->tensor)->name);
      TSR_TRY(check_target(p, t, tsr_target_download(t, b, off, dst, n)));
    }
  }
  return TSR_OK;
}

/* ---- introspection ---- */

tsr_status tsr_program_get_stats(const tsr_program *p, tsr_program_stats *out) {
  if (p == NULL || out == NULL) return TSR_ERR_INVALID_ARGUMENT;
  memset(out, 0, sizeof(*out));
  size_t a, al;
  TSR_TRY(tsr_program_get_arena_size(p, &a, &al));
  out->arena_bytes = a;
  out->naive_bytes = p->naive_bytes;
  for (uint32_t s = 0; s < p->ns; ++s) out->state_bytes += p->state_size[s];
  for (uint32_t s = 1; s < p->ns; ++s) out->device_arena_bytes += p->arena_size[s];
  out->io_bytes = p->io_size;
  out->device_const_bytes = p->device_const_bytes;
  out->n_nodes = p->graph->n_nodes;
  out->n_segments = p->n_segs;
  for (uint32_t i = 0; i < p->n_steps; ++i) out->n_copies += p->steps[i].kind == STEP_COPY;
  for (uint32_t i = 0; i < p->graph->n_nodes; ++i) {
    uint32_t s = p->node_slot[i];
    out->nodes_per_target[s < TSR_ENGINE_MAX_TARGETS + 1 ? s : TSR_ENGINE_MAX_TARGETS]++;
  }
  return TSR_OK;
}

const char *tsr_program_node_target(const tsr_program *p, uint32_t node) {
  if (p == NULL || node >= p->graph->n_nodes) return NULL;
  return p->engine->slot_name[p->node_slot[node]];
}

tsr_status tsr_program_get_profile(tsr_program *p, uint32_t entry, tsr_op_timing *out, uint32_t cap,
                                   uint32_t *out_n) {
  if (p == NULL || out_n == NULL || (out == NULL && cap > 0)) return TSR_ERR_INVALID_ARGUMENT;
  if (!p->bound) return FAIL(p, TSR_ERR_STATE, "program has no arena yet (tsr_program_bind_arena)");
  if (entry >= p->n_entries) return FAIL(p, TSR_ERR_INVALID_ARGUMENT, "entry %u out of range", (unsigned)entry);
  const entry_plan *ep = &p->entries[entry];
  uint32_t n = 0;
  for (uint32_t i = ep->first_step; i < ep->first_step + ep->n_steps && n < cap; ++i) {
    if (p->steps[i].kind != STEP_SEGMENT) continue;
    segment *sg = &p->segs[p->steps[i].seg];
    tsr_target *t = p->engine->slot[sg->slot];
    tsr_target_caps caps;
    if (sg->list == NULL || t->vt->get_profile == NULL || tsr_target_get_caps(t, &caps) != TSR_OK ||
        !(caps.flags & TSR_CAP_PROFILING))
      continue;
    uint32_t k = 0;
    TSR_TRY(check_target(p, t, t->vt->get_profile(t, sg->list, out + n, cap - n, &k)));
    n += k;
  }
  *out_n = n;
  return TSR_OK;
}

const tsr_error *tsr_program_error(const tsr_program *p) { return p ? &p->error : NULL; }

void tsr_program_destroy(tsr_program *p) {
  if (p == NULL) return;
  tsr_engine *e = p->engine;
  const tsr_allocator *a = &e->allocator;
  for (uint32_t i = 0; i < p->n_segs; ++i) {
    if (p->segs[i].list) tsr_target_release(e->slot[p->segs[i].slot], p->segs[i].list);
  }
  if (p->const_buf) {
    for (size_t i = 0; i < (size_t)p->nt * p->ns; ++i) {
      if (p->const_buf[i].target) tsr_target_buffer_free(p->const_buf[i].target, &p->const_buf[i]);
    }
  }
  for (uint32_t s = 1; s < p->ns; ++s) {
    if (p->dev_arena[s].target) tsr_target_buffer_free(p->dev_arena[s].target, &p->dev_arena[s]);
    if (p->dev_state[s].target) tsr_target_buffer_free(p->dev_state[s].target, &p->dev_state[s]);
  }
  if (p->host_owned) tsr_free(a, p->host);
  tsr_free(a, p->op_scratch);
  tsr_free(a, p->node_slot);
  tsr_free(a, p->order);
  tsr_free(a, p->steps);
  tsr_free(a, p->segs);
  tsr_free(a, p->arena_off);
  tsr_free(a, p->fixed_off);
  tsr_free(a, p->state_home);
  tsr_free(a, p->const_buf);
  tsr_free(a, p->io_ext);
  tsr_free(a, p);
}
