/*
  The 1-D denoising problem (paper 002 Sec. 7.1): statistics of the generator (segment lengths, jumps, range, noise
  mean and standard deviation, no clipping), determinism and independence of the number of ranks, regression
  targets through subsets, the PSNR against hand computations, and the least-squares loss with the identity
  classifier (value, gradient and Gauss-Newton product by hand, Taylor test). Runs on 1 and on 2 ranks.
*/
#include <string.h>
#include "odyntest.h"

static PetscBool AllOk(PetscBool ok)
{
  int l = ok ? 1 : 0, g = 0;
  MPI_Allreduce(&l, &g, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
  return g ? PETSC_TRUE : PETSC_FALSE;
}

/* segments of 26 .. 128 samples (1/10 .. 1/2 of 256) with jumps, affine in between, values in [0, 255] */
START_TEST(test_signal_statistics)
{
  PetscRandom rnd;
  PetscScalar x[256];
  PetscInt    starts[16], nseg, lmin = 1000, lmax = 0, nsig = 2000;
  PetscReal   vmin = 1e9, vmax = -1e9;

  ODYN_CK(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  ODYN_CK(PetscRandomSetType(rnd, PETSCRAND48));
  ODYN_CK(PetscRandomSetSeed(rnd, 5));
  ODYN_CK(PetscRandomSeed(rnd));
  for (PetscInt k = 0; k < nsig; k++) {
    ODYN_CK(OdynProblemDenoise1DSignal(rnd, 256, x, &nseg, starts));
    ck_assert_int_ge(nseg, 2);
    ck_assert_int_le(nseg, 9);
    ck_assert_int_eq(starts[0], 0);
    ck_assert_int_eq(starts[nseg], 256);
    for (PetscInt j = 0; j < nseg; j++) {
      const PetscInt a = starts[j], len = starts[j + 1] - a;
      ck_assert_msg(len >= 26 && len <= 128, "segment of %d samples", (int)len);
      lmin = PetscMin(lmin, len);
      lmax = PetscMax(lmax, len);
      /* affine: constant first differences inside the segment */
      for (PetscInt i = a + 2; i < a + len; i++) ck_assert(PetscAbsReal(PetscRealPart(x[i] - 2 * x[i - 1] + x[i - 2])) < 1e-9);
      if (j > 0) ck_assert_msg(PetscAbsReal(PetscRealPart(x[a] - x[a - 1])) > 1e-9, "no jump at %d", (int)a);
    }
    for (PetscInt i = 0; i < 256; i++) {
      vmin = PetscMin(vmin, PetscRealPart(x[i]));
      vmax = PetscMax(vmax, PetscRealPart(x[i]));
    }
  }
  /* the whole allowed range of lengths and values is used */
  ck_assert_int_le(lmin, 28);
  ck_assert_int_ge(lmax, 126);
  ck_assert(vmin >= 0 && vmin < 1);
  ck_assert(vmax <= 255 && vmax > 254);
  odyn_ck_error_contains(OdynProblemDenoise1DSignal(rnd, 9, x, NULL, NULL), "length >= 10");
  ODYN_CK(PetscRandomDestroy(&rnd));
}
END_TEST

/* noise = features - targets: mean 0, std 10, not clipped; the same data on 1 and 2 ranks and from both entry points */
START_TEST(test_problem)
{
  OdynDataset tr, va, te, tr2, va2;
  Vec         X, T, D, X2;
  PetscInt    nf, nc, N, M;
  PetscReal   mean, nrm, xmin, xmax, tmin, tmax, psnr, diff;

  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_denoise1d_num_train", "300"));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_denoise1d_num_val", "40"));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_denoise1d_num_test", "50"));
  ODYN_CK(OdynProblemDenoise1DCreate(PETSC_COMM_WORLD, &tr, &va, &te));
  ODYN_CK(OdynDatasetGetSizes(tr, &nf, &nc, NULL, &N));
  ck_assert_int_eq(nf, 256);
  ck_assert_int_eq(nc, 256);
  ck_assert_int_eq(N, 300);
  ODYN_CK(OdynDatasetGetSizes(va, NULL, NULL, NULL, &N));
  ck_assert_int_eq(N, 40);
  ODYN_CK(OdynDatasetGetSizes(te, NULL, NULL, NULL, &N));
  ck_assert_int_eq(N, 50);
  ODYN_CK(OdynDatasetGetFeatures(tr, &X));
  ODYN_CK(OdynDatasetGetTargets(tr, &T));
  ck_assert_ptr_nonnull(T);
  ODYN_CK(VecMin(T, NULL, &tmin));
  ODYN_CK(VecMax(T, NULL, &tmax));
  ck_assert(tmin >= 0 && tmax <= 255);
  ODYN_CK(VecMin(X, NULL, &xmin));
  ODYN_CK(VecMax(X, NULL, &xmax));
  ck_assert_msg(xmin < 0 && xmax > 255, "noisy values should leave [0, 255] (no clipping): %g .. %g", (double)xmin, (double)xmax);
  ODYN_CK(VecDuplicate(X, &D));
  ODYN_CK(VecWAXPY(D, -1.0, T, X));
  ODYN_CK(VecGetSize(D, &M));
  ODYN_CK(VecSum(D, &mean));
  mean /= M;
  ODYN_CK(VecNorm(D, NORM_2, &nrm));
  /* 76,800 samples: the standard errors of the mean and of the std are 0.036 and 0.026 */
  ck_assert_msg(PetscAbsReal(mean) < 0.15, "noise mean %g", (double)mean);
  ck_assert_msg(PetscAbsReal(nrm / PetscSqrtReal((PetscReal)M) - 10) < 0.12, "noise std %g", (double)(nrm / PetscSqrtReal((PetscReal)M)));
  /* PSNR of the noisy inputs: 20 log10(255 / std) */
  ODYN_CK(OdynPSNR(X, T, 255, &psnr));
  ck_assert_msg(PetscAbsReal(psnr - 20 * PetscLog10Real(255 * PetscSqrtReal((PetscReal)M) / nrm)) < 1e-10, "PSNR %g", (double)psnr);
  ck_assert(psnr > 28.0 && psnr < 28.3);
  /* the registry gives the same training and validation sets (the seed default is the same) */
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, ODYNPROBLEMDENOISE1D, &tr2, &va2));
  ODYN_CK(OdynDatasetGetFeatures(tr2, &X2));
  ODYN_CK(VecWAXPY(D, -1.0, X2, X));
  ODYN_CK(VecNorm(D, NORM_INFINITY, &diff));
  ck_assert(diff == 0);
  /* independence of the ranks: a subset (with its targets) gathered to every rank equals the serial draw */
  {
    OdynDataset        s1, s2, s3, sub;
    Vec                Xs, Ts, Sx, St, Ax, At;
    VecScatter         sc;
    const PetscScalar *ax, *at, *xs, *ts;
    const PetscInt     idx[3] = {299, 0, 150};
    PetscBool          ok = PETSC_TRUE;

    ODYN_CK(OdynProblemDenoise1DCreate(PETSC_COMM_SELF, &s1, &s2, &s3));
    ODYN_CK(OdynDatasetGetFeatures(s1, &Xs));
    ODYN_CK(OdynDatasetGetTargets(s1, &Ts));
    ODYN_CK(OdynDatasetCreateSubset(tr, 3, idx, &sub));
    ODYN_CK(OdynDatasetGetFeatures(sub, &Sx));
    ODYN_CK(OdynDatasetGetTargets(sub, &St));
    ck_assert_ptr_nonnull(St);
    ODYN_CK(VecScatterCreateToAll(Sx, &sc, &Ax));
    ODYN_CK(VecScatterBegin(sc, Sx, Ax, INSERT_VALUES, SCATTER_FORWARD));
    ODYN_CK(VecScatterEnd(sc, Sx, Ax, INSERT_VALUES, SCATTER_FORWARD));
    ODYN_CK(VecDuplicate(Ax, &At));
    ODYN_CK(VecScatterBegin(sc, St, At, INSERT_VALUES, SCATTER_FORWARD));
    ODYN_CK(VecScatterEnd(sc, St, At, INSERT_VALUES, SCATTER_FORWARD));
    ODYN_CK(VecGetArrayRead(Ax, &ax));
    ODYN_CK(VecGetArrayRead(At, &at));
    ODYN_CK(VecGetArrayRead(Xs, &xs));
    ODYN_CK(VecGetArrayRead(Ts, &ts));
    for (PetscInt j = 0; j < 3; j++)
      for (PetscInt i = 0; i < 256; i++) ok = (PetscBool)(ok && ax[j * 256 + i] == xs[idx[j] * 256 + i] && at[j * 256 + i] == ts[idx[j] * 256 + i]);
    ODYN_CK(VecRestoreArrayRead(Ts, &ts));
    ODYN_CK(VecRestoreArrayRead(Xs, &xs));
    ODYN_CK(VecRestoreArrayRead(At, &at));
    ODYN_CK(VecRestoreArrayRead(Ax, &ax));
    ck_assert_msg(AllOk(ok), "subset features or targets differ from the serial data");
    ODYN_CK(VecScatterDestroy(&sc));
    ODYN_CK(VecDestroy(&Ax));
    ODYN_CK(VecDestroy(&At));
    ODYN_CK(OdynDatasetDestroy(&sub));
    ODYN_CK(OdynDatasetDestroy(&s1));
    ODYN_CK(OdynDatasetDestroy(&s2));
    ODYN_CK(OdynDatasetDestroy(&s3));
  }
  /* targets of a regression data set: a copy; Bernoulli targets and CSV files are refused */
  {
    Vec C;
    ODYN_CK(OdynDatasetCreateTargets(tr, PETSC_FALSE, &C));
    ODYN_CK(VecAXPY(C, -1.0, T));
    ODYN_CK(VecNorm(C, NORM_INFINITY, &diff));
    ck_assert(diff == 0);
    ODYN_CK(VecDestroy(&C));
    odyn_ck_error_contains(OdynDatasetCreateTargets(tr, PETSC_TRUE, &C), "regression targets");
    odyn_ck_error_contains(OdynDatasetWriteCSV(tr, "/tmp/odyn_denoise_never.csv"), "regression targets");
  }
  ODYN_CK(VecDestroy(&D));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
  ODYN_CK(OdynDatasetDestroy(&te));
  ODYN_CK(OdynDatasetDestroy(&tr2));
  ODYN_CK(OdynDatasetDestroy(&va2));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_denoise1d_num_train"));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_denoise1d_num_val"));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_denoise1d_num_test"));
}
END_TEST


/* PSNR of a hand-made case: errors (0, -2, 0, 0, 3, 0) give MSE 13/6 and 10 log10(255^2 6/13) dB */
START_TEST(test_psnr)
{
  const PetscScalar z[] = {10, 20, 30, 40, 50, 60}, c[] = {10, 22, 30, 40, 47, 60};
  Vec               Z, C;
  PetscInt          rs, re;
  PetscReal         psnr;

  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, 6, &Z));
  ODYN_CK(VecDuplicate(Z, &C));
  ODYN_CK(VecGetOwnershipRange(Z, &rs, &re));
  for (PetscInt i = rs; i < re; i++) {
    ODYN_CK(VecSetValue(Z, i, z[i], INSERT_VALUES));
    ODYN_CK(VecSetValue(C, i, c[i], INSERT_VALUES));
  }
  ODYN_CK(VecAssemblyBegin(Z));
  ODYN_CK(VecAssemblyEnd(Z));
  ODYN_CK(VecAssemblyBegin(C));
  ODYN_CK(VecAssemblyEnd(C));
  ODYN_CK(OdynPSNR(Z, C, 255, &psnr));
  ck_assert_msg(PetscAbsReal(psnr - 44.77288258944717) < 1e-12, "PSNR %.15g", (double)psnr);
  ODYN_CK(OdynPSNR(Z, C, 1, &psnr)); /* peak 1: 10 log10(6/13) */
  ck_assert(PetscAbsReal(psnr - (-3.357921019231931)) < 1e-12);
  ODYN_CK(OdynPSNR(Z, Z, 255, &psnr));
  ck_assert(psnr >= PETSC_INFINITY);
  odyn_ck_error_contains(OdynPSNR(Z, C, 0, &psnr), "peak");
  ODYN_CK(VecDestroy(&Z));
  ODYN_CK(VecDestroy(&C));
}
END_TEST

typedef struct {
  OdynLoss loss;
  Vec      w, Y, dY, Yp, C;
} TaylorCtx;

static PetscErrorCode Perturbed(void *ctx, PetscReal eps, PetscScalar out[])
{
  TaylorCtx *c = (TaylorCtx *)ctx;
  PetscReal  f;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(c->Yp, eps, c->dY, c->Y));
  PetscCall(OdynLossEvaluate(c->loss, c->w, &f, NULL, NULL));
  out[0] = f;
  PetscFunctionReturn(0);
}

/* lsq with the identity classifier on 2 examples of nf = 4 = 2 channels x nc = 2, worked out by hand */
START_TEST(test_identity_classifier)
{
  const PetscScalar Ya[] = {1, 2, 3, 6, 0, -2, 4, 2}, Ca[] = {1, 1, 3, 0}, dYa[] = {1, 0, 0, 0, 0, 0, 0, 2};
  const PetscScalar gexp[] = {0.25, 0.75, 0.25, 0.75, -0.25, 0, -0.25, 0}, hexp[] = {0.125, 0, 0.125, 0, 0, 0.25, 0, 0.25};
  TaylorCtx         c;
  Vec               g, H, gw;
  PetscInt          s = 2, sl = PETSC_DECIDE, nw, rs, re;
  PetscReal         f, psnr, dot;
  PetscBool         flg, ok = PETSC_TRUE;
  const PetscScalar *ga, *ha;
  OdynTaylorOptions opt;
  PetscScalar       F0[1], J[1];

  ODYN_CK(PetscSplitOwnership(PETSC_COMM_WORLD, &sl, &s));
  ODYN_CK(OdynLossCreate(PETSC_COMM_WORLD, &c.loss));
  ODYN_CK(OdynLossSetType(c.loss, ODYNLOSSLSQ));
  ODYN_CK(OdynLossSetNumFeatures(c.loss, 4));
  ODYN_CK(OdynLossSetNumClasses(c.loss, 2));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_loss_identity_classifier", NULL));
  ODYN_CK(OdynLossSetFromOptions(c.loss));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_loss_identity_classifier"));
  ODYN_CK(OdynLossGetIdentityClassifier(c.loss, &flg));
  ck_assert(flg);
  ODYN_CK(OdynLossGetNumWeights(c.loss, &nw));
  ck_assert_int_eq(nw, 0);
  ODYN_CK(OdynLossCreateWeightVec(c.loss, &c.w));
  ODYN_CK(VecDuplicate(c.w, &gw));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, 4 * sl, PETSC_DETERMINE, &c.Y));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, 2 * sl, PETSC_DETERMINE, &c.C));
  ODYN_CK(VecDuplicate(c.Y, &c.dY));
  ODYN_CK(VecDuplicate(c.Y, &c.Yp));
  ODYN_CK(VecDuplicate(c.Y, &g));
  ODYN_CK(VecDuplicate(c.Y, &H));
  ODYN_CK(VecGetOwnershipRange(c.Y, &rs, &re));
  for (PetscInt i = rs; i < re; i++) {
    ODYN_CK(VecSetValue(c.Y, i, Ya[i], INSERT_VALUES));
    ODYN_CK(VecSetValue(c.dY, i, dYa[i], INSERT_VALUES));
  }
  ODYN_CK(VecGetOwnershipRange(c.C, &rs, NULL));
  for (PetscInt i = 0; i < 2 * sl; i++) ODYN_CK(VecSetValue(c.C, rs + i, Ca[rs + i], INSERT_VALUES));
  ODYN_CK(VecAssemblyBegin(c.Y));
  ODYN_CK(VecAssemblyEnd(c.Y));
  ODYN_CK(VecAssemblyBegin(c.dY));
  ODYN_CK(VecAssemblyEnd(c.dY));
  ODYN_CK(VecAssemblyBegin(c.C));
  ODYN_CK(VecAssemblyEnd(c.C));
  ODYN_CK(VecCopy(c.Y, c.Yp));
  ODYN_CK(OdynLossSetData(c.loss, c.Yp, c.C));
  /* scores (2, 4) and (2, 0) against (1, 1) and (3, 0): 1/2 (1/2 (1 + 9) + 1/2 (1 + 0)) */
  ODYN_CK(OdynLossEvaluate(c.loss, c.w, &f, gw, g));
  ck_assert_msg(PetscAbsReal(f - 2.75) < 1e-14, "identity lsq value %g, expected 2.75", (double)f);
  ODYN_CK(OdynLossHessianMultFeatures(c.loss, c.w, c.dY, H));
  ODYN_CK(VecGetOwnershipRange(c.Y, &rs, &re));
  ODYN_CK(VecGetArrayRead(g, &ga));
  ODYN_CK(VecGetArrayRead(H, &ha));
  for (PetscInt i = rs; i < re; i++) ok = (PetscBool)(ok && PetscAbsScalar(ga[i - rs] - gexp[i]) < 1e-15 && PetscAbsScalar(ha[i - rs] - hexp[i]) < 1e-15);
  ODYN_CK(VecRestoreArrayRead(H, &ha));
  ODYN_CK(VecRestoreArrayRead(g, &ga));
  ck_assert_msg(AllOk(ok), "identity classifier: gradient P^T (PY - C) / s or product P^T P dY / s wrong");
  /* PSNR: MSE 11/4, and the relation PSNR = 10 log10(peak^2 nc / (2 f)) to the loss */
  ODYN_CK(OdynLossGetPSNR(c.loss, c.w, NULL, NULL, 255, &psnr));
  ck_assert(PetscAbsReal(psnr - 10 * PetscLog10Real(65025.0 * 4 / 11)) < 1e-12);
  ck_assert(PetscAbsReal(psnr - 10 * PetscLog10Real(65025.0 * 2 / (2 * f))) < 1e-12);
  /* accuracy of a regression: R^2 = 1 - SSE / SST = 1 - 11 / 4.75 (targets 1, 1, 3, 0 around their mean 1.25) */
  ODYN_CK(OdynLossGetAccuracy(c.loss, c.w, NULL, NULL, &psnr));
  ck_assert_msg(PetscAbsReal(psnr - (1 - 11 / 4.75)) < 1e-14, "R^2 %g", (double)psnr);
  /* Taylor test of the value along dY with the gradient */
  ODYN_CK(VecDot(g, c.dY, &dot));
  F0[0] = f;
  J[0]  = dot;
  OdynTaylorOptionsDefault(&opt);
  ck_assert(AllOk(OdynTaylorTest("identity lsq value d/dYN", 1, F0, J, Perturbed, &c, &opt)));
  /* channels fastest (-odyn_loss_identity_interleaved): scores (1.5, 4.5) and (-1, 3), 1/2 (6.25 + 12.5) */
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_loss_identity_interleaved", NULL));
  ODYN_CK(OdynLossSetFromOptions(c.loss));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_loss_identity_interleaved"));
  ODYN_CK(OdynLossSetData(c.loss, c.Y, c.C));
  ODYN_CK(OdynLossEvaluate(c.loss, c.w, &f, NULL, g));
  ck_assert_msg(PetscAbsReal(f - 9.375) < 1e-14, "interleaved identity lsq value %g, expected 9.375", (double)f);
  ODYN_CK(VecDot(g, c.Y, &dot)); /* <P^T r / s, Y> = <r, P Y> / s = (0.5 1.5 + 3.5 4.5 - 4 (-1) + 3 3) / 2 */
  ck_assert_msg(PetscAbsReal(dot - 14.75) < 1e-13, "interleaved identity gradient: <g, Y> = %g, expected 14.75", (double)dot);
  /* nf not a multiple of nc, and PSNR of a classification loss */
  ODYN_CK(OdynLossSetNumFeatures(c.loss, 5));
  odyn_ck_error_contains(OdynLossSetUp(c.loss), "not a multiple");
  ODYN_CK(OdynLossSetNumFeatures(c.loss, 4));
  ODYN_CK(OdynLossSetType(c.loss, ODYNLOSSSOFTMAX));
  odyn_ck_error_contains(OdynLossGetPSNR(c.loss, c.w, c.Y, c.C, 255, &psnr), "lsq");
  ODYN_CK(VecDestroy(&c.w));
  ODYN_CK(VecDestroy(&gw));
  ODYN_CK(VecDestroy(&c.Y));
  ODYN_CK(VecDestroy(&c.dY));
  ODYN_CK(VecDestroy(&c.Yp));
  ODYN_CK(VecDestroy(&c.C));
  ODYN_CK(VecDestroy(&g));
  ODYN_CK(VecDestroy(&H));
  ODYN_CK(OdynLossDestroy(&c.loss));
}
END_TEST

/* bad targets: wrong sizes, NaN */
START_TEST(test_target_errors)
{
  OdynDataset ds;
  Vec         T;

  ODYN_CK(OdynDatasetCreate(PETSC_COMM_WORLD, &ds));
  ODYN_CK(OdynDatasetSetSizes(ds, 3, 2, PETSC_DECIDE, 4));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, 12, &T));
  odyn_ck_error_contains(OdynDatasetSetTargets(ds, T), "nc x N = 2 x 4");
  ODYN_CK(VecDestroy(&T));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, 8, &T));
  ODYN_CK(VecSet(T, NAN));
  odyn_ck_error_contains(OdynDatasetSetTargets(ds, T), "NaN");
  ODYN_CK(VecDestroy(&T));
  ODYN_CK(OdynDatasetGetTargets(ds, &T));
  ck_assert_ptr_null(T);
  ODYN_CK(OdynDatasetDestroy(&ds));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("denoise");
  TCase *t = tcase_create("denoise1d");
  tcase_add_test(t, test_signal_statistics);
  tcase_add_test(t, test_problem);
  tcase_add_test(t, test_psnr);
  tcase_add_test(t, test_identity_classifier);
  tcase_add_test(t, test_target_errors);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
