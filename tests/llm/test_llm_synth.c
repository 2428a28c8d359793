/* Synthetic models, no fixtures needed:
 * - a GGUF written with Tessera's own writer (random weights, Llama shape
 *   with GQA, Q8_0 / Q4_0 / F16 / F32 tensors; a second variant with partial
 *   RoPE, linear RoPE scaling, llama3 rope_freqs and a separate quantized
 *   classifier), and a random llama2.c checkpoint;
 * - their logits, token by token and after batched prefill, against a
 *   straightforward forward pass written here in double precision over the
 *   weights as the reference dequantizer (kernels/convert) reads them;
 * - the llama2.c loader on truncated and corrupt files.
 *
 * Tolerance: on the reference CPU target ("cpu:ref") every logit is within
 * 1e-4 * (1 + max|ref|) of the reference; on the default CPU target (fast
 * kernels, which may quantize activations to 8 bits as ggml does) the
 * normalised mean squared error sum((y - ref)^2) / sum(ref^2) is at most
 * 1e-3 and every logit within 0.05 * (1 + max|ref|). */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/convert.h"
#include "engine/gguf/gguf.h"
#include "tessera/tessera.h"

/* ---- a random Llama ---- */

typedef struct syn_cfg {
  int dim, hidden, layers, heads, kv_heads, head_dim, vocab, rope_dims, ctx;
  float base, scale_factor, eps;
  bool freq_factors, tied;
  tsr_dtype t_emb, t_q, t_k, t_v, t_o, t_gate, t_up, t_down, t_out;
} syn_cfg;

typedef struct syn_w {
  tsr_dtype dtype;
  int64_t rows, cols;
  void *stored; /* as the file holds it */
  float *ref;   /* what the reference dequantizer reads back */
} syn_w;

typedef struct syn_layer {
  syn_w an, wq, wk, wv, wo, fn, wg, wu, wd;
} syn_layer;

typedef struct syn_model {
  syn_cfg c;
  syn_w emb, onorm, out, ff;
  syn_layer *l;
  double *kc, *vc; /* reference KV cache [layers][ctx][kv_dim] */
} syn_model;

static uint64_t g_rng = 88172645463325252ull;
static double urand(void) { /* [-1, 1) */
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (double)(g_rng >> 11) / 4503599627370496.0 - 1.0;
}

static void make_w(syn_w *w, tsr_dtype t, int64_t rows, int64_t cols, double scale, double offset) {
  w->dtype = t;
  w->rows = rows;
  w->cols = cols;
  size_t rb = tsr_dtype_row_bytes(t, cols);
  w->stored = calloc((size_t)rows, rb);
  w->ref = malloc(sizeof(float) * (size_t)(rows * cols));
  float *tmp = malloc(sizeof(float) * (size_t)cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < cols; ++i) tmp[i] = (float)(offset + scale * urand());
    tsr_quantize_row(t, tmp, (uint8_t *)w->stored + r * rb, cols);
    tsr_dequantize_row(t, (uint8_t *)w->stored + r * rb, w->ref + r * cols, cols);
  }
  free(tmp);
}

static void free_w(syn_w *w) {
  free(w->stored);
  free(w->ref);
}

static void make_model(syn_model *m, const syn_cfg *c) {
  memset(m, 0, sizeof(*m));
  m->c = *c;
  const int qd = c->heads * c->head_dim, kvd = c->kv_heads * c->head_dim;
  make_w(&m->emb, c->t_emb, c->vocab, c->dim, 1.0, 0.0);
  make_w(&m->onorm, TSR_DTYPE_F32, 1, c->dim, 0.2, 1.0);
  if (c->tied) {
    m->out = m->emb;
  } else {
    make_w(&m->out, c->t_out, c->vocab, c->dim, 1.0 / sqrt(c->dim), 0.0);
  }
  if (c->freq_factors) make_w(&m->ff, TSR_DTYPE_F32, 1, c->rope_dims / 2, 0.5, 1.5);
  m->l = calloc((size_t)c->layers, sizeof(syn_layer));
  for (int i = 0; i < c->layers; ++i) {
    syn_layer *y = &m->l[i];
    make_w(&y->an, TSR_DTYPE_F32, 1, c->dim, 0.2, 1.0);
    make_w(&y->wq, c->t_q, qd, c->dim, 3.0 / sqrt(c->dim), 0.0); /* peaky attention */
    make_w(&y->wk, c->t_k, kvd, c->dim, 3.0 / sqrt(c->dim), 0.0);
    make_w(&y->wv, c->t_v, kvd, c->dim, 1.0 / sqrt(c->dim), 0.0);
    make_w(&y->wo, c->t_o, c->dim, qd, 1.0 / sqrt(qd), 0.0);
    make_w(&y->fn, TSR_DTYPE_F32, 1, c->dim, 0.2, 1.0);
    make_w(&y->wg, c->t_gate, c->hidden, c->dim, 1.5 / sqrt(c->dim), 0.0);
    make_w(&y->wu, c->t_up, c->hidden, c->dim, 1.5 / sqrt(c->dim), 0.0);
    make_w(&y->wd, c->t_down, c->dim, c->hidden, 1.0 / sqrt(c->hidden), 0.0);
  }
  m->kc = calloc((size_t)c->layers * c->ctx * kvd, sizeof(double));
  m->vc = calloc((size_t)c->layers * c->ctx * kvd, sizeof(double));
}

static void free_model(syn_model *m) {
  free_w(&m->emb);
  free_w(&m->onorm);
  if (!m->c.tied) free_w(&m->out);
  if (m->c.freq_factors) free_w(&m->ff);
  for (int i = 0; i < m->c.layers; ++i) {
    syn_w *ws = &m->l[i].an;
    for (int j = 0; j < 9; ++j) free_w(&ws[j]);
  }
  free(m->l);
  free(m->kc);
  free(m->vc);
}

/* ---- the reference forward pass (double) ---- */

static void rmsnorm(double *y, const double *x, const float *w, int n, float eps) {
  double ss = 0.0;
  for (int i = 0; i < n; ++i) ss += x[i] * x[i];
  double inv = 1.0 / sqrt(ss / n + eps);
  for (int i = 0; i < n; ++i) y[i] = x[i] * inv * w[i];
}

/* W (rows, cols) @ x (cols,) -> y (rows,) */
static void matvec(double *y, const syn_w *w, const double *x) {
  for (int64_t r = 0; r < w->rows; ++r) {
    double acc = 0.0;
    for (int64_t i = 0; i < w->cols; ++i) acc += (double)w->ref[r * w->cols + i] * x[i];
    y[r] = acc;
  }
}

/* Interleaved pairs (2i, 2i+1) over the first rope_dims of each head. */
static void rope(const syn_model *m, double *v, int n_heads, int pos) {
  const syn_cfg *c = &m->c;
  for (int h = 0; h < n_heads; ++h) {
    double *x = v + h * c->head_dim;
    for (int i = 0; i < c->rope_dims / 2; ++i) {
      double theta = pos / (double)c->scale_factor * pow(c->base, -2.0 * i / c->rope_dims);
      if (c->freq_factors) theta /= m->ff.ref[i];
      double cs = cos(theta), sn = sin(theta), a = x[2 * i], b = x[2 * i + 1];
      x[2 * i] = a * cs - b * sn;
      x[2 * i + 1] = a * sn + b * cs;
    }
  }
}

static void ref_forward(syn_model *m, int token, int pos, double *logits) {
  const syn_cfg *c = &m->c;
  const int d = c->dim, hd = c->head_dim, qd = c->heads * hd, kvd = c->kv_heads * hd;
  double *x = calloc((size_t)d, sizeof(double)), *h = calloc((size_t)d, sizeof(double));
  double *q = calloc((size_t)qd, sizeof(double)), *att = calloc((size_t)qd, sizeof(double));
  double *o = calloc((size_t)d, sizeof(double)), *g = calloc((size_t)c->hidden, sizeof(double));
  double *u = calloc((size_t)c->hidden, sizeof(double)), *sc = calloc((size_t)pos + 1, sizeof(double));
  for (int i = 0; i < d; ++i) x[i] = m->emb.ref[(size_t)token * d + i];
  for (int l = 0; l < c->layers; ++l) {
    syn_layer *y = &m->l[l];
    double *kc = m->kc + ((size_t)l * c->ctx + pos) * kvd, *vc = m->vc + ((size_t)l * c->ctx + pos) * kvd;
    rmsnorm(h, x, y->an.ref, d, c->eps);
    matvec(q, &y->wq, h);
    matvec(kc, &y->wk, h);
    matvec(vc, &y->wv, h);
    rope(m, q, c->heads, pos);
    rope(m, kc, c->kv_heads, pos);
    for (int hh = 0; hh < c->heads; ++hh) {
      int kvh = hh / (c->heads / c->kv_heads);
      double mx = -INFINITY, sum = 0.0;
      for (int s = 0; s <= pos; ++s) {
        const double *k = m->kc + ((size_t)l * c->ctx + s) * kvd + kvh * hd;
        double dot = 0.0;
        for (int i = 0; i < hd; ++i) dot += q[hh * hd + i] * k[i];
        sc[s] = dot / sqrt(hd);
        mx = fmax(mx, sc[s]);
      }
      for (int i = 0; i < hd; ++i) att[hh * hd + i] = 0.0;
      for (int s = 0; s <= pos; ++s) {
        double w = exp(sc[s] - mx);
        sum += w;
        const double *v = m->vc + ((size_t)l * c->ctx + s) * kvd + kvh * hd;
        for (int i = 0; i < hd; ++i) att[hh * hd + i] += w * v[i];
      }
      for (int i = 0; i < hd; ++i) att[hh * hd + i] /= sum;
    }
    matvec(o, &y->wo, att);
    for (int i = 0; i < d; ++i) x[i] += o[i];
    rmsnorm(h, x, y->fn.ref, d, c->eps);
    matvec(g, &y->wg, h);
    matvec(u, &y->wu, h);
    for (int i = 0; i < c->hidden; ++i) g[i] = g[i] / (1.0 + exp(-g[i])) * u[i];
    matvec(o, &y->wd, g);
    for (int i = 0; i < d; ++i) x[i] += o[i];
  }
  rmsnorm(h, x, m->onorm.ref, d, c->eps);
  matvec(logits, &m->out, h);
  free(x), free(h), free(q), free(att), free(o), free(g), free(u), free(sc);
}

/* ---- writing the files ---- */

/* Exactly |n| bytes (so that a read past the end is a sanitizer report),
 * malloc-aligned: enough for llama2.c (4) and GGUF tensor data (32-byte
 * offsets from a 16-byte aligned base, for f32 and block formats). */
static void *aligned_copy(const void *p, size_t n) {
  void *b = malloc(n ? n : 1);
  if (n) memcpy(b, p, n);
  return b;
}

static void *read_all(FILE *f, size_t *out_n) {
  long n = ftell(f);
  rewind(f);
  void *b = aligned_alloc(64, ((size_t)n + 63) / 64 * 64);
  if (fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    return NULL;
  }
  *out_n = (size_t)n;
  return b;
}

#define TRY_W(x) CU_ASSERT_EQUAL_FATAL((x), TSR_OK)

static void add_w(tsr_gguf_writer *w, const char *name, const syn_w *t) {
  int64_t shape[2] = {t->rows, t->cols};
  if (t->rows == 1 && strstr(name, "norm") != NULL) {
    shape[0] = t->cols;
    TRY_W(tsr_gguf_writer_add_tensor(w, name, t->dtype, 1, shape, t->stored));
  } else if (t->rows == 1) {
    shape[0] = t->cols;
    TRY_W(tsr_gguf_writer_add_tensor(w, name, t->dtype, 1, shape, t->stored));
  } else {
    TRY_W(tsr_gguf_writer_add_tensor(w, name, t->dtype, 2, shape, t->stored));
  }
}

static void *write_gguf(const syn_model *m, size_t *out_n) {
  const syn_cfg *c = &m->c;
  tsr_allocator a = tsr_allocator_system();
  tsr_gguf_writer *w = NULL;
  TRY_W(tsr_gguf_writer_create(&a, 32, &w));
  TRY_W(tsr_gguf_writer_add_str(w, "general.architecture", "llama", 5));
  TRY_W(tsr_gguf_writer_add_str(w, "general.name", "synthetic", 9));
  TRY_W(tsr_gguf_writer_add_u32(w, "llama.context_length", (uint32_t)c->ctx));
  TRY_W(tsr_gguf_writer_add_u32(w, "llama.embedding_length", (uint32_t)c->dim));
  TRY_W(tsr_gguf_writer_add_u32(w, "llama.block_count", (uint32_t)c->layers));
  TRY_W(tsr_gguf_writer_add_u32(w, "llama.feed_forward_length", (uint32_t)c->hidden));
  TRY_W(tsr_gguf_writer_add_u32(w, "llama.attention.head_count", (uint32_t)c->heads));
  TRY_W(tsr_gguf_writer_add_u32(w, "llama.attention.head_count_kv", (uint32_t)c->kv_heads));
  TRY_W(tsr_gguf_writer_add_u32(w, "llama.rope.dimension_count", (uint32_t)c->rope_dims));
  TRY_W(tsr_gguf_writer_add_f32(w, "llama.rope.freq_base", c->base));
  TRY_W(tsr_gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", c->eps));
  if (c->scale_factor != 1.0f) {
    TRY_W(tsr_gguf_writer_add_str(w, "llama.rope.scaling.type", "linear", 6));
    TRY_W(tsr_gguf_writer_add_f32(w, "llama.rope.scaling.factor", c->scale_factor));
  }
  add_w(w, "token_embd.weight", &m->emb);
  add_w(w, "output_norm.weight", &m->onorm);
  if (!c->tied) add_w(w, "output.weight", &m->out);
  if (c->freq_factors) add_w(w, "rope_freqs.weight", &m->ff);
  /* The writer keeps the names by reference until it writes. */
  char(*nm)[64] = calloc((size_t)c->layers * 9, 64);
  for (int l = 0; l < c->layers; ++l) {
    static const char *const names[9] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                         "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
    const syn_w *ws = &m->l[l].an;
    for (int j = 0; j < 9; ++j) {
      snprintf(nm[l * 9 + j], 64, "blk.%d.%s.weight", l, names[j]);
      add_w(w, nm[l * 9 + j], &ws[j]);
    }
  }
  FILE *f = tmpfile();
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  tsr_error err;
  TRY_W(tsr_gguf_writer_write(w, f, &err));
  tsr_gguf_writer_free(w);
  free(nm);
  void *blob = read_all(f, out_n);
  fclose(f);
  return blob;
}

/* llama2.c legacy layout (f32 only). */
static void *write_llama2c(const syn_model *m, size_t *out_n) {
  const syn_cfg *c = &m->c;
  const int hd = c->head_dim;
  size_t cap = 1 << 22, n = 0;
  uint8_t *b = malloc(cap);
  int32_t hdr[7] = {c->dim, c->hidden, c->layers, c->heads, c->kv_heads, c->tied ? c->vocab : -c->vocab, c->ctx};
  memcpy(b, hdr, sizeof(hdr));
  n = sizeof(hdr);
#define PUT(w)                                                         \
  do {                                                                 \
    size_t nb_ = sizeof(float) * (size_t)((w)->rows * (w)->cols);      \
    memcpy(b + n, (w)->ref, nb_);                                      \
    n += nb_;                                                          \
  } while (0)
  PUT(&m->emb);
  for (int l = 0; l < c->layers; ++l) PUT(&m->l[l].an);
  for (int l = 0; l < c->layers; ++l) PUT(&m->l[l].wq);
  for (int l = 0; l < c->layers; ++l) PUT(&m->l[l].wk);
  for (int l = 0; l < c->layers; ++l) PUT(&m->l[l].wv);
  for (int l = 0; l < c->layers; ++l) PUT(&m->l[l].wo);
  for (int l = 0; l < c->layers; ++l) PUT(&m->l[l].fn);
  for (int l = 0; l < c->layers; ++l) PUT(&m->l[l].wg);
  for (int l = 0; l < c->layers; ++l) PUT(&m->l[l].wd);
  for (int l = 0; l < c->layers; ++l) PUT(&m->l[l].wu);
  PUT(&m->onorm);
  size_t freq = sizeof(float) * (size_t)c->ctx * (size_t)(hd / 2) * 2;
  memset(b + n, 0, freq);
  n += freq;
  if (!c->tied) PUT(&m->out);
#undef PUT
  *out_n = n;
  void *r = aligned_copy(b, n);
  free(b);
  return r;
}

/* ---- comparing ---- */

typedef struct cmp_stats {
  double max_abs, max_ref, se, sr;
} cmp_stats;

static void compare(cmp_stats *st, const float *y, const double *ref, int n) {
  for (int i = 0; i < n; ++i) {
    double d = fabs((double)y[i] - ref[i]);
    st->max_abs = fmax(st->max_abs, d);
    st->max_ref = fmax(st->max_ref, fabs(ref[i]));
    st->se += d * d;
    st->sr += ref[i] * ref[i];
  }
}

static bool within(const cmp_stats *st, bool reference_target) {
  if (reference_target) return st->max_abs <= 1e-4 * (1.0 + st->max_ref);
  return st->se <= 1e-3 * st->sr && st->max_abs <= 0.05 * (1.0 + st->max_ref);
}

#define SEQ 23

/* Runs the model in |blob| on |target_name| (NULL: the model's own CPU
 * target) and compares with the reference, token by token, after one
 * batched prefill, and after a prefill split at an odd position. */
static void check_model(syn_model *m, const void *blob, size_t n, const char *target_name) {
  const syn_cfg *c = &m->c;
  tsr_allocator a = tsr_allocator_system();
  tsr_target *t = NULL;
  tsr_error err = {0};
  tsr_llm_options o;
  memset(&o, 0, sizeof(o));
  o.n_ctx = c->ctx;
  if (target_name) {
    tsr_target_options to;
    memset(&to, 0, sizeof(to));
    TRY_W(tsr_target_create(target_name, &to, &a, &t, &err));
    o.targets[0] = t;
    o.n_targets = 1;
    o.fallback = t;
  }
  tsr_llm *llm = NULL;
  tsr_status s = tsr_llm_load_memory(blob, n, &o, &llm, &err);
  if (s != TSR_OK) printf("\nload: %s: %s\n", tsr_status_string(s), err.message);
  CU_ASSERT_EQUAL_FATAL(s, TSR_OK);
  const tsr_llm_hparams *hp = tsr_llm_get_hparams(llm);
  CU_ASSERT_EQUAL(hp->dim, c->dim);
  CU_ASSERT_EQUAL(hp->n_kv_heads, c->kv_heads);
  CU_ASSERT_EQUAL(hp->rope_dims, c->rope_dims);
  CU_ASSERT_EQUAL(hp->tied_output, c->tied);
  CU_ASSERT_EQUAL(hp->rope_freq_factors, c->freq_factors);
  CU_ASSERT(fabsf(hp->rope_freq_scale - 1.0f / c->scale_factor) < 1e-7f);
  CU_ASSERT_FALSE(tsr_llm_has_tokenizer(llm));
  int tokens[SEQ];
  for (int i = 0; i < SEQ; ++i) tokens[i] = (int)((urand() + 1.0) * 0.5 * c->vocab) % c->vocab;
  double *ref = malloc(sizeof(double) * (size_t)c->vocab * SEQ);
  for (int i = 0; i < SEQ; ++i) ref_forward(m, tokens[i], i, ref + (size_t)i * c->vocab);
  /* Token by token (decode entry). */
  cmp_stats st = {0};
  for (int i = 0; i < SEQ; ++i) {
    const float *lg = NULL;
    CU_ASSERT_EQUAL_FATAL(tsr_llm_eval(llm, &tokens[i], 1, &lg), TSR_OK);
    compare(&st, lg, ref + (size_t)i * c->vocab, c->vocab);
  }
  printf("\n    %s decode: max |diff| %.3g (max |ref| %.3g), nmse %.3g", target_name ? target_name : "cpu",
         st.max_abs, st.max_ref, st.se / st.sr);
  CU_ASSERT(within(&st, target_name != NULL));
  CU_ASSERT_EQUAL(tsr_llm_position(llm), SEQ);
  /* One batched prefill (16 + 4 + 1 + 1 + 1). */
  tsr_llm_reset(llm);
  cmp_stats sb = {0};
  const float *lg = NULL;
  CU_ASSERT_EQUAL_FATAL(tsr_llm_eval(llm, tokens, SEQ, &lg), TSR_OK);
  compare(&sb, lg, ref + (size_t)(SEQ - 1) * c->vocab, c->vocab);
  /* Split at 5: the second prefill starts at position 5. */
  tsr_llm_reset(llm);
  CU_ASSERT_EQUAL_FATAL(tsr_llm_eval(llm, tokens, 5, &lg), TSR_OK);
  compare(&sb, lg, ref + (size_t)4 * c->vocab, c->vocab);
  CU_ASSERT_EQUAL_FATAL(tsr_llm_eval(llm, tokens + 5, SEQ - 5, &lg), TSR_OK);
  compare(&sb, lg, ref + (size_t)(SEQ - 1) * c->vocab, c->vocab);
  printf("; prefill: max |diff| %.3g, nmse %.3g ", sb.max_abs, sb.se / sb.sr);
  CU_ASSERT(within(&sb, target_name != NULL));
  /* Past the context: refused, nothing runs. */
  size_t room = (size_t)(c->ctx - tsr_llm_position(llm));
  int32_t *many = calloc(room + 1, sizeof(int32_t));
  CU_ASSERT_EQUAL(tsr_llm_eval(llm, many, room + 1, NULL), TSR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(tsr_llm_position(llm), SEQ);
  int32_t bad = c->vocab;
  CU_ASSERT_EQUAL(tsr_llm_eval(llm, &bad, 1, NULL), TSR_ERR_INVALID_ARGUMENT);
  free(many);
  free(ref);
  tsr_llm_free(llm);
  if (t) tsr_target_destroy(t);
}

static const syn_cfg kGqaQuant = {
    .dim = 64, .hidden = 96, .layers = 2, .heads = 4, .kv_heads = 2, .head_dim = 16, .vocab = 100,
    .rope_dims = 16, .ctx = 48, .base = 10000.0f, .scale_factor = 1.0f, .eps = 1e-5f, .freq_factors = false,
    .tied = true, .t_emb = TSR_DTYPE_Q8_0, .t_q = TSR_DTYPE_Q8_0, .t_k = TSR_DTYPE_Q4_0, .t_v = TSR_DTYPE_Q8_0,
    .t_o = TSR_DTYPE_Q4_0, .t_gate = TSR_DTYPE_Q4_0, .t_up = TSR_DTYPE_Q8_0, .t_down = TSR_DTYPE_Q4_0,
    .t_out = TSR_DTYPE_NONE};

static const syn_cfg kScaledRope = {
    .dim = 64, .hidden = 64, .layers = 3, .heads = 8, .kv_heads = 2, .head_dim = 8, .vocab = 70, .rope_dims = 6,
    .ctx = 40, .base = 500000.0f, .scale_factor = 2.0f, .eps = 1e-6f, .freq_factors = true, .tied = false,
    .t_emb = TSR_DTYPE_F16, .t_q = TSR_DTYPE_Q8_0, .t_k = TSR_DTYPE_F32, .t_v = TSR_DTYPE_F16,
    .t_o = TSR_DTYPE_Q8_0, .t_gate = TSR_DTYPE_Q4_0, .t_up = TSR_DTYPE_Q4_0, .t_down = TSR_DTYPE_Q8_0,
    .t_out = TSR_DTYPE_Q4_0};

static void run_gguf(const syn_cfg *c) {
  syn_model m;
  make_model(&m, c);
  size_t n = 0;
  void *blob = write_gguf(&m, &n);
  CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
  check_model(&m, blob, n, NULL);
  check_model(&m, blob, n, "cpu:ref");
  free(blob);
  free_model(&m);
}

static void test_gguf_gqa_quant(void) { run_gguf(&kGqaQuant); }
static void test_gguf_scaled_rope(void) { run_gguf(&kScaledRope); }

static syn_cfg l2c_cfg(bool tied) {
  syn_cfg c = kGqaQuant;
  c.hidden = 72;
  c.rope_dims = c.head_dim;
  c.tied = tied;
  c.t_emb = c.t_q = c.t_k = c.t_v = c.t_o = c.t_gate = c.t_up = c.t_down = TSR_DTYPE_F32;
  c.t_out = tied ? TSR_DTYPE_NONE : TSR_DTYPE_F32;
  return c;
}

static void test_llama2c_synthetic(void) {
  for (int tied = 0; tied < 2; ++tied) {
    syn_cfg c = l2c_cfg(tied != 0);
    syn_model m;
    make_model(&m, &c);
    size_t n = 0;
    void *blob = write_llama2c(&m, &n);
    check_model(&m, blob, n, NULL);
    check_model(&m, blob, n, "cpu:ref");
    free(blob);
    free_model(&m);
  }
}

/* ---- corrupt llama2.c files ---- */

static tsr_status try_load(const void *blob, size_t n, tsr_error *err) {
  tsr_llm *m = NULL;
  tsr_llm_options o;
  memset(&o, 0, sizeof(o));
  o.n_threads = 1;
  tsr_status s = tsr_llm_load_memory(blob, n, &o, &m, err);
  if (s == TSR_OK) tsr_llm_free(m);
  return s;
}

static void expect_format(const void *blob, size_t n, const char *word) {
  tsr_error err = {0};
  tsr_status s = try_load(blob, n, &err);
  CU_ASSERT_EQUAL(s, TSR_ERR_FORMAT);
  if (word != NULL && strstr(err.message, word) == NULL) {
    printf("\n    message \"%s\" does not name %s", err.message, word);
    CU_FAIL("the error does not name the field");
  }
}

static void test_llama2c_corrupt(void) {
  syn_cfg c = l2c_cfg(false);
  syn_model m;
  make_model(&m, &c);
  size_t n = 0;
  uint8_t *blob = write_llama2c(&m, &n);
  tsr_error err;
  CU_ASSERT_EQUAL(try_load(blob, n, &err), TSR_OK);
  /* Truncated: 60 points spread over the file, and the edges of fields. */
  const size_t edges[] = {0, 1, 27, 28, 29, n / 2, n - 4, n - 1};
  for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); ++i) {
    uint8_t *cut = aligned_copy(blob, edges[i] ? edges[i] : 1);
    expect_format(cut, edges[i], edges[i] < 28 ? "header" : NULL);
    free(cut);
  }
  for (int k = 1; k <= 60; ++k) {
    size_t len = (size_t)((double)n * k / 61.0);
    uint8_t *cut = aligned_copy(blob, len);
    expect_format(cut, len, "ends inside");
    free(cut);
  }
  /* One byte too many. */
  uint8_t *more = malloc(n + 1);
  memcpy(more, blob, n);
  more[n] = 0;
  expect_format(more, n + 1, "follow the last tensor");
  free(more);
  /* Header fields out of range or inconsistent. */
  static const struct {
    int field;
    int32_t value;
    const char *word;
  } bad[] = {
      {0, 0, "dim"},          {0, -64, "dim"},        {0, 1 << 30, "dim"},       {0, 60, "n_heads"},
      {1, 0, "hidden_dim"},   {2, 0, "n_layers"},     {2, 1 << 20, "n_layers"},  {3, 0, "n_heads"},
      {3, 3, "n_heads"},      {3, 128, "n_heads"},    {4, 0, "n_kv_heads"},      {4, 3, "n_kv_heads"},
      {4, 8, "n_kv_heads"},   {5, 0, "vocab_size"},   {5, INT32_MIN, "vocab_size"}, {6, 0, "seq_len"},
      {6, -1, "seq_len"},     {5, -99, NULL},         {6, 47, NULL},             {3, 64, "odd"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
    uint8_t *cp = aligned_copy(blob, n);
    memcpy(cp + 4 * bad[i].field, &bad[i].value, 4);
    expect_format(cp, n, bad[i].word);
    free(cp);
  }
  /* A newer llama2.c export: unsupported, said so. */
  uint8_t *v1 = aligned_copy(blob, n);
  const uint32_t magic = 0x616b3432u;
  memcpy(v1, &magic, 4);
  CU_ASSERT_EQUAL(try_load(v1, n, &err), TSR_ERR_UNSUPPORTED);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "version"));
  free(v1);
  free(blob);
  free_model(&m);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("llm synthetic", NULL, NULL);
  CU_add_test(s, "GGUF GQA with Q8_0/Q4_0 weights vs reference forward", test_gguf_gqa_quant);
  CU_add_test(s, "GGUF partial + scaled RoPE, rope_freqs, Q4_0 classifier", test_gguf_scaled_rope);
  CU_add_test(s, "llama2.c checkpoint (shared and separate classifier)", test_llama2c_synthetic);
  CU_add_test(s, "llama2.c truncated and corrupt", test_llama2c_corrupt);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned f = CU_get_number_of_failures() + CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return f ? 1 : 0;
}
