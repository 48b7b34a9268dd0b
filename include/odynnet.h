#ifndef ODYNNET_H
#define ODYNNET_H

#include <petscvec.h>
#include <odynscheme.h>

/*S
   OdynNet - a network: one or more blocks (OdynScheme + OdynLayer), distributed data-parallel over MPI.

   Features of s examples with n values each are a parallel Vec of local length n * s_local (one example contiguous);
   every rank owns a contiguous slice of the examples. All parameters live in one parallel Vec theta (see
   `OdynNetCreateParameterVec()` for the layout); every rank gathers the whole theta for its local sweeps and the
   partial parameter gradients are summed back.

   Level: beginner

.seealso: `OdynNetCreate()`, `OdynNetForward()`, `OdynNetJacobianMult()`, `OdynNetJacobianMultTranspose()`
S*/
typedef struct _p_OdynNet *OdynNet;

PETSC_EXTERN PetscClassId ODYNNET_CLASSID;

PETSC_EXTERN PetscErrorCode OdynNetCreate(MPI_Comm, OdynNet *);
PETSC_EXTERN PetscErrorCode OdynNetSetFromOptions(OdynNet);
PETSC_EXTERN PetscErrorCode OdynNetSetUp(OdynNet);
PETSC_EXTERN PetscErrorCode OdynNetView(OdynNet, PetscViewer);
PETSC_EXTERN PetscErrorCode OdynNetDestroy(OdynNet *);
PETSC_EXTERN PetscErrorCode OdynNetSetOptionsPrefix(OdynNet, const char[]);
PETSC_EXTERN PetscErrorCode OdynNetSetBackend(OdynNet, OdynBackendType);
PETSC_EXTERN PetscErrorCode OdynNetGetBackend(OdynNet, OdynBackendType *);
PETSC_EXTERN PetscErrorCode OdynNetSetBackendHandover(OdynNet, PetscBool);

PETSC_EXTERN PetscErrorCode OdynNetAddBlock(OdynNet, OdynScheme);
PETSC_EXTERN PetscErrorCode OdynNetGetNumBlocks(OdynNet, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynNetGetBlock(OdynNet, PetscInt, OdynScheme *);
PETSC_EXTERN PetscErrorCode OdynNetGetBlockParameterOffset(OdynNet, PetscInt, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynNetGetNumParameters(OdynNet, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynNetGetInputWidth(OdynNet, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynNetGetOutputWidth(OdynNet, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynNetCreateParameterVec(OdynNet, Vec *);

PETSC_EXTERN PetscErrorCode OdynNetForward(OdynNet, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynNetJacobianMult(OdynNet, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynNetJacobianMultTranspose(OdynNet, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynNetProlongParameters(OdynNet, Vec, OdynNet, Vec);
PETSC_EXTERN PetscErrorCode OdynNetRefineSteps(OdynNet, Vec, Vec *);

#endif
