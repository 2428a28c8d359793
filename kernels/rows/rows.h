/* Row gather and scatter.
 * GET_ROWS: table [V, D] any weight dtype, ids [T] i32/i64 -> y [T, D] f32
 *   (an id outside [0, V) gives a row of zeros): embedding lookup.
 * SET_ROWS: src [T, ...] f32 -> dst [S, ...] rows pos .. pos+T-1, converted
 *   to dst's dtype; rows outside [0, S) skipped: the KV-cache write. */
#ifndef TESSERA_KERNELS_ROWS_H_
#define TESSERA_KERNELS_ROWS_H_
#include "common/kernel.h"
extern const tsr_kernel tsr_get_rows_ref;
extern const tsr_kernel tsr_set_rows_ref;
#endif
