/*
   Parity of the narrow Verlet (Hamiltonian) kernels, tanh and, on fewer shapes, relu and identity (src/backend/cuda/verlet.cu, include/odyn/private/
   cudakernels.h) against the host: the references of src/backend/host/verletref.c (loops per example, gradient sums in
   long double) and the host table's sweeps (src/backend/host/denseverlet.c, what -odyn_backend host and hostref
   compute), on random fp64 data; then the device tangent against the device adjoint (dot product) and against central
   differences of the device forward, and the kernels' argument statuses. Then the reversible pair (forward_final +
   adjoint_reversible, memory flat in N) on every shape and on deep ones up to N = 1024 (reversible_checks: its bounds
   and why), and the state memory per example for N = 16 and 1024 (memory_checks).

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

static void run(shape sh, int act)
{
  const long   n = sh.n, m = sh.m, N = sh.N, s = sh.s, np = N * slot_of(n, m), ns = n * s, ms = m * s;
  const double h = sh.T / N, eps = 1e-5;
  char         tag[80];
  double      *theta = gc_host(np), *dtheta = gc_host(np), *Y0 = gc_host(ns), *dY0 = gc_host(ns), *W = gc_host(ns), *g0 = gc_host(np);
  double      *yt = gc_host((N + 1) * ns), *zt = gc_host((N + 1) * ms), *dYN = gc_host(ns), *dYNx = gc_host(ns), *gth = gc_host(np), *gY0 = gc_host(ns);
  double      *hy = gc_host((N + 1) * ns), *hz = gc_host((N + 1) * ms), *lin = gc_host(N * (n + m) * s), *hdY = gc_host(ns), *hg = gc_host(np), *hgY0 = gc_host(ns);

  snprintf(tag, sizeof(tag), "verlet %s n=%ld m=%ld N=%ld s=%ld h=%.3g", gc_act_name(act), n, m, N, s, h);
  fill_theta(n, m, N, theta);
  gc_fill_sweep_inputs(np, ns, dtheta, g0, Y0, dY0, W);
  /* the references, and the host table's sweeps */
  GC_CALL(odyn_verlet_ref_forward(act, n, m, N, s, h, theta, Y0, yt, zt));
  GC_CALL(odyn_verlet_ref_tangent(act, n, m, N, s, h, theta, dtheta, Y0, dY0, dYN));
  GC_CALL(odyn_verlet_ref_tangent(act, n, m, N, s, h, theta, NULL, Y0, dY0, dYNx));
  memcpy(gth, g0, (size_t)np * sizeof(double));
  GC_CALL(odyn_verlet_ref_adjoint(act, n, m, N, s, h, theta, yt, zt, W, gth, gY0));
  if (odyn_host_dense_verlet_forward(act, n, m, N, s, h, theta, Y0, hy, hz, lin) || odyn_host_dense_verlet_tangent(act, n, m, N, s, h, theta, dtheta, hy, hz, lin, dY0, hdY)) exit(1);
  memcpy(hg, g0, (size_t)np * sizeof(double));
  if (odyn_host_dense_verlet_adjoint(act, n, m, N, s, h, theta, hy, hz, lin, W, hg, hgY0)) exit(1);

  {
    double *d_th = gc_dev(theta, np), *d_dth = gc_dev(dtheta, np), *d_Y0 = gc_dev(Y0, ns), *d_dY0 = gc_dev(dY0, ns), *d_W = gc_dev(W, ns);
    double *d_Y = gc_dev(NULL, (N + 1) * ns), *d_Z = gc_dev(NULL, (N + 1) * ms), *d_dYN = gc_dev(NULL, ns), *d_g = gc_dev(g0, np), *d_gY0 = gc_dev(NULL, ns);
    double *d_p = gc_dev(NULL, np), *d_y0 = gc_dev(NULL, ns), *d_Yp = gc_dev(NULL, (N + 1) * ns), *d_Ym = gc_dev(NULL, (N + 1) * ns), *d_Zs = gc_dev(NULL, (N + 1) * ms);
    double *r, *r2, *r3, *tp = gc_host(np), *Y0p = gc_host(ns);

    GC_CALL(odyn_cuda_verlet_forward(act, n, m, N, s, h, d_th, d_Y0, d_Y, d_Z));
    r = gc_back(d_Y, (N + 1) * ns);
    r2 = gc_back(d_Z, (N + 1) * ms);
    gc_expectf(gc_reldiff(r, yt, (N + 1) * ns), 1e-12, "%s forward Y_0..Y_N vs reference", tag);
    gc_expectf(gc_reldiff(r, hy, (N + 1) * ns), 1e-12, "%s forward Y_0..Y_N vs host table", tag);
    gc_expectf(gc_reldiff(r2, zt, (N + 1) * ms), 1e-12, "%s forward Z_{-1/2}..Z_{N-1/2} vs reference", tag);
    free(r);
    free(r2);
    GC_CALL(odyn_cuda_verlet_tangent(act, n, m, N, s, h, d_th, d_dth, d_Y0, d_dY0, d_dYN));
    r = gc_back(d_dYN, ns);
    gc_expectf(gc_reldiff(r, dYN, ns), 1e-12, "%s tangent J (dtheta, dY0) vs reference", tag);
    gc_expectf(gc_reldiff(r, hdY, ns), 1e-12, "%s tangent J (dtheta, dY0) vs host table", tag);
    GC_CALL(odyn_cuda_verlet_tangent(act, n, m, N, s, h, d_th, NULL, d_Y0, d_dY0, d_dYN));
    r2 = gc_back(d_dYN, ns);
    gc_expectf(gc_reldiff(r2, dYNx, ns), 1e-12, "%s tangent J (0, dY0) vs reference", tag);
    free(r2);
    /* adjoint: gtheta += (onto g0), gY0 = */
    GC_CALL(odyn_cuda_verlet_adjoint(act, n, m, N, s, h, d_th, d_Y, d_Z, d_W, d_g, d_gY0));
    r2 = gc_back(d_g, np);
    r3 = gc_back(d_gY0, ns);
    gc_expectf(gc_reldiff(r2, gth, np), 1e-12, "%s adjoint gtheta += J_theta^T W vs reference", tag);
    gc_expectf(gc_reldiff(r2, hg, np), 1e-12, "%s adjoint gtheta vs host table", tag);
    gc_expectf(gc_reldiff(r3, gY0, ns), 1e-12, "%s adjoint gY0 = J_Y0^T W vs reference", tag);
    gc_expectf(gc_reldiff(r3, hgY0, ns), 1e-12, "%s adjoint gY0 vs host table", tag);
    free(r2);
    /* gY0 alone (no gradient): the same values */
    GC_CALL(odyn_cuda_verlet_adjoint(act, n, m, N, s, h, d_th, d_Y, d_Z, d_W, NULL, d_dYN));
    r2 = gc_back(d_dYN, ns);
    gc_expectf(gc_reldiff(r2, r3, ns), 0.0, "%s adjoint gY0 alone vs with the gradient", tag);
    free(r2);
    /* dot product on the device alone: <W, J v> = <J^T W, v>, gradient from zero */
    {
      double lhs = gc_dot(W, r, ns), rhs;
      GC_CALL(odyn_cuda_zero(d_g, np));
      GC_CALL(odyn_cuda_verlet_adjoint(act, n, m, N, s, h, d_th, d_Y, d_Z, d_W, d_g, d_gY0));
      r2  = gc_back(d_g, np);
      rhs = gc_dot(r2, dtheta, np) + gc_dot(r3, dY0, ns);
      gc_expectf(gc_dotdiff(lhs, rhs), 1e-12, "%s device dot test <W,Jv> vs <J^T W,v>", tag);
      free(r2);
    }
    free(r3);
    /* central differences of the device forward (not across relu's kinks) */
    if (act != ODYN_PW_RELU) {
      double *fp, *fm, *fd = gc_host(ns);
      for (int sg = 0; sg < 2; sg++) {
        const double e = sg ? -eps : eps;
        gc_shift(tp, theta, e, dtheta, np);
        gc_shift(Y0p, Y0, e, dY0, ns);
        GC_CALL(odyn_cuda_to_device(d_p, tp, np));
        GC_CALL(odyn_cuda_to_device(d_y0, Y0p, ns));
        GC_CALL(odyn_cuda_verlet_forward(act, n, m, N, s, h, d_p, d_y0, sg ? d_Ym : d_Yp, d_Zs));
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

/*
   The reversible pair (odyn_cuda_verlet_forward_final + odyn_cuda_verlet_adjoint_reversible): the last states against
   the stored forward's (bit for bit: the same arithmetic) and the reference's; the adjoint, whose states are rebuilt
   backwards in the kernel, against the host's reversible reference (verletref.c, the same walk) at 1e-12 as every
   other parity here; against the stored adjoint (device and reference) and the rebuilt Y_0 against Y_0 at DRIFT: the
   a priori bound for the rebuilt states' round-off, N steps x a few ulp (the tanh, the update) x the backward maps'
   amplification, at most e^T ~ 150 for T = 5 and ||K|| ~ 1: 1024 x 4 x 1.1e-16 x 150 = 7e-11 -> 1e-10. The CPU
   emulation (tools/cudaemu/run-verlet-emu.sh) measured far less, <= 7.5e-16 for N up to 256: a backward update
   y_{j+1} - h t with the forward's own t undoes fl(y_j + h t) exactly whenever |h t| << |y|, so the walk mostly returns
   the forward's states bit for bit. Then the device dot test on the reversible adjoint.
*/
#define DRIFT 1e-10
static void reversible_checks(shape sh, int act)
{
  const long   n = sh.n, m = sh.m, N = sh.N, s = sh.s, np = N * slot_of(n, m), ns = n * s, ms = m * s;
  const double h = sh.T / N;
  char         tag[80];
  double      *theta = gc_host(np), *dtheta = gc_host(np), *Y0 = gc_host(ns), *dY0 = gc_host(ns), *W = gc_host(ns), *g0 = gc_host(np);
  double      *yt = gc_host((N + 1) * ns), *zt = gc_host((N + 1) * ms), *sg = gc_host(np), *sgY0 = gc_host(ns), *rg = gc_host(np), *rgY0 = gc_host(ns), *rY0 = gc_host(ns);
  double      *d_th, *d_Y0, *d_W, *d_dth, *d_dY0, *d_Y, *d_Z, *d_YN, *d_ZN, *d_g, *d_gY0, *d_Y0r, *d_Jv;
  double      *a, *b, *c, *Jv;

  snprintf(tag, sizeof(tag), "verlet reversible %s n=%ld m=%ld N=%ld s=%ld h=%.3g", gc_act_name(act), n, m, N, s, h);
  fill_theta(n, m, N, theta);
  gc_fill_sweep_inputs(np, ns, dtheta, g0, Y0, dY0, W);
  GC_CALL(odyn_verlet_ref_forward(act, n, m, N, s, h, theta, Y0, yt, zt));
  memcpy(sg, g0, (size_t)np * sizeof(double));
  GC_CALL(odyn_verlet_ref_adjoint(act, n, m, N, s, h, theta, yt, zt, W, sg, sgY0));
  memcpy(rg, g0, (size_t)np * sizeof(double));
  GC_CALL(odyn_verlet_ref_adjoint_reversible(act, n, m, N, s, h, theta, yt + N * ns, zt + N * ms, W, rg, rgY0, rY0));
  gc_expectf(gc_reldiff(rY0, Y0, ns), DRIFT, "%s host reference: rebuilt Y_0 vs Y_0", tag);
  gc_expectf(gc_reldiff(rg, sg, np), DRIFT, "%s host reference: gtheta vs stored", tag);

  d_th  = gc_dev(theta, np);
  d_Y0  = gc_dev(Y0, ns);
  d_W   = gc_dev(W, ns);
  d_dth = gc_dev(dtheta, np);
  d_dY0 = gc_dev(dY0, ns);
  d_Y   = gc_dev(NULL, (N + 1) * ns);
  d_Z   = gc_dev(NULL, (N + 1) * ms);
  d_YN  = gc_dev(NULL, ns);
  d_ZN  = gc_dev(NULL, ms);
  d_g   = gc_dev(g0, np);
  d_gY0 = gc_dev(NULL, ns);
  d_Y0r = gc_dev(NULL, ns);
  d_Jv  = gc_dev(NULL, ns);
  GC_CALL(odyn_cuda_verlet_forward(act, n, m, N, s, h, d_th, d_Y0, d_Y, d_Z));
  GC_CALL(odyn_cuda_verlet_forward_final(act, n, m, N, s, h, d_th, d_Y0, d_YN, d_ZN));
  a = gc_back(d_YN, ns);
  b = gc_back(d_Y + N * ns, ns);
  gc_expectf(gc_reldiff(a, b, ns), 0.0, "%s forward_final Y_N vs the stored forward's", tag);
  gc_expectf(gc_reldiff(a, yt + N * ns, ns), 1e-12, "%s forward_final Y_N vs reference", tag);
  free(a), free(b);
  a = gc_back(d_ZN, ms);
  b = gc_back(d_Z + N * ms, ms);
  gc_expectf(gc_reldiff(a, b, ms), 0.0, "%s forward_final Z_{N-1/2} vs the stored forward's", tag);
  free(a), free(b);
  /* the stored adjoint on the device, then the reversible one (gtheta += onto g0 both) */
  GC_CALL(odyn_cuda_verlet_adjoint(act, n, m, N, s, h, d_th, d_Y, d_Z, d_W, d_g, d_gY0));
  a = gc_back(d_g, np);
  b = gc_back(d_gY0, ns);
  GC_CALL(odyn_cuda_to_device(d_g, g0, np));
  GC_CALL(odyn_cuda_verlet_adjoint_reversible(act, n, m, N, s, h, d_th, d_YN, d_ZN, d_W, d_g, d_gY0, d_Y0r));
  c = gc_back(d_g, np);
  gc_expectf(gc_reldiff(c, rg, np), 1e-12, "%s adjoint gtheta vs host reversible reference", tag);
  gc_expectf(gc_reldiff(c, a, np), DRIFT, "%s adjoint gtheta vs device stored adjoint (drift)", tag);
  gc_expectf(gc_reldiff(c, sg, np), DRIFT, "%s adjoint gtheta vs stored reference (drift)", tag);
  free(a), free(c);
  c = gc_back(d_gY0, ns);
  gc_expectf(gc_reldiff(c, rgY0, ns), 1e-12, "%s adjoint gY0 vs host reversible reference", tag);
  gc_expectf(gc_reldiff(c, b, ns), DRIFT, "%s adjoint gY0 vs device stored adjoint (drift)", tag);
  free(b), free(c);
  c = gc_back(d_Y0r, ns);
  gc_expectf(gc_reldiff(c, rY0, ns), 1e-12, "%s rebuilt Y_0 vs host reversible reference", tag);
  gc_expectf(gc_reldiff(c, Y0, ns), DRIFT, "%s rebuilt Y_0 vs Y_0 (drift)", tag);
  free(c);
  /* dot test on the device: <W, J v> (device tangent) = <J^T W, v> (reversible adjoint, gradient from zero) */
  GC_CALL(odyn_cuda_verlet_tangent(act, n, m, N, s, h, d_th, d_dth, d_Y0, d_dY0, d_Jv));
  GC_CALL(odyn_cuda_zero(d_g, np));
  GC_CALL(odyn_cuda_verlet_adjoint_reversible(act, n, m, N, s, h, d_th, d_YN, d_ZN, d_W, d_g, d_gY0, NULL));
  Jv = gc_back(d_Jv, ns);
  a  = gc_back(d_g, np);
  b  = gc_back(d_gY0, ns);
  /* scaled by ||W|| ||J v||: up to 80,000 terms of mixed signs here (gpucheck.h says why the plain ratio misleads) */
  gc_expectf(gc_dotdiff_scaled(gc_dot(W, Jv, ns), gc_dot(a, dtheta, np) + gc_dot(b, dY0, ns), W, Jv, ns), 1e-12, "%s device dot test, reversible adjoint", tag);
  free(a), free(b), free(Jv);
  {
    double *all[] = {d_th, d_Y0, d_W, d_dth, d_dY0, d_Y, d_Z, d_YN, d_ZN, d_g, d_gY0, d_Y0r, d_Jv};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) GC_CALL(odyn_cuda_free(all[i]));
  }
  free(theta), free(dtheta), free(Y0), free(dY0), free(W), free(g0), free(yt), free(zt), free(sg), free(sgY0), free(rg), free(rgY0), free(rY0);
}

/* the memory per example: the state arrays of the stored pair grow with N, the reversible pair's do not; the adjoint's
   workspace (per-block gradient slices) does not grow with s. Prints the bytes for N = 16 and 1024. */
static void memory_checks(void)
{
  const long n = 2, m = 2, s = 1000000, Ns[] = {16, 1024};
  long       st, wk, st2, wk2;

  for (int i = 0; i < 2; i++) {
    const long N = Ns[i];
    GC_CALL(odyn_cuda_verlet_memory(n, m, N, s, 0, &st, &wk));
    GC_CALL(odyn_cuda_verlet_memory(n, m, N, s, 1, &st2, &wk2));
    printf("verlet memory n=%ld m=%ld N=%ld s=%ld: stored states %.1f MiB, reversible states %.1f MiB, adjoint workspace <= %.2f MiB\n", n, m, N, s, st * 8.0 / 1048576, st2 * 8.0 / 1048576, wk * 8.0 / 1048576);
    if (st != (N + 1) * (n + m) * s || st2 != (n + m) * s || wk != wk2) gc_failures++;
    GC_CALL(odyn_cuda_verlet_memory(n, m, N, 10 * s, 1, &st2, &wk2));
    if (st2 != 10 * (n + m) * s || wk2 != wk) gc_failures++; /* the workspace is independent of s at this size */
  }
}

/* the references against themselves: adjoint vs tangent (dot product), tangent vs central differences */
static void host_ref_checks(int act, long n, long m, long N, long s)
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
  GC_CALL(odyn_verlet_ref_forward(act, n, m, N, s, h, th, Y0, yt, zt));
  GC_CALL(odyn_verlet_ref_tangent(act, n, m, N, s, h, th, dth, Y0, dY0, Jv));
  GC_CALL(odyn_verlet_ref_adjoint(act, n, m, N, s, h, th, yt, zt, W, g, gY0));
  {
    const double lhs = gc_dot(W, Jv, ns), rhs = gc_dot(g, dth, np) + gc_dot(gY0, dY0, ns);
    gc_expectf(gc_dotdiff(lhs, rhs), 1e-12, "host reference verlet %s n=%ld m=%ld N=%ld s=%ld dot test", gc_act_name(act), n, m, N, s);
  }
  for (int sg = 0; sg < 2; sg++) {
    gc_shift(tp, th, sg ? -eps : eps, dth, np);
    gc_shift(y0, Y0, sg ? -eps : eps, dY0, ns);
    GC_CALL(odyn_verlet_ref_forward(act, n, m, N, s, h, tp, y0, sg ? Ym : Yp, zt));
  }
  gc_central(fd, Yp + N * ns, Ym + N * ns, ns, eps);
  if (act != ODYN_PW_RELU) gc_expectf(gc_reldiff(Jv, fd, ns), 1e-7, "host reference verlet %s n=%ld m=%ld N=%ld s=%ld tangent vs central differences", gc_act_name(act), n, m, N, s);
  /* the reversible references: forward_final's states are the stored forward's last ones bit for bit; the reversible
     adjoint passes the dot test and rebuilds Y_0 (Yp, Ym reused for Y_N, Z_{N-1/2} and the rebuilt Y_0) */
  GC_CALL(odyn_verlet_ref_forward(act, n, m, N, s, h, th, Y0, yt, zt));
  GC_CALL(odyn_verlet_ref_forward_final(act, n, m, N, s, h, th, Y0, Yp, Ym));
  gc_expectf(gc_reldiff(Yp, yt + N * ns, ns) + gc_reldiff(Ym, zt + N * ms, ms), 0.0, "host reference verlet n=%ld m=%ld N=%ld s=%ld forward_final vs forward", n, m, N, s);
  memset(g, 0, (size_t)np * sizeof(double));
  GC_CALL(odyn_verlet_ref_adjoint_reversible(act, n, m, N, s, h, th, Yp, Ym, W, g, gY0, fd));
  gc_expectf(gc_dotdiff(gc_dot(W, Jv, ns), gc_dot(g, dth, np) + gc_dot(gY0, dY0, ns)), 1e-12, "host reference verlet n=%ld m=%ld N=%ld s=%ld reversible dot test", n, m, N, s);
  gc_expectf(gc_reldiff(fd, Y0, ns), 1e-14, "host reference verlet n=%ld m=%ld N=%ld s=%ld reversible rebuilt Y_0", n, m, N, s);
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

  host_ref_checks(ODYN_PW_TANH, 1, 1, 3, 5);
  host_ref_checks(ODYN_PW_TANH, 2, 4, 8, 17);
  host_ref_checks(ODYN_PW_TANH, 16, 5, 4, 9);
  host_ref_checks(ODYN_PW_RELU, 2, 4, 8, 17);
  host_ref_checks(ODYN_PW_IDENTITY, 2, 4, 8, 17);
  if (gc_failures) {
    printf("test_gpu_verlet: the host references fail their own checks\n");
    return 1;
  }
  gc_require_device("test_gpu_verlet");
  for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) run(shapes[i], ODYN_PW_TANH);
  /* the reversible pair on every shape, then deep ones (the stored arrays of N = 1024, s = 20,000: 656 MB) */
  for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) reversible_checks(shapes[i], ODYN_PW_TANH);
  {
    const shape deep[] = {{2, 2, 256, 4000, 5.0}, {8, 6, 256, 1000, 2.0}, {16, 16, 256, 300, 2.0}, {2, 2, 1024, 20000, 5.0}};
    for (size_t i = 0; i < sizeof(deep) / sizeof(deep[0]); i++) reversible_checks(deep[i], ODYN_PW_TANH);
  }
  { /* relu and identity (the kernels' other ACT instantiations) on fewer, small shapes: every group size, the
       parameters through the cache (n = m = 8, N = 200), stored and reversible, in the same bounds */
    const int   acts[] = {ODYN_PW_RELU, ODYN_PW_IDENTITY};
    const shape as[]   = {{1, 1, 5, 7, 2.0}, {2, 2, 4, 300, 5.0}, {3, 5, 7, 257, 2.0}, {8, 6, 10, 99, 2.0}, {8, 8, 200, 20, 2.0}, {16, 16, 6, 40, 2.0}};
    for (size_t a = 0; a < sizeof(acts) / sizeof(acts[0]); a++)
      for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
        run(as[i], acts[a]);
        reversible_checks(as[i], acts[a]);
      }
  }
  /* an activation none of identity, tanh and relu: refused before anything else (s = 0 would return at once) */
  gc_expect_act_refused("narrow verlet forward, act 3", 3, odyn_cuda_verlet_forward(3, 2, 2, 4, 0, 0.1, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("narrow verlet tangent, act 7", 7, odyn_cuda_verlet_tangent(7, 2, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("narrow verlet adjoint, act 3", 3, odyn_cuda_verlet_adjoint(3, 2, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("narrow verlet forward_final, act 7", 7, odyn_cuda_verlet_forward_final(7, 2, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("narrow verlet adjoint_reversible, act 3", 3, odyn_cuda_verlet_adjoint_reversible(3, 2, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  memory_checks();
  /* bad input: a clear status, nothing launched */
  st = odyn_cuda_verlet_forward(ODYN_PW_TANH, 2, 17, 4, 10, 0.1, NULL, NULL, NULL, NULL);
  printf("m = 17 on the Verlet kernels: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "m = 17")) gc_failures++;
  st = odyn_cuda_verlet_adjoint(ODYN_PW_TANH, 0, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL);
  if (st != ODYN_CUDA_ERR_ARG) gc_failures++;
  st = odyn_cuda_verlet_tangent(ODYN_PW_TANH, 2, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL);
  if (st != ODYN_CUDA_ERR_ARG) gc_failures++;
  st = odyn_cuda_verlet_forward_final(ODYN_PW_TANH, 2, 17, 4, 10, 0.1, NULL, NULL, NULL, NULL);
  if (st != ODYN_CUDA_ERR_ARG) gc_failures++;
  st = odyn_cuda_verlet_adjoint_reversible(ODYN_PW_TANH, 2, 2, 4, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  if (st != ODYN_CUDA_OK) gc_failures++; /* nothing asked: nothing done */
  {
    double *d = NULL;
    GC_CALL(odyn_cuda_malloc(&d, 40));
    st = odyn_cuda_verlet_adjoint_reversible(ODYN_PW_TANH, 2, 2, 4, 10, 0.1, d, d, d + 20, d, NULL, d, NULL); /* gY0 aliases YN */
    printf("gY0 aliasing YN: %s\n", odyn_cuda_status_string(st));
    if (st != ODYN_CUDA_ERR_ARG) gc_failures++;
    GC_CALL(odyn_cuda_free(d));
  }
  GC_CALL(odyn_cuda_synchronize());
  GC_CALL(odyn_cuda_kernels_finalize());
  printf("test_gpu_verlet: %d failure(s)\n", gc_failures);
  return gc_failures ? 1 : 0;
}
