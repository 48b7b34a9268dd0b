/*
   The host table's whole-block sweeps of a dense forward-Euler block (include/odyn/private/backend.h,
   dense_euler_*): the network of include/odyn/private/cudakernels.h, Y_{j+1} = Y_j + h sigma(K_j Y_j + b_j).

   They call the host kernels the schemes' direct path calls (src/schemes/impls/euler.c with the dense layer of
   src/layers/impls/affine.c), in the same order and with the same operands, so that a block delegated to the host
   table (-odyn_backend hostref) gives the direct path's results bit for bit; what they add is the plumbing the cuda
   table needs (states and linearization in backend memory, whole-block calls). Step by step, as the direct path:
     forward   Y_{j+1} = K_j Y_j (DGEMM), sigma(. + b_j) with D_j = sigma' (odyn_bias_act), Y_{j+1} = Y_j + h Y_{j+1}
     tangent   T = K_j dY; dY += h D_j .* T; T = dK_j Y_j + db_j; dY += h D_j .* T
     adjoint   T = P .* D_j; G = T Y_j^T; gK_j += h G; gb_j += h rowsum(T); P += h K_j^T T
   (the direct path copies dY, P into a second buffer before adding to them; out += ... starts from the same values
   either way, so in place is the same arithmetic). No PETSc here, like the rest of src/backend/.
   sigma is the activation act: identity, tanh or relu (the table checks it).
*/
#include <stdlib.h>
#include <string.h>
#include <odyn/private/backend.h>
#include <odyn/private/pointwise.h>

long odyn_host_dense_euler_linsize(long n, long N, long s) { return N * n * s; }

int odyn_host_dense_euler_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  const long slot = n * n + n, len = n * s;

  if (!len) return 0;
  memcpy(Ytraj, Y0, (size_t)len * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * len;
    double       *Y1 = Ytraj + (j + 1) * len;

    if (odyn_gemm('N', 'N', n, s, n, 1.0, K, n, Yj, n, 0.0, Y1, n)) return ODYN_BACKEND_ERR_SIZE;
    odyn_bias_act(act, n, s, K + n * n, Y1, lin ? lin + j * len : NULL);
    odyn_axpby(len, 1.0, Yj, h, Y1);
  }
  return 0;
}

int odyn_host_dense_euler_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  const long slot = n * n + n, len = n * s;
  double    *T;

  if (!len) return 0;
  if (!(T = (double *)malloc((size_t)len * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  if (dY0) memcpy(dYN, dY0, (size_t)len * sizeof(double));
  else memset(dYN, 0, (size_t)len * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *D = lin + j * len;

    (void)odyn_gemm('N', 'N', n, s, n, 1.0, K, n, dYN, n, 0.0, T, n); /* sizes checked by the caller */
    odyn_scaled_hadamard_add(len, h, D, T, dYN);
    if (dtheta) {
      const double *dK = dtheta + j * slot;

      (void)odyn_gemm('N', 'N', n, s, n, 1.0, dK, n, Ytraj + j * len, n, 0.0, T, n);
      odyn_add_bias(n, s, dK + n * n, T);
      odyn_scaled_hadamard_add(len, h, D, T, dYN);
    }
  }
  free(T);
  return 0;
}

int odyn_host_dense_euler_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  const long slot = n * n + n, len = n * s;
  double    *T, *G, *P;

  if (!len || (!gtheta && !gY0)) return 0;
  /* T (n s), G (n n) and, without gY0 to walk in, P (n s) */
  if (!(T = (double *)malloc((size_t)(2 * len + n * n) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  G = T + len;
  P = gY0 ? gY0 : G + n * n;
  memcpy(P, W, (size_t)len * sizeof(double));
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot, *D = lin + j * len, *Yj = Ytraj + j * len;

    memcpy(T, P, (size_t)len * sizeof(double));
    odyn_hadamard_inplace(len, D, T);
    if (gtheta) {
      (void)odyn_gemm('N', 'T', n, n, s, 1.0, T, n, Yj, n, 0.0, G, n);
      odyn_axpy(n * n, h, G, gtheta + j * slot);
      odyn_rowsum_add(n, s, h, T, gtheta + j * slot + n * n);
    }
    (void)odyn_gemm('T', 'N', n, s, n, h, K, n, T, n, 1.0, P, n);
  }
  free(T);
  return 0;
}
