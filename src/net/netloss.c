/*
   The Gauss-Newton product of the propagation weights, Hv = J^T (d^2 S / dY_N^2) J v, with the network's output
   direction handed to the loss, and the loss's product back to the network, in backend memory when both run on the
   same backend (docs/gpu.md "The Gauss-Newton product on a backend").
*/
#include <odyn/private/netimpl.h>
#include <odyn/private/lossimpl.h>

/* the backend the network's last block and the loss's products with the features share (*ops), else NULL; unlike
   OdynNetLossSharedBackend_Private() without asking that the loss's data be the last sweep's output (the trainer
   decides with it before its sweeps: solvers/bcd/chunks.c) */
PetscErrorCode OdynNetLossSameBackend_Private(OdynNet net, OdynLoss loss, const OdynBackendOps **ops)
{
  const OdynBackendOps *nops, *lops;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 2);
  PetscCall(OdynNetGetOutputBackend_Private(net, &nops));
  PetscCall(OdynLossGetBackendOps_Private(loss, &lops));
  *ops = nops && nops == lops ? nops : NULL;
  PetscFunctionReturn(0);
}

/*
   Whether the network's last block and the loss's products with the features run on one backend (*ops, else NULL):
   then states may go between them in its memory, and the loss's data must be the last forward sweep's output.
*/
PetscErrorCode OdynNetLossSharedBackend_Private(OdynNet net, OdynLoss loss, const OdynBackendOps **ops)
{
  PetscFunctionBegin;
  PetscCall(OdynNetLossSameBackend_Private(net, loss, ops));
  PetscCheck(!*ops || loss->s == net->s, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "The loss's data hold %" PetscInt_FMT " local examples but the network's last forward sweep had %" PetscInt_FMT ": set the loss's data to that sweep's output", loss->s, net->s);
  PetscFunctionReturn(0);
}

/* the shared backend (an error without one) when the network's last sweep was the loss data's local examples
   [e0, e0 + net->s): a chunk of them (solvers/bcd/chunks.c) */
static PetscErrorCode SharedBackendChunk(OdynNet net, OdynLoss loss, PetscInt e0, const OdynBackendOps **ops)
{
  PetscFunctionBegin;
  PetscCall(OdynNetLossSameBackend_Private(net, loss, ops));
  PetscCheck(*ops, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "The network's output and the loss's products do not run on one backend: a chunk's states cannot go between them there");
  PetscCheck(e0 >= 0 && e0 + net->s <= loss->s, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "The network's last forward sweep had %" PetscInt_FMT " local examples, which are not the loss data's examples from %" PetscInt_FMT " on (it holds %" PetscInt_FMT ")", net->s, e0, loss->s);
  PetscFunctionReturn(0);
}

/*
   OdynNetLossHandOutput_Private - after OdynNetForward(net, theta, X, YN) and OdynLossSetData(loss, YN, C): when the
   network's last block and the loss's products run on the same backend, the loss mirrors the features from that
   block's output in backend memory (a copy there) instead of uploading YN again at its next product. Else nothing.
   *handed (may be NULL) says which.
*/
PetscErrorCode OdynNetLossHandOutput_Private(OdynNet net, OdynLoss loss, PetscBool *handed)
{
  const OdynBackendOps *ops;
  const double         *dev;

  PetscFunctionBegin;
  if (handed) *handed = PETSC_FALSE;
  PetscCall(OdynNetLossSharedBackend_Private(net, loss, &ops));
  if (!ops) PetscFunctionReturn(0);
  PetscCall(OdynSchemeBackendGetOutput_Private(net->blocks[net->nblocks - 1], ops, &dev));
  PetscCall(OdynLossBackendSetFeatures_Private(loss, 0, loss->s, dev));
  if (handed) *handed = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*
   OdynNetLossHandOutputChunk_Private - OdynNetLossHandOutput_Private() for a forward sweep over a chunk of the loss's
   data: its output becomes the mirror's examples [e0, e0 + net->s). The chunks of one sweep are handed over in order;
   the mirror is valid once the last local example has been (solvers/bcd/chunks.c). The network and the loss must
   share a backend.
*/
PetscErrorCode OdynNetLossHandOutputChunk_Private(OdynNet net, OdynLoss loss, PetscInt e0)
{
  const OdynBackendOps *ops;
  const double         *dev = NULL;

  PetscFunctionBegin;
  PetscCall(SharedBackendChunk(net, loss, e0, &ops));
  if (net->s) PetscCall(OdynSchemeBackendGetOutput_Private(net->blocks[net->nblocks - 1], ops, &dev));
  PetscCall(OdynLossBackendSetFeatures_Private(loss, e0, net->s, dev));
  PetscFunctionReturn(0);
}

/*
   OdynNetLossGradient_Private - f = S and g = J^T dS/dY_N at the network's last forward sweep and the loss's data (that
   sweep's output), the classifier wmu: the propagation gradient's data part. When the last block and the loss share a
   backend the features' gradient W G goes from the loss to the adjoint in its memory (OdynLossEvaluateOnBackend_Private());
   else through the Vec gY (work, like Y_N). *ondevice (may be NULL) says which.
*/
PetscErrorCode OdynNetLossGradient_Private(OdynNet net, OdynLoss loss, Vec wmu, PetscReal *f, Vec gY, Vec g, PetscBool *ondevice)
{
  const OdynBackendOps *ops;

  PetscFunctionBegin;
  if (ondevice) *ondevice = PETSC_FALSE;
  PetscCall(OdynNetLossSharedBackend_Private(net, loss, &ops));
  if (ops) {
    const double *gyd;

    PetscCall(OdynLossEvaluateOnBackend_Private(loss, wmu, f, &gyd));
    PetscCall(OdynNetJacobianMultTransposeFromBackend_Private(net, gyd, g, NULL));
    if (ondevice) *ondevice = PETSC_TRUE;
    PetscFunctionReturn(0);
  }
  PetscCall(OdynLossEvaluate(loss, wmu, f, NULL, gY));
  PetscCall(OdynNetJacobianMultTranspose(net, gY, g, NULL));
  PetscFunctionReturn(0);
}

/* Hv = J^T H_Y J v with dY = J v and H_Y dY in the memory of the shared backend, for the loss data's examples
   [e0, e0 + net->s) that the network's last sweep covered */
static PetscErrorCode GaussNewtonOnBackend(OdynNet net, OdynLoss loss, Vec wmu, PetscInt e0, Vec v, Vec Hv)
{
  const double *dyd, *hdyd;

  PetscFunctionBegin;
  PetscCall(OdynNetJacobianMultToBackend_Private(net, v, NULL, &dyd));
  PetscCall(OdynLossHessianMultFeaturesOnBackend_Private(loss, wmu, e0, net->s, dyd, &hdyd));
  PetscCall(OdynNetJacobianMultTransposeFromBackend_Private(net, hdyd, Hv, NULL));
  PetscFunctionReturn(0);
}

/*
   OdynNetLossGaussNewtonMult_Private - Hv = J^T H_Y J v at the network's last forward sweep and the loss's data (which
   must be that sweep's output: the same local examples), the classifier wmu.

   When the network's last block and the loss's products with the features run on the same backend, dY = J v stays in
   that block's backend memory, the loss forms W^T dY and W H_Z (W^T dY) there (OdynLossHessianMultFeaturesOnBackend_Private())
   and the adjoint reads the latter from there: per product only v and Hv cross between host and backend (the loss's
   W stays from its linearization, H_Z acts there), not the two nf s-sized features' directions. Otherwise the host path with the Vecs dY and HdY
   (work, like Y_N; unused by the backend path). *ondevice (may be NULL) says which ran.
*/
PetscErrorCode OdynNetLossGaussNewtonMult_Private(OdynNet net, OdynLoss loss, Vec wmu, Vec v, Vec dY, Vec HdY, Vec Hv, PetscBool *ondevice)
{
  const OdynBackendOps *ops;

  PetscFunctionBegin;
  if (ondevice) *ondevice = PETSC_FALSE;
  PetscCall(OdynNetLossSharedBackend_Private(net, loss, &ops));
  if (ops) {
    PetscCall(GaussNewtonOnBackend(net, loss, wmu, 0, v, Hv));
    if (ondevice) *ondevice = PETSC_TRUE;
    PetscFunctionReturn(0);
  }
  PetscCall(OdynNetJacobianMult(net, v, NULL, dY));
  PetscCall(OdynLossHessianMultFeatures(loss, wmu, dY, HdY));
  PetscCall(OdynNetJacobianMultTranspose(net, HdY, Hv, NULL));
  PetscFunctionReturn(0);
}

/*
   OdynNetLossGaussNewtonMultChunk_Private - this rank's share Hv = J^T H_Y J v of the network's last forward sweep,
   which covered the loss data's local examples [e0, e0 + net->s) (a chunk: solvers/bcd/chunks.c), in the memory of
   the backend the network's output and the loss share (an error without one). The loss's Hessian is the whole data's
   (its scores and normalization), so the chunks' products sum to the unchunked product; only v and Hv cross.
*/
PetscErrorCode OdynNetLossGaussNewtonMultChunk_Private(OdynNet net, OdynLoss loss, Vec wmu, PetscInt e0, Vec v, Vec Hv)
{
  const OdynBackendOps *ops;

  PetscFunctionBegin;
  PetscCall(SharedBackendChunk(net, loss, e0, &ops));
  PetscCall(GaussNewtonOnBackend(net, loss, wmu, e0, v, Hv));
  PetscFunctionReturn(0);
}

/*
   OdynNetLossAccuracy_Private - the accuracy of the classifier wmu on the network's last forward sweep, made with
   OdynNetForward(net, theta, X, NULL) (no host output) when its output lies on the loss's backend
   (OdynNetGetOutputBackend_Private() is the loss's OdynLossGetBackendOps_Private()), for the targets C of X's examples:
   the scores are formed from the last block's output in backend memory and only they (nc s) come to the host
   (OdynLossGetAccuracyOnBackend_Private()), instead of the nf s features of the output. The loss's data are untouched.
*/
PetscErrorCode OdynNetLossAccuracy_Private(OdynNet net, OdynLoss loss, Vec wmu, Vec C, PetscReal *acc)
{
  const OdynBackendOps *ops;
  const double         *dev;

  PetscFunctionBegin;
  PetscCall(OdynNetLossSameBackend_Private(net, loss, &ops));
  PetscCheck(ops, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "The network's output and the loss are not on one backend: forward into a Vec and use OdynLossGetAccuracy()");
  PetscCall(OdynSchemeBackendGetOutput_Private(net->blocks[net->nblocks - 1], ops, &dev));
  PetscCall(OdynLossGetAccuracyOnBackend_Private(loss, wmu, dev, C, acc));
  PetscFunctionReturn(0);
}

/*
   OdynNetLossCountCorrect_Private - OdynNetLossAccuracy_Private()'s counts for one chunk of an accuracy sweep: counts[0]
   += the correct ones of the network's last sweep's net->s local examples, whose targets are c (host, nc net->s
   values), counts[1] += net->s; OdynLossAccuracyOfCounts_Private() makes the accuracy of the chunks' sums.
*/
PetscErrorCode OdynNetLossCountCorrect_Private(OdynNet net, OdynLoss loss, Vec wmu, const PetscScalar *c, PetscInt counts[2])
{
  const OdynBackendOps *ops;
  const double         *dev = NULL;

  PetscFunctionBegin;
  PetscCall(OdynNetLossSameBackend_Private(net, loss, &ops));
  PetscCheck(ops, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "The network's output and the loss are not on one backend: forward into a Vec and use OdynLossGetAccuracy()");
  if (net->s) PetscCall(OdynSchemeBackendGetOutput_Private(net->blocks[net->nblocks - 1], ops, &dev));
  PetscCall(OdynLossCountCorrectOnBackend_Private(loss, wmu, dev, net->s, c, counts));
  PetscFunctionReturn(0);
}
