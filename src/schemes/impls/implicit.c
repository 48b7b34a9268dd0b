#include <odyn/private/schemeimpl.h>
#include <odyn/private/odynimpl.h>

/*MC
   ODYNSCHEMEIMPLICIT - "implicit": the implicit (backward Euler) step Y_{j+1} = Y_j + h F(theta_j, Y_{j+1}) solved by L
   fixed-point iterations (paper 002 eq. 22-23; paper 004 reads PolyNet as backward Euler)

     V_0 = Y_j,   V_{l+1} = Y_j + h F(theta_j, V_l)  (l = 0..L-1),   Y_{j+1} = V_L

   The network is the unrolled iteration, and so are its derivatives (exact for any L, converged or not):
     tangent  dV_0 = dY_j,  dV_{l+1} = dY_j + h (F_V(V_l) dV_l + F_theta(V_l) dtheta_j)
     adjoint  B_L = A_{j+1}; for l = L-1..0: g_j += h F_theta(V_l)^T B_{l+1}, A_j += B_{l+1}, B_l = h F_V(V_l)^T B_{l+1};
              A_j += B_0
   L = 1 is forward Euler. With the diffusion layers and h tau Lip(Phi) ||Kt||^2 < 1 the iteration contracts. The
   derivative sweeps recompute the inner iterates V_1..V_{L-1} of one step at a time (memory (L-1) n s beside the N+1
   stored states). Not reversible. Needs a one-face layer.

   Options: -odyn_scheme_implicit_iterations <3> - L

   Level: intermediate

.seealso: `ODYNSCHEMEEULER`, `ODYNLAYERDIFFUSION`
M*/

typedef struct {
  PetscInt     L;
  PetscScalar *V; /* the inner iterates V_1..V_{L-1} of one step */
  PetscInt     cap;
} OdynScheme_Implicit;

static PetscErrorCode OdynSchemeSetUp_Implicit(OdynScheme scheme)
{
  PetscFunctionBegin;
  PetscCheck(((OdynScheme_Implicit *)scheme->data)->L >= 1, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_OUTOFRANGE, "Scheme implicit: the number of fixed-point iterations (-odyn_scheme_implicit_iterations) must be >= 1, got %" PetscInt_FMT, ((OdynScheme_Implicit *)scheme->data)->L);
  PetscCheck(scheme->layer->nfaces == 1, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_INCOMP, "Scheme implicit needs a one-face layer F(theta, Y); layer %s has two faces: use -odyn_scheme_type verlet", ((PetscObject)scheme->layer)->type_name);
  PetscFunctionReturn(0);
}

/* iterate l (0..L-1) of the current step: V_0 = Y_j, else the buffer */
static inline PetscScalar *Iterate(OdynScheme scheme, PetscScalar *Yj, PetscInt l)
{
  OdynScheme_Implicit *im = (OdynScheme_Implicit *)scheme->data;
  return l == 0 ? Yj : im->V + (size_t)(l - 1) * scheme->nstate[0] * scheme->s;
}

/* computes V_1..V_{L-1} of step j into the buffer, and V_L into out when out is not NULL */
static PetscErrorCode Iterates(OdynScheme scheme, const PetscScalar *thj, PetscScalar *Yj, PetscScalar *out)
{
  OdynScheme_Implicit *im  = (OdynScheme_Implicit *)scheme->data;
  const PetscReal      h   = scheme->T / scheme->N;
  const PetscInt       len = scheme->nstate[0] * scheme->s;
  PetscScalar         *F   = scheme->work[3];

  PetscFunctionBegin;
  PetscCall(OdynWorkEnsure(&im->V, &im->cap, (im->L - 1) * len));
  for (PetscInt l = 0; l < im->L; l++) {
    PetscScalar *dst = l + 1 < im->L ? Iterate(scheme, Yj, l + 1) : out;
    if (!dst) break;
    PetscCall(OdynLayerApply(scheme->layer, 0, thj, scheme->s, Iterate(scheme, Yj, l), F));
    for (PetscInt i = 0; i < len; i++) dst[i] = Yj[i] + h * F[i];
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeForward_Implicit(OdynScheme scheme, const PetscScalar *theta)
{
  PetscFunctionBegin;
  for (PetscInt j = 0; j < scheme->N; j++) {
    const PetscScalar *thj;
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(Iterates(scheme, thj, OdynSchemeState_Private(scheme, 0, j), OdynSchemeState_Private(scheme, 0, j + 1)));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeTangent_Implicit(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *dtheta, const PetscScalar *dY0, PetscScalar *dYN)
{
  OdynScheme_Implicit *im  = (OdynScheme_Implicit *)scheme->data;
  const PetscReal      h   = scheme->T / scheme->N;
  const PetscInt       len = scheme->nstate[0] * scheme->s;
  PetscScalar         *dY = scheme->work[0], *dV = scheme->work[1], *dVn = scheme->work[2];

  PetscFunctionBegin;
  if (dY0) PetscCall(PetscArraycpy(dY, dY0, len));
  else PetscCall(PetscArrayzero(dY, len));
  for (PetscInt j = 0; j < scheme->N; j++) {
    const PetscScalar *thj, *dthj;
    PetscScalar       *Yj = OdynSchemeState_Private(scheme, 0, j);

    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(OdynSchemeGetStepParameters_Private(scheme, dtheta, j, &dthj));
    PetscCall(Iterates(scheme, thj, Yj, NULL));
    PetscCall(PetscArraycpy(dV, dY, len));
    for (PetscInt l = 0; l < im->L; l++) {
      PetscScalar *tmp;
      /* the inner iterates are not steps of the block: linearize directly, not through the per-step cache */
      PetscCall(OdynLayerLinearize(scheme->layer, 0, thj, scheme->s, Iterate(scheme, Yj, l)));
      PetscCall(PetscArraycpy(dVn, dY, len));
      PetscCall(OdynLayerJacobianXMult(scheme->layer, 0, h, dV, dVn));
      if (dthj) PetscCall(OdynLayerJacobianThetaMult(scheme->layer, 0, h, dthj, dVn));
      tmp = dV;
      dV  = dVn;
      dVn = tmp;
    }
    PetscCall(PetscArraycpy(dY, dV, len));
  }
  PetscCall(PetscArraycpy(dYN, dY, len));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeAdjoint_Implicit(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *W, PetscScalar *gtheta, PetscScalar *gY0)
{
  OdynScheme_Implicit *im  = (OdynScheme_Implicit *)scheme->data;
  const PetscReal      h   = scheme->T / scheme->N;
  const PetscInt       len = scheme->nstate[0] * scheme->s;
  PetscScalar         *A = scheme->work[0], *B = scheme->work[1], *Bn = scheme->work[2];

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(A, W, len));
  for (PetscInt j = scheme->N - 1; j >= 0; j--) {
    const PetscScalar *thj;
    PetscScalar       *Yj = OdynSchemeState_Private(scheme, 0, j), *tmp;

    PetscCall(OdynSchemeGetStepParameters_Private(scheme, theta, j, &thj));
    PetscCall(Iterates(scheme, thj, Yj, NULL));
    /* B = adjoint of V_L = A_{j+1}; A becomes the adjoint of Y_j */
    tmp = B;
    B   = A;
    A   = tmp;
    PetscCall(PetscArrayzero(A, len));
    for (PetscInt l = im->L - 1; l >= 0; l--) {
      PetscCall(OdynLayerLinearize(scheme->layer, 0, thj, scheme->s, Iterate(scheme, Yj, l)));
      if (gtheta) PetscCall(OdynLayerJacobianThetaMultTranspose(scheme->layer, 0, h, B, gtheta + OdynSchemeStepOffset_Private(scheme, j)));
      odyn_axpy(len, 1.0, B, A);
      PetscCall(PetscArrayzero(Bn, len));
      PetscCall(OdynLayerJacobianXMultTranspose(scheme->layer, 0, h, B, Bn));
      tmp = B;
      B   = Bn;
      Bn  = tmp;
    }
    odyn_axpy(len, 1.0, B, A);
  }
  if (gY0) PetscCall(PetscArraycpy(gY0, A, len));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeSetFromOptions_Implicit(OdynScheme scheme, PetscOptionItems *PetscOptionsObject)
{
  OdynScheme_Implicit *im = (OdynScheme_Implicit *)scheme->data;
  PetscInt             L  = im->L;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "OdynScheme implicit options");
  PetscCall(PetscOptionsInt("-odyn_scheme_implicit_iterations", "Fixed-point iterations L per step (1: forward Euler)", "", L, &L, NULL));
  PetscOptionsHeadEnd();
  im->L = L; /* checked by setup: an error raised inside the options block would leak it */
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeSettings_Implicit(OdynScheme scheme, char buf[], size_t len)
{
  PetscFunctionBegin;
  PetscCall(OdynSettingsAppend(buf, len, "-odyn_scheme_implicit_iterations %" PetscInt_FMT, ((OdynScheme_Implicit *)scheme->data)->L));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeView_Implicit(OdynScheme scheme, PetscViewer viewer)
{
  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " fixed-point iterations per step\n", ((OdynScheme_Implicit *)scheme->data)->L));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeImplicitSetIterations_Implicit(OdynScheme scheme, PetscInt L)
{
  PetscFunctionBegin;
  PetscCheck(L >= 1, PetscObjectComm((PetscObject)scheme), PETSC_ERR_ARG_OUTOFRANGE, "The number of fixed-point iterations must be >= 1, got %" PetscInt_FMT, L);
  ((OdynScheme_Implicit *)scheme->data)->L = L;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeImplicitGetIterations_Implicit(OdynScheme scheme, PetscInt *L)
{
  PetscFunctionBegin;
  *L = ((OdynScheme_Implicit *)scheme->data)->L;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynSchemeDestroy_Implicit(OdynScheme scheme)
{
  PetscFunctionBegin;
  PetscCall(PetscObjectComposeFunction((PetscObject)scheme, "OdynSchemeImplicitSetIterations_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)scheme, "OdynSchemeImplicitGetIterations_C", NULL));
  PetscCall(PetscFree(((OdynScheme_Implicit *)scheme->data)->V));
  PetscCall(PetscFree(scheme->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynSchemeCreate_Implicit(OdynScheme scheme)
{
  OdynScheme_Implicit *im;

  PetscFunctionBegin;
  PetscCall(PetscNew(&im));
  im->L                       = 3;
  scheme->data                = im;
  scheme->ops->setup          = OdynSchemeSetUp_Implicit;
  scheme->ops->forward        = OdynSchemeForward_Implicit;
  scheme->ops->tangent        = OdynSchemeTangent_Implicit;
  scheme->ops->adjoint        = OdynSchemeAdjoint_Implicit;
  scheme->ops->setfromoptions = OdynSchemeSetFromOptions_Implicit;
  scheme->ops->view           = OdynSchemeView_Implicit;
  scheme->ops->settings       = OdynSchemeSettings_Implicit;
  scheme->ops->destroy        = OdynSchemeDestroy_Implicit;
  PetscCall(PetscObjectComposeFunction((PetscObject)scheme, "OdynSchemeImplicitSetIterations_C", OdynSchemeImplicitSetIterations_Implicit));
  PetscCall(PetscObjectComposeFunction((PetscObject)scheme, "OdynSchemeImplicitGetIterations_C", OdynSchemeImplicitGetIterations_Implicit));
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeImplicitSetIterations - sets the number L of fixed-point iterations of an implicit scheme

   Logically Collective

   Input Parameters:
+  scheme - an implicit scheme (other types ignore this)
-  L - the iterations per step, >= 1 (1 is forward Euler)

   Options Database Key:
.  -odyn_scheme_implicit_iterations <3> - L

   Level: intermediate

.seealso: `ODYNSCHEMEIMPLICIT`, `OdynSchemeImplicitGetIterations()`
@*/
PetscErrorCode OdynSchemeImplicitSetIterations(OdynScheme scheme, PetscInt L)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscTryMethod(scheme, "OdynSchemeImplicitSetIterations_C", (OdynScheme, PetscInt), (scheme, L));
  PetscFunctionReturn(0);
}

/*@
   OdynSchemeImplicitGetIterations - gets the number of fixed-point iterations of an implicit scheme

   Not Collective

   Level: intermediate

.seealso: `OdynSchemeImplicitSetIterations()`
@*/
PetscErrorCode OdynSchemeImplicitGetIterations(OdynScheme scheme, PetscInt *L)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidIntPointer(L, 2);
  PetscUseMethod(scheme, "OdynSchemeImplicitGetIterations_C", (OdynScheme, PetscInt *), (scheme, L));
  PetscFunctionReturn(0);
}
