/* Quantized matmul (QMM): y[M, N] = alpha * a[M, K] @ b[N, K]^T (+ bias[N])
 * with a f32 and b in a GGML block format (q8_0, q4_0, q4_k, q5_k, q6_k),
 * computed with integer dot products. Shared by every ISA's variants.
 *
 * Every variant follows the same three steps (kernels/common/kernel.h):
 *   pack  (load time): b is rearranged into groups of |nr| rows, "P(nr)"
 *         below, so that one SIMD lane holds one weight row; the values are
 *         the file's, bit for bit (only their order changes).
 *   pre   (per run):   each row of a is quantized to 8 bits, as llama.cpp
 *         does for the weight type (GGML's Q8_0 for q8_0 / q4_0, Q8_K for
 *         the k-quants), into the op's shared scratch (the activation
 *         record below, in blocks of 32 either way).
 *   run   (per run):   units are (group of nr weight rows) x (chunk of rows
 *         of a); a ukernel computes an mr x nr tile over all of K.
 *
 * Activation record of one row of K elements (K a multiple of 32, nb = K/32),
 * 64-byte aligned pieces:
 *   int8_t  qs[K]        q_i = round_half_even(x_i / d_j), |q_i| <= 127
 *   float   d[nb]        d_j = max|x| of block j / 127 rounded to f16 (0 for
 *                        a zero block; q computed with the unrounded d);
 *                        for k-quant weights (GGML's Q8_K) the d of the 256
 *                        block j is in, possibly negative (see below)
 *   int32_t s[nb]        sum of the 32 q_i of block j
 *   int32_t s16[2 * nb]  sums of each 16-element half (Q6_K's sub-blocks)
 *   int32_t n128[nb]     -128 * s[j]  (offset corrections, read by a SIMD
 *   int32_t n136[nb]     -136 * s[j]   broadcast straight into accumulators)
 * so that sum_i x_i w_i ~= sum_j d_j * sum_{i in j} q_i w_i.
 *
 * Packed layout P(nr) of b [N, K]: ceil(N / nr) groups of nr rows (missing
 * rows of the last group are zeros). A group holds nb = K / B records (B = 32
 * for q8_0 / q4_0, 256 for the k-quants), stored as all nb headers (padded
 * to 64 bytes) followed by all nb bodies, so that bodies stay 64-byte
 * aligned. "Lane j" is row j of the group; "a lane word" is 4 bytes holding
 * 4 consecutive k of one row, what one 32-bit SIMD lane consumes per dot
 * instruction (x86 vpdpbusd / pmaddubsw, ARM sdot). Values are exact ints:
 *   q4_0 (32 k):  header f16 d[nr]; body for c in 0..3 (8 k each) nr lane
 *                 words: byte b of lane j = q[8c + b] | q[8c + 4 + b] << 4
 *                 (raw nibbles 0..15; value = (q - 8) * d).    2nr + 16nr
 *   q4_0 with TSR_QMM_PACK_NIBPAIR (nr even, L = nr / 2 lanes): header f16
 *                 d[nr]; body for c in 0..7 (4 k each) L lane words: byte b
 *                 of lane j = q_j[4c + b] | q_{j+L}[4c + b] << 4, so that
 *                 one register holds two rows per lane (x86 VNNI: the raw
 *                 bytes and their high nibbles dotted with the same
 *                 activations give both rows, one AND per 64 bytes).
 *                                                             2nr + 16nr
 *   q8_0 (32 k):  header f16 d[nr]; body for g in 0..7 nr lane words of
 *                 q[4g .. 4g+3] (int8, or uint8 q + 128 with
 *                 TSR_QMM_PACK_XOR128).                        2nr + 32nr
 *   q4_k (256 k): header f16 d[nr], f16 dmin[nr], u8 sc[8][nr], u8 m[8][nr];
 *                 body for each 32-k sub-block the q4_0 nibble layout
 *                 (4 x nr lane words). value = d * sc * q - dmin * m.
 *                                                             20nr + 128nr
 *   q5_k (256 k): as q4_k; the body continues with, per 32-k sub-block, nr
 *                 lane words of high bits: bit g of byte b of lane j = bit 4
 *                 of q[4g + b].                               20nr + 160nr
 *   q6_k (256 k): header f16 d[nr], i8 sc[16][nr]; body for each 16-k
 *                 sub-block 2 x nr lane words of low nibbles (as q4_0,
 *                 8 k each) then nr lane words of high bits: bits 2g, 2g+1
 *                 of byte b of lane j = bits 4, 5 of q[4g + b].
 *                 value = d * sc * (q - 32).                  18nr + 192nr
 * With TSR_QMM_PACK_INLINE a group is instead nb records of header then body,
 * back to back (one sequential stream for the prefetcher; the variant
 * chooses nr so that a record is a multiple of its vector size).
 * A variant without packing (nr rows read straight from b) sets packed = 0. */
#ifndef TESSERA_KERNELS_MATMUL_QMM_H_
#define TESSERA_KERNELS_MATMUL_QMM_H_

#include "common/kernel.h"

#define TSR_QMM_MAX_MR 8
#define TSR_QMM_MAX_NR 32

/* Pack flags. */
enum {
  TSR_QMM_PACK_XOR128 = 1u << 0,  /* q8_0 stored as uint8 w + 128 */
  TSR_QMM_PACK_NIBPAIR = 1u << 1, /* q4_0: rows j and j + nr/2 share a byte */
  TSR_QMM_PACK_INLINE = 1u << 2,  /* each record's header right before its body */
};

/* The activation record of one row. */
typedef struct tsr_qmm_act {
  const int8_t *qs;
  const float *d;
  const int32_t *s;
  const int32_t *s16;
  const int32_t *n128;
  const int32_t *n136;
} tsr_qmm_act;

/* Bytes of one activation record for K elements (multiple of 64). */
size_t tsr_qmm_act_bytes(int64_t k);
/* Pointers into the record at |rec|. */
tsr_qmm_act tsr_qmm_act_view(const void *rec, int64_t k);
/* Writes 32-block |j|'s scale |d| and the sums of its quants that the
 * kernels read (|lo|: the first 16, |hi|: the last 16) into the record
 * behind view |a|: every quantizer's common tail. */
static inline void tsr_qmm_act_set_block(const tsr_qmm_act *a, int64_t j, float d, int32_t lo, int32_t hi) {
  ((float *)a->d)[j] = d;
  ((int32_t *)a->s)[j] = lo + hi;
  ((int32_t *)a->s16)[2 * j] = lo;
  ((int32_t *)a->s16)[2 * j + 1] = hi;
  ((int32_t *)a->n128)[j] = -128 * (lo + hi);
  ((int32_t *)a->n136)[j] = -136 * (lo + hi);
}
/* Quantizes one row (the portable version; SIMD versions must give the same
 * bytes: round half to even, d = amax / 127, q = x * (1 / d), then d
 * rounded to f16). Used with q8_0 / q4_0 weights: GGML's Q8_0, what
 * llama.cpp dots those types with, scale rounding included. */
void tsr_qmm_quant_row_scalar(const float *x, int64_t k, void *rec);
/* Quantizes one row as GGML's Q8_K (K a multiple of 256), what llama.cpp
 * dots K-quant weights with: per 256 elements, max = the first x of largest
 * |x| (0: all zero), iscale = -127 / max, q = min(127, round_half_even(iscale
 * * x)), d = 1 / iscale (f32 operations in that order; SIMD versions must
 * give the same bytes). d[j] is then the same for the eight 32-blocks of a
 * 256. Used with q4_k / q5_k / q6_k weights, so that the fast path makes
 * llama.cpp's rounding, not another one of its own (per 32 elements its
 * error would be somewhat smaller, but uncorrelated with llama.cpp's: the
 * two drift apart over a sequence). */
void tsr_qmm_quant_row_k_scalar(const float *x, int64_t k, void *rec);

/* A tile: the ukernel writes tile[m * nr + j] = sum over K of a[m] . w[j]
 * for m < mr, j < nr (packed: all nr lanes, padding rows included;
 * unpacked: j < nr_valid). |w| is the packed group (packed variants) or the
 * group's first row of b (unpacked: rows |w_stride| bytes apart);
 * nblocks = K / B. */
typedef void (*tsr_qmm_ukernel_fn)(int64_t mr, int64_t nblocks, const uint8_t *w, int64_t w_stride,
                                   int64_t nr_valid, const tsr_qmm_act *act, float *tile);

typedef struct tsr_qmm_desc {
  tsr_dtype wtype;
  int32_t nr;            /* weight rows per group (<= TSR_QMM_MAX_NR) */
  int32_t mr;            /* activation rows per ukernel call (<= TSR_QMM_MAX_MR) */
  int32_t packed;        /* 1: weights packed as P(nr) at load time (b must be CONST) */
  uint32_t pack_flags;   /* TSR_QMM_PACK_* */
  void (*quant_row)(const float *x, int64_t k, void *rec);
  tsr_qmm_ukernel_fn ukernel;
} tsr_qmm_desc;

/* Block size (elements) of a record of |t|: 32 or 256. */
int64_t tsr_qmm_block(tsr_dtype t);
/* Bytes of one record's header and body for |nr| rows. */
size_t tsr_qmm_header_bytes(tsr_dtype t, int32_t nr);
size_t tsr_qmm_body_bytes(tsr_dtype t, int32_t nr);
/* Bytes of one packed group of |nr| rows over K = nblocks * B, packed with
 * |flags| (TSR_QMM_PACK_*). */
size_t tsr_qmm_group_bytes(tsr_dtype t, int32_t nr, uint32_t flags, int64_t nblocks);
/* Packs |n_rows| (<= nr) rows of b starting at |b| (rows |row_stride| bytes
 * apart) into one P(nr) group at |out|. */
void tsr_qmm_pack_group(tsr_dtype t, int32_t nr, uint32_t flags, const uint8_t *b, int64_t row_stride,
                        int64_t n_rows, int64_t k, uint8_t *out);

/* The driver behind every variant's tsr_kernel. */
bool tsr_qmm_match(const tsr_qmm_desc *d, const tsr_op *op);
int64_t tsr_qmm_units(const tsr_qmm_desc *d, const tsr_op *op);
size_t tsr_qmm_scratch(const tsr_qmm_desc *d, const tsr_op *op);
size_t tsr_qmm_shared_scratch(const tsr_qmm_desc *d, const tsr_op *op);
int64_t tsr_qmm_pre_units(const tsr_qmm_desc *d, const tsr_op *op);
void tsr_qmm_pre(const tsr_qmm_desc *d, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);
size_t tsr_qmm_packed_size(const tsr_qmm_desc *d, const tsr_op *op);
void tsr_qmm_pack(const tsr_qmm_desc *d, const tsr_op *op, void *out);
void tsr_qmm_run(const tsr_qmm_desc *d, const tsr_kernel_ctx *ctx, int64_t begin, int64_t end);

/* Defines the tsr_kernel |sym| for the variant described by |desc| (a
 * static const tsr_qmm_desc in the same file) whose quant_row is |quant|. */
#define TSR_QMM_KERNEL(sym, isa_bits, desc, quant)                                                         \
  static bool sym##_match(const tsr_op *op) { return tsr_qmm_match(&(desc), op); }                    \
  static int64_t sym##_units(const tsr_op *op, const tsr_dyn_values *dyn) {                           \
    (void)dyn;                                                                                         \
    return tsr_qmm_units(&(desc), op);                                                                 \
  }                                                                                                    \
  static size_t sym##_scratch(const tsr_op *op) { return tsr_qmm_scratch(&(desc), op); }              \
  static size_t sym##_shared(const tsr_op *op) { return tsr_qmm_shared_scratch(&(desc), op); }       \
  static int64_t sym##_pre_units(const tsr_op *op, const tsr_dyn_values *dyn) {                       \
    (void)dyn;                                                                                         \
    return tsr_qmm_pre_units(&(desc), op);                                                             \
  }                                                                                                    \
  static void sym##_pre(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) {                            \
    tsr_qmm_pre(&(desc), ctx, b, e);                                                                   \
  }                                                                                                    \
  static size_t sym##_packed_size(const tsr_op *op) { return tsr_qmm_packed_size(&(desc), op); }     \
  static void sym##_pack(const tsr_op *op, void *out) { tsr_qmm_pack(&(desc), op, out); }             \
  static void sym##_run(const tsr_kernel_ctx *ctx, int64_t b, int64_t e) {                            \
    tsr_qmm_run(&(desc), ctx, b, e);                                                                   \
  }                                                                                                    \
  const tsr_kernel sym = {                                                                            \
      .name = #sym,                                                                                   \
      .op = TSR_OP_MATMUL,                                                                             \
      .isa = (isa_bits),                                                                               \
      .match = sym##_match,                                                                           \
      .units = sym##_units,                                                                           \
      .scratch = sym##_scratch,                                                                       \
      .packed_size = sym##_packed_size,                                                               \
      .pack = sym##_pack,                                                                             \
      .run = sym##_run,                                                                               \
      .shared_scratch = sym##_shared,                                                                 \
      .pre_units = sym##_pre_units,                                                                   \
      .pre = sym##_pre,                                                                               \
      .pre_key = (void (*)(void))(quant),                                                              \
  }

#endif /* TESSERA_KERNELS_MATMUL_QMM_H_ */
