/* Builds small ONNX models in memory with the protobuf-c code generated from
 * onnx.proto, for importer tests and the fuzzing seed corpus. Everything
 * lives in the builder (fixed pools); names are copied. */
#ifndef TESSERA_TESTS_ONNX_BUILDER_H_
#define TESSERA_TESTS_ONNX_BUILDER_H_

#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

#define MB_NODES 64
#define MB_ATTRS 256
#define MB_INITS 48
#define MB_IO 8

typedef struct mb {
  Onnx__ModelProto model;
  Onnx__GraphProto graph;
  Onnx__OperatorSetIdProto opsets[2];
  Onnx__OperatorSetIdProto *opset_ptrs[2];
  Onnx__NodeProto nodes[MB_NODES];
  Onnx__NodeProto *node_ptrs[MB_NODES];
  char *node_names[MB_NODES][2][12];
  Onnx__AttributeProto attrs[MB_ATTRS];
  Onnx__AttributeProto *attr_ptrs[MB_NODES][12];
  int n_attrs;
  Onnx__TensorProto inits[MB_INITS];
  Onnx__TensorProto *init_ptrs[MB_INITS];
  int64_t init_dims[MB_INITS][6];
  Onnx__ValueInfoProto vis[2 * MB_IO];
  Onnx__ValueInfoProto *in_ptrs[MB_IO], *out_ptrs[MB_IO];
  Onnx__TypeProto types[2 * MB_IO];
  Onnx__TypeProto__Tensor tts[2 * MB_IO];
  Onnx__TensorShapeProto shapes[2 * MB_IO];
  Onnx__TensorShapeProto__Dimension dims[2 * MB_IO][6];
  Onnx__TensorShapeProto__Dimension *dim_ptrs[2 * MB_IO][6];
  int n_vis;
  int64_t ints[4096];
  int n_ints;
  float floats[1024];
  int n_floats;
  char strs[16384];
  int n_strs;
} mb;

static inline char *mb_str(mb *b, const char *s) {
  size_t n = strlen(s) + 1;
  if (b->n_strs + (int)n > (int)sizeof(b->strs)) abort();
  char *p = b->strs + b->n_strs;
  memcpy(p, s, n);
  b->n_strs += (int)n;
  return p;
}

static inline void mb_init(mb *b, int64_t opset) {
  memset(b, 0, sizeof(*b));
  onnx__model_proto__init(&b->model);
  onnx__graph_proto__init(&b->graph);
  b->model.has_ir_version = 1;
  b->model.ir_version = 8;
  b->model.graph = &b->graph;
  b->graph.name = mb_str(b, "test");
  onnx__operator_set_id_proto__init(&b->opsets[0]);
  b->opsets[0].domain = mb_str(b, "");
  b->opsets[0].has_version = 1;
  b->opsets[0].version = opset;
  b->opset_ptrs[0] = &b->opsets[0];
  b->model.n_opset_import = 1;
  b->model.opset_import = b->opset_ptrs;
  b->graph.node = b->node_ptrs;
  b->graph.initializer = b->init_ptrs;
  b->graph.input = b->in_ptrs;
  b->graph.output = b->out_ptrs;
}

static inline Onnx__ValueInfoProto *mb_vi(mb *b, const char *name, int elem, int nd, const int64_t *d) {
  int k = b->n_vis++;
  Onnx__ValueInfoProto *v = &b->vis[k];
  onnx__value_info_proto__init(v);
  v->name = mb_str(b, name);
  onnx__type_proto__init(&b->types[k]);
  onnx__type_proto__tensor__init(&b->tts[k]);
  b->types[k].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  b->types[k].tensor_type = &b->tts[k];
  b->tts[k].has_elem_type = 1;
  b->tts[k].elem_type = elem;
  if (nd >= 0) {
    onnx__tensor_shape_proto__init(&b->shapes[k]);
    for (int i = 0; i < nd; ++i) {
      onnx__tensor_shape_proto__dimension__init(&b->dims[k][i]);
      if (d[i] > 0) {
        b->dims[k][i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        b->dims[k][i].dim_value = d[i];
      } else {
        b->dims[k][i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        b->dims[k][i].dim_param = mb_str(b, "batch");
      }
      b->dim_ptrs[k][i] = &b->dims[k][i];
    }
    b->shapes[k].n_dim = (size_t)nd;
    b->shapes[k].dim = b->dim_ptrs[k];
    b->tts[k].shape = &b->shapes[k];
  }
  v->type = &b->types[k];
  return v;
}

/* A float input of shape |d| (extent <= 0: symbolic). */
static inline void mb_input(mb *b, const char *name, int elem, int nd, const int64_t *d) {
  b->in_ptrs[b->graph.n_input++] = mb_vi(b, name, elem, nd, d);
}

static inline void mb_output(mb *b, const char *name) {
  b->out_ptrs[b->graph.n_output++] = mb_vi(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, -1, NULL);
}

static inline Onnx__TensorProto *mb_tensor(mb *b, const char *name, int dtype, int nd, const int64_t *d) {
  int k = (int)b->graph.n_initializer++;
  Onnx__TensorProto *t = &b->inits[k];
  onnx__tensor_proto__init(t);
  t->name = mb_str(b, name);
  t->has_data_type = 1;
  t->data_type = dtype;
  for (int i = 0; i < nd; ++i) b->init_dims[k][i] = d[i];
  t->n_dims = (size_t)nd;
  t->dims = b->init_dims[k];
  b->init_ptrs[k] = t;
  return t;
}

static inline void mb_init_f32(mb *b, const char *name, int nd, const int64_t *d, const float *data) {
  Onnx__TensorProto *t = mb_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, nd, d);
  int64_t n = 1;
  for (int i = 0; i < nd; ++i) n *= d[i];
  t->n_float_data = (size_t)n;
  t->float_data = (float *)(uintptr_t)data;
}

static inline void mb_init_i64(mb *b, const char *name, int nd, const int64_t *d, const int64_t *data) {
  Onnx__TensorProto *t = mb_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, nd, d);
  int64_t n = 1;
  for (int i = 0; i < nd; ++i) n *= d[i];
  t->n_int64_data = (size_t)n;
  t->int64_data = (int64_t *)(uintptr_t)data;
}

/* Raw-data initializer of any element type. */
static inline void mb_init_raw(mb *b, const char *name, int dtype, int nd, const int64_t *d, const void *data,
                               size_t bytes) {
  Onnx__TensorProto *t = mb_tensor(b, name, dtype, nd, d);
  t->has_raw_data = 1;
  t->raw_data.len = bytes;
  t->raw_data.data = (uint8_t *)(uintptr_t)data;
}

/* Comma-separated names; an empty item is an absent optional input. */
static inline size_t mb_names(mb *b, const char *list, char **out) {
  size_t n = 0;
  if (list == NULL || list[0] == '\0') return 0;
  char buf[512];
  strncpy(buf, list, sizeof(buf) - 1);
  buf[sizeof(buf) - 1] = '\0';
  char *s = buf;
  for (;;) {
    char *comma = strchr(s, ',');
    if (comma) *comma = '\0';
    out[n++] = mb_str(b, s);
    if (!comma) break;
    s = comma + 1;
  }
  return n;
}

static inline Onnx__NodeProto *mb_node(mb *b, const char *op, const char *name, const char *inputs,
                                       const char *outputs) {
  int k = (int)b->graph.n_node++;
  Onnx__NodeProto *n = &b->nodes[k];
  onnx__node_proto__init(n);
  n->op_type = mb_str(b, op);
  n->name = mb_str(b, name);
  n->n_input = mb_names(b, inputs, b->node_names[k][0]);
  n->input = b->node_names[k][0];
  n->n_output = mb_names(b, outputs, b->node_names[k][1]);
  n->output = b->node_names[k][1];
  n->attribute = b->attr_ptrs[k];
  b->node_ptrs[k] = n;
  return n;
}

static inline Onnx__AttributeProto *mb_attr(mb *b, Onnx__NodeProto *n, const char *name, int type) {
  Onnx__AttributeProto *a = &b->attrs[b->n_attrs++];
  onnx__attribute_proto__init(a);
  a->name = mb_str(b, name);
  a->has_type = 1;
  a->type = (Onnx__AttributeProto__AttributeType)type;
  n->attribute[n->n_attribute++] = a;
  return a;
}

static inline void mb_attr_i(mb *b, Onnx__NodeProto *n, const char *name, int64_t v) {
  Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = 1;
  a->i = v;
}

static inline void mb_attr_f(mb *b, Onnx__NodeProto *n, const char *name, float v) {
  Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  a->has_f = 1;
  a->f = v;
}

static inline void mb_attr_s(mb *b, Onnx__NodeProto *n, const char *name, const char *v) {
  Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->has_s = 1;
  a->s.data = (uint8_t *)mb_str(b, v);
  a->s.len = strlen(v);
}

static inline void mb_attr_ints(mb *b, Onnx__NodeProto *n, const char *name, int count, const int64_t *v) {
  Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->ints = b->ints + b->n_ints;
  for (int i = 0; i < count; ++i) b->ints[b->n_ints++] = v[i];
  a->n_ints = (size_t)count;
}

/* Serializes the model (malloc'ed). */
static inline uint8_t *mb_pack(mb *b, size_t *len) {
  *len = onnx__model_proto__get_packed_size(&b->model);
  uint8_t *buf = malloc(*len ? *len : 1);
  if (buf != NULL) onnx__model_proto__pack(&b->model, buf);
  return buf;
}

#endif
