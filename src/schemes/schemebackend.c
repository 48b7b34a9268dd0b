/*
   A block's sweeps on a compute backend (issue 8, docs/gpu.md): with a backend set (OdynSchemeSetBackend(),
   OdynNetSetBackend(), -odyn_backend hostref|cuda), a qualifying block hands its whole forward, tangent and adjoint
   sweeps to the table's operations of its kind (include/odyn/private/backend.h; which blocks qualify and what each is
   there: schemebackendblock.c, described once per forward in an OdynBlock). The trajectory, the linearization and the
   parameter mirrors live in the backend's memory for as long as the block keeps its storage (freed with it:
   OdynSchemeFreeStorage_Private(), on a change of N, type, trajectory, and at destroy); what crosses per sweep:

     forward   theta (uploaded from the gathered host parameters, or the parameters the sweeps run with, mapped from
               them on the host: schemebackendblock.c), Y0 in, Y_N out
     tangent   dtheta (when given) and dY0 in, dY_N out; theta is the forward's, already there
     adjoint   W in, the gradient out (added to the host gtheta, mapped back), gY0 out

   The buffers, per kind (s examples, n and m the block's widths, OdynBlock):
   - Euler, leapfrog, parabolic (dense or conv): traj = Y_0 ... Y_N ((N + 1) n s), lin the table's *_linsize() (the
     activation's derivative of every step, for a parabolic block also sigma, and the sweeps' scratch), in and out n s.
     For a conv block n = c h w per example, channel-major.
   - Verlet (hamiltonian or convhamiltonian): traj as above and ztraj = Z_{1/2} ... ((N + 1) m s, Z_{k-1/2} at k m s);
     lin sigma' of both faces of every step and the table's scratch. Its parameters are the layer's, uploaded as they
     are (a convhamiltonian K^T * Y is the table's business: the host table convolves with flip(K) as the layer does,
     cuda runs the adjoint convolution).
   - single (the opening conv layer cin -> cout, one step, no h, no residual; two components of different widths, n =
     cin h w in, m = cout h w out): traj = Y_0 only (n s, the linearization point of both derivative sweeps), lin sigma'
     (m s) and the table's scratch, in and out max(n, m) s each (in: dY_0 or W; out: Y_1, dY_1 or gY_0).
   - globalavg (single, the average of each channel: linear, no parameters; n = c h w in, m = c out): no traj (the
     derivative sweeps need no point), lin the h w ones of its GEMMs (made with the buffers), in and out n s each.
   - States recomputed (-odyn_scheme_trajectory recompute, the switch of the host path, which recomputes its states
     backwards by the scheme's reverse step): a Verlet block keeps only Y_N and Z_{N-1/2} (*_forward_final), the adjoint
     rebuilds the states backwards from them alongside the adjoint (*_adjoint_reversible), and the tangent recomputes
     them forward from Y_0, which is kept (*_tangent_y0): traj = [Y_0 | Y_N] (2 n s), ztraj = Z_{N-1/2} (m s). A
     leapfrog block likewise (Y_{j-1} = 2 Y_j - Y_{j+1} + h^2 F(Y_j)): traj = [Y_0 | Y_N | Y_{N-1}] (3 n s). No lin for
     the dense ones (their sweeps keep O(n s) scratch of their own); for the conv ones lin is the sweeps' scratch
     (*_revsize(): none on the host, whose sweeps follow the host path's recomputing ones bit for bit). Memory flat in
     depth; results equal to the storing sweeps' up to round-off (the rebuilt states drift by about the unit round-off
     per step).
*/
#include "schemebackend.h"
#include <odyn/private/odynimpl.h>

struct _OdynSchemeBackendStore {
  const OdynBackendOps *ops;                     /* the table the buffers belong to */
  OdynBlock             blk;                     /* what the block is there (its last forward's set-up) */
  PetscInt              salloc;                  /* examples the state buffers hold (layout: blk.kind, blk.rev) */
  PetscInt              nparam;                  /* of theta */
  PetscInt              nsweep;                  /* of the parameters the sweeps run with (shared weights: N nparam) */
  PetscBool             parambufs;               /* the parameter buffers are made (nparam may be 0: globalavg) */
  double               *theta, *dtheta, *gtheta; /* backend, nsweep each */
  double               *traj, *lin, *in, *out;   /* backend (above) */
  double               *ztraj;                   /* backend, Verlet only */
  PetscScalar          *thetahost, *ghost;       /* host: the theta on the backend (nparam); the gradient back (nsweep) */
  PetscScalar          *effhost;                 /* host, nsweep: the mapped theta / dtheta uploaded */
  PetscBool             thetavalid;              /* a forward sweep uploaded theta (thetahost is its copy) */
  long                  statedoubles;            /* of traj, ztraj, lin, in and out, for OdynSchemeView() */
  const double         *last;                    /* backend: where the last sweep left its output (Y_N, dY_N or gY0), for
                                                    the next block on the same backend (net.c); NULL: none there */
};

/* the set-up's check of a block on its own (a network checks its blocks first, naming them: OdynNetSetUp()) */
PetscErrorCode OdynSchemeBackendCheck_Private(OdynScheme scheme)
{
  PetscBool   ok;
  char        why[256];
  const char *prefix;
  OdynBlock   b;

  PetscFunctionBegin;
  if (!scheme->backend) PetscFunctionReturn(0);
  PetscCall(OdynSchemeBackendSupported_Private(scheme, &ok, why, sizeof(why)));
  PetscCall(PetscObjectGetOptionsPrefix((PetscObject)scheme, &prefix));
  PetscCheck(ok, PetscObjectComm((PetscObject)scheme), PETSC_ERR_SUP, "Backend %s: the block%s%s (%s) cannot run on it: it runs only %s so far. Use the backend host for this block (-odyn_backend host, docs/gpu.md)", scheme->backend->name, prefix ? " with options prefix " : "", prefix ? prefix : "", why, ODYN_BACKEND_SUPPORTED_BLOCKS);
  PetscCall(OdynSchemeBackendDescribe_Private(scheme, &b)); /* the sizes are known now (set-up): the table says whether it runs them */
  PetscCall(OdynSchemeBackendRunnable_Private(scheme, scheme->backend, &b));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynSchemeBackendFree_Private(OdynScheme scheme)
{
  struct _OdynSchemeBackendStore *bk = scheme->bk;

  PetscFunctionBegin;
  if (!bk) PetscFunctionReturn(0);
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->theta));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->dtheta));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->gtheta));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->traj));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->ztraj));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->lin));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->in));
  PetscCall(OdynBackendFree(bk->ops, (void **)&bk->out));
  PetscCall(PetscFree3(bk->thetahost, bk->ghost, bk->effhost));
  PetscCall(PetscFree(scheme->bk));
  PetscFunctionReturn(0);
}

static PetscErrorCode BackendMalloc(const OdynBackendOps *ops, size_t len, double **p)
{
  PetscFunctionBegin;
  PetscCall(OdynBackendMalloc(ops, len * sizeof(double), (void **)p));
  PetscFunctionReturn(0);
}

/* host <-> backend copies, counted: OdynSchemeView() reports what crossed, and the tests check that blocks chained on
   one backend hand their states over in its memory */
static PetscErrorCode BackendToDevice(OdynScheme scheme, double *dst, const PetscScalar *src, PetscInt len)
{
  PetscFunctionBegin;
  PetscCall(OdynBackendToDevice_Private(scheme->bk->ops, dst, src, len, &scheme->bktodevice));
  PetscFunctionReturn(0);
}

static PetscErrorCode BackendToHost(OdynScheme scheme, PetscScalar *dst, const double *src, PetscInt len)
{
  PetscFunctionBegin;
  PetscCall(OdynBackendToHost_Private(scheme->bk->ops, dst, src, len, &scheme->bktohost));
  PetscFunctionReturn(0);
}

/*
   Where the block's last sweep left its output (Y_N, dY_N or gY0) in the memory of backend ops, for the next block or
   the loss on that backend (net.c): the block must run on ops and its sweep must have kept the output there.
*/
PetscErrorCode OdynSchemeBackendGetOutput_Private(OdynScheme scheme, const OdynBackendOps *ops, const double **out)
{
  PetscFunctionBegin;
  PetscCheck(ops && scheme->backend == ops && scheme->bk && scheme->bk->ops == ops, PETSC_COMM_SELF, PETSC_ERR_PLIB, "States handed over in backend memory must stay on one backend");
  PetscCheck(scheme->bk->last || !scheme->s, PETSC_COMM_SELF, PETSC_ERR_PLIB, "The block's last sweep left no output in backend memory");
  *out = scheme->bk->last;
  PetscFunctionReturn(0);
}

/*
   A sweep's input of len doubles: devin, already in this backend's memory (the neighbouring block's output: no trip
   through the host), else the host array copied into stage; *use is what the table reads (NULL when neither is
   given). With copy, the input must be in stage itself (the linearization point a block keeps): devin is copied there.
*/
static PetscErrorCode BackendInput(OdynScheme scheme, const PetscScalar *host, const double *devin, PetscInt len, PetscBool copy, double *stage, const double **use)
{
  PetscFunctionBegin;
  *use = NULL;
  if (devin) {
    *use = devin;
    if (copy) {
      OdynBackendCall(scheme->bk->ops, copy_device, stage, devin, (size_t)len * sizeof(double));
      *use = stage;
    }
  } else if (host) {
    PetscCall(BackendToDevice(scheme, stage, host, len));
    *use = stage;
  }
  PetscFunctionReturn(0);
}

/* the sweep's output, at out in backend memory: kept there for the next block, copied to the host array when given */
static PetscErrorCode BackendOutput(OdynScheme scheme, const double *out, PetscInt len, PetscScalar *host)
{
  PetscFunctionBegin;
  scheme->bk->last = out;
  if (host) PetscCall(BackendToHost(scheme, host, out, len));
  PetscFunctionReturn(0);
}

/* len ones at dst in backend memory (globalavg's GEMMs) */
static PetscErrorCode BackendFillOnes(OdynScheme scheme, double *dst, long len)
{
  PetscScalar *ones;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(len, &ones));
  for (long i = 0; i < len; i++) ones[i] = 1.0;
  PetscCall(BackendToDevice(scheme, dst, ones, (PetscInt)len));
  PetscCall(PetscFree(ones));
  PetscFunctionReturn(0);
}

/* the buffers for s examples (kept when large enough and of the same layout; states of a previous forward are dropped
   either way), and the block's description for this forward and its derivative sweeps */
static PetscErrorCode BackendAllocate(OdynScheme scheme, PetscInt s)
{
  const OdynBackendOps           *ops = scheme->backend;
  struct _OdynSchemeBackendStore *bk;
  OdynBlock                       b;

  PetscFunctionBegin;
  PetscCall(OdynSchemeBackendDescribe_Private(scheme, &b)); /* runnable on ops: the set-up checked (OdynSchemeBackendCheck_Private()) */
  if (scheme->bk && scheme->bk->ops != ops) PetscCall(OdynSchemeBackendFree_Private(scheme));
  if (!scheme->bk) {
    PetscCall(PetscNew(&scheme->bk));
    scheme->bk->ops = ops;
  }
  bk = scheme->bk;
  if (!bk->parambufs) {
    bk->parambufs = PETSC_TRUE;
    bk->nparam    = scheme->nparam;
    bk->nsweep    = OdynBlockSweepParams_Private(&b, scheme->nparam);
    PetscCall(BackendMalloc(ops, (size_t)bk->nsweep, &bk->theta));
    PetscCall(BackendMalloc(ops, (size_t)bk->nsweep, &bk->dtheta));
    PetscCall(BackendMalloc(ops, (size_t)bk->nsweep, &bk->gtheta));
    PetscCall(PetscMalloc3(bk->nparam, &bk->thetahost, bk->nsweep, &bk->ghost, bk->nsweep, &bk->effhost));
  }
  PetscCheck(bk->nparam == scheme->nparam && bk->nsweep == OdynBlockSweepParams_Private(&b, scheme->nparam), PETSC_COMM_SELF, PETSC_ERR_PLIB, "Backend buffers hold %" PetscInt_FMT " parameters, the block has %" PetscInt_FMT, bk->nparam, scheme->nparam);
  if (b.kind != bk->blk.kind || b.rev != bk->blk.rev) bk->salloc = 0; /* another layout: the buffers are made again */
  bk->blk = b;
  if (s > bk->salloc) {
    const PetscBool single = b.kind == ODYN_BLOCK_CONV_SINGLE || b.kind == ODYN_BLOCK_GLOBALAVG ? PETSC_TRUE : PETSC_FALSE;
    const PetscBool hasz   = b.kind == ODYN_BLOCK_VERLET || b.kind == ODYN_BLOCK_CONV_VERLET ? PETSC_TRUE : PETSC_FALSE;
    const PetscBool frog   = b.kind == ODYN_BLOCK_LEAPFROG || b.kind == ODYN_BLOCK_CONV_LEAPFROG ? PETSC_TRUE : PETSC_FALSE;
    const long      linlen = OdynBlockLinSize_Private(ops, &b, s);
    const long      ntraj  = b.kind == ODYN_BLOCK_GLOBALAVG ? 0 : single ? 1 : b.rev ? (frog ? 3 : 2) : b.N + 1, nz = b.rev ? 1 : b.N + 1;
    const long      wide   = single ? PetscMax(b.n, b.m) : b.n; /* in and out: a single block's wider side */

    PetscCheck(linlen >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Backend %s: no linearization size for n = %ld, N = %ld, s = %" PetscInt_FMT, ops->name, b.n, b.N, s);
    PetscCall(OdynBackendFree(ops, (void **)&bk->traj));
    PetscCall(OdynBackendFree(ops, (void **)&bk->ztraj));
    PetscCall(OdynBackendFree(ops, (void **)&bk->lin));
    PetscCall(OdynBackendFree(ops, (void **)&bk->in));
    PetscCall(OdynBackendFree(ops, (void **)&bk->out));
    bk->salloc       = 0;
    bk->statedoubles = 0;
    PetscCall(BackendMalloc(ops, (size_t)(ntraj * b.n * s), &bk->traj));
    if (hasz) PetscCall(BackendMalloc(ops, (size_t)(nz * b.m * s), &bk->ztraj));
    if (linlen) PetscCall(BackendMalloc(ops, (size_t)linlen, &bk->lin));
    PetscCall(BackendMalloc(ops, (size_t)(wide * s), &bk->in));
    PetscCall(BackendMalloc(ops, (size_t)(wide * s), &bk->out));
    bk->salloc       = s;
    bk->statedoubles = ntraj * b.n * s + (hasz ? nz * b.m * s : 0) + linlen + 2 * wide * s;
    if (b.kind == ODYN_BLOCK_GLOBALAVG) PetscCall(BackendFillOnes(scheme, bk->lin, linlen));
  }
  bk->thetavalid = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* the width per example of the block's output (forward, tangent) and so of the adjoint's W: a single block's m, else n */
static long BackendOutWidth(const OdynBlock *b) { return b->kind == ODYN_BLOCK_CONV_SINGLE || b->kind == ODYN_BLOCK_GLOBALAVG ? b->m : b->n; }

/* the derivative sweeps use the forward's theta on the backend (and, there, its linearization): a different theta is a
   misuse of OdynSchemeTangent()/OdynSchemeAdjoint(), which the host path would answer with mixed results */
static PetscErrorCode BackendCheckTheta(OdynScheme scheme, const PetscScalar *theta, const char *sweep)
{
  struct _OdynSchemeBackendStore *bk = scheme->bk;
  PetscBool                       same;

  PetscFunctionBegin;
  PetscCheck(bk && bk->thetavalid, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Call OdynSchemeForward() (or OdynNetForward()) before a tangent or adjoint sweep");
  PetscCall(PetscArraycmp(theta, bk->thetahost, bk->nparam, &same));
  PetscCheck(same, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "The %s sweep was given other parameters than the forward sweep: on backend %s the block keeps the forward's parameters and linearization; pass the forward's theta, or run the forward sweep again", sweep, bk->ops->name);
  PetscFunctionReturn(0);
}

/* out (c s) = beta out + the average of each channel of Y (ih iw x c s) over its pixels: Y^T ones / (ih iw), the
   layer's GEMM (globalavg.c) */
static PetscErrorCode GlobalAvg(const OdynBackendOps *ops, const OdynBlock *b, PetscInt s, const double *Y, const double *ones, double beta, double *out)
{
  const long hw = b->ih * b->iw, cs = b->c * s;

  PetscFunctionBegin;
  OdynBackendCall(ops, gemm, 'T', 'N', cs, 1, hw, 1.0 / hw, Y, hw, ones, hw, beta, out, cs);
  PetscFunctionReturn(0);
}

/* the forward operation of the block's kind: Y_0 at y0 (in traj itself for the single and reversible blocks); *out is
   where it leaves Y_N (Y_1) */
static PetscErrorCode BackendForwardCall(OdynScheme scheme, PetscInt s, const double *y0, const double **out)
{
  struct _OdynSchemeBackendStore *bk = scheme->bk;
  const OdynBackendOps           *ops = bk->ops;
  const OdynBlock                *b   = &bk->blk;
  const long                      N = b->N, n = b->n, ns = n * s;
  const double                    h = b->h, *th = bk->theta;

  PetscFunctionBegin;
  *out = !bk->traj ? NULL : b->rev ? bk->traj + ns : bk->traj + N * ns; /* globalavg keeps no states */
  if (b->rev) { /* only the last states: [Y_0 | Y_N (| Y_{N-1})], Z_{N-1/2} */
    switch (b->kind) {
    case ODYN_BLOCK_VERLET:
      OdynBackendCall(ops, dense_verlet_forward_final, b->act, n, b->m, N, s, h, th, bk->traj, bk->traj + ns, bk->ztraj);
      break;
    case ODYN_BLOCK_LEAPFROG:
      OdynBackendCall(ops, dense_leapfrog_forward_final, b->act, n, N, s, h, th, bk->traj, bk->traj + ns, bk->traj + 2 * ns);
      break;
    case ODYN_BLOCK_CONV_VERLET:
      OdynBackendCall(ops, conv_verlet_forward_final, b->act, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, bk->traj, bk->traj + ns, bk->ztraj, bk->lin);
      break;
    case ODYN_BLOCK_CONV_LEAPFROG:
      OdynBackendCall(ops, conv_leapfrog_forward_final, b->act, b->sym, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, bk->traj, bk->traj + ns, bk->traj + 2 * ns, bk->lin);
      break;
    default:
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "Block kind %d does not recompute its states", (int)b->kind);
    }
    PetscFunctionReturn(0);
  }
  switch (b->kind) {
  case ODYN_BLOCK_EULER:
    OdynBackendCall(ops, dense_euler_forward, b->act, n, N, s, h, th, y0, bk->traj, bk->lin);
    break;
  case ODYN_BLOCK_PARABOLIC:
    OdynBackendCall(ops, dense_parabolic_forward, b->act, n, b->m, N, s, h, th, y0, bk->traj, bk->lin);
    break;
  case ODYN_BLOCK_LEAPFROG:
    OdynBackendCall(ops, dense_leapfrog_forward, b->act, n, N, s, h, th, y0, bk->traj, bk->lin);
    break;
  case ODYN_BLOCK_VERLET:
    OdynBackendCall(ops, dense_verlet_forward, b->act, n, b->m, N, s, h, th, y0, bk->traj, bk->ztraj, bk->lin);
    break;
  case ODYN_BLOCK_CONV_SINGLE:
    OdynBackendCall(ops, conv_single_forward, b->act, b->c, b->cm, b->k, b->pool, b->eps, b->ih, b->iw, s, th, y0, bk->out, bk->lin);
    *out = bk->out;
    break;
  case ODYN_BLOCK_CONV_EULER:
    OdynBackendCall(ops, conv_euler_forward, b->act, b->c, b->eps, b->ih, b->iw, N, s, h, th, y0, bk->traj, bk->lin);
    break;
  case ODYN_BLOCK_CONV_PARABOLIC:
    OdynBackendCall(ops, conv_parabolic_forward, b->act, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, y0, bk->traj, bk->lin);
    break;
  case ODYN_BLOCK_CONV_LEAPFROG:
    OdynBackendCall(ops, conv_leapfrog_forward, b->act, b->sym, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, y0, bk->traj, bk->lin);
    break;
  case ODYN_BLOCK_CONV_VERLET:
    OdynBackendCall(ops, conv_verlet_forward, b->act, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, y0, bk->traj, bk->ztraj, bk->lin);
    break;
  case ODYN_BLOCK_GLOBALAVG:
    PetscCall(GlobalAvg(ops, b, s, y0, bk->lin, 0.0, bk->out));
    *out = bk->out;
    break;
  }
  PetscFunctionReturn(0);
}

/* the tangent operation of the block's kind: dtheta (the parameters the sweeps run with; NULL: none) and dY_0 at dy0,
   dY_N (dY_1) into out */
static PetscErrorCode BackendTangentCall(OdynScheme scheme, PetscInt s, const double *dth, const double *dy0)
{
  struct _OdynSchemeBackendStore *bk = scheme->bk;
  const OdynBackendOps           *ops = bk->ops;
  const OdynBlock                *b   = &bk->blk;
  const long                      N = b->N, n = b->n;
  const double                    h = b->h, *th = bk->theta;
  double                         *out = bk->out;

  PetscFunctionBegin;
  if (b->rev) { /* the states recomputed forward from Y_0 */
    switch (b->kind) {
    case ODYN_BLOCK_VERLET:
      OdynBackendCall(ops, dense_verlet_tangent_y0, b->act, n, b->m, N, s, h, th, dth, bk->traj, dy0, out);
      break;
    case ODYN_BLOCK_LEAPFROG:
      OdynBackendCall(ops, dense_leapfrog_tangent_y0, b->act, n, N, s, h, th, dth, bk->traj, dy0, out);
      break;
    case ODYN_BLOCK_CONV_VERLET:
      OdynBackendCall(ops, conv_verlet_tangent_y0, b->act, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, dth, bk->traj, bk->lin, dy0, out);
      break;
    case ODYN_BLOCK_CONV_LEAPFROG:
      OdynBackendCall(ops, conv_leapfrog_tangent_y0, b->act, b->sym, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, dth, bk->traj, bk->lin, dy0, out);
      break;
    default:
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "Block kind %d does not recompute its states", (int)b->kind);
    }
    PetscFunctionReturn(0);
  }
  switch (b->kind) {
  case ODYN_BLOCK_EULER:
    OdynBackendCall(ops, dense_euler_tangent, b->act, n, N, s, h, th, dth, bk->traj, bk->lin, dy0, out);
    break;
  case ODYN_BLOCK_PARABOLIC:
    OdynBackendCall(ops, dense_parabolic_tangent, b->act, n, b->m, N, s, h, th, dth, bk->traj, bk->lin, dy0, out);
    break;
  case ODYN_BLOCK_LEAPFROG:
    OdynBackendCall(ops, dense_leapfrog_tangent, b->act, n, N, s, h, th, dth, bk->traj, bk->lin, dy0, out);
    break;
  case ODYN_BLOCK_VERLET:
    OdynBackendCall(ops, dense_verlet_tangent, b->act, n, b->m, N, s, h, th, dth, bk->traj, bk->ztraj, bk->lin, dy0, out);
    break;
  case ODYN_BLOCK_CONV_SINGLE:
    OdynBackendCall(ops, conv_single_tangent, b->act, b->c, b->cm, b->k, b->pool, b->eps, b->ih, b->iw, s, th, dth, bk->traj, bk->lin, dy0, out);
    break;
  case ODYN_BLOCK_CONV_EULER:
    OdynBackendCall(ops, conv_euler_tangent, b->act, b->c, b->eps, b->ih, b->iw, N, s, h, th, dth, bk->traj, bk->lin, dy0, out);
    break;
  case ODYN_BLOCK_CONV_PARABOLIC:
    OdynBackendCall(ops, conv_parabolic_tangent, b->act, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, dth, bk->traj, bk->lin, dy0, out);
    break;
  case ODYN_BLOCK_CONV_LEAPFROG:
    OdynBackendCall(ops, conv_leapfrog_tangent, b->act, b->sym, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, dth, bk->traj, bk->lin, dy0, out);
    break;
  case ODYN_BLOCK_CONV_VERLET:
    OdynBackendCall(ops, conv_verlet_tangent, b->act, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, dth, bk->traj, bk->ztraj, bk->lin, dy0, out);
    break;
  case ODYN_BLOCK_GLOBALAVG: /* into zeros, as single.c's tangent: the host path's sums bit for bit */
    OdynBackendCall(ops, mem_set, out, 0, (size_t)(b->m * s) * sizeof(double));
    if (dy0) PetscCall(GlobalAvg(ops, b, s, dy0, bk->lin, 1.0, out));
    break;
  }
  PetscFunctionReturn(0);
}

/* the adjoint operation of the block's kind: W at w, the gradient into gt (NULL: not wanted), gY_0 into gy (NULL: not
   wanted) */
static PetscErrorCode BackendAdjointCall(OdynScheme scheme, PetscInt s, const double *w, double *gt, double *gy)
{
  struct _OdynSchemeBackendStore *bk = scheme->bk;
  const OdynBackendOps           *ops = bk->ops;
  const OdynBlock                *b   = &bk->blk;
  const long                      N = b->N, n = b->n, ns = n * s;
  const double                    h = b->h, *th = bk->theta;

  PetscFunctionBegin;
  if (b->rev) { /* the states rebuilt backwards from the last ones */
    switch (b->kind) {
    case ODYN_BLOCK_VERLET:
      OdynBackendCall(ops, dense_verlet_adjoint_reversible, b->act, n, b->m, N, s, h, th, bk->traj + ns, bk->ztraj, w, gt, gy);
      break;
    case ODYN_BLOCK_LEAPFROG:
      OdynBackendCall(ops, dense_leapfrog_adjoint_reversible, b->act, n, N, s, h, th, bk->traj + ns, bk->traj + 2 * ns, w, gt, gy);
      break;
    case ODYN_BLOCK_CONV_VERLET:
      OdynBackendCall(ops, conv_verlet_adjoint_reversible, b->act, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, bk->traj + ns, bk->ztraj, bk->lin, w, gt, gy);
      break;
    case ODYN_BLOCK_CONV_LEAPFROG:
      OdynBackendCall(ops, conv_leapfrog_adjoint_reversible, b->act, b->sym, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, bk->traj + ns, bk->traj + 2 * ns, bk->lin, w, gt, gy);
      break;
    default:
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "Block kind %d does not recompute its states", (int)b->kind);
    }
    PetscFunctionReturn(0);
  }
  switch (b->kind) {
  case ODYN_BLOCK_EULER:
    OdynBackendCall(ops, dense_euler_adjoint, b->act, n, N, s, h, th, bk->traj, bk->lin, w, gt, gy);
    break;
  case ODYN_BLOCK_PARABOLIC:
    OdynBackendCall(ops, dense_parabolic_adjoint, b->act, n, b->m, N, s, h, th, bk->traj, bk->lin, w, gt, gy);
    break;
  case ODYN_BLOCK_LEAPFROG:
    OdynBackendCall(ops, dense_leapfrog_adjoint, b->act, n, N, s, h, th, bk->traj, bk->lin, w, gt, gy);
    break;
  case ODYN_BLOCK_VERLET:
    OdynBackendCall(ops, dense_verlet_adjoint, b->act, n, b->m, N, s, h, th, bk->traj, bk->ztraj, bk->lin, w, gt, gy);
    break;
  case ODYN_BLOCK_CONV_SINGLE:
    OdynBackendCall(ops, conv_single_adjoint, b->act, b->c, b->cm, b->k, b->pool, b->eps, b->ih, b->iw, s, th, bk->traj, bk->lin, w, gt, gy);
    break;
  case ODYN_BLOCK_CONV_EULER:
    OdynBackendCall(ops, conv_euler_adjoint, b->act, b->c, b->eps, b->ih, b->iw, N, s, h, th, bk->traj, bk->lin, w, gt, gy);
    break;
  case ODYN_BLOCK_CONV_PARABOLIC:
    OdynBackendCall(ops, conv_parabolic_adjoint, b->act, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, bk->traj, bk->lin, w, gt, gy);
    break;
  case ODYN_BLOCK_CONV_LEAPFROG:
    OdynBackendCall(ops, conv_leapfrog_adjoint, b->act, b->sym, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, bk->traj, bk->lin, w, gt, gy);
    break;
  case ODYN_BLOCK_CONV_VERLET:
    OdynBackendCall(ops, conv_verlet_adjoint, b->act, b->c, b->cm, b->eps, b->ih, b->iw, N, s, h, th, bk->traj, bk->ztraj, bk->lin, w, gt, gy);
    break;
  case ODYN_BLOCK_GLOBALAVG: /* gY0 = ones W^T / (ih iw), into zeros as single.c's adjoint; no parameters */
    if (gy) {
      const long hw = b->ih * b->iw, cs = b->c * s;

      OdynBackendCall(ops, mem_set, gy, 0, (size_t)(b->n * s) * sizeof(double));
      OdynBackendCall(ops, gemm, 'N', 'T', hw, cs, 1, 1.0 / hw, bk->lin, hw, w, cs, 1.0, gy, hw);
    }
    break;
  }
  PetscFunctionReturn(0);
}

/*
   The sweeps. Each takes its input from the host array (Y0, dY0, W) or, when devin is given, from this backend's
   memory: the output the neighbouring block on the same backend left there (net.c: forward and tangent from the block
   before, adjoint from the block after; OdynSchemeBackendGetOutput_Private()) or the loss's W H_Z (W^T dY) of a
   Gauss-Newton product; each leaves its output in backend memory (bk->last) and copies it to the host array when one
   is given. So a chain of blocks on one backend moves only the network's input and output through the host. A single
   block's output (forward, tangent) is m wide, its input n; the others' are n wide both.
*/
PetscErrorCode OdynSchemeForward_Backend_Private(OdynScheme scheme, const PetscScalar *theta, PetscInt s, const PetscScalar *Y0, const double *devin, PetscScalar *YN)
{
  struct _OdynSchemeBackendStore *bk;
  const PetscScalar              *use;
  const double                   *y0, *out;
  PetscBool                       keep;

  PetscFunctionBegin;
  scheme->hastraj = PETSC_FALSE;
  PetscCall(BackendAllocate(scheme, s));
  bk       = scheme->bk;
  bk->last = NULL;
  PetscCall(PetscArraycpy(bk->thetahost, theta, bk->nparam));
  PetscCall(OdynBlockMapParameters_Private(scheme, &bk->blk, ODYN_AFFINE_MAP, theta, theta, bk->effhost, &use)); /* what the sweeps run with */
  PetscCall(BackendToDevice(scheme, bk->theta, use, bk->nsweep));
  bk->thetavalid = PETSC_TRUE;
  scheme->s      = s;
  if (!s) PetscFunctionReturn(0);
  /* Y_0 in traj itself when it is kept for the derivative sweeps (single, reversible), else read where it is: the
     forward stores it */
  keep = bk->blk.rev || bk->blk.kind == ODYN_BLOCK_CONV_SINGLE ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(BackendInput(scheme, Y0, devin, bk->blk.n * s, keep, keep ? bk->traj : bk->in, &y0));
  PetscCheck(y0, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "The forward sweep needs its input Y0");
  PetscCall(BackendForwardCall(scheme, s, y0, &out));
  PetscCall(BackendOutput(scheme, out, BackendOutWidth(&bk->blk) * s, YN));
  PetscFunctionReturn(0);
}

PetscErrorCode OdynSchemeTangent_Backend_Private(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *dtheta, const PetscScalar *dY0, const double *devin, PetscScalar *dYN)
{
  const PetscInt                  s  = scheme->s;
  struct _OdynSchemeBackendStore *bk = scheme->bk;
  const double                   *dy0;

  PetscFunctionBegin;
  PetscCall(BackendCheckTheta(scheme, theta, "tangent"));
  bk->last = NULL;
  if (!s) PetscFunctionReturn(0);
  if (dtheta) { /* the derivative of the parameter map (linear) */
    const PetscScalar *use;

    PetscCall(OdynBlockMapParameters_Private(scheme, &bk->blk, ODYN_AFFINE_DMAP, theta, dtheta, bk->effhost, &use));
    PetscCall(BackendToDevice(scheme, bk->dtheta, use, bk->nsweep));
  }
  PetscCall(BackendInput(scheme, dY0, devin, bk->blk.n * s, PETSC_FALSE, bk->in, &dy0));
  PetscCall(BackendTangentCall(scheme, s, dtheta ? bk->dtheta : NULL, dy0));
  PetscCall(BackendOutput(scheme, bk->out, BackendOutWidth(&bk->blk) * s, dYN));
  PetscFunctionReturn(0);
}

/* keep: compute gY0 into backend memory for the block before on the same backend even when gY0 (host) is NULL */
PetscErrorCode OdynSchemeAdjoint_Backend_Private(OdynScheme scheme, const PetscScalar *theta, const PetscScalar *W, const double *devin, PetscScalar *gtheta, PetscScalar *gY0, PetscBool keep)
{
  const PetscInt                  s       = scheme->s;
  const PetscBool                 wantgy0 = gY0 || keep ? PETSC_TRUE : PETSC_FALSE;
  struct _OdynSchemeBackendStore *bk      = scheme->bk;
  const double                   *w;

  PetscFunctionBegin;
  PetscCall(BackendCheckTheta(scheme, theta, "adjoint"));
  bk->last = NULL;
  if (!s || (!gtheta && !wantgy0)) PetscFunctionReturn(0); /* no example on this rank: nothing to add to gtheta */
  /* W is the block's output width per example (a single block's cout h w), gY0 its input width */
  PetscCall(BackendInput(scheme, W, devin, BackendOutWidth(&bk->blk) * s, PETSC_FALSE, bk->in, &w));
  PetscCheck(w, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "The adjoint sweep needs its weights W");
  if (gtheta) OdynBackendCall(bk->ops, mem_set, bk->gtheta, 0, (size_t)bk->nsweep * sizeof(double));
  PetscCall(BackendAdjointCall(scheme, s, w, gtheta ? bk->gtheta : NULL, wantgy0 ? bk->out : NULL));
  if (gtheta) {
    /* the contract is gtheta += ...: the backend's sum comes back and is added (to zeros in a network: exact), mapped
       back to theta's parameters */
    PetscCall(BackendToHost(scheme, bk->ghost, bk->gtheta, bk->nsweep));
    PetscCall(OdynBlockGradientAdd_Private(scheme, &bk->blk, theta, bk->ghost, gtheta));
  }
  if (wantgy0) PetscCall(BackendOutput(scheme, bk->out, bk->blk.n * s, gY0));
  PetscFunctionReturn(0);
}

/* OdynSchemeView()'s line for a block on a backend: where its states are and how many doubles they take there */
PetscErrorCode OdynSchemeBackendView_Private(OdynScheme scheme, PetscViewer viewer)
{
  struct _OdynSchemeBackendStore *bk = scheme->bk;

  PetscFunctionBegin;
  if (!scheme->backend) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "sweeps on backend %s (states in its memory%s)\n", scheme->backend->name, OdynSchemeBackendReversible_Private(scheme) ? ": the last ones only, recomputed backwards in the adjoint" : ""));
  if (bk && bk->salloc) PetscCall(PetscViewerASCIIPrintf(viewer, "backend state memory: %ld doubles for %" PetscInt_FMT " examples\n", bk->statedoubles, bk->salloc));
  PetscCall(PetscViewerASCIIPrintf(viewer, "copied to the backend %g MiB, back to the host %g MiB (this rank, so far)\n", scheme->bktodevice / 1048576.0, scheme->bktohost / 1048576.0));
  PetscFunctionReturn(0);
}

/* the bytes this rank's block copied host -> backend and back since it was created */
PetscErrorCode OdynSchemeBackendGetTraffic_Private(OdynScheme scheme, PetscLogDouble *todevice, PetscLogDouble *tohost)
{
  PetscFunctionBegin;
  *todevice = scheme->bktodevice;
  *tohost   = scheme->bktohost;
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeSetBackend - runs the block's sweeps on a compute backend

   Collective

   Input Parameters:
+  scheme - the block
-  name - `ODYNBACKENDHOST` (the default: the host code of the scheme and layer), `ODYNBACKENDCUDA` (the block's states
   and linearization in GPU memory, its sweeps in odyn's CUDA kernels) or `ODYNBACKENDHOSTREF` (the same path as cuda,
   with host memory and host kernels: results equal to host bit for bit; it tests that path without a GPU)

   Level: intermediate

   Notes:
   A block on a backend other than host hands its whole forward, tangent and adjoint sweeps to the backend (one call
   each); per sweep only theta (forward), dtheta, Y0 / dY0 / W, Y_N / dY_N / gY0 and the parameter gradient cross
   between host and backend memory. So far this is done, with activation tanh, relu or identity (until 2026-12-05 the
   dense blocks ran tanh alone) and with or without shared weights (since 2026-12-05: the block uploads the one step's
   parameters N times and sums the steps' gradients on the host), for blocks of
   scheme euler with layer dense, antisym, negdef or symmetric (the parabolic network), of scheme leapfrog with layer
   dense, antisym or negdef, of scheme verlet with layer hamiltonian, and for conv blocks of 3x3 stencils without
   pooling: scheme euler with layer conv or convantisym (as many output as input channels) or convsymmetric (the
   parabolic CNN), scheme single with layer conv (the opening layer and the connectors, cin -> cout channels, 1x1 or
   3x3 stencils, 2x2 average pooling or none), scheme verlet with layer
   convhamiltonian (the Hamiltonian CNN) and scheme leapfrog with layer conv or convsymmetric (the second-order CNN),
   the three CNNs of paper 000, all with or without paper 000's TV normalization (any number of channels; paper 000's
   experiments use ReLU); and
   scheme single with layer globalavg (the average of each channel before the classifier). `OdynSchemeSetUp()` stops
   with PETSC_ERR_SUP for other blocks (src/schemes/schemebackendblock.c lists them). A Verlet or leapfrog block (dense
   or conv) with `ODYN_TRAJECTORY_RECOMPUTE` (-odyn_scheme_trajectory recompute) keeps only its last states on the
   backend and recomputes them backwards in the adjoint (and forward from Y_0 in the tangent): backend memory flat in
   depth, O((n + m) s) instead of O((N + 1)(n + m) s), results equal to the storing sweeps up to round-off.
   `OdynSchemeGetState()` is not available on such a block (its states are in the backend's memory). The derivative
   sweeps must be given the forward sweep's theta (`OdynSchemeTangent()`), which the network does. Errors of the name
   and of the device are those of `OdynBackendGet()`. Networks set their blocks' backend: `OdynNetSetBackend()`.

.seealso: `OdynNetSetBackend()`, `OdynBackendGet()`, `OdynSchemeGetBackend()`
@*/
PetscErrorCode OdynSchemeSetBackend(OdynScheme scheme, OdynBackendType name)
{
  const OdynBackendOps *ops;

  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidCharPointer(name, 2);
  PetscCall(OdynBackendGet(PetscObjectComm((PetscObject)scheme), name, &ops));
  PetscCall(OdynSchemeSetBackendOps_Private(scheme, ops));
  PetscFunctionReturn(0);
}

/* the table (from OdynBackendGet()) without the collective look-up: the host table means the host path */
PetscErrorCode OdynSchemeSetBackendOps_Private(OdynScheme scheme, const OdynBackendOps *ops)
{
  PetscFunctionBegin;
  if (ops == odyn_backend_host()) ops = NULL;
  if (ops == scheme->backend) PetscFunctionReturn(0);
  PetscCall(OdynSchemeFreeStorage_Private(scheme)); /* with the old table: the states belong to it */
  scheme->backend     = ops;
  scheme->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/*@C
   OdynSchemeGetBackend - the name of the backend the block's sweeps run on

   Not Collective

   Output Parameter:
.  name - "host", "hostref" or "cuda" (static storage)

   Level: intermediate

.seealso: `OdynSchemeSetBackend()`
@*/
PetscErrorCode OdynSchemeGetBackend(OdynScheme scheme, OdynBackendType *name)
{
  PetscFunctionBegin;
  PetscValidHeaderSpecific(scheme, ODYNSCHEME_CLASSID, 1);
  PetscValidPointer(name, 2);
  *name = scheme->backend ? scheme->backend->name : ODYNBACKENDHOST;
  PetscFunctionReturn(0);
}
