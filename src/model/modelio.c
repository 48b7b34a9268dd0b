/*
   Model files: HDF5 through PETSc's viewer (docs/model-format.md has the layout and the checksum).

   Writing goes to FILE.tmp, which rank 0 renames to FILE only after every rank has closed it, so a crash or an error
   never leaves a half-written FILE (an error also removes FILE.tmp). Reading checks, in this order: the file exists;
   HDF5 can open it (a truncated file fails here: HDF5 compares the end of file recorded in its superblock with the
   file's length); it is an odyn model; its format version is one this odyn reads; the checksum over the description
   and the values of theta and wmu; and that the description and the parameters fit together. Every error is raised
   on all ranks and names the file.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "modeldesc.h"
#include <odyn/private/fileimpl.h>

#if defined(PETSC_HAVE_HDF5) && defined(ODYN_HAVE_HDF5_HEADER)
  #include <petscviewerhdf5.h>

  #define MODEL_GROUP   "/odyn_model"
  #define MODEL_MSG_LEN ODYN_FILE_MSG_LEN

/* ---- writing ---- */

static PetscErrorCode WriteModel(PetscViewer v, const OdynModelDesc *d, Vec theta, Vec wmu, const char *sum)
{
  char path[64];

  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5WriteGroup(v, MODEL_GROUP));
  PetscCall(PetscViewerHDF5WriteAttribute(v, MODEL_GROUP, "format", PETSC_STRING, ODYN_MODEL_MAGIC));
  PetscCall(PetscViewerHDF5WriteAttribute(v, MODEL_GROUP, "format_version", PETSC_INT, &d->version));
  PetscCall(PetscViewerHDF5WriteAttribute(v, MODEL_GROUP, "odyn_version", PETSC_STRING, d->odyn));
  PetscCall(PetscViewerHDF5WriteAttribute(v, MODEL_GROUP, "info", PETSC_STRING, d->info));
  PetscCall(PetscViewerHDF5WriteAttribute(v, MODEL_GROUP, "num_blocks", PETSC_INT, &d->nblocks));
  for (PetscInt b = 0; b < d->nblocks; b++) {
    const OdynModelBlockDesc *B = &d->blocks[b];

    PetscCall(PetscSNPrintf(path, sizeof(path), MODEL_GROUP "/block%" PetscInt_FMT, b));
    PetscCall(PetscViewerHDF5WriteGroup(v, path));
    PetscCall(PetscViewerHDF5WriteAttribute(v, path, "scheme", PETSC_STRING, B->scheme));
    PetscCall(PetscViewerHDF5WriteAttribute(v, path, "layer", PETSC_STRING, B->layer));
    PetscCall(PetscViewerHDF5WriteAttribute(v, path, "width", PETSC_INT, &B->width));
    PetscCall(PetscViewerHDF5WriteAttribute(v, path, "hidden_width", PETSC_INT, &B->hidden));
    PetscCall(PetscViewerHDF5WriteAttribute(v, path, "activation", PETSC_STRING, B->activation));
    PetscCall(PetscViewerHDF5WriteAttribute(v, path, "num_steps", PETSC_INT, &B->steps));
    PetscCall(PetscViewerHDF5WriteAttribute(v, path, "final_time", PETSC_REAL, &B->T));
    PetscCall(PetscViewerHDF5WriteAttribute(v, path, "settings", PETSC_STRING, B->settings));
  }
  PetscCall(PetscViewerHDF5WriteGroup(v, MODEL_GROUP "/loss"));
  PetscCall(PetscViewerHDF5WriteAttribute(v, MODEL_GROUP "/loss", "type", PETSC_STRING, d->loss));
  PetscCall(PetscViewerHDF5WriteAttribute(v, MODEL_GROUP "/loss", "num_features", PETSC_INT, &d->nf));
  PetscCall(PetscViewerHDF5WriteAttribute(v, MODEL_GROUP "/loss", "num_classes", PETSC_INT, &d->nc));
  PetscCall(PetscViewerHDF5WriteAttribute(v, MODEL_GROUP "/loss", "settings", PETSC_STRING, d->losssettings));
  PetscCall(PetscViewerHDF5PushGroup(v, MODEL_GROUP));
  PetscCall(OdynH5WriteVec(v, theta, "theta"));
  PetscCall(OdynH5WriteVec(v, wmu, "wmu"));
  PetscCall(PetscViewerHDF5PopGroup(v));
  PetscCall(PetscViewerHDF5WriteAttribute(v, MODEL_GROUP, "checksum", PETSC_STRING, sum));
  PetscFunctionReturn(0);
}

/*@C
   OdynModelSave - writes the model to a file (HDF5, docs/model-format.md)

   Collective

   Input Parameters:
+  m - the model, filled by `OdynModelSetParameters()` (and `OdynModelSetInfo()`)
-  filename - the file; replaced atomically if it exists

   Level: beginner

   Notes:
   The file holds the network description (per block: scheme, layer, widths, activation, steps, final time, and
   the settings of the scheme and the layer as options: `OdynSchemeGetSettings()`, `OdynLayerGetSettings()`), the
   loss type, sizes and settings (`OdynLossGetSettings()`), theta and wmu (as Vecs: independent of the number of ranks), the info
   text, the odyn and format versions and a checksum. Everything is written to filename.tmp, which is renamed to
   filename when complete; on an error filename is untouched and filename.tmp is removed. Networks with shell layers
   cannot be written (their functions are the program's callbacks).

.seealso: `OdynModelLoad()`, `OdynModelSetParameters()`, `OdynModelSetInfo()`
@*/
PetscErrorCode OdynModelSave(OdynModel m, const char filename[])
{
  MPI_Comm        comm;
  PetscMPIInt     rank;
  OdynModelDesc   d;
  OdynFileCapture cap;
  OdynH5Quiet     quiet;
  PetscViewer     v = NULL;
  char            tmp[PETSC_MAX_PATH_LEN + 8], sum[32];

  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscValidCharPointer(filename, 2);
  comm = PetscObjectComm((PetscObject)m);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCheck(m->net && m->loss && m->theta && m->wmu, comm, PETSC_ERR_ARG_WRONGSTATE, "Cannot write the model file %s: the model is empty (OdynModelSetParameters())", filename);
  PetscCall(PetscMemzero(&d, sizeof(d)));
  PetscCall(PetscMemzero(&cap, sizeof(cap)));
  OdynFileTry(cap, OdynModelDescribe(m, filename, &d)); /* so that a refusal (a shell layer, say) frees what it described */
  if (cap.code) {
    PetscCall(OdynModelDescReset(&d));
    SETERRQ(comm, cap.code, "%s", cap.msg);
  }
  PetscCall(OdynModelDescChecksum(comm, &d, m->theta, m->wmu, sum));
  {
    PetscErrorCode ierr = OdynFileCreateTmp(comm, filename, "model file", tmp, sizeof(tmp));
    if (ierr) PetscCall(OdynModelDescReset(&d)); /* then raise it */
    PetscCall(ierr);
  }
  OdynH5QuietBegin(&quiet);
  OdynFileTry(cap, PetscViewerHDF5Open(comm, tmp, FILE_MODE_WRITE, &v));
  if (!cap.code) {
    OdynFileTry(cap, WriteModel(v, &d, m->theta, m->wmu, sum));
    OdynFileTry(cap, PetscViewerDestroy(&v)); /* closes the file on every rank */
  } else v = NULL; /* PETSc 3.18 cannot destroy a viewer whose file did not open; it is lost */
  if (cap.code) {
    char detail[512];

    OdynH5LastError(detail, sizeof(detail));
    if (rank == 0) (void)remove(tmp);
    OdynH5QuietEnd(&quiet);
    PetscCall(OdynModelDescReset(&d));
    SETERRQ(comm, PETSC_ERR_FILE_WRITE, "Writing the model file %s failed (it was left untouched): %s%s%s", filename, cap.msg, detail[0] ? "; HDF5: " : "", detail);
  }
  OdynH5QuietEnd(&quiet);
  PetscCall(OdynModelDescReset(&d));
  PetscCall(OdynFileCommit(comm, tmp, filename, "model file"));
  PetscCall(PetscStrncpy(m->checksum, sum, sizeof(m->checksum)));
  PetscCall(PetscStrncpy(m->filename, filename, sizeof(m->filename)));
  m->format_version = ODYN_MODEL_FORMAT_VERSION;
  PetscCall(PetscSNPrintf(m->odyn_version, sizeof(m->odyn_version), "%d.%d.%d", ODYN_VERSION_MAJOR, ODYN_VERSION_MINOR, ODYN_VERSION_PATCH));
  PetscFunctionReturn(0);
}

/* ---- reading ---- */

static PetscErrorCode ReadAttr(PetscViewer v, const char *fname, const char *path, const char *name, PetscDataType type, void *value)
{
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5HasAttribute(v, path, name, &has));
  PetscCheck(has, PetscObjectComm((PetscObject)v), PETSC_ERR_FILE_UNEXPECTED, "Model file %s is incomplete or corrupt: the attribute %s/%s is missing", fname, path, name);
  PetscCall(PetscViewerHDF5ReadAttribute(v, path, name, type, NULL, value));
  PetscFunctionReturn(0);
}

/* A string attribute into a fixed buffer. */
static PetscErrorCode ReadName(PetscViewer v, const char *fname, const char *path, const char *name, char *buf, size_t len)
{
  char *s;

  PetscFunctionBegin;
  PetscCall(ReadAttr(v, fname, path, name, PETSC_STRING, &s));
  PetscCall(PetscStrncpy(buf, s, len));
  PetscCall(PetscFree(s));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadDesc(PetscViewer v, const char *fname, OdynModelDesc *d, char sum[32])
{
  MPI_Comm  comm = PetscObjectComm((PetscObject)v);
  PetscBool has, magic;
  char      format[64], path[64];

  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5HasAttribute(v, MODEL_GROUP, "format", &has));
  PetscCheck(has, comm, PETSC_ERR_FILE_UNEXPECTED, "%s is an HDF5 file but not an odyn model file (it has no %s group with a format attribute)", fname, MODEL_GROUP);
  PetscCall(ReadName(v, fname, MODEL_GROUP, "format", format, sizeof(format)));
  PetscCall(PetscStrcmp(format, ODYN_MODEL_MAGIC, &magic));
  PetscCheck(magic, comm, PETSC_ERR_FILE_UNEXPECTED, "%s is not an odyn model file: its format is \"%s\", expected \"%s\"", fname, format, ODYN_MODEL_MAGIC);
  PetscCall(ReadAttr(v, fname, MODEL_GROUP, "format_version", PETSC_INT, &d->version));
  PetscCall(ReadName(v, fname, MODEL_GROUP, "odyn_version", d->odyn, sizeof(d->odyn)));
  PetscCheck(d->version <= ODYN_MODEL_FORMAT_VERSION, comm, PETSC_ERR_SUP, "Model file %s has format version %" PetscInt_FMT " (written by odyn %s), newer than this odyn (%d.%d.%d) reads (format versions up to %d): read it with a newer odyn", fname, d->version, d->odyn, ODYN_VERSION_MAJOR, ODYN_VERSION_MINOR, ODYN_VERSION_PATCH, ODYN_MODEL_FORMAT_VERSION);
  PetscCheck(d->version >= 1, comm, PETSC_ERR_FILE_UNEXPECTED, "Model file %s is corrupt: format version %" PetscInt_FMT " does not exist", fname, d->version);
  PetscCall(ReadAttr(v, fname, MODEL_GROUP, "info", PETSC_STRING, &d->info));
  PetscCall(ReadName(v, fname, MODEL_GROUP, "checksum", sum, 32));
  PetscCall(ReadAttr(v, fname, MODEL_GROUP, "num_blocks", PETSC_INT, &d->nblocks));
  PetscCheck(d->nblocks >= 1 && d->nblocks <= 100000, comm, PETSC_ERR_FILE_UNEXPECTED, "Model file %s is corrupt: it says the network has %" PetscInt_FMT " blocks", fname, d->nblocks);
  PetscCall(PetscCalloc1(d->nblocks, &d->blocks));
  for (PetscInt b = 0; b < d->nblocks; b++) {
    OdynModelBlockDesc *B = &d->blocks[b];

    PetscCall(PetscSNPrintf(path, sizeof(path), MODEL_GROUP "/block%" PetscInt_FMT, b));
    PetscCall(ReadName(v, fname, path, "scheme", B->scheme, sizeof(B->scheme)));
    PetscCall(ReadName(v, fname, path, "layer", B->layer, sizeof(B->layer)));
    PetscCall(ReadAttr(v, fname, path, "width", PETSC_INT, &B->width));
    PetscCall(ReadAttr(v, fname, path, "hidden_width", PETSC_INT, &B->hidden));
    PetscCall(ReadName(v, fname, path, "activation", B->activation, sizeof(B->activation)));
    PetscCall(ReadAttr(v, fname, path, "num_steps", PETSC_INT, &B->steps));
    PetscCall(ReadAttr(v, fname, path, "final_time", PETSC_REAL, &B->T));
    if (d->version == 1) { /* version 1 knew one setting: the antisym gamma */
      PetscCall(PetscViewerHDF5HasAttribute(v, path, "antisym_gamma", &B->hasgamma));
      if (B->hasgamma) PetscCall(ReadAttr(v, fname, path, "antisym_gamma", PETSC_REAL, &B->gamma));
    } else PetscCall(ReadAttr(v, fname, path, "settings", PETSC_STRING, &B->settings));
  }
  PetscCall(ReadName(v, fname, MODEL_GROUP "/loss", "type", d->loss, sizeof(d->loss)));
  PetscCall(ReadAttr(v, fname, MODEL_GROUP "/loss", "num_features", PETSC_INT, &d->nf));
  PetscCall(ReadAttr(v, fname, MODEL_GROUP "/loss", "num_classes", PETSC_INT, &d->nc));
  if (d->version >= 2) PetscCall(ReadAttr(v, fname, MODEL_GROUP "/loss", "settings", PETSC_STRING, &d->losssettings));
  PetscFunctionReturn(0);
}

typedef struct {
  PetscViewer viewer;
  OdynModelDesc   d;
  Vec         theta, wmu;
  OdynNet     net;
  OdynLoss    loss;
  char        sum[32];
} LoadState;

static PetscErrorCode ReadVec(MPI_Comm comm, PetscViewer v, const char *fname, const char *name, Vec *x)
{
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5HasDataset(v, name, &has));
  PetscCheck(has, comm, PETSC_ERR_FILE_UNEXPECTED, "Model file %s is incomplete or corrupt: the dataset %s/%s is missing", fname, MODEL_GROUP, name);
  PetscCall(VecCreate(comm, x));
  PetscCall(PetscObjectSetName((PetscObject)*x, name));
  PetscCall(VecLoad(*x, v));
  PetscFunctionReturn(0);
}

static PetscErrorCode LoadState_Read(MPI_Comm comm, const char *fname, LoadState *s)
{
  char     sum[32];
  PetscInt N, np, nw, nout, nin, bs;

  PetscFunctionBegin;
  PetscCall(ReadDesc(s->viewer, fname, &s->d, s->sum));
  PetscCall(PetscViewerHDF5PushGroup(s->viewer, MODEL_GROUP));
  PetscCall(ReadVec(comm, s->viewer, fname, "theta", &s->theta));
  PetscCall(ReadVec(comm, s->viewer, fname, "wmu", &s->wmu));
  PetscCall(PetscViewerHDF5PopGroup(s->viewer));
  /* the checksum before anything is built from the description: a flipped byte gets its own message */
  PetscCall(OdynModelDescChecksum(comm, &s->d, s->theta, s->wmu, sum));
  PetscCheck(!strcmp(sum, s->sum), comm, PETSC_ERR_FILE_UNEXPECTED, "Model file %s is corrupt: checksum mismatch (the file says %s, its contents give %s)", fname, s->sum, sum);
  PetscCall(OdynModelDescBuild(comm, &s->d, &s->net, &s->loss));
  PetscCall(OdynNetGetNumParameters(s->net, &np));
  PetscCall(OdynNetGetInputWidth(s->net, &nin));
  PetscCall(OdynNetGetOutputWidth(s->net, &nout));
  PetscCall(OdynLossGetNumWeights(s->loss, &nw));
  PetscCall(VecGetSize(s->theta, &N));
  PetscCall(VecGetBlockSize(s->theta, &bs));
  PetscCheck(N == np && bs == 1, comm, PETSC_ERR_FILE_UNEXPECTED, "Model file %s is inconsistent: theta has %" PetscInt_FMT " values but its network has %" PetscInt_FMT " parameters", fname, N, np);
  PetscCall(VecGetSize(s->wmu, &N));
  PetscCall(VecGetBlockSize(s->wmu, &bs));
  PetscCheck(N == nw && bs == 1, comm, PETSC_ERR_FILE_UNEXPECTED, "Model file %s is inconsistent: wmu has %" PetscInt_FMT " values but its classifier has %" PetscInt_FMT " weights", fname, N, nw);
  PetscCheck(s->d.nf == nout, comm, PETSC_ERR_FILE_UNEXPECTED, "Model file %s is inconsistent: the classifier takes %" PetscInt_FMT " features but the network produces %" PetscInt_FMT, fname, s->d.nf, nout);
  PetscFunctionReturn(0);
}

static PetscErrorCode LoadState_Destroy(LoadState *s)
{
  PetscFunctionBegin;
  PetscCall(VecDestroy(&s->theta));
  PetscCall(VecDestroy(&s->wmu));
  PetscCall(OdynNetDestroy(&s->net));
  PetscCall(OdynLossDestroy(&s->loss));
  PetscCall(OdynModelDescReset(&s->d));
  PetscFunctionReturn(0);
}

/*@C
   OdynModelLoad - reads a model file, creating the network, loss and parameters on the model's communicator

   Collective

   Input Parameters:
+  m - the model (what it held before is released on success)
-  filename - the file, written by `OdynModelSave()` on any number of ranks

   Level: beginner

   Notes:
   Afterwards `OdynModelGetParameters()` gives the network (at the depth of the saved parameters, set up), the loss
   (type and sizes set), theta and wmu. Errors name the file and the problem: it does not exist; it is truncated or
   not an HDF5 file; it is not an odyn model; its format version is newer than this odyn reads; its checksum does not
   match (a changed byte); its description and its parameters do not fit together; a type in it is not registered.

.seealso: `OdynModelSave()`, `OdynModelGetParameters()`, `OdynModelGetVersion()`, `OdynModelView()`
@*/
PetscErrorCode OdynModelLoad(OdynModel m, const char filename[])
{
  MPI_Comm        comm;
  PetscMPIInt     rank;
  LoadState       s;
  OdynFileCapture cap;
  OdynH5Quiet     quiet;
  PetscErrorCode  code = 0;
  char            msg[MODEL_MSG_LEN] = "";

  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscValidCharPointer(filename, 2);
  comm = PetscObjectComm((PetscObject)m);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscMemzero(&s, sizeof(s)));
  PetscCall(PetscMemzero(&cap, sizeof(cap)));
  OdynH5QuietBegin(&quiet);
  if (rank == 0) OdynH5CheckReadable("Model file", filename, msg, sizeof(msg), &code);
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, 0, comm));
  if (msg[0]) {
    OdynH5QuietEnd(&quiet);
    SETERRQ(comm, code, "%s", msg);
  }
  OdynFileTry(cap, PetscViewerHDF5Open(comm, filename, FILE_MODE_READ, &s.viewer));
  if (cap.code) s.viewer = NULL; /* see OdynModelSave() */
  else OdynFileTry(cap, LoadState_Read(comm, filename, &s));
  if (cap.code) {
    char      detail[512];
    PetscBool named;

    OdynH5LastError(detail, sizeof(detail));
    if (s.viewer) OdynFileTry(cap, PetscViewerDestroy(&s.viewer));
    OdynH5QuietEnd(&quiet);
    PetscCall(LoadState_Destroy(&s));
    named = strstr(cap.msg, filename) ? PETSC_TRUE : PETSC_FALSE;
    if (named) SETERRQ(comm, cap.code, "%s", cap.msg); /* one of the messages above */
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "Model file %s could not be read (corrupt, or made by an odyn with other types registered): %s%s%s", filename, cap.msg, detail[0] ? "; HDF5: " : "", detail);
  }
  PetscCall(PetscViewerDestroy(&s.viewer));
  OdynH5QuietEnd(&quiet);
  PetscCall(OdynModelReset_Private(m));
  m->net   = s.net;
  m->loss  = s.loss;
  m->theta = s.theta;
  m->wmu   = s.wmu;
  s.net    = NULL;
  s.loss   = NULL;
  s.theta  = NULL;
  s.wmu    = NULL;
  PetscCall(PetscFree(m->info));
  m->info   = s.d.info;
  s.d.info  = NULL;
  m->format_version = s.d.version;
  PetscCall(PetscStrncpy(m->odyn_version, s.d.odyn, sizeof(m->odyn_version)));
  PetscCall(PetscStrncpy(m->checksum, s.sum, sizeof(m->checksum)));
  PetscCall(PetscStrncpy(m->filename, filename, sizeof(m->filename)));
  PetscCall(LoadState_Destroy(&s));
  PetscFunctionReturn(0);
}

#else /* no HDF5 */

PetscErrorCode OdynModelSave(OdynModel m, const char filename[])
{
  PetscFunctionBegin;
  SETERRQ(PetscObjectComm((PetscObject)m), PETSC_ERR_SUP, "Cannot write the model file %s: odyn was built without HDF5 (model files need PETSc configured with HDF5 and hdf5.h found by CMake)", filename);
}

PetscErrorCode OdynModelLoad(OdynModel m, const char filename[])
{
  PetscFunctionBegin;
  SETERRQ(PetscObjectComm((PetscObject)m), PETSC_ERR_SUP, "Cannot read the model file %s: odyn was built without HDF5 (model files need PETSc configured with HDF5 and hdf5.h found by CMake)", filename);
}

#endif
