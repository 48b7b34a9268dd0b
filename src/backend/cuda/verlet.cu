/*
   Narrow Verlet (Hamiltonian) tanh networks (n, m <= 16: the peaks, ellipse and swiss-roll Verlet nets, n = m = 2),
   the network of src/schemes/impls/verlet.c with the layer of src/layers/impls/hamiltonian.c:
     Z_{j+1/2} = Z_{j-1/2} - h tanh(K_j^T Y_j + bG_j),  Y_{j+1} = Y_j + h tanh(K_j Z_{j+1/2} + bF_j),  Z_{-1/2} = 0
   theta_j = [K_j (n x m column-major) | bF_j (n) | bG_j (m)] (include/odyn/private/cudakernels.h). One kernel per
   sweep, as narrow.cu for Euler, for the same reason (a step is a few dozen flops per example).

   Threads: G threads per example (G = max(n, m) rounded up to a power of two); thread r of a group holds Y's row r
   (r < n) and Z's row r (r < m) in registers for all N steps; K^T Y and K Z are G warp shuffles (width G) and FMAs per
   thread. Blocks of 256 threads walk over chunks of examples (grid-stride, the grid from the occupancy calculator);
   the parameters sit in shared memory when they fit SMEM_BUDGET, else are read through the read-only cache.

   forward: stores every Y_j and Z_{j-1/2} (the adjoint reads them), no synchronization.
   tangent: recomputes the states alongside (dY, dZ) from Y_0: only Y0, dY0 and dY_N cross memory.
   adjoint: reads the stored states. The gradient of step j, summed over the examples, per thread r (r < n) as
     gK(r, k) = u_r Z_k + Y_r v_k, gbF_r = u_r, gbG_r = v_r (u = h DF .* P, v = -h DG .* Q), then per warp with xor
     shuffles over its groups, per block in shared memory (double-buffered slot per warp, one __syncthreads per step),
     accumulated per block into its own slice of a partial-sum array (no atomics), and summed over the blocks by
     odynk_reduce_blocks in a fixed order: deterministic.
   Rounding against the host table (src/backend/host/verlettanh.c): the sums K^T Y + b run in another order and are
   fused into FMAs, and CUDA's tanh differs from the host's by an ulp or two; the maps are non-expanding for small h,
   so the difference stays at a few ulp per step (bounds in tests/gpu/test_gpu_verlet.c). Not run on a GPU yet.
*/
#include "kernelsys.cuh"

#define VERLET_BLOCK 256
#define SMEM_BUDGET  (96 * 1024)
#define FULL_MASK    0xffffffffu

namespace {

template <int G, bool SMEM>
__global__ void __launch_bounds__(VERLET_BLOCK) verlet_forward_k(int n, int m, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ Y0, double *__restrict__ Y, double *__restrict__ Z)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * m + n + m, ns = (long)n * s, ms = (long)m * s;
  const double *th   = theta;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    yrow = r < n, zrow = r < m;

  if (SMEM) {
    for (long k = threadIdx.x; k < N * slot; k += blockDim.x) sh[k] = theta[k];
    __syncthreads();
    th = sh;
  }
  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e  = base + threadIdx.x / G;
    const bool in = e < s;
    double     y = (in && yrow) ? Y0[e * n + r] : 0.0, z = 0.0;

    if (in && yrow) Y[e * n + r] = y;
    if (in && zrow) Z[e * m + r] = 0.0;
    for (int j = 0; j < N; j++) {
      const double *K = th + j * slot, *bF = K + (long)n * m, *bG = bF + n;
      double        a = zrow ? bG[r] : 0.0, f;
#pragma unroll
      for (int c = 0; c < G; c++) { /* (K^T Y)_r = sum_c K(c, r) Y_c */
        const double yc = __shfl_sync(FULL_MASK, y, c, G);
        if (c < n && zrow) a += K[c + r * n] * yc;
      }
      z -= h * tanh(a);
      f = yrow ? bF[r] : 0.0;
#pragma unroll
      for (int c = 0; c < G; c++) { /* (K Z)_r = sum_c K(r, c) Z_c */
        const double zc = __shfl_sync(FULL_MASK, z, c, G);
        if (c < m && yrow) f += K[r + c * n] * zc;
      }
      y += h * tanh(f);
      if (in && yrow) Y[(j + 1) * ns + e * n + r] = y;
      if (in && zrow) Z[(j + 1) * ms + e * m + r] = z;
    }
  }
}

template <int G, bool SMEM>
__global__ void __launch_bounds__(VERLET_BLOCK) verlet_tangent_k(int n, int m, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ dtheta, const double *__restrict__ Y0, const double *__restrict__ dY0, double *__restrict__ dYN)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * m + n + m;
  const double *th = theta, *dth = dtheta;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    yrow = r < n, zrow = r < m, has_dth = dtheta != NULL;

  if (SMEM) {
    for (long k = threadIdx.x; k < N * slot; k += blockDim.x) {
      sh[k] = theta[k];
      if (has_dth) sh[N * slot + k] = dtheta[k];
    }
    __syncthreads();
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
#pragma unroll
      for (int c = 0; c < G; c++) {
        const double yc = __shfl_sync(FULL_MASK, y, c, G), dyc = __shfl_sync(FULL_MASK, dy, c, G);
        if (c < n && zrow) {
          const double k = K[c + r * n];
          a += k * yc;
          da += k * dyc;
          if (has_dth) da += dK[c + r * n] * yc;
        }
      }
      const double tg = tanh(a);
      dz -= h * (1.0 - tg * tg) * da;
      z -= h * tg;
      f  = yrow ? bF[r] : 0.0;
      df = (yrow && has_dth) ? dbF[r] : 0.0;
#pragma unroll
      for (int c = 0; c < G; c++) {
        const double zc = __shfl_sync(FULL_MASK, z, c, G), dzc = __shfl_sync(FULL_MASK, dz, c, G);
        if (c < m && yrow) {
          const double k = K[r + c * n];
          f += k * zc;
          df += k * dzc;
          if (has_dth) df += dK[r + c * n] * zc;
        }
      }
      const double tf = tanh(f);
      dy += h * (1.0 - tf * tf) * df;
      y += h * tf;
    }
    if (in && yrow) dYN[e * n + r] = dy;
  }
}

/* part: this block's slice of N (n m + n + m) partial sums at part + blockIdx.x N slot, or NULL (no gradient) */
template <int G, bool SMEM>
__global__ void __launch_bounds__(VERLET_BLOCK) verlet_adjoint_k(int n, int m, int N, long s, double h, const double *__restrict__ theta, const double *__restrict__ Y, const double *__restrict__ Z, const double *__restrict__ W, double *__restrict__ part, double *__restrict__ gY0)
{
  extern __shared__ double sh[];
  const long    slot = (long)n * m + n + m, ns = (long)n * s, ms = (long)m * s;
  const int     nw = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  double       *red = sh; /* 2 buffers x nw warps x slot: one step's gradient per warp, laid out as theta_j */
  const double *th  = theta;
  const int     r = threadIdx.x % G, epb = blockDim.x / G;
  const bool    yrow = r < n, zrow = r < m;
  double       *mypart = part ? part + (long)blockIdx.x * N * slot : NULL;
  bool          first  = true;
  unsigned      parity = 0;

  if (SMEM) {
    double *tsh = sh + 2 * nw * slot;
    for (long k = threadIdx.x; k < N * slot; k += blockDim.x) tsh[k] = theta[k];
    __syncthreads();
    th = tsh;
  }
  for (long base = (long)blockIdx.x * epb; base < s; base += (long)gridDim.x * epb) {
    const long e  = base + threadIdx.x / G;
    const bool in = e < s;
    double     P = (in && yrow) ? W[e * n + r] : 0.0, Q = 0.0;

    for (int j = N - 1; j >= 0; j--) {
      const double *K = th + j * slot, *bF = K + (long)n * m, *bG = bF + n;
      const double  zv = (in && zrow) ? Z[(j + 1) * ms + e * m + r] : 0.0, yv = (in && yrow) ? Y[j * ns + e * n + r] : 0.0;
      double        zc[G], vc[G], f = yrow ? bF[r] : 0.0, a = zrow ? bG[r] : 0.0, qadd = 0.0, padd = 0.0;

      /* face 0, F at Z_{j+1/2}: u = h DF .* P; Q += K^T u */
#pragma unroll
      for (int c = 0; c < G; c++) {
        zc[c] = __shfl_sync(FULL_MASK, zv, c, G);
        if (c < m && yrow) f += K[r + c * n] * zc[c];
      }
      const double tf = tanh(f), u = (in && yrow) ? h * (1.0 - tf * tf) * P : 0.0;
#pragma unroll
      for (int i = 0; i < G; i++) { /* (K^T u)_r = sum_i K(i, r) u_i */
        const double ui = __shfl_sync(FULL_MASK, u, i, G);
        if (i < n && zrow) qadd += K[i + r * n] * ui;
      }
      Q += qadd;
      /* face 1, G at Y_j: v = -h DG .* Q; P += K v */
#pragma unroll
      for (int c = 0; c < G; c++) {
        const double yc = __shfl_sync(FULL_MASK, yv, c, G);
        if (c < n && zrow) a += K[c + r * n] * yc;
      }
      const double tg = tanh(a), v = (in && zrow) ? -h * (1.0 - tg * tg) * Q : 0.0;
#pragma unroll
      for (int i = 0; i < G; i++) { /* (K v)_r = sum_i K(r, i) v_i */
        vc[i] = __shfl_sync(FULL_MASK, v, i, G);
        if (i < m && yrow) padd += K[r + i * n] * vc[i];
      }
      if (mypart) {
        double g[G + 2];
#pragma unroll
        for (int k = 0; k < G; k++) g[k] = u * zc[k] + yv * vc[k]; /* gK(r, k) */
        g[G]     = u;                                              /* gbF(r) */
        g[G + 1] = v;                                              /* gbG(r) */
        /* sum over the groups of the warp: lanes r, r + G, r + 2G, ... */
#pragma unroll
        for (int off = G; off < 32; off *= 2) {
#pragma unroll
          for (int k = 0; k < G + 2; k++)
            if (k < m || k >= G) g[k] += __shfl_xor_sync(FULL_MASK, g[k], off);
        }
        double *rb = red + (parity & 1) * nw * slot + warp * slot;
        if (lane < n) {
#pragma unroll
          for (int k = 0; k < G; k++)
            if (k < m) rb[lane + k * n] = g[k];
          rb[n * m + lane] = g[G];
        }
        if (lane < m) rb[n * m + n + lane] = g[G + 1];
        __syncthreads();
        const double *rb0 = red + (parity & 1) * nw * slot;
        for (int q = threadIdx.x; q < slot; q += blockDim.x) {
          double acc = 0.0;
          for (int w = 0; w < nw; w++) acc += rb0[w * slot + q];
          double *dst = mypart + j * slot + q;
          *dst        = first ? acc : *dst + acc;
        }
        parity++; /* the next step writes the other buffer; this one is rewritten only after the next __syncthreads */
      }
      P += padd;
    }
    if (gY0 && in && yrow) gY0[e * n + r] = P;
    first = false;
  }
}

/* grid: as many blocks as are resident at once (occupancy), at most one per chunk of examples */
template <typename KernelT>
int verlet_grid(KernelT kernel, size_t smem, long s, int G, unsigned *grid)
{
  const odynk_props *pr;
  int                nb     = 0;
  const long         chunks = (s + VERLET_BLOCK / G - 1) / (VERLET_BLOCK / G);

  ODYNK_CALL(odynk_get_props(&pr));
  if (smem > 48 * 1024) ODYNK_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
  ODYNK_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&nb, kernel, VERLET_BLOCK, smem));
  if (nb < 1) return odynk_fail(ODYN_CUDA_ERR_ARG, "verlet kernel: %zu bytes of shared memory per block leave no block resident", smem);
  long g = (long)nb * pr->sms;
  if (g > chunks) g = chunks;
  *grid = (unsigned)(g > 0 ? g : 1);
  return ODYN_CUDA_OK;
}

int check_verlet(const char *fn, long n, long m, long N, long s)
{
  if (n < 1 || n > ODYN_CUDA_NARROW_MAX || m < 1 || m > ODYN_CUDA_NARROW_MAX) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: the Verlet kernels take widths 1 <= n, m <= %d, got n = %ld, m = %ld (no wide Verlet kernels yet)", fn, ODYN_CUDA_NARROW_MAX, n, m);
  if (N < 0 || s < 0 || N > 1000000 || !odynk_fits_int(N * (n * m + n + m))) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: N = %ld, s = %ld out of range", fn, N, s);
  if (s > (1L << 40) / (n > m ? n : m)) return odynk_fail(ODYN_CUDA_ERR_ARG, "%s: s = %ld too large", fn, s);
  return ODYN_CUDA_OK;
}

int group_of(long w) { return w <= 1 ? 1 : w <= 2 ? 2 : w <= 4 ? 4 : w <= 8 ? 8 : 16; }

template <int G>
int forward_g(long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Y, double *Z)
{
  const size_t bytes = (size_t)N * (n * m + n + m) * sizeof(double);
  unsigned     grid;

  if (bytes <= SMEM_BUDGET) {
    ODYNK_CALL(verlet_grid(verlet_forward_k<G, true>, bytes, s, G, &grid));
    verlet_forward_k<G, true><<<grid, VERLET_BLOCK, bytes>>>((int)n, (int)m, (int)N, s, h, theta, Y0, Y, Z);
  } else {
    ODYNK_CALL(verlet_grid(verlet_forward_k<G, false>, 0, s, G, &grid));
    verlet_forward_k<G, false><<<grid, VERLET_BLOCK, 0>>>((int)n, (int)m, (int)N, s, h, theta, Y0, Y, Z);
  }
  ODYNK_LAUNCHED("verlet_forward_k");
  return ODYN_CUDA_OK;
}

template <int G>
int tangent_g(long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  const size_t bytes = (size_t)N * (n * m + n + m) * sizeof(double) * (dtheta ? 2 : 1);
  unsigned     grid;

  if (bytes <= SMEM_BUDGET) {
    ODYNK_CALL(verlet_grid(verlet_tangent_k<G, true>, bytes, s, G, &grid));
    verlet_tangent_k<G, true><<<grid, VERLET_BLOCK, bytes>>>((int)n, (int)m, (int)N, s, h, theta, dtheta, Y0, dY0, dYN);
  } else {
    ODYNK_CALL(verlet_grid(verlet_tangent_k<G, false>, 0, s, G, &grid));
    verlet_tangent_k<G, false><<<grid, VERLET_BLOCK, 0>>>((int)n, (int)m, (int)N, s, h, theta, dtheta, Y0, dY0, dYN);
  }
  ODYNK_LAUNCHED("verlet_tangent_k");
  return ODYN_CUDA_OK;
}

template <int G>
int adjoint_g(long n, long m, long N, long s, double h, const double *theta, const double *Y, const double *Z, const double *W, double *gtheta, double *gY0)
{
  const long   slot = n * m + n + m, nparam = N * slot;
  const size_t red = (size_t)2 * (VERLET_BLOCK / 32) * slot * sizeof(double), bytes = (size_t)nparam * sizeof(double);
  const bool   smem = red + bytes <= SMEM_BUDGET;
  unsigned     grid;
  void        *pp   = NULL;
  double      *part = NULL;

  if (smem) ODYNK_CALL(verlet_grid(verlet_adjoint_k<G, true>, red + bytes, s, G, &grid));
  else ODYNK_CALL(verlet_grid(verlet_adjoint_k<G, false>, red, s, G, &grid));
  if (gtheta) {
    ODYNK_CALL(odynk_scratch(0, (size_t)grid * nparam * sizeof(double), &pp));
    part = (double *)pp;
  }
  if (smem) verlet_adjoint_k<G, true><<<grid, VERLET_BLOCK, red + bytes>>>((int)n, (int)m, (int)N, s, h, theta, Y, Z, W, part, gY0);
  else verlet_adjoint_k<G, false><<<grid, VERLET_BLOCK, red>>>((int)n, (int)m, (int)N, s, h, theta, Y, Z, W, part, gY0);
  ODYNK_LAUNCHED("verlet_adjoint_k");
  if (gtheta) ODYNK_CALL(odynk_reduce_blocks(nparam, grid, part, 1.0, gtheta, 1));
  return ODYN_CUDA_OK;
}

} // namespace

int odyn_cuda_verlet_forward(long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj)
{
  ODYNK_CALL(check_verlet("odyn_cuda_verlet_forward", n, m, N, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!Y0 || !Ytraj || !Ztraj || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_forward: theta, Y0, Ytraj and Ztraj must be device arrays");
  switch (group_of(n > m ? n : m)) {
  case 1: return forward_g<1>(n, m, N, s, h, theta, Y0, Ytraj, Ztraj);
  case 2: return forward_g<2>(n, m, N, s, h, theta, Y0, Ytraj, Ztraj);
  case 4: return forward_g<4>(n, m, N, s, h, theta, Y0, Ytraj, Ztraj);
  case 8: return forward_g<8>(n, m, N, s, h, theta, Y0, Ytraj, Ztraj);
  default: return forward_g<16>(n, m, N, s, h, theta, Y0, Ytraj, Ztraj);
  }
}

int odyn_cuda_verlet_tangent(long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN)
{
  ODYNK_CALL(check_verlet("odyn_cuda_verlet_tangent", n, m, N, s));
  if (s == 0) return ODYN_CUDA_OK;
  if (!Y0 || !dYN || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_tangent: theta, Y0 and dYN must be device arrays");
  switch (group_of(n > m ? n : m)) {
  case 1: return tangent_g<1>(n, m, N, s, h, theta, dtheta, Y0, dY0, dYN);
  case 2: return tangent_g<2>(n, m, N, s, h, theta, dtheta, Y0, dY0, dYN);
  case 4: return tangent_g<4>(n, m, N, s, h, theta, dtheta, Y0, dY0, dYN);
  case 8: return tangent_g<8>(n, m, N, s, h, theta, dtheta, Y0, dY0, dYN);
  default: return tangent_g<16>(n, m, N, s, h, theta, dtheta, Y0, dY0, dYN);
  }
}

int odyn_cuda_verlet_adjoint(long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *W, double *gtheta, double *gY0)
{
  ODYNK_CALL(check_verlet("odyn_cuda_verlet_adjoint", n, m, N, s));
  if (s == 0 || (!gtheta && !gY0)) return ODYN_CUDA_OK;
  if (!Ytraj || !Ztraj || !W || (N > 0 && !theta)) return odynk_fail(ODYN_CUDA_ERR_ARG, "odyn_cuda_verlet_adjoint: theta, Ytraj, Ztraj and W must be device arrays");
  if (N == 0) { /* no step: gY0 = W, no gradient */
    if (gY0 && gY0 != W) ODYNK_CUDA(cudaMemcpyAsync(gY0, W, (size_t)n * s * sizeof(double), cudaMemcpyDeviceToDevice, 0));
    return ODYN_CUDA_OK;
  }
  switch (group_of(n > m ? n : m)) {
  case 1: return adjoint_g<1>(n, m, N, s, h, theta, Ytraj, Ztraj, W, gtheta, gY0);
  case 2: return adjoint_g<2>(n, m, N, s, h, theta, Ytraj, Ztraj, W, gtheta, gY0);
  case 4: return adjoint_g<4>(n, m, N, s, h, theta, Ytraj, Ztraj, W, gtheta, gY0);
  case 8: return adjoint_g<8>(n, m, N, s, h, theta, Ytraj, Ztraj, W, gtheta, gY0);
  default: return adjoint_g<16>(n, m, N, s, h, theta, Ytraj, Ztraj, W, gtheta, gY0);
  }
}
