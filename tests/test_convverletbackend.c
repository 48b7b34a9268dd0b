/*
  The Hamiltonian CNN on a compute backend (OdynNetSetBackend(), -odyn_backend; docs/gpu.md): a block of scheme verlet
  with layer convhamiltonian (3x3 stencils, Y of c channels, Z of m, K shared by the faces K * Z and K^T * Y, tanh), the
  MNIST verlet network's block (-odyn_net verlet), hands its sweeps to the table's conv_verlet_* operations, its
  states stored, or reversible with -odyn_scheme_trajectory recompute (the last states only, rebuilt backwards). The
  conv and convantisym Euler blocks and the opening layer are test_convbackend.c's.

  Built twice from this file: as test_convverletbackend (label unit) with the backend "hostref" (the host path's results
  bit for bit, convverlet.c), and as tests/gpu/test_gpu_convverletbackend.c (label gpu) with "cuda"; the set-up and the
  bounds are tests/common/convbackendcase.[ch]. On 1 and on 2 ranks (one layout with a rank that holds no example):
  - parity with the direct host path (-odyn_backend host), as test_convbackend.c's (forward, J v, J^T w, at two thetas),
    for c = m and c != m, alone, after an opening layer on the host or on the backend, the MNIST shape; reversible
    against the host path's recompute sweeps, and its backend state memory stored vs reversible; with paper 000's TV
    normalization in both faces, stored and reversible;
  - Taylor and dot-product tests of the backend path itself, stored and reversible;
  - the small MNIST-like network with a Verlet block (Y 4, Z 3 channels), also normalized: the objective history
    against the host's;
  - bad input: Verlet blocks the backend cannot run (5x5 stencils, the charbonnier flux, TV normalization, pooling, shared weights; on
    cuda also Z of 20 channels) stop with PETSC_ERR_SUP naming the block and what it is; the same block sets up stored
    and recomputed; the table's conv_verlet_* check their sizes and arrays (any number of channels >= 1).
*/
#include "convbackendcase.h"
#include <odyn/private/backend.h>

static const char *backend = ODYN_TEST_CONV_BACKEND;

/* a parity case of Verlet blocks: Z of m channels, the opening (cin > 0) on the host or on the backend, and
   OdynTestConvParity()'s arguments */
typedef struct {
  PetscInt        m;
  PetscBool       open_host;
  PetscInt        cin, nb;
  const PetscInt *N;
  PetscInt        c, ih, iw;
  PetscReal       T;
  PetscInt        s, s2;
  const char     *label;
} VerletCase;

static void VerletCaseRun(PetscBool rev, const VerletCase *k, PetscInt split)
{
  OdynTestConvOpenOnHost(k->open_host);
  OdynTestConvSetVerlet(k->m, rev);
  OdynTestConvParity(k->cin, k->nb, k->N, k->c, k->ih, k->iw, k->T, k->s, k->s2, split, k->label);
}

/* the first nsplit of the n cases with the examples spread over the ranks, then again all on rank 0; then the others
   spread only; the states stored or (rev) recomputed; the opening left on the host */
static void VerletParity(PetscBool rev, PetscInt nsplit, PetscInt n, const VerletCase cases[])
{
  for (PetscInt split = 0; split < 2; split++)
    for (PetscInt i = 0; i < nsplit; i++) VerletCaseRun(rev, &cases[i], split);
  for (PetscInt i = nsplit; i < n; i++) VerletCaseRun(rev, &cases[i], 0);
  OdynTestConvOpenOnHost(PETSC_TRUE);
}

/* the Hamiltonian CNN (scheme verlet, layer convhamiltonian): Z as wide as Y and not, alone, after an opening layer on
   the host and on the backend, MNIST's shape (-odyn_net verlet: 6 and 6 channels, 28 x 28) */
START_TEST(test_parity_convverlet)
{
  const PetscInt   three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};
  const VerletCase cases[4] = {
    {4, PETSC_TRUE, 0, 1, three, 4, 8, 8, 1.0, 101, 37, "convhamiltonian Verlet block (Y 4, Z 4 channels, 8 x 8, N 3)"},
    {3, PETSC_TRUE, 1, 2, pair, 4, 6, 10, 1.5, 23, 40, "opening 1 -> 4 on the host, two convhamiltonian Verlet blocks (Y 4, Z 3 channels, 6 x 10, N 2 + 3)"},
    {5, PETSC_FALSE, 1, 1, three, 3, 7, 9, 1.0, 101, 37, "opening 1 -> 3 and a convhamiltonian Verlet block (Z 5 channels, 7 x 9, N 3), all on the backend"},
    {6, PETSC_FALSE, 1, 1, two, 6, 28, 28, 2.0, 9, 5, "MNIST verlet shape, all on the backend (opening 1 -> 6, convhamiltonian 6, 6 channels, 28 x 28, N 2)"}
  };

  VerletParity(PETSC_FALSE, 3, 4, cases);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/*
  The backend state memory of one block (Y 4, Z 3 channels of 8 x 8, N 16, 10 examples) after a forward, stored and
  reversible, from OdynSchemeView()'s line: (4 ln + lm) + revsize against (N + 1)(ln + lm) + linsize + 2 ln
*/
static void StateMemory(void)
{
  const PetscInt N[1] = {16};
  const long     hw = 64, ln = 4 * hw * 10, lm = 3 * hw * 10;
  long           d[2];

  for (int rev = 0; rev < 2; rev++) {
    OdynNet               net;
    char                  view[4096];
    const OdynBackendOps *ops;

    OdynTestConvSetVerlet(3, rev ? PETSC_TRUE : PETSC_FALSE);
    ODYN_CK(OdynTestConvMakeNet(0, 1, N, 4, 8, 8, 1.0, backend, &net));
    d[rev] = OdynTestConvStateDoubles(net, 4 * hw, 10, view, sizeof(view));
    ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, backend, &ops));
    if (PetscGlobalRank == 0) {
      ck_assert_int_eq(d[rev], rev ? 4 * ln + lm + ops->conv_verlet_revsize(4, 3, 0.0, 8, 8, 10) : 17 * (ln + lm) + ops->conv_verlet_linsize(4, 3, 0.0, 8, 8, 16, 10) + 2 * ln);
      ck_assert_msg(!rev || strstr(view, "recomputed backwards"), "the reversible block's view: %s", view);
    }
    ODYN_CK(OdynNetDestroy(&net));
  }
  if (PetscGlobalRank == 0) ODYN_CK(PetscPrintf(PETSC_COMM_SELF, "test_convverletbackend: convhamiltonian Verlet block (Y 4, Z 3 channels, 8 x 8, N 16, 10 examples) on %s: backend state memory %ld doubles stored, %ld reversible\n", backend, d[0], d[1]));
}

/* the same blocks reversible (-odyn_scheme_trajectory recompute on the host path and on the backend: the last states
   only, rebuilt backwards by verlet.c's reverse step; hostref follows the host path's recomputing sweeps bit for bit) */
START_TEST(test_parity_convverlet_reversible)
{
  const PetscInt   three[1] = {3}, four[1] = {4}, pair[2] = {2, 3};
  const VerletCase cases[3] = {
    {4, PETSC_TRUE, 0, 1, four, 4, 8, 8, 1.0, 101, 37, "reversible convhamiltonian Verlet block (Y 4, Z 4 channels, 8 x 8, N 4)"},
    {3, PETSC_FALSE, 1, 2, pair, 4, 6, 10, 1.5, 23, 40, "opening 1 -> 4 and two reversible convhamiltonian Verlet blocks (Z 3 channels, 6 x 10, N 2 + 3), all on the backend"},
    {5, PETSC_TRUE, 0, 1, three, 3, 7, 9, 1.0, 12, 5, "reversible convhamiltonian Verlet block (Y 3, Z 5 channels, 7 x 9, N 3)"}
  };

  VerletParity(PETSC_TRUE, 2, 3, cases);
  StateMemory();
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* paper 000's Hamiltonian CNN as the paper has it: the TV normalization in both faces, stored and reversible */
START_TEST(test_parity_convverlet_tvnorm)
{
  const PetscInt   three[1] = {3}, two[1] = {2}, pair[2] = {2, 3};
  const VerletCase cases[3] = {
    {3, PETSC_TRUE, 0, 1, three, 4, 8, 8, 1.0, 101, 37, "TV-normalized convhamiltonian Verlet block (Y 4, Z 3 channels, 8 x 8, N 3, eps 0.1)"},
    {5, PETSC_FALSE, 1, 2, pair, 4, 6, 10, 1.5, 23, 40, "opening 1 -> 4 and two TV-normalized convhamiltonian Verlet blocks (Z 5 channels, 6 x 10, N 2 + 3), all on the backend"},
    {6, PETSC_FALSE, 1, 1, two, 6, 28, 28, 2.0, 9, 5, "MNIST verlet shape, TV-normalized (eps 0.1), all on the backend"}
  };
  const VerletCase reversible[2] = {
    {3, PETSC_TRUE, 0, 1, three, 4, 8, 8, 1.0, 101, 37, "reversible TV-normalized convhamiltonian Verlet block (Y 4, Z 3 channels, 8 x 8, N 3, eps 0.1)"},
    {5, PETSC_FALSE, 1, 2, pair, 4, 6, 10, 1.5, 23, 40, "opening 1 -> 4 and two reversible TV-normalized convhamiltonian Verlet blocks (Z 5 channels, 6 x 10, N 2 + 3), all on the backend"}
  };

  OdynTestConvSetTVNorm(0.1);
  VerletParity(PETSC_FALSE, 1, 3, cases);
  VerletParity(PETSC_TRUE, 1, 2, reversible);
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* Taylor and dot-product tests of the backend path on its own, stored and reversible */
START_TEST(test_derivatives_convverlet)
{
  const PetscInt four[1] = {4}, pair[2] = {2, 3};

  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvSetVerlet(5, PETSC_FALSE);
  OdynTestConvDerivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 and two convhamiltonian Verlet blocks (Z 5 channels), all on the backend (8 x 8, N 2 + 3)");
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetVerlet(3, PETSC_FALSE);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "convhamiltonian Verlet block (Y 3, Z 3 channels, 7 x 9, N 4)");
  OdynTestConvSetVerlet(4, PETSC_TRUE);
  OdynTestConvDerivatives(2, 2, pair, 4, 8, 8, 1.0, 10, "opening 2 -> 4 on the host, two reversible convhamiltonian Verlet blocks (Z 4 channels, 8 x 8, N 2 + 3)");
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvSetVerlet(4, PETSC_FALSE);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "TV-normalized convhamiltonian Verlet block (Y 3, Z 4 channels, 7 x 9, N 4, eps 0.1)");
  OdynTestConvSetVerlet(3, PETSC_TRUE);
  OdynTestConvDerivatives(0, 1, four, 3, 7, 9, 2.0, 12, "reversible TV-normalized convhamiltonian Verlet block (Y 3, Z 3 channels, 7 x 9, N 4, eps 0.1)");
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* the MNIST verlet network in small: its block 1 a Verlet block with layer convhamiltonian (Y 4, Z 3 channels) */
START_TEST(test_train_history_convverlet)
{
  OdynTestConvTrainHistory(ODYNLAYERCONVHAMILTONIAN, "-block1_odyn_scheme_type verlet -block1_odyn_layer_channels 4,3", ODYN_TEST_CONV_TOL_HIST);
  OdynTestConvTrainHistory(ODYNLAYERCONVHAMILTONIAN, "-block1_odyn_scheme_type verlet -block1_odyn_layer_channels 4,3 -block1_odyn_layer_tvnorm", ODYN_TEST_CONV_TOL_HIST);
}
END_TEST

/* a network whose block 0 is a Hamiltonian CNN block (scheme verlet, layer convhamiltonian, 4 -> 3 channels of 4 x 4)
   the backend cannot run */
static void RefuseVerlet(PetscInt k, OdynActivationType act, PetscBool tv, PetscBool pool, PetscBool shared, const char *needle)
{
  OdynTestConvRefuseBlock(ODYNSCHEMEVERLET, ODYNLAYERCONVHAMILTONIAN, k, 4, 3, act, tv, pool, shared, needle);
}

START_TEST(test_errors_convverlet)
{
  /* the Hamiltonian CNN runs on the backend as convhamiltonian 3x3, tanh, normalized or not, states stored or recomputed */
  RefuseVerlet(5, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme verlet, layer convhamiltonian (5x5 stencils, 4 -> 3 channels), activation tanh");
  RefuseVerlet(3, ODYN_ACTIVATION_CHARBONNIER, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, "scheme verlet, layer convhamiltonian (3x3 stencils, 4 -> 3 channels), activation charbonnier");
  RefuseVerlet(3, ODYN_ACTIVATION_CHARBONNIER, PETSC_TRUE, PETSC_FALSE, PETSC_FALSE, "scheme verlet, layer convhamiltonian (3x3 stencils, 4 -> 3 channels, TV normalization), activation charbonnier");
  RefuseVerlet(3, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_TRUE, PETSC_FALSE, "scheme verlet, layer convhamiltonian (3x3 stencils, 4 -> 3 channels, pooling), activation tanh");
  RefuseVerlet(5, ODYN_ACTIVATION_TANH, PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, "scheme verlet, layer convhamiltonian (5x5 stencils, 4 -> 3 channels), activation tanh, shared weights");
  /* the same block sets up on the backend with its states stored (the default) and recomputed, normalized or not */
  for (int tv = 0; tv < 2; tv++)
    for (int rev = 0; rev < 2; rev++) {
      OdynTestConvSetTVNorm(tv ? 1e-3 : 0.0);
      OdynTestConvSetVerlet(3, rev ? PETSC_TRUE : PETSC_FALSE);
      OdynTestConvExpectSetUp(0);
    }
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  {
    /* the table's operations on their own: sizes and arrays checked, with a message (last_error()) */
    const OdynBackendOps *ops;

    ODYN_CK(OdynBackendGet(PETSC_COMM_WORLD, backend, &ops));
    ck_assert_int_eq(ops->conv_verlet_forward(ODYN_PW_TANH, 4, 0, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_SIZE);
    ck_assert_msg(strstr(ops->last_error(), "conv_verlet_forward: need c, m, ih, iw >= 1"), "message: %s", ops->last_error());
    ck_assert_int_eq(ops->conv_verlet_adjoint(ODYN_PW_TANH, 4, 3, 0.0, 4, 4, 2, 3, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, NULL), ODYN_BACKEND_ERR_ARG);
    ck_assert_msg(strstr(ops->last_error(), "conv_verlet_adjoint:") && strstr(ops->last_error(), "must be"), "message: %s", ops->last_error());
    ck_assert_int_ge(ops->conv_verlet_linsize(16, 5, 0.0, 4, 4, 2, 3), 2 * (16 + 5) * 16 * 3);
    ck_assert_int_ge(ops->conv_verlet_revsize(16, 5, 0.0, 4, 4, 3), 0);
    {
      double a[4 * 16 * 3];

      /* work non-NULL: cuda needs one (conv_verlet_revsize() > 0) and checks it first; the call fails before use */
      ck_assert_int_eq(ops->conv_verlet_adjoint_reversible(ODYN_PW_TANH, 4, 3, 0.0, 4, 4, 2, 1, 0.5, a, a, a, a, a, NULL, a), ODYN_BACKEND_ERR_ARG);
      ck_assert_msg(strstr(ops->last_error(), "conv_verlet_adjoint_reversible: gY0 must not alias YN or ZN"), "message: %s", ops->last_error());
    }
    /* more than 16 channels too (cuda: its GEMM path, beyond the direct kernels) */
    ck_assert_int_ge(ops->conv_verlet_linsize(4, 17, 0.0, 4, 4, 2, 3), 2 * (4 + 17) * 16 * 3);
    ck_assert_int_ge(ops->conv_verlet_revsize(17, 4, 0.0, 4, 4, 3), 0);
  }
}
END_TEST

/* more than 16 channels (the cuda table's GEMM path, src/backend/cuda/convgemm.cu): Z of 20 channels, stored; Y of 17
   and Z of 20, reversible and TV-normalized (its kernels over any number of channels) */
START_TEST(test_parity_convverlet_wide)
{
  const PetscInt   two[1] = {2};
  const VerletCase cases[1] = {
    {20, PETSC_FALSE, 1, 1, two, 4, 6, 6, 1.0, 23, 11, "opening 1 -> 4 and a convhamiltonian Verlet block (Z 20 channels, 6 x 6, N 2), all on the backend"}
  };
  const VerletCase tv[1] = {
    {20, PETSC_FALSE, 1, 1, two, 17, 6, 6, 1.0, 23, 11, "opening 1 -> 17 and a TV-normalized convhamiltonian Verlet block (Y 17, Z 20 channels, 6 x 6, N 2, eps 0.1), all on the backend"}
  };

  VerletParity(PETSC_FALSE, 1, 1, cases);
  OdynTestConvSetTVNorm(0.1);
  VerletParity(PETSC_TRUE, 0, 1, tv);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  OdynTestConvDerivatives(1, 1, two, 17, 6, 6, 1.0, 7, tv[0].label);
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvOpenOnHost(PETSC_TRUE);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
}
END_TEST

/* the Hamiltonian CNN with ReLU (paper 000's experiments: TV normalization and ReLU in the blocks), states stored and
   recomputed, with and without the normalization; its training history (no Taylor test: ReLU's kink, see
   test_convbackend.c) */
START_TEST(test_parity_convverlet_relu)
{
  const PetscInt   three[1] = {3}, pair[2] = {2, 3};
  const VerletCase cases[2] = {
    {3, PETSC_TRUE, 0, 1, three, 4, 8, 8, 1.0, 101, 37, "relu: convhamiltonian Verlet block (Y 4, Z 3 channels, 8 x 8, N 3)"},
    {5, PETSC_FALSE, 1, 2, pair, 4, 6, 10, 1.5, 23, 40, "relu: opening 1 -> 4 and two convhamiltonian Verlet blocks (Z 5 channels, 6 x 10, N 2 + 3), all on the backend"}
  };
  const VerletCase normalized[1] = {
    {3, PETSC_TRUE, 0, 1, three, 4, 8, 8, 1.0, 101, 37, "relu: TV-normalized convhamiltonian Verlet block (Y 4, Z 3 channels, 8 x 8, N 3, eps 0.1)"}
  };

  OdynTestConvSetActivation(ODYN_ACTIVATION_RELU);
  VerletParity(PETSC_FALSE, 1, 2, cases);
  VerletParity(PETSC_TRUE, 1, 2, cases);
  OdynTestConvSetTVNorm(0.1);
  VerletParity(PETSC_FALSE, 1, 1, normalized);
  VerletParity(PETSC_TRUE, 1, 1, normalized);
  OdynTestConvReset();
  OdynTestConvTrainHistory(ODYNLAYERCONVHAMILTONIAN, "-block1_odyn_scheme_type verlet -block1_odyn_layer_channels 4,3 -block1_odyn_layer_tvnorm -block0_odyn_layer_activation relu -block1_odyn_layer_activation relu", ODYN_TEST_CONV_TOL_HIST);
}
END_TEST

/* shared weights: the Hamiltonian CNN with one K, bF, bG for all steps, stored and reversible, normalized once */
START_TEST(test_parity_convverlet_shared)
{
  const PetscInt three[1] = {3};

  OdynTestConvSetShared(PETSC_TRUE);
  OdynTestConvOpenOnHost(PETSC_FALSE);
  for (int rev = 0; rev < 2; rev++) {
    OdynTestConvSetVerlet(3, rev ? PETSC_TRUE : PETSC_FALSE);
    OdynTestConvParity(1, 1, three, 4, 6, 10, 1.5, 23, 40, rev, rev ? "opening 1 -> 4 and a shared reversible convhamiltonian block (Z 3 channels, 6 x 10, N 3)" : "opening 1 -> 4 and a shared convhamiltonian block (Z 3 channels, 6 x 10, N 3)");
  }
  OdynTestConvSetTVNorm(0.1);
  OdynTestConvSetVerlet(4, PETSC_FALSE);
  OdynTestConvParity(0, 1, three, 4, 8, 8, 1.0, 101, 37, 0, "shared TV-normalized convhamiltonian block (Y 4, Z 4 channels, 8 x 8, N 3)");
  OdynTestConvSetTVNorm(0.0);
  OdynTestConvSetKind(ODYNLAYERCONV, 0.0);
  OdynTestConvSetShared(PETSC_FALSE);
}
END_TEST

int main(int argc, char **argv)
{
  const TTest *const tests[] = {test_errors_convverlet, test_derivatives_convverlet, test_parity_convverlet, test_parity_convverlet_reversible, test_parity_convverlet_tvnorm, test_train_history_convverlet, test_parity_convverlet_wide, test_parity_convverlet_relu, test_parity_convverlet_shared};

  return OdynTestConvCaseMain(argc, argv, "test_convverletbackend", (int)(sizeof(tests) / sizeof(tests[0])), tests);
}
