/*
   test_lossbackend.c with the backend cuda instead of hostref (label gpu): the classifier and the loss function on
   the GPU against the host loss (value, gradients, Hessian products, accuracy; softmax, logistic, lsq, identity, a
   user's type), and the exact host <-> device copies, on 1 and 2 ranks. Bounds in test_lossbackend.c. Exits 2
   without a device.
*/
#define ODYN_TEST_GPU_BUILD 1
#include "../test_lossbackend.c"
