/*
   Direct 3x3 convolutions on the device (include/odyn/private/cudakernels.h; layouts of convkernels.h): stride 1, zero
   padding 1, at most 16 channels (more on either side, and 1x1 stencils of any channels: convgemm.cu, im2col +
   cuBLAS, which these functions call). Why direct and not im2col + DGEMM: with 6 channels the im2col GEMM is thin and memory
   bound, while the direct form reads each input value once from global memory (issue 8).

   Work unit: one example and one band of BH image rows (BH chosen so that the band's cin planes with their two halo
   rows fit 48 KiB of shared memory; a 28x28 image with 6 channels is one band, 16 channels are 3 bands). A block walks
   over units (grid-stride, the grid sized by the occupancy calculator) with its shared memory split in two buffers:
   while it computes unit k from one buffer, the asynchronous copies (cp.async, no registers, no waiting) of unit
   k + grid fill the other. One __syncthreads per unit. Why: the first version staged a unit with ordinary loads,
   one latency-bound global load per thread and loop trip (a runtime div/mod per element, no overlap with the
   arithmetic: ~20 trips of ~1 us per unit), then computed; with two blocks per SM half the SM's time went to waiting
   on the staging. The copies go row by row, one warp per row (no div/mod per element), coalesced; the zero border
   is written by plain stores.

   Forward: each thread computes 4 adjacent output pixels of a row for all CO output channels (CO a template
   parameter: 4 CO accumulators in registers). Per input channel and stencil row: three 16-byte shared loads serve
   3 shifts x CO x 4 = 72 (CO = 6) FMAs; each stencil value (constant memory, one address for the warp: a broadcast)
   serves 4 pixels. The block has as many threads as a band has 4-pixel groups, rounded up to a warp (28x28: 196
   groups, 224 threads; the first version used 256 and left 60 idle). The epilogue (alpha/beta, or bias, activation,
   D = act', Euler update X + h f with X from the shared band) stores pairs of pixels as 16-byte stores when the row
   width is even and the arrays are 16-byte aligned (else 8-byte stores). tanh there is branch-free
   (odynk_tanh of devmath.cuh, the host's method): CUDA's tanh branches at |x| = 0.55 and a warp runs both sides.

   Expected (6 channels, 28x28, H200; docs/gpu-kernels.md has the counts): the inner loop is bound by the fp64 pipe
   (72 DFMA per 3 shared and 18 constant loads), 14 warps per SM (2 blocks: 96 registers x 224 threads, 2 x 43 KiB
   of buffers), 196 of 224 threads busy: bare convolution ~15-22 TFLOP/s, fused layer ~12-16 (tanh ~25 fp64
   operations per value next to 54 FMAs), against 4.7 and 3.1 for the first version.

   The stencil is copied, repacked as [c][a][b][o] and followed by the bias, into constant memory before each launch
   (one small kernel and one copy; the adjoint in the input packs the flipped, channel-transposed stencil: the
   adjoint is the same kernel). One process-wide constant stencil: the calls are on the default stream, in order.
   Blocks per SM come from the occupancy calculator once per kernel and shape (remembered: host time per call stays
   below a layer's kernel time), with all of L1 given to shared memory.

   Stencil gradient: the same double-buffered staging of the input band, plus the band of the cotangent W. For
   CO <= 8 thread (c, part) keeps the 9 CO sums of its input channel c (all stencil rows) over the pixels part,
   part + 32, ... of every unit its block handles, in registers for the block's whole life: 9 + CO shared loads per
   9 CO FMAs (the first version's one stencil row per thread did 3 + CO loads per 3 CO FMAs and was bound by shared
   memory); for CO 12 and 16, where that many accumulators do not fit, thread (c, a, part) keeps one row. At the end
   the parts are summed in shared memory in a fixed order, each block writes its own slice of a partial-sum array (no
   atomics), and odynk_reduce_blocks adds the slices in a fixed order: deterministic.

   tools/cudaemu/conv_emu.cpp runs the kernels (the text between the "emu:" markers) on the CPU against the host
   references; tests/gpu/test_gpu_conv.c checks them on the device.
*/
#include "kernelsys.cuh"
#include "convact.cuh"
#include <cstdint>
#include <odyn/private/pointwise.h>

#define CONV_BLOCK       256
#define CONV_SMEM_BUDGET (48 * 1024) /* per buffer; two buffers per block: two blocks fit an SM's 228 KiB */
#define MAXC             ODYN_CUDA_CONV_MAXC

__constant__ double cW[MAXC * MAXC * 9 + MAXC]; /* packed [c][a][b][o] (cin 9 CO values), then the bias (cout) */

/* 8-byte asynchronous global -> shared copy (sm_80+), its group commit and the wait for all of this thread's copies */
__device__ inline void cp_async8(double *dst, const double *src)
{
  const unsigned s = (unsigned)__cvta_generic_to_shared(dst);
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8;\n" ::"r"(s), "l"(src) : "memory");
}
__device__ inline void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ inline void cp_async_wait_all() { asm volatile("cp.async.wait_all;\n" ::: "memory"); }

/* emu: kernels begin (tools/cudaemu/run-conv-emu.sh compiles the text from here to "emu: kernels end" on the CPU) */
enum { MODE_AXPBY = 0, MODE_BIAS_ACT = 1, MODE_EULER = 2 };

/* packed[(c*9 + a*3 + b)*stride + o] = K[o][c][a][b], or for flip (the adjoint: inputs o, outputs c) K[o][c][2-a][2-b] at
   packed[(o*9 + a*3 + b)*stride + c]; stride >= the output channels (the kernel's CO: the padding is zero, so that a
   kernel compiled for more output channels than there are computes zeros there and stores nothing); then the nbias
   values of bias (may be NULL when nbias is 0) at packed[len ..]: one copy to constant memory per call */
__global__ void pack_stencil(int cin, int cout, int flip, int stride, const double *__restrict__ K, const double *__restrict__ bias, int nbias, double *__restrict__ packed)
{
  const int nin = flip ? cout : cin, len = nin * 9 * stride;
  for (int k = blockIdx.x * blockDim.x + threadIdx.x; k < len; k += gridDim.x * blockDim.x) packed[k] = 0.0;
  for (int k = threadIdx.x; k < nbias; k += blockDim.x) packed[len + k] = bias[k];
  __syncthreads(); /* one block (see upload_stencil): the zeros are written before the values */
  for (int k = threadIdx.x; k < cin * cout * 9; k += blockDim.x) {
    const int b = k % 3, a = (k / 3) % 3, c = (k / 9) % cin, o = k / (9 * cin);
    if (!flip) packed[(c * 9 + a * 3 + b) * stride + o] = K[k];
    else packed[(o * 9 + (2 - a) * 3 + (2 - b)) * stride + c] = K[k];
  }
}

struct band_geom {
  int  cin, h, w, BH, nb, WP; /* WP: shared row stride, 4 ceil(w / 4) + 2 (columns -1 .. 4 ceil(w / 4)), even */
  int  vec;                   /* 1: 16-byte stores of pixel pairs (w even, the output arrays 16-byte aligned) */
  long s;
};

/* stages the band of unit `unit` into xs: its cin planes with one halo row above and below, columns -1 .. WP - 2;
   image values by asynchronous copies, everything outside the image (border, halo rows past the image) by plain
   zero stores; one warp per row (blockDim a multiple of 32) */
__device__ inline void stage_band(const band_geom &g, const double *__restrict__ X, long unit, double *xs)
{
  const long e = unit / g.nb, hw = (long)g.h * g.w;
  const int  r0 = (int)(unit % g.nb) * g.BH, R = g.BH + 2, nrows = g.cin * R;
  const int  lane = threadIdx.x % 32, nw = blockDim.x / 32;
  for (int r = threadIdx.x / 32; r < nrows; r += nw) {
    const int     c = r / R, gi = r0 - 1 + r % R;
    const bool    in = gi >= 0 && gi < g.h;
    const double *src = X + (e * g.cin + c) * hw + (long)gi * g.w - 1; /* src[q]: column q - 1 */
    double       *dst = xs + (long)r * g.WP;
    for (int q = lane; q < g.WP; q += 32) {
      if (in && q >= 1 && q <= g.w) cp_async8(dst + q, src + q);
      else dst[q] = 0.0;
    }
  }
}

/* stores v[0..3] at p[0..3] where column q0 + k < w; pairs as 16-byte stores when vec (p then 16-byte aligned) */
__device__ inline void store4(double *p, const double *v, int nvalid, int vec)
{
  if (vec) {
#pragma unroll
    for (int k = 0; k < 4; k += 2) {
      if (k + 1 < nvalid) *reinterpret_cast<double2 *>(p + k) = make_double2(v[k], v[k + 1]);
      else if (k < nvalid) p[k] = v[k];
    }
  } else {
#pragma unroll
    for (int k = 0; k < 4; k++)
      if (k < nvalid) p[k] = v[k];
  }
}

/* the same for loads (the beta Y term) */
__device__ inline void load4(const double *p, double *v, int nvalid, int vec)
{
  if (vec) {
#pragma unroll
    for (int k = 0; k < 4; k += 2) {
      if (k + 1 < nvalid) {
        const double2 t = *reinterpret_cast<const double2 *>(p + k);
        v[k]            = t.x;
        v[k + 1]        = t.y;
      } else if (k < nvalid) v[k] = p[k];
    }
  } else {
#pragma unroll
    for (int k = 0; k < 4; k++)
      if (k < nvalid) v[k] = p[k];
  }
}

/* shared layout: two buffers of sb doubles (sb even: the second stays 16-byte aligned) */
template <int CO>
__global__ void __launch_bounds__(CONV_BLOCK) conv_forward_k(band_geom g, int cout, int mode, double alpha, double beta, int act, double hstep, const double *__restrict__ X, double *__restrict__ Y, double *__restrict__ D)
{
  extern __shared__ __align__(16) double sh[];
  const long units = g.s * g.nb, hw = (long)g.h * g.w;
  const int  ngrp = (g.w + 3) / 4, R = g.BH + 2, sb = g.cin * R * g.WP;
  long       unit = blockIdx.x;

  if (unit < units) stage_band(g, X, unit, sh);
  cp_async_commit();
  for (int buf = 0; unit < units; unit += gridDim.x, buf ^= 1) { /* unit is uniform over the block */
    double *xs = sh + buf * sb;
    cp_async_wait_all(); /* this thread's copies of unit */
    __syncthreads();     /* everyone's copies of unit; everyone done with the other buffer (unit - grid) */
    if (unit + gridDim.x < units) stage_band(g, X, unit + gridDim.x, sh + (buf ^ 1) * sb);
    cp_async_commit();
    const long e  = unit / g.nb;
    const int  r0 = (int)(unit % g.nb) * g.BH, rows = min(g.BH, g.h - r0);
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
          const double2 *row = reinterpret_cast<const double2 *>(xs + (c * R + i + a) * g.WP + q0);
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
      const int  nvalid = min(4, g.w - q0);
      const long base   = e * cout * hw + (long)(r0 + i) * g.w + q0;
#pragma unroll
      for (int o = 0; o < CO; o++) {
        if (o >= cout) break; /* uniform */
        double v[4], d[4];
        if (mode == MODE_AXPBY) {
          if (beta != 0.0) {
            load4(Y + base + o * hw, v, nvalid, g.vec);
#pragma unroll
            for (int p = 0; p < 4; p++) v[p] = beta * v[p] + alpha * acc[o][p];
          } else {
#pragma unroll
            for (int p = 0; p < 4; p++) v[p] = alpha * acc[o][p];
          }
        } else {
          /* Euler: the input value at the same pixel and channel is in the shared band (cin == cout) */
          const double *xo = xs + (o * R + i + 1) * g.WP + q0 + 1;
#pragma unroll
          for (int p = 0; p < 4; p++) {
            const double f = odynk_act_eval(act, acc[o][p] + cW[g.cin * 9 * CO + o], &d[p]); /* the bias after the stencil */
            v[p]           = mode == MODE_EULER ? xo[p] + hstep * f : f;
          }
          if (D) store4(D + base + o * hw, d, nvalid, g.vec);
        }
        store4(Y + base + o * hw, v, nvalid, g.vec);
      }
    }
  }
}

/* the stencil gradient's staging: the x band as stage_band, then the unit's rows of the cotangent W (cout x BH x w) */
__device__ inline void stage_grad(const band_geom &g, int cout, const double *__restrict__ X, const double *__restrict__ W, long unit, double *xs, int xsz)
{
  const long hw = (long)g.h * g.w, e = unit / g.nb;
  const int  r0 = (int)(unit % g.nb) * g.BH, rows = min(g.BH, g.h - r0);
  stage_band(g, X, unit, xs);
  for (int r = threadIdx.x / 32; r < cout * rows; r += blockDim.x / 32) {
    const int     o = r / rows, i = r % rows;
    const double *src = W + (e * cout + o) * hw + (long)(r0 + i) * g.w;
    double       *dst = xs + xsz + (long)(o * g.BH + i) * g.w;
    for (int q = threadIdx.x % 32; q < g.w; q += 32) cp_async8(dst + q, src + q);
  }
}

/* shared layout: two buffers of sb doubles, each the x band (cin planes as in the forward) then the W band (cout x BH
   x w); part: nk = CO cin 9 sums per block at part + blockIdx.x nk, in the layout of K.
   NA stencil rows per thread: thread (c, a0, part) sums the NA x 3 x CO products of input channel c and stencil rows
   a0 .. a0 + NA - 1. NA = 3 (CO <= 8): per pixel 9 input and CO cotangent shared loads for 9 CO FMAs; NA = 1 (more
   output channels, where 27 CO accumulators would not fit the registers): 3 + CO loads for 3 CO FMAs */
template <int CO, int NA>
__global__ void __launch_bounds__(CONV_BLOCK) conv_stencil_grad_k(band_geom g, int cout, int sb, const double *__restrict__ X, const double *__restrict__ W, double *__restrict__ part)
{
  extern __shared__ __align__(16) double sh[];
  const long units = g.s * g.nb;
  const int  R = g.BH + 2, xsz = g.cin * R * g.WP, nr = 3 / NA;
  const int  ncombo = g.cin * nr, P = blockDim.x / ncombo, combo = threadIdx.x / P, pt = threadIdx.x % P;
  const bool active = combo < ncombo;
  const int  c = active ? combo / nr : 0, a0 = active ? (combo % nr) * NA : 0;
  double     acc[CO][3 * NA];
  long       unit = blockIdx.x;

#pragma unroll
  for (int o = 0; o < CO; o++)
#pragma unroll
    for (int k = 0; k < 3 * NA; k++) acc[o][k] = 0.0;
  if (unit < units) stage_grad(g, cout, X, W, unit, sh, xsz);
  cp_async_commit();
  for (int buf = 0; unit < units; unit += gridDim.x, buf ^= 1) { /* unit is uniform over the block */
    const double *xs = sh + buf * sb, *ws = xs + xsz;
    cp_async_wait_all(); /* this thread's copies of unit */
    __syncthreads();     /* everyone's copies of unit; everyone done with the other buffer (unit - grid) */
    if (unit + gridDim.x < units) stage_grad(g, cout, X, W, unit + gridDim.x, sh + (buf ^ 1) * sb, xsz);
    cp_async_commit();
    const int r0 = (int)(unit % g.nb) * g.BH, rows = min(g.BH, g.h - r0);
    if (active) {
      int i = pt / g.w, j = pt % g.w; /* pixel p = i w + j, walked without a division per pixel */
      for (int p = pt; p < rows * g.w; p += P) {
        const double *xr = xs + (c * R + i + a0) * g.WP + j;
        double        xv[3 * NA];
#pragma unroll
        for (int aa = 0; aa < NA; aa++)
#pragma unroll
          for (int b = 0; b < 3; b++) xv[aa * 3 + b] = xr[aa * g.WP + b];
#pragma unroll
        for (int o = 0; o < CO; o++) {
          if (o >= cout) break;
          const double wv = ws[o * g.BH * g.w + p];
#pragma unroll
          for (int k = 0; k < 3 * NA; k++) acc[o][k] += wv * xv[k];
        }
        for (j += P; j >= g.w; j -= g.w) i++;
      }
    }
  }
  /* sum the parts of each (c, a0) in shared memory, one (o, a, b) at a time, in a fixed order */
  double   *red = sh;
  const int nk  = cout * g.cin * 9;
  __syncthreads(); /* everyone done reading the buffers */
#pragma unroll
  for (int o = 0; o < CO; o++)
#pragma unroll
    for (int k = 0; k < 3 * NA; k++) {
      if (o >= cout) break; /* uniform over the block */
      red[threadIdx.x] = active ? acc[o][k] : 0.0;
      __syncthreads();
      if (threadIdx.x < ncombo) {
        double sum = 0.0;
        for (int q = 0; q < P; q++) sum += red[threadIdx.x * P + q];
        const int cc = threadIdx.x / nr, a = (threadIdx.x % nr) * NA + k / 3;
        part[(long)blockIdx.x * nk + ((o * g.cin + cc) * 3 + a) * 3 + k % 3] = sum;
      }
      __syncthreads();
    }
}
/* emu: kernels end */

static int check_geom(const char *fn, const odyn_conv_geom *g, long s)
{
  if (!g) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: no geometry", fn);
  if (g->k != 3 && g->k != 1) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: only 3x3 or 1x1 stencils (k = 3 or 1), got k = %ld", fn, g->k);
  if (g->cin < 1 || g->cout < 1) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: channels must be >= 1, got cin = %ld, cout = %ld", fn, g->cin, g->cout);
  if (g->h < 1 || g->w < 1 || g->h > 65536 || g->w > 65536 || s < 0) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: image %ld x %ld, batch %ld out of range", fn, g->h, g->w, s);
  const long cm = g->cin > g->cout ? g->cin : g->cout;
  /* the GEMM path's column matrix of one example (T cin h w, T = k^2) and its leading dimensions are cuBLAS ints; a
     1x1 forward or input adjoint is one strided-batched GEMM over all s examples (an int batch count) */
  if ((cm > MAXC || g->k == 1) && !odynk_fits_int(g->k * g->k * cm * g->h * g->w)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: %ld channels of %ld x %ld exceed cuBLAS's int (k^2 c h w)", fn, cm, g->h, g->w);
  if (g->k == 1 && !odynk_fits_int(s)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: batch %ld exceeds cuBLAS's int (1x1 stencils)", fn, s);
  if (s > (1L << 40) / (g->h * g->w * cm)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: batch %ld too large", fn, s);
  return ODYN_CUDA_OK;
}

/* convgemm.cu's calls: more channels than the direct kernels take (constant-memory stencil, accumulators in
   registers), or a 1x1 stencil (a GEMM without im2col; the direct kernels are 3x3) */
static bool via_gemm(const odyn_conv_geom *g) { return g->k == 1 || g->cin > MAXC || g->cout > MAXC; }

/* band height for `per_row` shared doubles per band row plus `fixed` for the two halo rows, within one buffer's budget;
   *sb: one buffer's doubles (even), *smem: the two buffers' bytes */
static int band_of(const char *fn, const odyn_conv_geom *g, long s, int cin, long per_row, long fixed, band_geom *bg, int *sb, size_t *smem)
{
  const odynk_props *pr;
  ODYNK_CALL(odynk_get_props(&pr));
  bg->cin = cin;
  bg->h   = (int)g->h;
  bg->w   = (int)g->w;
  bg->WP  = 4 * (int)((g->w + 3) / 4) + 2;
  bg->s   = s;
  bg->vec = 0;
  long BH = (CONV_SMEM_BUDGET / 8 - fixed) / per_row;
  if (BH > g->h) BH = g->h;
  if (BH < 1) BH = 1;
  const long len = (fixed + BH * per_row + 1) / 2 * 2;
  *smem          = (size_t)(2 * len) * sizeof(double);
  if (*smem > (size_t)pr->smem_optin) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: image rows of %ld pixels with %d channels need %zu bytes of shared memory, more than the device's %d", fn, g->w, cin, *smem, pr->smem_optin);
  bg->BH = (int)BH;
  bg->nb = (int)((g->h + BH - 1) / BH);
  *sb    = (int)len;
  return ODYN_CUDA_OK;
}

/* blocks per SM of (kernel, block, smem), remembered: a layer's kernel runs for ~40 us at batch 1000, and the occupancy
   calculator on every call costs host time that the queue of launches would otherwise hide (the device is read once
   too: odynk_get_props) */
struct occ_entry {
  const void *kernel;
  unsigned    block;
  size_t      smem;
  int         nb;
};
static occ_entry occ_cache[32];
static int       occ_next;

template <typename KernelT>
static int conv_grid(KernelT kernel, unsigned block, size_t smem, long units, unsigned *grid)
{
  const odynk_props *pr;
  int                nb = 0;
  ODYNK_CALL(odynk_get_props(&pr));
  /* the attributes every time (cheap; they must hold for this size, whatever another call set, also after a reset):
     the size, and all of the unified L1/shared memory as shared (the staging copies need no L1), so that the two
     blocks per SM the occupancy calculator counts on also fit in practice */
  if (smem > 48 * 1024) {
    ODYNK_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
    ODYNK_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout, (int)cudaSharedmemCarveoutMaxShared));
  }
  for (const occ_entry &c : occ_cache)
    if (c.kernel == (const void *)kernel && c.block == block && c.smem == smem) nb = c.nb;
  if (!nb) {
    ODYNK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&nb, kernel, (int)block, smem));
    if (nb >= 1) {
      occ_cache[occ_next] = {(const void *)kernel, block, smem, nb};
      occ_next            = (occ_next + 1) % 32;
    }
  }
  if (nb < 1) return odynk_fail(ODYN_CUDA_ERR_ARG, "conv kernel: %zu bytes of shared memory per block leave no block resident", smem);
  long gsz = (long)nb * pr->sms;
  if (gsz > units) gsz = units;
  *grid = (unsigned)(gsz > 0 ? gsz : 1);
  return ODYN_CUDA_OK;
}

/* the output channels a kernel is compiled for: few instantiations keep the file quick to compile; a kernel for more
   channels than there are computes on zero stencil values there (at most 1/3 more work: 5 -> 6, 9 -> 12) */
static int co_of(long c) { return c <= 2 ? (int)c : c <= 4 ? 4 : c <= 6 ? 6 : c <= 8 ? 8 : c <= 12 ? 12 : 16; }

/* repacks K (cout x cin x 3 x 3, or flipped) into constant memory with the padding of co_of(), followed by b (cout
   values) when not NULL: one small kernel and one copy per call */
static int upload_stencil(int cin, int cout, int flip, const double *K, const double *b)
{
  void     *pp     = NULL;
  const int stride = co_of(flip ? cin : cout), len = (flip ? cout : cin) * 9 * stride, nbias = b ? (flip ? cin : cout) : 0;
  ODYNK_CALL(odynk_scratch(3, (size_t)(len + nbias) * sizeof(double), &pp));
  pack_stencil<<<1, 256>>>(cin, cout, flip, stride, K, b, nbias, (double *)pp);
  ODYNK_LAUNCHED("pack_stencil");
  ODYNK_CUDA(cudaMemcpyToSymbolAsync(cW, pp, (size_t)(len + nbias) * sizeof(double), 0, cudaMemcpyDeviceToDevice, 0));
  return ODYN_CUDA_OK;
}

template <int CO>
static int forward_co(const band_geom &bg, unsigned block, int cout, size_t smem, int mode, double alpha, double beta, int act, double hstep, const double *X, double *Y, double *D)
{
  unsigned grid;
  ODYNK_CALL(conv_grid(conv_forward_k<CO>, block, smem, bg.s * bg.nb, &grid));
  conv_forward_k<CO><<<grid, block, smem>>>(bg, cout, mode, alpha, beta, act, hstep, X, Y, D);
  ODYNK_LAUNCHED("conv_forward_k");
  return ODYN_CUDA_OK;
}

/* the stencil gradient's block: NA = 3 (CO <= 8) 32 parts per input channel, in whole warps (6 channels: 192 threads,
   all busy), at most CONV_BLOCK; NA = 1: CONV_BLOCK */
static unsigned grad_block(int na, int cin)
{
  if (na == 1) return CONV_BLOCK;
  const unsigned b = (unsigned)(cin * 32);
  return b < CONV_BLOCK ? b : CONV_BLOCK;
}

template <int CO>
static int grad_co(const band_geom &bg, int cout, int sb, size_t smem, const double *X, const double *W, double alpha, double *G)
{
  constexpr int  NA = CO <= 8 ? 3 : 1;
  unsigned       grid;
  void          *pp    = NULL;
  const int      nk    = cout * bg.cin * 9;
  const unsigned block = grad_block(NA, bg.cin);
  /* the final reduction reuses the buffers: they must hold a block's worth of doubles */
  if (smem < CONV_BLOCK * sizeof(double)) smem = CONV_BLOCK * sizeof(double);
  ODYNK_CALL(conv_grid(conv_stencil_grad_k<CO, NA>, block, smem, bg.s * bg.nb, &grid));
  ODYNK_CALL(odynk_scratch(2, (size_t)grid * nk * sizeof(double), &pp));
  conv_stencil_grad_k<CO, NA><<<grid, block, smem>>>(bg, cout, sb, X, W, (double *)pp);
  ODYNK_LAUNCHED("conv_stencil_grad_k");
  ODYNK_CALL(odynk_reduce_blocks(nk, grid, (const double *)pp, alpha, G, 1));
  return ODYN_CUDA_OK;
}

#define ODYNK_CO_SWITCH(co, call) \
  switch (co_of(co)) { \
  case 1: return call(1); case 2: return call(2); case 4: return call(4); case 6: return call(6); \
  case 8: return call(8); case 12: return call(12); default: return call(16); \
  }

static bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

/* the forward kernel for output channels co, input channels ci, with the stencil already in constant memory */
static int forward_any(const char *fn, const odyn_conv_geom *g, long s, int ci, int co, int mode, double alpha, double beta, int act, double hstep, const double *X, double *Y, double *D)
{
  band_geom bg;
  size_t    smem;
  int       sb = 0;
  const int WP = 4 * (int)((g->w + 3) / 4) + 2;
  ODYNK_CALL(band_of(fn, g, s, ci, (long)ci * WP, 2L * ci * WP, &bg, &sb, &smem));
  bg.vec = g->w % 2 == 0 && aligned16(Y) && (!D || aligned16(D));
  /* one thread per 4-pixel group of a band, rounded up to a warp, at most CONV_BLOCK (then a thread takes several) */
  long block = (long)bg.BH * ((g->w + 3) / 4);
  block      = (block + 31) / 32 * 32;
  if (block > CONV_BLOCK) block = CONV_BLOCK;
#define FWD(c) forward_co<c>(bg, (unsigned)block, co, smem, mode, alpha, beta, act, hstep, X, Y, D)
  ODYNK_CO_SWITCH(co, FWD)
#undef FWD
}

int odyn_cuda_conv3_forward(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *X, double beta, double *Y)
{
  ODYNK_CALL(check_geom("odyn_cuda_conv3_forward", g, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!K || !X || !Y) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_forward: K, X and Y must be device arrays");
  if (via_gemm(g)) return odynk_conv3_gemm_forward(g, s, K, alpha, X, beta, Y, NULL, ODYN_PW_IDENTITY, 0, 0.0, NULL);
  ODYNK_CALL(upload_stencil((int)g->cin, (int)g->cout, 0, K, NULL));
  return forward_any("odyn_cuda_conv3_forward", g, s, (int)g->cin, (int)g->cout, MODE_AXPBY, alpha, beta, ODYN_PW_IDENTITY, 0.0, X, Y, NULL);
}

int odyn_cuda_conv3_forward_bias_act(const odyn_conv_geom *g, long s, const double *K, const double *X, const double *b, int act, double *Y, double *D)
{
  ODYNK_CALL(check_geom("odyn_cuda_conv3_forward_bias_act", g, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!K || !X || !Y || !b) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_forward_bias_act: K, X, b and Y must be device arrays");
  if (via_gemm(g)) return odynk_conv3_gemm_forward(g, s, K, 1.0, X, 0.0, Y, b, act, 0, 0.0, D);
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
  if (via_gemm(g)) return odynk_conv3_gemm_forward(g, s, K, 1.0, X, 0.0, Y, b, act, 1, h, D);
  ODYNK_CALL(upload_stencil((int)g->cin, (int)g->cout, 0, K, b));
  return forward_any("odyn_cuda_conv3_euler", g, s, (int)g->cin, (int)g->cout, MODE_EULER, 1.0, 0.0, act, h, X, Y, D);
}

int odyn_cuda_conv3_adjoint(const odyn_conv_geom *g, long s, const double *K, double alpha, const double *Y, double beta, double *X)
{
  odyn_conv_geom t;
  ODYNK_CALL(check_geom("odyn_cuda_conv3_adjoint", g, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!K || !X || !Y) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_adjoint: K, Y and X must be device arrays");
  if (via_gemm(g)) return odynk_conv3_gemm_adjoint(g, s, K, alpha, Y, beta, X);
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
  int       sb = 0;
  ODYNK_CALL(check_geom("odyn_cuda_conv3_stencil_grad", g, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!X || !W || !G) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_conv3_stencil_grad: X, W and G must be device arrays");
  if (via_gemm(g)) return odynk_conv3_gemm_stencil_grad(g, s, X, W, alpha, G);
  const int WP = 4 * (int)((g->w + 3) / 4) + 2;
  ODYNK_CALL(band_of("odyn_cuda_conv3_stencil_grad", g, s, (int)g->cin, g->cin * WP + g->cout * g->w, 2L * g->cin * WP, &bg, &sb, &smem));
#define GRD(c) grad_co<c>(bg, (int)g->cout, sb, smem, X, W, alpha, G)
  ODYNK_CO_SWITCH(g->cout, GRD)
#undef GRD
}
