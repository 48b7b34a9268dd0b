/*
   Dense leapfrog tanh networks (the second-order network of paper 001: scheme leapfrog with a dense, antisym or
   negdef layer, include/odyn/private/backend.h leapfrog_tanh_*), any width n:

     Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 tanh(K_j Y_j + b_j),  Y_{-1} = Y_0

   Per step one cuBLAS DGEMM with the examples in the long dimension and one fused elementwise kernel, as the wide
   Euler path (wide.cu), with the leapfrog's three-level update folded into that kernel:

     forward   Y_{j+1} <- K_j Y_j (DGEMM into its slot), then Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 tanh(Y_{j+1} + b_j) and
               D_j = 1 - tanh^2 in the same pass
     tangent   Z = K_j dY_j (+ dK_j Y_j), dY_{j+1} = 2 dY_j - dY_{j-1} + h^2 D_j .* (Z + db_j)   (a ring of three dY)
     adjoint   cur = A_{j+1}, prev = A_j so far: T = D_j .* cur; gK_j += h^2 T Y_j^T (DGEMM), gb_j += h^2 T 1 (DGEMV);
               prev += h^2 K_j^T T (DGEMM); then one pass: prev += 2 cur and cur = -cur (the start of A_{j-1}), and the
               two buffers swap roles (j = 0: gY0 = prev + cur, as Y_{-1} = Y_0)

   No narrow one-kernel sweep yet (narrow.cu's form for Euler): for the 2-D examples' widths a step costs two launches,
   about 10 us, so 64 steps about 0.7 ms per sweep; what the examples' training needs, not what the Euler targets ask.
   Kernels on the legacy default stream, cuBLAS through wide.cu's handle, scratch from kernelsys.cu, as wide.cu.
*/
#include "kernelsys.cuh"
#include "devmath.cuh"

namespace {

unsigned lf_grid(long len)
{
  long g = (len + 255) / 256;
  return (unsigned)(g < 65536 ? (g > 0 ? g : 1) : 65536); /* grid-stride loops cover the rest */
}

/* Y1 = 2 Y - Yp + h2 tanh(Y1 + b) (Y1 holds K Y on entry), D = 1 - tanh^2 */
__global__ void lf_forward_update(long n, long len, double h2, const double *__restrict__ b, const double *__restrict__ Y, const double *__restrict__ Yp, double *__restrict__ Y1, double *__restrict__ D)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) {
    const double t = odynk_tanh(Y1[k] + b[k % n]);
    Y1[k]          = (2.0 * Y[k] - Yp[k]) + h2 * t;
    D[k]           = 1.0 - t * t;
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

__global__ void lf_fill(long len, double v, double *__restrict__ x)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) x[k] = v;
}

int lf_check(const char *fn, long n, long N, long s)
{
  if (n < 1 || N < 0 || s < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: need n >= 1, N >= 0, s >= 0, got n = %ld, N = %ld, s = %ld", fn, n, N, s);
  if (!odynk_fits_int(n) || !odynk_fits_int(s) || !odynk_fits_int(n * n)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: n = %ld or s = %ld does not fit cuBLAS's int", fn, n, s);
  return ODYN_CUDA_OK;
}

} // namespace

int odyn_cuda_leapfrog_forward(long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *D)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0, h2 = h * h;
  const long     slot = n * n + n, len = n * s;

  ODYNK_CALL(lf_check("odyn_cuda_leapfrog_forward", n, N, s));
  if (!theta || !Y0 || !Ytraj || (N > 0 && !D)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_leapfrog_forward: theta, Y0, Ytraj and D must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  if (Ytraj != Y0) ODYNK_CUDA(cudaMemcpyAsync(Ytraj, Y0, (size_t)len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * len, *Yp = j ? Yj - len : Yj;
    double       *Y1 = Ytraj + (j + 1) * len;

    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, Yj, (int)n, &zero, Y1, (int)n));
    lf_forward_update<<<lf_grid(len), 256>>>(n, len, h2, K + n * n, Yj, Yp, Y1, D + j * len);
    ODYNK_LAUNCHED("lf_forward_update");
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_leapfrog_tangent(long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *D, const double *dY0, double *dYN)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0, h2 = h * h;
  const long     slot = n * n + n, len = n * s;
  const size_t   bytes = (size_t)len * sizeof(double);
  void          *zp = NULL, *rp[3] = {NULL, NULL, NULL};
  double        *Z, *prev, *cur, *next;

  ODYNK_CALL(lf_check("odyn_cuda_leapfrog_tangent", n, N, s));
  if (!theta || !Ytraj || (N > 0 && !D) || !dYN) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_leapfrog_tangent: theta, Ytraj, D (of the forward) and dYN must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  if (N == 0) { /* dY_N = dY_0 */
    if (dY0) ODYNK_CUDA(cudaMemcpyAsync(dYN, dY0, bytes, cudaMemcpyDeviceToDevice, 0));
    else ODYNK_CUDA(cudaMemsetAsync(dYN, 0, bytes, 0));
    return ODYN_CUDA_OK;
  }
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch(0, bytes, &zp));
  for (int k = 0; k < 3; k++) ODYNK_CALL(odynk_scratch(k + 1, bytes, &rp[k]));
  Z    = (double *)zp;
  prev = (double *)rp[0];
  cur  = (double *)rp[1];
  next = (double *)rp[2];
  if (dY0) ODYNK_CUDA(cudaMemcpyAsync(cur, dY0, bytes, cudaMemcpyDeviceToDevice, 0));
  else ODYNK_CUDA(cudaMemsetAsync(cur, 0, bytes, 0));
  ODYNK_CUDA(cudaMemcpyAsync(prev, cur, bytes, cudaMemcpyDeviceToDevice, 0)); /* dY_{-1} = dY_0 */
  for (long j = 0; j < N; j++) {
    const double *K   = theta + j * slot;
    double       *out = j == N - 1 ? dYN : next, *tmp;

    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, cur, (int)n, &zero, Z, (int)n));
    if (dtheta) ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, dtheta + j * slot, (int)n, Ytraj + j * len, (int)n, &one, Z, (int)n));
    lf_tangent_update<<<lf_grid(len), 256>>>(n, len, h2, dtheta ? dtheta + j * slot + n * n : NULL, D + j * len, Z, cur, prev, out);
    ODYNK_LAUNCHED("lf_tangent_update");
    tmp  = prev;
    prev = cur;
    cur  = next;
    next = tmp;
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_leapfrog_adjoint(long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *D, const double *W, double *gtheta, double *gY0)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, h2 = h * h;
  const long     slot = n * n + n, len = n * s;
  const size_t   bytes = (size_t)len * sizeof(double);
  void          *tp = NULL, *ap = NULL, *bp = NULL, *op = NULL;
  double        *T, *cur, *prev, *ones;

  ODYNK_CALL(lf_check("odyn_cuda_leapfrog_adjoint", n, N, s));
  if (!theta || !Ytraj || (N > 0 && !D) || !W) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_leapfrog_adjoint: theta, Ytraj, D (of the forward) and W must be device arrays");
  if (len == 0 || (!gtheta && !gY0)) return ODYN_CUDA_OK;
  if (N == 0) { /* gY0 = W */
    if (gY0) ODYNK_CUDA(cudaMemcpyAsync(gY0, W, bytes, cudaMemcpyDeviceToDevice, 0));
    return ODYN_CUDA_OK;
  }
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch(0, bytes, &tp));
  ODYNK_CALL(odynk_scratch(1, bytes, &ap));
  ODYNK_CALL(odynk_scratch(2, bytes, &bp));
  ODYNK_CALL(odynk_scratch(3, (size_t)s * sizeof(double), &op));
  T    = (double *)tp;
  cur  = (double *)ap;
  prev = (double *)bp;
  ones = (double *)op;
  ODYNK_CUDA(cudaMemcpyAsync(cur, W, bytes, cudaMemcpyDeviceToDevice, 0));
  ODYNK_CUDA(cudaMemsetAsync(prev, 0, bytes, 0));
  if (gtheta) {
    lf_fill<<<lf_grid(s), 256>>>(s, 1.0, ones);
    ODYNK_LAUNCHED("lf_fill");
  }
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot;

    lf_hadamard<<<lf_grid(len), 256>>>(len, D + j * len, cur, T);
    ODYNK_LAUNCHED("lf_hadamard");
    if (gtheta) {
      ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_T, (int)n, (int)n, (int)s, &h2, T, (int)n, Ytraj + j * len, (int)n, &one, gtheta + j * slot, (int)n));
      ODYNK_CUBLAS(cublasDgemv(cb, CUBLAS_OP_N, (int)n, (int)s, &h2, T, (int)n, ones, 1, &one, gtheta + j * slot + n * n, 1));
    }
    if (!gY0 && j == 0) break; /* A_0 is not wanted */
    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)s, (int)n, &h2, K, (int)n, T, (int)n, &one, prev, (int)n));
    if (j > 0) {
      double *tmp;

      lf_adjoint_shift<<<lf_grid(len), 256>>>(len, cur, prev);
      ODYNK_LAUNCHED("lf_adjoint_shift");
      tmp  = cur; /* A_j is complete; cur (now -A_{j+1}) starts A_{j-1} */
      cur  = prev;
      prev = tmp;
    } else {
      lf_adjoint_last<<<lf_grid(len), 256>>>(len, cur, prev, gY0);
      ODYNK_LAUNCHED("lf_adjoint_last");
    }
  }
  return ODYN_CUDA_OK;
}
