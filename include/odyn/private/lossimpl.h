#ifndef ODYN_LOSSIMPL_H
#define ODYN_LOSSIMPL_H

#include <petsc/private/petscimpl.h>
#include <odynloss.h>

PETSC_EXTERN PetscBool     OdynLossRegisterAllCalled;
PETSC_EXTERN PetscLogEvent ODYN_LossEval, ODYN_LossHess;

/*
   The ops table is the contract between OdynLoss and its implementations. Implementations see only local, column-major
   arrays of s examples: Z = W^T Y + mu e^T (nc x s), targets C (nc x s). The interface does the GEMMs, the
   normalization 1/s_global and the sums over ranks.

   Required: value, hessmult.
   Optional: setup (check nf, nc), checktargets (default: accept anything), label (default: argmax of the column),
             setfromoptions, view, destroy.

   value(loss, s, Z, C, &sum, G): sum = sum_i S(z_i, c_i) over the s columns; if G is not NULL, G = dS/dZ (nc x s).
   hessmult(loss, s, Z, C, dZ, H): H = d^2 S/dZ^2 dZ columnwise (nc x s); H does not alias dZ.
   checktargets(loss, s, C, &bad, &badval): bad = first local column whose targets are invalid, or -1; badval the value.
   label(loss, s, A, istarget, lab): the class of each column of A; A holds scores Z (istarget false) or targets C.
   hypothesis(loss, s, Z, H): H = h(Z) columnwise, the model's output (class probabilities); H may be Z. Optional:
             without it the output is the scores themselves (lsq).
*/
typedef struct _OdynLossOps *OdynLossOps;
struct _OdynLossOps {
  PetscErrorCode (*setup)(OdynLoss);
  PetscErrorCode (*value)(OdynLoss, PetscInt, const PetscScalar *, const PetscScalar *, PetscReal *, PetscScalar *);
  PetscErrorCode (*hessmult)(OdynLoss, PetscInt, const PetscScalar *, const PetscScalar *, const PetscScalar *, PetscScalar *);
  PetscErrorCode (*checktargets)(OdynLoss, PetscInt, const PetscScalar *, PetscInt *, PetscScalar *);
  PetscErrorCode (*label)(OdynLoss, PetscInt, const PetscScalar *, PetscBool, PetscInt *);
  PetscErrorCode (*hypothesis)(OdynLoss, PetscInt, const PetscScalar *, PetscScalar *);
  PetscErrorCode (*setfromoptions)(OdynLoss, PetscOptionItems *);
  PetscErrorCode (*view)(OdynLoss, PetscViewer);
  PetscErrorCode (*destroy)(OdynLoss);
};

struct _p_OdynLoss {
  PETSCHEADER(struct _OdynLossOps);
  PetscInt    nf, nc;       /* features per example, classes */
  PetscBool   identity;     /* no classifier weights: Z = P Y, P the identity (nf = nc) or the channel average (nf = m nc) */
  PetscBool   interleaved;  /* the m channels are fastest (entry k of channel j at k m + j) instead of blocks of nc */
  PetscBool   setupcalled;
  const char *targetdesc;   /* what valid targets look like, for error messages (set by the implementation) */
  int         lossfn;       /* the implementation's per-example function in lossfn.h (ODYN_LOSSFN_*), which a backend
                               can evaluate; 0 (a type without one, e.g. registered by a user): the host evaluates it */
  /* data set by OdynLossSetData() */
  Vec         Y, C;
  PetscInt    s;            /* local examples */
  PetscInt    sglobal;      /* examples on all ranks: the loss is normalized by 1/sglobal ... */
  PetscInt    snorm;        /* ... or, when > 0, by 1/snorm: the data are a chunk of a sample of snorm examples
                               (OdynLossSetNormalization_Private(), solvers/bcd/chunks.c); OdynLossSetData() resets it */
  /* every rank's copy of wmu, of a direction, and the partial sums it accumulates */
  VecScatter  toall;
  Vec         wall, vall, hall;
  PetscInt    wrstart, wnlocal; /* layout the scatter was made for */
  /* the linearization point: Z = W^T Y + mu e^T at (wmu, Y), valid while the ids and states match */
  PetscBool        zvalid;
  PetscBool        zhost;   /* Z holds the scores: on a backend they are made in its memory and copied only on demand */
  PetscObjectId    wid, yid;
  PetscObjectState wstate, ystate;
  PetscScalar     *Z, *G, *T1, *T2;
  PetscInt         zcap, gcap, t1cap, t2cap;
  void            *data;
  /* compute backend of the products with the features (lossbackend.c, OdynLossSetBackend()): NULL, the host */
  const OdynBackendOps         *backend;
  struct _OdynLossBackendStore *bk;
};

PETSC_INTERN PetscErrorCode OdynLossResetData_Private(OdynLoss);
/* losseval.c, shared with losspredict.c: a weight-like Vec checked (and gathered into *all), the scores of features
   on the host, the linearization (cached scores at wmu and the data), its scores on the host, the backend check */
PETSC_INTERN PetscErrorCode OdynLossGather_Private(OdynLoss, Vec, const char *, PetscBool, Vec *);
PETSC_INTERN PetscErrorCode OdynLossScores_Private(OdynLoss, const PetscScalar *, PetscInt, const PetscScalar *, PetscScalar *);
PETSC_INTERN PetscErrorCode OdynLossLinearize_Private(OdynLoss, Vec);
PETSC_INTERN PetscErrorCode OdynLossScoresToHost_Private(OdynLoss);
PETSC_INTERN PetscErrorCode OdynLossCheckOnBackend_Private(OdynLoss, Vec);
/* A check whose failure on any rank fails on all of them (data errors must not leave the other ranks in a collective). */
#define OdynLossCheckAll(loss, ok, err, ...) \
  do { \
    PetscMPIInt ok_ = (ok) ? 1 : 0, allok_; \
    PetscCallMPI(MPI_Allreduce(&ok_, &allok_, 1, MPI_INT, MPI_MIN, PetscObjectComm((PetscObject)(loss)))); \
    PetscCheck(ok_, PETSC_COMM_SELF, err, __VA_ARGS__); \
    PetscCheck(allok_, PETSC_COMM_SELF, err, "OdynLoss: invalid data on another rank (see the error message of that rank)"); \
  } while (0)

/* lossbackend.c: the scores, the loss function and the products with the features in backend memory (host in and
   out where the arguments say so); the G buffer holds G of the last value or H_Z T of the last Hessian product */
PETSC_INTERN PetscErrorCode OdynLossBackendLinearize_Private(OdynLoss, const PetscScalar *);
PETSC_INTERN PetscErrorCode OdynLossBackendGetScores_Private(OdynLoss, PetscScalar *);
PETSC_INTERN PetscErrorCode OdynLossBackendValue_Private(OdynLoss, PetscReal, PetscBool, PetscReal *);
PETSC_INTERN PetscErrorCode OdynLossBackendWeightProduct_Private(OdynLoss, PetscScalar *);
PETSC_INTERN PetscErrorCode OdynLossBackendHessZWeights_Private(OdynLoss, const PetscScalar *, PetscReal);
PETSC_INTERN PetscErrorCode OdynLossBackendHessZFeatures_Private(OdynLoss, PetscInt, PetscInt, const double *, PetscReal);
PETSC_INTERN PetscErrorCode OdynLossBackendFeatureProduct_Private(OdynLoss, PetscInt, const double **);
PETSC_INTERN PetscErrorCode OdynLossBackendGetG_Private(OdynLoss, PetscScalar *);
PETSC_INTERN PetscErrorCode OdynLossBackendScoresOf_Private(OdynLoss, const PetscScalar *, const double *, PetscInt, PetscScalar *);
PETSC_INTERN PetscErrorCode OdynLossBackendFree_Private(OdynLoss);
/* losseval.c: the backend of the products with the features (NULL: host, or an identity classifier), and the features'
   Hessian product with dY and HdY in that backend's memory (the Gauss-Newton product of src/net/netloss.c) */
PETSC_EXTERN PetscErrorCode OdynLossGetBackendOps_Private(OdynLoss, const OdynBackendOps **);
PETSC_EXTERN PetscErrorCode OdynLossHessianMultFeaturesOnBackend_Private(OdynLoss, Vec, PetscInt, PetscInt, const double *, const double **);
PETSC_EXTERN PetscErrorCode OdynLossEvaluateOnBackend_Private(OdynLoss, Vec, PetscReal *, const double **);
PETSC_EXTERN PetscErrorCode OdynLossGetAccuracyOnBackend_Private(OdynLoss, Vec, const double *, Vec, PetscReal *);
/* losspredict.c: an accuracy summed over chunks of the examples (solvers/bcd/chunks.c) */
PETSC_EXTERN PetscErrorCode OdynLossCountCorrectOnBackend_Private(OdynLoss, Vec, const double *, PetscInt, const PetscScalar *, PetscInt[2]);
PETSC_EXTERN PetscErrorCode OdynLossAccuracyOfCounts_Private(OdynLoss, const PetscInt[2], PetscReal *);
/* lossbackend.c: the features' mirror from their copy in backend memory (the network's output, src/net/netloss.c) */
PETSC_EXTERN PetscErrorCode OdynLossBackendSetFeatures_Private(OdynLoss, PetscInt, PetscInt, const double *);
PETSC_INTERN PetscErrorCode OdynLossBackendView_Private(OdynLoss, PetscViewer);
/* exported (not PETSC_INTERN) for tests/test_lossbackend.c, which checks what crossed */
PETSC_EXTERN PetscErrorCode OdynLossBackendGetTraffic_Private(OdynLoss, PetscLogDouble *, PetscLogDouble *);

/* the number of examples the loss is normalized by: its data's, or the sample's its data are a chunk of */
static inline PetscInt OdynLossNormalization_Private(OdynLoss loss) { return loss->snorm > 0 ? loss->snorm : loss->sglobal; }
PETSC_INTERN PetscErrorCode OdynLossSetNormalization_Private(OdynLoss, PetscInt);

#endif
