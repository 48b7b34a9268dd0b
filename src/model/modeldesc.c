/*
   The description of a model (the network block by block, the loss, the versions, the info text) as model files hold
   it, made from the objects (OdynModelDescribe) and turned back into objects (OdynModelDescBuild), and the checksum
   over it and the values of theta and wmu (docs/model-format.md). Nothing here depends on HDF5.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <inttypes.h>
#include "modeldesc.h"
#include <odyn/private/fileimpl.h>

PetscErrorCode OdynModelDescReset(OdynModelDesc *d)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(d->info));
  PetscCall(PetscFree(d->losssettings));
  for (PetscInt b = 0; d->blocks && b < d->nblocks; b++) PetscCall(PetscFree(d->blocks[b].settings));
  PetscCall(PetscFree(d->blocks));
  PetscCall(PetscMemzero(d, sizeof(*d)));
  PetscFunctionReturn(0);
}

/* ---- the checksum (docs/model-format.md): FNV-1a over the description lines and the values (fileio.c) ---- */

PetscErrorCode OdynModelDescChecksum(MPI_Comm comm, const OdynModelDesc *d, Vec theta, Vec wmu, char sum[32])
{
  VecScatter         s1, s2;
  Vec                q1, q2;
  PetscMPIInt        rank;
  PetscInt           n1, n2;
  const PetscScalar *a1, *a2;
  uint64_t           h = 0xcbf29ce484222325ULL;
  char               key[64];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(OdynVecGatherToZero(theta, &s1, &q1));
  PetscCall(OdynVecGatherToZero(wmu, &s2, &q2));
  if (rank == 0) {
    OdynFnvLine(&h, "format", ODYN_MODEL_MAGIC);
    OdynFnvInt(&h, "format_version", d->version);
    OdynFnvLine(&h, "odyn_version", d->odyn);
    OdynFnvLine(&h, "info", d->info);
    OdynFnvInt(&h, "num_blocks", d->nblocks);
    for (PetscInt b = 0; b < d->nblocks; b++) {
      const OdynModelBlockDesc *B = &d->blocks[b];
      #define KEY(k) (snprintf(key, sizeof(key), "block%" PetscInt_FMT ".%s", b, k), key)
      OdynFnvLine(&h, KEY("scheme"), B->scheme);
      OdynFnvLine(&h, KEY("layer"), B->layer);
      OdynFnvInt(&h, KEY("width"), B->width);
      OdynFnvInt(&h, KEY("hidden_width"), B->hidden);
      OdynFnvLine(&h, KEY("activation"), B->activation);
      OdynFnvInt(&h, KEY("num_steps"), B->steps);
      OdynFnvReal(&h, KEY("final_time"), B->T);
      if (B->hasgamma) OdynFnvReal(&h, KEY("antisym_gamma"), B->gamma);
      if (d->version >= 2) OdynFnvLine(&h, KEY("settings"), B->settings);
      #undef KEY
    }
    OdynFnvLine(&h, "loss.type", d->loss);
    OdynFnvInt(&h, "loss.num_features", d->nf);
    OdynFnvInt(&h, "loss.num_classes", d->nc);
    if (d->version >= 2) OdynFnvLine(&h, "loss.settings", d->losssettings);
    PetscCall(VecGetSize(q1, &n1));
    PetscCall(VecGetSize(q2, &n2));
    OdynFnvInt(&h, "theta.size", n1);
    OdynFnvInt(&h, "wmu.size", n2);
    PetscCall(VecGetArrayRead(q1, &a1));
    PetscCall(VecGetArrayRead(q2, &a2));
    OdynFnvValues(&h, a1, n1);
    OdynFnvValues(&h, a2, n2);
    PetscCall(VecRestoreArrayRead(q1, &a1));
    PetscCall(VecRestoreArrayRead(q2, &a2));
    snprintf(sum, 32, "fnv1a64:%016" PRIx64, h);
  }
  PetscCallMPI(MPI_Bcast(sum, 32, MPI_CHAR, 0, comm));
  PetscCall(VecScatterDestroy(&s1));
  PetscCall(VecScatterDestroy(&s2));
  PetscCall(VecDestroy(&q1));
  PetscCall(VecDestroy(&q2));
  PetscFunctionReturn(0);
}

/* ---- the description of a model in memory ---- */

/* The diffusion gamma of an antisym layer in a version-1 file (later versions hold it in the settings). */
static PetscErrorCode AntisymSetGamma(OdynLayer l, PetscReal gamma)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerAntisymSetGamma(l, gamma));
  PetscFunctionReturn(0);
}

static PetscErrorCode CopyName(MPI_Comm comm, char *dst, size_t len, const char *src, const char *what)
{
  size_t n;

  PetscFunctionBegin;
  PetscCheck(src, comm, PETSC_ERR_ARG_WRONGSTATE, "OdynModelSave: the %s has no type", what);
  PetscCall(PetscStrlen(src, &n));
  PetscCheck(n < len, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynModelSave: the %s type name \"%s\" is longer than %d characters", what, src, (int)len - 1);
  PetscCall(PetscStrncpy(dst, src, len));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynModelDescribe(OdynModel m, const char *fname, OdynModelDesc *d)
{
  MPI_Comm     comm = PetscObjectComm((PetscObject)m);
  OdynLossType ltype;
  size_t       len;

  PetscFunctionBegin;
  d->version = ODYN_MODEL_FORMAT_VERSION;
  PetscCall(PetscSNPrintf(d->odyn, sizeof(d->odyn), "%d.%d.%d", ODYN_VERSION_MAJOR, ODYN_VERSION_MINOR, ODYN_VERSION_PATCH));
  PetscCall(PetscStrlen(m->info, &len));
  PetscCall(PetscMalloc1(PetscMin(len, ODYN_MODEL_INFO_MAX) + 1, &d->info));
  PetscCall(PetscStrncpy(d->info, m->info, PetscMin(len, ODYN_MODEL_INFO_MAX) + 1)); /* HDF5 attributes hold < 64 KiB */
  PetscCall(OdynNetGetNumBlocks(m->net, &d->nblocks));
  PetscCall(PetscCalloc1(d->nblocks, &d->blocks));
  for (PetscInt b = 0; b < d->nblocks; b++) {
    OdynModelBlockDesc         *B = &d->blocks[b];
    OdynScheme         sc;
    OdynLayer          l;
    OdynSchemeType     st;
    OdynLayerType      lt;
    OdynActivationType act;
    PetscBool          shell;
    char              *ss, *ls;
    size_t             n1, n2;

    PetscCall(OdynNetGetBlock(m->net, b, &sc));
    PetscCall(OdynSchemeGetType(sc, &st));
    PetscCall(CopyName(comm, B->scheme, sizeof(B->scheme), st, "scheme"));
    PetscCall(OdynSchemeGetNumSteps(sc, &B->steps));
    PetscCall(OdynSchemeGetFinalTime(sc, &B->T));
    PetscCall(OdynSchemeGetLayer(sc, &l));
    PetscCall(OdynLayerGetType(l, &lt));
    PetscCall(CopyName(comm, B->layer, sizeof(B->layer), lt, "layer"));
    PetscCall(PetscStrcmp(lt, ODYNLAYERSHELL, &shell));
    PetscCheck(!shell, comm, PETSC_ERR_SUP, "Cannot write the model file %s: block %" PetscInt_FMT " has a shell layer, whose function lives in the program's callbacks; a model file holds only registered layer types", fname, b);
    PetscCall(OdynLayerGetWidth(l, &B->width));
    PetscCall(OdynLayerGetHiddenWidth(l, &B->hidden));
    PetscCall(OdynLayerGetActivation(l, &act));
    PetscCall(PetscStrncpy(B->activation, OdynActivationTypes[act], sizeof(B->activation)));
    /* everything else that makes the block's function (shared weights, the image size of a convolution, the channels
       of a diffusion, the FSI cycle, ...) as the options that set it: the types write them, so this code needs no
       change for a new type or setting */
    PetscCall(OdynSchemeGetSettings(sc, &ss));
    PetscCall(OdynLayerGetSettings(l, &ls));
    PetscCall(PetscStrlen(ss, &n1));
    PetscCall(PetscStrlen(ls, &n2));
    PetscCall(PetscMalloc1(n1 + n2 + 2, &B->settings));
    PetscCall(PetscSNPrintf(B->settings, n1 + n2 + 2, "%s%s%s", ss, n1 && n2 ? " " : "", ls));
    PetscCall(PetscFree(ss));
    PetscCall(PetscFree(ls));
  }
  PetscCall(OdynLossGetType(m->loss, &ltype));
  PetscCall(CopyName(comm, d->loss, sizeof(d->loss), ltype, "loss"));
  PetscCall(OdynLossGetNumFeatures(m->loss, &d->nf));
  PetscCall(OdynLossGetNumClasses(m->loss, &d->nc));
  PetscCall(OdynLossGetSettings(m->loss, &d->losssettings));
  PetscFunctionReturn(0);
}

/* Reads settings through the SetFromOptions of sc (and of its layer) or of loss, with a private options database
   attached to them while it runs: the program's options never reach the rebuilt objects. */
static PetscErrorCode ReadSettings(PetscOptions o, OdynScheme sc, OdynLoss loss)
{
  PetscFunctionBegin;
  if (sc) {
    OdynLayer l;

    PetscCall(OdynSchemeGetLayer(sc, &l));
    PetscCall(PetscObjectSetOptions((PetscObject)sc, o));
    PetscCall(PetscObjectSetOptions((PetscObject)l, o));
    PetscCall(OdynSchemeSetFromOptions(sc));
  } else {
    PetscCall(PetscObjectSetOptions((PetscObject)loss, o));
    PetscCall(OdynLossSetFromOptions(loss));
  }
  PetscFunctionReturn(0);
}

/* Gives the block sc (or loss) the settings of a model file. A setting that no SetFromOptions read is an error: the
   file comes from an odyn with settings this one lacks, and ignoring one would rebuild another network. */
static PetscErrorCode ApplySettings(MPI_Comm comm, const char *settings, OdynScheme sc, OdynLoss loss, const char *what)
{
  PetscOptions   o;
  PetscErrorCode ierr;
  PetscInt       nleft = 0;
  char         **names, **values, left[512] = "";

  PetscFunctionBegin;
  PetscCall(PetscOptionsCreate(&o));
  ierr = PetscOptionsInsertString(o, settings);
  if (!ierr) ierr = ReadSettings(o, sc, loss);
  /* PetscObjectSetOptions() keeps no reference: detach before the database goes */
  if (sc) {
    OdynLayer l;

    PetscCall(OdynSchemeGetLayer(sc, &l));
    PetscCall(PetscObjectSetOptions((PetscObject)sc, NULL));
    PetscCall(PetscObjectSetOptions((PetscObject)l, NULL));
  } else PetscCall(PetscObjectSetOptions((PetscObject)loss, NULL));
  if (!ierr) {
    PetscInt n;

    PetscCall(PetscOptionsLeftGet(o, &n, &names, &values));
    for (PetscInt i = 0; i < n; i++) {
      PetscCall(PetscStrlcat(left, i ? ", -" : "-", sizeof(left)));
      PetscCall(PetscStrlcat(left, names[i], sizeof(left)));
    }
    nleft = n;
    PetscCall(PetscOptionsLeftRestore(o, &n, &names, &values)); /* which zeroes n */
  }
  PetscCall(PetscOptionsDestroy(&o));
  PetscCall(ierr);
  PetscCheck(!nleft, comm, PETSC_ERR_FILE_UNEXPECTED, "The %s has settings this odyn does not read (%s): the file was written by an odyn with other settings", what, left);
  PetscFunctionReturn(0);
}

/* Builds the network and the loss a description describes. Blocks are attached to the network as soon as they exist,
   so that destroying the network frees everything if a step fails (an unknown type, say). */
PetscErrorCode OdynModelDescBuild(MPI_Comm comm, const OdynModelDesc *d, OdynNet *net, OdynLoss *loss)
{
  PetscFunctionBegin;
  PetscCall(OdynNetCreate(comm, net));
  for (PetscInt b = 0; b < d->nblocks; b++) {
    const OdynModelBlockDesc *B = &d->blocks[b];
    OdynScheme       sc;
    OdynLayer        l;
    PetscEnum        act;
    PetscBool        found;

    PetscCall(OdynSchemeCreate(comm, &sc));
    PetscCall(OdynNetAddBlock(*net, sc));
    PetscCall(OdynSchemeDestroy(&sc));
    PetscCall(OdynNetGetBlock(*net, b, &sc));
    PetscCall(OdynLayerCreate(comm, &l));
    PetscCall(OdynSchemeSetLayer(sc, l));
    PetscCall(OdynLayerDestroy(&l));
    PetscCall(OdynSchemeGetLayer(sc, &l));
    PetscCall(OdynSchemeSetType(sc, B->scheme));
    PetscCall(OdynSchemeSetNumSteps(sc, B->steps));
    PetscCall(OdynSchemeSetFinalTime(sc, B->T));
    PetscCall(OdynLayerSetType(l, B->layer));
    PetscCall(OdynLayerSetWidth(l, B->width));
    PetscCall(OdynLayerSetHiddenWidth(l, B->hidden));
    PetscCall(PetscEnumFind(OdynActivationTypes, B->activation, &act, &found));
    PetscCheck(found, comm, PETSC_ERR_FILE_UNEXPECTED, "block %" PetscInt_FMT " has the unknown activation \"%s\"", b, B->activation);
    PetscCall(OdynLayerSetActivation(l, (OdynActivationType)act));
    if (B->hasgamma) PetscCall(AntisymSetGamma(l, B->gamma));
    if (d->version >= 2) {
      char what[64];

      PetscCall(PetscSNPrintf(what, sizeof(what), "block %" PetscInt_FMT, b));
      PetscCall(ApplySettings(comm, B->settings, sc, NULL, what));
    }
  }
  PetscCall(OdynNetSetUp(*net));
  PetscCall(OdynLossCreate(comm, loss));
  PetscCall(OdynLossSetType(*loss, d->loss));
  PetscCall(OdynLossSetNumFeatures(*loss, d->nf));
  PetscCall(OdynLossSetNumClasses(*loss, d->nc));
  if (d->version >= 2) PetscCall(ApplySettings(comm, d->losssettings, NULL, *loss, "loss"));
  PetscCall(OdynLossSetUp(*loss));
  PetscFunctionReturn(0);
}
