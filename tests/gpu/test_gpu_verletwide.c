/*
   The wide Verlet (Hamiltonian) sweeps, tanh and relu and identity (src/backend/cuda/verletwide.cu, odyn_cuda_verlet_wide_*: per step and face
   one cuBLAS DGEMM and one fused pass, for n or m > 16) against the host: the stored sweeps against the host table's
   (src/backend/host/denseverlet.c, what -odyn_backend host and hostref compute), the reversible ones against the
   references of src/backend/host/verletref.c (forward_final, the tangent that recomputes from Y0, the adjoint that
   rebuilds the states backwards), on random fp64 data; then the device tangent against the device adjoint (dot
   product), stored and reversible, and the bad arguments.

   Tolerance 1e-12, norm-wise relative, for the reasons of test_gpu_verlet.c: both sides evaluate the same recursion,
   the device with FMAs and its own tanh (a few units of 1e-16 per step through N <= 12 steps of h ||K|| <= 0.5), the
   gradient summed over s <= 300 examples in cuBLAS's order against long double or the host kernels' order; the
   reversible sweeps rebuild their states backwards on both sides, each drifting by round-off. Exits 2 without a
   device.
*/
#include <string.h>
#include "gpucheck.h"
#include <odyn/private/backend.h>

static long slot_of(long n, long m) { return n * m + n + m; }

static void run(int act, long n, long m, long N, long s)
{
  const long   np = N * slot_of(n, m), ns = n * s, ms = m * s, nl = N * (n + m) * s;
  const double h = 1.0 / (N > 0 ? N : 1);
  double      *theta = gc_host(np), *dtheta = gc_host(np), *Y0 = gc_host(ns), *dY0 = gc_host(ns), *W = gc_host(ns), *g0 = gc_host(np);
  double      *hy = gc_host((N + 1) * ns), *hz = gc_host((N + 1) * ms), *lin = gc_host(nl > 0 ? nl : 1), *hdY = gc_host(ns), *hg = gc_host(np), *hgY0 = gc_host(ns);
  double      *rY = gc_host(ns), *rZ = gc_host(ms), *rdY = gc_host(ns), *rg = gc_host(np), *rgY0 = gc_host(ns);
  char         tag[64];

  snprintf(tag, sizeof(tag), "wide verlet %s n=%ld m=%ld N=%ld s=%ld", gc_act_name(act), n, m, N, s);
  for (long j = 0; j < N; j++) {
    gc_fill(theta + j * slot_of(n, m), n * m, 1.0 / sqrt((double)(n > m ? n : m)));
    gc_fill(theta + j * slot_of(n, m) + n * m, n + m, 0.5);
  }
  gc_fill_sweep_inputs(np, ns, dtheta, g0, Y0, dY0, W);
  memcpy(hg, g0, (size_t)np * sizeof(double));
  memcpy(rg, g0, (size_t)np * sizeof(double));
  if (odyn_host_dense_verlet_forward(act, n, m, N, s, h, theta, Y0, hy, hz, lin) || odyn_host_dense_verlet_tangent(act, n, m, N, s, h, theta, dtheta, hy, hz, lin, dY0, hdY) || odyn_host_dense_verlet_adjoint(act, n, m, N, s, h, theta, hy, hz, lin, W, hg, hgY0)) exit(1);
  GC_CALL(odyn_verlet_ref_forward_final(act, n, m, N, s, h, theta, Y0, rY, rZ));
  GC_CALL(odyn_verlet_ref_tangent(act, n, m, N, s, h, theta, dtheta, Y0, dY0, rdY));
  GC_CALL(odyn_verlet_ref_adjoint_reversible(act, n, m, N, s, h, theta, rY, rZ, W, rg, rgY0, NULL));
  {
    double *d_th = gc_dev(theta, np), *d_dth = gc_dev(dtheta, np), *d_Y0 = gc_dev(Y0, ns), *d_dY0 = gc_dev(dY0, ns), *d_W = gc_dev(W, ns);
    double *d_Y = gc_dev(NULL, (N + 1) * ns), *d_Z = gc_dev(NULL, (N + 1) * ms), *d_lin = gc_dev(NULL, nl > 0 ? nl : 1), *d_dYN = gc_dev(NULL, ns), *d_g = gc_dev(g0, np), *d_gY0 = gc_dev(NULL, ns);
    double *d_YN = gc_dev(NULL, ns), *d_ZN = gc_dev(NULL, ms);

    for (int rev = 0; rev < 2; rev++) {
      const char *kind = rev ? "reversible" : "stored";
      double     *r, *rz, *rd, *rgt, *rgy;

      GC_CALL(odyn_cuda_to_device(d_g, g0, np));
      if (rev) GC_CALL(odyn_cuda_verlet_wide_forward_final(act, n, m, N, s, h, d_th, d_Y0, d_YN, d_ZN));
      else GC_CALL(odyn_cuda_verlet_wide_forward(act, n, m, N, s, h, d_th, d_Y0, d_Y, d_Z, d_lin));
      r  = gc_back(rev ? d_YN : d_Y, (rev ? 1 : N + 1) * ns);
      rz = gc_back(rev ? d_ZN : d_Z, (rev ? 1 : N + 1) * ms);
      gc_expectf(gc_reldiff(r, rev ? rY : hy, (rev ? 1 : N + 1) * ns), 1e-12, "%s %s forward Y", tag, kind);
      gc_expectf(gc_reldiff(rz, rev ? rZ : hz, (rev ? 1 : N + 1) * ms), 1e-12, "%s %s forward Z", tag, kind);
      free(r), free(rz);
      if (rev) GC_CALL(odyn_cuda_verlet_wide_tangent_y0(act, n, m, N, s, h, d_th, d_dth, d_Y0, d_dY0, d_dYN));
      else GC_CALL(odyn_cuda_verlet_wide_tangent(act, n, m, N, s, h, d_th, d_dth, d_Y, d_Z, d_lin, d_dY0, d_dYN));
      rd = gc_back(d_dYN, ns);
      gc_expectf(gc_reldiff(rd, rev ? rdY : hdY, ns), 1e-12, "%s %s tangent J (dtheta, dY0)", tag, kind);
      if (rev) GC_CALL(odyn_cuda_verlet_wide_adjoint_reversible(act, n, m, N, s, h, d_th, d_YN, d_ZN, d_W, d_g, d_gY0));
      else GC_CALL(odyn_cuda_verlet_wide_adjoint(act, n, m, N, s, h, d_th, d_Y, d_Z, d_lin, d_W, d_g, d_gY0));
      rgt = gc_back(d_g, np);
      rgy = gc_back(d_gY0, ns);
      gc_expectf(gc_reldiff(rgt, rev ? rg : hg, np), 1e-12, "%s %s adjoint gtheta += J_theta^T W", tag, kind);
      gc_expectf(gc_reldiff(rgy, rev ? rgY0 : hgY0, ns), 1e-12, "%s %s adjoint gY0 = J_Y0^T W", tag, kind);
      { /* <W, J v> = <J^T W, v> on the device alone (gtheta accumulated onto g0, so subtract it) */
        double lhs = gc_dot(W, rd, ns), rhs = gc_dot(rgy, dY0, ns);
        for (long k = 0; k < np; k++) rhs += (rgt[k] - g0[k]) * dtheta[k];
        gc_expectf(gc_dotdiff(lhs, rhs), 1e-11, "%s %s device dot test", tag, kind);
      }
      /* the gradient alone and gY0 alone give the same numbers */
      GC_CALL(odyn_cuda_to_device(d_g, g0, np));
      if (rev) GC_CALL(odyn_cuda_verlet_wide_adjoint_reversible(act, n, m, N, s, h, d_th, d_YN, d_ZN, d_W, d_g, NULL));
      else GC_CALL(odyn_cuda_verlet_wide_adjoint(act, n, m, N, s, h, d_th, d_Y, d_Z, d_lin, d_W, d_g, NULL));
      r = gc_back(d_g, np);
      gc_expectf(gc_reldiff(r, rgt, np), 0.0, "%s %s adjoint, gtheta alone", tag, kind);
      free(r);
      if (rev) GC_CALL(odyn_cuda_verlet_wide_adjoint_reversible(act, n, m, N, s, h, d_th, d_YN, d_ZN, d_W, NULL, d_gY0));
      else GC_CALL(odyn_cuda_verlet_wide_adjoint(act, n, m, N, s, h, d_th, d_Y, d_Z, d_lin, d_W, NULL, d_gY0));
      r = gc_back(d_gY0, ns);
      gc_expectf(gc_reldiff(r, rgy, ns), 0.0, "%s %s adjoint, gY0 alone", tag, kind);
      free(r), free(rd), free(rgt), free(rgy);
    }
    double *all[] = {d_th, d_dth, d_Y0, d_dY0, d_W, d_Y, d_Z, d_lin, d_dYN, d_g, d_gY0, d_YN, d_ZN};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) GC_CALL(odyn_cuda_free(all[i]));
  }
  free(theta), free(dtheta), free(Y0), free(dY0), free(W), free(g0), free(hy), free(hz), free(lin), free(hdY), free(hg), free(hgY0);
  free(rY), free(rZ), free(rdY), free(rg), free(rgY0);
}

int main(void)
{
  int st;

  gc_require_device("test_gpu_verletwide");
  run(ODYN_PW_TANH, 20, 12, 4, 64);  /* test_netbackend's wide block */
  run(ODYN_PW_TANH, 3, 24, 5, 50);   /* narrow Y, wide hidden width */
  run(ODYN_PW_TANH, 33, 17, 12, 300); /* both wide, odd sizes */
  run(ODYN_PW_TANH, 17, 1, 3, 7);    /* m = 1 */
  run(ODYN_PW_TANH, 18, 20, 1, 5);   /* one step */
  run(ODYN_PW_TANH, 20, 20, 0, 9);   /* no step: Y_N = Y_0, gY0 = W */
  /* relu and identity in the same bounds */
  for (int a = 0; a < 2; a++) {
    const int act = a ? ODYN_PW_IDENTITY : ODYN_PW_RELU;
    run(act, 20, 12, 4, 64);
    run(act, 3, 24, 5, 50);
    run(act, 33, 17, 12, 300);
  }
  /* an activation none of identity, tanh and relu: refused before anything else (s = 0 would return at once) */
  gc_expect_act_refused("wide verlet forward, act 3", 3, odyn_cuda_verlet_wide_forward(3, 20, 20, 2, 0, 0.1, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("wide verlet tangent, act 7", 7, odyn_cuda_verlet_wide_tangent(7, 20, 20, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("wide verlet forward_final, act 3", 3, odyn_cuda_verlet_wide_forward_final(3, 20, 20, 2, 10, 0.1, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("wide verlet tangent_y0, act 7", 7, odyn_cuda_verlet_wide_tangent_y0(7, 20, 20, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("wide verlet adjoint_reversible, act 3", 3, odyn_cuda_verlet_wide_adjoint_reversible(3, 20, 20, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL));
  /* bad input: a clear status, nothing launched */
  st = odyn_cuda_verlet_wide_forward(ODYN_PW_TANH, 0, 4, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL);
  printf("n = 0: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "need n >= 1")) gc_failures++;
  st = odyn_cuda_verlet_wide_adjoint(ODYN_PW_TANH, 20, 20, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  printf("NULL arrays: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "must be device arrays")) gc_failures++;
  {
    double *a = gc_dev(NULL, 20 * 10);
    st        = odyn_cuda_verlet_wide_adjoint_reversible(ODYN_PW_TANH, 20, 20, 2, 10, 0.1, a, a, a, a, NULL, a);
    printf("gY0 = YN: %s\n", odyn_cuda_status_string(st));
    if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "must not alias")) gc_failures++;
    GC_CALL(odyn_cuda_free(a));
  }
  printf("test_gpu_verletwide: %d failure(s)\n", gc_failures);
  return gc_failures ? 1 : 0;
}
