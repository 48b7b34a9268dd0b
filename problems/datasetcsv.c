/*
  CSV I/O of data sets. Format (docs/problems.md):

      # odyn dataset nf=2 nc=2
      0.52631578947368418,-0.21052631578947367,0
      ...

  one example per line, the nf features then the integer label, comma-separated. Lines starting with '#' are
  comments; the first comment of the form "# odyn dataset nf=<int> nc=<int>" (before any data) is the header: it
  fixes the number of columns and the range of the labels. Without it the first data line fixes the number of columns
  and nc is the largest label + 1. Blank lines are skipped; a trailing '\r' (Windows line ends) is ignored.

  Rank 0 does all file access; errors are broadcast so that every rank raises the same message, which names the file
  and the line ("file.csv:17: expected 3 columns, found 2").
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "datasetimpl.h"

#define CSV_MSG_LEN 1024

typedef struct {
  const char  *fname;
  char         msg[CSV_MSG_LEN]; /* empty: no error */
  PetscErrorCode code;           /* PETSc error class of msg */
  PetscInt     nf, nc, N, cap;
  PetscBool    header;
  PetscInt     maxlabel;
  PetscScalar *X;
  PetscInt    *labels;
} CSVReader;

/* Grows the example arrays to hold at least one more example. */
static PetscErrorCode CSVGrow(CSVReader *r)
{
  PetscScalar *X;
  PetscInt    *l, cap;

  PetscFunctionBegin;
  if (r->N < r->cap) PetscFunctionReturn(0);
  cap = 2 * r->cap + 64;
  PetscCall(PetscMalloc1(cap * r->nf, &X));
  PetscCall(PetscMalloc1(cap, &l));
  PetscCall(PetscArraycpy(X, r->X, r->N * r->nf));
  PetscCall(PetscArraycpy(l, r->labels, r->N));
  PetscCall(PetscFree(r->X));
  PetscCall(PetscFree(r->labels));
  r->X      = X;
  r->labels = l;
  r->cap    = cap;
  PetscFunctionReturn(0);
}

/* Trims blanks on both sides, in place. */
static char *Trim(char *s)
{
  char *e;
  while (*s == ' ' || *s == '\t') s++;
  e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = 0;
  return s;
}

/* Reads "key=<positive int>" from a header line; *v = -1 if the key is missing or not a positive integer. */
static void HeaderInt(const char *line, const char *key, PetscInt *v)
{
  const char *p = strstr(line, key);
  char       *end;
  long long   x;

  *v = -1;
  if (!p) return;
  p += strlen(key);
  errno = 0;
  x     = strtoll(p, &end, 10);
  if (end == p || errno || x < 1 || x > PETSC_MAX_INT || (*end && *end != ' ' && *end != '\t')) return;
  *v = (PetscInt)x;
}

/* Parses the data line `line` (line number `ln`); on a format error fills r->msg and returns 0. */
static PetscErrorCode CSVParseLine(CSVReader *r, char *line, PetscInt ln)
{
  PetscInt ncols = 1, col = 0;
  char    *field = line;

  PetscFunctionBegin;
  for (const char *c = line; *c; c++)
    if (*c == ',') ncols++;
  if (r->nf < 0) {
    if (ncols < 2) {
      PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": expected at least 2 columns (features x1,...,xnf and a label), found %" PetscInt_FMT, r->fname, ln, ncols));
      PetscFunctionReturn(0);
    }
    r->nf = ncols - 1;
  }
  if (ncols != r->nf + 1) {
    PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": expected %" PetscInt_FMT " columns, found %" PetscInt_FMT, r->fname, ln, r->nf + 1, ncols));
    PetscFunctionReturn(0);
  }
  PetscCall(CSVGrow(r));
  for (col = 0; col < ncols; col++) {
    char  *comma = strchr(field, ','), *f, *end;
    double v;

    if (comma) *comma = 0;
    f = Trim(field);
    if (!*f) {
      PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": column %" PetscInt_FMT " is empty", r->fname, ln, col + 1));
      PetscFunctionReturn(0);
    }
    v = strtod(f, &end);
    if (end == f || *end) {
      PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": column %" PetscInt_FMT " (\"%.40s\") is not a number", r->fname, ln, col + 1, f));
      PetscFunctionReturn(0);
    }
    if (PetscIsInfOrNanReal((PetscReal)v)) {
      PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": column %" PetscInt_FMT " (\"%.40s\") is not finite: NaN and Inf are not allowed", r->fname, ln, col + 1, f));
      PetscFunctionReturn(0);
    }
    if (col < r->nf) r->X[r->N * r->nf + col] = (PetscScalar)v;
    else {
      if (v != PetscFloorReal(v)) {
        PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": label \"%.40s\" (column %" PetscInt_FMT ") is not an integer", r->fname, ln, f, col + 1));
        PetscFunctionReturn(0);
      }
      if (v < 0) {
        PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": label %.40s is negative: labels are class numbers 0 .. nc-1", r->fname, ln, f));
        PetscFunctionReturn(0);
      }
      if (r->header && v >= r->nc) {
        PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": label %.40s is out of range: the header says nc=%" PetscInt_FMT ", so labels are 0 .. %" PetscInt_FMT, r->fname, ln, f, r->nc, r->nc - 1));
        PetscFunctionReturn(0);
      }
      if (v > 1e9) { /* without a header nc = max label + 1: a huge label is a mistake, not a class */
        PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": label %.40s is out of range (more than 1e9 classes)", r->fname, ln, f));
        PetscFunctionReturn(0);
      }
      r->labels[r->N] = (PetscInt)v;
      r->maxlabel     = PetscMax(r->maxlabel, (PetscInt)v);
    }
    field = comma ? comma + 1 : field;
  }
  r->N++;
  PetscFunctionReturn(0);
}

/* Rank 0: reads and parses the whole file into r; a format or access error fills r->msg. */
static PetscErrorCode CSVReadFile(CSVReader *r)
{
  FILE    *fp;
  long     size;
  char    *buf, *line;
  PetscInt ln = 0;

  PetscFunctionBegin;
  fp = fopen(r->fname, "rb");
  if (!fp) {
    r->code = PETSC_ERR_FILE_OPEN;
    PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "OdynDatasetReadCSV: cannot open %s for reading: %s", r->fname, strerror(errno)));
    PetscFunctionReturn(0);
  }
  if (fseek(fp, 0, SEEK_END) || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {
    r->code = PETSC_ERR_FILE_READ;
    PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "OdynDatasetReadCSV: cannot read %s: %s", r->fname, strerror(errno)));
    fclose(fp);
    PetscFunctionReturn(0);
  }
  PetscCall(PetscMalloc1(size + 1, &buf));
  if ((long)fread(buf, 1, (size_t)size, fp) != size) {
    r->code = PETSC_ERR_FILE_READ;
    PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "OdynDatasetReadCSV: cannot read %s: short read", r->fname));
  }
  fclose(fp);
  buf[r->msg[0] ? 0 : size] = 0;
  r->code = PETSC_ERR_FILE_UNEXPECTED;
  for (line = buf; !r->msg[0] && *line;) {
    char *nl = strchr(line, '\n'), *s;

    if (nl) *nl = 0;
    ln++;
    s = Trim(line);
    if (s[0] == '#') {
      if (r->N == 0 && !r->header && !strncmp(s, "# odyn dataset", 14)) {
        HeaderInt(s, "nf=", &r->nf);
        HeaderInt(s, "nc=", &r->nc);
        if (r->nf < 1 || r->nc < 1) PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": the header must read \"# odyn dataset nf=<features> nc=<classes>\" with positive integers, found \"%.80s\"", r->fname, ln, s));
        r->header = PETSC_TRUE;
      }
    } else if (s[0]) PetscCall(CSVParseLine(r, s, ln));
    line = nl ? nl + 1 : line + strlen(line);
  }
  PetscCall(PetscFree(buf));
  if (!r->msg[0] && size == 0) PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:1: the file is empty: expected one example per line, x1,...,xnf,label", r->fname));
  else if (!r->msg[0] && r->N == 0) PetscCall(PetscSNPrintf(r->msg, CSV_MSG_LEN, "%s:%" PetscInt_FMT ": no examples: the file has only comments and blank lines", r->fname, ln));
  if (!r->msg[0] && !r->header) r->nc = r->maxlabel + 1;
  PetscFunctionReturn(0);
}

/*@C
   OdynDatasetReadCSV - reads a data set from a CSV file: one example per line, x1,...,xnf,label

   Collective

   Input Parameters:
+  comm - the communicator over which the examples are distributed
-  filename - the file (read by rank 0)

   Output Parameter:
.  ds - the data set; each rank owns a contiguous slice of the examples, in file order

   Level: beginner

   Notes:
   Lines starting with '#' are comments; an optional header "# odyn dataset nf=<features> nc=<classes>" before the
   first example fixes the number of columns (nf + 1) and the number of classes. Without it the first example fixes
   the columns and nc is the largest label + 1. Labels must be integers (written as 2 or 2.0) in 0 .. nc-1; features
   must be finite numbers. Every format error is raised on all ranks with a message that names the file and line,
   e.g. "data.csv:17: expected 3 columns, found 2". Files written by OdynDatasetWriteCSV() read back bit for bit.

.seealso: `OdynDatasetWriteCSV()`, `OdynProblemCreate()`
@*/
PetscErrorCode OdynDatasetReadCSV(MPI_Comm comm, const char filename[], OdynDataset *ds)
{
  CSVReader   r;
  PetscMPIInt rank;
  PetscInt    sizes[3];
  OdynDataset d;

  PetscFunctionBegin;
  PetscValidCharPointer(filename, 2);
  PetscValidPointer(ds, 3);
  *ds = NULL;
  PetscCall(PetscMemzero(&r, sizeof(r)));
  r.fname = filename;
  r.nf    = -1;
  r.nc    = -1;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) PetscCall(CSVReadFile(&r));
  PetscCallMPI(MPI_Bcast(r.msg, CSV_MSG_LEN, MPI_CHAR, 0, comm));
  PetscCallMPI(MPI_Bcast(&r.code, 1, MPI_INT, 0, comm));
  if (r.msg[0]) {
    PetscCall(PetscFree(r.X));
    PetscCall(PetscFree(r.labels));
    SETERRQ(comm, r.code, "%s", r.msg);
  }
  sizes[0] = r.nf;
  sizes[1] = r.nc;
  sizes[2] = r.N;
  PetscCallMPI(MPI_Bcast(sizes, 3, MPIU_INT, 0, comm));
  PetscCall(OdynDatasetCreate(comm, &d));
  PetscCall(OdynDatasetSetSizes(d, sizes[0], sizes[1], PETSC_DECIDE, sizes[2]));
  PetscCall(OdynDatasetScatterFromZero(d, r.X, r.labels));
  PetscCall(PetscFree(r.X));
  PetscCall(PetscFree(r.labels));
  *ds = d;
  PetscFunctionReturn(0);
}

/*@C
   OdynDatasetWriteCSV - writes all examples to a CSV file, one per line, x1,...,xnf,label, after a header line

   Collective

   Input Parameters:
+  ds - the data set
-  filename - the file (written by rank 0; replaced if it exists)

   Level: beginner

   Notes:
   The first line is "# odyn dataset nf=<nf> nc=<nc>"; examples follow in global order, features printed with
   %.17g so that OdynDatasetReadCSV() gives back the same bits. Rank 0 gathers the whole data set to write it.

.seealso: `OdynDatasetReadCSV()`
@*/
PetscErrorCode OdynDatasetWriteCSV(OdynDataset ds, const char filename[])
{
  MPI_Comm     comm;
  PetscMPIInt  rank;
  PetscScalar *X;
  PetscInt    *labels;
  char         msg[CSV_MSG_LEN] = "";

  PetscFunctionBegin;
  PetscValidHeaderSpecific(ds, ODYNDATASET_CLASSID, 1);
  PetscValidCharPointer(filename, 2);
  OdynDatasetCheckSizes(ds, "OdynDatasetWriteCSV");
  comm = PetscObjectComm((PetscObject)ds);
  PetscCheck(!ds->T, comm, PETSC_ERR_SUP, "OdynDatasetWriteCSV: the data set has regression targets (OdynDatasetSetTargets()), which the CSV format x1,...,xnf,label cannot hold");
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(OdynDatasetGatherToZero(ds, &X, &labels));
  if (rank == 0) {
    FILE *fp = fopen(filename, "w");
    int   bad;

    if (!fp) PetscCall(PetscSNPrintf(msg, CSV_MSG_LEN, "OdynDatasetWriteCSV: cannot open %s for writing: %s", filename, strerror(errno)));
    else {
      bad = fprintf(fp, "# odyn dataset nf=%" PetscInt_FMT " nc=%" PetscInt_FMT "\n", ds->nf, ds->nc) < 0;
      for (PetscInt i = 0; i < ds->N && !bad; i++) {
        for (PetscInt k = 0; k < ds->nf; k++) bad |= fprintf(fp, "%.17g,", (double)PetscRealPart(X[i * ds->nf + k])) < 0;
        bad |= fprintf(fp, "%" PetscInt_FMT "\n", labels[i]) < 0;
      }
      bad |= fclose(fp) != 0;
      if (bad) PetscCall(PetscSNPrintf(msg, CSV_MSG_LEN, "OdynDatasetWriteCSV: writing %s failed: %s", filename, strerror(errno)));
    }
  }
  PetscCall(PetscFree2(X, labels));
  PetscCallMPI(MPI_Bcast(msg, CSV_MSG_LEN, MPI_CHAR, 0, comm));
  PetscCheck(!msg[0], comm, PETSC_ERR_FILE_WRITE, "%s", msg);
  PetscFunctionReturn(0);
}
