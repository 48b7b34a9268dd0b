#include <odyn/private/schemeimpl.h>
#include <odyn/private/odynimpl.h>

/*MC
   ODYNSCHEMEEULER - "euler": forward Euler, the ResNet (paper 001 eq. 2.1)

     Y_{j+1} = Y_j + h F(theta_j, Y_j),  j = 0..N-1

   Tangent:  dY_{j+1} = dY_j + h (F_Y dY_j + F_theta dtheta_j)
   Adjoint:  g_j += h F_theta^T P_{j+1},  P_j = P_{j+1} + h F_Y^T P_{j+1},  P_N = W

   Not reversible: all states are stored. Needs a one-face layer.

   Level: beginner

.seealso: `OdynSchemeSetType()`, `ODYNSCHEMELEAPFROG`, `ODYNSCHEMEVERLET`
M*/

static PetscErrorCode OdynSchemeSetUp_Euler(OdynScheme scheme)
{
  PetscFunctionBegin;
  PetscCheck(scheme->layer->nfaces == 1, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_INCOMP, "Scheme euler needs a one-face layer F(theta, Y); layer %s has two faces: use -odyn_scheme_type verlet", ((PetscObject)scheme->layer)->type_name);
  PetscFunctionReturn(0);
}

/*
   Y1 = Y + h F(theta, Y): the layer's applyadd when it has one (one pass over the batch, results identical to the two
   passes), else apply and an axpby. -odyn_scheme_euler_fused 0 forces the two passes (tests compare the two paths).
*/
static PetscErrorCode EulerStep(OdynScheme scheme, const PetscScalar *thj, PetscReal h, const PetscScalar *Y, PetscScalar *Y1)
{
  OdynLayer      layer = scheme->layer;
  const PetscInt n = scheme->nstate[0], s = scheme->s;
  PetscBool      fused = PETSC_TRUE;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetBool(((PetscObject)scheme)->options, ((PetscObject)scheme)->prefix, "-odyn_scheme_euler_fused", &fused, NULL));
  if (fused && layer->ops->applyadd) {
    PetscCall(PetscLogEventBegin(ODYN_LayerApply, layer, 0, 0, 0));
    PetscUseTypeMethod(layer, applyadd, 0, thj, s, h, Y, Y1);
    PetscCall(PetscLogEventEnd(ODYN_LayerApply, layer, 0, 0, 0));
  } else {
    PetscCall(OdynLayerApply(layer, 0, thj, s, Y, Y1));
    odyn_axpby(n * s, 1.0, Y, h, Y1);
  }
  PetscFunctionReturn(0);
}

/*
   Whether the derivative sweeps accumulate the layer's product into the propagated vector itself (dY += h F_Y dY,
   P += h F_Y^T P) instead of into a copy: when the layer allows it (jacinplace) and -odyn_scheme_euler_fused is not
   0. The copy is a whole-batch pass per step (2 x 179 MiB for the convolutional benchmark, docs/benchmarks.md); the
   results are the same bit for bit, since out += alpha J v starts from the same values either way.
*/
static PetscErrorCode DerivInPlace(OdynScheme scheme, PetscBool *inplace)
{
  PetscBool fused = PETSC_TRUE;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetBool(((PetscObject)scheme)->options, ((PetscObject)scheme)->prefix, "-odyn_scheme_euler_fused", &fused, NULL));
  *inplace = fused && scheme->layer->jacinplace ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeForward_Euler(OdynScheme scheme, const PetscScalar *theta)
{
  const PetscReal h = scheme->T / scheme->N;

  PetscFunctionBegin;
  for (PetscInt j = 0; j < scheme->N; j++) {
    const PetscScalar *thj;
    PetscScalar       *Yj = OdynSchemeState_Private(scheme, 0, j), *Yj1 = OdynSchemeState_Private(scheme, 0, j + 1);

    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(EulerStep(scheme, thj, h, Yj, Yj1));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeTangent_Euler(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *dtheta, const PetscScalar *dY0, PetscScalar *dYN)
{
  const PetscReal h = scheme->T / scheme->N;
  const PetscInt  n = scheme->nstate[0], s = scheme->s;
  PetscScalar    *cur = scheme->work[0], *next = scheme->work[1];
  PetscBool       inplace;

  PetscFunctionBegin;
  PetscCall(DerivInPlace(scheme, &inplace));
  if (dY0) PetscCall(PetscArraycpy(cur, dY0, n * s));
  else PetscCall(PetscArrayzero(cur, n * s));
  for (PetscInt j = 0; j < scheme->N; j++) {
    const PetscScalar *thj, *dthj;
    PetscScalar       *tmp;

    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, dtheta, j, &dthj));
    PetscCall(OdynSchemeLinearizeStep_Private(scheme, 0, thj, j, OdynSchemeState_Private(scheme, 0, j)));
    if (inplace) { /* dY += h (F_Y dY + F_theta dtheta) without the copy (same sums, bit for bit) */
      PetscCall(OdynLayerJacobianXMult(scheme->layer, 0, h, cur, cur));
      if (dthj) PetscCall(OdynLayerJacobianThetaMult(scheme->layer, 0, h, dthj, cur));
      continue;
    }
    PetscCall(PetscArraycpy(next, cur, n * s));
    PetscCall(OdynLayerJacobianXMult(scheme->layer, 0, h, cur, next));
    if (dthj) PetscCall(OdynLayerJacobianThetaMult(scheme->layer, 0, h, dthj, next));
    tmp  = cur;
    cur  = next;
    next = tmp;
  }
  PetscCall(PetscArraycpy(dYN, cur, n * s));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeAdjoint_Euler(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *W, PetscScalar *gtheta, PetscScalar *gY0)
{
  const PetscReal h = scheme->T / scheme->N;
  const PetscInt  n = scheme->nstate[0], s = scheme->s;
  PetscScalar    *P = scheme->work[0], *Pnew = scheme->work[1], *Y;
  PetscBool       inplace;

  PetscFunctionBegin;
  PetscCall(DerivInPlace(scheme, &inplace));
  PetscCall(PetscArraycpy(P, W, n * s));
  PetscCall(OdynSchemeBackwardState_Private(scheme, theta, scheme->N, &Y, NULL));
  for (PetscInt j = scheme->N - 1; j >= 0; j--) {
    const PetscScalar *thj;
    PetscScalar       *tmp;

    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(OdynSchemeBackwardState_Private(scheme, theta, j, &Y, NULL));
    PetscCall(OdynSchemeLinearizeStep_Private(scheme, 0, thj, j, Y));
    if (inplace && gtheta && scheme->layer->ops->jacbotht) { /* g_j += h F_theta^T P and P += h F_Y^T P in one walk over P */
      PetscCall(PetscLogEventBegin(ODYN_LayerProduct, scheme->layer, 0, 0, 0));
      PetscUseTypeMethod(scheme->layer, jacbotht, 0, h, P, P, gtheta + OdynSchemeStepOffset_Private(scheme, j));
      PetscCall(PetscLogEventEnd(ODYN_LayerProduct, scheme->layer, 0, 0, 0));
      continue;
    }
    if (gtheta) PetscCall(OdynLayerJacobianThetaMultTranspose(scheme->layer, 0, h, P, gtheta + OdynSchemeStepOffset_Private(scheme, j)));
    if (inplace) { /* P += h F_Y^T P without the copy */
      PetscCall(OdynLayerJacobianXMultTranspose(scheme->layer, 0, h, P, P));
      continue;
    }
    PetscCall(PetscArraycpy(Pnew, P, n * s));
    PetscCall(OdynLayerJacobianXMultTranspose(scheme->layer, 0, h, P, Pnew));
    tmp  = P;
    P    = Pnew;
    Pnew = tmp;
  }
  if (gY0) PetscCall(PetscArraycpy(gY0, P, n * s));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynSchemeCreate_Euler(OdynScheme scheme)
{
  PetscFunctionBegin;
  scheme->ops->setup   = OdynSchemeSetUp_Euler;
  scheme->ops->forward = OdynSchemeForward_Euler;
  scheme->ops->tangent = OdynSchemeTangent_Euler;
  scheme->ops->adjoint = OdynSchemeAdjoint_Euler;
  PetscFunctionReturn(0);
}
