/* Small helpers of the GPU parity tests (tests/gpu/test_gpu_*.c): plain C, no PETSc, no check library (the device code
   has no PETSc either); each test prints one line per comparison and exits 0 (pass), 1 (fail) or 2 (no device). */
#ifndef ODYN_GPUCHECK_H
#define ODYN_GPUCHECK_H
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <odyn/private/cudakernels.h>
#include <odyn/private/pointwise.h> /* the dense sweeps' activations */

static unsigned long long gc_state = 88172645463325252ULL;
static int                gc_failures;

/* xorshift64: the same data on every machine, in [-scale, scale] */
static inline double gc_rand(double scale)
{
  gc_state ^= gc_state << 13;
  gc_state ^= gc_state >> 7;
  gc_state ^= gc_state << 17;
  return scale * (2.0 * (double)(gc_state >> 11) / 9007199254740992.0 - 1.0);
}
static inline void gc_fill(double *a, long len, double scale)
{
  for (long i = 0; i < len; i++) a[i] = gc_rand(scale);
}
static inline double *gc_host(long len)
{
  double *a = (double *)calloc((size_t)(len > 0 ? len : 1), sizeof(double));
  if (!a) {
    fprintf(stderr, "out of host memory (%ld doubles)\n", len);
    exit(1);
  }
  return a;
}
/* a status other than 0 is a failure of the test program itself */
#define GC_CALL(call) \
  do { \
    int gc_st_ = (call); \
    if (gc_st_) { \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, odyn_cuda_status_string(gc_st_)); \
      exit(1); \
    } \
  } while (0)
static inline double *gc_dev(const double *h, long len)
{
  double *d = NULL;
  GC_CALL(odyn_cuda_malloc(&d, len > 0 ? len : 1));
  if (h && len > 0) GC_CALL(odyn_cuda_to_device(d, h, len));
  return d;
}
static inline double *gc_back(const double *d, long len)
{
  double *h = gc_host(len);
  GC_CALL(odyn_cuda_synchronize());
  GC_CALL(odyn_cuda_to_host(h, d, len));
  return h;
}
/* norm-wise relative difference ||a - b|| / ||b|| (absolute when b = 0) */
static inline double gc_reldiff(const double *a, const double *b, long len)
{
  double d = 0.0, nb = 0.0;
  for (long i = 0; i < len; i++) {
    d += (a[i] - b[i]) * (a[i] - b[i]);
    nb += b[i] * b[i];
  }
  return nb > 0.0 ? sqrt(d / nb) : sqrt(d);
}
static inline double gc_dot(const double *a, const double *b, long len)
{
  double s = 0.0;
  for (long i = 0; i < len; i++) s += a[i] * b[i];
  return s;
}
static inline void gc_expect(const char *what, double rel, double tol)
{
  const int ok = rel <= tol; /* NaN fails */
  printf("%-72s %.3e (tol %.0e) %s\n", what, rel, tol, ok ? "ok" : "FAIL");
  if (!ok) gc_failures++;
}
/* gc_expect with a printf-style label */
static inline void gc_expectf(double rel, double tol, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void gc_expectf(double rel, double tol, const char *fmt, ...)
{
  char    what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  gc_expect(what, rel, tol);
}
/* a dot-product test's relative difference: lhs = <W, J v>, rhs = <J^T W, v> */
static inline double gc_dotdiff(double lhs, double rhs) { return fabs(lhs - rhs) / fmax(fabs(lhs), 1e-300); }
/* |lhs - rhs| / (||a|| ||b||) for lhs = <a, b>: the rounding of a long dot product of mixed signs grows with the sum of
   |a_i b_i|, not with |<a, b>| (which cancels): for 1.4 million terms |lhs - rhs| / |lhs| reached 1.02e-12 on an H200
   while |lhs - rhs| / (||a|| ||b||) stays near machine precision */
static inline double gc_dotdiff_scaled(double lhs, double rhs, const double *a, const double *b, long len)
{
  double na = 0, nb = 0;
  for (long i = 0; i < len; i++) {
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return fabs(lhs - rhs) / fmax(sqrt(na * nb), 1e-300);
}
/* out = x + e v: a perturbed point for central differences */
static inline void gc_shift(double *out, const double *x, double e, const double *v, long len)
{
  for (long i = 0; i < len; i++) out[i] = x[i] + e * v[i];
}
/* fd = (fp - fm) / (2 eps): central differences of F(x + eps v) and F(x - eps v), J v + O(eps^2) */
static inline void gc_central(double *fd, const double *fp, const double *fm, long len, double eps)
{
  for (long i = 0; i < len; i++) fd[i] = (fp[i] - fm[i]) / (2 * eps);
}
/* the random directions and weights of a sweep test, each entry uniform in (-1, 1): dtheta and the gradient's start
   g0 (np), Y0, dY0 and W (ns) */
static inline void gc_fill_sweep_inputs(long np, long ns, double *dtheta, double *g0, double *Y0, double *dY0, double *W)
{
  gc_fill(dtheta, np, 1.0);
  gc_fill(Y0, ns, 1.0);
  gc_fill(dY0, ns, 1.0);
  gc_fill(W, ns, 1.0);
  gc_fill(g0, np, 1.0);
}
/* the dense sweeps' activations, for the labels (any other code: "bad") */
static inline const char *gc_act_name(int act) { return act == ODYN_PW_TANH ? "tanh" : act == ODYN_PW_RELU ? "relu" : act == ODYN_PW_IDENTITY ? "identity" : "bad"; }
/* a call with an activation none of identity, tanh and relu (st its status): ODYN_CUDA_ERR_ARG naming the activation */
static inline void gc_expect_act_refused(const char *what, int act, int st)
{
  char code[32];
  snprintf(code, sizeof code, "activation %d", act);
  const int ok = st == ODYN_CUDA_ERR_ARG && strstr(odyn_cuda_status_string(st), code) != NULL;
  printf("%-72s %s: %s\n", what, ok ? "refused" : "FAIL", odyn_cuda_status_string(st));
  if (!ok) gc_failures++;
}
/* exit 2 (ctest: skipped) without a device */
static inline void gc_require_device(const char *name)
{
  int count = 0;
  odyn_cuda_device_count(&count);
  if (count < 1) {
    printf("%s: no CUDA device, skipped\n", name);
    exit(2);
  }
}
#endif
