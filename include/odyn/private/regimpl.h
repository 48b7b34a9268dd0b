#ifndef ODYN_REGIMPL_H
#define ODYN_REGIMPL_H

#include <petsc/private/petscimpl.h>
#include <odynreg.h>

PETSC_EXTERN PetscBool     OdynRegularizerRegisterAllCalled;
PETSC_EXTERN PetscLogEvent ODYN_RegEval, ODYN_RegHess, ODYN_RegPC;

/*
   The ops table is the contract between OdynRegularizer and its implementations. Implementations work WITHOUT the
   weight alpha; the interface multiplies by it.

   Required: setup, evaluate, hessmult, hessmat.
   Optional: reset (free what setup built), setfromoptions, view, destroy.

   setup(reg): sets the size with OdynRegularizerSetSize_Private() and builds the operators.
   evaluate(reg, x, &R, g): R(x) (global, on every rank) and, if g is not NULL, g = dR/dx.
   hessmult(reg, x, v, Hv): Hv = d2R(x) v (exact).
   hessmat(reg, x, &A): a borrowed, assembled parallel AIJ matrix at x: the Hessian, or for tv optionally the
                        lagged-diffusivity approximation; x may be NULL for quadratic regularizers. The object state of
                        A changes whenever its values do (the interface uses it to refactor only when needed).
*/
typedef struct _OdynRegularizerOps *OdynRegularizerOps;
struct _OdynRegularizerOps {
  PetscErrorCode (*setup)(OdynRegularizer);
  PetscErrorCode (*reset)(OdynRegularizer);
  PetscErrorCode (*evaluate)(OdynRegularizer, Vec, PetscReal *, Vec);
  PetscErrorCode (*hessmult)(OdynRegularizer, Vec, Vec, Vec);
  PetscErrorCode (*hessmat)(OdynRegularizer, Vec, Mat *);
  PetscErrorCode (*setfromoptions)(OdynRegularizer, PetscOptionItems *);
  PetscErrorCode (*view)(OdynRegularizer, PetscViewer);
  PetscErrorCode (*destroy)(OdynRegularizer);
};

struct _p_OdynRegularizer {
  PETSCHEADER(struct _OdynRegularizerOps);
  OdynNet   net;
  PetscReal weight, shift;
  PetscInt  n, nlocal;   /* global and local length of x (PETSC_DECIDE layout) */
  PetscBool setupcalled;
  /* time layout of theta, read from the net: block b = theta[boff[b] .. boff[b] + bsh[b] + bN[b] bnp[b]), step size bh[b] */
  PetscInt   nblocks;
  PetscInt  *boff, *bN, *bnp;
  PetscInt  *bsh;        /* parameters shared by all steps at the start of block b: its time slots start at boff[b] + bsh[b] */
  PetscReal *bh;
  /* H = weight A and P = H + shift I for the preconditioner, with what they were made from */
  Mat              H, P;
  PC               pc;
  PetscObjectId    aid;
  PetscObjectState astate;
  PetscReal        hweight, pshift;
  PetscBool        hvalid, pvalid;
  void            *data;
};

PETSC_INTERN PetscErrorCode OdynRegularizerSetSize_Private(OdynRegularizer, PetscInt);
PETSC_INTERN PetscErrorCode OdynRegularizerReadTimeLayout_Private(OdynRegularizer);
PETSC_INTERN PetscErrorCode OdynRegularizerReset_Private(OdynRegularizer);
/* row r of a sparse matrix: at most maxnz entries */
typedef PetscErrorCode (*OdynRegRowFn)(OdynRegularizer, PetscInt r, PetscInt *nz, PetscInt cols[], PetscScalar vals[]);
PETSC_INTERN PetscErrorCode OdynRegularizerBuildMatrix_Private(OdynRegularizer, PetscInt, PetscInt, OdynRegRowFn, Mat *);
/* time differences: the number of rows, and row r = theta_{j,k} - theta_{j-1,k} of block b (step size h) */
PETSC_INTERN PetscErrorCode OdynRegularizerTimeDiffRows_Private(OdynRegularizer, PetscInt *);
PETSC_INTERN PetscErrorCode OdynRegularizerTimeDiffRow_Private(OdynRegularizer, PetscInt, PetscInt *, PetscInt *, PetscReal *);

#endif
