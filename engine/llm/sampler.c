/* Token sampling: repetition penalty, greedy, top-k, temperature, min-p,
 * top-p and a seeded draw. All working memory lives in the caller's block
 * (tsr_sampler_get_size); nothing is allocated and nothing is global.
 *
 * Candidates are ordered by (logit descending, id ascending), a total order,
 * so results never depend on the sorting algorithm's tie handling. */
#include <math.h>
#include <string.h>

#include "tessera/llm.h"

struct tsr_sampler {
  tsr_sampler_params p;
  int32_t vocab;
  uint64_t rng;
  float *work;    /* [vocab] penalised logits */
  int32_t *cand;  /* [vocab] candidate ids, best first after sorting */
  float *prob;    /* [vocab] unnormalised probabilities of the candidates */
  uint8_t *seen;  /* [vocab] repetition-penalty marks, zero between calls */
};

#define SAMPLER_ALIGN 64u

static size_t round_up(size_t v) { return (v + SAMPLER_ALIGN - 1) & ~(size_t)(SAMPLER_ALIGN - 1); }

void tsr_sampler_params_default(tsr_sampler_params *p) {
  if (p == NULL) return;
  memset(p, 0, sizeof(*p));
  p->temperature = 0.8f;
  p->top_k = 40;
  p->top_p = 0.95f;
  p->min_p = 0.05f;
  p->repeat_penalty = 1.0f;
  p->repeat_last_n = 64;
  p->seed = 0;
}

tsr_status tsr_sampler_get_size(int32_t vocab_size, size_t *out_size, size_t *out_align) {
  if (vocab_size <= 0 || out_size == NULL || out_align == NULL) return TSR_ERR_INVALID_ARGUMENT;
  size_t v = (size_t)vocab_size;
  *out_size = round_up(sizeof(struct tsr_sampler)) + round_up(v * sizeof(float)) * 2 +
              round_up(v * sizeof(int32_t)) + round_up(v);
  *out_align = SAMPLER_ALIGN;
  return TSR_OK;
}

/* splitmix64: spreads any seed (0 included) into a non-zero xorshift state. */
static uint64_t mix_seed(uint64_t s) {
  uint64_t z = s + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return z ? z : 0x2545f4914f6cdd1dull;
}

/* xorshift64*, uniform in [0, 1) with 24 bits. */
static float next_uniform(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return (float)((x * 0x2545f4914f6cdd1dull) >> 40) / 16777216.0f;
}

tsr_status tsr_sampler_params_check(const tsr_sampler_params *p, tsr_error *err) {
  if (p == NULL) return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "sampler: NULL parameters");
  const struct {
    const char *name;
    float v;
  } f[] = {{"temperature", p->temperature},
           {"top_p", p->top_p},
           {"min_p", p->min_p},
           {"repeat_penalty", p->repeat_penalty}};
  for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); ++i) {
    if (!isfinite(f[i].v))
      return TSR_ERROR(err, TSR_ERR_INVALID_ARGUMENT, "sampler: %s is %g; it must be a finite number", f[i].name,
                       (double)f[i].v);
  }
  return TSR_OK;
}

tsr_status tsr_sampler_reset(tsr_sampler *s, const tsr_sampler_params *p) {
  if (s == NULL) return TSR_ERR_INVALID_ARGUMENT;
  if (p != NULL) {
    TSR_TRY(tsr_sampler_params_check(p, NULL));
    s->p = *p;
  }
  s->rng = mix_seed(s->p.seed);
  return TSR_OK;
}

tsr_status tsr_sampler_init(const tsr_sampler_params *p, int32_t vocab_size, void *mem, size_t mem_size,
                            tsr_sampler **out) {
  size_t need, align;
  if (p == NULL || mem == NULL || out == NULL) return TSR_ERR_INVALID_ARGUMENT;
  TSR_TRY(tsr_sampler_params_check(p, NULL));
  TSR_TRY(tsr_sampler_get_size(vocab_size, &need, &align));
  if (mem_size < need) return TSR_ERR_BUFFER_TOO_SMALL;
  if ((uintptr_t)mem % align != 0) return TSR_ERR_INVALID_ARGUMENT;
  uint8_t *b = mem;
  size_t v = (size_t)vocab_size;
  tsr_sampler *s = (tsr_sampler *)b;
  memset(s, 0, sizeof(*s));
  b += round_up(sizeof(*s));
  s->work = (float *)b;
  b += round_up(v * sizeof(float));
  s->prob = (float *)b;
  b += round_up(v * sizeof(float));
  s->cand = (int32_t *)b;
  b += round_up(v * sizeof(int32_t));
  s->seen = b;
  memset(s->seen, 0, v);
  s->vocab = vocab_size;
  TSR_TRY(tsr_sampler_reset(s, p));
  *out = s;
  return TSR_OK;
}

/* True if candidate a ranks before b. */
static inline bool better(const float *w, int32_t a, int32_t b) { return w[a] > w[b] || (w[a] == w[b] && a < b); }

/* Min-heap by rank (the root is the worst candidate). */
static void sift_down(const float *w, int32_t *h, size_t n, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && better(w, h[m], h[l])) m = l;
    if (r < n && better(w, h[m], h[r])) m = r;
    if (m == i) return;
    int32_t t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

/* Leaves the best |k| of the |n| ids in h[0..k), sorted best first. */
static void select_sorted(const float *w, int32_t *h, size_t n, size_t k) {
  for (size_t i = k / 2; i-- > 0;) sift_down(w, h, k, i);
  for (size_t i = k; i < n; ++i) {
    if (better(w, h[i], h[0])) {
      h[0] = h[i];
      sift_down(w, h, k, 0);
    }
  }
  for (size_t end = k; end-- > 1;) {
    int32_t t = h[0];
    h[0] = h[end];
    h[end] = t;
    sift_down(w, h, end, 0);
  }
}

static void apply_penalty(tsr_sampler *s, const int32_t *hist, size_t n_hist) {
  const float pen = s->p.repeat_penalty;
  if (hist == NULL || n_hist == 0 || !(pen > 0.0f) || pen == 1.0f) return;
  size_t win = s->p.repeat_last_n == 0 ? 64 : (s->p.repeat_last_n < 0 ? n_hist : (size_t)s->p.repeat_last_n);
  if (win > n_hist) win = n_hist;
  const int32_t *h = hist + (n_hist - win);
  for (size_t i = 0; i < win; ++i) {
    int32_t id = h[i];
    if (id < 0 || id >= s->vocab || s->seen[id]) continue;
    s->seen[id] = 1;
    float *l = &s->work[id];
    *l = *l > 0.0f ? *l / pen : *l * pen;
  }
  for (size_t i = 0; i < win; ++i) {
    if (h[i] >= 0 && h[i] < s->vocab) s->seen[h[i]] = 0;
  }
}

tsr_status tsr_sampler_sample(tsr_sampler *s, const float *logits, const int32_t *history, size_t n_history,
                              int32_t *out_id) {
  if (s == NULL || logits == NULL || out_id == NULL) return TSR_ERR_INVALID_ARGUMENT;
  const size_t v = (size_t)s->vocab;
  for (size_t i = 0; i < v; ++i) s->work[i] = isnan(logits[i]) ? -INFINITY : logits[i];
  apply_penalty(s, history, n_history);
  const float *w = s->work;
  if (!(s->p.temperature > 0.0f)) {
    int32_t best = 0;
    for (size_t i = 1; i < v; ++i) {
      if (w[i] > w[best]) best = (int32_t)i;
    }
    *out_id = best;
    return TSR_OK;
  }
  /* Top-k (all when k <= 0), sorted best first. */
  size_t n = (s->p.top_k > 0 && (size_t)s->p.top_k < v) ? (size_t)s->p.top_k : v;
  for (size_t i = 0; i < v; ++i) s->cand[i] = (int32_t)i;
  select_sorted(w, s->cand, v, n);
  /* Softmax at the temperature over the candidates. */
  const double inv_t = 1.0 / (double)s->p.temperature, top = (double)w[s->cand[0]];
  if (!isfinite(top)) { /* every logit -inf: nothing to weigh */
    *out_id = s->cand[0];
    return TSR_OK;
  }
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    double e = exp(((double)w[s->cand[i]] - top) * inv_t);
    s->prob[i] = (float)e;
    sum += e;
  }
  /* Min-p: relative to the best candidate (probability 1 before scaling). */
  if (s->p.min_p > 0.0f) {
    size_t keep = 1;
    while (keep < n && s->prob[keep] >= s->p.min_p) ++keep;
    n = keep;
    sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += s->prob[i];
  }
  /* Top-p: the smallest prefix holding top_p of the mass. */
  if (s->p.top_p > 0.0f && s->p.top_p < 1.0f) {
    double target = (double)s->p.top_p * sum, cum = 0.0;
    size_t keep = 0;
    while (keep < n) {
      cum += s->prob[keep++];
      if (cum >= target) break;
    }
    n = keep;
    sum = cum;
  }
  double r = (double)next_uniform(&s->rng) * sum, acc = 0.0;
  for (size_t i = 0; i < n; ++i) {
    acc += s->prob[i];
    if (r < acc) {
      *out_id = s->cand[i];
      return TSR_OK;
    }
  }
  *out_id = s->cand[n - 1];
  return TSR_OK;
}
