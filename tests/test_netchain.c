/*
  States between blocks on one backend stay in its memory (src/net/net.c, OdynNetChained_Private(); the sweeps of
  src/schemes/schemebackend.c take their input where the neighbouring block left its output). A chain of blocks on the
  same backend moves through the host only the network's input and output, the parameters and the gradient; a block
  on another backend (here: the host path, by its own -<prefix>odyn_backend host) breaks the chain, and its neighbours
  copy their states in and out as before.

  Built twice from this file: test_netchain (label unit) with the backend "hostref", and tests/gpu/test_gpu_netchain.c
  (label gpu) with "cuda". For networks of several kinds (three dense Euler blocks; the same with the middle block on
  the host; two reversible Verlet blocks; the MNIST shape: the opening conv layer 1 -> 4 and two conv Euler blocks),
  on 1 and 2 ranks, with the examples spread and all on rank 0:
  - parity with the direct host path: forward Y_N, the tangent J (dtheta, dY0), the adjoint (gradient and gY0);
  - the bytes each block copied host -> backend and back over one forward, tangent and adjoint are exactly what the
    chain allows (below), counted by the sweeps' copies (OdynSchemeBackendGetTraffic_Private());
  - the network holds no host state buffers when every hop between blocks is chained;
  - with OdynNetSetBackendHandover(net, PETSC_FALSE) every state goes through the host again (the same results, the
    copies of unchained blocks, host buffers).

  Expected copies of block b (np parameters, nin / nout doubles per example in / out, s local examples > 0; inhost:
  b = 0 or block b - 1 not on b's backend; outhost: the last block or block b + 1 not on b's backend):
    to the backend   theta, dtheta (np each), Y0 and dY0 if inhost (nin s each), W if outhost (nout s)
    to the host      the gradient (np), Y_N and dY_N if outhost (nout s each), gY0 if inhost (nin s)
  With s = 0 a block uploads theta only (the derivative sweeps have nothing to do).

  The hand-over of the network's output to the loss (OdynNetLossHandOutput_Private(), after a forward into the loss's
  data, as the trainer does): the loss's mirror of the features is copied from the last block's output in backend
  memory, so the loss's evaluation uploads no features (checked by its copies, and its gradient against the host's).
  The Gauss-Newton product J^T H_Y J v (OdynNetLossGaussNewtonMult_Private(), src/net/netloss.c, what the trainer's
  Gauss-Newton-PCG multiplies by) with a softmax loss on the same backend: the output direction goes from the last
  block to the loss and the loss's W H_Z W^T dY back to the adjoint in backend memory. Checked: it takes that path
  (and the host path when the last block runs on the host), Hv against the host's, and the copies of the product:
  each block on the backend only its dtheta in and its gradient out (np each way; none without examples), the loss
  nothing (W stays from the evaluation, H_Z acts on the backend). The same for the propagation gradient's data part
  J^T dS/dY_N (OdynNetLossGradient_Private()): the features' gradient W G goes to the adjoint in backend memory, each
  block sends only its gradient (np), the loss nothing but the value. And an accuracy sweep (OdynNetForward() without
  an output Vec, then OdynNetLossAccuracy_Private(), as the trainer measures its accuracies): equal to the host's, the
  last block's output not copied, the loss copying only the weights up and the scores (nc s) down.

  Bounds. hostref 0 (the sweeps are the direct path's bit for bit; a chained hop is a memcpy instead of two), except
  reversible Verlet, 1e-12 (test_netbackend.c's reasons: on hostref its sweeps are verletref.c's loops, the rebuilt
  states drift by round-off). cuda 1e-12 (test_netbackend.c's reasons). The copy counts are exact on both.
*/
#include "backendtest.h"
#include <odyn/private/netimpl.h>
#include <odyn/private/lossimpl.h>

#if defined(ODYN_TEST_GPU_BUILD)
static const char *backend   = "cuda";
static PetscReal   tol_sweep = 1e-12;
#else
static const char *backend   = "hostref";
static PetscReal   tol_sweep = 0.0;
#endif

#define MID_PREFIX "chainmid_" /* the options prefix of the middle dense block */
#define ODYN_TEST_MAXB 3          /* the most blocks of a test network */

/* OdynNetSetBackendHandover() of the backend nets: PETSC_FALSE sends every state through the host (the comparison) */
static PetscBool handover = PETSC_TRUE;

/* one block of the test networks: scheme, layer, widths (dense: n; Verlet: n and m; conv: cin -> cout channels of
   ih x iw), steps; rev: states recomputed; prefix: its own options prefix, or NULL */
typedef struct {
  OdynSchemeType scheme;
  OdynLayerType  layer;
  PetscInt       n, m, N, ih, iw;
  PetscBool      rev;
  const char    *prefix;
} BlockSpec;

static PetscErrorCode MakeNet(PetscInt nb, const BlockSpec spec[], const char *bk, OdynNet *net)
{
  PetscFunctionBegin;
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, net));
  for (PetscInt b = 0; b < nb; b++) {
    const BlockSpec *sp = &spec[b];
    const PetscBool  conv = strcmp(sp->layer, ODYNLAYERCONV) ? PETSC_FALSE : PETSC_TRUE;
    OdynScheme       sc;
    OdynLayer        layer;

    PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
    if (sp->prefix) PetscCall(OdynSchemeSetOptionsPrefix(sc, sp->prefix));
    PetscCall(OdynSchemeSetType(sc, sp->scheme));
    if (sp->N) {
      PetscCall(OdynSchemeSetNumSteps(sc, sp->N));
      PetscCall(OdynSchemeSetFinalTime(sc, 1.5));
    }
    if (sp->rev) PetscCall(OdynSchemeSetTrajectoryType(sc, ODYN_TRAJECTORY_RECOMPUTE));
    PetscCall(OdynSchemeGetLayer(sc, &layer));
    PetscCall(OdynLayerSetType(layer, sp->layer));
    if (conv) {
      PetscCall(OdynLayerConvSetImage(layer, sp->ih, sp->iw));
      PetscCall(OdynLayerConvSetChannels(layer, sp->n, sp->m));
    } else {
      PetscCall(OdynLayerSetWidth(layer, sp->n));
      if (sp->m) PetscCall(OdynLayerSetHiddenWidth(layer, sp->m));
    }
    PetscCall(OdynLayerSetActivation(layer, ODYN_ACTIVATION_TANH));
    PetscCall(OdynNetAddBlock(*net, sc));
    PetscCall(OdynSchemeDestroy(&sc));
  }
  PetscCall(OdynNetSetBackend(*net, bk));
  PetscCall(OdynNetSetBackendHandover(*net, handover));
  PetscFunctionReturn(0);
}

/* whether blocks b - 1 and b of the set-up net run on the same backend other than host */
static PetscBool SameBackend(OdynNet net, PetscInt b)
{
  OdynScheme      p, q;
  OdynBackendType a, c;
  PetscBool       same;

  ODYN_CK(OdynNetGetBlock(net, b - 1, &p));
  ODYN_CK(OdynNetGetBlock(net, b, &q));
  ODYN_CK(OdynSchemeGetBackend(p, &a));
  ODYN_CK(OdynSchemeGetBackend(q, &c));
  ODYN_CK(PetscStrcmp(a, c, &same));
  return handover && same && strcmp(a, ODYNBACKENDHOST) ? PETSC_TRUE : PETSC_FALSE;
}

/* the copies of every block after one forward, tangent (dtheta, dY0) and adjoint (gradient, gY0) with s local examples */
static void ExpectTraffic(OdynNet net, PetscInt s, const char *label)
{
  PetscInt nb;

  ODYN_CK(OdynNetGetNumBlocks(net, &nb));
  for (PetscInt b = 0; b < nb; b++) {
    OdynScheme      sc;
    OdynBackendType name;
    PetscInt        np, nin, nout;
    PetscLogDouble  todev, tohost, xdev = 0, xhost = 0;
    const PetscBool inhost = b == 0 || !SameBackend(net, b), outhost = b == nb - 1 || !SameBackend(net, b + 1);

    ODYN_CK(OdynNetGetBlock(net, b, &sc));
    ODYN_CK(OdynSchemeGetBackend(sc, &name));
    ODYN_CK(OdynSchemeGetNumParameters(sc, &np));
    ODYN_CK(OdynSchemeGetWidth(sc, &nin));
    ODYN_CK(OdynSchemeGetOutputWidth(sc, &nout));
    ODYN_CK(OdynSchemeBackendGetTraffic_Private(sc, &todev, &tohost));
    if (strcmp(name, ODYNBACKENDHOST)) {
      xdev = s ? 2.0 * np + (inhost ? 2.0 * nin * s : 0) + (outhost ? (PetscLogDouble)nout * s : 0) : np;
      xhost = s ? np + (outhost ? 2.0 * nout * s : 0) + (inhost ? (PetscLogDouble)nin * s : 0) : 0;
    }
    ck_assert_msg(todev == 8 * xdev && tohost == 8 * xhost, "%s on %s, block %d (%s, %d examples on this rank): copied %g bytes to the backend and %g back, expected %g and %g", label, backend, (int)b, name, (int)s, todev, tohost, 8 * xdev, 8 * xhost);
  }
}

static void Expect(const char *label, const char *what, PetscReal tol, Vec a, Vec b) { OdynTestExpectClose(label, what, backend, tol, a, b); }

/* the host net and the backend net on the same data, one sweep of each kind; then the backend net's copies */
static void Chain(PetscInt nb, const BlockSpec spec[], PetscInt sglobal, PetscInt split, PetscReal tol, PetscBool allchained, const char *label)
{
  OdynNet  hnet, bnet;
  Vec      th, dth, gh, gb, Y0, dY0, W, Yh, Yb, Gh, Gb;
  PetscInt nin, nout, nlocal;

  ODYN_CK(MakeNet(nb, spec, ODYNBACKENDHOST, &hnet));
  ODYN_CK(MakeNet(nb, spec, backend, &bnet));
  ODYN_CK(OdynNetSetUp(bnet));
  ODYN_CK(OdynNetGetInputWidth(hnet, &nin));
  ODYN_CK(OdynNetGetOutputWidth(hnet, &nout));
  ODYN_CK(OdynNetCreateParameterVec(hnet, &th));
  ODYN_CK(VecDuplicate(th, &dth));
  ODYN_CK(VecDuplicate(th, &gh));
  ODYN_CK(VecDuplicate(th, &gb));
  ODYN_CK(OdynTestRandomVec(5, 0.3, th));
  ODYN_CK(OdynTestRandomVec(6, 1.0, dth));
  ODYN_CK(OdynTestStateVec(nin, sglobal, split, &Y0));
  ODYN_CK(OdynTestStateVec(nout, sglobal, split, &W));
  ODYN_CK(VecDuplicate(Y0, &dY0));
  ODYN_CK(VecDuplicate(Y0, &Gh));
  ODYN_CK(VecDuplicate(Y0, &Gb));
  ODYN_CK(VecDuplicate(W, &Yh));
  ODYN_CK(VecDuplicate(W, &Yb));
  ODYN_CK(OdynTestRandomVec(7, 1.0, Y0));
  ODYN_CK(OdynTestRandomVec(8, 1.0, dY0));
  ODYN_CK(OdynTestRandomVec(9, 1.0, W));
  ODYN_CK(VecGetLocalSize(Y0, &nlocal));

  ODYN_CK(OdynNetForward(hnet, th, Y0, Yh));
  ODYN_CK(OdynNetForward(bnet, th, Y0, Yb));
  Expect(label, "forward Y_N", tol, Yb, Yh);
  ck_assert_msg(allchained ? bnet->bufcap == 0 : bnet->bufcap > 0 || nlocal == 0, "%s on %s: the network holds %d doubles of host state buffers", label, backend, (int)bnet->bufcap);
  ODYN_CK(OdynNetJacobianMult(hnet, dth, dY0, Yh));
  ODYN_CK(OdynNetJacobianMult(bnet, dth, dY0, Yb));
  Expect(label, "J (dtheta, dY0)", tol, Yb, Yh);
  ODYN_CK(OdynNetJacobianMultTranspose(hnet, W, gh, Gh));
  ODYN_CK(OdynNetJacobianMultTranspose(bnet, W, gb, Gb));
  Expect(label, "J_theta^T W", tol, gb, gh);
  Expect(label, "J_Y0^T W", tol, Gb, Gh);
  ExpectTraffic(bnet, nlocal / nin, label);
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "test_netchain: %s on %s: products within %.0e of host, host <-> backend copies as the chain allows\n", label, backend, (double)tol));

  ODYN_CK(VecDestroy(&th));
  ODYN_CK(VecDestroy(&dth));
  ODYN_CK(VecDestroy(&gh));
  ODYN_CK(VecDestroy(&gb));
  ODYN_CK(VecDestroy(&Y0));
  ODYN_CK(VecDestroy(&dY0));
  ODYN_CK(VecDestroy(&W));
  ODYN_CK(VecDestroy(&Yh));
  ODYN_CK(VecDestroy(&Yb));
  ODYN_CK(VecDestroy(&Gh));
  ODYN_CK(VecDestroy(&Gb));
  ODYN_CK(OdynNetDestroy(&hnet));
  ODYN_CK(OdynNetDestroy(&bnet));
}

/* the copies of every block of net and of loss so far, into x[2 (nb + 1)]: to, from the backend */
static void RecordTraffic(OdynNet net, OdynLoss loss, PetscInt nb, PetscLogDouble x[])
{
  for (PetscInt b = 0; b < nb; b++) {
    OdynScheme sc;

    ODYN_CK(OdynNetGetBlock(net, b, &sc));
    ODYN_CK(OdynSchemeBackendGetTraffic_Private(sc, &x[2 * b], &x[2 * b + 1]));
  }
  ODYN_CK(OdynLossBackendGetTraffic_Private(loss, &x[2 * nb], &x[2 * nb + 1]));
}

/* the copies since before: each block np * (bdev, bhost) doubles to and from the backend, the loss ldev and lhost */
static void ExpectTrafficSince(OdynNet net, OdynLoss loss, PetscInt nb, const PetscLogDouble before[], PetscLogDouble bdev, PetscLogDouble bhost, PetscLogDouble ldev, PetscLogDouble lhost, PetscInt s, const char *label, const char *what)
{
  PetscLogDouble now[2 * (ODYN_TEST_MAXB + 1)];

  RecordTraffic(net, loss, nb, now);
  for (PetscInt b = 0; b <= nb; b++) {
    PetscInt       np = 0;
    PetscLogDouble xdev, xhost;

    if (b < nb) {
      OdynScheme sc;

      ODYN_CK(OdynNetGetBlock(net, b, &sc));
      ODYN_CK(OdynSchemeGetNumParameters(sc, &np));
    }
    xdev  = s ? (b < nb ? bdev * np : ldev) : 0;
    xhost = s ? (b < nb ? bhost * np : lhost) : 0;
    ck_assert_msg(now[2 * b] - before[2 * b] == 8 * xdev && now[2 * b + 1] - before[2 * b + 1] == 8 * xhost, "%s on %s, %s, %s %d (%d examples on this rank): copied %g bytes to the backend and %g back, expected %g and %g", label, backend, what, b < nb ? "block" : "loss", (int)(b < nb ? b : 0), (int)s, now[2 * b] - before[2 * b], now[2 * b + 1] - before[2 * b + 1], 8 * xdev, 8 * xhost);
  }
}

/* a host net and loss and their twins on the backend (softmax, nc = 3 classes), with random parameters th, a
   direction v, weights w, inputs Y0 of sglobal examples (split: all on rank 0), one-hot targets C, work Vecs like the
   parameters (Hvh, Hvb, Hvc), the weights (gw, gwh) and the outputs (YNh, YNb, dY, HdY); s: the local examples */
typedef struct {
  OdynNet  hnet, bnet;
  OdynLoss hloss, bloss;
  Vec      th, v, Hvh, Hvb, Hvc, w, gw, gwh, Y0, YNh, YNb, C, dY, HdY;
  PetscInt nin, nout, nc, s;
} Pair;

static void PairCreate(PetscInt nb, const BlockSpec spec[], PetscInt sglobal, PetscInt split, Pair *p)
{
  PetscInt nlocal;

  p->nc = 3;
  ODYN_CK(MakeNet(nb, spec, ODYNBACKENDHOST, &p->hnet));
  ODYN_CK(MakeNet(nb, spec, backend, &p->bnet));
  ODYN_CK(OdynNetSetUp(p->bnet));
  ODYN_CK(OdynNetGetInputWidth(p->hnet, &p->nin));
  ODYN_CK(OdynNetGetOutputWidth(p->hnet, &p->nout));
  for (int k = 0; k < 2; k++) {
    OdynLoss *l = k ? &p->bloss : &p->hloss;

    ODYN_CK(OdynLossCreate(PETSC_COMM_WORLD, l));
    ODYN_CK(OdynLossSetType(*l, ODYNLOSSSOFTMAX));
    ODYN_CK(OdynLossSetNumFeatures(*l, p->nout));
    ODYN_CK(OdynLossSetNumClasses(*l, p->nc));
    ODYN_CK(OdynLossSetBackend(*l, k ? backend : ODYNBACKENDHOST));
  }
  ODYN_CK(OdynNetCreateParameterVec(p->hnet, &p->th));
  ODYN_CK(VecDuplicate(p->th, &p->v));
  ODYN_CK(VecDuplicate(p->th, &p->Hvh));
  ODYN_CK(VecDuplicate(p->th, &p->Hvb));
  ODYN_CK(VecDuplicate(p->th, &p->Hvc));
  ODYN_CK(OdynLossCreateWeightVec(p->hloss, &p->w));
  ODYN_CK(VecDuplicate(p->w, &p->gw));
  ODYN_CK(VecDuplicate(p->w, &p->gwh));
  ODYN_CK(OdynTestStateVec(p->nin, sglobal, split, &p->Y0));
  ODYN_CK(OdynTestStateVec(p->nout, sglobal, split, &p->YNh));
  ODYN_CK(OdynTestStateVec(p->nc, sglobal, split, &p->C));
  ODYN_CK(VecDuplicate(p->YNh, &p->YNb));
  ODYN_CK(VecDuplicate(p->YNh, &p->dY));
  ODYN_CK(VecDuplicate(p->YNh, &p->HdY));
  ODYN_CK(OdynTestRandomVec(5, 0.3, p->th));
  ODYN_CK(OdynTestRandomVec(6, 1.0, p->v));
  ODYN_CK(OdynTestRandomVec(7, 0.5, p->w));
  ODYN_CK(OdynTestRandomVec(8, 1.0, p->Y0));
  ODYN_CK(OdynTestOneHotVec(p->nc, p->C));
  ODYN_CK(VecGetLocalSize(p->Y0, &nlocal));
  p->s = nlocal / p->nin;
}

static void PairDestroy(Pair *p)
{
  Vec *all[] = {&p->th, &p->v, &p->Hvh, &p->Hvb, &p->Hvc, &p->w, &p->gw, &p->gwh, &p->Y0, &p->YNh, &p->YNb, &p->C, &p->dY, &p->HdY};

  for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) ODYN_CK(VecDestroy(all[k]));
  ODYN_CK(OdynLossDestroy(&p->hloss));
  ODYN_CK(OdynLossDestroy(&p->bloss));
  ODYN_CK(OdynNetDestroy(&p->hnet));
  ODYN_CK(OdynNetDestroy(&p->bnet));
}

/* the networks of the Pair tests: two dense Euler blocks (n 4; the second with its own prefix, to put it on the host)
   and the MNIST shape (the opening conv layer 1 -> 4 and a conv Euler block) */
static const BlockSpec pair_dense[2] = {
  {ODYNSCHEMEEULER, ODYNLAYERDENSE, 4, 0, 2, 0, 0, PETSC_FALSE, NULL      },
  {ODYNSCHEMEEULER, ODYNLAYERDENSE, 4, 0, 3, 0, 0, PETSC_FALSE, MID_PREFIX},
};
static const BlockSpec pair_conv[2] = {
  {ODYNSCHEMESINGLE, ODYNLAYERCONV, 1, 4, 0, 6, 5, PETSC_FALSE, NULL},
  {ODYNSCHEMEEULER,  ODYNLAYERCONV, 4, 4, 2, 6, 5, PETSC_FALSE, NULL},
};

/* the Gauss-Newton product of the backend net and loss against the host's, and what it copied */
static void GaussNewton(PetscInt nb, const BlockSpec spec[], PetscInt sglobal, PetscInt split, PetscBool expect_device, const char *label)
{
  Pair            p;
  PetscBool       onh, onb, handed;
  PetscLogDouble  before[2 * (ODYN_TEST_MAXB + 1)];
  PetscReal       f, fh;

  PairCreate(nb, spec, sglobal, split, &p);
  ODYN_CK(OdynNetForward(p.hnet, p.th, p.Y0, p.YNh));
  ODYN_CK(OdynNetForward(p.bnet, p.th, p.Y0, p.YNb));
  ODYN_CK(OdynLossSetData(p.hloss, p.YNh, p.C));
  ODYN_CK(OdynLossSetData(p.bloss, p.YNb, p.C));
  ODYN_CK(OdynNetLossHandOutput_Private(p.bnet, p.bloss, &handed)); /* the loss mirrors Y_N from the last block's output */
  ck_assert_msg(handed == expect_device, "%s on %s: the network's output %s handed to the loss in backend memory", label, backend, handed ? "was" : "was not");
  ODYN_CK(OdynLossEvaluate(p.hloss, p.w, &fh, p.gwh, NULL));
  ODYN_CK(OdynLossEvaluate(p.bloss, p.w, &f, p.gw, NULL));
  Expect(label, "classifier gradient after the hand-over", tol_sweep, p.gw, p.gwh);
  { /* Evaluate's copies: the weights and the targets in, [Y G^T | G e] out; the features only without the hand-over */
    PetscLogDouble todev, tohost;
    const PetscLogDouble nw = (PetscLogDouble)p.nout * p.nc + p.nc, xdev = p.s ? (handed ? 0 : (PetscLogDouble)p.nout * p.s) + nw + (PetscLogDouble)p.nc * p.s : 0, xhost = p.s ? nw : 0;

    ODYN_CK(OdynLossBackendGetTraffic_Private(p.bloss, &todev, &tohost));
    ck_assert_msg(todev == 8 * xdev && tohost == 8 * xhost, "%s on %s, loss evaluation (%d examples on this rank): copied %g bytes to the backend and %g back, expected %g and %g", label, backend, (int)p.s, todev, tohost, 8 * xdev, 8 * xhost);
  }
  RecordTraffic(p.bnet, p.bloss, nb, before);
  ODYN_CK(OdynNetLossGaussNewtonMult_Private(p.hnet, p.hloss, p.w, p.v, p.dY, p.HdY, p.Hvh, &onh));
  ODYN_CK(OdynNetLossGaussNewtonMult_Private(p.bnet, p.bloss, p.w, p.v, p.dY, p.HdY, p.Hvb, &onb));
  ck_assert_msg(!onh, "%s: the host net and loss took the backend path", label);
  ck_assert_msg(onb == expect_device, "%s on %s: the Gauss-Newton product %s backend memory", label, backend, onb ? "went through" : "did not go through");
  Expect(label, "Gauss-Newton product J^T H_Y J v", tol_sweep, p.Hvb, p.Hvh);
  /* each block: dtheta in, its gradient out; the loss: nothing (W is the linearization's, H_Z acts on the backend) */
  if (onb) ExpectTrafficSince(p.bnet, p.bloss, nb, before, 1, 1, 0, 0, p.s, label, "Gauss-Newton product");
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "test_netchain: %s on %s: Gauss-Newton product %s, within %.0e of host\n", label, backend, onb ? "through backend memory, copies as expected" : "through the host", (double)tol_sweep));

  /* the propagation gradient's data part, J^T dS/dY_N: the features' gradient W G from the loss to the adjoint; first a
     weights-Hessian product at the same data, whose direction must not stand in for W */
  ODYN_CK(OdynLossHessianMultWeights(p.bloss, p.w, p.gw, p.gwh));
  RecordTraffic(p.bnet, p.bloss, nb, before);
  ODYN_CK(OdynNetLossGradient_Private(p.hnet, p.hloss, p.w, &fh, p.dY, p.Hvh, &onh));
  ODYN_CK(OdynNetLossGradient_Private(p.bnet, p.bloss, p.w, &f, p.dY, p.Hvb, &onb));
  ck_assert_msg(!onh && onb == expect_device, "%s on %s: the gradient %s backend memory", label, backend, onb ? "went through" : "did not go through");
  ck_assert_msg(PetscAbsReal(f - fh) <= tol_sweep * PetscAbsReal(fh), "%s on %s: loss value %.17g, host %.17g", label, backend, (double)f, (double)fh);
  Expect(label, "gradient J^T dS/dY_N", tol_sweep, p.Hvb, p.Hvh);
  /* each block: its gradient out; the loss: nothing (G and W G are made on the backend) */
  if (onb) ExpectTrafficSince(p.bnet, p.bloss, nb, before, 0, 1, 0, 0, p.s, label, "gradient");
  if (expect_device) { /* an accuracy sweep with its output left on the backend: only W up and the scores down */
    PetscReal      ah, ab;
    PetscLogDouble now[2 * (ODYN_TEST_MAXB + 1)];

    ODYN_CK(OdynNetForward(p.hnet, p.th, p.Y0, p.YNh));
    ODYN_CK(OdynLossGetAccuracy(p.hloss, p.w, p.YNh, p.C, &ah));
    ODYN_CK(OdynNetForward(p.bnet, p.th, p.Y0, NULL));
    RecordTraffic(p.bnet, p.bloss, nb, before);
    ODYN_CK(OdynNetLossAccuracy_Private(p.bnet, p.bloss, p.w, p.C, &ab));
    RecordTraffic(p.bnet, p.bloss, nb, now);
    ck_assert_msg(ab == ah, "%s on %s: accuracy of the output on the backend %g, host %g", label, backend, (double)ab, (double)ah);
    ck_assert_msg(now[2 * nb - 1] == before[2 * nb - 1], "%s on %s: the accuracy sweep's output was copied to the host", label, backend);
    ck_assert_msg(now[2 * nb] - before[2 * nb] == (p.s ? 8.0 * (p.nout * p.nc + p.nc) : 0) && now[2 * nb + 1] - before[2 * nb + 1] == 8.0 * p.nc * p.s, "%s on %s, accuracy (%d examples on this rank): the loss copied %g bytes to the backend and %g back, expected the weights and the scores", label, backend, (int)p.s, now[2 * nb] - before[2 * nb], now[2 * nb + 1] - before[2 * nb + 1]);
  }
  PairDestroy(&p);
}

/* a Vec on the local examples [e0, e0 + m) of the array a of width w (collective) */
static Vec ChunkOf(PetscInt w, PetscInt e0, PetscInt m, const PetscScalar *a)
{
  Vec v;

  ODYN_CK(VecCreateMPIWithArray(PETSC_COMM_WORLD, 1, w * m, PETSC_DETERMINE, a + w * e0, &v));
  return v;
}

/*
   A sweep in chunks of at most `chunk` local examples (what -odyn_bcd_chunk_size makes the trainer do,
   solvers/bcd/chunks.c), the network and a softmax loss on the backend, against the host net and loss on the whole
   sweep: each chunk's output handed to the loss's mirror in backend memory (OdynNetLossHandOutputChunk_Private()), then
   the loss's value and classifier gradient, the chunks' Gauss-Newton products summed
   (OdynNetLossGaussNewtonMultChunk_Private()) and the accuracy from the chunks' counts
   (OdynNetLossCountCorrect_Private()). Copies: the hand-over and the products none for the loss, the evaluation the
   weights and the targets only (no features), the counts the weights up and each chunk's scores down; the last block
   sends no output to the host. The host's outputs are made in the same chunks, so the loss's results are the host's
   within tol_sweep; the summed products differ from the whole sweep's by the order of the sums over the examples.
*/
static void Chunks(PetscInt nb, const BlockSpec spec[], PetscInt sglobal, PetscInt split, PetscInt chunk, const char *label)
{
  const PetscReal    tol_sum = 1e-12;
  Pair               p;
  PetscInt           nchunks, counts[2] = {0, 0};
  PetscReal          f, fh, ah, ab;
  PetscLogDouble     before[2 * (ODYN_TEST_MAXB + 1)], now[2 * (ODYN_TEST_MAXB + 1)];
  const PetscScalar *y0, *cc;
  PetscScalar       *ynh;

  PairCreate(nb, spec, sglobal, split, &p);
  ODYN_CK(VecSet(p.YNb, 1e300)); /* never written: the loss must not read it */
  nchunks = (p.s + chunk - 1) / chunk;
  ck_assert(MPI_Allreduce(MPI_IN_PLACE, &nchunks, 1, MPIU_INT, MPI_MAX, PETSC_COMM_WORLD) == MPI_SUCCESS);
  ODYN_CK(VecGetArrayRead(p.Y0, &y0));
  ODYN_CK(VecGetArrayRead(p.C, &cc));

  /* the host: the outputs chunk by chunk into YNh, the whole sweep's Gauss-Newton product and accuracy */
  ODYN_CK(VecGetArray(p.YNh, &ynh));
  for (PetscInt c = 0; c < nchunks; c++) {
    const PetscInt e0 = PetscMin(c * chunk, p.s), m = PetscMin(chunk, p.s - e0);
    Vec            Xc = ChunkOf(p.nin, e0, m, y0), Yc = ChunkOf(p.nout, e0, m, ynh);

    ODYN_CK(OdynNetForward(p.hnet, p.th, Xc, Yc));
    ODYN_CK(VecDestroy(&Xc));
    ODYN_CK(VecDestroy(&Yc));
  }
  ODYN_CK(VecRestoreArray(p.YNh, &ynh));
  ODYN_CK(OdynLossSetData(p.hloss, p.YNh, p.C));
  ODYN_CK(OdynLossEvaluate(p.hloss, p.w, &fh, p.gwh, NULL));
  ODYN_CK(OdynNetForward(p.hnet, p.th, p.Y0, p.dY));
  ODYN_CK(OdynNetLossGaussNewtonMult_Private(p.hnet, p.hloss, p.w, p.v, p.dY, p.HdY, p.Hvh, NULL));
  ODYN_CK(OdynLossGetAccuracy(p.hloss, p.w, p.YNh, p.C, &ah));

  /* the backend: the chunks' outputs handed to the loss's mirror, nothing through the host */
  ODYN_CK(OdynLossSetData(p.bloss, p.YNb, p.C));
  RecordTraffic(p.bnet, p.bloss, nb, before);
  for (PetscInt c = 0; c < nchunks; c++) {
    const PetscInt e0 = PetscMin(c * chunk, p.s), m = PetscMin(chunk, p.s - e0);
    Vec            Xc = ChunkOf(p.nin, e0, m, y0);

    ODYN_CK(OdynNetForward(p.bnet, p.th, Xc, NULL));
    ODYN_CK(OdynNetLossHandOutputChunk_Private(p.bnet, p.bloss, e0));
    ODYN_CK(VecDestroy(&Xc));
  }
  RecordTraffic(p.bnet, p.bloss, nb, now);
  ck_assert_msg(now[2 * nb - 1] == before[2 * nb - 1] && now[2 * nb] == before[2 * nb] && now[2 * nb + 1] == before[2 * nb + 1], "%s on %s: the chunks' outputs went through the host (last block %g bytes down, loss %g up, %g down)", label, backend, now[2 * nb - 1] - before[2 * nb - 1], now[2 * nb] - before[2 * nb], now[2 * nb + 1] - before[2 * nb + 1]);
  ODYN_CK(OdynLossEvaluate(p.bloss, p.w, &f, p.gw, NULL));
  ck_assert_msg(PetscAbsReal(f - fh) <= tol_sweep * PetscAbsReal(fh), "%s on %s: loss value from the chunks' mirror %.17g, host %.17g", label, backend, (double)f, (double)fh);
  Expect(label, "classifier gradient from the chunks' mirror", tol_sweep, p.gw, p.gwh);
  RecordTraffic(p.bnet, p.bloss, nb, before);
  ck_assert_msg(before[2 * nb] - now[2 * nb] == (p.s ? 8.0 * (p.nout * p.nc + p.nc + p.nc * p.s) : 0), "%s on %s: the loss's evaluation copied %g bytes to the backend, expected the weights and the targets (%d examples on this rank)", label, backend, before[2 * nb] - now[2 * nb], (int)p.s);

  /* the chunks' Gauss-Newton products, each chunk swept forward again: the loss copies nothing */
  for (PetscInt c = 0; c < nchunks; c++) {
    const PetscInt e0 = PetscMin(c * chunk, p.s), m = PetscMin(chunk, p.s - e0);
    Vec            Xc = ChunkOf(p.nin, e0, m, y0);

    ODYN_CK(OdynNetForward(p.bnet, p.th, Xc, NULL));
    ODYN_CK(OdynNetLossGaussNewtonMultChunk_Private(p.bnet, p.bloss, p.w, e0, p.v, c ? p.Hvc : p.Hvb));
    if (c) ODYN_CK(VecAXPY(p.Hvb, 1.0, p.Hvc));
    ODYN_CK(VecDestroy(&Xc));
  }
  RecordTraffic(p.bnet, p.bloss, nb, now);
  ck_assert_msg(now[2 * nb] == before[2 * nb] && now[2 * nb + 1] == before[2 * nb + 1], "%s on %s: the loss copied %g bytes up and %g down during the chunks' Gauss-Newton products, expected none", label, backend, now[2 * nb] - before[2 * nb], now[2 * nb + 1] - before[2 * nb + 1]);
  Expect(label, "Gauss-Newton product summed over chunks", tol_sum, p.Hvb, p.Hvh);

  /* the accuracy from the chunks' counts: the weights up and each chunk's scores down */
  for (PetscInt c = 0; c < nchunks; c++) {
    const PetscInt e0 = PetscMin(c * chunk, p.s), m = PetscMin(chunk, p.s - e0);
    Vec            Xc = ChunkOf(p.nin, e0, m, y0);

    ODYN_CK(OdynNetForward(p.bnet, p.th, Xc, NULL));
    ODYN_CK(OdynNetLossCountCorrect_Private(p.bnet, p.bloss, p.w, cc + p.nc * e0, counts));
    ODYN_CK(VecDestroy(&Xc));
  }
  ODYN_CK(OdynLossAccuracyOfCounts_Private(p.bloss, counts, &ab));
  RecordTraffic(p.bnet, p.bloss, nb, before);
  ck_assert_msg(ab == ah, "%s on %s: accuracy from the chunks' counts %g, host %g", label, backend, (double)ab, (double)ah);
  ck_assert_msg(counts[1] == p.s, "%s on %s: the chunks counted %d examples, this rank has %d", label, backend, (int)counts[1], (int)p.s);
  ck_assert_msg(before[2 * nb - 1] == now[2 * nb - 1] && before[2 * nb + 1] - now[2 * nb + 1] == 8.0 * p.nc * p.s, "%s on %s: the accuracy's chunks copied %g bytes of output and %g of scores to the host, expected none and the scores (%d examples)", label, backend, before[2 * nb - 1] - now[2 * nb - 1], before[2 * nb + 1] - now[2 * nb + 1], (int)p.s);

  /* misuse: a chunk past the loss's examples, a chunk's product with a loss on the host */
  if (p.s) odyn_ck_error_contains(OdynNetLossHandOutputChunk_Private(p.bnet, p.bloss, p.s), "which are not the loss data's examples");
  odyn_ck_error_contains(OdynNetLossGaussNewtonMultChunk_Private(p.bnet, p.hloss, p.w, 0, p.v, p.Hvc), "do not run on one backend");
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "test_netchain: %s on %s, chunks of %d: hand-over and products in backend memory, the products' sum within %.0e of the whole sweep's\n", label, backend, (int)chunk, (double)tol_sum));

  ODYN_CK(VecRestoreArrayRead(p.C, &cc));
  ODYN_CK(VecRestoreArrayRead(p.Y0, &y0));
  PairDestroy(&p);
}

/* Chunks() on the dense and the MNIST shapes, examples spread and all on rank 0 (the other rank's chunks empty) */
START_TEST(test_chunks)
{
  for (PetscInt split = 0; split < 2; split++) {
    Chunks(2, pair_dense, 23, split, 4, split ? "two dense blocks (n 4), softmax, examples on rank 0" : "two dense blocks (n 4), softmax");
    Chunks(2, pair_conv, 14, split, 3, split ? "opening conv 1 -> 4 and a conv block, softmax, examples on rank 0" : "opening conv 1 -> 4 and a conv block, softmax");
  }
}
END_TEST

START_TEST(test_gauss_newton)
{
  for (PetscInt split = 0; split < 2; split++) {
    GaussNewton(2, pair_conv, 14, split, PETSC_TRUE, split ? "opening conv 1 -> 4 and a conv block, softmax, examples on rank 0" : "opening conv 1 -> 4 and a conv block, softmax");
    GaussNewton(2, pair_dense, 20, split, PETSC_TRUE, split ? "two dense blocks (n 4), softmax, examples on rank 0" : "two dense blocks (n 4), softmax");
    ODYN_CK(PetscOptionsSetValue(NULL, "-" MID_PREFIX "odyn_backend", "host"));
    GaussNewton(2, pair_dense, 20, split, PETSC_FALSE, split ? "two dense blocks, the last on the host, examples on rank 0" : "two dense blocks, the last on the host");
    ODYN_CK(PetscOptionsClearValue(NULL, "-" MID_PREFIX "odyn_backend"));
    handover = PETSC_FALSE;
    GaussNewton(2, pair_conv, 14, split, PETSC_FALSE, split ? "opening conv 1 -> 4 and a conv block, handover off, examples on rank 0" : "opening conv 1 -> 4 and a conv block, handover off");
    handover = PETSC_TRUE;
  }
}
END_TEST

/* switching the hand-over between a forward sweep and a product asks for a new forward (the hops were made the other way) */
START_TEST(test_switch)
{
  const BlockSpec two[2] = {
    {ODYNSCHEMEEULER, ODYNLAYERDENSE, 3, 0, 2, 0, 0, PETSC_FALSE, NULL},
    {ODYNSCHEMEEULER, ODYNLAYERDENSE, 3, 0, 3, 0, 0, PETSC_FALSE, NULL},
  };
  OdynNet net;
  Vec     th, Y0, Y;

  ODYN_CK(MakeNet(2, two, backend, &net));
  ODYN_CK(OdynNetCreateParameterVec(net, &th));
  ODYN_CK(OdynTestStateVec(3, 10, 0, &Y0));
  ODYN_CK(VecDuplicate(Y0, &Y));
  ODYN_CK(OdynTestRandomVec(5, 0.3, th));
  ODYN_CK(OdynTestRandomVec(6, 1.0, Y0));
  ODYN_CK(OdynNetForward(net, th, Y0, Y));
  ODYN_CK(OdynNetSetBackendHandover(net, PETSC_FALSE));
  odyn_ck_error_contains(OdynNetJacobianMult(net, th, NULL, Y), "Call OdynNetForward() before a Jacobian product");
  ODYN_CK(OdynNetForward(net, th, Y0, Y));
  ODYN_CK(OdynNetJacobianMult(net, th, NULL, Y));
  ODYN_CK(VecDestroy(&th));
  ODYN_CK(VecDestroy(&Y0));
  ODYN_CK(VecDestroy(&Y));
  ODYN_CK(OdynNetDestroy(&net));
}
END_TEST

/* the copies are logged (-log_view: OdynBackendToDev, OdynBackendToHost): one event per copy, so a forward sweep of a
   chain of three blocks makes 4 uploads (the thetas and Y0) and 1 download (Y_N) */
START_TEST(test_log_events)
{
#if defined(PETSC_USE_LOG)
  const BlockSpec three[3] = {
    {ODYNSCHEMEEULER, ODYNLAYERDENSE, 3, 0, 2, 0, 0, PETSC_FALSE, NULL},
    {ODYNSCHEMEEULER, ODYNLAYERDENSE, 3, 0, 2, 0, 0, PETSC_FALSE, NULL},
    {ODYNSCHEMEEULER, ODYNLAYERDENSE, 3, 0, 2, 0, 0, PETSC_FALSE, NULL},
  };
  OdynNet            net;
  Vec                th, Y0, Y;
  PetscLogEvent      ev[2];
  PetscEventPerfInfo before[2], after[2];

  ODYN_CK(PetscLogDefaultBegin());
  ODYN_CK(MakeNet(3, three, backend, &net));
  ODYN_CK(OdynNetCreateParameterVec(net, &th));
  ODYN_CK(OdynTestStateVec(3, 10, 0, &Y0));
  ODYN_CK(VecDuplicate(Y0, &Y));
  ODYN_CK(OdynTestRandomVec(5, 0.3, th));
  ODYN_CK(OdynTestRandomVec(6, 1.0, Y0));
  ODYN_CK(PetscLogEventGetId("OdynBackendToDev", &ev[0]));
  ODYN_CK(PetscLogEventGetId("OdynBackendToHost", &ev[1]));
  for (int k = 0; k < 2; k++) ODYN_CK(PetscLogEventGetPerfInfo(0, ev[k], &before[k]));
  ODYN_CK(OdynNetForward(net, th, Y0, Y));
  for (int k = 0; k < 2; k++) ODYN_CK(PetscLogEventGetPerfInfo(0, ev[k], &after[k]));
  ck_assert_msg(after[0].count - before[0].count == 4 && after[1].count - before[1].count == 1, "forward sweep of three chained blocks on %s: %d uploads and %d downloads logged, expected 4 and 1", backend, after[0].count - before[0].count, after[1].count - before[1].count);
  ODYN_CK(VecDestroy(&th));
  ODYN_CK(VecDestroy(&Y0));
  ODYN_CK(VecDestroy(&Y));
  ODYN_CK(OdynNetDestroy(&net));
#endif
}
END_TEST

START_TEST(test_dense_chain)
{
  const BlockSpec three[3] = {
    {ODYNSCHEMEEULER, ODYNLAYERDENSE, 3, 0, 2, 0, 0, PETSC_FALSE, NULL        },
    {ODYNSCHEMEEULER, ODYNLAYERDENSE, 3, 0, 4, 0, 0, PETSC_FALSE, MID_PREFIX  },
    {ODYNSCHEMEEULER, ODYNLAYERDENSE, 3, 0, 3, 0, 0, PETSC_FALSE, NULL        },
  };

  for (PetscInt split = 0; split < 2; split++) {
    Chain(3, three, 25, split, tol_sweep, PETSC_TRUE, split ? "three dense blocks (n 3, N 2 + 4 + 3), examples on rank 0" : "three dense blocks (n 3, N 2 + 4 + 3)");
    ODYN_CK(PetscOptionsSetValue(NULL, "-" MID_PREFIX "odyn_backend", "host"));
    Chain(3, three, 25, split, tol_sweep, PETSC_FALSE, split ? "three dense blocks, the middle one on the host, examples on rank 0" : "three dense blocks, the middle one on the host");
    ODYN_CK(PetscOptionsClearValue(NULL, "-" MID_PREFIX "odyn_backend"));
    handover = PETSC_FALSE;
    Chain(3, three, 25, split, tol_sweep, PETSC_FALSE, split ? "three dense blocks, handover off, examples on rank 0" : "three dense blocks, handover off (every state through the host)");
    handover = PETSC_TRUE;
  }
}
END_TEST

START_TEST(test_verlet_chain)
{
  const BlockSpec two[2] = {
    {ODYNSCHEMEVERLET, ODYNLAYERHAMILTONIAN, 2, 4, 3, 0, 0, PETSC_TRUE, NULL},
    {ODYNSCHEMEVERLET, ODYNLAYERHAMILTONIAN, 2, 4, 2, 0, 0, PETSC_TRUE, NULL},
  };

  for (PetscInt split = 0; split < 2; split++) Chain(2, two, 30, split, 1e-12, PETSC_TRUE, split ? "two reversible Verlet blocks (n 2, m 4, N 3 + 2), examples on rank 0" : "two reversible Verlet blocks (n 2, m 4, N 3 + 2)");
}
END_TEST

START_TEST(test_conv_chain)
{
  /* the MNIST network's shape, smaller: the opening layer 1 -> 4 (its output is wider than its input) and two conv
     Euler blocks */
  const BlockSpec mnist[3] = {
    {ODYNSCHEMESINGLE, ODYNLAYERCONV, 1, 4, 0, 6, 5, PETSC_FALSE, NULL},
    {ODYNSCHEMEEULER,  ODYNLAYERCONV, 4, 4, 2, 6, 5, PETSC_FALSE, NULL},
    {ODYNSCHEMEEULER,  ODYNLAYERCONV, 4, 4, 3, 6, 5, PETSC_FALSE, NULL},
  };

  for (PetscInt split = 0; split < 2; split++) Chain(3, mnist, 12, split, tol_sweep, PETSC_TRUE, split ? "opening conv 1 -> 4 and two conv blocks (6 x 5, N 2 + 3), examples on rank 0" : "opening conv 1 -> 4 and two conv blocks (6 x 5, N 2 + 3)");
}
END_TEST

int main(int argc, char **argv)
{
  const TTest *const tests[] = {test_switch, test_log_events, test_dense_chain, test_verlet_chain, test_conv_chain, test_gauss_newton, test_chunks};

  return OdynTestBackendMain(argc, argv, "netchain", backend, (int)(sizeof(tests) / sizeof(tests[0])), tests);
}
