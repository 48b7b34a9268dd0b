#include "affine.h"

/*MC
   ODYNLAYERNEGDEF - "negdef": F(theta, Y) = sigma(K(C) Y + b) with K(C) = -C^T C (paper 001 eq. 4.14)

   K is negative semi-definite by construction, which makes the leapfrog network (paper 001 eq. 4.13) stable.

   Parameters of one step: theta_j = [C (column-major, n x n), b (n)].

   Level: beginner

.seealso: `OdynLayerSetType()`, `ODYNSCHEMELEAPFROG`
M*/

static PetscErrorCode Map_Negdef(PetscInt n, PetscReal gamma, const PetscScalar *C, PetscScalar *M)
{
  PetscFunctionBegin;
  OdynCallGemm('T', 'N', n, n, n, -1.0, C, n, C, n, 0.0, M, n);
  PetscFunctionReturn(0);
}

/* dM = -(dC^T C + C^T dC) */
static PetscErrorCode DMap_Negdef(PetscInt n, const PetscScalar *C, const PetscScalar *dC, PetscScalar *dM)
{
  PetscFunctionBegin;
  OdynCallGemm('T', 'N', n, n, n, -1.0, dC, n, C, n, 0.0, dM, n);
  OdynCallGemm('T', 'N', n, n, n, -1.0, C, n, dC, n, 1.0, dM, n);
  PetscFunctionReturn(0);
}

/* <G, -(dC^T C + C^T dC)> = <-C (G^T + G), dC> */
static PetscErrorCode DMapT_Negdef(PetscInt n, const PetscScalar *C, PetscScalar alpha, const PetscScalar *G, PetscScalar *gC)
{
  PetscFunctionBegin;
  OdynCallGemm('N', 'T', n, n, n, -alpha, C, n, G, n, 1.0, gC, n);
  OdynCallGemm('N', 'N', n, n, n, -alpha, C, n, G, n, 1.0, gC, n);
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLayerCreate_Negdef(OdynLayer layer)
{
  OdynLayer_Affine *a;

  PetscFunctionBegin;
  PetscCall(PetscNew(&a));
  a->map   = Map_Negdef;
  a->dmap  = DMap_Negdef;
  a->dmapt = DMapT_Negdef;
  PetscCall(OdynLayerAffineSetOps_Private(layer, a));
  PetscFunctionReturn(0);
}
