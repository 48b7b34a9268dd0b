/*
   Chunked sweeps of the trainer (-odyn_bcd_chunk_size m): the network keeps the trajectory (and the saved
   linearizations) of the examples of its last forward sweep, and its storage grows to the largest sweep it has seen.
   A sweep over a whole batch of s examples therefore holds O(N s) states: for MNIST-sized batches tens of GiB. Here
   every rank splits its local examples (columns) into chunks of at most m, and the sums over examples (J^T r, and
   J^T H J v of the Gauss-Newton products) are accumulated chunk by chunk, so the trajectory held is that of at most m
   examples per rank. The outputs Y_N of the batch (nf x s) stay whole: the classifier step and the loss need them (on
   the host, or only in the loss's mirror when the network's output and the loss share a backend: each chunk's output
   goes there in backend memory).
   Every rank makes the same number of collective calls: the chunk count is the largest over the ranks, and a rank that
   has run out of examples takes part with an empty chunk. With m = 0 (the default), or when one chunk holds every
   local example on every rank, these are the plain unchunked calls, bit for bit.
*/
#include <odyn/private/trainimpl.h>
#include <odyn/private/netimpl.h>
#include <odyn/private/lossimpl.h>

/* Local examples of X and the number of chunks, the same on every rank (1: no chunking). */
static PetscErrorCode NumChunks(OdynTrainer t, Vec X, PetscInt *s, PetscInt *nchunks)
{
  PetscInt nin, n;

  PetscFunctionBegin;
  PetscCall(OdynNetGetInputWidth(t->net, &nin));
  PetscCall(VecGetLocalSize(X, &n));
  PetscCheck(n % nin == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Features have local length %" PetscInt_FMT ", not a multiple of the network's input width %" PetscInt_FMT, n, nin);
  *s       = n / nin;
  *nchunks = 1;
  if (t->chunk_size > 0) {
    *nchunks = (*s + t->chunk_size - 1) / t->chunk_size;
    PetscCall(MPIU_Allreduce(MPI_IN_PLACE, nchunks, 1, MPIU_INT, MPI_MAX, PetscObjectComm((PetscObject)t)));
    *nchunks = PetscMax(*nchunks, 1);
  }
  PetscFunctionReturn(0);
}

/* A Vec on the columns [e0, e0 + m) of an array of width w (collective: every rank calls it) */
static PetscErrorCode ChunkVec(OdynTrainer t, PetscInt w, PetscInt e0, PetscInt m, const PetscScalar *a, Vec *v)
{
  PetscFunctionBegin;
  PetscCall(VecCreateMPIWithArray(PetscObjectComm((PetscObject)t), 1, w * m, PETSC_DETERMINE, a + w * e0, v));
  PetscFunctionReturn(0);
}

/* first example and size of chunk c of s local examples (empty once the rank has run out) */
static void ChunkRange(OdynTrainer t, PetscInt s, PetscInt c, PetscInt *e0, PetscInt *m)
{
  *e0 = PetscMin(c * t->chunk_size, s);
  *m  = PetscMin(t->chunk_size, s - *e0);
}

/* the forward sweep of chunk c of the s local examples x at th, its output and trajectory left in the network (no host
   output); *e0: the chunk's first example (collective: every rank calls it) */
static PetscErrorCode ForwardChunk(OdynTrainer t, Vec th, const PetscScalar *x, PetscInt s, PetscInt c, PetscInt *e0)
{
  PetscInt nin, m;
  Vec      Xc;

  PetscFunctionBegin;
  PetscCall(OdynNetGetInputWidth(t->net, &nin));
  ChunkRange(t, s, c, e0, &m);
  PetscCall(ChunkVec(t, nin, *e0, m, x, &Xc));
  PetscCall(OdynNetForward(t->net, th, Xc, NULL));
  PetscCall(VecDestroy(&Xc));
  PetscFunctionReturn(0);
}

/*
   Y_N = forward(th, X) over all local examples, chunk by chunk. On return the network holds the trajectory of the
   last chunk (of all of X without chunking), which OdynTrainerChunkedAdjoint_Private() reuses.
*/
PetscErrorCode OdynTrainerChunkedForward_Private(OdynTrainer t, Vec th, Vec X, Vec YN)
{
  PetscInt           s, nchunks, nin, nout;
  const PetscScalar *x;
  PetscScalar       *y;

  PetscFunctionBegin;
  PetscCall(NumChunks(t, X, &s, &nchunks));
  if (nchunks == 1) {
    PetscCall(OdynNetForward(t->net, th, X, YN));
    PetscFunctionReturn(0);
  }
  PetscCall(OdynNetGetInputWidth(t->net, &nin));
  PetscCall(OdynNetGetOutputWidth(t->net, &nout));
  PetscCall(VecGetArrayRead(X, &x));
  PetscCall(VecGetArray(YN, &y));
  for (PetscInt c = 0; c < nchunks; c++) {
    PetscInt e0, m;
    Vec      Xc, Yc;

    ChunkRange(t, s, c, &e0, &m);
    PetscCall(ChunkVec(t, nin, e0, m, x, &Xc));
    PetscCall(ChunkVec(t, nout, e0, m, y, &Yc));
    PetscCall(OdynNetForward(t->net, th, Xc, Yc));
    PetscCall(VecDestroy(&Xc));
    PetscCall(VecDestroy(&Yc));
  }
  PetscCall(VecRestoreArray(YN, &y));
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscFunctionReturn(0);
}

/* whether the network's output and the loss's products run on one backend (states may go between them there) */
static PetscErrorCode SameBackend(OdynTrainer t, PetscBool *same)
{
  const OdynBackendOps *ops;

  PetscFunctionBegin;
  PetscCall(OdynNetLossSameBackend_Private(t->net, t->loss, &ops));
  *same = ops ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*
   The forward sweep of X at th into YN, and (YN, C) as the loss's data. When the network's output and the loss's
   products run on one backend, Y_N stays there: the loss mirrors it from the last block's output (netloss.c), chunk by
   chunk with -odyn_bcd_chunk_size, and YN's host entries are not written (nothing reads them then: the loss's products
   use the mirror, the gradient and the Gauss-Newton product keep their directions on the backend, and the trainer's
   accuracies sweep again: OdynTrainerAccuracy_Private()); YN only stands for the data (its layout, and the Vec whose
   id the mirror belongs to).
*/
PetscErrorCode OdynTrainerForwardToLoss_Private(OdynTrainer t, Vec th, Vec X, Vec YN, Vec C)
{
  PetscInt           s, nchunks;
  PetscBool          same;
  const PetscScalar *x;

  PetscFunctionBegin;
  PetscCall(SameBackend(t, &same));
  if (!same) {
    PetscCall(OdynTrainerChunkedForward_Private(t, th, X, YN));
    PetscCall(OdynLossSetData(t->loss, YN, C));
    PetscFunctionReturn(0);
  }
  PetscCall(NumChunks(t, X, &s, &nchunks));
  if (nchunks == 1) {
    PetscBool handed;

    PetscCall(OdynNetForward(t->net, th, X, NULL));
    PetscCall(OdynLossSetData(t->loss, YN, C));
    PetscCall(OdynNetLossHandOutput_Private(t->net, t->loss, &handed));
    PetscCheck(handed, PETSC_COMM_SELF, PETSC_ERR_PLIB, "The network's output was not handed to the loss on their backend");
    PetscFunctionReturn(0);
  }
  PetscCall(OdynLossSetData(t->loss, YN, C));
  PetscCall(VecGetArrayRead(X, &x));
  for (PetscInt c = 0; c < nchunks; c++) { /* in order: the mirror is valid once the last chunk is in */
    PetscInt e0;

    PetscCall(ForwardChunk(t, th, x, s, c, &e0));
    PetscCall(OdynNetLossHandOutputChunk_Private(t->net, t->loss, e0));
  }
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscFunctionReturn(0);
}

/*
   acc = the classifier's accuracy (a fraction) on the examples X with targets C at the current parameters. When the
   network's output and the loss share a backend, the output stays there and only the scores come to the host
   (OdynNetLossAccuracy_Private(); with chunks the correct examples are counted chunk by chunk; YN is not written);
   else the forward into YN and OdynLossGetAccuracy().
*/
PetscErrorCode OdynTrainerAccuracy_Private(OdynTrainer t, Vec X, Vec YN, Vec C, PetscReal *acc)
{
  PetscInt           s, nchunks, lc, ncl, counts[2] = {0, 0};
  PetscBool          same;
  const PetscScalar *x, *cc;

  PetscFunctionBegin;
  PetscCall(SameBackend(t, &same));
  if (!same) {
    PetscCall(OdynTrainerChunkedForward_Private(t, t->theta, X, YN)); /* -odyn_bcd_chunk_size bounds this sweep's trajectory too */
    PetscCall(OdynLossGetAccuracy(t->loss, t->wmu, YN, C, acc));
    PetscFunctionReturn(0);
  }
  PetscCall(NumChunks(t, X, &s, &nchunks));
  if (nchunks == 1) {
    PetscCall(OdynNetForward(t->net, t->theta, X, NULL));
    PetscCall(OdynNetLossAccuracy_Private(t->net, t->loss, t->wmu, C, acc));
    PetscFunctionReturn(0);
  }
  PetscCall(VecGetLocalSize(C, &lc));
  PetscCheck(lc == s * t->loss->nc, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Targets C have local length %" PetscInt_FMT " but the features hold %" PetscInt_FMT " local examples of %" PetscInt_FMT " classes", lc, s, t->loss->nc);
  ncl = t->loss->nc;
  PetscCall(VecGetArrayRead(X, &x));
  PetscCall(VecGetArrayRead(C, &cc));
  for (PetscInt c = 0; c < nchunks; c++) {
    PetscInt e0;

    PetscCall(ForwardChunk(t, t->theta, x, s, c, &e0));
    PetscCall(OdynNetLossCountCorrect_Private(t->net, t->loss, t->wmu, cc + ncl * e0, counts));
  }
  PetscCall(VecRestoreArrayRead(C, &cc));
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscCall(OdynLossAccuracyOfCounts_Private(t->loss, counts, acc));
  PetscFunctionReturn(0);
}

/* *v, a work Vec like YN, made the first time a host path needs it (kept until the batch is dropped) */
static PetscErrorCode FeatureWork(Vec YN, Vec *v)
{
  PetscFunctionBegin;
  if (!*v) PetscCall(VecDuplicate(YN, v));
  PetscFunctionReturn(0);
}

/* whether the unchunked products of the network and the loss go through backend memory (no host work Vecs needed) */
static PetscErrorCode OnBackend(OdynTrainer t, PetscInt nchunks, PetscBool *on)
{
  const OdynBackendOps *ops = NULL;

  PetscFunctionBegin;
  if (nchunks == 1) PetscCall(OdynNetLossSharedBackend_Private(t->net, t->loss, &ops));
  *on = ops ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*
   g = J(th)^T W over the chunks of X, last to first (the network holds the last chunk's trajectory from the forward
   just before, so that chunk needs no new sweep): W from the host array w, or from wdev in the memory of the backend
   of the network's output (the loss's W G there), chunk c at its example offset; work like th.
*/
static PetscErrorCode ChunkedAdjoint(OdynTrainer t, Vec th, Vec X, const PetscScalar *w, const double *wdev, Vec g, Vec work)
{
  PetscInt           s, nchunks, nout;
  const PetscScalar *x;

  PetscFunctionBegin;
  PetscCall(NumChunks(t, X, &s, &nchunks));
  PetscCall(OdynNetGetOutputWidth(t->net, &nout));
  PetscCall(VecGetArrayRead(X, &x));
  for (PetscInt c = nchunks - 1; c >= 0; c--) {
    PetscInt e0, m;
    Vec      out = c == nchunks - 1 ? g : work;

    ChunkRange(t, s, c, &e0, &m);
    if (c < nchunks - 1) PetscCall(ForwardChunk(t, th, x, s, c, &e0));
    if (wdev) PetscCall(OdynNetJacobianMultTransposeFromBackend_Private(t->net, wdev + (size_t)nout * e0, out, NULL));
    else {
      Vec Wc;

      PetscCall(ChunkVec(t, nout, e0, m, w, &Wc));
      PetscCall(OdynNetJacobianMultTranspose(t->net, Wc, out, NULL));
      PetscCall(VecDestroy(&Wc));
    }
    if (c < nchunks - 1) PetscCall(VecAXPY(g, 1.0, work));
  }
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscFunctionReturn(0);
}

/*
   f = S and g = J(th)^T dS/dY_N over all local examples of X (outputs YN), right after
   OdynTrainerForwardToLoss_Private(th, X): unchunked through netloss.c (the features' gradient in backend memory when
   the network and the loss share one), else the loss's gY (*gY, work like YN, made here when first needed) and the
   chunked adjoint. work: like th.
*/
PetscErrorCode OdynTrainerLossGradient_Private(OdynTrainer t, Vec th, Vec X, Vec YN, PetscReal *f, Vec *gY, Vec g, Vec work)
{
  PetscInt  s, nchunks;
  PetscBool on;

  PetscFunctionBegin;
  PetscCall(NumChunks(t, X, &s, &nchunks));
  if (nchunks == 1) PetscCall(OnBackend(t, nchunks, &on));
  else PetscCall(SameBackend(t, &on)); /* the features' gradient W G stays in backend memory for the chunks' adjoints */
  if (!on) PetscCall(FeatureWork(YN, gY));
  if (nchunks == 1) PetscCall(OdynNetLossGradient_Private(t->net, t->loss, t->wmu, f, *gY, g, NULL));
  else if (on) {
    const double *gyd;

    PetscCall(OdynLossEvaluateOnBackend_Private(t->loss, t->wmu, f, &gyd));
    PetscCall(ChunkedAdjoint(t, th, X, NULL, gyd, g, work));
  } else {
    PetscCall(OdynLossEvaluate(t->loss, t->wmu, f, NULL, *gY));
    PetscCall(OdynTrainerChunkedAdjoint_Private(t, th, X, *gY, g, work));
  }
  PetscFunctionReturn(0);
}

/*
   g = J(th)^T W summed over all local examples of X. Call it right after OdynTrainerChunkedForward_Private(th, X):
   the chunks go last to first, so the last chunk's trajectory, which the network holds, is used without a new sweep.
   work: like th (not g).
*/
PetscErrorCode OdynTrainerChunkedAdjoint_Private(OdynTrainer t, Vec th, Vec X, Vec W, Vec g, Vec work)
{
  PetscInt           s, nchunks;
  const PetscScalar *w;

  PetscFunctionBegin;
  PetscCall(NumChunks(t, X, &s, &nchunks));
  if (nchunks == 1) {
    PetscCall(OdynNetJacobianMultTranspose(t->net, W, g, NULL));
    PetscFunctionReturn(0);
  }
  PetscCall(VecGetArrayRead(W, &w));
  PetscCall(ChunkedAdjoint(t, th, X, w, NULL, g, work));
  PetscCall(VecRestoreArrayRead(W, &w));
  PetscFunctionReturn(0);
}

/*
   The chunks' Gauss-Newton products in the memory of the backend the network's output and the loss share: each chunk
   is swept forward again (its trajectory) and its share is taken against the loss's whole data (the mirror the
   sweep over X handed over, its scores and normalization: netloss.c), so per chunk only its input crosses, and v and
   its Hv; no Y_N, dY or HdY. work: like th (not Hv).
*/
static PetscErrorCode ChunkedGaussNewtonOnBackend(OdynTrainer t, Vec th, Vec X, PetscInt s, PetscInt nchunks, Vec v, Vec Hv, Vec work)
{
  const PetscScalar *x;

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(X, &x));
  for (PetscInt c = 0; c < nchunks; c++) {
    PetscInt e0;

    PetscCall(ForwardChunk(t, th, x, s, c, &e0));
    PetscCall(OdynNetLossGaussNewtonMultChunk_Private(t->net, t->loss, t->wmu, e0, v, c ? work : Hv));
    if (c) PetscCall(VecAXPY(Hv, 1.0, work));
  }
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscFunctionReturn(0);
}

/*
   Hv = J^T (d2S/dY2) J v on the examples X (outputs YN, targets C) at th, the classifier wmu.
   Without chunking the network must hold the trajectory of X at th and the loss the data (YN, C), as after a forward
   sweep and OdynLossSetData(); the product is then tangent, loss Hessian, adjoint, through backend memory when the
   network's output and the loss share a backend (netloss.c). With chunks each chunk is swept forward again and the
   chunks' products are summed: on a shared backend in its memory (ChunkedGaussNewtonOnBackend(); the loss must hold
   (YN, C) from OdynTrainerForwardToLoss_Private()); else on the host, the loss given each chunk's (Y_N, C) for its
   Hessian, normalized by the whole sample's size (OdynLossSetNormalization_Private()), and (YN, C) again on return.
   *dY, *HdY: work like YN, made here when a host path first needs them; work: like th (not Hv).
*/
PetscErrorCode OdynTrainerChunkedGaussNewtonMult_Private(OdynTrainer t, Vec th, Vec X, Vec YN, Vec C, Vec v, Vec *dYw, Vec *HdYw, Vec Hv, Vec work)
{
  PetscInt           s, nchunks, nin, nout, ncl, lc, stot;
  const PetscScalar *x, *yn, *cc;
  PetscScalar       *dy, *hdy;
  PetscBool          on;

  PetscFunctionBegin;
  PetscCall(NumChunks(t, X, &s, &nchunks));
  if (nchunks == 1) PetscCall(OnBackend(t, nchunks, &on));
  else PetscCall(SameBackend(t, &on));
  if (nchunks > 1 && on) {
    PetscCall(ChunkedGaussNewtonOnBackend(t, th, X, s, nchunks, v, Hv, work));
    PetscFunctionReturn(0);
  }
  if (!on) {
    PetscCall(FeatureWork(YN, dYw));
    PetscCall(FeatureWork(YN, HdYw));
  }
  if (nchunks == 1) { /* through backend memory when the network's output and the loss share a backend (netloss.c) */
    PetscCall(OdynNetLossGaussNewtonMult_Private(t->net, t->loss, t->wmu, v, *dYw, *HdYw, Hv, NULL));
    PetscFunctionReturn(0);
  }
  PetscCall(OdynNetGetInputWidth(t->net, &nin));
  PetscCall(OdynNetGetOutputWidth(t->net, &nout));
  PetscCall(VecGetLocalSize(C, &lc));
  ncl = s ? lc / s : 1; /* target rows per example: the classes, or 1 for Bernoulli targets */
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &ncl, 1, MPIU_INT, MPI_MAX, PetscObjectComm((PetscObject)t)));
  PetscCall(VecGetSize(C, &stot));
  stot /= ncl;
  PetscCall(VecGetArrayRead(X, &x));
  PetscCall(VecGetArrayRead(YN, &yn));
  PetscCall(VecGetArrayRead(C, &cc));
  PetscCall(VecGetArray(*dYw, &dy));
  PetscCall(VecGetArray(*HdYw, &hdy));
  for (PetscInt c = 0; c < nchunks; c++) {
    PetscInt e0, m;
    Vec      Xc, Yc, Cc, dYc, HdYc;

    ChunkRange(t, s, c, &e0, &m);
    PetscCall(ChunkVec(t, nin, e0, m, x, &Xc));
    PetscCall(ChunkVec(t, nout, e0, m, yn, &Yc));
    PetscCall(ChunkVec(t, ncl, e0, m, cc, &Cc));
    PetscCall(ChunkVec(t, nout, e0, m, dy, &dYc));
    PetscCall(ChunkVec(t, nout, e0, m, hdy, &HdYc));
    PetscCall(OdynNetForward(t->net, th, Xc, NULL));
    PetscCall(OdynLossSetData(t->loss, Yc, Cc));
    PetscCall(OdynLossSetNormalization_Private(t->loss, stot)); /* the chunk's share of the whole sample's product */
    PetscCall(OdynNetJacobianMult(t->net, v, NULL, dYc));
    PetscCall(OdynLossHessianMultFeatures(t->loss, t->wmu, dYc, HdYc));
    PetscCall(OdynNetJacobianMultTranspose(t->net, HdYc, c ? work : Hv, NULL));
    if (c) PetscCall(VecAXPY(Hv, 1.0, work));
    PetscCall(VecDestroy(&Xc));
    PetscCall(VecDestroy(&Yc));
    PetscCall(VecDestroy(&Cc));
    PetscCall(VecDestroy(&dYc));
    PetscCall(VecDestroy(&HdYc));
  }
  PetscCall(VecRestoreArray(*HdYw, &hdy));
  PetscCall(VecRestoreArray(*dYw, &dy));
  PetscCall(VecRestoreArrayRead(C, &cc));
  PetscCall(VecRestoreArrayRead(YN, &yn));
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscCall(OdynLossSetData(t->loss, YN, C));
  PetscFunctionReturn(0);
}
