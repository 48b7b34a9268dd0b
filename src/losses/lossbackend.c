/*
   The classifier and the loss function on a compute backend (issue 8, docs/gpu.md "The loss on a backend"): with a
   backend set (OdynLossSetBackend(); the trainer gives the loss its network's, so -odyn_backend cuda moves both) and a
   built-in loss (its per-example function in include/odyn/private/lossfn.h), everything of size nc s or nf s is
   computed in backend memory:

     scores            Z  = W^T Y + mu e^T                  at the linearization (weights, features), kept there
     value, gradient   sum_e S(z_e, c_e), G = dS/dZ / s     the table's loss_value (a scalar comes back)
     Hessian in Z      H_Z T / s                            the table's loss_hessmult
     weights' products [Y G^T | G e]                        (nf nc + nc comes back)
     features'         W G, W H_Z W^T dY                    (nf s: left there for the network's adjoint)

   against mirrors of the features Y and the targets C made once per data (each Vec's id and state, as the cached
   scores). Only weight-sized vectors and scalars cross then: Newton-PCG's weights-Hessian products move the direction
   and the product (2 (nf nc + nc)), the network's Gauss-Newton product and gradient nothing at all. The public
   functions that take or give host Vecs of the features' size (the features' gradient of OdynLossEvaluate(),
   OdynLossHessianMultFeatures()) compute those on the host, as without a backend, from G or the scores copied to the
   host (nc s; the scores once per linearization): a network on the host, or states through the host
   (-odyn_net_backend_handover false). An accuracy sweep's
   output left on the backend gets its scores there (OdynLossBackendScoresOf_Private()). A loss type without a
   backend function (one registered by a user) runs on the host: losseval.c asks OdynLossOnBackend_Private().

   On hostref every result is the host path's bit for bit: the table's gemm, add_bias and rowsum_add are the host
   path's kernels, and its loss_value / loss_hessmult the same per-example functions in the same order (lossfns.c).
*/
#include <odyn/private/lossimpl.h>
#include <odyn/private/odynimpl.h>
#include <odyn/private/backend.h>

struct _OdynLossBackendStore {
  const OdynBackendOps *ops;        /* the table the buffers belong to */
  double               *Y, *C;      /* nf s, nc s: the mirrors of the data's features and targets */
  double               *w, *v, *h;  /* nf nc + nc: the linearization's weights, a direction, a weights-sized product */
  double               *Z, *G, *T;  /* nc s: the scores at the linearization, G (or H_Z T), a direction of the scores */
  double               *out;        /* nf s: W G or W H_Z T, the features' product for the network's adjoint */
  double               *zx;         /* nc s': the scores of other features (an accuracy sweep's) */
  PetscInt              ycap, zcap, outcap, zxcap; /* examples the buffers hold */
  PetscBool             yvalid, cvalid;            /* Y, C mirror the data Vecs of these ids in these states */
  PetscObjectId         yid, cid;
  PetscObjectState      ystate, cstate;
  PetscLogDouble        todevice, tohost; /* bytes copied, for OdynLossView() and the tests */
};

PetscErrorCode OdynLossBackendFree_Private(OdynLoss loss)
{
  struct _OdynLossBackendStore *bk = loss->bk;
  double                      **bufs[10];

  PetscFunctionBegin;
  if (!bk) PetscFunctionReturn(0);
  bufs[0] = &bk->Y, bufs[1] = &bk->C, bufs[2] = &bk->w, bufs[3] = &bk->v, bufs[4] = &bk->h;
  bufs[5] = &bk->Z, bufs[6] = &bk->G, bufs[7] = &bk->T, bufs[8] = &bk->out, bufs[9] = &bk->zx;
  for (int i = 0; i < 10; i++) PetscCall(OdynBackendFree(bk->ops, (void **)bufs[i]));
  PetscCall(PetscFree(loss->bk));
  loss->zvalid = PETSC_FALSE; /* the scores lived in those buffers */
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

/* *buf holds at least n doubles (n = per-example size times examples); *cap counts examples; a regrown buffer loses
   its contents, which *valid (may be NULL) then says */
static PetscErrorCode Grow(OdynLoss loss, double **buf, PetscInt *cap, PetscInt s, PetscInt per, PetscBool *valid)
{
  const OdynBackendOps *ops = loss->backend;

  PetscFunctionBegin;
  if (s <= *cap) PetscFunctionReturn(0);
  PetscCall(OdynBackendFree(ops, (void **)buf));
  *cap = 0;
  if (valid) *valid = PETSC_FALSE;
  PetscCall(OdynBackendMalloc(ops, (size_t)per * s * sizeof(double), (void **)buf));
  *cap = s;
  PetscFunctionReturn(0);
}

/* the buffers for the data's s examples (grown, never shrunk: the largest data set given) */
static PetscErrorCode BackendBuffers(OdynLoss loss)
{
  const OdynBackendOps *ops = loss->backend;
  const PetscInt        nf = loss->nf, nc = loss->nc, s = loss->s, nw = nf * nc + nc;
  struct _OdynLossBackendStore *bk;

  PetscFunctionBegin;
  if (loss->bk && loss->bk->ops != ops) PetscCall(OdynLossBackendFree_Private(loss));
  if (!loss->bk) {
    PetscCall(PetscNew(&loss->bk));
    loss->bk->ops = ops;
    PetscCall(OdynBackendMalloc(ops, (size_t)nw * sizeof(double), (void **)&loss->bk->w));
    PetscCall(OdynBackendMalloc(ops, (size_t)nw * sizeof(double), (void **)&loss->bk->v));
    PetscCall(OdynBackendMalloc(ops, (size_t)nw * sizeof(double), (void **)&loss->bk->h));
  }
  bk = loss->bk;
  if (s > bk->zcap) { /* Z, G, T and the targets' mirror grow together */
    PetscInt cap = bk->zcap;

    PetscCall(Grow(loss, &bk->C, &cap, s, nc, &bk->cvalid));
    cap = bk->zcap;
    PetscCall(Grow(loss, &bk->G, &cap, s, nc, NULL));
    cap = bk->zcap;
    PetscCall(Grow(loss, &bk->T, &cap, s, nc, NULL));
    PetscCall(Grow(loss, &bk->Z, &bk->zcap, s, nc, &loss->zvalid));
  }
  PetscCall(Grow(loss, &bk->Y, &bk->ycap, s, nf, &bk->yvalid));
  PetscFunctionReturn(0);
}

/* a mirror of the data Vec x (per values per example) in buf, copied again when x or its entries changed */
static PetscErrorCode Mirror(OdynLoss loss, Vec x, PetscInt per, double *buf, PetscBool *valid, PetscObjectId *id, PetscObjectState *state)
{
  PetscObjectId      xid;
  PetscObjectState   xs;
  const PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(PetscObjectGetId((PetscObject)x, &xid));
  PetscCall(PetscObjectStateGet((PetscObject)x, &xs));
  if (*valid && xid == *id && xs == *state) PetscFunctionReturn(0);
  PetscCall(VecGetArrayRead(x, &a));
  PetscCall(ToDevice(loss, buf, a, per * loss->s));
  PetscCall(VecRestoreArrayRead(x, &a));
  *id    = xid;
  *state = xs;
  *valid = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*
   The data's examples [e0, e0 + m) of the features' mirror made from a copy of them already in backend memory, devY
   (nf m doubles on the loss's backend): a copy there instead of an upload. The caller vouches that devY holds the
   entries the data Vec has there now: the trainer, right after the forward sweep that wrote them, with devY the
   network's last block's output (src/net/netloss.c, OdynNetLossHandOutput_Private()); a chunked sweep hands its chunks
   over in order (solvers/bcd/chunks.c). The mirror is marked stale when a hand-over starts at the first example and
   valid (for the Vec's id and state now) when one ends at the last, so that a sweep cut short leaves no mirror that
   mixes two sweeps' outputs; a later change of the Vec makes it stale as usual.
*/
PetscErrorCode OdynLossBackendSetFeatures_Private(OdynLoss loss, PetscInt e0, PetscInt m, const double *devY)
{
  struct _OdynLossBackendStore *bk;

  PetscFunctionBegin;
  PetscCheck(loss->backend && !loss->identity && loss->Y, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "The loss has no data, or its products with the features do not run on a backend");
  PetscCheck(e0 >= 0 && m >= 0 && e0 + m <= loss->s, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Examples [%" PetscInt_FMT ", %" PetscInt_FMT ") are not among the data's %" PetscInt_FMT " local examples", e0, e0 + m, loss->s);
  if (!loss->s) PetscFunctionReturn(0);
  PetscCall(BackendBuffers(loss));
  bk = loss->bk;
  if (e0 == 0) bk->yvalid = PETSC_FALSE;
  if (m) OdynBackendCall(loss->backend, copy_device, bk->Y + (size_t)loss->nf * e0, devY, (size_t)loss->nf * m * sizeof(double));
  if (e0 + m == loss->s) {
    PetscCall(PetscObjectGetId((PetscObject)loss->Y, &bk->yid));
    PetscCall(PetscObjectStateGet((PetscObject)loss->Y, &bk->ystate));
    bk->yvalid = PETSC_TRUE;
  }
  PetscFunctionReturn(0);
}

/* out (nc s) = W^T Y + mu e^T for weights wmu = [W | mu] and features Y (nf s), all in backend memory: the scores of
   the linearization, of a weights' direction, or of an accuracy sweep's features */
static PetscErrorCode BackendScores(OdynLoss loss, const double *wmu, const double *Y, PetscInt s, double *out)
{
  const PetscInt nf = loss->nf, nc = loss->nc;

  PetscFunctionBegin;
  OdynBackendCall(loss->backend, gemm, 'T', 'N', nc, s, nf, 1.0, wmu, nf, Y, nf, 0.0, out, nc);
  OdynBackendCall(loss->backend, add_bias, nc, s, wmu + nf * nc, out);
  PetscFunctionReturn(0);
}

/* Z = W^T Y + mu e^T in backend memory at the data, for the gathered weights wmu, which stay there as W of the later
   products (until the next linearization) */
PetscErrorCode OdynLossBackendLinearize_Private(OdynLoss loss, const PetscScalar *wmu)
{
  const PetscInt                nf = loss->nf, nc = loss->nc, s = loss->s;
  struct _OdynLossBackendStore *bk;

  PetscFunctionBegin;
  PetscCall(BackendBuffers(loss));
  bk = loss->bk;
  if (!s) PetscFunctionReturn(0); /* no product on this rank needs the weights */
  PetscCall(ToDevice(loss, bk->w, wmu, nf * nc + nc));
  PetscCall(Mirror(loss, loss->Y, nf, bk->Y, &bk->yvalid, &bk->yid, &bk->ystate));
  PetscCall(BackendScores(loss, bk->w, bk->Y, s, bk->Z));
  PetscFunctionReturn(0);
}

/* the scores of the linearization into host memory (nc s) */
PetscErrorCode OdynLossBackendGetScores_Private(OdynLoss loss, PetscScalar *Z)
{
  PetscFunctionBegin;
  if (loss->s) PetscCall(ToHost(loss, Z, loss->bk->Z, loss->nc * loss->s));
  PetscFunctionReturn(0);
}

/* G (nc s) of the last value into host memory, for a host Vec's features' gradient */
PetscErrorCode OdynLossBackendGetG_Private(OdynLoss loss, PetscScalar *G)
{
  PetscFunctionBegin;
  if (loss->s) PetscCall(ToHost(loss, G, loss->bk->G, loss->nc * loss->s));
  PetscFunctionReturn(0);
}

/* *lsum = this rank's unscaled sum of the per-example losses at the scores; with wantG, G = scale dS/dZ stays there */
PetscErrorCode OdynLossBackendValue_Private(OdynLoss loss, PetscReal scale, PetscBool wantG, PetscReal *lsum)
{
  struct _OdynLossBackendStore *bk = loss->bk;
  double                        sum;

  PetscFunctionBegin;
  *lsum = 0;
  if (!loss->s) PetscFunctionReturn(0);
  PetscCall(Mirror(loss, loss->C, loss->nc, bk->C, &bk->cvalid, &bk->cid, &bk->cstate));
  OdynBackendCall(loss->backend, loss_value, loss->lossfn, loss->nc, loss->s, scale, bk->Z, bk->C, wantG ? bk->G : NULL, &sum);
  *lsum = sum;
  PetscFunctionReturn(0);
}

/* h = [Y G^T | G e] (nf nc + nc, host) at the data, for the G buffer: this rank's part of a gradient or Hessian product */
PetscErrorCode OdynLossBackendWeightProduct_Private(OdynLoss loss, PetscScalar *h)
{
  const OdynBackendOps         *ops = loss->backend;
  const PetscInt                nf = loss->nf, nc = loss->nc, s = loss->s;
  struct _OdynLossBackendStore *bk = loss->bk;

  PetscFunctionBegin;
  if (!s) { /* no example on this rank: its part of the sum is zero */
    PetscCall(PetscArrayzero(h, nf * nc + nc));
    PetscFunctionReturn(0);
  }
  OdynBackendCall(ops, gemm, 'N', 'T', nf, nc, s, 1.0, bk->Y, nf, bk->G, nc, 0.0, bk->h, nf);
  OdynBackendCall(ops, mem_set, bk->h + nf * nc, 0, (size_t)nc * sizeof(double));
  OdynBackendCall(ops, rowsum_add, nc, s, 1.0, bk->G, bk->h + nf * nc);
  PetscCall(ToHost(loss, h, bk->h, nf * nc + nc));
  PetscFunctionReturn(0);
}

/* the G buffer = H_Z T at the linearization, T = V^T Y + nu e^T for the gathered weights' direction vnu (host) */
PetscErrorCode OdynLossBackendHessZWeights_Private(OdynLoss loss, const PetscScalar *vnu, PetscReal scale)
{
  const OdynBackendOps         *ops = loss->backend;
  const PetscInt                nf = loss->nf, nc = loss->nc, s = loss->s;
  struct _OdynLossBackendStore *bk = loss->bk;

  PetscFunctionBegin;
  if (!s) PetscFunctionReturn(0);
  PetscCall(Mirror(loss, loss->C, nc, bk->C, &bk->cvalid, &bk->cid, &bk->cstate));
  PetscCall(ToDevice(loss, bk->v, vnu, nf * nc + nc));
  PetscCall(BackendScores(loss, bk->v, bk->Y, s, bk->T));
  OdynBackendCall(ops, loss_hessmult, loss->lossfn, nc, s, scale, bk->Z, bk->C, bk->T, bk->G);
  PetscFunctionReturn(0);
}

/* the G buffer's first nc m = H_Z T on the data's examples [e0, e0 + m) at the linearization, T = W^T dY for a
   features' direction dY (nf m) of those examples in backend memory */
PetscErrorCode OdynLossBackendHessZFeatures_Private(OdynLoss loss, PetscInt e0, PetscInt m, const double *dY, PetscReal scale)
{
  const OdynBackendOps         *ops = loss->backend;
  const PetscInt                nf = loss->nf, nc = loss->nc;
  struct _OdynLossBackendStore *bk = loss->bk;

  PetscFunctionBegin;
  if (!m) PetscFunctionReturn(0);
  PetscCall(Mirror(loss, loss->C, nc, bk->C, &bk->cvalid, &bk->cid, &bk->cstate)); /* the data's, whichever set them last */
  OdynBackendCall(ops, gemm, 'T', 'N', nc, m, nf, 1.0, bk->w, nf, dY, nf, 0.0, bk->T, nc);
  OdynBackendCall(ops, loss_hessmult, loss->lossfn, nc, m, scale, bk->Z + (size_t)nc * e0, bk->C + (size_t)nc * e0, bk->T, bk->G);
  PetscFunctionReturn(0);
}

/* *out = W G (nf m) in backend memory for the G buffer's first m examples: the features' gradient or Hessian product;
   NULL for m = 0 */
PetscErrorCode OdynLossBackendFeatureProduct_Private(OdynLoss loss, PetscInt m, const double **out)
{
  const PetscInt                nf = loss->nf, nc = loss->nc;
  struct _OdynLossBackendStore *bk = loss->bk;

  PetscFunctionBegin;
  *out = NULL;
  if (!m) PetscFunctionReturn(0);
  PetscCall(Grow(loss, &bk->out, &bk->outcap, loss->s, nf, NULL));
  OdynBackendCall(loss->backend, gemm, 'N', 'N', nf, m, nc, 1.0, bk->w, nf, bk->G, nc, 0.0, bk->out, nf);
  *out = bk->out;
  PetscFunctionReturn(0);
}

/* Z (host, nc s) = W^T Y + mu e^T for features devY of s examples in backend memory (not the data's) and the gathered
   weights wmu: an accuracy sweep's scores; the data's mirror, scores and weights stay as they were */
PetscErrorCode OdynLossBackendScoresOf_Private(OdynLoss loss, const PetscScalar *wmu, const double *devY, PetscInt s, PetscScalar *Z)
{
  const PetscInt                nf = loss->nf, nc = loss->nc;
  struct _OdynLossBackendStore *bk;

  PetscFunctionBegin;
  if (!s) PetscFunctionReturn(0);
  PetscCall(BackendBuffers(loss));
  bk = loss->bk;
  PetscCall(Grow(loss, &bk->zx, &bk->zxcap, s, nc, NULL));
  PetscCall(ToDevice(loss, bk->v, wmu, nf * nc + nc));
  PetscCall(BackendScores(loss, bk->v, devY, s, bk->zx));
  PetscCall(ToHost(loss, Z, bk->zx, nc * s));
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
  if (loss->identity || !loss->lossfn) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "backend %s not used: %s\n", loss->backend->name, loss->identity ? "the identity classifier has no GEMM" : "this loss type has no backend function (lossfn.h): it runs on the host"));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "classifier and loss function on backend %s\n", loss->backend->name));
  if (bk) PetscCall(PetscViewerASCIIPrintf(viewer, "backend memory: %g MiB (features of %" PetscInt_FMT " examples mirrored, scores of %" PetscInt_FMT ", features' products of %" PetscInt_FMT "); copied to the backend %g MiB, back to the host %g MiB (this rank, so far)\n", 8.0 * ((double)loss->nf * (bk->ycap + bk->outcap) + 4.0 * loss->nc * bk->zcap + (double)loss->nc * bk->zxcap + 3.0 * (loss->nf * loss->nc + loss->nc)) / 1048576.0, bk->ycap, bk->zcap, bk->outcap, bk->todevice / 1048576.0, bk->tohost / 1048576.0));
  PetscFunctionReturn(0);
}
/*@C
   OdynLossSetBackend - runs the classifier and the loss function on a compute backend

   Collective

   Input Parameters:
+  loss - the loss
-  name - `ODYNBACKENDHOST` (the default), `ODYNBACKENDCUDA` (the GPU) or `ODYNBACKENDHOSTREF` (the same path with
   host memory and kernels: the host results bit for bit)

   Level: intermediate

   Notes:
   The scores Z = W^T Y + mu e^T, the loss function's value, gradient G and Hessian products on Z (nc s), and the
   products with the features (Y G^T, W G, W H_Z W^T dY) of `OdynLossEvaluate()`, `OdynLossHessianMultWeights()` and
   `OdynLossHessianMultFeatures()` are computed in the backend's memory, against copies of the features and targets
   made once per data set (`OdynLossSetData()`; again when their entries change). Then only weight-sized vectors
   (nf nc + nc) and the value cross between host and backend; the network's Gauss-Newton products and gradients in
   the trainer hand the features' directions and products over in backend memory. With host Vecs of the features'
   size (the features' gradient of `OdynLossEvaluate()`, `OdynLossHessianMultFeatures()`) those products run on the
   host from G (nc s, copied per call) or the scores (copied once per linearization, as for `OdynLossPredict()` and
   `OdynLossGetAccuracy()` on the loss's data). Backend memory held: (nf +
   4 nc) s + 3 (nf nc + nc) doubles for the largest data set, and nf s more once a features' product is handed to a
   network on the backend.
   The built-in types (softmax, logistic, lsq) have a backend function; a type registered with `OdynLossRegister()`
   and an identity classifier (no GEMM) run on the host. The trainer sets its loss on its network's backend
   (`OdynNetSetBackend()`, -odyn_backend).

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
  loss->zvalid  = PETSC_FALSE; /* the scores are made again where the new backend keeps them */
  PetscFunctionReturn(0);
}

/*@C
   OdynLossGetBackend - the name of the backend the classifier and the loss function run on

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
