/*
   Parabolic tanh sweeps (forward Euler with the symmetric layer, include/odyn/private/cudakernels.h has the
   contracts): Y_{j+1} = Y_j - h K_j^T tanh(K_j Y_j + b_j), K_j m x n column-major, slot j = [K_j | b_j]. Per step
   cuBLAS DGEMMs with the examples in the long dimension and one fused pass, as leapfrog.cu and verletwide.cu:

     forward   S = K Y_j (DGEMM into S_j's place in lin); S = tanh(S + b), D = sigma' in one pass; Y_{j+1} = Y_j
               (a copy), Y_{j+1} += -h K^T S (DGEMM with beta 1). lin = [S_j | D_j] per step, 2 N m s doubles.
     tangent   T = K dY (+ dK Y_j); T = D .* (T + db) in one pass; dY += -h K^T T (+ -h dK^T S_j); dY runs in dYN.
     adjoint   T = D .* (K P); gK += -h S P^T, gK += -h T Y_j^T, gb += -h T 1 (DGEMM, DGEMM, DGEMV with beta 1 into
               gtheta: cuBLAS's order, deterministic); P += -h K^T T (skipped at j = 0 when gY0 is not wanted).

   The symmetric layer is its own transpose in Y (dF/dY = -K^T diag(D) K), so the tangent's and the adjoint's state
   products are the same two DGEMMs. Narrow widths would pay two or three launches per step here: the table takes
   n, m <= 16 to parabolicnarrow.cu's one-kernel sweeps instead (backend.cu); these kernels serve any widths.
   tanh stands for the sweep's act (identity, tanh, relu), taken at run time in the fused pass (devmath.cuh's
   odynk_act_rt), D = sigma' at the pre-activation. Kernels on the legacy default stream, cuBLAS through wide.cu's
   handle, as leapfrog.cu.
*/
#include "kernelsys.cuh"
#include "devmath.cuh"

namespace {

/* S = act(S + b), D = act' there (rows values of b, repeated per example) */
__global__ void pb_bias_act(int act, long rows, long len, const double *__restrict__ b, double *__restrict__ S, double *__restrict__ D)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) S[k] = odynk_act_rt(act, S[k] + b[k % rows], &D[k]);
}

/* T = D .* (T + db) (db may be NULL) */
__global__ void pb_scale(long rows, long len, const double *__restrict__ db, const double *__restrict__ D, double *__restrict__ T)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) T[k] = D[k] * (T[k] + (db ? db[k % rows] : 0.0));
}

int pb_scale_launch(long m, long s, const double *db, const double *D, double *T)
{
  pb_scale<<<odynk_grid1d(m * s), 256>>>(m, m * s, db, D, T);
  ODYNK_LAUNCHED("pb_scale");
  return ODYN_CUDA_OK;
}

/* C (rows x s) = A X (+ beta C): A rows x k (op N) or k x rows (op T), X k x s */
int pb_gemm(cublasHandle_t cb, cublasOperation_t op, long rows, long s, long k, double alpha, const double *A, long lda, const double *X, double beta, double *C)
{
  ODYNK_CUBLAS(cublasDgemm(cb, op, CUBLAS_OP_N, (int)rows, (int)s, (int)k, &alpha, A, (int)lda, X, (int)k, &beta, C, (int)rows));
  return ODYN_CUDA_OK;
}

int pb_check(const char *fn, long n, long m, long N, long s)
{
  if (n < 1 || m < 1 || N < 0 || s < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: need n >= 1, m >= 1, N >= 0, s >= 0, got n = %ld, m = %ld, N = %ld, s = %ld", fn, n, m, N, s);
  if (!odynk_fits_int(m * n + m) || !odynk_fits_int(s)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: n = %ld, m = %ld or s = %ld does not fit cuBLAS's int", fn, n, m, s);
  return ODYN_CUDA_OK;
}

} // namespace

int odyn_cuda_parabolic_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  cublasHandle_t cb = NULL;
  const long     slot = m * n + m, len = n * s, lm = m * s;

  ODYNK_CALL(odynk_check_act("odyn_cuda_parabolic_forward", act));
  ODYNK_CALL(pb_check("odyn_cuda_parabolic_forward", n, m, N, s));
  if (!theta || !Y0 || !Ytraj || (N > 0 && !lin)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_parabolic_forward: theta, Y0, Ytraj and lin must be device arrays");
  if (s == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_copy_or_zero((size_t)len, Y0, Ytraj));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot;
    double       *S = lin + 2 * j * lm, *Y1 = Ytraj + (j + 1) * len;

    ODYNK_CALL(pb_gemm(cb, CUBLAS_OP_N, m, s, n, 1.0, K, m, Ytraj + j * len, 0.0, S));
    pb_bias_act<<<odynk_grid1d(lm), 256>>>(act, m, lm, K + m * n, S, S + lm);
    ODYNK_LAUNCHED("pb_bias_act");
    ODYNK_CUDA(cudaMemcpyAsync(Y1, Ytraj + j * len, (size_t)len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
    ODYNK_CALL(pb_gemm(cb, CUBLAS_OP_T, n, s, m, -h, K, m, S, 1.0, Y1));
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_parabolic_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  cublasHandle_t cb = NULL;
  const long     slot = m * n + m, len = n * s, lm = m * s;
  double        *T;

  ODYNK_CALL(odynk_check_act("odyn_cuda_parabolic_tangent", act));
  ODYNK_CALL(pb_check("odyn_cuda_parabolic_tangent", n, m, N, s));
  if (!theta || !Ytraj || (N > 0 && !lin) || !dYN) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_parabolic_tangent: theta, Ytraj, lin (of the forward) and dYN must be device arrays");
  if (s == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_copy_or_zero((size_t)len, dY0, dYN)); /* dY runs in dYN */
  if (N == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(0, 1, (size_t)lm, &T));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *dK = dtheta ? dtheta + j * slot : NULL, *S = lin + 2 * j * lm;

    ODYNK_CALL(pb_gemm(cb, CUBLAS_OP_N, m, s, n, 1.0, K, m, dYN, 0.0, T));
    if (dK) ODYNK_CALL(pb_gemm(cb, CUBLAS_OP_N, m, s, n, 1.0, dK, m, Ytraj + j * len, 1.0, T));
    ODYNK_CALL(pb_scale_launch(m, s, dK ? dK + m * n : NULL, S + lm, T));
    ODYNK_CALL(pb_gemm(cb, CUBLAS_OP_T, n, s, m, -h, K, m, T, 1.0, dYN));
    if (dK) ODYNK_CALL(pb_gemm(cb, CUBLAS_OP_T, n, s, m, -h, dK, m, S, 1.0, dYN));
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_parabolic_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  cublasHandle_t cb = NULL;
  const long     slot = m * n + m, len = n * s, lm = m * s;
  const double   one = 1.0, mh = -h;
  double        *b[3], *T, *P, *ones = NULL;

  ODYNK_CALL(odynk_check_act("odyn_cuda_parabolic_adjoint", act));
  ODYNK_CALL(pb_check("odyn_cuda_parabolic_adjoint", n, m, N, s));
  if (!theta || !Ytraj || (N > 0 && !lin) || !W) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_parabolic_adjoint: theta, Ytraj, lin (of the forward) and W must be device arrays");
  if (s == 0 || (!gtheta && !gY0)) return ODYN_CUDA_OK;
  if (N == 0) return gY0 ? odynk_copy_or_zero((size_t)len, W, gY0) : ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(0, 3, (size_t)(n > m ? n : m) * s, b)); /* T, P (without gY0), ones */
  T    = b[0];
  P    = gY0 ? gY0 : b[1];
  ones = gtheta ? b[2] : NULL;
  ODYNK_CALL(odynk_copy_or_zero((size_t)len, W, P));
  if (ones) ODYNK_CALL(odynk_fill(s, 1.0, ones));
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot, *S = lin + 2 * j * lm;

    ODYNK_CALL(pb_gemm(cb, CUBLAS_OP_N, m, s, n, 1.0, K, m, P, 0.0, T));
    ODYNK_CALL(pb_scale_launch(m, s, NULL, S + lm, T));
    if (gtheta) {
      double *g = gtheta + j * slot;

      ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_T, (int)m, (int)n, (int)s, &mh, S, (int)m, P, (int)n, &one, g, (int)m));
      ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_T, (int)m, (int)n, (int)s, &mh, T, (int)m, Ytraj + j * len, (int)n, &one, g, (int)m));
      ODYNK_CUBLAS(cublasDgemv(cb, CUBLAS_OP_N, (int)m, (int)s, &mh, T, (int)m, ones, 1, &one, g + m * n, 1));
    }
    if (j > 0 || gY0) ODYNK_CALL(pb_gemm(cb, CUBLAS_OP_T, n, s, m, -h, K, m, T, 1.0, P));
  }
  return ODYN_CUDA_OK;
}
