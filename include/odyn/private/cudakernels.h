#ifndef ODYN_CUDAKERNELS_H
#define ODYN_CUDAKERNELS_H

/*
   odyn's own CUDA kernels (src/backend/cuda/narrow.cu, wide.cu, convdirect.cu, kernelsys.cu) behind a plain C API, and
   host reference implementations of exactly the same operations (src/backend/host/narrowref.c, part of libodyn) that
   the parity tests compare against. No PETSc and no CUDA type here: device arrays are double *, every device function
   returns an int status (0: success; ODYN_CUDA_ERR_*: see odyn_cuda_status_string(), which also names the last CUDA or
   cuBLAS error). The device functions run on the default stream and return without synchronizing, except where said;
   they are not thread-safe (one process-wide workspace, the convolution stencil in constant memory).

   Dense Euler tanh network, the layout of odyn's dense layer + euler scheme (src/layers/impls/dense.c and affine.c,
   src/schemes/impls/euler.c, the slots of OdynSchemeGetParameterLayout() without shared weights):
     Y_{j+1} = Y_j + h tanh(K_j Y_j + b_j),  j = 0..N-1,   Y_j: n x s column-major (example e is column e: Y[e n + i])
     theta = [slot_0 | ... | slot_{N-1}],  slot_j = [K_j (n x n column-major: K_j(i,c) at i + c n) | b_j (n)]
     so theta has N (n^2 + n) values; dtheta and gtheta have the same layout.
   forward:  Y0 -> Y_N, or all states Y_0..Y_N (store_all: Y has (N + 1) n s values, state j at j n s)
   tangent:  (dtheta, dY0) -> dY_N = J (dtheta, dY0) at (theta, Y0); dtheta or dY0 NULL means zero
   adjoint:  W -> gtheta += J_theta^T W, gY0 = J_Y0^T W (from the stored states); gtheta or gY0 NULL: not computed
   narrow (n <= ODYN_CUDA_NARROW_MAX): one kernel per sweep, several threads per example (narrow.cu);
   wide (any n, meant for n >= 32): cuBLAS DGEMMs and one fused elementwise kernel per step (wide.cu).

   Activation: every dense sweep below (odyn_cuda_narrow_*, _narrow_leapfrog_*, _dense_*, _leapfrog_*, _verlet_*,
   _verlet_wide_*, _parabolic_*, _parabolic_narrow_*) and its host reference (odyn_narrow_ref_*, odyn_verlet_ref_*)
   takes it first: act, one of ODYN_PW_IDENTITY, ODYN_PW_TANH and ODYN_PW_RELU (include/odyn/private/pointwise.h);
   any other code is ODYN_CUDA_ERR_ARG (the references: ODYN_CUDA_ERR_ARG where they return a status, nothing written
   where they return void). The formulas here write tanh for it and 1 - tanh^2 for its derivative sigma'; the narrow
   kernels take sigma' from the activation's output (tanh: 1 - t^2, relu: t > 0, identity: 1, each equal to sigma' at
   the pre-activation), the wide ones keep it from the pre-activation as the host does. Until 2026-12-05 they ran tanh
   alone (the table's families were then named *_tanh_*).

   3x3 convolutions (convdirect.cu): the geometry, layouts and contracts of include/odyn/private/convkernels.h
   (channel-major state per example, stencil K[o][c][a][b], cross-correlation with zero padding 1), k must be 3; with
   cin, cout <= ODYN_CUDA_CONV_MAXC the direct kernels, with more on either side im2col + cuBLAS (convgemm.cu; a
   workspace of at most 256 MiB). The stencil and bias are device arrays too.
*/
#include <odyn/private/convkernels.h>

#ifdef __cplusplus
extern "C" { /* the .cu files are C++ */
#endif

#define ODYN_CUDA_NARROW_MAX 16
#define ODYN_CUDA_CONV_MAXC  16

enum {
  ODYN_CUDA_OK         = 0,
  ODYN_CUDA_ERR_ARG    = 1, /* a size or pointer out of the documented range */
  ODYN_CUDA_ERR_NODEV  = 2, /* no CUDA device */
  ODYN_CUDA_ERR_ALLOC  = 3, /* cudaMalloc failed */
  ODYN_CUDA_ERR_CUDA   = 4, /* another CUDA runtime error (launch, copy, kernel) */
  ODYN_CUDA_ERR_CUBLAS = 5  /* a cuBLAS call failed */
};
/* what a status means, with the last CUDA/cuBLAS error or argument message recorded (static storage) */
const char *odyn_cuda_status_string(int status);

/* device and memory helpers (kernelsys.cu). device_count sets *count = 0 (status 0) when there is no device or driver. */
int odyn_cuda_device_count(int *count);
int odyn_cuda_malloc(double **d, long len);
int odyn_cuda_free(double *d);
int odyn_cuda_to_device(double *d, const double *h, long len);
int odyn_cuda_to_host(double *h, const double *d, long len);
int odyn_cuda_zero(double *d, long len);
/* waits for the device and reports any error of an earlier asynchronous launch */
int odyn_cuda_synchronize(void);
/* releases the process-wide workspace and cuBLAS handle (kernelsys.cu, wide.cu) */
int odyn_cuda_kernels_finalize(void);

/* narrow dense Euler tanh network, n <= 16 */
int odyn_cuda_narrow_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all);
int odyn_cuda_narrow_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
/* Ytraj: the (N + 1) n s states of a store_all forward */
int odyn_cuda_narrow_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *W, double *gtheta, double *gY0);
/* narrow dense leapfrog tanh network, n <= 16 (the same kernels, Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 tanh(K_j Y_j + b_j)):
   the same contracts, h the step (the kernels take h^2) */
int odyn_cuda_narrow_leapfrog_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all);
int odyn_cuda_narrow_leapfrog_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int odyn_cuda_narrow_leapfrog_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *W, double *gtheta, double *gY0);
/* the reversible ones (the contracts of odyn_cuda_leapfrog_forward_final and _adjoint_reversible below): the forward
   writes Y_N and Y_{N-1} in one sweep, the adjoint rebuilds the states backwards in registers; the tangent is
   odyn_cuda_narrow_leapfrog_tangent, which recomputes them from Y_0 */
int odyn_cuda_narrow_leapfrog_forward_final(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1);
int odyn_cuda_narrow_leapfrog_adjoint_reversible(int act, long n, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0);

/* wide dense Euler tanh network (cuBLAS): the forward stores all states in Ytraj ((N + 1) n s) and, when D is not NULL,
   D_j = 1 - tanh^2 of step j (N n s), which the tangent and the adjoint need */
int odyn_cuda_dense_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *D);
int odyn_cuda_dense_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *D, const double *dY0, double *dYN);
int odyn_cuda_dense_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *D, const double *W, double *gtheta, double *gY0);
/* dense leapfrog tanh network (leapfrog.cu, cuBLAS, any width): the forward stores all states in Ytraj ((N + 1) n s)
   and D_j = 1 - tanh^2 of step j (N n s), which the tangent and the adjoint need */
int odyn_cuda_leapfrog_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *D);
int odyn_cuda_leapfrog_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *D, const double *dY0, double *dYN);
int odyn_cuda_leapfrog_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *D, const double *W, double *gtheta, double *gY0);
/* reversible: only Y_N, Y_{N-1} kept; the tangent recomputes from Y0, the adjoint rebuilds backwards (backend.h) */
int odyn_cuda_leapfrog_forward_final(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1);
int odyn_cuda_leapfrog_tangent_y0(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int odyn_cuda_leapfrog_adjoint_reversible(int act, long n, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0);
/* C = A B (column-major, m x k times k x n) with cuBLAS: for the benchmark's DGEMM-alone line */
int odyn_cuda_dgemm(long m, long n, long k, const double *A, const double *B, double *C);

/* convolutions of 3x3 stencils (direct kernels up to 16 channels, im2col + cuBLAS beyond) and of 1x1 stencils (g->k 1:
   cuBLAS GEMMs on the states themselves): the contracts of convkernels.h */
/* Y = beta Y + alpha K * X */
int odyn_cuda_conv3_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, double *Y);
/* Y = act(K * X + b), D = act'(K * X + b) when D is not NULL (act: ODYN_PW_* of pointwise.h) */
int odyn_cuda_conv3_forward_bias_act(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *b, int act, double *Y, double *D);
/* the Euler step of a conv ResNet layer (cin == cout): Y = X + h act(K * X + b), D = act'(K * X + b) when not NULL;
   Y must not alias X */
int odyn_cuda_conv3_euler(const odyn_conv_geom *g, long s, const double *K, const double *b, int act, double h, const double *X, double *Y, double *D);
/* X = beta X + alpha K^T Y (the adjoint in the input) */
int odyn_cuda_conv3_adjoint(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *Y, double beta, double *X);
/* G += alpha dK-gradient of <W, K * X> summed over the examples (the adjoint in the stencil) */
int odyn_cuda_conv3_stencil_grad(const odyn_conv_geom *g, long s, const double *X, const double *W, double alpha, double *G);
/* T = alpha D .* P (elementwise, len values): the adjoint's scaling by the activation's derivative */
int odyn_cuda_hadamard(long len, double alpha, const double *D, const double *P, double *T);
/* y += alpha x (len values) */
int odyn_cuda_axpy(long len, double alpha, const double *x, double *y);

/* host references (narrowref.c): the same operations in plain C on host arrays, straightforward loops; the gradient
   sums over examples are accumulated in long double so that the reference is accurate beyond the device's summation
   order (the parity tests' tolerance then measures the device's rounding only). */
void odyn_narrow_ref_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all);
void odyn_narrow_ref_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
void odyn_narrow_ref_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *W, double *gtheta, double *gY0);

/* Verlet (Hamiltonian) tanh network, the layout of odyn's hamiltonian layer + verlet scheme (src/layers/impls/hamiltonian.c,
   src/schemes/impls/verlet.c), Y n x s, Z m x s (hidden width m):
     Z_{j+1/2} = Z_{j-1/2} - h tanh(K_j^T Y_j + bG_j),  Y_{j+1} = Y_j + h tanh(K_j Z_{j+1/2} + bF_j),  Z_{-1/2} = 0
     theta = [slot_0 | ... | slot_{N-1}],  slot_j = [K_j (n x m column-major) | bF_j (n) | bG_j (m)]: N (n m + n + m)
   forward: all states, Ytraj ((N + 1) n s, Y_j at j n s) and Ztraj ((N + 1) m s, Z_{k-1/2} at k m s, state 0 zero)
   tangent: (dtheta, dY0) -> dY_N from Y0 (the states recomputed); dtheta or dY0 NULL means zero
   adjoint: W -> gtheta += J_theta^T W, gY0 = J_Y0^T W from the stored states; gtheta or gY0 NULL: not computed
   The device kernels (verlet.cu) take 1 <= n, m <= ODYN_CUDA_NARROW_MAX: one kernel per sweep, a group of threads per
   example; wider blocks take odyn_cuda_verlet_wide_* below (verletwide.cu, cuBLAS). The host references (verletref.c: loops per example, gradient sums in
   long double) return 0 or ODYN_CUDA_ERR_ALLOC. */
int odyn_cuda_verlet_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj);
int odyn_cuda_verlet_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int odyn_cuda_verlet_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *W, double *gtheta, double *gY0);
/* Reversible Verlet (memory flat in N): forward_final keeps only the last pair, Y_N (n s) and Z_{N-1/2} (m s);
   adjoint_reversible starts from that pair and rebuilds the states backwards step by step alongside the adjoint,
     Y_j = Y_{j+1} - h tanh(K_j Z_{j+1/2} + bF_j),  Z_{j-1/2} = Z_{j+1/2} + h tanh(K_j^T Y_j + bG_j),
   with the same gtheta += / gY0 = as verlet_adjoint; Y0r (n s, may be NULL, may be YN) receives the rebuilt Y_0, the
   measure of the round-off (docs/derivations.md "Round-off"; the states drift from the forward's by about the unit
   round-off per step, carried by the backward steps' Jacobians; no re-anchoring, as the host's recompute trajectory).
   gY0 must not alias YN or ZN. verlet_memory (needs a device): the doubles of the state arrays a forward + adjoint
   pair needs ((N + 1)(n + m) s stored, (n + m) s reversible) and an upper bound of the adjoint's workspace (its
   per-block gradient slices: blocks x N (n m + n + m), blocks <= resident blocks, independent of s beyond that). */
int odyn_cuda_verlet_forward_final(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN);
int odyn_cuda_verlet_adjoint_reversible(int act, long n, long m, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0, double *Y0r);
int odyn_cuda_verlet_memory(long n, long m, long N, long s, int reversible, long *state_doubles, long *work_doubles);
/* Wide Verlet (verletwide.cu: per step and face one cuBLAS DGEMM and one fused pass; any n, m >= 1, meant for n or
   m > ODYN_CUDA_NARROW_MAX). The stored sweeps keep sigma' of both faces in lin (N (n + m) s: [DG_j (m s) | DF_j (n s)]
   per step) and the tangent works from the stored states; forward_final, tangent_y0 and adjoint_reversible are the
   reversible ones (the contracts above, no Y0r; gY0 must not alias YN or ZN). Inputs and outputs must not overlap,
   except YN = Y0 in forward_final and dYN = dY0 in the tangents. */
int odyn_cuda_verlet_wide_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj, double *lin);
int odyn_cuda_verlet_wide_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *Ztraj, const double *lin, const double *dY0, double *dYN);
int odyn_cuda_verlet_wide_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *lin, const double *W, double *gtheta, double *gY0);
int odyn_cuda_verlet_wide_forward_final(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN);
int odyn_cuda_verlet_wide_tangent_y0(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int odyn_cuda_verlet_wide_adjoint_reversible(int act, long n, long m, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0);

/* Parabolic tanh network (parabolic.cu): forward Euler with odyn's symmetric layer (src/layers/impls/symmetric.c),
     Y_{j+1} = Y_j - h K_j^T tanh(K_j Y_j + b_j),  slot_j = [K_j (m x n column-major) | b_j (m)]: N (m n + m) values,
   Y n x s, hidden width m. forward: Ytraj ((N + 1) n s) all states, lin (2 N m s) = [S_j = tanh(K_j Y_j + b_j) |
   D_j = 1 - S_j^2] per step; tangent from the stored states and lin (dtheta or dY0 NULL: zero; dYN may be dY0);
   adjoint gtheta += J_theta^T W, gY0 = J_Y0^T W (either NULL: not computed; gY0 may be W). Per step cuBLAS DGEMMs and
   one fused pass, any widths. */
int odyn_cuda_parabolic_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *lin);
int odyn_cuda_parabolic_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Ytraj, const double *lin, const double *dY0, double *dYN);
int odyn_cuda_parabolic_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *lin, const double *W, double *gtheta, double *gY0);
/* Narrow parabolic tanh networks (parabolicnarrow.cu: one kernel per sweep, 1 <= n, m <= ODYN_CUDA_NARROW_MAX), the
   same network and parameter layout without lin: forward stores all states in Ytraj ((N + 1) n s); the tangent
   recomputes the states from Y0 (dtheta or dY0 NULL: zero; dYN may be dY0); the adjoint reads Ytraj, gtheta +=
   J_theta^T W, gY0 = J_Y0^T W (either NULL: not computed; gY0 may be W). */
int odyn_cuda_parabolic_narrow_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj);
int odyn_cuda_parabolic_narrow_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int odyn_cuda_parabolic_narrow_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *W, double *gtheta, double *gY0);
int odyn_verlet_ref_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj);
int odyn_verlet_ref_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int odyn_verlet_ref_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *W, double *gtheta, double *gY0);
int odyn_verlet_ref_forward_final(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN);
int odyn_verlet_ref_adjoint_reversible(int act, long n, long m, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0, double *Y0r);

#ifdef __cplusplus
}
#endif

#endif
