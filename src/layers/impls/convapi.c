/* The public setters and getters of the convolutional layers (convcore.h). Setters do nothing on other layer types,
   like OdynLayerAntisymSetGamma(); getters refuse them. Values are checked by OdynLayerSetUp(). */
#include "convcore.h"

static PetscErrorCode ConvData(OdynLayer layer, PetscBool required, OdynLayer_Conv **cv)
{
  PetscErrorCode (*f)(OdynLayer, OdynLayer_Conv **) = NULL;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  *cv = NULL;
  PetscCall(PetscObjectQueryFunction((PetscObject)layer, "OdynLayerConvGetData_C", &f));
  PetscCheck(f || !required, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_WRONG, "Layer of type %s has no image and channels (the conv layers and globalavg have)", ((PetscObject)layer)->type_name ? ((PetscObject)layer)->type_name : "(none)");
  if (f) PetscCall((*f)(layer, cv));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerConvSetImage - sets the image size of a convolutional layer's state; its width is then channels x h x w

   Logically Collective

   Input Parameters:
+  layer - the layer
.  h - rows
-  w - columns

   Options Database Key:
.  -odyn_layer_image <h,w> - the size

   Level: beginner

   Notes:
   Without an image size the state of width n (OdynLayerSetWidth()) is a 1-D signal of n / c pixels per channel.

.seealso: `ODYNLAYERCONV`, `OdynLayerConvSetChannels()`, `OdynLayerConvGetImage()`
@*/
PetscErrorCode OdynLayerConvSetImage(OdynLayer layer, PetscInt h, PetscInt w)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscCall(ConvData(layer, PETSC_FALSE, &cv));
  if (!cv) PetscFunctionReturn(0);
  PetscCheck(h > 0 && w > 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "The image size must be positive, got %" PetscInt_FMT " x %" PetscInt_FMT, h, w);
  cv->h              = h;
  cv->w              = w;
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerConvGetImage - gets the image size (after OdynLayerSetUp(), the one in use, also when derived from the width)

   Not Collective

   Level: beginner

.seealso: `OdynLayerConvSetImage()`
@*/
PetscErrorCode OdynLayerConvGetImage(OdynLayer layer, PetscInt *h, PetscInt *w)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscCall(ConvData(layer, PETSC_TRUE, &cv));
  if (h) *h = layer->setupcalled ? cv->hh : cv->h;
  if (w) *w = layer->setupcalled ? cv->ww : cv->w;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerConvSetChannels - sets the channels: c of the state, and c2 of the output (conv), of K Y (convsymmetric)
   or of Z (convhamiltonian)

   Logically Collective

   Input Parameters:
+  layer - the layer
.  c - channels of the state (input), >= 1
-  c2 - the second channel count, or 0 for c

   Options Database Key:
.  -odyn_layer_channels <c[,c2]> - the channels

   Level: beginner

.seealso: `ODYNLAYERCONV`, `OdynLayerConvSetImage()`, `OdynLayerConvGetChannels()`
@*/
PetscErrorCode OdynLayerConvSetChannels(OdynLayer layer, PetscInt c, PetscInt c2)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscCall(ConvData(layer, PETSC_FALSE, &cv));
  if (!cv) PetscFunctionReturn(0);
  PetscCheck(c >= 1 && c2 >= 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Channels must be >= 1 (and the second >= 0, 0 meaning the first), got %" PetscInt_FMT ",%" PetscInt_FMT, c, c2);
  cv->c              = c;
  cv->c2             = c2;
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerConvGetChannels - gets the channels set with OdynLayerConvSetChannels() (c2 resolved to c when 0)

   Not Collective

   Level: beginner

.seealso: `OdynLayerConvSetChannels()`
@*/
PetscErrorCode OdynLayerConvGetChannels(OdynLayer layer, PetscInt *c, PetscInt *c2)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscCall(ConvData(layer, PETSC_TRUE, &cv));
  if (c) *c = cv->c;
  if (c2) *c2 = cv->c2 ? cv->c2 : cv->c;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerConvSetKernelSize - sets the stencil size k (odd): 3 for 3x3 convolutions, 1 for connectors

   Logically Collective

   Options Database Key:
.  -odyn_layer_conv_kernel <3> - k

   Level: intermediate

.seealso: `ODYNLAYERCONV`, `OdynLayerConvGetKernelSize()`
@*/
PetscErrorCode OdynLayerConvSetKernelSize(OdynLayer layer, PetscInt k)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscCall(ConvData(layer, PETSC_FALSE, &cv));
  if (!cv) PetscFunctionReturn(0);
  PetscCheck(k >= 1 && k % 2 == 1, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "The stencil size must be odd and >= 1, got %" PetscInt_FMT, k);
  cv->k              = k;
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerConvGetKernelSize - gets the stencil size

   Not Collective

   Level: intermediate

.seealso: `OdynLayerConvSetKernelSize()`
@*/
PetscErrorCode OdynLayerConvGetKernelSize(OdynLayer layer, PetscInt *k)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscValidIntPointer(k, 2);
  PetscCall(ConvData(layer, PETSC_TRUE, &cv));
  *k = cv->k;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerConvSetPooling - 2x2 average pooling after the activation of a conv layer (a connector)

   Logically Collective

   Options Database Key:
.  -odyn_layer_conv_pool - the flag

   Level: intermediate

   Notes:
   Only ODYNLAYERCONV pools; its output then has a quarter of the pixels, so the layer belongs in an
   ODYNSCHEMESINGLE block.

.seealso: `ODYNLAYERCONV`, `OdynLayerConvGetPooling()`
@*/
PetscErrorCode OdynLayerConvSetPooling(OdynLayer layer, PetscBool flg)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscCall(ConvData(layer, PETSC_FALSE, &cv));
  if (!cv) PetscFunctionReturn(0);
  cv->pool           = flg;
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerConvGetPooling - whether the layer pools

   Not Collective

   Level: intermediate

.seealso: `OdynLayerConvSetPooling()`
@*/
PetscErrorCode OdynLayerConvGetPooling(OdynLayer layer, PetscBool *flg)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscValidBoolPointer(flg, 2);
  PetscCall(ConvData(layer, PETSC_TRUE, &cv));
  *flg = cv->pool;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerConvSetTVNorm - turns the total-variation normalization N (paper 000 eq. 9) on or off

   Logically Collective

   Input Parameters:
+  layer - the layer
.  flg - on or off
-  eps - the eps > 0 in 1 / sqrt(sum_c U_c^2 + eps) (PETSC_DEFAULT: keep, 1e-3 initially)

   Options Database Keys:
+  -odyn_layer_tvnorm - the flag
-  -odyn_layer_tvnorm_eps <1e-3> - eps

   Level: intermediate

   Notes:
   N(U)_c = scale_c U_c / sqrt(sum_c' U_c'^2 + eps) + beta_c per pixel, with learnable per-channel scale and beta (2 c
   more parameters per face and step). Initialize scale away from 0 (e.g. 1): at scale = 0 the layer is constant.

.seealso: `ODYNLAYERCONV`, `OdynLayerConvGetTVNorm()`
@*/
PetscErrorCode OdynLayerConvSetTVNorm(OdynLayer layer, PetscBool flg, PetscReal eps)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscCall(ConvData(layer, PETSC_FALSE, &cv));
  if (!cv) PetscFunctionReturn(0);
  if (eps != (PetscReal)PETSC_DEFAULT) {
    PetscCheck(eps > 0 && !PetscIsInfOrNanReal(eps), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "The eps of the TV normalization must be positive, got %g", (double)eps);
    cv->eps = eps;
  }
  cv->tvnorm         = flg;
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerConvGetTVNorm - whether the layer normalizes, and its eps

   Not Collective

   Level: intermediate

.seealso: `OdynLayerConvSetTVNorm()`
@*/
PetscErrorCode OdynLayerConvGetTVNorm(OdynLayer layer, PetscBool *flg, PetscReal *eps)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscCall(ConvData(layer, PETSC_TRUE, &cv));
  if (flg) *flg = cv->tvnorm;
  if (eps) *eps = cv->eps;
  PetscFunctionReturn(0);
}
