/*
   The block coordinate descent trainer type of paper 001 (Sec. 2): one iteration is
   [random batch -> Newton-PCG on the classifier -> Gauss-Newton-PCG on theta] (steps.c); the multilevel driver
   (driver.c) does the rest.
*/
#include <odyn/private/trainimpl.h>

static PetscErrorCode OdynTrainerSetFromOptions_BCD(OdynTrainer t, PetscOptionItems *PetscOptionsObject)
{
  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Block coordinate descent (-odyn_trainer_type bcd)");
  PetscCall(PetscOptionsInt("-odyn_bcd_hessian_size", "Sub-sample for Gauss-Newton Hessian products (0: the batch)", "OdynTrainerSolve", t->hess_size, &t->hess_size, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_chunk_size", "Examples per rank and sweep of the propagation step: gradient and Gauss-Newton products summed over chunks (0: all at once)", "OdynTrainerSolve", t->chunk_size, &t->chunk_size, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_classifier_newton_max_it", "Newton iterations of the classifier step", "OdynTrainerSolve", t->newton_it, &t->newton_it, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_classifier_pcg_max_it", "PCG iterations per Newton iteration", "OdynTrainerSolve", t->newton_pcg_it, &t->newton_pcg_it, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_gn_max_it", "Gauss-Newton iterations of the propagation step", "OdynTrainerSolve", t->gn_it, &t->gn_it, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_gn_pcg_max_it", "PCG iterations per Gauss-Newton iteration", "OdynTrainerSolve", t->gn_pcg_it, &t->gn_pcg_it, NULL));
  PetscCall(PetscOptionsReal("-odyn_bcd_gn_damping", "Levenberg-Marquardt damping mu: the Gauss-Newton Hessian is H + mu I", "OdynTrainerSolve", t->gn_damping, &t->gn_damping, NULL));
  PetscCall(PetscOptionsBool("-odyn_bcd_gn_damping_adapt", "Adapt the damping: /4 after a full Armijo step, x4 after a step < 1/4", "OdynTrainerSolve", t->gn_damping_adapt, &t->gn_damping_adapt, NULL));
  PetscOptionsHeadEnd();
  PetscFunctionReturn(0);
}

/* the checks of the settings, outside the options block (an error inside it leaks) */
static PetscErrorCode OdynTrainerSetUp_BCD(OdynTrainer t)
{
  PetscFunctionBegin;
  PetscCheck(t->newton_it >= 0 && t->newton_pcg_it >= 1 && t->gn_it >= 0 && t->gn_pcg_it >= 1, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "Iteration caps must be positive (-odyn_bcd_*_pcg_max_it >= 1; Newton and Gauss-Newton counts >= 0)");
  PetscCheck(t->gn_damping >= 0, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_bcd_gn_damping must be >= 0, got %g", (double)t->gn_damping);
  PetscCheck(t->hess_size >= 0, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_bcd_hessian_size must be >= 0");
  PetscCheck(t->chunk_size >= 0, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_bcd_chunk_size must be >= 0 (0: no chunks), got %" PetscInt_FMT, t->chunk_size);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynTrainerView_BCD(OdynTrainer t, PetscViewer viewer)
{
  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "classifier: <= %" PetscInt_FMT " Newton x <= %" PetscInt_FMT " PCG; propagation: <= %" PetscInt_FMT " Gauss-Newton x <= %" PetscInt_FMT " PCG\n", t->newton_it, t->newton_pcg_it, t->gn_it, t->gn_pcg_it));
  PetscCall(PetscViewerASCIIPrintf(viewer, "Hessian sub-sample %" PetscInt_FMT " (0: the batch), Gauss-Newton damping %g%s\n", t->hess_size, (double)t->gn_damping, t->gn_damping_adapt ? " (adaptive)" : ""));
  if (t->chunk_size) PetscCall(PetscViewerASCIIPrintf(viewer, "sweeps in chunks of <= %" PetscInt_FMT " examples per rank\n", t->chunk_size));
  PetscFunctionReturn(0);
}

/* a new level: theta changed size, so the Gauss-Newton solver and its work Vecs are rebuilt on first use */
static PetscErrorCode OdynTrainerLevelSetUp_BCD(OdynTrainer t, PetscInt level)
{
  PetscFunctionBegin;
  PetscCall(KSPDestroy(&t->kspt));
  PetscCall(MatDestroy(&t->Ht));
  PetscCall(TaoLineSearchDestroy(&t->lst));
  PetscCall(VecDestroy(&t->tmpt));
  PetscCall(VecDestroy(&t->gt));
  PetscCall(VecDestroy(&t->pt));
  PetscCall(VecDuplicate(t->theta, &t->tmpt));
  t->mu = t->gn_damping; /* every level starts from the set damping */
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynTrainerIterate_BCD(OdynTrainer t, OdynTrainerHistoryEntry *e)
{
  Vec Xb;

  PetscFunctionBegin;
  PetscCall(OdynTrainerDrawBatch_Private(t));
  PetscCall(OdynDatasetGetFeatures(t->batch, &Xb));
  PetscCall(OdynTrainerForwardToLoss_Private(t, t->theta, Xb, t->YNb, t->Cb));
  PetscCall(OdynTrainerClassifierStep_Private(t, &e->obj_classifier));
  PetscCall(OdynTrainerGaussNewtonStep_Private(t, &e->obj_propagation, &e->gnorm));
  PetscCall(OdynTrainerDropBatch_Private(t));
  e->step = t->step;
  if (t->gn_it > 0 && e->step == 0) t->nfailed++;
  PetscFunctionReturn(0);
}

/* the adapted damping is the only state of its own the next iteration reads */
static PetscErrorCode OdynTrainerCheckpointWrite_BCD(OdynTrainer t, OdynTrainerCheckpoint ck)
{
  PetscFunctionBegin;
  PetscCall(OdynTrainerCheckpointAddReal(ck, "bcd_gn_damping", t->mu));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynTrainerCheckpointRead_BCD(OdynTrainer t, OdynTrainerCheckpoint ck)
{
  PetscFunctionBegin;
  PetscCall(OdynTrainerCheckpointGetReal(ck, "bcd_gn_damping", &t->mu));
  PetscFunctionReturn(0);
}

/*MC
   ODYNTRAINERBCD - "bcd": the block coordinate descent of paper 001 (Sec. 2), the default trainer type. Each
   iteration draws a batch, takes <= newton_it Newton-PCG steps on the classifier (W, mu) with Y_N fixed, then
   <= gn_it Gauss-Newton-PCG steps on theta preconditioned by the regularizer, each globalized by an Armijo line search.

   Options Database Keys:
+  -odyn_bcd_hessian_size <0> - sub-sample of the batch for Gauss-Newton Hessian products (0: the whole batch)
.  -odyn_bcd_classifier_newton_max_it <2> - Newton iterations of the classifier step
.  -odyn_bcd_classifier_pcg_max_it <2> - PCG iterations per Newton iteration
.  -odyn_bcd_gn_max_it <1> - Gauss-Newton iterations of the propagation step
.  -odyn_bcd_gn_pcg_max_it <20> - PCG iterations per Gauss-Newton iteration
.  -odyn_bcd_gn_damping <0.1> - Levenberg-Marquardt damping mu added to the Gauss-Newton Hessian (the smoothness
   regularizer leaves directions constant in time undamped, and there the Gauss-Newton model overshoots)
.  -odyn_bcd_gn_damping_adapt <false> - adapt the damping to the accepted step (Levenberg-Marquardt style)
-  -odyn_bcd_chunk_size <0> - sweep at most this many local examples per rank at once: the forward sweeps, the gradient
   J^T r and each Gauss-Newton product J^T H J v are summed over chunks, so the network holds the trajectory of one
   chunk instead of the whole batch (memory O(N m) instead of O(N s), for MNIST-sized runs; docs/mnist.md). Each
   Hessian product then sweeps every chunk forward again (one extra forward sweep per product); 0: no chunks, the
   results bit for bit those of the unchunked trainer, else equal to round-off. The accuracies on the training and
   validation sets are computed in the same chunks.

   Level: beginner

.seealso: `OdynTrainerSetType()`, `OdynTrainerSolve()`
M*/
PetscErrorCode OdynTrainerCreate_BCD(OdynTrainer t)
{
  PetscFunctionBegin;
  t->newton_it        = 2;
  t->newton_pcg_it    = 2;
  t->gn_it            = 1;
  t->gn_pcg_it        = 20;
  t->gn_damping       = 0.1;
  t->gn_damping_adapt = PETSC_FALSE;
  t->hess_size        = 0;
  t->ops->setfromoptions = OdynTrainerSetFromOptions_BCD;
  t->ops->setup          = OdynTrainerSetUp_BCD;
  t->ops->view           = OdynTrainerView_BCD;
  t->ops->levelsetup     = OdynTrainerLevelSetUp_BCD;
  t->ops->iterate        = OdynTrainerIterate_BCD;
  t->ops->checkpointwrite = OdynTrainerCheckpointWrite_BCD;
  t->ops->checkpointread  = OdynTrainerCheckpointRead_BCD;
  PetscFunctionReturn(0);
}
