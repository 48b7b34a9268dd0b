#include <odyn/private/regimpl.h>

/*MC
   ODYNREGTV - "tv": total variation of the parameters in time (paper 000 eq. 13)

     R(theta) = sum_b h_b sum_{j=1}^{N_b-1} sum_k phi((theta_{j,k} - theta_{j-1,k}) / h_b),  phi(x) = sqrt(x^2 + tau)

   a smoothed l1-norm of the time derivative that favors piecewise constant dynamics. With D the (unscaled) time
   differences and x = D theta / h: gradient D^T phi'(x), Hessian D^T diag(phi''(x) / h) D, phi'(x) = x / phi(x),
   phi''(x) = tau / phi(x)^3. The assembled matrix is by default the lagged-diffusivity operator
   D^T diag(1 / (h phi(x))) D (which dominates the Hessian and stays well conditioned where |x| >> sqrt(tau)).

   Options Database Keys:
+  -odyn_reg_tv_tau <1e-3> - the conditioning parameter tau > 0
-  -odyn_reg_tv_lagged_diffusivity <true> - assemble the lagged-diffusivity operator (false: the exact Hessian)

   Level: beginner

.seealso: `OdynRegularizerSetType()`, `OdynRegularizerTVSetTau()`, `OdynRegularizerTVSetLaggedDiffusivity()`, `ODYNREGSMOOTH`
M*/

typedef struct {
  PetscReal        tau;
  PetscBool        lagged;
  Mat              D, WD, A;
  Vec              Dx, Dv, hrow, w; /* like the rows of D; hrow holds the step size of each difference */
  PetscBool        avalid;          /* A was made at (xid, xstate) with (atau, alagged) */
  PetscObjectId    xid;
  PetscObjectState xstate;
  PetscReal        atau;
  PetscBool        alagged;
} OdynReg_TV;

static PetscErrorCode DiffRow(OdynRegularizer reg, PetscInt r, PetscInt *nz, PetscInt cols[], PetscScalar vals[])
{
  PetscReal h;

  PetscFunctionBegin;
  PetscCall(OdynRegularizerTimeDiffRow_Private(reg, r, &cols[0], &cols[1], &h));
  vals[0] = 1.0;
  vals[1] = -1.0;
  *nz     = 2;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerReset_TV(OdynRegularizer reg)
{
  OdynReg_TV *tv = (OdynReg_TV *)reg->data;

  PetscFunctionBegin;
  PetscCall(MatDestroy(&tv->D));
  PetscCall(MatDestroy(&tv->WD));
  PetscCall(MatDestroy(&tv->A));
  PetscCall(VecDestroy(&tv->Dx));
  PetscCall(VecDestroy(&tv->Dv));
  PetscCall(VecDestroy(&tv->hrow));
  PetscCall(VecDestroy(&tv->w));
  tv->avalid = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerSetUp_TV(OdynRegularizer reg)
{
  OdynReg_TV  *tv = (OdynReg_TV *)reg->data;
  PetscInt     n, m, rstart, rend;
  PetscScalar *h;

  PetscFunctionBegin;
  PetscCall(OdynRegularizerReset_TV(reg));
  PetscCall(OdynRegularizerReadTimeLayout_Private(reg));
  PetscCall(OdynNetGetNumParameters(reg->net, &n));
  PetscCall(OdynRegularizerSetSize_Private(reg, n));
  PetscCall(OdynRegularizerTimeDiffRows_Private(reg, &m));
  PetscCall(OdynRegularizerBuildMatrix_Private(reg, m, 2, DiffRow, &tv->D));
  PetscCall(MatCreateVecs(tv->D, NULL, &tv->Dx));
  PetscCall(VecDuplicate(tv->Dx, &tv->Dv));
  PetscCall(VecDuplicate(tv->Dx, &tv->hrow));
  PetscCall(VecDuplicate(tv->Dx, &tv->w));
  PetscCall(VecGetOwnershipRange(tv->hrow, &rstart, &rend));
  PetscCall(VecGetArray(tv->hrow, &h));
  for (PetscInt r = rstart; r < rend; r++) {
    PetscInt  cj, cjm1;
    PetscReal hr;

    PetscCall(OdynRegularizerTimeDiffRow_Private(reg, r, &cj, &cjm1, &hr));
    h[r - rstart] = hr;
  }
  PetscCall(VecRestoreArray(tv->hrow, &h));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerEvaluate_TV(OdynRegularizer reg, Vec x, PetscReal *R, Vec g)
{
  OdynReg_TV        *tv = (OdynReg_TV *)reg->data;
  PetscInt           m;
  PetscReal          lsum = 0;
  const PetscScalar *dx, *h;
  PetscScalar       *t;

  PetscFunctionBegin;
  PetscCall(MatMult(tv->D, x, tv->Dx));
  PetscCall(VecGetLocalSize(tv->Dx, &m));
  PetscCall(VecGetArrayRead(tv->Dx, &dx));
  PetscCall(VecGetArrayRead(tv->hrow, &h));
  PetscCall(VecGetArray(tv->Dv, &t));
  for (PetscInt r = 0; r < m; r++) {
    const PetscReal hr = PetscRealPart(h[r]), xr = PetscRealPart(dx[r]) / hr, phi = PetscSqrtReal(xr * xr + tv->tau);
    lsum += hr * phi;
    t[r] = xr / phi; /* phi'(x); the 1/h of d/dtheta cancels the h in front */
  }
  PetscCall(VecRestoreArray(tv->Dv, &t));
  PetscCall(VecRestoreArrayRead(tv->hrow, &h));
  PetscCall(VecRestoreArrayRead(tv->Dx, &dx));
  PetscCallMPI(MPI_Allreduce(&lsum, R, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)reg)));
  if (g) PetscCall(MatMultTranspose(tv->D, tv->Dv, g));
  PetscFunctionReturn(0);
}

/* w_r = phi''(x_r)/h_r (exact Hessian) or phi'(x_r)/(x_r h_r) = 1/(h_r phi(x_r)) (lagged diffusivity), x = D theta / h */
static PetscErrorCode OdynRegularizerCurvature_TV(OdynRegularizer reg, Vec x, PetscBool lagged, Vec w)
{
  OdynReg_TV        *tv = (OdynReg_TV *)reg->data;
  PetscInt           m;
  const PetscScalar *dx, *h;
  PetscScalar       *wa;

  PetscFunctionBegin;
  PetscCheck(x, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_NULL, "The tv regularizer is not quadratic: pass the point x at which its Hessian is taken");
  PetscCall(MatMult(tv->D, x, tv->Dx));
  PetscCall(VecGetLocalSize(w, &m));
  PetscCall(VecGetArrayRead(tv->Dx, &dx));
  PetscCall(VecGetArrayRead(tv->hrow, &h));
  PetscCall(VecGetArray(w, &wa));
  for (PetscInt r = 0; r < m; r++) {
    const PetscReal hr = PetscRealPart(h[r]), xr = PetscRealPart(dx[r]) / hr, phi = PetscSqrtReal(xr * xr + tv->tau);
    wa[r] = lagged ? 1.0 / (hr * phi) : tv->tau / (phi * phi * phi * hr);
  }
  PetscCall(VecRestoreArray(w, &wa));
  PetscCall(VecRestoreArrayRead(tv->hrow, &h));
  PetscCall(VecRestoreArrayRead(tv->Dx, &dx));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerHessMult_TV(OdynRegularizer reg, Vec x, Vec v, Vec Hv)
{
  OdynReg_TV *tv = (OdynReg_TV *)reg->data;

  PetscFunctionBegin;
  PetscCall(OdynRegularizerCurvature_TV(reg, x, PETSC_FALSE, tv->w));
  PetscCall(MatMult(tv->D, v, tv->Dv));
  PetscCall(VecPointwiseMult(tv->Dv, tv->Dv, tv->w));
  PetscCall(MatMultTranspose(tv->D, tv->Dv, Hv));
  PetscFunctionReturn(0);
}

/* A = D^T diag(w) D = (diag(w) D)^T D; the symbolic product is made once and reused */
static PetscErrorCode OdynRegularizerHessMat_TV(OdynRegularizer reg, Vec x, Mat *A)
{
  OdynReg_TV      *tv = (OdynReg_TV *)reg->data;
  PetscObjectId    xid;
  PetscObjectState xstate;

  PetscFunctionBegin;
  PetscCheck(x, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_NULL, "The tv regularizer is not quadratic: pass the point x at which its Hessian is taken");
  PetscCall(PetscObjectGetId((PetscObject)x, &xid));
  PetscCall(PetscObjectStateGet((PetscObject)x, &xstate));
  if (!(tv->avalid && xid == tv->xid && xstate == tv->xstate && tv->atau == tv->tau && tv->alagged == tv->lagged)) {
    PetscCall(OdynRegularizerCurvature_TV(reg, x, tv->lagged, tv->w));
    if (!tv->WD) PetscCall(MatDuplicate(tv->D, MAT_COPY_VALUES, &tv->WD));
    else PetscCall(MatCopy(tv->D, tv->WD, SAME_NONZERO_PATTERN));
    PetscCall(MatDiagonalScale(tv->WD, tv->w, NULL));
    if (!tv->A) PetscCall(MatTransposeMatMult(tv->WD, tv->D, MAT_INITIAL_MATRIX, PETSC_DEFAULT, &tv->A));
    else {
      PetscCall(MatTransposeMatMult(tv->WD, tv->D, MAT_REUSE_MATRIX, PETSC_DEFAULT, &tv->A));
      PetscCall(PetscObjectStateIncrease((PetscObject)tv->A)); /* the interface refactors when this state moves */
    }
    tv->avalid  = PETSC_TRUE;
    tv->xid     = xid;
    tv->xstate  = xstate;
    tv->atau    = tv->tau;
    tv->alagged = tv->lagged;
  }
  *A = tv->A;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerTVSetTau_TV(OdynRegularizer reg, PetscReal tau)
{
  PetscFunctionBegin;
  PetscCheck(tau > 0, PetscObjectComm((PetscObject)reg), PETSC_ERR_ARG_OUTOFRANGE, "tau must be positive, got %g (-odyn_reg_tv_tau)", (double)tau);
  ((OdynReg_TV *)reg->data)->tau = tau;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerTVGetTau_TV(OdynRegularizer reg, PetscReal *tau)
{
  PetscFunctionBegin;
  *tau = ((OdynReg_TV *)reg->data)->tau;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerTVSetLaggedDiffusivity_TV(OdynRegularizer reg, PetscBool flg)
{
  PetscFunctionBegin;
  ((OdynReg_TV *)reg->data)->lagged = flg;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerSetFromOptions_TV(OdynRegularizer reg, PetscOptionItems *PetscOptionsObject)
{
  OdynReg_TV *tv  = (OdynReg_TV *)reg->data;
  PetscReal   tau = tv->tau;
  PetscBool   flg;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "OdynRegularizer tv options");
  PetscCall(PetscOptionsReal("-odyn_reg_tv_tau", "Conditioning parameter tau of phi(x) = sqrt(x^2 + tau)", "OdynRegularizerTVSetTau", tau, &tau, &flg));
  if (flg) PetscCall(OdynRegularizerTVSetTau_TV(reg, tau));
  PetscCall(PetscOptionsBool("-odyn_reg_tv_lagged_diffusivity", "Assemble the lagged-diffusivity operator (else the exact Hessian)", "OdynRegularizerTVSetLaggedDiffusivity", tv->lagged, &tv->lagged, NULL));
  PetscOptionsHeadEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerView_TV(OdynRegularizer reg, PetscViewer viewer)
{
  OdynReg_TV *tv = (OdynReg_TV *)reg->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "tau %g, assembled matrix: %s\n", (double)tv->tau, tv->lagged ? "lagged diffusivity" : "Hessian"));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynRegularizerDestroy_TV(OdynRegularizer reg)
{
  PetscFunctionBegin;
  PetscCall(OdynRegularizerReset_TV(reg));
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerTVSetTau_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerTVGetTau_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerTVSetLaggedDiffusivity_C", NULL));
  PetscCall(PetscFree(reg->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynRegularizerCreate_TV(OdynRegularizer reg)
{
  OdynReg_TV *tv;

  PetscFunctionBegin;
  PetscCall(PetscNew(&tv));
  tv->tau                    = 1e-3;
  tv->lagged                 = PETSC_TRUE;
  reg->data                  = tv;
  reg->ops->setup            = OdynRegularizerSetUp_TV;
  reg->ops->reset            = OdynRegularizerReset_TV;
  reg->ops->evaluate         = OdynRegularizerEvaluate_TV;
  reg->ops->hessmult         = OdynRegularizerHessMult_TV;
  reg->ops->hessmat          = OdynRegularizerHessMat_TV;
  reg->ops->setfromoptions   = OdynRegularizerSetFromOptions_TV;
  reg->ops->view             = OdynRegularizerView_TV;
  reg->ops->destroy          = OdynRegularizerDestroy_TV;
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerTVSetTau_C", OdynRegularizerTVSetTau_TV));
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerTVGetTau_C", OdynRegularizerTVGetTau_TV));
  PetscCall(PetscObjectComposeFunction((PetscObject)reg, "OdynRegularizerTVSetLaggedDiffusivity_C", OdynRegularizerTVSetLaggedDiffusivity_TV));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerTVSetTau - sets tau of phi(x) = sqrt(x^2 + tau) for the tv regularizer (ignored by other types)

   Logically Collective

   Options Database Key:
.  -odyn_reg_tv_tau <1e-3> - tau

   Level: intermediate

.seealso: `ODYNREGTV`, `OdynRegularizerTVGetTau()`
@*/
PetscErrorCode OdynRegularizerTVSetTau(OdynRegularizer reg, PetscReal tau)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidLogicalCollectiveReal(reg, tau, 2);
  PetscTryMethod(reg, "OdynRegularizerTVSetTau_C", (OdynRegularizer, PetscReal), (reg, tau));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerTVGetTau - gets tau of the tv regularizer (an error for other types)

   Not Collective

   Level: intermediate

.seealso: `OdynRegularizerTVSetTau()`
@*/
PetscErrorCode OdynRegularizerTVGetTau(OdynRegularizer reg, PetscReal *tau)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidRealPointer(tau, 2);
  PetscUseMethod(reg, "OdynRegularizerTVGetTau_C", (OdynRegularizer, PetscReal *), (reg, tau));
  PetscFunctionReturn(0);
}

/*@
   OdynRegularizerTVSetLaggedDiffusivity - whether the assembled matrix of tv is the lagged-diffusivity operator
   (default) or the exact Hessian (ignored by other types)

   Logically Collective

   Options Database Key:
.  -odyn_reg_tv_lagged_diffusivity <true> - the choice

   Level: intermediate

.seealso: `ODYNREGTV`, `OdynRegularizerGetHessianMatrix()`, `OdynRegularizerGetPC()`
@*/
PetscErrorCode OdynRegularizerTVSetLaggedDiffusivity(OdynRegularizer reg, PetscBool flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(reg, ODYNREG_CLASSID, 1);
  PetscValidLogicalCollectiveBool(reg, flg, 2);
  PetscTryMethod(reg, "OdynRegularizerTVSetLaggedDiffusivity_C", (OdynRegularizer, PetscBool), (reg, flg));
  PetscFunctionReturn(0);
}
