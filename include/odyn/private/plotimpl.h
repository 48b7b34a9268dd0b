#ifndef ODYN_PLOTIMPL_H
#define ODYN_PLOTIMPL_H

#include <petscsys.h>

/* Length of the error messages that rank 0 composes and broadcasts, so that every rank raises the same error. */
#define ODYN_PLOT_MSG_LEN (PETSC_MAX_PATH_LEN + 256)

/* Largest width or height of an image in pixels: 16384^2 RGB pixels are 768 MiB on rank 0. */
#define ODYN_PLOT_MAX_PX 16384

/*
  Rank 0 only (src/plot/plot.c): writes width x height RGB pixels (rows top first) to filename through a temporary file
  beside it that is renamed when complete. Raises nothing on failure: msg gets "<fn>: <reason naming the file>" and
  *code the PETSc error class, so that the caller can broadcast them and fail on every rank together.
*/
PETSC_INTERN PetscErrorCode OdynPlotWritePNG_Private(const char fn[], const char filename[], PetscInt width, PetscInt height, const unsigned char rgb[], char msg[], int *code);

#endif
