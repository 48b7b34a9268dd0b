#ifndef ODYN_BACKEND_H
#define ODYN_BACKEND_H

/*
   The compute kernels of odyn: dense linear algebra on column-major arrays with examples in the long dimension.
   This header and the files in src/backend/ include no PETSc header, so that a device implementation can sit beside
   the host one (see docs/design.md). Sizes are plain long; the host implementation checks that they fit BLAS ints.
*/
#include <stddef.h>

#ifdef __cplusplus
extern "C" { /* the .cu files of src/backend/cuda/ include this header */
#endif

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

/*
   The backend operations table (issue 8, docs/gpu.md): the same kernels behind one set of function pointers, with a
   host implementation (src/backend/host/hostops.c: the functions above, malloc/memcpy) and a CUDA one
   (src/backend/cuda/backend.cu: cuBLAS + kernels, only in builds with ODYN_HAVE_CUDA). Plain C, no PETSc types, so
   that the .cu files can include it; src/sys/backend.c turns a table and its status codes into PETSc errors
   (OdynBackendGet(), -odyn_backend host|cuda).

   Pointers passed to the operations are "device" pointers of that backend: from its mem_alloc (host: ordinary memory).
   All arrays are column-major with examples in the long dimension, as for odyn_gemm. Every operation returns a status:
   0 (ODYN_BACKEND_OK) or one of the codes below, and last_error() then says what failed (a static per-process
   string, valid until the next failing call). Operations are ordered (one stream per process on the device): a copy
   to the host and the reductions return when their result is on the host; the others may return before the device
   has finished. Scalars (alpha, beta) and the results of sum and dot live on the host.
*/
enum {
  ODYN_BACKEND_OK       = 0,
  ODYN_BACKEND_ERR_SIZE = 1, /* a size does not fit the library's integer (BLAS, cuBLAS: int) or is negative */
  ODYN_BACKEND_ERR_MEM  = 2, /* an allocation failed (device memory exhausted) */
  ODYN_BACKEND_ERR_NODEVICE = 3, /* no device (cudaGetDeviceCount found none, or no driver) */
  ODYN_BACKEND_ERR_DEVICE   = 4, /* any other error of the device runtime (a kernel launch, a copy) */
  ODYN_BACKEND_ERR_BLAS     = 5, /* an error of the BLAS library (cuBLAS status) */
  ODYN_BACKEND_ERR_ARG      = 6  /* a bad argument (unknown activation, transpose flag) */
};

#ifndef ODYN_BACKEND_OPS_DECLARED
  #define ODYN_BACKEND_OPS_DECLARED
typedef struct OdynBackendOps OdynBackendOps; /* also declared in odynsys.h, for OdynBackendGet() */
#endif

struct OdynBackendOps {
  const char *name; /* "host", "hostref" or "cuda": the names of -odyn_backend */

  /* set-up: selects device rank % (number of devices) (ODYN_BACKEND_ERR_NODEVICE without one); the stream and BLAS
     handle are created lazily by the first operation that needs them. finalize releases them and the workspaces. */
  int (*init)(int rank);
  int (*finalize)(void);
  const char *(*last_error)(void);

  /* memory: mem_alloc of 0 bytes gives NULL; mem_free(NULL) does nothing; mem_set sets every byte to `value` */
  int (*mem_alloc)(size_t bytes, void **ptr);
  int (*mem_free)(void *ptr);
  int (*mem_set)(void *ptr, int value, size_t bytes);
  int (*copy_to_device)(void *dst, const void *src_host, size_t bytes);
  int (*copy_to_host)(void *dst_host, const void *src, size_t bytes);
  int (*copy_device)(void *dst, const void *src, size_t bytes); /* both on the device */
  int (*synchronize)(void); /* waits for every operation issued so far */

  /* C = alpha op(A) op(B) + beta C, op = 'N' or 'T' (odyn_gemm) */
  int (*gemm)(char transa, char transb, long m, long n, long k, double alpha, const double *A, long lda, const double *B, long ldb, double beta, double *C, long ldc);
  /* batch independent GEMMs, the i-th on A + i strideA, B + i strideB, C + i strideC */
  int (*gemm_strided_batched)(char transa, char transb, long m, long n, long k, double alpha, const double *A, long lda, long strideA, const double *B, long ldb, long strideB, double beta, double *C, long ldc, long strideC, long batch);

  /* the elementwise operations of the functions above (same arguments; act: ODYN_PW_* of pointwise.h) */
  int (*bias_act)(int act, long n, long s, const double *b, double *A, double *D);
  int (*scaled_hadamard_add)(long len, double alpha, const double *D, const double *T, double *out);
  int (*hadamard_inplace)(long len, const double *D, double *T);
  int (*rowsum_add)(long n, long s, double alpha, const double *T, double *g);
  int (*add_bias)(long n, long s, const double *b, double *A);
  int (*axpy)(long len, double alpha, const double *x, double *y);
  int (*axpby)(long len, double alpha, const double *x, double beta, double *y);

  /* reductions to a host double: *result = sum_i x_i, and sum_i x_i y_i */
  int (*sum)(long len, const double *x, double *result);
  int (*dot)(long len, const double *x, const double *y, double *result);

  /*
     The built-in losses' functions on scores Z and targets C (nc x s, one example per column): fn is ODYN_LOSSFN_SOFTMAX,
     _LOGISTIC or _LSQ of include/odyn/private/lossfn.h, whose per-example functions both tables evaluate.
     loss_value: *sum (host) = sum over the s examples of S(z_e, c_e) (not scaled); G (may be NULL) = scale dS/dZ
     loss_hessmult: H = scale d^2S/dZ^2 dZ, block diagonal over the examples (H must not alias dZ)
     Host: one running sum over the examples in order, then the scaling, as the loss types' host path
     (src/losses/losseval.c), so its results bit for bit. Cuda: one thread per example, the per-block sums
     hierarchical as the table's sum (src/backend/cuda/losses.cu).
  */
  int (*loss_value)(int fn, long nc, long s, double scale, const double *Z, const double *C, double *G, double *sum);
  int (*loss_hessmult)(int fn, long nc, long s, double scale, const double *Z, const double *C, const double *dZ, double *H);

  /*
     The dense families below (dense_euler_*, dense_leapfrog_*, dense_parabolic_*, dense_verlet_*) take the activation
     first, as the conv families do: act, one of ODYN_PW_IDENTITY, ODYN_PW_TANH and ODYN_PW_RELU (pointwise.h); any
     other code is ODYN_BACKEND_ERR_ARG. The formulas write tanh for it and sigma' for its derivative (until 2026-12-05
     they ran tanh alone and were named euler_tanh_*, leapfrog_tanh_*, parabolic_tanh_*, verlet_tanh_*). The
     linearization sizes do not depend on it.
  */
  /*
     Whole-block sweeps of a dense forward-Euler tanh block (a network block's states in backend memory, docs/gpu.md),
     the network and parameter layout of include/odyn/private/cudakernels.h:
       Y_{j+1} = Y_j + h tanh(K_j Y_j + b_j), j = 0..N-1;  theta = [K_0 | b_0 | ... | K_{N-1} | b_{N-1}], N (n^2 + n)
     dense_euler_linsize: the doubles of `lin`, what the forward keeps for the derivative sweeps (sigma' of every step),
       that the backend needs for these sizes: N n s (host; cuda for n > 16), 0 (cuda for n <= 16: the narrow kernels
       recompute it; lin may then be NULL).
     forward: Ytraj ((N + 1) n s) receives all states, state j at j n s (state 0 a copy of Y0), and lin
     tangent: dYN = J_theta dtheta + J_Y0 dY0 at the forward's states (dtheta or dY0 NULL: zero)
     adjoint: gtheta += J_theta^T W, gY0 = J_Y0^T W (gtheta or gY0 NULL: not computed)
     Every array is the backend's; inputs and outputs must not overlap. Host: the kernels of the schemes' direct host
     path in its order (src/backend/host/denseeuler.c), so the results are that path's bit for bit. Cuda: the narrow
     kernels for n <= ODYN_CUDA_NARROW_MAX, else the cuBLAS ones (src/backend/cuda/narrow.cu, wide.cu).
  */
  long (*dense_euler_linsize)(long n, long N, long s);
  int (*dense_euler_forward)(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
  int (*dense_euler_tangent)(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN);
  int (*dense_euler_adjoint)(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0);

  /*
     Whole-block sweeps of a dense leapfrog tanh block (scheme leapfrog, src/schemes/impls/leapfrog.c, with a dense
     layer, or an antisym / negdef one whose matrices the caller forms: the second-order network of paper 001), the
     parameter layout of dense_euler_* above:
       Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 tanh(K_j Y_j + b_j), j = 0..N-1, Y_{-1} = Y_0
     dense_leapfrog_linsize: the doubles of `lin` (sigma' of every step), N n s on both tables.
     forward: Ytraj ((N + 1) n s) receives Y_0..Y_N, state j at j n s, and lin
     tangent: dYN = J_theta dtheta + J_Y0 dY0 at the forward's states (dtheta or dY0 NULL: zero)
     adjoint: gtheta += J_theta^T W, gY0 = J_Y0^T W (gtheta or gY0 NULL: not computed)
     Every array is the backend's; inputs and outputs must not overlap. Host: the host path's operations (the layer's
     GEMMs, sigma' and products, leapfrog.c's update) in its order (src/backend/host/denseleapfrog.c), so its results
     bit for bit. Cuda: per step one cuBLAS DGEMM and one fused elementwise kernel, any width
     (src/backend/cuda/leapfrog.cu).
  */
  long (*dense_leapfrog_linsize)(long n, long N, long s);
  int (*dense_leapfrog_forward)(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
  int (*dense_leapfrog_tangent)(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN);
  int (*dense_leapfrog_adjoint)(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0);
  /*
     The same block with states recomputed (reversible leapfrog, -odyn_scheme_trajectory recompute on a backend block):
     the scheme runs backwards, Y_{j-1} = 2 Y_j - Y_{j+1} + h^2 tanh(K_j Y_j + b_j), so only the last two states are kept.
     forward_final: YN = Y_N and YNm1 = Y_{N-1} (n s each; N = 0: both Y_0)
     tangent_y0: dYN = J_theta dtheta + J_Y0 dY0, the states recomputed forward from Y0 alongside
     adjoint_reversible: gtheta += J_theta^T W, gY0 = J_Y0^T W, the states rebuilt backwards from YN, YNm1 alongside
     Each keeps its O(n s) scratch to itself (host: malloc'd per call; cuda: the kernels' workspace), so memory stays
     flat in N. Host: leapfrog.c's recomputing sweeps' operations (src/backend/host/denseleapfrog.c); the rebuilt states
     drift from the stored ones by round-off, as on the host path.
  */
  int (*dense_leapfrog_forward_final)(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1);
  int (*dense_leapfrog_tangent_y0)(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
  int (*dense_leapfrog_adjoint_reversible)(int act, long n, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0);

  /*
     Whole-block sweeps of a parabolic tanh block: forward Euler with the symmetric layer (src/schemes/impls/euler.c,
     src/layers/impls/symmetric.c; paper 000 eq. 7, the parabolic network), Y of width n, hidden width m:
       Y_{j+1} = Y_j - h K_j^T tanh(K_j Y_j + b_j),  theta = [K_0 | b_0 | ...], slot j = [K_j (m x n column-major:
       K_j(r, i) at r + i m) | b_j (m)], N (m n + m) values; dtheta and gtheta the same layout.
     dense_parabolic_linsize: the doubles of `lin`: the host's and cuda's wide sweeps keep sigma and sigma' of every
     step ([S_j | D_j], m s each), 2 N m s; cuda's narrow sweeps (n, m <= 16) none, 0 (they recompute them).
     forward: Ytraj ((N + 1) n s) receives Y_0..Y_N, state j at j n s, and lin
     tangent: dYN = J_theta dtheta + J_Y0 dY0 at the forward's states (dtheta or dY0 NULL: zero)
     adjoint: gtheta += J_theta^T W, gY0 = J_Y0^T W (gtheta or gY0 NULL: not computed)
     Every array is the backend's; inputs and outputs must not overlap. Host: the layer's and euler.c's operations in
     their order (src/backend/host/denseparabolic.c), so the host path's results bit for bit. Cuda: n, m <= 16 one
     kernel per sweep (src/backend/cuda/parabolicnarrow.cu), wider per step cuBLAS DGEMMs and one fused pass
     (src/backend/cuda/parabolic.cu).
  */
  long (*dense_parabolic_linsize)(long n, long m, long N, long s);
  int (*dense_parabolic_forward)(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
  int (*dense_parabolic_tangent)(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN);
  int (*dense_parabolic_adjoint)(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0);

  /*
     Whole-block sweeps of a Verlet (Hamiltonian) tanh block: scheme verlet with layer hamiltonian and tanh
     (src/schemes/impls/verlet.c, src/layers/impls/hamiltonian.c), Y of width n, Z of the hidden width m:
       Z_{j+1/2} = Z_{j-1/2} - h tanh(K_j^T Y_j + bG_j),  Y_{j+1} = Y_j + h tanh(K_j Z_{j+1/2} + bF_j),  Z_{-1/2} = 0
       theta = [K_0 | bF_0 | bG_0 | ... ], slot j = [K_j (n x m column-major: K_j(i,c) at i + c n) | bF_j (n) | bG_j (m)],
       N (n m + n + m) values; dtheta and gtheta have the same layout. Only Y enters and leaves.
     dense_verlet_linsize: the doubles of `lin` (sigma' of both faces of every step) the backend needs for these sizes:
       N (n + m) s (host; cuda for n or m > ODYN_CUDA_NARROW_MAX), 0 (cuda's narrow kernels recompute it; lin may then
       be NULL), or -1: the backend cannot run a Verlet block of these widths.
     forward: Ytraj ((N + 1) n s) receives Y_0..Y_N (state j at j n s), Ztraj ((N + 1) m s) Z_{-1/2} = 0, Z_{1/2}, ...,
       Z_{N-1/2} (state k = Z_{k-1/2} at k m s, as the scheme's component 1), and lin
     tangent: dYN = J_theta dtheta + J_Y0 dY0 at the forward's states (dtheta or dY0 NULL: zero)
     adjoint: gtheta += J_theta^T W, gY0 = J_Y0^T W (gtheta or gY0 NULL: not computed)
     Every array is the backend's; inputs and outputs must not overlap. Host: the direct path's kernels in its order
     (src/backend/host/denseverlet.c), bit for bit its results with a stored trajectory. Cuda: one narrow kernel per
     sweep for n, m <= ODYN_CUDA_NARROW_MAX (src/backend/cuda/verlet.cu); wider blocks per step and face one cuBLAS
     DGEMM and one fused pass (src/backend/cuda/verletwide.cu), lin = sigma' of both faces.
  */
  long (*dense_verlet_linsize)(long n, long m, long N, long s);
  int (*dense_verlet_forward)(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin);
  int (*dense_verlet_tangent)(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, const double *lin, const double *dY0, double *dYN);
  int (*dense_verlet_adjoint)(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *lin, const double *W, double *gtheta, double *gY0);
  /*
     The same block with states recomputed (reversible Verlet, -odyn_scheme_trajectory recompute on a backend block):
     memory flat in N, no lin. forward_final: YN (n s) = Y_N and ZN (m s) = Z_{N-1/2} only (YN may be Y0).
     tangent_y0: dYN as dense_verlet_tangent, the states recomputed forward from Y0 (n s) alongside the tangent.
     adjoint_reversible: gtheta += J_theta^T W, gY0 = J_Y0^T W (either NULL: not computed), the states rebuilt
     backwards from (YN, ZN), which stay unchanged (a second adjoint after one forward is allowed); gY0 must not alias
     YN or ZN. The rebuilt states drift from the forward's by about the unit round-off per step (docs/derivations.md
     "Round-off"). Host: the references of verletref.c (odyn_verlet_ref_*: per-example loops, gradient sums in long
     double), so these differ from the storing sweeps by round-off, not bit for bit. Cuda: odyn_cuda_verlet_forward_final,
     odyn_cuda_verlet_tangent, odyn_cuda_verlet_adjoint_reversible (verlet.cu; n, m <= ODYN_CUDA_NARROW_MAX).
  */
  int (*dense_verlet_forward_final)(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN);
  int (*dense_verlet_tangent_y0)(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
  int (*dense_verlet_adjoint_reversible)(int act, long n, long m, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0);

  /*
     The convolutional families below (conv_euler_*, conv_single_*, conv_verlet_*, conv_parabolic_*,
     conv_leapfrog_*) take the activation first: act, one of ODYN_PW_IDENTITY, ODYN_PW_TANH and ODYN_PW_RELU
     (pointwise.h; paper 000's CNNs use tanh or ReLU); any other code is ODYN_BACKEND_ERR_ARG. The formulas write tanh
     for it and sigma' for its derivative at the pre-activation (until 2026-12-05 the families ran tanh alone and were
     named conv_*_tanh_*, the one-step layer's conv_tanh_*).
     The linearization and scratch sizes do not depend on it.
  */
  /*
     Whole-block sweeps of a convolutional forward-Euler tanh block: scheme euler with layer conv (src/layers/impls/
     convcore.c; or convantisym, which runs with its effective stencils) of 3x3 stencils (stride 1, zero padding
     "same"), c channels in and out, no pooling, with or without paper 000's TV normalization (eps > 0; 0: none).
     A state is c x ih x iw per example, channel-major (include/odyn/private/convkernels.h: X[e][c][i][j] at
     ((e c + c') ih + i) iw + j), examples in the long dimension; len = c ih iw s:
       Y_{j+1} = Y_j + h tanh(K_j * Y_j + b_j),  theta = [K_0 | b_0 | ... | K_{N-1} | b_{N-1}], N (9 c^2 + c) values,
       K_j (c x c x 3 x 3): K[o][c'][a][b] at ((o c + c') 3 + a) 3 + b, b_j (c), the conv layer's order; dtheta and
       gtheta have the same layout. With the normalization, tanh(scale_j .* N(K_j * Y_j + b_j) + beta_j) (N: the TV
       normalization with eps, convcore.c) and slot j = [K_j | b_j | scale_j (c) | beta_j (c)]: N (9 c^2 + 3 c) values.
     conv_euler_linsize: the doubles of `lin` for these sizes: sigma' of every step (N len, step j at j len),
       with eps > 0 also Uhat_j (N len, at (N + j) len) and 1/r_j (N ih iw s, at 2 N len + j ih iw s), followed by the
       scratch the backend's sweeps use (cuda: 2 len + ih iw + c s, with eps > 0 one len more; host: none, it
       allocates its own), or -1: the backend cannot run these sizes (c < 1; eps < 0; cuda runs any c, beyond
       ODYN_CUDA_CONV_MAXC of cudakernels.h by im2col + cuBLAS).
     forward: Ytraj ((N + 1) len) receives all states (state 0 a copy of Y0) and sigma' in lin
     tangent: dYN = J_theta dtheta + J_Y0 dY0 at the forward's states (dtheta or dY0 NULL: zero)
     adjoint: gtheta += J_theta^T W, gY0 = J_Y0^T W (gtheta or gY0 NULL: not computed)
     lin is not const in the derivative sweeps: they write its scratch part, never sigma'. Every array is the
     backend's; inputs and outputs must not overlap. Host: the conv layer's kernels (odyn_conv_* of convkernels.h) in
     the direct path's order and chunks of examples (src/backend/host/convsingle.c), its results bit for bit. Cuda: the
     direct 3x3 kernels of convdirect.cu (odyn_cuda_conv3_*), the bias gradient as per-channel sums by cuBLAS.
  */
  long (*conv_euler_linsize)(long c, double eps, long ih, long iw, long N, long s);
  int (*conv_euler_forward)(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
  int (*conv_euler_tangent)(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN);
  int (*conv_euler_adjoint)(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0);

  /*
     One convolutional tanh layer applied once, no residual, cin -> cout channels (scheme single with layer conv,
     src/schemes/impls/single.c: the opening layer of the MNIST network, and paper 000's connectors), k x k stencils
     (k = 1 or 3), with or without paper 000's TV normalization (eps > 0; 0: none), optionally followed by 2x2 average
     pooling P (pool; ih and iw even):
       Y1 = P tanh(K * Y0 + b)  (or without P),  theta = [K (cout x cin x k x k, K[o][c][a][b] at ((o cin + c) k + a) k + b) | b (cout)]
     normalized: Y1 = P tanh(scale .* N(K * Y0 + b) + beta), theta = [K | b | scale (cout) | beta (cout)].
     Y0 is cin ih iw per example, Y1 cout ih iw, or cout (ih/2) (iw/2) pooled (channel-major, as above); lenin = cin ih
     iw s, lenU = cout ih iw s (before pooling), lenout = the length of Y1.
     conv_single_linsize: the doubles of `lin`: sigma' (lenU), with eps > 0 also Uhat (lenU) and 1/r (ih iw s), followed
       by the backend's scratch (cuda: lenU + ih iw + cout s, with eps > 0 lenU more;
       host: none), or -1: the backend cannot run these sizes (cin or cout < 1; eps < 0).
     forward: Y1 and sigma' in lin; tangent: dY1 = J_theta dtheta + J_Y0 dY0 at Y0 (either NULL: zero);
     adjoint: gtheta += J_theta^T W, gY0 = J_Y0^T W (either NULL: not computed). Y0 is the forward's input, which the
     caller keeps. Host: the conv layer's kernels in the order and chunks of the direct path (convsingle.c), its results
     bit for bit; cuda: odyn_cuda_conv3_* as the conv Euler sweeps (a 1x1 stencil as cuBLAS GEMMs on the states) and
     a pooling kernel and its adjoint.
  */
  long (*conv_single_linsize)(long cin, long cout, long k, int pool, double eps, long ih, long iw, long s);
  int (*conv_single_forward)(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *Y1, double *lin);
  int (*conv_single_tangent)(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *dtheta, const double *Y0, double *lin, const double *dY0, double *dY1);
  int (*conv_single_adjoint)(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *lin, const double *W, double *gtheta, double *gY0);

  /*
     Whole-block sweeps of a convolutional Verlet tanh block, the Hamiltonian CNN: scheme verlet with layer
     convhamiltonian (src/layers/impls/convcore.c) of 3x3 stencils, with or without the TV normalization N of both
     faces (paper 000 eq. 9; eps > 0: on, with that eps; eps = 0: off); Y of c channels, Z of m, each ih x iw per
     example (channel-major as above); ln = c ih iw s, lm = m ih iw s, lp = ih iw s:
       Z_{j+1/2} = Z_{j-1/2} - h tanh(K_j^T * Y_j + bG_j),  Y_{j+1} = Y_j + h tanh(K_j * Z_{j+1/2} + bF_j),  Z_{-1/2} = 0
       K_j * Z maps m channels to c (K_j: c x m x 3 x 3, K[o][c'][a][b] at ((o m + c') 3 + a) 3 + b), K_j^T * Y is its
       adjoint convolution; theta_j = [K_j | bF_j (c) | bG_j (m)], N (9 c m + c + m) values, with N each face's
       pre-activation normalized, scaled and shifted, theta_j = [K_j | bF_j | bG_j | scaleF_j, betaF_j (c each) |
       scaleG_j, betaG_j (m each)]: the layer's order; dtheta and gtheta the same layout. Only Y enters and leaves, as
       dense_verlet_*.
     conv_verlet_linsize: the doubles of `lin`: sigma' of both faces of every step (DG_j (lm) then DF_j (ln) at
       j (lm + ln)), with N also [UhatG_j (lm) | 1/rG_j (lp) | UhatF_j (ln) | 1/rF_j (lp)] of every step after them,
       followed by the backend's scratch (cuda: 3 max(ln, lm) + ih iw + max(c, m) s, with N one max(ln, lm) more;
       host: none), or -1: the backend cannot run these sizes (c or m < 1; eps < 0).
     forward: Ytraj ((N + 1) ln) Y_0..Y_N, Ztraj ((N + 1) lm) Z_{-1/2} = 0, Z_{1/2}, ..., Z_{N-1/2} (state k =
       Z_{k-1/2} at k lm), and sigma' in lin; tangent and adjoint as dense_verlet_* (dtheta or dY0 NULL: zero; gtheta or
       gY0 NULL: not computed). lin is not const in the derivative sweeps: they write its scratch part, never sigma'.
     Host: the layer's kernels in the direct path's order and chunks (src/backend/host/convverlet.c), its results bit
       for bit with a stored trajectory; cuda: odyn_cuda_conv3_* (K^T * Y by conv3_adjoint) as the conv Euler sweeps.
  */
  long (*conv_verlet_linsize)(long c, long m, double eps, long ih, long iw, long N, long s);
  int (*conv_verlet_forward)(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin);
  int (*conv_verlet_tangent)(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, double *lin, const double *dY0, double *dYN);
  int (*conv_verlet_adjoint)(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, double *lin, const double *W, double *gtheta, double *gY0);
  /*
     The same block with states recomputed (reversible, -odyn_scheme_trajectory recompute on a backend block), as
     dense_verlet_forward_final / _tangent_y0 / _adjoint_reversible: memory flat in N. revsize: the doubles of `work`,
     the sweeps' scratch (host: 0, it allocates its own; cuda: 8 max(ln, lm) + ih iw + max(c, m) s, with N also one
     step's Uhat and 1/r of both faces and one max(ln, lm)), or -1.
     forward_final: YN (ln) = Y_N, ZN (lm) = Z_{N-1/2} only; tangent_y0: the states recomputed forward from Y0 (ln)
     alongside the tangent; adjoint_reversible: the states rebuilt backwards from (YN, ZN), which stay unchanged, by
     verlet.c's reverse step (gY0 must not alias them). Host: the direct path's recomputing sweeps' kernels in their
     order (convverlet.c), bit for bit its results; cuda: the conv3 kernels as above (convblocks.cu).
  */
  long (*conv_verlet_revsize)(long c, long m, double eps, long ih, long iw, long s);
  int (*conv_verlet_forward_final)(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN, double *work);
  int (*conv_verlet_tangent_y0)(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, double *work, const double *dY0, double *dYN);
  int (*conv_verlet_adjoint_reversible)(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *ZN, double *work, const double *W, double *gtheta, double *gY0);
  /*
     Whole-block sweeps of a convolutional parabolic tanh block, the parabolic CNN (paper 000 eq. 7-8): scheme euler with
     layer convsymmetric (src/layers/impls/convcore.c) of 3x3 stencils, with or without the total-variation
     normalization N (paper 000 eq. 9; eps > 0: on, with that eps; eps = 0: off); the state Y of c channels, K_j * Y of
     m (the hidden channels), each ih x iw per example (channel-major as above); lc = c ih iw s, lm = m ih iw s,
     lp = ih iw s:
       Y_{j+1} = Y_j - h K_j^T * tanh(A_j),  U_j = K_j * Y_j + b_j,  A_j = U_j, or with N: A_j = scale_j .* Uhat_j +
       beta_j, Uhat_j = U_j / r_j per pixel, r_j = sqrt(sum over the m channels of U_j^2 + eps);
       K_j (m x c x 3 x 3: K[o][c'][a][b] at ((o c + c') 3 + a) 3 + b), theta_j = [K_j | b_j (m)], N (9 c m + m)
       values, with N theta_j = [K_j | b_j | scale_j | beta_j (m each)], N (9 c m + 3 m): the layer's order; dtheta
       and gtheta the same layout.
     conv_parabolic_linsize: the doubles of `lin`: sigma' of every step (D_j, lm, at j lm), then sigma itself
       (S_j = tanh(A_j), lm, at (N + j) lm: the outer -K_j^T depends on theta too), with N also Uhat_j (lm, at
       (2 N + j) lm) and 1 / r_j (lp, at 3 N lm + j lp), followed by the backend's scratch (cuda: 2 lm + lc + ih iw +
       m s; host: none), or -1: the backend cannot run these sizes (c or m < 1; eps < 0).
     forward: Ytraj ((N + 1) lc) receives Y_0..Y_N (state j at j lc), and D_j, S_j (Uhat_j, 1/r_j) in lin; tangent:
       dYN = J_theta dtheta + J_Y0 dY0 at the forward's states (dtheta or dY0 NULL: zero); adjoint: gtheta +=
       J_theta^T W, gY0 = J_Y0^T W (gtheta or gY0 NULL: not computed). lin is not const in the derivative sweeps: they
       write its scratch part, never what the forward kept. Every array is the backend's; inputs and outputs must not
       overlap.
     Host: the layer's kernels in the direct path's order and chunks (src/backend/host/convparabolic.c), its results
       bit for bit; cuda: odyn_cuda_conv3_* (K^T * S by conv3_adjoint with the same K) as the conv Euler sweeps, the
       normalization per pixel and example by kernels of its own (convblocks.cu).
  */
  long (*conv_parabolic_linsize)(long c, long m, double eps, long ih, long iw, long N, long s);
  int (*conv_parabolic_forward)(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
  int (*conv_parabolic_tangent)(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN);
  int (*conv_parabolic_adjoint)(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0);
  /*
     Whole-block sweeps of a convolutional leapfrog tanh block, the second-order CNN (paper 000; src/schemes/impls/
     leapfrog.c with layer conv or convsymmetric, 3x3 stencils, no pooling, with or without the TV normalization N of
     paper 000 eq. 9: eps > 0 on, with that eps; eps = 0 off), states stored:
       Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 F_j(Y_j),  Y_{-1} = Y_0, with A_j = K_j * Y + b_j, or with N scale_j .* Uhat_j +
       beta_j (Uhat_j = A_j / r_j per pixel, r_j = sqrt(sum over the m channels of A_j^2 + eps)), and
       sym 0 (layer conv, m = c):           F_j(Y) = tanh(A_j),         theta_j = [K_j (c x c x 3 x 3) | b_j (c)]
       sym 1 (layer convsymmetric, K * Y of m channels):  F_j(Y) = -K_j^T * tanh(A_j),
                                                                        theta_j = [K_j (m x c x 3 x 3) | b_j (m)]
     with N theta_j = [K_j | b_j | scale_j | beta_j] (m each); the layers' stencil order as above; Y of c channels,
     lc = c ih iw s, lm = m ih iw s, lp = ih iw s; dtheta and gtheta the same layout as theta.
     conv_leapfrog_linsize: the doubles of `lin`: sigma' of every step (D_j, lm, at j lm), with sym 1 also
       S_j = tanh(A_j) (lm at (N + j) lm), with N also Uhat_j (lm each) and 1 / r_j (lp each) after them, followed by
       the backend's scratch (cuda: 4 lc + 2 max(lc, lm) + ih iw + max(c, m) s; host: none), or -1: the backend cannot
       run these sizes (c or m < 1; sym 0 needs m = c; eps < 0).
     forward: Ytraj ((N + 1) lc) Y_0..Y_N and lin; tangent: dYN = J_theta dtheta + J_Y0 dY0 (either NULL: zero);
       adjoint: gtheta += J_theta^T W, gY0 = J_Y0^T W (either NULL: not computed). lin is not const in the derivative
       sweeps: they write its scratch part only. Every array is the backend's; inputs and outputs must not overlap.
     Host: leapfrog.c's and the layers' operations in their order and chunks (src/backend/host/convleapfrog.c), bit for
       bit the host path's results; cuda: odyn_cuda_conv3_*, the normalization's kernels (convtvnorm.cu) and one update
       kernel per step (convleapfrog.cu).
  */
  long (*conv_leapfrog_linsize)(int sym, long c, long m, double eps, long ih, long iw, long N, long s);
  int (*conv_leapfrog_forward)(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
  int (*conv_leapfrog_tangent)(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN);
  int (*conv_leapfrog_adjoint)(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0);
  /*
     The same block with states recomputed (reversible, -odyn_scheme_trajectory recompute on a backend block), as
     dense_leapfrog_forward_final / _tangent_y0 / _adjoint_reversible: memory flat in N. revsize: the doubles of `work`,
     the sweeps' scratch (host: 0, it allocates its own; cuda: 7 lc + 4 max(lc, lm) + ih iw + max(c, m) s, with N also
     lm + lp for Uhat and 1/r of one step), or -1.
     forward_final: YN = Y_N and YNm1 = Y_{N-1} (lc each; N = 0: both Y_0); tangent_y0: the states recomputed forward
     from Y0 alongside the tangent; adjoint_reversible: the states rebuilt backwards from (YN, YNm1), which stay
     unchanged, by leapfrog.c's reverse step Y_{j-1} = 2 Y_j - Y_{j+1} + h^2 F_j(Y_j) (gY0 must not alias them). Host:
     the direct path's recomputing sweeps' operations in their order (convleapfrog.c), bit for bit its results; cuda:
     the conv3 kernels as above (convleapfrog.cu).
  */
  long (*conv_leapfrog_revsize)(int sym, long c, long m, double eps, long ih, long iw, long s);
  int (*conv_leapfrog_forward_final)(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1, double *work);
  int (*conv_leapfrog_tangent_y0)(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, double *work, const double *dY0, double *dYN);
  int (*conv_leapfrog_adjoint_reversible)(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, double *work, const double *W, double *gtheta, double *gY0);
};

/* the host table (always there), and the same table named "hostref" (the networks' backend path on the host) */
const OdynBackendOps *odyn_backend_host(void);
const OdynBackendOps *odyn_backend_hostref(void);
/* the host table's loss functions (src/backend/host/lossfns.c), on arguments checked by odyn_lossfn_check() */
void odyn_host_loss_value(int fn, long nc, long s, double scale, const double *Z, const double *C, double *G, double *sum);
void odyn_host_loss_hessmult(int fn, long nc, long s, double scale, const double *Z, const double *C, const double *dZ, double *H);
/* the host table's dense Euler tanh sweeps (src/backend/host/denseeuler.c; the table's wrappers check the arguments):
   0, or ODYN_BACKEND_ERR_MEM when the scratch cannot be allocated */
long odyn_host_dense_euler_linsize(long n, long N, long s);
int  odyn_host_dense_euler_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
int  odyn_host_dense_euler_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN);
int  odyn_host_dense_euler_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0);
/* The index of the first member of the table that is NULL (its name, then its operations in the order of the struct,
   all pointers), or -1 when the table is complete; *count (may be NULL) receives the number of members. A table
   missing an operation would crash the block that calls it: OdynBackendGet() refuses it, and the tests walk every
   table with it (src/backend/host/hostops.c). */
int odyn_backend_ops_first_missing(const OdynBackendOps *ops, int *count);
/* the host table's leapfrog tanh sweeps (src/backend/host/denseleapfrog.c), likewise */
long odyn_host_dense_leapfrog_linsize(long n, long N, long s);
int  odyn_host_dense_leapfrog_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
int  odyn_host_dense_leapfrog_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN);
int  odyn_host_dense_leapfrog_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0);
int  odyn_host_dense_leapfrog_forward_final(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1);
int  odyn_host_dense_leapfrog_tangent_y0(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int  odyn_host_dense_leapfrog_adjoint_reversible(int act, long n, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0);
/* the host table's parabolic tanh sweeps (src/backend/host/denseparabolic.c), likewise */
long odyn_host_dense_parabolic_linsize(long n, long m, long N, long s);
int  odyn_host_dense_parabolic_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
int  odyn_host_dense_parabolic_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN);
int  odyn_host_dense_parabolic_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0);
/* the host table's Verlet tanh sweeps (src/backend/host/denseverlet.c), likewise */
long odyn_host_dense_verlet_linsize(long n, long m, long N, long s);
int  odyn_host_dense_verlet_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin);
int  odyn_host_dense_verlet_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, const double *lin, const double *dY0, double *dYN);
int  odyn_host_dense_verlet_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *lin, const double *W, double *gtheta, double *gY0);
/* the host table's convolutional Euler tanh sweeps (src/backend/host/convsingle.c), likewise */
long odyn_host_conv_euler_linsize(long c, double eps, long ih, long iw, long N, long s);
int  odyn_host_conv_euler_forward(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
int  odyn_host_conv_euler_tangent(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN);
int  odyn_host_conv_euler_adjoint(int act, long c, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0);
/* the host table's one-step conv tanh layer (convsingle.c), likewise */
long odyn_host_conv_single_linsize(long cin, long cout, long k, int pool, double eps, long ih, long iw, long s);
int  odyn_host_conv_single_forward(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *Y1, double *lin);
int  odyn_host_conv_single_tangent(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *dtheta, const double *Y0, double *lin, const double *dY0, double *dY1);
int  odyn_host_conv_single_adjoint(int act, long cin, long cout, long k, int pool, double eps, long ih, long iw, long s, const double *theta, const double *Y0, double *lin, const double *W, double *gtheta, double *gY0);
/* the host table's convolutional Verlet tanh sweeps (convverlet.c), likewise */
long odyn_host_conv_verlet_linsize(long c, long m, double eps, long ih, long iw, long N, long s);
int  odyn_host_conv_verlet_forward(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin);
int  odyn_host_conv_verlet_tangent(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, double *lin, const double *dY0, double *dYN);
int  odyn_host_conv_verlet_adjoint(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, double *lin, const double *W, double *gtheta, double *gY0);
long odyn_host_conv_verlet_revsize(long c, long m, double eps, long ih, long iw, long s);
int  odyn_host_conv_verlet_forward_final(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN);
int  odyn_host_conv_verlet_tangent_y0(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int  odyn_host_conv_verlet_adjoint_reversible(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0);
/* the host table's convolutional parabolic tanh sweeps (convparabolic.c), likewise */
long odyn_host_conv_parabolic_linsize(long c, long m, double eps, long ih, long iw, long N, long s);
int  odyn_host_conv_parabolic_forward(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
int  odyn_host_conv_parabolic_tangent(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN);
int  odyn_host_conv_parabolic_adjoint(int act, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0);
/* the host table's convolutional leapfrog tanh sweeps (convleapfrog.c), likewise */
long odyn_host_conv_leapfrog_linsize(int sym, long c, long m, double eps, long ih, long iw, long N, long s);
int  odyn_host_conv_leapfrog_forward(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
int  odyn_host_conv_leapfrog_tangent(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, double *lin, const double *dY0, double *dYN);
int  odyn_host_conv_leapfrog_adjoint(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Ytraj, double *lin, const double *W, double *gtheta, double *gY0);
long odyn_host_conv_leapfrog_revsize(int sym, long c, long m, double eps, long ih, long iw, long s);
int  odyn_host_conv_leapfrog_forward_final(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1);
int  odyn_host_conv_leapfrog_tangent_y0(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int  odyn_host_conv_leapfrog_adjoint_reversible(int act, int sym, long c, long m, double eps, long ih, long iw, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0);
#if defined(ODYN_HAVE_CUDA) || defined(__CUDACC__)
/* the CUDA table (src/backend/cuda/backend.cu), only in builds with the CUDA backend */
const OdynBackendOps *odyn_backend_cuda(void);
/* the process's CUDA stream (a cudaStream_t) for the other .cu files' kernels, created on first use; NULL if that
   failed (the reason: odyn_backend_cuda()->last_error()) */
void *odyn_cuda_stream(void);
#endif

#ifdef __cplusplus
}
#endif

#endif
