package io.github.dl4jsn.layers;

import static io.github.dl4jsn.testutil.Arrays2.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.dl4jsn.conf.SpectralNormalization;
import io.github.dl4jsn.testutil.ReferenceCases;
import io.github.dl4jsn.testutil.ReferenceCases.Case;
import io.github.dl4jsn.testutil.ReferenceCases.Result;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import io.github.dl4jsn.testutil.LinearLoss;

/**
 * The PyTorch reference cases through real one-layer DL4J networks: W, u0 and v0 go in through
 * {@code setParam}; the input is a set of one-hot examples, so the layer's output holds W_SN and
 * an upstream gradient built from G makes the weight gradient dL/dW_SN equal G.
 */
class NetworkReferenceTest {

  static final double TOL = 1e-10;

  @BeforeAll
  static void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  /** A layer type that can host a reference case, and how to drive it with one-hot inputs. */
  enum Host {
    DENSE("linear"),
    OUTPUT("linear"),
    EMBEDDING("linear"),
    EMBEDDING_SEQUENCE("linear"),
    CONV2D("conv2d"),
    CONV1D("conv2d"),
    DECONV2D("convtranspose2d");

    final String module;

    Host(String module) {
      this.module = module;
    }
  }

  static Stream<Arguments> hostsCasesIterations() {
    return Stream.of(Host.values())
        .flatMap(
            h ->
                ReferenceCases.all().stream()
                    .filter(c -> c.module().equals(h.module))
                    .flatMap(c -> Stream.of(Arguments.of(h, c, 1), Arguments.of(h, c, 5))));
  }

  @ParameterizedTest(name = "{0} {1} n={2}")
  @MethodSource("hostsCasesIterations")
  void oneLayerNetworkMatchesPyTorch(Host host, Case c, int n) {
    long[] s = c.weightShape();
    org.deeplearning4j.nn.conf.layers.Layer inner = innerLayer(host, s);
    MultiLayerNetwork net =
        new MultiLayerNetwork(
            new NeuralNetConfiguration.Builder()
                .dataType(DataType.DOUBLE)
                .updater(new NoOp())
                .list()
                .layer(
                    new SpectralNormalization.Builder(inner)
                        .powerIterations(n)
                        .eps(c.eps())
                        .build())
                .build());
    net.init();

    INDArray torchW = c.tensor("W");
    INDArray weight = dl4jWeight(host, c, torchW);
    net.setParam("0_W", weight);
    net.setParam("0_uW", c.tensor("u0"));
    net.setParam("0_vW", c.tensor("v0"));

    net.initGradientsView();
    Layer layer = net.getLayer(0);
    INDArray input = oneHotInput(host, s);
    INDArray out = net.output(input, false).dup(); // inference: u and v untouched
    assertClose("u after inference", net.getParam("0_uW"), c.tensor("u0"), 0);
    if (host == Host.OUTPUT) {
      // The whole fit path: MultiLayerNetwork never calls activate() on its output layer.
      net.setInput(input);
      net.setLabels(upstream(host, c, c.tensor("G")));
      net.computeGradientAndScore();
    } else {
      LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
      layer.activate(input, true, mgr);
      layer.backpropGradient(upstream(host, c, c.tensor("G")), mgr);
    }
    // A second training-mode forward in the same iteration does not iterate again: it shows the
    // step's W_SN, PyTorch's, even where tiny weights left u and v short (dense_4x3_tiny_eps).
    out = net.output(input, true).dup();

    Result r = c.after(n);
    assertClose("u", net.getParam("0_uW"), r.tensor("u_after"), TOL);
    assertClose("v", net.getParam("0_vW"), r.tensor("v_after"), TOL);
    INDArray weightSn = outputAsWeight(host, c, out);
    assertClose("W_sn (layer output)", weightSn, r.tensor("W_sn"), TOL);
    // W_SN = W / sigma, so sigma = <W, W> / <W, W_SN>.
    double sigma = torchW.mul(torchW).sumNumber().doubleValue()
        / torchW.mul(weightSn).sumNumber().doubleValue();
    assertThat(sigma).isCloseTo(r.sigma(), within(Math.abs(r.sigma()) * TOL));
    if (!c.name().contains("tiny")) {
      // Inference divides by ||u|| ||v||, which is 1 within rounding outside the eps clamp.
      assertThat(((SpectralNormLayer) layer).sigma("W").getDouble())
          .isCloseTo(r.sigma(), within(Math.abs(r.sigma()) * TOL));
      assertClose("W_sn (inference)", outputAsWeight(host, c, net.output(input, false)),
          r.tensor("W_sn"), TOL);
    }
    INDArray gradientView = layer.getGradientsViewArray();
    INDArray dW = gradientView.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, weight.length()));
    assertClose("dL/dW", torchLayout(host, c, dW), r.tensor("grad_W"), TOL);
  }

  static org.deeplearning4j.nn.conf.layers.Layer innerLayer(Host host, long[] s) {
    switch (host) {
      case DENSE:
        return new DenseLayer.Builder().nIn(s[1]).nOut(s[0]).hasBias(false)
            .activation(Activation.IDENTITY).build();
      case OUTPUT:
        return new OutputLayer.Builder(new LinearLoss()).nIn(s[1]).nOut(s[0]).hasBias(false)
            .activation(Activation.IDENTITY).build();
      case EMBEDDING:
        return new EmbeddingLayer.Builder().nIn(s[0]).nOut(s[1]).hasBias(false)
            .activation(Activation.IDENTITY).build();
      case EMBEDDING_SEQUENCE:
        return new EmbeddingSequenceLayer.Builder().nIn(s[0]).nOut(s[1]).hasBias(false)
            .inputLength(1).activation(Activation.IDENTITY).build();
      case CONV2D:
        return new ConvolutionLayer.Builder((int) s[2], (int) s[3]).nIn(s[1]).nOut(s[0])
            .hasBias(false).activation(Activation.IDENTITY).build();
      case CONV1D:
        return new Convolution1DLayer.Builder((int) (s[2] * s[3])).nIn(s[1]).nOut(s[0])
            .hasBias(false).activation(Activation.IDENTITY).build();
      default:
        return new Deconvolution2D.Builder((int) s[2], (int) s[3]).nIn(s[0]).nOut(s[1])
            .hasBias(false).activation(Activation.IDENTITY).build();
    }
  }

  /** PyTorch's weight in the DL4J layout of the host layer. */
  static INDArray dl4jWeight(Host host, Case c, INDArray torch) {
    long[] s = c.weightShape();
    switch (host) {
      case DENSE:
      case OUTPUT:
        return torch.transpose().dup('f');
      case EMBEDDING:
      case EMBEDDING_SEQUENCE:
        return torch.dup('f');
      case CONV1D:
        // DL4J's NCW Conv1D reads its buffer as [k, nIn, nOut] (see WeightLayout.CONV1D_NCW).
        return torch.reshape('c', s[0], s[1], s[2] * s[3]).permute(2, 1, 0).dup('c')
            .reshape('c', s[0], s[1], s[2] * s[3], 1);
      default:
        return torch.dup('c');
    }
  }

  /** A DL4J weight-shaped array back in PyTorch's layout and shape. */
  static INDArray torchLayout(Host host, Case c, INDArray flatDl4j) {
    long[] s = c.weightShape();
    switch (host) {
      case DENSE:
      case OUTPUT:
        return flatDl4j.reshape('f', s[1], s[0]).transpose().dup('c');
      case EMBEDDING:
      case EMBEDDING_SEQUENCE:
        return flatDl4j.reshape('f', s[0], s[1]).dup('c');
      case CONV1D:
        return flatDl4j.reshape('c', s[2] * s[3], s[1], s[0]).permute(2, 1, 0).dup('c')
            .reshape('c', s);
      default:
        return flatDl4j.reshape('c', s).dup('c');
    }
  }

  /** One example per column of M^T (dense) or per input position (others), one-hot. */
  static INDArray oneHotInput(Host host, long[] s) {
    switch (host) {
      case DENSE:
      case OUTPUT:
        return Nd4j.eye(s[1]).castTo(DataType.DOUBLE);
      case EMBEDDING:
        return Nd4j.arange(s[0]).reshape(s[0], 1).castTo(DataType.DOUBLE);
      case EMBEDDING_SEQUENCE:
        return Nd4j.arange(s[0]).reshape(s[0], 1).castTo(DataType.DOUBLE);
      case CONV2D:
        {
          long n = s[1] * s[2] * s[3];
          return Nd4j.eye(n).castTo(DataType.DOUBLE).reshape('c', n, s[1], s[2], s[3]);
        }
      case CONV1D:
        {
          long n = s[1] * s[2] * s[3];
          return Nd4j.eye(n).castTo(DataType.DOUBLE).reshape('c', n, s[1], s[2] * s[3]);
        }
      default:
        return Nd4j.eye(s[0]).castTo(DataType.DOUBLE).reshape('c', s[0], s[0], 1, 1);
    }
  }

  /** The upstream gradient that makes dL/dW_SN = G for the one-hot input. */
  static INDArray upstream(Host host, Case c, INDArray torchG) {
    long[] s = c.weightShape();
    switch (host) {
      case DENSE:
      case OUTPUT:
        return torchG.transpose().dup('c');
      case EMBEDDING:
        return torchG.dup('c');
      case EMBEDDING_SEQUENCE:
        return torchG.reshape('c', s[0], s[1], 1);
      case CONV2D:
        return torchG.reshape('c', s[0], s[1] * s[2] * s[3]).transpose().dup('c')
            .reshape('c', s[1] * s[2] * s[3], s[0], 1, 1);
      case CONV1D:
        return torchG.reshape('c', s[0], s[1] * s[2] * s[3]).transpose().dup('c')
            .reshape('c', s[1] * s[2] * s[3], s[0], 1);
      default:
        return torchG.dup('c');
    }
  }

  /** The layer's output for the one-hot input, rearranged as W_SN in PyTorch's layout. */
  static INDArray outputAsWeight(Host host, Case c, INDArray out) {
    long[] s = c.weightShape();
    switch (host) {
      case DENSE:
      case OUTPUT:
        return out.transpose().dup('c');
      case EMBEDDING:
        return out.dup('c');
      case EMBEDDING_SEQUENCE:
        return out.reshape('c', s[0], s[1]);
      case CONV2D:
      case CONV1D:
        return out.reshape('c', s[1] * s[2] * s[3], s[0]).transpose().dup('c').reshape('c', s);
      default:
        return out.dup('c').reshape('c', s);
    }
  }
}
