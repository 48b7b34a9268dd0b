/*
  HDF5 data-set files (OdynDatasetLoad()/OdynDatasetSave() of .h5, docs/data.md), through PETSc's HDF5 viewer:

    /features  N x nf doubles, one example per row (what VecView() writes for the features Vec of block size nf;
               a 1-D dataset of N values is nf = 1)
    /labels    N values, integers 0 .. nc-1 (any numeric HDF5 type: VecLoad() converts)
    integer attributes of /features, all optional: nc (else the largest label + 1), image_n1, image_n2,
    image_channels (the image shape, OdynDatasetSetImageShape())

  h5py writes such a file with f["features"] = X; f["labels"] = y (docs/data.md).
*/
#include <string.h>
#include <odyn/private/fileimpl.h>
#include "datasetbin.h"

#if defined(PETSC_HAVE_HDF5) && defined(ODYN_HAVE_HDF5_HEADER)

/* rank 0 checks that HDF5 can open the file; every rank raises the same error */
static PetscErrorCode H5Readable(MPI_Comm comm, const char fname[])
{
  PetscMPIInt rank;
  char        msg[ODYN_FILE_MSG_LEN] = "";
  int         code                   = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    OdynH5Quiet    q;
    PetscErrorCode c = 0;

    OdynH5QuietBegin(&q);
    OdynH5CheckReadable("OdynDatasetLoad: the data file", fname, msg, sizeof(msg), &c);
    OdynH5QuietEnd(&q);
    code = (int)c;
  }
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, 0, comm));
  PetscCheck(!msg[0], comm, (PetscErrorCode)code, "%s", msg);
  PetscFunctionReturn(0);
}

/* An optional integer attribute of /features: *value = def when absent */
static PetscErrorCode H5IntAttribute(PetscViewer v, const char name[], PetscInt def, PetscInt *value)
{
  PetscBool has;

  PetscFunctionBegin;
  *value = def;
  PetscCall(PetscViewerHDF5HasAttribute(v, "/features", name, &has));
  if (has) PetscCall(PetscViewerHDF5ReadAttribute(v, "/features", name, PETSC_INT, NULL, value));
  PetscFunctionReturn(0);
}

/* The sizes of a dataset of the file (HDF5's API: a VecLoad() that fails on a size leaves the file open) */
static PetscErrorCode H5Dims(PetscViewer v, const char name[], int *ndim, hsize_t dims[2])
{
  hid_t file, dset, space;

  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5GetFileId(v, &file));
  *ndim = -1;
  dims[0] = dims[1] = 0;
  if ((dset = H5Dopen2(file, name, H5P_DEFAULT)) < 0) PetscFunctionReturn(0);
  if ((space = H5Dget_space(dset)) >= 0) {
    *ndim = H5Sget_simple_extent_ndims(space);
    if (*ndim >= 1 && *ndim <= 2) (void)H5Sget_simple_extent_dims(space, dims, NULL);
    (void)H5Sclose(space);
  }
  (void)H5Dclose(dset);
  PetscFunctionReturn(0);
}

/* Reads the file's objects; on failure cap holds the message and the partly made objects are freed by the caller */
static PetscErrorCode H5ReadAll(PetscViewer v, const char fname[], Vec X, Vec *L, PetscInt *nc, PetscInt img[3], OdynDatasetFileCapture *cap)
{
  MPI_Comm  comm = PetscObjectComm((PetscObject)X);
  PetscBool hf, hl;
  PetscInt  bs, nloc, N;
  int       fdim, ldim;
  hsize_t   fd[2], ld[2];

  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5HasDataset(v, "/features", &hf));
  PetscCall(PetscViewerHDF5HasDataset(v, "/labels", &hl));
  if (!hf || !hl) {
    PetscCall(PetscSNPrintf(cap->msg, sizeof(cap->msg), "%s has no dataset /%s: an odyn data set in HDF5 holds /features (N x nf, one example per row) and /labels (N class numbers); docs/data.md", fname, hf ? "labels" : "features"));
    cap->code = PETSC_ERR_FILE_UNEXPECTED;
    PetscFunctionReturn(0);
  }
  PetscCall(H5Dims(v, "/features", &fdim, fd));
  PetscCall(H5Dims(v, "/labels", &ldim, ld));
  if (fdim < 1 || fdim > 2 || fd[0] < 1 || (fdim == 2 && fd[1] < 1) || fd[0] * (fdim == 2 ? fd[1] : 1) > (hsize_t)PETSC_MAX_INT) {
    PetscCall(PetscSNPrintf(cap->msg, sizeof(cap->msg), "%s: wrong sizes: /features has %d dimensions (%llu x %llu), expected N x nf (2, or 1 for nf = 1)", fname, fdim, (unsigned long long)fd[0], (unsigned long long)fd[1]));
    cap->code = PETSC_ERR_FILE_UNEXPECTED;
    PetscFunctionReturn(0);
  }
  if (!((ldim == 1 && ld[0] == fd[0]) || (ldim == 2 && ld[0] == fd[0] && ld[1] == 1))) {
    PetscCall(PetscSNPrintf(cap->msg, sizeof(cap->msg), "%s: wrong sizes: /labels must hold one number per example, N = %llu as /features has rows, but it has %d dimension%s (%llu x %llu)", fname, (unsigned long long)fd[0], ldim, ldim == 1 ? "" : "s", (unsigned long long)ld[0], (unsigned long long)ld[1]));
    cap->code = PETSC_ERR_FILE_UNEXPECTED;
    PetscFunctionReturn(0);
  }
  bs = fdim == 2 ? (PetscInt)fd[1] : 1;
  N  = (PetscInt)fd[0];
  PetscCall(VecSetSizes(X, PETSC_DECIDE, bs * N));
  PetscCall(VecSetBlockSize(X, bs));
  PetscCall(VecSetType(X, VECSTANDARD));
  PetscCall(PetscObjectSetName((PetscObject)X, "features"));
  OdynFileTry(*cap, VecLoad(X, v));
  if (cap->code) {
    char m[ODYN_FILE_MSG_LEN];
    PetscCall(PetscStrncpy(m, cap->msg, sizeof(m)));
    PetscCall(PetscSNPrintf(cap->msg, sizeof(cap->msg), "%s: /features cannot be read as N x nf numbers: %s", fname, m));
    PetscFunctionReturn(0);
  }
  PetscCall(VecGetLocalSize(X, &nloc));
  PetscCall(VecCreateMPI(comm, nloc / bs, N, L));
  PetscCall(PetscObjectSetName((PetscObject)*L, "labels"));
  OdynFileTry(*cap, VecLoad(*L, v));
  if (cap->code) {
    char m[ODYN_FILE_MSG_LEN];
    PetscCall(PetscStrncpy(m, cap->msg, sizeof(m)));
    PetscCall(PetscSNPrintf(cap->msg, sizeof(cap->msg), "%s: /labels cannot be read: %s", fname, m));
    PetscFunctionReturn(0);
  }
  PetscCall(H5IntAttribute(v, "nc", 0, nc));
  PetscCall(H5IntAttribute(v, "image_n1", 0, &img[0]));
  PetscCall(H5IntAttribute(v, "image_n2", 0, &img[1]));
  PetscCall(H5IntAttribute(v, "image_channels", img[0] ? 1 : 0, &img[2]));
  if (*nc < 0 || (img[0] && img[0] * img[1] * img[2] != bs)) {
    PetscCall(PetscSNPrintf(cap->msg, sizeof(cap->msg), "%s: wrong attributes of /features: nc = %" PetscInt_FMT " (must be >= 1 if present), image %" PetscInt_FMT " x %" PetscInt_FMT " x %" PetscInt_FMT " (must make the nf = %" PetscInt_FMT " features)", fname, *nc, img[0], img[1], img[2], bs));
    cap->code = PETSC_ERR_FILE_UNEXPECTED;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OdynDatasetLoadHDF5(MPI_Comm comm, const char fname[], OdynDataset *ds)
{
  PetscViewer            v;
  OdynDatasetFileCapture cap = {"", 0};
  OdynH5Quiet            q;
  Vec                    X, L = NULL;
  PetscInt               nc = 0, img[3] = {0, 0, 0}, bs, nloc, N, *labels;
  OdynDataset            d;

  PetscFunctionBegin;
  PetscCall(H5Readable(comm, fname));
  PetscCall(PetscViewerHDF5Open(comm, fname, FILE_MODE_READ, &v));
  PetscCall(VecCreate(comm, &X));
  OdynH5QuietBegin(&q);
  {
    PetscErrorCode ierr = H5ReadAll(v, fname, X, &L, &nc, img, &cap);
    OdynH5QuietEnd(&q);
    PetscCall(ierr);
  }
  PetscCall(PetscViewerDestroy(&v));
  if (cap.code) {
    PetscCall(VecDestroy(&X));
    PetscCall(VecDestroy(&L));
    SETERRQ(comm, cap.code, "%s", cap.msg);
  }
  PetscCall(VecGetBlockSize(X, &bs));
  PetscCall(VecGetLocalSize(X, &nloc));
  PetscCall(VecGetSize(X, &N));
  {
    PetscInt       rstart, ncl;
    PetscErrorCode ierr;

    PetscCall(VecGetOwnershipRange(L, &rstart, NULL));
    ierr = OdynDatasetFileLabels(L, nc, rstart, fname, &ncl, &labels);
    PetscCall(VecDestroy(&L));
    if (ierr) PetscCall(VecDestroy(&X));
    PetscCall(ierr);
    nc = ncl;
  }
  PetscCall(OdynDatasetCreate(comm, &d));
  PetscCall(OdynDatasetSetSizes(d, bs, nc, nloc / bs, N / bs));
  PetscCall(VecCopy(X, d->X));
  PetscCall(VecDestroy(&X));
  PetscCall(PetscArraycpy(d->labels, labels, d->n));
  PetscCall(PetscFree(labels));
  if (img[0]) PetscCall(OdynDatasetSetImageShape(d, img[0], img[1], img[2]));
  {
    PetscErrorCode ierr = OdynDatasetFileCheckFeatures(d, fname);
    if (ierr) PetscCall(OdynDatasetDestroy(&d));
    PetscCall(ierr);
  }
  *ds = d;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynDatasetSaveHDF5(OdynDataset ds, const char fname[])
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)ds);
  PetscViewer  v;
  Vec          L;
  PetscScalar *a;
  char         tmp[PETSC_MAX_PATH_LEN + 8];

  PetscFunctionBegin;
  /* FILE.tmp renamed to FILE when complete, as model files are written: a failed write leaves no half file */
  PetscCall(OdynFileCreateTmp(comm, fname, "data file", tmp, sizeof(tmp)));
  PetscCall(PetscViewerHDF5Open(comm, tmp, FILE_MODE_WRITE, &v));
  PetscCall(OdynH5WriteVec(v, ds->X, "features"));
  PetscCall(VecCreateMPI(comm, ds->n, ds->N, &L));
  PetscCall(VecGetArrayWrite(L, &a));
  for (PetscInt i = 0; i < ds->n; i++) a[i] = (PetscScalar)ds->labels[i];
  PetscCall(VecRestoreArrayWrite(L, &a));
  PetscCall(OdynH5WriteVec(v, L, "labels"));
  PetscCall(VecDestroy(&L));
  PetscCall(PetscViewerHDF5WriteAttribute(v, "/features", "nc", PETSC_INT, &ds->nc));
  if (ds->img[0]) {
    PetscCall(PetscViewerHDF5WriteAttribute(v, "/features", "image_n1", PETSC_INT, &ds->img[0]));
    PetscCall(PetscViewerHDF5WriteAttribute(v, "/features", "image_n2", PETSC_INT, &ds->img[1]));
    PetscCall(PetscViewerHDF5WriteAttribute(v, "/features", "image_channels", PETSC_INT, &ds->img[2]));
  }
  PetscCall(PetscViewerDestroy(&v));
  PetscCall(OdynFileCommit(comm, tmp, fname, "data file"));
  PetscFunctionReturn(0);
}

#else

PetscErrorCode OdynDatasetLoadHDF5(MPI_Comm comm, const char fname[], OdynDataset *ds)
{
  PetscFunctionBegin;
  SETERRQ(comm, PETSC_ERR_SUP, "OdynDatasetLoad: %s is an HDF5 file, but this odyn was built without HDF5 (PETSc's HDF5 viewer and hdf5.h): rebuild with them, or use .bin (PETSc binary) or .csv", fname);
}

PetscErrorCode OdynDatasetSaveHDF5(OdynDataset ds, const char fname[])
{
  PetscFunctionBegin;
  SETERRQ(PetscObjectComm((PetscObject)ds), PETSC_ERR_SUP, "OdynDatasetSave: %s is an HDF5 file, but this odyn was built without HDF5: rebuild with it, or use .bin (PETSc binary) or .csv", fname);
}

#endif
