#ifndef ODYNLOSS_H
#define ODYNLOSS_H

#include <petscvec.h>
#include <odynsys.h>

/*S
   OdynLoss - the hypothesis and loss of a classifier on the output features (paper 001 eq. 2.2-2.4):

     S(W, mu) = 1/s sum_i S(W^T y_i + mu, c_i)

   with classifier weights W (nf x nc) and bias mu (nc), features y_i (nf) and targets c_i (nc) of the s examples.

   Layout of the weights: W and mu are packed in one parallel Vec wmu = [W (column-major, nf x nc) | mu (nc)], i.e.
   wmu[i + k nf] = W(i, k) and wmu[nf nc + k] = mu(k); `OdynLossCreateWeightVec()` creates it. Every rank gathers the
   whole wmu; gradients and Hessian products w.r.t. wmu are summed over the ranks.

   Data: features YN (parallel Vec, local length nf s_local, one example contiguous) and targets C (parallel Vec, local
   length nc s_local), set with `OdynLossSetData()`. All products are then taken at fixed data.

   Level: beginner

.seealso: `OdynLossCreate()`, `OdynLossSetData()`, `OdynLossEvaluate()`, `OdynLossHessianMultWeights()`,
          `OdynLossHessianMultFeatures()`, `OdynNet`
S*/
typedef struct _p_OdynLoss *OdynLoss;

/*J
   OdynLossType - name of a hypothesis + loss function

   Level: beginner
J*/
typedef const char *OdynLossType;
#define ODYNLOSSSOFTMAX  "softmax"
#define ODYNLOSSLOGISTIC "logistic"
#define ODYNLOSSLSQ      "lsq"

PETSC_EXTERN PetscClassId      ODYNLOSS_CLASSID;
PETSC_EXTERN PetscFunctionList OdynLossList;

PETSC_EXTERN PetscErrorCode OdynLossCreate(MPI_Comm, OdynLoss *);
PETSC_EXTERN PetscErrorCode OdynLossSetType(OdynLoss, OdynLossType);
PETSC_EXTERN PetscErrorCode OdynLossGetType(OdynLoss, OdynLossType *);
PETSC_EXTERN PetscErrorCode OdynLossSetFromOptions(OdynLoss);
PETSC_EXTERN PetscErrorCode OdynLossSetUp(OdynLoss);
PETSC_EXTERN PetscErrorCode OdynLossView(OdynLoss, PetscViewer);
PETSC_EXTERN PetscErrorCode OdynLossDestroy(OdynLoss *);
PETSC_EXTERN PetscErrorCode OdynLossRegister(const char[], PetscErrorCode (*)(OdynLoss));
PETSC_EXTERN PetscErrorCode OdynLossRegisterAll(void);
PETSC_EXTERN PetscErrorCode OdynLossSetOptionsPrefix(OdynLoss, const char[]);

PETSC_EXTERN PetscErrorCode OdynLossSetNumFeatures(OdynLoss, PetscInt);
PETSC_EXTERN PetscErrorCode OdynLossGetNumFeatures(OdynLoss, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLossSetNumClasses(OdynLoss, PetscInt);
PETSC_EXTERN PetscErrorCode OdynLossGetNumClasses(OdynLoss, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLossGetNumWeights(OdynLoss, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLossCreateWeightVec(OdynLoss, Vec *);

PETSC_EXTERN PetscErrorCode OdynLossSetData(OdynLoss, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynLossGetData(OdynLoss, Vec *, Vec *, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLossEvaluate(OdynLoss, Vec, PetscReal *, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynLossHessianMultWeights(OdynLoss, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynLossHessianMultFeatures(OdynLoss, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynLossPredict(OdynLoss, Vec, Vec, PetscInt[]);
PETSC_EXTERN PetscErrorCode OdynLossHypothesis(OdynLoss, Vec, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynLossGetAccuracy(OdynLoss, Vec, Vec, Vec, PetscReal *);
PETSC_EXTERN PetscErrorCode OdynLossSetIdentityClassifier(OdynLoss, PetscBool);
PETSC_EXTERN PetscErrorCode OdynLossGetIdentityClassifier(OdynLoss, PetscBool *);
PETSC_EXTERN PetscErrorCode OdynLossGetSettings(OdynLoss, char **);
PETSC_EXTERN PetscErrorCode OdynLossSetBackend(OdynLoss, OdynBackendType);
PETSC_EXTERN PetscErrorCode OdynLossGetBackend(OdynLoss, OdynBackendType *);
PETSC_EXTERN PetscErrorCode OdynLossGetPSNR(OdynLoss, Vec, Vec, Vec, PetscReal, PetscReal *);
PETSC_EXTERN PetscErrorCode OdynPSNR(Vec, Vec, PetscReal, PetscReal *);

#endif
