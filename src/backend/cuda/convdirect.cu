/*
   Direct 3x3 convolutions on the device (include/odyn/private/cudakernels.h; layouts of convkernels.h): stride 1, zero
   padding 1, at most 16 channels. Why direct and not im2col + DGEMM: with 6 channels the im2col GEMM is thin and memory
   bound, while the direct form reads each input value once from global memory (issue 8).

   Work unit: one example and one band of BH image rows (BH chosen so that the band and its two halo rows fit a shared
   memory budget; a 28x28 image with 6 channels is one band). A block walks over units (grid-stride, grid sized by the
   occupancy calculator). Per unit the block copies the band's cin input planes, zero-bordered, into shared memory (so
   no inner loop tests the border), then each thread computes 4 adjacent output pixels of a row for all CO output
   channels (CO a template parameter: the 4 CO accumulators live in registers). Each loaded input value serves CO
   output channels and up to 3 column shifts; each stencil value (constant memory, the same address for the whole warp:
   a broadcast) serves 4 pixels.

   The stencil is copied, repacked as [c][a][b][o], into constant memory before each launch (the adjoint in the input
   packs the flipped, channel-transposed stencil: the adjoint is the same kernel). One process-wide constant stencil:
   the calls are on the default stream, in order.

   Stencil gradient: thread (c, a, part) keeps the 3 CO sums of its input channel c and stencil row a over the pixels
   part, part + P, ... of every unit its block handles, in registers for the block's whole life; at the end the parts are
   summed in shared memory, each block writes its own slice of a partial-sum array (no atomics), and
   odynk_reduce_blocks adds the slices in a fixed order.
*/
#include "kernelsys.cuh"
#include <odyn/private/pointwise.h>

#define CONV_BLOCK       256
#define CONV_SMEM_BUDGET (48 * 1024)
#define MAXC             ODYN_CUDA_CONV_MAXC

__constant__ double cW[MAXC * MAXC * 9]; /* packed [c][a][b][o] */
__constant__ double cB[MAXC];

enum { MODE_AXPBY = 0, MODE_BIAS_ACT = 1, MODE_EULER = 2 };

/* packed[(c*9 + a*3 + b)*stride + o] = K[o][c][a][b], or for flip (the adjoint: inputs o, outputs c) K[o][c][2-a][2-b] at
   packed[(o*9 + a*3 + b)*stride + c]; stride >= the output channels (the kernel's CO: the padding is zero, so that a
   kernel compiled for more output channels than there are computes zeros there and stores nothing) */
__global__ void pack_stencil(int cin, int cout, int flip, int stride, const double *__restrict__ K, double *__restrict__ packed)
{
  const int nin = flip ? cout : cin, len = nin * 9 * stride;
  for (int k = blockIdx.x * blockDim.x + threadIdx.x; k < len; k += gridDim.x * blockDim.x) packed[k] = 0.0;
  __syncthreads(); /* one block (see upload_stencil): the zeros are written before the values */
  for (int k = threadIdx.x; k < cin * cout * 9; k += blockDim.x) {
    const int b = k % 3, a = (k / 3) % 3, c = (k / 9) % cin, o = k / (9 * cin);
    if (!flip) packed[(c * 9 + a * 3 + b) * stride + o] = K[k];
    else packed[(o * 9 + (2 - a) * 3 + (2 - b)) * stride + c] = K[k];
  }
}

/* the activation and its derivative, out of line: the forward's epilogue is unrolled over 4 CO values and inlining the
   switch of pointwise.h there made the file slow to compile; tanh, the common case, stays inline */
__device__ __noinline__ double act_general(int act, double z, double *d)
{
  *d = odyn_act_deriv(act, z);
  return odyn_act(act, z);
}
__device__ inline double act_eval(int act, double z, double *d)
{
  if (act == ODYN_PW_TANH) {
    const double t = tanh(z);
    *d             = 1.0 - t * t;
    return t;
  }
  return act_general(act, z, d);
}

struct band_geom {
  int  cin, h, w, BH, nb, WP; /* WP: shared row stride, 4 ceil(w / 4) + 2 (columns -1 .. 4 ceil(w / 4)) */
  long s;
};

/* the band's cin planes with one halo row above and below and zero columns around, into xs */
__device__ inline void load_band(const band_geom &g, const double *__restrict__ X, long e, int r0, int rows, double *xs)
{
  const int  plane = (g.BH + 2) * g.WP;
  const long hw    = (long)g.h * g.w;
  for (int idx = threadIdx.x; idx < g.cin * plane; idx += blockDim.x) {
    const int c = idx / plane, rem = idx % plane, rr = rem / g.WP, q = rem % g.WP;
    const int gi = r0 - 1 + rr, gj = q - 1;
    xs[idx]      = (rr < rows + 2 && gi >= 0 && gi < g.h && gj >= 0 && gj < g.w) ? X[e * g.cin * hw + c * hw + (long)gi * g.w + gj] : 0.0;
  }
}

template <int CO>
__global__ void __launch_bounds__(CONV_BLOCK) conv_forward_k(band_geom g, int cout, int mode, double alpha, double beta, int act, double hstep, const double *__restrict__ X, double *__restrict__ Y, double *__restrict__ D)
{
  extern __shared__ __align__(16) double xs[];
  const long units = g.s * g.nb, hw = (long)g.h * g.w;
  const int  ngrp  = (g.w + 3) / 4;

  for (long unit = blockIdx.x; unit < units; unit += gridDim.x) {
    const long e = unit / g.nb;
    const int  r0 = (int)(unit % g.nb) * g.BH, rows = min(g.BH, g.h - r0);

    load_band(g, X, e, r0, rows, xs);
    __syncthreads();
    for (int it = threadIdx.x; it < rows * ngrp; it += blockDim.x) {
      const int i = it / ngrp, q0 = 4 * (it % ngrp);
      double    acc[CO][4];
#pragma unroll
      for (int o = 0; o < CO; o++)
#pragma unroll
        for (int p = 0; p < 4; p++) acc[o][p] = 0.0;
      for (int c = 0; c < g.cin; c++) {
#pragma unroll
        for (int a = 0; a < 3; a++) {
          const double2 *row = reinterpret_cast<const double2 *>(xs + (c * (g.BH + 2) + i + a) * g.WP + q0);
          const double2  v0 = row[0], v1 = row[1], v2 = row[2];
          const double   xr[6] = {v0.x, v0.y, v1.x, v1.y, v2.x, v2.y};
          const int      wk    = (c * 9 + a * 3) * CO;
#pragma unroll
          for (int b = 0; b < 3; b++)
#pragma unroll
            for (int o = 0; o < CO; o++) {
              const double wv = cW[wk + b * CO + o]; /* uniform over the warp: a constant-cache broadcast */
#pragma unroll
              for (int p = 0; p < 4; p++) acc[o][p] += wv * xr[p + b];
            }
        }
      }
      const int gi = r0 + i;
#pragma unroll
      for (int o = 0; o < CO; o++)
#pragma unroll
        for (int p = 0; p < 4; p++) {
          const int j = q0 + p;
          if (j >= g.w || o >= cout) continue;
          const long idx = e * cout * hw + o * hw + (long)gi * g.w + j;
          if (mode == MODE_AXPBY) Y[idx] = (beta == 0.0 ? 0.0 : beta * Y[idx]) + alpha * acc[o][p];
          else {
            const double z = acc[o][p] + cB[o];
            double       d;
            const double f = act_eval(act, z, &d);
            if (D) D[idx] = d;
            /* Euler: the input value at the same pixel and channel is in shared memory already (cin == cout) */
            Y[idx] = mode == MODE_EULER ? xs[(o * (g.BH + 2) + i + 1) * g.WP + j + 1] + hstep * f : f;
          }
        }
    }
    __syncthreads();
  }
}

/* part: nk = CO cin 9 sums per block at part + blockIdx.x nk, in the layout of K */
template <int CO>
__global__ void __launch_bounds__(CONV_BLOCK) conv_stencil_grad_k(band_geom g, int cout, const double *__restrict__ X, const double *__restrict__ W, double *__restrict__ part)
{
  extern __shared__ __align__(16) double xs[];
  double    *ws = xs + g.cin * (g.BH + 2) * g.WP;
  const long units = g.s * g.nb, hw = (long)g.h * g.w;
  const int  ncombo = g.cin * 3, P = blockDim.x / ncombo, combo = threadIdx.x / P, pt = threadIdx.x % P;
  const bool active = combo < ncombo;
  const int  c = active ? combo / 3 : 0, a = active ? combo % 3 : 0;
  double     acc[CO][3];

#pragma unroll
  for (int o = 0; o < CO; o++)
#pragma unroll
    for (int b = 0; b < 3; b++) acc[o][b] = 0.0;
  for (long unit = blockIdx.x; unit < units; unit += gridDim.x) {
    const long e = unit / g.nb;
    const int  r0 = (int)(unit % g.nb) * g.BH, rows = min(g.BH, g.h - r0);

    load_band(g, X, e, r0, rows, xs);
    for (int idx = threadIdx.x; idx < cout * rows * g.w; idx += blockDim.x) {
      const int o = idx / (rows * g.w), rem = idx % (rows * g.w);
      ws[o * g.BH * g.w + rem] = W[e * cout * hw + o * hw + (long)r0 * g.w + rem];
    }
    __syncthreads();
    if (active)
      for (int p = pt; p < rows * g.w; p += P) {
        const int     i = p / g.w, j = p % g.w;
        const double *xr = xs + (c * (g.BH + 2) + i + a) * g.WP + j;
        const double  x0 = xr[0], x1 = xr[1], x2 = xr[2];
#pragma unroll
        for (int o = 0; o < CO; o++) {
          if (o >= cout) break;
          const double wv = ws[o * g.BH * g.w + p];
          acc[o][0] += wv * x0;
          acc[o][1] += wv * x1;
          acc[o][2] += wv * x2;
        }
      }
    __syncthreads();
  }
  /* sum the parts of each (c, a) in shared memory, one (o, b) at a time, in a fixed order */
  double   *red = xs;
  const int nk  = cout * g.cin * 9;
#pragma unroll
  for (int o = 0; o < CO; o++)
#pragma unroll
    for (int b = 0; b < 3; b++) {
      if (o >= cout) break; /* uniform over the block */
      red[threadIdx.x] = active ? acc[o][b] : 0.0;
      __syncthreads();
      if (threadIdx.x < ncombo) {
        double sum = 0.0;
        for (int q = 0; q < P; q++) sum += red[threadIdx.x * P + q];
        const int cc = threadIdx.x / 3, aa = threadIdx.x % 3;
        part[(long)blockIdx.x * nk + ((o * g.cin + cc) * 3 + aa) * 3 + b] = sum;
      }
      __syncthreads();
    }
}

static int check_geom(const char *fn, const odyn_conv_geom *g, long s)
{
  if (!g) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: no geometry", fn);
  if (g->k != 3) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: only 3x3 stencils (k = 3), got k = %ld", fn, g->k);
  if (g->cin < 1 || g->cin > MAXC || g->cout < 1 || g->cout > MAXC) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: channels must be 1..%d, got cin = %ld, cout = %ld", fn, MAXC, g->cin, g->cout);
  if (g->h < 1 || g->w < 1 || g->h > 65536 || g->w > 65536 || s < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: image %ld x %ld, batch %ld out of range", fn, g->h, g->w, s);
  if (s > (1L << 40) / (g->h * g->w * MAXC)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: batch %ld too large", fn, s);
  return ODYN_CUDA_OK;
}

/* band height for `per_row` shared doubles per band row plus `fixed` for the two halo rows */
static int band_of(const char *fn, const odyn_conv_geom *g, long s, int cin, long per_row, long fixed, band_geom *bg, size_t *smem)
{
  const odynk_props *pr;
  ODYNK_CALL(odynk_get_props(&pr));
  bg->cin = cin;
  bg->h   = (int)g->h;
  bg->w   = (int)g->w;
  bg->WP  = 4 * (int)((g->w + 3) / 4) + 2;
  bg->s   = s;
  long BH = (CONV_SMEM_BUDGET / 8 - fixed) / per_row;
  if (BH > g->h) BH = g->h;
  if (BH < 1) BH = 1;
  *smem = (size_t)(fixed + BH * per_row) * sizeof(double);
  if (*smem > (size_t)pr->smem_optin) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: image rows of %ld pixels with %d channels need %zu bytes of shared memory, more than the device's %d", fn, g->w, cin, *smem, pr->smem_optin);
  bg->BH = (int)BH;
  bg->nb = (int)((g->h + BH - 1) / BH);
  return ODYN_CUDA_OK;
}

template <typename KernelT>
static int conv_grid(KernelT kernel, size_t smem, long units, unsigned *grid)
{
  const odynk_props *pr;
  int                nb = 0;
  ODYNK_CALL(odynk_get_props(&pr));
  if (smem > 48 * 1024) ODYNK_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
  ODYNK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&nb, kernel, CONV_BLOCK, smem));
  if (nb < 1) return odynk_fail(ODYN_CUDA_ERR_ARG, "conv kernel: %zu bytes of shared memory per block leave no block resident", smem);
  long gsz = (long)nb * pr->sms;
  if (gsz > units) gsz = units;
  *grid = (unsigned)(gsz > 0 ? gsz : 1);
  return ODYN_CUDA_OK;
}

/* the output channels a kernel is compiled for: few instantiations keep the file quick to compile; a kernel for more
   channels than there are computes on zero stencil values there (at most 1/3 more work: 5 -> 6, 9 -> 12) */
static int co_of(long c) { return c <= 2 ? (int)c : c <= 4 ? 4 : c <= 6 ? 6 : c <= 8 ? 8 : c <= 12 ? 12 : 16; }

/* repacks K (cout x cin x 3 x 3, or flipped) into constant memory with the padding of co_of(), and b (cout values) when
   not NULL */
static int upload_stencil(int cin, int cout, int flip, const double *K, const double *b)
{
  void     *pp     = NULL;
  const int stride = co_of(flip ? cin : cout), len = (flip ? cout : cin) * 9 * stride;
  ODYNK_CALL(odynk_scratch(3, (size_t)len * sizeof(double), &pp));
  pack_stencil<<<1, 256>>>(cin, cout, flip, stride, K, (double *)pp);
  ODYNK_LAUNCHED("pack_stencil");
  ODYNK_CUDA(cudaMemcpyToSymbolAsync(cW, pp, (size_t)len * sizeof(double), 0, cudaMemcpyDeviceToDevice, 0));
  if (b) ODYNK_CUDA(cudaMemcpyToSymbolAsync(cB, b, (size_t)(flip ? cin : cout) * sizeof(double), 0, cudaMemcpyDeviceToDevice, 0));
  return ODYN_CUDA_OK;
}

template <int CO>
static int forward_co(const band_geom &bg, int cout, size_t smem, int mode, double alpha, double beta, int act, double hstep, const double *X, double *Y, double *D)
{
  unsigned grid;
  ODYNK_CALL(conv_grid(conv_forward_k<CO>, smem, bg.s * bg.nb, &grid));
  conv_forward_k<CO><<<grid, CONV_BLOCK, smem>>>(bg, cout, mode, alpha, beta, act, hstep, X, Y, D);
  ODYNK_LAUNCHED("conv_forward_k");
  return ODYN_CUDA_OK;
}

template <int CO>
static int grad_co(const band_geom &bg, int cout, size_t smem, const double *X, const double *W, double alpha, double *G)
{
  unsigned  grid;
  void     *pp = NULL;
  const int nk = cout * bg.cin * 9;
  /* the final reduction reuses the band buffer: it must hold a block's worth of doubles */
  if (smem < CONV_BLOCK * sizeof(double)) smem = CONV_BLOCK * sizeof(double);
  ODYNK_CALL(conv_grid(conv_stencil_grad_k<CO>, smem, bg.s * bg.nb, &grid));
  ODYNK_CALL(odynk_scratch(2, (size_t)grid * nk * sizeof(double), &pp));
  conv_stencil_grad_k<CO><<<grid, CONV_BLOCK, smem>>>(bg, cout, X, W, (double *)pp);
  ODYNK_LAUNCHED("conv_stencil_grad_k");
  ODYNK_CALL(odynk_reduce_blocks(nk, grid, (const double *)pp, alpha, G, 1));
  return ODYN_CUDA_OK;
}

#define ODYNK_CO_SWITCH(co, call) \
  switch (co_of(co)) { \
  case 1: return call(1); case 2: return call(2); case 4: return call(4); case 6: return call(6); \
  case 8: return call(8); case 12: return call(12); default: return call(16); \
  }

/* the forward kernel for output channels co, input channels ci, with the stencil already in constant memory */
static int forward_any(const char *fn, const odyn_conv_geom *g, long s, int ci, int co, int mode, double alpha, double beta, int act, double hstep, const double *X, double *Y, double *D)
{
  band_geom bg;
  size_t    smem;
  const int WP = 4 * (int)((g->w + 3) / 4) + 2;
  ODYNK_CALL(band_of(fn, g, s, ci, (long)ci * WP, 2L * ci * WP, &bg, &smem));
#define FWD(c) forward_co<c>(bg, co, smem, mode, alpha, beta, act, hstep, X, Y, D)
  ODYNK_CO_SWITCH(co, FWD)
#undef FWD
}

int odyn_cuda_conv3_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, double *Y)
{
  ODYNK_CALL(check_geom("odyn_cuda_conv3_forward", g, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!K || !X || !Y) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_forward: K, X and Y must be device arrays");
  ODYNK_CALL(upload_stencil((int)g->cin, (int)g->cout, 0, K, NULL));
  return forward_any("odyn_cuda_conv3_forward", g, s, (int)g->cin, (int)g->cout, MODE_AXPBY, alpha, beta, ODYN_PW_IDENTITY, 0.0, X, Y, NULL);
}

int odyn_cuda_conv3_forward_bias_act(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *b, int act, double *Y, double *D)
{
  ODYNK_CALL(check_geom("odyn_cuda_conv3_forward_bias_act", g, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!K || !X || !Y || !b) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_forward_bias_act: K, X, b and Y must be device arrays");
  ODYNK_CALL(upload_stencil((int)g->cin, (int)g->cout, 0, K, b));
  return forward_any("odyn_cuda_conv3_forward_bias_act", g, s, (int)g->cin, (int)g->cout, MODE_BIAS_ACT, 1.0, 0.0, act, 0.0, X, Y, D);
}

int odyn_cuda_conv3_euler(const odyn_conv_geom *g, long s, const double *K, const double *b, int act, double h, const double *X, double *Y, double *D)
{
  ODYNK_CALL(check_geom("odyn_cuda_conv3_euler", g, s));
  if (g->cin != g->cout) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_euler: X + h F(X) needs cin == cout, got %ld and %ld", g->cin, g->cout);
  if (s == 0) return ODYN_CUDA_OK;
  if (!K || !X || !Y || !b) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_euler: K, b, X and Y must be device arrays");
  if (X == Y) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_euler: Y must not alias X (other blocks still read X)");
  ODYNK_CALL(upload_stencil((int)g->cin, (int)g->cout, 0, K, b));
  return forward_any("odyn_cuda_conv3_euler", g, s, (int)g->cin, (int)g->cout, MODE_EULER, 1.0, 0.0, act, h, X, Y, D);
}

int odyn_cuda_conv3_adjoint(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *Y, double beta, double *X)
{
  odyn_conv_geom t;
  ODYNK_CALL(check_geom("odyn_cuda_conv3_adjoint", g, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!K || !X || !Y) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_adjoint: K, Y and X must be device arrays");
  t      = *g;
  t.cin  = g->cout;
  t.cout = g->cin;
  ODYNK_CALL(upload_stencil((int)g->cin, (int)g->cout, 1, K, NULL));
  return forward_any("odyn_cuda_conv3_adjoint", &t, s, (int)g->cout, (int)g->cin, MODE_AXPBY, alpha, beta, ODYN_PW_IDENTITY, 0.0, Y, X, NULL);
}

int odyn_cuda_conv3_stencil_grad(const odyn_conv_geom *g, long s, const double *X, const double *W, double alpha, double *G)
{
  band_geom bg;
  size_t    smem;
  ODYNK_CALL(check_geom("odyn_cuda_conv3_stencil_grad", g, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!X || !W || !G) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_stencil_grad: X, W and G must be device arrays");
  const int WP = 4 * (int)((g->w + 3) / 4) + 2;
  ODYNK_CALL(band_of("odyn_cuda_conv3_stencil_grad", g, s, (int)g->cin, g->cin * WP + g->cout * g->w, 2L * g->cin * WP, &bg, &smem));
#define GRD(c) grad_co<c>(bg, (int)g->cout, smem, X, W, alpha, G)
  ODYNK_CO_SWITCH(g->cout, GRD)
#undef GRD
}
