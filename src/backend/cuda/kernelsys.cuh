/* Internals shared by odyn's own CUDA kernel files (narrow.cu, wide.cu, convdirect.cu, kernelsys.cu): status recording,
   the process-wide workspace, device properties. Not a public header; the API is include/odyn/private/cudakernels.h. */
#pragma once
#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <cstddef>
#include <odyn/private/cudakernels.h>
#include <odyn/private/pointwise.h> /* the activations' codes */

/* records a status with a printf-style message (odyn_cuda_status_string() reports it) and returns the status */
int odynk_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* records a CUDA runtime error of `what` (a CUDA call or a kernel launch) */
int odynk_cuda_fail(cudaError_t err, const char *what, const char *file, int line);
int odynk_cublas_fail(cublasStatus_t st, const char *what, const char *file, int line);

/* a CUDA call whose failure returns ODYN_CUDA_ERR_CUDA (or ERR_ALLOC / ERR_NODEV) with the call's text */
#define ODYNK_CUDA(call) \
  do { \
    cudaError_t odynk_e_ = (call); \
    if (odynk_e_ != cudaSuccess) return odynk_cuda_fail(odynk_e_, #call, __FILE__, __LINE__); \
  } while (0)
#define ODYNK_CUBLAS(call) \
  do { \
    cublasStatus_t odynk_s_ = (call); \
    if (odynk_s_ != CUBLAS_STATUS_SUCCESS) return odynk_cublas_fail(odynk_s_, #call, __FILE__, __LINE__); \
  } while (0)
/* after a launch: the launch's own error (bad configuration, too much shared memory); asynchronous faults of the kernel
   surface at the next synchronizing call (odyn_cuda_synchronize) */
#define ODYNK_LAUNCHED(name) \
  do { \
    cudaError_t odynk_e_ = cudaGetLastError(); \
    if (odynk_e_ != cudaSuccess) return odynk_cuda_fail(odynk_e_, "launch of " name, __FILE__, __LINE__); \
  } while (0)
/* propagate a status */
#define ODYNK_CALL(call) \
  do { \
    int odynk_st_ = (call); \
    if (odynk_st_) return odynk_st_; \
  } while (0)

/* device properties of the current device, read once */
typedef struct {
  int sms;           /* multiprocessors */
  int smem_optin;    /* the largest dynamic shared memory a block may opt in to (bytes) */
  int max_threads_sm;
} odynk_props;
int odynk_get_props(const odynk_props **p);

/* a process-wide device scratch of at least `bytes` (grown on demand, never shrunk; freed by odyn_cuda_kernels_finalize).
   slot 0..ODYNK_NSCRATCH-1: independent buffers for one call's several needs */
#define ODYNK_NSCRATCH 8
int odynk_scratch(int slot, size_t bytes, void **p);

/* k buffers of len doubles each from the workspace's slots first, first + 1, ... (the per-step cuBLAS paths) */
int odynk_scratch_n(int first, int k, size_t len, double **p);

/* the element-wise kernels' grid for len values (256 threads per block, grid-stride loops beyond 65,536 blocks) */
unsigned odynk_grid1d(long len);
/* x = v (len doubles), dst = x or zero when x is NULL; on the legacy default stream */
int odynk_fill(long len, double v, double *x);
int odynk_copy_or_zero(size_t len, const double *x, double *dst);

/* the cuBLAS handle (wide.cu), created on first use */
int  odynk_cublas(cublasHandle_t *h);
void odynk_cublas_release(void);

/* the dense sweeps' activation check (cudakernels.h, "Activation"): identity, tanh or relu, else ODYN_CUDA_ERR_ARG
   naming fn */
static inline int odynk_check_act(const char *fn, int act)
{
  if (odyn_act_is_plain(act)) return ODYN_CUDA_OK;
  return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: activation %d is none of identity, tanh and relu (ODYN_PW_IDENTITY, _TANH, _RELU)", fn, act);
}

/* sizes a kernel launch accepts: grid x <= 2^31 - 1, and the products of sizes the kernels index with fit a long */
static inline bool odynk_fits_int(long v) { return v >= 0 && v <= 2147483647L; }

/* out[k] (+)= alpha sum_{b < nb} part[b * len + k]: the second level of a two-level reduction, deterministic (fixed
   order); accumulate: 1 adds to out, 0 overwrites (convdirect.cu / narrow.cu use it) */
int odynk_reduce_blocks(long len, long nb, const double *part, double alpha, double *out, int accumulate);

/* 3x3 convolutions of more than ODYN_CUDA_CONV_MAXC channels (convgemm.cu: im2col + cuBLAS), the contracts of
   cudakernels.h's odyn_cuda_conv3_* after their argument checks: forward Y = beta Y + alpha K * X, then, when b is not
   NULL, Y = act(Y + b) or (euler) X + h act(Y + b) and D = act'(Y + b) when D is not NULL; adjoint X = beta X +
   alpha K^T Y; stencil_grad G += alpha dK-gradient */
int odynk_conv3_gemm_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, double *Y, const double *b, int act, int euler, double h, double *D);
int odynk_conv3_gemm_adjoint(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *Y, double beta, double *X);
int odynk_conv3_gemm_stencil_grad(const odyn_conv_geom *g, long s, const double *X, const double *W, double alpha, double *G);
