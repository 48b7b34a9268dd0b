/*
   Host references of the dense Euler kernels of include/odyn/private/cudakernels.h (activation act: identity, tanh or
   relu, as the kernels): straightforward loops, one
   example at a time, written to be obviously the formulas (the parity tests in tests/gpu/ compare the device against
   them). The parameter gradient's sums over the examples are accumulated in long double (x86: 64-bit mantissa), so that
   the reference's own rounding of those sums is far below the device's, whose summation order differs; the states
   follow the plain double recursion, as on the device. No PETSc here, like the rest of src/backend/.
*/
#include <math.h>
#include <string.h>
#include <odyn/private/cudakernels.h>
#include "refcommon.h"

/* z = K y + b for one example (K column-major n x n) */
static void affine(long n, const double *K, const double *b, const double *y, double *z) { odyn_ref_affine(n, n, K, b, y, z); }

void odyn_narrow_ref_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all)
{
  const long slot = n * n + n;
  double     y[n > 0 ? n : 1], z[n > 0 ? n : 1];

  if (!odyn_act_is_plain(act)) return; /* nothing written */

  for (long e = 0; e < s; e++) {
    memcpy(y, Y0 + e * n, (size_t)n * sizeof(double));
    if (store_all) memcpy(Y + e * n, y, (size_t)n * sizeof(double));
    for (long j = 0; j < N; j++) {
      affine(n, theta + j * slot, theta + j * slot + n * n, y, z);
      for (long i = 0; i < n; i++) y[i] += h * odyn_act(act, z[i]);
      if (store_all) memcpy(Y + (j + 1) * n * s + e * n, y, (size_t)n * sizeof(double));
    }
    if (!store_all) memcpy(Y + e * n, y, (size_t)n * sizeof(double));
  }
}

void odyn_narrow_ref_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  const long slot = n * n + n;
  double     y[n > 0 ? n : 1], z[n > 0 ? n : 1], dy[n > 0 ? n : 1], dz[n > 0 ? n : 1];

  if (!odyn_act_is_plain(act)) return; /* nothing written */

  for (long e = 0; e < s; e++) {
    memcpy(y, Y0 + e * n, (size_t)n * sizeof(double));
    if (dY0) memcpy(dy, dY0 + e * n, (size_t)n * sizeof(double));
    else memset(dy, 0, (size_t)n * sizeof(double));
    for (long j = 0; j < N; j++) {
      const double *K = theta + j * slot;

      affine(n, K, K + n * n, y, z);
      /* dz = K dy + dK y + db */
      if (dtheta) affine(n, dtheta + j * slot, dtheta + j * slot + n * n, y, dz);
      else memset(dz, 0, (size_t)n * sizeof(double));
      odyn_ref_add_K(n, n, K, dy, dz);
      odyn_ref_act_step(act, n, h, z, dz, y, dy);
    }
    memcpy(dYN + e * n, dy, (size_t)n * sizeof(double));
  }
}

/*
   The backward recursion P_j = P_{j+1} + K_j^T u_j, u_j = h sigma'(K_j Y_j + b_j) .* P_{j+1}, P_N = W, per
   example; the gradient of step j is gK_j += sum_e u_j Y_j^T, gb_j += sum_e u_j. To sum each step's gradient over the
   examples in long double without a buffer of N (n^2 + n) long doubles or of every example's P, the recursion is rerun
   from W for each step (O(N^2) work: this is a test reference, run on small shapes).
*/
void odyn_narrow_ref_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *W, double *gtheta, double *gY0)
{
  const long slot = n * n + n;
  double     P[n > 0 ? n : 1], z[n > 0 ? n : 1], u[n > 0 ? n : 1];

  if (!odyn_act_is_plain(act)) return; /* nothing written */

  for (long jg = gtheta ? N - 1 : -1; jg >= 0; jg--) {
    long double acc[slot > 0 ? slot : 1];

    for (long q = 0; q < slot; q++) acc[q] = 0.0L;
    for (long e = 0; e < s; e++) {
      memcpy(P, W + e * n, (size_t)n * sizeof(double));
      for (long j = N - 1; j >= jg; j--) {
        const double *K = theta + j * slot, *y = Ytraj + j * n * s + e * n;

        affine(n, K, K + n * n, y, z);
        odyn_ref_act_adjoint(act, n, h, z, P, u);
        if (j == jg) {
          for (long c = 0; c < n; c++)
            for (long i = 0; i < n; i++) acc[i + c * n] += (long double)u[i] * (long double)y[c];
          for (long i = 0; i < n; i++) acc[n * n + i] += (long double)u[i];
          break;
        }
        odyn_ref_add_KT(n, n, K, u, P);
      }
    }
    for (long q = 0; q < slot; q++) gtheta[jg * slot + q] += (double)acc[q];
  }
  if (gY0) {
    for (long e = 0; e < s; e++) {
      memcpy(P, W + e * n, (size_t)n * sizeof(double));
      for (long j = N - 1; j >= 0; j--) {
        const double *K = theta + j * slot, *y = Ytraj + j * n * s + e * n;

        affine(n, K, K + n * n, y, z);
        odyn_ref_act_adjoint(act, n, h, z, P, u);
        odyn_ref_add_KT(n, n, K, u, P);
      }
      memcpy(gY0 + e * n, P, (size_t)n * sizeof(double));
    }
  }
}
