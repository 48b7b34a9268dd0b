/*
   Training checkpoints: named reals and Vecs in an HDF5 file (group /odyn_checkpoint), with the format, its version,
   the odyn version, the trainer type, a text that describes the run it belongs to (net, loss, data, levels, batches,
   seed: see OdynTrainerRunDescription_Private in driver.c) and a 64-bit FNV-1a checksum over all of it. Written like a
   model file (src/model/fileio.c): FILE.tmp, then rank 0 renames it after every rank closed it, so a crash during a
   write leaves the previous checkpoint intact. docs/batch.md describes the file.
*/
#include <stdio.h>
#include <string.h>
#include <inttypes.h>
#include <unistd.h>
#include <odyn/private/trainimpl.h>
#include <odyn/private/fileimpl.h>

#define CKPT_GROUP "/odyn_checkpoint"
#define NAME_LEN   32

typedef struct {
  char      name[NAME_LEN];
  PetscBool isvec;
  PetscReal r;
  Vec       v;
} Item;

struct _n_OdynTrainerCheckpoint {
  MPI_Comm comm;
  char     type[64], odyn[32];
  char    *run;
  PetscInt version, n;
  Item     item[ODYN_CHECKPOINT_MAX_ITEMS];
  char     fname[PETSC_MAX_PATH_LEN]; /* the file read, for error messages */
};

PetscErrorCode OdynTrainerCheckpointCreate(MPI_Comm comm, const char type[], const char run[], OdynTrainerCheckpoint *ck)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(ck));
  (*ck)->comm    = comm;
  (*ck)->version = ODYN_CHECKPOINT_FORMAT_VERSION;
  PetscCall(PetscStrncpy((*ck)->type, type, sizeof((*ck)->type)));
  PetscCall(PetscSNPrintf((*ck)->odyn, sizeof((*ck)->odyn), "%d.%d.%d", ODYN_VERSION_MAJOR, ODYN_VERSION_MINOR, ODYN_VERSION_PATCH));
  PetscCall(PetscStrallocpy(run, &(*ck)->run));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerCheckpointDestroy(OdynTrainerCheckpoint *ck)
{
  PetscFunctionBegin;
  if (!*ck) PetscFunctionReturn(0);
  for (PetscInt i = 0; i < (*ck)->n; i++) PetscCall(VecDestroy(&(*ck)->item[i].v));
  PetscCall(PetscFree((*ck)->run));
  PetscCall(PetscFree(*ck));
  PetscFunctionReturn(0);
}

static PetscErrorCode Add(OdynTrainerCheckpoint ck, const char name[], Item **it)
{
  size_t len;

  PetscFunctionBegin;
  PetscCall(PetscStrlen(name, &len));
  PetscCheck(len > 0 && len < NAME_LEN && !strpbrk(name, ",:/ "), ck->comm, PETSC_ERR_ARG_WRONG, "Checkpoint item name \"%s\" must have 1..%d characters and no ',', ':', '/' or blank", name, NAME_LEN - 1);
  for (PetscInt i = 0; i < ck->n; i++) PetscCheck(strcmp(ck->item[i].name, name), ck->comm, PETSC_ERR_ARG_WRONG, "Checkpoint item %s added twice", name);
  PetscCheck(ck->n < ODYN_CHECKPOINT_MAX_ITEMS, ck->comm, PETSC_ERR_ARG_OUTOFRANGE, "A checkpoint holds at most %d items", ODYN_CHECKPOINT_MAX_ITEMS);
  *it = &ck->item[ck->n++];
  PetscCall(PetscMemzero(*it, sizeof(**it)));
  PetscCall(PetscStrncpy((*it)->name, name, NAME_LEN));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerCheckpointAddReal(OdynTrainerCheckpoint ck, const char name[], PetscReal r)
{
  Item *it;

  PetscFunctionBegin;
  PetscCall(Add(ck, name, &it));
  it->r = r;
  PetscFunctionReturn(0);
}

/* keeps a reference: the caller may change v only after the write */
PetscErrorCode OdynTrainerCheckpointAddVec(OdynTrainerCheckpoint ck, const char name[], Vec v)
{
  Item *it;

  PetscFunctionBegin;
  PetscCall(Add(ck, name, &it));
  PetscCall(PetscObjectReference((PetscObject)v));
  it->isvec = PETSC_TRUE;
  it->v     = v;
  PetscFunctionReturn(0);
}

static PetscErrorCode Find(OdynTrainerCheckpoint ck, const char name[], PetscBool isvec, Item **it)
{
  PetscFunctionBegin;
  *it = NULL;
  for (PetscInt i = 0; i < ck->n; i++)
    if (!strcmp(ck->item[i].name, name)) *it = &ck->item[i];
  PetscCheck(*it && (*it)->isvec == isvec, ck->comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is incomplete: it has no %s %s (written by another odyn or trainer type?)", ck->fname, isvec ? "vector" : "value", name);
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerCheckpointGetReal(OdynTrainerCheckpoint ck, const char name[], PetscReal *r)
{
  Item *it;

  PetscFunctionBegin;
  PetscCall(Find(ck, name, PETSC_FALSE, &it));
  *r = it->r;
  PetscFunctionReturn(0);
}

/* borrowed: the Vec has PETSc's default layout on the checkpoint's communicator (PETSC_DECIDE) */
PetscErrorCode OdynTrainerCheckpointGetVec(OdynTrainerCheckpoint ck, const char name[], Vec *v)
{
  Item *it;

  PetscFunctionBegin;
  PetscCall(Find(ck, name, PETSC_TRUE, &it));
  *v = it->v;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynTrainerCheckpointGetRun(OdynTrainerCheckpoint ck, const char **type, const char **run)
{
  PetscFunctionBegin;
  if (type) *type = ck->type;
  if (run) *run = ck->run;
  PetscFunctionReturn(0);
}

/* "name:r,name:v,..." */
static PetscErrorCode ItemList(OdynTrainerCheckpoint ck, char **list)
{
  size_t len = 1, pos = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < ck->n; i++) len += strlen(ck->item[i].name) + 3;
  PetscCall(PetscMalloc1(len, list));
  (*list)[0] = 0;
  for (PetscInt i = 0; i < ck->n; i++) pos += (size_t)snprintf(*list + pos, len - pos, "%s%s:%c", i ? "," : "", ck->item[i].name, ck->item[i].isvec ? 'v' : 'r');
  PetscFunctionReturn(0);
}

/* the checksum over everything but itself, in the file's order; the same on every rank */
static PetscErrorCode Checksum(OdynTrainerCheckpoint ck, const char *list, char sum[32])
{
  uint64_t    h = 0xcbf29ce484222325ULL;
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(ck->comm, &rank));
  OdynFnvLine(&h, "format", ODYN_CHECKPOINT_MAGIC);
  OdynFnvInt(&h, "format_version", ck->version);
  OdynFnvLine(&h, "odyn_version", ck->odyn);
  OdynFnvLine(&h, "trainer_type", ck->type);
  OdynFnvLine(&h, "run", ck->run);
  OdynFnvLine(&h, "items", list);
  for (PetscInt i = 0; i < ck->n; i++) {
    if (ck->item[i].isvec) PetscCall(OdynFnvVec(&h, ck->item[i].name, ck->item[i].v));
    else OdynFnvReal(&h, ck->item[i].name, ck->item[i].r);
  }
  if (rank == 0) snprintf(sum, 32, "fnv1a64:%016" PRIx64, h);
  PetscCallMPI(MPI_Bcast(sum, 32, MPI_CHAR, 0, ck->comm));
  PetscFunctionReturn(0);
}

#if defined(PETSC_HAVE_HDF5) && defined(ODYN_HAVE_HDF5_HEADER)

static PetscErrorCode WriteAll(PetscViewer v, OdynTrainerCheckpoint ck, const char *list, const char *sum, PetscReal delay)
{
  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5WriteGroup(v, CKPT_GROUP));
  PetscCall(PetscViewerHDF5WriteAttribute(v, CKPT_GROUP, "format", PETSC_STRING, ODYN_CHECKPOINT_MAGIC));
  PetscCall(PetscViewerHDF5WriteAttribute(v, CKPT_GROUP, "format_version", PETSC_INT, &ck->version));
  PetscCall(PetscViewerHDF5WriteAttribute(v, CKPT_GROUP, "odyn_version", PETSC_STRING, ck->odyn));
  PetscCall(PetscViewerHDF5WriteAttribute(v, CKPT_GROUP, "trainer_type", PETSC_STRING, ck->type));
  PetscCall(PetscViewerHDF5WriteAttribute(v, CKPT_GROUP, "run", PETSC_STRING, ck->run));
  PetscCall(PetscViewerHDF5WriteAttribute(v, CKPT_GROUP, "items", PETSC_STRING, list));
  PetscCall(PetscViewerHDF5PushGroup(v, CKPT_GROUP));
  for (PetscInt i = 0; i < ck->n; i++) {
    if (ck->item[i].isvec) PetscCall(OdynH5WriteVec(v, ck->item[i].v, ck->item[i].name));
    else PetscCall(PetscViewerHDF5WriteAttribute(v, CKPT_GROUP, ck->item[i].name, PETSC_REAL, &ck->item[i].r));
  }
  PetscCall(PetscViewerHDF5PopGroup(v));
  if (delay > 0) { /* -odyn_checkpoint_delay: widen the window in which a crash hits a half-written FILE.tmp */
    PetscCall(PetscViewerFlush(v));
    PetscCall(PetscSleep(delay));
  }
  PetscCall(PetscViewerHDF5WriteAttribute(v, CKPT_GROUP, "checksum", PETSC_STRING, sum));
  PetscFunctionReturn(0);
}

/* Writes the checkpoint to fname.tmp and renames it to fname; on an error fname is untouched and fname.tmp removed. */
PetscErrorCode OdynTrainerCheckpointWrite(OdynTrainerCheckpoint ck, const char fname[], PetscReal delay)
{
  MPI_Comm        comm = ck->comm;
  PetscMPIInt     rank;
  OdynFileCapture cap;
  OdynH5Quiet     quiet;
  PetscViewer     v = NULL;
  char            tmp[PETSC_MAX_PATH_LEN + 8], sum[32], *list;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscMemzero(&cap, sizeof(cap)));
  PetscCall(ItemList(ck, &list));
  PetscCall(Checksum(ck, list, sum));
  PetscCall(OdynFileCreateTmp(comm, fname, "checkpoint file", tmp, sizeof(tmp)));
  OdynH5QuietBegin(&quiet);
  OdynFileTry(cap, PetscViewerHDF5Open(comm, tmp, FILE_MODE_WRITE, &v));
  if (!cap.code) {
    OdynFileTry(cap, WriteAll(v, ck, list, sum, delay));
    OdynFileTry(cap, PetscViewerDestroy(&v)); /* closes the file on every rank */
  } else v = NULL; /* PETSc 3.18 cannot destroy a viewer whose file did not open */
  PetscCall(PetscFree(list));
  if (cap.code) {
    char detail[512];

    OdynH5LastError(detail, sizeof(detail));
    if (rank == 0) (void)remove(tmp);
    OdynH5QuietEnd(&quiet);
    SETERRQ(comm, PETSC_ERR_FILE_WRITE, "Writing the checkpoint file %s failed (it was left untouched): %s%s%s", fname, cap.msg, detail[0] ? "; HDF5: " : "", detail);
  }
  OdynH5QuietEnd(&quiet);
  PetscCall(OdynFileCommit(comm, tmp, fname, "checkpoint file"));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadAttr(PetscViewer v, const char *fname, const char *name, PetscDataType type, void *value)
{
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5HasAttribute(v, CKPT_GROUP, name, &has));
  PetscCheck(has, PetscObjectComm((PetscObject)v), PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is incomplete or corrupt: the attribute %s/%s is missing", fname, CKPT_GROUP, name);
  PetscCall(PetscViewerHDF5ReadAttribute(v, CKPT_GROUP, name, type, NULL, value));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadName(PetscViewer v, const char *fname, const char *name, char *buf, size_t len)
{
  char *s;

  PetscFunctionBegin;
  PetscCall(ReadAttr(v, fname, name, PETSC_STRING, &s));
  PetscCall(PetscStrncpy(buf, s, len));
  PetscCall(PetscFree(s));
  PetscFunctionReturn(0);
}

/* the items of the list "name:r,name:v,..." (which strtok_r takes apart) */
static PetscErrorCode ReadItems(PetscViewer v, const char *fname, OdynTrainerCheckpoint ck, char *list)
{
  MPI_Comm  comm = ck->comm;
  PetscBool has;
  char     *p, *save = NULL;

  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5PushGroup(v, CKPT_GROUP));
  for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
    char *colon = strrchr(p, ':');
    Item *it;

    PetscCheck(colon && (colon[1] == 'r' || colon[1] == 'v') && !colon[2], comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is corrupt: bad item list", fname);
    *colon = 0;
    PetscCall(Add(ck, p, &it));
    if (colon[1] == 'r') PetscCall(ReadAttr(v, fname, p, PETSC_REAL, &it->r));
    else {
      PetscCall(PetscViewerHDF5HasDataset(v, p, &has));
      PetscCheck(has, comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is incomplete or corrupt: the dataset %s/%s is missing", fname, CKPT_GROUP, p);
      it->isvec = PETSC_TRUE;
      PetscCall(VecCreate(comm, &it->v));
      PetscCall(PetscObjectSetName((PetscObject)it->v, p));
      PetscCall(VecLoad(it->v, v));
    }
  }
  PetscCall(PetscViewerHDF5PopGroup(v));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadAll(PetscViewer v, const char *fname, OdynTrainerCheckpoint ck)
{
  MPI_Comm  comm = ck->comm;
  PetscBool has;
  char      format[64], sum[32], mine[32], *list, *p;

  PetscFunctionBegin;
  PetscCall(PetscViewerHDF5HasAttribute(v, CKPT_GROUP, "format", &has));
  PetscCheck(has, comm, PETSC_ERR_FILE_UNEXPECTED, "%s is an HDF5 file but not an odyn checkpoint (it has no %s group with a format attribute)", fname, CKPT_GROUP);
  PetscCall(ReadName(v, fname, "format", format, sizeof(format)));
  PetscCheck(!strcmp(format, ODYN_CHECKPOINT_MAGIC), comm, PETSC_ERR_FILE_UNEXPECTED, "%s is not an odyn checkpoint: its format is \"%s\", expected \"%s\"", fname, format, ODYN_CHECKPOINT_MAGIC);
  PetscCall(ReadAttr(v, fname, "format_version", PETSC_INT, &ck->version));
  PetscCall(ReadName(v, fname, "odyn_version", ck->odyn, sizeof(ck->odyn)));
  PetscCheck(ck->version <= ODYN_CHECKPOINT_FORMAT_VERSION, comm, PETSC_ERR_SUP, "Checkpoint file %s has format version %" PetscInt_FMT " (written by odyn %s), newer than this odyn (%d.%d.%d) reads (up to %d): continue the run with the odyn that wrote it", fname, ck->version, ck->odyn, ODYN_VERSION_MAJOR, ODYN_VERSION_MINOR, ODYN_VERSION_PATCH, ODYN_CHECKPOINT_FORMAT_VERSION);
  PetscCheck(ck->version >= 1, comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is corrupt: format version %" PetscInt_FMT " does not exist", fname, ck->version);
  PetscCall(ReadName(v, fname, "trainer_type", ck->type, sizeof(ck->type)));
  PetscCall(ReadAttr(v, fname, "run", PETSC_STRING, &ck->run));
  PetscCall(ReadName(v, fname, "checksum", sum, sizeof(sum)));
  PetscCall(ReadAttr(v, fname, "items", PETSC_STRING, &list));
  {
    PetscErrorCode ierr = ReadItems(v, fname, ck, list); /* so that list is freed on an error too */
    PetscCall(PetscFree(list));
    PetscCall(ierr);
  }
  PetscCall(ItemList(ck, &p)); /* the list as parsed: the checksum covers the names in their order */
  PetscCall(Checksum(ck, p, mine));
  PetscCall(PetscFree(p));
  PetscCheck(!strcmp(sum, mine), comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s is corrupt: checksum mismatch (the file says %s, its contents give %s)", fname, sum, mine);
  PetscFunctionReturn(0);
}

/* Reads and verifies a checkpoint; errors name the file: missing, truncated, not a checkpoint, newer, corrupt. */
PetscErrorCode OdynTrainerCheckpointRead(MPI_Comm comm, const char fname[], OdynTrainerCheckpoint *out)
{
  PetscMPIInt           rank;
  OdynFileCapture       cap;
  OdynH5Quiet           quiet;
  PetscViewer           v = NULL;
  PetscErrorCode        code = 0;
  OdynTrainerCheckpoint ck;
  char                  msg[ODYN_FILE_MSG_LEN] = "";

  PetscFunctionBegin;
  *out = NULL;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscMemzero(&cap, sizeof(cap)));
  OdynH5QuietBegin(&quiet);
  if (rank == 0) OdynH5CheckReadable("Checkpoint file", fname, msg, sizeof(msg), &code);
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, 0, comm));
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, 0, comm));
  if (msg[0]) {
    OdynH5QuietEnd(&quiet);
    SETERRQ(comm, code, "%s", msg);
  }
  PetscCall(PetscNew(&ck));
  ck->comm = comm;
  PetscCall(PetscStrncpy(ck->fname, fname, sizeof(ck->fname)));
  OdynFileTry(cap, PetscViewerHDF5Open(comm, fname, FILE_MODE_READ, &v));
  if (cap.code) v = NULL;
  else OdynFileTry(cap, ReadAll(v, fname, ck));
  if (v) OdynFileTry(cap, PetscViewerDestroy(&v));
  if (cap.code) {
    char detail[512];

    OdynH5LastError(detail, sizeof(detail));
    OdynH5QuietEnd(&quiet);
    PetscCall(OdynTrainerCheckpointDestroy(&ck));
    if (strstr(cap.msg, fname)) SETERRQ(comm, cap.code, "%s", cap.msg);
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "Checkpoint file %s could not be read (corrupt?): %s%s%s", fname, cap.msg, detail[0] ? "; HDF5: " : "", detail);
  }
  OdynH5QuietEnd(&quiet);
  *out = ck;
  PetscFunctionReturn(0);
}

#else

PetscErrorCode OdynTrainerCheckpointWrite(OdynTrainerCheckpoint ck, const char fname[], PetscReal delay)
{
  PetscFunctionBegin;
  SETERRQ(ck->comm, PETSC_ERR_SUP, "Cannot write the checkpoint file %s: odyn was built without HDF5", fname);
}

PetscErrorCode OdynTrainerCheckpointRead(MPI_Comm comm, const char fname[], OdynTrainerCheckpoint *ck)
{
  PetscFunctionBegin;
  SETERRQ(comm, PETSC_ERR_SUP, "Cannot read the checkpoint file %s: odyn was built without HDF5", fname);
}

#endif
