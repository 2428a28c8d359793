/* The ONNX importer: an ONNX model (protobuf, opsets 1 to 17, the
 * com.microsoft QLinear* ops) to a Tessera network.
 *
 * Import is load-time work: it parses the protobuf, gives every value a
 * static shape, folds every constant sub-graph (Shape/Gather/Concat/Reshape
 * chains, DequantizeLinear of weights, ...), and lowers the rest to graph
 * nodes, fusing what the engine runs better fused:
 *   - BatchNormalization into the preceding Conv (alone: a per-channel
 *     multiply-add), Conv + bias Add, Conv + activation (Relu, Clip,
 *     LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, SiLU);
 *   - Sigmoid x Mul -> SiLU, Erf GELU -> GELU, ReduceMean/Sub/Pow/Sqrt/Div
 *     (+ Mul/Add) -> LayerNorm, MatMul + bias Add -> matmul with bias;
 *   - Reshape, Flatten, Squeeze, Unsqueeze, Slice, Split, Gather with a
 *     scalar index and Expand as views; Transpose as a copy (or folded into
 *     the matmul that consumes it);
 *   - DequantizeLinear -> Conv -> QuantizeLinear as an int8 QLinearConv when
 *     the scales allow, other QDQ as float with explicit (de)quantization.
 * An op, attribute value or dtype it does not handle fails the import with
 * TSR_ERR_UNSUPPORTED naming the node, the op and the attribute; malformed
 * protobuf or an inconsistent graph gives TSR_ERR_FORMAT. Tensors stored as
 * external data are refused (TSR_ERR_UNSUPPORTED). */
#ifndef TESSERA_ENGINE_ONNX_ONNX_H_
#define TESSERA_ENGINE_ONNX_ONNX_H_

#include "engine/net/net.h"

/* The shape to give graph input |name| (symbolic or fixed dimensions). */
typedef struct tsr_onnx_shape {
  const char *name; /* NULL: the only input */
  int32_t ndim;
  int64_t shape[TSR_MAX_DIMS];
} tsr_onnx_shape;

enum {
  /* Lower node by node: no fusion and no pattern (for tests). Constant
   * folding and views still apply. */
  TSR_ONNX_NO_FUSION = 1u << 0,
  /* Run QDQ graphs in float with explicit (de)quantization, never as int8
   * QLinear ops. */
  TSR_ONNX_QDQ_FLOAT = 1u << 1,
};

typedef struct tsr_onnx_options {
  const tsr_onnx_shape *shapes; /* input shapes; other inputs: as declared,
                                   symbolic dimensions set to 1 */
  uint32_t n_shapes;
  uint32_t flags;               /* TSR_ONNX_* */
  uint64_t max_file_bytes;      /* tsr_net_open: largest model file (.onnx or
                                   .tsr); 0: TSR_FILE_MAX_MODEL_DEFAULT */
} tsr_onnx_options;

/* Imports the ONNX model in |data|[0..size) (the caller keeps it; nothing
 * refers to it afterwards). |opt| may be NULL. Allocates the network and its
 * constants through |a|, temporaries too (freed before returning). */
TSR_NODISCARD tsr_status tsr_onnx_import(const void *data, size_t size, const tsr_onnx_options *opt,
                                         const tsr_allocator *a, tsr_net **out, tsr_error *err);

#endif /* TESSERA_ENGINE_ONNX_ONNX_H_ */
