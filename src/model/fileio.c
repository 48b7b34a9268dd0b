/*
   Helpers of odyn's versioned files (include/odyn/private/fileimpl.h): the checksum, the atomic write, and the HDF5
   error handling shared by model files (modelio.c) and training checkpoints (solvers/bcd/checkpoint.c).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <petscsys.h>
#include <odyn/private/fileimpl.h>

/* ---- the checksum: 64-bit FNV-1a over key=value lines and the values, in the global order ---- */

void OdynFnv(uint64_t *h, const void *p, size_t n)
{
  const unsigned char *c = (const unsigned char *)p;

  for (size_t i = 0; i < n; i++) {
    *h ^= c[i];
    *h *= 0x100000001b3ULL;
  }
}

void OdynFnvLine(uint64_t *h, const char *key, const char *val)
{
  OdynFnv(h, key, strlen(key));
  OdynFnv(h, "=", 1);
  OdynFnv(h, val, strlen(val));
  OdynFnv(h, "\n", 1);
}

void OdynFnvInt(uint64_t *h, const char *key, PetscInt v)
{
  char s[32];

  snprintf(s, sizeof(s), "%" PetscInt_FMT, v);
  OdynFnvLine(h, key, s);
}

static uint64_t RealBits(PetscReal x)
{
  double   d = (double)x;
  uint64_t b;

  memcpy(&b, &d, sizeof(b));
  return b;
}

void OdynFnvReal(uint64_t *h, const char *key, PetscReal v)
{
  char s[32];

  snprintf(s, sizeof(s), "%016" PRIx64, RealBits(v)); /* the IEEE bits: exact, and the same on every platform */
  OdynFnvLine(h, key, s);
}

/* The values as 8-byte little-endian IEEE doubles, whatever the byte order of this machine. */
void OdynFnvValues(uint64_t *h, const PetscScalar *v, PetscInt n)
{
  for (PetscInt i = 0; i < n; i++) {
    uint64_t      b = RealBits(PetscRealPart(v[i]));
    unsigned char le[8];

    for (int k = 0; k < 8; k++) le[k] = (unsigned char)(b >> (8 * k));
    OdynFnv(h, le, 8);
  }
}

/* Gathers the whole Vec on rank 0 (*seq holds it there, is empty elsewhere): the hash then sees the global order. */
PetscErrorCode OdynVecGatherToZero(Vec v, VecScatter *sc, Vec *seq)
{
  PetscFunctionBegin;
  PetscCall(VecScatterCreateToZero(v, sc, seq));
  PetscCall(VecScatterBegin(*sc, v, *seq, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(*sc, v, *seq, INSERT_VALUES, SCATTER_FORWARD));
  PetscFunctionReturn(0);
}

/* "<key>.size=N" and the values of v (collective; h is updated on rank 0 only) */
PetscErrorCode OdynFnvVec(uint64_t *h, const char *key, Vec v)
{
  VecScatter         sc;
  Vec                q;
  PetscMPIInt        rank;
  PetscInt           n;
  const PetscScalar *a;
  char               k[128];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PetscObjectComm((PetscObject)v), &rank));
  PetscCall(OdynVecGatherToZero(v, &sc, &q));
  if (rank == 0) {
    PetscCall(VecGetSize(q, &n));
    snprintf(k, sizeof(k), "%s.size", key);
    OdynFnvInt(h, k, n);
    PetscCall(VecGetArrayRead(q, &a));
    OdynFnvValues(h, a, n);
    PetscCall(VecRestoreArrayRead(q, &a));
  }
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&q));
  PetscFunctionReturn(0);
}

/* ---- the atomic write ---- */

PetscErrorCode OdynFileCreateTmp(MPI_Comm comm, const char filename[], const char what[], char tmp[], size_t len)
{
  PetscMPIInt rank;
  char        msg[2 * PETSC_MAX_PATH_LEN + 256] = "";

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscSNPrintf(tmp, len, "%s.tmp", filename));
  if (rank == 0) { /* a clear message for a missing folder or a read-only place (HDF5's would not name the cause) */
    FILE *fp = fopen(tmp, "w");
    if (!fp) PetscCall(PetscSNPrintf(msg, sizeof(msg), "Cannot write the %s %s: cannot create %s: %s", what, filename, tmp, strerror(errno)));
    else fclose(fp);
  }
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
  PetscCheck(!msg[0], comm, PETSC_ERR_FILE_OPEN, "%s", msg);
  PetscFunctionReturn(0);
}

PetscErrorCode OdynFileCommit(MPI_Comm comm, const char tmp[], const char filename[], const char what[])
{
  PetscMPIInt rank;
  char        msg[2 * PETSC_MAX_PATH_LEN + 256] = "";

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  /* every rank has closed the file: make it durable and move it into place */
  PetscCallMPI(MPI_Barrier(comm));
  if (rank == 0) {
    int fd = open(tmp, O_RDONLY);
    if (fd >= 0) {
      (void)fsync(fd);
      close(fd);
    }
    if (rename(tmp, filename)) {
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "Cannot write the %s %s: renaming %s to it failed: %s", what, filename, tmp, strerror(errno)));
      (void)remove(tmp);
    }
  }
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
  PetscCheck(!msg[0], comm, PETSC_ERR_FILE_WRITE, "%s", msg);
  PetscFunctionReturn(0);
}

#if defined(PETSC_HAVE_HDF5) && defined(ODYN_HAVE_HDF5_HEADER)

/* ---- errors ---- */

PetscErrorCode OdynFileCaptureHandler(MPI_Comm comm, int line, const char *func, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  OdynFileCapture *c = (OdynFileCapture *)ctx;

  if (p == PETSC_ERROR_INITIAL && mess && !c->msg[0]) (void)PetscStrncpy(c->msg, mess, sizeof(c->msg));
  return n;
}

typedef struct {
  char  *buf;
  size_t len;
} H5Detail;

static herr_t H5DetailWalk(unsigned n, const H5E_error2_t *e, void *ctx)
{
  H5Detail *d = (H5Detail *)ctx;

  if (n == 0 && e->desc) snprintf(d->buf, d->len, "%s", e->desc); /* walking upward, n = 0 is the innermost cause */
  return 0;
}

/* The innermost description on HDF5's error stack ("truncated file: eof = ..."), or "". */
void OdynH5LastError(char *buf, size_t len)
{
  H5Detail d = {buf, len};

  buf[0] = 0;
  (void)H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, H5DetailWalk, &d);
}

void OdynH5QuietBegin(OdynH5Quiet *q)
{
  (void)H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
  (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void OdynH5QuietEnd(OdynH5Quiet *q) { (void)H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

void OdynH5CheckReadable(const char *what, const char *fname, char *msg, size_t len, PetscErrorCode *code)
{
  hid_t f;

  msg[0] = 0;
  if (access(fname, F_OK)) {
    snprintf(msg, len, "%s %s does not exist", what, fname);
    *code = PETSC_ERR_FILE_OPEN;
  } else if (access(fname, R_OK)) {
    snprintf(msg, len, "%s %s cannot be read: %s", what, fname, strerror(errno));
    *code = PETSC_ERR_FILE_OPEN;
  } else if ((f = H5Fopen(fname, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
    char detail[512];

    OdynH5LastError(detail, sizeof(detail));
    snprintf(msg, len, "%s %s is truncated or corrupt, or not an HDF5 file (HDF5: %s)", what, fname, detail[0] ? detail : "cannot open it");
    *code = PETSC_ERR_FILE_UNEXPECTED;
  } else (void)H5Fclose(f);
}

PetscErrorCode OdynH5WriteVec(PetscViewer v, Vec x, const char *name)
{
  Vec y;

  PetscFunctionBegin;
  PetscCall(VecDuplicate(x, &y)); /* a copy, so the caller's Vec keeps its name */
  PetscCall(VecCopy(x, y));
  PetscCall(PetscObjectSetName((PetscObject)y, name));
  PetscCall(VecView(y, v));
  PetscCall(VecDestroy(&y));
  PetscFunctionReturn(0);
}

#endif
