/*
  Model files (src/model/): a save/load round trip of a two-block network (antisym with gamma, then Verlet with a
  Hamiltonian layer) gives back the description, theta and wmu bit for bit and the same forward propagation; a model
  written on all ranks and read on each rank alone (PETSC_COMM_SELF) predicts the same labels; the accuracy of a
  trained model, evaluated directly and after a round trip, is the best validation accuracy training reported; and
  every kind of bad file gives an error that names the file and the problem, leaving no file behind when writing
  fails. Runs on 1 and on 2 ranks.
*/
#include <string.h>
#include "odyntest.h"
#include <petscviewerhdf5.h>
#include "modeltamper.h"

#define FILE_RT "test_model_rt.h5"

typedef struct {
  PetscOptions opts; /* the layers' private options (the antisym gamma is an option only) */
  OdynNet      net;
  OdynLoss     loss;
  Vec          theta, wmu;
  OdynModel    model;
} Fixture;

/* block 0: 3 Euler steps of an antisym layer (gamma 0.3) of width 3, T = 1.5; block 1: 5 Verlet steps of a
   Hamiltonian layer (width 3, hidden width 4, relu); softmax classifier with 4 classes. */
static PetscErrorCode FixtureCreate(MPI_Comm comm, Fixture *f)
{
  const char *schemes[2] = {ODYNSCHEMEEULER, ODYNSCHEMEVERLET}, *layers[2] = {ODYNLAYERANTISYM, ODYNLAYERHAMILTONIAN};

  PetscFunctionBegin;
  PetscCall(PetscMemzero(f, sizeof(*f)));
  PetscCall(PetscOptionsCreate(&f->opts));
  PetscCall(PetscOptionsInsertString(f->opts, "-odyn_layer_antisym_gamma 0.3"));
  PetscCall(OdynNetCreate(comm, &f->net));
  for (PetscInt b = 0; b < 2; b++) {
    OdynScheme sc;
    OdynLayer  l;

    PetscCall(OdynSchemeCreate(comm, &sc));
    PetscCall(OdynSchemeSetType(sc, schemes[b]));
    PetscCall(OdynSchemeSetNumSteps(sc, b ? 5 : 3));
    PetscCall(OdynSchemeSetFinalTime(sc, b ? 1.0 : 1.5));
    PetscCall(OdynSchemeGetLayer(sc, &l));
    PetscCall(OdynLayerSetType(l, layers[b]));
    PetscCall(OdynLayerSetWidth(l, 3));
    if (b) PetscCall(OdynLayerSetHiddenWidth(l, 4));
    PetscCall(OdynLayerSetActivation(l, b ? ODYN_ACTIVATION_RELU : ODYN_ACTIVATION_TANH));
    if (!b) {
      PetscCall(PetscObjectSetOptions((PetscObject)l, f->opts));
      PetscCall(OdynLayerSetFromOptions(l));
    }
    PetscCall(OdynNetAddBlock(f->net, sc));
    PetscCall(OdynSchemeDestroy(&sc));
  }
  PetscCall(OdynLossCreate(comm, &f->loss));
  PetscCall(OdynLossSetType(f->loss, ODYNLOSSSOFTMAX));
  PetscCall(OdynLossSetNumFeatures(f->loss, 3));
  PetscCall(OdynLossSetNumClasses(f->loss, 4));
  PetscCall(OdynNetCreateParameterVec(f->net, &f->theta));
  PetscCall(OdynLossCreateWeightVec(f->loss, &f->wmu));
  PetscCall(OdynTestRandomVec(11, 0.8, f->theta));
  PetscCall(OdynTestRandomVec(12, 1.5, f->wmu));
  PetscCall(OdynModelCreate(comm, &f->model));
  PetscCall(OdynModelSetParameters(f->model, f->net, f->loss, f->theta, f->wmu));
  PetscCall(OdynModelSetInfo(f->model, "test: round trip\nline two"));
  PetscFunctionReturn(0);
}

static PetscErrorCode FixtureDestroy(Fixture *f)
{
  PetscFunctionBegin;
  PetscCall(OdynModelDestroy(&f->model));
  PetscCall(VecDestroy(&f->theta));
  PetscCall(VecDestroy(&f->wmu));
  PetscCall(OdynLossDestroy(&f->loss));
  PetscCall(OdynNetDestroy(&f->net));
  PetscCall(PetscOptionsDestroy(&f->opts));
  PetscFunctionReturn(0);
}

/* 13 random examples with 3 features on comm; the same values whatever the number of ranks */
static PetscErrorCode Features(MPI_Comm comm, Vec *X)
{
  PetscInt n = PETSC_DECIDE, N = 13;

  PetscFunctionBegin;
  PetscCall(PetscSplitOwnership(comm, &n, &N));
  PetscCall(VecCreateMPI(comm, 3 * n, 3 * N, X));
  PetscCall(OdynTestRandomVec(5, 2.0, *X));
  PetscFunctionReturn(0);
}

/* The labels of all 13 examples, on every rank. */
static void PredictAll(OdynModel m, MPI_Comm comm, PetscInt all[13])
{
  Vec         X;
  PetscInt    n, start, mine[13];
  PetscMPIInt size;

  ODYN_CK(Features(comm, &X));
  ODYN_CK(VecGetLocalSize(X, &n));
  ODYN_CK(VecGetOwnershipRange(X, &start, NULL));
  ODYN_CK(OdynModelPredict(m, X, NULL, mine));
  for (PetscInt i = 0; i < 13; i++) all[i] = 0;
  for (PetscInt i = 0; i < n / 3; i++) all[start / 3 + i] = mine[i];
  ck_assert(MPI_Comm_size(comm, &size) == MPI_SUCCESS);
  ck_assert(MPI_Allreduce(MPI_IN_PLACE, all, 13, MPIU_INT, MPI_SUM, comm) == MPI_SUCCESS);
  ODYN_CK(VecDestroy(&X));
}

START_TEST(test_roundtrip)
{
  Fixture      f;
  OdynModel    m, self;
  OdynNet      net;
  OdynLoss     loss;
  Vec          theta, wmu, X, Y0, Y1;
  OdynScheme   sc;
  OdynLayer    l;
  OdynLossType lt;
  PetscBool    eq;
  PetscInt     N, nc, format, la[13], lb[13], lc[13];
  PetscReal    T, d, nrm;
  const char  *info, *v, *sum0, *sum1;
  PetscMPIInt  rank;

  ck_assert(MPI_Comm_rank(PETSC_COMM_WORLD, &rank) == MPI_SUCCESS);
  ODYN_CK(FixtureCreate(PETSC_COMM_WORLD, &f));
  ODYN_CK(OdynModelSave(f.model, FILE_RT));
  ck_assert_int_eq(OdynTestFileSize(FILE_RT ".tmp"), -1); /* renamed into place */
  ODYN_CK(OdynModelCreate(PETSC_COMM_WORLD, &m));
  ODYN_CK(OdynModelLoad(m, FILE_RT));
  /* the description */
  ODYN_CK(OdynModelGetParameters(m, &net, &loss, &theta, &wmu));
  ODYN_CK(OdynNetGetNumBlocks(net, &N));
  ck_assert_int_eq(N, 2);
  ODYN_CK(OdynNetGetBlock(net, 1, &sc));
  ODYN_CK(OdynSchemeGetNumSteps(sc, &N));
  ODYN_CK(OdynSchemeGetFinalTime(sc, &T));
  ck_assert_int_eq(N, 5);
  ck_assert(T == 1.0);
  ODYN_CK(OdynSchemeGetLayer(sc, &l));
  ODYN_CK(OdynLayerGetHiddenWidth(l, &N));
  ck_assert_int_eq(N, 4);
  ODYN_CK(OdynLossGetType(loss, &lt));
  ODYN_CK(OdynLossGetNumClasses(loss, &nc));
  ck_assert_str_eq(lt, ODYNLOSSSOFTMAX);
  ck_assert_int_eq(nc, 4);
  ODYN_CK(OdynModelGetInfo(m, &info));
  ck_assert_str_eq(info, "test: round trip\nline two");
  ODYN_CK(OdynModelGetVersion(m, &format, &v));
  ck_assert_int_eq(format, ODYN_MODEL_FORMAT_VERSION);
  ODYN_CK(OdynModelGetChecksum(f.model, &sum0));
  ODYN_CK(OdynModelGetChecksum(m, &sum1));
  ck_assert_str_eq(sum0, sum1);
  /* the values, bit for bit, and the forward propagation (which also sees the antisym gamma) */
  ODYN_CK(VecEqual(theta, f.theta, &eq));
  ck_assert(eq);
  ODYN_CK(VecEqual(wmu, f.wmu, &eq));
  ck_assert(eq);
  ODYN_CK(Features(PETSC_COMM_WORLD, &X));
  ODYN_CK(VecDuplicate(X, &Y0));
  ODYN_CK(VecDuplicate(X, &Y1));
  ODYN_CK(OdynNetForward(f.net, f.theta, X, Y0));
  ODYN_CK(OdynNetForward(net, theta, X, Y1));
  ODYN_CK(VecNorm(Y0, NORM_2, &nrm));
  ODYN_CK(VecAXPY(Y1, -1.0, Y0));
  ODYN_CK(VecNorm(Y1, NORM_2, &d));
  ck_assert_msg(d <= 1e-14 * nrm, "forward after the round trip differs by %g (norm %g)", (double)d, (double)nrm);
  /* the same labels from the saved model, the loaded one, and the file read by each rank alone */
  PredictAll(f.model, PETSC_COMM_WORLD, la);
  PredictAll(m, PETSC_COMM_WORLD, lb);
  ODYN_CK(OdynModelCreate(PETSC_COMM_SELF, &self));
  ODYN_CK(OdynModelLoad(self, FILE_RT));
  PredictAll(self, PETSC_COMM_SELF, lc);
  for (PetscInt i = 0; i < 13; i++) ck_assert_msg(la[i] == lb[i] && la[i] == lc[i], "example %d: labels %d %d %d", (int)i, (int)la[i], (int)lb[i], (int)lc[i]);
  ODYN_CK(VecDestroy(&X));
  ODYN_CK(VecDestroy(&Y0));
  ODYN_CK(VecDestroy(&Y1));
  ODYN_CK(OdynModelDestroy(&self));
  ODYN_CK(OdynModelDestroy(&m));
  ODYN_CK(FixtureDestroy(&f));
  ck_assert(MPI_Barrier(PETSC_COMM_WORLD) == MPI_SUCCESS); /* every rank has read the file alone */
  if (!rank) remove(FILE_RT);
}
END_TEST

/* A short ellipse run: the model's accuracy on the validation set is the best validation accuracy training reported,
   before and after a round trip through a file. */
START_TEST(test_trained)
{
  const PetscInt  levels[2] = {4, 8};
  OdynDataset     tr, va;
  OdynNet         net;
  OdynScheme      sc;
  OdynLayer       l;
  OdynLoss        loss;
  OdynRegularizer reg;
  OdynTrainer     t;
  OdynModel       m, m2;
  PetscOptions    opts;
  Vec             theta = NULL, wmu = NULL; /* OdynTrainerSolve() destroys what *theta holds */
  PetscInt        layers;
  PetscReal       best, acc, acc2, lossval, lossval2;
  PetscMPIInt     rank;

  ck_assert(MPI_Comm_rank(PETSC_COMM_WORLD, &rank) == MPI_SUCCESS);
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "ellipse", &tr, &va));
  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  ODYN_CK(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
  ODYN_CK(OdynSchemeSetFinalTime(sc, 20.0));
  ODYN_CK(OdynSchemeGetLayer(sc, &l));
  ODYN_CK(OdynLayerSetWidth(l, 2));
  ODYN_CK(OdynNetAddBlock(net, sc));
  ODYN_CK(OdynSchemeDestroy(&sc));
  ODYN_CK(OdynLossCreate(PETSC_COMM_WORLD, &loss));
  ODYN_CK(OdynLossSetType(loss, ODYNLOSSLOGISTIC));
  ODYN_CK(OdynRegularizerCreate(PETSC_COMM_WORLD, &reg));
  ODYN_CK(OdynRegularizerSetType(reg, ODYNREGSMOOTH));
  ODYN_CK(OdynRegularizerSetWeight(reg, 1e-3));
  ODYN_CK(OdynTrainerCreate(PETSC_COMM_WORLD, &t));
  ODYN_CK(OdynTrainerSetNet(t, net));
  ODYN_CK(OdynTrainerSetLoss(t, loss));
  ODYN_CK(OdynTrainerSetRegularizer(t, reg));
  ODYN_CK(OdynTrainerSetData(t, tr, va));
  ODYN_CK(PetscOptionsCreate(&opts));
  ODYN_CK(PetscOptionsInsertString(opts, "-odyn_bcd_max_it 4"));
  ODYN_CK(PetscObjectSetOptions((PetscObject)t, opts));
  ODYN_CK(OdynTrainerSetFromOptions(t));
  ODYN_CK(OdynTrainerSetLevels(t, 2, levels));
  ODYN_CK(OdynTrainerSolve(t, &theta, &wmu));
  ODYN_CK(OdynTrainerGetBest(t, &layers, &best));
  ODYN_CK(OdynModelCreate(PETSC_COMM_WORLD, &m));
  ODYN_CK(OdynModelSetParameters(m, net, loss, theta, wmu));
  ODYN_CK(OdynModelEvaluate(m, va, &acc, &lossval));
  ck_assert_msg(100 * acc == best, "evaluated accuracy %.17g%%, training reported %.17g%%", (double)(100 * acc), (double)best);
  ck_assert(lossval > 0 && lossval < 1);
  ODYN_CK(OdynModelSave(m, FILE_RT));
  ODYN_CK(OdynModelCreate(PETSC_COMM_WORLD, &m2));
  ODYN_CK(OdynModelSetChunkSize(m2, 7)); /* many forward sweeps: the accuracy does not change */
  ODYN_CK(OdynModelLoad(m2, FILE_RT));
  ODYN_CK(OdynModelEvaluate(m2, va, &acc2, &lossval2));
  ck_assert_msg(acc2 == acc, "accuracy after the round trip %g, before %g", (double)acc2, (double)acc);
  ck_assert_msg(PetscAbsReal(lossval2 - lossval) <= 1e-12 * lossval, "loss after the round trip %.17g, before %.17g", (double)lossval2, (double)lossval);
  ODYN_CK(OdynModelDestroy(&m2));
  ODYN_CK(OdynModelDestroy(&m));
  ODYN_CK(VecDestroy(&theta));
  ODYN_CK(VecDestroy(&wmu));
  ODYN_CK(OdynTrainerDestroy(&t));
  ODYN_CK(PetscOptionsDestroy(&opts));
  ODYN_CK(OdynRegularizerDestroy(&reg));
  ODYN_CK(OdynLossDestroy(&loss));
  ODYN_CK(OdynNetDestroy(&net));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
  ck_assert(MPI_Barrier(PETSC_COMM_WORLD) == MPI_SUCCESS);
  if (!rank) remove(FILE_RT);
}
END_TEST

static void CheckLoadError(const char *file, const char *needle)
{
  OdynModel m;

  ODYN_CK(OdynModelCreate(PETSC_COMM_WORLD, &m));
  odyn_ck_error_contains(OdynModelLoad(m, file), needle);
  ck_assert_msg(strstr(OdynTestLastErrorMessage(), file) != NULL, "the message \"%s\" does not name %s", OdynTestLastErrorMessage(), file);
  ODYN_CK(OdynModelDestroy(&m));
}

START_TEST(test_bad_files)
{
  Fixture     f;
  OdynModel   empty;
  OdynDataset ds;
  PetscViewer v;
  Vec         X;
  PetscReal   acc;
  PetscScalar x[4] = {0, 1, 2, 3};
  PetscInt    lab[2] = {0, 9};
  PetscMPIInt rank;
  const char *bad = "test_model_no_such_dir/m.h5";

  ck_assert(MPI_Comm_rank(PETSC_COMM_WORLD, &rank) == MPI_SUCCESS);
  ODYN_CK(FixtureCreate(PETSC_COMM_WORLD, &f));
  ODYN_CK(OdynModelSave(f.model, FILE_RT));
  CheckLoadError("test_model_missing.h5", "does not exist");
  ODYN_CK(OdynTestFileTruncate(PETSC_COMM_WORLD, FILE_RT, "test_model_cut.h5", OdynTestFileSize(FILE_RT) / 2));
  CheckLoadError("test_model_cut.h5", "is truncated or corrupt");
  ODYN_CK(OdynTestModelFlipTheta(PETSC_COMM_WORLD, FILE_RT, "test_model_flip.h5"));
  CheckLoadError("test_model_flip.h5", "is corrupt: checksum mismatch");
  ODYN_CK(OdynTestModelSetFormatVersion(PETSC_COMM_WORLD, FILE_RT, "test_model_v99.h5", 99));
  CheckLoadError("test_model_v99.h5", "has format version 99 (written by odyn 0.1.0), newer than this odyn");
  /* an HDF5 file that is not a model */
  ODYN_CK(PetscViewerHDF5Open(PETSC_COMM_WORLD, "test_model_other.h5", FILE_MODE_WRITE, &v));
  ODYN_CK(PetscObjectSetName((PetscObject)f.theta, "x"));
  ODYN_CK(VecView(f.theta, v));
  ODYN_CK(PetscViewerDestroy(&v));
  CheckLoadError("test_model_other.h5", "is an HDF5 file but not an odyn model file");
  /* writing where one cannot leaves nothing behind */
  odyn_ck_error_contains(OdynModelSave(f.model, bad), "Cannot write the model file test_model_no_such_dir/m.h5: cannot create test_model_no_such_dir/m.h5.tmp");
  ck_assert_int_eq(OdynTestFileSize(bad), -1);
  ODYN_CK(OdynModelCreate(PETSC_COMM_WORLD, &empty));
  odyn_ck_error_contains(OdynModelSave(empty, "test_model_empty.h5"), "the model is empty");
  ck_assert_int_eq(OdynTestFileSize("test_model_empty.h5"), -1);
  ODYN_CK(OdynModelDestroy(&empty));
  /* data that do not fit: 2 features for a network of width 3; a label the model does not know */
  ODYN_CK(OdynDatasetCreateFromGlobalArrays(PETSC_COMM_WORLD, 2, 10, 2, x, lab, &ds));
  odyn_ck_error_contains(OdynModelEvaluate(f.model, ds, &acc, NULL), "the data set has 2 features per example but the model's network takes 3");
  ODYN_CK(OdynDatasetDestroy(&ds));
  ODYN_CK(OdynDatasetCreateFromGlobalArrays(PETSC_COMM_WORLD, 3, 10, 1, x, lab + 1, &ds));
  odyn_ck_error_contains(OdynModelEvaluate(f.model, ds, &acc, NULL), "has the label 9 but the model knows 4 classes");
  ODYN_CK(OdynDatasetDestroy(&ds));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, rank ? 0 : 4, 4, &X));
  odyn_ck_error_contains(OdynModelPredict(f.model, X, NULL, lab), "its network takes 3 values per example");
  ODYN_CK(VecDestroy(&X));
  ODYN_CK(FixtureDestroy(&f));
  ck_assert(MPI_Barrier(PETSC_COMM_WORLD) == MPI_SUCCESS);
  if (!rank) {
    const char *files[] = {FILE_RT, "test_model_cut.h5", "test_model_flip.h5", "test_model_v99.h5", "test_model_other.h5"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) remove(files[i]);
  }
}
END_TEST

static PetscErrorCode ShellApply(OdynLayer l, PetscInt face, const PetscScalar th[], PetscInt s, const PetscScalar X[], PetscScalar F[], void *ctx)
{
  return 0;
}

static PetscErrorCode ShellProduct(OdynLayer l, PetscInt face, const PetscScalar th[], PetscInt s, const PetscScalar X[], PetscScalar a, const PetscScalar in[], PetscScalar out[], void *ctx)
{
  return 0;
}

/* A network with a shell layer cannot be written: its function is the program's code. */
START_TEST(test_shell_refused)
{
  OdynNet    net;
  OdynScheme sc;
  OdynLayer  l;
  OdynLoss   loss;
  OdynModel  m;
  Vec        theta, wmu;

  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  ODYN_CK(OdynSchemeCreate(PETSC_COMM_WORLD, &sc));
  ODYN_CK(OdynSchemeGetLayer(sc, &l));
  ODYN_CK(OdynLayerSetType(l, ODYNLAYERSHELL));
  ODYN_CK(OdynLayerShellSetSizes(l, 1, 2, 2, 3));
  ODYN_CK(OdynLayerShellSetApply(l, ShellApply));
  for (int p = 0; p < 4; p++) ODYN_CK(OdynLayerShellSetProduct(l, (OdynLayerShellProduct)p, ShellProduct));
  ODYN_CK(OdynNetAddBlock(net, sc));
  ODYN_CK(OdynSchemeDestroy(&sc));
  ODYN_CK(OdynLossCreate(PETSC_COMM_WORLD, &loss));
  ODYN_CK(OdynLossSetNumFeatures(loss, 2));
  ODYN_CK(OdynLossSetNumClasses(loss, 2));
  ODYN_CK(OdynNetCreateParameterVec(net, &theta));
  ODYN_CK(OdynLossCreateWeightVec(loss, &wmu));
  ODYN_CK(OdynModelCreate(PETSC_COMM_WORLD, &m));
  ODYN_CK(OdynModelSetParameters(m, net, loss, theta, wmu));
  odyn_ck_error_contains(OdynModelSave(m, "test_model_shell.h5"), "block 0 has a shell layer");
  ck_assert_int_eq(OdynTestFileSize("test_model_shell.h5"), -1);
  ck_assert_int_eq(OdynTestFileSize("test_model_shell.h5.tmp"), -1);
  ODYN_CK(OdynModelDestroy(&m));
  ODYN_CK(VecDestroy(&theta));
  ODYN_CK(VecDestroy(&wmu));
  ODYN_CK(OdynLossDestroy(&loss));
  ODYN_CK(OdynNetDestroy(&net));
}
END_TEST

static Suite *MakeSuite(void)
{
  Suite *s  = suite_create("model");
  TCase *tc = tcase_create("model");

  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_roundtrip);
  tcase_add_test(tc, test_trained);
  tcase_add_test(tc, test_bad_files);
  tcase_add_test(tc, test_shell_refused);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, MakeSuite); }
