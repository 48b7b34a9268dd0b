/* Loops the host references of the narrow kernels share (narrowref.c: dense Euler, verletref.c: Verlet; activation act), for
   one example at a time; K is column-major n x m. Each keeps the order of its sums, which the references' results
   (compared bit for bit with the host table in tests/test_backend.c) depend on. Plain C that also compiles as C++
   (tools/cudaemu builds verletref.c with g++). Not a public header. */
#ifndef ODYN_BACKEND_REFCOMMON_H
#define ODYN_BACKEND_REFCOMMON_H
#include <math.h>
#include <odyn/private/pointwise.h>

/* f = K z + b (n): f starts at b, then the columns c = 0..m-1 are added */
static inline void odyn_ref_affine(long n, long m, const double *K, const double *b, const double *z, double *f)
{
  for (long i = 0; i < n; i++) f[i] = b[i];
  for (long c = 0; c < m; c++)
    for (long i = 0; i < n; i++) f[i] += K[i + c * n] * z[c];
}

/* out += K x (n), term by term, columns c = 0..m-1 */
static inline void odyn_ref_add_K(long n, long m, const double *K, const double *x, double *out)
{
  for (long c = 0; c < m; c++)
    for (long i = 0; i < n; i++) out[i] += K[i + c * n] * x[c];
}

/* out += K^T u (m): each entry's sum over i formed first, then added */
static inline void odyn_ref_add_KT(long n, long m, const double *K, const double *u, double *out)
{
  for (long c = 0; c < m; c++) {
    double sum = 0.0;
    for (long i = 0; i < n; i++) sum += K[i + c * n] * u[i];
    out[c] += sum;
  }
}

/* the activation act (ODYN_PW_IDENTITY, _TANH or _RELU) at z and its derivative *d there; tanh as the references
   always computed it (one tanh, 1 - t^2), the others by pointwise.h */
static inline double odyn_ref_act(int act, double z, double *d)
{
  if (act == ODYN_PW_TANH) {
    const double t = tanh(z);
    *d             = 1.0 - t * t;
    return t;
  }
  *d = odyn_act_deriv(act, z);
  return odyn_act(act, z);
}

/* the tangent's update of a state x moved by h act(z): dx += h act'(z) dz, x += h act(z) (h < 0: moved by -|h| act) */
static inline void odyn_ref_act_step(int act, long len, double h, const double *z, const double *dz, double *x, double *dx)
{
  for (long i = 0; i < len; i++) {
    double       d;
    const double t = odyn_ref_act(act, z[i], &d);
    dx[i] += h * d * dz[i];
    x[i] += h * t;
  }
}

/* the adjoint's u = h act'(z) .* P (h < 0 for a state moved by -|h| act) */
static inline void odyn_ref_act_adjoint(int act, long len, double h, const double *z, const double *P, double *u)
{
  for (long i = 0; i < len; i++) {
    double d;
    (void)odyn_ref_act(act, z[i], &d);
    u[i] = h * d * P[i];
  }
}
#endif
