#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <petscviewerhdf5.h>
#include "modeltamper.h"

long OdynTestFileSize(const char path[])
{
  FILE *fp = fopen(path, "rb");
  long  n;

  if (!fp) return -1;
  fseek(fp, 0, SEEK_END);
  n = ftell(fp);
  fclose(fp);
  return n;
}

/* The first len bytes of a file (len < 0: all of it). */
static PetscErrorCode ReadBytes(const char path[], long len, unsigned char **buf, long *n)
{
  FILE *fp;

  PetscFunctionBegin;
  *n = OdynTestFileSize(path);
  PetscCheck(*n >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open %s", path);
  if (len >= 0 && len < *n) *n = len;
  PetscCall(PetscMalloc1(*n + 1, buf));
  fp = fopen(path, "rb");
  PetscCheck(fp && (long)fread(*buf, 1, *n, fp) == *n, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "cannot read %s", path);
  fclose(fp);
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteBytes(const char path[], const unsigned char *buf, long n)
{
  FILE *fp = fopen(path, "wb");

  PetscFunctionBegin;
  PetscCheck(fp && (long)fwrite(buf, 1, n, fp) == n && !fclose(fp), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write %s", path);
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTestFileTruncate(MPI_Comm comm, const char in[], const char out[], long len)
{
  PetscMPIInt    rank;
  unsigned char *buf;
  long           n;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    PetscCall(ReadBytes(in, len, &buf, &n));
    PetscCall(WriteBytes(out, buf, n));
    PetscCall(PetscFree(buf));
  }
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTestModelFlipTheta(MPI_Comm comm, const char in[], const char out[])
{
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    OdynModel          model;
    Vec                theta;
    const PetscScalar *t;
    PetscInt           N;
    unsigned char     *buf, pat[8];
    long               n, at = -1;
    uint64_t           bits;
    double             v;

    /* the bytes of theta[N/2] as HDF5 stores them (little-endian doubles), found in the file */
    PetscCall(OdynModelCreate(PETSC_COMM_SELF, &model));
    PetscCall(OdynModelLoad(model, in));
    PetscCall(OdynModelGetParameters(model, NULL, NULL, &theta, NULL));
    PetscCall(VecGetSize(theta, &N));
    PetscCall(VecGetArrayRead(theta, &t));
    v = (double)PetscRealPart(t[N / 2]);
    PetscCall(VecRestoreArrayRead(theta, &t));
    PetscCall(OdynModelDestroy(&model));
    memcpy(&bits, &v, 8);
    for (int k = 0; k < 8; k++) pat[k] = (unsigned char)(bits >> (8 * k));
    PetscCall(ReadBytes(in, -1, &buf, &n));
    for (long i = 0; i + 8 <= n && at < 0; i++)
      if (!memcmp(buf + i, pat, 8)) at = i;
    PetscCheck(at >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "theta[%" PetscInt_FMT "] not found in %s", N / 2, in);
    buf[at] ^= 1; /* the last bit of the mantissa: the value changes by one unit in the last place */
    PetscCall(WriteBytes(out, buf, n));
    PetscCall(PetscFree(buf));
  }
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTestModelSetFormatVersion(MPI_Comm comm, const char in[], const char out[], PetscInt version)
{
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    PetscViewer v;

    PetscCall(OdynTestFileTruncate(PETSC_COMM_SELF, in, out, -1));
    PetscCall(PetscViewerHDF5Open(PETSC_COMM_SELF, out, FILE_MODE_APPEND, &v));
    PetscCall(PetscViewerHDF5WriteAttribute(v, "/odyn_model", "format_version", PETSC_INT, &version));
    PetscCall(PetscViewerDestroy(&v));
  }
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(0);
}
