/*
  Reversible recomputation (ODYN_TRAJECTORY_RECOMPUTE) of the leapfrog (negdef layer) and Verlet (hamiltonian layer)
  schemes, tanh, N = 1024, n = 4, s = 50, random weights of moderate size:
    - running the scheme backwards from its final states returns Y_0 to 1e-8 relative;
    - the gradients J^T W (w.r.t. theta and Y_0) agree with those of store mode to 1e-8 relative;
    - the memory that a forward sweep takes does not grow with N in recompute mode (and grows ~N in store mode).
*/
#include <string.h>
#include "odyntest.h"

#define NW 4  /* width n */
#define MW 3  /* hidden width m of the hamiltonian layer (non-square K) */
#define NS 50 /* examples */

typedef struct {
  const char *stype, *ltype;
  PetscReal   h; /* step size: T = h N */
} Case;

/* leapfrog h = 0.1 (T = 102.4 for N = 1024); verlet T = 10 for N = 1024 */
static const Case cases[2] = {
  {ODYNSCHEMELEAPFROG, ODYNLAYERNEGDEF,      0.1        },
  {ODYNSCHEMEVERLET,   ODYNLAYERHAMILTONIAN, 10.0 / 1024}
};

static PetscErrorCode MakeScheme(const Case *c, PetscInt N, OdynTrajectoryType tt, OdynScheme *scheme)
{
  OdynLayer layer;

  PetscFunctionBegin;
  PetscCall(OdynSchemeCreate(PETSC_COMM_SELF, scheme));
  PetscCall(OdynSchemeSetType(*scheme, c->stype));
  PetscCall(OdynSchemeSetNumSteps(*scheme, N));
  PetscCall(OdynSchemeSetFinalTime(*scheme, c->h * N));
  PetscCall(OdynSchemeSetTrajectoryType(*scheme, tt));
  PetscCall(OdynSchemeGetLayer(*scheme, &layer));
  PetscCall(OdynLayerSetType(layer, c->ltype));
  PetscCall(OdynLayerSetWidth(layer, NW));
  if (!strcmp(c->ltype, ODYNLAYERHAMILTONIAN)) PetscCall(OdynLayerSetHiddenWidth(layer, MW));
  PetscCall(OdynLayerSetActivation(layer, ODYN_ACTIVATION_TANH));
  PetscCall(OdynSchemeSetUp(*scheme));
  PetscFunctionReturn(0);
}

static PetscReal RelDiff(PetscInt len, const PetscScalar *a, const PetscScalar *ref)
{
  PetscReal d = 0, r = 0;
  for (PetscInt i = 0; i < len; i++) {
    d += PetscRealPart((a[i] - ref[i]) * (a[i] - ref[i]));
    r += PetscRealPart(ref[i] * ref[i]);
  }
  return PetscSqrtReal(d / r);
}

/*
  Weights: every step = a common random step (entries uniform in [-0.4/sqrt(n), 0.4/sqrt(n)], K, C and the biases)
  plus a per-step random part a quarter that size. Independent steps of mean zero would average out over 1024 steps
  and leave Y_N within a few percent of Y_0 (measured: 4% for Verlet), which would make the checks weak.
  Features uniform in [-1, 1].
*/
#define WSCALE (0.4 / PetscSqrtReal((PetscReal)NW))

static PetscErrorCode RandomTheta(unsigned long seed, PetscInt N, PetscInt len, PetscScalar theta[])
{
  const PetscInt np = len / N;
  PetscScalar   *base;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(np, &base));
  PetscCall(OdynTestRandom(seed, np, WSCALE, base));
  PetscCall(OdynTestRandom(seed + 1000, len, 0.25 * WSCALE, theta));
  for (PetscInt j = 0; j < N; j++)
    for (PetscInt i = 0; i < np; i++) theta[j * np + i] += base[i];
  PetscCall(PetscFree(base));
  PetscFunctionReturn(0);
}

START_TEST(test_recompute_initial)
{
  for (int ci = 0; ci < 2; ci++) {
    const PetscInt N = 1024;
    OdynScheme     scheme;
    PetscInt       np;
    PetscScalar   *theta, *Y0, *YN, *Y0r;
    PetscReal      rel, ynorm = 0;

    ODYN_CK(MakeScheme(&cases[ci], N, ODYN_TRAJECTORY_RECOMPUTE, &scheme));
    ODYN_CK(OdynSchemeGetNumParameters(scheme, &np));
    ODYN_CK(PetscMalloc4(np, &theta, NW * NS, &Y0, NW * NS, &YN, NW * NS, &Y0r));
    ODYN_CK(RandomTheta(11, N, np, theta));
    ODYN_CK(OdynTestRandom(12, NW * NS, 1.0, Y0));
    ODYN_CK(OdynSchemeForward(scheme, theta, NS, Y0, YN));
    ODYN_CK(OdynSchemeRecomputeInitial(scheme, theta, Y0r));
    rel = RelDiff(NW * NS, Y0r, Y0);
    for (PetscInt i = 0; i < NW * NS; i++) ynorm = PetscMax(ynorm, PetscAbsScalar(YN[i]));
    ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "%s/%s N = %d, h = %g: max |Y_N| = %.3g, ||Y_N - Y_0|| / ||Y_0|| = %.3g, ||Y_0 recomputed - Y_0|| / ||Y_0|| = %.3e\n", cases[ci].stype, cases[ci].ltype, (int)N, (double)cases[ci].h, (double)ynorm, (double)RelDiff(NW * NS, YN, Y0), (double)rel));
    /* a trajectory that has not moved would make the check vacuous */
    ck_assert_msg(RelDiff(NW * NS, YN, Y0) > 0.1, "%s: Y_N is too close to Y_0 for a meaningful check", cases[ci].stype);
    ck_assert_msg(rel <= 1e-8, "%s: recomputed Y_0 off by %g relative", cases[ci].stype, (double)rel);
    ODYN_CK(PetscFree4(theta, Y0, YN, Y0r));
    ODYN_CK(OdynSchemeDestroy(&scheme));
  }
}
END_TEST

/* J^T W through OdynNet in the given mode */
static PetscErrorCode Gradient(const Case *c, PetscInt N, OdynTrajectoryType tt, Vec *gtheta, Vec *gY0)
{
  OdynScheme scheme;
  OdynNet    net;
  Vec        theta, Y0, YN, W;

  PetscFunctionBegin;
  PetscCall(MakeScheme(c, N, tt, &scheme));
  PetscCall(OdynNetCreate(PETSC_COMM_SELF, &net));
  PetscCall(OdynNetAddBlock(net, scheme));
  PetscCall(OdynSchemeDestroy(&scheme));
  PetscCall(OdynNetCreateParameterVec(net, &theta));
  PetscCall(VecDuplicate(theta, gtheta));
  {
    PetscScalar *th;
    PetscInt     np;

    PetscCall(VecGetSize(theta, &np));
    PetscCall(VecGetArray(theta, &th)); /* one rank: the local array is all of theta */
    PetscCall(RandomTheta(21, N, np, th));
    PetscCall(VecRestoreArray(theta, &th));
  }
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, NW * NS, &Y0));
  PetscCall(VecDuplicate(Y0, &YN));
  PetscCall(VecDuplicate(Y0, &W));
  PetscCall(VecDuplicate(Y0, gY0));
  PetscCall(OdynTestRandomVec(22, 1.0, Y0));
  PetscCall(OdynTestRandomVec(23, 1.0, W));
  PetscCall(OdynNetForward(net, theta, Y0, YN));
  PetscCall(OdynNetJacobianMultTranspose(net, W, *gtheta, *gY0));
  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&Y0));
  PetscCall(VecDestroy(&YN));
  PetscCall(VecDestroy(&W));
  PetscCall(OdynNetDestroy(&net));
  PetscFunctionReturn(0);
}

static PetscReal VecRelDiff(Vec a, Vec ref)
{
  PetscReal d, r;
  Vec       t;

  if (VecDuplicate(a, &t) || VecWAXPY(t, -1.0, ref, a) || VecNorm(t, NORM_2, &d) || VecNorm(ref, NORM_2, &r) || VecDestroy(&t)) return PETSC_MAX_REAL;
  return d / r;
}

START_TEST(test_recompute_gradient)
{
  for (int ci = 0; ci < 2; ci++) {
    Vec       gts, gys, gtr, gyr;
    PetscReal rt, ry;

    ODYN_CK(Gradient(&cases[ci], 1024, ODYN_TRAJECTORY_STORE, &gts, &gys));
    ODYN_CK(Gradient(&cases[ci], 1024, ODYN_TRAJECTORY_RECOMPUTE, &gtr, &gyr));
    rt = VecRelDiff(gtr, gts);
    ry = VecRelDiff(gyr, gys);
    ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "%s/%s N = 1024: J^T W recompute vs store: theta %.3e, Y0 %.3e relative\n", cases[ci].stype, cases[ci].ltype, (double)rt, (double)ry));
    ck_assert_msg(rt <= 1e-8, "%s: gtheta recompute vs store %g", cases[ci].stype, (double)rt);
    ck_assert_msg(ry <= 1e-8, "%s: gY0 recompute vs store %g", cases[ci].stype, (double)ry);
    ODYN_CK(VecDestroy(&gts));
    ODYN_CK(VecDestroy(&gys));
    ODYN_CK(VecDestroy(&gtr));
    ODYN_CK(VecDestroy(&gyr));
  }
}
END_TEST

/* bytes that OdynSchemeForward leaves allocated (trajectory, work buffers, layer scratch) on a fresh scheme */
static PetscErrorCode ForwardMemory(const Case *c, PetscInt N, OdynTrajectoryType tt, PetscLogDouble *bytes)
{
  OdynScheme     scheme;
  PetscInt       np;
  PetscScalar   *theta, *Y0;
  PetscLogDouble before, after;

  PetscFunctionBegin;
  PetscCall(MakeScheme(c, N, tt, &scheme));
  PetscCall(OdynSchemeGetNumParameters(scheme, &np));
  PetscCall(PetscMalloc2(np, &theta, NW * NS, &Y0));
  PetscCall(RandomTheta(31, N, np, theta));
  PetscCall(OdynTestRandom(32, NW * NS, 1.0, Y0));
  PetscCall(PetscMallocGetCurrentUsage(&before));
  PetscCall(OdynSchemeForward(scheme, theta, NS, Y0, NULL));
  PetscCall(PetscMallocGetCurrentUsage(&after));
  *bytes = after - before;
  PetscCall(PetscFree2(theta, Y0));
  PetscCall(OdynSchemeDestroy(&scheme));
  PetscFunctionReturn(0);
}

START_TEST(test_recompute_memory)
{
  PetscBool traced;

  /* PetscMallocGetCurrentUsage() counts only when PETSc traces its mallocs (-malloc_debug, -malloc_dump as ctest runs) */
  ODYN_CK(PetscMallocGetDebug(&traced, NULL, NULL));
  if (!traced) {
    ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "memory check skipped: run with -malloc_dump or -malloc_debug to trace PETSc's mallocs\n"));
    return;
  }
  for (int ci = 0; ci < 2; ci++) {
    PetscLogDouble s64, s1024, r64, r1024;

    ODYN_CK(ForwardMemory(&cases[ci], 64, ODYN_TRAJECTORY_STORE, &s64));
    ODYN_CK(ForwardMemory(&cases[ci], 1024, ODYN_TRAJECTORY_STORE, &s1024));
    ODYN_CK(ForwardMemory(&cases[ci], 64, ODYN_TRAJECTORY_RECOMPUTE, &r64));
    ODYN_CK(ForwardMemory(&cases[ci], 1024, ODYN_TRAJECTORY_RECOMPUTE, &r1024));
    ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "%s/%s forward memory (bytes): store N=64 %.0f, N=1024 %.0f (x%.2f); recompute N=64 %.0f, N=1024 %.0f (difference %.0f)\n", cases[ci].stype, cases[ci].ltype, s64, s1024, s1024 / s64, r64, r1024, r1024 - r64));
    ck_assert_msg(s64 > 0 && s1024 > 10 * s64, "%s store: memory should grow ~16x with N, got %g -> %g", cases[ci].stype, s64, s1024);
    ck_assert_msg(r64 > 0 && r1024 == r64, "%s recompute: memory should not depend on N, got %g -> %g", cases[ci].stype, r64, r1024);
    ck_assert_msg(r1024 < s64, "%s: recompute at N = 1024 takes more than store at N = 64 (%g >= %g)", cases[ci].stype, r1024, s64);
  }
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("reversible");
  TCase *t = tcase_create("recompute");
  tcase_add_test(t, test_recompute_initial);
  tcase_add_test(t, test_recompute_gradient);
  tcase_add_test(t, test_recompute_memory);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
