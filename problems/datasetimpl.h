#ifndef ODYN_DATASETIMPL_H
#define ODYN_DATASETIMPL_H

/* Private to problems/: the layout of OdynDataset. Everything else uses the accessors in include/odyndata.h. */
#include <petsc/private/petscimpl.h>
#include <odyndata.h>

/* A data set has a single implementation; the ops table exists because PETSCHEADER needs one. */
typedef struct _OdynDatasetOps *OdynDatasetOps;
struct _OdynDatasetOps {
  PetscErrorCode (*view)(OdynDataset, PetscViewer);
};

struct _p_OdynDataset {
  PETSCHEADER(struct _OdynDatasetOps);
  PetscInt  nf;       /* feature width: rows of the feature matrix */
  PetscInt  nc;       /* number of classes; labels are 0 .. nc-1 */
  PetscInt  n;        /* local number of examples */
  PetscInt  N;        /* global number of examples */
  PetscInt  rstart;   /* global index of the first local example */
  Vec       X;        /* features, local length nf * n, block size nf */
  PetscInt *labels;   /* n labels */
  Vec       T;        /* regression targets (nc values per example, like X with block size nc), or NULL: see OdynDatasetSetTargets() */
  PetscBool sizesset; /* OdynDatasetSetSizes() was called */
  PetscInt  img[3];   /* image shape n1 (fastest), n2, channels with n1 n2 nch = nf; all 0: not images */
};

/* Checks that the sizes are set, with a message naming the function that needs them. */
#define OdynDatasetCheckSizes(ds, fn) \
  PetscCheck((ds)->sizesset, PetscObjectComm((PetscObject)(ds)), PETSC_ERR_ARG_WRONGSTATE, "%s: the data set has no sizes yet: call OdynDatasetSetSizes() or create it with OdynProblemCreate() / OdynDatasetReadCSV()", fn)

/* Sequential copy of all examples on rank 0 (arrays of length nf*N and N there, NULL elsewhere); free with PetscFree. */
PETSC_INTERN PetscErrorCode OdynDatasetGatherToZero(OdynDataset, PetscScalar **, PetscInt **);
/* Inverse: distributes the arrays held by rank 0 (ignored elsewhere) over the already sized data set. */
PETSC_INTERN PetscErrorCode OdynDatasetScatterFromZero(OdynDataset, const PetscScalar *, const PetscInt *);

/* The labels file of an IDX images file: "images" -> "labels", "idx3" -> "idx1" in its name (problems/idx.c). */
PETSC_INTERN PetscErrorCode OdynDatasetIDXLabelsName(MPI_Comm, const char[], char[], size_t);

/* Helpers shared by the generators (problems/problem.c). */
/* perm = a random permutation of 0 .. n-1 (Fisher-Yates, drawing n-1 uniforms from rnd). */
PETSC_INTERN PetscErrorCode OdynProblemRandomPermutation(PetscRandom, PetscInt, PetscInt[]);
/* Makes train and val from the global arrays X (nf x N) and labels, selecting the given global indices in order. */
PETSC_INTERN PetscErrorCode OdynProblemSplit(MPI_Comm, PetscInt, PetscInt, const PetscScalar[], const PetscInt[], PetscInt, const PetscInt[], PetscInt, const PetscInt[], OdynDataset *, OdynDataset *);

#endif
