/*
  The schemes of paper 002 / 004 with their own per-step parameters (Du Fort-Frankel alpha_j, FSI alpha_j, LM-ResNet
  k_j) and the fixed-point implicit block, beyond the registry walk of test_schemes.c: Taylor and dot-product tests
  with -odyn_scheme_shared_weights and every type option, the limits in which each reduces to forward Euler, the
  implicit block converging to the backward Euler step (paper 002 eq. 22), and that the smooth regularizer and the
  multilevel prolongation follow the layout [shared | slot_0 | ... | slot_{N-1}].
*/
#include <string.h>
#include "odyntest.h"

enum { NC = 2, LEN = 4, NS = 3, NSTEP = 5 };

static PetscErrorCode MakeScheme(const char *stype, PetscBool shared, const char *opts, OdynScheme *sc)
{
  OdynLayer l;

  PetscFunctionBegin;
  PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, sc));
  PetscCall(OdynSchemeSetType(*sc, stype));
  PetscCall(OdynSchemeSetNumSteps(*sc, NSTEP));
  PetscCall(OdynSchemeSetFinalTime(*sc, 2.0));
  PetscCall(OdynSchemeSetSharedWeights(*sc, shared));
  PetscCall(OdynSchemeGetLayer(*sc, &l));
  PetscCall(OdynLayerSetType(l, ODYNLAYERDIFFUSIONCONV));
  PetscCall(OdynLayerSetWidth(l, NC * LEN));
  PetscCall(OdynLayerDiffusionSetChannels(l, NC, 3));
  PetscCall(OdynLayerSetActivation(l, ODYN_ACTIVATION_PERONAMALIK));
  if (opts) {
    /* a fresh prefix per call, so that these options reach only this scheme (clearing the database would drop
       -malloc_dump and with it the leak check) */
    static int ncall = 0;
    char       prefix[32], buf[1024], *q = buf;

    PetscCheck(strlen(opts) < 900, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "options string too long");
    PetscCall(PetscSNPrintf(prefix, sizeof(prefix), "pde%d_", ncall++));
    PetscCall(OdynSchemeSetOptionsPrefix(*sc, prefix));
    /* "-odyn_x v" -> "-pdeN_odyn_x v" */
    for (const char *o = opts; *o; o++) {
      if (*o == '-' && (o == opts || o[-1] == ' ') && !strncmp(o, "-odyn_", 6)) q += sprintf(q, "-%s", prefix);
      else *q++ = *o;
    }
    *q = 0;
    PetscCall(PetscOptionsInsertString(NULL, buf));
    PetscCall(OdynSchemeSetFromOptions(*sc));
  }
  PetscCall(OdynSchemeSetUp(*sc));
  PetscFunctionReturn(0);
}

typedef struct {
  OdynScheme         sc;
  const PetscScalar *theta, *dtheta, *Y0, *dY0;
  PetscScalar       *thp, *Yp;
  PetscInt           np, n;
  PetscBool          wrttheta;
} Ctx;

static PetscErrorCode Perturbed(void *ctx, PetscReal eps, PetscScalar out[])
{
  Ctx *c = (Ctx *)ctx;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < c->np; i++) c->thp[i] = c->theta[i] + (c->wrttheta ? eps * c->dtheta[i] : 0.0);
  for (PetscInt i = 0; i < c->n * NS; i++) c->Yp[i] = c->Y0[i] + (c->wrttheta ? 0.0 : eps * c->dY0[i]);
  PetscCall(OdynSchemeForward(c->sc, c->thp, NS, c->Yp, out));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckScheme(const char *stype, PetscBool shared, const char *opts)
{
  Ctx               c;
  PetscInt          nsh, nslot, nextra, nl, len;
  PetscScalar      *buf, *th, *dth, *Y0, *dY0, *YN, *Jt, *JY, *W, *gth, *gY;
  OdynLayer         l;
  OdynTaylorOptions topt;
  char              label[256];
  PetscReal         rel;

  PetscFunctionBegin;
  PetscCall(MakeScheme(stype, shared, opts, &c.sc));
  PetscCall(OdynSchemeGetNumParameters(c.sc, &c.np));
  PetscCall(OdynSchemeGetWidth(c.sc, &c.n));
  PetscCall(OdynSchemeGetParameterLayout(c.sc, &nsh, &nslot, &nextra));
  PetscCall(OdynSchemeGetLayer(c.sc, &l));
  PetscCall(OdynLayerGetNumParameters(l, &nl));
  ck_assert_int_eq(nsh, shared ? nl : 0);
  ck_assert_int_eq(nslot, (shared ? 0 : nl) + nextra);
  ck_assert_int_eq(c.np, nsh + NSTEP * nslot);
  len = c.n * NS;
  PetscCall(PetscMalloc1(5 * c.np + 8 * len, &buf));
  th = buf, dth = th + c.np, c.thp = dth + c.np, gth = c.thp + c.np, Y0 = gth + c.np, dY0 = Y0 + len, c.Yp = dY0 + len, YN = c.Yp + len;
  Jt = YN + len, JY = Jt + len, W = JY + len, gY = W + len;
  PetscCall(OdynTestRandom(11, c.np, 0.5, th));
  PetscCall(OdynTestRandom(12, c.np, 1.0, dth));
  PetscCall(OdynTestRandom(13, len, 1.0, Y0));
  PetscCall(OdynTestRandom(14, len, 1.0, dY0));
  PetscCall(OdynTestRandom(15, len, 1.0, W));
  PetscCall(PetscArrayzero(gth, c.np));
  PetscCall(OdynSchemeForward(c.sc, th, NS, Y0, YN));
  PetscCall(OdynSchemeTangent(c.sc, th, dth, NULL, Jt));
  PetscCall(OdynSchemeTangent(c.sc, th, NULL, dY0, JY));
  PetscCall(OdynSchemeAdjoint(c.sc, th, W, gth, gY));
  rel = OdynDotTestRelDiff(len, Jt, W, c.np, dth, gth);
  ck_assert_msg(rel < 1e-12, "dot test theta %s shared %d %s: rel %g", stype, (int)shared, opts ? opts : "", (double)rel);
  rel = OdynDotTestRelDiff(len, JY, W, len, dY0, gY);
  ck_assert_msg(rel < 1e-12, "dot test Y0 %s shared %d %s: rel %g", stype, (int)shared, opts ? opts : "", (double)rel);
  OdynTaylorOptionsDefault(&topt);
  topt.eps0 = 1e-2; /* see test_schemes.c: the row-sum rescaling is curved and piecewise linear */
  c.theta = th, c.dtheta = dth, c.Y0 = Y0, c.dY0 = dY0;
  c.wrttheta = PETSC_TRUE;
  PetscCall(PetscSNPrintf(label, sizeof(label), "d/dtheta %s shared %d %s", stype, (int)shared, opts ? opts : ""));
  ck_assert_msg(OdynTaylorTest(label, len, YN, Jt, Perturbed, &c, &topt), "Taylor test failed: %s", label);
  c.wrttheta = PETSC_FALSE;
  PetscCall(PetscSNPrintf(label, sizeof(label), "d/dY0 %s shared %d %s", stype, (int)shared, opts ? opts : ""));
  ck_assert_msg(OdynTaylorTest(label, len, YN, JY, Perturbed, &c, &topt), "Taylor test failed: %s", label);
  PetscCall(PetscFree(buf));
  PetscCall(OdynSchemeDestroy(&c.sc));
  PetscFunctionReturn(0);
}

START_TEST(test_derivatives)
{
  const char *types[] = {ODYNSCHEMEEULER, ODYNSCHEMELEAPFROG, ODYNSCHEMEDUFORTFRANKEL, ODYNSCHEMEFSI, ODYNSCHEMELMRESNET, ODYNSCHEMEIMPLICIT};
  const char *opts[]  = {"-odyn_scheme_dufortfrankel_learn false -odyn_scheme_dufortfrankel_alpha 2", "-odyn_scheme_dufortfrankel_alpha 0.1", "-odyn_scheme_fsi_cycle_length 2", "-odyn_scheme_fsi_learn false -odyn_scheme_fsi_cycle_length 3", "-odyn_scheme_implicit_iterations 1", "-odyn_scheme_implicit_iterations 6"};

  for (int t = 0; t < 6; t++)
    for (int sh = 0; sh < 2; sh++) ODYN_CK(CheckScheme(types[t], (PetscBool)sh, NULL));
  for (int o = 0; o < 6; o++) ODYN_CK(CheckScheme(o < 2 ? ODYNSCHEMEDUFORTFRANKEL : (o < 4 ? ODYNSCHEMEFSI : ODYNSCHEMEIMPLICIT), (PetscBool)(o % 2), opts[o]));
}
END_TEST

/* Y_N of scheme `stype` at the layer parameters thl (nl per step), with every scheme parameter set to `extra` */
static PetscErrorCode Output(const char *stype, const char *opts, const PetscScalar *thl, PetscScalar extra, const PetscScalar *Y0, PetscScalar *YN)
{
  OdynScheme   sc;
  PetscInt     np, nsh, nslot, nextra;
  PetscScalar *th;

  PetscFunctionBegin;
  PetscCall(MakeScheme(stype, PETSC_FALSE, opts, &sc));
  PetscCall(OdynSchemeGetNumParameters(sc, &np));
  PetscCall(OdynSchemeGetParameterLayout(sc, &nsh, &nslot, &nextra));
  PetscCall(PetscMalloc1(np, &th));
  for (PetscInt j = 0; j < NSTEP; j++) {
    PetscCall(PetscArraycpy(th + j * nslot, thl + j * (nslot - nextra), nslot - nextra));
    if (nextra) th[j * nslot + nslot - 1] = extra;
  }
  PetscCall(OdynSchemeForward(sc, th, NS, Y0, YN));
  PetscCall(PetscFree(th));
  PetscCall(OdynSchemeDestroy(&sc));
  PetscFunctionReturn(0);
}

static PetscReal RelDiff(PetscInt len, const PetscScalar *a, const PetscScalar *b)
{
  PetscReal d = 0, nb = 0;
  for (PetscInt i = 0; i < len; i++) {
    d += PetscRealPart((a[i] - b[i]) * (a[i] - b[i]));
    nb += PetscRealPart(b[i] * b[i]);
  }
  return PetscSqrtReal(d / nb);
}

START_TEST(test_euler_limits)
{
  const PetscInt len = NC * LEN * NS, nl = 3 * NC * 3 + 2;
  const PetscReal h  = 2.0 / NSTEP;
  PetscScalar    thl[NSTEP * (3 * NC * 3 + 2)], Y0[NC * LEN * NS], Ye[NC * LEN * NS], Y[NC * LEN * NS];
  char           opt[128];

  ODYN_CK(OdynTestRandom(21, NSTEP * nl, 0.5, thl));
  ODYN_CK(OdynTestRandom(22, len, 1.0, Y0));
  ODYN_CK(Output(ODYNSCHEMEEULER, NULL, thl, 0, Y0, Ye));
  /* LM-ResNet with k = 0, FSI with alpha = 1 + tanh(0), Du Fort-Frankel with h alpha = 1/2, one fixed-point iteration */
  ODYN_CK(Output(ODYNSCHEMELMRESNET, NULL, thl, 0.0, Y0, Y));
  ck_assert_msg(RelDiff(len, Y, Ye) < 1e-14, "lmresnet k = 0: %g", (double)RelDiff(len, Y, Ye));
  ODYN_CK(Output(ODYNSCHEMEFSI, NULL, thl, 0.0, Y0, Y));
  ck_assert_msg(RelDiff(len, Y, Ye) < 1e-14, "fsi alpha = 1: %g", (double)RelDiff(len, Y, Ye));
  snprintf(opt, sizeof(opt), "-odyn_scheme_dufortfrankel_learn false -odyn_scheme_dufortfrankel_alpha %.17g", 0.5 / h);
  ODYN_CK(Output(ODYNSCHEMEDUFORTFRANKEL, opt, thl, 0.0, Y0, Y));
  ck_assert_msg(RelDiff(len, Y, Ye) < 1e-14, "dufortfrankel h alpha = 1/2: %g", (double)RelDiff(len, Y, Ye));
  ODYN_CK(Output(ODYNSCHEMEIMPLICIT, "-odyn_scheme_implicit_iterations 1", thl, 0.0, Y0, Y));
  ck_assert_msg(RelDiff(len, Y, Ye) < 1e-14, "implicit L = 1: %g", (double)RelDiff(len, Y, Ye));
  /* learned k_j != 0 does change the output (the parameter is wired in) */
  ODYN_CK(Output(ODYNSCHEMELMRESNET, NULL, thl, 0.3, Y0, Y));
  ck_assert(RelDiff(len, Y, Ye) > 1e-3);
}
END_TEST

START_TEST(test_implicit_converges)
{
  OdynScheme         sc;
  OdynLayer          l;
  PetscInt           np, nl, n = NC * LEN, len = NC * LEN * NS;
  PetscScalar       *th, Y0[NC * LEN * NS], F[NC * LEN * NS];
  const PetscScalar *Yj, *Yj1;
  PetscReal          res = 0, nrm = 0;

  ODYN_CK(MakeScheme(ODYNSCHEMEIMPLICIT, PETSC_FALSE, "-odyn_scheme_implicit_iterations 60", &sc));
  ODYN_CK(OdynSchemeGetNumParameters(sc, &np));
  ODYN_CK(OdynSchemeGetLayer(sc, &l));
  ODYN_CK(OdynLayerGetNumParameters(l, &nl));
  ODYN_CK(PetscMalloc1(np, &th));
  ODYN_CK(OdynTestRandom(31, np, 0.5, th));
  ODYN_CK(OdynTestRandom(32, len, 1.0, Y0));
  ODYN_CK(OdynSchemeForward(sc, th, NS, Y0, NULL));
  /* h tau Lip ||Kt||^2 <= 0.4 * 2 * sigmoid(0.5) < 1: a contraction, so V_60 solves Y_{j+1} = Y_j + h F(Y_{j+1}) */
  for (PetscInt j = 0; j < NSTEP; j++) {
    ODYN_CK(OdynSchemeGetState(sc, j, &Yj, NULL));
    ODYN_CK(OdynSchemeGetState(sc, j + 1, &Yj1, NULL));
    ODYN_CK(OdynLayerApply(l, 0, th + j * nl, NS, Yj1, F));
    for (PetscInt i = 0; i < len; i++) {
      const PetscScalar r = Yj1[i] - Yj[i] - 0.4 * F[i];
      res += PetscRealPart(r * r);
      nrm += PetscRealPart(Yj1[i] * Yj1[i]);
    }
  }
  ck_assert_msg(PetscSqrtReal(res / nrm) < 1e-10, "implicit residual %g", (double)PetscSqrtReal(res / nrm));
  (void)n;
  ODYN_CK(PetscFree(th));
  ODYN_CK(OdynSchemeDestroy(&sc));
}
END_TEST

/* smooth regularizer and prolongation on an LM-ResNet block with shared weights: only the k_j vary in time */
START_TEST(test_layout_consumers)
{
  for (int sh = 0; sh < 2; sh++) {
    OdynScheme         sc;
    OdynNet            net;
    OdynRegularizer    reg;
    Vec                th, thf;
    PetscInt           np, nsh, nslot, npf;
    PetscReal          R, expect = 0;
    const PetscReal    h = 2.0 / NSTEP;
    const PetscScalar *c, *f;

    ODYN_CK(MakeScheme(ODYNSCHEMELMRESNET, (PetscBool)sh, NULL, &sc));
    ODYN_CK(OdynSchemeGetParameterLayout(sc, &nsh, &nslot, NULL));
    ODYN_CK(OdynNetCreate(PETSC_COMM_SELF, &net));
    ODYN_CK(OdynNetAddBlock(net, sc));
    ODYN_CK(OdynSchemeDestroy(&sc));
    ODYN_CK(OdynNetCreateParameterVec(net, &th));
    ODYN_CK(VecGetSize(th, &np));
    ck_assert_int_eq(np, nsh + NSTEP * nslot);
    ODYN_CK(OdynTestRandomVec(41, 1.0, th));
    ODYN_CK(OdynRegularizerCreate(PETSC_COMM_SELF, &reg));
    ODYN_CK(OdynRegularizerSetType(reg, ODYNREGSMOOTH));
    ODYN_CK(OdynRegularizerSetNet(reg, net));
    ODYN_CK(OdynRegularizerEvaluate(reg, th, &R, NULL));
    /* R = h/2 sum_j ||(slot_j - slot_{j-1}) / h||^2 over the time slots, the shared part untouched */
    ODYN_CK(VecGetArrayRead(th, &c));
    for (PetscInt j = 1; j < NSTEP; j++)
      for (PetscInt i = 0; i < nslot; i++) {
        const PetscReal d = PetscRealPart(c[nsh + j * nslot + i] - c[nsh + (j - 1) * nslot + i]) / h;
        expect += 0.5 * h * d * d;
      }
    ck_assert_msg(PetscAbsReal(R - expect) <= 1e-13 * expect, "smooth R = %.16g, expected %.16g (shared %d)", (double)R, (double)expect, sh);
    /* prolongation: the shared part copied, the slots interpolated at the fine cell centres */
    ODYN_CK(OdynNetRefineSteps(net, th, &thf));
    ODYN_CK(VecGetSize(thf, &npf));
    ck_assert_int_eq(npf, nsh + 2 * NSTEP * nslot);
    ODYN_CK(VecGetArrayRead(thf, &f));
    for (PetscInt i = 0; i < nsh; i++) ck_assert(f[i] == c[i]);
    for (PetscInt k = 0; k < NSTEP; k++)
      for (PetscInt i = 0; i < nslot; i++) {
        const PetscScalar ck = c[nsh + k * nslot + i], cm = c[nsh + PetscMax(k - 1, 0) * nslot + i], cp = c[nsh + PetscMin(k + 1, NSTEP - 1) * nslot + i];
        ck_assert(PetscAbsScalar(f[nsh + 2 * k * nslot + i] - (0.75 * ck + 0.25 * cm)) < 1e-15);
        ck_assert(PetscAbsScalar(f[nsh + (2 * k + 1) * nslot + i] - (0.75 * ck + 0.25 * cp)) < 1e-15);
      }
    ODYN_CK(VecRestoreArrayRead(thf, &f));
    ODYN_CK(VecRestoreArrayRead(th, &c));
    /* the regularizer follows the refined layout */
    ODYN_CK(OdynRegularizerEvaluate(reg, thf, &R, NULL));
    ODYN_CK(VecDestroy(&thf));
    ODYN_CK(VecDestroy(&th));
    ODYN_CK(OdynRegularizerDestroy(&reg));
    ODYN_CK(OdynNetDestroy(&net));
  }
}
END_TEST

/* setters, options and bad values: errors name the option and come from SetUp, after the options block */
START_TEST(test_options)
{
  OdynScheme sc;
  OdynLayer  l;
  PetscInt   L, nextra;

  ODYN_CK(MakeScheme(ODYNSCHEMEIMPLICIT, PETSC_FALSE, "-odyn_scheme_implicit_iterations 4", &sc));
  ODYN_CK(OdynSchemeImplicitGetIterations(sc, &L));
  ck_assert_int_eq(L, 4);
  ODYN_CK(OdynSchemeImplicitSetIterations(sc, 2));
  ODYN_CK(OdynSchemeImplicitGetIterations(sc, &L));
  ck_assert_int_eq(L, 2);
  odyn_ck_error_contains(OdynSchemeImplicitSetIterations(sc, 0), "must be >= 1");
  ODYN_CK(OdynSchemeDestroy(&sc));
  odyn_ck_error_contains(MakeScheme(ODYNSCHEMEIMPLICIT, PETSC_FALSE, "-odyn_scheme_implicit_iterations 0", &sc), "-odyn_scheme_implicit_iterations");
  ODYN_CK(OdynSchemeDestroy(&sc));
  odyn_ck_error_contains(MakeScheme(ODYNSCHEMEFSI, PETSC_FALSE, "-odyn_scheme_fsi_cycle_length -1", &sc), "-odyn_scheme_fsi_cycle_length");
  ODYN_CK(OdynSchemeDestroy(&sc));
  odyn_ck_error_contains(MakeScheme(ODYNSCHEMEDUFORTFRANKEL, PETSC_FALSE, "-odyn_scheme_dufortfrankel_learn false -odyn_scheme_dufortfrankel_alpha 0", &sc), "-odyn_scheme_dufortfrankel_alpha");
  ODYN_CK(OdynSchemeDestroy(&sc));
  /* the setters change the layout: fixed weights have no scheme parameters */
  ODYN_CK(MakeScheme(ODYNSCHEMEFSI, PETSC_TRUE, "-odyn_layer_diffusion_boundary zero -odyn_scheme_shared_weights", &sc));
  ODYN_CK(OdynSchemeGetParameterLayout(sc, NULL, NULL, &nextra));
  ck_assert_int_eq(nextra, 1);
  ODYN_CK(OdynSchemeFSISetCycle(sc, 2, PETSC_FALSE));
  ODYN_CK(OdynSchemeGetParameterLayout(sc, NULL, NULL, &nextra));
  ck_assert_int_eq(nextra, 0);
  ODYN_CK(OdynSchemeDuFortFrankelSetAlpha(sc, 1.0, PETSC_TRUE)); /* another type: ignored */
  odyn_ck_error_contains(OdynSchemeFSISetCycle(sc, -2, PETSC_TRUE), "must be >= 0");
  ODYN_CK(OdynSchemeGetLayer(sc, &l));
  ODYN_CK(OdynLayerView(l, PETSC_VIEWER_STDOUT_SELF));
  ODYN_CK(OdynSchemeDestroy(&sc));
  ODYN_CK(MakeScheme(ODYNSCHEMEDUFORTFRANKEL, PETSC_FALSE, NULL, &sc));
  ODYN_CK(OdynSchemeDuFortFrankelSetAlpha(sc, 2.0, PETSC_FALSE));
  ODYN_CK(OdynSchemeGetParameterLayout(sc, NULL, NULL, &nextra));
  ck_assert_int_eq(nextra, 0);
  odyn_ck_error_contains(OdynSchemeDuFortFrankelSetAlpha(sc, 0.0, PETSC_FALSE), "> 0 when fixed");
  ODYN_CK(OdynSchemeView(sc, PETSC_VIEWER_STDOUT_SELF));
  ODYN_CK(OdynSchemeDestroy(&sc));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("pde_schemes");
  TCase *t = tcase_create("schemes");
  tcase_add_test(t, test_derivatives);
  tcase_add_test(t, test_euler_limits);
  tcase_add_test(t, test_implicit_converges);
  tcase_add_test(t, test_layout_consumers);
  tcase_add_test(t, test_options);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
