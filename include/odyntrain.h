#ifndef ODYNTRAIN_H
#define ODYNTRAIN_H

#include <odynnet.h>
#include <odynloss.h>
#include <odynreg.h>
#include <odyndata.h>

/*S
   OdynTrainer - learning as a dynamic inverse problem (paper 001 Sec. 2, 6): block coordinate descent that alternates
   a Newton-PCG step for the classifier (W, mu) with a Gauss-Newton-PCG step for the propagation weights theta, on
   random batches, multilevel in depth, returning the parameters of best validation accuracy.

   Level: beginner

.seealso: `OdynTrainerCreate()`, `OdynTrainerSolve()`
S*/
typedef struct _p_OdynTrainer *OdynTrainer;

PETSC_EXTERN PetscClassId ODYNTRAINER_CLASSID;

/*J
   OdynTrainerType - the name of a training algorithm

+  ODYNTRAINERBCD - block coordinate descent of paper 001: Newton-PCG on the classifier, Gauss-Newton-PCG on theta
                    (the default)
.  ODYNTRAINERSGD - stochastic gradient descent with momentum, one epoch of mini-batches per iteration
-  ODYNTRAINERADAM - Adam (the optimizer of paper 002), one epoch of mini-batches per iteration

   Level: beginner

.seealso: `OdynTrainerSetType()`, `OdynTrainerRegister()`
J*/
typedef const char *OdynTrainerType;

/* Exit status of `odyn train` when a signal (SIGTERM, SIGUSR1) stopped it after writing a checkpoint: run it again with
   -odyn_restart (like EX_TEMPFAIL of sysexits.h: a temporary failure, try again). docs/batch.md. */
#define ODYN_EXIT_INTERRUPTED 75
#define ODYNTRAINERBCD "bcd"
#define ODYNTRAINERSGD  "sgd"
#define ODYNTRAINERADAM "adam"

/* One row of the history: what -odyn_monitor prints and -odyn_history_csv writes. */
typedef struct {
  PetscInt  level, layers, it;
  PetscReal obj_classifier, obj_propagation, gnorm, step, train_acc, val_acc, time;
} OdynTrainerHistoryEntry;

PETSC_EXTERN PetscErrorCode OdynTrainerCreate(MPI_Comm, OdynTrainer *);
PETSC_EXTERN PetscErrorCode OdynTrainerRegister(const char[], PetscErrorCode (*)(OdynTrainer));
PETSC_EXTERN PetscErrorCode OdynTrainerSetType(OdynTrainer, OdynTrainerType);
PETSC_EXTERN PetscErrorCode OdynTrainerGetType(OdynTrainer, OdynTrainerType *);
PETSC_EXTERN PetscErrorCode OdynTrainerComputeObjective(OdynTrainer, OdynDataset, Vec, Vec, PetscReal *, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynTrainerSetFromOptions(OdynTrainer);
PETSC_EXTERN PetscErrorCode OdynTrainerSetUp(OdynTrainer);
PETSC_EXTERN PetscErrorCode OdynTrainerView(OdynTrainer, PetscViewer);
PETSC_EXTERN PetscErrorCode OdynTrainerDestroy(OdynTrainer *);
PETSC_EXTERN PetscErrorCode OdynTrainerSetNet(OdynTrainer, OdynNet);
PETSC_EXTERN PetscErrorCode OdynTrainerSetLoss(OdynTrainer, OdynLoss);
PETSC_EXTERN PetscErrorCode OdynTrainerSetRegularizer(OdynTrainer, OdynRegularizer);
PETSC_EXTERN PetscErrorCode OdynTrainerSetClassifierRegularizer(OdynTrainer, OdynRegularizer);
PETSC_EXTERN PetscErrorCode OdynTrainerSetData(OdynTrainer, OdynDataset, OdynDataset);
PETSC_EXTERN PetscErrorCode OdynTrainerSetProblemName(OdynTrainer, const char[]);
PETSC_EXTERN PetscErrorCode OdynTrainerSetLevels(OdynTrainer, PetscInt, const PetscInt[]);
PETSC_EXTERN PetscErrorCode OdynTrainerSetCheckpoint(OdynTrainer, const char[], PetscInt);
PETSC_EXTERN PetscErrorCode OdynTrainerSetRestart(OdynTrainer, const char[]);
PETSC_EXTERN PetscErrorCode OdynTrainerGetInterrupted(OdynTrainer, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynTrainerSolve(OdynTrainer, Vec *, Vec *);
PETSC_EXTERN PetscErrorCode OdynTrainerGetHistory(OdynTrainer, PetscInt *, const OdynTrainerHistoryEntry **);
PETSC_EXTERN PetscErrorCode OdynTrainerGetBest(OdynTrainer, PetscInt *, PetscReal *);
PETSC_EXTERN PetscErrorCode OdynTrainerPredict(OdynTrainer, Vec, Vec, Vec, PetscInt[]);

#endif
