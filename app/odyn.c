static const char help[] = "odyn - deep networks trained as ODE-constrained optimization problems (paper 001).\n"
                           "Usage: [mpiexec -n P] odyn <command> [options]\n"
                           "  train    train a network on a built-in problem (-odyn_problem ellipse|swissroll|peaks) or on\n"
                           "           CSV files (-odyn_data_train F -odyn_data_val G); write the model (-odyn_model_out)\n"
                           "           long runs: -odyn_checkpoint C [-odyn_checkpoint_every k] writes the solver state,\n"
                           "           -odyn_restart C continues it bit for bit; on SIGTERM or SIGUSR1 training stops after\n"
                           "           the current iteration, writes the checkpoint (C, or odyn-checkpoint.h5) and exits\n"
                           "           with status 75: run the same command again with -odyn_restart (docs/batch.md)\n"
                           "  predict  class probabilities (or scores) and labels of a data set as CSV\n"
                           "           (-odyn_model M -odyn_data D -odyn_predict_out P)\n"
                           "  eval     accuracy and loss of a model on a labelled data set (-odyn_model M -odyn_data D)\n"
                           "  info     what a model file holds (-odyn_model M)\n"
                           "All settings are options; 'odyn <command> -help' lists them, -options_file F reads them from F.\n"
                           "Every command runs data-parallel on any number of MPI ranks. See docs/model-format.md.\n";

#include <stdio.h>
#include <string.h>
#include <errno.h>
#include "odynapp.h"

/*
   Fails early, before hours of training, when an output file cannot be created: rank 0 creates and removes
   path.tmp (the name the writers use before renaming into place).
*/
PetscErrorCode OdynAppCheckWritable(MPI_Comm comm, const char path[], const char what[])
{
  PetscMPIInt rank;
  char        msg[2 * PETSC_MAX_PATH_LEN] = "";

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    char  tmp[PETSC_MAX_PATH_LEN + 8];
    FILE *fp;

    PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", path));
    fp = fopen(tmp, "w");
    if (!fp) PetscCall(PetscSNPrintf(msg, sizeof(msg), "Cannot write the %s %s: cannot create %s: %s", what, path, tmp, strerror(errno)));
    else {
      fclose(fp);
      (void)remove(tmp);
    }
  }
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
  PetscCheck(!msg[0], comm, PETSC_ERR_FILE_OPEN, "%s", msg);
  PetscFunctionReturn(0);
}

/*
   Rank 0 writes path.tmp with writer() and renames it to path, so that path is never half-written; a failure removes
   path.tmp and is raised on every rank. writer() returns nonzero when a write failed (it must not raise PETSc errors:
   the other ranks wait in the broadcast).
*/
PetscErrorCode OdynAppWriteFileAtomic(MPI_Comm comm, const char path[], const char what[], int (*writer)(FILE *, void *), void *ctx)
{
  PetscMPIInt rank;
  char        msg[2 * PETSC_MAX_PATH_LEN + 256] = "";

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    char  tmp[PETSC_MAX_PATH_LEN + 8];
    FILE *fp;
    int   bad;

    PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", path));
    fp = fopen(tmp, "w");
    if (!fp) PetscCall(PetscSNPrintf(msg, sizeof(msg), "Cannot write the %s %s: cannot create %s: %s", what, path, tmp, strerror(errno)));
    else {
      bad = (*writer)(fp, ctx);
      bad |= fflush(fp) != 0;
      bad |= fclose(fp) != 0;
      if (bad) PetscCall(PetscSNPrintf(msg, sizeof(msg), "Writing the %s %s failed (it was left untouched): %s", what, path, strerror(errno)));
      else if (rename(tmp, path)) PetscCall(PetscSNPrintf(msg, sizeof(msg), "Cannot write the %s %s: renaming %s to it failed: %s", what, path, tmp, strerror(errno)));
      if (msg[0]) (void)remove(tmp);
    }
  }
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
  PetscCheck(!msg[0], comm, PETSC_ERR_FILE_WRITE, "%s", msg);
  PetscFunctionReturn(0);
}

/* -odyn_predict_chunk and the file. */
PetscErrorCode OdynAppLoadModel(MPI_Comm comm, const char file[], OdynModel *model)
{
  PetscFunctionBegin;
  PetscCheck(file[0], comm, PETSC_ERR_ARG_WRONG, "No model file: give -odyn_model FILE (a file written by odyn train)");
  PetscCall(OdynModelCreate(comm, model));
  PetscCall(OdynModelSetFromOptions(*model));
  PetscCall(OdynModelLoad(*model, file));
  PetscFunctionReturn(0);
}

/* Reads a CSV data set for a model and checks that it has as many features per example as the network's input
   width; the message names both files. */
PetscErrorCode OdynAppReadData(MPI_Comm comm, OdynModel model, const char mfile[], const char dfile[], const char cmd[], OdynDataset *ds)
{
  OdynNet  net;
  PetscInt nf, nin;

  PetscFunctionBegin;
  PetscCheck(dfile[0], comm, PETSC_ERR_ARG_WRONG, "odyn %s: no data: give -odyn_data FILE (CSV: x1,...,xn,label per line, see docs/problems.md)", cmd);
  PetscCall(OdynDatasetLoad(comm, dfile, ds)); /* CSV, IDX, PETSc binary or HDF5 by the extension (docs/data.md) */
  PetscCall(OdynModelGetParameters(model, &net, NULL, NULL, NULL));
  PetscCall(OdynNetGetInputWidth(net, &nin));
  PetscCall(OdynDatasetGetSizes(*ds, &nf, NULL, NULL, NULL));
  if (nf != nin) PetscCall(OdynDatasetDestroy(ds));
  PetscCheck(nf == nin, comm, PETSC_ERR_ARG_SIZ, "odyn %s: the model %s takes %" PetscInt_FMT " features per example but the data %s has %" PetscInt_FMT " (see odyn info -odyn_model %s)", cmd, mfile, nin, dfile, nf, mfile);
  PetscFunctionReturn(0);
}

/* odyn info: one key=value line for scripts, then the model's view. */
static PetscErrorCode OdynAppInfo(MPI_Comm comm, PetscBool help)
{
  char         file[PETSC_MAX_PATH_LEN] = "";
  OdynModel    model;
  OdynNet      net;
  OdynLoss     loss;
  OdynLossType ltype;
  PetscInt     format, nb, nin, nout, np, ncl;
  const char  *version, *sum;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "odyn info: what a model file holds", NULL);
  PetscCall(PetscOptionsString("-odyn_model", "The model file (written by odyn train)", "OdynModelLoad", file, file, sizeof(file), NULL));
  PetscOptionsEnd();
  if (help) PetscFunctionReturn(0);
  PetscCall(OdynAppLoadModel(comm, file, &model));
  PetscCall(OdynModelGetParameters(model, &net, &loss, NULL, NULL));
  PetscCall(OdynModelGetVersion(model, &format, &version));
  PetscCall(OdynModelGetChecksum(model, &sum));
  PetscCall(OdynNetGetNumBlocks(net, &nb));
  PetscCall(OdynNetGetInputWidth(net, &nin));
  PetscCall(OdynNetGetOutputWidth(net, &nout));
  PetscCall(OdynNetGetNumParameters(net, &np));
  PetscCall(OdynLossGetType(loss, &ltype));
  PetscCall(OdynModelGetNumOutputs(model, &ncl, NULL));
  PetscCall(PetscPrintf(comm, "odyn info: model=%s format_version=%" PetscInt_FMT " odyn_version=%s blocks=%" PetscInt_FMT " input_width=%" PetscInt_FMT " output_width=%" PetscInt_FMT " parameters=%" PetscInt_FMT " loss=%s classes=%" PetscInt_FMT " checksum=%s\n", file, format, version, nb, nin, nout, np, ltype, ncl, sum));
  PetscCall(OdynModelView(model, PETSC_VIEWER_STDOUT_(comm)));
  PetscCall(OdynModelDestroy(&model));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  MPI_Comm    comm;
  const char *cmd = NULL;
  PetscInt    interrupted = 0;
  PetscBool   ishelp, istrain = PETSC_FALSE, ispredict = PETSC_FALSE, iseval = PETSC_FALSE, isinfo = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  /* the command is the first argument (PETSc skips arguments before the first option) */
  if (argc > 1 && argv[1][0] != '-') cmd = argv[1];
  PetscCall(PetscOptionsHasHelp(NULL, &ishelp));
  if (!cmd) {
    if (!ishelp) PetscCall(PetscPrintf(comm, "%s", help)); /* with -help PETSc has printed it */
    PetscCall(PetscFinalize());
    return ishelp ? 0 : 1;
  }
  PetscCall(PetscStrcmp(cmd, "train", &istrain));
  PetscCall(PetscStrcmp(cmd, "predict", &ispredict));
  PetscCall(PetscStrcmp(cmd, "eval", &iseval));
  PetscCall(PetscStrcmp(cmd, "info", &isinfo));
  PetscCheck(istrain || ispredict || iseval || isinfo, comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown command \"%s\": use odyn train, predict, eval or info (odyn -help)", cmd);
  if (istrain) PetscCall(OdynAppTrain(comm, ishelp, &argc, &argv, &interrupted));
  if (ispredict) PetscCall(OdynAppPredict(comm, ishelp));
  if (iseval) PetscCall(OdynAppEval(comm, ishelp));
  if (isinfo) PetscCall(OdynAppInfo(comm, ishelp));
  PetscCall(PetscFinalize());
  return interrupted ? ODYN_EXIT_INTERRUPTED : 0; /* a signal stopped training after a checkpoint: run it again */
}
