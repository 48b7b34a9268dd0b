/*
   3x3 convolutions of more than ODYN_CUDA_CONV_MAXC channels (on either side), and 1x1 convolutions of any channels
   (paper 000's connectors), for convdirect.cu's API (odyn_cuda_conv3_*, cudakernels.h), which sends them here: im2col +
   cuBLAS DGEMM, in chunks of examples.

   Why not the direct kernels: they keep the stencil in constant memory (64 KiB: 16 x 16 x 9 values and the bias) and
   the CO output channels' accumulators of 4 pixels in registers, which stops at 16 channels. Why im2col here when the
   direct form was chosen for few channels (issue 8): the im2col GEMM is memory bound only while it is thin; with
   K = 9 cin >= 153 and cout >= 17 columns each value of the column matrix serves cout multiply-adds, and cuBLAS runs
   the GEMM far closer to the fp64 peak than to the bandwidth limit. The column matrix costs 9 cin h w doubles per
   example; the examples go in chunks of at most CHUNK_DOUBLES / (9 cin h w) (256 MiB of workspace at most, slots 4
   and 5 of kernelsys.cu's; the conv block sweeps hold no workspace slot while they call the kernels).
   A 1x1 convolution is a GEMM without im2col: example e's input X_e is itself the hw x cin matrix (ld hw), so the
   forward and the input adjoint are one strided-batched DGEMM over all examples on X and Y themselves (no workspace);
   only the stencil gradient, which sums over the examples, copies X into the column layout cols[c][e][p] (the
   examples inside the channels). Before, connectors ran as 3x3 stencils with zero outer taps on the direct kernels:
   9 times the multiply-adds.

   Layouts (convkernels.h): X[e][c][p] (p = i w + j), K[o][c][a][b], which as a column-major matrix Kc is T cin x cout
   (T = k^2 taps: 9, or 1; row 9 c + 3 a + b, or c); the chunk's column matrix cols[k][e][p], ld = ne hw (ne examples),
   so that example e's block is the hw x T cin matrix at cols + e hw and the whole chunk is one (ne hw) x T cin matrix
   (3x3; a 1x1 forward and input adjoint use X_e at X + e cin hw, ld hw, instead):
     forward        Y_e = alpha cols_e Kc + beta Y_e      one strided-batched DGEMM (Kc shared: stride 0)
                    then Y = act(Y + b), D = act'(Y + b) or Y = X + h act(Y + b) (bias / Euler modes): one pass
     input adjoint  dcols_e = Y_e Kc^T (strided-batched, into the column layout); X = beta X + alpha col2im(dcols):
                    a gather, 9 reads per value (no atomics)
     stencil grad   Gc += alpha cols^T Wt over the whole chunk (one DGEMM, k = ne hw; Wt: W of the chunk as [o][e][p]),
                    G accumulated chunk after chunk: deterministic (cuBLAS's order is fixed for a shape and device)
   All on the legacy default stream with kernelsys.cu's cuBLAS handle, as the direct kernels.
   The outputs agree with the host's convkernels.h to round-off (another summation order): tests/gpu/test_gpu_conv.c.
*/
#include "kernelsys.cuh"
#include "convact.cuh"

#define CHUNK_DOUBLES (1L << 25) /* the column matrix of a chunk: 256 MiB */

/* cols[k][e][p] = X[e][c][i + a - 1][j + b - 1] (k = 9 c + 3 a + b, p = i w + j), 0 outside the image */
static __global__ void k_im2col(int cin, int h, int w, long ne, const double *__restrict__ X, double *__restrict__ cols)
{
  const long hw = (long)h * w, len = 9L * cin * ne * hw;

  for (long t = blockIdx.x * (long)blockDim.x + threadIdx.x; t < len; t += (long)gridDim.x * blockDim.x) {
    const long p = t % hw, e = (t / hw) % ne, k = t / (hw * ne);
    const int  c = (int)(k / 9), a = (int)(k / 3 % 3), b = (int)(k % 3);
    const long i = p / w + a - 1, j = p % w + b - 1;

    cols[t] = i >= 0 && i < h && j >= 0 && j < w ? X[(e * cin + c) * hw + i * w + j] : 0.0;
  }
}

/* X[e][c][q] = beta X + alpha sum_{a, b} dcols[9 c + 3 a + b][e][q - (a - 1, b - 1)] over the taps inside the image:
   the adjoint of k_im2col; beta 0: X is not read */
static __global__ void k_col2im(int cin, int h, int w, long ne, double alpha, const double *__restrict__ dcols, double beta, double *__restrict__ X)
{
  const long hw = (long)h * w, len = (long)cin * ne * hw;

  for (long t = blockIdx.x * (long)blockDim.x + threadIdx.x; t < len; t += (long)gridDim.x * blockDim.x) {
    const long q = t % hw, c = (t / hw) % cin, e = t / (hw * cin), i = q / w, j = q % w;
    double     sum = 0.0;

    for (int a = 0; a < 3; a++) {
      const long pi = i - a + 1;

      if (pi < 0 || pi >= h) continue;
      for (int b = 0; b < 3; b++) {
        const long pj = j - b + 1;

        if (pj >= 0 && pj < w) sum += dcols[((c * 9 + a * 3 + b) * ne + e) * hw + pi * w + pj];
      }
    }
    X[t] = beta == 0.0 ? alpha * sum : beta * X[t] + alpha * sum;
  }
}

/* Wt[o][e][p] = W[e][o][p] (the chunk's cotangent with the examples inside the channels: the stencil gradient's
   right-hand matrix) */
static __global__ void k_channels_outer(int cout, long hw, long ne, const double *__restrict__ W, double *__restrict__ Wt)
{
  const long len = (long)cout * ne * hw;

  for (long t = blockIdx.x * (long)blockDim.x + threadIdx.x; t < len; t += (long)gridDim.x * blockDim.x) {
    const long p = t % hw, e = (t / hw) % ne, o = t / (hw * ne);

    Wt[t] = W[(e * cout + o) * hw + p];
  }
}

/* Z = K * X in Y: Y = act(Y + b), D = act'(Y + b) when D is not NULL; euler: Y = X + h act(Y + b) (cin == cout) */
static __global__ void k_bias_act(int cout, long hw, long len, const double *__restrict__ b, int act, int euler, double h, const double *__restrict__ X, double *__restrict__ Y, double *__restrict__ D)
{
  for (long t = blockIdx.x * (long)blockDim.x + threadIdx.x; t < len; t += (long)gridDim.x * blockDim.x) {
    double       d;
    const double f = odynk_act_eval(act, Y[t] + b[(t / hw) % cout], &d);

    Y[t] = euler ? X[t] + h * f : f;
    if (D) D[t] = d;
  }
}

/* rows of the column matrix: T cin (T = 9 taps of a 3x3 stencil, 1 of a 1x1) */
static long col_rows(const odyn_conv_geom *g) { return g->k * g->k * g->cin; }

/* examples per chunk: the column matrix (T cin hw per example) within CHUNK_DOUBLES, at least one */
static long chunk_of(const odyn_conv_geom *g, long s)
{
  const long per = col_rows(g) * g->h * g->w, ne = CHUNK_DOUBLES / per;

  return ne < 1 ? 1 : ne < s ? ne : s;
}

static int columns(const odyn_conv_geom *g, long s, double **cols)
{
  void *p = NULL;

  ODYNK_CALL(odynk_scratch(4, (size_t)(col_rows(g) * g->h * g->w * chunk_of(g, s)) * sizeof(double), &p));
  *cols = (double *)p;
  return ODYN_CUDA_OK;
}

/* the column matrix of ne examples: im2col (3x3), or the examples moved inside the channels (1x1) */
static int im2col(const odyn_conv_geom *g, long ne, const double *X, double *cols)
{
  if (g->k == 1) {
    k_channels_outer<<<odynk_grid1d(g->cin * ne * g->h * g->w), 256>>>((int)g->cin, g->h * g->w, ne, X, cols);
    ODYNK_LAUNCHED("k_channels_outer (1x1 columns)");
    return ODYN_CUDA_OK;
  }
  k_im2col<<<odynk_grid1d(9 * g->cin * ne * g->h * g->w), 256>>>((int)g->cin, (int)g->h, (int)g->w, ne, X, cols);
  ODYNK_LAUNCHED("k_im2col");
  return ODYN_CUDA_OK;
}

/* Y = beta Y + alpha K * X, then the bias / activation / Euler pass when b is not NULL (alpha 1, beta 0 then) */
int odynk_conv3_gemm_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, double *Y, const double *b, int act, int euler, double h, double *D)
{
  cublasHandle_t cb = NULL;
  double        *cols = NULL;
  const bool     one = g->k == 1; /* 1x1: X_e is the GEMM's left matrix, all examples at once */
  const long     hw = g->h * g->w, ne = one ? s : chunk_of(g, s);
  const int      kk = (int)col_rows(g);

  ODYNK_CALL(odynk_cublas(&cb));
  if (!one) ODYNK_CALL(columns(g, s, &cols));
  for (long e0 = 0; e0 < s; e0 += ne) {
    const long    n = ne < s - e0 ? ne : s - e0, oy = e0 * g->cout * hw;
    const double *A = one ? X + e0 * g->cin * hw : cols;

    if (!one) ODYNK_CALL(im2col(g, n, X + e0 * g->cin * hw, cols));
    ODYNK_CUBLAS(cublasDgemmStridedBatched(cb, CUBLAS_OP_N, CUBLAS_OP_N, (int)hw, (int)g->cout, kk, &alpha, A, (int)(one ? hw : n * hw), one ? g->cin * hw : hw, K, kk, 0, &beta, Y + oy, (int)hw, g->cout * hw, (int)n));
    if (b) {
      k_bias_act<<<odynk_grid1d(g->cout * hw * n), 256>>>((int)g->cout, hw, g->cout * hw * n, b, act, euler, h, euler ? X + oy : NULL, Y + oy, D ? D + oy : NULL);
      ODYNK_LAUNCHED("k_bias_act");
    }
  }
  return ODYN_CUDA_OK;
}

/* X = beta X + alpha K^T Y */
int odynk_conv3_gemm_adjoint(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *Y, double beta, double *X)
{
  cublasHandle_t cb = NULL;
  double        *dcols;
  const double   one = 1.0, zero = 0.0;
  const long     hw = g->h * g->w, ne = chunk_of(g, s);
  const int      kk = (int)col_rows(g);

  ODYNK_CALL(odynk_cublas(&cb));
  if (g->k == 1) { /* X_e = beta X_e + alpha Y_e Kc^T, straight into X (beta 0: cuBLAS does not read X) */
    ODYNK_CUBLAS(cublasDgemmStridedBatched(cb, CUBLAS_OP_N, CUBLAS_OP_T, (int)hw, kk, (int)g->cout, &alpha, Y, (int)hw, g->cout * hw, K, kk, 0, &beta, X, (int)hw, g->cin * hw, (int)s));
    return ODYN_CUDA_OK;
  }
  ODYNK_CALL(columns(g, s, &dcols));
  for (long e0 = 0; e0 < s; e0 += ne) {
    const long n = ne < s - e0 ? ne : s - e0;

    ODYNK_CUBLAS(cublasDgemmStridedBatched(cb, CUBLAS_OP_N, CUBLAS_OP_T, (int)hw, kk, (int)g->cout, &one, Y + e0 * g->cout * hw, (int)hw, g->cout * hw, K, kk, 0, &zero, dcols, (int)(n * hw), hw, (int)n));
    k_col2im<<<odynk_grid1d(g->cin * hw * n), 256>>>((int)g->cin, (int)g->h, (int)g->w, n, alpha, dcols, beta, X + e0 * g->cin * hw);
    ODYNK_LAUNCHED("k_col2im");
  }
  return ODYN_CUDA_OK;
}

/* G += alpha (the stencil gradient of <W, K * X>) */
int odynk_conv3_gemm_stencil_grad(const odyn_conv_geom *g, long s, const double *X, const double *W, double alpha, double *G)
{
  cublasHandle_t cb = NULL;
  double        *cols, *Wt;
  void          *p = NULL;
  const double   one = 1.0;
  const long     hw = g->h * g->w, ne = chunk_of(g, s);
  const int      kk = (int)col_rows(g);

  ODYNK_CALL(odynk_cublas(&cb));
  ODYNK_CALL(columns(g, s, &cols));
  ODYNK_CALL(odynk_scratch(5, (size_t)(g->cout * hw * ne) * sizeof(double), &p));
  Wt = (double *)p;
  for (long e0 = 0; e0 < s; e0 += ne) {
    const long n = ne < s - e0 ? ne : s - e0;

    ODYNK_CALL(im2col(g, n, X + e0 * g->cin * hw, cols));
    k_channels_outer<<<odynk_grid1d(g->cout * hw * n), 256>>>((int)g->cout, hw, n, W + e0 * g->cout * hw, Wt);
    ODYNK_LAUNCHED("k_channels_outer");
    ODYNK_CUBLAS(cublasDgemm(cb, CUBLAS_OP_T, CUBLAS_OP_N, kk, (int)g->cout, (int)(n * hw), &alpha, cols, (int)(n * hw), Wt, (int)(n * hw), &one, G, kk));
  }
  return ODYN_CUDA_OK;
}
