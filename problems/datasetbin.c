/*
  Data-set files for odyn train -odyn_data_train FILE (issue 7): OdynDatasetLoad() / OdynDatasetSave() choose the
  format by the file's extension (CSV, IDX, PETSc binary, HDF5); this file holds the dispatch, the PETSc binary format
  and the checks shared with the HDF5 format (datasetbinh5.c). docs/data.md describes the layouts.

  PETSc binary (.bin, .dat): three Vecs written one after the other with VecView() and read with VecLoad(), no .info
  file:
    1. the header, 8 values: 20171227 (odyn's mark), format version 1, nf, nc, N, n1, n2, channels (0 0 0: no image)
    2. the features, nf * N values, example after example (example i is entries i*nf .. i*nf + nf-1)
    3. the labels, N values, integers 0 .. nc-1
*/
#include <stdio.h>
#include <string.h>
#include <odyn/private/fileimpl.h>
#include "datasetbin.h"

/* A real as C prints it (%.17g: "3", "2.5"); PETSc's own %g would write "3." */
#define NUM(buf, v) (snprintf(buf, sizeof(buf), "%.17g", (double)(v)), buf)

#define BIN_MARK    20171227.0 /* the paper's arXiv date: what makes a PETSc binary file an odyn data set */
#define BIN_VERSION 1
#define BIN_HEADER  8
#define BIG_INT64   ((PetscInt64)0x7fffffffffffffffLL)

PetscErrorCode OdynDatasetFileCaptureHandler(MPI_Comm comm, int line, const char *func, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  OdynDatasetFileCapture *c = (OdynDatasetFileCapture *)ctx;

  if (p == PETSC_ERROR_INITIAL && !c->msg[0]) (void)PetscStrncpy(c->msg, mess && mess[0] ? mess : func, sizeof(c->msg));
  return n;
}

PetscErrorCode OdynDatasetFileCheckReadable(MPI_Comm comm, const char fname[], const char caller[])
{
  PetscBool ok;

  PetscFunctionBegin;
  PetscCall(PetscTestFile(fname, 'r', &ok)); /* rank 0 tests, the answer is broadcast */
  PetscCheck(ok, comm, PETSC_ERR_FILE_OPEN, "%s: cannot open %s for reading: no such file, or not readable", caller, fname);
  PetscFunctionReturn(0);
}

PetscErrorCode OdynDatasetFileCheckFeatures(OdynDataset ds, const char fname[])
{
  const PetscScalar *x;
  PetscInt64         bad = BIG_INT64;

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(ds->X, &x));
  for (PetscInt k = 0; k < ds->n * ds->nf; k++)
    if (PetscIsInfOrNanScalar(x[k])) {
      bad = (PetscInt64)ds->rstart * ds->nf + k;
      break;
    }
  PetscCall(VecRestoreArrayRead(ds->X, &x));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT64, MPI_MIN, PetscObjectComm((PetscObject)ds)));
  PetscCheck(bad == BIG_INT64, PetscObjectComm((PetscObject)ds), PETSC_ERR_FP, "%s: feature %" PetscInt64_FMT " of example %" PetscInt64_FMT " is NaN or Inf: features must be finite", fname, bad % ds->nf, bad / ds->nf);
  PetscFunctionReturn(0);
}

PetscErrorCode OdynDatasetFileLabels(Vec L, PetscInt nc, PetscInt rstart, const char fname[], PetscInt *ncout, PetscInt **labels)
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)L);
  const PetscScalar *l;
  PetscInt           n, bad = PETSC_MAX_INT, maxl = 0;
  PetscReal          badval = PETSC_MIN_REAL;
  char               b0[32];

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(L, &n));
  PetscCall(VecGetArrayRead(L, &l));
  for (PetscInt i = 0; i < n; i++) {
    const PetscReal v = PetscRealPart(l[i]);

    if (!(v >= 0 && v == PetscFloorReal(v) && v < 1e9) || (nc > 0 && v >= nc)) {
      bad    = rstart + i;
      badval = v;
      break;
    }
    maxl = PetscMax(maxl, (PetscInt)v);
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT, MPI_MIN, comm));
  if (bad != PETSC_MAX_INT) {
    if (!(bad >= rstart && bad < rstart + n)) badval = PETSC_MIN_REAL; /* only the owner knows the value */
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &badval, 1, MPIU_REAL, MPI_MAX, comm));
    PetscCall(VecRestoreArrayRead(L, &l));
    if (nc > 0) SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: label %s of example %" PetscInt_FMT " is not a class number 0 .. %" PetscInt_FMT, fname, NUM(b0, badval), bad, nc - 1);
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: label %s of example %" PetscInt_FMT " is not a class number (an integer >= 0)", fname, NUM(b0, badval), bad);
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &maxl, 1, MPIU_INT, MPI_MAX, comm));
  *ncout = nc > 0 ? nc : maxl + 1;
  PetscCall(PetscMalloc1(n, labels));
  for (PetscInt i = 0; i < n; i++) (*labels)[i] = (PetscInt)PetscRealPart(l[i]);
  PetscCall(VecRestoreArrayRead(L, &l));
  PetscFunctionReturn(0);
}

/* The header's values, the same on every rank */
static PetscErrorCode BinHeaderValues(Vec H, PetscReal h[BIN_HEADER])
{
  VecScatter         sc;
  Vec                all;
  const PetscScalar *a;

  PetscFunctionBegin;
  PetscCall(VecScatterCreateToAll(H, &sc, &all));
  PetscCall(VecScatterBegin(sc, H, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, H, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(all, &a));
  for (int k = 0; k < BIN_HEADER; k++) h[k] = PetscRealPart(a[k]);
  PetscCall(VecRestoreArrayRead(all, &a));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&all));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynDatasetLoadBinary(MPI_Comm comm, const char fname[], OdynDataset *ds)
{
  PetscViewer            v;
  OdynDatasetFileCapture cap = {"", 0};
  Vec                    H, L;
  PetscInt               hsize = 0, nf, nc, N, *labels, ncl;
  PetscReal              h[BIN_HEADER];
  char                   b0[32], b1[32], b2[32];
  OdynDataset            d = NULL;

  PetscFunctionBegin;
  PetscCall(OdynDatasetFileCheckReadable(comm, fname, "OdynDatasetLoad"));
  PetscCall(PetscViewerBinaryOpen(comm, fname, FILE_MODE_READ, &v));
  PetscCall(PetscViewerBinarySetSkipInfo(v, PETSC_TRUE));
  PetscCall(VecCreate(comm, &H));
  OdynDatasetFileTry(cap, VecLoad(H, v));
  if (!cap.code) PetscCall(VecGetSize(H, &hsize));
  if (cap.code || hsize != BIN_HEADER) {
    PetscCall(VecDestroy(&H));
    PetscCall(PetscViewerDestroy(&v));
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: not an odyn data set in PETSc binary format: the first object must be a Vec of %d values (20171227, version, nf, nc, N, n1, n2, channels; docs/data.md)%s%s", fname, BIN_HEADER, cap.msg[0] ? ": " : "", cap.msg[0] ? cap.msg : "");
  }
  PetscCall(BinHeaderValues(H, h));
  PetscCall(VecDestroy(&H));
  if (h[0] != BIN_MARK || h[1] != BIN_VERSION) {
    PetscCall(PetscViewerDestroy(&v));
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: not an odyn data set file of format version %d: its header starts %s %s, expected %d %d (docs/data.md)", fname, BIN_VERSION, NUM(b0, h[0]), NUM(b1, h[1]), (int)BIN_MARK, BIN_VERSION);
  }
  for (int k = 2; k < BIN_HEADER; k++) {
    const PetscBool shape = (PetscBool)(k >= 5);
    if (!(h[k] == PetscFloorReal(h[k]) && h[k] >= (shape || k == 4 ? 0 : 1) && h[k] < PETSC_MAX_INT)) {
      PetscCall(PetscViewerDestroy(&v));
      SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: wrong sizes in the header: value %d (%s) is %s", fname, k + 1, k == 2 ? "nf" : k == 3 ? "nc" : k == 4 ? "N" : "image shape", NUM(b0, h[k]));
    }
  }
  nf = (PetscInt)h[2];
  nc = (PetscInt)h[3];
  N  = (PetscInt)h[4];
  if (h[5] != 0 && h[5] * h[6] * h[7] != nf) {
    PetscCall(PetscViewerDestroy(&v));
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: wrong sizes in the header: an image of %s x %s x %s is not nf = %" PetscInt_FMT " features", fname, NUM(b0, h[5]), NUM(b1, h[6]), NUM(b2, h[7]), nf);
  }
  PetscCall(OdynDatasetCreate(comm, &d));
  PetscCall(OdynDatasetSetSizes(d, nf, nc, PETSC_DECIDE, N));
  if (h[5] != 0) PetscCall(OdynDatasetSetImageShape(d, (PetscInt)h[5], (PetscInt)h[6], (PetscInt)h[7]));
  OdynDatasetFileTry(cap, VecLoad(d->X, v));
  if (cap.code) {
    PetscCall(OdynDatasetDestroy(&d));
    PetscCall(PetscViewerDestroy(&v));
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: the features (second object, a Vec of nf x N = %" PetscInt_FMT " x %" PetscInt_FMT " values as the header says) cannot be read: %s", fname, nf, N, cap.msg);
  }
  PetscCall(VecCreateMPI(comm, d->n, N, &L));
  OdynDatasetFileTry(cap, VecLoad(L, v));
  PetscCall(PetscViewerDestroy(&v));
  if (cap.code) {
    PetscCall(VecDestroy(&L));
    PetscCall(OdynDatasetDestroy(&d));
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "%s: the labels (third object, a Vec of N = %" PetscInt_FMT " values as the header says) cannot be read: %s", fname, N, cap.msg);
  }
  {
    PetscErrorCode ierr = OdynDatasetFileCheckFeatures(d, fname);
    if (!ierr) ierr = OdynDatasetFileLabels(L, nc, d->rstart, fname, &ncl, &labels);
    PetscCall(VecDestroy(&L));
    if (ierr) PetscCall(OdynDatasetDestroy(&d));
    PetscCall(ierr);
  }
  PetscCall(PetscArraycpy(d->labels, labels, d->n));
  PetscCall(PetscFree(labels));
  *ds = d;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynDatasetSaveBinary(OdynDataset ds, const char fname[])
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)ds);
  PetscViewer  v;
  Vec          H, L;
  PetscScalar *a;
  char         tmp[PETSC_MAX_PATH_LEN + 8];

  PetscFunctionBegin;
  /* FILE.tmp renamed to FILE when complete (as model files): a failed write leaves no half-written FILE */
  PetscCall(OdynFileCreateTmp(comm, fname, "data file", tmp, sizeof(tmp)));
  PetscCall(PetscViewerCreate(comm, &v));
  PetscCall(PetscViewerSetType(v, PETSCVIEWERBINARY));
  PetscCall(PetscViewerBinarySetSkipInfo(v, PETSC_TRUE));
  PetscCall(PetscViewerFileSetMode(v, FILE_MODE_WRITE));
  PetscCall(PetscViewerFileSetName(v, tmp));
  PetscCall(VecCreateMPI(comm, PETSC_DECIDE, BIN_HEADER, &H));
  {
    const PetscScalar h[BIN_HEADER] = {BIN_MARK, BIN_VERSION, (PetscScalar)ds->nf, (PetscScalar)ds->nc, (PetscScalar)ds->N, (PetscScalar)ds->img[0], (PetscScalar)ds->img[1], (PetscScalar)ds->img[2]};
    PetscInt          lo, hi;
    PetscCall(VecGetOwnershipRange(H, &lo, &hi));
    PetscCall(VecGetArrayWrite(H, &a));
    for (PetscInt k = lo; k < hi; k++) a[k - lo] = h[k];
    PetscCall(VecRestoreArrayWrite(H, &a));
  }
  PetscCall(VecView(H, v));
  PetscCall(VecDestroy(&H));
  PetscCall(VecView(ds->X, v));
  PetscCall(VecCreateMPI(comm, ds->n, ds->N, &L));
  PetscCall(VecGetArrayWrite(L, &a));
  for (PetscInt i = 0; i < ds->n; i++) a[i] = (PetscScalar)ds->labels[i];
  PetscCall(VecRestoreArrayWrite(L, &a));
  PetscCall(VecView(L, v));
  PetscCall(VecDestroy(&L));
  PetscCall(PetscViewerDestroy(&v));
  PetscCall(OdynFileCommit(comm, tmp, fname, "data file"));
  PetscFunctionReturn(0);
}

typedef enum {
  FMT_UNKNOWN,
  FMT_CSV,
  FMT_IDX,
  FMT_BINARY,
  FMT_HDF5
} DataFormat;

static PetscBool EndsWith(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return (PetscBool)(n >= m && !strcasecmp(s + n - m, suffix));
}

static DataFormat FormatOf(const char *fname)
{
  if (EndsWith(fname, ".csv")) return FMT_CSV;
  if (EndsWith(fname, ".idx") || EndsWith(fname, ".idx.gz") || EndsWith(fname, "-ubyte") || EndsWith(fname, "-ubyte.gz")) return FMT_IDX;
  if (EndsWith(fname, ".bin") || EndsWith(fname, ".dat")) return FMT_BINARY;
  if (EndsWith(fname, ".h5") || EndsWith(fname, ".hdf5")) return FMT_HDF5;
  return FMT_UNKNOWN;
}

#define FORMATS_HELP "use .csv (x1,...,xnf,label per line), .idx, .idx.gz, -ubyte or -ubyte.gz (IDX images, with the labels file named alike with images -> labels, idx3 -> idx1), .bin or .dat (PETSc binary) or .h5 (HDF5); docs/data.md describes them"

/*@C
   OdynDatasetLoad - reads a data set from a file whose format its extension tells: CSV, IDX, PETSc binary or HDF5

   Collective

   Input Parameters:
+  comm - the communicator over which the examples are distributed
-  filename - the file

   Output Parameter:
.  ds - the data set, examples in file order, each rank owning a contiguous slice

   Level: beginner

   Notes:
   By extension:
+  .csv - OdynDatasetReadCSV()
.  .idx, .idx.gz, -ubyte, -ubyte.gz - OdynDatasetReadIDX() of this images file and the labels file named alike
         (train-images-idx3-ubyte.gz -> train-labels-idx1-ubyte.gz), all items, nc = largest label + 1
.  .bin, .dat - PETSc binary: a header Vec (20171227, 1, nf, nc, N, n1, n2, channels), the features Vec (nf x N,
         example after example) and the labels Vec (N integers), read with VecLoad()
-  .h5, .hdf5 - HDF5: dataset /features (N x nf, one example per row) and /labels (N), optional integer attributes
         nc, image_n1, image_n2, image_channels of /features, read with VecLoad()

   Every reader checks the sizes, that the features are finite and that the labels are class numbers, and raises
   errors on all ranks that name the file. docs/data.md has the layouts and how to write them from Python.

.seealso: `OdynDatasetSave()`, `OdynDatasetReadCSV()`, `OdynDatasetReadIDX()`
@*/
PetscErrorCode OdynDatasetLoad(MPI_Comm comm, const char filename[], OdynDataset *ds)
{
  char labels[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscValidCharPointer(filename, 2);
  PetscValidPointer(ds, 3);
  *ds = NULL;
  switch (FormatOf(filename)) {
  case FMT_CSV:
    PetscCall(OdynDatasetReadCSV(comm, filename, ds));
    break;
  case FMT_IDX:
    PetscCall(OdynDatasetIDXLabelsName(comm, filename, labels, sizeof(labels)));
    PetscCall(OdynDatasetReadIDX(comm, filename, labels, PETSC_DETERMINE, 0, PETSC_DETERMINE, ds));
    break;
  case FMT_BINARY:
    PetscCall(OdynDatasetLoadBinary(comm, filename, ds));
    break;
  case FMT_HDF5:
    PetscCall(OdynDatasetLoadHDF5(comm, filename, ds));
    break;
  default:
    SETERRQ(comm, PETSC_ERR_ARG_WRONG, "OdynDatasetLoad: cannot tell the format of %s from its name: " FORMATS_HELP, filename);
  }
  PetscFunctionReturn(0);
}

/*@C
   OdynDatasetSave - writes a data set in the format its file name's extension tells (see OdynDatasetLoad())

   Collective

   Input Parameters:
+  ds - the data set
-  filename - the file (replaced if it exists); for IDX the images file, the labels file is named alike

   Level: beginner

   Notes:
   OdynDatasetLoad() reads what this writes: bit for bit for binary, HDF5 and CSV; for IDX the features must be in
   [0, 1] and are stored as bytes (see OdynDatasetWriteIDX()). Binary and HDF5 files keep the image shape, CSV files
   do not.

.seealso: `OdynDatasetLoad()`, `OdynDatasetWriteCSV()`, `OdynDatasetWriteIDX()`
@*/
PetscErrorCode OdynDatasetSave(OdynDataset ds, const char filename[])
{
  MPI_Comm comm;
  char     labels[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  PetscValidCharPointer(filename, 2);
  OdynDatasetCheckSizes(ds, "OdynDatasetSave");
  comm = PetscObjectComm((PetscObject)ds);
  PetscCheck(!ds->T, comm, PETSC_ERR_SUP, "OdynDatasetSave: %s: the data set has regression targets (OdynDatasetSetTargets()), which the data files (features and class labels) cannot hold", filename);
  switch (FormatOf(filename)) {
  case FMT_CSV:
    PetscCall(OdynDatasetWriteCSV(ds, filename));
    break;
  case FMT_IDX:
    PetscCall(OdynDatasetIDXLabelsName(comm, filename, labels, sizeof(labels)));
    PetscCall(OdynDatasetWriteIDX(ds, filename, labels));
    break;
  case FMT_BINARY:
    PetscCall(OdynDatasetSaveBinary(ds, filename));
    break;
  case FMT_HDF5:
    PetscCall(OdynDatasetSaveHDF5(ds, filename));
    break;
  default:
    SETERRQ(comm, PETSC_ERR_ARG_WRONG, "OdynDatasetSave: cannot tell the format of %s from its name: " FORMATS_HELP, filename);
  }
  PetscFunctionReturn(0);
}
