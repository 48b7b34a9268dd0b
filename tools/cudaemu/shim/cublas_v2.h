/* tools/cudaemu/shim/cublas_v2.h: the cuBLAS calls of src/backend/cuda (.cu) on the CPU through OpenBLAS's cblas
   (column-major, as cuBLAS), with cuBLAS's argument checks (CUBLAS_STATUS_INVALID_VALUE) and every matrix's extent
   checked against the device allocations (cudart_emu.cpp). */
#ifndef ODYN_CUDAEMU_CUBLAS_V2_H
#define ODYN_CUDAEMU_CUBLAS_V2_H
#include "cuda_runtime.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef struct cublasContext *cublasHandle_t;
typedef enum { CUBLAS_STATUS_SUCCESS = 0, CUBLAS_STATUS_NOT_INITIALIZED = 1, CUBLAS_STATUS_ALLOC_FAILED = 3, CUBLAS_STATUS_INVALID_VALUE = 7, CUBLAS_STATUS_EXECUTION_FAILED = 13 } cublasStatus_t;
typedef enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 } cublasOperation_t;
cublasStatus_t cublasCreate(cublasHandle_t *h);
cublasStatus_t cublasDestroy(cublasHandle_t h);
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s);
const char    *cublasGetStatusString(cublasStatus_t s);
cublasStatus_t cublasDgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const double *alpha, const double *A, int lda, const double *B, int ldb, const double *beta, double *C, int ldc);
cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const double *alpha, const double *A, int lda, long long sA, const double *B, int ldb, long long sB, const double *beta, double *C, int ldc, long long sC, int batch);
cublasStatus_t cublasDgemv(cublasHandle_t h, cublasOperation_t t, int m, int n, const double *alpha, const double *A, int lda, const double *x, int incx, const double *beta, double *y, int incy);
#ifdef __cplusplus
}
#endif
#endif
