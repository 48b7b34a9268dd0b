#include <odyn/private/schemeimpl.h>
#include <odyn/private/odynimpl.h>

/*MC
   ODYNSCHEMESINGLE - "single": a block that applies its layer once, Y_out = F(theta, Y_in), whose output width may
   differ from its input width: the opening layer, connectors and pooling of a convolutional network (paper 000 Sec. 5,
   paper 001 Sec. 6.4), e.g. [single (conv 3x3, 1 -> 6 channels) | euler (conv) | single (conv 1x1 6 -> 12, pooling) | euler]

   Tangent:  dY_out = F_Y dY_in + F_theta dtheta
   Adjoint:  g += F_theta^T W,  gY_in = F_Y^T W

   Not a time integrator: it has exactly one step whatever -odyn_scheme_num_steps says (no step size h), it is not
   reversible (-odyn_scheme_trajectory store), and multilevel refinement in depth (OdynNetRefineSteps(),
   OdynNetProlongParameters()) copies its parameters instead of refining it. Needs a one-face layer.

   Level: beginner

.seealso: `OdynSchemeSetType()`, `ODYNLAYERCONV`, `OdynSchemeGetOutputWidth()`, `OdynNetAddBlock()`
M*/

static PetscErrorCode OdynSchemeSetUp_Single(OdynScheme scheme)
{
  OdynLayer layer = scheme->layer;

  PetscFunctionBegin;
  PetscCheck(layer->nfaces == 1, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_INCOMP, "Scheme single needs a one-face layer F(theta, Y); layer %s has two faces: use -odyn_scheme_type verlet", ((PetscObject)layer)->type_name);
  /* component 0 holds the input, component 1 the output (its width may differ), at "step" 1 */
  scheme->N         = 1;
  scheme->ncomp     = 2;
  scheme->nstate[0] = layer->nin[0];
  scheme->nstate[1] = layer->nout[0];
  scheme->outcomp   = 1;
  scheme->onestep   = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeForward_Single(OdynScheme scheme, const PetscScalar *theta)
{
  const PetscScalar *th;

  PetscFunctionBegin;
  PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, 0, &th));
  PetscCall(OdynLayerApply(scheme->layer, 0, th, scheme->s, OdynSchemeState_Private(scheme, 0, 0), OdynSchemeState_Private(scheme, 1, 1)));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeTangent_Single(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *dtheta, const PetscScalar *dY0, PetscScalar *dYN)
{
  const PetscScalar *th, *dth;

  PetscFunctionBegin;
  PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, 0, &th));
  PetscCall(OdynSchemeGetStepParameters_Private(scheme, dtheta, 0, &dth));
  PetscCall(OdynSchemeLinearizeStep_Private(scheme, 0, th, 0, OdynSchemeState_Private(scheme, 0, 0)));
  PetscCall(PetscArrayzero(dYN, scheme->nstate[1] * scheme->s));
  if (dY0) PetscCall(OdynLayerJacobianXMult(scheme->layer, 0, 1.0, dY0, dYN));
  if (dth) PetscCall(OdynLayerJacobianThetaMult(scheme->layer, 0, 1.0, dth, dYN));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeAdjoint_Single(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *W, PetscScalar *gtheta, PetscScalar *gY0)
{
  const PetscScalar *th;

  PetscFunctionBegin;
  PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, 0, &th));
  PetscCall(OdynSchemeLinearizeStep_Private(scheme, 0, th, 0, OdynSchemeState_Private(scheme, 0, 0)));
  if (gtheta) PetscCall(OdynLayerJacobianThetaMultTranspose(scheme->layer, 0, 1.0, W, gtheta + OdynSchemeStepOffset_Private(scheme, 0)));
  if (gY0) {
    PetscCall(PetscArrayzero(gY0, scheme->nstate[0] * scheme->s));
    PetscCall(OdynLayerJacobianXMultTranspose(scheme->layer, 0, 1.0, W, gY0));
  }
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynSchemeCreate_Single(OdynScheme scheme)
{
  PetscFunctionBegin;
  scheme->ops->setup   = OdynSchemeSetUp_Single;
  scheme->ops->forward = OdynSchemeForward_Single;
  scheme->ops->tangent = OdynSchemeTangent_Single;
  scheme->ops->adjoint = OdynSchemeAdjoint_Single;
  PetscFunctionReturn(0);
}
