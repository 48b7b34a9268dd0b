#include "diffusion.h"
#include <odyn/private/pointwise.h>
#include <odyn/private/backend.h>

/*MC
   ODYNLAYERDIFFUSIONCONVRES - "diffusionconvres": the 1-D convolutional ResNet block of paper 002 (Sec. 3-4, 7.1),
   the two-kernel counterpart of ODYNLAYERDIFFUSIONCONV

     F(theta, u) = tau K2 Phi_lambda(K1 u)

   with K1 and K2 two independent multi-channel 3-tap 1-D convolutions on the grid of ODYNLAYERDIFFUSIONCONV (length
   L = n / c, c channels fastest, -odyn_layer_diffusion_channels, -odyn_layer_diffusion_hidden_channels,
   -odyn_layer_diffusion_boundary). K1 maps c channels to ch hidden channels exactly as K of diffusionconv; K2 maps the
   ch hidden channels back to c and is stored in the same ch x 3c layout, applied as the adjoint convolution
   (correlation with the flipped taps): F = tau K2^T Phi(K1 u) in the notation of diffusionconv. Every 3-tap
   convolution from ch to c channels is the adjoint of one from c to ch, so K2 is a general kernel; the layout makes
   the symmetric block the special case K2 = -K1 (diffusionconv with R(K1) = 1 is exactly this layer at K2 = -K1, which
   the tests check).

   Unlike diffusionconv, nothing is rescaled: a general ResNet has no a priori stability to keep (paper 002 Sec. 3.3),
   so the kernels are used as they are. tau = tau_max / (1 + exp(-rho)) and lambda = lambda0 exp(eta) are learned as in
   diffusionconv (same options -odyn_layer_diffusion_tau_max, -odyn_layer_diffusion_contrast), so that both blocks
   start from the same step and contrast; tau is redundant with the scale of K2 but costs one parameter. No biases
   (paper 002's ResNet has b1, b2): Phi(0) = 0 like the symmetric block it is compared with.

   Parameters of one step: theta_j = [K1 (ch x 3c, column-major, column t c + a is tap t of input channel a), K2 (same
   shape), rho, eta] (eta only for charbonnier and peronamalik). nparam = 6 c ch + 1 (+ 1): one channel, 8 per step
   with a contrast against 5 for diffusionconv (paper 002: "about twice the parameters").

   Level: intermediate

.seealso: `ODYNLAYERDIFFUSIONCONV`, `OdynLayerDiffusionSetChannels()`, `OdynLayerDiffusionSetPeriodic()`
M*/

typedef struct {
  OdynLayer_Diffusion base; /* first: the geometry and tau_max, lambda0, read by the shared diffusion options */
  /* linearization: Z = K1 col(X), P = Phi(Z), D = Phi'(Z), DL = dPhi/dlambda(Z) (ch x L s each) */
  const PetscScalar *K1, *K2, *X;
  PetscInt           s;
  PetscReal          tau, dtau, lambda;
  PetscScalar       *col, *colV, *colT, *P, *D, *DL, *T;
  PetscInt           capcol, capcolV, capcolT, capP, capD, capDL, capT;
  /* apply scratch, apart from the linearization */
  PetscScalar *cola, *Za, *colTa;
  PetscInt     capca, capza, capta;
} OdynLayer_DiffusionConvRes;

static inline PetscBool HasContrast(OdynLayer layer) { return odyn_act_has_contrast((int)layer->activation) ? PETSC_TRUE : PETSC_FALSE; }

static PetscErrorCode OdynLayerSetUp_DiffusionConvRes(OdynLayer layer)
{
  OdynLayer_DiffusionConvRes *r = (OdynLayer_DiffusionConvRes *)layer->data;
  OdynLayer_Diffusion        *d = &r->base;

  PetscFunctionBegin;
  PetscCheck(d->taumax > 0 && !PetscIsInfOrNanReal(d->taumax), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: the largest step tau_max (-odyn_layer_diffusion_tau_max) must be positive and finite, got %g", ((PetscObject)layer)->type_name, (double)d->taumax);
  PetscCheck(d->lambda0 > 0 && !PetscIsInfOrNanReal(d->lambda0), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: the contrast (-odyn_layer_diffusion_contrast) must be positive and finite, got %g", ((PetscObject)layer)->type_name, (double)d->lambda0);
  PetscCheck(d->cset >= 0 && d->chset >= 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: channels (-odyn_layer_diffusion_channels, -odyn_layer_diffusion_hidden_channels) must be >= 0 (0: the default), got %" PetscInt_FMT " and %" PetscInt_FMT, ((PetscObject)layer)->type_name, d->cset, d->chset);
  d->c = d->cset ? d->cset : 1;
  PetscCheck(layer->n % d->c == 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_INCOMP, "Layer %s: the width %" PetscInt_FMT " must be a multiple of the number of channels %" PetscInt_FMT " (-odyn_layer_diffusion_channels)", ((PetscObject)layer)->type_name, layer->n, d->c);
  d->L          = layer->n / d->c;
  d->w          = 3;
  d->ch         = d->chset ? d->chset : d->c;
  d->nk         = d->ch * d->w * d->c;
  layer->nparam = 2 * d->nk + 1 + (HasContrast(layer) ? 1 : 0);
  PetscFunctionReturn(0);
}

/* tau, dtau/drho and lambda from this layer's rho, eta (after the two kernels) */
static void StepAndContrast(OdynLayer layer, const OdynLayer_Diffusion *d, const PetscScalar *theta, PetscReal *tau, PetscReal *dtau, PetscReal *lambda)
{
  OdynDiffusionStepAndContrast_Private(layer, d, theta + 2 * d->nk, tau, dtau, lambda); /* theta = [K1, K2, rho, eta] */
}

/* out += beta col2im(Kmat^T T): the adjoint convolution of the ch x 3c kernel Kmat applied to T (ch x L s) */
static PetscErrorCode AdjConvAdd(OdynLayer_DiffusionConvRes *r, PetscInt s, PetscScalar beta, const PetscScalar *Kmat, const PetscScalar *T, PetscScalar *colT, PetscScalar *out)
{
  const OdynLayer_Diffusion *d = &r->base;

  PetscFunctionBegin;
  OdynCallGemm('T', 'N', 3 * d->c, d->L * s, d->ch, 1.0, Kmat, d->ch, T, d->ch, 0.0, colT, 3 * d->c);
  OdynDiffusionCol2ImAdd_Private(d, s, beta, colT, out);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerApply_DiffusionConvRes(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *F)
{
  OdynLayer_DiffusionConvRes *r  = (OdynLayer_DiffusionConvRes *)layer->data;
  OdynLayer_Diffusion        *d  = &r->base;
  const PetscInt              wc = 3 * d->c, Ls = d->L * s, act = (int)layer->activation;
  PetscReal                   tau, lambda;

  PetscFunctionBegin;
  /* own scratch: apply may run between a linearization and its products */
  StepAndContrast(layer, d, theta, &tau, NULL, &lambda);
  PetscCall(OdynWorkEnsure(&r->cola, &r->capca, wc * Ls));
  PetscCall(OdynWorkEnsure(&r->colTa, &r->capta, wc * Ls));
  PetscCall(OdynWorkEnsure(&r->Za, &r->capza, d->ch * Ls));
  OdynDiffusionIm2Col_Private(d, s, X, r->cola);
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, theta, d->ch, r->cola, wc, 0.0, r->Za, d->ch);
  for (PetscInt k = 0; k < d->ch * Ls; k++) r->Za[k] = odyn_act_l(act, r->Za[k], lambda);
  PetscCall(PetscArrayzero(F, layer->n * s));
  PetscCall(AdjConvAdd(r, s, tau, theta + d->nk, r->Za, r->colTa, F));
  PetscFunctionReturn(0);
}

/* the cheap part of a linearization: tau, lambda, the buffers, col(X), the borrowed pointers */
static PetscErrorCode Prepare(OdynLayer layer, const PetscScalar *theta, PetscInt s, const PetscScalar *X)
{
  OdynLayer_DiffusionConvRes *r  = (OdynLayer_DiffusionConvRes *)layer->data;
  OdynLayer_Diffusion        *d  = &r->base;
  const PetscInt              wc = 3 * d->c, Ls = d->L * s, nz = d->ch * Ls;

  PetscFunctionBegin;
  StepAndContrast(layer, d, theta, &r->tau, &r->dtau, &r->lambda);
  PetscCall(OdynWorkEnsure(&r->col, &r->capcol, wc * Ls));
  PetscCall(OdynWorkEnsure(&r->colV, &r->capcolV, wc * Ls));
  PetscCall(OdynWorkEnsure(&r->colT, &r->capcolT, wc * Ls));
  PetscCall(OdynWorkEnsure(&r->P, &r->capP, nz));
  PetscCall(OdynWorkEnsure(&r->D, &r->capD, nz));
  PetscCall(OdynWorkEnsure(&r->DL, &r->capDL, nz));
  PetscCall(OdynWorkEnsure(&r->T, &r->capT, nz));
  OdynDiffusionIm2Col_Private(d, s, X, r->col);
  r->K1 = theta;
  r->K2 = theta + d->nk;
  r->X  = X;
  r->s  = s;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinearize_DiffusionConvRes(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X)
{
  OdynLayer_DiffusionConvRes *r  = (OdynLayer_DiffusionConvRes *)layer->data;
  OdynLayer_Diffusion        *d  = &r->base;
  const PetscInt              wc = 3 * d->c, Ls = d->L * s, nz = d->ch * Ls, act = (int)layer->activation;

  PetscFunctionBegin;
  PetscCall(Prepare(layer, theta, s, X));
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, r->K1, d->ch, r->col, wc, 0.0, r->P, d->ch);
  for (PetscInt k = 0; k < nz; k++) {
    const PetscScalar z = r->P[k];
    r->D[k]  = odyn_act_deriv_l(act, z, r->lambda);
    r->DL[k] = odyn_act_dlambda(act, z, r->lambda);
    r->P[k]  = odyn_act_l(act, z, r->lambda);
  }
  PetscFunctionReturn(0);
}

/* the saved linearization: Phi, Phi' (and dPhi/dlambda with a contrast) at Z; tau, lambda and col(X) are rebuilt */
static PetscErrorCode OdynLayerLinSize_DiffusionConvRes(OdynLayer layer, PetscInt face, PetscInt s, PetscInt *len)
{
  OdynLayer_Diffusion *d = &((OdynLayer_DiffusionConvRes *)layer->data)->base;

  PetscFunctionBegin;
  *len = (HasContrast(layer) ? 3 : 2) * d->ch * d->L * s;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinSave_DiffusionConvRes(OdynLayer layer, PetscInt face, PetscScalar *buf)
{
  OdynLayer_DiffusionConvRes *r  = (OdynLayer_DiffusionConvRes *)layer->data;
  const PetscInt              nz = r->base.ch * r->base.L * r->s;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(buf, r->P, nz));
  PetscCall(PetscArraycpy(buf + nz, r->D, nz));
  if (HasContrast(layer)) PetscCall(PetscArraycpy(buf + 2 * nz, r->DL, nz));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinRestore_DiffusionConvRes(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, const PetscScalar *buf)
{
  OdynLayer_DiffusionConvRes *r  = (OdynLayer_DiffusionConvRes *)layer->data;
  const PetscInt              nz = r->base.ch * r->base.L * s;

  PetscFunctionBegin;
  PetscCall(Prepare(layer, theta, s, X));
  PetscCall(PetscArraycpy(r->P, buf, nz));
  PetscCall(PetscArraycpy(r->D, buf + nz, nz));
  if (HasContrast(layer)) PetscCall(PetscArraycpy(r->DL, buf + 2 * nz, nz));
  else PetscCall(PetscArrayzero(r->DL, nz)); /* dPhi/dlambda = 0 without a contrast */
  PetscFunctionReturn(0);
}

/* out += alpha dF/du V = alpha tau K2^T (D .* (K1 col(V))) */
static PetscErrorCode OdynLayerJacX_DiffusionConvRes(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *V, PetscScalar *out)
{
  OdynLayer_DiffusionConvRes *r  = (OdynLayer_DiffusionConvRes *)layer->data;
  OdynLayer_Diffusion        *d  = &r->base;
  const PetscInt              wc = 3 * d->c, Ls = d->L * r->s;

  PetscFunctionBegin;
  OdynDiffusionIm2Col_Private(d, r->s, V, r->colV);
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, r->K1, d->ch, r->colV, wc, 0.0, r->T, d->ch);
  odyn_hadamard_inplace(d->ch * Ls, r->D, r->T);
  PetscCall(AdjConvAdd(r, r->s, alpha * r->tau, r->K2, r->T, r->colT, out));
  PetscFunctionReturn(0);
}

/* out += alpha (dF/du)^T W = alpha tau K1^T (D .* (K2 col(W))): the two kernels swap, unlike the symmetric block */
static PetscErrorCode OdynLayerJacXT_DiffusionConvRes(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *out)
{
  OdynLayer_DiffusionConvRes *r  = (OdynLayer_DiffusionConvRes *)layer->data;
  OdynLayer_Diffusion        *d  = &r->base;
  const PetscInt              wc = 3 * d->c, Ls = d->L * r->s;

  PetscFunctionBegin;
  OdynDiffusionIm2Col_Private(d, r->s, W, r->colV);
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, r->K2, d->ch, r->colV, wc, 0.0, r->T, d->ch);
  odyn_hadamard_inplace(d->ch * Ls, r->D, r->T);
  PetscCall(AdjConvAdd(r, r->s, alpha * r->tau, r->K1, r->T, r->colT, out));
  PetscFunctionReturn(0);
}

/*
   out += alpha dF/dtheta (dK1, dK2, drho, deta):
     dF = K2^T (tau (D .* (dK1 col(X)) + DL lambda deta) + dtau drho P) + tau dK2^T P
*/
static PetscErrorCode OdynLayerJacTheta_DiffusionConvRes(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *dtheta, PetscScalar *out)
{
  OdynLayer_DiffusionConvRes *r    = (OdynLayer_DiffusionConvRes *)layer->data;
  OdynLayer_Diffusion        *d    = &r->base;
  const PetscInt              wc   = 3 * d->c, Ls = d->L * r->s, nz = d->ch * Ls;
  const PetscScalar           drho = dtheta[2 * d->nk], deta = HasContrast(layer) ? dtheta[2 * d->nk + 1] : 0.0;

  PetscFunctionBegin;
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, dtheta, d->ch, r->col, wc, 0.0, r->T, d->ch);
  for (PetscInt k = 0; k < nz; k++) r->T[k] = r->tau * (r->D[k] * r->T[k] + r->DL[k] * r->lambda * deta) + r->dtau * drho * r->P[k];
  PetscCall(AdjConvAdd(r, r->s, alpha, r->K2, r->T, r->colT, out));
  PetscCall(AdjConvAdd(r, r->s, alpha * r->tau, dtheta + d->nk, r->P, r->colT, out));
  PetscFunctionReturn(0);
}

/*
   g += alpha (dF/dtheta)^T W, with Q = K2 col(W):
     gK1 += alpha tau (D .* Q) col(X)^T,  gK2 += alpha tau P col(W)^T,
     grho += alpha dtau <P, Q>,  geta += alpha tau lambda <DL, Q>
*/
static PetscErrorCode OdynLayerJacThetaT_DiffusionConvRes(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *g)
{
  OdynLayer_DiffusionConvRes *r  = (OdynLayer_DiffusionConvRes *)layer->data;
  OdynLayer_Diffusion        *d  = &r->base;
  const PetscInt              wc = 3 * d->c, Ls = d->L * r->s, nz = d->ch * Ls;
  PetscScalar                 pq = 0.0, lq = 0.0;

  PetscFunctionBegin;
  OdynDiffusionIm2Col_Private(d, r->s, W, r->colV);
  OdynCallGemm('N', 'N', d->ch, Ls, wc, 1.0, r->K2, d->ch, r->colV, wc, 0.0, r->T, d->ch);
  for (PetscInt k = 0; k < nz; k++) {
    pq += r->P[k] * r->T[k];
    lq += r->DL[k] * r->T[k];
    r->T[k] *= r->D[k];
  }
  g[2 * d->nk] += alpha * r->dtau * pq;
  if (HasContrast(layer)) g[2 * d->nk + 1] += alpha * r->tau * r->lambda * lq;
  OdynCallGemm('N', 'T', d->ch, wc, Ls, alpha * r->tau, r->T, d->ch, r->col, wc, 1.0, g, d->ch);
  OdynCallGemm('N', 'T', d->ch, wc, Ls, alpha * r->tau, r->P, d->ch, r->colV, wc, 1.0, g + d->nk, d->ch);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerView_DiffusionConvRes(OdynLayer layer, PetscViewer viewer)
{
  OdynLayer_Diffusion *d = &((OdynLayer_DiffusionConvRes *)layer->data)->base;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "ResNet block tau K2 Phi(K1 u), two 1-D convolutions, 3 taps, %s boundary: %" PetscInt_FMT " channel(s) -> %" PetscInt_FMT " hidden channel(s)%s\n", d->periodic ? "periodic" : "zero", d->cset ? d->cset : 1, d->chset ? d->chset : (d->cset ? d->cset : 1), layer->setupcalled ? "" : " (before setup)"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "tau = %g / (1 + exp(-rho)), kernels not rescaled\n", (double)d->taumax));
  if (HasContrast(layer)) PetscCall(PetscViewerASCIIPrintf(viewer, "contrast lambda = %g exp(eta)\n", (double)d->lambda0));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSetFromOptions_DiffusionConvRes(OdynLayer layer, PetscOptionItems *PetscOptionsObject)
{
  OdynLayer_Diffusion *d     = &((OdynLayer_DiffusionConvRes *)layer->data)->base;
  const char *const    bcs[] = {"periodic", "zero"};
  PetscInt             c = d->cset, ch = d->chset, bc = d->periodic ? 0 : 1;

  PetscFunctionBegin;
  PetscCall(OdynLayerDiffusionSetOptions_Private(layer, PetscOptionsObject)); /* tau_max, contrast: base is first */
  PetscOptionsHeadBegin(PetscOptionsObject, "OdynLayer diffusionconvres options");
  PetscCall(PetscOptionsInt("-odyn_layer_diffusion_channels", "Channels c of the signal (the width is c times the length)", "OdynLayerDiffusionSetChannels", c, &c, NULL));
  PetscCall(PetscOptionsInt("-odyn_layer_diffusion_hidden_channels", "Output channels of K1 (0: c)", "OdynLayerDiffusionSetChannels", ch, &ch, NULL));
  PetscCall(PetscOptionsEList("-odyn_layer_diffusion_boundary", "Boundary of the 1-D convolutions", "OdynLayerDiffusionSetPeriodic", bcs, 2, bcs[bc], &bc, NULL));
  PetscOptionsHeadEnd();
  /* checked by setup: an error raised inside the options block would leak it */
  d->cset     = c;
  d->chset    = ch;
  d->periodic = bc == 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSettings_DiffusionConvRes(OdynLayer layer, char buf[], size_t len)
{
  OdynLayer_Diffusion *d = &((OdynLayer_DiffusionConvRes *)layer->data)->base;

  PetscFunctionBegin;
  PetscCall(OdynLayerDiffusionSettings_Private(layer, buf, len));
  PetscCall(OdynSettingsAppend(buf, len, "-odyn_layer_diffusion_channels %" PetscInt_FMT " -odyn_layer_diffusion_hidden_channels %" PetscInt_FMT " -odyn_layer_diffusion_boundary %s", d->cset, d->chset, d->periodic ? "periodic" : "zero"));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDiffusionSetChannels_ConvRes(OdynLayer layer, PetscInt c, PetscInt ch)
{
  OdynLayer_Diffusion *d = &((OdynLayer_DiffusionConvRes *)layer->data)->base;

  PetscFunctionBegin;
  PetscCheck(c >= 0 && ch >= 0, PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "Channels must be >= 0 (0: the default), got %" PetscInt_FMT " and %" PetscInt_FMT, c, ch);
  d->cset            = c;
  d->chset           = ch;
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDiffusionSetPeriodic_ConvRes(OdynLayer layer, PetscBool periodic)
{
  PetscFunctionBegin;
  ((OdynLayer_DiffusionConvRes *)layer->data)->base.periodic = periodic;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDiffusionSetTauMax_ConvRes(OdynLayer layer, PetscReal taumax)
{
  PetscFunctionBegin;
  PetscCheck(taumax > 0 && !PetscIsInfOrNanReal(taumax), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "The largest step tau_max must be positive and finite (-odyn_layer_diffusion_tau_max), got %g", (double)taumax);
  ((OdynLayer_DiffusionConvRes *)layer->data)->base.taumax = taumax;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDiffusionSetContrast_ConvRes(OdynLayer layer, PetscReal lambda0)
{
  PetscFunctionBegin;
  PetscCheck(lambda0 > 0 && !PetscIsInfOrNanReal(lambda0), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "The contrast must be positive and finite (-odyn_layer_diffusion_contrast), got %g", (double)lambda0);
  ((OdynLayer_DiffusionConvRes *)layer->data)->base.lambda0 = lambda0;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDiffusionGetStepAndContrast_ConvRes(OdynLayer layer, const PetscScalar theta[], PetscReal *tau, PetscReal *lambda)
{
  PetscReal t, l;

  PetscFunctionBegin;
  PetscCall(OdynLayerSetUp(layer));
  StepAndContrast(layer, &((OdynLayer_DiffusionConvRes *)layer->data)->base, theta, &t, NULL, &l);
  if (tau) *tau = t;
  if (lambda) *lambda = l;
  PetscFunctionReturn(0);
}

static const char *const ComposedNames[] = {"OdynLayerDiffusionSetChannels_C", "OdynLayerDiffusionSetPeriodic_C", "OdynLayerDiffusionSetTauMax_C", "OdynLayerDiffusionSetContrast_C", "OdynLayerDiffusionGetStepAndContrast_C"};

static PetscErrorCode OdynLayerDestroy_DiffusionConvRes(OdynLayer layer)
{
  OdynLayer_DiffusionConvRes *r = (OdynLayer_DiffusionConvRes *)layer->data;

  PetscFunctionBegin;
  PetscCall(PetscFree(r->col));
  PetscCall(PetscFree(r->colV));
  PetscCall(PetscFree(r->colT));
  PetscCall(PetscFree(r->P));
  PetscCall(PetscFree(r->D));
  PetscCall(PetscFree(r->DL));
  PetscCall(PetscFree(r->T));
  PetscCall(PetscFree(r->cola));
  PetscCall(PetscFree(r->Za));
  PetscCall(PetscFree(r->colTa));
  for (size_t i = 0; i < sizeof(ComposedNames) / sizeof(ComposedNames[0]); i++) PetscCall(PetscObjectComposeFunction((PetscObject)layer, ComposedNames[i], NULL));
  PetscCall(PetscFree(layer->data));
  PetscFunctionReturn(0);
}

PETSC_INTERN PetscErrorCode OdynLayerCreate_DiffusionConvRes(OdynLayer layer)
{
  OdynLayer_DiffusionConvRes *r;

  PetscFunctionBegin;
  PetscCall(PetscNew(&r));
  r->base.conv               = PETSC_TRUE;
  r->base.taumax             = 2.0 / ODYN_PW_LIPSCHITZ; /* tau starts at 1 (rho = 0) like diffusionconv */
  r->base.lambda0            = 1.0;
  r->base.periodic           = PETSC_TRUE;
  layer->data                = r;
  layer->ops->setup          = OdynLayerSetUp_DiffusionConvRes;
  layer->ops->apply          = OdynLayerApply_DiffusionConvRes;
  layer->ops->linearize      = OdynLayerLinearize_DiffusionConvRes;
  layer->ops->jacx           = OdynLayerJacX_DiffusionConvRes;
  layer->ops->jactheta       = OdynLayerJacTheta_DiffusionConvRes;
  layer->ops->jacxt          = OdynLayerJacXT_DiffusionConvRes;
  layer->ops->jacthetat      = OdynLayerJacThetaT_DiffusionConvRes;
  layer->ops->linsize        = OdynLayerLinSize_DiffusionConvRes;
  layer->ops->linsave        = OdynLayerLinSave_DiffusionConvRes;
  layer->ops->linrestore     = OdynLayerLinRestore_DiffusionConvRes;
  layer->ops->view           = OdynLayerView_DiffusionConvRes;
  layer->ops->destroy        = OdynLayerDestroy_DiffusionConvRes;
  layer->ops->setfromoptions = OdynLayerSetFromOptions_DiffusionConvRes;
  layer->ops->settings       = OdynLayerSettings_DiffusionConvRes;
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, ComposedNames[0], OdynLayerDiffusionSetChannels_ConvRes));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, ComposedNames[1], OdynLayerDiffusionSetPeriodic_ConvRes));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, ComposedNames[2], OdynLayerDiffusionSetTauMax_ConvRes));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, ComposedNames[3], OdynLayerDiffusionSetContrast_ConvRes));
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, ComposedNames[4], OdynLayerDiffusionGetStepAndContrast_ConvRes));
  PetscFunctionReturn(0);
}
