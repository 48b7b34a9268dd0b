#include <string.h>
#include <stdlib.h>
#include "odyntest.h"

PetscErrorCode OdynTestRandom(unsigned long seed, PetscInt len, PetscReal scale, PetscScalar a[])
{
  PetscRandom r;

  PetscFunctionBegin;
  PetscCall(PetscRandomCreate(PETSC_COMM_SELF, &r));
  PetscCall(PetscRandomSetType(r, PETSCRAND48));
  PetscCall(PetscRandomSetInterval(r, -scale, scale));
  PetscCall(PetscRandomSetSeed(r, seed));
  PetscCall(PetscRandomSeed(r));
  for (PetscInt i = 0; i < len; i++) PetscCall(PetscRandomGetValue(r, &a[i]));
  PetscCall(PetscRandomDestroy(&r));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTestRandomVec(unsigned long seed, PetscReal scale, Vec v)
{
  PetscInt     N, rstart, rend;
  PetscScalar *all, *a;

  PetscFunctionBegin;
  PetscCall(VecGetSize(v, &N));
  PetscCall(VecGetOwnershipRange(v, &rstart, &rend));
  PetscCall(PetscMalloc1(N, &all));
  PetscCall(OdynTestRandom(seed, N, scale, all));
  PetscCall(VecGetArray(v, &a));
  PetscCall(PetscArraycpy(a, all + rstart, rend - rstart));
  PetscCall(VecRestoreArray(v, &a));
  PetscCall(PetscFree(all));
  PetscFunctionReturn(0);
}

static PetscErrorCode NetPerturbed(OdynTestNetCtx *c, PetscBool wrt_theta, PetscReal eps, PetscScalar out[])
{
  const PetscScalar *y;
  PetscInt           n;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(c->thp, wrt_theta ? eps : 0.0, c->dtheta, c->theta));
  PetscCall(VecWAXPY(c->Y0p, wrt_theta ? 0.0 : eps, c->dY0, c->Y0));
  PetscCall(OdynNetForward(c->net, c->thp, c->Y0p, c->Yp));
  PetscCall(VecGetLocalSize(c->Yp, &n));
  PetscCall(VecGetArrayRead(c->Yp, &y));
  PetscCall(PetscArraycpy(out, y, n));
  PetscCall(VecRestoreArrayRead(c->Yp, &y));
  PetscFunctionReturn(0);
}
PetscErrorCode OdynTestNetPerturbTheta(void *ctx, PetscReal eps, PetscScalar out[]) { return NetPerturbed((OdynTestNetCtx *)ctx, PETSC_TRUE, eps, out); }
PetscErrorCode OdynTestNetPerturbY0(void *ctx, PetscReal eps, PetscScalar out[]) { return NetPerturbed((OdynTestNetCtx *)ctx, PETSC_FALSE, eps, out); }

PetscReal OdynTestVecRelDiff(Vec a, Vec b)
{
  Vec       d;
  PetscReal nd, nb;

  ODYN_CK(VecDuplicate(a, &d));
  ODYN_CK(VecWAXPY(d, -1.0, b, a));
  ODYN_CK(VecNorm(d, NORM_2, &nd));
  ODYN_CK(VecNorm(b, NORM_2, &nb));
  ODYN_CK(VecDestroy(&d));
  return nb > 0 ? nd / nb : nd;
}

PetscErrorCode OdynTestOneHotVec(PetscInt nc, Vec C)
{
  PetscScalar *c;
  PetscInt     rstart, rend;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(C, &rstart, &rend));
  PetscCall(VecGetArray(C, &c));
  for (PetscInt i = rstart; i < rend; i++) c[i - rstart] = (PetscScalar)(i % nc == (i / nc * 7) % nc);
  PetscCall(VecRestoreArray(C, &c));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTestStateVec(PetscInt n, PetscInt s, PetscInt split, Vec *v)
{
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, n * (split && rank ? 0 : s), PETSC_DETERMINE, v));
  PetscFunctionReturn(0);
}

void OdynTestExpectClose(const char *label, const char *what, const char *backend, PetscReal tol, Vec a, Vec b)
{
  const PetscReal r = OdynTestVecRelDiff(a, b);

  /* with a bound (the device), one line per comparison: what a GPU run is to report */
  if (tol > 0) ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "  %s, %s: %.3e (bound %.0e)%s\n", label, what, (double)r, (double)tol, r <= tol ? "" : " FAIL"));
  ck_assert_msg(r <= tol, "%s, %s: backend %s differs from host by %.3e (relative; bound %.0e)", label, what, backend, (double)r, (double)tol);
}

void OdynTestNetCompareDerivatives(OdynNet hnet, OdynNet bnet, Vec th, Vec dth, Vec Y0, Vec dY0, Vec W, Vec Yh, Vec Yb, Vec gh, Vec gb, Vec Gh, Vec Gb, const char *label, const char *backend, PetscReal tol)
{
  ODYN_CK(OdynNetJacobianMult(hnet, dth, dY0, Yh));
  ODYN_CK(OdynNetJacobianMult(bnet, dth, dY0, Yb));
  OdynTestExpectClose(label, "J (dtheta, dY0)", backend, tol, Yb, Yh);
  ODYN_CK(OdynNetJacobianMult(hnet, dth, NULL, Yh));
  ODYN_CK(OdynNetJacobianMult(bnet, dth, NULL, Yb));
  OdynTestExpectClose(label, "J_theta dtheta", backend, tol, Yb, Yh);
  ODYN_CK(OdynNetJacobianMult(hnet, NULL, dY0, Yh));
  ODYN_CK(OdynNetJacobianMult(bnet, NULL, dY0, Yb));
  OdynTestExpectClose(label, "J_Y0 dY0", backend, tol, Yb, Yh);
  ODYN_CK(OdynNetJacobianMultTranspose(hnet, W, gh, Gh));
  ODYN_CK(OdynNetJacobianMultTranspose(bnet, W, gb, Gb));
  OdynTestExpectClose(label, "J_theta^T W", backend, tol, gb, gh);
  OdynTestExpectClose(label, "J_Y0^T W", backend, tol, Gb, Gh);
  ODYN_CK(VecSet(gb, 7.0));
  ODYN_CK(OdynNetJacobianMultTranspose(bnet, W, gb, NULL));
  OdynTestExpectClose(label, "J_theta^T W alone", backend, tol, gb, gh);
  ODYN_CK(OdynNetJacobianMultTranspose(bnet, W, NULL, Gb));
  OdynTestExpectClose(label, "J_Y0^T W alone", backend, tol, Gb, Gh);
  /* the forward's Y_N once more, after the derivative sweeps (they must leave the trajectory alone) */
  ODYN_CK(OdynNetForward(hnet, th, Y0, Yh));
  ODYN_CK(OdynNetForward(bnet, th, Y0, Yb));
  OdynTestExpectClose(label, "forward Y_N again", backend, tol, Yb, Yh);
}

/* every rank's verdict: PETSC_TRUE when ok on all ranks */
static PetscBool AllRanksOk(PetscBool ok)
{
  int l = ok ? 1 : 0, g = 0;
  MPI_Allreduce(&l, &g, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
  return g ? PETSC_TRUE : PETSC_FALSE;
}

void OdynTestNetDerivatives(OdynTestNetCtx *c, Vec YN, const char *label, const char *backend)
{
  Vec                JvT, JvY, W, gth, gY0;
  const PetscScalar *yn, *jv;
  OdynTaylorOptions  topt;
  PetscScalar        a, b;
  PetscInt           nloc, np;

  ODYN_CK(VecDuplicate(c->theta, &gth));
  ODYN_CK(VecDuplicate(c->Y0, &gY0));
  ODYN_CK(VecDuplicate(YN, &c->Yp));
  ODYN_CK(VecDuplicate(YN, &JvT));
  ODYN_CK(VecDuplicate(YN, &JvY));
  ODYN_CK(VecDuplicate(YN, &W));
  ODYN_CK(OdynTestRandomVec(3, 1.0, c->Y0));
  ODYN_CK(OdynTestRandomVec(4, 1.0, c->dY0));
  ODYN_CK(OdynTestRandomVec(5, 1.0, W));

  ODYN_CK(OdynNetForward(c->net, c->theta, c->Y0, YN));
  ODYN_CK(OdynNetJacobianMult(c->net, c->dtheta, NULL, JvT));
  ODYN_CK(OdynNetJacobianMult(c->net, NULL, c->dY0, JvY));
  ODYN_CK(OdynNetJacobianMultTranspose(c->net, W, gth, gY0));
  ODYN_CK(VecDot(JvT, W, &a));
  ODYN_CK(VecDot(c->dtheta, gth, &b));
  ck_assert_msg(PetscAbsScalar(a - b) <= 1e-12 * PetscAbsScalar(a), "dot test theta %s on %s: %.16e vs %.16e", label, backend, (double)a, (double)b);
  ODYN_CK(VecDot(JvY, W, &a));
  ODYN_CK(VecDot(c->dY0, gY0, &b));
  ck_assert_msg(PetscAbsScalar(a - b) <= 1e-12 * PetscAbsScalar(a), "dot test Y0 %s on %s: %.16e vs %.16e", label, backend, (double)a, (double)b);

  OdynTaylorOptionsDefault(&topt);
  topt.eps0 = 1e-2;
  ODYN_CK(VecGetLocalSize(YN, &nloc));
  ODYN_CK(VecGetArrayRead(YN, &yn));
  ODYN_CK(VecGetArrayRead(JvT, &jv));
  ODYN_CK(VecGetSize(c->theta, &np));
  if (np > 0) ck_assert_msg(AllRanksOk(OdynTaylorTest(label, nloc, yn, jv, OdynTestNetPerturbTheta, c, &topt)), "Taylor test w.r.t. theta failed: %s on %s", label, backend);
  else { /* a network without parameters (globalavg alone): no direction to test, J_theta dtheta must be 0 */
    PetscReal nrm;
    ODYN_CK(VecNorm(JvT, NORM_INFINITY, &nrm));
    ck_assert_msg(nrm == 0.0, "%s on %s has no parameters, but J_theta dtheta has norm %g", label, backend, (double)nrm);
  }
  ODYN_CK(VecRestoreArrayRead(JvT, &jv));
  ODYN_CK(VecGetArrayRead(JvY, &jv));
  ck_assert_msg(AllRanksOk(OdynTaylorTest(label, nloc, yn, jv, OdynTestNetPerturbY0, c, &topt)), "Taylor test w.r.t. Y0 failed: %s on %s", label, backend);
  ODYN_CK(VecRestoreArrayRead(JvY, &jv));
  ODYN_CK(VecRestoreArrayRead(YN, &yn));
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "%s on %s: dot-product and Taylor tests pass\n", label, backend));

  ODYN_CK(VecDestroy(&c->Yp));
  ODYN_CK(VecDestroy(&JvT));
  ODYN_CK(VecDestroy(&JvY));
  ODYN_CK(VecDestroy(&W));
  ODYN_CK(VecDestroy(&gth));
  ODYN_CK(VecDestroy(&gY0));
}

void OdynTaylorOptionsDefault(OdynTaylorOptions *o)
{
  o->halvings   = 8;
  o->eps0       = 0.1;
  o->order2_min = 3.2;
  o->tail       = 0;
  o->verbose    = PETSC_FALSE;
}

static PetscReal Norm2(PetscInt n, const PetscScalar *a)
{
  PetscReal s = 0;
  for (PetscInt i = 0; i < n; i++) s += PetscRealPart(a[i] * a[i]);
  return PetscSqrtReal(s);
}

PetscBool OdynTaylorTest(const char *label, PetscInt nf, const PetscScalar F0[], const PetscScalar Jv[], OdynTestPerturbedFn fn, void *ctx, const OdynTaylorOptions *opt)
{
  const PetscInt K = opt->halvings + 1;
  PetscReal      E1[64], E2[64], eps = opt->eps0;
  PetscScalar   *Fe;
  PetscReal      fscale = Norm2(nf, F0) + Norm2(nf, Jv), floor2;
  PetscBool      ok = PETSC_TRUE, linear = PETSC_TRUE;
  PetscInt       checked = 0;

  if (K > 64 || PetscMalloc1(nf, &Fe)) return PETSC_FALSE;
  for (PetscInt k = 0; k < K; k++, eps /= 2) {
    PetscReal s1 = 0, s2 = 0;
    if (fn(ctx, eps, Fe)) {
      PetscFree(Fe);
      return PETSC_FALSE;
    }
    for (PetscInt i = 0; i < nf; i++) {
      const PetscReal d = PetscRealPart(Fe[i] - F0[i]);
      s1 += d * d;
      s2 += (d - eps * PetscRealPart(Jv[i])) * (d - eps * PetscRealPart(Jv[i]));
    }
    E1[k] = PetscSqrtReal(s1);
    E2[k] = PetscSqrtReal(s2);
  }
  PetscFree(Fe);
  /* round-off in F(x + eps v) - F(x) is about 1e-15 ||F||; below ~1e3 times that E2 carries no information */
  floor2 = 1e-12 * (fscale > 0 ? fscale : 1.0);
  for (PetscInt k = opt->tail > 0 ? K - opt->tail : 0; k < K; k++)
    if (E2[k] > floor2 && E2[k] > 1e-10 * E1[k]) linear = PETSC_FALSE;
  for (PetscInt k = 1; k < K; k++) {
    const PetscReal r1 = E1[k - 1] / E1[k];
    if (E1[k] > floor2 && (r1 < 1.6 || r1 > 2.5)) ok = PETSC_FALSE; /* first order: a factor 2 */
    if (!linear && E2[k] > floor2 && (opt->tail <= 0 || k >= K - opt->tail)) {
      const PetscReal r2 = E2[k - 1] / E2[k];
      checked++;
      if (r2 < opt->order2_min || r2 > 4.8) ok = PETSC_FALSE;
    }
  }
  if (!linear && checked < PetscMin(5, opt->tail > 0 ? opt->tail : 5)) ok = PETSC_FALSE;
  if (!(E1[0] > 0)) ok = PETSC_FALSE; /* a direction that changes nothing tests nothing */
  if (!ok || opt->verbose) {
    PetscPrintf(PETSC_COMM_SELF, "Taylor test %s: %s%s\n", label, ok ? "passed" : "FAILED", linear ? " (linear in this direction)" : "");
    eps = opt->eps0;
    for (PetscInt k = 0; k < K; k++, eps /= 2) PetscPrintf(PETSC_COMM_SELF, "  eps %10.3e  E1 %10.3e  E2 %10.3e  ratios %6.3f %6.3f\n", (double)eps, (double)E1[k], (double)E2[k], k ? (double)(E1[k - 1] / E1[k]) : 0.0, k ? (double)(E2[k - 1] / E2[k]) : 0.0);
  }
  return ok;
}

PetscReal OdynDotTestRelDiff(PetscInt nf, const PetscScalar Jv[], const PetscScalar w[], PetscInt nx, const PetscScalar v[], const PetscScalar JTw[])
{
  PetscReal a = 0, b = 0, d;
  for (PetscInt i = 0; i < nf; i++) a += PetscRealPart(Jv[i] * w[i]);
  for (PetscInt i = 0; i < nx; i++) b += PetscRealPart(v[i] * JTw[i]);
  d = PetscMax(PetscAbsReal(a), PetscAbsReal(b));
  return d > 0 ? PetscAbsReal(a - b) / d : PetscAbsReal(a - b);
}

static char odyn_test_errmsg[4096];

static PetscErrorCode CaptureHandler(MPI_Comm comm, int line, const char *func, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  /* keep the first (innermost) message: that is the one PetscCheck wrote */
  if (p == PETSC_ERROR_INITIAL && mess) PetscStrncpy(odyn_test_errmsg, mess, sizeof(odyn_test_errmsg));
  return n;
}

void OdynTestCaptureErrorsBegin(void)
{
  odyn_test_errmsg[0] = 0;
  PetscPushErrorHandler(CaptureHandler, NULL);
}

void OdynTestCaptureErrorsEnd(void) { PetscPopErrorHandler(); }

const char *OdynTestLastErrorMessage(void) { return odyn_test_errmsg; }

static const char         *list_suite, *list_tcase;
static int                 list_n;
static const TTest *const *list_tests;
static void (*list_setup)(void);

void OdynTestSetListSetup(void (*setup)(void)) { list_setup = setup; }

static Suite *MakeListSuite(void)
{
  Suite *s = suite_create(list_suite);
  TCase *t = tcase_create(list_tcase);

  for (int i = 0; i < list_n; i++) tcase_add_test(t, list_tests[i]);
  if (list_setup) tcase_add_checked_fixture(t, list_setup, NULL);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int OdynTestMainList(int argc, char **argv, const char *suite, const char *tcase, int n, const TTest *const list[])
{
  list_suite = suite;
  list_tcase = tcase;
  list_n     = n;
  list_tests = list;
  return OdynTestMain(argc, argv, MakeListSuite);
}

int OdynTestMain(int argc, char **argv, Suite *(*make)(void))
{
  SRunner *sr;
  int      failed, rank;

  if (PetscInitialize(&argc, &argv, NULL, NULL)) return 1;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  sr = srunner_create(make());
  srunner_set_fork_status(sr, CK_NOFORK);
  srunner_run_all(sr, rank == 0 ? CK_NORMAL : CK_SILENT);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  /* every rank must agree on the verdict */
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
  if (PetscFinalize()) return 1;
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- layer-level conformance (test_layers.c, test_shell.c) ---- */

typedef struct {
  OdynLayer    layer;
  PetscInt     face, s, nin, np;
  PetscScalar *theta, *X, *dtheta, *dX, *thp, *Xp;
  PetscBool    wrt_theta;
} OdynTestLayerCtx;

/* F(theta + eps dtheta, X) or F(theta, X + eps dX) */
static PetscErrorCode OdynTestLayerPerturbed(void *ctx, PetscReal eps, PetscScalar out[])
{
  OdynTestLayerCtx *c = (OdynTestLayerCtx *)ctx;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < c->np; i++) c->thp[i] = c->theta[i] + (c->wrt_theta ? eps * c->dtheta[i] : 0);
  for (PetscInt i = 0; i < c->nin * c->s; i++) c->Xp[i] = c->X[i] + (c->wrt_theta ? 0 : eps * c->dX[i]);
  PetscCall(OdynLayerApply(c->layer, c->face, c->thp, c->s, c->Xp, out));
  PetscFunctionReturn(0);
}

/* ||a - b|| <= tol max(||b||, 1) */
static PetscBool OdynTestClose(PetscInt len, const PetscScalar *a, const PetscScalar *b, PetscReal tol)
{
  PetscReal d = 0, nb = 0;
  for (PetscInt i = 0; i < len; i++) {
    d += PetscRealPart((a[i] - b[i]) * (a[i] - b[i]));
    nb += PetscRealPart(b[i] * b[i]);
  }
  return PetscSqrtReal(d) <= tol * PetscMax(PetscSqrtReal(nb), 1.0) ? PETSC_TRUE : PETSC_FALSE;
}

typedef PetscErrorCode (*OdynTestProductFn)(OdynLayer, PetscInt, PetscScalar, const PetscScalar[], PetscScalar[]);

PetscErrorCode OdynTestLayerFace(OdynLayer layer, PetscInt face, PetscInt s, unsigned long seed, const OdynTaylorOptions *opt, const char *label)
{
  static const char *const names[4] = {"JacobianThetaMult", "JacobianXMult", "JacobianThetaMultTranspose", "JacobianXMultTranspose"};
  const OdynTestProductFn  fn[4]    = {OdynLayerJacobianThetaMult, OdynLayerJacobianXMult, OdynLayerJacobianThetaMultTranspose, OdynLayerJacobianXMultTranspose};
  OdynTestLayerCtx         c        = {layer, face, s, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, PETSC_TRUE};
  const PetscScalar       *in[4];
  PetscInt                 nout, nfaces, lout[4], lmax;
  PetscScalar             *F0, *w, *res[4], *z, *y;

  PetscFunctionBegin;
  PetscCall(OdynLayerGetNumFaces(layer, &nfaces));
  PetscCall(OdynLayerGetFaceSizes(layer, face, &c.nin, &nout));
  PetscCall(OdynLayerGetNumParameters(layer, &c.np));
  lout[0] = lout[1] = nout * s, lout[2] = c.np, lout[3] = c.nin * s;
  lmax = PetscMax(PetscMax(c.np, nout * s), c.nin * (s + 2));
  PetscCall(PetscMalloc6(c.np, &c.theta, c.np, &c.dtheta, c.np, &c.thp, c.nin * s, &c.X, c.nin * s, &c.dX, c.nin * s, &c.Xp));
  PetscCall(PetscCalloc6(nout * s, &F0, nout * s, &w, lout[0], &res[0], lout[1], &res[1], lout[2], &res[2], lout[3], &res[3]));
  PetscCall(PetscMalloc2(lmax, &z, lmax, &y));
  /* OdynTestRandom's streams of nearby seeds are correlated: spread them */
  PetscCall(OdynTestRandom(2654435761ul * (seed + 1) % 4294967291ul, c.np, 0.7, c.theta));
  PetscCall(OdynTestRandom(2654435761ul * (seed + 2) % 4294967291ul, c.np, 1.0, c.dtheta));
  PetscCall(OdynTestRandom(2654435761ul * (seed + 3) % 4294967291ul, c.nin * s, 1.0, c.X));
  PetscCall(OdynTestRandom(2654435761ul * (seed + 4) % 4294967291ul, c.nin * s, 1.0, c.dX));
  PetscCall(OdynTestRandom(2654435761ul * (seed + 5) % 4294967291ul, nout * s, 1.0, w));
  in[0] = c.dtheta, in[1] = c.dX, in[2] = in[3] = w;

  PetscCall(OdynLayerApply(layer, face, c.theta, s, c.X, F0));
  PetscCall(OdynLayerLinearize(layer, face, c.theta, s, c.X));
  for (PetscInt p = 0; p < 4; p++) {
    PetscCall(fn[p](layer, face, 1.0, in[p], res[p]));
    /* accumulate: y = z; y += 2 product; y - z must be 2 product */
    PetscCall(OdynTestRandom(2654435761ul * (seed + 6 + p) % 4294967291ul, lout[p], 1.0, z));
    PetscCall(PetscArraycpy(y, z, lout[p]));
    PetscCall(fn[p](layer, face, 2.0, in[p], y));
    for (PetscInt i = 0; i < lout[p]; i++) z[i] += 2.0 * res[p][i];
    ck_assert_msg(OdynTestClose(lout[p], y, z, 1e-14), "%s of %s does not accumulate (out += alpha * product)", names[p], label);
  }
  {
    const PetscReal rt = OdynDotTestRelDiff(nout * s, res[0], w, c.np, c.dtheta, res[2]);
    const PetscReal rx = OdynDotTestRelDiff(nout * s, res[1], w, c.nin * s, c.dX, res[3]);
    ck_assert_msg(rt <= 1e-12, "dot test theta %s: rel %.3e", label, (double)rt);
    ck_assert_msg(rx <= 1e-12, "dot test X %s: rel %.3e", label, (double)rx);
  }
  if (c.np > 0) ck_assert_msg(OdynTaylorTest(label, nout * s, F0, res[0], OdynTestLayerPerturbed, &c, opt), "Taylor test w.r.t. theta failed: %s", label);
  else /* no parameters (globalavg): no direction to test, and dF/dtheta dtheta must add nothing */
    for (PetscInt i = 0; i < nout * s; i++) ck_assert_msg(res[0][i] == 0.0, "%s has no parameters, but JacobianThetaMult added %g", label, (double)PetscRealPart(res[0][i]));
  c.wrt_theta = PETSC_FALSE;
  ck_assert_msg(OdynTaylorTest(label, nout * s, F0, res[1], OdynTestLayerPerturbed, &c, opt), "Taylor test w.r.t. X failed: %s", label);

  /* applying the layer elsewhere must leave the linearization intact (schemes apply between linearize and products) */
  for (PetscInt i = 0; i < c.np; i++) c.thp[i] = c.theta[i] + c.dtheta[i];
  for (PetscInt i = 0; i < c.nin * s; i++) c.Xp[i] = c.X[i] + c.dX[i];
  PetscCall(OdynLayerApply(layer, face, c.thp, s, c.Xp, z));
  for (PetscInt p = 0; p < 4; p++) {
    PetscCall(PetscArrayzero(y, lmax));
    PetscCall(fn[p](layer, face, 1.0, in[p], y));
    ck_assert_msg(OdynTestClose(lout[p], y, res[p], 1e-14), "OdynLayerApply() changed the linearization of %s (%s)", label, names[p]);
  }
  /* two faces: linearizing the other face (at other data and another s) must leave this face's linearization alone */
  if (nfaces == 2) {
    PetscInt onin;
    PetscCall(OdynLayerGetFaceSizes(layer, 1 - face, &onin, NULL));
    PetscCall(OdynTestRandom(2654435761ul * (seed + 11) % 4294967291ul, onin * (s + 2), 1.0, z));
    PetscCall(OdynLayerLinearize(layer, 1 - face, c.dtheta, s + 2, z));
    PetscCall(PetscArrayzero(y, lmax));
    PetscCall(OdynLayerJacobianXMultTranspose(layer, face, 1.0, w, y));
    ck_assert_msg(OdynTestClose(c.nin * s, y, res[3], 1e-14), "linearizing face %d changed the linearization of %s", (int)(1 - face), label);
    PetscCall(PetscArrayzero(y, lmax));
    PetscCall(OdynLayerJacobianThetaMult(layer, face, 1.0, c.dtheta, y));
    ck_assert_msg(OdynTestClose(nout * s, y, res[0], 1e-14), "linearizing face %d changed the linearization of %s", (int)(1 - face), label);
  }
  PetscCall(PetscFree2(z, y));
  PetscCall(PetscFree6(F0, w, res[0], res[1], res[2], res[3]));
  PetscCall(PetscFree6(c.theta, c.dtheta, c.thp, c.X, c.dX, c.Xp));
  PetscFunctionReturn(0);
}
