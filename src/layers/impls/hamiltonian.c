#include <odyn/private/layerimpl.h>
#include <odyn/private/odynimpl.h>

/*MC
   ODYNLAYERHAMILTONIAN - "hamiltonian": the pair of layer functions of the Hamiltonian network
   Y' = F(theta, Z), Z' = -G(theta, Y) (paper 001 eq. 4.15-4.17)

     face 0:  F(theta, Z) = sigma(K Z + bF),    Z m x s -> n x s
     face 1:  G(theta, Y) = sigma(K^T Y + bG),  Y n x s -> m x s

   Both faces share K (n x m), which is what makes the continuous dynamics Hamiltonian and the Verlet network
   (ODYNSCHEMEVERLET) reversible and stable. The minus sign of the Z equation belongs to the scheme, not to G.
   m is the hidden width (OdynLayerSetHiddenWidth(), -odyn_layer_hidden_width; 0 means n), the width of Z.

   Parameters of one step: theta_j = [K (column-major, n x m), bF (n), bG (m)], so nparam = n m + n + m.
   Face 0 depends on K and bF only, face 1 on K and bG only.

   Level: beginner

.seealso: `OdynLayerSetType()`, `ODYNSCHEMEVERLET`, `OdynLayerSetHiddenWidth()`
M*/

typedef struct {
  PetscInt           m;                              /* columns of K (width of Z), fixed by setup */
  /* one linearization per face: the Verlet sweeps linearize F at Z_{j+1/2} and G at Y_j within the same step */
  PetscScalar       *D[ODYN_LAYER_MAX_FACES];        /* nout[f] x s: sigma' computed by linearize */
  const PetscScalar *Dcur[ODYN_LAYER_MAX_FACES];     /* sigma' of the current linearization: D[f] or a saved copy */
  PetscScalar       *T[ODYN_LAYER_MAX_FACES];        /* nout[f] x s: scratch of the products of that face */
  PetscInt           cap[ODYN_LAYER_MAX_FACES];      /* capacity of D[f] and T[f] */
  const PetscScalar *theta[ODYN_LAYER_MAX_FACES], *X[ODYN_LAYER_MAX_FACES];
  PetscInt           s[ODYN_LAYER_MAX_FACES];
} OdynLayer_Hamiltonian;

static PetscErrorCode OdynLayerSetUp_Hamiltonian(OdynLayer layer)
{
  OdynLayer_Hamiltonian *ham = (OdynLayer_Hamiltonian *)layer->data;
  const PetscInt         n   = layer->n;

  PetscFunctionBegin;
  ham->m         = layer->m ? layer->m : n;
  layer->nfaces  = 2;
  layer->nin[0]  = ham->m;
  layer->nout[0] = n;
  layer->nin[1]  = n;
  layer->nout[1] = ham->m;
  layer->nparam  = n * ham->m + n + ham->m;
  PetscFunctionReturn(0);
}

/* Z = sigma(op(K) X + b) with op(K) = K on face 0 and K^T on face 1; D = sigma'(...) when D is not NULL */
static PetscErrorCode OdynLayerEval_Hamiltonian(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *Z, PetscScalar *D)
{
  OdynLayer_Hamiltonian *ham = (OdynLayer_Hamiltonian *)layer->data;
  const PetscInt         n = layer->n, m = ham->m;
  const PetscScalar     *K = theta, *bF = theta + n * m, *bG = bF + n;

  PetscFunctionBegin;
  if (face == 0) {
    OdynCallGemm('N', 'N', n, s, m, 1.0, K, n, X, m, 0.0, Z, n);
    odyn_bias_act((int)layer->activation, n, s, bF, Z, D);
  } else {
    OdynCallGemm('T', 'N', m, s, n, 1.0, K, n, X, n, 0.0, Z, m);
    odyn_bias_act((int)layer->activation, m, s, bG, Z, D);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerApply_Hamiltonian(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *F)
{
  PetscFunctionBegin;
  /* works in F alone, so the linearization caches of both faces stay intact */
  PetscCall(OdynLayerEval_Hamiltonian(layer, face, theta, s, X, F, NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinearize_Hamiltonian(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X)
{
  OdynLayer_Hamiltonian *ham  = (OdynLayer_Hamiltonian *)layer->data;
  const PetscInt         need = layer->nout[face] * s;

  PetscFunctionBegin;
  if (need > ham->cap[face] || !ham->D[face]) {
    PetscCall(PetscFree2(ham->D[face], ham->T[face]));
    PetscCall(PetscMalloc2(PetscMax(need, 1), &ham->D[face], PetscMax(need, 1), &ham->T[face]));
    ham->cap[face] = need;
  }
  /* T receives sigma(...), which no product needs (the outer map is the identity); D keeps sigma' */
  PetscCall(OdynLayerEval_Hamiltonian(layer, face, theta, s, X, ham->T[face], ham->D[face]));
  ham->Dcur[face]  = ham->D[face];
  ham->theta[face] = theta;
  ham->X[face]     = X;
  ham->s[face]     = s;
  PetscFunctionReturn(0);
}

/* face 0: out += alpha D .* (K V), V m x s;  face 1: out += alpha D .* (K^T V), V n x s */
static PetscErrorCode OdynLayerJacX_Hamiltonian(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *V, PetscScalar *out)
{
  OdynLayer_Hamiltonian *ham = (OdynLayer_Hamiltonian *)layer->data;
  const PetscInt         n = layer->n, m = ham->m, s = ham->s[face];
  const PetscScalar     *K = ham->theta[face];
  PetscScalar           *T = ham->T[face];

  PetscFunctionBegin;
  if (face == 0) OdynCallGemm('N', 'N', n, s, m, 1.0, K, n, V, m, 0.0, T, n);
  else OdynCallGemm('T', 'N', m, s, n, 1.0, K, n, V, n, 0.0, T, m);
  odyn_scaled_hadamard_add(layer->nout[face] * s, alpha, ham->Dcur[face], T, out);
  PetscFunctionReturn(0);
}

/* face 0: out += alpha D .* (dK X + dbF);  face 1: out += alpha D .* (dK^T X + dbG); the other bias does not enter */
static PetscErrorCode OdynLayerJacTheta_Hamiltonian(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *dtheta, PetscScalar *out)
{
  OdynLayer_Hamiltonian *ham = (OdynLayer_Hamiltonian *)layer->data;
  const PetscInt         n = layer->n, m = ham->m, s = ham->s[face];
  const PetscScalar     *dK = dtheta, *dbF = dtheta + n * m, *dbG = dbF + n, *X = ham->X[face];
  PetscScalar           *T = ham->T[face];

  PetscFunctionBegin;
  if (face == 0) {
    OdynCallGemm('N', 'N', n, s, m, 1.0, dK, n, X, m, 0.0, T, n);
    odyn_add_bias(n, s, dbF, T);
  } else {
    OdynCallGemm('T', 'N', m, s, n, 1.0, dK, n, X, n, 0.0, T, m);
    odyn_add_bias(m, s, dbG, T);
  }
  odyn_scaled_hadamard_add(layer->nout[face] * s, alpha, ham->Dcur[face], T, out);
  PetscFunctionReturn(0);
}

/* face 0: out (m x s) += alpha K^T (D .* W);  face 1: out (n x s) += alpha K (D .* W) */
static PetscErrorCode OdynLayerJacXT_Hamiltonian(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *out)
{
  OdynLayer_Hamiltonian *ham = (OdynLayer_Hamiltonian *)layer->data;
  const PetscInt         n = layer->n, m = ham->m, s = ham->s[face];
  const PetscScalar     *K = ham->theta[face];
  PetscScalar           *T = ham->T[face];

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(T, W, layer->nout[face] * s));
  odyn_hadamard_inplace(layer->nout[face] * s, ham->Dcur[face], T);
  if (face == 0) OdynCallGemm('T', 'N', m, s, n, alpha, K, n, T, n, 1.0, out, m);
  else OdynCallGemm('N', 'N', n, s, m, alpha, K, n, T, m, 1.0, out, n);
  PetscFunctionReturn(0);
}

/*
   With T = D .* W, summed over the examples:
     face 0: <W, D .* (dK X)>   = <T X^T, dK>  so gK += alpha T X^T, gbF += alpha rowsum(T)
     face 1: <W, D .* (dK^T X)> = <X T^T, dK>  so gK += alpha X T^T, gbG += alpha rowsum(T)
   (both n x m). The bias of the other face receives nothing.
*/
static PetscErrorCode OdynLayerJacThetaT_Hamiltonian(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *g)
{
  OdynLayer_Hamiltonian *ham = (OdynLayer_Hamiltonian *)layer->data;
  const PetscInt         n = layer->n, m = ham->m, s = ham->s[face];
  const PetscScalar     *X = ham->X[face];
  PetscScalar           *T = ham->T[face], *gK = g, *gbF = g + n * m, *gbG = gbF + n;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(T, W, layer->nout[face] * s));
  odyn_hadamard_inplace(layer->nout[face] * s, ham->Dcur[face], T);
  if (face == 0) {
    OdynCallGemm('N', 'T', n, m, s, alpha, T, n, X, m, 1.0, gK, n);
    odyn_rowsum_add(n, s, alpha, T, gbF);
  } else {
    OdynCallGemm('N', 'T', n, m, s, alpha, X, n, T, m, 1.0, gK, n);
    odyn_rowsum_add(m, s, alpha, T, gbG);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinSize_Hamiltonian(OdynLayer layer, PetscInt face, PetscInt s, PetscInt *len)
{
  PetscFunctionBegin;
  *len = layer->nout[face] * s;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinSave_Hamiltonian(OdynLayer layer, PetscInt face, PetscScalar *buf)
{
  OdynLayer_Hamiltonian *ham = (OdynLayer_Hamiltonian *)layer->data;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(buf, ham->Dcur[face], layer->nout[face] * ham->s[face]));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinRestore_Hamiltonian(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, const PetscScalar *buf)
{
  OdynLayer_Hamiltonian *ham  = (OdynLayer_Hamiltonian *)layer->data;
  const PetscInt         need = layer->nout[face] * s;

  PetscFunctionBegin;
  if (need > ham->cap[face] || !ham->T[face]) { /* the products still need their scratch */
    PetscCall(PetscFree2(ham->D[face], ham->T[face]));
    PetscCall(PetscMalloc2(PetscMax(need, 1), &ham->D[face], PetscMax(need, 1), &ham->T[face]));
    ham->cap[face] = need;
  }
  ham->Dcur[face]  = buf;
  ham->theta[face] = theta;
  ham->X[face]     = X;
  ham->s[face]     = s;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDestroy_Hamiltonian(OdynLayer layer)
{
  OdynLayer_Hamiltonian *ham = (OdynLayer_Hamiltonian *)layer->data;

  PetscFunctionBegin;
  for (PetscInt f = 0; f < ODYN_LAYER_MAX_FACES; f++) PetscCall(PetscFree2(ham->D[f], ham->T[f]));
  PetscCall(PetscFree(layer->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLayerCreate_Hamiltonian(OdynLayer layer)
{
  OdynLayer_Hamiltonian *ham;

  PetscFunctionBegin;
  PetscCall(PetscNew(&ham));
  layer->data           = ham;
  layer->ops->setup     = OdynLayerSetUp_Hamiltonian;
  layer->ops->apply     = OdynLayerApply_Hamiltonian;
  layer->ops->linearize = OdynLayerLinearize_Hamiltonian;
  layer->ops->linsize    = OdynLayerLinSize_Hamiltonian;
  layer->ops->linsave    = OdynLayerLinSave_Hamiltonian;
  layer->ops->linrestore = OdynLayerLinRestore_Hamiltonian;
  layer->ops->jacx      = OdynLayerJacX_Hamiltonian;
  layer->ops->jactheta  = OdynLayerJacTheta_Hamiltonian;
  layer->ops->jacxt     = OdynLayerJacXT_Hamiltonian;
  layer->ops->jacthetat = OdynLayerJacThetaT_Hamiltonian;
  layer->ops->destroy   = OdynLayerDestroy_Hamiltonian;
  PetscFunctionReturn(0);
}
