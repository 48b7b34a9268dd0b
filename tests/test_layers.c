/*
  Layer-level conformance of every registered layer (shell excepted: see test_shell.c), for every activation and every
  face, through OdynTestLayerFace(): Taylor tests of F w.r.t. theta and X, dot-product tests of both derivatives, the
  accumulate contract of the four products (out += alpha * product), that OdynLayerApply() leaves the linearization
  intact, and that the faces of a two-face layer keep separate linearizations. Also: a product before
  OdynLayerLinearize() and a face out of range are refused with a message that names the fix.
*/
#include <string.h>
#include "odyntest.h"

static PetscErrorCode CheckLayer(const char *ltype, OdynActivationType act)
{
  const PetscInt    n = 3, m = 4, s = 5;
  PetscInt          nfaces, nin, nout, np;
  OdynLayer         layer;
  OdynTaylorOptions topt;
  PetscScalar      *dummy;

  PetscFunctionBegin;
  PetscCall(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  PetscCall(OdynLayerSetType(layer, ltype));
  PetscCall(OdynLayerSetWidth(layer, n));
  if (!strcmp(ltype, ODYNLAYERSYMMETRIC) || !strcmp(ltype, ODYNLAYERHAMILTONIAN)) PetscCall(OdynLayerSetHiddenWidth(layer, m));
  PetscCall(OdynLayerSetActivation(layer, act));
  PetscCall(OdynLayerSetUp(layer));
  PetscCall(OdynLayerGetNumFaces(layer, &nfaces));
  ck_assert_msg(nfaces >= 1 && nfaces <= 2, "layer %s has %d faces", ltype, (int)nfaces);

  /* a product before any linearization is refused with a message that names the fix */
  PetscCall(OdynLayerGetFaceSizes(layer, 0, &nin, &nout));
  PetscCall(OdynLayerGetNumParameters(layer, &np));
  PetscCall(PetscCalloc1((nin + nout + np) * s, &dummy));
  odyn_ck_error_contains(OdynLayerJacobianXMult(layer, 0, 1.0, dummy, dummy + nin * s), "OdynLayerLinearize");
  odyn_ck_error_contains(OdynLayerJacobianThetaMultTranspose(layer, 0, 1.0, dummy, dummy + nout * s), "OdynLayerLinearize");
  PetscCall(PetscFree(dummy));

  OdynTaylorOptionsDefault(&topt);
  /* ReLU: with a few dozen pre-activations (unlike a whole network, test_schemes.c) one kink crossed at the largest eps
     leaves too few halvings to judge; a small eps0 keeps the ball inside one linear piece, where the remainder is
     O(eps^2) or zero */
  if (act == ODYN_ACTIVATION_RELU || !strncmp(ltype, "diffusion", 9)) {
    /* the diffusion layers' row-sum rescaling is piecewise linear in K (paper 002 Sec. 3.3): the same small ball */
    topt.order2_min = 2.4;
    topt.eps0       = 1e-3;
  }
  for (PetscInt face = 0; face < nfaces; face++) {
    char label[256];
    PetscCall(PetscSNPrintf(label, sizeof(label), "%s/%s/face %d", ltype, OdynActivationTypes[act], (int)face));
    PetscCall(OdynTestLayerFace(layer, face, s, 20 + 10 * face, &topt, label));
  }
  PetscCall(OdynLayerDestroy(&layer));
  PetscFunctionReturn(0);
}

START_TEST(test_all_layers)
{
  const char **names;
  int          nl;
  PetscInt     nchecked = 0;

  ODYN_CK(OdynInitializePackage());
  /* walk the registry: a newly registered layer is tested here without editing this file */
  ODYN_CK(PetscFunctionListGet(OdynLayerList, &names, &nl));
  for (int j = 0; j < nl; j++) {
    if (!names[j]) continue;                         /* PETSc 3.18 ends the array with NULL and counts it in nl */
    if (!strcmp(names[j], ODYNLAYERSHELL)) continue; /* needs user callbacks: see test_shell.c */
    for (int act = ODYN_ACTIVATION_IDENTITY; act <= ODYN_ACTIVATION_LAST; act++) ODYN_CK(CheckLayer(names[j], (OdynActivationType)act));
    nchecked++;
  }
  ODYN_CK(PetscFree(names));
  ck_assert_int_ge(nchecked, 5); /* dense, antisym, negdef, symmetric, hamiltonian */
}
END_TEST

START_TEST(test_face_out_of_range)
{
  OdynLayer   layer;
  PetscScalar th[12] = {0}, X[3] = {0}, F[3];

  ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERDENSE));
  ODYN_CK(OdynLayerSetWidth(layer, 3));
  odyn_ck_error_contains(OdynLayerApply(layer, 0, th, 1, X, F), "OdynLayerSetUp()");
  ODYN_CK(OdynLayerSetUp(layer));
  odyn_ck_error_contains(OdynLayerApply(layer, 1, th, 1, X, F), "Face 1 out of range");
  odyn_ck_error_contains(OdynLayerLinearize(layer, 1, th, 1, X), "Face 1 out of range");
  ODYN_CK(OdynLayerDestroy(&layer));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("layers");
  TCase *t = tcase_create("conformance");
  tcase_add_test(t, test_all_layers);
  tcase_add_test(t, test_face_out_of_range);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
