/*
  A program outside the odyn tree, built against an installed odyn (tests/install/run.sh): with pkg-config and with
  CMake's find_package(odyn). It builds a one-block network (forward Euler, 4 steps of a dense tanh layer of width 2,
  T = 1), sets every parameter to 0.1 (so the line does not depend on the parameter layout), runs the forward sweep
  over 10 examples spread over the ranks and prints one line with ||Y_N||, the same on any number of ranks.
*/
#include <odyn.h>

static const char help[] = "A program linked against an installed odyn: one forward sweep, one line of output.\n";

int main(int argc, char **argv)
{
  const PetscInt n = 2;
  PetscInt       s = 10, slocal = PETSC_DECIDE, rstart, rend, nparam;
  PetscMPIInt    size;
  OdynNet        net;
  OdynScheme     block;
  OdynLayer      layer;
  Vec            theta, Y0, YN;
  PetscScalar   *y;
  PetscReal      norm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));

  PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &block));
  PetscCall(OdynSchemeSetType(block, ODYNSCHEMEEULER));
  PetscCall(OdynSchemeSetNumSteps(block, 4));
  PetscCall(OdynSchemeSetFinalTime(block, 1.0));
  PetscCall(OdynSchemeGetLayer(block, &layer));
  PetscCall(OdynLayerSetType(layer, ODYNLAYERDENSE));
  PetscCall(OdynLayerSetWidth(layer, n));
  PetscCall(OdynLayerSetActivation(layer, ODYN_ACTIVATION_TANH));
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, &net));
  PetscCall(OdynNetAddBlock(net, block));
  PetscCall(OdynSchemeDestroy(&block));
  PetscCall(OdynNetSetUp(net));
  PetscCall(OdynNetGetNumParameters(net, &nparam));

  PetscCall(OdynNetCreateParameterVec(net, &theta));
  PetscCall(VecSet(theta, 0.1));
  PetscCall(PetscSplitOwnership(PETSC_COMM_WORLD, &slocal, &s));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, n * slocal, n * s, &Y0));
  PetscCall(VecDuplicate(Y0, &YN));
  PetscCall(VecGetOwnershipRange(Y0, &rstart, &rend));
  PetscCall(VecGetArray(Y0, &y));
  for (PetscInt k = rstart; k < rend; k++) y[k - rstart] = 0.1 * ((7 * (k + 1)) % 11) - 0.5; /* the same on any ranks */
  PetscCall(VecRestoreArray(Y0, &y));

  PetscCall(OdynNetForward(net, theta, Y0, YN));
  PetscCall(VecNorm(YN, NORM_2, &norm));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "odyn consumer: odyn %d.%d.%d, %d rank(s), %" PetscInt_FMT " examples, %" PetscInt_FMT " parameters, ||Y_N|| = %.6f\n", ODYN_VERSION_MAJOR, ODYN_VERSION_MINOR,
                        ODYN_VERSION_PATCH, size, s, nparam, (double)norm));

  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&Y0));
  PetscCall(VecDestroy(&YN));
  PetscCall(OdynNetDestroy(&net));
  PetscCall(PetscFinalize());
  return 0;
}
