/*
  Convolutional Euler blocks on a compute backend (OdynNetSetBackend(), -odyn_backend; docs/gpu.md): a block of scheme
  euler with layer conv (3x3 stencils, c -> c channels, tanh, no normalization, no pooling) hands its whole forward,
  tangent and adjoint sweeps to the table's conv_euler_* operations, its states (c h w per example) in the
  backend's memory; an opening layer (scheme single, conv 3x3 cin -> c, tanh) before it runs on the backend too, by the
  table's conv_single_* operations (one step, input and output widths differ), as in the MNIST network
  (problems/options/mnist.opts, docs/mnist.md), or stays on the host path by the block's own option
  (-<prefix>odyn_backend host). The Hamiltonian CNN (verlet + convhamiltonian) has its own test_convverletbackend.c.

  Built twice from this file: as test_convbackend (label unit) with the backend "hostref", the host table taken through
  exactly that path, and as tests/gpu/test_gpu_convbackend.c (label gpu) with "cuda"; the set-up and the bounds are
  tests/common/convbackendcase.[ch]. On 1 and on 2 ranks (one layout with a rank that holds no example):
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
  - paper 000's connectors (scheme single, conv 1x1 or 3x3, cin -> cout, 2x2 average pooling or none) on the backend:
    parity alone and before a conv block on the pooled image (host kernels' chunks spanned, 1 and 2 ranks), the
    connector 6 -> 12 of the MNIST-sized network of docs/cnn.md, Taylor and dot-product tests;
  - paper 000's average of each channel before the classifier (scheme single, layer globalavg, set to relu: it has no
    activation and runs anyway) after a connector and a conv block, after a conv block and alone: parity, Taylor and
    dot-product tests, and the small MNIST-like network trained with it (the same history);
  - paper 000's TV normalization in conv blocks (eps 0.1 and 1e-3): parity, Taylor and dot-product tests, the small
    network's history;
  - bad input: conv blocks the backend cannot run (5x5 or 1x1 stencils, the charbonnier flux, pooling, 4 -> 6 channels, shared weights; convantisym with 5x5, charbonnier, TV normalization, shared weights; scheme single with 5x5,
    charbonnier, TV normalization, a dense layer) stop with PETSC_ERR_SUP naming
    the block and what it is; the table's conv_euler_* and conv_single_* check their sizes, stencils, pooled images
    and arrays.
*/
#include "convbackendcase.h"
#include <odyn/private/backend.h>

static const char *backend = ODYN_TEST_CONV_BACKEND;

START_TEST(test_parity)
{
  const PetscInt three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};

  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvOpenOnHost(PETSC_TRUE);

  for (PetscInt split = 0; split < 2; split++) {
    /* 101 examples of 4 x 8 x 8: several chunks of the host kernels, and a last one that is not full */
    OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "conv block (4 channels, 8 x 8, N 3)");
    OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, "opening 1 -> 4 on the host, two conv blocks (6 x 10, N 2 + 3)");
  }
  OdynTestConvParity(0, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST-shaped conv block (6 channels, 28 x 28, N 2)");
}
END_TEST

/* the opening layer (scheme single, conv 3x3 cin -> c, tanh) on the backend: alone, before conv blocks, MNIST's shape */
START_TEST(test_parity_opening)
{
  const PetscInt pair[2] = {2, 3}, two[1] = {2};

  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  for (PetscInt split = 0; split < 2; split++) {
    OdynTestConvParity(1, 0, NULL, 4, 8, 8, 0.0, 101, 37, split, "opening 1 -> 4 alone (8 x 8)");
    OdynTestConvParity(3, 0, NULL, 5, 7, 9, 0.0, 23, 40, split, "opening 3 -> 5 alone (7 x 9)");
    OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, "opening 1 -> 4 and two conv blocks, all on the backend (6 x 10, N 2 + 3)");
  }
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST shape, all on the backend (opening 1 -> 6, conv 6 channels, 28 x 28, N 2)");
  OdynTestConvSetKind(ODYNLAYERCONVANTISYM, 0.1);
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST antisym shape, all on the backend (opening 1 -> 6, convantisym 6 channels, 28 x 28, N 2, gamma 0.1)");
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvOpenOnHost(PETSC_TRUE);
}
END_TEST

/*
  Paper 000's connectors on the backend: scheme single with layer conv of 1x1 (or 3x3) stencils, cin -> cout channels,
  2x2 average pooling or none, as the opening block, alone or before a conv block on the pooled image
*/
START_TEST(test_parity_connector)
{
  const PetscInt two[1] = {2};

  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  for (PetscInt split = 0; split < 2; split++) {
    OdynTestConvSetOpening(1, PETSC_TRUE);
    OdynTestConvParity(4, 1, two, 6, 8, 8, 1.0, 101, 37, split, "connector 4 -> 6 (1x1, pooled) and a conv block on 4 x 4");
    OdynTestConvSetOpening(1, PETSC_FALSE);
    OdynTestConvParity(4, 0, NULL, 6, 7, 9, 0.0, 23, 40, split, "connector 4 -> 6 (1x1) alone (7 x 9)");
    OdynTestConvSetOpening(3, PETSC_TRUE);
    OdynTestConvParity(1, 1, two, 4, 6, 10, 1.5, 23, 40, split, "opening 1 -> 4 (3x3, pooled) and a conv block on 3 x 5");
  }
  OdynTestConvSetOpening(1, PETSC_TRUE);
  OdynTestConvParity(6, 1, two, 12, 28, 28, 1.0, 9, 5, 0, "paper 000's connector 6 -> 12 (1x1, pooled) and a conv block of 12 channels on 14 x 14");
  OdynTestConvSetOpening(3, PETSC_FALSE);
  OdynTestConvOpenOnHost(PETSC_TRUE);
}
END_TEST

/* paper 000's average of each channel before the classifier (scheme single, layer globalavg: the table's GEMMs) after
   a connector and a conv block, after a conv block, and alone */
START_TEST(test_parity_globalavg)
{
  const PetscInt two[1] = {2}, three[1] = {3};

  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetGlobalAvg(PETSC_TRUE);
  for (PetscInt split = 0; split < 2; split++) {
    OdynTestConvSetOpening(1, PETSC_TRUE);
    OdynTestConvParity(4, 1, two, 6, 8, 8, 1.0, 101, 37, split, "connector 4 -> 6 (1x1, pooled), a conv block on 4 x 4, the channel averages");
    OdynTestConvSetOpening(3, PETSC_FALSE);
    OdynTestConvParity(0, 1, three, 4, 7, 9, 1.0, 23, 40, split, "a conv block (4 channels, 7 x 9), the channel averages");
    OdynTestConvParity(0, 0, NULL, 5, 6, 6, 0.0, 23, 40, split, "the channel averages alone (5 channels, 6 x 6)");
  }
  OdynTestConvSetGlobalAvg(PETSC_FALSE);
  OdynTestConvOpenOnHost(PETSC_TRUE);
}
END_TEST

/* the same for convantisym Euler blocks (the MNIST antisym network's ResNet), without and with the diffusion gamma */
START_TEST(test_parity_antisym)
{
  const PetscInt three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};

  OdynTestConvOpenOnHost(PETSC_TRUE);
  for (PetscInt split = 0; split < 2; split++) {
    OdynTestConvSetKind(ODYNLAYERCONVANTISYM, 0.0);
    OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "convantisym block (4 channels, 8 x 8, N 3)");
    OdynTestConvSetKind(ODYNLAYERCONVANTISYM, 0.3);
    OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, "opening 1 -> 4 on the host, two convantisym blocks, gamma 0.3 (6 x 10, N 2 + 3)");
  }
  OdynTestConvSetKind(ODYNLAYERCONVANTISYM, 0.1);
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST antisym shape (opening 1 -> 6 on the host, convantisym 6 channels, 28 x 28, N 2, gamma 0.1)");
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* Taylor and dot-product tests of the backend path on its own */
START_TEST(test_derivatives)
{
  const PetscInt four[1] = {4}, pair[2] = {2, 3};

  OdynTestConvOpenOnHost(PETSC_TRUE);

  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "conv block (3 channels, 7 x 9, N 4)");
  OdynTestConvDerivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 on the host, two conv blocks (8 x 8, N 2 + 3)");
  OdynTestConvSetKind(ODYNLAYERCONVANTISYM, 0.2);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "convantisym block, gamma 0.2 (3 channels, 7 x 9, N 4)");
  OdynTestConvDerivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 on the host, two convantisym blocks (8 x 8, N 2 + 3)");
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvDerivatives(1, 0, NULL, 3, 7, 9, 0.0, 12, "opening 1 -> 3 on the backend alone (7 x 9)");
  OdynTestConvDerivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 and two conv blocks, all on the backend (8 x 8, N 2 + 3)");
  OdynTestConvSetOpening(1, PETSC_TRUE);
  OdynTestConvDerivatives(3, 1, four, 5, 8, 6, 1.0, 10, "connector 3 -> 5 (1x1, pooled) and a conv block on 4 x 3, all on the backend");
  OdynTestConvSetOpening(3, PETSC_TRUE);
  OdynTestConvDerivatives(2, 0, NULL, 4, 6, 6, 0.0, 10, "opening 2 -> 4 (3x3, pooled) alone on the backend");
  OdynTestConvSetGlobalAvg(PETSC_TRUE);
  OdynTestConvSetOpening(1, PETSC_TRUE);
  OdynTestConvDerivatives(3, 1, four, 5, 8, 6, 1.0, 10, "connector 3 -> 5 (1x1, pooled), a conv block on 4 x 3, the channel averages, all on the backend");
  OdynTestConvDerivatives(0, 0, NULL, 4, 5, 7, 0.0, 10, "the channel averages alone on the backend (4 channels, 5 x 7)");
  OdynTestConvSetGlobalAvg(PETSC_FALSE);
  OdynTestConvSetOpening(3, PETSC_FALSE);
  OdynTestConvOpenOnHost(PETSC_TRUE);
}
END_TEST

/* the MNIST network in small: its ResNet block conv */
START_TEST(test_train_history)
{
  OdynTestConvTrainHistory(ODYNLAYERCONV, "", ODYN_TEST_CONV_TOL_HIST);
}
END_TEST

/*
  The same with paper 000's channel averages before the classifier (4 features instead of 4 x 8 x 8), on the backend.
  hostref: 0. cuda: 1e-6. Four averages of nearly alike channels make the classifier's Newton systems ill-conditioned:
  on the CPU emulation of the cuda backend (sweeps within 4e-16 of the host's, test_parity_globalavg) the first
  iteration's objective already differs by 9e-12 and the sixth, after the prolongation to 8 layers, by 3e-8, where the
  network without the averages stays within 3e-15 (test_train_history).
*/
START_TEST(test_train_history_globalavg)
{
  OdynTestConvTrainHistory(ODYNLAYERCONV, "-odyn_net_num_blocks 3 -block2_odyn_scheme_type single -block2_odyn_layer_type globalavg -block2_odyn_layer_image 8,8 -block2_odyn_layer_channels 4", ODYN_TEST_CONV_TOL_HIST > 0 ? 1e-6 : 0.0);
}
END_TEST

/*
  The MNIST antisym network in small: its ResNet block convantisym. hostref: the gradients differ from the host's by
  round-off (see OdynTestConvSetKind()), which Gauss-Newton carries through 6 iterations: test_train's 1e-8 bound for
  histories of runs that differ by round-off, as on cuda.
*/
START_TEST(test_train_history_antisym)
{
  OdynTestConvTrainHistory(ODYNLAYERCONVANTISYM, "-block1_odyn_layer_antisym_gamma 0.1", 1e-8);
}
END_TEST

/* a network whose block 0 is a conv Euler block of the given kind: the backend refuses it, naming block 0 and why */
static void RefuseConv(const char *ltype, PetscInt k, PetscInt c, PetscInt c2, OdynActivationType act, PetscBool tv, PetscBool pool, PetscBool shared, const char *needle)
{
  OdynTestConvRefuseBlock(ODYNSCHEMEEULER, ltype, k, c, c2, act, tv, pool, shared, needle);
}

/* a network whose block 0 is an opening layer (scheme single, 1 -> 4 channels of 4 x 4) the backend cannot run */
static void RefuseSingle(const char *ltype, PetscInt k, OdynActivationType act, PetscBool tv, PetscBool pool, const char *needle)
{
  OdynTestConvRefuseBlock(ODYNSCHEMESINGLE, ltype, k, 1, 4, act, tv, pool, PETSC_FALSE, needle);
}

START_TEST(test_errors)
{
  RefuseConv(ODYNLAYERCONV, 5, 4, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer conv (5x5 stencils, 4 -> 4 channels), activation tanh");
  RefuseConv(ODYNLAYERCONV, 3, 4, 4, ODYN_ACTIVATION_CHARBONNIER, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer conv (3x3 stencils, 4 -> 4 channels), activation charbonnier");
  RefuseConv(ODYNLAYERCONV, 5, 4, 4, ODYN_ACTIVATION_TANH, PETSC_TRUE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer conv (5x5 stencils, 4 -> 4 channels, TV normalization), activation tanh");
  RefuseConv(ODYNLAYERCONV, 3, 4, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_TRUE, PETSC_FALSE, "scheme euler, layer conv (3x3 stencils, 4 -> 4 channels, pooling), activation tanh");
  RefuseConv(ODYNLAYERCONV, 3, 4, 6, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer conv (3x3 stencils, 4 -> 6 channels), activation tanh");
  RefuseConv(ODYNLAYERCONV, 5, 4, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, "scheme euler, layer conv (5x5 stencils, 4 -> 4 channels), activation tanh, shared weights");
  /* convantisym runs on the backend with 3x3 stencils, with or without the normalization and shared weights, no
     pooling */
  RefuseConv(ODYNLAYERCONVANTISYM, 5, 4, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer convantisym (5x5 stencils, 4 -> 4 channels), activation tanh");
  RefuseConv(ODYNLAYERCONVANTISYM, 3, 4, 4, ODYN_ACTIVATION_CHARBONNIER, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer convantisym (3x3 stencils, 4 -> 4 channels), activation charbonnier");
  RefuseConv(ODYNLAYERCONVANTISYM, 3, 4, 4, ODYN_ACTIVATION_TANH, PETSC_TRUE, PETSC_TRUE, PETSC_FALSE, "scheme euler, layer convantisym (3x3 stencils, 4 -> 4 channels, TV normalization, pooling), activation tanh");
  RefuseConv(ODYNLAYERCONVANTISYM, 3, 4, 4, ODYN_ACTIVATION_CHARBONNIER, PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, "scheme euler, layer convantisym (3x3 stencils, 4 -> 4 channels), activation charbonnier, shared weights");
  /* 1x1 stencils are for the connectors (scheme single) only */
  RefuseConv(ODYNLAYERCONV, 1, 4, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer conv (1x1 stencils, 4 -> 4 channels), activation tanh");
  /* the opening layer and the connectors (scheme single) run on the backend as conv 1x1 or 3x3, tanh, with or without
     the normalization */
  RefuseSingle(ODYNLAYERCONV, 5, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, "scheme single, layer conv (5x5 stencils, 1 -> 4 channels), activation tanh");
  RefuseSingle(ODYNLAYERCONV, 3, ODYN_ACTIVATION_CHARBONNIER, PETSC_FALSE, PETSC_FALSE, "scheme single, layer conv (3x3 stencils, 1 -> 4 channels), activation charbonnier");
  RefuseSingle(ODYNLAYERCONV, 5, ODYN_ACTIVATION_TANH, PETSC_TRUE, PETSC_TRUE, "scheme single, layer conv (5x5 stencils, 1 -> 4 channels, TV normalization, pooling), activation tanh");
  RefuseSingle(ODYNLAYERDENSE, 3, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, "scheme single, layer dense, activation tanh");
  /* the opening layer (scheme single, conv 3x3 1 -> 4, tanh) without a per-block option: set up on the backend */
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvExpectSetUp(1);
  OdynTestConvOpenOnHost(PETSC_TRUE);
  {
    /* the table's operations on their own: sizes and arrays checked, with a message (last_error()) */
    const OdynBackendOps *ops;

    ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, backend, &ops));
    ck_assert_int_eq(ops->conv_euler_forward(ODYN_PW_TANH, 0, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_euler_forward: need c, ih, iw >= 1"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_euler_adjoint(ODYN_PW_TANH, 2, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_euler_adjoint:") && strstr(ops->last_error(), "must be"), "message: %s", ops->last_error());
    ck_assert_int_ge(ops->conv_euler_linsize(16, 0.0, 4, 4, 2, 3), 2 * 16 * 16 * 3);
    /* the TV normalization's eps: >= 0 (0: none); with it also Uhat and 1/r of every step */
    ck_assert_int_eq(ops->conv_euler_tangent(ODYN_PW_TANH, 2, -1e-3, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_euler_tangent: eps of the TV normalization must be finite and >= 0"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_euler_linsize(4, -1e-3, 4, 4, 2, 3), -1);
    ck_assert_int_ge(ops->conv_euler_linsize(16, 1e-3, 4, 4, 2, 3), 2 * 2 * 16 * 16 * 3 + 2 * 16 * 3);
    ck_assert_int_eq(ops->conv_single_forward(ODYN_PW_TANH, 1, 0, 3, 0, 0.0, 4, 4, 3, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_single_forward: need cin, cout, ih, iw >= 1"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_single_adjoint(ODYN_PW_TANH, 1, 4, 3, 0, 0.0, 4, 4, 3, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_single_adjoint:") && strstr(ops->last_error(), "must be"), "message: %s", ops->last_error());
    /* the connectors' shapes: 1x1 or 3x3 stencils, pooling on even images only */
    ck_assert_int_eq(ops->conv_single_tangent(ODYN_PW_TANH, 1, 4, 5, 0, 0.0, 4, 4, 3, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_single_tangent: 1x1 or 3x3 stencils only, got k = 5"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_single_forward(ODYN_PW_TANH, 1, 4, 1, 1, 0.0, 4, 5, 3, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_single_forward: 2x2 pooling needs an even image, got 4 x 5"), "message: %s", ops->last_error());
    ck_assert_int_ge(ops->conv_single_linsize(1, 16, 3, 0, 0.0, 4, 4, 3), 16 * 16 * 3);
    ck_assert_int_ge(ops->conv_single_linsize(4, 16, 1, 1, 0.0, 4, 4, 3), 16 * 16 * 3); /* sigma' before pooling */
    /* normalized: also Uhat and 1/r */
    ck_assert_int_ge(ops->conv_single_linsize(4, 16, 1, 1, 1e-3, 4, 4, 3), 2 * 16 * 16 * 3 + 16 * 3);
    ck_assert_int_eq(ops->conv_single_linsize(4, 16, 1, 1, -1.0, 4, 4, 3), -1);
    ck_assert_int_eq(ops->conv_single_forward(ODYN_PW_TANH, 1, 4, 3, 0, NAN, 4, 4, 3, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_single_forward: eps of the TV normalization must be finite and >= 0"), "message: %s", ops->last_error());
    /* the activations: identity, tanh and relu; the diffusion fluxes and unknown codes are refused, by every family */
    ck_assert_int_eq(ops->conv_single_forward(ODYN_PW_CHARBONNIER, 1, 4, 3, 0, 0.0, 4, 4, 3, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_single_forward: activation 3 is none of identity, tanh and relu"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_euler_adjoint(7, 2, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_euler_adjoint: activation 7 is none of"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_verlet_forward(-1, 2, 2, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_int_eq(ops->conv_parabolic_tangent(ODYN_PW_PERONAMALIK, 2, 2, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_int_eq(ops->conv_leapfrog_adjoint_reversible(ODYN_PW_CHARBONNIER, 0, 2, 2, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    /* more than 16 channels too (cuda: its GEMM path, beyond the direct kernels) */
    ck_assert_int_ge(ops->conv_euler_linsize(17, 0.0, 4, 4, 2, 3), 2 * 17 * 16 * 3);
    ck_assert_int_ge(ops->conv_single_linsize(1, 17, 3, 0, 0.0, 4, 4, 3), 17 * 16 * 3);
    ck_assert_int_ge(ops->conv_single_linsize(17, 4, 1, 1, 0.0, 4, 4, 3), 4 * 16 * 3);
  }
}
END_TEST

/*
  More than 16 channels, which the cuda table runs by im2col + cuBLAS (src/backend/cuda/convgemm.cu: its direct 3x3
  kernels stop at 16): an opening 1 -> 20 and a conv block of 20 channels, the same with convantisym, paper 000's
  connector 20 -> 24 (1x1, pooled) before a conv block of 24 channels; parity, Taylor and dot-product tests
*/
/*
  Paper 000's TV normalization in a conv ResNet block (scheme euler, layer conv: tanh(scale .* N(K * Y + b) + beta),
  eps 0.1 and the paper's 1e-3): parity alone and after an opening on the backend, two blocks, MNIST's shape; Taylor
  and dot-product tests; the small MNIST-like network's history; the same for convantisym (the effective stencils
  mapped, scale and beta as they are)
*/
START_TEST(test_parity_tvnorm)
{
  const PetscInt three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};

  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvSetTVNorm(0.1);
  for (PetscInt split = 0; split < 2; split++) OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "TV-normalized conv block (4 channels, 8 x 8, N 3, eps 0.1)");
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvParity(1, 2, pair, 5, 6, 10, 1.5, 23, 40, 0, "opening 1 -> 5 and two TV-normalized conv blocks (6 x 10, N 2 + 3), all on the backend");
  OdynTestConvDerivatives(1, 2, pair, 4, 8, 8, 1.0, 10, "opening 1 -> 4 and two TV-normalized conv blocks (8 x 8, N 2 + 3), all on the backend");
  OdynTestConvSetTVNorm(1e-3);
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST shape with the TV normalization (eps 1e-3), all on the backend");
  OdynTestConvSetKind(ODYNLAYERCONVANTISYM, 0.1);
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST antisym shape with the TV normalization (gamma 0.1, eps 1e-3), all on the backend");
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, 1, "TV-normalized convantisym block (4 channels, 8 x 8, N 3, gamma 0.1, eps 0.1)");
  OdynTestConvDerivatives(1, 2, pair, 4, 8, 8, 1.0, 10, "opening 1 -> 4 and two TV-normalized convantisym blocks (8 x 8, N 2 + 3, gamma 0.1), all on the backend");
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvTrainHistory(ODYNLAYERCONV, "-block1_odyn_layer_tvnorm", ODYN_TEST_CONV_TOL_HIST);
  OdynTestConvTrainHistory(ODYNLAYERCONVANTISYM, "-block1_odyn_layer_antisym_gamma 0.1 -block1_odyn_layer_tvnorm", 1e-8);
  /* normalized openings and connectors (scheme single), alone and before a normalized block, pooled or not */
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetOpeningTVNorm(0.1);
  for (PetscInt split = 0; split < 2; split++) OdynTestConvParity(3, 0, NULL, 5, 7, 9, 0.0, 101, 37, split, "TV-normalized opening 3 -> 5 alone (7 x 9, eps 0.1)");
  OdynTestConvSetOpening(1, PETSC_TRUE);
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvParity(4, 1, two, 6, 8, 8, 1.0, 23, 40, 0, "TV-normalized connector 4 -> 6 (1x1, pooled) and a TV-normalized conv block on 4 x 4");
  OdynTestConvDerivatives(4, 1, two, 6, 8, 8, 1.0, 10, "TV-normalized connector 4 -> 6 (1x1, pooled) and a TV-normalized conv block on 4 x 4");
  OdynTestConvSetOpening(3, PETSC_FALSE);
  OdynTestConvSetOpeningTVNorm(1e-3);
  OdynTestConvSetTVNorm(1e-3);
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST shape, opening and conv block TV-normalized (eps 1e-3), all on the backend");
  OdynTestConvDerivatives(2, 0, NULL, 4, 7, 9, 0.0, 10, "TV-normalized opening 2 -> 4 alone (7 x 9, eps 1e-3)");
  OdynTestConvReset();
  /* its own bound off hostref: the normalized opening makes this problem sensitive to round-off (on the host path
     alone, a relative 1e-15 on the opening's output moves the history by 7.6e-10, against 2.3e-15 without the
     normalization in the opening; emulated cuda: 5.5e-11 / 8.6e-10 on 1 / 2 ranks, every product within 1.7e-15) */
  OdynTestConvTrainHistory(ODYNLAYERCONV, "-block0_odyn_layer_tvnorm -block1_odyn_layer_tvnorm", ODYN_TEST_CONV_TOL_HIST > 0 ? 1e-6 : 0.0);
}
END_TEST

START_TEST(test_parity_wide)
{
  const PetscInt two[1] = {2};

  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  for (PetscInt split = 0; split < 2; split++) OdynTestConvParity(1, 1, two, 20, 6, 6, 1.0, 23, 11, split, "opening 1 -> 20 and a conv block of 20 channels (6 x 6, N 2), all on the backend");
  OdynTestConvDerivatives(1, 1, two, 20, 6, 6, 1.0, 7, "opening 1 -> 20 and a conv block of 20 channels (6 x 6, N 2), all on the backend");
  OdynTestConvSetKind(ODYNLAYERCONVANTISYM, 0.1);
  OdynTestConvParity(1, 1, two, 20, 6, 6, 1.0, 23, 11, 0, "opening 1 -> 20 and a convantisym block of 20 channels (6 x 6, N 2, gamma 0.1), all on the backend");
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvSetOpening(1, PETSC_TRUE);
  OdynTestConvParity(20, 1, two, 24, 8, 8, 1.0, 23, 11, 0, "connector 20 -> 24 (1x1, pooled) and a conv block of 24 channels on 4 x 4");
  OdynTestConvDerivatives(20, 1, two, 24, 8, 8, 1.0, 7, "connector 20 -> 24 (1x1, pooled) and a conv block of 24 channels on 4 x 4");
  OdynTestConvSetOpening(3, PETSC_FALSE);
  OdynTestConvOpenOnHost(PETSC_TRUE);
}
END_TEST

/*
  Paper 000's CNNs with ReLU (its experiments: TV normalization and ReLU inside the blocks, ReLU in the connectors):
  the opening and conv blocks, TV-normalized, a normalized convantisym block, a connector, all on the backend (every
  product, tangents and adjoints included, against the host path's); the identity once; the small MNIST-like
  network's history with ReLU everywhere. No Taylor test here: ReLU's kink spoils its second order (a connector and
  block measured it: the remainder stops falling as h^2 where a perturbation crosses a kink).
*/
START_TEST(test_parity_relu)
{
  const PetscInt three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};

  OdynTestConvSetActivation(ODYN_ACTIVATION_RELU);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  for (PetscInt split = 0; split < 2; split++) OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, "relu: opening 1 -> 4 and two conv blocks (6 x 10, N 2 + 3), all on the backend");
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvSetOpeningTVNorm(0.1);
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "relu: MNIST shape, opening and conv block TV-normalized (eps 0.1), all on the backend");
  OdynTestConvSetKind(ODYNLAYERCONVANTISYM, 0.1);
  OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, 1, "relu: TV-normalized convantisym block (4 channels, 8 x 8, N 3, gamma 0.1, eps 0.1)");
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetOpeningTVNorm(0.0);
  OdynTestConvSetOpening(1, PETSC_TRUE);
  OdynTestConvParity(4, 1, two, 6, 8, 8, 1.0, 23, 40, 0, "relu: connector 4 -> 6 (1x1, pooled) and a conv block on 4 x 4");
  OdynTestConvSetActivation(ODYN_ACTIVATION_IDENTITY);
  OdynTestConvParity(4, 1, two, 6, 8, 8, 1.0, 23, 40, 0, "identity: connector 4 -> 6 (1x1, pooled) and a conv block on 4 x 4");
  OdynTestConvReset();
  OdynTestConvTrainHistory(ODYNLAYERCONV, "-block0_odyn_layer_activation relu -block1_odyn_layer_activation relu", ODYN_TEST_CONV_TOL_HIST);
}
END_TEST

/* shared weights (one stencil and bias for all steps; the sweeps run with N copies, the steps' gradients summed on the
   host): conv and convantisym blocks, TV-normalized or not, ReLU once, with an opening on the backend; the mapped
   layers' bound (the sums round differently from the host path's running sum) */
START_TEST(test_parity_shared)
{
  const PetscInt three[1] = {3}, pair[2] = {2, 3};

  OdynTestConvSetShared(PETSC_TRUE);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  for (PetscInt split = 0; split < 2; split++) OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "shared conv block (4 channels, 8 x 8, N 3)");
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, 0, "opening 1 -> 4 and two shared conv blocks (6 x 10, N 2 + 3), all on the backend");
  OdynTestConvDerivatives(1, 1, three, 4, 6, 10, 1.5, 20, "opening 1 -> 4 and a shared conv block (6 x 10, N 3)");
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvSetActivation(ODYN_ACTIVATION_RELU);
  OdynTestConvParity(1, 1, three, 4, 6, 10, 1.5, 23, 40, 1, "opening 1 -> 4 and a shared TV-normalized ReLU conv block (6 x 10, N 3)");
  OdynTestConvSetActivation(ODYN_ACTIVATION_TANH);
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetKind(ODYNLAYERCONVANTISYM, 0.1);
  OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, 0, "shared convantisym block (4 channels, 8 x 8, N 3, gamma 0.1)");
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvSetShared(PETSC_FALSE);
}
END_TEST

int main(int argc, char **argv)
{
  const TTest *const tests[] = {test_errors, test_parity, test_parity_opening, test_parity_connector, test_parity_globalavg, test_derivatives, test_train_history, test_train_history_globalavg, test_parity_antisym, test_train_history_antisym, test_parity_wide, test_parity_tvnorm, test_parity_relu, test_parity_shared};

  return OdynTestConvCaseMain(argc, argv, "test_convbackend", (int)(sizeof(tests) / sizeof(tests[0])), tests);
}
