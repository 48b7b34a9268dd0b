/*
   Parity of the narrow Verlet (Hamiltonian) tanh kernels (src/backend/cuda/verlet.cu, include/odyn/private/
   cudakernels.h) against the host: the references of src/backend/host/verletref.c (loops per example, gradient sums in
   long double) and the host table's sweeps (src/backend/host/verlettanh.c, what -odyn_backend host and hostref
   compute), on random fp64 data; then the device tangent against the device adjoint (dot product) and against central
   differences of the device forward, and the kernels' argument statuses.

   Tolerance 1e-12, norm-wise relative, for the reasons of test_gpu_narrow.c: the same recursion, but FMAs and CUDA's
   tanh (an ulp or two from glibc's, and from vtanh.h's 3 ulp on the host table) per face and step, carried through
   maps with h ||K|| <= 1 here (K ~ U(-1, 1) / sqrt(max(n, m))), and the gradient summed over the examples in a tree
   on the device (per warp, per block over 8 warps, then across the blocks in a fixed order). The peaks-sized shape
   (n = m = 2, N 4, T 5: h = 1.25) is the least contractive; its bound is the same estimate. Not run on a GPU yet: the
   first run on one must confirm these bounds (docs/gpu.md). The host references are checked against themselves first
   (dot product, central differences), so that part also runs without a device. Exits 2 without a device.
*/
#include <string.h>
#include "gpucheck.h"
#include <odyn/private/backend.h>

typedef struct {
  long   n, m, N, s;
  double T;
} shape;

static long slot_of(long n, long m) { return n * m + n + m; }

static void fill_theta(long n, long m, long N, double *theta)
{
  const long sl = slot_of(n, m);
  for (long j = 0; j < N; j++) {
    gc_fill(theta + j * sl, n * m, 1.0 / sqrt((double)(n > m ? n : m)));
    gc_fill(theta + j * sl + n * m, n + m, 0.5);
  }
}

static void run(shape sh)
{
  const long   n = sh.n, m = sh.m, N = sh.N, s = sh.s, np = N * slot_of(n, m), ns = n * s, ms = m * s;
  const double h = sh.T / N, eps = 1e-5;
  char         tag[80];
  double      *theta = gc_host(np), *dtheta = gc_host(np), *Y0 = gc_host(ns), *dY0 = gc_host(ns), *W = gc_host(ns), *g0 = gc_host(np);
  double      *yt = gc_host((N + 1) * ns), *zt = gc_host((N + 1) * ms), *dYN = gc_host(ns), *dYNx = gc_host(ns), *gth = gc_host(np), *gY0 = gc_host(ns);
  double      *hy = gc_host((N + 1) * ns), *hz = gc_host((N + 1) * ms), *lin = gc_host(N * (n + m) * s), *hdY = gc_host(ns), *hg = gc_host(np), *hgY0 = gc_host(ns);

  snprintf(tag, sizeof(tag), "verlet n=%ld m=%ld N=%ld s=%ld h=%.3g", n, m, N, s, h);
  fill_theta(n, m, N, theta);
  gc_fill(dtheta, np, 1.0);
  gc_fill(Y0, ns, 1.0);
  gc_fill(dY0, ns, 1.0);
  gc_fill(W, ns, 1.0);
  gc_fill(g0, np, 1.0);
  /* the references, and the host table's sweeps */
  GC_CALL(odyn_verlet_ref_forward(n, m, N, s, h, theta, Y0, yt, zt));
  GC_CALL(odyn_verlet_ref_tangent(n, m, N, s, h, theta, dtheta, Y0, dY0, dYN));
  GC_CALL(odyn_verlet_ref_tangent(n, m, N, s, h, theta, NULL, Y0, dY0, dYNx));
  memcpy(gth, g0, (size_t)np * sizeof(double));
  GC_CALL(odyn_verlet_ref_adjoint(n, m, N, s, h, theta, yt, zt, W, gth, gY0));
  if (odyn_host_verlet_tanh_forward(n, m, N, s, h, theta, Y0, hy, hz, lin) || odyn_host_verlet_tanh_tangent(n, m, N, s, h, theta, dtheta, hy, hz, lin, dY0, hdY)) exit(1);
  memcpy(hg, g0, (size_t)np * sizeof(double));
  if (odyn_host_verlet_tanh_adjoint(n, m, N, s, h, theta, hy, hz, lin, W, hg, hgY0)) exit(1);

  {
    double *d_th = gc_dev(theta, np), *d_dth = gc_dev(dtheta, np), *d_Y0 = gc_dev(Y0, ns), *d_dY0 = gc_dev(dY0, ns), *d_W = gc_dev(W, ns);
    double *d_Y = gc_dev(NULL, (N + 1) * ns), *d_Z = gc_dev(NULL, (N + 1) * ms), *d_dYN = gc_dev(NULL, ns), *d_g = gc_dev(g0, np), *d_gY0 = gc_dev(NULL, ns);
    double *d_p = gc_dev(NULL, np), *d_y0 = gc_dev(NULL, ns), *d_Yp = gc_dev(NULL, (N + 1) * ns), *d_Ym = gc_dev(NULL, (N + 1) * ns), *d_Zs = gc_dev(NULL, (N + 1) * ms);
    double *r, *r2, *r3, *tp = gc_host(np), *Y0p = gc_host(ns);

    GC_CALL(odyn_cuda_verlet_forward(n, m, N, s, h, d_th, d_Y0, d_Y, d_Z));
    r = gc_back(d_Y, (N + 1) * ns);
    r2 = gc_back(d_Z, (N + 1) * ms);
    gc_expectf(gc_reldiff(r, yt, (N + 1) * ns), 1e-12, "%s forward Y_0..Y_N vs reference", tag);
    gc_expectf(gc_reldiff(r, hy, (N + 1) * ns), 1e-12, "%s forward Y_0..Y_N vs host table", tag);
    gc_expectf(gc_reldiff(r2, zt, (N + 1) * ms), 1e-12, "%s forward Z_{-1/2}..Z_{N-1/2} vs reference", tag);
    free(r);
    free(r2);
    GC_CALL(odyn_cuda_verlet_tangent(n, m, N, s, h, d_th, d_dth, d_Y0, d_dY0, d_dYN));
    r = gc_back(d_dYN, ns);
    gc_expectf(gc_reldiff(r, dYN, ns), 1e-12, "%s tangent J (dtheta, dY0) vs reference", tag);
    gc_expectf(gc_reldiff(r, hdY, ns), 1e-12, "%s tangent J (dtheta, dY0) vs host table", tag);
    GC_CALL(odyn_cuda_verlet_tangent(n, m, N, s, h, d_th, NULL, d_Y0, d_dY0, d_dYN));
    r2 = gc_back(d_dYN, ns);
    gc_expectf(gc_reldiff(r2, dYNx, ns), 1e-12, "%s tangent J (0, dY0) vs reference", tag);
    free(r2);
    /* adjoint: gtheta += (onto g0), gY0 = */
    GC_CALL(odyn_cuda_verlet_adjoint(n, m, N, s, h, d_th, d_Y, d_Z, d_W, d_g, d_gY0));
    r2 = gc_back(d_g, np);
    r3 = gc_back(d_gY0, ns);
    gc_expectf(gc_reldiff(r2, gth, np), 1e-12, "%s adjoint gtheta += J_theta^T W vs reference", tag);
    gc_expectf(gc_reldiff(r2, hg, np), 1e-12, "%s adjoint gtheta vs host table", tag);
    gc_expectf(gc_reldiff(r3, gY0, ns), 1e-12, "%s adjoint gY0 = J_Y0^T W vs reference", tag);
    gc_expectf(gc_reldiff(r3, hgY0, ns), 1e-12, "%s adjoint gY0 vs host table", tag);
    free(r2);
    /* gY0 alone (no gradient): the same values */
    GC_CALL(odyn_cuda_verlet_adjoint(n, m, N, s, h, d_th, d_Y, d_Z, d_W, NULL, d_dYN));
    r2 = gc_back(d_dYN, ns);
    gc_expectf(gc_reldiff(r2, r3, ns), 0.0, "%s adjoint gY0 alone vs with the gradient", tag);
    free(r2);
    /* dot product on the device alone: <W, J v> = <J^T W, v>, gradient from zero */
    {
      double lhs = gc_dot(W, r, ns), rhs;
      GC_CALL(odyn_cuda_zero(d_g, np));
      GC_CALL(odyn_cuda_verlet_adjoint(n, m, N, s, h, d_th, d_Y, d_Z, d_W, d_g, d_gY0));
      r2  = gc_back(d_g, np);
      rhs = gc_dot(r2, dtheta, np) + gc_dot(r3, dY0, ns);
      gc_expectf(gc_dotdiff(lhs, rhs), 1e-12, "%s device dot test <W,Jv> vs <J^T W,v>", tag);
      free(r2);
    }
    free(r3);
    /* central differences of the device forward */
    {
      double *fp, *fm, *fd = gc_host(ns);
      for (int sg = 0; sg < 2; sg++) {
        const double e = sg ? -eps : eps;
        gc_shift(tp, theta, e, dtheta, np);
        gc_shift(Y0p, Y0, e, dY0, ns);
        GC_CALL(odyn_cuda_to_device(d_p, tp, np));
        GC_CALL(odyn_cuda_to_device(d_y0, Y0p, ns));
        GC_CALL(odyn_cuda_verlet_forward(n, m, N, s, h, d_p, d_y0, sg ? d_Ym : d_Yp, d_Zs));
      }
      fp = gc_back(d_Yp, (N + 1) * ns);
      fm = gc_back(d_Ym, (N + 1) * ns);
      gc_central(fd, fp + N * ns, fm + N * ns, ns, eps);
      gc_expectf(gc_reldiff(r, fd, ns), 1e-7, "%s device tangent vs central differences", tag);
      free(fp);
      free(fm);
      free(fd);
    }
    free(r);
    free(tp);
    free(Y0p);
    double *all[] = {d_th, d_dth, d_Y0, d_dY0, d_W, d_Y, d_Z, d_dYN, d_g, d_gY0, d_p, d_y0, d_Yp, d_Ym, d_Zs};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) GC_CALL(odyn_cuda_free(all[i]));
  }
  free(theta), free(dtheta), free(Y0), free(dY0), free(W), free(g0), free(yt), free(zt), free(dYN), free(dYNx), free(gth), free(gY0);
  free(hy), free(hz), free(lin), free(hdY), free(hg), free(hgY0);
}

/* the references against themselves: adjoint vs tangent (dot product), tangent vs central differences */
static void host_ref_checks(long n, long m, long N, long s)
{
  const long   np = N * slot_of(n, m), ns = n * s, ms = m * s;
  const double h = 2.0 / N, eps = 1e-5;
  double      *th = gc_host(np), *dth = gc_host(np), *Y0 = gc_host(ns), *dY0 = gc_host(ns), *W = gc_host(ns), *yt = gc_host((N + 1) * ns), *zt = gc_host((N + 1) * ms);
  double      *Jv = gc_host(ns), *g = gc_host(np), *gY0 = gc_host(ns), *tp = gc_host(np), *y0 = gc_host(ns), *Yp = gc_host((N + 1) * ns), *Ym = gc_host((N + 1) * ns), *fd = gc_host(ns);

  fill_theta(n, m, N, th);
  gc_fill(dth, np, 1.0);
  gc_fill(Y0, ns, 1.0);
  gc_fill(dY0, ns, 1.0);
  gc_fill(W, ns, 1.0);
  GC_CALL(odyn_verlet_ref_forward(n, m, N, s, h, th, Y0, yt, zt));
  GC_CALL(odyn_verlet_ref_tangent(n, m, N, s, h, th, dth, Y0, dY0, Jv));
  GC_CALL(odyn_verlet_ref_adjoint(n, m, N, s, h, th, yt, zt, W, g, gY0));
  {
    const double lhs = gc_dot(W, Jv, ns), rhs = gc_dot(g, dth, np) + gc_dot(gY0, dY0, ns);
    gc_expectf(gc_dotdiff(lhs, rhs), 1e-12, "host reference verlet n=%ld m=%ld N=%ld s=%ld dot test", n, m, N, s);
  }
  for (int sg = 0; sg < 2; sg++) {
    gc_shift(tp, th, sg ? -eps : eps, dth, np);
    gc_shift(y0, Y0, sg ? -eps : eps, dY0, ns);
    GC_CALL(odyn_verlet_ref_forward(n, m, N, s, h, tp, y0, sg ? Ym : Yp, zt));
  }
  gc_central(fd, Yp + N * ns, Ym + N * ns, ns, eps);
  gc_expectf(gc_reldiff(Jv, fd, ns), 1e-7, "host reference verlet n=%ld m=%ld N=%ld s=%ld tangent vs central differences", n, m, N, s);
  free(th), free(dth), free(Y0), free(dY0), free(W), free(yt), free(zt), free(Jv), free(g), free(gY0), free(tp), free(y0), free(Yp), free(Ym), free(fd);
}

int main(void)
{
  /* every group size (max(n, m) = 1, 2, 4, 5 -> 8, 16), m below, equal to and above n, s = 1 and s not a multiple of a
     block's examples, the peaks block (n = m = 2, N 4, T 5) with its 4,000 examples, parameters in shared memory and
     (n = m = 8 with N = 200, n = m = 16 with N = 64: over the 96 KiB budget) through the cache. The adjoint: the
     shapes up to s = 4,000 run in one pass (each block one chunk, window flushes into its global slice); s = 30,000
     (n = m = 8, 32 examples a chunk) and 200,000 (n = m = 2, 128 a chunk) exceed what the resident blocks of an
     H100/H200 hold at once, so blocks walk several chunks with the block's gradient in shared memory (ACC) */
  const shape shapes[] = {
    {1, 1, 5, 1, 2.0},    {2, 2, 4, 4000, 5.0}, {2, 2, 16, 1, 2.0},   {2, 4, 16, 1001, 2.0}, {3, 5, 7, 257, 2.0},   {5, 3, 40, 999, 2.0},
    {8, 6, 64, 3001, 2.0}, {8, 8, 200, 100, 2.0}, {8, 8, 1, 33, 2.0}, {16, 16, 12, 777, 2.0}, {16, 16, 64, 300, 2.0}, {4, 16, 3, 1, 2.0},
    {16, 3, 20, 500, 2.0}, {8, 8, 6, 30000, 2.0}, {2, 2, 4, 200000, 5.0},
  };
  int st;

  host_ref_checks(1, 1, 3, 5);
  host_ref_checks(2, 4, 8, 17);
  host_ref_checks(16, 5, 4, 9);
  if (gc_failures) {
    printf("test_gpu_verlet: the host references fail their own checks\n");
    return 1;
  }
  gc_require_device("test_gpu_verlet");
  for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) run(shapes[i]);
  /* bad input: a clear status, nothing launched */
  st = odyn_cuda_verlet_forward(2, 17, 4, 10, 0.1, NULL, NULL, NULL, NULL);
  printf("m = 17 on the Verlet kernels: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "m = 17")) gc_failures++;
  st = odyn_cuda_verlet_adjoint(0, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL);
  if (st != ODYN_CUDA_ERR_ARG) gc_failures++;
  st = odyn_cuda_verlet_tangent(2, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL);
  if (st != ODYN_CUDA_ERR_ARG) gc_failures++;
  GC_CALL(odyn_cuda_synchronize());
  GC_CALL(odyn_cuda_kernels_finalize());
  printf("test_gpu_verlet: %d failure(s)\n", gc_failures);
  return gc_failures ? 1 : 0;
}
