/* Networks: a graph with named inputs and outputs and the memory that holds
 * its constants, as the ONNX importer builds it and as Tessera's own flat
 * model file (.tsr) stores it.
 *
 * A .tsr file is a GGUF v3 container: the graph (tensors, views, nodes and
 * their parameters) is in the metadata under "tsr.net.*", every constant is a
 * 1-D GGUF tensor ("c<tensor id>") aligned to 64 bytes, used in place from
 * the mapped file. Loading it needs no protobuf and copies no weights. The
 * graph is stored after every import-time simplification, so a .tsr gives
 * bit-identical outputs to the .onnx it was converted from. */
#ifndef TESSERA_ENGINE_NET_NET_H_
#define TESSERA_ENGINE_NET_NET_H_

#include <stdio.h>

#include "engine/io/fileio.h"
#include "tessera/tessera.h"

#define TSR_NET_MAX_IO 16

typedef struct tsr_net_io {
  char *name;     /* full name as in the model file (owned) */
  int32_t tensor; /* graph tensor id (INPUT or OUTPUT root) */
  uint32_t dynamic_dims; /* inputs: bit d set if dimension d is symbolic in
                            the source model (ONNX only; a .tsr is static) */
} tsr_net_io;

typedef struct tsr_net_block tsr_net_block;

typedef struct tsr_net {
  tsr_allocator allocator;
  tsr_graph *graph;
  uint32_t n_inputs, n_outputs;
  tsr_net_io inputs[TSR_NET_MAX_IO];
  tsr_net_io outputs[TSR_NET_MAX_IO];
  tsr_net_block *blocks;   /* memory owned by the net (constants, names) */
  char format[8];          /* "onnx" or "tsr": where it was loaded from */
  char producer[64];       /* ONNX producer name and version, if known */
  int64_t opset;           /* ai.onnx opset of the source model, 0 if unknown */
  uint32_t source_nodes;   /* nodes in the source model */
  /* .tsr only: the parsed container and the mapping the constants live in. */
  void *gguf;
#ifndef TSR_NO_FILEIO
  tsr_mapped_file file;
  bool has_file;
#endif
} tsr_net;

/* An empty network with an empty graph. Allocates through |a| (which must
 * outlive the network). */
TSR_NODISCARD tsr_status tsr_net_create(const tsr_allocator *a, tsr_net **out, tsr_error *err);
/* Frees the network, its graph and everything it owns. NULL-safe. */
void tsr_net_destroy(tsr_net *net);
/* |size| bytes aligned to |align| (<= 4096) owned by the network, zeroed;
 * NULL when the allocator fails. */
void *tsr_net_alloc(tsr_net *net, size_t size, size_t align);
/* Copies |name| into network memory and records it as input/output |tensor|. */
TSR_NODISCARD tsr_status tsr_net_add_io(tsr_net *net, bool input, const char *name, int32_t tensor,
                                        tsr_error *err);
/* Index of the input/output named |name|, or -1. */
int32_t tsr_net_find_io(const tsr_net *net, bool input, const char *name);

/* Writes |net| as a .tsr file. Allocates temporarily through the net's
 * allocator. */
TSR_NODISCARD tsr_status tsr_net_write_tsr(const tsr_net *net, FILE *f, tsr_error *err);
/* Loads a .tsr image from |data|[0..size), which must stay valid and
 * unchanged until the network is destroyed (constants are used in place).
 * TSR_ERR_FORMAT naming the field for a malformed file. */
TSR_NODISCARD tsr_status tsr_net_load_tsr(const void *data, size_t size, const tsr_allocator *a,
                                          tsr_net **out, tsr_error *err);
/* True if |data| starts like a .tsr file (GGUF magic). */
bool tsr_net_is_tsr(const void *data, size_t size);

/* Parameters of a node as a flat array of 32-bit words (floats bit-cast),
 * the encoding .tsr files use. Returns the number of words (<= cap), or -1
 * for an op type the encoding does not know. */
int tsr_net_params_encode(tsr_op_type type, const tsr_op_params *p, uint32_t *words, int cap);
/* The inverse; TSR_ERR_FORMAT if |n| is not the count |type| encodes to. */
TSR_NODISCARD tsr_status tsr_net_params_decode(tsr_op_type type, const uint32_t *words, int n,
                                               tsr_op_params *out);

/* A network ready to run: its targets, engine and bound program. */
typedef struct tsr_net_session {
  tsr_allocator allocator;
  tsr_target *target;    /* the chosen target */
  tsr_target *fallback;  /* a CPU target when |target| is not one, else NULL */
  tsr_engine *engine;
  void *engine_mem;
  tsr_program *program;
  const tsr_net *net;
  char fallback_note[TSR_ERROR_MESSAGE_MAX]; /* what ran on the CPU fallback; "" if nothing */
} tsr_net_session;

typedef struct tsr_net_session_options {
  const char *target;  /* target name; NULL: "cpu" */
  uint32_t n_threads;  /* CPU threads; 0: all CPUs */
  /* The caller's request for the CPU fallback: a CPU target then runs the
   * nodes |target| cannot, or everything when |target| is unavailable or
   * cannot run the network; either is reported in fallback_note and in
   * |err| (with code TSR_OK). Without it nothing is ever replaced. */
  bool fallback_cpu;
} tsr_net_session_options;

/* Creates the target of |o|, prepares |net| on it and binds its arena. The
 * failure policy (the LM's, see tsr_llm_options): an unknown target name is
 * TSR_ERR_INVALID_ARGUMENT; an unavailable target, or a node it cannot run,
 * is an error (TSR_ERR_UNSUPPORTED, ...) unless o->fallback_cpu. |net| must
 * outlive the session. */
TSR_NODISCARD tsr_status tsr_net_session_open_ex(const tsr_net *net, const tsr_net_session_options *o,
                                                 const tsr_allocator *a, tsr_net_session *s, tsr_error *err);
/* tsr_net_session_open_ex with target |target_name|, |n_threads| and no
 * fallback. */
TSR_NODISCARD tsr_status tsr_net_session_open(const tsr_net *net, const char *target_name, uint32_t n_threads,
                                              const tsr_allocator *a, tsr_net_session *s, tsr_error *err);
void tsr_net_session_close(tsr_net_session *s);

/* ---- format dispatch (net_open.c) ---- */
struct tsr_onnx_options;
/* Loads a network from |data|[0..size) by its contents: a .tsr (GGUF magic)
 * is used in place (|data| must outlive the network); anything else is
 * imported as ONNX with |opt| (NULL: defaults) when the build has the ONNX
 * importer (TSR_ERR_UNSUPPORTED otherwise), and |data| is not referred to
 * afterwards. */
TSR_NODISCARD tsr_status tsr_net_load(const void *data, size_t size, const struct tsr_onnx_options *opt,
                                      const tsr_allocator *a, tsr_net **out, tsr_error *err);
#ifndef TSR_NO_FILEIO
/* As tsr_net_load on the mapped file |path|; a .tsr keeps the mapping
 * (owned by the network), an ONNX import unmaps it. The file must be
 * regular and within opt->max_file_bytes (see tsr_file_map_limited). */
TSR_NODISCARD tsr_status tsr_net_open(const char *path, const struct tsr_onnx_options *opt,
                                      const tsr_allocator *a, tsr_net **out, tsr_error *err);
#endif

#endif /* TESSERA_ENGINE_NET_NET_H_ */
