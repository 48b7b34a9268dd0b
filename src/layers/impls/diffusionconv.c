#include "diffusion.h"

/*MC
   ODYNLAYERDIFFUSIONCONV - "diffusionconv": the diffusion block of ODYNLAYERDIFFUSION with K a multi-channel 1-D
   convolution with 3 taps (paper 002 Sec. 3, the 1-D denoising experiments of Sec. 6)

     F(theta, u) = -tau Kt^T Phi_lambda(Kt u),   Kt = K / R(K)

   The state of an example is a signal of length L = n / c with c channels (-odyn_layer_diffusion_channels, default
   1), stored channels fastest: sample i of channel a at index i c + a. K maps c channels to ch hidden channels
   (-odyn_layer_diffusion_hidden_channels, default c) with 3 taps at positions i-1, i, i+1: (K u)_o(i) =
   sum_a sum_t k_{o,a,t} u_a(i + t - 1). Boundary (-odyn_layer_diffusion_boundary): periodic (default; K is then
   block circulant) or zero (u = 0 outside the signal). K^T is the adjoint on the same grid (correlation with the
   flipped taps), so F is exactly the negated gradient of sum Psi(Kt u) and the block is a discrete nonlinear
   diffusion. Both products are one GEMM over all positions and examples (im2col).

   Rescaling (paper 002 Sec. 3.3, block version): with r_oa = sum_t |k_{o,a,t}| >= ||K_oa||_2 for each ch x c block,
   R = max(max_o sum_a r_oa, max_a sum_o r_oa) >= ||K||_2 (Schur test on the block norms; both boundaries), so
   ||Kt||_2 <= 1. One channel: R = sum_t |k_t|.

   Parameters of one step: theta_j = [K (ch x 3c, column-major; column t c + a is tap t of input channel a), rho,
   eta], tau = tau_max / (1 + exp(-rho)), lambda = exp(eta) (eta only for charbonnier and peronamalik).
   nparam = 3 c ch + 1 (+ 1). 16 channels: 769 (770) per step.

   Level: intermediate

.seealso: `ODYNLAYERDIFFUSION`, `OdynLayerDiffusionSetChannels()`, `OdynLayerDiffusionSetPeriodic()`
M*/

static PetscErrorCode OdynLayerDiffusionSetChannels_Conv(OdynLayer layer, PetscInt c, PetscInt ch)
{
  OdynLayer_Diffusion *d = (OdynLayer_Diffusion *)layer->data;

  PetscFunctionBegin;
  PetscCheck(c >= 0 && ch >= 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Channels must be >= 0 (0: the default), got %" PetscInt_FMT " and %" PetscInt_FMT, c, ch);
  d->cset            = c;
  d->chset           = ch;
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDiffusionSetPeriodic_Conv(OdynLayer layer, PetscBool periodic)
{
  PetscFunctionBegin;
  ((OdynLayer_Diffusion *)layer->data)->periodic = periodic;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSetFromOptions_DiffusionConv(OdynLayer layer, PetscOptionItems *PetscOptionsObject)
{
  OdynLayer_Diffusion *d   = (OdynLayer_Diffusion *)layer->data;
  const char *const    bcs[] = {"periodic", "zero"};
  PetscInt             c = d->cset, ch = d->chset, bc = d->periodic ? 0 : 1;

  PetscFunctionBegin;
  PetscCall(OdynLayerDiffusionSetOptions_Private(layer, PetscOptionsObject));
  PetscOptionsHeadBegin(PetscOptionsObject, "OdynLayer diffusionconv options");
  PetscCall(PetscOptionsInt("-odyn_layer_diffusion_channels", "Channels c of the signal (the width is c times the length)", "OdynLayerDiffusionSetChannels", c, &c, NULL));
  PetscCall(PetscOptionsInt("-odyn_layer_diffusion_hidden_channels", "Output channels of K (0: c)", "OdynLayerDiffusionSetChannels", ch, &ch, NULL));
  PetscCall(PetscOptionsEList("-odyn_layer_diffusion_boundary", "Boundary of the 1-D convolution", "OdynLayerDiffusionSetPeriodic", bcs, 2, bcs[bc], &bc, NULL));
  PetscOptionsHeadEnd();
  /* checked by setup: an error raised inside the options block would leak it */
  d->cset     = c;
  d->chset    = ch;
  d->periodic = bc == 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSettings_DiffusionConv(OdynLayer layer, char buf[], size_t len)
{
  OdynLayer_Diffusion *d = (OdynLayer_Diffusion *)layer->data;

  PetscFunctionBegin;
  PetscCall(OdynLayerDiffusionSettings_Private(layer, buf, len));
  PetscCall(OdynSettingsAppend(buf, len, "-odyn_layer_diffusion_channels %" PetscInt_FMT " -odyn_layer_diffusion_hidden_channels %" PetscInt_FMT " -odyn_layer_diffusion_boundary %s", d->cset, d->chset, d->periodic ? "periodic" : "zero"));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLayerCreate_DiffusionConv(OdynLayer layer)
{
  OdynLayer_Diffusion *d;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  PetscCall(OdynLayerDiffusionSetOps_Private(layer, d));
  d->conv                    = PETSC_TRUE;
  layer->ops->setfromoptions = OdynLayerSetFromOptions_DiffusionConv;
  layer->ops->settings       = OdynLayerSettings_DiffusionConv;
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerDiffusionSetChannels_C", OdynLayerDiffusionSetChannels_Conv));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerDiffusionSetPeriodic_C", OdynLayerDiffusionSetPeriodic_Conv));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerDiffusionSetChannels - sets the channels of a diffusionconv layer

   Logically Collective

   Input Parameters:
+  layer - a diffusionconv layer (other types ignore this)
.  c - channels of the signal (0: 1); the layer width must be c times the signal length
-  ch - output channels of K (0: c)

   Options Database Keys:
+  -odyn_layer_diffusion_channels <1> - c
-  -odyn_layer_diffusion_hidden_channels <0> - ch

   Level: intermediate

.seealso: `ODYNLAYERDIFFUSIONCONV`, `OdynLayerSetWidth()`
@*/
PetscErrorCode OdynLayerDiffusionSetChannels(OdynLayer layer, PetscInt c, PetscInt ch)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscTryMethod(layer, "OdynLayerDiffusionSetChannels_C", (OdynLayer, PetscInt, PetscInt), (layer, c, ch));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerDiffusionSetPeriodic - periodic (PETSC_TRUE, the default) or zero boundary of a diffusionconv layer

   Logically Collective

   Options Database Key:
.  -odyn_layer_diffusion_boundary <periodic> - periodic or zero

   Level: intermediate

.seealso: `ODYNLAYERDIFFUSIONCONV`
@*/
PetscErrorCode OdynLayerDiffusionSetPeriodic(OdynLayer layer, PetscBool periodic)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscTryMethod(layer, "OdynLayerDiffusionSetPeriodic_C", (OdynLayer, PetscBool), (layer, periodic));
  PetscFunctionReturn(0);
}
