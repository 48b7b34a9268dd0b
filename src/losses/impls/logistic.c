#include <odyn/private/lossimpl.h>
#include <odyn/private/lossfn.h>

/*MC
   ODYNLOSSLOGISTIC - "logistic": logistic regression for Bernoulli targets (paper 001 eq. 2.2, 2.4)

     S(z, c) = sum_k [ log(1 + exp(z_k)) - c_k z_k ],  z = W^T y + mu,  c_k in {0, 1} (or [0, 1])

   i.e. the cross entropy of the probabilities h(z) = exp(z) / (1 + exp(z)). nc = 1 is the binary classifier; nc > 1
   treats the outputs as independent Bernoulli variables. Evaluated stably: log(1 + exp(z)) = max(z, 0) +
   log1p(exp(-|z|)). Gradient h(z) - c; Hessian diag(h(z) (1 - h(z))).

   Level: beginner

.seealso: `OdynLossSetType()`, `ODYNLOSSSOFTMAX`, `ODYNLOSSLSQ`
M*/

/* h(z_k) per output: independent Bernoulli probabilities (Z may be H) */
static PetscErrorCode OdynLossHypothesis_Logistic(OdynLoss loss, PetscInt s, const PetscScalar *Z, PetscScalar *H)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < loss->nc * s; i++) H[i] = odyn_lossfn_sigmoid(PetscRealPart(Z[i]));
  PetscFunctionReturn(0);
}

/* the per-output function of lossfn.h, shared with the backends (-odyn_backend hostref equals this bit for bit) */
static PetscErrorCode OdynLossValue_Logistic(OdynLoss loss, PetscInt s, const PetscScalar *Z, const PetscScalar *C, PetscReal *sum, PetscScalar *G)
{
  PetscFunctionBegin;
  *sum = odyn_lossfn_logistic_value(loss->nc * s, Z, C, 0.0, G);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLossHessMult_Logistic(OdynLoss loss, PetscInt s, const PetscScalar *Z, const PetscScalar *C, const PetscScalar *dZ, PetscScalar *H)
{
  PetscFunctionBegin;
  odyn_lossfn_logistic_hessmult(loss->nc * s, Z, dZ, H);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLossCheckTargets_Logistic(OdynLoss loss, PetscInt s, const PetscScalar *C, PetscInt *bad, PetscScalar *badval)
{
  PetscFunctionBegin;
  *bad = -1;
  for (PetscInt i = 0; i < loss->nc * s; i++) {
    const PetscReal c = PetscRealPart(C[i]);
    if (!(c >= 0 && c <= 1)) {
      *bad    = i / loss->nc;
      *badval = c;
      break;
    }
  }
  PetscFunctionReturn(0);
}

/* nc = 1: the probability h(z) > 1/2, i.e. z > 0 (targets: c > 1/2); nc > 1: the most probable output */
static PetscErrorCode OdynLossLabel_Logistic(OdynLoss loss, PetscInt s, const PetscScalar *A, PetscBool istarget, PetscInt *lab)
{
  const PetscInt  nc        = loss->nc;
  const PetscReal threshold = istarget ? 0.5 : 0.0;

  PetscFunctionBegin;
  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *a = A + e * nc;
    if (nc == 1) lab[e] = PetscRealPart(a[0]) > threshold ? 1 : 0;
    else {
      PetscInt k = 0;
      for (PetscInt j = 1; j < nc; j++)
        if (PetscRealPart(a[j]) > PetscRealPart(a[k])) k = j;
      lab[e] = k;
    }
  }
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLossCreate_Logistic(OdynLoss loss)
{
  PetscFunctionBegin;
  loss->ops->value        = OdynLossValue_Logistic;
  loss->ops->hypothesis   = OdynLossHypothesis_Logistic;
  loss->ops->hessmult     = OdynLossHessMult_Logistic;
  loss->ops->checktargets = OdynLossCheckTargets_Logistic;
  loss->lossfn            = ODYN_LOSSFN_LOGISTIC;
  loss->ops->label        = OdynLossLabel_Logistic;
  loss->targetdesc        = "Bernoulli targets: values in {0, 1} (or probabilities in [0, 1])";
  PetscFunctionReturn(0);
}
