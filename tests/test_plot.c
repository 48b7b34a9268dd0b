/*
  OdynPlot (src/plot/plot.c): a figure with background, axes and points drawn from every rank is written, read back
  with libpng and checked pixel by pixel (size, dot colours, dark rims, light background, frame and zero lines,
  points given through a Vec); errors name the file, leave no temporary file behind, and fail on every rank together.
  Runs on 1 and on 2 ranks.
*/
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pngread.h"

/* 200 x 100 pixels over [-2, 2] x [-1, 1]: a pixel is 0.02 wide and high */
#define W 200
#define H 100
static const PetscReal XMIN = -2, XMAX = 2, YMIN = -1, YMAX = 1;

/* the centre of pixel (col, row), row 0 at the top */
static void PixelCentre(int col, int row, PetscReal *x, PetscReal *y)
{
  *x = XMIN + (col + 0.5) * (XMAX - XMIN) / W;
  *y = YMAX - (row + 0.5) * (YMAX - YMIN) / H;
}

/* this rank's share [*lo, *hi) of n items split over the ranks as PETSc splits ownership */
static void Share(PetscInt n, PetscInt *lo, PetscInt *hi)
{
  PetscInt nloc = PETSC_DECIDE;

  ODYN_CK(PetscSplitOwnership(PETSC_COMM_WORLD, &nloc, &n));
  ODYN_CK(MPI_Scan(&nloc, hi, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  *lo = *hi - nloc;
}

static void CkPixel(const unsigned char *img, int col, int row, PetscInt k, int light, const char *what)
{
  const unsigned char *p = img + 3 * (row * W + col);
  unsigned char        c[3];

  if (k < 0) c[0] = c[1] = c[2] = (unsigned char)(-k); /* a grey level */
  else ODYN_CK(OdynPlotGetClassColor(k, light ? PETSC_TRUE : PETSC_FALSE, c));
  ck_assert_msg(p[0] == c[0] && p[1] == c[1] && p[2] == c[2], "%s: pixel (%d, %d) is (%d, %d, %d), expected (%d, %d, %d)", what, col, row, p[0], p[1], p[2], c[0], c[1], c[2]);
}
#define BLACK (-256) /* CkPixel's grey 0 (-0 would be class 0) */

/* points given as (pixel, class), spread over the ranks */
static const int   Pcol[] = {25, 130, 170, 60, 45}, Prow[] = {75, 25, 70, 30, 20};
static const PetscInt Pcls[] = {2, 9, 12, 3, 5}; /* 12: palette entry 2 */
#define NP 5
/* examples for OdynPlotPointsVec(): 3 features, shown as (x, y) = (feature 2, feature 0), one pixel each */
static const int   Qcol[] = {10, 190, 110, 80}, Qrow[] = {10, 90, 80, 60};
static const PetscInt Qcls[] = {4, 6, 1, 8};
#define NQ 4

START_TEST(test_figure)
{
  OdynPlot     plot;
  PetscInt     grid[8], lo, hi, ncell = 8;
  PetscReal    xy[2 * NP];
  PetscMPIInt  rank, size;
  Vec          X;
  PetscScalar *x;
  char         fname[64], tmp[96];

  ODYN_CK(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  ODYN_CK(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  ODYN_CK(PetscSNPrintf(fname, sizeof(fname), "test_plot_np%d.png", size));
  ODYN_CK(OdynPlotCreate(PETSC_COMM_WORLD, W, H, XMIN, XMAX, YMIN, YMAX, &plot));
  /* a 4 x 2 grid of unit cells, row-major from ymin; cell (i, j) has class j * 4 + i */
  for (PetscInt c = 0; c < ncell; c++) grid[c] = c;
  Share(ncell, &lo, &hi);
  ODYN_CK(OdynPlotBackground(plot, 4, 2, hi - lo, grid + lo));
  ODYN_CK(OdynPlotAxes(plot));
  Share(NP, &lo, &hi);
  for (PetscInt k = lo; k < hi; k++) PixelCentre(Pcol[k], Prow[k], &xy[2 * (k - lo)], &xy[2 * (k - lo) + 1]);
  ODYN_CK(OdynPlotPoints(plot, hi - lo, xy, Pcls + lo, 3, PETSC_TRUE));
  /* the same examples as a Vec, nf = 3 x s_local, one example per column */
  Share(NQ, &lo, &hi);
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, 3 * (hi - lo), PETSC_DETERMINE, &X));
  ODYN_CK(VecGetArray(X, &x));
  for (PetscInt e = lo; e < hi; e++) {
    PetscReal px, py;
    PixelCentre(Qcol[e], Qrow[e], &px, &py);
    x[3 * (e - lo) + 0] = py;
    x[3 * (e - lo) + 1] = 1e300; /* not shown */
    x[3 * (e - lo) + 2] = px;
  }
  ODYN_CK(VecRestoreArray(X, &x));
  ODYN_CK(OdynPlotPointsVec(plot, X, 3, 2, 0, Qcls + lo, 0, PETSC_FALSE));
  /* a non-finite point is skipped, not an error */
  xy[0] = PETSC_INFINITY;
  xy[1] = 0.3;
  ODYN_CK(OdynPlotPoints(plot, rank == size - 1 ? 1 : 0, xy, Pcls, 2, PETSC_FALSE));
  ODYN_CK(OdynPlotWrite(plot, fname));
  ODYN_CK(VecDestroy(&X));
  ODYN_CK(OdynPlotDestroy(&plot));
  ck_assert_ptr_null(plot);

  if (rank == 0) {
    unsigned char *img;

    OdynTestReadPNG(fname, W, H, &img);
    for (int k = 0; k < NP; k++) {
      CkPixel(img, Pcol[k], Prow[k], Pcls[k], 0, "dot centre");
      CkPixel(img, Pcol[k] - 2, Prow[k], Pcls[k], 0, "inside the dot");
      CkPixel(img, Pcol[k] + 3, Prow[k], BLACK, 0, "dot rim");
      CkPixel(img, Pcol[k], Prow[k] - 3, BLACK, 0, "dot rim");
      CkPixel(img, Pcol[k] + 2, Prow[k] + 2, BLACK, 0, "dot rim (diagonal)");
    }
    /* outside the dot: the background of the cell, e.g. (25, 75) is in cell (0, 0), (130, 25) in cell (2, 1) */
    CkPixel(img, Pcol[0] + 4, Prow[0], 0, 1, "background next to a dot");
    CkPixel(img, Pcol[1], Prow[1] + 4, 6, 1, "background next to a dot");
    for (int k = 0; k < NQ; k++) {
      CkPixel(img, Qcol[k], Qrow[k], Qcls[k], 0, "radius-0 dot from OdynPlotPointsVec");
      CkPixel(img, Qcol[k] + 1, Qrow[k], (Qrow[k] < 50 ? 4 : 0) + Qcol[k] / 50, 1, "beside a radius-0 dot");
    }
    /* background far from the points: cell (3, 1) has class 7, cell (0, 0) class 0, cell (2, 0) class 2 */
    CkPixel(img, 185, 5, 7, 1, "background");
    CkPixel(img, 5, 95, 0, 1, "background");
    CkPixel(img, 140, 90, 2, 1, "background");
    /* OdynPlotAxes(): frame (64) at the border, zero lines (150) at x = 0 (column 100) and y = 0 (row 50) */
    CkPixel(img, 0, 40, -64, 0, "frame");
    CkPixel(img, 120, H - 1, -64, 0, "frame");
    CkPixel(img, 100, 10, -150, 0, "zero line x = 0");
    CkPixel(img, 30, 50, -150, 0, "zero line y = 0");
    ODYN_CK(PetscFree(img));
    /* no temporary file left next to the image */
    ODYN_CK(PetscSNPrintf(tmp, sizeof(tmp), "%s.%d.tmp", fname, (int)getpid()));
    ck_assert_msg(access(tmp, F_OK) != 0, "temporary file %s left behind", tmp);
  }
}
END_TEST

START_TEST(test_palette)
{
  unsigned char c[ODYN_PLOT_NUM_COLORS][3], l[3], d[3];

  /* ten distinct dot colours, each distinct from its light shade; class k + 10 repeats class k */
  for (PetscInt k = 0; k < ODYN_PLOT_NUM_COLORS; k++) {
    ODYN_CK(OdynPlotGetClassColor(k, PETSC_FALSE, c[k]));
    ODYN_CK(OdynPlotGetClassColor(k, PETSC_TRUE, l));
    ck_assert(memcmp(c[k], l, 3) != 0);
    ODYN_CK(OdynPlotGetClassColor(k + ODYN_PLOT_NUM_COLORS, PETSC_FALSE, d));
    ck_assert(memcmp(c[k], d, 3) == 0);
    for (PetscInt m = 0; m < k; m++) ck_assert_msg(memcmp(c[k], c[m], 3) != 0, "classes %d and %d share a colour", (int)k, (int)m);
  }
  odyn_ck_error_contains(OdynPlotGetClassColor(-1, PETSC_FALSE, d), "must be >= 0");
}
END_TEST

START_TEST(test_errors)
{
  OdynPlot    plot;
  PetscMPIInt rank, size;
  PetscInt    cls[2] = {0, 1};
  PetscReal   xy[4]  = {0, 0, 1, 1};
  char        dir[64], tmp[96];
  Vec         X;

  ODYN_CK(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  ODYN_CK(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  odyn_ck_error_contains(OdynPlotCreate(PETSC_COMM_WORLD, 0, 10, 0, 1, 0, 1, &plot), "width and height");
  odyn_ck_error_contains(OdynPlotCreate(PETSC_COMM_WORLD, 10, 10, 1, 1, 0, 1, &plot), "xmin < xmax");
  ODYN_CK(OdynPlotCreate(PETSC_COMM_WORLD, W, H, XMIN, XMAX, YMIN, YMAX, &plot));

  /* a directory that does not exist: the message names the file */
  odyn_ck_error_contains(OdynPlotWrite(plot, "/nonexistent/dir/x.png"), "cannot open /nonexistent/dir/x.png for writing");
  /* the name of an existing directory: the image is written beside it, cannot replace it, and is removed again */
  ODYN_CK(PetscSNPrintf(dir, sizeof(dir), "test_plot_dir_np%d", size));
  if (rank == 0) (void)mkdir(dir, 0755);
  ODYN_CK(MPI_Barrier(PETSC_COMM_WORLD));
  odyn_ck_error_contains(OdynPlotWrite(plot, dir), dir);
  if (rank == 0) {
    ODYN_CK(PetscSNPrintf(tmp, sizeof(tmp), "%s.%d.tmp", dir, (int)getpid()));
    ck_assert_msg(access(tmp, F_OK) != 0, "failed write left %s behind", tmp);
  }

  /* bad data on the last rank only must fail every rank (no rank left waiting in the gather) */
  cls[1] = rank == size - 1 ? -3 : 1;
  odyn_ck_error_contains(OdynPlotPoints(plot, 2, xy, cls, 1, PETSC_FALSE), "classes must be >= 0");
  odyn_ck_error_contains(OdynPlotPoints(plot, 1, xy, cls, -1, PETSC_FALSE), "radius");
  odyn_ck_error_contains(OdynPlotBackground(plot, 3, 3, rank == 0 ? 2 : 0, cls), "the ranks give 2 cells in all, the 3 x 3 grid has 9");
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, rank == size - 1 ? 5 : 4, PETSC_DETERMINE, &X));
  odyn_ck_error_contains(OdynPlotPointsVec(plot, X, 2, 0, 2, cls, 1, PETSC_FALSE), "ix = 0, iy = 2");
  odyn_ck_error_contains(OdynPlotPointsVec(plot, X, 2, 0, 1, cls, 1, PETSC_FALSE), "not a multiple of nf = 2");
  ODYN_CK(VecDestroy(&X));
  ODYN_CK(OdynPlotDestroy(&plot));
  if (rank == 0) (void)rmdir(dir);
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("plot");
  TCase *t = tcase_create("png");
  tcase_add_test(t, test_figure);
  tcase_add_test(t, test_palette);
  tcase_add_test(t, test_errors);
  tcase_set_timeout(t, 120);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
