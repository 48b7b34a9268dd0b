static const char help[] = "Trains a network on a 2-D classification problem of Haber & Ruthotto (paper 001 Sec. 6.1-6.3):\n"
                           "ellipse, swissroll or peaks, with the paper's defaults (problems/options/<problem>.opts), by\n"
                           "multilevel block coordinate descent (Newton-PCG for the classifier, Gauss-Newton-PCG for theta).\n"
                           "  -odyn_problem <name>     ellipse | swissroll | peaks\n"
                           "  -odyn_net <resnet>       resnet | antisym | verlet | leapfrog: the paper's networks\n"
                           "  -odyn_data_csv <file>    also write the training data as CSV\n"
                           "  -odyn_png_prefix <p>     write <p>_data.png, <p>_features.png, <p>_prediction.png\n"
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
  if (antisym) PetscCall(PetscOptionsInsertString(NULL, "-odyn_scheme_type euler -odyn_layer_type antisym"));
  if (leapfrog) PetscCall(PetscOptionsInsertString(NULL, "-odyn_scheme_type leapfrog -odyn_layer_type negdef"));
  if (verlet) PetscCall(PetscOptionsInsertString(NULL, "-odyn_scheme_type verlet -odyn_layer_type hamiltonian -odyn_problem_duplicate 1 -odyn_layer_width 2"));
  (void)peaks;
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char            problem[64] = ODYN_EXAMPLE_PROBLEM, net[64] = "resnet", path[PETSC_MAX_PATH_LEN], csv[PETSC_MAX_PATH_LEN] = "";
  PetscBool       defaults = PETSC_TRUE;
  OdynDataset     train, val;
  OdynNet         network;
  OdynLoss        loss;
  OdynRegularizer reg;
  OdynTrainer     trainer;
  Vec             theta, wmu;
  MPI_Comm        comm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_problem", problem, sizeof(problem), NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_net", net, sizeof(net), NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-odyn_defaults", &defaults, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_data_csv", csv, sizeof(csv), NULL));
  if (defaults) {
    /* the paper's hyper-parameters, then the network preset, then the command line again so that it wins */
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s.opts", ODYN_OPTIONS_DIR, problem));
    PetscCall(PetscOptionsInsertFile(comm, NULL, path, PETSC_TRUE));
    PetscCall(InsertNetPreset(problem, net));
    PetscCall(PetscOptionsInsert(NULL, &argc, &argv, NULL));
  }

  PetscCall(OdynProblemCreate(comm, problem, &train, &val));
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
