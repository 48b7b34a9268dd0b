#ifndef ODYN_MODELIMPL_H
#define ODYN_MODELIMPL_H

#include <petsc/private/petscimpl.h>
#include <odynmodel.h>

struct _OdynModelOps {
  PetscErrorCode (*view)(OdynModel, PetscViewer);
};

/*
   A model holds references to the four objects that make a trained classifier; OdynModelLoad() creates them. The
   version fields describe the file the model came from (or this odyn, for a model that was never read), the checksum
   is that of the last file written or read (src/model/modelio.c computes it).
*/
struct _p_OdynModel {
  PETSCHEADER(struct _OdynModelOps);
  OdynNet  net;
  OdynLoss loss;
  Vec      theta, wmu;
  char    *info;            /* free text: how the model was trained (PetscMalloc'ed, never NULL) */
  PetscInt format_version;  /* format version of the file read, ODYN_MODEL_FORMAT_VERSION otherwise */
  char     odyn_version[32];
  char     checksum[32];    /* "fnv1a64:<16 hex digits>", or "" */
  char     filename[PETSC_MAX_PATH_LEN];
  PetscInt chunk;           /* examples per rank and forward sweep in OdynModelPredict()/OdynModelEvaluate() */
};

PETSC_INTERN PetscErrorCode OdynModelInitializePackage_Private(void);
PETSC_INTERN PetscErrorCode OdynModelReset_Private(OdynModel);
PETSC_INTERN PetscErrorCode OdynModelCheckParameters_Private(OdynModel, const char[]);
/* bern: the binary logistic classifier (one output, two classes); logistic, softmax: the loss type */
PETSC_INTERN PetscErrorCode OdynModelIsBernoulli_Private(OdynModel, PetscBool *, PetscBool *, PetscBool *);

#endif
