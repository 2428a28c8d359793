/* Graph internals shared by the engine's planner and the loaders. */
#ifndef TESSERA_ENGINE_GRAPH_INTERNAL_H_
#define TESSERA_ENGINE_GRAPH_INTERNAL_H_

#include "tessera/tessera.h"

typedef struct tsr_gtensor {
  char name[TSR_NAME_MAX];
  tsr_tensor_kind kind;
  tsr_dtype dtype;
  int32_t ndim;
  int64_t shape[TSR_MAX_DIMS];
  int64_t stride[TSR_MAX_DIMS]; /* bytes */
  const void *data;             /* CONST */
  uint32_t entry_mask;
  int32_t base;                 /* VIEW: the viewed tensor (itself not a view) */
  uint64_t offset;              /* VIEW: byte offset in the base */
  uint64_t nbytes;              /* roots: contiguous size */
} tsr_gtensor;

typedef struct tsr_gnode {
  tsr_op_type type;
  tsr_op_params p;
  int32_t src[TSR_OP_MAX_SRC];
  uint32_t n_src;
  int32_t dst;
  uint32_t entry;
  char name[TSR_NAME_MAX];
} tsr_gnode;

struct tsr_graph {
  tsr_allocator allocator;
  tsr_gtensor *tensors;
  uint32_t n_tensors, cap_tensors;
  tsr_gnode *nodes;
  uint32_t n_nodes, cap_nodes;
  uint32_t entry;     /* current entry for new nodes */
  uint32_t n_entries; /* highest entry used + 1 */
  tsr_error error;
};

/* The tensor a view ultimately points into (itself for roots). */
static inline int32_t tsr_graph_root(const tsr_graph *g, int32_t id) {
  return g->tensors[id].kind == TSR_TENSOR_VIEW ? g->tensors[id].base : id;
}

/* Fills |out| with node |n|'s op, tensors described but unbound (data NULL). */
void tsr_graph_node_op(const tsr_graph *g, const tsr_gnode *n, tsr_op *out);
/* Describes tensor |id| as a tsr_tensor (data NULL, strides set). */
void tsr_graph_describe(const tsr_graph *g, int32_t id, tsr_tensor *out);

/* Copies every STATE tensor (the LLM's KV cache) of |src| into |dst|, two
 * bound programs of the same graph: the runtime fallback of a failing
 * target. Device state is downloaded through its target; a state that lives
 * on a device in both programs is TSR_ERR_UNSUPPORTED. Never allocates. */
TSR_NODISCARD tsr_status tsr_program_copy_state(tsr_program *dst, tsr_program *src);

#endif /* TESSERA_ENGINE_GRAPH_INTERNAL_H_ */
