/*
   The trainer's common set-up, its random batches and OdynTrainerSolve()/OdynTrainerPredict(); the multilevel loop is
   in driver.c, the block coordinate descent type in bcdtype.c and steps.c.
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
  if (!((PetscObject)t)->type_name) PetscCall(OdynTrainerSetType(t, ODYNTRAINERBCD));
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
  { /* the classifier's products with the features run where the network runs (-odyn_backend; docs/gpu.md) */
    OdynBackendType bname;

    PetscCall(OdynNetGetBackend(t->net, &bname));
    PetscCall(OdynLossSetBackend(t->loss, bname));
  }
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
  t->ndraws = 0;
  if (t->ops->setup) PetscCall((*t->ops->setup)(t));
  t->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerDestroyLevel_Private(OdynTrainer t)
{
  PetscFunctionBegin;
  PetscCall(OdynTrainerDropBatch_Private(t));
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

/*
   Every value the trainer draws goes through here and is counted: PETSc's RAND48 is libc's drand48() and has no
   get-state, so a checkpoint records the count and a restart re-seeds and draws that many again.
*/
PetscErrorCode OdynTrainerRandomReal_Private(OdynTrainer t, PetscReal *r)
{
  PetscFunctionBegin;
  PetscCall(PetscRandomGetValueReal(t->rnd, r));
  t->ndraws++;
  PetscFunctionReturn(0);
}

/* the first m entries of a random permutation of 0..n-1, the same on every rank */
static PetscErrorCode RandomSubset(OdynTrainer t, PetscInt n, PetscInt m, PetscInt idx[])
{
  PetscInt *perm;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n, &perm));
  for (PetscInt i = 0; i < n; i++) perm[i] = i;
  for (PetscInt i = 0; i < m; i++) { /* partial Fisher-Yates */
    PetscReal r;
    PetscInt  j, tmp;
    PetscCall(OdynTrainerRandomReal_Private(t, &r));
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
PetscErrorCode OdynTrainerDrawBatch_Private(OdynTrainer t)
{
  PetscInt ntrain, nb, nh, nout, *idx;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetSizes(t->train, NULL, NULL, NULL, &ntrain));
  PetscCall(OdynNetGetOutputWidth(t->net, &nout));
  nb = (t->batch_size && t->batch_size < ntrain) ? t->batch_size : ntrain;
  nh = (t->hess_size && t->hess_size < nb) ? t->hess_size : nb;
  PetscCall(PetscMalloc1(nb, &idx));
  if (nb < ntrain) {
    PetscCall(RandomSubset(t, ntrain, nb, idx));
    PetscCall(OdynDatasetCreateSubset(t->train, nb, idx, &t->batch));
    PetscCall(OdynDatasetCreateTargets(t->batch, t->bernoulli, &t->Cb));
  } else {
    PetscCall(PetscObjectReference((PetscObject)t->train));
    t->batch = t->train;
    PetscCall(PetscObjectReference((PetscObject)t->Ctrain));
    t->Cb = t->Ctrain;
  }
  if (nh < nb) {
    PetscCall(RandomSubset(t, nb, nh, idx)); /* positions within the batch */
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
  if (t->hsub == t->batch) {
    PetscCall(PetscObjectReference((PetscObject)t->YNb));
    t->YNh = t->YNb;
  } else PetscCall(FeatureVecLike(t, t->hsub, nout, &t->YNh));
  /* t->gY, t->dY, t->HdY: made by chunks.c when a host path needs them (not when the network and the loss share a
     backend: their directions stay in its memory) */
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerDropBatch_Private(OdynTrainer t)
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

/*@
   OdynTrainerSolve - trains with the trainer's type (default `ODYNTRAINERBCD`, multilevel block coordinate descent),
   returning the parameters of best validation accuracy

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
   With -odyn_checkpoint the state is written every -odyn_checkpoint_every iterations; -odyn_restart continues a run
   from such a file; SIGTERM or SIGUSR1 stop the run after the current iteration with a checkpoint
   (`OdynTrainerGetInterrupted()`), returning the best parameters so far.

   Options Database Keys:
+  -odyn_net_view - print the network at the end (with a backend: each block's backend memory and the bytes it copied
   between host and backend, and their total)
-  -odyn_loss_view - print the loss at the end (with a backend: its memory and the bytes it copied)

.seealso: `OdynTrainerSetFromOptions()`, `OdynTrainerGetHistory()`, `OdynTrainerSetType()`, `OdynTrainerSetCheckpoint()`,
          `OdynTrainerSetRestart()`
@*/
PetscErrorCode OdynTrainerSolve(OdynTrainer t, Vec *theta_out, Vec *wmu_out)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(t, ODYNTRAINER_CLASSID, 1);
  PetscValidPointer(theta_out, 2);
  PetscValidPointer(wmu_out, 3);
  PetscCall(OdynTrainerSetUp(t));
  if (t->ops->solve) PetscCall((*t->ops->solve)(t));
  else PetscCall(OdynTrainerSolveMultilevel_Private(t));
  /* hand back the best parameters, with the network at the depth they belong to */
  PetscCall(OdynTrainerSetSteps_Private(t->net, t->bestlayers));
  *theta_out = NULL; /* outputs: whatever they held is the caller's */
  *wmu_out   = NULL;
  PetscCall(VecDuplicate(t->thbest, theta_out));
  PetscCall(VecCopy(t->thbest, *theta_out));
  PetscCall(VecDuplicate(t->wbest, wmu_out));
  PetscCall(VecCopy(t->wbest, *wmu_out));
  PetscCall(VecDestroy(&t->thlev));
  PetscCall(VecDestroy(&t->wlev));
  /* what the run held and moved (with a backend: the copies between host and backend memory, docs/gpu.md) */
  PetscCall(PetscObjectViewFromOptions((PetscObject)t->net, (PetscObject)t, "-odyn_net_view"));
  PetscCall(PetscObjectViewFromOptions((PetscObject)t->loss, (PetscObject)t, "-odyn_loss_view"));
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
