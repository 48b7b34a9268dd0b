/* Wrote tests/data/model_v1.h5 with the odyn of commit 5cf56e9 (format version 1, before settings; not built).
   Block 0: 3 Euler steps of an antisym layer (gamma 0.3) of width 3, tanh, T = 1.5; block 1: 2 Verlet steps of a
   Hamiltonian layer (width 3, hidden 4, relu), T = 1; softmax, 4 classes. theta_i = sin(i + 1) / 2, wmu_i = cos(i) / 3. */
#include <odyn.h>
#include <odynmodel.h>

int main(int argc, char **argv)
{
  OdynNet      net;
  OdynLoss     loss;
  OdynModel    m;
  Vec          theta, wmu;
  PetscOptions o;
  PetscInt     n, lo, hi;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(OdynInitializePackage());
  PetscCall(PetscOptionsCreate(&o));
  PetscCall(PetscOptionsInsertString(o, "-odyn_layer_antisym_gamma 0.3"));
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, &net));
  for (PetscInt b = 0; b < 2; b++) {
    OdynScheme sc;
    OdynLayer  l;

    PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
    PetscCall(OdynSchemeSetType(sc, b ? ODYNSCHEMEVERLET : ODYNSCHEMEEULER));
    PetscCall(OdynSchemeSetNumSteps(sc, b ? 2 : 3));
    PetscCall(OdynSchemeSetFinalTime(sc, b ? 1.0 : 1.5));
    PetscCall(OdynSchemeGetLayer(sc, &l));
    PetscCall(OdynLayerSetType(l, b ? ODYNLAYERHAMILTONIAN : ODYNLAYERANTISYM));
    PetscCall(OdynLayerSetWidth(l, 3));
    if (b) PetscCall(OdynLayerSetHiddenWidth(l, 4));
    PetscCall(OdynLayerSetActivation(l, b ? ODYN_ACTIVATION_RELU : ODYN_ACTIVATION_TANH));
    if (!b) {
      PetscCall(PetscObjectSetOptions((PetscObject)l, o));
      PetscCall(OdynLayerSetFromOptions(l));
      PetscCall(PetscObjectSetOptions((PetscObject)l, NULL));
    }
    PetscCall(OdynNetAddBlock(net, sc));
    PetscCall(OdynSchemeDestroy(&sc));
  }
  PetscCall(PetscOptionsDestroy(&o));
  PetscCall(OdynNetSetUp(net));
  PetscCall(OdynLossCreate(PETSC_COMM_WORLD, &loss));
  PetscCall(OdynLossSetType(loss, ODYNLOSSSOFTMAX));
  PetscCall(OdynLossSetNumFeatures(loss, 3));
  PetscCall(OdynLossSetNumClasses(loss, 4));
  PetscCall(OdynNetCreateParameterVec(net, &theta));
  PetscCall(OdynLossCreateWeightVec(loss, &wmu));
  PetscCall(VecGetOwnershipRange(theta, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(theta, i, PetscSinReal((PetscReal)(i + 1)) / 2, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(theta));
  PetscCall(VecAssemblyEnd(theta));
  PetscCall(VecGetOwnershipRange(wmu, &lo, &hi));
  for (PetscInt i = lo; i < hi; i++) PetscCall(VecSetValue(wmu, i, PetscCosReal((PetscReal)i) / 3, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(wmu));
  PetscCall(VecAssemblyEnd(wmu));
  PetscCall(VecGetSize(theta, &n));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "theta %d\n", (int)n));
  PetscCall(OdynModelCreate(PETSC_COMM_WORLD, &m));
  PetscCall(OdynModelSetParameters(m, net, loss, theta, wmu));
  PetscCall(OdynModelSetInfo(m, "format version 1 test file (tests/test_model_settings.c)"));
  PetscCall(OdynModelSave(m, "model_v1.h5"));
  PetscCall(OdynModelDestroy(&m));
  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&wmu));
  PetscCall(OdynLossDestroy(&loss));
  PetscCall(OdynNetDestroy(&net));
  PetscCall(PetscFinalize());
  return 0;
}
