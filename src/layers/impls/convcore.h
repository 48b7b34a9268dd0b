#ifndef ODYN_LAYER_CONVCORE_H
#define ODYN_LAYER_CONVCORE_H

/*
   Shared engine of the convolutional layers (conv, convantisym, convsymmetric, convhamiltonian; docs/cnn.md).
   Every face f computes
       U = M_f(K) * X + b_f                      multi-channel k x k convolution (M_f: K, (K - flip K - gamma I)/2, or flip K)
       A = scale_f .* tvnorm(U) + beta_f         optional total-variation normalization (paper 000 eq. 9)
       S = sigma(A)
       F = S,  or pool(S) (2x2 average),  or -K^T S (symmetric)
   and the four Jacobian products are written once here on top of the kernels of src/backend/host/conv.c.
   Parameters of one step: [K (cout x cin x k x k of the first face) | b_f per face | (scale_f, beta_f) per face].
*/
#include <odyn/private/layerimpl.h>
#include <odyn/private/odynimpl.h>
#include <odyn/private/convkernels.h>

typedef enum { ODYN_CONV_PLAIN, ODYN_CONV_ANTISYM, ODYN_CONV_SYMMETRIC, ODYN_CONV_HAMILTONIAN } OdynConvVariant;
typedef enum { ODYN_CONV_MAP_ID, ODYN_CONV_MAP_ANTISYM, ODYN_CONV_MAP_FLIP } OdynConvMap;

typedef struct {
  odyn_conv_geom     g;                    /* the face's convolution: input channels -> pre-activation channels */
  OdynConvMap        map;                  /* its stencil as a function of K */
  PetscInt           offb, offs, offbeta;  /* offsets in theta of b_f, scale_f, beta_f (-1: no TV normalization) */
  PetscInt           nin, nU, nout;        /* rows of X, of U (cout h w), of F */
  PetscInt           ch;                   /* examples per chunk (odyn_conv_chunk_examples() at set-up: the scratch fits it) */
  /* the linearization */
  const PetscScalar *theta, *X;
  PetscInt           s;
  PetscScalar       *M;                    /* the face's stencil at the linearization */
  PetscScalar       *lin;                  /* owned: D = sigma'(A) | Uhat | 1/r | S (the last three when needed) */
  const PetscScalar *lcur;                 /* current linearization: lin or a restored copy */
  PetscInt           lincap;
  PetscScalar       *T1;                   /* product scratch, max(nin, nU, nout) x (examples of one chunk) */
  PetscInt           t1cap;
} OdynConvFace;

typedef struct {
  OdynConvVariant variant;
  PetscInt        h, w;          /* image size; 0: not set, the state is a 1-D signal of n / c pixels */
  PetscInt        c, c2;         /* channels of the state, and of the output / hidden state (0: c) */
  PetscInt        k;             /* stencil size, odd */
  PetscBool       pool;          /* 2x2 average pooling after the activation (conv only) */
  PetscBool       tvnorm;
  PetscReal       eps;           /* of the TV normalization */
  PetscReal       gamma;         /* convantisym's diffusion */
  PetscInt        hh, ww, cc2;   /* the sizes fixed by setup */
  PetscInt        nk;            /* entries of K */
  OdynConvFace    face[ODYN_LAYER_MAX_FACES];
  PetscScalar    *Ma, *dM;       /* apply's stencil; scratch stencil of the derivative products */
  PetscScalar    *A1;            /* Eval's scratch: U of one chunk of examples */
  PetscInt        a1cap;
  PetscScalar    *work, *tvwork; /* convolution workspace; h w scalars for the normalization */
  PetscInt        workcap, tvcap;
} OdynLayer_Conv;

PETSC_INTERN PetscErrorCode OdynLayerConvCreate_Private(OdynLayer, OdynConvVariant);
/* the state layout (image, channels) shared with the layers that read it without convolving (globalavg.c) */
PETSC_INTERN PetscErrorCode OdynLayerConvSetUpImage_Private(OdynLayer, OdynLayer_Conv *);
PETSC_INTERN PetscErrorCode OdynLayerConvShapeOptions_Private(PetscOptionItems *, OdynLayer_Conv *);
PETSC_INTERN PetscErrorCode OdynLayerConvShapeSettings_Private(const OdynLayer_Conv *, char[], size_t);
PETSC_INTERN PetscErrorCode OdynLayerConvGetData_Private(OdynLayer, OdynLayer_Conv **);

#endif
