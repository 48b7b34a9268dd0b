/*
  OdynDataset: labelled examples distributed by contiguous slices of examples. Life cycle, accessors, targets, view.
  Subsets, feature duplication and the gather/scatter used by the CSV I/O are in datasetops.c; CSV I/O in datasetcsv.c.
*/
#include "datasetimpl.h"

/*@
   OdynDatasetCreate - creates an empty data set; give it sizes with OdynDatasetSetSizes()

   Collective

   Input Parameter:
.  comm - the communicator over which the examples are distributed

   Output Parameter:
.  ds - the data set

   Level: beginner

   Notes:
   Most users get data sets from OdynProblemCreate(), OdynDatasetReadCSV() or OdynDatasetCreateFromGlobalArrays().

.seealso: `OdynDatasetSetSizes()`, `OdynDatasetGetFeatures()`, `OdynDatasetSetLabels()`, `OdynDatasetDestroy()`
@*/
PetscErrorCode OdynDatasetCreate(MPI_Comm comm, OdynDataset *ds)
{
  OdynDataset d;

  PetscFunctionBegin;
  PetscValidPointer(ds, 2);
  *ds = NULL;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscHeaderCreate(d, ODYNDATASET_CLASSID, "OdynDataset", "Labelled examples", "OdynDataset", comm, OdynDatasetDestroy, OdynDatasetView));
  *ds = d;
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetSetSizes - sets the feature width, the number of classes and the number of examples, and allocates them

   Collective

   Input Parameters:
+  ds - the data set
.  nf - feature width (rows of the feature matrix), >= 1
.  nc - number of classes, >= 1; labels are 0 .. nc-1
.  n - local number of examples, or PETSC_DECIDE
-  N - global number of examples, or PETSC_DETERMINE

   Level: intermediate

   Notes:
   Rank r owns the examples [start_r, end_r) with the split of PetscSplitOwnership() when n is PETSC_DECIDE.
   The features are zeroed and every label is 0; fill them through OdynDatasetGetFeatures() and OdynDatasetSetLabels().
   Calling it again discards the data (a Vec obtained before from OdynDatasetGetFeatures() is no longer the data set's).

.seealso: `OdynDatasetGetSizes()`, `OdynDatasetGetOwnershipRange()`
@*/
PetscErrorCode OdynDatasetSetSizes(OdynDataset ds, PetscInt nf, PetscInt nc, PetscInt n, PetscInt N)
{
  MPI_Comm comm;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  comm = PetscObjectComm((PetscObject)ds);
  PetscCheck(nf >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynDatasetSetSizes: the feature width nf must be >= 1, got %" PetscInt_FMT, nf);
  PetscCheck(nc >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynDatasetSetSizes: the number of classes nc must be >= 1, got %" PetscInt_FMT, nc);
  PetscCall(PetscSplitOwnership(comm, &n, &N));
  if (nf != ds->nf) PetscCall(PetscArrayzero(ds->img, 3)); /* an image shape describes nf features */
  PetscCall(VecDestroy(&ds->X));
  PetscCall(VecDestroy(&ds->T));
  PetscCall(PetscFree(ds->labels));
  ds->nf = nf;
  ds->nc = nc;
  ds->n  = n;
  ds->N  = N;
  PetscCallMPI(MPI_Scan(&n, &ds->rstart, 1, MPIU_INT, MPI_SUM, comm));
  ds->rstart -= n;
  PetscCall(VecCreate(comm, &ds->X));
  PetscCall(VecSetSizes(ds->X, nf * n, nf * N));
  PetscCall(VecSetBlockSize(ds->X, nf));
  PetscCall(VecSetType(ds->X, VECSTANDARD));
  PetscCall(VecZeroEntries(ds->X));
  PetscCall(PetscCalloc1(n, &ds->labels));
  ds->sizesset = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetGetSizes - gets the feature width, number of classes, local and global number of examples

   Not Collective

   Input Parameter:
.  ds - the data set

   Output Parameters (each may be NULL):
+  nf - feature width
.  nc - number of classes
.  n - local number of examples
-  N - global number of examples

   Level: beginner

.seealso: `OdynDatasetSetSizes()`, `OdynDatasetGetOwnershipRange()`
@*/
PetscErrorCode OdynDatasetGetSizes(OdynDataset ds, PetscInt *nf, PetscInt *nc, PetscInt *n, PetscInt *N)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  OdynDatasetCheckSizes(ds, "OdynDatasetGetSizes");
  if (nf) *nf = ds->nf;
  if (nc) *nc = ds->nc;
  if (n) *n = ds->n;
  if (N) *N = ds->N;
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetGetOwnershipRange - gets the global indices [start, end) of the examples this rank owns

   Not Collective

   Level: intermediate

.seealso: `OdynDatasetGetSizes()`, `OdynDatasetCreateSubset()`
@*/
PetscErrorCode OdynDatasetGetOwnershipRange(OdynDataset ds, PetscInt *start, PetscInt *end)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  OdynDatasetCheckSizes(ds, "OdynDatasetGetOwnershipRange");
  if (start) *start = ds->rstart;
  if (end) *end = ds->rstart + ds->n;
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetGetFeatures - gets the features Y0, a parallel Vec of local length nf * n (borrowed)

   Not Collective

   Input Parameter:
.  ds - the data set

   Output Parameter:
.  X - the features: example i (local) is X[i*nf .. i*nf + nf-1] of the local array (column-major nf x n)

   Level: beginner

   Notes:
   The Vec belongs to the data set: do not destroy it; PetscObjectReference() it to keep it beyond the data set's
   life. Its entries may be changed (e.g. to normalize the data). OdynDatasetDuplicateFeatures() replaces it.

.seealso: `OdynDatasetGetLabels()`, `OdynDatasetCreateTargets()`
@*/
PetscErrorCode OdynDatasetGetFeatures(OdynDataset ds, Vec *X)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  PetscValidPointer(X, 2);
  OdynDatasetCheckSizes(ds, "OdynDatasetGetFeatures");
  *X = ds->X;
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetSetLabels - copies the labels of the local examples into the data set

   Collective

   Input Parameters:
+  ds - the data set
-  labels - n labels (n the local number of examples), each in 0 .. nc-1

   Level: intermediate

   Notes:
   Collective so that a label out of range raises the same error on every rank; the message gives the global index
   of the first offending example.

.seealso: `OdynDatasetGetLabels()`, `OdynDatasetSetSizes()`
@*/
PetscErrorCode OdynDatasetSetLabels(OdynDataset ds, const PetscInt labels[])
{
  MPI_Comm comm;
  PetscInt bad = PETSC_MAX_INT, badval = PETSC_MIN_INT;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  OdynDatasetCheckSizes(ds, "OdynDatasetSetLabels");
  if (ds->n) PetscValidIntPointer(labels, 2);
  comm = PetscObjectComm((PetscObject)ds);
  for (PetscInt i = 0; i < ds->n; i++) {
    if (labels[i] < 0 || labels[i] >= ds->nc) {
      bad = ds->rstart + i;
      break;
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT, MPI_MIN, comm));
  if (bad != PETSC_MAX_INT) {
    /* only the owner knows the value; share it so that every rank reports the same message */
    if (bad >= ds->rstart && bad < ds->rstart + ds->n) badval = labels[bad - ds->rstart];
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &badval, 1, MPIU_INT, MPI_MAX, comm));
    SETERRQ(comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynDatasetSetLabels: example %" PetscInt_FMT " has label %" PetscInt_FMT ", labels must be in 0 .. %" PetscInt_FMT " (nc = %" PetscInt_FMT ")", bad, badval, ds->nc - 1, ds->nc);
  }
  PetscCall(PetscArraycpy(ds->labels, labels, ds->n));
  PetscFunctionReturn(0);
}

/*@C
   OdynDatasetGetLabels - gets the labels of the local examples (borrowed, read-only)

   Not Collective

   Output Parameter:
.  labels - n labels in 0 .. nc-1, valid until the data set is resized or destroyed

   Level: beginner

.seealso: `OdynDatasetSetLabels()`, `OdynDatasetCreateTargets()`
@*/
PetscErrorCode OdynDatasetGetLabels(OdynDataset ds, const PetscInt *labels[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  PetscValidPointer(labels, 2);
  OdynDatasetCheckSizes(ds, "OdynDatasetGetLabels");
  *labels = ds->labels;
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetCreateFromGlobalArrays - creates a data set from arrays holding all examples, identical on every rank

   Collective

   Input Parameters:
+  comm - the communicator
.  nf - feature width
.  nc - number of classes
.  N - global number of examples
.  X - all features, nf x N column-major (example i is X[i*nf .. i*nf+nf-1]), the same on every rank
-  labels - all N labels, the same on every rank

   Output Parameter:
.  ds - the data set; each rank copies its contiguous slice of the examples

   Level: intermediate

   Notes:
   This is how the generators make data that do not depend on the number of ranks: every rank draws the whole data
   set from the same seeded random stream and keeps its slice. For large data read on one rank, use
   OdynDatasetReadCSV() or OdynDatasetSetSizes() with the local data instead.

.seealso: `OdynDatasetCreate()`, `OdynProblemRegister()`
@*/
PetscErrorCode OdynDatasetCreateFromGlobalArrays(MPI_Comm comm, PetscInt nf, PetscInt nc, PetscInt N, const PetscScalar X[], const PetscInt labels[], OdynDataset *ds)
{
  OdynDataset  d;
  PetscScalar *x;

  PetscFunctionBegin;
  PetscValidPointer(ds, 7);
  PetscCheck(N >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynDatasetCreateFromGlobalArrays: the number of examples must be >= 0, got %" PetscInt_FMT, N);
  PetscCall(OdynDatasetCreate(comm, &d));
  PetscCall(OdynDatasetSetSizes(d, nf, nc, PETSC_DECIDE, N));
  PetscCall(VecGetArrayWrite(d->X, &x));
  PetscCall(PetscArraycpy(x, X + nf * d->rstart, nf * d->n));
  PetscCall(VecRestoreArrayWrite(d->X, &x));
  PetscCall(OdynDatasetSetLabels(d, labels + d->rstart));
  *ds = d;
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetGetClassCounts - counts the examples of each class over all ranks

   Collective

   Output Parameter:
.  counts - nc entries, counts[c] = number of examples with label c (the same on every rank)

   Level: intermediate

.seealso: `OdynDatasetGetLabels()`
@*/
PetscErrorCode OdynDatasetGetClassCounts(OdynDataset ds, PetscInt counts[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  PetscValidIntPointer(counts, 2);
  OdynDatasetCheckSizes(ds, "OdynDatasetGetClassCounts");
  PetscCall(PetscArrayzero(counts, ds->nc));
  for (PetscInt i = 0; i < ds->n; i++) counts[ds->labels[i]]++;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, counts, (PetscMPIInt)ds->nc, MPIU_INT, MPI_SUM, PetscObjectComm((PetscObject)ds)));
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetCreateTargets - creates the targets C of the loss: one-hot class indicators or Bernoulli {0,1} targets

   Collective

   Input Parameters:
+  ds - the data set
-  bernoulli - PETSC_FALSE: one-hot, nc x n (softmax, least squares); PETSC_TRUE: 1 x n with entries equal to the
               labels, for logistic regression of two classes (requires nc = 2)

   Output Parameter:
.  C - a new parallel Vec, laid out like the features (one example per column, block size nc or 1); the caller
       destroys it

   Level: beginner

   Notes:
   These are the c^i of the learning problem (001 eq. 2.4): the hypothesis functions of eq. 2.2 (logistic) and 2.3
   (softmax) are compared with them. A data set with regression targets (OdynDatasetSetTargets()) gives a copy of
   those instead (nc x n; bernoulli must be PETSC_FALSE), for the least-squares loss.

.seealso: `OdynDatasetGetLabels()`, `OdynDatasetGetFeatures()`
@*/
PetscErrorCode OdynDatasetCreateTargets(OdynDataset ds, PetscBool bernoulli, Vec *C)
{
  MPI_Comm     comm;
  PetscInt     rows;
  PetscScalar *c;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  PetscValidPointer(C, 3);
  OdynDatasetCheckSizes(ds, "OdynDatasetCreateTargets");
  comm = PetscObjectComm((PetscObject)ds);
  if (ds->T) {
    PetscCheck(!bernoulli, comm, PETSC_ERR_ARG_INCOMP, "OdynDatasetCreateTargets: the data set holds regression targets (OdynDatasetSetTargets()), not classes: Bernoulli (logistic) targets make no sense; use the lsq loss");
    PetscCall(VecDuplicate(ds->T, C));
    PetscCall(VecCopy(ds->T, *C));
    PetscFunctionReturn(0);
  }
  PetscCheck(!bernoulli || ds->nc == 2, comm, PETSC_ERR_ARG_INCOMP, "OdynDatasetCreateTargets: Bernoulli (logistic) targets need 2 classes, the data set has %" PetscInt_FMT ": use one-hot targets (softmax)", ds->nc);
  rows = bernoulli ? 1 : ds->nc;
  PetscCall(VecCreate(comm, C));
  PetscCall(VecSetSizes(*C, rows * ds->n, rows * ds->N));
  PetscCall(VecSetBlockSize(*C, rows));
  PetscCall(VecSetType(*C, VECSTANDARD));
  PetscCall(VecZeroEntries(*C));
  PetscCall(VecGetArray(*C, &c));
  for (PetscInt i = 0; i < ds->n; i++) {
    if (bernoulli) c[i] = (PetscScalar)ds->labels[i];
    else c[ds->labels[i] + rows * i] = 1.0;
  }
  PetscCall(VecRestoreArray(*C, &c));
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetSetTargets - gives the data set real-valued (regression) targets, e.g. the clean signals of a denoising problem

   Collective

   Input Parameters:
+  ds - the data set, sized
-  T - the targets: a parallel Vec of local length nc * n (nc values per local example, in the order of the
       examples), e.g. from VecDuplicate() of the features when nc = nf; NULL removes the targets

   Level: intermediate

   Notes:
   The values are copied (T stays the caller's). With targets, nc counts the target values per example (the rows of
   the loss's targets and its OdynLossSetNumClasses()) rather than classes; the labels are not used and stay 0.
   OdynDatasetCreateTargets() then returns a copy of T, and OdynDatasetCreateSubset() carries the targets along, so a
   trainer draws batches of (features, targets) pairs as it does for labels. NaN and Inf targets are refused.

.seealso: `OdynDatasetGetTargets()`, `OdynDatasetCreateTargets()`, `OdynProblemDenoise1DCreate()`, `ODYNLOSSLSQ`
@*/
PetscErrorCode OdynDatasetSetTargets(OdynDataset ds, Vec T)
{
  MPI_Comm  comm;
  PetscInt  nloc, N;
  PetscReal nrm;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  OdynDatasetCheckSizes(ds, "OdynDatasetSetTargets");
  comm = PetscObjectComm((PetscObject)ds);
  PetscCall(VecDestroy(&ds->T));
  if (!T) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(T, VEC_CLASSID, 2);
  PetscCall(VecGetLocalSize(T, &nloc));
  PetscCall(VecGetSize(T, &N));
  PetscCheck(N == ds->nc * ds->N, comm, PETSC_ERR_ARG_SIZ, "OdynDatasetSetTargets: the targets have global length %" PetscInt_FMT " but the data set has nc x N = %" PetscInt_FMT " x %" PetscInt_FMT " values (size it with OdynDatasetSetSizes(ds, nf, nc = targets per example, ...))", N, ds->nc, ds->N);
  PetscCheck(nloc == ds->nc * ds->n, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "OdynDatasetSetTargets: the targets have local length %" PetscInt_FMT " but this rank owns %" PetscInt_FMT " examples of %" PetscInt_FMT " targets: distribute them like the examples", nloc, ds->n, ds->nc);
  PetscCall(VecNorm(T, NORM_1, &nrm));
  PetscCheck(!PetscIsInfOrNanReal(nrm), comm, PETSC_ERR_FP, "OdynDatasetSetTargets: the targets contain NaN or Inf");
  PetscCall(VecCreate(comm, &ds->T));
  PetscCall(VecSetSizes(ds->T, nloc, N));
  PetscCall(VecSetBlockSize(ds->T, ds->nc));
  PetscCall(VecSetType(ds->T, VECSTANDARD));
  PetscCall(VecCopy(T, ds->T));
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetGetTargets - gets the regression targets (borrowed), or NULL for a data set of labelled examples

   Not Collective

   Output Parameter:
.  T - the targets, local length nc * n; do not destroy them

   Level: intermediate

.seealso: `OdynDatasetSetTargets()`
@*/
PetscErrorCode OdynDatasetGetTargets(OdynDataset ds, Vec *T)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  PetscValidPointer(T, 2);
  OdynDatasetCheckSizes(ds, "OdynDatasetGetTargets");
  *T = ds->T;
  PetscFunctionReturn(0);
}

/*@C
   OdynDatasetView - prints the sizes, the examples per class and how the examples are distributed

   Collective

   Input Parameters:
+  ds - the data set
-  viewer - an ASCII viewer, or NULL for standard output

   Options Database Key:
.  -odyn_problem_view - views the data sets made by OdynProblemCreate()

   Level: beginner

.seealso: `OdynDatasetWriteCSV()`
@*/
PetscErrorCode OdynDatasetView(OdynDataset ds, PetscViewer viewer)
{
  PetscBool   isascii;
  PetscInt   *counts;
  PetscMPIInt rank, size;
  const char *name;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)ds), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  /* not PetscObjectPrintClassNamePrefixType(): a data set has no type, and "type not yet set" would mislead */
  PetscCall(PetscObjectGetName((PetscObject)ds, &name));
  PetscCallMPI(MPI_Comm_size(PetscObjectComm((PetscObject)ds), &size));
  PetscCall(PetscViewerASCIIPrintf(viewer, "OdynDataset Object: %s %d MPI process%s\n", name, size, size > 1 ? "es" : ""));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (!ds->sizesset) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "no data (sizes not set)\n"));
    PetscCall(PetscViewerASCIIPopTab(viewer));
    PetscFunctionReturn(0);
  }
  if (ds->T) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " examples, %" PetscInt_FMT " features, %" PetscInt_FMT " regression targets each\n", ds->N, ds->nf, ds->nc));
    PetscCall(PetscViewerASCIIPopTab(viewer));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " examples, %" PetscInt_FMT " features, %" PetscInt_FMT " classes\n", ds->N, ds->nf, ds->nc));
  if (ds->img[0]) PetscCall(PetscViewerASCIIPrintf(viewer, "images %" PetscInt_FMT " x %" PetscInt_FMT ", %" PetscInt_FMT " channel%s\n", ds->img[0], ds->img[1], ds->img[2], ds->img[2] > 1 ? "s" : ""));
  PetscCall(PetscMalloc1(ds->nc, &counts));
  PetscCall(OdynDatasetGetClassCounts(ds, counts));
  PetscCall(PetscViewerASCIIPrintf(viewer, "examples per class:"));
  PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_FALSE));
  for (PetscInt c = 0; c < ds->nc; c++) PetscCall(PetscViewerASCIIPrintf(viewer, " %" PetscInt_FMT, counts[c]));
  PetscCall(PetscViewerASCIIPrintf(viewer, "\n"));
  PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_TRUE));
  PetscCall(PetscFree(counts));
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)ds), &rank));
  PetscCall(PetscViewerASCIIPushSynchronized(viewer));
  PetscCall(PetscViewerASCIISynchronizedPrintf(viewer, "[%d] %" PetscInt_FMT " examples from index %" PetscInt_FMT "\n", rank, ds->n, ds->rstart));
  PetscCall(PetscViewerFlush(viewer));
  PetscCall(PetscViewerASCIIPopSynchronized(viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetDestroy - drops a reference to the data set and frees it when none is left

   Collective

   Level: beginner

.seealso: `OdynDatasetCreate()`
@*/
PetscErrorCode OdynDatasetDestroy(OdynDataset *ds)
{
  PetscFunctionBegin;
  if (!*ds) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*ds, ODYNDATASET_CLASSID, 1);
  if (--((PetscObject)(*ds))->refct > 0) {
    *ds = NULL;
    PetscFunctionReturn(0);
  }
  PetscCall(VecDestroy(&(*ds)->X));
  PetscCall(VecDestroy(&(*ds)->T));
  PetscCall(PetscFree((*ds)->labels));
  PetscCall(PetscHeaderDestroy(ds));
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetSetImageShape - says that each example's features are an image: n1 x n2 pixels with nch channels

   Logically Collective

   Input Parameters:
+  ds - the data set
.  n1 - pixels along the fastest index (the width: columns of a row-major image such as MNIST's)
.  n2 - pixels along the second index (the height)
-  nch - channels; n1 n2 nch must equal nf. All three 0 remove the shape.

   Level: intermediate

   Notes:
   Feature i1 + n1 (i2 + n2 c) is pixel (i1, i2) of channel c: the layout of OdynRegularizerImageSetGrid(), which takes
   the same three numbers. OdynDatasetReadIDX() sets it (28, 28, 1 for MNIST); subsets keep it and
   OdynDatasetDuplicateFeatures() multiplies the channels. Setting new sizes with another nf removes it.

.seealso: `OdynDatasetGetImageShape()`, `OdynRegularizerImageSetGrid()`, `OdynDatasetReadIDX()`
@*/
PetscErrorCode OdynDatasetSetImageShape(OdynDataset ds, PetscInt n1, PetscInt n2, PetscInt nch)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  PetscValidLogicalCollectiveInt(ds, n1, 2);
  PetscValidLogicalCollectiveInt(ds, n2, 3);
  PetscValidLogicalCollectiveInt(ds, nch, 4);
  OdynDatasetCheckSizes(ds, "OdynDatasetSetImageShape");
  if (n1 == 0 && n2 == 0 && nch == 0) {
    PetscCall(PetscArrayzero(ds->img, 3));
    PetscFunctionReturn(0);
  }
  PetscCheck(n1 >= 1 && n2 >= 1 && nch >= 1 && n1 * n2 * nch == ds->nf, PetscObjectComm((PetscObject)ds), PETSC_ERR_ARG_SIZ, "OdynDatasetSetImageShape: %" PetscInt_FMT " x %" PetscInt_FMT " pixels with %" PetscInt_FMT " channels do not make the %" PetscInt_FMT " features of the data set", n1, n2, nch, ds->nf);
  ds->img[0] = n1;
  ds->img[1] = n2;
  ds->img[2] = nch;
  PetscFunctionReturn(0);
}

/*@
   OdynDatasetGetImageShape - gets the image shape of the features (all 0 when the features are not images)

   Not Collective

   Output Parameters (each may be NULL):
+  n1 - pixels along the fastest index
.  n2 - pixels along the second index
-  nch - channels

   Level: intermediate

.seealso: `OdynDatasetSetImageShape()`
@*/
PetscErrorCode OdynDatasetGetImageShape(OdynDataset ds, PetscInt *n1, PetscInt *n2, PetscInt *nch)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  if (n1) *n1 = ds->img[0];
  if (n2) *n2 = ds->img[1];
  if (nch) *nch = ds->img[2];
  PetscFunctionReturn(0);
}
