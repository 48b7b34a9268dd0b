/* OdynLoss: data, value, gradients and Hessian products (losspredict.c: labels, hypothesis, accuracy, PSNR). Examples
   are the long dimension of every GEMM. */
#include <odyn/private/lossimpl.h>
#include <odyn/private/odynimpl.h>

/*@
   OdynLossSetData - sets the features and targets at which the loss and all its derivatives are taken

   Collective

   Input Parameters:
+  loss - the loss (its sizes set)
.  Y - features YN: parallel Vec, local length nf s_local, one example contiguous (e.g. the output of OdynNetForward())
-  C - targets: parallel Vec, local length nc s_local: one-hot (or probability) columns for softmax, values in [0, 1]
       for logistic, real values for lsq

   Level: beginner

   Notes:
   The loss keeps references to Y and C (no copy). If their entries change afterwards, the next evaluation notices it
   (through the Vec's state) and recomputes its cached scores. The targets are checked here; an invalid target raises
   an error on every rank. The loss is normalized by the global number of examples.

.seealso: `OdynLossEvaluate()`, `OdynLossHessianMultWeights()`, `OdynLossHessianMultFeatures()`, `OdynLossGetData()`
@*/
PetscErrorCode OdynLossSetData(OdynLoss loss, Vec Y, Vec C)
{
  PetscInt           ly, lc, sy, sc, bad = -1, s0 = 0;
  PetscMPIInt        rank;
  PetscScalar        badval = 0;
  const PetscScalar *c;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidHeaderSpecific(Y, VEC_CLASSID, 2);
  PetscValidHeaderSpecific(C, VEC_CLASSID, 3);
  PetscCall(OdynLossSetUp(loss));
  PetscCall(VecGetLocalSize(Y, &ly));
  PetscCall(VecGetLocalSize(C, &lc));
  OdynLossCheckAll(loss, ly % loss->nf == 0, PETSC_ERR_ARG_SIZ, "Features YN have local length %" PetscInt_FMT ", which is not a multiple of the number of features nf = %" PetscInt_FMT ": every rank must hold whole examples (OdynLossSetNumFeatures() must be the output width of the network)", ly, loss->nf);
  OdynLossCheckAll(loss, lc % loss->nc == 0, PETSC_ERR_ARG_SIZ, "Targets C have local length %" PetscInt_FMT ", which is not a multiple of the number of classes nc = %" PetscInt_FMT ": every rank must hold whole examples (see OdynLossSetNumClasses())", lc, loss->nc);
  sy = ly / loss->nf;
  sc = lc / loss->nc;
  OdynLossCheckAll(loss, sy == sc, PETSC_ERR_ARG_SIZ, "Features YN hold %" PetscInt_FMT " local examples (nf = %" PetscInt_FMT ") but targets C hold %" PetscInt_FMT " (nc = %" PetscInt_FMT "): distribute both over the ranks in the same way", sy, loss->nf, sc, loss->nc);
  PetscCall(VecGetArrayRead(C, &c));
  PetscTryTypeMethod(loss, checktargets, sc, c, &bad, &badval);
  PetscCall(VecRestoreArrayRead(C, &c));
  PetscCallMPI(MPI_Exscan(&sc, &s0, 1, MPIU_INT, MPI_SUM, PetscObjectComm((PetscObject)loss)));
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)loss), &rank));
  if (!rank) s0 = 0; /* MPI_Exscan leaves rank 0's result undefined */
  if (bad >= 0) s0 += bad; /* the global index of the bad example, for the message */
  OdynLossCheckAll(loss, bad < 0, PETSC_ERR_ARG_OUTOFRANGE, "Targets C out of range for the %s loss: example %" PetscInt_FMT " has the value %g; expected %s", ((PetscObject)loss)->type_name, s0, (double)PetscRealPart(badval), loss->targetdesc ? loss->targetdesc : "valid targets");
  PetscCall(PetscObjectReference((PetscObject)Y));
  PetscCall(PetscObjectReference((PetscObject)C));
  PetscCall(VecDestroy(&loss->Y));
  PetscCall(VecDestroy(&loss->C));
  loss->Y = Y;
  loss->C = C;
  loss->s = sy;
  PetscCallMPI(MPI_Allreduce(&sy, &loss->sglobal, 1, MPIU_INT, MPI_SUM, PetscObjectComm((PetscObject)loss)));
  PetscCheck(loss->sglobal > 0, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_SIZ, "The data set holds no examples");
  loss->snorm  = 0;
  loss->zvalid = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*
   Normalizes the loss of the data just set by 1/snorm instead of 1/(their examples): they are a chunk of a sample of
   snorm examples (solvers/bcd/chunks.c), so that the chunks' products sum to the sample's. Until the next
   OdynLossSetData(). Collective (snorm the same on every rank).
*/
PetscErrorCode OdynLossSetNormalization_Private(OdynLoss loss, PetscInt snorm)
{
  PetscFunctionBegin;
  PetscCheck(loss->Y && snorm >= loss->sglobal, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "A chunk of %" PetscInt_FMT " examples cannot be normalized by a sample of %" PetscInt_FMT, loss->sglobal, snorm);
  loss->snorm = snorm;
  PetscFunctionReturn(0);
}

/*@
   OdynLossGetData - gets the data set with OdynLossSetData() (borrowed) and the global number of examples

   Not Collective

   Output Parameters:
+  Y - the features (or NULL)
.  C - the targets (or NULL)
-  s - the number of examples on all ranks (or NULL)

   Level: intermediate

.seealso: `OdynLossSetData()`
@*/
PetscErrorCode OdynLossGetData(OdynLoss loss, Vec *Y, Vec *C, PetscInt *s)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  if (Y) *Y = loss->Y;
  if (C) *C = loss->C;
  if (s) *s = loss->sglobal;
  PetscFunctionReturn(0);
}

/*
   Checks a weight-like Vec and, if all is given, gathers it there. The first Vec of a call (primary) may change the
   parallel layout, which remakes the scatter; the other weight-like Vecs of the call must share it.
*/
PetscErrorCode OdynLossGather_Private(OdynLoss loss, Vec v, const char *name, PetscBool primary, Vec *all)
{
  PetscInt N, rstart, nloc, nw = loss->identity ? 0 : loss->nf * loss->nc + loss->nc;

  PetscFunctionBegin;
  PetscCall(VecGetSize(v, &N));
  PetscCheck(N == nw, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_SIZ, "%s has length %" PetscInt_FMT " but the loss has nf nc + nc = %" PetscInt_FMT " weights (nf = %" PetscInt_FMT " features, nc = %" PetscInt_FMT " classes): create it with OdynLossCreateWeightVec()", name, N, nw, loss->nf, loss->nc);
  PetscCall(VecGetOwnershipRange(v, &rstart, NULL));
  PetscCall(VecGetLocalSize(v, &nloc));
  if (loss->toall && (rstart != loss->wrstart || nloc != loss->wnlocal)) {
    PetscCheck(primary, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "%s is distributed differently from the weights wmu: duplicate it from wmu", name);
    PetscCall(VecScatterDestroy(&loss->toall));
    PetscCall(VecDestroy(&loss->wall));
    PetscCall(VecDestroy(&loss->vall));
    PetscCall(VecDestroy(&loss->hall));
    loss->zvalid = PETSC_FALSE;
  }
  if (!loss->toall) {
    PetscCall(VecScatterCreateToAll(v, &loss->toall, &loss->wall));
    PetscCall(VecDuplicate(loss->wall, &loss->vall));
    PetscCall(VecDuplicate(loss->wall, &loss->hall));
    loss->wrstart = rstart;
    loss->wnlocal = nloc;
    loss->zvalid  = PETSC_FALSE;
  }
  if (all) { /* a pointer to loss->wall or loss->vall, which may have just been (re)made */
    PetscCall(VecScatterBegin(loss->toall, v, *all, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(loss->toall, v, *all, INSERT_VALUES, SCATTER_FORWARD));
  }
  PetscFunctionReturn(0);
}

/* out = sum over ranks of the local partial results in loss->hall (a weight-like Vec) */
static PetscErrorCode OdynLossSumToWeights_Private(OdynLoss loss, Vec out)
{
  PetscFunctionBegin;
  PetscCall(VecZeroEntries(out));
  PetscCall(VecScatterBegin(loss->toall, loss->hall, out, ADD_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterEnd(loss->toall, loss->hall, out, ADD_VALUES, SCATTER_REVERSE));
  PetscFunctionReturn(0);
}

/* Identity classifier: Z = P Y, the average of the m = nf/nc channels of each example (P = I when m = 1). */
static void OdynLossIdentityApply_Private(OdynLoss loss, PetscInt s, const PetscScalar *Y, PetscScalar *Z)
{
  const PetscInt  nf = loss->nf, nc = loss->nc, m = nf / nc;
  const PetscReal w  = 1.0 / m;

  for (PetscInt e = 0; e < s; e++) {
    const PetscScalar *y = Y + e * nf;
    PetscScalar       *z = Z + e * nc;
    if (loss->interleaved && m > 1) {
      for (PetscInt k = 0; k < nc; k++) {
        PetscScalar sum = 0;
        for (PetscInt j = 0; j < m; j++) sum += y[k * m + j];
        z[k] = w * sum;
      }
      continue;
    }
    for (PetscInt k = 0; k < nc; k++) z[k] = y[k];
    for (PetscInt j = 1; j < m; j++)
      for (PetscInt k = 0; k < nc; k++) z[k] += y[k + j * nc];
    if (m > 1)
      for (PetscInt k = 0; k < nc; k++) z[k] *= w;
  }
}

/* Its transpose: Y = P^T Z, each channel receiving Z / m. */
static void OdynLossIdentityApplyTranspose_Private(OdynLoss loss, PetscInt s, const PetscScalar *Z, PetscScalar *Y)
{
  const PetscInt  nf = loss->nf, nc = loss->nc, m = nf / nc;
  const PetscReal w  = 1.0 / m;

  for (PetscInt e = 0; e < s; e++)
    for (PetscInt j = 0; j < m; j++)
      for (PetscInt k = 0; k < nc; k++) Y[e * nf + (loss->interleaved ? k * m + j : j * nc + k)] = w * Z[e * nc + k];
}

/* Z = W^T Y + mu e^T (nc x s) from the gathered wmu; one GEMM with the examples in the long dimension. */
PetscErrorCode OdynLossScores_Private(OdynLoss loss, const PetscScalar *wmu, PetscInt s, const PetscScalar *Y, PetscScalar *Z)
{
  PetscFunctionBegin;
  if (loss->identity) {
    OdynLossIdentityApply_Private(loss, s, Y, Z);
    PetscFunctionReturn(0);
  }
  OdynCallGemm('T', 'N', loss->nc, s, loss->nf, 1.0, wmu, loss->nf, Y, loss->nf, 0.0, Z, loss->nc);
  odyn_add_bias(loss->nc, s, wmu + loss->nf * loss->nc, Z);
  PetscFunctionReturn(0);
}

/* the scores, the loss function and the products with the features run on a backend (lossbackend.c): one is set,
   there are weights, and the type's function is one the backends evaluate (lossfn.h) */
static PetscBool OdynLossOnBackend_Private(OdynLoss loss) { return loss->backend && !loss->identity && loss->lossfn ? PETSC_TRUE : PETSC_FALSE; }

static PetscErrorCode OdynLossCheckData_Private(OdynLoss loss)
{
  PetscFunctionBegin;
  PetscCheck(loss->Y, PetscObjectComm((PetscObject)loss), PETSC_ERR_ARG_WRONGSTATE, "No data: call OdynLossSetData() first");
  PetscFunctionReturn(0);
}

/* Makes Z the scores at (wmu, Y), unless they are cached for the same Vecs in the same states. */
PetscErrorCode OdynLossLinearize_Private(OdynLoss loss, Vec wmu)
{
  PetscObjectId      wid, yid;
  PetscObjectState   ws, ys;
  const PetscScalar *w, *y;

  PetscFunctionBegin;
  PetscCall(OdynLossCheckData_Private(loss));
  PetscCall(OdynLossGather_Private(loss, wmu, "Weights wmu", PETSC_TRUE, NULL)); /* checks wmu, may remake the scatter */
  PetscCall(PetscObjectGetId((PetscObject)wmu, &wid));
  PetscCall(PetscObjectStateGet((PetscObject)wmu, &ws));
  PetscCall(PetscObjectGetId((PetscObject)loss->Y, &yid));
  PetscCall(PetscObjectStateGet((PetscObject)loss->Y, &ys));
  if (loss->zvalid && wid == loss->wid && ws == loss->wstate && yid == loss->yid && ys == loss->ystate) PetscFunctionReturn(0);
  PetscCall(OdynLossGather_Private(loss, wmu, "Weights wmu", PETSC_TRUE, &loss->wall));
  PetscCall(VecGetArrayRead(loss->wall, &w));
  if (OdynLossOnBackend_Private(loss)) PetscCall(OdynLossBackendLinearize_Private(loss, w));
  else {
    PetscCall(OdynWorkEnsure(&loss->Z, &loss->zcap, loss->nc * loss->s));
    PetscCall(VecGetArrayRead(loss->Y, &y));
    PetscCall(OdynLossScores_Private(loss, w, loss->s, y, loss->Z));
    PetscCall(VecRestoreArrayRead(loss->Y, &y));
  }
  PetscCall(VecRestoreArrayRead(loss->wall, &w));
  loss->zhost  = OdynLossOnBackend_Private(loss) ? PETSC_FALSE : PETSC_TRUE;
  loss->wid    = wid;
  loss->wstate = ws;
  loss->yid    = yid;
  loss->ystate = ys;
  loss->zvalid = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* loss->Z = the scores of the linearization: on a backend they were made in its memory, copied once per linearization */
PetscErrorCode OdynLossScoresToHost_Private(OdynLoss loss)
{
  PetscFunctionBegin;
  if (loss->zhost) PetscFunctionReturn(0);
  PetscCall(OdynWorkEnsure(&loss->Z, &loss->zcap, loss->nc * loss->s));
  PetscCall(OdynLossBackendGetScores_Private(loss, loss->Z));
  loss->zhost = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLossCheckFeatureVec_Private(OdynLoss loss, Vec v, const char *name)
{
  PetscInt n;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(v, &n));
  PetscCheck(n == loss->nf * loss->s, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s has local length %" PetscInt_FMT " but the data hold nf x s_local = %" PetscInt_FMT " x %" PetscInt_FMT " values: duplicate it from the features YN", name, n, loss->nf, loss->s);
  PetscFunctionReturn(0);
}

/* h = [Y T^T | T e] (nf nc + nc) at the data for T (nc x s; on a backend its G buffer, T unused): this rank's part
   of a gradient or Hessian product */
static PetscErrorCode OdynLossWeightProduct_Private(OdynLoss loss, const PetscScalar *T, PetscScalar *h)
{
  const PetscInt     nf = loss->nf, nc = loss->nc, s = loss->s;
  const PetscScalar *y;

  PetscFunctionBegin;
  if (OdynLossOnBackend_Private(loss)) {
    PetscCall(OdynLossBackendWeightProduct_Private(loss, h));
    PetscFunctionReturn(0);
  }
  PetscCall(VecGetArrayRead(loss->Y, &y));
  OdynCallGemm('N', 'T', nf, nc, s, 1.0, y, nf, T, nc, 0.0, h, nf);
  PetscCall(VecRestoreArrayRead(loss->Y, &y));
  PetscCall(PetscArrayzero(h + nf * nc, nc));
  odyn_rowsum_add(nc, s, 1.0, T, h + nf * nc);
  PetscFunctionReturn(0);
}

/*@
   OdynLossEvaluate - the loss value, its gradient w.r.t. the weights and its gradient w.r.t. the features, at the data

   Collective

   Input Parameters:
+  loss - the loss, after OdynLossSetData()
-  wmu - the packed weights [W | mu] (see OdynLossCreateWeightVec())

   Output Parameters:
+  f - S = 1/s sum_i S(W^T y_i + mu, c_i) over all s examples of all ranks (or NULL)
.  gwmu - dS/dwmu, like wmu, summed over the ranks (or NULL)
-  gY - dS/dYN, like YN (or NULL); the initial condition of the adjoint sweep (OdynNetJacobianMultTranspose())

   Level: beginner

   Notes:
   With Z = W^T Y + mu e^T and G = dS/dZ (nc x s): gW = Y G^T, gmu = G e, gY = W G. A value that is NaN (features or
   weights that are not finite, e.g. after a forward propagation that blew up) raises an error on every rank.

.seealso: `OdynLossSetData()`, `OdynLossHessianMultWeights()`, `OdynLossHessianMultFeatures()`
@*/
/* f = S at the linearized scores and, when wantG, G = dS/dZ (nc x s, normalized): loss->G, or on a backend its G buffer */
static PetscErrorCode OdynLossValue_Private(OdynLoss loss, PetscReal *f, PetscBool wantG)
{
  PetscReal          lsum = 0, sum;
  const PetscScalar *c;
  const PetscInt     nc = loss->nc, s = loss->s;
  const PetscReal    scale = 1.0 / OdynLossNormalization_Private(loss);

  PetscFunctionBegin;
  if (OdynLossOnBackend_Private(loss)) PetscCall(OdynLossBackendValue_Private(loss, scale, wantG, &lsum));
  else {
    PetscScalar *G = NULL;

    if (wantG) {
      PetscCall(OdynWorkEnsure(&loss->G, &loss->gcap, nc * s));
      G = loss->G;
    }
    PetscCall(VecGetArrayRead(loss->C, &c));
    PetscUseTypeMethod(loss, value, s, loss->Z, c, &lsum, G);
    PetscCall(VecRestoreArrayRead(loss->C, &c));
    if (G)
      for (PetscInt i = 0; i < nc * s; i++) G[i] *= scale;
  }
  PetscCallMPI(MPI_Allreduce(&lsum, &sum, 1, MPIU_REAL, MPIU_SUM, PetscObjectComm((PetscObject)loss)));
  PetscCheck(!PetscIsNanReal(sum), PetscObjectComm((PetscObject)loss), PETSC_ERR_FP, "NaN in the loss value: the scores W^T y + mu are not finite; check the features YN (did the forward propagation blow up? reduce the step size h = T/N) and the weights wmu");
  PetscCheck(!PetscIsInfReal(sum), PetscObjectComm((PetscObject)loss), PETSC_ERR_FP, "Inf in the loss value: the scores W^T y + mu overflow; check the features YN and the weights wmu");
  if (f) *f = sum / OdynLossNormalization_Private(loss);
  PetscFunctionReturn(0);
}

PetscErrorCode OdynLossEvaluate(OdynLoss loss, Vec wmu, PetscReal *f, Vec gwmu, Vec gY)
{
  PetscScalar       *G = NULL, *h, *gy;
  const PetscScalar *w;
  const PetscInt     nf = loss->nf, nc = loss->nc, s = loss->s;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidHeaderSpecific(wmu, VEC_CLASSID, 2);
  PetscCall(PetscLogEventBegin(ODYN_LossEval, loss, 0, 0, 0));
  PetscCall(OdynLossLinearize_Private(loss, wmu));
  if (gwmu) PetscCall(OdynLossGather_Private(loss, gwmu, "Gradient gwmu", PETSC_FALSE, NULL));
  if (gY) PetscCall(OdynLossCheckFeatureVec_Private(loss, gY, "Feature gradient gY"));
  PetscCall(OdynLossValue_Private(loss, f, gwmu || gY ? PETSC_TRUE : PETSC_FALSE));
  if (gwmu || gY) G = loss->G;
  if (gwmu && loss->identity) PetscCall(VecZeroEntries(gwmu)); /* no weights: an empty gradient */
  else if (gwmu) {
    PetscCall(VecGetArray(loss->hall, &h));
    PetscCall(OdynLossWeightProduct_Private(loss, G, h));
    PetscCall(VecRestoreArray(loss->hall, &h));
    PetscCall(OdynLossSumToWeights_Private(loss, gwmu));
  }
  if (gY) {
    if (OdynLossOnBackend_Private(loss)) { /* a host Vec: G (nc s) to the host, W G there, as without a backend */
      PetscCall(OdynWorkEnsure(&loss->G, &loss->gcap, nc * s));
      PetscCall(OdynLossBackendGetG_Private(loss, loss->G));
      G = loss->G;
    }
    PetscCall(VecGetArrayRead(loss->wall, &w));
    PetscCall(VecGetArray(gY, &gy));
    if (loss->identity) OdynLossIdentityApplyTranspose_Private(loss, s, G, gy);
    else OdynCallGemm('N', 'N', nf, s, nc, 1.0, w, nf, G, nc, 0.0, gy, nf);
    PetscCall(VecRestoreArray(gY, &gy));
    PetscCall(VecRestoreArrayRead(loss->wall, &w));
  }
  PetscCall(PetscLogEventEnd(ODYN_LossEval, loss, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* T2 = 1/s_global d^2S/dZ^2 T1 at the cached scores */
static PetscErrorCode OdynLossHessZ_Private(OdynLoss loss)
{
  const PetscScalar *c;
  const PetscReal    scale = 1.0 / OdynLossNormalization_Private(loss);

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(loss->C, &c));
  PetscUseTypeMethod(loss, hessmult, loss->s, loss->Z, c, loss->T1, loss->T2);
  PetscCall(VecRestoreArrayRead(loss->C, &c));
  for (PetscInt i = 0; i < loss->nc * loss->s; i++) loss->T2[i] *= scale;
  PetscFunctionReturn(0);
}

/*@
   OdynLossHessianMultWeights - the exact Hessian product Hv = d^2S/dwmu^2 v at the data (for Newton-PCG on W, mu)

   Collective

   Input Parameters:
+  loss - the loss, after OdynLossSetData()
.  wmu - the weights at which the Hessian is taken
-  v - a direction, like wmu

   Output Parameter:
.  Hv - like wmu, summed over the ranks

   Level: beginner

   Notes:
   With dZ = V^T Y + nu e^T and H_Z = d^2S/dZ^2 (block diagonal over the examples): Hv = [Y (H_Z dZ)^T | (H_Z dZ) e].
   The Hessian is symmetric positive semidefinite (all three losses are convex in Z).

.seealso: `OdynLossEvaluate()`, `OdynLossHessianMultFeatures()`
@*/
PetscErrorCode OdynLossHessianMultWeights(OdynLoss loss, Vec wmu, Vec v, Vec Hv)
{
  const PetscInt     nc = loss->nc, s = loss->s;
  const PetscScalar *y, *va;
  PetscScalar       *h;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidHeaderSpecific(wmu, VEC_CLASSID, 2);
  PetscValidHeaderSpecific(v, VEC_CLASSID, 3);
  PetscValidHeaderSpecific(Hv, VEC_CLASSID, 4);
  PetscCall(PetscLogEventBegin(ODYN_LossHess, loss, 0, 0, 0));
  PetscCall(OdynLossLinearize_Private(loss, wmu));
  PetscCall(OdynLossGather_Private(loss, v, "Direction v", PETSC_FALSE, &loss->vall));
  PetscCall(OdynLossGather_Private(loss, Hv, "Hessian product Hv", PETSC_FALSE, NULL));
  if (loss->identity) { /* no weights: nothing to multiply */
    PetscCall(PetscLogEventEnd(ODYN_LossHess, loss, 0, 0, 0));
    PetscFunctionReturn(0);
  }
  PetscCall(VecGetArrayRead(loss->vall, &va));
  if (OdynLossOnBackend_Private(loss)) PetscCall(OdynLossBackendHessZWeights_Private(loss, va, 1.0 / OdynLossNormalization_Private(loss)));
  else {
    PetscCall(OdynWorkEnsure(&loss->T1, &loss->t1cap, nc * s));
    PetscCall(OdynWorkEnsure(&loss->T2, &loss->t2cap, nc * s));
    PetscCall(VecGetArrayRead(loss->Y, &y));
    PetscCall(OdynLossScores_Private(loss, va, s, y, loss->T1));
    PetscCall(VecRestoreArrayRead(loss->Y, &y));
    PetscCall(OdynLossHessZ_Private(loss));
  }
  PetscCall(VecRestoreArrayRead(loss->vall, &va));
  PetscCall(VecGetArray(loss->hall, &h));
  PetscCall(OdynLossWeightProduct_Private(loss, loss->T2, h));
  PetscCall(VecRestoreArray(loss->hall, &h));
  PetscCall(OdynLossSumToWeights_Private(loss, Hv));
  PetscCall(PetscLogEventEnd(ODYN_LossHess, loss, 0, 0, 0));
  PetscFunctionReturn(0);
}

/*@
   OdynLossHessianMultFeatures - the product with the Hessian w.r.t. the features, HdY = d^2S/dYN^2 dY (for Gauss-Newton)

   Collective

   Input Parameters:
+  loss - the loss, after OdynLossSetData()
.  wmu - the (fixed) classifier weights
-  dY - a direction like YN (e.g. J dtheta from OdynNetJacobianMult())

   Output Parameter:
.  HdY - like YN (apply J^T with OdynNetJacobianMultTranspose() for the Gauss-Newton product)

   Level: beginner

   Notes:
   HdY = W H_Z (W^T dY): exact, since the scores are linear in the features; symmetric positive semidefinite.

.seealso: `OdynLossEvaluate()`, `OdynLossHessianMultWeights()`, `OdynNetJacobianMult()`
@*/
PetscErrorCode OdynLossHessianMultFeatures(OdynLoss loss, Vec wmu, Vec dY, Vec HdY)
{
  const PetscInt     nf = loss->nf, nc = loss->nc, s = loss->s;
  const PetscScalar *w, *dy;
  PetscScalar       *hy;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidHeaderSpecific(wmu, VEC_CLASSID, 2);
  PetscValidHeaderSpecific(dY, VEC_CLASSID, 3);
  PetscValidHeaderSpecific(HdY, VEC_CLASSID, 4);
  PetscCheck(dY != HdY, PETSC_COMM_SELF, PETSC_ERR_ARG_IDN, "dY and HdY must be different Vecs");
  PetscCall(PetscLogEventBegin(ODYN_LossHess, loss, 0, 0, 0));
  PetscCall(OdynLossLinearize_Private(loss, wmu));
  PetscCall(OdynLossCheckFeatureVec_Private(loss, dY, "Feature direction dY"));
  PetscCall(OdynLossCheckFeatureVec_Private(loss, HdY, "Feature Hessian product HdY"));
  PetscCall(OdynLossScoresToHost_Private(loss)); /* host Vecs: the product on the host, as without a backend */
  PetscCall(OdynWorkEnsure(&loss->T1, &loss->t1cap, nc * s));
  PetscCall(OdynWorkEnsure(&loss->T2, &loss->t2cap, nc * s));
  PetscCall(VecGetArrayRead(loss->wall, &w));
  PetscCall(VecGetArrayRead(dY, &dy));
  if (loss->identity) OdynLossIdentityApply_Private(loss, s, dy, loss->T1);
  else OdynCallGemm('T', 'N', nc, s, nf, 1.0, w, nf, dy, nf, 0.0, loss->T1, nc);
  PetscCall(VecRestoreArrayRead(dY, &dy));
  PetscCall(OdynLossHessZ_Private(loss));
  PetscCall(VecGetArray(HdY, &hy));
  if (loss->identity) OdynLossIdentityApplyTranspose_Private(loss, s, loss->T2, hy);
  else OdynCallGemm('N', 'N', nf, s, nc, 1.0, w, nf, loss->T2, nc, 0.0, hy, nf);
  PetscCall(VecRestoreArray(HdY, &hy));
  PetscCall(VecRestoreArrayRead(loss->wall, &w));
  PetscCall(PetscLogEventEnd(ODYN_LossHess, loss, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* the backend the scores and the products with the data's features run on (NULL: the host, an identity classifier
   or a loss type without a backend function) */
PetscErrorCode OdynLossGetBackendOps_Private(OdynLoss loss, const OdynBackendOps **ops)
{
  PetscFunctionBegin;
  *ops = OdynLossOnBackend_Private(loss) ? loss->backend : NULL;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynLossCheckOnBackend_Private(OdynLoss loss, Vec wmu)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidHeaderSpecific(wmu, VEC_CLASSID, 2);
  PetscCheck(OdynLossOnBackend_Private(loss), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "The loss does not run on a backend (OdynLossSetBackend(); not with an identity classifier or a loss type without a backend function)");
  PetscFunctionReturn(0);
}

/*
   OdynLossEvaluate() for the value and the features' gradient gY = W G only, gY left in the memory of the loss's backend
   (OdynLossGetBackendOps_Private()) for the network's adjoint (src/net/netloss.c): only the value crosses (and the
   weights, when they are not those of the last linearization). gY is valid until the loss's next features' product
   on the backend; NULL without examples.
*/
PetscErrorCode OdynLossEvaluateOnBackend_Private(OdynLoss loss, Vec wmu, PetscReal *f, const double **gY)
{
  PetscFunctionBegin;
  PetscCall(OdynLossCheckOnBackend_Private(loss, wmu));
  PetscCall(PetscLogEventBegin(ODYN_LossEval, loss, 0, 0, 0));
  PetscCall(OdynLossLinearize_Private(loss, wmu));
  PetscCall(OdynLossValue_Private(loss, f, PETSC_TRUE));
  PetscCall(OdynLossBackendFeatureProduct_Private(loss, loss->s, gY));
  PetscCall(PetscLogEventEnd(ODYN_LossEval, loss, 0, 0, 0));
  PetscFunctionReturn(0);
}

/*
   OdynLossHessianMultFeatures() with dY and HdY in the memory of the loss's backend (OdynLossGetBackendOps_Private()),
   on the data's examples [e0, e0 + m) (0 and the local count: all of them): the network's last block left dY = J v
   of those examples there and its adjoint reads HdY = W H_Z (W^T dY) from there (src/net/netloss.c); nothing crosses.
   The scores are the whole data's linearization, so a chunk of the examples (solvers/bcd/chunks.c) costs no new one and
   keeps the whole sample's normalization. HdY (nf m) is valid until the next features' product; NULL for m = 0.
*/
PetscErrorCode OdynLossHessianMultFeaturesOnBackend_Private(OdynLoss loss, Vec wmu, PetscInt e0, PetscInt m, const double *dY, const double **HdY)
{
  PetscFunctionBegin;
  PetscCall(OdynLossCheckOnBackend_Private(loss, wmu));
  PetscCall(OdynLossCheckData_Private(loss));
  PetscCheck(e0 >= 0 && m >= 0 && e0 + m <= loss->s, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Examples [%" PetscInt_FMT ", %" PetscInt_FMT ") are not among the data's %" PetscInt_FMT " local examples", e0, e0 + m, loss->s);
  PetscCall(PetscLogEventBegin(ODYN_LossHess, loss, 0, 0, 0));
  PetscCall(OdynLossLinearize_Private(loss, wmu));
  PetscCall(OdynLossBackendHessZFeatures_Private(loss, e0, m, dY, 1.0 / OdynLossNormalization_Private(loss)));
  PetscCall(OdynLossBackendFeatureProduct_Private(loss, m, HdY));
  PetscCall(PetscLogEventEnd(ODYN_LossHess, loss, 0, 0, 0));
  PetscFunctionReturn(0);
}
