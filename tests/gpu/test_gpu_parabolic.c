/*
   The parabolic sweeps on the device (tanh, and relu and identity on fewer shapes) (forward Euler with the symmetric layer, Y_{j+1} = Y_j - h K_j^T
   tanh(K_j Y_j + b_j)): the cuBLAS path (src/backend/cuda/parabolic.cu, odyn_cuda_parabolic_*: per step DGEMMs and
   one fused pass, sigma and sigma' kept in lin, any widths) and, for n, m <= 16, the one-kernel sweeps
   (src/backend/cuda/parabolicnarrow.cu, odyn_cuda_parabolic_narrow_*: no lin, the tangent recomputes the states from
   Y0), both against the host table's (src/backend/host/denseparabolic.c, which equals the host path bit for bit and
   which tests/test_backend.c checks against plain loops, Taylor and the dot product) on random fp64 data: square and
   rectangular K, narrow and wide; the device tangent against the device adjoint (dot product); the gradient alone and
   gY0 alone (bit for bit the both-at-once numbers); the narrow kernels in place (dYN = dY0, gY0 = W), with enough
   examples that blocks walk several chunks (the adjoint's running gradient in shared memory), and with more
   parameters than the shared-memory budget (read through the cache); bad arguments.

   Tolerance 1e-12, norm-wise relative, for the reasons of test_gpu_narrow.c: the same recursion, the device with FMAs,
   its own tanh and its own summation order (sums over s <= 20,000 examples and m <= 40 rows), through N <= 50 steps
   of a contractive map (the symmetric layer's dF/dY is negative semi-definite). Exits 2 without a device.
*/
#include <string.h>
#include "gpucheck.h"
#include <odyn/private/backend.h>

/* the host table's results for one problem: all states, the tangent, the adjoint (gtheta accumulated onto g0) */
typedef struct {
  int     act;
  long    n, m, N, s, np, ns;
  double  h;
  double *theta, *dtheta, *Y0, *dY0, *W, *g0, *hy, *lin, *hdY, *hg, *hgY0;
  char    tag[64];
} Problem;

static void problem_create(int act, long n, long m, long N, long s, Problem *p)
{
  const long slot = m * n + m, nl = 2 * N * m * s;

  p->act = act, p->n = n, p->m = m, p->N = N, p->s = s, p->np = N * slot, p->ns = n * s, p->h = 1.0 / (N > 0 ? N : 1);
  p->theta = gc_host(p->np), p->dtheta = gc_host(p->np), p->Y0 = gc_host(p->ns), p->dY0 = gc_host(p->ns), p->W = gc_host(p->ns), p->g0 = gc_host(p->np);
  p->hy = gc_host((N + 1) * p->ns), p->lin = gc_host(nl > 0 ? nl : 1), p->hdY = gc_host(p->ns), p->hg = gc_host(p->np), p->hgY0 = gc_host(p->ns);
  for (long j = 0; j < N; j++) {
    gc_fill(p->theta + j * slot, m * n, 1.0 / sqrt((double)(n > m ? n : m)));
    gc_fill(p->theta + j * slot + m * n, m, 0.5);
  }
  gc_fill_sweep_inputs(p->np, p->ns, p->dtheta, p->g0, p->Y0, p->dY0, p->W);
  memcpy(p->hg, p->g0, (size_t)p->np * sizeof(double));
  if (odyn_host_dense_parabolic_forward(act, n, m, N, s, p->h, p->theta, p->Y0, p->hy, p->lin) || odyn_host_dense_parabolic_tangent(act, n, m, N, s, p->h, p->theta, p->dtheta, p->hy, p->lin, p->dY0, p->hdY) || odyn_host_dense_parabolic_adjoint(act, n, m, N, s, p->h, p->theta, p->hy, p->lin, p->W, p->hg, p->hgY0)) exit(1);
}

static void problem_destroy(Problem *p) { free(p->theta), free(p->dtheta), free(p->Y0), free(p->dY0), free(p->W), free(p->g0), free(p->hy), free(p->lin), free(p->hdY), free(p->hg), free(p->hgY0); }

/* the device's tangent rd and adjoint rg (onto g0), rgy against each other: <W, J v> = <J^T W, v> */
static void dot_test(const Problem *p, const double *rd, const double *rg, const double *rgy, const char *path)
{
  double lhs = gc_dot(p->W, rd, p->ns), rhs = gc_dot(rgy, p->dY0, p->ns);

  for (long k = 0; k < p->np; k++) rhs += (rg[k] - p->g0[k]) * p->dtheta[k];
  gc_expectf(gc_dotdiff(lhs, rhs), 1e-11, "%s %s device dot test", p->tag, path);
}

/* the cuBLAS path, any widths */
static void run_cublas(const Problem *p)
{
  const long n = p->n, m = p->m, N = p->N, s = p->s, np = p->np, ns = p->ns, nl = 2 * N * m * s;
  const double h = p->h;
  double *d_th = gc_dev(p->theta, np), *d_dth = gc_dev(p->dtheta, np), *d_Y0 = gc_dev(p->Y0, ns), *d_dY0 = gc_dev(p->dY0, ns), *d_W = gc_dev(p->W, ns);
  double *d_Y = gc_dev(NULL, (N + 1) * ns), *d_lin = gc_dev(NULL, nl > 0 ? nl : 1), *d_dYN = gc_dev(NULL, ns), *d_g = gc_dev(p->g0, np), *d_gY0 = gc_dev(NULL, ns);
  double *r, *rd, *rg, *rgy;

  GC_CALL(odyn_cuda_parabolic_forward(p->act, n, m, N, s, h, d_th, d_Y0, d_Y, d_lin));
  r = gc_back(d_Y, (N + 1) * ns);
  gc_expectf(gc_reldiff(r, p->hy, (N + 1) * ns), 1e-12, "%s cuBLAS forward, all states", p->tag);
  free(r);
  if (nl > 0) {
    r = gc_back(d_lin, nl);
    gc_expectf(gc_reldiff(r, p->lin, nl), 1e-12, "%s cuBLAS forward, sigma and sigma'", p->tag);
    free(r);
  }
  GC_CALL(odyn_cuda_parabolic_tangent(p->act, n, m, N, s, h, d_th, d_dth, d_Y, d_lin, d_dY0, d_dYN));
  rd = gc_back(d_dYN, ns);
  gc_expectf(gc_reldiff(rd, p->hdY, ns), 1e-12, "%s cuBLAS tangent J (dtheta, dY0)", p->tag);
  GC_CALL(odyn_cuda_parabolic_adjoint(p->act, n, m, N, s, h, d_th, d_Y, d_lin, d_W, d_g, d_gY0));
  rg  = gc_back(d_g, np);
  rgy = gc_back(d_gY0, ns);
  gc_expectf(gc_reldiff(rg, p->hg, np), 1e-12, "%s cuBLAS adjoint gtheta += J_theta^T W", p->tag);
  gc_expectf(gc_reldiff(rgy, p->hgY0, ns), 1e-12, "%s cuBLAS adjoint gY0 = J_Y0^T W", p->tag);
  dot_test(p, rd, rg, rgy, "cuBLAS");
  GC_CALL(odyn_cuda_to_device(d_g, p->g0, np)); /* the gradient alone and gY0 alone: the same numbers */
  GC_CALL(odyn_cuda_parabolic_adjoint(p->act, n, m, N, s, h, d_th, d_Y, d_lin, d_W, d_g, NULL));
  r = gc_back(d_g, np);
  gc_expectf(gc_reldiff(r, rg, np), 0.0, "%s cuBLAS adjoint, gtheta alone", p->tag);
  free(r);
  GC_CALL(odyn_cuda_parabolic_adjoint(p->act, n, m, N, s, h, d_th, d_Y, d_lin, d_W, NULL, d_gY0));
  r = gc_back(d_gY0, ns);
  gc_expectf(gc_reldiff(r, rgy, ns), 0.0, "%s cuBLAS adjoint, gY0 alone", p->tag);
  free(r), free(rd), free(rg), free(rgy);
  double *all[] = {d_th, d_dth, d_Y0, d_dY0, d_W, d_Y, d_lin, d_dYN, d_g, d_gY0};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) GC_CALL(odyn_cuda_free(all[i]));
}

/* the one-kernel sweeps (n, m <= 16): no lin; in place (dYN = dY0, gY0 = W) too */
static void run_narrow(const Problem *p)
{
  const long n = p->n, m = p->m, N = p->N, s = p->s, np = p->np, ns = p->ns;
  const double h = p->h;
  double *d_th = gc_dev(p->theta, np), *d_dth = gc_dev(p->dtheta, np), *d_Y0 = gc_dev(p->Y0, ns), *d_dY0 = gc_dev(p->dY0, ns), *d_W = gc_dev(p->W, ns);
  double *d_Y = gc_dev(NULL, (N + 1) * ns), *d_dYN = gc_dev(NULL, ns), *d_g = gc_dev(p->g0, np), *d_gY0 = gc_dev(NULL, ns);
  double *r, *rd, *rg, *rgy;

  GC_CALL(odyn_cuda_parabolic_narrow_forward(p->act, n, m, N, s, h, d_th, d_Y0, d_Y));
  r = gc_back(d_Y, (N + 1) * ns);
  gc_expectf(gc_reldiff(r, p->hy, (N + 1) * ns), 1e-12, "%s narrow forward, all states", p->tag);
  free(r);
  GC_CALL(odyn_cuda_parabolic_narrow_tangent(p->act, n, m, N, s, h, d_th, d_dth, d_Y, d_dY0, d_dYN));
  rd = gc_back(d_dYN, ns);
  gc_expectf(gc_reldiff(rd, p->hdY, ns), 1e-12, "%s narrow tangent J (dtheta, dY0)", p->tag);
  GC_CALL(odyn_cuda_parabolic_narrow_adjoint(p->act, n, m, N, s, h, d_th, d_Y, d_W, d_g, d_gY0));
  rg  = gc_back(d_g, np);
  rgy = gc_back(d_gY0, ns);
  gc_expectf(gc_reldiff(rg, p->hg, np), 1e-12, "%s narrow adjoint gtheta += J_theta^T W", p->tag);
  gc_expectf(gc_reldiff(rgy, p->hgY0, ns), 1e-12, "%s narrow adjoint gY0 = J_Y0^T W", p->tag);
  dot_test(p, rd, rg, rgy, "narrow");
  GC_CALL(odyn_cuda_to_device(d_g, p->g0, np));
  GC_CALL(odyn_cuda_parabolic_narrow_adjoint(p->act, n, m, N, s, h, d_th, d_Y, d_W, d_g, NULL));
  r = gc_back(d_g, np);
  gc_expectf(gc_reldiff(r, rg, np), 0.0, "%s narrow adjoint, gtheta alone", p->tag);
  free(r);
  GC_CALL(odyn_cuda_parabolic_narrow_adjoint(p->act, n, m, N, s, h, d_th, d_Y, d_W, NULL, d_W)); /* gY0 = W, in place */
  r = gc_back(d_W, ns);
  gc_expectf(gc_reldiff(r, rgy, ns), 0.0, "%s narrow adjoint, gY0 alone in place of W", p->tag);
  free(r);
  GC_CALL(odyn_cuda_parabolic_narrow_tangent(p->act, n, m, N, s, h, d_th, d_dth, d_Y, d_dY0, d_dY0)); /* dYN = dY0 */
  r = gc_back(d_dY0, ns);
  gc_expectf(gc_reldiff(r, rd, ns), 0.0, "%s narrow tangent in place of dY0", p->tag);
  free(r);
  GC_CALL(odyn_cuda_parabolic_narrow_tangent(p->act, n, m, N, s, h, d_th, NULL, d_Y, NULL, d_dYN)); /* no direction: 0 */
  r = gc_back(d_dYN, ns);
  for (long k = 0; k < ns; k++)
    if (r[k] != 0.0) {
      printf("%s narrow tangent without directions: entry %ld is %g, not 0 FAIL\n", p->tag, k, r[k]);
      gc_failures++;
      break;
    }
  free(r), free(rd), free(rg), free(rgy);
  double *all[] = {d_th, d_dth, d_Y0, d_dY0, d_W, d_Y, d_dYN, d_g, d_gY0};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) GC_CALL(odyn_cuda_free(all[i]));
}

/* paths: 1 the cuBLAS sweeps, 2 the narrow ones, 3 both */
static void run(int act, long n, long m, long N, long s, int paths)
{
  Problem p;

  problem_create(act, n, m, N, s, &p);
  snprintf(p.tag, sizeof(p.tag), "parabolic %s n=%ld m=%ld N=%ld s=%ld", gc_act_name(act), n, m, N, s);
  if (paths & 1) run_cublas(&p);
  if (paths & 2) run_narrow(&p);
  problem_destroy(&p);
}

int main(void)
{
  int st;

  gc_require_device("test_gpu_parabolic");
  run(ODYN_PW_TANH, 2, 2, 4, 101, 3);    /* the 2-D examples' width */
  run(ODYN_PW_TANH, 2, 4, 8, 10000, 3);  /* the ellipse's parabolic net (hidden width 4), a training batch */
  run(ODYN_PW_TANH, 3, 5, 6, 40, 3);     /* a wider hidden width */
  run(ODYN_PW_TANH, 5, 3, 6, 40, 2);     /* m < n */
  run(ODYN_PW_TANH, 7, 9, 13, 257, 2);
  run(ODYN_PW_TANH, 16, 16, 3, 20000, 2); /* blocks walk several chunks: the adjoint's gradient in shared memory */
  run(ODYN_PW_TANH, 16, 16, 50, 64, 2);  /* 13,600 parameters, more than the shared-memory budget: read through the cache */
  run(ODYN_PW_TANH, 20, 12, 5, 64, 1);   /* wide, m < n */
  run(ODYN_PW_TANH, 17, 40, 12, 300, 1);
  run(ODYN_PW_TANH, 1, 1, 1, 1, 3);
  run(ODYN_PW_TANH, 4, 3, 0, 9, 3);      /* no step: Y_N = Y_0, gY0 = W */
  /* relu and identity in the same bounds: both paths, the narrow kernels' groups of 2, 4, 16 and the parameters
     through the cache (n = m = 16, N = 50) */
  for (int a = 0; a < 2; a++) {
    const int act = a ? ODYN_PW_IDENTITY : ODYN_PW_RELU;
    run(act, 2, 4, 8, 101, 3);
    run(act, 7, 9, 13, 257, 2);
    run(act, 16, 16, 50, 64, 2);
    run(act, 17, 40, 12, 300, 1);
  }
  /* an activation none of identity, tanh and relu: refused before anything else (s = 0 would return at once) */
  gc_expect_act_refused("wide parabolic forward, act 3", 3, odyn_cuda_parabolic_forward(3, 20, 20, 2, 0, 0.1, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("wide parabolic adjoint, act 7", 7, odyn_cuda_parabolic_adjoint(7, 20, 20, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("narrow parabolic forward, act 7", 7, odyn_cuda_parabolic_narrow_forward(7, 2, 4, 2, 0, 0.1, NULL, NULL, NULL));
  gc_expect_act_refused("narrow parabolic tangent, act 3", 3, odyn_cuda_parabolic_narrow_tangent(3, 2, 4, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL));
  gc_expect_act_refused("narrow parabolic adjoint, act 3", 3, odyn_cuda_parabolic_narrow_adjoint(3, 2, 4, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL));
  st = odyn_cuda_parabolic_forward(ODYN_PW_TANH, 2, 0, 2, 10, 0.1, NULL, NULL, NULL, NULL);
  printf("m = 0: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "need n >= 1, m >= 1")) gc_failures++;
  st = odyn_cuda_parabolic_adjoint(ODYN_PW_TANH, 2, 3, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL, NULL);
  printf("NULL arrays: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "must be device arrays")) gc_failures++;
  st = odyn_cuda_parabolic_narrow_forward(ODYN_PW_TANH, 2, 17, 2, 10, 0.1, NULL, NULL, NULL);
  printf("narrow, m = 17: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "take widths 1 <= n, m <= 16")) gc_failures++;
  st = odyn_cuda_parabolic_narrow_adjoint(ODYN_PW_TANH, 2, 3, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL);
  printf("narrow, NULL arrays, nothing wanted: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_OK) gc_failures++;
  st = odyn_cuda_parabolic_narrow_tangent(ODYN_PW_TANH, 2, 3, 2, 10, 0.1, NULL, NULL, NULL, NULL, NULL);
  printf("narrow, NULL arrays: %s\n", odyn_cuda_status_string(st));
  if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "must be device arrays")) gc_failures++;
  printf("test_gpu_parabolic: %d failure(s)\n", gc_failures);
  return gc_failures ? 1 : 0;
}
