/*
  Bad input gives a clear PETSc error: each test asserts the text of the message, so that a message that stops naming
  the problem (or the fix) fails here.
*/
#include <math.h>
#include <string.h>
#include "odyntest.h"

/* one block: scheme stype over layer ltype of width n, set up */
static PetscErrorCode MakeBlock(const char *stype, const char *ltype, PetscInt n, OdynScheme *scheme)
{
  OdynLayer layer;

  PetscFunctionBegin;
  PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, scheme));
  PetscCall(OdynSchemeSetType(*scheme, stype));
  PetscCall(OdynSchemeSetNumSteps(*scheme, 3));
  PetscCall(OdynSchemeGetLayer(*scheme, &layer));
  PetscCall(OdynLayerSetType(layer, ltype));
  PetscCall(OdynLayerSetWidth(layer, n));
  PetscFunctionReturn(0);
}

static PetscErrorCode MakeNet(const char *stype, const char *ltype, PetscInt n, OdynNet *net)
{
  OdynScheme scheme;

  PetscFunctionBegin;
  PetscCall(MakeBlock(stype, ltype, n, &scheme));
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, net));
  PetscCall(OdynNetAddBlock(*net, scheme));
  PetscCall(OdynSchemeDestroy(&scheme));
  PetscCall(OdynNetSetUp(*net));
  PetscFunctionReturn(0);
}

START_TEST(test_unknown_types)
{
  OdynLayer  layer;
  OdynScheme scheme;

  ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  odyn_ck_error_contains(OdynLayerSetType(layer, "nosuch"), "Unknown OdynLayer type \"nosuch\"");
  ODYN_CK(OdynSchemeCreate(PETSC_COMM_WORLD, &scheme));
  odyn_ck_error_contains(OdynSchemeSetType(scheme, "nosuch"), "Unknown OdynScheme type \"nosuch\"");
  ODYN_CK(OdynSchemeDestroy(&scheme));

  /* the same through the options database */
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_layer_type", "nosuch"));
  odyn_ck_error_contains(OdynLayerSetFromOptions(layer), "Unknown OdynLayer type \"nosuch\"");
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_layer_type"));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_layer_width", "0"));
  odyn_ck_error_contains(OdynLayerSetFromOptions(layer), "-odyn_layer_width must be positive");
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_layer_width"));
  ODYN_CK(OdynLayerDestroy(&layer));
}
END_TEST

START_TEST(test_bad_sizes)
{
  OdynLayer  layer;
  OdynScheme scheme;
  OdynNet    net;

  ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  odyn_ck_error_contains(OdynLayerSetWidth(layer, 0), "layer width must be >= 1, got 0");
  odyn_ck_error_contains(OdynLayerSetHiddenWidth(layer, -1), "hidden width must be >= 0, got -1");
  /* a square-matrix layer with a hidden width of its own */
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERDENSE));
  ODYN_CK(OdynLayerSetWidth(layer, 3));
  ODYN_CK(OdynLayerSetHiddenWidth(layer, 4));
  odyn_ck_error_contains(OdynLayerSetUp(layer), "square weight matrix");
  ODYN_CK(OdynLayerDestroy(&layer));

  ODYN_CK(OdynSchemeCreate(PETSC_COMM_WORLD, &scheme));
  odyn_ck_error_contains(OdynSchemeSetNumSteps(scheme, 0), "number of steps must be >= 1, got 0");
  odyn_ck_error_contains(OdynSchemeSetFinalTime(scheme, -1.0), "final time must be positive and finite");
  odyn_ck_error_contains(OdynSchemeSetFinalTime(scheme, 0.0), "final time must be positive and finite");
  odyn_ck_error_contains(OdynSchemeSetFinalTime(scheme, (PetscReal)NAN), "final time must be positive and finite");
  odyn_ck_error_contains(OdynSchemeSetFinalTime(scheme, (PetscReal)INFINITY), "final time must be positive and finite");
  ODYN_CK(OdynSchemeDestroy(&scheme));

  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  odyn_ck_error_contains(OdynNetSetUp(net), "no blocks");
  ODYN_CK(OdynNetDestroy(&net));
}
END_TEST

START_TEST(test_incompatible_blocks)
{
  OdynScheme scheme, second;
  OdynNet    net;

  ODYN_CK(MakeBlock(ODYNSCHEMEEULER, ODYNLAYERDENSE, 3, &scheme));
  ODYN_CK(OdynSchemeSetTrajectoryType(scheme, ODYN_TRAJECTORY_RECOMPUTE));
  odyn_ck_error_contains(OdynSchemeSetUp(scheme), "not reversible");
  ODYN_CK(OdynSchemeDestroy(&scheme));

  ODYN_CK(MakeBlock(ODYNSCHEMEEULER, ODYNLAYERHAMILTONIAN, 3, &scheme));
  odyn_ck_error_contains(OdynSchemeSetUp(scheme), "needs a one-face layer");
  ODYN_CK(OdynSchemeDestroy(&scheme));
  ODYN_CK(MakeBlock(ODYNSCHEMELEAPFROG, ODYNLAYERHAMILTONIAN, 3, &scheme));
  odyn_ck_error_contains(OdynSchemeSetUp(scheme), "needs a one-face layer");
  ODYN_CK(OdynSchemeDestroy(&scheme));
  ODYN_CK(MakeBlock(ODYNSCHEMEVERLET, ODYNLAYERDENSE, 3, &scheme));
  odyn_ck_error_contains(OdynSchemeSetUp(scheme), "needs a two-face layer");
  ODYN_CK(OdynSchemeDestroy(&scheme));

  /* blocks whose widths do not chain */
  ODYN_CK(MakeBlock(ODYNSCHEMEEULER, ODYNLAYERDENSE, 3, &scheme));
  ODYN_CK(MakeBlock(ODYNSCHEMELEAPFROG, ODYNLAYERDENSE, 4, &second));
  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  ODYN_CK(OdynNetAddBlock(net, scheme));
  ODYN_CK(OdynNetAddBlock(net, second));
  odyn_ck_error_contains(OdynNetSetUp(net), "Block 1 has width 4 but block 0 produces width 3");
  ODYN_CK(OdynSchemeDestroy(&scheme));
  ODYN_CK(OdynSchemeDestroy(&second));
  ODYN_CK(OdynNetDestroy(&net));
}
END_TEST

START_TEST(test_bad_vecs)
{
  const PetscInt n = 3, s = 4;
  OdynNet        net;
  Vec            theta, short_theta, Y0, Y0odd, YN, Y5, W5, dY5, gtheta;

  ODYN_CK(MakeNet(ODYNSCHEMEEULER, ODYNLAYERDENSE, n, &net));
  ODYN_CK(OdynNetCreateParameterVec(net, &theta));
  ODYN_CK(VecDuplicate(theta, &gtheta));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, 5, &short_theta));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, n * s, PETSC_DETERMINE, &Y0));
  ODYN_CK(VecDuplicate(Y0, &YN));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, n * s + 1, PETSC_DETERMINE, &Y0odd));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, n * (s + 1), PETSC_DETERMINE, &Y5));
  ODYN_CK(VecDuplicate(Y5, &W5));
  ODYN_CK(VecDuplicate(Y5, &dY5));
  ODYN_CK(OdynTestRandomVec(1, 0.5, theta));
  ODYN_CK(OdynTestRandomVec(2, 1.0, Y0));

  /* before any forward sweep */
  odyn_ck_error_contains(OdynNetJacobianMult(net, theta, NULL, YN), "Call OdynNetForward()");
  odyn_ck_error_contains(OdynNetJacobianMultTranspose(net, YN, gtheta, NULL), "Call OdynNetForward()");

  odyn_ck_error_contains(OdynNetForward(net, short_theta, Y0, YN), "Parameter Vec has length 5");
  odyn_ck_error_contains(OdynNetForward(net, theta, Y0odd, NULL), "not a multiple of the width 3");

  /* a good forward, then directions with a different number of examples */
  ODYN_CK(OdynNetForward(net, theta, Y0, YN));
  odyn_ck_error_contains(OdynNetJacobianMult(net, NULL, dY5, YN), "local examples");
  odyn_ck_error_contains(OdynNetJacobianMult(net, theta, NULL, Y5), "local examples");
  odyn_ck_error_contains(OdynNetJacobianMult(net, short_theta, NULL, YN), "Parameter Vec has length 5");
  odyn_ck_error_contains(OdynNetJacobianMultTranspose(net, W5, gtheta, NULL), "local examples");
  odyn_ck_error_contains(OdynNetJacobianMultTranspose(net, YN, NULL, dY5), "local examples");
  odyn_ck_error_contains(OdynNetJacobianMultTranspose(net, YN, short_theta, NULL), "Parameter Vec has length 5");
  /* the good calls still work after the refused ones */
  ODYN_CK(OdynNetJacobianMult(net, theta, Y0, YN));
  ODYN_CK(OdynNetJacobianMultTranspose(net, YN, gtheta, Y0));
  /* an output Vec that does not match the forward's examples */
  odyn_ck_error_contains(OdynNetForward(net, theta, Y0, Y5), "local examples");

  ODYN_CK(VecDestroy(&theta));
  ODYN_CK(VecDestroy(&gtheta));
  ODYN_CK(VecDestroy(&short_theta));
  ODYN_CK(VecDestroy(&Y0));
  ODYN_CK(VecDestroy(&Y0odd));
  ODYN_CK(VecDestroy(&YN));
  ODYN_CK(VecDestroy(&Y5));
  ODYN_CK(VecDestroy(&W5));
  ODYN_CK(VecDestroy(&dY5));
  ODYN_CK(OdynNetDestroy(&net));
}
END_TEST

/* The antisym diffusion has a setter and a getter; bad values and the wrong layer type are refused clearly. */
START_TEST(test_antisym_gamma)
{
  OdynLayer l;
  PetscReal g = -1;

  ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &l));
  ODYN_CK(OdynLayerSetType(l, ODYNLAYERANTISYM));
  ODYN_CK(OdynLayerAntisymSetGamma(l, 0.25));
  ODYN_CK(OdynLayerAntisymGetGamma(l, &g));
  ck_assert_msg(g == 0.25, "gamma read back as %g", (double)g);
  odyn_ck_error_contains(OdynLayerAntisymSetGamma(l, -1.0), "gamma must be finite and >= 0");
  ODYN_CK(OdynLayerSetType(l, ODYNLAYERDENSE));
  ODYN_CK(OdynLayerAntisymSetGamma(l, 0.5)); /* not antisym: nothing to set, like PETSc's type-specific setters */
  odyn_ck_error_contains(OdynLayerAntisymGetGamma(l, &g), "OdynLayerAntisymGetGamma_C");
  ODYN_CK(OdynLayerDestroy(&l));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("errors");
  TCase *t = tcase_create("messages");
  tcase_add_test(t, test_unknown_types);
  tcase_add_test(t, test_bad_sizes);
  tcase_add_test(t, test_incompatible_blocks);
  tcase_add_test(t, test_bad_vecs);
  tcase_add_test(t, test_antisym_gamma);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
