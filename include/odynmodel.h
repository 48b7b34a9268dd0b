#ifndef ODYNMODEL_H
#define ODYNMODEL_H

#include <odynnet.h>
#include <odynloss.h>
#include <odyndata.h>

/*S
   OdynModel - a trained network together with its classifier, as one object that can be written to and read from a
   model file: the network (blocks of `OdynScheme` + `OdynLayer`), the hypothesis/loss (`OdynLoss`: type and sizes),
   the propagation weights theta and the classifier weights wmu, free text that says how it was trained, the odyn
   version and the file format version. The file is HDF5 through PETSc's viewer and carries a checksum; its layout is
   documented in docs/model-format.md. A model written on p ranks loads on any number of ranks.

   Level: beginner

.seealso: `OdynModelCreate()`, `OdynModelSetParameters()`, `OdynModelSave()`, `OdynModelLoad()`, `OdynModelPredict()`,
          `OdynModelEvaluate()`
S*/
typedef struct _p_OdynModel *OdynModel;

PETSC_EXTERN PetscClassId ODYNMODEL_CLASSID;

/* The model file format this odyn writes, and the newest it reads (docs/model-format.md). */
#define ODYN_MODEL_FORMAT_VERSION 2

/*E
   OdynModelOutputType - what the columns written by `OdynModelPredict()` hold

+  ODYN_MODEL_OUTPUT_PROBABILITY - class probabilities (softmax; logistic: one Bernoulli probability per output, or
                                   P(class 0), P(class 1) for the binary classifier with one output)
-  ODYN_MODEL_OUTPUT_SCORE - the scores W^T y + mu (lsq and losses odyn does not know the hypothesis of)

   Level: beginner

.seealso: `OdynModelGetNumOutputs()`, `OdynModelPredict()`
E*/
typedef enum {
  ODYN_MODEL_OUTPUT_PROBABILITY,
  ODYN_MODEL_OUTPUT_SCORE
} OdynModelOutputType;

PETSC_EXTERN PetscErrorCode OdynModelCreate(MPI_Comm, OdynModel *);
PETSC_EXTERN PetscErrorCode OdynModelSetFromOptions(OdynModel);
PETSC_EXTERN PetscErrorCode OdynModelView(OdynModel, PetscViewer);
PETSC_EXTERN PetscErrorCode OdynModelDestroy(OdynModel *);
PETSC_EXTERN PetscErrorCode OdynModelSetParameters(OdynModel, OdynNet, OdynLoss, Vec, Vec);
PETSC_EXTERN PetscErrorCode OdynModelGetParameters(OdynModel, OdynNet *, OdynLoss *, Vec *, Vec *);
PETSC_EXTERN PetscErrorCode OdynModelSetInfo(OdynModel, const char[]);
PETSC_EXTERN PetscErrorCode OdynModelGetInfo(OdynModel, const char *[]);
PETSC_EXTERN PetscErrorCode OdynModelGetVersion(OdynModel, PetscInt *, const char *[]);
PETSC_EXTERN PetscErrorCode OdynModelGetChecksum(OdynModel, const char *[]);
PETSC_EXTERN PetscErrorCode OdynModelSetChunkSize(OdynModel, PetscInt);
PETSC_EXTERN PetscErrorCode OdynModelGetChunkSize(OdynModel, PetscInt *);
PETSC_EXTERN PetscErrorCode OdynModelGetNumOutputs(OdynModel, PetscInt *, OdynModelOutputType *);
PETSC_EXTERN PetscErrorCode OdynModelSave(OdynModel, const char[]);
PETSC_EXTERN PetscErrorCode OdynModelLoad(OdynModel, const char[]);
PETSC_EXTERN PetscErrorCode OdynModelPredict(OdynModel, Vec, Vec, PetscInt[]);
PETSC_EXTERN PetscErrorCode OdynModelEvaluate(OdynModel, OdynDataset, PetscReal *, PetscReal *);

#endif
