#include <odyn/private/schemeimpl.h>
#include <odyn/private/odynimpl.h>

/*@
   OdynSchemeCreate - creates a block of a network: a time-stepping scheme applied to a layer function

   Collective

   Input Parameter:
.  comm - the communicator

   Output Parameter:
.  scheme - the new scheme (type euler, N = 4, T = 1 until set)

   Level: beginner

.seealso: `OdynSchemeSetType()`, `OdynSchemeSetLayer()`, `OdynSchemeSetNumSteps()`, `OdynSchemeSetFinalTime()`
@*/
PetscErrorCode OdynSchemeCreate(MPI_Comm comm, OdynScheme *scheme)
{
  OdynScheme sc;

  PetscFunctionBegin;
  PetscValidPointer(scheme, 2);
  *scheme = NULL;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscHeaderCreate(sc, ODYNSCHEME_CLASSID, "OdynScheme", "Time-stepping block", "OdynScheme", comm, OdynSchemeDestroy, OdynSchemeView));
  sc->N        = 4;
  sc->T        = 1.0;
  sc->trajtype = ODYN_TRAJECTORY_STORE;
  sc->cachelin = PETSC_TRUE;
  *scheme      = sc;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynSchemeFreeStorage_Private(OdynScheme scheme)
{
  PetscFunctionBegin;
  for (PetscInt c = 0; c < ODYN_SCHEME_MAX_COMPONENTS; c++) {
    PetscCall(PetscFree(scheme->traj[c]));
    PetscCall(PetscFree(scheme->revbuf[c]));
    scheme->rev[c] = NULL;
  }
  for (PetscInt w = 0; w < ODYN_SCHEME_NUM_WORK; w++) PetscCall(PetscFree(scheme->work[w]));
  PetscCall(PetscFree(scheme->revwork));
  PetscCall(OdynSchemeBackendFree_Private(scheme));
  for (PetscInt f = 0; f < ODYN_LAYER_MAX_FACES; f++) {
    PetscCall(PetscFree(scheme->lin[f]));
    scheme->linlen[f] = 0;
  }
  scheme->s       = 0;
  scheme->salloc  = 0;
  scheme->hastraj = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeSetType - sets the scheme: euler (ResNet), leapfrog, verlet, or a registered one

   Collective

   Options Database Key:
.  -odyn_scheme_type <euler> - the scheme

   Level: beginner

.seealso: `OdynSchemeRegister()`
@*/
PetscErrorCode OdynSchemeSetType(OdynScheme scheme, OdynSchemeType type)
{
  PetscErrorCode (*create)(OdynScheme);
  PetscBool match;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidCharPointer(type, 2);
  PetscCall(PetscObjectTypeCompare((PetscObject)scheme, type, &match));
  if (match) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(OdynSchemeList, type, &create));
  PetscCheck(create, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown OdynScheme type \"%s\": the registered types are euler, leapfrog, verlet and those added with OdynSchemeRegister()", type);
  PetscTryTypeMethod(scheme, destroy);
  scheme->data = NULL;
  PetscCall(PetscMemzero(scheme->ops, sizeof(struct _OdynSchemeOps)));
  PetscCall(OdynSchemeFreeStorage_Private(scheme));
  scheme->setupcalled = PETSC_FALSE;
  PetscCall(PetscObjectChangeTypeName((PetscObject)scheme, type));
  PetscCall((*create)(scheme));
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeGetType - gets the scheme's type name

   Not Collective

   Level: beginner

.seealso: `OdynSchemeSetType()`
@*/
PetscErrorCode OdynSchemeGetType(OdynScheme scheme, OdynSchemeType *type)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidPointer(type, 2);
  *type = ((PetscObject)scheme)->type_name;
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeSetOptionsPrefix - sets the options prefix of the scheme and of its layer

   Logically Collective

   Level: intermediate

.seealso: `OdynSchemeSetFromOptions()`
@*/
PetscErrorCode OdynSchemeSetOptionsPrefix(OdynScheme scheme, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)scheme, prefix));
  if (scheme->layer) PetscCall(OdynLayerSetOptionsPrefix(scheme->layer, prefix));
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeSetLayer - sets the layer function the scheme integrates (the scheme keeps a reference)

   Logically Collective

   Level: beginner

.seealso: `OdynSchemeGetLayer()`
@*/
PetscErrorCode OdynSchemeSetLayer(OdynScheme scheme, OdynLayer layer)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 2);
  PetscCall(PetscObjectReference((PetscObject)layer));
  PetscCall(OdynLayerDestroy(&scheme->layer));
  scheme->layer       = layer;
  scheme->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetLayer - gets the layer function, creating a dense one if none was set (borrowed reference)

   Not Collective

   Level: beginner

.seealso: `OdynSchemeSetLayer()`
@*/
PetscErrorCode OdynSchemeGetLayer(OdynScheme scheme, OdynLayer *layer)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidPointer(layer, 2);
  if (!scheme->layer) {
    const char *prefix;
    PetscCall(OdynLayerCreate(PetscObjectComm((PetscObject)scheme), &scheme->layer));
    PetscCall(PetscObjectGetOptionsPrefix((PetscObject)scheme, &prefix));
    PetscCall(OdynLayerSetOptionsPrefix(scheme->layer, prefix));
  }
  *layer = scheme->layer;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeSetNumSteps - sets the number of time steps (layers) N of the block

   Logically Collective

   Options Database Key:
.  -odyn_scheme_num_steps <4> - N

   Level: beginner

.seealso: `OdynSchemeSetFinalTime()`
@*/
PetscErrorCode OdynSchemeSetNumSteps(OdynScheme scheme, PetscInt N)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscCheck(N >= 1, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_OUTOFRANGE, "The number of steps must be >= 1, got %" PetscInt_FMT, N);
  if (N != scheme->N) PetscCall(OdynSchemeFreeStorage_Private(scheme));
  scheme->N           = N;
  scheme->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetNumSteps - gets N

   Not Collective

   Level: beginner

.seealso: `OdynSchemeSetNumSteps()`
@*/
PetscErrorCode OdynSchemeGetNumSteps(OdynScheme scheme, PetscInt *N)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidIntPointer(N, 2);
  *N = scheme->N;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeSetFinalTime - sets the final time T of the block; the step is h = T/N

   Logically Collective

   Options Database Key:
.  -odyn_scheme_final_time <1> - T

   Level: beginner

.seealso: `OdynSchemeSetNumSteps()`, `OdynSchemeGetStepSize()`
@*/
PetscErrorCode OdynSchemeSetFinalTime(OdynScheme scheme, PetscReal T)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscCheck(T > 0 && !PetscIsInfOrNanReal(T), PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_OUTOFRANGE, "The final time must be positive and finite, got %g", (double)T);
  scheme->T = T;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetFinalTime - gets T

   Not Collective

   Level: beginner

.seealso: `OdynSchemeSetFinalTime()`
@*/
PetscErrorCode OdynSchemeGetFinalTime(OdynScheme scheme, PetscReal *T)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidRealPointer(T, 2);
  *T = scheme->T;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetStepSize - gets h = T/N

   Not Collective

   Level: beginner

.seealso: `OdynSchemeSetFinalTime()`
@*/
PetscErrorCode OdynSchemeGetStepSize(OdynScheme scheme, PetscReal *h)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidRealPointer(h, 2);
  *h = scheme->T / scheme->N;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeSetTrajectoryType - store all states, or recompute them backwards during the adjoint sweep

   Logically Collective

   Options Database Key:
.  -odyn_scheme_trajectory <store> - store or recompute

   Level: intermediate

   Notes:
   recompute needs a reversible scheme (leapfrog, verlet); memory then does not grow with N. The recomputed states
   differ from the forward ones by round-off that grows with N (see docs/derivations.md).

.seealso: `OdynSchemeIsReversible()`
@*/
PetscErrorCode OdynSchemeSetTrajectoryType(OdynScheme scheme, OdynTrajectoryType type)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscCheck(type == ODYN_TRAJECTORY_STORE || type == ODYN_TRAJECTORY_RECOMPUTE, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_OUTOFRANGE, "Unknown trajectory type %d: use ODYN_TRAJECTORY_STORE or ODYN_TRAJECTORY_RECOMPUTE", (int)type);
  if (type != scheme->trajtype) PetscCall(OdynSchemeFreeStorage_Private(scheme));
  scheme->trajtype    = type;
  scheme->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetTrajectoryType - gets how states are kept

   Not Collective

   Level: intermediate

.seealso: `OdynSchemeSetTrajectoryType()`
@*/
PetscErrorCode OdynSchemeGetTrajectoryType(OdynScheme scheme, OdynTrajectoryType *type)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidPointer(type, 2);
  *type = scheme->trajtype;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeSetCacheLinearization - with a stored trajectory, also keep every step's linearization (sigma'), saved
   by the first derivative sweep after a forward sweep and restored by the later ones

   Logically Collective

   Options Database Key:
.  -odyn_scheme_cache_linearization <true> - the flag

   Level: intermediate

   Notes:
   Costs as much memory as the states again (for layers whose linearization is sigma'); the Gauss-Newton CG, which
   repeats J v and J^T w at the same point, then skips the activation, which dominates narrow networks. Ignored with
   -odyn_scheme_trajectory recompute and for layers that cannot save their linearization (shell).

.seealso: `OdynSchemeSetTrajectoryType()`, `OdynLayerLinearizationSave()`
@*/
PetscErrorCode OdynSchemeSetCacheLinearization(OdynScheme scheme, PetscBool flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  if (flg != scheme->cachelin) PetscCall(OdynSchemeFreeStorage_Private(scheme));
  scheme->cachelin = flg;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetCacheLinearization - whether every step's linearization is kept

   Not Collective

   Level: intermediate

.seealso: `OdynSchemeSetCacheLinearization()`
@*/
PetscErrorCode OdynSchemeGetCacheLinearization(OdynScheme scheme, PetscBool *flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidBoolPointer(flg, 2);
  *flg = scheme->cachelin;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeIsReversible - whether the states can be recomputed backwards from the final ones

   Not Collective

   Level: intermediate

.seealso: `OdynSchemeSetTrajectoryType()`
@*/
PetscErrorCode OdynSchemeIsReversible(OdynScheme scheme, PetscBool *rev)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidBoolPointer(rev, 2);
  *rev = scheme->ops->reverse ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeSetFromOptions - sets the scheme and its layer from the options database

   Collective

   Options Database Keys:
+  -odyn_scheme_type <euler> - euler, leapfrog, verlet
.  -odyn_scheme_num_steps <4> - number of steps N
.  -odyn_scheme_final_time <1> - final time T
.  -odyn_scheme_trajectory <store> - store or recompute (reversible schemes)
.  -odyn_scheme_cache_linearization <true> - with store, keep every step's linearization too (sigma', as much memory
   as the states): the tangent and adjoint sweeps then skip the activation, which dominates narrow networks
-  -odyn_scheme_shared_weights <false> - one set of layer parameters for all steps (see OdynSchemeSetSharedWeights())

   Level: beginner

.seealso: `OdynLayerSetFromOptions()`
@*/
PetscErrorCode OdynSchemeSetFromOptions(OdynScheme scheme)
{
  char               type[256];
  PetscBool          flg;
  PetscInt           N = scheme->N;
  PetscReal          T = scheme->T;
  OdynTrajectoryType tt = scheme->trajtype;
  PetscBool          cachelin = scheme->cachelin;
  PetscBool          shared = scheme->shared;
  OdynLayer          layer;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscObjectOptionsBegin((PetscObject)scheme);
  PetscCall(PetscOptionsFList("-odyn_scheme_type", "Time-stepping scheme", "OdynSchemeSetType", OdynSchemeList, ((PetscObject)scheme)->type_name ? ((PetscObject)scheme)->type_name : ODYNSCHEMEEULER, type, sizeof(type), &flg));
  if (!flg) PetscCall(PetscStrncpy(type, ((PetscObject)scheme)->type_name ? ((PetscObject)scheme)->type_name : ODYNSCHEMEEULER, sizeof(type)));
  PetscCall(PetscOptionsInt("-odyn_scheme_num_steps", "Number of time steps (layers) N", "OdynSchemeSetNumSteps", N, &N, NULL));
  PetscCall(PetscOptionsReal("-odyn_scheme_final_time", "Final time T (step h = T/N)", "OdynSchemeSetFinalTime", T, &T, NULL));
  PetscCall(PetscOptionsEnum("-odyn_scheme_trajectory", "Store all states or recompute them backwards", "OdynSchemeSetTrajectoryType", OdynTrajectoryTypes, (PetscEnum)tt, (PetscEnum *)&tt, NULL));
  PetscCall(PetscOptionsBool("-odyn_scheme_cache_linearization", "With a stored trajectory, also keep each step's linearization (sigma'), so the derivative sweeps skip the activation", "OdynSchemeSetCacheLinearization", cachelin, &cachelin, NULL));
  PetscCall(PetscOptionsBool("-odyn_scheme_shared_weights", "One set of layer parameters shared by all steps of the block", "OdynSchemeSetSharedWeights", shared, &shared, NULL));
  PetscCall(PetscObjectProcessOptionsHandlers((PetscObject)scheme, PetscOptionsObject));
  PetscOptionsEnd();
  /* the type is set after PetscOptionsEnd(), so that an unknown name does not leak the options block */
  PetscCall(OdynSchemeSetType(scheme, type));
  PetscCall(OdynSchemeSetSharedWeights(scheme, shared));
  if (scheme->ops->setfromoptions) {
    PetscObjectOptionsBegin((PetscObject)scheme);
    PetscUseTypeMethod(scheme, setfromoptions, PetscOptionsObject);
    PetscOptionsEnd();
  }
  PetscCall(OdynSchemeSetNumSteps(scheme, N));
  PetscCall(OdynSchemeSetFinalTime(scheme, T));
  PetscCall(OdynSchemeSetTrajectoryType(scheme, tt));
  PetscCall(OdynSchemeSetCacheLinearization(scheme, cachelin));
  PetscCall(OdynSchemeGetLayer(scheme, &layer));
  PetscCall(OdynLayerSetFromOptions(layer));
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeGetSettings - the scheme's settings besides type, steps and final time, written as the options that set
   them

   Not Collective

   Input Parameter:
.  scheme - the scheme, of a set type

   Output Parameter:
.  settings - for example "-odyn_scheme_shared_weights false -odyn_scheme_fsi_cycle_length 4 -odyn_scheme_fsi_learn
   true". Free it with `PetscFree()`.

   Level: advanced

   Notes:
   The settings that change the block's function or its parameters: shared weights and the type's own (not the
   trajectory storage or the linearization cache, which change only memory and speed, nor the layer's:
   `OdynLayerGetSettings()`). Every setting is written, default or not; reals with %.17g. Inserted into an options
   database attached to a scheme of the same type (`PetscObjectSetOptions()`), `OdynSchemeSetFromOptions()` gives
   that scheme the same settings: model files rebuild blocks this way (docs/model-format.md).

.seealso: `OdynLayerGetSettings()`, `OdynSchemeSetFromOptions()`, `OdynModelSave()`
@*/
PetscErrorCode OdynSchemeGetSettings(OdynScheme scheme, char **settings)
{
  char buf[ODYN_SETTINGS_MAX] = "";

  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidPointer(settings, 2);
  PetscCall(OdynSettingsAppend(buf, sizeof(buf), "-odyn_scheme_shared_weights %s", scheme->shared ? "true" : "false"));
  PetscTryTypeMethod(scheme, settings, buf, sizeof(buf));
  PetscCall(PetscStrallocpy(buf, settings));
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeSetUp - checks that the layer fits the scheme and fixes the sizes

   Collective

   Level: intermediate

.seealso: `OdynSchemeGetNumParameters()`
@*/
PetscErrorCode OdynSchemeSetUp(OdynScheme scheme)
{
  OdynLayer layer;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  if (scheme->setupcalled) PetscFunctionReturn(0);
  if (!((PetscObject)scheme)->type_name) PetscCall(OdynSchemeSetType(scheme, ODYNSCHEMEEULER));
  PetscCall(OdynSchemeGetLayer(scheme, &layer));
  PetscCall(OdynLayerSetUp(layer));
  scheme->ncomp     = 1;
  scheme->nstate[0] = layer->n;
  scheme->nstate[1] = 0;
  scheme->nextra    = 0;
  scheme->outcomp   = 0;
  scheme->onestep   = PETSC_FALSE;
  PetscTryTypeMethod(scheme, setup);
  /* a time-stepping scheme adds F(theta, Y) to Y: a one-face layer that changes the width (pooling, a connector) cannot */
  PetscCheck(scheme->onestep || layer->nfaces != 1 || layer->nin[0] == layer->nout[0], PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_INCOMP, "Scheme %s needs a layer whose output width equals its input width; layer %s maps %" PetscInt_FMT " -> %" PetscInt_FMT ": apply it once in a block of type single (-odyn_scheme_type single)", ((PetscObject)scheme)->type_name, ((PetscObject)layer)->type_name, layer->nin[0], layer->nout[0]);
  PetscCheck(scheme->trajtype == ODYN_TRAJECTORY_STORE || scheme->ops->reverse, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_INCOMP, "Scheme %s is not reversible, so it cannot recompute its states: use -odyn_scheme_trajectory store (or a leapfrog or verlet scheme)", ((PetscObject)scheme)->type_name);
  PetscCheck(scheme->nextra >= 0, PetscObjectComm((PetscObject)scheme), PETSC_ERR_PLIB, "Scheme %s set a negative number of parameters per step", ((PetscObject)scheme)->type_name);
  scheme->nshared     = scheme->shared ? layer->nparam : 0;
  scheme->nslot       = (scheme->shared ? 0 : layer->nparam) + scheme->nextra;
  scheme->nparam      = scheme->nshared + scheme->N * scheme->nslot;
  PetscCall(OdynSchemeBackendCheck_Private(scheme)); /* a block on a backend must be one it runs */
  scheme->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeView - prints the scheme, its sizes and its layer

   Collective

   Level: beginner

.seealso: `OdynSchemeCreate()`
@*/
PetscErrorCode OdynSchemeView(OdynScheme scheme, PetscViewer viewer)
{
  PetscBool isascii;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)scheme), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)scheme, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "N %" PetscInt_FMT " steps, T %g, h %g, trajectory %s\n", scheme->N, (double)scheme->T, (double)(scheme->T / scheme->N), OdynTrajectoryTypes[scheme->trajtype]));
  if (scheme->shared) PetscCall(PetscViewerASCIIPrintf(viewer, "layer parameters shared by all steps\n"));
  if (scheme->backend) PetscCall(OdynSchemeBackendView_Private(scheme, viewer)); /* schemebackend.c */
  PetscTryTypeMethod(scheme, view, viewer);
  if (scheme->layer) PetscCall(OdynLayerView(scheme->layer, viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeDestroy - drops a reference to the scheme and frees it when none is left

   Collective

   Level: beginner

.seealso: `OdynSchemeCreate()`
@*/
PetscErrorCode OdynSchemeDestroy(OdynScheme *scheme)
{
  PetscFunctionBegin;
  if (!*scheme) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*scheme, ODYNSCHEME_CLASSID, 1);
  if (--((PetscObject)(*scheme))->refct > 0) {
    *scheme = NULL;
    PetscFunctionReturn(0);
  }
  PetscTryTypeMethod(*scheme, destroy);
  PetscCall(OdynSchemeFreeStorage_Private(*scheme));
  PetscCall(OdynLayerDestroy(&(*scheme)->layer));
  PetscCall(PetscHeaderDestroy(scheme));
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetNumParameters - number of parameters of the block: N times those of one layer step, plus the scheme's
   own parameters per step (LM-ResNet, Du Fort-Frankel, FSI), or the layer's once with shared weights

   Not Collective; sets the scheme up

   Notes:
   Layout: theta_block = [theta_0, theta_1, ..., theta_{N-1}], each with the layer's layout followed by the scheme's
   parameters of that step; see OdynSchemeGetParameterLayout().

   Level: beginner

.seealso: `OdynLayerGetNumParameters()`
@*/
PetscErrorCode OdynSchemeGetNumParameters(OdynScheme scheme, PetscInt *np)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidIntPointer(np, 2);
  PetscCall(OdynSchemeSetUp(scheme));
  *np = scheme->nparam;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetWidth - width of the state Y that enters the block (and leaves it, but for single blocks: see
   OdynSchemeGetOutputWidth())

   Not Collective; sets the scheme up

   Level: beginner

.seealso: `OdynLayerGetWidth()`
@*/
PetscErrorCode OdynSchemeGetWidth(OdynScheme scheme, PetscInt *n)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidIntPointer(n, 2);
  PetscCall(OdynSchemeSetUp(scheme));
  *n = scheme->nstate[0];
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetOutputWidth - width of the state that leaves the block: the input width OdynSchemeGetWidth(), except
   for blocks that change it (ODYNSCHEMESINGLE with a connector or pooling layer)

   Not Collective; sets the scheme up

   Level: beginner

.seealso: `OdynSchemeGetWidth()`, `ODYNSCHEMESINGLE`
@*/
PetscErrorCode OdynSchemeGetOutputWidth(OdynScheme scheme, PetscInt *n)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidIntPointer(n, 2);
  PetscCall(OdynSchemeSetUp(scheme));
  *n = scheme->nstate[scheme->outcomp];
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetNumExamples - number of examples of the current trajectory (0 before the first forward sweep)

   Not Collective

   Level: intermediate

.seealso: `OdynSchemeForward()`
@*/
PetscErrorCode OdynSchemeGetNumExamples(OdynScheme scheme, PetscInt *s)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidIntPointer(s, 2);
  *s = scheme->s;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeSetSharedWeights - one set of layer parameters for all steps of the block (weight sharing, as in the
   recurrent networks of paper 002 Sec. 5) instead of one per step

   Logically Collective

   Options Database Key:
.  -odyn_scheme_shared_weights <false> - the flag

   Level: intermediate

   Notes:
   The scheme's own per-step parameters (LM-ResNet k_j, FSI alpha_j, ...) stay per step. See OdynSchemeGetParameterLayout().

.seealso: `OdynSchemeGetParameterLayout()`, `OdynSchemeGetSharedWeights()`
@*/
PetscErrorCode OdynSchemeSetSharedWeights(OdynScheme scheme, PetscBool flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  if (flg != scheme->shared) { /* another parameter layout: the storage made for the old one goes (the backend's sized by it) */
    PetscCall(OdynSchemeFreeStorage_Private(scheme));
    scheme->setupcalled = PETSC_FALSE;
  }
  scheme->shared = flg;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetSharedWeights - whether all steps share one set of layer parameters

   Not Collective

   Level: intermediate

.seealso: `OdynSchemeSetSharedWeights()`
@*/
PetscErrorCode OdynSchemeGetSharedWeights(OdynScheme scheme, PetscBool *flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidBoolPointer(flg, 2);
  *flg = scheme->shared;
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeGetParameterLayout - how the block's parameters are laid out in time

   Not Collective; sets the scheme up

   Input Parameter:
.  scheme - the scheme

   Output Parameters:
+  nshared - parameters used by every step, first in the block (the layer's with shared weights, else 0)
.  nslot - parameters of each of the N time slots that follow
-  nextra - of those, the scheme's own (at the end of each slot; the layer's come first unless shared)

   Level: intermediate

   Notes:
   theta_block = [shared (nshared) | slot_0 (nslot) | ... | slot_{N-1} (nslot)]. Time regularizers (smooth, tv) act on
   the slots, multilevel prolongation interpolates the slots in time and copies the shared part.

.seealso: `OdynSchemeGetNumParameters()`, `OdynSchemeSetSharedWeights()`, `OdynNetProlongParameters()`
@*/
PetscErrorCode OdynSchemeGetParameterLayout(OdynScheme scheme, PetscInt *nshared, PetscInt *nslot, PetscInt *nextra)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscCall(OdynSchemeSetUp(scheme));
  if (nshared) *nshared = scheme->nshared;
  if (nslot) *nslot = scheme->nslot;
  if (nextra) *nextra = scheme->nextra;
  PetscFunctionReturn(0);
}
