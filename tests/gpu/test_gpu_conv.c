/*
   Parity of the direct 3x3 convolution kernels (src/backend/cuda/convdirect.cu) against odyn's host convolution
   kernels (include/odyn/private/convkernels.h: odyn_conv_forward, _forward_bias_act, _adjoint, _stencil_grad) on random
   fp64 data, and dot-product tests of the device kernels against each other: <W, K * X> = <K^T W, X> (the adjoint in
   the input) and <W, dK * X> = <G(X, W), dK> (the adjoint in the stencil).

   Beyond 16 channels (on either side) the same functions run convgemm.cu's im2col + cuBLAS path: the same checks; 1x1
   stencils (g.k = 1, the connectors) run there too at any width, as GEMMs on the states themselves.

   Tolerance 1e-12, norm-wise relative. Each output is a sum of 9 cin <= 360 products, summed in a different order than
   on the host (and with FMAs): a few units of 1e-16 relative to the sum of the terms' magnitudes, which for random data
   is ~sqrt(360) times the result: < 1e-14. tanh: the host's direct path has its own tanh (absolute error a few 1e-16),
   the device CUDA's. The stencil gradient sums h w s products per entry (up to ~3 10^5 here): the host sums them per
   row and example, the device per thread, then per block and across blocks; both in double, error ~(h w s)^(1/2) eps
   times the condition (~(h w s)^(1/2) for random signs): ~5e-14 typical, 1e-12 leaves a margin for the worst shapes.
   The shapes take every path of the kernels (see main): block sizes 32 .. 256 and groups per thread > 1, one band or
   several, blocks walking several units through both shared buffers, CO padding, 16-byte and 8-byte stores.
   The kernels' logic is also checked on the CPU: tools/cudaemu/run-conv-emu.sh. Exits 2 without a device.
*/
#include <string.h>
#include <odyn/private/pointwise.h>
#include "gpucheck.h"

typedef struct {
  long cin, cout, h, w, s;
  int  off; /* 1: the device output arrays start one double past a 16-byte boundary (the kernels' 8-byte store path) */
  int  k;   /* stencil size: 3 (3x3) or 1 (1x1) */
} shape;

/* a device copy of n values (of src, or uninitialized), one double past the allocation's start when off (free d - off) */
static double *gc_dev_off(const double *src, long n, int off)
{
  double *d = gc_dev(NULL, n + 1);
  if (src) GC_CALL(odyn_cuda_to_device(d + off, src, n));
  return d + off;
}

static void run(shape sh)
{
  const odyn_conv_geom g = {sh.h, sh.w, sh.cin, sh.cout, sh.k};
  const long           s = sh.s, nx = sh.cin * sh.h * sh.w * s, ny = sh.cout * sh.h * sh.w * s, nk = sh.cin * sh.cout * g.k * g.k;
  const double         hstep = 0.25;
  char                 tag[64];
  double              *K = gc_host(nk), *dK = gc_host(nk), *b = gc_host(sh.cout), *X = gc_host(nx), *W = gc_host(ny), *Y0 = gc_host(ny), *X0 = gc_host(nx), *G0 = gc_host(nk);
  double              *Y = gc_host(ny), *YA = gc_host(ny), *DA = gc_host(ny), *XA = gc_host(nx), *G = gc_host(nk), *YE = gc_host(nx);
  double              *work = gc_host(odyn_conv_work_size(&g));

  snprintf(tag, sizeof(tag), "%ldx%ld cin=%ld cout=%ld %ldx%ld s=%ld%s", g.k, g.k, sh.cin, sh.cout, sh.h, sh.w, s, sh.off ? " (8-byte stores)" : "");
  gc_fill(K, nk, 1.0 / sqrt((double)(g.k * g.k * sh.cin)));
  gc_fill(dK, nk, 1.0);
  gc_fill(b, sh.cout, 0.5);
  gc_fill(X, nx, 1.0);
  gc_fill(W, ny, 1.0);
  gc_fill(Y0, ny, 1.0);
  gc_fill(X0, nx, 1.0);
  gc_fill(G0, nk, 1.0);
  /* host: Y = 0.5 Y0 + 2 K * X; YA = tanh(K * X + b), DA; XA = -X0 + 1.5 K^T W; G = G0 + 0.75 dK-gradient */
  memcpy(Y, Y0, (size_t)ny * sizeof(double));
  if (odyn_conv_forward(&g, s, K, 2.0, X, 0.5, Y, work)) exit(1);
  if (odyn_conv_forward_bias_act(&g, s, K, X, b, ODYN_PW_TANH, YA, DA, work)) exit(1);
  memcpy(XA, X0, (size_t)nx * sizeof(double));
  if (odyn_conv_adjoint(&g, s, K, 1.5, W, -1.0, XA, work)) exit(1);
  memcpy(G, G0, (size_t)nk * sizeof(double));
  if (odyn_conv_stencil_grad(&g, s, X, W, 0.75, G, work)) exit(1);
  if (sh.cin == sh.cout)
    for (long k = 0; k < nx; k++) YE[k] = X[k] + hstep * YA[k];

  {
    double *d_K = gc_dev(K, nk), *d_dK = gc_dev(dK, nk), *d_b = gc_dev(b, sh.cout), *d_X = gc_dev(X, nx), *d_W = gc_dev(W, ny);
    double *d_Y = gc_dev_off(Y0, ny, sh.off), *d_D = gc_dev_off(NULL, ny, sh.off), *d_XA = gc_dev_off(X0, nx, sh.off), *d_G = gc_dev(G0, nk), *d_Z = gc_dev_off(NULL, ny > nx ? ny : nx, sh.off);
    double *r, *r2;

    GC_CALL(odyn_cuda_conv3_forward(&g, s, d_K, 2.0, d_X, 0.5, d_Y));
    r = gc_back(d_Y, ny);
    gc_expectf(gc_reldiff(r, Y, ny), 1e-12, "%s forward Y = 0.5 Y + 2 K*X", tag);
    free(r);
    GC_CALL(odyn_cuda_conv3_forward_bias_act(&g, s, d_K, d_X, d_b, ODYN_PW_TANH, d_Y, d_D));
    r  = gc_back(d_Y, ny);
    r2 = gc_back(d_D, ny);
    gc_expectf(gc_reldiff(r, YA, ny), 1e-12, "%s forward tanh(K*X + b)", tag);
    gc_expectf(gc_reldiff(r2, DA, ny), 1e-12, "%s forward D = 1 - tanh^2", tag);
    free(r);
    free(r2);
    if (sh.cin == sh.cout) {
      GC_CALL(odyn_cuda_conv3_euler(&g, s, d_K, d_b, ODYN_PW_TANH, hstep, d_X, d_Z, d_D));
      r  = gc_back(d_Z, nx);
      r2 = gc_back(d_D, ny);
      gc_expectf(gc_reldiff(r, YE, nx), 1e-12, "%s fused Euler X + h tanh(K*X + b)", tag);
      gc_expectf(gc_reldiff(r2, DA, ny), 1e-12, "%s fused Euler D", tag);
      free(r);
      free(r2);
    }
    GC_CALL(odyn_cuda_conv3_adjoint(&g, s, d_K, 1.5, d_W, -1.0, d_XA));
    r = gc_back(d_XA, nx);
    gc_expectf(gc_reldiff(r, XA, nx), 1e-12, "%s adjoint X = -X + 1.5 K^T W", tag);
    free(r);
    GC_CALL(odyn_cuda_conv3_stencil_grad(&g, s, d_X, d_W, 0.75, d_G));
    r = gc_back(d_G, nk);
    gc_expectf(gc_reldiff(r, G, nk), 1e-12, "%s stencil gradient G += 0.75 dK", tag);
    free(r);
    /* device dot tests */
    {
      double lhs, rhs;
      GC_CALL(odyn_cuda_conv3_forward(&g, s, d_K, 1.0, d_X, 0.0, d_Y));
      GC_CALL(odyn_cuda_conv3_adjoint(&g, s, d_K, 1.0, d_W, 0.0, d_XA));
      r   = gc_back(d_Y, ny);
      r2  = gc_back(d_XA, nx);
      lhs = gc_dot(W, r, ny);
      rhs = gc_dot(r2, X, nx);
      gc_expectf(gc_dotdiff_scaled(lhs, rhs, W, r, ny), 1e-12, "%s device dot test <W, K*X> vs <K^T W, X>", tag);
      free(r);
      free(r2);
      GC_CALL(odyn_cuda_conv3_forward(&g, s, d_dK, 1.0, d_X, 0.0, d_Y));
      GC_CALL(odyn_cuda_zero(d_G, nk));
      GC_CALL(odyn_cuda_conv3_stencil_grad(&g, s, d_X, d_W, 1.0, d_G));
      r   = gc_back(d_Y, ny);
      r2  = gc_back(d_G, nk);
      lhs = gc_dot(W, r, ny);
      rhs = gc_dot(r2, dK, nk);
      gc_expectf(gc_dotdiff_scaled(lhs, rhs, W, r, ny), 1e-12, "%s device dot test <W, dK*X> vs <G(X,W), dK>", tag);
      free(r);
      free(r2);
    }
    double *all[] = {d_K, d_dK, d_b, d_X, d_W, d_G, d_Y - sh.off, d_D - sh.off, d_XA - sh.off, d_Z - sh.off};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) GC_CALL(odyn_cuda_free(all[i]));
  }
  free(K), free(dK), free(b), free(X), free(W), free(Y0), free(X0), free(G0), free(Y), free(YA), free(DA), free(XA), free(G), free(YE), free(work);
}

int main(void)
{
  /* the MNIST shape (one band, 224-thread blocks, 16-byte stores; at batch 300 and 1000 the blocks walk 2 and ~4 units
     through both shared buffers; the stencil gradient's 2 bands), the same with misaligned outputs (8-byte stores), 1x1
     images, widths not a multiple of 4 (the 4-pixel groups; odd widths: 8-byte stores), channel counts padded to a
     kernel's (3 -> 4, 5 -> 6, 9 -> 12), unequal channels, images split into several bands of rows (8 x 64 x 61;
     16 x 28 x 28: 3 bands, 96-thread blocks), and bands with more 4-pixel groups than a block has threads (2 x 40 x 120).
     Stencil gradient: all three stencil rows per thread for CO <= 8 (blocks of 32 cin threads: 32, 64, 96, 192, 256)
     and one row per thread for CO 12 (9 channels) and 16 (16 x 16, 2 -> 16) */
  const shape shapes[] = {
    {6, 6, 28, 28, 64, 0, 3},  {1, 1, 1, 1, 1, 0, 3},       {3, 5, 5, 7, 3, 0, 3},     {16, 16, 9, 13, 5, 0, 3}, {2, 16, 30, 33, 4, 0, 3},
    {8, 8, 64, 61, 2, 0, 3},   {16, 16, 28, 28, 3, 0, 3},   {9, 9, 6, 2, 17, 0, 3},    {6, 6, 28, 28, 300, 0, 3}, {4, 1, 3, 5, 2, 0, 3},
    {6, 6, 28, 28, 37, 1, 3},  {6, 6, 28, 28, 1000, 0, 3}, {2, 2, 40, 120, 3, 0, 3}, {16, 16, 28, 28, 5, 1, 3}, {3, 5, 5, 7, 3, 1, 3},
    /* more than 16 channels on either side: convgemm.cu (im2col + cuBLAS); 32 x 32 channels of 28 x 28 at batch 160
       are two chunks of examples (148 + 12), 24 -> 40 of 14 x 14 at batch 800 too (792 + 8: the chunks' offsets in
       arrays of different widths), misaligned outputs (cuBLAS takes any) */
    {17, 17, 8, 8, 3, 0, 3},   {1, 17, 3, 3, 2, 0, 3},      {6, 24, 14, 14, 7, 0, 3},  {20, 6, 9, 11, 4, 0, 3},  {40, 20, 5, 7, 3, 1, 3},
    {32, 32, 28, 28, 160, 0, 3}, {24, 40, 14, 14, 800, 0, 3},
    /* 1x1 stencils (convgemm.cu, no im2col): paper 000's connector 6 -> 12 at the MNIST size, 1 channel and 1 pixel,
       cin == cout (the Euler form), narrowing, wide with misaligned outputs, odd image sizes */
    {6, 12, 28, 28, 64, 0, 1}, {1, 1, 1, 1, 1, 0, 1},  {6, 6, 28, 28, 37, 1, 1}, {16, 4, 9, 13, 5, 0, 1},
    {20, 24, 14, 14, 50, 1, 1}, {3, 5, 5, 7, 3, 0, 1},
  };
  int st;

  gc_require_device("test_gpu_conv");
  for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) run(shapes[i]);
  {
    const odyn_conv_geom g5 = {8, 8, 2, 2, 5}, g0 = {8, 8, 0, 2, 3};
    st = odyn_cuda_conv3_forward(&g5, 1, NULL, 1.0, NULL, 0.0, NULL);
    printf("5x5 stencil: %s\n", odyn_cuda_status_string(st));
    if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "k = 5")) gc_failures++;
    st = odyn_cuda_conv3_stencil_grad(&g0, 1, NULL, NULL, 1.0, NULL);
    printf("no input channel: %s\n", odyn_cuda_status_string(st));
    if (st != ODYN_CUDA_ERR_ARG || !strstr(odyn_cuda_status_string(st), "cin = 0")) gc_failures++;
  }
  GC_CALL(odyn_cuda_synchronize());
  GC_CALL(odyn_cuda_kernels_finalize());
  printf("test_gpu_conv: %d failure(s)\n", gc_failures);
  return gc_failures ? 1 : 0;
}
