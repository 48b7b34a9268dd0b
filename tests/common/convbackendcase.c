/* The set-up shared by test_convbackend.c and test_convverletbackend.c (convbackendcase.h says how and their bounds) */
#include "convbackendcase.h"

static const char *prog = "test_convbackend", *backend = ODYN_TEST_CONV_BACKEND;
static PetscReal   tol_sweep = ODYN_TEST_CONV_TOL_SWEEP, tol_antisym = ODYN_TEST_CONV_TOL_ANTISYM;
static PetscBool   open_host = PETSC_TRUE;
static PetscInt    open_k    = 3;           /* the opening block's stencils: 3x3, or 1x1 (a connector) */
static PetscBool   open_pool = PETSC_FALSE; /* the opening block pools (2x2 averages): the blocks after it on ih/2 x iw/2 */
static PetscBool   final_avg = PETSC_FALSE; /* a last block averages each channel (single, globalavg): c values out */
static PetscReal   tv_eps    = 0.0;         /* the time-stepping blocks' TV normalization: its eps, 0 none */
static PetscReal   open_tv   = 0.0;         /* the opening block's TV normalization: its eps, 0 none */
static OdynActivationType act_all = ODYN_ACTIVATION_TANH; /* the activation of the opening block and of the blocks after it */
static PetscBool          shared  = PETSC_FALSE;          /* the blocks after the opening share their weights over the steps */

void OdynTestConvCaseSet(const char *name, const char *bk, PetscReal tol, PetscReal tol_anti)
{
  prog        = name;
  backend     = bk;
  tol_sweep   = tol;
  tol_antisym = tol_anti;
}

void OdynTestConvSetOpening(PetscInt k, PetscBool pool)
{
  open_k    = k;
  open_pool = pool;
}

void OdynTestConvSetGlobalAvg(PetscBool avg) { final_avg = avg; }

void OdynTestConvSetTVNorm(PetscReal eps) { tv_eps = eps; }

void OdynTestConvSetOpeningTVNorm(PetscReal eps) { open_tv = eps; }

void OdynTestConvSetActivation(OdynActivationType act) { act_all = act; }

void OdynTestConvSetShared(PetscBool flg) { shared = flg; }

/* the network's output width per example: c averages, or c channels of the blocks' oh x ow image */
static PetscInt OutWidth(PetscInt c, PetscInt oh, PetscInt ow) { return final_avg ? c : c * oh * ow; }

/* the image of the blocks after an opening block (cin > 0), and so the network's output, for an input of ih x iw */
static void BlockImage(PetscInt cin, PetscInt ih, PetscInt iw, PetscInt *oh, PetscInt *ow)
{
  *oh = cin > 0 && open_pool ? ih / 2 : ih;
  *ow = cin > 0 && open_pool ? iw / 2 : iw;
}

void OdynTestConvOpenOnHost(PetscBool host)
{
  open_host = host;
  if (host) ODYN_CK(PetscOptionsSetValue(NULL, "-" ODYN_TEST_CONV_OPEN_PREFIX "odyn_backend", "host"));
  else ODYN_CK(PetscOptionsClearValue(NULL, "-" ODYN_TEST_CONV_OPEN_PREFIX "odyn_backend"));
}

/*
  The layer of the Euler blocks OdynTestConvMakeNet() makes: conv, or convantisym with its diffusion gamma (the backend
  runs it with the effective stencils (K - adj K - gamma I)/2, mapping dtheta and the gradient, schemebackendblock.c), and
  the bound for Expect(). hostref with convantisym: the forward and the tangents are the host path's bit for bit (the effective
  stencils formed by the layer's operations in its order), but the stencil gradient is h sum (G) mapped, where the
  layer maps sum (G) and scales by h in the map: the two differ by round-off of a few ulps of each entry (1e-13).
*/
static const char *euler_layer = ODYNLAYERCONV;
static PetscReal   euler_gamma = 0.0, tol_now = 0.0;
static PetscInt    ham_m       = 0; /* convhamiltonian: the channels of Z (the blocks are then Verlet blocks); convsymmetric: of K * Y */
static PetscBool   ham_rev     = PETSC_FALSE; /* Verlet or leapfrog blocks: their states recomputed (-odyn_scheme_trajectory recompute) */
static PetscBool   leapfrog    = PETSC_FALSE; /* the blocks are leapfrog blocks (layer conv or convsymmetric) */

void OdynTestConvSetKind(const char *layer, PetscReal gamma)
{
  euler_layer = layer;
  euler_gamma = gamma;
  ham_m       = 0;
  ham_rev     = PETSC_FALSE;
  leapfrog    = PETSC_FALSE;
  tol_now     = strcmp(layer, ODYNLAYERCONVANTISYM) ? tol_sweep : tol_antisym;
}

/* the parabolic CNN's Euler blocks (layer convsymmetric): Y of c channels, K * Y of m (hostref: the host path's results
   bit for bit, convparabolic.c) */
void OdynTestConvSetSymmetric(PetscInt m)
{
  OdynTestConvSetKind(ODYNLAYERCONVSYMMETRIC, 0.0);
  ham_m = m;
}

/* the second-order CNN's leapfrog blocks: layer conv (m 0: c -> c) or convsymmetric (K * Y of m channels), states
   stored or (rev) recomputed (hostref: the host path's results bit for bit, convleapfrog.c) */
void OdynTestConvSetLeapfrog(PetscInt m, PetscBool rev)
{
  OdynTestConvSetKind(m ? ODYNLAYERCONVSYMMETRIC : ODYNLAYERCONV, 0.0);
  ham_m    = m;
  ham_rev  = rev;
  leapfrog = PETSC_TRUE;
}

/* the Hamiltonian CNN's Verlet blocks instead of the Euler blocks: Y of c channels, Z of m (hostref: the host path's
   results bit for bit, convverlet.c) */
void OdynTestConvSetVerlet(PetscInt m, PetscBool rev)
{
  OdynTestConvSetKind(ODYNLAYERCONVHAMILTONIAN, 0.0);
  ham_m   = m;
  ham_rev = rev;
}

/* every setting above back to its start (the opening 3x3, unpooled, on the host; conv Euler blocks; no averages, no
   normalization; tanh): run before each test (OdynTestSetListSetup()), so that a failed test leaves nothing behind */
void OdynTestConvReset(void)
{
  OdynTestConvSetOpening(3, PETSC_FALSE);
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvSetGlobalAvg(PETSC_FALSE);
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetOpeningTVNorm(0.0);
  OdynTestConvSetActivation(ODYN_ACTIVATION_TANH);
  OdynTestConvSetShared(PETSC_FALSE);
}

/* the blocks after the opening: conv Euler blocks of c channels (convhamiltonian: Verlet blocks, Z of ham_m channels;
   convsymmetric: K * Y of ham_m channels) */
PetscErrorCode OdynTestConvMakeNet(PetscInt cin, PetscInt nb, const PetscInt N[], PetscInt c, PetscInt ih, PetscInt iw, PetscReal T, const char *bk, OdynNet *net)
{
  PetscFunctionBegin;
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, net));
  for (PetscInt b = (cin > 0 ? -1 : 0); b < nb; b++) {
    OdynScheme sc;
    OdynLayer  layer;

    PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
    if (b < 0) PetscCall(OdynSchemeSetOptionsPrefix(sc, ODYN_TEST_CONV_OPEN_PREFIX));
    PetscCall(OdynSchemeSetType(sc, b < 0 ? ODYNSCHEMESINGLE : leapfrog ? ODYNSCHEMELEAPFROG : strcmp(euler_layer, ODYNLAYERCONVHAMILTONIAN) ? ODYNSCHEMEEULER : ODYNSCHEMEVERLET));
    if (b >= 0) {
      PetscCall(OdynSchemeSetNumSteps(sc, N[b]));
      PetscCall(OdynSchemeSetFinalTime(sc, T));
    }
    PetscCall(OdynSchemeGetLayer(sc, &layer));
    PetscCall(OdynLayerSetType(layer, b < 0 ? ODYNLAYERCONV : euler_layer));
    if (b >= 0 && euler_gamma > 0) PetscCall(OdynLayerAntisymSetGamma(layer, euler_gamma));
    if (b >= 0 && ham_rev) PetscCall(OdynSchemeSetTrajectoryType(sc, ODYN_TRAJECTORY_RECOMPUTE));
    if (b >= 0 && tv_eps > 0) PetscCall(OdynLayerConvSetTVNorm(layer, PETSC_TRUE, tv_eps));
    if (b < 0 && open_tv > 0) PetscCall(OdynLayerConvSetTVNorm(layer, PETSC_TRUE, open_tv));
    if (b < 0) {
      PetscCall(OdynLayerConvSetImage(layer, ih, iw));
      PetscCall(OdynLayerConvSetKernelSize(layer, open_k));
      PetscCall(OdynLayerConvSetPooling(layer, open_pool));
    } else {
      PetscInt oh, ow;

      BlockImage(cin, ih, iw, &oh, &ow);
      PetscCall(OdynLayerConvSetImage(layer, oh, ow));
    }
    PetscCall(OdynLayerConvSetChannels(layer, b < 0 ? cin : c, b >= 0 && ham_m ? ham_m : c));
    PetscCall(OdynLayerSetActivation(layer, act_all));
    if (b >= 0) PetscCall(OdynSchemeSetSharedWeights(sc, shared));
    PetscCall(OdynNetAddBlock(*net, sc));
    PetscCall(OdynSchemeDestroy(&sc));
  }
  if (final_avg) { /* the average of each channel on the network's backend; relu: the setting of a layer without activation */
    OdynScheme sc;
    OdynLayer  layer;
    PetscInt   oh, ow;

    BlockImage(cin, ih, iw, &oh, &ow);
    PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
    PetscCall(OdynSchemeSetType(sc, ODYNSCHEMESINGLE));
    PetscCall(OdynSchemeGetLayer(sc, &layer));
    PetscCall(OdynLayerSetType(layer, ODYNLAYERGLOBALAVG));
    PetscCall(OdynLayerConvSetImage(layer, oh, ow));
    PetscCall(OdynLayerConvSetChannels(layer, c, 0));
    PetscCall(OdynLayerSetActivation(layer, ODYN_ACTIVATION_RELU));
    PetscCall(OdynNetAddBlock(*net, sc));
    PetscCall(OdynSchemeDestroy(&sc));
  }
  PetscCall(OdynNetSetBackend(*net, bk));
  PetscFunctionReturn(0);
}

/* the bound of the comparisons: the kind's, or with shared weights at least the mapped layers' */
static PetscReal TolNow(void) { return shared ? PetscMax(tol_now, tol_antisym) : tol_now; }

static void Expect(const char *label, const char *what, Vec a, Vec b) { OdynTestExpectClose(label, what, backend, TolNow(), a, b); }

/* the host net and the backend net on the same data: forward, tangents, adjoints; then again at another theta, s2 */
void OdynTestConvParity(PetscInt cin, PetscInt nb, const PetscInt N[], PetscInt c, PetscInt ih, PetscInt iw, PetscReal T, PetscInt s, PetscInt s2, PetscInt split, const char *label)
{
  OdynNet         hnet, bnet;
  Vec             th, dth, gh, gb, Y0, dY0, W, Yh, Yb, Gh, Gb;
  const PetscInt  nin = (cin > 0 ? cin : c) * ih * iw;
  const PetscReal scale = 1.0 / PetscSqrtReal(9.0 * c);
  PetscInt        oh, ow, nout;
  char            what[256];

  BlockImage(cin, ih, iw, &oh, &ow);
  nout = OutWidth(c, oh, ow);
  ODYN_CK(PetscSNPrintf(what, sizeof(what), "%s%s", label, split ? ", examples on rank 0" : ""));
  ODYN_CK(OdynTestConvMakeNet(cin, nb, N, c, ih, iw, T, ODYNBACKENDHOST, &hnet));
  ODYN_CK(OdynTestConvMakeNet(cin, nb, N, c, ih, iw, T, backend, &bnet));
  ODYN_CK(OdynNetCreateParameterVec(hnet, &th));
  ODYN_CK(VecDuplicate(th, &dth));
  ODYN_CK(VecDuplicate(th, &gh));
  ODYN_CK(VecDuplicate(th, &gb));
  for (int round = 0; round < 2; round++) {
    const PetscInt ss = round ? s2 : s;

    ODYN_CK(OdynTestRandomVec(11 + round, scale, th));
    ODYN_CK(OdynTestRandomVec(21 + round, 1.0, dth));
    ODYN_CK(OdynTestStateVec(nin, ss, split, &Y0));
    ODYN_CK(VecDuplicate(Y0, &dY0));
    ODYN_CK(VecDuplicate(Y0, &Gh));
    ODYN_CK(VecDuplicate(Y0, &Gb));
    ODYN_CK(OdynTestStateVec(nout, ss, split, &W));
    ODYN_CK(VecDuplicate(W, &Yh));
    ODYN_CK(VecDuplicate(W, &Yb));
    ODYN_CK(OdynTestRandomVec(31 + round, 1.0, Y0));
    ODYN_CK(OdynTestRandomVec(41 + round, 1.0, dY0));
    ODYN_CK(OdynTestRandomVec(51 + round, 1.0, W));

    ODYN_CK(OdynNetForward(hnet, th, Y0, Yh));
    ODYN_CK(OdynNetForward(bnet, th, Y0, Yb));
    Expect(what, "forward Y_N", Yb, Yh);
    for (PetscInt b = 0; b < nb + (cin > 0); b++) { /* the conv Euler blocks of bnet on the backend; the rest on the host */
      OdynScheme      sc;
      OdynBackendType name;

      ODYN_CK(OdynNetGetBlock(bnet, b, &sc));
      ODYN_CK(OdynSchemeGetBackend(sc, &name));
      ck_assert_str_eq(name, cin > 0 && b == 0 && open_host ? ODYNBACKENDHOST : backend);
      ODYN_CK(OdynNetGetBlock(hnet, b, &sc));
      ODYN_CK(OdynSchemeGetBackend(sc, &name));
      ck_assert_str_eq(name, ODYNBACKENDHOST);
    }
    OdynTestNetCompareDerivatives(hnet, bnet, th, dth, Y0, dY0, W, Yh, Yb, gh, gb, Gh, Gb, what, backend, TolNow());

    ODYN_CK(VecDestroy(&Y0));
    ODYN_CK(VecDestroy(&dY0));
    ODYN_CK(VecDestroy(&W));
    ODYN_CK(VecDestroy(&Yh));
    ODYN_CK(VecDestroy(&Yb));
    ODYN_CK(VecDestroy(&Gh));
    ODYN_CK(VecDestroy(&Gb));
  }
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "%s: %s on %s: every product within %.0e of host\n", prog, what, backend, (double)TolNow()));
  ODYN_CK(VecDestroy(&th));
  ODYN_CK(VecDestroy(&dth));
  ODYN_CK(VecDestroy(&gh));
  ODYN_CK(VecDestroy(&gb));
  ODYN_CK(OdynNetDestroy(&hnet));
  ODYN_CK(OdynNetDestroy(&bnet));
}

/* the backend state memory of net's block 0 after a forward of s examples, all on rank 0 (OdynSchemeView()'s line) */
long OdynTestConvStateDoubles(OdynNet net, PetscInt nin, PetscInt s, char *view, size_t len)
{
  OdynScheme  sc;
  Vec         th, Y0, YN;
  char        buf[4096] = "";
  const char *line;
  FILE       *fp;
  PetscViewer v;
  long        d = -1, ss = -1;

  ODYN_CK(OdynNetCreateParameterVec(net, &th));
  ODYN_CK(OdynTestRandomVec(1, 0.2, th));
  ODYN_CK(OdynTestStateVec(nin, s, 1, &Y0));
  ODYN_CK(VecDuplicate(Y0, &YN)); /* the block keeps the width of its state */
  ODYN_CK(OdynTestRandomVec(2, 1.0, Y0));
  ODYN_CK(OdynNetForward(net, th, Y0, YN));
  ODYN_CK(OdynNetGetBlock(net, 0, &sc));
  fp = fmemopen(buf, sizeof(buf) - 1, "w");
  ck_assert(fp != NULL);
  ODYN_CK(PetscViewerASCIIOpenWithFILE(PETSC_COMM_SELF, fp, &v));
  ODYN_CK(OdynSchemeView(sc, v));
  ODYN_CK(PetscViewerDestroy(&v));
  fclose(fp);
  if (view) ODYN_CK(PetscStrncpy(view, buf, len));
  if (PetscGlobalRank == 0) { /* the rank that holds the examples */
    line = strstr(buf, "backend state memory: ");
    ck_assert_msg(line && sscanf(line, "backend state memory: %ld doubles for %ld examples", &d, &ss) == 2, "no backend state memory line:\n%s", buf);
    ck_assert_int_eq(ss, s);
  }
  ODYN_CK(VecDestroy(&th));
  ODYN_CK(VecDestroy(&Y0));
  ODYN_CK(VecDestroy(&YN));
  return d;
}

/* Taylor and dot-product tests of the backend path on its own (OdynTestNetDerivatives of odyntest.h) */
void OdynTestConvDerivatives(PetscInt cin, PetscInt nb, const PetscInt N[], PetscInt c, PetscInt ih, PetscInt iw, PetscReal T, PetscInt s, const char *label)
{
  OdynTestNetCtx ctx = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
  Vec            YN;
  const PetscInt nin = (cin > 0 ? cin : c) * ih * iw;
  PetscInt       oh, ow, nout;
  char           what[256];

  BlockImage(cin, ih, iw, &oh, &ow);
  nout = OutWidth(c, oh, ow);
  ODYN_CK(OdynTestConvMakeNet(cin, nb, N, c, ih, iw, T, backend, &ctx.net));
  ODYN_CK(OdynNetCreateParameterVec(ctx.net, &ctx.theta));
  ODYN_CK(VecDuplicate(ctx.theta, &ctx.dtheta));
  ODYN_CK(VecDuplicate(ctx.theta, &ctx.thp));
  ODYN_CK(OdynTestRandomVec(1, 1.0 / PetscSqrtReal(9.0 * c), ctx.theta));
  ODYN_CK(OdynTestRandomVec(2, 1.0, ctx.dtheta));
  ODYN_CK(OdynTestStateVec(nin, s, 0, &ctx.Y0));
  ODYN_CK(VecDuplicate(ctx.Y0, &ctx.dY0));
  ODYN_CK(VecDuplicate(ctx.Y0, &ctx.Y0p));
  ODYN_CK(OdynTestStateVec(nout, s, 0, &YN));
  ODYN_CK(PetscSNPrintf(what, sizeof(what), "%s: %s", prog, label));
  OdynTestNetDerivatives(&ctx, YN, what, backend);

  ODYN_CK(VecDestroy(&YN));
  ODYN_CK(VecDestroy(&ctx.theta));
  ODYN_CK(VecDestroy(&ctx.dtheta));
  ODYN_CK(VecDestroy(&ctx.thp));
  ODYN_CK(VecDestroy(&ctx.Y0));
  ODYN_CK(VecDestroy(&ctx.dY0));
  ODYN_CK(VecDestroy(&ctx.Y0p));
  ODYN_CK(OdynNetDestroy(&ctx.net));
}

/*
  Synthetic 8 x 8 images of 3 classes: a bright 3 x 3 blob in one of three places (the class), moved by up to one pixel,
  on deterministic noise; the same on every rank (OdynDatasetCreateFromGlobalArrays()).
*/
static PetscErrorCode Images(PetscInt count, unsigned long seed, OdynDataset *ds)
{
  const PetscInt cy[3] = {2, 5, 2}, cx[3] = {2, 4, 5};
  PetscScalar   *X;
  PetscInt      *L;
  unsigned long  r = seed;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(64 * count, &X, count, &L));
  for (PetscInt e = 0; e < count; e++) {
    PetscInt k, dy, dx;

    r    = r * 6364136223846793005UL + 1442695040888963407UL;
    k    = (PetscInt)((r >> 33) % 3);
    dy   = (PetscInt)((r >> 40) % 3) - 1;
    dx   = (PetscInt)((r >> 50) % 3) - 1;
    L[e] = k;
    for (PetscInt p = 0; p < 64; p++) {
      r             = r * 6364136223846793005UL + 1442695040888963407UL;
      X[e * 64 + p] = 0.2 * ((PetscReal)(r >> 11) / 9007199254740992.0 - 0.5);
    }
    for (PetscInt i = -1; i <= 1; i++)
      for (PetscInt j = -1; j <= 1; j++) X[e * 64 + (cy[k] + dy + i) * 8 + cx[k] + dx + j] += 1.0;
  }
  PetscCall(OdynDatasetCreateFromGlobalArrays(PETSC_COMM_WORLD, 64, 3, count, X, L, ds));
  PetscCall(PetscFree2(X, L));
  PetscFunctionReturn(0);
}

/*
  The MNIST network in small (problems/options/mnist.opts: opening conv 1 -> c, a conv ResNet block, both on the
  network's backend with no per-block option, softmax, smoothness regularizer; block 1's layer ltype and the options
  extra), 3 Gauss-Newton iterations on each of the levels 4 and 8 layers, PCG capped at 3 iterations, trained on the host and on the backend: the same objective history. The
  options go to a database of their own (PetscOptionsPush), so nothing carries over to the other tests.
*/
/* the training and validation images of the history test */
static PetscErrorCode TrainImages(OdynDataset *tr, OdynDataset *va)
{
  PetscFunctionBegin;
  PetscCall(Images(150, 7, tr));
  PetscCall(Images(60, 8, va));
  PetscFunctionReturn(0);
}

void OdynTestConvTrainHistory(const char *ltype, const char *extra, PetscReal tol)
{
  char opts[1536], label[256];

  ODYN_CK(PetscSNPrintf(opts, sizeof(opts),
                        "-odyn_net_num_blocks 2 -block0_odyn_scheme_type single -block0_odyn_layer_type conv -block0_odyn_layer_image 8,8 -block0_odyn_layer_channels 1,4 "
                        "-block0_odyn_layer_activation tanh -block1_odyn_scheme_type euler -block1_odyn_layer_type conv -block1_odyn_layer_image 8,8 "
                        "-block1_odyn_layer_channels 4 -block1_odyn_layer_activation tanh -block1_odyn_scheme_final_time 3 -odyn_loss_type softmax -odyn_reg_type smooth "
                        "-odyn_reg_weight 5e-3 -odyn_ml_levels 4,8 -odyn_bcd_max_it 3 -odyn_bcd_classifier_newton_max_it 2 -odyn_bcd_classifier_pcg_max_it 3 -odyn_bcd_gn_pcg_max_it 3 -block1_odyn_layer_type %s %s",
                        ltype, extra));
  ODYN_CK(PetscSNPrintf(label, sizeof(label), "%s: small MNIST-like net (conv 1 -> 4 and a %s block%s%s, levels 4,8)", prog, ltype, extra[0] ? ", " : "", extra));
  OdynTestTrainOnBackend(opts, TrainImages, NULL, backend, 6, tol, label);
}

/* a network that the backend runs: its block 0 set up on it */
void OdynTestConvExpectSetUp(PetscInt cin)
{
  const PetscInt  N[1] = {2};
  OdynNet         net;
  OdynScheme      sc;
  OdynBackendType name;

  ODYN_CK(OdynTestConvMakeNet(cin, 1, N, 4, 4, 4, 1.0, backend, &net));
  ODYN_CK(OdynNetSetUp(net));
  ODYN_CK(OdynNetGetBlock(net, 0, &sc));
  ODYN_CK(OdynSchemeGetBackend(sc, &name));
  ck_assert_str_eq(name, backend);
  ODYN_CK(OdynNetDestroy(&net));
}

/* a network of one block of the kind set, c channels of 4 x 4, 2 steps, on the backend: its set-up fails, saying needle */
void OdynTestConvExpectSetUpFails(PetscInt c, const char *needle)
{
  const PetscInt N[1] = {2};
  OdynNet        net;

  ODYN_CK(OdynTestConvMakeNet(0, 1, N, c, 4, 4, 1.0, backend, &net));
  odyn_ck_error_contains(OdynNetSetUp(net), needle);
  ODYN_CK(OdynNetDestroy(&net));
}

/* set on the backend, net's set-up fails with PETSC_ERR_SUP naming block 0 and needle (what it is); destroys net */
void OdynTestConvExpectRefused(OdynNet net, const char *needle)
{
  char msg[512];

  ODYN_CK(OdynNetSetBackend(net, backend));
  ODYN_CK(PetscSNPrintf(msg, sizeof(msg), "-odyn_backend %s: block 0 of the network (%s) cannot run on it", backend, needle));
  OdynTestCaptureErrorsBegin();
  {
    PetscErrorCode ierr = OdynNetSetUp(net);
    OdynTestCaptureErrorsEnd();
    ck_assert_int_eq(ierr, PETSC_ERR_SUP);
  }
  ck_assert_msg(strstr(OdynTestLastErrorMessage(), msg), "message: %s\nexpected: %s", OdynTestLastErrorMessage(), msg);
  ODYN_CK(OdynNetDestroy(&net));
}

/* the kinds of block the backend refuses: a conv Euler block, an opening layer (scheme single: no steps, no shared
   weights; layer dense: 16 wide) or a Hamiltonian CNN block (scheme verlet, layer convhamiltonian) */
void OdynTestConvRefuseBlock(const char *scheme, const char *ltype, PetscInt k, PetscInt c, PetscInt c2, OdynActivationType act, PetscBool tv, PetscBool pool, PetscBool shared, const char *needle)
{
  OdynNet    net;
  OdynScheme sc;
  OdynLayer  layer;

  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  ODYN_CK(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
  ODYN_CK(OdynSchemeSetType(sc, scheme));
  if (strcmp(scheme, ODYNSCHEMESINGLE)) {
    ODYN_CK(OdynSchemeSetNumSteps(sc, 2));
    ODYN_CK(OdynSchemeSetSharedWeights(sc, shared));
  }
  ODYN_CK(OdynSchemeGetLayer(sc, &layer));
  ODYN_CK(OdynLayerSetType(layer, ltype));
  if (strcmp(ltype, ODYNLAYERDENSE)) {
    ODYN_CK(OdynLayerConvSetImage(layer, 4, 4));
    ODYN_CK(OdynLayerConvSetChannels(layer, c, c2));
    ODYN_CK(OdynLayerConvSetKernelSize(layer, k));
    ODYN_CK(OdynLayerConvSetTVNorm(layer, tv, 1e-3));
    if (pool) ODYN_CK(OdynLayerConvSetPooling(layer, pool)); /* only layer conv pools: convhamiltonian would refuse it at its own set-up */
  } else ODYN_CK(OdynLayerSetWidth(layer, 16));
  ODYN_CK(OdynLayerSetActivation(layer, act));
  ODYN_CK(OdynNetAddBlock(net, sc));
  ODYN_CK(OdynSchemeDestroy(&sc));
  OdynTestConvExpectRefused(net, needle);
}
