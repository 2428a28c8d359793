/* The OpenCL target's ops: which ones it runs (supports_op), and how each is
 * recorded as one kernel launch: kernel object, static arguments, the
 * parameter block (shapes and byte strides), the dynamic arguments set at
 * submit, and the launch geometry. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "targets/opencl/opencl_internal.h"

#define CL(o) (&(o)->api)

/* ---- what runs here ---- */

static bool is_plain_float(tsr_dtype t) {
  return t == TSR_DTYPE_F32 || t == TSR_DTYPE_F16 || t == TSR_DTYPE_BF16;
}

static bool is_weight(tsr_dtype t) { return is_plain_float(t) || tsr_dtype_is_quantized(t); }

/* Every byte stride a multiple of the element size (block formats: of 2,
 * the alignment of their f16 scales), so the kernels' typed loads are
 * aligned. */
static bool strides_aligned(const tsr_tensor *t) {
  if (t->dtype == TSR_DTYPE_NONE) return true;
  int64_t al = tsr_dtype_is_quantized(t->dtype) ? 2 : (int64_t)tsr_dtype_block_bytes(t->dtype);
  for (int i = 0; i < t->ndim; ++i) {
    bool inner_block = tsr_dtype_is_quantized(t->dtype) && i == t->ndim - 1;
    if (!inner_block && t->shape[i] > 1 && t->stride[i] % al != 0) return false;
  }
  return true;
}

static bool inner_contiguous(const tsr_tensor *t) {
  return t->ndim == 0 || t->shape[t->ndim - 1] <= 1 ||
         t->stride[t->ndim - 1] == (int64_t)tsr_dtype_block_bytes(t->dtype);
}

bool ocl_supports_op(const ocl_target *o, const tsr_op *op) {
  if (op == NULL || tsr_op_validate(op, NULL) != TSR_OK) return false;
  for (uint32_t i = 0; i < op->n_src; ++i) {
    if (!strides_aligned(&op->src[i])) return false;
  }
  if (!strides_aligned(&op->dst)) return false;
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  switch (op->type) {
    case TSR_OP_MATMUL:
      if (x->dtype == TSR_DTYPE_I8) return true; /* general strides */
      return inner_contiguous(x); /* a rows are read as contiguous f32 */
    case TSR_OP_RMSNORM:
    case TSR_OP_LAYERNORM:
    case TSR_OP_SOFTMAX:
    case TSR_OP_ROPE:
      return true;
    case TSR_OP_UNARY: /* kinds after SCALE / SWIGLU: CPU reference only */
      return op->p.unary.kind <= TSR_UNARY_SCALE;
    case TSR_OP_BINARY:
      return op->p.binary.kind <= TSR_BINARY_SWIGLU;
    case TSR_OP_ATTENTION: {
      const int64_t d = op->src[1].shape[2], dv = op->src[2].shape[2];
      return d <= OCL_ATT_MAXD && dv <= (o->rows ? OCL_ATT_MAXD : (int64_t)OCL_ATT_DVPT * (int64_t)o->wg);
    }
    case TSR_OP_GET_ROWS:
      return is_weight(x->dtype);
    case TSR_OP_SET_ROWS:
      return y->ndim >= 2;
    case TSR_OP_CONVERT:
      return true;
    default:
      return false;
  }
}

/* ---- index spaces (kernels/common/opencl/common.cl) ---- */

typedef struct space {
  int nd;
  int64_t shape[TSR_MAX_DIMS];
  int64_t st[4][TSR_MAX_DIMS];
} space;

/* Builds the index space of extents |shape| shared by |nt| tensors with
 * byte strides |st|: extent-1 dimensions dropped, neighbours merged where
 * every tensor is contiguous across them. */
static void space_make(space *sp, int nd, const int64_t *shape, int nt, int64_t st[][TSR_MAX_DIMS]) {
  memset(sp, 0, sizeof(*sp));
  for (int d = 0; d < nd; ++d) {
    if (shape[d] == 1) continue;
    int l = sp->nd - 1;
    bool merge = l >= 0;
    for (int t = 0; t < nt && merge; ++t) merge = sp->st[t][l] == st[t][d] * shape[d];
    if (merge) {
      sp->shape[l] *= shape[d];
      for (int t = 0; t < nt; ++t) sp->st[t][l] = st[t][d];
    } else {
      sp->shape[sp->nd] = shape[d];
      for (int t = 0; t < nt; ++t) sp->st[t][sp->nd] = st[t][d];
      sp->nd++;
    }
  }
  if (sp->nd == 0) { /* a single element */
    sp->nd = 1;
    sp->shape[0] = 1;
  }
}

static void space_push(ocl_params *p, const space *sp, int nt) {
  ocl_params_push(p, sp->nd);
  for (int d = 0; d < TSR_MAX_DIMS; ++d) ocl_params_push(p, d < sp->nd ? sp->shape[d] : 1);
  for (int t = 0; t < nt; ++t) {
    for (int d = 0; d < TSR_MAX_DIMS; ++d) ocl_params_push(p, d < sp->nd ? sp->st[t][d] : 0);
  }
}

/* Strides of |t| over the first |nd| dimensions of a destination, |t|'s
 * last |skip| dimensions excluded, right-aligned and 0 where |t| broadcasts
 * (numpy rules). */
static void bcast_strides(const tsr_tensor *t, int nd, int skip, int64_t *out) {
  int tn = t->ndim - skip;
  for (int i = 0; i < nd; ++i) {
    int ti = i - (nd - tn);
    out[i] = (ti >= 0 && t->shape[ti] != 1) ? t->stride[ti] : 0;
  }
}

static int64_t prod(const int64_t *s, int n) {
  int64_t p = 1;
  for (int i = 0; i < n; ++i) p *= s[i];
  return p;
}

/* ---- kernel arguments ---- */

typedef struct kargs {
  ocl_target *o;
  ocl_step *s;
  cl_uint i;
  cl_int e;
} kargs;

static void ka_raw(kargs *ka, size_t size, const void *v) {
  if (ka->e == CL_SUCCESS) ka->e = CL(ka->o)->clSetKernelArg(ka->s->kernel, ka->i, size, v);
  ka->i++;
}

static void ka_tensor(kargs *ka, const tsr_tensor *t) {
  cl_mem m = (cl_mem)t->buffer->handle;
  cl_ulong off = t->offset;
  ka_raw(ka, sizeof(cl_mem), &m);
  ka_raw(ka, sizeof(off), &off);
}

/* An absent optional tensor: any valid buffer, never read. */
static void ka_tensor_opt(kargs *ka, const tsr_op *op, uint32_t i) {
  ka_tensor(ka, tsr_op_has_src(op, i) ? &op->src[i] : &op->dst);
}

static void ka_long(kargs *ka, int64_t v) {
  cl_long x = (cl_long)v;
  ka_raw(ka, sizeof(x), &x);
}

static void ka_int(kargs *ka, int32_t v) {
  cl_int x = (cl_int)v;
  ka_raw(ka, sizeof(x), &x);
}

static void ka_float(kargs *ka, float v) {
  cl_float x = v;
  ka_raw(ka, sizeof(x), &x);
}

/* The parameter buffer and its offset: set once the list's buffer exists. */
static void ka_params(kargs *ka, size_t base) {
  ka->s->param_arg = ka->i;
  ka->s->param_base = base;
  ka->i += 2;
}

/* A long set at submit from the run's dynamic values. */
static void ka_dyn(kargs *ka, tsr_dyn d) {
  ka->s->dyn[ka->s->n_dyn].index = ka->i;
  ka->s->dyn[ka->s->n_dyn].value = d;
  ka->s->n_dyn++;
  ka_long(ka, 0);
}

static tsr_status ka_done(kargs *ka) {
  if (ka->e != CL_SUCCESS) {
    tsr_status st = ocl_fail(ka->o, "clSetKernelArg", ka->e);
    size_t l = strlen(ka->o->base.error.message);
    snprintf(ka->o->base.error.message + l, sizeof(ka->o->base.error.message) - l, " (argument %u of %s)",
             (unsigned)(ka->i - 1), ka->s->name);
    return st;
  }
  return TSR_OK;
}

static tsr_status make_kernel(ocl_target *o, ocl_step *s, ocl_prog_id pid, const char *name, kargs *ka) {
  cl_program p = NULL;
  TSR_TRY(ocl_program(o, pid, &p));
  cl_int e = CL_SUCCESS;
  s->kernel = CL(o)->clCreateKernel(p, name, &e);
  if (s->kernel == NULL || e != CL_SUCCESS) {
    s->kernel = NULL;
    tsr_status st = ocl_fail(o, "clCreateKernel", e);
    size_t l = strlen(o->base.error.message);
    snprintf(o->base.error.message + l, sizeof(o->base.error.message) - l, " (%s)", name);
    return st;
  }
  *ka = (kargs){o, s, 0, CL_SUCCESS};
  return TSR_OK;
}

static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

/* Launch geometry; checks the kernel can run groups of |lws| items. */
static tsr_status launch(ocl_target *o, ocl_step *s, cl_uint dim, const size_t *gws, const size_t *lws) {
  size_t group = 1;
  s->dim = dim;
  for (cl_uint i = 0; i < dim; ++i) {
    s->gws[i] = gws[i];
    s->lws[i] = lws[i];
    group *= lws[i];
    if (gws[i] == 0) s->skip = true;
  }
  size_t kmax = 0;
  cl_int e = CL(o)->clGetKernelWorkGroupInfo(s->kernel, o->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof(kmax), &kmax,
                                             NULL);
  if (e != CL_SUCCESS) return ocl_fail(o, "clGetKernelWorkGroupInfo", e);
  if (group > kmax)
    return TSR_ERROR(&o->base.error, TSR_ERR_UNSUPPORTED,
                     "opencl: %s needs work-groups of %zu items, the device runs this kernel with at most %zu",
                     s->name, group, kmax);
  return TSR_OK;
}

/* 1-D launch of |n| items in groups of 64 (the tail guarded in the kernel). */
static tsr_status launch_1d(ocl_target *o, ocl_step *s, int64_t n) {
  size_t l = o->wg;
  size_t g = round_up((size_t)(n > 0 ? n : 0), l);
  return launch(o, s, 1, &g, &l);
}

/* A grid-stride launch over |n| items: groups of TSR_WG, at most
 * o->max_groups of them (the kernel loops over the rest). */
static tsr_status launch_grid(ocl_target *o, ocl_step *s, int64_t n) {
  size_t l = o->wg;
  size_t groups = (size_t)((n > 0 ? n : 0) + (int64_t)l - 1) / l;
  if (groups > o->max_groups) groups = o->max_groups;
  size_t g = groups * l;
  return launch(o, s, 1, &g, &l);
}

/* ---- ops ---- */

static tsr_status rec_unary(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *p) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  int64_t st[2][TSR_MAX_DIMS];
  memcpy(st[0], x->stride, sizeof(st[0]));
  memcpy(st[1], y->stride, sizeof(st[1]));
  space sp;
  space_make(&sp, y->ndim, y->shape, 2, st);
  size_t base = p->n;
  space_push(p, &sp, 2);
  kargs ka;
  TSR_TRY(make_kernel(o, s, OCL_PROG_ELEMENTWISE, "tsr_unary_f32", &ka));
  ka_tensor(&ka, x);
  ka_tensor(&ka, y);
  ka_params(&ka, base);
  ka_long(&ka, tsr_tensor_numel(y));
  ka_int(&ka, op->p.unary.kind);
  ka_float(&ka, op->p.unary.alpha);
  ka_float(&ka, op->p.unary.beta);
  TSR_TRY(ka_done(&ka));
  return launch_grid(o, s, tsr_tensor_numel(y));
}

static tsr_status rec_binary(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *p) {
  const tsr_tensor *a = &op->src[0], *b = &op->src[1], *y = &op->dst;
  int64_t st[3][TSR_MAX_DIMS];
  bcast_strides(a, y->ndim, 0, st[0]);
  bcast_strides(b, y->ndim, 0, st[1]);
  memcpy(st[2], y->stride, sizeof(st[2]));
  space sp;
  space_make(&sp, y->ndim, y->shape, 3, st);
  size_t base = p->n;
  space_push(p, &sp, 3);
  kargs ka;
  TSR_TRY(make_kernel(o, s, OCL_PROG_ELEMENTWISE, "tsr_binary_f32", &ka));
  ka_tensor(&ka, a);
  ka_tensor(&ka, b);
  ka_tensor(&ka, y);
  ka_params(&ka, base);
  ka_long(&ka, tsr_tensor_numel(y));
  ka_int(&ka, op->p.binary.kind);
  TSR_TRY(ka_done(&ka));
  return launch_grid(o, s, tsr_tensor_numel(y));
}

/* Index space over the leading dimensions (rows) of x and y. */
static void rows_space(const tsr_tensor *x, const tsr_tensor *y, ocl_params *p) {
  int64_t st[2][TSR_MAX_DIMS];
  memcpy(st[0], x->stride, sizeof(st[0]));
  memcpy(st[1], y->stride, sizeof(st[1]));
  space sp;
  space_make(&sp, y->ndim > 0 ? y->ndim - 1 : 0, y->shape, 2, st);
  space_push(p, &sp, 2);
}

static int64_t inner_stride(const tsr_tensor *t) {
  return t->ndim > 0 ? t->stride[t->ndim - 1] : (int64_t)tsr_dtype_block_bytes(t->dtype);
}

static tsr_status rec_norm(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *p) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const bool layer = op->type == TSR_OP_LAYERNORM;
  const int64_t n = x->shape[x->ndim - 1], rows = prod(y->shape, y->ndim - 1);
  size_t base = p->n;
  rows_space(x, y, p);
  ocl_params_push(p, inner_stride(x));
  ocl_params_push(p, inner_stride(y));
  kargs ka;
  TSR_TRY(make_kernel(o, s, OCL_PROG_NORM, "tsr_norm_f32", &ka));
  ka_tensor(&ka, x);
  ka_tensor(&ka, y);
  ka_tensor_opt(&ka, op, 1);
  ka_tensor_opt(&ka, op, 2);
  ka_params(&ka, base);
  ka_long(&ka, n);
  ka_float(&ka, op->p.norm.eps);
  ka_int(&ka, (layer ? 1 : 0) | (tsr_op_has_src(op, 1) ? 2 : 0) | (layer && tsr_op_has_src(op, 2) ? 4 : 0));
  TSR_TRY(ka_done(&ka));
  size_t l = o->wg, g = (size_t)(n > 0 ? rows : 0) * l;
  return launch(o, s, 1, &g, &l);
}

static tsr_status rec_softmax(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *p) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const tsr_softmax_params *sp = &op->p.softmax;
  const int64_t n = x->shape[x->ndim - 1], rows = prod(y->shape, y->ndim - 1);
  const int64_t r = x->ndim >= 2 ? x->shape[x->ndim - 2] : 1;
  size_t base = p->n;
  rows_space(x, y, p);
  ocl_params_push(p, inner_stride(x));
  ocl_params_push(p, inner_stride(y));
  kargs ka;
  TSR_TRY(make_kernel(o, s, OCL_PROG_SOFTMAX, "tsr_softmax_f32", &ka));
  ka_tensor(&ka, x);
  ka_tensor(&ka, y);
  ka_params(&ka, base);
  ka_long(&ka, n);
  ka_long(&ka, r > 0 ? r : 1);
  ka_float(&ka, sp->scale != 0.0f ? sp->scale : 1.0f);
  ka_int(&ka, sp->causal ? 1 : 0);
  ka_dyn(&ka, sp->q_pos);
  TSR_TRY(ka_done(&ka));
  size_t l = o->wg, g = (size_t)(n > 0 ? rows : 0) * l;
  return launch(o, s, 1, &g, &l);
}

static void push_f32_bits(ocl_params *p, float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof(bits));
  ocl_params_push(p, (int64_t)bits);
}

static tsr_status rec_rope(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *p) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const tsr_rope_params *rp = &op->p.rope;
  const int64_t T = x->shape[0], H = x->shape[1], D = x->shape[2], half = rp->n_dims / 2;
  const double fscale = rp->freq_scale != 0.0f ? rp->freq_scale : 1.0;
  size_t base = p->n;
  ocl_params_push(p, T);
  ocl_params_push(p, H);
  ocl_params_push(p, D);
  ocl_params_push(p, rp->n_dims);
  ocl_params_push(p, rp->mode == TSR_ROPE_NEOX ? 1 : 0);
  ocl_params_push(p, x->stride[0]);
  ocl_params_push(p, x->stride[1]);
  ocl_params_push(p, y->stride[0]);
  ocl_params_push(p, y->stride[1]);
  for (int64_t i = 0; i < half; ++i)
    push_f32_bits(p, (float)(fscale * pow((double)rp->freq_base, -2.0 * (double)i / (double)rp->n_dims)));
  kargs ka;
  TSR_TRY(make_kernel(o, s, OCL_PROG_ROPE, "tsr_rope_f32", &ka));
  ka_tensor(&ka, x);
  ka_tensor(&ka, y);
  ka_tensor_opt(&ka, op, 1);
  ka_params(&ka, base);
  ka_int(&ka, tsr_op_has_src(op, 1) ? 1 : 0);
  ka_dyn(&ka, rp->pos);
  TSR_TRY(ka_done(&ka));
  return launch_1d(o, s, T * H * (half + D - rp->n_dims));
}

static tsr_status rec_attention(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *p) {
  const tsr_tensor *q = &op->src[0], *k = &op->src[1], *v = &op->src[2], *y = &op->dst;
  const tsr_attention_params *ap = &op->p.attention;
  const int64_t tq = q->shape[0], hq = q->shape[1], d = q->shape[2];
  size_t base = p->n;
  ocl_params_push(p, tq);
  ocl_params_push(p, hq);
  ocl_params_push(p, d);
  ocl_params_push(p, v->shape[2]);
  ocl_params_push(p, k->shape[0]);
  ocl_params_push(p, hq / k->shape[1]);
  const tsr_tensor *ts[4] = {q, k, v, y};
  for (int i = 0; i < 4; ++i) {
    ocl_params_push(p, ts[i]->stride[0]);
    ocl_params_push(p, ts[i]->stride[1]);
  }
  kargs ka;
  const bool f16 = k->dtype == TSR_DTYPE_F16;
  const char *kname = o->rows ? (f16 ? "tsr_attention_rows_f16" : "tsr_attention_rows_f32")
                                  : (f16 ? "tsr_attention_f16" : "tsr_attention_f32");
  TSR_TRY(make_kernel(o, s, OCL_PROG_ATTENTION, kname, &ka));
  ka_tensor(&ka, q);
  ka_tensor(&ka, k);
  ka_tensor(&ka, v);
  ka_tensor(&ka, y);
  ka_params(&ka, base);
  ka_float(&ka, ap->scale != 0.0f ? ap->scale : (float)(1.0 / sqrt((double)(d > 0 ? d : 1))));
  ka_int(&ka, ap->causal ? 1 : 0);
  ka_int(&ka, ap->window);
  ka_dyn(&ka, ap->q_pos);
  ka_dyn(&ka, ap->kv_len);
  TSR_TRY(ka_done(&ka));
  if (o->rows) return launch_1d(o, s, v->shape[2] == 0 ? 0 : tq * hq);
  size_t l = o->wg, g = (size_t)(tq * hq) * l;
  if (v->shape[2] == 0) g = 0;
  return launch(o, s, 1, &g, &l);
}

static const char *matmul_kernel_name(tsr_dtype b) {
  switch (b) {
    case TSR_DTYPE_F32: return "tsr_matmul_f32_f32";
    case TSR_DTYPE_F16: return "tsr_matmul_f32_f16";
    case TSR_DTYPE_BF16: return "tsr_matmul_f32_bf16";
    case TSR_DTYPE_Q8_0: return "tsr_matmul_f32_q8_0";
    case TSR_DTYPE_Q4_0: return "tsr_matmul_f32_q4_0";
    case TSR_DTYPE_Q4_K: return "tsr_matmul_f32_q4_k";
    case TSR_DTYPE_Q5_K: return "tsr_matmul_f32_q5_k";
    case TSR_DTYPE_Q6_K: return "tsr_matmul_f32_q6_k";
    case TSR_DTYPE_I8: return "tsr_matmul_i8_i8";
    default: return NULL;
  }
}

static tsr_status rec_matmul(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *p) {
  const tsr_tensor *a = &op->src[0], *b = &op->src[1], *y = &op->dst;
  const int64_t M = a->shape[a->ndim - 2], K = a->shape[a->ndim - 1], N = b->shape[b->ndim - 2];
  const int nb = y->ndim - 2;
  const int64_t batch = prod(y->shape, nb);
  const bool i8 = a->dtype == TSR_DTYPE_I8;
  size_t base = p->n;
  ocl_params_push(p, M);
  ocl_params_push(p, N);
  ocl_params_push(p, K);
  int64_t st[3][TSR_MAX_DIMS];
  bcast_strides(a, nb, 2, st[0]);
  bcast_strides(b, nb, 2, st[1]);
  bcast_strides(y, nb, 2, st[2]);
  space sp;
  space_make(&sp, nb, y->shape, 3, st);
  space_push(p, &sp, 3);
  ocl_params_push(p, a->stride[a->ndim - 2]);
  ocl_params_push(p, b->stride[b->ndim - 2]);
  ocl_params_push(p, tsr_dtype_is_quantized(b->dtype) ? 0 : b->stride[b->ndim - 1]);
  ocl_params_push(p, y->stride[y->ndim - 2]);
  ocl_params_push(p, a->stride[a->ndim - 1]);
  kargs ka;
  TSR_TRY(make_kernel(o, s, OCL_PROG_MATMUL, matmul_kernel_name(b->dtype), &ka));
  ka_tensor(&ka, a);
  ka_tensor(&ka, b);
  ka_tensor(&ka, y);
  ka_tensor_opt(&ka, op, 2);
  const float alpha = op->p.matmul.alpha != 0.0f ? op->p.matmul.alpha : 1.0f;
  if (i8) {
    ka_tensor_opt(&ka, op, 3);
    ka_tensor_opt(&ka, op, 4);
    ka_params(&ka, base);
    ka_float(&ka, alpha);
    ka_int(&ka, (tsr_op_has_src(op, 2) ? 1 : 0) | (tsr_op_has_src(op, 3) ? 2 : 0) |
                    (y->dtype == TSR_DTYPE_I32 ? 4 : 0));
  } else {
    ka_params(&ka, base);
    ka_float(&ka, alpha);
    ka_int(&ka, tsr_op_has_src(op, 2) ? 1 : 0);
  }
  TSR_TRY(ka_done(&ka));
  if (i8) {
    size_t l[3] = {o->mm_wg, 1, 1};
    size_t g[3] = {(size_t)N * o->mm_wg, (size_t)M, (size_t)batch};
    return launch(o, s, 3, g, l);
  }
  size_t l[3] = {o->mm_wg, o->mm_nt, 1};
  size_t g[3] = {(size_t)((N + o->mm_nt - 1) / o->mm_nt) * o->mm_wg,
                 (size_t)((M + o->mm_mt - 1) / o->mm_mt) * o->mm_nt, (size_t)batch};
  return launch(o, s, 3, g, l);
}

static tsr_status rec_get_rows(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *p) {
  const tsr_tensor *tab = &op->src[0], *ids = &op->src[1], *y = &op->dst;
  const int64_t T = ids->shape[0], D = tab->shape[1];
  size_t base = p->n;
  ocl_params_push(p, T);
  ocl_params_push(p, tab->shape[0]);
  ocl_params_push(p, D);
  ocl_params_push(p, tab->stride[0]);
  ocl_params_push(p, tsr_dtype_is_quantized(tab->dtype) ? 0 : tab->stride[1]);
  ocl_params_push(p, ids->stride[0]);
  ocl_params_push(p, y->stride[0]);
  ocl_params_push(p, y->stride[1]);
  kargs ka;
  TSR_TRY(make_kernel(o, s, OCL_PROG_ROWS, "tsr_get_rows", &ka));
  ka_tensor(&ka, tab);
  ka_tensor(&ka, ids);
  ka_tensor(&ka, y);
  ka_params(&ka, base);
  ka_int(&ka, (int32_t)tab->dtype);
  ka_int(&ka, ids->dtype == TSR_DTYPE_I64 ? 1 : 0);
  TSR_TRY(ka_done(&ka));
  return launch_1d(o, s, T * ((D + 31) / 32));
}

static tsr_status rec_set_rows(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *p) {
  const tsr_tensor *src = &op->src[0], *dst = &op->dst;
  const int nd = src->ndim;
  const int64_t T = src->shape[0], n = src->shape[nd - 1];
  const int64_t sub = prod(src->shape + 1, nd - 2);
  size_t base = p->n;
  ocl_params_push(p, T);
  ocl_params_push(p, sub);
  ocl_params_push(p, n);
  ocl_params_push(p, dst->shape[0]);
  int64_t st[1][TSR_MAX_DIMS];
  space sp;
  memcpy(st[0], src->stride, sizeof(st[0]));
  space_make(&sp, nd - 1, src->shape, 1, st);
  space_push(p, &sp, 1);
  memcpy(st[0], dst->stride, sizeof(st[0]));
  space_make(&sp, nd - 1, dst->shape, 1, st);
  space_push(p, &sp, 1);
  ocl_params_push(p, src->stride[nd - 1]);
  ocl_params_push(p, tsr_dtype_is_quantized(dst->dtype) ? 0 : dst->stride[nd - 1]);
  kargs ka;
  TSR_TRY(make_kernel(o, s, OCL_PROG_ROWS, "tsr_set_rows", &ka));
  ka_tensor(&ka, src);
  ka_tensor(&ka, dst);
  ka_params(&ka, base);
  ka_int(&ka, (int32_t)dst->dtype);
  ka_dyn(&ka, op->p.set_rows.pos);
  TSR_TRY(ka_done(&ka));
  return launch_1d(o, s, T * sub * ((n + 31) / 32));
}

static tsr_status rec_convert(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *p) {
  const tsr_tensor *x = &op->src[0], *y = &op->dst;
  const int64_t n = y->ndim ? y->shape[y->ndim - 1] : 1, rows = y->ndim ? prod(y->shape, y->ndim - 1) : 1;
  size_t base = p->n;
  ocl_params_push(p, rows);
  ocl_params_push(p, n);
  rows_space(x, y, p);
  ocl_params_push(p, tsr_dtype_is_quantized(x->dtype) ? 0 : inner_stride(x));
  ocl_params_push(p, tsr_dtype_is_quantized(y->dtype) ? 0 : inner_stride(y));
  kargs ka;
  TSR_TRY(make_kernel(o, s, OCL_PROG_CONVERT, "tsr_convert", &ka));
  ka_tensor(&ka, x);
  ka_tensor(&ka, y);
  ka_params(&ka, base);
  ka_int(&ka, (int32_t)x->dtype);
  ka_int(&ka, (int32_t)y->dtype);
  TSR_TRY(ka_done(&ka));
  return launch_1d(o, s, rows * ((n + 31) / 32));
}

/* The op's tensors must live in this target's buffers, at offsets aligned
 * for the kernels' typed loads. */
static tsr_status check_bound(ocl_target *o, const tsr_op *op, const char *name) {
  for (uint32_t i = 0; i <= op->n_src; ++i) {
    const tsr_tensor *t = i < op->n_src ? &op->src[i] : &op->dst;
    if (t->dtype == TSR_DTYPE_NONE) continue;
    if (t->buffer == NULL || t->buffer->target != &o->base || t->buffer->handle == NULL)
      return TSR_ERROR(&o->base.error, TSR_ERR_INVALID_ARGUMENT, "opencl: %s: %s %u is not in an OpenCL buffer of %s",
                       name, i < op->n_src ? "source" : "destination", (unsigned)(i < op->n_src ? i : 0), o->name);
    uint64_t al = tsr_dtype_is_quantized(t->dtype) ? 2 : tsr_dtype_block_bytes(t->dtype);
    if (t->offset % al != 0)
      return TSR_ERROR(&o->base.error, TSR_ERR_INVALID_ARGUMENT,
                       "opencl: %s: tensor offset %llu is not a multiple of its %llu-byte alignment", name,
                       (unsigned long long)t->offset, (unsigned long long)al);
  }
  return TSR_OK;
}

tsr_status ocl_record_op(ocl_target *o, const tsr_op *op, ocl_step *s, ocl_params *params) {
  TSR_TRY(check_bound(o, op, s->name));
  switch (op->type) {
    case TSR_OP_UNARY: return rec_unary(o, op, s, params);
    case TSR_OP_BINARY: return rec_binary(o, op, s, params);
    case TSR_OP_RMSNORM:
    case TSR_OP_LAYERNORM: return rec_norm(o, op, s, params);
    case TSR_OP_SOFTMAX: return rec_softmax(o, op, s, params);
    case TSR_OP_ROPE: return rec_rope(o, op, s, params);
    case TSR_OP_ATTENTION: return rec_attention(o, op, s, params);
    case TSR_OP_MATMUL: return rec_matmul(o, op, s, params);
    case TSR_OP_GET_ROWS: return rec_get_rows(o, op, s, params);
    case TSR_OP_SET_ROWS: return rec_set_rows(o, op, s, params);
    case TSR_OP_CONVERT: return rec_convert(o, op, s, params);
    default:
      return TSR_ERROR(&o->base.error, TSR_ERR_UNSUPPORTED, "opencl: no kernel for %s", tsr_op_type_name(op->type));
  }
}
