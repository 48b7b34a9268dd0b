/*
   Parity of the dense Euler kernels (and of the leapfrog sweeps, run_leapfrog below) (include/odyn/private/cudakernels.h),
   tanh and, on fewer shapes, relu and identity: the narrow one-kernel sweeps (n <= 16)
   and the wide ones (fused one-kernel sweep for n <= 64, cuBLAS above) against the host references of src/backend/host/narrowref.c on random fp64 data, and the
   device tangent against the device adjoint (dot product) and against central differences of the device forward.

   Tolerance 1e-12, norm-wise relative. The states: device and host evaluate the same recursion in the same order, but
   the device contracts a*b + c into FMAs and its tanh differs from glibc's by an ulp or two, so each step adds a few
   units of 1e-16 relative, carried through N <= 200 steps of a contractive map (h ||K|| ~ 0.1): well below 1e-13. The
   parameter gradient sums over the s examples: the host sums in long double (error ~1e-19 relative), the device in
   double in a tree (per warp, per block over 8 warps, then across at most a few thousand blocks 8-way strided), so its
   error is ~(log2 s + blocks/8) eps times the condition of the sum (sum |terms| / |sum| ~ sqrt(s) for random signs):
   for s <= 10^4, ~(14 + 100) 1.1e-16 * 100 ~ 1e-12 in the very worst case, ~1e-14 in practice (s = 2 10^5 with the
   shared running gradient: 264 blocks, ~(18 + 33) 1.1e-16 * 450 ~ 2.5e-12 worst case, errors of random sign make it
   ~sqrt(51) 1.1e-16 * 450 ~ 4e-13; the one-thread adjoint that takes s >= 140,000 sums each warp's 32 examples in
   sequence, not in a tree: ~(32 + 8 + 3 + 33) 1.1e-16 * 450 ~ 3.8e-12 worst case, ~sqrt(76) 1.1e-16 * 450 ~ 4.3e-13
   with random signs, the same order as the groups'); the wide kernels sum in
   cuBLAS's order, likewise. Exits 2 without a device.
*/
#include <string.h>
#include "gpucheck.h"
#include <odyn/private/backend.h> /* the host table's leapfrog sweeps, the leapfrog kernels' reference */

typedef struct {
  long n, N, s;
  int  wide; /* 0: odyn_cuda_narrow_*, 1: odyn_cuda_dense_* (cuBLAS) */
} shape;

/* random inputs of a dense network: K_j ~ U(-1, 1) / sqrt(n) keeps ||K_j|| ~ 1, so tanh is neither saturated nor
   linear; b_j, the directions, W and the gradient's start g0 */
static void fill_inputs(long n, long N, long s, double *theta, double *dtheta, double *Y0, double *dY0, double *W, double *g0)
{
  const long np = N * (n * n + n), ns = n * s;

  for (long j = 0; j < N; j++) {
    gc_fill(theta + j * (n * n + n), n * n, 1.0 / sqrt((double)n));
    gc_fill(theta + j * (n * n + n) + n * n, n, 0.5);
  }
  gc_fill_sweep_inputs(np, ns, dtheta, g0, Y0, dY0, W);
}

static void run(shape sh, int act)
{
  const long   n = sh.n, N = sh.N, s = sh.s, np = N * (n * n + n), ns = n * s;
  const double h = 2.0 / (N > 0 ? N : 1), eps = 1e-5;
  double      *theta = gc_host(np), *dtheta = gc_host(np), *Y0 = gc_host(ns), *dY0 = gc_host(ns), *W = gc_host(ns), *g0 = gc_host(np);
  double      *traj = gc_host((N + 1) * ns), *YN = gc_host(ns), *dYN = gc_host(ns), *dYNx = gc_host(ns), *gth = gc_host(np), *gY0 = gc_host(ns);

  fill_inputs(n, N, s, theta, dtheta, Y0, dY0, W, g0);
  odyn_narrow_ref_forward(act, n, N, s, h, theta, Y0, traj, 1);
  odyn_narrow_ref_forward(act, n, N, s, h, theta, Y0, YN, 0);
  odyn_narrow_ref_tangent(act, n, N, s, h, theta, dtheta, Y0, dY0, dYN);
  odyn_narrow_ref_tangent(act, n, N, s, h, theta, NULL, Y0, dY0, dYNx);
  memcpy(gth, g0, (size_t)np * sizeof(double));
  odyn_narrow_ref_adjoint(act, n, N, s, h, theta, traj, W, gth, gY0);

  {
    double *d_th = gc_dev(theta, np), *d_dth = gc_dev(dtheta, np), *d_Y0 = gc_dev(Y0, ns), *d_dY0 = gc_dev(dY0, ns), *d_W = gc_dev(W, ns);
    double *d_traj = gc_dev(NULL, (N + 1) * ns), *d_YN = gc_dev(NULL, ns), *d_dYN = gc_dev(NULL, ns), *d_g = gc_dev(g0, np), *d_gY0 = gc_dev(NULL, ns);
    double *d_D = gc_dev(NULL, N * ns), *d_p = gc_dev(NULL, np), *d_Yp = gc_dev(NULL, (N + 1) * ns), *d_Ym = gc_dev(NULL, (N + 1) * ns);
    double *r, *r2, *r3, *tp = gc_host(np), *Y0p = gc_host(ns);
    char        kind[32];

    snprintf(kind, sizeof kind, "%s %s", sh.wide ? "wide" : "narrow", gc_act_name(act));

    /* forward: all states, and Y_N only */
    if (sh.wide) GC_CALL(odyn_cuda_dense_forward(act, n, N, s, h, d_th, d_Y0, d_traj, d_D));
    else {
      GC_CALL(odyn_cuda_narrow_forward(act, n, N, s, h, d_th, d_Y0, d_traj, 1));
      GC_CALL(odyn_cuda_narrow_forward(act, n, N, s, h, d_th, d_Y0, d_YN, 0));
    }
    r = gc_back(d_traj, (N + 1) * ns);
    gc_expectf(gc_reldiff(r, traj, (N + 1) * ns), 1e-12, "%s n=%ld N=%ld s=%ld forward, all states", kind, n, N, s);
    free(r);
    if (!sh.wide) {
      r = gc_back(d_YN, ns);
      gc_expectf(gc_reldiff(r, YN, ns), 1e-12, "%s n=%ld N=%ld s=%ld forward, Y_N only", kind, n, N, s);
      free(r);
    }
    /* tangent with (dtheta, dY0), and with dtheta = NULL */
    if (sh.wide) GC_CALL(odyn_cuda_dense_tangent(act, n, N, s, h, d_th, d_dth, d_traj, d_D, d_dY0, d_dYN));
    else GC_CALL(odyn_cuda_narrow_tangent(act, n, N, s, h, d_th, d_dth, d_Y0, d_dY0, d_dYN));
    r = gc_back(d_dYN, ns);
    gc_expectf(gc_reldiff(r, dYN, ns), 1e-12, "%s n=%ld N=%ld s=%ld tangent J (dtheta, dY0)", kind, n, N, s);
    if (sh.wide) GC_CALL(odyn_cuda_dense_tangent(act, n, N, s, h, d_th, NULL, d_traj, d_D, d_dY0, d_dYN));
    else GC_CALL(odyn_cuda_narrow_tangent(act, n, N, s, h, d_th, NULL, d_Y0, d_dY0, d_dYN));
    r2 = gc_back(d_dYN, ns);
    gc_expectf(gc_reldiff(r2, dYNx, ns), 1e-12, "%s n=%ld N=%ld s=%ld tangent J (0, dY0)", kind, n, N, s);
    free(r2);
    /* adjoint: gtheta += (accumulates onto g0), gY0 = */
    if (sh.wide) GC_CALL(odyn_cuda_dense_adjoint(act, n, N, s, h, d_th, d_traj, d_D, d_W, d_g, d_gY0));
    else GC_CALL(odyn_cuda_narrow_adjoint(act, n, N, s, h, d_th, d_traj, d_W, d_g, d_gY0));
    r2 = gc_back(d_g, np);
    r3 = gc_back(d_gY0, ns);
    gc_expectf(gc_reldiff(r2, gth, np), 1e-12, "%s n=%ld N=%ld s=%ld adjoint gtheta += J_theta^T W", kind, n, N, s);
    gc_expectf(gc_reldiff(r3, gY0, ns), 1e-12, "%s n=%ld N=%ld s=%ld adjoint gY0 = J_Y0^T W", kind, n, N, s);
    /* dot product on the device alone: <W, J v> = <J^T W, v>, gradient from zero */
    {
      double lhs = gc_dot(W, r, ns), rhs;
      free(r2);
      GC_CALL(odyn_cuda_zero(d_g, np));
      if (sh.wide) GC_CALL(odyn_cuda_dense_adjoint(act, n, N, s, h, d_th, d_traj, d_D, d_W, d_g, d_gY0));
      else GC_CALL(odyn_cuda_narrow_adjoint(act, n, N, s, h, d_th, d_traj, d_W, d_g, d_gY0));
      r2  = gc_back(d_g, np);
      rhs = gc_dot(r2, dtheta, np) + gc_dot(r3, dY0, ns);
      gc_expectf(gc_dotdiff(lhs, rhs), 1e-12, "%s n=%ld N=%ld s=%ld device dot test <W,Jv> vs <J^T W,v>", kind, n, N, s);
      free(r2);
    }
    free(r3);
    /* central differences of the device forward: (F(x + eps v) - F(x - eps v)) / (2 eps) = J v + O(eps^2); not
       across relu's kinks */
    if (act != ODYN_PW_RELU) {
      double *fp, *fm, *fd = gc_host(ns);
      for (int sg = 0; sg < 2; sg++) {
        const double e = sg ? -eps : eps;
        gc_shift(tp, theta, e, dtheta, np);
        gc_shift(Y0p, Y0, e, dY0, ns);
        GC_CALL(odyn_cuda_to_device(d_p, tp, np));
        GC_CALL(odyn_cuda_to_device(d_YN, Y0p, ns));
        if (sh.wide) GC_CALL(odyn_cuda_dense_forward(act, n, N, s, h, d_p, d_YN, sg ? d_Ym : d_Yp, NULL));
        else GC_CALL(odyn_cuda_narrow_forward(act, n, N, s, h, d_p, d_YN, sg ? d_Ym : d_Yp, 1));
      }
      fp = gc_back(d_Yp, (N + 1) * ns);
      fm = gc_back(d_Ym, (N + 1) * ns);
      gc_central(fd, fp + N * ns, fm + N * ns, ns, eps);
      gc_expectf(gc_reldiff(r, fd, ns), 1e-7, "%s n=%ld N=%ld s=%ld device tangent vs central differences", kind, n, N, s);
      free(fp);
      free(fm);
      free(fd);
    }
    free(r);
    free(tp);
    free(Y0p);
    double *all[] = {d_th, d_dth, d_Y0, d_dY0, d_W, d_traj, d_YN, d_dYN, d_g, d_gY0, d_D, d_p, d_Yp, d_Ym};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) GC_CALL(odyn_cuda_free(all[i]));
  }
  free(theta), free(dtheta), free(Y0), free(dY0), free(W), free(g0), free(traj), free(YN), free(dYN), free(dYNx), free(gth), free(gY0);
}

/*
   The leapfrog sweeps (Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 tanh(K_j Y_j + b_j)) on the device against the host table's
   (src/backend/host/denseleapfrog.c, which tests/test_backend.c checks against plain loops, Taylor and the dot product):
   path 0 the narrow kernels with LF (odyn_cuda_narrow_leapfrog_*, n <= 16), 1 the per-step cuBLAS path
   (odyn_cuda_leapfrog_*, any n), 2 the reversible sweeps (forward_final, tangent_y0, adjoint_reversible), 3 the narrow
   reversible ones (odyn_cuda_narrow_leapfrog_forward_final, _tangent, _adjoint_reversible: the previous-state register
   written beside Y_N, the states rebuilt in registers). The same 1e-12
   and reasons as for Euler above; the reversible adjoint rebuilds its states on both sides, each drifting by round-off
   per step, in the same 1e-12. Plus the device dot test.
*/
static void run_leapfrog(long n, long N, long s, int path, int act)
{
  const long   np = N * (n * n + n), ns = n * s;
  const double h = 2.0 / (N > 0 ? N : 1);
  const char  *kind0 = path == 0 ? "narrow leapfrog" : path == 1 ? "cuBLAS leapfrog" : path == 2 ? "reversible leapfrog" : "narrow reversible leapfrog";
  const int    rev  = path >= 2; /* 2: leapfrog.cu's per-step reversible sweeps, 3: the narrow kernels' */
  double      *theta = gc_host(np), *dtheta = gc_host(np), *Y0 = gc_host(ns), *dY0 = gc_host(ns), *W = gc_host(ns), *g0 = gc_host(np);
  double      *traj = gc_host((N + 1) * ns), *lin = gc_host(N * ns > 0 ? N * ns : 1), *dYN = gc_host(ns), *gth = gc_host(np), *gY0 = gc_host(ns);
  double      *YNm1 = gc_host(ns);
  char         kind[48];

  snprintf(kind, sizeof kind, "%s %s", kind0, gc_act_name(act));

  fill_inputs(n, N, s, theta, dtheta, Y0, dY0, W, g0);
  memcpy(gth, g0, (size_t)np * sizeof(double));
  if (odyn_host_dense_leapfrog_forward(act, n, N, s, h, theta, Y0, traj, lin) || odyn_host_dense_leapfrog_tangent(act, n, N, s, h, theta, dtheta, traj, lin, dY0, dYN)) gc_failures++;
  if (rev) {
    if (odyn_host_dense_leapfrog_forward_final(act, n, N, s, h, theta, Y0, traj + N * ns, YNm1) || odyn_host_dense_leapfrog_adjoint_reversible(act, n, N, s, h, theta, traj + N * ns, YNm1, W, gth, gY0)) gc_failures++;
  } else if (odyn_host_dense_leapfrog_adjoint(act, n, N, s, h, theta, traj, lin, W, gth, gY0)) gc_failures++;
  {
    double *d_th = gc_dev(theta, np), *d_dth = gc_dev(dtheta, np), *d_Y0 = gc_dev(Y0, ns), *d_dY0 = gc_dev(dY0, ns), *d_W = gc_dev(W, ns);
    double *d_traj = gc_dev(NULL, (N + 1) * ns), *d_D = gc_dev(NULL, N * ns > 0 ? N * ns : 1), *d_dYN = gc_dev(NULL, ns), *d_g = gc_dev(g0, np), *d_gY0 = gc_dev(NULL, ns);
    double *d_YNm1 = gc_dev(NULL, ns), *r, *r2, *r3;

    if (path == 0) GC_CALL(odyn_cuda_narrow_leapfrog_forward(act, n, N, s, h, d_th, d_Y0, d_traj, 1));
    else if (path == 1) GC_CALL(odyn_cuda_leapfrog_forward(act, n, N, s, h, d_th, d_Y0, d_traj, d_D));
    else if (path == 2) GC_CALL(odyn_cuda_leapfrog_forward_final(act, n, N, s, h, d_th, d_Y0, d_traj + N * ns, d_YNm1));
    else GC_CALL(odyn_cuda_narrow_leapfrog_forward_final(act, n, N, s, h, d_th, d_Y0, d_traj + N * ns, d_YNm1));
    r = gc_back(d_traj + (rev ? N * ns : 0), (rev ? 1 : N + 1) * ns);
    gc_expectf(gc_reldiff(r, traj + (rev ? N * ns : 0), (rev ? 1 : N + 1) * ns), 1e-12, "%s n=%ld N=%ld s=%ld forward", kind, n, N, s);
    free(r);
    if (rev) { /* Y_{N-1} beside Y_N (N = 0: Y_0) */
      r = gc_back(d_YNm1, ns);
      gc_expectf(gc_reldiff(r, YNm1, ns), 1e-12, "%s n=%ld N=%ld s=%ld forward Y_{N-1}", kind, n, N, s);
      free(r);
    }
    if (path == 0) GC_CALL(odyn_cuda_narrow_leapfrog_tangent(act, n, N, s, h, d_th, d_dth, d_traj, d_dY0, d_dYN));
    else if (path == 1) GC_CALL(odyn_cuda_leapfrog_tangent(act, n, N, s, h, d_th, d_dth, d_traj, d_D, d_dY0, d_dYN));
    else if (path == 2) GC_CALL(odyn_cuda_leapfrog_tangent_y0(act, n, N, s, h, d_th, d_dth, d_Y0, d_dY0, d_dYN));
    else GC_CALL(odyn_cuda_narrow_leapfrog_tangent(act, n, N, s, h, d_th, d_dth, d_Y0, d_dY0, d_dYN));
    r = gc_back(d_dYN, ns);
    gc_expectf(gc_reldiff(r, dYN, ns), 1e-12, "%s n=%ld N=%ld s=%ld tangent J (dtheta, dY0)", kind, n, N, s);
    if (path == 0) GC_CALL(odyn_cuda_narrow_leapfrog_adjoint(act, n, N, s, h, d_th, d_traj, d_W, d_g, d_gY0));
    else if (path == 1) GC_CALL(odyn_cuda_leapfrog_adjoint(act, n, N, s, h, d_th, d_traj, d_D, d_W, d_g, d_gY0));
    else if (path == 2) GC_CALL(odyn_cuda_leapfrog_adjoint_reversible(act, n, N, s, h, d_th, d_traj + N * ns, d_YNm1, d_W, d_g, d_gY0));
    else GC_CALL(odyn_cuda_narrow_leapfrog_adjoint_reversible(act, n, N, s, h, d_th, d_traj + N * ns, d_YNm1, d_W, d_g, d_gY0));
    r2 = gc_back(d_g, np);
    r3 = gc_back(d_gY0, ns);
    gc_expectf(gc_reldiff(r2, gth, np), 1e-12, "%s n=%ld N=%ld s=%ld adjoint gtheta += J_theta^T W", kind, n, N, s);
    gc_expectf(gc_reldiff(r3, gY0, ns), 1e-12, "%s n=%ld N=%ld s=%ld adjoint gY0 = J_Y0^T W", kind, n, N, s);
    { /* <W, J v> = <J^T W, v> on the device alone (gtheta accumulated onto g0, so subtract it) */
      double lhs = gc_dot(W, r, ns), rhs = gc_dot(r3, dY0, ns);
      for (long k = 0; k < np; k++) rhs += (r2[k] - g0[k]) * dtheta[k];
      gc_expectf(gc_dotdiff(lhs, rhs), 1e-11, "%s n=%ld N=%ld s=%ld device dot test <W,Jv> vs <J^T W,v>", kind, n, N, s);
    }
    free(r), free(r2), free(r3);
    double *all[] = {d_th, d_dth, d_Y0, d_dY0, d_W, d_traj, d_D, d_dYN, d_g, d_gY0, d_YNm1};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) GC_CALL(odyn_cuda_free(all[i]));
  }
  free(theta), free(dtheta), free(Y0), free(dY0), free(W), free(g0), free(traj), free(lin), free(dYN), free(gth), free(gY0), free(YNm1);
}

/* the host references checked against themselves, so that they run (and run under ASan) on machines without a GPU:
   the reference adjoint against the reference tangent (dot product) and the tangent against central differences */
static void host_ref_checks(int act, long n, long N, long s)
{
  const long   np = N * (n * n + n), ns = n * s;
  const double h = 2.0 / N, eps = 1e-5;
  double      *th = gc_host(np), *dth = gc_host(np), *Y0 = gc_host(ns), *dY0 = gc_host(ns), *W = gc_host(ns), *traj = gc_host((N + 1) * ns);
  double      *Jv = gc_host(ns), *g = gc_host(np), *gY0 = gc_host(ns), *tp = gc_host(np), *Yp = gc_host(ns), *Ym = gc_host(ns), *fd = gc_host(ns);

  gc_fill(th, np, 1.0 / sqrt((double)n));
  gc_fill(dth, np, 1.0);
  gc_fill(Y0, ns, 1.0);
  gc_fill(dY0, ns, 1.0);
  gc_fill(W, ns, 1.0);
  odyn_narrow_ref_forward(act, n, N, s, h, th, Y0, traj, 1);
  odyn_narrow_ref_tangent(act, n, N, s, h, th, dth, Y0, dY0, Jv);
  odyn_narrow_ref_adjoint(act, n, N, s, h, th, traj, W, g, gY0);
  {
    const double lhs = gc_dot(W, Jv, ns), rhs = gc_dot(g, dth, np) + gc_dot(gY0, dY0, ns);
    gc_expectf(gc_dotdiff(lhs, rhs), 1e-12, "host reference %s n=%ld N=%ld s=%ld dot test <W,Jv> vs <J^T W,v>", gc_act_name(act), n, N, s);
  }
  for (int sg = 0; sg < 2; sg++) {
    double *Y = sg ? Ym : Yp, *y0 = fd;
    gc_shift(tp, th, sg ? -eps : eps, dth, np);
    gc_shift(y0, Y0, sg ? -eps : eps, dY0, ns);
    odyn_narrow_ref_forward(act, n, N, s, h, tp, y0, Y, 0);
  }
  gc_central(fd, Yp, Ym, ns, eps);
  if (act != ODYN_PW_RELU) gc_expectf(gc_reldiff(Jv, fd, ns), 1e-7, "host reference %s n=%ld N=%ld s=%ld tangent vs central differences", gc_act_name(act), n, N, s);
  free(th), free(dth), free(Y0), free(dY0), free(W), free(traj), free(Jv), free(g), free(gY0), free(tp), free(Yp), free(Ym), free(fd);
}

int main(void)
{
  /* every group size (n = 1, 2, 3 -> 4, 5 -> 8, 8, 16), s = 1 and s not a multiple of a block's examples, parameters in
     shared memory and (n = 16 with N = 64; n = 8 with N = 200: more than the 96 KiB budget) through the cache. The
     adjoint: s <= 3001 in one pass (each block one chunk, its window flushes store to its global slice; N = 200: the
     fallback without shared parameters). s >= 140,000 (n <= 8): more than half the resident threads of a 132-SM
     H200 (135,168; 116,736 on a 114-SM H100), so the forward, tangent and adjoint take the one-thread-per-example
     kernels (odynk_one_thread_per_example; P = 1, 2, 4 with n = 3's idle row, 8 with n = 5's), the adjoint with the
     block's gradient in shared memory (ACC) and the parameters there too, except n = 8, N = 74: the parameters
     through the cache (params + ACC + scratch exceed the one-thread adjoint's budget from N = 74 on). */
  const shape shapes[] = {
    {1, 5, 1, 0},     {1, 32, 1000, 0}, {2, 16, 1, 0},   {2, 64, 1001, 0}, {3, 7, 257, 0}, {5, 40, 999, 0},
    {8, 64, 3001, 0}, {8, 200, 100, 0}, {8, 1, 33, 0},   {16, 12, 777, 0}, {16, 64, 300, 0}, {16, 3, 1, 0},
    {8, 4, 200000, 0}, {5, 3, 140001, 0}, {2, 6, 150000, 0}, {1, 4, 140000, 0}, {3, 5, 140003, 0}, {8, 74, 135200, 0},
    {5, 3, 10, 1},    {32, 6, 500, 1},  {64, 4, 1001, 1}, {8, 16, 2000, 1}, {48, 5, 129, 1}, {17, 2, 3000, 1}, {100, 3, 50, 1},
  };
  int st;

  host_ref_checks(ODYN_PW_TANH, 1, 3, 5);
  host_ref_checks(ODYN_PW_TANH, 5, 8, 17);
  host_ref_checks(ODYN_PW_TANH, 16, 4, 9);
  host_ref_checks(ODYN_PW_RELU, 5, 8, 17);
  host_ref_checks(ODYN_PW_IDENTITY, 5, 8, 17);
  if (gc_failures) {
    printf("test_gpu_narrow: the host references fail their own checks\n");
    return 1;
  }
  gc_require_device("test_gpu_narrow");
  for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) run(shapes[i], ODYN_PW_TANH);
  { /* leapfrog: every group size on the narrow kernels, the one-thread kernels (s >= 140,000: n 2 and 3 all three
       sweeps, n 5 forward and tangent with the groups' adjoint), the cuBLAS and reversible paths narrow and wide; the
       narrow reversible sweeps (path 3) on every group size, N = 1 (Y_{N-1} = Y_0), the parameters through the cache
       (n 8, N 200), the one-thread kernels */
    const long lf[][4] = {{1, 5, 1, 0},   {2, 16, 1001, 0}, {3, 7, 257, 0},   {5, 40, 999, 0},  {8, 64, 3001, 0}, {16, 12, 777, 0}, {8, 200, 100, 0},
                          {2, 6, 150000, 0}, {3, 4, 140003, 0}, {5, 3, 140001, 0}, {2, 8, 301, 1}, {20, 5, 130, 1}, {2, 8, 301, 2}, {20, 5, 130, 2},
                          {1, 1, 7, 3},   {2, 16, 1001, 3}, {3, 7, 257, 3},   {5, 40, 999, 3},  {8, 64, 3001, 3}, {16, 12, 777, 3}, {8, 200, 100, 3}, {2, 6, 150000, 3}, {3, 4, 140003, 3}};
    for (size_t i = 0; i < sizeof(lf) / sizeof(lf[0]); i++) run_leapfrog(lf[i][0], lf[i][1], lf[i][2], (int)lf[i][3], ODYN_PW_TANH);
  }
  { /* relu and identity (the kernels' other ACT instantiations, sigma' from the output) against the same references, in
       the same bounds: groups of every size, the parameters through the cache (n 8, N 200), the fused wide forward
       (n <= 64) and the cuBLAS one; leapfrog on each path. Small s: the one-thread kernels' instantiations are checked
       by tools/cudaemu/run-narrow-emu.sh, which launches them directly. */
    const int   acts[] = {ODYN_PW_RELU, ODYN_PW_IDENTITY};
    const shape as[]   = {{1, 5, 33, 0}, {3, 7, 257, 0}, {5, 6, 99, 0}, {16, 4, 40, 0}, {8, 200, 20, 0}, {5, 3, 10, 1}, {100, 3, 50, 1}};
    const long  al[][4] = {{2, 8, 301, 0}, {5, 6, 99, 0}, {20, 5, 130, 1}, {2, 8, 301, 2}, {20, 5, 130, 2}, {3, 7, 257, 3}, {16, 4, 40, 3}, {8, 200, 20, 3}};
    for (size_t a = 0; a < sizeof(acts) / sizeof(acts[0]); a++) {
      for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) run(as[i], acts[a]);
      for (size_t i = 0; i < sizeof(al) / sizeof(al[0]); i++) run_leapfrog(al[i][0], al[i][1], al[i][2], (int)al[i][3], acts[a]);
    }
  }
  /* an activation none of identity, tanh and relu: refused before anything else (s = 0 would return at once) */
  gc_expect_act_refused("narrow Euler forward, act 3", 3, odyn_cuda_narrow_forward(3, 2, 4, 0, 0.1, NULL, NULL, NULL, 1));
  gc_expect_act_refused("narrow Euler adjoint, act 7", 7, odyn_cuda_narrow_adjoint(7, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("narrow leapfrog tangent, act 3", 3, odyn_cuda_narrow_leapfrog_tangent(3, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("narrow reversible leapfrog forward, act 7", 7, odyn_cuda_narrow_leapfrog_forward_final(7, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("narrow reversible leapfrog adjoint, act 3", 3, odyn_cuda_narrow_leapfrog_adjoint_reversible(3, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("wide Euler forward, act 7", 7, odyn_cuda_dense_forward(7, 40, 4, 0, 0.1, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("wide Euler tangent, act 3", 3, odyn_cuda_dense_tangent(3, 40, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("cuBLAS leapfrog forward, act 3", 3, odyn_cuda_leapfrog_forward(3, 20, 4, 10, 0.1, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("reversible leapfrog adjoint, act 7", 7, odyn_cuda_leapfrog_adjoint_reversible(7, 20, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL));
  /* bad input: a clear status, nothing launched */
  st = odyn_cuda_narrow_forward(ODYN_PW_TANH, 17, 4, 10, 0.1, NULL, NULL, NULL, 0);
  printf("n = 17 on the narrow kernels: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "n = 17")) gc_failures++;
  st = odyn_cuda_narrow_adjoint(ODYN_PW_TANH, 0, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL);
  if (st != ODYN_CUDA_ERR_ARG) gc_failures++;
  {
    double *big = NULL;
    st = odyn_cuda_malloc(&big, 1L << 45); /* 256 TiB: more than any card */
    printf("allocating 256 TiB: %s\n", odyn_cuda_status_string(st));
    if (st != ODYN_CUDA_ERR_ALLOC || big) gc_failures++;
  }
  GC_CALL(odyn_cuda_synchronize());
  GC_CALL(odyn_cuda_kernels_finalize());
  printf("test_gpu_narrow: %d failure(s)\n", gc_failures);
  return gc_failures ? 1 : 0;
}
