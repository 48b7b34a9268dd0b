#include <odyn/private/lossimpl.h>
#include <odyn/private/lossfn.h>

/*MC
   ODYNLOSSLSQ - "lsq": identity hypothesis with the least-squares loss (paper 001, after eq. 2.4)

     S(z, c) = 1/2 ||z - c||^2,  z = W^T y + mu,  c real (nc values per example)

   Gradient z - c; Hessian the identity. The predicted class is the argmax for nc > 1 and the score rounded to the
   nearest integer for nc = 1.

   Level: beginner

.seealso: `OdynLossSetType()`, `ODYNLOSSSOFTMAX`, `ODYNLOSSLOGISTIC`
M*/

/* the function of lossfn.h, shared with the backends (-odyn_backend hostref equals this bit for bit) */
static PetscErrorCode OdynLossValue_LSQ(OdynLoss loss, PetscInt s, const PetscScalar *Z, const PetscScalar *C, PetscReal *sum, PetscScalar *G)
{
  PetscFunctionBegin;
  *sum = odyn_lossfn_lsq_value(loss->nc * s, Z, C, 0.0, G);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLossHessMult_LSQ(OdynLoss loss, PetscInt s, const PetscScalar *Z, const PetscScalar *C, const PetscScalar *dZ, PetscScalar *H)
{
  PetscFunctionBegin;
  PetscCall(PetscArraycpy(H, dZ, loss->nc * s));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLossCheckTargets_LSQ(OdynLoss loss, PetscInt s, const PetscScalar *C, PetscInt *bad, PetscScalar *badval)
{
  PetscFunctionBegin;
  *bad = -1;
  for (PetscInt i = 0; i < loss->nc * s; i++) {
    if (PetscIsInfOrNanScalar(C[i])) {
      *bad    = i / loss->nc;
      *badval = C[i];
      break;
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLossLabel_LSQ(OdynLoss loss, PetscInt s, const PetscScalar *A, PetscBool istarget, PetscInt *lab)
{
  const PetscInt nc = loss->nc;

  PetscFunctionBegin;
  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *a = A + e * nc;
    if (nc == 1) {
      const PetscReal r = PetscFloorReal(PetscRealPart(a[0]) + 0.5);
      lab[e]            = (PetscInt)PetscMax(PetscMin(r, 1e9), -1e9); /* no overflow in the cast (a NaN score gives 1e9) */
    } else {
      PetscInt k = 0;
      for (PetscInt j = 1; j < nc; j++)
        if (PetscRealPart(a[j]) > PetscRealPart(a[k])) k = j;
      lab[e] = k;
    }
  }
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLossCreate_LSQ(OdynLoss loss)
{
  PetscFunctionBegin;
  loss->ops->value        = OdynLossValue_LSQ;
  loss->ops->hessmult     = OdynLossHessMult_LSQ;
  loss->ops->checktargets = OdynLossCheckTargets_LSQ;
  loss->lossfn            = ODYN_LOSSFN_LSQ;
  loss->ops->label        = OdynLossLabel_LSQ;
  loss->targetdesc        = "finite real values";
  PetscFunctionReturn(0);
}
