#ifndef ODYN_SCHEMEIMPL_H
#define ODYN_SCHEMEIMPL_H

#include <petsc/private/petscimpl.h>
#include <odynscheme.h>
#include <odyn/private/settingsimpl.h>
#include <odyn/private/layerimpl.h>

PETSC_EXTERN PetscBool     OdynSchemeRegisterAllCalled;
PETSC_EXTERN PetscLogEvent ODYN_SchemeForward, ODYN_SchemeTangent, ODYN_SchemeAdjoint;

/*
   The ops table of a scheme. One implementation file holds the forward, tangent and adjoint step of its scheme.

   Required: forward, tangent, adjoint.
   Optional: setup (checks that the layer fits and sets ncomp, nstate, and nextra: the scheme's own parameters per step,
   stored after the layer's in each time slot, see OdynSchemeExtraOffset_Private()), setfromoptions, reverse (reversible schemes: given the states
   rev[] at step k+1, overwrite them with the states at step k; its presence is what makes a scheme reversible),
   view, destroy, settings (appends every type-specific setting as the option its setfromoptions reads, with
   OdynSettingsAppend(), so that a model file can rebuild the scheme: OdynSchemeGetSettings(); required of every type
   whose setfromoptions reads an option).

   The generic code (scheme.c) owns the storage. State k (k = 0..N) of component c (Y; Z for Verlet) is found with
   OdynSchemeState_Private(): with ODYN_TRAJECTORY_STORE all N+1 states are kept; with ODYN_TRAJECTORY_RECOMPUTE
   only state 0 and a ring of two slots, so that memory does not grow with N. The adjoint sweep walks backwards
   with OdynSchemeBackwardState_Private(), which either returns the stored state or calls `reverse` on a private
   copy of the final states (the stored final states stay intact for the next sweep).
*/
typedef struct _OdynSchemeOps *OdynSchemeOps;
struct _OdynSchemeOps {
  PetscErrorCode (*setup)(OdynScheme);
  PetscErrorCode (*forward)(OdynScheme, const PetscScalar *);
  PetscErrorCode (*tangent)(OdynScheme, const PetscScalar *, const PetscScalar *, const PetscScalar *, PetscScalar *);
  PetscErrorCode (*adjoint)(OdynScheme, const PetscScalar *, const PetscScalar *, PetscScalar *, PetscScalar *);
  PetscErrorCode (*reverse)(OdynScheme, const PetscScalar *, PetscInt, PetscScalar **, PetscScalar *);
  PetscErrorCode (*setfromoptions)(OdynScheme, PetscOptionItems *);
  PetscErrorCode (*view)(OdynScheme, PetscViewer);
  PetscErrorCode (*destroy)(OdynScheme);
  PetscErrorCode (*settings)(OdynScheme, char[], size_t);
};

#define ODYN_SCHEME_MAX_COMPONENTS 2
#define ODYN_SCHEME_NUM_WORK       4

struct _p_OdynScheme {
  PETSCHEADER(struct _OdynSchemeOps);
  OdynLayer          layer;
  PetscInt           N;        /* number of steps */
  PetscReal          T;        /* final time; h = T / N */
  OdynTrajectoryType trajtype;
  PetscInt           ncomp;    /* state components: 1 (Y) or 2 (Y, Z); set by setup */
  PetscInt           nstate[ODYN_SCHEME_MAX_COMPONENTS];
  PetscInt           outcomp;  /* component that leaves the block, set by setup: 0, or 1 for single (output width differs) */
  PetscBool          onestep;  /* set by setup: the block applies its layer once (single); depth refinement leaves it be */
  PetscInt           nparam;   /* parameters of the whole block: nshared + N * nslot */
  /* parameter layout (see OdynSchemeGetParameterLayout()): theta_block = [shared | slot_0 | ... | slot_{N-1}], slot_j =
     [layer parameters of step j (absent with shared weights) | nextra scheme parameters of step j] */
  PetscBool          shared;   /* option: one set of layer parameters for all steps */
  PetscInt           nextra;   /* scheme parameters per step (LM-ResNet k_j, FSI alpha_j, ...); set by the type's setup */
  PetscInt           nshared, nslot;
  /* storage, managed by scheme.c */
  PetscInt           s;        /* examples of the current trajectory (a rank may hold none) */
  PetscBool          hastraj;  /* a forward sweep has filled the trajectory */
  PetscInt           salloc;   /* examples the buffers were allocated for */
  PetscScalar       *traj[ODYN_SCHEME_MAX_COMPONENTS];
  PetscScalar       *work[ODYN_SCHEME_NUM_WORK]; /* scratch states of the largest component size, for the sweeps */
  PetscScalar       *rev[ODYN_SCHEME_MAX_COMPONENTS]; /* RECOMPUTE: states regenerated backwards */
  PetscScalar       *revbuf[ODYN_SCHEME_MAX_COMPONENTS];
  PetscScalar       *revwork;  /* RECOMPUTE: scratch of `reverse` */
  PetscInt           revk;     /* step the rev[] states belong to */
  PetscBool          cachelin;                        /* option: keep the layer's linearization of every step */
  PetscScalar       *lin[ODYN_LAYER_MAX_FACES];       /* STORE + cachelin: N saved linearizations per face */
  PetscInt           linlen[ODYN_LAYER_MAX_FACES];    /* scalars per step for the current s; 0: not cached */
  PetscBool          linfilled;                       /* a derivative sweep since the last forward saved them all */
  PetscBool          setupcalled;
  void              *data;
  /* compute backend (docs/gpu.md, schemebackend.c): NULL runs the sweeps of the type on the host (the direct path);
     else the block hands whole sweeps to the table's dense_euler_* / dense_verlet_* operations, its states in the
     backend's memory (bk) */
  const OdynBackendOps           *backend;
  struct _OdynSchemeBackendStore *bk;
  PetscLogDouble                  bktodevice, bktohost; /* bytes copied host -> backend and back by the block's sweeps
                                                           since it was created (kept when its storage is freed) */
};

/* The sweeps on a backend (schemebackend.c; which blocks qualify: schemebackendblock.c): whether a block qualifies
   (why[]: what it is), the set-up's check (a PETSC_ERR_SUP error naming the block), the table without the collective
   look-up, the backend storage, the sweeps. */
PETSC_INTERN PetscErrorCode OdynSchemeBackendSupported_Private(OdynScheme, PetscBool *, char[], size_t);
/* what runs on a backend, for the error messages of schemebackend.c and net.c */
#define ODYN_BACKEND_SUPPORTED_BLOCKS "blocks with activation tanh, relu or identity (shared weights or not): of scheme euler with layer dense, antisym, negdef or symmetric, of scheme leapfrog with layer dense, antisym or negdef, of scheme verlet with layer hamiltonian, of scheme euler with layer conv or convantisym (3x3 stencils, as many output as input channels, no pooling, TV normalization or none) or convsymmetric (3x3 stencils, c and m channels, TV normalization or none), of scheme single with layer conv (the opening layer and the connectors: 1x1 or 3x3 stencils, cin -> cout channels, 2x2 average pooling or none, TV normalization or none), of scheme verlet with layer convhamiltonian (3x3 stencils, c and m channels, TV normalization or none), of scheme leapfrog with layer conv (c -> c channels) or convsymmetric (3x3 stencils, TV normalization or none, no pooling), and of scheme single with layer globalavg (the average of each channel, whatever its activation)"
PETSC_INTERN PetscErrorCode OdynSchemeBackendCheck_Private(OdynScheme);
PETSC_INTERN PetscErrorCode OdynSchemeSetBackendOps_Private(OdynScheme, const OdynBackendOps *);
PETSC_INTERN PetscErrorCode OdynSchemeBackendFree_Private(OdynScheme);
PETSC_INTERN PetscErrorCode OdynSchemeBackendView_Private(OdynScheme, PetscViewer);
/* exported (not PETSC_INTERN) for tests/test_netchain.c, which checks what crossed */
PETSC_EXTERN PetscErrorCode OdynSchemeBackendGetTraffic_Private(OdynScheme, PetscLogDouble *, PetscLogDouble *);
/* The sweeps on a backend; devin (may be NULL) is the input already in the block's backend memory (the neighbouring
   block's output, OdynSchemeBackendGetOutput_Private(), or the loss's product), used instead of the host array */
PETSC_INTERN PetscErrorCode OdynSchemeForward_Backend_Private(OdynScheme, const PetscScalar *, PetscInt, const PetscScalar *, const double *, PetscScalar *);
PETSC_INTERN PetscErrorCode OdynSchemeTangent_Backend_Private(OdynScheme, const PetscScalar *, const PetscScalar *, const PetscScalar *, const double *, PetscScalar *);
PETSC_INTERN PetscErrorCode OdynSchemeAdjoint_Backend_Private(OdynScheme, const PetscScalar *, const PetscScalar *, const double *, PetscScalar *, PetscScalar *, PetscBool);
PETSC_INTERN PetscErrorCode OdynSchemeBackendGetOutput_Private(OdynScheme, const OdynBackendOps *, const double **);
/* The sweeps of OdynSchemeForward() / Tangent() / Adjoint() with the input in backend memory (net.c): devin as above
   (NULL: the host array, as the public functions); the adjoint's keep leaves gY0 in backend memory for the block
   before even when gY0 is NULL. devin needs a block on a backend. */
PETSC_INTERN PetscErrorCode OdynSchemeForwardChained_Private(OdynScheme, const PetscScalar *, PetscInt, const PetscScalar *, const double *, PetscScalar *);
PETSC_INTERN PetscErrorCode OdynSchemeTangentChained_Private(OdynScheme, const PetscScalar *, const PetscScalar *, const PetscScalar *, const double *, PetscScalar *);
PETSC_INTERN PetscErrorCode OdynSchemeAdjointChained_Private(OdynScheme, const PetscScalar *, const PetscScalar *, const double *, PetscScalar *, PetscScalar *, PetscBool);

/* Frees the trajectory and work storage (scheme.c); the sweeps (schemesweep.c) allocate it again on demand. */
PETSC_INTERN PetscErrorCode OdynSchemeFreeStorage_Private(OdynScheme);
PETSC_INTERN PetscScalar   *OdynSchemeState_Private(OdynScheme, PetscInt, PetscInt);
PETSC_INTERN PetscErrorCode OdynSchemeBackwardState_Private(OdynScheme, const PetscScalar *, PetscInt, PetscScalar **, PetscScalar **);
PETSC_INTERN PetscErrorCode OdynSchemeGetStepParameters_Private(OdynScheme, const PetscScalar *, PetscInt, const PetscScalar **);
/* offsets in the block's theta (or gradient) of the layer parameters and of the scheme's extra parameters of step j */
static inline size_t OdynSchemeStepOffset_Private(OdynScheme scheme, PetscInt j)
{
  return scheme->shared ? 0 : (size_t)scheme->nshared + (size_t)j * scheme->nslot;
}
static inline size_t OdynSchemeExtraOffset_Private(OdynScheme scheme, PetscInt j)
{
  return (size_t)scheme->nshared + (size_t)j * scheme->nslot + (size_t)(scheme->nslot - scheme->nextra);
}
/* Derivative sweeps linearize through LinearizeStep: the first sweep after a forward sweep linearizes and saves each
   step's linearization, later ones restore it (so the forward sweep, alone in prediction, pays nothing for this). */
PETSC_INTERN PetscErrorCode OdynSchemeLinearizeStep_Private(OdynScheme, PetscInt, const PetscScalar *, PetscInt, const PetscScalar *);

#endif
