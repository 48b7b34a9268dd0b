/*
   Status recording, memory helpers, the process-wide workspace and the cross-block reduction of odyn's own CUDA kernels
   (include/odyn/private/cudakernels.h). Plain C API, no PETSc: the callers (the backend, tests, bench_cuda) turn a
   nonzero status into their own error with odyn_cuda_status_string().
*/
#include <cstdarg>
#include <cstdio>
#include "kernelsys.cuh"

static char odynk_msg[512] = "no error";

int odynk_fail(int status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(odynk_msg, sizeof(odynk_msg), fmt, ap);
  va_end(ap);
  return status;
}

int odynk_cuda_fail(cudaError_t err, const char *what, const char *file, int line)
{
  int status = ODYN_CUDA_ERR_CUDA;
  if (err == cudaErrorMemoryAllocation) status = ODYN_CUDA_ERR_ALLOC;
  if (err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver) status = ODYN_CUDA_ERR_NODEV;
  (void)cudaGetLastError(); /* clear a non-sticky error so that the next call does not report it again */
  return odynk_fail(status, "%s: %s (%s:%d)", what, cudaGetErrorString(err), file, line);
}

int odynk_cublas_fail(cublasStatus_t st, const char *what, const char *file, int line)
{
  return odynk_fail(ODYN_CUDA_ERR_CUBLAS, "%s: cuBLAS status %d (%s) (%s:%d)", what, (int)st, cublasGetStatusString(st), file, line);
}

const char *odyn_cuda_status_string(int status)
{
  static char buf[640];
  const char *what = "unknown status";
  switch (status) {
  case ODYN_CUDA_OK: return "success";
  case ODYN_CUDA_ERR_ARG: what = "bad argument"; break;
  case ODYN_CUDA_ERR_NODEV: what = "no CUDA device"; break;
  case ODYN_CUDA_ERR_ALLOC: what = "device allocation failed"; break;
  case ODYN_CUDA_ERR_CUDA: what = "CUDA error"; break;
  case ODYN_CUDA_ERR_CUBLAS: what = "cuBLAS error"; break;
  }
  snprintf(buf, sizeof(buf), "%s: %s", what, odynk_msg);
  return buf;
}

int odyn_cuda_device_count(int *count)
{
  cudaError_t e = cudaGetDeviceCount(count);
  if (e != cudaSuccess) { /* no driver, no device: not an error for the caller, who skips */
    (void)cudaGetLastError();
    *count = 0;
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_malloc(double **d, long len)
{
  *d = NULL;
  if (len < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_malloc: negative length %ld", len);
  if (len == 0) return ODYN_CUDA_OK;
  cudaError_t e = cudaMalloc((void **)d, (size_t)len * sizeof(double));
  if (e != cudaSuccess) {
    *d = NULL;
    (void)cudaGetLastError();
    return odynk_fail(e == cudaErrorMemoryAllocation ? ODYN_CUDA_ERR_ALLOC : ODYN_CUDA_ERR_CUDA, "cudaMalloc of %ld doubles (%.3f GiB): %s", len, len * 8.0 / (1 << 30), cudaGetErrorString(e));
  }
  return ODYN_CUDA_OK;
}

int odyn_cuda_free(double *d)
{
  if (d) ODYNK_CUDA(cudaFree(d));
  return ODYN_CUDA_OK;
}

int odyn_cuda_to_device(double *d, const double *h, long len)
{
  if (len < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_to_device: negative length %ld", len);
  if (len) ODYNK_CUDA(cudaMemcpy(d, h, (size_t)len * sizeof(double), cudaMemcpyHostToDevice));
  return ODYN_CUDA_OK;
}

int odyn_cuda_to_host(double *h, const double *d, long len)
{
  if (len < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_to_host: negative length %ld", len);
  if (len) ODYNK_CUDA(cudaMemcpy(h, d, (size_t)len * sizeof(double), cudaMemcpyDeviceToHost));
  return ODYN_CUDA_OK;
}

int odyn_cuda_zero(double *d, long len)
{
  if (len < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_zero: negative length %ld", len);
  if (len) ODYNK_CUDA(cudaMemsetAsync(d, 0, (size_t)len * sizeof(double), 0));
  return ODYN_CUDA_OK;
}

int odyn_cuda_synchronize(void)
{
  ODYNK_CUDA(cudaDeviceSynchronize());
  ODYNK_CUDA(cudaGetLastError());
  return ODYN_CUDA_OK;
}

int odynk_get_props(const odynk_props **p)
{
  static odynk_props props;
  static int         dev = -1;
  int                cur;

  ODYNK_CUDA(cudaGetDevice(&cur));
  if (dev != cur) {
    ODYNK_CUDA(cudaDeviceGetAttribute(&props.sms, cudaDevAttrMultiProcessorCount, cur));
    ODYNK_CUDA(cudaDeviceGetAttribute(&props.smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, cur));
    ODYNK_CUDA(cudaDeviceGetAttribute(&props.max_threads_sm, cudaDevAttrMaxThreadsPerMultiProcessor, cur));
    dev = cur;
  }
  *p = &props;
  return ODYN_CUDA_OK;
}

static void  *scratch[ODYNK_NSCRATCH];
static size_t scratch_bytes[ODYNK_NSCRATCH];

int odynk_scratch(int slot, size_t bytes, void **p)
{
  if (slot < 0 || slot >= ODYNK_NSCRATCH) return odynk_fail(ODYN_CUDA_ERR_ARG, "workspace slot %d out of range", slot);
  if (bytes > scratch_bytes[slot]) {
    /* the old buffer may still be read by a queued kernel: cudaFree waits for the device first */
    if (scratch[slot]) ODYNK_CUDA(cudaFree(scratch[slot]));
    scratch[slot]       = NULL;
    scratch_bytes[slot] = 0;
    ODYNK_CUDA(cudaMalloc(&scratch[slot], bytes));
    scratch_bytes[slot] = bytes;
  }
  *p = scratch[slot];
  return ODYN_CUDA_OK;
}

int odynk_scratch_n(int first, int k, size_t len, double **p)
{
  for (int i = 0; i < k; i++) {
    void *q = NULL;

    ODYNK_CALL(odynk_scratch(first + i, len * sizeof(double), &q));
    p[i] = (double *)q;
  }
  return ODYN_CUDA_OK;
}

unsigned odynk_grid1d(long len)
{
  long g = (len + 255) / 256;
  return (unsigned)(g < 65536 ? (g > 0 ? g : 1) : 65536); /* grid-stride loops cover the rest */
}

__global__ void fill_kernel(long len, double v, double *__restrict__ x)
{
  for (long k = (long)blockIdx.x * blockDim.x + threadIdx.x; k < len; k += (long)gridDim.x * blockDim.x) x[k] = v;
}

int odynk_fill(long len, double v, double *x)
{
  if (len <= 0) return ODYN_CUDA_OK;
  fill_kernel<<<odynk_grid1d(len), 256>>>(len, v, x);
  ODYNK_LAUNCHED("fill_kernel");
  return ODYN_CUDA_OK;
}

int odynk_copy_or_zero(size_t len, const double *x, double *dst)
{
  if (x) {
    if (x != dst) ODYNK_CUDA(cudaMemcpyAsync(dst, x, len * sizeof(double), cudaMemcpyDeviceToDevice, 0));
  } else ODYNK_CUDA(cudaMemsetAsync(dst, 0, len * sizeof(double), 0));
  return ODYN_CUDA_OK;
}

int odyn_cuda_kernels_finalize(void)
{
  for (int i = 0; i < ODYNK_NSCRATCH; i++) {
    if (scratch[i]) ODYNK_CUDA(cudaFree(scratch[i]));
    scratch[i]       = NULL;
    scratch_bytes[i] = 0;
  }
  odynk_cublas_release();
  return ODYN_CUDA_OK;
}

/* 32 outputs per block in x, 8 partial sums per output in y (each over every 8th block), then a fixed tree in shared
   memory: the result does not depend on timing */
__global__ void reduce_blocks_kernel(long len, long nb, const double *__restrict__ part, double alpha, double *__restrict__ out, int accumulate)
{
  __shared__ double red[8][33];
  const long        k   = (long)blockIdx.x * 32 + threadIdx.x;
  double            sum = 0.0;

  if (k < len)
    for (long b = threadIdx.y; b < nb; b += 8) sum += part[b * len + k];
  red[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y == 0 && k < len) {
    double t = ((red[0][threadIdx.x] + red[1][threadIdx.x]) + (red[2][threadIdx.x] + red[3][threadIdx.x])) + ((red[4][threadIdx.x] + red[5][threadIdx.x]) + (red[6][threadIdx.x] + red[7][threadIdx.x]));
    out[k] = accumulate ? out[k] + alpha * t : alpha * t;
  }
}

int odynk_reduce_blocks(long len, long nb, const double *part, double alpha, double *out, int accumulate)
{
  if (len <= 0) return ODYN_CUDA_OK;
  const long grid = (len + 31) / 32;
  if (!odynk_fits_int(grid)) return odynk_fail(ODYN_CUDA_ERR_ARG, "reduction of %ld values: too many blocks", len);
  reduce_blocks_kernel<<<dim3((unsigned)grid), dim3(32, 8)>>>(len, nb, part, alpha, out, accumulate);
  ODYNK_LAUNCHED("reduce_blocks_kernel");
  return ODYN_CUDA_OK;
}
