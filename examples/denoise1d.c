static const char help[] = "Denoises piecewise-affine 1-D signals (paper 002 Sec. 7.1): trains a network whose output is the restored\n"
                           "signal (least squares, identity classifier) and reports the test PSNR against the noisy input.\n"
                           "  -odyn_net <symmetric>     resnet (paper 002's ResNet u + tau K2 Phi(K1 u), ODYNLAYERDIFFUSIONCONVRES) |\n"
                           "                            symmetric | dufortfrankel | fsi | lmresnet (diffusion blocks with 3-tap 1-D\n"
                           "                            convolutions, ODYNLAYERDIFFUSIONCONV) | denseresnet (paper 001's dense ResNet)\n"
                           "  -odyn_channels <1>        channels C: the input is copied into C channels, the output is their mean\n"
                           "  -odyn_trainer_type <adam> adam | sgd | bcd (Gauss-Newton-PCG)\n"
                           "  -odyn_expect_psnr_gain <g> fail unless the test PSNR gains g dB over the noisy input (for tests)\n"
                           "  T = -odyn_scheme_final_time defaults to the number of blocks (step h = 1, paper 002's blocks)\n"
                           "Defaults: problems/options/denoise1d.opts; any -odyn_ option on the command line overrides them.\n";

#include <odyn.h>

/* The networks of paper 002 Sec. 7.1 as option presets. */
static PetscErrorCode InsertNetPreset(const char *net, PetscInt C, PetscInt L)
{
  const struct {
    const char *name, *opts;
  } presets[] = {
    {"denseresnet",   "-odyn_scheme_type euler -odyn_layer_type dense"},
    {"resnet",        "-odyn_scheme_type euler -odyn_layer_type diffusionconvres"}, /* two kernels, paper 002 Sec. 4 */
    {"symmetric",     "-odyn_scheme_type euler -odyn_layer_type diffusionconv"},
    {"dufortfrankel", "-odyn_scheme_type dufortfrankel -odyn_layer_type diffusionconv"},
    {"fsi",           "-odyn_scheme_type fsi -odyn_layer_type diffusionconv"},
    {"lmresnet",      "-odyn_scheme_type lmresnet -odyn_layer_type diffusionconv"},
  };
  char buf[256];

  PetscFunctionBegin;
  for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
    PetscBool match;
    PetscCall(PetscStrcmp(net, presets[i].name, &match));
    if (!match) continue;
    PetscCall(PetscOptionsInsertString(NULL, presets[i].opts));
    if (i == 0) PetscCall(PetscSNPrintf(buf, sizeof(buf), "-odyn_layer_width %" PetscInt_FMT, C * L));
    else PetscCall(PetscSNPrintf(buf, sizeof(buf), "-odyn_layer_width %" PetscInt_FMT " -odyn_layer_diffusion_channels %" PetscInt_FMT, C * L, C));
    PetscCall(PetscOptionsInsertString(NULL, buf));
    if (C > 1) PetscCall(PetscOptionsInsertString(NULL, "-odyn_loss_identity_interleaved")); /* ExpandChannels' layout */
    PetscFunctionReturn(0);
  }
  SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown -odyn_net %s: use resnet, symmetric, dufortfrankel, fsi, lmresnet or denseresnet", net);
}

/*
  Unless -odyn_scheme_final_time is given, T = N (the blocks of the first level, -odyn_ml_levels; later levels of a
  multilevel run refine h): step h = 1, so that every block is one of paper 002's diffusion steps u - tau K^T Phi(K u)
  with tau up to its stability bound and more blocks diffuse longer. With T = 1 the whole network could diffuse for at most tau_max T = 2 whatever its depth:
  8 blocks then did no better than 4 (33.5 vs 33.8 dB, docs/denoising.md "Results vs paper 002"; 37.4 dB with h = 1).
*/
static PetscErrorCode InsertStepSize(void)
{
  PetscInt  levels[16], nl = 16;
  PetscBool set;
  char      buf[64];

  PetscFunctionBegin;
  PetscCall(PetscOptionsHasName(NULL, NULL, "-odyn_scheme_final_time", &set));
  if (set) PetscFunctionReturn(0);
  PetscCall(PetscOptionsGetIntArray(NULL, NULL, "-odyn_ml_levels", levels, &nl, &set));
  if (!set || nl < 1) PetscFunctionReturn(0); /* no level sizes (-odyn_defaults false): the scheme's own default T */
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "-odyn_scheme_final_time %" PetscInt_FMT, levels[0]));
  PetscCall(PetscOptionsInsertString(NULL, buf));
  PetscFunctionReturn(0);
}

/*
  C channels of each signal, channels fastest (sample i of channel a at i C + a: the layout of the diffusionconv
  layer), every channel a copy of the input. The loss's identity classifier averages them back
  (-odyn_loss_identity_interleaved).
*/
static PetscErrorCode ExpandChannels(OdynDataset ds, PetscInt C, OdynDataset *out)
{
  PetscInt           nf, nc, n, N;
  Vec                X, Y, T;
  const PetscScalar *x;
  PetscScalar       *y;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetSizes(ds, &nf, &nc, &n, &N));
  PetscCall(OdynDatasetCreate(PetscObjectComm((PetscObject)ds), out));
  PetscCall(OdynDatasetSetSizes(*out, C * nf, nc, n, N));
  PetscCall(OdynDatasetGetFeatures(ds, &X));
  PetscCall(OdynDatasetGetFeatures(*out, &Y));
  PetscCall(VecGetArrayRead(X, &x));
  PetscCall(VecGetArrayWrite(Y, &y));
  for (PetscInt e = 0; e < n; e++)
    for (PetscInt i = 0; i < nf; i++)
      for (PetscInt a = 0; a < C; a++) y[e * C * nf + i * C + a] = x[e * nf + i];
  PetscCall(VecRestoreArrayWrite(Y, &y));
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscCall(OdynDatasetGetTargets(ds, &T));
  PetscCall(OdynDatasetSetTargets(*out, T));
  PetscFunctionReturn(0);
}

/* test PSNR of the network's output with the trained parameters, and of the noisy input */
static PetscErrorCode TestPSNR(OdynNet net, OdynLoss loss, Vec theta, Vec wmu, OdynDataset test, OdynDataset test1, PetscReal *psnr, PetscReal *noisy)
{
  Vec      X, X1, T, YN;
  PetscInt nout, nloc;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetFeatures(test, &X));
  PetscCall(OdynDatasetGetFeatures(test1, &X1));
  PetscCall(OdynDatasetGetTargets(test, &T));
  PetscCall(OdynNetGetOutputWidth(net, &nout));
  PetscCall(OdynDatasetGetSizes(test, NULL, NULL, &nloc, NULL));
  PetscCall(VecCreateMPI(PetscObjectComm((PetscObject)net), nout * nloc, PETSC_DETERMINE, &YN));
  PetscCall(OdynNetForward(net, theta, X, YN));
  PetscCall(OdynLossGetPSNR(loss, wmu, YN, T, 255, psnr));
  PetscCall(OdynPSNR(X1, T, 255, noisy));
  PetscCall(VecDestroy(&YN));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char            net[64] = "symmetric", path[PETSC_MAX_PATH_LEN];
  PetscBool       defaults = PETSC_TRUE;
  PetscReal       expect = -PETSC_MAX_REAL, psnr, noisy;
  PetscInt        C = 1, L = 256, bestlayers, ntheta;
  OdynDataset     train1, val1, test1, train, val, test;
  OdynNet         network;
  OdynLoss        loss;
  OdynRegularizer reg;
  OdynTrainer     trainer;
  Vec             theta = NULL, wmu = NULL;
  MPI_Comm        comm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_net", net, sizeof(net), NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-odyn_defaults", &defaults, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-odyn_channels", &C, NULL));
  PetscCheck(C >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_channels must be >= 1, got %" PetscInt_FMT, C);
  if (defaults) {
    /* the paper's settings, then the network preset, then the command line again so that it wins */
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/denoise1d.opts", ODYN_OPTIONS_DIR));
    PetscCall(PetscOptionsInsertFile(comm, NULL, path, PETSC_TRUE));
  }
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-odyn_denoise1d_length", &L, NULL));
  PetscCall(InsertNetPreset(net, C, L));
  if (defaults) PetscCall(PetscOptionsInsert(NULL, &argc, &argv, NULL));
  PetscCall(InsertStepSize());
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-odyn_expect_psnr_gain", &expect, NULL));

  PetscCall(OdynProblemDenoise1DCreate(comm, &train1, &val1, &test1));
  if (C > 1) {
    PetscCall(ExpandChannels(train1, C, &train));
    PetscCall(ExpandChannels(val1, C, &val));
    PetscCall(ExpandChannels(test1, C, &test));
  } else {
    PetscCall(PetscObjectReference((PetscObject)train1));
    PetscCall(PetscObjectReference((PetscObject)val1));
    PetscCall(PetscObjectReference((PetscObject)test1));
    train = train1;
    val   = val1;
    test  = test1;
  }

  PetscCall(OdynNetCreate(comm, &network));
  PetscCall(OdynNetSetFromOptions(network));
  PetscCall(OdynLossCreate(comm, &loss));
  PetscCall(OdynLossSetFromOptions(loss));
  PetscCall(OdynRegularizerCreate(comm, &reg));
  PetscCall(OdynRegularizerSetFromOptions(reg));
  PetscCall(OdynTrainerCreate(comm, &trainer));
  PetscCall(OdynTrainerSetNet(trainer, network));
  PetscCall(OdynTrainerSetLoss(trainer, loss));
  PetscCall(OdynTrainerSetRegularizer(trainer, reg));
  PetscCall(OdynTrainerSetData(trainer, train, val));
  PetscCall(OdynTrainerSetProblemName(trainer, "denoise1d"));
  PetscCall(OdynTrainerSetFromOptions(trainer));
  PetscCall(OdynTrainerSolve(trainer, &theta, &wmu));
  PetscCall(OdynTrainerGetBest(trainer, &bestlayers, NULL));
  PetscCall(TestPSNR(network, loss, theta, wmu, test, test1, &psnr, &noisy));
  PetscCall(VecGetSize(theta, &ntheta));
  PetscCall(PetscPrintf(comm, "odyn denoise: net=%s channels=%" PetscInt_FMT " layers=%" PetscInt_FMT " params=%" PetscInt_FMT " test PSNR noisy %.2f dB -> denoised %.2f dB (gain %+.2f dB)\n", net, C, bestlayers, ntheta, (double)noisy, (double)psnr, (double)(psnr - noisy)));
  PetscCheck(psnr - noisy >= expect, comm, PETSC_ERR_NOT_CONVERGED, "The test PSNR gain %.2f dB is below the expected %.2f dB (-odyn_expect_psnr_gain)", (double)(psnr - noisy), (double)expect);

  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&wmu));
  PetscCall(OdynTrainerDestroy(&trainer));
  PetscCall(OdynRegularizerDestroy(&reg));
  PetscCall(OdynLossDestroy(&loss));
  PetscCall(OdynNetDestroy(&network));
  PetscCall(OdynDatasetDestroy(&train));
  PetscCall(OdynDatasetDestroy(&val));
  PetscCall(OdynDatasetDestroy(&test));
  PetscCall(OdynDatasetDestroy(&train1));
  PetscCall(OdynDatasetDestroy(&val1));
  PetscCall(OdynDatasetDestroy(&test1));
  PetscCall(PetscFinalize());
  return 0;
}
