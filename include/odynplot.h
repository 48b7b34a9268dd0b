#ifndef ODYNPLOT_H
#define ODYNPLOT_H

#include <odynsys.h>
#include <petscvec.h>

/*S
   OdynPlot - an RGB canvas over a rectangle [xmin, xmax] x [ymin, ymax] of the plane, written as a PNG file; made for
   the 2-D figures of classification problems (paper 001, Sec. 6, Figures 4-6): labelled data as coloured dots,
   propagated features coloured by class, and the prediction over the plane as a light background under the data

   Level: beginner

   Notes:
   The canvas lives on rank 0 of the plot's communicator. Drawing calls are collective: every rank passes its own
   part of the data (possibly none), rank 0 gathers and draws. Class k is drawn in colour k mod 10 of a fixed palette
   (OdynPlotGetClassColor()). There is no text: put titles and legends in the document that shows the image.

.seealso: `OdynPlotCreate()`, `OdynPlotBackground()`, `OdynPlotPoints()`, `OdynPlotPointsVec()`, `OdynPlotAxes()`,
          `OdynPlotWrite()`
S*/
typedef struct _p_OdynPlot *OdynPlot;

PETSC_EXTERN PetscClassId ODYNPLOT_CLASSID;

/* Number of colours in the palette; class k uses colour k mod ODYN_PLOT_NUM_COLORS. */
#define ODYN_PLOT_NUM_COLORS 10

PETSC_EXTERN PetscErrorCode OdynPlotCreate(MPI_Comm, PetscInt, PetscInt, PetscReal, PetscReal, PetscReal, PetscReal, OdynPlot *);
PETSC_EXTERN PetscErrorCode OdynPlotClear(OdynPlot);
PETSC_EXTERN PetscErrorCode OdynPlotBackground(OdynPlot, PetscInt, PetscInt, PetscInt, const PetscInt[]);
PETSC_EXTERN PetscErrorCode OdynPlotPoints(OdynPlot, PetscInt, const PetscReal[], const PetscInt[], PetscInt, PetscBool);
PETSC_EXTERN PetscErrorCode OdynPlotPointsVec(OdynPlot, Vec, PetscInt, PetscInt, PetscInt, const PetscInt[], PetscInt, PetscBool);
PETSC_EXTERN PetscErrorCode OdynPlotAxes(OdynPlot);
PETSC_EXTERN PetscErrorCode OdynPlotWrite(OdynPlot, const char[]);
PETSC_EXTERN PetscErrorCode OdynPlotView(OdynPlot, PetscViewer);
PETSC_EXTERN PetscErrorCode OdynPlotDestroy(OdynPlot *);
PETSC_EXTERN PetscErrorCode OdynPlotGetClassColor(PetscInt, PetscBool, unsigned char[3]);

/*E
   OdynPlotColormap - how OdynPlotWriteImageGrid() turns values into colours

$  ODYN_PLOT_COLORMAP_GRAY      - black (the low end of the range) to white (the high end): data of one sign (pixels)
$  ODYN_PLOT_COLORMAP_DIVERGING - blue (-m) through white (0) to red (+m) over a symmetric range [-m, m]: signed data
                                  (features, weights), whose sign and zero stay visible whatever the range

   Level: intermediate

.seealso: `OdynPlotWriteImageGrid()`, `OdynPlotRange`
E*/
typedef enum {
  ODYN_PLOT_COLORMAP_GRAY,
  ODYN_PLOT_COLORMAP_DIVERGING
} OdynPlotColormap;
PETSC_EXTERN const char *const OdynPlotColormaps[];

/*E
   OdynPlotRange - the values that set the colour range of a tile in OdynPlotWriteImageGrid()

$  ODYN_PLOT_RANGE_TILE   - each tile its own (shows the structure of every tile, hides their relative sizes)
$  ODYN_PLOT_RANGE_COMMON - all tiles together (colours comparable across tiles)

   Level: intermediate

.seealso: `OdynPlotWriteImageGrid()`, `OdynPlotColormap`
E*/
typedef enum {
  ODYN_PLOT_RANGE_TILE,
  ODYN_PLOT_RANGE_COMMON
} OdynPlotRange;
PETSC_EXTERN const char *const OdynPlotRanges[];

PETSC_EXTERN PetscErrorCode OdynPlotWriteImageGrid(MPI_Comm, PetscInt, PetscInt, PetscInt, PetscInt, PetscInt, const PetscReal[], OdynPlotColormap, OdynPlotRange, PetscInt, const char[]);

#endif
