#include "convcore.h"

/*MC
   ODYNLAYERCONVSYMMETRIC - "convsymmetric": the symmetric layer of the parabolic CNN,
   F(theta, Y) = -K^T sigma(N(K * Y + b)) (paper 000 eq. 7-9)

   K is a k x k convolution from the c channels of the state to m hidden channels (-odyn_layer_channels c,m), K^T its
   adjoint. dF/dY = -K^T diag(N' sigma') K ... is negative semi-definite for a monotone sigma without normalization, so
   forward Euler with small h is stable (paper 000 Theorem 1); leapfrog gives the second-order CNN.

   Options Database Keys:
.  the options of ODYNLAYERCONV except pooling

   Parameters of one step: theta_j = [K (m x c x k x k) | b (m) | scale (m) | beta (m)], the last two with -odyn_layer_tvnorm.

   Level: beginner

.seealso: `ODYNLAYERCONV`, `ODYNLAYERSYMMETRIC`
M*/

PETSC_INTERN PetscErrorCode OdynLayerCreate_ConvSymmetric(OdynLayer layer)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerConvCreate_Private(layer, ODYN_CONV_SYMMETRIC));
  PetscFunctionReturn(0);
}
