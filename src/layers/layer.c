#include <odyn/private/layerimpl.h>

/*@
   OdynLayerCreate - creates a layer function; its type is set with OdynLayerSetType() or -odyn_layer_type

   Collective

   Input Parameter:
.  comm - the communicator (a layer holds no distributed data; it is used for errors and viewers)

   Output Parameter:
.  layer - the new layer

   Level: beginner

.seealso: `OdynLayerSetType()`, `OdynLayerSetFromOptions()`, `OdynLayerDestroy()`
@*/
PetscErrorCode OdynLayerCreate(MPI_Comm comm, OdynLayer *layer)
{
  OdynLayer l;

  PetscFunctionBegin;
  PetscValidPointer(layer, 2);
  *layer = NULL;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscHeaderCreate(l, ODYNLAYER_CLASSID, "OdynLayer", "Layer function", "OdynLayer", comm, OdynLayerDestroy, OdynLayerView));
  l->n          = 2;
  l->m          = 0;
  l->activation = ODYN_ACTIVATION_TANH;
  l->slin[0]    = -1;
  l->slin[1]    = -1;
  *layer        = l;
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerSetType - sets the layer function: dense, antisym, negdef, symmetric, hamiltonian, shell, or a registered one

   Collective

   Input Parameters:
+  layer - the layer
-  type - the name

   Options Database Key:
.  -odyn_layer_type <dense> - the type

   Level: beginner

.seealso: `OdynLayerRegister()`, `OdynLayerGetType()`
@*/
PetscErrorCode OdynLayerSetType(OdynLayer layer, OdynLayerType type)
{
  PetscErrorCode (*create)(OdynLayer);
  PetscBool match;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscValidCharPointer(type, 2);
  PetscCall(PetscObjectTypeCompare((PetscObject)layer, type, &match));
  if (match) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(OdynLayerList, type, &create));
  PetscCheck(create, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown OdynLayer type \"%s\": the registered types are dense, antisym, negdef, symmetric, hamiltonian, shell and those added with OdynLayerRegister()", type);
  PetscTryTypeMethod(layer, destroy);
  layer->data = NULL;
  PetscCall(PetscMemzero(layer->ops, sizeof(struct _OdynLayerOps)));
  layer->setupcalled = PETSC_FALSE;
  PetscCall(PetscObjectChangeTypeName((PetscObject)layer, type));
  PetscCall((*create)(layer));
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerGetType - gets the name of the layer type

   Not Collective

   Level: beginner

.seealso: `OdynLayerSetType()`
@*/
PetscErrorCode OdynLayerGetType(OdynLayer layer, OdynLayerType *type)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscValidPointer(type, 2);
  *type = ((PetscObject)layer)->type_name;
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerSetOptionsPrefix - sets the prefix of the layer's options (one per block of a network)

   Logically Collective

   Level: intermediate

.seealso: `OdynLayerSetFromOptions()`
@*/
PetscErrorCode OdynLayerSetOptionsPrefix(OdynLayer layer, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)layer, prefix));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerSetFromOptions - sets the layer from the options database

   Collective

   Options Database Keys:
+  -odyn_layer_type <dense> - dense, antisym, negdef, symmetric, hamiltonian, shell
.  -odyn_layer_width <n> - width n of the state
.  -odyn_layer_hidden_width <m> - rows of K for symmetric, width of Z for hamiltonian (default: n)
-  -odyn_layer_activation <tanh> - identity, tanh, relu, charbonnier, peronamalik (the last two with contrast lambda = 1,
   learned by the diffusion layers)

   Level: beginner

.seealso: `OdynLayerSetType()`, `OdynLayerSetWidth()`, `OdynLayerSetActivation()`
@*/
PetscErrorCode OdynLayerSetFromOptions(OdynLayer layer)
{
  char                type[256];
  PetscBool           flg;
  PetscInt            n, m;
  PetscErrorCode      (*create)(OdynLayer);
  OdynActivationType  act;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  n   = layer->n;
  m   = layer->m;
  act = layer->activation;
  /* errors are raised after PetscOptionsEnd(), so that a bad option does not leak the options block */
  PetscObjectOptionsBegin((PetscObject)layer);
  PetscCall(PetscOptionsFList("-odyn_layer_type", "Layer function", "OdynLayerSetType", OdynLayerList, ((PetscObject)layer)->type_name ? ((PetscObject)layer)->type_name : ODYNLAYERDENSE, type, sizeof(type), &flg));
  if (!flg) PetscCall(PetscStrncpy(type, ((PetscObject)layer)->type_name ? ((PetscObject)layer)->type_name : ODYNLAYERDENSE, sizeof(type)));
  PetscCall(PetscFunctionListFind(OdynLayerList, type, &create));
  if (create) PetscCall(OdynLayerSetType(layer, type));
  PetscCall(PetscOptionsInt("-odyn_layer_width", "Width n of the state", "OdynLayerSetWidth", n, &n, NULL));
  PetscCall(PetscOptionsInt("-odyn_layer_hidden_width", "Hidden width m (0: same as n)", "OdynLayerSetHiddenWidth", m, &m, NULL));
  PetscCall(PetscOptionsEnum("-odyn_layer_activation", "Activation sigma", "OdynLayerSetActivation", OdynActivationTypes, (PetscEnum)act, (PetscEnum *)&act, NULL));
  if (create) PetscTryTypeMethod(layer, setfromoptions, PetscOptionsObject);
  PetscCall(PetscObjectProcessOptionsHandlers((PetscObject)layer, PetscOptionsObject));
  PetscOptionsEnd();
  PetscCheck(create, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown OdynLayer type \"%s\" (-odyn_layer_type): the registered types are dense, antisym, negdef, symmetric, hamiltonian, shell and those added with OdynLayerRegister()", type);
  PetscCheck(n > 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_layer_width must be positive, got %" PetscInt_FMT, n);
  PetscCheck(m >= 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_layer_hidden_width must be >= 0 (0 means the width n), got %" PetscInt_FMT, m);
  layer->n           = n;
  layer->m           = m;
  layer->activation  = act;
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerGetSettings - the layer's type-specific settings, written as the options that set them

   Not Collective

   Input Parameter:
.  layer - the layer, of a set type

   Output Parameter:
.  settings - for example "-odyn_layer_diffusion_tau_max 1 -odyn_layer_diffusion_contrast 0.5"; "" for a type
   without settings. Free it with `PetscFree()`.

   Level: advanced

   Notes:
   Every setting is written, default or not; reals with %.17g, so that they read back to the same double. The type,
   width, hidden width and activation are not part of it (`OdynLayerGetType()`, `OdynLayerGetWidth()`, ...).
   Inserted with `PetscOptionsInsertString()` into an options database attached to a layer of the same type
   (`PetscObjectSetOptions()`), `OdynLayerSetFromOptions()` gives that layer the same settings: model files rebuild
   layers this way (docs/model-format.md).

.seealso: `OdynSchemeGetSettings()`, `OdynLayerSetFromOptions()`, `OdynModelSave()`
@*/
PetscErrorCode OdynLayerGetSettings(OdynLayer layer, char **settings)
{
  char buf[ODYN_SETTINGS_MAX] = "";

  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscValidPointer(settings, 2);
  PetscTryTypeMethod(layer, settings, buf, sizeof(buf));
  PetscCall(PetscStrallocpy(buf, settings));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerSetUp - fixes the sizes: number of faces, their input and output widths, number of parameters

   Collective

   Level: intermediate

.seealso: `OdynLayerGetNumParameters()`, `OdynLayerGetFaceSizes()`
@*/
PetscErrorCode OdynLayerSetUp(OdynLayer layer)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  if (layer->setupcalled) PetscFunctionReturn(0);
  if (!((PetscObject)layer)->type_name) PetscCall(OdynLayerSetType(layer, ODYNLAYERDENSE));
  layer->nfaces = 1;
  layer->nin[0] = layer->nout[0] = layer->n;
  layer->nin[1] = layer->nout[1] = 0;
  PetscUseTypeMethod(layer, setup);
  layer->slin[0] = layer->slin[1] = -1;
  layer->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerView - prints the layer's type, sizes and activation

   Collective

   Level: beginner

.seealso: `OdynLayerCreate()`
@*/
PetscErrorCode OdynLayerView(OdynLayer layer, PetscViewer viewer)
{
  PetscBool isascii;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)layer), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)layer, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "width %" PetscInt_FMT ", hidden width %" PetscInt_FMT ", activation %s\n", layer->n, layer->m ? layer->m : layer->n, OdynActivationTypes[layer->activation]));
  if (layer->setupcalled) PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " face(s), %" PetscInt_FMT " parameters per step\n", layer->nfaces, layer->nparam));
  PetscTryTypeMethod(layer, view, viewer);
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerDestroy - drops a reference to the layer and frees it when none is left

   Collective

   Level: beginner

.seealso: `OdynLayerCreate()`
@*/
PetscErrorCode OdynLayerDestroy(OdynLayer *layer)
{
  PetscFunctionBegin;
  if (!*layer) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*layer, ODYNLAYER_CLASSID, 1);
  if (--((PetscObject)(*layer))->refct > 0) {
    *layer = NULL;
    PetscFunctionReturn(0);
  }
  PetscTryTypeMethod(*layer, destroy);
  PetscCall(PetscHeaderDestroy(layer));
  PetscFunctionReturn(0);
}

#define ODYN_LAYER_SETTER_INT(Name, field, what, minimum) \
  PetscErrorCode OdynLayerSet##Name(OdynLayer layer, PetscInt v) \
  { \
    PetscFunctionBegin; \
    PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1); \
    PetscCheck(v >= minimum, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, what " must be >= %d, got %" PetscInt_FMT, minimum, v); \
    layer->field       = v; \
    layer->setupcalled = PETSC_FALSE; \
    PetscFunctionReturn(0); \
  } \
  PetscErrorCode OdynLayerGet##Name(OdynLayer layer, PetscInt *v) \
  { \
    PetscFunctionBegin; \
    PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1); \
    PetscValidIntPointer(v, 2); \
    *v = layer->field; \
    PetscFunctionReturn(0); \
  }

/*MC
   OdynLayerSetWidth - sets the width n of the state (OdynLayerGetWidth() gets it); option -odyn_layer_width

   Level: beginner
M*/
ODYN_LAYER_SETTER_INT(Width, n, "The layer width", 1)
/*MC
   OdynLayerSetHiddenWidth - sets the hidden width m: rows of K for symmetric, width of Z for hamiltonian; 0 means n.
   OdynLayerGetHiddenWidth() gets it; option -odyn_layer_hidden_width

   Level: intermediate
M*/
ODYN_LAYER_SETTER_INT(HiddenWidth, m, "The hidden width", 0)

/*@
   OdynLayerSetActivation - sets the activation sigma (identity, tanh, relu, charbonnier, peronamalik)

   Logically Collective

   Options Database Key:
.  -odyn_layer_activation <tanh> - the activation

   Level: beginner

.seealso: `OdynLayerGetActivation()`
@*/
PetscErrorCode OdynLayerSetActivation(OdynLayer layer, OdynActivationType act)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscCheck(act >= ODYN_ACTIVATION_IDENTITY && act <= ODYN_ACTIVATION_LAST, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Unknown activation %d", (int)act);
  if (act != layer->activation) layer->setupcalled = PETSC_FALSE; /* the diffusion layers learn a contrast for some */
  layer->activation = act;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerGetActivation - gets the activation

   Not Collective

   Level: beginner

.seealso: `OdynLayerSetActivation()`
@*/
PetscErrorCode OdynLayerGetActivation(OdynLayer layer, OdynActivationType *act)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscValidPointer(act, 2);
  *act = layer->activation;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerGetNumParameters - number of parameters theta_j of one time step

   Not Collective; sets the layer up

   Level: beginner

.seealso: `OdynLayerSetUp()`
@*/
PetscErrorCode OdynLayerGetNumParameters(OdynLayer layer, PetscInt *np)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscValidIntPointer(np, 2);
  PetscCall(OdynLayerSetUp(layer));
  *np = layer->nparam;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerGetNumFaces - 1 for layers F(theta, Y), 2 for the Hamiltonian pair (F for Y, G for Z)

   Not Collective; sets the layer up

   Level: intermediate

.seealso: `OdynLayerGetFaceSizes()`
@*/
PetscErrorCode OdynLayerGetNumFaces(OdynLayer layer, PetscInt *nf)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscValidIntPointer(nf, 2);
  PetscCall(OdynLayerSetUp(layer));
  *nf = layer->nfaces;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerGetFaceSizes - input and output widths of a face

   Not Collective; sets the layer up

   Input Parameters:
+  layer - the layer
-  face - 0, or 1 for the second function of a two-face layer

   Output Parameters:
+  nin - rows of X
-  nout - rows of F(theta, X)

   Level: intermediate

.seealso: `OdynLayerGetNumFaces()`
@*/
PetscErrorCode OdynLayerGetFaceSizes(OdynLayer layer, PetscInt face, PetscInt *nin, PetscInt *nout)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscCall(OdynLayerSetUp(layer));
  PetscCheck(face >= 0 && face < layer->nfaces, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Face %" PetscInt_FMT " out of range: layer %s has %" PetscInt_FMT " face(s)", face, ((PetscObject)layer)->type_name, layer->nfaces);
  if (nin) *nin = layer->nin[face];
  if (nout) *nout = layer->nout[face];
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerCheckFace_Private(OdynLayer layer, PetscInt face)
{
  PetscFunctionBegin;
  PetscCheck(layer->setupcalled, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_WRONGSTATE, "Call OdynLayerSetUp() before applying the layer");
  PetscCheck(face >= 0 && face < layer->nfaces, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Face %" PetscInt_FMT " out of range: layer %s has %" PetscInt_FMT " face(s)", face, ((PetscObject)layer)->type_name, layer->nfaces);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerCheckLinearized_Private(OdynLayer layer, PetscInt face)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerCheckFace_Private(layer, face));
  PetscCheck(layer->slin[face] >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Call OdynLayerLinearize() on face %" PetscInt_FMT " before a Jacobian product", face);
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerApply - evaluates F = F(theta, X) for s examples

   Not Collective

   Input Parameters:
+  layer - the layer (set up)
.  face - 0 (or 1 for G of a two-face layer)
.  theta - the nparam parameters of one step
.  s - number of examples
-  X - nin x s, column-major, one example per column

   Output Parameter:
.  F - nout x s; may not alias X

   Level: intermediate

.seealso: `OdynLayerLinearize()`
@*/
PetscErrorCode OdynLayerApply(OdynLayer layer, PetscInt face, const PetscScalar theta[], PetscInt s, const PetscScalar X[], PetscScalar F[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscCall(OdynLayerCheckFace_Private(layer, face));
  PetscCheck(s >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Number of examples must be >= 0, got %" PetscInt_FMT, s);
  PetscCall(PetscLogEventBegin(ODYN_LayerApply, layer, 0, 0, 0));
  PetscUseTypeMethod(layer, apply, face, theta, s, X, F);
  PetscCall(PetscLogEventEnd(ODYN_LayerApply, layer, 0, 0, 0));
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerLinearize - records the point (theta, X) at which the Jacobian products of a face are taken

   Not Collective

   Input Parameters:
+  layer - the layer (set up)
.  face - the face
.  theta - parameters of one step (borrowed until the next linearization of this face)
.  s - number of examples
-  X - nin x s (borrowed until the next linearization of this face)

   Level: intermediate

   Notes:
   Implementations may cache sigma'(K X + b) here so that the four products cost one GEMM each.

.seealso: `OdynLayerJacobianXMult()`, `OdynLayerJacobianThetaMult()`
@*/
PetscErrorCode OdynLayerLinearize(OdynLayer layer, PetscInt face, const PetscScalar theta[], PetscInt s, const PetscScalar X[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscCall(OdynLayerCheckFace_Private(layer, face));
  PetscCheck(s >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Number of examples must be >= 0, got %" PetscInt_FMT, s);
  PetscCall(PetscLogEventBegin(ODYN_LayerLinearize, layer, 0, 0, 0));
  PetscUseTypeMethod(layer, linearize, face, theta, s, X);
  PetscCall(PetscLogEventEnd(ODYN_LayerLinearize, layer, 0, 0, 0));
  layer->slin[face] = s;
  PetscFunctionReturn(0);
}

/*@
   OdynLayerGetLinearizationSize - how many scalars hold the linearization of a face for s examples (0: the layer
   cannot save it, and OdynLayerLinearize() must be called again instead of OdynLayerLinearizationRestore())

   Not Collective

   Level: developer

.seealso: `OdynLayerLinearizationSave()`, `OdynLayerLinearizationRestore()`
@*/
PetscErrorCode OdynLayerGetLinearizationSize(OdynLayer layer, PetscInt face, PetscInt s, PetscInt *len)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscValidIntPointer(len, 4);
  PetscCall(OdynLayerCheckFace_Private(layer, face));
  *len = 0;
  if (layer->ops->linsize && layer->ops->linsave && layer->ops->linrestore) PetscUseTypeMethod(layer, linsize, face, s, len);
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerLinearizationSave - copies the current linearization of a face into buf (OdynLayerGetLinearizationSize() scalars)

   Not Collective

   Level: developer

   Notes:
   Schemes keep one per step during the forward sweep, so that the tangent and adjoint sweeps, which the Gauss-Newton
   iteration repeats many times, do not recompute sigma' (the activation dominates narrow networks).

.seealso: `OdynLayerLinearizationRestore()`
@*/
PetscErrorCode OdynLayerLinearizationSave(OdynLayer layer, PetscInt face, PetscScalar buf[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscCall(OdynLayerCheckLinearized_Private(layer, face));
  PetscUseTypeMethod(layer, linsave, face, buf);
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerLinearizationRestore - makes a saved linearization the current one, as OdynLayerLinearize() at the same
   (theta, X) would; buf, theta and X are borrowed until the next linearization of the face

   Not Collective

   Level: developer

.seealso: `OdynLayerLinearizationSave()`
@*/
PetscErrorCode OdynLayerLinearizationRestore(OdynLayer layer, PetscInt face, const PetscScalar theta[], PetscInt s, const PetscScalar X[], const PetscScalar buf[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscCall(OdynLayerCheckFace_Private(layer, face));
  PetscUseTypeMethod(layer, linrestore, face, theta, s, X, buf);
  layer->slin[face] = s;
  PetscFunctionReturn(0);
}

#define ODYN_LAYER_PRODUCT(Fn, op) \
  PetscErrorCode Fn(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar in[], PetscScalar out[]) \
  { \
    PetscFunctionBegin; \
    PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1); \
    PetscCall(OdynLayerCheckLinearized_Private(layer, face)); \
    PetscCall(PetscLogEventBegin(ODYN_LayerProduct, layer, 0, 0, 0)); \
    PetscUseTypeMethod(layer, op, face, alpha, in, out); \
    PetscCall(PetscLogEventEnd(ODYN_LayerProduct, layer, 0, 0, 0)); \
    PetscFunctionReturn(0); \
  }

/*MC
   OdynLayerJacobianXMult - out += alpha dF/dX V at the last linearization; V is nin x s, out nout x s

   Synopsis:
   PetscErrorCode OdynLayerJacobianXMult(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar V[], PetscScalar out[])

   Level: intermediate

.seealso: `OdynLayerLinearize()`, `OdynLayerJacobianXMultTranspose()`
M*/
ODYN_LAYER_PRODUCT(OdynLayerJacobianXMult, jacx)
/*MC
   OdynLayerJacobianThetaMult - out += alpha dF/dtheta v at the last linearization; v has nparam entries, out is nout x s

   Synopsis:
   PetscErrorCode OdynLayerJacobianThetaMult(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar v[], PetscScalar out[])

   Level: intermediate

.seealso: `OdynLayerLinearize()`, `OdynLayerJacobianThetaMultTranspose()`
M*/
ODYN_LAYER_PRODUCT(OdynLayerJacobianThetaMult, jactheta)
/*MC
   OdynLayerJacobianXMultTranspose - out += alpha (dF/dX)^T W; W is nout x s, out nin x s

   Synopsis:
   PetscErrorCode OdynLayerJacobianXMultTranspose(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar W[], PetscScalar out[])

   Level: intermediate

.seealso: `OdynLayerLinearize()`, `OdynLayerJacobianXMult()`
M*/
ODYN_LAYER_PRODUCT(OdynLayerJacobianXMultTranspose, jacxt)
/*MC
   OdynLayerJacobianThetaMultTranspose - g += alpha (dF/dtheta)^T W, summed over the s examples; W is nout x s, g has nparam entries

   Synopsis:
   PetscErrorCode OdynLayerJacobianThetaMultTranspose(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar W[], PetscScalar g[])

   Level: intermediate

.seealso: `OdynLayerLinearize()`, `OdynLayerJacobianThetaMult()`
M*/
ODYN_LAYER_PRODUCT(OdynLayerJacobianThetaMultTranspose, jacthetat)
