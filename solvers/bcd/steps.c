/*
   The two steps of one block coordinate descent iteration (paper 001 Sec. 2):
   - classifier: Newton-PCG on phi(w) = S(w; Y_N, C) + R_W(w) with Y_N fixed (convex), exact Hessian products;
   - propagation: Gauss-Newton-PCG on psi(theta) = S(w; Y_N(theta), C) + alpha R(theta),
       H v = J_h^T (d2S/dY2) J_h v + alpha R'' v  on the Hessian sub-sample h,
     preconditioned by the factored shifted regularization operator.
   Both globalize with TAO's Armijo line search; a failed line search leaves the parameters unchanged.
*/
#include <odyn/private/trainimpl.h>

/* ---- classifier ---- */

static PetscErrorCode ClassifierObjective(TaoLineSearch ls, Vec w, PetscReal *f, void *ctx)
{
  OdynTrainer t = (OdynTrainer)ctx;
  PetscReal   r;

  PetscFunctionBegin;
  PetscCall(OdynLossEvaluate(t->loss, w, f, NULL, NULL));
  if (t->creg) {
    PetscCall(OdynRegularizerEvaluate(t->creg, w, &r, NULL));
    *f += r;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ClassifierGradient(TaoLineSearch ls, Vec w, Vec g, void *ctx)
{
  OdynTrainer t = (OdynTrainer)ctx;
  PetscReal   f, r;

  PetscFunctionBegin;
  PetscCall(OdynLossEvaluate(t->loss, w, &f, g, NULL));
  if (t->creg) {
    PetscCall(OdynRegularizerEvaluate(t->creg, w, &r, t->tmpw));
    PetscCall(VecAXPY(g, 1.0, t->tmpw));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ClassifierHessianMult(Mat H, Vec v, Vec Hv)
{
  OdynTrainer t;

  PetscFunctionBegin;
  PetscCall(MatShellGetContext(H, &t));
  PetscCall(OdynLossHessianMultWeights(t->loss, t->wmu, v, Hv));
  if (t->creg) {
    PetscCall(OdynRegularizerHessianMult(t->creg, t->wmu, v, t->tmpw));
    PetscCall(VecAXPY(Hv, 1.0, t->tmpw));
  }
  PetscFunctionReturn(0);
}

/* the regularizer's factored (alpha R'' + shift I) as the CG preconditioner */
static PetscErrorCode RegularizerPCApply(PC pc, Vec r, Vec z)
{
  OdynRegularizer reg;
  Vec             x;
  PC              inner;

  PetscFunctionBegin;
  PetscCall(PCShellGetContext(pc, &reg));
  PetscCall(PetscObjectQuery((PetscObject)pc, "odyn_point", (PetscObject *)&x));
  PetscCall(OdynRegularizerGetPC(reg, x, &inner));
  PetscCall(PCApply(inner, r, z));
  PetscFunctionReturn(0);
}

/* KSPCG on a MATSHELL Hessian, preconditioned by `reg` at the point x (or not at all when reg is NULL) */
static PetscErrorCode CreateNewtonSystem(OdynTrainer t, const char *prefix, Vec x, OdynRegularizer reg, PetscInt maxit, PetscErrorCode (*mult)(Mat, Vec, Vec), Mat *H, KSP *ksp)
{
  PetscInt n, N;
  PC       pc;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(x, &n));
  PetscCall(VecGetSize(x, &N));
  PetscCall(MatCreateShell(PetscObjectComm((PetscObject)t), n, n, N, N, t, H));
  PetscCall(MatShellSetOperation(*H, MATOP_MULT, (void (*)(void))mult));
  PetscCall(KSPCreate(PetscObjectComm((PetscObject)t), ksp));
  PetscCall(KSPSetOptionsPrefix(*ksp, prefix));
  PetscCall(KSPSetType(*ksp, KSPCG));
  PetscCall(KSPSetOperators(*ksp, *H, *H));
  /* the cap is the trainer's option; -<prefix>ksp_rtol / ksp_max_it read below may still override both */
  PetscCall(KSPSetTolerances(*ksp, 1e-2, PETSC_DEFAULT, PETSC_DEFAULT, maxit));
  /* CG may stop early on a slightly indefinite product: that direction is still a descent direction */
  PetscCall(KSPSetErrorIfNotConverged(*ksp, PETSC_FALSE));
  PetscCall(KSPGetPC(*ksp, &pc));
  if (reg) {
    PetscCall(PCSetType(pc, PCSHELL));
    PetscCall(PCShellSetContext(pc, reg));
    PetscCall(PCShellSetApply(pc, RegularizerPCApply));
    PetscCall(PCShellSetName(pc, "odyn regularizer (alpha R'' + shift I), CHOLMOD"));
    PetscCall(PetscObjectCompose((PetscObject)pc, "odyn_point", (PetscObject)x));
  } else PetscCall(PCSetType(pc, PCNONE));
  PetscCall(KSPSetFromOptions(*ksp));
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateLineSearch(OdynTrainer t, const char *prefix, PetscErrorCode (*obj)(TaoLineSearch, Vec, PetscReal *, void *), PetscErrorCode (*grad)(TaoLineSearch, Vec, Vec, void *), TaoLineSearch *ls)
{
  PetscFunctionBegin;
  PetscCall(TaoLineSearchCreate(PetscObjectComm((PetscObject)t), ls));
  PetscCall(TaoLineSearchSetOptionsPrefix(*ls, prefix));
  PetscCall(TaoLineSearchSetType(*ls, TAOLINESEARCHARMIJO));
  PetscCall(TaoLineSearchSetObjectiveRoutine(*ls, obj, t));
  PetscCall(TaoLineSearchSetGradientRoutine(*ls, grad, t));
  PetscCall(TaoLineSearchSetFromOptions(*ls));
  PetscFunctionReturn(0);
}

/* One Armijo line search from x along p; returns the step taken, 0 when it did not succeed (x is then unchanged) */
static PetscErrorCode ArmijoStep(TaoLineSearch ls, Vec x, PetscReal *f, Vec g, Vec p, PetscReal step0, PetscReal *step)
{
  TaoLineSearchConvergedReason reason;
  PetscReal                    f0 = *f;

  PetscFunctionBegin;
  /* the objective changes between calls (new batch, new classifier), so Armijo's reference must start afresh */
  PetscCall(TaoLineSearchReset(ls));
  PetscCall(TaoLineSearchSetInitialStepLength(ls, step0));
  PetscCall(TaoLineSearchApply(ls, x, f, g, p, step, &reason));
  if (reason != TAOLINESEARCH_SUCCESS) {
    PetscCall(PetscInfo(ls, "Line search did not succeed (reason %d): parameters kept\n", (int)reason));
    *step = 0;
    *f    = f0;
  }
  PetscFunctionReturn(0);
}

/*
  Newton direction p from H p = -g (PCG, capped), then the Armijo step on x. If CG does not give a descent direction
  or the line search fails along it (a Hessian that is nearly singular where the model saturates makes CG's step
  huge), the step is retried along -g with a first trial of length 1/||g||. Returns the step taken (0: none).
*/
static PetscErrorCode NewtonUpdate(KSP ksp, TaoLineSearch ls, Vec x, PetscReal *f, Vec g, Vec p, PetscReal *step)
{
  PetscReal gp, gnorm;

  PetscFunctionBegin;
  PetscCall(VecScale(g, -1.0));
  PetscCall(KSPSolve(ksp, g, p));
  PetscCall(VecScale(g, -1.0));
  PetscCall(VecDot(g, p, &gp));
  *step = 0;
  if (gp < 0 && !PetscIsInfOrNanReal(gp)) PetscCall(ArmijoStep(ls, x, f, g, p, 1.0, step));
  if (*step == 0) {
    PetscCall(VecNorm(g, NORM_2, &gnorm));
    if (gnorm > 0 && !PetscIsInfOrNanReal(gnorm)) {
      PetscCall(VecCopy(g, p));
      PetscCall(VecScale(p, -1.0));
      PetscCall(ArmijoStep(ls, x, f, g, p, 1.0 / PetscMax(1.0, gnorm), step));
    }
  }
  PetscFunctionReturn(0);
}

/* Newton-PCG on the classifier with the loss's data set to the current batch. f: objective after the step. */
PetscErrorCode OdynTrainerClassifierStep_Private(OdynTrainer t, PetscReal *f)
{
  Vec g, p;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ODYN_TrainClassifier, t, 0, 0, 0));
  if (!t->kspw) {
    PetscCall(CreateNewtonSystem(t, "odyn_classifier_", t->wmu, t->creg, t->newton_pcg_it, ClassifierHessianMult, &t->Hw, &t->kspw));
    PetscCall(CreateLineSearch(t, "odyn_classifier_", ClassifierObjective, ClassifierGradient, &t->lsw));
  }
  /* work Vecs owned by the trainer, so that an error in the step (e.g. NaN in the loss) leaks nothing */
  if (!t->gw) PetscCall(VecDuplicate(t->wmu, &t->gw));
  if (!t->pw) PetscCall(VecDuplicate(t->wmu, &t->pw));
  g = t->gw;
  p = t->pw;
  PetscCall(ClassifierObjective(t->lsw, t->wmu, f, t));
  PetscCall(ClassifierGradient(t->lsw, t->wmu, g, t));
  for (PetscInt k = 0; k < t->newton_it; k++) {
    PetscReal step;
    PetscCall(NewtonUpdate(t->kspw, t->lsw, t->wmu, f, g, p, &step));
    if (step == 0) break;
  }
  PetscCall(PetscLogEventEnd(ODYN_TrainClassifier, t, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* ---- propagation ---- */

/* psi(theta) on the batch: forward sweep, loss at the current classifier, regularizer */
static PetscErrorCode PropagationObjective(TaoLineSearch ls, Vec th, PetscReal *f, void *ctx)
{
  OdynTrainer t = (OdynTrainer)ctx;
  Vec         X;
  PetscReal   r;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetFeatures(t->batch, &X));
  PetscCall(OdynTrainerForwardToLoss_Private(t, th, X, t->YNb, t->Cb));
  PetscCall(OdynLossEvaluate(t->loss, t->wmu, f, NULL, NULL));
  PetscCall(OdynRegularizerEvaluate(t->reg, th, &r, NULL));
  *f += r;
  PetscFunctionReturn(0);
}

/* grad psi = J^T dS/dY_N + alpha R'(theta); leaves the batch trajectory at th in the network */
static PetscErrorCode PropagationGradient(TaoLineSearch ls, Vec th, Vec g, void *ctx)
{
  OdynTrainer t = (OdynTrainer)ctx;
  Vec         X;
  PetscReal   f, r;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetFeatures(t->batch, &X));
  PetscCall(OdynTrainerForwardToLoss_Private(t, th, X, t->YNb, t->Cb));
  PetscCall(OdynTrainerLossGradient_Private(t, th, X, t->YNb, &f, &t->gY, g, t->tmpt));
  PetscCall(OdynRegularizerEvaluate(t->reg, th, &r, t->tmpt));
  PetscCall(VecAXPY(g, 1.0, t->tmpt));
  PetscFunctionReturn(0);
}

/*
   Gauss-Newton product on the Hessian sub-sample, whose trajectory the network holds during the CG solve (without
   chunks; with -odyn_bcd_chunk_size each product sweeps the sub-sample's chunks forward again)
*/
static PetscErrorCode GaussNewtonMult(Mat H, Vec v, Vec Hv)
{
  OdynTrainer t;
  Vec         Xh;

  PetscFunctionBegin;
  PetscCall(MatShellGetContext(H, &t));
  PetscCall(OdynDatasetGetFeatures(t->hsub, &Xh));
  PetscCall(OdynTrainerChunkedGaussNewtonMult_Private(t, t->theta, Xh, t->YNh, t->Ch, v, &t->dY, &t->HdY, Hv, t->tmpt));
  PetscCall(OdynRegularizerHessianMult(t->reg, t->theta, v, t->tmpt));
  PetscCall(VecAXPY(Hv, 1.0, t->tmpt));
  if (t->mu > 0) PetscCall(VecAXPY(Hv, t->mu, v));
  PetscFunctionReturn(0);
}

/* Gauss-Newton-PCG on theta. f: objective after the step; gnorm: norm of the gradient before it. */
PetscErrorCode OdynTrainerGaussNewtonStep_Private(OdynTrainer t, PetscReal *f, PetscReal *gnorm)
{
  Vec g, p, Xh;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ODYN_TrainGaussNewton, t, 0, 0, 0));
  if (!t->kspt) {
    PetscCall(CreateNewtonSystem(t, "odyn_gn_", t->theta, t->reg, t->gn_pcg_it, GaussNewtonMult, &t->Ht, &t->kspt));
    PetscCall(CreateLineSearch(t, "odyn_gn_", PropagationObjective, PropagationGradient, &t->lst));
  }
  if (!t->gt) PetscCall(VecDuplicate(t->theta, &t->gt));
  if (!t->pt) PetscCall(VecDuplicate(t->theta, &t->pt));
  g = t->gt;
  p = t->pt;
  PetscCall(PropagationObjective(t->lst, t->theta, f, t));
  PetscCall(PropagationGradient(t->lst, t->theta, g, t));
  PetscCall(VecNorm(g, NORM_2, gnorm));
  t->step = 0;
  for (PetscInt k = 0; k < t->gn_it; k++) {
    PetscCall(OdynDatasetGetFeatures(t->hsub, &Xh));
    if (t->hsub != t->batch) {
      /* the Hessian products need the sub-sample's trajectory and loss data; the line search restores the batch */
      PetscCall(OdynTrainerForwardToLoss_Private(t, t->theta, Xh, t->YNh, t->Ch));
    }
    PetscCall(NewtonUpdate(t->kspt, t->lst, t->theta, f, g, p, &t->step));
    if (t->gn_damping_adapt && t->gn_damping > 0) {
      /* trust the Gauss-Newton model more after a full step, less after a short one; stay within [1e-6, 1e3] mu0 */
      if (t->step >= 1) t->mu = PetscMax(t->mu / 4, 1e-6 * t->gn_damping);
      else if (t->step < 0.25) t->mu = PetscMin(t->mu * 4, 1e3 * t->gn_damping);
    }
    if (t->step == 0) {
      /* restore the batch as the loss's data set, as after a successful line search */
      PetscCall(PropagationObjective(t->lst, t->theta, f, t));
      break;
    }
  }
  PetscCall(PetscLogEventEnd(ODYN_TrainGaussNewton, t, 0, 0, 0));
  PetscFunctionReturn(0);
}
