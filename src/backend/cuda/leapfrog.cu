/*
   Dense leapfrog tanh networks (the second-order network of paper 001: scheme leapfrog with a dense, antisym or
   negdef layer, include/odyn/private/backend.h dense_leapfrog_*), any width n:

     Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 tanh(K_j Y_j + b_j),  Y_{-1} = Y_0

   tanh stands for the sweep's act (identity, tanh, relu), taken at run time in the fused passes (devmath.cuh's
   odynk_act_rt), D = sigma' at the pre-activation.

   Per step one cuBLAS DGEMM with the examples in the long dimension and one fused elementwise kernel, as the wide
   Euler path (wide.cu), with the leapfrog's three-level update folded into that kernel:

     forward   Y_{j+1} <- K_j Y_j (DGEMM into its slot), then Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 tanh(Y_{j+1} + b_j) and
               D_j = 1 - tanh^2 in the same pass
     tangent   Z = K_j dY_j (+ dK_j Y_j), dY_{j+1} = 2 dY_j - dY_{j-1} + h^2 D_j .* (Z + db_j)   (a ring of three dY)
     adjoint   cur = A_{j+1}, prev = A_j so far: T = D_j .* cur; gK_j += h^2 T Y_j^T (DGEMM), gb_j += h^2 T 1 (DGEMV);
               prev += h^2 K_j^T T (DGEMM); then one pass: prev += 2 cur and cur = -cur (the start of A_{j-1}), and the
               two buffers swap roles (j = 0: gY0 = prev + cur, as Y_{-1} = Y_0)

   Reversible (-odyn_scheme_trajectory recompute): forward_final keeps a ring of three states and returns the last two;
   tangent_y0 recomputes the states alongside the tangent (one DGEMM and lf_forward_update for Y_{j+1} and D_j, then the
   tangent's step); adjoint_reversible rebuilds them backwards (one DGEMM for K_j Y_j, then lf_reverse_update gives D_j
   and Y_{j-1} in one pass, then the adjoint's step). Their buffers are the kernels' workspace (at most 8 n s + s).

   The sweeps of narrow blocks (n <= 16: the 2-D examples' nets), stored or reversible, do not come here: backend.cu
   hands them to narrow.cu's one-kernel sweeps, whose kernels take the leapfrog's update with their LF template flag
   (and the reversible adjoint's rebuild with REV; a step of the
   per-step path below costs two launches, about 10 us: 0.7 ms for 64 steps, far more than the arithmetic).
   Kernels on the legacy default stream, cuBLAS through wide.cu's handle, scratch from kernelsys.cu, as wide.cu.
*/
#include "kernelsys.cuh"
#include "devmath.cuh"

namespace {

/* Y1 = 2 Y - Yp + h2 act(Y1 + b) (Y1 holds K Y on entry), D = act' there when D is not NULL */
__global__ void lf_forward_update(int act, long n, long len, double h2, const double *__restrict__ b, const double *__restrict__ Y, const double *__restrict__ Yp, double *__restrict__ Y1, double *__restrict__ D)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) {
    double       d;
    const double t = odynk_act_rt(act, Y1[k] + b[k % n], &d);
    Y1[k]          = (2.0 * Y[k] - Yp[k]) + h2 * t;
    if (D) D[k] = d;
  }
}

/* the reversible adjoint's step: F holds K Y_j on entry; D = act' at F + b, and with rebuild Ya = Y_{j+1} becomes
   Y_{j-1} = 2 Y_j - Y_{j+1} + h2 act(F + b) (Yb = Y_j) */
__global__ void lf_reverse_update(int act, long n, long len, double h2, const double *__restrict__ b, const double *__restrict__ F, const double *__restrict__ Yb, double *__restrict__ Ya, double *__restrict__ D, int rebuild)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) {
    const double t = odynk_act_rt(act, F[k] + b[k % n], &D[k]);
    if (rebuild) Ya[k] = (2.0 * Yb[k] - Ya[k]) + h2 * t;
  }
}

/* out = 2 cur - prev + h2 D .* (Z + db) (db may be NULL) */
__global__ void lf_tangent_update(long n, long len, double h2, const double *__restrict__ db, const double *__restrict__ D, const double *__restrict__ Z, const double *__restrict__ cur, const double *__restrict__ prev, double *__restrict__ out)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) out[k] = (2.0 * cur[k] - prev[k]) + h2 * (D[k] * (Z[k] + (db ? db[k % n] : 0.0)));
}

/* T = D .* P */
__global__ void lf_hadamard(long len, const double *__restrict__ D, const double *__restrict__ P, double *__restrict__ T)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) T[k] = D[k] * P[k];
}

/* prev += 2 cur, cur = -cur (the adjoint's step to j - 1) */
__global__ void lf_adjoint_shift(long len, double *__restrict__ cur, double *__restrict__ prev)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) {
    const double c = cur[k];
    prev[k] += 2.0 * c;
    cur[k] = -c;
  }
}

/* out = prev + cur */
__global__ void lf_adjoint_last(long len, const double *__restrict__ cur, const double *__restrict__ prev, double *__restrict__ out)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) out[k] = prev[k] + cur[k];
}

/* the tangent's step j: out = 2 cur - prev + h2 D .* (K cur + dK Y + db) (dK: none when dtheta is NULL), Z scratch */
int lf_tangent_step(cublasHandle_t cb, long n, long s, double h2, const double *K, const double *dK, const double *Yj, const double *D, double *Z, const double *cur, const double *prev, double *out)
{
  const double one = 1.0, zero = 0.0;
  const long   len = n * s;

  ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, cur, (int)n, &zero, Z, (int)n));
  if (dK) ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, dK, (int)n, Yj, (int)n, &one, Z, (int)n));
  lf_tangent_update<<<odynk_grid1d(len), 256>>>(n, len, h2, dK ? dK + n * n : NULL, D, Z, cur, prev, out);
  ODYNK_LAUNCHED("lf_tangent_update");
  return ODYN_CUDA_OK;
}

/* the adjoint's step j: cur = A_{j+1}, prev = A_j so far, T scratch: the gradient of step j into g (NULL: none), then
   (unless last) prev += h2 K^T (D .* cur) and the shift prev += 2 cur, cur = -cur (j > 0) or gY0 = prev + cur (j = 0);
   last: j = 0 and gY0 not wanted */
int lf_adjoint_step(cublasHandle_t cb, long n, long s, long j, double h2, const double *K, const double *Yj, const double *D, const double *ones, double *T, double *cur, double *prev, double *g, double *gY0)
{
  const double one = 1.0;
  const long   len = n * s;

  lf_hadamard<<<odynk_grid1d(len), 256>>>(len, D, cur, T);
  ODYNK_LAUNCHED("lf_hadamard");
  if (g) {
    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_T, (int)n, (int)n, (int)s, &h2, T, (int)n, Yj, (int)n, &one, g, (int)n));
    ODYNK_CUBLAS(cublasDgemv(cb, CUBLAS_OP_N, (int)n, (int)s, &h2, T, (int)n, ones, 1, &one, g + n * n, 1));
  }
  if (j == 0 && !gY0) return ODYN_CUDA_OK; /* A_0 is not wanted */
  ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)s, (int)n, &h2, K, (int)n, T, (int)n, &one, prev, (int)n));
  if (j > 0) {
    lf_adjoint_shift<<<odynk_grid1d(len), 256>>>(len, cur, prev);
    ODYNK_LAUNCHED("lf_adjoint_shift");
  } else {
    lf_adjoint_last<<<odynk_grid1d(len), 256>>>(len, cur, prev, gY0);
    ODYNK_LAUNCHED("lf_adjoint_last");
  }
  return ODYN_CUDA_OK;
}

/* the adjoints' start: cur = W, prev = 0 and, with a gradient wanted, ones = 1 (s) */
int lf_adjoint_start(long len, long s, const double *W, double *cur, double *prev, double *ones)
{
  ODYNK_CUDA(cudaMemcpyAsync(cur, W, (size_t)len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  ODYNK_CUDA(cudaMemsetAsync(prev, 0, (size_t)len * sizeof(double), 0));
  if (ones) ODYNK_CALL(odynk_fill(s, 1.0, ones));
  return ODYN_CUDA_OK;
}

/* (a, b, c) <- (b, c, a): a ring of three levels moves one step */
void lf_rotate(double **a, double **b, double **c)
{
  double *t = *a;

  *a = *b;
  *b = *c;
  *c = t;
}

/* a ring's start: cur = x0 (NULL: zero) and prev = cur (the level before the first: Y_{-1} = Y_0) */
int lf_ring_start(size_t len, const double *x0, double *cur, double *prev)
{
  ODYNK_CALL(odynk_copy_or_zero(len, x0, cur));
  ODYNK_CUDA(cudaMemcpyAsync(prev, cur, len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  return ODYN_CUDA_OK;
}

int lf_check(const char *fn, long n, long N, long s)
{
  if (n < 1 || N < 0 || s < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: need n >= 1, N >= 0, s >= 0, got n = %ld, N = %ld, s = %ld", fn, n, N, s);
  if (!odynk_fits_int(n) || !odynk_fits_int(s) || !odynk_fits_int(n * n)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: n = %ld or s = %ld does not fit cuBLAS's int", fn, n, s);
  return ODYN_CUDA_OK;
}

} // namespace

int odyn_cuda_leapfrog_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *D)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0, h2 = h * h;
  const long     slot = n * n + n, len = n * s;

  ODYNK_CALL(odynk_check_act("odyn_cuda_leapfrog_forward", act));
  ODYNK_CALL(lf_check("odyn_cuda_leapfrog_forward", n, N, s));
  if (!theta || !Y0 || !Ytraj || (N > 0 && !D)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_leapfrog_forward: theta, Y0, Ytraj and D must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  if (Ytraj != Y0) ODYNK_CUDA(cudaMemcpyAsync(Ytraj, Y0, (size_t)len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * len, *Yp = j ? Yj - len : Yj;
    double       *Y1 = Ytraj + (j + 1) * len;

    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, Yj, (int)n, &zero, Y1, (int)n));
    lf_forward_update<<<odynk_grid1d(len), 256>>>(act, n, len, h2, K + n * n, Yj, Yp, Y1, D + j * len);
    ODYNK_LAUNCHED("lf_forward_update");
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_leapfrog_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *D, const double *dY0, double *dYN)
{
  cublasHandle_t cb = NULL;
  const long     slot = n * n + n, len = n * s;
  double        *b[4], *prev, *cur, *next;

  ODYNK_CALL(odynk_check_act("odyn_cuda_leapfrog_tangent", act));
  ODYNK_CALL(lf_check("odyn_cuda_leapfrog_tangent", n, N, s));
  if (!theta || !Ytraj || (N > 0 && !D) || !dYN) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_leapfrog_tangent: theta, Ytraj, D (of the forward) and dYN must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  if (N == 0) return odynk_copy_or_zero((size_t)len, dY0, dYN); /* dY_N = dY_0 */
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(0, 4, (size_t)len, b)); /* Z, then the ring of dY */
  prev = b[1];
  cur  = b[2];
  next = b[3];
  ODYNK_CALL(lf_ring_start((size_t)len, dY0, cur, prev)); /* dY_{-1} = dY_0 */
  for (long j = 0; j < N; j++) {
    ODYNK_CALL(lf_tangent_step(cb, n, s, h * h, theta + j * slot, dtheta ? dtheta + j * slot : NULL, Ytraj + j * len, D + j * len, b[0], cur, prev, j == N - 1 ? dYN : next));
    lf_rotate(&prev, &cur, &next);
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_leapfrog_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *D, const double *W, double *gtheta, double *gY0)
{
  cublasHandle_t cb = NULL;
  const long     slot = n * n + n, len = n * s;
  double        *b[3], *ones = NULL;

  ODYNK_CALL(odynk_check_act("odyn_cuda_leapfrog_adjoint", act));
  ODYNK_CALL(lf_check("odyn_cuda_leapfrog_adjoint", n, N, s));
  if (!theta || !Ytraj || (N > 0 && !D) || !W) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_leapfrog_adjoint: theta, Ytraj, D (of the forward) and W must be device arrays");
  if (len == 0 || (!gtheta && !gY0)) return ODYN_CUDA_OK;
  if (N == 0) { /* gY0 = W */
    if (gY0) ODYNK_CUDA(cudaMemcpyAsync(gY0, W, (size_t)len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
    return ODYN_CUDA_OK;
  }
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(0, 3, (size_t)len, b)); /* T, cur, prev */
  if (gtheta) ODYNK_CALL(odynk_scratch_n(3, 1, (size_t)s, &ones));
  ODYNK_CALL(lf_adjoint_start(len, s, W, b[1], b[2], ones));
  for (long j = N - 1; j >= 0; j--) {
    double *tmp;

    ODYNK_CALL(lf_adjoint_step(cb, n, s, j, h * h, theta + j * slot, Ytraj + j * len, D + j * len, ones, b[0], b[1], b[2], gtheta ? gtheta + j * slot : NULL, gY0));
    tmp  = b[1]; /* A_j is complete in prev; cur (now -A_{j+1}) starts A_{j-1} */
    b[1] = b[2];
    b[2] = tmp;
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_leapfrog_forward_final(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0, h2 = h * h;
  const long     slot = n * n + n, len = n * s;
  const size_t   bytes = (size_t)len * sizeof(double);
  double        *b[3], *prev, *cur, *next;

  ODYNK_CALL(odynk_check_act("odyn_cuda_leapfrog_forward_final", act));
  ODYNK_CALL(lf_check("odyn_cuda_leapfrog_forward_final", n, N, s));
  if (!theta || !Y0 || !YN || !YNm1) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_leapfrog_forward_final: theta, Y0, YN and YNm1 must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(0, 3, (size_t)len, b));
  prev = b[0];
  cur  = b[1];
  next = b[2];
  ODYNK_CALL(lf_ring_start((size_t)len, Y0, cur, prev));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot;

    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, cur, (int)n, &zero, next, (int)n));
    lf_forward_update<<<odynk_grid1d(len), 256>>>(act, n, len, h2, K + n * n, cur, prev, next, NULL);
    ODYNK_LAUNCHED("lf_forward_update");
    lf_rotate(&prev, &cur, &next);
  }
  ODYNK_CUDA(cudaMemcpyAsync(YN, cur, bytes, cudaMemcpyDeviceToDevice, 0));
  ODYNK_CUDA(cudaMemcpyAsync(YNm1, prev, bytes, cudaMemcpyDeviceToDevice, 0));
  return ODYN_CUDA_OK;
}

int odyn_cuda_leapfrog_tangent_y0(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0, h2 = h * h;
  const long     slot = n * n + n, len = n * s;
  double        *b[8], *yp, *yc, *yn, *dp, *dc, *dn;

  ODYNK_CALL(odynk_check_act("odyn_cuda_leapfrog_tangent_y0", act));
  ODYNK_CALL(lf_check("odyn_cuda_leapfrog_tangent_y0", n, N, s));
  if (!theta || !Y0 || !dYN) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_leapfrog_tangent_y0: theta, Y0 and dYN must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  if (N == 0) return odynk_copy_or_zero((size_t)len, dY0, dYN);
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(0, 8, (size_t)len, b)); /* Z, D, the rings of Y and dY */
  yp = b[2];
  yc = b[3];
  yn = b[4];
  dp = b[5];
  dc = b[6];
  dn = b[7];
  ODYNK_CALL(lf_ring_start((size_t)len, Y0, yc, yp));
  ODYNK_CALL(lf_ring_start((size_t)len, dY0, dc, dp));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot;

    /* Y_{j+1} and sigma' at Y_j, then the tangent's step at Y_j */
    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, yc, (int)n, &zero, yn, (int)n));
    lf_forward_update<<<odynk_grid1d(len), 256>>>(act, n, len, h2, K + n * n, yc, yp, yn, b[1]);
    ODYNK_LAUNCHED("lf_forward_update");
    ODYNK_CALL(lf_tangent_step(cb, n, s, h2, K, dtheta ? dtheta + j * slot : NULL, yc, b[1], b[0], dc, dp, j == N - 1 ? dYN : dn));
    lf_rotate(&yp, &yc, &yn);
    lf_rotate(&dp, &dc, &dn);
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_leapfrog_adjoint_reversible(int act, long n, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0, h2 = h * h;
  const long     slot = n * n + n, len = n * s;
  const size_t   bytes = (size_t)len * sizeof(double);
  double        *b[7], *ones = NULL, *ya, *yb, *tmp;

  ODYNK_CALL(odynk_check_act("odyn_cuda_leapfrog_adjoint_reversible", act));
  ODYNK_CALL(lf_check("odyn_cuda_leapfrog_adjoint_reversible", n, N, s));
  if (!theta || !YN || !YNm1 || !W) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_leapfrog_adjoint_reversible: theta, YN, YNm1 and W must be device arrays");
  if (len == 0 || (!gtheta && !gY0)) return ODYN_CUDA_OK;
  if (N == 0) {
    if (gY0) ODYNK_CUDA(cudaMemcpyAsync(gY0, W, bytes, cudaMemcpyDeviceToDevice, 0));
    return ODYN_CUDA_OK;
  }
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(0, 7, (size_t)len, b)); /* T, cur, prev, F, D, Y_{j+1}, Y_j */
  if (gtheta) ODYNK_CALL(odynk_scratch_n(7, 1, (size_t)s, &ones));
  ya = b[5];
  yb = b[6];
  ODYNK_CUDA(cudaMemcpyAsync(ya, YN, bytes, cudaMemcpyDeviceToDevice, 0));
  ODYNK_CUDA(cudaMemcpyAsync(yb, YNm1, bytes, cudaMemcpyDeviceToDevice, 0));
  ODYNK_CALL(lf_adjoint_start(len, s, W, b[1], b[2], ones));
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot;

    /* sigma' at Y_j (yb) and Y_{j-1} rebuilt into ya, then the adjoint's step */
    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, yb, (int)n, &zero, b[3], (int)n));
    lf_reverse_update<<<odynk_grid1d(len), 256>>>(act, n, len, h2, K + n * n, b[3], yb, ya, b[4], j > 0);
    ODYNK_LAUNCHED("lf_reverse_update");
    ODYNK_CALL(lf_adjoint_step(cb, n, s, j, h2, K, yb, b[4], ones, b[0], b[1], b[2], gtheta ? gtheta + j * slot : NULL, gY0));
    tmp  = b[1];
    b[1] = b[2];
    b[2] = tmp;
    tmp  = ya; /* ya = Y_j, yb = Y_{j-1} */
    ya   = yb;
    yb   = tmp;
  }
  return ODYN_CUDA_OK;
}
