/*
   test_netbackend.c with -odyn_backend cuda instead of hostref (label gpu): the dense Euler tanh blocks and the Verlet
   (hamiltonian) tanh blocks of a network on the GPU against the host path (forward, J v, J^T w, gradient, on 1 and 2
   ranks), Taylor and dot-product tests on the device path, the ellipse ResNet's and peaks Verlet's (n = 2) objective
   histories over 10 Gauss-Newton iterations against the host's (the acceptance test of issue 8), and the refusal of a
   Verlet block wider than the narrow kernels (n or m > 16). The bounds and their reasons are in test_netbackend.c. Exits 2 without a device.
*/
#define ODYN_TEST_GPU_BUILD 1
#include "../test_netbackend.c"
