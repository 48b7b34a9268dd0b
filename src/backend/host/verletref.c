/*
   Host references of the Verlet kernels of include/odyn/private/cudakernels.h (src/backend/cuda/verlet.cu) and of
   the host table's dense_verlet_* sweeps: straightforward loops, one example at a time, written to be obviously the
   formulas of src/schemes/impls/verlet.c with the layer of src/layers/impls/hamiltonian.c
     Z_{j+1/2} = Z_{j-1/2} - h tanh(K_j^T Y_j + bG_j),  Y_{j+1} = Y_j + h tanh(K_j Z_{j+1/2} + bF_j),  Z_{-1/2} = 0,
   tanh standing for the activation act (identity, tanh or relu; any other: ODYN_CUDA_ERR_ARG, nothing written).
   The parameter gradient's sums over the examples are accumulated in long double (as narrowref.c does), so that the
   reference's own rounding of those sums is far below that of the code under test. No PETSc here (src/backend stays
   PETSc-free): the per-example vectors are arrays on the stack, as in narrowref.c; only the N-step gradient sums are
   allocated (calloc, ODYN_CUDA_ERR_ALLOC when that fails), since their size grows with the depth.
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

int odyn_verlet_ref_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj)
{
  const long slot = n * m + n + m;
  double     buf[2 * n + 2 * m > 0 ? 2 * n + 2 * m : 1], *y = buf, *z = y + n, *a = z + m, *f = a + m;

  if (!odyn_act_is_plain(act)) return ODYN_CUDA_ERR_ARG;

  for (long e = 0; e < s; e++) {
    memcpy(y, Y0 + e * n, (size_t)n * sizeof(double));
    memset(z, 0, (size_t)m * sizeof(double));
    memcpy(Ytraj + e * n, y, (size_t)n * sizeof(double));
    memcpy(Ztraj + e * m, z, (size_t)m * sizeof(double));
    for (long j = 0; j < N; j++) {
      const double *K = theta + j * slot;

      face_g(n, m, K, K + n * m + n, y, a);
      for (long c = 0; c < m; c++) z[c] -= h * odyn_act(act, a[c]);
      face_f(n, m, K, K + n * m, z, f);
      for (long i = 0; i < n; i++) y[i] += h * odyn_act(act, f[i]);
      memcpy(Ytraj + (j + 1) * n * s + e * n, y, (size_t)n * sizeof(double));
      memcpy(Ztraj + (j + 1) * m * s + e * m, z, (size_t)m * sizeof(double));
    }
  }
  return ODYN_CUDA_OK;
}

int odyn_verlet_ref_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  const long slot = n * m + n + m;
  double     buf[4 * n + 4 * m > 0 ? 4 * n + 4 * m : 1];
  double    *y = buf, *dy = y + n, *f = dy + n, *df = f + n, *z = df + n, *dz = z + m, *a = dz + m, *da = a + m;

  if (!odyn_act_is_plain(act)) return ODYN_CUDA_ERR_ARG;

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
      odyn_ref_act_step(act, m, -h, a, da, z, dz); /* Z moves by -h tanh */
      /* df = K dz + dK z + dbF, then dy += h tanh'(f) df */
      face_f(n, m, K, K + n * m, z, f);
      if (dK) face_f(n, m, dK, dK + n * m, z, df);
      else memset(df, 0, (size_t)n * sizeof(double));
      odyn_ref_add_K(n, m, K, dz, df);
      odyn_ref_act_step(act, n, h, f, df, y, dy);
    }
    memcpy(dYN + e * n, dy, (size_t)n * sizeof(double));
  }
  return ODYN_CUDA_OK;
}

/*
   Per example, P = W, Q = 0, and for j = N-1..0 (F at Z_{j+1/2}, G at Y_j, both from the stored states):
     u = h tanh'(K Z + bF) .* P;  Q += K^T u;  v = -h tanh'(K^T Y + bG) .* Q;  P += K v
     gK_j += u Z^T + Y v^T,  gbF_j += u,  gbG_j += v        (gtheta += these sums; gY0 = P at the end)
   The reversible adjoint takes the same step, with y = Y_{j+1} and z = Z_{j+1/2} on entry rebuilt in place from the
   faces' tanh as verlet.cu's kernel does (y = Y_j after face F, z = Z_{j-1/2} after the gradient):
     Y_j = Y_{j+1} - h tanh(K Z_{j+1/2} + bF),  Z_{j-1/2} = Z_{j+1/2} + h tanh(K^T Y_j + bG).
*/
typedef struct {
  double      *P, *Q, *u, *v, *a, *f;
  long double *acc; /* N slot gradient sums, or NULL */
} adj_work;

static void adjoint_step(int act, long n, long m, long j, double h, const double *theta, adj_work *w, double *y, double *z, int rev)
{
  const long    slot = n * m + n + m;
  const double *K    = theta + j * slot;

  face_f(n, m, K, K + n * m, z, w->f);
  odyn_ref_act_adjoint(act, n, h, w->f, w->P, w->u);
  if (rev)
    for (long i = 0; i < n; i++) y[i] -= h * odyn_act(act, w->f[i]);
  odyn_ref_add_KT(n, m, K, w->u, w->Q);
  face_g(n, m, K, K + n * m + n, y, w->a);
  odyn_ref_act_adjoint(act, m, -h, w->a, w->Q, w->v);
  for (long i = 0; i < n; i++) {
    double sum = 0.0;
    for (long c = 0; c < m; c++) sum += K[i + c * n] * w->v[c];
    w->P[i] += sum;
  }
  if (w->acc) {
    long double *g = w->acc + j * slot;
    for (long c = 0; c < m; c++)
      for (long i = 0; i < n; i++) g[i + c * n] += (long double)w->u[i] * z[c] + (long double)y[i] * w->v[c];
    for (long i = 0; i < n; i++) g[n * m + i] += w->u[i];
    for (long c = 0; c < m; c++) g[n * m + n + c] += w->v[c];
  }
  if (rev)
    for (long c = 0; c < m; c++) z[c] += h * odyn_act(act, w->a[c]);
}

/* buf: the caller's 4 n + 4 m doubles (on its stack) */
static int adj_work_get(long n, long m, long N, int grad, double *buf, adj_work *w)
{
  const long np = N * (n * m + n + m);

  w->acc = NULL;
  w->P   = buf;
  w->u   = w->P + n;
  w->f = w->u + n;
  w->Q = w->f + n;
  w->v = w->Q + m;
  w->a = w->v + m; /* then n + m more: the reversible walk's y and z */
  if (grad && !(w->acc = (long double *)calloc((size_t)(np > 0 ? np : 1), sizeof(long double)))) return ODYN_CUDA_ERR_ALLOC;
  return ODYN_CUDA_OK;
}

static void adj_work_put(long N, long slot, adj_work *w, double *gtheta)
{
  if (w->acc)
    for (long q = 0; q < N * slot; q++) gtheta[q] += (double)w->acc[q];
  free(w->acc);
}

int odyn_verlet_ref_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *W, double *gtheta, double *gY0)
{
  adj_work w;
  double   buf[4 * n + 4 * m > 0 ? 4 * n + 4 * m : 1];

  if (!odyn_act_is_plain(act)) return ODYN_CUDA_ERR_ARG;

  if (adj_work_get(n, m, N, gtheta != NULL, buf, &w)) return ODYN_CUDA_ERR_ALLOC;
  for (long e = 0; e < s; e++) {
    memcpy(w.P, W + e * n, (size_t)n * sizeof(double));
    memset(w.Q, 0, (size_t)m * sizeof(double));
    for (long j = N - 1; j >= 0; j--) adjoint_step(act, n, m, j, h, theta, &w, (double *)(Ytraj + j * n * s + e * n), (double *)(Ztraj + (j + 1) * m * s + e * m), 0);
    if (gY0) memcpy(gY0 + e * n, w.P, (size_t)n * sizeof(double));
  }
  adj_work_put(N, n * m + n + m, &w, gtheta);
  return ODYN_CUDA_OK;
}

int odyn_verlet_ref_forward_final(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN)
{
  const long slot = n * m + n + m;
  double     buf[n + m > 0 ? n + m : 1], *a = buf, *f = a + m;

  if (!odyn_act_is_plain(act)) return ODYN_CUDA_ERR_ARG;

  for (long e = 0; e < s; e++) {
    double *y = YN + e * n, *z = ZN + e * m;

    memmove(y, Y0 + e * n, (size_t)n * sizeof(double)); /* YN may be Y0 */
    memset(z, 0, (size_t)m * sizeof(double));
    for (long j = 0; j < N; j++) {
      const double *K = theta + j * slot;

      face_g(n, m, K, K + n * m + n, y, a);
      for (long c = 0; c < m; c++) z[c] -= h * odyn_act(act, a[c]);
      face_f(n, m, K, K + n * m, z, f);
      for (long i = 0; i < n; i++) y[i] += h * odyn_act(act, f[i]);
    }
  }
  return ODYN_CUDA_OK;
}

int odyn_verlet_ref_adjoint_reversible(int act, long n, long m, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0, double *Y0r)
{
  adj_work w;
  double   buf[4 * n + 4 * m > 0 ? 4 * n + 4 * m : 1], *y, *z;

  if (!odyn_act_is_plain(act)) return ODYN_CUDA_ERR_ARG;

  if (adj_work_get(n, m, N, gtheta != NULL, buf, &w)) return ODYN_CUDA_ERR_ALLOC;
  y = w.a + m;
  z = y + n;
  for (long e = 0; e < s; e++) {
    memcpy(y, YN + e * n, (size_t)n * sizeof(double));
    memcpy(z, ZN + e * m, (size_t)m * sizeof(double));
    memcpy(w.P, W + e * n, (size_t)n * sizeof(double));
    memset(w.Q, 0, (size_t)m * sizeof(double));
    for (long j = N - 1; j >= 0; j--) adjoint_step(act, n, m, j, h, theta, &w, y, z, 1);
    if (gY0) memcpy(gY0 + e * n, w.P, (size_t)n * sizeof(double));
    if (Y0r) memcpy(Y0r + e * n, y, (size_t)n * sizeof(double));
  }
  adj_work_put(N, n * m + n + m, &w, gtheta);
  return ODYN_CUDA_OK;
}
