/*
   Host convolution kernels: im2col + OpenBLAS DGEMM (see include/odyn/private/convkernels.h for the layouts), or the
   direct kernels of convdirect.c for 3x3 stencils and few channels (odyn_conv_uses_direct() decides, per call).
   No PETSc header here by design (src/backend/ stays device-neutral).

   Why chunks: the im2col matrix has k^2 cin values per output pixel (54 for a 3x3 stencil and 6 channels), so for a
   whole batch it is 9 times larger than the state; written and then read back by the GEMM from main memory it would
   make the convolution memory-bound. A chunk of examples whose im2col block fits in the L2/L3 cache keeps the GEMM
   fed from cache, while the chunk still puts thousands of rows (h w x examples) in the GEMM's long dimension.
*/
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cblas.h>
#include <odyn/private/convkernels.h>
#include <odyn/private/backend.h>
#include <odyn/private/pointwise.h>

/* target size of one chunk's im2col block in scalars: 98304 (768 KiB, 3/4 of the 1 MiB L2 of the machine measured);
   bench/bench_conv.c -chunk measures other values (docs/benchmarks.md: 2 MiB blocks were 1.5 times slower). A
   process-wide tuning knob, like OpenBLAS's own blocking sizes. */
static long chunk_target = 98304;

void odyn_conv_set_chunk_target(long scalars) { chunk_target = scalars > 0 ? scalars : 98304; }

/* path of the kernels (odyn_conv_set_method()); -1: not yet read from ODYN_CONV_METHOD */
static int conv_method = -1, conv_method_bad = 0;

static int method(void)
{
  if (conv_method < 0) {
    const char *env = getenv("ODYN_CONV_METHOD");
    conv_method     = ODYN_CONV_METHOD_AUTO;
    if (env && !strcmp(env, "direct")) conv_method = ODYN_CONV_METHOD_DIRECT;
    else if (env && !strcmp(env, "gemm")) conv_method = ODYN_CONV_METHOD_GEMM;
    else if (env && strcmp(env, "auto")) conv_method_bad = 1;
  }
  return conv_method;
}

void odyn_conv_set_method(int m) { conv_method = m == ODYN_CONV_METHOD_DIRECT || m == ODYN_CONV_METHOD_GEMM ? m : ODYN_CONV_METHOD_AUTO; }
int  odyn_conv_get_method(void) { return method(); }
int  odyn_conv_method_from_env(void) { return (void)method(), conv_method_bad; }

int odyn_conv_uses_direct(const odyn_conv_geom *g)
{
  const int m = method();
  if (!odyn_conv_direct_supported(g) || m == ODYN_CONV_METHOD_GEMM) return 0;
  /* the rule: measured on 28x28 images with 6 channels (docs/benchmarks.md); with many channels the GEMM is no longer
     thin and OpenBLAS's blocking wins, on images narrower than a vector most of the direct kernel's lanes idle */
  return m == ODYN_CONV_METHOD_DIRECT || (g->cin <= 16 && g->cout <= 16 && g->w >= 4);
}

static long lmax(long a, long b) { return a > b ? a : b; }
static long lmin(long a, long b) { return a < b ? a : b; }
static int  fits(long v) { return v >= 0 && v <= INT_MAX; }

static long chunk_examples(const odyn_conv_geom *g)
{
  const long per = g->h * g->w * lmax(g->cin, g->cout) * g->k * g->k;
  return lmax(1, chunk_target / lmax(per, 1));
}

long odyn_conv_chunk_examples(const odyn_conv_geom *g) { return chunk_examples(g); }

double *odyn_conv_sweep_scratch(const odyn_conv_geom *g, long s, double **tvwork, double **T)
{
  const long nw = odyn_conv_work_size(g), hw = g->h * g->w;
  double    *work = (double *)malloc((size_t)(nw + hw + (T ? g->cout * hw * lmin(chunk_examples(g), s) : 0)) * sizeof(double));

  if (work) *tvwork = work + nw;
  if (work && T) *T = work + nw + hw;
  return work;
}

long odyn_conv_work_size(const odyn_conv_geom *g)
{
  const long cmax = lmax(g->cin, g->cout), kk = g->k * g->k, M = g->h * g->w * chunk_examples(g);
  /* flipped stencil (adjoint) | im2col block M x cmax k^2 | GEMM result M x cmax, or the direct path's (either
     path may be chosen after the workspace was sized: odyn_conv_set_method()) */
  return g->cin * g->cout * kk + lmax(M * cmax * kk + M * cmax, odyn_conv_direct_supported(g) ? odyn_conv_direct_work_size(g) : 0);
}

void odyn_conv_flip_add(long cin, long cout, long k, double alpha, const double *K, double *Kf)
{
  for (long o = 0; o < cout; o++)
    for (long c = 0; c < cin; c++)
      for (long a = 0; a < k; a++)
        for (long b = 0; b < k; b++) Kf[((c * cout + o) * k + a) * k + b] += alpha * K[((o * cin + c) * k + (k - 1 - a)) * k + (k - 1 - b)];
}

/*
  col (M x cin k^2, M = h w ns, column-major): col[q][el h w + p] = X_el[c][p shifted by (a, b)], q = (c k + a) k + b.
  Each (q, example) plane is one contiguous copy of the shifted image (a row shift is a shift by w in the plane, a column
  shift one by 1) followed by zeroing what fell outside: the rows above or below, and the entries that wrapped around
  from the neighbouring row. Long copies instead of one per image row keep im2col at memory speed.
*/
static void im2col(const odyn_conv_geom *g, long cin, long ns, const double *X, double *col)
{
  const long h = g->h, w = g->w, hw = h * w, k = g->k, pad = k / 2, M = hw * ns;

  for (long c = 0; c < cin; c++)
    for (long a = 0; a < k; a++)
      for (long b = 0; b < k; b++) {
        const long di = a - pad, dj = b - pad, ilo = lmax(0, -di), ihi = lmin(h, h - di);
        double    *dst = col + ((c * k + a) * k + b) * M;
        for (long el = 0; el < ns; el++) {
          const double *src = X + (el * cin + c) * hw;
          double       *d   = dst + el * hw;
          if (ihi <= ilo || lmax(dj, -dj) >= w) {
            memset(d, 0, (size_t)hw * sizeof(double));
            continue;
          }
          {
            /* d[t] = src[t + di w + dj] for t in [ilo w, ihi w), clipped so that no read leaves the plane */
            const long t0 = ilo * w + (dj < 0 ? -dj : 0), t1 = ihi * w - (dj > 0 ? dj : 0);
            memset(d, 0, (size_t)t0 * sizeof(double));
            memcpy(d + t0, src + t0 + di * w + dj, (size_t)(t1 - t0) * sizeof(double));
            memset(d + t1, 0, (size_t)(hw - t1) * sizeof(double));
          }
          if (dj > 0)
            for (long i = ilo; i < ihi; i++)
              for (long j = w - dj; j < w; j++) d[i * w + j] = 0.0;
          else if (dj < 0)
            for (long i = ilo; i < ihi; i++)
              for (long j = 0; j < -dj; j++) d[i * w + j] = 0.0;
        }
      }
}

/* forward on a geometry with the stencil K (cout x cin x k x k); work holds im2col block and GEMM result */
static int conv_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, double *Y, double *work)
{
  const long hw = g->h * g->w, kd = g->cin * g->k * g->k, ch = chunk_examples(g);
  double    *col = work, *T = work + hw * ch * lmax(g->cin, g->cout) * g->k * g->k;

  if (odyn_conv_uses_direct(g)) {
    odyn_conv_direct_forward(g, s, K, alpha, X, beta, NULL, ODYN_PW_IDENTITY, Y, NULL, work);
    return 0;
  }
  if (!fits(hw * ch * kd) || !fits(kd) || !fits(g->cout)) return 1;
  for (long e0 = 0; e0 < s; e0 += ch) {
    const long ns = lmin(ch, s - e0), M = hw * ns;
    im2col(g, g->cin, ns, X + e0 * g->cin * hw, col);
    if (ns == 1) {
      /* one example (large images): the GEMM's output, channel-major, is the example's column of Y itself */
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)g->cout, (int)kd, alpha, col, (int)M, K, (int)kd, beta, Y + e0 * g->cout * hw, (int)M);
      continue;
    }
    /* T (M x cout) = col (M x kd) K^T, K read as kd x cout column-major */
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)g->cout, (int)kd, alpha, col, (int)M, K, (int)kd, 0.0, T, (int)M);
    /* T is channel-major over the whole chunk; the state is channel-major per example */
    for (long el = 0; el < ns; el++)
      for (long o = 0; o < g->cout; o++) {
        const double *t = T + o * M + el * hw;
        double       *y = Y + ((e0 + el) * g->cout + o) * hw;
        if (beta == 0.0) memcpy(y, t, (size_t)hw * sizeof(double));
        else
          for (long p = 0; p < hw; p++) y[p] = beta * y[p] + t[p];
      }
  }
  return 0;
}

int odyn_conv_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, double *Y, double *work)
{
  return conv_forward(g, s, K, alpha, X, beta, Y, work + g->cin * g->cout * g->k * g->k);
}

int odyn_conv_forward_bias(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *b, double *Y, double *work)
{
  if (odyn_conv_uses_direct(g)) {
    odyn_conv_direct_forward(g, s, K, 1.0, X, 0.0, b, ODYN_PW_IDENTITY, Y, NULL, work + g->cin * g->cout * g->k * g->k);
    return 0;
  }
  if (conv_forward(g, s, K, 1.0, X, 0.0, Y, work + g->cin * g->cout * g->k * g->k)) return 1;
  odyn_channel_bias_add(g->cout, g->h * g->w, s, b, Y);
  return 0;
}

int odyn_conv_forward_bias_act(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *b, int act, double *Y, double *D, double *work)
{
  if (odyn_conv_uses_direct(g)) {
    odyn_conv_direct_forward(g, s, K, 1.0, X, 0.0, b, act, Y, D, work + g->cin * g->cout * g->k * g->k);
    return 0;
  }
  if (odyn_conv_forward_bias(g, s, K, X, b, Y, work)) return 1;
  odyn_bias_act(act, g->cout * g->h * g->w, s, NULL, Y, D);
  return 0;
}

int odyn_conv_forward_bias_act_euler(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *b, int act, double h, double *Y, double *D, double *work)
{
  if (g->cin != g->cout) return 1;
  if (odyn_conv_uses_direct(g)) return odyn_conv_direct_forward_euler(g, s, K, X, b, act, h, Y, D, work + g->cin * g->cout * g->k * g->k);
  if (odyn_conv_forward_bias_act(g, s, K, X, b, act, Y, D, work)) return 1;
  odyn_axpby(g->cout * g->h * g->w * s, 1.0, X, h, Y);
  return 0;
}

int odyn_conv_adjoint(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *Y, double beta, double *X, double *work)
{
  const long     nk = g->cin * g->cout * g->k * g->k;
  odyn_conv_geom t  = {g->h, g->w, g->cout, g->cin, g->k};

  /* K^T is the convolution with the flipped stencil from cout to cin channels (zero padding "same", k odd) */
  memset(work, 0, (size_t)nk * sizeof(double));
  odyn_conv_flip_add(g->cin, g->cout, g->k, 1.0, K, work);
  return conv_forward(&t, s, work, alpha, Y, beta, X, work + nk);
}

int odyn_conv_stencil_grad(const odyn_conv_geom *g, long s, const double *X, const double *W, double alpha, double *G, double *work)
{
  const long hw = g->h * g->w, kd = g->cin * g->k * g->k, ch = chunk_examples(g);
  double    *col = work + g->cin * g->cout * g->k * g->k, *T = col + hw * ch * lmax(g->cin, g->cout) * g->k * g->k;

  if (odyn_conv_uses_direct(g)) {
    odyn_conv_direct_stencil_grad(g, s, X, W, alpha, G, work + g->cin * g->cout * g->k * g->k);
    return 0;
  }
  if (!fits(hw * ch * kd) || !fits(kd) || !fits(g->cout)) return 1;
  for (long e0 = 0; e0 < s; e0 += ch) {
    const long ns = lmin(ch, s - e0), M = hw * ns;
    im2col(g, g->cin, ns, X + e0 * g->cin * hw, col);
    for (long el = 0; el < ns; el++)
      for (long o = 0; o < g->cout; o++) memcpy(T + o * M + el * hw, W + ((e0 + el) * g->cout + o) * hw, (size_t)hw * sizeof(double));
    /* G (kd x cout) += alpha col^T T */
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)kd, (int)g->cout, (int)M, alpha, col, (int)M, T, (int)M, 1.0, G, (int)kd);
  }
  return 0;
}

void odyn_channel_bias_add(long c, long hw, long s, const double *b, double *A)
{
  for (long e = 0; e < s; e++)
    for (long ch = 0; ch < c; ch++) {
      double *a = A + (e * c + ch) * hw;
      for (long p = 0; p < hw; p++) a[p] += b[ch];
    }
}

void odyn_channel_sum_add(long c, long hw, long s, double alpha, const double *A, double *g)
{
  for (long e = 0; e < s; e++)
    for (long ch = 0; ch < c; ch++) {
      const double *a   = A + (e * c + ch) * hw;
      double        sum = 0.0;
      for (long p = 0; p < hw; p++) sum += a[p];
      g[ch] += alpha * sum;
    }
}

void odyn_channel_dot_add(long c, long hw, long s, double alpha, const double *A, const double *B, double *g)
{
  for (long e = 0; e < s; e++)
    for (long ch = 0; ch < c; ch++) {
      const double *a = A + (e * c + ch) * hw, *b = B + (e * c + ch) * hw;
      double        sum = 0.0;
      for (long p = 0; p < hw; p++) sum += a[p] * b[p];
      g[ch] += alpha * sum;
    }
}

void odyn_channel_affine_add(long c, long hw, long s, const double *scale, const double *bias, const double *U, double *A)
{
  for (long e = 0; e < s; e++)
    for (long ch = 0; ch < c; ch++) {
      const double *u = U + (e * c + ch) * hw;
      double       *a = A + (e * c + ch) * hw;
      for (long p = 0; p < hw; p++) a[p] += scale[ch] * u[p] + bias[ch];
    }
}

void odyn_channel_affine(long c, long hw, long s, const double *scale, const double *bias, const double *U, double *A)
{
  for (long e = 0; e < s; e++)
    for (long ch = 0; ch < c; ch++) {
      const double *u = U + (e * c + ch) * hw;
      double       *a = A + (e * c + ch) * hw;
      const double  sc = scale[ch], bi = bias ? bias[ch] : 0.0;
      for (long p = 0; p < hw; p++) a[p] = sc * u[p] + bi;
    }
}

void odyn_tvnorm(long c, long hw, long s, double eps, const double *U, double *Uhat, double *rinv, double *work)
{
  for (long e = 0; e < s; e++) {
    const double *u  = U + e * c * hw;
    double       *uh = Uhat + e * c * hw, *r = rinv ? rinv + e * hw : work;
    for (long p = 0; p < hw; p++) work[p] = eps;
    for (long ch = 0; ch < c; ch++)
      for (long p = 0; p < hw; p++) work[p] += u[ch * hw + p] * u[ch * hw + p];
    for (long p = 0; p < hw; p++) r[p] = 1.0 / sqrt(work[p]);
    for (long ch = 0; ch < c; ch++)
      for (long p = 0; p < hw; p++) uh[ch * hw + p] = u[ch * hw + p] * r[p];
  }
}

void odyn_tvnorm_jac(long c, long hw, long s, const double *Uhat, const double *rinv, double *V, double *work)
{
  for (long e = 0; e < s; e++) {
    const double *uh = Uhat + e * c * hw, *r = rinv + e * hw;
    double       *v  = V + e * c * hw;
    for (long p = 0; p < hw; p++) work[p] = 0.0;
    for (long ch = 0; ch < c; ch++)
      for (long p = 0; p < hw; p++) work[p] += uh[ch * hw + p] * v[ch * hw + p];
    for (long ch = 0; ch < c; ch++)
      for (long p = 0; p < hw; p++) v[ch * hw + p] = r[p] * (v[ch * hw + p] - uh[ch * hw + p] * work[p]);
  }
}

void odyn_tvnorm_forward_product(long c, long hw, long s, const double *scale, const double *Uhat, const double *rinv, double *V, double *work)
{
  odyn_tvnorm_jac(c, hw, s, Uhat, rinv, V, work);
  odyn_channel_affine(c, hw, s, scale, NULL, V, V);
}

void odyn_tvnorm_adjoint_product(long c, long hw, long s, const double *scale, const double *Uhat, const double *rinv, double *V, double *work)
{
  odyn_channel_affine(c, hw, s, scale, NULL, V, V);
  odyn_tvnorm_jac(c, hw, s, Uhat, rinv, V, work); /* symmetric per pixel: its own transpose */
}

void odyn_avgpool2(long c, long h, long w, long s, double alpha, const double *X, double beta, double *Y)
{
  const long h2 = h / 2, w2 = w / 2;

  for (long e = 0; e < s; e++)
    for (long ch = 0; ch < c; ch++) {
      const double *x = X + (e * c + ch) * h * w;
      double       *y = Y + (e * c + ch) * h2 * w2;
      for (long i = 0; i < h2; i++)
        for (long j = 0; j < w2; j++) {
          const double v = 0.25 * alpha * (x[2 * i * w + 2 * j] + x[2 * i * w + 2 * j + 1] + x[(2 * i + 1) * w + 2 * j] + x[(2 * i + 1) * w + 2 * j + 1]);
          y[i * w2 + j]  = beta == 0.0 ? v : beta * y[i * w2 + j] + v;
        }
    }
}

void odyn_avgpool2_adjoint(long c, long h, long w, long s, double alpha, const double *Y, double beta, double *X)
{
  const long h2 = h / 2, w2 = w / 2;

  for (long e = 0; e < s; e++)
    for (long ch = 0; ch < c; ch++) {
      const double *y = Y + (e * c + ch) * h2 * w2;
      double       *x = X + (e * c + ch) * h * w;
      for (long i = 0; i < h; i++)
        for (long j = 0; j < w; j++) {
          const double v = 0.25 * alpha * y[(i / 2) * w2 + j / 2];
          x[i * w + j]   = beta == 0.0 ? v : beta * x[i * w + j] + v;
        }
    }
}
