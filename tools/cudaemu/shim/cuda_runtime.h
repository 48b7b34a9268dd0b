/* tools/cudaemu/shim/cuda_runtime.h: the CUDA runtime API that odyn's src/backend/cuda (.cu) and tests/gpu (.c) use,
   implemented on the CPU by cudart_emu.cpp (run-backend-emu.sh; see fiberemu.h for the kernels). One device (an
   H200's attributes: 132 SMs, 48 KiB default and 227 KiB opt-in shared memory per block), device memory = host pages
   (each allocation 256-byte aligned, ending next to an inaccessible page; the total is capped, ODYN_CUDAEMU_MEM_GIB,
   default 139), every copy checked against the allocations, streams synchronous. Plain C declarations, so that the
   C tests compile against it; in C++ also the kernel builtins and the templates (cudaFuncSetAttribute ...). */
#ifndef ODYN_CUDAEMU_CUDA_RUNTIME_H
#define ODYN_CUDAEMU_CUDA_RUNTIME_H
#include <stddef.h>

#ifdef __cplusplus
  #include "fiberemu.h"
extern "C" {
#else
typedef struct CUstream_st *cudaStream_t;
#endif

typedef enum cudaError {
  cudaSuccess                      = 0,
  cudaErrorInvalidValue            = 1,
  cudaErrorMemoryAllocation        = 2,
  cudaErrorInitializationError     = 3,
  cudaErrorInvalidConfiguration    = 9,
  cudaErrorInvalidDevicePointer    = 17,
  cudaErrorInvalidMemcpyDirection  = 21,
  cudaErrorInsufficientDriver      = 35,
  cudaErrorNoDevice                = 100,
  cudaErrorInvalidDevice           = 101,
  cudaErrorInvalidResourceHandle   = 400,
  cudaErrorLaunchOutOfResources    = 701,
  cudaErrorInvalidDeviceFunction   = 98,
  cudaErrorUnknown                 = 999
} cudaError_t;
typedef enum cudaMemcpyKind { cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4 } cudaMemcpyKind;
typedef enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock                = 1,
  cudaDevAttrMaxSharedMemoryPerBlock           = 8,
  cudaDevAttrMultiProcessorCount               = 16,
  cudaDevAttrMaxThreadsPerMultiProcessor       = 39,
  cudaDevAttrMaxSharedMemoryPerMultiprocessor  = 81,
  cudaDevAttrMaxSharedMemoryPerBlockOptin      = 97
} cudaDeviceAttr;
typedef enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8, cudaFuncAttributePreferredSharedMemoryCarveout = 9 } cudaFuncAttribute;
enum { cudaSharedmemCarveoutDefault = -1, cudaSharedmemCarveoutMaxShared = 100, cudaSharedmemCarveoutMaxL1 = 0 };
#define cudaStreamDefault     0x00
#define cudaStreamNonBlocking 0x01

cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaGetDevice(int *dev);
cudaError_t cudaSetDevice(int dev);
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int dev);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);
const char *cudaGetErrorString(cudaError_t e);
const char *cudaGetErrorName(cudaError_t e);
cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaFree(void *p);
cudaError_t cudaMemGetInfo(size_t *freeb, size_t *total);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s);
cudaError_t cudaMemset(void *p, int v, size_t bytes);
cudaError_t cudaMemsetAsync(void *p, int v, size_t bytes, cudaStream_t s);
cudaError_t cudaStreamCreate(cudaStream_t *s);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
/* the emulator's own: the attribute and occupancy of a kernel (by address), a symbol's copy, the range check */
cudaError_t odyn_cudaemu_func_set_attribute(const void *k, cudaFuncAttribute attr, int value);
cudaError_t odyn_cudaemu_occupancy(int *nb, const void *k, int block, size_t smem);
cudaError_t odyn_cudaemu_memcpy_symbol(void *sym, size_t symbytes, const void *src, size_t bytes, size_t offset, cudaMemcpyKind kind);
void        odyn_cudaemu_check_device(const void *p, size_t bytes, const char *what);
#ifdef __cplusplus
}
template <class K> static inline cudaError_t cudaFuncSetAttribute(K k, cudaFuncAttribute attr, int value) { return odyn_cudaemu_func_set_attribute((const void *)k, attr, value); }
template <class K> static inline cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int *nb, K k, int block, size_t smem) { return odyn_cudaemu_occupancy(nb, (const void *)k, block, smem); }
template <class T> static inline cudaError_t cudaMemcpyToSymbolAsync(T &sym, const void *src, size_t bytes, size_t offset = 0, cudaMemcpyKind kind = cudaMemcpyHostToDevice, cudaStream_t = nullptr)
{
  return odyn_cudaemu_memcpy_symbol((void *)&sym, sizeof(T), src, bytes, offset, kind);
}
template <class T> static inline cudaError_t cudaMemcpyToSymbol(T &sym, const void *src, size_t bytes, size_t offset = 0, cudaMemcpyKind kind = cudaMemcpyHostToDevice)
{
  return odyn_cudaemu_memcpy_symbol((void *)&sym, sizeof(T), src, bytes, offset, kind);
}
#endif
#endif
