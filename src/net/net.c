#include <odyn/private/netimpl.h>
#include <odyn/private/odynimpl.h>

static PetscBool      OdynNetChained_Private(OdynNet, PetscInt);
static PetscErrorCode OdynNetTangent_Private(OdynNet, Vec, Vec, Vec, const double **);
static PetscErrorCode OdynNetAdjoint_Private(OdynNet, Vec, const double *, Vec, Vec);

/*@
   OdynNetCreate - creates an empty network; add blocks with OdynNetAddBlock() or -odyn_net_num_blocks

   Collective

   Input Parameter:
.  comm - the communicator the examples are distributed over

   Output Parameter:
.  net - the network

   Level: beginner

.seealso: `OdynNetAddBlock()`, `OdynNetSetFromOptions()`, `OdynNetForward()`
@*/
PetscErrorCode OdynNetCreate(MPI_Comm comm, OdynNet *net)
{
  OdynNet nt;

  PetscFunctionBegin;
  PetscValidPointer(net, 2);
  *net = NULL;
  PetscCall(OdynInitializePackage());
  PetscCall(PetscHeaderCreate(nt, ODYNNET_CLASSID, "OdynNet", "Network of time-stepping blocks", "OdynNet", comm, OdynNetDestroy, OdynNetView));
  nt->s        = -1;
  nt->handover = PETSC_TRUE;
  *net         = nt;
  PetscFunctionReturn(0);
}

PetscErrorCode OdynNetReset_Private(OdynNet net)
{
  PetscFunctionBegin;
  PetscCall(VecScatterDestroy(&net->toall));
  PetscCall(VecDestroy(&net->thetaall));
  PetscCall(VecDestroy(&net->dall));
  PetscCall(PetscFree2(net->buf[0], net->buf[1]));
  net->bufcap      = 0;
  net->s           = -1;
  net->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@
   OdynNetDestroy - destroys the network and drops its references to the blocks

   Collective

   Level: beginner

.seealso: `OdynNetCreate()`
@*/
PetscErrorCode OdynNetDestroy(OdynNet *net)
{
  PetscFunctionBegin;
  if (!*net) PetscFunctionReturn(0);
  PetscValidHeaderSpecific(*net, ODYNNET_CLASSID, 1);
  if (--((PetscObject)(*net))->refct > 0) {
    *net = NULL;
    PetscFunctionReturn(0);
  }
  PetscCall(OdynNetReset_Private(*net));
  for (PetscInt b = 0; b < (*net)->nblocks; b++) PetscCall(OdynSchemeDestroy(&(*net)->blocks[b]));
  PetscCall(PetscFree((*net)->blocks));
  PetscCall(PetscFree((*net)->offset));
  PetscCall(PetscHeaderDestroy(net));
  PetscFunctionReturn(0);
}

/*@
   OdynNetAddBlock - appends a block; the network keeps a reference

   Collective

   Level: beginner

   Notes:
   The width of a block's output must equal the width of the next block's input.

.seealso: `OdynNetGetBlock()`, `OdynSchemeCreate()`
@*/
PetscErrorCode OdynNetAddBlock(OdynNet net, OdynScheme block)
{
  OdynScheme *blocks;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidHeaderSpecific(block, ODYNSCHEME_CLASSID, 2);
  PetscCall(PetscMalloc1(net->nblocks + 1, &blocks));
  if (net->nblocks) PetscCall(PetscArraycpy(blocks, net->blocks, net->nblocks));
  PetscCall(PetscFree(net->blocks));
  PetscCall(PetscObjectReference((PetscObject)block));
  blocks[net->nblocks++] = block;
  net->blocks            = blocks;
  PetscCall(OdynNetReset_Private(net));
  PetscFunctionReturn(0);
}

/*@
   OdynNetGetNumBlocks - number of blocks

   Not Collective

   Level: beginner

.seealso: `OdynNetAddBlock()`
@*/
PetscErrorCode OdynNetGetNumBlocks(OdynNet net, PetscInt *nb)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidIntPointer(nb, 2);
  *nb = net->nblocks;
  PetscFunctionReturn(0);
}

/*@
   OdynNetGetBlock - borrows block b

   Not Collective

   Level: beginner

.seealso: `OdynNetAddBlock()`
@*/
PetscErrorCode OdynNetGetBlock(OdynNet net, PetscInt b, OdynScheme *block)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidPointer(block, 3);
  PetscCheck(b >= 0 && b < net->nblocks, PetscObjectComm((PetscObject)net), PETSC_ERR_ARG_OUTOFRANGE, "Block %" PetscInt_FMT " out of range: the network has %" PetscInt_FMT " block(s)", b, net->nblocks);
  *block = net->blocks[b];
  PetscFunctionReturn(0);
}

/*@C
   OdynNetSetOptionsPrefix - sets the prefix of the network's options

   Logically Collective

   Level: intermediate

.seealso: `OdynNetSetFromOptions()`
@*/
PetscErrorCode OdynNetSetOptionsPrefix(OdynNet net, const char prefix[])
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscCall(PetscObjectSetOptionsPrefix((PetscObject)net, prefix));
  PetscFunctionReturn(0);
}

/*@C
   OdynNetSetBackend - the compute backend of all the network's blocks

   Collective

   Input Parameters:
+  net - the network
-  name - `ODYNBACKENDHOST` (the default: every block's sweeps in the host code of its scheme and layer),
   `ODYNBACKENDCUDA` (each block's whole sweeps on the GPU, its states in GPU memory: `OdynSchemeSetBackend()`) or
   `ODYNBACKENDHOSTREF` (that path with host memory and the host kernels, equal to host bit for bit: for tests)

   Options Database Key:
.  -odyn_backend <host> - read by `OdynNetSetFromOptions()`

   Level: intermediate

   Notes:
   With a backend other than host every block must be one the backend runs (`OdynSchemeSetBackend()` lists them:
   the dense Euler, leapfrog, parabolic and Verlet blocks and paper 000's conv blocks, activation tanh, relu or
   identity, shared weights or not); `OdynNetSetUp()` and `OdynNetSetFromOptions()` stop with PETSC_ERR_SUP naming
   the first block that is not, rather than run it on the host. A block with an options prefix of its own may choose
   another backend: -block<b>_odyn_backend host keeps block b (e.g. the MNIST network's opening layer) on the host path. The parameters, the gradient and every Vec stay on
   the host; per sweep each block copies theta (forward) or dtheta in, its input states in and its output states out,
   and its parameter gradient out (docs/gpu.md). Errors of the name (unknown, not built) and of the device (none found)
   are those of `OdynBackendGet()`.

.seealso: `OdynSchemeSetBackend()`, `OdynBackendGet()`, `OdynNetSetFromOptions()`
@*/
PetscErrorCode OdynNetSetBackend(OdynNet net, OdynBackendType name)
{
  const OdynBackendOps *ops;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidCharPointer(name, 2);
  PetscCall(OdynBackendGet(PetscObjectComm((PetscObject)net), name, &ops));
  if (ops == odyn_backend_host()) ops = NULL;
  if (ops != net->backend) net->setupcalled = PETSC_FALSE; /* OdynNetSetUp() hands it to the blocks */
  net->backend = ops;
  PetscFunctionReturn(0);
}

/*@
   OdynNetSetBackendHandover - whether states go from block to block, and from the network to the loss, in backend
   memory when both sides run on the same backend

   Logically Collective

   Input Parameters:
+  net - the network
-  flg - PETSC_TRUE (the default): consecutive blocks on one backend read each other's outputs where they lie, and the
   Gauss-Newton product hands the output direction to a loss on that backend there; PETSC_FALSE: every state goes
   through the host between blocks, as between blocks on different backends (the same results; to compare the
   traffic, or to isolate a difference)

   Options Database Key:
.  -odyn_net_backend_handover <true> - the same

   Level: advanced

   Notes:
   A change takes effect at the next `OdynNetForward()` (the Jacobian products need one first).
   `OdynSchemeView()` prints what each block copied between host and backend, `OdynNetView()` the network's total
   (docs/gpu.md, "States between blocks").

.seealso: `OdynNetSetBackend()`, `OdynLossSetBackend()`
@*/
PetscErrorCode OdynNetSetBackendHandover(OdynNet net, PetscBool flg)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidLogicalCollectiveBool(net, flg, 2);
  if (flg != net->handover) net->s = -1; /* the last forward's hops used the other way: sweep forward again */
  net->handover = flg;
  PetscFunctionReturn(0);
}

/*@C
   OdynNetGetBackend - the name of the network's compute backend

   Not Collective

   Output Parameter:
.  name - "host", "hostref" or "cuda" (static storage)

   Level: intermediate

.seealso: `OdynNetSetBackend()`
@*/
PetscErrorCode OdynNetGetBackend(OdynNet net, OdynBackendType *name)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidPointer(name, 2);
  *name = net->backend ? net->backend->name : ODYNBACKENDHOST;
  PetscFunctionReturn(0);
}

/*
   The backend of block b: the network's, unless the block's own options say otherwise (-block<b>_odyn_backend host: a
   block the backend cannot run, such as the MNIST network's opening layer, stays on the host path by the user's
   explicit choice, never in silence). A block without an options prefix of its own shares the network's option.
*/
static PetscErrorCode OdynNetBlockBackend_Private(OdynNet net, PetscInt b, const OdynBackendOps **ops)
{
  const char *prefix, *nprefix;
  char        name[64];
  PetscBool   flg, same;

  PetscFunctionBegin;
  *ops = net->backend;
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)net->blocks[b], &prefix));
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)net, &nprefix));
  PetscCall(PetscStrcmp(prefix, nprefix, &same));
  if (!prefix || same) PetscFunctionReturn(0);
  PetscCall(PetscOptionsGetString(((PetscObject)net->blocks[b])->options, prefix, "-odyn_backend", name, sizeof(name), &flg));
  if (!flg) PetscFunctionReturn(0);
  PetscCall(OdynBackendGet(PetscObjectComm((PetscObject)net), name, ops));
  if (*ops == odyn_backend_host()) *ops = NULL;
  PetscFunctionReturn(0);
}

/* every block runs on its backend, or a PETSC_ERR_SUP error names the first that cannot (before set-up) */
static PetscErrorCode OdynNetCheckBackend_Private(OdynNet net)
{
  PetscFunctionBegin;
  for (PetscInt b = 0; b < net->nblocks; b++) {
    PetscBool             ok;
    char                  why[256];
    const char           *prefix;
    const OdynBackendOps *ops;

    PetscCall(OdynNetBlockBackend_Private(net, b, &ops));
    if (!ops) continue;
    PetscCall(OdynSchemeBackendSupported_Private(net->blocks[b], &ok, why, sizeof(why)));
    PetscCall(PetscObjectGetOptionsPrefix((PetscObject)net->blocks[b], &prefix));
    PetscCheck(ok, PetscObjectComm((PetscObject)net), PETSC_ERR_SUP,
               "-odyn_backend %s: block %" PetscInt_FMT "%s%s%s of the network (%s) cannot run on it: the %s backend runs only " ODYN_BACKEND_SUPPORTED_BLOCKS
               ", so far. Use -odyn_backend host for this network, or -%sodyn_backend host for this block (docs/gpu.md)",
               ops->name, b, prefix ? " (options prefix " : "", prefix ? prefix : "", prefix ? ")" : "", why, ops->name, prefix ? prefix : "");
  }
  PetscFunctionReturn(0);
}

/*@
   OdynNetSetFromOptions - builds the blocks from the options database (when none were added) and sets each one

   Collective

   Options Database Keys:
+  -odyn_net_num_blocks <1> - number of blocks to create when none were added
.  -odyn_backend <host> - compute backend: host, cuda (dense Euler and leapfrog, Verlet and 3x3 conv and convantisym Euler tanh blocks on the GPU),
   hostref (that path on the host, for tests); see `OdynNetSetBackend()` and docs/gpu.md
.  -block<b>_odyn_backend <host> - block b's own backend instead of the network's (read at `OdynNetSetUp()`), e.g. the
   MNIST network's opening layer kept on the host with -odyn_backend cuda
-  -block<b>_odyn_scheme_type ... - with several blocks, block b's options carry the prefix block<b>_
   (one block takes the options without prefix: -odyn_scheme_type, -odyn_layer_type, ...)

   Level: beginner

.seealso: `OdynSchemeSetFromOptions()`, `OdynLayerSetFromOptions()`
@*/
PetscErrorCode OdynNetSetFromOptions(OdynNet net)
{
  PetscInt    nb = 1;
  const char *prefix;
  char        backend[64];
  PetscBool   bflg;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscCall(PetscStrncpy(backend, net->backend ? net->backend->name : ODYNBACKENDHOST, sizeof(backend)));
  PetscObjectOptionsBegin((PetscObject)net);
  PetscCall(PetscOptionsInt("-odyn_net_num_blocks", "Number of blocks to create (when none were added)", "OdynNetAddBlock", nb, &nb, NULL));
  PetscCall(PetscOptionsString("-odyn_backend", "Compute backend: host, cuda (the blocks of docs/gpu.md on the GPU), hostref (that path on the host)", "OdynNetSetBackend", backend, backend, sizeof(backend), &bflg));
  PetscCall(PetscOptionsBool("-odyn_net_backend_handover", "Hand states between blocks on one backend, and to the loss on it, over in its memory (false: through the host, to compare)", "OdynNetSetBackendHandover", net->handover, &net->handover, NULL));
  PetscOptionsEnd();
  /* after PetscOptionsEnd(): an error inside the block would leak it */
  if (bflg) PetscCall(OdynNetSetBackend(net, backend));
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)net, &prefix));
  if (!net->nblocks) {
    PetscCheck(nb >= 1, PetscObjectComm((PetscObject)net), PETSC_ERR_ARG_OUTOFRANGE, "-odyn_net_num_blocks must be >= 1, got %" PetscInt_FMT, nb);
    for (PetscInt b = 0; b < nb; b++) {
      OdynScheme block;
      char       bprefix[256];

      PetscCall(OdynSchemeCreate(PetscObjectComm((PetscObject)net), &block));
      if (nb > 1) {
        PetscCall(PetscSNPrintf(bprefix, sizeof(bprefix), "%sblock%" PetscInt_FMT "_", prefix ? prefix : "", b));
        PetscCall(OdynSchemeSetOptionsPrefix(block, bprefix));
      } else if (prefix) PetscCall(OdynSchemeSetOptionsPrefix(block, prefix));
      PetscCall(OdynNetAddBlock(net, block));
      PetscCall(OdynSchemeDestroy(&block));
    }
  }
  for (PetscInt b = 0; b < net->nblocks; b++) PetscCall(OdynSchemeSetFromOptions(net->blocks[b]));
  PetscCall(OdynNetReset_Private(net));
  PetscCall(OdynNetCheckBackend_Private(net)); /* a block the backend cannot run: say so now, not at the first sweep */
  PetscFunctionReturn(0);
}

/*@
   OdynNetSetUp - sets the blocks up, checks that their widths chain, and lays out the parameters

   Collective

   Level: intermediate

.seealso: `OdynNetCreateParameterVec()`
@*/
PetscErrorCode OdynNetSetUp(OdynNet net)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  if (net->setupcalled) PetscFunctionReturn(0);
  PetscCheck(net->nblocks > 0, PetscObjectComm((PetscObject)net), PETSC_ERR_ARG_WRONGSTATE, "The network has no blocks: call OdynNetAddBlock() or OdynNetSetFromOptions()");
  PetscCall(OdynNetCheckBackend_Private(net));
  for (PetscInt b = 0; b < net->nblocks; b++) {
    const OdynBackendOps *ops;

    PetscCall(OdynNetBlockBackend_Private(net, b, &ops));
    PetscCall(OdynSchemeSetBackendOps_Private(net->blocks[b], ops));
  }
  PetscCall(PetscFree(net->offset));
  PetscCall(PetscMalloc1(net->nblocks + 1, &net->offset));
  net->offset[0] = 0;
  net->nmax      = 0;
  for (PetscInt b = 0; b < net->nblocks; b++) {
    PetscInt np, n, nout;

    PetscCall(OdynSchemeSetUp(net->blocks[b]));
    PetscCall(OdynSchemeGetNumParameters(net->blocks[b], &np));
    PetscCall(OdynSchemeGetWidth(net->blocks[b], &n));
    PetscCall(OdynSchemeGetOutputWidth(net->blocks[b], &nout)); /* differs from n for single blocks (connectors) */
    if (b == 0) net->nin = n;
    else PetscCheck(n == net->nout, PetscObjectComm((PetscObject)net), PETSC_ERR_ARG_SIZ, "Block %" PetscInt_FMT " has width %" PetscInt_FMT " but block %" PetscInt_FMT " produces width %" PetscInt_FMT, b, n, b - 1, net->nout);
    net->nout          = nout;
    net->nmax          = PetscMax(net->nmax, PetscMax(n, nout));
    net->offset[b + 1] = net->offset[b] + np;
  }
  net->nparam      = net->offset[net->nblocks];
  net->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/*@C
   OdynNetView - prints the blocks and the parameter layout

   Collective

   Level: beginner

.seealso: `OdynSchemeView()`
@*/
PetscErrorCode OdynNetView(OdynNet net, PetscViewer viewer)
{
  PetscBool isascii;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PetscObjectComm((PetscObject)net), &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  PetscCall(OdynNetSetUp(net));
  PetscCall(PetscObjectPrintClassNamePrefixType((PetscObject)net, viewer));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " block(s), %" PetscInt_FMT " parameters, input width %" PetscInt_FMT ", output width %" PetscInt_FMT "\n", net->nblocks, net->nparam, net->nin, net->nout));
  {
    PetscLogDouble todev = 0, tohost = 0;
    PetscBool      any = PETSC_FALSE;

    for (PetscInt b = 0; b < net->nblocks; b++) {
      PetscLogDouble d, h;

      PetscCall(OdynSchemeBackendGetTraffic_Private(net->blocks[b], &d, &h));
      todev += d;
      tohost += h;
      if (net->blocks[b]->backend) any = PETSC_TRUE;
    }
    if (any) PetscCall(PetscViewerASCIIPrintf(viewer, "blocks on a backend, states between them %s; copied to the backend %g MiB, back to the host %g MiB (rank 0, so far)\n", net->handover ? "in its memory" : "through the host (-odyn_net_backend_handover false)", todev / 1048576.0, tohost / 1048576.0));
    for (PetscInt b = 0; any && b < net->nblocks; b++) { /* the memory held on the first block's backend (all of odyn's there, the loss's too) */
      PetscLogDouble cur, peak;

      if (!net->blocks[b]->backend) continue;
      PetscCall(OdynBackendGetMemoryUse(net->blocks[b]->backend, &cur, &peak));
      PetscCall(PetscViewerASCIIPrintf(viewer, "backend %s memory held by odyn: %g MiB now, at most %g MiB (rank 0, so far)\n", net->blocks[b]->backend->name, cur / 1048576.0, peak / 1048576.0));
      break;
    }
  }
  for (PetscInt b = 0; b < net->nblocks; b++) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "block %" PetscInt_FMT ": theta[%" PetscInt_FMT " .. %" PetscInt_FMT ")%s\n", b, net->offset[b], net->offset[b + 1], OdynNetChained_Private(net, b) ? ", input from block before in backend memory" : ""));
    PetscCall(OdynSchemeView(net->blocks[b], viewer));
  }
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

#define ODYN_NET_GETTER(Name, field) \
  PetscErrorCode OdynNetGet##Name(OdynNet net, PetscInt *v) \
  { \
    PetscFunctionBegin; \
    PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1); \
    PetscValidIntPointer(v, 2); \
    PetscCall(OdynNetSetUp(net)); \
    *v = net->field; \
    PetscFunctionReturn(0); \
  }

/*MC
   OdynNetGetNumParameters - total number of parameters of all blocks (length of theta)

   Level: beginner
M*/
ODYN_NET_GETTER(NumParameters, nparam)
/*MC
   OdynNetGetInputWidth - width n of the features that enter the network

   Level: beginner
M*/
ODYN_NET_GETTER(InputWidth, nin)
/*MC
   OdynNetGetOutputWidth - width of the features Y_N that leave the network

   Level: beginner
M*/
ODYN_NET_GETTER(OutputWidth, nout)

/*@
   OdynNetGetBlockParameterOffset - where block b's parameters start in theta

   Not Collective

   Level: intermediate

.seealso: `OdynNetCreateParameterVec()`
@*/
PetscErrorCode OdynNetGetBlockParameterOffset(OdynNet net, PetscInt b, PetscInt *off)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidIntPointer(off, 3);
  PetscCall(OdynNetSetUp(net));
  PetscCheck(b >= 0 && b <= net->nblocks, PetscObjectComm((PetscObject)net), PETSC_ERR_ARG_OUTOFRANGE, "Block %" PetscInt_FMT " out of range 0..%" PetscInt_FMT, b, net->nblocks);
  *off = net->offset[b];
  PetscFunctionReturn(0);
}

/*@
   OdynNetCreateParameterVec - creates a parallel Vec that holds all parameters of the network

   Collective

   Output Parameter:
.  theta - the Vec, of global length OdynNetGetNumParameters(), distributed with PETSC_DECIDE

   Level: beginner

   Notes:
   Layout: theta = [block 0 | block 1 | ...]; block b = [step 0 | step 1 | ... | step N_b - 1]; each step holds the
   layer's parameters, e.g. dense: [K (n x n, column-major) | b (n)], hamiltonian: [K (n x m) | bF (n) | bG (m)].
   See docs/design.md. The Vec's entries are zero.

.seealso: `OdynNetGetBlockParameterOffset()`, `OdynLayerGetNumParameters()`
@*/
PetscErrorCode OdynNetCreateParameterVec(OdynNet net, Vec *theta)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidPointer(theta, 2);
  PetscCall(OdynNetSetUp(net));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)net), PETSC_DECIDE, net->nparam, theta));
  PetscCall(VecZeroEntries(*theta));
  PetscFunctionReturn(0);
}

/* Checks theta's length, (re)makes the scatter that gives every rank the whole theta, and gathers theta into
   net->thetaall (which = 0), net->dall (which = 1), or nowhere (which = -1: gtheta only needs the scatter). */
static PetscErrorCode OdynNetGatherParameters_Private(OdynNet net, Vec theta, PetscInt which)
{
  Vec all;

  PetscInt N, rstart;

  PetscFunctionBegin;
  PetscCall(VecGetSize(theta, &N));
  PetscCheck(N == net->nparam, PetscObjectComm((PetscObject)net), PETSC_ERR_ARG_SIZ, "Parameter Vec has length %" PetscInt_FMT " but the network has %" PetscInt_FMT " parameters: create it with OdynNetCreateParameterVec()", N, net->nparam);
  PetscCall(VecGetOwnershipRange(theta, &rstart, NULL));
  if (net->toall && rstart != net->rstart) {
    PetscCall(VecScatterDestroy(&net->toall));
    PetscCall(VecDestroy(&net->thetaall));
    PetscCall(VecDestroy(&net->dall));
  }
  if (!net->toall) {
    PetscCall(VecScatterCreateToAll(theta, &net->toall, &net->thetaall));
    PetscCall(VecDuplicate(net->thetaall, &net->dall));
    net->rstart = rstart;
  }
  all = which == 0 ? net->thetaall : which == 1 ? net->dall : NULL;
  if (all) {
    PetscCall(VecScatterBegin(net->toall, theta, all, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(net->toall, theta, all, INSERT_VALUES, SCATTER_FORWARD));
  }
  PetscFunctionReturn(0);
}

/* Number of local examples of a feature Vec of width n. */
static PetscErrorCode OdynNetLocalExamples_Private(OdynNet net, Vec Y, PetscInt n, const char *name, PetscInt *s)
{
  PetscInt len;

  PetscFunctionBegin;
  PetscCall(VecGetLocalSize(Y, &len));
  PetscCheck(len % n == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s has local length %" PetscInt_FMT ", which is not a multiple of the width %" PetscInt_FMT ": every rank must hold whole examples", name, len, n);
  *s = len / n;
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynNetCheckSameExamples_Private(OdynNet net, Vec Y, PetscInt n, const char *name)
{
  PetscInt s;

  PetscFunctionBegin;
  PetscCall(OdynNetLocalExamples_Private(net, Y, n, name, &s));
  PetscCheck(s == net->s, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s holds %" PetscInt_FMT " local examples but the last OdynNetForward() had %" PetscInt_FMT, name, s, net->s);
  PetscFunctionReturn(0);
}

/*
   Whether block b takes its input straight from block b - 1 in their backend's memory: both on the same backend (not
   the host path). Then the states between them never visit the host: the forward and tangent sweeps of b read b - 1's
   output where it lies, the adjoint of b - 1 reads b's gY0 there (schemebackend.c), and the network's host buffers
   are not used for that hop.
*/
static PetscBool OdynNetChained_Private(OdynNet net, PetscInt b)
{
  return net->handover && b > 0 && b < net->nblocks && net->blocks[b]->backend && net->blocks[b]->backend == net->blocks[b - 1]->backend ? PETSC_TRUE : PETSC_FALSE;
}

/* block b's input in backend memory: block b - 1's output when they are chained, else NULL (the host buffers) */
static PetscErrorCode OdynNetChainedInput_Private(OdynNet net, PetscInt b, const double **devin)
{
  PetscFunctionBegin;
  *devin = NULL;
  if (OdynNetChained_Private(net, b)) PetscCall(OdynSchemeBackendGetOutput_Private(net->blocks[b - 1], net->blocks[b]->backend, devin));
  PetscFunctionReturn(0);
}

/* the same for the adjoint: block b's W is block b + 1's gY0 when they are chained */
static PetscErrorCode OdynNetChainedWeights_Private(OdynNet net, PetscInt b, const double **devin)
{
  PetscFunctionBegin;
  *devin = NULL;
  if (OdynNetChained_Private(net, b + 1)) PetscCall(OdynSchemeBackendGetOutput_Private(net->blocks[b + 1], net->blocks[b]->backend, devin));
  PetscFunctionReturn(0);
}

/*
   OdynNetGetOutputBackend_Private - the backend whose memory holds the network's output after its sweeps: the last
   block's, NULL when that block runs on the host path

   Not Collective; after OdynNetSetUp()
*/
PetscErrorCode OdynNetGetOutputBackend_Private(OdynNet net, const OdynBackendOps **ops)
{
  PetscFunctionBegin;
  *ops = net->handover && net->nblocks ? net->blocks[net->nblocks - 1]->backend : NULL;
  PetscFunctionReturn(0);
}

/*@
   OdynNetForward - propagates the features through all blocks

   Collective

   Input Parameters:
+  net - the network
.  theta - all parameters (parallel Vec, see OdynNetCreateParameterVec())
-  Y0 - input features, local length nin * s_local, one example contiguous

   Output Parameter:
.  YN - output features, local length nout * s_local (may be NULL)

   Level: beginner

   Notes:
   The states needed by OdynNetJacobianMult() and OdynNetJacobianMultTranspose() are kept, together with a copy of
   theta: the Jacobian products are taken at this theta even if the Vec is changed afterwards.

.seealso: `OdynNetJacobianMult()`, `OdynNetJacobianMultTranspose()`
@*/
PetscErrorCode OdynNetForward(OdynNet net, Vec theta, Vec Y0, Vec YN)
{
  PetscInt           s;
  const PetscScalar *y0, *th;
  PetscScalar       *yn = NULL;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidHeaderSpecific(theta, VEC_CLASSID, 2);
  PetscValidHeaderSpecific(Y0, VEC_CLASSID, 3);
  PetscCall(OdynNetSetUp(net));
  PetscCall(PetscLogEventBegin(ODYN_NetForward, net, 0, 0, 0));
  PetscCall(OdynNetGatherParameters_Private(net, theta, 0));
  PetscCall(OdynNetLocalExamples_Private(net, Y0, net->nin, "Input features Y0", &s));
  if (YN) {
    PetscInt sout;
    PetscCall(OdynNetLocalExamples_Private(net, YN, net->nout, "Output features YN", &sout));
    PetscCheck(sout == s, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Output features YN hold %" PetscInt_FMT " local examples but Y0 holds %" PetscInt_FMT, sout, s);
  }
  net->s = -1; /* no valid trajectory until the sweep below completes */
  {
    PetscBool hostbuf = PETSC_FALSE; /* a hop between blocks through the host needs the buffers; chains do not */

    for (PetscInt b = 1; b < net->nblocks; b++)
      if (!OdynNetChained_Private(net, b)) hostbuf = PETSC_TRUE;
    if (!hostbuf || net->nmax * s > net->bufcap) {
      PetscCall(PetscFree2(net->buf[0], net->buf[1]));
      net->bufcap = 0;
    }
    if (hostbuf && !net->bufcap && net->nmax * s > 0) {
      PetscCall(PetscMalloc2(net->nmax * s, &net->buf[0], net->nmax * s, &net->buf[1]));
      net->bufcap = net->nmax * s;
    }
  }
  PetscCall(VecGetArrayRead(Y0, &y0));
  PetscCall(VecGetArrayRead(net->thetaall, &th));
  if (YN) PetscCall(VecGetArray(YN, &yn));
  for (PetscInt b = 0; b < net->nblocks; b++) {
    const PetscBool    frombefore = OdynNetChained_Private(net, b), tonext = OdynNetChained_Private(net, b + 1);
    const PetscScalar *in         = b ? (frombefore ? NULL : net->buf[(b - 1) % 2]) : y0;
    PetscScalar       *out        = b == net->nblocks - 1 ? yn : (tonext ? NULL : net->buf[b % 2]);
    const double      *devin;

    PetscCall(OdynNetChainedInput_Private(net, b, &devin));
    PetscCall(OdynSchemeForwardChained_Private(net->blocks[b], th + net->offset[b], s, in, devin, out));
  }
  if (YN) PetscCall(VecRestoreArray(YN, &yn));
  PetscCall(VecRestoreArrayRead(net->thetaall, &th));
  PetscCall(VecRestoreArrayRead(Y0, &y0));
  net->s = s;
  PetscCall(PetscLogEventEnd(ODYN_NetForward, net, 0, 0, 0));
  PetscFunctionReturn(0);
}

static PetscErrorCode OdynNetCheckForward_Private(OdynNet net)
{
  PetscFunctionBegin;
  PetscCheck(net->s >= 0, PetscObjectComm((PetscObject)net), PETSC_ERR_ARG_WRONGSTATE, "Call OdynNetForward() before a Jacobian product");
  PetscFunctionReturn(0);
}

/*@
   OdynNetJacobianMult - the exact tangent sweep: dYN = dY_N/dtheta dtheta + dY_N/dY_0 dY0, at the last forward sweep

   Collective

   Input Parameters:
+  net - the network, after OdynNetForward()
.  dtheta - parameter direction (parallel, like theta), or NULL for zero
-  dY0 - input direction (like Y0), or NULL for zero

   Output Parameter:
.  dYN - like YN

   Level: beginner

.seealso: `OdynNetForward()`, `OdynNetJacobianMultTranspose()`
@*/
PetscErrorCode OdynNetJacobianMult(OdynNet net, Vec dtheta, Vec dY0, Vec dYN)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidHeaderSpecific(dYN, VEC_CLASSID, 4);
  PetscCall(OdynNetTangent_Private(net, dtheta, dY0, dYN, NULL));
  PetscFunctionReturn(0);
}

/*
   OdynNetJacobianMultToBackend_Private - OdynNetJacobianMult() with dYN left in the last block's backend memory (not
   copied to the host), for the loss on the same backend (a Gauss-Newton product, src/net/netloss.c)

   Collective

   Output Parameter:
.  dYN - the output direction in that backend's memory (valid until the last block's next sweep; NULL with no example)
*/
PetscErrorCode OdynNetJacobianMultToBackend_Private(OdynNet net, Vec dtheta, Vec dY0, const double **dYN)
{
  PetscFunctionBegin;
  PetscCall(OdynNetTangent_Private(net, dtheta, dY0, NULL, dYN));
  PetscFunctionReturn(0);
}

/* the tangent sweep into the Vec dYN, or left in the last block's backend memory (devout) */
static PetscErrorCode OdynNetTangent_Private(OdynNet net, Vec dtheta, Vec dY0, Vec dYN, const double **devout)
{
  const PetscScalar *th, *dth = NULL, *dy0 = NULL;
  PetscScalar       *dyn = NULL;

  PetscFunctionBegin;
  PetscCall(OdynNetCheckForward_Private(net));
  PetscCheck(dYN || net->blocks[net->nblocks - 1]->backend, PETSC_COMM_SELF, PETSC_ERR_PLIB, "The network's last block runs on the host: its output cannot stay in backend memory");
  PetscCall(PetscLogEventBegin(ODYN_NetTangent, net, 0, 0, 0));
  if (dtheta) PetscCall(OdynNetGatherParameters_Private(net, dtheta, 1));
  if (dY0) PetscCall(OdynNetCheckSameExamples_Private(net, dY0, net->nin, "Input direction dY0"));
  if (dYN) PetscCall(OdynNetCheckSameExamples_Private(net, dYN, net->nout, "Output direction dYN"));
  PetscCall(VecGetArrayRead(net->thetaall, &th));
  if (dtheta) PetscCall(VecGetArrayRead(net->dall, &dth));
  if (dY0) PetscCall(VecGetArrayRead(dY0, &dy0));
  if (dYN) PetscCall(VecGetArray(dYN, &dyn));
  for (PetscInt b = 0; b < net->nblocks; b++) {
    const PetscBool    frombefore = OdynNetChained_Private(net, b), tonext = OdynNetChained_Private(net, b + 1);
    const PetscScalar *in         = b ? (frombefore ? NULL : net->buf[(b - 1) % 2]) : dy0;
    PetscScalar       *out        = b == net->nblocks - 1 ? dyn : (tonext ? NULL : net->buf[b % 2]);
    const double      *devin;

    PetscCall(OdynNetChainedInput_Private(net, b, &devin));
    PetscCall(OdynSchemeTangentChained_Private(net->blocks[b], th + net->offset[b], dth ? dth + net->offset[b] : NULL, in, devin, out));
  }
  if (devout) PetscCall(OdynSchemeBackendGetOutput_Private(net->blocks[net->nblocks - 1], net->blocks[net->nblocks - 1]->backend, devout));
  if (dYN) PetscCall(VecRestoreArray(dYN, &dyn));
  if (dY0) PetscCall(VecRestoreArrayRead(dY0, &dy0));
  if (dtheta) PetscCall(VecRestoreArrayRead(net->dall, &dth));
  PetscCall(VecRestoreArrayRead(net->thetaall, &th));
  PetscCall(PetscLogEventEnd(ODYN_NetTangent, net, 0, 0, 0));
  PetscFunctionReturn(0);
}

/*@
   OdynNetJacobianMultTranspose - the exact adjoint sweep: gtheta = (dY_N/dtheta)^T W, gY0 = (dY_N/dY_0)^T W

   Collective

   Input Parameters:
+  net - the network, after OdynNetForward()
-  W - weights on the output (like YN)

   Output Parameters:
+  gtheta - parallel like theta, overwritten; the ranks' partial sums are added up (NULL: not computed)
-  gY0 - like Y0, overwritten (NULL: not computed)

   Level: beginner

.seealso: `OdynNetForward()`, `OdynNetJacobianMult()`
@*/
PetscErrorCode OdynNetJacobianMultTranspose(OdynNet net, Vec W, Vec gtheta, Vec gY0)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(net, ODYNNET_CLASSID, 1);
  PetscValidHeaderSpecific(W, VEC_CLASSID, 2);
  PetscCall(OdynNetAdjoint_Private(net, W, NULL, gtheta, gY0));
  PetscFunctionReturn(0);
}

/*
   OdynNetJacobianMultTransposeFromBackend_Private - OdynNetJacobianMultTranspose() with W given in the last block's
   backend memory (the loss's product on the same backend, src/net/netloss.c) instead of a Vec

   Collective
*/
PetscErrorCode OdynNetJacobianMultTransposeFromBackend_Private(OdynNet net, const double *W, Vec gtheta, Vec gY0)
{
  PetscFunctionBegin;
  PetscCall(OdynNetAdjoint_Private(net, NULL, W, gtheta, gY0));
  PetscFunctionReturn(0);
}

/* the adjoint sweep from the Vec W, or from devW in the last block's backend memory */
static PetscErrorCode OdynNetAdjoint_Private(OdynNet net, Vec W, const double *devW, Vec gtheta, Vec gY0)
{
  const PetscScalar *th, *w = NULL;
  PetscScalar       *g = NULL, *gy0 = NULL;

  PetscFunctionBegin;
  PetscCall(OdynNetCheckForward_Private(net));
  PetscCheck(W || net->blocks[net->nblocks - 1]->backend, PETSC_COMM_SELF, PETSC_ERR_PLIB, "The network's last block runs on the host: its weights cannot come from backend memory");
  PetscCall(PetscLogEventBegin(ODYN_NetAdjoint, net, 0, 0, 0));
  if (W) PetscCall(OdynNetCheckSameExamples_Private(net, W, net->nout, "Output weights W"));
  if (gY0) PetscCall(OdynNetCheckSameExamples_Private(net, gY0, net->nin, "Input gradient gY0"));
  if (gtheta) {
    PetscCall(OdynNetGatherParameters_Private(net, gtheta, -1));
    PetscCall(VecZeroEntries(net->dall));
    PetscCall(VecGetArray(net->dall, &g));
  }
  PetscCall(VecGetArrayRead(net->thetaall, &th));
  if (W) PetscCall(VecGetArrayRead(W, &w));
  if (gY0) PetscCall(VecGetArray(gY0, &gy0));
  for (PetscInt b = net->nblocks - 1; b >= 0; b--) {
    const PetscBool    fromnext = OdynNetChained_Private(net, b + 1), tobefore = OdynNetChained_Private(net, b);
    const PetscScalar *in       = b == net->nblocks - 1 ? w : (fromnext ? NULL : net->buf[b % 2]);
    PetscScalar       *out      = b ? (tobefore ? NULL : net->buf[(b - 1) % 2]) : gy0;
    const double      *devin;

    PetscCall(OdynNetChainedWeights_Private(net, b, &devin));
    if (b == net->nblocks - 1 && !W) devin = devW;
    PetscCall(OdynSchemeAdjointChained_Private(net->blocks[b], th + net->offset[b], in, devin, g ? g + net->offset[b] : NULL, out, tobefore));
  }
  if (gY0) PetscCall(VecRestoreArray(gY0, &gy0));
  if (W) PetscCall(VecRestoreArrayRead(W, &w));
  PetscCall(VecRestoreArrayRead(net->thetaall, &th));
  if (gtheta) {
    PetscCall(VecRestoreArray(net->dall, &g));
    PetscCall(VecZeroEntries(gtheta));
    PetscCall(VecScatterBegin(net->toall, net->dall, gtheta, ADD_VALUES, SCATTER_REVERSE));
    PetscCall(VecScatterEnd(net->toall, net->dall, gtheta, ADD_VALUES, SCATTER_REVERSE));
  }
  PetscCall(PetscLogEventEnd(ODYN_NetAdjoint, net, 0, 0, 0));
  PetscFunctionReturn(0);
}
