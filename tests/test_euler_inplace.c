/*
  Forward Euler's derivative sweeps without the per-step copy: for a layer that allows its products in place
  (jacinplace: the conv layers), dY += h (F_Y dY + F_theta dtheta) and P += h F_Y^T P accumulate into the vector
  itself, and the adjoint takes both transposed products in one walk (jacbotht); they must give bit for bit what the
  copy-then-accumulate path with separate products gives (-odyn_scheme_euler_fused 0), for the
  tangent (with dY0 and dtheta) and the adjoint (gtheta and gY0), with one chunk or many, with and without the saved
  linearization. Their correctness as derivatives is covered by the Taylor and dot-product walks (test_convnet.c,
  test_schemes.c), which run the in-place path.
*/
#include <string.h>
#include "odyntest.h"
#include <odyn/private/layerimpl.h>
#include <odyn/private/convkernels.h>

typedef struct {
  const char        *type;
  PetscInt           h, w, c;
  PetscBool          tv, cache;
  OdynActivationType act;
  long               chunk; /* odyn_conv_set_chunk_target(); 0: the default */
} InPlaceCase;

typedef struct {
  PetscInt     n, np;
  PetscBool    inplace;
  PetscScalar *dYN, *gtheta, *gY0; /* tangent output, adjoint outputs */
} Sweeps;

/* tangent and adjoint of a 4-step euler network with the layer of ic, in place (or not) */
static PetscErrorCode RunSweeps(const InPlaceCase *ic, PetscBool fused, PetscInt s, Sweeps *out)
{
  OdynScheme   scheme;
  OdynLayer    layer;
  PetscScalar *theta, *dtheta, *Y0, *dY0, *YN, *W;

  PetscFunctionBegin;
  PetscCall(PetscOptionsSetValue(NULL, "-odyn_scheme_euler_fused", fused ? "1" : "0"));
  odyn_conv_set_chunk_target(ic->chunk);
  PetscCall(OdynSchemeCreate(PETSC_COMM_SELF, &scheme));
  PetscCall(OdynSchemeSetType(scheme, ODYNSCHEMEEULER));
  PetscCall(OdynSchemeSetNumSteps(scheme, 4));
  PetscCall(OdynSchemeSetFinalTime(scheme, 1.5));
  PetscCall(OdynSchemeSetCacheLinearization(scheme, ic->cache));
  PetscCall(OdynSchemeGetLayer(scheme, &layer));
  PetscCall(OdynLayerSetType(layer, ic->type));
  if (ic->h) {
    PetscCall(OdynLayerConvSetImage(layer, ic->h, ic->w));
    PetscCall(OdynLayerConvSetChannels(layer, ic->c, 0));
    PetscCall(OdynLayerConvSetTVNorm(layer, ic->tv, 1e-2));
  } else PetscCall(OdynLayerSetWidth(layer, ic->c));
  PetscCall(OdynLayerSetActivation(layer, ic->act));
  PetscCall(OdynSchemeSetUp(scheme));
  out->inplace = layer->jacinplace;
  PetscCall(OdynSchemeGetWidth(scheme, &out->n));
  PetscCall(OdynSchemeGetNumParameters(scheme, &out->np));
  PetscCall(PetscMalloc6(out->np, &theta, out->np, &dtheta, out->n * s, &Y0, out->n * s, &dY0, out->n * s, &YN, out->n * s, &W));
  PetscCall(PetscMalloc3(out->n * s, &out->dYN, out->np, &out->gtheta, out->n * s, &out->gY0));
  PetscCall(OdynTestRandom(11, out->np, 0.7, theta));
  PetscCall(OdynTestRandom(12, out->n * s, 1.0, Y0));
  PetscCall(OdynTestRandom(13, out->np, 1.0, dtheta));
  PetscCall(OdynTestRandom(14, out->n * s, 1.0, dY0));
  PetscCall(OdynTestRandom(15, out->n * s, 1.0, W));
  PetscCall(OdynSchemeForward(scheme, theta, s, Y0, YN));
  PetscCall(OdynSchemeTangent(scheme, theta, dtheta, dY0, out->dYN));
  PetscCall(PetscArrayzero(out->gtheta, out->np));
  PetscCall(OdynSchemeAdjoint(scheme, theta, W, out->gtheta, out->gY0));
  PetscCall(PetscFree6(theta, dtheta, Y0, dY0, YN, W));
  PetscCall(OdynSchemeDestroy(&scheme));
  PetscCall(PetscOptionsClearValue(NULL, "-odyn_scheme_euler_fused"));
  odyn_conv_set_chunk_target(0);
  PetscFunctionReturn(0);
}

static PetscReal MaxAbs(PetscInt n, const PetscScalar *a)
{
  PetscReal m = 0;
  for (PetscInt i = 0; i < n; i++) m = PetscMax(m, PetscAbsScalar(a[i]));
  return m;
}

START_TEST(test_inplace_equals_copies)
{
  const InPlaceCase cases[] = {
    {ODYNLAYERCONV,          6, 5, 2, PETSC_FALSE, PETSC_TRUE,  ODYN_ACTIVATION_TANH, 0 },
    {ODYNLAYERCONV,          6, 5, 2, PETSC_FALSE, PETSC_FALSE, ODYN_ACTIVATION_TANH, 1 }, /* the smallest chunks, linearized each sweep */
    {ODYNLAYERCONV,          6, 5, 2, PETSC_TRUE,  PETSC_TRUE,  ODYN_ACTIVATION_RELU, 70}, /* normalized, small chunks */
    {ODYNLAYERCONVANTISYM,   5, 4, 3, PETSC_FALSE, PETSC_TRUE,  ODYN_ACTIVATION_TANH, 1 },
    {ODYNLAYERCONVSYMMETRIC, 5, 6, 2, PETSC_FALSE, PETSC_TRUE,  ODYN_ACTIVATION_TANH, 1 },
    {ODYNLAYERCONV,          8, 8, 6, PETSC_FALSE, PETSC_TRUE,  ODYN_ACTIVATION_TANH, 0 }, /* 6 channels: the direct kernels */
    {ODYNLAYERDENSE,         0, 0, 5, PETSC_FALSE, PETSC_TRUE,  ODYN_ACTIVATION_TANH, 0 }, /* not in place: the copies either way */
  };
  const PetscInt s = 7;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    Sweeps a, b;

    ODYN_CK(RunSweeps(&cases[i], PETSC_TRUE, s, &a));
    ODYN_CK(RunSweeps(&cases[i], PETSC_FALSE, s, &b));
    ck_assert_int_eq(a.n, b.n);
    ck_assert_msg(a.inplace == (cases[i].h ? PETSC_TRUE : PETSC_FALSE), "case %d (%s): jacinplace %d", (int)i, cases[i].type, (int)a.inplace);
    ck_assert_msg(MaxAbs(a.n * s, a.dYN) > 0.1 && MaxAbs(a.np, a.gtheta) > 0.1 && MaxAbs(a.n * s, a.gY0) > 0.1, "case %d (%s): trivial derivatives", (int)i, cases[i].type);
    ck_assert_msg(!memcmp(a.dYN, b.dYN, sizeof(PetscScalar) * a.n * s), "case %d (%s): tangents differ", (int)i, cases[i].type);
    ck_assert_msg(!memcmp(a.gtheta, b.gtheta, sizeof(PetscScalar) * a.np), "case %d (%s): parameter gradients differ", (int)i, cases[i].type);
    ck_assert_msg(!memcmp(a.gY0, b.gY0, sizeof(PetscScalar) * a.n * s), "case %d (%s): input gradients differ", (int)i, cases[i].type);
    ODYN_CK(PetscFree3(a.dYN, a.gtheta, a.gY0));
    ODYN_CK(PetscFree3(b.dYN, b.gtheta, b.gY0));
  }
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("euler_inplace");
  TCase *t = tcase_create("euler_inplace");
  tcase_add_test(t, test_inplace_equals_copies);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
