package io.github.dl4jsn.accel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.testutil.Nets;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

class AccelerationTest {

  @AfterEach
  void helpersOffAgain() {
    Acceleration.disable();
  }

  @Test
  void enableActivatesTheHelpersOnTheOneDnnBuild() {
    Acceleration.Status status = Acceleration.enable();

    assertThat(status.backend()).isEqualToIgnoringCase("CPU");
    assertThat(status.oneDnnInBuild()).isTrue();
    assertThat(status.helpersEnabled()).isTrue();
    assertThat(status.dl4jSupportCheck()).isTrue();
    assertThat(status.active()).isTrue();
    assertThat(status.toString()).contains("ACTIVE");
    assertThat(System.getProperty(Acceleration.HELPERS_DISABLE_PROPERTY)).isEqualTo("false");
  }

  @Test
  void dl4jsOwnOneDnnCheckFindsTheCompatibilityClass() {
    // DL4J's lookup of org.nd4j.nativeblas.Nd4jCpu$Environment#isUseMKLDNN, as it makes it.
    assertThat(BaseMKLDNNHelper.mklDnnEnabled()).isTrue();
    assertThat(org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN()).isTrue();
  }

  @Test
  void aBuildWithoutOneDnnIsRejectedWithTheCoordinatesToAdd() {
    String stockBuildInfo = "STD version: 201103L\nHAVE_FLATBUFFERS\nHAVE_OPENBLAS\n";

    assertThatThrownBy(() -> Acceleration.requireOneDnn("CPU", stockBuildInfo))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("HAVE_ONEDNN")
        .hasMessageContaining("org.nd4j:nd4j-native:1.0.0-M2.1")
        .hasMessageContaining("linux-x86_64-onednn");
    assertThatThrownBy(() -> Acceleration.requireOneDnn("CUDA", "HAVE_ONEDNN"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CUDA");
  }

  @Test
  void theReportNamesEachLayersPathInsideSpectralNormWrappers() {
    Acceleration.enable();
    MultiLayerNetwork net = new MultiLayerNetwork(cnn(DataType.FLOAT));
    net.init();

    HelperReport report = Acceleration.report(net);

    assertThat(report.rows()).extracting(HelperReport.Row::path).containsExactly(
        HelperReport.Path.ONEDNN_HELPER, HelperReport.Path.ONEDNN_HELPER,
        HelperReport.Path.ONEDNN_HELPER, HelperReport.Path.NATIVE_OP,
        HelperReport.Path.NO_HELPER, HelperReport.Path.NO_HELPER);
    assertThat(report.rows().get(0).wrappers()).isEqualTo("SN");
    assertThat(report.rows().get(0).detail()).contains("MKLDNNConvHelper");
    assertThat(report.rows().get(3).wrappers()).isEqualTo("SN");
    assertThat(report.rows().get(4).detail()).contains("no helper for DenseLayer");
    assertThat(report.fallbacks()).isEmpty();
    assertThat(report.toString()).contains("SN(ConvolutionLayer)", "ONEDNN_HELPER");
  }

  @Test
  void aNetworkCreatedBeforeEnableIsReportedAsRunningWithoutHelpers() {
    Acceleration.disable();
    MultiLayerNetwork net = new MultiLayerNetwork(cnn(DataType.FLOAT));
    net.init();

    HelperReport report = HelperReport.of(net);

    assertThat(report.fallbacks()).hasSize(3);
    assertThat(report.fallbacks().get(0).detail()).contains("Acceleration.enable()");
    assertThat(report.fallbacks().get(0).path()).isEqualTo(HelperReport.Path.HELPER_OFF);
  }

  @Test
  void aDoubleNetworkDeclinesTheFloatOnlyHelpersAndSaysSo() {
    Acceleration.enable();
    MultiLayerNetwork net = new MultiLayerNetwork(cnn(DataType.DOUBLE));
    net.init();
    HelperProbe.install(net);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 2, 3, 8, 8);
    net.fit(x, Nd4j.rand(DataType.DOUBLE, 2, 2));

    HelperReport report = HelperReport.of(net);

    // The convolution and batch-norm helpers are FLOAT only; the pooling helper calls libnd4j's
    // pooling ops, which take DOUBLE too.
    assertThat(report.fallbacks()).extracting(HelperReport.Row::type)
        .containsExactly("ConvolutionLayer", "BatchNormalization");
    assertThat(report.fallbacks())
        .allSatisfy(r -> assertThat(r.detail()).contains("FLOAT only", "DOUBLE"));
    List<HelperProbe.Counts> counts = HelperProbe.counts(net);
    assertThat(counts).hasSize(3);
    assertThat(counts.subList(0, 2)).allSatisfy(c -> {
      assertThat(c.forward() + c.backward()).isZero();
      assertThat(c.forwardDeclined()).isPositive();
    });
    assertThat(counts.get(2).allThroughHelper()).isTrue();
    assertThat(net.score()).isFinite();
  }

  @Test
  void computationGraphsAreReportedByVertexName() {
    Acceleration.enable();
    ComputationGraphConfiguration conf = Nets.convGraph(Nets.SN, DataType.FLOAT);
    ComputationGraph graph = new ComputationGraph(conf);
    graph.init();

    HelperReport report = HelperReport.of(graph);

    assertThat(report.rows()).isNotEmpty();
    assertThat(report.rows()).filteredOn(r -> r.type().equals("ConvolutionLayer"))
        .isNotEmpty()
        .allSatisfy(r -> {
          assertThat(r.path()).isEqualTo(HelperReport.Path.ONEDNN_HELPER);
          assertThat(r.wrappers()).isEqualTo("SN");
          assertThat(r.name()).isEqualTo("conv");
          assertThat(report.row("conv")).isEqualTo(r);
        });
  }

  static MultiLayerConfiguration cnn(DataType dataType) {
    return new NeuralNetConfiguration.Builder()
        .seed(3)
        .dataType(dataType)
        .updater(new Adam(1e-3))
        .activation(Activation.RELU)
        .list()
        .layer(SpectralNormalization.wrap(new ConvolutionLayer.Builder(3, 3).nOut(4).build()))
        .layer(new BatchNormalization.Builder().build())
        .layer(new SubsamplingLayer.Builder().kernelSize(2, 2).stride(2, 2).build())
        .layer(SpectralNormalization.wrap(new Deconvolution2D.Builder(2, 2).nOut(3).build()))
        .layer(SpectralNormalization.wrap(new DenseLayer.Builder().nOut(5).build()))
        .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(2)
            .activation(Activation.IDENTITY).build())
        .setInputType(InputType.convolutional(8, 8, 3))
        .build();
  }
}
