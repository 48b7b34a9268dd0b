/*
   Narrow Verlet (Hamiltonian) tanh networks (n, m <= 16: the peaks, ellipse and swiss-roll Verlet nets, n = m = 2),
   the network of src/schemes/impls/verlet.c with the layer of src/layers/impls/hamiltonian.c:
     Z_{j+1/2} = Z_{j-1/2} - h tanh(K_j^T Y_j + bG_j),  Y_{j+1} = Y_j + h tanh(K_j Z_{j+1/2} + bF_j),  Z_{-1/2} = 0
   theta_j = [K_j (n x m column-major) | bF_j (n) | bG_j (m)] (include/odyn/private/cudakernels.h). One kernel per
   sweep, as narrow.cu for Euler, for the same reason (a step is a few dozen flops per example); the helpers both use
   (staging, shuffle mat-vecs, the warp and block sums, the grid) are in narrowcommon.cuh. tanh stands for the sweep's
   act (identity, tanh, relu), the kernels' template parameter ACT as in narrow.cu (tanh compiles as before).

   Threads: G threads per example (G = max(n, m) rounded up to a power of two); thread r of a group holds Y's row r
   (r < n) and Z's row r (r < m) in registers for all N steps; K^T Y and K Z are G warp shuffles (width G) and FMAs per
   thread. Blocks of 256 threads walk over chunks of examples (grid-stride, the grid from the occupancy calculator);
   the parameters sit in shared memory when they fit ODYNK_SMEM_BUDGET, else are read through the read-only cache.

   forward: stores every Y_j and Z_{j-1/2} (the adjoint reads them), no synchronization; forward_final (ALL false)
     only Y_N and Z_{N-1/2}.
   tangent: recomputes the states alongside (dY, dZ) from Y_0: only Y0, dY0 and dY_N cross memory.
   adjoint_reversible (REV): rebuilds the states backwards from (Y_N, Z_{N-1/2}) in registers, Y_j = Y_{j+1} - h tanh(f)
     after face F and Z_{j-1/2} = Z_{j+1/2} + h tanh(a) after face G, with the tanh values the adjoint computes
     anyway: no extra face, one FMA per row and face, no state traffic; memory per example (n + m) doubles instead
     of (N + 1)(n + m). The rebuilt states differ from the forward's by round-off (docs/gpu-kernels.md, "Reversible
     adjoint"); no re-anchoring, as the host's recompute trajectory (src/schemes/schemesweep.c). Otherwise as:
   adjoint: reads the stored states, one step ahead. The gradient of step j, summed over the examples, per thread r
     (r < n) as gK(r, k) = u_r Z_k + Y_r v_k, gbF_r = u_r, gbG_r = v_r (u = h DF .* P, v = -h DG .* Q), then per warp
     with xor shuffles over its groups, per block once per window of S <= 4 steps (odynk_window_flush: no barrier in
     the other steps, the block sums shared by all threads), into the block's own slice of a partial-sum array (no
     atomics) or, when blocks walk several chunks, into the block's gradient in shared memory (ACC), written to the
     slice once at the end; odynk_reduce_blocks sums the slices in a fixed order: deterministic. The forward and the
     tangent keep the groups at every s: the targets here are the adjoint/forward ratios.
   Rounding against the host table (src/backend/host/denseverlet.c): the sums K^T Y + b run in another order and are
   fused into FMAs, and odynk_tanh (vtanh.h's method) differs from glibc's by an ulp or two; the maps are
   non-expanding for small h, so the difference stays at a few ulp per step (bounds in tests/gpu/test_gpu_verlet.c). The CPU emulation
   tools/cudaemu/run-verlet-emu.sh checks the kernels' logic against verletref.c.
*/
#include "kernelsys.cuh"
#include "narrowcommon.cuh"

namespace {

/* ALL: every state into Y ((N + 1) n s) and Z ((N + 1) m s); else only the last pair, Y_N into Y (n s) and
   Z_{N-1/2} into Z (m s), what the reversible adjoint starts from */
template <int ACT, int G, bool SMEM, bool ALL>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) verlet_forward_k(int n, int m, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ Y0, double *__restrict__ Y, double *__restrict__ Z)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * m + n + m, ns = (long)n * s, ms = (long)m * s;
  const double *th   = theta;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    yrow = r < n, zrow = r < m;

  if (SMEM) {
    odynk_stage_params(sh, theta, NULL, N * slot);
    th = sh;
  }
  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e  = base + threadIdx.x / G;
    const bool in = e < s;
    double     y = (in && yrow) ? Y0[e * n + r] : 0.0, z = 0.0;

    if (ALL && in && yrow) Y[e * n + r] = y;
    if (ALL && in && zrow) Z[e * m + r] = 0.0;
    for (int j = 0; j < N; j++) {
      const double *K = th + j * slot, *bF = K + (long)n * m, *bG = bF + n;
      /* (K^T Y)_r = sum_c K(c, r) Y_c, then (K Z)_r = sum_c K(r, c) Z_c */
      const double  a = odynk_shfl_dot<G>(zrow ? bG[r] : 0.0, y, K, r * n, 1, n, zrow);
      z -= h * odynk_act_of<ACT>(a);
      const double f = odynk_shfl_dot<G>(yrow ? bF[r] : 0.0, z, K, r, n, m, yrow);
      y += h * odynk_act_of<ACT>(f);
      if (ALL && in && yrow) Y[(j + 1) * ns + e * n + r] = y;
      if (ALL && in && zrow) Z[(j + 1) * ms + e * m + r] = z;
    }
    if (!ALL && in && yrow) Y[e * n + r] = y;
    if (!ALL && in && zrow) Z[e * m + r] = z;
  }
}

template <int ACT, int G, bool SMEM>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) verlet_tangent_k(int n, int m, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ dtheta, const double *__restrict__ Y0, const double *__restrict__ dY0, double *__restrict__ dYN)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * m + n + m;
  const double *th = theta, *dth = dtheta;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    yrow = r < n, zrow = r < m, has_dth = dtheta != NULL;

  if (SMEM) {
    odynk_stage_params(sh, theta, dtheta, N * slot);
    th = sh;
    if (has_dth) dth = sh + N * slot;
  }
  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e  = base + threadIdx.x / G;
    const bool in = e < s;
    double     y = (in && yrow) ? Y0[e * n + r] : 0.0, dy = (in && yrow && dY0) ? dY0[e * n + r] : 0.0, z = 0.0, dz = 0.0;

    for (int j = 0; j < N; j++) {
      const double *K = th + j * slot, *bF = K + (long)n * m, *bG = bF + n;
      const double *dK = has_dth ? dth + j * slot : NULL, *dbF = has_dth ? dK + (long)n * m : NULL, *dbG = has_dth ? dbF + n : NULL;
      double        a = zrow ? bG[r] : 0.0, da = (zrow && has_dth) ? dbG[r] : 0.0, f, df;
      odynk_shfl_dot_tangent<G>(a, da, y, dy, K, dK, r * n, 1, n, zrow);
      const double tg = odynk_act_of<ACT>(a);
      dz -= h * odynk_act_dout<ACT>(tg) * da;
      z -= h * tg;
      f  = yrow ? bF[r] : 0.0;
      df = (yrow && has_dth) ? dbF[r] : 0.0;
      odynk_shfl_dot_tangent<G>(f, df, z, dz, K, dK, r, n, m, yrow);
      const double tf = odynk_act_of<ACT>(f);
      dy += h * odynk_act_dout<ACT>(tf) * df;
      y += h * tf;
    }
    if (in && yrow) dYN[e * n + r] = dy;
  }
}

/* The adjoint. part: this block's slice of N (n m + n + m) partial sums at part + blockIdx.x N slot, or NULL (no
   gradient). Shared memory, as narrow.cu's adjoint: two windows of S steps x nw warps x slot sums
   (odynk_window_flush: one block reduction per S steps), then with ACC the block's running gradient acc[N slot]
   (written to the slice once at the end), then with SMEM the parameters. Stored (REV false): Y, Z the trajectories
   of the ALL forward, the next step's Y_j and Z_{j+1/2} loaded one step ahead. Reversible (REV): Y = Y_N (n s),
   Z = Z_{N-1/2} (m s), and step j rebuilds its states from the pair it holds, with the tanh values the adjoint needs
   anyway (no extra face): Y_j = Y_{j+1} - h tanh(K_j Z_{j+1/2} + bF_j) after face 0, Z_{j-1/2} = Z_{j+1/2} +
   h tanh(K_j^T Y_j + bG_j) after face 1; Y0r (n s, or NULL) receives the rebuilt Y_0 (the round-off check). */
template <int ACT, int G, bool SMEM, bool ACC, bool REV>
__global__ void __launch_bounds__(ODYNK_NARROW_BLOCK) verlet_adjoint_k(int n, int m, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ Y, const double *__restrict__ Z, const double *__restrict__ W, double *__restrict__ part, double *__restrict__ gY0, int S, double *__restrict__ Y0r)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * m + n + m, ns = (long)n * s, ms = (long)m * s;
  const int     nw = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  double       *win = sh; /* 2 windows x S steps x nw warps x slot: one step's gradient per warp, laid out as theta_j */
  double       *acc = ACC ? win + 2 * S * nw * slot : NULL;
  double       *tsh = win + 2 * S * nw * slot + (ACC ? N * slot : 0);
  const double *th  = SMEM ? tsh : theta; /* a compile-time choice: the loads below stay shared-memory loads */
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    yrow = r < n, zrow = r < m;
  double       *mypart = part ? part + (long)blockIdx.x * N * slot : NULL;
  bool          first  = true;
  unsigned      parity = 0;
  const auto    at     = [](int q) { return q; };

  odynk_adjoint_start<SMEM, ACC>(acc, tsh, theta, N * slot);
  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e  = base + threadIdx.x / G;
    const bool in = e < s;
    double     P = (in && yrow) ? W[e * n + r] : 0.0, Q = 0.0;
    /* REV: ynext holds Y_{j+1} and znext Z_{j+1/2} as step j starts; stored: Y_j and Z_{j+1/2} */
    double znext = (in && zrow) ? Z[(REV ? 0 : N * ms) + e * m + r] : 0.0, ynext = (in && yrow) ? Y[(REV ? 0 : (N - 1) * ns) + e * n + r] : 0.0;

    for (int j = N - 1, t = 0; j >= 0; j--, t++) {
      const double *K = th + j * slot, *bF = K + (long)n * m, *bG = bF + n;
      const double  zv = znext;
      double        yv = ynext, zc[G], vc[G];
      if (!REV && j > 0) {
        znext = (in && zrow) ? Z[j * ms + e * m + r] : 0.0;
        ynext = (in && yrow) ? Y[(j - 1) * ns + e * n + r] : 0.0;
      }

      /* face 0, F at Z_{j+1/2}: u = h DF .* P; Q += K^T u, (K^T u)_r = sum_i K(i, r) u_i */
      const double f  = odynk_shfl_dot<G>(yrow ? bF[r] : 0.0, zv, K, r, n, m, yrow, zc);
      const double tf = odynk_act_of<ACT>(f), u = (in && yrow) ? h * ODYNK_ACT_DOUT(ACT, tf) * P : 0.0;
      if (REV && in && yrow) yv -= h * tf; /* Y_j = Y_{j+1} - h tanh(K Z_{j+1/2} + bF) */
      Q += odynk_shfl_dot<G>(0.0, u, K, r * n, 1, n, zrow);
      /* face 1, G at Y_j: v = -h DG .* Q; P += K v, (K v)_r = sum_i K(r, i) v_i */
      const double a  = odynk_shfl_dot<G>(zrow ? bG[r] : 0.0, yv, K, r * n, 1, n, zrow);
      const double tg = odynk_act_of<ACT>(a), v = (in && zrow) ? -h * ODYNK_ACT_DOUT(ACT, tg) * Q : 0.0;
      if (REV) { /* Z_{j-1/2} = Z_{j+1/2} + h tanh(K^T Y_j + bG): the pair step j - 1 starts from */
        ynext = yv;
        if (in && zrow) znext = zv + h * tg;
      }
      const double padd = odynk_shfl_dot<G>(0.0, v, K, r, n, m, yrow, vc);
      if (mypart) {
        double g[G + 2];
#pragma unroll
        for (int k = 0; k < G; k++) g[k] = u * zc[k] + yv * vc[k]; /* gK(r, k) */
        g[G]     = u;                                              /* gbF(r) */
        g[G + 1] = v;                                              /* gbG(r) */
        odynk_warp_sum_groups<G>(g, m);
        double *rb = win + (((parity & 1) * S + t % S) * nw + warp) * slot;
        if (lane < n) {
#pragma unroll
          for (int k = 0; k < G; k++)
            if (k < m) rb[lane + k * n] = g[k];
          rb[n * m + lane] = g[G];
        }
        if (lane < m) rb[n * m + n + lane] = g[G + 1];
        if (t % S == S - 1 || j == 0) { /* the window is full or the chunk done: uniform over the block */
          const int cnt = t % S + 1;
          if (ACC) odynk_window_flush(win + (parity & 1) * S * nw * slot, nw, (int)slot, cnt, j + cnt - 1, slot, acc, false, at);
          else odynk_window_flush(win + (parity & 1) * S * nw * slot, nw, (int)slot, cnt, j + cnt - 1, slot, mypart, first, at);
          parity++;
        }
      }
      P += padd;
    }
    if (gY0 && in && yrow) gY0[e * n + r] = P;
    if (REV && Y0r && in && yrow) Y0r[e * n + r] = ynext;
    first = false;
  }
  if (ACC && mypart) {
    __syncthreads();
    for (long k = threadIdx.x; k < N * slot; k += blockDim.x) mypart[k] = acc[k];
  }
}

/* host side: the launch helpers (tools/cudaemu/run-verlet-emu.sh takes the kernels above this line) */
int check_verlet(const char *fn, long n, long m, long N, long s)
{
  if (n < 1 || n > ODYN_CUDA_NARROW_MAX || m < 1 || m > ODYN_CUDA_NARROW_MAX) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: the Verlet kernels take widths 1 <= n, m <= %d, got n = %ld, m = %ld (wider blocks: odyn_cuda_verlet_wide_*)", fn, ODYN_CUDA_NARROW_MAX, n, m);
  if (N < 0 || s < 0 || N > 1000000 || !odynk_fits_int(N * (n * m + n + m))) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: N = %ld, s = %ld out of range", fn, N, s);
  if (s > (1L << 40) / (n > m ? n : m)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: s = %ld too large", fn, s);
  return ODYN_CUDA_OK;
}

template <int ACT, int G, bool ALL>
int forward_g(long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Y, double *Z)
{
  const size_t bytes = (size_t)N * (n * m + n + m) * sizeof(double);

  return odynk_launch_staged(verlet_forward_k<ACT, G, true, ALL>, verlet_forward_k<ACT, G, false, ALL>, bytes, s, G, "verlet", "launch of verlet_forward_k", (int)n, (int)m, (int)N, s, h, theta, Y0, Y, Z);
}

template <int ACT, int G>
int tangent_g(long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  const size_t bytes = (size_t)N * (n * m + n + m) * sizeof(double) * (dtheta ? 2 : 1);

  return odynk_launch_staged(verlet_tangent_k<ACT, G, true>, verlet_tangent_k<ACT, G, false>, bytes, s, G, "verlet", "launch of verlet_tangent_k", (int)n, (int)m, (int)N, s, h, theta, dtheta, Y0, dY0, dYN);
}

/* launches verlet_adjoint_k<ACT, G, SMEM, ACC, REV> with a window of S steps and smem bytes; grid from the occupancy */
template <int ACT, int G, bool SMEM, bool ACC, bool REV>
int adjoint_launch(long n, long m, long N, long s, double h, const double *theta, const double *Y, const double *Z, const double *W, double *gtheta, double *gY0, double *Y0r, int S, size_t smem)
{
  const long nparam = N * (n * m + n + m);
  unsigned   grid;
  void      *pp   = NULL;
  double    *part = NULL;

  ODYNK_CALL(odynk_narrow_grid(verlet_adjoint_k<ACT, G, SMEM, ACC, REV>, smem, s, G, "verlet", &grid));
  if (gtheta) {
    ODYNK_CALL(odynk_scratch(0, (size_t)grid * nparam * sizeof(double), &pp));
    part = (double *)pp;
  }
  verlet_adjoint_k<ACT, G, SMEM, ACC, REV><<<grid, ODYNK_NARROW_BLOCK, smem>>>((int)n, (int)m, (int)N, s, h, theta, Y, Z, W, part, gY0, S, Y0r);
  ODYNK_LAUNCHED("verlet_adjoint_k");
  if (gtheta) ODYNK_CALL(odynk_reduce_blocks(nparam, grid, part, 1.0, gtheta, 1));
  return ODYN_CUDA_OK;
}

/* the configuration: odynk_adjoint_plan, the same for both REV (the state source changes nothing in shared memory) */
template <int ACT, int G, bool REV>
int adjoint_g(long n, long m, long N, long s, double h, const double *theta, const double *Y, const double *Z, const double *W, double *gtheta, double *gY0, double *Y0r)
{
  const long     slot = n * m + n + m;
  const size_t   step = (size_t)(ODYNK_NARROW_BLOCK / 32) * slot * sizeof(double), bytes = (size_t)N * slot * sizeof(double);
  odynk_adj_plan p;

  ODYNK_CALL(odynk_adjoint_plan(verlet_adjoint_k<ACT, G, true, false, REV>, bytes, step, N, s, G, gtheta != NULL, "verlet", &p));
  if (!p.smem) return adjoint_launch<ACT, G, false, false, REV>(n, m, N, s, h, theta, Y, Z, W, gtheta, gY0, Y0r, p.S, p.bytes);
  if (p.acc) return adjoint_launch<ACT, G, true, true, REV>(n, m, N, s, h, theta, Y, Z, W, gtheta, gY0, Y0r, p.S, p.bytes);
  return adjoint_launch<ACT, G, true, false, REV>(n, m, N, s, h, theta, Y, Z, W, gtheta, gY0, Y0r, p.S, p.bytes);
}

} // namespace

int odyn_cuda_verlet_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj)
{
  static const char *fn = "odyn_cuda_verlet_forward";

  ODYNK_CALL(odynk_check_act(fn, act));
  ODYNK_CALL(check_verlet(fn, n, m, N, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!Y0 || !Ytraj || !Ztraj || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_forward: theta, Y0, Ytraj and Ztraj must be device arrays");
  return odynk_with_act(fn, act, [&](auto a) { return odynk_with_group(n > m ? n : m, [&](auto g) { return forward_g<decltype(a)::value, decltype(g)::value, true>(n, m, N, s, h, theta, Y0, Ytraj, Ztraj); }); });
}

int odyn_cuda_verlet_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  static const char *fn = "odyn_cuda_verlet_tangent";

  ODYNK_CALL(odynk_check_act(fn, act));
  ODYNK_CALL(check_verlet(fn, n, m, N, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!Y0 || !dYN || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_tangent: theta, Y0 and dYN must be device arrays");
  return odynk_with_act(fn, act, [&](auto a) { return odynk_with_group(n > m ? n : m, [&](auto g) { return tangent_g<decltype(a)::value, decltype(g)::value>(n, m, N, s, h, theta, dtheta, Y0, dY0, dYN); }); });
}

int odyn_cuda_verlet_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *W, double *gtheta, double *gY0)
{
  static const char *fn = "odyn_cuda_verlet_adjoint";

  ODYNK_CALL(odynk_check_act(fn, act));
  ODYNK_CALL(check_verlet(fn, n, m, N, s));
  if (s == 0 || (!gtheta && !gY0)) return ODYN_CUDA_OK;
  if (!Ytraj || !Ztraj || !W || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_adjoint: theta, Ytraj, Ztraj and W must be device arrays");
  if (N == 0) { /* no step: gY0 = W, no gradient */
    if (gY0 && gY0 != W) ODYNK_CUDA(cudaMemcpyAsync(gY0, W, (size_t)n * s * sizeof(double), cudaMemcpyDeviceToDevice, 0));
    return ODYN_CUDA_OK;
  }
  return odynk_with_act(fn, act, [&](auto a) { return odynk_with_group(n > m ? n : m, [&](auto g) { return adjoint_g<decltype(a)::value, decltype(g)::value, false>(n, m, N, s, h, theta, Ytraj, Ztraj, W, gtheta, gY0, NULL); }); });
}

int odyn_cuda_verlet_memory(long n, long m, long N, long s, int reversible, long *state_doubles, long *work_doubles)
{
  const odynk_props *pr;
  const long         G = odynk_group_of(n > m ? n : m), chunks = (s + ODYNK_NARROW_BLOCK / G - 1) / (ODYNK_NARROW_BLOCK / G);
  long               grid;

  ODYNK_CALL(check_verlet("odyn_cuda_verlet_memory", n, m, N, s));
  if (!state_doubles || !work_doubles) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_memory: state_doubles and work_doubles must not be NULL");
  ODYNK_CALL(odynk_get_props(&pr));
  /* the adjoint's grid: at most one block per chunk and no more than the SMs hold (odynk_narrow_grid) */
  grid          = (long)pr->sms * (pr->max_threads_sm / ODYNK_NARROW_BLOCK);
  grid          = grid < chunks ? grid : chunks;
  *state_doubles = (reversible ? 1 : N + 1) * (n + m) * s;
  *work_doubles  = (grid > 0 ? grid : 1) * N * (n * m + n + m);
  return ODYN_CUDA_OK;
}

int odyn_cuda_verlet_forward_final(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN)
{
  static const char *fn = "odyn_cuda_verlet_forward_final";

  ODYNK_CALL(odynk_check_act(fn, act));
  ODYNK_CALL(check_verlet(fn, n, m, N, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!Y0 || !YN || !ZN || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_forward_final: theta, Y0, YN and ZN must be device arrays");
  return odynk_with_act(fn, act, [&](auto a) { return odynk_with_group(n > m ? n : m, [&](auto g) { return forward_g<decltype(a)::value, decltype(g)::value, false>(n, m, N, s, h, theta, Y0, YN, ZN); }); });
}

int odyn_cuda_verlet_adjoint_reversible(int act, long n, long m, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0, double *Y0r)
{
  static const char *fn = "odyn_cuda_verlet_adjoint_reversible";

  ODYNK_CALL(odynk_check_act(fn, act));
  ODYNK_CALL(check_verlet(fn, n, m, N, s));
  if (s == 0 || (!gtheta && !gY0 && !Y0r)) return ODYN_CUDA_OK;
  if (!YN || !ZN || !W || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_adjoint_reversible: theta, YN, ZN and W must be device arrays");
  if ((gY0 && (gY0 == YN || gY0 == ZN)) || (Y0r && (Y0r == W || Y0r == gY0 || Y0r == ZN))) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_adjoint_reversible: gY0 must not alias YN or ZN, Y0r not W, gY0 or ZN");
  if (N == 0) { /* no step: gY0 = W, Y_0 = Y_N, no gradient */
    if (gY0 && gY0 != W) ODYNK_CUDA(cudaMemcpyAsync(gY0, W, (size_t)n * s * sizeof(double), cudaMemcpyDeviceToDevice, 0));
    if (Y0r && Y0r != YN) ODYNK_CUDA(cudaMemcpyAsync(Y0r, YN, (size_t)n * s * sizeof(double), cudaMemcpyDeviceToDevice, 0));
    return ODYN_CUDA_OK;
  }
  return odynk_with_act(fn, act, [&](auto a) { return odynk_with_group(n > m ? n : m, [&](auto g) { return adjoint_g<decltype(a)::value, decltype(g)::value, true>(n, m, N, s, h, theta, YN, ZN, W, gtheta, gY0, Y0r); }); });
}
