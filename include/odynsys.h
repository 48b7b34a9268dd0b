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
  ODYN_ACTIVATION_RELU
} OdynActivationType;
PETSC_EXTERN const char *const OdynActivationTypes[];

/* How a scheme keeps the states that the tangent and adjoint sweeps need. */
typedef enum {
  ODYN_TRAJECTORY_STORE,    /* keep every state: memory grows like the number of steps */
  ODYN_TRAJECTORY_RECOMPUTE /* reversible schemes only: recompute states backwards during the adjoint sweep */
} OdynTrajectoryType;
PETSC_EXTERN const char *const OdynTrajectoryTypes[];

#endif
