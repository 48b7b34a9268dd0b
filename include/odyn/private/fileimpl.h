#ifndef ODYN_FILEIMPL_H
#define ODYN_FILEIMPL_H

/*
   What odyn's versioned files (model files, src/model/; training checkpoints, solvers/bcd/checkpoint.c) share
   (src/model/fileio.c): the 64-bit FNV-1a checksum over key=value lines and IEEE values in the global order, and
   the atomic write: FILE.tmp is written, every rank closes it, rank 0 fsyncs it and renames it to FILE; errors are
   raised on every rank and name the file.
*/
#include <stdint.h>
#include <petscvec.h>

PETSC_INTERN void OdynFnv(uint64_t *, const void *, size_t);
PETSC_INTERN void OdynFnvLine(uint64_t *, const char *, const char *);
PETSC_INTERN void OdynFnvInt(uint64_t *, const char *, PetscInt);
PETSC_INTERN void OdynFnvReal(uint64_t *, const char *, PetscReal);
PETSC_INTERN void OdynFnvValues(uint64_t *, const PetscScalar *, PetscInt);
PETSC_INTERN PetscErrorCode OdynFnvVec(uint64_t *, const char *, Vec); /* collective; the hash is valid on rank 0 */
PETSC_INTERN PetscErrorCode OdynVecGatherToZero(Vec, VecScatter *, Vec *);

/* rank 0 creates FILE.tmp (a clear message for a missing folder or a read-only place); tmp receives its name */
PETSC_INTERN PetscErrorCode OdynFileCreateTmp(MPI_Comm, const char[], const char[], char[], size_t);
/* after every rank closed tmp: rank 0 fsyncs it and renames it to the file */
PETSC_INTERN PetscErrorCode OdynFileCommit(MPI_Comm, const char[], const char[], const char[]);

#if defined(PETSC_HAVE_HDF5) && defined(ODYN_HAVE_HDF5_HEADER)
  #include <petscviewerhdf5.h>

  #define ODYN_FILE_MSG_LEN (2 * PETSC_MAX_PATH_LEN + 1024)

/* a failure captured instead of printed, so that it can be raised again naming the file (OdynFileTry) */
typedef struct {
  char           msg[ODYN_FILE_MSG_LEN];
  PetscErrorCode code;
} OdynFileCapture;

PETSC_INTERN PetscErrorCode OdynFileCaptureHandler(MPI_Comm, int, const char *, const char *, PetscErrorCode, PetscErrorType, const char *, void *);

/* Runs call; a failure is recorded in cap (the first one only) instead of being printed and returned. */
  #define OdynFileTry(cap, call) \
    do { \
      PetscErrorCode ierr_; \
      PetscCall(PetscPushErrorHandler(OdynFileCaptureHandler, &(cap))); \
      ierr_ = (call); \
      PetscCall(PetscPopErrorHandler()); \
      if (ierr_ && !(cap).code) (cap).code = ierr_; \
    } while (0)

/* HDF5 prints its error stack on stderr by default; odyn reports the errors itself. */
typedef struct {
  H5E_auto2_t func;
  void       *data;
} OdynH5Quiet;

PETSC_INTERN void OdynH5QuietBegin(OdynH5Quiet *);
PETSC_INTERN void OdynH5QuietEnd(OdynH5Quiet *);
PETSC_INTERN void OdynH5LastError(char *, size_t);
/* rank 0: does the file exist, can it be read, can HDF5 open it? msg names the cause ("<What> FILE does not exist") */
PETSC_INTERN void OdynH5CheckReadable(const char *, const char *, char *, size_t, PetscErrorCode *);
/* a Vec into the viewer's current group under a name (a copy: the caller's Vec keeps its name) */
PETSC_INTERN PetscErrorCode OdynH5WriteVec(PetscViewer, Vec, const char *);
#endif

#endif
