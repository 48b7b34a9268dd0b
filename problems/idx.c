/*
  IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, docs/data.md), plain or
  gzip-compressed: zlib's gzread reads both, so there is one code path. A file is

      0x00 0x00 <type> <ndim>  then ndim big-endian uint32 sizes  then the data, row-major, last index fastest

  odyn reads unsigned bytes (type 0x08): an images file of 2 (count x nf), 3 (count x rows x cols) or 4 (count x rows x
  cols x channels) dimensions, and a labels file of 1 dimension (count). Pixels are scaled to [0, 1] by 1/255.

  Rank 0 reads both files whole (MNIST's 60,000 training images are 47 MB of bytes; reading to the end is also what
  finds a truncated file when only a leading subset is wanted) and scatters each rank its slice as bytes, which it
  converts to scalars: rank 0 never holds the 8-times larger scalar copy. Every error is raised on all ranks and names
  the file.
*/
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>
#include <zlib.h>
#include "datasetimpl.h"

#define IDX_MSG_LEN   (2 * PETSC_MAX_PATH_LEN + 512)
#define IDX_UBYTE     0x08
#define IDX_CHUNK     (1 << 30) /* gzread takes an unsigned int length */
#define IDX_MAX_DIMS  4

typedef struct {
  const char    *fname;
  int            ndim;
  uint32_t       dims[IDX_MAX_DIMS];
  size_t         itemsize; /* bytes per item: the product of dims[1..ndim-1] */
  unsigned char *data;     /* dims[0] * itemsize bytes */
} IDXFile;

typedef struct {
  char           msg[IDX_MSG_LEN]; /* empty: no error */
  PetscErrorCode code;
} IDXError;

static const char *IDXTypeName(int t)
{
  switch (t) {
  case 0x08: return "unsigned byte";
  case 0x09: return "signed byte";
  case 0x0B: return "short";
  case 0x0C: return "int";
  case 0x0D: return "float";
  case 0x0E: return "double";
  default: return "unknown";
  }
}

/* Reads exactly len bytes; returns the number read (fewer at the end of the data or on an error, see gzerror). */
static size_t IDXRead(gzFile fp, unsigned char *buf, size_t len)
{
  size_t got = 0;

  while (got < len) {
    unsigned want = (unsigned)PetscMin(len - got, (size_t)IDX_CHUNK);
    int      r    = gzread(fp, buf + got, want);

    if (r <= 0) break;
    got += (size_t)r;
  }
  return got;
}

/* zlib's description of the last error on fp, or "" when the data simply ended. */
static const char *IDXZError(gzFile fp)
{
  int         zerr;
  const char *s = gzerror(fp, &zerr);

  return zerr == Z_OK || zerr == Z_STREAM_END ? "" : s;
}

/*
  Rank 0: reads the IDX file f->fname whole, expecting between mindim and maxdim dimensions (what: "images" or
  "labels", for the messages). On a format or access error fills e and frees what it allocated.
*/
static PetscErrorCode IDXReadFile(IDXFile *f, int mindim, int maxdim, const char *what, IDXError *e)
{
  gzFile        fp;
  unsigned char head[4], b[4], extra;
  size_t        len, got;

  PetscFunctionBegin;
  f->data = NULL;
  errno   = 0;
  fp      = gzopen(f->fname, "rb");
  if (!fp) {
    e->code = PETSC_ERR_FILE_OPEN;
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "OdynDatasetReadIDX: cannot open the %s file %s for reading: %s", what, f->fname, errno ? strerror(errno) : "out of memory"));
    PetscFunctionReturn(0);
  }
  e->code = PETSC_ERR_FILE_UNEXPECTED;
  if (IDXRead(fp, head, 4) != 4) {
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: not an IDX %s file: it is shorter than the 4-byte magic number%s%s", f->fname, what, IDXZError(fp)[0] ? ": " : "", IDXZError(fp)));
    goto done;
  }
  if (head[0] || head[1] || head[3] < 1 || head[3] > IDX_MAX_DIMS) {
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: not an IDX %s file: wrong magic number 0x%02x%02x%02x%02x, expected 0x0000080%d (unsigned bytes, %d dimension%s)", f->fname, what, head[0], head[1], head[2], head[3], maxdim == 1 ? 1 : 3, maxdim == 1 ? 1 : 3, maxdim == 1 ? "" : "s"));
    goto done;
  }
  if (head[2] != IDX_UBYTE) {
    e->code = PETSC_ERR_SUP;
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: the IDX %s file holds %s data (type 0x%02x); odyn reads unsigned bytes (type 0x08), as MNIST's files are", f->fname, what, IDXTypeName(head[2]), head[2]));
    goto done;
  }
  f->ndim = head[3];
  if (f->ndim < mindim || f->ndim > maxdim) {
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: wrong dimensions: the IDX %s file has %d dimension%s, expected %s", f->fname, what, f->ndim, f->ndim > 1 ? "s" : "", maxdim == 1 ? "1 (the number of labels)" : "2 to 4 (count x features, count x rows x columns, or count x rows x columns x channels)"));
    goto done;
  }
  f->itemsize = 1;
  for (int d = 0; d < f->ndim; d++) {
    if (IDXRead(fp, b, 4) != 4) {
      PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: truncated: the file ends inside the header (size %d of %d)", f->fname, d + 1, f->ndim));
      goto done;
    }
    f->dims[d] = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | (uint32_t)b[3];
    if (d > 0) {
      if (f->dims[d] == 0) {
        PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: wrong dimensions: size %d of the %s is 0", f->fname, d + 1, what));
        goto done;
      }
      f->itemsize *= f->dims[d];
      if (f->itemsize > (size_t)PETSC_MAX_INT / 2) {
        PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: wrong dimensions: %s of more than %" PetscInt_FMT " bytes each", f->fname, what, (PetscInt)(PETSC_MAX_INT / 2)));
        goto done;
      }
    }
  }
  if (f->dims[0] > 0 && f->itemsize > ((size_t)PETSC_MAX_INT) / f->dims[0]) {
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: wrong dimensions: %u %s of %zu bytes do not fit odyn's %d-bit indices", f->fname, (unsigned)f->dims[0], what, f->itemsize, (int)(8 * sizeof(PetscInt))));
    goto done;
  }
  len = (size_t)f->dims[0] * f->itemsize;
  PetscCall(PetscMalloc1(len + 1, &f->data));
  got = IDXRead(fp, f->data, len);
  if (got < len) {
    const char *z = IDXZError(fp);
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: truncated: the header declares %u %s of %zu byte%s (%zu bytes of data), the file holds %zu (%zu complete %s)%s%s", f->fname, (unsigned)f->dims[0], what, f->itemsize, f->itemsize > 1 ? "s" : "", len, got, got / f->itemsize, what, z[0] ? "; zlib: " : "", z));
    goto done;
  }
  if (IDXRead(fp, &extra, 1) == 1) {
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: wrong dimensions: the file has more data than the header's %u %s of %zu byte%s: check the sizes in the header", f->fname, (unsigned)f->dims[0], what, f->itemsize, f->itemsize > 1 ? "s" : ""));
    goto done;
  }
  if (IDXZError(fp)[0]) { /* a corrupt gzip stream after the data, e.g. a bad checksum */
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: corrupt gzip data: %s", f->fname, IDXZError(fp)));
    goto done;
  }
done:
  gzclose(fp);
  if (e->msg[0]) PetscCall(PetscFree(f->data));
  PetscFunctionReturn(0);
}

/* Rank 0: reads both files and checks them against each other; on success img/lab hold the data. */
static PetscErrorCode IDXReadBoth(IDXFile *img, IDXFile *lab, PetscInt nc, PetscInt start, PetscInt count, PetscInt *ncout, IDXError *e)
{
  PetscInt maxl = 0;

  PetscFunctionBegin;
  PetscCall(IDXReadFile(img, 2, 4, "images", e));
  if (e->msg[0]) PetscFunctionReturn(0);
  PetscCall(IDXReadFile(lab, 1, 1, "labels", e));
  if (e->msg[0]) goto fail;
  e->code = PETSC_ERR_FILE_UNEXPECTED;
  if (img->dims[0] != lab->dims[0]) {
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "OdynDatasetReadIDX: the image and label counts differ: %s holds %u images, %s holds %u labels", img->fname, (unsigned)img->dims[0], lab->fname, (unsigned)lab->dims[0]));
    goto fail;
  }
  for (uint32_t i = 0; i < lab->dims[0]; i++) {
    if (nc > 0 && lab->data[i] >= nc) {
      PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "%s: label %d of item %u is out of range: expected 0 .. %" PetscInt_FMT " (%" PetscInt_FMT " classes)", lab->fname, (int)lab->data[i], (unsigned)i, nc - 1, nc));
      goto fail;
    }
    maxl = PetscMax(maxl, (PetscInt)lab->data[i]);
  }
  *ncout = nc > 0 ? nc : maxl + 1;
  if (start < 0 || count < 0 || start + count > (PetscInt)img->dims[0]) {
    e->code = PETSC_ERR_ARG_OUTOFRANGE;
    PetscCall(PetscSNPrintf(e->msg, IDX_MSG_LEN, "OdynDatasetReadIDX: asked for items %" PetscInt_FMT " .. %" PetscInt_FMT " of %s, which holds %u (items 0 .. %u)", start, start + count - 1, img->fname, (unsigned)img->dims[0], (unsigned)img->dims[0] - 1));
    goto fail;
  }
  PetscFunctionReturn(0);
fail:
  PetscCall(PetscFree(img->data));
  PetscCall(PetscFree(lab->data));
  PetscFunctionReturn(0);
}

/*@C
   OdynDatasetReadIDX - reads images and labels from IDX files (MNIST's format), plain or gzip-compressed

   Collective

   Input Parameters:
+  comm - the communicator over which the examples are distributed
.  images - the images file, e.g. train-images-idx3-ubyte.gz (read by rank 0)
.  labels - the labels file, e.g. train-labels-idx1-ubyte.gz
.  nc - number of classes (labels must be 0 .. nc-1), or PETSC_DETERMINE for the largest label + 1
.  start - first item to keep (0 for all)
-  count - number of items to keep, or PETSC_DETERMINE for all from start to the end

   Output Parameter:
.  ds - the data set: features = pixels / 255 in [0, 1], one image per example, in file order

   Level: beginner

   Notes:
   The images file holds unsigned bytes (type 0x08) of 2 (count x nf), 3 (count x rows x columns, MNIST) or 4
   dimensions (count x rows x columns x channels); the labels file unsigned bytes of 1 dimension. Images of 3 or 4
   dimensions give the data set an image shape (OdynDatasetSetImageShape(): n1 = columns, n2 = rows, channels; the
   channels are stored one after the other, as OdynRegularizerImageSetGrid() expects). start and count select a
   contiguous range, so that the paper's split of MNIST's 60,000 training images into 50,000 for training and
   10,000 for validation is two calls (0, 50000) and (50000, PETSC_DETERMINE).

   Both files are read to the end and checked: the magic number, the data type, the dimensions, that the data are
   complete (a truncated file) and no longer than the header says, that the image and label counts agree, and that
   every label is below nc. Each error is raised on all ranks and names the file. gzip files are recognized by their
   content, not their name.

.seealso: `OdynDatasetWriteIDX()`, `OdynDatasetLoad()`, `OdynDatasetReadCSV()`, `ODYNPROBLEMMNIST`
@*/
PetscErrorCode OdynDatasetReadIDX(MPI_Comm comm, const char images[], const char labels[], PetscInt nc, PetscInt start, PetscInt count, OdynDataset *ds)
{
  IDXFile        img = {0}, lab = {0};
  IDXError       e   = {"", 0};
  PetscMPIInt    rank, size, nloc, *counts = NULL, *displs = NULL;
  PetscInt       info[6], nf, n1, n2, nch, n;
  unsigned char *bx = NULL, *bl = NULL;
  MPI_Datatype   item;
  OdynDataset    d;
  PetscScalar   *x;
  PetscInt      *l;

  PetscFunctionBegin;
  PetscValidCharPointer(images, 2);
  PetscValidCharPointer(labels, 3);
  PetscValidPointer(ds, 7);
  *ds = NULL;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  img.fname = images;
  lab.fname = labels;
  if (rank == 0) {
    PetscCall(IDXReadBoth(&img, &lab, nc, start, count == PETSC_DETERMINE && start >= 0 ? 0 : count, &info[1], &e));
    if (!e.msg[0] && count == PETSC_DETERMINE) count = (PetscInt)img.dims[0] - start;
    if (!e.msg[0]) {
      info[0] = (PetscInt)img.itemsize;
      info[2] = count;
      info[3] = img.ndim >= 3 ? (PetscInt)img.dims[2] : 0; /* columns: the fastest index */
      info[4] = img.ndim >= 3 ? (PetscInt)img.dims[1] : 0;
      info[5] = img.ndim == 4 ? (PetscInt)img.dims[3] : (img.ndim == 3 ? 1 : 0);
    }
  }
  PetscCallMPI(MPI_Bcast(e.msg, IDX_MSG_LEN, MPI_CHAR, 0, comm));
  PetscCallMPI(MPI_Bcast(&e.code, 1, MPI_INT, 0, comm));
  if (e.msg[0]) SETERRQ(comm, e.code, "%s", e.msg);
  PetscCallMPI(MPI_Bcast(info, 6, MPIU_INT, 0, comm));
  nf  = info[0];
  n1  = info[3];
  n2  = info[4];
  nch = info[5];
  PetscCall(OdynDatasetCreate(comm, &d));
  PetscCall(OdynDatasetSetSizes(d, nf, info[1], PETSC_DECIDE, info[2]));
  if (n1) PetscCall(OdynDatasetSetImageShape(d, n1, n2, nch));
  n = d->n;
  /* each rank receives its examples as bytes: one MPI item per image, so counts stay small */
  PetscCall(PetscMPIIntCast(n, &nloc));
  if (rank == 0) PetscCall(PetscMalloc2(size, &counts, size, &displs));
  PetscCallMPI(MPI_Gather(&nloc, 1, MPI_INT, counts, 1, MPI_INT, 0, comm));
  if (rank == 0) {
    displs[0] = 0;
    for (PetscMPIInt r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  }
  PetscCall(PetscMalloc2(n * nf, &bx, n, &bl));
  PetscCallMPI(MPI_Type_contiguous((PetscMPIInt)nf, MPI_UNSIGNED_CHAR, &item));
  PetscCallMPI(MPI_Type_commit(&item));
  PetscCallMPI(MPI_Scatterv(rank == 0 ? img.data + (size_t)start * nf : NULL, counts, displs, item, bx, nloc, item, 0, comm));
  PetscCallMPI(MPI_Type_free(&item));
  PetscCallMPI(MPI_Scatterv(rank == 0 ? lab.data + start : NULL, counts, displs, MPI_UNSIGNED_CHAR, bl, nloc, MPI_UNSIGNED_CHAR, 0, comm));
  PetscCall(PetscFree(img.data));
  PetscCall(PetscFree(lab.data));
  if (rank == 0) PetscCall(PetscFree2(counts, displs));
  PetscCall(VecGetArrayWrite(d->X, &x));
  if (nch > 1) { /* IDX interleaves the channels of a pixel; odyn stores each channel's image whole */
    const PetscInt np = n1 * n2;
    for (PetscInt i = 0; i < n; i++)
      for (PetscInt p = 0; p < np; p++)
        for (PetscInt c = 0; c < nch; c++) x[i * nf + c * np + p] = (PetscScalar)bx[i * nf + p * nch + c] / 255.0;
  } else {
    for (PetscInt k = 0; k < n * nf; k++) x[k] = (PetscScalar)bx[k] / 255.0;
  }
  PetscCall(VecRestoreArrayWrite(d->X, &x));
  PetscCall(PetscMalloc1(n, &l));
  for (PetscInt i = 0; i < n; i++) l[i] = bl[i];
  PetscCall(OdynDatasetSetLabels(d, l));
  PetscCall(PetscFree(l));
  PetscCall(PetscFree2(bx, bl));
  *ds = d;
  PetscFunctionReturn(0);
}

/* Big-endian uint32 */
static void IDXPut32(unsigned char *b, PetscInt v)
{
  b[0] = (unsigned char)((uint32_t)v >> 24);
  b[1] = (unsigned char)((uint32_t)v >> 16);
  b[2] = (unsigned char)((uint32_t)v >> 8);
  b[3] = (unsigned char)v;
}

/* Rank 0: writes one IDX file of unsigned bytes (gzip-compressed when the name ends in .gz) */
static PetscErrorCode IDXWriteFile(const char *fname, int ndim, const PetscInt dims[], const unsigned char *data, size_t len, char msg[])
{
  size_t        nl = strlen(fname), done = 0;
  gzFile        fp;
  unsigned char head[4 + 4 * IDX_MAX_DIMS] = {0, 0, IDX_UBYTE, (unsigned char)ndim};
  int           bad;

  PetscFunctionBegin;
  errno = 0;
  /* "T": zlib writes the bytes as they are, no gzip wrapper */
  fp = gzopen(fname, nl > 3 && !strcmp(fname + nl - 3, ".gz") ? "wb" : "wbT");
  if (!fp) {
    PetscCall(PetscSNPrintf(msg, IDX_MSG_LEN, "OdynDatasetWriteIDX: cannot open %s for writing: %s", fname, errno ? strerror(errno) : "out of memory"));
    PetscFunctionReturn(0);
  }
  for (int d = 0; d < ndim; d++) IDXPut32(head + 4 + 4 * d, dims[d]);
  bad = gzwrite(fp, head, (unsigned)(4 + 4 * ndim)) != 4 + 4 * ndim;
  while (!bad && done < len) {
    unsigned want = (unsigned)PetscMin(len - done, (size_t)IDX_CHUNK);
    bad           = gzwrite(fp, data + done, want) != (int)want;
    done += want;
  }
  if (gzclose(fp) != Z_OK) bad = 1;
  if (bad) PetscCall(PetscSNPrintf(msg, IDX_MSG_LEN, "OdynDatasetWriteIDX: writing %s failed: %s", fname, errno ? strerror(errno) : "zlib error"));
  PetscFunctionReturn(0);
}

/*@C
   OdynDatasetWriteIDX - writes a data set as IDX images and labels files (MNIST's format)

   Collective

   Input Parameters:
+  ds - the data set: features in [0, 1], labels below 256
.  images - the images file (gzip-compressed if the name ends in .gz; replaced if it exists)
-  labels - the labels file (likewise)

   Level: intermediate

   Notes:
   Features are stored as the bytes round(255 x), so features that are multiples of 1/255 (what OdynDatasetReadIDX()
   gives) read back bit for bit. With an image shape (OdynDatasetSetImageShape()) the images file has 3 dimensions
   (count x n2 x n1) or, with several channels, 4 (count x n2 x n1 x channels, interleaved as IDX does); without one,
   2 (count x nf). Each rank converts its examples to bytes and rank 0 gathers the bytes to write them. A feature
   outside [0, 1] (or NaN) is an error that names the example.

.seealso: `OdynDatasetReadIDX()`, `OdynDatasetSave()`
@*/
PetscErrorCode OdynDatasetWriteIDX(OdynDataset ds, const char images[], const char labels[])
{
  MPI_Comm           comm;
  PetscMPIInt        rank, size, nloc, *counts = NULL, *displs = NULL;
  const PetscScalar *x;
  PetscInt           dims[IDX_MAX_DIMS], ndim, bad = PETSC_MAX_INT;
  PetscReal          badval = PETSC_MIN_REAL;
  unsigned char     *bx, *bl, *ax = NULL, *al = NULL;
  MPI_Datatype       item;
  char               msg[IDX_MSG_LEN] = "";
  const PetscInt     nf = ds->nf, n = ds->n, nch = ds->img[2], np = ds->img[0] * ds->img[1];

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  PetscValidCharPointer(images, 2);
  PetscValidCharPointer(labels, 3);
  OdynDatasetCheckSizes(ds, "OdynDatasetWriteIDX");
  comm = PetscObjectComm((PetscObject)ds);
  PetscCheck(!ds->T, comm, PETSC_ERR_SUP, "OdynDatasetWriteIDX: the data set has regression targets (OdynDatasetSetTargets()), which IDX label files cannot hold");
  PetscCheck(ds->nc <= 256, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynDatasetWriteIDX: IDX labels are bytes, the data set has %" PetscInt_FMT " classes (at most 256)", ds->nc);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  /* each rank makes the bytes of its examples; rank 0 gathers bytes (not 8 times as many scalars) and writes */
  PetscCall(PetscMalloc2(n * nf, &bx, n, &bl));
  PetscCall(VecGetArrayRead(ds->X, &x));
  for (PetscInt i = 0; i < n && bad == PETSC_MAX_INT; i++) {
    for (PetscInt k = 0; k < nf; k++) {
      const PetscReal v = PetscRealPart(x[i * nf + k]);
      const PetscInt  o = nch > 1 ? (k % np) * nch + k / np : k; /* planar channels back to IDX's interleaved pixels */

      if (!(v >= 0 && v <= 1)) {
        bad    = (ds->rstart + i) * nf + k;
        badval = v;
        break;
      }
      bx[i * nf + o] = (unsigned char)(v * 255.0 + 0.5);
    }
    bl[i] = (unsigned char)ds->labels[i];
  }
  PetscCall(VecRestoreArrayRead(ds->X, &x));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT, MPI_MIN, comm));
  if (bad != PETSC_MAX_INT) {
    if (!(bad >= ds->rstart * nf && bad < (ds->rstart + n) * nf)) badval = PETSC_MIN_REAL; /* only the owner knows it */
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &badval, 1, MPIU_REAL, MPI_MAX, comm));
    PetscCall(PetscFree2(bx, bl));
    SETERRQ(comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynDatasetWriteIDX: feature %" PetscInt_FMT " of example %" PetscInt_FMT " is %g: IDX files hold bytes, so features must be in [0, 1]", bad % nf, bad / nf, (double)badval);
  }
  PetscCall(PetscMPIIntCast(n, &nloc));
  if (rank == 0) {
    PetscCall(PetscMalloc2(size, &counts, size, &displs));
    PetscCall(PetscMalloc2(nf * ds->N, &ax, ds->N, &al));
  }
  PetscCallMPI(MPI_Gather(&nloc, 1, MPI_INT, counts, 1, MPI_INT, 0, comm));
  if (rank == 0) {
    displs[0] = 0;
    for (PetscMPIInt r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  }
  PetscCallMPI(MPI_Type_contiguous((PetscMPIInt)nf, MPI_UNSIGNED_CHAR, &item));
  PetscCallMPI(MPI_Type_commit(&item));
  PetscCallMPI(MPI_Gatherv(bx, nloc, item, ax, counts, displs, item, 0, comm));
  PetscCallMPI(MPI_Type_free(&item));
  PetscCallMPI(MPI_Gatherv(bl, nloc, MPI_UNSIGNED_CHAR, al, counts, displs, MPI_UNSIGNED_CHAR, 0, comm));
  PetscCall(PetscFree2(bx, bl));
  if (rank == 0) {
    dims[0] = ds->N;
    if (ds->img[0]) {
      dims[1] = ds->img[1];
      dims[2] = ds->img[0];
      dims[3] = nch;
      ndim    = nch > 1 ? 4 : 3;
    } else {
      dims[1] = nf;
      ndim    = 2;
    }
    PetscCall(IDXWriteFile(images, (int)ndim, dims, ax, (size_t)nf * ds->N, msg));
    if (!msg[0]) PetscCall(IDXWriteFile(labels, 1, dims, al, (size_t)ds->N, msg));
    PetscCall(PetscFree2(ax, al));
    PetscCall(PetscFree2(counts, displs));
  }
  PetscCallMPI(MPI_Bcast(msg, IDX_MSG_LEN, MPI_CHAR, 0, comm));
  PetscCheck(!msg[0], comm, PETSC_ERR_FILE_WRITE, "%s", msg);
  PetscFunctionReturn(0);
}

/*
  The labels file that goes with an IDX images file, by MNIST's naming: the last "images" in the file's name becomes
  "labels" and the "idx2", "idx3" or "idx4" after it "idx1" (train-images-idx3-ubyte.gz -> train-labels-idx1-ubyte.gz,
  digits.images.idx -> digits.labels.idx).
*/
PetscErrorCode OdynDatasetIDXLabelsName(MPI_Comm comm, const char images[], char labels[], size_t len)
{
  const char *base = strrchr(images, '/'), *p, *q = NULL;
  char       *o, *d;

  PetscFunctionBegin;
  base = base ? base + 1 : images;
  for (p = strstr(base, "images"); p; p = strstr(p + 1, "images")) q = p;
  PetscCheck(q, comm, PETSC_ERR_ARG_WRONG, "Cannot tell the labels file of the IDX images file %s: its name has no \"images\" to replace by \"labels\" (name the files like train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz)", images);
  PetscCheck(strlen(images) < len, comm, PETSC_ERR_ARG_SIZ, "The IDX file name %s is too long", images);
  PetscCall(PetscStrncpy(labels, images, len));
  o = labels + (q - images);
  memcpy(o, "labels", 6);
  for (d = strstr(o, "idx"); d; d = strstr(d + 1, "idx"))
    if (d[3] == '2' || d[3] == '3' || d[3] == '4') {
      d[3] = '1';
      break;
    }
  PetscFunctionReturn(0);
}
