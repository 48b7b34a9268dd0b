#ifndef ODYN_MODELTAMPER_H
#define ODYN_MODELTAMPER_H

/* Broken model files for the error tests (tests/test_model.c, app/ tests through tests/model_tamper.c). Rank 0 of
   comm does the file work; the calls are collective. */
#include <odyn.h>
#include <odynmodel.h>

/* Copies in to out with one bit of one value of theta flipped: a change only the checksum can see. */
PetscErrorCode OdynTestModelFlipTheta(MPI_Comm comm, const char in[], const char out[]);
/* Copies in to out and sets its format_version attribute to version (a file from a newer odyn). */
PetscErrorCode OdynTestModelSetFormatVersion(MPI_Comm comm, const char in[], const char out[], PetscInt version);
/* Copies the first len bytes of in to out (a file cut short, as by a full disk or an interrupted copy). */
PetscErrorCode OdynTestFileTruncate(MPI_Comm comm, const char in[], const char out[], long len);
/* The size of a file in bytes, -1 if it does not exist. */
long OdynTestFileSize(const char path[]);

#endif
