#ifndef ODYN_SCHEMEBACKEND_H
#define ODYN_SCHEMEBACKEND_H

/* What a block on a compute backend is, for its sweeps (src/schemes/schemebackend.c): the family of the table's
   operations it runs, its sizes and the map of its parameters to those the sweeps run with, described once
   (src/schemes/schemebackendblock.c) so that each sweep is one call per kind. */
#include <odyn/private/schemeimpl.h>
#include <odyn/private/layerimpl.h>
#include <odyn/private/backend.h>

/* the blocks a backend runs, each with its family of operations (include/odyn/private/backend.h) */
typedef enum {
  ODYN_BLOCK_EULER,          /* euler, layer dense, antisym or negdef: dense_euler_* */
  ODYN_BLOCK_PARABOLIC,      /* euler, layer symmetric: dense_parabolic_* */
  ODYN_BLOCK_LEAPFROG,       /* leapfrog, layer dense, antisym or negdef: dense_leapfrog_* */
  ODYN_BLOCK_VERLET,         /* verlet, layer hamiltonian: dense_verlet_* */
  ODYN_BLOCK_CONV_SINGLE,    /* single, layer conv (the opening layer): conv_single_* */
  ODYN_BLOCK_CONV_EULER,     /* euler, layer conv or convantisym: conv_euler_* */
  ODYN_BLOCK_CONV_PARABOLIC, /* euler, layer convsymmetric (the parabolic CNN): conv_parabolic_* */
  ODYN_BLOCK_CONV_LEAPFROG,  /* leapfrog, layer conv or convsymmetric (the second-order CNN): conv_leapfrog_* */
  ODYN_BLOCK_CONV_VERLET,    /* verlet, layer convhamiltonian (the Hamiltonian CNN): conv_verlet_* */
  ODYN_BLOCK_GLOBALAVG       /* single, layer globalavg (each channel's average): the table's gemm with a ones vector */
} OdynBlockKind;

/* how the parameters the sweeps run with come from theta */
typedef enum {
  ODYN_BLOCK_THETA,       /* theta itself */
  ODYN_BLOCK_AFFINE,      /* a dense block of layer antisym or negdef: the dense weights map(kappa_j) (affine.c) */
  ODYN_BLOCK_CONVANTISYM  /* the effective stencils (K_j - adj K_j - gamma I)/2 of layer convantisym (convcore.c) */
} OdynBlockParamMap;

/*
   A block on a backend, after its set-up. Sizes per example: n the state width (component 0) and m the second one
   (Verlet: Z; single: the output Y_1; parabolic: the rows of K_j, not a state); conv blocks also c and cm, the
   channels of Y and of the second field (Z, K * Y; single: cin and cout; conv Euler: cm = c; globalavg: c = cm, its
   output m = c), on ih x iw pixels (the input's; a pooled single block's output has ih/2 x iw/2).
*/
typedef struct {
  OdynBlockKind     kind;
  OdynBlockParamMap map;
  PetscReal         gamma; /* ODYN_BLOCK_CONVANTISYM: the layer's shift */
  PetscBool         rev;   /* states recomputed (Verlet or leapfrog, -odyn_scheme_trajectory recompute) */
  PetscBool         shared; /* shared weights: theta holds one step's parameters, the sweeps run with N copies */
  int               sym;   /* ODYN_BLOCK_CONV_LEAPFROG: layer convsymmetric (F = -K^T tanh(K Y + b)), else conv */
  int               pool;  /* ODYN_BLOCK_CONV_SINGLE: 2x2 average pooling after the activation (a connector) */
  long              k;     /* conv: the stencils' size (3; ODYN_BLOCK_CONV_SINGLE: 1 or 3) */
  double            eps;   /* ODYN_BLOCK_CONV_PARABOLIC, _LEAPFROG, _VERLET: the TV normalization's eps (0: none) */
  int               act;   /* the layer's activation as the table's act (ODYN_PW_*: identity, tanh, relu); globalavg: unused */
  long              n, m, c, cm, ih, iw, N;
  double            h; /* T / N */
} OdynBlock;

PETSC_INTERN PetscErrorCode OdynSchemeBackendDescribe_Private(OdynScheme, OdynBlock *);
PETSC_INTERN PetscErrorCode OdynSchemeBackendRunnable_Private(OdynScheme, const OdynBackendOps *, const OdynBlock *);
PETSC_INTERN long           OdynBlockLinSize_Private(const OdynBackendOps *, const OdynBlock *, long);
PETSC_INTERN PetscBool      OdynSchemeBackendReversible_Private(OdynScheme);
PETSC_INTERN PetscErrorCode OdynBlockMapParameters_Private(OdynScheme, const OdynBlock *, OdynAffineMode, const PetscScalar *, const PetscScalar *, PetscScalar *, const PetscScalar **);
PETSC_INTERN PetscErrorCode OdynBlockGradientAdd_Private(OdynScheme, const OdynBlock *, const PetscScalar *, PetscScalar *, PetscScalar *);
PETSC_INTERN PetscInt       OdynBlockSweepParams_Private(const OdynBlock *, PetscInt);

#endif
