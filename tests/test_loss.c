/*
  Conformance of every registered OdynLoss: Taylor tests of the value and of both gradients (w.r.t. wmu and YN),
  symmetry of both Hessians, agreement of the parallel result with a serial evaluation of the same global data,
  accuracy on hand-made cases, and the error messages.
*/
#include <string.h>
#include "odyntest.h"

/* A verdict taken on every rank's own part must be the same on all ranks, or a failing rank leaves the others in a
   collective call. */
static PetscBool AllOk(PetscBool ok)
{
  int l = ok ? 1 : 0, g = 0;
  MPI_Allreduce(&l, &g, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
  return g ? PETSC_TRUE : PETSC_FALSE;
}

typedef struct {
  OdynLoss loss;
  Vec      w, dw, wp, g, Y, dY, Yp, C;
  PetscInt which; /* 0: value in w, 1: value in Y, 2: gradient in w, 3: gradient in Y */
} Ctx;

/* Fills the targets of the examples owned by this rank: one-hot (softmax), {0,1} (logistic), reals (lsq). */
static PetscErrorCode FillTargets(const char *type, PetscInt nc, PetscInt sglobal, Vec C)
{
  PetscScalar *c, *r;
  PetscInt     rstart, rend;

  PetscFunctionBegin;
  if (!strcmp(type, ODYNLOSSLSQ)) {
    PetscCall(OdynTestRandomVec(17, 1.0, C));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscMalloc1(sglobal, &r));
  PetscCall(OdynTestRandom(17, sglobal, 1.0, r));
  PetscCall(VecGetOwnershipRange(C, &rstart, &rend));
  PetscCall(VecGetArray(C, &c));
  for (PetscInt e = rstart / nc; e < rend / nc; e++) {
    PetscScalar *ce = c + (e - rstart / nc) * nc;
    if (!strcmp(type, ODYNLOSSLOGISTIC)) {
      for (PetscInt k = 0; k < nc; k++) ce[k] = PetscRealPart(r[(e + k) % sglobal]) > 0 ? 1.0 : 0.0;
    } else {
      PetscInt label = (PetscInt)((PetscRealPart(r[e]) + 1) / 2 * nc);
      for (PetscInt k = 0; k < nc; k++) ce[k] = k == PetscMin(label, nc - 1) ? 1.0 : 0.0;
    }
  }
  PetscCall(VecRestoreArray(C, &c));
  PetscCall(PetscFree(r));
  PetscFunctionReturn(0);
}

static PetscErrorCode CopyLocal(Vec v, PetscScalar out[])
{
  const PetscScalar *a;
  PetscInt           n;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(v, &n));
  PetscCall(VecGetArrayRead(v, &a));
  PetscCall(PetscArraycpy(out, a, n));
  PetscCall(VecRestoreArrayRead(v, &a));
  PetscFunctionReturn(0);
}

static PetscErrorCode Perturbed(void *ctx, PetscReal eps, PetscScalar out[])
{
  Ctx      *c   = (Ctx *)ctx;
  PetscBool inW = c->which % 2 == 0;
  PetscReal f;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(c->wp, inW ? eps : 0.0, c->dw, c->w));
  PetscCall(VecWAXPY(c->Yp, inW ? 0.0 : eps, c->dY, c->Y)); /* the loss sees the new state of its data Vec Yp */
  if (c->which < 2) {
    PetscCall(OdynLossEvaluate(c->loss, c->wp, &f, NULL, NULL));
    out[0] = f;
  } else {
    PetscCall(OdynLossEvaluate(c->loss, c->wp, NULL, inW ? c->g : NULL, inW ? NULL : c->g));
    PetscCall(CopyLocal(c->g, out));
  }
  PetscFunctionReturn(0);
}

/* Evaluates everything on comm for the global data of the seeds; results are returned gathered on every rank. */
static PetscErrorCode EvaluateAll(MPI_Comm comm, const char *type, PetscInt nf, PetscInt nc, PetscInt s, PetscReal *f, Vec out[4])
{
  OdynLoss   loss;
  Vec        w, v, Y, dY, C, gw, gY, Hv, HdY, res[4];
  PetscInt   sl = PETSC_DECIDE;
  VecScatter sc;

  PetscFunctionBegin;
  PetscCall(PetscSplitOwnership(comm, &sl, &s));
  PetscCall(OdynLossCreate(comm, &loss));
  PetscCall(OdynLossSetType(loss, type));
  PetscCall(OdynLossSetNumFeatures(loss, nf));
  PetscCall(OdynLossSetNumClasses(loss, nc));
  PetscCall(OdynLossCreateWeightVec(loss, &w));
  PetscCall(VecDuplicate(w, &v));
  PetscCall(VecDuplicate(w, &gw));
  PetscCall(VecDuplicate(w, &Hv));
  PetscCall(VecCreateMPI(comm, nf * sl, PETSC_DETERMINE, &Y));
  PetscCall(VecDuplicate(Y, &dY));
  PetscCall(VecDuplicate(Y, &gY));
  PetscCall(VecDuplicate(Y, &HdY));
  PetscCall(VecCreateMPI(comm, nc * sl, PETSC_DETERMINE, &C));
  PetscCall(OdynTestRandomVec(11, 1.0, w));
  PetscCall(OdynTestRandomVec(12, 1.0, v));
  PetscCall(OdynTestRandomVec(13, 1.5, Y));
  PetscCall(OdynTestRandomVec(14, 1.0, dY));
  PetscCall(FillTargets(type, nc, s, C));
  PetscCall(OdynLossSetData(loss, Y, C));
  PetscCall(OdynLossEvaluate(loss, w, f, gw, gY));
  PetscCall(OdynLossHessianMultWeights(loss, w, v, Hv));
  PetscCall(OdynLossHessianMultFeatures(loss, w, dY, HdY));
  res[0] = gw;
  res[1] = gY;
  res[2] = Hv;
  res[3] = HdY;
  for (PetscInt i = 0; i < 4; i++) {
    PetscCall(VecScatterCreateToAll(res[i], &sc, &out[i]));
    PetscCall(VecScatterBegin(sc, res[i], out[i], INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, res[i], out[i], INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(VecDestroy(&res[i]));
  }
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&v));
  PetscCall(VecDestroy(&Y));
  PetscCall(VecDestroy(&dY));
  PetscCall(VecDestroy(&C));
  PetscCall(OdynLossDestroy(&loss));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckType(const char *type)
{
  const PetscInt    nf = 3, nc = strcmp(type, ODYNLOSSLOGISTIC) ? 4 : 1;
  PetscInt          s  = 9, sl = PETSC_DECIDE, nw, ny;
  Ctx               c = {0};
  Vec               Hv, Hu, u, HdY, HdZ, dZ, par[4], ser[4];
  PetscReal         f0, fs, fp;
  PetscScalar       a, b, df, *F0, *J;
  OdynTaylorOptions opt;
  char              label[128];

  PetscFunctionBegin;
  PetscCall(PetscSplitOwnership(PETSC_COMM_WORLD, &sl, &s));
  PetscCall(OdynLossCreate(PETSC_COMM_WORLD, &c.loss));
  PetscCall(OdynLossSetType(c.loss, type));
  PetscCall(OdynLossSetNumFeatures(c.loss, nf));
  PetscCall(OdynLossSetNumClasses(c.loss, nc));
  PetscCall(OdynLossSetFromOptions(c.loss));
  PetscCall(OdynLossCreateWeightVec(c.loss, &c.w));
  PetscCall(VecDuplicate(c.w, &c.dw));
  PetscCall(VecDuplicate(c.w, &c.wp));
  PetscCall(VecDuplicate(c.w, &u));
  PetscCall(VecDuplicate(c.w, &Hv));
  PetscCall(VecDuplicate(c.w, &Hu));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, nf * sl, PETSC_DETERMINE, &c.Y));
  PetscCall(VecDuplicate(c.Y, &c.dY));
  PetscCall(VecDuplicate(c.Y, &c.Yp));
  PetscCall(VecDuplicate(c.Y, &HdY));
  PetscCall(VecDuplicate(c.Y, &dZ));
  PetscCall(VecDuplicate(c.Y, &HdZ));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, nc * sl, PETSC_DETERMINE, &c.C));
  PetscCall(OdynTestRandomVec(11, 1.0, c.w));
  PetscCall(OdynTestRandomVec(12, 1.0, c.dw));
  PetscCall(OdynTestRandomVec(13, 1.5, c.Y));
  PetscCall(OdynTestRandomVec(14, 1.0, c.dY));
  PetscCall(OdynTestRandomVec(15, 1.0, u));
  PetscCall(OdynTestRandomVec(16, 1.0, dZ));
  PetscCall(FillTargets(type, nc, s, c.C));
  PetscCall(VecCopy(c.Y, c.Yp));
  PetscCall(OdynLossSetData(c.loss, c.Yp, c.C));
  PetscCall(VecGetLocalSize(c.w, &nw));
  PetscCall(VecGetLocalSize(c.Y, &ny));
  PetscCall(PetscMalloc2(PetscMax(nw, ny) + 1, &F0, PetscMax(nw, ny) + 1, &J));
  OdynTaylorOptionsDefault(&opt);
  opt.eps0 = 0.01; /* the first-order term of a random direction can be small: start where it dominates */

  /* value: the gradients give the first-order terms */
  for (c.which = 0; c.which < 2; c.which++) {
    Vec gv = c.which == 0 ? Hv : HdY, dir = c.which == 0 ? c.dw : c.dY;
    PetscCall(VecCopy(c.Y, c.Yp));
    PetscCall(OdynLossEvaluate(c.loss, c.w, &f0, c.which == 0 ? gv : NULL, c.which == 1 ? gv : NULL));
    PetscCall(VecDot(gv, dir, &df));
    F0[0] = f0;
    J[0]  = df;
    PetscCall(PetscSNPrintf(label, sizeof(label), "%s value d/d%s", type, c.which == 0 ? "wmu" : "YN"));
    ck_assert_msg(AllOk(OdynTaylorTest(label, 1, F0, J, Perturbed, &c, &opt)), "Taylor test failed: %s", label);
  }
  /* gradients: the Hessian products give the first-order terms */
  for (c.which = 2; c.which < 4; c.which++) {
    PetscBool inW = c.which == 2;
    PetscCall(VecDestroy(&c.g));
    PetscCall(VecDuplicate(inW ? c.w : c.Y, &c.g));
    PetscCall(VecCopy(c.Y, c.Yp));
    PetscCall(OdynLossEvaluate(c.loss, c.w, NULL, inW ? c.g : NULL, inW ? NULL : c.g));
    PetscCall(CopyLocal(c.g, F0));
    if (inW) PetscCall(OdynLossHessianMultWeights(c.loss, c.w, c.dw, Hv));
    else PetscCall(OdynLossHessianMultFeatures(c.loss, c.w, c.dY, HdY));
    PetscCall(CopyLocal(inW ? Hv : HdY, J));
    PetscCall(PetscSNPrintf(label, sizeof(label), "%s gradient d/d%s", type, inW ? "wmu" : "YN"));
    ck_assert_msg(AllOk(OdynTaylorTest(label, inW ? nw : ny, F0, J, Perturbed, &c, &opt)), "Taylor test failed: %s", label);
  }
  /* both Hessians are symmetric: <u, H v> = <v, H u> */
  PetscCall(VecCopy(c.Y, c.Yp));
  PetscCall(OdynLossHessianMultWeights(c.loss, c.w, c.dw, Hv));
  PetscCall(OdynLossHessianMultWeights(c.loss, c.w, u, Hu));
  PetscCall(VecDot(u, Hv, &a));
  PetscCall(VecDot(c.dw, Hu, &b));
  ck_assert_msg(PetscAbsScalar(a - b) <= 1e-12 * PetscMax(PetscAbsScalar(a), PetscAbsScalar(b)), "%s: weight Hessian not symmetric: %.16e vs %.16e", type, (double)a, (double)b);
  PetscCall(VecDot(u, Hu, &a));
  ck_assert_msg(PetscRealPart(a) > -1e-14, "%s: <u, H u> = %g should not be negative (convex loss)", type, (double)PetscRealPart(a));
  PetscCall(OdynLossHessianMultFeatures(c.loss, c.w, c.dY, HdY));
  PetscCall(OdynLossHessianMultFeatures(c.loss, c.w, dZ, HdZ));
  PetscCall(VecDot(dZ, HdY, &a));
  PetscCall(VecDot(c.dY, HdZ, &b));
  ck_assert_msg(PetscAbsScalar(a - b) <= 1e-12 * PetscMax(PetscAbsScalar(a), PetscAbsScalar(b)), "%s: feature Hessian not symmetric: %.16e vs %.16e", type, (double)a, (double)b);

  /* the parallel result equals a serial evaluation of the same global data (on 1 rank: trivially) */
  PetscCall(EvaluateAll(PETSC_COMM_WORLD, type, nf, nc, s, &fp, par));
  PetscCall(EvaluateAll(PETSC_COMM_SELF, type, nf, nc, s, &fs, ser));
  ck_assert_msg(PetscAbsReal(fp - fs) <= 1e-13 * PetscAbsReal(fs), "%s: parallel value %.16e, serial %.16e", type, (double)fp, (double)fs);
  for (PetscInt i = 0; i < 4; i++) {
    PetscReal ns, nd;
    PetscCall(VecNorm(ser[i], NORM_INFINITY, &ns));
    PetscCall(VecAXPY(par[i], -1.0, ser[i]));
    PetscCall(VecNorm(par[i], NORM_INFINITY, &nd));
    ck_assert_msg(nd <= 1e-13 * ns, "%s: parallel and serial result %" PetscInt_FMT " differ by %.3e (norm %.3e)", type, i, (double)nd, (double)ns);
    PetscCall(VecDestroy(&par[i]));
    PetscCall(VecDestroy(&ser[i]));
  }

  { /* the viewer runs (its text is not checked here) */
    PetscViewer viewer;
    PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, "/dev/null", &viewer));
    PetscCall(OdynLossView(c.loss, viewer));
    PetscCall(PetscViewerDestroy(&viewer));
  }
  PetscCall(PetscFree2(F0, J));
  PetscCall(VecDestroy(&c.g));
  PetscCall(VecDestroy(&c.w));
  PetscCall(VecDestroy(&c.dw));
  PetscCall(VecDestroy(&c.wp));
  PetscCall(VecDestroy(&u));
  PetscCall(VecDestroy(&Hv));
  PetscCall(VecDestroy(&Hu));
  PetscCall(VecDestroy(&c.Y));
  PetscCall(VecDestroy(&c.dY));
  PetscCall(VecDestroy(&c.Yp));
  PetscCall(VecDestroy(&HdY));
  PetscCall(VecDestroy(&dZ));
  PetscCall(VecDestroy(&HdZ));
  PetscCall(VecDestroy(&c.C));
  PetscCall(OdynLossDestroy(&c.loss));
  PetscFunctionReturn(0);
}

START_TEST(test_all_losses)
{
  const char **names;
  int          n = 0, tested = 0;

  ODYN_CK(OdynInitializePackage());
  /* walk the registry: a newly registered loss is tested here without editing this file */
  ODYN_CK(PetscFunctionListGet(OdynLossList, &names, &n));
  /* PETSc 3.18 NULL-terminates the array and counts the NULL in n */
  for (int i = 0; i < n && names[i]; i++, tested++) ODYN_CK(CheckType(names[i]));
  ck_assert_int_ge(tested, 3);
  ODYN_CK(PetscFree(names));
}
END_TEST


/* Fills the local part of v (examples of width m) from the global array a. */
static PetscErrorCode SetLocal(Vec v, const PetscScalar a[])
{
  PetscInt     rstart, rend;
  PetscScalar *x;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(v, &rstart, &rend));
  PetscCall(VecGetArray(v, &x));
  PetscCall(PetscArraycpy(x, a + rstart, rend - rstart));
  PetscCall(VecRestoreArray(v, &x));
  PetscFunctionReturn(0);
}

/* A tiny case worked out by hand: 4 examples, predictions and accuracy 3/4. */
static PetscErrorCode HandCase(const char *type, PetscInt nf, PetscInt nc, const PetscScalar wmu[], const PetscScalar Y[], const PetscScalar C[], const PetscInt expect[])
{
  OdynLoss  loss;
  Vec       w, Yv, Cv;
  PetscInt  s = 4, sl = PETSC_DECIDE, lab[4], rstart;
  PetscReal acc;

  PetscFunctionBegin;
  PetscCall(PetscSplitOwnership(PETSC_COMM_WORLD, &sl, &s));
  PetscCall(OdynLossCreate(PETSC_COMM_WORLD, &loss));
  PetscCall(OdynLossSetType(loss, type));
  PetscCall(OdynLossSetNumFeatures(loss, nf));
  PetscCall(OdynLossSetNumClasses(loss, nc));
  PetscCall(OdynLossCreateWeightVec(loss, &w));
  PetscCall(SetLocal(w, wmu));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, nf * sl, PETSC_DETERMINE, &Yv));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, nc * sl, PETSC_DETERMINE, &Cv));
  PetscCall(SetLocal(Yv, Y));
  PetscCall(SetLocal(Cv, C));
  PetscCall(OdynLossGetAccuracy(loss, w, Yv, Cv, &acc));
  ck_assert_msg(PetscAbsReal(acc - 0.75) < 1e-15, "%s: accuracy %g, expected 0.75", type, (double)acc);
  PetscCall(OdynLossPredict(loss, w, Yv, lab));
  PetscCall(VecGetOwnershipRange(Yv, &rstart, NULL));
  {
    PetscBool ok = PETSC_TRUE;
    for (PetscInt e = 0; e < sl; e++) ok = (PetscBool)(ok && lab[e] == expect[rstart / nf + e]);
    ck_assert_msg(AllOk(ok), "%s: wrong predicted classes on some rank", type);
  }
  /* the same through the data set */
  PetscCall(OdynLossSetData(loss, Yv, Cv));
  PetscCall(OdynLossGetAccuracy(loss, w, NULL, NULL, &acc));
  ck_assert_msg(PetscAbsReal(acc - 0.75) < 1e-15, "%s: accuracy on the data set %g, expected 0.75", type, (double)acc);
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&Yv));
  PetscCall(VecDestroy(&Cv));
  PetscCall(OdynLossDestroy(&loss));
  PetscFunctionReturn(0);
}

START_TEST(test_accuracy)
{
  /* softmax, nf = 2, nc = 3: scores (y1, y2, -y1 - y2); targets 0, 1, 2, 1: the last example is wrong */
  const PetscScalar wS[] = {1, 0, 0, 1, -1, -1, 0, 0, 0}, YS[] = {2, 0, 0, 2, -1, -1, 1, 0.5}, CS[] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0};
  const PetscInt    pS[] = {0, 1, 2, 0};
  /* logistic, nf = nc = 1: score y - 1/2; targets 1, 0, 1, 1: the third example is wrong */
  const PetscScalar wL[] = {1, -0.5}, YL[] = {1, 0, 0.2, 2}, CL[] = {1, 0, 1, 1};
  const PetscInt    pL[] = {1, 0, 0, 1};

  ODYN_CK(HandCase(ODYNLOSSSOFTMAX, 2, 3, wS, YS, CS, pS));
  ODYN_CK(HandCase(ODYNLOSSLOGISTIC, 1, 1, wL, YL, CL, pL));
}
END_TEST

START_TEST(test_errors)
{
  OdynLoss     loss;
  Vec          w, wbad, Y, Ybad, C, Cbad, Cmore;
  PetscInt     s = 6, sl = PETSC_DECIDE;
  PetscReal    f;
  PetscScalar *c;

  ODYN_CK(PetscSplitOwnership(PETSC_COMM_WORLD, &sl, &s));
  ODYN_CK(OdynLossCreate(PETSC_COMM_WORLD, &loss));
  odyn_ck_error_contains(OdynLossSetType(loss, "nosuchloss"), "Unknown OdynLoss type");
  odyn_ck_error_contains(OdynLossSetUp(loss), "OdynLossSetNumFeatures");
  ODYN_CK(OdynLossSetNumFeatures(loss, 2));
  ODYN_CK(OdynLossSetNumClasses(loss, 1));
  odyn_ck_error_contains(OdynLossSetUp(loss), "at least 2 classes");
  ODYN_CK(OdynLossSetNumClasses(loss, 3));
  ODYN_CK(OdynLossCreateWeightVec(loss, &w));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, 8, &wbad));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, 2 * sl, PETSC_DETERMINE, &Y));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, 2 * sl + 1, PETSC_DETERMINE, &Ybad));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, 3 * sl, PETSC_DETERMINE, &C));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, 3 * (sl + 1), PETSC_DETERMINE, &Cmore));
  ODYN_CK(VecDuplicate(C, &Cbad));
  ODYN_CK(OdynTestRandomVec(3, 1.0, Y));
  ODYN_CK(FillTargets(ODYNLOSSSOFTMAX, 3, s, C));
  ODYN_CK(VecCopy(C, Cbad));
  ODYN_CK(VecGetArray(Cbad, &c));
  c[0] = 2.0; /* a class label that is not one-hot, on every rank */
  ODYN_CK(VecRestoreArray(Cbad, &c));
  odyn_ck_error_contains(OdynLossEvaluate(loss, w, &f, NULL, NULL), "OdynLossSetData");
  odyn_ck_error_contains(OdynLossSetData(loss, Ybad, C), "not a multiple of the number of features");
  odyn_ck_error_contains(OdynLossSetData(loss, Y, Cmore), "local examples");
  odyn_ck_error_contains(OdynLossSetData(loss, Y, Cbad), "out of range");
  ODYN_CK(OdynLossSetData(loss, Y, C));
  odyn_ck_error_contains(OdynLossEvaluate(loss, wbad, &f, NULL, NULL), "OdynLossCreateWeightVec");
  ODYN_CK(OdynLossEvaluate(loss, w, &f, NULL, NULL));
  ck_assert_msg(PetscAbsReal(f - PetscLogReal(3.0)) < 1e-14, "zero weights give log(nc), got %g", (double)f);
  ODYN_CK(VecSetValue(Y, 0, NAN, INSERT_VALUES));
  ODYN_CK(VecAssemblyBegin(Y));
  ODYN_CK(VecAssemblyEnd(Y));
  ODYN_CK(VecSet(w, 0.5));
  odyn_ck_error_contains(OdynLossEvaluate(loss, w, &f, NULL, NULL), "NaN in the loss");
  ODYN_CK(VecDestroy(&w));
  ODYN_CK(VecDestroy(&wbad));
  ODYN_CK(VecDestroy(&Y));
  ODYN_CK(VecDestroy(&Ybad));
  ODYN_CK(VecDestroy(&C));
  ODYN_CK(VecDestroy(&Cbad));
  ODYN_CK(VecDestroy(&Cmore));
  ODYN_CK(OdynLossDestroy(&loss));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("loss");
  TCase *t = tcase_create("conformance");
  tcase_add_test(t, test_all_losses);
  tcase_add_test(t, test_accuracy);
  tcase_add_test(t, test_errors);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
