/* OdynLoss: what the classifier predicts (labels, the hypothesis), and its scores against targets (accuracy, R^2, PSNR) */
#include <odyn/private/lossimpl.h>
#include <odyn/private/odynimpl.h>

/* The class of each column of A (nc x s): the implementation's rule, else the argmax (first on ties). */
static PetscErrorCode OdynLossLabel_Private(OdynLoss loss, PetscInt s, const PetscScalar *A, PetscBool istarget, PetscInt lab[])
{
  PetscFunctionBegin;
  if (loss->ops->label) {
    PetscUseTypeMethod(loss, label, s, A, istarget, lab);
    PetscFunctionReturn(0);
  }
  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *a = A + e * loss->nc;
    PetscInt           k = 0;
    for (PetscInt j = 1; j < loss->nc; j++)
      if (PetscRealPart(a[j]) > PetscRealPart(a[k])) k = j;
    lab[e] = k;
  }
  PetscFunctionReturn(0);
}

/*@
   OdynLossPredict - the predicted class of each local example

   Collective

   Input Parameters:
+  loss - the loss
.  wmu - the weights
-  Y - features (parallel, local length nf s_local), or NULL for the data of OdynLossSetData()

   Output Parameter:
.  labels - s_local class indices (array of the caller)

   Level: beginner

   Notes:
   softmax and lsq with nc > 1: the class with the largest score W^T y + mu. logistic with nc = 1: 1 if the score is
   positive (probability > 1/2), else 0; with nc > 1: the most probable output. lsq with nc = 1: the score rounded to
   the nearest integer.

.seealso: `OdynLossGetAccuracy()`
@*/
PetscErrorCode OdynLossPredict(OdynLoss loss, Vec wmu, Vec Y, PetscInt labels[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidHeaderSpecific(wmu, VEC_CLASSID, 2);
  PetscCall(OdynLossSetUp(loss));
  if (!Y || Y == loss->Y) {
    PetscCall(OdynLossLinearize_Private(loss, wmu));
    PetscCall(OdynLossScoresToHost_Private(loss));
    PetscCall(OdynLossLabel_Private(loss, loss->s, loss->Z, PETSC_FALSE, labels));
  } else {
    PetscInt           len, s;
    PetscScalar       *Z;
    const PetscScalar *w, *y;

    PetscCall(VecGetLocalSize(Y, &len));
    OdynLossCheckAll(loss, len % loss->nf == 0, PETSC_ERR_ARG_SIZ, "Features Y have local length %" PetscInt_FMT ", which is not a multiple of the number of features nf = %" PetscInt_FMT, len, loss->nf);
    s = len / loss->nf;
    PetscCall(OdynLossGather_Private(loss, wmu, "Weights wmu", PETSC_TRUE, &loss->wall));
    loss->zvalid = PETSC_FALSE; /* wall now holds wmu, which the cached scores may not match */
    PetscCall(PetscMalloc1(loss->nc * s + 1, &Z));
    PetscCall(VecGetArrayRead(loss->wall, &w));
    PetscCall(VecGetArrayRead(Y, &y));
    PetscCall(OdynLossScores_Private(loss, w, s, y, Z));
    PetscCall(VecRestoreArrayRead(Y, &y));
    PetscCall(VecRestoreArrayRead(loss->wall, &w));
    PetscCall(OdynLossLabel_Private(loss, s, Z, PETSC_FALSE, labels));
    PetscCall(PetscFree(Z));
  }
  PetscFunctionReturn(0);
}

/*@
   OdynLossHypothesis - the hypothesis h(W^T y + mu) of each local example: the model's output (paper 001 eq. 2.2, 2.3)

   Collective

   Input Parameters:
+  loss - the loss (type and sizes set)
.  wmu - the weights
-  Y - features (parallel, local length nf s_local; any number of local examples)

   Output Parameter:
.  H - parallel Vec of local length nc s_local: softmax: the class probabilities exp(z_k) / sum_j exp(z_j);
       logistic: h(z_k) = 1 / (1 + exp(-z_k)) per output (nc = 1: the probability of class 1); lsq: the scores z
       themselves (with the identity classifier, z is the propagated signal)

   Level: intermediate

   Notes:
   The one place where odyn maps features and weights to probabilities: `OdynModelPredict()` uses it. Computed without
   overflow for any z.

.seealso: `OdynLossPredict()`, `OdynModelPredict()`
@*/
PetscErrorCode OdynLossHypothesis(OdynLoss loss, Vec wmu, Vec Y, Vec H)
{
  PetscInt           len, lh, s;
  PetscScalar       *h;
  const PetscScalar *w, *y;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidHeaderSpecific(wmu, VEC_CLASSID, 2);
  PetscValidHeaderSpecific(Y, VEC_CLASSID, 3);
  PetscValidHeaderSpecific(H, VEC_CLASSID, 4);
  PetscCall(OdynLossSetUp(loss));
  PetscCall(VecGetLocalSize(Y, &len));
  PetscCall(VecGetLocalSize(H, &lh));
  OdynLossCheckAll(loss, len % loss->nf == 0, PETSC_ERR_ARG_SIZ, "Features Y have local length %" PetscInt_FMT ", which is not a multiple of the number of features nf = %" PetscInt_FMT, len, loss->nf);
  s = len / loss->nf;
  OdynLossCheckAll(loss, lh == loss->nc * s, PETSC_ERR_ARG_SIZ, "OdynLossHypothesis: H has local length %" PetscInt_FMT ", expected nc = %" PetscInt_FMT " values for each of the %" PetscInt_FMT " local examples", lh, loss->nc, s);
  PetscCall(OdynLossGather_Private(loss, wmu, "Weights wmu", PETSC_TRUE, &loss->wall));
  loss->zvalid = PETSC_FALSE; /* wall now holds wmu, which the cached scores may not match */
  PetscCall(VecGetArrayWrite(H, &h));
  PetscCall(VecGetArrayRead(loss->wall, &w));
  PetscCall(VecGetArrayRead(Y, &y));
  PetscCall(OdynLossScores_Private(loss, w, s, y, h));
  PetscCall(VecRestoreArrayRead(Y, &y));
  PetscCall(VecRestoreArrayRead(loss->wall, &w));
  if (loss->ops->hypothesis) PetscUseTypeMethod(loss, hypothesis, s, h, h);
  PetscCall(VecRestoreArrayWrite(H, &h));
  PetscFunctionReturn(0);
}

/* Z = the scores of the features Y (any local number of examples) at wmu, in a new Vec (nc s_local) */
static PetscErrorCode OdynLossScoresVec_Private(OdynLoss loss, Vec wmu, Vec Y, Vec *Z)
{
  PetscInt           len, s;
  PetscScalar       *z;
  const PetscScalar *w, *y;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(Y, &len));
  OdynLossCheckAll(loss, len % loss->nf == 0, PETSC_ERR_ARG_SIZ, "Features Y have local length %" PetscInt_FMT ", which is not a multiple of the number of features nf = %" PetscInt_FMT, len, loss->nf);
  s = len / loss->nf;
  PetscCall(OdynLossGather_Private(loss, wmu, "Weights wmu", PETSC_TRUE, &loss->wall));
  loss->zvalid = PETSC_FALSE; /* wall now holds wmu, which the cached scores may not match */
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)loss), loss->nc * s, PETSC_DETERMINE, Z));
  PetscCall(VecGetArrayWrite(*Z, &z));
  PetscCall(VecGetArrayRead(loss->wall, &w));
  PetscCall(VecGetArrayRead(Y, &y));
  PetscCall(OdynLossScores_Private(loss, w, s, y, z));
  PetscCall(VecRestoreArrayRead(Y, &y));
  PetscCall(VecRestoreArrayRead(loss->wall, &w));
  PetscCall(VecRestoreArrayWrite(*Z, &z));
  PetscFunctionReturn(0);
}

/* the coefficient of determination 1 - ||Z - C||^2 / ||C - mean(C)||^2 of the identity classifier's signals */
static PetscErrorCode OdynLossRSquared_Private(OdynLoss loss, Vec wmu, Vec Y, Vec C, PetscReal *r2)
{
  Vec       Z;
  PetscReal sse, sst, mean;
  PetscInt  N;

  PetscFunctionBegin;
  PetscCall(OdynLossScoresVec_Private(loss, wmu, Y, &Z));
  PetscCall(VecAXPY(Z, -1.0, C));
  PetscCall(VecNorm(Z, NORM_2, &sse));
  PetscCall(VecGetSize(C, &N));
  PetscCheck(N > 0, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_SIZ, "No examples to compute the accuracy on");
  PetscCall(VecSum(C, &mean));
  mean /= N;
  PetscCall(VecCopy(C, Z));
  PetscCall(VecShift(Z, -mean));
  PetscCall(VecNorm(Z, NORM_2, &sst));
  PetscCall(VecDestroy(&Z));
  *r2 = sst > 0 ? 1 - (sse * sse) / (sst * sst) : (sse > 0 ? -PETSC_INFINITY : 1);
  PetscFunctionReturn(0);
}

/* counts[0] += how many of the s local examples have the predicted label pred[e] equal to the label of their target
   (c: nc s host values), counts[1] += s */
static PetscErrorCode OdynLossCountCorrect_Private(OdynLoss loss, PetscInt s, const PetscInt pred[], const PetscScalar *c, PetscInt counts[2])
{
  PetscInt *truth;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(s + 1, &truth));
  PetscCall(OdynLossLabel_Private(loss, s, c, PETSC_TRUE, truth));
  for (PetscInt e = 0; e < s; e++) counts[0] += pred[e] == truth[e];
  counts[1] += s;
  PetscCall(PetscFree(truth));
  PetscFunctionReturn(0);
}

/* acc = the fraction of correct examples of all ranks from this rank's counts {correct, examples}. Collective */
PetscErrorCode OdynLossAccuracyOfCounts_Private(OdynLoss loss, const PetscInt counts[2], PetscReal *acc)
{
  PetscInt all[2];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(counts, all, 2, MPIU_INT, MPI_SUM, PetscObjectComm((PetscObject)loss)));
  PetscCheck(all[1] > 0, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_SIZ, "No examples to compute the accuracy on");
  *acc = (PetscReal)all[0] / (PetscReal)all[1];
  PetscFunctionReturn(0);
}

/* acc = the fraction of the examples of all ranks whose predicted label pred[e] (s local) is the label of their target */
static PetscErrorCode OdynLossAccuracyOfLabels_Private(OdynLoss loss, PetscInt s, const PetscInt pred[], Vec C, PetscReal *acc)
{
  PetscInt           counts[2] = {0, 0};
  const PetscScalar *c;

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(C, &c));
  PetscCall(OdynLossCountCorrect_Private(loss, s, pred, c, counts));
  PetscCall(VecRestoreArrayRead(C, &c));
  PetscCall(OdynLossAccuracyOfCounts_Private(loss, counts, acc));
  PetscFunctionReturn(0);
}

/*@
   OdynLossGetAccuracy - the fraction of examples (over all ranks) whose predicted class is the class of their target

   Collective

   Input Parameters:
+  loss - the loss
.  wmu - the weights
.  Y - features, or NULL for the data of OdynLossSetData()
-  C - targets like Y (nc s_local), or NULL for the data of OdynLossSetData()

   Output Parameter:
.  acc - the accuracy in [0, 1]

   Level: beginner

   Notes:
   The class of a target column is found with the rule of OdynLossPredict() applied to the targets (argmax of a
   one-hot column; c > 1/2 for logistic with nc = 1; rounding for lsq with nc = 1).

   With the identity classifier (OdynLossSetIdentityClassifier(): regression of signals, no classes) the accuracy is
   the coefficient of determination R^2 = 1 - ||Z - C||^2 / ||C - mean(C)||^2 over all values of all examples (the
   score of a regressor, as a classifier's is its accuracy; <= 1, negative when worse than the mean). For fixed
   targets it is a decreasing function of the mean squared error, so a trainer that keeps the parameters of best
   validation accuracy keeps those of best validation PSNR (OdynLossGetPSNR()).

.seealso: `OdynLossPredict()`
@*/
PetscErrorCode OdynLossGetAccuracy(OdynLoss loss, Vec wmu, Vec Y, Vec C, PetscReal *acc)
{
  PetscInt s, lc, *pred;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidRealPointer(acc, 5);
  PetscCall(OdynLossSetUp(loss));
  if (!Y) Y = loss->Y;
  if (!C) C = loss->C;
  PetscCheck(Y && C, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_WRONGSTATE, "Pass features and targets, or call OdynLossSetData() first");
  PetscCall(VecGetLocalSize(Y, &s));
  PetscCall(VecGetLocalSize(C, &lc));
  OdynLossCheckAll(loss, s % loss->nf == 0, PETSC_ERR_ARG_SIZ, "Features Y have local length %" PetscInt_FMT ", which is not a multiple of the number of features nf = %" PetscInt_FMT, s, loss->nf);
  s /= loss->nf;
  OdynLossCheckAll(loss, lc == s * loss->nc, PETSC_ERR_ARG_SIZ, "Targets C have local length %" PetscInt_FMT " but the features hold %" PetscInt_FMT " local examples of %" PetscInt_FMT " classes", lc, s, loss->nc);
  if (loss->identity) {
    PetscCall(OdynLossRSquared_Private(loss, wmu, Y, C, acc));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscMalloc1(s + 1, &pred));
  PetscCall(OdynLossPredict(loss, wmu, Y, pred));
  PetscCall(OdynLossAccuracyOfLabels_Private(loss, s, pred, C, acc));
  PetscCall(PetscFree(pred));
  PetscFunctionReturn(0);
}

/*
   counts[0] += the correct ones of s local examples whose features devY (nf s doubles) lie in the memory of the loss's
   backend (OdynLossGetBackendOps_Private()), for their targets c (host, nc s values), counts[1] += s: the network's
   output of an accuracy sweep, or of one chunk of it (src/net/netloss.c). The scores are made there; wmu (nf nc + nc)
   goes up, the scores (nc s) come down for the labels. The loss's data and linearization stay as they were.
   Collective (the weights are gathered).
*/
PetscErrorCode OdynLossCountCorrectOnBackend_Private(OdynLoss loss, Vec wmu, const double *devY, PetscInt s, const PetscScalar *c, PetscInt counts[2])
{
  PetscInt          *pred;
  PetscScalar       *Z;
  const PetscScalar *w;

  PetscFunctionBegin;
  PetscCall(OdynLossCheckOnBackend_Private(loss, wmu));
  PetscCall(OdynLossGather_Private(loss, wmu, "Weights wmu", PETSC_TRUE, &loss->wall));
  loss->zvalid = PETSC_FALSE; /* wall now holds wmu, which the cached scores may not match */
  PetscCall(PetscMalloc2(loss->nc * s + 1, &Z, s + 1, &pred));
  PetscCall(VecGetArrayRead(loss->wall, &w));
  PetscCall(OdynLossBackendScoresOf_Private(loss, w, devY, s, Z));
  PetscCall(VecRestoreArrayRead(loss->wall, &w));
  PetscCall(OdynLossLabel_Private(loss, s, Z, PETSC_FALSE, pred));
  PetscCall(OdynLossCountCorrect_Private(loss, s, pred, c, counts));
  PetscCall(PetscFree2(Z, pred));
  PetscFunctionReturn(0);
}

/*
   OdynLossGetAccuracy() of features devY (s local examples, nf s doubles) in the memory of the loss's backend, for the
   targets C (host Vec, nc s local values): OdynLossCountCorrectOnBackend_Private() over all ranks.
*/
PetscErrorCode OdynLossGetAccuracyOnBackend_Private(OdynLoss loss, Vec wmu, const double *devY, Vec C, PetscReal *acc)
{
  PetscInt           s, counts[2] = {0, 0};
  const PetscScalar *c;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(C, &s));
  OdynLossCheckAll(loss, s % loss->nc == 0, PETSC_ERR_ARG_SIZ, "Targets C have local length %" PetscInt_FMT ", which is not a multiple of the number of classes nc = %" PetscInt_FMT, s, loss->nc);
  s /= loss->nc;
  PetscCall(VecGetArrayRead(C, &c));
  PetscCall(OdynLossCountCorrectOnBackend_Private(loss, wmu, devY, s, c, counts));
  PetscCall(VecRestoreArrayRead(C, &c));
  PetscCall(OdynLossAccuracyOfCounts_Private(loss, counts, acc));
  PetscFunctionReturn(0);
}

/*@
   OdynPSNR - the peak signal-to-noise ratio of signals Z against references C, in dB

   Collective

   Input Parameters:
+  Z - restored (or noisy) signals, any parallel Vec
.  C - the reference signals, laid out like Z
-  peak - the largest possible value (255 for 8-bit signals)

   Output Parameter:
.  psnr - 10 log10(peak^2 / MSE), MSE = ||Z - C||^2 / (global length); PETSC_INFINITY when Z = C

   Level: beginner

   Notes:
   The PSNR of the mean squared error over the whole set (every value of every example counts once), not the mean of
   per-example PSNRs: it is a monotone function of the least-squares loss, so a trainer that lowers the loss raises
   it. Noise of standard deviation sigma gives about 10 log10(peak^2 / sigma^2): 28.13 dB for peak 255, sigma 10.

.seealso: `OdynLossGetPSNR()`, `OdynProblemDenoise1DCreate()`
@*/
PetscErrorCode OdynPSNR(Vec Z, Vec C, PetscReal peak, PetscReal *psnr)
{
  PetscInt           n, nc, N;
  const PetscScalar *z, *c;
  PetscReal          sum = 0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(Z, VEC_CLASSID, 1);
  PetscValidHeaderSpecific(C, VEC_CLASSID, 2);
  PetscValidRealPointer(psnr, 4);
  PetscCheck(peak > 0, PetscObjectComm((PetscObject)Z), PETSC_ERR_ARG_OUTOFRANGE, "OdynPSNR: the peak value must be positive, got %g", (double)peak);
  PetscCall(VecGetLocalSize(Z, &n));
  PetscCall(VecGetLocalSize(C, &nc));
  PetscCheck(n == nc, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "OdynPSNR: the signals have local length %" PetscInt_FMT " but the references %" PetscInt_FMT, n, nc);
  PetscCall(VecGetSize(Z, &N));
  PetscCheck(N > 0, PetscObjectComm((PetscObject)Z), PETSC_ERR_ARG_SIZ, "OdynPSNR: no values");
  PetscCall(VecGetArrayRead(Z, &z));
  PetscCall(VecGetArrayRead(C, &c));
  for (PetscInt i = 0; i < n; i++) {
    const PetscReal d = PetscRealPart(z[i] - c[i]);
    sum += d * d;
  }
  PetscCall(VecRestoreArrayRead(C, &c));
  PetscCall(VecRestoreArrayRead(Z, &z));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)Z)));
  *psnr = sum > 0 ? 10 * PetscLog10Real(peak * peak * N / sum) : PETSC_INFINITY;
  PetscFunctionReturn(0);
}

/*@
   OdynLossGetPSNR - the PSNR in dB of the least-squares hypothesis W^T y + mu (or P y, identity classifier) against
   the targets

   Collective

   Input Parameters:
+  loss - an lsq loss
.  wmu - the weights (length 0 with the identity classifier)
.  Y - features, or NULL for the data of OdynLossSetData()
.  C - targets like the scores (nc s_local), or NULL for the data of OdynLossSetData()
-  peak - the largest possible signal value (255 for the denoising problem)

   Output Parameter:
.  psnr - see OdynPSNR()

   Level: intermediate

.seealso: `OdynPSNR()`, `OdynLossSetIdentityClassifier()`, `ODYNLOSSLSQ`
@*/
PetscErrorCode OdynLossGetPSNR(OdynLoss loss, Vec wmu, Vec Y, Vec C, PetscReal peak, PetscReal *psnr)
{
  PetscBool lsq;
  Vec       Z;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidHeaderSpecific(wmu, VEC_CLASSID, 2);
  PetscCall(OdynLossSetUp(loss));
  PetscCall(PetscObjectTypeCompare((PetscObject)loss, ODYNLOSSLSQ, &lsq));
  PetscCheck(lsq, PetscObjectComm((PetscObject)loss), PETSC_ERR_SUP, "OdynLossGetPSNR: the %s loss does not predict signals; the PSNR needs the lsq loss (-odyn_loss_type lsq)", ((PetscObject)loss)->type_name);
  if (!Y) Y = loss->Y;
  if (!C) C = loss->C;
  PetscCheck(Y && C, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_WRONGSTATE, "OdynLossGetPSNR: pass features and targets, or call OdynLossSetData() first");
  PetscCall(OdynLossScoresVec_Private(loss, wmu, Y, &Z));
  PetscCall(OdynPSNR(Z, C, peak, psnr));
  PetscCall(VecDestroy(&Z));
  PetscFunctionReturn(0);
}
