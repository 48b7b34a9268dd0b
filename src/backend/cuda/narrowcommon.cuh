/* The parts the narrow one-kernel sweeps share (narrow.cu: dense Euler, verlet.cu: Verlet, parabolicnarrow.cu:
   parabolic; n, m <= 16; the activation a template parameter ACT, dispatched by odynk_with_act):
   G threads per example (a group: G a power of two <= 16, thread r of a group holds row r), blocks of
   ODYNK_NARROW_BLOCK threads, parameters staged into shared memory under a budget, mat-vecs by warp shuffles of width G,
   and the gradient's sums over the examples per warp (xor shuffles over the groups) and per block once per window of
   steps (odynk_window_flush); the threshold above which the forward and tangent take one thread per example
   (odynk_one_thread_per_example).
   The device helpers below use only CUDA builtins, so that tools/cudaemu can compile them as C++ on the CPU (it defines
   the builtins itself); the launch helpers at the end are CUDA host code, compiled only by nvcc. */
#pragma once

#define ODYNK_NARROW_BLOCK 256         /* threads per block of the narrow kernels */
#define ODYNK_SMEM_BUDGET  (96 * 1024) /* bytes of staged parameters (and reduction slots) per block: several blocks per SM */
#define ODYNK_FULL_MASK    0xffffffffu

#include "devmath.cuh" /* odynk_tanh, odynk_act_of, odynk_act_dout */

/* all threads of the block copy count values of a (and of b when b is not NULL, to dst + count) into shared dst, then
   wait for each other */
__device__ __forceinline__ void odynk_stage_params(double *dst, const double *__restrict__ a, const double *__restrict__ b, long count)
{
  for (long k = threadIdx.x; k < count; k += blockDim.x) {
    dst[k] = a[k];
    if (b) dst[count + k] = b[k];
  }
  __syncthreads();
}

/* acc + sum_{c < len} K[off + c stride] x_c, where x_c is x of thread c of this thread's group; ok: this thread's row
   exists (else it only takes part in the shuffles, which every thread of the warp must). keep, when given, receives
   x_0..x_{G-1}. The terms are added in the order c = 0, 1, ... (the order the results' rounding depends on). */
template <int G>
__device__ __forceinline__ double odynk_shfl_dot(double acc, double x, const double *K, int off, int stride, int len, bool ok, double *keep = nullptr)
{
#pragma unroll
  for (int c = 0; c < G; c++) {
    const double xc = __shfl_sync(ODYNK_FULL_MASK, x, c, G);
    if (keep) keep[c] = xc;
    if (c < len && ok) acc += K[off + c * stride] * xc;
  }
  return acc;
}

/* the tangent's pair: acc += sum_c K[..] x_c and dacc += sum_c (K[..] dx_c + dK[..] x_c) (dK may be NULL), per c in
   that order */
template <int G>
__device__ __forceinline__ void odynk_shfl_dot_tangent(double &acc, double &dacc, double x, double dx, const double *K, const double *dK, int off, int stride, int len, bool ok)
{
#pragma unroll
  for (int c = 0; c < G; c++) {
    const double xc = __shfl_sync(ODYNK_FULL_MASK, x, c, G), dxc = __shfl_sync(ODYNK_FULL_MASK, dx, c, G);
    if (c < len && ok) {
      const double k = K[off + c * stride];
      acc += k * xc;
      dacc += k * dxc;
      if (dK) dacc += dK[off + c * stride] * xc;
    }
  }
}

/* g[k] = the sum of g[k] over the groups of the warp (lanes r, r + G, r + 2G, ...), for the entries k < live and
   k >= G (the others are not used) */
template <int G, int L>
__device__ __forceinline__ void odynk_warp_sum_groups(double (&g)[L], int live)
{
#pragma unroll
  for (int off = G; off < 32; off *= 2) {
#pragma unroll
    for (int k = 0; k < L; k++)
      if (k < live || k >= G) g[k] += __shfl_xor_sync(ODYNK_FULL_MASK, g[k], off);
  }
}

/* The adjoints' amortized gradient reduction. A warp's sums of S consecutive steps go to a window of shared slots
   win[w][warp][len] (w = 0..S-1 in the order the steps are taken, j descending); once per window (not once per step)
   one __syncthreads, then the block's threads share the cnt len entries (all threads busy when cnt len >= the block
   size), each summing its entry over the nw warps in warp order (fixed: deterministic) into dst: entry k of window
   slot w belongs to step jtop - w at dst[(jtop - w) slot + at(k)], stored when first, else added. dst is the block's
   shared running gradient (ACC kernels: no global traffic until the end) or its global slice. The caller alternates
   two windows, so that writing the next window needs no second barrier (this one is rewritten only after the next
   flush's __syncthreads, which every reader of this one has passed). Between flushes the warps run free, so a slow
   warp (a global load, a tanh) no longer stalls the block every step. */
template <typename At>
__device__ __forceinline__ void odynk_window_flush(const double *win, int nw, int len, int cnt, int jtop, long slot, double *dst, bool first, At at)
{
  __syncthreads();
  for (int q = threadIdx.x; q < cnt * len; q += blockDim.x) {
    const int w = q / len, k = q % len;
    double    acc = 0.0;
    for (int wp = 0; wp < nw; wp++) acc += win[(w * nw + wp) * len + k];
    double *d = dst + (long)(jtop - w) * slot + at(k);
    *d        = first ? acc : *d + acc;
  }
}

/* where this warp's sums of step t (counted from 0 in the chunk) go: its slot of len doubles in the current window */
__device__ __forceinline__ double *odynk_window_slot(double *win, int S, int nw, int len, unsigned parity, int t, int warp)
{
  return win + (((parity & 1) * S + t % S) * nw + warp) * len;
}

/* after step j (the chunk's t-th): when the window is full or the chunk done (j = 0; both uniform over the block),
   flush it (odynk_window_flush) into the block's gradient in shared memory acc (ACC) or its global slice mypart
   (first: stored, else added), and switch to the other window */
template <bool ACC, typename At>
__device__ __forceinline__ void odynk_window_end(const double *win, int S, int nw, int len, long slot, int t, int j, double *acc, double *mypart, bool first, unsigned &parity, At at)
{
  if (t % S == S - 1 || j == 0) {
    const int     cnt = t % S + 1;
    const double *w   = win + (parity & 1) * S * nw * len;
    if (ACC) odynk_window_flush(w, nw, len, cnt, j + cnt - 1, slot, acc, false, at);
    else odynk_window_flush(w, nw, len, cnt, j + cnt - 1, slot, mypart, first, at);
    parity++;
  }
}

/* the adjoints' start: zero the block's running gradient (ACC, count doubles) and stage the parameters into tsh (SMEM);
   one barrier orders both */
template <bool SMEM, bool ACC>
__device__ __forceinline__ void odynk_adjoint_start(double *acc, double *tsh, const double *theta, long count)
{
  if (ACC)
    for (long k = threadIdx.x; k < count; k += blockDim.x) acc[k] = 0.0;
  if (SMEM) odynk_stage_params(tsh, theta, NULL, count); /* its __syncthreads also orders the zeroing of acc */
  else if (ACC) __syncthreads();
}

/* the adjoints' end: with ACC the block's gradient (count doubles) from shared memory to its global slice */
template <bool ACC>
__device__ __forceinline__ void odynk_adjoint_finish(const double *acc, double *mypart, long count)
{
  if (ACC && mypart) {
    __syncthreads();
    for (long k = threadIdx.x; k < count; k += blockDim.x) mypart[k] = acc[k];
  }
}

/* the largest window S <= ODYNK_ADJ_WINDOW steps (and <= N) for which fixed + 2 S win_step bytes fit ODYNK_SMEM_BUDGET;
   0 when not even S = 1 fits */
#define ODYNK_ADJ_WINDOW 4
static inline int odynk_adj_window(size_t fixed, size_t win_step, long N)
{
  int S = ODYNK_ADJ_WINDOW < N ? ODYNK_ADJ_WINDOW : (int)(N > 0 ? N : 1);
  while (S > 0 && fixed + 2 * (size_t)S * win_step > ODYNK_SMEM_BUDGET) S--;
  return S;
}

#ifdef __CUDACC__
#include <type_traits>
#include "kernelsys.cuh"

/* the group size for a width w <= 16: w rounded up to a power of two */
static inline int odynk_group_of(long w) { return w <= 1 ? 1 : w <= 2 ? 2 : w <= 4 ? 4 : w <= 8 ? 8 : 16; }

/* f(std::integral_constant<int, G>()) for the group size G of the width w: the entry points' dispatch to their
   G-templated launchers, e.g. odynk_with_group(n, [&](auto g) { return forward_g<decltype(g)::value>(...); }) */
template <typename F>
static int odynk_with_group(long w, F f)
{
  switch (odynk_group_of(w)) {
  case 1: return f(std::integral_constant<int, 1>());
  case 2: return f(std::integral_constant<int, 2>());
  case 4: return f(std::integral_constant<int, 4>());
  case 8: return f(std::integral_constant<int, 8>());
  default: return f(std::integral_constant<int, 16>());
  }
}

/* f(std::integral_constant<int, ACT>()) for the activation act (identity, tanh, relu: the kernels' template parameter
   ACT, devmath.cuh's odynk_act_of), after the check: another code is ODYN_CUDA_ERR_ARG naming fn */
template <typename F>
static int odynk_with_act(const char *fn, int act, F f)
{
  switch (act) {
  case ODYN_PW_TANH: return f(std::integral_constant<int, ODYN_PW_TANH>());
  case ODYN_PW_RELU: return f(std::integral_constant<int, ODYN_PW_RELU>());
  case ODYN_PW_IDENTITY: return f(std::integral_constant<int, ODYN_PW_IDENTITY>());
  default: return odynk_check_act(fn, act);
  }
}

/* One thread per example (G = 1: the whole state in registers, K_j and b_j read from shared memory as broadcasts, no
   shuffles) needs n FMAs + n broadcast loads per row where a group of G threads needs the same FMAs plus G double
   shuffles (2 SHFL each) and their lane arithmetic: about half the issued instructions for n = 8 (measured on the H200:
   2.0 ms against 3.19 ms for the groups at n = 8, s = 10^6). But it has G times fewer threads, so it only pays once
   s alone fills the GPU: ODYNK_G1_FILL_DIV = 2 takes it from s >= half of the resident thread slots (sms x
   max_threads_sm / 2 = 135,168 on 132 SMs x 2048), i.e. >= 32 warps per SM, enough to hide tanh's and the loads'
   latency; below that the groups' G times more warps win (s = 10^4: 10^4 threads would leave 95% of the slots idle). */
#define ODYNK_G1_FILL_DIV 2
static inline bool odynk_one_thread_per_example(long s)
{
  const odynk_props *pr;
  if (odynk_get_props(&pr)) return false;
  return s >= (long)pr->sms * pr->max_threads_sm / ODYNK_G1_FILL_DIV;
}

/* grid: as many blocks as are resident at once (occupancy), at most one per chunk of examples; what: the kernel family
   named in the error */
template <typename KernelT>
static int odynk_narrow_grid(KernelT kernel, size_t smem, long s, int G, const char *what, unsigned *grid)
{
  const odynk_props *pr;
  int                nb     = 0;
  const long         chunks = (s + ODYNK_NARROW_BLOCK / G - 1) / (ODYNK_NARROW_BLOCK / G);

  ODYNK_CALL(odynk_get_props(&pr));
  if (smem > 48 * 1024) ODYNK_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
  ODYNK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&nb, kernel, ODYNK_NARROW_BLOCK, smem));
  if (nb < 1) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s kernel: %zu bytes of shared memory per block leave no block resident", what, smem);
  long g = (long)nb * pr->sms;
  if (g > chunks) g = chunks;
  *grid = (unsigned)(g > 0 ? g : 1);
  return ODYN_CUDA_OK;
}
/* The groups' adjoint configuration (narrow.cu, verlet.cu, parabolicnarrow.cu): window S <= ODYNK_ADJ_WINDOW steps
   per block reduction of step slots of `step` bytes (all warps), `bytes` of parameters. While the resident blocks hold
   every chunk of examples in one pass, each block has one chunk, whose flushes store straight into its global slice
   (nothing read back): the largest S that keeps enough blocks resident (onepass: the kernel with staged parameters,
   no ACC). When blocks must walk several chunks, the block's gradient in shared memory for all N steps (ACC, when
   there is a gradient) instead of a global read-modify-write per window and chunk. Fallbacks when the budget is too
   small: the window path with the parameters in shared memory, then through the cache. what: the kernel family. */
struct odynk_adj_plan {
  bool   smem, acc; /* parameters staged in shared memory; the block's gradient there */
  int    S;         /* steps per window */
  size_t bytes;     /* dynamic shared memory per block */
};
template <typename KernelT>
static int odynk_adjoint_plan(KernelT onepass, size_t bytes, size_t step, long N, long s, int G, bool gradient, const char *what, odynk_adj_plan *plan)
{
  const int Sp = odynk_adj_window(bytes, step, N), S0 = odynk_adj_window(0, step, N), Sa = odynk_adj_window(2 * bytes, step, N);

  if (S0 < 1) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s adjoint: one step's sums of all warps (%zu bytes, twice) exceed the shared-memory budget of %d bytes", what, step, ODYNK_SMEM_BUDGET);
  for (int S = Sp; S >= 1; S--) {
    unsigned grid;
    ODYNK_CALL(odynk_narrow_grid(onepass, bytes + 2 * S * step, s, G, what, &grid));
    if ((long)grid * (ODYNK_NARROW_BLOCK / G) >= s) {
      *plan = {true, false, S, bytes + 2 * S * step};
      return ODYN_CUDA_OK;
    }
  }
  if (gradient && Sa >= 1) *plan = {true, true, Sa, 2 * bytes + 2 * Sa * step};
  else if (Sp >= 1) *plan = {true, false, Sp, bytes + 2 * Sp * step};
  else *plan = {false, false, S0, 2 * S0 * step};
  return ODYN_CUDA_OK;
}

/* launches kernel_smem with `bytes` of dynamic shared memory (the parameters staged) when they fit ODYNK_SMEM_BUDGET,
   else kernel_global (the parameters read through the cache), on the grid odynk_narrow_grid gives for G threads per
   example; what: the kernel family, for the errors ("narrow", "verlet"); name: the kernel, for a failed launch */
template <typename KernelT, typename... Args>
static int odynk_launch_staged(KernelT kernel_smem, KernelT kernel_global, size_t bytes, long s, int G, const char *what, const char *name, Args... args)
{
  const bool   smem = bytes <= ODYNK_SMEM_BUDGET;
  KernelT      k    = smem ? kernel_smem : kernel_global;
  unsigned     grid;
  cudaError_t  e;

  ODYNK_CALL(odynk_narrow_grid(k, smem ? bytes : 0, s, G, what, &grid));
  k<<<grid, ODYNK_NARROW_BLOCK, smem ? bytes : 0>>>(args...);
  e = cudaGetLastError();
  if (e != cudaSuccess) return odynk_cuda_fail(e, name, __FILE__, __LINE__);
  return ODYN_CUDA_OK;
}
#endif
