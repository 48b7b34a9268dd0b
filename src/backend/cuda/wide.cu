/*
   Wide dense Euler tanh networks (include/odyn/private/cudakernels.h, "wide"): per step one cuBLAS DGEMM with the
   examples in the long dimension and one fused elementwise kernel, so the activation costs one pass over the states.
   tanh below stands for the sweep's act (identity, tanh, relu), taken at run time (devmath.cuh's odynk_act_rt: one
   branch, uniform over the grid, beside a DGEMM or 2 n^2 FMAs per value), D = sigma' at the pre-activation:

     forward   (n > 64; below, the fused kernel) Y_{j+1} <- K_j Y_j (DGEMM straight into the slot of Y_{j+1}),
               then Y_{j+1} = Y_j + h tanh(Y_{j+1} + b_j) and D_j = 1 - tanh^2 in the same pass
     tangent   Z = K_j dY (+ dK_j Y_j), dY += h D_j .* (Z + db_j)   (n > 64; below, the fused kernel)
     adjoint   T = h D_j .* P;  gK_j += T Y_j^T, gb_j += T 1 (DGEMM, DGEMV);  P += K_j^T T (DGEMM)

   For n >= 32 the DGEMM is the cost (2 n^2 s flops per step against 3-4 n s memory accesses of the fused kernel).

   The forward for n <= 64 is instead one kernel for all N steps (wide_fused_forward_k): the measured cuBLAS path spent
   as long in the elementwise pass as in the DGEMM (n = 64, s = 10^6, H200: 46.7 ms against 20.7 ms for the DGEMMs
   alone), because each step moved the states through memory twice more (Z = K Y out and back in, Y_j in again).
   A block owns a tile of TE examples for the whole sweep: their states stay in shared memory (as in global memory,
   Ys[e n + i]), K_j and b_j are staged per step (32 KiB, from L2), and each thread computes rows lane and lane + 32 of
   EPW examples of its warp (the K_j column read is one conflict-free load per row, the state value a broadcast), so
   a step costs 2 n^2 TE FMAs and one store of Y_{j+1} (and of D_j) per value, coalesced since the lanes run along the
   rows. Memory per step: 8 n s bytes written (16 with D), nothing read but K_j: the FMAs, not the bandwidth, bound it.
   The tangent for n <= 64 likewise (wide_fused_tangent_k): dY of the tile in shared memory for the whole sweep, per
   step K_j (and dK_j, db_j and the tile of Y_j, for the dtheta term) staged, D_j read once; the adjoint stays on cuBLAS
   (its gradient is a sum over all examples, what a DGEMM with the examples as the inner dimension is made for).
   tanh is devmath.cuh's branch-free odynk_tanh (a warp's 32 rows straddle |x| = 0.55, where CUDA's tanh branches).
*/
#include "kernelsys.cuh"
#include "devmath.cuh"

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

/* Y1 = Y + h act(Y1 + b) (Y1 holds K Y on entry), D = act' there when D is not NULL */
__global__ void euler_bias_act(int act, long n, long len, double h, const double *__restrict__ b, const double *__restrict__ Y, double *__restrict__ Y1, double *__restrict__ D)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) {
    double       d;
    const double t = odynk_act_rt(act, Y1[k] + b[k % n], &d);
    Y1[k]          = Y[k] + h * t;
    if (D) D[k] = d;
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

/* ---- fused wide forward and tangent: the kernels between this line and the next marker are compiled on the CPU by
   tools/cudaemu/run-wide-emu.sh ---- */
#define WIDE_FUSED_MAXN    64 /* rows: lane and lane + 32 of a warp */
#define WIDE_FUSED_WARPS   8
#define WIDE_FUSED_THREADS (32 * WIDE_FUSED_WARPS)

/* stage K (n x n, column-major) and b = K + n^2 into Ks[k 64 + i] and bs (the entries past n are left alone: zero) */
__device__ __forceinline__ void wide_stage(int n, const double *__restrict__ K, double *Ks, double *bs)
{
  for (int q = threadIdx.x; q < n * n; q += blockDim.x) Ks[(q / n) * WIDE_FUSED_MAXN + q % n] = K[q];
  for (int q = threadIdx.x; q < n; q += blockDim.x) bs[q] = K[n * n + q];
}

template <int EPW, int ROWS>
__device__ __forceinline__ void wide_tile_zero(double (&acc)[ROWS][EPW])
{
#pragma unroll
  for (int r = 0; r < ROWS; r++)
#pragma unroll
    for (int c = 0; c < EPW; c++) acc[r][c] = 0.0;
}

/* acc[r][c] += sum_k Ks(row[r], k) X(k, c) for the EPW examples of the warp, X(k, c) = Xw[c n + k] */
template <int EPW, int ROWS>
__device__ __forceinline__ void wide_tile_mac(int n, const double *Ks, const double *Xw, const int (&row)[ROWS], double (&acc)[ROWS][EPW])
{
#pragma unroll 2
  for (int k = 0; k < n; k++) {
    double a[ROWS];
#pragma unroll
    for (int r = 0; r < ROWS; r++) a[r] = Ks[k * WIDE_FUSED_MAXN + row[r]];
#pragma unroll
    for (int c = 0; c < EPW; c++) {
      const double x = Xw[c * n + k]; /* the same address for the whole warp: a broadcast */
#pragma unroll
      for (int r = 0; r < ROWS; r++) acc[r][c] = fma(a[r], x, acc[r][c]);
    }
  }
}

/* Y_{j+1} = Y_j + h act(K_j Y_j + b_j), j < N, for the TE = 8 EPW examples e0 .. e0 + TE - 1 of block blockIdx.x;
   writes Y_0 too (unless Ytraj is Y0) and D_j = act' when D is not NULL. ROWS: 1 (n <= 32) or 2 rows per lane. */
template <int EPW, int ROWS>
__global__ void __launch_bounds__(WIDE_FUSED_THREADS, 2) wide_fused_forward_k(int act, int n, int N, long s, double h, const double *__restrict__ theta, const double *Y0, double *Ytraj, double *__restrict__ D)
{
  extern __shared__ double sh[];
  double    *Ks = sh;                                     /* Ks[k 64 + i] = K_j(i, k), zero past n */
  double    *bs = Ks + WIDE_FUSED_MAXN * WIDE_FUSED_MAXN; /* b_j, zero past n */
  double    *Ys = bs + WIDE_FUSED_MAXN;                   /* Ys[e n + i] = Y_j(i, e0 + e), e < TE (zero past s) */
  const int  TE = WIDE_FUSED_WARPS * EPW, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const long slot = (long)n * n + n, len = (long)n * s, e0 = (long)blockIdx.x * TE;
  const int  ne = (int)(s - e0 < TE ? s - e0 : TE), ew = warp * EPW; /* examples in the tile; the warp's first */
  int        row[ROWS];
  bool       ok[ROWS];

  for (int r = 0; r < ROWS; r++) {
    row[r] = lane + 32 * r;
    ok[r]  = row[r] < n;
  }
  for (int q = threadIdx.x; q < WIDE_FUSED_MAXN * WIDE_FUSED_MAXN + WIDE_FUSED_MAXN; q += blockDim.x) sh[q] = 0.0;
  for (int q = threadIdx.x; q < TE * n; q += blockDim.x) {
    const double y = q < ne * n ? Y0[e0 * n + q] : 0.0;
    Ys[q]          = y;
    if (q < ne * n && Ytraj != Y0) Ytraj[e0 * n + q] = y;
  }
  __syncthreads(); /* the zeros are written before any K_j entry */
  for (int j = 0; j < N; j++) {
    const double *K  = theta + j * slot;
    double       *Y1 = Ytraj + (j + 1) * len + e0 * n, *Dj = D ? D + j * len + e0 * n : NULL;
    double        acc[ROWS][EPW];

    wide_stage(n, K, Ks, bs); /* the previous step's barrier (after its last read of Ks) lets it go ahead */
    __syncthreads();
    wide_tile_zero(acc);
    wide_tile_mac(n, Ks, Ys + ew * n, row, acc);
    /* epilogue: the new states into acc (read Y_j before the barrier, write Y_{j+1} after it) */
#pragma unroll
    for (int r = 0; r < ROWS; r++)
#pragma unroll
      for (int c = 0; c < EPW; c++) {
        const int e = ew + c;
        if (ok[r]) {
          double       d;
          const double t = odynk_act_rt(act, acc[r][c] + bs[row[r]], &d);
          acc[r][c]      = Ys[e * n + row[r]] + h * t;
          if (Dj && e < ne) Dj[e * n + row[r]] = d;
        }
      }
    __syncthreads(); /* every read of Ys and Ks of this step is done */
#pragma unroll
    for (int r = 0; r < ROWS; r++)
#pragma unroll
      for (int c = 0; c < EPW; c++) {
        const int e = ew + c;
        if (ok[r]) {
          Ys[e * n + row[r]] = acc[r][c];
          if (e < ne) Y1[e * n + row[r]] = acc[r][c];
        }
      }
  }
}
/* the tangent dY_{j+1} = dY_j + h D_j .* (K_j dY_j + dK_j Y_j + db_j), j < N, for the tile of block blockIdx.x: dY in
   shared memory for the whole sweep (from dY0, or zero when dY0 is NULL), with dtheta also dK_j, db_j and the tile of
   Y_j staged per step; D_j read once per value, coalesced. dYN may be dY0 (a block reads its tile before it writes it). */
template <int EPW, int ROWS>
__global__ void __launch_bounds__(WIDE_FUSED_THREADS, 2) wide_fused_tangent_k(int n, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ dtheta, const double *__restrict__ Ytraj, const double *__restrict__ D, const double *dY0, double *dYN)
{
  extern __shared__ double sh[];
  const int  TE = WIDE_FUSED_WARPS * EPW, warp = threadIdx.x / 32, lane = threadIdx.x % 32, KB = WIDE_FUSED_MAXN * WIDE_FUSED_MAXN + WIDE_FUSED_MAXN;
  double    *Ks = sh, *bs = Ks + WIDE_FUSED_MAXN * WIDE_FUSED_MAXN; /* K_j, b_j as in the forward */
  double    *dKs = sh + KB, *dbs = dKs + WIDE_FUSED_MAXN * WIDE_FUSED_MAXN; /* dK_j, db_j (only with dtheta) */
  double    *dYs = sh + (dtheta ? 2 : 1) * KB, *Ys = dYs + TE * n;          /* dY and (with dtheta) Y_j of the tile */
  const long slot = (long)n * n + n, len = (long)n * s, e0 = (long)blockIdx.x * TE;
  const int  ne = (int)(s - e0 < TE ? s - e0 : TE), ew = warp * EPW;
  int        row[ROWS];
  bool       ok[ROWS];

  for (int r = 0; r < ROWS; r++) {
    row[r] = lane + 32 * r;
    ok[r]  = row[r] < n;
  }
  for (int q = threadIdx.x; q < (dtheta ? 2 : 1) * KB; q += blockDim.x) sh[q] = 0.0;
  for (int q = threadIdx.x; q < TE * n; q += blockDim.x) {
    dYs[q] = q < ne * n && dY0 ? dY0[e0 * n + q] : 0.0;
    if (dtheta) Ys[q] = 0.0;
  }
  __syncthreads();
  for (int j = 0; j < N; j++) {
    const double *Dj = D + j * len + e0 * n;
    double        acc[ROWS][EPW];

    wide_stage(n, theta + j * slot, Ks, bs);
    if (dtheta) {
      wide_stage(n, dtheta + j * slot, dKs, dbs);
      for (int q = threadIdx.x; q < ne * n; q += blockDim.x) Ys[q] = Ytraj[j * len + e0 * n + q];
    }
    __syncthreads();
    wide_tile_zero(acc);
    wide_tile_mac(n, Ks, dYs + ew * n, row, acc);
    if (dtheta) wide_tile_mac(n, dKs, Ys + ew * n, row, acc);
#pragma unroll
    for (int r = 0; r < ROWS; r++)
#pragma unroll
      for (int c = 0; c < EPW; c++) {
        const int e = ew + c;
        if (ok[r]) acc[r][c] = dYs[e * n + row[r]] + (e < ne ? h * Dj[e * n + row[r]] * (acc[r][c] + (dtheta ? dbs[row[r]] : 0.0)) : 0.0);
      }
    __syncthreads(); /* every read of this step's shared values is done */
#pragma unroll
    for (int r = 0; r < ROWS; r++)
#pragma unroll
      for (int c = 0; c < EPW; c++)
        if (ok[r]) dYs[(ew + c) * n + row[r]] = acc[r][c];
  }
  __syncthreads();
  for (int q = threadIdx.x; q < ne * n; q += blockDim.x) dYN[e0 * n + q] = dYs[q];
}
/* ---- end of the fused wide forward ---- */

/* the fused forward: EPW examples per warp, 8 (tiles of 64) once the grid fills every SM twice, else 4 (tiles of 32:
   more blocks, so that every SM still gets work at s = 10,000). Register counts (ptxas, sm_90, launch bound 2 blocks
   of 256): <8, 2> 115, <4, 2> 71, <16, 1> 126, no spills; <16, 2> would need 223 (one block per SM, which idles
   through every staging barrier) or spill at 128. n <= 32 keeps 16 examples per warp: one row per lane. */
template <int EPW, int ROWS>
static int fused_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *D)
{
  const int    TE    = WIDE_FUSED_WARPS * EPW;
  const size_t bytes = (size_t)(WIDE_FUSED_MAXN * WIDE_FUSED_MAXN + WIDE_FUSED_MAXN + (long)TE * n) * sizeof(double);
  const long   grid  = (s + TE - 1) / TE;

  if (bytes > 48 * 1024) ODYNK_CUDA(cudaFuncSetAttribute(wide_fused_forward_k<EPW, ROWS>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
  wide_fused_forward_k<EPW, ROWS><<<(unsigned)grid, WIDE_FUSED_THREADS, bytes>>>(act, (int)n, (int)N, s, h, theta, Y0, Ytraj, D);
  ODYNK_LAUNCHED("wide_fused_forward_k");
  return ODYN_CUDA_OK;
}

static int fused_forward_dispatch(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *D)
{
  const odynk_props *pr;
  bool               big;

  ODYNK_CALL(odynk_get_props(&pr));
  big = (s + 63) / 64 >= 2L * pr->sms;
  if (n <= 32) return big ? fused_forward<16, 1>(act, n, N, s, h, theta, Y0, Ytraj, D) : fused_forward<4, 1>(act, n, N, s, h, theta, Y0, Ytraj, D);
  return big ? fused_forward<8, 2>(act, n, N, s, h, theta, Y0, Ytraj, D) : fused_forward<4, 2>(act, n, N, s, h, theta, Y0, Ytraj, D);
}

/* the fused tangent: with dtheta it stages twice the forward's (dK_j, db_j and the Y_j tile too), so its tiles are
   smaller to keep two blocks per SM: 32 examples with two rows per lane, 64 with one (99 KiB of shared memory) */
template <int EPW, int ROWS>
static int fused_tangent(long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *D, const double *dY0, double *dYN)
{
  const int    TE    = WIDE_FUSED_WARPS * EPW, m = dtheta ? 2 : 1;
  const size_t bytes = (size_t)m * (WIDE_FUSED_MAXN * WIDE_FUSED_MAXN + WIDE_FUSED_MAXN + (long)TE * n) * sizeof(double);
  const long   grid  = (s + TE - 1) / TE;

  if (bytes > 48 * 1024) ODYNK_CUDA(cudaFuncSetAttribute(wide_fused_tangent_k<EPW, ROWS>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes));
  wide_fused_tangent_k<EPW, ROWS><<<(unsigned)grid, WIDE_FUSED_THREADS, bytes>>>((int)n, (int)N, s, h, theta, dtheta, Ytraj, D, dY0, dYN);
  ODYNK_LAUNCHED("wide_fused_tangent_k");
  return ODYN_CUDA_OK;
}

static int fused_tangent_dispatch(long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *D, const double *dY0, double *dYN)
{
  const odynk_props *pr;

  ODYNK_CALL(odynk_get_props(&pr));
  if (n > 32) return fused_tangent<4, 2>(n, N, s, h, theta, dtheta, Ytraj, D, dY0, dYN);
  if ((s + 63) / 64 >= 2L * pr->sms) return fused_tangent<8, 1>(n, N, s, h, theta, dtheta, Ytraj, D, dY0, dYN);
  return fused_tangent<4, 1>(n, N, s, h, theta, dtheta, Ytraj, D, dY0, dYN);
}

int odyn_cuda_hadamard(long len, double alpha, const double *D, const double *P, double *T)
{
  if (len < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_hadamard: negative length %ld", len);
  if (len == 0) return ODYN_CUDA_OK;
  hadamard_kernel<<<odynk_grid1d(len), 256>>>(len, alpha, D, P, T);
  ODYNK_LAUNCHED("hadamard_kernel");
  return ODYN_CUDA_OK;
}

int odyn_cuda_axpy(long len, double alpha, const double *x, double *y)
{
  if (len < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_axpy: negative length %ld", len);
  if (len == 0) return ODYN_CUDA_OK;
  axpy_kernel<<<odynk_grid1d(len), 256>>>(len, alpha, x, y);
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

int odyn_cuda_dense_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *D)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0;
  const long     slot = n * n + n, len = n * s;

  ODYNK_CALL(odynk_check_act("odyn_cuda_dense_forward", act));
  ODYNK_CALL(check_sizes("odyn_cuda_dense_forward", n, N, s));
  if (!theta || !Y0 || !Ytraj) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_dense_forward: theta, Y0 and Ytraj must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  if (n <= WIDE_FUSED_MAXN && odynk_fits_int(N)) return fused_forward_dispatch(act, n, N, s, h, theta, Y0, Ytraj, D);
  ODYNK_CALL(odynk_cublas(&cb));
  if (Ytraj != Y0) ODYNK_CUDA(cudaMemcpyAsync(Ytraj, Y0, (size_t)len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  for (long j = 0; j < N; j++) {
    const double *K = theta + j * slot, *Yj = Ytraj + j * len;
    double       *Y1 = Ytraj + (j + 1) * len;

    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, Yj, (int)n, &zero, Y1, (int)n));
    euler_bias_act<<<odynk_grid1d(len), 256>>>(act, n, len, h, K + n * n, Yj, Y1, D ? D + j * len : NULL);
    ODYNK_LAUNCHED("euler_bias_act");
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_dense_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *D, const double *dY0, double *dYN)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0, zero = 0.0;
  const long     slot = n * n + n, len = n * s;
  void          *zp = NULL;

  ODYNK_CALL(odynk_check_act("odyn_cuda_dense_tangent", act));
  ODYNK_CALL(check_sizes("odyn_cuda_dense_tangent", n, N, s));
  if (!theta || !Ytraj || !D || !dYN) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_dense_tangent: theta, Ytraj, D (of the forward) and dYN must be device arrays");
  if (len == 0) return ODYN_CUDA_OK;
  if (n <= WIDE_FUSED_MAXN && odynk_fits_int(N)) return fused_tangent_dispatch(n, N, s, h, theta, dtheta, Ytraj, D, dY0, dYN);
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
    tangent_update<<<odynk_grid1d(len), 256>>>(n, len, h, dtheta ? dtheta + j * slot + n * n : NULL, D + j * len, Z, dYN);
    ODYNK_LAUNCHED("tangent_update");
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_dense_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *D, const double *W, double *gtheta, double *gY0)
{
  cublasHandle_t cb = NULL;
  const double   one = 1.0;
  const long     slot = n * n + n, len = n * s;
  void          *tp = NULL, *pp = NULL, *op = NULL;
  double        *T, *P, *ones;

  ODYNK_CALL(odynk_check_act("odyn_cuda_dense_adjoint", act));
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
  if (gtheta) ODYNK_CALL(odynk_fill(s, 1.0, ones));
  for (long j = N - 1; j >= 0; j--) {
    const double *K = theta + j * slot;

    hadamard_kernel<<<odynk_grid1d(len), 256>>>(len, h, D + j * len, P, T);
    ODYNK_LAUNCHED("hadamard_kernel");
    if (gtheta) {
      ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_N, CUBLAS_OP_T, (int)n, (int)n, (int)s, &one, T, (int)n, Ytraj + j * len, (int)n, &one, gtheta + j * slot, (int)n));
      ODYNK_CUBLAS(cublasDgemv(cb, CUBLAS_OP_N, (int)n, (int)s, &one, T, (int)n, ones, 1, &one, gtheta + j * slot + n * n, 1));
    }
    if (j > 0 || gY0) ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_T, CUBLAS_OP_N, (int)n, (int)s, (int)n, &one, K, (int)n, T, (int)n, &one, P, (int)n));
  }
  return ODYN_CUDA_OK;
}
