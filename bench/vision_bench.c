/* Perception-op benchmarks: the convolution shapes of the fixture networks
 * (TwinLiteNet, YOLOX-Nano, UltraFace, PilotNet, VitTrack, ShuffleNet-int8)
 * through the CPU target (prepare once, submit per iteration) at 1 and 2
 * threads, for every CPU variant this machine has. Counter: FLOP/s (2 per
 * multiply-add of the direct convolution).
 *   tsr_bench_vision --benchmark_filter=conv2d/yolox */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/gbench.h"
#include "tessera/tessera.h"

typedef struct conv_shape {
  const char *name; /* network_layer */
  tsr_op_type type;
  int c, h, w, m, k, s, d, g, act;
} conv_shape;

static const conv_shape kShapes[] = {
    {"twinlite_b2_131x80x80_k3", TSR_OP_CONV2D, 131, 80, 80, 131, 3, 1, 1, 1, -1},
    {"twinlite_b1_19x160x160_k3", TSR_OP_CONV2D, 19, 160, 160, 19, 3, 1, 1, 1, -1},
    {"twinlite_l3_25x40x40_k3d2", TSR_OP_CONV2D, 25, 40, 40, 25, 3, 1, 2, 1, -1},
    {"twinlite_l2_12x80x80_k3d4", TSR_OP_CONV2D, 12, 80, 80, 12, 3, 1, 4, 1, -1},
    {"twinlite_b3_256x40x40_k3_m32", TSR_OP_CONV2D, 256, 40, 40, 32, 3, 1, 1, 1, -1},
    {"yolox_stem_12x208x208_k3_m16", TSR_OP_CONV2D, 12, 208, 208, 16, 3, 1, 1, 1, TSR_UNARY_SILU},
    {"yolox_64x52x52_k1_m64", TSR_OP_CONV2D, 64, 52, 52, 64, 1, 1, 1, 1, TSR_UNARY_SILU},
    {"yolox_128x26x26_k1_m64", TSR_OP_CONV2D, 128, 26, 26, 64, 1, 1, 1, 1, TSR_UNARY_SILU},
    {"yolox_256x13x13_k1_m128", TSR_OP_CONV2D, 256, 13, 13, 128, 1, 1, 1, 1, TSR_UNARY_SILU},
    {"yolox_dw_64x52x52_k3", TSR_OP_CONV2D, 64, 52, 52, 64, 3, 1, 1, 64, TSR_UNARY_SILU},
    {"yolox_dw_64x52x52_k3s2", TSR_OP_CONV2D, 64, 52, 52, 64, 3, 2, 1, 64, TSR_UNARY_SILU},
    {"ultraface_64x30x40_k1_m64", TSR_OP_CONV2D, 64, 30, 40, 64, 1, 1, 1, 1, TSR_UNARY_RELU},
    {"ultraface_dw_16x120x160_k3", TSR_OP_CONV2D, 16, 120, 160, 16, 3, 1, 1, 16, TSR_UNARY_RELU},
    {"ultraface_stem_3x240x320_k3s2_m16", TSR_OP_CONV2D, 3, 240, 320, 16, 3, 2, 1, 1, TSR_UNARY_RELU},
    {"pilotnet_24x31x98_k5s2_m36", TSR_OP_CONV2D, 24, 31, 98, 36, 5, 2, 1, 1, TSR_UNARY_RELU},
    {"vittrack_48x16x16_k3_m32", TSR_OP_CONV2D, 48, 16, 16, 32, 3, 1, 1, 1, TSR_UNARY_RELU},
    {"twinlite_up_32x40x40_t2s2_m16", TSR_OP_CONV_TRANSPOSE2D, 32, 40, 40, 16, 2, 2, 1, 1, -1},
    {"shufflenet_q_116x14x14_k1_m116", TSR_OP_QLINEAR_CONV, 116, 14, 14, 116, 1, 1, 1, 1, -1},
    {"shufflenet_q_464x7x7_k1_m1024", TSR_OP_QLINEAR_CONV, 464, 7, 7, 1024, 1, 1, 1, 1, -1},
    {"shufflenet_q_58x28x28_k1_m58", TSR_OP_QLINEAR_CONV, 58, 28, 28, 58, 1, 1, 1, 1, -1},
    {"shufflenet_q_dw_116x14x14_k3", TSR_OP_QLINEAR_CONV, 116, 14, 14, 116, 3, 1, 1, 116, -1},
    {"shufflenet_q_stem_3x224x224_k3s2_m24", TSR_OP_QLINEAR_CONV, 3, 224, 224, 24, 3, 2, 1, 1, -1},
};

typedef struct bench_case {
  const conv_shape *shape;
  const char *target_name;
  uint32_t threads;
  tsr_target *target;
  tsr_cmdlist *list;
  tsr_op op;
  void *mem[TSR_OP_MAX_SRC + 1];
  double flops;
  bool failed;
  char why[320];
} bench_case;

static void *filled(size_t bytes, uint32_t seed) {
  uint8_t *p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
  uint32_t s = seed * 2654435761u + 1u;
  for (size_t i = 0; i < bytes; ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = (uint8_t)(s >> 24);
  }
  return p;
}

static void tensor(bench_case *c, int slot, tsr_dtype dt, int nd, const int64_t *shape) {
  tsr_tensor *t = slot < 0 ? &c->op.dst : &c->op.src[slot];
  if (tsr_tensor_init(t, dt, nd, shape, NULL) != TSR_OK) abort();
  size_t n = tsr_tensor_nbytes(t);
  void *p = filled(n ? n : 1, (uint32_t)(slot + 7));
  if (dt == TSR_DTYPE_F32) { /* small finite floats */
    float *f = p;
    for (size_t i = 0; i < n / 4; ++i) f[i] = (float)((int)(((uint8_t *)p)[i * 4] % 17) - 8) * 0.0625f;
  }
  t->data = p;
  c->mem[slot < 0 ? TSR_OP_MAX_SRC : slot] = p;
  if (slot > 0) t->flags |= TSR_TENSOR_FLAG_CONST;
  if (slot >= 0 && (uint32_t)slot + 1 > c->op.n_src) c->op.n_src = (uint32_t)slot + 1;
}

static void build(bench_case *c) {
  const conv_shape *s = c->shape;
  const int pad = s->k == 1 || s->type == TSR_OP_CONV_TRANSPOSE2D ? 0 : s->d * (s->k - 1) / 2;
  int64_t oh, ow;
  if (s->type == TSR_OP_CONV_TRANSPOSE2D) {
    oh = (int64_t)s->s * (s->h - 1) + s->k;
    ow = (int64_t)s->s * (s->w - 1) + s->k;
  } else {
    oh = (s->h + 2 * pad - s->d * (s->k - 1) - 1) / s->s + 1;
    ow = (s->w + 2 * pad - s->d * (s->k - 1) - 1) / s->s + 1;
  }
  int64_t sx[4] = {1, s->c, s->h, s->w}, sy[4] = {1, s->m, oh, ow}, sb[1] = {s->m};
  tsr_conv2d_params p = {{s->k, s->k}, {s->s, s->s}, {s->d, s->d}, {pad, pad, pad, pad}, s->g, {0, 0}, s->act, 0, 0};
  c->op.type = s->type;
  if (s->type == TSR_OP_QLINEAR_CONV) {
    int64_t sw[4] = {s->m, s->c / s->g, s->k, s->k}, one[1] = {1};
    tensor(c, 0, TSR_DTYPE_U8, 4, sx);
    tensor(c, 1, TSR_DTYPE_F32, 1, one);
    tensor(c, 2, TSR_DTYPE_U8, 1, one);
    tensor(c, 3, TSR_DTYPE_I8, 4, sw);
    tensor(c, 4, TSR_DTYPE_F32, 1, sb);
    tensor(c, 5, TSR_DTYPE_I8, 1, sb);
    memset(c->op.src[5].data, 0, (size_t)s->m);
    tensor(c, 6, TSR_DTYPE_F32, 1, one);
    tensor(c, 7, TSR_DTYPE_U8, 1, one);
    tensor(c, 8, TSR_DTYPE_I32, 1, sb);
    tensor(c, -1, TSR_DTYPE_U8, 4, sy);
    const float xs = 0.02f, ys = 0.05f;
    memcpy(c->op.src[1].data, &xs, 4);
    memcpy(c->op.src[6].data, &ys, 4);
    for (int i = 0; i < s->m; ++i) ((float *)c->op.src[4].data)[i] = 0.003f;
    p.activation = -1;
    c->op.p.qop.conv = p;
  } else {
    int64_t sw[4] = {s->m, s->c / s->g, s->k, s->k};
    if (s->type == TSR_OP_CONV_TRANSPOSE2D) {
      sw[0] = s->c;
      sw[1] = s->m / s->g;
    }
    tensor(c, 0, TSR_DTYPE_F32, 4, sx);
    tensor(c, 1, TSR_DTYPE_F32, 4, sw);
    tensor(c, 2, TSR_DTYPE_F32, 1, sb);
    tensor(c, -1, TSR_DTYPE_F32, 4, sy);
    c->op.p.conv2d = p;
  }
  const double taps = (double)(s->c / s->g) * s->k * s->k;
  c->flops = s->type == TSR_OP_CONV_TRANSPOSE2D ? 2.0 * s->c * s->h * s->w * (double)(s->m / s->g) * s->k * s->k
                                                 : 2.0 * (double)s->m * (double)(oh * ow) * taps;
}

static void run_case(tsr_bench_state *st, void *arg) {
  bench_case *c = arg;
  if (c->failed) {
    tsr_bench_skip(st, c->why);
    return;
  }
  static const tsr_dyn_values dyn = {{0}};
  while (tsr_bench_keep_running(st)) {
    if (tsr_target_submit(c->target, c->list, &dyn) != TSR_OK || tsr_target_wait(c->target) != TSR_OK) {
      tsr_bench_skip(st, "submit failed");
      return;
    }
  }
  tsr_bench_rate(st, "FLOP/s", c->flops);
}

int main(int argc, char **argv) {
  static tsr_allocator sys;
  sys = tsr_allocator_system();
  const char *variants[] = {"cpu", "cpu:avx2", "cpu:scalar"};
  const uint32_t threads[] = {1, 2};
  for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); ++v) {
    for (size_t t = 0; t < 2; ++t) {
      tsr_target *target = NULL;
      tsr_target_options o = {0};
      o.n_threads = threads[t];
      tsr_error err;
      if (tsr_target_create(variants[v], &o, &sys, &target, &err) != TSR_OK) continue;
      for (size_t i = 0; i < sizeof(kShapes) / sizeof(kShapes[0]); ++i) {
        bench_case *c = calloc(1, sizeof(*c));
        c->shape = &kShapes[i];
        c->target_name = variants[v];
        c->threads = threads[t];
        c->target = target;
        build(c);
        if (!tsr_target_supports_op(target, &c->op) || tsr_target_prepare(target, &c->op, 1, &c->list) != TSR_OK) {
          c->failed = true;
          snprintf(c->why, sizeof(c->why), "not supported: %s", tsr_target_error(target)->message);
        }
        char name[200];
        snprintf(name, sizeof(name), "%s/%s/%s/threads:%u", tsr_op_type_name(kShapes[i].type), kShapes[i].name,
                 variants[v], (unsigned)threads[t]);
        tsr_bench_register(name, run_case, c);
      }
    }
  }
  return tsr_bench_main(argc, argv);
}
