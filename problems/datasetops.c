/*
  OdynDataset operations that move data: feature duplication, subsets (train/validation splits and random batches),
  and the gather to / scatter from rank 0 behind the CSV I/O.
*/
#include "datasetimpl.h"

/*@
   OdynDatasetDuplicateFeatures - widens the features by stacking `factor` copies of each example's features

   Collective

   Input Parameters:
+  ds - the data set
-  factor - number of copies, >= 1; the new width is factor * nf

   Level: intermediate

   Notes:
   Example y (nf entries) becomes [y; y; ...; y] (factor * nf entries). The paper widens the 2-D inputs this way
   when a ResNet needs more width than the data have (001 Sec. 6.2: swiss roll with n = 4; Sec. 6.3: peaks with n = 8),
   while the Verlet networks use the original n = 2. The features Vec is replaced: a Vec obtained earlier from
   OdynDatasetGetFeatures() keeps the old features. Option -odyn_problem_duplicate of OdynProblemCreate() calls this.

.seealso: `OdynDatasetGetFeatures()`, `OdynProblemCreate()`
@*/
PetscErrorCode OdynDatasetDuplicateFeatures(OdynDataset ds, PetscInt factor)
{
  Vec                Y;
  const PetscScalar *x;
  PetscScalar       *y;
  const PetscInt     nf = ds->nf;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  PetscValidLogicalCollectiveInt(ds, factor, 2);
  OdynDatasetCheckSizes(ds, "OdynDatasetDuplicateFeatures");
  PetscCheck(factor >= 1, PetscObjectComm((PetscObject)ds), PETSC_ERR_ARG_OUTOFRANGE, "OdynDatasetDuplicateFeatures: the factor must be >= 1, got %" PetscInt_FMT, factor);
  if (factor == 1) PetscFunctionReturn(0);
  PetscCall(VecCreate(PetscObjectComm((PetscObject)ds), &Y));
  PetscCall(VecSetSizes(Y, factor * nf * ds->n, factor * nf * ds->N));
  PetscCall(VecSetBlockSize(Y, factor * nf));
  PetscCall(VecSetType(Y, VECSTANDARD));
  PetscCall(VecGetArrayRead(ds->X, &x));
  PetscCall(VecGetArrayWrite(Y, &y));
  for (PetscInt i = 0; i < ds->n; i++)
    for (PetscInt r = 0; r < factor; r++) PetscCall(PetscArraycpy(y + (i * factor + r) * nf, x + i * nf, nf));
  PetscCall(VecRestoreArrayWrite(Y, &y));
  PetscCall(VecRestoreArrayRead(ds->X, &x));
  PetscCall(VecDestroy(&ds->X));
  ds->X  = Y;
  ds->nf = factor * nf;
  ds->img[2] *= factor; /* [y; y; ...] of planar images: the copies are more channels */
  PetscFunctionReturn(0);
}

/* Vec of the local labels as scalars (exact below 2^53), so that a VecScatter can move them with the features. */
static PetscErrorCode LabelsToVec(OdynDataset ds, Vec *L)
{
  PetscScalar *l;

  PetscFunctionBegin;
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)ds), ds->n, ds->N, L));
  PetscCall(VecGetArrayWrite(*L, &l));
  for (PetscInt i = 0; i < ds->n; i++) l[i] = (PetscScalar)ds->labels[i];
  PetscCall(VecRestoreArrayWrite(*L, &l));
  PetscFunctionReturn(0);
}

static PetscErrorCode LabelsFromVec(OdynDataset ds, Vec L)
{
  const PetscScalar *l;

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(L, &l));
  for (PetscInt i = 0; i < ds->n; i++) ds->labels[i] = (PetscInt)PetscRealPart(l[i]);
  PetscCall(VecRestoreArrayRead(L, &l));
  PetscFunctionReturn(0);
}

/* Cheap check that every rank passed the same index list: max over ranks of (v, ~v) tells whether all v agree. */
static PetscErrorCode CheckSameOnAllRanks(MPI_Comm comm, PetscInt m, const PetscInt idx[], PetscBool *same)
{
  unsigned long long v[4], h = 1469598103934665603ULL;

  PetscFunctionBegin;
  for (PetscInt j = 0; j < m; j++) h = (h ^ (unsigned long long)idx[j]) * 1099511628211ULL; /* FNV-1a over the indices */
  v[0] = (unsigned long long)m;
  v[1] = ~v[0];
  v[2] = h;
  v[3] = ~h;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, v, 4, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm));
  *same = (v[0] == ~v[1] && v[2] == ~v[3]) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetCreateSubset - creates the data set of the examples with the given global indices, in the given order

   Collective

   Input Parameters:
+  ds - the data set
.  m - number of selected examples (the same on every rank)
-  idx - the m global indices, each in 0 .. N-1, the SAME list on every rank; repeats are allowed

   Output Parameter:
.  sub - a new data set of m examples with the same nf and nc; example j of sub is example idx[j] of ds

   Level: intermediate

   Notes:
   Use it for train/validation splits and for random batches drawn from a global permutation seeded identically on
   every rank (so that runs on 1 and on p ranks select the same examples). Rank r of sub owns a contiguous share of
   the selected examples, split as PetscSplitOwnership() does, whichever rank owned them in ds; the data move with a
   VecScatter. That all ranks passed the same list is checked with a hash.

.seealso: `OdynDatasetGetOwnershipRange()`, `OdynProblemCreate()`
@*/
PetscErrorCode OdynDatasetCreateSubset(OdynDataset ds, PetscInt m, const PetscInt idx[], OdynDataset *sub)
{
  MPI_Comm    comm;
  OdynDataset s;
  IS          isx, isl;
  VecScatter  sc;
  Vec         L, Ls;
  PetscBool   same;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  if (m) PetscValidIntPointer(idx, 3);
  PetscValidPointer(sub, 4);
  OdynDatasetCheckSizes(ds, "OdynDatasetCreateSubset");
  comm = PetscObjectComm((PetscObject)ds);
  PetscCheck(m >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynDatasetCreateSubset: the number of selected examples must be >= 0, got %" PetscInt_FMT, m);
  PetscCall(CheckSameOnAllRanks(comm, m, idx, &same));
  PetscCheck(same, comm, PETSC_ERR_ARG_WRONG, "OdynDatasetCreateSubset: the ranks passed different index lists; every rank must pass the same global list (draw it from a random stream seeded identically on every rank)");
  for (PetscInt j = 0; j < m; j++) PetscCheck(idx[j] >= 0 && idx[j] < ds->N, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynDatasetCreateSubset: index %" PetscInt_FMT " of the list is %" PetscInt_FMT ", expected 0 .. %" PetscInt_FMT, j, idx[j], ds->N - 1);
  PetscCall(OdynDatasetCreate(comm, &s));
  PetscCall(OdynDatasetSetSizes(s, ds->nf, ds->nc, PETSC_DECIDE, m));
  PetscCall(PetscArraycpy(s->img, ds->img, 3));
  /* this rank receives the selected examples [s->rstart, s->rstart + s->n); blocks of nf entries are whole examples */
  PetscCall(ISCreateBlock(comm, ds->nf, s->n, m ? idx + s->rstart : NULL, PETSC_USE_POINTER, &isx));
  PetscCall(VecScatterCreate(ds->X, isx, s->X, NULL, &sc));
  PetscCall(VecScatterBegin(sc, ds->X, s->X, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, ds->X, s->X, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(ISDestroy(&isx));
  PetscCall(LabelsToVec(ds, &L));
  PetscCall(VecCreateMPI(comm, s->n, m, &Ls));
  PetscCall(ISCreateGeneral(comm, s->n, m ? idx + s->rstart : NULL, PETSC_USE_POINTER, &isl));
  PetscCall(VecScatterCreate(L, isl, Ls, NULL, &sc));
  PetscCall(VecScatterBegin(sc, L, Ls, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, L, Ls, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(LabelsFromVec(s, Ls));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(ISDestroy(&isl));
  PetscCall(VecDestroy(&L));
  PetscCall(VecDestroy(&Ls));
  if (ds->T) { /* regression targets move like the features, in blocks of nc */
    Vec Ts;
    PetscCall(VecCreate(comm, &Ts));
    PetscCall(VecSetSizes(Ts, ds->nc * s->n, ds->nc * m));
    PetscCall(VecSetType(Ts, VECSTANDARD));
    PetscCall(ISCreateBlock(comm, ds->nc, s->n, m ? idx + s->rstart : NULL, PETSC_USE_POINTER, &isx));
    PetscCall(VecScatterCreate(ds->T, isx, Ts, NULL, &sc));
    PetscCall(VecScatterBegin(sc, ds->T, Ts, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sc, ds->T, Ts, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterDestroy(&sc));
    PetscCall(ISDestroy(&isx));
    PetscCall(OdynDatasetSetTargets(s, Ts));
    PetscCall(VecDestroy(&Ts));
  }
  *sub = s;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynDatasetGatherToZero(OdynDataset ds, PetscScalar **X, PetscInt **labels)
{
  VecScatter         sc;
  Vec                X0, L, L0;
  PetscMPIInt        rank;
  const PetscScalar *a;

  PetscFunctionBegin;
  *X      = NULL;
  *labels = NULL;
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)ds), &rank));
  PetscCall(VecScatterCreateToZero(ds->X, &sc, &X0));
  PetscCall(VecScatterBegin(sc, ds->X, X0, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, ds->X, X0, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(LabelsToVec(ds, &L));
  PetscCall(VecScatterCreateToZero(L, &sc, &L0));
  PetscCall(VecScatterBegin(sc, L, L0, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, L, L0, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterDestroy(&sc));
  if (rank == 0) {
    PetscCall(PetscMalloc2(ds->nf * ds->N, X, ds->N, labels));
    PetscCall(VecGetArrayRead(X0, &a));
    PetscCall(PetscArraycpy(*X, a, ds->nf * ds->N));
    PetscCall(VecRestoreArrayRead(X0, &a));
    PetscCall(VecGetArrayRead(L0, &a));
    for (PetscInt i = 0; i < ds->N; i++) (*labels)[i] = (PetscInt)PetscRealPart(a[i]);
    PetscCall(VecRestoreArrayRead(L0, &a));
  }
  PetscCall(VecDestroy(&X0));
  PetscCall(VecDestroy(&L));
  PetscCall(VecDestroy(&L0));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynDatasetScatterFromZero(OdynDataset ds, const PetscScalar *X, const PetscInt *labels)
{
  VecScatter   sc;
  Vec          X0, L, L0;
  PetscMPIInt  rank;
  PetscScalar *a;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)ds), &rank));
  PetscCall(VecScatterCreateToZero(ds->X, &sc, &X0));
  if (rank == 0) {
    PetscCall(VecGetArrayWrite(X0, &a));
    PetscCall(PetscArraycpy(a, X, ds->nf * ds->N));
    PetscCall(VecRestoreArrayWrite(X0, &a));
  }
  PetscCall(VecScatterBegin(sc, X0, ds->X, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterEnd(sc, X0, ds->X, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&X0));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)ds), ds->n, ds->N, &L));
  PetscCall(VecScatterCreateToZero(L, &sc, &L0));
  if (rank == 0) {
    PetscCall(VecGetArrayWrite(L0, &a));
    for (PetscInt i = 0; i < ds->N; i++) a[i] = (PetscScalar)labels[i];
    PetscCall(VecRestoreArrayWrite(L0, &a));
  }
  PetscCall(VecScatterBegin(sc, L0, L, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterEnd(sc, L0, L, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(LabelsFromVec(ds, L));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&L0));
  PetscCall(VecDestroy(&L));
  PetscFunctionReturn(0);
}
