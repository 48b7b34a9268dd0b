#ifndef ODYN_TRAINIMPL_H
#define ODYN_TRAINIMPL_H

#include <petsc/private/petscimpl.h>
#include <petscksp.h>
#include <petsctaolinesearch.h>
#include <odyntrain.h>

PETSC_EXTERN PetscLogEvent ODYN_TrainClassifier, ODYN_TrainGaussNewton, ODYN_TrainValidate;

#define ODYN_TRAINER_MAX_LEVELS 32

/*
   A checkpoint in memory (solvers/bcd/checkpoint.c): named reals and Vecs, written to and read from an HDF5 file with
   a version, a description of the run it belongs to and a checksum over everything. The driver puts its state in it;
   a type adds what it keeps across iterations with OdynTrainerCheckpointAddReal/AddVec in ops->checkpointwrite and
   takes it back with OdynTrainerCheckpointGetReal/GetVec in ops->checkpointread.
*/
typedef struct _n_OdynTrainerCheckpoint *OdynTrainerCheckpoint;

#define ODYN_CHECKPOINT_MAGIC          "odyn-checkpoint"
#define ODYN_CHECKPOINT_FORMAT_VERSION 1
#define ODYN_CHECKPOINT_MAX_ITEMS      64

PETSC_INTERN PetscErrorCode OdynTrainerCheckpointCreate(MPI_Comm, const char[], const char[], OdynTrainerCheckpoint *);
PETSC_INTERN PetscErrorCode OdynTrainerCheckpointDestroy(OdynTrainerCheckpoint *);
PETSC_INTERN PetscErrorCode OdynTrainerCheckpointAddReal(OdynTrainerCheckpoint, const char[], PetscReal);
PETSC_INTERN PetscErrorCode OdynTrainerCheckpointAddVec(OdynTrainerCheckpoint, const char[], Vec);
PETSC_INTERN PetscErrorCode OdynTrainerCheckpointGetReal(OdynTrainerCheckpoint, const char[], PetscReal *);
PETSC_INTERN PetscErrorCode OdynTrainerCheckpointGetVec(OdynTrainerCheckpoint, const char[], Vec *);
PETSC_INTERN PetscErrorCode OdynTrainerCheckpointWrite(OdynTrainerCheckpoint, const char[], PetscReal);
PETSC_INTERN PetscErrorCode OdynTrainerCheckpointRead(MPI_Comm, const char[], OdynTrainerCheckpoint *);
PETSC_INTERN PetscErrorCode OdynTrainerCheckpointGetRun(OdynTrainerCheckpoint, const char **, const char **);

/*
   What a trainer type implements (OdynTrainerRegister()). The multilevel driver (solvers/bcd/driver.c,
   OdynTrainerSolveMultilevel_Private) owns everything common to every type: the levels and the prolongation of theta,
   the batches' random generator, the history, the best-so-far parameters, checkpoints, signals and progress output;
   a type supplies one iteration. A type that needs the whole run in its hands sets solve instead.
*/
struct _OdynTrainerOps {
  PetscErrorCode (*setfromoptions)(OdynTrainer, PetscOptionItems *); /* inside the trainer's PetscOptionsBegin/End */
  PetscErrorCode (*setup)(OdynTrainer);                            /* after the common set-up (t->wmu exists) */
  PetscErrorCode (*view)(OdynTrainer, PetscViewer);
  PetscErrorCode (*destroy)(OdynTrainer);                          /* frees t->data */
  PetscErrorCode (*solve)(OdynTrainer);                            /* NULL: OdynTrainerSolveMultilevel_Private */
  PetscErrorCode (*levelsetup)(OdynTrainer, PetscInt);             /* t->theta holds the level's start; drop the previous level's objects */
  PetscErrorCode (*iterate)(OdynTrainer, OdynTrainerHistoryEntry *); /* one iteration: updates t->theta and t->wmu; fills obj_*, gnorm, step */
  PetscErrorCode (*checkpointwrite)(OdynTrainer, OdynTrainerCheckpoint); /* type state the next iteration reads (optional) */
  PetscErrorCode (*checkpointread)(OdynTrainer, OdynTrainerCheckpoint);  /* and back, after levelsetup */
};

PETSC_EXTERN PetscFunctionList OdynTrainerList;
PETSC_INTERN PetscBool      OdynTrainerRegisterAllCalled;
PETSC_INTERN PetscErrorCode OdynTrainerRegisterAll_Private(void);
PETSC_INTERN PetscErrorCode OdynTrainerCreate_BCD(OdynTrainer);
PETSC_INTERN PetscErrorCode OdynTrainerCreate_SGD(OdynTrainer);  /* solvers/firstorder/ */
PETSC_INTERN PetscErrorCode OdynTrainerCreate_Adam(OdynTrainer);

struct _p_OdynTrainer {
  PETSCHEADER(struct _OdynTrainerOps);
  OdynNet         net;
  OdynLoss        loss;
  OdynRegularizer reg;  /* on theta (required) */
  OdynRegularizer creg; /* on the classifier weights (optional) */
  OdynDataset     train, val;
  char            problem[64];

  /* settings (every one an -odyn_ option) */
  PetscInt      max_it;                /* block coordinate descent iterations per level */
  PetscInt      batch_size, hess_size; /* 0: all training examples / the whole batch */
  PetscInt      chunk_size;            /* -odyn_bcd_chunk_size: examples per rank and sweep of the propagation step (0: all) */
  PetscInt      newton_it, newton_pcg_it, gn_it, gn_pcg_it;
  PetscInt      nlevels, levels[ODYN_TRAINER_MAX_LEVELS];
  PetscReal     init_scale;            /* theta starts uniform in [-init_scale, init_scale] */
  PetscReal     gn_damping;            /* Levenberg-Marquardt damping mu of the Gauss-Newton Hessian: H + mu I */
  PetscBool     gn_damping_adapt;      /* adapt mu to the accepted step (divide after full steps, multiply after short ones) */
  PetscReal     mu;                    /* the damping in use */
  unsigned long seed;
  PetscBool     monitor;
  char          history_csv[PETSC_MAX_PATH_LEN];
  PetscBool     setupcalled;
  void         *data;                  /* the type's own state (ops->destroy frees it) */

  /* solver objects */
  PetscRandom   rnd;
  TaoLineSearch lsw, lst;     /* Armijo line searches for the classifier and the propagation step */
  KSP           kspw, kspt;   /* CG for the Newton and Gauss-Newton systems */
  Mat           Hw, Ht;       /* their MATSHELL Hessians */
  PetscBool     bernoulli;    /* logistic loss: 1 x s targets */

  /* state of the current iteration */
  Vec         theta, wmu;
  OdynDataset batch, hsub;    /* this iteration's batch and Hessian sub-sample (may be `train` itself) */
  Vec         Cb, Ch, YNb, YNh, gY, dY, HdY, tmpw, tmpt; /* gY like YNb; dY, HdY like YNh */
  Vec         Ctrain, Cval, YNtrain, YNval;
  Vec         thlev, wlev; /* best parameters of the current level */
  Vec         gw, pw, gt, pt; /* gradient and step of the classifier and of the propagation step */
  FILE       *csv;         /* -odyn_history_csv while solving */
  PetscReal   step;
  PetscInt    nfailed;     /* iterations of this level whose step failed (parameters kept); the type counts them */
  PetscInt64  ndraws;      /* values drawn from rnd since it was seeded: RAND48 has no get-state, a restart replays them */

  /* checkpoints, signals, progress (driver.c, checkpoint.c) */
  char      checkpoint[PETSC_MAX_PATH_LEN]; /* -odyn_checkpoint: "" none */
  PetscInt  checkpoint_every;               /* -odyn_checkpoint_every: every k iterations (counted over all levels) */
  PetscReal checkpoint_delay;               /* -odyn_checkpoint_delay: seconds to sleep inside each write (tests of crashes) */
  char      restart[PETSC_MAX_PATH_LEN];    /* -odyn_restart: "" none */
  PetscBool catch_signals;                  /* -odyn_catch_signals: SIGTERM/SIGUSR1 stop at the next iteration boundary */
  PetscInt  interrupted;                    /* the signal that stopped the last solve, 0 when it ran to the end */
  PetscInt  progress;                       /* -odyn_progress: 1 yes, 0 no, -1 when stdout is a terminal and no -odyn_monitor */

  /* results */
  Vec                      thbest, wbest;
  PetscReal                bestval;
  PetscInt                 bestlayers;
  OdynTrainerHistoryEntry *hist;
  PetscInt                 nhist, histcap;
};

/* where the multilevel driver stands after an iteration: with the trainer's Vecs and history, what a checkpoint holds */
typedef struct {
  PetscInt  level, it;           /* the last completed iteration (it = 0: none yet on this level) */
  PetscReal levbest, levtrain;   /* best validation accuracy on this level so far and the training accuracy with it */
  PetscReal elapsed, levelapsed; /* seconds of the run and of this level so far */
} OdynTrainerPosition;

PETSC_INTERN PetscErrorCode OdynTrainerRunDescription_Private(OdynTrainer, char **);
PETSC_INTERN PetscErrorCode OdynTrainerWriteCheckpoint_Private(OdynTrainer, const char[], const char[], const OdynTrainerPosition *);
PETSC_INTERN PetscErrorCode OdynTrainerReadCheckpoint_Private(OdynTrainer, const char[], const char[], OdynTrainerPosition *, OdynTrainerCheckpoint *);

/* helpers for the types */
PETSC_INTERN PetscErrorCode OdynTrainerRandomReal_Private(OdynTrainer, PetscReal *);
PETSC_INTERN PetscErrorCode OdynTrainerDrawBatch_Private(OdynTrainer);
PETSC_INTERN PetscErrorCode OdynTrainerDropBatch_Private(OdynTrainer);
PETSC_INTERN PetscErrorCode OdynTrainerSolveMultilevel_Private(OdynTrainer);
PETSC_INTERN PetscErrorCode OdynTrainerSetSteps_Private(OdynNet, PetscInt);

PETSC_INTERN PetscErrorCode OdynTrainerClassifierStep_Private(OdynTrainer, PetscReal *);
PETSC_INTERN PetscErrorCode OdynTrainerGaussNewtonStep_Private(OdynTrainer, PetscReal *, PetscReal *);
PETSC_INTERN PetscErrorCode OdynTrainerSetUpLevel_Private(OdynTrainer);

/* sweeps over a data set in chunks of t->chunk_size local examples (chunks.c); plain sweeps when it is 0 */
PETSC_INTERN PetscErrorCode OdynTrainerChunkedForward_Private(OdynTrainer, Vec, Vec, Vec);
PETSC_INTERN PetscErrorCode OdynTrainerForwardToLoss_Private(OdynTrainer, Vec, Vec, Vec, Vec);
PETSC_INTERN PetscErrorCode OdynTrainerAccuracy_Private(OdynTrainer, Vec, Vec, Vec, PetscReal *);
PETSC_INTERN PetscErrorCode OdynTrainerLossGradient_Private(OdynTrainer, Vec, Vec, Vec, PetscReal *, Vec *, Vec, Vec);
PETSC_INTERN PetscErrorCode OdynTrainerChunkedAdjoint_Private(OdynTrainer, Vec, Vec, Vec, Vec, Vec);
PETSC_INTERN PetscErrorCode OdynTrainerChunkedGaussNewtonMult_Private(OdynTrainer, Vec, Vec, Vec, Vec, Vec, Vec *, Vec *, Vec, Vec);
PETSC_INTERN PetscErrorCode OdynTrainerDestroyLevel_Private(OdynTrainer);

#endif
