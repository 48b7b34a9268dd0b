/* Multilevel prolongation of theta from N to 2N steps (OdynNetProlongParameters), on 1 and 2 ranks. */
#include "odyntest.h"

static PetscErrorCode MakeNet(PetscInt N, OdynNet *net)
{
  OdynScheme sc;
  OdynLayer  l;

  PetscFunctionBegin;
  PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
  PetscCall(OdynSchemeSetType(sc, ODYNSCHEMEEULER));
  PetscCall(OdynSchemeSetNumSteps(sc, N));
  PetscCall(OdynSchemeSetFinalTime(sc, 2.0));
  PetscCall(OdynSchemeGetLayer(sc, &l));
  PetscCall(OdynLayerSetWidth(l, 3));
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, net));
  PetscCall(OdynNetAddBlock(*net, sc));
  PetscCall(OdynSchemeDestroy(&sc));
  PetscFunctionReturn(0);
}

/* theta_j = a + (j + 1/2) h c: linear in time, sampled at cell centres */
static PetscErrorCode SetLinearInTime(OdynNet net, PetscInt N, const PetscScalar *a, const PetscScalar *c, Vec theta)
{
  PetscInt np = 12, rs, re;
  PetscReal h = 2.0 / N;

  PetscFunctionBegin;
  PetscCall(VecGetOwnershipRange(theta, &rs, &re));
  for (PetscInt i = rs; i < re; i++) PetscCall(VecSetValue(theta, i, a[i % np] + (i / np + 0.5) * h * c[i % np], INSERT_VALUES));
  PetscCall(VecAssemblyBegin(theta));
  PetscCall(VecAssemblyEnd(theta));
  PetscFunctionReturn(0);
}

START_TEST(test_linear_in_time)
{
  OdynNet     c, f;
  Vec         thc, thf, expect;
  PetscScalar a[12], sl[12];
  PetscReal   err, nrm;
  PetscInt    rs, re;

  ODYN_CK(MakeNet(4, &c));
  ODYN_CK(MakeNet(8, &f));
  ODYN_CK(OdynNetCreateParameterVec(c, &thc));
  ODYN_CK(OdynNetCreateParameterVec(f, &thf));
  ODYN_CK(VecDuplicate(thf, &expect));
  ODYN_CK(OdynTestRandom(7, 12, 1.0, a));
  ODYN_CK(OdynTestRandom(8, 12, 1.0, sl));
  ODYN_CK(SetLinearInTime(c, 4, a, sl, thc));
  ODYN_CK(OdynNetProlongParameters(c, thc, f, thf));
  ODYN_CK(SetLinearInTime(f, 8, a, sl, expect));
  /* interior fine steps 1..6 reproduce the line exactly; the end cells extrapolate constantly */
  ODYN_CK(VecGetOwnershipRange(thf, &rs, &re));
  for (PetscInt i = rs; i < re; i++) {
    PetscScalar v, e;
    if (i / 12 == 0 || i / 12 == 7) continue;
    ODYN_CK(VecGetValues(thf, 1, &i, &v));
    ODYN_CK(VecGetValues(expect, 1, &i, &e));
    ck_assert_msg(PetscAbsScalar(v - e) <= 1e-14 * (1 + PetscAbsScalar(e)), "fine entry %d: %g, expected %g", (int)i, (double)v, (double)e);
  }
  /* a constant in time stays that constant everywhere */
  ODYN_CK(SetLinearInTime(c, 4, a, (PetscScalar[12]){0}, thc));
  ODYN_CK(OdynNetProlongParameters(c, thc, f, thf));
  ODYN_CK(SetLinearInTime(f, 8, a, (PetscScalar[12]){0}, expect));
  ODYN_CK(VecAXPY(expect, -1.0, thf));
  ODYN_CK(VecNorm(expect, NORM_INFINITY, &err));
  ODYN_CK(VecNorm(thf, NORM_INFINITY, &nrm));
  ck_assert_msg(err <= 1e-15 * nrm, "constant in time not kept: %g", (double)err);
  ODYN_CK(VecDestroy(&thc));
  ODYN_CK(VecDestroy(&thf));
  ODYN_CK(VecDestroy(&expect));
  ODYN_CK(OdynNetDestroy(&c));
  ODYN_CK(OdynNetDestroy(&f));
}
END_TEST

/* The prolonged network approximates the coarse one, and better as the steps shrink: the change from one level to
   the next falls at least like h (measured: a factor of about 4.9 per level for this smooth theta). */
START_TEST(test_forward_converges)
{
  OdynNet   net[3];
  Vec       th[3], Y0, YN[3];
  PetscReal d1, d2;
  PetscInt  s = 20;

  for (PetscInt l = 0; l < 3; l++) {
    ODYN_CK(MakeNet(8 << l, &net[l]));
    ODYN_CK(OdynNetCreateParameterVec(net[l], &th[l]));
  }
  ODYN_CK(OdynTestRandomVec(3, 0.5, th[0]));
  ODYN_CK(OdynNetProlongParameters(net[0], th[0], net[1], th[1]));
  ODYN_CK(OdynNetProlongParameters(net[1], th[1], net[2], th[2]));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, 3 * s, &Y0));
  ODYN_CK(OdynTestRandomVec(4, 1.0, Y0));
  for (PetscInt l = 0; l < 3; l++) {
    ODYN_CK(VecDuplicate(Y0, &YN[l]));
    ODYN_CK(OdynNetForward(net[l], th[l], Y0, YN[l]));
  }
  ODYN_CK(VecAXPY(YN[0], -1.0, YN[1]));
  ODYN_CK(VecAXPY(YN[1], -1.0, YN[2]));
  ODYN_CK(VecNorm(YN[0], NORM_2, &d1));
  ODYN_CK(VecNorm(YN[1], NORM_2, &d2));
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "prolongation: ||Y(16) - Y(8)|| = %.3e, ||Y(32) - Y(16)|| = %.3e, ratio %.2f\n", (double)d1, (double)d2, (double)(d1 / d2)));
  ck_assert_msg(d1 / d2 > 1.6, "refining should at least halve the change (first order), ratio %g", (double)(d1 / d2));
  for (PetscInt l = 0; l < 3; l++) {
    ODYN_CK(VecDestroy(&th[l]));
    ODYN_CK(VecDestroy(&YN[l]));
    ODYN_CK(OdynNetDestroy(&net[l]));
  }
  ODYN_CK(VecDestroy(&Y0));
}
END_TEST

START_TEST(test_mismatch)
{
  OdynNet c, f;
  Vec     thc, thf;

  ODYN_CK(MakeNet(4, &c));
  ODYN_CK(MakeNet(6, &f));
  ODYN_CK(OdynNetCreateParameterVec(c, &thc));
  ODYN_CK(OdynNetCreateParameterVec(f, &thf));
  odyn_ck_error_contains(OdynNetProlongParameters(c, thc, f, thf), "twice the steps");
  ODYN_CK(VecDestroy(&thc));
  ODYN_CK(VecDestroy(&thf));
  ODYN_CK(OdynNetDestroy(&c));
  ODYN_CK(OdynNetDestroy(&f));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("prolong");
  TCase *t = tcase_create("prolong");
  tcase_add_test(t, test_linear_in_time);
  tcase_add_test(t, test_forward_converges);
  tcase_add_test(t, test_mismatch);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
