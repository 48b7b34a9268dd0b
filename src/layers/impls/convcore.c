#include "convcore.h"

/* Derivations of the products: docs/cnn.md. All sizes below are per example; s multiplies them. */

#define ODYN_CONV_HW(cv) ((cv)->hh * (cv)->ww)

/*
   The image in use (hh x ww) and the state's width c h w, from the image size when one is set, else from the width
   (a 1-D signal of n / c pixels per channel); shared by every layer with the conv layers' state layout (globalavg.c)
*/
PetscErrorCode OdynLayerConvSetUpImage_Private(OdynLayer layer, OdynLayer_Conv *cv)
{
  const char *name = ((PetscObject)layer)->type_name;
  const PetscInt c = cv->c;
  MPI_Comm    comm = PetscObjectComm((PetscObject)layer);

  PetscFunctionBegin;
  PetscCheck(c >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: the number of channels (-odyn_layer_channels) must be >= 1, got %" PetscInt_FMT, name, c);
  if (cv->h > 0 || cv->w > 0) {
    PetscCheck(cv->h > 0 && cv->w > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: the image size (-odyn_layer_image h,w) must be positive, got %" PetscInt_FMT " x %" PetscInt_FMT, name, cv->h, cv->w);
    cv->hh   = cv->h;
    cv->ww   = cv->w;
    layer->n = c * cv->h * cv->w; /* the width of the state follows from the image */
  } else {
    /* no image given: the state of width n is a 1-D signal of n / c pixels per channel */
    PetscCheck(layer->n % c == 0, comm, PETSC_ERR_ARG_SIZ, "Layer %s: width %" PetscInt_FMT " is not a multiple of the %" PetscInt_FMT " channels; set the image size with -odyn_layer_image h,w (OdynLayerConvSetImage())", name, layer->n, c);
    cv->hh = layer->n / c;
    cv->ww = 1;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSetUp_Conv(OdynLayer layer)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  const char     *name = ((PetscObject)layer)->type_name;
  PetscInt        hw, c = cv->c, m, off, nmaxk = 0;
  MPI_Comm        comm = PetscObjectComm((PetscObject)layer);

  PetscFunctionBegin;
  PetscCheck(cv->k >= 1 && cv->k % 2 == 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: the stencil size (-odyn_layer_conv_kernel) must be odd and >= 1, got %" PetscInt_FMT, name, cv->k);
  PetscCheck(!odyn_conv_method_from_env(), comm, PETSC_ERR_ARG_WRONG, "Layer %s: the environment variable ODYN_CONV_METHOD must be auto, direct or gemm, got \"%s\"", name, getenv("ODYN_CONV_METHOD"));
  PetscCheck(!cv->tvnorm || (cv->eps > 0 && !PetscIsInfOrNanReal(cv->eps)), comm, PETSC_ERR_ARG_OUTOFRANGE, "Layer %s: -odyn_layer_tvnorm_eps must be positive, got %g", name, (double)cv->eps);
  PetscCall(OdynLayerConvSetUpImage_Private(layer, cv));
  hw      = ODYN_CONV_HW(cv);
  m       = cv->c2 ? cv->c2 : c;
  cv->cc2 = m;
  PetscCheck(!cv->pool || cv->variant == ODYN_CONV_PLAIN, comm, PETSC_ERR_ARG_INCOMP, "Layer %s: pooling (-odyn_layer_conv_pool) is only offered by layer conv, whose output width may differ from its input", name);
  PetscCheck(!cv->pool || (cv->hh % 2 == 0 && cv->ww % 2 == 0), comm, PETSC_ERR_ARG_SIZ, "Layer %s: 2x2 pooling needs an even image size, got %" PetscInt_FMT " x %" PetscInt_FMT " (-odyn_layer_image)", name, cv->hh, cv->ww);
  PetscCheck(cv->variant != ODYN_CONV_ANTISYM || m == c, comm, PETSC_ERR_ARG_INCOMP, "Layer %s: K - K^T needs as many output as input channels, got -odyn_layer_channels %" PetscInt_FMT ",%" PetscInt_FMT, name, c, m);
  cv->nk = c * m * cv->k * cv->k;
  for (PetscInt f = 0; f < ODYN_LAYER_MAX_FACES; f++) {
    OdynConvFace *fc = &cv->face[f];
    fc->g.h = hw / cv->ww, fc->g.w = cv->ww, fc->g.k = cv->k;
    fc->g.cin = c, fc->g.cout = m, fc->map = ODYN_CONV_MAP_ID;
    fc->s = -1;
  }
  layer->nfaces = 1;
  switch (cv->variant) {
  case ODYN_CONV_ANTISYM:
    cv->face[0].map = ODYN_CONV_MAP_ANTISYM;
    break;
  case ODYN_CONV_HAMILTONIAN:
    /* Y has c channels, Z has m; K maps Z to Y (face 0), its adjoint Y to Z (face 1) */
    layer->nfaces          = 2;
    cv->face[0].g.cin      = m;
    cv->face[0].g.cout     = c;
    cv->face[1].g.cin      = c;
    cv->face[1].g.cout     = m;
    cv->face[1].map        = ODYN_CONV_MAP_FLIP;
    break;
  default:
    break;
  }
  off = cv->nk;
  for (PetscInt f = 0; f < layer->nfaces; f++) {
    OdynConvFace *fc = &cv->face[f];
    fc->nin          = fc->g.cin * hw;
    fc->nU           = fc->g.cout * hw;
    fc->nout         = cv->variant == ODYN_CONV_SYMMETRIC ? fc->nin : cv->pool ? fc->nU / 4 : fc->nU;
    fc->offb         = off;
    off += fc->g.cout;
    layer->nin[f]  = fc->nin;
    layer->nout[f] = fc->nout;
    nmaxk          = PetscMax(nmaxk, (PetscInt)odyn_conv_work_size(&fc->g));
  }
  /* chunk scratch (the operations walk the examples in the kernels' chunks): U of Eval, T of the products */
  for (PetscInt f = 0; f < layer->nfaces; f++) {
    OdynConvFace  *fc = &cv->face[f];
    const PetscInt ch = (PetscInt)odyn_conv_chunk_examples(&fc->g);
    fc->ch            = ch;
    PetscCall(OdynWorkEnsure(&cv->A1, &cv->a1cap, fc->nU * ch));
    PetscCall(OdynWorkEnsure(&fc->T1, &fc->t1cap, PetscMax(PetscMax(fc->nin, fc->nU), fc->nout) * ch));
  }
  for (PetscInt f = 0; f < layer->nfaces; f++) {
    OdynConvFace *fc = &cv->face[f];
    fc->offs = fc->offbeta = -1;
    if (cv->tvnorm) {
      fc->offs    = off;
      fc->offbeta = off + fc->g.cout;
      off += 2 * fc->g.cout;
    }
  }
  layer->nparam = off;
  PetscCall(PetscFree2(cv->Ma, cv->dM));
  PetscCall(PetscMalloc2(cv->nk, &cv->Ma, cv->nk, &cv->dM));
  for (PetscInt f = 0; f < ODYN_LAYER_MAX_FACES; f++) {
    PetscCall(PetscFree(cv->face[f].M));
    PetscCall(PetscMalloc1(cv->nk, &cv->face[f].M));
  }
  PetscCall(OdynWorkEnsure(&cv->work, &cv->workcap, nmaxk));
  PetscCall(OdynWorkEnsure(&cv->tvwork, &cv->tvcap, hw));
  PetscFunctionReturn(0);
}

/* M += alpha map(K) for the face's stencil map; gamma enters only the stencil itself (with_gamma), not its derivative */
static void MapAdd(OdynLayer_Conv *cv, OdynConvFace *fc, PetscScalar alpha, const PetscScalar *K, PetscBool with_gamma, PetscScalar *M)
{
  const long k = fc->g.k;

  switch (fc->map) {
  case ODYN_CONV_MAP_ID:
    odyn_axpy(cv->nk, alpha, K, M);
    break;
  case ODYN_CONV_MAP_ANTISYM:
    odyn_axpy(cv->nk, 0.5 * alpha, K, M);
    odyn_conv_flip_add(fc->g.cin, fc->g.cout, k, -0.5 * alpha, K, M);
    if (with_gamma)
      for (long o = 0; o < fc->g.cout; o++) M[((o * fc->g.cin + o) * k + k / 2) * k + k / 2] -= 0.5 * alpha * cv->gamma;
    break;
  case ODYN_CONV_MAP_FLIP:
    /* K maps the face's output channels to its input channels */
    odyn_conv_flip_add(fc->g.cout, fc->g.cin, k, alpha, K, M);
    break;
  }
}

/* gK += alpha map'(K)^T G: the identity, (G - flip G)/2, or flip back */
static void MapTransposeAdd(OdynLayer_Conv *cv, OdynConvFace *fc, PetscScalar alpha, const PetscScalar *G, PetscScalar *gK)
{
  switch (fc->map) {
  case ODYN_CONV_MAP_ID:
    odyn_axpy(cv->nk, alpha, G, gK);
    break;
  case ODYN_CONV_MAP_ANTISYM:
    odyn_axpy(cv->nk, 0.5 * alpha, G, gK);
    odyn_conv_flip_add(fc->g.cin, fc->g.cout, fc->g.k, -0.5 * alpha, G, gK);
    break;
  case ODYN_CONV_MAP_FLIP:
    odyn_conv_flip_add(fc->g.cin, fc->g.cout, fc->g.k, alpha, G, gK);
    break;
  }
}

/* The face's stencil at theta: K itself (borrowed) or formed in buf. */
static const PetscScalar *FaceStencil(OdynLayer_Conv *cv, OdynConvFace *fc, const PetscScalar *theta, PetscScalar *buf)
{
  if (fc->map == ODYN_CONV_MAP_ID) return theta;
  for (PetscInt i = 0; i < cv->nk; i++) buf[i] = 0.0;
  MapAdd(cv, fc, 1.0, theta, PETSC_TRUE, buf);
  return buf;
}

#define CONV_CALL(call) PetscCheck((call) == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Convolution sizes exceed the BLAS integer range: use fewer examples per sweep")

/* lengths and parts of a linearization of s examples: D | Uhat | rinv | S */
static PetscInt LinLength(OdynLayer_Conv *cv, OdynConvFace *fc, PetscInt s)
{
  return fc->nU * s * (1 + (cv->tvnorm ? 1 : 0) + (cv->variant == ODYN_CONV_SYMMETRIC ? 1 : 0)) + (cv->tvnorm ? ODYN_CONV_HW(cv) * s : 0);
}

/*
   Every operation below walks the examples in chunks of the size the kernels use for their im2col block, and does all
   its steps (convolution, bias, normalization, activation, the outer map) on one chunk before the next: the chunk's
   data stay in cache between the steps, instead of one pass over the whole batch per step (memory-bound at large
   batches). A Chunk holds the examples' parts of the linearization.
*/
typedef struct {
  PetscInt     e0, ns;
  PetscScalar *D, *Uhat, *rinv, *S; /* NULL where absent */
} Chunk;

static void ChunkAt(OdynLayer_Conv *cv, OdynConvFace *fc, const PetscScalar *lin, PetscInt s, PetscInt e0, PetscInt ns, Chunk *ck)
{
  const PetscInt nU = fc->nU, hw = ODYN_CONV_HW(cv);
  PetscScalar   *l  = (PetscScalar *)lin; /* read-only in the products */

  ck->e0 = e0, ck->ns = ns;
  ck->D = ck->Uhat = ck->rinv = ck->S = NULL;
  if (!l) return;
  ck->D = l + e0 * nU;
  if (cv->tvnorm) {
    ck->Uhat = l + nU * s + e0 * nU;
    ck->rinv = l + 2 * nU * s + e0 * hw;
  }
  if (cv->variant == ODYN_CONV_SYMMETRIC) ck->S = l + nU * s * (cv->tvnorm ? 2 : 1) + (cv->tvnorm ? hw * s : 0) + e0 * nU;
}

/* the kernels size their chunks from odyn_conv_chunk_examples(); the scratch was sized at set-up with the same */
#define CHECK_CHUNK(fc) PetscCheck((PetscInt)odyn_conv_chunk_examples(&(fc)->g) == (fc)->ch, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "The convolution chunk size changed after OdynLayerSetUp() (odyn_conv_set_chunk_target()): set the layer up again")
#define CHUNK_LOOP(cv, fc, s, e0, ns) for (PetscInt e0 = 0, ns = PetscMin((fc)->ch, (s)); e0 < (s); e0 += ns, ns = PetscMin(ns, (s) - e0))

/*
   F = the face's function at (theta, X) with stencil M; F NULL: not wanted (linearization). When lin is not NULL, it
   receives sigma', and Uhat, 1/r, S as LinLength() lays them out. addx: F = X + h F instead (nin == nout), done per
   chunk while the chunk's rows are in cache, with the same odyn_axpby() the schemes would run over the whole batch
   afterwards (bit-identical results, one memory pass fewer per step).
*/
static PetscErrorCode Eval(OdynLayer layer, OdynConvFace *fc, const PetscScalar *M, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *F, PetscScalar *lin, PetscBool addx, PetscScalar h)
{
  OdynLayer_Conv *cv   = (OdynLayer_Conv *)layer->data;
  const PetscInt  hw   = ODYN_CONV_HW(cv), co = fc->g.cout, nU = fc->nU;
  const PetscBool into = cv->variant != ODYN_CONV_SYMMETRIC && !cv->pool && F;

  PetscFunctionBegin;
  CHECK_CHUNK(fc);
  CHUNK_LOOP(cv, fc, s, e0, ns)
  {
    Chunk        ck;
    PetscScalar *U  = into ? F + e0 * nU : cv->A1;
    ChunkAt(cv, fc, lin, s, e0, ns, &ck);
    if (cv->tvnorm) {
      CONV_CALL(odyn_conv_forward_bias(&fc->g, ns, M, X + e0 * fc->nin, theta + fc->offb, U, cv->work));
      odyn_tvnorm(co, hw, ns, cv->eps, U, ck.Uhat ? ck.Uhat : U, ck.rinv, cv->tvwork);
      odyn_channel_affine(co, hw, ns, theta + fc->offs, theta + fc->offbeta, ck.Uhat ? ck.Uhat : U, U);
      odyn_bias_act((int)layer->activation, nU, ns, NULL, U, ck.D);
    } else if (addx && into) {
      /* bias, activation, sigma' and the Euler step as the rows are written (the same roundings as the axpby below) */
      CONV_CALL(odyn_conv_forward_bias_act_euler(&fc->g, ns, M, X + e0 * fc->nin, theta + fc->offb, (int)layer->activation, h, U, ck.D, cv->work));
      continue;
    } else CONV_CALL(odyn_conv_forward_bias_act(&fc->g, ns, M, X + e0 * fc->nin, theta + fc->offb, (int)layer->activation, U, ck.D, cv->work)); /* bias, activation and sigma' as the rows are written */
    if (ck.S) PetscCall(PetscArraycpy(ck.S, U, nU * ns));
    if (!F) continue;
    if (cv->variant == ODYN_CONV_SYMMETRIC) CONV_CALL(odyn_conv_adjoint(&fc->g, ns, theta, -1.0, U, 0.0, F + e0 * fc->nout, cv->work));
    else if (cv->pool) odyn_avgpool2(co, fc->g.h, fc->g.w, ns, 1.0, U, 0.0, F + e0 * fc->nout);
    if (addx) odyn_axpby(fc->nout * ns, 1.0, X + e0 * fc->nin, h, F + e0 * fc->nout);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerApply_Conv(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, PetscScalar *F)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  OdynConvFace   *fc = &cv->face[face];

  PetscFunctionBegin;
  /* its own stencil (and the chunk scratch A1), so that the linearizations stay intact */
  PetscCall(Eval(layer, fc, FaceStencil(cv, fc, theta, cv->Ma), theta, s, X, F, NULL, PETSC_FALSE, 0.0));
  PetscFunctionReturn(0);
}

/* Y = X + h F(theta, X): the Euler step in one pass (the optional op applyadd) */
static PetscErrorCode OdynLayerApplyAdd_Conv(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, PetscScalar h, const PetscScalar *X, PetscScalar *Y)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  OdynConvFace   *fc = &cv->face[face];

  PetscFunctionBegin;
  PetscCheck(fc->nin == fc->nout, PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP, "Conv layer: X + h F(X) needs nin == nout, got %" PetscInt_FMT " and %" PetscInt_FMT, fc->nin, fc->nout);
  PetscCall(Eval(layer, fc, FaceStencil(cv, fc, theta, cv->Ma), theta, s, X, Y, NULL, PETSC_TRUE, h));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinearize_Conv(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  OdynConvFace   *fc = &cv->face[face];

  PetscFunctionBegin;
  PetscCall(OdynWorkEnsure(&fc->lin, &fc->lincap, LinLength(cv, fc, s)));
  if (fc->map == ODYN_CONV_MAP_ID) PetscCall(PetscArraycpy(fc->M, theta, cv->nk));
  else (void)FaceStencil(cv, fc, theta, fc->M);
  PetscCall(Eval(layer, fc, fc->M, theta, s, X, NULL, fc->lin, PETSC_FALSE, 0.0)); /* the products need only the parts of lin */
  fc->lcur  = fc->lin;
  fc->theta = theta;
  fc->X     = X;
  fc->s     = s;
  PetscFunctionReturn(0);
}

/* T (nU x ns) <- scale .* J_tv T when normalizing: the part shared by the forward products (D comes in ForwardFinish) */
static void ForwardMid(OdynLayer_Conv *cv, OdynConvFace *fc, const Chunk *ck, PetscScalar *T)
{
  const PetscInt hw = ODYN_CONV_HW(cv), co = fc->g.cout;

  if (cv->tvnorm) odyn_tvnorm_forward_product(co, hw, ck->ns, fc->theta + fc->offs, ck->Uhat, ck->rinv, T, cv->tvwork);
}

/* out (the chunk's rows) += alpha (outer map of D .* T): -K^T, pool, or the identity */
static PetscErrorCode ForwardFinish(OdynLayer_Conv *cv, OdynConvFace *fc, const Chunk *ck, PetscScalar alpha, PetscScalar *T, PetscScalar *out)
{
  PetscFunctionBegin;
  out += ck->e0 * fc->nout;
  if (cv->variant != ODYN_CONV_SYMMETRIC && !cv->pool) {
    odyn_scaled_hadamard_add(fc->nU * ck->ns, alpha, ck->D, T, out); /* one pass instead of two */
    PetscFunctionReturn(0);
  }
  odyn_hadamard_inplace(fc->nU * ck->ns, ck->D, T);
  if (cv->variant == ODYN_CONV_SYMMETRIC) CONV_CALL(odyn_conv_adjoint(&fc->g, ck->ns, fc->theta, -alpha, T, 1.0, out, cv->work));
  else odyn_avgpool2(fc->g.cout, fc->g.h, fc->g.w, ck->ns, alpha, T, 1.0, out);
  PetscFunctionReturn(0);
}

/* out += alpha dF/dX V */
static PetscErrorCode OdynLayerJacX_Conv(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *V, PetscScalar *out)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  OdynConvFace   *fc = &cv->face[face];

  PetscFunctionBegin;
  CHECK_CHUNK(fc);
  CHUNK_LOOP(cv, fc, fc->s, e0, ns)
  {
    Chunk ck;
    ChunkAt(cv, fc, fc->lcur, fc->s, e0, ns, &ck);
    CONV_CALL(odyn_conv_forward(&fc->g, ns, fc->M, 1.0, V + e0 * fc->nin, 0.0, fc->T1, cv->work));
    ForwardMid(cv, fc, &ck, fc->T1);
    PetscCall(ForwardFinish(cv, fc, &ck, alpha, fc->T1, out));
  }
  PetscFunctionReturn(0);
}

/* out += alpha dF/dtheta dtheta: dU = M'(dK) X + db; dA = scale J_tv dU + dscale Uhat + dbeta; symmetric adds -dK^T S */
static PetscErrorCode OdynLayerJacTheta_Conv(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *dtheta, PetscScalar *out)
{
  OdynLayer_Conv    *cv = (OdynLayer_Conv *)layer->data;
  OdynConvFace      *fc = &cv->face[face];
  const PetscInt     hw = ODYN_CONV_HW(cv), co = fc->g.cout;
  const PetscScalar *dM = dtheta;
  PetscScalar       *T  = fc->T1;

  PetscFunctionBegin;
  CHECK_CHUNK(fc);
  if (fc->map != ODYN_CONV_MAP_ID) {
    PetscCall(PetscArrayzero(cv->dM, cv->nk));
    MapAdd(cv, fc, 1.0, dtheta, PETSC_FALSE, cv->dM);
    dM = cv->dM;
  }
  CHUNK_LOOP(cv, fc, fc->s, e0, ns)
  {
    Chunk ck;
    ChunkAt(cv, fc, fc->lcur, fc->s, e0, ns, &ck);
    CONV_CALL(odyn_conv_forward_bias(&fc->g, ns, dM, fc->X + e0 * fc->nin, dtheta + fc->offb, T, cv->work));
    ForwardMid(cv, fc, &ck, T);
    if (cv->tvnorm) odyn_channel_affine_add(co, hw, ns, dtheta + fc->offs, dtheta + fc->offbeta, ck.Uhat, T);
    PetscCall(ForwardFinish(cv, fc, &ck, alpha, T, out));
    if (ck.S) CONV_CALL(odyn_conv_adjoint(&fc->g, ns, dtheta, -alpha, ck.S, 1.0, out + e0 * fc->nout, cv->work));
  }
  PetscFunctionReturn(0);
}

/* T (nU x ns) = D .* (the transpose of the outer map applied to the chunk's rows of W); returns the outer map's sign */
static PetscErrorCode AdjointStart(OdynLayer_Conv *cv, OdynConvFace *fc, const Chunk *ck, const PetscScalar *W, PetscScalar *T, PetscScalar *sign)
{
  PetscFunctionBegin;
  *sign = 1.0;
  W += ck->e0 * fc->nout;
  if (cv->variant == ODYN_CONV_SYMMETRIC) {
    /* (-K^T)^T W = -(K * W) */
    CONV_CALL(odyn_conv_forward(&fc->g, ck->ns, fc->theta, 1.0, W, 0.0, T, cv->work));
    *sign = -1.0;
  } else if (cv->pool) odyn_avgpool2_adjoint(fc->g.cout, fc->g.h, fc->g.w, ck->ns, 1.0, W, 0.0, T);
  else {
    /* T = D .* W in one pass (no copy first) */
    const PetscInt len = fc->nU * ck->ns;
    for (PetscInt i = 0; i < len; i++) T[i] = ck->D[i] * W[i];
    PetscFunctionReturn(0);
  }
  odyn_hadamard_inplace(fc->nU * ck->ns, ck->D, T);
  PetscFunctionReturn(0);
}

/* out += alpha (dF/dX)^T W = alpha M^T J_tv (scale .* (D .* outer^T W)) */
static PetscErrorCode OdynLayerJacXT_Conv(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *out)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  OdynConvFace   *fc = &cv->face[face];
  const PetscInt  hw = ODYN_CONV_HW(cv), co = fc->g.cout;
  PetscScalar     sign, *T = fc->T1;

  PetscFunctionBegin;
  CHECK_CHUNK(fc);
  CHUNK_LOOP(cv, fc, fc->s, e0, ns)
  {
    Chunk ck;
    ChunkAt(cv, fc, fc->lcur, fc->s, e0, ns, &ck);
    PetscCall(AdjointStart(cv, fc, &ck, W, T, &sign));
    if (cv->tvnorm) odyn_tvnorm_adjoint_product(co, hw, ns, fc->theta + fc->offs, ck.Uhat, ck.rinv, T, cv->tvwork);
    CONV_CALL(odyn_conv_adjoint(&fc->g, ns, fc->M, sign * alpha, T, 1.0, out + e0 * fc->nin, cv->work));
  }
  PetscFunctionReturn(0);
}

/*
   g += alpha (dF/dtheta)^T W, summed over the examples; and when out is not NULL, out += alpha (dF/dX)^T W from the same
   T = J_tv (scale .* (D .* outer^T W)) per chunk, formed once for both (what OdynLayerJacXT_Conv computes, in the same
   order: bit for bit the two products). Each chunk's W is read before its rows of out are written: out may be W.
*/
static PetscErrorCode AdjointProducts(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *g, PetscScalar *out)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  OdynConvFace   *fc = &cv->face[face];
  const PetscInt  hw = ODYN_CONV_HW(cv), co = fc->g.cout;
  PetscScalar     sign = 1.0, a = alpha, *T = fc->T1;

  PetscFunctionBegin;
  CHECK_CHUNK(fc);
  if (fc->map != ODYN_CONV_MAP_ID) PetscCall(PetscArrayzero(cv->dM, cv->nk));
  CHUNK_LOOP(cv, fc, fc->s, e0, ns)
  {
    Chunk ck;
    ChunkAt(cv, fc, fc->lcur, fc->s, e0, ns, &ck);
    /* symmetric: the outer -K^T S contributes <W, -dK^T S> = -<dK * W, S>, a stencil gradient with W as the input */
    if (ck.S) CONV_CALL(odyn_conv_stencil_grad(&fc->g, ns, W + e0 * fc->nout, ck.S, -alpha, g, cv->work));
    PetscCall(AdjointStart(cv, fc, &ck, W, T, &sign));
    a = sign * alpha;
    if (cv->tvnorm) {
      odyn_channel_dot_add(co, hw, ns, a, ck.Uhat, T, g + fc->offs);
      odyn_channel_sum_add(co, hw, ns, a, T, g + fc->offbeta);
      odyn_tvnorm_adjoint_product(co, hw, ns, fc->theta + fc->offs, ck.Uhat, ck.rinv, T, cv->tvwork);
    }
    odyn_channel_sum_add(co, hw, ns, a, T, g + fc->offb);
    if (fc->map == ODYN_CONV_MAP_ID) CONV_CALL(odyn_conv_stencil_grad(&fc->g, ns, fc->X + e0 * fc->nin, T, a, g, cv->work));
    else CONV_CALL(odyn_conv_stencil_grad(&fc->g, ns, fc->X + e0 * fc->nin, T, 1.0, cv->dM, cv->work));
    if (out) CONV_CALL(odyn_conv_adjoint(&fc->g, ns, fc->M, sign * alpha, T, 1.0, out + e0 * fc->nin, cv->work));
  }
  if (fc->map != ODYN_CONV_MAP_ID) MapTransposeAdd(cv, fc, a, cv->dM, g);
  PetscFunctionReturn(0);
}

/* g += alpha (dF/dtheta)^T W, summed over the examples */
static PetscErrorCode OdynLayerJacThetaT_Conv(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *g)
{
  PetscFunctionBegin;
  PetscCall(AdjointProducts(layer, face, alpha, W, g, NULL));
  PetscFunctionReturn(0);
}

/* both transposed products in one walk (the optional op jacbotht): one pass over sigma' and W per step instead of two */
static PetscErrorCode OdynLayerJacBothT_Conv(OdynLayer layer, PetscInt face, PetscScalar alpha, const PetscScalar *W, PetscScalar *out, PetscScalar *g)
{
  PetscFunctionBegin;
  PetscCall(AdjointProducts(layer, face, alpha, W, g, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinSize_Conv(OdynLayer layer, PetscInt face, PetscInt s, PetscInt *len)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;

  PetscFunctionBegin;
  *len = LinLength(cv, &cv->face[face], s);
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinSave_Conv(OdynLayer layer, PetscInt face, PetscScalar *buf)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  OdynConvFace   *fc = &cv->face[face];

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(buf, fc->lcur, LinLength(cv, fc, fc->s)));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerLinRestore_Conv(OdynLayer layer, PetscInt face, const PetscScalar *theta, PetscInt s, const PetscScalar *X, const PetscScalar *buf)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  OdynConvFace   *fc = &cv->face[face];

  PetscFunctionBegin;
  if (fc->map == ODYN_CONV_MAP_ID) PetscCall(PetscArraycpy(fc->M, theta, cv->nk));
  else (void)FaceStencil(cv, fc, theta, fc->M);
  fc->lcur  = buf;
  fc->theta = theta;
  fc->X     = X;
  fc->s     = s;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerView_Conv(OdynLayer layer, PetscViewer viewer)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  char            tv[64] = "", gamma[64] = "";

  PetscFunctionBegin;
  /* one line, one call: the ASCII viewer indents every call */
  if (cv->tvnorm) PetscCall(PetscSNPrintf(tv, sizeof(tv), ", TV normalization (eps %g)", (double)cv->eps));
  if (cv->variant == ODYN_CONV_ANTISYM) PetscCall(PetscSNPrintf(gamma, sizeof(gamma), ", gamma %g", (double)cv->gamma));
  PetscCall(PetscViewerASCIIPrintf(viewer, "image %" PetscInt_FMT " x %" PetscInt_FMT ", channels %" PetscInt_FMT ",%" PetscInt_FMT ", %" PetscInt_FMT "x%" PetscInt_FMT " stencils%s%s%s\n", cv->h ? cv->h : cv->hh, cv->w ? cv->w : cv->ww, cv->c, cv->c2 ? cv->c2 : cv->c, cv->k, cv->k, cv->pool ? ", 2x2 average pooling" : "", tv, gamma));
  PetscFunctionReturn(0);
}

/* the image and channel options of the conv layers' state layout (inside an options block; checked at set-up) */
PetscErrorCode OdynLayerConvShapeOptions_Private(PetscOptionItems *PetscOptionsObject, OdynLayer_Conv *cv)
{
  PetscInt  img[2] = {cv->h, cv->w}, ch[2] = {cv->c, cv->c2}, n;
  PetscBool flg;

  PetscFunctionBegin;
  n = 2;
  PetscCall(PetscOptionsIntArray("-odyn_layer_image", "Image size h,w of the state (its width is channels x h x w)", "OdynLayerConvSetImage", img, &n, &flg));
  if (flg) {
    cv->h = img[0];
    cv->w = n > 1 ? img[1] : img[0];
  }
  n = 2;
  PetscCall(PetscOptionsIntArray("-odyn_layer_channels", "Channels c of the state[,c2 of the output (conv), of K Y (convsymmetric), of Z (convhamiltonian)]", "OdynLayerConvSetChannels", ch, &n, &flg));
  if (flg) {
    cv->c  = ch[0];
    cv->c2 = n > 1 ? ch[1] : 0;
  }
  PetscFunctionReturn(0);
}

/* what OdynLayerConvShapeOptions_Private() reads, as it reads it */
PetscErrorCode OdynLayerConvShapeSettings_Private(const OdynLayer_Conv *cv, char buf[], size_t len)
{
  PetscFunctionBegin;
  if (cv->h > 0) PetscCall(OdynSettingsAppend(buf, len, "-odyn_layer_image %" PetscInt_FMT ",%" PetscInt_FMT, cv->h, cv->w));
  PetscCall(OdynSettingsAppend(buf, len, "-odyn_layer_channels %" PetscInt_FMT ",%" PetscInt_FMT, cv->c, cv->c2));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerSetFromOptions_Conv(OdynLayer layer, PetscOptionItems *PetscOptionsObject)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;

  PetscFunctionBegin;
  /* values are checked by OdynLayerSetUp(), outside the options block */
  PetscOptionsHeadBegin(PetscOptionsObject, "Convolutional layer options");
  PetscCall(OdynLayerConvShapeOptions_Private(PetscOptionsObject, cv));
  PetscCall(PetscOptionsInt("-odyn_layer_conv_kernel", "Stencil size k (odd): k x k convolutions", "OdynLayerConvSetKernelSize", cv->k, &cv->k, NULL));
  if (cv->variant == ODYN_CONV_PLAIN) PetscCall(PetscOptionsBool("-odyn_layer_conv_pool", "2x2 average pooling after the activation", "OdynLayerConvSetPooling", cv->pool, &cv->pool, NULL));
  PetscCall(PetscOptionsBool("-odyn_layer_tvnorm", "Total-variation normalization with per-channel scale and bias", "OdynLayerConvSetTVNorm", cv->tvnorm, &cv->tvnorm, NULL));
  PetscCall(PetscOptionsReal("-odyn_layer_tvnorm_eps", "eps of the TV normalization", "OdynLayerConvSetTVNorm", cv->eps, &cv->eps, NULL));
  if (cv->variant == ODYN_CONV_ANTISYM) PetscCall(PetscOptionsReal("-odyn_layer_antisym_gamma", "Diffusion gamma >= 0 in (K - K^T - gamma I)/2", "OdynLayerAntisymSetGamma", cv->gamma, &cv->gamma, NULL));
  PetscOptionsHeadEnd();
  layer->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* what OdynLayerSetFromOptions_Conv() reads, as it reads it (model files rebuild the layer from this) */
static PetscErrorCode OdynLayerSettings_Conv(OdynLayer layer, char buf[], size_t len)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;

  PetscFunctionBegin;
  PetscCall(OdynLayerConvShapeSettings_Private(cv, buf, len));
  PetscCall(OdynSettingsAppend(buf, len, "-odyn_layer_conv_kernel %" PetscInt_FMT, cv->k));
  if (cv->variant == ODYN_CONV_PLAIN) PetscCall(OdynSettingsAppend(buf, len, "-odyn_layer_conv_pool %s", cv->pool ? "true" : "false"));
  PetscCall(OdynSettingsAppend(buf, len, "-odyn_layer_tvnorm %s -odyn_layer_tvnorm_eps %.17g", cv->tvnorm ? "true" : "false", (double)cv->eps));
  if (cv->variant == ODYN_CONV_ANTISYM) PetscCall(OdynSettingsAppend(buf, len, "-odyn_layer_antisym_gamma %.17g", (double)cv->gamma));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerDestroy_Conv(OdynLayer layer)
{
  OdynLayer_Conv *cv = (OdynLayer_Conv *)layer->data;
  const char     *names[] = {"OdynLayerConvGetData_C", "OdynLayerAntisymSetGamma_C", "OdynLayerAntisymGetGamma_C"};

  PetscFunctionBegin;
  for (PetscInt f = 0; f < ODYN_LAYER_MAX_FACES; f++) {
    PetscCall(PetscFree(cv->face[f].M));
    PetscCall(PetscFree(cv->face[f].lin));
    PetscCall(PetscFree(cv->face[f].T1));
  }
  PetscCall(PetscFree2(cv->Ma, cv->dM));
  PetscCall(PetscFree(cv->A1));
  PetscCall(PetscFree(cv->work));
  PetscCall(PetscFree(cv->tvwork));
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) PetscCall(PetscObjectComposeFunction((PetscObject)layer, names[i], NULL));
  PetscCall(PetscFree(layer->data));
  PetscFunctionReturn(0);
}

/* "OdynLayerConvGetData_C" of every layer whose data begins with an OdynLayer_Conv (the setters of convapi.c) */
PetscErrorCode OdynLayerConvGetData_Private(OdynLayer layer, OdynLayer_Conv **cv)
{
  PetscFunctionBegin;
  *cv = (OdynLayer_Conv *)layer->data;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerAntisymSetGamma_Conv(OdynLayer layer, PetscReal gamma)
{
  PetscFunctionBegin;
  PetscCheck(gamma >= 0 && !PetscIsInfOrNanReal(gamma), PetscObjectComm((PetscObject)layer), PETSC_ERR_ARG_OUTOFRANGE, "The antisym diffusion gamma must be finite and >= 0, got %g", (double)gamma);
  ((OdynLayer_Conv *)layer->data)->gamma = gamma;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynLayerAntisymGetGamma_Conv(OdynLayer layer, PetscReal *gamma)
{
  PetscFunctionBegin;
  *gamma = ((OdynLayer_Conv *)layer->data)->gamma;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynLayerConvCreate_Private(OdynLayer layer, OdynConvVariant variant)
{
  OdynLayer_Conv *cv;

  PetscFunctionBegin;
  PetscCall(PetscNew(&cv));
  cv->variant            = variant;
  cv->c                  = 1;
  cv->k                  = 3;
  cv->eps                = 1e-3; /* paper 000, Sec. 5 */
  layer->data            = cv;
  layer->ops->setup      = OdynLayerSetUp_Conv;
  layer->ops->apply      = OdynLayerApply_Conv;
  layer->ops->applyadd   = OdynLayerApplyAdd_Conv;
  /* jacx / jacxt read a chunk's input rows into the scratch T1 before they write its output rows */
  layer->jacinplace = PETSC_TRUE;
  layer->ops->jacbotht = OdynLayerJacBothT_Conv;
  layer->ops->linearize  = OdynLayerLinearize_Conv;
  layer->ops->jacx       = OdynLayerJacX_Conv;
  layer->ops->jactheta   = OdynLayerJacTheta_Conv;
  layer->ops->jacxt      = OdynLayerJacXT_Conv;
  layer->ops->jacthetat  = OdynLayerJacThetaT_Conv;
  layer->ops->linsize    = OdynLayerLinSize_Conv;
  layer->ops->linsave    = OdynLayerLinSave_Conv;
  layer->ops->linrestore = OdynLayerLinRestore_Conv;
  layer->ops->setfromoptions = OdynLayerSetFromOptions_Conv;
  layer->ops->settings   = OdynLayerSettings_Conv;
  layer->ops->view       = OdynLayerView_Conv;
  layer->ops->destroy    = OdynLayerDestroy_Conv;
  PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerConvGetData_C", OdynLayerConvGetData_Private));
  if (variant == ODYN_CONV_ANTISYM) {
    PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerAntisymSetGamma_C", OdynLayerAntisymSetGamma_Conv));
    PetscCall(PetscObjectComposeFunction((PetscObject)layer, "OdynLayerAntisymGetGamma_C", OdynLayerAntisymGetGamma_Conv));
  }
  PetscFunctionReturn(0);
}
