/*
   OdynModel: a trained network with its classifier (the object, its settings and view). Prediction and evaluation are
   in modelpredict.c, model files in modelio.c (HDF5) and modeldesc.c (description, checksum); docs/model-format.md.
*/
#include <string.h>
#include <odyn/private/modelimpl.h>

PetscClassId ODYNMODEL_CLASSID;

PetscErrorCode OdynModelInitializePackage_Private(void)
{
  static PetscBool done = PETSC_FALSE;

  PetscFunctionBegin;
  if (done) PetscFunctionReturn(0);
  done = PETSC_TRUE;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscClassIdRegister("OdynModel", &ODYNMODEL_CLASSID));
  PetscFunctionReturn(0);
}

/*@
   OdynModelCreate - creates an empty model; fill it with `OdynModelSetParameters()` or `OdynModelLoad()`

   Collective

   Input Parameter:
.  comm - the communicator the model's objects will live on (any number of ranks, whatever the file was written on)

   Output Parameter:
.  model - the model

   Level: beginner

.seealso: `OdynModelSetParameters()`, `OdynModelLoad()`, `OdynModelSave()`, `OdynModelDestroy()`
@*/
PetscErrorCode OdynModelCreate(MPI_Comm comm, OdynModel *model)
{
  OdynModel m;

  PetscFunctionBegin;
  PetscValidPointer(model, 2);
  *model = NULL;
  PetscCall(OdynModelInitializePackage_Private());
  PetscCall(PetscHeaderCreate(m, ODYNMODEL_CLASSID, "OdynModel", "Trained network and classifier", "OdynModel", comm, OdynModelDestroy, OdynModelView));
  PetscCall(PetscStrallocpy("", &m->info));
  m->format_version = ODYN_MODEL_FORMAT_VERSION;
  PetscCall(PetscSNPrintf(m->odyn_version, sizeof(m->odyn_version), "%d.%d.%d", ODYN_VERSION_MAJOR, ODYN_VERSION_MINOR, ODYN_VERSION_PATCH));
  m->chunk = 4096;
  *model   = m;
  PetscFunctionReturn(0);
}

/*@
   OdynModelSetFromOptions - sets the model's run-time settings from the options database

   Collective

   Options Database Key:
.  -odyn_predict_chunk <4096> - examples per rank in one forward sweep of `OdynModelPredict()` and
   `OdynModelEvaluate()` (bounds the memory of the stored trajectory)

   Level: intermediate

.seealso: `OdynModelSetChunkSize()`
@*/
PetscErrorCode OdynModelSetFromOptions(OdynModel m)
{
  PetscInt  chunk;
  PetscBool flg;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  chunk = m->chunk;
  PetscObjectOptionsBegin((PetscObject)m);
  PetscCall(PetscOptionsInt("-odyn_predict_chunk", "Examples per rank in one forward sweep of prediction/evaluation", "OdynModelSetChunkSize", chunk, &chunk, &flg));
  PetscOptionsEnd();
  if (flg) PetscCall(OdynModelSetChunkSize(m, chunk));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynModelReset_Private(OdynModel m)
{
  PetscFunctionBegin;
  PetscCall(OdynNetDestroy(&m->net));
  PetscCall(OdynLossDestroy(&m->loss));
  PetscCall(VecDestroy(&m->theta));
  PetscCall(VecDestroy(&m->wmu));
  PetscFunctionReturn(0);
}

/*@
   OdynModelDestroy - destroys the model (and drops its references to the network, loss and parameters)

   Collective

   Level: beginner

.seealso: `OdynModelCreate()`
@*/
PetscErrorCode OdynModelDestroy(OdynModel *m)
{
  PetscFunctionBegin;
  if (!*m) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*m, ODYNMODEL_CLASSID, 1);
  if (--((PetscObject)(*m))->refct > 0) {
    *m = NULL;
    PetscFunctionReturn(0);
  }
  PetscCall(OdynModelReset_Private(*m));
  PetscCall(PetscFree((*m)->info));
  PetscCall(PetscHeaderDestroy(m));
  PetscFunctionReturn(0);
}

/*@
   OdynModelSetParameters - the network, hypothesis/loss and trained parameters the model consists of

   Collective

   Input Parameters:
+  m - the model
.  net - the network, with the number of steps that theta belongs to (as `OdynTrainerSolve()` leaves it)
.  loss - the loss, its type and sizes set (`OdynTrainerSolve()` sets them)
.  theta - the propagation weights (`OdynNetCreateParameterVec()` layout)
-  wmu - the classifier weights (`OdynLossCreateWeightVec()` layout)

   Level: beginner

   Notes:
   The model keeps references to the four objects; nothing is copied. The sizes are checked here.

.seealso: `OdynModelGetParameters()`, `OdynModelSave()`, `OdynTrainerSolve()`
@*/
PetscErrorCode OdynModelSetParameters(OdynModel m, OdynNet net, OdynLoss loss, Vec theta, Vec wmu)
{
  PetscInt np, nw, N, nout, nf;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 2);
  PetscValidHeaderSpecific(loss, ODYNLOSS_CLASSID, 3);
  PetscValidHeaderSpecific(theta, VEC_CLASSID, 4);
  PetscValidHeaderSpecific(wmu, VEC_CLASSID, 5);
  PetscCall(OdynNetSetUp(net));
  PetscCall(OdynLossSetUp(loss));
  PetscCall(OdynNetGetNumParameters(net, &np));
  PetscCall(OdynNetGetOutputWidth(net, &nout));
  PetscCall(OdynLossGetNumFeatures(loss, &nf));
  PetscCall(OdynLossGetNumWeights(loss, &nw));
  PetscCall(VecGetSize(theta, &N));
  PetscCheck(N == np, PetscObjectComm((PetscObject)m), PETSC_ERR_ARG_SIZ, "OdynModelSetParameters: theta has %" PetscInt_FMT " entries but the network has %" PetscInt_FMT " parameters (is the network at the depth theta belongs to?)", N, np);
  PetscCall(VecGetSize(wmu, &N));
  PetscCheck(N == nw, PetscObjectComm((PetscObject)m), PETSC_ERR_ARG_SIZ, "OdynModelSetParameters: wmu has %" PetscInt_FMT " entries but the loss has %" PetscInt_FMT " weights", N, nw);
  PetscCheck(nf == nout, PetscObjectComm((PetscObject)m), PETSC_ERR_ARG_SIZ, "OdynModelSetParameters: the loss takes %" PetscInt_FMT " features but the network produces %" PetscInt_FMT, nf, nout);
  PetscCall(PetscObjectReference((PetscObject)net));
  PetscCall(PetscObjectReference((PetscObject)loss));
  PetscCall(PetscObjectReference((PetscObject)theta));
  PetscCall(PetscObjectReference((PetscObject)wmu));
  PetscCall(OdynModelReset_Private(m));
  m->net   = net;
  m->loss  = loss;
  m->theta = theta;
  m->wmu   = wmu;
  PetscFunctionReturn(0);
}

/*@
   OdynModelGetParameters - the model's network, loss and parameters (borrowed: do not destroy them)

   Not Collective

   Output Parameters:
+  net - the network (or NULL)
.  loss - the loss (or NULL)
.  theta - the propagation weights (or NULL)
-  wmu - the classifier weights (or NULL)

   Level: beginner

.seealso: `OdynModelSetParameters()`, `OdynModelLoad()`
@*/
PetscErrorCode OdynModelGetParameters(OdynModel m, OdynNet *net, OdynLoss *loss, Vec *theta, Vec *wmu)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  if (net) *net = m->net;
  if (loss) *loss = m->loss;
  if (theta) *theta = m->theta;
  if (wmu) *wmu = m->wmu;
  PetscFunctionReturn(0);
}

/*@C
   OdynModelSetInfo - free text stored with the model: how it was trained (options, data, accuracy)

   Not Collective (give the same text on every rank)

   Input Parameters:
+  m - the model
-  info - the text (copied); NULL for none. Files hold at most 32,768 bytes of it (the rest is cut, see
          docs/model-format.md)

   Level: beginner

.seealso: `OdynModelGetInfo()`
@*/
PetscErrorCode OdynModelSetInfo(OdynModel m, const char info[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscCall(PetscFree(m->info));
  PetscCall(PetscStrallocpy(info ? info : "", &m->info));
  PetscFunctionReturn(0);
}

/*@C
   OdynModelGetInfo - the model's free text (borrowed; "" if none)

   Not Collective

   Level: beginner

.seealso: `OdynModelSetInfo()`
@*/
PetscErrorCode OdynModelGetInfo(OdynModel m, const char *info[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscValidPointer(info, 2);
  *info = m->info;
  PetscFunctionReturn(0);
}

/*@C
   OdynModelGetVersion - the format version of the file the model was read from and the odyn version that wrote it
   (for a model that was not read: `ODYN_MODEL_FORMAT_VERSION` and this odyn's version)

   Not Collective

   Output Parameters:
+  format - the format version (or NULL)
-  odyn - the odyn version, "major.minor.patch" (borrowed, or NULL)

   Level: intermediate

.seealso: `OdynModelLoad()`
@*/
PetscErrorCode OdynModelGetVersion(OdynModel m, PetscInt *format, const char *odyn[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  if (format) *format = m->format_version;
  if (odyn) *odyn = m->odyn_version;
  PetscFunctionReturn(0);
}

/*@C
   OdynModelGetChecksum - the checksum of the last model file written or read, "fnv1a64:" and 16 hex digits ("" if
   none); see docs/model-format.md for what it covers

   Not Collective

   Level: advanced

.seealso: `OdynModelSave()`, `OdynModelLoad()`
@*/
PetscErrorCode OdynModelGetChecksum(OdynModel m, const char *sum[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscValidPointer(sum, 2);
  *sum = m->checksum;
  PetscFunctionReturn(0);
}

/*@
   OdynModelSetChunkSize - the largest number of examples per rank that one forward sweep of `OdynModelPredict()` or
   `OdynModelEvaluate()` propagates (the network stores the states of the examples it propagates)

   Logically Collective

   Options Database Key:
.  -odyn_predict_chunk <4096> - the chunk size

   Level: intermediate

.seealso: `OdynModelPredict()`
@*/
PetscErrorCode OdynModelSetChunkSize(OdynModel m, PetscInt chunk)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscCheck(chunk >= 1, PetscObjectComm((PetscObject)m), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_predict_chunk must be >= 1, got %" PetscInt_FMT, chunk);
  m->chunk = chunk;
  PetscFunctionReturn(0);
}

/*@
   OdynModelGetChunkSize - see `OdynModelSetChunkSize()`

   Not Collective

   Level: intermediate

.seealso: `OdynModelSetChunkSize()`
@*/
PetscErrorCode OdynModelGetChunkSize(OdynModel m, PetscInt *chunk)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscValidIntPointer(chunk, 2);
  *chunk = m->chunk;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynModelCheckParameters_Private(OdynModel m, const char *caller)
{
  PetscFunctionBegin;
  PetscCheck(m->net && m->loss && m->theta && m->wmu, PetscObjectComm((PetscObject)m), PETSC_ERR_ARG_WRONGSTATE, "%s: the model is empty: call OdynModelSetParameters() or OdynModelLoad() first", caller);
  PetscFunctionReturn(0);
}

/* The binary classifier of logistic regression has one output (P(class 1)) but two classes. */
PetscErrorCode OdynModelIsBernoulli_Private(OdynModel m, PetscBool *bern, PetscBool *logistic, PetscBool *softmax)
{
  OdynLossType type;
  PetscInt     nc;

  PetscFunctionBegin;
  PetscCall(OdynLossGetType(m->loss, &type));
  PetscCall(OdynLossGetNumClasses(m->loss, &nc));
  PetscCall(PetscStrcmp(type, ODYNLOSSLOGISTIC, logistic));
  PetscCall(PetscStrcmp(type, ODYNLOSSSOFTMAX, softmax));
  *bern = (*logistic && nc == 1) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynModelGetNumOutputs - the number of values per example that `OdynModelPredict()` writes, and what they are

   Not Collective

   Output Parameters:
+  nout - the number of values per example (or NULL): the number of classes, 2 for the binary logistic classifier
-  type - `ODYN_MODEL_OUTPUT_PROBABILITY` (softmax, logistic) or `ODYN_MODEL_OUTPUT_SCORE` (lsq, other losses) (or NULL)

   Level: beginner

.seealso: `OdynModelPredict()`
@*/
PetscErrorCode OdynModelGetNumOutputs(OdynModel m, PetscInt *nout, OdynModelOutputType *type)
{
  PetscBool bern, logistic, softmax;
  PetscInt  nc;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  PetscCall(OdynModelCheckParameters_Private(m, "OdynModelGetNumOutputs"));
  PetscCall(OdynModelIsBernoulli_Private(m, &bern, &logistic, &softmax));
  PetscCall(OdynLossGetNumClasses(m->loss, &nc));
  if (nout) *nout = bern ? 2 : nc;
  if (type) *type = (logistic || softmax) ? ODYN_MODEL_OUTPUT_PROBABILITY : ODYN_MODEL_OUTPUT_SCORE;
  PetscFunctionReturn(0);
}

/*@C
   OdynModelView - prints what the model is: the file and its versions, the network block by block, the classifier,
   and the training information

   Collective

   Input Parameters:
+  m - the model
-  viewer - an ASCII viewer, or NULL for standard output

   Level: beginner

.seealso: `OdynModelLoad()`, `OdynNetView()`
@*/
PetscErrorCode OdynModelView(OdynModel m, PetscViewer viewer)
{
  PetscBool    isascii;
  PetscMPIInt  size;
  PetscInt     nb, nin, nout, np, nw, nfl, nc, nclasses;
  OdynLossType ltype;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(m, ODYNMODEL_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)m), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_size(PetscObjectComm((PetscObject)m), &size));
  PetscCall(PetscViewerASCIIPrintf(viewer, "OdynModel Object: %d MPI process%s\n", (int)size, size > 1 ? "es" : "")); /* it has no type */
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (m->filename[0]) PetscCall(PetscViewerASCIIPrintf(viewer, "file %s, format version %" PetscInt_FMT ", written by odyn %s, checksum %s\n", m->filename, m->format_version, m->odyn_version, m->checksum));
  if (!m->net) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "empty\n"));
    PetscCall(PetscViewerASCIIPopTab(viewer));
    PetscFunctionReturn(0);
  }
  PetscCall(OdynNetGetNumBlocks(m->net, &nb));
  PetscCall(OdynNetGetInputWidth(m->net, &nin));
  PetscCall(OdynNetGetOutputWidth(m->net, &nout));
  PetscCall(OdynNetGetNumParameters(m->net, &np));
  PetscCall(PetscViewerASCIIPrintf(viewer, "network: %" PetscInt_FMT " block(s), %" PetscInt_FMT " input features, %" PetscInt_FMT " output features, %" PetscInt_FMT " parameters\n", nb, nin, nout, np));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  for (PetscInt b = 0; b < nb; b++) {
    OdynScheme         sc;
    OdynLayer          l;
    OdynSchemeType     st;
    OdynLayerType      lt;
    OdynActivationType act;
    PetscInt           N, n, hw;
    PetscReal          T;
    char              *ss, *ls;

    PetscCall(OdynNetGetBlock(m->net, b, &sc));
    PetscCall(OdynSchemeGetType(sc, &st));
    PetscCall(OdynSchemeGetNumSteps(sc, &N));
    PetscCall(OdynSchemeGetFinalTime(sc, &T));
    PetscCall(OdynSchemeGetLayer(sc, &l));
    PetscCall(OdynLayerGetType(l, &lt));
    PetscCall(OdynLayerGetWidth(l, &n));
    PetscCall(OdynLayerGetHiddenWidth(l, &hw));
    PetscCall(OdynLayerGetActivation(l, &act));
    PetscCall(PetscViewerASCIIPrintf(viewer, "block %" PetscInt_FMT ": %s scheme, %" PetscInt_FMT " steps, final time %g; %s layer, width %" PetscInt_FMT ", hidden width %" PetscInt_FMT ", activation %s\n", b, st, N, (double)T, lt, n, hw ? hw : n, OdynActivationTypes[act]));
    /* what the model file stores besides (docs/model-format.md), as the options that set it */
    PetscCall(OdynSchemeGetSettings(sc, &ss));
    PetscCall(OdynLayerGetSettings(l, &ls));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  settings: %s%s%s\n", ss, ls[0] ? " " : "", ls));
    PetscCall(PetscFree(ss));
    PetscCall(PetscFree(ls));
  }
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscCall(OdynLossGetType(m->loss, &ltype));
  PetscCall(OdynLossGetNumFeatures(m->loss, &nfl));
  PetscCall(OdynLossGetNumClasses(m->loss, &nc));
  PetscCall(OdynLossGetNumWeights(m->loss, &nw));
  PetscCall(OdynModelGetNumOutputs(m, &nclasses, NULL));
  PetscCall(PetscViewerASCIIPrintf(viewer, "classifier: %s, %" PetscInt_FMT " features, %" PetscInt_FMT " output(s), %" PetscInt_FMT " classes, %" PetscInt_FMT " weights\n", ltype, nfl, nc, nclasses, nw));
  if (m->info[0]) {
    char  *text, *line, *next;

    PetscCall(PetscViewerASCIIPrintf(viewer, "training information:\n"));
    PetscCall(PetscViewerASCIIPushTab(viewer));
    PetscCall(PetscStrallocpy(m->info, &text));
    for (line = text; line && *line; line = next) {
      next = strchr(line, '\n');
      if (next) *next++ = 0;
      PetscCall(PetscViewerASCIIPrintf(viewer, "%s\n", line));
    }
    PetscCall(PetscFree(text));
    PetscCall(PetscViewerASCIIPopTab(viewer));
  }
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}
