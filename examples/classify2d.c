static const char help[] = "Trains a network on a 2-D classification problem of Haber & Ruthotto (paper 001 Sec. 6.1-6.3):\n"
                           "ellipse, swissroll or peaks, with the paper's defaults (problems/options/<problem>.opts), by\n"
                           "multilevel block coordinate descent (Newton-PCG for the classifier, Gauss-Newton-PCG for theta).\n"
                           "  -odyn_problem <name>     ellipse | swissroll | peaks\n"
                           "  -odyn_net <resnet>       resnet | antisym | verlet | leapfrog: the paper's networks\n"
                           "  -odyn_data_csv <file>    also write the training data as CSV\n"
                           "  -odyn_png_prefix <p>     write <p>_data.png, <p>_features.png, <p>_prediction.png\n"
                           "  -odyn_data_train <csv> -odyn_data_val <csv>   train on these data sets instead (x1,x2,...,label)\n"
                           "  -odyn_expect_val_acc <a> fail unless the best validation accuracy reaches a percent (for tests)\n"
                           "Any -odyn_ option given on the command line overrides the defaults.\n";

#include <odyn.h>

#ifndef ODYN_EXAMPLE_PROBLEM
  #define ODYN_EXAMPLE_PROBLEM "peaks"
#endif

/* The paper's networks as option presets; widths follow Sec. 6 (Verlet uses the original 2 features). */
static PetscErrorCode InsertNetPreset(const char *problem, const char *net)
{
  PetscBool resnet, antisym, verlet, leapfrog, peaks;

  PetscFunctionBegin;
  PetscCall(PetscStrcmp(net, "resnet", &resnet));
  PetscCall(PetscStrcmp(net, "antisym", &antisym));
  PetscCall(PetscStrcmp(net, "verlet", &verlet));
  PetscCall(PetscStrcmp(net, "leapfrog", &leapfrog));
  PetscCall(PetscStrcmp(problem, "peaks", &peaks));
  PetscCheck(resnet || antisym || verlet || leapfrog, PETSC_COMM_WORLD, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown -odyn_net %s: use resnet, antisym, verlet or leapfrog", net);
  if (resnet) PetscCall(PetscOptionsInsertString(NULL, "-odyn_scheme_type euler -odyn_layer_type dense"));
  /* antisymmetric ResNets need the adaptive Gauss-Newton damping (docs/learning.md): ellipse 98.0% -> 100% (4 of 4 seeds) */
  if (antisym) PetscCall(PetscOptionsInsertString(NULL, "-odyn_scheme_type euler -odyn_layer_type antisym -odyn_bcd_gn_damping_adapt"));
  if (leapfrog) PetscCall(PetscOptionsInsertString(NULL, "-odyn_scheme_type leapfrog -odyn_layer_type negdef"));
  if (verlet) PetscCall(PetscOptionsInsertString(NULL, "-odyn_scheme_type verlet -odyn_layer_type hamiltonian -odyn_problem_duplicate 1 -odyn_layer_width 2"));
  (void)peaks;
  PetscFunctionReturn(0);
}

/* Bounding box of the first two features, with a margin */
static PetscErrorCode DataBox(OdynDataset ds, PetscReal box[4])
{
  Vec       X;
  PetscReal dx, dy;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetFeatures(ds, &X));
  PetscCall(VecStrideMin(X, 0, NULL, &box[0]));
  PetscCall(VecStrideMax(X, 0, NULL, &box[1]));
  PetscCall(VecStrideMin(X, 1, NULL, &box[2]));
  PetscCall(VecStrideMax(X, 1, NULL, &box[3]));
  dx = 0.1 * (box[1] - box[0]);
  dy = 0.1 * (box[3] - box[2]);
  box[0] -= dx;
  box[1] += dx;
  box[2] -= dy;
  box[3] += dy;
  PetscFunctionReturn(0);
}

/*
  Figures like paper 001's Figures 4-6: the labeled training data, the propagated training features (first two
  coordinates of Y_N), and the prediction over the plane (classes of a 200 x 200 grid, each grid point duplicated like
  the data) with the validation points on top.
*/
static PetscErrorCode WriteFigures(OdynTrainer trainer, OdynNet net, Vec theta, Vec wmu, OdynDataset train, OdynDataset val, const char *prefix)
{
  MPI_Comm        comm = PetscObjectComm((PetscObject)trainer);
  const PetscInt  nx = 200, ny = 200, px = 600;
  PetscReal       box[4], fbox[4] = {PETSC_MAX_REAL, -PETSC_MAX_REAL, PETSC_MAX_REAL, -PETSC_MAX_REAL};
  char            file[PETSC_MAX_PATH_LEN];
  OdynPlot        plot;
  Vec             X, YN, G;
  const PetscInt *lab;
  PetscInt        nf, nloc, nout, ng = PETSC_DECIDE, gN = nx * ny, gs, ge, *glab;
  PetscScalar    *g;

  PetscFunctionBegin;
  PetscCall(DataBox(train, box));
  PetscCall(OdynDatasetGetSizes(train, &nf, NULL, &nloc, NULL));
  PetscCall(OdynDatasetGetFeatures(train, &X));
  PetscCall(OdynDatasetGetLabels(train, &lab));
  /* training data */
  PetscCall(OdynPlotCreate(comm, px, px, box[0], box[1], box[2], box[3], &plot));
  PetscCall(OdynPlotAxes(plot));
  PetscCall(OdynPlotPointsVec(plot, X, nf, 0, 1, lab, 3, PETSC_FALSE));
  PetscCall(PetscSNPrintf(file, sizeof(file), "%s_data.png", prefix));
  PetscCall(OdynPlotWrite(plot, file));
  PetscCall(OdynPlotDestroy(&plot));
  /* propagated features */
  PetscCall(OdynNetGetOutputWidth(net, &nout));
  PetscCall(VecCreateMPI(comm, nout * nloc, PETSC_DETERMINE, &YN));
  PetscCall(VecSetBlockSize(YN, nout));
  PetscCall(OdynNetForward(net, theta, X, YN));
  PetscCall(VecStrideMin(YN, 0, NULL, &fbox[0]));
  PetscCall(VecStrideMax(YN, 0, NULL, &fbox[1]));
  PetscCall(VecStrideMin(YN, 1, NULL, &fbox[2]));
  PetscCall(VecStrideMax(YN, 1, NULL, &fbox[3]));
  PetscCall(OdynPlotCreate(comm, px, px, fbox[0] - 0.05 * (fbox[1] - fbox[0]), fbox[1] + 0.05 * (fbox[1] - fbox[0]), fbox[2] - 0.05 * (fbox[3] - fbox[2]), fbox[3] + 0.05 * (fbox[3] - fbox[2]), &plot));
  PetscCall(OdynPlotAxes(plot));
  PetscCall(OdynPlotPointsVec(plot, YN, nout, 0, 1, lab, 3, PETSC_FALSE));
  PetscCall(PetscSNPrintf(file, sizeof(file), "%s_features.png", prefix));
  PetscCall(OdynPlotWrite(plot, file));
  PetscCall(OdynPlotDestroy(&plot));
  PetscCall(VecDestroy(&YN));
  /* prediction over the plane: each rank classifies its contiguous slice of the grid */
  PetscCall(PetscSplitOwnership(comm, &ng, &gN));
  PetscCall(VecCreateMPI(comm, nf * ng, PETSC_DETERMINE, &G));
  PetscCall(MPI_Scan(&ng, &ge, 1, MPIU_INT, MPI_SUM, comm));
  gs = ge - ng;
  PetscCall(VecGetArray(G, &g));
  for (PetscInt k = gs; k < ge; k++) {
    const PetscReal x = box[0] + (k % nx + 0.5) * (box[1] - box[0]) / nx, y = box[2] + (k / nx + 0.5) * (box[3] - box[2]) / ny;
    for (PetscInt c = 0; c < nf; c += 2) { /* duplicated like the data: [x y x y ...] */
      g[(k - gs) * nf + c]     = x;
      g[(k - gs) * nf + c + 1] = y;
    }
  }
  PetscCall(VecRestoreArray(G, &g));
  PetscCall(PetscMalloc1(ng, &glab));
  PetscCall(OdynTrainerPredict(trainer, theta, wmu, G, glab));
  PetscCall(OdynPlotCreate(comm, px, px, box[0], box[1], box[2], box[3], &plot));
  PetscCall(OdynPlotBackground(plot, nx, ny, ng, glab));
  PetscCall(OdynPlotAxes(plot));
  PetscCall(OdynDatasetGetFeatures(val, &X));
  PetscCall(OdynDatasetGetLabels(val, &lab));
  PetscCall(OdynPlotPointsVec(plot, X, nf, 0, 1, lab, 3, PETSC_TRUE));
  PetscCall(PetscSNPrintf(file, sizeof(file), "%s_prediction.png", prefix));
  PetscCall(OdynPlotWrite(plot, file));
  PetscCall(OdynPlotDestroy(&plot));
  PetscCall(PetscFree(glab));
  PetscCall(VecDestroy(&G));
  PetscCall(PetscPrintf(comm, "odyn figures: %s_data.png %s_features.png %s_prediction.png\n", prefix, prefix, prefix));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char            problem[64] = ODYN_EXAMPLE_PROBLEM, net[64] = "resnet", path[PETSC_MAX_PATH_LEN], csv[PETSC_MAX_PATH_LEN] = "", png[PETSC_MAX_PATH_LEN] = "";
  char            ftrain[PETSC_MAX_PATH_LEN] = "", fval[PETSC_MAX_PATH_LEN] = "";
  PetscBool       defaults = PETSC_TRUE;
  PetscReal       expect = -1, best;
  PetscInt        bestlayers;
  OdynDataset     train, val;
  OdynNet         network;
  OdynLoss        loss;
  OdynRegularizer reg;
  OdynTrainer     trainer;
  Vec             theta = NULL, wmu = NULL;
  MPI_Comm        comm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_problem", problem, sizeof(problem), NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_net", net, sizeof(net), NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-odyn_defaults", &defaults, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_data_csv", csv, sizeof(csv), NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_png_prefix", png, sizeof(png), NULL));
  if (defaults) {
    /* the paper's hyper-parameters, then the network preset, then the command line again so that it wins */
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s.opts", ODYN_OPTIONS_DIR, problem));
    PetscCall(PetscOptionsInsertFile(comm, NULL, path, PETSC_TRUE));
    PetscCall(InsertNetPreset(problem, net));
    PetscCall(PetscOptionsInsert(NULL, &argc, &argv, NULL));
  }

  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_data_train", ftrain, sizeof(ftrain), NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_data_val", fval, sizeof(fval), NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-odyn_expect_val_acc", &expect, NULL));
  PetscCheck(!ftrain[0] == !fval[0], comm, PETSC_ERR_ARG_WRONG, "Give both -odyn_data_train and -odyn_data_val, or neither");
  if (ftrain[0]) {
    PetscCall(OdynDatasetReadCSV(comm, ftrain, &train));
    PetscCall(OdynDatasetReadCSV(comm, fval, &val));
  } else PetscCall(OdynProblemCreate(comm, problem, &train, &val));
  if (csv[0]) PetscCall(OdynDatasetWriteCSV(train, csv));

  PetscCall(OdynNetCreate(comm, &network));
  PetscCall(OdynNetSetFromOptions(network));
  PetscCall(OdynLossCreate(comm, &loss));
  PetscCall(OdynLossSetFromOptions(loss));
  PetscCall(OdynRegularizerCreate(comm, &reg));
  PetscCall(OdynRegularizerSetFromOptions(reg));

  PetscCall(OdynTrainerCreate(comm, &trainer));
  PetscCall(OdynTrainerSetNet(trainer, network));
  PetscCall(OdynTrainerSetLoss(trainer, loss));
  PetscCall(OdynTrainerSetRegularizer(trainer, reg));
  PetscCall(OdynTrainerSetData(trainer, train, val));
  PetscCall(OdynTrainerSetProblemName(trainer, problem));
  PetscCall(OdynTrainerSetFromOptions(trainer));
  PetscCall(OdynTrainerSolve(trainer, &theta, &wmu));
  if (png[0]) PetscCall(WriteFigures(trainer, network, theta, wmu, train, val, png));
  PetscCall(OdynTrainerGetBest(trainer, &bestlayers, &best));
  PetscCheck(expect < 0 || best >= expect, comm, PETSC_ERR_NOT_CONVERGED, "Best validation accuracy %.2f%% (at %" PetscInt_FMT " layers) is below the expected %.2f%% (-odyn_expect_val_acc)", (double)best, bestlayers, (double)expect);

  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&wmu));
  PetscCall(OdynTrainerDestroy(&trainer));
  PetscCall(OdynRegularizerDestroy(&reg));
  PetscCall(OdynLossDestroy(&loss));
  PetscCall(OdynNetDestroy(&network));
  PetscCall(OdynDatasetDestroy(&train));
  PetscCall(OdynDatasetDestroy(&val));
  PetscCall(PetscFinalize());
  return 0;
}
