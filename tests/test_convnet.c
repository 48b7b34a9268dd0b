/*
  A small convolutional network as in paper 000 Sec. 5: opening layer (single, conv 3x3 1 -> 3 channels), a ResNet
  block (euler, conv with TV normalization), a connector with pooling (single, conv 1x1 3 -> 4 channels, 2x2 average),
  a parabolic block (leapfrog, convsymmetric), a Hamiltonian block (verlet, convhamiltonian), a second-order block
  (leapfrog, conv with TV normalization) and the average of each channel (single, globalavg): Taylor and dot-product
  tests of the whole network w.r.t. theta and Y0; multilevel refinement refines only the time-stepping blocks and copies
  the single blocks' parameters; the same network built from the options database.
*/
#include <string.h>
#include "odyntest.h"
#include <odyn/private/convkernels.h>

static PetscErrorCode AddBlock(OdynNet net, const char *stype, PetscInt N, const char *ltype, PetscInt h, PetscInt w, PetscInt c, PetscInt c2, PetscInt k, PetscBool pool, PetscBool tv)
{
  OdynScheme scheme;
  OdynLayer  layer;

  PetscFunctionBegin;
  PetscCall(OdynSchemeCreate(PETSC_COMM_WORLD, &scheme));
  PetscCall(OdynSchemeSetType(scheme, stype));
  PetscCall(OdynSchemeSetNumSteps(scheme, N));
  PetscCall(OdynSchemeSetFinalTime(scheme, 1.0));
  PetscCall(OdynSchemeGetLayer(scheme, &layer));
  PetscCall(OdynLayerSetType(layer, ltype));
  PetscCall(OdynLayerConvSetImage(layer, h, w));
  PetscCall(OdynLayerConvSetChannels(layer, c, c2));
  PetscCall(OdynLayerConvSetKernelSize(layer, k));
  PetscCall(OdynLayerConvSetPooling(layer, pool));
  PetscCall(OdynLayerConvSetTVNorm(layer, tv, 0.1));
  PetscCall(OdynNetAddBlock(net, scheme));
  PetscCall(OdynSchemeDestroy(&scheme));
  PetscFunctionReturn(0);
}

/* opening | ResNet | connector + pooling | parabolic (leapfrog) | Hamiltonian (verlet) | second order (leapfrog) |
   channel averages */
static PetscErrorCode BuildNet(OdynNet *net)
{
  PetscFunctionBegin;
  PetscCall(OdynNetCreate(PETSC_COMM_WORLD, net));
  PetscCall(AddBlock(*net, ODYNSCHEMESINGLE, 1, ODYNLAYERCONV, 6, 4, 1, 3, 3, PETSC_FALSE, PETSC_FALSE));
  PetscCall(AddBlock(*net, ODYNSCHEMEEULER, 3, ODYNLAYERCONV, 6, 4, 3, 0, 3, PETSC_FALSE, PETSC_TRUE));
  PetscCall(AddBlock(*net, ODYNSCHEMESINGLE, 1, ODYNLAYERCONV, 6, 4, 3, 4, 1, PETSC_TRUE, PETSC_FALSE));
  PetscCall(AddBlock(*net, ODYNSCHEMELEAPFROG, 2, ODYNLAYERCONVSYMMETRIC, 3, 2, 4, 2, 3, PETSC_FALSE, PETSC_FALSE));
  PetscCall(AddBlock(*net, ODYNSCHEMEVERLET, 2, ODYNLAYERCONVHAMILTONIAN, 3, 2, 4, 2, 3, PETSC_FALSE, PETSC_FALSE));
  PetscCall(AddBlock(*net, ODYNSCHEMELEAPFROG, 2, ODYNLAYERCONV, 3, 2, 4, 0, 3, PETSC_FALSE, PETSC_TRUE)); /* second-order CNN */
  PetscCall(AddBlock(*net, ODYNSCHEMESINGLE, 1, ODYNLAYERGLOBALAVG, 3, 2, 4, 0, 1, PETSC_FALSE, PETSC_FALSE));
  PetscFunctionReturn(0);
}

/* Taylor and dot-product tests of the network's output w.r.t. theta and Y0 at random points */
static PetscErrorCode CheckNet(OdynNet net, PetscInt s, const char *label)
{
  OdynTestNetCtx     c = {net, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
  PetscInt           nin, nout;
  Vec                YN, JvT, JvY, W, gth, gY0;
  const PetscScalar *yn, *jv;
  OdynTaylorOptions  topt;
  PetscScalar        a, b;

  PetscFunctionBegin;
  PetscCall(OdynNetGetInputWidth(net, &nin));
  PetscCall(OdynNetGetOutputWidth(net, &nout));
  PetscCall(OdynNetCreateParameterVec(net, &c.theta));
  PetscCall(VecDuplicate(c.theta, &c.dtheta));
  PetscCall(VecDuplicate(c.theta, &c.thp));
  PetscCall(VecDuplicate(c.theta, &gth));
  PetscCall(OdynTestRandomVec(1, 0.5, c.theta));
  PetscCall(OdynTestRandomVec(2, 1.0, c.dtheta));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, nin * s, PETSC_DETERMINE, &c.Y0));
  PetscCall(VecDuplicate(c.Y0, &c.dY0));
  PetscCall(VecDuplicate(c.Y0, &c.Y0p));
  PetscCall(VecDuplicate(c.Y0, &gY0));
  PetscCall(OdynTestRandomVec(3, 1.0, c.Y0));
  PetscCall(OdynTestRandomVec(4, 1.0, c.dY0));
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, nout * s, PETSC_DETERMINE, &YN));
  PetscCall(VecDuplicate(YN, &c.Yp));
  PetscCall(VecDuplicate(YN, &JvT));
  PetscCall(VecDuplicate(YN, &JvY));
  PetscCall(VecDuplicate(YN, &W));
  PetscCall(OdynTestRandomVec(5, 1.0, W));

  PetscCall(OdynNetForward(net, c.theta, c.Y0, YN));
  PetscCall(OdynNetJacobianMult(net, c.dtheta, NULL, JvT));
  PetscCall(OdynNetJacobianMult(net, NULL, c.dY0, JvY));
  PetscCall(OdynNetJacobianMultTranspose(net, W, gth, gY0));
  PetscCall(VecDot(JvT, W, &a));
  PetscCall(VecDot(c.dtheta, gth, &b));
  ck_assert_msg(PetscAbsScalar(a - b) <= 1e-12 * PetscAbsScalar(a), "dot test theta %s: %.16e vs %.16e", label, (double)a, (double)b);
  PetscCall(VecDot(JvY, W, &a));
  PetscCall(VecDot(c.dY0, gY0, &b));
  ck_assert_msg(PetscAbsScalar(a - b) <= 1e-12 * PetscAbsScalar(a), "dot test Y0 %s: %.16e vs %.16e", label, (double)a, (double)b);

  OdynTaylorOptionsDefault(&topt);
  topt.eps0 = 1e-2;
  PetscCall(VecGetArrayRead(YN, &yn));
  PetscCall(VecGetArrayRead(JvT, &jv));
  ck_assert_msg(OdynTaylorTest(label, nout * s, yn, jv, OdynTestNetPerturbTheta, &c, &topt), "Taylor test w.r.t. theta failed: %s", label);
  PetscCall(VecRestoreArrayRead(JvT, &jv));
  PetscCall(VecGetArrayRead(JvY, &jv));
  ck_assert_msg(OdynTaylorTest(label, nout * s, yn, jv, OdynTestNetPerturbY0, &c, &topt), "Taylor test w.r.t. Y0 failed: %s", label);
  PetscCall(VecRestoreArrayRead(JvY, &jv));
  PetscCall(VecRestoreArrayRead(YN, &yn));

  PetscCall(VecDestroy(&YN));
  PetscCall(VecDestroy(&c.Yp));
  PetscCall(VecDestroy(&JvT));
  PetscCall(VecDestroy(&JvY));
  PetscCall(VecDestroy(&W));
  PetscCall(VecDestroy(&gth));
  PetscCall(VecDestroy(&gY0));
  PetscCall(VecDestroy(&c.theta));
  PetscCall(VecDestroy(&c.dtheta));
  PetscCall(VecDestroy(&c.thp));
  PetscCall(VecDestroy(&c.Y0));
  PetscCall(VecDestroy(&c.dY0));
  PetscCall(VecDestroy(&c.Y0p));
  PetscFunctionReturn(0);
}

START_TEST(test_net)
{
  OdynNet  net;
  PetscInt nin, nout;

  ODYN_CK(BuildNet(&net));
  ODYN_CK(OdynNetGetInputWidth(net, &nin));
  ODYN_CK(OdynNetGetOutputWidth(net, &nout));
  ck_assert_int_eq(nin, 1 * 6 * 4);
  ck_assert_int_eq(nout, 4); /* one average per channel */
  ODYN_CK(CheckNet(net, 5, "opening | euler conv tvnorm | connector pool | leapfrog convsymmetric | verlet convhamiltonian | leapfrog conv tvnorm | globalavg"));
  ODYN_CK(OdynNetDestroy(&net));
  /* the same with the examples walked in chunks of two */
  odyn_conv_set_chunk_target(2 * 6 * 4 * 3 * 9);
  ODYN_CK(BuildNet(&net));
  ODYN_CK(CheckNet(net, 5, "the same network in chunks of 2 examples"));
  ODYN_CK(OdynNetDestroy(&net));
  odyn_conv_set_chunk_target(0);
}
END_TEST

/* multilevel in depth: the single blocks keep one step and their parameters (globalavg: none), the time-stepping blocks
   double */
START_TEST(test_refine)
{
  OdynNet            net;
  Vec                thc, thf;
  const PetscScalar *c, *f;
  PetscInt           steps[7], offc[8], offf[8];

  ODYN_CK(BuildNet(&net));
  ODYN_CK(OdynNetCreateParameterVec(net, &thc));
  ODYN_CK(OdynTestRandomVec(7, 1.0, thc));
  for (PetscInt b = 0; b <= 7; b++) ODYN_CK(OdynNetGetBlockParameterOffset(net, b, &offc[b]));
  ODYN_CK(OdynNetRefineSteps(net, thc, &thf));
  for (PetscInt b = 0; b <= 7; b++) ODYN_CK(OdynNetGetBlockParameterOffset(net, b, &offf[b]));
  for (PetscInt b = 0; b < 7; b++) {
    OdynScheme sc;
    ODYN_CK(OdynNetGetBlock(net, b, &sc));
    ODYN_CK(OdynSchemeGetNumSteps(sc, &steps[b]));
  }
  ck_assert(steps[0] == 1 && steps[2] == 1 && steps[6] == 1);
  ck_assert_int_eq(offf[7] - offf[6], 0);
  ck_assert_int_eq(offc[7] - offc[6], 0);
  ck_assert(steps[1] == 6 && steps[3] == 4 && steps[4] == 4 && steps[5] == 4);
  ck_assert_int_eq(offf[1] - offf[0], offc[1] - offc[0]);
  ck_assert_int_eq(offf[2] - offf[1], 2 * (offc[2] - offc[1]));
  ck_assert_int_eq(offf[3] - offf[2], offc[3] - offc[2]);
  if (PetscGlobalRank == 0) { /* single rank or rank 0 owns the start of both vectors in these tests */
    PetscInt lc, lf;
    ODYN_CK(VecGetLocalSize(thc, &lc));
    ODYN_CK(VecGetLocalSize(thf, &lf));
    ODYN_CK(VecGetArrayRead(thc, &c));
    ODYN_CK(VecGetArrayRead(thf, &f));
    for (PetscInt i = 0; i < offc[1] && i < lc && i < lf; i++) ck_assert_msg(c[i] == f[i], "the opening layer's parameter %d changed in the refinement", (int)i);
    ODYN_CK(VecRestoreArrayRead(thf, &f));
    ODYN_CK(VecRestoreArrayRead(thc, &c));
  }
  ODYN_CK(CheckNet(net, 3, "refined network"));
  ODYN_CK(VecDestroy(&thc));
  ODYN_CK(VecDestroy(&thf));
  ODYN_CK(OdynNetDestroy(&net));
}
END_TEST

/* the same kind of network from the options database; mismatched widths are refused */
START_TEST(test_options)
{
  OdynNet  net;
  PetscInt nin, nout, np;

  ODYN_CK(PetscOptionsInsertString(NULL, "-cnn_odyn_net_num_blocks 4 "
                                         "-cnn_block0_odyn_scheme_type single -cnn_block0_odyn_layer_type conv -cnn_block0_odyn_layer_image 8,6 -cnn_block0_odyn_layer_channels 1,2 "
                                         "-cnn_block1_odyn_scheme_type euler -cnn_block1_odyn_layer_type convantisym -cnn_block1_odyn_layer_image 8,6 -cnn_block1_odyn_layer_channels 2 -cnn_block1_odyn_layer_antisym_gamma 0.1 -cnn_block1_odyn_layer_tvnorm "
                                         "-cnn_block2_odyn_scheme_type single -cnn_block2_odyn_layer_type conv -cnn_block2_odyn_layer_image 8,6 -cnn_block2_odyn_layer_channels 2,3 -cnn_block2_odyn_layer_conv_kernel 1 -cnn_block2_odyn_layer_conv_pool "
                                         "-cnn_block3_odyn_scheme_type single -cnn_block3_odyn_layer_type globalavg -cnn_block3_odyn_layer_image 4,3 -cnn_block3_odyn_layer_channels 3"));
  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  ODYN_CK(OdynNetSetOptionsPrefix(net, "cnn_"));
  ODYN_CK(OdynNetSetFromOptions(net));
  ODYN_CK(OdynNetGetInputWidth(net, &nin));
  ODYN_CK(OdynNetGetOutputWidth(net, &nout));
  ODYN_CK(OdynNetGetNumParameters(net, &np));
  ck_assert_int_eq(nin, 48);
  ck_assert_int_eq(nout, 3); /* the connector's 3 x 4 x 3 averaged per channel */
  /* opening 2*1*9 + 2; 4 antisym steps of 2*2*9 + 2 + 2*2; connector 3*2 + 3 */
  ck_assert_int_eq(np, 20 + 4 * 42 + 9);
  ODYN_CK(CheckNet(net, 2, "network from options"));
  {
    PetscViewer v; /* the views of the blocks and conv layers run (their text is not checked) */
    ODYN_CK(PetscViewerASCIIOpen(PETSC_COMM_WORLD, "/dev/null", &v));
    ODYN_CK(OdynNetView(net, v));
    ODYN_CK(PetscViewerDestroy(&v));
  }
  ODYN_CK(OdynNetDestroy(&net));
  {
    static const char *opts[] = {"-cnn_odyn_net_num_blocks", "-cnn_block0_odyn_scheme_type", "-cnn_block0_odyn_layer_type", "-cnn_block0_odyn_layer_image", "-cnn_block0_odyn_layer_channels", "-cnn_block1_odyn_scheme_type", "-cnn_block1_odyn_layer_type", "-cnn_block1_odyn_layer_image", "-cnn_block1_odyn_layer_channels", "-cnn_block1_odyn_layer_antisym_gamma", "-cnn_block1_odyn_layer_tvnorm", "-cnn_block2_odyn_scheme_type", "-cnn_block2_odyn_layer_type", "-cnn_block2_odyn_layer_image", "-cnn_block2_odyn_layer_channels", "-cnn_block2_odyn_layer_conv_kernel", "-cnn_block2_odyn_layer_conv_pool", "-cnn_block3_odyn_scheme_type", "-cnn_block3_odyn_layer_type", "-cnn_block3_odyn_layer_image", "-cnn_block3_odyn_layer_channels"};
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) ODYN_CK(PetscOptionsClearValue(NULL, opts[i]));
  }

  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  ODYN_CK(AddBlock(net, ODYNSCHEMESINGLE, 1, ODYNLAYERCONV, 6, 4, 1, 3, 3, PETSC_TRUE, PETSC_FALSE));
  ODYN_CK(AddBlock(net, ODYNSCHEMEEULER, 1, ODYNLAYERCONV, 6, 4, 3, 0, 3, PETSC_FALSE, PETSC_FALSE));
  odyn_ck_error_contains(OdynNetSetUp(net), "produces width 18");
  ODYN_CK(OdynNetDestroy(&net));
  /* a pooling layer cannot be time-stepped */
  ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
  ODYN_CK(AddBlock(net, ODYNSCHEMEEULER, 2, ODYNLAYERCONV, 6, 4, 1, 3, 3, PETSC_TRUE, PETSC_FALSE));
  odyn_ck_error_contains(OdynNetSetUp(net), "-odyn_scheme_type single");
  ODYN_CK(OdynNetDestroy(&net));
  /* the channel averages: no stencil, pooling or second channel count, and not time-stepped */
  {
    static const struct {
      PetscInt    c2, k;
      PetscBool   pool;
      const char *stype, *needle;
    } bad[] = {
      {0, 3, PETSC_FALSE, ODYNSCHEMESINGLE, "it has no stencil (got size 3)"},
      {0, 1, PETSC_TRUE, ODYNSCHEMESINGLE, "no pooling and no normalization"},
      {5, 1, PETSC_FALSE, ODYNSCHEMESINGLE, "keeps its channels (got 5)"},
      {0, 1, PETSC_FALSE, ODYNSCHEMEEULER, "-odyn_scheme_type single"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      ODYN_CK(OdynNetCreate(PETSC_COMM_WORLD, &net));
      ODYN_CK(AddBlock(net, bad[i].stype, 2, ODYNLAYERGLOBALAVG, 6, 4, 3, bad[i].c2, bad[i].k, bad[i].pool, PETSC_FALSE));
      odyn_ck_error_contains(OdynNetSetUp(net), bad[i].needle);
      ODYN_CK(OdynNetDestroy(&net));
    }
  }
}
END_TEST

/* a model file rebuilds the convolutional network (image sizes, channels, stencils, pooling, normalization): the same
   number of parameters and bit for bit the same output (tests/test_model_settings.c has every type alone) */
START_TEST(test_model_roundtrip)
{
  OdynNet            net, net2;
  OdynLoss           loss;
  OdynModel          model, model2;
  Vec                theta, theta2, wmu, Y0, YN, YN2;
  PetscInt           nin, nout, np, np2, n;
  const PetscScalar *a, *b;

  ODYN_CK(BuildNet(&net));
  ODYN_CK(OdynNetGetInputWidth(net, &nin));
  ODYN_CK(OdynNetGetOutputWidth(net, &nout));
  ODYN_CK(OdynNetGetNumParameters(net, &np));
  ODYN_CK(OdynLossCreate(PETSC_COMM_WORLD, &loss));
  ODYN_CK(OdynLossSetType(loss, ODYNLOSSSOFTMAX));
  ODYN_CK(OdynLossSetNumFeatures(loss, nout));
  ODYN_CK(OdynLossSetNumClasses(loss, 3));
  ODYN_CK(OdynNetCreateParameterVec(net, &theta));
  ODYN_CK(OdynLossCreateWeightVec(loss, &wmu));
  ODYN_CK(OdynTestRandomVec(5, 0.3, theta));
  ODYN_CK(OdynTestRandomVec(6, 0.3, wmu));
  ODYN_CK(OdynModelCreate(PETSC_COMM_WORLD, &model));
  ODYN_CK(OdynModelSetParameters(model, net, loss, theta, wmu));
  ODYN_CK(OdynModelSave(model, "test_convnet_model.h5"));
  ODYN_CK(OdynModelCreate(PETSC_COMM_WORLD, &model2));
  ODYN_CK(OdynModelLoad(model2, "test_convnet_model.h5"));
  ODYN_CK(OdynModelGetParameters(model2, &net2, NULL, &theta2, NULL));
  ODYN_CK(OdynNetGetNumParameters(net2, &np2));
  ck_assert_int_eq(np, np2);
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, nin * 3, PETSC_DETERMINE, &Y0));
  ODYN_CK(VecCreateMPI(PETSC_COMM_WORLD, nout * 3, PETSC_DETERMINE, &YN));
  ODYN_CK(VecDuplicate(YN, &YN2));
  ODYN_CK(OdynTestRandomVec(7, 1.0, Y0));
  ODYN_CK(OdynNetForward(net, theta, Y0, YN));
  ODYN_CK(OdynNetForward(net2, theta2, Y0, YN2));
  ODYN_CK(VecGetLocalSize(YN, &n));
  ODYN_CK(VecGetArrayRead(YN, &a));
  ODYN_CK(VecGetArrayRead(YN2, &b));
  ck_assert(!memcmp(a, b, sizeof(PetscScalar) * (size_t)n));
  ODYN_CK(VecRestoreArrayRead(YN, &a));
  ODYN_CK(VecRestoreArrayRead(YN2, &b));
  ODYN_CK(VecDestroy(&Y0));
  ODYN_CK(VecDestroy(&YN));
  ODYN_CK(VecDestroy(&YN2));
  ODYN_CK(OdynModelDestroy(&model));
  ODYN_CK(OdynModelDestroy(&model2));
  ODYN_CK(VecDestroy(&theta));
  ODYN_CK(VecDestroy(&wmu));
  ODYN_CK(OdynLossDestroy(&loss));
  ODYN_CK(OdynNetDestroy(&net));
}
END_TEST

static Suite *make_suite(void)
{
  Suite *s = suite_create("convnet");
  TCase *t = tcase_create("convnet");
  tcase_add_test(t, test_net);
  tcase_add_test(t, test_refine);
  tcase_add_test(t, test_options);
  tcase_add_test(t, test_model_roundtrip);
  tcase_set_timeout(t, 600);
  suite_add_tcase(s, t);
  return s;
}

int main(int argc, char **argv) { return OdynTestMain(argc, argv, make_suite); }
