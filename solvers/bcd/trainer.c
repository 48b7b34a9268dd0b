#include <odyn/private/trainimpl.h>

PetscClassId  ODYNTRAINER_CLASSID;
PetscLogEvent ODYN_TrainClassifier, ODYN_TrainGaussNewton, ODYN_TrainValidate;

static PetscErrorCode OdynTrainerInitializePackage_Private(void)
{
  static PetscBool done = PETSC_FALSE;

  PetscFunctionBegin;
  if (done) PetscFunctionReturn(0);
  done = PETSC_TRUE;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscClassIdRegister("OdynTrainer", &ODYNTRAINER_CLASSID));
  PetscCall(PetscLogEventRegister("OdynTrainNewton", ODYNTRAINER_CLASSID, &ODYN_TrainClassifier));
  PetscCall(PetscLogEventRegister("OdynTrainGN", ODYNTRAINER_CLASSID, &ODYN_TrainGaussNewton));
  PetscCall(PetscLogEventRegister("OdynTrainValid", ODYNTRAINER_CLASSID, &ODYN_TrainValidate));
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerCreate - creates the block coordinate descent trainer of paper 001

   Collective

   Output Parameter:
.  trainer - the trainer, with the paper's defaults: levels 4, 8, ..., 1024; per iteration <= 2 Newton steps with
   <= 2 PCG iterations for the classifier and one Gauss-Newton step with <= 20 PCG iterations for theta

   Level: beginner

.seealso: `OdynTrainerSetNet()`, `OdynTrainerSetLoss()`, `OdynTrainerSetRegularizer()`, `OdynTrainerSetData()`, `OdynTrainerSolve()`
@*/
PetscErrorCode OdynTrainerCreate(MPI_Comm comm, OdynTrainer *trainer)
{
  OdynTrainer t;

  PetscFunctionBegin;
  PetscValidPointer(trainer, 2);
  *trainer = NULL;
  PetscCall(OdynTrainerInitializePackage_Private());
  PetscCall(PetscHeaderCreate(t, ODYNTRAINER_CLASSID, "OdynTrainer", "Block coordinate descent trainer", "OdynTrainer", comm, OdynTrainerDestroy, OdynTrainerView));
  t->max_it        = 20;
  t->newton_it     = 2;
  t->newton_pcg_it = 2;
  t->gn_it         = 1;
  t->gn_pcg_it     = 20;
  t->nlevels       = 9;
  for (PetscInt l = 0; l < t->nlevels; l++) t->levels[l] = 4 << l;
  t->init_scale = 0.5;
  t->gn_damping = 0.1;
  t->gn_damping_adapt = PETSC_FALSE;
  t->seed       = 1;
  PetscCall(PetscStrncpy(t->problem, "user", sizeof(t->problem)));
  *trainer = t;
  PetscFunctionReturn(0);
}

#define ODYN_TRAINER_SETTER(Name, Type, field, CLASSID) \
  PetscErrorCode OdynTrainerSet##Name(OdynTrainer t, Type obj) \
  { \
    PetscFunctionBegin; \
    PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1); \
    if (obj) PetscValidHeaderSpecific(obj, CLASSID, 2); \
    if (obj) PetscCall(PetscObjectReference((PetscObject)obj)); \
    PetscCall(PetscObjectDestroy((PetscObject *)&t->field)); \
    t->field       = obj; \
    t->setupcalled = PETSC_FALSE; \
    PetscFunctionReturn(0); \
  }

/*MC
   OdynTrainerSetNet - the network whose parameters theta are learned (the trainer keeps a reference)

   Level: beginner
M*/
ODYN_TRAINER_SETTER(Net, OdynNet, net, ODYNNET_CLASSID)
/*MC
   OdynTrainerSetLoss - the hypothesis and loss S(h(W Y_N + mu), C) (the trainer keeps a reference)

   Level: beginner
M*/
ODYN_TRAINER_SETTER(Loss, OdynLoss, loss, ODYNLOSS_CLASSID)
/*MC
   OdynTrainerSetRegularizer - the regularizer alpha R(theta) of the propagation weights, whose shifted Hessian
   preconditions the Gauss-Newton PCG (the trainer keeps a reference)

   Level: beginner
M*/
ODYN_TRAINER_SETTER(Regularizer, OdynRegularizer, reg, ODYNREG_CLASSID)
/*MC
   OdynTrainerSetClassifierRegularizer - an optional regularizer of the classifier weights (beta ||L W||^2), whose
   shifted Hessian preconditions the Newton PCG; NULL: none (the trainer keeps a reference)

   Level: intermediate
M*/
ODYN_TRAINER_SETTER(ClassifierRegularizer, OdynRegularizer, creg, ODYNREG_CLASSID)

/*@
   OdynTrainerSetData - the training and validation sets (the trainer keeps references)

   Collective

   Level: beginner

.seealso: `OdynProblemCreate()`, `OdynDatasetReadCSV()`
@*/
PetscErrorCode OdynTrainerSetData(OdynTrainer t, OdynDataset train, OdynDataset val)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscValidHeaderSpecific(train, ODYNDATASET_CLASSID, 2);
  PetscValidHeaderSpecific(val, ODYNDATASET_CLASSID, 3);
  PetscCall(PetscObjectReference((PetscObject)train));
  PetscCall(PetscObjectReference((PetscObject)val));
  PetscCall(OdynDatasetDestroy(&t->train));
  PetscCall(OdynDatasetDestroy(&t->val));
  t->train       = train;
  t->val         = val;
  t->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
   OdynTrainerSetProblemName - the name printed in the `odyn level:` and `odyn best:` lines

   Not Collective

   Level: intermediate

.seealso: `OdynTrainerSolve()`
@*/
PetscErrorCode OdynTrainerSetProblemName(OdynTrainer t, const char name[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscCall(PetscStrncpy(t->problem, name, sizeof(t->problem)));
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerSetLevels - the numbers of steps of the first block on each level of the multilevel scheme; each must
   be twice the previous one

   Logically Collective

   Options Database Key:
.  -odyn_ml_levels <4,8,...,1024> - the levels

   Level: intermediate

.seealso: `OdynNetRefineSteps()`
@*/
PetscErrorCode OdynTrainerSetLevels(OdynTrainer t, PetscInt n, const PetscInt levels[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscCheck(n >= 1 && n <= ODYN_TRAINER_MAX_LEVELS, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "Number of levels must be in 1..%d, got %" PetscInt_FMT, ODYN_TRAINER_MAX_LEVELS, n);
  for (PetscInt l = 0; l < n; l++) {
    PetscCheck(levels[l] >= 1, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "Level %" PetscInt_FMT " has %" PetscInt_FMT " layers; it must be >= 1", l, levels[l]);
    PetscCheck(l == 0 || levels[l] == 2 * levels[l - 1], PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "Each level must have twice the layers of the previous one (%" PetscInt_FMT " after %" PetscInt_FMT "; -odyn_ml_levels or OdynTrainerSetLevels())", levels[l], levels[l - 1]);
  }
  t->nlevels = n;
  PetscCall(PetscArraycpy(t->levels, levels, n));
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerSetFromOptions - sets the trainer from the options database

   Collective

   Options Database Keys:
+  -odyn_bcd_max_it <20> - block coordinate descent iterations per level
.  -odyn_bcd_batch_size <0> - examples drawn at random each iteration (0: all training examples)
.  -odyn_bcd_hessian_size <0> - sub-sample of the batch for Gauss-Newton Hessian products (0: the whole batch)
.  -odyn_bcd_classifier_newton_max_it <2> - Newton iterations of the classifier step
.  -odyn_bcd_classifier_pcg_max_it <2> - PCG iterations per Newton iteration
.  -odyn_bcd_gn_max_it <1> - Gauss-Newton iterations of the propagation step
.  -odyn_bcd_gn_pcg_max_it <20> - PCG iterations per Gauss-Newton iteration
.  -odyn_ml_levels <4,8,...,1024> - layers of the first block on each level
.  -odyn_bcd_gn_damping <0.1> - Levenberg-Marquardt damping mu added to the Gauss-Newton Hessian (the smoothness
   regularizer leaves directions constant in time undamped, and there the Gauss-Newton model overshoots)
.  -odyn_bcd_gn_damping_adapt <false> - adapt the damping to the accepted step (Levenberg-Marquardt style)
.  -odyn_bcd_init_scale <0.5> - theta starts uniform in [-s, s] (large enough to break the symmetry of the data:
   with theta near 0 the swiss roll starts at a saddle where the classifier is 0 and the gradient vanishes)
.  -odyn_bcd_seed <1> - seed of the initial theta and of the batches (the same on every rank)
.  -odyn_monitor - print one line per iteration
-  -odyn_history_csv <file> - write the history as CSV

   Level: beginner

.seealso: `OdynTrainerSolve()`
@*/
PetscErrorCode OdynTrainerSetFromOptions(OdynTrainer t)
{
  PetscInt  levels[ODYN_TRAINER_MAX_LEVELS], nl = ODYN_TRAINER_MAX_LEVELS, seed = (PetscInt)t->seed;
  PetscBool flg;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscObjectOptionsBegin((PetscObject)t);
  PetscCall(PetscOptionsInt("-odyn_bcd_max_it", "Block coordinate descent iterations per level", "OdynTrainerSolve", t->max_it, &t->max_it, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_batch_size", "Examples per random batch (0: all)", "OdynTrainerSolve", t->batch_size, &t->batch_size, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_hessian_size", "Sub-sample for Gauss-Newton Hessian products (0: the batch)", "OdynTrainerSolve", t->hess_size, &t->hess_size, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_classifier_newton_max_it", "Newton iterations of the classifier step", "OdynTrainerSolve", t->newton_it, &t->newton_it, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_classifier_pcg_max_it", "PCG iterations per Newton iteration", "OdynTrainerSolve", t->newton_pcg_it, &t->newton_pcg_it, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_gn_max_it", "Gauss-Newton iterations of the propagation step", "OdynTrainerSolve", t->gn_it, &t->gn_it, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_gn_pcg_max_it", "PCG iterations per Gauss-Newton iteration", "OdynTrainerSolve", t->gn_pcg_it, &t->gn_pcg_it, NULL));
  PetscCall(PetscOptionsIntArray("-odyn_ml_levels", "Layers of the first block on each level", "OdynTrainerSetLevels", levels, &nl, &flg));
  PetscCall(PetscOptionsReal("-odyn_bcd_gn_damping", "Levenberg-Marquardt damping mu: the Gauss-Newton Hessian is H + mu I", "OdynTrainerSolve", t->gn_damping, &t->gn_damping, NULL));
  PetscCall(PetscOptionsBool("-odyn_bcd_gn_damping_adapt", "Adapt the damping: /4 after a full Armijo step, x4 after a step < 1/4", "OdynTrainerSolve", t->gn_damping_adapt, &t->gn_damping_adapt, NULL));
  PetscCall(PetscOptionsReal("-odyn_bcd_init_scale", "Initial theta uniform in [-s, s]", "OdynTrainerSolve", t->init_scale, &t->init_scale, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_seed", "Seed of the initial theta and the batches", "OdynTrainerSolve", seed, &seed, NULL));
  PetscCall(PetscOptionsBool("-odyn_monitor", "Print one line per iteration", "OdynTrainerSolve", t->monitor, &t->monitor, NULL));
  PetscCall(PetscOptionsString("-odyn_history_csv", "Write the history to this CSV file", "OdynTrainerGetHistory", t->history_csv, t->history_csv, sizeof(t->history_csv), NULL));
  PetscOptionsEnd();
  if (flg) PetscCall(OdynTrainerSetLevels(t, nl, levels));
  t->seed = (unsigned long)seed;
  PetscCheck(t->max_it >= 1 && t->newton_it >= 0 && t->newton_pcg_it >= 1 && t->gn_it >= 0 && t->gn_pcg_it >= 1, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "Iteration caps must be positive (-odyn_bcd_max_it, -odyn_bcd_*_pcg_max_it >= 1; Newton and Gauss-Newton counts >= 0)");
  PetscCheck(t->gn_damping >= 0, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_bcd_gn_damping must be >= 0, got %g", (double)t->gn_damping);
  PetscCheck(t->batch_size >= 0 && t->hess_size >= 0, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_bcd_batch_size and -odyn_bcd_hessian_size must be >= 0");
  t->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
   OdynTrainerView - prints the settings

   Collective

   Level: beginner

.seealso: `OdynTrainerSetFromOptions()`
@*/
PetscErrorCode OdynTrainerView(OdynTrainer t, PetscViewer viewer)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)t), &viewer));
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)t, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " iterations per level on %" PetscInt_FMT " levels (%" PetscInt_FMT " .. %" PetscInt_FMT " layers)\n", t->max_it, t->nlevels, t->levels[0], t->levels[t->nlevels - 1]));
  PetscCall(PetscViewerASCIIPrintf(viewer, "classifier: <= %" PetscInt_FMT " Newton x <= %" PetscInt_FMT " PCG; propagation: <= %" PetscInt_FMT " Gauss-Newton x <= %" PetscInt_FMT " PCG\n", t->newton_it, t->newton_pcg_it, t->gn_it, t->gn_pcg_it));
  PetscCall(PetscViewerASCIIPrintf(viewer, "batch %" PetscInt_FMT ", Hessian sub-sample %" PetscInt_FMT " (0: all)\n", t->batch_size, t->hess_size));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerDestroy - destroys the trainer

   Collective

   Level: beginner

.seealso: `OdynTrainerCreate()`
@*/
PetscErrorCode OdynTrainerDestroy(OdynTrainer *t)
{
  PetscFunctionBegin;
  if (!*t) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*t, ODYNTRAINER_CLASSID, 1);
  if (--((PetscObject)(*t))->refct > 0) {
    *t = NULL;
    PetscFunctionReturn(0);
  }
  PetscCall(OdynTrainerDestroyLevel_Private(*t));
  PetscCall(OdynNetDestroy(&(*t)->net));
  PetscCall(OdynLossDestroy(&(*t)->loss));
  PetscCall(OdynRegularizerDestroy(&(*t)->reg));
  PetscCall(OdynRegularizerDestroy(&(*t)->creg));
  PetscCall(OdynDatasetDestroy(&(*t)->train));
  PetscCall(OdynDatasetDestroy(&(*t)->val));
  PetscCall(PetscRandomDestroy(&(*t)->rnd));
  PetscCall(TaoLineSearchDestroy(&(*t)->lsw));
  PetscCall(KSPDestroy(&(*t)->kspw));
  PetscCall(MatDestroy(&(*t)->Hw));
  PetscCall(VecDestroy(&(*t)->wmu));
  PetscCall(VecDestroy(&(*t)->wbest));
  PetscCall(VecDestroy(&(*t)->tmpw));
  PetscCall(VecDestroy(&(*t)->gw));
  PetscCall(VecDestroy(&(*t)->pw));
  if ((*t)->csv) PetscCall(PetscFClose(PetscObjectComm((PetscObject)*t), (*t)->csv));
  PetscCall(VecDestroy(&(*t)->Ctrain));
  PetscCall(VecDestroy(&(*t)->Cval));
  PetscCall(VecDestroy(&(*t)->YNtrain));
  PetscCall(VecDestroy(&(*t)->YNval));
  PetscCall(PetscFree((*t)->hist));
  PetscCall(PetscHeaderDestroy(t));
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerGetHistory - the per-iteration history of the last solve (borrowed)

   Not Collective

   Level: intermediate

.seealso: `OdynTrainerSolve()`
@*/
PetscErrorCode OdynTrainerGetHistory(OdynTrainer t, PetscInt *n, const OdynTrainerHistoryEntry **h)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  if (n) *n = t->nhist;
  if (h) *h = t->hist;
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerGetBest - the best validation accuracy (in percent) of the last solve and the layers it was reached with

   Not Collective

   Level: beginner

.seealso: `OdynTrainerSolve()`
@*/
PetscErrorCode OdynTrainerGetBest(OdynTrainer t, PetscInt *layers, PetscReal *val_acc)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  if (layers) *layers = t->bestlayers;
  if (val_acc) *val_acc = t->bestval;
  PetscFunctionReturn(0);
}
