#include "multistep.h"

/*MC
   ODYNSCHEMELMRESNET - "lmresnet": the linear multistep ResNet of paper 004 (LM-ResNet) with a learned k_j per step

     Y_{j+1} = (1 - k_j) Y_j + k_j Y_{j-1} + h F(theta_j, Y_j),   Y_{-1} = Y_0

   k_j is a parameter of step j (the last entry of each time slot, see OdynSchemeGetParameterLayout()); k_j = 0 is
   forward Euler. Exact tangent and adjoint sweeps include d/dk_j = <Y_{j-1} - Y_j, .>. Not reversible (stores
   the states). Needs a one-face layer.

   This file also holds the engine of the two-step schemes Y_{j+1} = a_j Y_j + b_j P_j + c_j F(theta_j, Y_j)
   (`ODYNSCHEMEDUFORTFRANKEL`, `ODYNSCHEMEFSI`):
     tangent  dY_{j+1} = a dY_j + b dP_j + c (F_Y dY_j + F_theta dtheta_j) + (a' Y_j + b' P_j + c' F_j) de_j
     adjoint  A_N = W; for j = N-1..0: g_theta_j += c F_theta^T A_{j+1}; g_e_j += <a' Y_j + b' P_j + c' F_j, A_{j+1}>;
              A_j += a A_{j+1} + c F_Y^T A_{j+1}; and b A_{j+1} goes to A_{j-1} (to A_j at a restart, P_j = Y_j)

   Level: intermediate

.seealso: `OdynSchemeSetType()`, `ODYNSCHEMEDUFORTFRANKEL`, `ODYNSCHEMEFSI`, `ODYNSCHEMEEULER`
M*/

static inline PetscBool Restart(const OdynScheme_Multistep *ms, PetscInt j) { return (j == 0 || (ms->cycle > 0 && j % ms->cycle == 0)) ? PETSC_TRUE : PETSC_FALSE; }

static PetscErrorCode Coefficients(OdynScheme scheme, const PetscScalar *theta, PetscInt j, PetscReal c[3], PetscReal dc[3])
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;

  PetscFunctionBegin;
  PetscCall(ms->coef(scheme, j, scheme->nextra ? theta + OdynSchemeExtraOffset_Private(scheme, j) : NULL, c, dc));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynSchemeMultistepSetUp_Private(OdynScheme scheme)
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;

  PetscFunctionBegin;
  PetscCheck(scheme->layer->nfaces == 1, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_INCOMP, "Scheme %s needs a one-face layer F(theta, Y); layer %s has two faces: use -odyn_scheme_type verlet", ((PetscObject)scheme)->type_name, ((PetscObject)scheme->layer)->type_name);
  scheme->nextra = ms->learn ? 1 : 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeForward_Multistep(OdynScheme scheme, const PetscScalar *theta)
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;
  const PetscInt        len = scheme->nstate[0] * scheme->s;
  PetscScalar          *F   = scheme->work[3];

  PetscFunctionBegin;
  for (PetscInt j = 0; j < scheme->N; j++) {
    const PetscScalar *thj, *Yj = OdynSchemeState_Private(scheme, 0, j), *Pj = Restart(ms, j) ? Yj : OdynSchemeState_Private(scheme, 0, j - 1);
    PetscScalar       *Yj1 = OdynSchemeState_Private(scheme, 0, j + 1);
    PetscReal          c[3], dc[3];

    PetscCall(Coefficients(scheme, theta, j, c, dc));
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(OdynLayerApply(scheme->layer, 0, thj, scheme->s, Yj, F));
    for (PetscInt i = 0; i < len; i++) Yj1[i] = c[0] * Yj[i] + c[1] * Pj[i] + c[2] * F[i];
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeTangent_Multistep(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *dtheta, const PetscScalar *dY0, PetscScalar *dYN)
{
  OdynScheme_Multistep *ms  = (OdynScheme_Multistep *)scheme->data;
  const PetscInt        len = scheme->nstate[0] * scheme->s;
  PetscScalar          *prev = scheme->work[0], *cur = scheme->work[1], *next = scheme->work[2], *F = scheme->work[3];

  PetscFunctionBegin;
  if (dY0) PetscCall(PetscArraycpy(cur, dY0, len));
  else PetscCall(PetscArrayzero(cur, len));
  for (PetscInt j = 0; j < scheme->N; j++) {
    const PetscScalar *thj, *dthj, *Yj = OdynSchemeState_Private(scheme, 0, j), *Pj = Restart(ms, j) ? Yj : OdynSchemeState_Private(scheme, 0, j - 1);
    const PetscScalar *dP = Restart(ms, j) ? cur : prev;
    PetscScalar       *tmp;
    PetscReal          c[3], dc[3];

    PetscCall(Coefficients(scheme, theta, j, c, dc));
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, dtheta, j, &dthj));
    PetscCall(OdynSchemeLinearizeStep_Private(scheme, 0, thj, j, Yj));
    for (PetscInt i = 0; i < len; i++) next[i] = c[0] * cur[i] + c[1] * dP[i];
    PetscCall(OdynLayerJacobianXMult(scheme->layer, 0, c[2], cur, next));
    if (dthj) PetscCall(OdynLayerJacobianThetaMult(scheme->layer, 0, c[2], dthj, next));
    if (dtheta && scheme->nextra) {
      const PetscScalar de = dtheta[OdynSchemeExtraOffset_Private(scheme, j)];
      /* F_j again: apply leaves the linearization intact */
      PetscCall(OdynLayerApply(scheme->layer, 0, thj, scheme->s, Yj, F));
      for (PetscInt i = 0; i < len; i++) next[i] += de * (dc[0] * Yj[i] + dc[1] * Pj[i] + dc[2] * F[i]);
    }
    tmp  = prev;
    prev = cur;
    cur  = next;
    next = tmp;
  }
  PetscCall(PetscArraycpy(dYN, cur, len));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeAdjoint_Multistep(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *W, PetscScalar *gtheta, PetscScalar *gY0)
{
  OdynScheme_Multistep *ms  = (OdynScheme_Multistep *)scheme->data;
  const PetscInt        len = scheme->nstate[0] * scheme->s;
  PetscScalar          *cur = scheme->work[0], *prev = scheme->work[1], *next = scheme->work[2], *F = scheme->work[3];

  PetscFunctionBegin;
  /* cur = A_{j+1} (complete), prev = A_j and next = A_{j-1} (partial) */
  PetscCall(PetscArraycpy(cur, W, len));
  PetscCall(PetscArrayzero(prev, len));
  PetscCall(PetscArrayzero(next, len));
  for (PetscInt j = scheme->N - 1; j >= 0; j--) {
    const PetscScalar *thj, *Yj = OdynSchemeState_Private(scheme, 0, j), *Pj = Restart(ms, j) ? Yj : OdynSchemeState_Private(scheme, 0, j - 1);
    PetscScalar       *AP = Restart(ms, j) ? prev : next, *tmp;
    PetscReal          c[3], dc[3];

    PetscCall(Coefficients(scheme, theta, j, c, dc));
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(OdynSchemeLinearizeStep_Private(scheme, 0, thj, j, Yj));
    if (gtheta) {
      PetscCall(OdynLayerJacobianThetaMultTranspose(scheme->layer, 0, c[2], cur, gtheta + OdynSchemeStepOffset_Private(scheme, j)));
      if (scheme->nextra) {
        PetscScalar ge = 0.0;
        PetscCall(OdynLayerApply(scheme->layer, 0, thj, scheme->s, Yj, F));
        for (PetscInt i = 0; i < len; i++) ge += (dc[0] * Yj[i] + dc[1] * Pj[i] + dc[2] * F[i]) * cur[i];
        gtheta[OdynSchemeExtraOffset_Private(scheme, j)] += ge;
      }
    }
    odyn_axpy(len, c[0], cur, prev);
    PetscCall(OdynLayerJacobianXMultTranspose(scheme->layer, 0, c[2], cur, prev));
    odyn_axpy(len, c[1], cur, AP);
    tmp  = cur;
    cur  = prev;
    prev = next;
    next = tmp;
    PetscCall(PetscArrayzero(next, len));
  }
  if (gY0) PetscCall(PetscArraycpy(gY0, cur, len));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeDestroy_Multistep(OdynScheme scheme)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(scheme->data));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynSchemeMultistepSetOps_Private(OdynScheme scheme, OdynScheme_Multistep *ms)
{
  PetscFunctionBegin;
  scheme->data         = ms;
  scheme->ops->setup   = OdynSchemeMultistepSetUp_Private;
  scheme->ops->forward = OdynSchemeForward_Multistep;
  scheme->ops->tangent = OdynSchemeTangent_Multistep;
  scheme->ops->adjoint = OdynSchemeAdjoint_Multistep;
  scheme->ops->destroy = OdynSchemeDestroy_Multistep;
  PetscFunctionReturn(0);
}

/* k_j: a = 1 - k, b = k, c = h */
static PetscErrorCode Coef_LMResNet(OdynScheme scheme, PetscInt j, const PetscScalar *e, PetscReal c[3], PetscReal dc[3])
{
  const PetscReal h = scheme->T / scheme->N, k = PetscRealPart(e[0]);

  PetscFunctionBegin;
  c[0]  = 1.0 - k;
  c[1]  = k;
  c[2]  = h;
  dc[0] = -1.0;
  dc[1] = 1.0;
  dc[2] = 0.0;
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynSchemeCreate_LMResNet(OdynScheme scheme)
{
  OdynScheme_Multistep *ms;

  PetscFunctionBegin;
  PetscCall(PetscNew(&ms));
  ms->coef  = Coef_LMResNet;
  ms->learn = PETSC_TRUE;
  PetscCall(OdynSchemeMultistepSetOps_Private(scheme, ms));
  PetscFunctionReturn(0);
}
