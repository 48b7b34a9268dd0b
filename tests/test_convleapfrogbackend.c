/*
  The second-order CNN on a compute backend (OdynNetSetBackend(), -odyn_backend; docs/gpu.md): a block of scheme
  leapfrog (Y_{j+1} = 2 Y_j - Y_{j-1} + h^2 F_j(Y_j), Y_{-1} = Y_0) with layer conv (F = tanh(K * Y + b), c -> c
  channels) or convsymmetric (F = -K^T * tanh(K * Y + b), K * Y of m channels), 3x3 stencils, tanh, with or without
  the TV normalization of paper 000 eq. 9 (the paper's second-order CNN has it), hands its sweeps to the table's conv_leapfrog_* operations, its states stored in the backend's memory or, with
  -odyn_scheme_trajectory recompute, only the last two kept and the others rebuilt backwards (reversible).

  Built twice from this file: as test_convleapfrogbackend (label unit) with the backend "hostref" (the host path's
  results bit for bit, convleapfrog.c), and as tests/gpu/test_gpu_convleapfrogbackend.c (label gpu) with "cuda"; the
  set-up and the bounds are tests/common/convbackendcase.[ch]. On 1 and on 2 ranks (one layout with a rank that holds no
  example):
  - parity with the direct host path (-odyn_backend host), as test_convbackend.c's (forward, J v, J^T w, at two
    thetas), for both layers: alone (batches spanning several of the host kernels' chunks), after an opening layer on
    the host or on the backend, two blocks in a row, m > c and m < c, the MNIST shape (6 channels, 28 x 28);
  - the same reversible, against the host path's recomputing sweeps;
  - both layers with the TV normalization, stored and reversible, alone and after an opening, the MNIST shape;
  - the backend state memory of a block: N + 1 states, sigma' (and sigma) of every step, the table's scratch; reversible
    the first and the last two states and the scratch, flat in N;
  - Taylor and dot-product tests of the backend path itself, stored and reversible;
  - the small MNIST-like network with a leapfrog block of each layer, and of convsymmetric with the TV normalization:
    the objective history against the host's;
  - bad input: leapfrog blocks the backend cannot run (5x5 stencils, the charbonnier flux, pooling, c -> c2 channels
    for conv, convantisym, shared weights; on cuda also 20 channels) stop with PETSC_ERR_SUP naming the block and what
    it is; the same blocks set up stored and recomputed, with and without the normalization; the table's
  conv_leapfrog_* check their sizes, eps and arrays.
*/
#include "convbackendcase.h"
#include <odyn/private/backend.h>

static const char *backend = ODYN_TEST_CONV_BACKEND;

START_TEST(test_parity_convleapfrog)
{
  const PetscInt three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};

  OdynTestConvOpenOnHost(PETSC_TRUE);
  for (PetscInt split = 0; split < 2; split++) {
    /* 101 examples of 4 x 8 x 8: several chunks of the host kernels, and a last one that is not full */
    OdynTestConvSetLeapfrog(0, PETSC_FALSE);
    OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "conv leapfrog block (4 channels, 8 x 8, N 3)");
    OdynTestConvSetLeapfrog(6, PETSC_FALSE);
    OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, split, "opening 1 -> 4 on the host, two convsymmetric leapfrog blocks (K * Y 6 channels, 6 x 10, N 2 + 3)");
  }
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetLeapfrog(2, PETSC_FALSE);
  OdynTestConvParity(1, 1, three, 3, 7, 9, 1.0, 101, 37, 0, "opening 1 -> 3 and a convsymmetric leapfrog block (K * Y 2 channels, 7 x 9, N 3), all on the backend");
  OdynTestConvSetLeapfrog(0, PETSC_FALSE);
  OdynTestConvParity(1, 2, pair, 3, 7, 9, 1.0, 23, 40, 0, "opening 1 -> 3 and two conv leapfrog blocks (3 channels, 7 x 9, N 2 + 3), all on the backend");
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST second-order shape, all on the backend (opening 1 -> 6, conv leapfrog 6 channels, 28 x 28, N 2)");
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* the same blocks reversible (-odyn_scheme_trajectory recompute on the host path and on the backend: the last two
   states only, the others rebuilt backwards by leapfrog.c's reverse step; hostref follows the host path's recomputing
   sweeps bit for bit) */
START_TEST(test_parity_convleapfrog_reversible)
{
  const PetscInt four[1] = {4}, pair[2] = {2, 3};

  OdynTestConvOpenOnHost(PETSC_TRUE);
  for (PetscInt split = 0; split < 2; split++) {
    OdynTestConvSetLeapfrog(0, PETSC_TRUE);
    OdynTestConvParity(0, 1, four, 4, 8, 8, 1.0, 101, 37, split, "reversible conv leapfrog block (4 channels, 8 x 8, N 4)");
  }
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetLeapfrog(3, PETSC_TRUE);
  OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, 0, "opening 1 -> 4 and two reversible convsymmetric leapfrog blocks (K * Y 3 channels, 6 x 10, N 2 + 3), all on the backend");
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* paper 000's second-order CNN as the paper has it: the TV normalization in both layers, stored and reversible */
START_TEST(test_parity_convleapfrog_tvnorm)
{
  const PetscInt three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};

  OdynTestConvSetTVNorm(0.1);
  OdynTestConvOpenOnHost(PETSC_TRUE);
  for (PetscInt split = 0; split < 2; split++) {
    OdynTestConvSetLeapfrog(0, PETSC_FALSE);
    OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "TV-normalized conv leapfrog block (4 channels, 8 x 8, N 3, eps 0.1)");
    OdynTestConvSetLeapfrog(3, PETSC_TRUE);
    OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "reversible TV-normalized convsymmetric leapfrog block (K * Y 3 channels, 8 x 8, N 3, eps 0.1)");
  }
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetLeapfrog(5, PETSC_FALSE);
  OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, 0, "opening 1 -> 4 and two TV-normalized convsymmetric leapfrog blocks (K * Y 5 channels, 6 x 10, N 2 + 3), all on the backend");
  OdynTestConvSetTVNorm(1e-3);
  OdynTestConvSetLeapfrog(6, PETSC_TRUE);
  OdynTestConvParity(1, 1, two, 6, 28, 28, 2.0, 9, 5, 0, "MNIST second-order shape, reversible, TV-normalized convsymmetric (eps 1e-3), all on the backend");
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/*
  The backend state memory of one block (4 channels of 8 x 8, N 16, 10 examples; layer conv, then convsymmetric with
  K * Y of 3) after a forward, from OdynSchemeView()'s line. Stored: N + 1 states, conv_leapfrog_linsize() (sigma'
  of every step, with convsymmetric also sigma, and the table's scratch) and two staging arrays of the state's width.
  Reversible: Y_0, Y_N, Y_{N-1}, the table's scratch (conv_leapfrog_revsize()) and the staging arrays, flat in N.
*/
START_TEST(test_memory_convleapfrog)
{
  const PetscInt        N[1] = {16};
  const long            hw = 64, lc = 4 * hw * 10;
  const OdynBackendOps *ops;

  ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, backend, &ops));
  for (int sym = 0; sym < 2; sym++) {
    const long m = sym ? 3 : 4, lm = m * hw * 10, lin = ops->conv_leapfrog_linsize(sym, 4, m, 0.0, 8, 8, 16, 10), rs = ops->conv_leapfrog_revsize(sym, 4, m, 0.0, 8, 8, 10);
    long       d[2];

    ck_assert_int_ge(lin, (sym ? 2 : 1) * 16 * lm);
    ck_assert_int_ge(rs, 0);
    for (int rev = 0; rev < 2; rev++) {
      OdynNet net;
      char    view[4096];

      OdynTestConvSetLeapfrog(sym ? m : 0, rev ? PETSC_TRUE : PETSC_FALSE);
      ODYN_CK(OdynTestConvMakeNet(0, 1, N, 4, 8, 8, 1.0, backend, &net));
      d[rev] = OdynTestConvStateDoubles(net, 4 * hw, 10, view, sizeof(view));
      if (PetscGlobalRank == 0) {
        ck_assert_int_eq(d[rev], rev ? 3 * lc + rs + 2 * lc : 17 * lc + lin + 2 * lc);
        ck_assert_msg(!rev || strstr(view, "recomputed backwards"), "the reversible block's view: %s", view);
      }
      ODYN_CK(OdynNetDestroy(&net));
    }
    if (PetscGlobalRank == 0) ODYN_CK(PetscPrintf(PETSC_COMM_SELF, "test_convleapfrogbackend: %s leapfrog block (Y 4, K * Y %ld channels, 8 x 8, N 16, 10 examples) on %s: backend state memory %ld doubles stored (linearization %ld), %ld reversible\n", sym ? "convsymmetric" : "conv", m, backend, d[0], lin, d[1]));
  }
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* Taylor and dot-product tests of the backend path on its own */
START_TEST(test_derivatives_convleapfrog)
{
  const PetscInt four[1] = {4}, pair[2] = {2, 3};

  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetLeapfrog(5, PETSC_FALSE);
  OdynTestConvDerivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 and two convsymmetric leapfrog blocks (K * Y 5 channels), all on the backend (8 x 8, N 2 + 3)");
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetLeapfrog(0, PETSC_FALSE);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "conv leapfrog block (3 channels, 7 x 9, N 4)");
  OdynTestConvSetLeapfrog(4, PETSC_TRUE);
  OdynTestConvDerivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 on the host, two reversible convsymmetric leapfrog blocks (K * Y 4 channels, 8 x 8, N 2 + 3)");
  OdynTestConvSetLeapfrog(0, PETSC_TRUE);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "reversible conv leapfrog block (3 channels, 7 x 9, N 4)");
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvSetLeapfrog(4, PETSC_FALSE);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "TV-normalized convsymmetric leapfrog block (K * Y 4 channels, 7 x 9, N 4, eps 0.1)");
  OdynTestConvSetLeapfrog(0, PETSC_TRUE);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "reversible TV-normalized conv leapfrog block (3 channels, 7 x 9, N 4, eps 0.1)");
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* the MNIST network in small with a second-order block 1: leapfrog with layer conv, then convsymmetric (K * Y 3) */
START_TEST(test_train_history_convleapfrog)
{
  OdynTestConvTrainHistory(ODYNLAYERCONV, "-block1_odyn_scheme_type leapfrog", ODYN_TEST_CONV_TOL_HIST);
  OdynTestConvTrainHistory(ODYNLAYERCONVSYMMETRIC, "-block1_odyn_scheme_type leapfrog -block1_odyn_layer_channels 4,3", ODYN_TEST_CONV_TOL_HIST);
  OdynTestConvTrainHistory(ODYNLAYERCONVSYMMETRIC, "-block1_odyn_scheme_type leapfrog -block1_odyn_layer_channels 4,3 -block1_odyn_layer_tvnorm", ODYN_TEST_CONV_TOL_HIST);
}
END_TEST

/* a network whose block 0 is a leapfrog block of layer ltype (c -> c2 channels of 4 x 4) the backend cannot run */
static void RefuseLeapfrog(const char *ltype, PetscInt k, PetscInt c2, OdynActivationType act, PetscBool tv, PetscBool pool, PetscBool shared, const char *needle)
{
  OdynTestConvRefuseBlock(ODYNSCHEMELEAPFROG, ltype, k, 4, c2, act, tv, pool, shared, needle);
}

START_TEST(test_errors_convleapfrog)
{
  /* the second-order CNN runs on the backend as leapfrog + conv (c -> c) or convsymmetric, 3x3, tanh, states stored */
  RefuseLeapfrog(ODYNLAYERCONV, 5, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme leapfrog, layer conv (5x5 stencils, 4 -> 4 channels), activation tanh");
  RefuseLeapfrog(ODYNLAYERCONV, 3, 4, ODYN_ACTIVATION_CHARBONNIER, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme leapfrog, layer conv (3x3 stencils, 4 -> 4 channels), activation charbonnier");
  RefuseLeapfrog(ODYNLAYERCONV, 5, 4, ODYN_ACTIVATION_TANH, PETSC_TRUE, PETSC_FALSE, PETSC_FALSE, "scheme leapfrog, layer conv (5x5 stencils, 4 -> 4 channels, TV normalization), activation tanh");
  RefuseLeapfrog(ODYNLAYERCONV, 3, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_TRUE, PETSC_FALSE, "scheme leapfrog, layer conv (3x3 stencils, 4 -> 4 channels, pooling), activation tanh");
  RefuseLeapfrog(ODYNLAYERCONV, 3, 6, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme leapfrog, layer conv (3x3 stencils, 4 -> 6 channels), activation tanh");
  RefuseLeapfrog(ODYNLAYERCONV, 5, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, "scheme leapfrog, layer conv (5x5 stencils, 4 -> 4 channels), activation tanh, shared weights");
  RefuseLeapfrog(ODYNLAYERCONVSYMMETRIC, 3, 3, ODYN_ACTIVATION_CHARBONNIER, PETSC_TRUE, PETSC_FALSE, PETSC_FALSE, "scheme leapfrog, layer convsymmetric (3x3 stencils, 4 -> 3 channels, TV normalization), activation charbonnier");
  RefuseLeapfrog(ODYNLAYERCONVANTISYM, 3, 4, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme leapfrog, layer convantisym (3x3 stencils, 4 -> 4 channels), activation tanh");
  /* both layers set up on the backend with their states stored and recomputed, with and without the normalization */
  for (int tv = 0; tv < 2; tv++)
    for (PetscInt m = 0; m < 4; m += 3)
      for (int rev = 0; rev < 2; rev++) {
        OdynTestConvSetTVNorm(tv ? 1e-3 : 0.0);
        OdynTestConvSetLeapfrog(m, rev ? PETSC_TRUE : PETSC_FALSE);
        OdynTestConvExpectSetUp(0);
      }
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  {
    /* the table's operations on their own: sizes and arrays checked, with a message (last_error()) */
    const OdynBackendOps *ops;
    double                a[1];

    ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, backend, &ops));
    ck_assert_int_eq(ops->conv_leapfrog_forward(ODYN_PW_TANH, 0, 4, 0, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_leapfrog_forward: need c, m, ih, iw >= 1"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_leapfrog_forward(ODYN_PW_TANH, 0, 4, 3, 0.0, 4, 4, 2, 3, 0.5, a, a, a, a), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_leapfrog_forward: layer conv (sym 0) maps c to c channels, got c = 4, m = 3"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_leapfrog_adjoint(ODYN_PW_TANH, 1, 4, 3, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_leapfrog_adjoint:") && strstr(ops->last_error(), "must be"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_leapfrog_tangent(ODYN_PW_TANH, 1, 4, 3, 0.0, 4, 4, 2, 3, 0.5, a, NULL, NULL, a, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_leapfrog_tangent: Ytraj and dYN must be arrays of the backend"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_leapfrog_linsize(0, 4, 3, 0.0, 4, 4, 2, 3), -1);
    ck_assert_int_eq(ops->conv_leapfrog_revsize(0, 4, 3, 0.0, 4, 4, 3), -1);
    ck_assert_int_ge(ops->conv_leapfrog_revsize(1, 4, 3, 0.0, 4, 4, 3), 0);
    /* a negative eps of the normalization */
    ck_assert_int_eq(ops->conv_leapfrog_linsize(1, 4, 3, -1.0, 4, 4, 2, 3), -1);
    ck_assert_int_eq(ops->conv_leapfrog_revsize(1, 4, 3, -1.0, 4, 4, 3), -1);
    ck_assert_int_eq(ops->conv_leapfrog_forward(ODYN_PW_TANH, 1, 4, 3, -1.0, 4, 4, 2, 3, 0.5, a, a, a, a), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_leapfrog_forward: eps of the TV normalization must be finite and >= 0"), "message: %s", ops->last_error());
    /* with the normalization also Uhat and 1/r of every step */
    ck_assert_int_ge(ops->conv_leapfrog_linsize(1, 16, 5, 1e-3, 4, 4, 2, 3), 3 * 2 * 5 * 16 * 3 + 2 * 16 * 3);
    {
      double b[3 * 4 * 16];

      /* work non-NULL: cuda needs one (revsize > 0) and checks it first; the calls fail before any use */
      ck_assert_int_eq(ops->conv_leapfrog_adjoint_reversible(ODYN_PW_TANH, 1, 3, 2, 0.0, 4, 4, 2, 1, 0.5, b, b, b, b, b, NULL, b), ODYN_BACKEND_ERR_ARG);
      ck_assert_msg(strstr(ops->last_error(), "conv_leapfrog_adjoint_reversible: gY0 must not alias YN or YNm1"), "message: %s", ops->last_error());
      ck_assert_int_eq(ops->conv_leapfrog_forward_final(ODYN_PW_TANH, 1, 3, 2, 0.0, 4, 4, 2, 1, 0.5, b, b, NULL, b, b), ODYN_BACKEND_ERR_ARG);
      ck_assert_msg(strstr(ops->last_error(), "conv_leapfrog_forward_final: Y0, YN and YNm1 must be arrays of the backend"), "message: %s", ops->last_error());
    }
    ck_assert_int_ge(ops->conv_leapfrog_linsize(1, 16, 5, 0.0, 4, 4, 2, 3), 2 * 2 * 5 * 16 * 3);
    /* more than 16 channels too (cuda: its GEMM path, beyond the direct kernels) */
    ck_assert_int_ge(ops->conv_leapfrog_linsize(0, 17, 17, 0.0, 4, 4, 2, 3), 2 * 17 * 16 * 3);
    ck_assert_int_ge(ops->conv_leapfrog_linsize(1, 4, 17, 0.0, 4, 4, 2, 3), 2 * 2 * 17 * 16 * 3);
  }
}
END_TEST

/* more than 16 channels (the cuda table's GEMM path, src/backend/cuda/convgemm.cu): K * Y of 20 channels stored, a conv
   leapfrog block of 20 channels reversible, and Y of 17, K * Y of 20 TV-normalized (its kernels over any number of
   channels) */
START_TEST(test_parity_convleapfrog_wide)
{
  const PetscInt two[1] = {2};

  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetLeapfrog(20, PETSC_FALSE);
  for (PetscInt split = 0; split < 2; split++) OdynTestConvParity(1, 1, two, 4, 6, 6, 1.0, 23, 11, split, "opening 1 -> 4 and a convsymmetric leapfrog block (K * Y 20 channels, 6 x 6, N 2), all on the backend");
  OdynTestConvSetLeapfrog(0, PETSC_TRUE);
  OdynTestConvParity(1, 1, two, 20, 6, 6, 1.0, 23, 11, 0, "opening 1 -> 20 and a reversible conv leapfrog block (20 channels, 6 x 6, N 2), all on the backend");
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvSetLeapfrog(20, PETSC_FALSE);
  OdynTestConvParity(1, 1, two, 17, 6, 6, 1.0, 23, 11, 0, "opening 1 -> 17 and a TV-normalized convsymmetric leapfrog block (Y 17, K * Y 20 channels, 6 x 6, N 2, eps 0.1), all on the backend");
  OdynTestConvDerivatives(1, 1, two, 17, 6, 6, 1.0, 7, "opening 1 -> 17 and a TV-normalized convsymmetric leapfrog block (Y 17, K * Y 20 channels, 6 x 6, N 2, eps 0.1), all on the backend");
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* the second-order CNN with ReLU (paper 000's experiments: TV normalization and ReLU in the blocks): layer conv and
   convsymmetric, states stored and recomputed, with and without the normalization; its training history (no Taylor
   test: ReLU's kink, see test_convbackend.c) */
START_TEST(test_parity_convleapfrog_relu)
{
  const PetscInt three[1] = {3}, pair[2] = {2, 3};

  OdynTestConvSetActivation(ODYN_ACTIVATION_RELU);
  for (PetscInt rev = 0; rev < 2; rev++) {
    OdynTestConvSetLeapfrog(0, rev ? PETSC_TRUE : PETSC_FALSE);
    OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, rev, rev ? "relu: reversible conv leapfrog block (4 channels, 8 x 8, N 3)" : "relu: conv leapfrog block (4 channels, 8 x 8, N 3)");
    OdynTestConvSetLeapfrog(3, rev ? PETSC_TRUE : PETSC_FALSE);
    OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, 0, rev ? "relu: reversible convsymmetric leapfrog block (K * Y 3 channels, 8 x 8, N 3)" : "relu: convsymmetric leapfrog block (K * Y 3 channels, 8 x 8, N 3)");
  }
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetLeapfrog(5, PETSC_TRUE);
  OdynTestConvParity(1, 2, pair, 4, 6, 10, 1.5, 23, 40, 0, "relu: opening 1 -> 4 and two reversible TV-normalized convsymmetric leapfrog blocks (K * Y 5 channels, 6 x 10, N 2 + 3), all on the backend");
  OdynTestConvReset();
  OdynTestConvTrainHistory(ODYNLAYERCONVSYMMETRIC, "-block1_odyn_scheme_type leapfrog -block1_odyn_layer_channels 4,3 -block1_odyn_layer_tvnorm -block0_odyn_layer_activation relu -block1_odyn_layer_activation relu", ODYN_TEST_CONV_TOL_HIST);
}
END_TEST

/* shared weights: the second-order CNN with one stencil for all steps, conv and convsymmetric, stored and reversible */
START_TEST(test_parity_convleapfrog_shared)
{
  const PetscInt three[1] = {3};

  OdynTestConvSetShared(PETSC_TRUE);
  OdynTestConvSetLeapfrog(0, PETSC_FALSE);
  for (PetscInt split = 0; split < 2; split++) OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, split, "shared conv leapfrog block (4 channels, 8 x 8, N 3)");
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetLeapfrog(3, PETSC_TRUE);
  OdynTestConvParity(1, 1, three, 4, 6, 10, 1.5, 23, 40, 0, "opening 1 -> 4 and a shared reversible convsymmetric leapfrog block (K * Y 3 channels, 6 x 10, N 3)");
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvSetShared(PETSC_FALSE);
}
END_TEST

int main(int argc, char **argv)
{
  const TTest *const tests[] = {test_errors_convleapfrog, test_derivatives_convleapfrog, test_parity_convleapfrog, test_parity_convleapfrog_reversible, test_parity_convleapfrog_tvnorm, test_memory_convleapfrog, test_train_history_convleapfrog, test_parity_convleapfrog_wide, test_parity_convleapfrog_relu, test_parity_convleapfrog_shared};

  return OdynTestConvCaseMain(argc, argv, "test_convleapfrogbackend", (int)(sizeof(tests) / sizeof(tests[0])), tests);
}
