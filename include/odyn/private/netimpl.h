#ifndef ODYN_NETIMPL_H
#define ODYN_NETIMPL_H

#include <petsc/private/petscimpl.h>
#include <odynnet.h>
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
};

/* Drops the layout, scatters and buffers: call after a block's sizes change. */
PETSC_INTERN PetscErrorCode OdynNetReset_Private(OdynNet);

#endif
