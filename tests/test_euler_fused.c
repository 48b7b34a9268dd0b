/*
  Forward Euler's fused step: a layer with the optional op applyadd (Y1 = Y + h F(theta, Y) in one pass, the conv
  layers) must give bit for bit what apply followed by the whole-batch axpby gives (-odyn_scheme_euler_fused 0), with
  one chunk or many; a layer without it (dense) takes the two-pass path either way. The derivatives of both paths are
  covered by the conformance walks (test_schemes.c, test_conv.c), which run the fused forward.
*/
#include <string.h>
#include "odyntest.h"
#include <odyn/private/layerimpl.h>
#include <odyn/private/convkernels.h>

typedef struct {
  const char        *type;
  PetscInt           h, w, c;
  PetscBool          tv;
  OdynActivationType act;
  long               chunk; /* odyn_conv_set_chunk_target(); 0: the default */
} FusedCase;

/* YN of a 4-step euler network with the layer of fc, fused (or not) */
static PetscErrorCode RunForward(const FusedCase *fc, PetscBool fused, PetscInt s, PetscScalar **YN, PetscInt *n, PetscBool *hasop)
{
  OdynScheme   scheme;
  OdynLayer    layer;
  PetscInt     np;
  PetscScalar *theta, *Y0;

  PetscFunctionBegin;
  PetscCall(PetscOptionsSetValue(NULL, "-odyn_scheme_euler_fused", fused ? "1" : "0"));
  odyn_conv_set_chunk_target(fc->chunk);
  PetscCall(OdynSchemeCreate(PETSC_COMM_SELF, &scheme));
  PetscCall(OdynSchemeSetType(scheme, ODYNSCHEMEEULER));
  PetscCall(OdynSchemeSetNumSteps(scheme, 4));
  PetscCall(OdynSchemeSetFinalTime(scheme, 1.5));
  PetscCall(OdynSchemeGetLayer(scheme, &layer));
  PetscCall(OdynLayerSetType(layer, fc->type));
  if (fc->h) {
    PetscCall(OdynLayerConvSetImage(layer, fc->h, fc->w));
    PetscCall(OdynLayerConvSetChannels(layer, fc->c, 0));
    PetscCall(OdynLayerConvSetTVNorm(layer, fc->tv, 1e-2));
  } else PetscCall(OdynLayerSetWidth(layer, fc->c));
  PetscCall(OdynLayerSetActivation(layer, fc->act));
  PetscCall(OdynSchemeSetUp(scheme));
  *hasop = layer->ops->applyadd ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(OdynSchemeGetWidth(scheme, n));
  PetscCall(OdynSchemeGetNumParameters(scheme, &np));
  PetscCall(PetscMalloc2(np, &theta, *n * s, &Y0));
  PetscCall(PetscMalloc1(*n * s, YN));
  PetscCall(OdynTestRandom(11, np, 0.7, theta));
  PetscCall(OdynTestRandom(12, *n * s, 1.0, Y0));
  PetscCall(OdynSchemeForward(scheme, theta, s, Y0, *YN));
  PetscCall(PetscFree2(theta, Y0));
  PetscCall(OdynSchemeDestroy(&scheme));
  PetscCall(PetscOptionsClearValue(NULL, "-odyn_scheme_euler_fused"));
  odyn_conv_set_chunk_target(0);
  PetscFunctionReturn(0);
}

START_TEST(test_fused_equals_two_passes)
{
  const FusedCase cases[] = {
    {ODYNLAYERCONV,        6, 5, 2, PETSC_FALSE, ODYN_ACTIVATION_TANH, 0 },
    {ODYNLAYERCONV,        6, 5, 2, PETSC_FALSE, ODYN_ACTIVATION_TANH, 1 }, /* the smallest chunks */
    {ODYNLAYERCONV,        6, 5, 2, PETSC_TRUE,  ODYN_ACTIVATION_RELU, 70}, /* normalized, small chunks */
    {ODYNLAYERCONVANTISYM, 5, 4, 3, PETSC_FALSE, ODYN_ACTIVATION_TANH, 1 },
    {ODYNLAYERCONV,        8, 8, 6, PETSC_FALSE, ODYN_ACTIVATION_TANH, 0 }, /* 6 channels: the direct kernels */
    {ODYNLAYERDENSE,       0, 0, 5, PETSC_FALSE, ODYN_ACTIVATION_TANH, 0 }, /* no applyadd: the two passes */
  };
  const PetscInt s = 7;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    PetscScalar *A, *B;
    PetscInt     n, n2;
    PetscBool    has, has2;
    PetscReal    amax = 0;

    ODYN_CK(RunForward(&cases[i], PETSC_TRUE, s, &A, &n, &has));
    ODYN_CK(RunForward(&cases[i], PETSC_FALSE, s, &B, &n2, &has2));
    ck_assert_int_eq(n, n2);
    ck_assert_msg(has == (cases[i].h ? PETSC_TRUE : PETSC_FALSE), "case %d (%s): applyadd %s", (int)i, cases[i].type, has ? "present" : "absent");
    for (PetscInt k = 0; k < n * s; k++) amax = PetscMax(amax, PetscAbsScalar(A[k]));
    ck_assert_msg(amax > 0.1, "case %d (%s): trivial output", (int)i, cases[i].type);
    ck_assert_msg(!memcmp(A, B, sizeof(PetscScalar) * n * s), "case %d (%s): fused and two-pass Euler steps differ", (int)i, cases[i].type);
    ODYN_CK(PetscFree(A));
    ODYN_CK(PetscFree(B));
  }
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("euler_fused");
  TCase *t = tcase_create("euler_fused");
  tcase_add_test(t, test_fused_equals_two_passes);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
