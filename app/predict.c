/*
   odyn predict and odyn eval: a model file and a CSV data set, data-parallel like training (every rank propagates
   its slice of the examples; rank 0 writes the results in the order of the data set).
*/
#include <stdio.h>
#include "odynapp.h"

typedef struct {
  PetscInt           N, nout;
  OdynModelOutputType type;
  const PetscInt    *truth, *pred; /* the whole data set, on rank 0 */
  const PetscScalar *p;
} PredictionTable;

/* CSV: example,label,prediction,<p_0 ... p_{nout-1} or score_0 ...>, one line per example in the data set's order. */
static int WritePredictions(FILE *fp, void *ctx)
{
  const PredictionTable *t   = (const PredictionTable *)ctx;
  const char            *col = t->type == ODYN_MODEL_OUTPUT_PROBABILITY ? "p" : "score";
  int                    bad = fprintf(fp, "example,label,prediction") < 0;

  for (PetscInt k = 0; k < t->nout; k++) bad |= fprintf(fp, ",%s_%" PetscInt_FMT, col, k) < 0;
  bad |= fprintf(fp, "\n") < 0;
  for (PetscInt i = 0; i < t->N && !bad; i++) {
    bad |= fprintf(fp, "%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT, i, t->truth[i], t->pred[i]) < 0;
    for (PetscInt k = 0; k < t->nout; k++) bad |= fprintf(fp, ",%.10g", (double)PetscRealPart(t->p[i * t->nout + k])) < 0;
    bad |= fprintf(fp, "\n") < 0;
  }
  return bad;
}

/* Gathers the local integers of every rank on rank 0, in rank order (= the data set's order). */
static PetscErrorCode GatherInts(MPI_Comm comm, PetscInt n, const PetscInt *local, PetscInt N, PetscInt **all)
{
  PetscMPIInt size, rank, mine, *counts = NULL, *displs = NULL;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscMPIIntCast(n, &mine));
  PetscCall(PetscMalloc1(rank == 0 ? N + 1 : 1, all));
  if (rank == 0) PetscCall(PetscMalloc2(size, &counts, size, &displs));
  PetscCallMPI(MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, 0, comm));
  if (rank == 0) {
    displs[0] = 0;
    for (PetscMPIInt r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  }
  PetscCallMPI(MPI_Gatherv(local, mine, MPIU_INT, *all, counts, displs, MPIU_INT, 0, comm));
  if (rank == 0) PetscCall(PetscFree2(counts, displs));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynAppPredict(MPI_Comm comm, PetscBool help)
{
  char               mfile[PETSC_MAX_PATH_LEN] = "", dfile[PETSC_MAX_PATH_LEN] = "", out[PETSC_MAX_PATH_LEN] = "predictions.csv";
  OdynModel          model;
  OdynDataset        ds;
  PredictionTable    t;
  Vec                X, P, Pall;
  VecScatter         toz;
  PetscInt           nloc, *pred, *truth, *pall;
  const PetscInt    *labels;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "odyn predict: class probabilities and labels of a data set", NULL);
  PetscCall(PetscOptionsString("-odyn_model", "The model file (written by odyn train)", "OdynModelLoad", mfile, mfile, sizeof(mfile), NULL));
  PetscCall(PetscOptionsString("-odyn_data", "The data, CSV (x1,...,xn,label; the label column is echoed, use 0 where unknown)", "OdynDatasetReadCSV", dfile, dfile, sizeof(dfile), NULL));
  PetscCall(PetscOptionsString("-odyn_predict_out", "The CSV file to write", "OdynModelPredict", out, out, sizeof(out), NULL));
  PetscOptionsEnd();
  if (help) { /* list the model's options too */
    PetscCall(OdynModelCreate(comm, &model));
    PetscCall(OdynModelSetFromOptions(model));
    PetscCall(OdynModelDestroy(&model));
    PetscFunctionReturn(0);
  }
  PetscCall(OdynAppCheckWritable(comm, out, "prediction file"));
  PetscCall(OdynAppLoadModel(comm, mfile, &model));
  PetscCall(OdynAppReadData(comm, model, mfile, dfile, "predict", &ds));
  PetscCall(OdynDatasetGetSizes(ds, NULL, NULL, &nloc, &t.N));
  PetscCall(OdynDatasetGetFeatures(ds, &X));
  PetscCall(OdynDatasetGetLabels(ds, &labels));
  PetscCall(OdynModelGetNumOutputs(model, &t.nout, &t.type));
  PetscCall(VecCreateMPI(comm, t.nout * nloc, PETSC_DETERMINE, &P));
  PetscCall(PetscMalloc1(nloc + 1, &pred));
  PetscCall(OdynModelPredict(model, X, P, pred));
  PetscCall(GatherInts(comm, nloc, pred, t.N, &pall));
  PetscCall(GatherInts(comm, nloc, labels, t.N, &truth));
  PetscCall(VecScatterCreateToZero(P, &toz, &Pall));
  PetscCall(VecScatterBegin(toz, P, Pall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(toz, P, Pall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(Pall, &t.p));
  t.truth = truth;
  t.pred  = pall;
  PetscCall(OdynAppWriteFileAtomic(comm, out, "prediction file", WritePredictions, &t));
  PetscCall(VecRestoreArrayRead(Pall, &t.p));
  PetscCall(PetscPrintf(comm, "odyn predict: model=%s data=%s examples=%" PetscInt_FMT " out=%s\n", mfile, dfile, t.N, out));
  PetscCall(VecScatterDestroy(&toz));
  PetscCall(VecDestroy(&Pall));
  PetscCall(VecDestroy(&P));
  PetscCall(PetscFree(pred));
  PetscCall(PetscFree(pall));
  PetscCall(PetscFree(truth));
  PetscCall(OdynDatasetDestroy(&ds));
  PetscCall(OdynModelDestroy(&model));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynAppEval(MPI_Comm comm, PetscBool help)
{
  char        mfile[PETSC_MAX_PATH_LEN] = "", dfile[PETSC_MAX_PATH_LEN] = "";
  OdynModel   model;
  OdynDataset ds;
  PetscInt    N, nc, ncl;
  PetscReal   acc, loss;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "odyn eval: accuracy and loss of a model on a labelled data set", NULL);
  PetscCall(PetscOptionsString("-odyn_model", "The model file (written by odyn train)", "OdynModelLoad", mfile, mfile, sizeof(mfile), NULL));
  PetscCall(PetscOptionsString("-odyn_data", "The labelled data, CSV (x1,...,xn,label)", "OdynDatasetReadCSV", dfile, dfile, sizeof(dfile), NULL));
  PetscOptionsEnd();
  if (help) {
    PetscCall(OdynModelCreate(comm, &model));
    PetscCall(OdynModelSetFromOptions(model));
    PetscCall(OdynModelDestroy(&model));
    PetscFunctionReturn(0);
  }
  PetscCall(OdynAppLoadModel(comm, mfile, &model));
  PetscCall(OdynAppReadData(comm, model, mfile, dfile, "eval", &ds));
  PetscCall(OdynDatasetGetSizes(ds, NULL, &nc, NULL, &N));
  PetscCall(OdynModelGetNumOutputs(model, &ncl, NULL));
  if (nc > ncl) PetscCall(OdynDatasetDestroy(&ds));
  PetscCheck(nc <= ncl, comm, PETSC_ERR_ARG_OUTOFRANGE, "odyn eval: the data %s has %" PetscInt_FMT " classes (labels 0 .. %" PetscInt_FMT ") but the model %s knows %" PetscInt_FMT, dfile, nc, nc - 1, mfile, ncl);
  PetscCall(OdynModelEvaluate(model, ds, &acc, &loss));
  PetscCall(PetscPrintf(comm, "odyn eval: model=%s data=%s examples=%" PetscInt_FMT " accuracy=%.2f loss=%.6g\n", mfile, dfile, N, (double)(100 * acc), (double)loss));
  PetscCall(OdynDatasetDestroy(&ds));
  PetscCall(OdynModelDestroy(&model));
  PetscFunctionReturn(0);
}
