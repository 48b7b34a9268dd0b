/*
   test_lossbackend.c with the backend cuda instead of hostref (label gpu): the classifier's GEMMs with the features on
   the GPU against the host loss (value, gradients, Hessian products; softmax, logistic, lsq, identity), and the exact
   host <-> device copies (the features once per data), on 1 and 2 ranks. Bounds in test_lossbackend.c. Exits 2
   without a device.
*/
#define ODYN_TEST_GPU_BUILD 1
#include "../test_lossbackend.c"
