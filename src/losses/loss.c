#include <odyn/private/lossimpl.h>

/*@
   OdynLossCreate - creates a hypothesis + loss function; its type is set with OdynLossSetType() or -odyn_loss_type

   Collective

   Input Parameter:
.  comm - the communicator the examples are distributed over

   Output Parameter:
.  loss - the new loss

   Level: beginner

.seealso: `OdynLossSetType()`, `OdynLossSetNumFeatures()`, `OdynLossSetNumClasses()`, `OdynLossSetData()`, `OdynLossDestroy()`
@*/
PetscErrorCode OdynLossCreate(MPI_Comm comm, OdynLoss *loss)
{
  OdynLoss l;

  PetscFunctionBegin;
  PetscValidPointer(loss, 2);
  *loss = NULL;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscHeaderCreate(l, ODYNLOSS_CLASSID, "OdynLoss", "Hypothesis and loss function", "OdynLoss", comm, OdynLossDestroy, OdynLossView));
  l->nf      = 0;
  l->nc      = 0;
  l->s       = -1;
  l->wrstart = -1;
  *loss      = l;
  PetscFunctionReturn(0);
}

/*@C
   OdynLossSetType - sets the hypothesis + loss: softmax, logistic, lsq, or a registered one

   Collective

   Input Parameters:
+  loss - the loss
-  type - the name

   Options Database Key:
.  -odyn_loss_type <softmax> - the type

   Level: beginner

.seealso: `OdynLossRegister()`, `OdynLossGetType()`, `ODYNLOSSSOFTMAX`, `ODYNLOSSLOGISTIC`, `ODYNLOSSLSQ`
@*/
PetscErrorCode OdynLossSetType(OdynLoss loss, OdynLossType type)
{
  PetscErrorCode (*create)(OdynLoss);
  PetscBool match;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidCharPointer(type, 2);
  PetscCall(PetscObjectTypeCompare((PetscObject)loss, type, &match));
  if (match) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(OdynLossList, type, &create));
  PetscCheck(create, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown OdynLoss type \"%s\": the registered types are softmax, logistic, lsq and those added with OdynLossRegister()", type);
  PetscTryTypeMethod(loss, destroy);
  loss->data = NULL;
  PetscCall(PetscMemzero(loss->ops, sizeof(struct _OdynLossOps)));
  loss->targetdesc  = NULL;
  loss->lossfn      = 0;
  loss->setupcalled = PETSC_FALSE;
  loss->zvalid      = PETSC_FALSE;
  PetscCall(PetscObjectChangeTypeName((PetscObject)loss, type));
  PetscCall((*create)(loss));
  PetscFunctionReturn(0);
}

/*@C
   OdynLossGetType - gets the name of the loss type

   Not Collective

   Level: beginner

.seealso: `OdynLossSetType()`
@*/
PetscErrorCode OdynLossGetType(OdynLoss loss, OdynLossType *type)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidPointer(type, 2);
  *type = ((PetscObject)loss)->type_name;
  PetscFunctionReturn(0);
}

/*@C
   OdynLossSetOptionsPrefix - sets the prefix of the loss's options

   Logically Collective

   Level: intermediate

.seealso: `OdynLossSetFromOptions()`
@*/
PetscErrorCode OdynLossSetOptionsPrefix(OdynLoss loss, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)loss, prefix));
  PetscFunctionReturn(0);
}

/*@
   OdynLossSetFromOptions - sets the loss from the options database

   Collective

   Options Database Keys:
+  -odyn_loss_type <softmax> - softmax, logistic, lsq
.  -odyn_loss_num_features <nf> - rows of W: the width of the features YN
.  -odyn_loss_num_classes <nc> - columns of W: the number of classes (logistic: independent Bernoulli outputs)
.  -odyn_loss_identity_classifier - no classifier weights: the scores are the features (OdynLossSetIdentityClassifier())
-  -odyn_loss_identity_interleaved - its channels are fastest, as in the 1-D diffusion convolutions

   Level: beginner

.seealso: `OdynLossSetType()`, `OdynLossSetNumFeatures()`, `OdynLossSetNumClasses()`
@*/
PetscErrorCode OdynLossSetFromOptions(OdynLoss loss)
{
  char      type[256];
  PetscBool flg, identity;
  PetscInt  nf, nc;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  nf       = loss->nf;
  nc       = loss->nc;
  identity = loss->identity;
  PetscObjectOptionsBegin((PetscObject)loss);
  PetscCall(PetscOptionsFList("-odyn_loss_type", "Hypothesis and loss function", "OdynLossSetType", OdynLossList, ((PetscObject)loss)->type_name ? ((PetscObject)loss)->type_name : ODYNLOSSSOFTMAX, type, sizeof(type), &flg));
  if (flg || !((PetscObject)loss)->type_name) PetscCall(OdynLossSetType(loss, flg ? type : ODYNLOSSSOFTMAX));
  PetscCall(PetscOptionsInt("-odyn_loss_num_features", "Width nf of the features (rows of W)", "OdynLossSetNumFeatures", nf, &nf, &flg));
  if (flg) PetscCall(OdynLossSetNumFeatures(loss, nf));
  PetscCall(PetscOptionsInt("-odyn_loss_num_classes", "Number of classes nc (columns of W)", "OdynLossSetNumClasses", nc, &nc, &flg));
  if (flg) PetscCall(OdynLossSetNumClasses(loss, nc));
  PetscCall(PetscOptionsBool("-odyn_loss_identity_classifier", "No classifier weights: the scores are the features (averaged over nf/nc channels)", "OdynLossSetIdentityClassifier", loss->identity, &loss->identity, NULL));
  PetscCall(PetscOptionsBool("-odyn_loss_identity_interleaved", "The identity classifier's channels are fastest (entry k of channel j at k m + j)", "OdynLossSetIdentityClassifier", loss->interleaved, &loss->interleaved, NULL));
  PetscTryTypeMethod(loss, setfromoptions, PetscOptionsObject);
  PetscCall(PetscObjectProcessOptionsHandlers((PetscObject)loss, PetscOptionsObject));
  PetscOptionsEnd();
  /* the identity classifier changes the number of weights and the scores: drop what was made for the old setting */
  if (identity != loss->identity) PetscCall(OdynLossResetData_Private(loss));
  loss->zvalid      = PETSC_FALSE;
  loss->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
   OdynLossGetSettings - the loss's settings besides type and sizes, written as the options that set them

   Not Collective

   Input Parameter:
.  loss - the loss

   Output Parameter:
.  settings - "-odyn_loss_identity_classifier <true|false> -odyn_loss_identity_interleaved <true|false>". Free it
   with `PetscFree()`.

   Level: advanced

   Notes:
   Inserted into an options database attached to a loss (`PetscObjectSetOptions()`), `OdynLossSetFromOptions()`
   gives that loss the same settings: model files rebuild the classifier this way (docs/model-format.md).

.seealso: `OdynLossSetIdentityClassifier()`, `OdynLayerGetSettings()`, `OdynModelSave()`
@*/
PetscErrorCode OdynLossGetSettings(OdynLoss loss, char **settings)
{
  char buf[256];

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidPointer(settings, 2);
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "-odyn_loss_identity_classifier %s -odyn_loss_identity_interleaved %s", loss->identity ? "true" : "false", loss->interleaved ? "true" : "false"));
  PetscCall(PetscStrallocpy(buf, settings));
  PetscFunctionReturn(0);
}

/*@
   OdynLossSetUp - checks the sizes (nf, nc) and the type

   Collective

   Level: intermediate

.seealso: `OdynLossSetNumFeatures()`, `OdynLossSetNumClasses()`
@*/
PetscErrorCode OdynLossSetUp(OdynLoss loss)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  if (loss->setupcalled) PetscFunctionReturn(0);
  if (!((PetscObject)loss)->type_name) PetscCall(OdynLossSetType(loss, ODYNLOSSSOFTMAX));
  PetscCheck(loss->nf > 0, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_WRONGSTATE, "The number of features is not set: call OdynLossSetNumFeatures() or use -odyn_loss_num_features (the output width of the network)");
  PetscCheck(loss->nc > 0, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_WRONGSTATE, "The number of classes is not set: call OdynLossSetNumClasses() or use -odyn_loss_num_classes");
  PetscCheck(!loss->identity || loss->nf % loss->nc == 0, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_SIZ, "The identity classifier (-odyn_loss_identity_classifier) averages nf / nc channels of nc features, but nf = %" PetscInt_FMT " is not a multiple of nc = %" PetscInt_FMT, loss->nf, loss->nc);
  PetscTryTypeMethod(loss, setup);
  loss->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*@C
   OdynLossView - prints the loss type, sizes and the data set size

   Collective

   Level: beginner

.seealso: `OdynLossCreate()`
@*/
PetscErrorCode OdynLossView(OdynLoss loss, PetscViewer viewer)
{
  PetscBool isascii;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)loss), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)loss, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (loss->identity) PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " features, %" PetscInt_FMT " outputs, identity classifier (no weights; average of %" PetscInt_FMT " channels)\n", loss->nf, loss->nc, loss->nf / PetscMax(loss->nc, 1)));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " features, %" PetscInt_FMT " classes, %" PetscInt_FMT " weights [W | mu]\n", loss->nf, loss->nc, loss->nf * loss->nc + loss->nc));
  if (loss->Y) PetscCall(PetscViewerASCIIPrintf(viewer, "data: %" PetscInt_FMT " examples\n", loss->sglobal));
  PetscTryTypeMethod(loss, view, viewer);
  PetscCall(OdynLossBackendView_Private(loss, viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/* Drops the data, the gathered weights and the work buffers (sizes changed or the object goes away). */
PetscErrorCode OdynLossResetData_Private(OdynLoss loss)
{
  PetscFunctionBegin;
  PetscCall(VecDestroy(&loss->Y));
  PetscCall(VecDestroy(&loss->C));
  PetscCall(VecScatterDestroy(&loss->toall));
  PetscCall(VecDestroy(&loss->wall));
  PetscCall(VecDestroy(&loss->vall));
  PetscCall(VecDestroy(&loss->hall));
  PetscCall(PetscFree(loss->Z));
  PetscCall(PetscFree(loss->G));
  PetscCall(PetscFree(loss->T1));
  PetscCall(PetscFree(loss->T2));
  PetscCall(OdynLossBackendFree_Private(loss)); /* its buffers are sized by nf, nc */
  loss->zcap = loss->gcap = loss->t1cap = loss->t2cap = 0;
  loss->s                                             = -1;
  loss->sglobal                                       = 0;
  loss->wrstart                                       = -1;
  loss->zvalid                                        = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynLossDestroy - drops a reference to the loss and frees it when none is left

   Collective

   Level: beginner

.seealso: `OdynLossCreate()`
@*/
PetscErrorCode OdynLossDestroy(OdynLoss *loss)
{
  PetscFunctionBegin;
  if (!*loss) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*loss, ODYNLOSS_CLASSID, 1);
  if (--((PetscObject)(*loss))->refct > 0) {
    *loss = NULL;
    PetscFunctionReturn(0);
  }
  PetscCall(OdynLossResetData_Private(*loss));
  PetscTryTypeMethod(*loss, destroy);
  PetscCall(PetscHeaderDestroy(loss));
  PetscFunctionReturn(0);
}

/*@
   OdynLossSetNumFeatures - sets the width nf of the features YN (the rows of W)

   Logically Collective

   Options Database Key:
.  -odyn_loss_num_features <nf> - the width

   Level: beginner

   Notes:
   Changing the size drops the data set with OdynLossSetData().

.seealso: `OdynLossGetNumFeatures()`, `OdynNetGetOutputWidth()`
@*/
PetscErrorCode OdynLossSetNumFeatures(OdynLoss loss, PetscInt nf)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscCheck(nf > 0, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_OUTOFRANGE, "The number of features must be positive, got %" PetscInt_FMT, nf);
  if (nf != loss->nf) PetscCall(OdynLossResetData_Private(loss));
  loss->nf          = nf;
  loss->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynLossGetNumFeatures - gets the width nf of the features

   Not Collective

   Level: beginner

.seealso: `OdynLossSetNumFeatures()`
@*/
PetscErrorCode OdynLossGetNumFeatures(OdynLoss loss, PetscInt *nf)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidIntPointer(nf, 2);
  *nf = loss->nf;
  PetscFunctionReturn(0);
}

/*@
   OdynLossSetNumClasses - sets the number of classes nc (the columns of W, the length of mu)

   Logically Collective

   Options Database Key:
.  -odyn_loss_num_classes <nc> - the number of classes

   Level: beginner

   Notes:
   softmax needs nc >= 2; logistic treats each of the nc outputs as an independent Bernoulli variable (nc = 1 is the
   usual binary classifier); lsq fits nc real values. Changing the size drops the data set with OdynLossSetData().

.seealso: `OdynLossGetNumClasses()`
@*/
PetscErrorCode OdynLossSetNumClasses(OdynLoss loss, PetscInt nc)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscCheck(nc > 0, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_OUTOFRANGE, "The number of classes must be positive, got %" PetscInt_FMT, nc);
  if (nc != loss->nc) PetscCall(OdynLossResetData_Private(loss));
  loss->nc          = nc;
  loss->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynLossGetNumClasses - gets the number of classes nc

   Not Collective

   Level: beginner

.seealso: `OdynLossSetNumClasses()`
@*/
PetscErrorCode OdynLossGetNumClasses(OdynLoss loss, PetscInt *nc)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidIntPointer(nc, 2);
  *nc = loss->nc;
  PetscFunctionReturn(0);
}

/*@
   OdynLossGetNumWeights - length nf nc + nc of the packed weights wmu = [W | mu]

   Not Collective; sets the loss up

   Level: beginner

.seealso: `OdynLossCreateWeightVec()`
@*/
PetscErrorCode OdynLossGetNumWeights(OdynLoss loss, PetscInt *nw)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidIntPointer(nw, 2);
  PetscCall(OdynLossSetUp(loss));
  *nw = loss->identity ? 0 : loss->nf * loss->nc + loss->nc;
  PetscFunctionReturn(0);
}

/*@
   OdynLossSetIdentityClassifier - drops the classifier: the scores are the features themselves (regression of signals)

   Logically Collective

   Input Parameters:
+  loss - the loss
-  flg - PETSC_TRUE: no weights; Z = P YN with P the identity when nf = nc, or, when nf = m nc, the average of the m
         channels y[k], y[k + nc], ..., y[k + (m-1) nc] (the layout OdynDatasetDuplicateFeatures() makes)

   Options Database Keys:
+  -odyn_loss_identity_classifier - the same
-  -odyn_loss_identity_interleaved - average channels stored fastest instead: z[k] = 1/m sum_j y[k m + j] (the
   layout of ODYNLAYERDIFFUSIONCONV)

   Level: intermediate

   Notes:
   For denoising (paper 002 Sec. 7.1) the network's output is the restored signal: with the lsq loss the objective is
   then 1/(2s) sum_i ||P y_N^i - c^i||^2, half nc times the mean squared error. The weight Vec wmu has length 0
   (OdynLossCreateWeightVec() still makes it, so that trainers need no special case), its gradients and Hessian
   products are empty, and the feature gradient and Gauss-Newton products are P^T G and P^T H_Z P dY.

.seealso: `OdynLossGetIdentityClassifier()`, `ODYNLOSSLSQ`, `OdynLossGetPSNR()`
@*/
PetscErrorCode OdynLossSetIdentityClassifier(OdynLoss loss, PetscBool flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidLogicalCollectiveBool(loss, flg, 2);
  if (flg != loss->identity) PetscCall(OdynLossResetData_Private(loss));
  loss->identity    = flg;
  loss->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynLossGetIdentityClassifier - whether the loss has no classifier weights (see OdynLossSetIdentityClassifier())

   Not Collective

   Level: intermediate

.seealso: `OdynLossSetIdentityClassifier()`
@*/
PetscErrorCode OdynLossGetIdentityClassifier(OdynLoss loss, PetscBool *flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidBoolPointer(flg, 2);
  *flg = loss->identity;
  PetscFunctionReturn(0);
}

/*@
   OdynLossCreateWeightVec - creates a parallel Vec for the packed classifier weights wmu = [W | mu]

   Collective

   Output Parameter:
.  wmu - the Vec, of global length nf nc + nc, distributed with PETSC_DECIDE, zero

   Level: beginner

   Notes:
   wmu[i + k nf] = W(i, k) (column-major, one column per class) and wmu[nf nc + k] = mu(k). Any parallel layout of the
   same global length is accepted by the other routines; this is the one the regularizers (OdynRegularizer of type
   image) use as well.

.seealso: `OdynLossGetNumWeights()`, `OdynLossEvaluate()`
@*/
PetscErrorCode OdynLossCreateWeightVec(OdynLoss loss, Vec *wmu)
{
  PetscInt nw = 0; /* set below; initialized for GCC -Wmaybe-uninitialized at -O2 */

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidPointer(wmu, 2);
  PetscCall(OdynLossGetNumWeights(loss, &nw));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)loss), PETSC_DECIDE, nw, wmu));
  PetscCall(VecZeroEntries(*wmu));
  PetscFunctionReturn(0);
}
