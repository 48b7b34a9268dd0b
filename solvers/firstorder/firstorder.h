#ifndef ODYN_FIRSTORDER_H
#define ODYN_FIRSTORDER_H

/* Private to solvers/firstorder/: the state shared by the first-order trainer types (sgd, adam). */
#include <odyn/private/trainimpl.h>

typedef enum {
  ODYN_LR_DECAY_NONE,
  ODYN_LR_DECAY_STEP,
  ODYN_LR_DECAY_COSINE
} OdynLRDecay;

typedef struct _OdynTrainer_FO OdynTrainer_FO;

/*
  One update of the parameters x (a theta-like or wmu-like parallel Vec) from the gradient g of the full objective,
  with the method's two state Vecs s1, s2 (like x) and the step count k >= 1 of this level. Works on local entries:
  the gradients are already summed over the ranks.
*/
typedef PetscErrorCode (*OdynFOUpdate)(OdynTrainer_FO *, PetscReal lr, PetscInt64 k, Vec x, Vec g, Vec s1, Vec s2);

struct _OdynTrainer_FO {
  const char  *name;   /* "sgd", "adam" */
  OdynFOUpdate update;
  /* settings */
  PetscInt    batch;                /* -odyn_batch_size: examples per step (0: all) */
  PetscReal   lr, lr_min;           /* -odyn_lr, -odyn_lr_min (the floor of the cosine schedule) */
  OdynLRDecay decay;                /* -odyn_lr_decay none|step|cosine */
  PetscInt    decay_epochs;         /* step decay: every this many epochs ... */
  PetscReal   decay_rate;           /* ... multiply by this */
  PetscReal   momentum;             /* sgd: heavy-ball momentum */
  PetscReal   beta1, beta2, eps;    /* adam */
  PetscReal   weight_decay;         /* L2 on every parameter, added to the gradient (0: off) */
  /* state of the current level */
  Vec        gt, gw, tt, tw;        /* gradients, and the regularizers' gradients, like theta and wmu */
  Vec        st1, st2, sw1, sw2;    /* the method's state for theta and for wmu */
  PetscInt   epoch;                 /* epochs done on this level */
  PetscInt64 nsteps;                /* steps done on this level */
};

PETSC_INTERN PetscErrorCode OdynTrainerCreate_FirstOrder_Private(OdynTrainer, const char *, OdynFOUpdate, PetscReal);
PETSC_INTERN PetscErrorCode OdynTrainerCreate_SGD(OdynTrainer);
PETSC_INTERN PetscErrorCode OdynTrainerCreate_Adam(OdynTrainer);

#endif
