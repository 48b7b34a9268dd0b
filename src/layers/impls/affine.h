#ifndef ODYN_LAYER_AFFINE_H
#define ODYN_LAYER_AFFINE_H

/*
   Shared engine of the layers F(theta, X) = sigma(M(kappa) X + b) whose square matrix M is a (possibly nonlinear)
   function of the parameters kappa: dense (M = K), antisym (M = (K - K^T - gamma I)/2), negdef (M = -C^T C).
   theta_j = [kappa (n*n, column-major), b (n)]. An implementation supplies the map kappa -> M, its derivative and
   the adjoint of the derivative; the four Jacobian products are written once here.
*/
#include <odyn/private/layerimpl.h>
#include <odyn/private/odynimpl.h>

typedef struct {
  /* M = map(kappa) */
  PetscErrorCode (*map)(PetscInt n, PetscReal gamma, const PetscScalar *kappa, PetscScalar *M);
  /* dM = map'(kappa) dkappa */
  PetscErrorCode (*dmap)(PetscInt n, const PetscScalar *kappa, const PetscScalar *dkappa, PetscScalar *dM);
  /* gkappa += alpha map'(kappa)^T G */
  PetscErrorCode (*dmapt)(PetscInt n, const PetscScalar *kappa, PetscScalar alpha, const PetscScalar *G, PetscScalar *gkappa);
  PetscReal          gamma;   /* antisym's diffusion */
  PetscScalar       *M, *dM;  /* n x n: M at the linearization, scratch */
  PetscScalar       *Mapply;  /* n x n: M formed by apply */
  PetscScalar       *D, *T;   /* n x s: sigma'(M X + b) computed by linearize; scratch */
  const PetscScalar *Dcur;    /* sigma' of the current linearization: D, or a saved copy (linrestore) */
  PetscInt           cap;     /* capacity of D and T */
  const PetscScalar *theta, *X;
  PetscInt           s;
} OdynLayer_Affine;

PETSC_INTERN PetscErrorCode OdynLayerAffineSetOps_Private(OdynLayer, OdynLayer_Affine *);
PETSC_INTERN PetscErrorCode OdynLayerAffineDestroy_Private(OdynLayer);

#endif
