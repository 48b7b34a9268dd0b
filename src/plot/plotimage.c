/*
  OdynPlotWriteImageGrid: a grid of image tiles (channels of propagated features, classifier weights reshaped to the
  image grid) written as one RGB PNG, for figures like paper 001's Fig. 7 (Sec. 6.4: propagated digits and the
  classification weights of the MNIST network).

  As in plot.c, the values are distributed: every rank gives a contiguous slice in rank order, rank 0 gathers them
  (MPI_Gatherv), checks them, paints and writes; rank 0 broadcasts its verdict so that every rank raises the same
  error. Argument checks are collective reductions, so a bad argument on one rank fails every rank instead of leaving
  the others waiting in the gather.
*/
#include <odynplot.h>
#include <odyn/private/plotimpl.h>

/* PETSc's enum-name convention (PetscOptionsGetEnum): the names, the enum's name, the prefix of its values, NULL */
const char *const OdynPlotColormaps[] = {"GRAY", "DIVERGING", "OdynPlotColormap", "ODYN_PLOT_COLORMAP_", NULL};
const char *const OdynPlotRanges[]    = {"TILE", "COMMON", "OdynPlotRange", "ODYN_PLOT_RANGE_", NULL};

#define ODYN_PLOT_MAX_UPSCALE 64

/* Separators: a colour that the tile's colormap never produces, so that a tile's edge never merges with them. The
   diverging map has no black (its darkest colours are pure blue and pure red); the grey map has no colour at all. */
static const unsigned char SeparatorDiverging[3] = {0, 0, 0}, SeparatorGray[3] = {31, 119, 180};

/* t in [0, 1] (clamped) to 0 .. 255, rounded to nearest */
static inline unsigned char Byte(PetscReal t)
{
  t = PetscMax(0.0, PetscMin(1.0, t));
  return (unsigned char)(255.0 * t + 0.5);
}

/* The colour of value v in the range [lo, hi] (grey) or [-hi, hi] (diverging; lo unused). */
static inline void ValueColor(OdynPlotColormap cmap, PetscReal v, PetscReal lo, PetscReal hi, unsigned char c[3])
{
  if (cmap == ODYN_PLOT_COLORMAP_GRAY) {
    /* a constant tile has no range: mid grey rather than a division by zero */
    c[0] = c[1] = c[2] = Byte(hi > lo ? (v - lo) / (hi - lo) : 0.5);
  } else {
    PetscReal t = hi > 0 ? v / hi : 0.0; /* an all-zero tile is white */

    if (t >= 0) {
      c[0] = 255;
      c[1] = c[2] = Byte(1.0 - t);
    } else {
      c[0] = c[1] = Byte(1.0 + t);
      c[2]        = 255;
    }
  }
}

/* The range of a[0 .. len): [min, max] for grey, [-m, m] with m = max |a| (returned as hi) for diverging. */
static void ValueRange(OdynPlotColormap cmap, PetscInt len, const PetscReal a[], PetscReal *lo, PetscReal *hi)
{
  PetscReal mn = PETSC_MAX_REAL, mx = -PETSC_MAX_REAL;

  for (PetscInt k = 0; k < len; k++) {
    mn = PetscMin(mn, a[k]);
    mx = PetscMax(mx, a[k]);
  }
  if (cmap == ODYN_PLOT_COLORMAP_GRAY) {
    *lo = mn;
    *hi = mx;
  } else {
    *hi = PetscMax(PetscAbsReal(mn), PetscAbsReal(mx));
    *lo = -*hi;
  }
}

/* Rank 0: checks the gathered values and paints the grid into rgb (W x H pixels); on bad values msg says where. */
static PetscErrorCode PaintGrid(PetscInt rows, PetscInt cols, PetscInt h, PetscInt w, const PetscReal all[], OdynPlotColormap cmap, OdynPlotRange range, PetscInt up, PetscInt W, PetscInt H, const char filename[], unsigned char rgb[], char msg[], int *code)
{
  const PetscInt       tilelen = h * w, ntot = rows * cols * tilelen;
  const unsigned char *sep     = cmap == ODYN_PLOT_COLORMAP_GRAY ? SeparatorGray : SeparatorDiverging;
  PetscReal            lo = 0, hi = 0;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < ntot; k++) {
    if (PetscIsInfOrNanReal(all[k])) {
      const PetscInt t = k / tilelen, p = k % tilelen;

      *code = PETSC_ERR_FP;
      PetscCall(PetscSNPrintf(msg, ODYN_PLOT_MSG_LEN, "OdynPlotWriteImageGrid: value %" PetscInt_FMT " (counted over the ranks in order: tile row %" PetscInt_FMT ", column %" PetscInt_FMT ", pixel row %" PetscInt_FMT ", column %" PetscInt_FMT ") is %g, not finite; nothing written to %s", k, t / cols, t % cols, p / w, p % w, (double)all[k], filename ? filename : "(no file name)"));
      PetscFunctionReturn(0);
    }
  }
  for (PetscInt k = 0; k < W * H; k++) {
    rgb[3 * k]     = sep[0];
    rgb[3 * k + 1] = sep[1];
    rgb[3 * k + 2] = sep[2];
  }
  if (range == ODYN_PLOT_RANGE_COMMON) ValueRange(cmap, ntot, all, &lo, &hi);
  for (PetscInt r = 0; r < rows; r++) {
    for (PetscInt c = 0; c < cols; c++) {
      const PetscReal *tile = all + (r * cols + c) * tilelen;
      /* top left pixel of the tile: one separator pixel before every tile and at the border */
      const PetscInt x0 = 1 + c * (w * up + 1), y0 = 1 + r * (h * up + 1);

      if (range == ODYN_PLOT_RANGE_TILE) ValueRange(cmap, tilelen, tile, &lo, &hi);
      for (PetscInt i = 0; i < h; i++) {
        for (PetscInt j = 0; j < w; j++) {
          unsigned char col[3];

          ValueColor(cmap, tile[i * w + j], lo, hi, col);
          /* nearest-neighbour upscaling: value (i, j) fills an up x up block */
          for (PetscInt b = 0; b < up; b++) {
            unsigned char *q = rgb + 3 * ((y0 + i * up + b) * W + x0 + j * up);

            for (PetscInt a = 0; a < up; a++, q += 3) {
              q[0] = col[0];
              q[1] = col[1];
              q[2] = col[2];
            }
          }
        }
      }
    }
  }
  PetscFunctionReturn(0);
}

/*@
   OdynPlotWriteImageGrid - writes a grid of image tiles (rows x cols tiles of h x w values each) as an RGB PNG file,
   each value an upscale x upscale block of pixels, with 1-pixel separators between the tiles and around the grid

   Collective

   Input Parameters:
+  comm - the communicator of the values; rank 0 gathers them and writes the file
.  rows, cols - the grid of tiles, >= 1
.  h, w - the size of a tile in values (image rows and columns), >= 1
.  n - the number of values this rank gives (>= 0; the sum over the ranks must be rows x cols x h x w)
.  v - this rank's n values, a contiguous slice, in rank order, of the whole grid's values (layout in Notes)
.  cmap - `ODYN_PLOT_COLORMAP_GRAY` (black to white over [min, max]) or `ODYN_PLOT_COLORMAP_DIVERGING` (blue, white,
          red over [-m, m], m = max |v|)
.  range - `ODYN_PLOT_RANGE_TILE` (each tile scaled to its own range) or `ODYN_PLOT_RANGE_COMMON` (one range for all)
.  upscale - the number of pixels per value in each direction, 1 .. 64 (3 makes a 28 x 28 image 84 x 84 pixels)
-  filename - the file to write (an existing file is replaced); significant on rank 0

   Level: intermediate

   Notes:
   Layout: tile (r, c) is tile number t = r cols + c, and value (i, j) of it (image row i from the top, column j) is
   entry t h w + i w + j of the values counted over the ranks in order: a tile is a row-major image, i.e. the layout of
   odyn's image features (docs/data.md "Image shape", pixel (i1, i2) at i1 + n1 i2 with i1 the column), and the
   channels of one example, or the classes of a classifier weight W (column-major nf x nc, OdynLoss), follow each other
   as tiles of a row. The image has cols (w upscale + 1) + 1 x rows (h upscale + 1) + 1 pixels, at most 16384 each way.

   Colours: grey maps the low end of the range to black, the high end to white (a constant tile is mid grey, 128);
   diverging maps -m to blue (0, 0, 255), 0 to white, +m to red (255, 0, 0), linearly in each half (an all-zero tile
   is white). Use the diverging map for signed data (propagated features, weights): with a grey map the colour of zero
   would change from tile to tile and the sign would be lost. Separators are black for the diverging map and blue
   (31, 119, 180) for the grey map, colours that the tiles never take.

   Errors (raised on every rank together): arguments that differ between ranks, bad sizes, a total of values that does
   not fill the grid, a non-finite value (the message names its tile and pixel; nothing is written), a file that cannot
   be written (the message names it). The file is written through a temporary file and renamed, as OdynPlotWrite()
   does. No text is drawn: put titles and labels in the document that shows the image.

.seealso: `OdynPlotColormap`, `OdynPlotRange`, `OdynPlotWrite()`
@*/
PetscErrorCode OdynPlotWriteImageGrid(MPI_Comm comm, PetscInt rows, PetscInt cols, PetscInt h, PetscInt w, PetscInt n, const PetscReal v[], OdynPlotColormap cmap, OdynPlotRange range, PetscInt upscale, const char filename[])
{
  PetscInt       args[7] = {rows, cols, h, w, upscale, (PetscInt)cmap, (PetscInt)range}, amin[7], amax[7], loc[2], sum[2], ntot;
  PetscInt64     W64, H64;
  PetscMPIInt    rank, size, cnt, *counts = NULL, *displs = NULL;
  PetscReal     *all = NULL;
  unsigned char *rgb = NULL;
  char           msg[ODYN_PLOT_MSG_LEN] = "";
  int            code                   = 0; /* a PETSc error class, broadcast from rank 0 */

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(MPIU_Allreduce(args, amin, 7, MPIU_INT, MPI_MIN, comm));
  PetscCall(MPIU_Allreduce(args, amax, 7, MPIU_INT, MPI_MAX, comm));
  for (int k = 0; k < 7; k++) PetscCheck(amin[k] == amax[k], comm, PETSC_ERR_ARG_WRONG, "OdynPlotWriteImageGrid: rows, cols, h, w, upscale, cmap and range must be the same on every rank; argument %d (of those, counted from 1) ranges from %" PetscInt_FMT " to %" PetscInt_FMT, k + 1, amin[k], amax[k]);
  PetscCheck(rows >= 1 && cols >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotWriteImageGrid: need at least 1 x 1 tiles, got rows = %" PetscInt_FMT ", cols = %" PetscInt_FMT, rows, cols);
  PetscCheck(h >= 1 && w >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotWriteImageGrid: a tile needs h >= 1 and w >= 1 values, got %" PetscInt_FMT " x %" PetscInt_FMT, h, w);
  PetscCheck(upscale >= 1 && upscale <= ODYN_PLOT_MAX_UPSCALE, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotWriteImageGrid: upscale must be in 1 .. %d pixels per value, got %" PetscInt_FMT, ODYN_PLOT_MAX_UPSCALE, upscale);
  PetscCheck(cmap == ODYN_PLOT_COLORMAP_GRAY || cmap == ODYN_PLOT_COLORMAP_DIVERGING, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotWriteImageGrid: unknown colormap %d: use ODYN_PLOT_COLORMAP_GRAY or ODYN_PLOT_COLORMAP_DIVERGING", (int)cmap);
  PetscCheck(range == ODYN_PLOT_RANGE_TILE || range == ODYN_PLOT_RANGE_COMMON, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotWriteImageGrid: unknown range %d: use ODYN_PLOT_RANGE_TILE or ODYN_PLOT_RANGE_COMMON", (int)range);
  /* in 64 bits: each factor is now >= 1, so a too large factor shows as a too large image before anything overflows */
  W64 = (PetscInt64)PetscMin(cols, ODYN_PLOT_MAX_PX + 1) * ((PetscInt64)PetscMin(w, ODYN_PLOT_MAX_PX + 1) * upscale + 1) + 1;
  H64 = (PetscInt64)PetscMin(rows, ODYN_PLOT_MAX_PX + 1) * ((PetscInt64)PetscMin(h, ODYN_PLOT_MAX_PX + 1) * upscale + 1) + 1;
  PetscCheck(W64 <= ODYN_PLOT_MAX_PX && H64 <= ODYN_PLOT_MAX_PX, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotWriteImageGrid: %" PetscInt_FMT " x %" PetscInt_FMT " tiles of %" PetscInt_FMT " x %" PetscInt_FMT " values at upscale %" PetscInt_FMT " need %" PetscInt64_FMT " x %" PetscInt64_FMT " pixels, at most %d each way: fewer tiles or a smaller upscale", rows, cols, h, w, upscale, W64, H64, ODYN_PLOT_MAX_PX);
  /* the image fits, so rows cols h w (<= its pixel count) fits a PetscInt and an MPI count */
  ntot   = rows * cols * h * w;
  loc[0] = (n < 0 || (n > 0 && !v)) ? 1 : 0;
  loc[1] = n > 0 ? n : 0;
  PetscCall(MPIU_Allreduce(loc, sum, 2, MPIU_INT, MPI_SUM, comm));
  PetscCheck(!sum[0], comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotWriteImageGrid: on %" PetscInt_FMT " rank(s) the local number of values n is negative, or positive with no values (NULL)", sum[0]);
  PetscCheck(sum[1] == ntot, comm, PETSC_ERR_ARG_SIZ, "OdynPlotWriteImageGrid: the ranks give %" PetscInt_FMT " values in all, the %" PetscInt_FMT " x %" PetscInt_FMT " grid of %" PetscInt_FMT " x %" PetscInt_FMT " tiles needs %" PetscInt_FMT " (rows x cols x h x w); n is each rank's share", sum[1], rows, cols, h, w, ntot);

  PetscCall(PetscMPIIntCast(n, &cnt));
  if (rank == 0) {
    PetscCall(PetscMalloc2(size, &counts, size, &displs));
    PetscCall(PetscMalloc1(ntot, &all));
  }
  PetscCallMPI(MPI_Gather(&cnt, 1, MPI_INT, counts, 1, MPI_INT, 0, comm));
  if (rank == 0) {
    displs[0] = 0;
    for (PetscMPIInt r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  }
  PetscCallMPI(MPI_Gatherv(v, cnt, MPIU_REAL, all, counts, displs, MPIU_REAL, 0, comm));
  PetscCall(PetscFree2(counts, displs));
  if (rank == 0) {
    const PetscInt W = (PetscInt)W64, H = (PetscInt)H64;

    PetscCall(PetscMalloc1(3 * W * H, &rgb));
    PetscCall(PaintGrid(rows, cols, h, w, all, cmap, range, upscale, W, H, filename, rgb, msg, &code));
    if (!msg[0]) PetscCall(OdynPlotWritePNG_Private("OdynPlotWriteImageGrid", filename, W, H, rgb, msg, &code));
    PetscCall(PetscFree(rgb));
    PetscCall(PetscFree(all));
  }
  PetscCallMPI(MPI_Bcast(msg, ODYN_PLOT_MSG_LEN, MPI_CHAR, 0, comm));
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, 0, comm));
  PetscCheck(!msg[0], comm, (PetscErrorCode)code, "%s", msg);
  PetscFunctionReturn(0);
}
