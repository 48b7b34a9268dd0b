// CPU emulation of the Verlet kernels of src/backend/cuda/verlet.cu (tanh, relu, identity: their ACT), for machines without a GPU: it checks the kernels'
// logic (indexing, warp shuffles of width G, the per-warp / per-block gradient reduction with its double-buffered
// windows of S steps, into the global slice or (ACC) a shared running gradient, the grid-stride walk over chunks,
// shared-memory and global parameter paths) against the host references of src/backend/host/verletref.c. Not a model of the device's timing or of its rounding (std::tanh, no
// FMA contraction): it proves the algorithm, the GPU tests (tests/gpu/test_gpu_verlet.c) its numbers.
// The CUDA builtins are emulated by cudaemu.h. The kernels are taken from verlet.cu's own text, their helpers
// from src/backend/cuda/narrowcommon.cuh.
// Run (about 8 minutes on 2 busy cores, most of it the deep reversible cases): tools/cudaemu/run-verlet-emu.sh   (prints one line per comparison, exits 1 on a failure)
#include "cudaemu.h"
extern "C" {
int odyn_verlet_ref_forward(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *Ytraj, double *Ztraj);
int odyn_verlet_ref_tangent(int act, long n, long m, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
int odyn_verlet_ref_adjoint(int act, long n, long m, long N, long s, double h, const double *theta, const double *Ytraj, const double *Ztraj, const double *W, double *gtheta, double *gY0);
int odyn_verlet_ref_forward_final(int act, long n, long m, long N, long s, double h, const double *theta, const double *Y0, double *YN, double *ZN);
int odyn_verlet_ref_adjoint_reversible(int act, long n, long m, long N, long s, double h, const double *theta, const double *YN, const double *ZN, const double *W, double *gtheta, double *gY0, double *Y0r);
}
// the bit casts of odynk_tanh (narrowcommon.cuh)
static double    __longlong_as_double(long long v) { double d; memcpy(&d, &v, 8); return d; }
static long long __double_as_longlong(double d) { long long v; memcpy(&v, &d, 8); return v; }
#include "narrowcommon.cuh" // the device helpers the kernels call (staging, shuffle mat-vecs, warp and block sums)
#include "kernels.inc"
#include "actemu.h" // with_act, act_name

// shared memory poisoned with NaNs before each launch: a kernel that reads a slot it did not write fails
static void launchp(unsigned grid, unsigned block, std::function<void()> body)
{
  for (auto &x : sh) x = NAN;
  launch(grid, block, body);
}

template <int G, bool SM>
static void reversible(long n, long m, long N, long s, double h, unsigned grid, const std::vector<double> &th, const std::vector<double> &Y0, const std::vector<double> &W, const std::vector<double> &yr, const std::vector<double> &zr, const std::vector<double> &gstored, const std::vector<double> &gY0stored, bool deep, int act);

template <int G, bool SM>
static void run(long n, long m, long N, long s, double T, unsigned grid, bool withdth, int act = ODYN_PW_TANH)
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
  odyn_verlet_ref_forward(act, n, m, N, s, h, th.data(), Y0.data(), yr.data(), zr.data());
  odyn_verlet_ref_tangent(act, n, m, N, s, h, th.data(), withdth ? dth.data() : nullptr, Y0.data(), dY0.data(), dYr.data());
  odyn_verlet_ref_adjoint(act, n, m, N, s, h, th.data(), yr.data(), zr.data(), W.data(), gr.data(), gY0r.data());
  printf("%s G=%d SMEM=%d n=%ld m=%ld N=%ld s=%ld grid=%u dtheta=%d\n", act_name(act), G, SM, n, m, N, s, grid, withdth);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { with_act(act, [&](auto a) { verlet_forward_k<decltype(a)::value, G, SM, true>(n, m, N, s, h, th.data(), Y0.data(), Y.data(), Z.data()); }); });
  expect("forward Y", rel(Y.data(), yr.data(), (N + 1) * ns), 1e-13);
  expect("forward Z", rel(Z.data(), zr.data(), (N + 1) * ms), 1e-13);
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { with_act(act, [&](auto a) { verlet_tangent_k<decltype(a)::value, G, SM>(n, m, N, s, h, th.data(), withdth ? dth.data() : nullptr, Y0.data(), dY0.data(), dY.data()); }); });
  expect("tangent", rel(dY.data(), dYr.data(), ns), 1e-13);
  // the adjoint's windowed reduction (window S), into the global slice and (ACC) into the shared running gradient
  for (int acc = 0; acc < 2; acc++)
    for (int S : {1, 3, 4}) {
      std::fill(g.begin(), g.end(), 0.0);
      std::fill(part.begin(), part.end(), NAN);
      if (acc) launchp(grid, ODYNK_NARROW_BLOCK, [&] { with_act(act, [&](auto a) { verlet_adjoint_k<decltype(a)::value, G, SM, true, false>(n, m, N, s, h, th.data(), Y.data(), Z.data(), W.data(), part.data(), gY0.data(), S, nullptr); }); });
      else launchp(grid, ODYNK_NARROW_BLOCK, [&] { with_act(act, [&](auto a) { verlet_adjoint_k<decltype(a)::value, G, SM, false, false>(n, m, N, s, h, th.data(), Y.data(), Z.data(), W.data(), part.data(), gY0.data(), S, nullptr); }); });
      for (long k = 0; k < np; k++) for (unsigned b = 0; b < grid; b++) g[k] += part[b * np + k];
      char w[64];
      snprintf(w, sizeof w, "adjoint gtheta (ACC=%d S=%d)", acc, S);
      expect(w, rel(g.data(), gr.data(), np), 1e-13);
      snprintf(w, sizeof w, "adjoint gY0 (ACC=%d S=%d)", acc, S);
      expect(w, rel(gY0.data(), gY0r.data(), ns), 1e-13);
    }
  reversible<G, SM>(n, m, N, s, h, grid, th, Y0, W, yr, zr, gr, gY0r, false, act);
}

// The reversible pair: the ALL = false forward (only Y_N, Z_{N-1/2}) against the stored reference's last states, and
// the REV adjoint (states rebuilt backwards in the kernel) against the host's reversible reference (same walk: the
// emulation's tanh is odynk_tanh, the reference's glibc's, so they differ by ulps per step) and against the stored
// adjoint (the drift of the rebuilt states; printed, bounded by tol_drift). gstored/gY0stored: the stored reference.
template <int G, bool SM>
static void reversible(long n, long m, long N, long s, double h, unsigned grid, const std::vector<double> &th, const std::vector<double> &Y0, const std::vector<double> &W, const std::vector<double> &yr, const std::vector<double> &zr, const std::vector<double> &gstored, const std::vector<double> &gY0stored, bool deep, int act)
{
  const long sl = n * m + n + m, np = N * sl, ns = n * s, ms = m * s;
  std::vector<double> YN(ns), ZN(ms), g(np, 0.0), part(grid * np), gY0(ns), Y0r(ns), rg(np, 0.0), rgY0(ns), rY0(ns);
  const double tol_ref = deep ? 1e-12 : 1e-13, tol_drift = deep ? 1e-11 : 1e-13;
  launchp(grid, ODYNK_NARROW_BLOCK, [&] { with_act(act, [&](auto a) { verlet_forward_k<decltype(a)::value, G, SM, false>(n, m, N, s, h, th.data(), Y0.data(), YN.data(), ZN.data()); }); });
  expect("reversible forward Y_N", rel(YN.data(), yr.data() + N * ns, ns), tol_ref);
  expect("reversible forward Z_{N-1/2}", rel(ZN.data(), zr.data() + N * ms, ms), tol_ref);
  odyn_verlet_ref_adjoint_reversible(act, n, m, N, s, h, th.data(), yr.data() + N * ns, zr.data() + N * ms, W.data(), rg.data(), rgY0.data(), rY0.data());
  printf("    host reversible reference vs stored: Y_0 %.3e, gtheta %.3e, gY0 %.3e\n", rel(rY0.data(), Y0.data(), ns), rel(rg.data(), gstored.data(), np), rel(rgY0.data(), gY0stored.data(), ns));
  for (int acc = 0; acc < 2; acc++)
    for (int S : {deep ? 1 : 3, 4}) {
      if (!deep && S == 4) continue; // the windows are the stored adjoint's code: one S per shallow shape
      std::fill(g.begin(), g.end(), 0.0);
      std::fill(part.begin(), part.end(), NAN);
      std::fill(Y0r.begin(), Y0r.end(), NAN);
      if (acc) launchp(grid, ODYNK_NARROW_BLOCK, [&] { with_act(act, [&](auto a) { verlet_adjoint_k<decltype(a)::value, G, SM, true, true>(n, m, N, s, h, th.data(), YN.data(), ZN.data(), W.data(), part.data(), gY0.data(), S, Y0r.data()); }); });
      else launchp(grid, ODYNK_NARROW_BLOCK, [&] { with_act(act, [&](auto a) { verlet_adjoint_k<decltype(a)::value, G, SM, false, true>(n, m, N, s, h, th.data(), YN.data(), ZN.data(), W.data(), part.data(), gY0.data(), S, Y0r.data()); }); });
      for (long k = 0; k < np; k++) for (unsigned b = 0; b < grid; b++) g[k] += part[b * np + k];
      char w[96];
      snprintf(w, sizeof w, "reversible gtheta vs host rev (ACC=%d S=%d)", acc, S);
      expect(w, rel(g.data(), rg.data(), np), tol_ref);
      snprintf(w, sizeof w, "reversible gY0 vs host rev (ACC=%d S=%d)", acc, S);
      expect(w, rel(gY0.data(), rgY0.data(), ns), tol_ref);
      snprintf(w, sizeof w, "reversible rebuilt Y_0 vs host rev (ACC=%d S=%d)", acc, S);
      expect(w, rel(Y0r.data(), rY0.data(), ns), tol_ref);
      snprintf(w, sizeof w, "drift: rebuilt Y_0 vs Y_0 (ACC=%d S=%d)", acc, S);
      expect(w, rel(Y0r.data(), Y0.data(), ns), tol_drift);
      snprintf(w, sizeof w, "drift: gtheta vs stored (ACC=%d S=%d)", acc, S);
      expect(w, rel(g.data(), gstored.data(), np), tol_drift);
      snprintf(w, sizeof w, "drift: gY0 vs stored (ACC=%d S=%d)", acc, S);
      expect(w, rel(gY0.data(), gY0stored.data(), ns), tol_drift);
    }
}

// deep nets (the shapes of tests/gpu/test_gpu_verlet.c's reversible cases): the stored references, then the reversible
// kernels against them
template <int G, bool SM>
static void deep(long n, long m, long N, long s, double T, unsigned grid, int act = ODYN_PW_TANH)
{
  const long sl = n * m + n + m, np = N * sl, ns = n * s, ms = m * s;
  const double h = T / N;
  std::vector<double> th(np), Y0(ns), W(ns), yr((N + 1) * ns), zr((N + 1) * ms), gr(np, 0.0), gY0r(ns);
  for (long j = 0; j < N; j++) {
    for (long k = 0; k < n * m; k++) th[j * sl + k] = rnd(1.0 / sqrt((double)(n > m ? n : m)));
    for (long k = n * m; k < sl; k++) th[j * sl + k] = rnd(0.5);
  }
  for (auto &x : Y0) x = rnd(1.0);
  for (auto &x : W) x = rnd(1.0);
  odyn_verlet_ref_forward(act, n, m, N, s, h, th.data(), Y0.data(), yr.data(), zr.data());
  odyn_verlet_ref_adjoint(act, n, m, N, s, h, th.data(), yr.data(), zr.data(), W.data(), gr.data(), gY0r.data());
  printf("deep %s G=%d SMEM=%d n=%ld m=%ld N=%ld s=%ld T=%g grid=%u\n", act_name(act), G, SM, n, m, N, s, T, grid);
  reversible<G, SM>(n, m, N, s, h, grid, th, Y0, W, yr, zr, gr, gY0r, true, act);
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
  deep<2, true>(2, 2, 64, 200, 5.0, 2);   // peaks-like block, 64 layers, T 5
  deep<2, true>(2, 2, 256, 129, 5.0, 1);  // 256 layers: one block walks 2 chunks (ACC)
  deep<8, false>(8, 6, 64, 40, 2.0, 2);
  deep<16, true>(16, 16, 64, 20, 2.0, 1);
  // relu and identity (the kernels' ACT instantiations besides tanh), stored and reversible
  run<2, true>(2, 2, 4, 300, 5.0, 3, true, ODYN_PW_RELU);
  run<4, false>(2, 4, 5, 200, 2.0, 2, true, ODYN_PW_IDENTITY);
  run<8, true>(8, 6, 6, 77, 2.0, 2, true, ODYN_PW_RELU);
  run<16, false>(4, 16, 3, 33, 2.0, 1, true, ODYN_PW_IDENTITY);
  run<1, true>(1, 1, 5, 600, 2.0, 2, false, ODYN_PW_RELU);
  deep<2, true>(2, 2, 64, 100, 5.0, 1, ODYN_PW_RELU);
  deep<8, false>(8, 6, 32, 40, 2.0, 2, ODYN_PW_IDENTITY);
  printf("emulation: %d failure(s)\n", fails);
  return fails != 0;
}
