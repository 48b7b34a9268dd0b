/*
   odyn train: a built-in problem with the paper's hyper-parameters (problems/options/<problem>.opts, then the
   -odyn_net preset, then the command line again so that it wins), or the user's CSV files; trains with OdynTrainer and
   writes the model of best validation accuracy.
*/
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>
#include "odynapp.h"

#ifndef ODYN_OPTIONS_DIR
  #define ODYN_OPTIONS_DIR "problems/options"
#endif
#ifndef ODYN_INSTALLED_OPTIONS_DIR
  #define ODYN_INSTALLED_OPTIONS_DIR "../share/odyn/options"
#endif

/*
   <dir>/<problem>.opts: dir is -odyn_options_dir if given, else the source tree's problems/options (the build's
   default), else the folder cmake --install puts the files in, relative to this program.
*/
static PetscErrorCode FindOptionsFile(MPI_Comm comm, const char *dir, PetscBool given, const char *problem, char *path, size_t len)
{
  PetscBool found;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, len, "%s/%s.opts", dir, problem));
  PetscCall(PetscTestFile(path, 'r', &found));
  if (!found && !given) {
    char    exe[PETSC_MAX_PATH_LEN] = "", other[2 * PETSC_MAX_PATH_LEN];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (n > 0) {
      exe[n] = 0;
      PetscCall(PetscSNPrintf(other, sizeof(other), "%s/%s/%s.opts", dirname(exe), ODYN_INSTALLED_OPTIONS_DIR, problem));
      PetscCall(PetscTestFile(other, 'r', &found));
      if (found) PetscCall(PetscStrncpy(path, other, len));
    }
  }
  PetscCheck(found, comm, PETSC_ERR_FILE_OPEN, "odyn train: the hyper-parameters of -odyn_problem %s, %s, cannot be read: give the folder of the .opts files with -odyn_options_dir (or -odyn_defaults 0)", problem, path);
  PetscFunctionReturn(0);
}

/* The paper's networks (Sec. 6) as option presets. With a built-in problem the Verlet network keeps the original 2
   features (the other networks widen them as the problem's .opts file says). */
static PetscErrorCode InsertNetPreset(MPI_Comm comm, const char *net, PetscBool problem)
{
  static const struct {
    const char *name, *opts, *problem_opts;
  } presets[] = {
    {"resnet",   "-odyn_scheme_type euler -odyn_layer_type dense",          NULL                                            },
    {"antisym",  "-odyn_scheme_type euler -odyn_layer_type antisym",        NULL                                            },
    {"leapfrog", "-odyn_scheme_type leapfrog -odyn_layer_type negdef",      NULL                                            },
    {"verlet",   "-odyn_scheme_type verlet -odyn_layer_type hamiltonian", "-odyn_problem_duplicate 1 -odyn_layer_width 2"},
  };

  PetscFunctionBegin;
  if (!net[0]) PetscFunctionReturn(0);
  for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
    PetscBool match;

    PetscCall(PetscStrcmp(net, presets[i].name, &match));
    if (!match) continue;
    PetscCall(PetscOptionsInsertString(NULL, presets[i].opts));
    if (problem && presets[i].problem_opts) PetscCall(PetscOptionsInsertString(NULL, presets[i].problem_opts));
    PetscFunctionReturn(0);
  }
  SETERRQ(comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown -odyn_net %s: use resnet, antisym, leapfrog or verlet (or set -odyn_scheme_type and -odyn_layer_type)", net);
}

/* What the model file keeps about its training: command, date, data, result and every option in the database. */
static PetscErrorCode BuildInfo(MPI_Comm comm, const char *problem, const char *ftrain, const char *fval, const char *net, OdynDataset train, OdynDataset val, OdynTrainer trainer, char **info)
{
  char       *opts, date[64] = "", data[3 * PETSC_MAX_PATH_LEN];
  PetscMPIInt size, rank;
  PetscInt    nf, nc, ntr, nva, layers, nhist;
  PetscReal   best;
  size_t      len;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) { /* one clock for all ranks: every rank must store the same text */
    time_t now = time(NULL);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  }
  PetscCallMPI(MPI_Bcast(date, sizeof(date), MPI_CHAR, 0, comm));
  PetscCall(OdynDatasetGetSizes(train, &nf, &nc, NULL, &ntr));
  PetscCall(OdynDatasetGetSizes(val, NULL, NULL, NULL, &nva));
  PetscCall(OdynTrainerGetBest(trainer, &layers, &best));
  PetscCall(OdynTrainerGetHistory(trainer, &nhist, NULL));
  if (ftrain[0]) PetscCall(PetscSNPrintf(data, sizeof(data), "train=%s val=%s", ftrain, fval));
  else PetscCall(PetscSNPrintf(data, sizeof(data), "problem=%s (generated)", problem));
  PetscCall(PetscOptionsGetAll(NULL, &opts));
  PetscCall(PetscStrlen(opts, &len));
  len += sizeof(data) + 1024;
  PetscCall(PetscMalloc1(len, info));
  PetscCall(PetscSNPrintf(*info, len,
                          "command: odyn train (%d MPI ranks)\n"
                          "date: %s\n"
                          "data: %s\n"
                          "examples: train=%" PetscInt_FMT " val=%" PetscInt_FMT " features=%" PetscInt_FMT " classes=%" PetscInt_FMT "\n"
                          "net: %s\n"
                          "result: layers=%" PetscInt_FMT " val_acc=%.2f iterations=%" PetscInt_FMT "\n"
                          "options: %s",
                          (int)size, date, data, ntr, nva, nf, nc, net[0] ? net : "as the options say (no -odyn_net preset)", layers, (double)best, nhist, opts));
  PetscCall(PetscFree(opts));
  PetscFunctionReturn(0);
}

/*
   Options of odyn train (besides those of OdynNet, OdynLoss, OdynRegularizer, OdynTrainer, OdynProblemCreate):
     -odyn_problem, -odyn_net, -odyn_options_dir, -odyn_defaults, -odyn_data_train, -odyn_data_val, -odyn_model_out,
     -odyn_data_csv, -odyn_data_val_csv
   *interrupted: the signal that stopped training (after a checkpoint; no model is written then), 0 otherwise.
*/
PetscErrorCode OdynAppTrain(MPI_Comm comm, PetscBool help, int *argc, char ***argv, PetscInt *interrupted)
{
  char            problem[64] = "", net[64] = "", dir[PETSC_MAX_PATH_LEN] = ODYN_OPTIONS_DIR, path[2 * PETSC_MAX_PATH_LEN];
  char            ftrain[PETSC_MAX_PATH_LEN] = "", fval[PETSC_MAX_PATH_LEN] = "", out[PETSC_MAX_PATH_LEN] = "model.h5";
  char            csv[PETSC_MAX_PATH_LEN] = "", valcsv[PETSC_MAX_PATH_LEN] = "", *info;
  const char     *sum;
  PetscBool       defaults = PETSC_TRUE, dirgiven, haswidth;
  PetscInt        layers, np;
  PetscReal       best;
  OdynDataset     train = NULL, val = NULL;
  OdynNet         network;
  OdynLoss        loss;
  OdynRegularizer reg, creg = NULL;
  PetscBool       hascreg;
  OdynTrainer     trainer;
  OdynModel       model;
  Vec             theta = NULL, wmu = NULL; /* OdynTrainerSolve() destroys what they hold */

  PetscFunctionBegin;
  *interrupted = 0;
  PetscOptionsBegin(comm, NULL, "odyn train: what to train on and with which network", NULL);
  PetscCall(PetscOptionsString("-odyn_problem", "Built-in problem: ellipse, swissroll or peaks (loads its .opts file)", "OdynProblemCreate", problem, problem, sizeof(problem), NULL));
  PetscCall(PetscOptionsString("-odyn_net", "The paper's networks: resnet, antisym, leapfrog, verlet", "", net, net, sizeof(net), NULL));
  PetscCall(PetscOptionsString("-odyn_options_dir", "Folder of the problems' .opts files", "", dir, dir, sizeof(dir), &dirgiven));
  PetscCall(PetscOptionsBool("-odyn_defaults", "Load the problem's .opts file (the paper's hyper-parameters)", "", defaults, &defaults, NULL));
  PetscCall(PetscOptionsString("-odyn_data_train", "Training data: .csv, .idx[.gz] or -ubyte[.gz] (IDX images), .bin/.dat (PETSc binary), .h5 (docs/data.md)", "OdynDatasetLoad", ftrain, ftrain, sizeof(ftrain), NULL));
  PetscCall(PetscOptionsString("-odyn_data_val", "Validation data, in any of those formats", "OdynDatasetLoad", fval, fval, sizeof(fval), NULL));
  PetscCall(PetscOptionsString("-odyn_model_out", "The model file to write", "OdynModelSave", out, out, sizeof(out), NULL));
  PetscCall(PetscOptionsString("-odyn_data_csv", "Also write the training data as CSV", "OdynDatasetWriteCSV", csv, csv, sizeof(csv), NULL));
  PetscCall(PetscOptionsString("-odyn_data_val_csv", "Also write the validation data as CSV", "OdynDatasetWriteCSV", valcsv, valcsv, sizeof(valcsv), NULL));
  PetscOptionsEnd();
  PetscCheck(!ftrain[0] == !fval[0], comm, PETSC_ERR_ARG_WRONG, "odyn train: give both -odyn_data_train and -odyn_data_val, or neither");
  PetscCheck(help || problem[0] || ftrain[0], comm, PETSC_ERR_ARG_WRONG, "odyn train: nothing to train on: give -odyn_problem ellipse|swissroll|peaks, or -odyn_data_train FILE -odyn_data_val FILE");
  if (problem[0] && defaults) {
    PetscCall(FindOptionsFile(comm, dir, dirgiven, problem, path, sizeof(path)));
    PetscCall(PetscOptionsInsertFile(comm, NULL, path, PETSC_TRUE));
  }
  PetscCall(InsertNetPreset(comm, net, problem[0] ? PETSC_TRUE : PETSC_FALSE));
  PetscCall(PetscOptionsInsert(NULL, argc, argv, NULL)); /* the command line (and its -options_file) win */
  if (!help) PetscCall(OdynAppCheckWritable(comm, out, "model file"));
  if (!help && ftrain[0]) {
    PetscInt nf;

    PetscCall(OdynDatasetLoad(comm, ftrain, &train)); /* the format by the extension */
    PetscCall(OdynDatasetLoad(comm, fval, &val));
    PetscCall(OdynDatasetGetSizes(train, &nf, NULL, NULL, NULL));
    {
      PetscInt  n1, n2, nch;
      PetscBool hasgrid, isimage = PETSC_FALSE;
      char      rtype[64] = "";

      /* images (IDX, or binary/HDF5 files that record the shape): the image regularizer gets their grid by default
         (only then: an option nobody reads would show up in -options_left) */
      PetscCall(OdynDatasetGetImageShape(train, &n1, &n2, &nch));
      PetscCall(PetscOptionsHasName(NULL, NULL, "-odyn_reg_image_grid", &hasgrid));
      PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_reg_type", rtype, sizeof(rtype), NULL));
      PetscCall(PetscStrcmp(rtype, "image", &isimage));
      if (n1 && !hasgrid && isimage) {
        char g[96];
        PetscCall(PetscSNPrintf(g, sizeof(g), "%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT, n1, n2, nch));
        PetscCall(PetscOptionsSetValue(NULL, "-odyn_reg_image_grid", g));
      }
    }
    PetscCall(PetscOptionsHasName(NULL, NULL, "-odyn_layer_width", &haswidth));
    if (!haswidth) { /* the network's width defaults to the data's */
      char w[32];
      PetscCall(PetscSNPrintf(w, sizeof(w), "%" PetscInt_FMT, nf));
      PetscCall(PetscOptionsSetValue(NULL, "-odyn_layer_width", w));
    }
  }
  PetscCall(OdynNetCreate(comm, &network));
  PetscCall(OdynNetSetFromOptions(network));
  PetscCall(OdynLossCreate(comm, &loss));
  PetscCall(OdynLossSetFromOptions(loss));
  PetscCall(OdynRegularizerCreate(comm, &reg));
  PetscCall(OdynRegularizerSetFromOptions(reg));
  /* a regularizer of the classifier weights (e.g. the MNIST options' Laplacian smoothness, paper 001 eq. 5.25) when
     the options name one under the prefix cls_ */
  PetscCall(PetscOptionsHasName(NULL, "cls_", "-odyn_reg_type", &hascreg));
  if (hascreg) {
    PetscCall(OdynRegularizerCreate(comm, &creg));
    PetscCall(OdynRegularizerSetOptionsPrefix(creg, "cls_"));
    PetscCall(OdynRegularizerSetFromOptions(creg));
  }
  PetscCall(OdynTrainerCreate(comm, &trainer));
  PetscCall(OdynTrainerSetFromOptions(trainer));
  if (!help) {
    if (!train) PetscCall(OdynProblemCreate(comm, problem, &train, &val));
    if (csv[0]) PetscCall(OdynDatasetWriteCSV(train, csv));
    if (valcsv[0]) PetscCall(OdynDatasetWriteCSV(val, valcsv));
    PetscCall(OdynTrainerSetNet(trainer, network));
    PetscCall(OdynTrainerSetLoss(trainer, loss));
    PetscCall(OdynTrainerSetRegularizer(trainer, reg));
    if (creg) PetscCall(OdynTrainerSetClassifierRegularizer(trainer, creg));
    PetscCall(OdynTrainerSetData(trainer, train, val));
    if (problem[0]) PetscCall(OdynTrainerSetProblemName(trainer, problem));
    PetscCall(OdynTrainerSolve(trainer, &theta, &wmu));
    PetscCall(OdynTrainerGetInterrupted(trainer, interrupted));
  }
  if (!help && !*interrupted) {
    PetscCall(OdynModelCreate(comm, &model));
    PetscCall(OdynModelSetParameters(model, network, loss, theta, wmu));
    PetscCall(BuildInfo(comm, problem, ftrain, fval, net, train, val, trainer, &info));
    PetscCall(OdynModelSetInfo(model, info));
    PetscCall(PetscFree(info));
    PetscCall(OdynModelSave(model, out));
    PetscCall(OdynTrainerGetBest(trainer, &layers, &best));
    PetscCall(OdynNetGetNumParameters(network, &np));
    PetscCall(OdynModelGetChecksum(model, &sum));
    PetscCall(PetscPrintf(comm, "odyn model: file=%s layers=%" PetscInt_FMT " parameters=%" PetscInt_FMT " val_acc=%.2f checksum=%s\n", out, layers, np, (double)best, sum));
    PetscCall(OdynModelDestroy(&model));
  }
  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&wmu));
  PetscCall(OdynTrainerDestroy(&trainer));
  PetscCall(OdynRegularizerDestroy(&reg));
  PetscCall(OdynRegularizerDestroy(&creg));
  PetscCall(OdynLossDestroy(&loss));
  PetscCall(OdynNetDestroy(&network));
  PetscCall(OdynDatasetDestroy(&train));
  PetscCall(OdynDatasetDestroy(&val));
  PetscFunctionReturn(0);
}
