/* ONNX import: protobuf -> the importer's values and nodes, then the passes.
 *
 * The protobuf is unpacked by the protobuf-c code generated at build time
 * from Debian's onnx.proto, through the caller's allocator. Every count,
 * dimension and data size read from it is checked before use. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/graph_internal.h"
#include "engine/onnx/onnx_ir.h"
#include "hal/fp16.h"

/* ---- scratch arena ---- */

struct ox_chunk {
  ox_chunk *next;
  size_t size, used;
  /* data follows, 64-byte aligned */
};

#define OX_CHUNK_HDR 64u
#define OX_CHUNK_MIN ((size_t)1 << 20)

void *ox_alloc(ox_ctx *c, size_t size) {
  size = (size + 63u) & ~(size_t)63u;
  if (size == 0) size = 64;
  ox_chunk *k = c->chunks;
  if (k == NULL || k->size - k->used < size) {
    size_t cap = size > OX_CHUNK_MIN ? size : OX_CHUNK_MIN;
    k = tsr_alloc(&c->a, OX_CHUNK_HDR + cap, 64);
    if (k == NULL) {
      OX_FAIL(c, TSR_ERR_OUT_OF_MEMORY, "onnx: out of memory (%zu bytes of scratch)", size);
      return NULL;
    }
    k->size = cap;
    k->used = 0;
    /* Keep the fuller chunk at the head only if the new one is a big one-off. */
    if (c->chunks != NULL && size > OX_CHUNK_MIN / 2) {
      k->next = c->chunks->next;
      c->chunks->next = k;
    } else {
      k->next = c->chunks;
      c->chunks = k;
    }
  }
  uint8_t *p = (uint8_t *)k + OX_CHUNK_HDR + k->used;
  k->used += size;
  memset(p, 0, size);
  return p;
}

void ox_free_all(ox_ctx *c) {
  ox_chunk *k = c->chunks;
  while (k != NULL) {
    ox_chunk *n = k->next;
    tsr_free(&c->a, k);
    k = n;
  }
  c->chunks = NULL;
}

/* ---- errors ---- */

const char *ox_op_name(const ox_node *n) { return n->pb && n->pb->op_type ? n->pb->op_type : "?"; }

static tsr_status vfail(ox_ctx *c, tsr_status code, const ox_node *n, const char *file, int line, const char *fmt,
                        va_list ap) {
  char msg[TSR_ERROR_MESSAGE_MAX];
  vsnprintf(msg, sizeof(msg), fmt, ap);
  if (n != NULL) return tsr_error_set(c->err, code, file, line, "node %s (%s): %s", n->name, ox_op_name(n), msg);
  return tsr_error_set(c->err, code, file, line, "%s", msg);
}

tsr_status ox_unsupported(ox_ctx *c, const ox_node *n, const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tsr_status s = vfail(c, TSR_ERR_UNSUPPORTED, n, file, line, fmt, ap);
  va_end(ap);
  return s;
}

tsr_status ox_bad(ox_ctx *c, const ox_node *n, const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tsr_status s = vfail(c, TSR_ERR_FORMAT, n, file, line, fmt, ap);
  va_end(ap);
  return s;
}

/* ---- values ---- */

static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; ++s) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

int32_t ox_find(const ox_ctx *c, const char *name) {
  if (name == NULL || c->hash_cap == 0) return -1;
  uint32_t m = c->hash_cap - 1;
  for (uint32_t i = hash_str(name) & m;; i = (i + 1) & m) {
    int32_t v = c->hash[i];
    if (v < 0) return -1;
    if (strcmp(c->values[v].name, name) == 0) return v;
  }
}

int32_t ox_add_value(ox_ctx *c, const char *name) {
  if (c->n_values >= c->cap_values || c->n_values * 2 >= c->hash_cap) {
    OX_FAIL(c, TSR_ERR_FORMAT, "onnx: more values than the graph declares");
    return -1;
  }
  if (ox_find(c, name) >= 0) {
    OX_FAIL(c, TSR_ERR_FORMAT, "onnx: value '%s' is defined twice", name);
    return -1;
  }
  int32_t id = (int32_t)c->n_values++;
  ox_value *v = &c->values[id];
  memset(v, 0, sizeof(*v));
  v->name = name;
  v->ndim = -1;
  v->producer = -1;
  v->tid = -1;
  v->place_concat = -1;
  uint32_t m = c->hash_cap - 1;
  uint32_t i = hash_str(name) & m;
  while (c->hash[i] >= 0) i = (i + 1) & m;
  c->hash[i] = id;
  return id;
}

int64_t ox_numel(const ox_value *v) {
  int64_t n = 1;
  for (int i = 0; i < v->ndim; ++i) n *= v->shape[i];
  return n;
}

int64_t ox_get_i64(const ox_value *v, int64_t i) {
  const uint8_t *p = v->cdata;
  switch (v->dtype) {
    case TSR_DTYPE_I64: { int64_t x; memcpy(&x, p + i * 8, 8); return x; }
    case TSR_DTYPE_I32: { int32_t x; memcpy(&x, p + i * 4, 4); return x; }
    case TSR_DTYPE_I8: return ((const int8_t *)p)[i];
    case TSR_DTYPE_U8: return p[i];
    case TSR_DTYPE_F32: {
      float x;
      memcpy(&x, p + i * 4, 4);
      if (!(x > -9.2e18f && x < 9.2e18f)) return x > 0 ? INT64_MAX : INT64_MIN;
      return (int64_t)x;
    }
    default: return 0;
  }
}

double ox_get_f64(const ox_value *v, int64_t i) {
  if (v->dtype == TSR_DTYPE_F32) {
    float x;
    memcpy(&x, (const uint8_t *)v->cdata + i * 4, 4);
    return x;
  }
  return (double)ox_get_i64(v, i);
}

/* ---- attributes ---- */

const Onnx__AttributeProto *ox_attr(const ox_node *n, const char *name) {
  for (size_t i = 0; i < n->pb->n_attribute; ++i) {
    const Onnx__AttributeProto *a = n->pb->attribute[i];
    if (a->name != NULL && strcmp(a->name, name) == 0) return a;
  }
  return NULL;
}

/* The attribute's type, inferred from its payload for old models that do
 * not set it. */
static int attr_type(const Onnx__AttributeProto *a) {
  if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) return (int)a->type;
  if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
  if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
  return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

tsr_status ox_attr_int(ox_ctx *c, const ox_node *n, const char *name, int64_t def, int64_t *out) {
  const Onnx__AttributeProto *a = ox_attr(n, name);
  if (a == NULL) {
    *out = def;
    return TSR_OK;
  }
  if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)
    return OX_BAD(c, n, "attribute '%s' is not an integer", name);
  *out = a->i;
  return TSR_OK;
}

tsr_status ox_attr_float(ox_ctx *c, const ox_node *n, const char *name, float def, float *out) {
  const Onnx__AttributeProto *a = ox_attr(n, name);
  if (a == NULL) {
    *out = def;
    return TSR_OK;
  }
  int t = attr_type(a);
  if (t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) {
    *out = (float)a->i;
    return TSR_OK;
  }
  if (t != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT) return OX_BAD(c, n, "attribute '%s' is not a float", name);
  *out = a->f;
  return TSR_OK;
}

tsr_status ox_attr_ints(ox_ctx *c, const ox_node *n, const char *name, int64_t *out, int cap, int *out_n) {
  const Onnx__AttributeProto *a = ox_attr(n, name);
  *out_n = -1;
  if (a == NULL) return TSR_OK;
  int t = attr_type(a);
  if (t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) { /* a single value where a list is expected */
    if (cap < 1) return OX_UNSUPPORTED(c, n, "attribute '%s' has too many values", name);
    out[0] = a->i;
    *out_n = 1;
    return TSR_OK;
  }
  if (t != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS && !(t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED))
    return OX_BAD(c, n, "attribute '%s' is not an integer list", name);
  if (a->n_ints > (size_t)cap)
    return OX_UNSUPPORTED(c, n, "attribute '%s' has %zu values (at most %d supported)", name, a->n_ints, cap);
  for (size_t i = 0; i < a->n_ints; ++i) out[i] = a->ints[i];
  *out_n = (int)a->n_ints;
  return TSR_OK;
}

tsr_status ox_attr_str(ox_ctx *c, const ox_node *n, const char *name, const char *def, char *buf, size_t cap) {
  const Onnx__AttributeProto *a = ox_attr(n, name);
  if (a == NULL) {
    snprintf(buf, cap, "%s", def);
    return TSR_OK;
  }
  if (attr_type(a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
    return OX_BAD(c, n, "attribute '%s' is not a string", name);
  size_t len = a->s.len < cap - 1 ? a->s.len : cap - 1;
  if (len > 0) memcpy(buf, a->s.data, len);
  buf[len] = '\0';
  return TSR_OK;
}

/* ---- tensors ---- */

static tsr_dtype onnx_dtype(int32_t t) {
  switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return TSR_DTYPE_F32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return TSR_DTYPE_U8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return TSR_DTYPE_I8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return TSR_DTYPE_I32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return TSR_DTYPE_I64;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return TSR_DTYPE_U8;
    default: return TSR_DTYPE_NONE;
  }
}

static const char *onnx_dtype_name(int32_t t) {
  static const char *const names[] = {"undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64",
                                      "string", "bool", "float16", "double", "uint32", "uint64", "complex64",
                                      "complex128", "bfloat16"};
  return t >= 0 && t < (int32_t)(sizeof(names) / sizeof(names[0])) ? names[t] : "unknown";
}

tsr_status ox_decode_tensor(ox_ctx *c, const Onnx__TensorProto *t, const char *what, ox_value *v) {
  const char *nm = t->name && t->name[0] ? t->name : what;
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return OX_FAIL(c, TSR_ERR_UNSUPPORTED,
                   "onnx: tensor '%s' is stored as external data, which Tessera does not load "
                   "(save the model with all tensors inside the .onnx file)", nm);
  if (t->segment != NULL) return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: tensor '%s' is segmented", nm);
  if (t->n_dims > TSR_MAX_DIMS)
    return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: tensor '%s' has %zu dimensions (at most %d supported)", nm,
                   t->n_dims, TSR_MAX_DIMS);
  int64_t numel = 1, bound = 1;
  for (size_t i = 0; i < t->n_dims; ++i) {
    if (t->dims[i] < 0) return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: tensor '%s' has a negative dimension", nm);
    if (t->dims[i] > 0 && bound > ((int64_t)1 << 40) / t->dims[i])
      return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: tensor '%s' is impossibly large", nm);
    numel *= t->dims[i];
    bound *= t->dims[i] > 0 ? t->dims[i] : 1;
    v->shape[i] = t->dims[i];
  }
  v->ndim = (int32_t)t->n_dims;
  int32_t ot = t->has_data_type ? t->data_type : 0;
  tsr_dtype dt = onnx_dtype(ot);
  bool f16 = ot == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, f64 = ot == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
  if (f16 || f64) dt = TSR_DTYPE_F32; /* constants of these types are widened/narrowed to f32 */
  if (dt == TSR_DTYPE_NONE)
    return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: tensor '%s' has dtype %s (%d), which is not supported", nm,
                   onnx_dtype_name(ot), (int)ot);
  v->dtype = dt;
  size_t es = tsr_dtype_block_bytes(dt);
  uint8_t *dst = ox_alloc(c, (size_t)numel * es);
  if (dst == NULL) return TSR_ERR_OUT_OF_MEMORY;
  v->cdata = dst;
  size_t src_es = f16 ? 2 : (f64 ? 8 : es);
  if (t->has_raw_data && t->raw_data.len > 0) {
    if (t->raw_data.len != (size_t)numel * src_es)
      return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: tensor '%s' holds %zu bytes of data, its shape needs %llu", nm,
                     t->raw_data.len, (unsigned long long)((size_t)numel * src_es));
    const uint8_t *s = t->raw_data.data;
    if (f16) {
      for (int64_t i = 0; i < numel; ++i) {
        uint16_t h;
        memcpy(&h, s + 2 * i, 2);
        float f = tsr_fp16_to_f32(h);
        memcpy(dst + 4 * i, &f, 4);
      }
    } else if (f64) {
      for (int64_t i = 0; i < numel; ++i) {
        double d;
        memcpy(&d, s + 8 * i, 8);
        float f = (float)d;
        memcpy(dst + 4 * i, &f, 4);
      }
    } else {
      memcpy(dst, s, (size_t)numel * es);
    }
    if (ot == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL) {
      for (int64_t i = 0; i < numel; ++i) dst[i] = dst[i] != 0;
    }
    return TSR_OK;
  }
  size_t have = 0;
  switch (ot) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: have = t->n_float_data; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: have = t->n_int64_data; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: have = t->n_double_data; break;
    default: have = t->n_int32_data; break;
  }
  if (have != (size_t)numel)
    return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: tensor '%s' holds %zu values, its shape needs %lld", nm, have,
                   (long long)numel);
  for (int64_t i = 0; i < numel; ++i) {
    switch (ot) {
      case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: memcpy(dst + 4 * i, &t->float_data[i], 4); break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: memcpy(dst + 8 * i, &t->int64_data[i], 8); break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
        float f = (float)t->double_data[i];
        memcpy(dst + 4 * i, &f, 4);
        break;
      }
      case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: {
        float f = tsr_fp16_to_f32((uint16_t)t->int32_data[i]);
        memcpy(dst + 4 * i, &f, 4);
        break;
      }
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: memcpy(dst + 4 * i, &t->int32_data[i], 4); break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: ((int8_t *)dst)[i] = (int8_t)t->int32_data[i]; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: dst[i] = t->int32_data[i] != 0; break;
      default: dst[i] = (uint8_t)t->int32_data[i]; break;
    }
  }
  return TSR_OK;
}

/* ---- model -> IR ---- */

static ox_op lookup_op(const char *domain, const char *type) {
  static const char *const kNames[] = {
#define OX_NAME_(id, name) name,
      OX_OP_LIST(OX_NAME_)
#undef OX_NAME_
  };
  static const char *const kMsNames[] = {
#define OX_NAME_(id, name) name,
      OX_MS_OP_LIST(OX_NAME_)
#undef OX_NAME_
  };
  if (type == NULL) return OX_UNKNOWN;
  bool std = domain == NULL || domain[0] == '\0' || strcmp(domain, "ai.onnx") == 0;
  if (std) {
    for (size_t i = 0; i < sizeof(kNames) / sizeof(kNames[0]); ++i) {
      if (strcmp(kNames[i], type) == 0) return (ox_op)(OX_UNKNOWN + 1 + (int)i);
    }
  } else if (strcmp(domain, "com.microsoft") == 0) {
    int base = OX_UNKNOWN + 1 + (int)(sizeof(kNames) / sizeof(kNames[0]));
    for (size_t i = 0; i < sizeof(kMsNames) / sizeof(kMsNames[0]); ++i) {
      if (strcmp(kMsNames[i], type) == 0) return (ox_op)(base + (int)i);
    }
  }
  return OX_UNKNOWN;
}

/* Elem type and shape of a graph input, with the caller's override. */
static tsr_status declare_input(ox_ctx *c, const Onnx__ValueInfoProto *vi, const tsr_onnx_options *opt,
                                bool *used_override, int32_t id) {
  ox_value *v = &c->values[id];
  const Onnx__TypeProto *tp = vi->type;
  if (tp == NULL || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || tp->tensor_type == NULL)
    return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: graph input '%s' is not a tensor", v->name);
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  int32_t et = tt->has_elem_type ? tt->elem_type : 0;
  v->dtype = onnx_dtype(et);
  /* A bool input is u8 holding 0 or 1. */
  if (v->dtype == TSR_DTYPE_NONE)
    return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: graph input '%s' has dtype %s, which is not supported", v->name,
                   onnx_dtype_name(et));
  const tsr_onnx_shape *ov = NULL;
  for (uint32_t i = 0; opt != NULL && i < opt->n_shapes; ++i) {
    if (opt->shapes[i].name == NULL || strcmp(opt->shapes[i].name, v->name) == 0) {
      ov = &opt->shapes[i];
      used_override[i] = true;
      break;
    }
  }
  const Onnx__TensorShapeProto *sp = tt->shape;
  if (sp != NULL && sp->n_dim > TSR_MAX_DIMS)
    return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: graph input '%s' has %zu dimensions (at most %d supported)",
                   v->name, sp->n_dim, TSR_MAX_DIMS);
  if (ov != NULL) {
    if (ov->ndim < 0 || ov->ndim > TSR_MAX_DIMS)
      return OX_FAIL(c, TSR_ERR_INVALID_ARGUMENT, "onnx: shape for input '%s' has %d dimensions", v->name,
                     (int)ov->ndim);
    if (sp != NULL && sp->n_dim != (size_t)ov->ndim)
      return OX_FAIL(c, TSR_ERR_INVALID_ARGUMENT, "onnx: input '%s' has %zu dimensions, the shape given has %d",
                     v->name, sp->n_dim, (int)ov->ndim);
    v->ndim = ov->ndim;
    for (int i = 0; i < ov->ndim; ++i) {
      if (ov->shape[i] <= 0)
        return OX_FAIL(c, TSR_ERR_INVALID_ARGUMENT, "onnx: shape for input '%s' has extent %lld", v->name,
                       (long long)ov->shape[i]);
      const Onnx__TensorShapeProto__Dimension *d = sp ? sp->dim[i] : NULL;
      if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value > 0 &&
          d->dim_value != ov->shape[i])
        return OX_FAIL(c, TSR_ERR_INVALID_ARGUMENT, "onnx: input '%s' dimension %d is fixed at %lld, not %lld",
                       v->name, i, (long long)d->dim_value, (long long)ov->shape[i]);
      v->shape[i] = ov->shape[i];
    }
    if (ox_numel(v) > ((int64_t)1 << 40)) return OX_FAIL(c, TSR_ERR_INVALID_ARGUMENT, "onnx: input '%s' is too large", v->name);
    return TSR_OK;
  }
  if (sp == NULL)
    return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: graph input '%s' has no shape; give one", v->name);
  v->ndim = (int32_t)sp->n_dim;
  for (size_t i = 0; i < sp->n_dim; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
    int64_t e = 1; /* symbolic or unknown dimensions default to 1 */
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value > 0) e = d->dim_value;
    if (e > ((int64_t)1 << 31))
      return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: graph input '%s' dimension %zu is %lld", v->name, i,
                     (long long)e);
    v->shape[i] = e;
  }
  if (ox_numel(v) > ((int64_t)1 << 40)) return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: graph input '%s' is too large", v->name);
  return TSR_OK;
}

static tsr_status build_ir(ox_ctx *c, const tsr_onnx_options *opt) {
  const Onnx__ModelProto *m = c->model;
  const Onnx__GraphProto *g = m->graph;
  if (g == NULL) return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: the model has no graph");
  /* Opsets. */
  c->opset = m->n_opset_import == 0 ? 1 : 0;
  for (size_t i = 0; i < m->n_opset_import; ++i) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    const char *d = o->domain ? o->domain : "";
    if (d[0] == '\0' || strcmp(d, "ai.onnx") == 0) c->opset = o->has_version ? o->version : 1;
    if (strcmp(d, "com.microsoft") == 0) c->ms_opset = o->has_version ? o->version : 1;
  }
  if (c->opset < 1 || c->opset > 21)
    return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: ai.onnx opset %lld is not supported (1 to 21)", (long long)c->opset);
  if (g->n_sparse_initializer > 0) return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: sparse initializers are not supported");
  /* Capacity: every initializer, input and node output. */
  size_t cap = g->n_initializer + g->n_input;
  for (size_t i = 0; i < g->n_node; ++i) cap += g->node[i]->n_output;
  if (cap > (1u << 26) || g->n_node > (1u << 24)) return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: graph too large");
  c->cap_values = (uint32_t)(cap + g->n_node + 1); /* + values the passes add */
  c->values = ox_alloc(c, sizeof(ox_value) * c->cap_values);
  c->hash_cap = 16;
  while (c->hash_cap < 2 * c->cap_values + 2) c->hash_cap *= 2;
  c->hash = ox_alloc(c, sizeof(int32_t) * c->hash_cap);
  c->nodes = ox_alloc(c, sizeof(ox_node) * (g->n_node + 1));
  if (!c->values || !c->hash || !c->nodes) return TSR_ERR_OUT_OF_MEMORY;
  memset(c->hash, 0xff, sizeof(int32_t) * c->hash_cap);
  /* Initializers. */
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    if (t->name == NULL || t->name[0] == '\0') return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: initializer %zu has no name", i);
    int32_t id = ox_add_value(c, t->name);
    if (id < 0) return c->err ? c->err->code : TSR_ERR_FORMAT;
    TSR_TRY(ox_decode_tensor(c, t, t->name, &c->values[id]));
  }
  /* Inputs (those that are not initializers, as IR < 4 lists both). */
  bool used_override[64] = {false};
  if (opt != NULL && opt->n_shapes > 64) return OX_FAIL(c, TSR_ERR_INVALID_ARGUMENT, "onnx: too many input shapes");
  uint32_t n_inputs = 0;
  for (size_t i = 0; i < g->n_input; ++i) {
    const Onnx__ValueInfoProto *vi = g->input[i];
    if (vi->name == NULL || vi->name[0] == '\0') return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: graph input %zu has no name", i);
    if (ox_find(c, vi->name) >= 0) continue;
    int32_t id = ox_add_value(c, vi->name);
    if (id < 0) return c->err->code;
    c->values[id].graph_input = true;
    TSR_TRY(declare_input(c, vi, opt, used_override, id));
    n_inputs++;
  }
  if (n_inputs == 0) return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: the graph has no runtime input");
  for (uint32_t i = 0; opt != NULL && i < opt->n_shapes; ++i) {
    if (!used_override[i])
      return OX_FAIL(c, TSR_ERR_INVALID_ARGUMENT, "onnx: the model has no input named '%s'",
                     opt->shapes[i].name ? opt->shapes[i].name : "(any)");
  }
  /* Nodes. */
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *pb = g->node[i];
    ox_node *n = &c->nodes[c->n_nodes];
    n->pb = pb;
    n->name = (pb->name && pb->name[0]) ? pb->name : (pb->n_output > 0 && pb->output[0] ? pb->output[0] : "(unnamed)");
    if (pb->op_type == NULL || pb->op_type[0] == '\0') return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: node %zu has no op type", i);
    n->op = lookup_op(pb->domain, pb->op_type);
    if (n->op == OX_UNKNOWN) {
      const char *d = pb->domain && pb->domain[0] ? pb->domain : "ai.onnx";
      return OX_UNSUPPORTED(c, n, "op %s of domain %s is not supported", pb->op_type, d);
    }
    n->n_in = (uint32_t)pb->n_input;
    n->n_out = (uint32_t)pb->n_output;
    n->in = ox_alloc(c, sizeof(int32_t) * (n->n_in + 1));
    n->out = ox_alloc(c, sizeof(int32_t) * (n->n_out + 1));
    if (!n->in || !n->out) return TSR_ERR_OUT_OF_MEMORY;
    for (uint32_t k = 0; k < n->n_in; ++k) {
      const char *nm = pb->input[k];
      if (nm == NULL || nm[0] == '\0') {
        n->in[k] = -1;
        continue;
      }
      n->in[k] = ox_find(c, nm);
      if (n->in[k] < 0) return OX_BAD(c, n, "input '%s' is not produced by any earlier node", nm);
      c->values[n->in[k]].n_uses++;
    }
    for (uint32_t k = 0; k < n->n_out; ++k) {
      const char *nm = pb->output[k];
      if (nm == NULL || nm[0] == '\0') {
        n->out[k] = -1;
        continue;
      }
      n->out[k] = ox_add_value(c, nm);
      if (n->out[k] < 0) return c->err->code;
      c->values[n->out[k]].producer = (int32_t)c->n_nodes;
    }
    c->n_nodes++;
  }
  /* Outputs. */
  if (g->n_output == 0) return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: the graph has no output");
  for (size_t i = 0; i < g->n_output; ++i) {
    const char *nm = g->output[i]->name;
    int32_t id = ox_find(c, nm);
    if (id < 0) return OX_FAIL(c, TSR_ERR_FORMAT, "onnx: graph output '%s' is not produced by any node", nm ? nm : "");
    if (c->values[id].graph_output) return OX_FAIL(c, TSR_ERR_UNSUPPORTED, "onnx: graph output '%s' is listed twice", nm);
    c->values[id].graph_output = true;
    c->values[id].n_uses++;
  }
  /* Consumers, as a compressed table. */
  c->csr_values = c->n_values;
  c->use_start = ox_alloc(c, sizeof(uint32_t) * (c->n_values + 1));
  uint32_t total = 0;
  for (uint32_t i = 0; i < c->n_nodes; ++i) total += c->nodes[i].n_in;
  c->use_node = ox_alloc(c, sizeof(int32_t) * (total + 1));
  uint32_t *fill = ox_alloc(c, sizeof(uint32_t) * (c->n_values + 1));
  if (!c->use_start || !c->use_node || !fill) return TSR_ERR_OUT_OF_MEMORY;
  for (uint32_t i = 0; i < c->n_nodes; ++i) {
    for (uint32_t k = 0; k < c->nodes[i].n_in; ++k) {
      if (c->nodes[i].in[k] >= 0) c->use_start[c->nodes[i].in[k] + 1]++;
    }
  }
  for (uint32_t v = 0; v < c->n_values; ++v) c->use_start[v + 1] += c->use_start[v];
  for (uint32_t i = 0; i < c->n_nodes; ++i) {
    for (uint32_t k = 0; k < c->nodes[i].n_in; ++k) {
      int32_t v = c->nodes[i].in[k];
      if (v < 0) continue;
      /* A node reading the same value twice is listed once per read. */
      c->use_node[c->use_start[v] + fill[v]++] = (int32_t)i;
    }
  }
  return TSR_OK;
}

/* Records which dimensions of each graph input are symbolic in the model
 * (dim_param or no value): the ones a caller may choose at import. */
static void mark_dynamic_dims(const Onnx__GraphProto *g, tsr_net *net) {
  for (size_t i = 0; i < g->n_input; ++i) {
    const Onnx__ValueInfoProto *vi = g->input[i];
    int32_t k = vi->name ? tsr_net_find_io(net, true, vi->name) : -1;
    if (k < 0) continue;
    const Onnx__TypeProto *tp = vi->type;
    const Onnx__TensorShapeProto *sp =
        (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type) ? tp->tensor_type->shape : NULL;
    uint32_t mask = 0;
    if (sp == NULL) {
      mask = (1u << TSR_MAX_DIMS) - 1u;
    } else {
      for (size_t d = 0; d < sp->n_dim && d < TSR_MAX_DIMS; ++d) {
        const Onnx__TensorShapeProto__Dimension *dm = sp->dim[d];
        if (!(dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dm->dim_value > 0))
          mask |= 1u << d;
      }
    }
    net->inputs[k].dynamic_dims = mask;
  }
}

/* protobuf-c allocations through the caller's allocator, remembering a
 * failure: protobuf-c reports it as a parse failure. */
typedef struct pb_allocator {
  const tsr_allocator *a;
  bool failed;
} pb_allocator;

static void *pb_alloc(void *user, size_t size) {
  pb_allocator *pa = user;
  void *p = tsr_alloc(pa->a, size ? size : 1, 16);
  if (p == NULL) pa->failed = true;
  return p;
}
static void pb_free(void *user, void *p) { tsr_free(((pb_allocator *)user)->a, p); }

tsr_status tsr_onnx_import(const void *data, size_t size, const tsr_onnx_options *opt, const tsr_allocator *a,
                           tsr_net **out, tsr_error *err) {
  if (data == NULL || a == NULL || out == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "onnx: NULL argument");
  if (size == 0) return TSR_ERROR(err, TSR_ERR_FORMAT, "onnx: empty file");
  pb_allocator pba = {a, false};
  ProtobufCAllocator pa = {pb_alloc, pb_free, &pba};
  Onnx__ModelProto *m = onnx__model_proto__unpack(&pa, size, data);
  if (m == NULL && pba.failed)
    return TSR_ERROR(err, TSR_ERR_OUT_OF_MEMORY, "onnx: no memory to parse the model (protobuf)");
  if (m == NULL) return TSR_ERROR(err, TSR_ERR_FORMAT, "onnx: not a valid ONNX model (protobuf parse failed)");
  ox_ctx c;
  memset(&c, 0, sizeof(c));
  c.a = *a;
  c.err = err;
  c.model = m;
  c.flags = opt ? opt->flags : 0;
  tsr_error local;
  if (c.err == NULL) c.err = &local;
  tsr_error_clear(c.err);
  tsr_net *net = NULL;
  tsr_status s = build_ir(&c, opt);
  if (s == TSR_OK) s = ox_infer(&c);
  if (s == TSR_OK) s = tsr_net_create(a, &net, c.err);
  if (s == TSR_OK) {
    c.net = net;
    c.g = net->graph;
    snprintf(net->format, sizeof(net->format), "onnx");
    snprintf(net->producer, sizeof(net->producer), "%s%s%s", m->producer_name ? m->producer_name : "",
             m->producer_version && m->producer_version[0] ? " " : "", m->producer_version ? m->producer_version : "");
    net->opset = c.opset;
    net->source_nodes = c.n_nodes;
    s = ox_lower(&c);
  }
  if (s == TSR_OK) {
    s = tsr_graph_validate(net->graph);
    if (s != TSR_OK) tsr_error_copy(c.err, tsr_graph_error(net->graph));
  }
  if (s == TSR_OK) mark_dynamic_dims(m->graph, net);
  ox_free_all(&c);
  onnx__model_proto__free_unpacked(m, &pa);
  if (s != TSR_OK) {
    if (c.err->code == TSR_OK) TSR_ERROR(c.err, s, "onnx: import failed");
    tsr_net_destroy(net);
    return s;
  }
  *out = net;
  return TSR_OK;
}
