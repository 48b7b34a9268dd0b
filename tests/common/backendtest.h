/*
  main() of a test built twice from one source: for the backend hostref (label unit), and for cuda (label gpu) by its
  twin in tests/gpu/, which defines ODYN_TEST_GPU_BUILD before including the source. The tests run in one test case
  named after the backend; on cuda the program first exits 2 (ctest: skipped) without a device, on every rank alike,
  before MPI starts. Header only: it is compiled with the test, so the build decides.
*/
#ifndef ODYN_TEST_BACKENDTEST_H
#define ODYN_TEST_BACKENDTEST_H

#include <stdio.h>
#include "odyntest.h"
#if defined(ODYN_TEST_GPU_BUILD)
  #include <cuda_runtime.h>
#endif

/* backendtrain.c: the largest relative difference of the objective terms and gradient norms of history b against ref
   (n entries each), one line printed per iteration */
PetscReal OdynTestHistoryDiff(PetscInt n, const OdynTrainerHistoryEntry ref[], const OdynTrainerHistoryEntry b[]);
/* backendtrain.c: the network, loss, regularizer and trainer the options opts build (a database of their own, pushed
   while they and the data sets made by data are made and run), trained on those sets on the host and on backend
   (problem: the trainer's problem name, or NULL): at least minits iterations, the same number on both, histories
   within tol, the host run learning, every block of the backend run on it; label starts the printed line */
void OdynTestTrainOnBackend(const char *opts, PetscErrorCode (*data)(OdynDataset *, OdynDataset *), const char *problem, const char *backend, PetscInt minits, PetscReal tol, const char *label);

/* suite: the suite's name; backend: the test case's (the backend the tests run on); the n tests of list */
static inline int OdynTestBackendMain(int argc, char **argv, const char *suite, const char *backend, int n, const TTest *const list[])
{
#if defined(ODYN_TEST_GPU_BUILD)
  int count = 0;

  if (cudaGetDeviceCount(&count) != cudaSuccess || count < 1) {
    printf("%s on %s: no CUDA device, skipped\n", suite, backend);
    return 2;
  }
#endif
  return OdynTestMainList(argc, argv, suite, backend, n, list);
}

#endif
