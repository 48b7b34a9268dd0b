#ifndef ODYN_DATASETBIN_H
#define ODYN_DATASETBIN_H

/* Private to problems/datasetbin*.c: what the PETSc binary and HDF5 readers of data sets share. */
#include "datasetimpl.h"

#define ODYN_DATASET_FILE_MSG_LEN (2 * PETSC_MAX_PATH_LEN + 1024)

/* The first error raised inside a call, captured instead of printed, so that it can be raised again naming the file. */
typedef struct {
  char           msg[ODYN_DATASET_FILE_MSG_LEN];
  PetscErrorCode code;
} OdynDatasetFileCapture;

PETSC_INTERN PetscErrorCode OdynDatasetFileCaptureHandler(MPI_Comm, int, const char *, const char *, PetscErrorCode, PetscErrorType, const char *, void *);

#define OdynDatasetFileTry(cap, call) \
  do { \
    PetscErrorCode ierr_; \
    PetscCall(PetscPushErrorHandler(OdynDatasetFileCaptureHandler, &(cap))); \
    ierr_ = (call); \
    PetscCall(PetscPopErrorHandler()); \
    if (ierr_ && !(cap).code) (cap).code = ierr_; \
  } while (0)

/* Raises an error on every rank that names the file, if the file's existence check fails on rank 0. */
PETSC_INTERN PetscErrorCode OdynDatasetFileCheckReadable(MPI_Comm, const char[], const char[]);
/* Checks that the features are finite; the error names the file, the example and the feature. */
PETSC_INTERN PetscErrorCode OdynDatasetFileCheckFeatures(OdynDataset, const char[]);
/* Labels from a Vec laid out like the examples: integers in 0 .. nc-1 (nc <= 0: any >= 0, and *ncout = max + 1). */
PETSC_INTERN PetscErrorCode OdynDatasetFileLabels(Vec, PetscInt, PetscInt, const char[], PetscInt *, PetscInt **);

/* HDF5 (problems/datasetbinh5.c) */
PETSC_INTERN PetscErrorCode OdynDatasetLoadHDF5(MPI_Comm, const char[], OdynDataset *);
PETSC_INTERN PetscErrorCode OdynDatasetSaveHDF5(OdynDataset, const char[]);

#endif
