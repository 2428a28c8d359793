/* Single-thread time estimates per op; see cpu_cost.h.
 *
 * time = flops / kFlopsPerNs + bytes / kBytesPerNs + elements * per-element
 * cost of transcendental functions, with rates measured on the fast AVX-512
 * kernels of one Zen 4 core (f32 conv/matmul 60-150 GFLOP/s, cache-resident
 * streams ~25 GB/s): PilotNet's and VitTrack's ops come within 0.5-1.5x of
 * their measured times. Reference kernels are scaled by the target. */
#include "targets/cpu/cpu_cost.h"

static const double kFlopsPerNs = 64.0;   /* f32 multiply-adds (2 flops each) */
static const double kIntOpsPerNs = 128.0; /* int8 multiply-adds */
static const double kBytesPerNs = 24.0;   /* bytes read or written (mostly in cache) */
static const double kTranscendentalNs = 0.25; /* exp, erf, tanh per element */

static double numel(const tsr_tensor *t) { return t->dtype == TSR_DTYPE_NONE ? 0.0 : (double)tsr_tensor_numel(t); }

static double nbytes(const tsr_tensor *t) { return t->dtype == TSR_DTYPE_NONE ? 0.0 : (double)tsr_tensor_nbytes(t); }

static double last_dim(const tsr_tensor *t) { return t->ndim > 0 ? (double)t->shape[t->ndim - 1] : 1.0; }

static bool transcendental(int32_t kind) {
  switch (kind) {
    case TSR_UNARY_SILU:
    case TSR_UNARY_GELU_TANH:
    case TSR_UNARY_GELU_ERF:
    case TSR_UNARY_SIGMOID:
    case TSR_UNARY_TANH:
    case TSR_UNARY_ERF:
    case TSR_UNARY_EXP:
      return true;
    default:
      return false;
  }
}

/* Multiply-adds of a convolution: every output x its receptive field. */
static double conv_macs(const tsr_op *op, const tsr_conv2d_params *p) {
  const double taps = (double)p->kernel[0] * (double)p->kernel[1];
  const double groups = p->groups > 0 ? (double)p->groups : 1.0;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  if (x->ndim != 4 || y->ndim != 4) return 0.0;
  if (op->type == TSR_OP_CONV_TRANSPOSE2D) return numel(x) * ((double)y->shape[1] / groups) * taps;
  return numel(y) * ((double)x->shape[1] / groups) * taps;
}

int64_t tsr_cpu_op_cost_ns(const tsr_op *op, const tsr_dyn_values *dyn) {
  double bytes = nbytes(&op->dst), flops = 0.0, int_ops = 0.0, slow = 0.0;
  for (uint32_t i = 0; i < op->n_src && i < TSR_OP_MAX_SRC; ++i) bytes += nbytes(&op->src[i]);
  switch (op->type) {
    case TSR_OP_MATMUL:
      flops = 2.0 * numel(&op->dst) * last_dim(&op->src[0]);
      break;
    case TSR_OP_QLINEAR_MATMUL:
      int_ops = 2.0 * numel(&op->dst) * last_dim(&op->src[0]);
      break;
    case TSR_OP_CONV2D:
    case TSR_OP_CONV_TRANSPOSE2D:
      flops = 2.0 * conv_macs(op, &op->p.conv2d);
      if (op->p.conv2d.activation >= 0 && transcendental(op->p.conv2d.activation)) slow = numel(&op->dst);
      break;
    case TSR_OP_QLINEAR_CONV:
      int_ops = 2.0 * conv_macs(op, &op->p.qop.conv);
      break;
    case TSR_OP_ATTENTION: {
      /* q [Tq, Hq, D] against kv_len keys: q k^T and p v, plus the exp. */
      const tsr_tensor *q = &op->src[0], *k = &op->src[1];
      double kv = dyn != NULL ? (double)tsr_dyn_eval(op->p.attention.kv_len, dyn) : 0.0;
      const double s = k->ndim == 3 ? (double)k->shape[0] : 0.0;
      if (kv <= 0.0 || kv > s) kv = s;
      const double rows = q->ndim == 3 ? (double)q->shape[0] * (double)q->shape[1] : 0.0;
      flops = 2.0 * rows * kv * (last_dim(q) + last_dim(&op->dst));
      slow = rows * kv;
      if (s > 0.0) bytes -= (nbytes(&op->src[1]) + nbytes(&op->src[2])) * (1.0 - kv / s);
      break;
    }
    case TSR_OP_UNARY:
      if (transcendental(op->p.unary.kind)) slow = numel(&op->dst);
      break;
    case TSR_OP_SOFTMAX:
    case TSR_OP_LAYERNORM:
    case TSR_OP_RMSNORM:
    case TSR_OP_ROPE:
      slow = numel(&op->dst);
      break;
    case TSR_OP_POOL2D:
      flops = numel(&op->dst) * (double)op->p.pool2d.kernel[0] * (double)op->p.pool2d.kernel[1];
      if (flops < numel(&op->src[0])) flops = numel(&op->src[0]); /* global pooling */
      break;
    case TSR_OP_RESIZE:
      flops = 8.0 * numel(&op->dst);
      break;
    case TSR_OP_GET_ROWS:
    case TSR_OP_GATHER:
      bytes = 2.0 * nbytes(&op->dst); /* the rows read, not the whole table */
      break;
    case TSR_OP_SET_ROWS:
      bytes = 2.0 * nbytes(&op->src[0]); /* the rows written, not the whole cache */
      break;
    default:
      break;
  }
  const double ns = flops / kFlopsPerNs + int_ops / kIntOpsPerNs + bytes / kBytesPerNs + slow * kTranscendentalNs;
  if (!(ns > 0.0)) return 0;
  return ns > 9.0e18 ? INT64_MAX : (int64_t)ns;
}

uint32_t tsr_cpu_split_threads(int64_t cost_ns, int64_t units, uint32_t n_threads, int64_t min_ns) {
  int64_t most = units < (int64_t)n_threads ? units : (int64_t)n_threads;
  if (most <= 1) return 1;
  if (min_ns <= 1) return (uint32_t)most; /* 1: split everything (tests) */
  const int64_t k = cost_ns / min_ns;
  if (k < 1) return 1;
  return (uint32_t)(k < most ? k : most);
}
