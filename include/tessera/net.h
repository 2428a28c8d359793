/* Networks: perception models (ONNX, or Tessera's own .tsr file) loaded once
 * and run by any number of sessions.
 *
 * Lifecycle of a network: tsr_network_load_memory / tsr_network_load_file
 * (detects the format from the contents, imports ONNX or maps a .tsr; every
 * allocation through the caller's allocator), introspection, then
 * tsr_network_free once every session on it is gone.
 *
 * Lifecycle of a session, as the engine's (engine.h):
 *   tsr_network_session_get_size / tsr_network_session_init  caller memory, never allocates
 *   tsr_network_session_prepare                   resolves the input shapes, places the
 *                                                 nodes on the targets, plans memory;
 *                                                 allocates through the session's allocator
 *   tsr_network_session_bind_input / _bind_output (optional) caller memory for I/O
 *   tsr_network_session_get_arena_size / tsr_network_session_bind_arena
 *   tsr_network_session_run                       any number of times: never allocates
 *   tsr_network_session_deinit
 *
 * Formats. A .tsr (GGUF container, general.architecture "tessera.net") holds
 * the graph after import, with static shapes, and its constants are used in
 * place: the file (or memory block) is not copied. ONNX is imported (shapes
 * inferred, constants folded, ops fused; see the README's op list). Which one
 * a block holds is read from its first bytes, never from a file name.
 *
 * Shapes. A symbolic ONNX input dimension (dim_param, or no value) is 1 at
 * load unless tsr_network_options.shapes says otherwise; a session may ask
 * for other concrete shapes (tsr_network_session_config.shapes): the network
 * is then re-imported with them for that session (every shape re-inferred;
 * an op whose shape the importer cannot re-infer fails with
 * TSR_ERR_UNSUPPORTED naming the node). A session on the shapes the network
 * was loaded with shares the loaded graph: the fast path. A .tsr keeps the
 * shapes it was converted with (other shapes: TSR_ERR_UNSUPPORTED).
 *
 * Copies. An input or output bound with tsr_network_session_bind_input /
 * _bind_output before the arena is read / written in place by the ops on
 * host targets (no copy). tsr_network_session_set_input and
 * tsr_network_session_get_output copy. A tensor used by a device target
 * (Vulkan, OpenCL) is copied to or from the device by the run, bound or not.
 *
 * Targets. The caller chooses them (tsr_target_create) and passes them in
 * the session's config in order of preference, with an optional fallback
 * for the ops they do not support; a session never substitutes a target of
 * its own for one that was asked for. With no target at all the session
 * creates a CPU target of its own (n_threads threads).
 *
 * Thread-safety: a network is read-only after load and may be shared by
 * sessions on different threads; one session is used by one thread at a
 * time. */
#ifndef TESSERA_NET_H_
#define TESSERA_NET_H_

#include "tessera/engine.h"
#ifndef TSR_NO_FILEIO
#include <stdio.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsr_network_format {
  TSR_NETWORK_FORMAT_ONNX = 1, /* ONNX protobuf, imported at load */
  TSR_NETWORK_FORMAT_TSR = 2,  /* Tessera's .tsr (GGUF container) */
} tsr_network_format;

enum {
  /* ONNX: lower node by node, without fusion (for debugging). */
  TSR_NETWORK_NO_FUSION = 1u << 0,
  /* ONNX: run QDQ graphs in float with explicit (de)quantization, never as
   * int8 QLinear ops. */
  TSR_NETWORK_QDQ_FLOAT = 1u << 1,
};

/* The concrete shape of input |name|. */
typedef struct tsr_network_shape {
  const char *name; /* NULL: the network's only input */
  int32_t ndim;
  int64_t shape[TSR_MAX_DIMS];
} tsr_network_shape;

typedef struct tsr_network_options {
  /* Everything the network holds (graph, imported constants, names). NULL:
   * the C library. Must outlive the network. */
  const tsr_allocator *allocator;
  uint32_t flags; /* TSR_NETWORK_* (ONNX import) */
  /* ONNX: input shapes at load (symbolic dimensions not listed: 1). A .tsr
   * refuses a shape other than its own (TSR_ERR_UNSUPPORTED). */
  const tsr_network_shape *shapes;
  uint32_t n_shapes;
  /* tsr_network_load_file: the largest file accepted, checked before
   * reading (0: TSR_FILE_MAX_MODEL_DEFAULT). */
  uint64_t max_file_bytes;
} tsr_network_options;

typedef struct tsr_network tsr_network;

/* Least alignment of a .tsr image in memory (tsr_network_load_memory). */
#define TSR_NETWORK_TSR_ALIGN 8

/* Loads a network from |data|[0..size): a .tsr if it starts with the GGUF
 * magic, else ONNX. |data| must stay valid and unchanged until
 * tsr_network_free: a .tsr's constants are used in place, and an ONNX model
 * is re-read by sessions that ask for other input shapes. A .tsr block must
 * be at least TSR_NETWORK_TSR_ALIGN-byte aligned (TSR_ERR_INVALID_ARGUMENT
 * otherwise): its constants are used in place at the file's 64-byte
 * alignment relative to the block, so 64 is best. |opt| may be NULL. On failure *out is untouched and
 * |err| (may be NULL) names the problem: TSR_ERR_FORMAT for a malformed or
 * truncated file (naming the field, node or tensor), TSR_ERR_UNSUPPORTED for
 * an op, attribute or dtype Tessera does not run (naming the node and op),
 * or for ONNX in a build without the importer. Allocates through
 * opt->allocator. */
TSR_NODISCARD tsr_status tsr_network_load_memory(const void *data, size_t size, const tsr_network_options *opt,
                                                 tsr_network **out, tsr_error *err);
#ifndef TSR_NO_FILEIO
/* As tsr_network_load_memory on the memory-mapped file |path| (the mapping
 * is owned by the network). |path| must be a regular file (links followed)
 * within opt->max_file_bytes: TSR_ERR_IO if it cannot be read or is not a
 * regular file, TSR_ERR_INVALID_ARGUMENT if it is over the limit (see
 * tsr_file_map_limited). */
TSR_NODISCARD tsr_status tsr_network_load_file(const char *path, const tsr_network_options *opt,
                                               tsr_network **out, tsr_error *err);
/* Writes the network as a .tsr file at |path| (the graph as loaded, shapes
 * included), through a temporary file beside it renamed into place (see
 * tsr_out_open): a failed write leaves |path| as it was. Running the .tsr gives
 * bit-identical outputs. Allocates temporarily through the network's
 * allocator. */
TSR_NODISCARD tsr_status tsr_network_save_tsr(const tsr_network *n, const char *path, tsr_error *err);
/* As tsr_network_save_tsr into the open stream |f| (written from its current
 * position and flushed; the caller closes it). */
TSR_NODISCARD tsr_status tsr_network_write_tsr(const tsr_network *n, FILE *f, tsr_error *err);
#endif
/* Releases the network (every session on it must be deinitialized first).
 * NULL-safe. */
void tsr_network_free(tsr_network *n);

/* ---- introspection (pure) ---------------------------------------------- */

typedef struct tsr_network_info {
  int32_t format;        /* tsr_network_format */
  char producer[64];     /* ONNX producer name and version, or "" */
  int64_t opset;         /* ai.onnx opset of the source model; 0 if unknown */
  uint32_t source_nodes; /* nodes in the source model */
  uint32_t n_inputs, n_outputs;
  uint32_t n_nodes;      /* graph nodes after import (fused) */
  uint32_t n_tensors;    /* graph tensors, constants and views included */
  uint32_t n_consts;     /* constant tensors */
  uint32_t n_views;      /* view tensors (reshape, slice, ... without a copy) */
  uint64_t const_bytes;  /* bytes of every constant */
} tsr_network_info;

TSR_NODISCARD tsr_status tsr_network_get_info(const tsr_network *n, tsr_network_info *out);

/* An input or output. */
typedef struct tsr_network_io_info {
  const char *name;             /* as in the model file; owned by the network */
  tsr_dtype dtype;
  int32_t ndim;
  int64_t shape[TSR_MAX_DIMS];  /* concrete: as loaded, or as the session resolved it */
  size_t nbytes;                /* contiguous size */
  /* Inputs: bit d is set if dimension d is symbolic in the model (ONNX
   * dim_param or unset), so that a session may choose it. 0 for a .tsr. */
  uint32_t dynamic_dims;
  /* i8 / u8 tensors whose (de)quantization the model states with scalar
   * constants (the QuantizeLinear / QLinear* op next to it): real value =
   * (q - zero_point) * scale. Otherwise has_quant is false. */
  bool has_quant;
  float scale;
  int32_t zero_point;
} tsr_network_io_info;

uint32_t tsr_network_input_count(const tsr_network *n);
uint32_t tsr_network_output_count(const tsr_network *n);
/* Input / output |i| (model order). TSR_ERR_INVALID_ARGUMENT if out of range. */
TSR_NODISCARD tsr_status tsr_network_input_info(const tsr_network *n, uint32_t i, tsr_network_io_info *out);
TSR_NODISCARD tsr_status tsr_network_output_info(const tsr_network *n, uint32_t i, tsr_network_io_info *out);
/* Index of the input / output named |name|, or -1. */
int32_t tsr_network_find_input(const tsr_network *n, const char *name);
int32_t tsr_network_find_output(const tsr_network *n, const char *name);
/* The graph as loaded (read-only; valid until tsr_network_free), for
 * listing nodes and tensors (graph.h). */
const tsr_graph *tsr_network_graph(const tsr_network *n);

/* ---- sessions --------------------------------------------------------- */

typedef struct tsr_network_session_config {
  /* Prepare-time memory (plan, command lists, a re-imported graph, the host
   * arena if the caller gives none). NULL: the network's allocator. Must
   * outlive the session. */
  const tsr_allocator *allocator;
  /* Targets in order of preference and the fallback, as tsr_engine_config:
   * owned by the caller, they must outlive the session. No target and no
   * fallback: the session creates a CPU target of its own. */
  tsr_target *targets[TSR_ENGINE_MAX_TARGETS];
  uint32_t n_targets;
  tsr_target *fallback;
  uint32_t n_threads; /* the session's own CPU target: threads; 0 = every CPU */
  /* Concrete input shapes; inputs not listed keep the loaded shape. */
  const tsr_network_shape *shapes;
  uint32_t n_shapes;
} tsr_network_session_config;

typedef struct tsr_network_session tsr_network_session;

/* Bytes and alignment tsr_network_session_init needs. Pure. */
TSR_NODISCARD tsr_status tsr_network_session_get_size(const tsr_network *n, const tsr_network_session_config *cfg,
                                                      size_t *out_size, size_t *out_align);
/* Places a session on network |n| in |mem| (owned by the caller until
 * tsr_network_session_deinit). Copies |cfg| (the shapes too). |n| must
 * outlive the session. Allocates: never. */
TSR_NODISCARD tsr_status tsr_network_session_init(const tsr_network *n, const tsr_network_session_config *cfg,
                                                  void *mem, size_t mem_size, tsr_network_session **out);
/* Resolves the input shapes (re-importing an ONNX model if they differ from
 * the loaded ones), places every node, plans memory. TSR_ERR_INVALID_ARGUMENT
 * for a shape naming no input, of the wrong rank, or changing a fixed
 * dimension; TSR_ERR_UNSUPPORTED for a shape the importer cannot propagate
 * or a .tsr asked for other shapes, or an op no target (nor the fallback)
 * runs. Detail in tsr_network_session_error. Allocates through the
 * session's allocator. */
TSR_NODISCARD tsr_status tsr_network_session_prepare(tsr_network_session *s);
/* Inputs and outputs with the session's concrete shapes (after prepare). */
TSR_NODISCARD tsr_status tsr_network_session_input_info(const tsr_network_session *s, uint32_t i,
                                                        tsr_network_io_info *out);
TSR_NODISCARD tsr_status tsr_network_session_output_info(const tsr_network_session *s, uint32_t i,
                                                         tsr_network_io_info *out);
/* Binds caller memory |t|->data as input / output |i|, after prepare and
 * before bind_arena. |t| must have the tensor's dtype and shape, be
 * contiguous and TSR_PROGRAM_IO_ALIGN-aligned (TSR_ERR_INVALID_ARGUMENT
 * naming the tensor, what it is and what was given). No copy: runs read the
 * input from (never write it) and write the output to that memory, which
 * must stay valid while the session runs. A bound tensor takes no room in
 * the arena. t == NULL unbinds. Allocates (a table, once). */
TSR_NODISCARD tsr_status tsr_network_session_bind_input(tsr_network_session *s, uint32_t i, const tsr_tensor *t);
TSR_NODISCARD tsr_status tsr_network_session_bind_output(tsr_network_session *s, uint32_t i, const tsr_tensor *t);
/* Host arena the session needs (inputs and outputs not bound, intermediates
 * on host targets). Pure. */
TSR_NODISCARD tsr_status tsr_network_session_get_arena_size(const tsr_network_session *s, size_t *out_size,
                                                            size_t *out_align);
/* Binds the caller's host arena (NULL: allocated through the session's
 * allocator), allocates device memory, uploads constants to device targets
 * and records the command lists. After this, nothing allocates. */
TSR_NODISCARD tsr_status tsr_network_session_bind_arena(tsr_network_session *s, void *mem, size_t mem_size);

/* Copies |t| into input |i| (same dtype and shape, contiguous; else
 * TSR_ERR_INVALID_ARGUMENT naming both). Never allocates. */
TSR_NODISCARD tsr_status tsr_network_session_set_input(tsr_network_session *s, uint32_t i, const tsr_tensor *t);
/* Copies output |i| into |t| (same dtype and shape, contiguous). Never allocates. */
TSR_NODISCARD tsr_status tsr_network_session_get_output(tsr_network_session *s, uint32_t i, tsr_tensor *t);
/* Where input / output |i| lives (the bound memory, or in the arena):
 * contiguous, valid until deinit. Writing an input there costs no copy. */
TSR_NODISCARD tsr_status tsr_network_session_input_data(tsr_network_session *s, uint32_t i, void **out_data);
TSR_NODISCARD tsr_status tsr_network_session_output_data(tsr_network_session *s, uint32_t i,
                                                         const void **out_data);
/* Runs the network once on the current inputs; on return every output is
 * readable on the host. Never allocates, never plans. */
TSR_NODISCARD tsr_status tsr_network_session_run(tsr_network_session *s);
/* The runtime fallback: where the config has a fallback and some node runs
 * on another target, prepare also places the whole graph on the fallback
 * (bind_arena gives it an arena of its own, through the session's
 * allocator). A run that fails on the targets is then re-run on the fallback
 * from the same inputs, its outputs returned where they always are, and
 * tsr_network_session_run returns TSR_OK with the reason in the session's
 * error (code TSR_OK). The next run tries the targets again. The frames
 * re-run so far: */
uint32_t tsr_network_session_fallback_runs(const tsr_network_session *s);

/* Placement and memory (tsr_program_get_stats) after prepare. */
TSR_NODISCARD tsr_status tsr_network_session_get_stats(const tsr_network_session *s, tsr_program_stats *out);
/* The graph the session runs (the network's, or its re-import); valid until
 * deinit. Node indices below refer to it. */
const tsr_graph *tsr_network_session_graph(const tsr_network_session *s);
/* Name of the target node |node| runs on ("cpu", "vulkan:0"); NULL if out of
 * range or before prepare. */
const char *tsr_network_session_node_target(const tsr_network_session *s, uint32_t node);
/* Per-op device times of the last run (tsr_program_get_profile): ops on
 * targets with TSR_CAP_PROFILING only. Never allocates. */
TSR_NODISCARD tsr_status tsr_network_session_get_profile(tsr_network_session *s, tsr_op_timing *out, uint32_t cap,
                                                         uint32_t *out_n);
/* The session's first target (the caller's targets[0], or its own CPU
 * target once prepared; for tsr_target_get_caps). NULL before prepare. */
tsr_target *tsr_network_session_target(const tsr_network_session *s);
/* The session's last error. */
const tsr_error *tsr_network_session_error(const tsr_network_session *s);
/* Releases what prepare and bind allocated (the caller's targets, arena and
 * bound memory excepted). The session memory may be reused afterwards.
 * NULL-safe. */
void tsr_network_session_deinit(tsr_network_session *s);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_NET_H_ */
