/*
   Backend memory: OdynBackendMalloc() / OdynBackendFree() and what odyn holds on each backend. Every allocation is
   recorded with its size, so that a run can say how much device memory it needs (current and peak bytes per backend
   table, OdynBackendGetMemoryUse()): on hostref these are exactly the buffers a cuda run allocates through odyn (the
   same code paths and sizes), so the device memory per example and its growth in depth can be measured without a
   GPU. Not counted: what the cuda table allocates for itself (cuBLAS's workspace, the reduction partials, the narrow
   kernels' scratch; docs/gpu.md "Memory").

   Live allocations are few (a handful of buffers per block and per loss), so a plain array with a linear search on
   release is enough.
*/
#include <petsc/private/petscimpl.h> /* PetscValidPointer() ... */
#include <odynsys.h>
#include <odyn/private/backend.h>

typedef struct {
  const OdynBackendOps *ops;
  const void           *ptr;
  size_t                bytes;
} Allocation;

typedef struct {
  const OdynBackendOps *ops;
  PetscLogDouble        current, peak;
} Usage;

static Allocation *live;        /* the live allocations */
static size_t      nlive, live_cap;
static Usage       usage[4];    /* per table: host, hostref, cuda (and room for one more) */
static PetscBool   finalize_registered = PETSC_FALSE;

static PetscErrorCode ReleaseRecords(void)
{
  PetscFunctionBegin;
  free(live); /* plain malloc: the records outlive PETSc's -malloc_dump check of the objects */
  live     = NULL;
  nlive    = 0;
  live_cap = 0;
  PetscCall(PetscMemzero(usage, sizeof(usage)));
  finalize_registered = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static Usage *UsageOf(const OdynBackendOps *ops)
{
  for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
    if (usage[i].ops == ops) return &usage[i];
    if (!usage[i].ops) {
      usage[i].ops = ops;
      return &usage[i];
    }
  }
  return NULL; /* more tables than odyn has: not counted */
}

static PetscErrorCode Record(const OdynBackendOps *ops, const void *ptr, size_t bytes)
{
  Usage *u = UsageOf(ops);

  PetscFunctionBegin;
  if (!finalize_registered) {
    PetscCall(PetscRegisterFinalize(ReleaseRecords));
    finalize_registered = PETSC_TRUE;
  }
  if (nlive == live_cap) {
    size_t      cap = live_cap ? 2 * live_cap : 64;
    Allocation *a   = (Allocation *)realloc(live, cap * sizeof(Allocation));

    PetscCheck(a, PETSC_COMM_SELF, PETSC_ERR_MEM, "Could not grow the record of backend allocations to %zu entries", cap);
    live     = a;
    live_cap = cap;
  }
  live[nlive].ops   = ops;
  live[nlive].ptr   = ptr;
  live[nlive].bytes = bytes;
  nlive++;
  if (u) {
    u->current += (PetscLogDouble)bytes;
    u->peak = PetscMax(u->peak, u->current);
  }
  PetscFunctionReturn(0);
}

static void Forget(const void *ptr)
{
  for (size_t i = nlive; i-- > 0;) /* the latest first: buffers are often freed in reverse */
    if (live[i].ptr == ptr) {
      Usage *u = UsageOf(live[i].ops);

      if (u) u->current -= (PetscLogDouble)live[i].bytes;
      live[i] = live[--nlive];
      return;
    }
}

/*@C
   OdynBackendMalloc - allocates memory of a backend (device memory for cuda)

   Not Collective

   Input Parameters:
+  ops - the backend
-  bytes - the size; 0 gives NULL

   Output Parameter:
.  ptr - the memory, to be released with `OdynBackendFree()`

   Level: developer

   Notes:
   A failed allocation (for instance more than the device has) is a PETSC_ERR_MEM error that names the bytes asked for
   (and, on the device, how much memory it has free); nothing is allocated then. Every allocation is counted for its
   backend (`OdynBackendGetMemoryUse()`).

.seealso: `OdynBackendFree()`, `OdynBackendGet()`, `OdynBackendGetMemoryUse()`
@*/
PetscErrorCode OdynBackendMalloc(const OdynBackendOps *ops, size_t bytes, void **ptr)
{
  int st;

  PetscFunctionBegin;
  PetscValidPointer(ops, 1);
  PetscValidPointer(ptr, 3);
  *ptr = NULL;
  st   = ops->mem_alloc(bytes, ptr);
  PetscCheck(st != ODYN_BACKEND_ERR_MEM, PETSC_COMM_SELF, PETSC_ERR_MEM, "%s backend: could not allocate %zu bytes (%.4g GiB): %s", ops->name, bytes, (double)bytes / 1073741824.0, ops->last_error());
  PetscCall(OdynBackendCheckStatus(ops, st, "mem_alloc"));
  if (*ptr) PetscCall(Record(ops, *ptr, bytes));
  PetscFunctionReturn(0);
}

/*@C
   OdynBackendFree - releases memory from `OdynBackendMalloc()` and sets the pointer to NULL

   Not Collective

   Level: developer

.seealso: `OdynBackendMalloc()`
@*/
PetscErrorCode OdynBackendFree(const OdynBackendOps *ops, void **ptr)
{
  PetscFunctionBegin;
  PetscValidPointer(ops, 1);
  PetscValidPointer(ptr, 2);
  PetscCall(OdynBackendCheckStatus(ops, ops->mem_free(*ptr), "mem_free"));
  if (*ptr) Forget(*ptr);
  *ptr = NULL;
  PetscFunctionReturn(0);
}

/*@C
   OdynBackendGetMemoryUse - the memory odyn holds on a backend in this process: now and at most so far

   Not Collective

   Input Parameter:
.  ops - the backend (`OdynBackendGet()`)

   Output Parameters:
+  current - bytes allocated with `OdynBackendMalloc()` and not yet freed (or NULL)
-  peak - the largest such total since the start or `OdynBackendResetMemoryPeak()` (or NULL)

   Level: intermediate

   Notes:
   Every buffer of the blocks, the network and the loss on a backend goes through `OdynBackendMalloc()`: their states,
   trajectories, linearizations, parameter mirrors and the loss's copies of the data. On `ODYNBACKENDHOSTREF` these
   are exactly the buffers a `ODYNBACKENDCUDA` run allocates through odyn, so its numbers are the device memory a GPU
   run needs (without cuBLAS's workspace and the cuda table's own small scratch), measurable without a GPU. The
   examples print the peak (largest rank) on their "odyn memory" line when a network runs on a backend.

.seealso: `OdynBackendMalloc()`, `OdynBackendResetMemoryPeak()`
@*/
PetscErrorCode OdynBackendGetMemoryUse(const OdynBackendOps *ops, PetscLogDouble *current, PetscLogDouble *peak)
{
  Usage *u;

  PetscFunctionBegin;
  PetscValidPointer(ops, 1);
  u = UsageOf(ops);
  if (current) *current = u ? u->current : 0;
  if (peak) *peak = u ? u->peak : 0;
  PetscFunctionReturn(0);
}

/*@C
   OdynBackendResetMemoryPeak - starts the peak of `OdynBackendGetMemoryUse()` again from the memory held now

   Not Collective

   Input Parameter:
.  ops - the backend

   Level: intermediate

.seealso: `OdynBackendGetMemoryUse()`
@*/
PetscErrorCode OdynBackendResetMemoryPeak(const OdynBackendOps *ops)
{
  Usage *u;

  PetscFunctionBegin;
  PetscValidPointer(ops, 1);
  if ((u = UsageOf(ops))) u->peak = u->current;
  PetscFunctionReturn(0);
}
