#include "affine.h"

static PetscErrorCode OdynLayerSetUp_Affine(OdynLayer layer)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;
  const PetscInt    n = layer->n;

  PetscFunctionBegin;
  PetscCheck(!layer->m || layer->m == layer->n, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_INCOMP, "Layer %s has a square weight matrix: hidden width %" PetscInt_FMT " must be 0 or equal to the width %" PetscInt_FMT, ((PetscObject)layer)->type_name, layer->m, n);
  layer->nparam = n * n + n;
  PetscCall(PetscFree3(a->M, a->dM, a->Mapply));
  PetscCall(PetscMalloc3(n * n, &a->M, n * n, &a->dM, n * n, &a->Mapply));
  PetscFunctionReturn(0);
}

/* F = sigma(M X + b) with M = map(kappa) formed in Mbuf; also leaves sigma' in D when D is not NULL */
static PetscErrorCode OdynLayerAffineEval_Private(OdynLayer layer, PetscScalar *Mbuf, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *F, PetscScalar *D)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;
  const PetscInt    n = layer->n;

  PetscFunctionBegin;
  PetscCall(a->map(n, a->gamma, theta, Mbuf));
  OdynCallGemm('N', 'N', n, s, n, 1.0, Mbuf, n, X, n, 0.0, F, n);
  odyn_bias_act((int)layer->activation, n, s, theta + n * n, F, D);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerApply_Affine(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *F)
{
  PetscFunctionBegin;
  /* its own matrix buffer, so that applying the layer elsewhere leaves the linearization intact */
  PetscCall(OdynLayerAffineEval_Private(layer, ((OdynLayer_Affine *)layer->data)->Mapply, theta, s, X, F, NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinearize_Affine(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;
  const PetscInt    n = layer->n;

  PetscFunctionBegin;
  if (n * s > a->cap) {
    PetscCall(PetscFree2(a->D, a->T));
    PetscCall(PetscMalloc2(n * s, &a->D, n * s, &a->T));
    a->cap = n * s;
  }
  /* T receives sigma(M X + b), which the products do not need; D keeps sigma'. M stays valid for the products. */
  PetscCall(OdynLayerAffineEval_Private(layer, a->M, theta, s, X, a->T, a->D));
  a->Dcur  = a->D;
  a->theta = theta;
  a->X     = X;
  a->s     = s;
  PetscFunctionReturn(0);
}

/* out += alpha D .* (M V) */
static PetscErrorCode OdynLayerJacX_Affine(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *V, PetscScalar *out)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;
  const PetscInt    n = layer->n, s = a->s;

  PetscFunctionBegin;
  OdynCallGemm('N', 'N', n, s, n, 1.0, a->M, n, V, n, 0.0, a->T, n);
  odyn_scaled_hadamard_add(n * s, alpha, a->Dcur, a->T, out);
  PetscFunctionReturn(0);
}

/* out += alpha D .* (dM X + db) */
static PetscErrorCode OdynLayerJacTheta_Affine(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *dtheta, PetscScalar *out)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;
  const PetscInt    n = layer->n, s = a->s;

  PetscFunctionBegin;
  PetscCall(a->dmap(n, a->theta, dtheta, a->dM));
  OdynCallGemm('N', 'N', n, s, n, 1.0, a->dM, n, a->X, n, 0.0, a->T, n);
  odyn_add_bias(n, s, dtheta + n * n, a->T);
  odyn_scaled_hadamard_add(n * s, alpha, a->Dcur, a->T, out);
  PetscFunctionReturn(0);
}

/* out += alpha M^T (D .* W) */
static PetscErrorCode OdynLayerJacXT_Affine(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *out)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;
  const PetscInt    n = layer->n, s = a->s;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(a->T, W, n * s));
  odyn_hadamard_inplace(n * s, a->Dcur, a->T);
  OdynCallGemm('T', 'N', n, s, n, alpha, a->M, n, a->T, n, 1.0, out, n);
  PetscFunctionReturn(0);
}

/* G = (D .* W) X^T; gkappa += alpha map'^T G; gb += alpha rowsum(D .* W) */
static PetscErrorCode OdynLayerJacThetaT_Affine(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *g)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;
  const PetscInt    n = layer->n, s = a->s;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(a->T, W, n * s));
  odyn_hadamard_inplace(n * s, a->Dcur, a->T);
  OdynCallGemm('N', 'T', n, n, s, 1.0, a->T, n, a->X, n, 0.0, a->dM, n);
  PetscCall(a->dmapt(n, a->theta, alpha, a->dM, g));
  odyn_rowsum_add(n, s, alpha, a->T, g + n * n);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinSize_Affine(OdynLayer layer, PetscInt face, PetscInt s, PetscInt *len)
{
  PetscFunctionBegin;
  *len = layer->n * s;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinSave_Affine(OdynLayer layer, PetscInt face, PetscScalar *buf)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(buf, a->Dcur, layer->n * a->s));
  PetscFunctionReturn(0);
}

/* M is cheap to form again (n x n); sigma' is what costs */
static PetscErrorCode OdynLayerLinRestore_Affine(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, const PetscScalar *buf)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;

  PetscFunctionBegin;
  if (layer->n * s > a->cap) {
    PetscCall(PetscFree2(a->D, a->T));
    PetscCall(PetscMalloc2(layer->n * s, &a->D, layer->n * s, &a->T));
    a->cap = layer->n * s;
  }
  PetscCall(a->map(layer->n, a->gamma, theta, a->M));
  a->Dcur  = buf;
  a->theta = theta;
  a->X     = X;
  a->s     = s;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynLayerAffineDestroy_Private(OdynLayer layer)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;

  PetscFunctionBegin;
  PetscCall(PetscFree3(a->M, a->dM, a->Mapply));
  PetscCall(PetscFree2(a->D, a->T));
  PetscCall(PetscFree(layer->data));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynLayerAffineSetOps_Private(OdynLayer layer, OdynLayer_Affine *a)
{
  PetscFunctionBegin;
  layer->data            = a;
  layer->ops->setup      = OdynLayerSetUp_Affine;
  layer->ops->apply      = OdynLayerApply_Affine;
  layer->ops->linearize  = OdynLayerLinearize_Affine;
  layer->ops->jacx       = OdynLayerJacX_Affine;
  layer->ops->jactheta   = OdynLayerJacTheta_Affine;
  layer->ops->jacxt      = OdynLayerJacXT_Affine;
  layer->ops->jacthetat  = OdynLayerJacThetaT_Affine;
  layer->ops->destroy    = OdynLayerAffineDestroy_Private;
  layer->ops->linsize    = OdynLayerLinSize_Affine;
  layer->ops->linsave    = OdynLayerLinSave_Affine;
  layer->ops->linrestore = OdynLayerLinRestore_Affine;
  PetscFunctionReturn(0);
}

/*
   The dense parameters of N steps of an affine layer whose matrix is a map of its parameters (antisym, negdef;
   theta_j = [kappa_j | b_j]), for a compute backend that runs dense blocks only (src/schemes/schemebackend.c): it
   sweeps with M_j = map(kappa_j) as dense weights, and its derivatives map back. Parameter-sized work on the host.
     ODYN_AFFINE_MAP    out_j  = [map(kappa_j) | b_j]               (in = theta)
     ODYN_AFFINE_DMAP   out_j  = [map'(kappa_j) dkappa_j | db_j]    (in = dtheta)
     ODYN_AFFINE_DMAPT  out_j += [map'(kappa_j)^T G_j | Gb_j]       (in = G, the gradient w.r.t. the dense parameters)
*/
PetscErrorCode OdynLayerAffineDenseParameters_Private(OdynLayer layer, PetscInt N, OdynAffineMode mode, const PetscScalar *theta, const PetscScalar *in, PetscScalar *out)
{
  OdynLayer_Affine *a = (OdynLayer_Affine *)layer->data;
  const PetscInt    n = layer->n, slot = n * n + n;

  PetscFunctionBegin;
  PetscCheck(a && a->map && a->dmap && a->dmapt, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Layer %s has no parameter map to dense weights", ((PetscObject)layer)->type_name);
  for (PetscInt j = 0; j < N; j++) {
    const PetscScalar *kappa = theta + j * slot, *x = in + j * slot;
    PetscScalar       *y     = out + j * slot;

    switch (mode) {
    case ODYN_AFFINE_MAP:
      PetscCall(a->map(n, a->gamma, x, y));
      PetscCall(PetscArraycpy(y + n * n, x + n * n, n));
      break;
    case ODYN_AFFINE_DMAP:
      PetscCall(a->dmap(n, kappa, x, y));
      PetscCall(PetscArraycpy(y + n * n, x + n * n, n));
      break;
    case ODYN_AFFINE_DMAPT:
      PetscCall(a->dmapt(n, kappa, 1.0, x, y));
      for (PetscInt i = 0; i < n; i++) y[n * n + i] += x[n * n + i];
      break;
    }
  }
  PetscFunctionReturn(0);
}
