/*
   Which blocks run on a compute backend, and what each is there (issue 8, docs/gpu.md; the sweeps: schemebackend.c).

   A block runs on a backend when its scheme and layer make one of the kinds below (OdynBlockKind, each a family of the
   table's operations, include/odyn/private/backend.h), with activation tanh, relu or identity (their operations' act;
   KindRunsActivation()), with or without shared weights (OdynBlock.shared: theta holds one step, the sweeps run
   with N copies of it, OdynBlockMapParameters_Private()); conv layers
   also need 3x3 stencils and no pooling, and as many output as input channels unless the kind says otherwise (single,
   the opening layer and paper 000's connectors: cin -> cout, 1x1 or 3x3 stencils, pooling allowed; convhamiltonian
   and convsymmetric: c and m channels); paper 000's TV normalization is allowed in every conv kind (the BlockKinds[]
   column tvnorm). The table's linsize
   answers -1 for sizes it cannot run, and the set-up refuses the block, naming it
   (OdynSchemeBackendRunnable_Private()).
   The average of each channel (single with layer globalavg, linear, no parameters) runs on any backend whatever its
   activation setting, by the table's gemm. Others (other activations, other schemes) are refused with PETSC_ERR_SUP
   naming the block and what it is, never run on the host in silence. A
   new kind costs a line in BlockKinds[] and its cases in the sweeps' switches.

   The parameters the sweeps run with (OdynBlockParamMap): theta itself, or for the dense Euler and leapfrog blocks of
   layer antisym or negdef the dense weights M_j = map(kappa_j) (the layer's own maps, affine.c), or for a convantisym
   block the effective stencils M_j = (K_j - adj K_j - gamma I)/2 of convcore.c (adj K the flipped stencil with
   exchanged channels, gamma on the centre tap of each channel's own stencil). They are formed on the host from the
   gathered parameters, by the operations the layer forms them with, in the same order (so the forward is the host
   path's bit for bit), once per upload: theta with gamma, the tangent's dtheta by the derivative (dK - adj dK)/2
   without it; the gradient G the sweep returns maps back by the adjoint of that linear map, gK += (G - adj G)/2 (adj is
   a permutation and its own inverse, so its own transpose). Biases are copied, and their gradients added, unchanged.
*/
#include "schemebackend.h"
#include <odyn/private/odynimpl.h>
#include <odyn/private/convkernels.h>
#include <odyn/private/pointwise.h>

/*
   Scheme and layer type of each kind and how its parameters map (a NULL layer type is the default layer, dense); for
   the conv layers also which shapes the kind's operations take besides 3x3 stencils and c -> c channels: two channel
   counts (a second field Z or K * Y, or cin -> cout), the connectors' 1x1 stencils and 2x2 average pooling, and the
   TV normalization (paper 000 eq. 9, the operations' eps).
*/
static const struct {
  const char       *scheme, *layer;
  OdynBlockKind     kind;
  OdynBlockParamMap map;
  PetscBool         twochannels, connector, tvnorm;
} BlockKinds[] = {
  {ODYNSCHEMEEULER,    ODYNLAYERDENSE,           ODYN_BLOCK_EULER,          ODYN_BLOCK_THETA,       PETSC_FALSE, PETSC_FALSE, PETSC_FALSE},
  {ODYNSCHEMEEULER,    ODYNLAYERANTISYM,         ODYN_BLOCK_EULER,          ODYN_BLOCK_AFFINE,      PETSC_FALSE, PETSC_FALSE, PETSC_FALSE},
  {ODYNSCHEMEEULER,    ODYNLAYERNEGDEF,          ODYN_BLOCK_EULER,          ODYN_BLOCK_AFFINE,      PETSC_FALSE, PETSC_FALSE, PETSC_FALSE},
  {ODYNSCHEMEEULER,    ODYNLAYERSYMMETRIC,       ODYN_BLOCK_PARABOLIC,      ODYN_BLOCK_THETA,       PETSC_FALSE, PETSC_FALSE, PETSC_FALSE},
  {ODYNSCHEMELEAPFROG, ODYNLAYERDENSE,           ODYN_BLOCK_LEAPFROG,       ODYN_BLOCK_THETA,       PETSC_FALSE, PETSC_FALSE, PETSC_FALSE},
  {ODYNSCHEMELEAPFROG, ODYNLAYERANTISYM,         ODYN_BLOCK_LEAPFROG,       ODYN_BLOCK_AFFINE,      PETSC_FALSE, PETSC_FALSE, PETSC_FALSE},
  {ODYNSCHEMELEAPFROG, ODYNLAYERNEGDEF,          ODYN_BLOCK_LEAPFROG,       ODYN_BLOCK_AFFINE,      PETSC_FALSE, PETSC_FALSE, PETSC_FALSE},
  {ODYNSCHEMEVERLET,   ODYNLAYERHAMILTONIAN,     ODYN_BLOCK_VERLET,         ODYN_BLOCK_THETA,       PETSC_FALSE, PETSC_FALSE, PETSC_FALSE},
  {ODYNSCHEMESINGLE,   ODYNLAYERCONV,            ODYN_BLOCK_CONV_SINGLE,    ODYN_BLOCK_THETA,       PETSC_TRUE,  PETSC_TRUE,  PETSC_TRUE },
  {ODYNSCHEMEEULER,    ODYNLAYERCONV,            ODYN_BLOCK_CONV_EULER,     ODYN_BLOCK_THETA,       PETSC_FALSE, PETSC_FALSE, PETSC_TRUE },
  {ODYNSCHEMEEULER,    ODYNLAYERCONVANTISYM,     ODYN_BLOCK_CONV_EULER,     ODYN_BLOCK_CONVANTISYM, PETSC_FALSE, PETSC_FALSE, PETSC_TRUE },
  {ODYNSCHEMEEULER,    ODYNLAYERCONVSYMMETRIC,   ODYN_BLOCK_CONV_PARABOLIC, ODYN_BLOCK_THETA,       PETSC_TRUE,  PETSC_FALSE, PETSC_TRUE },
  {ODYNSCHEMELEAPFROG, ODYNLAYERCONV,            ODYN_BLOCK_CONV_LEAPFROG,  ODYN_BLOCK_THETA,       PETSC_FALSE, PETSC_FALSE, PETSC_TRUE },
  {ODYNSCHEMELEAPFROG, ODYNLAYERCONVSYMMETRIC,   ODYN_BLOCK_CONV_LEAPFROG,  ODYN_BLOCK_THETA,       PETSC_TRUE,  PETSC_FALSE, PETSC_TRUE },
  {ODYNSCHEMEVERLET,   ODYNLAYERCONVHAMILTONIAN, ODYN_BLOCK_CONV_VERLET,    ODYN_BLOCK_THETA,       PETSC_TRUE,  PETSC_FALSE, PETSC_TRUE },
  {ODYNSCHEMESINGLE,   ODYNLAYERGLOBALAVG,       ODYN_BLOCK_GLOBALAVG,      ODYN_BLOCK_THETA,       PETSC_FALSE, PETSC_FALSE, PETSC_FALSE},
};

/* per kind: how the messages name it, and the prefix of its operations (for "its ..._linsize() answers -1") */
static const struct {
  const char *name, *ops;
} BlockNames[] = {
  [ODYN_BLOCK_EULER]          = {"Euler", "dense_euler"},
  [ODYN_BLOCK_PARABOLIC]      = {"symmetric Euler", "dense_parabolic"},
  [ODYN_BLOCK_LEAPFROG]       = {"leapfrog", "dense_leapfrog"},
  [ODYN_BLOCK_VERLET]         = {"Verlet", "dense_verlet"},
  [ODYN_BLOCK_CONV_SINGLE]    = {"single conv", "conv_single"},
  [ODYN_BLOCK_CONV_EULER]     = {"conv", "conv_euler"},
  [ODYN_BLOCK_CONV_PARABOLIC] = {"convsymmetric Euler", "conv_parabolic"},
  [ODYN_BLOCK_CONV_LEAPFROG]  = {"conv leapfrog", "conv_leapfrog"},
  [ODYN_BLOCK_CONV_VERLET]    = {"convhamiltonian Verlet", "conv_verlet"},
  [ODYN_BLOCK_GLOBALAVG]      = {"globalavg", "gemm"},
};

static const char *SchemeTypeName(OdynScheme scheme) { return ((PetscObject)scheme)->type_name ? ((PetscObject)scheme)->type_name : ODYNSCHEMEEULER; }

static const char *LayerTypeName(OdynScheme scheme) { return scheme->layer && ((PetscObject)scheme->layer)->type_name ? ((PetscObject)scheme->layer)->type_name : ODYNLAYERDENSE; }

/* the row of BlockKinds[] of the block's scheme and layer, -1 for none; needs no set-up */
static int BlockKindRow(OdynScheme scheme)
{
  const char *stype = SchemeTypeName(scheme), *ltype = LayerTypeName(scheme);

  for (size_t i = 0; i < sizeof(BlockKinds) / sizeof(BlockKinds[0]); i++)
    if (!strcmp(stype, BlockKinds[i].scheme) && !strcmp(ltype, BlockKinds[i].layer)) return (int)i;
  return -1;
}

/* a layer of the conv family (its stencils, channels, pooling and normalization are described in the messages) */
static PetscBool LayerIsConv(const char *ltype)
{
  static const char *const conv[] = {ODYNLAYERCONV, ODYNLAYERCONVANTISYM, ODYNLAYERCONVHAMILTONIAN, ODYNLAYERCONVSYMMETRIC};

  for (size_t i = 0; i < sizeof(conv) / sizeof(conv[0]); i++)
    if (!strcmp(ltype, conv[i])) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* the kinds of the conv_* operations (globalavg reads the conv layout but runs GEMMs) */
static PetscBool KindIsConv(OdynBlockKind kind) { return kind >= ODYN_BLOCK_CONV_SINGLE && kind <= ODYN_BLOCK_CONV_VERLET ? PETSC_TRUE : PETSC_FALSE; }

/* the activations a kind runs (its operations' act): identity, tanh or relu, the papers' choices (the diffusion fluxes
   need a contrast the layers on the backends do not learn); globalavg is linear and has no activation: whatever the
   layer's activation setting says, it runs */
static PetscBool KindRunsActivation(int row, OdynActivationType act)
{
  if (row >= 0 && BlockKinds[row].kind == ODYN_BLOCK_GLOBALAVG) return PETSC_TRUE;
  return row >= 0 && odyn_act_is_plain((int)act) ? PETSC_TRUE : PETSC_FALSE; /* the layers' cast to ODYN_PW_* */
}

/* the steps theta holds: N, or one with shared weights (the sweeps then run with N copies of it) */
static long ParamSteps(const OdynBlock *b) { return b->shared ? 1 : b->N; }

static PetscBool KindIsReversible(OdynBlockKind kind)
{
  return kind == ODYN_BLOCK_VERLET || kind == ODYN_BLOCK_LEAPFROG || kind == ODYN_BLOCK_CONV_VERLET || kind == ODYN_BLOCK_CONV_LEAPFROG ? PETSC_TRUE : PETSC_FALSE;
}

/* a block whose states the backend recomputes (a Verlet or leapfrog block with -odyn_scheme_trajectory recompute) */
static PetscBool KindRecomputes(OdynScheme scheme, int row) { return row >= 0 && KindIsReversible(BlockKinds[row].kind) && scheme->trajtype == ODYN_TRAJECTORY_RECOMPUTE ? PETSC_TRUE : PETSC_FALSE; }

PetscBool OdynSchemeBackendReversible_Private(OdynScheme scheme) { return KindRecomputes(scheme, BlockKindRow(scheme)); }

/*
   Whether the block can run on a backend: *ok, or in why[] what it is (for the callers' messages). Needs no set-up:
   the type, the layer's type and activation and the shared-weights flag are known before.
*/
PetscErrorCode OdynSchemeBackendSupported_Private(OdynScheme scheme, PetscBool *ok, char why[], size_t len)
{
  const int row = BlockKindRow(scheme);
  OdynLayer layer = scheme->layer;
  PetscBool shapeok = PETSC_TRUE;
  char      detail[192] = "";

  PetscFunctionBegin;
  if (LayerIsConv(LayerTypeName(scheme))) { /* 3x3, c -> c, no pooling, no normalization, unless the row says more */
    const PetscBool two = row >= 0 && BlockKinds[row].twochannels, connector = row >= 0 && BlockKinds[row].connector, tvok = row >= 0 && BlockKinds[row].tvnorm;
    PetscInt        k, c, c2;
    PetscBool       pool, tv;
    PetscReal       eps;

    PetscCall(OdynLayerConvGetKernelSize(layer, &k));
    PetscCall(OdynLayerConvGetChannels(layer, &c, &c2));
    PetscCall(OdynLayerConvGetPooling(layer, &pool));
    PetscCall(OdynLayerConvGetTVNorm(layer, &tv, &eps));
    shapeok = (k == 3 || (k == 1 && connector)) && (c2 == c || two) && (!pool || connector) && (!tv || tvok) ? PETSC_TRUE : PETSC_FALSE;
    PetscCall(PetscSNPrintf(detail, sizeof(detail), " (%" PetscInt_FMT "x%" PetscInt_FMT " stencils, %" PetscInt_FMT " -> %" PetscInt_FMT " channels%s%s)", k, k, c, c2, tv ? ", TV normalization" : "", pool ? ", pooling" : ""));
  }
  *ok = row >= 0 && shapeok && (!layer || KindRunsActivation(row, layer->activation)) ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(PetscSNPrintf(why, len, "scheme %s, layer %s%s, activation %s%s", SchemeTypeName(scheme), LayerTypeName(scheme), detail, OdynActivationTypes[layer ? layer->activation : ODYN_ACTIVATION_TANH], scheme->shared ? ", shared weights" : ""));
  PetscFunctionReturn(0);
}

/* the sizes of a conv block after the layer's set-up (the image in use, also when derived), checked against the
   block's state widths and parameter count */
static PetscErrorCode DescribeConv(OdynScheme scheme, OdynBlock *b)
{
  const char *name = BlockNames[b->kind].name;
  PetscInt    c, c2, h, w, k, per = 0;
  PetscBool   widthsok, pool, tv;
  PetscReal   eps;

  PetscFunctionBegin;
  PetscCall(OdynLayerConvGetChannels(scheme->layer, &c, &c2));
  PetscCall(OdynLayerConvGetImage(scheme->layer, &h, &w));
  PetscCall(OdynLayerConvGetKernelSize(scheme->layer, &k));
  PetscCall(OdynLayerConvGetPooling(scheme->layer, &pool));
  PetscCall(OdynLayerConvGetTVNorm(scheme->layer, &tv, &eps));
  widthsok = c >= 1 && c2 >= 1 && h >= 1 && w >= 1 && c * h * w == scheme->nstate[0] ? PETSC_TRUE : PETSC_FALSE;
  switch (b->kind) {
  case ODYN_BLOCK_CONV_SINGLE: /* one step: [K (cout x cin x k x k) | b (cout) (| scale, beta (cout))], Y_1 of cout channels, pooled or not */
    widthsok = widthsok && c2 * (pool ? (h / 2) * (w / 2) : h * w) == scheme->nstate[1] ? PETSC_TRUE : PETSC_FALSE;
    per      = k * k * c * c2 + (tv ? 3 : 1) * c2;
    break;
  case ODYN_BLOCK_CONV_VERLET: /* [K (c x m x 3 x 3) | bF (c) | bG (m) (| scaleF, betaF (c) | scaleG, betaG (m))] per step, Z of m channels */
    widthsok = widthsok && c2 * h * w == scheme->nstate[1] ? PETSC_TRUE : PETSC_FALSE;
    per      = 9 * c * c2 + (tv ? 3 : 1) * (c + c2);
    break;
  default: /* conv Euler (c2 = c), the parabolic and the second-order CNN: [K (m x c x 3 x 3) | b (m)] per step, the
              latter two with the TV normalization also [scale | beta] (m each) */
    per = 9 * c * c2 + (tv ? 3 : 1) * c2;
  }
  PetscCheck(widthsok, PETSC_COMM_SELF, PETSC_ERR_PLIB, "The %s block on a backend: %" PetscInt_FMT ", %" PetscInt_FMT " channels of %" PetscInt_FMT " x %" PetscInt_FMT " do not make the state widths %" PetscInt_FMT ", %" PetscInt_FMT, name, c, c2, h, w, scheme->nstate[0], scheme->nstate[1]);
  if (b->kind != ODYN_BLOCK_CONV_SINGLE && !scheme->shared) per *= scheme->N;
  PetscCheck(scheme->nparam == per, PETSC_COMM_SELF, PETSC_ERR_PLIB, "The %s block on a backend: %" PetscInt_FMT " parameters, expected %" PetscInt_FMT " for %" PetscInt_FMT " and %" PetscInt_FMT " channels", name, scheme->nparam, per, c, c2);
  b->c    = c;
  b->cm   = c2;
  b->ih   = h;
  b->iw   = w;
  b->k    = k;
  b->pool = pool ? 1 : 0;
  b->eps  = tv ? (double)eps : 0.0;
  PetscFunctionReturn(0);
}

/*
   What the block is on a backend (after its set-up; it must be supported: OdynSchemeBackendSupported_Private()): its
   kind, sizes, parameter map and whether its states are recomputed.
*/
PetscErrorCode OdynSchemeBackendDescribe_Private(OdynScheme scheme, OdynBlock *b)
{
  const int row = BlockKindRow(scheme);

  PetscFunctionBegin;
  PetscCheck(row >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Block of scheme %s, layer %s described for a backend that does not run it", SchemeTypeName(scheme), LayerTypeName(scheme));
  PetscCall(PetscMemzero(b, sizeof(*b)));
  b->kind = BlockKinds[row].kind;
  b->map  = BlockKinds[row].map;
  b->rev  = KindRecomputes(scheme, row);
  b->sym  = b->kind == ODYN_BLOCK_CONV_LEAPFROG && !strcmp(LayerTypeName(scheme), ODYNLAYERCONVSYMMETRIC);
  b->n    = scheme->nstate[0];
  b->m    = scheme->ncomp == 2 ? scheme->nstate[1] : 0;
  b->N    = scheme->N;
  b->shared = scheme->shared;
  b->h    = scheme->N > 0 ? scheme->T / scheme->N : 0;
  b->act  = scheme->layer ? (int)scheme->layer->activation : ODYN_PW_IDENTITY; /* the layers' own cast: OdynActivationType and ODYN_PW_* share their order */
  if (b->kind == ODYN_BLOCK_PARABOLIC) { /* the rows m of K_j: N (m n + m) parameters */
    const long steps = ParamSteps(b);

    PetscCheck(b->N > 0 && scheme->nparam % (steps * (b->n + 1)) == 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Parabolic block on a backend: %" PetscInt_FMT " parameters are not %ld (m n + m) for n = %ld", scheme->nparam, steps, b->n);
    b->m = scheme->nparam / (steps * (b->n + 1));
  }
  if (KindIsConv(b->kind)) PetscCall(DescribeConv(scheme, b));
  if (b->kind == ODYN_BLOCK_GLOBALAVG) { /* c channels of ih x iw in, c averages out, no parameters */
    PetscInt c, h, w;

    PetscCall(OdynLayerConvGetChannels(scheme->layer, &c, NULL));
    PetscCall(OdynLayerConvGetImage(scheme->layer, &h, &w));
    PetscCheck(c * h * w == b->n && c == b->m && scheme->nparam == 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "The globalavg block on a backend: %" PetscInt_FMT " channels of %" PetscInt_FMT " x %" PetscInt_FMT " do not make the widths %ld -> %ld", c, h, w, b->n, b->m);
    b->c = b->cm = c;
    b->ih        = h;
    b->iw        = w;
  }
  if (b->map == ODYN_BLOCK_CONVANTISYM) PetscCall(OdynLayerAntisymGetGamma(scheme->layer, &b->gamma));
  PetscFunctionReturn(0);
}

/*
   The backend memory, in doubles, of the block's linearization and the sweeps' scratch for s examples (the table's
   *_linsize, or *_revsize when the states are recomputed); -1: the table cannot run the block.
*/
long OdynBlockLinSize_Private(const OdynBackendOps *ops, const OdynBlock *b, long s)
{
  if (b->rev) {
    switch (b->kind) {
    case ODYN_BLOCK_CONV_VERLET:
      return ops->conv_verlet_revsize(b->c, b->cm, b->eps, b->ih, b->iw, s);
    case ODYN_BLOCK_CONV_LEAPFROG:
      return ops->conv_leapfrog_revsize(b->sym, b->c, b->cm, b->eps, b->ih, b->iw, s);
    default: /* the dense reversible sweeps keep their own O(n s) scratch */
      return 0;
    }
  }
  switch (b->kind) {
  case ODYN_BLOCK_EULER:
    return ops->dense_euler_linsize(b->n, b->N, s);
  case ODYN_BLOCK_PARABOLIC:
    return ops->dense_parabolic_linsize(b->n, b->m, b->N, s);
  case ODYN_BLOCK_LEAPFROG:
    return ops->dense_leapfrog_linsize(b->n, b->N, s);
  case ODYN_BLOCK_VERLET:
    return ops->dense_verlet_linsize(b->n, b->m, b->N, s);
  case ODYN_BLOCK_CONV_SINGLE:
    return ops->conv_single_linsize(b->c, b->cm, b->k, b->pool, b->eps, b->ih, b->iw, s);
  case ODYN_BLOCK_CONV_EULER:
    return ops->conv_euler_linsize(b->c, b->eps, b->ih, b->iw, b->N, s);
  case ODYN_BLOCK_CONV_PARABOLIC:
    return ops->conv_parabolic_linsize(b->c, b->cm, b->eps, b->ih, b->iw, b->N, s);
  case ODYN_BLOCK_CONV_LEAPFROG:
    return ops->conv_leapfrog_linsize(b->sym, b->c, b->cm, b->eps, b->ih, b->iw, b->N, s);
  case ODYN_BLOCK_CONV_VERLET:
    return ops->conv_verlet_linsize(b->c, b->cm, b->eps, b->ih, b->iw, b->N, s);
  case ODYN_BLOCK_GLOBALAVG: /* the ih iw ones of its GEMMs, any size */
    return b->ih * b->iw;
  }
  return -1;
}

/*
   Whether table ops runs the described block's sizes (stored, and recomputed when the block recomputes its states; the
   tables are complete, odyn_backend_ops_first_missing()): a PETSC_ERR_SUP error naming the block (its options prefix)
   and its sizes otherwise.
*/
PetscErrorCode OdynSchemeBackendRunnable_Private(OdynScheme scheme, const OdynBackendOps *ops, const OdynBlock *b)
{
  const char *name = BlockNames[b->kind].name, *prefix;
  char        block[384], sizes[128];
  OdynBlock   one = *b; /* the stored sweeps' sizes for one step and one example: the table's limits are per example */

  PetscFunctionBegin;
  one.rev = PETSC_FALSE;
  one.N   = 1;
  if (OdynBlockLinSize_Private(ops, &one, 1) >= 0 && (!b->rev || OdynBlockLinSize_Private(ops, b, 1) >= 0)) PetscFunctionReturn(0);
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)scheme, &prefix));
  PetscCall(PetscSNPrintf(block, sizeof(block), "the %s block%s%s", name, prefix ? " with options prefix " : "", prefix ? prefix : ""));
  switch (b->kind) {
  case ODYN_BLOCK_CONV_SINGLE:
    PetscCall(PetscSNPrintf(sizes, sizeof(sizes), "%ld -> %ld channels", b->c, b->cm));
    break;
  case ODYN_BLOCK_CONV_EULER:
    PetscCall(PetscSNPrintf(sizes, sizeof(sizes), "%ld channels", b->c));
    break;
  case ODYN_BLOCK_CONV_VERLET:
    PetscCall(PetscSNPrintf(sizes, sizeof(sizes), "%ld channels (Y) and %ld (Z)", b->c, b->cm));
    break;
  case ODYN_BLOCK_CONV_PARABOLIC:
  case ODYN_BLOCK_CONV_LEAPFROG:
    PetscCall(PetscSNPrintf(sizes, sizeof(sizes), "%ld channels (Y) and %ld (K * Y)", b->c, b->cm));
    break;
  case ODYN_BLOCK_VERLET:
    PetscCall(PetscSNPrintf(sizes, sizeof(sizes), "widths n = %ld, m = %ld (hidden)", b->n, b->m));
    break;
  case ODYN_BLOCK_PARABOLIC:
    PetscCall(PetscSNPrintf(sizes, sizeof(sizes), "widths n = %ld, m = %ld (rows of K)", b->n, b->m));
    break;
  default:
    PetscCall(PetscSNPrintf(sizes, sizeof(sizes), "width n = %ld", b->n));
  }
  SETERRQ(PetscObjectComm((PetscObject)scheme), PETSC_ERR_SUP, "Backend %s: %s has %s, which that backend cannot run (its %s_linsize() answers -1). Use -odyn_backend host for this block (docs/gpu.md)", ops->name, block, sizes, BlockNames[b->kind].ops);
}

/* a convantisym block's parameters of one step: [K (c x c x 3 x 3) | b (c)], with the TV normalization also
   [scale (c) | beta (c)] */
static long ConvAntisymSlot(const OdynBlock *b) { return 9 * b->c * b->c + (b->eps > 0 ? 3 : 1) * b->c; }

/* out = the effective stencils of in (steps of ConvAntisymSlot()): M(K) with gamma, or M'(K) without; the rest of
   each step's parameters (b, scale, beta) as they are */
static void ConvAntisymMap(const OdynBlock *b, long steps, PetscBool with_gamma, const PetscScalar *in, PetscScalar *out)
{
  const long c = b->c, nk = 9 * c * c, slot = ConvAntisymSlot(b);

  for (long j = 0; j < steps; j++) {
    const PetscScalar *K = in + j * slot;
    PetscScalar       *M = out + j * slot;

    for (long i = 0; i < nk; i++) M[i] = 0;
    odyn_axpy(nk, 0.5, K, M);
    odyn_conv_flip_add(c, c, 3, -0.5, K, M);
    if (with_gamma)
      for (long o = 0; o < c; o++) M[((o * c + o) * 3 + 1) * 3 + 1] -= 0.5 * b->gamma;
    for (long i = nk; i < slot; i++) M[i] = K[i];
  }
}

/* The doubles of the parameters the sweeps run with: theta's nparam, N times that with shared weights */
PetscInt OdynBlockSweepParams_Private(const OdynBlock *b, PetscInt nparam) { return b->shared ? b->N * nparam : nparam; }

/*
   The parameters the sweeps run with: mode ODYN_AFFINE_MAP those of theta (in = theta), ODYN_AFFINE_DMAP the tangent's
   (in = dtheta, linear: no gamma). *use is in itself for a block that runs with theta, else out
   (OdynBlockSweepParams_Private() values) holding them. With shared weights the one step of theta is mapped (the maps
   act step by step) and copied to each of the N steps.
*/
PetscErrorCode OdynBlockMapParameters_Private(OdynScheme scheme, const OdynBlock *b, OdynAffineMode mode, const PetscScalar *theta, const PetscScalar *in, PetscScalar *out, const PetscScalar **use)
{
  const PetscInt np = scheme->nparam;

  PetscFunctionBegin;
  PetscCheck(mode == ODYN_AFFINE_MAP || mode == ODYN_AFFINE_DMAP, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Parameters of a block on a backend: map or its derivative only");
  *use = in;
  if (b->map == ODYN_BLOCK_THETA && !b->shared) PetscFunctionReturn(0);
  if (b->map == ODYN_BLOCK_THETA) PetscCall(PetscArraycpy(out, in, np));
  else if (b->map == ODYN_BLOCK_CONVANTISYM) ConvAntisymMap(b, ParamSteps(b), mode == ODYN_AFFINE_MAP ? PETSC_TRUE : PETSC_FALSE, in, out);
  else PetscCall(OdynLayerAffineDenseParameters_Private(scheme->layer, ParamSteps(b), mode, theta, in, out));
  if (b->shared)
    for (long j = 1; j < b->N; j++) PetscCall(PetscArraycpy(out + j * np, out, np));
  *use = out;
  PetscFunctionReturn(0);
}

/* g += the gradient G w.r.t. the parameters the sweeps ran with, mapped back to theta's (the adjoint of the map); with
   shared weights G holds N steps' gradients, summed first (from the last step down, the order of the host path's
   adjoint; G is overwritten) and mapped back once, the maps being linear in G and the same at every step */
PetscErrorCode OdynBlockGradientAdd_Private(OdynScheme scheme, const OdynBlock *b, const PetscScalar *theta, PetscScalar *G, PetscScalar *g)
{
  const PetscInt np = scheme->nparam;

  PetscFunctionBegin;
  if (b->shared && b->N > 1) {
    for (PetscInt i = 0; i < np; i++) {
      PetscScalar sum = G[(b->N - 1) * np + i];

      for (long j = b->N - 2; j >= 0; j--) sum += G[j * np + i];
      G[i] = sum;
    }
  }
  switch (b->map) {
  case ODYN_BLOCK_THETA:
    for (PetscInt i = 0; i < np; i++) g[i] += G[i];
    break;
  case ODYN_BLOCK_AFFINE:
    PetscCall(OdynLayerAffineDenseParameters_Private(scheme->layer, ParamSteps(b), ODYN_AFFINE_DMAPT, theta, G, g));
    break;
  case ODYN_BLOCK_CONVANTISYM: {
    const long nk = 9 * b->c * b->c, slot = ConvAntisymSlot(b);

    for (long j = 0; j < ParamSteps(b); j++) {
      odyn_axpy(nk, 0.5, G + j * slot, g + j * slot);
      odyn_conv_flip_add(b->c, b->c, 3, -0.5, G + j * slot, g + j * slot);
      odyn_axpy(slot - nk, 1.0, G + j * slot + nk, g + j * slot + nk);
    }
  } break;
  }
  PetscFunctionReturn(0);
}
