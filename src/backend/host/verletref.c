/*
   Host references of the Verlet tanh kernels of include/odyn/private/cudakernels.h (src/backend/cuda/verlet.cu) and of
   the host table's verlet_tanh_* sweeps: straightforward loops, one example at a time, written to be obviously the
   formulas of src/schemes/impls/verlet.c with the layer of src/layers/impls/hamiltonian.c
     Z_{j+1/2} = Z_{j-1/2} - h tanh(K_j^T Y_j + bG_j),  Y_{j+1} = Y_j + h tanh(K_j Z_{j+1/2} + bF_j),  Z_{-1/2} = 0.
   The parameter gradient's sums over the examples are accumulated in long double (as narrowref.c does), so that the
   reference's own rounding of those sums is far below that of the code under test. No PETSc here.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <odyn/private/cudakernels.h>
#include "refcommon.h"

/* one step's two faces for one example: a = K^T y + bG (m), f = K z + bF (n); K column-major n x m */
static void face_g(long n, long m, const double *K, const double *bG, const double *y, double *a)
{
  for (long c = 0; c < m; c++) {
    a[c] = bG[c];
    for (long i = 0; i < n; i++) a[c] += K[i + c * n] * y[i];
  }
}

static void face_f(long n, long m, const double *K, const double *bF, const double *z, double *f) { odyn_ref_affine(n, m, K, bF, z, f); }

int odyn_verlet_ref_forward(long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj)
{
  const long slot = n * m + n + m;
  double    *y, *z, *a, *f;

  if (!(y = (double *)malloc((size_t)(2 * n + 2 * m) * sizeof(double)))) return ODYN_CUDA_ERR_ALLOC;
  z = y + n;
  a = z + m;
  f = a + m;
  for (long e = 0; e < s; e++) {
    memcpy(y, Y0 + e * n, (size_t)n * sizeof(double));
    memset(z, 0, (size_t)m * sizeof(double));
    memcpy(Ytraj + e * n, y, (size_t)n * sizeof(double));
    memcpy(Ztraj + e * m, z, (size_t)m * sizeof(double));
    for (long j = 0; j < N; j++) {
      const double *K = theta + j * slot;

      face_g(n, m, K, K + n * m + n, y, a);
      for (long c = 0; c < m; c++) z[c] -= h * tanh(a[c]);
      face_f(n, m, K, K + n * m, z, f);
      for (long i = 0; i < n; i++) y[i] += h * tanh(f[i]);
      memcpy(Ytraj + (j + 1) * n * s + e * n, y, (size_t)n * sizeof(double));
      memcpy(Ztraj + (j + 1) * m * s + e * m, z, (size_t)m * sizeof(double));
    }
  }
  free(y);
  return ODYN_CUDA_OK;
}

int odyn_verlet_ref_tangent(long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  const long slot = n * m + n + m;
  double    *y, *z, *dy, *dz, *a, *da, *f, *df;

  if (!(y = (double *)malloc((size_t)(4 * n + 4 * m) * sizeof(double)))) return ODYN_CUDA_ERR_ALLOC;
  dy = y + n;
  f  = dy + n;
  df = f + n;
  z  = df + n;
  dz = z + m;
  a  = dz + m;
  da = a + m;
  for (long e = 0; e < s; e++) {
    memcpy(y, Y0 + e * n, (size_t)n * sizeof(double));
    if (dY0) memcpy(dy, dY0 + e * n, (size_t)n * sizeof(double));
    else memset(dy, 0, (size_t)n * sizeof(double));
    memset(z, 0, (size_t)m * sizeof(double));
    memset(dz, 0, (size_t)m * sizeof(double));
    for (long j = 0; j < N; j++) {
      const double *K = theta + j * slot, *dK = dtheta ? dtheta + j * slot : NULL;

      /* da = K^T dy + dK^T y + dbG, then dz -= h tanh'(a) da */
      face_g(n, m, K, K + n * m + n, y, a);
      if (dK) face_g(n, m, dK, dK + n * m + n, y, da);
      else memset(da, 0, (size_t)m * sizeof(double));
      for (long c = 0; c < m; c++)
        for (long i = 0; i < n; i++) da[c] += K[i + c * n] * dy[i];
      odyn_ref_tanh_step(m, -h, a, da, z, dz); /* Z moves by -h tanh */
      /* df = K dz + dK z + dbF, then dy += h tanh'(f) df */
      face_f(n, m, K, K + n * m, z, f);
      if (dK) face_f(n, m, dK, dK + n * m, z, df);
      else memset(df, 0, (size_t)n * sizeof(double));
      odyn_ref_add_K(n, m, K, dz, df);
      odyn_ref_tanh_step(n, h, f, df, y, dy);
    }
    memcpy(dYN + e * n, dy, (size_t)n * sizeof(double));
  }
  free(y);
  return ODYN_CUDA_OK;
}

/*
   Per example, P = W, Q = 0, and for j = N-1..0 (F at Z_{j+1/2}, G at Y_j, both from the stored states):
     u = h tanh'(K Z + bF) .* P;  Q += K^T u;  v = -h tanh'(K^T Y + bG) .* Q;  P += K v
     gK_j += u Z^T + Y v^T,  gbF_j += u,  gbG_j += v        (gtheta += these sums; gY0 = P at the end)
*/
int odyn_verlet_ref_adjoint(long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *W, double *gtheta, double *gY0)
{
  const long   slot = n * m + n + m;
  double      *P, *Q, *u, *v, *a, *f;
  long double *acc = NULL;

  if (!(P = (double *)malloc((size_t)(3 * n + 3 * m) * sizeof(double)))) return ODYN_CUDA_ERR_ALLOC;
  u = P + n;
  f = u + n;
  Q = f + n;
  v = Q + m;
  a = v + m;
  if (gtheta && !(acc = (long double *)calloc((size_t)(N * slot > 0 ? N * slot : 1), sizeof(long double)))) {
    free(P);
    return ODYN_CUDA_ERR_ALLOC;
  }
  for (long e = 0; e < s; e++) {
    memcpy(P, W + e * n, (size_t)n * sizeof(double));
    memset(Q, 0, (size_t)m * sizeof(double));
    for (long j = N - 1; j >= 0; j--) {
      const double *K = theta + j * slot, *y = Ytraj + j * n * s + e * n, *z = Ztraj + (j + 1) * m * s + e * m;

      face_f(n, m, K, K + n * m, z, f);
      odyn_ref_tanh_adjoint(n, h, f, P, u);
      odyn_ref_add_KT(n, m, K, u, Q);
      face_g(n, m, K, K + n * m + n, y, a);
      odyn_ref_tanh_adjoint(m, -h, a, Q, v);
      for (long i = 0; i < n; i++) {
        double sum = 0.0;
        for (long c = 0; c < m; c++) sum += K[i + c * n] * v[c];
        P[i] += sum;
      }
      if (acc) {
        long double *g = acc + j * slot;
        for (long c = 0; c < m; c++)
          for (long i = 0; i < n; i++) g[i + c * n] += (long double)u[i] * z[c] + (long double)y[i] * v[c];
        for (long i = 0; i < n; i++) g[n * m + i] += u[i];
        for (long c = 0; c < m; c++) g[n * m + n + c] += v[c];
      }
    }
    if (gY0) memcpy(gY0 + e * n, P, (size_t)n * sizeof(double));
  }
  if (acc)
    for (long q = 0; q < N * slot; q++) gtheta[q] += (double)acc[q];
  free(acc);
  free(P);
  return ODYN_CUDA_OK;
}
