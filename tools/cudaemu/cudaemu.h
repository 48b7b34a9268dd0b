// tools/cudaemu/cudaemu.h: the CUDA builtins a kernel of src/backend/cuda uses, emulated on the CPU, so that the
// kernels' own text compiles as C++ and runs on a machine without a GPU (one std::thread per CUDA thread, blocks one
// after another, 1-D blocks and grids). __syncthreads is a block barrier; a shuffle goes through a per-warp exchange
// buffer between two warp barriers. Plus what every emulation driver needs: launch(), random numbers, relative
// differences and the ok / FAIL lines. Not a model of the device's timing or rounding (std::tanh, no FMA contraction).
#pragma once
#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>
struct dim3 { unsigned x = 0, y = 0, z = 0; };
thread_local dim3 threadIdx, blockIdx;
dim3 blockDim, gridDim;
double sh[1 << 17];
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
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
// for convdirect.cu's kernels: 16-byte vector type, qualifiers, int min, and a hook run as each block starts (before
// its threads; conv_emu.cpp poisons the shared memory with NaNs there, so that a read of anything not staged shows)
struct double2 { double x, y; };
static inline double2 make_double2(double x, double y) { return double2{x, y}; }
#define __align__(x)
#define __noinline__
#define __constant__
using std::min;
static std::function<void(unsigned)> block_hook;

// runs body() as the threads of grid blocks of block threads each (block <= 1024, a multiple of 32)
static void launch(unsigned grid, unsigned block, std::function<void()> body)
{
  blockDim.x = block;
  gridDim.x  = grid;
  for (unsigned b = 0; b < grid; b++) {
    if (block_hook) block_hook(b);
    std::barrier<> bb(block);
    blockbar = &bb;
    warpbar.clear();
    for (int w = 0; w < (int)block / 32; w++) warpbar.push_back(new std::barrier<>(32));
    std::vector<std::thread> th;
    for (unsigned t = 0; t < block; t++) th.emplace_back([=] { threadIdx.x = t; blockIdx.x = b; body(); });
    for (auto &x : th) x.join();
    for (auto *p : warpbar) delete p;
  }
}

static unsigned long long st = 88172645463325252ULL;
static double rnd(double sc) { st ^= st << 13; st ^= st >> 7; st ^= st << 17; return sc * (2.0 * (double)(st >> 11) / 9007199254740992.0 - 1.0); }
static double rel(const double *a, const double *b, long len) { double d = 0, nb = 0; for (long i = 0; i < len; i++) { d += (a[i] - b[i]) * (a[i] - b[i]); nb += b[i] * b[i]; } return nb > 0 ? sqrt(d / nb) : sqrt(d); }
static int fails = 0;
static void expect(const char *w, double r, double tol) { printf("  %-40s %.3e %s\n", w, r, r <= tol ? "ok" : "FAIL"); if (!(r <= tol)) fails++; }

