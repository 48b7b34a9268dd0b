#include "affine.h"

/*MC
   ODYNLAYERDENSE - "dense": F(theta, Y) = sigma(K Y + b), K n x n, b n (paper 001 eq. 2.1)

   Parameters of one step: theta_j = [K (column-major), b].

   Level: beginner

.seealso: `OdynLayerSetType()`, `ODYNLAYERANTISYM`, `ODYNLAYERNEGDEF`
M*/

static PetscErrorCode Map_Dense(PetscInt n, PetscReal gamma, const PetscScalar *K, PetscScalar *M)
{
  PetscFunctionBegin;
  PetscCall(PetscArraycpy(M, K, n * n));
  PetscFunctionReturn(0);
}

static PetscErrorCode DMap_Dense(PetscInt n, const PetscScalar *K, const PetscScalar *dK, PetscScalar *dM)
{
  PetscFunctionBegin;
  PetscCall(PetscArraycpy(dM, dK, n * n));
  PetscFunctionReturn(0);
}

static PetscErrorCode DMapT_Dense(PetscInt n, const PetscScalar *K, PetscScalar alpha, const PetscScalar *G, PetscScalar *gK)
{
  PetscFunctionBegin;
  odyn_axpy(n * n, alpha, G, gK);
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLayerCreate_Dense(OdynLayer layer)
{
  OdynLayer_Affine *a;

  PetscFunctionBegin;
  PetscCall(PetscNew(&a));
  a->map   = Map_Dense;
  a->dmap  = DMap_Dense;
  a->dmapt = DMapT_Dense;
  PetscCall(OdynLayerAffineSetOps_Private(layer, a));
  PetscFunctionReturn(0);
}
