/*
   The storage of a scheme's trajectory (all states, or state 0 and a ring of two for RECOMPUTE) and the three sweeps
   built on it: forward, tangent, adjoint, plus the state access used by the implementations. The object's settings
   and life cycle are in scheme.c.
*/
#include <odyn/private/schemeimpl.h>
#include <odyn/private/odynimpl.h>

/* Slot of state k: all of them with STORE; with RECOMPUTE state 0 and a ring of two for k >= 1. */
static inline PetscInt OdynSchemeSlot_Private(OdynScheme scheme, PetscInt k)
{
  if (scheme->trajtype == ODYN_TRAJECTORY_STORE) return k;
  return k == 0 ? 0 : 1 + ((k + 1) & 1);
}

PetscScalar *OdynSchemeState_Private(OdynScheme scheme, PetscInt c, PetscInt k)
{
  return scheme->traj[c] + (size_t)OdynSchemeSlot_Private(scheme, k) * scheme->nstate[c] * scheme->s;
}

/* Allocates the storage for s examples; keeps it when it is already large enough. */
static PetscErrorCode OdynSchemeAllocate_Private(OdynScheme scheme, PetscInt s)
{
  const PetscInt nslots = scheme->trajtype == ODYN_TRAJECTORY_STORE ? scheme->N + 1 : 3;
  PetscInt       nmax   = 0;

  PetscFunctionBegin;
  if (s > scheme->salloc) {
    PetscCall(OdynSchemeFreeStorage_Private(scheme));
    for (PetscInt c = 0; c < scheme->ncomp; c++) nmax = PetscMax(nmax, scheme->nstate[c]);
    for (PetscInt c = 0; c < scheme->ncomp; c++) PetscCall(PetscMalloc1((size_t)nslots * scheme->nstate[c] * s, &scheme->traj[c]));
    for (PetscInt w = 0; w < ODYN_SCHEME_NUM_WORK; w++) PetscCall(PetscMalloc1((size_t)nmax * s, &scheme->work[w]));
    if (scheme->trajtype == ODYN_TRAJECTORY_RECOMPUTE) {
      for (PetscInt c = 0; c < ODYN_SCHEME_MAX_COMPONENTS; c++) PetscCall(PetscMalloc1((size_t)nmax * s, &scheme->revbuf[c]));
      PetscCall(PetscMalloc1((size_t)nmax * s, &scheme->revwork));
    }
    if (scheme->trajtype == ODYN_TRAJECTORY_STORE && scheme->cachelin) {
      PetscInt len[ODYN_LAYER_MAX_FACES] = {0, 0};
      PetscBool all = PETSC_TRUE;
      for (PetscInt f = 0; f < scheme->layer->nfaces; f++) {
        PetscCall(OdynLayerGetLinearizationSize(scheme->layer, f, s, &len[f]));
        if (!len[f]) all = PETSC_FALSE;
      }
      for (PetscInt f = 0; all && f < scheme->layer->nfaces; f++) PetscCall(PetscMalloc1((size_t)scheme->N * len[f], &scheme->lin[f]));
    }
    scheme->salloc = s;
  }
  scheme->s = s;
  /* saved linearizations belong to the previous trajectory */
  for (PetscInt f = 0; f < ODYN_LAYER_MAX_FACES; f++) scheme->linlen[f] = 0;
  scheme->linfilled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynSchemeGetStepParameters_Private(OdynScheme scheme, const PetscScalar *theta, PetscInt j, const PetscScalar **thj)
{
  PetscFunctionBegin;
  *thj = theta ? theta + OdynSchemeStepOffset_Private(scheme, j) : NULL;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynSchemeLinearizeStep_Private(OdynScheme scheme, PetscInt face, const PetscScalar *thj, PetscInt j, const PetscScalar *X)
{
  PetscFunctionBegin;
  if (scheme->linlen[face] && scheme->linfilled) PetscCall(OdynLayerLinearizationRestore(scheme->layer, face, thj, scheme->s, X, scheme->lin[face] + (size_t)j * scheme->linlen[face]));
  else {
    PetscCall(OdynLayerLinearize(scheme->layer, face, thj, scheme->s, X));
    if (scheme->linlen[face]) PetscCall(OdynLayerLinearizationSave(scheme->layer, face, scheme->lin[face] + (size_t)j * scheme->linlen[face]));
  }
  PetscFunctionReturn(0);
}

/*
  The states at step k during a backward walk k = N, N-1, ..., 0 (each call one step lower than the last, starting at
  N). STORE: the stored states. RECOMPUTE: rev[] starts as a copy of the final states (for one-component schemes
  rev[1] holds Y_{N-1}, the second state of a two-step recurrence) and `reverse` takes it one step back per call.
*/
PetscErrorCode OdynSchemeBackwardState_Private(OdynScheme scheme, const PetscScalar *theta, PetscInt k, PetscScalar **Y, PetscScalar **Z)
{
  PetscFunctionBegin;
  if (scheme->trajtype == ODYN_TRAJECTORY_STORE) {
    *Y = OdynSchemeState_Private(scheme, 0, k);
    if (Z) *Z = scheme->ncomp > 1 ? OdynSchemeState_Private(scheme, 1, k) : NULL;
    PetscFunctionReturn(0);
  }
  if (k == scheme->N) {
    for (PetscInt c = 0; c < ODYN_SCHEME_MAX_COMPONENTS; c++) scheme->rev[c] = scheme->revbuf[c];
    for (PetscInt c = 0; c < scheme->ncomp; c++) PetscCall(PetscArraycpy(scheme->rev[c], OdynSchemeState_Private(scheme, c, k), scheme->nstate[c] * scheme->s));
    if (scheme->ncomp == 1) PetscCall(PetscArraycpy(scheme->rev[1], OdynSchemeState_Private(scheme, 0, k - 1), scheme->nstate[0] * scheme->s));
  } else {
    PetscCheck(k == scheme->revk - 1, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Backward walk must go one step at a time: at %" PetscInt_FMT ", asked for %" PetscInt_FMT, scheme->revk, k);
    PetscUseTypeMethod(scheme, reverse, theta + OdynSchemeStepOffset_Private(scheme, k), k, scheme->rev, scheme->revwork);
  }
  scheme->revk = k;
  *Y           = scheme->rev[0];
  if (Z) *Z = scheme->ncomp > 1 ? scheme->rev[1] : NULL;
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeForward - propagates s examples through the block and keeps what the derivative sweeps need

   Not Collective (acts on this rank's examples)

   Input Parameters:
+  scheme - the scheme
.  theta - the block's parameters (see `OdynSchemeGetNumParameters()`)
.  s - number of examples
-  Y0 - the input, n x s column-major

   Output Parameter:
.  YN - the output, n x s (may be NULL)

   Level: intermediate

   Notes:
   Verlet starts from Z = 0. theta is used again, not kept: pass the same theta to the tangent and adjoint sweeps.

.seealso: `OdynSchemeTangent()`, `OdynSchemeAdjoint()`, `OdynNetForward()`
@*/
PetscErrorCode OdynSchemeForward(OdynScheme scheme, const PetscScalar theta[], PetscInt s, const PetscScalar Y0[], PetscScalar YN[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscCall(OdynSchemeForwardChained_Private(scheme, theta, s, Y0, NULL, YN));
  PetscFunctionReturn(0);
}

/* a network's chains (net.c): devin, the input already in the block's backend memory (the block before's output; Y0 unused) */
PetscErrorCode OdynSchemeForwardChained_Private(OdynScheme scheme, const PetscScalar theta[], PetscInt s, const PetscScalar Y0[], const double *devin, PetscScalar YN[])
{
  PetscFunctionBegin;
  PetscCall(OdynSchemeSetUp(scheme));
  PetscCheck(s >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Number of examples must be >= 0, got %" PetscInt_FMT, s);
  PetscCheck(!devin || scheme->backend, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Only blocks on a backend take their input from backend memory");
  PetscCall(PetscLogEventBegin(ODYN_SchemeForward, scheme, 0, 0, 0));
  if (scheme->backend) { /* the whole sweep on the backend, states in its memory (schemebackend.c) */
    PetscCall(OdynSchemeForward_Backend_Private(scheme, theta, s, Y0, devin, YN));
    scheme->hastraj = PETSC_TRUE;
    PetscCall(PetscLogEventEnd(ODYN_SchemeForward, scheme, 0, 0, 0));
    PetscFunctionReturn(0);
  }
  PetscCall(OdynSchemeAllocate_Private(scheme, s));
  PetscCall(PetscArraycpy(OdynSchemeState_Private(scheme, 0, 0), Y0, scheme->nstate[0] * s));
  for (PetscInt c = 1; c < scheme->ncomp; c++) PetscCall(PetscArrayzero(OdynSchemeState_Private(scheme, c, 0), scheme->nstate[c] * s));
  for (PetscInt f = 0; f < scheme->layer->nfaces; f++)
    if (scheme->lin[f]) PetscCall(OdynLayerGetLinearizationSize(scheme->layer, f, s, &scheme->linlen[f]));
  PetscUseTypeMethod(scheme, forward, theta);
  if (YN) PetscCall(PetscArraycpy(YN, OdynSchemeState_Private(scheme, scheme->outcomp, scheme->N), scheme->nstate[scheme->outcomp] * s));
  scheme->hastraj = PETSC_TRUE;
  PetscCall(PetscLogEventEnd(ODYN_SchemeForward, scheme, 0, 0, 0));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeCheckForward_Private(OdynScheme scheme)
{
  PetscFunctionBegin;
  PetscCheck(scheme->setupcalled && scheme->hastraj, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Call OdynSchemeForward() (or OdynNetForward()) before a tangent or adjoint sweep");
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeTangent - the exact tangent-linear sweep: dY_N = dY_N/dtheta dtheta + dY_N/dY_0 dY0

   Not Collective

   Input Parameters:
+  scheme - the scheme, after OdynSchemeForward()
.  theta - the parameters of the forward sweep
.  dtheta - direction in parameter space (NULL: zero)
-  dY0 - direction of the input, n x s (NULL: zero)

   Output Parameter:
.  dYN - n x s

   Level: intermediate

.seealso: `OdynSchemeForward()`, `OdynSchemeAdjoint()`
@*/
PetscErrorCode OdynSchemeTangent(OdynScheme scheme, const PetscScalar theta[], const PetscScalar dtheta[], const PetscScalar dY0[], PetscScalar dYN[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscCall(OdynSchemeTangentChained_Private(scheme, theta, dtheta, dY0, NULL, dYN));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynSchemeTangentChained_Private(OdynScheme scheme, const PetscScalar theta[], const PetscScalar dtheta[], const PetscScalar dY0[], const double *devin, PetscScalar dYN[])
{
  PetscFunctionBegin;
  PetscCall(OdynSchemeCheckForward_Private(scheme));
  PetscCheck(!devin || scheme->backend, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Only blocks on a backend take their input from backend memory");
  PetscCall(PetscLogEventBegin(ODYN_SchemeTangent, scheme, 0, 0, 0));
  if (scheme->backend) PetscCall(OdynSchemeTangent_Backend_Private(scheme, theta, dtheta, dY0, devin, dYN));
  else PetscUseTypeMethod(scheme, tangent, theta, dtheta, dY0, dYN);
  scheme->linfilled = PETSC_TRUE; /* every step's linearization is saved now (when caching) */
  PetscCall(PetscLogEventEnd(ODYN_SchemeTangent, scheme, 0, 0, 0));
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeAdjoint - the exact adjoint sweep: gtheta += (dY_N/dtheta)^T W, gY0 = (dY_N/dY_0)^T W

   Not Collective

   Input Parameters:
+  scheme - the scheme, after OdynSchemeForward()
.  theta - the parameters of the forward sweep
-  W - n x s, the weight on Y_N

   Output Parameters:
+  gtheta - accumulated into (NULL: not computed)
-  gY0 - n x s, overwritten (NULL: not returned)

   Level: intermediate

.seealso: `OdynSchemeForward()`, `OdynSchemeTangent()`
@*/
PetscErrorCode OdynSchemeAdjoint(OdynScheme scheme, const PetscScalar theta[], const PetscScalar W[], PetscScalar gtheta[], PetscScalar gY0[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscCall(OdynSchemeAdjointChained_Private(scheme, theta, W, NULL, gtheta, gY0, PETSC_FALSE));
  PetscFunctionReturn(0);
}

/* devin: W already in the block's backend memory (the block after's gY0, or the loss's product); keep: gY0 left there
   for the block before */
PetscErrorCode OdynSchemeAdjointChained_Private(OdynScheme scheme, const PetscScalar theta[], const PetscScalar W[], const double *devin, PetscScalar gtheta[], PetscScalar gY0[], PetscBool keep)
{
  PetscFunctionBegin;
  PetscCall(OdynSchemeCheckForward_Private(scheme));
  PetscCheck((!devin && !keep) || scheme->backend, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Only blocks on a backend exchange states in backend memory");
  PetscCall(PetscLogEventBegin(ODYN_SchemeAdjoint, scheme, 0, 0, 0));
  if (scheme->backend) PetscCall(OdynSchemeAdjoint_Backend_Private(scheme, theta, W, devin, gtheta, gY0, keep));
  else PetscUseTypeMethod(scheme, adjoint, theta, W, gtheta, gY0);
  scheme->linfilled = PETSC_TRUE;
  PetscCall(PetscLogEventEnd(ODYN_SchemeAdjoint, scheme, 0, 0, 0));
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeGetState - borrows the stored states at step k (Y_k, and Z_{k-1/2} for Verlet)

   Not Collective

   Input Parameters:
+  scheme - the scheme, after OdynSchemeForward()
-  k - the step, 0..N; with -odyn_scheme_trajectory recompute only the last two steps and 0

   Output Parameters:
+  Y - n x s
-  Z - m x s, or NULL for one-component schemes (may be passed NULL)

   Level: intermediate

.seealso: `OdynSchemeForward()`
@*/
PetscErrorCode OdynSchemeGetState(OdynScheme scheme, PetscInt k, const PetscScalar **Y, const PetscScalar **Z)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscCall(OdynSchemeCheckForward_Private(scheme));
  PetscCheck(!scheme->backend, PETSC_COMM_SELF, PETSC_ERR_SUP, "The states of a block on backend %s are in that backend's memory: OdynSchemeGetState() needs the backend host", scheme->backend->name);
  PetscCheck(k >= 0 && k <= scheme->N, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Step %" PetscInt_FMT " out of range 0..%" PetscInt_FMT, k, scheme->N);
  PetscCheck(scheme->trajtype == ODYN_TRAJECTORY_STORE || k == 0 || k >= scheme->N - 1, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "State %" PetscInt_FMT " is not kept with -odyn_scheme_trajectory recompute; use store", k);
  if (Y) *Y = OdynSchemeState_Private(scheme, 0, k);
  if (Z) *Z = scheme->ncomp > 1 ? OdynSchemeState_Private(scheme, 1, k) : NULL;
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeRecomputeInitial - runs a reversible scheme backwards from its final states to step 0

   Not Collective

   Input Parameters:
+  scheme - a reversible scheme after OdynSchemeForward()
-  theta - the parameters of the forward sweep

   Output Parameter:
.  Y0 - the recomputed input, n x s

   Level: developer

   Notes:
   Measures the round-off of reversible recomputation: compare Y0 with the input of the forward sweep.

.seealso: `OdynSchemeSetTrajectoryType()`
@*/
PetscErrorCode OdynSchemeRecomputeInitial(OdynScheme scheme, const PetscScalar theta[], PetscScalar Y0[])
{
  PetscScalar *Y;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscCall(OdynSchemeCheckForward_Private(scheme));
  PetscCheck(scheme->ops->reverse, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "Scheme %s is not reversible", ((PetscObject)scheme)->type_name);
  PetscCheck(scheme->trajtype == ODYN_TRAJECTORY_RECOMPUTE, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Set -odyn_scheme_trajectory recompute before the forward sweep");
  for (PetscInt k = scheme->N; k >= 0; k--) PetscCall(OdynSchemeBackwardState_Private(scheme, theta, k, &Y, NULL));
  PetscCall(PetscArraycpy(Y0, Y, scheme->nstate[0] * scheme->s));
  PetscFunctionReturn(0);
}
