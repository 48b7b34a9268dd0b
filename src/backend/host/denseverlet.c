/*
   The host table's whole-block sweeps of a Verlet (Hamiltonian) block (include/odyn/private/backend.h,
   dense_verlet_*): the network of src/schemes/impls/verlet.c with the layer of src/layers/impls/hamiltonian.c,
     Z_{j+1/2} = Z_{j-1/2} - h sigma(K_j^T Y_j + bG_j),  Y_{j+1} = Y_j + h sigma(K_j Z_{j+1/2} + bF_j),  Z_{-1/2} = 0,
   theta_j = [K_j (n x m column-major) | bF_j (n) | bG_j (m)].

   They call the host kernels of the direct path (verlet.c's steps, hamiltonian.c's faces) with the same operands in
   the same order, so that a block delegated to the host table (-odyn_backend hostref) gives the direct path's results
   bit for bit; what they add is the plumbing the cuda table needs (states and linearization in backend memory,
   whole-block calls). Step j, as the direct path (DG_j, DF_j: sigma' of the two faces, kept by the forward in lin):
     forward   Z = K^T Y_j (DGEMM), sigma(. + bG) with DG_j, Z = 1 Z_{j-1/2} - h Z (odyn_axpby);
               F = K Z (DGEMM), sigma(. + bF) with DF_j, Y_{j+1} = Y_j + h F (verlet.c's loop)
     tangent   T = K^T dY; dZ += -h DG .* T; T = dK^T Y_j + dbG; dZ += -h DG .* T;
               T = K dZ;   dY += h DF .* T;  T = dK Z_{j+1/2} + dbF; dY += h DF .* T
     adjoint   T = DF .* P; Q += h K^T T; gK += h T Z_{j+1/2}^T; gbF += h rowsum(T);
               T = DG .* Q; P += -h K T;  gK += -h Y_j T^T;      gbG += -h rowsum(T)
   The direct path recomputes sigma' when it linearizes (the same DGEMM and odyn_bias_act on the same stored states:
   the same values); it copies W .* D twice where this computes it once (same values); the gradient goes into gtheta
   with beta = 1 as there. Only STORE trajectories are reproduced: with -odyn_scheme_trajectory recompute the direct
   path walks the states back through the reverse map, which rounds differently. No PETSc here, like src/backend/.
   sigma is the activation act: identity, tanh or relu (the table checks it).
*/
#include <stdlib.h>
#include <string.h>
#include <odyn/private/backend.h>
#include <odyn/private/pointwise.h>

long odyn_host_dense_verlet_linsize(long n, long m, long N, long s) { return N * (n + m) * s; }

/* the Y update of verlet.c's Step_Verlet, written as there (not odyn_axpy: another rounding order is not at stake, but
   the same expression keeps the same code) */
static void update_y(long len, double h, const double *Yj, double *Y1)
{
  for (long i = 0; i < len; i++) Y1[i] = Yj[i] + h * Y1[i];
}

int odyn_host_dense_verlet_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin)
{
  const long slot = n * m + n + m, ln = n * s, lm = m * s;

  if (!s) return 0;
  memcpy(Ytraj, Y0, (size_t)ln * sizeof(double));
  memset(Ztraj, 0, (size_t)lm * sizeof(double)); /* Z_{-1/2} = 0 */
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *bF = K + n * m, *bG = bF + n, *Yj = Ytraj + j * ln, *Zj = Ztraj + j * lm;
    double       *Y1 = Ytraj + (j + 1) * ln, *Z1 = Ztraj + (j + 1) * lm;
    double       *DG = lin ? lin + j * (lm + ln) : NULL, *DF = lin ? DG + lm : NULL;

    if (odyn_gemm('T', 'N', m, s, n, 1.0, K, n, Yj, n, 0.0, Z1, m)) return ODYN_BACKEND_ERR_SIZE;
    odyn_bias_act(act, m, s, bG, Z1, DG);
    odyn_axpby(lm, 1.0, Zj, -h, Z1);
    if (odyn_gemm('N', 'N', n, s, m, 1.0, K, n, Z1, m, 0.0, Y1, n)) return ODYN_BACKEND_ERR_SIZE;
    odyn_bias_act(act, n, s, bF, Y1, DF);
    update_y(ln, h, Yj, Y1);
  }
  return 0;
}

int odyn_host_dense_verlet_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, const double *lin, const double *dY0, double *dYN)
{
  const long slot = n * m + n + m, ln = n * s, lm = m * s, lt = ln > lm ? ln : lm;
  double    *T, *dZ;

  if (!s) return 0;
  if (!(T = (double *)malloc((size_t)(lt + lm) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  dZ = T + lt;
  if (dY0) memcpy(dYN, dY0, (size_t)ln * sizeof(double));
  else memset(dYN, 0, (size_t)ln * sizeof(double));
  memset(dZ, 0, (size_t)lm * sizeof(double));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *DG = lin + j * (lm + ln), *DF = DG + lm;
    const double *Yj = Ytraj + j * ln, *Zh = Ztraj + (j + 1) * lm;

    (void)odyn_gemm('T', 'N', m, s, n, 1.0, K, n, dYN, n, 0.0, T, m);
    odyn_scaled_hadamard_add(lm, -h, DG, T, dZ);
    if (dtheta) {
      const double *dK = dtheta + j * slot, *dbG = dK + n * m + n;

      (void)odyn_gemm('T', 'N', m, s, n, 1.0, dK, n, Yj, n, 0.0, T, m);
      odyn_add_bias(m, s, dbG, T);
      odyn_scaled_hadamard_add(lm, -h, DG, T, dZ);
    }
    (void)odyn_gemm('N', 'N', n, s, m, 1.0, K, n, dZ, m, 0.0, T, n);
    odyn_scaled_hadamard_add(ln, h, DF, T, dYN);
    if (dtheta) {
      const double *dK = dtheta + j * slot, *dbF = dK + n * m;

      (void)odyn_gemm('N', 'N', n, s, m, 1.0, dK, n, Zh, m, 0.0, T, n);
      odyn_add_bias(n, s, dbF, T);
      odyn_scaled_hadamard_add(ln, h, DF, T, dYN);
    }
  }
  free(T);
  return 0;
}

int odyn_host_dense_verlet_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  const long slot = n * m + n + m, ln = n * s, lm = m * s, lt = ln > lm ? ln : lm;
  double    *T, *Q, *P;

  if (!s || (!gtheta && !gY0)) return 0;
  /* T (max(n, m) s), Q (m s) and, without gY0 to walk in, P (n s) */
  if (!(T = (double *)malloc((size_t)(lt + lm + (gY0 ? 0 : ln)) * sizeof(double)))) return ODYN_BACKEND_ERR_MEM;
  Q = T + lt;
  P = gY0 ? gY0 : Q + lm;
  memcpy(P, W, (size_t)ln * sizeof(double));
  memset(Q, 0, (size_t)lm * sizeof(double));
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot, *DG = lin + j * (lm + ln), *DF = DG + lm;
    const double *Yj = Ytraj + j * ln, *Zh = Ztraj + (j + 1) * lm;
    double       *gK = gtheta ? gtheta + j * slot : NULL, *gbF = gK ? gK + n * m : NULL, *gbG = gK ? gbF + n : NULL;

    /* face 0 (F at Z_{j+1/2}), alpha h */
    memcpy(T, P, (size_t)ln * sizeof(double));
    odyn_hadamard_inplace(ln, DF, T);
    (void)odyn_gemm('T', 'N', m, s, n, h, K, n, T, n, 1.0, Q, m);
    if (gK) {
      (void)odyn_gemm('N', 'T', n, m, s, h, T, n, Zh, m, 1.0, gK, n);
      odyn_rowsum_add(n, s, h, T, gbF);
    }
    /* face 1 (G at Y_j), alpha -h */
    memcpy(T, Q, (size_t)lm * sizeof(double));
    odyn_hadamard_inplace(lm, DG, T);
    (void)odyn_gemm('N', 'N', n, s, m, -h, K, n, T, m, 1.0, P, n);
    if (gK) {
      (void)odyn_gemm('N', 'T', n, m, s, -h, Yj, n, T, m, 1.0, gK, n);
      odyn_rowsum_add(m, s, -h, T, gbG);
    }
  }
  free(T);
  return 0;
}
