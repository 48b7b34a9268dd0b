/*
   The parabolic tanh sweeps (src/backend/cuda/parabolic.cu, odyn_cuda_parabolic_*: forward Euler with the symmetric
   layer, Y_{j+1} = Y_j - h K_j^T tanh(K_j Y_j + b_j), per step cuBLAS DGEMMs and one fused pass) against the host
   table's (src/backend/host/parabolictanh.c, which equals the host path bit for bit and which tests/test_backend.c
   checks against plain loops, Taylor and the dot product) on random fp64 data, square and rectangular K, narrow and
   wide; the device tangent against the device adjoint (dot product); the gradient alone and gY0 alone; bad arguments.

   Tolerance 1e-12, norm-wise relative, for the reasons of test_gpu_narrow.c: the same recursion, the device with FMAs,
   its own tanh and cuBLAS's summation order (sums over s <= 300 examples and m <= 40 rows), through N <= 12 steps of a
   contractive map (the symmetric layer's dF/dY is negative semi-definite). Exits 2 without a device.
*/
#include <string.h>
#include "gpucheck.h"
#include <odyn/private/backend.h>

static void run(long n, long m, long N, long s)
{
  const long   slot = m * n + m, np = N * slot, ns = n * s, nl = 2 * N * m * s;
  const double h = 1.0 / (N > 0 ? N : 1);
  double      *theta = gc_host(np), *dtheta = gc_host(np), *Y0 = gc_host(ns), *dY0 = gc_host(ns), *W = gc_host(ns), *g0 = gc_host(np);
  double      *hy = gc_host((N + 1) * ns), *lin = gc_host(nl > 0 ? nl : 1), *hdY = gc_host(ns), *hg = gc_host(np), *hgY0 = gc_host(ns);
  char         tag[64];

  snprintf(tag, sizeof(tag), "parabolic n=%ld m=%ld N=%ld s=%ld", n, m, N, s);
  for (long j = 0; j < N; j++) {
    gc_fill(theta + j * slot, m * n, 1.0 / sqrt((double)(n > m ? n : m)));
    gc_fill(theta + j * slot + m * n, m, 0.5);
  }
  gc_fill_sweep_inputs(np, ns, dtheta, g0, Y0, dY0, W);
  memcpy(hg, g0, (size_t)np * sizeof(double));
  if (odyn_host_parabolic_tanh_forward(n, m, N, s, h, theta, Y0, hy, lin) || odyn_host_parabolic_tanh_tangent(n, m, N, s, h, theta, dtheta, hy, lin, dY0, hdY) || odyn_host_parabolic_tanh_adjoint(n, m, N, s, h, theta, hy, lin, W, hg, hgY0)) exit(1);
  {
    double *d_th = gc_dev(theta, np), *d_dth = gc_dev(dtheta, np), *d_Y0 = gc_dev(Y0, ns), *d_dY0 = gc_dev(dY0, ns), *d_W = gc_dev(W, ns);
    double *d_Y = gc_dev(NULL, (N + 1) * ns), *d_lin = gc_dev(NULL, nl > 0 ? nl : 1), *d_dYN = gc_dev(NULL, ns), *d_g = gc_dev(g0, np), *d_gY0 = gc_dev(NULL, ns);
    double *r, *rd, *rg, *rgy;

    GC_CALL(odyn_cuda_parabolic_forward(n, m, N, s, h, d_th, d_Y0, d_Y, d_lin));
    r = gc_back(d_Y, (N + 1) * ns);
    gc_expectf(gc_reldiff(r, hy, (N + 1) * ns), 1e-12, "%s forward, all states", tag);
    free(r);
    if (nl > 0) {
      r = gc_back(d_lin, nl);
      gc_expectf(gc_reldiff(r, lin, nl), 1e-12, "%s forward, sigma and sigma'", tag);
      free(r);
    }
    GC_CALL(odyn_cuda_parabolic_tangent(n, m, N, s, h, d_th, d_dth, d_Y, d_lin, d_dY0, d_dYN));
    rd = gc_back(d_dYN, ns);
    gc_expectf(gc_reldiff(rd, hdY, ns), 1e-12, "%s tangent J (dtheta, dY0)", tag);
    GC_CALL(odyn_cuda_parabolic_adjoint(n, m, N, s, h, d_th, d_Y, d_lin, d_W, d_g, d_gY0));
    rg  = gc_back(d_g, np);
    rgy = gc_back(d_gY0, ns);
    gc_expectf(gc_reldiff(rg, hg, np), 1e-12, "%s adjoint gtheta += J_theta^T W", tag);
    gc_expectf(gc_reldiff(rgy, hgY0, ns), 1e-12, "%s adjoint gY0 = J_Y0^T W", tag);
    { /* <W, J v> = <J^T W, v> on the device alone (gtheta accumulated onto g0, so subtract it) */
      double lhs = gc_dot(W, rd, ns), rhs = gc_dot(rgy, dY0, ns);
      for (long k = 0; k < np; k++) rhs += (rg[k] - g0[k]) * dtheta[k];
      gc_expectf(gc_dotdiff(lhs, rhs), 1e-11, "%s device dot test", tag);
    }
    GC_CALL(odyn_cuda_to_device(d_g, g0, np)); /* the gradient alone and gY0 alone: the same numbers */
    GC_CALL(odyn_cuda_parabolic_adjoint(n, m, N, s, h, d_th, d_Y, d_lin, d_W, d_g, NULL));
    r = gc_back(d_g, np);
    gc_expectf(gc_reldiff(r, rg, np), 0.0, "%s adjoint, gtheta alone", tag);
    free(r);
    GC_CALL(odyn_cuda_parabolic_adjoint(n, m, N, s, h, d_th, d_Y, d_lin, d_W, NULL, d_gY0));
    r = gc_back(d_gY0, ns);
    gc_expectf(gc_reldiff(r, rgy, ns), 0.0, "%s adjoint, gY0 alone", tag);
    free(r), free(rd), free(rg), free(rgy);
    double *all[] = {d_th, d_dth, d_Y0, d_dY0, d_W, d_Y, d_lin, d_dYN, d_g, d_gY0};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) GC_CALL(odyn_cuda_free(all[i]));
  }
  free(theta), free(dtheta), free(Y0), free(dY0), free(W), free(g0), free(hy), free(lin), free(hdY), free(hg), free(hgY0);
}

int main(void)
{
  int st;

  gc_require_device("test_gpu_parabolic");
  run(2, 2, 4, 101);   /* the 2-D examples' width */
  run(3, 5, 6, 40);    /* a wider hidden width */
  run(20, 12, 5, 64);  /* wide, m < n */
  run(17, 40, 12, 300);
  run(1, 1, 1, 1);
  run(4, 3, 0, 9);     /* no step: Y_N = Y_0, gY0 = W */
  st = odyn_cuda_parabolic_forward(2, 0, 2, 10, 0.1, NULL, NULL, NULL, NULL);
  printf("m = 0: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "need n >= 1, m >= 1")) gc_failures++;
  st = odyn_cuda_parabolic_adjoint(2, 3, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL);
  printf("NULL arrays: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "must be device arrays")) gc_failures++;
  printf("test_gpu_parabolic: %d failure(s)\n", gc_failures);
  return gc_failures ? 1 : 0;
}
