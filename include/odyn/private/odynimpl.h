#ifndef ODYN_ODYNIMPL_H
#define ODYN_ODYNIMPL_H

#include <petscsys.h>
#include <odyn/private/backend.h>

/* A GEMM through the backend; the backend reports sizes that do not fit the BLAS integer. */
#define OdynCallGemm(...) \
  PetscCheck(odyn_gemm(__VA_ARGS__) == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Matrix dimensions exceed the BLAS integer range: split the examples into smaller chunks")

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
