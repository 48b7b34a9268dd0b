#ifndef ODYNLAYER_H
#define ODYNLAYER_H

#include <odynsys.h>

/*S
   OdynLayer - a layer function ("residual callback") F(theta, X) of a time-stepping network, with the four products
   dF/dX V, dF/dtheta v and their transposes that the exact tangent and adjoint sweeps are built from.

   A layer has one or two faces. One-face layers (dense, antisym, negdef, symmetric) map X (n x s) to F (n x s).
   Two-face layers (hamiltonian) supply F (face 0, Z -> Y direction) and G (face 1, Y -> Z direction) for the Verlet scheme.

   Level: beginner

.seealso: `OdynLayerCreate()`, `OdynLayerSetType()`, `OdynScheme`, `OdynNet`
S*/
typedef struct _p_OdynLayer *OdynLayer;

/*J
   OdynLayerType - name of a layer implementation

   Level: beginner
J*/
typedef const char *OdynLayerType;
#define ODYNLAYERDENSE       "dense"
#define ODYNLAYERANTISYM     "antisym"
#define ODYNLAYERNEGDEF      "negdef"
#define ODYNLAYERSYMMETRIC   "symmetric"
#define ODYNLAYERHAMILTONIAN "hamiltonian"
#define ODYNLAYERSHELL       "shell"
#define ODYNLAYERDIFFUSION     "diffusion"
#define ODYNLAYERDIFFUSIONCONV "diffusionconv"
#define ODYNLAYERDIFFUSIONCONVRES "diffusionconvres"
#define ODYNLAYERCONV            "conv"
#define ODYNLAYERCONVANTISYM     "convantisym"
#define ODYNLAYERCONVSYMMETRIC   "convsymmetric"
#define ODYNLAYERCONVHAMILTONIAN "convhamiltonian"
#define ODYNLAYERGLOBALAVG       "globalavg"

PETSC_EXTERN PetscClassId      ODYNLAYER_CLASSID;
PETSC_EXTERN PetscFunctionList OdynLayerList;

PETSC_EXTERN PetscErrorCode OdynLayerCreate(MPI_Comm, OdynLayer *);
PETSC_EXTERN PetscErrorCode OdynLayerSetType(OdynLayer, OdynLayerType);
PETSC_EXTERN PetscErrorCode OdynLayerGetType(OdynLayer, OdynLayerType *);
PETSC_EXTERN PetscErrorCode OdynLayerSetFromOptions(OdynLayer);
PETSC_EXTERN PetscErrorCode OdynLayerGetSettings(OdynLayer, char **);
PETSC_EXTERN PetscErrorCode OdynLayerSetUp(OdynLayer);
PETSC_EXTERN PetscErrorCode OdynLayerView(OdynLayer, PetscViewer);
PETSC_EXTERN PetscErrorCode OdynLayerDestroy(OdynLayer *);
PETSC_EXTERN PetscErrorCode OdynLayerRegister(const char[], PetscErrorCode (*)(OdynLayer));
PETSC_EXTERN PetscErrorCode OdynLayerRegisterAll(void);
PETSC_EXTERN PetscErrorCode OdynLayerSetOptionsPrefix(OdynLayer, const char[]);

PETSC_EXTERN PetscErrorCode OdynLayerSetWidth(OdynLayer, PetscInt);
PETSC_EXTERN PetscErrorCode OdynLayerGetWidth(OdynLayer, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLayerSetHiddenWidth(OdynLayer, PetscInt);
PETSC_EXTERN PetscErrorCode OdynLayerGetHiddenWidth(OdynLayer, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLayerSetActivation(OdynLayer, OdynActivationType);
PETSC_EXTERN PetscErrorCode OdynLayerGetActivation(OdynLayer, OdynActivationType *);
PETSC_EXTERN PetscErrorCode OdynLayerGetNumParameters(OdynLayer, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLayerGetNumFaces(OdynLayer, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLayerGetFaceSizes(OdynLayer, PetscInt, PetscInt *, PetscInt *);

PETSC_EXTERN PetscErrorCode OdynLayerApply(OdynLayer, PetscInt, const PetscScalar[], PetscInt, const PetscScalar[], PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynLayerLinearize(OdynLayer, PetscInt, const PetscScalar[], PetscInt, const PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynLayerGetLinearizationSize(OdynLayer, PetscInt, PetscInt, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLayerLinearizationSave(OdynLayer, PetscInt, PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynLayerLinearizationRestore(OdynLayer, PetscInt, const PetscScalar[], PetscInt, const PetscScalar[], const PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynLayerJacobianXMult(OdynLayer, PetscInt, PetscScalar, const PetscScalar[], PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynLayerJacobianThetaMult(OdynLayer, PetscInt, PetscScalar, const PetscScalar[], PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynLayerJacobianXMultTranspose(OdynLayer, PetscInt, PetscScalar, const PetscScalar[], PetscScalar[]);
PETSC_EXTERN PetscErrorCode OdynLayerJacobianThetaMultTranspose(OdynLayer, PetscInt, PetscScalar, const PetscScalar[], PetscScalar[]);

PETSC_EXTERN PetscErrorCode OdynLayerAntisymSetGamma(OdynLayer, PetscReal);
PETSC_EXTERN PetscErrorCode OdynLayerAntisymGetGamma(OdynLayer, PetscReal *);
PETSC_EXTERN PetscErrorCode OdynLayerDiffusionSetTauMax(OdynLayer, PetscReal);
PETSC_EXTERN PetscErrorCode OdynLayerDiffusionGetStepAndContrast(OdynLayer, const PetscScalar[], PetscReal *, PetscReal *);
PETSC_EXTERN PetscErrorCode OdynLayerDiffusionSetChannels(OdynLayer, PetscInt, PetscInt);
PETSC_EXTERN PetscErrorCode OdynLayerDiffusionSetPeriodic(OdynLayer, PetscBool);
PETSC_EXTERN PetscErrorCode OdynLayerDiffusionSetContrast(OdynLayer, PetscReal);

/* Convolutional layers (docs/cnn.md): image size, channels, stencil size, pooling, TV normalization. */
PETSC_EXTERN PetscErrorCode OdynLayerConvSetImage(OdynLayer, PetscInt, PetscInt);
PETSC_EXTERN PetscErrorCode OdynLayerConvGetImage(OdynLayer, PetscInt *, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLayerConvSetChannels(OdynLayer, PetscInt, PetscInt);
PETSC_EXTERN PetscErrorCode OdynLayerConvGetChannels(OdynLayer, PetscInt *, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLayerConvSetKernelSize(OdynLayer, PetscInt);
PETSC_EXTERN PetscErrorCode OdynLayerConvGetKernelSize(OdynLayer, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynLayerConvSetPooling(OdynLayer, PetscBool);
PETSC_EXTERN PetscErrorCode OdynLayerConvGetPooling(OdynLayer, PetscBool *);
PETSC_EXTERN PetscErrorCode OdynLayerConvSetTVNorm(OdynLayer, PetscBool, PetscReal);
PETSC_EXTERN PetscErrorCode OdynLayerConvGetTVNorm(OdynLayer, PetscBool *, PetscReal *);

/* SHELL layers: the user supplies F and the four products as callbacks with a context pointer. */
typedef PetscErrorCode (*OdynLayerShellApplyFn)(OdynLayer, PetscInt face, const PetscScalar theta[], PetscInt s, const PetscScalar X[], PetscScalar F[], void *ctx);
typedef PetscErrorCode (*OdynLayerShellProductFn)(OdynLayer, PetscInt face, const PetscScalar theta[], PetscInt s, const PetscScalar X[], PetscScalar alpha, const PetscScalar in[], PetscScalar out[], void *ctx);
typedef enum {
  ODYN_LAYER_SHELL_JAC_X,           /* out += alpha dF/dX in         (in: nin x s,  out: nout x s) */
  ODYN_LAYER_SHELL_JAC_THETA,       /* out += alpha dF/dtheta in     (in: nparam,   out: nout x s) */
  ODYN_LAYER_SHELL_JAC_X_T,         /* out += alpha (dF/dX)^T in     (in: nout x s, out: nin x s)  */
  ODYN_LAYER_SHELL_JAC_THETA_T      /* out += alpha (dF/dtheta)^T in (in: nout x s, out: nparam)   */
} OdynLayerShellProduct;
PETSC_EXTERN PetscErrorCode OdynLayerShellSetContext(OdynLayer, void *);
PETSC_EXTERN PetscErrorCode OdynLayerShellGetContext(OdynLayer, void *);
PETSC_EXTERN PetscErrorCode OdynLayerShellSetSizes(OdynLayer, PetscInt, PetscInt, PetscInt, PetscInt);
PETSC_EXTERN PetscErrorCode OdynLayerShellSetApply(OdynLayer, OdynLayerShellApplyFn);
PETSC_EXTERN PetscErrorCode OdynLayerShellSetProduct(OdynLayer, OdynLayerShellProduct, OdynLayerShellProductFn);

#endif
