#ifndef ODYNDATA_H
#define ODYNDATA_H

#include <odynsys.h>
#include <petscvec.h>

/*S
   OdynDataset - labelled examples for classification: features Y0 (nf x s, one example per column) and integer labels

   The features are a parallel Vec of local length nf * s_local (block size nf); each rank owns a contiguous slice
   [start, end) of the s global examples, in the order of the data set. Labels are integers 0 .. nc-1, one per local
   example. Data sets come from the generators of the paper's problems (OdynProblemCreate()), from CSV files
   (OdynDatasetReadCSV()), or from the user (OdynDatasetSetSizes(), OdynDatasetGetFeatures(), OdynDatasetSetLabels()).

   Level: beginner

.seealso: `OdynDatasetCreate()`, `OdynProblemCreate()`, `OdynDatasetReadCSV()`
S*/
typedef struct _p_OdynDataset *OdynDataset;

PETSC_EXTERN PetscClassId ODYNDATASET_CLASSID;

PETSC_EXTERN PetscErrorCode OdynDatasetCreate(MPI_Comm, OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynDatasetSetSizes(OdynDataset, PetscInt, PetscInt, PetscInt, PetscInt);
PETSC_EXTERN PetscErrorCode OdynDatasetGetSizes(OdynDataset, PetscInt *, PetscInt *, PetscInt *, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynDatasetGetOwnershipRange(OdynDataset, PetscInt *, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynDatasetGetFeatures(OdynDataset, Vec *);
PETSC_EXTERN PetscErrorCode OdynDatasetSetLabels(OdynDataset, const PetscInt[]);
PETSC_EXTERN PetscErrorCode OdynDatasetGetLabels(OdynDataset, const PetscInt *[]);
PETSC_EXTERN PetscErrorCode OdynDatasetCreateFromGlobalArrays(MPI_Comm, PetscInt, PetscInt, PetscInt, const PetscScalar[], const PetscInt[], OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynDatasetGetClassCounts(OdynDataset, PetscInt[]);
PETSC_EXTERN PetscErrorCode OdynDatasetCreateTargets(OdynDataset, PetscBool, Vec *);
PETSC_EXTERN PetscErrorCode OdynDatasetSetTargets(OdynDataset, Vec);
PETSC_EXTERN PetscErrorCode OdynDatasetGetTargets(OdynDataset, Vec *);
PETSC_EXTERN PetscErrorCode OdynDatasetDuplicateFeatures(OdynDataset, PetscInt);
PETSC_EXTERN PetscErrorCode OdynDatasetCreateSubset(OdynDataset, PetscInt, const PetscInt[], OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynDatasetView(OdynDataset, PetscViewer);
PETSC_EXTERN PetscErrorCode OdynDatasetDestroy(OdynDataset *);

PETSC_EXTERN PetscErrorCode OdynDatasetWriteCSV(OdynDataset, const char[]);
PETSC_EXTERN PetscErrorCode OdynDatasetReadCSV(MPI_Comm, const char[], OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynDatasetSetImageShape(OdynDataset, PetscInt, PetscInt, PetscInt);
PETSC_EXTERN PetscErrorCode OdynDatasetGetImageShape(OdynDataset, PetscInt *, PetscInt *, PetscInt *);
/* IDX files (MNIST's format, plain or gzip-compressed): problems/idx.c */
PETSC_EXTERN PetscErrorCode OdynDatasetReadIDX(MPI_Comm, const char[], const char[], PetscInt, PetscInt, PetscInt, OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynDatasetWriteIDX(OdynDataset, const char[], const char[]);
/* Any supported file, by extension (.csv, .idx/-ubyte[.gz], .bin/.dat PETSc binary, .h5 HDF5): problems/datasetbin*.c */
PETSC_EXTERN PetscErrorCode OdynDatasetLoad(MPI_Comm, const char[], OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynDatasetSave(OdynDataset, const char[]);

/*J
   OdynProblemType - name of a data-set generator: ellipse, swissroll, peaks, or one added with OdynProblemRegister()

   Level: beginner
J*/
typedef const char *OdynProblemType;
#define ODYNPROBLEMELLIPSE   "ellipse"
#define ODYNPROBLEMSWISSROLL "swissroll"
#define ODYNPROBLEMPEAKS     "peaks"
#define ODYNPROBLEMMNIST        "mnist"
#define ODYNPROBLEMFASHIONMNIST "fashion-mnist"
#define ODYNPROBLEMDENOISE1D "denoise1d"

/*
   A generator makes the training and validation sets on comm from the random stream rnd (a PETSCRAND48 stream on
   PETSC_COMM_SELF, seeded identically on every rank: draw the whole data set on every rank and keep the local slice,
   e.g. with OdynDatasetCreateFromGlobalArrays(), so the data do not depend on the number of ranks).
*/
typedef PetscErrorCode (*OdynProblemGenerator)(MPI_Comm comm, PetscRandom rnd, OdynDataset *train, OdynDataset *val);

PETSC_EXTERN PetscFunctionList OdynProblemList;
PETSC_EXTERN PetscErrorCode    OdynProblemRegister(const char[], OdynProblemGenerator);
PETSC_EXTERN PetscErrorCode    OdynProblemRegisterAll(void);
PETSC_EXTERN PetscErrorCode    OdynProblemCreate(MPI_Comm, const char[], OdynDataset *, OdynDataset *);

PETSC_EXTERN PetscErrorCode OdynProblemCreate_Ellipse(MPI_Comm, PetscRandom, OdynDataset *, OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynProblemCreate_SwissRoll(MPI_Comm, PetscRandom, OdynDataset *, OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynProblemCreate_Peaks(MPI_Comm, PetscRandom, OdynDataset *, OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynProblemCreate_MNIST(MPI_Comm, PetscRandom, OdynDataset *, OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynProblemCreate_FashionMNIST(MPI_Comm, PetscRandom, OdynDataset *, OdynDataset *);
/* The t10k test set of mnist / fashion-mnist (problems/mnist.c) */
PETSC_EXTERN PetscErrorCode OdynProblemMNISTCreateTestSet(MPI_Comm, const char[], OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynProblemCreate_Denoise1D(MPI_Comm, PetscRandom, OdynDataset *, OdynDataset *);

/* The 1-D denoising problem of paper 002 Sec. 7.1 (problems/denoise1d.c): all three sets, and one clean signal. */
PETSC_EXTERN PetscErrorCode OdynProblemDenoise1DCreate(MPI_Comm, OdynDataset *, OdynDataset *, OdynDataset *);
PETSC_EXTERN PetscErrorCode OdynProblemDenoise1DSignal(PetscRandom, PetscInt, PetscScalar[], PetscInt *, PetscInt[]);

/* The peaks function of Sec. 6.3 and the four class thresholds between its five classes (see docs/problems.md). */
typedef enum {
  ODYN_PEAKS_CLASSES_VALUE, /* equally spaced values between min and max (the authors' Meganet setupPeaks) */
  ODYN_PEAKS_CLASSES_AREA   /* quintiles of the grid values: classes of equal area */
} OdynPeaksClasses;
PETSC_EXTERN const char *const OdynPeaksClassesTypes[];
PETSC_EXTERN PetscReal         OdynProblemPeaksFunction(PetscReal, PetscReal);
PETSC_EXTERN PetscErrorCode    OdynProblemPeaksGetThresholds(OdynPeaksClasses, PetscReal[]);

#endif
