/*
   Narrow dense Euler tanh networks (n <= 16: the ellipse, swiss-roll and peaks nets), Y_{j+1} = Y_j + h tanh(K_j Y_j + b_j),
   one kernel per sweep (include/odyn/private/cudakernels.h has the layouts). Why one kernel: with n = 8 a step is
   ~150 flops per example, so a kernel launch per step and layer (what PyTorch does) costs more than the arithmetic.
   Activation: tanh here stands for the sweep's act (identity, tanh or relu), the kernels' first template parameter
   ACT (devmath.cuh's odynk_act_of, and odynk_act_dout for sigma' from the output), dispatched once per call by
   odynk_with_act: the tanh instantiations compile to the code of the tanh-only kernels, no branch in the loops.

   Threads, small s: G threads per example (G = n rounded up to a power of two), thread r of a group holds row r of its
   example's state in a register for all N steps; K_j Y_j is n warp shuffles (width G) and n FMAs per thread. So
   s = 10,000 examples of n = 8 are 80,000 threads, enough to fill the 132 SMs of an H100/H200 (one thread per example
   left most of the machine idle). A block of 256 threads holds 256 / G examples and walks over chunks of examples
   (grid-stride, the grid sized by the occupancy calculator), so its one-time load of the parameters is shared by all
   its chunks.
   Threads, large s (forward, tangent and adjoint, n <= 8): once s alone fills half the resident thread slots
   (odynk_one_thread_per_example in narrowcommon.cuh), one thread per example with its whole state in registers and
   K_j, b_j read as warp-wide broadcasts: the same FMAs without the groups' n double shuffles per mat-vec (about half
   the issued instructions for n = 8; measured 2.0 ms against the groups' 3.19 ms at s = 10^6). The adjoint's
   gradient, per warp the small GEMM (n x 32)(32 x n), then goes through a per-warp scratch in shared memory
   (narrow_adjoint1_k) instead of xor shuffles.
   Parameters: all N (n^2 + n) values in shared memory when they fit a budget (ODYNK_SMEM_BUDGET, small enough to keep
   several blocks per SM), else read from global memory through the read-only cache (every group reads the same
   addresses, so L1 serves them). What verlet.cu's kernels do alike (staging, shuffle mat-vecs, the warp sums and the
   windowed block sums, the grid) is in narrowcommon.cuh.

   forward: no synchronization at all; stores all states (what the adjoint reads) or only Y_N.
   tangent: recomputes the states alongside dY (no memory traffic but Y0, dY0 and dY_N).
   adjoint (groups): reads the stored states, one step ahead. The parameter gradient of step j is a sum over examples:
   per warp with xor shuffles over the groups, then per block once per window of S <= 4 steps (odynk_window_flush:
   each warp writes its sums into its shared window slots and runs on; one __syncthreads per window, then all threads
   share the block sums), where a per-step barrier with a block sum by n (n + 1) threads and a global read-modify-write
   made the adjoint 3.75-3.97x the forward on the H200. The sums go to the block's own slice of a global partial-sum
   array (one chunk per block: stores only) or, when blocks walk several chunks, to the block's running gradient in
   shared memory for all N steps (ACC), written to the slice once at the end. odynk_reduce_blocks sums the slices
   across blocks in a fixed order: no atomics, deterministic. Choices and sizes: adjoint_g below; estimates:
   docs/gpu-kernels.md.
   adjoint (one thread per example, large s, n <= 8): the same windows and ACC, fed per warp by lanes that each sum
   2-3 entries of u y^T over the warp's 32 examples from the scratch (narrow_adjoint1_k has the instruction count:
   ~2.0x the one-thread forward, bound by shared memory, against ~5x for the groups); its own shared-memory budget
   (adjoint1_p); when that does not fit (n = 8: N > 147) the groups' adjoint runs.
   Leapfrog (odyn_cuda_narrow_leapfrog_*, Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 tanh(K_j Y_j + b_j)): the same kernels with the
   template flag LF, which keeps the previous state (and, in the tangent, the previous direction) in registers beside
   the current one and, in the adjoints, a second adjoint value per row (A_j so far beside A_{j+1}); the launchers pass
   h^2 as the kernels' h, so the gradient's sums are the Euler kernels' unchanged. Euler's instantiations (LF false)
   compile to the code they were. The one-thread adjoint takes leapfrog only up to n = 4 (at P = 8 the second adjoint
   array would spill); the groups' adjoint above.
   Reversible leapfrog (odyn_cuda_narrow_leapfrog_forward_final, _adjoint_reversible): the forward with Y_N only also
   writes the previous-state register, Y_{N-1}; the adjoints' template flag REV starts from Y_N and Y_{N-1} and, where
   the stored adjoint loads Y_{j-1} one step ahead, rebuilds it from the step's own z_j, Y_{j-1} = (2 Y_j - Y_{j+1}) +
   h^2 tanh(z_j) (Y_{j+1} in one more register per row): no state is read from memory.
   The CPU emulation tools/cudaemu/run-narrow-emu.sh compiles the kernels between
   "namespace {" and the launch helpers' marker.
*/
#include "kernelsys.cuh"
#include "narrowcommon.cuh"

namespace {

/* the adjoints' window slots hold, per row r of the warp's sums, gK(r, 0..n-1) then gb(r): entry q is row q / (n + 1),
   column k = q % (n + 1); its index in a step's parameter slot [K (n x n, column-major) | b] */
__device__ __forceinline__ int narrow_slot_index(int n, int q)
{
  const int r = q / (n + 1), k = q % (n + 1);
  return k < n ? r + k * n : n * n + r;
}

/* Leapfrog (the kernels' LF = true, narrow leapfrog tanh sweeps): Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 F with Y_{-1} = Y_0,
   the launchers pass h^2 as the kernels' h. One value's step: y = 2 y - yp + hf, yp = the old y. */
__device__ __forceinline__ void odynk_leapfrog_step(double &y, double &yp, double hf)
{
  const double yn = (2.0 * y - yp) + hf;
  yp              = y;
  y               = yn;
}

/* the leapfrog adjoint's step j for one value: a = A_{j+1}, q = A_j so far, sum = h^2 (K^T u)_c; A_j = q + sum + 2 a
   (j = 0: + a, as Y_{-1} = Y_0), the start of A_{j-1} is -A_{j+1} */
__device__ __forceinline__ void odynk_leapfrog_adjoint_step(double &a, double &q, double sum, int j)
{
  const double aj = (q + sum) + (j > 0 ? 2.0 : 1.0) * a;
  q               = -a;
  a               = aj;
}

template <int ACT, int G, bool SMEM, bool LF = false>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) narrow_forward_k(int n, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ Y0, double *__restrict__ Y, int store_all, double *__restrict__ Yprev)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * n + n, ns = (long)n * s;
  const double *th   = theta;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    row_ok = r < n;

  if (SMEM) {
    odynk_stage_params(sh, theta, NULL, N * slot);
    th = sh;
  }
  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e   = base + threadIdx.x / G;
    const bool act = row_ok && e < s;
    double     y   = act ? Y0[e * n + r] : 0.0, yp = y;

    if (store_all && act) Y[e * n + r] = y;
    for (int j = 0; j < N; j++) {
      const double *K = th + j * slot;
      const double  z = odynk_shfl_dot<G>(row_ok ? K[n * n + r] : 0.0, y, K, r, n, n, row_ok);
      if (LF) odynk_leapfrog_step(y, yp, h * odynk_act_of<ACT>(z));
      else y += h * odynk_act_of<ACT>(z);
      if (store_all && act) Y[(j + 1) * ns + e * n + r] = y;
    }
    if (!store_all && act) {
      Y[e * n + r] = y;
      if (LF && Yprev) Yprev[e * n + r] = yp; /* Y_{N-1} (Y_0 when N = 0): the reversible forward's second state */
    }
  }
}

template <int ACT, int G, bool SMEM, bool LF = false>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) narrow_tangent_k(int n, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ dtheta, const double *__restrict__ Y0, const double *__restrict__ dY0, double *__restrict__ dYN)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * n + n;
  const double *th = theta, *dth = dtheta;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    row_ok = r < n, has_dth = dtheta != NULL;

  if (SMEM) {
    odynk_stage_params(sh, theta, dtheta, N * slot);
    th = sh;
    if (has_dth) dth = sh + N * slot;
  }
  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e   = base + threadIdx.x / G;
    const bool act = row_ok && e < s;
    double     y = act ? Y0[e * n + r] : 0.0, dy = (act && dY0) ? dY0[e * n + r] : 0.0, yp = y, dyp = dy;

    for (int j = 0; j < N; j++) {
      const double *K = th + j * slot, *dK = has_dth ? dth + j * slot : NULL;
      double        z = row_ok ? K[n * n + r] : 0.0, dz = (row_ok && has_dth) ? dK[n * n + r] : 0.0;
      odynk_shfl_dot_tangent<G>(z, dz, y, dy, K, dK, r, n, n, row_ok);
      const double t = odynk_act_of<ACT>(z);
      if (LF) {
        odynk_leapfrog_step(dy, dyp, h * (odynk_act_dout<ACT>(t) * dz));
        odynk_leapfrog_step(y, yp, h * t);
      } else {
        dy += h * odynk_act_dout<ACT>(t) * dz;
        y += h * t;
      }
    }
    if (act) dYN[e * n + r] = dy;
  }
}

/* One thread per example (G = 1, chosen for large s by odynk_one_thread_per_example): the example's n-vector in
   registers y[P] (P = n rounded up to a power of two; the loops are unrolled over P with c < n guards, so the arrays
   stay in registers), K_j and b_j read from shared memory (or the read-only cache) at addresses the whole warp shares:
   broadcasts, no shuffles. z_i = b_i + sum_c K(i, c) y_c in the order c = 0, 1, ... as everywhere. */
template <int ACT, int P, bool SMEM, bool LF = false>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) narrow_forward1_k(int n, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ Y0, double *__restrict__ Y, int store_all, double *__restrict__ Yprev)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * n + n, ns = (long)n * s;
  const double *th   = theta;

  if (SMEM) {
    odynk_stage_params(sh, theta, NULL, N * slot);
    th = sh;
  }
  for (long e = (long)blockIdx.x * blockDim.x + threadIdx.x; e < s; e += (long)gridDim.x * blockDim.x) {
    double y[P], z[P], yp[LF ? P : 1];
#pragma unroll
    for (int i = 0; i < P; i++) {
      y[i] = i < n ? Y0[e * n + i] : 0.0;
      if (LF) yp[LF ? i : 0] = y[i];
    }
    if (store_all)
#pragma unroll
      for (int i = 0; i < P; i++)
        if (i < n) Y[e * n + i] = y[i];
    for (int j = 0; j < N; j++) {
      const double *K = th + j * slot;
#pragma unroll
      for (int i = 0; i < P; i++) z[i] = i < n ? K[n * n + i] : 0.0;
#pragma unroll
      for (int c = 0; c < P; c++)
        if (c < n)
#pragma unroll
          for (int i = 0; i < P; i++)
            if (i < n) z[i] += K[i + c * n] * y[c];
#pragma unroll
      for (int i = 0; i < P; i++)
        if (i < n) {
          if (LF) odynk_leapfrog_step(y[i], yp[LF ? i : 0], h * odynk_act_of<ACT>(z[i]));
          else y[i] += h * odynk_act_of<ACT>(z[i]);
        }
      if (store_all)
#pragma unroll
        for (int i = 0; i < P; i++)
          if (i < n) Y[(j + 1) * ns + e * n + i] = y[i];
    }
    if (!store_all)
#pragma unroll
      for (int i = 0; i < P; i++)
        if (i < n) {
          Y[e * n + i] = y[i];
          if (LF && Yprev) Yprev[e * n + i] = yp[LF ? i : 0];
        }
  }
}

/* the tangent with one thread per example: dz = K dy + dK y + db alongside z, per i in the order c = 0, 1, ... */
template <int ACT, int P, bool SMEM, bool LF = false>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) narrow_tangent1_k(int n, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ dtheta, const double *__restrict__ Y0, const double *__restrict__ dY0, double *__restrict__ dYN)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * n + n;
  const double *th = theta, *dth = dtheta;
  const bool    has_dth = dtheta != NULL;

  if (SMEM) {
    odynk_stage_params(sh, theta, dtheta, N * slot);
    th = sh;
    if (has_dth) dth = sh + N * slot;
  }
  for (long e = (long)blockIdx.x * blockDim.x + threadIdx.x; e < s; e += (long)gridDim.x * blockDim.x) {
    double y[P], dy[P], z[P], dz[P], yp[LF ? P : 1], dyp[LF ? P : 1];
#pragma unroll
    for (int i = 0; i < P; i++) {
      y[i]  = i < n ? Y0[e * n + i] : 0.0;
      dy[i] = (i < n && dY0) ? dY0[e * n + i] : 0.0;
      if (LF) {
        yp[LF ? i : 0]  = y[i];
        dyp[LF ? i : 0] = dy[i];
      }
    }
    for (int j = 0; j < N; j++) {
      const double *K = th + j * slot, *dK = has_dth ? dth + j * slot : NULL;
#pragma unroll
      for (int i = 0; i < P; i++) {
        z[i]  = i < n ? K[n * n + i] : 0.0;
        dz[i] = (i < n && has_dth) ? dK[n * n + i] : 0.0;
      }
#pragma unroll
      for (int c = 0; c < P; c++)
        if (c < n)
#pragma unroll
          for (int i = 0; i < P; i++)
            if (i < n) {
              const double k = K[i + c * n];
              z[i] += k * y[c];
              dz[i] += k * dy[c];
              if (has_dth) dz[i] += dK[i + c * n] * y[c];
            }
#pragma unroll
      for (int i = 0; i < P; i++)
        if (i < n) {
          const double t = odynk_act_of<ACT>(z[i]);
          if (LF) {
            odynk_leapfrog_step(dy[i], dyp[LF ? i : 0], h * (odynk_act_dout<ACT>(t) * dz[i]));
            odynk_leapfrog_step(y[i], yp[LF ? i : 0], h * t);
          } else {
            dy[i] += h * odynk_act_dout<ACT>(t) * dz[i];
            y[i] += h * t;
          }
        }
    }
#pragma unroll
    for (int i = 0; i < P; i++)
      if (i < n) dYN[e * n + i] = dy[i];
  }
}

/* The adjoint. part: this block's slice of N (n^2 + n) partial sums at part + blockIdx.x N (n^2 + n), or NULL (no
   gradient). Shared memory: two windows of S steps x nw warps x n (n + 1) sums (odynk_window_flush), then with ACC the
   block's running gradient acc[N (n^2 + n)] (zeroed here, written to the slice once at the end: one pass of stores
   per block instead of a global read-modify-write per step and chunk), then with SMEM the parameters. The next step's
   state is loaded one step ahead, so that its global latency overlaps this step's arithmetic. */
template <int ACT, int G, bool SMEM, bool ACC, bool LF = false, bool REV = false>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) narrow_adjoint_k(int n, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ Ytraj, const double *__restrict__ YN, const double *__restrict__ W, double *__restrict__ part, double *__restrict__ gY0, int S)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * n + n, ns = (long)n * s;
  const int     nw = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32, nr = n * (n + 1);
  double       *win = sh; /* 2 windows x S steps x nw warps x n rows x (n + 1) sums: row r's gK(r, 0..n-1) and gb(r) */
  double       *acc = ACC ? win + 2 * S * nw * nr : NULL;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    row_ok = r < n;
  double       *mypart = part ? part + (long)blockIdx.x * N * slot : NULL;
  bool          first  = true;
  unsigned      parity = 0;
  const auto    at     = [n](int q) { return narrow_slot_index(n, q); };
  double       *tsh    = win + 2 * S * nw * nr + (ACC ? N * slot : 0);
  const double *th     = SMEM ? tsh : theta; /* a compile-time choice: the loads below stay shared-memory loads */

  odynk_adjoint_start<SMEM, ACC>(acc, tsh, theta, N * slot);

  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e   = base + threadIdx.x / G;
    const bool act = row_ok && e < s;
    double     P = act ? W[e * n + r] : 0.0, Q = 0.0, ynext = act ? Ytraj[(REV ? 0 : N - 1) * ns + e * n + r] : 0.0;
    double     yhi = REV && act ? YN[e * n + r] : 0.0; /* REV: Y_{j+1} */

    for (int j = N - 1, t = 0; j >= 0; j--, t++) {
      const double *K = th + j * slot;
      const double  y = ynext;
      double        yc[G];
      if (!REV && j > 0) ynext = act ? Ytraj[(j - 1) * ns + e * n + r] : 0.0;
      const double z = odynk_shfl_dot<G>(row_ok ? K[n * n + r] : 0.0, y, K, r, n, n, row_ok, yc);
      const double tz = odynk_act_of<ACT>(z), u = act ? h * ODYNK_ACT_DOUT(ACT, tz) * P : 0.0;
      if (REV) { /* the scheme backwards: Y_{j-1} = 2 Y_j - Y_{j+1} + h^2 tanh(z_j), z_j the adjoint's own */
        ynext = act ? (2.0 * y - yhi) + h * tz : 0.0;
        yhi   = y;
      }
      /* P_c += sum_i K(i, c) u_i: thread r plays c */
      const double sum = odynk_shfl_dot<G>(0.0, u, K, r * n, 1, n, row_ok);
      if (mypart) {
        double g[G + 1];
#pragma unroll
        for (int k = 0; k < G; k++) g[k] = u * yc[k];
        g[G] = u;
        odynk_warp_sum_groups<G>(g, n);
        double *wb = win + (((parity & 1) * S + t % S) * nw + warp) * nr;
        if (lane < n) {
#pragma unroll
          for (int k = 0; k < G; k++)
            if (k < n) wb[lane * (n + 1) + k] = g[k];
          wb[lane * (n + 1) + n] = g[G];
        }
        if (t % S == S - 1 || j == 0) { /* the window is full or the chunk done: uniform over the block */
          const int cnt = t % S + 1;
          if (ACC) odynk_window_flush(win + (parity & 1) * S * nw * nr, nw, nr, cnt, j + cnt - 1, slot, acc, false, at);
          else odynk_window_flush(win + (parity & 1) * S * nw * nr, nw, nr, cnt, j + cnt - 1, slot, mypart, first, at);
          parity++;
        }
      }
      if (LF) odynk_leapfrog_adjoint_step(P, Q, sum, j);
      else P += sum;
    }
    if (gY0 && act) gY0[e * n + r] = P;
    first = false;
  }
  if (ACC && mypart) {
    __syncthreads();
    for (long k = threadIdx.x; k < N * slot; k += blockDim.x) mypart[k] = acc[k];
  }
}

/* The adjoint with one thread per example (n <= 8, large s: odynk_one_thread_per_example, as the forward): the
   example's state y[P], adjoint a[P] and u = h (1 - tanh^2(z)) .* a in registers, K_j and b_j read as broadcasts
   (z = b + K y in the order c = 0, 1, ...; a_c += sum_i K(i, c) u_i in the order i = 0, 1, ..., as the groups).
   The gradient of step j, gK_j = sum_e u_e y_e^T and gb_j = sum_e u_e, is per warp the small GEMM
   (n x 32)(32 x n) (plus the row sums of U), done through a per-warp scratch in shared memory instead of shuffles:
   in two rounds of ODYNK_ADJ1_HALF = 16 examples (half the scratch: what lets params + ACC + scratch fit two blocks
   per SM), the round's lanes write their u and y (rows of LD = P + 1 doubles: an odd stride, so the 16 lanes of a
   store hit distinct banks), __syncwarp, then lane l sums its entries of row ri = l % P, columns c = l / P + m 32 / P
   (c = n: gb; up to MC = 3 entries for P = 8, the warp's n (n + 1) = 72 entries in all) over the round's examples in
   order e = 0, 1, ... (fixed: deterministic), reading u_e[ri] once per example for all its columns, __syncwarp.
   These per-warp sums go to the same windows and ACC as the groups' (odynk_window_flush, entry layout `at`).
   Cost per example and step, n = 8 (the forward: 64 DFMA + 8 odynk_tanh x ~25 DP = ~264 DP instructions and 72
   broadcast loads per warp-step, fp64 bound: ~132 SM cycles per warp-step at 2 warp DP instructions per SM cycle):
   z = 64 DFMA + 8 tanh (~264 DP), u = 8 x 3 DP, a += K^T u = 64 DFMA, the warp's GEMM 72 x 32 FMA over 32 lanes =
   72 per lane, issued as 96 (lanes 0-7 hold 3 entries, the rest 2): ~450 DP instructions per warp-step (~1.7x the
   forward's fp64 work, ~225 SM cycles); shared memory, in wavefronts (one per warp instruction when broadcast or
   conflict-free within 128 bytes; 1 per SM cycle): K, b for z 72 + K for K^T u 64 + scratch stores 2 x 16 (each
   round's 16 lanes x 8 bytes: one wavefront) + scratch reads 3 per example (u_e[ri], y_e[c0], y_e[c0 + 4]) x 32 =
   96, + the window ~6: ~270 SM cycles per warp-step, so this kernel is bound by shared memory at about 2.0x the
   one-thread forward (the groups' adjoint: ~5x), before the states' 4.2 GB (~0.9 ms at s = 10^6, overlapped).
   Registers (ptxas, sm_90): P = 8 asks for 144; __launch_bounds__(256, 2) holds it to 128 (2 blocks per SM, which the
   shared memory allows anyway) with an 8-byte spill in the ACC variants; P = 4: 88-94, P = 2: 71-80, P = 1: 56-64. */
#define ODYNK_ADJ1_HALF 16
template <int ACT, int P, bool SMEM, bool ACC, bool LF = false, bool REV = false>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK, 2) narrow_adjoint1_k(int n, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ Ytraj, const double *__restrict__ YN, const double *__restrict__ W, double *__restrict__ part, double *__restrict__ gY0, int S)
{
  constexpr int LD = P > 1 ? P + 1 : 1, LPR = 32 / P, MC = (P + LPR) / LPR; /* scratch row; lanes per row; columns per lane */
  extern __shared__ double sh[];
  const long    slot = (long)n * n + n, ns = (long)n * s;
  const int     nw = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32, nr = n * (n + 1);
  double       *win = sh; /* as narrow_adjoint_k's, then acc (ACC), the warps' scratch, the parameters (SMEM) */
  double       *acc = ACC ? win + 2 * S * nw * nr : NULL;
  double       *scr = win + 2 * S * nw * nr + (ACC ? N * slot : 0);
  double       *us = scr + warp * 2 * ODYNK_ADJ1_HALF * LD, *ys = us + ODYNK_ADJ1_HALF * LD;
  const int     ri = lane % P, c0 = lane / P;
  double       *mypart = part ? part + (long)blockIdx.x * N * slot : NULL;
  bool          first  = true;
  unsigned      parity = 0;
  const auto    at     = [n](int q) { return narrow_slot_index(n, q); };
  double       *tsh    = scr + nw * 2 * ODYNK_ADJ1_HALF * LD;
  const double *th     = SMEM ? tsh : theta;

  odynk_adjoint_start<SMEM, ACC>(acc, tsh, theta, N * slot);

  /* chunks of blockDim.x examples, uniform over the block (the window flushes have a __syncthreads, the rounds a
     __syncwarp): a thread past s takes part with a = y = u = 0 */
  for (long base = (long)blockIdx.x * blockDim.x; base < s; base += (long)gridDim.x * blockDim.x) {
    const long e   = base + threadIdx.x;
    const bool act = e < s;
    double     a[P], y[P], yn[P], z[P], q[LF ? P : 1], yh[REV ? P : 1]; /* REV: yh = Y_{j+1} */
#pragma unroll
    for (int i = 0; i < P; i++) {
      a[i]  = act && i < n ? W[e * n + i] : 0.0;
      if (LF) q[LF ? i : 0] = 0.0;
      yn[i] = act && i < n ? Ytraj[(REV ? 0 : N - 1) * ns + e * n + i] : 0.0;
      if (REV) yh[REV ? i : 0] = act && i < n ? YN[e * n + i] : 0.0;
    }
    for (int j = N - 1, t = 0; j >= 0; j--, t++) {
      const double *K = th + j * slot;
#pragma unroll
      for (int i = 0; i < P; i++) {
        y[i] = yn[i];
        if (!REV && j > 0) yn[i] = act && i < n ? Ytraj[(j - 1) * ns + e * n + i] : 0.0;
        z[i] = i < n ? K[n * n + i] : 0.0;
      }
#pragma unroll
      for (int c = 0; c < P; c++)
        if (c < n)
#pragma unroll
          for (int i = 0; i < P; i++)
            if (i < n) z[i] += K[i + c * n] * y[c];
#pragma unroll
      for (int i = 0; i < P; i++) { /* z becomes u; REV: the scheme backwards, Y_{j-1} = 2 Y_j - Y_{j+1} + h^2 tanh(z_j) */
        const double tz = odynk_act_of<ACT>(z[i]);
        z[i]            = act && i < n ? h * ODYNK_ACT_DOUT(ACT, tz) * a[i] : 0.0;
        if (REV) {
          yn[i]             = act && i < n ? (2.0 * y[i] - yh[REV ? i : 0]) + h * tz : 0.0;
          yh[REV ? i : 0]   = y[i];
        }
      }
      if (mypart) {
        double g[MC];
#pragma unroll
        for (int m = 0; m < MC; m++) g[m] = 0.0;
#pragma unroll
        for (int hw = 0; hw < 32; hw += ODYNK_ADJ1_HALF) {
          if (lane >= hw && lane < hw + ODYNK_ADJ1_HALF)
#pragma unroll
            for (int i = 0; i < P; i++)
              if (i < n) {
                us[(lane - hw) * LD + i] = z[i];
                ys[(lane - hw) * LD + i] = y[i];
              }
          __syncwarp();
          if (ri < n)
#pragma unroll 4
            for (int q = 0; q < ODYNK_ADJ1_HALF; q++) {
              const double ue = us[q * LD + ri];
#pragma unroll
              for (int m = 0; m < MC; m++) {
                const int c = c0 + m * LPR;
                if (c < n) g[m] += ue * ys[q * LD + c];
                else if (c == n) g[m] += ue;
              }
            }
          __syncwarp(); /* the next round's (or step's) stores wait for these reads */
        }
        double *wb = win + (((parity & 1) * S + t % S) * nw + warp) * nr;
        if (ri < n)
#pragma unroll
          for (int m = 0; m < MC; m++) {
            const int c = c0 + m * LPR;
            if (c <= n) wb[ri * (n + 1) + c] = g[m];
          }
        if (t % S == S - 1 || j == 0) { /* the window is full or the chunk done: uniform over the block */
          const int cnt = t % S + 1;
          if (ACC) odynk_window_flush(win + (parity & 1) * S * nw * nr, nw, nr, cnt, j + cnt - 1, slot, acc, false, at);
          else odynk_window_flush(win + (parity & 1) * S * nw * nr, nw, nr, cnt, j + cnt - 1, slot, mypart, first, at);
          parity++;
        }
      }
      /* a_c += sum_i K(i, c) u_i */
#pragma unroll
      for (int c = 0; c < P; c++)
        if (c < n) {
          double sum = 0.0;
#pragma unroll
          for (int i = 0; i < P; i++)
            if (i < n) sum += K[i + c * n] * z[i];
          if (LF) odynk_leapfrog_adjoint_step(a[c], q[LF ? c : 0], sum, j);
          else a[c] += sum;
        }
    }
    if (gY0 && act)
#pragma unroll
      for (int i = 0; i < P; i++)
        if (i < n) gY0[e * n + i] = a[i];
    first = false;
  }
  if (ACC && mypart) {
    __syncthreads();
    for (long k = threadIdx.x; k < N * slot; k += blockDim.x) mypart[k] = acc[k];
  }
}

/* host side: the launch helpers (tools/cudaemu/run-narrow-emu.sh takes the kernels above this line) */
} // namespace

static int check_narrow(const char *fn, long n, long N, long s)
{
  if (n < 1 || n > ODYN_CUDA_NARROW_MAX) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: the narrow kernels take 1 <= n <= %d, got n = %ld (use the wide kernels, odyn_cuda_dense_*)", fn, ODYN_CUDA_NARROW_MAX, n);
  if (N < 0 || s < 0 || N > 1000000 || !odynk_fits_int(N * (n * n + n))) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: N = %ld, s = %ld out of range", fn, N, s);
  if (s > (1L << 40) / n) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: s = %ld too large", fn, s);
  return ODYN_CUDA_OK;
}

template <int ACT, int G, bool LF>
static int forward_g(long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all, double *Yprev)
{
  const size_t bytes = (size_t)N * (n * n + n) * sizeof(double);

  return odynk_launch_staged(narrow_forward_k<ACT, G, true, LF>, narrow_forward_k<ACT, G, false, LF>, bytes, s, G, "narrow", "launch of narrow_forward_k", (int)n, (int)N, s, h, theta, Y0, Y, store_all, Yprev);
}

template <int ACT, int G, bool LF>
static int tangent_g(long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  const size_t bytes = (size_t)N * (n * n + n) * sizeof(double) * (dtheta ? 2 : 1);

  return odynk_launch_staged(narrow_tangent_k<ACT, G, true, LF>, narrow_tangent_k<ACT, G, false, LF>, bytes, s, G, "narrow", "launch of narrow_tangent_k", (int)n, (int)N, s, h, theta, dtheta, Y0, dY0, dYN);
}

/* one thread per example for large s (odynk_one_thread_per_example): P = n rounded up to a power of two */
template <int ACT, int P, bool LF>
static int forward1_p(long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all, double *Yprev)
{
  const size_t bytes = (size_t)N * (n * n + n) * sizeof(double);

  return odynk_launch_staged(narrow_forward1_k<ACT, P, true, LF>, narrow_forward1_k<ACT, P, false, LF>, bytes, s, 1, "narrow", "launch of narrow_forward1_k", (int)n, (int)N, s, h, theta, Y0, Y, store_all, Yprev);
}

template <int ACT, int P, bool LF>
static int tangent1_p(long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  const size_t bytes = (size_t)N * (n * n + n) * sizeof(double) * (dtheta ? 2 : 1);

  return odynk_launch_staged(narrow_tangent1_k<ACT, P, true, LF>, narrow_tangent1_k<ACT, P, false, LF>, bytes, s, 1, "narrow", "launch of narrow_tangent1_k", (int)n, (int)N, s, h, theta, dtheta, Y0, dY0, dYN);
}

/* launches one of the narrow adjoint kernels (narrow_adjoint_k, G threads per example, or narrow_adjoint1_k, one) with
   a window of S steps and smem bytes on the grid the occupancy gives; with gtheta, each block writes its partial
   gradient into the scratch and the partials are summed into gtheta in a fixed order */
template <typename KernelT>
static int adjoint_kernel_launch(KernelT kernel, const char *launch_of, int G, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *YN, const double *W, double *gtheta, double *gY0, int S, size_t smem)
{
  const long  nparam = N * (n * n + n);
  unsigned    grid;
  void       *pp   = NULL;
  double     *part = NULL;
  cudaError_t e;

  ODYNK_CALL(odynk_narrow_grid(kernel, smem, s, G, "narrow", &grid));
  if (gtheta) {
    ODYNK_CALL(odynk_scratch(0, (size_t)grid * nparam * sizeof(double), &pp));
    part = (double *)pp;
  }
  kernel<<<grid, ODYNK_NARROW_BLOCK, smem>>>((int)n, (int)N, s, h, theta, Ytraj, YN, W, part, gY0, S);
  if ((e = cudaGetLastError()) != cudaSuccess) return odynk_cuda_fail(e, launch_of, __FILE__, __LINE__);
  if (gtheta) ODYNK_CALL(odynk_reduce_blocks(nparam, grid, part, 1.0, gtheta, 1));
  return ODYN_CUDA_OK;
}

template <int ACT, int G, bool SMEM, bool ACC, bool LF, bool REV>
static int adjoint_launch(long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *YN, const double *W, double *gtheta, double *gY0, int S, size_t smem)
{
  return adjoint_kernel_launch(narrow_adjoint_k<ACT, G, SMEM, ACC, LF, REV>, "launch of narrow_adjoint_k", G, n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, S, smem);
}

/* The adjoint's configuration: odynk_adjoint_plan. While the resident blocks hold every chunk of examples in one pass
   (s = 10^4), the largest window that keeps enough blocks resident (n = 8, N = 64: S = 4, 73.7 KB, 3 blocks per SM,
   396 blocks >= 313 chunks); when blocks must walk several chunks (s = 10^6), the block's gradient in shared memory
   (ACC: n = 8, N = 64 adds 36.9 KB, S = 2, 92 KB, 2 blocks per SM). */
template <int ACT, int G, bool LF, bool REV>
static int adjoint_g(long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *YN, const double *W, double *gtheta, double *gY0)
{
  const size_t   step = (size_t)(ODYNK_NARROW_BLOCK / 32) * n * (n + 1) * sizeof(double), bytes = (size_t)N * (n * n + n) * sizeof(double);
  odynk_adj_plan p;

  ODYNK_CALL(odynk_adjoint_plan(narrow_adjoint_k<ACT, G, true, false, LF, REV>, bytes, step, N, s, G, gtheta != NULL, "narrow", &p));
  if (!p.smem) return adjoint_launch<ACT, G, false, false, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, p.S, p.bytes);
  if (p.acc) return adjoint_launch<ACT, G, true, true, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, p.S, p.bytes);
  return adjoint_launch<ACT, G, true, false, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, p.S, p.bytes);
}

/* The one-thread adjoint (narrow_adjoint1_k) for large s, where the blocks walk several chunks: ACC, with the
   parameters in shared memory when they fit, else through the read-only cache. Its shared memory adds the warps'
   scratch (8 warps x 2 x 16 x (P + 1) doubles: 18.4 KB for P = 8) to the groups' ACC layout, which for n = 8, N = 64
   (parameters 36.9 + ACC 36.9 + scratch 18.4 + windows 2 S x 4.6 KB) exceeds ODYNK_SMEM_BUDGET, so it has its own
   budget: ODYNK_ADJ1_BUDGET keeps two blocks of 256 per SM (2 x (110 + 1 reserved) KB <= the 228 KB of an H100/H200
   SM), as many as its 128 registers per thread allow and as the groups' ACC adjoint has (n = 8, N = 64: S = 2,
   108 KB). n = 8: the parameters go through the cache from N = 74 on; from N = 148 on nothing fits, *taken = 0 and
   the caller takes the groups. */
#define ODYNK_ADJ1_BUDGET (110 * 1024)
static int adj1_window(size_t fixed, size_t win_step, long N)
{
  int S = ODYNK_ADJ_WINDOW < N ? ODYNK_ADJ_WINDOW : (int)N;
  while (S > 0 && fixed + 2 * (size_t)S * win_step > ODYNK_ADJ1_BUDGET) S--;
  return S;
}

template <int ACT, int P, bool SMEM, bool ACC, bool LF, bool REV>
static int adjoint1_launch(long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *YN, const double *W, double *gtheta, double *gY0, int S, size_t smem)
{
  return adjoint_kernel_launch(narrow_adjoint1_k<ACT, P, SMEM, ACC, LF, REV>, "launch of narrow_adjoint1_k", 1, n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, S, smem);
}

template <int ACT, int P, bool LF, bool REV>
static int adjoint1_p(long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *YN, const double *W, double *gtheta, double *gY0, int *taken)
{
  const size_t step = (size_t)(ODYNK_NARROW_BLOCK / 32) * n * (n + 1) * sizeof(double), bytes = (size_t)N * (n * n + n) * sizeof(double);
  const size_t scr = (size_t)(ODYNK_NARROW_BLOCK / 32) * 2 * ODYNK_ADJ1_HALF * (P > 1 ? P + 1 : 1) * sizeof(double);
  int          S;

  *taken = 1;
  if (!gtheta) { /* no gradient: no window is written, one step's worth keeps the layout */
    if ((S = adj1_window(bytes + scr, step, 1)) >= 1) return adjoint1_launch<ACT, P, true, false, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, NULL, gY0, 1, bytes + scr + 2 * step);
    return adjoint1_launch<ACT, P, false, false, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, NULL, gY0, 1, scr + 2 * step);
  }
  if ((S = adj1_window(2 * bytes + scr, step, N)) >= 1) return adjoint1_launch<ACT, P, true, true, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, S, 2 * bytes + scr + 2 * S * step);
  if ((S = adj1_window(bytes + scr, step, N)) >= 1) return adjoint1_launch<ACT, P, false, true, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, S, bytes + scr + 2 * S * step);
  *taken = 0;
  return ODYN_CUDA_OK;
}

template <int ACT, bool LF>
static int narrow_forward(const char *fn, long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all, double *Yprev = NULL)
{
  ODYNK_CALL(check_narrow(fn, n, N, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!Y0 || !Y || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: theta, Y0 and Y must be device arrays", fn);
  if (n <= 8 && odynk_one_thread_per_example(s)) switch (odynk_group_of(n)) { /* n > 8: 16 values per state need > 128 registers */
    case 1: return forward1_p<ACT, 1, LF>(n, N, s, h, theta, Y0, Y, store_all, Yprev);
    case 2: return forward1_p<ACT, 2, LF>(n, N, s, h, theta, Y0, Y, store_all, Yprev);
    case 4: return forward1_p<ACT, 4, LF>(n, N, s, h, theta, Y0, Y, store_all, Yprev);
    default: return forward1_p<ACT, 8, LF>(n, N, s, h, theta, Y0, Y, store_all, Yprev);
    }
  switch (odynk_group_of(n)) {
  case 1: return forward_g<ACT, 1, LF>(n, N, s, h, theta, Y0, Y, store_all, Yprev);
  case 2: return forward_g<ACT, 2, LF>(n, N, s, h, theta, Y0, Y, store_all, Yprev);
  case 4: return forward_g<ACT, 4, LF>(n, N, s, h, theta, Y0, Y, store_all, Yprev);
  case 8: return forward_g<ACT, 8, LF>(n, N, s, h, theta, Y0, Y, store_all, Yprev);
  default: return forward_g<ACT, 16, LF>(n, N, s, h, theta, Y0, Y, store_all, Yprev);
  }
}

template <int ACT, bool LF>
static int narrow_tangent(const char *fn, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  ODYNK_CALL(check_narrow(fn, n, N, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!Y0 || !dYN || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: theta, Y0 and dYN must be device arrays", fn);
  if (n <= 8 && odynk_one_thread_per_example(s)) switch (odynk_group_of(n)) { /* n > 8: 16 values per state need > 128 registers */
    case 1: return tangent1_p<ACT, 1, LF>(n, N, s, h, theta, dtheta, Y0, dY0, dYN);
    case 2: return tangent1_p<ACT, 2, LF>(n, N, s, h, theta, dtheta, Y0, dY0, dYN);
    case 4: return tangent1_p<ACT, 4, LF>(n, N, s, h, theta, dtheta, Y0, dY0, dYN);
    default: return tangent1_p<ACT, 8, LF>(n, N, s, h, theta, dtheta, Y0, dY0, dYN);
    }
  switch (odynk_group_of(n)) {
  case 1: return tangent_g<ACT, 1, LF>(n, N, s, h, theta, dtheta, Y0, dY0, dYN);
  case 2: return tangent_g<ACT, 2, LF>(n, N, s, h, theta, dtheta, Y0, dY0, dYN);
  case 4: return tangent_g<ACT, 4, LF>(n, N, s, h, theta, dtheta, Y0, dY0, dYN);
  case 8: return tangent_g<ACT, 8, LF>(n, N, s, h, theta, dtheta, Y0, dY0, dYN);
  default: return tangent_g<ACT, 16, LF>(n, N, s, h, theta, dtheta, Y0, dY0, dYN);
  }
}

template <int ACT, bool LF, bool REV = false>
static int narrow_adjoint(const char *fn, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *YN, const double *W, double *gtheta, double *gY0)
{
  ODYNK_CALL(check_narrow(fn, n, N, s));
  if (s == 0 || (!gtheta && !gY0)) return ODYN_CUDA_OK;
  if (!Ytraj || (REV && !YN) || !W || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, REV ? "%s: theta, YN, YNm1 and W must be device arrays" : "%s: theta, Ytraj and W must be device arrays", fn);
  if (N == 0) { /* no step: gY0 = W, no gradient */
    if (gY0 && gY0 != W) ODYNK_CUDA(cudaMemcpyAsync(gY0, W, (size_t)n * s * sizeof(double), cudaMemcpyDeviceToDevice, 0));
    return ODYN_CUDA_OK;
  }
  if (n <= (LF ? 4 : 8) && odynk_one_thread_per_example(s)) { /* the forward's threshold: one thread per example (leapfrog: n <= 4, its second adjoint array would spill at P = 8) */
    int taken = 0;
    switch (odynk_group_of(n)) {
    case 1: ODYNK_CALL((adjoint1_p<ACT, 1, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, &taken))); break;
    case 2: ODYNK_CALL((adjoint1_p<ACT, 2, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, &taken))); break;
    case 4: ODYNK_CALL((adjoint1_p<ACT, 4, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, &taken))); break;
    default: ODYNK_CALL((adjoint1_p<ACT, (LF ? 4 : 8), LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0, &taken))); break; /* LF: n <= 4, not reached */
    }
    if (taken) return ODYN_CUDA_OK;
  }
  switch (odynk_group_of(n)) {
  case 1: return adjoint_g<ACT, 1, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0);
  case 2: return adjoint_g<ACT, 2, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0);
  case 4: return adjoint_g<ACT, 4, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0);
  case 8: return adjoint_g<ACT, 8, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0);
  default: return adjoint_g<ACT, 16, LF, REV>(n, N, s, h, theta, Ytraj, YN, W, gtheta, gY0);
  }
}

/* the entry points: act checked and turned into the kernels' template parameter ACT (odynk_with_act) */
int odyn_cuda_narrow_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all)
{
  static const char *fn = "odyn_cuda_narrow_forward";
  return odynk_with_act(fn, act, [&](auto a) { return narrow_forward<decltype(a)::value, false>(fn, n, N, s, h, theta, Y0, Y, store_all); });
}
int odyn_cuda_narrow_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  static const char *fn = "odyn_cuda_narrow_tangent";
  return odynk_with_act(fn, act, [&](auto a) { return narrow_tangent<decltype(a)::value, false>(fn, n, N, s, h, theta, dtheta, Y0, dY0, dYN); });
}
int odyn_cuda_narrow_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *W, double *gtheta, double *gY0)
{
  static const char *fn = "odyn_cuda_narrow_adjoint";
  return odynk_with_act(fn, act, [&](auto a) { return narrow_adjoint<decltype(a)::value, false>(fn, n, N, s, h, theta, Ytraj, NULL, W, gtheta, gY0); });
}

/* the leapfrog sweeps: the same kernels with LF, whose steps take h^2 where Euler's take h */
int odyn_cuda_narrow_leapfrog_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all)
{
  static const char *fn = "odyn_cuda_narrow_leapfrog_forward";
  return odynk_with_act(fn, act, [&](auto a) { return narrow_forward<decltype(a)::value, true>(fn, n, N, s, h * h, theta, Y0, Y, store_all); });
}
int odyn_cuda_narrow_leapfrog_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  static const char *fn = "odyn_cuda_narrow_leapfrog_tangent";
  return odynk_with_act(fn, act, [&](auto a) { return narrow_tangent<decltype(a)::value, true>(fn, n, N, s, h * h, theta, dtheta, Y0, dY0, dYN); });
}
int odyn_cuda_narrow_leapfrog_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *W, double *gtheta, double *gY0)
{
  static const char *fn = "odyn_cuda_narrow_leapfrog_adjoint";
  return odynk_with_act(fn, act, [&](auto a) { return narrow_adjoint<decltype(a)::value, true>(fn, n, N, s, h * h, theta, Ytraj, NULL, W, gtheta, gY0); });
}

/* the reversible leapfrog's sweeps (-odyn_scheme_trajectory recompute): the forward keeps the last two states (the
   kernel's previous-state register written beside Y_N: one sweep), the adjoint rebuilds the states backwards from them
   in registers, Y_{j-1} = 2 Y_j - Y_{j+1} + h^2 tanh(z_j) with the z_j the adjoint computes anyway: no state is read
   from memory (the tangent, which recomputes the states forward, is odyn_cuda_narrow_leapfrog_tangent) */
int odyn_cuda_narrow_leapfrog_forward_final(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *YNm1)
{
  static const char *fn = "odyn_cuda_narrow_leapfrog_forward_final";
  return odynk_with_act(fn, act, [&](auto a) {
    if (!YNm1 && s > 0 && n >= 1 && n <= ODYN_CUDA_NARROW_MAX) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: theta, Y0, YN and YNm1 must be device arrays", fn);
    return narrow_forward<decltype(a)::value, true>(fn, n, N, s, h * h, theta, Y0, YN, 0, YNm1);
  });
}
int odyn_cuda_narrow_leapfrog_adjoint_reversible(int act, long n, long N, long s, double h, const double *theta, const double *YN, const double *YNm1, const double *W, double *gtheta, double *gY0)
{
  static const char *fn = "odyn_cuda_narrow_leapfrog_adjoint_reversible";
  return odynk_with_act(fn, act, [&](auto a) { return narrow_adjoint<decltype(a)::value, true, true>(fn, n, N, s, h * h, theta, YNm1, YN, W, gtheta, gY0); });
}
