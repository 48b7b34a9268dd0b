/*
  Convolution kernels (src/backend/host/conv.c) against a naive direct convolution, on small random cases with
  cin != cout, non-square images, 3x3 and 1x1 stencils, and a batch that spans several im2col chunks, once for each
  path (im2col + GEMM, and the direct kernels of convdirect.c: also rows that are not whole vectors, images narrower
  than a vector, output channels in several register blocks, up to 16 channels); the adjoint in
  the input and in the stencil, and pooling, against their definitions (dot-product identities). Then every
  convolutional layer type at the layer level through OdynTestLayerFace() (Taylor, dot-product, accumulate and
  linearization contracts) with multi-channel non-square images, with and without TV normalization, and pooling.
*/
#include <math.h>
#include <string.h>
#include "odyntest.h"
#include <odyn/private/convkernels.h>
#include <odyn/private/pointwise.h>

/* Y[e][o][i][j] = sum_{c,a,b} K[o][c][a][b] X[e][c][i+a-p][j+b-p] (zero outside) */
static void NaiveConv(const odyn_conv_geom *g, long s, const double *K, const double *X, double *Y)
{
  const long h = g->h, w = g->w, k = g->k, p = k / 2;
  for (long e = 0; e < s; e++)
    for (long o = 0; o < g->cout; o++)
      for (long i = 0; i < h; i++)
        for (long j = 0; j < w; j++) {
          double sum = 0;
          for (long c = 0; c < g->cin; c++)
            for (long a = 0; a < k; a++)
              for (long b = 0; b < k; b++) {
                const long ii = i + a - p, jj = j + b - p;
                if (ii >= 0 && ii < h && jj >= 0 && jj < w) sum += K[((o * g->cin + c) * k + a) * k + b] * X[((e * g->cin + c) * h + ii) * w + jj];
              }
          Y[((e * g->cout + o) * h + i) * w + j] = sum;
        }
}

static double Dot(long n, const double *a, const double *b)
{
  double s = 0;
  for (long i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static double MaxDiff(long n, const double *a, const double *b)
{
  double d = 0;
  for (long i = 0; i < n; i++) d = PetscMax(d, PetscAbsReal(a[i] - b[i]));
  return d;
}

static PetscErrorCode CheckKernels(long h, long w, long cin, long cout, long k, long s)
{
  odyn_conv_geom g = {h, w, cin, cout, k};
  const long     nx = cin * h * w * s, ny = cout * h * w * s, nk = cin * cout * k * k;
  double        *K, *dK, *X, *W, *Y, *Yn, *Z, *G, *work, a, b;

  PetscFunctionBegin;
  PetscCall(PetscMalloc6(nk, &K, nk, &dK, nx, &X, ny, &W, ny, &Y, ny, &Yn));
  PetscCall(PetscMalloc3(nx, &Z, nk, &G, odyn_conv_work_size(&g), &work));
  PetscCall(OdynTestRandom(11, nk, 1.0, K));
  PetscCall(OdynTestRandom(12, nk, 1.0, dK));
  PetscCall(OdynTestRandom(13, nx, 1.0, X));
  PetscCall(OdynTestRandom(14, ny, 1.0, W));
  /* the path under test is the one forced (odyn_conv_set_method()); the direct one exists for 3x3 stencils only */
  ck_assert_int_eq(odyn_conv_uses_direct(&g), odyn_conv_get_method() == ODYN_CONV_METHOD_DIRECT && k == 3);
  /* forward against the naive convolution, and its alpha/beta contract */
  NaiveConv(&g, s, K, X, Yn);
  ck_assert_int_eq(odyn_conv_forward(&g, s, K, 1.0, X, 0.0, Y, work), 0);
  ck_assert_msg(MaxDiff(ny, Y, Yn) < 1e-12, "conv %ldx%ld %ld->%ld k=%ld s=%ld: forward differs from the direct convolution by %.3e", h, w, cin, cout, k, s, MaxDiff(ny, Y, Yn));
  ck_assert_int_eq(odyn_conv_forward(&g, s, K, -2.0, X, 3.0, Y, work), 0);
  /* Y = 3 Yn - 2 Yn = Yn */
  ck_assert_msg(MaxDiff(ny, Y, Yn) < 1e-11, "forward with alpha, beta: %.3e", MaxDiff(ny, Y, Yn));
  /* with the bias per output channel (W's first cout entries as the bias) */
  ck_assert_int_eq(odyn_conv_forward_bias(&g, s, K, X, W, Y, work), 0);
  for (long e = 0; e < s; e++)
    for (long o = 0; o < cout; o++)
      for (long p = 0; p < h * w; p++) ck_assert_msg(PetscAbsReal(Y[(e * cout + o) * h * w + p] - Yn[(e * cout + o) * h * w + p] - W[o]) < 1e-12, "forward with bias differs at example %ld channel %ld pixel %ld", e, o, p);
  /* with bias and tanh, and its derivative (the layers' forward) */
  {
    double *D;
    PetscCall(PetscMalloc1(ny, &D));
    ck_assert_int_eq(odyn_conv_forward_bias_act(&g, s, K, X, W, ODYN_PW_TANH, Y, D, work), 0);
    for (long e = 0; e < s; e++)
      for (long o = 0; o < cout; o++)
        for (long p = 0; p < h * w; p++) {
          const long   i = (e * cout + o) * h * w + p;
          const double t = tanh(Yn[i] + W[o]);
          ck_assert_msg(PetscAbsReal(Y[i] - t) < 1e-12 && PetscAbsReal(D[i] - (1 - t * t)) < 1e-12, "forward with bias and tanh differs at example %ld channel %ld pixel %ld: %.17g vs %.17g", e, o, p, Y[i], t);
        }
    PetscCall(PetscFree(D));
  }
  /* adjoint in the input: <W, K X> = <K^T W, X>, and beta accumulates */
  ck_assert_int_eq(odyn_conv_adjoint(&g, s, K, 1.0, W, 0.0, Z, work), 0);
  a = Dot(ny, W, Yn), b = Dot(nx, Z, X);
  ck_assert_msg(PetscAbsReal(a - b) <= 1e-12 * PetscAbsReal(a), "adjoint in the input: <W, KX> = %.16e, <K^T W, X> = %.16e", a, b);
  ck_assert_int_eq(odyn_conv_adjoint(&g, s, K, 0.5, W, 1.0, Z, work), 0);
  ck_assert_msg(PetscAbsReal(Dot(nx, Z, X) - 1.5 * b) <= 1e-12 * PetscAbsReal(b), "adjoint with beta = 1 does not accumulate");
  /* adjoint in the stencil: <W, dK X> = <G, dK> */
  NaiveConv(&g, s, dK, X, Yn);
  PetscCall(PetscArrayzero(G, nk));
  ck_assert_int_eq(odyn_conv_stencil_grad(&g, s, X, W, 1.0, G, work), 0);
  a = Dot(ny, W, Yn), b = Dot(nk, G, dK);
  ck_assert_msg(PetscAbsReal(a - b) <= 1e-12 * PetscAbsReal(a), "adjoint in the stencil: <W, dK X> = %.16e, <G, dK> = %.16e", a, b);
  /* flip: the adjoint of K -> flip(K) is flip with the channels exchanged */
  {
    double *F1, *F2;
    PetscCall(PetscCalloc2(nk, &F1, nk, &F2));
    odyn_conv_flip_add(cin, cout, k, 1.0, K, F1);
    odyn_conv_flip_add(cout, cin, k, 1.0, dK, F2);
    a = Dot(nk, F1, dK), b = Dot(nk, K, F2);
    ck_assert_msg(PetscAbsReal(a - b) <= 1e-13 * PetscAbsReal(a), "flip is not adjoint to flip with cin, cout exchanged");
    PetscCall(PetscFree2(F1, F2));
  }
  /* 2x2 average pooling (even sizes only) and its adjoint */
  if (h % 2 == 0 && w % 2 == 0) {
    const long np = cout * (h / 2) * (w / 2) * s;
    double    *P;
    PetscCall(PetscMalloc1(np, &P));
    odyn_avgpool2(cout, h, w, s, 1.0, Y, 0.0, P);
    ck_assert(PetscAbsReal(P[0] - 0.25 * (Y[0] + Y[1] + Y[w] + Y[w + 1])) < 1e-14);
    odyn_avgpool2_adjoint(cout, h, w, s, 1.0, P, 0.0, Yn);
    a = Dot(np, P, P), b = Dot(ny, Yn, Y);
    ck_assert_msg(PetscAbsReal(a - b) <= 1e-13 * PetscAbsReal(a), "pooling adjoint: %.16e vs %.16e", a, b);
    PetscCall(PetscFree(P));
  }
  PetscCall(PetscFree3(Z, G, work));
  PetscCall(PetscFree6(K, dK, X, W, Y, Yn));
  PetscFunctionReturn(0);
}

START_TEST(test_kernels)
{
  const int methods[] = {ODYN_CONV_METHOD_GEMM, ODYN_CONV_METHOD_DIRECT};

  for (int m = 0; m < 2; m++) {
    odyn_conv_set_method(methods[m]);
    ODYN_CK(CheckKernels(5, 4, 2, 3, 3, 3));    /* non-square, cin < cout */
    ODYN_CK(CheckKernels(4, 6, 3, 2, 3, 2));    /* cin > cout, even sizes: pooling; direct: a row of 1.5 vectors */
    ODYN_CK(CheckKernels(6, 2, 4, 5, 1, 3));    /* 1x1 connector (GEMM path either way) */
    ODYN_CK(CheckKernels(3, 1, 1, 1, 3, 2));    /* a 1-D signal, as the conformance tests use */
    ODYN_CK(CheckKernels(20, 30, 4, 7, 3, 13)); /* several im2col chunks, the last one partial (one example) */
    ODYN_CK(CheckKernels(7, 9, 3, 13, 3, 4));   /* direct: 13 outputs in blocks 5,4,4 (gradient 3,3,3,2,2), w % 4 = 1 */
    ODYN_CK(CheckKernels(9, 2, 16, 1, 3, 2));   /* 16 -> 1 channels, image narrower than a vector */
    ODYN_CK(CheckKernels(6, 11, 16, 16, 3, 3)); /* the most channels of the size rule, w % 4 = 3 */
    ODYN_CK(CheckKernels(28, 28, 6, 6, 3, 3));  /* the benchmark's shape */
    odyn_conv_set_chunk_target(1);              /* one example per chunk: the GEMM writes the state directly */
    ODYN_CK(CheckKernels(5, 4, 2, 3, 3, 3));
    ODYN_CK(CheckKernels(6, 2, 4, 5, 1, 2));
    odyn_conv_set_chunk_target(0);
  }
  odyn_conv_set_method(ODYN_CONV_METHOD_AUTO);
}
END_TEST

/* the direct path's own tanh against libm's, over the range and at the special values */
START_TEST(test_tanh)
{
  const long n = 20003;
  double    *y, *d, *x, maxerr = 0;

  ODYN_CK(PetscMalloc3(n, &x, n, &y, n, &d));
  for (long i = 0; i < n; i++) x[i] = (i - n / 2) * 4e-3 * (i % 3 ? 1.0 : 1e-3); /* [-40, 40] and tiny values */
  x[0] = 0.0, x[1] = -0.0, x[2] = 1e-300, x[3] = -710.0, x[4] = 1e308, x[5] = 20.0, x[6] = -19.06, x[7] = 0.3466;
  ODYN_CK(PetscArraycpy(y, x, n));
  odyn_conv_direct_tanh(n, y, d);
  for (long i = 0; i < n; i++) {
    const double t = tanh(x[i]);
    maxerr         = PetscMax(maxerr, PetscAbsReal(y[i] - t));
    ck_assert_msg(PetscAbsReal(d[i] - (1 - y[i] * y[i])) <= 2.3e-16, "tanh derivative at %g", x[i]); /* the kernels' 1 - t^2 may be one FMA: 1 ulp */
  }
  ck_assert_msg(maxerr < 5e-16, "direct tanh differs from libm's by %.3e", maxerr);
  ck_assert(y[0] == 0.0 && y[3] == -1.0 && y[4] == 1.0 && signbit(y[1]));
  y[0] = NAN;
  odyn_conv_direct_tanh(1, y, NULL);
  ck_assert(isnan(y[0]));
  ODYN_CK(PetscFree3(x, y, d));
}
END_TEST

/* the size rule: direct for 3x3 stencils and few channels on images at least a vector wide */
START_TEST(test_method_rule)
{
  odyn_conv_geom g = {28, 28, 6, 6, 3};

  odyn_conv_set_method(ODYN_CONV_METHOD_AUTO);
  ck_assert_int_eq(odyn_conv_get_method(), ODYN_CONV_METHOD_AUTO);
  ck_assert(odyn_conv_uses_direct(&g));
  g.cout = 32;
  ck_assert(!odyn_conv_uses_direct(&g));
  g.cout = 6, g.w = 1;
  ck_assert(!odyn_conv_uses_direct(&g));
  g.w = 28, g.k = 1;
  ck_assert(!odyn_conv_uses_direct(&g));
  g.k = 3;
  odyn_conv_set_method(ODYN_CONV_METHOD_GEMM);
  ck_assert(!odyn_conv_uses_direct(&g));
  g.cin = g.cout = 64;
  odyn_conv_set_method(ODYN_CONV_METHOD_DIRECT);
  ck_assert(odyn_conv_uses_direct(&g));
  odyn_conv_set_method(ODYN_CONV_METHOD_AUTO);
}
END_TEST

typedef struct {
  const char *type;
  PetscInt    h, w, c, c2, k;
  PetscBool   pool;
} LayerCase;

static PetscErrorCode CheckLayer(const LayerCase *lc, PetscBool tv, OdynActivationType act)
{
  OdynLayer         layer;
  OdynTaylorOptions topt;
  PetscInt          nfaces, n;

  PetscFunctionBegin;
  PetscCall(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  PetscCall(OdynLayerSetType(layer, lc->type));
  PetscCall(OdynLayerConvSetImage(layer, lc->h, lc->w));
  PetscCall(OdynLayerConvSetChannels(layer, lc->c, lc->c2));
  PetscCall(OdynLayerConvSetKernelSize(layer, lc->k));
  PetscCall(OdynLayerConvSetPooling(layer, lc->pool));
  PetscCall(OdynLayerConvSetTVNorm(layer, tv, 1e-2));
  PetscCall(OdynLayerAntisymSetGamma(layer, 0.3));
  PetscCall(OdynLayerSetActivation(layer, act));
  PetscCall(OdynLayerSetUp(layer));
  PetscCall(OdynLayerGetWidth(layer, &n));
  ck_assert_int_eq(n, lc->c * lc->h * lc->w);
  PetscCall(OdynLayerGetNumFaces(layer, &nfaces));
  OdynTaylorOptionsDefault(&topt);
  /* the normalization U / sqrt(|U|^2 + eps) curves on the scale sqrt(eps) where |U| is small: start the halvings there */
  if (tv) topt.eps0 = 1e-2;
  if (act == ODYN_ACTIVATION_RELU) {
    /* piecewise linear: a kink crossed inside the larger eps-balls spoils the remainder there (as in test_schemes.c);
       once eps is small enough the remainder is O(eps^2) or round-off, and only those last halvings are judged */
    topt.eps0     = tv ? 1e-2 : 1e-3;
    topt.tail     = 3;
  }
  for (PetscInt f = 0; f < nfaces; f++) {
    char label[256];
    PetscCall(PetscSNPrintf(label, sizeof(label), "%s %dx%d ch %d,%d k %d%s%s/%s/face %d", lc->type, (int)lc->h, (int)lc->w, (int)lc->c, (int)lc->c2, (int)lc->k, lc->pool ? " pool" : "", tv ? " tvnorm" : "", OdynActivationTypes[act], (int)f));
    PetscCall(OdynTestLayerFace(layer, f, 3, 40 + 10 * f, &topt, label));
  }
  PetscCall(OdynLayerDestroy(&layer));
  PetscFunctionReturn(0);
}

START_TEST(test_layers)
{
  const int methods[] = {ODYN_CONV_METHOD_GEMM, ODYN_CONV_METHOD_DIRECT};
  const LayerCase cases[] = {
    {ODYNLAYERCONV,            5, 4, 2, 2, 3, PETSC_FALSE},
    {ODYNLAYERCONV,            4, 6, 2, 3, 3, PETSC_TRUE }, /* opening-like, with pooling */
    {ODYNLAYERCONV,            4, 2, 3, 5, 1, PETSC_TRUE }, /* 1x1 connector with pooling */
    {ODYNLAYERCONVANTISYM,     3, 5, 3, 3, 3, PETSC_FALSE},
    {ODYNLAYERCONVSYMMETRIC,   5, 3, 2, 3, 3, PETSC_FALSE},
    {ODYNLAYERCONVHAMILTONIAN, 4, 3, 2, 3, 3, PETSC_FALSE},
  };
  /* every case on both paths of the kernels */
  for (int m = 0; m < 2; m++) {
    odyn_conv_set_method(methods[m]);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
      for (int tv = 0; tv < 2; tv++)
        for (int act = ODYN_ACTIVATION_IDENTITY; act <= ODYN_ACTIVATION_RELU; act++) ODYN_CK(CheckLayer(&cases[i], (PetscBool)tv, (OdynActivationType)act));
    /* again with one example per chunk: the layers walk the 3 examples in 3 chunks */
    odyn_conv_set_chunk_target(1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
      for (int tv = 0; tv < 2; tv++) ODYN_CK(CheckLayer(&cases[i], (PetscBool)tv, ODYN_ACTIVATION_TANH));
    odyn_conv_set_chunk_target(0);
  }
  odyn_conv_set_method(ODYN_CONV_METHOD_AUTO);
}
END_TEST

/* bad sizes are refused with a message that names the option */
START_TEST(test_errors)
{
  OdynLayer layer;
  PetscInt  c, c2;

  ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERCONV));
  ODYN_CK(OdynLayerConvSetImage(layer, 5, 4));
  ODYN_CK(OdynLayerConvSetPooling(layer, PETSC_TRUE));
  odyn_ck_error_contains(OdynLayerSetUp(layer), "even image size");
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERCONVANTISYM));
  ODYN_CK(OdynLayerConvSetChannels(layer, 2, 3));
  odyn_ck_error_contains(OdynLayerSetUp(layer), "-odyn_layer_channels");
  ODYN_CK(OdynLayerConvGetChannels(layer, &c, &c2));
  ck_assert(c == 2 && c2 == 3);
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERCONVSYMMETRIC));
  ODYN_CK(OdynLayerConvSetChannels(layer, 2, 0));
  ODYN_CK(OdynLayerSetWidth(layer, 7));
  odyn_ck_error_contains(OdynLayerSetUp(layer), "-odyn_layer_image");
  odyn_ck_error_contains(OdynLayerConvSetKernelSize(layer, 2), "odd");
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERDENSE));
  odyn_ck_error_contains(OdynLayerConvGetChannels(layer, &c, &c2), "has no image and channels");
  /* the chunk size is fixed at set-up */
  {
    PetscScalar th[20] = {0}, X[4] = {0}, F[4];
    ODYN_CK(OdynLayerSetType(layer, ODYNLAYERCONV));
    ODYN_CK(OdynLayerSetWidth(layer, 4));
    ODYN_CK(OdynLayerSetUp(layer));
    odyn_conv_set_chunk_target(1);
    odyn_ck_error_contains(OdynLayerApply(layer, 0, th, 1, X, F), "set the layer up again");
    odyn_conv_set_chunk_target(0);
  }
  ODYN_CK(OdynLayerDestroy(&layer));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("conv");
  TCase *t = tcase_create("conv");
  tcase_add_test(t, test_kernels);
  tcase_add_test(t, test_method_rule);
  tcase_add_test(t, test_tanh);
  tcase_add_test(t, test_layers);
  tcase_add_test(t, test_errors);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
