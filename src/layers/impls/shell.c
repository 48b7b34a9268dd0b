#include <odyn/private/layerimpl.h>

/*MC
   ODYNLAYERSHELL - "shell": a layer function whose evaluation and four Jacobian products are user callbacks, the way
   MATSHELL is a matrix given by its action

     face f:  F_f(theta, X),  out += alpha dF_f/dX V,  out += alpha dF_f/dtheta v,
              out += alpha (dF_f/dX)^T W,  g += alpha (dF_f/dtheta)^T W  (summed over the s examples)

   With one face, F maps X (n x s) to n x s and fits the one-face schemes (paper 001 eq. 2.1 and its variants); with two
   faces, face 0 maps Z (m x s) to n x s and face 1 maps Y (n x s) to m x s, the shape of the Hamiltonian pair
   (paper 001 eq. 4.15-4.17) that ODYNSCHEMEVERLET needs.

   The callbacks are set with OdynLayerShellSetApply() and OdynLayerShellSetProduct(); the sizes, which fix the
   width, hidden width and number of parameters, with OdynLayerShellSetSizes(); a context with
   OdynLayerShellSetContext(). All five callbacks are required. Every product callback receives the point
   (theta, s, X) of the last OdynLayerLinearize() of its face, so the user need not store it.

   Level: intermediate

.seealso: `OdynLayerSetType()`, `OdynLayerShellSetSizes()`, `OdynLayerShellSetApply()`, `OdynLayerShellSetProduct()`,
          `OdynLayerShellSetContext()`
M*/

typedef struct {
  void                   *ctx;
  PetscBool               sizesset;
  PetscInt                nfaces, n, m, nparam; /* as given to OdynLayerShellSetSizes(); m is the width of Z (two faces) */
  OdynLayerShellApplyFn   apply;
  OdynLayerShellProductFn product[4];          /* indexed by OdynLayerShellProduct */
  const PetscScalar      *theta[ODYN_LAYER_MAX_FACES], *X[ODYN_LAYER_MAX_FACES];
  PetscInt                s[ODYN_LAYER_MAX_FACES];
} OdynLayer_Shell;

static const char *const OdynLayerShellProductNames[] = {"ODYN_LAYER_SHELL_JAC_X", "ODYN_LAYER_SHELL_JAC_THETA", "ODYN_LAYER_SHELL_JAC_X_T", "ODYN_LAYER_SHELL_JAC_THETA_T"};

static PetscErrorCode OdynLayerSetUp_Shell(OdynLayer layer)
{
  OdynLayer_Shell *sh = (OdynLayer_Shell *)layer->data;
  const PetscInt   m  = layer->m ? layer->m : layer->n;

  PetscFunctionBegin;
  PetscCheck(sh->sizesset, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_WRONGSTATE, "Shell layer: call OdynLayerShellSetSizes() before OdynLayerSetUp()");
  /* the callbacks were written for the sizes given to OdynLayerShellSetSizes(): a later width would not reach them */
  PetscCheck(layer->n == sh->n, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_INCOMP, "Shell layer: width %" PetscInt_FMT " (OdynLayerSetWidth() or -odyn_layer_width) differs from the %" PetscInt_FMT " given to OdynLayerShellSetSizes()", layer->n, sh->n);
  PetscCheck(sh->nfaces == 1 || m == sh->m, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_INCOMP, "Shell layer: hidden width %" PetscInt_FMT " (OdynLayerSetHiddenWidth() or -odyn_layer_hidden_width) differs from the %" PetscInt_FMT " given to OdynLayerShellSetSizes()", m, sh->m);
  PetscCheck(sh->apply, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_WRONGSTATE, "Shell layer: OdynLayerShellSetApply() was not called");
  for (PetscInt p = 0; p < 4; p++) PetscCheck(sh->product[p], PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_WRONGSTATE, "Shell layer: OdynLayerShellSetProduct(layer, %s, ...) was not called", OdynLayerShellProductNames[p]);
  layer->nfaces = sh->nfaces;
  if (sh->nfaces == 1) {
    layer->nin[0] = layer->nout[0] = sh->n;
  } else {
    layer->nin[0]  = sh->m;
    layer->nout[0] = sh->n;
    layer->nin[1]  = sh->n;
    layer->nout[1] = sh->m;
  }
  layer->nparam = sh->nparam;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerApply_Shell(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *F)
{
  OdynLayer_Shell *sh = (OdynLayer_Shell *)layer->data;

  PetscFunctionBegin;
  PetscCallBack("OdynLayerShell apply callback", (*sh->apply)(layer, face, theta, s, X, F, sh->ctx));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinearize_Shell(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X)
{
  OdynLayer_Shell *sh = (OdynLayer_Shell *)layer->data;

  PetscFunctionBegin;
  /* only recorded: a user who wants caches keeps them in the context; theta and X stay borrowed per the contract */
  sh->theta[face] = theta;
  sh->X[face]     = X;
  sh->s[face]     = s;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerShellProduct_Private(OdynLayer layer, OdynLayerShellProduct which, PetscInt face, PetscScalar alpha, const PetscScalar *in, PetscScalar *out)
{
  OdynLayer_Shell *sh = (OdynLayer_Shell *)layer->data;

  PetscFunctionBegin;
  PetscCallBack(OdynLayerShellProductNames[which], (*sh->product[which])(layer, face, sh->theta[face], sh->s[face], sh->X[face], alpha, in, out, sh->ctx));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerJacX_Shell(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *in, PetscScalar *out)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerShellProduct_Private(layer, ODYN_LAYER_SHELL_JAC_X, face, alpha, in, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerJacTheta_Shell(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *in, PetscScalar *out)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerShellProduct_Private(layer, ODYN_LAYER_SHELL_JAC_THETA, face, alpha, in, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerJacXT_Shell(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *in, PetscScalar *out)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerShellProduct_Private(layer, ODYN_LAYER_SHELL_JAC_X_T, face, alpha, in, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerJacThetaT_Shell(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *in, PetscScalar *out)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerShellProduct_Private(layer, ODYN_LAYER_SHELL_JAC_THETA_T, face, alpha, in, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerView_Shell(OdynLayer layer, PetscViewer viewer)
{
  OdynLayer_Shell *sh = (OdynLayer_Shell *)layer->data;

  PetscFunctionBegin;
  /* the generic view already prints the sizes once the layer is set up */
  PetscCall(PetscViewerASCIIPrintf(viewer, "F and its four products are user callbacks%s\n", sh->sizesset ? "" : "; sizes not set yet (OdynLayerShellSetSizes())"));
  PetscFunctionReturn(0);
}

/* the implementations behind the public setters, found by name so that the setters are no-ops on other types */
static PetscErrorCode OdynLayerShellSetContext_Shell(OdynLayer layer, void *ctx)
{
  PetscFunctionBegin;
  ((OdynLayer_Shell *)layer->data)->ctx = ctx;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerShellGetContext_Shell(OdynLayer layer, void *ctx)
{
  PetscFunctionBegin;
  *(void **)ctx = ((OdynLayer_Shell *)layer->data)->ctx;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerShellSetSizes_Shell(OdynLayer layer, PetscInt nfaces, PetscInt n, PetscInt m, PetscInt nparam)
{
  OdynLayer_Shell *sh = (OdynLayer_Shell *)layer->data;

  PetscFunctionBegin;
  sh->nfaces   = nfaces;
  sh->n        = n;
  sh->m        = m ? m : n;
  sh->nparam   = nparam;
  sh->sizesset = PETSC_TRUE;
  /* the generic fields too, so that OdynLayerGetWidth() and OdynLayerGetHiddenWidth() report them */
  layer->n           = n;
  layer->m           = nfaces == 2 ? sh->m : m;
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerShellSetApply_Shell(OdynLayer layer, OdynLayerShellApplyFn apply)
{
  PetscFunctionBegin;
  ((OdynLayer_Shell *)layer->data)->apply = apply;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerShellSetProduct_Shell(OdynLayer layer, OdynLayerShellProduct which, OdynLayerShellProductFn fn)
{
  PetscFunctionBegin;
  ((OdynLayer_Shell *)layer->data)->product[which] = fn;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDestroy_Shell(OdynLayer layer)
{
  PetscFunctionBegin;
  /* a layer that changes type must stop answering to the shell setters */
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerShellSetContext_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerShellGetContext_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerShellSetSizes_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerShellSetApply_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerShellSetProduct_C", NULL));
  PetscCall(PetscFree(layer->data));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerShellSetContext - sets the context passed to every callback of a shell layer

   Logically Collective

   Input Parameters:
+  layer - the layer (type "shell"; on other types this does nothing)
-  ctx - the context; borrowed, the caller keeps it alive as long as the layer is used

   Level: intermediate

.seealso: `ODYNLAYERSHELL`, `OdynLayerShellGetContext()`
@*/
PetscErrorCode OdynLayerShellSetContext(OdynLayer layer, void *ctx)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscTryMethod(layer, "OdynLayerShellSetContext_C", (OdynLayer, void *), (layer, ctx));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerShellGetContext - gets the context of a shell layer

   Not Collective

   Input Parameter:
.  layer - the layer (type "shell")

   Output Parameter:
.  ctx - the address of a pointer that receives the context (NULL if none was set)

   Level: intermediate

   Note:
   Unlike the setters, this errors on a layer that is not a shell: there is no context to return.

.seealso: `ODYNLAYERSHELL`, `OdynLayerShellSetContext()`
@*/
PetscErrorCode OdynLayerShellGetContext(OdynLayer layer, void *ctx)
{
  PetscErrorCode (*f)(OdynLayer, void *);

  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscValidPointer(ctx, 2);
  PetscCall(PetscObjectQueryFunction((PetscObject)layer, "OdynLayerShellGetContext_C", &f));
  PetscCheck(f, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_WRONG, "OdynLayerShellGetContext() needs a layer of type shell, got type %s", ((PetscObject)layer)->type_name ? ((PetscObject)layer)->type_name : "(not set)");
  PetscCall((*f)(layer, ctx));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerShellSetSizes - sets the number of faces and the sizes of a shell layer

   Logically Collective

   Input Parameters:
+  layer - the layer (type "shell"; on other types this does nothing)
.  nfaces - 1: face 0 maps n x s to n x s; 2: face 0 maps m x s to n x s and face 1 maps n x s to m x s (Verlet)
.  n - the width of the state Y
.  m - the width of Z for two faces (0 means n); ignored with one face
-  nparam - the number of parameters theta_j of one step

   Level: intermediate

   Note:
   Also sets the layer's width and hidden width, as OdynLayerSetWidth() and OdynLayerSetHiddenWidth() would; changing
   them afterwards is an error at OdynLayerSetUp().

.seealso: `ODYNLAYERSHELL`, `OdynLayerGetFaceSizes()`, `OdynLayerGetNumParameters()`
@*/
PetscErrorCode OdynLayerShellSetSizes(OdynLayer layer, PetscInt nfaces, PetscInt n, PetscInt m, PetscInt nparam)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscCheck(nfaces == 1 || nfaces == 2, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "OdynLayerShellSetSizes(): nfaces must be 1 or 2, got %" PetscInt_FMT, nfaces);
  PetscCheck(n > 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "OdynLayerShellSetSizes(): width n must be positive, got %" PetscInt_FMT, n);
  PetscCheck(m >= 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "OdynLayerShellSetSizes(): hidden width m must be >= 0 (0 means n), got %" PetscInt_FMT, m);
  PetscCheck(nparam >= 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "OdynLayerShellSetSizes(): nparam must be >= 0, got %" PetscInt_FMT, nparam);
  PetscTryMethod(layer, "OdynLayerShellSetSizes_C", (OdynLayer, PetscInt, PetscInt, PetscInt, PetscInt), (layer, nfaces, n, m, nparam));
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerShellSetApply - sets the callback that evaluates a shell layer: F = F_face(theta, X)

   Logically Collective

   Input Parameters:
+  layer - the layer (type "shell"; on other types this does nothing)
-  apply - the callback apply(layer, face, theta, s, X, F, ctx): X is nin x s, F (overwritten) nout x s, column-major

   Level: intermediate

   Note:
   The callback must not disturb what the product callbacks rely on: the schemes evaluate the layer between a
   linearization and its products.

.seealso: `ODYNLAYERSHELL`, `OdynLayerShellSetProduct()`, `OdynLayerApply()`
@*/
PetscErrorCode OdynLayerShellSetApply(OdynLayer layer, OdynLayerShellApplyFn apply)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscTryMethod(layer, "OdynLayerShellSetApply_C", (OdynLayer, OdynLayerShellApplyFn), (layer, apply));
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerShellSetProduct - sets one of the four Jacobian-product callbacks of a shell layer

   Logically Collective

   Input Parameters:
+  layer - the layer (type "shell"; on other types this does nothing)
.  which - ODYN_LAYER_SHELL_JAC_X, ODYN_LAYER_SHELL_JAC_THETA, ODYN_LAYER_SHELL_JAC_X_T or ODYN_LAYER_SHELL_JAC_THETA_T
-  fn - the callback fn(layer, face, theta, s, X, alpha, in, out, ctx)

   Level: intermediate

   Notes:
   (theta, s, X) is the point of the last OdynLayerLinearize() of the face. The callback accumulates,
   out += alpha * (product), with the shapes
.vb
   JAC_X:        in nin x s,  out nout x s   (dF/dX in)
   JAC_THETA:    in nparam,   out nout x s   (dF/dtheta in)
   JAC_X_T:      in nout x s, out nin x s    ((dF/dX)^T in)
   JAC_THETA_T:  in nout x s, out nparam     ((dF/dtheta)^T in, summed over the s examples)
.ve

.seealso: `ODYNLAYERSHELL`, `OdynLayerShellSetApply()`, `OdynLayerJacobianXMult()`
@*/
PetscErrorCode OdynLayerShellSetProduct(OdynLayer layer, OdynLayerShellProduct which, OdynLayerShellProductFn fn)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscCheck((int)which >= (int)ODYN_LAYER_SHELL_JAC_X && (int)which <= (int)ODYN_LAYER_SHELL_JAC_THETA_T, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "OdynLayerShellSetProduct(): unknown product %d; use ODYN_LAYER_SHELL_JAC_X, _JAC_THETA, _JAC_X_T or _JAC_THETA_T", (int)which);
  PetscTryMethod(layer, "OdynLayerShellSetProduct_C", (OdynLayer, OdynLayerShellProduct, OdynLayerShellProductFn), (layer, which, fn));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLayerCreate_Shell(OdynLayer layer)
{
  OdynLayer_Shell *sh;

  PetscFunctionBegin;
  PetscCall(PetscNew(&sh));
  layer->data           = sh;
  layer->ops->setup     = OdynLayerSetUp_Shell;
  layer->ops->apply     = OdynLayerApply_Shell;
  layer->ops->linearize = OdynLayerLinearize_Shell;
  layer->ops->jacx      = OdynLayerJacX_Shell;
  layer->ops->jactheta  = OdynLayerJacTheta_Shell;
  layer->ops->jacxt     = OdynLayerJacXT_Shell;
  layer->ops->jacthetat = OdynLayerJacThetaT_Shell;
  layer->ops->view      = OdynLayerView_Shell;
  layer->ops->destroy   = OdynLayerDestroy_Shell;
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerShellSetContext_C", OdynLayerShellSetContext_Shell));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerShellGetContext_C", OdynLayerShellGetContext_Shell));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerShellSetSizes_C", OdynLayerShellSetSizes_Shell));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerShellSetApply_C", OdynLayerShellSetApply_Shell));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerShellSetProduct_C", OdynLayerShellSetProduct_Shell));
  PetscFunctionReturn(0);
}
