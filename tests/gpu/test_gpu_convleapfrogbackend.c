/*
   test_convleapfrogbackend.c with -odyn_backend cuda instead of hostref (label gpu): the second-order CNN, leapfrog +
   conv or convsymmetric (conv_leapfrog_*), on the GPU against the host path: parity (1 and 2 ranks), the state
   memory, Taylor / dot, the small nets' histories, 20 channels refused, linsize -1 above 16. The bounds and their
   reasons are in tests/common/convbackendcase.h. Exits 2 without a device.
*/
#define ODYN_TEST_GPU_BUILD 1
#include "../test_convleapfrogbackend.c"
