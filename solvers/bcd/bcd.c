/*
   Block coordinate descent, multilevel in depth (paper 001 Sec. 2, 5.3, 6): on each level, max_it iterations of
   [random batch -> Newton-PCG on the classifier -> Gauss-Newton-PCG on theta -> training and validation accuracy];
   the parameters of best validation accuracy are kept, and the level's best theta is prolonged to twice the steps.
*/
#include <odyn/private/trainimpl.h>
#include <odyn/private/netimpl.h>

/* The first example (global index) with a NaN or Inf feature, or -1; the same answer on every rank. */
static PetscErrorCode FirstNonFinite(OdynDataset ds, PetscInt *bad)
{
  Vec                X;
  const PetscScalar *x;
  PetscInt           nf, nloc, start, mine = PETSC_MAX_INT;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetFeatures(ds, &X));
  PetscCall(OdynDatasetGetSizes(ds, &nf, NULL, &nloc, NULL));
  PetscCall(OdynDatasetGetOwnershipRange(ds, &start, NULL));
  PetscCall(VecGetArrayRead(X, &x));
  for (PetscInt i = 0; i < nf * nloc; i++)
    if (PetscIsInfOrNanScalar(x[i])) {
      mine = start + i / nf;
      break;
    }
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscCall(MPIU_Allreduce(&mine, bad, 1, MPIU_INT, MPI_MIN, PetscObjectComm((PetscObject)ds)));
  if (*bad == PETSC_MAX_INT) *bad = -1;
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerSetUp - checks that network, loss, regularizer and data fit together and creates the classifier weights

   Collective

   Level: intermediate

.seealso: `OdynTrainerSolve()`
@*/
PetscErrorCode OdynTrainerSetUp(OdynTrainer t)
{
  PetscInt    nin, nout, nf, nc, ncv, nfv, nloc;
  OdynLossType ltype;
  PetscBool   logistic;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  if (t->setupcalled) PetscFunctionReturn(0);
  PetscCheck(t->net, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_WRONGSTATE, "Call OdynTrainerSetNet() before OdynTrainerSetUp()");
  PetscCheck(t->loss, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_WRONGSTATE, "Call OdynTrainerSetLoss() before OdynTrainerSetUp()");
  PetscCheck(t->reg, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_WRONGSTATE, "Call OdynTrainerSetRegularizer() before OdynTrainerSetUp()");
  PetscCheck(t->train && t->val, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_WRONGSTATE, "Call OdynTrainerSetData() before OdynTrainerSetUp()");
  PetscCall(OdynNetGetInputWidth(t->net, &nin));
  PetscCall(OdynNetGetOutputWidth(t->net, &nout));
  PetscCall(OdynDatasetGetSizes(t->train, &nf, &nc, NULL, NULL));
  PetscCall(OdynDatasetGetSizes(t->val, &nfv, &ncv, NULL, NULL));
  PetscCheck(nf == nin, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_SIZ, "The training features have width %" PetscInt_FMT " but the network's input width is %" PetscInt_FMT " (-odyn_layer_width, -odyn_problem_duplicate)", nf, nin);
  PetscCheck(nfv == nf && ncv == nc, PetscObjectComm((PetscObject)t), PETSC_ERR_ARG_SIZ, "Validation set (%" PetscInt_FMT " features, %" PetscInt_FMT " classes) does not match the training set (%" PetscInt_FMT ", %" PetscInt_FMT ")", nfv, ncv, nf, nc);
  {
    PetscInt bad;
    PetscCall(FirstNonFinite(t->train, &bad));
    PetscCheck(bad < 0, PetscObjectComm((PetscObject)t), PETSC_ERR_FP, "Training example %" PetscInt_FMT " has a NaN or Inf feature: clean the data set", bad);
    PetscCall(FirstNonFinite(t->val, &bad));
    PetscCheck(bad < 0, PetscObjectComm((PetscObject)t), PETSC_ERR_FP, "Validation example %" PetscInt_FMT " has a NaN or Inf feature: clean the data set", bad);
  }
  PetscCall(OdynLossGetType(t->loss, &ltype));
  PetscCall(PetscStrcmp(ltype, "logistic", &logistic));
  t->bernoulli = (logistic && nc == 2) ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(OdynLossSetNumFeatures(t->loss, nout));
  PetscCall(OdynLossSetNumClasses(t->loss, t->bernoulli ? 1 : nc));
  PetscCall(OdynLossSetUp(t->loss));
  PetscCall(OdynRegularizerSetNet(t->reg, t->net));
  PetscCall(VecDestroy(&t->Ctrain));
  PetscCall(VecDestroy(&t->Cval));
  PetscCall(OdynDatasetCreateTargets(t->train, t->bernoulli, &t->Ctrain));
  PetscCall(OdynDatasetCreateTargets(t->val, t->bernoulli, &t->Cval));
  PetscCall(VecDestroy(&t->YNtrain));
  PetscCall(VecDestroy(&t->YNval));
  PetscCall(OdynDatasetGetSizes(t->train, NULL, NULL, &nloc, NULL));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)t), nout * nloc, PETSC_DETERMINE, &t->YNtrain));
  PetscCall(OdynDatasetGetSizes(t->val, NULL, NULL, &nloc, NULL));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)t), nout * nloc, PETSC_DETERMINE, &t->YNval));
  PetscCall(VecDestroy(&t->wmu));
  PetscCall(VecDestroy(&t->wbest));
  PetscCall(VecDestroy(&t->tmpw));
  PetscCall(VecDestroy(&t->gw));
  PetscCall(VecDestroy(&t->pw));
  PetscCall(OdynLossCreateWeightVec(t->loss, &t->wmu));
  PetscCall(VecDuplicate(t->wmu, &t->wbest));
  PetscCall(VecDuplicate(t->wmu, &t->tmpw));
  PetscCall(KSPDestroy(&t->kspw));
  PetscCall(MatDestroy(&t->Hw));
  PetscCall(TaoLineSearchDestroy(&t->lsw));
  PetscCall(PetscRandomDestroy(&t->rnd));
  PetscCall(PetscRandomCreate(PETSC_COMM_SELF, &t->rnd));
  PetscCall(PetscRandomSetType(t->rnd, PETSCRAND48));
  PetscCall(PetscRandomSetSeed(t->rnd, t->seed));
  PetscCall(PetscRandomSeed(t->rnd));
  t->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode DropBatch(OdynTrainer);

PetscErrorCode OdynTrainerDestroyLevel_Private(OdynTrainer t)
{
  PetscFunctionBegin;
  PetscCall(DropBatch(t));
  PetscCall(VecDestroy(&t->thlev));
  PetscCall(VecDestroy(&t->wlev));
  PetscCall(VecDestroy(&t->gt));
  PetscCall(VecDestroy(&t->pt));
  PetscCall(KSPDestroy(&t->kspt));
  PetscCall(MatDestroy(&t->Ht));
  PetscCall(TaoLineSearchDestroy(&t->lst));
  PetscCall(VecDestroy(&t->tmpt));
  PetscCall(VecDestroy(&t->theta));
  PetscCall(VecDestroy(&t->thbest));
  PetscFunctionReturn(0);
}

/* uniform in [-s, s], the same global sequence on every rank */
static PetscErrorCode RandomVec(PetscRandom rnd, PetscReal s, Vec v)
{
  PetscInt     N, rs, re;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecGetSize(v, &N));
  PetscCall(VecGetOwnershipRange(v, &rs, &re));
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = 0; i < N; i++) {
    PetscReal r;
    PetscCall(PetscRandomGetValueReal(rnd, &r));
    if (i >= rs && i < re) a[i - rs] = s * (2 * r - 1);
  }
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

/* the first m entries of a random permutation of 0..n-1, the same on every rank */
static PetscErrorCode RandomSubset(PetscRandom rnd, PetscInt n, PetscInt m, PetscInt idx[])
{
  PetscInt *perm;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n, &perm));
  for (PetscInt i = 0; i < n; i++) perm[i] = i;
  for (PetscInt i = 0; i < m; i++) { /* partial Fisher-Yates */
    PetscReal r;
    PetscInt  j, tmp;
    PetscCall(PetscRandomGetValueReal(rnd, &r));
    j       = i + PetscMin((PetscInt)(r * (n - i)), n - i - 1);
    tmp     = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
  PetscCall(PetscArraycpy(idx, perm, m));
  PetscCall(PetscSortInt(m, idx)); /* keep the examples in their original order: locality, and the same split on any rank count */
  PetscCall(PetscFree(perm));
  PetscFunctionReturn(0);
}

static PetscErrorCode FeatureVecLike(OdynTrainer t, OdynDataset ds, PetscInt width, Vec *v)
{
  PetscInt nloc;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetSizes(ds, NULL, NULL, &nloc, NULL));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)t), width * nloc, PETSC_DETERMINE, v));
  PetscFunctionReturn(0);
}

/* This iteration's batch and Hessian sub-sample, their targets and work Vecs. */
static PetscErrorCode DrawBatch(OdynTrainer t)
{
  PetscInt ntrain, nb, nh, nout, *idx;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetSizes(t->train, NULL, NULL, NULL, &ntrain));
  PetscCall(OdynNetGetOutputWidth(t->net, &nout));
  nb = (t->batch_size && t->batch_size < ntrain) ? t->batch_size : ntrain;
  nh = (t->hess_size && t->hess_size < nb) ? t->hess_size : nb;
  PetscCall(PetscMalloc1(nb, &idx));
  if (nb < ntrain) {
    PetscCall(RandomSubset(t->rnd, ntrain, nb, idx));
    PetscCall(OdynDatasetCreateSubset(t->train, nb, idx, &t->batch));
    PetscCall(OdynDatasetCreateTargets(t->batch, t->bernoulli, &t->Cb));
  } else {
    PetscCall(PetscObjectReference((PetscObject)t->train));
    t->batch = t->train;
    PetscCall(PetscObjectReference((PetscObject)t->Ctrain));
    t->Cb = t->Ctrain;
  }
  if (nh < nb) {
    PetscCall(RandomSubset(t->rnd, nb, nh, idx)); /* positions within the batch */
    PetscCall(OdynDatasetCreateSubset(t->batch, nh, idx, &t->hsub));
    PetscCall(OdynDatasetCreateTargets(t->hsub, t->bernoulli, &t->Ch));
  } else {
    PetscCall(PetscObjectReference((PetscObject)t->batch));
    t->hsub = t->batch;
    PetscCall(PetscObjectReference((PetscObject)t->Cb));
    t->Ch = t->Cb;
  }
  PetscCall(PetscFree(idx));
  PetscCall(FeatureVecLike(t, t->batch, nout, &t->YNb));
  PetscCall(VecDuplicate(t->YNb, &t->gY));
  if (t->hsub == t->batch) {
    PetscCall(PetscObjectReference((PetscObject)t->YNb));
    t->YNh = t->YNb;
  } else PetscCall(FeatureVecLike(t, t->hsub, nout, &t->YNh));
  PetscCall(VecDuplicate(t->YNh, &t->dY));
  PetscCall(VecDuplicate(t->YNh, &t->HdY));
  PetscFunctionReturn(0);
}

static PetscErrorCode DropBatch(OdynTrainer t)
{
  PetscFunctionBegin;
  PetscCall(OdynDatasetDestroy(&t->batch));
  PetscCall(OdynDatasetDestroy(&t->hsub));
  PetscCall(VecDestroy(&t->Cb));
  PetscCall(VecDestroy(&t->Ch));
  PetscCall(VecDestroy(&t->YNb));
  PetscCall(VecDestroy(&t->YNh));
  PetscCall(VecDestroy(&t->gY));
  PetscCall(VecDestroy(&t->dY));
  PetscCall(VecDestroy(&t->HdY));
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

static PetscErrorCode SetSteps(OdynNet net, PetscInt N)
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

/*@
   OdynTrainerSolve - trains: multilevel block coordinate descent, returning the parameters of best validation accuracy

   Collective

   Output Parameters:
+  theta - new Vec with the best propagation weights (the caller destroys it); on return the network's blocks have
           the number of steps these weights belong to
-  wmu - new Vec with the matching classifier weights (the caller destroys it)

   Level: beginner

   Notes:
   Every block has levels[l] steps on level l. Prints, for each level, a line
   `odyn level: problem=P net=NET width=n layers=N iters=K train_acc=A val_acc=B time=S` and at the end
   `odyn best: problem=P net=NET layers=N val_acc=B`. Data with NaN or Inf features are refused at set-up, naming the
   example. A failed line search keeps the parameters of that step; a NaN or Inf objective during training stops the
   run with a message and returns the best parameters found so far (the initial ones if none was better).

.seealso: `OdynTrainerSetFromOptions()`, `OdynTrainerGetHistory()`
@*/
PetscErrorCode OdynTrainerSolve(OdynTrainer t, Vec *theta_out, Vec *wmu_out)
{
  MPI_Comm      comm;
  char          netname[64];
  PetscInt      width;
  PetscLogDouble t0;
  PetscBool     stop = PETSC_FALSE;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscCall(PetscObjectGetComm((PetscObject)t, &comm));
  PetscCall(OdynTrainerSetUp(t));
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
  PetscCall(SetSteps(t->net, t->levels[0]));
  PetscCall(OdynNetCreateParameterVec(t->net, &t->theta));
  PetscCall(RandomVec(t->rnd, t->init_scale, t->theta));
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
    PetscInt       nfailed = 0; /* Gauss-Newton steps whose line search failed (parameters kept) */
    PetscInt       it;

    PetscCall(PetscTime(&tl));
    if (l > 0) {
      Vec thf;
      /* continue from the best parameters of the coarser level */
      PetscCall(VecCopy(t->thlev, t->theta));
      PetscCall(VecCopy(t->wlev, t->wmu));
      PetscCall(OdynNetRefineSteps(t->net, t->theta, &thf));
      PetscCall(KSPDestroy(&t->kspt));
      PetscCall(MatDestroy(&t->Ht));
      PetscCall(TaoLineSearchDestroy(&t->lst));
      PetscCall(VecDestroy(&t->tmpt));
      PetscCall(VecDestroy(&t->gt));
      PetscCall(VecDestroy(&t->pt));
      PetscCall(VecDestroy(&t->theta));
      t->theta = thf;
    }
    PetscCall(VecDuplicate(t->theta, &t->tmpt));
    t->mu = t->gn_damping; /* every level starts from the set damping */
    if (t->monitor) {
      PetscInt np;
      PetscCall(VecGetSize(t->theta, &np));
      PetscCall(PetscPrintf(comm, "level %" PetscInt_FMT ": %" PetscInt_FMT " layers, %" PetscInt_FMT " parameters\n", l, t->levels[l], np));
    }
    for (it = 1; it <= t->max_it; it++) {
      OdynTrainerHistoryEntry e;
      PetscLogDouble          now;
      Vec                     Xb;

      PetscCall(DrawBatch(t));
      PetscCall(OdynDatasetGetFeatures(t->batch, &Xb));
      PetscCall(OdynNetForward(t->net, t->theta, Xb, t->YNb));
      PetscCall(OdynLossSetData(t->loss, t->YNb, t->Cb));
      PetscCall(OdynTrainerClassifierStep_Private(t, &e.obj_classifier));
      PetscCall(OdynTrainerGaussNewtonStep_Private(t, &e.obj_propagation, &e.gnorm));
      PetscCall(DropBatch(t));
      PetscCall(PetscLogEventBegin(ODYN_TrainValidate, t, 0, 0, 0));
      PetscCall(Accuracy(t, t->train, t->YNtrain, t->Ctrain, &e.train_acc));
      PetscCall(Accuracy(t, t->val, t->YNval, t->Cval, &e.val_acc));
      PetscCall(PetscLogEventEnd(ODYN_TrainValidate, t, 0, 0, 0));
      PetscCall(PetscTime(&now));
      e.level  = l;
      e.layers = t->levels[l];
      e.it     = it;
      e.step   = t->step;
      e.time   = (PetscReal)(now - t0);
      PetscCall(AppendHistory(t, &e, t->csv));
      if (t->gn_it > 0 && e.step == 0) nfailed++;
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
      if (nfailed) PetscCall(PetscPrintf(comm, "odyn: in %" PetscInt_FMT " of %" PetscInt_FMT " iterations the Gauss-Newton line search failed and theta was kept (see -info)\n", nfailed, PetscMin(it, t->max_it)));
      PetscCall(PetscPrintf(comm, "odyn level: problem=%s net=%s width=%" PetscInt_FMT " layers=%" PetscInt_FMT " iters=%" PetscInt_FMT " train_acc=%.2f val_acc=%.2f time=%.1f\n", t->problem, netname, width, t->levels[l], PetscMin(it, t->max_it), (double)levtrain, (double)levbest, (double)(now - tl)));
    }
  }
  PetscCall(PetscPrintf(comm, "odyn best: problem=%s net=%s layers=%" PetscInt_FMT " val_acc=%.2f\n", t->problem, netname, t->bestlayers, (double)t->bestval));
  if (t->csv) PetscCall(PetscFClose(comm, t->csv));
  t->csv = NULL;
  /* hand back the best parameters, with the network at the depth they belong to */
  PetscCall(SetSteps(t->net, t->bestlayers));
  *theta_out = NULL; /* outputs: SaveCopy() would destroy whatever they held */
  *wmu_out   = NULL;
  PetscCall(SaveCopy(t->thbest, theta_out));
  PetscCall(SaveCopy(t->wbest, wmu_out));
  PetscCall(VecDestroy(&t->thlev));
  PetscCall(VecDestroy(&t->wlev));
  PetscFunctionReturn(0);
}

/*@
   OdynTrainerPredict - class labels of features X with the given trained parameters

   Collective

   Input Parameters:
+  t - the trainer (its network and loss)
.  theta, wmu - trained parameters (from OdynTrainerSolve())
-  X - features, nin x s_local

   Output Parameter:
.  labels - s_local predicted classes

   Options Database Key:
.  -odyn_predict_chunk <4096> - examples per rank and forward sweep

   Level: intermediate

   Notes:
   The examples go through the network in chunks, so that the stored trajectory (N+1 states per example) stays
   bounded: a 200 x 200 prediction grid through 1024 Verlet layers would otherwise hold 1.3 GB.

.seealso: `OdynTrainerSolve()`, `OdynLossPredict()`
@*/
PetscErrorCode OdynTrainerPredict(OdynTrainer t, Vec theta, Vec wmu, Vec X, PetscInt labels[])
{
  MPI_Comm           comm;
  PetscInt           nin, nout, n, s, chunk = 4096, nchunks;
  const PetscScalar *x;
  PetscScalar       *y;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscCall(PetscObjectGetComm((PetscObject)t, &comm));
  PetscCall(PetscOptionsGetInt(((PetscObject)t)->options, ((PetscObject)t)->prefix, "-odyn_predict_chunk", &chunk, NULL));
  PetscCheck(chunk >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_predict_chunk must be >= 1, got %" PetscInt_FMT, chunk);
  PetscCall(OdynNetGetInputWidth(t->net, &nin));
  PetscCall(OdynNetGetOutputWidth(t->net, &nout));
  PetscCall(VecGetLocalSize(X, &n));
  PetscCheck(n % nin == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Features have local length %" PetscInt_FMT ", not a multiple of the network's input width %" PetscInt_FMT, n, nin);
  s = n / nin;
  /* every rank takes part in every (collective) sweep, with an empty slice when it has run out of examples */
  nchunks = (s + chunk - 1) / chunk;
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &nchunks, 1, MPIU_INT, MPI_MAX, comm));
  PetscCall(PetscMalloc1(nout * PetscMin(chunk, PetscMax(s, 1)), &y));
  PetscCall(VecGetArrayRead(X, &x));
  for (PetscInt c = 0; c < nchunks; c++) {
    const PetscInt e0 = PetscMin(c * chunk, s), m = PetscMin(chunk, s - e0);
    Vec            Xc, Yc;

    PetscCall(VecCreateMPIWithArray(comm, 1, nin * m, PETSC_DETERMINE, x + nin * e0, &Xc));
    PetscCall(VecCreateMPIWithArray(comm, 1, nout * m, PETSC_DETERMINE, y, &Yc));
    PetscCall(OdynNetForward(t->net, theta, Xc, Yc));
    PetscCall(OdynLossPredict(t->loss, wmu, Yc, labels + e0));
    PetscCall(VecDestroy(&Xc));
    PetscCall(VecDestroy(&Yc));
  }
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscCall(PetscFree(y));
  PetscFunctionReturn(0);
}
