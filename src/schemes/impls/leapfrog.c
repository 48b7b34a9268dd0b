#include <odyn/private/schemeimpl.h>
#include <odyn/private/odynimpl.h>

/*MC
   ODYNSCHEMELEAPFROG - "leapfrog": the conservative second-order scheme for Y'' = F(theta, Y) (paper 001 eq. 4.13,
   4.16; paper 000's second-order CNN)

     Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 F(theta_j, Y_j),  j = 0..N-1,  Y_{-1} = Y_0 (zero initial velocity)

   Tangent:  dY_{j+1} = 2 dY_j - dY_{j-1} + h^2 (F_Y dY_j + F_theta dtheta_j),  dY_{-1} = dY_0
   Adjoint (A_k = adjoint of Y_k, A_N = W): for j = N-1..0
     g_j += h^2 F_theta^T A_{j+1};  A_j += 2 A_{j+1} + h^2 F_Y^T A_{j+1};  A_{j-1} = -A_{j+1}  (j = 0: A_0 -= A_1)

   Reversible: Y_{j-1} = 2 Y_j - Y_{j+1} + h^2 F(theta_j, Y_j), so -odyn_scheme_trajectory recompute keeps memory flat
   in N. Needs a one-face layer; stable for negative semi-definite K (negdef layer).

   Level: beginner

.seealso: `OdynSchemeSetType()`, `ODYNLAYERNEGDEF`, `ODYNSCHEMEVERLET`
M*/

static PetscErrorCode OdynSchemeSetUp_Leapfrog(OdynScheme scheme)
{
  PetscFunctionBegin;
  PetscCheck(scheme->layer->nfaces == 1, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_INCOMP, "Scheme leapfrog needs a one-face layer F(theta, Y); layer %s has two faces: use -odyn_scheme_type verlet", ((PetscObject)scheme->layer)->type_name);
  PetscFunctionReturn(0);
}

/* out = 2 cur - prev + h2 F, elementwise; out may alias prev (the ring of the recompute mode relies on that). */
static void Combine(PetscInt len, PetscReal h2, const PetscScalar *cur, const PetscScalar *prev, const PetscScalar *F, PetscScalar *out)
{
  for (PetscInt i = 0; i < len; i++) out[i] = 2.0 * cur[i] - prev[i] + h2 * F[i];
}

/* Y_{j+1} from Y_j and Y_{j-1}; work[3] holds F */
static PetscErrorCode Step_Leapfrog(OdynScheme scheme, const PetscScalar *theta, PetscInt j)
{
  const PetscReal    h = scheme->T / scheme->N;
  const PetscInt     n = scheme->nstate[0], s = scheme->s;
  const PetscScalar *thj;
  PetscScalar       *Yj = OdynSchemeState_Private(scheme, 0, j), *Yjm1 = j ? OdynSchemeState_Private(scheme, 0, j - 1) : Yj;
  PetscScalar       *F  = scheme->work[3];

  PetscFunctionBegin;
  PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
  PetscCall(OdynLayerApply(scheme->layer, 0, thj, s, Yj, F));
  Combine(n * s, h * h, Yj, Yjm1, F, OdynSchemeState_Private(scheme, 0, j + 1));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeForward_Leapfrog(OdynScheme scheme, const PetscScalar *theta)
{
  PetscFunctionBegin;
  for (PetscInt j = 0; j < scheme->N; j++) PetscCall(Step_Leapfrog(scheme, theta, j));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeTangent_Leapfrog(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *dtheta, const PetscScalar *dY0, PetscScalar *dYN)
{
  const PetscReal h = scheme->T / scheme->N, h2 = h * h;
  const PetscInt  n = scheme->nstate[0], s = scheme->s;
  PetscScalar    *prev = scheme->work[0], *cur = scheme->work[1], *next = scheme->work[2], *LF = scheme->work[3];

  PetscFunctionBegin;
  if (dY0) PetscCall(PetscArraycpy(cur, dY0, n * s));
  else PetscCall(PetscArrayzero(cur, n * s));
  PetscCall(PetscArraycpy(prev, cur, n * s));
  for (PetscInt j = 0; j < scheme->N; j++) {
    const PetscScalar *thj, *dthj;
    PetscScalar       *tmp;

    /* recompute mode: regenerate Y_{j+1} (overwrites Y_{j-1}, which step j of the tangent no longer needs) */
    if (scheme->trajtype == ODYN_TRAJECTORY_RECOMPUTE) PetscCall(Step_Leapfrog(scheme, theta, j));
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, dtheta, j, &dthj));
    PetscCall(OdynSchemeLinearizeStep_Private(scheme, 0, thj, j, OdynSchemeState_Private(scheme, 0, j)));
    PetscCall(PetscArrayzero(LF, n * s));
    PetscCall(OdynLayerJacobianXMult(scheme->layer, 0, 1.0, cur, LF));
    if (dthj) PetscCall(OdynLayerJacobianThetaMult(scheme->layer, 0, 1.0, dthj, LF));
    Combine(n * s, h2, cur, prev, LF, next);
    tmp  = prev;
    prev = cur;
    cur  = next;
    next = tmp;
  }
  PetscCall(PetscArraycpy(dYN, cur, n * s));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeAdjoint_Leapfrog(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *W, PetscScalar *gtheta, PetscScalar *gY0)
{
  const PetscReal h = scheme->T / scheme->N, h2 = h * h;
  const PetscInt  n = scheme->nstate[0], s = scheme->s;
  PetscScalar    *cur = scheme->work[0], *prev = scheme->work[1], *next = scheme->work[2], *Y;

  PetscFunctionBegin;
  /* cur = A_{j+1} (complete), prev = A_j (partial), next receives A_{j-1} */
  PetscCall(PetscArraycpy(cur, W, n * s));
  PetscCall(PetscArrayzero(prev, n * s));
  PetscCall(OdynSchemeBackwardState_Private(scheme, theta, scheme->N, &Y, NULL));
  for (PetscInt j = scheme->N - 1; j >= 0; j--) {
    const PetscScalar *thj;
    PetscScalar       *tmp;

    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(OdynSchemeBackwardState_Private(scheme, theta, j, &Y, NULL));
    PetscCall(OdynSchemeLinearizeStep_Private(scheme, 0, thj, j, Y));
    if (gtheta) PetscCall(OdynLayerJacobianThetaMultTranspose(scheme->layer, 0, h2, cur, gtheta + OdynSchemeStepOffset_Private(scheme, j)));
    PetscCall(OdynLayerJacobianXMultTranspose(scheme->layer, 0, h2, cur, prev));
    if (j > 0) {
      odyn_axpy(n * s, 2.0, cur, prev);
      for (PetscInt i = 0; i < n * s; i++) next[i] = -cur[i];
      tmp  = cur;
      cur  = prev;
      prev = next;
      next = tmp;
    } else {
      odyn_axpy(n * s, 1.0, cur, prev); /* Y_{-1} = Y_0: 2 A_1 - A_1 */
      cur = prev;
    }
  }
  if (gY0) PetscCall(PetscArraycpy(gY0, cur, n * s));
  PetscFunctionReturn(0);
}

/* rev = {Y_{k+1}, Y_k} -> {Y_k, Y_{k-1}} with Y_{k-1} = 2 Y_k - Y_{k+1} + h^2 F(theta_k, Y_k) */
static PetscErrorCode OdynSchemeReverse_Leapfrog(OdynScheme scheme, const PetscScalar *thk, PetscInt k, PetscScalar **rev, PetscScalar *F)
{
  const PetscReal h = scheme->T / scheme->N;
  const PetscInt  n = scheme->nstate[0], s = scheme->s;
  PetscScalar    *tmp;

  PetscFunctionBegin;
  if (k > 0) {
    PetscCall(OdynLayerApply(scheme->layer, 0, thk, s, rev[1], F));
    Combine(n * s, h * h, rev[1], rev[0], F, rev[0]);
  }
  tmp    = rev[0];
  rev[0] = rev[1];
  rev[1] = tmp;
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynSchemeCreate_Leapfrog(OdynScheme scheme)
{
  PetscFunctionBegin;
  scheme->ops->setup   = OdynSchemeSetUp_Leapfrog;
  scheme->ops->forward = OdynSchemeForward_Leapfrog;
  scheme->ops->tangent = OdynSchemeTangent_Leapfrog;
  scheme->ops->adjoint = OdynSchemeAdjoint_Leapfrog;
  scheme->ops->reverse = OdynSchemeReverse_Leapfrog;
  PetscFunctionReturn(0);
}
