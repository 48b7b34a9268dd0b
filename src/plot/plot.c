/*
  OdynPlot: a small RGB canvas written as PNG (libpng's simplified png_image API), for the 2-D figures of paper 001,
  Sec. 6 (Figures 4-6): labelled data as dots, propagated features coloured by class, predicted classes over the plane
  as a light background with the validation data on top.

  The canvas exists on rank 0 only; drawing calls are collective, every rank passing its own part of the data, which
  rank 0 gathers (MPI_Gatherv) in rank order and draws. Argument errors are detected on every rank together (an
  MPI reduction of the local verdicts), so a bad entry on one rank fails the call on all ranks instead of leaving the
  others waiting in the gather.
*/
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h> /* getpid(): the temporary file name of OdynPlotWrite() */
#include <png.h>
#include <petsc/private/petscimpl.h>
#include <odynplot.h>
#include <odyn/private/plotimpl.h>

/* A plot has a single implementation; the ops table exists because PETSCHEADER needs one. */
typedef struct _OdynPlotOps *OdynPlotOps;
struct _OdynPlotOps {
  PetscErrorCode (*view)(OdynPlot, PetscViewer);
};

struct _p_OdynPlot {
  PETSCHEADER(struct _OdynPlotOps);
  PetscInt       width, height;          /* pixels */
  PetscReal      xmin, xmax, ymin, ymax; /* the rectangle of the plane that the canvas shows */
  unsigned char *rgb;                    /* rank 0 only: height rows of width RGB triples, top row (y = ymax) first */
};

PetscClassId ODYNPLOT_CLASSID;

#define ODYN_PLOT_MAX_RADIUS 256 /* ODYN_PLOT_MAX_PX and ODYN_PLOT_MSG_LEN: odyn/private/plotimpl.h */

/* matplotlib's "tab20": ten colours (dots) with a light partner each (backgrounds), designed to stay distinguishable */
static const unsigned char OdynPlotPalette[ODYN_PLOT_NUM_COLORS][3] = {
  {31,  119, 180},
  {255, 127, 14 },
  {44,  160, 44 },
  {214, 39,  40 },
  {148, 103, 189},
  {140, 86,  75 },
  {227, 119, 194},
  {127, 127, 127},
  {188, 189, 34 },
  {23,  190, 207}
};
static const unsigned char OdynPlotPaletteLight[ODYN_PLOT_NUM_COLORS][3] = {
  {174, 199, 232},
  {255, 187, 120},
  {152, 223, 138},
  {255, 152, 150},
  {197, 176, 213},
  {196, 156, 148},
  {247, 182, 210},
  {199, 199, 199},
  {219, 219, 141},
  {158, 218, 229}
};
static const unsigned char OdynPlotOutline[3] = {0, 0, 0};
static const unsigned char OdynPlotFrame[3] = {64, 64, 64}, OdynPlotZeroLine[3] = {150, 150, 150};

/* The class id is registered here rather than in OdynInitializePackage() so that the plotting module stays in its own
   folder; the finalizer lets a later PetscInitialize() register it again. */
static PetscBool OdynPlotPackageInitialized = PETSC_FALSE;

static PetscErrorCode OdynPlotFinalizePackage(void)
{
  PetscFunctionBegin;
  OdynPlotPackageInitialized = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynPlotInitializePackage(void)
{
  PetscFunctionBegin;
  if (OdynPlotPackageInitialized) PetscFunctionReturn(0);
  OdynPlotPackageInitialized = PETSC_TRUE;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscClassIdRegister("OdynPlot", &ODYNPLOT_CLASSID));
  PetscCall(PetscRegisterFinalize(OdynPlotFinalizePackage));
  PetscFunctionReturn(0);
}

/*@
   OdynPlotGetClassColor - the colour in which OdynPlot draws a class

   Not Collective

   Input Parameters:
+  k - the class, >= 0
-  light - `PETSC_TRUE` for the light shade of OdynPlotBackground(), `PETSC_FALSE` for the dots of OdynPlotPoints()

   Output Parameter:
.  rgb - red, green, blue in 0 .. 255

   Level: intermediate

   Notes:
   Class k uses entry k mod `ODYN_PLOT_NUM_COLORS` (10) of matplotlib's "tab20" palette: blue, orange, green, red,
   purple, brown, pink, grey, olive, cyan, and their light partners. Use it to write a legend or a caption.

.seealso: `OdynPlotPoints()`, `OdynPlotBackground()`
@*/
PetscErrorCode OdynPlotGetClassColor(PetscInt k, PetscBool light, unsigned char rgb[3])
{
  const unsigned char *c;

  PetscFunctionBegin;
  PetscValidPointer(rgb, 3);
  PetscCheck(k >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotGetClassColor: the class must be >= 0, got %" PetscInt_FMT, k);
  c = light ? OdynPlotPaletteLight[k % ODYN_PLOT_NUM_COLORS] : OdynPlotPalette[k % ODYN_PLOT_NUM_COLORS];
  for (int i = 0; i < 3; i++) rgb[i] = c[i];
  PetscFunctionReturn(0);
}

/*@
   OdynPlotCreate - creates a white canvas of width x height pixels showing [xmin, xmax] x [ymin, ymax]

   Collective

   Input Parameters:
+  comm - the communicator of the data that will be drawn; rank 0 holds the canvas and writes the file
.  width, height - size of the image in pixels, 1 .. 16384 each
-  xmin, xmax, ymin, ymax - the rectangle of the plane shown, xmin < xmax and ymin < ymax; y grows upwards

   Output Parameter:
.  plot - the plot

   Level: beginner

   Notes:
   The arguments must be the same on every rank. Use the same aspect ratio for the pixels and the rectangle,
   width / height = (xmax - xmin) / (ymax - ymin), unless the figure should be stretched. A typical figure of paper 001
   is OdynPlotBackground(), OdynPlotAxes(), OdynPlotPoints() (or OdynPlotPointsVec()) and OdynPlotWrite().

.seealso: `OdynPlot`, `OdynPlotDestroy()`, `OdynPlotBackground()`, `OdynPlotPoints()`, `OdynPlotWrite()`
@*/
PetscErrorCode OdynPlotCreate(MPI_Comm comm, PetscInt width, PetscInt height, PetscReal xmin, PetscReal xmax, PetscReal ymin, PetscReal ymax, OdynPlot *plot)
{
  OdynPlot    p;
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscValidPointer(plot, 8);
  *plot = NULL;
  PetscCheck(width >= 1 && width <= ODYN_PLOT_MAX_PX && height >= 1 && height <= ODYN_PLOT_MAX_PX, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotCreate: width and height must be in 1 .. %d pixels, got %" PetscInt_FMT " x %" PetscInt_FMT, ODYN_PLOT_MAX_PX, width, height);
  PetscCheck(PetscIsNormalReal(xmax - xmin) && xmin < xmax, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotCreate: need finite xmin < xmax, got xmin = %g, xmax = %g", (double)xmin, (double)xmax);
  PetscCheck(PetscIsNormalReal(ymax - ymin) && ymin < ymax, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotCreate: need finite ymin < ymax, got ymin = %g, ymax = %g", (double)ymin, (double)ymax);
  PetscCall(OdynPlotInitializePackage());
  PetscCall(PetscHeaderCreate(p, ODYNPLOT_CLASSID, "OdynPlot", "PNG canvas for 2-D data", "OdynPlot", comm, OdynPlotDestroy, OdynPlotView));
  p->width  = width;
  p->height = height;
  p->xmin   = xmin;
  p->xmax   = xmax;
  p->ymin   = ymin;
  p->ymax   = ymax;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) PetscCall(PetscMalloc1(3 * width * height, &p->rgb));
  *plot = p;
  PetscCall(OdynPlotClear(p));
  PetscFunctionReturn(0);
}

/*@
   OdynPlotClear - paints the whole canvas white

   Collective

   Input Parameter:
.  plot - the plot

   Level: intermediate

   Notes:
   Lets one plot make several figures of the same size and rectangle (write one, clear, draw the next).

.seealso: `OdynPlotCreate()`, `OdynPlotWrite()`
@*/
PetscErrorCode OdynPlotClear(OdynPlot plot)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(plot, ODYNPLOT_CLASSID, 1);
  if (plot->rgb) memset(plot->rgb, 255, (size_t)(3 * plot->width * plot->height)); /* white */
  PetscFunctionReturn(0);
}

static inline void PutPixel(OdynPlot p, PetscInt i, PetscInt j, const unsigned char c[3])
{
  unsigned char *q;

  if (i < 0 || i >= p->width || j < 0 || j >= p->height) return;
  q    = p->rgb + 3 * (j * p->width + i);
  q[0] = c[0];
  q[1] = c[1];
  q[2] = c[2];
}

/* Continuous pixel coordinates of (x, y): the canvas is [0, width] x [0, height], row 0 at the top. */
static inline void ToPixel(OdynPlot p, PetscReal x, PetscReal y, PetscReal *px, PetscReal *py)
{
  *px = (x - p->xmin) / (p->xmax - p->xmin) * (PetscReal)p->width;
  *py = (p->ymax - y) / (p->ymax - p->ymin) * (PetscReal)p->height;
}

/* A disc of pixels around the pixel containing (px, py): offsets with di^2 + dj^2 <= r^2 + r, which looks round for
   small r (r = 1 is a 3 x 3 square less nothing, r = 2 a 5 x 5 square less its corners); with outline, the pixels
   outside the disc of radius r - 1 are drawn dark. */
static void DrawDot(OdynPlot p, PetscReal px, PetscReal py, PetscInt r, PetscBool outline, const unsigned char c[3])
{
  PetscInt ci, cj, rin = r - 1;

  /* also skips NaN: every comparison with it is false */
  if (!(px > -(PetscReal)(r + 1) && px < (PetscReal)(p->width + r + 1) && py > -(PetscReal)(r + 1) && py < (PetscReal)(p->height + r + 1))) return;
  ci = (PetscInt)PetscFloorReal(px);
  cj = (PetscInt)PetscFloorReal(py);
  for (PetscInt dj = -r; dj <= r; dj++) {
    for (PetscInt di = -r; di <= r; di++) {
      PetscInt d2 = di * di + dj * dj;

      if (d2 > r * r + r) continue;
      PutPixel(p, ci + di, cj + dj, outline && (rin < 0 || d2 > rin * rin + rin) ? OdynPlotOutline : c);
    }
  }
}

/* Collective check of per-rank data: *first = the smallest global position (offset of this rank + local index) whose
   entry is bad on any rank, or -1. Every rank gets the same answer, so every rank raises the same error. */
static PetscErrorCode FirstBadGlobal(MPI_Comm comm, PetscInt n, PetscInt localbad, PetscInt *first)
{
  PetscInt offset = 0, mine;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Exscan(&n, &offset, 1, MPIU_INT, MPI_SUM, comm));
  {
    PetscMPIInt rank;
    PetscCallMPI(MPI_Comm_rank(comm, &rank));
    if (rank == 0) offset = 0; /* MPI_Exscan leaves rank 0's result undefined */
  }
  mine = localbad >= 0 ? offset + localbad : PETSC_MAX_INT;
  PetscCall(MPIU_Allreduce(&mine, first, 1, MPIU_INT, MPI_MIN, comm));
  if (*first == PETSC_MAX_INT) *first = -1;
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckClasses(MPI_Comm comm, const char fn[], PetscInt n, const PetscInt classes[])
{
  PetscInt bad = -1, first;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n && bad < 0; i++)
    if (classes[i] < 0) bad = i;
  PetscCall(FirstBadGlobal(comm, n, bad, &first));
  PetscCheck(first < 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: classes must be >= 0; entry %" PetscInt_FMT " (counted over the ranks in order) is negative", fn, first);
  PetscFunctionReturn(0);
}

/* Gathers n * bs items of dtype (esize bytes each) from every rank onto rank 0, in rank order; *all is a new array of
   ntot * bs items there (free with PetscFree) and NULL elsewhere. ntot (the sum of n) must be known on every rank. */
static PetscErrorCode GatherToZero(MPI_Comm comm, PetscInt n, PetscInt ntot, PetscInt bs, MPI_Datatype dtype, size_t esize, const void *local, void *all_)
{
  void      **all = (void **)all_;
  PetscMPIInt rank, size, cnt, tot, *counts = NULL, *displs = NULL;

  PetscFunctionBegin;
  *all = NULL;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMPIIntCast(n * bs, &cnt));
  PetscCall(PetscMPIIntCast(ntot * bs, &tot)); /* the same on every rank: fails everywhere or nowhere */
  if (rank == 0) {
    PetscCall(PetscMalloc2(size, &counts, size, &displs));
    PetscCall(PetscMalloc((size_t)PetscMax(tot, 1) * esize, all));
  }
  PetscCallMPI(MPI_Gather(&cnt, 1, MPI_INT, counts, 1, MPI_INT, 0, comm));
  if (rank == 0) {
    displs[0] = 0;
    for (PetscMPIInt r = 1; r < size; r++) displs[r] = displs[r - 1] + counts[r - 1];
  }
  PetscCallMPI(MPI_Gatherv(local, cnt, dtype, *all, counts, displs, dtype, 0, comm));
  PetscCall(PetscFree2(counts, displs));
  PetscFunctionReturn(0);
}

/*@
   OdynPlotBackground - paints the canvas by classes given on a grid of cells over the plot's rectangle, in the light
   class colours

   Collective

   Input Parameters:
+  plot - the plot
.  nx, ny - the grid: nx cells in x, ny in y (the same on every rank)
.  n - the number of grid cells this rank gives (the sum over the ranks must be nx * ny; 0 is allowed)
-  classes - this rank's n classes (>= 0), a contiguous slice of the grid in rank order

   Level: beginner

   Notes:
   The grid is row-major from ymin: entry j * nx + i, counted over the ranks in order, is the class of the cell
   [xmin + i dx, xmin + (i+1) dx] x [ymin + j dy, ymin + (j+1) dy], dx = (xmax - xmin)/nx, dy = (ymax - ymin)/ny.
   Evaluate the network at the cell centres (xmin + (i + 1/2) dx, ymin + (j + 1/2) dy) to show its prediction over the
   plane (the right subplots of paper 001's Figures 4-6). Each pixel takes the class of the cell that contains its
   centre, so the grid need not match the pixels. The whole canvas is painted.
   With all classes on one rank, pass n = nx * ny there and n = 0 on the others.

.seealso: `OdynPlotPoints()`, `OdynPlotGetClassColor()`, `OdynPlotCreate()`
@*/
PetscErrorCode OdynPlotBackground(OdynPlot plot, PetscInt nx, PetscInt ny, PetscInt n, const PetscInt classes[])
{
  MPI_Comm  comm;
  PetscInt  ntot, *all;
  PetscReal x0, y0;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(plot, ODYNPLOT_CLASSID, 1);
  PetscValidLogicalCollectiveInt(plot, nx, 2);
  PetscValidLogicalCollectiveInt(plot, ny, 3);
  if (n) PetscValidIntPointer(classes, 5);
  comm = PetscObjectComm((PetscObject)plot);
  PetscCheck(nx >= 1 && ny >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotBackground: the grid needs nx >= 1 and ny >= 1 cells, got %" PetscInt_FMT " x %" PetscInt_FMT, nx, ny);
  PetscCheck(n >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotBackground: the local number of cells n must be >= 0, got %" PetscInt_FMT, n);
  PetscCall(MPIU_Allreduce(&n, &ntot, 1, MPIU_INT, MPI_SUM, comm));
  PetscCheck(ntot == nx * ny, comm, PETSC_ERR_ARG_SIZ, "OdynPlotBackground: the ranks give %" PetscInt_FMT " cells in all, the %" PetscInt_FMT " x %" PetscInt_FMT " grid has %" PetscInt_FMT "; n is each rank's share", ntot, nx, ny, nx * ny);
  PetscCall(CheckClasses(comm, "OdynPlotBackground", n, classes));
  PetscCall(GatherToZero(comm, n, ntot, 1, MPIU_INT, sizeof(PetscInt), classes, &all));
  if (plot->rgb) {
    x0 = 0.5 / (PetscReal)plot->width;
    y0 = 0.5 / (PetscReal)plot->height;
    for (PetscInt j = 0; j < plot->height; j++) {
      /* pixel row j (from the top) has its centre at the fraction 1 - (j + 1/2)/height of the way up */
      PetscInt cj = (PetscInt)PetscFloorReal((1.0 - (PetscReal)j / (PetscReal)plot->height - y0) * (PetscReal)ny);

      cj = PetscMax(0, PetscMin(ny - 1, cj));
      for (PetscInt i = 0; i < plot->width; i++) {
        PetscInt ci = (PetscInt)PetscFloorReal(((PetscReal)i / (PetscReal)plot->width + x0) * (PetscReal)nx);

        ci = PetscMax(0, PetscMin(nx - 1, ci));
        PutPixel(plot, i, j, OdynPlotPaletteLight[all[cj * nx + ci] % ODYN_PLOT_NUM_COLORS]);
      }
    }
  }
  PetscCall(PetscFree(all));
  PetscFunctionReturn(0);
}

/*@
   OdynPlotPoints - draws points as dots in their class colours

   Collective

   Input Parameters:
+  plot - the plot
.  n - the number of points this rank gives (0 is allowed)
.  xy - their coordinates, interleaved: x_k = xy[2k], y_k = xy[2k+1]
.  classes - their n classes, >= 0
.  radius - radius of a dot in pixels, 0 .. 256 (0 is a single pixel; 2 or 3 suits a few hundred points on 600 px)
-  outline - `PETSC_TRUE` to give each dot a dark rim one pixel wide, so that it stands out on OdynPlotBackground()

   Level: beginner

   Notes:
   Rank 0 draws the points of rank 0, then rank 1, ..., in their order; a later dot covers an earlier one.
   Points outside the plot's rectangle are clipped, points with a non-finite coordinate (a diverged network) are
   skipped. For features stored as a Vec, one example per column, use OdynPlotPointsVec().

.seealso: `OdynPlotPointsVec()`, `OdynPlotBackground()`, `OdynPlotGetClassColor()`
@*/
PetscErrorCode OdynPlotPoints(OdynPlot plot, PetscInt n, const PetscReal xy[], const PetscInt classes[], PetscInt radius, PetscBool outline)
{
  MPI_Comm   comm;
  PetscInt   ntot, *call;
  PetscReal *xyall;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(plot, ODYNPLOT_CLASSID, 1);
  PetscValidLogicalCollectiveInt(plot, radius, 5);
  PetscValidLogicalCollectiveBool(plot, outline, 6);
  if (n) {
    PetscValidRealPointer(xy, 3);
    PetscValidIntPointer(classes, 4);
  }
  comm = PetscObjectComm((PetscObject)plot);
  PetscCheck(n >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotPoints: the local number of points n must be >= 0, got %" PetscInt_FMT, n);
  PetscCheck(radius >= 0 && radius <= ODYN_PLOT_MAX_RADIUS, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotPoints: the radius must be in 0 .. %d pixels, got %" PetscInt_FMT, ODYN_PLOT_MAX_RADIUS, radius);
  PetscCall(CheckClasses(comm, "OdynPlotPoints", n, classes));
  PetscCall(MPIU_Allreduce(&n, &ntot, 1, MPIU_INT, MPI_SUM, comm));
  PetscCall(GatherToZero(comm, n, ntot, 2, MPIU_REAL, sizeof(PetscReal), xy, &xyall));
  PetscCall(GatherToZero(comm, n, ntot, 1, MPIU_INT, sizeof(PetscInt), classes, &call));
  if (plot->rgb) {
    for (PetscInt k = 0; k < ntot; k++) {
      PetscReal px, py;

      ToPixel(plot, xyall[2 * k], xyall[2 * k + 1], &px, &py);
      DrawDot(plot, px, py, radius, outline, OdynPlotPalette[call[k] % ODYN_PLOT_NUM_COLORS]);
    }
  }
  PetscCall(PetscFree(xyall));
  PetscCall(PetscFree(call));
  PetscFunctionReturn(0);
}

/*@
   OdynPlotPointsVec - draws two coordinates of distributed examples (features, propagated features) as dots in their
   class colours

   Collective

   Input Parameters:
+  plot - the plot
.  X - the examples, nf x s_local on each rank, one example per column (column-major: entry k of example e is
       X[e * nf + k]), as OdynDatasetGetFeatures() and OdynNetForward() give them
.  nf - the number of features per example (rows of X)
.  ix, iy - the features shown as x and y, 0 .. nf-1 (0 and 1 for the first two)
.  labels - the s_local classes of this rank's examples, >= 0
.  radius - radius of a dot in pixels (see OdynPlotPoints())
-  outline - `PETSC_TRUE` for a dark rim around each dot

   Level: beginner

   Notes:
   Rank 0 gathers the coordinates (MPI_Gatherv) and draws them as OdynPlotPoints() does: this is the left and centre
   subplots of paper 001's Figures 4-6 (input and propagated features). X must live on the plot's communicator.

.seealso: `OdynPlotPoints()`, `OdynDatasetGetFeatures()`, `OdynDatasetGetLabels()`
@*/
PetscErrorCode OdynPlotPointsVec(OdynPlot plot, Vec X, PetscInt nf, PetscInt ix, PetscInt iy, const PetscInt labels[], PetscInt radius, PetscBool outline)
{
  MPI_Comm           comm;
  PetscInt           nloc, s, bad;
  const PetscScalar *x;
  PetscReal         *xy;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(plot, ODYNPLOT_CLASSID, 1);
  PetscValidHeaderSpecific(X, VEC_CLASSID, 2);
  PetscCheckSameComm(plot, 1, X, 2);
  PetscValidLogicalCollectiveInt(plot, nf, 3);
  PetscValidLogicalCollectiveInt(plot, ix, 4);
  PetscValidLogicalCollectiveInt(plot, iy, 5);
  comm = PetscObjectComm((PetscObject)plot);
  PetscCheck(nf >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotPointsVec: the number of features nf must be >= 1, got %" PetscInt_FMT, nf);
  PetscCheck(ix >= 0 && ix < nf && iy >= 0 && iy < nf, comm, PETSC_ERR_ARG_OUTOFRANGE, "OdynPlotPointsVec: the coordinates shown must be features 0 .. %" PetscInt_FMT ", got ix = %" PetscInt_FMT ", iy = %" PetscInt_FMT, nf - 1, ix, iy);
  PetscCall(VecGetLocalSize(X, &nloc));
  PetscCall(FirstBadGlobal(comm, 1, nloc % nf ? 0 : -1, &bad));
  PetscCheck(bad < 0, comm, PETSC_ERR_ARG_SIZ, "OdynPlotPointsVec: the local length of X on rank %" PetscInt_FMT " is not a multiple of nf = %" PetscInt_FMT ": X must hold whole examples (nf x s_local) on every rank", bad, nf);
  s = nloc / nf;
  if (s) PetscValidIntPointer(labels, 6);
  PetscCall(PetscMalloc1(2 * s, &xy));
  PetscCall(VecGetArrayRead(X, &x));
  for (PetscInt e = 0; e < s; e++) {
    xy[2 * e]     = PetscRealPart(x[e * nf + ix]);
    xy[2 * e + 1] = PetscRealPart(x[e * nf + iy]);
  }
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscCall(OdynPlotPoints(plot, s, xy, labels, radius, outline));
  PetscCall(PetscFree(xy));
  PetscFunctionReturn(0);
}

/*@
   OdynPlotAxes - draws a thin frame around the canvas and the lines x = 0 and y = 0 where they fall inside it

   Collective

   Input Parameter:
.  plot - the plot

   Level: beginner

   Notes:
   The frame is dark grey, the zero lines mid grey, one pixel wide. Call it after OdynPlotBackground() and before
   OdynPlotPoints() so that the dots cover the lines. There are no ticks or labels: the rectangle is the caption's.

.seealso: `OdynPlotBackground()`, `OdynPlotPoints()`
@*/
PetscErrorCode OdynPlotAxes(OdynPlot plot)
{
  PetscInt  W, H;
  PetscReal px, py;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(plot, ODYNPLOT_CLASSID, 1);
  if (!plot->rgb) PetscFunctionReturn(0);
  W = plot->width;
  H = plot->height;
  ToPixel(plot, 0.0, 0.0, &px, &py);
  /* min(W-1, ...): a zero at xmax (or ymin) lies on the last pixel, not one past it */
  if (plot->xmin <= 0.0 && 0.0 <= plot->xmax) {
    PetscInt i = PetscMin(W - 1, (PetscInt)PetscFloorReal(px));
    for (PetscInt j = 0; j < H; j++) PutPixel(plot, i, j, OdynPlotZeroLine);
  }
  if (plot->ymin <= 0.0 && 0.0 <= plot->ymax) {
    PetscInt j = PetscMin(H - 1, (PetscInt)PetscFloorReal(py));
    for (PetscInt i = 0; i < W; i++) PutPixel(plot, i, j, OdynPlotZeroLine);
  }
  for (PetscInt i = 0; i < W; i++) {
    PutPixel(plot, i, 0, OdynPlotFrame);
    PutPixel(plot, i, H - 1, OdynPlotFrame);
  }
  for (PetscInt j = 0; j < H; j++) {
    PutPixel(plot, 0, j, OdynPlotFrame);
    PutPixel(plot, W - 1, j, OdynPlotFrame);
  }
  PetscFunctionReturn(0);
}

/* Rank 0: writes the pixels to a temporary file next to `filename` and renames it, so that a failure leaves neither a
   truncated PNG nor a clobbered old one. On failure msg says why (prefixed by the public function's name fn) and *code
   is the PETSc error class; nothing is raised here, so that the caller can raise the same error on every rank. Shared
   by OdynPlotWrite() and OdynPlotWriteImageGrid() (plotimage.c). */
PetscErrorCode OdynPlotWritePNG_Private(const char fn[], const char filename[], PetscInt width, PetscInt height, const unsigned char rgb[], char msg[], int *code)
{
  char      tmp[PETSC_MAX_PATH_LEN];
  FILE     *fp;
  png_image img;
  int       ok, err;

  PetscFunctionBegin;
  if (!filename) {
    *code = PETSC_ERR_ARG_NULL;
    PetscCall(PetscSNPrintf(msg, ODYN_PLOT_MSG_LEN, "%s: no file name on rank 0 (NULL)", fn));
    PetscFunctionReturn(0);
  }
  if (strlen(filename) + 32 > sizeof(tmp)) {
    *code = PETSC_ERR_ARG_OUTOFRANGE;
    PetscCall(PetscSNPrintf(msg, ODYN_PLOT_MSG_LEN, "%s: the file name %s is longer than %d characters", fn, filename, (int)sizeof(tmp) - 32));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.%d.tmp", filename, (int)getpid()));
  fp = fopen(tmp, "wb");
  if (!fp) {
    /* the temporary file is an implementation detail: name the file the user asked for */
    *code = PETSC_ERR_FILE_OPEN;
    PetscCall(PetscSNPrintf(msg, ODYN_PLOT_MSG_LEN, "%s: cannot open %s for writing: %s", fn, filename, strerror(errno)));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscMemzero(&img, sizeof(img)));
  img.version = PNG_IMAGE_VERSION;
  img.width   = (png_uint_32)width;
  img.height  = (png_uint_32)height;
  img.format  = PNG_FORMAT_RGB;
  /* the simplified API reports errors through its return value and img.message, without setjmp/longjmp */
  ok = png_image_write_to_stdio(&img, fp, 0, rgb, (png_int_32)(3 * width), NULL);
  if (!ok) {
    *code = PETSC_ERR_FILE_WRITE;
    PetscCall(PetscSNPrintf(msg, ODYN_PLOT_MSG_LEN, "%s: writing %s failed: %s", fn, filename, img.message));
  }
  png_image_free(&img);
  err = fclose(fp);
  if (ok && err) {
    ok    = 0;
    *code = PETSC_ERR_FILE_WRITE;
    PetscCall(PetscSNPrintf(msg, ODYN_PLOT_MSG_LEN, "%s: writing %s failed: %s", fn, filename, strerror(errno)));
  }
  if (ok && rename(tmp, filename)) {
    ok    = 0;
    *code = PETSC_ERR_FILE_WRITE;
    PetscCall(PetscSNPrintf(msg, ODYN_PLOT_MSG_LEN, "%s: cannot write %s (renaming the finished image %s to it): %s", fn, filename, tmp, strerror(errno)));
  }
  if (!ok) (void)remove(tmp);
  PetscFunctionReturn(0);
}

/*@
   OdynPlotWrite - writes the canvas as an 8-bit RGB PNG file

   Collective

   Input Parameters:
+  plot - the plot
-  filename - the file to write (an existing file is replaced); significant on rank 0

   Level: beginner

   Notes:
   Rank 0 writes the image to a temporary file beside `filename` (filename.<pid>.tmp) and renames it, so a failure
   leaves no half-written PNG behind and an existing file is replaced only by a complete one. On failure every rank
   raises the same error, naming the file and the reason, e.g. "cannot open out/fig.png for writing: No such file or
   directory". The canvas is kept: draw more and write again, or OdynPlotClear() it.

.seealso: `OdynPlotCreate()`, `OdynPlotClear()`
@*/
PetscErrorCode OdynPlotWrite(OdynPlot plot, const char filename[])
{
  MPI_Comm comm;
  char     msg[ODYN_PLOT_MSG_LEN] = "";
  int      code                   = 0; /* a PETSc error class, broadcast from rank 0 */

  PetscFunctionBegin;
  PetscValidHeaderSpecific(plot, ODYNPLOT_CLASSID, 1);
  comm = PetscObjectComm((PetscObject)plot);
  /* not PetscValidCharPointer(): a NULL name on rank 0 must fail every rank, not leave them waiting in MPI_Bcast */
  if (plot->rgb) PetscCall(OdynPlotWritePNG_Private("OdynPlotWrite", filename, plot->width, plot->height, plot->rgb, msg, &code));
  PetscCallMPI(MPI_Bcast(msg, ODYN_PLOT_MSG_LEN, MPI_CHAR, 0, comm));
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, 0, comm));
  PetscCheck(!msg[0], comm, (PetscErrorCode)code, "%s", msg);
  PetscFunctionReturn(0);
}

/*@
   OdynPlotView - prints the size of the image and the rectangle that it shows

   Collective

   Input Parameters:
+  plot - the plot
-  viewer - an ASCII viewer, or NULL for stdout

   Level: intermediate

.seealso: `OdynPlotCreate()`
@*/
PetscErrorCode OdynPlotView(OdynPlot plot, PetscViewer viewer)
{
  PetscBool   isascii;
  const char *name;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(plot, ODYNPLOT_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)plot), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  PetscCall(PetscObjectGetName((PetscObject)plot, &name));
  PetscCall(PetscViewerASCIIPrintf(viewer, "OdynPlot Object: %s\n", name));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " x %" PetscInt_FMT " pixels showing [%g, %g] x [%g, %g]\n", plot->width, plot->height, (double)plot->xmin, (double)plot->xmax, (double)plot->ymin, (double)plot->ymax));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/*@
   OdynPlotDestroy - frees a plot

   Collective

   Input Parameter:
.  plot - the plot (set to NULL)

   Level: beginner

.seealso: `OdynPlotCreate()`
@*/
PetscErrorCode OdynPlotDestroy(OdynPlot *plot)
{
  PetscFunctionBegin;
  if (!*plot) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*plot, ODYNPLOT_CLASSID, 1);
  if (--((PetscObject)(*plot))->refct > 0) {
    *plot = NULL;
    PetscFunctionReturn(0);
  }
  PetscCall(PetscFree((*plot)->rgb));
  PetscCall(PetscHeaderDestroy(plot));
  PetscFunctionReturn(0);
}
