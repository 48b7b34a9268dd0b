/*
  OdynPlotWriteImageGrid (src/plot/plotimage.c): grids of non-square tiles (2 x 3 values, so that a transposed tile or
  grid shows) with values spread unevenly over the ranks are written, read back with libpng and checked pixel by pixel:
  image size, separators, the upscaled blocks, grey and diverging colours, per-tile and common ranges. Errors: bad
  sizes, totals that do not fill the grid, arguments that differ between ranks, a NaN (named by tile and pixel, nothing
  written), an unwritable file (named). Runs on 1 and 2 ranks. (Apart from test_plot.c, which tests the OdynPlot
  canvas, to keep both under the 300 lines of CONVENTIONS.md.)
*/
#include <math.h>
#include <string.h>
#include <unistd.h>
#include "pngread.h"

#define TH 2 /* a tile: 2 rows of 3 values */
#define TW 3
#define NT 6 /* tiles */
#define NV (NT * TH * TW)

/* this rank's share [*lo, *hi) of the NV values: 13 per rank, the rest on the last (tiles split across ranks) */
static void Share(PetscInt *lo, PetscInt *hi)
{
  PetscMPIInt rank, size;

  ODYN_CK(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  ODYN_CK(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  *lo = PetscMin(13 * rank, NV);
  *hi = rank == size - 1 ? NV : PetscMin(13 * (rank + 1), NV);
}

static void CkPixel(const unsigned char *img, int W, int x, int y, int r, int g, int b, const char *what)
{
  const unsigned char *p = img + 3 * (y * W + x);

  ck_assert_msg(p[0] == r && p[1] == g && p[2] == b, "%s: pixel (%d, %d) is (%d, %d, %d), expected (%d, %d, %d)", what, x, y, p[0], p[1], p[2], r, g, b);
}

/* Every pixel of the up x up block of value (i, j) of tile (tr, tc) is (r, g, b): the tile starts after one separator
   pixel per tile before it, plus the border. */
static void CkValue(const unsigned char *img, int W, int cols, int up, int tr, int tc, int i, int j, int r, int g, int b, const char *what)
{
  const int x0 = 1 + tc * (TW * up + 1) + j * up, y0 = 1 + tr * (TH * up + 1) + i * up;

  (void)cols;
  for (int y = y0; y < y0 + up; y++)
    for (int x = x0; x < x0 + up; x++) CkPixel(img, W, x, y, r, g, b, what);
}

static const PetscReal S[TH * TW] = {-1, -0.5, 0, 0.25, 0.5, 1}; /* the diverging tiles: (t + 1) S */

START_TEST(test_gray_common)
{
  /* 2 x 3 tiles, value k = 0 .. 35 at position k: common range [0, 35], grey level round(255 k / 35) */
  const int      up = 2, W = 3 * (TW * up + 1) + 1, H = 2 * (TH * up + 1) + 1; /* 22 x 11 */
  PetscReal      v[NV];
  PetscInt       lo, hi;
  PetscMPIInt    rank;
  unsigned char *img;

  ODYN_CK(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  Share(&lo, &hi);
  for (PetscInt k = lo; k < hi; k++) v[k - lo] = (PetscReal)k;
  ODYN_CK(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 2, 3, TH, TW, hi - lo, v, ODYN_PLOT_COLORMAP_GRAY, ODYN_PLOT_RANGE_COMMON, up, "test_plotimage_gray.png"));
  if (rank) return;
  OdynTestReadPNG("test_plotimage_gray.png", W, H, &img);
  /* every value's block; k = (r cols + c) h w + i w + j */
  for (int t = 0; t < NT; t++)
    for (int i = 0; i < TH; i++)
      for (int j = 0; j < TW; j++) {
        const int k = t * TH * TW + i * TW + j, g = (int)(255.0 * k / 35.0 + 0.5);
        CkValue(img, W, 3, up, t / 3, t % 3, i, j, g, g, g, "grey value");
      }
  /* the same as literal pixels: value 0 at (1, 1), value 9 (tile (0, 1), row 1, column 0) at (8..9, 3..4), value 35
     (tile (1, 2), row 1, column 2) at (19..20, 8..9) */
  CkPixel(img, W, 1, 1, 0, 0, 0, "value 0");
  CkPixel(img, W, 9, 4, 66, 66, 66, "value 9");
  CkPixel(img, W, 20, 9, 255, 255, 255, "value 35");
  /* separators (blue for the grey map): columns 0, 7, 14, 21 and rows 0, 5, 10 */
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x += 7) CkPixel(img, W, x, y, 31, 119, 180, "vertical separator");
  for (int y = 0; y < H; y += 5)
    for (int x = 0; x < W; x++) CkPixel(img, W, x, y, 31, 119, 180, "horizontal separator");
  ODYN_CK(PetscFree(img));
}
END_TEST

START_TEST(test_diverging)
{
  /* tile t holds (t + 1) S: each tile scaled to its own range gives the same colours in every tile */
  static const int Cexp[TH * TW][3] = {
    {0,   0,   255},
    {128, 128, 255},
    {255, 255, 255},
    {255, 191, 191},
    {255, 128, 128},
    {255, 0,   0  }
  };
  const int      up = 2, W = 3 * (TW * up + 1) + 1, H = 2 * (TH * up + 1) + 1;
  const int      W1 = 6 * (TW + 1) + 1, H1 = TH + 2; /* 1 x 6 tiles at upscale 1: 25 x 4 */
  PetscReal      v[NV];
  PetscInt       lo, hi;
  PetscMPIInt    rank;
  unsigned char *img;

  ODYN_CK(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  Share(&lo, &hi);
  for (PetscInt k = lo; k < hi; k++) v[k - lo] = (PetscReal)(k / (TH * TW) + 1) * S[k % (TH * TW)];
  ODYN_CK(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 2, 3, TH, TW, hi - lo, v, ODYN_PLOT_COLORMAP_DIVERGING, ODYN_PLOT_RANGE_TILE, up, "test_plotimage_div.png"));
  /* the same values as one row of 6 tiles, with one range [-6, 6] for all */
  ODYN_CK(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 1, 6, TH, TW, hi - lo, v, ODYN_PLOT_COLORMAP_DIVERGING, ODYN_PLOT_RANGE_COMMON, 1, "test_plotimage_div1.png"));
  if (rank) return;
  OdynTestReadPNG("test_plotimage_div.png", W, H, &img);
  for (int t = 0; t < NT; t++)
    for (int p = 0; p < TH * TW; p++) CkValue(img, W, 3, up, t / 3, t % 3, p / TW, p % TW, Cexp[p][0], Cexp[p][1], Cexp[p][2], "diverging, per tile");
  CkPixel(img, W, 0, 3, 0, 0, 0, "separator (black for the diverging map)");
  CkPixel(img, W, 10, 5, 0, 0, 0, "separator");
  ODYN_CK(PetscFree(img));

  OdynTestReadPNG("test_plotimage_div1.png", W1, H1, &img);
  /* tile 5 (values 6 S) spans the range: pure colours; tile 2 (3 S) half of it; tile 0 (S) a sixth */
  for (int p = 0; p < TH * TW; p++) CkValue(img, W1, 6, 1, 0, 5, p / TW, p % TW, Cexp[p][0], Cexp[p][1], Cexp[p][2], "common range, tile 5");
  CkValue(img, W1, 6, 1, 0, 2, 1, 2, 255, 128, 128, "common range, tile 2, value 3");
  CkValue(img, W1, 6, 1, 0, 2, 0, 1, 191, 191, 255, "common range, tile 2, value -1.5");
  CkValue(img, W1, 6, 1, 0, 0, 0, 2, 255, 255, 255, "common range, zero");
  {
    const unsigned char *q = img + 3 * (2 * W1 + 3); /* tile 0, row 1, column 2: value 1 = m / 6 */
    ck_assert_msg(q[0] == 255 && q[1] > 205 && q[1] < 220 && q[1] == q[2], "value m/6 is (%d, %d, %d), expected light red", q[0], q[1], q[2]);
  }
  for (int x = 0; x < W1; x += TW + 1) CkPixel(img, W1, x, 1, 0, 0, 0, "separator between tiles of one row");
  ODYN_CK(PetscFree(img));
}
END_TEST

START_TEST(test_errors)
{
  PetscReal   v[NV];
  PetscInt    lo, hi;
  PetscMPIInt rank, size;
  char        needs[128];

  ODYN_CK(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  ODYN_CK(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  Share(&lo, &hi);
  for (PetscInt k = 0; k < NV; k++) v[k] = 1;
  odyn_ck_error_contains(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 0, 3, TH, TW, hi - lo, v, ODYN_PLOT_COLORMAP_GRAY, ODYN_PLOT_RANGE_TILE, 1, "x.png"), "need at least 1 x 1 tiles, got rows = 0");
  odyn_ck_error_contains(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 2, 3, TH, TW, hi - lo, v, ODYN_PLOT_COLORMAP_GRAY, ODYN_PLOT_RANGE_TILE, 0, "x.png"), "upscale must be in 1 .. 64");
  odyn_ck_error_contains(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 1, 1, 1000, 1000, hi - lo, v, ODYN_PLOT_COLORMAP_GRAY, ODYN_PLOT_RANGE_TILE, 64, "x.png"), "at most 16384 each way");
  /* 5 values per rank do not fill 2 x 3 tiles of 2 x 3 */
  ODYN_CK(PetscSNPrintf(needs, sizeof(needs), "the ranks give %d values in all, the 2 x 3 grid of 2 x 3 tiles needs 36", 5 * size));
  odyn_ck_error_contains(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 2, 3, TH, TW, 5, v, ODYN_PLOT_COLORMAP_GRAY, ODYN_PLOT_RANGE_TILE, 1, "x.png"), needs);
  odyn_ck_error_contains(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 2, 3, TH, TW, rank == size - 1 ? -1 : 0, v, ODYN_PLOT_COLORMAP_GRAY, ODYN_PLOT_RANGE_TILE, 1, "x.png"), "negative");
  if (size > 1) odyn_ck_error_contains(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 2, 3, TH, TW, hi - lo, v, rank ? ODYN_PLOT_COLORMAP_GRAY : ODYN_PLOT_COLORMAP_DIVERGING, ODYN_PLOT_RANGE_TILE, 1, "x.png"), "must be the same on every rank");
  /* an unwritable file: the message names it */
  odyn_ck_error_contains(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 2, 3, TH, TW, hi - lo, v, ODYN_PLOT_COLORMAP_GRAY, ODYN_PLOT_RANGE_TILE, 1, "/nonexistent/dir/g.png"), "cannot open /nonexistent/dir/g.png for writing");
  /* a NaN at value 20 (on the last rank): tile 3 = row 1, column 0; pixel 20 - 18 = 2 = row 0, column 2 */
  if (rank == 0) (void)remove("test_plotimage_nan.png");
  if (20 >= lo && 20 < hi) v[20 - lo] = (PetscReal)NAN;
  odyn_ck_error_contains(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 2, 3, TH, TW, hi - lo, v, ODYN_PLOT_COLORMAP_DIVERGING, ODYN_PLOT_RANGE_COMMON, 1, "test_plotimage_nan.png"), "value 20 (counted over the ranks in order: tile row 1, column 0, pixel row 0, column 2) is");
  odyn_ck_error_contains(OdynPlotWriteImageGrid(PETSC_COMM_WORLD, 2, 3, TH, TW, hi - lo, v, ODYN_PLOT_COLORMAP_DIVERGING, ODYN_PLOT_RANGE_COMMON, 1, "test_plotimage_nan.png"), "not finite; nothing written to test_plotimage_nan.png");
  if (rank == 0) ck_assert_msg(access("test_plotimage_nan.png", F_OK) != 0, "a grid with a NaN was written");
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("plotimage");
  TCase *t = tcase_create("png");
  tcase_add_test(t, test_gray_common);
  tcase_add_test(t, test_diverging);
  tcase_add_test(t, test_errors);
  tcase_set_timeout(t, 120);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
