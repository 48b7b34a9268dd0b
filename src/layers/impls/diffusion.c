#include "diffusion.h"
#include <odyn/private/pointwise.h>

/*MC
   ODYNLAYERDIFFUSION - "diffusion": the diffusion block of a symmetric ResNet (paper 002 Sec. 3, eq. 11-14)

     F(theta, u) = -tau Kt^T Phi_lambda(Kt u),   Kt = K / R(K),   so that forward Euler gives u - h tau Kt^T Phi(Kt u)

   with K m x n (hidden width m, -odyn_layer_hidden_width, 0 means n) and Phi the activation: a diffusion flux
   Phi(s) = g(s^2) s (charbonnier, peronamalik, with the contrast lambda), or tanh, relu, identity. No biases (b = 0 in
   paper 002's Theorem 1): the Euclidean stability below needs Phi(0) = 0.

   Stability a priori (paper 002 Sec. 3.3): R(K) = max(largest absolute row sum, largest absolute column sum) of K,
   which bounds ||K||_2 <= sqrt(||K||_1 ||K||_inf) <= R (for a symmetric K this is Gershgorin's bound of the paper;
   the column sums make it hold for any K). Hence ||Kt||_2 <= 1, and tau < taumax = 2 / L_Phi with L_Phi = 1 for every
   activation (include/odyn/private/pointwise.h) gives h tau <= 2 / (L_Phi ||Kt||^2) for h <= 1: every Euler step
   u - h tau Kt^T G(u) Kt u with G = diag(g) in [0, 1] has eigenvalues in [-1, 1] and never increases ||u||_2.
   For h > 1 lower taumax to 2 / h (OdynLayerDiffusionSetTauMax(), -odyn_layer_diffusion_tau_max).

   Parameters of one step: theta_j = [K (column-major, m x n), rho, eta] with tau = taumax / (1 + exp(-rho)) and
   lambda = lambda0 exp(eta) (eta only for charbonnier and peronamalik; lambda0 = -odyn_layer_diffusion_contrast, 1 by
   default, so that parameters initialized near 0 start at a contrast that suits the data, e.g. 15 for paper 002's
   noisy signals): smooth maps onto the allowed ranges, so that the
   learned tau and lambda have exact derivatives and the constraint needs no projection. nparam = m n + 1 (+ 1).

   R is piecewise linear in K (kinks where an entry of K changes sign or the largest sum changes), so the derivatives
   are exact away from those null sets, like ReLU's.

   Level: intermediate

.seealso: `ODYNLAYERDIFFUSIONCONV`, `ODYNLAYERSYMMETRIC`, `OdynLayerDiffusionSetTauMax()`, `OdynLayerDiffusionGetStepAndContrast()`
M*/

static inline PetscBool HasContrast(OdynLayer layer) { return odyn_act_has_contrast((int)layer->activation) ? PETSC_TRUE : PETSC_FALSE; }

static PetscErrorCode OdynLayerSetUp_Diffusion(OdynLayer layer)
{
  OdynLayer_Diffusion *d = (OdynLayer_Diffusion *)layer->data;

  PetscFunctionBegin;
  PetscCheck(d->taumax > 0 && !PetscIsInfOrNanReal(d->taumax), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: the largest diffusion step tau_max (-odyn_layer_diffusion_tau_max) must be positive and finite, got %g", ((PetscObject)layer)->type_name, (double)d->taumax);
  PetscCheck(d->lambda0 > 0 && !PetscIsInfOrNanReal(d->lambda0), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: the contrast (-odyn_layer_diffusion_contrast) must be positive and finite, got %g", ((PetscObject)layer)->type_name, (double)d->lambda0);
  if (d->conv) {
    PetscCheck(d->cset >= 0 && d->chset >= 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: channels (-odyn_layer_diffusion_channels, -odyn_layer_diffusion_hidden_channels) must be >= 0 (0: the default), got %" PetscInt_FMT " and %" PetscInt_FMT, ((PetscObject)layer)->type_name, d->cset, d->chset);
    d->c = d->cset ? d->cset : 1;
    PetscCheck(layer->n % d->c == 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_INCOMP, "Layer %s: the width %" PetscInt_FMT " must be a multiple of the number of channels %" PetscInt_FMT " (-odyn_layer_diffusion_channels)", ((PetscObject)layer)->type_name, layer->n, d->c);
    d->L  = layer->n / d->c;
    d->w  = 3;
    d->ch = d->chset ? d->chset : d->c;
  } else {
    d->c  = layer->n;
    d->L  = 1;
    d->w  = 1;
    d->ch = layer->m ? layer->m : layer->n;
  }
  d->nk         = d->ch * d->w * d->c;
  layer->nparam = d->nk + 1 + (HasContrast(layer) ? 1 : 0);
  PetscCall(PetscFree3(d->Kt, d->gR, d->dK));
  PetscCall(PetscMalloc3(d->nk, &d->Kt, d->nk, &d->gR, d->nk, &d->dK));
  PetscCall(PetscFree(d->Ka));
  PetscCall(PetscMalloc1(d->nk, &d->Ka));
  PetscFunctionReturn(0);
}

/* col = im2col(X): col[(i + L e) w c + t c + a] = X[e n + p c + a], p = i + t - (w-1)/2 (wrapped, or 0 outside) */
void OdynDiffusionIm2Col_Private(const OdynLayer_Diffusion *d, PetscInt s, const PetscScalar *X, PetscScalar *col)
{
  const PetscInt c = d->c, L = d->L, w = d->w, hw = (w - 1) / 2, wc = w * c, n = L * c;

  for (PetscInt e = 0; e < s; e++)
    for (PetscInt i = 0; i < L; i++) {
      PetscScalar *cc = col + (size_t)(i + L * e) * wc;
      for (PetscInt t = 0; t < w; t++) {
        PetscInt p = i + t - hw;
        if (p < 0 || p >= L) {
          if (!d->periodic) {
            for (PetscInt a = 0; a < c; a++) cc[t * c + a] = 0.0;
            continue;
          }
          p = (p + L) % L;
        }
        for (PetscInt a = 0; a < c; a++) cc[t * c + a] = X[(size_t)e * n + p * c + a];
      }
    }
}

/* out += alpha col2im(colT): the adjoint of OdynDiffusionIm2Col_Private() */
void OdynDiffusionCol2ImAdd_Private(const OdynLayer_Diffusion *d, PetscInt s, PetscScalar alpha, const PetscScalar *colT, PetscScalar *out)
{
  const PetscInt c = d->c, L = d->L, w = d->w, hw = (w - 1) / 2, wc = w * c, n = L * c;

  for (PetscInt e = 0; e < s; e++)
    for (PetscInt i = 0; i < L; i++) {
      const PetscScalar *cc = colT + (size_t)(i + L * e) * wc;
      for (PetscInt t = 0; t < w; t++) {
        PetscInt p = i + t - hw;
        if (p < 0 || p >= L) {
          if (!d->periodic) continue;
          p = (p + L) % L;
        }
        for (PetscInt a = 0; a < c; a++) out[(size_t)e * n + p * c + a] += alpha * cc[t * c + a];
      }
    }
}

/*
   Kt = K / R with R = max over the ch x c blocks K_oa (w taps each, r_oa = sum_t |k_oat| >= ||K_oa||_2) of the block
   row sums sum_a r_oa and block column sums sum_o r_oa; ||K||_2 <= R by the Schur test on the matrix of block norms
   (the block Gershgorin rescaling of paper 002 Sec. 3.3). gR (may be NULL) receives dR/dK: sign(K) on the maximal
   block row or column, 0 elsewhere.
*/
static PetscErrorCode Rescale(OdynLayer layer, const OdynLayer_Diffusion *d, const PetscScalar *K, PetscScalar *Kt, PetscScalar *gR, PetscReal *Rout)
{
  const PetscInt ch = d->ch, c = d->c, w = d->w;
  PetscReal      R = -1.0;
  PetscInt       best = 0;
  PetscBool      bestrow = PETSC_TRUE;

  PetscFunctionBegin;
  for (PetscInt o = 0; o < ch; o++) {
    PetscReal r = 0.0;
    for (PetscInt k = 0; k < w * c; k++) r += PetscAbsScalar(K[o + ch * k]);
    if (r > R) {
      R       = r;
      best    = o;
      bestrow = PETSC_TRUE;
    }
  }
  for (PetscInt a = 0; a < c; a++) {
    PetscReal r = 0.0;
    for (PetscInt t = 0; t < w; t++)
      for (PetscInt o = 0; o < ch; o++) r += PetscAbsScalar(K[o + ch * (t * c + a)]);
    if (r > R) {
      R       = r;
      best    = a;
      bestrow = PETSC_FALSE;
    }
  }
  PetscCheck(R > 0.0 && !PetscIsInfOrNanReal(R), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: the weights K are all zero (or not finite), so the row-sum rescaling K / R(K) of the stability bound is undefined: initialize theta with nonzero K", ((PetscObject)layer)->type_name);
  for (PetscInt k = 0; k < d->nk; k++) Kt[k] = K[k] / R;
  if (gR) {
    for (PetscInt k = 0; k < d->nk; k++) gR[k] = 0.0;
    if (bestrow)
      for (PetscInt k = 0; k < w * c; k++) gR[best + ch * k] = PetscRealPart(K[best + ch * k]) > 0 ? 1.0 : -1.0;
    else
      for (PetscInt t = 0; t < w; t++)
        for (PetscInt o = 0; o < ch; o++) gR[o + ch * (t * c + best)] = PetscRealPart(K[o + ch * (t * c + best)]) > 0 ? 1.0 : -1.0;
  }
  *Rout = R;
  PetscFunctionReturn(0);
}

void OdynDiffusionStepAndContrast_Private(OdynLayer layer, const OdynLayer_Diffusion *d, const PetscScalar *rhoeta, PetscReal *tau, PetscReal *dtau, PetscReal *lambda)
{
  const PetscReal rho = PetscRealPart(rhoeta[0]);
  const PetscReal sig = rho >= 0 ? 1.0 / (1.0 + PetscExpReal(-rho)) : PetscExpReal(rho) / (1.0 + PetscExpReal(rho));

  *tau = d->taumax * sig;
  if (dtau) *dtau = d->taumax * sig * (1.0 - sig);
  *lambda = HasContrast(layer) ? d->lambda0 * PetscExpReal(PetscRealPart(rhoeta[1])) : 1.0;
}

static void StepAndContrast(OdynLayer layer, const OdynLayer_Diffusion *d, const PetscScalar *theta, PetscReal *tau, PetscReal *dtau, PetscReal *lambda)
{
  OdynDiffusionStepAndContrast_Private(layer, d, theta + d->nk, tau, dtau, lambda); /* theta = [K, rho, eta] */
}

static PetscErrorCode OdynLayerApply_Diffusion(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *F)
{
  OdynLayer_Diffusion *d  = (OdynLayer_Diffusion *)layer->data;
  const PetscInt       wc = d->w * d->c, Ls = d->L * s, act = (int)layer->activation;
  const PetscScalar   *col = X;
  PetscReal            R, tau, lambda;

  PetscFunctionBegin;
  /* own scratch: apply may run between a linearization and its products */
  PetscCall(Rescale(layer, d, theta, d->Ka, NULL, &R));
  StepAndContrast(layer, d, theta, &tau, NULL, &lambda);
  PetscCall(OdynWorkEnsure(&d->Za, &d->capza, d->ch * Ls));
  if (d->w > 1) {
    PetscCall(OdynWorkEnsure(&d->cola, &d->capca, wc * Ls));
    PetscCall(OdynWorkEnsure(&d->colTa, &d->capta, wc * Ls));
    OdynDiffusionIm2Col_Private(d, s, X, d->cola);
    col = d->cola;
  }
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, d->Ka, d->ch, col, wc, 0.0, d->Za, d->ch);
  for (PetscInt k = 0; k < d->ch * Ls; k++) d->Za[k] = odyn_act_l(act, d->Za[k], lambda);
  if (d->w > 1) {
    OdynCallGemm('T', 'N', wc, Ls, d->ch, 1.0, d->Ka, d->ch, d->Za, d->ch, 0.0, d->colTa, wc);
    PetscCall(PetscArrayzero(F, layer->n * s));
    OdynDiffusionCol2ImAdd_Private(d, s, -tau, d->colTa, F);
  } else OdynCallGemm('T', 'N', wc, Ls, d->ch, -tau, d->Ka, d->ch, d->Za, d->ch, 0.0, F, wc);
  PetscFunctionReturn(0);
}

static PetscErrorCode Prepare(OdynLayer, const PetscScalar *, PetscInt, const PetscScalar *);

static PetscErrorCode OdynLayerLinearize_Diffusion(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X)
{
  OdynLayer_Diffusion *d  = (OdynLayer_Diffusion *)layer->data;
  const PetscInt       wc = d->w * d->c, Ls = d->L * s, nz = d->ch * Ls, act = (int)layer->activation;

  PetscFunctionBegin;
  PetscCall(Prepare(layer, theta, s, X));
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, d->Kt, d->ch, d->w == 1 ? X : d->col, wc, 0.0, d->P, d->ch);
  for (PetscInt k = 0; k < nz; k++) {
    const PetscScalar z = d->P[k];
    d->D[k]  = odyn_act_deriv_l(act, z, d->lambda);
    d->DL[k] = odyn_act_dlambda(act, z, d->lambda);
    d->P[k]  = odyn_act_l(act, z, d->lambda);
  }
  PetscFunctionReturn(0);
}

/* the saved linearization of a step is Phi, Phi' (and dPhi/dlambda with a contrast) at Z, twice (three times) the
   memory of a state per hidden channel: the GEMM and the activation are what cost; Kt, tau, lambda and col(X) are
   rebuilt from theta and X */
static PetscErrorCode OdynLayerLinSize_Diffusion(OdynLayer layer, PetscInt face, PetscInt s, PetscInt *len)
{
  OdynLayer_Diffusion *d = (OdynLayer_Diffusion *)layer->data;

  PetscFunctionBegin;
  *len = (HasContrast(layer) ? 3 : 2) * d->ch * d->L * s;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinSave_Diffusion(OdynLayer layer, PetscInt face, PetscScalar *buf)
{
  OdynLayer_Diffusion *d  = (OdynLayer_Diffusion *)layer->data;
  const PetscInt       nz = d->ch * d->L * d->s;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(buf, d->P, nz));
  PetscCall(PetscArraycpy(buf + nz, d->D, nz));
  if (HasContrast(layer)) PetscCall(PetscArraycpy(buf + 2 * nz, d->DL, nz));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinRestore_Diffusion(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, const PetscScalar *buf)
{
  OdynLayer_Diffusion *d  = (OdynLayer_Diffusion *)layer->data;
  const PetscInt       nz = d->ch * d->L * s;

  PetscFunctionBegin;
  PetscCall(Prepare(layer, theta, s, X));
  PetscCall(PetscArraycpy(d->P, buf, nz));
  PetscCall(PetscArraycpy(d->D, buf + nz, nz));
  if (HasContrast(layer)) PetscCall(PetscArraycpy(d->DL, buf + 2 * nz, nz));
  else PetscCall(PetscArrayzero(d->DL, nz)); /* dPhi/dlambda = 0 without a contrast */
  PetscFunctionReturn(0);
}

/* the part of a linearization that is cheap: Kt, R, dR/dK, tau, lambda, the buffers, col(X), the borrowed pointers */
static PetscErrorCode Prepare(OdynLayer layer, const PetscScalar *theta, PetscInt s, const PetscScalar *X)
{
  OdynLayer_Diffusion *d  = (OdynLayer_Diffusion *)layer->data;
  const PetscInt       wc = d->w * d->c, Ls = d->L * s, nz = d->ch * Ls;

  PetscFunctionBegin;
  PetscCall(Rescale(layer, d, theta, d->Kt, d->gR, &d->R));
  StepAndContrast(layer, d, theta, &d->tau, &d->dtau, &d->lambda);
  if (nz > d->capz || !d->P) {
    PetscCall(PetscFree4(d->P, d->D, d->DL, d->T));
    PetscCall(PetscMalloc4(PetscMax(nz, 1), &d->P, PetscMax(nz, 1), &d->D, PetscMax(nz, 1), &d->DL, PetscMax(nz, 1), &d->T));
    d->capz = nz;
  }
  if (wc * Ls > d->capcol || !d->colT) {
    PetscCall(PetscFree3(d->col, d->colV, d->colT));
    PetscCall(PetscMalloc3(PetscMax(wc * Ls, 1), &d->col, PetscMax(wc * Ls, 1), &d->colV, PetscMax(wc * Ls, 1), &d->colT));
    d->capcol = wc * Ls;
  }
  if (d->w > 1) OdynDiffusionIm2Col_Private(d, s, X, d->col);
  d->theta = theta;
  d->X     = X;
  d->s     = s;
  PetscFunctionReturn(0);
}

/* the im2col of a direction V (V itself when w = 1) */
static const PetscScalar *ColOf(OdynLayer_Diffusion *d, const PetscScalar *V)
{
  if (d->w == 1) return V;
  OdynDiffusionIm2Col_Private(d, d->s, V, d->colV);
  return d->colV;
}

/* out += beta * Kt^T T, through col2im for convolutions */
static PetscErrorCode KtTransposeAdd(OdynLayer_Diffusion *d, PetscScalar beta, const PetscScalar *Kmat, const PetscScalar *T, PetscScalar *out)
{
  const PetscInt wc = d->w * d->c, Ls = d->L * d->s;

  PetscFunctionBegin;
  if (d->w == 1) OdynCallGemm('T', 'N', wc, Ls, d->ch, beta, Kmat, d->ch, T, d->ch, 1.0, out, wc);
  else {
    OdynCallGemm('T', 'N', wc, Ls, d->ch, 1.0, Kmat, d->ch, T, d->ch, 0.0, d->colT, wc);
    OdynDiffusionCol2ImAdd_Private(d, d->s, beta, d->colT, out);
  }
  PetscFunctionReturn(0);
}

/* out += alpha dF/du V = -alpha tau Kt^T (D .* (Kt V)); symmetric, so it is also the transpose product */
static PetscErrorCode OdynLayerJacX_Diffusion(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *V, PetscScalar *out)
{
  OdynLayer_Diffusion *d  = (OdynLayer_Diffusion *)layer->data;
  const PetscInt       wc = d->w * d->c, Ls = d->L * d->s;

  PetscFunctionBegin;
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, d->Kt, d->ch, ColOf(d, V), wc, 0.0, d->T, d->ch);
  odyn_hadamard_inplace(d->ch * Ls, d->D, d->T);
  PetscCall(KtTransposeAdd(d, -alpha * d->tau, d->Kt, d->T, out));
  PetscFunctionReturn(0);
}

/*
   out += alpha dF/dtheta (dK, drho, deta):
     dKt = (dK - Kt <gR, dK>) / R,   dZ = dKt col(X),   dP = D .* dZ + DL lambda deta,
     dF  = -Kt^T (tau dP + dtau drho P) - tau dKt^T P
*/
static PetscErrorCode OdynLayerJacTheta_Diffusion(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *dtheta, PetscScalar *out)
{
  OdynLayer_Diffusion *d  = (OdynLayer_Diffusion *)layer->data;
  const PetscInt       wc = d->w * d->c, Ls = d->L * d->s, nz = d->ch * Ls;
  const PetscScalar    drho = dtheta[d->nk], deta = HasContrast(layer) ? dtheta[d->nk + 1] : 0.0;
  PetscScalar          dR = 0.0;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < d->nk; k++) dR += d->gR[k] * dtheta[k];
  for (PetscInt k = 0; k < d->nk; k++) d->dK[k] = (dtheta[k] - d->Kt[k] * dR) / d->R;
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, d->dK, d->ch, d->w == 1 ? d->X : d->col, wc, 0.0, d->T, d->ch);
  for (PetscInt k = 0; k < nz; k++) d->T[k] = d->tau * (d->D[k] * d->T[k] + d->DL[k] * d->lambda * deta) + d->dtau * drho * d->P[k];
  PetscCall(KtTransposeAdd(d, -alpha, d->Kt, d->T, out));
  PetscCall(KtTransposeAdd(d, -alpha * d->tau, d->dK, d->P, out));
  PetscFunctionReturn(0);
}

/*
   g += alpha (dF/dtheta)^T W, with Q = Kt col(W) and q = D .* Q:
     grho += -alpha dtau <P, Q>,  geta += -alpha tau lambda <DL, Q>,
     G = -alpha tau (P col(W)^T + q col(X)^T)  (the gradient w.r.t. Kt),  gK += G / R - (<G, Kt> / R) gR
*/
static PetscErrorCode OdynLayerJacThetaT_Diffusion(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *g)
{
  OdynLayer_Diffusion *d  = (OdynLayer_Diffusion *)layer->data;
  const PetscInt       wc = d->w * d->c, Ls = d->L * d->s, nz = d->ch * Ls;
  const PetscScalar   *colW = ColOf(d, W);
  PetscScalar          pq = 0.0, lq = 0.0, GK = 0.0;

  PetscFunctionBegin;
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, d->Kt, d->ch, colW, wc, 0.0, d->T, d->ch);
  for (PetscInt k = 0; k < nz; k++) {
    pq += d->P[k] * d->T[k];
    lq += d->DL[k] * d->T[k];
    d->T[k] *= d->D[k];
  }
  g[d->nk] += -alpha * d->dtau * pq;
  if (HasContrast(layer)) g[d->nk + 1] += -alpha * d->tau * d->lambda * lq;
  OdynCallGemm('N', 'T', d->ch, wc, Ls, -alpha * d->tau, d->P, d->ch, colW, wc, 0.0, d->dK, d->ch);
  OdynCallGemm('N', 'T', d->ch, wc, Ls, -alpha * d->tau, d->T, d->ch, d->w == 1 ? d->X : d->col, wc, 1.0, d->dK, d->ch);
  for (PetscInt k = 0; k < d->nk; k++) GK += d->dK[k] * d->Kt[k];
  for (PetscInt k = 0; k < d->nk; k++) g[k] += (d->dK[k] - GK * d->gR[k]) / d->R;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerView_Diffusion(OdynLayer layer, PetscViewer viewer)
{
  OdynLayer_Diffusion *d = (OdynLayer_Diffusion *)layer->data;

  PetscFunctionBegin;
  if (d->conv) PetscCall(PetscViewerASCIIPrintf(viewer, "1-D convolution, 3 taps, %s boundary: %" PetscInt_FMT " channel(s) -> %" PetscInt_FMT " hidden channel(s)%s\n", d->periodic ? "periodic" : "zero", d->cset ? d->cset : 1, d->chset ? d->chset : (d->cset ? d->cset : 1), layer->setupcalled ? "" : " (before setup)"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "tau = %g / (1 + exp(-rho)), K rescaled by its largest absolute row or column sum\n", (double)d->taumax));
  if (odyn_act_has_contrast((int)layer->activation)) PetscCall(PetscViewerASCIIPrintf(viewer, "contrast lambda = %g exp(eta)\n", (double)d->lambda0));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDestroy_Diffusion(OdynLayer layer)
{
  OdynLayer_Diffusion *d = (OdynLayer_Diffusion *)layer->data;

  PetscFunctionBegin;
  PetscCall(PetscFree3(d->Kt, d->gR, d->dK));
  PetscCall(PetscFree3(d->col, d->colV, d->colT));
  PetscCall(PetscFree4(d->P, d->D, d->DL, d->T));
  PetscCall(PetscFree(d->Ka));
  PetscCall(PetscFree(d->cola));
  PetscCall(PetscFree(d->colTa));
  PetscCall(PetscFree(d->Za));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerDiffusionSetTauMax_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerDiffusionGetStepAndContrast_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerDiffusionSetContrast_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerDiffusionSetChannels_C", NULL));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerDiffusionSetPeriodic_C", NULL));
  PetscCall(PetscFree(layer->data));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDiffusionSetTauMax_Diffusion(OdynLayer layer, PetscReal taumax)
{
  PetscFunctionBegin;
  PetscCheck(taumax > 0 && !PetscIsInfOrNanReal(taumax), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "The largest diffusion step tau_max must be positive and finite (-odyn_layer_diffusion_tau_max), got %g", (double)taumax);
  ((OdynLayer_Diffusion *)layer->data)->taumax = taumax;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDiffusionSetContrast_Diffusion(OdynLayer layer, PetscReal lambda0)
{
  PetscFunctionBegin;
  PetscCheck(lambda0 > 0 && !PetscIsInfOrNanReal(lambda0), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "The contrast must be positive and finite (-odyn_layer_diffusion_contrast), got %g", (double)lambda0);
  ((OdynLayer_Diffusion *)layer->data)->lambda0 = lambda0;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDiffusionGetStepAndContrast_Diffusion(OdynLayer layer, const PetscScalar theta[], PetscReal *tau, PetscReal *lambda)
{
  PetscReal t, l;

  PetscFunctionBegin;
  PetscCall(OdynLayerSetUp(layer));
  StepAndContrast(layer, (OdynLayer_Diffusion *)layer->data, theta, &t, NULL, &l);
  if (tau) *tau = t;
  if (lambda) *lambda = l;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynLayerDiffusionSetOptions_Private(OdynLayer layer, PetscOptionItems *PetscOptionsObject)
{
  OdynLayer_Diffusion *d = (OdynLayer_Diffusion *)layer->data;
  PetscReal            taumax = d->taumax, lambda0 = d->lambda0;
  PetscBool            flg, flg2;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "OdynLayer diffusion options");
  PetscCall(PetscOptionsReal("-odyn_layer_diffusion_tau_max", "Largest diffusion step: tau = tau_max / (1 + exp(-rho)); stable for h tau_max <= 2", "OdynLayerDiffusionSetTauMax", taumax, &taumax, &flg));
  PetscCall(PetscOptionsReal("-odyn_layer_diffusion_contrast", "Contrast at eta = 0: lambda = contrast * exp(eta) (charbonnier, peronamalik)", "OdynLayerDiffusionSetContrast", lambda0, &lambda0, &flg2));
  PetscOptionsHeadEnd();
  /* bad values are refused by setup, outside the options block */
  if (flg) d->taumax = taumax;
  if (flg2) d->lambda0 = lambda0;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynLayerDiffusionSettings_Private(OdynLayer layer, char buf[], size_t len)
{
  OdynLayer_Diffusion *d = (OdynLayer_Diffusion *)layer->data;

  PetscFunctionBegin;
  PetscCall(OdynSettingsAppend(buf, len, "-odyn_layer_diffusion_tau_max %.17g -odyn_layer_diffusion_contrast %.17g", (double)d->taumax, (double)d->lambda0));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSetFromOptions_Diffusion(OdynLayer layer, PetscOptionItems *PetscOptionsObject)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerDiffusionSetOptions_Private(layer, PetscOptionsObject));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynLayerDiffusionSetOps_Private(OdynLayer layer, OdynLayer_Diffusion *d)
{
  PetscFunctionBegin;
  d->taumax                 = 2.0 / ODYN_PW_LIPSCHITZ;
  d->lambda0                = 1.0;
  d->periodic               = PETSC_TRUE;
  layer->data               = d;
  layer->ops->setup         = OdynLayerSetUp_Diffusion;
  layer->ops->apply         = OdynLayerApply_Diffusion;
  layer->ops->linearize     = OdynLayerLinearize_Diffusion;
  layer->ops->jacx          = OdynLayerJacX_Diffusion;
  layer->ops->jactheta      = OdynLayerJacTheta_Diffusion;
  layer->ops->jacxt         = OdynLayerJacX_Diffusion;
  layer->ops->jacthetat     = OdynLayerJacThetaT_Diffusion;
  layer->ops->view          = OdynLayerView_Diffusion;
  layer->ops->destroy       = OdynLayerDestroy_Diffusion;
  layer->ops->setfromoptions = OdynLayerSetFromOptions_Diffusion;
  layer->ops->settings      = OdynLayerDiffusionSettings_Private;
  layer->ops->linsize       = OdynLayerLinSize_Diffusion;
  layer->ops->linsave       = OdynLayerLinSave_Diffusion;
  layer->ops->linrestore    = OdynLayerLinRestore_Diffusion;
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerDiffusionSetTauMax_C", OdynLayerDiffusionSetTauMax_Diffusion));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerDiffusionGetStepAndContrast_C", OdynLayerDiffusionGetStepAndContrast_Diffusion));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerDiffusionSetContrast_C", OdynLayerDiffusionSetContrast_Diffusion));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLayerCreate_Diffusion(OdynLayer layer)
{
  OdynLayer_Diffusion *d;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  PetscCall(OdynLayerDiffusionSetOps_Private(layer, d));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerDiffusionSetTauMax - sets the largest diffusion step of a diffusion layer: tau = tau_max / (1 + exp(-rho))

   Logically Collective

   Input Parameters:
+  layer - a diffusion or diffusionconv layer (other types ignore this)
-  taumax - the bound; the default 2 / L_Phi = 2 keeps u - h tau Kt^T Phi(Kt u) Euclidean stable for h <= 1

   Options Database Key:
.  -odyn_layer_diffusion_tau_max <2> - the bound

   Level: intermediate

   Notes:
   Paper 002 eq. 14: stable when h tau <= 2 / (L_Phi ||Kt||^2), and ||Kt|| <= 1 by the row-sum rescaling.

.seealso: `ODYNLAYERDIFFUSION`, `OdynLayerDiffusionGetStepAndContrast()`
@*/
PetscErrorCode OdynLayerDiffusionSetTauMax(OdynLayer layer, PetscReal taumax)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscTryMethod(layer, "OdynLayerDiffusionSetTauMax_C", (OdynLayer, PetscReal), (layer, taumax));
  PetscFunctionReturn(0);
}

/*@C
   OdynLayerDiffusionGetStepAndContrast - the step tau and contrast lambda that the parameters of one step encode

   Not Collective

   Input Parameters:
+  layer - a diffusion or diffusionconv layer
-  theta - the layer's parameters of one step

   Output Parameters:
+  tau - the diffusion step, in (0, tau_max)
-  lambda - the contrast (1 for activations without one)

   Level: intermediate

.seealso: `ODYNLAYERDIFFUSION`, `OdynLayerDiffusionSetTauMax()`
@*/
PetscErrorCode OdynLayerDiffusionGetStepAndContrast(OdynLayer layer, const PetscScalar theta[], PetscReal *tau, PetscReal *lambda)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscUseMethod(layer, "OdynLayerDiffusionGetStepAndContrast_C", (OdynLayer, const PetscScalar[], PetscReal *, PetscReal *), (layer, theta, tau, lambda));
  PetscFunctionReturn(0);
}

/*@
   OdynLayerDiffusionSetContrast - sets the reference contrast lambda0 of a diffusion layer: lambda = lambda0 exp(eta)

   Logically Collective

   Input Parameters:
+  layer - a diffusion or diffusionconv layer with a charbonnier or peronamalik activation (others ignore this)
-  lambda0 - the contrast at eta = 0, > 0 (default 1)

   Options Database Key:
.  -odyn_layer_diffusion_contrast <1> - lambda0

   Level: intermediate

   Notes:
   Parameters are usually initialized near 0, so lambda starts near lambda0. A Perona-Malik flux far below the
   signal's differences is ~0 there, and so is its gradient: start lambda at the scale of the differences to be kept
   (paper 002 starts at 15 for its noisy 1-D signals).

.seealso: `ODYNLAYERDIFFUSION`, `OdynLayerDiffusionGetStepAndContrast()`
@*/
PetscErrorCode OdynLayerDiffusionSetContrast(OdynLayer layer, PetscReal lambda0)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(layer, ODYNLAYER_CLASSID, 1);
  PetscTryMethod(layer, "OdynLayerDiffusionSetContrast_C", (OdynLayer, PetscReal), (layer, lambda0));
  PetscFunctionReturn(0);
}
