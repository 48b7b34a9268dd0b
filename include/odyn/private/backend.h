#ifndef ODYN_BACKEND_H
#define ODYN_BACKEND_H

/*
   The compute kernels of odyn: dense linear algebra on column-major arrays with examples in the long dimension.
   This header and the files in src/backend/ include no PETSc header, so that a device implementation can sit beside
   the host one (see docs/design.md). Sizes are plain long; the host implementation checks that they fit BLAS ints.
*/
#include <stddef.h>

/* Returns 0 on success, nonzero if a size does not fit the BLAS integer. */
int odyn_gemm(char transa, char transb, long m, long n, long k, double alpha, const double *A, long lda, const double *B, long ldb, double beta, double *C, long ldc);

/* Z = act(A + b e^T) and D = act'(A + b e^T) in one pass over A (n x s); A is overwritten by act, D may be NULL. */
void odyn_bias_act(int act, long n, long s, const double *b, double *A, double *D);
/* out += alpha * D .* T (elementwise, length len) */
void odyn_scaled_hadamard_add(long len, double alpha, const double *D, const double *T, double *out);
/* T = D .* T */
void odyn_hadamard_inplace(long len, const double *D, double *T);
/* g += alpha * (row sums of T), T is n x s */
void odyn_rowsum_add(long n, long s, double alpha, const double *T, double *g);
/* A += b e^T, A is n x s */
void odyn_add_bias(long n, long s, const double *b, double *A);
/* y += alpha x */
void odyn_axpy(long len, double alpha, const double *x, double *y);
/* y = alpha x + beta y */
void odyn_axpby(long len, double alpha, const double *x, double beta, double *y);

#endif
