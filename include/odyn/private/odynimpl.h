#ifndef ODYN_ODYNIMPL_H
#define ODYN_ODYNIMPL_H

#include <petscsys.h>
#include <odynsys.h>
#include <odyn/private/backend.h>

/* A GEMM through the backend; the backend reports sizes that do not fit the BLAS integer. */
#define OdynCallGemm(...) \
  PetscCheck(odyn_gemm(__VA_ARGS__) == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Matrix dimensions exceed the BLAS integer range: split the examples into smaller chunks")

/* An operation of a backend table (backend.h), its status turned into a PETSc error: OdynBackendCall(ops, gemm, ...) */
#define OdynBackendCall(ops, op, ...) \
  do { \
    int odyn_st_ = (ops)->op(__VA_ARGS__); \
    if (odyn_st_) PetscCall(OdynBackendCheckStatus((ops), odyn_st_, #op)); \
  } while (0)
/* src/sys/backend.c: a known and built backend name, or a clear error */
PETSC_INTERN PetscErrorCode OdynBackendCheckName_Private(MPI_Comm, const char[]);
/* src/sys/backend.c: len doubles host -> backend memory and back, timed by the log events OdynBackendToDev /
   OdynBackendToHost (-log_view) and added, in bytes, to *counter (the copy counts of the blocks and the loss) */
PETSC_EXTERN PetscLogEvent ODYN_BackendToDevice, ODYN_BackendToHost;
PETSC_INTERN PetscErrorCode OdynBackendToDevice_Private(const OdynBackendOps *, double *, const PetscScalar *, PetscInt, PetscLogDouble *);
PETSC_INTERN PetscErrorCode OdynBackendToHost_Private(const OdynBackendOps *, PetscScalar *, const double *, PetscInt, PetscLogDouble *);

/* Grows *buf to hold at least `need` scalars (contents are not kept); *cap is its current capacity. */
static inline PetscErrorCode OdynWorkEnsure(PetscScalar **buf, PetscInt *cap, PetscInt need)
{
  PetscFunctionBegin;
  if (need > *cap || !*buf) {
    PetscCall(PetscFree(*buf));
    PetscCall(PetscMalloc1(need > 0 ? need : 1, buf));
    *cap = need;
  }
  PetscFunctionReturn(0);
}

#endif
