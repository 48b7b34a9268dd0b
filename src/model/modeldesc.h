#ifndef ODYN_MODELDESC_H
#define ODYN_MODELDESC_H

/* What a model file says about a model besides the values of theta and wmu (src/model/modeldesc.c), shared by the
   HDF5 reader and writer (modelio.c). docs/model-format.md describes every field. */
#include <odyn/private/modelimpl.h>

#define ODYN_MODEL_MAGIC    "odyn-model"
#define ODYN_MODEL_INFO_MAX 32768 /* bytes of info text a file holds: HDF5 attributes must stay below 64 KiB */

typedef struct {
  char      scheme[256], layer[256], activation[32];
  PetscInt  width, hidden, steps;
  PetscReal T, gamma;
  PetscBool hasgamma; /* format version 1, antisym layers only (later versions: in settings) */
  char     *settings; /* format version >= 2: the scheme's then the layer's settings, as options (OdynSchemeGetSettings()) */
} OdynModelBlockDesc;

typedef struct {
  PetscInt            version;
  char                odyn[32], loss[256];
  char               *info;
  char               *losssettings; /* format version >= 2: OdynLossGetSettings() */
  PetscInt            nblocks, nf, nc;
  OdynModelBlockDesc *blocks;
} OdynModelDesc;

PETSC_INTERN PetscErrorCode OdynModelDescReset(OdynModelDesc *);
PETSC_INTERN PetscErrorCode OdynModelDescribe(OdynModel, const char[], OdynModelDesc *);
PETSC_INTERN PetscErrorCode OdynModelDescBuild(MPI_Comm, const OdynModelDesc *, OdynNet *, OdynLoss *);
PETSC_INTERN PetscErrorCode OdynModelDescChecksum(MPI_Comm, const OdynModelDesc *, Vec, Vec, char[32]);

#endif
