#include <odyn/private/schemeimpl.h>
#include <odyn/private/odynimpl.h>

/*MC
   ODYNSCHEMEVERLET - "verlet": the symplectic Verlet scheme for the Hamiltonian network Y' = F(theta, Z),
   Z' = -G(theta, Y) (paper 001 eq. 4.15, 4.17; paper 000's Hamiltonian CNN)

     Z_{j+1/2} = Z_{j-1/2} - h G(theta_j, Y_j)
     Y_{j+1}   = Y_j + h F(theta_j, Z_{j+1/2}),      j = 0..N-1,  Z_{-1/2} = 0

   Tangent:  dZ -= h (G_Y dY_j + G_theta dtheta_j);  dY += h (F_Z dZ + F_theta dtheta_j)
   Adjoint (P for Y, Q for Z; P = W, Q = 0 at the end): for j = N-1..0
     Q += h F_Z^T P,  g_j += h F_theta^T P    (F at Z_{j+1/2})
     P -= h G_Y^T Q,  g_j -= h G_theta^T Q    (G at Y_j)

   Reversible: Y_j = Y_{j+1} - h F(theta_j, Z_{j+1/2}), Z_{j-1/2} = Z_{j+1/2} + h G(theta_j, Y_j). Needs a two-face
   layer (hamiltonian, or shell with two faces); K may be non-square (Z has the hidden width m). State k of
   component 1 is Z_{k-1/2}. Only Y enters and leaves the block.

   Level: beginner

.seealso: `OdynSchemeSetType()`, `ODYNLAYERHAMILTONIAN`, `ODYNSCHEMELEAPFROG`
M*/

static PetscErrorCode OdynSchemeSetUp_Verlet(OdynScheme scheme)
{
  OdynLayer layer = scheme->layer;

  PetscFunctionBegin;
  PetscCheck(layer->nfaces == 2, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_INCOMP, "Scheme verlet needs a two-face layer (F for Y, G for Z), such as -odyn_layer_type hamiltonian; layer %s has one face", ((PetscObject)layer)->type_name);
  PetscCheck(layer->nout[0] == layer->nin[1] && layer->nin[0] == layer->nout[1], PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_SIZ, "Faces of layer %s do not fit Verlet: F maps %" PetscInt_FMT " -> %" PetscInt_FMT ", G maps %" PetscInt_FMT " -> %" PetscInt_FMT, ((PetscObject)layer)->type_name, layer->nin[0], layer->nout[0], layer->nin[1], layer->nout[1]);
  scheme->ncomp     = 2;
  scheme->nstate[0] = layer->nout[0];
  scheme->nstate[1] = layer->nin[0];
  PetscFunctionReturn(0);
}

/* (Y_{j+1}, Z_{j+1/2}) from (Y_j, Z_{j-1/2}); work[3] holds F or G */
static PetscErrorCode Step_Verlet(OdynScheme scheme, const PetscScalar *theta, PetscInt j)
{
  const PetscReal    h = scheme->T / scheme->N;
  const PetscInt     n = scheme->nstate[0], m = scheme->nstate[1], s = scheme->s;
  const PetscScalar *thj;
  PetscScalar       *Yj = OdynSchemeState_Private(scheme, 0, j), *Yj1 = OdynSchemeState_Private(scheme, 0, j + 1);
  PetscScalar       *Zj = OdynSchemeState_Private(scheme, 1, j), *Zj1 = OdynSchemeState_Private(scheme, 1, j + 1);
  PetscScalar       *F  = scheme->work[3];

  PetscFunctionBegin;
  PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
  PetscCall(OdynLayerApply(scheme->layer, 1, thj, s, Yj, Zj1));
  odyn_axpby(m * s, 1.0, Zj, -h, Zj1);
  PetscCall(OdynLayerApply(scheme->layer, 0, thj, s, Zj1, F));
  for (PetscInt i = 0; i < n * s; i++) Yj1[i] = Yj[i] + h * F[i];
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeForward_Verlet(OdynScheme scheme, const PetscScalar *theta)
{
  PetscFunctionBegin;
  for (PetscInt j = 0; j < scheme->N; j++) PetscCall(Step_Verlet(scheme, theta, j));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeTangent_Verlet(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *dtheta, const PetscScalar *dY0, PetscScalar *dYN)
{
  const PetscReal h = scheme->T / scheme->N;
  const PetscInt  n = scheme->nstate[0], m = scheme->nstate[1], s = scheme->s;
  PetscScalar    *dY = scheme->work[0], *dZ = scheme->work[1];

  PetscFunctionBegin;
  if (dY0) PetscCall(PetscArraycpy(dY, dY0, n * s));
  else PetscCall(PetscArrayzero(dY, n * s));
  PetscCall(PetscArrayzero(dZ, m * s));
  for (PetscInt j = 0; j < scheme->N; j++) {
    const PetscScalar *thj, *dthj;

    if (scheme->trajtype == ODYN_TRAJECTORY_RECOMPUTE) PetscCall(Step_Verlet(scheme, theta, j));
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, dtheta, j, &dthj));
    PetscCall(OdynSchemeLinearizeStep_Private(scheme, 1, thj, j, OdynSchemeState_Private(scheme, 0, j)));
    PetscCall(OdynLayerJacobianXMult(scheme->layer, 1, -h, dY, dZ));
    if (dthj) PetscCall(OdynLayerJacobianThetaMult(scheme->layer, 1, -h, dthj, dZ));
    PetscCall(OdynSchemeLinearizeStep_Private(scheme, 0, thj, j, OdynSchemeState_Private(scheme, 1, j + 1)));
    PetscCall(OdynLayerJacobianXMult(scheme->layer, 0, h, dZ, dY));
    if (dthj) PetscCall(OdynLayerJacobianThetaMult(scheme->layer, 0, h, dthj, dY));
  }
  PetscCall(PetscArraycpy(dYN, dY, n * s));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeAdjoint_Verlet(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *W, PetscScalar *gtheta, PetscScalar *gY0)
{
  const PetscReal h = scheme->T / scheme->N;
  const PetscInt  n = scheme->nstate[0], m = scheme->nstate[1], s = scheme->s;
  PetscScalar    *P = scheme->work[0], *Q = scheme->work[1], *Y, *Z;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(P, W, n * s));
  PetscCall(PetscArrayzero(Q, m * s));
  PetscCall(OdynSchemeBackwardState_Private(scheme, theta, scheme->N, &Y, &Z));
  for (PetscInt j = scheme->N - 1; j >= 0; j--) {
    const PetscScalar *thj;

    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    /* Z holds Z_{j+1/2} (state j+1) here: undo Y_{j+1} = Y_j + h F(theta_j, Z_{j+1/2}) before stepping back */
    PetscCall(OdynSchemeLinearizeStep_Private(scheme, 0, thj, j, Z));
    PetscCall(OdynLayerJacobianXMultTranspose(scheme->layer, 0, h, P, Q));
    if (gtheta) PetscCall(OdynLayerJacobianThetaMultTranspose(scheme->layer, 0, h, P, gtheta + OdynSchemeStepOffset_Private(scheme, j)));
    PetscCall(OdynSchemeBackwardState_Private(scheme, theta, j, &Y, &Z));
    PetscCall(OdynSchemeLinearizeStep_Private(scheme, 1, thj, j, Y));
    PetscCall(OdynLayerJacobianXMultTranspose(scheme->layer, 1, -h, Q, P));
    if (gtheta) PetscCall(OdynLayerJacobianThetaMultTranspose(scheme->layer, 1, -h, Q, gtheta + OdynSchemeStepOffset_Private(scheme, j)));
  }
  if (gY0) PetscCall(PetscArraycpy(gY0, P, n * s));
  PetscFunctionReturn(0);
}

/* rev = {Y_{k+1}, Z_{k+1/2}} -> {Y_k, Z_{k-1/2}}, in place */
static PetscErrorCode OdynSchemeReverse_Verlet(OdynScheme scheme, const PetscScalar *thk, PetscInt k, PetscScalar **rev, PetscScalar *F)
{
  const PetscReal h = scheme->T / scheme->N;
  const PetscInt  n = scheme->nstate[0], m = scheme->nstate[1], s = scheme->s;

  PetscFunctionBegin;
  PetscCall(OdynLayerApply(scheme->layer, 0, thk, s, rev[1], F));
  odyn_axpy(n * s, -h, F, rev[0]);
  PetscCall(OdynLayerApply(scheme->layer, 1, thk, s, rev[0], F));
  odyn_axpy(m * s, h, F, rev[1]);
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynSchemeCreate_Verlet(OdynScheme scheme)
{
  PetscFunctionBegin;
  scheme->ops->setup   = OdynSchemeSetUp_Verlet;
  scheme->ops->forward = OdynSchemeForward_Verlet;
  scheme->ops->tangent = OdynSchemeTangent_Verlet;
  scheme->ops->adjoint = OdynSchemeAdjoint_Verlet;
  scheme->ops->reverse = OdynSchemeReverse_Verlet;
  PetscFunctionReturn(0);
}
