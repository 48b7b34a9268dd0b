// CPU emulation of the dense Euler kernels of src/backend/cuda/narrow.cu (tanh, relu, identity: their ACT), for machines without a GPU: it checks
// the kernels' logic (indexing, warp shuffles of width G, the one-thread-per-example kernels (the adjoint's with its
// per-warp scratch and __syncwarp rounds), the adjoint's windowed
// gradient reduction with its shared running gradient (ACC) and its global fallback, the grid-stride walk over chunks,
// shared-memory and global parameter paths) against the host references of src/backend/host/narrowref.c. Not a model
// of the device's timing or of its rounding (std::tanh, no FMA contraction): it proves the algorithm, the GPU tests
// (tests/gpu/test_gpu_narrow.c) its numbers. The CUDA builtins are emulated by cudaemu.h; the kernels are taken from
// narrow.cu's own text, their helpers from src/backend/cuda/narrowcommon.cuh.
// Run (about a minute on 2 cores): tools/cudaemu/run-narrow-emu.sh   (one line per comparison, exits 1 on a failure)
#include "cudaemu.h"
#include <algorithm>
extern "C" {
void odyn_narrow_ref_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all);
void odyn_narrow_ref_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
void odyn_narrow_ref_adjoint(int act, long n, long N, long s, double h, const double *theta, const double *Ytraj, const double *W, double *gtheta, double *gY0);
}
// the bit casts of odynk_tanh (narrowcommon.cuh)
static double    __longlong_as_double(long long v) { double d; memcpy(&d, &v, 8); return d; }
static long long __double_as_longlong(double d) { long long v; memcpy(&v, &d, 8); return v; }
// __syncwarp for the one-thread adjoint's scratch rounds: a barrier of the warp's 32 threads (the kernels call it
// from all 32 lanes)
static void __syncwarp(unsigned = 0xffffffffu) { warpbar[threadIdx.x / 32]->arrive_and_wait(); }
#include "narrowcommon.cuh"
#include "kernels.inc"
#include "actemu.h" // with_act, act_name

// shared memory poisoned with NaNs before each launch: a kernel that reads a slot it did not write fails
static void launchp(unsigned grid, unsigned block, std::function<void()> body)
{
  for (auto &x : sh) x = NAN;
  launch(grid, block, body);
}

struct data {
  long n, N, s, np, ns;
  int act;
  double h;
  std::vector<double> th, dth, Y0, dY0, W, yr, yNr, dYr, dYr0, gr, gY0r;
  data(long n_, long N_, long s_, int act_ = ODYN_PW_TANH) : n(n_), N(N_), s(s_), np(N_ * (n_ * n_ + n_)), ns(n_ * s_), act(act_), h(2.0 / N_)
  {
    th.resize(np), dth.resize(np), Y0.resize(ns), dY0.resize(ns), W.resize(ns), yr.resize((N + 1) * ns), yNr.resize(ns), dYr.resize(ns), dYr0.resize(ns), gr.assign(np, 0.0), gY0r.resize(ns);
    for (auto &x : th) x = rnd(1.0 / sqrt((double)n));
    for (auto &x : dth) x = rnd(1.0);
    for (auto &x : Y0) x = rnd(1.0);
    for (auto &x : dY0) x = rnd(1.0);
    for (auto &x : W) x = rnd(1.0);
    odyn_narrow_ref_forward(act, n, N, s, h, th.data(), Y0.data(), yr.data(), 1);
    odyn_narrow_ref_forward(act, n, N, s, h, th.data(), Y0.data(), yNr.data(), 0);
    odyn_narrow_ref_tangent(act, n, N, s, h, th.data(), dth.data(), Y0.data(), dY0.data(), dYr.data());
    odyn_narrow_ref_tangent(act, n, N, s, h, th.data(), nullptr, Y0.data(), dY0.data(), dYr0.data());
    odyn_narrow_ref_adjoint(act, n, N, s, h, th.data(), yr.data(), W.data(), gr.data(), gY0r.data());
  }
};

// the grouped forward / tangent (G threads per example)
template <int G, bool SM>
static void groups(const data &d, unsigned grid)
{
  std::vector<double> Y((d.N + 1) * d.ns), YN(d.ns), dY(d.ns);
  printf("groups %s G=%d SMEM=%d n=%ld N=%ld s=%ld grid=%u\n", act_name(d.act), G, SM, d.n, d.N, d.s, grid);
  with_act(d.act, [&](auto a) {
  constexpr int A = decltype(a)::value;
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_forward_k<A, G, SM>(d.n, d.N, d.s, d.h, d.th.data(), d.Y0.data(), Y.data(), 1, nullptr); });
  expect("forward (all states)", rel(Y.data(), d.yr.data(), (d.N + 1) * d.ns), 1e-13);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_forward_k<A, G, SM>(d.n, d.N, d.s, d.h, d.th.data(), d.Y0.data(), YN.data(), 0, nullptr); });
  expect("forward (Y_N)", rel(YN.data(), d.yNr.data(), d.ns), 1e-13);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_tangent_k<A, G, SM>(d.n, d.N, d.s, d.h, d.th.data(), d.dth.data(), d.Y0.data(), d.dY0.data(), dY.data()); });
  expect("tangent", rel(dY.data(), d.dYr.data(), d.ns), 1e-13);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_tangent_k<A, G, SM>(d.n, d.N, d.s, d.h, d.th.data(), nullptr, d.Y0.data(), d.dY0.data(), dY.data()); });
  expect("tangent (no dtheta)", rel(dY.data(), d.dYr0.data(), d.ns), 1e-13);
  });
}

// one thread per example (P = n rounded up to a power of two)
template <int P, bool SM>
static void ones(const data &d, unsigned grid)
{
  std::vector<double> Y((d.N + 1) * d.ns), YN(d.ns), dY(d.ns);
  printf("one thread per example %s P=%d SMEM=%d n=%ld N=%ld s=%ld grid=%u\n", act_name(d.act), P, SM, d.n, d.N, d.s, grid);
  with_act(d.act, [&](auto a) {
  constexpr int A = decltype(a)::value;
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_forward1_k<A, P, SM>(d.n, d.N, d.s, d.h, d.th.data(), d.Y0.data(), Y.data(), 1, nullptr); });
  expect("forward (all states)", rel(Y.data(), d.yr.data(), (d.N + 1) * d.ns), 1e-13);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_forward1_k<A, P, SM>(d.n, d.N, d.s, d.h, d.th.data(), d.Y0.data(), YN.data(), 0, nullptr); });
  expect("forward (Y_N)", rel(YN.data(), d.yNr.data(), d.ns), 1e-13);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_tangent1_k<A, P, SM>(d.n, d.N, d.s, d.h, d.th.data(), d.dth.data(), d.Y0.data(), d.dY0.data(), dY.data()); });
  expect("tangent", rel(dY.data(), d.dYr.data(), d.ns), 1e-13);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_tangent1_k<A, P, SM>(d.n, d.N, d.s, d.h, d.th.data(), nullptr, d.Y0.data(), d.dY0.data(), dY.data()); });
  expect("tangent (no dtheta)", rel(dY.data(), d.dYr0.data(), d.ns), 1e-13);
  });
}

// the adjoint with a window of S steps; ACC: the block's gradient in shared memory
template <int G, bool SM, bool ACC>
static void adjoint(const data &d, unsigned grid, int S)
{
  std::vector<double> part(grid * d.np, NAN), g(d.np, 0.0), gY0(d.ns);
  printf("adjoint %s G=%d SMEM=%d ACC=%d S=%d n=%ld N=%ld s=%ld grid=%u (%ld chunks)\n", act_name(d.act), G, SM, ACC, S, d.n, d.N, d.s, grid, (d.s + ODYNK_NARROW_BLOCK / G - 1) / (ODYNK_NARROW_BLOCK / G));
  with_act(d.act, [&](auto a) {
  constexpr int A = decltype(a)::value;
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_adjoint_k<A, G, SM, ACC>(d.n, d.N, d.s, d.h, d.th.data(), d.yr.data(), nullptr, d.W.data(), part.data(), gY0.data(), S); });
  for (long k = 0; k < d.np; k++)
    for (unsigned b = 0; b < grid; b++) g[k] += part[b * d.np + k];
  expect("adjoint gtheta", rel(g.data(), d.gr.data(), d.np), 1e-13);
  expect("adjoint gY0", rel(gY0.data(), d.gY0r.data(), d.ns), 1e-13);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_adjoint_k<A, G, SM, ACC>(d.n, d.N, d.s, d.h, d.th.data(), d.yr.data(), nullptr, d.W.data(), nullptr, gY0.data(), S); });
  expect("adjoint gY0 (no gradient)", rel(gY0.data(), d.gY0r.data(), d.ns), 1e-13);
  });
}

// the one-thread-per-example adjoint (P = n rounded up to a power of two; ODYNK_NARROW_BLOCK examples per chunk) with a
// window of S steps; ACC: the block's gradient in shared memory; SMEM: the parameters there
template <int P, bool SM, bool ACC>
static void adjoint1(const data &d, unsigned grid, int S)
{
  std::vector<double> part(grid * d.np, NAN), g(d.np, 0.0), gY0(d.ns);
  printf("adjoint, one thread per example %s P=%d SMEM=%d ACC=%d S=%d n=%ld N=%ld s=%ld grid=%u (%ld chunks)\n", act_name(d.act), P, SM, ACC, S, d.n, d.N, d.s, grid, (d.s + ODYNK_NARROW_BLOCK - 1) / ODYNK_NARROW_BLOCK);
  with_act(d.act, [&](auto a) {
  constexpr int A = decltype(a)::value;
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_adjoint1_k<A, P, SM, ACC>(d.n, d.N, d.s, d.h, d.th.data(), d.yr.data(), nullptr, d.W.data(), part.data(), gY0.data(), S); });
  for (long k = 0; k < d.np; k++)
    for (unsigned b = 0; b < grid; b++) g[k] += part[b * d.np + k];
  expect("adjoint gtheta", rel(g.data(), d.gr.data(), d.np), 1e-13);
  expect("adjoint gY0", rel(gY0.data(), d.gY0r.data(), d.ns), 1e-13);
  std::fill(gY0.begin(), gY0.end(), NAN);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { narrow_adjoint1_k<A, P, SM, ACC>(d.n, d.N, d.s, d.h, d.th.data(), d.yr.data(), nullptr, d.W.data(), nullptr, gY0.data(), S); });
  expect("adjoint gY0 (no gradient)", rel(gY0.data(), d.gY0r.data(), d.ns), 1e-13);
  });
}

// odynk_tanh against std::tanh, value by value (relative), over a sweep and the special values
static void tanh_check()
{
  double worst = 0.0;
  for (int k = -4000; k <= 4000; k++) {
    const double x = k * 0.00625 + 1e-3 * rnd(1.0);
    if (x != 0.0) worst = std::max(worst, fabs(odynk_tanh(x) - std::tanh(x)) / fabs(std::tanh(x)));
  }
  for (double x : {1e-300, 1e-20, 1e-8, 0.549999, 0.55, 0.550001, 19.99, 20.0, 20.01})
    for (double sg : {1.0, -1.0}) worst = std::max(worst, fabs(odynk_tanh(sg * x) - std::tanh(sg * x)) / fabs(std::tanh(sg * x)));
  const bool special = odynk_tanh(INFINITY) == 1.0 && odynk_tanh(-INFINITY) == -1.0 && std::isnan(odynk_tanh(NAN)) && odynk_tanh(0.0) == 0.0 && std::signbit(odynk_tanh(-0.0));
  printf("odynk_tanh over [-25, 25] and special values\n");
  expect("worst relative error", worst, 1e-15);
  expect("special values (0 if right)", special ? 0.0 : 1.0, 0.0);
}

int main()
{
  tanh_check();
  {
    data d(8, 7, 100); // 32 examples per chunk: 4 chunks, the last one partial
    groups<8, true>(d, 2), groups<8, false>(d, 3);
    ones<8, true>(d, 1), ones<8, false>(d, 2); // 1 block: 100 threads of 256 busy; 2 blocks: some idle
    adjoint<8, true, true>(d, 2, 3);           // S = 3 does not divide N = 7: a partial window per chunk
    adjoint<8, false, true>(d, 3, 2);
    adjoint<8, true, false>(d, 2, 4);
    adjoint<8, false, false>(d, 1, 1);
  }
  {
    data d(5, 6, 40); // n = 5 in groups of 8 / P = 8: idle rows
    groups<8, true>(d, 1);
    ones<8, true>(d, 1);
    adjoint<8, true, true>(d, 1, 4), adjoint<8, false, false>(d, 2, 6);
  }
  {
    data d(2, 9, 300); // peaks width: 128 examples per chunk, 3 chunks
    groups<2, true>(d, 2);
    ones<2, false>(d, 1), ones<2, true>(d, 2);
    adjoint<2, true, true>(d, 2, 4), adjoint<2, true, false>(d, 1, 2);
  }
  {
    data d(3, 4, 130);
    ones<4, true>(d, 1);
    adjoint<4, true, true>(d, 2, 1), adjoint<4, false, false>(d, 3, 3);
  }
  {
    data d(16, 3, 20); // 16 examples per chunk
    groups<16, false>(d, 1); // (no one-thread kernel for n > 8: not dispatched, see narrow.cu)
    adjoint<16, true, true>(d, 1, 2), adjoint<16, false, false>(d, 2, 4);
  }
  {
    data d(1, 5, 600);
    groups<1, true>(d, 2);
    ones<1, true>(d, 1);
    adjoint<1, true, true>(d, 2, 4), adjoint<1, false, false>(d, 1, 3);
  }
  // the one-thread adjoint: 256 examples per chunk; grids below the chunk count make blocks walk several chunks
  {
    data d(8, 7, 1100); // 5 chunks, the last one partial (76 examples: warps 2..7 idle, warp 2 half busy)
    adjoint1<8, true, true>(d, 2, 3), adjoint1<8, false, true>(d, 3, 2);
    adjoint1<8, true, false>(d, 2, 4), adjoint1<8, false, false>(d, 1, 1);
  }
  {
    data d(5, 6, 600); // n = 5 in P = 8: idle rows and lanes; 3 chunks
    adjoint1<8, true, true>(d, 1, 4), adjoint1<8, false, false>(d, 2, 6);
  }
  {
    data d(3, 4, 530); // P = 4
    adjoint1<4, true, true>(d, 2, 1), adjoint1<4, false, false>(d, 1, 3);
  }
  {
    data d(2, 9, 700); // P = 2
    adjoint1<2, true, true>(d, 2, 2), adjoint1<2, true, false>(d, 1, 4);
  }
  {
    data d(1, 5, 1000); // P = 1
    adjoint1<1, true, true>(d, 2, 4), adjoint1<1, false, false>(d, 3, 2);
  }
  // relu and identity (the kernels' ACT instantiations besides tanh): groups, one thread per example, both adjoints
  {
    data d(8, 7, 100, ODYN_PW_RELU);
    groups<8, true>(d, 2), ones<8, false>(d, 1);
    adjoint<8, true, true>(d, 2, 3), adjoint<8, false, false>(d, 1, 2);
    adjoint1<8, true, true>(d, 1, 3), adjoint1<8, false, false>(d, 1, 2);
  }
  {
    data d(3, 4, 300, ODYN_PW_IDENTITY);
    groups<4, false>(d, 3), ones<4, true>(d, 1);
    adjoint<4, true, false>(d, 2, 4), adjoint1<4, true, true>(d, 1, 2);
  }
  {
    data d(2, 9, 300, ODYN_PW_RELU);
    ones<2, true>(d, 2), adjoint1<2, false, true>(d, 1, 4);
  }
  {
    data d(5, 6, 40, ODYN_PW_IDENTITY);
    groups<8, true>(d, 1), ones<8, true>(d, 1), adjoint<8, true, true>(d, 1, 4), adjoint1<8, true, false>(d, 1, 4);
  }
  {
    data d(16, 3, 20, ODYN_PW_RELU);
    groups<16, false>(d, 1), adjoint<16, true, true>(d, 1, 2);
  }
  {
    data d(1, 5, 300, ODYN_PW_IDENTITY);
    groups<1, true>(d, 1), ones<1, true>(d, 1), adjoint1<1, true, true>(d, 1, 4);
  }
  printf("emulation: %d failure(s)\n", fails);
  return fails != 0;
}
