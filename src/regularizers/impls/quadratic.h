#ifndef ODYN_REG_QUADRATIC_H
#define ODYN_REG_QUADRATIC_H

#include <odyn/private/regimpl.h>

/*
   Quadratic regularizers R(x) = 1/2 ||L x||^2 with a constant sparse L: gradient L^T L x, Hessian A = L^T L (assembled
   once). A type supplies buildL; data of such a type must start with this struct.
*/
typedef struct {
  PetscErrorCode (*buildL)(OdynRegularizer, Mat *);
  Mat L, A;
  Vec Lx;
} OdynReg_Quadratic;

PETSC_INTERN PetscErrorCode OdynRegularizerQuadraticSetOps_Private(OdynRegularizer);
PETSC_INTERN PetscErrorCode OdynRegularizerQuadraticSetUp_Private(OdynRegularizer);

#endif
