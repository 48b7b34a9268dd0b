/*
   Wide dense Euler tanh networks (include/odyn/private/cudakernels.h, "wide"): per step one cuBLAS DGEMM with the
   examples in the long dimension and one fused elementwise kernel, so the activation costs one pass over the states:

     forward   Y_{j+1} <- K_j Y_j (DGEMM straight into the slot of Y_{j+1}),
               then Y_{j+1} = Y_j + h tanh(Y_{j+1} + b_j) and D_j = 1 - tanh^2 in the same pass
     tangent   Z = K_j dY (+ dK_j Y_j), dY += h D_j .* (Z + db_j)
     adjoint   T = h D_j .* P;  gK_j += T Y_j^T, gb_j += T 1 (DGEMM, DGEMV);  P += K_j^T T (DGEMM)

   For n >= 32 the DGEMM is the cost (2 n^2 s flops per step against 3-4 n s memory accesses of the fused kernel).
*/
#include "kernelsys.cuh"

static cublasHandle_t handle;
static bool           have_handle;

int odynk_cublas(cublasHandle_t *h)
{
  if (!have_handle) {
    ODYNK_CUBLAS(cublasCreate(&handle));
    have_handle = true;
  }
  *h = handle;
  return ODYN_CUDA_OK;
}

void odynk_cublas_release(void)
{
  if (have_handle) (void)cublasDestroy(handle);
  have_handle = false;
}

static int check_sizes(const char *fn, long n, long N, long s)
{
  if (n < 1 || N < 0 || s < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: need n >= 1, N >= 0, s >= 0, got n = %ld, N = %ld, s = %ld", fn, n, N, s);
  if (!odynk_fits_int(n) || !odynk_fits_int(s) || !odynk_fits_int(n * n)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: n = %ld or s = %ld does not fit cuBLAS's int", fn, n, s);
  return ODYN_CUDA_OK;
}

static unsigned grid_for(long len)
{
  long g = (len + 255) / 256;
  return (unsigned)(g < 65536 ? (g > 0 ? g : 1) : 65536); /* grid-stride loops below cover the rest */
}

/* Y1 = Y + h tanh(Y1 + b) (Y1 holds K Y on entry), D = 1 - tanh^2 when D is not NULL */
__global__ void euler_bias_tanh(long n, long len, double h, const double *__restrict__ b, const double *__restrict__ Y, double *__restrict__ Y1, double *__restrict__ D)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) {
    const double t = tanh(Y1[k] + b[k % n]);
    Y1[k]          = Y[k] + h * t;
    if (D) D[k] = 1.0 - t * t;
  }
}

/* dY += h D .* (Z + db) (db may be NULL) */
__global__ void tangent_update(long n, long len, double h, const double *__restrict__ db, const double *__restrict__ D, const double *__restrict__ Z, double *__restrict__ dY)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) dY[k] += h * D[k] * (Z[k] + (db ? db[k % n] : 0.0));
}

__global__ void hadamard_kernel(long len, double alpha, const double *__restrict__ D, const double *__restrict__ P, double *__restrict__ T)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) T[k] = alpha * D[k] * P[k];
}

__global__ void axpy_kernel(long len, double alpha, const double *__restrict__ x, double *__restrict__ y)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) y[k] += alpha * x[k];
}

__global__ void fill_kernel(long len, double v, double *__restrict__ x)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) x[k] = v;
}

int odyn_cuda_hadamard(long len, double alpha, const double *D, const double *P, double *T)
{
  if (len < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_hadamard: negative length %ld", len);
  if (len == 0) return ODYN_CUDA_OK;
  hadamard_kernel<<<grid_for(len), 256>>>(len, alpha, D, P, T);
  ODYNK_LAUNCHED("hadamard_kernel");
  return ODYN_CUDA_OK;
}

int odyn_cuda_axpy(long len, double alpha, const double *x, double *y)
{
  if (len < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_axpy: negative length %ld", len);
  if (len == 0) return ODYN_CUDA_OK;
  axpy_kernel<<<grid_for(len), 256>>>(len, alpha, x, y);
  ODYNK_LAUNCHED("axpy_kernel");
  return ODYN_CUDA_OK;
}

int odyn_cuda_dgemm(long m, long n, long k, const double *A, const double *B, double *C)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0;

  if (!odynk_fits_int(m) || !odynk_fits_int(n) || !odynk_fits_int(k)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_dgemm: sizes %ld %ld %ld do not fit cuBLAS's int", m, n, k);
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)m, (int)n, (int)k, &one, A, (int)(m > 0 ? m : 1), B, (int)(k > 0 ? k : 1), &zero, C, (int)(m > 0 ? m : 1)));
  return ODYN_CUDA_OK;
}

int odyn_cuda_dense_forward(long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *D)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0;
  const long     slot = n * n + n, len = n * s;

  ODYNK_CALL(check_sizes("odyn_cuda_dense_forward", n, N, s));
  if (!theta || !Y0 || !Ytraj) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_dense_forward: theta, Y0 and Ytraj must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  if (Ytraj != Y0) ODYNK_CUDA(cudaMemcpyAsync(Ytraj, Y0, (size_t)len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * len;
    double       *Y1 = Ytraj + (j + 1) * len;

    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, Yj, (int)n, &zero, Y1, (int)n));
    euler_bias_tanh<<<grid_for(len), 256>>>(n, len, h, K + n * n, Yj, Y1, D ? D + j * len : NULL);
    ODYNK_LAUNCHED("euler_bias_tanh");
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_dense_tangent(long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *D, const double *dY0, double *dYN)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0;
  const long     slot = n * n + n, len = n * s;
  void          *zp = NULL;

  ODYNK_CALL(check_sizes("odyn_cuda_dense_tangent", n, N, s));
  if (!theta || !Ytraj || !D || !dYN) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_dense_tangent: theta, Ytraj, D (of the forward) and dYN must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch(0, (size_t)len * sizeof(double), &zp));
  double *Z = (double *)zp;
  if (dY0) {
    if (dY0 != dYN) ODYNK_CUDA(cudaMemcpyAsync(dYN, dY0, (size_t)len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  } else ODYNK_CUDA(cudaMemsetAsync(dYN, 0, (size_t)len * sizeof(double), 0));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot;

    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, dYN, (int)n, &zero, Z, (int)n));
    if (dtheta) ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, dtheta + j * slot, (int)n, Ytraj + j * len, (int)n, &one, Z, (int)n));
    tangent_update<<<grid_for(len), 256>>>(n, len, h, dtheta ? dtheta + j * slot + n * n : NULL, D + j * len, Z, dYN);
    ODYNK_LAUNCHED("tangent_update");
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_dense_adjoint(long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *D, const double *W, double *gtheta, double *gY0)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0;
  const long     slot = n * n + n, len = n * s;
  void          *tp = NULL, *pp = NULL, *op = NULL;
  double        *T, *P, *ones;

  ODYNK_CALL(check_sizes("odyn_cuda_dense_adjoint", n, N, s));
  if (!theta || !Ytraj || !D || !W) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_dense_adjoint: theta, Ytraj, D (of the forward) and W must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch(0, (size_t)len * sizeof(double), &tp));
  ODYNK_CALL(odynk_scratch(1, (size_t)len * sizeof(double), &pp));
  ODYNK_CALL(odynk_scratch(2, (size_t)s * sizeof(double), &op));
  T    = (double *)tp;
  P    = gY0 ? gY0 : (double *)pp;
  ones = (double *)op;
  if (P != W) ODYNK_CUDA(cudaMemcpyAsync(P, W, (size_t)len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  if (gtheta) {
    fill_kernel<<<grid_for(s), 256>>>(s, 1.0, ones);
    ODYNK_LAUNCHED("fill_kernel");
  }
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot;

    hadamard_kernel<<<grid_for(len), 256>>>(len, h, D + j * len, P, T);
    ODYNK_LAUNCHED("hadamard_kernel");
    if (gtheta) {
      ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_T, (int)n, (int)n, (int)s, &one, T, (int)n, Ytraj + j * len, (int)n, &one, gtheta + j * slot, (int)n));
      ODYNK_CUBLAS(cublasDgemv(cb, CUBLAS_OP_N, (int)n, (int)s, &one, T, (int)n, ones, 1, &one, gtheta + j * slot + n * n, 1));
    }
    if (j > 0 || gY0) ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, T, (int)n, &one, P, (int)n));
  }
  return ODYN_CUDA_OK;
}
