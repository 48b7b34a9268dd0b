/*
   The multilevel driver every trainer type runs under (paper 001 Sec. 5.3, 6): on each level, max_it iterations of
   the type's ops->iterate followed by the training and validation accuracy; the parameters of best validation accuracy
   are kept, and the level's best theta is prolonged to twice the steps for the next level.
*/
#include <odyn/private/trainimpl.h>
#include <odyn/private/netimpl.h>

/* uniform in [-s, s], the same global sequence on every rank */
static PetscErrorCode RandomVec(OdynTrainer t, PetscReal s, Vec v)
{
  PetscInt     N, rs, re;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetSize(v, &N));
  PetscCall(VecGetOwnershipRange(v, &rs, &re));
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = 0; i < N; i++) {
    PetscReal r;
    PetscCall(OdynTrainerRandomReal_Private(t, &r));
    if (i >= rs && i < re) a[i - rs] = s * (2 * r - 1);
  }
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

/* accuracy in percent of the current parameters on a data set */
static PetscErrorCode Accuracy(OdynTrainer t, OdynDataset ds, Vec YN, Vec C, PetscReal *acc)
{
  Vec X;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetFeatures(ds, &X));
  PetscCall(OdynNetForward(t->net, t->theta, X, YN));
  PetscCall(OdynLossGetAccuracy(t->loss, t->wmu, YN, C, acc));
  *acc *= 100;
  PetscFunctionReturn(0);
}

/* "resnet", "antisym", "verlet", ... for the summary lines: the paper's names for its networks */
static PetscErrorCode NetName(OdynNet net, char *buf, size_t len)
{
  OdynScheme     sc;
  OdynLayer      l;
  OdynSchemeType st;
  OdynLayerType  lt;
  PetscBool      euler, dense, verlet, ham;

  PetscFunctionBegin;
  PetscCall(OdynNetGetBlock(net, 0, &sc));
  PetscCall(OdynSchemeGetType(sc, &st));
  PetscCall(OdynSchemeGetLayer(sc, &l));
  PetscCall(OdynLayerGetType(l, &lt));
  PetscCall(PetscStrcmp(st, ODYNSCHEMEEULER, &euler));
  PetscCall(PetscStrcmp(lt, ODYNLAYERDENSE, &dense));
  PetscCall(PetscStrcmp(st, ODYNSCHEMEVERLET, &verlet));
  PetscCall(PetscStrcmp(lt, ODYNLAYERHAMILTONIAN, &ham));
  if (euler && dense) PetscCall(PetscStrncpy(buf, "resnet", len));
  else if (euler) PetscCall(PetscStrncpy(buf, lt, len));
  else if (verlet && ham) PetscCall(PetscStrncpy(buf, "verlet", len));
  else PetscCall(PetscSNPrintf(buf, len, "%s-%s", st, lt));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerSetSteps_Private(OdynNet net, PetscInt N)
{
  PetscInt nb;

  PetscFunctionBegin;
  PetscCall(OdynNetGetNumBlocks(net, &nb));
  for (PetscInt b = 0; b < nb; b++) {
    OdynScheme sc;
    PetscCall(OdynNetGetBlock(net, b, &sc));
    PetscCall(OdynSchemeSetNumSteps(sc, N));
  }
  PetscCall(OdynNetReset_Private(net));
  PetscFunctionReturn(0);
}

static PetscErrorCode AppendHistory(OdynTrainer t, const OdynTrainerHistoryEntry *e, FILE *csv)
{
  PetscFunctionBegin;
  if (t->nhist == t->histcap) {
    OdynTrainerHistoryEntry *h;
    PetscCall(PetscMalloc1(2 * t->histcap + 16, &h));
    if (t->nhist) PetscCall(PetscArraycpy(h, t->hist, t->nhist));
    PetscCall(PetscFree(t->hist));
    t->hist    = h;
    t->histcap = 2 * t->histcap + 16;
  }
  t->hist[t->nhist++] = *e;
  if (t->monitor)
    PetscCall(PetscPrintf(PetscObjectComm((PetscObject)t), "%4" PetscInt_FMT " BCD layers %4" PetscInt_FMT " classifier obj %.6e  propagation obj %.6e |g| %.3e step %.3g  train %6.2f%%  val %6.2f%%  %.2f s\n", e->it, e->layers, (double)e->obj_classifier, (double)e->obj_propagation, (double)e->gnorm, (double)e->step, (double)e->train_acc, (double)e->val_acc, (double)e->time));
  if (csv) PetscCall(PetscFPrintf(PetscObjectComm((PetscObject)t), csv, "%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT ",%.17g,%.17g,%.17g,%.17g,%.4f,%.4f,%.4f\n", e->level, e->layers, e->it, (double)e->obj_classifier, (double)e->obj_propagation, (double)e->gnorm, (double)e->step, (double)e->train_acc, (double)e->val_acc, (double)e->time));
  PetscFunctionReturn(0);
}

static PetscErrorCode SaveCopy(Vec src, Vec *dst)
{
  PetscFunctionBegin;
  PetscCall(VecDestroy(dst));
  PetscCall(VecDuplicate(src, dst));
  PetscCall(VecCopy(src, *dst));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerSolveMultilevel_Private(OdynTrainer t)
{
  MPI_Comm       comm;
  char           netname[64];
  PetscInt       width;
  PetscLogDouble t0;
  PetscBool      stop = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCheck(t->ops->iterate, PetscObjectComm((PetscObject)t), PETSC_ERR_SUP, "Trainer type %s has neither an iteration nor a solve", ((PetscObject)t)->type_name);
  PetscCall(PetscObjectGetComm((PetscObject)t, &comm));
  PetscCall(NetName(t->net, netname, sizeof(netname)));
  PetscCall(OdynNetGetInputWidth(t->net, &width));
  if (t->csv) PetscCall(PetscFClose(comm, t->csv)); /* left open by a failed solve */
  t->csv = NULL;
  if (t->history_csv[0]) {
    PetscCall(PetscFOpen(comm, t->history_csv, "w", &t->csv));
    PetscCall(PetscFPrintf(comm, t->csv, "level,layers,iteration,classifier_objective,propagation_objective,gradient_norm,step,train_acc,val_acc,time\n"));
  }
  t->nhist      = 0;
  t->bestval    = -1;
  t->bestlayers = 0;
  PetscCall(OdynTrainerDestroyLevel_Private(t));
  PetscCall(OdynTrainerSetSteps_Private(t->net, t->levels[0]));
  PetscCall(OdynNetCreateParameterVec(t->net, &t->theta));
  PetscCall(RandomVec(t, t->init_scale, t->theta));
  PetscCall(VecZeroEntries(t->wmu));
  /* the initial guess is the best so far until an iteration beats it */
  t->bestlayers = t->levels[0];
  PetscCall(SaveCopy(t->theta, &t->thbest));
  PetscCall(VecCopy(t->wmu, t->wbest));
  PetscCall(SaveCopy(t->theta, &t->thlev));
  PetscCall(SaveCopy(t->wmu, &t->wlev));
  PetscCall(PetscTime(&t0));
  for (PetscInt l = 0; l < t->nlevels && !stop; l++) {
    PetscLogDouble tl;
    PetscReal      levbest = -1, levtrain = 0;
    PetscInt       it;

    PetscCall(PetscTime(&tl));
    if (l > 0) {
      Vec thf;
      /* continue from the best parameters of the coarser level */
      PetscCall(VecCopy(t->thlev, t->theta));
      PetscCall(VecCopy(t->wlev, t->wmu));
      PetscCall(OdynNetRefineSteps(t->net, t->theta, &thf));
      PetscCall(VecDestroy(&t->theta));
      t->theta = thf;
    }
    t->nfailed = 0;
    if (t->ops->levelsetup) PetscCall((*t->ops->levelsetup)(t, l));
    if (t->monitor) {
      PetscInt np;
      PetscCall(VecGetSize(t->theta, &np));
      PetscCall(PetscPrintf(comm, "level %" PetscInt_FMT ": %" PetscInt_FMT " layers, %" PetscInt_FMT " parameters\n", l, t->levels[l], np));
    }
    for (it = 1; it <= t->max_it; it++) {
      OdynTrainerHistoryEntry e;
      PetscLogDouble          now;

      PetscCall(PetscMemzero(&e, sizeof(e)));
      PetscCall((*t->ops->iterate)(t, &e));
      PetscCall(PetscLogEventBegin(ODYN_TrainValidate, t, 0, 0, 0));
      PetscCall(Accuracy(t, t->train, t->YNtrain, t->Ctrain, &e.train_acc));
      PetscCall(Accuracy(t, t->val, t->YNval, t->Cval, &e.val_acc));
      PetscCall(PetscLogEventEnd(ODYN_TrainValidate, t, 0, 0, 0));
      PetscCall(PetscTime(&now));
      e.level  = l;
      e.layers = t->levels[l];
      e.it     = it;
      e.time   = (PetscReal)(now - t0);
      PetscCall(AppendHistory(t, &e, t->csv));
      if (PetscIsInfOrNanReal(e.obj_classifier) || PetscIsInfOrNanReal(e.obj_propagation)) {
        PetscCall(PetscPrintf(comm, "odyn: NaN or Inf in the objective at level %" PetscInt_FMT " iteration %" PetscInt_FMT ": stopping; the best parameters so far are kept\n", l, it));
        stop = PETSC_TRUE;
        break;
      }
      if (e.val_acc > levbest) {
        levbest  = e.val_acc;
        levtrain = e.train_acc;
        PetscCall(SaveCopy(t->theta, &t->thlev));
        PetscCall(SaveCopy(t->wmu, &t->wlev));
      }
      if (e.val_acc > t->bestval) {
        t->bestval    = e.val_acc;
        t->bestlayers = t->levels[l];
        PetscCall(SaveCopy(t->theta, &t->thbest));
        PetscCall(VecCopy(t->wmu, t->wbest));
      }
    }
    {
      PetscLogDouble now;
      PetscCall(PetscTime(&now));
      if (t->nfailed) PetscCall(PetscPrintf(comm, "odyn: in %" PetscInt_FMT " of %" PetscInt_FMT " iterations the Gauss-Newton line search failed and theta was kept (see -info)\n", t->nfailed, PetscMin(it, t->max_it)));
      PetscCall(PetscPrintf(comm, "odyn level: problem=%s net=%s width=%" PetscInt_FMT " layers=%" PetscInt_FMT " iters=%" PetscInt_FMT " train_acc=%.2f val_acc=%.2f time=%.1f\n", t->problem, netname, width, t->levels[l], PetscMin(it, t->max_it), (double)levtrain, (double)levbest, (double)(now - tl)));
    }
  }
  PetscCall(PetscPrintf(comm, "odyn best: problem=%s net=%s layers=%" PetscInt_FMT " val_acc=%.2f\n", t->problem, netname, t->bestlayers, (double)t->bestval));
  if (t->csv) PetscCall(PetscFClose(comm, t->csv));
  t->csv = NULL;
  PetscFunctionReturn(0);
}
