/*
   The host table's loss functions (include/odyn/private/backend.h: loss_value, loss_hessmult): the per-example
   functions of lossfn.h over the examples in order with one running sum, then the scaling, exactly as the loss types'
   host path (their value / hessmult ops, then the 1/s scaling in src/losses/losseval.c), so that -odyn_backend
   hostref gives that path's results bit for bit and the cuda table (src/backend/cuda/losses.cu) has its reference.
   No PETSc header, as the rest of src/backend/.
*/
#include <odyn/private/backend.h>
#include <odyn/private/lossfn.h>

void odyn_host_loss_value(int fn, long nc, long s, double scale, const double *Z, const double *C, double *G, double *sum)
{
  double acc = 0.0;

  for (long e = 0; e < s; e++) acc = odyn_lossfn_value(fn, nc, Z + e * nc, C + e * nc, acc, G ? G + e * nc : NULL);
  if (G)
    for (long i = 0; i < nc * s; i++) G[i] *= scale;
  *sum = acc;
}

void odyn_host_loss_hessmult(int fn, long nc, long s, double scale, const double *Z, const double *C, const double *dZ, double *H)
{
  for (long e = 0; e < s; e++) odyn_lossfn_hessmult(fn, nc, Z + e * nc, C + e * nc, dZ + e * nc, H + e * nc);
  for (long i = 0; i < nc * s; i++) H[i] *= scale;
}
