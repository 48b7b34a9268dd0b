/*
   test_netchain.c with -odyn_backend cuda instead of hostref (label gpu): blocks chained on the GPU hand their states
   over in device memory (parity with the host path, and the exact host <-> device copies of each block), for dense
   Euler, reversible Verlet and the MNIST-shaped conv network, on 1 and 2 ranks. Bounds in test_netchain.c. Exits 2
   without a device.
*/
#define ODYN_TEST_GPU_BUILD 1
#include "../test_netchain.c"
