#include "affine.h"

/*MC
   ODYNLAYERANTISYM - "antisym": F(theta, Y) = sigma(1/2 (K - K^T - gamma I) Y + b) (paper 001 eq. 4.12)

   The eigenvalues of K - K^T are imaginary, so the continuous dynamics neither grow nor decay; gamma >= 0 adds a little
   diffusion that keeps forward Euler stable.

   Options Database Key:
.  -odyn_layer_antisym_gamma <0> - the diffusion gamma

   Parameters of one step: theta_j = [K (column-major, n x n), b (n)].

   Level: beginner

.seealso: `OdynLayerSetType()`, `ODYNLAYERDENSE`
M*/

static PetscErrorCode Map_Antisym(PetscInt n, PetscReal gamma, const PetscScalar *K, PetscScalar *M)
{
  PetscFunctionBegin;
  for (PetscInt j = 0; j < n; j++)
    for (PetscInt i = 0; i < n; i++) M[i + j * n] = 0.5 * (K[i + j * n] - K[j + i * n]) - (i == j ? 0.5 * gamma : 0.0);
  PetscFunctionReturn(0);
}

static PetscErrorCode DMap_Antisym(PetscInt n, const PetscScalar *K, const PetscScalar *dK, PetscScalar *dM)
{
  PetscFunctionBegin;
  PetscCall(Map_Antisym(n, 0.0, dK, dM));
  PetscFunctionReturn(0);
}

/* <G, (dK - dK^T)/2> = <(G - G^T)/2, dK> */
static PetscErrorCode DMapT_Antisym(PetscInt n, const PetscScalar *K, PetscScalar alpha, const PetscScalar *G, PetscScalar *gK)
{
  PetscFunctionBegin;
  for (PetscInt j = 0; j < n; j++)
    for (PetscInt i = 0; i < n; i++) gK[i + j * n] += alpha * 0.5 * (G[i + j * n] - G[j + i * n]);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSetFromOptions_Antisym(OdynLayer layer, PetscOptionItems *PetscOptionsObject)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Antisymmetric layer options");
  PetscCall(PetscOptionsReal("-odyn_layer_antisym_gamma", "Diffusion gamma >= 0 in (K - K^T - gamma I)/2", "ODYNLAYERANTISYM", a->gamma, &a->gamma, NULL));
  PetscCheck(a->gamma >= 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_layer_antisym_gamma must be >= 0, got %g", (double)a->gamma);
  PetscOptionsHeadEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSettings_Antisym(OdynLayer layer, char buf[], size_t len)
{
  PetscFunctionBegin;
  PetscCall(OdynSettingsAppend(buf, len, "-odyn_layer_antisym_gamma %.17g", (double)((OdynLayer_Affine *)layer->data)->gamma));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerView_Antisym(OdynLayer layer, PetscViewer viewer)
{
  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "gamma %g\n", (double)((OdynLayer_Affine *)layer->data)->gamma));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerAntisymSetGamma_Antisym(OdynLayer layer, PetscReal gamma)
{
  PetscFunctionBegin;
  PetscCheck(gamma >= 0 && !PetscIsInfOrNanReal(gamma), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "The antisym diffusion gamma must be finite and >= 0, got %g", (double)gamma);
  ((OdynLayer_Affine *)layer->data)->gamma = gamma;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerAntisymGetGamma_Antisym(OdynLayer layer, PetscReal *gamma)
{
  PetscFunctionBegin;
  *gamma = ((OdynLayer_Affine *)layer->data)->gamma;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDestroy_Antisym(OdynLayer layer)
{
  PetscFunctionBegin;
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerAntisymSetGamma_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerAntisymGetGamma_C", NULL));
  PetscCall(OdynLayerAffineDestroy_Private(layer));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerAntisymSetGamma - sets the diffusion gamma of an antisym layer, F = sigma((K - K^T - gamma I)/2 Y + b)

   Logically Collective

   Input Parameters:
+  layer - the layer (nothing happens for other types)
-  gamma - the diffusion, >= 0

   Options Database Key:
.  -odyn_layer_antisym_gamma <0> - gamma

   Level: intermediate

.seealso: `ODYNLAYERANTISYM`, `OdynLayerAntisymGetGamma()`
@*/
PetscErrorCode OdynLayerAntisymSetGamma(OdynLayer layer, PetscReal gamma)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscTryMethod(layer, "OdynLayerAntisymSetGamma_C", (OdynLayer, PetscReal), (layer, gamma));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerAntisymGetGamma - gets the diffusion gamma of an antisym layer

   Not Collective

   Level: intermediate

.seealso: `OdynLayerAntisymSetGamma()`
@*/
PetscErrorCode OdynLayerAntisymGetGamma(OdynLayer layer, PetscReal *gamma)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscValidRealPointer(gamma, 2);
  PetscUseMethod(layer, "OdynLayerAntisymGetGamma_C", (OdynLayer, PetscReal *), (layer, gamma));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLayerCreate_Antisym(OdynLayer layer)
{
  OdynLayer_Affine *a;

  PetscFunctionBegin;
  PetscCall(PetscNew(&a));
  a->map   = Map_Antisym;
  a->dmap  = DMap_Antisym;
  a->dmapt = DMapT_Antisym;
  PetscCall(OdynLayerAffineSetOps_Private(layer, a));
  layer->ops->setfromoptions = OdynLayerSetFromOptions_Antisym;
  layer->ops->view           = OdynLayerView_Antisym;
  layer->ops->settings       = OdynLayerSettings_Antisym;
  layer->ops->destroy        = OdynLayerDestroy_Antisym;
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerAntisymSetGamma_C", OdynLayerAntisymSetGamma_Antisym));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerAntisymGetGamma_C", OdynLayerAntisymGetGamma_Antisym));
  PetscFunctionReturn(0);
}
