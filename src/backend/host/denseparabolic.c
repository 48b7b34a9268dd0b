/*
   The host table's whole-block sweeps of a parabolic block (include/odyn/private/backend.h, dense_parabolic_*):
   forward Euler with the symmetric layer (src/schemes/impls/euler.c, src/layers/impls/symmetric.c),
     Y_{j+1} = Y_j - h K_j^T sigma(K_j Y_j + b_j),  K_j m x n (column-major), b_j m,  slot j = [K_j | b_j].

   They call the host kernels the direct path calls, in its order and with its operands, so that -odyn_backend hostref
   gives that path's results bit for bit. Per step, as the direct path (the layer's apply, linearization and products):
     forward   S = K Y_j (DGEMM), S = sigma(S + b) with D = sigma' (odyn_bias_act), Y_{j+1} = -K^T S (DGEMM),
               Y_{j+1} = Y_j + h Y_{j+1} (odyn_axpby); S_j and D_j are kept in lin (the linearization the direct path
               recomputes from the same DGEMM and odyn_bias_act, so the same values)
     tangent   T = D .* (K dY); dY += -h K^T T; with dtheta: T = D .* (dK Y_j + db); dY += -h K^T T; dY += -h dK^T S
     adjoint   T = D .* (K P); gK += -h S P^T; gK += -h T Y_j^T; gb += -h rowsum(T); P += -h K^T T
   (the direct path copies dY, P into a second buffer before adding to them and forms T twice in the adjoint, once for
   the parameter product and once for the state product; both give the same values, so in place and once is the same
   arithmetic). No PETSc here, like the rest of src/backend/.
   sigma is the activation act: identity, tanh or relu (the table checks it).
*/
#include <stdlib.h>
#include <string.h>
#include <odyn/private/backend.h>
#include <odyn/private/pointwise.h>

long odyn_host_dense_parabolic_linsize(long n, long m, long N, long s)
{
  (void)n;
  return 2 * N * m * s;
}

int odyn_host_dense_parabolic_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  const long slot = m * n + m, len = n * s, lm = m * s;

  if (!len) return 0;
  memcpy(Ytraj, Y0, (size_t)len * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * len;
    double       *Y1 = Ytraj + (j + 1) * len, *S = lin + 2 * j * lm, *D = S + lm;

    if (odyn_gemm('N', 'N', m, s, n, 1.0, K, m, Yj, n, 0.0, S, m)) return ODYN_BACKEND_ERR_SIZE;
    odyn_bias_act(act, m, s, K + m * n, S, D);
    (void)odyn_gemm('T', 'N', n, s, m, -1.0, K, m, S, m, 0.0, Y1, n);
    odyn_axpby(len, 1.0, Yj, h, Y1);
  }
  return 0;
}

/* out += -h K^T (D .* T), T (m x s) overwritten */
static void scaled_back(long n, long m, long s, double h, const double *K, const double *D, double *T, double *out)
{
  odyn_hadamard_inplace(m * s, D, T);
  (void)odyn_gemm('T', 'N', n, s, m, -h, K, m, T, m, 1.0, out, n);
}

int odyn_host_dense_parabolic_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  const long slot = m * n + m, len = n * s, lm = m * s;
  double    *T;

  if (!len) return 0;
  if (!(T = (double *)malloc((size_t)(lm > 0 ? lm : 1) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  if (dY0) memcpy(dYN, dY0, (size_t)len * sizeof(double));
  else memset(dYN, 0, (size_t)len * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *S = lin + 2 * j * lm, *D = S + lm;

    (void)odyn_gemm('N', 'N', m, s, n, 1.0, K, m, dYN, n, 0.0, T, m); /* sizes checked by the caller */
    scaled_back(n, m, s, h, K, D, T, dYN);
    if (dtheta) {
      const double *dK = dtheta + j * slot;

      (void)odyn_gemm('N', 'N', m, s, n, 1.0, dK, m, Ytraj + j * len, n, 0.0, T, m);
      odyn_add_bias(m, s, dK + m * n, T);
      scaled_back(n, m, s, h, K, D, T, dYN);
      (void)odyn_gemm('T', 'N', n, s, m, -h, dK, m, S, m, 1.0, dYN, n);
    }
  }
  free(T);
  return 0;
}

int odyn_host_dense_parabolic_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  const long slot = m * n + m, len = n * s, lm = m * s;
  double    *T, *P;

  if (!len || (!gtheta && !gY0)) return 0;
  if (!(T = (double *)malloc((size_t)(lm > 0 ? lm : 1) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  if (!(P = gY0 ? gY0 : (double *)malloc((size_t)len * sizeof(double)))) {
    free(T);
    return ODYN_BACKEND_ERR_MEM;
  }
  if (P != W) memcpy(P, W, (size_t)len * sizeof(double));
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot, *S = lin + 2 * j * lm, *D = S + lm;

    (void)odyn_gemm('N', 'N', m, s, n, 1.0, K, m, P, n, 0.0, T, m);
    odyn_hadamard_inplace(lm, D, T);
    if (gtheta) {
      double *g = gtheta + j * slot;

      (void)odyn_gemm('N', 'T', m, n, s, -h, S, m, P, n, 1.0, g, m);
      (void)odyn_gemm('N', 'T', m, n, s, -h, T, m, Ytraj + j * len, n, 1.0, g, m);
      odyn_rowsum_add(m, s, -h, T, g + m * n);
    }
    if (j > 0 || gY0) (void)odyn_gemm('T', 'N', n, s, m, -h, K, m, T, m, 1.0, P, n);
  }
  if (!gY0) free(P);
  free(T);
  return 0;
}
