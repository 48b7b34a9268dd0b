/*
  The first-order trainer types (solvers/firstorder: sgd, adam): a Taylor test of the full-objective gradient they step
  along (OdynTrainerComputeObjective: loss + regularizer, theta and the classifier weights together; also with the
  identity classifier on denoising signals), reduced ellipse runs whose objective falls and whose validation accuracy
  is far above what a broken gradient gives (a classifier on raw or random features: 45-77%), the learning-rate
  schedules in the history, a restart from a checkpoint that continues bit for bit (the method's moments are part of
  the checkpoint), and the errors of bad settings. Runs on 1 and on 2 ranks; each trainer reads a private options
  database.
*/
#include <string.h>
#include "odyntest.h"
#include "trainrun.h"

static PetscBool AllOk(PetscBool ok)
{
  int l = ok ? 1 : 0, g = 0;
  MPI_Allreduce(&l, &g, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
  return g ? PETSC_TRUE : PETSC_FALSE;
}

typedef OdynTestRun Run;

/* one forward Euler block of `steps` dense layers (activation act) of the given width, final time T */
static PetscErrorCode Setup(OdynDataset tr, OdynDataset va, PetscInt width, PetscInt steps, PetscReal T, OdynActivationType act, const char *loss, PetscBool identity, PetscReal alpha, const char *opts, Run *r)
{
  OdynTestRunSpec spec = {width, steps, T, act, loss, identity, alpha, NULL};

  PetscFunctionBegin;
  PetscCall(OdynTestRunCreate(PETSC_COMM_WORLD, &spec, tr, va, opts, 0, NULL, r));
  PetscFunctionReturn(0);
}

typedef struct {
  OdynTrainer t;
  OdynDataset ds;
  Vec         th, w, dth, dw, thp, wp;
} TaylorCtx;

static PetscErrorCode Perturbed(void *ctx, PetscReal eps, PetscScalar out[])
{
  TaylorCtx *c = (TaylorCtx *)ctx;
  PetscReal  f;

  PetscFunctionBegin;
  PetscCall(VecWAXPY(c->thp, eps, c->dth, c->th));
  PetscCall(VecWAXPY(c->wp, eps, c->dw, c->w));
  PetscCall(OdynTrainerComputeObjective(c->t, c->ds, c->thp, c->wp, &f, NULL, NULL));
  out[0] = f;
  PetscFunctionReturn(0);
}

/* Taylor test of phi(theta, wmu) along a random direction in both, with <grad phi, direction>; theta and its
   direction of size `scale` (small enough for the tanh layers to see moderate arguments) */
static PetscErrorCode CheckGradient(Run *r, OdynDataset ds, PetscReal scale, const char *label)
{
  TaylorCtx         c;
  Vec               gt, gw;
  PetscReal         f, d1, d2;
  PetscScalar       F0[1], J[1];
  OdynTaylorOptions opt;

  PetscFunctionBegin;
  PetscCall(OdynTrainerSetUp(r->t));
  c.t  = r->t;
  c.ds = ds;
  PetscCall(OdynNetCreateParameterVec(r->net, &c.th));
  PetscCall(OdynLossCreateWeightVec(r->loss, &c.w));
  PetscCall(VecDuplicate(c.th, &c.dth));
  PetscCall(VecDuplicate(c.th, &c.thp));
  PetscCall(VecDuplicate(c.th, &gt));
  PetscCall(VecDuplicate(c.w, &c.dw));
  PetscCall(VecDuplicate(c.w, &c.wp));
  PetscCall(VecDuplicate(c.w, &gw));
  PetscCall(OdynTestRandomVec(21, scale, c.th));
  PetscCall(OdynTestRandomVec(22, scale, c.dth));
  PetscCall(OdynTestRandomVec(23, 0.5, c.w));
  PetscCall(OdynTestRandomVec(24, 1.0, c.dw));
  PetscCall(OdynTrainerComputeObjective(r->t, ds, c.th, c.w, &f, gt, gw));
  PetscCall(VecDot(gt, c.dth, &d1));
  PetscCall(VecDot(gw, c.dw, &d2));
  F0[0] = f;
  J[0]  = d1 + d2;
  OdynTaylorOptionsDefault(&opt);
  opt.eps0 = 1e-2;
  ck_assert_msg(AllOk(OdynTaylorTest(label, 1, F0, J, Perturbed, &c, &opt)), "Taylor test of the full objective failed: %s", label);
  PetscCall(VecDestroy(&c.th));
  PetscCall(VecDestroy(&c.w));
  PetscCall(VecDestroy(&c.dth));
  PetscCall(VecDestroy(&c.thp));
  PetscCall(VecDestroy(&c.dw));
  PetscCall(VecDestroy(&c.wp));
  PetscCall(VecDestroy(&gt));
  PetscCall(VecDestroy(&gw));
  PetscFunctionReturn(0);
}

START_TEST(test_gradient)
{
  OdynDataset tr, va, sub;
  Run         r;
  PetscInt    idx[40];

  for (PetscInt i = 0; i < 40; i++) idx[i] = 7 * i;
  /* ellipse: logistic loss with its classifier weights, smoothness regularizer */
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, ODYNPROBLEMELLIPSE, &tr, &va));
  ODYN_CK(OdynDatasetCreateSubset(tr, 40, idx, &sub));
  ODYN_CK(Setup(tr, va, 2, 4, 2.0, ODYN_ACTIVATION_TANH, ODYNLOSSLOGISTIC, PETSC_FALSE, 1e-2, "-odyn_trainer_type adam", &r));
  ODYN_CK(CheckGradient(&r, sub, 0.5, "ellipse logistic + smooth"));
  ODYN_CK(OdynTestRunDestroy(&r));
  ODYN_CK(OdynDatasetDestroy(&sub));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
  /* denoising signals of length 16: least squares of the propagated signal itself (no weights) */
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_denoise1d_length", "16"));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_denoise1d_num_train", "30"));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_denoise1d_num_val", "10"));
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, ODYNPROBLEMDENOISE1D, &tr, &va));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_denoise1d_length"));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_denoise1d_num_train"));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_denoise1d_num_val"));
  ODYN_CK(Setup(tr, va, 16, 3, 1.0, ODYN_ACTIVATION_TANH, ODYNLOSSLSQ, PETSC_TRUE, 1e-2, "-odyn_trainer_type sgd", &r));
  ODYN_CK(CheckGradient(&r, tr, 0.01, "denoise1d lsq identity + smooth")); /* signals of size ~100 */
  ODYN_CK(OdynTestRunDestroy(&r));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
}
END_TEST

/*
  A reduced ellipse run (8 layers, 40 epochs): the objective falls and the validation accuracy is far above a broken
  gradient's. Adam's coordinate-wise scaling amplifies the smoothness regularizer's pull at the initial saddle (the
  classifier starts at 0), so it gets the paper's alpha = 1e-3 and a larger initial theta; measured on 1 and 2 ranks
  both reach 100%.
*/
static void Learns(const char *opts, PetscReal alpha, PetscReal minacc)
{
  OdynDataset                    tr, va;
  Run                            r;
  PetscInt                       n, layers, levels[1] = {8};
  PetscReal                      best;
  const OdynTrainerHistoryEntry *h;

  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, ODYNPROBLEMELLIPSE, &tr, &va));
  ODYN_CK(Setup(tr, va, 2, 8, 20.0, ODYN_ACTIVATION_TANH, ODYNLOSSLOGISTIC, PETSC_FALSE, alpha, opts, &r));
  ODYN_CK(OdynTrainerSetLevels(r.t, 1, levels));
  ODYN_CK(OdynTrainerSolve(r.t, &r.theta, &r.wmu));
  ODYN_CK(OdynTrainerGetBest(r.t, &layers, &best));
  ODYN_CK(OdynTrainerGetHistory(r.t, &n, &h));
  ck_assert_int_eq(n, 40);
  ck_assert_msg(h[n - 1].obj_propagation < 0.5 * h[0].obj_propagation, "%s: objective %g -> %g did not halve", opts, (double)h[0].obj_propagation, (double)h[n - 1].obj_propagation);
  ck_assert_msg(best >= minacc, "%s: best validation accuracy %.2f%% < %.2f%%", opts, (double)best, (double)minacc);
  ODYN_CK(OdynTestRunDestroy(&r));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
}

START_TEST(test_adam_learns) { Learns("-odyn_trainer_type adam -odyn_epochs 40 -odyn_lr 0.02 -odyn_init_scale 1", 1e-3, 95); }
END_TEST

START_TEST(test_sgd_learns) { Learns("-odyn_trainer_type sgd -odyn_epochs 40 -odyn_lr 0.005 -odyn_momentum 0.9", 1e-2, 95); }
END_TEST

/* the history's step is the learning rate of each epoch: cosine from 0.1 to 0.01, step x0.5 every 2 epochs */
START_TEST(test_schedules)
{
  OdynDataset                    tr, va;
  Run                            r;
  PetscInt                       n, levels[1] = {4};
  const OdynTrainerHistoryEntry *h;
  PetscBool                      ok = PETSC_TRUE;

  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, ODYNPROBLEMELLIPSE, &tr, &va));
  ODYN_CK(Setup(tr, va, 2, 4, 20.0, ODYN_ACTIVATION_TANH, ODYNLOSSLOGISTIC, PETSC_FALSE, 1e-2, "-odyn_trainer_type sgd -odyn_epochs 5 -odyn_batch_size 100 -odyn_lr 0.1 -odyn_lr_decay cosine -odyn_lr_min 0.01", &r));
  ODYN_CK(OdynTrainerSetLevels(r.t, 1, levels));
  ODYN_CK(OdynTrainerSolve(r.t, &r.theta, &r.wmu));
  ODYN_CK(OdynTrainerGetHistory(r.t, &n, &h));
  ck_assert_int_eq(n, 5);
  for (PetscInt e = 0; e < 5; e++) ok = (PetscBool)(ok && PetscAbsReal(h[e].step - (0.01 + 0.045 * (1 + PetscCosReal(PETSC_PI * e / 5)))) < 1e-15);
  ck_assert_msg(ok, "cosine schedule");
  ODYN_CK(OdynTestRunDestroy(&r));
  ODYN_CK(Setup(tr, va, 2, 4, 20.0, ODYN_ACTIVATION_TANH, ODYNLOSSLOGISTIC, PETSC_FALSE, 1e-2, "-odyn_trainer_type adam -odyn_epochs 5 -odyn_batch_size 0 -odyn_lr 0.1 -odyn_lr_decay step -odyn_lr_decay_epochs 2 -odyn_lr_decay_rate 0.5", &r));
  ODYN_CK(OdynTrainerSetLevels(r.t, 1, levels));
  ODYN_CK(OdynTrainerSolve(r.t, &r.theta, &r.wmu));
  ODYN_CK(OdynTrainerGetHistory(r.t, &n, &h));
  ck_assert_int_eq(n, 5);
  ck_assert(h[0].step == 0.1 && h[1].step == 0.1 && h[2].step == 0.05 && h[3].step == 0.05 && h[4].step == 0.025);
  ODYN_CK(OdynTestRunDestroy(&r));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
}
END_TEST

/* a run stopped after 3 of 5 epochs and restarted from its checkpoint ends bit for bit where the whole run ends */
static void RestartBitForBit(const char *type)
{
  OdynDataset                    tr, va;
  Run                            a, b;
  PetscInt                       na, nb, levels[1] = {4};
  const OdynTrainerHistoryEntry *ha, *hb;
  PetscMPIInt                    size;
  char                           file[PETSC_MAX_PATH_LEN], opts[1024];
  PetscBool                      eq;

  ck_assert(MPI_Comm_size(PETSC_COMM_WORLD, &size) == MPI_SUCCESS);
  ODYN_CK(PetscSNPrintf(file, sizeof(file), "/tmp/odyn_test_firstorder_%s_%d.h5", type, (int)size));
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, ODYNPROBLEMELLIPSE, &tr, &va));
  ODYN_CK(PetscSNPrintf(opts, sizeof(opts), "-odyn_trainer_type %s -odyn_epochs 5 -odyn_batch_size 100 -odyn_lr 0.01 -odyn_checkpoint %s -odyn_checkpoint_every 3", type, file));
  ODYN_CK(Setup(tr, va, 2, 4, 20.0, ODYN_ACTIVATION_TANH, ODYNLOSSLOGISTIC, PETSC_FALSE, 1e-2, opts, &a));
  ODYN_CK(OdynTrainerSetLevels(a.t, 1, levels));
  ODYN_CK(OdynTrainerSolve(a.t, &a.theta, &a.wmu));
  ODYN_CK(PetscSNPrintf(opts, sizeof(opts), "-odyn_trainer_type %s -odyn_epochs 5 -odyn_batch_size 100 -odyn_lr 0.01 -odyn_restart %s", type, file));
  ODYN_CK(Setup(tr, va, 2, 4, 20.0, ODYN_ACTIVATION_TANH, ODYNLOSSLOGISTIC, PETSC_FALSE, 1e-2, opts, &b));
  ODYN_CK(OdynTrainerSetLevels(b.t, 1, levels));
  ODYN_CK(OdynTrainerSolve(b.t, &b.theta, &b.wmu));
  ODYN_CK(OdynTrainerGetHistory(a.t, &na, &ha));
  ODYN_CK(OdynTrainerGetHistory(b.t, &nb, &hb));
  ck_assert_int_eq(na, 5);
  ck_assert_int_eq(nb, 5);
  for (PetscInt i = 0; i < 5; i++) ck_assert_msg(ha[i].obj_propagation == hb[i].obj_propagation && ha[i].val_acc == hb[i].val_acc, "%s: epoch %d differs after the restart", type, (int)i + 1);
  ODYN_CK(VecEqual(a.theta, b.theta, &eq));
  ck_assert_msg(eq, "%s: theta differs after the restart", type);
  ODYN_CK(OdynTestRunDestroy(&a));
  ODYN_CK(OdynTestRunDestroy(&b));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
}

START_TEST(test_restart)
{
  RestartBitForBit(ODYNTRAINERADAM);
  RestartBitForBit(ODYNTRAINERSGD);
}
END_TEST

/* bad settings fail at set-up with the option's name */
START_TEST(test_errors)
{
  OdynDataset tr, va;
  Run         r;
  const char *bad[][2] = {
    {"-odyn_trainer_type adam -odyn_lr -1", "-odyn_lr must be > 0"},
    {"-odyn_trainer_type adam -odyn_adam_beta1 1", "-odyn_adam_beta1"},
    {"-odyn_trainer_type sgd -odyn_momentum 1.5", "-odyn_momentum"},
    {"-odyn_trainer_type sgd -odyn_batch_size -3", "-odyn_batch_size"},
    {"-odyn_trainer_type adam -odyn_weight_decay -1", "-odyn_weight_decay"},
  };

  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, ODYNPROBLEMELLIPSE, &tr, &va));
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ODYN_CK(Setup(tr, va, 2, 4, 20.0, ODYN_ACTIVATION_TANH, ODYNLOSSLOGISTIC, PETSC_FALSE, 1e-2, bad[i][0], &r));
    odyn_ck_error_contains(OdynTrainerSetUp(r.t), bad[i][1]);
    ODYN_CK(OdynTestRunDestroy(&r));
  }
  ODYN_CK(Setup(tr, va, 2, 4, 20.0, ODYN_ACTIVATION_TANH, ODYNLOSSLOGISTIC, PETSC_FALSE, 1e-2, "-odyn_trainer_type adam -odyn_lr_decay cosine", &r));
  ODYN_CK(OdynTrainerSetUp(r.t));
  ODYN_CK(OdynTrainerView(r.t, NULL)); /* runs the type's view (its text is for people) */
  ODYN_CK(OdynTestRunDestroy(&r));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("firstorder");
  TCase *t = tcase_create("sgd and adam");
  tcase_add_test(t, test_gradient);
  tcase_add_test(t, test_adam_learns);
  tcase_add_test(t, test_sgd_learns);
  tcase_add_test(t, test_schedules);
  tcase_add_test(t, test_restart);
  tcase_add_test(t, test_errors);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
