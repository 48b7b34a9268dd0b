/* Internals of the cuda operations table shared by its files (backend.cu: the device, memory, BLAS, elementwise and
   reduction operations and the dense block sweeps; convblocks.cu: the convolutional block sweeps). Not a public
   header: the table is include/odyn/private/backend.h, the kernels' API include/odyn/private/cudakernels.h. */
#pragma once
#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <cstddef>
#include <odyn/private/convkernels.h> /* odyn_conv_geom */

/* a grid-stride loop over k = 0 .. len - 1 in the table's elementwise kernels (grids from grid_for()) */
#define ODYN_FOR_EACH(k, len) for (long k = blockIdx.x * (long)blockDim.x + threadIdx.x; k < (len); k += (long)gridDim.x * blockDim.x)

namespace odyn_cudabackend {

const int TPB = 256; /* threads per block of every kernel of the table's files */

/* one device, one stream and one cuBLAS handle per process (backend.cu's header says why) */
struct State {
  int            initialized = 0;
  int            device      = -1;
  int            sms         = 0; /* streaming multiprocessors of the device: sizes the grid-stride grids */
  cudaStream_t   stream      = nullptr;
  cublasHandle_t blas        = nullptr;
  double        *work        = nullptr; /* reduction partials (device) */
  size_t         workcap     = 0;       /* in doubles */
};
extern State st;

/* the sum of v over the threads of the block (warp shuffles, then shared memory): every thread of the block calls it,
   thread 0 gets the total. No atomics: the same order on every run with the same sizes and device. */
__device__ __forceinline__ double block_sum(double v)
{
  __shared__ double warps[TPB / 32];
  const int         lane = threadIdx.x & 31, wid = threadIdx.x >> 5;

  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  if (!lane) warps[wid] = v;
  __syncthreads();
  if (!wid) {
    v = lane < (int)(blockDim.x >> 5) ? warps[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  }
  return v;
}

/* records a table status with a printf-style message (last_error() reports it) and returns the status */
int      fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* a status of the kernels' API (cudakernels.h) as the table's, recorded for op */
int      kernel_status(int r, const char *op);
/* after a launch of one of the table's own kernels: its launch error as the table's status */
int      launched(const char *what);
int      ensure_stream(void);
/* the reduction workspace st.work of at least `doubles`; *result = the sum of the nparts partials a kernel left in it */
int      ensure_work(size_t doubles);
int      sum_partials(unsigned nparts, double *result, const char *op);
unsigned grid_for(long len);

/* shared by the conv block files (convblocks.cu, convleapfrog.cu, convparabolic.cu): the channel limits of two channel
   counts, the Verlet / two-field blocks' size, eps (of the TV normalization) and array checks, ones = 1 for the channel
   sums, gb += the channel sums of T */
bool conv1_fits(long cin, long cout);
/* the activations of the conv and dense sweeps (their act): identity, tanh or relu; a failure status otherwise
   (convblocks.cu) */
int  conv_check_act(const char *op, int act);
int  check_conv_verlet(const char *op, int act, long c, long m, double eps, long ih, long iw, long N, long s, const double *theta, const double *lin);
int  conv_fill_ones(long len, double *ones, const char *what);
int  channel_sums_add(long ch, long hw, long s, const double *T, const double *ones, double *cs, double *gb);
/* an adjoint's T through the TV normalization: gs += channel sums of Uhat .* T (in tmp), gbeta += of T (gs NULL: none),
   then T = J_tv (scale .* T) (convblocks.cu) */
int  conv_tv_adjoint(long cout, long hw, long s, const double *scale, double *gs, double *gbeta, const double *Uhat, const double *rinv, double *T, double *tmp, const double *ones, double *cs);
/* the TV normalization of the conv blocks (convtvnorm.cu; m channels of hw pixels, s examples, channel-major):
   tvnorm_forward: U in S; rinv = 1/r, Uhat = U / r, S = tanh(scale Uhat + beta), D = 1 - S^2 (D may be NULL)
   tvnorm_jac: V = scale .* J_tv V (+ dscale .* Uhat + dbeta when dscale), or with adjoint V = J_tv (scale .* V) */
int  tvnorm_forward(int act, long m, long hw, long s, double eps, const double *scale, const double *beta, double *S, double *D, double *Uhat, double *rinv);
int  tvnorm_jac(int adjoint, long m, long hw, long s, const double *scale, const double *dscale, const double *dbeta, const double *Uhat, const double *rinv, double *V);
/* a conv block's activated layer (g: 3x3, cin -> cout): U = tanh(K * X + b) with D = sigma', or with the normalization
   (eps > 0) U = tanh(scale .* N(K * X + b) + beta) with D, Uhat and 1/r (convtvnorm.cu; op names a failed launch) */
int  conv_act_tv(int act, const odyn_conv_geom *g, long s, double eps, const double *K, const double *b, const double *scale, const double *beta, const double *X, double *U, double *D, double *Uhat, double *rinv, const char *op);

int cuda_mem_set(void *ptr, int value, size_t bytes);
int cuda_copy_device(void *dst, const void *src, size_t bytes);
int cuda_gemm(char transa, char transb, long m, long n, long k, double alpha, const double *A, long lda, const double *B, long ldb, double beta, double *C, long ldc);
int cuda_scaled_hadamard_add(long len, double alpha, const double *D, const double *T, double *out);
int cuda_rowsum_add(long n, long s, double alpha, const double *T, double *g);
int cuda_axpy(long len, double alpha, const double *x, double *y);
int cuda_axpby(long len, double alpha, const double *x, double beta, double *y);

/* the built-in losses' functions of losses.cu, for the table */
int cuda_loss_value(int fn, long nc, long s, double scale, const double *Z, const double *C, double *G, double *sum);
int cuda_loss_hessmult(int fn, long nc, long s, double scale, const double *Z, const double *C, const double *dZ, double *H);

/* the convolutional block sweeps of convblocks.cu, for the table */
long cuda_conv_euler_linsize(long c, double eps, long ih, long iw, long N, long s);
int cuda_conv_euler_forward(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
int cuda_conv_euler_tangent(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN);
int cuda_conv_euler_adjoint(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0);
long cuda_conv_single_linsize(long cin, long cout, long k, int pool, double eps, long ih, long iw, long s);
int cuda_conv_single_forward(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *Y1, double *lin);
int cuda_conv_single_tangent(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *dtheta, const double *Y0, double *lin, const double *dY0, double *dY1);
int cuda_conv_single_adjoint(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *lin, const double *W, double *gtheta, double *gY0);
long cuda_conv_verlet_linsize(long c, long m, double eps, long ih, long iw, long N, long s);
int cuda_conv_verlet_forward(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin);
int cuda_conv_verlet_tangent(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, double *lin, const double *dY0, double *dYN);
int cuda_conv_verlet_adjoint(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, double *lin, const double *W, double *gtheta, double *gY0);
long cuda_conv_verlet_revsize(long c, long m, double eps, long ih, long iw, long s);
int cuda_conv_verlet_forward_final(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN, double *work);
int cuda_conv_verlet_tangent_y0(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, double *work, const double *dY0, double *dYN);
int cuda_conv_verlet_adjoint_reversible(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *ZN, double *work, const double *W, double *gtheta, double *gY0);
long cuda_conv_parabolic_linsize(long c, long m, double eps, long ih, long iw, long N, long s);
int cuda_conv_parabolic_forward(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
int cuda_conv_parabolic_tangent(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN);
int cuda_conv_parabolic_adjoint(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0);
long cuda_conv_leapfrog_linsize(int sym, long c, long m, double eps, long ih, long iw, long N, long s);
int cuda_conv_leapfrog_forward(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
int cuda_conv_leapfrog_tangent(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN);
int cuda_conv_leapfrog_adjoint(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0);
long cuda_conv_leapfrog_revsize(int sym, long c, long m, double eps, long ih, long iw, long s);
int cuda_conv_leapfrog_forward_final(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1, double *work);
int cuda_conv_leapfrog_tangent_y0(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, double *work, const double *dY0, double *dYN);
int cuda_conv_leapfrog_adjoint_reversible(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, double *work, const double *W, double *gtheta, double *gY0);

} // namespace odyn_cudabackend
