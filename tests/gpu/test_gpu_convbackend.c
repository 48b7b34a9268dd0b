/*
   test_convbackend.c with -odyn_backend cuda instead of hostref (label gpu): convolutional Euler tanh blocks (3x3,
   c -> c channels; layer conv, and convantisym with its effective stencils (K - adj K - gamma I)/2, gamma 0, 0.1, 0.3)
   of a network on the GPU against the host path (forward, J v, J^T w, gradient, on 1 and 2 ranks,
   with an opening conv layer kept on the host by its own -<prefix>odyn_backend host), Taylor and dot-product tests on
   the device path, small MNIST-like networks' (conv and convantisym ResNet) objective histories over 6 Gauss-Newton
   iterations against the host's, and blocks of more than 16 channels (the GEMM path of convgemm.cu). The same for
   the opening conv layer on the device (conv_single_*). The Hamiltonian CNN's cases are test_gpu_convverletbackend.c's.
   The bounds and their reasons are in tests/common/convbackendcase.h. Exits 2 without a device.
*/
#define ODYN_TEST_GPU_BUILD 1
#include "../test_convbackend.c"
