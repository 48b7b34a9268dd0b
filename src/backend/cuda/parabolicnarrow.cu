/*
   Narrow parabolic tanh networks (n, m <= 16: the 2-D examples' parabolic nets, n = 2 with a hidden width of a few),
   forward Euler with the symmetric layer,
     Y_{j+1} = Y_j - h K_j^T tanh(K_j Y_j + b_j),  K_j m x n column-major,  slot j = [K_j | b_j],
   one kernel per sweep, as narrow.cu (Euler) and verlet.cu (Verlet) do, where parabolic.cu's cuBLAS path launches two
   or three kernels per step: at n = 2, m = 4 a step is ~40 flops per example, far less than a launch. The helpers
   (staging, shuffle mat-vecs, warp and windowed block sums, the grid) are narrowcommon.cuh's.

   Threads: G threads per example (G = max(n, m) rounded up to a power of two); thread r of a group holds row r of Y
   (r < n) and row r of the hidden layer (r < m) in registers for all N steps: a = K Y + b is G shuffles and n FMAs per
   hidden row, K^T tanh(a) G shuffles and m FMAs per state row. Blocks of 256 threads walk over chunks of examples
   (grid-stride, the grid from the occupancy calculator); the parameters sit in shared memory when they fit
   ODYNK_SMEM_BUDGET, else are read through the read-only cache.

   forward: stores every Y_j (the adjoint reads them), no synchronization. sigma and sigma' are not stored (the table's
     lin is empty at these widths, where parabolic.cu keeps 2 N m s doubles of them: at m = 4, n = 2 four times the
     trajectory): the derivative sweeps recompute them, one mat-vec and a tanh per step.
   tangent: recomputes the states alongside dY from Y_0, da = K dY + dK Y + db, dY -= h (K^T (sigma' da) + dK^T sigma):
     only Y0, dY0 and dY_N cross memory.
   adjoint: reads the stored states, one step ahead. Step j, with P = P_{j+1}: a = K Y_j + b, S = tanh(a),
     T = (1 - S^2) .* (K P); the gradient gK(r, c) += -h (S_r P_c + T_r Y_c), gb_r += -h T_r, summed over the examples
     per warp with xor shuffles over its groups, per block once per window of S <= 4 steps (odynk_window_flush), into
     the block's own slice of a partial-sum array or, when blocks walk several chunks, the block's gradient in shared
     memory (ACC) written to the slice once at the end; odynk_reduce_blocks sums the slices in a fixed order (no
     atomics, deterministic). Then P_j = P - h K^T T.
   Activation: tanh above stands for the sweep's act (identity, tanh, relu), the kernels' template parameter ACT as in
   narrow.cu, with sigma' from S (devmath.cuh's odynk_act_dout): the tanh instantiations compile as before.
   Rounding against the host table (src/backend/host/denseparabolic.c): the sums run in another order and fuse into
   FMAs, and odynk_tanh differs from glibc's by an ulp or two; the map is non-expanding for small h (dF/dY = -K^T
   diag(sigma') K is negative semi-definite), so the difference stays at a few ulp per step (tests/gpu/test_gpu_parabolic.c).
*/
#include "kernelsys.cuh"
#include "narrowcommon.cuh"

namespace {

template <int ACT, int G, bool SMEM>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) parabolic_forward_k(int n, int m, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ Y0, double *__restrict__ Y)
{
  extern __shared__ double sh[];
  const long    slot = (long)m * n + m, ns = (long)n * s;
  const double *th   = theta;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    yrow = r < n, hrow = r < m;

  if (SMEM) {
    odynk_stage_params(sh, theta, NULL, N * slot);
    th = sh;
  }
  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e  = base + threadIdx.x / G;
    const bool in = e < s;
    double     y  = (in && yrow) ? Y0[e * n + r] : 0.0;

    if (in && yrow) Y[e * n + r] = y;
    for (int j = 0; j < N; j++) {
      const double *K = th + j * slot, *b = K + (long)m * n;
      /* a_r = b_r + sum_c K(r, c) Y_c; then (K^T S)_r = sum_i K(i, r) S_i */
      const double  a  = odynk_shfl_dot<G>(hrow ? b[r] : 0.0, y, K, r, m, n, hrow);
      const double  sg = hrow ? ODYNK_ACT_OF(ACT, a) : 0.0;
      y -= h * odynk_shfl_dot<G>(0.0, sg, K, r * m, 1, m, yrow);
      if (in && yrow) Y[(j + 1) * ns + e * n + r] = y;
    }
  }
}

template <int ACT, int G, bool SMEM>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) parabolic_tangent_k(int n, int m, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ dtheta, const double *__restrict__ Y0, const double *dY0, double *dYN)
{
  extern __shared__ double sh[];
  const long    slot = (long)m * n + m;
  const double *th = theta, *dth = dtheta;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    yrow = r < n, hrow = r < m, has_dth = dtheta != NULL;

  if (SMEM) {
    odynk_stage_params(sh, theta, dtheta, N * slot);
    th = sh;
    if (has_dth) dth = sh + N * slot;
  }
  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e  = base + threadIdx.x / G;
    const bool in = e < s;
    double     y = (in && yrow) ? Y0[e * n + r] : 0.0, dy = (in && yrow && dY0) ? dY0[e * n + r] : 0.0;

    for (int j = 0; j < N; j++) {
      const double *K = th + j * slot, *b = K + (long)m * n;
      const double *dK = has_dth ? dth + j * slot : NULL, *db = has_dth ? dK + (long)m * n : NULL;
      double        a = hrow ? b[r] : 0.0, da = (hrow && has_dth) ? db[r] : 0.0, f = 0.0, df = 0.0;
      odynk_shfl_dot_tangent<G>(a, da, y, dy, K, dK, r, m, n, hrow); /* a = K Y + b, da = K dY + dK Y + db */
      const double sg = hrow ? ODYNK_ACT_OF(ACT, a) : 0.0, dsg = hrow ? ODYNK_ACT_DOUT(ACT, sg) * da : 0.0;
      odynk_shfl_dot_tangent<G>(f, df, sg, dsg, K, dK, r * m, 1, m, yrow); /* f = K^T S, df = K^T dS + dK^T S */
      dy -= h * df;
      y -= h * f;
    }
    if (in && yrow) dYN[e * n + r] = dy;
  }
}

/* The adjoint from the stored states Y ((N + 1) n s). part: this block's slice of N (m n + m) partial sums at part +
   blockIdx.x N slot, or NULL (no gradient). Shared memory, as verlet.cu's adjoint: two windows of S steps x nw warps
   x slot sums, then with ACC the block's running gradient acc[N slot], then with SMEM the parameters. */
template <int ACT, int G, bool SMEM, bool ACC>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) parabolic_adjoint_k(int n, int m, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ Y, const double *W, double *__restrict__ part, double *gY0, int S)
{
  extern __shared__ double sh[];
  const long    slot = (long)m * n + m, ns = (long)n * s;
  const int     nw = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  double       *win = sh; /* 2 windows x S steps x nw warps x slot: one step's gradient per warp, laid out as theta_j */
  double       *acc = ACC ? win + 2 * S * nw * slot : NULL;
  double       *tsh = win + 2 * S * nw * slot + (ACC ? N * slot : 0);
  const double *th  = SMEM ? tsh : theta;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    yrow = r < n, hrow = r < m;
  double       *mypart = part ? part + (long)blockIdx.x * N * slot : NULL;
  bool          first  = true;
  unsigned      parity = 0;
  const auto    at     = [](int q) { return q; };

  odynk_adjoint_start<SMEM, ACC>(acc, tsh, theta, N * slot);
  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e  = base + threadIdx.x / G;
    const bool in = e < s;
    double     P = (in && yrow) ? W[e * n + r] : 0.0, ynext = (in && yrow) ? Y[(N - 1) * ns + e * n + r] : 0.0;

    for (int j = N - 1, t = 0; j >= 0; j--, t++) {
      const double *K = th + j * slot, *b = K + (long)m * n;
      const double  yv = ynext;
      double        yc[G], pc[G];
      if (j > 0) ynext = (in && yrow) ? Y[(j - 1) * ns + e * n + r] : 0.0;

      /* a = K Y_j + b and K P (keeping Y_c, P_c for the gradient); T = sigma' .* (K P) */
      const double a  = odynk_shfl_dot<G>(hrow ? b[r] : 0.0, yv, K, r, m, n, hrow, yc);
      const double kp = odynk_shfl_dot<G>(0.0, P, K, r, m, n, hrow, pc);
      const double sg = hrow ? ODYNK_ACT_OF(ACT, a) : 0.0, tt = (in && hrow) ? ODYNK_ACT_DOUT(ACT, sg) * kp : 0.0;
      const double padd = odynk_shfl_dot<G>(0.0, tt, K, r * m, 1, m, yrow); /* (K^T T)_r */
      if (mypart) {
        const double hs = (in && hrow) ? -h * sg : 0.0, ht = -h * tt;
        double       g[G + 1];
#pragma unroll
        for (int k = 0; k < G; k++) g[k] = hs * pc[k] + ht * yc[k]; /* gK(r, k) */
        g[G] = ht;                                                  /* gb(r) */
        odynk_warp_sum_groups<G>(g, n);
        double *rb = odynk_window_slot(win, S, nw, (int)slot, parity, t, warp);
        if (lane < m) {
#pragma unroll
          for (int k = 0; k < G; k++)
            if (k < n) rb[lane + k * m] = g[k];
          rb[m * n + lane] = g[G];
        }
        odynk_window_end<ACC>(win, S, nw, (int)slot, slot, t, j, acc, mypart, first, parity, at);
      }
      P -= h * padd;
    }
    if (gY0 && in && yrow) gY0[e * n + r] = P;
    first = false;
  }
  odynk_adjoint_finish<ACC>(acc, mypart, N * slot);
}

/* host side: the launch helpers */
int check_parabolic_narrow(const char *fn, long n, long m, long N, long s)
{
  if (n < 1 || n > ODYN_CUDA_NARROW_MAX || m < 1 || m > ODYN_CUDA_NARROW_MAX) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: the narrow parabolic kernels take widths 1 <= n, m <= %d, got n = %ld, m = %ld (wider blocks: odyn_cuda_parabolic_*)", fn, ODYN_CUDA_NARROW_MAX, n, m);
  if (N < 0 || s < 0 || N > 1000000 || !odynk_fits_int(N * (m * n + m))) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: N = %ld, s = %ld out of range", fn, N, s);
  if (s > (1L << 40) / (n > m ? n : m)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: s = %ld too large", fn, s);
  return ODYN_CUDA_OK;
}

template <int ACT, int G>
int forward_g(long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Y)
{
  const size_t bytes = (size_t)N * (m * n + m) * sizeof(double);

  return odynk_launch_staged(parabolic_forward_k<ACT, G, true>, parabolic_forward_k<ACT, G, false>, bytes, s, G, "parabolic", "launch of parabolic_forward_k", (int)n, (int)m, (int)N, s, h, theta, Y0, Y);
}

template <int ACT, int G>
int tangent_g(long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  const size_t bytes = (size_t)N * (m * n + m) * sizeof(double) * (dtheta ? 2 : 1);

  return odynk_launch_staged(parabolic_tangent_k<ACT, G, true>, parabolic_tangent_k<ACT, G, false>, bytes, s, G, "parabolic", "launch of parabolic_tangent_k", (int)n, (int)m, (int)N, s, h, theta, dtheta, Y0, dY0, dYN);
}

/* launches parabolic_adjoint_k<ACT, G, SMEM, ACC> with a window of S steps and smem bytes; grid from the occupancy */
template <int ACT, int G, bool SMEM, bool ACC>
int adjoint_launch(long n, long m, long N, long s, double h, const double *theta, const double *Y, const double *W, double *gtheta, double *gY0, int S, size_t smem)
{
  const long nparam = N * (m * n + m);
  unsigned   grid;
  void      *pp   = NULL;
  double    *part = NULL;

  ODYNK_CALL(odynk_narrow_grid(parabolic_adjoint_k<ACT, G, SMEM, ACC>, smem, s, G, "parabolic", &grid));
  if (gtheta) {
    ODYNK_CALL(odynk_scratch(0, (size_t)grid * nparam * sizeof(double), &pp));
    part = (double *)pp;
  }
  parabolic_adjoint_k<ACT, G, SMEM, ACC><<<grid, ODYNK_NARROW_BLOCK, smem>>>((int)n, (int)m, (int)N, s, h, theta, Y, W, part, gY0, S);
  ODYNK_LAUNCHED("parabolic_adjoint_k");
  if (gtheta) ODYNK_CALL(odynk_reduce_blocks(nparam, grid, part, 1.0, gtheta, 1));
  return ODYN_CUDA_OK;
}

/* the configuration: odynk_adjoint_plan */
template <int ACT, int G>
int adjoint_g(long n, long m, long N, long s, double h, const double *theta, const double *Y, const double *W, double *gtheta, double *gY0)
{
  const long     slot = m * n + m;
  const size_t   step = (size_t)(ODYNK_NARROW_BLOCK / 32) * slot * sizeof(double), bytes = (size_t)N * slot * sizeof(double);
  odynk_adj_plan p;

  ODYNK_CALL(odynk_adjoint_plan(parabolic_adjoint_k<ACT, G, true, false>, bytes, step, N, s, G, gtheta != NULL, "parabolic", &p));
  if (!p.smem) return adjoint_launch<ACT, G, false, false>(n, m, N, s, h, theta, Y, W, gtheta, gY0, p.S, p.bytes);
  if (p.acc) return adjoint_launch<ACT, G, true, true>(n, m, N, s, h, theta, Y, W, gtheta, gY0, p.S, p.bytes);
  return adjoint_launch<ACT, G, true, false>(n, m, N, s, h, theta, Y, W, gtheta, gY0, p.S, p.bytes);
}

} // namespace

int odyn_cuda_parabolic_narrow_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj)
{
  static const char *fn = "odyn_cuda_parabolic_narrow_forward";

  ODYNK_CALL(odynk_check_act(fn, act));
  ODYNK_CALL(check_parabolic_narrow(fn, n, m, N, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!Y0 || !Ytraj || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_parabolic_narrow_forward: theta, Y0 and Ytraj must be device arrays");
  return odynk_with_act(fn, act, [&](auto a) { return odynk_with_group(n > m ? n : m, [&](auto g) { return forward_g<decltype(a)::value, decltype(g)::value>(n, m, N, s, h, theta, Y0, Ytraj); }); });
}

int odyn_cuda_parabolic_narrow_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  static const char *fn = "odyn_cuda_parabolic_narrow_tangent";

  ODYNK_CALL(odynk_check_act(fn, act));
  ODYNK_CALL(check_parabolic_narrow(fn, n, m, N, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!Y0 || !dYN || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_parabolic_narrow_tangent: theta, Y0 and dYN must be device arrays");
  return odynk_with_act(fn, act, [&](auto a) { return odynk_with_group(n > m ? n : m, [&](auto g) { return tangent_g<decltype(a)::value, decltype(g)::value>(n, m, N, s, h, theta, dtheta, Y0, dY0, dYN); }); });
}

int odyn_cuda_parabolic_narrow_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *W, double *gtheta, double *gY0)
{
  static const char *fn = "odyn_cuda_parabolic_narrow_adjoint";

  ODYNK_CALL(odynk_check_act(fn, act));
  ODYNK_CALL(check_parabolic_narrow(fn, n, m, N, s));
  if (s == 0 || (!gtheta && !gY0)) return ODYN_CUDA_OK;
  if (!Ytraj || !W || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_parabolic_narrow_adjoint: theta, Ytraj and W must be device arrays");
  if (N == 0) { /* no step: gY0 = W, no gradient */
    if (gY0 && gY0 != W) ODYNK_CUDA(cudaMemcpyAsync(gY0, W, (size_t)n * s * sizeof(double), cudaMemcpyDeviceToDevice, 0));
    return ODYN_CUDA_OK;
  }
  return odynk_with_act(fn, act, [&](auto a) { return odynk_with_group(n > m ? n : m, [&](auto g) { return adjoint_g<decltype(a)::value, decltype(g)::value>(n, m, N, s, h, theta, Ytraj, W, gtheta, gY0); }); });
}
