#include "multistep.h"

/*MC
   ODYNSCHEMEFSI - "fsi": fast semi-iterative extrapolation of an explicit step (paper 002 eq. 21) on any one-face
   layer F, in cycles of length Lc (-odyn_scheme_fsi_cycle_length, 0 = one cycle over the whole block)

     Y_{j+1} = alpha_j (Y_j + h F(theta_j, Y_j)) + (1 - alpha_j) Y_{j-1},   Y_{j-1} := Y_j at the start of a cycle

   Learned (default, -odyn_scheme_fsi_learn): alpha_j = 1 + tanh(a_j) in (0, 2), a smooth map onto the range paper 002
   Sec. 6 restricts the learned weights to (a_j = 0: alpha_j = 1, forward Euler); a_j is the last entry of each time
   slot. Fixed: the FSI weights alpha_l = (4 l + 2) / (2 l + 3), l = position in the cycle (a data table: FSIWeight()).
   Coefficients a = alpha, b = 1 - alpha, c = alpha h; d/da_j: (1, -1, h) (1 - tanh(a_j)^2). Not reversible.

   Options: -odyn_scheme_fsi_cycle_length <0>, -odyn_scheme_fsi_learn <true>

   Level: intermediate

.seealso: `ODYNSCHEMEDUFORTFRANKEL`, `ODYNSCHEMELMRESNET`, `ODYNLAYERDIFFUSION`
M*/

/* the extrapolation weights of Hafner et al. (paper 002 eq. 21), position l in the cycle */
static PetscReal FSIWeight(PetscInt l) { return (4.0 * l + 2.0) / (2.0 * l + 3.0); }

static PetscErrorCode Coef_FSI(OdynScheme scheme, PetscInt j, const PetscScalar *e, PetscReal c[3], PetscReal dc[3])
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;
  const PetscReal       h  = scheme->T / scheme->N;
  PetscReal             alpha, dalpha = 0.0;

  PetscFunctionBegin;
  if (e) {
    const PetscReal t = PetscTanhReal(PetscRealPart(e[0]));
    alpha             = 1.0 + t;
    dalpha            = 1.0 - t * t;
  } else alpha = FSIWeight(ms->cycle > 0 ? j % ms->cycle : j);
  c[0]  = alpha;
  c[1]  = 1.0 - alpha;
  c[2]  = alpha * h;
  dc[0] = dalpha;
  dc[1] = -dalpha;
  dc[2] = dalpha * h;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeSetFromOptions_FSI(OdynScheme scheme, PetscOptionItems *PetscOptionsObject)
{
  OdynScheme_Multistep *ms    = (OdynScheme_Multistep *)scheme->data;
  PetscInt              cycle = ms->cycle;
  PetscBool             learn = ms->learn;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "OdynScheme fsi options");
  PetscCall(PetscOptionsInt("-odyn_scheme_fsi_cycle_length", "Steps per FSI cycle (0: one cycle over the block)", "", cycle, &cycle, NULL));
  PetscCall(PetscOptionsBool("-odyn_scheme_fsi_learn", "Learn alpha_j = 1 + tanh(a_j) per step (else the FSI weights)", "", learn, &learn, NULL));
  PetscOptionsHeadEnd();
  /* the cycle length is checked by setup: an error raised inside the options block would leak it */
  if (learn != ms->learn) scheme->setupcalled = PETSC_FALSE;
  ms->cycle = cycle;
  ms->learn = learn;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeSettings_FSI(OdynScheme scheme, char buf[], size_t len)
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;

  PetscFunctionBegin;
  PetscCall(OdynSettingsAppend(buf, len, "-odyn_scheme_fsi_cycle_length %" PetscInt_FMT " -odyn_scheme_fsi_learn %s", ms->cycle, ms->learn ? "true" : "false"));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeView_FSI(OdynScheme scheme, PetscViewer viewer)
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "cycle length %" PetscInt_FMT ", %s\n", ms->cycle ? ms->cycle : scheme->N, ms->learn ? "alpha_j = 1 + tanh(a_j) learned per step" : "fixed FSI weights (4l+2)/(2l+3)"));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeSetUp_FSI(OdynScheme scheme)
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;

  PetscFunctionBegin;
  PetscCheck(ms->cycle >= 0, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_OUTOFRANGE, "Scheme fsi: the cycle length (-odyn_scheme_fsi_cycle_length) must be >= 0 (0: one cycle over the block), got %" PetscInt_FMT, ms->cycle);
  PetscCall(OdynSchemeMultistepSetUp_Private(scheme));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeFSISetCycle_FSI(OdynScheme scheme, PetscInt cycle, PetscBool learn)
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;

  PetscFunctionBegin;
  PetscCheck(cycle >= 0, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_OUTOFRANGE, "The FSI cycle length must be >= 0 (0: one cycle over the block), got %" PetscInt_FMT, cycle);
  if (learn != ms->learn) scheme->setupcalled = PETSC_FALSE;
  ms->cycle = cycle;
  ms->learn = learn;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeDestroy_FSI(OdynScheme scheme)
{
  PetscFunctionBegin;
  PetscCall(PetscObjectComposeFunction((PetscObject)scheme, "OdynSchemeFSISetCycle_C", NULL));
  PetscCall(PetscFree(scheme->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynSchemeCreate_FSI(OdynScheme scheme)
{
  OdynScheme_Multistep *ms;

  PetscFunctionBegin;
  PetscCall(PetscNew(&ms));
  ms->coef  = Coef_FSI;
  ms->learn = PETSC_TRUE;
  PetscCall(OdynSchemeMultistepSetOps_Private(scheme, ms));
  scheme->ops->setfromoptions = OdynSchemeSetFromOptions_FSI;
  scheme->ops->view           = OdynSchemeView_FSI;
  scheme->ops->settings       = OdynSchemeSettings_FSI;
  scheme->ops->setup          = OdynSchemeSetUp_FSI;
  scheme->ops->destroy        = OdynSchemeDestroy_FSI;
  PetscCall(PetscObjectComposeFunction((PetscObject)scheme, "OdynSchemeFSISetCycle_C", OdynSchemeFSISetCycle_FSI));
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeFSISetCycle - sets the cycle length of an FSI scheme and whether its extrapolation weights are learned

   Logically Collective

   Input Parameters:
+  scheme - an fsi scheme (other types ignore this)
.  cycle - steps per cycle (0: one cycle over the whole block)
-  learn - learn alpha_j = 1 + tanh(a_j) per step (a_j the last parameter of each time slot), else the FSI weights

   Options Database Keys:
+  -odyn_scheme_fsi_cycle_length <0> - cycle
-  -odyn_scheme_fsi_learn <true> - learn

   Level: intermediate

.seealso: `ODYNSCHEMEFSI`, `OdynSchemeGetParameterLayout()`
@*/
PetscErrorCode OdynSchemeFSISetCycle(OdynScheme scheme, PetscInt cycle, PetscBool learn)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscTryMethod(scheme, "OdynSchemeFSISetCycle_C", (OdynScheme, PetscInt, PetscBool), (scheme, cycle, learn));
  PetscFunctionReturn(0);
}
