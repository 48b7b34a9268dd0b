/*
  Conformance of every registered OdynRegularizer: Taylor tests of the value and the gradient, Hessian symmetry, the
  assembled matrix against the Hessian product, the CHOLMOD preconditioner against the matrix, values on analytic
  cases, agreement of the parallel results with a serial run on the same global data, and the error messages.
  The time regularizers act on a two-block network (4 steps of a dense layer, 3 steps of a symmetric one, different
  h); the image regularizer on 3 x 2 images with 2 channels and 3 classes.
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

#define WEIGHT 0.7
#define SHIFT  0.3
#define TAU    0.05

static PetscErrorCode BuildNet(MPI_Comm comm, OdynNet *net)
{
  const PetscInt  N[2]  = {4, 3};
  const PetscReal T[2]  = {1.0, 2.0};
  const char     *lt[2] = {ODYNLAYERDENSE, ODYNLAYERSYMMETRIC};

  PetscFunctionBegin;
  PetscCall(OdynNetCreate(comm, net));
  for (int b = 0; b < 2; b++) {
    OdynScheme scheme;
    OdynLayer  layer;

    PetscCall(OdynSchemeCreate(comm, &scheme));
    PetscCall(OdynSchemeSetType(scheme, ODYNSCHEMEEULER));
    PetscCall(OdynSchemeSetNumSteps(scheme, N[b]));
    PetscCall(OdynSchemeSetFinalTime(scheme, T[b]));
    PetscCall(OdynSchemeGetLayer(scheme, &layer));
    PetscCall(OdynLayerSetType(layer, lt[b]));
    PetscCall(OdynLayerSetWidth(layer, 2));
    if (b) PetscCall(OdynLayerSetHiddenWidth(layer, 3));
    PetscCall(OdynNetAddBlock(*net, scheme));
    PetscCall(OdynSchemeDestroy(&scheme));
  }
  PetscFunctionReturn(0);
}

/* A configured regularizer of the given type on comm; op selects the image operator. */
static PetscErrorCode BuildReg(MPI_Comm comm, const char *type, OdynRegImageOperator op, OdynNet *net, OdynRegularizer *reg)
{
  PetscFunctionBegin;
  *net = NULL;
  PetscCall(OdynRegularizerCreate(comm, reg));
  PetscCall(OdynRegularizerSetType(*reg, type));
  if (!strcmp(type, ODYNREGIMAGE)) {
    PetscCall(OdynRegularizerImageSetGrid(*reg, 3, 2, 2));
    PetscCall(OdynRegularizerImageSetNumClasses(*reg, 3));
    PetscCall(OdynRegularizerImageSetOperator(*reg, op));
  } else {
    PetscCall(BuildNet(comm, net));
    PetscCall(OdynRegularizerSetNet(*reg, *net));
  }
  PetscCall(OdynRegularizerTVSetTau(*reg, TAU));
  PetscCall(OdynRegularizerSetWeight(*reg, WEIGHT));
  PetscCall(OdynRegularizerSetShift(*reg, SHIFT));
  PetscCall(OdynRegularizerSetFromOptions(*reg));
  PetscFunctionReturn(0);
}

typedef struct {
  OdynRegularizer reg;
  Vec             x, v, xp, g;
  PetscBool       grad;
} Ctx;

static PetscErrorCode Perturbed(void *ctx, PetscReal eps, PetscScalar out[])
{
  Ctx               *c = (Ctx *)ctx;
  PetscReal          R;
  const PetscScalar *a;
  PetscInt           n;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(c->xp, eps, c->v, c->x));
  PetscCall(OdynRegularizerEvaluate(c->reg, c->xp, &R, c->grad ? c->g : NULL));
  if (!c->grad) out[0] = R;
  else {
    PetscCall(VecGetLocalSize(c->g, &n));
    PetscCall(VecGetArrayRead(c->g, &a));
    PetscCall(PetscArraycpy(out, a, n));
    PetscCall(VecRestoreArrayRead(c->g, &a));
  }
  PetscFunctionReturn(0);
}

static PetscReal RelDiff(Vec a, Vec b)
{
  PetscReal na, nd;
  Vec       d;
  VecDuplicate(a, &d);
  VecWAXPY(d, -1.0, b, a);
  VecNorm(a, NORM_2, &na);
  VecNorm(d, NORM_2, &nd);
  VecDestroy(&d);
  return na > 0 ? nd / na : nd;
}

/* out = WEIGHT D^T diag(1/(h sqrt((D x/h)^2 + tau))) D v, written out from the definition on the gathered Vecs */
static PetscErrorCode LaggedProduct(OdynNet net, Vec x, Vec v, Vec out)
{
  Vec                xa, va, oa;
  VecScatter         sc;
  const PetscScalar *xx, *vv;
  PetscScalar       *oo;
  PetscInt           nb;

  PetscFunctionBegin;
  PetscCall(VecScatterCreateToAll(x, &sc, &xa));
  PetscCall(VecDuplicate(xa, &va));
  PetscCall(VecDuplicate(xa, &oa));
  PetscCall(VecScatterBegin(sc, x, xa, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, x, xa, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterBegin(sc, v, va, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, v, va, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecZeroEntries(oa));
  PetscCall(VecGetArrayRead(xa, &xx));
  PetscCall(VecGetArrayRead(va, &vv));
  PetscCall(VecGetArray(oa, &oo));
  PetscCall(OdynNetGetNumBlocks(net, &nb));
  for (PetscInt b = 0; b < nb; b++) {
    OdynScheme scheme;
    OdynLayer  layer;
    PetscInt   off, N, np;
    PetscReal  h;
    PetscCall(OdynNetGetBlock(net, b, &scheme));
    PetscCall(OdynSchemeGetLayer(scheme, &layer));
    PetscCall(OdynNetGetBlockParameterOffset(net, b, &off));
    PetscCall(OdynSchemeGetNumSteps(scheme, &N));
    PetscCall(OdynSchemeGetStepSize(scheme, &h));
    PetscCall(OdynLayerGetNumParameters(layer, &np));
    for (PetscInt j = 1; j < N; j++)
      for (PetscInt k = 0; k < np; k++) {
        const PetscInt  i = off + j * np + k;
        const PetscReal d = PetscRealPart(xx[i] - xx[i - np]) / h, w = WEIGHT / (h * PetscSqrtReal(d * d + TAU));
        oo[i] += w * (vv[i] - vv[i - np]);
        oo[i - np] -= w * (vv[i] - vv[i - np]);
      }
  }
  PetscCall(VecRestoreArray(oa, &oo));
  PetscCall(VecRestoreArrayRead(va, &vv));
  PetscCall(VecRestoreArrayRead(xa, &xx));
  PetscCall(VecScatterBegin(sc, oa, out, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterEnd(sc, oa, out, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&xa));
  PetscCall(VecDestroy(&va));
  PetscCall(VecDestroy(&oa));
  PetscFunctionReturn(0);
}

/* R(1) on the analytic cases: smooth and image 0, tikhonov sum_b h_b/2 N_b np_b, tv sum_b h_b (N_b - 1) np_b sqrt(tau) */
static PetscReal ExpectedAtOnes(const char *type)
{
  const PetscReal h0 = 0.25, h1 = 2.0 / 3.0;
  const PetscInt  np0 = 6, np1 = 9;
  if (!strcmp(type, ODYNREGTIKHONOV)) return WEIGHT * (h0 / 2 * 4 * np0 + h1 / 2 * 3 * np1);
  if (!strcmp(type, ODYNREGTV)) return WEIGHT * PetscSqrtReal(TAU) * (h0 * 3 * np0 + h1 * 2 * np1);
  return 0;
}

/*
   R on a ramp: theta_j = j for every parameter of step j, or W(i1, i2, c, k) = i1 (mu = 0) for image.
   smooth: sum_b (N_b - 1) np_b / (2 h_b); tikhonov: sum_b h_b/2 np_b sum_j j^2;
   tv: sum_b h_b (N_b - 1) np_b sqrt(1/h_b^2 + tau); image: 1/2 24 for both operators (24 unit differences; for the
   Laplacian the 12 columns of 3 pixels give 1, 0, -1 each).
*/
static PetscErrorCode Ramp(const char *type, Vec x, PetscReal *expect)
{
  const PetscReal h0 = 0.25, h1 = 2.0 / 3.0;
  PetscInt        rstart, rend;
  PetscScalar    *a;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(x, &rstart, &rend));
  PetscCall(VecGetArray(x, &a));
  for (PetscInt i = rstart; i < rend; i++) {
    if (!strcmp(type, ODYNREGIMAGE)) a[i - rstart] = i < 36 ? (i % 12) % 3 : 0;
    else a[i - rstart] = i < 24 ? i / 6 : (i - 24) / 9;
  }
  PetscCall(VecRestoreArray(x, &a));
  if (!strcmp(type, ODYNREGSMOOTH)) *expect = 3 * 6 / (2 * h0) + 2 * 9 / (2 * h1);
  else if (!strcmp(type, ODYNREGTIKHONOV)) *expect = h0 / 2 * 6 * (1 + 4 + 9) + h1 / 2 * 9 * (1 + 4);
  else if (!strcmp(type, ODYNREGTV)) *expect = h0 * 3 * 6 * PetscSqrtReal(1 / (h0 * h0) + TAU) + h1 * 2 * 9 * PetscSqrtReal(1 / (h1 * h1) + TAU);
  else *expect = 12;
  *expect *= WEIGHT;
  PetscFunctionReturn(0);
}

/* Results on comm for the seeds' global data, gathered on every rank: g, Hv, the PC solve; and R. */
static PetscErrorCode EvaluateAll(MPI_Comm comm, const char *type, OdynRegImageOperator op, PetscReal *R, Vec out[3])
{
  OdynNet         net;
  OdynRegularizer reg;
  Vec             x, v, res[3];
  PC              pc;
  VecScatter      sc;

  PetscFunctionBegin;
  PetscCall(BuildReg(comm, type, op, &net, &reg));
  PetscCall(OdynRegularizerCreateVec(reg, &x));
  PetscCall(VecDuplicate(x, &v));
  for (int i = 0; i < 3; i++) PetscCall(VecDuplicate(x, &res[i]));
  PetscCall(OdynTestRandomVec(21, 1.0, x));
  PetscCall(OdynTestRandomVec(22, 1.0, v));
  PetscCall(OdynRegularizerEvaluate(reg, x, R, res[0]));
  PetscCall(OdynRegularizerHessianMult(reg, x, v, res[1]));
  PetscCall(OdynRegularizerGetPC(reg, x, &pc));
  PetscCall(PCApply(pc, v, res[2]));
  for (int i = 0; i < 3; i++) {
    PetscCall(VecScatterCreateToAll(res[i], &sc, &out[i]));
    PetscCall(VecScatterBegin(sc, res[i], out[i], INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, res[i], out[i], INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(VecDestroy(&res[i]));
  }
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&v));
  PetscCall(OdynRegularizerDestroy(&reg));
  PetscCall(OdynNetDestroy(&net));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckType(const char *type, OdynRegImageOperator op)
{
  OdynNet           net;
  Ctx               c = {0};
  Vec               u, Hv, Hu, Mv, r, par[3], ser[3];
  Mat               H;
  PC                pc;
  PetscReal         R0, Rs, Rp, rel;
  PetscScalar       a, b, *F0, *J;
  PetscInt          nloc;
  OdynTaylorOptions opt;
  char              label[128];
  const PetscBool   istv = !strcmp(type, ODYNREGTV);

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(label, sizeof(label), "%s%s", type, strcmp(type, ODYNREGIMAGE) ? "" : OdynRegImageOperators[op]));
  PetscCall(BuildReg(PETSC_COMM_WORLD, type, op, &net, &c.reg));
  PetscCall(OdynRegularizerCreateVec(c.reg, &c.x));
  {
    Vec *dup[] = {&c.v, &c.xp, &c.g, &u, &Hv, &Hu, &Mv, &r};
    for (size_t i = 0; i < sizeof(dup) / sizeof(dup[0]); i++) PetscCall(VecDuplicate(c.x, dup[i]));
  }
  PetscCall(VecGetLocalSize(c.x, &nloc));
  PetscCall(PetscMalloc2(nloc + 1, &F0, nloc + 1, &J));
  OdynTaylorOptionsDefault(&opt);
  opt.eps0 = 0.02; /* tv varies on the scale h sqrt(tau): start inside the region where the Taylor expansion holds */

  /* analytic value at x = 1 */
  PetscCall(VecSet(c.x, 1.0));
  PetscCall(OdynRegularizerEvaluate(c.reg, c.x, &R0, NULL));
  ck_assert_msg(PetscAbsReal(R0 - ExpectedAtOnes(type)) <= 1e-14 * (1 + PetscAbsReal(R0)), "%s: R(1) = %.16e, expected %.16e", label, (double)R0, (double)ExpectedAtOnes(type));

  {
    PetscReal expect;
    PetscCall(Ramp(type, c.x, &expect));
    PetscCall(OdynRegularizerEvaluate(c.reg, c.x, &R0, NULL));
    ck_assert_msg(PetscAbsReal(R0 - expect) <= 1e-13 * PetscAbsReal(expect), "%s: R(ramp) = %.16e, expected %.16e", label, (double)R0, (double)expect);
  }

  PetscCall(OdynTestRandomVec(21, 1.0, c.x));
  PetscCall(OdynTestRandomVec(22, 1.0, c.v));
  PetscCall(OdynTestRandomVec(23, 1.0, u));
  /* Taylor tests: the gradient is the first-order term of the value, the Hessian product that of the gradient */
  PetscCall(OdynRegularizerEvaluate(c.reg, c.x, &R0, c.g));
  PetscCall(VecDot(c.g, c.v, &a));
  F0[0] = R0;
  J[0]  = a;
  c.grad = PETSC_FALSE;
  ck_assert_msg(AllOk(OdynTaylorTest(label, 1, F0, J, Perturbed, &c, &opt)), "Taylor test of the value failed: %s", label);
  PetscCall(OdynRegularizerEvaluate(c.reg, c.x, NULL, c.g));
  PetscCall(OdynRegularizerHessianMult(c.reg, c.x, c.v, Hv));
  {
    const PetscScalar *ga, *ha;
    PetscCall(VecGetArrayRead(c.g, &ga));
    PetscCall(VecGetArrayRead(Hv, &ha));
    PetscCall(PetscArraycpy(F0, ga, nloc));
    PetscCall(PetscArraycpy(J, ha, nloc));
    PetscCall(VecRestoreArrayRead(Hv, &ha));
    PetscCall(VecRestoreArrayRead(c.g, &ga));
  }
  c.grad = PETSC_TRUE;
  ck_assert_msg(AllOk(OdynTaylorTest(label, nloc, F0, J, Perturbed, &c, &opt)), "Taylor test of the gradient failed: %s", label);

  /* symmetry, and the assembled matrix is the Hessian */
  PetscCall(OdynRegularizerHessianMult(c.reg, c.x, u, Hu));
  PetscCall(VecDot(u, Hv, &a));
  PetscCall(VecDot(c.v, Hu, &b));
  ck_assert_msg(PetscAbsScalar(a - b) <= 1e-12 * PetscMax(PetscAbsScalar(a), PetscAbsScalar(b)), "%s: Hessian not symmetric: %.16e vs %.16e", label, (double)a, (double)b);
  if (istv) PetscCall(OdynRegularizerTVSetLaggedDiffusivity(c.reg, PETSC_FALSE));
  PetscCall(OdynRegularizerGetHessianMatrix(c.reg, c.x, &H));
  PetscCall(MatMult(H, c.v, Mv));
  rel = RelDiff(Hv, Mv);
  ck_assert_msg(rel <= 1e-12, "%s: assembled matrix times v differs from the Hessian product by %.3e", label, (double)rel);
  if (istv) { /* the default matrix of tv is the lagged-diffusivity operator */
    PetscCall(OdynRegularizerTVSetLaggedDiffusivity(c.reg, PETSC_TRUE));
    PetscCall(OdynRegularizerGetHessianMatrix(c.reg, c.x, &H));
    PetscCall(MatMult(H, c.v, Mv));
    PetscCall(LaggedProduct(net, c.x, c.v, Hv));
    rel = RelDiff(Hv, Mv);
    ck_assert_msg(rel <= 1e-12, "tv: lagged-diffusivity matrix times v differs from its definition by %.3e", (double)rel);
  }
  /* the CHOLMOD factorization solves (H + shift I) y = u */
  PetscCall(OdynRegularizerGetPC(c.reg, c.x, &pc));
  PetscCall(PCApply(pc, u, c.g));
  PetscCall(MatMult(H, c.g, r));
  PetscCall(VecAXPY(r, SHIFT, c.g));
  rel = RelDiff(u, r);
  ck_assert_msg(rel <= 1e-10, "%s: preconditioner residual %.3e", label, (double)rel);

  /* the parallel results equal a serial run on the same global data */
  PetscCall(EvaluateAll(PETSC_COMM_WORLD, type, op, &Rp, par));
  PetscCall(EvaluateAll(PETSC_COMM_SELF, type, op, &Rs, ser));
  ck_assert_msg(PetscAbsReal(Rp - Rs) <= 1e-13 * PetscAbsReal(Rs), "%s: parallel value %.16e, serial %.16e", label, (double)Rp, (double)Rs);
  for (int i = 0; i < 3; i++) {
    rel = RelDiff(ser[i], par[i]);
    ck_assert_msg(rel <= 1e-12, "%s: parallel and serial result %d differ by %.3e", label, i, (double)rel);
    PetscCall(VecDestroy(&par[i]));
    PetscCall(VecDestroy(&ser[i]));
  }

  { /* the viewer runs (its text is not checked here) */
    PetscViewer viewer;
    PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, "/dev/null", &viewer));
    PetscCall(OdynRegularizerView(c.reg, viewer));
    PetscCall(PetscViewerDestroy(&viewer));
  }
  PetscCall(PetscFree2(F0, J));
  {
    Vec *all[] = {&c.x, &c.v, &c.xp, &c.g, &u, &Hv, &Hu, &Mv, &r};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) PetscCall(VecDestroy(all[i]));
  }
  PetscCall(OdynRegularizerDestroy(&c.reg));
  PetscCall(OdynNetDestroy(&net));
  PetscFunctionReturn(0);
}

START_TEST(test_all_regularizers)
{
  const char **names;
  int          n = 0, tested = 0;

  ODYN_CK(OdynInitializePackage());
  /* walk the registry: a newly registered regularizer is tested here without editing this file */
  ODYN_CK(PetscFunctionListGet(OdynRegularizerList, &names, &n));
  for (int i = 0; i < n && names[i]; i++, tested++) { /* PETSc 3.18 NULL-terminates the array */
    ODYN_CK(CheckType(names[i], ODYN_REG_IMAGE_LAPLACIAN));
    if (!strcmp(names[i], ODYNREGIMAGE)) ODYN_CK(CheckType(names[i], ODYN_REG_IMAGE_GRADIENT));
  }
  ck_assert_int_ge(tested, 4);
  ODYN_CK(PetscFree(names));
}
END_TEST

START_TEST(test_errors)
{
  OdynRegularizer reg;
  OdynNet         net;
  Vec             x, bad;

  ODYN_CK(OdynRegularizerCreate(PETSC_COMM_WORLD, &reg));
  odyn_ck_error_contains(OdynRegularizerSetType(reg, "nosuchreg"), "Unknown OdynRegularizer type");
  ODYN_CK(OdynRegularizerSetType(reg, ODYNREGSMOOTH));
  odyn_ck_error_contains(OdynRegularizerSetUp(reg), "OdynRegularizerSetNet");
  ODYN_CK(BuildNet(PETSC_COMM_WORLD, &net));
  ODYN_CK(OdynRegularizerSetNet(reg, net));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, 10, &bad));
  odyn_ck_error_contains(OdynRegularizerEvaluate(reg, bad, NULL, NULL), "OdynNetCreateParameterVec");
  odyn_ck_error_contains(OdynRegularizerSetShift(reg, -1.0), "shift must be >= 0");
  ODYN_CK(OdynRegularizerSetType(reg, ODYNREGTV));
  ODYN_CK(OdynNetCreateParameterVec(net, &x));
  odyn_ck_error_contains(OdynRegularizerHessianMult(reg, NULL, x, x), "different Vecs");
  ODYN_CK(VecDestroy(&bad));
  ODYN_CK(VecDuplicate(x, &bad));
  odyn_ck_error_contains(OdynRegularizerHessianMult(reg, NULL, x, bad), "pass the point x");
  odyn_ck_error_contains(OdynRegularizerTVSetTau(reg, 0.0), "tau must be positive");
  ODYN_CK(OdynRegularizerSetType(reg, ODYNREGIMAGE));
  odyn_ck_error_contains(OdynRegularizerSetUp(reg), "OdynRegularizerImageSetGrid");
  ODYN_CK(VecDestroy(&x));
  ODYN_CK(VecDestroy(&bad));
  ODYN_CK(OdynNetDestroy(&net));
  ODYN_CK(OdynRegularizerDestroy(&reg));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("regularizers");
  TCase *t = tcase_create("conformance");
  tcase_add_test(t, test_all_regularizers);
  tcase_add_test(t, test_errors);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
