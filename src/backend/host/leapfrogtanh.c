/*
   The host table's whole-block sweeps of a dense leapfrog tanh block (include/odyn/private/backend.h,
   leapfrog_tanh_*): Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 tanh(K_j Y_j + b_j), Y_{-1} = Y_0, the parameters laid out as the
   Euler sweeps' (eulertanh.c).

   They perform the host path's operations (src/schemes/impls/leapfrog.c with the dense layer of
   src/layers/impls/affine.c), in its order and with its operands, so that a block delegated to the host table
   (-odyn_backend hostref) gives that path's results bit for bit; what they add is the plumbing the cuda table needs.
   Step by step, as the host path (h2 = h^2, D_j = sigma' at step j):
     forward   F = K_j Y_j (DGEMM), tanh(F + b_j) with D_j (odyn_bias_act), Y_{j+1} = 2 Y_j - Y_{j-1} + h2 F
     tangent   L = D_j .* (K_j dY_j) + D_j .* (dK_j Y_j + db_j), dY_{j+1} = 2 dY_j - dY_{j-1} + h2 L
     adjoint   cur = A_{j+1}, prev = A_j so far: T = D_j .* cur; gK_j += h2 T Y_j^T, gb_j += h2 rowsum(T);
               prev += h2 K_j^T T; then prev += 2 cur and A_{j-1} starts as -cur (j = 0: prev += cur, as Y_{-1} = Y_0)
   No PETSc here, like the rest of src/backend/.
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

long odyn_host_leapfrog_tanh_linsize(long n, long N, long s) { return N * n * s; }

int odyn_host_leapfrog_tanh_forward(long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  const long   slot = n * n + n, len = n * s;
  const double h2 = h * h;

  if (!len) return 0;
  memcpy(Ytraj, Y0, (size_t)len * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * len, *Yjm1 = j ? Yj - len : Yj;
    double       *Y1 = Ytraj + (j + 1) * len;

    if (odyn_gemm('N', 'N', n, s, n, 1.0, K, n, Yj, n, 0.0, Y1, n)) return ODYN_BACKEND_ERR_SIZE;
    odyn_bias_act(ODYN_PW_TANH, n, s, K + n * n, Y1, lin + j * len);
    Combine(len, h2, Yj, Yjm1, Y1, Y1);
  }
  return 0;
}

int odyn_host_leapfrog_tanh_tangent(long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  const long   slot = n * n + n, len = n * s;
  const double h2 = h * h;
  double      *buf, *prev, *cur, *next, *L, *T;

  if (!len) return 0;
  /* the ring prev, cur, next of dY and the products' L and T */
  if (!(buf = (double *)malloc((size_t)(5 * len) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  prev = buf;
  cur  = buf + len;
  next = buf + 2 * len;
  L    = buf + 3 * len;
  T    = buf + 4 * len;
  if (dY0) memcpy(cur, dY0, (size_t)len * sizeof(double));
  else memset(cur, 0, (size_t)len * sizeof(double));
  memcpy(prev, cur, (size_t)len * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *D = lin + j * len;
    double       *tmp;

    memset(L, 0, (size_t)len * sizeof(double));
    (void)odyn_gemm('N', 'N', n, s, n, 1.0, K, n, cur, n, 0.0, T, n); /* sizes checked by the caller */
    odyn_scaled_hadamard_add(len, 1.0, D, T, L);
    if (dtheta) {
      const double *dK = dtheta + j * slot;

      (void)odyn_gemm('N', 'N', n, s, n, 1.0, dK, n, Ytraj + j * len, n, 0.0, T, n);
      odyn_add_bias(n, s, dK + n * n, T);
      odyn_scaled_hadamard_add(len, 1.0, D, T, L);
    }
    Combine(len, h2, cur, prev, L, next);
    tmp  = prev;
    prev = cur;
    cur  = next;
    next = tmp;
  }
  memcpy(dYN, cur, (size_t)len * sizeof(double));
  free(buf);
  return 0;
}

int odyn_host_leapfrog_tanh_adjoint(long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  const long   slot = n * n + n, len = n * s;
  const double h2 = h * h;
  double      *buf, *cur, *prev, *next, *T, *G;

  if (!len || (!gtheta && !gY0)) return 0;
  /* cur = A_{j+1} (complete), prev = A_j (partial), next receives A_{j-1}; T (n s), G (n n) */
  if (!(buf = (double *)malloc((size_t)(4 * len + n * n) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  cur  = buf;
  prev = buf + len;
  next = buf + 2 * len;
  T    = buf + 3 * len;
  G    = buf + 4 * len;
  memcpy(cur, W, (size_t)len * sizeof(double));
  memset(prev, 0, (size_t)len * sizeof(double));
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot, *D = lin + j * len, *Yj = Ytraj + j * len;

    if (gtheta) {
      memcpy(T, cur, (size_t)len * sizeof(double));
      odyn_hadamard_inplace(len, D, T);
      (void)odyn_gemm('N', 'T', n, n, s, 1.0, T, n, Yj, n, 0.0, G, n);
      odyn_axpy(n * n, h2, G, gtheta + j * slot);
      odyn_rowsum_add(n, s, h2, T, gtheta + j * slot + n * n);
    }
    memcpy(T, cur, (size_t)len * sizeof(double));
    odyn_hadamard_inplace(len, D, T);
    (void)odyn_gemm('T', 'N', n, s, n, h2, K, n, T, n, 1.0, prev, n);
    if (j > 0) {
      double *tmp;

      odyn_axpy(len, 2.0, cur, prev);
      for (long i = 0; i < len; i++) next[i] = -cur[i];
      tmp  = cur;
      cur  = prev;
      prev = next;
      next = tmp;
    } else {
      odyn_axpy(len, 1.0, cur, prev); /* Y_{-1} = Y_0: 2 A_1 - A_1 */
      cur = prev;
    }
  }
  if (gY0) memcpy(gY0, cur, (size_t)len * sizeof(double));
  free(buf);
  return 0;
}
