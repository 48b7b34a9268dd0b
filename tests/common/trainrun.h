#ifndef ODYN_TEST_TRAINRUN_H
#define ODYN_TEST_TRAINRUN_H

/*
   A small training set-up shared by the trainer tests (test_train, test_checkpoint, test_chunk, test_firstorder):
   one forward Euler block of dense layers, a loss, the smoothness-in-time regularizer and a trainer that reads its
   settings from a private options database (so nothing carries over between tests).
*/
#include <odyn.h>

typedef struct {
  OdynNet         net;
  OdynLoss        loss;
  OdynRegularizer reg;
  OdynTrainer     t;
  PetscOptions    opts;
  Vec             theta, wmu; /* what OdynTrainerSolve() returned, if the test solved */
} OdynTestRun;

typedef struct {
  PetscInt           width, steps;
  PetscReal          T;
  OdynActivationType act;
  OdynLossType       loss;
  PetscBool          identity; /* OdynLossSetIdentityClassifier() */
  PetscReal          alpha;    /* weight of the smoothness regularizer */
  const char        *problem;  /* OdynTrainerSetProblemName(), or NULL */
} OdynTestRunSpec;

/* The ellipses' ResNet (paper 001 Sec. 6.1): width 2, 4 steps, T = 20, tanh, logistic loss, alpha = 1e-3,
   problem name "ellipse". */
void OdynTestRunSpecEllipse(OdynTestRunSpec *);
/* A forward Euler block of `steps` dense layers (activation act) of the given width and final time T. */
PetscErrorCode OdynTestEulerDenseNet(MPI_Comm, PetscInt width, PetscInt steps, PetscReal T, OdynActivationType act, OdynNet *);
/* Net, loss, regularizer and trainer on (tr, va) with the settings `opts` (then, if nlev > 0, the levels). */
PetscErrorCode OdynTestRunCreate(MPI_Comm, const OdynTestRunSpec *, OdynDataset tr, OdynDataset va, const char *opts, PetscInt nlev, const PetscInt levels[], OdynTestRun *);
PetscErrorCode OdynTestRunDestroy(OdynTestRun *);

#endif
