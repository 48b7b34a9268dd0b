#ifndef ODYNSYS_H
#define ODYNSYS_H

#include <petscsys.h>
#include <petscviewer.h>

/* odyn's version; a model file records it (see docs/). */
#define ODYN_VERSION_MAJOR 0
#define ODYN_VERSION_MINOR 1
#define ODYN_VERSION_PATCH 0

PETSC_EXTERN PetscErrorCode OdynInitializePackage(void);
PETSC_EXTERN PetscErrorCode OdynFinalizePackage(void);

/* Activations sigma; the formulas live in include/odyn/private/pointwise.h so host and device code share them. */
typedef enum {
  ODYN_ACTIVATION_IDENTITY,
  ODYN_ACTIVATION_TANH,
  ODYN_ACTIVATION_RELU,
  ODYN_ACTIVATION_CHARBONNIER, /* diffusion flux Phi(s) = s / sqrt(1 + s^2/lambda^2) (paper 002 Sec. 3.4) */
  ODYN_ACTIVATION_PERONAMALIK  /* diffusion flux Phi(s) = s / (1 + s^2/lambda^2), non-monotone (paper 002 Sec. 3.4) */
} OdynActivationType;
#define ODYN_ACTIVATION_LAST ODYN_ACTIVATION_PERONAMALIK /* loops over all activations stop here */
PETSC_EXTERN const char *const OdynActivationTypes[];

/* How a scheme keeps the states that the tangent and adjoint sweeps need. */
typedef enum {
  ODYN_TRAJECTORY_STORE,    /* keep every state: memory grows like the number of steps */
  ODYN_TRAJECTORY_RECOMPUTE /* reversible schemes only: recompute states backwards during the adjoint sweep */
} OdynTrajectoryType;
PETSC_EXTERN const char *const OdynTrajectoryTypes[];

/* Compute backends (docs/gpu.md): tables of operations (include/odyn/private/backend.h) chosen by name. */
typedef const char *OdynBackendType;
#define ODYNBACKENDHOST "host"
#define ODYNBACKENDCUDA "cuda" /* only in builds with -DODYN_WITH_CUDA; networks: dense Euler tanh blocks (docs/gpu.md) */
#define ODYNBACKENDHOSTREF "hostref" /* the host table, taking the networks' backend path (tests without a GPU) */
#ifndef ODYN_BACKEND_OPS_DECLARED
  #define ODYN_BACKEND_OPS_DECLARED
typedef struct OdynBackendOps OdynBackendOps;
#endif
PETSC_EXTERN PetscErrorCode OdynBackendGet(MPI_Comm, OdynBackendType, const OdynBackendOps **);
PETSC_EXTERN PetscErrorCode OdynBackendFromOptions(MPI_Comm, const OdynBackendOps **);
PETSC_EXTERN PetscErrorCode OdynBackendIsBuilt(OdynBackendType, PetscBool *);
PETSC_EXTERN PetscErrorCode OdynBackendCheckStatus(const OdynBackendOps *, int, const char[]);
PETSC_EXTERN PetscErrorCode OdynBackendMalloc(const OdynBackendOps *, size_t, void **);
PETSC_EXTERN PetscErrorCode OdynBackendFree(const OdynBackendOps *, void **);
PETSC_EXTERN PetscErrorCode OdynBackendGetMemoryUse(const OdynBackendOps *, PetscLogDouble *, PetscLogDouble *);
PETSC_EXTERN PetscErrorCode OdynBackendResetMemoryPeak(const OdynBackendOps *);

#endif
