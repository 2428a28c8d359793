/* Operators: the unit that targets implement and the graph is made of.
 *
 * Every op reads up to TSR_OP_MAX_SRC source tensors and writes one
 * destination tensor. An absent optional source has dtype TSR_DTYPE_NONE.
 * Shapes are row-major (shape[0] outermost). "Rows" below means all leading
 * dimensions flattened, with the last dimension as the row. */
#ifndef TESSERA_OP_H_
#define TESSERA_OP_H_

#include "tessera/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSR_OP_LIST(X)                                                                  \
  X(MATMUL, "matmul")             /* y[..,M,N] = a[..,M,K] @ b[..,N,K]^T (+ bias[N])      */ \
  X(RMSNORM, "rmsnorm")           /* y = x / sqrt(mean(x^2) + eps) * w, over last dim     */ \
  X(LAYERNORM, "layernorm")       /* y = (x - mean) / sqrt(var + eps) * w + b, last dim   */ \
  X(SOFTMAX, "softmax")           /* y = softmax(x * scale [masked]) over last dim        */ \
  X(ROPE, "rope")                 /* rotary position embedding on x[T,H,D]                */ \
  X(ATTENTION, "attention")       /* fused softmax(q k^T * scale) v with GQA and KV cache */ \
  X(UNARY, "unary")               /* y = f(x) elementwise (silu, gelu, relu, ...)         */ \
  X(BINARY, "binary")             /* y = f(a, b) with numpy broadcasting                  */ \
  X(GET_ROWS, "get_rows")         /* y[T,D] = table[ids[t], :] dequantized to f32         */ \
  X(SET_ROWS, "set_rows")         /* dst[pos+t, ...] = src[t, ...] (KV-cache write)       */ \
  X(CONVERT, "convert")           /* y = x with dtype conversion / strided copy           */ \
  X(CONCAT, "concat")             /* y = concat(srcs, axis)                               */ \
  X(CONV2D, "conv2d")             /* NCHW 2-D convolution, groups, dilation (+bias)       */ \
  X(CONV_TRANSPOSE2D, "conv_transpose2d") /* NCHW transposed convolution                 */ \
  X(POOL2D, "pool2d")             /* NCHW max / average / global average pooling          */ \
  X(RESIZE, "resize")             /* NCHW nearest / linear resize                         */ \
  X(REDUCE, "reduce")             /* mean / sum / max over a set of axes (keepdims)       */ \
  X(GATHER, "gather")             /* ONNX Gather along an axis                            */ \
  X(QUANTIZE_LINEAR, "quantize_linear")     /* y = sat(round(x / s) + zp)                 */ \
  X(DEQUANTIZE_LINEAR, "dequantize_linear") /* y = (x - zp) * s                           */ \
  X(QLINEAR_CONV, "qlinear_conv")   /* int8 conv with ONNX QLinearConv semantics          */ \
  X(QLINEAR_MATMUL, "qlinear_matmul") /* int8 matmul with ONNX QLinearMatMul semantics    */ \
  X(QLINEAR_BINARY, "qlinear_binary") /* int8 add/mul with requantization                 */ \
  X(TOPK, "topk")                 /* k largest / smallest of each row: values or indices  */ \
  X(GRID_SAMPLE, "grid_sample")   /* NCHW sampling at normalized grid points (ONNX)       */ \
  X(GATHER_ELEMENTS, "gather_elements") /* ONNX GatherElements along an axis          */ \
  X(GATHER_ND, "gather_nd")       /* ONNX GatherND (batch_dims 0)                         */ \
  X(SCATTER_ND, "scatter_nd")     /* ONNX ScatterND (reduction none)                      */

typedef enum tsr_op_type {
  TSR_OP_NONE = 0,
#define TSR_OP_ENUM_(id, name) TSR_OP_##id,
  TSR_OP_LIST(TSR_OP_ENUM_)
#undef TSR_OP_ENUM_
  TSR_OP_COUNT
} tsr_op_type;

/* Static name ("matmul"); "?" when out of range. */
const char *tsr_op_type_name(tsr_op_type t);

typedef enum tsr_unary_kind {
  TSR_UNARY_SILU = 0,   /* x * sigmoid(x) */
  TSR_UNARY_GELU_TANH,  /* 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))) */
  TSR_UNARY_GELU_ERF,   /* 0.5x(1 + erf(x / sqrt(2))) */
  TSR_UNARY_RELU,
  TSR_UNARY_LEAKY_RELU, /* x < 0 ? alpha * x : x */
  TSR_UNARY_SIGMOID,
  TSR_UNARY_HARD_SIGMOID, /* max(0, min(1, alpha * x + beta)) */
  TSR_UNARY_HARD_SWISH,   /* x * max(0, min(1, x / 6 + 0.5)) */
  TSR_UNARY_TANH,
  TSR_UNARY_ERF,
  TSR_UNARY_SQRT,
  TSR_UNARY_EXP,
  TSR_UNARY_NEG,
  TSR_UNARY_ABS,
  TSR_UNARY_CLIP,       /* min(max(x, alpha), beta) */
  TSR_UNARY_SCALE,      /* alpha * x + beta */
  /* The kinds below run on the CPU reference kernel only. */
  TSR_UNARY_SOFTPLUS,   /* log(1 + exp(x)) */
  TSR_UNARY_LOG,        /* natural log */
  TSR_UNARY_SIN,
  TSR_UNARY_COS,
  TSR_UNARY_MISH,       /* x * tanh(softplus(x)) */
  TSR_UNARY_ELU,        /* x < 0 ? alpha * (exp(x) - 1) : x */
  TSR_UNARY_SELU,       /* beta * (x <= 0 ? alpha * (exp(x) - 1) : x)  (beta: ONNX gamma) */
  TSR_UNARY_ROUND,      /* to nearest, halves to even */
  TSR_UNARY_FLOOR,
  TSR_UNARY_CEIL,
  TSR_UNARY_RECIPROCAL, /* 1 / x */
  TSR_UNARY_NOT,        /* x == 0 ? 1 : 0 (booleans as 0 / 1) */
  TSR_UNARY_COUNT
} tsr_unary_kind;

typedef enum tsr_binary_kind {
  TSR_BINARY_ADD = 0,
  TSR_BINARY_SUB,
  TSR_BINARY_MUL,
  TSR_BINARY_DIV,
  TSR_BINARY_POW,
  TSR_BINARY_MAX,
  TSR_BINARY_MIN,
  TSR_BINARY_PRELU,    /* a < 0 ? a * b : a */
  TSR_BINARY_SWIGLU,   /* silu(a) * b */
  /* The kinds below run on the CPU reference kernel only. Comparisons and
   * logic give 1 or 0 (booleans as f32 0 / 1). */
  TSR_BINARY_FMOD,     /* C fmod(a, b): the sign of a (ONNX Mod fmod=1) */
  TSR_BINARY_EQUAL,    /* a == b */
  TSR_BINARY_GREATER,  /* a > b */
  TSR_BINARY_LESS,     /* a < b */
  TSR_BINARY_GREATER_EQUAL,
  TSR_BINARY_LESS_EQUAL,
  TSR_BINARY_AND,      /* a != 0 && b != 0 */
  TSR_BINARY_OR,       /* a != 0 || b != 0 */
  TSR_BINARY_XOR,      /* (a != 0) != (b != 0) */
  TSR_BINARY_SELECT,   /* b != 0 ? a : 0 (ONNX Where = SELECT(x, c) + SELECT_NOT(y, c)) */
  TSR_BINARY_SELECT_NOT, /* b == 0 ? a : 0 */
  TSR_BINARY_COUNT
} tsr_binary_kind;

const char *tsr_unary_kind_name(tsr_unary_kind k);
const char *tsr_binary_kind_name(tsr_binary_kind k);

typedef enum tsr_rope_mode {
  TSR_ROPE_INTERLEAVED = 0, /* pairs (2i, 2i+1), as llama2.c and ggml mode 0 */
  TSR_ROPE_NEOX = 1,        /* pairs (i, i + n_dims/2), as GPT-NeoX / HF */
} tsr_rope_mode;

typedef enum tsr_pool_kind {
  TSR_POOL_MAX = 0,
  TSR_POOL_AVG,
  TSR_POOL_GLOBAL_AVG,
  TSR_POOL_GLOBAL_MAX,
} tsr_pool_kind;

typedef enum tsr_reduce_kind {
  TSR_REDUCE_MEAN = 0,
  TSR_REDUCE_SUM,
  TSR_REDUCE_MAX,
  TSR_REDUCE_MIN,
} tsr_reduce_kind;

typedef enum tsr_resize_mode {
  TSR_RESIZE_NEAREST = 0,
  TSR_RESIZE_LINEAR,
  TSR_RESIZE_CUBIC, /* bicubic, a = -0.75, edge pixels repeated (ONNX exclude_outside 0) */
} tsr_resize_mode;

typedef enum tsr_resize_coord {
  TSR_RESIZE_HALF_PIXEL = 0,
  TSR_RESIZE_ASYMMETRIC,
  TSR_RESIZE_ALIGN_CORNERS,
  TSR_RESIZE_PYTORCH_HALF_PIXEL,
  TSR_RESIZE_HALF_PIXEL_SYMMETRIC,
  TSR_RESIZE_TF_HALF_PIXEL_FOR_NN,
} tsr_resize_coord;

typedef enum tsr_resize_nearest {
  TSR_NEAREST_ROUND_PREFER_FLOOR = 0,
  TSR_NEAREST_ROUND_PREFER_CEIL,
  TSR_NEAREST_FLOOR,
  TSR_NEAREST_CEIL,
} tsr_resize_nearest;

/* src: a, b, bias?, a_scale?, b_scale?
 * - f32 a; b f32, f16, bf16 or any block format; optional f32 bias[N]; f32 y.
 *   b may be strided (a transposed view) when it is f32/f16/bf16.
 *   Batch dimensions of b broadcast against a.
 * - i8 a, i8 b: y i32 = raw sums; or y f32 = sum * a_scale[M] * b_scale[N]
 *   (a_scale, b_scale f32, one value per row of a and of b).
 * alpha scales the product before the bias is added. */
typedef struct tsr_matmul_params {
  float alpha; /* 0 means 1 */
} tsr_matmul_params;

/* src: x, w? (f32 [n]), b? (LAYERNORM only, f32 [n]) */
typedef struct tsr_norm_params {
  float eps;
} tsr_norm_params;

/* src: x f32 [.., R, S]. Element (r, s) of each [R, S] slice is masked to
 * -inf when causal and s > q_pos + r. scale 0 means 1. */
typedef struct tsr_softmax_params {
  float scale;
  bool causal;
  tsr_dyn q_pos;
} tsr_softmax_params;

/* src: x f32 [T, H, D], freq_factors? f32 [n_dims/2] (divides each frequency).
 * Row t has position pos + t. Dimensions >= n_dims pass through.
 * theta_i = pos * freq_scale * base^(-2i/n_dims) / freq_factors[i]. */
typedef struct tsr_rope_params {
  int32_t n_dims;
  int32_t mode; /* tsr_rope_mode */
  float freq_base;
  float freq_scale; /* 0 means 1 */
  tsr_dyn pos;
} tsr_rope_params;

/* src: q [Tq, Hq, D], k [S, Hkv, D], v [S, Hkv, Dv]; y [Tq, Hq, Dv]. q and y
 * f32; k and v f32 or f16 (the KV cache). Hq is a multiple of Hkv (grouped-
 * query attention: head h reads kv head h / (Hq / Hkv)). Only the first
 * kv_len rows of k and v are read. Query row t has absolute position
 * q_pos + t; with |causal| it sees keys s <= q_pos + t; with window > 0 only
 * keys s > q_pos + t - window. scale 0 means 1/sqrt(D). */
typedef struct tsr_attention_params {
  float scale;
  bool causal;
  int32_t window;
  tsr_dyn q_pos;
  tsr_dyn kv_len;
} tsr_attention_params;

/* src: x (any float type); y same shape. */
typedef struct tsr_unary_params {
  int32_t kind; /* tsr_unary_kind */
  float alpha;
  float beta;
} tsr_unary_params;

/* src: a, b (f32, broadcastable); y f32 with the broadcast shape. */
typedef struct tsr_binary_params {
  int32_t kind; /* tsr_binary_kind */
} tsr_binary_params;

/* src: table [V, D] (any dtype), ids i32 or i64 [T]; y f32 [T, D].
 * An id outside [0, V) writes a row of zeros. */
typedef struct tsr_get_rows_params {
  int32_t reserved;
} tsr_get_rows_params;

/* src: the new rows [T, ...]; dst: the destination [S, ...] (same trailing
 * shape), rows pos .. pos+T-1 are written, converted to dst's dtype. Rows
 * falling outside [0, S) are not written. */
typedef struct tsr_set_rows_params {
  tsr_dyn pos;
} tsr_set_rows_params;

/* src: x; y same number of elements and shape, any dtype pair among
 * f32/f16/bf16 and the block formats, or i8/u8/i32/i64 <-> f32 (values
 * rounded to nearest even and saturated when narrowing). */
typedef struct tsr_convert_params {
  int32_t reserved;
} tsr_convert_params;

/* CONCAT. src: 1..TSR_OP_MAX_SRC tensors of one plain dtype (f32, f16, bf16,
 * i8, u8, i32, i64), all of the same rank, with equal extents except on
 * |axis|; y: same dtype and rank, extent on |axis| the sum of the sources'.
 * axis in [0, ndim) (the importer resolves negative axes). Any strides.
 * More than TSR_OP_MAX_SRC inputs: chain several CONCATs into views of y. */
typedef struct tsr_concat_params {
  int32_t axis;
} tsr_concat_params;

/* Geometry shared by CONV2D, CONV_TRANSPOSE2D and QLINEAR_CONV.
 *
 * CONV2D. src: x f32 [N, C, H, W], w f32 [M, C/groups, KH, KW], bias? f32 [M],
 * slope? f32 [M]; y f32 [N, M, OH, OW] with
 *   OH = (H + pad[0] + pad[2] - dilation[0] * (KH - 1) - 1) / stride[0] + 1
 *   OW = (W + pad[1] + pad[3] - dilation[1] * (KW - 1) - 1) / stride[1] + 1
 * (floor division; OH and OW must be >= 1).
 * - kernel: (KH, KW), or (0, 0) to take them from w. stride, dilation: >= 1
 *   (0 is read as 1). pad: top, left, bottom, right, >= 0 (ONNX "pads" order
 *   [h_begin, w_begin, h_end, w_end]); auto_pad is resolved by the importer.
 * - groups >= 1 (0 is read as 1) divides C and M; depthwise is groups == C.
 * - Fused activation after the bias: |activation| is a tsr_unary_kind applied
 *   with act_alpha / act_beta exactly as UNARY does, or -1 for none. With
 *   |slope| (src 3) present the activation must be TSR_UNARY_LEAKY_RELU and
 *   output channel m uses slope[m] as its alpha (ONNX PRelu, per channel).
 * - output_padding: CONV_TRANSPOSE2D only, must be 0 for the others.
 * x and y may have any strides; fast kernels want contiguous tensors.
 *
 * CONV_TRANSPOSE2D. src: x f32 [N, C, H, W], w f32 [C, M/groups, KH, KW],
 * bias? f32 [M], slope? f32 [M]; y f32 [N, M, OH, OW] with
 *   OH = stride[0] * (H - 1) + output_padding[0] + dilation[0] * (KH - 1) + 1
 *        - pad[0] - pad[2]   (likewise OW)
 * output_padding[i] < max(stride[i], dilation[i]). ONNX output_shape is
 * resolved into pads by the importer. Activation as CONV2D. */
typedef struct tsr_conv2d_params {
  int32_t kernel[2];
  int32_t stride[2];
  int32_t dilation[2];
  int32_t pad[4];
  int32_t groups;
  int32_t output_padding[2]; /* CONV_TRANSPOSE2D only */
  int32_t activation;        /* tsr_unary_kind, or -1 */
  float act_alpha;
  float act_beta;
} tsr_conv2d_params;

/* POOL2D. src: x f32 [N, C, H, W]; y f32 [N, C, OH, OW].
 * MAX / AVG: a kernel[0] x kernel[1] window moved by |stride|, taps spaced
 * |dilation| (stride, dilation 0 are read as 1), |pad| top, left, bottom,
 * right. OH = ROUND((H + pad[0] + pad[2] - dilation[0] * (kernel[0] - 1) - 1)
 * / stride[0]) + 1 with ROUND floor, or ceil with |ceil_mode|, where a last
 * window that would start at or after H + pad[0] is dropped (ONNX Runtime and
 * PyTorch); likewise OW. Padding never wins a max. AVG divides the sum of the
 * taps inside the input by their count, or, with |count_include_pad|, by the
 * number of taps inside the padded extent [-pad_begin, H + pad_end) (taps in
 * the ceil_mode overhang never count). A window with no tap inside the input
 * gives 0 (AVG) or -inf (MAX). MAX over NaN inputs is unspecified.
 * GLOBAL_AVG / GLOBAL_MAX: over all of H x W; y [N, C, 1, 1]; the other
 * fields are ignored. */
typedef struct tsr_pool2d_params {
  int32_t kind; /* tsr_pool_kind */
  int32_t kernel[2];
  int32_t stride[2];
  int32_t dilation[2];
  int32_t pad[4];
  bool count_include_pad;
  bool ceil_mode;
} tsr_pool2d_params;

/* RESIZE. src: x f32 [N, C, H, W]; y f32 [N, C, OH, OW] (ONNX Resize with
 * scales 1 on N and C; the importer checks that). For output index o the
 * source coordinate is, with s = scale[i] (0: OH / H resp. OW / W, as when
 * ONNX "sizes" are given) and L = the input extent:
 *   HALF_PIXEL:          (o + 0.5) / s - 0.5
 *   ASYMMETRIC:          o / s
 *   ALIGN_CORNERS:       o * (L - 1) / (OL - 1)   (0 when OL == 1)
 *   PYTORCH_HALF_PIXEL:  OL > 1 ? (o + 0.5) / s - 0.5 : 0
 *   HALF_PIXEL_SYMMETRIC: L / 2 * (1 - OL / (s L)) + (o + 0.5) / s - 0.5
 *   TF_HALF_PIXEL_FOR_NN: (o + 0.5) / s
 * computed in f32 by tsr_resize_coord_f32 (kernels/resize/resize.h).
 * NEAREST rounds it with |nearest| (round_prefer_floor rounds halves down,
 * round_prefer_ceil up) and clamps to [0, L - 1]. LINEAR clamps the
 * coordinate to [0, L - 1] and interpolates bilinearly between floor and
 * floor + 1 (ONNX Runtime's rule). CUBIC weights the 4 x 4 pixels around
 * the coordinate with ONNX Runtime's cubic coefficients (a = -0.75), taps
 * outside the image clamped to the edge. Other cubic coefficients,
 * exclude_outside, extrapolation and tf_crop_and_resize are not supported (the
 * importer refuses them). */
typedef struct tsr_resize_params {
  int32_t mode;     /* tsr_resize_mode */
  int32_t coord;    /* tsr_resize_coord */
  int32_t nearest;  /* tsr_resize_nearest (NEAREST only) */
  float scale[2];   /* H, W scale factors; 0: derived from the shapes */
} tsr_resize_params;

/* REDUCE. src: x f32 (any strides, ndim >= 1); y f32 with the shape of x
 * where every reduced axis has extent 1 (keepdims; keepdims=0 is a view of y
 * made by the importer). |axes| bit i reduces dimension i; 0 is invalid
 * (ONNX noop_with_empty_axes is resolved by the importer). MEAN and SUM add
 * in double in row-major order; MAX / MIN over NaN inputs are unspecified. */
typedef struct tsr_reduce_params {
  int32_t kind;  /* tsr_reduce_kind */
  uint32_t axes; /* bit i: reduce dimension i */
} tsr_reduce_params;

/* GATHER. src: x (any plain dtype: f32, f16, bf16, i8, u8, i32, i64),
 * indices i32 / i64 of any shape (rank q); y of x's dtype with shape
 * x.shape[:axis] + indices.shape + x.shape[axis+1:]. Negative indices count
 * from the end (ONNX); an index still outside [0, x.shape[axis]) writes
 * zeros. axis in [0, ndim(x)). */
typedef struct tsr_gather_params {
  int32_t axis;
} tsr_gather_params;

/* GATHER_ELEMENTS (params: gather). src: x (plain dtype), indices i32 / i64
 * of x's rank; y of x's dtype with the indices' shape:
 *   y[i0, .., ia, ..] = x[i0, .., indices[i0, .., ia, ..], ..]   (a = axis)
 * GATHER_ND (params unused). src: x (plain dtype) of rank r, indices i32 /
 * i64 [.., m] with m <= r; y = indices.shape[:-1] + x.shape[m:]: each index
 * tuple picks the slab x[t0, .., tm-1, ...].
 * SCATTER_ND (params unused). src: data (plain dtype), indices i32 / i64
 * [.., m], updates of data's dtype with shape indices.shape[:-1] +
 * data.shape[m:]; y = data with each update slab written at its tuple, in
 * order (a repeated tuple: the last update wins).
 * Negative indices count from the end; an index still outside its extent
 * reads zeros (gathers) or is skipped (scatter). Any strides. */

/* QUANTIZE_LINEAR. src: x f32, scale f32, zero_point? (i8 / u8); y i8 / u8
 * (the zero point's dtype when present) with x's shape:
 *   y = saturate(round_half_even(x / scale) + zero_point)   (f32 division)
 * DEQUANTIZE_LINEAR. src: x i8 / u8 / i32, scale f32, zero_point? (x's
 * dtype); y f32 = (float)(x - zero_point) * scale.
 * scale (and zero_point, same shape) is a scalar (ndim 0 or one element) or a
 * vector [x.shape[axis]] (per channel along |axis|, in [0, ndim(x))). */
typedef struct tsr_qlinear_params {
  int32_t axis;
} tsr_qlinear_params;

/* The int8 ops with ONNX semantics. Requantization follows ONNX Runtime:
 *   mult = (float)(x_scale * w_scale[m]) / y_scale          (all in f32)
 *   y = saturate(round_half_even((float)acc * mult) + y_zp)
 * where acc is the exact int32 sum (x - x_zp) * (w - w_zp) (+ bias).
 * Scalar operands have ndim 0 or one element. The quantized dtypes are i8 or
 * u8, independently for x, w and y; each zero point has its tensor's dtype.
 *
 * QLINEAR_CONV. src: x [N, C, H, W], x_scale f32, x_zp, w [M, C/groups, KH,
 * KW], w_scale f32 (scalar or [M]), w_zp (scalar or [M]), y_scale f32, y_zp,
 * bias? i32 [M]; y [N, M, OH, OW]; geometry as CONV2D in |conv|
 * (activation must be -1 and output_padding 0).
 * QLINEAR_MATMUL. src: a [.., M, K], a_scale f32, a_zp, b [.., N, K] (ONNX's
 * [K, N] as a transposed view, as MATMUL), b_scale f32 (scalar or [N]), b_zp
 * (scalar or [N]), y_scale f32, y_zp; y [.., M, N]; batch dims broadcast.
 * QLINEAR_BINARY. src: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp (all
 * scalars but a and b, numpy broadcasting); |kind| TSR_BINARY_ADD or MUL
 * (com.microsoft QLinearAdd / QLinearMul):
 *   va = a_scale * (float)(a - a_zp); vb = b_scale * (float)(b - b_zp)
 *   y = saturate(round_half_even((va + vb) / y_scale) + y_zp)   (ADD; MUL: va * vb)
 * all in f32, as ONNX Runtime's reference loop. */
typedef struct tsr_qlinear_op_params {
  tsr_conv2d_params conv;
  int32_t kind; /* tsr_binary_kind for QLINEAR_BINARY */
} tsr_qlinear_op_params;

/* TOPK. src: x f32 [.., L] (any strides); y [.., k] (any strides), the k
 * largest (or smallest) of each row in order, best first: their values (f32)
 * when y is f32, their indices in [0, L) when y is i64. Equal values: the
 * lower index first, or with |last_index| the higher one (ONNX ArgMax /
 * ArgMin select_last_index). 1 <= k <= L. NaN inputs: unspecified order. */
typedef struct tsr_topk_params {
  int32_t k;
  bool largest;
  bool last_index;
} tsr_topk_params;

/* GRID_SAMPLE. src: x f32 [N, C, H, W], grid f32 [N, OH, OW, 2] (x, y in
 * [-1, 1]); y f32 [N, C, OH, OW]; any strides. ONNX GridSample (opset 16+)
 * as ONNX Runtime computes it, in f32: a grid value g maps to the pixel
 * coordinate ((g + 1) / 2) * (L - 1) with |align_corners|, else
 * ((g + 1) * L - 1) / 2. BILINEAR weights the 4 pixels around it, NEAREST
 * takes the pixel at the coordinate rounded half to even, BICUBIC the 4x4
 * around it (cubic coefficient -0.75). A pixel outside the image reads 0
 * (ZEROS), the nearest edge pixel (BORDER), or its reflection in
 * [-0.5, L - 0.5] ([0, L - 1] with align_corners) (REFLECTION). */
typedef enum tsr_grid_mode { TSR_GRID_BILINEAR = 0, TSR_GRID_NEAREST, TSR_GRID_BICUBIC } tsr_grid_mode;
typedef enum tsr_grid_padding { TSR_GRID_ZEROS = 0, TSR_GRID_BORDER, TSR_GRID_REFLECTION } tsr_grid_padding;
typedef struct tsr_grid_sample_params {
  int32_t mode;    /* tsr_grid_mode */
  int32_t padding; /* tsr_grid_padding */
  bool align_corners;
} tsr_grid_sample_params;

typedef union tsr_op_params {
  tsr_matmul_params matmul;
  tsr_norm_params norm;
  tsr_softmax_params softmax;
  tsr_rope_params rope;
  tsr_attention_params attention;
  tsr_unary_params unary;
  tsr_binary_params binary;
  tsr_get_rows_params get_rows;
  tsr_set_rows_params set_rows;
  tsr_convert_params convert;
  tsr_concat_params concat;
  tsr_conv2d_params conv2d;
  tsr_pool2d_params pool2d;
  tsr_resize_params resize;
  tsr_reduce_params reduce;
  tsr_gather_params gather;
  tsr_qlinear_params qlinear;
  tsr_qlinear_op_params qop;
  tsr_topk_params topk;
  tsr_grid_sample_params grid_sample;
} tsr_op_params;

#define TSR_OP_MAX_SRC 10

typedef struct tsr_op {
  tsr_op_type type;
  uint32_t n_src;
  tsr_tensor src[TSR_OP_MAX_SRC];
  tsr_tensor dst;
  tsr_op_params p;
  const char *name; /* for messages; may be NULL */
} tsr_op;

/* Checks dtypes, shapes and parameters of |op| against the contract above
 * (data pointers are not looked at). TSR_ERR_INVALID_ARGUMENT for a contract
 * violation, TSR_ERR_UNSUPPORTED for a valid op no reference implements,
 * with a message naming the op and the operand. Pure. */
TSR_NODISCARD tsr_status tsr_op_validate(const tsr_op *op, tsr_error *err);

/* True if |t| is present (dtype != NONE). */
static inline bool tsr_op_has_src(const tsr_op *op, uint32_t i) {
  return i < op->n_src && op->src[i].dtype != TSR_DTYPE_NONE;
}

#ifdef __cplusplus
}
#endif
#endif /* TESSERA_OP_H_ */
