// CPU emulation of the fused wide forward and tangent of src/backend/cuda/wide.cu (wide_fused_forward_k,
// wide_fused_tangent_k), for machines without a GPU: the tile's states in shared memory, the per-step staging of K_j and b_j, rows lane and lane + 32, the examples
// per warp, the tail tile (s not a multiple of TE), Y_0 copied or in place, D_j; the tangent with and without dtheta
// and dY0, in place; against the host references odyn_narrow_ref_forward / _tangent (src/backend/host/narrowref.c). The builtins come from cudaemu.h; the kernel is taken
// from wide.cu's own text. Not a model of the device's timing or rounding: the GPU test tests/gpu/test_gpu_narrow.c
// checks its numbers. Run: tools/cudaemu/run-wide-emu.sh (prints one line per comparison, exits 1 on a failure).
#include "cudaemu.h"
extern "C" {
void odyn_narrow_ref_forward(int act, long n, long N, long s, double h, const double *theta, const double *Y0, double *Y, int store_all);
void odyn_narrow_ref_tangent(int act, long n, long N, long s, double h, const double *theta, const double *dtheta, const double *Y0, const double *dY0, double *dYN);
}
using std::fma;
// the bit casts of odynk_tanh (devmath.cuh)
static double    __longlong_as_double(long long v) { double d; memcpy(&d, &v, 8); return d; }
static long long __double_as_longlong(double d) { long long v; memcpy(&v, &d, 8); return v; }
#include "devmath.cuh"
#include "kernels.inc"

template <int EPW, int ROWS>
static void run(long n, long N, long s, bool withD, bool inplace, int act = ODYN_PW_TANH)
{
  const long   slot = n * n + n, np = N * slot, ns = n * s, TE = WIDE_FUSED_WARPS * EPW;
  const double h = 1.5 / (N > 0 ? N : 1);
  std::vector<double> th(np), Y0(ns), ref((N + 1) * ns), Y((N + 1) * ns, -7.0), D(N * ns, -7.0), Dref(N * ns);
  for (auto &x : th) x = rnd(1.0 / sqrt((double)n));
  for (auto &x : Y0) x = rnd(1.0);
  odyn_narrow_ref_forward(act, n, N, s, h, th.data(), Y0.data(), ref.data(), 1);
  for (long j = 0; j < N; j++) /* D_j = sigma'(K_j Y_j + b_j) on the reference states */
    for (long e = 0; e < s; e++)
      for (long i = 0; i < n; i++) {
        double z = th[j * slot + n * n + i];
        for (long k = 0; k < n; k++) z += th[j * slot + i + k * n] * ref[j * ns + e * n + k];
        Dref[j * ns + e * n + i] = odyn_act_deriv(act, z);
      }
  if (inplace) std::copy(Y0.begin(), Y0.end(), Y.begin());
  printf("%s EPW=%d ROWS=%d n=%ld N=%ld s=%ld tiles=%ld D=%d in place=%d\n", act == ODYN_PW_RELU ? "relu" : act == ODYN_PW_IDENTITY ? "identity" : "tanh", EPW, ROWS, n, N, s, (s + TE - 1) / TE, withD, inplace);
  launch((unsigned)((s + TE - 1) / TE), WIDE_FUSED_THREADS, [&] { wide_fused_forward_k<EPW, ROWS>(act, (int)n, (int)N, s, h, th.data(), inplace ? Y.data() : Y0.data(), Y.data(), withD ? D.data() : nullptr); });
  expect("forward, all states", rel(Y.data(), ref.data(), (N + 1) * ns), 1e-13);
  if (withD) expect("D_j = sigma'", rel(D.data(), Dref.data(), N * ns), 1e-13);
}

template <int EPW, int ROWS>
static void run_tangent(long n, long N, long s, bool withdth, bool withdY0, bool inplace)
{
  const long   slot = n * n + n, np = N * slot, ns = n * s, TE = WIDE_FUSED_WARPS * EPW;
  const double h = 1.5 / (N > 0 ? N : 1);
  std::vector<double> th(np), dth(np), Y0(ns), dY0(ns), traj((N + 1) * ns), D(N * ns), ref(ns), dY(ns, -7.0);
  for (auto &x : th) x = rnd(1.0 / sqrt((double)n));
  for (auto &x : dth) x = rnd(1.0);
  for (auto &x : Y0) x = rnd(1.0);
  for (auto &x : dY0) x = rnd(1.0);
  /* the forward kernel (checked above) makes the states and D_j the tangent reads */
  launch((unsigned)((s + 31) / 32), WIDE_FUSED_THREADS, [&] { wide_fused_forward_k<4, 2>(ODYN_PW_TANH, (int)n, (int)N, s, h, th.data(), Y0.data(), traj.data(), D.data()); });
  odyn_narrow_ref_tangent(ODYN_PW_TANH, n, N, s, h, th.data(), withdth ? dth.data() : nullptr, Y0.data(), withdY0 ? dY0.data() : nullptr, ref.data());
  if (inplace) std::copy(dY0.begin(), dY0.end(), dY.begin());
  printf("tangent EPW=%d ROWS=%d n=%ld N=%ld s=%ld tiles=%ld dtheta=%d dY0=%d in place=%d\n", EPW, ROWS, n, N, s, (s + TE - 1) / TE, withdth, withdY0, inplace);
  launch((unsigned)((s + TE - 1) / TE), WIDE_FUSED_THREADS, [&] { wide_fused_tangent_k<EPW, ROWS>((int)n, (int)N, s, h, th.data(), withdth ? dth.data() : nullptr, traj.data(), D.data(), withdY0 ? (inplace ? dY.data() : dY0.data()) : nullptr, dY.data()); });
  expect("tangent dY_N", rel(dY.data(), ref.data(), ns), 1e-13);
}

int main()
{
  run<4, 1>(5, 3, 70, true, false);   // n < 32: one row per lane, most lanes idle; 3 tiles of 32, the last partial
  run<4, 1>(32, 2, 40, true, true);   // every lane a row, Y_0 in place
  run<4, 2>(33, 2, 31, false, false); // the second row of lane 0 only; one partial tile
  run<4, 2>(48, 3, 65, true, false);
  run<8, 2>(64, 3, 300, true, false);  // tiles of 64: 5 tiles, the last of 44
  run<16, 1>(17, 1, 129, false, false);
  run<4, 2>(64, 0, 20, false, false); // N = 0: Y_0 copied only
  run<4, 1>(5, 3, 70, true, false, ODYN_PW_RELU); // the run-time activation (odynk_act_rt)
  run<8, 2>(64, 3, 100, true, true, ODYN_PW_IDENTITY);
  run_tangent<4, 2>(64, 3, 70, true, true, false);  // dtheta and dY0; 3 tiles, the last of 6
  run_tangent<4, 2>(40, 2, 33, false, true, true);  // dtheta = NULL, in place
  run_tangent<8, 1>(20, 3, 130, true, false, false); // dY0 = NULL (zero)
  run_tangent<4, 1>(7, 2, 10, true, true, true);
  run_tangent<4, 2>(64, 0, 9, true, true, false);   // N = 0: dY_N = dY0
  printf("emulation: %d failure(s)\n", fails);
  return fails != 0;
}
