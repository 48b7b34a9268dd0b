/* Loops the host references of the narrow kernels share (narrowref.c: dense Euler tanh, verletref.c: Verlet tanh), for
   one example at a time; K is column-major n x m. Each keeps the order of its sums, which the references' results
   (compared bit for bit with the host table in tests/test_backend.c) depend on. Plain C that also compiles as C++
   (tools/cudaemu builds verletref.c with g++). Not a public header. */
#ifndef ODYN_BACKEND_REFCOMMON_H
#define ODYN_BACKEND_REFCOMMON_H

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

/* the tangent's update of a state x moved by h tanh(z): dx += h tanh'(z) dz, x += h tanh(z) (h < 0: moved by -|h| tanh) */
static inline void odyn_ref_tanh_step(long len, double h, const double *z, const double *dz, double *x, double *dx)
{
  for (long i = 0; i < len; i++) {
    const double t = tanh(z[i]);
    dx[i] += h * (1.0 - t * t) * dz[i];
    x[i] += h * t;
  }
}

/* the adjoint's u = h tanh'(z) .* P (h < 0 for a state moved by -|h| tanh) */
static inline void odyn_ref_tanh_adjoint(long len, double h, const double *z, const double *P, double *u)
{
  for (long i = 0; i < len; i++) {
    const double t = tanh(z[i]);
    u[i] = h * (1.0 - t * t) * P[i];
  }
}
#endif
