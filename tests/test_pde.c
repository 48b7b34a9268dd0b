/*
  The PDE-inspired layers of paper 002: the diffusion-flux activations (derivatives in s and in the contrast lambda,
  Lipschitz constant 1, Perona-Malik non-monotone), the diffusion layers' conformance in configurations the registry
  walk does not reach (several channels, zero boundary, m != n), Euclidean stability of many diffusion blocks with
  random weights for every activation (paper 002 Theorem 2), and the row-sum rescaling bound ||Kt|| <= 1, hence
  ||I - h tau Kt^T Kt|| <= 1 (paper 002 Sec. 3.3).
*/
#include <string.h>
#include <odyn/private/pointwise.h>
#include "odyntest.h"

typedef struct {
  int              act;
  PetscInt         n;
  const PetscReal *x, *v;
  PetscReal        lambda, dlambda;
  PetscBool        wrtlambda;
} ActCtx;

static PetscErrorCode ActPerturbed(void *ctx, PetscReal eps, PetscScalar out[])
{
  ActCtx *c = (ActCtx *)ctx;
  for (PetscInt i = 0; i < c->n; i++) out[i] = c->wrtlambda ? odyn_act_l(c->act, c->x[i], c->lambda + eps * c->dlambda) : odyn_act_l(c->act, c->x[i] + eps * c->v[i], c->lambda);
  return 0;
}

START_TEST(test_activations)
{
  enum { NX = 40 };
  PetscReal         x[NX], v[NX], F0[NX], Jv[NX];
  const PetscReal   lambdas[] = {0.3, 1.0, 2.5};
  OdynTaylorOptions topt;

  OdynTaylorOptionsDefault(&topt);
  topt.eps0 = 1e-2;
  /* -4..4 without 0 (ReLU's kink) */
  for (int i = 0; i < NX; i++) {
    x[i] = -4.0 + 8.0 * (i + 0.5) / NX;
    v[i] = 0.3 + 0.7 * ((i * 7) % 5) / 4.0;
  }
  for (int act = ODYN_ACTIVATION_IDENTITY; act <= ODYN_ACTIVATION_LAST; act++) {
    for (int l = 0; l < 3; l++) {
      ActCtx    c = {act, NX, x, v, lambdas[l], 1.0, PETSC_FALSE};
      char      label[128];
      PetscReal lip = 0, dmin = 1;
      for (int i = 0; i < NX; i++) {
        F0[i] = odyn_act_l(act, x[i], lambdas[l]);
        Jv[i] = odyn_act_deriv_l(act, x[i], lambdas[l]) * v[i];
      }
      snprintf(label, sizeof(label), "d/ds %s lambda %g", OdynActivationTypes[act], lambdas[l]);
      ck_assert_msg(OdynTaylorTest(label, NX, F0, Jv, ActPerturbed, &c, &topt), "Taylor test failed: %s", label);
      /* d/dlambda: zero for the activations without a contrast, exact for the fluxes */
      c.wrtlambda = PETSC_TRUE;
      for (int i = 0; i < NX; i++) Jv[i] = odyn_act_dlambda(act, x[i], lambdas[l]);
      snprintf(label, sizeof(label), "d/dlambda %s lambda %g", OdynActivationTypes[act], lambdas[l]);
      if (odyn_act_has_contrast(act)) ck_assert_msg(OdynTaylorTest(label, NX, F0, Jv, ActPerturbed, &c, &topt), "Taylor test failed: %s", label);
      else
        for (int i = 0; i < NX; i++) ck_assert(Jv[i] == 0.0 && odyn_act_l(act, x[i], 7.0) == F0[i]);
      /* the Lipschitz constant the stability bound relies on, on a fine grid */
      for (int i = -4000; i <= 4000; i++) {
        const PetscReal d = odyn_act_deriv_l(act, i * 1e-3 * lambdas[l], lambdas[l]);
        lip               = PetscMax(lip, PetscAbsReal(d));
        dmin              = PetscMin(dmin, d);
      }
      ck_assert_msg(lip <= ODYN_PW_LIPSCHITZ + 1e-14 && lip >= 0.999, "%s: sup |Phi'| = %g", OdynActivationTypes[act], (double)lip);
      /* Perona-Malik is non-monotone (min Phi' = -1/8 at s^2 = 3 lambda^2), Charbonnier monotone */
      if (act == ODYN_ACTIVATION_PERONAMALIK) ck_assert_msg(PetscAbsReal(dmin + 0.125) < 1e-6, "min Phi' = %g", (double)dmin);
      if (act == ODYN_ACTIVATION_CHARBONNIER) ck_assert(dmin > 0);
      /* a flux Phi(s) = g(s^2) s is odd */
      if (act != ODYN_ACTIVATION_RELU) ck_assert(PetscAbsReal(odyn_act_l(act, 1.7, lambdas[l]) + odyn_act_l(act, -1.7, lambdas[l])) < 1e-15);
    }
  }
  /* the names of -odyn_layer_activation */
  ck_assert_str_eq(OdynActivationTypes[ODYN_ACTIVATION_CHARBONNIER], "charbonnier");
  ck_assert_str_eq(OdynActivationTypes[ODYN_ACTIVATION_PERONAMALIK], "peronamalik");
}
END_TEST

/* a diffusion layer: dense (c = 0: n x n, m = ch) or 1-D conv of c channels, length L */
static PetscErrorCode MakeLayer(PetscInt c, PetscInt ch, PetscInt L, PetscBool periodic, OdynActivationType act, OdynLayer *layer)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerCreate(PETSC_COMM_WORLD, layer));
  PetscCall(OdynLayerSetType(*layer, c ? ODYNLAYERDIFFUSIONCONV : ODYNLAYERDIFFUSION));
  PetscCall(OdynLayerSetWidth(*layer, c ? c * L : L));
  if (c) PetscCall(OdynLayerDiffusionSetChannels(*layer, c, ch));
  else PetscCall(OdynLayerSetHiddenWidth(*layer, ch));
  PetscCall(OdynLayerDiffusionSetPeriodic(*layer, periodic));
  PetscCall(OdynLayerSetActivation(*layer, act));
  PetscCall(OdynLayerSetUp(*layer));
  PetscFunctionReturn(0);
}

START_TEST(test_layer_configs)
{
  /* {c, ch, L, periodic}: several channels in and out, both boundaries, dense with m != n */
  const PetscInt cfg[][4] = {
    {2, 3, 5, 1},
    {2, 3, 5, 0},
    {3, 1, 4, 0},
    {0, 7, 4, 1}
  };
  for (int k = 0; k < 4; k++)
    for (int act = ODYN_ACTIVATION_IDENTITY; act <= ODYN_ACTIVATION_LAST; act++) {
      OdynLayer         layer;
      OdynTaylorOptions topt;
      char              label[128];
      PetscInt          np;
      ODYN_CK(MakeLayer(cfg[k][0], cfg[k][1], cfg[k][2], cfg[k][3] ? PETSC_TRUE : PETSC_FALSE, (OdynActivationType)act, &layer));
      ODYN_CK(OdynLayerGetNumParameters(layer, &np));
      ck_assert_int_eq(np, (cfg[k][0] ? 3 * cfg[k][0] * cfg[k][1] : cfg[k][1] * cfg[k][2]) + 1 + (act >= ODYN_ACTIVATION_CHARBONNIER ? 1 : 0));
      OdynTaylorOptionsDefault(&topt);
      topt.order2_min = 2.4; /* |k| and the largest row sum are piecewise linear: a small ball, as for ReLU */
      topt.eps0       = 1e-3;
      snprintf(label, sizeof(label), "config %d %s", k, OdynActivationTypes[act]);
      ODYN_CK(OdynTestLayerFace(layer, 0, 3, 40 + k, &topt, label));
      ODYN_CK(OdynLayerDestroy(&layer));
    }
}
END_TEST

/* a block of N forward Euler steps of size h = 1 with random per-step weights; rho = 6 puts tau near its bound 2 */
static PetscErrorCode NormHistory(OdynLayer layer, PetscInt N, PetscReal taumax, unsigned long seed, PetscReal ratio[], PetscReal *total)
{
  OdynScheme         scheme;
  PetscInt           n, np, nps, s = 3;
  PetscScalar       *theta, *Y0;
  const PetscScalar *Y;
  PetscReal          prev = 0, norm0 = 0;

  PetscFunctionBegin;
  PetscCall(OdynLayerDiffusionSetTauMax(layer, taumax));
  PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &scheme));
  PetscCall(OdynSchemeSetLayer(scheme, layer));
  PetscCall(OdynSchemeSetNumSteps(scheme, N));
  PetscCall(OdynSchemeSetFinalTime(scheme, (PetscReal)N));
  PetscCall(OdynSchemeGetNumParameters(scheme, &np));
  PetscCall(OdynLayerGetNumParameters(layer, &nps));
  PetscCall(OdynLayerGetWidth(layer, &n));
  PetscCall(PetscMalloc2(np, &theta, n * s, &Y0));
  PetscCall(OdynTestRandom(seed, np, 1.0, theta));
  for (PetscInt j = 0; j < N; j++) {
    OdynActivationType act;
    PetscCall(OdynLayerGetActivation(layer, &act));
    /* [K | rho | eta]: rho = 6, eta in [-1, 1] (lambda in [0.37, 2.7]) */
    theta[j * nps + nps - (act >= ODYN_ACTIVATION_CHARBONNIER ? 2 : 1)] = 6.0;
  }
  PetscCall(OdynTestRandom(seed + 1, n * s, 3.0, Y0));
  PetscCall(OdynSchemeForward(scheme, theta, s, Y0, NULL));
  for (PetscInt k = 0; k <= N; k++) {
    PetscReal nrm = 0;
    PetscCall(OdynSchemeGetState(scheme, k, &Y, NULL));
    for (PetscInt i = 0; i < n * s; i++) nrm += PetscRealPart(Y[i] * Y[i]);
    nrm = PetscSqrtReal(nrm);
    if (k) ratio[k - 1] = nrm / prev;
    else norm0 = nrm;
    prev = nrm;
  }
  *total = prev / norm0;
  PetscCall(PetscFree2(theta, Y0));
  PetscCall(OdynSchemeDestroy(&scheme));
  PetscFunctionReturn(0);
}

START_TEST(test_norm_nonincreasing)
{
  /* dense 8 -> 12, one channel of length 256, 16 channels of length 256 (the 1-D denoising sizes), zero boundary */
  const PetscInt cfg[][4] = {
    {0,  12, 8,   1},
    {1,  1,  256, 1},
    {16, 16, 256, 1},
    {4,  6,  64,  0}
  };
  const PetscInt N = 40;
  PetscReal      ratio[40], total;

  for (int k = 0; k < 4; k++)
    for (int act = ODYN_ACTIVATION_IDENTITY; act <= ODYN_ACTIVATION_LAST; act++) {
      OdynLayer layer;
      PetscReal worst = 0;
      ODYN_CK(MakeLayer(cfg[k][0], cfg[k][1], cfg[k][2], cfg[k][3] ? PETSC_TRUE : PETSC_FALSE, (OdynActivationType)act, &layer));
      ODYN_CK(NormHistory(layer, N, 2.0, 100 + k, ratio, &total));
      for (PetscInt j = 0; j < N; j++) worst = PetscMax(worst, ratio[j]);
      ck_assert_msg(worst <= 1.0 + 1e-13, "config %d %s: ||u_{k+1}|| / ||u_k|| reaches %.16g", k, OdynActivationTypes[act], (double)worst);
      ck_assert_msg(total < 0.999, "config %d %s: the blocks did not diffuse (||u_N|| / ||u_0|| = %g)", k, OdynActivationTypes[act], (double)total);
      /* the bound has teeth: tau up to 200 (h tau ||Kt||^2 well past 2; the block rescaling is conservative,
         ||Kt||^2 ~ 0.1 for 16 random channels) lets single steps grow the norm */
      if (act == ODYN_ACTIVATION_IDENTITY) {
        worst = 0;
        ODYN_CK(NormHistory(layer, N, 200.0, 100 + k, ratio, &total));
        for (PetscInt j = 0; j < N; j++) worst = PetscMax(worst, ratio[j]);
        ck_assert_msg(worst > 1.1, "config %d: tau_max 200 should be unstable, max ||u_{k+1}|| / ||u_k|| = %g", k, (double)worst);
      }
      ODYN_CK(OdynLayerDestroy(&layer));
    }
}
END_TEST

/* power iteration on the symmetric operator v -> a v + b F(v) with F = -tau Kt^T Kt v (identity activation) */
static PetscErrorCode OperatorNorm(OdynLayer layer, const PetscScalar *theta, PetscReal a, PetscReal b, PetscReal *nrm)
{
  PetscInt     n;
  PetscScalar *v, *F;
  PetscReal    lam = 0;

  PetscFunctionBegin;
  PetscCall(OdynLayerGetWidth(layer, &n));
  PetscCall(PetscMalloc2(n, &v, n, &F));
  PetscCall(OdynTestRandom(7, n, 1.0, v));
  for (int it = 0; it < 2000; it++) {
    PetscReal vv = 0, ww = 0;
    PetscCall(OdynLayerApply(layer, 0, theta, 1, v, F));
    for (PetscInt i = 0; i < n; i++) {
      vv += PetscRealPart(v[i] * v[i]);
      F[i] = a * v[i] + b * F[i];
      ww += PetscRealPart(F[i] * F[i]);
    }
    lam = PetscSqrtReal(ww / vv);
    for (PetscInt i = 0; i < n; i++) v[i] = F[i] / PetscSqrtReal(ww);
  }
  *nrm = lam;
  PetscCall(PetscFree2(v, F));
  PetscFunctionReturn(0);
}

START_TEST(test_rescaling_bound)
{
  /* single channel (Gershgorin), several channels (block version), dense rectangular */
  const PetscInt cfg[][4] = {
    {1,  1,  64, 1},
    {1,  1,  64, 0},
    {4,  6,  16, 1},
    {16, 16, 16, 0},
    {0,  9,  6,  1}
  };
  for (int k = 0; k < 5; k++) {
    OdynLayer    layer;
    PetscInt     np;
    PetscScalar *theta;
    PetscReal    tau, lambda, kk, upd;
    ODYN_CK(MakeLayer(cfg[k][0], cfg[k][1], cfg[k][2], cfg[k][3] ? PETSC_TRUE : PETSC_FALSE, ODYN_ACTIVATION_IDENTITY, &layer));
    ODYN_CK(OdynLayerGetNumParameters(layer, &np));
    ODYN_CK(PetscMalloc1(np, &theta));
    ODYN_CK(OdynTestRandom(200 + k, np, 1.0, theta));
    theta[np - 1] = 30.0; /* tau = 2 up to 1e-13 */
    ODYN_CK(OdynLayerDiffusionGetStepAndContrast(layer, theta, &tau, &lambda));
    ck_assert(PetscAbsReal(tau - 2.0) < 1e-12 && lambda == 1.0);
    /* ||Kt||^2 = ||tau Kt^T Kt|| / tau, and the update operator I - h tau Kt^T Kt with h = 1 */
    ODYN_CK(OperatorNorm(layer, theta, 0.0, -1.0 / tau, &kk));
    ODYN_CK(OperatorNorm(layer, theta, 1.0, 1.0, &upd));
    ck_assert_msg(kk <= 1.0 + 1e-12 && kk > 0.05, "config %d: ||Kt||^2 = %g", k, (double)kk);
    ck_assert_msg(upd <= 1.0 + 1e-12, "config %d: ||I - tau Kt^T Kt|| = %.16g", k, (double)upd);
    ODYN_CK(PetscFree(theta));
    ODYN_CK(OdynLayerDestroy(&layer));
  }
}
END_TEST

START_TEST(test_bad_input)
{
  OdynLayer   layer;
  PetscScalar theta[8] = {0}, X[3] = {1, 2, 3}, F[3];

  ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERDIFFUSIONCONV));
  ODYN_CK(OdynLayerSetWidth(layer, 7));
  ODYN_CK(OdynLayerDiffusionSetChannels(layer, 2, 0));
  odyn_ck_error_contains(OdynLayerSetUp(layer), "multiple of the number of channels");
  ODYN_CK(OdynLayerSetWidth(layer, 3));
  ODYN_CK(OdynLayerDiffusionSetChannels(layer, 1, 1));
  ODYN_CK(OdynLayerSetUp(layer));
  odyn_ck_error_contains(OdynLayerApply(layer, 0, theta, 1, X, F), "weights K are all zero");
  odyn_ck_error_contains(OdynLayerDiffusionSetTauMax(layer, -1.0), "tau_max must be positive");
  odyn_ck_error_contains(OdynLayerDiffusionSetContrast(layer, 0.0), "contrast must be positive");
  /* the reference contrast: lambda = 15 exp(eta), tau = 2 / (1 + exp(-rho)) */
  ODYN_CK(OdynLayerSetActivation(layer, ODYN_ACTIVATION_PERONAMALIK));
  ODYN_CK(OdynLayerDiffusionSetContrast(layer, 15.0));
  {
    PetscReal tau, lambda;
    theta[3] = 0.0, theta[4] = PetscLogReal(2.0);
    ODYN_CK(OdynLayerDiffusionGetStepAndContrast(layer, theta, &tau, &lambda));
    ck_assert(PetscAbsReal(tau - 1.0) < 1e-15 && PetscAbsReal(lambda - 30.0) < 1e-13);
  }
  /* bad options are refused by setup, naming the option */
  ODYN_CK(PetscOptionsSetValue(NULL, "-bad_odyn_layer_diffusion_channels", "-2"));
  ODYN_CK(OdynLayerSetOptionsPrefix(layer, "bad_"));
  ODYN_CK(OdynLayerSetFromOptions(layer));
  odyn_ck_error_contains(OdynLayerSetUp(layer), "-odyn_layer_diffusion_channels");
  ODYN_CK(PetscOptionsClearValue(NULL, "-bad_odyn_layer_diffusion_channels"));
  ODYN_CK(OdynLayerDestroy(&layer));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("pde");
  TCase *t = tcase_create("layers");
  tcase_add_test(t, test_activations);
  tcase_add_test(t, test_layer_configs);
  tcase_add_test(t, test_norm_nonincreasing);
  tcase_add_test(t, test_rescaling_bound);
  tcase_add_test(t, test_bad_input);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
