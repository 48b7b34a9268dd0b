#include "convcore.h"
#include <odyn/private/backend.h>

/*MC
   ODYNLAYERGLOBALAVG - "globalavg": the average of each channel over the image, F(Y)[c] = (1 / (h w)) sum_p Y[c][p],
   which paper 000 (Sec. 5) puts after the last ResNet block, "averaging the features of each channel to ensure
   translation-invariance", so that the classifier sees c values per example instead of c h w

   Linear in Y, no parameters, no activation (the layer's activation setting is not used). The state has the layout of
   the conv layers (channel-major images, docs/cnn.md) and is given with the same options and setters; the output has
   c values per example. It belongs in an ODYNSCHEMESINGLE block, usually the last block of a network:
   [single (conv) | euler (conv) | single (conv 1x1, pooling) | euler (conv) | single (globalavg)].

   Products: dF/dY V = F(V); (dF/dY)^T W spreads each W[c] / (h w) over channel c's pixels; the derivatives with
   respect to theta are empty. Each is one GEMM with a vector of ones over all examples and channels at once (the
   state seen as an (h w) x (c s) matrix).

   Options Database Keys:
+  -odyn_layer_image <h,w> - image size; the state's width is c h w (without it: a 1-D signal of n / c pixels)
-  -odyn_layer_channels <c> - channels of the state (and of the output)

   Level: beginner

.seealso: `ODYNLAYERCONV`, `OdynLayerConvSetImage()`, `OdynLayerConvSetChannels()`, `ODYNSCHEMESINGLE`, docs/cnn.md
M*/

typedef struct {
  OdynLayer_Conv cv;   /* first: the conv layers' setters and getters reach the image and the channels through it */
  PetscScalar   *ones; /* h w ones: the reductions are GEMMs with it */
} OdynLayer_GlobalAvg;

static PetscErrorCode OdynLayerSetUp_GlobalAvg(OdynLayer layer)
{
  OdynLayer_GlobalAvg *ga = (OdynLayer_GlobalAvg *)layer->data;
  OdynLayer_Conv      *cv = &ga->cv;
  PetscInt             hw;

  PetscFunctionBegin;
  PetscCall(OdynLayerConvSetUpImage_Private(layer, cv));
  PetscCheck(cv->k == 1 && !cv->pool && !cv->tvnorm && (cv->c2 == 0 || cv->c2 == cv->c), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_INCOMP, "Layer globalavg averages each of its %" PetscInt_FMT " channels: it has no stencil (got size %" PetscInt_FMT "), no pooling and no normalization, and keeps its channels (got %" PetscInt_FMT ")", cv->c, cv->k, cv->c2);
  hw               = cv->hh * cv->ww;
  cv->cc2          = cv->c;
  layer->nfaces    = 1;
  layer->nin[0]    = cv->c * hw;
  layer->nout[0]   = cv->c;
  layer->nparam    = 0;
  PetscCall(PetscFree(ga->ones));
  PetscCall(PetscMalloc1(hw, &ga->ones));
  for (PetscInt i = 0; i < hw; i++) ga->ones[i] = 1.0;
  PetscFunctionReturn(0);
}

/*
   out = alpha / (h w) * (each channel's sum over its pixels) + beta out, for s examples: X is an (h w) x (c s) matrix,
   out (c s) = X^T ones. The backend's globalavg blocks make the same call (schemebackend.c), so hostref agrees bit for bit.
*/
static PetscErrorCode Average(OdynLayer layer, PetscInt s, PetscScalar alpha, const PetscScalar *X, PetscScalar beta, PetscScalar *out)
{
  OdynLayer_GlobalAvg *ga = (OdynLayer_GlobalAvg *)layer->data;
  const PetscInt       hw = ga->cv.hh * ga->cv.ww, cs = ga->cv.c * s;

  PetscFunctionBegin;
  PetscCheck(!odyn_gemm('T', 'N', cs, 1, hw, alpha / hw, X, hw, ga->ones, hw, beta, out, cs), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Layer globalavg: %" PetscInt_FMT " channels x %" PetscInt_FMT " examples do not fit a BLAS integer", ga->cv.c, s);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerApply_GlobalAvg(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *F)
{
  PetscFunctionBegin;
  (void)face;
  (void)theta;
  PetscCall(Average(layer, s, 1.0, X, 0.0, F));
  PetscFunctionReturn(0);
}

/* linear: the products need no point, only the examples' count, which OdynLayerLinearize() records */
static PetscErrorCode OdynLayerLinearize_GlobalAvg(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X)
{
  PetscFunctionBegin;
  (void)layer, (void)face, (void)theta, (void)s, (void)X;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerJacX_GlobalAvg(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *V, PetscScalar *out)
{
  PetscFunctionBegin;
  PetscCall(Average(layer, layer->slin[face], alpha, V, 1.0, out));
  PetscFunctionReturn(0);
}

/* out += alpha / (h w) ones W^T: W[c] spread over the pixels of channel c, an (h w) x (c s) rank-one update */
static PetscErrorCode OdynLayerJacXT_GlobalAvg(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *out)
{
  OdynLayer_GlobalAvg *ga = (OdynLayer_GlobalAvg *)layer->data;
  const PetscInt       hw = ga->cv.hh * ga->cv.ww, cs = ga->cv.c * layer->slin[face];

  PetscFunctionBegin;
  PetscCheck(!odyn_gemm('N', 'T', hw, cs, 1, alpha / hw, ga->ones, hw, W, cs, 1.0, out, hw), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Layer globalavg: %" PetscInt_FMT " channels x %" PetscInt_FMT " examples do not fit a BLAS integer", ga->cv.c, layer->slin[face]);
  PetscFunctionReturn(0);
}

/* no parameters: dF/dtheta and its transpose are empty (out += 0, g has no entries) */
static PetscErrorCode OdynLayerJacTheta_GlobalAvg(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *in, PetscScalar *out)
{
  PetscFunctionBegin;
  (void)layer, (void)face, (void)alpha, (void)in, (void)out;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerView_GlobalAvg(OdynLayer layer, PetscViewer viewer)
{
  OdynLayer_Conv *cv = &((OdynLayer_GlobalAvg *)layer->data)->cv;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "image %" PetscInt_FMT " x %" PetscInt_FMT ", %" PetscInt_FMT " channels, each averaged over the image\n", cv->h ? cv->h : cv->hh, cv->w ? cv->w : cv->ww, cv->c));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSetFromOptions_GlobalAvg(OdynLayer layer, PetscOptionItems *PetscOptionsObject)
{
  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Global average layer options");
  PetscCall(OdynLayerConvShapeOptions_Private(PetscOptionsObject, &((OdynLayer_GlobalAvg *)layer->data)->cv));
  PetscOptionsHeadEnd();
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSettings_GlobalAvg(OdynLayer layer, char buf[], size_t len)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerConvShapeSettings_Private(&((OdynLayer_GlobalAvg *)layer->data)->cv, buf, len));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDestroy_GlobalAvg(OdynLayer layer)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(((OdynLayer_GlobalAvg *)layer->data)->ones));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerConvGetData_C", NULL));
  PetscCall(PetscFree(layer->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLayerCreate_GlobalAvg(OdynLayer layer)
{
  OdynLayer_GlobalAvg *ga;

  PetscFunctionBegin;
  PetscCall(PetscNew(&ga));
  ga->cv.c                   = 1;
  ga->cv.k                   = 1; /* no stencil: the setters of other sizes are refused at set-up */
  layer->data                = ga;
  layer->ops->setup          = OdynLayerSetUp_GlobalAvg;
  layer->ops->apply          = OdynLayerApply_GlobalAvg;
  layer->ops->linearize      = OdynLayerLinearize_GlobalAvg;
  layer->ops->jacx           = OdynLayerJacX_GlobalAvg;
  layer->ops->jactheta       = OdynLayerJacTheta_GlobalAvg;
  layer->ops->jacxt          = OdynLayerJacXT_GlobalAvg;
  layer->ops->jacthetat      = OdynLayerJacTheta_GlobalAvg;
  layer->ops->setfromoptions = OdynLayerSetFromOptions_GlobalAvg;
  layer->ops->settings       = OdynLayerSettings_GlobalAvg;
  layer->ops->view           = OdynLayerView_GlobalAvg;
  layer->ops->destroy        = OdynLayerDestroy_GlobalAvg;
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerConvGetData_C", OdynLayerConvGetData_Private));
  PetscFunctionReturn(0);
}
