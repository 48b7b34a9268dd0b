/*
  The classifier and the loss function on a compute backend (OdynLossSetBackend(); src/losses/lossbackend.c): the
  scores, the loss function (value, G, H_Z products) and every product with the features run in backend memory,
  against mirrors of the features and targets made once per data.

  Built twice from this file: test_lossbackend (label unit) with the backend "hostref", and
  tests/gpu/test_gpu_lossbackend.c (label gpu) with "cuda". For the three losses (softmax, logistic, lsq) and the
  identity classifier, on 1 and 2 ranks, with the examples spread and all on rank 0:
  - parity with the host loss on the same data: value, gradient in the weights and in the features, Hessian products in
    the weights (several, as Newton-PCG takes them) and in the features, the accuracy on the data;
  - the bytes copied host -> backend and back are exactly: the features once per data (nf s) and the targets once
    (nc s) however many products follow, per product only weight-sized vectors; with host Vecs of the features' size
    (the features' gradient, the features-Hessian product, which then run on the host) G for the gradient and the
    scores once per linearization (nc s each), which the accuracy needs too; none for the identity classifier (no
    GEMM) or a loss type without a backend function (both run on the host);
  - after the features' entries change, the mirror is made again (another nf s) and the results follow the host's;
  - the backend's name is checked (an unknown one lists the known ones).

  Expected copies in round r = 1, 2 (s local examples > 0, nw = nf nc + nc; Evaluate with both gradients, the
  accuracy, k weights-Hessian products at the same weights and one features-Hessian product), summed over the rounds:
    to the backend   nc s (the targets, once) + r (nf s + nw + k nw) (features, weights, directions)
    to the host      r (nw + nc s + nc s + k nw) (gradient in the weights, G, the scores, the products)
  With s = 0: none.

  Bounds. hostref 0: the table's gemm, add_bias and rowsum_add are the host path's kernels on the same operands, and
  its loss functions the host types' per-example functions (lossfn.h) in the same order. cuda 1e-12 relative: cuBLAS
  sums the nf products of a score and the s of a weight entry in another order (and with FMAs) than OpenBLAS; the
  device's exp / log / log1p differ from glibc's by an ulp or two, and its value is a tree sum of the s nc terms
  (all >= 0 for these losses: no cancellation); for these sizes (nf <= 40, s <= 60, entries O(1)) each is a few ulps
  times the length of the sum, far below 1e-12.
*/
#include "backendtest.h"
#include <odyn/private/lossimpl.h>

#if defined(ODYN_TEST_GPU_BUILD)
static const char *backend = "cuda";
static PetscReal   tol     = 1e-12;
#else
static const char *backend = "hostref";
static PetscReal   tol     = 0.0;
#endif

/* targets of this rank's examples, from their global index: one-hot (softmax), {0, 1} (logistic), reals (lsq) */
static PetscErrorCode FillTargets(OdynLossType type, PetscInt nc, Vec C)
{
  PetscScalar *c;
  PetscInt     rstart, rend;

  PetscFunctionBegin;
  if (!strcmp(type, ODYNLOSSSOFTMAX)) PetscCall(OdynTestOneHotVec(nc, C));
  else if (!strcmp(type, ODYNLOSSLSQ)) PetscCall(OdynTestRandomVec(17, 1.0, C));
  else {
    PetscCall(VecGetOwnershipRange(C, &rstart, &rend));
    PetscCall(VecGetArray(C, &c));
    for (PetscInt i = rstart; i < rend; i++) c[i - rstart] = (PetscScalar)((i / nc * 5 + i % nc * 3) % 2);
    PetscCall(VecRestoreArray(C, &c));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode MakeLoss(OdynLossType type, PetscInt nf, PetscInt nc, PetscBool identity, const char *bk, OdynLoss *loss)
{
  PetscFunctionBegin;
  PetscCall(OdynLossCreate(PETSC_COMM_WORLD, loss));
  PetscCall(OdynLossSetType(*loss, type));
  PetscCall(OdynLossSetNumFeatures(*loss, nf));
  PetscCall(OdynLossSetNumClasses(*loss, nc));
  if (identity) PetscCall(OdynLossSetIdentityClassifier(*loss, PETSC_TRUE));
  PetscCall(OdynLossSetBackend(*loss, bk));
  PetscFunctionReturn(0);
}

static void Expect(const char *label, const char *what, Vec a, Vec b) { OdynTestExpectClose(label, what, backend, tol, a, b); }

static void ExpectTraffic(OdynLoss loss, PetscLogDouble xdev, PetscLogDouble xhost, const char *label, const char *when)
{
  PetscLogDouble todev, tohost;

  ODYN_CK(OdynLossBackendGetTraffic_Private(loss, &todev, &tohost));
  ck_assert_msg(todev == 8 * xdev && tohost == 8 * xhost, "%s on %s, %s: copied %g bytes to the backend and %g back, expected %g and %g", label, backend, when, todev, tohost, 8 * xdev, 8 * xhost);
}

/* the host loss and the backend loss on the same data: every product, twice (the second time after Y changed) */
static void Case(OdynLossType type, PetscInt nf, PetscInt nc, PetscBool identity, PetscInt sglobal, PetscInt split, const char *label)
{
  const PetscInt k = 3; /* weights-Hessian products per round */
  OdynLoss       lh, lb;
  Vec            w, v, Y, dY, C, gwh, gwb, gYh, gYb, Hvh, Hvb, HdYh, HdYb;
  PetscReal      fh, fb;
  PetscInt       s, nw;

  ODYN_CK(MakeLoss(type, nf, nc, identity, ODYNBACKENDHOST, &lh));
  ODYN_CK(MakeLoss(type, nf, nc, identity, backend, &lb));
  ODYN_CK(OdynLossCreateWeightVec(lh, &w));
  ODYN_CK(VecGetSize(w, &nw));
  ODYN_CK(VecDuplicate(w, &v));
  ODYN_CK(VecDuplicate(w, &gwh));
  ODYN_CK(VecDuplicate(w, &gwb));
  ODYN_CK(VecDuplicate(w, &Hvh));
  ODYN_CK(VecDuplicate(w, &Hvb));
  ODYN_CK(OdynTestStateVec(nf, sglobal, split, &Y));
  ODYN_CK(OdynTestStateVec(nc, sglobal, split, &C));
  ODYN_CK(VecDuplicate(Y, &dY));
  ODYN_CK(VecDuplicate(Y, &gYh));
  ODYN_CK(VecDuplicate(Y, &gYb));
  ODYN_CK(VecDuplicate(Y, &HdYh));
  ODYN_CK(VecDuplicate(Y, &HdYb));
  ODYN_CK(OdynTestRandomVec(11, 0.5, w));
  ODYN_CK(OdynTestRandomVec(12, 1.0, v));
  ODYN_CK(OdynTestRandomVec(13, 1.0, Y));
  ODYN_CK(OdynTestRandomVec(14, 1.0, dY));
  ODYN_CK(FillTargets(type, nc, C));
  ODYN_CK(VecGetLocalSize(Y, &s));
  s /= nf;
  ODYN_CK(OdynLossSetData(lh, Y, C));
  ODYN_CK(OdynLossSetData(lb, Y, C));
  for (int round = 0; round < 2; round++) {
    const PetscLogDouble r = round + 1, nws = identity || !s ? 0 : nw;

    if (round) ODYN_CK(VecScale(Y, 0.75)); /* the features change: both losses must see it */
    ODYN_CK(OdynLossEvaluate(lh, w, &fh, gwh, gYh));
    ODYN_CK(OdynLossEvaluate(lb, w, &fb, gwb, gYb));
    ck_assert_msg(PetscAbsReal(fb - fh) <= tol * PetscAbsReal(fh), "%s on %s: loss value %.17g, host %.17g", label, backend, (double)fb, (double)fh);
    if (!identity) Expect(label, "gradient in the weights", gwb, gwh);
    Expect(label, "gradient in the features", gYb, gYh);
    { /* the accuracy on the data: the labels of the scores made on the backend */
      PetscReal ah, ab;

      ODYN_CK(OdynLossGetAccuracy(lh, w, NULL, NULL, &ah));
      ODYN_CK(OdynLossGetAccuracy(lb, w, NULL, NULL, &ab));
      ck_assert_msg(ab == ah, "%s on %s: accuracy %g, host %g", label, backend, (double)ab, (double)ah);
    }
    for (PetscInt j = 0; j < k; j++) {
      ODYN_CK(VecScale(v, -1.1)); /* another direction each time */
      ODYN_CK(OdynLossHessianMultWeights(lh, w, v, Hvh));
      ODYN_CK(OdynLossHessianMultWeights(lb, w, v, Hvb));
      if (!identity) Expect(label, "Hessian product in the weights", Hvb, Hvh);
    }
    ODYN_CK(OdynLossHessianMultFeatures(lh, w, dY, HdYh));
    ODYN_CK(OdynLossHessianMultFeatures(lb, w, dY, HdYb));
    Expect(label, "Hessian product in the features", HdYb, HdYh);
    if (identity || !s) ExpectTraffic(lb, 0, 0, label, "no GEMM or no example");
    else {
      const PetscLogDouble fs = (PetscLogDouble)nf * s, cs = (PetscLogDouble)nc * s;

      ExpectTraffic(lb, cs + r * (fs + (k + 1) * nws), r * (2 * cs + (k + 1) * nws), label, round ? "after the features changed" : "first data");
    }
  }
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "test_lossbackend: %s on %s: every product within %.0e of host, the features copied once per data\n", label, backend, (double)tol));
  ODYN_CK(VecDestroy(&w));
  ODYN_CK(VecDestroy(&v));
  ODYN_CK(VecDestroy(&Y));
  ODYN_CK(VecDestroy(&dY));
  ODYN_CK(VecDestroy(&C));
  ODYN_CK(VecDestroy(&gwh));
  ODYN_CK(VecDestroy(&gwb));
  ODYN_CK(VecDestroy(&gYh));
  ODYN_CK(VecDestroy(&gYb));
  ODYN_CK(VecDestroy(&Hvh));
  ODYN_CK(VecDestroy(&Hvb));
  ODYN_CK(VecDestroy(&HdYh));
  ODYN_CK(VecDestroy(&HdYb));
  ODYN_CK(OdynLossDestroy(&lh));
  ODYN_CK(OdynLossDestroy(&lb));
}

START_TEST(test_parity)
{
  for (PetscInt split = 0; split < 2; split++) {
    Case(ODYNLOSSSOFTMAX, 40, 5, PETSC_FALSE, 60, split, split ? "softmax (nf 40, nc 5), examples on rank 0" : "softmax (nf 40, nc 5)");
    Case(ODYNLOSSLOGISTIC, 12, 3, PETSC_FALSE, 45, split, split ? "logistic (nf 12, nc 3), examples on rank 0" : "logistic (nf 12, nc 3)");
    Case(ODYNLOSSLSQ, 7, 2, PETSC_FALSE, 33, split, split ? "lsq (nf 7, nc 2), examples on rank 0" : "lsq (nf 7, nc 2)");
    Case(ODYNLOSSLSQ, 6, 2, PETSC_TRUE, 20, split, split ? "lsq, identity classifier (nf 6, nc 2), examples on rank 0" : "lsq, identity classifier (nf 6, nc 2)");
  }
}
END_TEST

/* a loss type of the user's (half the squared error, without a backend function in lossfn.h) */
static PetscErrorCode UserValue(OdynLoss loss, PetscInt s, const PetscScalar *Z, const PetscScalar *C, PetscReal *sum, PetscScalar *G)
{
  PetscFunctionBegin;
  *sum = 0;
  for (PetscInt i = 0; i < loss->nc * s; i++) {
    *sum += 0.5 * PetscRealPart((Z[i] - C[i]) * (Z[i] - C[i]));
    if (G) G[i] = Z[i] - C[i];
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode UserHessMult(OdynLoss loss, PetscInt s, const PetscScalar *Z, const PetscScalar *C, const PetscScalar *dZ, PetscScalar *H)
{
  PetscFunctionBegin;
  PetscCall(PetscArraycpy(H, dZ, loss->nc * s));
  PetscFunctionReturn(0);
}

static PetscErrorCode UserCreate(OdynLoss loss)
{
  PetscFunctionBegin;
  loss->ops->value    = UserValue;
  loss->ops->hessmult = UserHessMult;
  PetscFunctionReturn(0);
}

/* a loss type without a backend function runs on the host whatever the backend: the same results, nothing copied */
START_TEST(test_user_type)
{
  OdynLoss    lh, lb;
  Vec         w, Y, C, gwh, gwb;
  PetscReal             fh, fb;
  const OdynBackendOps *ops;

  ODYN_CK(OdynLossRegister("test-user-lsq", UserCreate));
  ODYN_CK(MakeLoss("test-user-lsq", 5, 2, PETSC_FALSE, ODYNBACKENDHOST, &lh));
  ODYN_CK(MakeLoss("test-user-lsq", 5, 2, PETSC_FALSE, backend, &lb));
  ODYN_CK(OdynLossCreateWeightVec(lh, &w));
  ODYN_CK(VecDuplicate(w, &gwh));
  ODYN_CK(VecDuplicate(w, &gwb));
  ODYN_CK(OdynTestStateVec(5, 24, 0, &Y));
  ODYN_CK(OdynTestStateVec(2, 24, 0, &C));
  ODYN_CK(OdynTestRandomVec(21, 0.5, w));
  ODYN_CK(OdynTestRandomVec(22, 1.0, Y));
  ODYN_CK(OdynTestRandomVec(23, 1.0, C));
  ODYN_CK(OdynLossSetData(lh, Y, C));
  ODYN_CK(OdynLossSetData(lb, Y, C));
  ODYN_CK(OdynLossEvaluate(lh, w, &fh, gwh, NULL));
  ODYN_CK(OdynLossEvaluate(lb, w, &fb, gwb, NULL));
  ck_assert_msg(fb == fh, "user type on %s: loss value %.17g, host %.17g", backend, (double)fb, (double)fh);
  OdynTestExpectClose("user type", "gradient in the weights", backend, 0.0, gwb, gwh);
  ExpectTraffic(lb, 0, 0, "user type", "no backend function");
  ODYN_CK(OdynLossGetBackendOps_Private(lb, &ops));
  ck_assert_msg(!ops, "a user type on %s reports a backend for its products", backend);
  ODYN_CK(VecDestroy(&w));
  ODYN_CK(VecDestroy(&gwh));
  ODYN_CK(VecDestroy(&gwb));
  ODYN_CK(VecDestroy(&Y));
  ODYN_CK(VecDestroy(&C));
  ODYN_CK(OdynLossDestroy(&lh));
  ODYN_CK(OdynLossDestroy(&lb));
}
END_TEST

START_TEST(test_errors)
{
  OdynLoss        loss;
  OdynBackendType name;

  ODYN_CK(OdynLossCreate(PETSC_COMM_WORLD, &loss));
  ODYN_CK(OdynLossGetBackend(loss, &name));
  ck_assert_str_eq(name, ODYNBACKENDHOST);
  odyn_ck_error_contains(OdynLossSetBackend(loss, "opencl"), "the known backends are host, hostref, cuda");
  ODYN_CK(OdynLossSetBackend(loss, backend));
  ODYN_CK(OdynLossGetBackend(loss, &name));
  ck_assert_str_eq(name, backend);
  ODYN_CK(OdynLossDestroy(&loss));
}
END_TEST

int main(int argc, char **argv)
{
  const TTest *const tests[] = {test_errors, test_user_type, test_parity};

  return OdynTestBackendMain(argc, argv, "lossbackend", backend, (int)(sizeof(tests) / sizeof(tests[0])), tests);
}
