/* The graph IR: nodes are ops with parameters, edges are tensors.
 *
 * Loaders and model builders create a graph, add tensors and nodes, then the
 * engine validates, places and plans it. A graph may hold several entry
 * points (e.g. an LLM's decode step and its prefill step) that share
 * constants and state tensors; each run executes the nodes of one entry. */
#ifndef TESSERA_GRAPH_H_
#define TESSERA_GRAPH_H_

#include "tessera/op.h"
#include "tessera/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsr_tensor_kind {
  TSR_TENSOR_INTERNAL = 0, /* produced and consumed inside one run */
  TSR_TENSOR_INPUT,        /* written by the caller before a run */
  TSR_TENSOR_OUTPUT,       /* produced by a run, read by the caller after it */
  TSR_TENSOR_CONST,        /* weights: data owned by the caller (or a mapped file) */
  TSR_TENSOR_STATE,        /* persists across runs, zero at prepare (KV cache) */
  TSR_TENSOR_VIEW,         /* a strided window on another tensor */
} tsr_tensor_kind;

#define TSR_NAME_MAX 96

typedef struct tsr_tensor_desc {
  const char *name;       /* copied (truncated to TSR_NAME_MAX-1); may be NULL */
  tsr_tensor_kind kind;   /* not VIEW: use tsr_graph_add_view */
  tsr_dtype dtype;
  int32_t ndim;
  int64_t shape[TSR_MAX_DIMS];
  const void *data;       /* CONST: the contents; must outlive the graph's programs */
  uint32_t entry_mask;    /* INPUT/OUTPUT: entries using it (0 = all) */
} tsr_tensor_desc;

typedef struct tsr_graph tsr_graph;

/* Creates an empty graph. Allocates through |a| (growth included). */
TSR_NODISCARD tsr_status tsr_graph_create(const tsr_allocator *a, tsr_graph **out_graph);
void tsr_graph_destroy(tsr_graph *g);

/* Adds a tensor; *out_id is its index. */
TSR_NODISCARD tsr_status tsr_graph_add_tensor(tsr_graph *g, const tsr_tensor_desc *d,
                                              int32_t *out_id);
/* Adds a view of tensor |base| (any kind, a view too): |ndim| extents,
 * byte strides (NULL: contiguous) and a byte offset into the base. The view
 * must stay inside the base. Reshape, transpose and slice are views. */
TSR_NODISCARD tsr_status tsr_graph_add_view(tsr_graph *g, int32_t base, const char *name,
                                            int32_t ndim, const int64_t *shape,
                                            const int64_t *stride, uint64_t offset,
                                            int32_t *out_id);
/* Adds a node writing |dst| from |srcs| (-1 for an absent optional source).
 * Nodes run in the order they are added. The node belongs to the current
 * entry (tsr_graph_set_entry). */
TSR_NODISCARD tsr_status tsr_graph_add_node(tsr_graph *g, tsr_op_type type,
                                            const tsr_op_params *params, const int32_t *srcs,
                                            uint32_t n_src, int32_t dst, const char *name);
/* Nodes added from now on belong to entry |entry| (< 8). Default 0. */
TSR_NODISCARD tsr_status tsr_graph_set_entry(tsr_graph *g, uint32_t entry);
/* Checks every node's op contract and every tensor's extent. */
TSR_NODISCARD tsr_status tsr_graph_validate(tsr_graph *g);

uint32_t tsr_graph_tensor_count(const tsr_graph *g);
uint32_t tsr_graph_node_count(const tsr_graph *g);
uint32_t tsr_graph_entry_count(const tsr_graph *g);
/* Tensor id by name; -1 if none. */
int32_t tsr_graph_find_tensor(const tsr_graph *g, const char *name);
/* Describes tensor |id| (shape, dtype, kind, name); NULL if out of range. */
const char *tsr_graph_tensor_name(const tsr_graph *g, int32_t id);
TSR_NODISCARD tsr_status tsr_graph_tensor_info(const tsr_graph *g, int32_t id,
                                               tsr_tensor_kind *out_kind, tsr_tensor *out_shape);
/* A node as added: op, name, sources (-1: absent) and destination. */
typedef struct tsr_graph_node {
  tsr_op_type type;
  const char *name; /* owned by the graph */
  uint32_t n_src;
  int32_t src[TSR_OP_MAX_SRC];
  int32_t dst;
  uint32_t entry;
} tsr_graph_node;

/* Describes node |node| (in the order nodes were added). Pure. */
TSR_NODISCARD tsr_status tsr_graph_node_info(const tsr_graph *g, uint32_t node, tsr_graph_node *out);
/* The graph's last error. */
const tsr_error *tsr_graph_error(const tsr_graph *g);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_GRAPH_H_ */
