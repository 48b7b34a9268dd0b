#include "convcore.h"

/*MC
   ODYNLAYERCONVHAMILTONIAN - "convhamiltonian": the two faces of the Hamiltonian CNN for ODYNSCHEMEVERLET, the
   convolutional version of ODYNLAYERHAMILTONIAN (paper 000 Sec. 3.2, paper 001 eq. 4.15)

     face 0:  F(theta, Z) = sigma(N(K * Z + bF)),     Z (m channels) -> Y (c channels)
     face 1:  G(theta, Y) = sigma(N(K^T * Y + bG)),   Y (c channels) -> Z (m channels)

   Both faces share the stencil K (c x m x k x k); K^T is its adjoint convolution. -odyn_layer_channels c,m (m = c by
   default) sets the channels of Y and Z.

   Options Database Keys:
.  the options of ODYNLAYERCONV except pooling

   Parameters of one step: theta_j = [K (c x m x k x k) | bF (c) | bG (m) | scaleF, betaF (c each) | scaleG, betaG (m each)],
   the scales and biases of the normalization with -odyn_layer_tvnorm.

   Level: beginner

.seealso: `ODYNLAYERHAMILTONIAN`, `ODYNSCHEMEVERLET`, `ODYNLAYERCONV`
M*/

PETSC_INTERN PetscErrorCode OdynLayerCreate_ConvHamiltonian(OdynLayer layer)
{
  PetscFunctionBegin;
  PetscCall(OdynLayerConvCreate_Private(layer, ODYN_CONV_HAMILTONIAN));
  PetscFunctionReturn(0);
}
