#ifndef ODYNAPP_H
#define ODYNAPP_H

/* The odyn program: one file per command (train.c, predict.c for predict and eval, odyn.c for info and main). */
#include <odyn.h>
#include <odynmodel.h>

PetscErrorCode OdynAppTrain(MPI_Comm, PetscBool, int *, char ***, PetscInt *);
PetscErrorCode OdynAppPredict(MPI_Comm, PetscBool);
PetscErrorCode OdynAppEval(MPI_Comm, PetscBool);

/* Shared helpers (odyn.c) */
PetscErrorCode OdynAppCheckWritable(MPI_Comm, const char[], const char[]);
PetscErrorCode OdynAppLoadModel(MPI_Comm, const char[], OdynModel *);
PetscErrorCode OdynAppReadData(MPI_Comm, OdynModel, const char[], const char[], const char[], OdynDataset *);
PetscErrorCode OdynAppWriteFileAtomic(MPI_Comm, const char[], const char[], int (*)(FILE *, void *), void *);

#endif
