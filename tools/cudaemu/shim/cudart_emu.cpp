// tools/cudaemu/shim/cudart_emu.cpp: the CPU implementation of shim/cuda_runtime.h and shim/cublas_v2.h, and the fiber
// scheduler of fiberemu.h. Linked into the emulated libodyn_cuda.so by run-backend-emu.sh. Anything the device would
// reject with an error returns that error; anything that would be undefined on the device (a copy or a GEMM reaching
// outside a device allocation, a host pointer where a device one belongs, a barrier no thread can pass) prints
// "cudaemu:" and aborts, so that the test fails loudly where a GPU might only give wrong numbers.
#include "cuda_runtime.h"
#include "cublas_v2.h"
#include <cblas.h>
#include <map>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

// ---------------------------------------------------------------------------------------------------------------
// device state
static cudaError_t                      last_error = cudaSuccess;
static std::map<uintptr_t, size_t>      allocs;      // start -> bytes (device allocations)
static std::map<uintptr_t, size_t>      maps;        // start -> mapped bytes (for munmap)
static std::map<const void *, int>      func_smem;   // kernel -> cudaFuncAttributeMaxDynamicSharedMemorySize
static size_t                           used_bytes = 0;
static const int                        SMS = 132, SMEM_DEFAULT = 48 * 1024, SMEM_OPTIN = 227 * 1024, SMEM_SM = 228 * 1024;

static cudaError_t set_error(cudaError_t e)
{
  if (e != cudaSuccess) last_error = e;
  return e;
}
[[noreturn]] static void die(const char *fmt, const char *a, const void *p, size_t n)
{
  fprintf(stderr, "cudaemu: ");
  fprintf(stderr, fmt, a, p, n);
  fprintf(stderr, "\n");
  fflush(stderr);
  abort();
}
static size_t mem_limit(void)
{
  const char *e = getenv("ODYN_CUDAEMU_MEM_GIB");
  double      g = e ? atof(e) : 139.0;
  return (size_t)(g * 1073741824.0);
}
// the allocation holding [p, p + bytes), or none
static bool in_device(const void *p, size_t bytes)
{
  auto it = allocs.upper_bound((uintptr_t)p);
  if (it == allocs.begin()) return false;
  --it;
  return (uintptr_t)p >= it->first && (uintptr_t)p + bytes <= it->first + it->second;
}
static bool touches_device(const void *p)
{
  auto it = allocs.upper_bound((uintptr_t)p);
  if (it == allocs.begin()) return false;
  --it;
  return (uintptr_t)p < it->first + it->second;
}
extern "C" void odyn_cudaemu_check_device(const void *p, size_t bytes, const char *what)
{
  if (!bytes) return;
  if (!in_device(p, bytes)) die("%s: %p + %zu bytes is not inside one device allocation", what, p, bytes);
}
static void check_host(const void *p, const char *what)
{
  if (touches_device(p)) die("%s: %p is device memory where a host pointer belongs (%zu)", what, p, 0);
}

extern "C" {
cudaError_t cudaGetDeviceCount(int *count)
{
  *count = getenv("ODYN_CUDAEMU_NODEVICE") ? 0 : 1;
  return *count ? cudaSuccess : set_error(cudaErrorNoDevice);
}
cudaError_t cudaGetDevice(int *dev) { *dev = 0; return cudaSuccess; }
cudaError_t cudaSetDevice(int dev) { return dev == 0 ? cudaSuccess : set_error(cudaErrorInvalidDevice); }
cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr attr, int dev)
{
  if (dev != 0) return set_error(cudaErrorInvalidDevice);
  switch (attr) {
  case cudaDevAttrMaxThreadsPerBlock: *v = 1024; break;
  case cudaDevAttrMaxSharedMemoryPerBlock: *v = SMEM_DEFAULT; break;
  case cudaDevAttrMultiProcessorCount: *v = SMS; break;
  case cudaDevAttrMaxThreadsPerMultiProcessor: *v = 2048; break;
  case cudaDevAttrMaxSharedMemoryPerMultiprocessor: *v = SMEM_SM; break;
  case cudaDevAttrMaxSharedMemoryPerBlockOptin: *v = SMEM_OPTIN; break;
  default: return set_error(cudaErrorInvalidValue);
  }
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }
cudaError_t cudaGetLastError(void)
{
  cudaError_t e = last_error;
  last_error    = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError(void) { return last_error; }
const char *cudaGetErrorName(cudaError_t e)
{
  switch (e) {
  case cudaSuccess: return "cudaSuccess";
  case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
  case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
  case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
  case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
  case cudaErrorNoDevice: return "cudaErrorNoDevice";
  case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
  case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
  default: return "cudaErrorUnknown";
  }
}
const char *cudaGetErrorString(cudaError_t e)
{
  switch (e) {
  case cudaSuccess: return "no error";
  case cudaErrorInvalidValue: return "invalid argument";
  case cudaErrorMemoryAllocation: return "out of memory";
  case cudaErrorInvalidConfiguration: return "invalid configuration argument";
  case cudaErrorInvalidDevicePointer: return "invalid device pointer";
  case cudaErrorNoDevice: return "no CUDA-capable device is detected";
  case cudaErrorInvalidDevice: return "invalid device ordinal";
  case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
  default: return "unknown error";
  }
}
// each allocation: 256-byte aligned (as cudaMalloc), its end as close as alignment allows to a PROT_NONE page
cudaError_t cudaMalloc(void **p, size_t bytes)
{
  *p = nullptr;
  if (!bytes) return cudaSuccess;
  const size_t pg = (size_t)sysconf(_SC_PAGESIZE), rounded = (bytes + 255) / 256 * 256;
  if (bytes > mem_limit() || used_bytes + rounded > mem_limit()) return set_error(cudaErrorMemoryAllocation);
  const size_t pages = (rounded + pg - 1) / pg * pg, total = pages + pg;
  void        *m     = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return set_error(cudaErrorMemoryAllocation);
  mprotect((char *)m + pages, pg, PROT_NONE);
  char *d = (char *)m + pages - rounded;
  // fresh device memory holds garbage: NaNs show reads of what was never written
  for (size_t i = 0; i + 8 <= rounded; i += 8) memcpy(d + i, "\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
  allocs[(uintptr_t)d] = bytes;
  maps[(uintptr_t)d]   = total;
  used_bytes += rounded;
  *p = d;
  return cudaSuccess;
}
cudaError_t cudaFree(void *p)
{
  if (!p) return cudaSuccess;
  auto it = allocs.find((uintptr_t)p);
  if (it == allocs.end()) return set_error(cudaErrorInvalidDevicePointer);
  const size_t pg = (size_t)sysconf(_SC_PAGESIZE), rounded = (it->second + 255) / 256 * 256, total = maps[(uintptr_t)p];
  munmap((char *)p + rounded + pg - total, total);
  used_bytes -= rounded;
  allocs.erase(it);
  maps.erase((uintptr_t)p);
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t *freeb, size_t *total)
{
  *total = mem_limit();
  *freeb = *total - used_bytes;
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t)
{
  if (!bytes) return cudaSuccess;
  switch (kind) {
  case cudaMemcpyHostToDevice: check_host(src, "cudaMemcpy HostToDevice source"); odyn_cudaemu_check_device(dst, bytes, "cudaMemcpy HostToDevice destination"); break;
  case cudaMemcpyDeviceToHost: odyn_cudaemu_check_device(src, bytes, "cudaMemcpy DeviceToHost source"); check_host(dst, "cudaMemcpy DeviceToHost destination"); break;
  case cudaMemcpyDeviceToDevice: odyn_cudaemu_check_device(src, bytes, "cudaMemcpy DeviceToDevice source"); odyn_cudaemu_check_device(dst, bytes, "cudaMemcpy DeviceToDevice destination"); break;
  default: return set_error(cudaErrorInvalidMemcpyDirection);
  }
  if ((const char *)dst < (const char *)src + bytes && (const char *)src < (const char *)dst + bytes && dst != src) die("cudaMemcpy: %s overlapping ranges %p, %zu bytes", "", dst, bytes);
  memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) { return cudaMemcpyAsync(dst, src, bytes, kind, nullptr); }
cudaError_t cudaMemsetAsync(void *p, int v, size_t bytes, cudaStream_t)
{
  odyn_cudaemu_check_device(p, bytes, "cudaMemset");
  memset(p, v, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemset(void *p, int v, size_t bytes) { return cudaMemsetAsync(p, v, bytes, nullptr); }
static int streams_alive = 0;
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned)
{
  *s = (cudaStream_t)malloc(16);
  streams_alive++;
  return cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t *s) { return cudaStreamCreateWithFlags(s, 0); }
cudaError_t cudaStreamDestroy(cudaStream_t s)
{
  if (!s) return set_error(cudaErrorInvalidResourceHandle);
  free(s);
  streams_alive--;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

cudaError_t odyn_cudaemu_func_set_attribute(const void *k, cudaFuncAttribute attr, int value)
{
  if (attr == cudaFuncAttributeMaxDynamicSharedMemorySize) {
    if (value < 0 || value > SMEM_OPTIN) return set_error(cudaErrorInvalidValue);
    func_smem[k] = value;
  } else if (attr == cudaFuncAttributePreferredSharedMemoryCarveout) {
    if (value < -1 || value > 100) return set_error(cudaErrorInvalidValue);
  } else return set_error(cudaErrorInvalidValue);
  return cudaSuccess;
}
// the occupancy by threads and shared memory alone (registers are not known here): at most 32 blocks, 2048 threads,
// 228 KiB of shared memory per SM with 1 KiB reserved per block
cudaError_t odyn_cudaemu_occupancy(int *nb, const void *k, int block, size_t smem)
{
  (void)k;
  if (block <= 0 || block > 1024) return set_error(cudaErrorInvalidValue);
  int n = std::min(32, 2048 / block);
  if (smem) n = std::min(n, (int)(SMEM_SM / (smem + 1024)));
  *nb = n;
  return cudaSuccess;
}
cudaError_t odyn_cudaemu_memcpy_symbol(void *sym, size_t symbytes, const void *src, size_t bytes, size_t offset, cudaMemcpyKind kind)
{
  if (offset + bytes > symbytes) return set_error(cudaErrorInvalidValue);
  if (kind == cudaMemcpyDeviceToDevice) odyn_cudaemu_check_device(src, bytes, "cudaMemcpyToSymbol source");
  else if (kind == cudaMemcpyHostToDevice) check_host(src, "cudaMemcpyToSymbol source");
  else return set_error(cudaErrorInvalidMemcpyDirection);
  memcpy((char *)sym + offset, src, bytes);
  return cudaSuccess;
}
void odyn_cudaemu_poison(void *p, size_t bytes)
{
  for (size_t i = 0; i + 8 <= bytes; i += 8) memcpy((char *)p + i, "\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
}

// ---------------------------------------------------------------------------------------------------------------
// launches

// a fault inside a kernel (device memory past an allocation's end, shared memory past the launch's bytes) names the
// kernel, block and thread before the process dies (on its own stack: the fault may be a fiber's stack overflow)
static void on_fault(int sig, siginfo_t *si, void *)
{
  char msg[512];
  int  len = snprintf(msg, sizeof(msg), "cudaemu: signal %d at address %p in kernel %s, block (%u %u %u), thread (%u %u %u) (device memory past an allocation, shared memory past the launch's bytes, or a fiber stack overflow)\n", sig, si->si_addr, emu_S.kernel ? emu_S.kernel : "?", blockIdx.x,
                      blockIdx.y, blockIdx.z, threadIdx.x, threadIdx.y, threadIdx.z);
  if (emu_S.body && len > 0) (void)!write(2, msg, (size_t)len);
  signal(sig, SIG_DFL);
  raise(sig);
}
static void install_fault_handler(void)
{
  static bool done = false;
  if (done) return;
  done = true;
  static char      altstack[64 * 1024];
  stack_t          ss = {};
  struct sigaction sa = {};
  ss.ss_sp            = altstack;
  ss.ss_size          = sizeof(altstack);
  sigaltstack(&ss, nullptr);
  sa.sa_sigaction = on_fault;
  sa.sa_flags     = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
}
int odyn_cudaemu_launch_check(const void *k, const char *name, dim3 g, dim3 b, size_t smem)
{
  emu_state *S = &emu_S;
  const unsigned long threads = (unsigned long)b.x * b.y * b.z;
  if (!g.x || !g.y || !g.z || !b.x || !b.y || !b.z || threads > 1024 || b.z > 64 || g.x > 2147483647u || g.y > 65535 || g.z > 65535) {
    if (getenv("ODYN_CUDAEMU_VERBOSE")) fprintf(stderr, "cudaemu: launch of %s: grid (%u %u %u) block (%u %u %u): invalid configuration\n", name, g.x, g.y, g.z, b.x, b.y, b.z);
    set_error(cudaErrorInvalidConfiguration);
    return 1;
  }
  auto   it    = func_smem.find(k);
  size_t limit = it != func_smem.end() && it->second > SMEM_DEFAULT ? (size_t)it->second : (size_t)SMEM_DEFAULT;
  if (smem > limit) {
    if (getenv("ODYN_CUDAEMU_VERBOSE")) fprintf(stderr, "cudaemu: launch of %s: %zu bytes of dynamic shared memory, %zu allowed\n", name, smem, limit);
    set_error(cudaErrorInvalidValue);
    return 1;
  }
  blockDim = b;
  gridDim  = g;
  install_fault_handler();
  // the block's dynamic shared memory ends where an inaccessible page begins: a kernel that reaches past the bytes
  // it was launched with faults there (16-byte alignment, as extern __shared__ __align__(16) asks)
  const size_t want = (smem + 15) / 16 * 16;
  if (want != S->dynbytes || !S->dynsmem) {
    static char  *map   = nullptr;
    static size_t mapsz = 0;
    const size_t  pg    = (size_t)sysconf(_SC_PAGESIZE), pages = (want + pg - 1) / pg * pg;
    if (map) munmap(map, mapsz);
    mapsz = pages + pg;
    map   = (char *)mmap(nullptr, mapsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) die("%s: no memory for %p %zu bytes of shared memory", name, nullptr, smem);
    mprotect(map + pages, pg, PROT_NONE);
    S->dynsmem  = map + pages - want;
    S->dynbytes = want;
  }
  return 0;
}

// fibers: x86-64 System V, the callee-saved registers on the stack, then the stack pointer swapped (not MXCSR and the
// x87 control word: nothing here changes the rounding mode, and restoring them made the switch twice as slow)
extern "C" void odyn_cudaemu_switch(void **save_sp, void *to_sp);
asm(R"(
.text
.globl odyn_cudaemu_switch
.type odyn_cudaemu_switch,@function
odyn_cudaemu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size odyn_cudaemu_switch, .-odyn_cudaemu_switch
)");

static const size_t STACK = 256 * 1024;

static void fiber_exit_bookkeeping(emu_state *S)
{
  const int w = S->cur / 32;
  S->fibers[S->cur]->state = 0;
  S->alive--;
  S->warp_alive[w]--;
  if (S->blk_arrived > 0 && S->blk_arrived == S->alive) { // the others wait for the live threads only
    for (int t = 0; t < S->nthreads; t++)
      if (S->fibers[t]->state == 2) S->fibers[t]->state = 1;
    S->blk_arrived = 0;
  }
  if (S->warp_arrived[w] > 0 && S->warp_arrived[w] == S->warp_alive[w]) {
    for (int t = w * 32; t < S->nthreads && t < w * 32 + 32; t++)
      if (S->fibers[t]->state == 3) S->fibers[t]->state = 1;
    S->warp_arrived[w] = 0;
  }
}
// every fiber runs this forever: one CUDA thread per turn, then back to the scheduler
static void fiber_main(void)
{
  emu_state *S = &emu_S;
  for (;;) {
    S->body(S->ctx);
    if (!S->fibers[S->cur]->pending.empty()) S->fibers[S->cur]->pending.clear(); // never waited for: never landed
    fiber_exit_bookkeeping(S);
    odyn_cudaemu_switch(&S->fibers[S->cur]->sp, S->sched_sp);
  }
}
static emu_fiber *new_fiber(void)
{
  emu_fiber *f = new emu_fiber;
  f->stack     = (char *)mmap(nullptr, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (f->stack == MAP_FAILED) die("%s: no memory for a fiber stack (%p, %zu)", "", nullptr, STACK);
  mprotect(f->stack, 4096, PROT_NONE); // a stack overflow faults
  uintptr_t top = ((uintptr_t)f->stack + STACK) & ~(uintptr_t)15;
  uint64_t *sp  = (uint64_t *)top;
  *--sp         = 0;                        // fiber_main's (absent) return address: rsp = 8 mod 16 at its entry
  *--sp         = (uint64_t)(uintptr_t)fiber_main;
  for (int i = 0; i < 6; i++) *--sp = 0;     // rbp rbx r12 .. r15
  f->sp = sp;
  return f;
}
void odyn_cudaemu_yield(void)
{
  emu_state *S = &emu_S;
  odyn_cudaemu_switch(&S->fibers[S->cur]->sp, S->sched_sp);
}
void odyn_cudaemu_run_block(void)
{
  emu_state *S = &emu_S;
  const int  n = (int)(blockDim.x * blockDim.y * blockDim.z), nw = (n + 31) / 32;
  while ((int)S->fibers.size() < n) S->fibers.push_back(new_fiber());
  S->nthreads = n;
  S->alive    = n;
  S->blk_arrived = 0;
  S->warp_alive.assign(nw, 0);
  S->warp_arrived.assign(nw, 0);
  S->xbuf.assign(n, 0);
  for (int t = 0; t < n; t++) {
    emu_fiber *f = S->fibers[t];
    f->state     = 1;
    f->tid       = uint3{(unsigned)(t % blockDim.x), (unsigned)((t / blockDim.x) % blockDim.y), (unsigned)(t / (blockDim.x * blockDim.y))};
    S->warp_alive[t / 32]++;
  }
  odyn_cudaemu_poison(S->dynsmem, S->dynbytes);
  while (S->alive > 0) {
    bool ran = false;
    for (int t = 0; t < n; t++) {
      emu_fiber *f = S->fibers[t];
      if (f->state != 1) continue;
      S->cur    = t;
      threadIdx = f->tid;
      ran       = true;
      odyn_cudaemu_switch(&S->sched_sp, f->sp);
    }
    if (!ran) {
      int wb = 0, ww = 0;
      for (int t = 0; t < n; t++) wb += S->fibers[t]->state == 2, ww += S->fibers[t]->state == 3;
      fprintf(stderr, "cudaemu: kernel %s, block (%u %u %u): deadlock: %d threads at __syncthreads, %d at a warp barrier, %d alive of %d\n", S->kernel, blockIdx.x, blockIdx.y, blockIdx.z, wb, ww, S->alive, n);
      abort();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// cuBLAS
struct cublasContext { int magic; };
cublasStatus_t cublasCreate(cublasHandle_t *h)
{
  *h = new cublasContext{0x0b1a5};
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t h)
{
  if (!h || h->magic != 0x0b1a5) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->magic = 0;
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t) { return h && h->magic == 0x0b1a5 ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED; }
const char    *cublasGetStatusString(cublasStatus_t s)
{
  switch (s) {
  case CUBLAS_STATUS_SUCCESS: return "the operation completed successfully";
  case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
  case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
  case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
  default: return "an unknown internal error has occurred";
  }
}
static void check_matrix(const double *A, int rows, int cols, int ld, const char *what)
{
  if (rows > 0 && cols > 0) odyn_cudaemu_check_device(A, ((size_t)ld * (cols - 1) + rows) * sizeof(double), what);
}
static cublasStatus_t gemm_check(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const double *alpha, int lda, int ldb, int ldc, const double *beta)
{
  if (!h || h->magic != 0x0b1a5) return CUBLAS_STATUS_NOT_INITIALIZED;
  if ((ta != CUBLAS_OP_N && ta != CUBLAS_OP_T) || (tb != CUBLAS_OP_N && tb != CUBLAS_OP_T) || m < 0 || n < 0 || k < 0) return CUBLAS_STATUS_INVALID_VALUE;
  if (lda < std::max(1, ta == CUBLAS_OP_N ? m : k) || ldb < std::max(1, tb == CUBLAS_OP_N ? k : n) || ldc < std::max(1, m)) return CUBLAS_STATUS_INVALID_VALUE;
  check_host(alpha, "cuBLAS alpha (pointer mode host)");
  check_host(beta, "cuBLAS beta (pointer mode host)");
  return CUBLAS_STATUS_SUCCESS;
}
static void gemm_run(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, double alpha, const double *A, int lda, const double *B, int ldb, double beta, double *C, int ldc)
{
  check_matrix(A, ta == CUBLAS_OP_N ? m : k, ta == CUBLAS_OP_N ? k : m, lda, "cublasDgemm A");
  check_matrix(B, tb == CUBLAS_OP_N ? k : n, tb == CUBLAS_OP_N ? n : k, ldb, "cublasDgemm B");
  check_matrix(C, m, n, ldc, "cublasDgemm C");
  if (k == 0 || alpha == 0.0) { // cuBLAS scales C by beta (beta = 0 overwrites, even NaNs)
    for (int j = 0; j < n; j++)
      for (int i = 0; i < m; i++) C[i + (size_t)j * ldc] = beta == 0.0 ? 0.0 : beta * C[i + (size_t)j * ldc];
    return;
  }
  if (beta == 0.0)
    for (int j = 0; j < n; j++)
      for (int i = 0; i < m; i++) C[i + (size_t)j * ldc] = 0.0; // BLAS semantics: C is not read when beta = 0
  cblas_dgemm(CblasColMajor, ta == CUBLAS_OP_N ? CblasNoTrans : CblasTrans, tb == CUBLAS_OP_N ? CblasNoTrans : CblasTrans, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
cublasStatus_t cublasDgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const double *alpha, const double *A, int lda, const double *B, int ldb, const double *beta, double *C, int ldc)
{
  cublasStatus_t s = gemm_check(h, ta, tb, m, n, k, alpha, lda, ldb, ldc, beta);
  if (s) return s;
  if (m && n) gemm_run(ta, tb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const double *alpha, const double *A, int lda, long long sA, const double *B, int ldb, long long sB, const double *beta, double *C, int ldc, long long sC, int batch)
{
  cublasStatus_t s = gemm_check(h, ta, tb, m, n, k, alpha, lda, ldb, ldc, beta);
  if (s) return s;
  if (batch < 0) return CUBLAS_STATUS_INVALID_VALUE;
  if (m && n)
    for (int b = 0; b < batch; b++) gemm_run(ta, tb, m, n, k, *alpha, A + b * sA, lda, B + b * sB, ldb, *beta, C + b * sC, ldc);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDgemv(cublasHandle_t h, cublasOperation_t t, int m, int n, const double *alpha, const double *A, int lda, const double *x, int incx, const double *beta, double *y, int incy)
{
  if (!h || h->magic != 0x0b1a5) return CUBLAS_STATUS_NOT_INITIALIZED;
  if ((t != CUBLAS_OP_N && t != CUBLAS_OP_T) || m < 0 || n < 0 || lda < std::max(1, m) || incx == 0 || incy == 0) return CUBLAS_STATUS_INVALID_VALUE;
  check_host(alpha, "cuBLAS alpha (pointer mode host)");
  check_host(beta, "cuBLAS beta (pointer mode host)");
  if (!m || !n) return CUBLAS_STATUS_SUCCESS;
  const int lx = t == CUBLAS_OP_N ? n : m, ly = t == CUBLAS_OP_N ? m : n;
  check_matrix(A, m, n, lda, "cublasDgemv A");
  odyn_cudaemu_check_device(x, ((size_t)(lx - 1) * std::abs(incx) + 1) * sizeof(double), "cublasDgemv x");
  odyn_cudaemu_check_device(y, ((size_t)(ly - 1) * std::abs(incy) + 1) * sizeof(double), "cublasDgemv y");
  if (*beta == 0.0)
    for (int i = 0; i < ly; i++) y[(size_t)i * std::abs(incy)] = 0.0;
  cblas_dgemv(CblasColMajor, t == CUBLAS_OP_N ? CblasNoTrans : CblasTrans, m, n, *alpha, A, lda, x, incx, *beta, y, incy);
  return CUBLAS_STATUS_SUCCESS;
}
} // extern "C"
