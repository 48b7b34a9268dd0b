// CPU emulation of the Verlet kernels of src/backend/cuda/verlet.cu, for machines without a GPU: it checks the kernels'
// logic (indexing, warp shuffles of width G, the per-warp / per-block gradient reduction with its double-buffered
// windows of S steps, into the global slice or (ACC) a shared running gradient, the grid-stride walk over chunks,
// shared-memory and global parameter paths) against the host references of src/backend/host/verletref.c. Not a model of the device's timing or of its rounding (std::tanh, no
// FMA contraction): it proves the algorithm, the GPU tests (tests/gpu/test_gpu_verlet.c) its numbers.
// The CUDA builtins are emulated by cudaemu.h. The kernels are taken from verlet.cu's own text, their helpers
// from src/backend/cuda/narrowcommon.cuh.
// Run (about 40 s on 2 cores): tools/cudaemu/run-verlet-emu.sh   (prints one line per comparison, exits 1 on a failure)
#include "cudaemu.h"
extern "C" {
int odyn_verlet_ref_forward(long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj);
int odyn_verlet_ref_tangent(long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int odyn_verlet_ref_adjoint(long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *W, double *gtheta, double *gY0);
}
// the bit casts of odynk_tanh (narrowcommon.cuh)
static double    __longlong_as_double(long long v) { double d; memcpy(&d, &v, 8); return d; }
static long long __double_as_longlong(double d) { long long v; memcpy(&v, &d, 8); return v; }
#include "narrowcommon.cuh" // the device helpers the kernels call (staging, shuffle mat-vecs, warp and block sums)
#include "kernels.inc"

// shared memory poisoned with NaNs before each launch: a kernel that reads a slot it did not write fails
static void launchp(unsigned grid, unsigned block, std::function<void()> body)
{
  for (auto &x : sh) x = NAN;
  launch(grid, block, body);
}

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
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { verlet_forward_k<G, SM>(n, m, N, s, h, th.data(), Y0.data(), Y.data(), Z.data()); });
  expect("forward Y", rel(Y.data(), yr.data(), (N + 1) * ns), 1e-13);
  expect("forward Z", rel(Z.data(), zr.data(), (N + 1) * ms), 1e-13);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { verlet_tangent_k<G, SM>(n, m, N, s, h, th.data(), withdth ? dth.data() : nullptr, Y0.data(), dY0.data(), dY.data()); });
  expect("tangent", rel(dY.data(), dYr.data(), ns), 1e-13);
  // the adjoint's windowed reduction (window S), into the global slice and (ACC) into the shared running gradient
  for (int acc = 0; acc < 2; acc++)
    for (int S : {1, 3, 4}) {
      std::fill(g.begin(), g.end(), 0.0);
      std::fill(part.begin(), part.end(), NAN);
      if (acc) launchp(grid, ODYNK_NARROW_BLOCK, [&] { verlet_adjoint_k<G, SM, true>(n, m, N, s, h, th.data(), Y.data(), Z.data(), W.data(), part.data(), gY0.data(), S); });
      else launchp(grid, ODYNK_NARROW_BLOCK, [&] { verlet_adjoint_k<G, SM, false>(n, m, N, s, h, th.data(), Y.data(), Z.data(), W.data(), part.data(), gY0.data(), S); });
      for (long k = 0; k < np; k++) for (unsigned b = 0; b < grid; b++) g[k] += part[b * np + k];
      char w[64];
      snprintf(w, sizeof w, "adjoint gtheta (ACC=%d S=%d)", acc, S);
      expect(w, rel(g.data(), gr.data(), np), 1e-13);
      snprintf(w, sizeof w, "adjoint gY0 (ACC=%d S=%d)", acc, S);
      expect(w, rel(gY0.data(), gY0r.data(), ns), 1e-13);
    }
}

int main()
{
  run<2, true>(2, 2, 4, 300, 5.0, 3, true);    // peaks block, 3 blocks x 128 examples per chunk, several chunks
  run<2, true>(2, 2, 6, 300, 5.0, 1, true);    // one block walks all 3 chunks (the ACC path's case)
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
