/*
  The registry of data-set generators (the paper's test problems, Sec. 6.1-6.3, and user ones) and OdynProblemCreate().
  Each generator lives in its own file (ellipse.c, swissroll.c, peaks.c); its hyper-parameters are in
  problems/options/<name>.opts.
*/
#include "datasetimpl.h"

PetscFunctionList OdynProblemList                = NULL;
static PetscBool  OdynProblemRegisterAllCalled   = PETSC_FALSE;

static PetscErrorCode OdynProblemFinalize(void)
{
  PetscFunctionBegin;
  PetscCall(PetscFunctionListDestroy(&OdynProblemList));
  OdynProblemRegisterAllCalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
   OdynProblemRegisterAll - registers the built-in problems: ellipse, swissroll, peaks

   Not Collective

   Level: developer

.seealso: `OdynProblemRegister()`
@*/
PetscErrorCode OdynProblemRegisterAll(void)
{
  PetscFunctionBegin;
  if (OdynProblemRegisterAllCalled) PetscFunctionReturn(0);
  OdynProblemRegisterAllCalled = PETSC_TRUE;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscFunctionListAdd(&OdynProblemList, ODYNPROBLEMELLIPSE, OdynProblemCreate_Ellipse));
  PetscCall(PetscFunctionListAdd(&OdynProblemList, ODYNPROBLEMSWISSROLL, OdynProblemCreate_SwissRoll));
  PetscCall(PetscFunctionListAdd(&OdynProblemList, ODYNPROBLEMPEAKS, OdynProblemCreate_Peaks));
  PetscCall(PetscFunctionListAdd(&OdynProblemList, ODYNPROBLEMMNIST, OdynProblemCreate_MNIST));
  PetscCall(PetscFunctionListAdd(&OdynProblemList, ODYNPROBLEMFASHIONMNIST, OdynProblemCreate_FashionMNIST));
  PetscCall(PetscFunctionListAdd(&OdynProblemList, ODYNPROBLEMDENOISE1D, OdynProblemCreate_Denoise1D));
  PetscCall(PetscRegisterFinalize(OdynProblemFinalize));
  PetscFunctionReturn(0);
}

/*@C
   OdynProblemRegister - adds a data-set generator, selectable by name in OdynProblemCreate() and -odyn_problem

   Not Collective

   Input Parameters:
+  name - the problem's name
-  generator - PetscErrorCode generator(MPI_Comm comm, PetscRandom rnd, OdynDataset *train, OdynDataset *val)

   Level: intermediate

   Notes:
   rnd is a PETSCRAND48 stream on PETSC_COMM_SELF with values in [0, 1), seeded by -odyn_problem_seed identically on
   every rank. For data that do not depend on the number of ranks, draw the whole data set on every rank and make the
   data sets with OdynDatasetCreateFromGlobalArrays(). Registering an existing name replaces it.

.seealso: `OdynProblemCreate()`, `OdynProblemRegisterAll()`
@*/
PetscErrorCode OdynProblemRegister(const char name[], OdynProblemGenerator generator)
{
  PetscFunctionBegin;
  PetscCall(OdynProblemRegisterAll());
  PetscCall(PetscFunctionListAdd(&OdynProblemList, name, generator));
  PetscFunctionReturn(0);
}

/*@C
   OdynProblemCreate - makes the training and validation sets of a test problem

   Collective

   Input Parameters:
+  comm - the communicator over which the examples are distributed
-  name - ellipse, swissroll, peaks or a registered name; NULL to take it from -odyn_problem

   Output Parameters:
+  train - the training set
-  val - the validation set

   Options Database Keys:
+  -odyn_problem <name> - the problem (overrides name)
.  -odyn_problem_seed <1> - seed of the random stream; the data are identical on any number of ranks
.  -odyn_problem_duplicate <1> - stack this many copies of the features (OdynDatasetDuplicateFeatures())
-  -odyn_problem_view - view both data sets

   Level: beginner

   Notes:
   The paper's hyper-parameters for each problem are in problems/options/<name>.opts (use -options_file).
   The sets are named "<name>-train" and "<name>-validation". See docs/problems.md for the definitions.

.seealso: `OdynProblemRegister()`, `OdynDatasetCreateSubset()`, `OdynDatasetDuplicateFeatures()`
@*/
PetscErrorCode OdynProblemCreate(MPI_Comm comm, const char name[], OdynDataset *train, OdynDataset *val)
{
  char                 type[256], oname[300];
  PetscBool            flg;
  PetscInt             seed = 1, dup = 1;
  OdynProblemGenerator gen;
  PetscRandom          rnd;

  PetscFunctionBegin;
  PetscValidPointer(train, 3);
  PetscValidPointer(val, 4);
  *train = *val = NULL;
  PetscCall(OdynProblemRegisterAll());
  PetscOptionsBegin(comm, NULL, "Test problems (data sets)", "OdynProblem");
  PetscCall(PetscOptionsFList("-odyn_problem", "Problem", "OdynProblemCreate", OdynProblemList, name ? name : "", type, sizeof(type), &flg));
  PetscCall(PetscOptionsInt("-odyn_problem_seed", "Seed of the random stream that draws the data", "OdynProblemCreate", seed, &seed, NULL));
  PetscCall(PetscOptionsInt("-odyn_problem_duplicate", "Copies of the features stacked into each example", "OdynDatasetDuplicateFeatures", dup, &dup, NULL));
  PetscOptionsEnd();
  if (!flg) {
    PetscCheck(name && name[0], comm, PETSC_ERR_ARG_WRONGSTATE, "OdynProblemCreate: no problem given: pass a name or use -odyn_problem ellipse|swissroll|peaks");
    PetscCall(PetscStrncpy(type, name, sizeof(type)));
  }
  PetscCheck(seed >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_problem_seed must be >= 0, got %" PetscInt_FMT, seed);
  PetscCall(PetscFunctionListFind(OdynProblemList, type, &gen));
  PetscCheck(gen, comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown problem \"%s\": the registered problems are ellipse, swissroll, peaks and those added with OdynProblemRegister()", type);
  /* PETSCRAND48 on every rank, never -random_type: the data must not depend on the ranks or on other options */
  PetscCall(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  PetscCall(PetscRandomSetType(rnd, PETSCRAND48));
  PetscCall(PetscRandomSetSeed(rnd, (unsigned long)seed));
  PetscCall(PetscRandomSeed(rnd));
  {
    /* a generator that reads files fails on bad input: free the stream first, so that the error leaks nothing */
    PetscErrorCode ierr = (*gen)(comm, rnd, train, val);
    PetscCall(PetscRandomDestroy(&rnd));
    PetscCall(ierr);
  }
  PetscCheck(*train && *val, comm, PETSC_ERR_PLIB, "The generator of problem \"%s\" did not create both a training and a validation set", type);
  PetscCall(OdynDatasetDuplicateFeatures(*train, dup));
  PetscCall(OdynDatasetDuplicateFeatures(*val, dup));
  PetscCall(PetscSNPrintf(oname, sizeof(oname), "%s-train", type));
  PetscCall(PetscObjectSetName((PetscObject)*train, oname));
  PetscCall(PetscSNPrintf(oname, sizeof(oname), "%s-validation", type));
  PetscCall(PetscObjectSetName((PetscObject)*val, oname));
  PetscCall(PetscObjectViewFromOptions((PetscObject)*train, NULL, "-odyn_problem_view"));
  PetscCall(PetscObjectViewFromOptions((PetscObject)*val, NULL, "-odyn_problem_view"));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynProblemRandomPermutation(PetscRandom rnd, PetscInt n, PetscInt perm[])
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) perm[i] = i;
  for (PetscInt j = n - 1; j > 0; j--) {
    PetscReal u;
    PetscInt  k, t;

    PetscCall(PetscRandomGetValueReal(rnd, &u));
    k       = PetscMin((PetscInt)(u * (j + 1)), j); /* uniform in 0 .. j */
    t       = perm[j];
    perm[j] = perm[k];
    perm[k] = t;
  }
  PetscFunctionReturn(0);
}

/* Copies the selected examples of (X, labels) into a new data set made by OdynDatasetCreateFromGlobalArrays(). */
static PetscErrorCode Select(MPI_Comm comm, PetscInt nf, PetscInt nc, const PetscScalar X[], const PetscInt labels[], PetscInt m, const PetscInt idx[], OdynDataset *ds)
{
  PetscScalar *Xs;
  PetscInt    *ls;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(nf * m, &Xs, m, &ls));
  for (PetscInt j = 0; j < m; j++) {
    PetscCall(PetscArraycpy(Xs + j * nf, X + idx[j] * nf, nf));
    ls[j] = labels[idx[j]];
  }
  PetscCall(OdynDatasetCreateFromGlobalArrays(comm, nf, nc, m, Xs, ls, ds));
  PetscCall(PetscFree2(Xs, ls));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynProblemSplit(MPI_Comm comm, PetscInt nf, PetscInt nc, const PetscScalar X[], const PetscInt labels[], PetscInt ntrain, const PetscInt itrain[], PetscInt nval, const PetscInt ival[], OdynDataset *train, OdynDataset *val)
{
  PetscFunctionBegin;
  PetscCall(Select(comm, nf, nc, X, labels, ntrain, itrain, train));
  PetscCall(Select(comm, nf, nc, X, labels, nval, ival, val));
  PetscFunctionReturn(0);
}
