// tools/cudaemu/fiberemu.h: the device side of the whole-backend emulation (run-backend-emu.sh): CUDA's kernel
// builtins on the CPU, with the threads of a block run as cooperative fibers on the calling OS thread. Included by
// shim/cuda_runtime.h in C++ mode; the older kernel drivers (*_emu.cpp) use cudaemu.h instead and are unaffected.
//
// Model: a launch runs its blocks one after another (no concurrency between blocks); a block's threads are fibers
// (own stacks, x86-64 register switch, no signal-mask system call) started in thread order and run round-robin, each
// up to its next barrier: __syncthreads waits for every live thread of the block, __syncwarp and the shuffles for
// every live thread of the warp (an exited thread counts as arrived, as on the device since Volta). A barrier that
// can never be passed (threads waiting at different barriers) aborts with the kernel's name. Shared memory is private
// to the launch's current block and filled with NaNs as each block starts (dynamic, extern __shared__) or as thread 0
// reaches its declaration (static __shared__), so a read of something no thread stored shows as NaN. cp.async copies
// land at the thread's cp.async.wait_all (a read before it sees the NaNs). Not modelled: timing, the device's rounding
// (no FMA contraction here, glibc's libm), the memory model between blocks, warp-synchronous code without __syncwarp.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

struct uint3 { unsigned x, y, z; };
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
struct __attribute__((aligned(16))) double2 { double x, y; };
static inline double2 make_double2(double x, double y) { return double2{x, y}; }

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__    __attribute__((noinline))
#define __launch_bounds__(...)
#define __constant__
#define __align__(n) __attribute__((aligned(n)))

// the emulator's state (one set per process: kernels run on the OS thread that launches them)
struct emu_fiber {
  void    *sp    = nullptr; // saved stack pointer while switched out
  char    *stack = nullptr;
  int      state = 0;       // 0 done, 1 ready, 2 waiting at the block barrier, 3 waiting at the warp barrier
  uint3    tid{0, 0, 0};
  std::vector<std::pair<double *, const double *>> pending; // cp.async copies not yet waited for
};
struct emu_state {
  std::vector<emu_fiber *> fibers;
  void                    *sched_sp = nullptr;
  int                      cur = 0, nthreads = 0, alive = 0, blk_arrived = 0;
  std::vector<int>         warp_alive, warp_arrived;
  std::vector<uint64_t>    xbuf; // one shuffle slot per thread
  void (*body)(void *) = nullptr;
  void       *ctx      = nullptr;
  const char *kernel   = "";
  char       *dynsmem  = nullptr;
  size_t      dynbytes = 0;
};
inline emu_state emu_S;                    // one per process (C++17 inline variable: shared by every file)
inline uint3     threadIdx, blockIdx;      // set by the scheduler before it switches to a fiber
inline dim3      blockDim, gridDim;
static inline emu_state *odyn_cudaemu_state(void) { return &emu_S; }
extern "C" void odyn_cudaemu_yield(void);     // back to the scheduler (fiber side)
extern "C" void odyn_cudaemu_run_block(void); // runs the threads of block blockIdx of the current launch
extern "C" int  odyn_cudaemu_launch_check(const void *k, const char *name, dim3 g, dim3 b, size_t smem);
extern "C" void odyn_cudaemu_poison(void *p, size_t bytes);

static inline int emu_linear_tid(void) { return (int)(threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)); }

static inline void __syncthreads(void)
{
  emu_state *S = odyn_cudaemu_state();
  emu_fiber *f = S->fibers[S->cur];
  f->state     = 2;
  if (++S->blk_arrived == S->alive) {
    for (int t = 0; t < S->nthreads; t++)
      if (S->fibers[t]->state == 2) S->fibers[t]->state = 1;
    S->blk_arrived = 0;
  }
  odyn_cudaemu_yield();
}
static inline void __syncwarp(unsigned mask = 0xffffffffu)
{
  (void)mask;
  emu_state *S = odyn_cudaemu_state();
  const int  w = S->cur / 32;
  S->fibers[S->cur]->state = 3;
  if (++S->warp_arrived[w] == S->warp_alive[w]) {
    for (int t = w * 32; t < S->nthreads && t < w * 32 + 32; t++)
      if (S->fibers[t]->state == 3) S->fibers[t]->state = 1;
    S->warp_arrived[w] = 0;
  }
  odyn_cudaemu_yield();
}
template <typename T>
static inline T emu_shfl(T v, int srclane)
{
  static_assert(sizeof(T) <= 8, "shuffle of more than 8 bytes");
  emu_state *S = odyn_cudaemu_state();
  const int  t = S->cur, w = t / 32;
  uint64_t   bits = 0;
  memcpy(&bits, &v, sizeof(T));
  S->xbuf[t] = bits;
  __syncwarp();
  const int src = w * 32 + srclane;
  bits          = src < S->nthreads ? S->xbuf[src] : S->xbuf[t];
  __syncwarp(); // nobody overwrites its slot before every lane has read
  T r;
  memcpy(&r, &bits, sizeof(T));
  return r;
}
template <typename T> static inline T __shfl_sync(unsigned, T v, int src, int width = 32)
{
  const int lane = odyn_cudaemu_state()->cur % 32;
  return emu_shfl(v, (lane / width) * width + (src % width));
}
template <typename T> static inline T __shfl_xor_sync(unsigned, T v, int mask, int width = 32)
{
  const int lane = odyn_cudaemu_state()->cur % 32, src = lane ^ mask;
  return emu_shfl(v, src / width == lane / width ? src : lane);
}
template <typename T> static inline T __shfl_down_sync(unsigned, T v, unsigned d, int width = 32)
{
  const int lane = odyn_cudaemu_state()->cur % 32, src = lane + (int)d;
  return emu_shfl(v, src / width == lane / width ? src : lane);
}
template <typename T> static inline T __shfl_up_sync(unsigned, T v, unsigned d, int width = 32)
{
  const int lane = odyn_cudaemu_state()->cur % 32, src = lane - (int)d;
  return emu_shfl(v, src >= 0 && src / width == lane / width ? src : lane);
}

// rounding intrinsics: no contraction here anyway (x86-64 without -mfma)
static inline double    __dadd_rn(double a, double b) { return a + b; }
static inline double    __dsub_rn(double a, double b) { return a - b; }
static inline double    __dmul_rn(double a, double b) { return a * b; }
static inline double    __longlong_as_double(long long v) { double d; memcpy(&d, &v, 8); return d; }
static inline long long __double_as_longlong(double d) { long long v; memcpy(&v, &d, 8); return v; }
static inline size_t    __cvta_generic_to_shared(const void *p) { return (size_t)(uintptr_t)p; }
using std::max;
using std::min;

// cp.async (convdirect.cu's inline PTX is replaced by these by run-backend-emu.sh)
static inline void emu_cp_async8(double *dst, const double *src) { odyn_cudaemu_state()->fibers[odyn_cudaemu_state()->cur]->pending.emplace_back(dst, src); }
static inline void emu_cp_async_commit(void) {}
static inline void emu_cp_async_wait_all(void)
{
  auto &p = odyn_cudaemu_state()->fibers[odyn_cudaemu_state()->cur]->pending;
  for (auto &c : p) *c.first = *c.second;
  p.clear();
}

// extern __shared__ T name[] becomes T *name = (T *)emu_dynsmem()
static inline void *emu_dynsmem(void) { return odyn_cudaemu_state()->dynsmem; }
// __shared__ T name[...] becomes static T name[...] plus this: thread 0 of each block fills it with NaNs as it reaches
// the declaration, which it does before any other thread of the block runs (fibers start in order)
#define EMU_SHARED(name) \
  do { \
    if (emu_linear_tid() == 0) odyn_cudaemu_poison((void *)&(name), sizeof(name)); \
  } while (0)

// k<<<g, b, smem, stream>>>(args) becomes emu_launch("k", k, g, b, smem, stream)(args)
typedef struct CUstream_st *cudaStream_t;
template <class... P> struct emu_launcher {
  const char *name;
  void (*k)(P...);
  dim3   g, b;
  size_t smem;
  void   operator()(P... a) const
  {
    if (odyn_cudaemu_launch_check((const void *)k, name, g, b, smem)) return; // the error is cudaGetLastError()'s
    std::tuple<P...> args(a...);
    struct call {
      void (*k)(P...);
      std::tuple<P...> *args;
      static void run(void *c)
      {
        call *me = (call *)c;
        std::apply(me->k, *me->args);
      }
    } c{k, &args};
    emu_state *S = odyn_cudaemu_state();
    S->body      = call::run;
    S->ctx       = &c;
    S->kernel    = name;
    for (unsigned z = 0; z < g.z; z++)
      for (unsigned y = 0; y < g.y; y++)
        for (unsigned x = 0; x < g.x; x++) {
          blockIdx = uint3{x, y, z};
          odyn_cudaemu_run_block();
        }
    S->body = nullptr; // outside a kernel again (a fault now is the host's)
  }
};
template <class... P> static inline emu_launcher<P...> emu_launch(const char *name, void (*k)(P...), dim3 g, dim3 b, size_t smem = 0, cudaStream_t = nullptr)
{
  return emu_launcher<P...>{name, k, g, b, smem};
}
