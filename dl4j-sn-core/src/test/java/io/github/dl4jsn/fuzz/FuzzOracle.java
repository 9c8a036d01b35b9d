package io.github.dl4jsn.fuzz;

import io.github.dl4jsn.fuzz.FuzzCase.Built;
import io.github.dl4jsn.fuzz.FuzzCase.Container;
import io.github.dl4jsn.fuzz.FuzzCase.Keys;
import io.github.dl4jsn.fuzz.FuzzCase.OperatorInput;
import io.github.dl4jsn.fuzz.FuzzCase.Route;
import io.github.dl4jsn.fuzz.FuzzCase.Stage;
import io.github.dl4jsn.fuzz.FuzzCase.StageFailure;
import io.github.dl4jsn.math.SpectralNormCore;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.deeplearning4j.exception.DL4JInvalidConfigException;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The property every fuzzed configuration must have: it fails at build or init with a {@link
 * DL4JInvalidConfigException} naming the layer and the bad value (when an SN option is bad), or it
 * builds a network whose forward and backward passes are finite, whose configuration survives a
 * JSON round trip, and which passes DL4J's gradient check in DOUBLE. A failure of a configuration
 * with valid SN options is accepted only where the same configuration without SN fails the same
 * way (plain DL4J rejects it too: SN adds no new failure).
 */
final class FuzzOracle {

  private FuzzOracle() {}

  /** A bad SN option: what it is and the text (its value) the message must show. */
  record Problem(String option, String value) {}

  /** The SN options of a case that validation must reject, computed independently. */
  static List<Problem> problems(FuzzCase c) {
    List<Problem> out = new ArrayList<>();
    if (c.viaApply()) {
      if (c.strictApplyMustFail()) {
        out.add(new Problem("strict apply of PReLULayer", "PReLULayer"));
      }
      return out;
    }
    FuzzCase.Options o = c.o;
    if (o.powerIterations() < 0) {
      out.add(new Problem("powerIterations", String.valueOf(o.powerIterations())));
    }
    if (o.warmupIterations() < 0) {
      out.add(new Problem("warmupIterations", String.valueOf(o.warmupIterations())));
    }
    if (!(o.eps() > 0) || Double.isInfinite(o.eps())) {
      out.add(new Problem("eps", String.valueOf(o.eps())));
    }
    // c must be a normal number of the network's data type (else W_SN or 1/c overflows).
    double lowest = SpectralNormCore.smallestNormal(c.s.dataType());
    double highest = SpectralNormCore.largestFinite(c.s.dataType());
    if (!(o.coefficient() >= lowest && o.coefficient() <= highest)) {
      out.add(new Problem("coefficient", String.valueOf(o.coefficient())));
    }
    Keys keys = o.keys();
    if (keys == Keys.EMPTY) {
      out.add(new Problem("normalize", "normalize"));
    } else if (keys == Keys.UNKNOWN) {
      out.add(new Problem("normalize", "'X'"));
    } else if (keys == Keys.BIAS) {
      out.add(new Problem("normalize", "'b'"));
    } else if (keys == Keys.FOREIGN) {
      out.add(new Problem("normalize", "'" + c.foreignKey() + "'"));
    } else if (keys == Keys.NULL_KEY) {
      out.add(new Problem("normalize", "null"));
    }
    if (c.operatorNorm() && !c.kind().operatorNormSupported()) {
      out.add(new Problem("operatorNorm", c.kind().typeName));
    }
    if (c.kind() == FuzzCase.Kind.SELF_ATTENTION && !c.r.projectInput()) {
      out.add(new Problem("projectInput", "projectInput"));
    }
    if (c.operatorNorm() && c.kind().operatorNormSupported()
        && c.r.route() == Route.SETTERS_AFTER_CONF
        && c.o.operatorInput() == OperatorInput.NETWORK) {
      // Switched on after setInputType ran: the input size is unknown (documented: fails at init).
      out.add(new Problem("operatorNorm input size", "operatorNorm"));
    }
    return out;
  }

  /** Whether the case is valid but must fail at run time: an operator norm of another size. */
  static boolean expectsInputSizeMismatch(FuzzCase c) {
    return c.operatorNorm() && c.kind().operatorNormSupported()
        && c.o.operatorInput() == OperatorInput.EXPLICIT_OTHER_SIZE;
  }

  /** The texts of which a message must contain one to name the target layer. */
  static List<String> layerNames(FuzzCase c, Stage stage) {
    List<String> out = new ArrayList<>();
    if (c.targetName() != null) {
      out.add(c.targetName());
    }
    if (c.s.container() == Container.MULTI_LAYER) {
      // Its index, or the name DL4J gives an unnamed layer ("layer0").
      out.add("layer " + c.targetIndex());
      out.add("'layer" + c.targetIndex() + "'");
    }
    if (stage == Stage.LAYER) {
      out.add(c.kind().typeName);
    }
    return out;
  }

  /**
   * Checks the property for one case.
   *
   * @return how the case ended (for jqwik's statistics)
   * @throws AssertionError describing a violation
   */
  static String check(FuzzCase c) {
    StageFailure sn = attempt(c, true);
    List<Problem> problems = problems(c);
    if (!problems.isEmpty()) {
      if (sn == null) {
        throw new AssertionError("invalid SN options accepted: " + problems + " in " + c);
      }
      Throwable e = sn.getCause();
      String m = String.valueOf(e.getMessage());
      List<String> names = c.strictApplyMustFail()
          ? List.of("layer 1", "n1")
          : layerNames(c, sn.stage);
      boolean named = names.stream().anyMatch(m::contains);
      boolean valued = problems.stream().anyMatch(p -> m.contains(p.value()));
      boolean early = sn.stage.compareTo(Stage.INIT) <= 0;
      if (e instanceof DL4JInvalidConfigException && early && named && valued) {
        return "rejected: " + problems.get(0).option();
      }
      // A structure that plain DL4J rejects may fail before the options are looked at.
      StageFailure plain = attempt(c, false);
      if (sameFailure(sn, plain)) {
        return plainRejection(c, sn);
      }
      if (e instanceof DL4JInvalidConfigException && early) {
        throw new AssertionError("the message names " + (named ? "" : "neither the layer "
            + names + " nor ") + (valued ? "" : "the bad value of " + problems) + ": " + m, e);
      }
      throw new AssertionError("expected a DL4JInvalidConfigException at build or init naming "
          + problems + ", got " + sn.getMessage(), sn);
    }
    if (expectsInputSizeMismatch(c)) {
      if (sn != null && String.valueOf(sn.getCause().getMessage())
          .contains("depends on the input size")) {
        return "rejected: operator norm of another input size";
      }
      StageFailure plain = attempt(c, false);
      if (sn != null && sameFailure(sn, plain)) {
        return plainRejection(c, sn);
      }
      throw new AssertionError("an operator norm for another input size must fail naming both "
          + "sizes; got " + (sn == null ? "success" : sn.getMessage()), sn);
    }
    if (sn == null) {
      return "trains, gradient check passes";
    }
    StageFailure plain = attempt(c, false);
    if (!sameFailure(sn, plain)) {
      throw new AssertionError("valid SN options, but the SN network fails where the plain one "
          + (plain == null ? "works" : "fails otherwise (" + plain.getMessage() + ")")
          + ": " + sn.getMessage(), sn);
    }
    return plainRejection(c, sn);
  }

  private static String plainRejection(FuzzCase c, StageFailure f) {
    if (Boolean.getBoolean("dl4jsn.fuzz.verbose")) {
      String m = String.valueOf(f.getCause().getMessage()).replace('\n', ' ');
      System.out.println("plain DL4J rejects " + c + ": " + f.stage + " "
          + f.getCause().getClass().getSimpleName() + ": "
          + m.substring(0, Math.min(300, m.length())));
    }
    return "rejected by plain DL4J too (" + f.stage + ")";
  }

  /**
   * Whether plain DL4J fails the same way. Either at the same step with the same exception, or,
   * where plain DL4J itself crashes (an exception other than its own DL4JException), with a crash
   * that DL4J or ND4J code throws at the same step or an earlier one: SN runs DL4J's own layer
   * code on the same configuration, earlier in operator-norm mode (the convolution and its
   * adjoint at init and in every training-mode forward pass). Examples: an output layer with a
   * negative nIn puts every later parameter view out of range, SN's included; libnd4j's
   * depthwise_conv2d_bp fails on a 1x1 input, and operator-norm mode calls it in the forward pass;
   * or, where plain DL4J crashes, SN's own {@code DL4JInvalidConfigException} at the same step or
   * an earlier one (an operator-norm convolution whose output is empty fails at init).
   */
  private static boolean sameFailure(StageFailure sn, StageFailure plain) {
    if (plain == null) {
      return false;
    }
    Throwable p = plain.getCause();
    Throwable s = sn.getCause();
    // Building the layers and building the configuration count as one step.
    Stage snStage = sn.stage == Stage.LAYER ? Stage.CONF : sn.stage;
    Stage plainStage = plain.stage == Stage.LAYER ? Stage.CONF : plain.stage;
    if (snStage == plainStage && p.getClass() == s.getClass()) {
      return true;
    }
    boolean plainCrashes = !(p instanceof org.deeplearning4j.exception.DL4JException
        || p instanceof AssertionError);
    // Or SN rejects the configuration at the same step or an earlier one with a clear error of
    // its own (e.g. an operator-norm convolution whose output is empty, where plain DL4J crashes
    // on a negative shape in the forward pass).
    return plainCrashes && snStage.compareTo(plainStage) <= 0
        && (thrownByDl4j(s)
            || s instanceof org.deeplearning4j.exception.DL4JInvalidConfigException);
  }

  /** Whether the first frame outside the JDK of the exception's root cause is DL4J's or ND4J's. */
  static boolean thrownByDl4j(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    for (StackTraceElement e : root.getStackTrace()) {
      String c = e.getClassName();
      if (c.startsWith("java.") || c.startsWith("jdk.") || c.startsWith("sun.")) {
        continue;
      }
      return c.startsWith("org.deeplearning4j.") || c.startsWith("org.nd4j.");
    }
    return false;
  }

  /**
   * Builds, round-trips, initializes, runs and gradient-checks the case.
   *
   * @return null if every step passed, else the first failure
   */
  static StageFailure attempt(FuzzCase c, boolean sn) {
    try {
      DataType dt = c.s.dataType();
      Built b = c.build(sn, dt);
      stage(Stage.JSON, () -> jsonRoundTrip(b.conf));
      Model net = stage(Stage.INIT, () -> init(b.conf));
      INDArray out = stage(Stage.FORWARD, () -> forward(net, b.input));
      INDArray labels = c.labels(out.shape(), dt);
      stage(Stage.BACKWARD, () -> backward(net, b.input, labels));
      Built d = dt == DataType.DOUBLE ? b : c.build(sn, DataType.DOUBLE);
      Model dnet = dt == DataType.DOUBLE ? net : stage(Stage.INIT, () -> init(d.conf));
      INDArray dlabels = c.labels(out.shape(), DataType.DOUBLE);
      stage(Stage.GRADIENT_CHECK, () -> gradientCheck(dnet, d.input, dlabels));
      return null;
    } catch (StageFailure f) {
      return f;
    }
  }

  interface Step<T> {
    T run() throws Exception;
  }

  private static <T> T stage(Stage stage, Step<T> step) throws StageFailure {
    try {
      return step.run();
    } catch (Exception | AssertionError e) {
      throw new StageFailure(stage, e);
    }
  }

  private static Void jsonRoundTrip(Object conf) {
    boolean equal;
    if (conf instanceof MultiLayerConfiguration) {
      MultiLayerConfiguration m = (MultiLayerConfiguration) conf;
      equal = MultiLayerConfiguration.fromJson(m.toJson()).equals(m);
    } else {
      ComputationGraphConfiguration g = (ComputationGraphConfiguration) conf;
      equal = ComputationGraphConfiguration.fromJson(g.toJson()).equals(g);
    }
    if (!equal) {
      throw new AssertionError("the configuration changes in a JSON round trip");
    }
    return null;
  }

  private static Model init(Object conf) {
    if (conf instanceof MultiLayerConfiguration) {
      MultiLayerNetwork net = new MultiLayerNetwork((MultiLayerConfiguration) conf);
      net.init();
      return net;
    }
    ComputationGraph net = new ComputationGraph((ComputationGraphConfiguration) conf);
    net.init();
    return net;
  }

  private static INDArray forward(Model net, INDArray input) {
    INDArray test;
    INDArray train;
    if (net instanceof MultiLayerNetwork) {
      MultiLayerNetwork m = (MultiLayerNetwork) net;
      train = m.output(input, true);
      test = m.output(input, false);
    } else {
      ComputationGraph g = (ComputationGraph) net;
      train = g.outputSingle(true, input);
      test = g.outputSingle(false, input);
    }
    finite("the training-mode output", train);
    finite("the inference output", test);
    finite("the parameters after a training-mode forward pass", net.params());
    return test;
  }

  private static Void backward(Model net, INDArray input, INDArray labels) {
    if (net instanceof MultiLayerNetwork) {
      MultiLayerNetwork m = (MultiLayerNetwork) net;
      m.setInput(input);
      m.setLabels(labels);
      m.computeGradientAndScore();
    } else {
      ComputationGraph g = (ComputationGraph) net;
      g.setInputs(input);
      g.setLabels(labels);
      g.computeGradientAndScore();
    }
    if (!Double.isFinite(net.score())) {
      throw new AssertionError("the score is " + net.score());
    }
    finite("the gradient", net.gradient().gradient());
    finite("the parameters after backprop", net.params());
    return null;
  }

  private static void finite(String what, INDArray a) {
    if (a.isNaN().any() || a.isInfinite().any()) {
      throw new AssertionError(what + " is not finite: " + a);
    }
  }

  /** The persistent vectors u and v (uW, vpW, uWq, ...; inside Bidirectional fuW, bvRW, ...). */
  static Set<String> vectorKeys(Model net) {
    Set<String> out = new TreeSet<>();
    for (String key : net.paramTable().keySet()) {
      String param = key.substring(key.lastIndexOf('_') + 1);
      if (param.matches("[fb]?[uv](W|RW|pW|Wq|Wk|Wv|Wo)")) {
        out.add(key);
      }
    }
    return out;
  }

  /**
   * DL4J's gradient check of every parameter: central differences with epsilon 1e-6, relative
   * error at most 1e-5, u and v excluded, stopping at the first failure.
   *
   * <p>Not DL4J M2.1's subset mode: where its step does not divide a parameter's length it lands
   * one element past the parameter's end, and after a bias of length 1 it checks the first
   * element of an excluded u under the bias's name (a false failure).
   *
   * <p>Absolute errors below 1e-10, or below the rounding floor of a central difference, about 4
   * ulps of the score over epsilon ({@code 1e-9 |score|}), pass: a score of 0.57 cannot resolve a
   * gradient error of 1e-10 (a fuzzed LSTM with coefficient 0.001 showed it: an absolute error of
   * 1.1e-10 at epsilon 1e-6 that vanishes at 1e-5, 1e-4 and 1e-3).
   */
  private static Void gradientCheck(Model net, INDArray input, INDArray labels) {
    backward(net, input, labels);
    double minAbsoluteError = Math.max(1e-10, 1e-9 * Math.abs(net.score()));
    boolean ok;
    if (net instanceof MultiLayerNetwork) {
      ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig()
          .net((MultiLayerNetwork) net).input(input).labels(labels)
          .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(minAbsoluteError)
          .exitOnFirstError(true).print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
          .excludeParams(vectorKeys(net)));
    } else {
      ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig()
          .net((ComputationGraph) net).inputs(new INDArray[] {input})
          .labels(new INDArray[] {labels})
          .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(minAbsoluteError)
          .exitOnFirstError(true).print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
          .excludeParams(vectorKeys(net)));
    }
    if (!ok) {
      throw new AssertionError("the gradient check fails");
    }
    return null;
  }
}
