#include <odyn/private/layerimpl.h>
#include <odyn/private/odynimpl.h>

/*MC
   ODYNLAYERSYMMETRIC - "symmetric": F(theta, Y) = -K^T sigma(K Y + b), K m x n, b m (paper 000 eq. 7; paper 002 eq. 11)

   The Jacobian dF/dY = -K^T diag(sigma'(K Y + b)) K is symmetric negative semi-definite for a monotone sigma, so the
   forward Euler network Y_{j+1} = Y_j + h F(theta_j, Y_j) is a gradient flow and stays stable for small h whatever K is.
   K may be rectangular: m is the hidden width (OdynLayerSetHiddenWidth(), -odyn_layer_hidden_width; 0 means n).

   Parameters of one step: theta_j = [K (column-major, m x n), b (m)], so nparam = m n + m.

   Level: beginner

.seealso: `OdynLayerSetType()`, `OdynLayerSetHiddenWidth()`, `ODYNLAYERDENSE`, `ODYNLAYERNEGDEF`
M*/

typedef struct {
  PetscInt           m;             /* rows of K, fixed by setup */
  PetscScalar       *S, *D, *T;     /* m x s: sigma(K X + b) and sigma'(K X + b) at the linearization; scratch of the products */
  PetscInt           cap;           /* capacity of S, D and T (scalars each) */
  PetscScalar       *Ta;            /* m x s scratch of apply, apart from the linearization caches */
  PetscInt           capa;
  const PetscScalar *theta, *X;     /* borrowed at the linearization */
  PetscInt           s;
} OdynLayer_Symmetric;

static PetscErrorCode OdynLayerSetUp_Symmetric(OdynLayer layer)
{
  OdynLayer_Symmetric *sym = (OdynLayer_Symmetric *)layer->data;

  PetscFunctionBegin;
  /* later changes of the hidden width reset setupcalled, so the m recorded here is the one the ops must use */
  sym->m        = layer->m ? layer->m : layer->n;
  layer->nparam = sym->m * layer->n + sym->m;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerApply_Symmetric(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *F)
{
  OdynLayer_Symmetric *sym = (OdynLayer_Symmetric *)layer->data;
  const PetscInt       n = layer->n, m = sym->m;
  const PetscScalar   *K = theta, *b = theta + m * n;

  PetscFunctionBegin;
  /* apply is called between a linearization and its products (recomputation, Verlet), so it has its own scratch */
  PetscCall(OdynWorkEnsure(&sym->Ta, &sym->capa, m * s));
  OdynCallGemm('N', 'N', m, s, n, 1.0, K, m, X, n, 0.0, sym->Ta, m);
  odyn_bias_act((int)layer->activation, m, s, b, sym->Ta, NULL);
  OdynCallGemm('T', 'N', n, s, m, -1.0, K, m, sym->Ta, m, 0.0, F, n);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinearize_Symmetric(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X)
{
  OdynLayer_Symmetric *sym = (OdynLayer_Symmetric *)layer->data;
  const PetscInt       n = layer->n, m = sym->m;

  PetscFunctionBegin;
  if (m * s > sym->cap || !sym->S) {
    PetscCall(PetscFree3(sym->S, sym->D, sym->T));
    PetscCall(PetscMalloc3(PetscMax(m * s, 1), &sym->S, PetscMax(m * s, 1), &sym->D, PetscMax(m * s, 1), &sym->T));
    sym->cap = m * s;
  }
  /* both sigma and sigma' are kept: the theta-products need S (from the outer K^T), all products need D */
  OdynCallGemm('N', 'N', m, s, n, 1.0, theta, m, X, n, 0.0, sym->S, m);
  odyn_bias_act((int)layer->activation, m, s, theta + m * n, sym->S, sym->D);
  sym->theta = theta;
  sym->X     = X;
  sym->s     = s;
  PetscFunctionReturn(0);
}

/* out += alpha dF/dY V = -alpha K^T (D .* (K V)) */
static PetscErrorCode OdynLayerJacX_Symmetric(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *V, PetscScalar *out)
{
  OdynLayer_Symmetric *sym = (OdynLayer_Symmetric *)layer->data;
  const PetscInt       n = layer->n, m = sym->m, s = sym->s;
  const PetscScalar   *K = sym->theta;

  PetscFunctionBegin;
  OdynCallGemm('N', 'N', m, s, n, 1.0, K, m, V, n, 0.0, sym->T, m);
  odyn_hadamard_inplace(m * s, sym->D, sym->T);
  OdynCallGemm('T', 'N', n, s, m, -alpha, K, m, sym->T, m, 1.0, out, n);
  PetscFunctionReturn(0);
}

/* out += alpha dF/dtheta (dK, db) = -alpha (dK^T S + K^T (D .* (dK X + db))): K appears twice, so two terms */
static PetscErrorCode OdynLayerJacTheta_Symmetric(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *dtheta, PetscScalar *out)
{
  OdynLayer_Symmetric *sym = (OdynLayer_Symmetric *)layer->data;
  const PetscInt       n = layer->n, m = sym->m, s = sym->s;
  const PetscScalar   *K = sym->theta, *dK = dtheta, *db = dtheta + m * n;

  PetscFunctionBegin;
  OdynCallGemm('N', 'N', m, s, n, 1.0, dK, m, sym->X, n, 0.0, sym->T, m);
  odyn_add_bias(m, s, db, sym->T);
  odyn_hadamard_inplace(m * s, sym->D, sym->T);
  OdynCallGemm('T', 'N', n, s, m, -alpha, K, m, sym->T, m, 1.0, out, n);
  OdynCallGemm('T', 'N', n, s, m, -alpha, dK, m, sym->S, m, 1.0, out, n);
  PetscFunctionReturn(0);
}

/* dF/dY is symmetric (each column's Jacobian is -K^T diag(D_e) K), so the transpose product is the product itself */
static PetscErrorCode OdynLayerJacXT_Symmetric(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *out)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerJacX_Symmetric(layer, face, alpha, W, out));
  PetscFunctionReturn(0);
}

/*
   Summed over the examples, <W, dF> = -<S W^T + (D .* (K W)) X^T, dK> - <rowsum(D .* (K W)), db>, hence
   gK += -alpha (S W^T + (D .* (K W)) X^T)  (m x n)  and  gb += -alpha rowsum(D .* (K W)).
*/
static PetscErrorCode OdynLayerJacThetaT_Symmetric(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *g)
{
  OdynLayer_Symmetric *sym = (OdynLayer_Symmetric *)layer->data;
  const PetscInt       n = layer->n, m = sym->m, s = sym->s;
  const PetscScalar   *K = sym->theta;

  PetscFunctionBegin;
  OdynCallGemm('N', 'N', m, s, n, 1.0, K, m, W, n, 0.0, sym->T, m);
  odyn_hadamard_inplace(m * s, sym->D, sym->T);
  OdynCallGemm('N', 'T', m, n, s, -alpha, sym->S, m, W, n, 1.0, g, m);
  OdynCallGemm('N', 'T', m, n, s, -alpha, sym->T, m, sym->X, n, 1.0, g, m);
  odyn_rowsum_add(m, s, -alpha, sym->T, g + m * n);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDestroy_Symmetric(OdynLayer layer)
{
  OdynLayer_Symmetric *sym = (OdynLayer_Symmetric *)layer->data;

  PetscFunctionBegin;
  PetscCall(PetscFree3(sym->S, sym->D, sym->T));
  PetscCall(PetscFree(sym->Ta));
  PetscCall(PetscFree(layer->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLayerCreate_Symmetric(OdynLayer layer)
{
  OdynLayer_Symmetric *sym;

  PetscFunctionBegin;
  PetscCall(PetscNew(&sym));
  layer->data           = sym;
  layer->ops->setup     = OdynLayerSetUp_Symmetric;
  layer->ops->apply     = OdynLayerApply_Symmetric;
  layer->ops->linearize = OdynLayerLinearize_Symmetric;
  layer->ops->jacx      = OdynLayerJacX_Symmetric;
  layer->ops->jactheta  = OdynLayerJacTheta_Symmetric;
  layer->ops->jacxt     = OdynLayerJacXT_Symmetric;
  layer->ops->jacthetat = OdynLayerJacThetaT_Symmetric;
  layer->ops->destroy   = OdynLayerDestroy_Symmetric;
  PetscFunctionReturn(0);
}
