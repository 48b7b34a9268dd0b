/*
   The host table's whole-block sweeps of a dense leapfrog block (include/odyn/private/backend.h,
   dense_leapfrog_*): Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 sigma(K_j Y_j + b_j), Y_{-1} = Y_0, the parameters laid out as the
   Euler sweeps' (denseeuler.c).

   They perform the host path's operations (src/schemes/impls/leapfrog.c with the dense layer of
   src/layers/impls/affine.c), in its order and with its operands, so that a block delegated to the host table
   (-odyn_backend hostref) gives that path's results bit for bit; what they add is the plumbing the cuda table needs.
   Step by step, as the host path (h2 = h^2, D_j = sigma' at step j):
     forward   F = K_j Y_j (DGEMM), sigma(F + b_j) with D_j (odyn_bias_act), Y_{j+1} = 2 Y_j - Y_{j-1} + h2 F
     tangent   L = D_j .* (K_j dY_j) + D_j .* (dK_j Y_j + db_j), dY_{j+1} = 2 dY_j - dY_{j-1} + h2 L
     adjoint   cur = A_{j+1}, prev = A_j so far: T = D_j .* cur; gK_j += h2 T Y_j^T, gb_j += h2 rowsum(T);
               prev += h2 K_j^T T; then prev += 2 cur and A_{j-1} starts as -cur (j = 0: prev += cur, as Y_{-1} = Y_0)
   The reversible sweeps (-odyn_scheme_trajectory recompute) take the same steps, the states recomputed forward from Y_0
   in the tangent and rebuilt backwards in the adjoint, Y_{j-1} = 2 Y_j - Y_{j+1} + h2 F(Y_j), from F of the step's
   linearization: the host path's recomputing sweeps' values. No PETSc here, like the rest of src/backend/.
   sigma is the activation act: identity, tanh or relu (the table checks it).
*/
#include <stdlib.h>
#include <string.h>
#include <odyn/private/backend.h>
#include <odyn/private/pointwise.h>

/* out = 2 cur - prev + h2 F, elementwise (leapfrog.c's update; out may alias prev or F) */
static void Combine(long len, double h2, const double *cur, const double *prev, const double *F, double *out)
{
  for (long i = 0; i < len; i++) out[i] = 2.0 * cur[i] - prev[i] + h2 * F[i];
}

long odyn_host_dense_leapfrog_linsize(long n, long N, long s) { return N * n * s; }

/* Y_{j+1} into out: out = K_j Y_j, act(out + b_j) with D_j = sigma' (D may be NULL), out = 2 Y_j - Y_{j-1} + h2 out */
static int StepForward(int act, long n, long s, double h2, const double *K, const double *Yj, const double *Yjm1, double *out, double *D)
{
  if (odyn_gemm('N', 'N', n, s, n, 1.0, K, n, Yj, n, 0.0, out, n)) return ODYN_BACKEND_ERR_SIZE;
  odyn_bias_act(act, n, s, K + n * n, out, D);
  Combine(n * s, h2, Yj, Yjm1, out, out);
  return 0;
}

/* dY_{j+1} into next from cur = dY_j, prev = dY_{j-1}: L = D .* (K dY_j) + D .* (dK Y_j + db) (dK NULL: none) */
static void StepTangent(long n, long s, double h2, const double *K, const double *dK, const double *Yj, const double *D, const double *cur, const double *prev, double *next, double *L, double *T)
{
  const long len = n * s;

  memset(L, 0, (size_t)len * sizeof(double));
  (void)odyn_gemm('N', 'N', n, s, n, 1.0, K, n, cur, n, 0.0, T, n); /* sizes checked by the caller */
  odyn_scaled_hadamard_add(len, 1.0, D, T, L);
  if (dK) {
    (void)odyn_gemm('N', 'N', n, s, n, 1.0, dK, n, Yj, n, 0.0, T, n);
    odyn_add_bias(n, s, dK + n * n, T);
    odyn_scaled_hadamard_add(len, 1.0, D, T, L);
  }
  Combine(len, h2, cur, prev, L, next);
}

/* step j of the adjoint: cur = A_{j+1} (complete), prev = A_j (partial); the gradient of step j into g (NULL: none),
   prev += h2 K^T (D .* cur), then prev += 2 cur and next = -cur, the start of A_{j-1} (j = 0: prev += cur) */
static void StepAdjoint(long n, long s, long j, double h2, const double *K, const double *Yj, const double *D, const double *cur, double *prev, double *next, double *T, double *G, double *g)
{
  const long len = n * s;

  if (g) {
    memcpy(T, cur, (size_t)len * sizeof(double));
    odyn_hadamard_inplace(len, D, T);
    (void)odyn_gemm('N', 'T', n, n, s, 1.0, T, n, Yj, n, 0.0, G, n);
    odyn_axpy(n * n, h2, G, g);
    odyn_rowsum_add(n, s, h2, T, g + n * n);
  }
  memcpy(T, cur, (size_t)len * sizeof(double));
  odyn_hadamard_inplace(len, D, T);
  (void)odyn_gemm('T', 'N', n, s, n, h2, K, n, T, n, 1.0, prev, n);
  if (j > 0) {
    odyn_axpy(len, 2.0, cur, prev);
    for (long i = 0; i < len; i++) next[i] = -cur[i];
  } else odyn_axpy(len, 1.0, cur, prev); /* Y_{-1} = Y_0: 2 A_1 - A_1 */
}

/* (a, b, c) <- (b, c, a): the rings of three levels move one step */
static void Rotate(double **a, double **b, double **c)
{
  double *t = *a;

  *a = *b;
  *b = *c;
  *c = t;
}

/* a ring's start: cur = x0 (NULL: zero) and prev = cur (the level before the first: Y_{-1} = Y_0) */
static void RingStart(long len, const double *x0, double *cur, double *prev)
{
  if (x0) memcpy(cur, x0, (size_t)len * sizeof(double));
  else memset(cur, 0, (size_t)len * sizeof(double));
  memcpy(prev, cur, (size_t)len * sizeof(double));
}

int odyn_host_dense_leapfrog_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  const long len = n * s;

  if (!len) return 0;
  memcpy(Ytraj, Y0, (size_t)len * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *Yj = Ytraj + j * len;

    if (StepForward(act, n, s, h * h, theta + j * (n * n + n), Yj, j ? Yj - len : Yj, Ytraj + (j + 1) * len, lin + j * len)) return ODYN_BACKEND_ERR_SIZE;
  }
  return 0;
}

int odyn_host_dense_leapfrog_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  const long slot = n * n + n, len = n * s;
  double    *buf, *prev, *cur, *next;

  if (!len) return 0;
  /* the ring prev, cur, next of dY and the products' L and T */
  if (!(buf = (double *)malloc((size_t)(5 * len) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  prev = buf;
  cur  = buf + len;
  next = buf + 2 * len;
  RingStart(len, dY0, cur, prev);
  for (long j = 0; j < N; j++) {
    StepTangent(n, s, h * h, theta + j * slot, dtheta ? dtheta + j * slot : NULL, Ytraj + j * len, lin + j * len, cur, prev, next, buf + 3 * len, buf + 4 * len);
    Rotate(&prev, &cur, &next);
  }
  memcpy(dYN, cur, (size_t)len * sizeof(double));
  free(buf);
  return 0;
}

int odyn_host_dense_leapfrog_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  const long slot = n * n + n, len = n * s;
  double    *buf, *cur, *prev, *next;

  if (!len || (!gtheta && !gY0)) return 0;
  /* cur = A_{j+1} (complete), prev = A_j (partial), next receives A_{j-1}; T (n s), G (n n) */
  if (!(buf = (double *)malloc((size_t)(4 * len + n * n) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  cur  = buf;
  prev = buf + len;
  next = buf + 2 * len;
  memcpy(cur, W, (size_t)len * sizeof(double));
  memset(prev, 0, (size_t)len * sizeof(double));
  for (long j = N - 1; j >= 0; j--) {
    StepAdjoint(n, s, j, h * h, theta + j * slot, Ytraj + j * len, lin + j * len, cur, prev, next, buf + 3 * len, buf + 4 * len, gtheta ? gtheta + j * slot : NULL);
    Rotate(&cur, &prev, &next); /* cur <- prev (A_j), prev <- next (the start of A_{j-1}) */
  }
  if (gY0) memcpy(gY0, cur, (size_t)len * sizeof(double));
  free(buf);
  return 0;
}

int odyn_host_dense_leapfrog_forward_final(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1)
{
  const long len = n * s;
  double    *buf, *prev, *cur, *next;

  if (!len) return 0;
  if (!(buf = (double *)malloc((size_t)(3 * len) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  prev = buf;
  cur  = buf + len;
  next = buf + 2 * len;
  RingStart(len, Y0, cur, prev);
  for (long j = 0; j < N; j++) {
    (void)StepForward(act, n, s, h * h, theta + j * (n * n + n), cur, prev, next, NULL); /* sizes checked by the caller */
    Rotate(&prev, &cur, &next);
  }
  memcpy(YN, cur, (size_t)len * sizeof(double));
  memcpy(YNm1, prev, (size_t)len * sizeof(double));
  free(buf);
  return 0;
}

int odyn_host_dense_leapfrog_tangent_y0(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  const long slot = n * n + n, len = n * s;
  double    *buf, *yp, *yc, *yn, *dp, *dc, *dn, *D;

  if (!len) return 0;
  /* rings of Y and dY, D, the products' L and T */
  if (!(buf = (double *)malloc((size_t)(9 * len) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  yp = buf;
  yc = buf + len;
  yn = buf + 2 * len;
  dp = buf + 3 * len;
  dc = buf + 4 * len;
  dn = buf + 5 * len;
  D  = buf + 6 * len;
  RingStart(len, Y0, yc, yp);
  RingStart(len, dY0, dc, dp);
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot;

    (void)StepForward(act, n, s, h * h, K, yc, yp, yn, D); /* Y_{j+1}, and sigma' at Y_j */
    StepTangent(n, s, h * h, K, dtheta ? dtheta + j * slot : NULL, yc, D, dc, dp, dn, buf + 7 * len, buf + 8 * len);
    Rotate(&yp, &yc, &yn);
    Rotate(&dp, &dc, &dn);
  }
  memcpy(dYN, dc, (size_t)len * sizeof(double));
  free(buf);
  return 0;
}

int odyn_host_dense_leapfrog_adjoint_reversible(int act, long n, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0)
{
  const long   slot = n * n + n, len = n * s;
  const double h2 = h * h;
  double      *buf, *ya, *yb, *F, *D, *cur, *prev, *next;

  if (!len || (!gtheta && !gY0)) return 0;
  /* ya = Y_{j+1}, yb = Y_j; F, D of step j; the adjoint's cur, prev, next and T (n s), G (n n) */
  if (!(buf = (double *)malloc((size_t)(8 * len + n * n) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  ya   = buf;
  yb   = buf + len;
  F    = buf + 2 * len;
  D    = buf + 3 * len;
  cur  = buf + 4 * len;
  prev = buf + 5 * len;
  next = buf + 6 * len;
  memcpy(ya, YN, (size_t)len * sizeof(double));
  memcpy(yb, YNm1, (size_t)len * sizeof(double));
  memcpy(cur, W, (size_t)len * sizeof(double));
  memset(prev, 0, (size_t)len * sizeof(double));
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot;
    double       *t;

    /* the step's linearization at Y_j: F = act(K_j Y_j + b_j), D = sigma' */
    (void)odyn_gemm('N', 'N', n, s, n, 1.0, K, n, yb, n, 0.0, F, n);
    odyn_bias_act(act, n, s, K + n * n, F, D);
    StepAdjoint(n, s, j, h2, K, yb, D, cur, prev, next, buf + 7 * len, buf + 8 * len, gtheta ? gtheta + j * slot : NULL);
    Rotate(&cur, &prev, &next);
    if (j > 0) { /* Y_{j-1} = 2 Y_j - Y_{j+1} + h2 F into ya, then ya = Y_j, yb = Y_{j-1} */
      Combine(len, h2, yb, ya, F, ya);
      t  = ya;
      ya = yb;
      yb = t;
    }
  }
  if (gY0) memcpy(gY0, cur, (size_t)len * sizeof(double));
  free(buf);
  return 0;
}
