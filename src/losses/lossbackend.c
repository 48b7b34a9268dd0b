/*
   The classifier's GEMMs with the features on a compute backend (issue 8, docs/gpu.md "The loss on a backend"): with a
   backend set (OdynLossSetBackend(); the trainer gives the loss its network's, so -odyn_backend cuda moves both), the
   two products of every loss evaluation and weights-Hessian product that touch the features Y (nf x s),

     scores       Z  = W^T Y + mu e^T      (nc x s)
     weights      gW = Y G^T               (nf x nc; G = dS/dZ, or H_Z dZ in a Hessian product)

   run on the backend, against a mirror of Y in its memory that is made once per data (the Vec's id and state, as the
   cached scores) and kept for every later product at the same data. Newton-PCG on the classifier takes tens of
   weights-Hessian products at fixed features: with the mirror, each moves only the direction (nf nc + nc), the
   scores-sized T1, T2 (nc s) and the product (nf nc) between host and backend, not the nf s features, and its
   2 x 2 nf nc s flops run on the device. The loss function itself (value, G, H_Z dZ on nc x s), the bias sums and the
   products with the features' direction (gY = W G, W^T dY, W T2 for Gauss-Newton, nf s-sized Vecs on the host) stay on
   the host, with the same kernels as without a backend. So on hostref every result is the host path's bit for bit
   (the table's gemm and add_bias are the host path's odyn_gemm and odyn_add_bias with the same operands).
*/
#include <odyn/private/lossimpl.h>
#include <odyn/private/odynimpl.h>
#include <odyn/private/backend.h>

struct _OdynLossBackendStore {
  const OdynBackendOps *ops;          /* the table the buffers belong to */
  double               *Y;            /* backend, nf s: the mirror of the data's features */
  double               *w, *Z, *h;    /* backend: weights or direction (nf nc + nc), scores or G (nc s), Y G^T (nf nc) */
  double               *hdy;          /* backend, nf s: W T2 of a Gauss-Newton product, for the network's adjoint */
  PetscInt              ycap, zcap, hcap; /* examples Y, Z and hdy hold */
  PetscBool             yvalid;       /* Y mirrors the data Vec of id yid in state ystate */
  PetscObjectId         yid;
  PetscObjectState      ystate;
  PetscLogDouble        todevice, tohost; /* bytes copied, for OdynLossView() and the tests */
};

PetscErrorCode OdynLossBackendFree_Private(OdynLoss loss)
{
  struct _OdynLossBackendStore *bk = loss->bk;

  PetscFunctionBegin;
  if (!bk) PetscFunctionReturn(0);
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->Y));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->w));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->Z));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->h));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->hdy));
  PetscCall(PetscFree(loss->bk));
  PetscFunctionReturn(0);
}

static PetscErrorCode ToDevice(OdynLoss loss, double *dst, const PetscScalar *src, PetscInt len)
{
  PetscFunctionBegin;
  PetscCall(OdynBackendToDevice_Private(loss->bk->ops, dst, src, len, &loss->bk->todevice));
  PetscFunctionReturn(0);
}

static PetscErrorCode ToHost(OdynLoss loss, PetscScalar *dst, const double *src, PetscInt len)
{
  PetscFunctionBegin;
  PetscCall(OdynBackendToHost_Private(loss->bk->ops, dst, src, len, &loss->bk->tohost));
  PetscFunctionReturn(0);
}

/* the buffers for the data's s examples (grown, never shrunk: the largest data set given) */
static PetscErrorCode BackendBuffers(OdynLoss loss)
{
  const OdynBackendOps *ops = loss->backend;
  const PetscInt        nf = loss->nf, nc = loss->nc, s = loss->s;

  PetscFunctionBegin;
  if (loss->bk && loss->bk->ops != ops) PetscCall(OdynLossBackendFree_Private(loss));
  if (!loss->bk) {
    PetscCall(PetscNew(&loss->bk));
    loss->bk->ops = ops;
    PetscCall(OdynBackendMalloc(ops, (size_t)(nf * nc + nc) * sizeof(double), (void **)&loss->bk->w));
    PetscCall(OdynBackendMalloc(ops, (size_t)nf * nc * sizeof(double), (void **)&loss->bk->h));
  }
  if (s > loss->bk->zcap) {
    PetscCall(OdynBackendFree(ops, (void **)&loss->bk->Z));
    loss->bk->zcap = 0;
    PetscCall(OdynBackendMalloc(ops, (size_t)nc * s * sizeof(double), (void **)&loss->bk->Z));
    loss->bk->zcap = s;
  }
  PetscFunctionReturn(0);
}

/* the buffers and the mirror's, for the data's s examples; *yid, *ys: the data Vec's id and state now */
static PetscErrorCode BackendFeatureBuffer(OdynLoss loss, PetscObjectId *yid, PetscObjectState *ys)
{
  const OdynBackendOps         *ops = loss->backend;
  struct _OdynLossBackendStore *bk;

  PetscFunctionBegin;
  PetscCall(BackendBuffers(loss));
  bk = loss->bk;
  if (loss->s > bk->ycap) { /* the features are copied again */
    PetscCall(OdynBackendFree(ops, (void **)&bk->Y));
    bk->ycap   = 0;
    bk->yvalid = PETSC_FALSE;
    PetscCall(OdynBackendMalloc(ops, (size_t)loss->nf * loss->s * sizeof(double), (void **)&bk->Y));
    bk->ycap = loss->s;
  }
  PetscCall(PetscObjectGetId((PetscObject)loss->Y, yid));
  PetscCall(PetscObjectStateGet((PetscObject)loss->Y, ys));
  PetscFunctionReturn(0);
}

/* the buffers, and the features mirrored when the data Vec or its entries changed */
static PetscErrorCode BackendMirror(OdynLoss loss)
{
  struct _OdynLossBackendStore *bk;
  PetscObjectId                 yid;
  PetscObjectState              ys;
  const PetscScalar            *y;

  PetscFunctionBegin;
  PetscCall(BackendFeatureBuffer(loss, &yid, &ys));
  bk = loss->bk;
  if (bk->yvalid && yid == bk->yid && ys == bk->ystate) PetscFunctionReturn(0);
  PetscCall(VecGetArrayRead(loss->Y, &y));
  PetscCall(ToDevice(loss, bk->Y, y, loss->nf * loss->s));
  PetscCall(VecRestoreArrayRead(loss->Y, &y));
  bk->yid    = yid;
  bk->ystate = ys;
  bk->yvalid = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*
   The mirror made from a copy of the features already in backend memory, devY (nf s doubles on the loss's backend):
   a copy there instead of an upload. The caller vouches that devY holds the entries the data Vec has now: the trainer,
   right after the forward sweep that wrote them into it, with devY the network's last block's output (src/net/netloss.c,
   OdynNetLossHandOutput_Private()); a later change of the Vec makes the mirror stale as usual.
*/
PetscErrorCode OdynLossBackendSetFeatures_Private(OdynLoss loss, const double *devY)
{
  struct _OdynLossBackendStore *bk;
  PetscObjectId                 yid;
  PetscObjectState              ys;

  PetscFunctionBegin;
  PetscCheck(loss->backend && !loss->identity && loss->Y, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "The loss has no data, or its products with the features do not run on a backend");
  if (!loss->s) PetscFunctionReturn(0);
  PetscCall(BackendFeatureBuffer(loss, &yid, &ys));
  bk = loss->bk;
  OdynBackendCall(loss->backend, copy_device, bk->Y, devY, (size_t)loss->nf * loss->s * sizeof(double));
  bk->yid    = yid;
  bk->ystate = ys;
  bk->yvalid = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* Z = W^T Y + mu e^T (nc x s, host) at the data, for the gathered weights (or a direction) wmu: the GEMM on the backend */
PetscErrorCode OdynLossBackendScores_Private(OdynLoss loss, const PetscScalar *wmu, PetscScalar *Z)
{
  const OdynBackendOps *ops = loss->backend;
  const PetscInt        nf = loss->nf, nc = loss->nc, s = loss->s;

  PetscFunctionBegin;
  if (!s) PetscFunctionReturn(0);
  PetscCall(BackendMirror(loss));
  PetscCall(ToDevice(loss, loss->bk->w, wmu, nf * nc + nc));
  OdynBackendCall(ops, gemm, 'T', 'N', nc, s, nf, 1.0, loss->bk->w, nf, loss->bk->Y, nf, 0.0, loss->bk->Z, nc);
  OdynBackendCall(ops, add_bias, nc, s, loss->bk->w + nf * nc, loss->bk->Z);
  PetscCall(ToHost(loss, Z, loss->bk->Z, nc * s));
  PetscFunctionReturn(0);
}

/* h = Y G^T (nf x nc, host) at the data for G (nc x s, host): the GEMM on the backend */
PetscErrorCode OdynLossBackendWeightProduct_Private(OdynLoss loss, const PetscScalar *G, PetscScalar *h)
{
  const OdynBackendOps *ops = loss->backend;
  const PetscInt        nf = loss->nf, nc = loss->nc, s = loss->s;

  PetscFunctionBegin;
  if (!s) { /* no example on this rank: its part of the sum is zero */
    PetscCall(PetscArrayzero(h, nf * nc));
    PetscFunctionReturn(0);
  }
  PetscCall(BackendMirror(loss));
  PetscCall(ToDevice(loss, loss->bk->Z, G, nc * s));
  OdynBackendCall(ops, gemm, 'N', 'T', nf, nc, s, 1.0, loss->bk->Y, nf, loss->bk->Z, nc, 0.0, loss->bk->h, nf);
  PetscCall(ToHost(loss, h, loss->bk->h, nf * nc));
  PetscFunctionReturn(0);
}

/*
   The Gauss-Newton product's two GEMMs with W, for a features' direction dY already in backend memory (the network's
   last block left it there, src/net/netloss.c): T1 = W^T dY (nc x s, to the host, where H_Z acts), then
   HdY = W T2 (nf x s, left in backend memory for the network's adjoint). W (the first nf nc entries of the gathered
   weights) is uploaded by the first and used by the second.
*/
PetscErrorCode OdynLossBackendFeatureScores_Private(OdynLoss loss, const PetscScalar *wmu, const double *dY, PetscScalar *T1)
{
  const PetscInt nf = loss->nf, nc = loss->nc, s = loss->s;

  PetscFunctionBegin;
  if (!s) PetscFunctionReturn(0);
  PetscCall(BackendBuffers(loss));
  PetscCall(ToDevice(loss, loss->bk->w, wmu, nf * nc));
  OdynBackendCall(loss->backend, gemm, 'T', 'N', nc, s, nf, 1.0, loss->bk->w, nf, dY, nf, 0.0, loss->bk->Z, nc);
  PetscCall(ToHost(loss, T1, loss->bk->Z, nc * s));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynLossBackendFeatureProduct_Private(OdynLoss loss, const PetscScalar *T2, const double **HdY)
{
  const OdynBackendOps         *ops = loss->backend;
  const PetscInt                nf = loss->nf, nc = loss->nc, s = loss->s;
  struct _OdynLossBackendStore *bk = loss->bk;

  PetscFunctionBegin;
  *HdY = NULL;
  if (!s) PetscFunctionReturn(0);
  if (s > bk->hcap) {
    PetscCall(OdynBackendFree(ops, (void **)&bk->hdy));
    bk->hcap = 0;
    PetscCall(OdynBackendMalloc(ops, (size_t)nf * s * sizeof(double), (void **)&bk->hdy));
    bk->hcap = s;
  }
  PetscCall(ToDevice(loss, bk->Z, T2, nc * s));
  OdynBackendCall(ops, gemm, 'N', 'N', nf, s, nc, 1.0, bk->w, nf, bk->Z, nc, 0.0, bk->hdy, nf);
  *HdY = bk->hdy;
  PetscFunctionReturn(0);
}

/* gY = W G (nf x s) left in backend memory, for G (nc x s, host) and the gathered weights wmu: the features' gradient */
PetscErrorCode OdynLossBackendFeatureGradient_Private(OdynLoss loss, const PetscScalar *wmu, const PetscScalar *G, const double **gY)
{
  PetscFunctionBegin;
  *gY = NULL;
  if (!loss->s) PetscFunctionReturn(0);
  PetscCall(BackendBuffers(loss));
  PetscCall(ToDevice(loss, loss->bk->w, wmu, loss->nf * loss->nc));
  PetscCall(OdynLossBackendFeatureProduct_Private(loss, G, gY));
  PetscFunctionReturn(0);
}

/* the bytes this rank's loss copied host -> backend and back since it got its backend buffers (0 before) */
PetscErrorCode OdynLossBackendGetTraffic_Private(OdynLoss loss, PetscLogDouble *todevice, PetscLogDouble *tohost)
{
  PetscFunctionBegin;
  *todevice = loss->bk ? loss->bk->todevice : 0.0;
  *tohost   = loss->bk ? loss->bk->tohost : 0.0;
  PetscFunctionReturn(0);
}

/* OdynLossView()'s lines for a loss on a backend */
PetscErrorCode OdynLossBackendView_Private(OdynLoss loss, PetscViewer viewer)
{
  struct _OdynLossBackendStore *bk = loss->bk;

  PetscFunctionBegin;
  if (!loss->backend) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "classifier GEMMs with the features on backend %s%s\n", loss->backend->name, loss->identity ? " (none: identity classifier)" : ""));
  if (bk) PetscCall(PetscViewerASCIIPrintf(viewer, "backend memory: %" PetscInt_FMT " doubles (features of %" PetscInt_FMT " examples mirrored, Gauss-Newton products of %" PetscInt_FMT "); copied to the backend %g MiB, back to the host %g MiB (this rank, so far)\n", loss->nf * (bk->ycap + bk->hcap) + loss->nc * bk->zcap + 2 * loss->nf * loss->nc + loss->nc, bk->ycap, bk->hcap, bk->todevice / 1048576.0, bk->tohost / 1048576.0));
  PetscFunctionReturn(0);
}

/*@C
   OdynLossSetBackend - runs the classifier's products with the features on a compute backend

   Collective

   Input Parameters:
+  loss - the loss
-  name - `ODYNBACKENDHOST` (the default), `ODYNBACKENDCUDA` (the GEMMs on the GPU) or `ODYNBACKENDHOSTREF` (the same
   path with host memory and kernels: the host results bit for bit)

   Level: intermediate

   Notes:
   The scores Z = W^T Y + mu e^T and the weights' products Y G^T of `OdynLossEvaluate()` and
   `OdynLossHessianMultWeights()` run on the backend against a copy of the features in its memory, made once per data
   set (`OdynLossSetData()`; again when the features' entries change); each product then moves only weight- and
   scores-sized vectors (nf nc + nc, nc s) between host and backend. The loss function and the products with a
   direction of the features (`OdynLossHessianMultFeatures()`, the features' gradient) stay on the host. The backend
   memory held: (nf + nc) s + 2 nf nc + nc doubles for the largest data set. An identity classifier has no GEMM and
   ignores the backend. The trainer sets its loss on its network's backend (`OdynNetSetBackend()`, -odyn_backend).

.seealso: `OdynLossGetBackend()`, `OdynNetSetBackend()`, `OdynBackendGet()`
@*/
PetscErrorCode OdynLossSetBackend(OdynLoss loss, OdynBackendType name)
{
  const OdynBackendOps *ops;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidCharPointer(name, 2);
  PetscCall(OdynBackendGet(PetscObjectComm((PetscObject)loss), name, &ops));
  if (ops == odyn_backend_host()) ops = NULL;
  if (ops == loss->backend) PetscFunctionReturn(0);
  PetscCall(OdynLossBackendFree_Private(loss));
  loss->backend = ops;
  PetscFunctionReturn(0);
}

/*@C
   OdynLossGetBackend - the name of the backend the classifier's products with the features run on

   Not Collective

   Output Parameter:
.  name - "host", "hostref" or "cuda" (static storage)

   Level: intermediate

.seealso: `OdynLossSetBackend()`
@*/
PetscErrorCode OdynLossGetBackend(OdynLoss loss, OdynBackendType *name)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 1);
  PetscValidPointer(name, 2);
  *name = loss->backend ? loss->backend->name : ODYNBACKENDHOST;
  PetscFunctionReturn(0);
}
