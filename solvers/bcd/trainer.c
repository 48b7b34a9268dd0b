#include <odyn/private/trainimpl.h>

PetscClassId      ODYNTRAINER_CLASSID;
PetscLogEvent     ODYN_TrainClassifier, ODYN_TrainGaussNewton, ODYN_TrainValidate;
PetscFunctionList OdynTrainerList = NULL;

static PetscBool OdynTrainerPackageInitialized = PETSC_FALSE;

/* frees the registry at PetscFinalize(), so that -malloc_dump sees no leak and a later PetscInitialize() starts afresh */
static PetscErrorCode OdynTrainerFinalizePackage_Private(void)
{
  PetscFunctionBegin;
  PetscCall(PetscFunctionListDestroy(&OdynTrainerList));
  OdynTrainerRegisterAllCalled  = PETSC_FALSE;
  OdynTrainerPackageInitialized = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynTrainerInitializePackage_Private(void)
{
  PetscFunctionBegin;
  if (OdynTrainerPackageInitialized) PetscFunctionReturn(0);
  OdynTrainerPackageInitialized = PETSC_TRUE;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscRegisterFinalize(OdynTrainerFinalizePackage_Private));
  PetscCall(PetscClassIdRegister("OdynTrainer", &ODYNTRAINER_CLASSID));
  PetscCall(PetscLogEventRegister("OdynTrainNewton", ODYNTRAINER_CLASSID, &ODYN_TrainClassifier));
  PetscCall(PetscLogEventRegister("OdynTrainGN", ODYNTRAINER_CLASSID, &ODYN_TrainGaussNewton));
  PetscCall(PetscLogEventRegister("OdynTrainValid", ODYNTRAINER_CLASSID, &ODYN_TrainValidate));
  PetscCall(OdynTrainerRegisterAll_Private());
  PetscFunctionReturn(0);
}

/*@C
   OdynTrainerRegister - adds a training algorithm, selectable with `OdynTrainerSetType()` or -odyn_trainer_type

   Not Collective

   Input Parameters:
+  name - the type's name
-  create - fills the trainer's ops (at least iterate, or solve) and its data

   Level: advanced

   Notes:
   A type supplies one iteration (ops->iterate) and, if it keeps state across iterations (moments, a damping), the
   checkpoint ops that write and read it; the multilevel driver does the rest. solvers/bcd/trainerreg.c registers the
   built-in types.

.seealso: `OdynTrainerSetType()`, `ODYNTRAINERBCD`
@*/
PetscErrorCode OdynTrainerRegister(const char name[], PetscErrorCode (*create)(OdynTrainer))
{
  PetscFunctionBegin;
  PetscCall(OdynTrainerInitializePackage_Private());
  PetscCall(PetscFunctionListAdd(&OdynTrainerList, name, create));
  PetscFunctionReturn(0);
}

/*@C
   OdynTrainerSetType - selects the training algorithm

   Collective

   Options Database Key:
.  -odyn_trainer_type <bcd> - a registered type

   Level: beginner

   Notes:
   Changing the type drops the previous type's state; the common settings (levels, iterations, batches, seed, data)
   are kept.

.seealso: `OdynTrainerGetType()`, `OdynTrainerRegister()`
@*/
PetscErrorCode OdynTrainerSetType(OdynTrainer t, OdynTrainerType type)
{
  PetscErrorCode (*create)(OdynTrainer);
  PetscBool same;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscValidCharPointer(type, 2);
  PetscCall(PetscObjectTypeCompare((PetscObject)t, type, &same));
  if (same) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(OdynTrainerList, type, &create));
  PetscCheck(create, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown trainer type %s (-odyn_trainer_type; see OdynTrainerRegister())", type);
  PetscCall(OdynTrainerDestroyLevel_Private(t));
  if (t->ops->destroy) PetscCall((*t->ops->destroy)(t));
  t->data = NULL;
  PetscCall(PetscMemzero(t->ops, sizeof(*t->ops)));
  t->setupcalled = PETSC_FALSE;
  PetscCall((*create)(t));
  PetscCall(PetscObjectChangeTypeName((PetscObject)t, type));
  PetscFunctionReturn(0);
}

/*@C
   OdynTrainerGetType - the training algorithm (NULL before one is set)

   Not Collective

   Level: beginner

.seealso: `OdynTrainerSetType()`
@*/
PetscErrorCode OdynTrainerGetType(OdynTrainer t, OdynTrainerType *type)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscValidPointer(type, 2);
  *type = ((PetscObject)t)->type_name;
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerCreate - creates a trainer; its type (`OdynTrainerSetType()`) defaults to the block coordinate descent
   of paper 001 (`ODYNTRAINERBCD`)

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
  PetscCall(PetscHeaderCreate(t, ODYNTRAINER_CLASSID, "OdynTrainer", "Trainer", "OdynTrainer", comm, OdynTrainerDestroy, OdynTrainerView));
  t->max_it  = 20;
  t->nlevels = 9;
  for (PetscInt l = 0; l < t->nlevels; l++) t->levels[l] = 4 << l;
  t->init_scale       = 0.5;
  t->seed             = 1;
  t->checkpoint_every = 1;
  t->catch_signals    = PETSC_TRUE;
  t->progress         = -1;
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
+  -odyn_trainer_type <bcd> - the algorithm (`OdynTrainerSetType()`); its own options are listed with the type
.  -odyn_bcd_max_it <20> - iterations per level
.  -odyn_bcd_batch_size <0> - examples drawn at random each iteration (0: all training examples)
.  -odyn_ml_levels <4,8,...,1024> - layers of the first block on each level
.  -odyn_bcd_init_scale <0.5> - theta starts uniform in [-s, s] (large enough to break the symmetry of the data:
   with theta near 0 the swiss roll starts at a saddle where the classifier is 0 and the gradient vanishes)
.  -odyn_bcd_seed <1> - seed of the initial theta and of the batches (the same on every rank)
.  -odyn_monitor - print one line per iteration
.  -odyn_history_csv <file> - write the history as CSV
.  -odyn_progress <true|false> - a progress line per level, rewritten in place (default: when stdout is a terminal
   and -odyn_monitor is not given)
.  -odyn_checkpoint <file> - write a checkpoint of the whole solver state to this file (`OdynTrainerSetCheckpoint()`)
.  -odyn_checkpoint_every <1> - every k iterations, counted over all levels (0: only when a signal stops the run)
.  -odyn_checkpoint_delay <0> - seconds to wait inside each checkpoint write (for tests that crash a run mid-write)
.  -odyn_restart <file> - continue the run from a checkpoint (`OdynTrainerSetRestart()`)
-  -odyn_catch_signals <true> - stop cleanly after SIGTERM or SIGUSR1 with a checkpoint (`OdynTrainerGetInterrupted()`)

   Level: beginner

   Notes:
   The iteration, batch, initialization and seed options keep their historical -odyn_bcd_ names; every type uses them.

.seealso: `OdynTrainerSolve()`, `ODYNTRAINERBCD`
@*/
PetscErrorCode OdynTrainerSetFromOptions(OdynTrainer t)
{
  PetscInt  levels[ODYN_TRAINER_MAX_LEVELS], nl = ODYN_TRAINER_MAX_LEVELS, seed = (PetscInt)t->seed;
  PetscBool flg, tflg, pflg, progress;
  char      type[256];

  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscCall(OdynTrainerInitializePackage_Private());
  PetscObjectOptionsBegin((PetscObject)t);
  PetscCall(PetscOptionsFList("-odyn_trainer_type", "Training algorithm", "OdynTrainerSetType", OdynTrainerList, ((PetscObject)t)->type_name ? ((PetscObject)t)->type_name : ODYNTRAINERBCD, type, sizeof(type), &tflg));
  PetscCall(PetscOptionsInt("-odyn_bcd_max_it", "Iterations per level", "OdynTrainerSolve", t->max_it, &t->max_it, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_batch_size", "Examples per random batch (0: all)", "OdynTrainerSolve", t->batch_size, &t->batch_size, NULL));
  PetscCall(PetscOptionsIntArray("-odyn_ml_levels", "Layers of the first block on each level", "OdynTrainerSetLevels", levels, &nl, &flg));
  PetscCall(PetscOptionsReal("-odyn_bcd_init_scale", "Initial theta uniform in [-s, s]", "OdynTrainerSolve", t->init_scale, &t->init_scale, NULL));
  PetscCall(PetscOptionsInt("-odyn_bcd_seed", "Seed of the initial theta and the batches", "OdynTrainerSolve", seed, &seed, NULL));
  PetscCall(PetscOptionsBool("-odyn_monitor", "Print one line per iteration", "OdynTrainerSolve", t->monitor, &t->monitor, NULL));
  PetscCall(PetscOptionsString("-odyn_history_csv", "Write the history to this CSV file", "OdynTrainerGetHistory", t->history_csv, t->history_csv, sizeof(t->history_csv), NULL));
  PetscCall(PetscOptionsBool("-odyn_progress", "A progress line per level, rewritten in place (default: stdout is a terminal and no -odyn_monitor)", "OdynTrainerSolve", t->progress > 0 ? PETSC_TRUE : PETSC_FALSE, &progress, &pflg));
  PetscCall(PetscOptionsString("-odyn_checkpoint", "Write checkpoints of the solver state to this file", "OdynTrainerSetCheckpoint", t->checkpoint, t->checkpoint, sizeof(t->checkpoint), NULL));
  PetscCall(PetscOptionsInt("-odyn_checkpoint_every", "Checkpoint every k iterations (0: only on a signal)", "OdynTrainerSetCheckpoint", t->checkpoint_every, &t->checkpoint_every, NULL));
  PetscCall(PetscOptionsReal("-odyn_checkpoint_delay", "Seconds to wait inside each checkpoint write (crash tests)", "OdynTrainerSetCheckpoint", t->checkpoint_delay, &t->checkpoint_delay, NULL));
  PetscCall(PetscOptionsString("-odyn_restart", "Continue the run from this checkpoint file", "OdynTrainerSetRestart", t->restart, t->restart, sizeof(t->restart), NULL));
  PetscCall(PetscOptionsBool("-odyn_catch_signals", "Stop cleanly with a checkpoint after SIGTERM or SIGUSR1", "OdynTrainerGetInterrupted", t->catch_signals, &t->catch_signals, NULL));
  PetscOptionsEnd();
  if (pflg) t->progress = progress ? 1 : 0;
  PetscCheck(t->checkpoint_every >= 0, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_checkpoint_every must be >= 0, got %" PetscInt_FMT, t->checkpoint_every);
  PetscCheck(t->checkpoint_delay >= 0, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_checkpoint_delay must be >= 0");
  /* the type after PetscOptionsEnd: an unknown name must not leak the options block */
  if (tflg) PetscCall(OdynTrainerSetType(t, type));
  else if (!((PetscObject)t)->type_name) PetscCall(OdynTrainerSetType(t, ODYNTRAINERBCD));
  if (t->ops->setfromoptions) {
    PetscObjectOptionsBegin((PetscObject)t);
    PetscCall((*t->ops->setfromoptions)(t, PetscOptionsObject));
    PetscOptionsEnd();
  }
  if (flg) PetscCall(OdynTrainerSetLevels(t, nl, levels));
  t->seed = (unsigned long)seed;
  PetscCheck(t->max_it >= 1, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_bcd_max_it must be >= 1, got %" PetscInt_FMT, t->max_it);
  PetscCheck(t->batch_size >= 0, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_bcd_batch_size must be >= 0");
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
  PetscCall(PetscViewerASCIIPrintf(viewer, "batch %" PetscInt_FMT " (0: all), seed %lu\n", t->batch_size, t->seed));
  if (t->ops->view) PetscCall((*t->ops->view)(t, viewer));
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
  if ((*t)->ops->destroy) PetscCall((*(*t)->ops->destroy)(*t));
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

/*@C
   OdynTrainerSetCheckpoint - writes the complete solver state to a file every k iterations, so that a run that is
   stopped (by a signal, a time limit, a crash) can be continued with `OdynTrainerSetRestart()`

   Logically Collective

   Input Parameters:
+  t - the trainer
.  file - the checkpoint file (HDF5; NULL or "": none)
-  every - iterations between checkpoints, counted over all levels (0: only when a signal stops the run)

   Options Database Keys:
+  -odyn_checkpoint <file> - the file
-  -odyn_checkpoint_every <1> - k

   Level: intermediate

   Notes:
   A checkpoint holds theta, the classifier weights, the level and iteration, the level's and the run's best
   parameters and accuracies, the history, the number of random values drawn (RAND48 has no get-state: a restart
   re-seeds and draws them again) and the type's state (bcd: the Gauss-Newton damping), with a format version, a
   description of the run and a checksum. It is written to file.tmp and renamed to file by rank 0 after every rank
   closed it, so a crash during a write leaves the previous checkpoint intact. docs/batch.md describes it.

.seealso: `OdynTrainerSetRestart()`, `OdynTrainerGetInterrupted()`
@*/
PetscErrorCode OdynTrainerSetCheckpoint(OdynTrainer t, const char file[], PetscInt every)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscCheck(every >= 0, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_OUTOFRANGE, "Checkpoint interval must be >= 0, got %" PetscInt_FMT, every);
  PetscCall(PetscStrncpy(t->checkpoint, file ? file : "", sizeof(t->checkpoint)));
  t->checkpoint_every = every;
  PetscFunctionReturn(0);
}

/*@C
   OdynTrainerSetRestart - the next `OdynTrainerSolve()` continues from a checkpoint instead of starting afresh

   Logically Collective

   Input Parameters:
+  t - the trainer
-  file - a checkpoint written by `OdynTrainerSetCheckpoint()` (NULL or "": start afresh)

   Options Database Key:
.  -odyn_restart <file> - the checkpoint

   Level: intermediate

   Notes:
   On the same number of ranks the continued history equals that of the uninterrupted run bit for bit (the time
   column aside). The checkpoint must come from the same run: the trainer type, network, loss, data, levels,
   iterations per level, batch and Hessian sample sizes and seed are compared, and a checkpoint that differs is
   refused with an error that names the file and the first difference. A missing, truncated, corrupt (checksum) or
   newer-format file is refused too.

.seealso: `OdynTrainerSetCheckpoint()`
@*/
PetscErrorCode OdynTrainerSetRestart(OdynTrainer t, const char file[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscCall(PetscStrncpy(t->restart, file ? file : "", sizeof(t->restart)));
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerGetInterrupted - whether a signal stopped the last `OdynTrainerSolve()`

   Not Collective

   Output Parameter:
.  sig - the signal (SIGTERM or SIGUSR1), 0 when the solve ran to its end

   Level: intermediate

   Notes:
   While `OdynTrainerSolve()` runs (unless -odyn_catch_signals false), SIGTERM and SIGUSR1 only set a flag; at the end
   of the current iteration the ranks agree on it, a checkpoint is written (to -odyn_checkpoint, or
   odyn-checkpoint.h5), a line says so, and the solve returns the best parameters so far. `odyn train` then exits with
   status `ODYN_EXIT_INTERRUPTED` (75). The previous handlers (PETSc's, which would abort) are restored afterwards.

.seealso: `OdynTrainerSetCheckpoint()`, `OdynTrainerSetRestart()`
@*/
PetscErrorCode OdynTrainerGetInterrupted(OdynTrainer t, PetscInt *sig)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscValidIntPointer(sig, 2);
  *sig = t->interrupted;
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
