/*
   First-order trainer types (sgd, adam): one iteration of the multilevel driver (solvers/bcd/driver.c) is one epoch,
   a pass over a random permutation of the training set in mini-batches; every mini-batch takes one step on theta and
   the classifier weights together along the gradient of the full objective

     phi(theta, wmu) = S(wmu; Y_N(theta), C) + alpha R(theta) + R_W(wmu)

   (paper 001 eq. 2.4; the least-squares objective of paper 002 Sec. 7.1.1), whose theta part is the adjoint sweep
   J^T dS/dY_N. The driver does the levels, the validation after each epoch, the history and the best parameters.
*/
#include "firstorder.h"

static const char *const OdynLRDecays[] = {"none", "step", "cosine", "OdynLRDecay", "ODYN_LR_DECAY_", NULL};

/*
  phi on the examples of ds (targets C, work Vecs YN and gY like the network's output on ds) and its gradient in gt
  and gw; floss is the data term alone. finite is false (and nothing else is set) when the forward sweep blew up, so
  that the driver can stop with its NaN message instead of the loss raising an error.
*/
static PetscErrorCode Gradient(OdynTrainer t, OdynDataset ds, Vec C, Vec YN, Vec gY, Vec theta, Vec wmu, PetscReal *floss, PetscReal *fobj, Vec gt, Vec gw, Vec tt, Vec tw, PetscBool *finite)
{
  Vec       X;
  PetscReal nrm, r;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetFeatures(ds, &X));
  PetscCall(OdynNetForward(t->net, theta, X, YN));
  PetscCall(VecNorm(YN, NORM_2, &nrm));
  *finite = PetscIsInfOrNanReal(nrm) ? PETSC_FALSE : PETSC_TRUE;
  if (!*finite) PetscFunctionReturn(0);
  PetscCall(OdynLossSetData(t->loss, YN, C));
  PetscCall(OdynLossEvaluate(t->loss, wmu, floss, gw, gY));
  PetscCall(OdynNetJacobianMultTranspose(t->net, gY, gt, NULL));
  *fobj = *floss;
  PetscCall(OdynRegularizerEvaluate(t->reg, theta, &r, tt));
  PetscCall(VecAXPY(gt, 1.0, tt));
  *fobj += r;
  if (t->creg) {
    PetscCall(OdynRegularizerEvaluate(t->creg, wmu, &r, tw));
    PetscCall(VecAXPY(gw, 1.0, tw));
    *fobj += r;
  }
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerComputeObjective - the full learning objective and its gradient at given parameters on a data set

   Collective

   Input Parameters:
+  t - the trainer, with network, loss, regularizers and data set (OdynTrainerSetUp() is called)
.  ds - the examples (any data set of the training set's shape, e.g. the training set or a batch)
.  theta - propagation weights, like OdynNetCreateParameterVec() at the network's current depth
-  wmu - classifier weights, like the trainer's (OdynLossCreateWeightVec(); length 0 with the identity classifier)

   Output Parameters:
+  f - phi = S(wmu; Y_N(theta), C) + alpha R(theta) + R_W(wmu), with S the mean loss over the examples of ds
.  gtheta - d phi / d theta (or NULL): the adjoint sweep J^T dS/dY_N plus alpha R'(theta)
-  gwmu - d phi / d wmu (or NULL)

   Level: intermediate

   Notes:
   This is the objective and gradient the first-order types (ODYNTRAINERSGD, ODYNTRAINERADAM) step along, one batch
   at a time. Also a way to check a network's derivatives end to end (a Taylor test of phi).

.seealso: `OdynTrainerSolve()`, `ODYNTRAINERADAM`, `ODYNTRAINERSGD`
@*/
PetscErrorCode OdynTrainerComputeObjective(OdynTrainer t, OdynDataset ds, Vec theta, Vec wmu, PetscReal *f, Vec gtheta, Vec gwmu)
{
  Vec       C, YN, gY, gt, gw, tt, tw;
  PetscInt  nout, nloc;
  PetscReal floss;
  PetscBool finite;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 2);
  PetscValidHeaderSpecific(theta, VEC_CLASSID, 3);
  PetscValidHeaderSpecific(wmu, VEC_CLASSID, 4);
  PetscValidRealPointer(f, 5);
  PetscCall(OdynTrainerSetUp(t));
  PetscCall(OdynNetGetOutputWidth(t->net, &nout));
  PetscCall(OdynDatasetGetSizes(ds, NULL, NULL, &nloc, NULL));
  PetscCall(OdynDatasetCreateTargets(ds, t->bernoulli, &C));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)t), nout * nloc, PETSC_DETERMINE, &YN));
  PetscCall(VecDuplicate(YN, &gY));
  PetscCall(VecDuplicate(theta, &tt));
  PetscCall(VecDuplicate(wmu, &tw));
  gt = gtheta;
  gw = gwmu;
  if (!gt) PetscCall(VecDuplicate(theta, &gt));
  if (!gw) PetscCall(VecDuplicate(wmu, &gw));
  PetscCall(Gradient(t, ds, C, YN, gY, theta, wmu, &floss, f, gt, gw, tt, tw, &finite));
  if (!gtheta) PetscCall(VecDestroy(&gt));
  if (!gwmu) PetscCall(VecDestroy(&gw));
  PetscCall(VecDestroy(&tt));
  PetscCall(VecDestroy(&tw));
  PetscCall(VecDestroy(&gY));
  PetscCall(VecDestroy(&YN));
  PetscCall(VecDestroy(&C));
  PetscCheck(finite, PetscObjectComm((PetscObject)t), PETSC_ERR_FP, "OdynTrainerComputeObjective: the forward propagation gave NaN or Inf (reduce the step size h = T/N or the initial theta)");
  PetscFunctionReturn(0);
}

/* the learning rate of epoch e (0-based) of a level of E epochs */
static PetscReal LearningRate(OdynTrainer_FO *fo, PetscInt e, PetscInt E)
{
  switch (fo->decay) {
  case ODYN_LR_DECAY_STEP:
    return fo->lr * PetscPowReal(fo->decay_rate, (PetscReal)(e / fo->decay_epochs));
  case ODYN_LR_DECAY_COSINE:
    return fo->lr_min + 0.5 * (fo->lr - fo->lr_min) * (1 + PetscCosReal(PETSC_PI * e / PetscMax(E, 1)));
  default:
    return fo->lr;
  }
}

/* one epoch: a random permutation of the training set, cut into mini-batches, one step per mini-batch */
static PetscErrorCode OdynTrainerIterate_FO(OdynTrainer t, OdynTrainerHistoryEntry *e)
{
  OdynTrainer_FO *fo = (OdynTrainer_FO *)t->data;
  MPI_Comm        comm;
  PetscInt        ntrain, B, nb, nout, *perm, *idx;
  PetscReal       lr, sumloss = 0, sumobj = 0, sumg2 = 0;
  PetscBool       finite = PETSC_TRUE;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetComm((PetscObject)t, &comm));
  PetscCall(OdynDatasetGetSizes(t->train, NULL, NULL, NULL, &ntrain));
  PetscCall(OdynNetGetOutputWidth(t->net, &nout));
  B  = (fo->batch && fo->batch < ntrain) ? fo->batch : ntrain;
  nb = (ntrain + B - 1) / B;
  lr = LearningRate(fo, fo->epoch, t->max_it);
  PetscCall(PetscMalloc2(ntrain, &perm, B, &idx));
  for (PetscInt i = 0; i < ntrain; i++) perm[i] = i;
  if (B < ntrain)
    for (PetscInt i = ntrain - 1; i > 0; i--) { /* Fisher-Yates from the trainer's counted stream: the same on every rank */
      PetscReal r;
      PetscInt  j, tmp;
      PetscCall(OdynTrainerRandomReal_Private(t, &r));
      j       = PetscMin((PetscInt)(r * (i + 1)), i);
      tmp     = perm[i];
      perm[i] = perm[j];
      perm[j] = tmp;
    }
  for (PetscInt b = 0; b < nb && finite; b++) {
    const PetscInt m = PetscMin(B, ntrain - b * B);
    OdynDataset    ds;
    Vec            C, YN, gY;
    PetscInt       nloc;
    PetscReal      floss = 0, fobj = 0, g2, w2;

    if (m < ntrain) {
      PetscCall(PetscArraycpy(idx, perm + b * B, m));
      PetscCall(PetscSortInt(m, idx)); /* the order within a batch does not change its gradient; sorted is local */
      PetscCall(OdynDatasetCreateSubset(t->train, m, idx, &ds));
      PetscCall(OdynDatasetCreateTargets(ds, t->bernoulli, &C));
    } else {
      PetscCall(PetscObjectReference((PetscObject)t->train));
      ds = t->train;
      PetscCall(PetscObjectReference((PetscObject)t->Ctrain));
      C = t->Ctrain;
    }
    PetscCall(OdynDatasetGetSizes(ds, NULL, NULL, &nloc, NULL));
    PetscCall(VecCreateMPI(comm, nout * nloc, PETSC_DETERMINE, &YN));
    PetscCall(VecDuplicate(YN, &gY));
    PetscCall(Gradient(t, ds, C, YN, gY, t->theta, t->wmu, &floss, &fobj, fo->gt, fo->gw, fo->tt, fo->tw, &finite));
    PetscCall(VecDestroy(&gY));
    PetscCall(VecDestroy(&YN));
    PetscCall(VecDestroy(&C));
    PetscCall(OdynDatasetDestroy(&ds));
    if (!finite) break;
    if (fo->weight_decay > 0) {
      PetscCall(VecAXPY(fo->gt, fo->weight_decay, t->theta));
      PetscCall(VecAXPY(fo->gw, fo->weight_decay, t->wmu));
    }
    PetscCall(VecNorm(fo->gt, NORM_2, &g2));
    PetscCall(VecNorm(fo->gw, NORM_2, &w2));
    sumloss += floss * m;
    sumobj += fobj * m;
    sumg2 += (g2 * g2 + w2 * w2) * m;
    fo->nsteps++;
    PetscCall((*fo->update)(fo, lr, fo->nsteps, t->theta, fo->gt, fo->st1, fo->st2));
    PetscCall((*fo->update)(fo, lr, fo->nsteps, t->wmu, fo->gw, fo->sw1, fo->sw2));
  }
  PetscCall(PetscFree2(perm, idx));
  fo->epoch++;
  /* the epoch's means over its mini-batches (taken before each step); NaN stops the driver with its message */
  e->obj_classifier  = finite ? sumloss / ntrain : (PetscReal)NAN;
  e->obj_propagation = finite ? sumobj / ntrain : (PetscReal)NAN;
  e->gnorm           = PetscSqrtReal(sumg2 / ntrain);
  e->step            = lr;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynTrainerLevelSetUp_FO(OdynTrainer t, PetscInt level)
{
  OdynTrainer_FO *fo = (OdynTrainer_FO *)t->data;
  Vec            *v[8] = {&fo->gt, &fo->tt, &fo->st1, &fo->st2, &fo->gw, &fo->tw, &fo->sw1, &fo->sw2};

  PetscFunctionBegin;
  /* theta has the new level's size; the classifier keeps its size but the method's state starts afresh with theta's */
  for (PetscInt i = 0; i < 8; i++) {
    PetscCall(VecDestroy(v[i]));
    PetscCall(VecDuplicate(i < 4 ? t->theta : t->wmu, v[i]));
    PetscCall(VecZeroEntries(*v[i]));
  }
  fo->epoch  = 0;
  fo->nsteps = 0;
  PetscFunctionReturn(0);
}

/* the method's state (moments or velocity, epoch and step counts), so that a restart continues bit for bit */
static PetscErrorCode OdynTrainerCheckpointWrite_FO(OdynTrainer t, OdynTrainerCheckpoint ck)
{
  OdynTrainer_FO *fo = (OdynTrainer_FO *)t->data;

  PetscFunctionBegin;
  PetscCall(OdynTrainerCheckpointAddReal(ck, "fo_epoch", (PetscReal)fo->epoch));
  PetscCall(OdynTrainerCheckpointAddReal(ck, "fo_steps", (PetscReal)fo->nsteps));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "fo_theta_state1", fo->st1));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "fo_theta_state2", fo->st2));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "fo_wmu_state1", fo->sw1));
  PetscCall(OdynTrainerCheckpointAddVec(ck, "fo_wmu_state2", fo->sw2));
  PetscFunctionReturn(0);
}

/* after levelsetup: the state Vecs take the checkpoint's (default) layout, which the restored theta and wmu have */
static PetscErrorCode OdynTrainerCheckpointRead_FO(OdynTrainer t, OdynTrainerCheckpoint ck)
{
  OdynTrainer_FO *fo      = (OdynTrainer_FO *)t->data;
  const char     *name[4] = {"fo_theta_state1", "fo_theta_state2", "fo_wmu_state1", "fo_wmu_state2"};
  Vec            *state[4] = {&fo->st1, &fo->st2, &fo->sw1, &fo->sw2};
  PetscReal       r;

  PetscFunctionBegin;
  PetscCall(OdynTrainerCheckpointGetReal(ck, "fo_epoch", &r));
  fo->epoch = (PetscInt)r;
  PetscCall(OdynTrainerCheckpointGetReal(ck, "fo_steps", &r));
  fo->nsteps = (PetscInt64)r;
  for (PetscInt i = 0; i < 4; i++) {
    Vec      v;
    PetscInt n, m;
    PetscCall(OdynTrainerCheckpointGetVec(ck, name[i], &v));
    PetscCall(VecGetSize(v, &n));
    PetscCall(VecGetSize(*state[i], &m));
    PetscCheck(n == m, PetscObjectComm((PetscObject)t), PETSC_ERR_FILE_UNEXPECTED, "Checkpoint: %s has %" PetscInt_FMT " values, the %s trainer expects %" PetscInt_FMT, name[i], n, fo->name, m);
    PetscCall(VecDestroy(state[i]));
    PetscCall(VecDuplicate(v, state[i]));
    PetscCall(VecCopy(v, *state[i]));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynTrainerSetFromOptions_FO(OdynTrainer t, PetscOptionItems *PetscOptionsObject)
{
  OdynTrainer_FO *fo = (OdynTrainer_FO *)t->data;
  PetscBool       adam;
  PetscEnum       decay = (PetscEnum)fo->decay;
  char            title[128];

  PetscFunctionBegin;
  PetscCall(PetscStrcmp(fo->name, ODYNTRAINERADAM, &adam));
  PetscCall(PetscSNPrintf(title, sizeof(title), "First-order trainer (-odyn_trainer_type %s)", fo->name));
  PetscOptionsHeadBegin(PetscOptionsObject, title);
  PetscCall(PetscOptionsInt("-odyn_epochs", "Epochs per level (the driver's iterations; overrides -odyn_bcd_max_it)", "OdynTrainerSolve", t->max_it, &t->max_it, NULL));
  PetscCall(PetscOptionsInt("-odyn_batch_size", "Examples per mini-batch (0: all)", "OdynTrainerSolve", fo->batch, &fo->batch, NULL));
  PetscCall(PetscOptionsReal("-odyn_init_scale", "Initial theta uniform in [-s, s] (the same as -odyn_bcd_init_scale)", "OdynTrainerSolve", t->init_scale, &t->init_scale, NULL));
  PetscCall(PetscOptionsReal("-odyn_lr", "Learning rate", "OdynTrainerSolve", fo->lr, &fo->lr, NULL));
  PetscCall(PetscOptionsEnum("-odyn_lr_decay", "Learning-rate schedule over the epochs of a level", "OdynTrainerSolve", OdynLRDecays, decay, &decay, NULL));
  PetscCall(PetscOptionsInt("-odyn_lr_decay_epochs", "Step schedule: decay every this many epochs", "OdynTrainerSolve", fo->decay_epochs, &fo->decay_epochs, NULL));
  PetscCall(PetscOptionsReal("-odyn_lr_decay_rate", "Step schedule: multiply the rate by this", "OdynTrainerSolve", fo->decay_rate, &fo->decay_rate, NULL));
  PetscCall(PetscOptionsReal("-odyn_lr_min", "Cosine schedule: the rate at the end of a level", "OdynTrainerSolve", fo->lr_min, &fo->lr_min, NULL));
  PetscCall(PetscOptionsReal("-odyn_weight_decay", "L2 weight decay added to the gradient (0: off)", "OdynTrainerSolve", fo->weight_decay, &fo->weight_decay, NULL));
  if (adam) {
    PetscCall(PetscOptionsReal("-odyn_adam_beta1", "Decay of the first moment", "OdynTrainerSolve", fo->beta1, &fo->beta1, NULL));
    PetscCall(PetscOptionsReal("-odyn_adam_beta2", "Decay of the second moment", "OdynTrainerSolve", fo->beta2, &fo->beta2, NULL));
    PetscCall(PetscOptionsReal("-odyn_adam_eps", "Added to the root of the second moment", "OdynTrainerSolve", fo->eps, &fo->eps, NULL));
  } else PetscCall(PetscOptionsReal("-odyn_momentum", "Heavy-ball momentum (0: plain SGD)", "OdynTrainerSolve", fo->momentum, &fo->momentum, NULL));
  PetscOptionsHeadEnd();
  fo->decay = (OdynLRDecay)decay;
  PetscFunctionReturn(0);
}

/* the checks, outside the options block (an error inside it leaks) */
static PetscErrorCode OdynTrainerSetUp_FO(OdynTrainer t)
{
  OdynTrainer_FO *fo   = (OdynTrainer_FO *)t->data;
  MPI_Comm        comm = PetscObjectComm((PetscObject)t);

  PetscFunctionBegin;
  PetscCheck(fo->batch >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_batch_size must be >= 0 (0: all examples), got %" PetscInt_FMT, fo->batch);
  PetscCheck(fo->lr > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_lr must be > 0, got %g", (double)fo->lr);
  PetscCheck(fo->lr_min >= 0 && fo->lr_min <= fo->lr, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_lr_min must be in [0, -odyn_lr], got %g", (double)fo->lr_min);
  PetscCheck(fo->decay_epochs >= 1 && fo->decay_rate > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_lr_decay_epochs must be >= 1 and -odyn_lr_decay_rate > 0, got %" PetscInt_FMT " and %g", fo->decay_epochs, (double)fo->decay_rate);
  PetscCheck(fo->momentum >= 0 && fo->momentum < 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_momentum must be in [0, 1), got %g", (double)fo->momentum);
  PetscCheck(fo->beta1 >= 0 && fo->beta1 < 1 && fo->beta2 >= 0 && fo->beta2 < 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_adam_beta1 and -odyn_adam_beta2 must be in [0, 1), got %g and %g", (double)fo->beta1, (double)fo->beta2);
  PetscCheck(fo->eps > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_adam_eps must be > 0, got %g", (double)fo->eps);
  PetscCheck(fo->weight_decay >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_weight_decay must be >= 0, got %g", (double)fo->weight_decay);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynTrainerView_FO(OdynTrainer t, PetscViewer viewer)
{
  OdynTrainer_FO *fo = (OdynTrainer_FO *)t->data;
  PetscBool       adam;

  PetscFunctionBegin;
  PetscCall(PetscStrcmp(fo->name, ODYNTRAINERADAM, &adam));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%s: one epoch per iteration, mini-batches of %" PetscInt_FMT " (0: all), learning rate %g, schedule %s", fo->name, fo->batch, (double)fo->lr, OdynLRDecays[fo->decay]));
  PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_FALSE));
  if (fo->decay == ODYN_LR_DECAY_STEP) PetscCall(PetscViewerASCIIPrintf(viewer, " (x %g every %" PetscInt_FMT " epochs)", (double)fo->decay_rate, fo->decay_epochs));
  if (fo->decay == ODYN_LR_DECAY_COSINE) PetscCall(PetscViewerASCIIPrintf(viewer, " (to %g)", (double)fo->lr_min));
  PetscCall(PetscViewerASCIIPrintf(viewer, "\n"));
  PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_TRUE));
  if (adam) PetscCall(PetscViewerASCIIPrintf(viewer, "beta1 %g, beta2 %g, eps %g, weight decay %g\n", (double)fo->beta1, (double)fo->beta2, (double)fo->eps, (double)fo->weight_decay));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "momentum %g, weight decay %g\n", (double)fo->momentum, (double)fo->weight_decay));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynTrainerDestroy_FO(OdynTrainer t)
{
  OdynTrainer_FO *fo = (OdynTrainer_FO *)t->data;

  PetscFunctionBegin;
  PetscCall(VecDestroy(&fo->gt));
  PetscCall(VecDestroy(&fo->gw));
  PetscCall(VecDestroy(&fo->tt));
  PetscCall(VecDestroy(&fo->tw));
  PetscCall(VecDestroy(&fo->st1));
  PetscCall(VecDestroy(&fo->st2));
  PetscCall(VecDestroy(&fo->sw1));
  PetscCall(VecDestroy(&fo->sw2));
  PetscCall(PetscFree(t->data));
  PetscFunctionReturn(0);
}

/* fills the ops table; name, update rule and default learning rate come from the type's Create */
PetscErrorCode OdynTrainerCreate_FirstOrder_Private(OdynTrainer t, const char *name, OdynFOUpdate update, PetscReal lr)
{
  OdynTrainer_FO *fo;

  PetscFunctionBegin;
  PetscCall(PetscNew(&fo));
  fo->name         = name;
  fo->update       = update;
  fo->batch        = 32;
  fo->lr           = lr;
  fo->lr_min       = 0;
  fo->decay        = ODYN_LR_DECAY_NONE;
  fo->decay_epochs = 10;
  fo->decay_rate   = 0.1;
  fo->momentum     = 0.9;
  fo->beta1        = 0.9;
  fo->beta2        = 0.999;
  fo->eps          = 1e-8;
  fo->weight_decay = 0;
  t->data                = fo;
  t->ops->setfromoptions = OdynTrainerSetFromOptions_FO;
  t->ops->setup          = OdynTrainerSetUp_FO;
  t->ops->view           = OdynTrainerView_FO;
  t->ops->destroy        = OdynTrainerDestroy_FO;
  t->ops->levelsetup     = OdynTrainerLevelSetUp_FO;
  t->ops->iterate        = OdynTrainerIterate_FO;
  t->ops->checkpointwrite = OdynTrainerCheckpointWrite_FO;
  t->ops->checkpointread  = OdynTrainerCheckpointRead_FO;
  PetscFunctionReturn(0);
}
