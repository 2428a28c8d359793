/* The fault-injection target (tests only; internal header, not installed).
 *
 * "fault:<inner>" ("fault:cpu", "fault:vulkan:0", "fault:opencl:0:0")
 * creates the inner target by name and forwards every vtable call to it.
 * Armed, it fails the n-th call of one kind with TSR_ERR_DEVICE and an error
 * detail naming the injected fault; every call of each kind is counted,
 * armed or not, so a test can count a run's calls first and then fail each
 * one in turn. The failing call never reaches the inner target (a failed
 * buffer allocation allocates nothing; a failed submit runs nothing), so
 * the state is that of a device call that failed before doing anything. */
#ifndef TESSERA_TARGETS_FAULT_TARGET_H_
#define TESSERA_TARGETS_FAULT_TARGET_H_

#include "tessera/tessera.h"

typedef enum tsr_fault_kind {
  TSR_FAULT_SUBMIT = 0,   /* submit (runs a command list) */
  TSR_FAULT_WAIT,         /* wait (counted even when the inner target has none) */
  TSR_FAULT_ALLOC,        /* buffer_alloc */
  TSR_FAULT_TRANSFER,     /* buffer_upload and buffer_download */
  TSR_FAULT_KIND_COUNT,
} tsr_fault_kind;

/* "submit", "wait", "alloc", "transfer". */
const char *tsr_fault_kind_name(tsr_fault_kind kind);

/* Creates "fault:<spec>": |spec| is the inner target's name. Unknown inner
 * name: TSR_ERR_INVALID_ARGUMENT; unavailable: as tsr_target_create. */
TSR_NODISCARD tsr_status tsr_fault_target_create(const char *spec, const tsr_target_options *opt,
                                                 const tsr_allocator *a, tsr_target **out, tsr_error *err);

/* True if |t| was made by tsr_fault_target_create. */
bool tsr_fault_target_is(const tsr_target *t);
/* Fails the |n|-th call (1-based, counted from now) of |kind|, once;
 * resets that kind's counter. TSR_ERR_INVALID_ARGUMENT if |t| is not a fault
 * target, |kind| is out of range or |n| is 0. */
TSR_NODISCARD tsr_status tsr_fault_target_arm(tsr_target *t, tsr_fault_kind kind, uint32_t n);
/* Disarms every kind (the counters keep counting). */
void tsr_fault_target_disarm(tsr_target *t);
/* Calls of |kind| since creation or the last reset / arm of that kind. */
uint32_t tsr_fault_target_count(const tsr_target *t, tsr_fault_kind kind);
/* Zeroes every counter. */
void tsr_fault_target_reset_counts(tsr_target *t);
/* Faults injected since creation. */
uint32_t tsr_fault_target_injected(const tsr_target *t);
/* The inner target (owned by the fault target). */
tsr_target *tsr_fault_target_inner(tsr_target *t);

#endif /* TESSERA_TARGETS_FAULT_TARGET_H_ */
