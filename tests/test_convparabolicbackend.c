/*
  The parabolic CNN on a compute backend (OdynNetSetBackend(), -odyn_backend; docs/gpu.md): a block of scheme euler
  with layer convsymmetric (paper 000 eq. 7-8: Y_{j+1} = Y_j - h K_j^T * tanh(K_j * Y_j + b_j), 3x3 stencils, Y of c
  channels, K_j * Y of m, tanh, with or without the TV normalization of paper 000 eq. 9, as the paper's blocks have it)
  hands its sweeps to the table's conv_parabolic_* operations, its
  states and the linearization (sigma' and sigma of every step: the outer -K_j^T depends on theta too) in the backend's
  memory. The conv and convantisym Euler blocks and the opening layer are test_convbackend.c's, the Hamiltonian CNN
  test_convverletbackend.c's.

  Built twice from this file: as test_convparabolicbackend (label unit) with the backend "hostref" (the host path's
  results bit for bit, convparabolic.c), and as tests/gpu/test_gpu_convparabolicbackend.c (label gpu) with "cuda"; the
  set-up and the bounds are tests/common/convbackendcase.[ch]. On 1 and on 2 ranks (one layout with a rank that holds no
  example):
  - parity with the direct host path (-odyn_backend host), as test_convbackend.c's (forward, J v, J^T w, at two
    thetas), for m = c, m > c and m < c, alone (batches spanning several of the host kernels' chunks), after an opening
    layer on the host or on the backend, two blocks in a row, the MNIST shape (6 channels, 28 x 28); with the TV
    normalization alone (several chunks), after an opening on the backend, and in the MNIST shape;
  - the backend state memory of a block: (N + 1) states, 2 N hidden-channel arrays and the table's scratch;
  - Taylor and dot-product tests of the backend path itself;
  - the small MNIST-like network with a convsymmetric block (Y 4, K * Y 3 channels), without and with the TV
    normalization: the objective history against the host's;
  - bad input: convsymmetric blocks the backend cannot run (5x5 stencils, the charbonnier flux, shared weights; on cuda also K * Y of
    20 channels) stop with PETSC_ERR_SUP naming the block and what it is; the table's conv_parabolic_* check their
    sizes, eps and arrays.
*/
#include "convbackendcase.h"
#include <odyn/private/backend.h>

static const char *backend = ODYN_TEST_CONV_BACKEND;

/* parity: m = c, m > c, m < c, alone and after an opening, two blocks, all on the backend, the MNIST shape */
START_TEST(test_parity_convparabolic)
{
  const PetscInt three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};

  OdynTestConvOpenOnHost(PETSC_TRUE);
  for (PetscInt split = 0; split < 2; split++) {
    /* 101 examples of 4 x 8 x 8: several chunks of the host kernels, and a last one that is not full */
    OdynTestConvSetSymmetric(4);
    OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "convsymmetric block (Y 4, K * Y 4 channels, 8 x 8, N 3)");
    OdynTestConvSetSymmetric(6);
    OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, "opening 1 -> 4 on the host, two convsymmetric blocks (K * Y 6 channels, 6 x 10, N 2 + 3)");
  }
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetSymmetric(2);
  OdynTestConvParity(1, 1, three, 3, 7, 9, 1.0, 101, 37, 0, "opening 1 -> 3 and a convsymmetric block (K * Y 2 channels, 7 x 9, N 3), all on the backend");
  OdynTestConvSetSymmetric(6);
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST parabolic shape, all on the backend (opening 1 -> 6, convsymmetric 6, 6 channels, 28 x 28, N 2)");
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* paper 000's blocks: the symmetric layer with the TV normalization (eps 0.1 and the paper's 1e-3) */
START_TEST(test_parity_convparabolic_tvnorm)
{
  const PetscInt three[1] = {3}, two[1] = {2}, twotwo[2] = {2, 2};

  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetTVNorm(0.1);
  for (PetscInt split = 0; split < 2; split++) {
    OdynTestConvSetSymmetric(3);
    OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "TV-normalized convsymmetric block (Y 4, K * Y 3 channels, 8 x 8, N 3, eps 0.1)");
  }
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetSymmetric(5);
  OdynTestConvParity(1, 2, twotwo, 4, 6, 10, 1.5, 23, 40, 0, "opening 1 -> 4 and two TV-normalized convsymmetric blocks (K * Y 5 channels, 6 x 10, N 2 + 2), all on the backend");
  OdynTestConvSetTVNorm(1e-3);
  OdynTestConvSetSymmetric(6);
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST parabolic shape with the TV normalization (eps 1e-3), all on the backend");
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/*
  The backend state memory of one block (Y 4, K * Y 3 channels of 8 x 8, N 16, 10 examples) after a forward, from
  OdynSchemeView()'s line: the N + 1 states, the linearization (sigma' and sigma of every step, 2 N lm, and the table's
  scratch: conv_parabolic_linsize()) and two staging arrays of the state's width
*/
START_TEST(test_memory_convparabolic)
{
  const PetscInt        N[1] = {16};
  const long            hw = 64, lc = 4 * hw * 10, lm = 3 * hw * 10;
  OdynNet               net;
  const OdynBackendOps *ops;
  long                  d, lin;

  OdynTestConvSetSymmetric(3);
  ODYN_CK(OdynTestConvMakeNet(0, 1, N, 4, 8, 8, 1.0, backend, &net));
  d = OdynTestConvStateDoubles(net, 4 * hw, 10, NULL, 0);
  ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, backend, &ops));
  lin = ops->conv_parabolic_linsize(4, 3, 0.0, 8, 8, 16, 10);
  ck_assert_int_ge(lin, 2 * 16 * lm);
  if (PetscGlobalRank == 0) {
    ck_assert_int_eq(d, 17 * lc + lin + 2 * lc);
    ODYN_CK(PetscPrintf(PETSC_COMM_SELF, "test_convparabolicbackend: convsymmetric block (Y 4, K * Y 3 channels, 8 x 8, N 16, 10 examples) on %s: backend state memory %ld doubles (linearization %ld)\n", backend, d, lin));
  }
  ODYN_CK(OdynNetDestroy(&net));
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* Taylor and dot-product tests of the backend path on its own */
START_TEST(test_derivatives_convparabolic)
{
  const PetscInt four[1] = {4}, pair[2] = {2, 3};

  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetSymmetric(5);
  OdynTestConvDerivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 and two convsymmetric blocks (K * Y 5 channels), all on the backend (8 x 8, N 2 + 3)");
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetSymmetric(3);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "convsymmetric block (Y 3, K * Y 3 channels, 7 x 9, N 4)");
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvSetSymmetric(4);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "TV-normalized convsymmetric block (Y 3, K * Y 4 channels, 7 x 9, N 4, eps 0.1)");
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* the MNIST network in small with a parabolic block 1 (layer convsymmetric, Y 4, K * Y 3 channels), without and with the
   TV normalization (paper 000's eps 1e-3) */
START_TEST(test_train_history_convparabolic)
{
  OdynTestConvTrainHistory(ODYNLAYERCONVSYMMETRIC, "-block1_odyn_layer_channels 4,3", ODYN_TEST_CONV_TOL_HIST);
  OdynTestConvTrainHistory(ODYNLAYERCONVSYMMETRIC, "-block1_odyn_layer_channels 4,3 -block1_odyn_layer_tvnorm", ODYN_TEST_CONV_TOL_HIST);
}
END_TEST

/* a network whose block 0 is a convsymmetric Euler block (4 -> 3 channels of 4 x 4) the backend cannot run */
static void RefuseSymmetric(PetscInt k, OdynActivationType act, PetscBool tv, PetscBool shared, const char *needle)
{
  OdynTestConvRefuseBlock(ODYNSCHEMEEULER, ODYNLAYERCONVSYMMETRIC, k, 4, 3, act, tv, PETSC_FALSE, shared, needle);
}

START_TEST(test_errors_convparabolic)
{
  /* the parabolic CNN runs on the backend as euler + convsymmetric 3x3, TV-normalized or not, shared weights or not */
  RefuseSymmetric(5, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer convsymmetric (5x5 stencils, 4 -> 3 channels), activation tanh");
  RefuseSymmetric(3, ODYN_ACTIVATION_CHARBONNIER, PETSC_FALSE, PETSC_FALSE, "scheme euler, layer convsymmetric (3x3 stencils, 4 -> 3 channels), activation charbonnier");
  RefuseSymmetric(5, ODYN_ACTIVATION_TANH, PETSC_TRUE, PETSC_FALSE, "scheme euler, layer convsymmetric (5x5 stencils, 4 -> 3 channels, TV normalization), activation tanh");
  RefuseSymmetric(5, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_TRUE, "scheme euler, layer convsymmetric (5x5 stencils, 4 -> 3 channels), activation tanh, shared weights");
  /* the same Euler block with tanh sets up on the backend, TV-normalized or not */
  OdynTestConvSetSymmetric(3);
  OdynTestConvExpectSetUp(0);
  OdynTestConvSetTVNorm(1e-3);
  OdynTestConvExpectSetUp(0);
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  {
    /* the table's operations on their own: sizes and arrays checked, with a message (last_error()) */
    const OdynBackendOps *ops;

    ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, backend, &ops));
    ck_assert_int_eq(ops->conv_parabolic_forward(ODYN_PW_TANH, 4, 0, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_parabolic_forward: need c, m, ih, iw >= 1"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_parabolic_adjoint(ODYN_PW_TANH, 4, 3, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_parabolic_adjoint:") && strstr(ops->last_error(), "must be"), "message: %s", ops->last_error());
    {
      double a[1];

      /* theta and lin there, the states not: the call fails before any use */
      ck_assert_int_eq(ops->conv_parabolic_tangent(ODYN_PW_TANH, 4, 3, 0.0, 4, 4, 2, 3, 0.5, a, NULL, NULL, a, NULL, NULL), ODYN_BACKEND_ERR_ARG);
      ck_assert_msg(strstr(ops->last_error(), "conv_parabolic_tangent: Ytraj and dYN must be arrays of the backend"), "message: %s", ops->last_error());
      /* a negative eps of the normalization */
      ck_assert_int_eq(ops->conv_parabolic_forward(ODYN_PW_TANH, 4, 3, -1e-3, 4, 4, 2, 3, 0.5, a, a, a, a), ODYN_BACKEND_ERR_ARG);
      ck_assert_msg(strstr(ops->last_error(), "conv_parabolic_forward: eps of the TV normalization must be finite and >= 0"), "message: %s", ops->last_error());
      ck_assert_int_eq(ops->conv_parabolic_linsize(4, 3, -1e-3, 4, 4, 2, 3), -1);
    }
    ck_assert_int_ge(ops->conv_parabolic_linsize(16, 5, 0.0, 4, 4, 2, 3), 2 * 2 * 5 * 16 * 3);
    /* with the normalization also Uhat and 1/r of every step */
    ck_assert_int_ge(ops->conv_parabolic_linsize(16, 5, 1e-3, 4, 4, 2, 3), 3 * 2 * 5 * 16 * 3 + 2 * 16 * 3);
    /* more than 16 channels too (cuda: its GEMM path, beyond the direct kernels) */
    ck_assert_int_ge(ops->conv_parabolic_linsize(4, 17, 0.0, 4, 4, 2, 3), 2 * 2 * 17 * 16 * 3);
    ck_assert_int_ge(ops->conv_parabolic_linsize(17, 4, 0.0, 4, 4, 2, 3), 2 * 2 * 4 * 16 * 3);
  }
}
END_TEST

/* more than 16 channels (the cuda table's GEMM path, src/backend/cuda/convgemm.cu), with and without the TV
   normalization (its kernels over any number of channels): K * Y of 20 channels after an opening 1 -> 4, and Y of 18
   channels, K * Y of 20, normalized */
START_TEST(test_parity_convparabolic_wide)
{
  const PetscInt two[1] = {2};

  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetSymmetric(20);
  for (PetscInt split = 0; split < 2; split++) OdynTestConvParity(1, 1, two, 4, 6, 6, 1.0, 23, 11, split, "opening 1 -> 4 and a convsymmetric block (K * Y 20 channels, 6 x 6, N 2), all on the backend");
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvParity(1, 1, two, 18, 6, 6, 1.0, 23, 11, 0, "opening 1 -> 18 and a TV-normalized convsymmetric block (Y 18, K * Y 20 channels, 6 x 6, N 2, eps 0.1), all on the backend");
  OdynTestConvDerivatives(1, 1, two, 18, 6, 6, 1.0, 7, "opening 1 -> 18 and a TV-normalized convsymmetric block (Y 18, K * Y 20 channels, 6 x 6, N 2, eps 0.1), all on the backend");
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* the parabolic CNN with ReLU (paper 000's experiments: TV normalization and ReLU in the blocks), with and without the
   normalization; its training history (no Taylor test: ReLU's kink, see test_convbackend.c) */
START_TEST(test_parity_convparabolic_relu)
{
  const PetscInt three[1] = {3}, pair[2] = {2, 3};

  OdynTestConvSetActivation(ODYN_ACTIVATION_RELU);
  OdynTestConvSetSymmetric(3);
  for (PetscInt split = 0; split < 2; split++) OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "relu: convsymmetric block (Y 4, K * Y 3 channels, 8 x 8, N 3)");
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvSetSymmetric(5);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, 0, "relu: opening 1 -> 4 and two TV-normalized convsymmetric blocks (K * Y 5 channels, 6 x 10, N 2 + 3), all on the backend");
  OdynTestConvReset();
  OdynTestConvTrainHistory(ODYNLAYERCONVSYMMETRIC, "-block1_odyn_layer_channels 4,3 -block1_odyn_layer_tvnorm -block0_odyn_layer_activation relu -block1_odyn_layer_activation relu", ODYN_TEST_CONV_TOL_HIST);
}
END_TEST

/* shared weights: the parabolic CNN with one K, b for all steps, normalized or not */
START_TEST(test_parity_convparabolic_shared)
{
  const PetscInt three[1] = {3};

  OdynTestConvSetShared(PETSC_TRUE);
  OdynTestConvSetSymmetric(3);
  for (PetscInt split = 0; split < 2; split++) OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "shared convsymmetric block (Y 4, K * Y 3 channels, 8 x 8, N 3)");
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvParity(1, 1, three, 4, 6, 10, 1.5, 23, 40, 0, "opening 1 -> 4 and a shared TV-normalized convsymmetric block (K * Y 3 channels, 6 x 10, N 3)");
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvSetShared(PETSC_FALSE);
}
END_TEST

int main(int argc, char **argv)
{
  const TTest *const tests[] = {test_errors_convparabolic, test_derivatives_convparabolic, test_parity_convparabolic, test_parity_convparabolic_tvnorm, test_memory_convparabolic, test_train_history_convparabolic, test_parity_convparabolic_wide, test_parity_convparabolic_relu, test_parity_convparabolic_shared};

  return OdynTestConvCaseMain(argc, argv, "test_convparabolicbackend", (int)(sizeof(tests) / sizeof(tests[0])), tests);
}
