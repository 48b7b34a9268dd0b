/*
  OdynDatasetLoad / OdynDatasetSave (problems/datasetbin*.c): round trips through every format the extension selects
  (CSV, IDX, PETSc binary, HDF5), bit for bit and with the image shape, on 1 and 2 ranks (a file written on 2 ranks is
  read on 1 and back); files written by hand the way other programs would (bare Vecs through PETSc's viewers); and the
  error of every kind of bad file: missing, not a data set, wrong sizes, missing objects, NaN, labels out of range.
*/
#include <stdio.h>
#include <string.h>
#include <math.h>
#include "odyntest.h"

static void FileName(char *buf, size_t len, const char *what)
{
  PetscMPIInt size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  snprintf(buf, len, "test_idx_formats_np%d_%s", (int)size, what);
}

static void Remove(const char *name)
{
  PetscMPIInt rank;
  MPI_Barrier(PETSC_COMM_WORLD);
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (!rank) remove(name);
}

/* The same sizes, image shape, features (bits) and labels, both made on the same communicator */
static void CheckSame(OdynDataset a, OdynDataset b, PetscBool shape)
{
  PetscInt           nf[2], nc[2], n[2], N[2], s[2][3];
  const PetscInt    *la, *lb;
  const PetscScalar *xa, *xb;
  Vec                Xa, Xb;

  ODYN_CK(OdynDatasetGetSizes(a, &nf[0], &nc[0], &n[0], &N[0]));
  ODYN_CK(OdynDatasetGetSizes(b, &nf[1], &nc[1], &n[1], &N[1]));
  ck_assert(nf[0] == nf[1] && nc[0] == nc[1] && n[0] == n[1] && N[0] == N[1]);
  ODYN_CK(OdynDatasetGetImageShape(a, &s[0][0], &s[0][1], &s[0][2]));
  ODYN_CK(OdynDatasetGetImageShape(b, &s[1][0], &s[1][1], &s[1][2]));
  if (shape) ck_assert(s[0][0] == s[1][0] && s[0][1] == s[1][1] && s[0][2] == s[1][2]);
  ODYN_CK(OdynDatasetGetLabels(a, &la));
  ODYN_CK(OdynDatasetGetLabels(b, &lb));
  ODYN_CK(OdynDatasetGetFeatures(a, &Xa));
  ODYN_CK(OdynDatasetGetFeatures(b, &Xb));
  ODYN_CK(VecGetArrayRead(Xa, &xa));
  ODYN_CK(VecGetArrayRead(Xb, &xb));
  ck_assert_msg(!memcmp(xa, xb, sizeof(PetscScalar) * nf[0] * n[0]), "features differ after the round trip");
  ck_assert(!memcmp(la, lb, sizeof(PetscInt) * n[0]));
  ODYN_CK(VecRestoreArrayRead(Xa, &xa));
  ODYN_CK(VecRestoreArrayRead(Xb, &xb));
}

/* 23 examples of 2 x 3 pixels with 2 channels, features multiples of 1/255 (so IDX keeps them), 4 classes */
static void MakeData(MPI_Comm comm, OdynDataset *ds)
{
  PetscScalar X[23 * 12];
  PetscInt    L[23];

  for (int i = 0; i < 23 * 12; i++) X[i] = (PetscScalar)((i * 37) % 256) / 255.0;
  for (int i = 0; i < 23; i++) L[i] = (i * 3) % 4;
  ODYN_CK(OdynDatasetCreateFromGlobalArrays(comm, 12, 4, 23, X, L, ds));
  ODYN_CK(OdynDatasetSetImageShape(*ds, 2, 3, 2));
}

START_TEST(test_formats_roundtrip)
{
  const char *ext[] = {"d.bin", "d.dat", "d.h5", "d.csv", "d-images-idx4-ubyte.gz", "d.images.idx"};
  const char *lab[] = {NULL, NULL, NULL, NULL, "d-labels-idx1-ubyte.gz", "d.labels.idx"};
  OdynDataset ds, back, self, selfback;
  char        name[256], lname[256];

  MakeData(PETSC_COMM_WORLD, &ds);
  MakeData(PETSC_COMM_SELF, &self);
  for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++) {
    FileName(name, sizeof(name), ext[k]);
    ODYN_CK(OdynDatasetSave(ds, name));
    ODYN_CK(OdynDatasetLoad(PETSC_COMM_WORLD, name, &back));
    CheckSame(ds, back, k != 3); /* CSV has no image shape */
    ODYN_CK(OdynDatasetDestroy(&back));
    /* written on this communicator, read on one rank */
    ODYN_CK(OdynDatasetLoad(PETSC_COMM_SELF, name, &selfback));
    CheckSame(self, selfback, k != 3);
    ODYN_CK(OdynDatasetDestroy(&selfback));
    Remove(name);
    if (lab[k]) {
      FileName(lname, sizeof(lname), lab[k]);
      Remove(lname);
    }
  }
  /* values IDX cannot keep are kept by the others: thirds, huge, tiny, negative */
  {
    const PetscScalar X[6] = {1.0 / 3, -1e300, 4.9406564584124654e-324, -0.0, 2.0 / 3, 123456.789};
    const PetscInt    L[3] = {2, 0, 1};
    OdynDataset       odd;
    ODYN_CK(OdynDatasetCreateFromGlobalArrays(PETSC_COMM_WORLD, 2, 3, 3, X, L, &odd));
    for (int k = 0; k < 3; k++) {
      FileName(name, sizeof(name), ext[k == 2 ? 3 : k * 2]);
      ODYN_CK(OdynDatasetSave(odd, name));
      ODYN_CK(OdynDatasetLoad(PETSC_COMM_WORLD, name, &back));
      CheckSame(odd, back, PETSC_TRUE);
      ODYN_CK(OdynDatasetDestroy(&back));
      Remove(name);
    }
    ODYN_CK(OdynDatasetDestroy(&odd));
  }
  ODYN_CK(OdynDatasetDestroy(&ds));
  ODYN_CK(OdynDatasetDestroy(&self));
}
END_TEST

/* A PETSc binary file of the given header (8 values; NULL: none), features and labels (NULL: left out) */
static void WriteBinary(const char *name, const PetscScalar *h, PetscInt hn, PetscInt nx, const PetscScalar *x, PetscInt nl, const PetscScalar *l)
{
  PetscViewer       v;
  const PetscScalar *vals[3] = {h, x, l};
  const PetscInt     lens[3] = {hn, nx, nl};

  ODYN_CK(PetscViewerCreate(PETSC_COMM_WORLD, &v));
  ODYN_CK(PetscViewerSetType(v, PETSCVIEWERBINARY));
  ODYN_CK(PetscViewerBinarySetSkipInfo(v, PETSC_TRUE));
  ODYN_CK(PetscViewerFileSetMode(v, FILE_MODE_WRITE));
  ODYN_CK(PetscViewerFileSetName(v, name));
  for (int k = 0; k < 3; k++) {
    Vec          V;
    PetscScalar *a;
    PetscInt     lo, hi;
    if (!vals[k]) continue;
    ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, lens[k], &V));
    ODYN_CK(VecGetOwnershipRange(V, &lo, &hi));
    ODYN_CK(VecGetArrayWrite(V, &a));
    for (PetscInt i = lo; i < hi; i++) a[i - lo] = vals[k][i];
    ODYN_CK(VecRestoreArrayWrite(V, &a));
    ODYN_CK(VecView(V, v));
    ODYN_CK(VecDestroy(&V));
  }
  ODYN_CK(PetscViewerDestroy(&v));
}

/* An HDF5 file of bare Vecs as another program writes them: /features (N x nf when nf > 1) and /labels */
static void WriteHDF5(const char *name, PetscInt nf, PetscInt N, const PetscScalar *x, PetscInt nl, const PetscScalar *l)
{
  PetscViewer v;
  Vec         V;
  PetscInt    lo, hi;
  PetscScalar *a;

  ODYN_CK(PetscViewerCreate(PETSC_COMM_WORLD, &v));
  ODYN_CK(PetscViewerSetType(v, PETSCVIEWERHDF5));
  ODYN_CK(PetscViewerFileSetMode(v, FILE_MODE_WRITE));
  ODYN_CK(PetscViewerFileSetName(v, name));
  if (x) {
    ODYN_CK(VecCreate(PETSC_COMM_WORLD, &V));
    ODYN_CK(VecSetSizes(V, PETSC_DECIDE, nf * N));
    ODYN_CK(VecSetBlockSize(V, nf));
    ODYN_CK(VecSetFromOptions(V));
    ODYN_CK(PetscObjectSetName((PetscObject)V, "features"));
    ODYN_CK(VecGetOwnershipRange(V, &lo, &hi));
    ODYN_CK(VecGetArrayWrite(V, &a));
    for (PetscInt i = lo; i < hi; i++) a[i - lo] = x[i];
    ODYN_CK(VecRestoreArrayWrite(V, &a));
    ODYN_CK(VecView(V, v));
    ODYN_CK(VecDestroy(&V));
  }
  if (l) {
    ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, nl, &V));
    ODYN_CK(PetscObjectSetName((PetscObject)V, "labels"));
    ODYN_CK(VecGetOwnershipRange(V, &lo, &hi));
    ODYN_CK(VecGetArrayWrite(V, &a));
    for (PetscInt i = lo; i < hi; i++) a[i - lo] = l[i];
    ODYN_CK(VecRestoreArrayWrite(V, &a));
    ODYN_CK(VecView(V, v));
    ODYN_CK(VecDestroy(&V));
  }
  ODYN_CK(PetscViewerDestroy(&v));
}

START_TEST(test_formats_by_hand)
{
  const PetscScalar x[12] = {0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, l[4] = {0, 2, 1, 2};
  const PetscScalar h[8]  = {20171227, 1, 3, 3, 4, 0, 0, 0};
  OdynDataset       ds;
  PetscInt          nf, nc, N;
  Vec               X;
  PetscScalar       v2;
  char              name[256];

  /* binary: nf = 3, N = 4 from the header */
  FileName(name, sizeof(name), "hand.bin");
  WriteBinary(name, h, 8, 12, x, 4, l);
  ODYN_CK(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds));
  ODYN_CK(OdynDatasetGetSizes(ds, &nf, &nc, NULL, &N));
  ck_assert(nf == 3 && nc == 3 && N == 4);
  ODYN_CK(OdynDatasetGetFeatures(ds, &X));
  ODYN_CK(VecSum(X, &v2));
  ck_assert(v2 == 66.5);
  ODYN_CK(OdynDatasetDestroy(&ds));
  Remove(name);
  /* HDF5 without attributes: nf = 3 from the rows, nc = largest label + 1; a 1-D /features is nf = 1 */
  FileName(name, sizeof(name), "hand.h5");
  WriteHDF5(name, 3, 4, x, 4, l);
  ODYN_CK(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds));
  ODYN_CK(OdynDatasetGetSizes(ds, &nf, &nc, NULL, &N));
  ck_assert(nf == 3 && nc == 3 && N == 4);
  ODYN_CK(OdynDatasetDestroy(&ds));
  WriteHDF5(name, 1, 12, x, 12, x);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), ": label 0.5 of example 0 is not a class number (an integer >= 0)");
  {
    PetscScalar l12[12];
    for (int i = 0; i < 12; i++) l12[i] = i % 5;
    WriteHDF5(name, 1, 12, x, 12, l12);
  }
  ODYN_CK(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds));
  ODYN_CK(OdynDatasetGetSizes(ds, &nf, &nc, NULL, &N));
  ck_assert(nf == 1 && nc == 5 && N == 12);
  ODYN_CK(OdynDatasetDestroy(&ds));
  Remove(name);
}
END_TEST

START_TEST(test_formats_errors)
{
  const PetscScalar x[12] = {0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, l[4] = {0, 2, 1, 2}, lbad[4] = {0, 2, 3, 1};
  const PetscScalar h[8] = {20171227, 1, 3, 3, 4, 0, 0, 0}, hN[8] = {20171227, 1, 3, 3, 5, 0, 0, 0}, hmark[8] = {1, 1, 3, 3, 4, 0, 0, 0};
  const PetscScalar himg[8] = {20171227, 1, 3, 3, 4, 2, 2, 1}, hfrac[8] = {20171227, 1, 2.5, 3, 4, 0, 0, 0};
  PetscScalar       xnan[12];
  OdynDataset       ds = NULL;
  char              name[256], needle[1024];

  FileName(name, sizeof(name), "bad.bin");
  Remove(name); /* left by an earlier failed run */
  /* missing file, unknown extension */
  snprintf(needle, sizeof(needle), "cannot open %s for reading", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, "data.txt", &ds), "cannot tell the format of data.txt from its name: use .csv");
  /* not a data set: a Vec of 3 values first; another mark; not integers */
  WriteBinary(name, x, 3, 0, NULL, 0, NULL);
  snprintf(needle, sizeof(needle), "%s: not an odyn data set in PETSc binary format: the first object must be a Vec of 8 values", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  WriteBinary(name, hmark, 8, 12, x, 4, l);
  snprintf(needle, sizeof(needle), "%s: not an odyn data set file of format version 1: its header starts 1 1", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  WriteBinary(name, hfrac, 8, 12, x, 4, l);
  snprintf(needle, sizeof(needle), "%s: wrong sizes in the header: value 3 (nf) is 2.5", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  WriteBinary(name, himg, 8, 12, x, 4, l);
  snprintf(needle, sizeof(needle), "%s: wrong sizes in the header: an image of 2 x 2 x 1 is not nf = 3 features", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  /* wrong sizes: the header says 5 examples, the file holds 4; missing labels */
  WriteBinary(name, hN, 8, 12, x, 4, l);
  snprintf(needle, sizeof(needle), "%s: the features (second object, a Vec of nf x N = 3 x 5 values as the header says) cannot be read", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  WriteBinary(name, h, 8, 12, x, 0, NULL);
  snprintf(needle, sizeof(needle), "%s: the labels (third object, a Vec of N = 4 values as the header says) cannot be read", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  /* labels out of range, NaN features */
  WriteBinary(name, h, 8, 12, x, 4, lbad);
  snprintf(needle, sizeof(needle), "%s: label 3 of example 2 is not a class number 0 .. 2", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  memcpy(xnan, x, sizeof(x));
  xnan[10] = (PetscScalar)NAN;
  WriteBinary(name, h, 8, 12, xnan, 4, l);
  snprintf(needle, sizeof(needle), "%s: feature 1 of example 3 is NaN or Inf", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  Remove(name);
  /* HDF5: not HDF5; missing /labels, /features; labels of the wrong length; NaN */
  FileName(name, sizeof(name), "bad.h5");
  {
    PetscMPIInt rank;
    MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
    if (!rank) {
      FILE *fp = fopen(name, "w");
      fputs("0.1,0.2,1\n", fp);
      fclose(fp);
    }
    MPI_Barrier(PETSC_COMM_WORLD);
  }
  snprintf(needle, sizeof(needle), "the data file %s is truncated or corrupt, or not an HDF5 file", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  WriteHDF5(name, 3, 4, x, 0, NULL);
  snprintf(needle, sizeof(needle), "%s has no dataset /labels", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  WriteHDF5(name, 3, 4, NULL, 4, l);
  snprintf(needle, sizeof(needle), "%s has no dataset /features", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  WriteHDF5(name, 3, 4, x, 3, l);
  snprintf(needle, sizeof(needle), "%s: wrong sizes: /labels must hold one number per example, N = 4 as /features has rows, but it has 1 dimension (3 x 0)", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  WriteHDF5(name, 3, 4, xnan, 4, l);
  snprintf(needle, sizeof(needle), "%s: feature 1 of example 3 is NaN or Inf", name);
  odyn_ck_error_contains(OdynDatasetLoad(PETSC_COMM_WORLD, name, &ds), needle);
  ck_assert(ds == NULL);
  Remove(name);
  /* writing into a folder that does not exist */
  {
    const PetscScalar X[2] = {0.5, 0.25};
    const PetscInt    L[1] = {0};
    ODYN_CK(OdynDatasetCreateFromGlobalArrays(PETSC_COMM_WORLD, 2, 1, 1, X, L, &ds));
    odyn_ck_error_contains(OdynDatasetSave(ds, "/nonexistent-odyn-dir/d.bin"), "Cannot write the data file /nonexistent-odyn-dir/d.bin");
    odyn_ck_error_contains(OdynDatasetSave(ds, "/nonexistent-odyn-dir/d.h5"), "Cannot write the data file /nonexistent-odyn-dir/d.h5");
    odyn_ck_error_contains(OdynDatasetSave(ds, "d.txt"), "OdynDatasetSave: cannot tell the format of d.txt");
    { /* regression targets (nc = 2 values per example here) are refused, not silently dropped */
      Vec X, T;
      ODYN_CK(OdynDatasetSetSizes(ds, 2, 2, PETSC_DECIDE, 1));
      ODYN_CK(OdynDatasetGetFeatures(ds, &X));
      ODYN_CK(VecDuplicate(X, &T));
      ODYN_CK(VecSet(T, 0.5));
      ODYN_CK(OdynDatasetSetTargets(ds, T));
      ODYN_CK(VecDestroy(&T));
      odyn_ck_error_contains(OdynDatasetSave(ds, "d.bin"), "d.bin: the data set has regression targets");
      odyn_ck_error_contains(OdynDatasetSave(ds, "d-images-idx3-ubyte"), "the data set has regression targets");
    }
    ODYN_CK(OdynDatasetDestroy(&ds));
  }
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("idx_formats");
  TCase *t = tcase_create("formats");
  tcase_add_test(t, test_formats_roundtrip);
  tcase_add_test(t, test_formats_by_hand);
  tcase_add_test(t, test_formats_errors);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
