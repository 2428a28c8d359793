/* The engine: places a graph on targets, plans its memory and runs it.
 *
 * Lifecycle: tsr_engine_get_size / tsr_engine_init (caller memory, no
 * allocation), tsr_engine_prepare (places nodes, plans memory; allocates
 * through the engine's allocator), tsr_program_bind_arena (caller arena,
 * uploads weights, records command lists), then tsr_program_run any number of
 * times: run never allocates and never plans. */
#ifndef TESSERA_ENGINE_H_
#define TESSERA_ENGINE_H_

#include "tessera/graph.h"
#include "tessera/target.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSR_ENGINE_MAX_TARGETS 8

typedef struct tsr_engine_config {
  const tsr_allocator *allocator;        /* load-time memory; must outlive the engine */
  tsr_target *targets[TSR_ENGINE_MAX_TARGETS]; /* in order of preference */
  uint32_t n_targets;
  /* Runs every op no listed target supports; must have TSR_CAP_HOST_MEMORY
   * (a CPU target). May also appear in targets[]. NULL: no fallback. */
  tsr_target *fallback;
} tsr_engine_config;

typedef struct tsr_engine tsr_engine;
typedef struct tsr_program tsr_program;

/* Bytes and alignment tsr_engine_init needs for |cfg|. Pure. */
TSR_NODISCARD tsr_status tsr_engine_get_size(const tsr_engine_config *cfg, size_t *out_size,
                                             size_t *out_align);
/* Places the engine in |mem|, which the caller owns until tsr_engine_deinit.
 * The targets stay owned by the caller and must outlive the engine.
 * Allocates: never. */
TSR_NODISCARD tsr_status tsr_engine_init(const tsr_engine_config *cfg, void *mem,
                                         size_t mem_size, tsr_engine **out_engine);
void tsr_engine_deinit(tsr_engine *e);
const tsr_error *tsr_engine_error(const tsr_engine *e);

/* Validates |g|, places every node (first target whose supports_op accepts
 * it, else the fallback), inserts the copies between targets and plans every
 * intermediate tensor at an offset of one arena per target by liveness. The
 * graph must outlive the program. Allocates through the engine's allocator. */
TSR_NODISCARD tsr_status tsr_engine_prepare(tsr_engine *e, const tsr_graph *g,
                                            tsr_program **out_program);

/* Host arena the program needs (intermediates on host targets, inputs,
 * outputs, host state). Pure. */
TSR_NODISCARD tsr_status tsr_program_get_arena_size(const tsr_program *p, size_t *out_size,
                                                    size_t *out_align);
/* Alignment tsr_program_bind_io requires of caller memory. */
#define TSR_PROGRAM_IO_ALIGN 64
/* Places INPUT or OUTPUT tensor |id| (a root, contiguous, |size| bytes: its
 * whole extent) in caller memory |mem| instead of the host arena, so that
 * runs read the input from / write the output to |mem| directly (on host
 * targets; a device target copies between |mem| and its own memory as it
 * would from the arena). NULL unbinds. Only before tsr_program_bind_arena:
 * the command lists record the address; |mem| must stay valid while the
 * program runs and be TSR_PROGRAM_IO_ALIGN-aligned. A bound tensor takes no
 * room in the host arena. Inputs are never written by a run. Allocates (a
 * table, once) through the engine's allocator. */
TSR_NODISCARD tsr_status tsr_program_bind_io(tsr_program *p, int32_t id, void *mem, size_t size);
/* Binds the caller's host arena (NULL: allocate it through the engine's
 * allocator), allocates target memory, uploads constants, zeroes state and
 * records the command lists. After this, runs never allocate. */
TSR_NODISCARD tsr_status tsr_program_bind_arena(tsr_program *p, void *mem, size_t mem_size);

/* Copies |size| bytes into input tensor |id| (contiguous layout). */
TSR_NODISCARD tsr_status tsr_program_set_input(tsr_program *p, int32_t id, const void *src,
                                               size_t size);
/* Host address of an INPUT or OUTPUT tensor's storage (contiguous), valid
 * until the program is destroyed. */
TSR_NODISCARD tsr_status tsr_program_tensor_data(tsr_program *p, int32_t id, void **out_data);
/* Runs entry |entry| with dynamic values |dyn| (may be NULL). On return every
 * OUTPUT tensor of the entry is readable on the host. Never allocates. */
TSR_NODISCARD tsr_status tsr_program_run(tsr_program *p, uint32_t entry,
                                         const tsr_dyn_values *dyn);
/* Copies output |id| into |dst|. */
TSR_NODISCARD tsr_status tsr_program_get_output(tsr_program *p, int32_t id, void *dst,
                                                size_t size);
/* Zeroes every STATE tensor (e.g. to start a new sequence). */
TSR_NODISCARD tsr_status tsr_program_reset_state(tsr_program *p);

typedef struct tsr_program_stats {
  uint64_t arena_bytes;        /* host arena (tsr_program_get_arena_size) */
  uint64_t naive_bytes;        /* sum of every intermediate, without reuse */
  uint64_t state_bytes;        /* persistent state, all targets */
  uint64_t io_bytes;           /* inputs and outputs */
  uint64_t device_arena_bytes; /* non-host target arenas, summed */
  uint64_t device_const_bytes; /* constants uploaded to non-host targets */
  uint32_t n_nodes;
  uint32_t n_copies;           /* cross-target copies over all entries */
  uint32_t n_segments;         /* command lists over all entries */
  uint32_t nodes_per_target[TSR_ENGINE_MAX_TARGETS + 1]; /* last: fallback */
} tsr_program_stats;

TSR_NODISCARD tsr_status tsr_program_get_stats(const tsr_program *p, tsr_program_stats *out);
/* Name of the target node |node| runs on ("cpu", "vulkan:0"). */
const char *tsr_program_node_target(const tsr_program *p, uint32_t node);
/* Per-op device times of the last run of entry |entry|, in node order,
 * for the nodes that ran on targets with TSR_CAP_PROFILING (timestamp
 * queries); nodes on other targets are not listed. Writes up to |cap|
 * timings; *out_n is the number written. Allocates: never. */
TSR_NODISCARD tsr_status tsr_program_get_profile(tsr_program *p, uint32_t entry, tsr_op_timing *out,
                                                 uint32_t cap, uint32_t *out_n);
const tsr_error *tsr_program_error(const tsr_program *p);
void tsr_program_destroy(tsr_program *p);

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_ENGINE_H_ */
