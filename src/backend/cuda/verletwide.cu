/*
   Wide Verlet (Hamiltonian) tanh sweeps (n or m > ODYN_CUDA_NARROW_MAX; include/odyn/private/cudakernels.h has the
   contracts): per step and face one cuBLAS DGEMM with the examples in the long dimension and one fused element-wise
   pass, as leapfrog.cu does for the dense leapfrog and wide.cu for Euler. With widths above 16 a step is at least
   2 x 2 n m flops per example, so the GEMMs carry the work and the launches (four per step) no longer dominate as
   they would at the 2-D examples' widths, which narrow kernels of verlet.cu take.

     Z_{j+1/2} = Z_{j-1/2} - h tanh(K_j^T Y_j + bG_j),  Y_{j+1} = Y_j + h tanh(K_j Z_{j+1/2} + bF_j),  Z_{-1/2} = 0
     slot j = [K_j (n x m, column-major) | bF_j (n) | bG_j (m)]; Y n x s, Z m x s, column-major (example e at e n)
     tanh stands for the sweep's act (identity, tanh, relu), taken at run time in the fused passes (devmath.cuh's
     odynk_act_rt), DG, DF = sigma' at the pre-activation.

   forward (stored): per step A = K^T Y_j (DGEMM into Z_{j+1/2}'s place), Z_{j+1/2} = Z_{j-1/2} - h tanh(A + bG) and
     DG_j = 1 - tanh^2 in one pass; B = K Z_{j+1/2} (DGEMM into Y_{j+1}'s place), Y_{j+1} = Y_j + h tanh(B + bF) and
     DF_j in one pass. lin = [DG_0 (m s) | DF_0 (n s) | DG_1 | ...], N (n + m) s (cuda_dense_verlet_linsize).
   tangent (stored): dZ_{j+1/2} = dZ_{j-1/2} - h DG_j .* (K^T dY_j + dK^T Y_j + dbG), dY_{j+1} = dY_j + h DF_j .* (K dZ_{j+1/2}
     + dK Z_{j+1/2} + dbF): two or four DGEMMs (without dtheta: two) and two passes per step; dY runs in dYN.
   adjoint (stored), backwards with aY = W, aZ = 0: u = h DF_j .* aY; gK_j += u Z_{j+1/2}^T, gbF_j += u 1, aZ += K^T u;
     v = -h DG_j .* aZ; gK_j += Y_j v^T, gbG_j += v 1, aY += K v (skipped at j = 0 when gY0 is not wanted); gY0 = aY.
     The gradient accumulates into gtheta by DGEMM / DGEMV with beta = 1: cuBLAS's order, deterministic.
   Reversible (-odyn_scheme_trajectory recompute): forward_final runs the forward in two buffers; tangent_y0 recomputes
     the states alongside the tangent (sigma' of each face from the state's own pass); adjoint_reversible rebuilds them
     backwards, Y_j = Y_{j+1} - h tanh(K Z_{j+1/2} + bF) and Z_{j-1/2} = Z_{j+1/2} + h tanh(K^T Y_j + bG), from the
     same DGEMMs whose sigma' the adjoint needs (one pass gives both). Their buffers are the kernels' workspace
     (at most 7 max(n, m) s + s doubles); the inputs stay unchanged.
   Kernels on the legacy default stream, cuBLAS through wide.cu's handle, as leapfrog.cu.
*/
#include "kernelsys.cuh"
#include "devmath.cuh"

namespace {

/* Out = X + hs act(F + b) and D = act' there (D may be NULL); F may be Out, X may be Out (element-wise in place) */
__global__ void vw_face(int act, long rows, long len, double hs, const double *b, const double *F, const double *X, double *Out, double *D)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) {
    double       d;
    const double t = odynk_act_rt(act, F[k] + b[k % rows], &d);
    Out[k]         = X[k] + hs * t;
    if (D) D[k] = d;
  }
}

/* the tangent's face: Out = X + hs D .* (F + db) (db may be NULL); X may be Out */
__global__ void vw_tface(long rows, long len, double hs, const double *db, const double *__restrict__ D, const double *__restrict__ F, const double *X, double *Out)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) Out[k] = X[k] + hs * (D[k] * (F[k] + (db ? db[k % rows] : 0.0)));
}

/* T = hs D .* P */
__global__ void vw_scaled_product(long len, double hs, const double *__restrict__ D, const double *__restrict__ P, double *__restrict__ T)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) T[k] = hs * (D[k] * P[k]);
}

int vw_face_launch(int act, long rows, long s, double hs, const double *b, const double *F, const double *X, double *Out, double *D)
{
  vw_face<<<odynk_grid1d(rows * s), 256>>>(act, rows, rows * s, hs, b, F, X, Out, D);
  ODYNK_LAUNCHED("vw_face");
  return ODYN_CUDA_OK;
}

/* The products of one step (K is n x m, ld n): A (m x s) = K^T Y (+ beta A), B (n x s) = K Z (+ beta B) */
int vw_KtY(cublasHandle_t cb, long n, long m, long s, const double *K, const double *Y, double beta, double *A)
{
  const double one = 1.0;
  ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_T, CUBLAS_OP_N, (int)m, (int)s, (int)n, &one, K, (int)n, Y, (int)n, &beta, A, (int)m));
  return ODYN_CUDA_OK;
}

int vw_KZ(cublasHandle_t cb, long n, long m, long s, const double *K, const double *Z, double beta, double *B)
{
  const double one = 1.0;
  ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)m, &one, K, (int)n, Z, (int)m, &beta, B, (int)n));
  return ODYN_CUDA_OK;
}

/* one forward step in place: Z -= h tanh(K^T Y + bG), Y += h tanh(K Z + bF) with sigma' into DG, DF (NULL: not kept);
   F scratch of max(n, m) s */
int vw_forward_step(int act, cublasHandle_t cb, long n, long m, long s, double h, const double *slot, double *Y, double *Z, double *F, double *DG, double *DF)
{
  ODYNK_CALL(vw_KtY(cb, n, m, s, slot, Y, 0.0, F));
  ODYNK_CALL(vw_face_launch(act, m, s, -h, slot + n * m + n, F, Z, Z, DG));
  ODYNK_CALL(vw_KZ(cb, n, m, s, slot, Z, 0.0, F));
  return vw_face_launch(act, n, s, h, slot + n * m, F, Y, Y, DF);
}

/* one tangent step at (Y_j, Z_{j+1/2}) in place on dY, dZ: F scratch; dslot NULL: dtheta = 0 */
int vw_tangent_step(cublasHandle_t cb, long n, long m, long s, double h, const double *slot, const double *dslot, const double *Yj, const double *Zh, const double *DG, const double *DF, double *dY, double *dZ, double *F)
{
  ODYNK_CALL(vw_KtY(cb, n, m, s, slot, dY, 0.0, F));
  if (dslot) ODYNK_CALL(vw_KtY(cb, n, m, s, dslot, Yj, 1.0, F));
  vw_tface<<<odynk_grid1d(m * s), 256>>>(m, m * s, -h, dslot ? dslot + n * m + n : NULL, DG, F, dZ, dZ);
  ODYNK_LAUNCHED("vw_tface");
  ODYNK_CALL(vw_KZ(cb, n, m, s, slot, dZ, 0.0, F));
  if (dslot) ODYNK_CALL(vw_KZ(cb, n, m, s, dslot, Zh, 1.0, F));
  vw_tface<<<odynk_grid1d(n * s), 256>>>(n, n * s, h, dslot ? dslot + n * m : NULL, DF, F, dY, dY);
  ODYNK_LAUNCHED("vw_tface");
  return ODYN_CUDA_OK;
}

/* the Y face's adjoint of step j: u = h DF .* aY into T; g (the step's gradient slot, NULL: none) gets u Z^T and u 1;
   aZ += K^T u */
int vw_adjoint_yface(cublasHandle_t cb, long n, long m, long s, double h, const double *slot, const double *Zh, const double *DF, const double *ones, const double *aY, double *aZ, double *T, double *g)
{
  const double one = 1.0;

  vw_scaled_product<<<odynk_grid1d(n * s), 256>>>(n * s, h, DF, aY, T);
  ODYNK_LAUNCHED("vw_scaled_product");
  if (g) {
    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_T, (int)n, (int)m, (int)s, &one, T, (int)n, Zh, (int)m, &one, g, (int)n));
    ODYNK_CUBLAS(cublasDgemv(cb, CUBLAS_OP_N, (int)n, (int)s, &one, T, (int)n, ones, 1, &one, g + n * m, 1));
  }
  return vw_KtY(cb, n, m, s, slot, T, 1.0, aZ);
}

/* the Z face's adjoint of step j: v = -h DG .* aZ into T; g gets Y_j v^T and v 1; aY += K v unless last (j = 0
   without gY0) */
int vw_adjoint_zface(cublasHandle_t cb, long n, long m, long s, double h, const double *slot, const double *Yj, const double *DG, const double *ones, const double *aZ, double *aY, double *T, double *g, bool last)
{
  const double one = 1.0;

  vw_scaled_product<<<odynk_grid1d(m * s), 256>>>(m * s, -h, DG, aZ, T);
  ODYNK_LAUNCHED("vw_scaled_product");
  if (g) {
    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_T, (int)n, (int)m, (int)s, &one, Yj, (int)n, T, (int)m, &one, g, (int)n));
    ODYNK_CUBLAS(cublasDgemv(cb, CUBLAS_OP_N, (int)m, (int)s, &one, T, (int)m, ones, 1, &one, g + n * m + n, 1));
  }
  if (last) return ODYN_CUDA_OK;
  return vw_KZ(cb, n, m, s, slot, T, 1.0, aY);
}

int vw_check(const char *fn, long n, long m, long N, long s)
{
  if (n < 1 || m < 1 || N < 0 || s < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: need n >= 1, m >= 1, N >= 0, s >= 0, got n = %ld, m = %ld, N = %ld, s = %ld", fn, n, m, N, s);
  if (!odynk_fits_int(n * m + n + m) || !odynk_fits_int(s)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: n = %ld, m = %ld or s = %ld does not fit cuBLAS's int", fn, n, m, s);
  return ODYN_CUDA_OK;
}

/* the adjoints' buffers: aY (gY0 when wanted, else a slot), aZ = 0, T, ones (with a gradient) from slot `first` on */
int vw_adjoint_buffers(long n, long m, long s, int first, const double *W, double *gY0, double **aY, double **aZ, double **T, double **ones, bool grad)
{
  const size_t w = (size_t)(n > m ? n : m) * s;
  double      *b[4];

  ODYNK_CALL(odynk_scratch_n(first, 4, w, b));
  *aZ   = b[0];
  *T    = b[1];
  *aY   = gY0 ? gY0 : b[2];
  *ones = grad ? b[3] : NULL;
  ODYNK_CALL(odynk_copy_or_zero((size_t)n * s, W, *aY));
  ODYNK_CUDA(cudaMemsetAsync(*aZ, 0, (size_t)m * s * sizeof(double), 0));
  if (grad) ODYNK_CALL(odynk_fill(s, 1.0, *ones));
  return ODYN_CUDA_OK;
}

} // namespace

int odyn_cuda_verlet_wide_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin)
{
  cublasHandle_t cb = NULL;
  const long     slot = n * m + n + m, ln = n * s, lm = m * s;

  ODYNK_CALL(odynk_check_act("odyn_cuda_verlet_wide_forward", act));
  ODYNK_CALL(vw_check("odyn_cuda_verlet_wide_forward", n, m, N, s));
  if (!theta || !Y0 || !Ytraj || !Ztraj || (N > 0 && !lin)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_wide_forward: theta, Y0, Ytraj, Ztraj and lin must be device arrays");
  if (s == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_copy_or_zero((size_t)ln, Y0, Ytraj));
  ODYNK_CUDA(cudaMemsetAsync(Ztraj, 0, (size_t)lm * sizeof(double), 0)); /* Z_{-1/2} = 0 */
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot;
    double       *Z1 = Ztraj + (j + 1) * lm, *Y1 = Ytraj + (j + 1) * ln, *DG = lin + j * (ln + lm), *DF = DG + lm;

    ODYNK_CALL(vw_KtY(cb, n, m, s, K, Ytraj + j * ln, 0.0, Z1));
    ODYNK_CALL(vw_face_launch(act, m, s, -h, K + n * m + n, Z1, Ztraj + j * lm, Z1, DG));
    ODYNK_CALL(vw_KZ(cb, n, m, s, K, Z1, 0.0, Y1));
    ODYNK_CALL(vw_face_launch(act, n, s, h, K + n * m, Y1, Ytraj + j * ln, Y1, DF));
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_verlet_wide_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, const double *lin, const double *dY0, double *dYN)
{
  cublasHandle_t cb = NULL;
  const long     slot = n * m + n + m, ln = n * s, lm = m * s;
  double        *b[2];

  ODYNK_CALL(odynk_check_act("odyn_cuda_verlet_wide_tangent", act));
  ODYNK_CALL(vw_check("odyn_cuda_verlet_wide_tangent", n, m, N, s));
  if (!theta || !Ytraj || !Ztraj || (N > 0 && !lin) || !dYN) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_wide_tangent: theta, Ytraj, Ztraj, lin (of the forward) and dYN must be device arrays");
  if (s == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_copy_or_zero((size_t)ln, dY0, dYN)); /* dY runs in dYN */
  if (N == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(0, 2, (size_t)(n > m ? n : m) * s, b)); /* dZ, F */
  ODYNK_CUDA(cudaMemsetAsync(b[0], 0, (size_t)lm * sizeof(double), 0));
  for (long j = 0; j < N; j++) {
    const double *DG = lin + j * (ln + lm);

    ODYNK_CALL(vw_tangent_step(cb, n, m, s, h, theta + j * slot, dtheta ? dtheta + j * slot : NULL, Ytraj + j * ln, Ztraj + (j + 1) * lm, DG, DG + lm, dYN, b[0], b[1]));
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_verlet_wide_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  cublasHandle_t cb = NULL;
  const long     slot = n * m + n + m, ln = n * s, lm = m * s;
  double        *aY, *aZ, *T, *ones;

  ODYNK_CALL(odynk_check_act("odyn_cuda_verlet_wide_adjoint", act));
  ODYNK_CALL(vw_check("odyn_cuda_verlet_wide_adjoint", n, m, N, s));
  if (!theta || !Ytraj || !Ztraj || (N > 0 && !lin) || !W) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_wide_adjoint: theta, Ytraj, Ztraj, lin (of the forward) and W must be device arrays");
  if (s == 0 || (!gtheta && !gY0)) return ODYN_CUDA_OK;
  if (N == 0) return gY0 ? odynk_copy_or_zero((size_t)ln, W, gY0) : ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(vw_adjoint_buffers(n, m, s, 0, W, gY0, &aY, &aZ, &T, &ones, gtheta != NULL));
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot, *DG = lin + j * (ln + lm);
    double       *g = gtheta ? gtheta + j * slot : NULL;

    ODYNK_CALL(vw_adjoint_yface(cb, n, m, s, h, K, Ztraj + (j + 1) * lm, DG + lm, ones, aY, aZ, T, g));
    ODYNK_CALL(vw_adjoint_zface(cb, n, m, s, h, K, Ytraj + j * ln, DG, ones, aZ, aY, T, g, j == 0 && !gY0));
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_verlet_wide_forward_final(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN)
{
  cublasHandle_t cb = NULL;
  const long     slot = n * m + n + m, ln = n * s;
  double        *b[3];

  ODYNK_CALL(odynk_check_act("odyn_cuda_verlet_wide_forward_final", act));
  ODYNK_CALL(vw_check("odyn_cuda_verlet_wide_forward_final", n, m, N, s));
  if (!theta || !Y0 || !YN || !ZN) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_wide_forward_final: theta, Y0, YN and ZN must be device arrays");
  if (s == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(0, 2, (size_t)(n > m ? n : m) * s, b)); /* Y, F; Z runs in ZN */
  ODYNK_CALL(odynk_copy_or_zero((size_t)ln, Y0, b[0]));
  ODYNK_CUDA(cudaMemsetAsync(ZN, 0, (size_t)m * s * sizeof(double), 0));
  for (long j = 0; j < N; j++) ODYNK_CALL(vw_forward_step(act, cb, n, m, s, h, theta + j * slot, b[0], ZN, b[1], NULL, NULL));
  ODYNK_CUDA(cudaMemcpyAsync(YN, b[0], (size_t)ln * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  return ODYN_CUDA_OK;
}

int odyn_cuda_verlet_wide_tangent_y0(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  cublasHandle_t cb = NULL;
  const long     slot = n * m + n + m, ln = n * s;
  double        *b[7], *Y, *Z, *Yj, *dZ, *F, *DG, *DF;

  ODYNK_CALL(odynk_check_act("odyn_cuda_verlet_wide_tangent_y0", act));
  ODYNK_CALL(vw_check("odyn_cuda_verlet_wide_tangent_y0", n, m, N, s));
  if (!theta || !Y0 || !dYN) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_wide_tangent_y0: theta, Y0 and dYN must be device arrays");
  if (s == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_copy_or_zero((size_t)ln, dY0, dYN)); /* dY runs in dYN */
  if (N == 0) return ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(0, 7, (size_t)(n > m ? n : m) * s, b));
  Y = b[0], Z = b[1], Yj = b[2], dZ = b[3], F = b[4], DG = b[5], DF = b[6];
  ODYNK_CALL(odynk_copy_or_zero((size_t)ln, Y0, Y));
  ODYNK_CUDA(cudaMemsetAsync(Z, 0, (size_t)m * s * sizeof(double), 0));
  ODYNK_CUDA(cudaMemsetAsync(dZ, 0, (size_t)m * s * sizeof(double), 0));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot;

    /* the step's states and sigma' (Y_j kept for the tangent's dK^T Y_j), then the tangent at them */
    ODYNK_CUDA(cudaMemcpyAsync(Yj, Y, (size_t)ln * sizeof(double), cudaMemcpyDeviceToDevice, 0));
    ODYNK_CALL(vw_forward_step(act, cb, n, m, s, h, K, Y, Z, F, DG, DF));
    ODYNK_CALL(vw_tangent_step(cb, n, m, s, h, K, dtheta ? dtheta + j * slot : NULL, Yj, Z, DG, DF, dYN, dZ, F));
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_verlet_wide_adjoint_reversible(int act, long n, long m, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0)
{
  cublasHandle_t cb = NULL;
  const long     slot = n * m + n + m, ln = n * s, lm = m * s;
  double        *b[3], *aY, *aZ, *T, *ones, *Y, *Z, *F;

  ODYNK_CALL(odynk_check_act("odyn_cuda_verlet_wide_adjoint_reversible", act));
  ODYNK_CALL(vw_check("odyn_cuda_verlet_wide_adjoint_reversible", n, m, N, s));
  if (!theta || !YN || !ZN || !W) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_wide_adjoint_reversible: theta, YN, ZN and W must be device arrays");
  if (gY0 && (gY0 == YN || gY0 == ZN)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_wide_adjoint_reversible: gY0 must not alias YN or ZN");
  if (s == 0 || (!gtheta && !gY0)) return ODYN_CUDA_OK;
  if (N == 0) return gY0 ? odynk_copy_or_zero((size_t)ln, W, gY0) : ODYN_CUDA_OK;
  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(odynk_scratch_n(4, 3, (size_t)(n > m ? n : m) * s, b)); /* Y, Z, F (slots 4-6: the adjoint's are 0-3) */
  Y = b[0], Z = b[1], F = b[2];
  ODYNK_CUDA(cudaMemcpyAsync(Y, YN, (size_t)ln * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  ODYNK_CUDA(cudaMemcpyAsync(Z, ZN, (size_t)lm * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  ODYNK_CALL(vw_adjoint_buffers(n, m, s, 0, W, gY0, &aY, &aZ, &T, &ones, gtheta != NULL));
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot;
    double       *g = gtheta ? gtheta + j * slot : NULL;

    /* Y_j = Y_{j+1} - h tanh(K Z_{j+1/2} + bF) and DF_j (into F, in place), then the Y face's adjoint */
    ODYNK_CALL(vw_KZ(cb, n, m, s, K, Z, 0.0, F));
    ODYNK_CALL(vw_face_launch(act, n, s, -h, K + n * m, F, Y, Y, F));
    ODYNK_CALL(vw_adjoint_yface(cb, n, m, s, h, K, Z, F, ones, aY, aZ, T, g));
    /* Z_{j-1/2} = Z_{j+1/2} + h tanh(K^T Y_j + bG) and DG_j (into F), then the Z face's adjoint */
    ODYNK_CALL(vw_KtY(cb, n, m, s, K, Y, 0.0, F));
    ODYNK_CALL(vw_face_launch(act, m, s, h, K + n * m + n, F, Z, Z, F));
    ODYNK_CALL(vw_adjoint_zface(cb, n, m, s, h, K, Y, F, ones, aZ, aY, T, g, j == 0 && !gY0));
  }
  return ODYN_CUDA_OK;
}
