/* Host backend: OpenBLAS for GEMMs, fused C loops for the elementwise work. No PETSc header here by design. */
#include <limits.h>
#include <cblas.h>
#include <odyn/private/backend.h>
#include <odyn/private/pointwise.h>
#include <odyn/private/vtanh.h>

static int fits(long v) { return v >= 0 && v <= INT_MAX; }

int odyn_gemm(char transa, char transb, long m, long n, long k, double alpha, const double *A, long lda, const double *B, long ldb, double beta, double *C, long ldc)
{
  if (!fits(m) || !fits(n) || !fits(k) || !fits(lda) || !fits(ldb) || !fits(ldc)) return 1;
  if (m == 0 || n == 0) return 0;
  cblas_dgemm(CblasColMajor, transa == 'T' ? CblasTrans : CblasNoTrans, transb == 'T' ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
  return 0;
}

/*
  tanh dominates narrow networks (docs/benchmarks.md), so it gets a loop of its own: the vectorized tanh of
  include/odyn/private/vtanh.h (within 3 ulp of tanh, 4-8 times cheaper than libm's), with the bias added and sigma'
  written in the same pass. Compiled for AVX-512, AVX2 and the baseline, picked at load time.
*/
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
static void bias_tanh(long n, long s, const double *b, double *A, double *D)
{
  const int wide = odyn_vtanh_wide();

  if (b && n >= 16) { /* bias added in the same pass, one example at a time */
    for (long e = 0; e < s; e++) odyn_vtanh_run(n, b, A + e * n, D ? D + e * n : NULL, wide);
    return;
  }
  /* narrow states (the 2-D examples: n = 2..8) would spend more in each example's partial last vector than in tanh:
     the bias first, then one run over all n s values */
  if (b)
    for (long e = 0; e < s; e++)
      for (long i = 0; i < n; i++) A[e * n + i] += b[i];
  odyn_vtanh_run(n * s, NULL, A, D, wide);
}

void odyn_bias_act(int act, long n, long s, const double *b, double *A, double *D)
{
  if (act == ODYN_PW_TANH) {
    bias_tanh(n, s, b, A, D);
    return;
  }
  for (long e = 0; e < s; e++) {
    double *a = A + e * n;
    double *d = D ? D + e * n : NULL;
    for (long i = 0; i < n; i++) {
      const double x = a[i] + (b ? b[i] : 0.0);
      if (d) d[i] = odyn_act_deriv(act, x);
      a[i] = odyn_act(act, x);
    }
  }
}

void odyn_scaled_hadamard_add(long len, double alpha, const double *D, const double *T, double *out)
{
  for (long i = 0; i < len; i++) out[i] += alpha * D[i] * T[i];
}

void odyn_hadamard_inplace(long len, const double *D, double *T)
{
  for (long i = 0; i < len; i++) T[i] *= D[i];
}

void odyn_rowsum_add(long n, long s, double alpha, const double *T, double *g)
{
  for (long e = 0; e < s; e++)
    for (long i = 0; i < n; i++) g[i] += alpha * T[e * n + i];
}

void odyn_add_bias(long n, long s, const double *b, double *A)
{
  for (long e = 0; e < s; e++)
    for (long i = 0; i < n; i++) A[e * n + i] += b[i];
}

void odyn_axpy(long len, double alpha, const double *x, double *y)
{
  for (long i = 0; i < len; i++) y[i] += alpha * x[i];
}

void odyn_axpby(long len, double alpha, const double *x, double beta, double *y)
{
  for (long i = 0; i < len; i++) y[i] = alpha * x[i] + beta * y[i];
}
