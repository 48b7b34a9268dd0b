/* Training on the host and on a backend side by side (backendtest.h): the histories compared, the blocks checked */
#include "backendtest.h"

PetscReal OdynTestHistoryDiff(PetscInt n, const OdynTrainerHistoryEntry ref[], const OdynTrainerHistoryEntry b[])
{
  PetscReal dmax = 0;

  for (PetscInt i = 0; i < n; i++) {
    const PetscReal x[3] = {b[i].obj_classifier, b[i].obj_propagation, b[i].gnorm}, y[3] = {ref[i].obj_classifier, ref[i].obj_propagation, ref[i].gnorm};
    PetscReal       di = 0;

    for (int k = 0; k < 3; k++) di = PetscMax(di, PetscAbsReal(x[k] - y[k]) / PetscAbsReal(y[k]));
    ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "  iteration %d: objective %.16e (host %.16e), |gradient| %.6e, max relative difference %.3e\n", (int)i + 1, (double)(x[0] + x[1]), (double)(y[0] + y[1]), (double)x[2], (double)di));
    dmax = PetscMax(dmax, di);
  }
  return dmax;
}

void OdynTestTrainOnBackend(const char *opts, PetscErrorCode (*data)(OdynDataset *, OdynDataset *), const char *problem, const char *backend, PetscInt minits, PetscReal tol, const char *label)
{
  PetscOptions                   db;
  OdynDataset                    tr, va;
  OdynNet                        net[2];
  OdynLoss                       loss[2];
  OdynRegularizer                reg[2];
  OdynTrainer                    t[2];
  Vec                            theta[2], wmu[2];
  const OdynTrainerHistoryEntry *hist[2];
  PetscInt                       nh[2];
  PetscReal                      dmax;

  ODYN_CK(PetscOptionsCreate(&db));
  ODYN_CK(PetscOptionsInsertString(db, opts));
  ODYN_CK(PetscOptionsPush(db));
  ODYN_CK(data(&tr, &va)); /* under opts: a problem reads its settings there */
  for (int k = 0; k < 2; k++) {
    PetscInt nb;

    ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net[k]));
    ODYN_CK(OdynNetSetFromOptions(net[k]));
    ODYN_CK(OdynNetSetBackend(net[k], k ? backend : ODYNBACKENDHOST));
    ODYN_CK(OdynLossCreate(PETSC_COMM_WORLD, &loss[k]));
    ODYN_CK(OdynLossSetFromOptions(loss[k]));
    ODYN_CK(OdynRegularizerCreate(PETSC_COMM_WORLD, &reg[k]));
    ODYN_CK(OdynRegularizerSetFromOptions(reg[k]));
    ODYN_CK(OdynTrainerCreate(PETSC_COMM_WORLD, &t[k]));
    ODYN_CK(OdynTrainerSetNet(t[k], net[k]));
    ODYN_CK(OdynTrainerSetLoss(t[k], loss[k]));
    ODYN_CK(OdynTrainerSetRegularizer(t[k], reg[k]));
    ODYN_CK(OdynTrainerSetData(t[k], tr, va));
    if (problem) ODYN_CK(OdynTrainerSetProblemName(t[k], problem));
    ODYN_CK(OdynTrainerSetFromOptions(t[k]));
    ODYN_CK(OdynTrainerSolve(t[k], &theta[k], &wmu[k]));
    ODYN_CK(OdynTrainerGetHistory(t[k], &nh[k], &hist[k]));
    ODYN_CK(OdynNetGetNumBlocks(net[k], &nb));
    for (PetscInt b = 0; b < nb; b++) { /* every block ran on its network's backend, none on the host in silence */
      OdynScheme      sc;
      OdynBackendType name;

      ODYN_CK(OdynNetGetBlock(net[k], b, &sc));
      ODYN_CK(OdynSchemeGetBackend(sc, &name));
      ck_assert_str_eq(name, k ? backend : ODYNBACKENDHOST);
    }
  }
  ODYN_CK(PetscOptionsPop());
  ck_assert_int_ge(nh[0], minits);
  ck_assert_int_eq(nh[1], nh[0]);
  dmax = OdynTestHistoryDiff(nh[0], hist[0], hist[1]);
  ODYN_CK(PetscPrintf(PETSC_COMM_WORLD, "%s on %s, %d Gauss-Newton iterations: objective history within %.3e (relative) of host (bound %.0e), final objective %.10g\n", label, backend, (int)nh[0], (double)dmax, (double)tol, (double)(hist[1][nh[0] - 1].obj_classifier + hist[1][nh[0] - 1].obj_propagation)));
  ck_assert_msg(dmax <= tol, "%s: objective history on %s differs from host by %.3e (relative; bound %.0e)", label, backend, (double)dmax, (double)tol);
  for (PetscInt i = 0; i < nh[0]; i++) /* the accuracy sweeps (outputs left on the backend): the same labels, as the scores agree to round-off */
    ck_assert_msg(hist[1][i].train_acc == hist[0][i].train_acc && hist[1][i].val_acc == hist[0][i].val_acc, "%s: iteration %d on %s: training / validation accuracy %g / %g%%, host %g / %g%%", label, (int)i + 1, backend, (double)hist[1][i].train_acc, (double)hist[1][i].val_acc, (double)hist[0][i].train_acc, (double)hist[0][i].val_acc);
  ck_assert_msg(hist[0][nh[0] - 1].obj_classifier < hist[0][0].obj_classifier, "%s: the host run did not learn (objective %g -> %g)", label, (double)hist[0][0].obj_classifier, (double)hist[0][nh[0] - 1].obj_classifier);
  for (int k = 0; k < 2; k++) {
    ODYN_CK(VecDestroy(&theta[k]));
    ODYN_CK(VecDestroy(&wmu[k]));
    ODYN_CK(OdynTrainerDestroy(&t[k]));
    ODYN_CK(OdynRegularizerDestroy(&reg[k]));
    ODYN_CK(OdynLossDestroy(&loss[k]));
    ODYN_CK(OdynNetDestroy(&net[k]));
  }
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
  ODYN_CK(PetscOptionsDestroy(&db));
}
