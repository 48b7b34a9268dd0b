/*
  The two-kernel 1-D convolutional ResNet block of paper 002 (ODYNLAYERDIFFUSIONCONVRES, F = tau K2 Phi(K1 u)):
  the forward output against a hand computation on a signal of length 4 (both boundaries, identity and tanh), against
  the symmetric block diffusionconv at K2 = -K1 (several channels, Perona-Malik with a learned contrast), the layer
  conformance (Taylor, dot products, accumulate contract) in the multi-channel / zero-boundary configurations the
  registry walk of test_layers.c does not reach, the parameter count, and a clear error for a bad width.
*/
#include <string.h>
#include "odyntest.h"

static PetscErrorCode MakeRes(PetscInt c, PetscInt ch, PetscInt L, PetscBool periodic, OdynActivationType act, OdynLayer *layer)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerCreate(PETSC_COMM_WORLD, layer));
  PetscCall(OdynLayerSetType(*layer, ODYNLAYERDIFFUSIONCONVRES));
  PetscCall(OdynLayerSetWidth(*layer, c * L));
  PetscCall(OdynLayerDiffusionSetChannels(*layer, c, ch));
  PetscCall(OdynLayerDiffusionSetPeriodic(*layer, periodic));
  PetscCall(OdynLayerSetActivation(*layer, act));
  PetscCall(OdynLayerSetUp(*layer));
  PetscFunctionReturn(0);
}

/*
  L = 4, one channel, rho = 0 (tau = 1), K1 taps (1, 2, 0): Z(i) = u(i-1) + 2 u(i); K2 taps (0, 1, -1) as the adjoint
  convolution: F(p) = P(p) - P(p-1). For u = e_3 (the last sample):
    periodic: Z = (1, 0, 0, 2), identity F = (1 - 2, -1, 0, 2) = (-1, -1, 0, 2); tanh F = (t1 - t2, -t1, 0, t2)
    zero:     Z = (0, 0, 0, 2), identity F = (0, 0, 0, 2)
*/
START_TEST(test_hand)
{
  const PetscScalar theta[7] = {1.0, 2.0, 0.0, 0.0, 1.0, -1.0, 0.0};
  const PetscScalar u[4]     = {0.0, 0.0, 0.0, 1.0};
  const PetscReal   t1 = PetscTanhReal(1.0), t2 = PetscTanhReal(2.0);
  const PetscReal   want[3][4] = {
    {-1.0,    -1.0, 0.0, 2.0},
    {t1 - t2, -t1,  0.0, t2 },
    {0.0,     0.0,  0.0, 2.0}
  };
  const struct {
    PetscBool          periodic;
    OdynActivationType act;
  } cases[3] = {
    {PETSC_TRUE,  ODYN_ACTIVATION_IDENTITY},
    {PETSC_TRUE,  ODYN_ACTIVATION_TANH    },
    {PETSC_FALSE, ODYN_ACTIVATION_IDENTITY}
  };

  for (int k = 0; k < 3; k++) {
    OdynLayer   layer;
    PetscInt    np;
    PetscScalar F[4];

    ODYN_CK(MakeRes(1, 1, 4, cases[k].periodic, cases[k].act, &layer));
    ODYN_CK(OdynLayerGetNumParameters(layer, &np));
    ck_assert_int_eq(np, 7);
    {
      PetscScalar th2[7] = {1.0, 2.0, 0.0, 0.0, 1.0, -1.0, PetscLogReal(3.0)}; /* rho = log 3: tau = 2 * 3/4 */
      PetscReal   tau, lambda;
      ODYN_CK(OdynLayerDiffusionGetStepAndContrast(layer, th2, &tau, &lambda));
      ck_assert_msg(PetscAbsReal(tau - 1.5) < 1e-15 && lambda == 1.0, "tau %g lambda %g", (double)tau, (double)lambda);
    }
    ODYN_CK(OdynLayerApply(layer, 0, theta, 1, u, F));
    for (int i = 0; i < 4; i++) ck_assert_msg(PetscAbsScalar(F[i] - want[k][i]) < 1e-15, "case %d: F[%d] = %g, want %g", k, i, (double)F[i], (double)want[k][i]);
    ODYN_CK(OdynLayerDestroy(&layer));
  }
}
END_TEST

/*
  diffusionconv is F = -tau Kt^T Phi(Kt u) with Kt = K / R(K); this layer at K1 = Kt, K2 = -Kt (same rho, eta) is the
  same function. R (the block rescaling of diffusion.c): r_oa = sum_t |k_oat|, R = max(max_o sum_a r_oa, max_a sum_o r_oa).
*/
START_TEST(test_symmetric_special_case)
{
  const PetscInt c = 2, ch = 3, L = 5, s = 3, nk = 3 * c * ch, n = c * L;

  for (int periodic = 0; periodic < 2; periodic++) {
    OdynLayer   sym, res;
    PetscInt    nps, npr;
    PetscScalar ths[3 * 2 * 3 + 2], thr[2 * 3 * 2 * 3 + 2], X[2 * 5 * 3], Fs[2 * 5 * 3], Fr[2 * 5 * 3];
    PetscReal   R = 0.0, diff = 0.0, norm = 0.0;

    ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &sym));
    ODYN_CK(OdynLayerSetType(sym, ODYNLAYERDIFFUSIONCONV));
    ODYN_CK(OdynLayerSetWidth(sym, n));
    ODYN_CK(OdynLayerDiffusionSetChannels(sym, c, ch));
    ODYN_CK(OdynLayerDiffusionSetPeriodic(sym, periodic ? PETSC_TRUE : PETSC_FALSE));
    ODYN_CK(OdynLayerDiffusionSetContrast(sym, 3.0));
    ODYN_CK(OdynLayerSetActivation(sym, ODYN_ACTIVATION_PERONAMALIK));
    ODYN_CK(OdynLayerSetUp(sym));
    ODYN_CK(MakeRes(c, ch, L, periodic ? PETSC_TRUE : PETSC_FALSE, ODYN_ACTIVATION_PERONAMALIK, &res));
    ODYN_CK(OdynLayerDiffusionSetContrast(res, 3.0));
    ODYN_CK(OdynLayerGetNumParameters(sym, &nps));
    ODYN_CK(OdynLayerGetNumParameters(res, &npr));
    ck_assert_int_eq(nps, nk + 2);
    ck_assert_int_eq(npr, 2 * nk + 2);

    ODYN_CK(OdynTestRandom(11 + periodic, nps, 1.0, ths));
    ODYN_CK(OdynTestRandom(21 + periodic, n * s, 2.0, X));
    for (PetscInt o = 0; o < ch; o++) {
      PetscReal r = 0.0;
      for (PetscInt k = 0; k < 3 * c; k++) r += PetscAbsScalar(ths[o + ch * k]);
      R = PetscMax(R, r);
    }
    for (PetscInt a = 0; a < c; a++) {
      PetscReal r = 0.0;
      for (PetscInt o = 0; o < ch; o++)
        for (PetscInt t = 0; t < 3; t++) r += PetscAbsScalar(ths[o + ch * (t * c + a)]);
      R = PetscMax(R, r);
    }
    for (PetscInt k = 0; k < nk; k++) {
      thr[k]      = ths[k] / R;
      thr[nk + k] = -ths[k] / R;
    }
    thr[2 * nk]     = ths[nk];
    thr[2 * nk + 1] = ths[nk + 1];
    ODYN_CK(OdynLayerApply(sym, 0, ths, s, X, Fs));
    ODYN_CK(OdynLayerApply(res, 0, thr, s, X, Fr));
    for (PetscInt k = 0; k < n * s; k++) {
      diff = PetscMax(diff, PetscAbsScalar(Fs[k] - Fr[k]));
      norm = PetscMax(norm, PetscAbsScalar(Fs[k]));
    }
    ck_assert_msg(norm > 1e-2 && diff <= 1e-13 * norm, "periodic %d: max |F_sym - F_res| = %g (|F| %g)", periodic, diff, norm);
    ODYN_CK(OdynLayerDestroy(&sym));
    ODYN_CK(OdynLayerDestroy(&res));
  }
}
END_TEST

START_TEST(test_configs)
{
  /* {c, ch, L, periodic}: several channels in and out, both boundaries */
  const PetscInt cfg[][4] = {
    {2, 3, 5, 1},
    {2, 3, 5, 0},
    {3, 1, 4, 0},
    {1, 2, 6, 1}
  };
  for (int k = 0; k < 4; k++)
    for (int act = ODYN_ACTIVATION_IDENTITY; act <= ODYN_ACTIVATION_LAST; act++) {
      OdynLayer         layer;
      OdynTaylorOptions topt;
      char              label[128];
      PetscInt          np;

      ODYN_CK(MakeRes(cfg[k][0], cfg[k][1], cfg[k][2], cfg[k][3] ? PETSC_TRUE : PETSC_FALSE, (OdynActivationType)act, &layer));
      ODYN_CK(OdynLayerGetNumParameters(layer, &np));
      ck_assert_int_eq(np, 6 * cfg[k][0] * cfg[k][1] + 1 + (act >= ODYN_ACTIVATION_CHARBONNIER ? 1 : 0));
      OdynTaylorOptionsDefault(&topt);
      if (act == ODYN_ACTIVATION_RELU) { /* kinks: a small ball, as in test_layers.c */
        topt.order2_min = 2.4;
        topt.eps0       = 1e-3;
      }
      snprintf(label, sizeof(label), "diffusionconvres config %d %s", k, OdynActivationTypes[act]);
      ODYN_CK(OdynTestLayerFace(layer, 0, 3, 60 + k, &topt, label));
      ODYN_CK(OdynLayerDestroy(&layer));
    }
}
END_TEST

START_TEST(test_bad_input)
{
  OdynLayer layer;

  ODYN_CK(OdynLayerCreate(PETSC_COMM_WORLD, &layer));
  ODYN_CK(OdynLayerSetType(layer, ODYNLAYERDIFFUSIONCONVRES));
  ODYN_CK(OdynLayerSetWidth(layer, 7));
  ODYN_CK(OdynLayerDiffusionSetChannels(layer, 2, 0));
  odyn_ck_error_contains(OdynLayerSetUp(layer), "-odyn_layer_diffusion_channels");
  odyn_ck_error_contains(OdynLayerDiffusionSetTauMax(layer, -1.0), "-odyn_layer_diffusion_tau_max");
  ODYN_CK(OdynLayerDestroy(&layer));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("diffusionconvres");
  TCase *t = tcase_create("layer");
  tcase_add_test(t, test_hand);
  tcase_add_test(t, test_symmetric_special_case);
  tcase_add_test(t, test_configs);
  tcase_add_test(t, test_bad_input);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
