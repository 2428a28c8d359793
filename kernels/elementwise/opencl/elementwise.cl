/* UNARY and BINARY on OpenCL: a grid-stride loop over the elements of a
 * collapsed strided index space (numpy broadcasting: stride 0 along the
 * broadcast dimensions); neighbouring work-items take neighbouring
 * elements. Functions in f32 with the built-in math library. */

inline float tsr_unary_eval(int kind, float x, float alpha, float beta) {
  switch (kind) {
    case 0: return x / (1.0f + exp(-x));                                          /* silu */
    case 1: return 0.5f * x * (1.0f + tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case 2: return 0.5f * x * (1.0f + erf(x * 0.7071067811865476f));             /* gelu_erf */
    case 3: return x > 0.0f ? x : 0.0f;                                           /* relu */
    case 4: return x < 0.0f ? alpha * x : x;                                      /* leaky_relu */
    case 5: return 1.0f / (1.0f + exp(-x));                                       /* sigmoid */
    case 6: return fmax(0.0f, fmin(1.0f, alpha * x + beta));                      /* hard_sigmoid */
    case 7: return x * fmax(0.0f, fmin(1.0f, x / 6.0f + 0.5f));                   /* hard_swish */
    case 8: return tanh(x);
    case 9: return erf(x);
    case 10: return sqrt(x);
    case 11: return exp(x);
    case 12: return -x;
    case 13: return fabs(x);
    case 14: return fmin(fmax(x, alpha), beta);                                   /* clip */
    case 15: return alpha * x + beta;                                             /* scale */
    default: return 0.0f;
  }
}

inline float tsr_binary_eval(int kind, float a, float b) {
  switch (kind) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return pow(a, b);
    case 5: return fmax(a, b);
    case 6: return fmin(a, b);
    case 7: return a < 0.0f ? a * b : a;                  /* prelu */
    case 8: return a / (1.0f + exp(-a)) * b;              /* swiglu */
    default: return 0.0f;
  }
}

/* y = f(x). P: index space over (x, y); n elements. */
kernel void tsr_unary_f32(global const uchar *x, ulong xo, global uchar *y, ulong yo,
                          global const long *P, ulong po, long n, int kind, float alpha,
                          float beta) {
  P += po;
  const long step = get_global_size(0);
  if (P[0] == 1) { /* one collapsed dimension: strides in registers */
    const long sx = P[7], sy = P[13];
    global const uchar *xb = x + xo;
    global uchar *yb = y + yo;
    for (long i = get_global_id(0); i < n; i += step)
      *(global float *)(yb + i * sy) = tsr_unary_eval(kind, tsr_ld_f32(xb + i * sx), alpha, beta);
    return;
  }
  for (long i = get_global_id(0); i < n; i += step) {
    long off[2];
    tsr_unravel(P, i, 2, off);
    const float v = tsr_ld_f32(x + xo + off[0]);
    *(global float *)(y + yo + off[1]) = tsr_unary_eval(kind, v, alpha, beta);
  }
}

/* y = f(a, b). P: index space over (a, b, y); n elements. */
kernel void tsr_binary_f32(global const uchar *a, ulong ao, global const uchar *b, ulong bo,
                           global uchar *y, ulong yo, global const long *P, ulong po, long n,
                           int kind) {
  P += po;
  const long step = get_global_size(0);
  if (P[0] == 1) { /* one collapsed dimension: strides in registers */
    const long sa = P[7], sb = P[13], sy = P[19];
    global const uchar *ab = a + ao, *bb = b + bo;
    global uchar *yb = y + yo;
    for (long i = get_global_id(0); i < n; i += step)
      *(global float *)(yb + i * sy) = tsr_binary_eval(kind, tsr_ld_f32(ab + i * sa), tsr_ld_f32(bb + i * sb));
    return;
  }
  for (long i = get_global_id(0); i < n; i += step) {
    long off[3];
    tsr_unravel(P, i, 3, off);
    const float va = tsr_ld_f32(a + ao + off[0]), vb = tsr_ld_f32(b + bo + off[1]);
    *(global float *)(y + yo + off[2]) = tsr_binary_eval(kind, va, vb);
  }
}
