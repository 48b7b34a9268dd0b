// CPU emulation of the Verlet kernels of src/backend/cuda/verlet.cu, for machines without a GPU: it checks the kernels'
// logic (indexing, warp shuffles of width G, the per-warp / per-block gradient reduction with its double-buffered
// shared slots, the grid-stride walk over chunks, shared-memory and global parameter paths) against the host
// references of src/backend/host/verletref.c. Not a model of the device's timing or of its rounding (std::tanh, no
// FMA contraction): it proves the algorithm, the GPU tests (tests/gpu/test_gpu_verlet.c) its numbers.
// One std::thread per CUDA thread, blocks one after another; __syncthreads is a block barrier, a shuffle goes through a
// per-warp exchange buffer between two warp barriers. The kernels are taken from verlet.cu's own text, their helpers
// from src/backend/cuda/narrowcommon.cuh.
// Run (about 40 s on 2 cores): tools/cudaemu/run-verlet-emu.sh   (prints one line per comparison, exits 1 on a failure)
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>
#include <functional>
extern "C" {
int odyn_verlet_ref_forward(long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj);
int odyn_verlet_ref_tangent(long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int odyn_verlet_ref_adjoint(long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *W, double *gtheta, double *gY0);
}
struct dim3 { unsigned x = 0, y = 0, z = 0; };
thread_local dim3 threadIdx, blockIdx;
dim3 blockDim, gridDim;
double sh[1 << 17];
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __shared__
static std::barrier<> *blockbar;
static std::vector<std::barrier<> *> warpbar;
static double xbuf[1024]; // one value per thread of the block (at most 1024 threads)
static void __syncthreads() { blockbar->arrive_and_wait(); }
static double shfl_at(double v, int src)
{
  const int t = threadIdx.x, w = t / 32;
  xbuf[t] = v;
  warpbar[w]->arrive_and_wait();
  const double r = xbuf[w * 32 + src];
  warpbar[w]->arrive_and_wait();
  return r;
}
static double __shfl_sync(unsigned, double v, int src, int width) { const int lane = threadIdx.x % 32; return shfl_at(v, (lane / width) * width + src % width); }
static double __shfl_xor_sync(unsigned, double v, int mask) { const int lane = threadIdx.x % 32; return shfl_at(v, lane ^ mask); }
using std::tanh;
#include "narrowcommon.cuh" // the device helpers the kernels call (staging, shuffle mat-vecs, warp and block sums)
#include "kernels.inc"

static void launch(unsigned grid, std::function<void()> body)
{
  blockDim.x = ODYNK_NARROW_BLOCK;
  gridDim.x  = grid;
  for (unsigned b = 0; b < grid; b++) {
    std::barrier<> bb(ODYNK_NARROW_BLOCK);
    blockbar = &bb;
    warpbar.clear();
    for (int w = 0; w < ODYNK_NARROW_BLOCK / 32; w++) warpbar.push_back(new std::barrier<>(32));
    std::vector<std::thread> th;
    for (unsigned t = 0; t < ODYNK_NARROW_BLOCK; t++) th.emplace_back([=] { threadIdx.x = t; blockIdx.x = b; body(); });
    for (auto &x : th) x.join();
    for (auto *p : warpbar) delete p;
  }
}

static unsigned long long st = 88172645463325252ULL;
static double rnd(double sc) { st ^= st << 13; st ^= st >> 7; st ^= st << 17; return sc * (2.0 * (double)(st >> 11) / 9007199254740992.0 - 1.0); }
static double rel(const double *a, const double *b, long len) { double d = 0, nb = 0; for (long i = 0; i < len; i++) { d += (a[i] - b[i]) * (a[i] - b[i]); nb += b[i] * b[i]; } return nb > 0 ? sqrt(d / nb) : sqrt(d); }
static int fails = 0;
static void expect(const char *w, double r, double tol) { printf("  %-40s %.3e %s\n", w, r, r <= tol ? "ok" : "FAIL"); if (!(r <= tol)) fails++; }

template <int G, bool SM>
static void run(long n, long m, long N, long s, double T, unsigned grid, bool withdth)
{
  const long sl = n * m + n + m, np = N * sl, ns = n * s, ms = m * s;
  const double h = T / N;
  std::vector<double> th(np), dth(np), Y0(ns), dY0(ns), W(ns), yr((N + 1) * ns), zr((N + 1) * ms), dYr(ns), gr(np, 0.0), gY0r(ns);
  std::vector<double> Y((N + 1) * ns), Z((N + 1) * ms), dY(ns), part(grid * np), g(np, 0.0), gY0(ns);
  for (auto &x : th) x = rnd(1.0 / sqrt((double)(n > m ? n : m)));
  for (auto &x : dth) x = rnd(1.0);
  for (auto &x : Y0) x = rnd(1.0);
  for (auto &x : dY0) x = rnd(1.0);
  for (auto &x : W) x = rnd(1.0);
  odyn_verlet_ref_forward(n, m, N, s, h, th.data(), Y0.data(), yr.data(), zr.data());
  odyn_verlet_ref_tangent(n, m, N, s, h, th.data(), withdth ? dth.data() : nullptr, Y0.data(), dY0.data(), dYr.data());
  odyn_verlet_ref_adjoint(n, m, N, s, h, th.data(), yr.data(), zr.data(), W.data(), gr.data(), gY0r.data());
  printf("G=%d SMEM=%d n=%ld m=%ld N=%ld s=%ld grid=%u dtheta=%d\n", G, SM, n, m, N, s, grid, withdth);
  launch(grid, [&] { verlet_forward_k<G, SM>(n, m, N, s, h, th.data(), Y0.data(), Y.data(), Z.data()); });
  expect("forward Y", rel(Y.data(), yr.data(), (N + 1) * ns), 1e-13);
  expect("forward Z", rel(Z.data(), zr.data(), (N + 1) * ms), 1e-13);
  launch(grid, [&] { verlet_tangent_k<G, SM>(n, m, N, s, h, th.data(), withdth ? dth.data() : nullptr, Y0.data(), dY0.data(), dY.data()); });
  expect("tangent", rel(dY.data(), dYr.data(), ns), 1e-13);
  launch(grid, [&] { verlet_adjoint_k<G, SM>(n, m, N, s, h, th.data(), Y.data(), Z.data(), W.data(), part.data(), gY0.data()); });
  for (long k = 0; k < np; k++) for (unsigned b = 0; b < grid; b++) g[k] += part[b * np + k];
  expect("adjoint gtheta", rel(g.data(), gr.data(), np), 1e-13);
  expect("adjoint gY0", rel(gY0.data(), gY0r.data(), ns), 1e-13);
}

int main()
{
  run<2, true>(2, 2, 4, 300, 5.0, 3, true);    // peaks block, 3 blocks x 128 examples per chunk, several chunks
  run<2, false>(2, 2, 4, 1, 5.0, 1, true);
  run<4, true>(2, 4, 5, 200, 2.0, 2, false);
  run<8, true>(8, 6, 6, 77, 2.0, 2, true);
  run<8, false>(5, 3, 7, 100, 2.0, 3, true);
  run<16, true>(16, 16, 3, 40, 2.0, 2, true);
  run<16, false>(4, 16, 3, 33, 2.0, 1, true);
  run<1, true>(1, 1, 5, 600, 2.0, 2, true);
  printf("emulation: %d failure(s)\n", fails);
  return fails != 0;
}
