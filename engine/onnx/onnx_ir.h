/* The ONNX importer's working representation, shared by its passes:
 * parse (onnx_parse.c: protobuf -> values and nodes), infer (onnx_infer.c:
 * static shapes and constant folding) and lower (onnx_lower.c: graph nodes
 * with fusions). Everything here lives in the import's scratch arena. */
#ifndef TESSERA_ENGINE_ONNX_ONNX_IR_H_
#define TESSERA_ENGINE_ONNX_ONNX_IR_H_

#include "engine/onnx/onnx.h"
#include "onnx.pb-c.h"

/* ONNX ops the importer knows, by domain. */
#define OX_OP_LIST(X)                                                                                 \
  X(ABS, "Abs") X(ADD, "Add") X(AVERAGE_POOL, "AveragePool") X(BATCH_NORM, "BatchNormalization")     \
  X(CAST, "Cast") X(CLIP, "Clip") X(CONCAT, "Concat") X(CONSTANT, "Constant")                          \
  X(CONSTANT_OF_SHAPE, "ConstantOfShape") X(CONV, "Conv") X(CONV_TRANSPOSE, "ConvTranspose")           \
  X(DEQUANTIZE_LINEAR, "DequantizeLinear") X(DIV, "Div") X(DROPOUT, "Dropout") X(EQUAL, "Equal")       \
  X(ERF, "Erf") X(EXP, "Exp") X(EXPAND, "Expand") X(FLATTEN, "Flatten") X(FLOOR, "Floor")              \
  X(GATHER, "Gather") X(GEMM, "Gemm") X(GLOBAL_AVERAGE_POOL, "GlobalAveragePool")                     \
  X(GLOBAL_MAX_POOL, "GlobalMaxPool") X(HARD_SIGMOID, "HardSigmoid") X(HARD_SWISH, "HardSwish")        \
  X(IDENTITY, "Identity") X(LAYER_NORM, "LayerNormalization") X(LEAKY_RELU, "LeakyRelu")               \
  X(MATMUL, "MatMul") X(MAX, "Max") X(MAX_POOL, "MaxPool") X(MIN, "Min") X(MUL, "Mul") X(NEG, "Neg")    \
  X(POW, "Pow") X(PRELU, "PRelu") X(QLINEAR_CONV, "QLinearConv") X(QLINEAR_MATMUL, "QLinearMatMul")    \
  X(QUANTIZE_LINEAR, "QuantizeLinear") X(RANGE, "Range") X(REDUCE_MAX, "ReduceMax")                    \
  X(REDUCE_MEAN, "ReduceMean") X(REDUCE_MIN, "ReduceMin") X(REDUCE_SUM, "ReduceSum") X(RELU, "Relu")   \
  X(RESHAPE, "Reshape") X(RESIZE, "Resize") X(SHAPE, "Shape") X(SIGMOID, "Sigmoid") X(SLICE, "Slice")  \
  X(SOFTMAX, "Softmax") X(SPLIT, "Split") X(SQRT, "Sqrt") X(SQUEEZE, "Squeeze") X(SUB, "Sub")           \
  X(TANH, "Tanh") X(TRANSPOSE, "Transpose") X(UNSQUEEZE, "Unsqueeze") X(UPSAMPLE, "Upsample")          \
  X(WHERE, "Where") X(SOFTPLUS, "Softplus") X(LOG, "Log") X(SIN, "Sin") X(COS, "Cos") X(MISH, "Mish")          \
  X(ELU, "Elu") X(SELU, "Selu") X(GELU, "Gelu") X(ROUND, "Round") X(CEIL, "Ceil")                      \
  X(RECIPROCAL, "Reciprocal") X(NOT, "Not") X(MOD, "Mod") X(GREATER, "Greater") X(LESS, "Less")        \
  X(GREATER_OR_EQUAL, "GreaterOrEqual") X(LESS_OR_EQUAL, "LessOrEqual") X(AND, "And") X(OR, "Or")      \
  X(XOR, "Xor") X(PAD, "Pad") X(TILE, "Tile") X(DEPTH_TO_SPACE, "DepthToSpace")                        \
  X(SPACE_TO_DEPTH, "SpaceToDepth") X(INSTANCE_NORM, "InstanceNormalization")                           \
  X(GROUP_NORM, "GroupNormalization") X(ARG_MAX, "ArgMax") X(ARG_MIN, "ArgMin") X(TOPK, "TopK")                \
  X(CUMSUM, "CumSum") X(REDUCE_L1, "ReduceL1") X(REDUCE_L2, "ReduceL2") X(REDUCE_SUM_SQUARE, "ReduceSumSquare") \
  X(REDUCE_LOG_SUM, "ReduceLogSum") X(REDUCE_LOG_SUM_EXP, "ReduceLogSumExp") X(LP_NORM, "LpNormalization")       \
  X(EINSUM, "Einsum") X(GRID_SAMPLE, "GridSample") X(GATHER_ELEMENTS, "GatherElements")                 \
  X(GATHER_ND, "GatherND") X(SCATTER_ND, "ScatterND") X(LSTM, "LSTM") X(GRU, "GRU")        \
  X(MATMUL_INTEGER, "MatMulInteger")

/* com.microsoft ops. */
#define OX_MS_OP_LIST(X) X(QLINEAR_ADD, "QLinearAdd") X(QLINEAR_MUL, "QLinearMul")

typedef enum ox_op {
  OX_UNKNOWN = 0,
#define OX_ENUM_(id, name) OX_##id,
  OX_OP_LIST(OX_ENUM_) OX_MS_OP_LIST(OX_ENUM_)
#undef OX_ENUM_
  OX_OP_COUNT
} ox_op;

typedef struct ox_value {
  const char *name;
  tsr_dtype dtype;          /* NONE until known */
  int32_t ndim;             /* -1 until known */
  int64_t shape[TSR_MAX_DIMS];
  void *cdata;              /* constant contents (contiguous), or NULL */
  int32_t producer;         /* node index, -1 for graph inputs and initializers */
  int32_t n_uses;           /* node inputs reading it, +1 if a graph output */
  bool graph_input, graph_output;
  int32_t tid;              /* lowered tensor id, -1 until lowered */
  int32_t place_concat;     /* Concat node whose output this value is written
                               into in place, or -1 (lowering) */
  int64_t place_offset;     /* its start along the concat axis */
  bool placed;              /* it was: its tensor is that window */
  float mm_alpha;           /* != 0: the value is tid * mm_alpha, which its
                               only reader (a MatMul) applies */
} ox_value;

typedef struct ox_node {
  const Onnx__NodeProto *pb;
  ox_op op;
  const char *name;         /* node name, or its first output's if empty */
  uint32_t n_in, n_out;
  int32_t *in, *out;        /* value indices; -1 for an absent optional input */
  bool done;                /* folded, or consumed by a fusion */
} ox_node;

typedef struct ox_chunk ox_chunk;

typedef struct ox_ctx {
  tsr_allocator a;
  tsr_error *err;
  uint32_t flags;
  ox_chunk *chunks;         /* scratch arena */
  const Onnx__ModelProto *model;
  int64_t opset;            /* ai.onnx */
  int64_t ms_opset;         /* com.microsoft, 0 if not imported */
  ox_value *values;
  uint32_t n_values, cap_values;
  int32_t *hash;            /* name -> value, open addressing, -1 empty */
  uint32_t hash_cap;
  ox_node *nodes;
  uint32_t n_nodes;
  uint32_t *use_start;      /* [n_values + 1]: consumers of v are use_node[use_start[v] .. ] */
  int32_t *use_node;
  uint32_t csr_values;      /* values the consumer table covers */
  /* Lowering. */
  tsr_net *net;
  tsr_graph *g;
  int32_t *contig;          /* per tensor id: its contiguous copy, or -1 */
  uint32_t contig_cap;
  struct ox_plan *plans;    /* int8 QDQ patterns found before lowering */
  int32_t *plan_of;         /* per node: index into plans, or -1 */
  uint32_t n_plans;
} ox_ctx;

/* ---- scratch memory and errors ---- */

/* Zeroed scratch memory (64-byte aligned); NULL after setting an
 * out-of-memory error. Freed when the import ends. */
void *ox_alloc(ox_ctx *c, size_t size);
void ox_free_all(ox_ctx *c);

#define OX_FAIL(c, code, ...) TSR_ERROR((c)->err, code, __VA_ARGS__)

/* ---- values ---- */

/* Value of |name|, or -1. */
int32_t ox_find(const ox_ctx *c, const char *name);
/* Adds a value named |name| (must be new); -1 after setting an error. */
int32_t ox_add_value(ox_ctx *c, const char *name);
int64_t ox_numel(const ox_value *v);
/* The i-th input value of |n|, or NULL when absent. */
static inline ox_value *ox_in(ox_ctx *c, const ox_node *n, uint32_t i) {
  return (i < n->n_in && n->in[i] >= 0) ? &c->values[n->in[i]] : NULL;
}
static inline ox_value *ox_out(ox_ctx *c, const ox_node *n, uint32_t i) {
  return (i < n->n_out && n->out[i] >= 0) ? &c->values[n->out[i]] : NULL;
}
const char *ox_op_name(const ox_node *n);

/* Reads element |i| of a constant as int64 / double (any dtype). */
int64_t ox_get_i64(const ox_value *v, int64_t i);
double ox_get_f64(const ox_value *v, int64_t i);

/* ---- attributes ---- */

const Onnx__AttributeProto *ox_attr(const ox_node *n, const char *name);
/* Typed getters: TSR_ERR_FORMAT naming node and attribute on a type mismatch;
 * |def| when absent. */
TSR_NODISCARD tsr_status ox_attr_int(ox_ctx *c, const ox_node *n, const char *name, int64_t def, int64_t *out);
TSR_NODISCARD tsr_status ox_attr_float(ox_ctx *c, const ox_node *n, const char *name, float def, float *out);
/* Integer list: *out_n = -1 when absent; at most |cap| values. */
TSR_NODISCARD tsr_status ox_attr_ints(ox_ctx *c, const ox_node *n, const char *name, int64_t *out, int cap,
                                      int *out_n);
/* String (NUL-terminated copy into |buf|); |def| when absent. */
TSR_NODISCARD tsr_status ox_attr_str(ox_ctx *c, const ox_node *n, const char *name, const char *def, char *buf,
                                     size_t cap);
/* Decodes a TensorProto into a constant value |v| (dtype, shape, data). */
TSR_NODISCARD tsr_status ox_decode_tensor(ox_ctx *c, const Onnx__TensorProto *t, const char *what, ox_value *v);

/* ---- op geometry, shared by inference and lowering (onnx_infer.c) ---- */

/* Per-axis start, step and count of a Slice. */
typedef struct ox_slice {
  int64_t start[TSR_MAX_DIMS], step[TSR_MAX_DIMS], count[TSR_MAX_DIMS];
} ox_slice;
TSR_NODISCARD tsr_status ox_slice_params(ox_ctx *c, const ox_node *n, const ox_value *x, ox_slice *sl);
/* Split: the axis and the size of each output along it. */
TSR_NODISCARD tsr_status ox_split_params(ox_ctx *c, const ox_node *n, const ox_value *x, int32_t *axis, int64_t *sizes);
TSR_NODISCARD tsr_status ox_transpose_perm(ox_ctx *c, const ox_node *n, int32_t ndim, int32_t *perm);

/* Geometry of a window op (conv, pool) as 2-D: 1-D ops get a height of 1. */
typedef struct ox_window {
  int32_t nsp;                                       /* spatial dims in the model (1 or 2) */
  int64_t kernel[2], stride[2], dilation[2], pad[4]; /* pad: top, left, bottom, right */
  int64_t out[2];
  bool ceil_mode;
} ox_window;
/* |in_sp| and |kernel|: the model's |nsp| spatial extents (kernel 0: from
 * the attribute); |out_pad| (transposed only): [h, w] or NULL. */
TSR_NODISCARD tsr_status ox_window_params(ox_ctx *c, const ox_node *n, const int64_t *in_sp, int32_t nsp,
                                          const int64_t *kernel, bool transposed, const int64_t *out_pad,
                                          ox_window *w);
/* Reduced axes as a bit set and keepdims. */
TSR_NODISCARD tsr_status ox_reduce_axes(ox_ctx *c, const ox_node *n, const ox_value *x, uint32_t *mask, bool *keep);
/* Output extents of Resize/Upsample and the scales given (0 where sizes were given). */
TSR_NODISCARD tsr_status ox_resize_sizes(ox_ctx *c, const ox_node *n, const ox_value *x, int64_t *out, float *scales);

/* Pad: |pads| [2 * ndim] (begins, then ends) for every dimension of |x|,
 * the constant |value| and |mode| 0 constant, 1 reflect, 2 edge. */
TSR_NODISCARD tsr_status ox_pad_params(ox_ctx *c, const ox_node *n, const ox_value *x, int64_t *pads, float *value,
                                       int *mode);
/* ArgMax / ArgMin / TopK: the axis, k, order and keepdims. */
typedef struct ox_topk {
  int32_t axis;
  int64_t k;
  bool largest, last_index, keep;
} ox_topk;
TSR_NODISCARD tsr_status ox_topk_params(ox_ctx *c, const ox_node *n, const ox_value *x, ox_topk *t);
/* CumSum's axis (a constant input), resolved to [0, ndim). */
TSR_NODISCARD tsr_status ox_cumsum_axis(ox_ctx *c, const ox_node *n, const ox_value *x, int32_t *axis);
/* Einsum: the letters of each operand and of the output, and each letter's
 * extent (the largest over the operands: 1 broadcasts). */
typedef struct ox_einsum {
  int n_in;
  int nd[2], nd_out;
  char in[2][TSR_MAX_DIMS], out[TSR_MAX_DIMS];
  int64_t size[26];
} ox_einsum;
/* Parses the 'equation' of Einsum node |n| (one or two operands, no
 * ellipsis, no repeated letter within an operand). */
TSR_NODISCARD tsr_status ox_einsum_parse(ox_ctx *c, const ox_node *n, ox_einsum *e);
/* LSTM / GRU geometry (layout 0, default activations, no peepholes or clip). */
typedef struct ox_rnn {
  int gates; /* 4 LSTM (i, o, f, c), 3 GRU (z, r, h) */
  int dirs;
  bool reverse, linear_before_reset;
  int64_t hidden, steps, batch, input;
} ox_rnn;
TSR_NODISCARD tsr_status ox_rnn_params(ox_ctx *c, const ox_node *n, ox_rnn *r);
/* Comparison and logic ops: their output is bool (u8). */
static inline bool ox_is_logical(ox_op op) {
  return op == OX_EQUAL || op == OX_GREATER || op == OX_LESS || op == OX_GREATER_OR_EQUAL || op == OX_LESS_OR_EQUAL ||
         op == OX_AND || op == OX_OR || op == OX_XOR;
}

/* ---- passes ---- */

/* Static shapes of every node output, constants folded (onnx_infer.c). */
TSR_NODISCARD tsr_status ox_infer(ox_ctx *c);
/* Lowers the remaining nodes into c->net (onnx_lower.c). */
TSR_NODISCARD tsr_status ox_lower(ox_ctx *c);

/* Unsupported-feature error naming node and op. */
#define OX_UNSUPPORTED(c, n, ...) ox_unsupported((c), (n), __FILE__, __LINE__, __VA_ARGS__)
tsr_status ox_unsupported(ox_ctx *c, const ox_node *n, const char *file, int line, const char *fmt, ...)
    TSR_PRINTF(5, 6);
#define OX_BAD(c, n, ...) ox_bad((c), (n), __FILE__, __LINE__, __VA_ARGS__)
tsr_status ox_bad(ox_ctx *c, const ox_node *n, const char *file, int line, const char *fmt, ...)
    TSR_PRINTF(5, 6);

#endif /* TESSERA_ENGINE_ONNX_ONNX_IR_H_ */
