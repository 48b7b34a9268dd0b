/*
   The cuda table's loss functions (include/odyn/private/backend.h: loss_value, loss_hessmult) on scores and targets
   in device memory, so that a loss on the GPU (src/losses/lossbackend.c) moves no scores-sized array: one thread per
   example runs the per-example function of include/odyn/private/lossfn.h, the same source as the host's (here
   compiled for the device: CUDA's exp / log / log1p and nvcc's contractions make the results differ from the host's
   by a few ulps). The value is reduced hierarchically, per block (block_sum) and across blocks (sum_partials), never
   with atomics, as the table's sum: deterministic, and within about (s nc) u of the host's running sum.
*/
#include <cuda_runtime.h>
#include <odyn/private/backend.h>
#include <odyn/private/lossfn.h>
#include "backendimpl.cuh"

namespace odyn_cudabackend {

__global__ void k_loss_value(int fn, long nc, long s, double scale, const double *Z, const double *C, double *G, double *part)
{
  double acc = 0.0;

  ODYN_FOR_EACH(e, s)
  {
    double *g = G ? G + e * nc : nullptr;

    acc = odyn_lossfn_value(fn, nc, Z + e * nc, C + e * nc, acc, g);
    if (g)
      for (long k = 0; k < nc; k++) g[k] *= scale;
  }
  acc = block_sum(acc);
  if (!threadIdx.x) part[blockIdx.x] = acc;
}

__global__ void k_loss_hessmult(int fn, long nc, long s, double scale, const double *Z, const double *C, const double *dZ, double *H)
{
  ODYN_FOR_EACH(e, s)
  {
    double *h = H + e * nc;

    odyn_lossfn_hessmult(fn, nc, Z + e * nc, C + e * nc, dZ + e * nc, h);
    for (long k = 0; k < nc; k++) h[k] *= scale;
  }
}

/* the arguments, as the host table checks them */
static int check(const char *op, int fn, long nc, long s, const double *Z, const double *C)
{
  char msg[256];
  int  r = odyn_lossfn_check(op, fn, nc, s, Z, C, msg, sizeof(msg));

  return r ? fail(r, "%s", msg) : ODYN_BACKEND_OK;
}

int cuda_loss_value(int fn, long nc, long s, double scale, const double *Z, const double *C, double *G, double *sum)
{
  int      r;
  unsigned g;

  if ((r = check("loss_value", fn, nc, s, Z, C))) return r;
  *sum = 0.0;
  if (!s) return ODYN_BACKEND_OK;
  if ((r = ensure_stream())) return r;
  g = grid_for(s);
  if ((r = ensure_work(g + 1))) return r;
  k_loss_value<<<g, TPB, 0, st.stream>>>(fn, nc, s, scale, Z, C, G, st.work);
  if ((r = launched("loss_value kernel"))) return r;
  return sum_partials(g, sum, "loss_value");
}

int cuda_loss_hessmult(int fn, long nc, long s, double scale, const double *Z, const double *C, const double *dZ, double *H)
{
  int r;

  if ((r = check("loss_hessmult", fn, nc, s, Z, C)) || !s || (r = ensure_stream())) return r;
  k_loss_hessmult<<<grid_for(s), TPB, 0, st.stream>>>(fn, nc, s, scale, Z, C, dZ, H);
  return launched("loss_hessmult kernel");
}

} // namespace odyn_cudabackend
