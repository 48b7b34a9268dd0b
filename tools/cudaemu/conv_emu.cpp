// CPU emulation of the direct 3x3 convolution kernels of src/backend/cuda/convdirect.cu, for machines without a GPU:
// it checks the kernels' logic (the double-buffered staging of bands with asynchronous copies and its one barrier per
// unit, the zero border, bands of rows, the 4-pixel groups and their partial last group, the CO template padding, the
// epilogues of every mode, the 16-byte and 8-byte store paths, the stencil gradient's per-thread sums and per-block
// partials and their fixed-order sum) against the host kernels of include/odyn/private/convkernels.h
// (src/backend/host/conv.c, convdirect.c). Not a model of the device's timing or rounding (std::tanh, no FMA
// contraction): it proves the algorithm, tests/gpu/test_gpu_conv.c the numbers on the device.
// The kernels are convdirect.cu's own text between its "emu: kernels begin/end" markers; the launch choices of its
// host side (band height, block size, packing, the grid is a parameter here) are repeated below.
// Asynchronous copies: cp_async8 either copies at once or (defer) at the thread's next cp_async_wait_all, and shared
// memory is filled with NaNs as each block starts: a read of the buffer before its wait, or of anything never staged,
// turns the result into NaN.
// Run (about 1 min on 2 cores): tools/cudaemu/run-conv-emu.sh   (one line per comparison, exits 1 on a failure)
#include "cudaemu.h"
#include <cstdint>
#include <utility>
extern "C" {
#include <odyn/private/convkernels.h>
}
#include <odyn/private/pointwise.h>

#define CONV_BLOCK 256
#define MAXC       16
double cW[MAXC * MAXC * 9 + MAXC];

static bool                                                defer = false;
static thread_local std::vector<std::pair<double *, const double *>> pending;
static void cp_async8(double *dst, const double *src)
{
  if (defer) pending.emplace_back(dst, src);
  else *dst = *src;
}
static void cp_async_commit() {}
static void cp_async_wait_all()
{
  for (auto &p : pending) *p.first = *p.second;
  pending.clear();
}

// the bit casts of odynk_tanh
static double    __longlong_as_double(long long v) { double d; memcpy(&d, &v, 8); return d; }
static long long __double_as_longlong(double d) { long long v; memcpy(&v, &d, 8); return v; }

#include "convact.cuh" // odynk_tanh, odynk_act_eval
#include "kernels.inc"

static int co_of(long c) { return c <= 2 ? (int)c : c <= 4 ? 4 : c <= 6 ? 6 : c <= 8 ? 8 : c <= 12 ? 12 : 16; }

// convdirect.cu's band_of with the budget a parameter (the device's is 48 KiB per buffer; a small one here splits
// small images into bands)
static void band_of(const odyn_conv_geom *g, long s, int cin, long per_row, long fixed, long budget, band_geom *bg, int *sb)
{
  bg->cin = cin;
  bg->h   = (int)g->h;
  bg->w   = (int)g->w;
  bg->WP  = 4 * (int)((g->w + 3) / 4) + 2;
  bg->s   = s;
  bg->vec = 0;
  long BH = (budget / 8 - fixed) / per_row;
  if (BH > g->h) BH = g->h;
  if (BH < 1) BH = 1;
  bg->BH = (int)BH;
  bg->nb = (int)((g->h + BH - 1) / BH);
  *sb    = (int)((fixed + BH * per_row + 1) / 2 * 2);
  if (2L * *sb > (long)(sizeof(sh) / sizeof(sh[0]))) { printf("emulated shared memory too small\n"); exit(1); }
}

static void upload(int cin, int cout, int flip, const double *K, const double *b)
{
  const int           stride = co_of(flip ? cin : cout), len = (flip ? cout : cin) * 9 * stride, nbias = b ? (flip ? cin : cout) : 0;
  std::vector<double> packed(len + nbias, NAN);
  launch(1, 256, [&] { pack_stencil(cin, cout, flip, stride, K, b, nbias, packed.data()); });
  for (auto &x : cW) x = NAN; // only what this call packs may be read
  memcpy(cW, packed.data(), (len + nbias) * sizeof(double));
}

static long     budget = 48 * 1024;
static unsigned grid_of(long units, unsigned want) { return (unsigned)std::max(1L, std::min((long)want, units)); }

// convdirect.cu's forward_any: g is the kernel's geometry (for the adjoint the transposed one)
static void forward_any(const odyn_conv_geom *g, long s, int mode, double alpha, double beta, int act, double hstep, const double *X, double *Y, double *D, unsigned want)
{
  band_geom bg;
  int       sb;
  const int ci = (int)g->cin, co = (int)g->cout, WP = 4 * (int)((g->w + 3) / 4) + 2;
  band_of(g, s, ci, (long)ci * WP, 2L * ci * WP, budget, &bg, &sb);
  bg.vec     = g->w % 2 == 0 && ((uintptr_t)Y & 15) == 0 && (!D || ((uintptr_t)D & 15) == 0);
  long block = (long)bg.BH * ((g->w + 3) / 4);
  block      = std::min((block + 31) / 32 * 32, (long)CONV_BLOCK);
  const unsigned grid = grid_of(s * bg.nb, want);
  printf("    [forward mode %d: BH %d, %d band(s), block %ld, grid %u, vec %d]\n", mode, bg.BH, bg.nb, block, grid, bg.vec);
  switch (co_of(co)) {
#define FWD(C) case C: launch(grid, (unsigned)block, [&] { conv_forward_k<C>(bg, co, mode, alpha, beta, act, hstep, X, Y, D); }); break;
    FWD(1) FWD(2) FWD(4) FWD(6) FWD(8) FWD(12) FWD(16)
#undef FWD
  }
}

// convdirect.cu's odyn_cuda_conv3_stencil_grad, the partials kept (part: grid x nk)
static unsigned stencil_grad(const odyn_conv_geom *g, long s, const double *X, const double *W, double alpha, double *G, std::vector<double> &part, unsigned want, band_geom *out)
{
  band_geom bg;
  int       sb;
  const int WP = 4 * (int)((g->w + 3) / 4) + 2, co = (int)g->cout;
  const long nk = g->cin * g->cout * 9;
  band_of(g, s, (int)g->cin, g->cin * WP + g->cout * g->w, 2L * g->cin * WP, budget, &bg, &sb);
  const unsigned grid = grid_of(s * bg.nb, want);
  part.assign(grid * nk, NAN);
  const int      NA    = co_of(co) <= 8 ? 3 : 1;
  const unsigned block = NA == 1 ? CONV_BLOCK : std::min(CONV_BLOCK, (int)g->cin * 32); // convdirect.cu's grad_block
  printf("    [stencil grad: NA %d, BH %d, %d band(s), block %u, grid %u]\n", NA, bg.BH, bg.nb, block, grid);
  switch (co_of(co)) {
#define GRD(C) case C: launch(grid, block, [&] { conv_stencil_grad_k<C, (C <= 8 ? 3 : 1)>(bg, co, sb, X, W, part.data()); }); break;
    GRD(1) GRD(2) GRD(4) GRD(6) GRD(8) GRD(12) GRD(16)
#undef GRD
  }
  for (long k = 0; k < nk; k++) { // odynk_reduce_blocks with accumulate = 1
    double sum = 0.0;
    for (unsigned b = 0; b < grid; b++) sum += part[b * nk + k];
    G[k] += alpha * sum;
  }
  *out = bg;
  return grid;
}

// the partial of one block, directly: sum over its units (unit = example e, band of rows) of W[e][o][i][j] X[e][c][i+a-1][j+b-1]
static void block_partial_ref(const odyn_conv_geom *g, const band_geom &bg, unsigned grid, unsigned b, const double *X, const double *W, double *P)
{
  const long hw = g->h * g->w, nk = g->cin * g->cout * 9;
  for (long k = 0; k < nk; k++) P[k] = 0.0;
  for (long unit = b; unit < bg.s * bg.nb; unit += grid) {
    const long e = unit / bg.nb, r0 = (unit % bg.nb) * bg.BH, r1 = std::min((long)g->h, r0 + bg.BH);
    for (long o = 0; o < g->cout; o++)
      for (long c = 0; c < g->cin; c++)
        for (int a = 0; a < 3; a++)
          for (int bb = 0; bb < 3; bb++) {
            double sum = 0.0;
            for (long i = r0; i < r1; i++)
              for (long j = 0; j < g->w; j++) {
                const long ii = i + a - 1, jj = j + bb - 1;
                if (ii < 0 || ii >= g->h || jj < 0 || jj >= g->w) continue;
                sum += W[(e * g->cout + o) * hw + i * g->w + j] * X[(e * g->cin + c) * hw + ii * g->w + jj];
              }
            P[((o * g->cin + c) * 3 + a) * 3 + bb] += sum;
          }
  }
}

static void fill(std::vector<double> &v, double sc) { for (auto &x : v) x = rnd(sc); }

// off: the output arrays start one double past a 16-byte boundary (the 8-byte store path)
static void run(long cin, long cout, long h, long w, long s, long bud, unsigned want, bool off)
{
  const odyn_conv_geom g = {h, w, cin, cout, 3}, gt = {h, w, cout, cin, 3};
  const long           nx = cin * h * w * s, ny = cout * h * w * s, nk = cin * cout * 9, hw = h * w;
  const double         hstep = 0.25, tol = 1e-13;
  std::vector<double>  K(nk), b(cout), X(nx), W(ny), Y0(ny), X0(nx), G0(nk), work(odyn_conv_work_size(&g) + 1);
  budget = bud;
  printf("cin=%ld cout=%ld %ldx%ld s=%ld budget=%ld grid<=%u %s defer=%d\n", cin, cout, h, w, s, bud, want, off ? "misaligned" : "aligned", defer);
  fill(K, 1.0 / sqrt(9.0 * cin)), fill(b, 0.5), fill(X, 1.0), fill(W, 1.0), fill(Y0, 1.0), fill(X0, 1.0), fill(G0, 1.0);
  // device-side arrays: 16-byte aligned storage, shifted by one double when off
  std::vector<double> dbuf(4 * (ny + nx) + 64);
  double *base = dbuf.data() + ((16 - ((uintptr_t)dbuf.data() & 15)) & 15) / 8 + (off ? 1 : 0);
  double *dY = base, *dD = base + ny + 2, *dX = dD + ny + 2;

  { // Y = 0.5 Y0 + 2 K * X, and Y = K * X (beta 0)
    std::vector<double> ref(Y0);
    odyn_conv_forward(&g, s, K.data(), 2.0, X.data(), 0.5, ref.data(), work.data());
    memcpy(dY, Y0.data(), ny * sizeof(double));
    upload(cin, cout, 0, K.data(), nullptr);
    forward_any(&g, s, 0, 2.0, 0.5, ODYN_PW_IDENTITY, 0.0, X.data(), dY, nullptr, want);
    expect("forward Y = 0.5 Y + 2 K*X", rel(dY, ref.data(), ny), tol);
    odyn_conv_forward(&g, s, K.data(), 1.0, X.data(), 0.0, ref.data(), work.data());
    for (long k = 0; k < ny; k++) dY[k] = NAN; // beta 0: Y is not read
    forward_any(&g, s, 0, 1.0, 0.0, ODYN_PW_IDENTITY, 0.0, X.data(), dY, nullptr, want);
    expect("forward Y = K*X (beta 0)", rel(dY, ref.data(), ny), tol);
  }
  for (int act : {ODYN_PW_TANH, ODYN_PW_IDENTITY, ODYN_PW_RELU}) { // Y = act(K * X + b), D = act'
    std::vector<double> ref(ny), dref(ny);
    char                what[64];
    odyn_conv_forward_bias_act(&g, s, K.data(), X.data(), b.data(), act, ref.data(), dref.data(), work.data());
    upload(cin, cout, 0, K.data(), b.data());
    forward_any(&g, s, 1, 1.0, 0.0, act, 0.0, X.data(), dY, act == ODYN_PW_IDENTITY ? nullptr : dD, want);
    snprintf(what, sizeof(what), "bias + act %d: Y", act);
    expect(what, rel(dY, ref.data(), ny), tol);
    if (act != ODYN_PW_IDENTITY) {
      snprintf(what, sizeof(what), "bias + act %d: D", act);
      expect(what, rel(dD, dref.data(), ny), tol);
    }
  }
  if (cin == cout) { // fused Euler Y = X + h tanh(K * X + b), D
    std::vector<double> ref(nx), dref(nx);
    odyn_conv_forward_bias_act_euler(&g, s, K.data(), X.data(), b.data(), ODYN_PW_TANH, hstep, ref.data(), dref.data(), work.data());
    upload(cin, cout, 0, K.data(), b.data());
    forward_any(&g, s, 2, 1.0, 0.0, ODYN_PW_TANH, hstep, X.data(), dY, dD, want);
    expect("Euler X + h tanh(K*X + b): Y", rel(dY, ref.data(), nx), tol);
    expect("Euler: D", rel(dD, dref.data(), nx), tol);
  }
  { // X = -X0 + 1.5 K^T W: the forward kernel on the transposed geometry with the flipped stencil
    std::vector<double> ref(X0);
    odyn_conv_adjoint(&g, s, K.data(), 1.5, W.data(), -1.0, ref.data(), work.data());
    memcpy(dX, X0.data(), nx * sizeof(double));
    upload(cin, cout, 1, K.data(), nullptr);
    forward_any(&gt, s, 0, 1.5, -1.0, ODYN_PW_IDENTITY, 0.0, W.data(), dX, nullptr, want);
    expect("adjoint X = -X + 1.5 K^T W", rel(dX, ref.data(), nx), tol);
  }
  { // G = G0 + 0.75 dK-gradient, and each block's partial
    std::vector<double> ref(G0), G(G0), part, P(nk);
    band_geom           bg;
    odyn_conv_stencil_grad(&g, s, X.data(), W.data(), 0.75, ref.data(), work.data());
    const unsigned grid = stencil_grad(&g, s, X.data(), W.data(), 0.75, G.data(), part, want, &bg);
    expect("stencil gradient G += 0.75 dK", rel(G.data(), ref.data(), nk), tol);
    double worst = 0.0;
    for (unsigned bl = 0; bl < grid; bl++) {
      block_partial_ref(&g, bg, grid, bl, X.data(), W.data(), P.data());
      worst = std::max(worst, rel(part.data() + bl * nk, P.data(), nk));
    }
    expect("stencil gradient block partials", worst, tol);
  }
  (void)hw;
}

// odynk_tanh against std::tanh, value by value (relative), over a sweep and the special values
static void tanh_check()
{
  double worst = 0.0;
  int    bad   = 0;
  for (int k = -4000; k <= 4000; k++) {
    const double x = k * 0.00625 + 1e-3 * rnd(1.0), t = odynk_tanh(x), r = std::tanh(x);
    worst          = std::max(worst, fabs(t - r) / fabs(r));
  }
  for (double x : {1e-300, 1e-20, 1e-8, 0.3465, 0.3466, 0.55, 19.99, 20.0, 25.0, 1e300})
    for (double sg : {1.0, -1.0}) worst = std::max(worst, fabs(odynk_tanh(sg * x) - std::tanh(sg * x)) / fabs(std::tanh(sg * x)));
  bad += !(odynk_tanh(INFINITY) == 1.0 && odynk_tanh(-INFINITY) == -1.0 && std::isnan(odynk_tanh(NAN)) && odynk_tanh(0.0) == 0.0 && std::signbit(odynk_tanh(-0.0)));
  printf("odynk_tanh: worst relative error %.2e over [-25, 25] and special values, %s\n", worst, bad ? "special values WRONG" : "special values ok");
  expect("odynk_tanh relative error (<= 4 ulp)", bad ? 1.0 : worst, 4 * 1.12e-16);
}

int main()
{
  tanh_check();
  // poison shared memory as each block starts
  block_hook = [](unsigned) { for (auto &x : sh) x = NAN; };
  for (int d = 0; d < 2; d++) {
    defer = d == 1;
    run(6, 6, 28, 28, 3, 48 * 1024, 2, false);  // the MNIST shape: one band, 196 groups -> 224 threads, 2 blocks x 1-2 units
    run(6, 6, 28, 28, 2, 20 * 1024, 3, true);   // the same split into bands (BH 9: 4 bands, a last one of 1 row), 8-byte stores
    run(16, 16, 28, 28, 2, 48 * 1024, 4, false); // 16 channels: 3 bands (the device's own split), CO 16
    run(3, 5, 6, 5, 3, 48 * 1024, 2, false);     // 6x5 (odd width: a 1-pixel last group), cin 3, cout 5 -> CO 6 padded
    run(1, 1, 6, 5, 3, 1200, 2, false);          // 1 channel, bands of 3 rows
    run(2, 16, 7, 9, 2, 48 * 1024, 3, false);    // unequal channels, adjoint with CO 2, gradient with CO 16
    run(9, 9, 5, 6, 3, 48 * 1024, 2, true);      // 9 -> CO 12, width 6 (a 2-pixel last group), misaligned
    run(8, 8, 9, 13, 3, 3000, 2, false);         // CO 8, bands of 2 rows
    run(4, 1, 3, 5, 2, 48 * 1024, 1, false);     // cout 1, adjoint CO 4, one block walking both examples
  }
  printf("emulation: %d failure(s)\n", fails);
  return fails != 0;
}
