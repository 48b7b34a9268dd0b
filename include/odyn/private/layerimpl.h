#ifndef ODYN_LAYERIMPL_H
#define ODYN_LAYERIMPL_H

#include <petsc/private/petscimpl.h>
#include <odynlayer.h>
#include <odyn/private/settingsimpl.h>

PETSC_EXTERN PetscBool     OdynLayerRegisterAllCalled;
PETSC_EXTERN PetscLogEvent ODYN_LayerApply, ODYN_LayerLinearize, ODYN_LayerProduct;

/*
   The ops table is the contract between OdynLayer and its implementations.

   Required: setup, apply, linearize, jacx, jactheta, jacxt, jacthetat.
   Optional: setfromoptions, view, destroy; linsize, linsave, linrestore (a layer whose linearization is a small
   state, e.g. sigma', can hand it out and take it back, so that schemes keep one per step and the tangent and
   adjoint sweeps skip recomputing it; without them the schemes call linearize every time), settings.
   settings(layer, buf, len): appends (OdynSettingsAppend()) every type-specific setting as the option its
   setfromoptions reads, so that a model file can rebuild the layer (OdynLayerGetSettings()); required of every
   type whose setfromoptions reads an option.

   Shapes (column-major, one example per column, s examples):
     face f maps X (nin[f] x s) to F (nout[f] x s); theta has nparam entries.
   linearize(face, theta, s, X) records the point at which the four products are taken; theta and X are borrowed
   and must stay valid until the next linearize of the same face.
   All four products accumulate: out += alpha * (product).
   Optional applyadd(face, theta, s, h, X, Y): Y = X + h F(theta, X) (nin == nout; Y may not alias X), giving exactly
   what apply followed by odyn_axpby(nout * s, 1.0, X, h, Y) gives; forward Euler uses it when present, so that a layer
   that computes F in cache-sized chunks adds X there instead of the scheme making another pass over the batch.
*/
typedef struct _OdynLayerOps *OdynLayerOps;
struct _OdynLayerOps {
  PetscErrorCode (*setup)(OdynLayer);
  PetscErrorCode (*apply)(OdynLayer, PetscInt, const PetscScalar *, PetscInt, const PetscScalar *, PetscScalar *);
  PetscErrorCode (*linearize)(OdynLayer, PetscInt, const PetscScalar *, PetscInt, const PetscScalar *);
  PetscErrorCode (*jacx)(OdynLayer, PetscInt, PetscScalar, const PetscScalar *, PetscScalar *);
  PetscErrorCode (*jactheta)(OdynLayer, PetscInt, PetscScalar, const PetscScalar *, PetscScalar *);
  PetscErrorCode (*jacxt)(OdynLayer, PetscInt, PetscScalar, const PetscScalar *, PetscScalar *);
  PetscErrorCode (*jacthetat)(OdynLayer, PetscInt, PetscScalar, const PetscScalar *, PetscScalar *);
  PetscErrorCode (*linsize)(OdynLayer, PetscInt, PetscInt, PetscInt *);
  PetscErrorCode (*linsave)(OdynLayer, PetscInt, PetscScalar *);
  PetscErrorCode (*linrestore)(OdynLayer, PetscInt, const PetscScalar *, PetscInt, const PetscScalar *, const PetscScalar *);
  PetscErrorCode (*setfromoptions)(OdynLayer, PetscOptionItems *);
  PetscErrorCode (*view)(OdynLayer, PetscViewer);
  PetscErrorCode (*destroy)(OdynLayer);
  PetscErrorCode (*settings)(OdynLayer, char[], size_t);
  PetscErrorCode (*applyadd)(OdynLayer, PetscInt, const PetscScalar *, PetscInt, PetscScalar, const PetscScalar *, PetscScalar *);
  /* optional jacbotht(face, alpha, W, out, g): jacthetat (g) and jacxt (out, which may be W when jacinplace) in one
     walk over W, exactly as the two calls in that order; forward Euler's adjoint uses it when present */
  PetscErrorCode (*jacbotht)(OdynLayer, PetscInt, PetscScalar, const PetscScalar *, PetscScalar *, PetscScalar *);
};

#define ODYN_LAYER_MAX_FACES 2

struct _p_OdynLayer {
  PETSCHEADER(struct _OdynLayerOps);
  PetscInt           n;                           /* width of the state Y */
  PetscInt           m;                           /* hidden width (symmetric: rows of K; hamiltonian: width of Z); 0 = n */
  OdynActivationType activation;
  PetscInt           nfaces;                      /* set by setup: 1 or 2 */
  PetscInt           nin[ODYN_LAYER_MAX_FACES];   /* set by setup */
  PetscInt           nout[ODYN_LAYER_MAX_FACES];  /* set by setup */
  PetscInt           nparam;                      /* set by setup */
  PetscInt           slin[ODYN_LAYER_MAX_FACES];  /* examples at the last linearization; -1 before the first */
  PetscBool          setupcalled;
  PetscBool          jacinplace;                  /* jacx and jacxt may take out == their input (nin == nout): each reads
                                                     the rows it writes first; forward Euler then skips a copy per step */
  void              *data;
};

/* the dense parameters [map(kappa_j) | b_j] of an affine layer with a parameter map (antisym, negdef), their tangent and
   the gradient mapped back, for a backend that runs dense blocks (src/layers/impls/affine.c) */
typedef enum {
  ODYN_AFFINE_MAP,
  ODYN_AFFINE_DMAP,
  ODYN_AFFINE_DMAPT
} OdynAffineMode;
PETSC_INTERN PetscErrorCode OdynLayerAffineDenseParameters_Private(OdynLayer, PetscInt, OdynAffineMode, const PetscScalar *, const PetscScalar *, PetscScalar *);

#endif
