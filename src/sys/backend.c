/*
   The PETSc side of the compute backends (issue 8, docs/gpu.md): the tables of include/odyn/private/backend.h by name
   (-odyn_backend host|cuda), and their int status codes turned into PETSc errors. The backend sources include no
   PETSc header, so everything that needs a communicator or PETSc's error handling is here.
*/
#if !defined(_GNU_SOURCE)
  #define _GNU_SOURCE /* dladdr() */
#endif
#include <petsc/private/petscimpl.h> /* PetscValidPointer() ... */
#include <odynsys.h>
#include <odyn/private/backend.h>
#include <odyn/private/odynimpl.h>

#if defined(ODYN_HAVE_CUDA)
  #include <dlfcn.h>
  #include <string.h>

/*
   libodyn does not link libodyn_cuda.so: it loads it (dlopen) when "cuda" is first asked for. Linking it would make
   every odyn process load cuBLAS at start-up, and libcublasLt.so.13 alone costs 0.7 s and 210 MiB of resident memory
   per process (measured on the build machine), for programs that run on the host. The table is reached through one
   symbol, odyn_backend_cuda(); a program that links libodyn_cuda.so itself (the GPU tests) gets the same library,
   hence the same device state, from dlopen.
*/
static const OdynBackendOps *cuda_ops                 = NULL;
static PetscBool             cuda_finalize_registered = PETSC_FALSE;

/* the table from libodyn_cuda.so, or NULL with the reason in msg (no PETSc error: the caller reduces over the ranks) */
static const OdynBackendOps *OdynBackendLoadCUDA_Private(char msg[], size_t len)
{
  if (!cuda_ops) {
    Dl_info     info;
    void       *lib = NULL, *sym;
    char        path[PETSC_MAX_PATH_LEN], first[512] = "";
    const char *err;

    /* beside libodyn.so (the build tree, the installed libdir), then the library search path (a static libodyn.a) */
    if (dladdr((void *)OdynBackendGet, &info) && info.dli_fname && strrchr(info.dli_fname, '/') && strlen(info.dli_fname) + 16 < sizeof(path)) {
      strcpy(path, info.dli_fname);
      strcpy(strrchr(path, '/') + 1, "libodyn_cuda.so");
      if (!(lib = dlopen(path, RTLD_NOW | RTLD_LOCAL)) && (err = dlerror())) snprintf(first, sizeof(first), "%s; ", err);
    }
    if (!lib && !(lib = dlopen("libodyn_cuda.so", RTLD_NOW | RTLD_LOCAL))) {
      err = dlerror();
      snprintf(msg, len, "odyn was built with CUDA but libodyn_cuda.so could not be loaded (%s%s): it belongs beside libodyn.so and needs libcudart.so.13 and libcublas.so.13", first, err ? err : "");
      return NULL;
    }
    if (!(sym = dlsym(lib, "odyn_backend_cuda"))) {
      snprintf(msg, len, "libodyn_cuda.so has no odyn_backend_cuda()");
      return NULL;
    }
    cuda_ops = ((const OdynBackendOps *(*)(void))sym)();
    if (cuda_ops) {
      int count, miss = odyn_backend_ops_first_missing(cuda_ops, &count);

      if (miss >= 0) {
        snprintf(msg, len, "libodyn_cuda.so's operations table lacks member %d of %d (backend.h's OdynBackendOps): an operation backend.cu does not register, or a libodyn_cuda.so built from other sources than libodyn.so", miss, count);
        cuda_ops = NULL;
        return NULL;
      }
    }
  }
  return cuda_ops;
}

/* releases the cuda backend's stream, cuBLAS handle and workspaces at PetscFinalize() */
static PetscErrorCode OdynBackendFinalizeCUDA_Private(void)
{
  PetscFunctionBegin;
  cuda_finalize_registered = PETSC_FALSE;
  if (cuda_ops) PetscCall(OdynBackendCheckStatus(cuda_ops, cuda_ops->finalize(), "finalize"));
  PetscFunctionReturn(0);
}
#endif

/*@C
   OdynBackendIsBuilt - whether this build of odyn has a backend

   Not Collective

   Input Parameter:
.  name - `ODYNBACKENDHOST`, `ODYNBACKENDHOSTREF` or `ODYNBACKENDCUDA`

   Output Parameter:
.  built - `PETSC_TRUE` for "host" and "hostref" always, for "cuda" when odyn was built with the CUDA backend (cmake
   -DODYN_WITH_CUDA, docs/gpu.md); `PETSC_FALSE` for any other name

   Level: intermediate

   Notes:
   A built backend may still be unusable: "cuda" needs a device, which `OdynBackendGet()` looks for.

.seealso: `OdynBackendGet()`
@*/
PetscErrorCode OdynBackendIsBuilt(OdynBackendType name, PetscBool *built)
{
  PetscBool ishost, isref, iscuda;

  PetscFunctionBegin;
  PetscValidCharPointer(name, 1);
  PetscValidBoolPointer(built, 2);
  PetscCall(PetscStrcmp(name, ODYNBACKENDHOST, &ishost));
  PetscCall(PetscStrcmp(name, ODYNBACKENDHOSTREF, &isref));
  PetscCall(PetscStrcmp(name, ODYNBACKENDCUDA, &iscuda));
#if defined(ODYN_HAVE_CUDA)
  *built = (ishost || isref || iscuda) ? PETSC_TRUE : PETSC_FALSE;
#else
  *built = (ishost || isref) ? PETSC_TRUE : PETSC_FALSE;
#endif
  PetscFunctionReturn(0);
}

/* a known name whose backend is built, or a clear error: the unknown name with the known ones, or how to rebuild */
PetscErrorCode OdynBackendCheckName_Private(MPI_Comm comm, const char name[])
{
  PetscBool ishost, isref, iscuda, built;

  PetscFunctionBegin;
  PetscCall(PetscStrcmp(name, ODYNBACKENDHOST, &ishost));
  PetscCall(PetscStrcmp(name, ODYNBACKENDHOSTREF, &isref));
  PetscCall(PetscStrcmp(name, ODYNBACKENDCUDA, &iscuda));
  PetscCheck(ishost || isref || iscuda, comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown compute backend \"%s\" (-odyn_backend): the known backends are %s, %s, %s", name, ODYNBACKENDHOST, ODYNBACKENDHOSTREF, ODYNBACKENDCUDA);
  PetscCall(OdynBackendIsBuilt(name, &built));
  PetscCheck(built, comm, PETSC_ERR_SUP,
             "-odyn_backend cuda: odyn was built without CUDA. Rebuild with cmake -DODYN_WITH_CUDA=ON (nvcc on PATH or at /usr/local/cuda/bin, or "
             "-DCMAKE_CUDA_COMPILER=/path/to/nvcc; -DCMAKE_CUDA_ARCHITECTURES=90 for H100/H200), see docs/gpu.md");
  PetscFunctionReturn(0);
}

/*@C
   OdynBackendGet - the operations table of a compute backend, ready to use

   Collective

   Input Parameters:
+  comm - the ranks that will use the backend (with "cuda", rank r uses device r % number of devices)
-  name - `ODYNBACKENDHOST` ("host"), `ODYNBACKENDHOSTREF` ("hostref": the host table under another name, see
   `OdynNetSetBackend()`) or `ODYNBACKENDCUDA` ("cuda")

   Output Parameter:
.  ops - the table (static storage: not to be freed); its operations return int status codes, which
   `OdynBackendCheckStatus()` turns into PETSc errors

   Level: intermediate

   Notes:
   Errors: an unknown name (the message lists the known ones), "cuda" in a build without CUDA (the message says how to
   rebuild), "cuda" where a rank finds no CUDA device (the message carries cudaGetDeviceCount's; every rank fails, so
   that none is left waiting). The cuda backend's stream and cuBLAS handle are released at `PetscFinalize()`.

   The table's layout, its memory model and its operations are documented in include/odyn/private/backend.h.

.seealso: `OdynBackendFromOptions()`, `OdynBackendIsBuilt()`, `OdynBackendMalloc()`
@*/
PetscErrorCode OdynBackendGet(MPI_Comm comm, OdynBackendType name, const OdynBackendOps **ops)
{
  PetscBool ishost, isref;

  PetscFunctionBegin;
  PetscValidCharPointer(name, 2);
  PetscValidPointer(ops, 3);
  *ops = NULL;
  PetscCall(OdynBackendCheckName_Private(comm, name));
  PetscCall(PetscStrcmp(name, ODYNBACKENDHOST, &ishost));
  PetscCall(PetscStrcmp(name, ODYNBACKENDHOSTREF, &isref));
  if (ishost || isref) {
    *ops = ishost ? odyn_backend_host() : odyn_backend_hostref();
    PetscFunctionReturn(0);
  }
#if defined(ODYN_HAVE_CUDA)
  {
    const OdynBackendOps *cuda;
    PetscMPIInt           rank;
    int                   st, stmax;
    char                  msg[512] = "";

    PetscCallMPI(MPI_Comm_rank(comm, &rank));
    if (!(cuda = OdynBackendLoadCUDA_Private(msg, sizeof(msg)))) st = ODYN_BACKEND_ERR_DEVICE;
    else if ((st = cuda->init(rank))) PetscCall(PetscStrncpy(msg, cuda->last_error(), sizeof(msg)));
    PetscCallMPI(MPIU_Allreduce(&st, &stmax, 1, MPI_INT, MPI_MAX, comm));
    if (stmax) {
      PetscCheck(st != ODYN_BACKEND_ERR_NODEVICE, comm, PETSC_ERR_SUP_SYS, "-odyn_backend cuda: no CUDA device was found on rank %d (%s)", (int)rank, msg);
      PetscCheck(!st, comm, PETSC_ERR_GPU, "-odyn_backend cuda: rank %d cannot use the cuda backend: %s", (int)rank, msg);
      SETERRQ(comm, PETSC_ERR_SUP_SYS, "-odyn_backend cuda: another rank found no usable CUDA device (its message says why)");
    }
    if (!cuda_finalize_registered) {
      PetscCall(PetscRegisterFinalize(OdynBackendFinalizeCUDA_Private));
      cuda_finalize_registered = PETSC_TRUE;
    }
    *ops = cuda;
  }
#endif
  PetscFunctionReturn(0);
}

/*@C
   OdynBackendFromOptions - the compute backend named by -odyn_backend (default host)

   Collective

   Input Parameter:
.  comm - the ranks that will use it

   Output Parameter:
.  ops - the table, as from `OdynBackendGet()`

   Options Database Key:
.  -odyn_backend <host> - host, hostref or cuda

   Level: intermediate

   Notes:
   Reads the global options database. Networks read -odyn_backend themselves (`OdynNetSetFromOptions()`,
   `OdynNetSetBackend()`: which blocks run on a backend, docs/gpu.md).

.seealso: `OdynBackendGet()`
@*/
PetscErrorCode OdynBackendFromOptions(MPI_Comm comm, const OdynBackendOps **ops)
{
  char name[64] = ODYNBACKENDHOST;

  PetscFunctionBegin;
  PetscValidPointer(ops, 2);
  PetscOptionsBegin(comm, NULL, "odyn compute backend", "OdynBackend");
  PetscCall(PetscOptionsString("-odyn_backend", "Compute backend: host, hostref or cuda", "OdynBackendGet", name, name, sizeof(name), NULL));
  PetscOptionsEnd();
  /* after PetscOptionsEnd: an error inside the block would leak it (PETSc 3.18) */
  PetscCall(OdynBackendGet(comm, name, ops));
  PetscFunctionReturn(0);
}

/*@C
   OdynBackendCheckStatus - turns the status of a backend operation into a PETSc error (nothing when it is 0)

   Not Collective

   Input Parameters:
+  ops - the table that returned it
.  status - the status (ODYN_BACKEND_OK or ODYN_BACKEND_ERR_* of include/odyn/private/backend.h)
-  op - the operation's name, for the message

   Level: developer

   Notes:
   PETSc error codes: PETSC_ERR_MEM (allocation), PETSC_ERR_ARG_OUTOFRANGE (sizes), PETSC_ERR_SUP_SYS (no device),
   PETSC_ERR_GPU (device runtime or cuBLAS), PETSC_ERR_LIB (host BLAS), PETSC_ERR_ARG_WRONG (bad argument). The message
   carries the backend's own (ops->last_error()). `OdynBackendCall()` wraps a call of an operation with it.

.seealso: `OdynBackendGet()`
@*/
PetscErrorCode OdynBackendCheckStatus(const OdynBackendOps *ops, int status, const char op[])
{
  PetscErrorCode code;
  PetscBool      cuda;

  PetscFunctionBegin;
  if (!status) PetscFunctionReturn(0);
  PetscValidPointer(ops, 1);
  PetscCall(PetscStrcmp(ops->name, ODYNBACKENDCUDA, &cuda));
  switch (status) {
  case ODYN_BACKEND_ERR_MEM:
    code = PETSC_ERR_MEM;
    break;
  case ODYN_BACKEND_ERR_SIZE:
    code = PETSC_ERR_ARG_OUTOFRANGE;
    break;
  case ODYN_BACKEND_ERR_NODEVICE:
    code = PETSC_ERR_SUP_SYS;
    break;
  case ODYN_BACKEND_ERR_ARG:
    code = PETSC_ERR_ARG_WRONG;
    break;
  case ODYN_BACKEND_ERR_BLAS:
    code = cuda ? PETSC_ERR_GPU : PETSC_ERR_LIB;
    break;
  default:
    code = cuda ? PETSC_ERR_GPU : PETSC_ERR_LIB;
  }
  SETERRQ(PETSC_COMM_SELF, code, "%s backend: %s failed (status %d): %s", ops->name, op ? op : "an operation", status, ops->last_error());
}


/* a copy of len doubles between host and backend memory, timed by the -log_view events OdynBackendToDev /
   OdynBackendToHost (on a GPU, the run's PCIe time) and its bytes added to *counter (the blocks' and the loss's counts) */
PetscErrorCode OdynBackendToDevice_Private(const OdynBackendOps *ops, double *dst, const PetscScalar *src, PetscInt len, PetscLogDouble *counter)
{
  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ODYN_BackendToDevice, 0, 0, 0, 0));
  OdynBackendCall(ops, copy_to_device, dst, src, (size_t)len * sizeof(double));
  PetscCall(PetscLogEventEnd(ODYN_BackendToDevice, 0, 0, 0, 0));
  *counter += (PetscLogDouble)len * sizeof(double);
  PetscFunctionReturn(0);
}

PetscErrorCode OdynBackendToHost_Private(const OdynBackendOps *ops, PetscScalar *dst, const double *src, PetscInt len, PetscLogDouble *counter)
{
  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ODYN_BackendToHost, 0, 0, 0, 0));
  OdynBackendCall(ops, copy_to_host, dst, src, (size_t)len * sizeof(double));
  PetscCall(PetscLogEventEnd(ODYN_BackendToHost, 0, 0, 0, 0));
  *counter += (PetscLogDouble)len * sizeof(double);
  PetscFunctionReturn(0);
}

