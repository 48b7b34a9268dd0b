/*
   test_convverletbackend.c with -odyn_backend cuda instead of hostref (label gpu): the Hamiltonian CNN, verlet +
   convhamiltonian (conv_verlet_*), on the GPU against the host path: parity (stored and reversible, 1 and 2 ranks,
   the state memory stored vs reversible), Taylor / dot, the small net's history, Z of 20 channels refused, linsize and
   revsize -1 above 16. The bounds and their reasons are in tests/common/convbackendcase.h. Exits 2 without a device.
*/
#define ODYN_TEST_GPU_BUILD 1
#include "../test_convverletbackend.c"
