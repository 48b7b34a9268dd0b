#ifndef ODYN_LAYER_DIFFUSION_H
#define ODYN_LAYER_DIFFUSION_H

#include <odyn/private/layerimpl.h>
#include <odyn/private/odynimpl.h>

/*
   Shared core of the diffusion layers (diffusion.c: dense K; diffusionconv.c: 1-D convolution K).

   The state of one example is L positions x c channels, channels fastest (entry (i, a) at i c + a; dense: L = 1,
   c = n). K maps w taps x c channels to ch channels at every position: K is ch x (w c), column t c + a for tap t and
   input channel a. With col(u) the (w c) x (L s) im2col matrix of the state (w = 1: col(u) = u), K u = K col(u) is one
   GEMM over all positions and examples, and K^T z is one GEMM followed by col2im (scatter-add of the taps).
*/
typedef struct {
  PetscBool conv;                 /* 1-D convolution (w = 3) or dense (w = 1, L = 1) */
  PetscInt  c, ch, L, w;          /* geometry, fixed by setup */
  PetscInt  cset, chset;          /* requested channels and hidden channels (0: the defaults) */
  PetscBool periodic;             /* conv boundary: periodic or zero */
  PetscReal taumax;               /* tau = taumax / (1 + exp(-rho)) */
  PetscReal lambda0;              /* lambda = lambda0 exp(eta): the contrast at eta = 0 */
  PetscInt  nk;                   /* ch w c */
  /* linearization */
  const PetscScalar *theta, *X;
  PetscInt           s;
  PetscReal          R, tau, dtau, lambda;
  PetscScalar       *Kt, *gR, *dK; /* rescaled K, gradient of the rescaling factor R, scratch (nk each) */
  PetscScalar       *col, *colV;  /* (w c) x (L s): im2col of X and of a direction (w > 1 only) */
  PetscInt           capcol;
  PetscScalar       *P, *D, *DL, *T; /* ch x (L s): Phi(Z), Phi'(Z), dPhi/dlambda(Z), scratch */
  PetscInt           capz;
  PetscScalar       *colT;        /* (w c) x (L s) scratch of the transposed products */
  /* apply scratch, apart from the linearization */
  PetscScalar       *Ka, *cola, *Za, *colTa;
  PetscInt           capca, capta, capza;
} OdynLayer_Diffusion;

PETSC_INTERN PetscErrorCode OdynLayerDiffusionSetOps_Private(OdynLayer, OdynLayer_Diffusion *);
PETSC_INTERN PetscErrorCode OdynLayerDiffusionSetOptions_Private(OdynLayer, PetscOptionItems *);
/* appends what OdynLayerDiffusionSetOptions_Private() reads (the settings op of the dense layer) */
PETSC_INTERN PetscErrorCode OdynLayerDiffusionSettings_Private(OdynLayer, char[], size_t);
/* the 1-D convolution's im2col of s examples (X: n x s, channels fastest) into col ((w c) x (L s)), and its adjoint
   out += alpha col2im(colT), with the layer's boundary (periodic or zero) and stencil width w */
PETSC_INTERN void OdynDiffusionIm2Col_Private(const OdynLayer_Diffusion *, PetscInt, const PetscScalar *, PetscScalar *);
PETSC_INTERN void OdynDiffusionCol2ImAdd_Private(const OdynLayer_Diffusion *, PetscInt, PetscScalar, const PetscScalar *, PetscScalar *);
/* tau = tau_max sigmoid(rho) (and dtau/drho) and the contrast lambda = lambda0 exp(eta) from rhoeta = [rho, eta] */
PETSC_INTERN void OdynDiffusionStepAndContrast_Private(OdynLayer, const OdynLayer_Diffusion *, const PetscScalar *, PetscReal *, PetscReal *, PetscReal *);

#endif
