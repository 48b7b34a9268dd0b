/*
   The cuda backend's operations table (include/odyn/private/backend.h): cuBLAS for the GEMMs, small kernels for the
   elementwise work and hierarchical reductions. No PETSc header here by design (Debian's PETSc 3.18 has no CUDA, and
   PETSc 3.18 cannot be built with CUDA 13: docs/gpu.md); src/sys/backend.c turns the status codes into PETSc errors.

   One device, one stream and one cuBLAS handle per process: init(rank) picks device rank % count (one GPU per MPI
   rank on a multi-GPU node); the stream and the handle are made on first use, so that a program that only asks
   whether there is a device pays nothing. Every operation is issued on that stream, in order; a copy to the host and
   the reductions wait for their result.

   Rounding: the elementwise kernels use __dmul_rn / __dadd_rn where the host loop computes a * b + c, so that nvcc
   does not contract them into fused multiply-adds: the results are then those of the host loop bit for bit, except
   where the activation calls tanh (CUDA's and glibc's tanh differ by an ulp or two). The reductions sum in a
   different order than the host's loop (per thread, per block, then across blocks), which bounds their difference by
   about len u sum |x_i| (tests/gpu/test_gpu_backend.c).
*/
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <odyn/private/backend.h>
#include <odyn/private/cudakernels.h>
#include <odyn/private/pointwise.h>
#include "backendimpl.cuh"

namespace odyn_cudabackend {

State st;
char  last_msg[512] = "no error";

int fail(int code, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
  va_end(ap);
  return code;
}

/* cudaGetLastError() clears a non-sticky error (a failed cudaMalloc) so that the next call does not report it again */
int cuda_fail(cudaError_t e, const char *what)
{
  (void)cudaGetLastError();
  return fail(e == cudaErrorMemoryAllocation ? ODYN_BACKEND_ERR_MEM : ODYN_BACKEND_ERR_DEVICE, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
}

#define ODYN_CU(call, what) \
  do { \
    cudaError_t e_ = (call); \
    if (e_ != cudaSuccess) return cuda_fail(e_, what); \
  } while (0)

int cuda_init(int rank)
{
  int         count = 0, dev;
  cudaError_t e     = cudaGetDeviceCount(&count);

  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return fail(ODYN_BACKEND_ERR_NODEVICE, "cudaGetDeviceCount: %s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
  }
  if (count < 1) return fail(ODYN_BACKEND_ERR_NODEVICE, "cudaGetDeviceCount found no CUDA device");
  dev = (rank < 0 ? 0 : rank) % count;
  if (st.initialized && st.device == dev) return ODYN_BACKEND_OK;
  if (st.initialized) return fail(ODYN_BACKEND_ERR_ARG, "init(%d): this process already uses device %d (call finalize first)", rank, st.device);
  ODYN_CU(cudaSetDevice(dev), "cudaSetDevice");
  ODYN_CU(cudaDeviceGetAttribute(&st.sms, cudaDevAttrMultiProcessorCount, dev), "cudaDeviceGetAttribute");
  st.device      = dev;
  st.initialized = 1;
  return ODYN_BACKEND_OK;
}

/* an operation before init() uses device 0 */
int ensure_device(void) { return st.initialized ? ODYN_BACKEND_OK : cuda_init(0); }

int ensure_stream(void)
{
  int r = ensure_device();

  if (r) return r;
  /* a blocking stream (not cudaStreamNonBlocking): it stays ordered with work on the legacy default stream, which
     the other .cu files' kernels may use */
  if (!st.stream) ODYN_CU(cudaStreamCreateWithFlags(&st.stream, cudaStreamDefault), "cudaStreamCreate");
  return ODYN_BACKEND_OK;
}

int ensure_blas(void)
{
  int            r = ensure_stream();
  cublasStatus_t s;

  if (r) return r;
  if (st.blas) return ODYN_BACKEND_OK;
  if ((s = cublasCreate(&st.blas)) != CUBLAS_STATUS_SUCCESS) {
    st.blas = nullptr;
    return fail(s == CUBLAS_STATUS_ALLOC_FAILED ? ODYN_BACKEND_ERR_MEM : ODYN_BACKEND_ERR_BLAS, "cublasCreate: %s", cublasGetStatusString(s));
  }
  if ((s = cublasSetStream(st.blas, st.stream)) != CUBLAS_STATUS_SUCCESS) return fail(ODYN_BACKEND_ERR_BLAS, "cublasSetStream: %s", cublasGetStatusString(s));
  return ODYN_BACKEND_OK;
}

/* the partials of the reductions: grown, never shrunk (at most a few MiB: see the grid sizes below) */
int ensure_work(size_t doubles)
{
  if (doubles <= st.workcap) return ODYN_BACKEND_OK;
  if (st.work) ODYN_CU(cudaFree(st.work), "cudaFree (reduction workspace)");
  st.work    = nullptr;
  st.workcap = 0;
  ODYN_CU(cudaMalloc((void **)&st.work, doubles * sizeof(double)), "cudaMalloc (reduction workspace)");
  st.workcap = doubles;
  return ODYN_BACKEND_OK;
}

int cuda_finalize(void)
{
  int r = ODYN_BACKEND_OK;

  if (st.blas && cublasDestroy(st.blas) != CUBLAS_STATUS_SUCCESS && !r) r = fail(ODYN_BACKEND_ERR_BLAS, "cublasDestroy failed");
  if (st.work && cudaFree(st.work) != cudaSuccess && !r) r = cuda_fail(cudaGetLastError(), "cudaFree (reduction workspace)");
  if (st.stream && cudaStreamDestroy(st.stream) != cudaSuccess && !r) r = cuda_fail(cudaGetLastError(), "cudaStreamDestroy");
  /* the sweep kernels' workspace and cuBLAS handle (the dense_euler_* operations below) */
  if (st.initialized && odyn_cuda_kernels_finalize() && !r) r = fail(ODYN_BACKEND_ERR_DEVICE, "odyn_cuda_kernels_finalize: %s", odyn_cuda_status_string(ODYN_CUDA_ERR_CUDA));
  st = State();
  return r;
}

const char *cuda_last_error(void) { return last_msg; }

int cuda_mem_alloc(size_t bytes, void **ptr)
{
  int         r;
  cudaError_t e;

  *ptr = nullptr;
  if (!bytes) return ODYN_BACKEND_OK;
  if ((r = ensure_device())) return r;
  if ((e = cudaMalloc(ptr, bytes)) != cudaSuccess) {
    size_t freeb = 0, total = 0;

    *ptr = nullptr;
    (void)cudaGetLastError();
    (void)cudaMemGetInfo(&freeb, &total);
    return fail(e == cudaErrorMemoryAllocation ? ODYN_BACKEND_ERR_MEM : ODYN_BACKEND_ERR_DEVICE, "cudaMalloc of %zu bytes (%.3g GiB) on device %d: %s (the device has %.3g GiB free of %.3g GiB)", bytes, bytes / 1073741824.0, st.device,
                cudaGetErrorString(e), freeb / 1073741824.0, total / 1073741824.0);
  }
  return ODYN_BACKEND_OK;
}

int cuda_mem_free(void *ptr)
{
  if (ptr) ODYN_CU(cudaFree(ptr), "cudaFree");
  return ODYN_BACKEND_OK;
}

int cuda_mem_set(void *ptr, int value, size_t bytes)
{
  int r;

  if (!bytes) return ODYN_BACKEND_OK;
  if ((r = ensure_stream())) return r;
  ODYN_CU(cudaMemsetAsync(ptr, value, bytes, st.stream), "cudaMemsetAsync");
  return ODYN_BACKEND_OK;
}

/* the copies to and from the host wait: the host buffer may be pageable and reused at once (parameter mirrors are
   copied once per sweep, so the wait costs nothing that matters) */
int copy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, int wait, const char *what)
{
  int r;

  if (!bytes) return ODYN_BACKEND_OK;
  if ((r = ensure_stream())) return r;
  ODYN_CU(cudaMemcpyAsync(dst, src, bytes, kind, st.stream), what);
  if (wait) ODYN_CU(cudaStreamSynchronize(st.stream), what);
  return ODYN_BACKEND_OK;
}

int cuda_copy_to_device(void *dst, const void *src, size_t bytes) { return copy(dst, src, bytes, cudaMemcpyHostToDevice, 1, "copy to the device"); }
int cuda_copy_to_host(void *dst, const void *src, size_t bytes) { return copy(dst, src, bytes, cudaMemcpyDeviceToHost, 1, "copy to the host"); }
int cuda_copy_device(void *dst, const void *src, size_t bytes) { return copy(dst, src, bytes, cudaMemcpyDeviceToDevice, 0, "copy on the device"); }

int cuda_synchronize(void)
{
  int r;

  if ((r = ensure_stream())) return r;
  ODYN_CU(cudaStreamSynchronize(st.stream), "cudaStreamSynchronize");
  return ODYN_BACKEND_OK;
}

bool fits(long v) { return v >= 0 && v <= INT_MAX; }

int gemm_args(char transa, char transb, long m, long n, long k, long lda, long ldb, long ldc, const char *op)
{
  if (transa != 'N' && transa != 'T') return fail(ODYN_BACKEND_ERR_ARG, "%s: transa must be 'N' or 'T', got '%c'", op, transa);
  if (transb != 'N' && transb != 'T') return fail(ODYN_BACKEND_ERR_ARG, "%s: transb must be 'N' or 'T', got '%c'", op, transb);
  if (!fits(m) || !fits(n) || !fits(k) || !fits(lda) || !fits(ldb) || !fits(ldc))
    return fail(ODYN_BACKEND_ERR_SIZE, "%s: a size (m %ld, n %ld, k %ld, lda %ld, ldb %ld, ldc %ld) is negative or exceeds cuBLAS's int", op, m, n, k, lda, ldb, ldc);
  return ODYN_BACKEND_OK;
}

cublasOperation_t op_of(char t) { return t == 'T' ? CUBLAS_OP_T : CUBLAS_OP_N; }

int cuda_gemm(char transa, char transb, long m, long n, long k, double alpha, const double *A, long lda, const double *B, long ldb, double beta, double *C, long ldc)
{
  int            r;
  cublasStatus_t s;

  if ((r = gemm_args(transa, transb, m, n, k, lda, ldb, ldc, "gemm"))) return r;
  if (!m || !n) return ODYN_BACKEND_OK;
  if ((r = ensure_blas())) return r;
  s = cublasDgemm(st.blas, op_of(transa), op_of(transb), (int)m, (int)n, (int)k, &alpha, A, (int)lda, B, (int)ldb, &beta, C, (int)ldc);
  if (s != CUBLAS_STATUS_SUCCESS) return fail(ODYN_BACKEND_ERR_BLAS, "cublasDgemm (m %ld, n %ld, k %ld): %s", m, n, k, cublasGetStatusString(s));
  return ODYN_BACKEND_OK;
}

int cuda_gemm_strided_batched(char transa, char transb, long m, long n, long k, double alpha, const double *A, long lda, long strideA, const double *B, long ldb, long strideB, double beta, double *C, long ldc, long strideC, long batch)
{
  int            r;
  cublasStatus_t s;

  if ((r = gemm_args(transa, transb, m, n, k, lda, ldb, ldc, "gemm_strided_batched"))) return r;
  if (!fits(batch)) return fail(ODYN_BACKEND_ERR_SIZE, "gemm_strided_batched: batch count %ld is negative or exceeds cuBLAS's int", batch);
  if (!m || !n || !batch) return ODYN_BACKEND_OK;
  if ((r = ensure_blas())) return r;
  s = cublasDgemmStridedBatched(st.blas, op_of(transa), op_of(transb), (int)m, (int)n, (int)k, &alpha, A, (int)lda, (long long)strideA, B, (int)ldb, (long long)strideB, &beta, C, (int)ldc, (long long)strideC, (int)batch);
  if (s != CUBLAS_STATUS_SUCCESS) return fail(ODYN_BACKEND_ERR_BLAS, "cublasDgemmStridedBatched (m %ld, n %ld, k %ld, batch %ld): %s", m, n, k, batch, cublasGetStatusString(s));
  return ODYN_BACKEND_OK;
}

/* grid of a grid-stride loop over len elements: enough blocks to fill the device (32 per SM), no more */
unsigned grid_for(long len)
{
  const long want = (len + TPB - 1) / TPB, cap = 32L * (st.sms > 0 ? st.sms : 132);

  return (unsigned)(want < 1 ? 1 : want < cap ? want : cap);
}

__global__ void k_bias_act(int act, long n, long len, const double *b, double *A, double *D)
{
  ODYN_FOR_EACH(k, len)
  {
    const double x = b ? __dadd_rn(A[k], b[k % n]) : A[k], y = odyn_act(act, x);

    A[k] = y;
    /* tanh' from tanh(x) as the host does (one tanh per element) */
    if (D) D[k] = act == ODYN_PW_TANH ? __dsub_rn(1.0, __dmul_rn(y, y)) : odyn_act_deriv(act, x);
  }
}

__global__ void k_scaled_hadamard_add(long len, double alpha, const double *D, const double *T, double *out)
{
  ODYN_FOR_EACH(k, len) out[k] = __dadd_rn(out[k], __dmul_rn(__dmul_rn(alpha, D[k]), T[k]));
}

__global__ void k_hadamard_inplace(long len, const double *D, double *T)
{
  ODYN_FOR_EACH(k, len) T[k] = __dmul_rn(T[k], D[k]);
}

__global__ void k_add_bias(long n, long len, const double *b, double *A)
{
  ODYN_FOR_EACH(k, len) A[k] = __dadd_rn(A[k], b[k % n]);
}

__global__ void k_axpy(long len, double alpha, const double *x, double *y)
{
  ODYN_FOR_EACH(k, len) y[k] = __dadd_rn(y[k], __dmul_rn(alpha, x[k]));
}

__global__ void k_axpby(long len, double alpha, const double *x, double beta, double *y)
{
  ODYN_FOR_EACH(k, len) y[k] = __dadd_rn(__dmul_rn(alpha, x[k]), __dmul_rn(beta, y[k]));
}

int launched(const char *what)
{
  ODYN_CU(cudaGetLastError(), what);
  return ODYN_BACKEND_OK;
}

int check_ns(long n, long s, const char *op) { return n < 0 || s < 0 ? fail(ODYN_BACKEND_ERR_SIZE, "%s: negative size n %ld, s %ld", op, n, s) : ODYN_BACKEND_OK; }
int check_len(long len, const char *op) { return len < 0 ? fail(ODYN_BACKEND_ERR_SIZE, "%s: negative length %ld", op, len) : ODYN_BACKEND_OK; }

int cuda_bias_act(int act, long n, long s, const double *b, double *A, double *D)
{
  int r;

  if ((r = check_ns(n, s, "bias_act"))) return r;
  if (act < ODYN_PW_IDENTITY || act > ODYN_PW_PERONAMALIK) return fail(ODYN_BACKEND_ERR_ARG, "bias_act: unknown activation %d (ODYN_PW_* of pointwise.h)", act);
  if (!n || !s) return ODYN_BACKEND_OK;
  if ((r = ensure_stream())) return r;
  k_bias_act<<<grid_for(n * s), TPB, 0, st.stream>>>(act, n, n * s, b, A, D);
  return launched("bias_act kernel");
}

int cuda_scaled_hadamard_add(long len, double alpha, const double *D, const double *T, double *out)
{
  int r;

  if ((r = check_len(len, "scaled_hadamard_add")) || !len || (r = ensure_stream())) return r;
  k_scaled_hadamard_add<<<grid_for(len), TPB, 0, st.stream>>>(len, alpha, D, T, out);
  return launched("scaled_hadamard_add kernel");
}

int cuda_hadamard_inplace(long len, const double *D, double *T)
{
  int r;

  if ((r = check_len(len, "hadamard_inplace")) || !len || (r = ensure_stream())) return r;
  k_hadamard_inplace<<<grid_for(len), TPB, 0, st.stream>>>(len, D, T);
  return launched("hadamard_inplace kernel");
}

int cuda_add_bias(long n, long s, const double *b, double *A)
{
  int r;

  if ((r = check_ns(n, s, "add_bias")) || !n || !s || (r = ensure_stream())) return r;
  k_add_bias<<<grid_for(n * s), TPB, 0, st.stream>>>(n, n * s, b, A);
  return launched("add_bias kernel");
}

int cuda_axpy(long len, double alpha, const double *x, double *y)
{
  int r;

  if ((r = check_len(len, "axpy")) || !len || (r = ensure_stream())) return r;
  k_axpy<<<grid_for(len), TPB, 0, st.stream>>>(len, alpha, x, y);
  return launched("axpy kernel");
}

int cuda_axpby(long len, double alpha, const double *x, double beta, double *y)
{
  int r;

  if ((r = check_len(len, "axpby")) || !len || (r = ensure_stream())) return r;
  k_axpby<<<grid_for(len), TPB, 0, st.stream>>>(len, alpha, x, beta, y);
  return launched("axpby kernel");
}

/*
   Reductions, hierarchical: each thread sums a stretch, each block sums its threads (warp shuffles, then shared
   memory), and a second kernel sums the blocks' partials; no atomics, so the result is deterministic (the same
   order on every run with the same sizes and device).
*/
template <bool DOT>
__global__ void k_partial(long len, const double *x, const double *y, double *part)
{
  double acc = 0.0;

  ODYN_FOR_EACH(k, len) acc += DOT ? x[k] * y[k] : x[k];
  acc = block_sum(acc);
  if (!threadIdx.x) part[blockIdx.x] = acc;
}

__global__ void k_final(long nparts, const double *part, double *out)
{
  double acc = 0.0;

  for (long c = threadIdx.x; c < nparts; c += blockDim.x) acc += part[c];
  acc = block_sum(acc);
  if (!threadIdx.x) *out = acc;
}

/* *result (host) = the sum of the nparts block partials a kernel left in st.work (ensure_work(nparts + 1) first) */
int sum_partials(unsigned nparts, double *result, const char *op)
{
  int r;

  k_final<<<1, TPB, 0, st.stream>>>(nparts, st.work, st.work + nparts);
  if ((r = launched(op))) return r;
  return copy(result, st.work + nparts, sizeof(double), cudaMemcpyDeviceToHost, 1, op);
}

int reduce(long len, const double *x, const double *y, double *result, const char *op)
{
  int      r;
  unsigned g;

  if ((r = check_len(len, op))) return r;
  *result = 0.0;
  if (!len) return ODYN_BACKEND_OK;
  if ((r = ensure_stream())) return r;
  g = grid_for(len);
  if ((r = ensure_work(g + 1))) return r;
  if (y) k_partial<true><<<g, TPB, 0, st.stream>>>(len, x, y, st.work);
  else k_partial<false><<<g, TPB, 0, st.stream>>>(len, x, nullptr, st.work);
  if ((r = launched(op))) return r;
  return sum_partials(g, result, op);
}

int cuda_sum(long len, const double *x, double *result) { return reduce(len, x, nullptr, result, "sum"); }
int cuda_dot(long len, const double *x, const double *y, double *result) { return reduce(len, x, y, result, "dot"); }

/*
   Row sums of T (n x s, examples in columns): the examples are cut into nchunks chunks; pass 1 writes the row sums
   of each chunk, part[c n + i], pass 2 sums them per row into g. Narrow rows (n <= TPB, the usual case: n = 2 ... 64
   with 10^4 ... 10^6 examples): one block per chunk reads the chunk's n x chunk values contiguously, thread t always
   on row t % n (the stride is a multiple of n), then the block folds its threads per row. Wide rows: a tile of TPB
   rows per block, one thread per row walking the chunk's examples (coalesced across the rows).
*/
__global__ void k_rowsum_narrow(long n, long s, long chunk, const double *T, double *part)
{
  __shared__ double sh[TPB];
  const long        used = (TPB / n) * n, e0 = blockIdx.x * chunk, e1 = e0 + chunk < s ? e0 + chunk : s;
  double            acc  = 0.0;

  if (threadIdx.x < used)
    for (long k = e0 * n + threadIdx.x; k < e1 * n; k += used) acc += T[k];
  sh[threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.x < n) {
    double r = 0.0;

    for (long j = threadIdx.x; j < used; j += n) r += sh[j];
    part[blockIdx.x * n + threadIdx.x] = r;
  }
}

/* part == NULL: a single chunk, added to g directly */
__global__ void k_rowsum_wide(long n, long s, long chunk, const double *T, double *part, double alpha, double *g)
{
  const long i = blockIdx.x * (long)blockDim.x + threadIdx.x, e0 = blockIdx.y * chunk, e1 = e0 + chunk < s ? e0 + chunk : s;
  double     acc = 0.0;

  if (i >= n) return;
  for (long e = e0; e < e1; e++) acc += T[e * n + i];
  if (part) part[blockIdx.y * n + i] = acc;
  else g[i] = __dadd_rn(g[i], __dmul_rn(alpha, acc));
}

__global__ void k_rowsum_final(long n, long nchunks, double alpha, const double *part, double *g)
{
  for (long i = blockIdx.x; i < n; i += gridDim.x) {
    double acc = 0.0;

    for (long c = threadIdx.x; c < nchunks; c += blockDim.x) acc += part[c * n + i];
    acc = block_sum(acc);
    if (!threadIdx.x) g[i] = __dadd_rn(g[i], __dmul_rn(alpha, acc));
    __syncthreads(); /* block_sum's shared memory is reused for the next row */
  }
}

long ceil_div(long a, long b) { return (a + b - 1) / b; }

int cuda_rowsum_add(long n, long s, double alpha, const double *T, double *g)
{
  int  r;
  long nchunks, chunk;

  if ((r = check_ns(n, s, "rowsum_add")) || !n || !s || (r = ensure_stream())) return r;
  if (n <= TPB) {
    /* about 2048 values per block, at most 1024 blocks (the partials stay <= 2 MiB) */
    nchunks = ceil_div(n * s, 2048);
    nchunks = nchunks < 1 ? 1 : nchunks > 1024 ? 1024 : nchunks;
    chunk   = ceil_div(s, nchunks);
    nchunks = ceil_div(s, chunk);
    if ((r = ensure_work((size_t)(nchunks * n)))) return r;
    k_rowsum_narrow<<<(unsigned)nchunks, TPB, 0, st.stream>>>(n, s, chunk, T, st.work);
  } else {
    /* about 2048 blocks in all, each walking >= 16 examples */
    const long tiles = ceil_div(n, TPB);

    nchunks = ceil_div(2048, tiles);
    if (nchunks > ceil_div(s, 16)) nchunks = ceil_div(s, 16);
    nchunks = nchunks < 1 ? 1 : nchunks > 1024 ? 1024 : nchunks;
    chunk   = ceil_div(s, nchunks);
    nchunks = ceil_div(s, chunk);
    if (tiles > INT_MAX) return fail(ODYN_BACKEND_ERR_SIZE, "rowsum_add: n %ld rows exceed the grid", n);
    if (nchunks > 1 && (r = ensure_work((size_t)(nchunks * n)))) return r;
    k_rowsum_wide<<<dim3((unsigned)tiles, (unsigned)nchunks), TPB, 0, st.stream>>>(n, s, chunk, T, nchunks > 1 ? st.work : nullptr, alpha, g);
    if (nchunks == 1) return launched("rowsum_add kernel");
  }
  if ((r = launched("rowsum_add kernel"))) return r;
  k_rowsum_final<<<(unsigned)(n < 4096 ? n : 4096), TPB, 0, st.stream>>>(n, nchunks, alpha, st.work, g);
  return launched("rowsum_add kernel (pass 2)");
}

/*
   The whole-block dense Euler sweeps: odyn's own kernels of cudakernels.h (narrow.cu for n <= 16: one kernel per
   sweep, sigma' recomputed in registers, so no lin; wide.cu otherwise: cuBLAS and one fused kernel per step, sigma'
   kept in lin). They run on the legacy default stream, with which this backend's blocking stream is ordered, so the
   table's copies before and after them need no extra synchronization. Their status codes become the table's.
   Every dense family takes the activation act first (backend.h), passed down to the kernels; it is checked here too
   (conv_check_act, the conv families' check), as the early returns below (s = 0) would skip the kernels' check.
*/
int kernel_status(int r, const char *op)
{
  int code;

  if (!r) return ODYN_BACKEND_OK;
  switch (r) {
  case ODYN_CUDA_ERR_ARG:
    code = ODYN_BACKEND_ERR_ARG;
    break;
  case ODYN_CUDA_ERR_NODEV:
    code = ODYN_BACKEND_ERR_NODEVICE;
    break;
  case ODYN_CUDA_ERR_ALLOC:
    code = ODYN_BACKEND_ERR_MEM;
    break;
  case ODYN_CUDA_ERR_CUBLAS:
    code = ODYN_BACKEND_ERR_BLAS;
    break;
  default:
    code = ODYN_BACKEND_ERR_DEVICE;
  }
  return fail(code, "%s: %s", op, odyn_cuda_status_string(r));
}

bool narrow(long n) { return n <= ODYN_CUDA_NARROW_MAX; }

long cuda_dense_euler_linsize(long n, long N, long s) { return narrow(n) ? 0 : N * n * s; }

int check_euler(int act, const char *op, long n, long N, long s)
{
  if (conv_check_act(op, act)) return ODYN_BACKEND_ERR_ARG;
  if (n < 1 || N < 0 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: need n >= 1, N >= 0, s >= 0, got n = %ld, N = %ld, s = %ld", op, n, N, s);
  if (n > INT_MAX || s > INT_MAX) return fail(ODYN_BACKEND_ERR_SIZE, "%s: n = %ld or s = %ld exceeds cuBLAS's int", op, n, s);
  return ensure_stream(); /* the device is selected and its stream made before the kernels run */
}

int cuda_dense_euler_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  int r;

  if ((r = check_euler(act, "dense_euler_forward", n, N, s)) || !s) return r;
  if (narrow(n)) return kernel_status(odyn_cuda_narrow_forward(act, n, N, s, h, theta, Y0, Ytraj, 1), "dense_euler_forward (narrow)");
  return kernel_status(odyn_cuda_dense_forward(act, n, N, s, h, theta, Y0, Ytraj, lin), "dense_euler_forward (cuBLAS)");
}

int cuda_dense_euler_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  int r;

  if ((r = check_euler(act, "dense_euler_tangent", n, N, s)) || !s) return r;
  /* the narrow tangent recomputes the states from Y0 = state 0 of the trajectory */
  if (narrow(n)) return kernel_status(odyn_cuda_narrow_tangent(act, n, N, s, h, theta, dtheta, Ytraj, dY0, dYN), "dense_euler_tangent (narrow)");
  return kernel_status(odyn_cuda_dense_tangent(act, n, N, s, h, theta, dtheta, Ytraj, lin, dY0, dYN), "dense_euler_tangent (cuBLAS)");
}

int cuda_dense_euler_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  int r;

  if ((r = check_euler(act, "dense_euler_adjoint", n, N, s)) || !s || (!gtheta && !gY0)) return r;
  if (narrow(n)) return kernel_status(odyn_cuda_narrow_adjoint(act, n, N, s, h, theta, Ytraj, W, gtheta, gY0), "dense_euler_adjoint (narrow)");
  return kernel_status(odyn_cuda_dense_adjoint(act, n, N, s, h, theta, Ytraj, lin, W, gtheta, gY0), "dense_euler_adjoint (cuBLAS)");
}

/* the whole-block leapfrog sweeps: the narrow kernels for n <= 16 (narrow.cu with LF: one kernel per sweep,
   sigma' recomputed, no lin), cuBLAS and fused updates above (leapfrog.cu; lin holds D_j); reversible: the narrow
   kernels for n <= 16 too (the forward writes the last two states in one sweep, the adjoint rebuilds the states in
   registers), leapfrog.cu's per-step path above */
long cuda_dense_leapfrog_linsize(long n, long N, long s) { return narrow(n) ? 0 : N * n * s; }

int cuda_dense_leapfrog_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  int r;

  if ((r = check_euler(act, "dense_leapfrog_forward", n, N, s)) || !s) return r;
  if (narrow(n)) return kernel_status(odyn_cuda_narrow_leapfrog_forward(act, n, N, s, h, theta, Y0, Ytraj, 1), "dense_leapfrog_forward (narrow)");
  return kernel_status(odyn_cuda_leapfrog_forward(act, n, N, s, h, theta, Y0, Ytraj, lin), "dense_leapfrog_forward");
}

int cuda_dense_leapfrog_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  int r;

  if ((r = check_euler(act, "dense_leapfrog_tangent", n, N, s)) || !s) return r;
  /* the narrow tangent recomputes the states from Y0 = state 0 of the trajectory */
  if (narrow(n)) return kernel_status(odyn_cuda_narrow_leapfrog_tangent(act, n, N, s, h, theta, dtheta, Ytraj, dY0, dYN), "dense_leapfrog_tangent (narrow)");
  return kernel_status(odyn_cuda_leapfrog_tangent(act, n, N, s, h, theta, dtheta, Ytraj, lin, dY0, dYN), "dense_leapfrog_tangent");
}

int cuda_dense_leapfrog_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  int r;

  if ((r = check_euler(act, "dense_leapfrog_adjoint", n, N, s)) || !s || (!gtheta && !gY0)) return r;
  if (narrow(n)) return kernel_status(odyn_cuda_narrow_leapfrog_adjoint(act, n, N, s, h, theta, Ytraj, W, gtheta, gY0), "dense_leapfrog_adjoint (narrow)");
  return kernel_status(odyn_cuda_leapfrog_adjoint(act, n, N, s, h, theta, Ytraj, lin, W, gtheta, gY0), "dense_leapfrog_adjoint");
}

int cuda_dense_leapfrog_forward_final(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1)
{
  int r;

  if ((r = check_euler(act, "dense_leapfrog_forward_final", n, N, s)) || !s) return r;
  if (narrow(n)) return kernel_status(odyn_cuda_narrow_leapfrog_forward_final(act, n, N, s, h, theta, Y0, YN, YNm1), "dense_leapfrog_forward_final (narrow)");
  return kernel_status(odyn_cuda_leapfrog_forward_final(act, n, N, s, h, theta, Y0, YN, YNm1), "dense_leapfrog_forward_final");
}

int cuda_dense_leapfrog_tangent_y0(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  int r;

  if ((r = check_euler(act, "dense_leapfrog_tangent_y0", n, N, s)) || !s) return r;
  /* the narrow tangent recomputes the states from Y0 anyway: the stored sweep's kernel is the reversible one's */
  if (narrow(n)) return kernel_status(odyn_cuda_narrow_leapfrog_tangent(act, n, N, s, h, theta, dtheta, Y0, dY0, dYN), "dense_leapfrog_tangent_y0 (narrow)");
  return kernel_status(odyn_cuda_leapfrog_tangent_y0(act, n, N, s, h, theta, dtheta, Y0, dY0, dYN), "dense_leapfrog_tangent_y0");
}

int cuda_dense_leapfrog_adjoint_reversible(int act, long n, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0)
{
  int r;

  if ((r = check_euler(act, "dense_leapfrog_adjoint_reversible", n, N, s)) || !s || (!gtheta && !gY0)) return r;
  if (narrow(n)) return kernel_status(odyn_cuda_narrow_leapfrog_adjoint_reversible(act, n, N, s, h, theta, YN, YNm1, W, gtheta, gY0), "dense_leapfrog_adjoint_reversible (narrow)");
  return kernel_status(odyn_cuda_leapfrog_adjoint_reversible(act, n, N, s, h, theta, YN, YNm1, W, gtheta, gY0), "dense_leapfrog_adjoint_reversible");
}

/*
   The whole-block Verlet sweeps: the narrow kernels of verlet.cu (n, m <= ODYN_CUDA_NARROW_MAX, one kernel per
   sweep, sigma' recomputed in registers, so no lin); wider blocks the cuBLAS path of verletwide.cu (per step and face
   one DGEMM and one fused pass; lin keeps sigma' of both faces, N (n + m) s).
*/
bool narrow_pair(long n, long m) { return n >= 1 && m >= 1 && n <= ODYN_CUDA_NARROW_MAX && m <= ODYN_CUDA_NARROW_MAX; }

long cuda_dense_verlet_linsize(long n, long m, long N, long s) { return n < 1 || m < 1 ? -1 : narrow_pair(n, m) ? 0 : N * (n + m) * s; }

/* the activation and the sizes of a block of two widths n and m (Verlet's Z, the parabolic layer's rows of K); cublas:
   its sweeps pass n, m and n m + m to cuBLAS's int */
int check_two_widths(int act, const char *op, long n, long m, long N, long s, bool cublas)
{
  if (conv_check_act(op, act)) return ODYN_BACKEND_ERR_ARG;
  if (n < 1 || m < 1 || N < 0 || s < 0) return fail(ODYN_BACKEND_ERR_SIZE, "%s: need n >= 1, m >= 1, N >= 0, s >= 0, got n = %ld, m = %ld, N = %ld, s = %ld", op, n, m, N, s);
  if (cublas && (n > INT_MAX || m > INT_MAX || n * m + m > INT_MAX)) return fail(ODYN_BACKEND_ERR_SIZE, "%s: n = %ld, m = %ld exceed cuBLAS's int", op, n, m);
  if (s > INT_MAX) return fail(ODYN_BACKEND_ERR_SIZE, "%s: s = %ld exceeds the kernels' int", op, s);
  return ensure_stream();
}

int check_verlet(int act, const char *op, long n, long m, long N, long s) { return check_two_widths(act, op, n, m, N, s, !narrow_pair(n, m)); }

int cuda_dense_verlet_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin)
{
  int r;

  if ((r = check_verlet(act, "dense_verlet_forward", n, m, N, s)) || !s) return r;
  if (!narrow_pair(n, m)) return kernel_status(odyn_cuda_verlet_wide_forward(act, n, m, N, s, h, theta, Y0, Ytraj, Ztraj, lin), "dense_verlet_forward (wide)");
  return kernel_status(odyn_cuda_verlet_forward(act, n, m, N, s, h, theta, Y0, Ytraj, Ztraj), "dense_verlet_forward");
}

int cuda_dense_verlet_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, const double *lin, const double *dY0, double *dYN)
{
  int r;

  if ((r = check_verlet(act, "dense_verlet_tangent", n, m, N, s)) || !s) return r;
  if (!narrow_pair(n, m)) return kernel_status(odyn_cuda_verlet_wide_tangent(act, n, m, N, s, h, theta, dtheta, Ytraj, Ztraj, lin, dY0, dYN), "dense_verlet_tangent (wide)");
  /* the kernel recomputes the states from Y0 = state 0 of the trajectory */
  return kernel_status(odyn_cuda_verlet_tangent(act, n, m, N, s, h, theta, dtheta, Ytraj, dY0, dYN), "dense_verlet_tangent");
}

int cuda_dense_verlet_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  int r;

  if ((r = check_verlet(act, "dense_verlet_adjoint", n, m, N, s)) || !s || (!gtheta && !gY0)) return r;
  if (!narrow_pair(n, m)) return kernel_status(odyn_cuda_verlet_wide_adjoint(act, n, m, N, s, h, theta, Ytraj, Ztraj, lin, W, gtheta, gY0), "dense_verlet_adjoint (wide)");
  return kernel_status(odyn_cuda_verlet_adjoint(act, n, m, N, s, h, theta, Ytraj, Ztraj, W, gtheta, gY0), "dense_verlet_adjoint");
}

/* the reversible pair (states recomputed, memory flat in N): forward_final keeps Y_N and Z_{N-1/2}, the tangent
   recomputes forward from Y0 (the same kernel as above), the adjoint rebuilds the states backwards from the pair */
int cuda_dense_verlet_forward_final(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN)
{
  int r;

  if ((r = check_verlet(act, "dense_verlet_forward_final", n, m, N, s)) || !s) return r;
  if (!narrow_pair(n, m)) return kernel_status(odyn_cuda_verlet_wide_forward_final(act, n, m, N, s, h, theta, Y0, YN, ZN), "dense_verlet_forward_final (wide)");
  return kernel_status(odyn_cuda_verlet_forward_final(act, n, m, N, s, h, theta, Y0, YN, ZN), "dense_verlet_forward_final");
}

int cuda_dense_verlet_tangent_y0(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  int r;

  if ((r = check_verlet(act, "dense_verlet_tangent_y0", n, m, N, s)) || !s) return r;
  if (!narrow_pair(n, m)) return kernel_status(odyn_cuda_verlet_wide_tangent_y0(act, n, m, N, s, h, theta, dtheta, Y0, dY0, dYN), "dense_verlet_tangent_y0 (wide)");
  return kernel_status(odyn_cuda_verlet_tangent(act, n, m, N, s, h, theta, dtheta, Y0, dY0, dYN), "dense_verlet_tangent_y0");
}

int cuda_dense_verlet_adjoint_reversible(int act, long n, long m, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0)
{
  int r;

  if ((r = check_verlet(act, "dense_verlet_adjoint_reversible", n, m, N, s)) || !s || (!gtheta && !gY0)) return r;
  if (gY0 && (gY0 == YN || gY0 == ZN)) return fail(ODYN_BACKEND_ERR_ARG, "dense_verlet_adjoint_reversible: gY0 must not alias YN or ZN");
  if (!narrow_pair(n, m)) return kernel_status(odyn_cuda_verlet_wide_adjoint_reversible(act, n, m, N, s, h, theta, YN, ZN, W, gtheta, gY0), "dense_verlet_adjoint_reversible (wide)");
  return kernel_status(odyn_cuda_verlet_adjoint_reversible(act, n, m, N, s, h, theta, YN, ZN, W, gtheta, gY0, NULL), "dense_verlet_adjoint_reversible");
}

/* the parabolic sweeps: n, m <= 16 one kernel per sweep (parabolicnarrow.cu: sigma and sigma' recomputed from the
   states, so no lin), wider blocks per step cuBLAS DGEMMs and one fused pass (parabolic.cu; lin keeps sigma and
   sigma', 2 N m s) */
long cuda_dense_parabolic_linsize(long n, long m, long N, long s) { return n < 1 || m < 1 ? -1 : narrow_pair(n, m) ? 0 : 2 * N * m * s; }

int check_parabolic(int act, const char *op, long n, long m, long N, long s) { return check_two_widths(act, op, n, m, N, s, !narrow_pair(n, m)); }

int cuda_dense_parabolic_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin)
{
  int r;

  if ((r = check_parabolic(act, "dense_parabolic_forward", n, m, N, s)) || !s) return r;
  if (narrow_pair(n, m)) return kernel_status(odyn_cuda_parabolic_narrow_forward(act, n, m, N, s, h, theta, Y0, Ytraj), "dense_parabolic_forward (narrow)");
  return kernel_status(odyn_cuda_parabolic_forward(act, n, m, N, s, h, theta, Y0, Ytraj, lin), "dense_parabolic_forward (cuBLAS)");
}

int cuda_dense_parabolic_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN)
{
  int r;

  if ((r = check_parabolic(act, "dense_parabolic_tangent", n, m, N, s)) || !s) return r;
  /* the narrow tangent recomputes the states from Y0 = state 0 of the trajectory */
  if (narrow_pair(n, m)) return kernel_status(odyn_cuda_parabolic_narrow_tangent(act, n, m, N, s, h, theta, dtheta, Ytraj, dY0, dYN), "dense_parabolic_tangent (narrow)");
  return kernel_status(odyn_cuda_parabolic_tangent(act, n, m, N, s, h, theta, dtheta, Ytraj, lin, dY0, dYN), "dense_parabolic_tangent (cuBLAS)");
}

int cuda_dense_parabolic_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0)
{
  int r;

  if ((r = check_parabolic(act, "dense_parabolic_adjoint", n, m, N, s)) || !s || (!gtheta && !gY0)) return r;
  if (narrow_pair(n, m)) return kernel_status(odyn_cuda_parabolic_narrow_adjoint(act, n, m, N, s, h, theta, Ytraj, W, gtheta, gY0), "dense_parabolic_adjoint (narrow)");
  return kernel_status(odyn_cuda_parabolic_adjoint(act, n, m, N, s, h, theta, Ytraj, lin, W, gtheta, gY0), "dense_parabolic_adjoint (cuBLAS)");
}

} // namespace odyn_cudabackend

using namespace odyn_cudabackend;

extern "C" void *odyn_cuda_stream(void) { return ensure_stream() ? nullptr : (void *)st.stream; }

extern "C" const OdynBackendOps *odyn_backend_cuda(void)
{
  static OdynBackendOps ops;

  if (!ops.name) {
    ops.init                 = cuda_init;
    ops.finalize             = cuda_finalize;
    ops.last_error           = cuda_last_error;
    ops.mem_alloc            = cuda_mem_alloc;
    ops.mem_free             = cuda_mem_free;
    ops.mem_set              = cuda_mem_set;
    ops.copy_to_device       = cuda_copy_to_device;
    ops.copy_to_host         = cuda_copy_to_host;
    ops.copy_device          = cuda_copy_device;
    ops.synchronize          = cuda_synchronize;
    ops.gemm                 = cuda_gemm;
    ops.gemm_strided_batched = cuda_gemm_strided_batched;
    ops.bias_act             = cuda_bias_act;
    ops.scaled_hadamard_add  = cuda_scaled_hadamard_add;
    ops.hadamard_inplace     = cuda_hadamard_inplace;
    ops.rowsum_add           = cuda_rowsum_add;
    ops.add_bias             = cuda_add_bias;
    ops.axpy                 = cuda_axpy;
    ops.axpby                = cuda_axpby;
    ops.sum                  = cuda_sum;
    ops.dot                  = cuda_dot;
    ops.loss_value           = cuda_loss_value;
    ops.loss_hessmult        = cuda_loss_hessmult;
    ops.dense_euler_linsize   = cuda_dense_euler_linsize;
    ops.dense_euler_forward   = cuda_dense_euler_forward;
    ops.dense_euler_tangent   = cuda_dense_euler_tangent;
    ops.dense_euler_adjoint   = cuda_dense_euler_adjoint;
    ops.dense_parabolic_linsize = cuda_dense_parabolic_linsize;
    ops.dense_parabolic_forward = cuda_dense_parabolic_forward;
    ops.dense_parabolic_tangent = cuda_dense_parabolic_tangent;
    ops.dense_parabolic_adjoint = cuda_dense_parabolic_adjoint;
    ops.dense_leapfrog_linsize = cuda_dense_leapfrog_linsize;
    ops.dense_leapfrog_forward = cuda_dense_leapfrog_forward;
    ops.dense_leapfrog_tangent = cuda_dense_leapfrog_tangent;
    ops.dense_leapfrog_adjoint = cuda_dense_leapfrog_adjoint;
    ops.dense_leapfrog_forward_final      = cuda_dense_leapfrog_forward_final;
    ops.dense_leapfrog_tangent_y0         = cuda_dense_leapfrog_tangent_y0;
    ops.dense_leapfrog_adjoint_reversible = cuda_dense_leapfrog_adjoint_reversible;
    ops.dense_verlet_linsize  = cuda_dense_verlet_linsize;
    ops.dense_verlet_forward  = cuda_dense_verlet_forward;
    ops.dense_verlet_tangent  = cuda_dense_verlet_tangent;
    ops.dense_verlet_adjoint  = cuda_dense_verlet_adjoint;
    ops.dense_verlet_forward_final      = cuda_dense_verlet_forward_final;
    ops.dense_verlet_tangent_y0         = cuda_dense_verlet_tangent_y0;
    ops.dense_verlet_adjoint_reversible = cuda_dense_verlet_adjoint_reversible;
    ops.conv_euler_linsize = cuda_conv_euler_linsize;
    ops.conv_euler_forward = cuda_conv_euler_forward;
    ops.conv_euler_tangent = cuda_conv_euler_tangent;
    ops.conv_euler_adjoint = cuda_conv_euler_adjoint;
    ops.conv_single_linsize       = cuda_conv_single_linsize;
    ops.conv_single_forward       = cuda_conv_single_forward;
    ops.conv_single_tangent       = cuda_conv_single_tangent;
    ops.conv_single_adjoint       = cuda_conv_single_adjoint;
    ops.conv_verlet_linsize = cuda_conv_verlet_linsize;
    ops.conv_verlet_forward = cuda_conv_verlet_forward;
    ops.conv_verlet_tangent = cuda_conv_verlet_tangent;
    ops.conv_verlet_adjoint = cuda_conv_verlet_adjoint;
    ops.conv_verlet_revsize             = cuda_conv_verlet_revsize;
    ops.conv_verlet_forward_final       = cuda_conv_verlet_forward_final;
    ops.conv_verlet_tangent_y0          = cuda_conv_verlet_tangent_y0;
    ops.conv_verlet_adjoint_reversible  = cuda_conv_verlet_adjoint_reversible;
    ops.conv_parabolic_linsize = cuda_conv_parabolic_linsize;
    ops.conv_parabolic_forward = cuda_conv_parabolic_forward;
    ops.conv_parabolic_tangent = cuda_conv_parabolic_tangent;
    ops.conv_parabolic_adjoint = cuda_conv_parabolic_adjoint;
    ops.conv_leapfrog_linsize  = cuda_conv_leapfrog_linsize;
    ops.conv_leapfrog_forward  = cuda_conv_leapfrog_forward;
    ops.conv_leapfrog_tangent  = cuda_conv_leapfrog_tangent;
    ops.conv_leapfrog_adjoint  = cuda_conv_leapfrog_adjoint;
    ops.conv_leapfrog_revsize            = cuda_conv_leapfrog_revsize;
    ops.conv_leapfrog_forward_final      = cuda_conv_leapfrog_forward_final;
    ops.conv_leapfrog_tangent_y0         = cuda_conv_leapfrog_tangent_y0;
    ops.conv_leapfrog_adjoint_reversible = cuda_conv_leapfrog_adjoint_reversible;
    ops.name                 = "cuda";
  }
  return &ops;
}
