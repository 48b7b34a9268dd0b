static const char help[] = "bench_cuda: odyn's own CUDA kernels on the shapes of issue 8, fp64, timed with CUDA events after a warm-up\n"
                           "(include/odyn/private/cudakernels.h, docs/gpu-kernels.md). One line per measurement, targets beside them.\n"
                           "  -reps <r>     timed repetitions per measurement, the mean is reported (default 10)\n"
                           "  -quick        small shapes only (a smoke run: s = 10,000 and batch 200)\n"
                           "  -dump <dir>   write the inputs and outputs of a small dense and a small conv net as raw float64 .bin\n"
                           "                files (plus <name>.txt with the sizes) for bench/torch_compare.py's oracle check, then exit\n"
                           "Exit code: 0, 1 on a failed CUDA call, 2 without a CUDA device.\n";

/*
  Flop counts (per example and step; tanh counted as 1 flop, as in PyTorch's profiler convention of one op per element):
    dense Euler tanh, Y + h tanh(K Y + b), n x n:   forward 2n^2 + 4n;  tangent 4n^2 + 7n (K dY, dK Y);  adjoint 4n^2 + 6n
      (K^T u and the gradient u Y^T; the kernels' recomputations of K Y are not counted)
    Verlet tanh, n = m (two faces per step):       forward 4n^2 + 8n;  tangent 8n^2 + 14n;  adjoint 8n^2 + 12n (likewise)
    conv 3x3 Euler layer Y + h tanh(K * Y + b), c channels, per pixel and output channel:
      forward 18 c + 4 (convolution, bias, tanh, h *, +);  adjoints 2 x 18 c (input and stencil) + 2 (h D .* P) + 1 (bias)
  Targets of issue 8 (H100 numbers there; the H200 has the same fp64 units and more memory bandwidth):
    n = 8, s = 10,000: forward <= 0.05 ms; s = 1,000,000: <= 1.0 ms; tangent, adjoint <= 2.5 x forward
    n = 64, s = 1,000,000: forward >= 12 TFLOP/s (cuBLAS DGEMM alone ~23 on an H100)
    conv 6 channels 28x28, N = 16: forward >= 10 TFLOP/s, forward + both adjoints >= 5 TFLOP/s
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cuda_runtime.h>
#include <odyn/private/backend.h>
#include <odyn/private/cudakernels.h>
#include <odyn/private/lossfn.h>
#include <odyn/private/pointwise.h>

static int failed; /* a CUDA call failed: the line says FAILED and the run goes on with the next measurement */

#define TRY(call) \
  do { \
    int st_ = (call); \
    if (st_) { \
      printf("FAILED %s: %s\n", #call, odyn_cuda_status_string(st_)); \
      failed = 1; \
      return -1; \
    } \
  } while (0)

static unsigned long long rs = 0x9E3779B97F4A7C15ULL;
static double             urand(void)
{
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return 2.0 * (double)(rs >> 11) / 9007199254740992.0 - 1.0;
}

/* a device array of len uniform values in [-scale, scale] (NULL on failure, reported) */
static double *dev_rand(long len, double scale)
{
  double *h = (double *)malloc((size_t)(len > 0 ? len : 1) * sizeof(double)), *d = NULL;
  int     st;
  if (!h) return NULL;
  for (long i = 0; i < len; i++) h[i] = scale * urand();
  st = odyn_cuda_malloc(&d, len);
  if (!st) st = odyn_cuda_to_device(d, h, len);
  free(h);
  if (st) {
    printf("FAILED allocating %ld doubles (%.2f GiB): %s\n", len, len * 8.0 / (1 << 30), odyn_cuda_status_string(st));
    failed = 1;
    odyn_cuda_free(d);
    return NULL;
  }
  return d;
}

/* dense theta: K_j ~ U(-1, 1) / sqrt(n) (||K_j|| ~ 1), b_j ~ U(-0.5, 0.5) */
static double *dense_theta(long n, long N)
{
  const long slot = n * n + n;
  double    *h = (double *)malloc((size_t)(N * slot) * sizeof(double)), *d = NULL;
  if (!h) return NULL;
  for (long j = 0; j < N; j++)
    for (long k = 0; k < slot; k++) h[j * slot + k] = (k < n * n ? 1.0 / sqrt((double)n) : 0.5) * urand();
  if (odyn_cuda_malloc(&d, N * slot) || odyn_cuda_to_device(d, h, N * slot)) {
    printf("FAILED allocating theta\n");
    failed = 1;
    odyn_cuda_free(d);
    d = NULL;
  }
  free(h);
  return d;
}

/* ---- timing: mean of reps runs of op after one warm-up, with CUDA events ---- */
typedef int (*op_fn)(void *ctx, int which);

static double time_ms(op_fn op, void *ctx, int which, int reps)
{
  cudaEvent_t e0, e1;
  float       ms = 0.0f;
  if (op(ctx, which) || odyn_cuda_synchronize()) return -1.0;
  if (cudaEventCreate(&e0) != cudaSuccess || cudaEventCreate(&e1) != cudaSuccess) return -1.0;
  cudaEventRecord(e0, 0);
  for (int r = 0; r < reps; r++)
    if (op(ctx, which)) return -1.0;
  cudaEventRecord(e1, 0);
  if (cudaEventSynchronize(e1) != cudaSuccess || odyn_cuda_synchronize()) return -1.0;
  cudaEventElapsedTime(&ms, e0, e1);
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return ms / reps;
}

/* ---- dense Euler tanh ---- */
typedef struct {
  long    n, N, s;
  double  h;
  int     wide, lf; /* lf: the leapfrog sweeps (narrow kernels with LF) instead of Euler's */
  double *theta, *dtheta, *Y0, *dY0, *W, *traj, *D, *out, *g, *gY0;
} dense_ctx;

enum { OP_FWD_LAST, OP_FWD_ALL, OP_TAN, OP_ADJ, OP_GEMM, OP_ADJ_REV };

static int dense_op(void *vctx, int which)
{
  dense_ctx *c = (dense_ctx *)vctx;
  if (c->lf) switch (which) {
    case OP_FWD_ALL:
      TRY(odyn_cuda_narrow_leapfrog_forward(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->Y0, c->traj, 1));
      return 0;
    case OP_TAN:
      TRY(odyn_cuda_narrow_leapfrog_tangent(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->dtheta, c->Y0, c->dY0, c->out));
      return 0;
    case OP_ADJ:
      TRY(odyn_cuda_narrow_leapfrog_adjoint(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->traj, c->W, c->g, c->gY0));
      return 0;
    case OP_FWD_LAST: /* the reversible forward: Y_N into out, Y_{N-1} into the first n s of traj */
      TRY(odyn_cuda_narrow_leapfrog_forward_final(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->Y0, c->out, c->traj));
      return 0;
    case OP_ADJ_REV: /* the reversible adjoint from those two states */
      TRY(odyn_cuda_narrow_leapfrog_adjoint_reversible(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->out, c->traj, c->W, c->g, c->gY0));
      return 0;
    default:
      return 0;
    }
  switch (which) {
  case OP_FWD_LAST: /* what inference needs: narrow, Y_N only; wide, the states without D */
    if (c->wide) TRY(odyn_cuda_dense_forward(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->Y0, c->traj, NULL));
    else TRY(odyn_cuda_narrow_forward(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->Y0, c->out, 0));
    break;
  case OP_FWD_ALL:
    if (c->wide) TRY(odyn_cuda_dense_forward(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->Y0, c->traj, c->D));
    else TRY(odyn_cuda_narrow_forward(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->Y0, c->traj, 1));
    break;
  case OP_TAN:
    if (c->wide) TRY(odyn_cuda_dense_tangent(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->dtheta, c->traj, c->D, c->dY0, c->out));
    else TRY(odyn_cuda_narrow_tangent(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->dtheta, c->Y0, c->dY0, c->out));
    break;
  case OP_ADJ:
    if (c->wide) TRY(odyn_cuda_dense_adjoint(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->traj, c->D, c->W, c->g, c->gY0));
    else TRY(odyn_cuda_narrow_adjoint(ODYN_PW_TANH, c->n, c->N, c->s, c->h, c->theta, c->traj, c->W, c->g, c->gY0));
    break;
  case OP_GEMM: /* the forward's DGEMMs alone: N products K_j Y (n x n times n x s) */
    for (long j = 0; j < c->N; j++) TRY(odyn_cuda_dgemm(c->n, c->s, c->n, c->theta + j * (c->n * c->n + c->n), c->Y0, c->out));
    break;
  }
  return 0;
}

/* the context's device arrays for c->n, c->N, c->s (the trajectory, and D when with_D): 0, or 1 after saying why */
static int dense_alloc(dense_ctx *c, int with_D)
{
  const long n = c->n, N = c->N, ns = n * c->s;

  if (!(c->theta = dense_theta(n, N)) || !(c->dtheta = dev_rand(N * (n * n + n), 1.0)) || !(c->Y0 = dev_rand(ns, 1.0)) || !(c->dY0 = dev_rand(ns, 1.0)) || !(c->W = dev_rand(ns, 1.0)) || !(c->out = dev_rand(ns, 0.0)) || !(c->gY0 = dev_rand(ns, 0.0)) || !(c->g = dev_rand(N * (n * n + n), 0.0))) return 1;
  if (odyn_cuda_malloc(&c->traj, (N + 1) * ns) || (with_D && odyn_cuda_malloc(&c->D, N * ns))) {
    printf("FAILED: no room for the trajectory: %s\n", odyn_cuda_status_string(ODYN_CUDA_ERR_ALLOC));
    failed = 1;
    return 1;
  }
  return 0;
}

static void dense_free(dense_ctx *c)
{
  odyn_cuda_free(c->theta), odyn_cuda_free(c->dtheta), odyn_cuda_free(c->Y0), odyn_cuda_free(c->dY0), odyn_cuda_free(c->W), odyn_cuda_free(c->out);
  odyn_cuda_free(c->gY0), odyn_cuda_free(c->g), odyn_cuda_free(c->traj), odyn_cuda_free(c->D);
  odyn_cuda_kernels_finalize(); /* the workspace of one shape is not kept for the next */
}

static void dense_bench(long n, long s, int reps)
{
  const long N = 64, ns = n * s;
  dense_ctx  c;
  const int  wide = n > ODYN_CUDA_NARROW_MAX;
  const char *kind = wide ? "cuBLAS+fused" : "narrow kernel";
  double     tf, ta, tt, tj, tg, fl_f = (double)N * s * (2.0 * n * n + 4.0 * n), fl_t = (double)N * s * (4.0 * n * n + 7.0 * n), fl_a = (double)N * s * (4.0 * n * n + 6.0 * n);

  memset(&c, 0, sizeof(c));
  c.n = n, c.N = N, c.s = s, c.h = 1.0 / N, c.wide = wide;
  printf("-- dense Euler tanh N=%ld n=%ld s=%ld (%s); states %.2f GiB\n", N, n, s, kind, (N + 1) * ns * 8.0 / (1 << 30));
  if (dense_alloc(&c, wide)) goto done;
  tf = time_ms(dense_op, &c, OP_FWD_LAST, reps);
  printf("dense n=%ld s=%ld forward (%s)  %9.4f ms  %8.1f GFLOP/s%s\n", n, s, wide ? "states, no D" : "Y_N only    ", tf, fl_f / tf * 1e-6,
         n == 8 ? (s == 10000 ? "   target <= 0.05 ms (PyTorch 2.96 ms)" : s == 1000000 ? "   target <= 1.0 ms (PyTorch 18.9 ms)" : "")
                : (wide && s == 1000000 ? "   target >= 12000 GFLOP/s (PyTorch ~4300)" : ""));
  tj = time_ms(dense_op, &c, OP_FWD_ALL, reps);
  printf("dense n=%ld s=%ld forward (%s)  %9.4f ms  %8.1f GFLOP/s   (what the tangent and adjoint need)\n", n, s, wide ? "states + D  " : "all states  ", tj, fl_f / tj * 1e-6);
  tt = time_ms(dense_op, &c, OP_TAN, reps);
  printf("dense n=%ld s=%ld tangent                   %9.4f ms  %8.1f GFLOP/s   %.2f x forward (target <= 2.5)\n", n, s, tt, fl_t / tt * 1e-6, tt / tf);
  ta = time_ms(dense_op, &c, OP_ADJ, reps);
  printf("dense n=%ld s=%ld adjoint (gtheta, gY0)     %9.4f ms  %8.1f GFLOP/s   %.2f x forward (target <= 2.5)\n", n, s, ta, fl_a / ta * 1e-6, ta / tf);
  tg = time_ms(dense_op, &c, OP_GEMM, reps);
  printf("dense n=%ld s=%ld cuBLAS DGEMM alone (N x K Y) %9.4f ms %8.1f GFLOP/s   (the forward's GEMM flops 2 n^2 s N)\n", n, s, tg, 2.0 * n * n * s * N / tg * 1e-6);
done:
  dense_free(&c);
}

/* ---- dense leapfrog tanh, narrow: Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 tanh(K_j Y_j + b_j) (narrow.cu's kernels with LF) ---- */
static void leapfrog_bench(long n, long s, int reps)
{
  const long N = 64;
  dense_ctx  c;
  double     tf, tt, ta, fl_f = (double)N * s * (2.0 * n * n + 6.0 * n), fl_t = (double)N * s * (4.0 * n * n + 11.0 * n), fl_a = (double)N * s * (4.0 * n * n + 9.0 * n);

  memset(&c, 0, sizeof(c));
  c.n = n, c.N = N, c.s = s, c.h = 1.0 / N, c.lf = 1;
  printf("-- dense leapfrog tanh N=%ld n=%ld s=%ld (narrow kernel)\n", N, n, s);
  if (dense_alloc(&c, 0)) goto done;
  tf = time_ms(dense_op, &c, OP_FWD_ALL, reps);
  printf("leapfrog n=%ld s=%ld forward (all states)  %9.4f ms  %8.1f GFLOP/s\n", n, s, tf, fl_f / tf * 1e-6);
  tt = time_ms(dense_op, &c, OP_TAN, reps);
  printf("leapfrog n=%ld s=%ld tangent               %9.4f ms  %8.1f GFLOP/s   %.2f x forward (target <= 2.5)\n", n, s, tt, fl_t / tt * 1e-6, tt / tf);
  ta = time_ms(dense_op, &c, OP_ADJ, reps);
  printf("leapfrog n=%ld s=%ld adjoint (gtheta, gY0) %9.4f ms  %8.1f GFLOP/s   %.2f x forward (target <= 2.5)\n", n, s, ta, fl_a / ta * 1e-6, ta / tf);
  /* reversible (-odyn_scheme_trajectory recompute): the forward keeps Y_N and Y_{N-1}, the adjoint rebuilds the states
     in registers (+ 3 n flops per step and example; no states read) */
  tf = time_ms(dense_op, &c, OP_FWD_LAST, reps);
  printf("leapfrog n=%ld s=%ld reversible forward     %9.4f ms  %8.1f GFLOP/s\n", n, s, tf, fl_f / tf * 1e-6);
  ta = time_ms(dense_op, &c, OP_ADJ_REV, reps);
  printf("leapfrog n=%ld s=%ld reversible adjoint     %9.4f ms  %8.1f GFLOP/s   %.2f x forward (target <= 2.5)\n", n, s, ta, (fl_a + 3.0 * N * s * n) / ta * 1e-6, ta / tf);
done:
  dense_free(&c);
}

/* ---- Verlet (Hamiltonian) tanh, n = m: Z -= h tanh(K^T Y + bG), Y += h tanh(K Z + bF) (narrow kernels of verlet.cu;
   n > 16: the cuBLAS sweeps of verletwide.cu, which keep sigma' of both faces in lin) ---- */
typedef struct {
  long    n, N, s;
  double  h;
  int     wide;
  double *theta, *dtheta, *Y0, *dY0, *W, *Y, *Z, *lin, *out, *g, *gY0;
} verlet_ctx;

static int verlet_wide_op(verlet_ctx *c, int which)
{
  switch (which) {
  case OP_FWD_ALL:
    TRY(odyn_cuda_verlet_wide_forward(ODYN_PW_TANH, c->n, c->n, c->N, c->s, c->h, c->theta, c->Y0, c->Y, c->Z, c->lin));
    break;
  case OP_TAN:
    TRY(odyn_cuda_verlet_wide_tangent(ODYN_PW_TANH, c->n, c->n, c->N, c->s, c->h, c->theta, c->dtheta, c->Y, c->Z, c->lin, c->dY0, c->out));
    break;
  case OP_ADJ:
    TRY(odyn_cuda_verlet_wide_adjoint(ODYN_PW_TANH, c->n, c->n, c->N, c->s, c->h, c->theta, c->Y, c->Z, c->lin, c->W, c->g, c->gY0));
    break;
  case OP_FWD_LAST:
    TRY(odyn_cuda_verlet_wide_forward_final(ODYN_PW_TANH, c->n, c->n, c->N, c->s, c->h, c->theta, c->Y0, c->Y, c->Z));
    break;
  case OP_GEMM:
    TRY(odyn_cuda_verlet_wide_adjoint_reversible(ODYN_PW_TANH, c->n, c->n, c->N, c->s, c->h, c->theta, c->Y, c->Z, c->W, c->g, c->gY0));
    break;
  }
  return 0;
}

static int verlet_op(void *vctx, int which)
{
  verlet_ctx *c = (verlet_ctx *)vctx;
  if (c->wide) return verlet_wide_op(c, which);
  switch (which) {
  case OP_FWD_ALL:
    TRY(odyn_cuda_verlet_forward(ODYN_PW_TANH, c->n, c->n, c->N, c->s, c->h, c->theta, c->Y0, c->Y, c->Z));
    break;
  case OP_TAN:
    TRY(odyn_cuda_verlet_tangent(ODYN_PW_TANH, c->n, c->n, c->N, c->s, c->h, c->theta, c->dtheta, c->Y0, c->dY0, c->out));
    break;
  case OP_ADJ:
    TRY(odyn_cuda_verlet_adjoint(ODYN_PW_TANH, c->n, c->n, c->N, c->s, c->h, c->theta, c->Y, c->Z, c->W, c->g, c->gY0));
    break;
  case OP_FWD_LAST: /* the reversible pair: Y_N, Z_{N-1/2} into the first state slots */
    TRY(odyn_cuda_verlet_forward_final(ODYN_PW_TANH, c->n, c->n, c->N, c->s, c->h, c->theta, c->Y0, c->Y, c->Z));
    break;
  case OP_GEMM: /* (no GEMM here) the reversible adjoint from forward_final's pair */
    TRY(odyn_cuda_verlet_adjoint_reversible(ODYN_PW_TANH, c->n, c->n, c->N, c->s, c->h, c->theta, c->Y, c->Z, c->W, c->g, c->gY0, NULL));
    break;
  }
  return 0;
}

static void verlet_bench(long n, long s, int reps)
{
  const long  N = 64, ns = n * s, np = N * (n * n + 2 * n);
  verlet_ctx  c;
  double      tf, ta, tt, fl_f = (double)N * s * (4.0 * n * n + 8.0 * n), fl_t = (double)N * s * (8.0 * n * n + 14.0 * n), fl_a = (double)N * s * (8.0 * n * n + 12.0 * n);

  memset(&c, 0, sizeof(c));
  c.n = n, c.N = N, c.s = s, c.h = 1.0 / N, c.wide = n > 16;
  printf("-- Verlet tanh N=%ld n=m=%ld s=%ld (%s); states %.2f GiB\n", N, n, s, c.wide ? "cuBLAS, verletwide.cu" : "narrow kernel", (2.0 * (N + 1) + (c.wide ? 2.0 * N : 0.0)) * ns * 8.0 / (1 << 30));
  if (!(c.theta = dev_rand(np, 1.0 / sqrt((double)n))) || !(c.dtheta = dev_rand(np, 1.0)) || !(c.Y0 = dev_rand(ns, 1.0)) || !(c.dY0 = dev_rand(ns, 1.0)) || !(c.W = dev_rand(ns, 1.0)) || !(c.out = dev_rand(ns, 0.0)) || !(c.gY0 = dev_rand(ns, 0.0)) || !(c.g = dev_rand(np, 0.0))) goto done;
  if (odyn_cuda_malloc(&c.Y, (N + 1) * ns) || odyn_cuda_malloc(&c.Z, (N + 1) * ns) || (c.wide && odyn_cuda_malloc(&c.lin, 2 * N * ns))) {
    printf("FAILED: no room for the trajectory: %s\n", odyn_cuda_status_string(ODYN_CUDA_ERR_ALLOC));
    failed = 1;
    goto done;
  }
  tf = time_ms(verlet_op, &c, OP_FWD_ALL, reps);
  printf("verlet n=%ld s=%ld forward (all states)    %9.4f ms  %8.1f GFLOP/s\n", n, s, tf, fl_f / tf * 1e-6);
  tt = time_ms(verlet_op, &c, OP_TAN, reps);
  printf("verlet n=%ld s=%ld tangent                 %9.4f ms  %8.1f GFLOP/s   %.2f x forward (target <= 2.5)\n", n, s, tt, fl_t / tt * 1e-6, tt / tf);
  ta = time_ms(verlet_op, &c, OP_ADJ, reps);
  printf("verlet n=%ld s=%ld adjoint (gtheta, gY0)   %9.4f ms  %8.1f GFLOP/s   %.2f x forward (target <= 2.5)\n", n, s, ta, fl_a / ta * 1e-6, ta / tf);
  /* the reversible pair (states (n + m) s instead of (N + 1)(n + m) s): the adjoint rebuilds them, one FMA more per
     row and face, no state loads; the ratio against the storing forward */
  tf = time_ms(verlet_op, &c, OP_FWD_LAST, reps);
  printf("verlet n=%ld s=%ld forward (last states)   %9.4f ms  %8.1f GFLOP/s\n", n, s, tf, fl_f / tf * 1e-6);
  ta = time_ms(verlet_op, &c, OP_GEMM, reps);
  printf("verlet n=%ld s=%ld adjoint reversible      %9.4f ms  %8.1f GFLOP/s   %.2f x forward (last states)\n", n, s, ta, fl_a / ta * 1e-6, ta / tf);
done:
  odyn_cuda_free(c.theta), odyn_cuda_free(c.dtheta), odyn_cuda_free(c.Y0), odyn_cuda_free(c.dY0), odyn_cuda_free(c.W), odyn_cuda_free(c.out);
  odyn_cuda_free(c.gY0), odyn_cuda_free(c.g), odyn_cuda_free(c.Y), odyn_cuda_free(c.Z), odyn_cuda_free(c.lin);
  odyn_cuda_kernels_finalize();
}

/* ---- parabolic tanh, forward Euler with the symmetric layer: Y -= h K^T tanh(K Y + b), K m x n: the cuBLAS sweeps
   (parabolic.cu, any widths, sigma and sigma' kept) or, with narrow, the one-kernel sweeps (parabolicnarrow.cu,
   n, m <= 16, no lin: the tangent recomputes the states) ---- */
static int parabolic_sweep(int narrow, int k, long n, long m, long N, long s, const double *theta, const double *dtheta, const double *Y0, const double *dY0, const double *W, double *Y, double *lin, double *out, double *g, double *gY0)
{
  const double h = 1.0 / N;

  if (narrow) return k == 0 ? odyn_cuda_parabolic_narrow_forward(ODYN_PW_TANH, n, m, N, s, h, theta, Y0, Y) : k == 1 ? odyn_cuda_parabolic_narrow_tangent(ODYN_PW_TANH, n, m, N, s, h, theta, dtheta, Y, dY0, out) : odyn_cuda_parabolic_narrow_adjoint(ODYN_PW_TANH, n, m, N, s, h, theta, Y, W, g, gY0);
  return k == 0 ? odyn_cuda_parabolic_forward(ODYN_PW_TANH, n, m, N, s, h, theta, Y0, Y, lin) : k == 1 ? odyn_cuda_parabolic_tangent(ODYN_PW_TANH, n, m, N, s, h, theta, dtheta, Y, lin, dY0, out) : odyn_cuda_parabolic_adjoint(ODYN_PW_TANH, n, m, N, s, h, theta, Y, lin, W, g, gY0);
}

static void parabolic_bench(long n, long m, long s, int narrow, int reps)
{
  const long N = 64, ns = n * s, np = N * (m * n + m), nl = narrow ? 0 : 2 * N * m * s;
  double    *theta = NULL, *dtheta = NULL, *Y0 = NULL, *dY0 = NULL, *W = NULL, *Y = NULL, *lin = NULL, *out = NULL, *g = NULL, *gY0 = NULL;
  double     t[3], fl[3] = {(double)N * s * 4.0 * n * m, (double)N * s * 8.0 * n * m, (double)N * s * 8.0 * n * m};
  const char *what[3] = {"forward (all states)  ", "tangent               ", "adjoint (gtheta, gY0) "};
  int         st = 0;

  printf("-- parabolic tanh N=%ld n=%ld m=%ld s=%ld (%s); states%s %.2f GiB\n", N, n, m, s, narrow ? "one kernel per sweep, parabolicnarrow.cu" : "cuBLAS, parabolic.cu", narrow ? "" : " and sigma, sigma'", ((N + 1) * ns + nl) * 8.0 / (1 << 30));
  if (!(theta = dev_rand(np, 1.0 / sqrt((double)(n > m ? n : m)))) || !(dtheta = dev_rand(np, 1.0)) || !(Y0 = dev_rand(ns, 1.0)) || !(dY0 = dev_rand(ns, 1.0)) || !(W = dev_rand(ns, 1.0)) || !(out = dev_rand(ns, 0.0)) || !(gY0 = dev_rand(ns, 0.0)) || !(g = dev_rand(np, 0.0))) goto done;
  if (odyn_cuda_malloc(&Y, (N + 1) * ns) || (nl && odyn_cuda_malloc(&lin, nl))) {
    printf("FAILED: no room for the trajectory: %s\n", odyn_cuda_status_string(ODYN_CUDA_ERR_ALLOC));
    failed = 1;
    goto done;
  }
  for (int k = 0; k < 3; k++) {
    cudaEvent_t e0, e1;
    float       ms = 0;

    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    for (int r = -1; r < reps; r++) { /* one warm-up, then timed */
      if (r == 0) cudaEventRecord(e0, 0);
      st = parabolic_sweep(narrow, k, n, m, N, s, theta, dtheta, Y0, dY0, W, Y, lin, out, g, gY0);
      if (st) goto fail;
    }
    cudaEventRecord(e1, 0);
    cudaEventSynchronize(e1);
    cudaEventElapsedTime(&ms, e0, e1);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    t[k] = ms / reps;
    printf("parabolic%s n=%ld m=%ld s=%ld %s %9.4f ms  %8.1f GFLOP/s%s", narrow ? " (narrow)" : "", n, m, s, what[k], t[k], fl[k] / t[k] * 1e-6, k ? "" : "\n");
    if (k) printf("   %.2f x forward (target <= 2.5)\n", t[k] / t[0]);
  }
  goto done;
fail:
  printf("FAILED: %s\n", odyn_cuda_status_string(st));
  failed = 1;
done:
  odyn_cuda_free(theta), odyn_cuda_free(dtheta), odyn_cuda_free(Y0), odyn_cuda_free(dY0), odyn_cuda_free(W), odyn_cuda_free(Y);
  odyn_cuda_free(lin), odyn_cuda_free(out), odyn_cuda_free(g), odyn_cuda_free(gY0);
  odyn_cuda_kernels_finalize();
}

/* ---- conv ResNet: N Euler steps Y + h tanh(K_j * Y + b_j), c channels ---- */
typedef struct {
  odyn_conv_geom g;
  long           N, s;
  double         h;
  double        *theta, *dtheta, *traj, *D, *W, *P, *T, *T2, *dY, *g_, *ones, *csum, *cs2;
  int            with_bias_grad;
} conv_ctx;

static long conv_slot(const odyn_conv_geom *g) { return g->cin * g->cout * 9 + g->cout; }

static int conv_forward(conv_ctx *c)
{
  const long len = c->g.cin * c->g.h * c->g.w * c->s, slot = conv_slot(&c->g);
  for (long j = 0; j < c->N; j++) TRY(odyn_cuda_conv3_euler(&c->g, c->s, c->theta + j * slot, c->theta + j * slot + c->g.cin * c->g.cout * 9, ODYN_PW_TANH, c->h, c->traj + j * len, c->traj + (j + 1) * len, c->D + j * len));
  return 0;
}

/* dY_{j+1} = dY_j + h D_j .* (K_j * dY_j + dK_j * Y_j + db_j), from dY (in place) */
static int conv_tangent(conv_ctx *c)
{
  const long len = c->g.cin * c->g.h * c->g.w * c->s, slot = conv_slot(&c->g), nk = c->g.cin * c->g.cout * 9;
  for (long j = 0; j < c->N; j++) {
    TRY(odyn_cuda_conv3_forward_bias_act(&c->g, c->s, c->dtheta + j * slot, c->traj + j * len, c->dtheta + j * slot + nk, ODYN_PW_IDENTITY, c->T, NULL));
    TRY(odyn_cuda_conv3_forward(&c->g, c->s, c->theta + j * slot, 1.0, c->dY, 1.0, c->T));
    TRY(odyn_cuda_hadamard(len, c->h, c->D + j * len, c->T, c->T2));
    TRY(odyn_cuda_axpy(len, 1.0, c->T2, c->dY));
  }
  return 0;
}

/* P (= W on entry) -> gY0 in place; g_ += the parameter gradient (bias gradient: per-channel sums of T by two DGEMMs
   with vectors of ones, only with with_bias_grad) */
static int conv_adjoint(conv_ctx *c)
{
  const long len = c->g.cin * c->g.h * c->g.w * c->s, slot = conv_slot(&c->g), nk = c->g.cin * c->g.cout * 9, hw = c->g.h * c->g.w;
  for (long j = c->N - 1; j >= 0; j--) {
    TRY(odyn_cuda_hadamard(len, c->h, c->D + j * len, c->P, c->T));
    TRY(odyn_cuda_conv3_stencil_grad(&c->g, c->s, c->traj + j * len, c->T, 1.0, c->g_ + j * slot));
    if (c->with_bias_grad) {
      TRY(odyn_cuda_dgemm(1, c->g.cout * c->s, hw, c->ones, c->T, c->csum));
      TRY(odyn_cuda_dgemm(c->g.cout, 1, c->s, c->csum, c->ones, c->cs2));
      TRY(odyn_cuda_axpy(c->g.cout, 1.0, c->cs2, c->g_ + j * slot + nk));
    }
    TRY(odyn_cuda_conv3_adjoint(&c->g, c->s, c->theta + j * slot, 1.0, c->T, 1.0, c->P));
  }
  return 0;
}

enum { OP_CONV_BARE, OP_CONV_FWD, OP_CONV_FWD_ADJ };

static int conv_op(void *vctx, int which)
{
  conv_ctx *c = (conv_ctx *)vctx;
  switch (which) {
  case OP_CONV_BARE: /* N bare convolutions, Y = K * X */
    for (long j = 0; j < c->N; j++) TRY(odyn_cuda_conv3_forward(&c->g, c->s, c->theta + j * conv_slot(&c->g), 1.0, c->traj, 0.0, c->T));
    break;
  case OP_CONV_FWD: return conv_forward(c);
  case OP_CONV_FWD_ADJ: /* P = W afresh each time, so that repetitions do not compound */
    if (conv_forward(c)) return -1;
    if (cudaMemcpyAsync(c->P, c->W, (size_t)c->g.cin * c->g.h * c->g.w * c->s * sizeof(double), cudaMemcpyDeviceToDevice, 0) != cudaSuccess) return -1;
    return conv_adjoint(c);
  }
  return 0;
}

static int conv_alloc(conv_ctx *c, double scale_theta)
{
  const long len = c->g.cin * c->g.h * c->g.w * c->s, slot = conv_slot(&c->g), hw = c->g.h * c->g.w;
  double    *ones_h;
  if (!(c->theta = dev_rand(c->N * slot, scale_theta)) || !(c->dtheta = dev_rand(c->N * slot, 1.0))) return -1;
  if (odyn_cuda_malloc(&c->traj, (c->N + 1) * len) || odyn_cuda_malloc(&c->D, c->N * len)) {
    printf("FAILED: no room for the trajectory (%.2f GiB)\n", (2 * c->N + 1) * len * 8.0 / (1 << 30));
    failed = 1;
    return -1;
  }
  {
    double *y0 = dev_rand(len, 1.0);
    if (!y0) return -1;
    if (cudaMemcpy(c->traj, y0, (size_t)len * sizeof(double), cudaMemcpyDeviceToDevice) != cudaSuccess) {
      printf("FAILED copying Y0\n");
      failed = 1;
      return -1;
    }
    odyn_cuda_free(y0);
  }
  if (!(c->W = dev_rand(len, 1.0)) || !(c->P = dev_rand(len, 0.0)) || !(c->T = dev_rand(len, 0.0)) || !(c->T2 = dev_rand(len, 0.0)) || !(c->dY = dev_rand(len, 0.0)) || !(c->g_ = dev_rand(c->N * slot, 0.0))) return -1;
  ones_h = (double *)malloc((size_t)(hw > c->s ? hw : c->s) * sizeof(double));
  if (!ones_h) return -1;
  for (long i = 0; i < (hw > c->s ? hw : c->s); i++) ones_h[i] = 1.0;
  if (odyn_cuda_malloc(&c->ones, hw > c->s ? hw : c->s) || odyn_cuda_to_device(c->ones, ones_h, hw > c->s ? hw : c->s) || odyn_cuda_malloc(&c->csum, c->g.cout * c->s) || odyn_cuda_malloc(&c->cs2, c->g.cout)) {
    free(ones_h);
    printf("FAILED allocating the conv work arrays\n");
    failed = 1;
    return -1;
  }
  free(ones_h);
  return 0;
}

static void conv_free(conv_ctx *c)
{
  double *a[] = {c->theta, c->dtheta, c->traj, c->D, c->W, c->P, c->T, c->T2, c->dY, c->g_, c->ones, c->csum, c->cs2};
  for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) odyn_cuda_free(a[i]);
  odyn_cuda_kernels_finalize();
}

static void conv_bench(long ch, long hgt, long wid, long s, int reps)
{
  conv_ctx     c;
  const long   N = 16, out = ch * hgt * wid * s;
  const double fl_conv = 18.0 * ch * out * N, fl_f = fl_conv + 4.0 * out * N, fl_fa = fl_f + 2.0 * fl_conv + 2.0 * out * N;
  const int    direct = ch <= ODYN_CUDA_CONV_MAXC;
  double       tb, tf, tfa;

  memset(&c, 0, sizeof(c));
  c.g = (odyn_conv_geom){hgt, wid, ch, ch, 3};
  c.N = N, c.s = s, c.h = 1.0 / N;
  printf("-- conv 3x3 Euler tanh, %ld channels, %ldx%ld, batch %ld, N=%ld (%s)\n", ch, hgt, wid, s, N, direct ? "direct kernels" : "im2col + cuBLAS, convgemm.cu");
  if (!conv_alloc(&c, 1.0 / sqrt(9.0 * ch))) {
    tb = time_ms(conv_op, &c, OP_CONV_BARE, reps);
    printf("conv c=%ld batch=%ld bare convolution x N      %9.4f ms  %8.2f TFLOP/s   %s\n", ch, s, tb, fl_conv / tb * 1e-9, direct ? "(first kernel of issue 8: 11.7 at batch 1000)" : "(cuBLAS DGEMM alone: about 23 on wide shapes)");
    tf = time_ms(conv_op, &c, OP_CONV_FWD, reps);
    printf("conv c=%ld batch=%ld forward (fused layer)     %9.4f ms  %8.2f TFLOP/s   %s\n", ch, s, tf, fl_f / tf * 1e-9, direct ? "target >= 10 (PyTorch ~0.49)" : "(no target: the issue's shape has 6 channels)");
    tfa = time_ms(conv_op, &c, OP_CONV_FWD_ADJ, reps);
    printf("conv c=%ld batch=%ld forward + both adjoints   %9.4f ms  %8.2f TFLOP/s   %s; bias gradient not included\n", ch, s, tfa, fl_fa / tfa * 1e-9, direct ? "target >= 5 (PyTorch ~0.18)" : "(no target)");
  }
  conv_free(&c);
}

/* ---- paper 000's connector: one 1x1 conv tanh layer cin -> cout, run as convgemm.cu's GEMMs on the states, against
   the same layer as a 3x3 stencil with zero outer taps on the direct kernels (how convblocks.cu ran connectors until
   2026-12-05: 9 times the multiply-adds) ---- */
typedef struct {
  odyn_conv_geom g;
  long           s;
  double        *K, *b, *X, *Y, *D, *W, *gX, *G;
} conn_ctx;

enum { OP_CONN_FWD, OP_CONN_FWD_ADJ };

static int conn_op(void *vctx, int which)
{
  conn_ctx  *c  = (conn_ctx *)vctx;
  const long ly = c->g.cout * c->g.h * c->g.w * c->s;
  TRY(odyn_cuda_conv3_forward_bias_act(&c->g, c->s, c->K, c->X, c->b, ODYN_PW_TANH, c->Y, c->D));
  if (which == OP_CONN_FWD_ADJ) { /* the layer's adjoint: T = D .* W (into Y), stencil gradient, input adjoint */
    TRY(odyn_cuda_hadamard(ly, 1.0, c->D, c->W, c->Y));
    TRY(odyn_cuda_conv3_stencil_grad(&c->g, c->s, c->X, c->Y, 1.0, c->G));
    TRY(odyn_cuda_conv3_adjoint(&c->g, c->s, c->K, 1.0, c->Y, 0.0, c->gX));
  }
  return 0;
}

static void connector_bench(long cin, long cout, long hgt, long wid, long s, int reps)
{
  const long lx = cin * hgt * wid * s, ly = cout * hgt * wid * s;
  double     t[2][2] = {{-1.0, -1.0}, {-1.0, -1.0}};

  printf("-- connector: 1x1 conv tanh %ld -> %ld, %ldx%ld, batch %ld: GEMMs on the states (convgemm.cu) against the 3x3 stencil with zero outer taps on the direct kernels (before 2026-12-05)\n", cin, cout, hgt, wid, s);
  for (int padded = 0; padded < 2; padded++) {
    conn_ctx c;
    memset(&c, 0, sizeof(c));
    c.g = (odyn_conv_geom){hgt, wid, cin, cout, padded ? 3 : 1};
    c.s = s;
    const long nk = cin * cout * c.g.k * c.g.k;
    if ((c.K = dev_rand(nk, 1.0 / sqrt((double)cin))) && (c.b = dev_rand(cout, 0.5)) && (c.X = dev_rand(lx, 1.0)) && (c.W = dev_rand(ly, 1.0)) && (c.Y = dev_rand(ly, 0.0)) && (c.D = dev_rand(ly, 0.0)) && (c.gX = dev_rand(lx, 0.0)) && (c.G = dev_rand(nk, 0.0))) {
      t[padded][0] = time_ms(conn_op, &c, OP_CONN_FWD, reps);
      t[padded][1] = time_ms(conn_op, &c, OP_CONN_FWD_ADJ, reps);
    }
    double *a[] = {c.K, c.b, c.X, c.Y, c.D, c.W, c.gX, c.G};
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) odyn_cuda_free(a[i]);
    odyn_cuda_kernels_finalize();
  }
  if (t[0][0] < 0 || t[0][1] < 0 || t[1][0] < 0 || t[1][1] < 0) {
    printf("FAILED: connector timing\n");
    failed = 1;
    return;
  }
  printf("conv 1x1 connector %ld->%ld batch=%ld forward            %9.4f ms   (3x3 padded: %9.4f ms, %.1f x)\n", cin, cout, s, t[0][0], t[1][0], t[1][0] / t[0][0]);
  printf("conv 1x1 connector %ld->%ld batch=%ld forward + adjoints %9.4f ms   (3x3 padded: %9.4f ms, %.1f x)\n", cin, cout, s, t[0][1], t[1][1], t[1][1] / t[0][1]);
}

/* ---- the oracle's data: raw float64 files for bench/torch_compare.py ---- */
static int dump(const char *dir, const char *name, const char *what, const double *d, long len)
{
  char    path[1024];
  double *h = (double *)malloc((size_t)(len > 0 ? len : 1) * sizeof(double));
  FILE   *f;
  if (!h) return -1;
  TRY(odyn_cuda_synchronize());
  TRY(odyn_cuda_to_host(h, d, len));
  snprintf(path, sizeof(path), "%s/%s_%s.bin", dir, name, what);
  f = fopen(path, "wb");
  if (!f || fwrite(h, sizeof(double), (size_t)len, f) != (size_t)len) {
    printf("FAILED writing %s\n", path);
    failed = 1;
    if (f) fclose(f);
    free(h);
    return -1;
  }
  fclose(f);
  free(h);
  return 0;
}

static int dump_dense(const char *dir, const char *name, long n, long N, long s)
{
  dense_ctx c;
  char      path[1024];
  FILE     *f;
  const long ns = n * s, np = N * (n * n + n);

  memset(&c, 0, sizeof(c));
  c.n = n, c.N = N, c.s = s, c.h = 1.0 / N, c.wide = n > ODYN_CUDA_NARROW_MAX;
  if (!(c.theta = dense_theta(n, N)) || !(c.dtheta = dev_rand(np, 1.0)) || !(c.Y0 = dev_rand(ns, 1.0)) || !(c.dY0 = dev_rand(ns, 1.0)) || !(c.W = dev_rand(ns, 1.0)) || !(c.out = dev_rand(ns, 0.0)) || !(c.gY0 = dev_rand(ns, 0.0)) || !(c.g = dev_rand(np, 0.0)))
    return -1;
  TRY(odyn_cuda_malloc(&c.traj, (N + 1) * ns));
  TRY(odyn_cuda_malloc(&c.D, N * ns));
  if (dense_op(&c, OP_FWD_ALL) || dump(dir, name, "theta", c.theta, np) || dump(dir, name, "Y0", c.Y0, ns) || dump(dir, name, "YN", c.traj + N * ns, ns)) return -1;
  if (dense_op(&c, OP_TAN) || dump(dir, name, "dtheta", c.dtheta, np) || dump(dir, name, "dY0", c.dY0, ns) || dump(dir, name, "Jv", c.out, ns)) return -1;
  if (dense_op(&c, OP_ADJ) || dump(dir, name, "W", c.W, ns) || dump(dir, name, "gtheta", c.g, np) || dump(dir, name, "gY0", c.gY0, ns)) return -1;
  snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
  if (!(f = fopen(path, "w"))) return -1;
  fprintf(f, "dense n %ld N %ld s %ld h %.17g\n", n, N, s, c.h);
  fclose(f);
  printf("wrote %s (dense n=%ld N=%ld s=%ld)\n", path, n, N, s);
  odyn_cuda_free(c.theta), odyn_cuda_free(c.dtheta), odyn_cuda_free(c.Y0), odyn_cuda_free(c.dY0), odyn_cuda_free(c.W), odyn_cuda_free(c.out);
  odyn_cuda_free(c.gY0), odyn_cuda_free(c.g), odyn_cuda_free(c.traj), odyn_cuda_free(c.D);
  return 0;
}

static int dump_conv(const char *dir, const char *name, long ch, long hgt, long wid, long N, long s)
{
  conv_ctx   c;
  char       path[1024];
  FILE      *f;
  const long len = ch * hgt * wid * s;

  memset(&c, 0, sizeof(c));
  c.g = (odyn_conv_geom){hgt, wid, ch, ch, 3};
  c.N = N, c.s = s, c.h = 1.0 / N, c.with_bias_grad = 1;
  if (conv_alloc(&c, 1.0 / sqrt(9.0 * ch))) return -1;
  if (conv_forward(&c) || dump(dir, name, "theta", c.theta, N * conv_slot(&c.g)) || dump(dir, name, "Y0", c.traj, len) || dump(dir, name, "YN", c.traj + N * len, len)) return -1;
  {
    double *dY0 = dev_rand(len, 1.0);
    if (!dY0) return -1;
    TRY(odyn_cuda_zero(c.dY, len));
    TRY(odyn_cuda_axpy(len, 1.0, dY0, c.dY));
    if (dump(dir, name, "dY0", dY0, len) || dump(dir, name, "dtheta", c.dtheta, N * conv_slot(&c.g))) return -1;
    odyn_cuda_free(dY0);
  }
  if (conv_tangent(&c) || dump(dir, name, "Jv", c.dY, len)) return -1;
  TRY(odyn_cuda_zero(c.P, len));
  TRY(odyn_cuda_axpy(len, 1.0, c.W, c.P));
  if (conv_adjoint(&c) || dump(dir, name, "W", c.W, len) || dump(dir, name, "gtheta", c.g_, N * conv_slot(&c.g)) || dump(dir, name, "gY0", c.P, len)) return -1;
  snprintf(path, sizeof(path), "%s/%s.txt", dir, name);
  if (!(f = fopen(path, "w"))) return -1;
  fprintf(f, "conv c %ld h %ld w %ld N %ld s %ld h_step %.17g\n", ch, hgt, wid, N, s, c.h);
  fclose(f);
  printf("wrote %s (conv c=%ld %ldx%ld N=%ld s=%ld)\n", path, ch, hgt, wid, N, s);
  conv_free(&c);
  return 0;
}

/* ---- the loss functions of the cuda table (loss_value, loss_hessmult; src/backend/cuda/losses.cu) ---- */
typedef struct {
  const OdynBackendOps *ops;
  int                   fn;
  long                  nc, s;
  double               *Z, *C, *G, *dZ, *H, value;
} loss_ctx;

static int loss_op(void *vctx, int which)
{
  loss_ctx *c = (loss_ctx *)vctx;

  return which ? c->ops->loss_hessmult(c->fn, c->nc, c->s, 1.0 / c->s, c->Z, c->C, c->dZ, c->H) : c->ops->loss_value(c->fn, c->nc, c->s, 1.0 / c->s, c->Z, c->C, c->G, &c->value);
}

/* bytes each operation must move at least: value reads Z, C and writes G; hessmult reads Z, C, dZ and writes H */
static void loss_bench(int fn, const char *name, long nc, long s, int reps)
{
  loss_ctx   c = {odyn_backend_cuda(), fn, nc, s, NULL, NULL, NULL, NULL, NULL, 0.0};
  const long len = nc * s;
  double    *hc, tv, th;

  printf("-- loss %s, nc=%ld, s=%ld (the value's reduction and its copy to the host included)\n", name, nc, s);
  if (!(c.Z = dev_rand(len, 3.0)) || !(c.dZ = dev_rand(len, 1.0)) || !(c.C = dev_rand(len, 1.0)) || !(c.G = dev_rand(len, 1.0)) || !(c.H = dev_rand(len, 1.0))) return;
  if (!(hc = (double *)malloc((size_t)len * sizeof(double)))) return;
  for (long e = 0; e < s; e++) /* valid targets: one-hot (softmax), {0, 1} (logistic), reals (lsq: as drawn) */
    for (long k = 0; k < nc; k++) hc[e * nc + k] = fn == ODYN_LOSSFN_SOFTMAX ? (double)(k == e % nc) : (double)((e + k) % 2);
  tv = th = -1.0;
  if (fn == ODYN_LOSSFN_LSQ || !odyn_cuda_to_device(c.C, hc, len)) {
    tv = time_ms(loss_op, &c, 0, reps);
    th = time_ms(loss_op, &c, 1, reps);
  }
  free(hc);
  if (tv < 0 || th < 0) {
    printf("FAILED: loss kernels: %s\n", c.ops->last_error());
    failed = 1;
  } else {
    printf("loss %s nc=%ld s=%ld value + G            %9.4f ms  %8.1f GB/s (of Z, C read, G written)\n", name, nc, s, tv, 24.0 * len / tv * 1e-6);
    printf("loss %s nc=%ld s=%ld H_Z dZ                %9.4f ms  %8.1f GB/s (of Z, C, dZ read, H written)\n", name, nc, s, th, 32.0 * len / th * 1e-6);
  }
  odyn_cuda_free(c.Z), odyn_cuda_free(c.dZ), odyn_cuda_free(c.C), odyn_cuda_free(c.G), odyn_cuda_free(c.H);
}

int main(int argc, char **argv)
{
  int         reps = 10, quick = 0, count = 0;
  const char *dir  = NULL;

  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-quick")) quick = 1;
    else if (!strcmp(argv[i], "-dump") && i + 1 < argc) dir = argv[++i];
    else if (!strcmp(argv[i], "-help") || !strcmp(argv[i], "-h")) {
      fputs(help, stdout);
      return 0;
    } else if (!strcmp(argv[i], "-malloc_dump")) continue; /* passed by the test harness */
    else {
      fprintf(stderr, "bench_cuda: unknown argument %s\n%s", argv[i], help);
      return 1;
    }
  }
  if (reps < 1) reps = 1;
  odyn_cuda_device_count(&count);
  if (count < 1) {
    printf("bench_cuda: no CUDA device, nothing measured\n");
    return 2;
  }
  {
    struct cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, 0) == cudaSuccess) printf("bench_cuda on %s (%d SMs, %.1f GiB), fp64, %d timed repetitions after one warm-up\n", p.name, p.multiProcessorCount, p.totalGlobalMem / 1073741824.0, reps);
  }
  if (dir) {
    mkdir(dir, 0755);
    if (dump_dense(dir, "dense", 8, 6, 50) || dump_dense(dir, "wide", 40, 3, 30) || dump_conv(dir, "conv", 4, 7, 9, 3, 5)) failed = 1;
    return failed ? 1 : 0;
  }
  {
    const long ns_list[] = {10000, 1000000}, nn[] = {2, 8, 64};
    for (int i = 0; i < 3; i++)
      for (int k = 0; k < (quick ? 1 : 2); k++) dense_bench(nn[i], ns_list[k], reps);
    for (int i = 0; i < 2; i++) /* the Verlet nets of peaks (n = 2) and a wider narrow one (n = 8) */
      for (int k = 0; k < (quick ? 1 : 2); k++) verlet_bench(nn[i], ns_list[k], reps);
    verlet_bench(64, quick ? 10000 : 100000, reps); /* a wide one (cuBLAS): 13 GiB of states and sigma' at s = 10^5 */
    parabolic_bench(2, 4, 10000, 0, reps);                   /* the 2-D examples' width on cuBLAS: launch bound (three per step) */
    parabolic_bench(2, 4, 10000, 1, reps);                   /* the same, one kernel per sweep (what the table runs there) */
    parabolic_bench(2, 4, quick ? 100000 : 1000000, 1, reps);
    parabolic_bench(64, 64, quick ? 10000 : 100000, 0, reps); /* wide: the DGEMMs */
    for (int i = 0; i < 2; i++) /* the leapfrog nets of the 2-D examples (n = 2) and a wider narrow one (n = 8) */
      for (int k = 0; k < (quick ? 1 : 2); k++) leapfrog_bench(nn[i], ns_list[k], reps);
  }
  conv_bench(6, 28, 28, quick ? 200 : 1000, reps);
  if (!quick) conv_bench(6, 28, 28, 5000, reps);
  conv_bench(32, 28, 28, quick ? 200 : 1000, reps); /* beyond the direct kernels' 16 channels: the GEMM path */
  connector_bench(6, 12, 28, 28, quick ? 200 : 1000, reps); /* docs/cnn.md's three-CNN network's connector */
  loss_bench(ODYN_LOSSFN_SOFTMAX, "softmax", 10, quick ? 10000 : 60000, reps); /* MNIST's classes and training set */
  if (!quick) {
    loss_bench(ODYN_LOSSFN_SOFTMAX, "softmax", 10, 1000000, reps);
    loss_bench(ODYN_LOSSFN_LOGISTIC, "logistic", 2, 1000000, reps); /* the ellipse / peaks-like binary outputs */
  }
  printf("bench_cuda: %s\n", failed ? "some measurements FAILED" : "done");
  return failed ? 1 : 0;
}
