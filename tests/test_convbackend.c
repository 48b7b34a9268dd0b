/*
  Convolutional Euler blocks on a compute backend (OdynNetSetBackend(), -odyn_backend; docs/gpu.md): a block of scheme
  euler with layer conv (3x3 stencils, c -> c channels, tanh, no normalization, no pooling) hands its whole forward,
  tangent and adjoint sweeps to the table's conv_euler_tanh_* operations, its states (c h w per example) in the
  backend's memory; an opening layer (scheme single, conv 3x3 cin -> c, tanh) before it runs on the backend too, by the
  table's conv_tanh_* operations (one step, input and output widths differ), as in the MNIST network
  (problems/options/mnist.opts, docs/mnist.md), or stays on the host path by the block's own option
  (-<prefix>odyn_backend host).

  Built twice from this file: as test_convbackend (label unit) with the backend "hostref", the host table taken through
  exactly that path, and as tests/gpu/test_gpu_convbackend.c (label gpu) with "cuda". On 1 and on 2 ranks (one layout
  with a rank that holds no example):
  - parity with the direct host path (-odyn_backend host): forward Y_N, J v (in theta and Y0, together and apart),
    J^T w (gradient in theta and Y0, together and apart), again at another theta with another number of examples; for
    one conv block (4 channels, 8 x 8, batches spanning several of the kernels' chunks of examples), the MNIST shape
    (6 channels, 28 x 28), two conv blocks, an opening layer 1 -> 4 on the host before two backend blocks, the opening
    layer on the backend alone (1 -> 4, 3 -> 5) and before two backend blocks, and the MNIST shape with it (1 -> 6);
  - Taylor and dot-product tests of the backend path itself;
  - a small MNIST-like network (opening conv 1 -> 4 and conv ResNet block, both on the backend with no per-block
    option, softmax, smoothness regularizer) trained on synthetic 8 x 8 images: the objective history against the host's;
  - the same parity, derivative and training tests for convantisym Euler blocks (the MNIST antisym network's ResNet,
    with and without the diffusion gamma), which the backend runs with the effective stencils (K - adj K - gamma I)/2
    (src/schemes/schemebackend.c);
  - the same parity, derivative and training tests for the Hamiltonian CNN: scheme verlet with layer convhamiltonian
    (3x3, Y of c channels, Z of m, K shared by the faces K * Z and K^T * Y, tanh), the MNIST verlet network's block,
    which runs on the table's conv_verlet_tanh_* operations (c = m and c != m, alone, after an opening layer on the host
    or on the backend, the MNIST shape), and reversible with -odyn_scheme_trajectory recompute (the last states only,
    rebuilt backwards: against the host path's recompute sweeps, and its backend state memory stored vs reversible);
  - bad input: conv blocks the backend cannot run (5x5 stencils, relu, TV normalization, pooling, 4 -> 6 channels,
    shared weights; convantisym with 5x5, relu, TV normalization, shared weights; scheme single with 5x5, relu, TV
    normalization, pooling, a dense layer; verlet + convhamiltonian with 5x5, relu, TV normalization, pooling, shared
    weights; on cuda also 20 channels, for single 1 -> 20, for convhamiltonian 4, 20)
    stop with PETSC_ERR_SUP naming the block and what it is; the table's conv_tanh_* and conv_verlet_tanh_* check their
    sizes and arrays.

  Bounds. hostref: 0. Its sweeps (src/backend/host/convtanh.c) call the conv layer's kernels with the same operands, in
  the same order and over the same chunks of examples as the direct path (euler.c + convcore.c), and the gradient it
  returns is added to the zeros the network starts from: any difference at all is a bug in the plumbing (convantisym:
  1e-13 and 1e-8 for the history, the gradient's mapping rounds otherwise than the layer's, see SetKind()). cuda: 1e-12
  norm-wise relative for the sweeps (FMAs and an ulp of tanh per step through a map with h ||K_j|| <= 1 here, the
  stencil and bias gradients summed over <= 8,000 pixel-examples in another order), 1e-8 relative for the training
  history (test_train's bound for histories of runs that differ by round-off, PCG capped at 3 iterations). The cuda
  bounds are estimates that the first GPU run must confirm.
*/
#include <string.h>
#include "odyntest.h"
#include <odyn/private/backend.h>

#if defined(ODYN_TEST_CONVBACKEND_GPU)
  #include <cuda_runtime.h>
static const char *backend   = "cuda";
static PetscReal   tol_sweep = 1e-12, tol_hist = 1e-8;
#else
static const char *backend   = "hostref";
static PetscReal   tol_sweep = 0.0, tol_hist = 0.0;
#endif

/* the opening block's options prefix; with its own option -cbopen_odyn_backend host (OpenOnHost()) it stays on the host
   path, else it runs on the network's backend (conv_tanh_*) */
#define OPEN_PREFIX "cbopen_"

static PetscBool open_host = PETSC_TRUE;

static void OpenOnHost(PetscBool host)
{
  open_host = host;
  if (host) ODYN_CK(PetscOptionsSetValue(NULL, "-" OPEN_PREFIX "odyn_backend", "host"));
  else ODYN_CK(PetscOptionsClearValue(NULL, "-" OPEN_PREFIX "odyn_backend"));
}

/*
  The layer of the Euler blocks MakeConvNet() makes: conv, or convantisym with its diffusion gamma (the backend runs it
  with the effective stencils (K - adj K - gamma I)/2, mapping dtheta and the gradient, schemebackend.c), and the bound
  for Expect(). hostref with convantisym: the forward and the tangents are the host path's bit for bit (the effective
  stencils formed by the layer's operations in its order), but the stencil gradient is h sum (G) mapped, where the
  layer maps sum (G) and scales by h in the map: the two differ by round-off of a few ulps of each entry (1e-13).
*/
static const char *euler_layer = ODYNLAYERCONV;
static PetscReal   euler_gamma = 0.0, tol_now = 0.0;
static PetscInt    ham_m       = 0; /* convhamiltonian: the channels of Z (the blocks are then Verlet blocks) */
static PetscBool   ham_rev     = PETSC_FALSE; /* and their states recomputed (-odyn_scheme_trajectory recompute) */

static void SetKind(const char *layer, PetscReal gamma)
{
  euler_layer = layer;
  euler_gamma = gamma;
  ham_m       = 0;
  ham_rev     = PETSC_FALSE;
#if defined(ODYN_TEST_CONVBACKEND_GPU)
  tol_now = tol_sweep;
#else
  tol_now = strcmp(layer, ODYNLAYERCONVANTISYM) ? tol_sweep : 1e-13;
#endif
}

/* the Hamiltonian CNN's Verlet blocks instead of the Euler blocks: Y of c channels, Z of m (hostref: the host path's
   results bit for bit, convverlet.c) */
static void SetVerlet(PetscInt m, PetscBool rev)
{
  SetKind(ODYNLAYERCONVHAMILTONIAN, 0.0);
  ham_m   = m;
  ham_rev = rev;
}

/*
  A network of an opening block (cin > 0: scheme single, conv 3x3 cin -> c, tanh, prefix OPEN_PREFIX) and nb conv
  Euler blocks of c channels on ih x iw images (convhamiltonian: Verlet blocks, Z of ham_m channels), N[b] steps, final
  time T each; the backend bk for all but the opening.
*/
static PetscErrorCode MakeConvNet(PetscInt cin, PetscInt nb, const PetscInt N[], PetscInt c, PetscInt ih, PetscInt iw, PetscReal T, const char *bk, OdynNet *net)
{
  PetscFunctionBegin;
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, net));
  for (PetscInt b = (cin > 0 ? -1 : 0); b < nb; b++) {
    OdynScheme sc;
    OdynLayer  layer;

    PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
    if (b < 0) PetscCall(OdynSchemeSetOptionsPrefix(sc, OPEN_PREFIX));
    PetscCall(OdynSchemeSetType(sc, b < 0 ? ODYNSCHEMESINGLE : strcmp(euler_layer, ODYNLAYERCONVHAMILTONIAN) ? ODYNSCHEMEEULER : ODYNSCHEMEVERLET));
    if (b >= 0) {
      PetscCall(OdynSchemeSetNumSteps(sc, N[b]));
      PetscCall(OdynSchemeSetFinalTime(sc, T));
    }
    PetscCall(OdynSchemeGetLayer(sc, &layer));
    PetscCall(OdynLayerSetType(layer, b < 0 ? ODYNLAYERCONV : euler_layer));
    if (b >= 0 && euler_gamma > 0) PetscCall(OdynLayerAntisymSetGamma(layer, euler_gamma));
    if (b >= 0 && ham_rev) PetscCall(OdynSchemeSetTrajectoryType(sc, ODYN_TRAJECTORY_RECOMPUTE));
    PetscCall(OdynLayerConvSetImage(layer, ih, iw));
    PetscCall(OdynLayerConvSetChannels(layer, b < 0 ? cin : c, b >= 0 && ham_m ? ham_m : c));
    PetscCall(OdynLayerSetActivation(layer, ODYN_ACTIVATION_TANH));
    PetscCall(OdynNetAddBlock(*net, sc));
    PetscCall(OdynSchemeDestroy(&sc));
  }
  PetscCall(OdynNetSetBackend(*net, bk));
  PetscFunctionReturn(0);
}

static void Expect(const char *label, const char *what, Vec a, Vec b) { OdynTestExpectClose(label, what, backend, tol_now, a, b); }

/* the host net and the backend net on the same data: forward, tangents, adjoints; then again at another theta, s2 */
static void Parity(PetscInt cin, PetscInt nb, const PetscInt N[], PetscInt c, PetscInt ih, PetscInt iw, PetscReal T, PetscInt s, PetscInt s2, PetscInt split, const char *label)
{
  OdynNet         hnet, bnet;
  Vec             th, dth, gh, gb, Y0, dY0, W, Yh, Yb, Gh, Gb;
  const PetscInt  nin = (cin > 0 ? cin : c) * ih * iw, nout = c * ih * iw;
  const PetscReal scale = 1.0 / PetscSqrtReal(9.0 * c);

  ODYN_CK(MakeConvNet(cin, nb, N, c, ih, iw, T, ODYNBACKENDHOST, &hnet));
  ODYN_CK(MakeConvNet(cin, nb, N, c, ih, iw, T, backend, &bnet));
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
    Expect(label, "forward Y_N", Yb, Yh);
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
    OdynTestNetCompareDerivatives(hnet, bnet, th, dth, Y0, dY0, W, Yh, Yb, gh, gb, Gh, Gb, label, backend, tol_now);

    ODYN_CK(VecDestroy(&Y0));
    ODYN_CK(VecDestroy(&dY0));
    ODYN_CK(VecDestroy(&W));
    ODYN_CK(VecDestroy(&Yh));
    ODYN_CK(VecDestroy(&Yb));
    ODYN_CK(VecDestroy(&Gh));
    ODYN_CK(VecDestroy(&Gb));
  }
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "test_convbackend: %s on %s: every product within %.0e of host\n", label, backend, (double)tol_now));
  ODYN_CK(VecDestroy(&th));
  ODYN_CK(VecDestroy(&dth));
  ODYN_CK(VecDestroy(&gh));
  ODYN_CK(VecDestroy(&gb));
  ODYN_CK(OdynNetDestroy(&hnet));
  ODYN_CK(OdynNetDestroy(&bnet));
}

START_TEST(test_parity)
{
  const PetscInt three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};

  SetKind(ODYNLAYERCONV, 0.0);
  OpenOnHost(PETSC_TRUE);

  for (PetscInt split = 0; split < 2; split++) {
    /* 101 examples of 4 x 8 x 8: several chunks of the host kernels, and a last one that is not full */
    Parity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, split ? "conv block (4 channels, 8 x 8, N 3), examples on rank 0" : "conv block (4 channels, 8 x 8, N 3)");
    Parity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, split ? "opening 1 -> 4 on the host, two conv blocks (6 x 10, N 2 + 3), examples on rank 0" : "opening 1 -> 4 on the host, two conv blocks (6 x 10, N 2 + 3)");
  }
  Parity(0, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST-shaped conv block (6 channels, 28 x 28, N 2)");
}
END_TEST

/* the opening layer (scheme single, conv 3x3 cin -> c, tanh) on the backend: alone, before conv blocks, MNIST's shape */
START_TEST(test_parity_opening)
{
  const PetscInt pair[2] = {2, 3}, two[1] = {2};

  SetKind(ODYNLAYERCONV, 0.0);
  OpenOnHost(PETSC_FALSE);
  for (PetscInt split = 0; split < 2; split++) {
    Parity(1, 0, NULL, 4, 8, 8, 0.0, 101, 37, split, split ? "opening 1 -> 4 alone (8 x 8), examples on rank 0" : "opening 1 -> 4 alone (8 x 8)");
    Parity(3, 0, NULL, 5, 7, 9, 0.0, 23, 40, split, split ? "opening 3 -> 5 alone (7 x 9), examples on rank 0" : "opening 3 -> 5 alone (7 x 9)");
    Parity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, split ? "opening 1 -> 4 and two conv blocks, all on the backend (6 x 10, N 2 + 3), examples on rank 0" : "opening 1 -> 4 and two conv blocks, all on the backend (6 x 10, N 2 + 3)");
  }
  Parity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST shape, all on the backend (opening 1 -> 6, conv 6 channels, 28 x 28, N 2)");
  SetKind(ODYNLAYERCONVANTISYM, 0.1);
  Parity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST antisym shape, all on the backend (opening 1 -> 6, convantisym 6 channels, 28 x 28, N 2, gamma 0.1)");
  SetKind(ODYNLAYERCONV, 0.0);
  OpenOnHost(PETSC_TRUE);
}
END_TEST

/* the same for convantisym Euler blocks (the MNIST antisym network's ResNet), without and with the diffusion gamma */
START_TEST(test_parity_antisym)
{
  const PetscInt three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};

  OpenOnHost(PETSC_TRUE);
  for (PetscInt split = 0; split < 2; split++) {
    SetKind(ODYNLAYERCONVANTISYM, 0.0);
    Parity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, split ? "convantisym block (4 channels, 8 x 8, N 3), examples on rank 0" : "convantisym block (4 channels, 8 x 8, N 3)");
    SetKind(ODYNLAYERCONVANTISYM, 0.3);
    Parity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, split ? "opening 1 -> 4 on the host, two convantisym blocks, gamma 0.3 (6 x 10, N 2 + 3), examples on rank 0" : "opening 1 -> 4 on the host, two convantisym blocks, gamma 0.3 (6 x 10, N 2 + 3)");
  }
  SetKind(ODYNLAYERCONVANTISYM, 0.1);
  Parity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST antisym shape (opening 1 -> 6 on the host, convantisym 6 channels, 28 x 28, N 2, gamma 0.1)");
  SetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* the Hamiltonian CNN (scheme verlet, layer convhamiltonian): Z as wide as Y and not, alone, after an opening layer on
   the host and on the backend, MNIST's shape (-odyn_net verlet: 6 and 6 channels, 28 x 28) */
START_TEST(test_parity_convverlet)
{
  const PetscInt three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};

  OpenOnHost(PETSC_TRUE);
  for (PetscInt split = 0; split < 2; split++) {
    SetVerlet(4, PETSC_FALSE);
    Parity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, split ? "convhamiltonian Verlet block (Y 4, Z 4 channels, 8 x 8, N 3), examples on rank 0" : "convhamiltonian Verlet block (Y 4, Z 4 channels, 8 x 8, N 3)");
    SetVerlet(3, PETSC_FALSE);
    Parity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, split ? "opening 1 -> 4 on the host, two convhamiltonian Verlet blocks (Y 4, Z 3 channels, 6 x 10, N 2 + 3), examples on rank 0" : "opening 1 -> 4 on the host, two convhamiltonian Verlet blocks (Y 4, Z 3 channels, 6 x 10, N 2 + 3)");
    OpenOnHost(PETSC_FALSE);
    SetVerlet(5, PETSC_FALSE);
    Parity(1, 1, three, 3, 7, 9, 1.0, 101, 37, split, split ? "opening 1 -> 3 and a convhamiltonian Verlet block (Z 5 channels, 7 x 9, N 3), all on the backend, examples on rank 0" : "opening 1 -> 3 and a convhamiltonian Verlet block (Z 5 channels, 7 x 9, N 3), all on the backend");
    OpenOnHost(PETSC_TRUE);
  }
  OpenOnHost(PETSC_FALSE);
  SetVerlet(6, PETSC_FALSE);
  Parity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST verlet shape, all on the backend (opening 1 -> 6, convhamiltonian 6, 6 channels, 28 x 28, N 2)");
  OpenOnHost(PETSC_TRUE);
  SetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* the same blocks reversible (-odyn_scheme_trajectory recompute on the host path and on the backend: the last states
   only, rebuilt backwards by verlet.c's reverse step; hostref follows the host path's recomputing sweeps bit for bit) */
START_TEST(test_parity_convverlet_reversible)
{
  const PetscInt three[1] = {3}, four[1] = {4}, pair[2] = {2, 3};

  OpenOnHost(PETSC_TRUE);
  for (PetscInt split = 0; split < 2; split++) {
    SetVerlet(4, PETSC_TRUE);
    Parity(0, 1, four, 4, 8, 8, 1.0, 101, 37, split, split ? "reversible convhamiltonian Verlet block (Y 4, Z 4 channels, 8 x 8, N 4), examples on rank 0" : "reversible convhamiltonian Verlet block (Y 4, Z 4 channels, 8 x 8, N 4)");
    OpenOnHost(PETSC_FALSE);
    SetVerlet(3, PETSC_TRUE);
    Parity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, split ? "opening 1 -> 4 and two reversible convhamiltonian Verlet blocks (Z 3 channels, 6 x 10, N 2 + 3), all on the backend, examples on rank 0" : "opening 1 -> 4 and two reversible convhamiltonian Verlet blocks (Z 3 channels, 6 x 10, N 2 + 3), all on the backend");
    OpenOnHost(PETSC_TRUE);
  }
  SetVerlet(5, PETSC_TRUE);
  Parity(0, 1, three, 3, 7, 9, 1.0, 12, 5, 0, "reversible convhamiltonian Verlet block (Y 3, Z 5 channels, 7 x 9, N 3)");

  /* the backend state memory of one block (Y 4, Z 3 channels of 8 x 8, N 16, 10 examples) after a forward, stored and
     reversible, from OdynSchemeView()'s line: (4 ln + lm) + revsize against (N + 1)(ln + lm) + linsize + 2 ln */
  {
    const PetscInt N[1] = {16};
    const long     hw = 64, ln = 4 * hw * 10, lm = 3 * hw * 10;
    long           d[2], ss[2];

    for (int rev = 0; rev < 2; rev++) {
      OdynNet               net;
      OdynScheme            sc;
      Vec                   th, Y0, YN;
      char                  buf[4096] = "";
      const char           *line;
      FILE                 *fp;
      PetscViewer           v;
      const OdynBackendOps *ops;

      SetVerlet(3, rev ? PETSC_TRUE : PETSC_FALSE);
      ODYN_CK(MakeConvNet(0, 1, N, 4, 8, 8, 1.0, backend, &net));
      ODYN_CK(OdynNetCreateParameterVec(net, &th));
      ODYN_CK(OdynTestRandomVec(1, 0.2, th));
      ODYN_CK(OdynTestStateVec(4 * hw, 10, 1, &Y0)); /* all 10 examples on rank 0 */
      ODYN_CK(VecDuplicate(Y0, &YN));
      ODYN_CK(OdynTestRandomVec(2, 1.0, Y0));
      ODYN_CK(OdynNetForward(net, th, Y0, YN));
      ODYN_CK(OdynNetGetBlock(net, 0, &sc));
      fp = fmemopen(buf, sizeof(buf) - 1, "w");
      ck_assert(fp != NULL);
      ODYN_CK(PetscViewerASCIIOpenWithFILE(PETSC_COMM_SELF, fp, &v));
      ODYN_CK(OdynSchemeView(sc, v));
      ODYN_CK(PetscViewerDestroy(&v));
      fclose(fp);
      ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, backend, &ops));
      if (PetscGlobalRank == 0) { /* the rank that holds the examples */
        line = strstr(buf, "backend state memory: ");
        ck_assert_msg(line && sscanf(line, "backend state memory: %ld doubles for %ld examples", &d[rev], &ss[rev]) == 2, "no backend state memory line:\n%s", buf);
        ck_assert_int_eq(ss[rev], 10);
        ck_assert_int_eq(d[rev], rev ? 4 * ln + lm + ops->conv_verlet_tanh_revsize(4, 3, 8, 8, 10) : 17 * (ln + lm) + ops->conv_verlet_tanh_linsize(4, 3, 8, 8, 16, 10) + 2 * ln);
        ck_assert_msg(!rev || strstr(buf, "recomputed backwards"), "the reversible block's view: %s", buf);
      }
      ODYN_CK(VecDestroy(&th));
      ODYN_CK(VecDestroy(&Y0));
      ODYN_CK(VecDestroy(&YN));
      ODYN_CK(OdynNetDestroy(&net));
    }
    if (PetscGlobalRank == 0) ODYN_CK(PetscPrintf(PETSC_COMM_SELF, "test_convbackend: convhamiltonian Verlet block (Y 4, Z 3 channels, 8 x 8, N 16, 10 examples) on %s: backend state memory %ld doubles stored, %ld reversible\n", backend, d[0], d[1]));
  }
  SetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* Taylor and dot-product tests of the backend path on its own (OdynTestNetDerivatives of odyntest.h) */
static void Derivatives(PetscInt cin, PetscInt nb, const PetscInt N[], PetscInt c, PetscInt ih, PetscInt iw, PetscReal T, PetscInt s, const char *label)
{
  OdynTestNetCtx ctx = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
  Vec            YN;
  const PetscInt nin = (cin > 0 ? cin : c) * ih * iw, nout = c * ih * iw;
  char           what[256];

  ODYN_CK(MakeConvNet(cin, nb, N, c, ih, iw, T, backend, &ctx.net));
  ODYN_CK(OdynNetCreateParameterVec(ctx.net, &ctx.theta));
  ODYN_CK(VecDuplicate(ctx.theta, &ctx.dtheta));
  ODYN_CK(VecDuplicate(ctx.theta, &ctx.thp));
  ODYN_CK(OdynTestRandomVec(1, 1.0 / PetscSqrtReal(9.0 * c), ctx.theta));
  ODYN_CK(OdynTestRandomVec(2, 1.0, ctx.dtheta));
  ODYN_CK(OdynTestStateVec(nin, s, 0, &ctx.Y0));
  ODYN_CK(VecDuplicate(ctx.Y0, &ctx.dY0));
  ODYN_CK(VecDuplicate(ctx.Y0, &ctx.Y0p));
  ODYN_CK(OdynTestStateVec(nout, s, 0, &YN));
  ODYN_CK(PetscSNPrintf(what, sizeof(what), "test_convbackend: %s", label));
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

START_TEST(test_derivatives)
{
  const PetscInt four[1] = {4}, pair[2] = {2, 3};

  OpenOnHost(PETSC_TRUE);

  SetKind(ODYNLAYERCONV, 0.0);
  Derivatives(0, 1, four, 3, 7, 9, 2.0, 12, "conv block (3 channels, 7 x 9, N 4)");
  Derivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 on the host, two conv blocks (8 x 8, N 2 + 3)");
  SetKind(ODYNLAYERCONVANTISYM, 0.2);
  Derivatives(0, 1, four, 3, 7, 9, 2.0, 12, "convantisym block, gamma 0.2 (3 channels, 7 x 9, N 4)");
  Derivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 on the host, two convantisym blocks (8 x 8, N 2 + 3)");
  SetKind(ODYNLAYERCONV, 0.0);
  OpenOnHost(PETSC_FALSE);
  Derivatives(1, 0, NULL, 3, 7, 9, 0.0, 12, "opening 1 -> 3 on the backend alone (7 x 9)");
  Derivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 and two conv blocks, all on the backend (8 x 8, N 2 + 3)");
  SetVerlet(5, PETSC_FALSE);
  Derivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 and two convhamiltonian Verlet blocks (Z 5 channels), all on the backend (8 x 8, N 2 + 3)");
  OpenOnHost(PETSC_TRUE);
  SetVerlet(3, PETSC_FALSE);
  Derivatives(0, 1, four, 3, 7, 9, 2.0, 12, "convhamiltonian Verlet block (Y 3, Z 3 channels, 7 x 9, N 4)");
  SetVerlet(4, PETSC_TRUE);
  Derivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 on the host, two reversible convhamiltonian Verlet blocks (Z 4 channels, 8 x 8, N 2 + 3)");
  SetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

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
  network's backend with no per-block option, softmax, smoothness regularizer), 3 Gauss-Newton iterations on each of the levels
  4 and 8 layers, PCG capped at 3 iterations, trained on the host and on the backend: the same objective history. The
  options go to a database of their own (PetscOptionsPush), so nothing carries over to the other tests.
*/
static void TrainHistory(const char *ltype, const char *extra, PetscReal tol)
{
  char                           opts[1536];
  PetscOptions                   db;
  OdynDataset                    tr, va;
  OdynNet                        net[2];
  OdynLoss                       loss[2];
  OdynRegularizer                reg[2];
  OdynTrainer                    t[2];
  Vec                            theta[2], wmu[2];
  const OdynTrainerHistoryEntry *hist[2];
  PetscInt                       nh[2];
  PetscReal                      dmax = 0;

  ODYN_CK(PetscSNPrintf(opts, sizeof(opts),
                        "-odyn_net_num_blocks 2 -block0_odyn_scheme_type single -block0_odyn_layer_type conv -block0_odyn_layer_image 8,8 -block0_odyn_layer_channels 1,4 "
                        "-block0_odyn_layer_activation tanh -block1_odyn_scheme_type euler -block1_odyn_layer_type conv -block1_odyn_layer_image 8,8 "
                        "-block1_odyn_layer_channels 4 -block1_odyn_layer_activation tanh -block1_odyn_scheme_final_time 3 -odyn_loss_type softmax -odyn_reg_type smooth "
                        "-odyn_reg_weight 5e-3 -odyn_ml_levels 4,8 -odyn_bcd_max_it 3 -odyn_bcd_classifier_newton_max_it 2 -odyn_bcd_classifier_pcg_max_it 3 -odyn_bcd_gn_pcg_max_it 3 -block1_odyn_layer_type %s %s",
                        ltype, extra));
  ODYN_CK(PetscOptionsCreate(&db));
  ODYN_CK(PetscOptionsInsertString(db, opts));
  ODYN_CK(PetscOptionsPush(db));
  ODYN_CK(Images(150, 7, &tr));
  ODYN_CK(Images(60, 8, &va));
  for (int k = 0; k < 2; k++) {
    OdynScheme      sc;
    OdynBackendType name;

    ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net[k]));
    ODYN_CK(OdynNetSetFromOptions(net[k]));
    ODYN_CK(OdynNetSetBackend(net[k], k ? backend : ODYNBACKENDHOST));
    ODYN_CK(OdynLossCreate(PETSC_COMM_WORLD, &loss[k]));
    ODYN_CK(OdynLossSetFromOptions(loss[k]));
    ODYN_CK(OdynRegularizerCreate(PETSC_COMM_WORLD, &reg[k]));
    ODYN_CK(OdynRegularizerSetFromOptions(reg[k]));
    ODYN_CK(OdynTrainerCreate(PETSC_COMM_WORLD, &t[k]));
    ODYN_CK(OdynTrainerSetNet(t[k], net[k]));
    ODYN_CK(OdynTrainerSetLoss(t[k], loss[k]));
    ODYN_CK(OdynTrainerSetRegularizer(t[k], reg[k]));
    ODYN_CK(OdynTrainerSetData(t[k], tr, va));
    ODYN_CK(OdynTrainerSetFromOptions(t[k]));
    ODYN_CK(OdynTrainerSolve(t[k], &theta[k], &wmu[k]));
    ODYN_CK(OdynTrainerGetHistory(t[k], &nh[k], &hist[k]));
    /* the opening layer and the ResNet block ran on the network's backend */
    ODYN_CK(OdynNetGetBlock(net[k], 0, &sc));
    ODYN_CK(OdynSchemeGetBackend(sc, &name));
    ck_assert_str_eq(name, k ? backend : ODYNBACKENDHOST);
    ODYN_CK(OdynNetGetBlock(net[k], 1, &sc));
    ODYN_CK(OdynSchemeGetBackend(sc, &name));
    ck_assert_str_eq(name, k ? backend : ODYNBACKENDHOST);
  }
  ODYN_CK(PetscOptionsPop());
  ck_assert_int_ge(nh[0], 6);
  ck_assert_int_eq(nh[1], nh[0]);
  for (PetscInt i = 0; i < nh[0]; i++) {
    const OdynTrainerHistoryEntry *hb = &hist[1][i], *hh = &hist[0][i];
    const PetscReal                a[3] = {hb->obj_classifier, hb->obj_propagation, hb->gnorm}, b[3] = {hh->obj_classifier, hh->obj_propagation, hh->gnorm};
    PetscReal                      di = 0;

    for (int k = 0; k < 3; k++) di = PetscMax(di, PetscAbsReal(a[k] - b[k]) / PetscAbsReal(b[k]));
    ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "  iteration %d: objective %.16e (host %.16e), |gradient| %.6e, max relative difference %.3e\n", (int)i + 1, (double)(a[0] + a[1]), (double)(b[0] + b[1]), (double)a[2], (double)di));
    dmax = PetscMax(dmax, di);
  }
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "test_convbackend: small MNIST-like net (conv 1 -> 4 and a %s block on %s, levels 4,8), %d Gauss-Newton iterations: objective history within %.3e (relative) of host (bound %.0e), final objective %.10g\n", ltype, backend, (int)nh[0],
                      (double)dmax, (double)tol, (double)(hist[1][nh[0] - 1].obj_classifier + hist[1][nh[0] - 1].obj_propagation)));
  ck_assert_msg(dmax <= tol, "%s: objective history on %s differs from host by %.3e (relative; bound %.0e)", ltype, backend, (double)dmax, (double)tol);
  ck_assert_msg(hist[0][nh[0] - 1].obj_classifier < hist[0][0].obj_classifier, "the host run did not learn (objective %g -> %g)", (double)hist[0][0].obj_classifier, (double)hist[0][nh[0] - 1].obj_classifier);
  for (int k = 0; k < 2; k++) {
    ODYN_CK(VecDestroy(&theta[k]));
    ODYN_CK(VecDestroy(&wmu[k]));
    ODYN_CK(OdynTrainerDestroy(&t[k]));
    ODYN_CK(OdynRegularizerDestroy(&reg[k]));
    ODYN_CK(OdynLossDestroy(&loss[k]));
    ODYN_CK(OdynNetDestroy(&net[k]));
  }
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
  ODYN_CK(PetscOptionsDestroy(&db));
}

START_TEST(test_train_history)
{
  TrainHistory(ODYNLAYERCONV, "", tol_hist);
}
END_TEST

/*
  The MNIST antisym network in small: its ResNet block convantisym. hostref: the gradients differ from the host's by
  round-off (see SetKind()), which Gauss-Newton carries through 6 iterations: test_train's 1e-8 bound for histories of
  runs that differ by round-off, as on cuda.
*/
START_TEST(test_train_history_antisym)
{
  TrainHistory(ODYNLAYERCONVANTISYM, "-block1_odyn_layer_antisym_gamma 0.1", 1e-8);
}
END_TEST

/* the MNIST verlet network in small: its block 1 a Verlet block with layer convhamiltonian (Y 4, Z 3 channels) */
START_TEST(test_train_history_convverlet)
{
  TrainHistory(ODYNLAYERCONVHAMILTONIAN, "-block1_odyn_scheme_type verlet -block1_odyn_layer_channels 4,3", tol_hist);
}
END_TEST

/* set on the backend, net's set-up fails with PETSC_ERR_SUP naming block 0 and needle (what it is); destroys net */
static void ExpectRefused(OdynNet net, const char *needle)
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

/* a network whose block 0 is a conv Euler block of the given kind: the backend refuses it, naming block 0 and why */
static void RefuseConv(const char *ltype, PetscInt k, PetscInt c, PetscInt c2, OdynActivationType act, PetscBool tv, PetscBool pool, PetscBool shared, const char *needle)
{
  OdynNet    net;
  OdynScheme sc;
  OdynLayer  layer;

  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  ODYN_CK(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
  ODYN_CK(OdynSchemeSetType(sc, ODYNSCHEMEEULER));
  ODYN_CK(OdynSchemeSetNumSteps(sc, 2));
  ODYN_CK(OdynSchemeSetSharedWeights(sc, shared));
  ODYN_CK(OdynSchemeGetLayer(sc, &layer));
  ODYN_CK(OdynLayerSetType(layer, ltype));
  ODYN_CK(OdynLayerConvSetImage(layer, 4, 4));
  ODYN_CK(OdynLayerConvSetChannels(layer, c, c2));
  ODYN_CK(OdynLayerConvSetKernelSize(layer, k));
  ODYN_CK(OdynLayerConvSetTVNorm(layer, tv, 1e-3));
  if (pool) ODYN_CK(OdynLayerConvSetPooling(layer, pool)); /* only layer conv pools */
  ODYN_CK(OdynLayerSetActivation(layer, act));
  ODYN_CK(OdynNetAddBlock(net, sc));
  ODYN_CK(OdynSchemeDestroy(&sc));
  ExpectRefused(net, needle);
}

/* a network whose block 0 is a Hamiltonian CNN block (scheme verlet, layer convhamiltonian, 4 -> 3 channels of 4 x 4)
   the backend cannot run: the kind of RefuseConv() */
static void RefuseVerlet(PetscInt k, OdynActivationType act, PetscBool tv, PetscBool pool, PetscBool shared, const char *needle)
{
  OdynNet    net;
  OdynScheme sc;
  OdynLayer  layer;

  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  ODYN_CK(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
  ODYN_CK(OdynSchemeSetType(sc, ODYNSCHEMEVERLET));
  ODYN_CK(OdynSchemeSetNumSteps(sc, 2));
  ODYN_CK(OdynSchemeSetSharedWeights(sc, shared));
  ODYN_CK(OdynSchemeGetLayer(sc, &layer));
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERCONVHAMILTONIAN));
  ODYN_CK(OdynLayerConvSetImage(layer, 4, 4));
  ODYN_CK(OdynLayerConvSetChannels(layer, 4, 3));
  ODYN_CK(OdynLayerConvSetKernelSize(layer, k));
  ODYN_CK(OdynLayerConvSetTVNorm(layer, tv, 1e-3));
  if (pool) ODYN_CK(OdynLayerConvSetPooling(layer, pool)); /* the layer itself would refuse it at its set-up */
  ODYN_CK(OdynLayerSetActivation(layer, act));
  ODYN_CK(OdynNetAddBlock(net, sc));
  ODYN_CK(OdynSchemeDestroy(&sc));
  ExpectRefused(net, needle);
}

/* a network whose block 0 is an opening layer (scheme single, 1 -> 4 channels of 4 x 4) the backend cannot run */
static void RefuseSingle(const char *ltype, PetscInt k, OdynActivationType act, PetscBool tv, PetscBool pool, const char *needle)
{
  OdynNet    net;
  OdynScheme sc;
  OdynLayer  layer;

  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  ODYN_CK(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
  ODYN_CK(OdynSchemeSetType(sc, ODYNSCHEMESINGLE));
  ODYN_CK(OdynSchemeGetLayer(sc, &layer));
  ODYN_CK(OdynLayerSetType(layer, ltype));
  if (strcmp(ltype, ODYNLAYERDENSE)) {
    ODYN_CK(OdynLayerConvSetImage(layer, 4, 4));
    ODYN_CK(OdynLayerConvSetChannels(layer, 1, 4));
    ODYN_CK(OdynLayerConvSetKernelSize(layer, k));
    ODYN_CK(OdynLayerConvSetTVNorm(layer, tv, 1e-3));
    if (pool) ODYN_CK(OdynLayerConvSetPooling(layer, pool));
  } else ODYN_CK(OdynLayerSetWidth(layer, 16));
  ODYN_CK(OdynLayerSetActivation(layer, act));
  ODYN_CK(OdynNetAddBlock(net, sc));
  ODYN_CK(OdynSchemeDestroy(&sc));
  ExpectRefused(net, needle);
}

START_TEST(test_errors)
{
  RefuseConv(ODYNLAYERCONV, 5, 4, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer conv (5x5 stencils, 4 -> 4 channels), activation tanh");
  RefuseConv(ODYNLAYERCONV, 3, 4, 4, ODYN_ACTIVATION_RELU, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer conv (3x3 stencils, 4 -> 4 channels), activation relu");
  RefuseConv(ODYNLAYERCONV, 3, 4, 4, ODYN_ACTIVATION_TANH, PETSC_TRUE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer conv (3x3 stencils, 4 -> 4 channels, TV normalization), activation tanh");
  RefuseConv(ODYNLAYERCONV, 3, 4, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_TRUE, PETSC_FALSE, "scheme euler, layer conv (3x3 stencils, 4 -> 4 channels, pooling), activation tanh");
  RefuseConv(ODYNLAYERCONV, 3, 4, 6, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer conv (3x3 stencils, 4 -> 6 channels), activation tanh");
  RefuseConv(ODYNLAYERCONV, 3, 4, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, "scheme euler, layer conv (3x3 stencils, 4 -> 4 channels), activation tanh, shared weights");
  /* convantisym runs on the backend with 3x3 stencils and tanh, without normalization and shared weights only */
  RefuseConv(ODYNLAYERCONVANTISYM, 5, 4, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer convantisym (5x5 stencils, 4 -> 4 channels), activation tanh");
  RefuseConv(ODYNLAYERCONVANTISYM, 3, 4, 4, ODYN_ACTIVATION_RELU, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer convantisym (3x3 stencils, 4 -> 4 channels), activation relu");
  RefuseConv(ODYNLAYERCONVANTISYM, 3, 4, 4, ODYN_ACTIVATION_TANH, PETSC_TRUE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer convantisym (3x3 stencils, 4 -> 4 channels, TV normalization), activation tanh");
  RefuseConv(ODYNLAYERCONVANTISYM, 3, 4, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, "scheme euler, layer convantisym (3x3 stencils, 4 -> 4 channels), activation tanh, shared weights");
  /* the opening layer (scheme single) runs on the backend only as conv 3x3, tanh, no normalization, no pooling */
  RefuseSingle(ODYNLAYERCONV, 5, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, "scheme single, layer conv (5x5 stencils, 1 -> 4 channels), activation tanh");
  RefuseSingle(ODYNLAYERCONV, 3, ODYN_ACTIVATION_RELU, PETSC_FALSE, PETSC_FALSE, "scheme single, layer conv (3x3 stencils, 1 -> 4 channels), activation relu");
  RefuseSingle(ODYNLAYERCONV, 3, ODYN_ACTIVATION_TANH, PETSC_TRUE, PETSC_FALSE, "scheme single, layer conv (3x3 stencils, 1 -> 4 channels, TV normalization), activation tanh");
  RefuseSingle(ODYNLAYERCONV, 3, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_TRUE, "scheme single, layer conv (3x3 stencils, 1 -> 4 channels, pooling), activation tanh");
  RefuseSingle(ODYNLAYERDENSE, 3, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, "scheme single, layer dense, activation tanh");
  /* the Hamiltonian CNN runs on the backend as convhamiltonian 3x3, tanh, no normalization, states stored or recomputed */
  RefuseVerlet(5, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme verlet, layer convhamiltonian (5x5 stencils, 4 -> 3 channels), activation tanh");
  RefuseVerlet(3, ODYN_ACTIVATION_RELU, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme verlet, layer convhamiltonian (3x3 stencils, 4 -> 3 channels), activation relu");
  RefuseVerlet(3, ODYN_ACTIVATION_TANH, PETSC_TRUE, PETSC_FALSE, PETSC_FALSE, "scheme verlet, layer convhamiltonian (3x3 stencils, 4 -> 3 channels, TV normalization), activation tanh");
  RefuseVerlet(3, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_TRUE, PETSC_FALSE, "scheme verlet, layer convhamiltonian (3x3 stencils, 4 -> 3 channels, pooling), activation tanh");
  RefuseVerlet(3, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, "scheme verlet, layer convhamiltonian (3x3 stencils, 4 -> 3 channels), activation tanh, shared weights");
  {
    /* the same block sets up on the backend with its states stored (the default) and recomputed */
    const PetscInt  N[1] = {2};
    OdynNet         net;
    OdynScheme      sc;
    OdynBackendType name;

    for (int rev = 0; rev < 2; rev++) {
      SetVerlet(3, rev ? PETSC_TRUE : PETSC_FALSE);
      ODYN_CK(MakeConvNet(0, 1, N, 4, 4, 4, 1.0, backend, &net));
      ODYN_CK(OdynNetSetUp(net));
      ODYN_CK(OdynNetGetBlock(net, 0, &sc));
      ODYN_CK(OdynSchemeGetBackend(sc, &name));
      ck_assert_str_eq(name, backend);
      ODYN_CK(OdynNetDestroy(&net));
    }
    SetKind(ODYNLAYERCONV, 0.0);
  }
  {
    /* the opening layer (scheme single, conv 3x3 1 -> 4, tanh) without a per-block option: set up on the backend */
    const PetscInt  N[1] = {2};
    OdynNet         net;
    OdynScheme      sc;
    OdynBackendType name;

    OpenOnHost(PETSC_FALSE);
    ODYN_CK(MakeConvNet(1, 1, N, 4, 4, 4, 1.0, backend, &net));
    ODYN_CK(OdynNetSetUp(net));
    ODYN_CK(OdynNetGetBlock(net, 0, &sc));
    ODYN_CK(OdynSchemeGetBackend(sc, &name));
    ck_assert_str_eq(name, backend);
    ODYN_CK(OdynNetDestroy(&net));
    OpenOnHost(PETSC_TRUE);
  }
  {
    /* the table's operations on their own: sizes and arrays checked, with a message (last_error()) */
    const OdynBackendOps *ops;

    ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, backend, &ops));
    ck_assert_int_eq(ops->conv_euler_tanh_forward(0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_euler_tanh_forward: need c, ih, iw >= 1"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_euler_tanh_adjoint(2, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_euler_tanh_adjoint:") && strstr(ops->last_error(), "must be"), "message: %s", ops->last_error());
    ck_assert_int_ge(ops->conv_euler_tanh_linsize(16, 4, 4, 2, 3), 2 * 16 * 16 * 3);
    ck_assert_int_eq(ops->conv_tanh_forward(1, 0, 4, 4, 3, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_tanh_forward: need cin, cout, ih, iw >= 1"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_tanh_adjoint(1, 4, 4, 4, 3, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_tanh_adjoint:") && strstr(ops->last_error(), "must be"), "message: %s", ops->last_error());
    ck_assert_int_ge(ops->conv_tanh_linsize(1, 16, 4, 4, 3), 16 * 16 * 3);
    ck_assert_int_eq(ops->conv_verlet_tanh_forward(4, 0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_verlet_tanh_forward: need c, m, ih, iw >= 1"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_verlet_tanh_adjoint(4, 3, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_verlet_tanh_adjoint:") && strstr(ops->last_error(), "must be"), "message: %s", ops->last_error());
    ck_assert_int_ge(ops->conv_verlet_tanh_linsize(16, 5, 4, 4, 2, 3), 2 * (16 + 5) * 16 * 3);
    ck_assert_int_ge(ops->conv_verlet_tanh_revsize(16, 5, 4, 4, 3), 0);
    {
      double a[4 * 16 * 3];

      ck_assert_int_eq(ops->conv_verlet_tanh_adjoint_reversible(4, 3, 4, 4, 2, 1, 0.5, a, a, a, NULL, a, NULL, a), ODYN_BACKEND_ERR_ARG);
      ck_assert_msg(strstr(ops->last_error(), "conv_verlet_tanh_adjoint_reversible: gY0 must not alias YN or ZN"), "message: %s", ops->last_error());
    }
#if defined(ODYN_TEST_CONVBACKEND_GPU)
    ck_assert_int_eq(ops->conv_euler_tanh_linsize(17, 4, 4, 2, 3), -1);
    ck_assert_int_eq(ops->conv_tanh_linsize(1, 17, 4, 4, 3), -1);
    ck_assert_int_eq(ops->conv_verlet_tanh_linsize(4, 17, 4, 4, 2, 3), -1);
    ck_assert_int_eq(ops->conv_verlet_tanh_revsize(17, 4, 4, 4, 3), -1);
#endif
  }
#if defined(ODYN_TEST_CONVBACKEND_GPU)
  {
    /* the cuda kernels keep the stencil in constant memory: at most 16 channels, said at set-up */
    const PetscInt N[1] = {2};
    OdynNet        net;

    ODYN_CK(MakeConvNet(0, 1, N, 20, 4, 4, 1.0, backend, &net));
    odyn_ck_error_contains(OdynNetSetUp(net), "the conv block has 20 channels, but that backend runs conv blocks only up to 16 channels");
    ODYN_CK(OdynNetDestroy(&net));
    SetKind(ODYNLAYERCONVANTISYM, 0.0);
    ODYN_CK(MakeConvNet(0, 1, N, 20, 4, 4, 1.0, backend, &net));
    odyn_ck_error_contains(OdynNetSetUp(net), "the conv block has 20 channels, but that backend runs conv blocks only up to 16 channels");
    ODYN_CK(OdynNetDestroy(&net));
    SetKind(ODYNLAYERCONV, 0.0);
    OpenOnHost(PETSC_FALSE);
    ODYN_CK(MakeConvNet(1, 0, NULL, 20, 4, 4, 1.0, backend, &net));
    odyn_ck_error_contains(OdynNetSetUp(net), "the single conv block with options prefix " OPEN_PREFIX " has 1 -> 20 channels, but that backend runs conv layers only up to 16 channels");
    ODYN_CK(OdynNetDestroy(&net));
    OpenOnHost(PETSC_TRUE);
    SetVerlet(20, PETSC_FALSE);
    ODYN_CK(MakeConvNet(0, 1, N, 4, 4, 4, 1.0, backend, &net));
    odyn_ck_error_contains(OdynNetSetUp(net), "the convhamiltonian Verlet block has 4 channels (Y) and 20 (Z), but that backend runs conv blocks only up to 16 channels");
    ODYN_CK(OdynNetDestroy(&net));
    SetKind(ODYNLAYERCONV, 0.0);
  }
#endif
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("convbackend");
  TCase *t = tcase_create(backend);
  tcase_add_test(t, test_errors);
  tcase_add_test(t, test_parity);
  tcase_add_test(t, test_parity_opening);
  tcase_add_test(t, test_derivatives);
  tcase_add_test(t, test_train_history);
  tcase_add_test(t, test_parity_antisym);
  tcase_add_test(t, test_train_history_antisym);
  tcase_add_test(t, test_parity_convverlet);
  tcase_add_test(t, test_parity_convverlet_reversible);
  tcase_add_test(t, test_train_history_convverlet);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv)
{
#if defined(ODYN_TEST_CONVBACKEND_GPU)
  int count = 0;

  /* exit 2 (ctest: skipped) without a device, on every rank alike, before MPI starts */
  if (cudaGetDeviceCount(&count) != cudaSuccess || count < 1) {
    printf("test_gpu_convbackend: no CUDA device, skipped\n");
    return 2;
  }
#endif
  return OdynTestMain(argc, argv, make_suite);
}
