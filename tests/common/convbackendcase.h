#ifndef ODYN_TEST_CONVBACKENDCASE_H
#define ODYN_TEST_CONVBACKENDCASE_H

/*
  The set-up shared by the tests of convolutional blocks on a compute backend (docs/gpu.md): test_convbackend.c (conv
  and convantisym Euler blocks, the opening layer), test_convverletbackend.c (the Hamiltonian CNN, scheme verlet with
  layer convhamiltonian), test_convparabolicbackend.c (the parabolic CNN, scheme euler with layer convsymmetric) and
  test_convleapfrogbackend.c (the second-order CNN, scheme leapfrog with layer conv or convsymmetric). Each is built
  twice: with the backend "hostref" (label unit), the host table taken through exactly the backend path, and,
  included by tests/gpu/test_gpu_conv*backend.c with ODYN_TEST_GPU_BUILD defined, with "cuda" (label gpu). This header
  is compiled with the test, so the backend and its bounds are chosen here; the helpers (convbackendcase.c, in the
  odyntest library) get them from OdynTestConvCaseMain().

  Bounds. hostref: 0. Its sweeps (src/backend/host/convsingle.c, convverlet.c, convparabolic.c, convleapfrog.c) call the
  layers' kernels with the same operands, in the same order and over the same chunks of examples as the direct path
  (euler.c / verlet.c / leapfrog.c + convcore.c), and the gradient it returns is added to the zeros the network starts
  from: any difference at all is a bug in the plumbing (convantisym: 1e-13 and 1e-8 for the history, the gradient's
  mapping rounds otherwise than the layer's, see OdynTestConvSetKind()). cuda: 1e-12 norm-wise relative for the sweeps (FMAs and an ulp of tanh per step through a map
  with h ||K_j|| <= 1 here, the stencil and bias gradients summed over <= 8,000 pixel-examples in another order), 1e-8
  relative for the training history (test_train's bound for histories of runs that differ by round-off, PCG capped at 3
  iterations). The cuda bounds are estimates that the first GPU run must confirm.
*/
#include <string.h>
#include "backendtest.h"
#include <odyn/private/pointwise.h> /* ODYN_PW_*: the table operations' act */

#if defined(ODYN_TEST_GPU_BUILD)
  #define ODYN_TEST_CONV_BACKEND     "cuda"
  #define ODYN_TEST_CONV_TOL_SWEEP   1e-12
  #define ODYN_TEST_CONV_TOL_ANTISYM 1e-12
  #define ODYN_TEST_CONV_TOL_HIST    1e-8
#else
  #define ODYN_TEST_CONV_BACKEND     "hostref"
  #define ODYN_TEST_CONV_TOL_SWEEP   0.0
  #define ODYN_TEST_CONV_TOL_ANTISYM 1e-13
  #define ODYN_TEST_CONV_TOL_HIST    0.0
#endif

/* the opening block's options prefix; with its own option -cbopen_odyn_backend host (OdynTestConvOpenOnHost()) it stays
   on the host path, else it runs on the network's backend (conv_single_*) */
#define ODYN_TEST_CONV_OPEN_PREFIX "cbopen_"

/* prog names the test (the prefix of its printed lines), backend and the bounds of its sweeps (conv, convantisym) are
   this build's (the shared code is compiled once, in the test library); OdynTestConvCaseMain() calls it */
void OdynTestConvCaseSet(const char *prog, const char *backend, PetscReal tol_sweep, PetscReal tol_antisym);
/* the opening block's stencils (k = 3, or 1: a connector) and 2x2 average pooling (the blocks after it then work on
   ih/2 x iw/2 images); 3 and no pooling until changed */
void OdynTestConvSetOpening(PetscInt k, PetscBool pool);
/* a last block that averages each channel (scheme single, layer globalavg), on the network's backend: the network's
   output is then c values per example; off until changed */
void OdynTestConvSetGlobalAvg(PetscBool avg);
/* the TV normalization (paper 000 eq. 9) with that eps in the blocks after the opening one (0: none, until changed) */
void OdynTestConvSetTVNorm(PetscReal eps);
/* the opening block's (scheme single) TV normalization: eps, 0 none */
void OdynTestConvSetOpeningTVNorm(PetscReal eps);
/* the activation of the opening block and of the blocks after it (paper 000's CNNs: tanh or relu; tanh until changed) */
void OdynTestConvSetActivation(OdynActivationType act);
/* the blocks after the opening share their weights over their steps (-odyn_scheme_shared_weights; off until changed); the
   comparisons then allow the bound of the mapped layers, ODYN_TEST_CONV_TOL_ANTISYM (the steps' gradients are summed in
   another rounding) */
void OdynTestConvSetShared(PetscBool shared);
/* the opening block on the host path (its own -cbopen_odyn_backend host) or on the network's backend */
void OdynTestConvOpenOnHost(PetscBool host);
/* Euler blocks of layer conv, or convantisym with its diffusion gamma, from now on; sets the bound of the comparisons */
void OdynTestConvSetKind(const char *layer, PetscReal gamma);
/* the Hamiltonian CNN's Verlet blocks instead: layer convhamiltonian, Y of c channels, Z of m, states stored or (rev)
   recomputed (-odyn_scheme_trajectory recompute) */
void OdynTestConvSetVerlet(PetscInt m, PetscBool rev);
/* the parabolic CNN's Euler blocks instead: layer convsymmetric, Y of c channels, K * Y of m */
void OdynTestConvSetSymmetric(PetscInt m);
/* the second-order CNN's leapfrog blocks instead: layer conv (m = 0) or convsymmetric with K * Y of m channels, states
   stored or (rev) recomputed */
void OdynTestConvSetLeapfrog(PetscInt m, PetscBool rev);

/* A network of an opening block (cin > 0: scheme single, conv cin -> c, the activation set, stencils and pooling as set by
   OdynTestConvSetOpening(), prefix ODYN_TEST_CONV_OPEN_PREFIX) and nb blocks of the kind set of c channels on ih x iw
   images (ih/2 x iw/2 after a pooling opening), N[b] steps, final time T each; the backend bk for all but the opening. */
PetscErrorCode OdynTestConvMakeNet(PetscInt cin, PetscInt nb, const PetscInt N[], PetscInt c, PetscInt ih, PetscInt iw, PetscReal T, const char *bk, OdynNet *net);
/* The host net and the backend net on the same data (s examples, split = 1: all on rank 0): forward, tangents,
   adjoints; then again at another theta with s2 examples. label names the case; split adds ", examples on rank 0". */
void OdynTestConvParity(PetscInt cin, PetscInt nb, const PetscInt N[], PetscInt c, PetscInt ih, PetscInt iw, PetscReal T, PetscInt s, PetscInt s2, PetscInt split, const char *label);
/* The backend state memory of net's block 0 (a one-block network on the backend, input width nin) after a forward of
   s examples, all on rank 0, at a random theta: the doubles of OdynSchemeView()'s line on rank 0 (-1 on the others);
   view (len chars, may be NULL) receives the block's view */
long OdynTestConvStateDoubles(OdynNet net, PetscInt nin, PetscInt s, char *view, size_t len);
/* Taylor and dot-product tests of the backend path on its own (OdynTestNetDerivatives()), s examples */
void OdynTestConvDerivatives(PetscInt cin, PetscInt nb, const PetscInt N[], PetscInt c, PetscInt ih, PetscInt iw, PetscReal T, PetscInt s, const char *label);
/* The MNIST network in small (opening conv 1 -> 4, block 1 of layer ltype with the options extra) trained on the host
   and on the backend: the same objective history, within tol (relative) */
void OdynTestConvTrainHistory(const char *ltype, const char *extra, PetscReal tol);
/* a network of an opening block (cin > 0) and one block of the kind set, 4 channels of 4 x 4, 2 steps: its block 0 sets
   up on the backend */
void OdynTestConvExpectSetUp(PetscInt cin);
/* a network of one block of the kind set (c channels of 4 x 4, 2 steps) on the backend: its set-up fails, saying needle */
void OdynTestConvExpectSetUpFails(PetscInt c, const char *needle);
/* set on the backend, net's set-up fails with PETSC_ERR_SUP naming block 0 and needle (what it is); destroys net */
void OdynTestConvExpectRefused(OdynNet net, const char *needle);
/* a network whose block 0 (scheme `scheme`, layer ltype, k x k stencils, c -> c2 channels of 4 x 4, 2 steps; scheme
   single: one step; layer dense: 16 wide) the backend cannot run: OdynTestConvExpectRefused() */
void OdynTestConvRefuseBlock(const char *scheme, const char *ltype, PetscInt k, PetscInt c, PetscInt c2, OdynActivationType act, PetscBool tv, PetscBool pool, PetscBool shared, const char *needle);

/* every setting of the functions above back to its start; OdynTestConvCaseMain() runs it before each test */
void OdynTestConvReset(void);

/* main() of such a test (backendtest.h: skipped on cuda without a device): its n tests on this build's backend */
static inline int OdynTestConvCaseMain(int argc, char **argv, const char *prog, int n, const TTest *const tests[])
{
  OdynTestConvCaseSet(prog, ODYN_TEST_CONV_BACKEND, ODYN_TEST_CONV_TOL_SWEEP, ODYN_TEST_CONV_TOL_ANTISYM);
  OdynTestSetListSetup(OdynTestConvReset);
  return OdynTestBackendMain(argc, argv, strncmp(prog, "test_", 5) ? prog : prog + 5, ODYN_TEST_CONV_BACKEND, n, tests);
}

#endif
