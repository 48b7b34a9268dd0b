/*
  Conformance of every (scheme, layer) pair in the registries: Taylor tests of the network output w.r.t. theta and Y0,
  and dot-product tests of both derivatives, on one block, for every activation and both trajectory modes.
  Pairs that do not fit (a two-face layer under euler, ...) must fail SetUp with a message that names the fix.
*/
#include <string.h>
#include "odyntest.h"

typedef struct {
  OdynNet net;
  Vec     theta, Y0, dtheta, dY0, Yp, thp, Y0p;
} NetCtx;

static PetscErrorCode PerturbTheta(void *ctx, PetscReal eps, PetscScalar out[])
{
  NetCtx            *c = (NetCtx *)ctx;
  const PetscScalar *y;
  PetscInt           n;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(c->thp, eps, c->dtheta, c->theta));
  PetscCall(OdynNetForward(c->net, c->thp, c->Y0, c->Yp));
  PetscCall(VecGetLocalSize(c->Yp, &n));
  PetscCall(VecGetArrayRead(c->Yp, &y));
  PetscCall(PetscArraycpy(out, y, n));
  PetscCall(VecRestoreArrayRead(c->Yp, &y));
  PetscFunctionReturn(0);
}

static PetscErrorCode PerturbY0(void *ctx, PetscReal eps, PetscScalar out[])
{
  NetCtx            *c = (NetCtx *)ctx;
  const PetscScalar *y;
  PetscInt           n;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(c->Y0p, eps, c->dY0, c->Y0));
  PetscCall(OdynNetForward(c->net, c->theta, c->Y0p, c->Yp));
  PetscCall(VecGetLocalSize(c->Yp, &n));
  PetscCall(VecGetArrayRead(c->Yp, &y));
  PetscCall(PetscArraycpy(out, y, n));
  PetscCall(VecRestoreArrayRead(c->Yp, &y));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckPair(const char *stype, const char *ltype, OdynActivationType act, OdynTrajectoryType tt, PetscBool *compatible)
{
  OdynScheme         scheme;
  OdynLayer          layer;
  NetCtx             c;
  PetscErrorCode     ierr;
  PetscInt           n = 3, m = 4, s = 7, nout, np;
  Vec                YN, JvT, JvY, W, gth, gY0;
  const PetscScalar *yn, *jv;
  char               label[256];
  OdynTaylorOptions  topt;
  PetscBool          ok;
  PetscReal          rel;

  PetscFunctionBegin;
  PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &scheme));
  PetscCall(OdynSchemeSetType(scheme, stype));
  PetscCall(OdynSchemeSetNumSteps(scheme, 5));
  PetscCall(OdynSchemeSetFinalTime(scheme, 2.0));
  PetscCall(OdynSchemeGetLayer(scheme, &layer));
  PetscCall(OdynLayerSetType(layer, ltype));
  PetscCall(OdynLayerSetWidth(layer, n));
  if (!strcmp(ltype, ODYNLAYERSYMMETRIC) || !strcmp(ltype, ODYNLAYERHAMILTONIAN)) PetscCall(OdynLayerSetHiddenWidth(layer, m));
  PetscCall(OdynLayerSetActivation(layer, act));
  PetscCall(OdynSchemeSetTrajectoryType(scheme, tt));
  OdynTestCaptureErrorsBegin();
  ierr = OdynSchemeSetUp(scheme);
  OdynTestCaptureErrorsEnd();
  *compatible = ierr ? PETSC_FALSE : PETSC_TRUE;
  if (ierr) {
    /* an incompatible pair must say what to use instead */
    ck_assert_msg(strstr(OdynTestLastErrorMessage(), "needs a") || strstr(OdynTestLastErrorMessage(), "not reversible"), "unexpected SetUp error for %s/%s: %s", stype, ltype, OdynTestLastErrorMessage());
    PetscCall(OdynSchemeDestroy(&scheme));
    PetscFunctionReturn(0);
  }
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, &c.net));
  PetscCall(OdynNetAddBlock(c.net, scheme));
  PetscCall(OdynSchemeDestroy(&scheme));
  PetscCall(OdynNetGetOutputWidth(c.net, &nout));
  PetscCall(OdynNetCreateParameterVec(c.net, &c.theta));
  PetscCall(VecGetSize(c.theta, &np)); /* 0 for a layer without parameters (globalavg): nothing to test in theta */
  PetscCall(VecDuplicate(c.theta, &c.dtheta));
  PetscCall(VecDuplicate(c.theta, &c.thp));
  PetscCall(VecDuplicate(c.theta, &gth));
  PetscCall(OdynTestRandomVec(1, 0.7, c.theta));
  PetscCall(OdynTestRandomVec(2, 1.0, c.dtheta));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, n * s, PETSC_DETERMINE, &c.Y0));
  PetscCall(VecDuplicate(c.Y0, &c.dY0));
  PetscCall(VecDuplicate(c.Y0, &c.Y0p));
  PetscCall(VecDuplicate(c.Y0, &gY0));
  PetscCall(OdynTestRandomVec(3, 1.0, c.Y0));
  PetscCall(OdynTestRandomVec(4, 1.0, c.dY0));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, nout * s, PETSC_DETERMINE, &YN));
  PetscCall(VecDuplicate(YN, &c.Yp));
  PetscCall(VecDuplicate(YN, &JvT));
  PetscCall(VecDuplicate(YN, &JvY));
  PetscCall(VecDuplicate(YN, &W));
  PetscCall(OdynTestRandomVec(5, 1.0, W));

  PetscCall(OdynNetForward(c.net, c.theta, c.Y0, YN));
  PetscCall(OdynNetJacobianMult(c.net, c.dtheta, NULL, JvT));
  PetscCall(OdynNetJacobianMult(c.net, NULL, c.dY0, JvY));
  PetscCall(OdynNetJacobianMultTranspose(c.net, W, gth, gY0));

  /* dot-product tests first: the Taylor test re-runs the forward sweep at other points */
  {
    PetscScalar a, b;
    PetscCall(VecDot(JvT, W, &a));
    PetscCall(VecDot(c.dtheta, gth, &b));
    rel = np ? PetscAbsScalar(a - b) / PetscMax(PetscAbsScalar(a), PetscAbsScalar(b)) : PetscAbsScalar(a); /* no theta: J_theta v = 0 */
    ck_assert_msg(rel <= 1e-12, "dot test theta %s/%s/%s/%s: <Jv,w> = %.16e, <v,J^T w> = %.16e, rel %.3e", stype, ltype, OdynActivationTypes[act], OdynTrajectoryTypes[tt], (double)a, (double)b, (double)rel);
    PetscCall(VecDot(JvY, W, &a));
    PetscCall(VecDot(c.dY0, gY0, &b));
    rel = PetscAbsScalar(a - b) / PetscMax(PetscAbsScalar(a), PetscAbsScalar(b));
    ck_assert_msg(rel <= 1e-12, "dot test Y0 %s/%s/%s/%s: <Jv,w> = %.16e, <v,J^T w> = %.16e, rel %.3e", stype, ltype, OdynActivationTypes[act], OdynTrajectoryTypes[tt], (double)a, (double)b, (double)rel);
  }

  OdynTaylorOptionsDefault(&topt);
  /* ReLU is piecewise linear: kinks crossed inside the larger eps-balls spoil the remainder there; once eps is small
     enough that no kink is crossed, the network is a polynomial in theta again and E2 must fall like eps^2 */
  if (act == ODYN_ACTIVATION_RELU) {
    /* the schemes with learned per-step scalars (fsi, lmresnet) cross kinks down to eps ~ 2e-4: judge the last 4 halvings, 5e-5 down to 6e-6 (above round-off) */
    topt.halvings = 14;
    topt.tail     = 4;
  }
  /* the diffusion layers: K / R(K) with R a sum of a few |k| is curved enough in theta that at eps = 0.1 E1 is not
     yet first order, and piecewise linear (paper 002 Sec. 3.3 row sums): start at 1e-2, and with ReLU judge the last
     halvings above round-off */
  if (!strncmp(ltype, "diffusion", 9)) {
    topt.eps0 = 1e-2;
    if (act == ODYN_ACTIVATION_RELU) {
      topt.halvings = 10;
      topt.tail     = 4;
    }
  }
  PetscCall(VecGetArrayRead(YN, &yn));
  PetscCall(VecGetArrayRead(JvT, &jv));
  PetscCall(PetscSNPrintf(label, sizeof(label), "d/dtheta %s/%s/%s/%s", stype, ltype, OdynActivationTypes[act], OdynTrajectoryTypes[tt]));
  ok = np ? OdynTaylorTest(label, nout * s, yn, jv, PerturbTheta, &c, &topt) : PETSC_TRUE;
  ck_assert_msg(ok, "Taylor test failed: %s", label);
  PetscCall(VecRestoreArrayRead(JvT, &jv));
  PetscCall(VecGetArrayRead(JvY, &jv));
  PetscCall(PetscSNPrintf(label, sizeof(label), "d/dY0 %s/%s/%s/%s", stype, ltype, OdynActivationTypes[act], OdynTrajectoryTypes[tt]));
  ok = OdynTaylorTest(label, nout * s, yn, jv, PerturbY0, &c, &topt);
  ck_assert_msg(ok, "Taylor test failed: %s", label);
  PetscCall(VecRestoreArrayRead(JvY, &jv));
  PetscCall(VecRestoreArrayRead(YN, &yn));

  PetscCall(VecDestroy(&YN));
  PetscCall(VecDestroy(&c.Yp));
  PetscCall(VecDestroy(&JvT));
  PetscCall(VecDestroy(&JvY));
  PetscCall(VecDestroy(&W));
  PetscCall(VecDestroy(&gth));
  PetscCall(VecDestroy(&gY0));
  PetscCall(VecDestroy(&c.theta));
  PetscCall(VecDestroy(&c.dtheta));
  PetscCall(VecDestroy(&c.thp));
  PetscCall(VecDestroy(&c.Y0));
  PetscCall(VecDestroy(&c.dY0));
  PetscCall(VecDestroy(&c.Y0p));
  PetscCall(OdynNetDestroy(&c.net));
  PetscFunctionReturn(0);
}

START_TEST(test_all_pairs)
{
  const char **snames, **lnames;
  int           ns, nl;
  PetscInt      npairs = 0, nrecompute = 0;

  ODYN_CK(OdynInitializePackage());
  /* walk the registries: a newly registered scheme or layer is tested here without editing this file */
  ODYN_CK(PetscFunctionListGet(OdynSchemeList, &snames, &ns));
  ODYN_CK(PetscFunctionListGet(OdynLayerList, &lnames, &nl));
  /* PETSc 3.18's PetscFunctionListGet() may count one entry more than it names: skip NULL names */
  for (int i = 0; i < ns; i++) {
    if (!snames[i]) continue;
    for (int j = 0; j < nl; j++) {
      if (!lnames[j] || !strcmp(lnames[j], ODYNLAYERSHELL)) continue; /* needs user callbacks: see test_shell.c */
      for (int act = ODYN_ACTIVATION_IDENTITY; act <= ODYN_ACTIVATION_LAST; act++) {
        for (int tt = ODYN_TRAJECTORY_STORE; tt <= ODYN_TRAJECTORY_RECOMPUTE; tt++) {
          PetscBool compatible;
          ODYN_CK(CheckPair(snames[i], lnames[j], (OdynActivationType)act, (OdynTrajectoryType)tt, &compatible));
          if (compatible) {
            npairs++;
            if (tt == ODYN_TRAJECTORY_RECOMPUTE) nrecompute++;
          }
        }
      }
    }
  }
  ODYN_CK(PetscFree(snames));
  ODYN_CK(PetscFree(lnames));
  /* euler x 4 one-face layers, leapfrog x 4 (both modes), verlet x hamiltonian (both modes), 3 activations */
  ck_assert_int_ge(npairs, 3 * (4 + 2 * 4 + 2 * 1));
  ck_assert_int_ge(nrecompute, 3 * (4 + 1));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("schemes");
  TCase *t = tcase_create("conformance");
  tcase_add_test(t, test_all_pairs);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
