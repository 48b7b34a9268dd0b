static const char help[] = "Trains paper 001's convolutional network (Haber & Ruthotto, Sec. 6.4, Table 1) on MNIST or Fashion-MNIST:\n"
                           "an opening 3x3 convolution 1 -> 6 channels, then a block of 3x3 convolutions with 6 channels (T = 6),\n"
                           "multilevel in depth (4, 8, 16 layers), a softmax classifier on all 6 x 28 x 28 = 4,704 output\n"
                           "features with a Laplacian smoothness regularizer, trained by block coordinate descent\n"
                           "(Gauss-Newton-PCG for theta, Newton-PCG for the classifier). Defaults: problems/options/<problem>.opts.\n"
                           "  -odyn_problem <mnist>      mnist | fashion-mnist (data: docs/data.md; folder -odyn_mnist_dir)\n"
                           "  -odyn_net <resnet>         resnet | antisym | verlet: the paper's three networks; parabolic, leapfrog: paper 000's\n"
                           "                             parabolic and second-order CNNs (layer convsymmetric -K^T tanh(K Y + b), K: 6 -> 6\n"
                           "                             channels, with scheme euler and leapfrog)\n"
                           "  -odyn_classifier_reg <true>  false: no regularizer of the classifier weights (the -cls_ options are not\n"
                           "                             read), for networks whose features are not images, e.g. a last block of layer\n"
                           "                             globalavg (paper 000: the average of each channel before the classifier)\n"
                           "  -odyn_test <bool>          also report the accuracy on the t10k test set (default: when its file exists)\n"
                           "  -odyn_expect_val_acc <a>   fail unless the best validation accuracy reaches a percent (for tests)\n"
                           "  -odyn_expect_objective_ratio <r>  first train with theta fixed at its random start (the classifier on\n"
                           "                             untrained features), then fail unless the trained run's final objective is < r times it\n"
                           "  -odyn_skip_missing_data    exit with status 77 (a skipped test) when the data are not there\n"
                           "  -odyn_png_prefix <p>       write <p>_features.png (validation images and their propagated channels)\n"
                           "                             and <p>_weights.png (the classifier's weights per class and channel), Fig. 7\n"
                           "  -odyn_png_examples <4>     the number of validation images in <p>_features.png (spread over the set)\n"
                           "  -odyn_png_upscale <3>      pixels per image pixel in each direction\n"
                           "  -odyn_png_colormap <diverging>  diverging (blue-white-red, zero white) | gray\n"
                           "  -odyn_png_range <tile>     tile: each image its own colour range | common: one range per figure\n"
                           "Any -odyn_ option on the command line overrides the defaults (e.g. -odyn_mnist_num_train 1000).\n";

#include <odyn.h>
#include <sys/resource.h>

/*
  The paper's networks: the options file builds block0 (opening layer, scheme single) and block1 (the ResNet); the
  presets change block1's scheme and layer. The Verlet network's second state Z has 6 channels too, as has K * Y of the
  parabolic CNN (paper 000 eq. 7-8, not one of paper 001's three: its ResNet block with the symmetric layer) and of the
  second-order CNN (paper 000, leapfrog with the symmetric layer).
*/
static PetscErrorCode InsertNetPreset(MPI_Comm comm, const char *net)
{
  PetscBool resnet, antisym, verlet, parabolic, leapfrog;

  PetscFunctionBegin;
  PetscCall(PetscStrcmp(net, "resnet", &resnet));
  PetscCall(PetscStrcmp(net, "antisym", &antisym));
  PetscCall(PetscStrcmp(net, "verlet", &verlet));
  PetscCall(PetscStrcmp(net, "parabolic", &parabolic));
  PetscCall(PetscStrcmp(net, "leapfrog", &leapfrog));
  PetscCheck(resnet || antisym || verlet || parabolic || leapfrog, comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown -odyn_net %s: use resnet, antisym, verlet, parabolic or leapfrog", net);
  if (resnet) PetscCall(PetscOptionsInsertString(NULL, "-block1_odyn_scheme_type euler -block1_odyn_layer_type conv"));
  if (antisym) PetscCall(PetscOptionsInsertString(NULL, "-block1_odyn_scheme_type euler -block1_odyn_layer_type convantisym"));
  if (verlet) PetscCall(PetscOptionsInsertString(NULL, "-block1_odyn_scheme_type verlet -block1_odyn_layer_type convhamiltonian"));
  if (parabolic) PetscCall(PetscOptionsInsertString(NULL, "-block1_odyn_scheme_type euler -block1_odyn_layer_type convsymmetric"));
  if (leapfrog) PetscCall(PetscOptionsInsertString(NULL, "-block1_odyn_scheme_type leapfrog -block1_odyn_layer_type convsymmetric"));
  PetscFunctionReturn(0);
}

/* Whether the t10k test images of the problem are where OdynProblemMNISTCreateTestSet() looks for them. */
static PetscErrorCode HaveTestSet(MPI_Comm comm, const char *problem, PetscBool *have)
{
  char      dir[PETSC_MAX_PATH_LEN] = "", file[PETSC_MAX_PATH_LEN];
  PetscBool given, fashion;

  PetscFunctionBegin;
  *have = PETSC_FALSE;
  PetscCall(PetscOptionsHasName(NULL, NULL, "-odyn_data_test", &given));
  if (given) {
    *have = PETSC_TRUE;
    PetscFunctionReturn(0);
  }
  PetscCall(PetscStrcmp(problem, "fashion-mnist", &fashion));
  /* the problems' default folders (problems/mnist.c) */
  PetscCall(PetscStrncpy(dir, fashion ? "/usr/share/datasets/fashion-mnist" : "data/mnist", sizeof(dir)));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_mnist_dir", dir, sizeof(dir), NULL));
  PetscCall(PetscSNPrintf(file, sizeof(file), "%s/t10k-images-idx3-ubyte", dir));
  PetscCall(PetscTestFile(file, 'r', have));
  if (!*have) {
    PetscCall(PetscSNPrintf(file, sizeof(file), "%s/t10k-images-idx3-ubyte.gz", dir));
    PetscCall(PetscTestFile(file, 'r', have));
  }
  (void)comm;
  PetscFunctionReturn(0);
}

/* Percent of correctly classified examples of ds (all ranks). */
static PetscErrorCode Accuracy(OdynTrainer trainer, Vec theta, Vec wmu, OdynDataset ds, PetscReal *acc)
{
  Vec             X;
  const PetscInt *lab;
  PetscInt       *pred, nloc, nglob, right = 0;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetSizes(ds, NULL, NULL, &nloc, &nglob));
  PetscCall(OdynDatasetGetFeatures(ds, &X));
  PetscCall(OdynDatasetGetLabels(ds, &lab));
  PetscCall(PetscMalloc1(PetscMax(nloc, 1), &pred));
  PetscCall(OdynTrainerPredict(trainer, theta, wmu, X, pred));
  for (PetscInt i = 0; i < nloc; i++) right += pred[i] == lab[i];
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &right, 1, MPIU_INT, MPI_SUM, PetscObjectComm((PetscObject)trainer)));
  *acc = nglob ? 100.0 * right / nglob : 0;
  PetscCall(PetscFree(pred));
  PetscFunctionReturn(0);
}

/* Peak resident memory of the ranks (ru_maxrss is in KiB on Linux): the largest and the sum. */
static PetscErrorCode PeakMemory(MPI_Comm comm, PetscReal *maxmib, PetscReal *summib)
{
  struct rusage ru;
  double        kib, mx, sm;

  PetscFunctionBegin;
  PetscCheck(getrusage(RUSAGE_SELF, &ru) == 0, comm, PETSC_ERR_SYS, "getrusage() failed");
  kib = (double)ru.ru_maxrss;
  PetscCallMPI(MPI_Allreduce(&kib, &mx, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscCallMPI(MPI_Allreduce(&kib, &sm, 1, MPI_DOUBLE, MPI_SUM, comm));
  *maxmib = mx / 1024;
  *summib = sm / 1024;
  PetscFunctionReturn(0);
}

/* The settings of the figures (-odyn_png_*). */
typedef struct {
  char             prefix[PETSC_MAX_PATH_LEN];
  PetscInt         examples, upscale;
  OdynPlotColormap cmap;
  OdynPlotRange    range;
} FigureOptions;

/*
  Figures like paper 001's Fig. 7, with the returned (best) parameters. <p>_features.png: one row per validation
  example, the input image then the output channels of the network (Y_N reshaped to the image grid, channel after
  channel); <p>_weights.png: one row per class, the classifier weights of that class for each output channel. The shown
  examples are spread over the validation set (global indices k nval / E), so on several ranks they come from several
  ranks; every rank passes its part of the values and OdynPlotWriteImageGrid() gathers them on rank 0.
*/
static PetscErrorCode WriteFigures(OdynNet net, Vec theta, Vec wmu, OdynDataset val, const FigureOptions *fo)
{
  MPI_Comm           comm = PetscObjectComm((PetscObject)net);
  char               file[PETSC_MAX_PATH_LEN + 16];
  PetscInt           n1, n2, cin, nin, nout, cout, nval, lo, hi, E, m = 0, *sel, nw, wlo, whi, nc;
  Vec                X, Xs, Ys;
  const PetscScalar *x, *ys, *w;
  PetscScalar       *xs;
  PetscReal         *buf;

  PetscFunctionBegin;
  PetscCall(OdynDatasetGetImageShape(val, &n1, &n2, &cin));
  PetscCall(OdynDatasetGetSizes(val, &nin, NULL, NULL, &nval));
  PetscCall(OdynNetGetOutputWidth(net, &nout));
  PetscCheck(n1 > 0 && nin == n1 * n2 * cin, comm, PETSC_ERR_ARG_WRONG, "-odyn_png_prefix: the validation features (%" PetscInt_FMT " per example) are not images of a known shape", nin);
  PetscCheck(nout % (n1 * n2) == 0, comm, PETSC_ERR_ARG_SIZ, "-odyn_png_prefix: the network's %" PetscInt_FMT " outputs are not channels of the %" PetscInt_FMT " x %" PetscInt_FMT " input grid", nout, n1, n2);
  cout = nout / (n1 * n2);
  E    = PetscMin(fo->examples, nval);

  /* this rank's share of the shown examples, propagated together (one forward sweep; ranks without any join empty) */
  PetscCall(OdynDatasetGetOwnershipRange(val, &lo, &hi));
  PetscCall(PetscMalloc1(PetscMax(E, 1), &sel));
  for (PetscInt k = 0; k < E; k++) {
    const PetscInt g = k * nval / E;
    if (g >= lo && g < hi) sel[m++] = g - lo;
  }
  PetscCall(OdynDatasetGetFeatures(val, &X));
  PetscCall(VecCreateMPI(comm, nin * m, PETSC_DETERMINE, &Xs));
  PetscCall(VecCreateMPI(comm, nout * m, PETSC_DETERMINE, &Ys));
  PetscCall(VecGetArrayRead(X, &x));
  PetscCall(VecGetArray(Xs, &xs));
  for (PetscInt e = 0; e < m; e++) PetscCall(PetscArraycpy(xs + e * nin, x + sel[e] * nin, nin));
  PetscCall(VecRestoreArray(Xs, &xs));
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscCall(OdynNetForward(net, theta, Xs, Ys));
  /* a row of tiles per example: its input channels, then its output channels (each a row-major n2 x n1 image) */
  PetscCall(PetscMalloc1(PetscMax(m * (nin + nout), 1), &buf));
  PetscCall(VecGetArrayRead(Xs, &x));
  PetscCall(VecGetArrayRead(Ys, &ys));
  for (PetscInt e = 0; e < m; e++) {
    for (PetscInt i = 0; i < nin; i++) buf[e * (nin + nout) + i] = PetscRealPart(x[e * nin + i]);
    for (PetscInt i = 0; i < nout; i++) buf[e * (nin + nout) + nin + i] = PetscRealPart(ys[e * nout + i]);
  }
  PetscCall(VecRestoreArrayRead(Ys, &ys));
  PetscCall(VecRestoreArrayRead(Xs, &x));
  PetscCall(PetscSNPrintf(file, sizeof(file), "%s_features.png", fo->prefix));
  PetscCall(OdynPlotWriteImageGrid(comm, E, cin + cout, n2, n1, m * (nin + nout), buf, fo->cmap, fo->range, fo->upscale, file));
  PetscCall(PetscFree(buf));
  PetscCall(PetscFree(sel));
  PetscCall(VecDestroy(&Xs));
  PetscCall(VecDestroy(&Ys));

  /* wmu = [W (nout x nc, column-major: class after class, each class channel after channel) | mu]: this rank's slice
     of W is a contiguous piece of the grid's values (the bias mu, at the end, is not drawn) */
  PetscCall(VecGetSize(wmu, &nw));
  PetscCheck(nw % (nout + 1) == 0, comm, PETSC_ERR_ARG_SIZ, "-odyn_png_prefix: the classifier weights have %" PetscInt_FMT " entries, not (%" PetscInt_FMT " + 1) x classes", nw, nout);
  nc = nw / (nout + 1);
  PetscCall(VecGetOwnershipRange(wmu, &wlo, &whi));
  whi = PetscMin(whi, nout * nc);
  m   = PetscMax(whi - wlo, 0);
  PetscCall(PetscMalloc1(PetscMax(m, 1), &buf));
  PetscCall(VecGetArrayRead(wmu, &w));
  for (PetscInt i = 0; i < m; i++) buf[i] = PetscRealPart(w[i]);
  PetscCall(VecRestoreArrayRead(wmu, &w));
  PetscCall(PetscSNPrintf(file, sizeof(file), "%s_weights.png", fo->prefix));
  PetscCall(OdynPlotWriteImageGrid(comm, nc, cout, n2, n1, m, buf, fo->cmap, fo->range, fo->upscale, file));
  PetscCall(PetscFree(buf));
  PetscCall(PetscPrintf(comm, "odyn figures: %s_features.png (%" PetscInt_FMT " validation images x (input + %" PetscInt_FMT " output channels)) %s_weights.png (%" PetscInt_FMT " classes x %" PetscInt_FMT " channels)\n", fo->prefix, E, cout, fo->prefix, nc, cout));
  PetscFunctionReturn(0);
}

/* A trainer of the network with the paper's regularizers; its options come from the database. */
static PetscErrorCode CreateTrainer(const char *problem, OdynNet network, OdynLoss loss, OdynRegularizer reg, OdynRegularizer creg, OdynDataset train, OdynDataset val, OdynTrainer *trainer)
{
  PetscFunctionBegin;
  PetscCall(OdynTrainerCreate(PetscObjectComm((PetscObject)network), trainer));
  PetscCall(OdynTrainerSetNet(*trainer, network));
  PetscCall(OdynTrainerSetLoss(*trainer, loss));
  PetscCall(OdynTrainerSetRegularizer(*trainer, reg));
  PetscCall(OdynTrainerSetClassifierRegularizer(*trainer, creg));
  PetscCall(OdynTrainerSetData(*trainer, train, val));
  PetscCall(OdynTrainerSetProblemName(*trainer, problem));
  PetscCall(OdynTrainerSetFromOptions(*trainer));
  PetscFunctionReturn(0);
}

/* The propagation objective of the last iteration of a solved trainer. */
static PetscErrorCode FinalObjective(OdynTrainer trainer, PetscReal *obj)
{
  const OdynTrainerHistoryEntry *h;
  PetscInt                       n;

  PetscFunctionBegin;
  PetscCall(OdynTrainerGetHistory(trainer, &n, &h));
  PetscCheck(n > 0, PetscObjectComm((PetscObject)trainer), PETSC_ERR_ARG_WRONGSTATE, "The trainer ran no iteration (-odyn_bcd_max_it 0?)");
  *obj = h[n - 1].obj_propagation;
  PetscFunctionReturn(0);
}

/*
  The reference of -odyn_expect_objective_ratio: the same run with no Gauss-Newton step on theta, so that only the
  classifier learns, on the features of the randomly initialized network (same seed, same start). A wrong derivative
  in theta makes every Gauss-Newton line search fail and leaves the trained run here.
*/
static PetscErrorCode FixedFeatureObjective(const char *problem, OdynNet network, OdynLoss loss, OdynRegularizer reg, OdynRegularizer creg, OdynDataset train, OdynDataset val, PetscReal *obj)
{
  OdynTrainer trainer;
  Vec         theta = NULL, wmu = NULL;
  char        old[64] = "";
  PetscBool   had;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_bcd_gn_max_it", old, sizeof(old), &had));
  PetscCall(PetscOptionsSetValue(NULL, "-odyn_bcd_gn_max_it", "0"));
  PetscCall(CreateTrainer(problem, network, loss, reg, creg, train, val, &trainer));
  if (had) PetscCall(PetscOptionsSetValue(NULL, "-odyn_bcd_gn_max_it", old));
  else PetscCall(PetscOptionsClearValue(NULL, "-odyn_bcd_gn_max_it"));
  PetscCall(OdynTrainerSolve(trainer, &theta, &wmu));
  PetscCall(FinalObjective(trainer, obj));
  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&wmu));
  PetscCall(OdynTrainerDestroy(&trainer));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char            problem[64] = "mnist", net[64] = "resnet", path[PETSC_MAX_PATH_LEN];
  PetscBool       defaults = PETSC_TRUE, skip = PETSC_FALSE, dotest, testset, clsreg = PETSC_TRUE;
  PetscReal       expect = -1, ratio = -1, objfixed = 0, objtrained = 0, best, testacc = -1, mx = 0, sm = 0;
  PetscInt        bestlayers, ntrain, nval, nout;
  PetscLogDouble  t0, t1;
  OdynDataset     train = NULL, val = NULL, test = NULL;
  OdynNet         network;
  OdynLoss        loss;
  OdynRegularizer reg, creg = NULL;
  OdynTrainer     trainer;
  Vec             theta = NULL, wmu = NULL;
  MPI_Comm        comm;
  PetscErrorCode  ierr;
  FigureOptions   fo = {"", 4, 3, ODYN_PLOT_COLORMAP_DIVERGING, ODYN_PLOT_RANGE_TILE};

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscCall(PetscTime(&t0));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_problem", problem, sizeof(problem), NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_net", net, sizeof(net), NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-odyn_defaults", &defaults, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-odyn_skip_missing_data", &skip, NULL));
  if (defaults) {
    /* the paper's settings, then the network preset, then the command line again so that it wins */
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s.opts", ODYN_OPTIONS_DIR, problem));
    PetscCall(PetscOptionsInsertFile(comm, NULL, path, PETSC_TRUE));
    PetscCall(InsertNetPreset(comm, net));
    PetscCall(PetscOptionsInsert(NULL, &argc, &argv, NULL));
  }
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-odyn_expect_val_acc", &expect, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-odyn_expect_objective_ratio", &ratio, NULL));
  PetscCall(HaveTestSet(comm, problem, &testset));
  dotest = testset;
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-odyn_test", &dotest, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-odyn_classifier_reg", &clsreg, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-odyn_png_prefix", fo.prefix, sizeof(fo.prefix), NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-odyn_png_examples", &fo.examples, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-odyn_png_upscale", &fo.upscale, NULL));
  PetscCall(PetscOptionsGetEnum(NULL, NULL, "-odyn_png_colormap", OdynPlotColormaps, (PetscEnum *)&fo.cmap, NULL));
  PetscCall(PetscOptionsGetEnum(NULL, NULL, "-odyn_png_range", OdynPlotRanges, (PetscEnum *)&fo.range, NULL));
  /* checked before training, not after an hour of it (the upscale is checked by OdynPlotWriteImageGrid) */
  PetscCheck(fo.examples >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_png_examples must be >= 1, got %" PetscInt_FMT, fo.examples);
  PetscCheck(fo.upscale >= 1 && fo.upscale <= 64, comm, PETSC_ERR_ARG_OUTOFRANGE, "-odyn_png_upscale must be in 1 .. 64, got %" PetscInt_FMT, fo.upscale);

  /* the data; a test without them is skipped rather than failed (CI machines may lack the files) */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = OdynProblemCreate(comm, problem, &train, &val);
  PetscCall(PetscPopErrorHandler());
  if (ierr == PETSC_ERR_FILE_OPEN && skip) {
    PetscCall(PetscPrintf(comm, "odyn mnist: SKIP: no %s data (docs/data.md says how to get them)\n", problem));
    PetscCall(PetscFinalize());
    return 77;
  }
  if (ierr) PetscCall(OdynProblemCreate(comm, problem, &train, &val)); /* again, so that PETSc reports the error */
  if (dotest) PetscCall(OdynProblemMNISTCreateTestSet(comm, problem, &test));
  PetscCall(OdynDatasetGetSizes(train, NULL, NULL, NULL, &ntrain));
  PetscCall(OdynDatasetGetSizes(val, NULL, NULL, NULL, &nval));

  PetscCall(OdynNetCreate(comm, &network));
  PetscCall(OdynNetSetFromOptions(network));
  PetscCall(OdynNetSetUp(network));
  PetscCall(OdynNetGetOutputWidth(network, &nout));
  PetscCall(OdynLossCreate(comm, &loss));
  PetscCall(OdynLossSetFromOptions(loss));
  PetscCall(OdynRegularizerCreate(comm, &reg)); /* smoothness in time of theta (alpha, eq. 5.23) */
  PetscCall(OdynRegularizerSetFromOptions(reg));
  /* the classifier's weights: one image per class on the 28 x 28 grid of each output channel (beta, eq. 5.25) */
  if (clsreg) {
    PetscCall(OdynRegularizerCreate(comm, &creg));
    PetscCall(OdynRegularizerSetOptionsPrefix(creg, "cls_"));
    PetscCall(OdynRegularizerSetFromOptions(creg));
  }

  PetscCall(PetscPrintf(comm, "odyn mnist: %s, %" PetscInt_FMT " training / %" PetscInt_FMT " validation images, net %s, %" PetscInt_FMT " features at the classifier\n", problem, ntrain, nval, net, nout));
  if (ratio >= 0) {
    PetscCall(PetscPrintf(comm, "odyn mnist: reference run with theta fixed at its random start (-odyn_bcd_gn_max_it 0)\n"));
    PetscCall(FixedFeatureObjective(problem, network, loss, reg, creg, train, val, &objfixed));
  }
  PetscCall(CreateTrainer(problem, network, loss, reg, creg, train, val, &trainer));
  PetscCall(OdynTrainerSolve(trainer, &theta, &wmu));
  PetscCall(FinalObjective(trainer, &objtrained));
  PetscCall(OdynTrainerGetBest(trainer, &bestlayers, &best));
  if (test) PetscCall(Accuracy(trainer, theta, wmu, test, &testacc));
  if (fo.prefix[0]) PetscCall(WriteFigures(network, theta, wmu, val, &fo));
  PetscCall(PetscTime(&t1));
  PetscCall(PeakMemory(comm, &mx, &sm));
  { /* the backend memory odyn held (device memory on cuda; on hostref the same buffers in host memory) */
    const OdynBackendOps *ops;
    PetscLogDouble        peak;

    PetscCall(OdynBackendFromOptions(comm, &ops));
    PetscCall(OdynBackendGetMemoryUse(ops, NULL, &peak));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &peak, 1, MPI_DOUBLE, MPI_MAX, comm));
    if (peak > 0) PetscCall(PetscPrintf(comm, "odyn memory: backend memory held at most %.1f MiB (largest rank)\n", (double)peak / 1048576.0));
  }
  if (test) PetscCall(PetscPrintf(comm, "odyn test: problem=%s net=%s layers=%" PetscInt_FMT " test_acc=%.2f\n", problem, net, bestlayers, (double)testacc));
  PetscCall(PetscPrintf(comm, "odyn memory: peak resident %.1f MiB (largest rank), %.1f MiB (all ranks); wall %.1f s\n", (double)mx, (double)sm, (double)(t1 - t0)));
  PetscCheck(expect < 0 || best >= expect, comm, PETSC_ERR_NOT_CONVERGED, "Best validation accuracy %.2f%% (at %" PetscInt_FMT " layers) is below the expected %.2f%% (-odyn_expect_val_acc)", (double)best, bestlayers, (double)expect);
  if (ratio >= 0) {
    PetscCall(PetscPrintf(comm, "odyn mnist: final objective %.6e trained, %.6e with theta fixed: ratio %.3f\n", (double)objtrained, (double)objfixed, (double)(objtrained / objfixed)));
    PetscCheck(objtrained < ratio * objfixed, comm, PETSC_ERR_NOT_CONVERGED, "The trained network's objective %g is not below %g times the one with theta fixed, %g (-odyn_expect_objective_ratio): the Gauss-Newton steps on theta did not help", (double)objtrained, (double)ratio, (double)objfixed);
  }
  if (expect >= 0 || ratio >= 0) PetscCall(PetscPrintf(comm, "odyn mnist: best validation accuracy %.2f%%, checks: PASS\n", (double)best));

  PetscCall(VecDestroy(&theta));
  PetscCall(VecDestroy(&wmu));
  PetscCall(OdynTrainerDestroy(&trainer));
  PetscCall(OdynRegularizerDestroy(&creg));
  PetscCall(OdynRegularizerDestroy(&reg));
  PetscCall(OdynLossDestroy(&loss));
  PetscCall(OdynNetDestroy(&network));
  PetscCall(OdynDatasetDestroy(&test));
  PetscCall(OdynDatasetDestroy(&train));
  PetscCall(OdynDatasetDestroy(&val));
  PetscCall(PetscFinalize());
  return 0;
}
