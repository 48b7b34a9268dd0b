/*
  The host kernels' tanh (include/odyn/private/vtanh.h) against long-double tanhl, in ulp of the double result, over
  a dense sweep of x: a fine uniform grid over [-25, 25] (both signs, past the point where tanh rounds to 1), a
  logarithmic grid of |x| from the smallest subnormal to 1e300 (tiny values, where the relative error matters), the
  points where the range reduction switches k, and the special values +-0, +-inf, NaN, +-DBL_MAX. Checked through
  the three ways it is reached: the direct convolution kernels' tanh (odyn_conv_direct_tanh(), the clone the kernels
  run), odyn_bias_act() (dense layers and the GEMM / TV-norm paths of the conv layers; with and without a bias, wide
  and narrow states), and the inline function itself compiled here (the baseline x86-64 code, 4 and 8 wide). sigma'
  is 1 - t^2 of the returned t, to 1 ulp (one FMA or not).
*/
#include <float.h>
#include <math.h>
#include "odyntest.h"
#include <odyn/private/backend.h>
#include <odyn/private/convkernels.h>
#include <odyn/private/pointwise.h>
#include <odyn/private/vtanh.h>

/* measured at most 2.78 ulp (just above |x| = ln(2)/4); a broken constant or step costs far more than this bound */
#define MAX_ULP 3.5
#ifndef DBL_TRUE_MIN
  #define DBL_TRUE_MIN 4.9406564584124654e-324
#endif

/* error of y in ulps of a double at tanh(x) (the reference in long double, 11 more bits; the ulp 2^(e - 53) for
   |tanh(x)| = m 2^e, m in [1/2, 1), so that values just below 1 are measured in their own ulp, 2^-53) */
static double UlpError(double x, double y)
{
  const long double ref = tanhl((long double)x);
  int               e;
  double            ulp;

  (void)frexpl(ref, &e);
  ulp = ref == 0 ? DBL_TRUE_MIN : fmax(ldexp(1.0, e - 53), DBL_TRUE_MIN);
  if (isnan(y)) return INFINITY;
  return (double)(fabsl((long double)y - ref) / ulp);
}

/* the sweep: n points, returned in *x (PetscMalloc'ed) */
static PetscErrorCode Sweep(PetscInt *n, double **x)
{
  const PetscInt nu = 500001, nl = 2 * 640 * 20 + 1, nk = 2 * 60 * 21;
  PetscInt       m  = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(nu + nl + nk, x));
  for (PetscInt i = 0; i < nu; i++) (*x)[m++] = -25.0 + 50.0 * i / (nu - 1) + 1e-7 * sin((double)i); /* not only grid values */
  for (PetscInt i = 0; i < nl; i++) { /* |x| from 4.9e-324 to 1e300, 20 points per decade, both signs */
    const double t = -323.3 + (323.3 + 300.0) * (double)(i / 2) / (double)(nl / 2);
    (*x)[m++]      = (i % 2 ? -1.0 : 1.0) * pow(10.0, t);
  }
  for (PetscInt k = 1; k <= 60; k++) /* around |x| = (k - 1/2) ln(2) / 2, where rint(2|x| / ln 2) steps */
    for (PetscInt j = -10; j <= 10; j++) {
      const double c = (k - 0.5) * M_LN2 / 2 * (1.0 + j * 1e-15);
      (*x)[m++]      = c;
      (*x)[m++]      = -c;
    }
  *n = m;
  PetscFunctionReturn(0);
}

/* max ulp error of y against x, and sigma' = 1 - y^2 to 1 ulp */
static double Check(const char *label, PetscInt n, const double *x, const double *y, const double *d)
{
  double worst = 0, wx = 0;

  for (PetscInt i = 0; i < n; i++) {
    const double e = UlpError(x[i], y[i]);
    if (e > worst) worst = e, wx = x[i];
    if (d) ck_assert_msg(fabs(d[i] - (1.0 - y[i] * y[i])) <= 2.3e-16, "%s: sigma' at x = %.17g is %.17g, 1 - t^2 = %.17g", label, x[i], d[i], 1.0 - y[i] * y[i]);
  }
  ck_assert_msg(worst <= MAX_ULP, "%s: tanh is %.3g ulp off at x = %.17g (bound %g)", label, worst, wx, MAX_ULP);
  return worst;
}

START_TEST(test_sweep)
{
  PetscInt n;
  double  *x, *y, *d, *b, worst;

  ODYN_CK(Sweep(&n, &x));
  ODYN_CK(PetscMalloc3(n, &y, n, &d, n, &b));
  /* the convolution kernels' */
  ODYN_CK(PetscArraycpy(y, x, n));
  odyn_conv_direct_tanh(n, y, d);
  worst = Check("odyn_conv_direct_tanh", n, x, y, d);
  ODYN_CK(PetscPrintf(PETSC_COMM_SELF, "tanh: %" PetscInt_FMT " points, at most %.3f ulp from tanhl (conv kernels)\n", n, worst));
  /* odyn_bias_act without bias: one run over all values */
  ODYN_CK(PetscArraycpy(y, x, n));
  odyn_bias_act(ODYN_PW_TANH, 1, n, NULL, y, d);
  (void)Check("odyn_bias_act", n, x, y, d);
  /* the inline function as compiled here, 4 and 8 wide */
  for (int wide = 0; wide < 2; wide++) {
    ODYN_CK(PetscArraycpy(y, x, n));
    odyn_vtanh_run(n, NULL, y, wide ? NULL : d, wide);
    (void)Check(wide ? "odyn_vtanh_run 8 wide" : "odyn_vtanh_run 4 wide", n, x, y, wide ? NULL : d);
  }
  /* odyn_bias_act with a bias, on a wide state (bias in the same pass) and a narrow one (bias first): x = y0 + b */
  for (PetscInt width = 3; width <= 37; width += 34) {
    const PetscInt s = n / width;
    for (PetscInt i = 0; i < width; i++) b[i] = 0.25 * (i - width / 2);
    for (PetscInt e = 0; e < s; e++)
      for (PetscInt i = 0; i < width; i++) y[e * width + i] = x[e * width + i] - b[i];
    for (PetscInt k = 0; k < s * width; k++) x[k] = y[k] + b[k % width]; /* the argument tanh actually gets */
    odyn_bias_act(ODYN_PW_TANH, width, s, b, y, d);
    (void)Check(width < 16 ? "odyn_bias_act, narrow, bias" : "odyn_bias_act, wide, bias", s * width, x, y, d);
  }
  ODYN_CK(PetscFree3(y, d, b));
  ODYN_CK(PetscFree(x));
}
END_TEST

/* tanh is odd, exactly: the sign is or'ed onto tanh|x| */
START_TEST(test_odd)
{
  PetscInt n;
  double  *x, *y, *z;

  ODYN_CK(Sweep(&n, &x));
  ODYN_CK(PetscMalloc2(n, &y, n, &z));
  for (PetscInt i = 0; i < n; i++) y[i] = x[i], z[i] = -x[i];
  odyn_conv_direct_tanh(n, y, NULL);
  odyn_conv_direct_tanh(n, z, NULL);
  for (PetscInt i = 0; i < n; i++) ck_assert_msg(y[i] == -z[i], "tanh(-x) != -tanh(x) at x = %.17g", x[i]);
  ODYN_CK(PetscFree2(y, z));
  ODYN_CK(PetscFree(x));
}
END_TEST

START_TEST(test_special)
{
  const double x[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, DBL_MAX, -DBL_MAX, DBL_TRUE_MIN, -DBL_TRUE_MIN, DBL_MIN, 1e-200, 19.1, -19.1, 20.0, 1e5};
  const PetscInt n = (PetscInt)(sizeof(x) / sizeof(x[0]));
  double         y[sizeof(x) / sizeof(x[0])], d[sizeof(x) / sizeof(x[0])], b[sizeof(x) / sizeof(x[0])] = {0};

  for (int path = 0; path < 2; path++) {
    for (PetscInt i = 0; i < n; i++) y[i] = x[i];
    if (path == 0) odyn_conv_direct_tanh(n, y, d);
    else odyn_bias_act(ODYN_PW_TANH, n, 1, NULL, y, d);
    ck_assert(y[0] == 0.0 && !signbit(y[0]) && d[0] == 1.0);
    ck_assert(y[1] == 0.0 && signbit(y[1])); /* tanh(-0) = -0 */
    ck_assert(y[2] == 1.0 && y[3] == -1.0 && d[2] == 0.0 && d[3] == 0.0);
    ck_assert(isnan(y[4]) && isnan(y[5]) && isnan(d[4])); /* NaN -> NaN, never +-1 or 0 */
    ck_assert(y[6] == 1.0 && y[7] == -1.0);
    ck_assert(y[8] == DBL_TRUE_MIN && y[9] == -DBL_TRUE_MIN && y[10] == DBL_MIN && y[11] == 1e-200); /* tanh(x) = x for tiny x */
    ck_assert(y[12] == 1.0 && y[13] == -1.0 && y[14] == 1.0 && y[15] == 1.0);
  }
  /* a bias does not turn -0 into +0 where it is absent (NULL), and x + b is what gets the tanh */
  for (PetscInt i = 0; i < n; i++) y[i] = x[i];
  b[0] = 0.5;
  odyn_bias_act(ODYN_PW_TANH, n, 1, b, y, NULL);
  ck_assert(UlpError(0.5, y[0]) <= MAX_ULP && y[1] == 0.0 && signbit(y[1]) == 0); /* -0 + 0 = +0 under round to nearest */
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("tanh");
  TCase *t = tcase_create("tanh");
  tcase_add_test(t, test_sweep);
  tcase_add_test(t, test_odd);
  tcase_add_test(t, test_special);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
