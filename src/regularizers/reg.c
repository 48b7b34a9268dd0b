#include <odyn/private/regimpl.h>

const char *const OdynRegImageOperators[] = {"gradient", "laplacian", "OdynRegImageOperator", "ODYN_REG_IMAGE_", NULL};

/*@
   OdynRegularizerCreate - creates a regularizer; its type is set with OdynRegularizerSetType() or -odyn_reg_type

   Collective

   Input Parameter:
.  comm - the communicator of the parameter Vecs

   Output Parameter:
.  reg - the new regularizer

   Level: beginner

.seealso: `OdynRegularizerSetType()`, `OdynRegularizerSetNet()`, `OdynRegularizerEvaluate()`, `OdynRegularizerDestroy()`
@*/
PetscErrorCode OdynRegularizerCreate(MPI_Comm comm, OdynRegularizer *reg)
{
  OdynRegularizer r;

  PetscFunctionBegin;
  PetscValidPointer(reg, 2);
  *reg = NULL;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscHeaderCreate(r, ODYNREG_CLASSID, "OdynRegularizer", "Regularizer", "OdynRegularizer", comm, OdynRegularizerDestroy, OdynRegularizerView));
  r->weight = 1.0;
  r->shift  = 1e-3;
  r->n      = -1;
  *reg      = r;
  PetscFunctionReturn(0);
}

/* Frees what SetUp built: the type's operators, H, P, the PC and the time layout. */
PetscErrorCode OdynRegularizerReset_Private(OdynRegularizer reg)
{
  PetscFunctionBegin;
  if (reg->setupcalled) PetscTryTypeMethod(reg, reset);
  PetscCall(MatDestroy(&reg->H));
  PetscCall(MatDestroy(&reg->P));
  PetscCall(PCDestroy(&reg->pc));
  PetscCall(PetscFree4(reg->boff, reg->bN, reg->bnp, reg->bh));
  PetscCall(PetscFree(reg->bsh));
  reg->nblocks     = 0;
  reg->n           = -1;
  reg->hvalid      = PETSC_FALSE;
  reg->pvalid      = PETSC_FALSE;
  reg->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
   OdynRegularizerSetType - sets the regularizer: smooth, tikhonov, tv, image, or a registered one

   Collective

   Input Parameters:
+  reg - the regularizer
-  type - the name

   Options Database Key:
.  -odyn_reg_type <smooth> - the type

   Level: beginner

.seealso: `OdynRegularizerRegister()`, `OdynRegularizerGetType()`
@*/
PetscErrorCode OdynRegularizerSetType(OdynRegularizer reg, OdynRegularizerType type)
{
  PetscErrorCode (*create)(OdynRegularizer);
  PetscBool match;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidCharPointer(type, 2);
  PetscCall(PetscObjectTypeCompare((PetscObject)reg, type, &match));
  if (match) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(OdynRegularizerList, type, &create));
  PetscCheck(create, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown OdynRegularizer type \"%s\": the registered types are smooth, tikhonov, tv, image and those added with OdynRegularizerRegister()", type);
  PetscCall(OdynRegularizerReset_Private(reg));
  PetscTryTypeMethod(reg, destroy);
  reg->data = NULL;
  PetscCall(PetscMemzero(reg->ops, sizeof(struct _OdynRegularizerOps)));
  PetscCall(PetscObjectChangeTypeName((PetscObject)reg, type));
  PetscCall((*create)(reg));
  PetscFunctionReturn(0);
}

/*@C
   OdynRegularizerGetType - gets the name of the regularizer type

   Not Collective

   Level: beginner

.seealso: `OdynRegularizerSetType()`
@*/
PetscErrorCode OdynRegularizerGetType(OdynRegularizer reg, OdynRegularizerType *type)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidPointer(type, 2);
  *type = ((PetscObject)reg)->type_name;
  PetscFunctionReturn(0);
}

/*@C
   OdynRegularizerSetOptionsPrefix - sets the prefix of the regularizer's options (e.g. one for theta, one for W)

   Logically Collective

   Notes:
   The preconditioner takes the options prefix <prefix>odyn_reg_, e.g. -odyn_reg_pc_type.

   Level: intermediate

.seealso: `OdynRegularizerSetFromOptions()`
@*/
PetscErrorCode OdynRegularizerSetOptionsPrefix(OdynRegularizer reg, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)reg, prefix));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerSetFromOptions - sets the regularizer from the options database

   Collective

   Options Database Keys:
+  -odyn_reg_type <smooth> - smooth, tikhonov, tv, image
.  -odyn_reg_weight <1> - the weight alpha (or beta) that multiplies R
.  -odyn_reg_pc_shift <1e-3> - the shift of the preconditioner alpha d2R + shift I
.  -odyn_reg_tv_tau <1e-3> - tv: phi(x) = sqrt(x^2 + tau)
.  -odyn_reg_tv_lagged_diffusivity <true> - tv: the assembled matrix is the lagged-diffusivity operator (else the Hessian)
.  -odyn_reg_image_grid <n1,n2[,channels]> - image: the grid of the features
.  -odyn_reg_image_num_classes <nc> - image: the number of columns of W
-  -odyn_reg_image_operator <laplacian> - image: gradient or laplacian

   Level: beginner

.seealso: `OdynRegularizerSetType()`, `OdynRegularizerSetWeight()`, `OdynRegularizerSetShift()`
@*/
PetscErrorCode OdynRegularizerSetFromOptions(OdynRegularizer reg)
{
  char      type[256];
  PetscBool flg;
  PetscReal v;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscObjectOptionsBegin((PetscObject)reg);
  PetscCall(PetscOptionsFList("-odyn_reg_type", "Regularizer", "OdynRegularizerSetType", OdynRegularizerList, ((PetscObject)reg)->type_name ? ((PetscObject)reg)->type_name : ODYNREGSMOOTH, type, sizeof(type), &flg));
  if (flg || !((PetscObject)reg)->type_name) PetscCall(OdynRegularizerSetType(reg, flg ? type : ODYNREGSMOOTH));
  v = reg->weight;
  PetscCall(PetscOptionsReal("-odyn_reg_weight", "Weight alpha of the regularizer", "OdynRegularizerSetWeight", v, &v, &flg));
  if (flg) PetscCall(OdynRegularizerSetWeight(reg, v));
  v = reg->shift;
  PetscCall(PetscOptionsReal("-odyn_reg_pc_shift", "Shift of the preconditioner alpha d2R + shift I", "OdynRegularizerSetShift", v, &v, &flg));
  if (flg) PetscCall(OdynRegularizerSetShift(reg, v));
  PetscTryTypeMethod(reg, setfromoptions, PetscOptionsObject);
  PetscCall(PetscObjectProcessOptionsHandlers((PetscObject)reg, PetscOptionsObject));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

/* Reads the block/step layout of theta from the net. */
PetscErrorCode OdynRegularizerReadTimeLayout_Private(OdynRegularizer reg)
{
  PetscInt nb;

  PetscFunctionBegin;
  PetscCheck(reg->net, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_WRONGSTATE, "The %s regularizer acts on the parameters of a network: call OdynRegularizerSetNet() first", ((PetscObject)reg)->type_name);
  PetscCall(PetscFree4(reg->boff, reg->bN, reg->bnp, reg->bh));
  PetscCall(PetscFree(reg->bsh));
  PetscCall(OdynNetGetNumBlocks(reg->net, &nb));
  PetscCall(PetscMalloc4(nb, &reg->boff, nb, &reg->bN, nb, &reg->bnp, nb, &reg->bh));
  PetscCall(PetscMalloc1(nb, &reg->bsh));
  reg->nblocks = nb;
  for (PetscInt b = 0; b < nb; b++) {
    OdynScheme scheme;
    OdynLayer  layer;

    PetscCall(OdynNetGetBlock(reg->net, b, &scheme));
    PetscCall(OdynSchemeGetLayer(scheme, &layer));
    PetscCall(OdynNetGetBlockParameterOffset(reg->net, b, &reg->boff[b]));
    PetscCall(OdynSchemeGetNumSteps(scheme, &reg->bN[b]));
    PetscCall(OdynSchemeGetStepSize(scheme, &reg->bh[b]));
    /* a time slot holds the layer's parameters of a step and the scheme's own (LM-ResNet k_j, ...); shared weights come
       first and are not differenced in time */
    PetscCall(OdynSchemeGetParameterLayout(scheme, &reg->bsh[b], &reg->bnp[b], NULL));
  }
  PetscFunctionReturn(0);
}

/* Whether the net's layout is still the one the regularizer was set up for (multilevel training changes N). */
static PetscErrorCode OdynRegularizerLayoutChanged_Private(OdynRegularizer reg, PetscBool *changed)
{
  PetscInt nb, np;

  PetscFunctionBegin;
  *changed = PETSC_FALSE;
  if (!reg->net || !reg->nblocks) PetscFunctionReturn(0);
  PetscCall(OdynNetGetNumBlocks(reg->net, &nb));
  PetscCall(OdynNetGetNumParameters(reg->net, &np));
  if (nb != reg->nblocks || np != reg->n) {
    *changed = PETSC_TRUE;
    PetscFunctionReturn(0);
  }
  for (PetscInt b = 0; b < nb && !*changed; b++) {
    OdynScheme scheme;
    PetscInt   N, off;
    PetscReal  h;

    PetscCall(OdynNetGetBlock(reg->net, b, &scheme));
    PetscCall(OdynSchemeGetNumSteps(scheme, &N));
    PetscCall(OdynSchemeGetStepSize(scheme, &h));
    PetscCall(OdynNetGetBlockParameterOffset(reg->net, b, &off));
    if (N != reg->bN[b] || h != reg->bh[b] || off != reg->boff[b]) *changed = PETSC_TRUE;
  }
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerSetUp - reads the layout and builds the sparse operators

   Collective

   Level: intermediate

   Notes:
   Called by every evaluation. When the network's layout changed since (e.g. the number of steps doubled in multilevel
   training) the operators are rebuilt.

.seealso: `OdynRegularizerSetNet()`
@*/
PetscErrorCode OdynRegularizerSetUp(OdynRegularizer reg)
{
  PetscBool changed;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscCall(OdynRegularizerLayoutChanged_Private(reg, &changed));
  if (changed) PetscCall(OdynRegularizerReset_Private(reg));
  if (reg->setupcalled) PetscFunctionReturn(0);
  if (!((PetscObject)reg)->type_name) PetscCall(OdynRegularizerSetType(reg, ODYNREGSMOOTH));
  PetscUseTypeMethod(reg, setup);
  PetscCheck(reg->n >= 0, PetscObjectComm((PetscObject)reg), PETSC_ERR_PLIB, "The %s regularizer did not set its size", ((PetscObject)reg)->type_name);
  reg->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* Sets the global size n and the PETSC_DECIDE local size of the Vecs the regularizer acts on. */
PetscErrorCode OdynRegularizerSetSize_Private(OdynRegularizer reg, PetscInt n)
{
  PetscFunctionBegin;
  reg->n      = n;
  reg->nlocal = PETSC_DECIDE;
  PetscCall(PetscSplitOwnership(PetscObjectComm((PetscObject)reg), &reg->nlocal, &reg->n));
  PetscFunctionReturn(0);
}

/*@C
   OdynRegularizerView - prints the type, weight, shift and the layout

   Collective

   Level: beginner

.seealso: `OdynRegularizerCreate()`
@*/
PetscErrorCode OdynRegularizerView(OdynRegularizer reg, PetscViewer viewer)
{
  PetscBool isascii;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)reg), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)reg, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "weight %g, preconditioner shift %g\n", (double)reg->weight, (double)reg->shift));
  if (reg->setupcalled) PetscCall(PetscViewerASCIIPrintf(viewer, "acts on %" PetscInt_FMT " values\n", reg->n));
  for (PetscInt b = 0; b < reg->nblocks; b++) PetscCall(PetscViewerASCIIPrintf(viewer, "block %" PetscInt_FMT ": %" PetscInt_FMT " steps of size %g, %" PetscInt_FMT " parameters per step\n", b, reg->bN[b], (double)reg->bh[b], reg->bnp[b]));
  PetscTryTypeMethod(reg, view, viewer);
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerDestroy - drops a reference to the regularizer and frees it when none is left

   Collective

   Level: beginner

.seealso: `OdynRegularizerCreate()`
@*/
PetscErrorCode OdynRegularizerDestroy(OdynRegularizer *reg)
{
  PetscFunctionBegin;
  if (!*reg) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*reg, ODYNREG_CLASSID, 1);
  if (--((PetscObject)(*reg))->refct > 0) {
    *reg = NULL;
    PetscFunctionReturn(0);
  }
  PetscCall(OdynRegularizerReset_Private(*reg));
  PetscTryTypeMethod(*reg, destroy);
  PetscCall(OdynNetDestroy(&(*reg)->net));
  PetscCall(PetscHeaderDestroy(reg));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerSetNet - sets the network whose parameters theta the smooth, tikhonov and tv regularizers act on

   Collective

   Input Parameters:
+  reg - the regularizer
-  net - the network (a reference is kept)

   Level: beginner

   Notes:
   The regularizer reads the layout of theta (blocks, steps N_b, step sizes h_b, parameters per step) from the net and
   rebuilds its operators by itself when that layout changes.

.seealso: `OdynRegularizerGetNet()`, `OdynNetCreateParameterVec()`
@*/
PetscErrorCode OdynRegularizerSetNet(OdynRegularizer reg, OdynNet net)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 2);
  PetscCheckSameComm(reg, 1, net, 2);
  PetscCall(PetscObjectReference((PetscObject)net));
  PetscCall(OdynRegularizerReset_Private(reg));
  PetscCall(OdynNetDestroy(&reg->net));
  reg->net = net;
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerGetNet - gets the network (borrowed), or NULL

   Not Collective

   Level: beginner

.seealso: `OdynRegularizerSetNet()`
@*/
PetscErrorCode OdynRegularizerGetNet(OdynRegularizer reg, OdynNet *net)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidPointer(net, 2);
  *net = reg->net;
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerSetWeight - sets the weight alpha: value, gradient, Hessian and matrices are those of alpha R

   Logically Collective

   Options Database Key:
.  -odyn_reg_weight <1> - the weight

   Level: beginner

.seealso: `OdynRegularizerGetWeight()`, `OdynRegularizerSetShift()`
@*/
PetscErrorCode OdynRegularizerSetWeight(OdynRegularizer reg, PetscReal alpha)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidLogicalCollectiveReal(reg, alpha, 2);
  PetscCheck(alpha >= 0, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_OUTOFRANGE, "The regularization weight must be >= 0, got %g", (double)alpha);
  reg->weight = alpha;
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerGetWeight - gets the weight alpha

   Not Collective

   Level: beginner

.seealso: `OdynRegularizerSetWeight()`
@*/
PetscErrorCode OdynRegularizerGetWeight(OdynRegularizer reg, PetscReal *alpha)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidRealPointer(alpha, 2);
  *alpha = reg->weight;
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerSetShift - sets the shift of the preconditioner alpha d2R + shift I

   Logically Collective

   Options Database Key:
.  -odyn_reg_pc_shift <1e-3> - the shift

   Level: beginner

   Notes:
   smooth, tv and image have a null space (parameters constant in time, constant images, mu): the shift makes the
   preconditioner definite and stands in for the data term of the Hessian. It must be positive for CHOLMOD.

.seealso: `OdynRegularizerGetShift()`, `OdynRegularizerGetPC()`
@*/
PetscErrorCode OdynRegularizerSetShift(OdynRegularizer reg, PetscReal shift)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidLogicalCollectiveReal(reg, shift, 2);
  PetscCheck(shift >= 0, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_OUTOFRANGE, "The preconditioner shift must be >= 0, got %g", (double)shift);
  reg->shift = shift;
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerGetShift - gets the shift of the preconditioner

   Not Collective

   Level: beginner

.seealso: `OdynRegularizerSetShift()`
@*/
PetscErrorCode OdynRegularizerGetShift(OdynRegularizer reg, PetscReal *shift)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidRealPointer(shift, 2);
  *shift = reg->shift;
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerGetSize - the global length of the Vecs the regularizer acts on

   Collective; sets the regularizer up

   Level: intermediate

.seealso: `OdynRegularizerCreateVec()`
@*/
PetscErrorCode OdynRegularizerGetSize(OdynRegularizer reg, PetscInt *n)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidIntPointer(n, 2);
  PetscCall(OdynRegularizerSetUp(reg));
  *n = reg->n;
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerCreateVec - creates a zero parallel Vec of the layout the regularizer expects (PETSC_DECIDE)

   Collective

   Level: intermediate

.seealso: `OdynRegularizerGetSize()`, `OdynNetCreateParameterVec()`, `OdynLossCreateWeightVec()`
@*/
PetscErrorCode OdynRegularizerCreateVec(OdynRegularizer reg, Vec *x)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidPointer(x, 2);
  PetscCall(OdynRegularizerSetUp(reg));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)reg), reg->nlocal, reg->n, x));
  PetscCall(VecZeroEntries(*x));
  PetscFunctionReturn(0);
}
