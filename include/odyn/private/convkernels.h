#ifndef ODYN_CONVKERNELS_H
#define ODYN_CONVKERNELS_H

/*
   Multi-channel 2-D convolution kernels of the host backend (src/backend/host/conv.c); no PETSc here, like backend.h.

   Layouts (column-major, one example per column, s examples):
     image state  X: (c h w) x s, each column channel-major: X[e][c][i][j] at e*c*h*w + c*h*w + i*w + j
     stencil      K: cout x cin x k x k, K[o][c][a][b] at ((o*cin + c)*k + a)*k + b  (output channel slowest)
   The convolution is a cross-correlation with zero padding "same" (k odd, stride 1):
     (K * X)[o][i][j] = sum_{c,a,b} K[o][c][a][b] X[c][i + a - k/2][j + b - k/2]   (zero outside the image)
   Its adjoint is the convolution with the flipped, channel-transposed stencil (odyn_conv_flip()).

   The three kernels take one of two paths (odyn_conv_uses_direct()):
   - im2col and one OpenBLAS DGEMM per chunk of examples, with the chunk's examples in the GEMM's long dimension
     (h w x chunk rows): the chunk is sized so that the im2col buffer stays in cache (see conv.c); for many channels;
   - a direct 3x3 convolution for few channels (convdirect.c): no im2col, all output channels of a pixel run at once
     from registers.
   They return 0 on success, nonzero if a size does not fit the BLAS integer.
*/

typedef struct {
  long h, w;      /* image size (rows, columns) */
  long cin, cout; /* channels of the input and of the output */
  long k;         /* stencil size, odd (3: 3x3; 1: 1x1) */
} odyn_conv_geom;

/* which path the kernels take: ODYN_CONV_METHOD_AUTO (the size rule of odyn_conv_uses_direct()), or forced (the direct
   path only where it exists: 3x3 stencils; elsewhere the GEMM path). Process-wide; the environment variable
   ODYN_CONV_METHOD = auto | direct | gemm sets it before the first call (odyn_conv_method_from_env() says whether its
   value is valid, for the layers to report a bad one). */
enum { ODYN_CONV_METHOD_AUTO = 0, ODYN_CONV_METHOD_DIRECT = 1, ODYN_CONV_METHOD_GEMM = 2 };
void odyn_conv_set_method(int method);
int  odyn_conv_get_method(void);
/* 0: ODYN_CONV_METHOD unset or valid; 1: set to something else (then the size rule applies) */
int  odyn_conv_method_from_env(void);
/* whether the kernels take the direct path for this geometry: forced, or by the size rule 3x3 stencil, at most 16
   input and output channels, images at least 4 pixels wide (the direct kernel vectorizes along image rows) */
int  odyn_conv_uses_direct(const odyn_conv_geom *g);

/* size of the im2col block of one chunk of examples, in scalars (<= 0: the default 98304); call before any workspace is
   sized with odyn_conv_work_size() (layers size theirs at OdynLayerSetUp()) */
void odyn_conv_set_chunk_target(long scalars);
/* examples per im2col chunk for this geometry (>= 1); callers that walk the batch in the same chunks keep their own
   elementwise work on cache-resident data */
long odyn_conv_chunk_examples(const odyn_conv_geom *g);
/* scalars of workspace that odyn_conv_forward/adjoint/stencil_grad need (for any number of examples) */
long odyn_conv_work_size(const odyn_conv_geom *g);
/* the scratch of a host table's sweep over s examples (malloc'd, the caller free()s it; NULL if none): the convolution
   workspace (odyn_conv_work_size()), then the TV normalization's h w values (*tvwork), then, when T is not NULL, one
   chunk of cout channels (*T: cout h w odyn_conv_chunk_examples() values, at most s examples) */
double *odyn_conv_sweep_scratch(const odyn_conv_geom *g, long s, double **tvwork, double **T);
/* Y = beta Y + alpha K * X;  X: cin h w x s, Y: cout h w x s */
int odyn_conv_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, double *Y, double *work);
/* Y = K * X + b per output channel (b: cout values): the bias added as the direct path writes Y (one pass less) */
int odyn_conv_forward_bias(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *b, double *Y, double *work);
/* Y = act(K * X + b) and D = act'(K * X + b) (D may be NULL; act: ODYN_PW_* of pointwise.h): the forward of a layer;
   the direct path applies the activation to each output row as it is computed (its own vectorized tanh) */
int odyn_conv_forward_bias_act(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *b, int act, double *Y, double *D, double *work);
/* Y = X + h act(K * X + b) (cin == cout; D = act'(K * X + b) when not NULL): a layer's forward Euler step, bit for bit
   odyn_conv_forward_bias_act() followed by odyn_axpby(cout h w s, 1, X, h, Y); the direct path adds X to each output
   row as it is written (from its padded copy of X), the GEMM path runs the axpby */
int odyn_conv_forward_bias_act_euler(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *b, int act, double h, double *Y, double *D, double *work);
/* X = beta X + alpha K^T Y (the adjoint in the input);  Y: cout h w x s, X: cin h w x s */
int odyn_conv_adjoint(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *Y, double beta, double *X, double *work);
/* G += alpha dK, where <W, dK * X> = <dK-gradient G, dK> summed over the examples (the adjoint in the stencil) */
int odyn_conv_stencil_grad(const odyn_conv_geom *g, long s, const double *X, const double *W, double alpha, double *G, double *work);
/* the direct path (src/backend/host/convdirect.c; conv.c calls it): whether it exists for g (3x3 stencils), its
   workspace, the forward and the stencil gradient with the contracts of odyn_conv_forward / odyn_conv_stencil_grad
   (the adjoint is the forward with the flipped stencil) */
int  odyn_conv_direct_supported(const odyn_conv_geom *g);
long odyn_conv_direct_work_size(const odyn_conv_geom *g);
/* bias (cout values, or NULL): Y = K * X + bias per channel instead (alpha 1 and beta 0 are then expected); then
   Y = act(Y) (an ODYN_PW_* of pointwise.h; IDENTITY: none) and D = act'(Y) when D is not NULL, row by row */
void odyn_conv_direct_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, const double *bias, int act, double *Y, double *D, double *work);
/* the same with Y = X + h Y after the activation, row by row (alpha 1, beta 0; returns 1 unless cin == cout) */
int  odyn_conv_direct_forward_euler(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *bias, int act, double h, double *Y, double *D, double *work);
/* the direct path's tanh on n values in place, D = 1 - tanh^2 when D is not NULL (for the tests) */
void odyn_conv_direct_tanh(long n, double *y, double *D);
void odyn_conv_direct_stencil_grad(const odyn_conv_geom *g, long s, const double *X, const double *W, double alpha, double *G, double *work);

/* Kf += alpha flip(K): Kf[c][o][a][b] += alpha K[o][c][k-1-a][k-1-b]; K is cout x cin, Kf cin x cout. The adjoint of the
   linear map K -> flip(K) is flip with cin and cout exchanged. */
void odyn_conv_flip_add(long cin, long cout, long k, double alpha, const double *K, double *Kf);

/* per-channel bias: A[e][c][p] += b[c] (A: c hw x s) */
void odyn_channel_bias_add(long c, long hw, long s, const double *b, double *A);
/* g[c] += alpha sum_{e,p} A[e][c][p] */
void odyn_channel_sum_add(long c, long hw, long s, double alpha, const double *A, double *g);
/* g[c] += alpha sum_{e,p} A[e][c][p] B[e][c][p] */
void odyn_channel_dot_add(long c, long hw, long s, double alpha, const double *A, const double *B, double *g);
/* A[e][c][p] = scale[c] * U[e][c][p] + bias[c] (bias may be NULL); A may alias U */
void odyn_channel_affine(long c, long hw, long s, const double *scale, const double *bias, const double *U, double *A);
/* A[e][c][p] += scale[c] * U[e][c][p] + bias[c]: the TV normalization's parameter tangent dscale .* Uhat + dbeta */
void odyn_channel_affine_add(long c, long hw, long s, const double *scale, const double *bias, const double *U, double *A);

/*
   Total-variation normalization (paper 000 eq. 9): per example and pixel p, r_p = sqrt(sum_c U[c][p]^2 + eps),
   Uhat = U / r_p. tvnorm computes Uhat (in place allowed) and, when rinv is not NULL, 1/r_p (hw x s).
   tvnorm_jac applies the (symmetric) Jacobian of U -> Uhat at the point given by Uhat and rinv to V, in place:
     V[c][p] <- rinv_p (V[c][p] - Uhat[c][p] sum_c' Uhat[c'][p] V[c'][p]);  it is its own transpose.
   work: hw scalars.
*/
void odyn_tvnorm(long c, long hw, long s, double eps, const double *U, double *Uhat, double *rinv, double *work);
void odyn_tvnorm_jac(long c, long hw, long s, const double *Uhat, const double *rinv, double *V, double *work);
/* the normalized layers' products through N (A = scale .* Uhat + beta), in place: forward V <- scale .* J_tv V,
   adjoint V <- J_tv (scale .* V) (the transposed product) */
void odyn_tvnorm_forward_product(long c, long hw, long s, const double *scale, const double *Uhat, const double *rinv, double *V, double *work);
void odyn_tvnorm_adjoint_product(long c, long hw, long s, const double *scale, const double *Uhat, const double *rinv, double *V, double *work);

/* 2 x 2 average pooling of c channels of h x w images (h, w even): Y (c h/2 w/2 x s) = beta Y + alpha pool(X) */
void odyn_avgpool2(long c, long h, long w, long s, double alpha, const double *X, double beta, double *Y);
/* its adjoint: X (c h w x s) = beta X + alpha pool^T(Y) */
void odyn_avgpool2_adjoint(long c, long h, long w, long s, double alpha, const double *Y, double beta, double *X);

#endif
