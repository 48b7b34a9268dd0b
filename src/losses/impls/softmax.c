#include <odyn/private/lossimpl.h>
#include <odyn/private/lossfn.h>

/*MC
   ODYNLOSSSOFTMAX - "softmax": softmax hypothesis with cross-entropy loss (paper 001 eq. 2.3, 2.4)

     S(z, c) = -sum_k c_k log p_k(z),  p(z) = exp(z) / sum_k exp(z_k),  z = W^T y + mu

   Targets c: one-hot columns (or probability vectors: entries in [0, 1] that sum to 1). Needs nc >= 2 classes.
   Evaluated stably with log-sum-exp: S = sum_k c_k (lse(z) - z_k), lse(z) = m + log sum_k exp(z_k - m), m = max z.
   Gradient dS/dz = (sum_k c_k) p - c; Hessian (sum_k c_k) (diag(p) - p p^T).

   Level: beginner

.seealso: `OdynLossSetType()`, `ODYNLOSSLOGISTIC`, `ODYNLOSSLSQ`
M*/

/* p = exp(z - max z) / sum: the class probabilities of each column (Z may be H) */
static PetscErrorCode OdynLossHypothesis_Softmax(OdynLoss loss, PetscInt s, const PetscScalar *Z, PetscScalar *H)
{
  const PetscInt nc = loss->nc;

  PetscFunctionBegin;
  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *z = Z + e * nc;
    PetscScalar       *h = H + e * nc;
    PetscReal          m = PetscRealPart(z[0]), sum = 0;

    for (PetscInt k = 1; k < nc; k++) m = PetscMax(m, PetscRealPart(z[k]));
    for (PetscInt k = 0; k < nc; k++) sum += PetscRealPart(h[k] = PetscExpReal(PetscRealPart(z[k]) - m));
    for (PetscInt k = 0; k < nc; k++) h[k] /= sum;
  }
  PetscFunctionReturn(0);
}

/* the per-example function of lossfn.h, shared with the backends (-odyn_backend hostref equals this bit for bit) */
static PetscErrorCode OdynLossValue_Softmax(OdynLoss loss, PetscInt s, const PetscScalar *Z, const PetscScalar *C, PetscReal *sum, PetscScalar *G)
{
  const PetscInt nc = loss->nc;
  PetscReal      acc = 0;

  PetscFunctionBegin;
  for (PetscInt e = 0; e < s; e++) acc = odyn_lossfn_softmax_value(nc, Z + e * nc, C + e * nc, acc, G ? G + e * nc : NULL);
  *sum = acc;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLossHessMult_Softmax(OdynLoss loss, PetscInt s, const PetscScalar *Z, const PetscScalar *C, const PetscScalar *dZ, PetscScalar *H)
{
  const PetscInt nc = loss->nc;

  PetscFunctionBegin;
  for (PetscInt e = 0; e < s; e++) odyn_lossfn_softmax_hessmult(nc, Z + e * nc, C + e * nc, dZ + e * nc, H + e * nc);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLossCheckTargets_Softmax(OdynLoss loss, PetscInt s, const PetscScalar *C, PetscInt *bad, PetscScalar *badval)
{
  const PetscInt nc = loss->nc;

  PetscFunctionBegin;
  *bad = -1;
  for (PetscInt e = 0; e < s && *bad < 0; e++) {
    PetscReal csum = 0;
    for (PetscInt k = 0; k < nc; k++) {
      const PetscReal ck = PetscRealPart(C[e * nc + k]);
      if (!(ck >= 0 && ck <= 1)) { /* also catches NaN */
        *bad    = e;
        *badval = ck;
        break;
      }
      csum += ck;
    }
    if (*bad < 0 && PetscAbsReal(csum - 1) > 1e-8) {
      *bad    = e;
      *badval = csum;
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLossSetUp_Softmax(OdynLoss loss)
{
  PetscFunctionBegin;
  PetscCheck(loss->nc >= 2, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_OUTOFRANGE, "The softmax loss needs at least 2 classes, got nc = %" PetscInt_FMT ": for a binary classifier with one output use -odyn_loss_type logistic", loss->nc);
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLossCreate_Softmax(OdynLoss loss)
{
  PetscFunctionBegin;
  loss->ops->setup        = OdynLossSetUp_Softmax;
  loss->ops->value        = OdynLossValue_Softmax;
  loss->ops->hypothesis   = OdynLossHypothesis_Softmax;
  loss->ops->hessmult     = OdynLossHessMult_Softmax;
  loss->ops->checktargets = OdynLossCheckTargets_Softmax;
  loss->lossfn            = ODYN_LOSSFN_SOFTMAX;
  loss->targetdesc        = "one-hot columns (entries in [0, 1] that sum to 1: a class label per example)";
  PetscFunctionReturn(0);
}
