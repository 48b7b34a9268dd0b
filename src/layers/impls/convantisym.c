#include "convcore.h"

/*MC
   ODYNLAYERCONVANTISYM - "convantisym": F(theta, Y) = sigma(N(1/2 (K - K^T - gamma I) * Y + b)), the convolutional
   version of ODYNLAYERANTISYM (paper 001 eq. 4.12, Sec. 6.4)

   K^T is the adjoint of the convolution K: the convolution with the flipped stencil and exchanged channels, so
   K - K^T is again a k x k convolution, and antisymmetric. Needs as many output as input channels.

   Options Database Keys:
+  -odyn_layer_antisym_gamma <0> - the diffusion gamma (OdynLayerAntisymSetGamma())
-  the options of ODYNLAYERCONV except pooling

   Parameters of one step: theta_j = [K (c x c x k x k) | b (c) | scale (c) | beta (c)], the last two with -odyn_layer_tvnorm.

   Level: beginner

.seealso: `ODYNLAYERCONV`, `ODYNLAYERANTISYM`, `OdynLayerAntisymSetGamma()`
M*/

PETSC_INTERN PetscErrorCode OdynLayerCreate_ConvAntisym(OdynLayer layer)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerConvCreate_Private(layer, ODYN_CONV_ANTISYM));
  PetscFunctionReturn(0);
}
