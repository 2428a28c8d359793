/* The graph IR: building and validation. */
#include <stdio.h>
#include <string.h>

#include "engine/graph_internal.h"

#define FAIL(g, code, ...) TSR_ERROR(&(g)->error, code, __VA_ARGS__)

tsr_status tsr_graph_create(const tsr_allocator *a, tsr_graph **out_graph) {
  if (a == NULL || out_graph == NULL) return TSR_ERR_INVALID_ARGUMENT;
  tsr_graph *g = tsr_alloc(a, sizeof(*g), 0);
  if (g == NULL) return TSR_ERR_OUT_OF_MEMORY;
  memset(g, 0, sizeof(*g));
  g->allocator = *a;
  g->n_entries = 1;
  *out_graph = g;
  return TSR_OK;
}

void tsr_graph_destroy(tsr_graph *g) {
  if (g == NULL) return;
  tsr_allocator a = g->allocator;
  tsr_free(&a, g->tensors);
  tsr_free(&a, g->nodes);
  tsr_free(&a, g);
}

static tsr_status grow(tsr_graph *g, void **arr, uint32_t *cap, uint32_t need, size_t elem) {
  if (need <= *cap) return TSR_OK;
  uint32_t nc = *cap ? *cap * 2 : 64;
  while (nc < need) nc *= 2;
  void *p = tsr_alloc(&g->allocator, (size_t)nc * elem, 0);
  if (p == NULL) return FAIL(g, TSR_ERR_OUT_OF_MEMORY, "graph: growing to %u entries", (unsigned)nc);
  if (*arr) memcpy(p, *arr, (size_t)*cap * elem);
  tsr_free(&g->allocator, *arr);
  *arr = p;
  *cap = nc;
  return TSR_OK;
}

static void copy_name(char *dst, const char *src) {
  snprintf(dst, TSR_NAME_MAX, "%s", src ? src : "");
}

tsr_status tsr_graph_add_tensor(tsr_graph *g, const tsr_tensor_desc *d, int32_t *out_id) {
  if (g == NULL || d == NULL || out_id == NULL) return TSR_ERR_INVALID_ARGUMENT;
  const char *nm = d->name ? d->name : "(unnamed)";
  if (d->kind == TSR_TENSOR_VIEW || (unsigned)d->kind > TSR_TENSOR_VIEW)
    return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "tensor %s: invalid kind %d", nm, (int)d->kind);
  tsr_tensor t;
  if (d->dtype == TSR_DTYPE_NONE || tsr_tensor_init(&t, d->dtype, d->ndim, d->shape, NULL) != TSR_OK)
    return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "tensor %s: invalid dtype %s or shape", nm,
                tsr_dtype_name(d->dtype));
  if (d->kind == TSR_TENSOR_CONST && d->data == NULL)
    return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "tensor %s: constant without data", nm);
  if (g->n_tensors >= INT32_MAX) return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "too many tensors");
  TSR_TRY(grow(g, (void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof(tsr_gtensor)));
  tsr_gtensor *gt = &g->tensors[g->n_tensors];
  memset(gt, 0, sizeof(*gt));
  copy_name(gt->name, d->name);
  gt->kind = d->kind;
  gt->dtype = d->dtype;
  gt->ndim = d->ndim;
  for (int i = 0; i < TSR_MAX_DIMS; ++i) gt->shape[i] = i < d->ndim ? d->shape[i] : 1;
  memcpy(gt->stride, t.stride, sizeof(gt->stride));
  gt->data = d->data;
  gt->entry_mask = d->entry_mask;
  gt->base = -1;
  gt->nbytes = tsr_tensor_nbytes(&t);
  *out_id = (int32_t)g->n_tensors++;
  return TSR_OK;
}

tsr_status tsr_graph_add_view(tsr_graph *g, int32_t base, const char *name, int32_t ndim,
                              const int64_t *shape, const int64_t *stride, uint64_t offset,
                              int32_t *out_id) {
  if (g == NULL || out_id == NULL) return TSR_ERR_INVALID_ARGUMENT;
  const char *nm = name ? name : "(unnamed view)";
  if (base < 0 || (uint32_t)base >= g->n_tensors)
    return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "view %s: base %d out of range", nm, (int)base);
  const tsr_gtensor *b = &g->tensors[base];
  int32_t root = tsr_graph_root(g, base);
  uint64_t root_off = offset + (b->kind == TSR_TENSOR_VIEW ? b->offset : 0);
  tsr_tensor t;
  if (tsr_tensor_init(&t, b->dtype, ndim, shape, NULL) != TSR_OK)
    return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "view %s: invalid shape", nm);
  int64_t st[TSR_MAX_DIMS];
  memcpy(st, t.stride, sizeof(st));
  if (stride != NULL) {
    for (int i = 0; i < ndim; ++i) {
      if (stride[i] < 0) return FAIL(g, TSR_ERR_UNSUPPORTED, "view %s: negative stride", nm);
      st[i] = stride[i];
    }
  }
  /* Extent check against the root. */
  uint64_t last = 0;
  bool empty = false;
  for (int i = 0; i < ndim; ++i) {
    if (shape[i] == 0) empty = true;
    bool block_inner = tsr_dtype_is_quantized(b->dtype) && i == ndim - 1;
    if (!block_inner) last += (uint64_t)(shape[i] - (shape[i] > 0)) * (uint64_t)st[i];
  }
  uint64_t inner = ndim > 0 ? tsr_dtype_row_bytes(b->dtype, tsr_dtype_is_quantized(b->dtype) ? shape[ndim - 1] : 1)
                            : tsr_dtype_block_bytes(b->dtype);
  if (!empty && root_off + last + inner > g->tensors[root].nbytes)
    return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "view %s: extends past the end of %s (%llu > %llu bytes)", nm,
                g->tensors[root].name, (unsigned long long)(root_off + last + inner),
                (unsigned long long)g->tensors[root].nbytes);
  TSR_TRY(grow(g, (void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof(tsr_gtensor)));
  tsr_gtensor *gt = &g->tensors[g->n_tensors];
  memset(gt, 0, sizeof(*gt));
  copy_name(gt->name, name);
  gt->kind = TSR_TENSOR_VIEW;
  gt->dtype = g->tensors[root].dtype;
  gt->ndim = ndim;
  for (int i = 0; i < TSR_MAX_DIMS; ++i) {
    gt->shape[i] = i < ndim ? shape[i] : 1;
    gt->stride[i] = i < ndim ? st[i] : 0;
  }
  gt->base = root;
  gt->offset = root_off;
  gt->entry_mask = 0;
  *out_id = (int32_t)g->n_tensors++;
  return TSR_OK;
}

tsr_status tsr_graph_add_node(tsr_graph *g, tsr_op_type type, const tsr_op_params *params,
                              const int32_t *srcs, uint32_t n_src, int32_t dst, const char *name) {
  if (g == NULL) return TSR_ERR_INVALID_ARGUMENT;
  const char *nm = name ? name : tsr_op_type_name(type);
  if (n_src > TSR_OP_MAX_SRC || (n_src > 0 && srcs == NULL))
    return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "node %s: %u sources", nm, (unsigned)n_src);
  if (dst < 0 || (uint32_t)dst >= g->n_tensors)
    return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "node %s: destination %d out of range", nm, (int)dst);
  for (uint32_t i = 0; i < n_src; ++i) {
    if (srcs[i] < -1 || srcs[i] >= (int32_t)g->n_tensors)
      return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "node %s: source %u (%d) out of range", nm, (unsigned)i, (int)srcs[i]);
  }
  tsr_tensor_kind dk = g->tensors[tsr_graph_root(g, dst)].kind;
  if (dk == TSR_TENSOR_CONST || dk == TSR_TENSOR_INPUT)
    return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "node %s: writes %s tensor %s", nm,
                dk == TSR_TENSOR_CONST ? "constant" : "input", g->tensors[dst].name);
  TSR_TRY(grow(g, (void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof(tsr_gnode)));
  tsr_gnode *n = &g->nodes[g->n_nodes];
  memset(n, 0, sizeof(*n));
  n->type = type;
  if (params) n->p = *params;
  for (uint32_t i = 0; i < TSR_OP_MAX_SRC; ++i) n->src[i] = i < n_src ? srcs[i] : -1;
  n->n_src = n_src;
  n->dst = dst;
  n->entry = g->entry;
  copy_name(n->name, nm);
  g->n_nodes++;
  return TSR_OK;
}

tsr_status tsr_graph_set_entry(tsr_graph *g, uint32_t entry) {
  if (g == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (entry >= 8) return FAIL(g, TSR_ERR_INVALID_ARGUMENT, "entry %u out of range (max 7)", (unsigned)entry);
  g->entry = entry;
  if (entry + 1 > g->n_entries) g->n_entries = entry + 1;
  return TSR_OK;
}

void tsr_graph_describe(const tsr_graph *g, int32_t id, tsr_tensor *out) {
  memset(out, 0, sizeof(*out));
  if (id < 0) return;
  const tsr_gtensor *t = &g->tensors[id];
  out->dtype = t->dtype;
  out->ndim = t->ndim;
  memcpy(out->shape, t->shape, sizeof(out->shape));
  memcpy(out->stride, t->stride, sizeof(out->stride));
  if (g->tensors[tsr_graph_root(g, id)].kind == TSR_TENSOR_CONST) out->flags |= TSR_TENSOR_FLAG_CONST;
}

void tsr_graph_node_op(const tsr_graph *g, const tsr_gnode *n, tsr_op *out) {
  memset(out, 0, sizeof(*out));
  out->type = n->type;
  out->p = n->p;
  out->n_src = n->n_src;
  out->name = n->name;
  for (uint32_t i = 0; i < n->n_src; ++i) tsr_graph_describe(g, n->src[i], &out->src[i]);
  tsr_graph_describe(g, n->dst, &out->dst);
}

tsr_status tsr_graph_validate(tsr_graph *g) {
  if (g == NULL) return TSR_ERR_INVALID_ARGUMENT;
  for (uint32_t i = 0; i < g->n_nodes; ++i) {
    tsr_op op;
    tsr_graph_node_op(g, &g->nodes[i], &op);
    tsr_status s = tsr_op_validate(&op, &g->error);
    if (s != TSR_OK) return s;
  }
  return TSR_OK;
}

uint32_t tsr_graph_tensor_count(const tsr_graph *g) { return g ? g->n_tensors : 0; }
uint32_t tsr_graph_node_count(const tsr_graph *g) { return g ? g->n_nodes : 0; }
uint32_t tsr_graph_entry_count(const tsr_graph *g) { return g ? g->n_entries : 0; }

int32_t tsr_graph_find_tensor(const tsr_graph *g, const char *name) {
  if (g == NULL || name == NULL) return -1;
  for (uint32_t i = 0; i < g->n_tensors; ++i) {
    if (strcmp(g->tensors[i].name, name) == 0) return (int32_t)i;
  }
  return -1;
}

const char *tsr_graph_tensor_name(const tsr_graph *g, int32_t id) {
  if (g == NULL || id < 0 || (uint32_t)id >= g->n_tensors) return NULL;
  return g->tensors[id].name;
}

tsr_status tsr_graph_tensor_info(const tsr_graph *g, int32_t id, tsr_tensor_kind *out_kind, tsr_tensor *out_shape) {
  if (g == NULL || id < 0 || (uint32_t)id >= g->n_tensors) return TSR_ERR_INVALID_ARGUMENT;
  if (out_kind) *out_kind = g->tensors[id].kind;
  if (out_shape) tsr_graph_describe(g, id, out_shape);
  return TSR_OK;
}

tsr_status tsr_graph_node_info(const tsr_graph *g, uint32_t node, tsr_graph_node *out) {
  if (g == NULL || out == NULL || node >= g->n_nodes) return TSR_ERR_INVALID_ARGUMENT;
  const tsr_gnode *n = &g->nodes[node];
  memset(out, 0, sizeof(*out));
  out->type = n->type;
  out->name = n->name;
  out->n_src = n->n_src;
  memcpy(out->src, n->src, sizeof(int32_t) * n->n_src);
  out->dst = n->dst;
  out->entry = n->entry;
  return TSR_OK;
}

const tsr_error *tsr_graph_error(const tsr_graph *g) { return g ? &g->error : NULL; }
