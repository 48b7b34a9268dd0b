#ifndef ODYNSCHEME_H
#define ODYNSCHEME_H

#include <odynlayer.h>

/*S
   OdynScheme - one block of a network: a time integrator (forward Euler, leapfrog, Verlet) applied to a layer function
   over N steps of size h = T/N, with its exact tangent-linear and adjoint sweeps.

   Level: beginner

.seealso: `OdynSchemeCreate()`, `OdynLayer`, `OdynNet`
S*/
typedef struct _p_OdynScheme *OdynScheme;

/*J
   OdynSchemeType - name of a time-stepping scheme

   Level: beginner
J*/
typedef const char *OdynSchemeType;
#define ODYNSCHEMEEULER    "euler"
#define ODYNSCHEMELEAPFROG "leapfrog"
#define ODYNSCHEMEVERLET   "verlet"
#define ODYNSCHEMESINGLE   "single"
#define ODYNSCHEMEDUFORTFRANKEL "dufortfrankel"
#define ODYNSCHEMEFSI           "fsi"
#define ODYNSCHEMELMRESNET      "lmresnet"
#define ODYNSCHEMEIMPLICIT      "implicit"

PETSC_EXTERN PetscClassId      ODYNSCHEME_CLASSID;
PETSC_EXTERN PetscFunctionList OdynSchemeList;

PETSC_EXTERN PetscErrorCode OdynSchemeCreate(MPI_Comm, OdynScheme *);
PETSC_EXTERN PetscErrorCode OdynSchemeSetType(OdynScheme, OdynSchemeType);
PETSC_EXTERN PetscErrorCode OdynSchemeGetType(OdynScheme, OdynSchemeType *);
PETSC_EXTERN PetscErrorCode OdynSchemeSetFromOptions(OdynScheme);
PETSC_EXTERN PetscErrorCode OdynSchemeSetUp(OdynScheme);
PETSC_EXTERN PetscErrorCode OdynSchemeView(OdynScheme, PetscViewer);
PETSC_EXTERN PetscErrorCode OdynSchemeDestroy(OdynScheme *);
PETSC_EXTERN PetscErrorCode OdynSchemeRegister(const char[], PetscErrorCode (*)(OdynScheme));
PETSC_EXTERN PetscErrorCode OdynSchemeRegisterAll(void);
PETSC_EXTERN PetscErrorCode OdynSchemeSetOptionsPrefix(OdynScheme, const char[]);

PETSC_EXTERN PetscErrorCode OdynSchemeSetLayer(OdynScheme, OdynLayer);
PETSC_EXTERN PetscErrorCode OdynSchemeGetLayer(OdynScheme, OdynLayer *);
PETSC_EXTERN PetscErrorCode OdynSchemeGetSettings(OdynScheme, char **);
PETSC_EXTERN PetscErrorCode OdynSchemeSetNumSteps(OdynScheme, PetscInt);
PETSC_EXTERN PetscErrorCode OdynSchemeGetNumSteps(OdynScheme, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynSchemeSetFinalTime(OdynScheme, PetscReal);
PETSC_EXTERN PetscErrorCode OdynSchemeGetFinalTime(OdynScheme, PetscReal *);
PETSC_EXTERN PetscErrorCode OdynSchemeGetStepSize(OdynScheme, PetscReal *);
PETSC_EXTERN PetscErrorCode OdynSchemeSetTrajectoryType(OdynScheme, OdynTrajectoryType);
PETSC_EXTERN PetscErrorCode OdynSchemeGetTrajectoryType(OdynScheme, OdynTrajectoryType *);
PETSC_EXTERN PetscErrorCode OdynSchemeIsReversible(OdynScheme, PetscBool *);
PETSC_EXTERN PetscErrorCode OdynSchemeSetCacheLinearization(OdynScheme, PetscBool);
PETSC_EXTERN PetscErrorCode OdynSchemeGetCacheLinearization(OdynScheme, PetscBool *);
PETSC_EXTERN PetscErrorCode OdynSchemeGetNumParameters(OdynScheme, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynSchemeGetWidth(OdynScheme, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynSchemeGetOutputWidth(OdynScheme, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynSchemeSetSharedWeights(OdynScheme, PetscBool);
PETSC_EXTERN PetscErrorCode OdynSchemeGetSharedWeights(OdynScheme, PetscBool *);
PETSC_EXTERN PetscErrorCode OdynSchemeGetParameterLayout(OdynScheme, PetscInt *, PetscInt *, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynSchemeDuFortFrankelSetAlpha(OdynScheme, PetscReal, PetscBool);
PETSC_EXTERN PetscErrorCode OdynSchemeFSISetCycle(OdynScheme, PetscInt, PetscBool);
PETSC_EXTERN PetscErrorCode OdynSchemeImplicitSetIterations(OdynScheme, PetscInt);
PETSC_EXTERN PetscErrorCode OdynSchemeImplicitGetIterations(OdynScheme, PetscInt *);

/* Sweeps on local arrays (one rank's examples); OdynNet calls these, tests and advanced users may too. */
PETSC_EXTERN PetscErrorCode OdynSchemeForward(OdynScheme, const PetscScalar[], PetscInt, const PetscScalar[], PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynSchemeTangent(OdynScheme, const PetscScalar[], const PetscScalar[], const PetscScalar[], PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynSchemeAdjoint(OdynScheme, const PetscScalar[], const PetscScalar[], PetscScalar[], PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynSchemeGetState(OdynScheme, PetscInt, const PetscScalar **, const PetscScalar **);
PETSC_EXTERN PetscErrorCode OdynSchemeRecomputeInitial(OdynScheme, const PetscScalar[], PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynSchemeGetNumExamples(OdynScheme, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynSchemeSetBackend(OdynScheme, OdynBackendType);
PETSC_EXTERN PetscErrorCode OdynSchemeGetBackend(OdynScheme, OdynBackendType *);

#endif
