/*
   OdynModel: prediction and evaluation, data-parallel like training: every rank propagates its own examples, in chunks
   of at most OdynModelSetChunkSize() examples so that the stored trajectory does not grow with the data set.
*/
#include <odyn/private/modelimpl.h>

/* Called for each chunk of local examples [first, first + count) with their output features YN. */
typedef PetscErrorCode (*OdynModelChunkFn)(OdynModel, void *, PetscInt, PetscInt, Vec);

/*
   Propagates the local examples of X through the network in chunks of at most m->chunk examples. Collective: every
   rank makes the same number of sweeps (a rank with fewer examples sweeps empty chunks), because each sweep gathers
   theta. With chunk >= the local examples this is one sweep on exactly the Vec shapes training used.
*/
static PetscErrorCode OdynModelForwardChunks_Private(OdynModel m, Vec X, OdynModelChunkFn fn, void *ctx)
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)m);
  PetscInt           nin, nout, len, s, rounds, maxrounds;
  PetscMPIInt        ok, allok;
  const PetscScalar *x;
  PetscScalar       *y;

  PetscFunctionBegin;
  PetscCall(OdynNetGetInputWidth(m->net, &nin));
  PetscCall(OdynNetGetOutputWidth(m->net, &nout));
  PetscCall(VecGetLocalSize(X, &len));
  ok = (len % nin == 0) ? 1 : 0;
  PetscCallMPI(MPI_Allreduce(&ok, &allok, 1, MPI_INT, MPI_MIN, comm));
  PetscCheck(allok, comm, PETSC_ERR_ARG_SIZ, "The features do not fit the model: its network takes %" PetscInt_FMT " values per example, and the local length of the features on some rank is not a multiple of that", nin);
  s      = len / nin;
  rounds = (s + m->chunk - 1) / m->chunk;
  PetscCallMPI(MPI_Allreduce(&rounds, &maxrounds, 1, MPIU_INT, MPI_MAX, comm));
  PetscCall(PetscMalloc1(nout * PetscMin(s, m->chunk) + 1, &y));
  PetscCall(VecGetArrayRead(X, &x));
  for (PetscInt r = 0; r < PetscMax(maxrounds, 1); r++) {
    const PetscInt first = PetscMin(r * m->chunk, s), count = PetscMin(m->chunk, s - first);
    Vec            Xc, Yc;

    PetscCall(VecCreateMPIWithArray(comm, 1, nin * count, PETSC_DECIDE, x + nin * first, &Xc));
    PetscCall(VecCreateMPIWithArray(comm, 1, nout * count, PETSC_DECIDE, y, &Yc));
    PetscCall(OdynNetForward(m->net, m->theta, Xc, Yc));
    PetscCall((*fn)(m, ctx, first, count, Yc));
    PetscCall(VecDestroy(&Xc));
    PetscCall(VecDestroy(&Yc));
  }
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscCall(PetscFree(y));
  PetscFunctionReturn(0);
}

typedef struct {
  PetscInt    *labels;
  PetscScalar *p;    /* nout x s_local outputs, or NULL */
  PetscInt     nout; /* values per example in p */
} PredictCtx;

/* Probabilities or scores of a chunk: the loss's hypothesis h(W^T y + mu) (OdynLossHypothesis); the binary logistic
   classifier (one output) also gets P(class 0) = 1 - P(class 1). */
static PetscErrorCode PredictChunk(OdynModel m, void *vctx, PetscInt first, PetscInt count, Vec YN)
{
  PredictCtx        *c = (PredictCtx *)vctx;
  PetscInt           nc;
  PetscBool          bern, logistic, softmax;
  Vec                H;
  const PetscScalar *h;

  PetscFunctionBegin;
  PetscCall(OdynLossPredict(m->loss, m->wmu, YN, c->labels + first));
  if (!c->p) PetscFunctionReturn(0);
  PetscCall(OdynLossGetNumClasses(m->loss, &nc));
  PetscCall(OdynModelIsBernoulli_Private(m, &bern, &logistic, &softmax));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)m), nc * count, PETSC_DETERMINE, &H));
  PetscCall(OdynLossHypothesis(m->loss, m->wmu, YN, H));
  PetscCall(VecGetArrayRead(H, &h));
  for (PetscInt e = 0; e < count; e++) {
    PetscScalar *p = c->p + (first + e) * c->nout;

    if (bern) {
      p[1] = h[e];
      p[0] = 1.0 - h[e];
    } else PetscCall(PetscArraycpy(p, h + e * nc, nc));
  }
  PetscCall(VecRestoreArrayRead(H, &h));
  PetscCall(VecDestroy(&H));
  PetscFunctionReturn(0);
}

/*@
   OdynModelPredict - the predicted class, and optionally the class probabilities (or scores), of every local example

   Collective

   Input Parameters:
+  m - the model
-  X - features: parallel Vec, local length nin s_local (nin = the network's input width), one example contiguous;
       any distribution of whole examples over the ranks

   Output Parameters:
+  P - NULL, or a parallel Vec of local length nout s_local (`OdynModelGetNumOutputs()`) that receives, per example,
       the class probabilities (softmax; logistic: h(z_k) per output, or P(0), P(1) for the binary classifier) or the
       scores z = W^T y + mu (lsq, other losses)
-  labels - s_local predicted classes (array of the caller), by the rule of `OdynLossPredict()`

   Level: beginner

   Notes:
   The examples are propagated in chunks of at most `OdynModelSetChunkSize()` examples per rank, so the memory does not
   grow with the size of the data set. Each example's result does not depend on the number of ranks.

.seealso: `OdynModelEvaluate()`, `OdynModelGetNumOutputs()`, `OdynLossPredict()`
@*/
PetscErrorCode OdynModelPredict(OdynModel m, Vec X, Vec P, PetscInt labels[])
{
  PredictCtx c = {labels, NULL, 0};

  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscValidHeaderSpecific(X, VEC_CLASSID, 2);
  PetscCall(OdynModelCheckParameters_Private(m, "OdynModelPredict"));
  PetscCall(OdynModelGetNumOutputs(m, &c.nout, NULL));
  if (P) {
    PetscInt lx, lp, nin;

    PetscValidHeaderSpecific(P, VEC_CLASSID, 3);
    PetscCall(OdynNetGetInputWidth(m->net, &nin));
    PetscCall(VecGetLocalSize(X, &lx));
    PetscCall(VecGetLocalSize(P, &lp));
    PetscCheck(lx % nin == 0 && lp == c.nout * (lx / nin), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "OdynModelPredict: P has local length %" PetscInt_FMT "; expected %" PetscInt_FMT " outputs for each of the local examples of X", lp, c.nout);
    PetscCall(VecGetArray(P, &c.p));
  }
  PetscCall(OdynModelForwardChunks_Private(m, X, PredictChunk, &c));
  if (P) PetscCall(VecRestoreArray(P, &c.p));
  PetscFunctionReturn(0);
}

typedef struct {
  OdynLoss        loss;   /* a private copy of the model's loss type and sizes, so no data stays attached */
  const PetscInt *truth;  /* the local labels of the data set */
  PetscInt       *pred;
  PetscInt        correct;
  PetscReal       sum;    /* sum over chunks of (mean loss x examples) */
} EvalCtx;

static PetscErrorCode EvalChunk(OdynModel m, void *vctx, PetscInt first, PetscInt count, Vec YN)
{
  EvalCtx     *c = (EvalCtx *)vctx;
  Vec          C;
  PetscInt     nc, gcount;
  PetscReal    f;
  PetscScalar *t;

  PetscFunctionBegin;
  PetscCall(OdynLossPredict(m->loss, m->wmu, YN, c->pred + first));
  for (PetscInt e = first; e < first + count; e++) c->correct += c->pred[e] == c->truth[e];
  /* targets as training made them: the label itself for one output, else one-hot columns */
  PetscCall(OdynLossGetNumClasses(c->loss, &nc));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)m), nc * count, PETSC_DETERMINE, &C));
  PetscCall(VecZeroEntries(C));
  PetscCall(VecGetArray(C, &t));
  for (PetscInt e = 0; e < count; e++) {
    if (nc == 1) t[e] = (PetscScalar)c->truth[first + e];
    else t[c->truth[first + e] + nc * e] = 1.0;
  }
  PetscCall(VecRestoreArray(C, &t));
  PetscCall(OdynLossSetData(c->loss, YN, C));
  PetscCall(OdynLossEvaluate(c->loss, m->wmu, &f, NULL, NULL));
  PetscCall(OdynLossGetData(c->loss, NULL, NULL, &gcount));
  c->sum += f * (PetscReal)gcount;
  PetscCall(VecDestroy(&C));
  PetscFunctionReturn(0);
}

/*@
   OdynModelEvaluate - the accuracy and the mean loss of the model on a labelled data set

   Collective

   Input Parameters:
+  m - the model
-  ds - the data set: as many features per example as the network's input width, labels the model's classes

   Output Parameters:
+  acc - the fraction of examples whose predicted class is their label, in [0, 1] (or NULL)
-  loss - the mean loss 1/s sum_i S(W^T y_i + mu, c_i) with the targets training uses (one-hot columns; the label
          itself for a single output) (or NULL)

   Level: beginner

   Notes:
   The accuracy is the one `OdynTrainerSolve()` reports (in percent) for the same parameters and data. Errors name the
   mismatch: a data set with another number of features than the network's input width, or a label the model does
   not know.

.seealso: `OdynModelPredict()`, `OdynLossEvaluate()`, `OdynLossGetAccuracy()`
@*/
PetscErrorCode OdynModelEvaluate(OdynModel m, OdynDataset ds, PetscReal *acc, PetscReal *loss)
{
  MPI_Comm     comm;
  EvalCtx      c;
  PetscInt     nf, nin, nloc, N, nclasses, nc, nfl, maxlab = -1, gmaxlab, correct;
  OdynLossType type;
  Vec          X;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 2);
  comm = PetscObjectComm((PetscObject)m);
  PetscCall(OdynModelCheckParameters_Private(m, "OdynModelEvaluate"));
  PetscCall(OdynDatasetGetSizes(ds, &nf, NULL, &nloc, &N));
  PetscCall(OdynNetGetInputWidth(m->net, &nin));
  PetscCheck(nf == nin, comm, PETSC_ERR_ARG_SIZ, "OdynModelEvaluate: the data set has %" PetscInt_FMT " features per example but the model's network takes %" PetscInt_FMT, nf, nin);
  PetscCheck(N > 0, comm, PETSC_ERR_ARG_SIZ, "OdynModelEvaluate: the data set holds no examples");
  PetscCall(OdynModelGetNumOutputs(m, &nclasses, NULL));
  PetscCall(PetscMemzero(&c, sizeof(c)));
  PetscCall(OdynDatasetGetLabels(ds, &c.truth));
  for (PetscInt e = 0; e < nloc; e++) maxlab = PetscMax(maxlab, c.truth[e]);
  PetscCallMPI(MPI_Allreduce(&maxlab, &gmaxlab, 1, MPIU_INT, MPI_MAX, comm));
  PetscCheck(gmaxlab < nclasses, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynModelEvaluate: the data set has the label %" PetscInt_FMT " but the model knows %" PetscInt_FMT " classes (0 .. %" PetscInt_FMT ")", gmaxlab, nclasses, nclasses - 1);
  PetscCall(OdynLossGetType(m->loss, &type));
  PetscCall(OdynLossGetNumFeatures(m->loss, &nfl));
  PetscCall(OdynLossGetNumClasses(m->loss, &nc));
  PetscCall(OdynLossCreate(comm, &c.loss));
  PetscCall(OdynLossSetType(c.loss, type));
  PetscCall(OdynLossSetNumFeatures(c.loss, nfl));
  PetscCall(OdynLossSetNumClasses(c.loss, nc));
  PetscCall(PetscMalloc1(nloc + 1, &c.pred));
  PetscCall(OdynDatasetGetFeatures(ds, &X));
  PetscCall(OdynModelForwardChunks_Private(m, X, EvalChunk, &c));
  PetscCallMPI(MPI_Allreduce(&c.correct, &correct, 1, MPIU_INT, MPI_SUM, comm));
  if (acc) *acc = (PetscReal)correct / (PetscReal)N;
  if (loss) *loss = c.sum / (PetscReal)N;
  PetscCall(PetscFree(c.pred));
  PetscCall(OdynLossDestroy(&c.loss));
  PetscFunctionReturn(0);
}
