#ifndef ODYN_TRAINIMPL_H
#define ODYN_TRAINIMPL_H

#include <petsc/private/petscimpl.h>
#include <petscksp.h>
#include <petsctaolinesearch.h>
#include <odyntrain.h>

PETSC_EXTERN PetscLogEvent ODYN_TrainClassifier, ODYN_TrainGaussNewton, ODYN_TrainValidate;

#define ODYN_TRAINER_MAX_LEVELS 32

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
  PetscErrorCode (*checkpointwrite)(OdynTrainer, PetscViewer);    /* type state the next iteration reads (optional) */
  PetscErrorCode (*checkpointread)(OdynTrainer, PetscViewer);     /* and back */
};

PETSC_EXTERN PetscFunctionList OdynTrainerList;
PETSC_INTERN PetscBool      OdynTrainerRegisterAllCalled;
PETSC_INTERN PetscErrorCode OdynTrainerRegisterAll_Private(void);
PETSC_INTERN PetscErrorCode OdynTrainerCreate_BCD(OdynTrainer);

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

  /* results */
  Vec                      thbest, wbest;
  PetscReal                bestval;
  PetscInt                 bestlayers;
  OdynTrainerHistoryEntry *hist;
  PetscInt                 nhist, histcap;
};

/* helpers for the types */
PETSC_INTERN PetscErrorCode OdynTrainerRandomReal_Private(OdynTrainer, PetscReal *);
PETSC_INTERN PetscErrorCode OdynTrainerDrawBatch_Private(OdynTrainer);
PETSC_INTERN PetscErrorCode OdynTrainerDropBatch_Private(OdynTrainer);
PETSC_INTERN PetscErrorCode OdynTrainerSolveMultilevel_Private(OdynTrainer);
PETSC_INTERN PetscErrorCode OdynTrainerSetSteps_Private(OdynNet, PetscInt);

PETSC_INTERN PetscErrorCode OdynTrainerClassifierStep_Private(OdynTrainer, PetscReal *);
PETSC_INTERN PetscErrorCode OdynTrainerGaussNewtonStep_Private(OdynTrainer, PetscReal *, PetscReal *);
PETSC_INTERN PetscErrorCode OdynTrainerSetUpLevel_Private(OdynTrainer);
PETSC_INTERN PetscErrorCode OdynTrainerDestroyLevel_Private(OdynTrainer);

#endif
