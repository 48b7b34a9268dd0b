#include "convcore.h"

/*MC
   ODYNLAYERCONV - "conv": the convolutional ResNet layer F(theta, Y) = sigma(N(K * Y + b)) (paper 000 eq. 1 with
   K2 = I; paper 001 Sec. 6.4), optionally followed by 2x2 average pooling

   K is a multi-channel k x k convolution (stride 1, zero padding "same", every output channel a sum over all input
   channels), b a per-channel bias, N the optional total-variation normalization with per-channel scale and bias
   (paper 000 eq. 9). With as many output as input channels it is the layer of a convolutional ResNet (euler) or of the
   second-order CNN (leapfrog); with other channel counts, a 1x1 stencil or pooling it is an opening layer or a
   connector, applied once by ODYNSCHEMESINGLE.

   Options Database Keys:
+  -odyn_layer_image <h,w> - image size; the state's width is c h w (without it: a 1-D signal of n / c pixels)
.  -odyn_layer_channels <c[,c2]> - channels of the input and of the output (default c2 = c)
.  -odyn_layer_conv_kernel <3> - stencil size k (odd; 1 for a connector)
.  -odyn_layer_conv_pool - 2x2 average pooling after the activation (h and w even)
.  -odyn_layer_tvnorm - total-variation normalization
-  -odyn_layer_tvnorm_eps <1e-3> - its eps

   Parameters of one step: theta_j = [K (c2 x c x k x k) | b (c2) | scale (c2) | beta (c2)], the last two with -odyn_layer_tvnorm.

   Level: beginner

.seealso: `OdynLayerConvSetImage()`, `OdynLayerConvSetChannels()`, `ODYNLAYERCONVSYMMETRIC`, `ODYNSCHEMESINGLE`, docs/cnn.md
M*/

PETSC_INTERN PetscErrorCode OdynLayerCreate_Conv(OdynLayer layer)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerConvCreate_Private(layer, ODYN_CONV_PLAIN));
  PetscFunctionReturn(0);
}
