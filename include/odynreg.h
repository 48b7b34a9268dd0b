#ifndef ODYNREG_H
#define ODYNREG_H

#include <petscpc.h>
#include <odynnet.h>

/*S
   OdynRegularizer - a regularizer alpha R(x) of the learning problem (paper 001 eq. 2.4, Sec. 5), with its gradient,
   Hessian products, the assembled (sparse, parallel AIJ) Hessian and a factored preconditioner alpha d2R + shift I.

   Types on the propagation parameters theta of an OdynNet (set with `OdynRegularizerSetNet()`; block b has N_b steps
   of size h_b, each with the layer's parameters theta_j):
+  smooth - R = h/2 sum_{j=1}^{N-1} ||(theta_j - theta_{j-1})/h||^2 per block (paper 001 eq. 5.23)
.  tikhonov - R = h/2 sum_{j=0}^{N-1} ||theta_j||^2 per block (weight decay)
-  tv - R = h sum_{j=1}^{N-1} sum_k phi((theta_{j,k} - theta_{j-1,k})/h), phi(x) = sqrt(x^2 + tau) (paper 000 eq. 13)

   Type on the packed classifier weights wmu = [W | mu] of an OdynLoss (see `OdynLossCreateWeightVec()`):
.  image - R = 1/2 sum_k ||L W(:, k)||^2, L the discrete 2-D gradient or Laplacian on the n1 x n2 (x channels) grid
   of the features (paper 001 Sec. 5.2, eq. 5.25); mu is not regularized.

   Everything is multiplied by the weight alpha (`OdynRegularizerSetWeight()`). x is a parallel Vec distributed with
   PETSC_DECIDE (`OdynNetCreateParameterVec()`, `OdynLossCreateWeightVec()`, `OdynRegularizerCreateVec()`).

   Level: beginner

.seealso: `OdynRegularizerCreate()`, `OdynRegularizerEvaluate()`, `OdynRegularizerHessianMult()`, `OdynRegularizerGetPC()`
S*/
typedef struct _p_OdynRegularizer *OdynRegularizer;

/*J
   OdynRegularizerType - name of a regularizer

   Level: beginner
J*/
typedef const char *OdynRegularizerType;
#define ODYNREGSMOOTH   "smooth"
#define ODYNREGTIKHONOV "tikhonov"
#define ODYNREGTV       "tv"
#define ODYNREGIMAGE    "image"

/* The operator L of the image regularizer. */
typedef enum {
  ODYN_REG_IMAGE_GRADIENT, /* forward differences in both directions: L^T L is the 5-point Neumann Laplacian */
  ODYN_REG_IMAGE_LAPLACIAN /* the 5-point Neumann Laplacian: L^T L is its square (13 points) */
} OdynRegImageOperator;
PETSC_EXTERN const char *const OdynRegImageOperators[];

PETSC_EXTERN PetscClassId      ODYNREG_CLASSID;
PETSC_EXTERN PetscFunctionList OdynRegularizerList;

PETSC_EXTERN PetscErrorCode OdynRegularizerCreate(MPI_Comm, OdynRegularizer *);
PETSC_EXTERN PetscErrorCode OdynRegularizerSetType(OdynRegularizer, OdynRegularizerType);
PETSC_EXTERN PetscErrorCode OdynRegularizerGetType(OdynRegularizer, OdynRegularizerType *);
PETSC_EXTERN PetscErrorCode OdynRegularizerSetFromOptions(OdynRegularizer);
PETSC_EXTERN PetscErrorCode OdynRegularizerSetUp(OdynRegularizer);
PETSC_EXTERN PetscErrorCode OdynRegularizerView(OdynRegularizer, PetscViewer);
PETSC_EXTERN PetscErrorCode OdynRegularizerDestroy(OdynRegularizer *);
PETSC_EXTERN PetscErrorCode OdynRegularizerRegister(const char[], PetscErrorCode (*)(OdynRegularizer));
PETSC_EXTERN PetscErrorCode OdynRegularizerRegisterAll(void);
PETSC_EXTERN PetscErrorCode OdynRegularizerSetOptionsPrefix(OdynRegularizer, const char[]);

PETSC_EXTERN PetscErrorCode OdynRegularizerSetNet(OdynRegularizer, OdynNet);
PETSC_EXTERN PetscErrorCode OdynRegularizerGetNet(OdynRegularizer, OdynNet *);
PETSC_EXTERN PetscErrorCode OdynRegularizerSetWeight(OdynRegularizer, PetscReal);
PETSC_EXTERN PetscErrorCode OdynRegularizerGetWeight(OdynRegularizer, PetscReal *);
PETSC_EXTERN PetscErrorCode OdynRegularizerSetShift(OdynRegularizer, PetscReal);
PETSC_EXTERN PetscErrorCode OdynRegularizerGetShift(OdynRegularizer, PetscReal *);
PETSC_EXTERN PetscErrorCode OdynRegularizerGetSize(OdynRegularizer, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynRegularizerCreateVec(OdynRegularizer, Vec *);

PETSC_EXTERN PetscErrorCode OdynRegularizerEvaluate(OdynRegularizer, Vec, PetscReal *, Vec);
PETSC_EXTERN PetscErrorCode OdynRegularizerHessianMult(OdynRegularizer, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynRegularizerGetHessianMatrix(OdynRegularizer, Vec, Mat *);
PETSC_EXTERN PetscErrorCode OdynRegularizerGetPC(OdynRegularizer, Vec, PC *);

/* type-specific settings (ignored by the other types) */
PETSC_EXTERN PetscErrorCode OdynRegularizerTVSetTau(OdynRegularizer, PetscReal);
PETSC_EXTERN PetscErrorCode OdynRegularizerTVGetTau(OdynRegularizer, PetscReal *);
PETSC_EXTERN PetscErrorCode OdynRegularizerTVSetLaggedDiffusivity(OdynRegularizer, PetscBool);
PETSC_EXTERN PetscErrorCode OdynRegularizerImageSetGrid(OdynRegularizer, PetscInt, PetscInt, PetscInt);
PETSC_EXTERN PetscErrorCode OdynRegularizerImageSetNumClasses(OdynRegularizer, PetscInt);
PETSC_EXTERN PetscErrorCode OdynRegularizerImageSetOperator(OdynRegularizer, OdynRegImageOperator);

#endif
