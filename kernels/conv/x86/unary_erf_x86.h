/* UNARY erf and GELU (erf form) over dense f32 tensors: the kinds the
 * elementwise variants leave to the reference. Body shared by the AVX-512
 * and AVX2 files (they define UE_* first); rational erf of vmath_*.h
 * (~2e-7 absolute). Units: 4096-element chunks. */
#define UE_CHUNK 4096

static bool UE_NAME(match)(const tsr_op *op) {
  const int k = op->p.unary.kind;
  return (k == TSR_UNARY_GELU_ERF || k == TSR_UNARY_ERF) && op->src[0].dtype == TSR_DTYPE_F32 &&
         tsr_tensor_is_contiguous(&op->src[0]) && tsr_tensor_is_contiguous(&op->dst);
}

static int64_t UE_NAME(units)(const tsr_op *op, const tsr_dyn_values *dyn) {
  (void)dyn;
  const int64_t n = tsr_tensor_numel(&op->dst);
  return n == 0 ? 1 : (n + UE_CHUNK - 1) / UE_CHUNK;
}

static void UE_NAME(run)(const tsr_kernel_ctx *ctx, int64_t begin, int64_t end) {
  const tsr_op *op = ctx->op;
  const int64_t total = tsr_tensor_numel(&op->dst);
  const int64_t e1 = end * UE_CHUNK < total ? end * UE_CHUNK : total;
  const float *x = op->src[0].data;
  float *y = op->dst.data;
  const UE_VEC zero = UE_ZERO();
  for (int64_t i = begin * UE_CHUNK; i < e1; i += UE_W) {
    const int64_t n = e1 - i < UE_W ? e1 - i : UE_W;
    UE_VEC v = UE_LOADN(x + i, n);
    v = UE_ACT(op->p.unary.kind, v, zero, zero);
    UE_STOREN(y + i, v, n);
  }
}
