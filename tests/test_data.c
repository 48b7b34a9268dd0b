/*
  Data sets and the paper's test problems (problems/): sizes and class counts of every generator, determinism and
  independence of the number of ranks (an exact checksum of the gathered data on PETSC_COMM_WORLD against the same
  data made on PETSC_COMM_SELF), the geometry of each problem, subsets, targets, feature duplication, CSV round trips
  and the error messages of malformed CSV files. Runs on 1 and on 2 ranks.
*/
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include "odyntest.h"

static uint64_t Mix(uint64_t z) /* splitmix64 finalizer */
{
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Exact, order-independent checksum of sizes, features (bits) and labels, each tied to its global index. */
static uint64_t Checksum(OdynDataset ds)
{
  PetscInt           nf, nc, n, N, rstart;
  const PetscInt    *l;
  const PetscScalar *x;
  Vec                X;
  uint64_t           h = 0;

  ODYN_CK(OdynDatasetGetSizes(ds, &nf, &nc, &n, &N));
  ODYN_CK(OdynDatasetGetOwnershipRange(ds, &rstart, NULL));
  ODYN_CK(OdynDatasetGetLabels(ds, &l));
  ODYN_CK(OdynDatasetGetFeatures(ds, &X));
  ODYN_CK(VecGetArrayRead(X, &x));
  for (PetscInt i = 0; i < n; i++) {
    uint64_t e = Mix((uint64_t)(rstart + i) + 0x9e3779b97f4a7c15ULL * (uint64_t)(l[i] + 1));
    for (PetscInt k = 0; k < nf; k++) {
      double   v = (double)x[i * nf + k];
      uint64_t b;
      memcpy(&b, &v, sizeof(b));
      e = Mix(e ^ b);
    }
    h += e;
  }
  ODYN_CK(VecRestoreArrayRead(X, &x));
  ck_assert(MPI_Allreduce(MPI_IN_PLACE, &h, 1, MPI_UINT64_T, MPI_SUM, PetscObjectComm((PetscObject)ds)) == MPI_SUCCESS);
  return h + Mix((uint64_t)(nf * 1000003 + nc * 101 + N));
}

static void CheckCounts(OdynDataset ds, PetscInt N, PetscInt nc, const PetscInt expect[])
{
  PetscInt nf, ncg, Ng, counts[8];

  ODYN_CK(OdynDatasetGetSizes(ds, &nf, &ncg, NULL, &Ng));
  ck_assert_int_eq(nf, 2);
  ck_assert_int_eq(ncg, nc);
  ck_assert_int_eq(Ng, N);
  ODYN_CK(OdynDatasetGetClassCounts(ds, counts));
  for (PetscInt c = 0; c < nc; c++)
    if (expect[c] >= 0) ck_assert_int_eq(counts[c], expect[c]);
}

START_TEST(test_sizes_and_ranks)
{
  const char    *names[3] = {"ellipse", "swissroll", "peaks"};
  const PetscInt Ntr[3] = {1000, 514, 4000}, Nva[3] = {200, 512, 1000}, nc[3] = {2, 2, 5};
  const PetscInt sr_tr[2] = {257, 257}, sr_va[2] = {256, 256}, any[5] = {-1, -1, -1, -1, -1};

  for (int p = 0; p < 3; p++) {
    OdynDataset tr, va, trs, vas, tr2, va2;
    PetscInt    ct[5], cv[5];

    ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, names[p], &tr, &va));
    CheckCounts(tr, Ntr[p], nc[p], p == 1 ? sr_tr : any);
    CheckCounts(va, Nva[p], nc[p], p == 1 ? sr_va : any);
    /* ellipse: 600 + 600 overall; peaks: 1000 per class overall */
    ODYN_CK(OdynDatasetGetClassCounts(tr, ct));
    ODYN_CK(OdynDatasetGetClassCounts(va, cv));
    for (PetscInt c = 0; c < nc[p]; c++) ck_assert_int_eq(ct[c] + cv[c], p == 0 ? 600 : p == 1 ? 513 : 1000);
    /* the same data on this communicator and on each rank alone; again with the same seed; not with another */
    ODYN_CK(OdynProblemCreate(PETSC_COMM_SELF, names[p], &trs, &vas));
    ck_assert_msg(Checksum(tr) == Checksum(trs) && Checksum(va) == Checksum(vas), "%s: data differ with the number of ranks", names[p]);
    ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, names[p], &tr2, &va2));
    ck_assert(Checksum(tr) == Checksum(tr2) && Checksum(va) == Checksum(va2));
    ODYN_CK(OdynDatasetDestroy(&tr2));
    ODYN_CK(OdynDatasetDestroy(&va2));
    ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_problem_seed", "7"));
    ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, names[p], &tr2, &va2));
    ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_problem_seed"));
    if (p != 1) ck_assert_msg(Checksum(tr2) != Checksum(tr), "%s: another seed gave the same data", names[p]);
    else ck_assert(Checksum(tr2) == Checksum(tr)); /* the swiss roll is deterministic */
    ODYN_CK(OdynDatasetDestroy(&tr2));
    ODYN_CK(OdynDatasetDestroy(&va2));
    ODYN_CK(OdynDatasetDestroy(&trs));
    ODYN_CK(OdynDatasetDestroy(&vas));
    ODYN_CK(OdynDatasetDestroy(&tr));
    ODYN_CK(OdynDatasetDestroy(&va));
  }
}
END_TEST

/* Reduces v over the data set's communicator with op (MPI_MIN or MPI_MAX) */
static PetscReal Reduce(OdynDataset ds, PetscReal v, MPI_Op op)
{
  ck_assert(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPIU_REAL, op, PetscObjectComm((PetscObject)ds)) == MPI_SUCCESS);
  return v;
}

START_TEST(test_ellipse_geometry)
{
  OdynDataset        tr, va;
  Vec                X;
  const PetscScalar *x;
  const PetscInt    *l;
  PetscInt           n;
  PetscReal          rmax0 = 0, rmin1 = PETSC_MAX_REAL;

  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "ellipse", &tr, &va));
  ODYN_CK(OdynDatasetGetSizes(tr, NULL, NULL, &n, NULL));
  ODYN_CK(OdynDatasetGetFeatures(tr, &X));
  ODYN_CK(OdynDatasetGetLabels(tr, &l));
  ODYN_CK(VecGetArrayRead(X, &x));
  /* radially separable: the elliptic radius sqrt(x1^2 + (x2/0.5)^2) of class 0 stays below that of class 1 */
  for (PetscInt i = 0; i < n; i++) {
    const PetscReal r = PetscSqrtReal(x[2 * i] * x[2 * i] + 4 * x[2 * i + 1] * x[2 * i + 1]);
    if (l[i] == 0) rmax0 = PetscMax(rmax0, r);
    else rmin1 = PetscMin(rmin1, r);
  }
  ck_assert_msg(Reduce(tr, rmax0, MPI_MAX) < 0.75 && Reduce(tr, rmin1, MPI_MIN) > 0.75, "ellipse classes are not separated by their elliptic radius");
  /* not linearly separable: along every direction w, class 1 reaches beyond class 0 on both sides, so no line
     w.x = const has class 0 on one side only */
  for (int d = 0; d < 720; d++) {
    const PetscReal c = PetscCosReal(PETSC_PI * d / 360), s = PetscSinReal(PETSC_PI * d / 360);
    PetscReal       lo[2] = {PETSC_MAX_REAL, PETSC_MAX_REAL}, hi[2] = {-PETSC_MAX_REAL, -PETSC_MAX_REAL};
    for (PetscInt i = 0; i < n; i++) {
      const PetscReal p = c * x[2 * i] + s * x[2 * i + 1];
      lo[l[i]]          = PetscMin(lo[l[i]], p);
      hi[l[i]]          = PetscMax(hi[l[i]], p);
    }
    ck_assert_msg(Reduce(tr, hi[1], MPI_MAX) > Reduce(tr, hi[0], MPI_MAX) && Reduce(tr, lo[1], MPI_MIN) < Reduce(tr, lo[0], MPI_MIN), "ellipse classes are linearly separable along direction %d", d);
  }
  ODYN_CK(VecRestoreArrayRead(X, &x));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
}
END_TEST

START_TEST(test_swissroll_alternate)
{
  OdynDataset sets[2];
  int         seen[2][513] = {{0}};

  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "swissroll", &sets[0], &sets[1]));
  for (int v = 0; v < 2; v++) {
    Vec                X;
    const PetscScalar *x;
    const PetscInt    *l;
    PetscInt           n;

    ODYN_CK(OdynDatasetGetSizes(sets[v], NULL, NULL, &n, NULL));
    ODYN_CK(OdynDatasetGetFeatures(sets[v], &X));
    ODYN_CK(OdynDatasetGetLabels(sets[v], &l));
    ODYN_CK(VecGetArrayRead(X, &x));
    for (PetscInt e = 0; e < n; e++) {
      /* recover the curve index i from the radius: r = i/512 on curve 0 and r + 0.2 on curve 1 */
      const PetscReal rad = PetscSqrtReal(x[2 * e] * x[2 * e] + x[2 * e + 1] * x[2 * e + 1]), r = rad - (l[e] ? 0.2 : 0.0);
      const PetscInt  i   = (PetscInt)PetscFloorReal(r * 512 + 0.5);
      ck_assert_msg(PetscAbsReal(r * 512 - i) < 1e-9 && i >= 0 && i <= 512, "swiss roll point off the sampling");
      ck_assert_msg(PetscAbsReal(x[2 * e] - rad * PetscCosReal(4 * PETSC_PI * r)) < 1e-12 && PetscAbsReal(x[2 * e + 1] - rad * PetscSinReal(4 * PETSC_PI * r)) < 1e-12, "swiss roll point off its curve");
      ck_assert_msg(i % 2 == v, "swiss roll point %" PetscInt_FMT " of curve %" PetscInt_FMT " is in the %s set", i, l[e], v ? "validation" : "training");
      seen[l[e]][i]++;
    }
    ODYN_CK(VecRestoreArrayRead(X, &x));
  }
  ck_assert(MPI_Allreduce(MPI_IN_PLACE, seen, 2 * 513, MPI_INT, MPI_SUM, PETSC_COMM_WORLD) == MPI_SUCCESS);
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < 513; i++) ck_assert_msg(seen[c][i] == 1, "swiss roll point %d of curve %d appears %d times", i, c, seen[c][i]);
  ODYN_CK(OdynDatasetDestroy(&sets[0]));
  ODYN_CK(OdynDatasetDestroy(&sets[1]));
}
END_TEST

/* Every sample of both peaks sets lies on the 256 x 256 grid and carries the class its value gets from thr. */
static void CheckPeaksLabels(const PetscReal thr[])
{
  OdynDataset sets[2];

  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "peaks", &sets[0], &sets[1]));
  for (int v = 0; v < 2; v++) {
    Vec                X;
    const PetscScalar *x;
    const PetscInt    *l;
    PetscInt           n;

    ODYN_CK(OdynDatasetGetSizes(sets[v], NULL, NULL, &n, NULL));
    ODYN_CK(OdynDatasetGetFeatures(sets[v], &X));
    ODYN_CK(OdynDatasetGetLabels(sets[v], &l));
    ODYN_CK(VecGetArrayRead(X, &x));
    for (PetscInt e = 0; e < n; e++) {
      const PetscReal f = OdynProblemPeaksFunction(x[2 * e], x[2 * e + 1]);
      PetscInt        c = 0;
      for (int j = 0; j < 2; j++) {
        const PetscReal g = (x[2 * e + j] + 3) * 255 / 6;
        ck_assert_msg(PetscAbsReal(g - PetscFloorReal(g + 0.5)) < 1e-9, "peaks sample off the 256 x 256 grid");
      }
      while (c < 4 && f > thr[c]) c++;
      ck_assert_msg(c == l[e], "peaks sample with value %g has label %" PetscInt_FMT ", the thresholds give %" PetscInt_FMT, (double)f, l[e], c);
    }
    ODYN_CK(VecRestoreArrayRead(X, &x));
  }
  ODYN_CK(OdynDatasetDestroy(&sets[0]));
  ODYN_CK(OdynDatasetDestroy(&sets[1]));
}

/* How many of the 5,000 peaks samples (both sets, drawn on one rank) repeat a grid point drawn before. */
static PetscInt CountPeaksRepeats(void)
{
  OdynDataset sets[2];
  char       *seen;
  PetscInt    repeats = 0;

  ODYN_CK(PetscCalloc1(256 * 256, &seen));
  ODYN_CK(OdynProblemCreate(PETSC_COMM_SELF, "peaks", &sets[0], &sets[1]));
  for (int v = 0; v < 2; v++) {
    Vec                X;
    const PetscScalar *x;
    PetscInt           n;

    ODYN_CK(OdynDatasetGetSizes(sets[v], NULL, NULL, &n, NULL));
    ODYN_CK(OdynDatasetGetFeatures(sets[v], &X));
    ODYN_CK(VecGetArrayRead(X, &x));
    for (PetscInt e = 0; e < n; e++) {
      const PetscInt g = (PetscInt)PetscFloorReal((x[2 * e] + 3) * 255 / 6 + 0.5) + 256 * (PetscInt)PetscFloorReal((x[2 * e + 1] + 3) * 255 / 6 + 0.5);
      repeats += seen[g];
      seen[g] = 1;
    }
    ODYN_CK(VecRestoreArrayRead(X, &x));
    ODYN_CK(OdynDatasetDestroy(&sets[v]));
  }
  ODYN_CK(PetscFree(seen));
  return repeats;
}

START_TEST(test_peaks_classes)
{
  /* value: equally wide bins between the grid's min and max (the authors' setupPeaks.m); area: quintiles */
  const PetscInt expect[2][5] = {
    {1829,  7968,  47557, 6384,  1798 },
    {13107, 13107, 13107, 13107, 13108}
  };
  PetscReal thr[2][4];

  for (int kind = 0; kind < 2; kind++) {
    PetscInt area[5] = {0};

    ODYN_CK(OdynProblemPeaksGetThresholds((OdynPeaksClasses)kind, thr[kind]));
    for (int k = 1; k < 4; k++) ck_assert(thr[kind][k - 1] < thr[kind][k]);
    for (int i = 0; i < 256 * 256; i++) {
      const PetscReal f = OdynProblemPeaksFunction(-3 + 6.0 * (i % 256) / 255, -3 + 6.0 * (i / 256) / 255);
      PetscInt        c = 0;
      while (c < 4 && f > thr[kind][c]) c++;
      area[c]++;
    }
    for (int c = 0; c < 5; c++) ck_assert_msg(area[c] == expect[kind][c], "peaks (%s): class %d has %" PetscInt_FMT " grid points, expected %" PetscInt_FMT, OdynPeaksClassesTypes[kind], c, area[c], expect[kind][c]);
  }
  { /* value bins: the steps between the thresholds are a fifth of max - min over the grid */
    PetscReal fmin = PETSC_MAX_REAL, fmax = PETSC_MIN_REAL;
    for (int i = 0; i < 256 * 256; i++) {
      const PetscReal f = OdynProblemPeaksFunction(-3 + 6.0 * (i % 256) / 255, -3 + 6.0 * (i / 256) / 255);
      fmin = PetscMin(fmin, f);
      fmax = PetscMax(fmax, f);
    }
    for (int k = 0; k < 4; k++) ck_assert_msg(PetscAbsReal(thr[0][k] - (fmin + (k + 1) * (fmax - fmin) / 5)) < 1e-12, "peaks value threshold %d is %g", k, (double)thr[0][k]);
  }
  CheckPeaksLabels(thr[ODYN_PEAKS_CLASSES_VALUE]); /* the default */
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_peaks_classes", "area"));
  CheckPeaksLabels(thr[ODYN_PEAKS_CLASSES_AREA]);
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_peaks_classes"));
  /* without replacement no grid point is drawn twice; with it (the authors' sampling) 1,000 draws from the 1,829
     points of class 0 repeat about 230 of them, from the 1,798 of class 4 as many, about 600 in all classes */
  ck_assert_int_eq(CountPeaksRepeats(), 0);
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_peaks_replace", "1"));
  {
    const PetscInt r = CountPeaksRepeats();
    ck_assert_msg(r > 500 && r < 700, "peaks with replacement: %" PetscInt_FMT " repeated samples", r);
  }
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_peaks_replace"));
}
END_TEST

START_TEST(test_duplicate_targets_subset)
{
  OdynDataset        tr, va, self, selfv, sub, va2;
  Vec                X, X2, C;
  const PetscScalar *x, *xs, *c, *xsub;
  const PetscInt    *l, *lsub, *lself;
  PetscInt           n, nf, rstart, idx[37], m = 37;

  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "peaks", &tr, &va));
  ODYN_CK(OdynProblemCreate(PETSC_COMM_SELF, "peaks", &self, &selfv));
  ODYN_CK(OdynDatasetGetSizes(tr, NULL, NULL, &n, NULL));
  ODYN_CK(OdynDatasetGetOwnershipRange(tr, &rstart, NULL));
  ODYN_CK(OdynDatasetGetLabels(tr, &l));
  /* one-hot targets: one 1 per column, in the row of the label; Bernoulli targets need two classes */
  ODYN_CK(OdynDatasetCreateTargets(tr, PETSC_FALSE, &C));
  ODYN_CK(VecGetArrayRead(C, &c));
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt k = 0; k < 5; k++) ck_assert(c[5 * i + k] == (k == l[i] ? 1.0 : 0.0));
  ODYN_CK(VecRestoreArrayRead(C, &c));
  ODYN_CK(VecDestroy(&C));
  odyn_ck_error_contains(OdynDatasetCreateTargets(tr, PETSC_TRUE, &C), "need 2 classes");
  /* subset by a global index list: sub example j is example idx[j] of the whole set (repeats allowed) */
  for (PetscInt j = 0; j < m; j++) idx[j] = (j * 1237 + 11) % 4000;
  idx[5] = idx[4];
  ODYN_CK(OdynDatasetCreateSubset(tr, m, idx, &sub));
  ODYN_CK(OdynDatasetGetSizes(sub, NULL, NULL, &n, NULL));
  ODYN_CK(OdynDatasetGetOwnershipRange(sub, &rstart, NULL));
  ODYN_CK(OdynDatasetGetLabels(sub, &lsub));
  ODYN_CK(OdynDatasetGetLabels(self, &lself));
  ODYN_CK(OdynDatasetGetFeatures(sub, &X));
  ODYN_CK(VecGetArrayRead(X, &xsub));
  ODYN_CK(OdynDatasetGetFeatures(self, &X));
  ODYN_CK(VecGetArrayRead(X, &xs));
  for (PetscInt j = 0; j < n; j++) {
    const PetscInt g = idx[rstart + j];
    ck_assert(xsub[2 * j] == xs[2 * g] && xsub[2 * j + 1] == xs[2 * g + 1] && lsub[j] == lself[g]);
  }
  ODYN_CK(VecRestoreArrayRead(X, &xs));
  ODYN_CK(OdynDatasetGetFeatures(sub, &X));
  ODYN_CK(VecRestoreArrayRead(X, &xsub));
  ODYN_CK(OdynDatasetDestroy(&sub));
  idx[0] = 4000;
  odyn_ck_error_contains(OdynDatasetCreateSubset(tr, m, idx, &sub), "expected 0 .. 3999");
  /* duplication: [y; y; y; y], on a fresh copy of the validation set */
  ODYN_CK(OdynProblemCreate(PETSC_COMM_SELF, "peaks", &sub, &va2));
  ODYN_CK(OdynDatasetDestroy(&sub));
  ODYN_CK(OdynDatasetDuplicateFeatures(va2, 4));
  ODYN_CK(OdynDatasetGetSizes(va2, &nf, NULL, &n, NULL));
  ck_assert_int_eq(nf, 8);
  ck_assert_int_eq(n, 1000);
  ODYN_CK(OdynDatasetGetFeatures(va2, &X));
  ODYN_CK(VecGetArrayRead(X, &x));
  ODYN_CK(OdynDatasetGetFeatures(selfv, &X2));
  ODYN_CK(VecGetArrayRead(X2, &xs));
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt k = 0; k < 8; k++) ck_assert(x[8 * i + k] == xs[2 * i + k % 2]);
  ODYN_CK(VecRestoreArrayRead(X2, &xs));
  ODYN_CK(OdynDatasetGetFeatures(va2, &X));
  ODYN_CK(VecRestoreArrayRead(X, &x));
  odyn_ck_error_contains(OdynDatasetDuplicateFeatures(va2, 0), "factor must be >= 1");
  ODYN_CK(OdynDatasetDestroy(&va2));
  ODYN_CK(OdynDatasetDestroy(&self));
  ODYN_CK(OdynDatasetDestroy(&selfv));
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
}
END_TEST

/* file names carry the number of ranks: the 1- and 2-rank tests may run at the same time in one folder */
static void FileName(char *buf, size_t len, const char *what)
{
  PetscMPIInt size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  snprintf(buf, len, "test_data_np%d_%s.csv", (int)size, what);
}

static void WriteText(const char *name, const char *text)
{
  PetscMPIInt rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (!rank) {
    FILE *fp = fopen(name, "w");
    ck_assert(fp != NULL);
    fputs(text, fp);
    fclose(fp);
  }
  MPI_Barrier(PETSC_COMM_WORLD);
}

static void Remove(const char *name)
{
  PetscMPIInt rank;
  MPI_Barrier(PETSC_COMM_WORLD);
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (!rank) remove(name);
}

/* a and b have the same sizes, distribution, feature bits and labels */
static void CheckIdentical(OdynDataset a, OdynDataset b)
{
  PetscInt           nf[2], nc[2], n[2], N[2];
  const PetscInt    *la, *lb;
  const PetscScalar *xa, *xb;
  Vec                Xa, Xb;

  ODYN_CK(OdynDatasetGetSizes(a, &nf[0], &nc[0], &n[0], &N[0]));
  ODYN_CK(OdynDatasetGetSizes(b, &nf[1], &nc[1], &n[1], &N[1]));
  ck_assert(nf[0] == nf[1] && nc[0] == nc[1] && n[0] == n[1] && N[0] == N[1]);
  ODYN_CK(OdynDatasetGetLabels(a, &la));
  ODYN_CK(OdynDatasetGetLabels(b, &lb));
  ODYN_CK(OdynDatasetGetFeatures(a, &Xa));
  ODYN_CK(OdynDatasetGetFeatures(b, &Xb));
  ODYN_CK(VecGetArrayRead(Xa, &xa));
  ODYN_CK(VecGetArrayRead(Xb, &xb));
  ck_assert_msg(!memcmp(xa, xb, sizeof(PetscScalar) * nf[0] * n[0]), "features differ after the CSV round trip");
  ck_assert(!memcmp(la, lb, sizeof(PetscInt) * n[0]));
  ODYN_CK(VecRestoreArrayRead(Xa, &xa));
  ODYN_CK(VecRestoreArrayRead(Xb, &xb));
  ck_assert(Checksum(a) == Checksum(b));
}

START_TEST(test_csv_roundtrip)
{
  const PetscScalar X[14] = {1.0 / 3, -0.0, 1e-300, 1.7976931348623157e308, 4.9406564584124654e-324, PETSC_PI, -2.5e-17, 0.1, 2.0 / 3, -1e5, 123456789.123456789, -7.0, 0.5, 1e-17};
  const PetscInt    L[7]  = {0, 3, 1, 2, 3, 0, 1};
  OdynDataset       tr, va, back, odd;
  PetscViewer       viewer;
  char              name[256], vname[256];

  FileName(name, sizeof(name), "roundtrip");
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "peaks", &tr, &va));
  ODYN_CK(OdynDatasetWriteCSV(tr, name));
  ODYN_CK(OdynDatasetReadCSV(PETSC_COMM_WORLD, name, &back));
  CheckIdentical(tr, back);
  ODYN_CK(OdynDatasetDestroy(&back));
  /* awkward values: thirds, -0, the extremes of double, a subnormal */
  ODYN_CK(OdynDatasetCreateFromGlobalArrays(PETSC_COMM_WORLD, 2, 4, 7, X, L, &odd));
  ODYN_CK(OdynDatasetWriteCSV(odd, name));
  ODYN_CK(OdynDatasetReadCSV(PETSC_COMM_WORLD, name, &back));
  CheckIdentical(odd, back);
  ODYN_CK(OdynDatasetDestroy(&back));
  ODYN_CK(OdynDatasetDestroy(&odd));
  /* no header, comments, blank lines, CRLF, spaces, labels written as reals: nc = largest label + 1 */
  WriteText(name, "# written by hand\r\n0.5, 1.5 ,2.0\r\n\r\n  \n-1,-2,0\n# comment between examples\n3e-1,4,2\n");
  ODYN_CK(OdynDatasetReadCSV(PETSC_COMM_WORLD, name, &back));
  {
    PetscInt nf, nc, N, counts[3];
    ODYN_CK(OdynDatasetGetSizes(back, &nf, &nc, NULL, &N));
    ck_assert(nf == 2 && nc == 3 && N == 3);
    ODYN_CK(OdynDatasetGetClassCounts(back, counts));
    ck_assert(counts[0] == 1 && counts[1] == 0 && counts[2] == 2);
  }
  ODYN_CK(OdynDatasetDestroy(&back));
  odyn_ck_error_contains(OdynDatasetWriteCSV(tr, "/nonexistent-odyn-dir/x.csv"), "cannot open /nonexistent-odyn-dir/x.csv for writing");
  Remove(name);
  /* the viewer reports sizes and class counts */
  FileName(vname, sizeof(vname), "view");
  ODYN_CK(PetscViewerASCIIOpen(PETSC_COMM_WORLD, vname, &viewer));
  ODYN_CK(OdynDatasetView(va, viewer));
  ODYN_CK(PetscViewerDestroy(&viewer));
  {
    PetscMPIInt rank;
    MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
    if (!rank) {
      char  text[4096] = "";
      FILE *fp         = fopen(vname, "r");
      ck_assert(fp != NULL);
      text[fread(text, 1, sizeof(text) - 1, fp)] = 0;
      fclose(fp);
      ck_assert_msg(strstr(text, "peaks-validation") && strstr(text, "1000 examples, 2 features, 5 classes"), "view printed \"%s\"", text);
    }
  }
  Remove(vname);
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
}
END_TEST

START_TEST(test_csv_errors)
{
  static const struct {
    const char *what, *text, *needle;
  } cases[] = {
    {"columns",  "# odyn dataset nf=2 nc=2\n0.1,0.2,0\n0.3,1\n", ":3: expected 3 columns, found 2"},
    {"nocolumns", "1\n2\n", ":1: expected at least 2 columns"},
    {"number",   "0.1,0.2,1\n0.5,abc,0\n", ":2: column 2 (\"abc\") is not a number"},
    {"trailing", "0.1,0.2x,1\n", ":1: column 2 (\"0.2x\") is not a number"},
    {"emptycol", "0.1,,1\n", ":1: column 2 is empty"},
    {"nan",      "0.1,nan,1\n", ":1: column 2 (\"nan\") is not finite"},
    {"inf",      "\n\n-inf,0.2,1\n", ":3: column 1 (\"-inf\") is not finite"},
    {"nanlabel", "0.1,0.2,NaN\n", ":1: column 3 (\"NaN\") is not finite"},
    {"nonint",   "0.1,0.2,0\n0.1,0.2,1.5\n", ":2: label \"1.5\" (column 3) is not an integer"},
    {"range",    "# odyn dataset nf=2 nc=2\n0.1,0.2,2\n", ":2: label 2 is out of range: the header says nc=2"},
    {"negative", "0.1,0.2,-1\n", ":1: label -1 is negative"},
    {"header",   "# odyn dataset nf=two nc=2\n0.1,0.2,1\n", ":1: the header must read"},
    {"empty",    "", ":1: the file is empty"},
    {"comments", "# only a comment\n\n", ":2: no examples"},
  };
  OdynDataset ds = NULL;
  char        name[256], needle[512];

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    FileName(name, sizeof(name), cases[i].what);
    WriteText(name, cases[i].text);
    snprintf(needle, sizeof(needle), "%s%s", name, cases[i].needle);
    odyn_ck_error_contains(OdynDatasetReadCSV(PETSC_COMM_WORLD, name, &ds), needle);
    ck_assert(ds == NULL);
    Remove(name);
  }
  FileName(name, sizeof(name), "missing");
  snprintf(needle, sizeof(needle), "cannot open %s for reading", name);
  odyn_ck_error_contains(OdynDatasetReadCSV(PETSC_COMM_WORLD, name, &ds), needle);
}
END_TEST

/* a user-registered problem, selection by -odyn_problem, unknown names */
static PetscErrorCode Tiny(MPI_Comm comm, PetscRandom rnd, OdynDataset *train, OdynDataset *val)
{
  const PetscScalar X[4] = {0, 1, 2, 3};
  const PetscInt    L[2] = {0, 1};

  PetscFunctionBegin;
  PetscCall(OdynDatasetCreateFromGlobalArrays(comm, 2, 2, 2, X, L, train));
  PetscCall(OdynDatasetCreateFromGlobalArrays(comm, 2, 2, 1, X, L, val));
  PetscFunctionReturn(0);
}

START_TEST(test_registry)
{
  OdynDataset tr = NULL, va = NULL;
  PetscInt    N, nf;

  ODYN_CK(OdynProblemRegister("tiny", Tiny));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_problem", "tiny"));
  ODYN_CK(PetscOptionsSetValue(NULL, "-odyn_problem_duplicate", "3"));
  ODYN_CK(OdynProblemCreate(PETSC_COMM_WORLD, "peaks", &tr, &va));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_problem"));
  ODYN_CK(PetscOptionsClearValue(NULL, "-odyn_problem_duplicate"));
  ODYN_CK(OdynDatasetGetSizes(tr, &nf, NULL, NULL, &N));
  ck_assert(N == 2 && nf == 6);
  {
    const char *oname;
    ODYN_CK(PetscObjectGetName((PetscObject)va, &oname));
    ck_assert_str_eq(oname, "tiny-validation");
  }
  ODYN_CK(OdynDatasetDestroy(&tr));
  ODYN_CK(OdynDatasetDestroy(&va));
  odyn_ck_error_contains(OdynProblemCreate(PETSC_COMM_WORLD, "nosuch", &tr, &va), "Unknown problem \"nosuch\"");
  odyn_ck_error_contains(OdynProblemCreate(PETSC_COMM_WORLD, NULL, &tr, &va), "-odyn_problem");
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("data");
  TCase *t = tcase_create("problems");
  tcase_add_test(t, test_sizes_and_ranks);
  tcase_add_test(t, test_ellipse_geometry);
  tcase_add_test(t, test_swissroll_alternate);
  tcase_add_test(t, test_peaks_classes);
  tcase_add_test(t, test_duplicate_targets_subset);
  tcase_add_test(t, test_csv_roundtrip);
  tcase_add_test(t, test_csv_errors);
  tcase_add_test(t, test_registry);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
