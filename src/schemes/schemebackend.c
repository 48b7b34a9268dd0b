/*
   A block's sweeps on a compute backend (issue 8, docs/gpu.md): with a backend set (OdynSchemeSetBackend(),
   OdynNetSetBackend(), -odyn_backend hostref|cuda), a qualifying block hands its whole forward, tangent and adjoint
   sweeps to the table's euler_tanh_*, verlet_tanh_*, conv_euler_tanh_*, conv_tanh_* or conv_verlet_tanh_* operations
   (include/odyn/private/backend.h). The trajectory, the linearization
   and the parameter mirrors live in the backend's memory for as long as the block keeps its storage (freed with it:
   OdynSchemeFreeStorage_Private(), on a change of N, type, trajectory, and at destroy); what crosses per sweep:

     forward   theta (uploaded from the gathered host parameters), Y0 in, Y_N out
     tangent   dtheta (when given) and dY0 in, dY_N out; theta is the forward's, already there
     adjoint   W in, the gradient out (added to the host gtheta), gY0 out

   Which blocks qualify: forward Euler with a dense layer and tanh (euler_tanh_*; also with an antisym or negdef layer,
   whose matrix map(kappa_j) the sweeps take as dense weights: BackendEffective()), leapfrog with the same layers and
   tanh (leapfrog_tanh_*: paper 001's second-order network, the 2-D examples' -odyn_net leapfrog; the buffers and the
   parameter mapping are the dense Euler block's; reversible with -odyn_scheme_trajectory recompute, below), Verlet
   with a hamiltonian layer and tanh (verlet_tanh_*; any widths: on cuda the narrow kernels for n, m <= 16, cuBLAS
   above), and forward Euler with a conv or convantisym layer of 3x3 stencils, as many output as input channels, tanh, no TV
   normalization and no pooling (conv_euler_tanh_*: the convolutional ResNets of the MNIST network, -odyn_net resnet
   and antisym; c <= 16 channels on cuda, whose linsize answers -1 above), and scheme single with a conv layer of 3x3
   stencils, cin -> cout channels, tanh, no TV normalization and no pooling (conv_tanh_*: the MNIST network's opening
   layer Y_1 = tanh(K * Y_0 + b), one step, no h, no residual; cin, cout <= 16 on cuda), and Verlet with a
   convhamiltonian layer of 3x3 stencils, tanh, no TV normalization, states stored or recomputed (conv_verlet_tanh_*: the
   Hamiltonian CNN of the MNIST -odyn_net verlet, Y of c channels, Z of m; c, m <= 16 on cuda), and forward Euler with
   the symmetric layer and tanh (parabolic_tanh_*: the parabolic network Y_{j+1} = Y_j - h K_j^T tanh(K_j Y_j + b_j),
   K_j m x n, any widths; lin = sigma and sigma' of every step, 2 N m s), all without shared weights
   (the blocks the device kernels compute so far). Others (among them the connectors: single with 1x1 stencils or
   pooling) are refused with PETSC_ERR_SUP naming the block and what it is, never run on the host in silence. For a
   conv block the state buffers are sized by the layer's state (c h w per example, channel-major) and lin holds sigma'
   of every step followed by the sweeps' scratch (the table's linsize says how much).

   A single block has two components of different widths, n = cin h w in (component 0) and m = cout h w out
   (component 1; ncomp 2 as Verlet's, so the Verlet branches test BackendSingle() first): traj holds Y_0 only (n s, the
   linearization point of both derivative sweeps), lin sigma' (m s) and the table's scratch, in and out max(n, m) s
   each (in: dY_0 or W; out: Y_1, dY_1 or gY_0). Its parameters are the layer's, [K (cout x cin x 3 x 3) | b (cout)].

   A convhamiltonian Verlet block (BackendConvVerlet()) keeps the Verlet buffers: traj (N + 1) c h w s, ztraj (N + 1)
   m h w s (Z_{k-1/2} at k), lin sigma' of both faces of every step followed by the table's scratch, in and out c h w s;
   its parameters are the layer's, [K (c x m x 3 x 3) | bF (c) | bG (m)] per step, uploaded as they are (K^T * Y is
   the table's business: the host table convolves with flip(K) as the layer does, cuda runs the adjoint convolution).
   With -odyn_scheme_trajectory recompute it is reversible as the dense Verlet block below (conv_verlet_tanh_forward_final,
   _tangent_y0, _adjoint_reversible): traj = [Y_0 | Y_N], ztraj = Z_{N-1/2}, lin the table's scratch for these sweeps
   (conv_verlet_tanh_revsize(): none on the host, whose sweeps follow the host path's recomputing ones bit for bit).

   A convantisym block is a conv block with the effective stencils M_j = (K_j - adj K_j - gamma I)/2 of its layer
   (convcore.c): they are formed on the host from theta at each forward upload and are what the backend's theta holds
   (the layer's operations in its order, so its forward is bit for bit the host path's); the tangent uploads
   (dK_j - adj dK_j)/2, and the adjoint maps the effective stencils' gradient G_j back, gK_j += (G_j - adj G_j)/2, the
   adjoint of that linear map (BackendEffective() and below). The host keeps theta itself (thetahost) for the checks.

   A Verlet block with -odyn_scheme_trajectory recompute (OdynSchemeSetTrajectoryType(), the switch of the host path,
   which recomputes its states backwards by verlet.c's reverse step) is reversible on the backend too: the forward keeps
   only Y_N and Z_{N-1/2} (verlet_tanh_forward_final), the adjoint rebuilds the states backwards from them alongside
   the adjoint (verlet_tanh_adjoint_reversible), and the tangent recomputes them forward from Y_0, which is kept
   (verlet_tanh_tangent_y0). Its state buffers are traj = [Y_0 | Y_N] (2 n s), ztraj = Z_{N-1/2} (m s), no lin: with
   in and out, (4 n + m) s doubles instead of (N + 1)(n + m) s + N (n + m) s (host) or (N + 1)(n + m) s (cuda) + 2 n s.
   A leapfrog block with -odyn_scheme_trajectory recompute is reversible the same way (the scheme run backwards,
   Y_{j-1} = 2 Y_j - Y_{j+1} + h^2 F(Y_j)): traj = [Y_0 | Y_N | Y_{N-1}] (3 n s), no lin; leapfrog_tanh_forward_final keeps
   the last two states, leapfrog_tanh_tangent_y0 recomputes forward from Y_0, leapfrog_tanh_adjoint_reversible rebuilds
   backwards from the last two, each with O(n s) scratch of its own.
   A conv leapfrog block (the second-order CNN, layer conv or convsymmetric) likewise, by conv_leapfrog_tanh_forward_final,
   _tangent_y0 and _adjoint_reversible, with lin their scratch (conv_leapfrog_tanh_revsize()).
   Its results differ from the storing sweeps by round-off (the rebuilt states drift by about the unit round-off per
   step; on the host table the sweeps are verletref.c's loops, not the direct path's kernels).
*/
#include <odyn/private/schemeimpl.h>
#include <odyn/private/odynimpl.h>
#include <odyn/private/backend.h>
#include <odyn/private/convkernels.h>

struct _OdynSchemeBackendStore {
  const OdynBackendOps *ops;                  /* the table the buffers belong to */
  PetscInt              salloc;               /* examples the state buffers hold */
  PetscInt              nparam;               /* of theta (0: the parameter buffers are not made yet) */
  double               *theta, *dtheta, *gtheta; /* backend, nparam each */
  double               *traj, *lin, *in, *out;   /* backend: (N + 1) n s, *_tanh_linsize(), n s, n s */
  double               *ztraj;                   /* backend, Verlet only: (N + 1) m s, Z_{k-1/2} at k m s */
  PetscScalar          *thetahost, *ghost;       /* host, nparam each: the theta now on the backend; the gradient back */
  PetscScalar          *effhost;                 /* host, nparam: the effective theta / dtheta uploaded (convantisym, antisym, negdef) */
  PetscBool             thetavalid;              /* a forward sweep uploaded theta (thetahost is its copy) */
  PetscBool             rev;                     /* states recomputed: Verlet traj = [Y_0 | Y_N], ztraj = Z_{N-1/2}, no lin (conv: the sweeps' scratch); leapfrog traj = [Y_0 | Y_N | Y_{N-1}] */
  long                  statedoubles;            /* of traj, ztraj, lin, in and out, for OdynSchemeView() */
  const double         *last;                    /* backend: where the last sweep left its output (Y_N, dY_N or gY0), for
                                                    the next block on the same backend (net.c); NULL: none there */
};

/* a Verlet block (dense or convolutional) or a leapfrog block that recomputes its states (reversible on the backend) */
static PetscBool BackendSingle(OdynScheme scheme);
static PetscBool BackendConvVerlet(OdynScheme scheme);
static PetscBool BackendLeapfrog(OdynScheme scheme);
static PetscBool BackendParabolic(OdynScheme scheme);
static PetscBool BackendConvLeapfrog(OdynScheme scheme);
static PetscBool BackendReversible(OdynScheme scheme) { return (scheme->ncomp == 2 || BackendLeapfrog(scheme)) && !BackendSingle(scheme) && scheme->trajtype == ODYN_TRAJECTORY_RECOMPUTE ? PETSC_TRUE : PETSC_FALSE; }

/*
   Whether the block can run on a backend: *ok, or in why[] what it is (for the callers' messages). Needs no set-up:
   the type, the layer's type and activation and the shared-weights flag are known before.
*/
PetscErrorCode OdynSchemeBackendSupported_Private(OdynScheme scheme, PetscBool *ok, char why[], size_t len)
{
  PetscBool   euler, verlet, single, leapfrog, dense = PETSC_FALSE, ham = PETSC_FALSE, conv = PETSC_FALSE, anti = PETSC_FALSE, convham = PETSC_FALSE, convok = PETSC_FALSE, mapped = PETSC_FALSE, sym = PETSC_FALSE, convsym = PETSC_FALSE;
  const char *stype = ((PetscObject)scheme)->type_name ? ((PetscObject)scheme)->type_name : ODYNSCHEMEEULER;
  OdynLayer   layer = scheme->layer;
  char        detail[192] = "";

  PetscFunctionBegin;
  PetscCall(PetscStrcmp(stype, ODYNSCHEMEEULER, &euler));
  PetscCall(PetscStrcmp(stype, ODYNSCHEMEVERLET, &verlet));
  PetscCall(PetscStrcmp(stype, ODYNSCHEMESINGLE, &single));
  PetscCall(PetscStrcmp(stype, ODYNSCHEMELEAPFROG, &leapfrog));
  if (layer && ((PetscObject)layer)->type_name) {
    PetscCall(PetscStrcmp(((PetscObject)layer)->type_name, ODYNLAYERDENSE, &dense));
    PetscCall(PetscStrcmp(((PetscObject)layer)->type_name, ODYNLAYERHAMILTONIAN, &ham));
    PetscCall(PetscStrcmp(((PetscObject)layer)->type_name, ODYNLAYERCONV, &conv));
    PetscCall(PetscStrcmp(((PetscObject)layer)->type_name, ODYNLAYERCONVANTISYM, &anti));
    PetscCall(PetscStrcmp(((PetscObject)layer)->type_name, ODYNLAYERCONVHAMILTONIAN, &convham));
    PetscCall(PetscStrcmp(((PetscObject)layer)->type_name, ODYNLAYERCONVSYMMETRIC, &convsym));
    PetscCall(PetscStrcmp(((PetscObject)layer)->type_name, ODYNLAYERANTISYM, &mapped));
    if (!mapped) PetscCall(PetscStrcmp(((PetscObject)layer)->type_name, ODYNLAYERNEGDEF, &mapped));
    PetscCall(PetscStrcmp(((PetscObject)layer)->type_name, ODYNLAYERSYMMETRIC, &sym));
  } else dense = PETSC_TRUE; /* the default layer is dense */
  if (conv || anti || convham || convsym) { /* what the conv kernels need: 3x3, c -> c channels (convhamiltonian, convsymmetric: c -> m), no normalization, no pooling */
    PetscInt  k, c, c2;
    PetscBool pool, tv;
    PetscReal eps;

    PetscCall(OdynLayerConvGetKernelSize(layer, &k));
    PetscCall(OdynLayerConvGetChannels(layer, &c, &c2));
    PetscCall(OdynLayerConvGetPooling(layer, &pool));
    PetscCall(OdynLayerConvGetTVNorm(layer, &tv, &eps));
    /* scheme single (the opening layer) applies layer conv once, cin -> cout channels; Euler needs c -> c */
    convok = k == 3 && (c2 == c || (single && conv) || convham || convsym) && !pool && !tv ? PETSC_TRUE : PETSC_FALSE;
    PetscCall(PetscSNPrintf(detail, sizeof(detail), " (%" PetscInt_FMT "x%" PetscInt_FMT " stencils, %" PetscInt_FMT " -> %" PetscInt_FMT " channels%s%s)", k, k, c, c2, tv ? ", TV normalization" : "", pool ? ", pooling" : ""));
  }
  *ok = ((euler && (dense || mapped || sym)) || (leapfrog && (dense || mapped)) || (verlet && ham) || (euler && (conv || anti) && convok) || (single && conv && convok) || (verlet && convham && convok) || (euler && convsym && convok) || (leapfrog && (conv || convsym) && convok)) && (!layer || layer->activation == ODYN_ACTIVATION_TANH) && !scheme->shared ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(PetscSNPrintf(why, len, "scheme %s, layer %s%s, activation %s%s", stype, layer && ((PetscObject)layer)->type_name ? ((PetscObject)layer)->type_name : ODYNLAYERDENSE, detail, OdynActivationTypes[layer ? layer->activation : ODYN_ACTIVATION_TANH], scheme->shared ? ", shared weights" : ""));
  PetscFunctionReturn(0);
}

/* a conv Euler block (one that qualified above): its channels and image, after the layer's set-up; *isconv false for
   the dense and Verlet blocks */
static PetscErrorCode BackendConvGeom(OdynScheme scheme, PetscBool *isconv, long *c, long *ih, long *iw)
{
  PetscInt  ch, c2, h, w;
  PetscBool anti;

  PetscFunctionBegin;
  *isconv = PETSC_FALSE;
  *c = *ih = *iw = 0;
  if (scheme->ncomp != 1 || !scheme->layer || !((PetscObject)scheme->layer)->type_name) PetscFunctionReturn(0);
  PetscCall(PetscStrcmp(((PetscObject)scheme->layer)->type_name, ODYNLAYERCONV, isconv));
  PetscCall(PetscStrcmp(((PetscObject)scheme->layer)->type_name, ODYNLAYERCONVANTISYM, &anti));
  *isconv = *isconv || anti ? PETSC_TRUE : PETSC_FALSE;
  if (!*isconv) PetscFunctionReturn(0);
  PetscCall(OdynLayerConvGetChannels(scheme->layer, &ch, &c2));
  PetscCall(OdynLayerConvGetImage(scheme->layer, &h, &w)); /* after set-up: the image in use, also when derived */
  PetscCheck(ch >= 1 && h >= 1 && w >= 1 && ch * h * w == scheme->nstate[0], PETSC_COMM_SELF, PETSC_ERR_PLIB, "Conv block on a backend: %" PetscInt_FMT " channels of %" PetscInt_FMT " x %" PetscInt_FMT " do not make the state width %" PetscInt_FMT, ch, h, w, scheme->nstate[0]);
  *c  = ch;
  *ih = h;
  *iw = w;
  PetscFunctionReturn(0);
}

/* a block of scheme single (the opening layer: layer conv cin -> cout applied once; qualified above) */
static PetscBool BackendSingle(OdynScheme scheme)
{
  const char *t = ((PetscObject)scheme)->type_name;

  return t && !strcmp(t, ODYNSCHEMESINGLE) ? PETSC_TRUE : PETSC_FALSE;
}

/* a dense block of scheme leapfrog (qualified above: dense, antisym or negdef layer, tanh; states stored or recomputed) */
static PetscBool BackendLeapfrog(OdynScheme scheme)
{
  const char *t = ((PetscObject)scheme)->type_name;

  return t && !strcmp(t, ODYNSCHEMELEAPFROG) ? PETSC_TRUE : PETSC_FALSE;
}

/* a forward Euler block with the symmetric layer (the parabolic network; qualified above) */
static PetscBool BackendParabolic(OdynScheme scheme)
{
  const char *t = ((PetscObject)scheme)->type_name;
  const char *l = scheme->layer ? ((PetscObject)scheme->layer)->type_name : NULL;

  return t && l && !strcmp(t, ODYNSCHEMEEULER) && !strcmp(l, ODYNLAYERSYMMETRIC) ? PETSC_TRUE : PETSC_FALSE;
}

/* its hidden width m (rows of K_j), after the layer's set-up: N (m n + m) parameters */
static PetscErrorCode BackendParabolicWidth(OdynScheme scheme, long *m)
{
  const PetscInt n = scheme->nstate[0], N = scheme->N;

  PetscFunctionBegin;
  PetscCheck(N > 0 && scheme->nparam % (N * (n + 1)) == 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Parabolic block on a backend: %" PetscInt_FMT " parameters are not N (m n + m) for N = %" PetscInt_FMT ", n = %" PetscInt_FMT, scheme->nparam, N, n);
  *m = scheme->nparam / (N * (n + 1));
  PetscFunctionReturn(0);
}

/* its channels and image after the layer's set-up; the state widths are cin ih iw in (component 0), cout ih iw out (1) */
static PetscErrorCode BackendSingleGeom(OdynScheme scheme, long *cin, long *cout, long *ih, long *iw)
{
  PetscInt c, c2, h, w;

  PetscFunctionBegin;
  PetscCall(OdynLayerConvGetChannels(scheme->layer, &c, &c2));
  PetscCall(OdynLayerConvGetImage(scheme->layer, &h, &w));
  PetscCheck(c >= 1 && c2 >= 1 && h >= 1 && w >= 1 && c * h * w == scheme->nstate[0] && c2 * h * w == scheme->nstate[1], PETSC_COMM_SELF, PETSC_ERR_PLIB, "Single conv block on a backend: %" PetscInt_FMT " -> %" PetscInt_FMT " channels of %" PetscInt_FMT " x %" PetscInt_FMT " do not make the widths %" PetscInt_FMT " -> %" PetscInt_FMT, c, c2, h, w, scheme->nstate[0], scheme->nstate[1]);
  PetscCheck(scheme->nparam == 9 * c * c2 + c2, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Single conv block on a backend: %" PetscInt_FMT " parameters, expected 9 cin cout + cout = %" PetscInt_FMT, scheme->nparam, 9 * c * c2 + c2);
  *cin  = c;
  *cout = c2;
  *ih   = h;
  *iw   = w;
  PetscFunctionReturn(0);
}

/* a Verlet block with layer convhamiltonian (the Hamiltonian CNN; qualified above) */
static PetscBool BackendConvVerlet(OdynScheme scheme)
{
  const char *t = ((PetscObject)scheme)->type_name;
  const char *l = scheme->layer ? ((PetscObject)scheme->layer)->type_name : NULL;

  return t && l && !strcmp(t, ODYNSCHEMEVERLET) && !strcmp(l, ODYNLAYERCONVHAMILTONIAN) ? PETSC_TRUE : PETSC_FALSE;
}

/* a forward Euler block with layer convsymmetric (the parabolic CNN; qualified above) */
static PetscBool BackendConvParabolic(OdynScheme scheme)
{
  const char *t = ((PetscObject)scheme)->type_name;
  const char *l = scheme->layer ? ((PetscObject)scheme->layer)->type_name : NULL;

  return t && l && !strcmp(t, ODYNSCHEMEEULER) && !strcmp(l, ODYNLAYERCONVSYMMETRIC) ? PETSC_TRUE : PETSC_FALSE;
}

/* a leapfrog block with layer conv or convsymmetric (the second-order CNN; qualified above); *sym: convsymmetric */
static PetscBool BackendConvLeapfrogSym(OdynScheme scheme, int *sym)
{
  const char *l = scheme->layer ? ((PetscObject)scheme->layer)->type_name : NULL;

  if (sym) *sym = l && !strcmp(l, ODYNLAYERCONVSYMMETRIC);
  return BackendLeapfrog(scheme) && l && (!strcmp(l, ODYNLAYERCONV) || !strcmp(l, ODYNLAYERCONVSYMMETRIC)) ? PETSC_TRUE : PETSC_FALSE;
}

static PetscBool BackendConvLeapfrog(OdynScheme scheme) { return BackendConvLeapfrogSym(scheme, NULL); }

/*
   The channels of a block with two channel counts after the layer's set-up, and its image: the Hamiltonian CNN (Y of c
   channels, Z of m: state widths c ih iw and m ih iw, N (9 c m + c + m) parameters), the parabolic CNN (Y of c, K * Y
   of m: state width c ih iw, N (9 c m + m) parameters) or the second-order CNN (likewise; layer conv: m = c)
*/
static PetscErrorCode BackendConvPairGeom(OdynScheme scheme, long *c, long *m, long *ih, long *iw)
{
  const PetscBool verlet = BackendConvVerlet(scheme);
  const char     *what   = verlet ? "Convhamiltonian Verlet" : BackendConvLeapfrog(scheme) ? "Conv leapfrog" : "Convsymmetric Euler";
  PetscInt        ch, c2, h, w, per;

  PetscFunctionBegin;
  PetscCall(OdynLayerConvGetChannels(scheme->layer, &ch, &c2));
  PetscCall(OdynLayerConvGetImage(scheme->layer, &h, &w));
  PetscCheck(ch >= 1 && c2 >= 1 && h >= 1 && w >= 1 && ch * h * w == scheme->nstate[0] && (!verlet || c2 * h * w == scheme->nstate[1]), PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s block on a backend: %" PetscInt_FMT ", %" PetscInt_FMT " channels of %" PetscInt_FMT " x %" PetscInt_FMT " do not make the state widths %" PetscInt_FMT ", %" PetscInt_FMT, what, ch, c2, h, w, scheme->nstate[0], scheme->nstate[1]);
  per = 9 * ch * c2 + c2 + (verlet ? ch : 0);
  PetscCheck(scheme->nparam == scheme->N * per, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s block on a backend: %" PetscInt_FMT " parameters, expected N (9 c m + %sm) = %" PetscInt_FMT, what, scheme->nparam, verlet ? "c + " : "", scheme->N * per);
  *c  = ch;
  *m  = c2;
  *ih = h;
  *iw = w;
  PetscFunctionReturn(0);
}

/*
   A convantisym Euler block runs the conv Euler operations with the effective stencil of each step, the layer's
   M(K) = (K - adj K - gamma I)/2 (convcore.c: adj K the flipped stencil with exchanged channels, gamma on the centre
   tap of each channel's own stencil). It is formed here on the host from the gathered parameters, by the operations
   the layer forms it with, in the same order (so the forward is the host path's bit for bit), once per upload: theta
   with gamma, the tangent's dtheta by the derivative (dK - adj dK)/2 without it. The stencil gradient G the sweep
   returns maps back by the adjoint of that linear map, gK += (G - adj G)/2 (adj is a permutation and its own inverse,
   so its own transpose). Biases are copied, and their gradients added, unchanged. (BackendEffective() says which blocks.)
*/
typedef enum {
  EFFECTIVE_NONE,       /* the sweeps run with theta itself */
  EFFECTIVE_CONVANTISYM, /* the effective stencils below */
  EFFECTIVE_AFFINE       /* a dense Euler or leapfrog block of layer antisym or negdef: M_j = map(kappa_j) as dense weights */
} BackendEffectiveKind;

/*
   Which effective parameters a block's sweeps run with. A dense Euler or leapfrog block whose layer's matrix is a map
   of its parameters (antisym: (K - K^T - gamma I)/2, negdef: -C^T C) runs the dense sweeps with M_j = map(kappa_j), the
   tangent with map'(kappa_j) dkappa_j, and its gradient maps back by map'(kappa_j)^T: all parameter-sized, on the host,
   by the layer's own maps (OdynLayerAffineDenseParameters_Private()).
*/
static PetscErrorCode BackendEffective(OdynScheme scheme, BackendEffectiveKind *kind, PetscReal *gamma)
{
  PetscBool is;

  PetscFunctionBegin;
  *kind  = EFFECTIVE_NONE;
  *gamma = 0;
  if (scheme->ncomp != 1 || BackendSingle(scheme) || !scheme->layer || !((PetscObject)scheme->layer)->type_name) PetscFunctionReturn(0);
  PetscCall(PetscStrcmp(((PetscObject)scheme->layer)->type_name, ODYNLAYERCONVANTISYM, &is));
  if (is) {
    *kind = EFFECTIVE_CONVANTISYM;
    PetscCall(OdynLayerAntisymGetGamma(scheme->layer, gamma));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscStrcmp(((PetscObject)scheme->layer)->type_name, ODYNLAYERANTISYM, &is));
  if (!is) PetscCall(PetscStrcmp(((PetscObject)scheme->layer)->type_name, ODYNLAYERNEGDEF, &is));
  if (is) *kind = EFFECTIVE_AFFINE;
  PetscFunctionReturn(0);
}

/* out = the effective parameters of in (N steps of [K (c x c x 3 x 3) | b (c)]): M(K) with gamma, or M'(K) without */
static PetscErrorCode AntisymEffective(OdynScheme scheme, long c, PetscBool with_gamma, PetscReal gamma, const PetscScalar *in, PetscScalar *out)
{
  const long nk = 9 * c * c, slot = nk + c;

  PetscFunctionBegin;
  PetscCheck(scheme->nparam == scheme->N * slot, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Convantisym block on a backend: %" PetscInt_FMT " parameters, expected N (9 c^2 + c) = %ld", scheme->nparam, (long)scheme->N * slot);
  for (PetscInt j = 0; j < scheme->N; j++) {
    const PetscScalar *K = in + j * slot;
    PetscScalar       *M = out + j * slot;

    PetscCall(PetscArrayzero(M, nk));
    odyn_axpy(nk, 0.5, K, M);
    odyn_conv_flip_add(c, c, 3, -0.5, K, M);
    if (with_gamma)
      for (long o = 0; o < c; o++) M[((o * c + o) * 3 + 1) * 3 + 1] -= 0.5 * gamma;
    PetscCall(PetscArraycpy(M + nk, K + nk, c));
  }
  PetscFunctionReturn(0);
}

/* g += the adjoint of the effective map applied to G (the gradient w.r.t. the effective parameters) */
static void AntisymGradientAdd(OdynScheme scheme, long c, const PetscScalar *G, PetscScalar *g)
{
  const long nk = 9 * c * c, slot = nk + c;

  for (PetscInt j = 0; j < scheme->N; j++) {
    odyn_axpy(nk, 0.5, G + j * slot, g + j * slot);
    odyn_conv_flip_add(c, c, 3, -0.5, G + j * slot, g + j * slot);
    odyn_axpy(c, 1.0, G + j * slot + nk, g + j * slot + nk);
  }
}

/* what runs on a backend, for the error messages */
#define ODYN_BACKEND_SUPPORTED ODYN_BACKEND_SUPPORTED_BLOCKS

/* the set-up's check of a block on its own (a network checks its blocks first, naming them: OdynNetSetUp()) */
PetscErrorCode OdynSchemeBackendCheck_Private(OdynScheme scheme)
{
  PetscBool   ok;
  char        why[256];
  const char *prefix;

  PetscFunctionBegin;
  if (!scheme->backend) PetscFunctionReturn(0);
  PetscCall(OdynSchemeBackendSupported_Private(scheme, &ok, why, sizeof(why)));
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)scheme, &prefix));
  PetscCheck(ok, PetscObjectComm((PetscObject)scheme), PETSC_ERR_SUP, "Backend %s: the block%s%s (%s) cannot run on it: it runs only %s so far. Use the backend host for this block (-odyn_backend host, docs/gpu.md)", scheme->backend->name, prefix ? " with options prefix " : "", prefix ? prefix : "", why, ODYN_BACKEND_SUPPORTED);
  if (BackendSingle(scheme)) { /* the opening layer: the table says whether it runs these channels */
    long cin, cout, ih, iw;

    PetscCall(BackendSingleGeom(scheme, &cin, &cout, &ih, &iw));
    PetscCheck(scheme->backend->conv_tanh_linsize(cin, cout, ih, iw, 1) >= 0, PetscObjectComm((PetscObject)scheme), PETSC_ERR_SUP, "Backend %s: the single conv block%s%s has %ld -> %ld channels, but that backend runs conv layers only up to %d channels (its direct 3x3 kernels keep the stencil in constant memory). Use -odyn_backend host for this block (docs/gpu.md)", scheme->backend->name, prefix ? " with options prefix " : "", prefix ? prefix : "", cin, cout, ODYN_BACKEND_CONV_MAXC);
  } else if (BackendConvVerlet(scheme)) { /* the Hamiltonian CNN: the table says whether it runs these channels */
    long c, m, ih, iw;

    PetscCall(BackendConvPairGeom(scheme, &c, &m, &ih, &iw));
    PetscCheck(scheme->backend->conv_verlet_tanh_linsize(c, m, ih, iw, 1, 1) >= 0 && (!scheme->backend->conv_verlet_tanh_revsize || scheme->backend->conv_verlet_tanh_revsize(c, m, ih, iw, 1) >= 0), PetscObjectComm((PetscObject)scheme), PETSC_ERR_SUP, "Backend %s: the convhamiltonian Verlet block%s%s has %ld channels (Y) and %ld (Z), but that backend runs conv blocks only up to %d channels (its direct 3x3 kernels keep the stencil in constant memory). Use -odyn_backend host for this block (docs/gpu.md)", scheme->backend->name, prefix ? " with options prefix " : "", prefix ? prefix : "", c, m, ODYN_BACKEND_CONV_MAXC);
  } else if (BackendConvParabolic(scheme)) { /* the parabolic CNN: the table says whether it runs these channels */
    long c, m, ih, iw;

    PetscCall(BackendConvPairGeom(scheme, &c, &m, &ih, &iw));
    PetscCheck(scheme->backend->conv_parabolic_tanh_linsize(c, m, ih, iw, 1, 1) >= 0, PetscObjectComm((PetscObject)scheme), PETSC_ERR_SUP, "Backend %s: the convsymmetric Euler block%s%s has %ld channels (Y) and %ld (K * Y), but that backend runs conv blocks only up to %d channels (its direct 3x3 kernels keep the stencil in constant memory). Use -odyn_backend host for this block (docs/gpu.md)", scheme->backend->name, prefix ? " with options prefix " : "", prefix ? prefix : "", c, m, ODYN_BACKEND_CONV_MAXC);
  } else if (BackendConvLeapfrog(scheme)) { /* the second-order CNN: the table says whether it runs these channels */
    long c, m, ih, iw;
    int  sym;

    (void)BackendConvLeapfrogSym(scheme, &sym);
    PetscCall(BackendConvPairGeom(scheme, &c, &m, &ih, &iw));
    PetscCheck(scheme->backend->conv_leapfrog_tanh_linsize(sym, c, m, ih, iw, 1, 1) >= 0 && scheme->backend->conv_leapfrog_tanh_revsize(sym, c, m, ih, iw, 1) >= 0, PetscObjectComm((PetscObject)scheme), PETSC_ERR_SUP, "Backend %s: the conv leapfrog block%s%s has %ld channels (Y) and %ld (K * Y), but that backend runs conv blocks only up to %d channels (its direct 3x3 kernels keep the stencil in constant memory). Use -odyn_backend host for this block (docs/gpu.md)", scheme->backend->name, prefix ? " with options prefix " : "", prefix ? prefix : "", c, m, ODYN_BACKEND_CONV_MAXC);
  } else if (scheme->ncomp == 2) { /* a Verlet block: the widths are known now (set-up); the table says whether it runs them */
    const long n = scheme->nstate[0], m = scheme->nstate[1];

    PetscCheck(scheme->backend->verlet_tanh_linsize(n, m, 1, 1) >= 0, PetscObjectComm((PetscObject)scheme), PETSC_ERR_SUP, "Backend %s: the Verlet block%s%s has widths n = %ld, m = %ld (hidden), which that backend cannot run (its verlet_tanh_linsize() answers -1). Use -odyn_backend host for this block (docs/gpu.md)", scheme->backend->name, prefix ? " with options prefix " : "", prefix ? prefix : "", n, m);
  } else {
    PetscBool isconv;
    long      c, ih, iw;

    PetscCall(BackendConvGeom(scheme, &isconv, &c, &ih, &iw));
    PetscCheck(!isconv || scheme->backend->conv_euler_tanh_linsize(c, ih, iw, 1, 1) >= 0, PetscObjectComm((PetscObject)scheme), PETSC_ERR_SUP, "Backend %s: the conv block%s%s has %ld channels, but that backend runs conv blocks only up to %d channels (its direct 3x3 kernels keep the stencil in constant memory). Use -odyn_backend host for this block (docs/gpu.md)", scheme->backend->name, prefix ? " with options prefix " : "", prefix ? prefix : "", c, ODYN_BACKEND_CONV_MAXC);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OdynSchemeBackendFree_Private(OdynScheme scheme)
{
  struct _OdynSchemeBackendStore *bk = scheme->bk;

  PetscFunctionBegin;
  if (!bk) PetscFunctionReturn(0);
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->theta));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->dtheta));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->gtheta));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->traj));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->ztraj));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->lin));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->in));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->out));
  PetscCall(PetscFree3(bk->thetahost, bk->ghost, bk->effhost));
  PetscCall(PetscFree(scheme->bk));
  PetscFunctionReturn(0);
}

static PetscErrorCode BackendMalloc(const OdynBackendOps *ops, size_t len, double **p)
{
  PetscFunctionBegin;
  PetscCall(OdynBackendMalloc(ops, len * sizeof(double), (void **)p));
  PetscFunctionReturn(0);
}

/* host <-> backend copies, counted: OdynSchemeView() reports what crossed, and the tests check that blocks chained on
   one backend hand their states over in its memory */
static PetscErrorCode BackendToDevice(OdynScheme scheme, double *dst, const PetscScalar *src, PetscInt len)
{
  PetscFunctionBegin;
  PetscCall(OdynBackendToDevice_Private(scheme->bk->ops, dst, src, len, &scheme->bktodevice));
  PetscFunctionReturn(0);
}

static PetscErrorCode BackendToHost(OdynScheme scheme, PetscScalar *dst, const double *src, PetscInt len)
{
  PetscFunctionBegin;
  PetscCall(OdynBackendToHost_Private(scheme->bk->ops, dst, src, len, &scheme->bktohost));
  PetscFunctionReturn(0);
}

/*
   Where the block's last sweep left its output (Y_N, dY_N or gY0) in the memory of backend ops, for the next block or
   the loss on that backend (net.c): the block must run on ops and its sweep must have kept the output there.
*/
PetscErrorCode OdynSchemeBackendGetOutput_Private(OdynScheme scheme, const OdynBackendOps *ops, const double **out)
{
  PetscFunctionBegin;
  PetscCheck(ops && scheme->backend == ops && scheme->bk && scheme->bk->ops == ops, PETSC_COMM_SELF, PETSC_ERR_PLIB, "States handed over in backend memory must stay on one backend");
  PetscCheck(scheme->bk->last || !scheme->s, PETSC_COMM_SELF, PETSC_ERR_PLIB, "The block's last sweep left no output in backend memory");
  *out = scheme->bk->last;
  PetscFunctionReturn(0);
}

/*
   A sweep's input of len doubles: devin, already in this backend's memory (the neighbouring block's output: no trip
   through the host), else the host array copied into stage; *use is what the table reads (NULL when neither is
   given). With copy, the input must be in stage itself (the linearization point a block keeps): devin is copied there.
*/
static PetscErrorCode BackendInput(OdynScheme scheme, const PetscScalar *host, const double *devin, PetscInt len, PetscBool copy, double *stage, const double **use)
{
  PetscFunctionBegin;
  *use = NULL;
  if (devin) {
    *use = devin;
    if (copy) {
      OdynBackendCall(scheme->bk->ops, copy_device, stage, devin, (size_t)len * sizeof(double));
      *use = stage;
    }
  } else if (host) {
    PetscCall(BackendToDevice(scheme, stage, host, len));
    *use = stage;
  }
  PetscFunctionReturn(0);
}

/* the sweep's output, at out in backend memory: kept there for the next block, and copied to the host array when given */
static PetscErrorCode BackendOutput(OdynScheme scheme, const double *out, PetscInt len, PetscScalar *host)
{
  PetscFunctionBegin;
  scheme->bk->last = out;
  if (host) PetscCall(BackendToHost(scheme, host, out, len));
  PetscFunctionReturn(0);
}

/* the buffers for s examples (kept when large enough; states of a previous forward are dropped either way) */
static PetscErrorCode BackendAllocate(OdynScheme scheme, PetscInt s)
{
  const OdynBackendOps           *ops = scheme->backend;
  const PetscInt                  n = scheme->nstate[0], m = scheme->nstate[1], N = scheme->N;
  const PetscBool                 single = BackendSingle(scheme), verlet = scheme->ncomp == 2 && !single ? PETSC_TRUE : PETSC_FALSE, rev = BackendReversible(scheme), convv = BackendConvVerlet(scheme);
  struct _OdynSchemeBackendStore *bk;
  PetscBool                       isconv;
  const PetscBool                 convp = BackendConvParabolic(scheme);
  int                             lsym  = 0;
  const PetscBool                 convl = BackendConvLeapfrogSym(scheme, &lsym);
  long                            c, ih, iw, cin = 0, cout = 0, cm = 0, pm = 0;

  PetscFunctionBegin;
  PetscCall(BackendConvGeom(scheme, &isconv, &c, &ih, &iw));
  if (convp || convl) PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
  if (single) PetscCall(BackendSingleGeom(scheme, &cin, &cout, &ih, &iw));
  if (BackendParabolic(scheme) && N > 0) PetscCall(BackendParabolicWidth(scheme, &pm));
  if (convv) PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
  if (scheme->bk && scheme->bk->ops != ops) PetscCall(OdynSchemeBackendFree_Private(scheme));
  if (!scheme->bk) {
    PetscCall(PetscNew(&scheme->bk));
    scheme->bk->ops = ops;
  }
  bk = scheme->bk;
  if (!bk->nparam) {
    bk->nparam = scheme->nparam;
    PetscCall(BackendMalloc(ops, (size_t)bk->nparam, &bk->theta));
    PetscCall(BackendMalloc(ops, (size_t)bk->nparam, &bk->dtheta));
    PetscCall(BackendMalloc(ops, (size_t)bk->nparam, &bk->gtheta));
    PetscCall(PetscMalloc3(bk->nparam, &bk->thetahost, bk->nparam, &bk->ghost, bk->nparam, &bk->effhost));
  }
  PetscCheck(bk->nparam == scheme->nparam, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Backend buffers hold %" PetscInt_FMT " parameters, the block has %" PetscInt_FMT, bk->nparam, scheme->nparam);
  PetscCheck(!rev || BackendLeapfrog(scheme) || (ops->verlet_tanh_forward_final && ops->verlet_tanh_tangent_y0 && ops->verlet_tanh_adjoint_reversible), PETSC_COMM_SELF, PETSC_ERR_SUP, "Backend %s has no reversible Verlet sweeps: use -odyn_scheme_trajectory store for this block", ops->name);
  PetscCheck(!rev || !convl || (ops->conv_leapfrog_tanh_revsize && ops->conv_leapfrog_tanh_forward_final && ops->conv_leapfrog_tanh_tangent_y0 && ops->conv_leapfrog_tanh_adjoint_reversible), PETSC_COMM_SELF, PETSC_ERR_SUP, "Backend %s has no reversible conv leapfrog sweeps: use -odyn_scheme_trajectory store for this block", ops->name);
  PetscCheck(!rev || !BackendLeapfrog(scheme) || convl || (ops->leapfrog_tanh_forward_final && ops->leapfrog_tanh_tangent_y0 && ops->leapfrog_tanh_adjoint_reversible), PETSC_COMM_SELF, PETSC_ERR_SUP, "Backend %s has no reversible leapfrog sweeps: use -odyn_scheme_trajectory store for this block", ops->name);
  PetscCheck(!rev || !convv || (ops->conv_verlet_tanh_revsize && ops->conv_verlet_tanh_forward_final && ops->conv_verlet_tanh_tangent_y0 && ops->conv_verlet_tanh_adjoint_reversible), PETSC_COMM_SELF, PETSC_ERR_SUP, "Backend %s has no reversible convhamiltonian Verlet sweeps: use -odyn_scheme_trajectory store for this block", ops->name);
  if (rev != bk->rev) bk->salloc = 0; /* the other layout: the buffers are made again */
  if (single && s > bk->salloc) {
    /* traj = Y_0 (cin h w s: the linearization point), in = dY_0 or W, out = Y_1, dY_1 or gY_0: the wider of the two */
    const long linlen = ops->conv_tanh_linsize(cin, cout, ih, iw, s), wide = PetscMax(n, m);

    PetscCheck(linlen >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Backend %s: no linearization size for a conv layer %ld -> %ld channels, s = %" PetscInt_FMT, ops->name, cin, cout, s);
    PetscCall(OdynBackendFree(ops, (void **)&bk->traj));
    PetscCall(OdynBackendFree(ops, (void **)&bk->lin));
    PetscCall(OdynBackendFree(ops, (void **)&bk->in));
    PetscCall(OdynBackendFree(ops, (void **)&bk->out));
    bk->salloc       = 0;
    bk->statedoubles = 0;
    PetscCall(BackendMalloc(ops, (size_t)n * s, &bk->traj));
    if (linlen) PetscCall(BackendMalloc(ops, (size_t)linlen, &bk->lin));
    PetscCall(BackendMalloc(ops, (size_t)wide * s, &bk->in));
    PetscCall(BackendMalloc(ops, (size_t)wide * s, &bk->out));
    bk->salloc       = s;
    bk->rev          = PETSC_FALSE;
    bk->statedoubles = n * s + linlen + 2 * wide * s;
  } else if (!single && s > bk->salloc) {
    const long linlen = rev ? (convv ? ops->conv_verlet_tanh_revsize(c, cm, ih, iw, s) : convl ? ops->conv_leapfrog_tanh_revsize(lsym, c, cm, ih, iw, s) : 0) : convv ? ops->conv_verlet_tanh_linsize(c, cm, ih, iw, N, s) : convp ? ops->conv_parabolic_tanh_linsize(c, cm, ih, iw, N, s) : convl ? ops->conv_leapfrog_tanh_linsize(lsym, c, cm, ih, iw, N, s) : verlet ? ops->verlet_tanh_linsize(n, m, N, s) : isconv ? ops->conv_euler_tanh_linsize(c, ih, iw, N, s) : BackendLeapfrog(scheme) ? ops->leapfrog_tanh_linsize(n, N, s) : pm ? ops->parabolic_tanh_linsize(n, pm, N, s) : ops->euler_tanh_linsize(n, N, s);
    const long ntraj = rev ? (BackendLeapfrog(scheme) ? 3 : 2) : N + 1, nz = rev ? 1 : N + 1; /* reversible: [Y_0 | Y_N] (leapfrog: | Y_{N-1}) */

    PetscCheck(linlen >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Backend %s: no linearization size for n = %" PetscInt_FMT ", N = %" PetscInt_FMT ", s = %" PetscInt_FMT, ops->name, n, N, s);
    PetscCall(OdynBackendFree(ops, (void **)&bk->traj));
    PetscCall(OdynBackendFree(ops, (void **)&bk->ztraj));
    PetscCall(OdynBackendFree(ops, (void **)&bk->lin));
    PetscCall(OdynBackendFree(ops, (void **)&bk->in));
    PetscCall(OdynBackendFree(ops, (void **)&bk->out));
    bk->salloc       = 0;
    bk->statedoubles = 0;
    PetscCall(BackendMalloc(ops, (size_t)ntraj * n * s, &bk->traj));
    if (verlet) PetscCall(BackendMalloc(ops, (size_t)nz * m * s, &bk->ztraj));
    if (linlen) PetscCall(BackendMalloc(ops, (size_t)linlen, &bk->lin));
    PetscCall(BackendMalloc(ops, (size_t)n * s, &bk->in));
    PetscCall(BackendMalloc(ops, (size_t)n * s, &bk->out));
    bk->salloc       = s;
    bk->rev          = rev;
    bk->statedoubles = ntraj * n * s + (verlet ? nz * m * s : 0) + linlen + 2 * n * s;
  }
  bk->thetavalid = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* the derivative sweeps use the forward's theta on the backend (and, there, its linearization): a different theta is a
   misuse of OdynSchemeTangent()/OdynSchemeAdjoint(), which the host path would answer with mixed results */
static PetscErrorCode BackendCheckTheta(OdynScheme scheme, const PetscScalar *theta, const char *sweep)
{
  struct _OdynSchemeBackendStore *bk = scheme->bk;
  PetscBool                       same;

  PetscFunctionBegin;
  PetscCheck(bk && bk->thetavalid, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Call OdynSchemeForward() (or OdynNetForward()) before a tangent or adjoint sweep");
  PetscCall(PetscArraycmp(theta, bk->thetahost, bk->nparam, &same));
  PetscCheck(same, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "The %s sweep was given other parameters than the forward sweep: on backend %s the block keeps the forward's parameters and linearization; pass the forward's theta, or run the forward sweep again", sweep, bk->ops->name);
  PetscFunctionReturn(0);
}

/*
   The sweeps. Each takes its input from the host array (Y0, dY0, W) or, when devin is given, from this backend's
   memory: the output the neighbouring block on the same backend left there (net.c: forward and tangent from the block
   before, adjoint from the block after; OdynSchemeBackendGetOutput_Private()) or the loss's W H_Z (W^T dY) of a
   Gauss-Newton product; each leaves its output in backend memory (bk->last) and copies it to the host array when one
   is given. So a chain of blocks on one backend moves only the network's input and output through the host.
*/
PetscErrorCode OdynSchemeForward_Backend_Private(OdynScheme scheme, const PetscScalar *theta, PetscInt s, const PetscScalar *Y0, const double *devin, PetscScalar *YN)
{
  const OdynBackendOps           *ops = scheme->backend;
  const PetscInt                  n = scheme->nstate[0], N = scheme->N;
  struct _OdynSchemeBackendStore *bk;
  PetscBool                       isconv;
  BackendEffectiveKind            eff;
  PetscReal                       gamma;
  long                            c, ih, iw;
  const double                   *y0;

  PetscFunctionBegin;
  scheme->hastraj = PETSC_FALSE;
  PetscCall(BackendAllocate(scheme, s));
  bk       = scheme->bk;
  bk->last = NULL;
  PetscCall(BackendConvGeom(scheme, &isconv, &c, &ih, &iw));
  PetscCall(BackendEffective(scheme, &eff, &gamma));
  PetscCall(PetscArraycpy(bk->thetahost, theta, bk->nparam));
  if (BackendSingle(scheme)) { /* Y_0 kept as the linearization point, Y_1 through out */
    long cin, cout;

    PetscCall(BackendSingleGeom(scheme, &cin, &cout, &ih, &iw));
    PetscCall(BackendToDevice(scheme, bk->theta, theta, bk->nparam));
    bk->thetavalid = PETSC_TRUE;
    scheme->s      = s;
    if (!s) PetscFunctionReturn(0);
    PetscCall(BackendInput(scheme, Y0, devin, n * s, PETSC_TRUE, bk->traj, &y0));
    PetscCheck(y0, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "The forward sweep needs its input Y0");
    OdynBackendCall(ops, conv_tanh_forward, cin, cout, ih, iw, s, bk->theta, y0, bk->out, bk->lin);
    PetscCall(BackendOutput(scheme, bk->out, scheme->nstate[1] * s, YN));
    PetscFunctionReturn(0);
  }
  if (eff == EFFECTIVE_CONVANTISYM) PetscCall(AntisymEffective(scheme, c, PETSC_TRUE, gamma, theta, bk->effhost)); /* the stencils the sweeps run with */
  if (eff == EFFECTIVE_AFFINE) PetscCall(OdynLayerAffineDenseParameters_Private(scheme->layer, N, ODYN_AFFINE_MAP, theta, theta, bk->effhost));
  PetscCall(BackendToDevice(scheme, bk->theta, eff != EFFECTIVE_NONE ? bk->effhost : theta, bk->nparam));
  bk->thetavalid = PETSC_TRUE;
  scheme->s      = s;
  if (!s) PetscFunctionReturn(0);
  /* Y_0 in traj itself when it is kept for the tangent (reversible), else read where it is: the forward stores it */
  PetscCall(BackendInput(scheme, Y0, devin, n * s, bk->rev, bk->rev ? bk->traj : bk->in, &y0));
  PetscCheck(y0, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "The forward sweep needs its input Y0");
  if (bk->rev) { /* then only the last pair */
    if (BackendConvLeapfrog(scheme)) {
      long cm;
      int  sym;

      (void)BackendConvLeapfrogSym(scheme, &sym);
      PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
      OdynBackendCall(ops, conv_leapfrog_tanh_forward_final, sym, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, bk->traj, bk->traj + (size_t)n * s, bk->traj + (size_t)2 * n * s, bk->lin);
    } else if (BackendLeapfrog(scheme)) OdynBackendCall(ops, leapfrog_tanh_forward_final, n, N, s, scheme->T / N, bk->theta, bk->traj, bk->traj + (size_t)n * s, bk->traj + (size_t)2 * n * s);
    else if (BackendConvVerlet(scheme)) {
      long cm;

      PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
      OdynBackendCall(ops, conv_verlet_tanh_forward_final, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, bk->traj, bk->traj + (size_t)n * s, bk->ztraj, bk->lin);
    } else OdynBackendCall(ops, verlet_tanh_forward_final, n, scheme->nstate[1], N, s, scheme->T / N, bk->theta, bk->traj, bk->traj + (size_t)n * s, bk->ztraj);
    PetscCall(BackendOutput(scheme, bk->traj + (size_t)n * s, n * s, YN));
    PetscFunctionReturn(0);
  }
  if (BackendConvVerlet(scheme)) {
    long cm;

    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_verlet_tanh_forward, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, y0, bk->traj, bk->ztraj, bk->lin);
  } else if (scheme->ncomp == 2) OdynBackendCall(ops, verlet_tanh_forward, n, scheme->nstate[1], N, s, scheme->T / N, bk->theta, y0, bk->traj, bk->ztraj, bk->lin);
  else if (BackendConvLeapfrog(scheme)) {
    long cm;
    int  sym;

    (void)BackendConvLeapfrogSym(scheme, &sym);
    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_leapfrog_tanh_forward, sym, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, y0, bk->traj, bk->lin);
  } else if (isconv) OdynBackendCall(ops, conv_euler_tanh_forward, c, ih, iw, N, s, scheme->T / N, bk->theta, y0, bk->traj, bk->lin);
  else if (BackendConvParabolic(scheme)) {
    long cm;

    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_parabolic_tanh_forward, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, y0, bk->traj, bk->lin);
  } else if (BackendLeapfrog(scheme)) OdynBackendCall(ops, leapfrog_tanh_forward, n, N, s, scheme->T / N, bk->theta, y0, bk->traj, bk->lin);
  else if (BackendParabolic(scheme)) {
    long m;

    PetscCall(BackendParabolicWidth(scheme, &m));
    OdynBackendCall(ops, parabolic_tanh_forward, n, m, N, s, scheme->T / N, bk->theta, y0, bk->traj, bk->lin);
  } else OdynBackendCall(ops, euler_tanh_forward, n, N, s, scheme->T / N, bk->theta, y0, bk->traj, bk->lin);
  PetscCall(BackendOutput(scheme, bk->traj + (size_t)N * n * s, n * s, YN));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynSchemeTangent_Backend_Private(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *dtheta, const PetscScalar *dY0, const double *devin, PetscScalar *dYN)
{
  const OdynBackendOps           *ops = scheme->backend;
  const PetscInt                  n = scheme->nstate[0], N = scheme->N, s = scheme->s;
  struct _OdynSchemeBackendStore *bk = scheme->bk;
  PetscBool                       isconv;
  BackendEffectiveKind            eff;
  PetscReal                       gamma;
  long                            c, ih, iw;
  const double                   *dy0;

  PetscFunctionBegin;
  PetscCall(BackendCheckTheta(scheme, theta, "tangent"));
  bk->last = NULL;
  if (!s) PetscFunctionReturn(0);
  if (BackendSingle(scheme)) {
    long cin, cout;

    PetscCall(BackendSingleGeom(scheme, &cin, &cout, &ih, &iw));
    if (dtheta) PetscCall(BackendToDevice(scheme, bk->dtheta, dtheta, bk->nparam));
    PetscCall(BackendInput(scheme, dY0, devin, n * s, PETSC_FALSE, bk->in, &dy0));
    OdynBackendCall(ops, conv_tanh_tangent, cin, cout, ih, iw, s, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->lin, dy0, bk->out);
    PetscCall(BackendOutput(scheme, bk->out, scheme->nstate[1] * s, dYN));
    PetscFunctionReturn(0);
  }
  PetscCall(BackendConvGeom(scheme, &isconv, &c, &ih, &iw));
  PetscCall(BackendEffective(scheme, &eff, &gamma));
  if (dtheta && eff == EFFECTIVE_CONVANTISYM) { /* the effective dtheta: the derivative of the stencil map, linear, no gamma */
    PetscCall(AntisymEffective(scheme, c, PETSC_FALSE, 0.0, dtheta, bk->effhost));
    dtheta = bk->effhost;
  }
  if (dtheta && eff == EFFECTIVE_AFFINE) { /* map'(kappa_j) dkappa_j */
    PetscCall(OdynLayerAffineDenseParameters_Private(scheme->layer, N, ODYN_AFFINE_DMAP, theta, dtheta, bk->effhost));
    dtheta = bk->effhost;
  }
  if (dtheta) PetscCall(BackendToDevice(scheme, bk->dtheta, dtheta, bk->nparam));
  PetscCall(BackendInput(scheme, dY0, devin, n * s, PETSC_FALSE, bk->in, &dy0));
  if (bk->rev && BackendConvLeapfrog(scheme)) {
    long cm;
    int  sym;

    (void)BackendConvLeapfrogSym(scheme, &sym);
    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_leapfrog_tanh_tangent_y0, sym, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->lin, dy0, bk->out);
  } else if (bk->rev && BackendLeapfrog(scheme)) OdynBackendCall(ops, leapfrog_tanh_tangent_y0, n, N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, dy0, bk->out);
  else if (bk->rev && BackendConvVerlet(scheme)) {
    long cm;

    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_verlet_tanh_tangent_y0, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->lin, dy0, bk->out);
  } else if (bk->rev) OdynBackendCall(ops, verlet_tanh_tangent_y0, n, scheme->nstate[1], N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, dy0, bk->out);
  else if (BackendConvVerlet(scheme)) {
    long cm;

    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_verlet_tanh_tangent, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->ztraj, bk->lin, dy0, bk->out);
  } else if (scheme->ncomp == 2) OdynBackendCall(ops, verlet_tanh_tangent, n, scheme->nstate[1], N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->ztraj, bk->lin, dy0, bk->out);
  else if (BackendConvLeapfrog(scheme)) {
    long cm;
    int  sym;

    (void)BackendConvLeapfrogSym(scheme, &sym);
    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_leapfrog_tanh_tangent, sym, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->lin, dy0, bk->out);
  } else if (isconv) OdynBackendCall(ops, conv_euler_tanh_tangent, c, ih, iw, N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->lin, dy0, bk->out);
  else if (BackendConvParabolic(scheme)) {
    long cm;

    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_parabolic_tanh_tangent, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->lin, dy0, bk->out);
  } else if (BackendLeapfrog(scheme)) OdynBackendCall(ops, leapfrog_tanh_tangent, n, N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->lin, dy0, bk->out);
  else if (BackendParabolic(scheme)) {
    long m;

    PetscCall(BackendParabolicWidth(scheme, &m));
    OdynBackendCall(ops, parabolic_tanh_tangent, n, m, N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->lin, dy0, bk->out);
  } else OdynBackendCall(ops, euler_tanh_tangent, n, N, s, scheme->T / N, bk->theta, dtheta ? bk->dtheta : NULL, bk->traj, bk->lin, dy0, bk->out);
  PetscCall(BackendOutput(scheme, bk->out, n * s, dYN));
  PetscFunctionReturn(0);
}

/* keep: compute gY0 into backend memory for the block before on the same backend even when gY0 (host) is NULL */
PetscErrorCode OdynSchemeAdjoint_Backend_Private(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *W, const double *devin, PetscScalar *gtheta, PetscScalar *gY0, PetscBool keep)
{
  const OdynBackendOps           *ops = scheme->backend;
  const PetscInt                  n = scheme->nstate[0], N = scheme->N, s = scheme->s;
  const PetscBool                 wantgy0 = gY0 || keep ? PETSC_TRUE : PETSC_FALSE;
  struct _OdynSchemeBackendStore *bk = scheme->bk;
  PetscBool                       isconv;
  BackendEffectiveKind            eff;
  PetscReal                       gamma;
  long                            c, ih, iw;
  const double                   *w;
  double                         *gt, *gy;

  PetscFunctionBegin;
  PetscCall(BackendCheckTheta(scheme, theta, "adjoint"));
  bk->last = NULL;
  if (!s || (!gtheta && !wantgy0)) PetscFunctionReturn(0); /* no example on this rank: nothing to add to gtheta */
  /* W is the block's output width per example (a single block's cout h w), gY0 its input width */
  PetscCall(BackendInput(scheme, W, devin, scheme->nstate[BackendSingle(scheme) ? 1 : 0] * s, PETSC_FALSE, bk->in, &w));
  PetscCheck(w, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "The adjoint sweep needs its weights W");
  if (gtheta) OdynBackendCall(ops, mem_set, bk->gtheta, 0, (size_t)bk->nparam * sizeof(double));
  gt = gtheta ? bk->gtheta : NULL;
  gy = wantgy0 ? bk->out : NULL;
  PetscCall(BackendConvGeom(scheme, &isconv, &c, &ih, &iw));
  PetscCall(BackendEffective(scheme, &eff, &gamma));
  if (BackendSingle(scheme)) {
    long cin, cout;

    PetscCall(BackendSingleGeom(scheme, &cin, &cout, &ih, &iw));
    OdynBackendCall(ops, conv_tanh_adjoint, cin, cout, ih, iw, s, bk->theta, bk->traj, bk->lin, w, gt, gy);
  } else if (bk->rev && BackendConvLeapfrog(scheme)) {
    long cm;
    int  sym;

    (void)BackendConvLeapfrogSym(scheme, &sym);
    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_leapfrog_tanh_adjoint_reversible, sym, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, bk->traj + (size_t)n * s, bk->traj + (size_t)2 * n * s, bk->lin, w, gt, gy);
  } else if (bk->rev && BackendLeapfrog(scheme)) OdynBackendCall(ops, leapfrog_tanh_adjoint_reversible, n, N, s, scheme->T / N, bk->theta, bk->traj + (size_t)n * s, bk->traj + (size_t)2 * n * s, w, gt, gy);
  else if (bk->rev && BackendConvVerlet(scheme)) {
    long cm;

    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_verlet_tanh_adjoint_reversible, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, bk->traj + (size_t)n * s, bk->ztraj, bk->lin, w, gt, gy);
  } else if (bk->rev) OdynBackendCall(ops, verlet_tanh_adjoint_reversible, n, scheme->nstate[1], N, s, scheme->T / N, bk->theta, bk->traj + (size_t)n * s, bk->ztraj, w, gt, gy);
  else if (BackendConvVerlet(scheme)) {
    long cm;

    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_verlet_tanh_adjoint, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, bk->traj, bk->ztraj, bk->lin, w, gt, gy);
  } else if (scheme->ncomp == 2) OdynBackendCall(ops, verlet_tanh_adjoint, n, scheme->nstate[1], N, s, scheme->T / N, bk->theta, bk->traj, bk->ztraj, bk->lin, w, gt, gy);
  else if (BackendConvLeapfrog(scheme)) {
    long cm;
    int  sym;

    (void)BackendConvLeapfrogSym(scheme, &sym);
    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_leapfrog_tanh_adjoint, sym, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, bk->traj, bk->lin, w, gt, gy);
  } else if (isconv) OdynBackendCall(ops, conv_euler_tanh_adjoint, c, ih, iw, N, s, scheme->T / N, bk->theta, bk->traj, bk->lin, w, gt, gy);
  else if (BackendConvParabolic(scheme)) {
    long cm;

    PetscCall(BackendConvPairGeom(scheme, &c, &cm, &ih, &iw));
    OdynBackendCall(ops, conv_parabolic_tanh_adjoint, c, cm, ih, iw, N, s, scheme->T / N, bk->theta, bk->traj, bk->lin, w, gt, gy);
  } else if (BackendLeapfrog(scheme)) OdynBackendCall(ops, leapfrog_tanh_adjoint, n, N, s, scheme->T / N, bk->theta, bk->traj, bk->lin, w, gt, gy);
  else if (BackendParabolic(scheme)) {
    long m;

    PetscCall(BackendParabolicWidth(scheme, &m));
    OdynBackendCall(ops, parabolic_tanh_adjoint, n, m, N, s, scheme->T / N, bk->theta, bk->traj, bk->lin, w, gt, gy);
  } else OdynBackendCall(ops, euler_tanh_adjoint, n, N, s, scheme->T / N, bk->theta, bk->traj, bk->lin, w, gt, gy);
  if (gtheta) {
    /* the contract is gtheta += ...: the backend's sum comes back and is added (to zeros in a network: exact) */
    PetscCall(BackendToHost(scheme, bk->ghost, bk->gtheta, bk->nparam));
    if (eff == EFFECTIVE_CONVANTISYM) AntisymGradientAdd(scheme, c, bk->ghost, gtheta); /* the effective stencils' gradient, mapped back */
    else if (eff == EFFECTIVE_AFFINE) PetscCall(OdynLayerAffineDenseParameters_Private(scheme->layer, N, ODYN_AFFINE_DMAPT, theta, bk->ghost, gtheta));
    else
      for (PetscInt i = 0; i < bk->nparam; i++) gtheta[i] += bk->ghost[i];
  }
  if (wantgy0) PetscCall(BackendOutput(scheme, bk->out, n * s, gY0));
  PetscFunctionReturn(0);
}

/* OdynSchemeView()'s line for a block on a backend: where its states are and how many doubles they take there */
PetscErrorCode OdynSchemeBackendView_Private(OdynScheme scheme, PetscViewer viewer)
{
  struct _OdynSchemeBackendStore *bk = scheme->bk;

  PetscFunctionBegin;
  if (!scheme->backend) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "sweeps on backend %s (states in its memory%s)\n", scheme->backend->name, BackendReversible(scheme) ? ": the last ones only, recomputed backwards in the adjoint" : ""));
  if (bk && bk->salloc) PetscCall(PetscViewerASCIIPrintf(viewer, "backend state memory: %ld doubles for %" PetscInt_FMT " examples\n", bk->statedoubles, bk->salloc));
  PetscCall(PetscViewerASCIIPrintf(viewer, "copied to the backend %g MiB, back to the host %g MiB (this rank, so far)\n", scheme->bktodevice / 1048576.0, scheme->bktohost / 1048576.0));
  PetscFunctionReturn(0);
}

/* the bytes this rank's block copied host -> backend and back since it was created */
PetscErrorCode OdynSchemeBackendGetTraffic_Private(OdynScheme scheme, PetscLogDouble *todevice, PetscLogDouble *tohost)
{
  PetscFunctionBegin;
  *todevice = scheme->bktodevice;
  *tohost   = scheme->bktohost;
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeSetBackend - runs the block's sweeps on a compute backend

   Collective

   Input Parameters:
+  scheme - the block
-  name - `ODYNBACKENDHOST` (the default: the host code of the scheme and layer), `ODYNBACKENDCUDA` (the block's states
   and linearization in GPU memory, its sweeps in odyn's CUDA kernels) or `ODYNBACKENDHOSTREF` (the same path as cuda,
   with host memory and host kernels: results equal to host bit for bit; it tests that path without a GPU)

   Level: intermediate

   Notes:
   A block on a backend other than host hands its whole forward, tangent and adjoint sweeps to the backend (one call
   each); per sweep only theta (forward), dtheta, Y0 / dY0 / W, Y_N / dY_N / gY0 and the parameter gradient cross between
   host and backend memory. So far this is done for blocks of scheme euler with layer dense, antisym, negdef or
   symmetric (the parabolic network) and activation tanh, of scheme leapfrog with layer dense, antisym or negdef and
   activation tanh, of scheme verlet with layer hamiltonian and activation tanh, of scheme euler with layer
   conv or convantisym of 3x3 stencils, as many output as input channels, activation tanh, no TV normalization and no
   pooling (on cuda: at most 16 channels), and of scheme single with layer conv of 3x3 stencils, cin -> cout channels,
   activation tanh, no TV normalization and no pooling (the opening layer; on cuda: at most 16 channels), and of scheme
   verlet with layer convhamiltonian of 3x3 stencils, activation tanh, no TV normalization (the Hamiltonian CNN; on
   cuda: at most 16 channels of Y and of Z), without shared weights:
   `OdynSchemeSetUp()` stops with PETSC_ERR_SUP for other blocks. A Verlet block (hamiltonian or convhamiltonian) with `ODYN_TRAJECTORY_RECOMPUTE`
   (-odyn_scheme_trajectory recompute), and a leapfrog block likewise, keeps only its last states on the backend and
   recomputes them backwards in the adjoint (and forward from Y_0 in the tangent): backend memory O((n + m) s) instead of O((N + 1)(n + m) s), results
   equal to the storing sweeps up to round-off. `OdynSchemeGetState()` is not
   available on such a block (its states are in the backend's memory). The derivative sweeps must be given the forward
   sweep's theta (`OdynSchemeTangent()`), which the network does. Errors of the name and of the device are those of
   `OdynBackendGet()`. Networks set their blocks' backend: `OdynNetSetBackend()`.

.seealso: `OdynNetSetBackend()`, `OdynBackendGet()`, `OdynSchemeGetBackend()`
@*/
PetscErrorCode OdynSchemeSetBackend(OdynScheme scheme, OdynBackendType name)
{
  const OdynBackendOps *ops;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidCharPointer(name, 2);
  PetscCall(OdynBackendGet(PetscObjectComm((PetscObject)scheme), name, &ops));
  PetscCall(OdynSchemeSetBackendOps_Private(scheme, ops));
  PetscFunctionReturn(0);
}

/* the table (from OdynBackendGet()) without the collective look-up: the host table means the host path */
PetscErrorCode OdynSchemeSetBackendOps_Private(OdynScheme scheme, const OdynBackendOps *ops)
{
  PetscFunctionBegin;
  if (ops == odyn_backend_host()) ops = NULL;
  if (ops == scheme->backend) PetscFunctionReturn(0);
  PetscCall(OdynSchemeFreeStorage_Private(scheme)); /* with the old table: the states belong to it */
  scheme->backend     = ops;
  scheme->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeGetBackend - the name of the backend the block's sweeps run on

   Not Collective

   Output Parameter:
.  name - "host", "hostref" or "cuda" (static storage)

   Level: intermediate

.seealso: `OdynSchemeSetBackend()`
@*/
PetscErrorCode OdynSchemeGetBackend(OdynScheme scheme, OdynBackendType *name)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidPointer(name, 2);
  *name = scheme->backend ? scheme->backend->name : ODYNBACKENDHOST;
  PetscFunctionReturn(0);
}
