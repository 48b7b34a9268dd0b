#include "multistep.h"

/*MC
   ODYNSCHEMEDUFORTFRANKEL - "dufortfrankel": the Du Fort-Frankel scheme of paper 002 (eq. 19-20) on any one-face
   layer F (the diffusion layers give paper 002's network, F = -tau K^T Phi(K Y))

     (Y_{j+1} - Y_{j-1}) / (2h) = F(theta_j, Y_j) - alpha_j (Y_{j+1} - 2 Y_j + Y_{j-1}),   Y_{-1} = Y_0, i.e.
     Y_{j+1} = (4 h alpha_j Y_j + 2 h F(theta_j, Y_j) + (1 - 2 h alpha_j) Y_{j-1}) / (1 + 2 h alpha_j)

   h alpha = 1/2 is forward Euler. alpha is fixed (-odyn_scheme_dufortfrankel_learn false: alpha_j =
   -odyn_scheme_dufortfrankel_alpha) or learned per step, alpha_j = alpha_min + exp(beta_j) with alpha_min =
   -odyn_scheme_dufortfrankel_alpha and beta_j the last entry of each time slot: the smooth map keeps alpha_j above the
   bound of paper 002 Appendix A (eq. 51, 56: alpha >= rho(A)/4 with A = -dF/dY, which is <= L_Phi tau_max ||Kt||^2 / 4
   = 1/2 for the diffusion layers, the default). Not reversible. Coefficients a = 4 h alpha / D, b = (1 - 2 h alpha)/D,
   c = 2 h / D, D = 1 + 2 h alpha; d/dalpha: (4h, -4h, -4h^2) / D^2.

   Options: -odyn_scheme_dufortfrankel_alpha <0.5>, -odyn_scheme_dufortfrankel_learn <true>

   Level: intermediate

.seealso: `ODYNSCHEMEFSI`, `ODYNSCHEMELMRESNET`, `ODYNLAYERDIFFUSION`
M*/

static PetscErrorCode Coef_DuFortFrankel(OdynScheme scheme, PetscInt j, const PetscScalar *e, PetscReal c[3], PetscReal dc[3])
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;
  const PetscReal       h  = scheme->T / scheme->N;
  const PetscReal       ex = e ? PetscExpReal(PetscRealPart(e[0])) : 0.0, alpha = ms->alpha + ex, D = 1.0 + 2.0 * h * alpha;

  PetscFunctionBegin;
  c[0]  = 4.0 * h * alpha / D;
  c[1]  = (1.0 - 2.0 * h * alpha) / D;
  c[2]  = 2.0 * h / D;
  /* d/dbeta = d/dalpha * exp(beta) */
  dc[0] = ex * 4.0 * h / (D * D);
  dc[1] = -ex * 4.0 * h / (D * D);
  dc[2] = -ex * 4.0 * h * h / (D * D);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeSetFromOptions_DuFortFrankel(OdynScheme scheme, PetscOptionItems *PetscOptionsObject)
{
  OdynScheme_Multistep *ms    = (OdynScheme_Multistep *)scheme->data;
  PetscReal             alpha = ms->alpha;
  PetscBool             learn = ms->learn;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "OdynScheme dufortfrankel options");
  PetscCall(PetscOptionsReal("-odyn_scheme_dufortfrankel_alpha", "Fixed alpha, or the lower bound of the learned alpha_j = alpha + exp(beta_j)", "", alpha, &alpha, NULL));
  PetscCall(PetscOptionsBool("-odyn_scheme_dufortfrankel_learn", "Learn alpha_j per step", "", learn, &learn, NULL));
  PetscOptionsHeadEnd();
  /* alpha is checked by setup: an error raised inside the options block would leak it */
  if (learn != ms->learn) scheme->setupcalled = PETSC_FALSE;
  ms->alpha = alpha;
  ms->learn = learn;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeSettings_DuFortFrankel(OdynScheme scheme, char buf[], size_t len)
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;

  PetscFunctionBegin;
  PetscCall(OdynSettingsAppend(buf, len, "-odyn_scheme_dufortfrankel_alpha %.17g -odyn_scheme_dufortfrankel_learn %s", (double)ms->alpha, ms->learn ? "true" : "false"));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeView_DuFortFrankel(OdynScheme scheme, PetscViewer viewer)
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;

  PetscFunctionBegin;
  if (ms->learn) PetscCall(PetscViewerASCIIPrintf(viewer, "alpha_j = %g + exp(beta_j), learned per step\n", (double)ms->alpha));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "alpha = %g (fixed)\n", (double)ms->alpha));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeSetUp_DuFortFrankel(OdynScheme scheme)
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;

  PetscFunctionBegin;
  PetscCheck(ms->alpha >= 0 && !PetscIsInfOrNanReal(ms->alpha) && (ms->learn || ms->alpha > 0), PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_OUTOFRANGE, "Scheme dufortfrankel: alpha (-odyn_scheme_dufortfrankel_alpha) must be finite, > 0 when fixed and >= 0 when it is the lower bound of the learned one, got %g", (double)ms->alpha);
  PetscCall(OdynSchemeMultistepSetUp_Private(scheme));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeDuFortFrankelSetAlpha_DFF(OdynScheme scheme, PetscReal alpha, PetscBool learn)
{
  OdynScheme_Multistep *ms = (OdynScheme_Multistep *)scheme->data;

  PetscFunctionBegin;
  PetscCheck(alpha >= 0 && !PetscIsInfOrNanReal(alpha) && (learn || alpha > 0), PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_OUTOFRANGE, "Du Fort-Frankel alpha must be finite, > 0 when fixed and >= 0 when learned, got %g", (double)alpha);
  if (learn != ms->learn) scheme->setupcalled = PETSC_FALSE;
  ms->alpha = alpha;
  ms->learn = learn;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeDestroy_DuFortFrankel(OdynScheme scheme)
{
  PetscFunctionBegin;
  PetscCall(PetscObjectComposeFunction((PetscObject)scheme, "OdynSchemeDuFortFrankelSetAlpha_C", NULL));
  PetscCall(PetscFree(scheme->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynSchemeCreate_DuFortFrankel(OdynScheme scheme)
{
  OdynScheme_Multistep *ms;

  PetscFunctionBegin;
  PetscCall(PetscNew(&ms));
  ms->coef  = Coef_DuFortFrankel;
  ms->learn = PETSC_TRUE;
  ms->alpha = 0.5;
  PetscCall(OdynSchemeMultistepSetOps_Private(scheme, ms));
  scheme->ops->setfromoptions = OdynSchemeSetFromOptions_DuFortFrankel;
  scheme->ops->view           = OdynSchemeView_DuFortFrankel;
  scheme->ops->settings       = OdynSchemeSettings_DuFortFrankel;
  scheme->ops->setup          = OdynSchemeSetUp_DuFortFrankel;
  scheme->ops->destroy        = OdynSchemeDestroy_DuFortFrankel;
  PetscCall(PetscObjectComposeFunction((PetscObject)scheme, "OdynSchemeDuFortFrankelSetAlpha_C", OdynSchemeDuFortFrankelSetAlpha_DFF));
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeDuFortFrankelSetAlpha - sets the stabilization alpha of a Du Fort-Frankel scheme

   Logically Collective

   Input Parameters:
+  scheme - a dufortfrankel scheme (other types ignore this)
.  alpha - the fixed alpha (> 0), or the lower bound of the learned alpha_j = alpha + exp(beta_j) (>= 0)
-  learn - whether alpha_j is learned per step (beta_j becomes the last parameter of each time slot)

   Options Database Keys:
+  -odyn_scheme_dufortfrankel_alpha <0.5> - alpha
-  -odyn_scheme_dufortfrankel_learn <true> - learn

   Level: intermediate

.seealso: `ODYNSCHEMEDUFORTFRANKEL`, `OdynSchemeGetParameterLayout()`
@*/
PetscErrorCode OdynSchemeDuFortFrankelSetAlpha(OdynScheme scheme, PetscReal alpha, PetscBool learn)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscTryMethod(scheme, "OdynSchemeDuFortFrankelSetAlpha_C", (OdynScheme, PetscReal, PetscBool), (scheme, alpha, learn));
  PetscFunctionReturn(0);
}
