#ifndef ODYN_NETIMPL_H
#define ODYN_NETIMPL_H

#include <petsc/private/petscimpl.h>
#include <odynnet.h>
#include <odynloss.h>
#include <odyn/private/schemeimpl.h>

PETSC_EXTERN PetscLogEvent ODYN_NetForward, ODYN_NetTangent, ODYN_NetAdjoint;

struct _OdynNetOps {
  PetscErrorCode (*view)(OdynNet, PetscViewer);
};

struct _p_OdynNet {
  PETSCHEADER(struct _OdynNetOps);
  PetscInt         nblocks;
  OdynScheme      *blocks;
  PetscInt        *offset;      /* nblocks + 1: block b owns theta[offset[b] .. offset[b+1]) */
  PetscInt         nparam, nin, nout, nmax;
  PetscBool        setupcalled;
  /* every rank's copy of the whole theta, and of the gradient it accumulates */
  VecScatter       toall;
  Vec              thetaall, dall;
  PetscInt         rstart;      /* ownership start of the theta the scatter was made for */
  PetscInt         s;           /* local examples of the last forward sweep; -1 before */
  PetscScalar     *buf[2];      /* states between blocks, nmax x s each */
  PetscInt         bufcap;
  const OdynBackendOps *backend; /* the blocks' backend (OdynNetSetBackend()); NULL: host, the direct path */
  PetscBool             handover; /* states between blocks on one backend, and to the loss, stay in its memory */
};

/* The network's output left in, and its adjoint's weights taken from, the last block's backend memory (net.c), for
   the loss on the same backend: the Gauss-Newton product of netloss.c. Exported for the tests. */
PETSC_EXTERN PetscErrorCode OdynNetGetOutputBackend_Private(OdynNet, const OdynBackendOps **);
PETSC_EXTERN PetscErrorCode OdynNetJacobianMultToBackend_Private(OdynNet, Vec, Vec, const double **);
PETSC_EXTERN PetscErrorCode OdynNetJacobianMultTransposeFromBackend_Private(OdynNet, const double *, Vec, Vec);
/* netloss.c: the backend the network's output and the loss's products share (NULL: none; the loss's data must be the
   last forward's output) */
PETSC_EXTERN PetscErrorCode OdynNetLossSharedBackend_Private(OdynNet, OdynLoss, const OdynBackendOps **);
/* netloss.c: the same without the check of the loss's data (before a sweep) */
PETSC_EXTERN PetscErrorCode OdynNetLossSameBackend_Private(OdynNet, OdynLoss, const OdynBackendOps **);
/* netloss.c: the Gauss-Newton product J^T H_Y J v, through backend memory when the last block and the loss share one */
PETSC_EXTERN PetscErrorCode OdynNetLossGaussNewtonMult_Private(OdynNet, OdynLoss, Vec, Vec, Vec, Vec, Vec, PetscBool *);
/* netloss.c: after a forward into the loss's data, the loss mirrors them from the last block's output on the backend */
PETSC_EXTERN PetscErrorCode OdynNetLossHandOutput_Private(OdynNet, OdynLoss, PetscBool *);
/* netloss.c: the loss value and J^T dS/dY_N, the features' gradient through backend memory when they share one */
PETSC_EXTERN PetscErrorCode OdynNetLossGradient_Private(OdynNet, OdynLoss, Vec, PetscReal *, Vec, Vec, PetscBool *);
/* the classifier's accuracy on the last forward sweep's output left in the loss's backend memory (netloss.c) */
PETSC_EXTERN PetscErrorCode OdynNetLossAccuracy_Private(OdynNet, OdynLoss, Vec, Vec, PetscReal *);
/* netloss.c: a sweep over a chunk of the loss's data (solvers/bcd/chunks.c): its output handed to the loss's mirror,
   its share of the Gauss-Newton product, its counts of correct examples, all in the shared backend's memory */
PETSC_EXTERN PetscErrorCode OdynNetLossHandOutputChunk_Private(OdynNet, OdynLoss, PetscInt);
PETSC_EXTERN PetscErrorCode OdynNetLossGaussNewtonMultChunk_Private(OdynNet, OdynLoss, Vec, PetscInt, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynNetLossCountCorrect_Private(OdynNet, OdynLoss, Vec, const PetscScalar *, PetscInt[2]);

/* Drops the layout, scatters and buffers: call after a block's sizes change. */
PETSC_INTERN PetscErrorCode OdynNetReset_Private(OdynNet);

#endif
